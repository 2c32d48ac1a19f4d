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
- conditional content (.content-visible / .content-hidden with when-format or unless-format);
- tabsets (.panel-tabset): on the site, each tab a heading and its pane, which the engine's tabsets.js turns
  into ARIA tabs (and which read as headings without it); in the PDF, headings, as Quarto prints them;
- layout panels (layout-ncol / layout-nrow on a div): rows of equal cells, stacked on a phone; a grid in the PDF;
- margin content (.column-margin): beside the text on a wide screen, in it on a phone and in the PDF;
- theorems and the like (#thm-, #lem-, #def-, …) open with their bold label and title, "Theorem 3.1 (Name)";
  listings (a code block with #lst- and lst-cap) get their caption above, "Listing 3.1: …";
- mermaid diagrams (the assembler's .mermaid code blocks): a <pre class="mermaid"> that mermaid.js draws on the
  site, the SVG the build drew in the PDF; a figure with its number and caption when labelled;
- links to .qmd chapters point to their rendered page (HTML) or heading (Typst);
- image paths are made relative to the page (HTML);
- headings get a link anchor (HTML);
- (computed values, the data a chapter read and its last-changed line are the
  extension's record filter, _extensions/briefing/record.lua, which Quarto runs too)
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

-- ``blocks`` between two pieces of raw ``format`` (a Typst block's brackets, an HTML element's tags).
local function between(format, open, blocks, close)
  local out = pandoc.Blocks({ pandoc.RawBlock(format, open) })
  out:extend(blocks)
  out:insert(pandoc.RawBlock(format, close))
  return out
end

-- Caption locations (https://quarto.org/docs/authoring/article-layout.html#margin-captions), which the assembler
-- writes as cap-location="top|bottom|margin" on a figure or table: on the site a class the stylesheet places
-- (the margin beside the text on a wide screen, under or over it on a phone); in the PDF, top or bottom (margin
-- captions are set in their usual place, the PDF having no margin column).
local function cap_location(attr_holders)
  for _, el in ipairs(attr_holders) do
    local place = el.attributes and el.attributes["cap-location"]
    if place then
      el.attributes["cap-location"] = nil
      return place
    end
  end
  return nil
end

-- A markdown table's caption place: its caption's span carries it (the assembler wrote it there); it is taken off.
local function table_cap_location(tbl)
  local place = nil
  local caption = tbl.caption
  caption.long = pandoc.Blocks(caption.long):walk({ Span = function(span)
    if span.attributes["cap-location"] then
      place = place or span.attributes["cap-location"]
      span.attributes["cap-location"] = nil
      return span
    end
  end })
  tbl.caption = caption
  return place
end

local function typst_caption_at(block, position, kind)
  return between("typst", "#[#show figure.where(kind: " .. kind .. "): set figure.caption(position: " .. position .. ")",
    { block }, "]")
end

local function Figure(fig)
  local holders = { fig }
  fig.content:walk({ Image = function(img) table.insert(holders, img) end })
  local place = cap_location(holders)
  fig.caption.long = prefix_caption(fig.caption.long, fig.identifier)
  fig.content = fig.content:walk({
    Image = function(img)
      local alt = img.attributes["fig-alt"]
      if alt then
        img.caption = { pandoc.Str(alt) }
        img.attributes["fig-alt"] = nil
      end
      if is_html then
        -- As Quarto's lightbox does: the figure links to itself at full size, which a phone opens full screen.
        return pandoc.Link({ img }, img.src, "", pandoc.Attr("", { "lightbox" },
          { { "aria-label", "Open the figure full size" } }))
      end
      return img
    end,
  })
  if is_html and place == "margin" then fig.classes:insert("margin-caption") end
  if is_html and place == "top" then fig.classes:insert("caption-top") end
  if is_typst and place == "top" then return typst_caption_at(fig, "top", "image") end
  return fig
end

-- The verdict a summary cell's badge stands for (its data-verdict attribute; Pandoc's HTML reader drops "data-").
local function verdict_of(cell)
  local found = nil
  pandoc.Blocks(cell.contents):walk({ Span = function(span)
    found = found or span.attributes["verdict"] or span.attributes["data-verdict"]
  end })
  return found
end

-- A token is never broken: browsers may break at a hyphen or a slash ("needs-context", "data/claims.csv",
-- "DeepSeek-V3"), so in a table every token that has one is kept on one line.
local keep_whole = {
  Str = function(str)
    if str.text:find("[%-/_%.:@]") then
      return pandoc.Span({ str }, pandoc.Attr("", { "nobr" }))
    end
  end,
}

local function keep_tokens_whole(tbl)
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
  return tbl
end

-- A table's caption in the margin cannot be inside the frame that scrolls the table (the frame would clip it): it
-- is taken out and set before the frame, which the stylesheet moves beside the table on a wide screen; the frame
-- keeps the caption as its name. At the bottom, the caption is set after the frame, as Quarto writes it.
local function placed_caption(tbl, place, name)
  local frame = function(t)
    return pandoc.Div({ t }, pandoc.Attr("", { "table-wrap" }, { { "tabindex", "0" }, { "role", "region" }, { "aria-label", name } }))
  end
  if (place == "bottom" or place == "margin") and #tbl.caption.long > 0 then
    local caption = pandoc.Div(tbl.caption.long, { class = "table-caption " .. place .. "-caption" })
    local emptied = tbl.caption
    emptied.long = {}
    tbl.caption = emptied
    if place == "bottom" then return pandoc.Div({ frame(tbl), caption }, { class = "bottom-caption-table" }) end
    return pandoc.Div({ caption, frame(tbl) }, { class = "margin-caption-table" })
  end
  return frame(tbl)
end

local function html_table(div)
  local raw = nil
  for _, block in ipairs(div.content) do
    if block.t == "RawBlock" and block.format == "html" then raw = block.text end
  end
  if not raw then return nil end
  local parsed = pandoc.read(raw, "html")
  local tbl = nil
  local note = nil
  for _, block in ipairs(parsed.blocks) do
    block:walk({ Table = function(t) if not tbl then tbl = t end end })
    if block.t == "Table" and not tbl then tbl = block end
    if block.t == "Div" and block.classes:includes("table-sources") then note = block end
  end
  if not tbl then return nil end
  if note and not is_html then
    -- The PDF: the note's numbers and URLs stay, its in-page links and anchors go (they would be Typst labels
    -- that collide across chapters); the note is set small under the table.
    local plain = {
      Link = function(link) if link.target:match("^#") then return link.content end end,
      Span = function(span) if span.identifier ~= "" then return span.content end end,
    }
    tbl = tbl:walk(plain)
    note = pandoc.Blocks({ pandoc.RawBlock("typst", "#[\n#set text(size: 7pt)"), note:walk(plain),
      pandoc.RawBlock("typst", "]") })
  end
  local place = div.attributes["cap-location"]
  local classes = pandoc.List({ "briefing-table" })
  for _, class in ipairs(tbl.attr.classes) do
    if class == "cards" or class == "summary" then classes:insert(class) end
  end
  tbl.attr = pandoc.Attr(div.identifier, classes)
  local caption = div.attributes["tbl-cap"]
  if caption then
    tbl.caption.long = prefix_caption({ pandoc.Plain(pandoc.read(caption, "markdown").blocks[1].content) }, div.identifier)
  elseif div.identifier ~= "" then
    tbl.caption.long = prefix_caption({}, div.identifier)
  end
  if is_typst and classes:includes("summary") then
    -- The summary opens the PDF on one page: set widths, small type, tight cells.
    -- Its last column gives the page of the verdict's paragraph, which Typst knows once laid out.
    local widths = { 0.05, 0.26, 0.13, 0.50, 0.06 }
    for i, spec in ipairs(tbl.colspecs) do
      if widths[i] then tbl.colspecs[i] = { spec[1], widths[i] } end
    end
    local last = #tbl.colspecs
    for _, row in ipairs(tbl.head.rows) do
      if row.cells[last] then row.cells[last].contents = { pandoc.Plain({ pandoc.Str("Page") }) } end
    end
    -- The claims that cannot be checked (opinions, mostly) are named in one line under the table, so the
    -- checkable ones keep a full row each and the summary still fits its page.
    local set_aside = pandoc.List()
    for _, body in ipairs(tbl.bodies) do
      local kept = pandoc.List()
      for _, row in ipairs(body.body) do
        if row.cells[3] and verdict_of(row.cells[3]) == "not-checkable" then
          set_aside:insert(pandoc.utils.stringify(row.cells[1].contents))
        else
          kept:insert(row)
        end
      end
      body.body = kept
    end
    for _, body in ipairs(tbl.bodies) do
      for _, row in ipairs(body.body) do
        local cell = row.cells[last]
        local target = nil
        if cell then
          pandoc.Blocks(cell.contents):walk({ Link = function(l) target = target or l.target end })
        end
        local label = target and target:match("#([%w%-_]+)$")
        if label then
          cell.contents = { pandoc.Plain({ pandoc.RawInline("typst",
            "#link(<" .. label .. ">)[p. #context counter(page).at(<" .. label .. ">).first()]") }) }
        end
      end
    end
    local blocks = pandoc.List({
      pandoc.RawBlock("typst", "#[\n#set text(size: 7pt)\n#set table(inset: (x: 2.5pt, y: 1.9pt))"),
      tbl,
    })
    if #set_aside > 0 then
      blocks:insert(pandoc.Para({ pandoc.Strong({ pandoc.Str("Not checkable") }), pandoc.Str(" (opinions, or no source to check"),
        pandoc.Space(), pandoc.Str("against; each argued in its chapter): " .. table.concat(set_aside, ", ") .. ".") }))
    end
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
  end
  if not is_html then
    local out = (is_typst and place == "bottom") and typst_caption_at(tbl, "bottom", "table") or pandoc.Blocks({ tbl })
    if note then return out .. note end
    return out
  end
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
  keep_tokens_whole(tbl)
  -- A table wider than the text column scrolls inside its own frame, never the page; the frame is
  -- focusable and named, so keyboard users can scroll it too.
  local name = pandoc.utils.stringify(tbl.caption.long)
  if name == "" then name = "Table" end
  local wrapped = placed_caption(tbl, place, name)
  if note then return { wrapped, note } end
  return wrapped
end

-- A heading's text without the anchor the Header filter added: a title is not a section to link to.
local function without_anchors(inlines)
  return inlines:filter(function(el) return not (el.t == "Link" and el.classes:includes("anchor")) end)
end

local function callout(div, kind)
  local title = div.attributes["title"]
  local content = div.content
  local title_inlines
  if title then
    title_inlines = pandoc.read(title, "markdown").blocks[1].content
  elseif #content > 0 and content[1].t == "Header" then
    title_inlines = without_anchors(content[1].content)
    content = pandoc.List({ table.unpack(content, 2) })
  else
    title_inlines = { pandoc.Str(callout_titles[kind]) }
  end
  -- Options (https://quarto.org/docs/authoring/callouts.html): collapse="true" folds it under its title (the
  -- site only; "false" folds it open), appearance="simple" drops the fill, "minimal" the title as well.
  local collapse = div.attributes["collapse"]
  local appearance = div.attributes["appearance"] or "default"
  local icon = div.attributes["icon"] ~= "false"
  local classes = "callout callout-" .. kind .. (appearance ~= "default" and (" callout-appearance-" .. appearance) or "")
    .. (icon and "" or " no-icon")
  if is_html and (collapse == "true" or collapse == "false") then
    local blocks = pandoc.List({ pandoc.RawBlock("html", '<details class="' .. classes .. '"'
      .. (collapse == "false" and " open" or "") .. '><summary class="callout-title">') })
    blocks:insert(pandoc.Plain(title_inlines))
    blocks:insert(pandoc.RawBlock("html", "</summary>"))
    blocks:insert(pandoc.Div(content, { class = "callout-body" }))
    blocks:insert(pandoc.RawBlock("html", "</details>"))
    return blocks
  end
  if is_html then
    local parts = pandoc.List()
    if appearance ~= "minimal" then parts:insert(pandoc.Div({ pandoc.Plain(title_inlines) }, { class = "callout-title" })) end
    parts:insert(pandoc.Div(content, { class = "callout-body" }))
    return pandoc.Div(parts, { class = classes, role = "note" })
  elseif is_typst then
    local blocks = pandoc.List({
      pandoc.RawBlock("typst", '#callout(kind: "' .. kind .. '", appearance: "' .. appearance .. '", icon: '
        .. tostring(icon) .. ', title: ['),
      pandoc.Plain(appearance == "minimal" and {} or title_inlines),
      pandoc.RawBlock("typst", "])["),
    })
    blocks:extend(content)
    blocks:insert(pandoc.RawBlock("typst", "]"))
    return blocks
  end
  return div
end

-- Tabsets (https://quarto.org/docs/output-formats/html-basics.html#tabsets; Quarto's panel-tabset.lua): the
-- div's first heading sets the tabs' level, each heading of that level opens a tab, "active" chooses the one
-- shown first. The site gets each tab as a heading and its pane, in order, so that a page read without
-- JavaScript reads them as sections; tabsets.js makes them tabs. The PDF prints each tab's heading (at most
-- level 4, unnumbered) and its content, as Quarto prints a tabset outside HTML.
local tabset_count = 0

local function tabset(div)
  local first = div.content:find_if(function(el) return el.t == "Header" end)
  if not first then return nil end
  local level = first.level
  local tabs = pandoc.List()
  for _, el in ipairs(div.content) do
    if el.t == "Header" and el.level == level then
      tabs:insert({ heading = el, content = pandoc.List() })
    elseif #tabs > 0 then
      tabs[#tabs].content:insert(el)
    end
  end
  if is_typst then
    local out = pandoc.List()
    for _, tab in ipairs(tabs) do
      local heading = tab.heading:clone()
      heading.level = math.min(4, level)
      heading.classes:insert("unnumbered")
      out:insert(heading)
      out:extend(tab.content)
    end
    return out
  end
  tabset_count = tabset_count + 1
  local active = 1
  for i, tab in ipairs(tabs) do
    if tab.heading.classes:includes("active") then active = i end
  end
  local panes = pandoc.List()
  for i, tab in ipairs(tabs) do
    local id = "tabset-" .. tabset_count .. "-" .. i
    local title = without_anchors(tab.heading.content)
    local heading = pandoc.Header(level, title, pandoc.Attr("", { "tab-title", "unnumbered", "unlisted" }))
    local pane = pandoc.List({ heading })
    pane:extend(tab.content)
    local classes = { "tab-pane" }
    if i == active then table.insert(classes, "active") end
    panes:insert(pandoc.Div(pane, pandoc.Attr(id, classes, {})))
  end
  local attr = div.attr:clone()
  if attr.identifier == "" then attr.identifier = "tabset-" .. tabset_count end
  return pandoc.Div(panes, attr)
end

-- Layout panels (https://quarto.org/docs/authoring/figures.html#complex-layouts; Quarto's layout.lua):
-- layout-ncol=N puts the div's blocks in rows of N equal cells, layout-nrow=M in M rows, and layout="[[1,1],[1]]"
-- in rows of cells as wide as those numbers say, relative to their row (a negative number is a space that wide);
-- a heading goes with the block after it. The site stacks the cells on a phone, as Quarto does below 768 px.
local function layout_rows(div, count)
  local spec = div.attributes["layout"]
  if spec then
    local ok, parsed = pcall(pandoc.json.decode, spec)
    if not ok or type(parsed) ~= "table" then return nil end
    local rows = pandoc.List()
    for _, row in ipairs(parsed) do
      local total = 0
      for _, w in ipairs(type(row) == "table" and row or { row }) do total = total + math.abs(tonumber(w) or 0) end
      local widths = pandoc.List()
      for _, w in ipairs(type(row) == "table" and row or { row }) do
        local n = tonumber(w) or 0
        widths:insert({ share = math.abs(n) / (total > 0 and total or 1), spacer = n < 0 })
      end
      rows:insert(widths)
    end
    return rows
  end
  local ncol = tonumber(div.attributes["layout-ncol"])
  local nrow = tonumber(div.attributes["layout-nrow"])
  ncol = ncol or math.max(1, math.ceil(count / nrow))
  local rows = pandoc.List()
  for i = 1, count do
    if (i - 1) % ncol == 0 then rows:insert(pandoc.List()) end
    rows[#rows]:insert({ share = 1 / ncol })
  end
  return rows
end

local function layout_panel(div)
  if not (div.attributes["layout-ncol"] or div.attributes["layout-nrow"] or div.attributes["layout"]) then return nil end
  local cells, heading = pandoc.List(), nil
  for _, el in ipairs(div.content) do
    if el.t == "Header" then
      heading = el
    else
      local cell = pandoc.List()
      if heading then cell:insert(heading); heading = nil end
      cell:insert(el)
      cells:insert(cell)
    end
  end
  if heading then cells:insert(pandoc.List({ heading })) end
  local spec = layout_rows(div, #cells)
  if not spec then return nil end
  local rows, next_cell = pandoc.List(), 1
  for _, widths in ipairs(spec) do
    if next_cell > #cells then break end
    local row = pandoc.List()
    for _, w in ipairs(widths) do
      if w.spacer then
        row:insert({ share = w.share, blocks = pandoc.List() })
      elseif cells[next_cell] then
        row:insert({ share = w.share, blocks = cells[next_cell] })
        next_cell = next_cell + 1
      end
    end
    rows:insert(row)
  end
  local valign = ({ top = "top", center = "center", bottom = "bottom" })[div.attributes["layout-valign"] or "top"] or "top"
  local attr = div.attr:clone()
  for _, key in ipairs({ "layout", "layout-ncol", "layout-nrow", "layout-valign" }) do attr.attributes[key] = nil end
  if is_typst then
    local out = pandoc.List()
    for _, row in ipairs(rows) do
      local columns, total = pandoc.List(), 0
      for _, cell in ipairs(row) do total = total + cell.share end
      if total < 0.999 then row:insert({ share = 1 - total, blocks = pandoc.List() }) end  -- a short last row keeps its widths
      for _, cell in ipairs(row) do columns:insert(string.format("%.4gfr", cell.share * 100)) end
      out:insert(pandoc.RawBlock("typst", "#grid(columns: (" .. table.concat(columns, ", ") .. ",), gutter: 1em, rows: 1, align: "
        .. ({ top = "top", center = "horizon", bottom = "bottom" })[valign] .. ","))
      for _, cell in ipairs(row) do
        out:extend(between("typst", "  block(width: 100%)[#set par(justify: false)", cell.blocks, "],"))
      end
      out:insert(pandoc.RawBlock("typst", ")"))
    end
    return out
  end
  local out_rows = pandoc.List()
  for _, row in ipairs(rows) do
    local row_cells = pandoc.List()
    for _, cell in ipairs(row) do
      local classes = #cell.blocks == 0 and { "quarto-layout-cell", "quarto-figure-spacer" } or { "quarto-layout-cell" }
      row_cells:insert(pandoc.Div(cell.blocks, pandoc.Attr("", classes,
        { { "style", string.format("flex-basis: %.1f%%;", cell.share * 100) } })))
    end
    out_rows:insert(pandoc.Div(row_cells, { class = "quarto-layout-row quarto-layout-valign-" .. valign }))
  end
  attr.classes:insert(1, "quarto-layout-panel")
  return pandoc.Div(out_rows, attr)
end

-- Margin content (https://quarto.org/docs/authoring/article-layout.html#margin-content): the site sets it in
-- the margin beside the text where the screen is wide enough, and in the text on a phone; the PDF sets it in
-- the text as an aside in small type (Quarto's own Typst margins need the marginalia package from the Typst
-- registry, which an offline build cannot fetch).
local function margin(div)
  if is_typst then
    return between("typst", "#block(width: 100%, inset: (left: 8pt), stroke: (left: 0.6pt + luma(150)), "
      .. "breakable: false)[#set text(size: 0.85em)", div.content, "]")
  end
  local attr = div.attr:clone()
  attr.classes = attr.classes:filter(function(c) return c ~= "column-margin" end)
  attr.classes:insert(1, "column-margin")
  attr.attributes["role"] = "note"
  return pandoc.Div(div.content, attr)
end

-- Theorems and the like (https://quarto.org/docs/authoring/cross-references.html#theorems-and-proofs): the div's
-- first heading (or its name attribute) is its title; its first paragraph opens with "Theorem 3.1 (Title)" in bold,
-- the label the assembler numbered (the briefing-xref map).
local theorem_classes = {
  thm = "theorem", lem = "lemma", cor = "corollary", prp = "proposition", cnj = "conjecture",
  def = "definition", exm = "example", exr = "exercise",
}

-- A theorem's or a proof's name: its name attribute, or its first heading, taken out of its content.
local function named(div)
  local content = pandoc.List(div.content)
  local title = nil
  if div.attributes["name"] then
    title = pandoc.Inlines(pandoc.read(div.attributes["name"], "markdown").blocks[1].content)
  elseif #content > 0 and content[1].t == "Header" then
    title = without_anchors(content[1].content)
    content:remove(1)
  end
  return content, title
end

-- "Label (Name)", or "Label" without a name.
local function label_and_name(label, title)
  local head = pandoc.List({ pandoc.Str(label) })
  if title and #title > 0 then
    head:insert(pandoc.Space())
    head:insert(pandoc.Str("("))
    head:extend(title)
    head:insert(pandoc.Str(")"))
  end
  return head
end

-- The div again, its first paragraph opening with ``lead``, its name attribute dropped, ``class`` first.
local function opened_with(div, content, lead, class)
  if #content > 0 and (content[1].t == "Para" or content[1].t == "Plain") then
    lead:extend(content[1].content)
    content[1].content = lead
  else
    content:insert(1, pandoc.Para(lead))
  end
  local attr = div.attr:clone()
  attr.attributes["name"] = nil
  if class and not attr.classes:includes(class) then attr.classes:insert(1, class) end
  return pandoc.Div(content, attr)
end

local function theorem(div, kind)
  local entry = xref[div.identifier]
  if not entry then return nil end
  local content, title = named(div)
  local lead = pandoc.List({ pandoc.Span({ pandoc.Strong(label_and_name(entry.label, title)) },
    { class = theorem_classes[kind] .. "-title" }), pandoc.Space() })
  return opened_with(div, content, lead, theorem_classes[kind])
end

-- A listing: a code block with an #lst- id and its lst-cap, under its caption "Listing 3.1: …".
local function listing(block)
  local entry = xref[block.identifier]
  if not entry then return nil end
  local caption = pandoc.List({ pandoc.Str(entry.label .. ":") })
  if block.attributes["lst-cap"] then
    caption:insert(pandoc.Space())
    caption:extend(pandoc.read(block.attributes["lst-cap"], "markdown").blocks[1].content)
  end
  local id = block.identifier
  block.identifier = ""
  block.attributes["lst-cap"] = nil
  if is_html then block.attributes["tabindex"] = "0" end
  return pandoc.Div({ pandoc.Div({ pandoc.Plain(caption) }, { class = "listing-caption" }), block },
    pandoc.Attr(id, { "listing" }, {}))
end

-- Proofs, remarks and solutions (unnumbered): the first paragraph opens with "Proof." in italics, as Quarto writes
-- it; a remark and a solution keep the proof's class, as Quarto's do.
local proof_titles = { proof = "Proof", remark = "Remark", solution = "Solution" }

local function proof(div, class)
  local content, title = named(div)
  local lead = pandoc.List({ pandoc.Span({ pandoc.Emph(label_and_name(proof_titles[class], title)), pandoc.Str("."),
    pandoc.Space() }, { class = "proof-title" }) })
  return opened_with(div, content, lead, "proof")
end

local function Div(div)
  for class, _ in pairs(proof_titles) do
    if div.classes:includes(class) and div.identifier == "" then
      return proof(div, class)
    end
  end
  local kind = div.identifier:match("^(%a+)%-")
  if kind and theorem_classes[kind] then
    return theorem(div, kind)
  end
  if div.classes:includes("panel-tabset") then
    return tabset(div)
  end
  if div.attributes["layout-ncol"] or div.attributes["layout-nrow"] or div.attributes["layout"] then
    return layout_panel(div)
  end
  if div.classes:includes("column-margin") then
    return margin(div)
  end
  if div.classes:includes("briefing-table") then
    return html_table(div)
  end
  if is_typst and div.classes:includes("correction") then
    -- A correction is read whole: it is never split across pages, nor its head left at a page's foot.
    return between("typst", "#block(breakable: false, width: 100%)[", div.content, "]")
  end
  for kind, _ in pairs(callout_titles) do
    if div.classes:includes("callout-" .. kind) then
      return callout(div, kind)
    end
  end
  if div.classes:includes("code-fold") then
    if is_html then
      local summary = div.attributes["summary"] or "Code"
      local shown = summary:gsub("&", "&amp;"):gsub("<", "&lt;")
      return between("html", '<details class="code-fold"><summary>' .. shown .. "</summary>", div.content, "</details>")
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
-- A mermaid diagram: on the site, its code in <pre class="mermaid">, which mermaid.js (loaded by the page) draws as
-- Quarto's pages do; in the PDF, the SVG the build drew from the same code (briefing.render.diagrams).
local function diagram(block)
  local content
  if is_typst then
    local alt = block.attributes["fig-alt"] or block.attributes["fig-cap"] or "Diagram"
    content = pandoc.Plain({ pandoc.Image({ pandoc.Str(alt) }, block.attributes["briefing-svg"]) })
  else
    local code = block.text:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
    local label = block.attributes["fig-alt"] or block.attributes["fig-cap"]
    local aria = label and (' role="img" aria-label="' .. label:gsub("&", "&amp;"):gsub('"', "&quot;") .. '"') or ""
    content = pandoc.RawBlock("html", '<pre class="mermaid" tabindex="0"' .. aria .. ">" .. code .. "</pre>")
  end
  local cap = block.attributes["fig-cap"]
  if block.identifier == "" and not cap then
    return is_typst and pandoc.Para(content.content) or content
  end
  local long = cap and pandoc.read(cap, "markdown").blocks or pandoc.Blocks({})
  long = prefix_caption(long, block.identifier)
  local classes = { "mermaid-figure" }
  local place = block.attributes["cap-location"]
  if is_html and (place == "margin" or place == "top") then table.insert(classes, place == "top" and "caption-top" or "margin-caption") end
  local figure = pandoc.Figure({ content }, { long = long }, pandoc.Attr(block.identifier, classes, {}))
  if is_typst and place == "top" then return typst_caption_at(figure, "top", "image") end
  return figure
end

local function CodeBlock(block)
  if block.classes:includes("mermaid") and block.attributes["briefing-svg"] then
    return diagram(block)
  end
  if block.identifier:match("^lst%-") then
    return listing(block)
  end
  if is_html then
    block.attributes["tabindex"] = "0"
    return block
  end
end

local function Image(img)
  if is_html and not img.src:match("^%a+:") and not img.src:match("^/") then
    img.src = root_prefix .. img.src
  end
  -- A plot outside a figure (a cell without a caption) still reads its fig-alt as its alternative text.
  local alt = img.attributes["fig-alt"]
  if alt then
    if alt ~= "" then img.caption = { pandoc.Str(alt) } end
    img.attributes["fig-alt"] = nil
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

-- An HTML heading ends with an anchor to itself, which Pandoc leaves out of the table of contents.
local function Header(header)
  if is_html and header.identifier ~= "" then
    header.content:insert(pandoc.Link({}, "#" .. header.identifier, "",
      pandoc.Attr("", { "anchor" }, { { "aria-label", "Link to this section" } })))
  end
  return header
end

-- A verdict badge: HTML keeps the span and its inline style; the PDF sets the same colours in a box.
local function Badge(span)
  if not is_typst then return nil end
  local style = span.attributes["style"] or ""
  local fill = style:match("background%-color:%s*(#%x+)") or "#dddddd"
  local ink = style:match(";%s*color:%s*(#%x+)") or "#000000"
  local out = pandoc.List({ pandoc.RawInline("typst",
    '#box(fill: rgb("' .. fill .. '"), inset: (x: 2.5pt), outset: (y: 2pt), radius: 2pt)[#text(fill: rgb("'
      .. ink .. '"), size: 0.85em)[') })
  out:extend(span.content)
  out:insert(pandoc.RawInline("typst", "]]"))
  return out
end

-- Words in another language ([« … »]{lang="fr"}): HTML keeps the span's lang; the PDF sets them as that
-- language, so the tagged PDF carries it too.
local function Language(span)
  local lang = span.attributes["lang"]
  if not is_typst or not lang or lang == "" then return nil end
  local code = lang:match("^(%a%a%a?)") or lang
  local out = pandoc.List({ pandoc.RawInline("typst", '#text(lang: "' .. code:lower() .. '")[') })
  out:extend(span.content)
  out:insert(pandoc.RawInline("typst", "]"))
  return out
end

-- A key or keys to press ({{< kbd Ctrl-C >}}, which the assembler writes as a .kbd span): <kbd> on the site, as
-- Quarto writes it; in the PDF, a small framed box in monospace.
local function Kbd(span)
  local keys = pandoc.utils.stringify(span.content)
  if is_html then
    return pandoc.RawInline("html", "<kbd>" .. keys:gsub("&", "&amp;"):gsub("<", "&lt;") .. "</kbd>")
  elseif is_typst then
    return pandoc.RawInline("typst", '#box(stroke: 0.5pt + luma(140), inset: (x: 2pt), outset: (y: 2pt), radius: 2pt)[#raw("'
      .. keys:gsub("\\", "\\\\"):gsub('"', '\\"') .. '")]')
  end
end

local function Spans(span)
  if span.classes:includes("kbd") then return Kbd(span) end
  if span.classes:includes("verdict-badge") then return Badge(span) end
  if span.attributes["lang"] then return Language(span) end
end

-- Conditional content (https://quarto.org/docs/authoring/conditional.html): .content-visible and
-- .content-hidden, with when-format / unless-format naming "html" or "typst" (or "pdf" for the PDF).
local function format_matches(name)
  if name == "html" then return is_html end
  if name == "typst" or name == "pdf" then return is_typst end
  return FORMAT == name
end

local function shown(el)
  local visible = el.classes:includes("content-visible")
  if not visible and not el.classes:includes("content-hidden") then return nil end
  local when, unless = el.attributes["when-format"], el.attributes["unless-format"]
  local applies = true
  if when then applies = format_matches(when) end
  if unless then applies = applies and not format_matches(unless) end
  if visible then return applies end
  return not applies
end

local function conditional(el)
  local keep = shown(el)
  if keep == nil then return nil end
  if keep then return el.content end
  return {}
end

local Conditional = { Div = conditional, Span = conditional }

-- Every table of a page scrolls in its own focusable frame when wider than the screen, as the data
-- tables do (a markdown table had none, and pushed its page sideways at 320 px).
local WrapTables = {
  traverse = "topdown",
  Div = function(div) if div.classes:includes("table-wrap") then return div, false end end,
  Table = function(tbl)
    local name = pandoc.utils.stringify(tbl.caption.long)
    if name == "" then name = "Table" end
    local place = table_cap_location(tbl)
    return placed_caption(keep_tokens_whole(tbl), place, name), false
  end,
}

-- A markdown table's caption place in the PDF (its caption's span carries it, as the assembler wrote it).
local TypstTables = {
  Table = function(tbl)
    if table_cap_location(tbl) == "bottom" then return typst_caption_at(tbl, "bottom", "table") end
    return tbl
  end,
}

return {
  { Meta = function(meta) read_meta(meta) end },
  Conditional,
  { Header = Header },
  { Div = Div },
  { Span = Spans, Cite = Cite, Figure = Figure, Link = Link, Image = Image, CodeBlock = CodeBlock },
  is_html and WrapTables or {},
  is_typst and { Str = Str } or {},
  is_typst and TypstTables or {},
}
