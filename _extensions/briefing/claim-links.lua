--[[
Claim ids link to the paragraph that argues their verdict.

A claim id written in the text as "[C07]", or standing alone in a table cell as "C07", becomes a
link to that claim's verdict paragraph ("chapters/training-cost.qmd#verdict-c07"); the link to the
.qmd file is then resolved to the page (HTML) or the anchor (PDF) like any other link to a chapter,
and the site previews the verdict on hover. The map from id to paragraph comes from the claims
ledger, in the document's metadata:

  briefing-claims:
    C07: chapters/training-cost.qmd#verdict-c07

The same holds in the text of a table a chapter prints as HTML. An id inside a link, a heading, or the verdict head that defines it is left alone; an id in
parentheses ("(C03)") is a reference beside a link already, and stays text. A computed value that
names claims becomes a phrase (text with a marker), so that its claim links are never inside the
value's own link.
]]

local targets = {}

local function read_meta(meta)
  local map = meta["briefing-claims"]
  if not map then return end
  for id, target in pairs(map) do
    targets[id] = pandoc.utils.stringify(target)
  end
end

local function link_to(id)
  return pandoc.Link({ pandoc.Str(id) }, targets[id], "", pandoc.Attr("", { "claim-ref" }))
end

-- "[C07]", "[C07]," or "C07" alone: the inlines that replace the token, or nil when it names no claim.
local function split(text)
  local lead, id, tail = text:match("^(%[)(C%d%d+)(%].*)$")
  if not lead then
    id, tail = text:match("^(C%d%d+)([%.,;:]?)$")
    lead = ""
  end
  if not id or not targets[id] then return nil end
  local out = pandoc.List()
  if lead ~= "" then out:insert(pandoc.Str(lead)) end
  out:insert(link_to(id))
  if tail ~= "" then out:insert(pandoc.Str(tail)) end
  return out
end

-- A table a chapter printed as HTML (pandas) reaches the filters as raw HTML: the same rule applies to the
-- text between its tags, except inside a link.
local function html_link(id)
  return '<a href="' .. targets[id] .. '" class="claim-ref">' .. id .. "</a>"
end

local function link_raw_html(text)
  return (text:gsub("(<[^>]*>)([^<]+)", function(tag, segment)
    if tag:match("^<a[%s>]") then return nil end
    local out = segment:gsub("%[(C%d%d+)%]", function(id)
      if targets[id] then return "[" .. html_link(id) .. "]" end
    end)
    local lead, id, tail = out:match("^(%s*)(C%d%d+)(%s*)$")
    if id and targets[id] then out = lead .. html_link(id) .. tail end
    return tag .. out
  end))
end

local function names_a_claim(inlines)
  local found = false
  pandoc.Inlines(inlines):walk({ Str = function(str) if split(str.text) then found = true end end })
  return found
end

local ClaimLinks = {
  traverse = "topdown",
  Header = function(header) return header, false end,
  Link = function(link) return link, false end,
  Span = function(span)
    if span.identifier:match("^verdict%-") then return span, false end
    if span.classes:includes("computed") and not span.classes:includes("sentence") and names_a_claim(span.content) then
      span.classes:insert("sentence")
      return span
    end
  end,
  Str = function(str)
    local out = split(str.text)
    if out then return out, false end
  end,
  RawBlock = function(raw)
    if raw.format == "html" and raw.text:match("<table") then
      raw.text = link_raw_html(raw.text)
      return raw
    end
  end,
}

return {
  { Meta = function(meta) read_meta(meta) end },
  ClaimLinks,
}
