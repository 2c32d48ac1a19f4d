--[[
Data files named in words: in prose and captions a data file is named by its title in the data package
("the claims ledger" for data/claims.csv), linked on the site to its download (the file's name in the link's
title); a table (an inventory of files, a list of sources) keeps the names, linked to their downloads.

It runs after the engine's own filters (`at: post-quarto`), once tables and captions are built and computed
values are links (a name inside a link is left alone). Its metadata:

  briefing-data-titles:  {data/claims.csv: the claims ledger, ...}  (the package's resource titles)
  briefing-data-files:   [data/claims.csv, ...]  (the files the site offers for download; none under Quarto yet)
  briefing-root:         the path from the page to the site's root ("../"; under Quarto, from the source's place)
]]

local is_html = FORMAT:match("html") ~= nil
local root_prefix = ""
local data_files = {}
local data_titles = {}

-- A metadata value as text. An earlier filter may have written some of its characters raw (the engine writes a
-- right single quote raw for Typst, in the metadata too): they are text here.
local function text_of(value)
  if pandoc.utils.type(value) == "Inlines" then
    value = value:walk({ RawInline = function(raw) return pandoc.Str(raw.text) end })
  end
  return pandoc.utils.stringify(value)
end

-- Under Quarto the page's depth in the site is its source's depth in the project.
local function quarto_root()
  if not (quarto and quarto.doc and quarto.doc.input_file and quarto.project and quarto.project.directory) then
    return ""
  end
  local input, root = quarto.doc.input_file, quarto.project.directory
  if input:sub(1, #root + 1) ~= root .. "/" then return "" end
  local _, depth = input:sub(#root + 2):gsub("/", "")
  return string.rep("../", depth)
end

local function read_meta(meta)
  root_prefix = meta["briefing-root"] and text_of(meta["briefing-root"]) or quarto_root()
  if meta["briefing-data-titles"] then
    for path, title in pairs(meta["briefing-data-titles"]) do data_titles[path] = text_of(title) end
  end
  if meta["briefing-data-files"] then
    -- Quarto rebases a metadata value that names an existing file to the page ("../data/claims.csv"): the
    -- files are named from the project's root here, as the text names them
    for _, path in ipairs(meta["briefing-data-files"]) do data_files[(text_of(path):gsub("^[%./]*data/", "data/"))] = true end
  end
end

local function data_link(path)
  return root_prefix .. path
end

-- The title as inlines; in Typst a right single quote is written raw, as the engine writes it in every Str.
local function title_inlines(words)
  if is_html or not words:find("’", 1, true) then return pandoc.Inlines(words) end
  local out, rest = pandoc.Inlines({}), words
  while true do
    local i, j = rest:find("’", 1, true)
    if not i then break end
    if i > 1 then out:extend(pandoc.Inlines(rest:sub(1, i - 1))) end
    out:insert(pandoc.RawInline("typst", "’"))
    rest = rest:sub(j + 1)
  end
  if rest ~= "" then out:extend(pandoc.Inlines(rest)) end
  return out
end

local function named(path)
  local words = data_titles[path]
  if not words then return nil end
  if is_html and data_files[path] then  -- linked where the site offers the download
    return pandoc.Link(pandoc.Inlines(words), data_link(path), path)
  end
  return pandoc.Span(title_inlines(words))
end

-- A Str naming a data file ("(data/claims.csv)."): the inlines that replace it, the file given by
-- make(path), or nil when it names no known file. Trailing punctuation is not part of the name.
local function replace_path(text, make)
  local lead, path, tail = text:match("^([%(%[\"]?)(data/[%w_%-%./]+)(.-)$")
  if not path then return nil end
  while path ~= "" and not data_files[path] and not data_titles[path] and path:match("[%.%)]$") do
    tail = path:sub(-1) .. tail
    path = path:sub(1, -2)
  end
  local made = make(path)
  if not made then return nil end
  local out = pandoc.List()
  if lead ~= "" then out:insert(pandoc.Str(lead)) end
  out:insert(made)
  if tail ~= "" then out:insert(pandoc.Str(tail)) end
  return out
end

local function name_link(path)
  if is_html and data_files[path] then return pandoc.Link({ pandoc.Str(path) }, data_link(path)) end
end

-- In a table (an inventory of files, a list of sources) a data file keeps its name, linked to its download.
local NameLinks = {
  traverse = "topdown",
  Link = function(link) return link, false end,
  Str = function(str)
    local out = replace_path(str.text, name_link)
    if out then return out, false end
  end,
}

-- A table's scrolling frame is named by its caption, paths and all: the name a screen reader says uses words too.
local function in_words(text)
  return (text:gsub("data/[%w_%-%./]+", function(found)
    local path, tail = found, ""
    while path ~= "" and not data_titles[path] and path:match("[%.%)]$") do
      tail = path:sub(-1) .. tail
      path = path:sub(1, -2)
    end
    if data_titles[path] then return data_titles[path] .. tail end
  end))
end

local DataLinks
DataLinks = {
  traverse = "topdown",
  Link = function(link) return link, false end,
  Div = function(div)
    if div.attributes["aria-label"] then div.attributes["aria-label"] = in_words(div.attributes["aria-label"]) end
    return div
  end,
  Table = function(tbl)
    tbl.caption.long = pandoc.Blocks(tbl.caption.long):walk(DataLinks)
    return tbl:walk(NameLinks), false
  end,
  -- A table's source note that reached us as raw HTML (Quarto leaves it so beside the table it parses)
  RawBlock = function(raw)
    if not is_html or raw.format ~= "html" or not raw.text:find("data/", 1, true) then return nil end
    if not raw.text:match("^%s*<div class=\"table%-sources\"") then return nil end
    return pandoc.read(raw.text, "html").blocks:walk(DataLinks), false
  end,
  Code = function(code)
    local words = named(code.text)
    if words then return words, false end
    if is_html and data_files[code.text] then return pandoc.Link({ code }, data_link(code.text)), false end
  end,
  Str = function(str)
    local out = replace_path(str.text, function(path) return named(path) or name_link(path) end)
    if out then return out, false end
  end,
}

return {
  { Meta = read_meta },
  DataLinks,
}
