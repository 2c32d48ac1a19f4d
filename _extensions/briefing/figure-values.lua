--[[
The values a figure draws, for a reader who cannot see it.

A chapter prints the values of a figure as a table in a div beneath it (briefing.present.figure_values):

  ::: {.figure-values for="fig-verdict-counts" alt="The values (claims): Accurate 2; …"}
  | Verdict | Claims |
  …
  :::

This filter adds the div's `alt` sentence to the end of that figure's alt text (`fig-alt`, or its caption when
it has none), so that a screen reader hears the numbers; on the site the table is folded under "The figure's
values"; in other formats (the PDF, whose figures print at full size with their labels) it is left out.
]]

local sentences = {}

local function collect(div)
  if div.classes:includes("figure-values") and div.attributes["for"] then
    sentences[div.attributes["for"]] = div.attributes["alt"]
  end
end

local function with_values(img, sentence)
  local alt = img.attributes["fig-alt"] or pandoc.utils.stringify(img.caption)
  if alt:sub(-#sentence) == sentence then return img end
  img.attributes["fig-alt"] = (alt ~= "" and alt .. " " or "") .. sentence
  return img
end

local function Image(img)
  local sentence = sentences[img.identifier]
  if sentence then return with_values(img, sentence) end
end

local function Figure(fig)
  local sentence = sentences[fig.identifier]
  if not sentence then return nil end
  fig.content = fig.content:walk({ Image = function(img) return with_values(img, sentence) end })
  return fig
end

-- Under Quarto a figure reaches user filters as its own node (a FloatRefTarget), holding the image.
local function FloatRefTarget(float)
  local sentence = sentences[float.identifier]
  if not sentence then return nil end
  float.content = pandoc.Blocks(float.content):walk({ Image = function(img) return with_values(img, sentence) end })
  return float
end

local function Div(div)
  if not div.classes:includes("figure-values") then return nil end
  if not FORMAT:match("html") then return {} end
  local out = pandoc.Blocks({ pandoc.RawBlock("html",
    '<details class="figure-values"><summary>The figure\'s values</summary>') })
  out:extend(div.content)
  out:insert(pandoc.RawBlock("html", "</details>"))
  return out
end

return {
  { Div = collect },
  { Image = Image, Figure = Figure, FloatRefTarget = FloatRefTarget, Div = Div },
}
