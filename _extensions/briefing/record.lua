--[[
What the record says about this chapter, on its page:

- each computed value links to the cell of the executed notebook that computed it, and carries what its
  popup shows (the expression, the anchors of its sources in the chapter's list, its data rows and the named
  values it rests on); a value composed as a phrase stays text, followed by a small marker that is the link.
  A heading or a link shows its values bare (no link inside a link, none in the table of contents); the PDF
  shows every value bare.
- the site ends the chapter with the data files it read (each linked to its download, with the SHA-256 it
  had when read);
- both formats end it with the release that last changed it.

It runs after claim-links.lua, which makes a value that names claims a phrase, so that its claim links are never
inside the value's own link. The values come from the chapters' executed notebooks as `.computed` spans (the built-in engine's assembler,
or the frozen results the pre-render step writes for Quarto). What is said of each page comes from the
metadata, keyed by the chapter's source (the built-in engine gives the page's own entry; under Quarto the
pre-render step writes them all to `metadata-files`):

  briefing-pages:
    chapters/prices.qmd:
      notebook: ../notebooks/prices.html        (the executed notebook's page, from this page)
      last-changed: "Last changed in version 1.0.0 ([2026-12-02]{.nobr})."
      data-read:
        - {file: api_prices.csv, href: ../data/api_prices.csv, excel: ../data/excel/api_prices.csv,
           hash: "sha256:…"}
  briefing-input: chapters/prices.qmd          (the built-in engine; Quarto knows its input file)
  briefing-coverage: "` | Values | ...\n|:--|... `"  (what the book prints, by where it comes from, counted over
                                                every notebook: the ::: {#lineage-coverage} div shows it)
]]

local is_html = FORMAT:match("html") ~= nil
local page = nil

local function text(value)
  if value == nil then return "" end
  return pandoc.utils.stringify(value)
end

local function input_path(meta)
  if meta["briefing-input"] then return text(meta["briefing-input"]) end
  if quarto and quarto.doc and quarto.doc.input_file and quarto.project and quarto.project.directory then
    local input, root = quarto.doc.input_file, quarto.project.directory
    if input:sub(1, #root + 1) == root .. "/" then return input:sub(#root + 2) end
    return input
  end
  return nil
end

local coverage = nil

local function read_meta(meta)
  local pages, input = meta["briefing-pages"], input_path(meta)
  if pages and input then page = pages[input] end
  coverage = meta["briefing-coverage"]
end

-- The counts come as markdown in one code span, its line breaks written "\n" (briefing.render.site.markdown_text:
-- a metadata string is read as inline markdown, which would flatten the table).
local function Coverage(div)
  if div.identifier ~= "lineage-coverage" or not coverage then return nil end
  local encoded = text(coverage):gsub("\\(.)", function(c) return c == "n" and "\n" or c end)
  div.content = pandoc.read(encoded, "markdown").blocks
  return div
end

local function notebook_href()
  if not is_html or not page then return nil end
  local href = text(page["notebook"])
  if href == "" then return nil end
  return href
end

local function is_computed(el)
  return el.t == "Span" and el.classes:includes("computed")
end

local function bare_values(inlines)
  return pandoc.Inlines(inlines):walk({
    Span = function(span) if is_computed(span) then return span.content end end,
  })
end

local LINEAGE_ATTRIBUTES = { "data-expr", "data-sources", "data-rows", "data-names" }

local function Computed(span)
  if not is_computed(span) then return nil end
  local notebook = notebook_href()
  if not notebook then return span.content end
  local target = notebook .. "#" .. (span.attributes["data-cell"] or "")
  local attributes = {}
  for _, name in ipairs(LINEAGE_ATTRIBUTES) do
    if span.attributes[name] then attributes[#attributes + 1] = { name, span.attributes[name] } end
  end
  if span.classes:includes("sentence") then
    attributes[#attributes + 1] = { "data-value", pandoc.utils.stringify(span.content) }
    attributes[#attributes + 1] = { "aria-label", "Where this comes from" }
    local out = pandoc.List(span.content)
    out:insert(pandoc.Link({ pandoc.Span({ pandoc.Str("i") }, pandoc.Attr("", {}, { { "aria-hidden", "true" } })) },
      target, "", pandoc.Attr("", { "computed", "marker" }, attributes)))
    return out
  end
  return pandoc.Link(span.content, target, "", pandoc.Attr("", { "computed" }, attributes))
end

local Values = {
  traverse = "topdown",
  Header = function(header) header.content = bare_values(header.content); return header, false end,
  Link = function(link) link.content = bare_values(link.content); return link, false end,
  Span = function(span)
    if is_computed(span) then return Computed(span), false end
  end,
}

local function words(sentence)
  local out = pandoc.List()
  for word in sentence:gmatch("%S+") do
    if #out > 0 then out:insert(pandoc.Space()) end
    out:insert(pandoc.Str(word))
  end
  return out
end

-- The files of data/ the executed chapter read, each linked to its download (and an Excel copy of a table).
local function data_read()
  local reads = page and page["data-read"]
  if not is_html or not reads or #reads == 0 then return nil end
  local items = pandoc.List()
  for _, read in ipairs(reads) do
    local file, href, excel = text(read.file), text(read.href), text(read.excel)
    local name = pandoc.Code(file)
    local item = pandoc.List({ href ~= "" and pandoc.Link({ name }, href) or name })
    if excel ~= "" then
      local label = words("for Excel")
      label:insert(pandoc.Span({ pandoc.Str(" (" .. file .. ")") }, pandoc.Attr("", { "visually-hidden" })))
      item:extend({ pandoc.Space(), pandoc.Link(label, excel, "", pandoc.Attr("", { "excel" })) })
    end
    item:extend({ pandoc.Space(), pandoc.Code(text(read.hash), pandoc.Attr("", { "hash" })) })
    items:insert({ pandoc.Plain(item) })
  end
  local intro = words("The executed chapter read these files of")
  intro:extend({ pandoc.Space(), pandoc.Code("data/"), pandoc.Space() })
  intro:extend(words("(SHA-256 of each as read)."))
  if text(reads[1].href) ~= "" then
    intro:extend({ pandoc.Space() })
    intro:extend(words("Each links to its download."))
  end
  local notebook = notebook_href()
  if notebook then
    intro:extend({ pandoc.Space() })
    intro:extend(words("Every number above links to the cell of the"))
    intro:extend({ pandoc.Space(), pandoc.Link(words("executed notebook"), notebook), pandoc.Space() })
    intro:extend(words("that computed it."))
  end
  return {
    pandoc.Header(2, words("Data read by this chapter"),
      pandoc.Attr("data-read", { "chapter-data", "unnumbered", "unlisted" })),
    pandoc.Para(intro),
    pandoc.Div({ pandoc.BulletList(items) }, pandoc.Attr("", { "data-read" })),
  }
end

local function last_changed()
  local line = page and page["last-changed"]
  if not line or text(line) == "" then return nil end
  return pandoc.Div({ pandoc.Para(line) }, pandoc.Attr("", { "last-changed" }))
end

-- The last-changed line closes the chapter's text; the list of the data it read follows, as a section of its own.
local function Foot(doc)
  local line = last_changed()
  if line then doc.blocks:insert(line) end
  local data = data_read()
  if data then doc.blocks:extend(data) end
  return doc
end

return {
  { Meta = function(meta) read_meta(meta) end },
  { Div = Coverage },
  Values,
  { Pandoc = Foot },
}
