--[[
What Quarto adds on top of Pandoc, for the built-in engine
(https://quarto.org/docs/authoring/cross-references.html,
 https://quarto.org/docs/authoring/callouts.html):

- cross-references @fig-/@tbl-/@sec- become numbered links (the numbers come
  from the assembler through the `briefing-xref` metadata map);
- figures and tables get "Figure N.M: " / "Table N.M: " caption prefixes and
  the figure's `fig-alt` as the image's alt text;
- pandas HTML tables (raw HTML in a .briefing-table div) become real tables;
- callouts (note, tip, warning, important, caution) with optional titles;
- folded code (.code-fold) becomes <details> in HTML;
- links to .qmd chapters point to their rendered page (HTML) or heading (Typst);
- image paths are made relative to the page (HTML).
]]

local xref = {}
local chapters = {}
local root_prefix = ""
local is_html = FORMAT:match("html") ~= nil
local is_typst = FORMAT:match("typst") ~= nil

local callout_titles = {
  note = "Note", tip = "Tip", warning = "Warning",
  important = "Important", caution = "Caution",
}

local function read_meta(meta)
  if meta["briefing-xref"] then
    for id, entry in pairs(meta["briefing-xref"]) do
      xref[id] = {
        label = pandoc.utils.stringify(entry.label),
        href = pandoc.utils.stringify(entry.href),
      }
    end
  end
  if meta["briefing-chapters"] then
    for path, target in pairs(meta["briefing-chapters"]) do
      chapters[path] = pandoc.utils.stringify(target)
    end
  end
  if meta["briefing-root"] then
    root_prefix = pandoc.utils.stringify(meta["briefing-root"])
  end
end

local function caption_prefix(id)
  local entry = xref[id]
  if entry then
    return { pandoc.Str(entry.label .. ":"), pandoc.Space() }
  end
  return nil
end

local function prefix_caption(long, id)
  local prefix = caption_prefix(id)
  if not prefix then return long end
  if #long == 0 then
    return { pandoc.Plain(prefix) }
  end
  local first = long[1]
  if first.t == "Plain" or first.t == "Para" then
    local content = pandoc.List(prefix)
    content:extend(first.content)
    first.content = content
  end
  return long
end

local function Cite(cite)
  local out = pandoc.List()
  for i, citation in ipairs(cite.citations) do
    local entry = xref[citation.id]
    if not entry then
      return nil
    end
    if i > 1 then out:insert(pandoc.Str(",")); out:insert(pandoc.Space()) end
    out:insert(pandoc.Link(entry.label, entry.href, "", { class = "quarto-xref" }))
  end
  return out
end

local function Figure(fig)
  fig.caption.long = prefix_caption(fig.caption.long, fig.identifier)
  fig.content = fig.content:walk({
    Image = function(img)
      local alt = img.attributes["fig-alt"]
      if alt then
        img.caption = { pandoc.Str(alt) }
        img.attributes["fig-alt"] = nil
      end
      return img
    end,
  })
  return fig
end

local function html_table(div)
  local raw = nil
  for _, block in ipairs(div.content) do
    if block.t == "RawBlock" and block.format == "html" then raw = block.text end
  end
  if not raw then return nil end
  local parsed = pandoc.read(raw, "html")
  local tbl = nil
  for _, block in ipairs(parsed.blocks) do
    block:walk({ Table = function(t) if not tbl then tbl = t end end })
    if block.t == "Table" and not tbl then tbl = block end
  end
  if not tbl then return nil end
  local classes = pandoc.List({ "briefing-table" })
  for _, class in ipairs(tbl.attr.classes) do
    if class == "cards" then classes:insert("cards") end
  end
  tbl.attr = pandoc.Attr(div.identifier, classes)
  local caption = div.attributes["tbl-cap"]
  if caption then
    tbl.caption.long = prefix_caption({ pandoc.Plain(pandoc.read(caption, "markdown").blocks[1].content) }, div.identifier)
  elseif div.identifier ~= "" then
    tbl.caption.long = prefix_caption({}, div.identifier)
  end
  if not is_html then return tbl end
  -- Cards: on a narrow screen each row becomes a card, each cell labelled by its column (CSS reads data-label).
  if classes:includes("cards") then
    local labels = {}
    for _, row in ipairs(tbl.head.rows) do
      for i, cell in ipairs(row.cells) do labels[i] = pandoc.utils.stringify(cell.contents) end
    end
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        for i, cell in ipairs(row.cells) do
          if labels[i] and labels[i] ~= "" then cell.attr.attributes["data-label"] = labels[i] end
        end
      end
    end
  end
  -- A token is never broken: browsers may break at a hyphen or a slash ("needs-context", "data/claims.csv"),
  -- so every token that has one is kept on one line.
  local keep_whole = {
    Str = function(str)
      if str.text:find("[%-/_%.:@]") then
        return pandoc.Span({ str }, pandoc.Attr("", { "nobr" }))
      end
    end,
  }
  local function each_cell(rows)
    for _, row in ipairs(rows) do
      for _, cell in ipairs(row.cells) do cell.contents = pandoc.Blocks(cell.contents):walk(keep_whole) end
    end
  end
  each_cell(tbl.head.rows)
  for _, body in ipairs(tbl.bodies) do
    each_cell(body.head)
    each_cell(body.body)
  end
  -- A table wider than the text column scrolls inside its own frame, never the page; the frame is
  -- focusable and named, so keyboard users can scroll it too.
  local name = pandoc.utils.stringify(tbl.caption.long)
  if name == "" then name = "Table" end
  return pandoc.Div({ tbl }, pandoc.Attr("", { "table-wrap" }, { { "tabindex", "0" }, { "role", "region" }, { "aria-label", name } }))
end

local function callout(div, kind)
  local title = div.attributes["title"]
  local content = div.content
  local title_inlines
  if title then
    title_inlines = pandoc.read(title, "markdown").blocks[1].content
  elseif #content > 0 and content[1].t == "Header" then
    title_inlines = content[1].content
    content = pandoc.List({ table.unpack(content, 2) })
  else
    title_inlines = { pandoc.Str(callout_titles[kind]) }
  end
  if is_html then
    return pandoc.Div({
      pandoc.Div({ pandoc.Plain(title_inlines) }, { class = "callout-title" }),
      pandoc.Div(content, { class = "callout-body" }),
    }, { class = "callout callout-" .. kind, role = "note" })
  elseif is_typst then
    local blocks = pandoc.List({
      pandoc.RawBlock("typst", '#callout(kind: "' .. kind .. '", title: ['),
      pandoc.Plain(title_inlines),
      pandoc.RawBlock("typst", "])["),
    })
    blocks:extend(content)
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
  end
  return div
end

local function Div(div)
  if div.classes:includes("briefing-table") then
    return html_table(div)
  end
  for kind, _ in pairs(callout_titles) do
    if div.classes:includes("callout-" .. kind) then
      return callout(div, kind)
    end
  end
  if div.classes:includes("code-fold") then
    if is_html then
      local summary = div.attributes["summary"] or "Code"
      local blocks = pandoc.List({ pandoc.RawBlock("html", '<details class="code-fold"><summary>' .. summary .. "</summary>") })
      blocks:extend(div.content)
      blocks:insert(pandoc.RawBlock("html", "</details>"))
      return blocks
    end
    return div.content
  end
  return nil
end

local function Link(link)
  local target = link.target
  if target:match("^%a+:") or target:match("^#") then return nil end
  local path, anchor = target:match("^([^#]*%.qmd)(#?.*)$")
  if not path then return nil end
  local key = path:gsub("^%./", "")
  local page = chapters[key]
  if not page then
    for name, value in pairs(chapters) do
      if name:match("[^/]+$") == key:match("[^/]+$") then page = value end
    end
  end
  if not page then return nil end
  if is_html then
    link.target = page .. anchor
  else
    link.target = anchor ~= "" and anchor or ("#" .. page)
  end
  return link
end

-- Code can be wider than the column and then scrolls: it must be reachable from the keyboard.
local function CodeBlock(block)
  if is_html then
    block.attributes["tabindex"] = "0"
    return block
  end
end

local function Image(img)
  if is_html and not img.src:match("^%a+:") and not img.src:match("^/") then
    img.src = root_prefix .. img.src
  end
  return img
end

-- Pandoc's Typst writer turns ’ back into ', which Typst sets as a prime after a digit (R1's).
local function Str(s)
  if not is_typst or not s.text:find("’", 1, true) then return nil end
  local parts, rest = pandoc.List(), s.text
  while true do
    local i, j = rest:find("’", 1, true)
    if not i then break end
    if i > 1 then parts:insert(pandoc.Str(rest:sub(1, i - 1))) end
    parts:insert(pandoc.RawInline("typst", "’"))
    rest = rest:sub(j + 1)
  end
  if #rest > 0 then parts:insert(pandoc.Str(rest)) end
  return parts
end

return {
  { Meta = function(meta) read_meta(meta) end },
  { Div = Div },
  { Cite = Cite, Figure = Figure, Link = Link, Image = Image, CodeBlock = CodeBlock },
  { Str = Str },
}
