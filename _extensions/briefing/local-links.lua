--[[
In the PDF, a link to a place on the same page that the page does not have keeps its text and loses the link.

A chapter's table may carry a note of numbered sources, each row pointing to its source ("¹" linking to
"#t5c75c7c7-source-1"). On the site the note is there; a Typst document refuses a link to a label it
does not have, and the whole PDF fails. Links to other pages and to places that exist are left alone;
HTML output is not touched.
]]

if FORMAT:match("html") then return {} end

local ids = {}

local function collect(el)
  if el.identifier and el.identifier ~= "" then ids[el.identifier] = true end
end

local function unlink(link)
  local target = link.target:match("^#(.+)$")
  if target and not ids[target] then return link.content end
end

return {
  { Block = collect, Inline = collect },
  { Link = unlink },
}
