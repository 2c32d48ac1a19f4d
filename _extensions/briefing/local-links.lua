--[[
In the PDF, a link to a place on the same page that the page does not have keeps its text and loses the link.

A chapter's table may carry a note of numbered sources, each row pointing to its source ("¹" linking to
"#t5c75c7c7-source-1"). On the site the note is there; a Typst document refuses a link to a label it
does not have, and the whole PDF fails. Links to other pages and to places that exist are left alone;
HTML output is not touched.

The PDF is one document: a link to a place in another chapter ("/chapters/prices.qmd#verdict-c13", as a table a
chapter prints as HTML links a claim to its verdict) is a link to that place, and a link to a chapter
("chapters/prices.qmd", which Quarto's PDF leaves as a link to a file) is a link to its heading, whose label
the pre-render step gives by the chapter's file name:

  briefing-pdf-labels: {prices.qmd: prices-per-token, ...} And a table printed as HTML says
"bank's" where its HTML said "bank&#x27;s": Quarto reads such a table for its PDF without decoding the
entities, which Typst would then print.
]]

if FORMAT:match("html") then return {} end

local ids = {}
local labels = {}

local function read_meta(meta)
  for name, label in pairs(meta["briefing-pdf-labels"] or {}) do labels[name] = pandoc.utils.stringify(label) end
end

local function collect(el)
  if el.identifier and el.identifier ~= "" then ids[el.identifier] = true end
end

local function unlink(link)
  local chapter_place = link.target:match("^[%./]*[^:#]*%.qmd#(.+)$")
  if chapter_place and ids[chapter_place] then
    link.target = "#" .. chapter_place
    return link
  end
  local chapter = link.target:match("^[^:#]-([^/:#]+%.qmd)$")
  if chapter and labels[chapter] and ids[labels[chapter]] then
    link.target = "#" .. labels[chapter]
    return link
  end
  local target = link.target:match("^#(.+)$")
  if target and not ids[target] then return link.content end
end

local ENTITIES = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'" }

local function decoded(str)
  if not str.text:find("&", 1, true) then return nil end
  local text = str.text:gsub("&#[xX](%x+);", function(hex) return utf8.char(tonumber(hex, 16)) end)
  text = text:gsub("&#(%d+);", function(dec) return utf8.char(tonumber(dec)) end)
  text = text:gsub("&(%a+);", function(name) return ENTITIES[name] end)
  if text ~= str.text then return pandoc.Str(text) end
end

return {
  { Meta = read_meta, Block = collect, Inline = collect },
  { Link = unlink, Str = decoded },
}
