--[[
Runs after citeproc. Every page is processed with all of the book's citations
(nocite), so author-year labels are disambiguated the same way on every page
(DeepSeek-AI 2024a, 2024b); this filter then keeps in a page's reference list
only the entries that page cites. Pages listed as `briefing-all-references`
(the references chapter) keep them all.
]]

-- The references heading citeproc adds gets the link anchor every other heading has (HTML).
local function anchor_heading(header)
  if not FORMAT:match("html") or header.identifier ~= "bibliography" then return nil end
  header.content:insert(pandoc.Link({}, "#" .. header.identifier, "",
    pandoc.Attr("", { "anchor" }, { { "aria-label", "Link to this section" } })))
  return header
end

local keep_all = false
local cited = {}

return {
  { Header = anchor_heading },
  {
    Meta = function(meta)
      keep_all = meta["briefing-all-references"] == true
    end,
  },
  {
    Pandoc = function(doc)
      doc.blocks:walk({
        Cite = function(cite)
          for _, citation in ipairs(cite.citations) do cited["ref-" .. citation.id] = true end
        end,
      })
    end,
  },
  {
    Div = function(div)
      if keep_all or not div.identifier:match("^ref%-") then return nil end
      if cited[div.identifier] then return nil end
      return {}
    end,
  },
  {
    Pandoc = function(doc)
      if keep_all then return nil end
      local blocks = pandoc.List()
      local empty = false
      for _, block in ipairs(doc.blocks) do
        if block.t == "Div" and block.identifier == "refs" and #block.content == 0 then
          empty = true
        else
          blocks:insert(block)
        end
      end
      if empty then
        blocks = blocks:filter(function(b) return not (b.t == "Header" and b.identifier == "bibliography") end)
      end
      doc.blocks = blocks
      return doc
    end,
  },
}
