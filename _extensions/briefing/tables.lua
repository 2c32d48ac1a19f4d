--[[
Tables that read: numbers right-aligned (and in the PDF the rest left-aligned), an empty cell printed "—", and in
the PDF columns that share the width by the text they hold. It runs after the engine's own filters (`at: post-quarto`), on every table the page has,
whether a chapter printed it as a DataFrame or wrote it in markdown.
]]

local is_typst = FORMAT:match("typst") ~= nil

-- A cell the engine filled with raw output (the PDF summary's page references) is not empty.
local function has_raw(blocks)
  local found = false
  pandoc.Blocks(blocks):walk({ RawInline = function() found = true end, Image = function() found = true end })
  return found
end

-- Numbers read down a column: a column whose every filled cell is a number (1,234 · −3.5% · $5.6 · 11.1×)
-- is right-aligned; an empty cell prints "—", so a blank is never mistaken for a lost value. In the PDF a
-- table's columns share the width by how much text they hold (a column of short numbers stays narrow, a
-- column of titles gets the room), unless the table sets its own widths.
local function is_number(text)
  local t = text:gsub("\u{2212}", "-"):gsub("\u{00a0}", ""):gsub("\u{202f}", ""):gsub("^%s+", ""):gsub("%s+$", "")
  return t:match("^[%+%-~]?%$?%d[%d,]*%.?%d*%s?[%%\u{00d7}]?$") ~= nil
    or t:match("^[%+%-~]?%$?%d[%d,]*%.?%d*\u{00d7}$") ~= nil
end

local function shape_columns(tbl, classes)
  local n = #tbl.colspecs
  local numeric, filled, chars = {}, {}, {}
  for i = 1, n do numeric[i], filled[i], chars[i] = true, 0, 0 end
  for _, row in ipairs(tbl.head.rows) do  -- a column is never narrower than its label's longest word
    for i, cell in ipairs(row.cells) do
      for word in pandoc.utils.stringify(cell.contents):gmatch("%S+") do chars[i] = math.max(chars[i], utf8.len(word) or #word) end
    end
  end
  for _, body in ipairs(tbl.bodies) do
    for _, row in ipairs(body.body) do
      for i, cell in ipairs(row.cells) do
        local text = pandoc.utils.stringify(cell.contents)
        if text:match("^%s*$") and not has_raw(cell.contents) then
          cell.contents = { pandoc.Plain({ pandoc.Str("\u{2014}") }) }
        else
          filled[i] = (filled[i] or 0) + 1
          chars[i] = math.max(chars[i] or 0, utf8.len(text) or #text)
          if not is_number(text) then numeric[i] = false end
        end
      end
    end
  end
  for i = 1, n do
    if numeric[i] and filled[i] > 0 and (is_typst or not classes:includes("cards")) then
      tbl.colspecs[i] = { pandoc.AlignRight, tbl.colspecs[i][2] }
    elseif is_typst and tbl.colspecs[i][1] == pandoc.AlignDefault then  -- Typst centres a figure's cells
      tbl.colspecs[i] = { pandoc.AlignLeft, tbl.colspecs[i][2] }
    end
  end
  local own_widths = false
  for i = 1, n do own_widths = own_widths or type(tbl.colspecs[i][2]) == "number" end
  if is_typst and n >= 4 and not own_widths and not classes:includes("summary") then
    -- A line of the text column holds about LINE characters of table type. Short columns (numbers, dates,
    -- codes) get their own width; the long ones share the rest by how much text they hold.
    local LINE, SHORT = 130, 14
    local short, long = 0, 0
    for i = 1, n do
      chars[i] = math.max(4, chars[i] or 0) + 2
      if chars[i] <= SHORT then short = short + chars[i] else long = long + math.min(chars[i], 60) end
    end
    local room = math.max(LINE - short, LINE * 0.4)
    local widths, total = {}, 0
    for i = 1, n do
      widths[i] = chars[i] <= SHORT and chars[i] or room * math.min(chars[i], 60) / long
      total = total + widths[i]
    end
    for i = 1, n do tbl.colspecs[i] = { tbl.colspecs[i][1], widths[i] / math.max(total, LINE) } end
  end
end

return {
  { Table = function(tbl) shape_columns(tbl, tbl.attr.classes) return tbl end },
}
