"""The site's offline search index, built with the pages.

Quarto's search fetches ``search.json``, which a browser refuses to load from
``file://``. This index is a script instead (``site_libs/search-index.js``, loaded
by a ``<script>`` tag, which ``file://`` allows): one entry per section of every
page (Pandoc's ``--section-divs`` sections), with the section's own text (its
subsections are entries of their own), its heading and its page's title.
``site_libs/search.js`` ranks the entries for a query and shows the matched words
in context. Folded code, the foot-of-page data list and heading anchors are left
out: the index holds what a reader reads.

The script is deterministic: pages in book order, sections in document order,
keys sorted, no time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html

SKIPPED = ("pre", "script", "style", "details", "nav")
SKIPPED_CLASSES = ("anchor", "chapter-data", "page-nav", "table-sources", "row-sources")
SPACE = re.compile(r"\s+")
BLOCKS = {"p", "div", "li", "ul", "ol", "td", "th", "tr", "table", "caption", "figure", "figcaption", "blockquote",
          "section", "h1", "h2", "h3", "h4", "h5", "h6", "br", "dd", "dt", "dl", "thead", "tbody"}


def _skipped(element) -> bool:
    if not isinstance(element.tag, str):
        return True
    classes = (element.get("class") or "").split()
    return element.tag in SKIPPED or any(c in classes for c in SKIPPED_CLASSES)


def _text(element, stop) -> str:
    """Text of ``element``, leaving out skipped elements and every element ``stop`` matches;
    block elements are set apart by a space, inline ones run on ("(Chowdhery et al. 2023)")."""
    parts = []

    def walk(node):
        for child in node:
            block = isinstance(child.tag, str) and child.tag in BLOCKS
            if _skipped(child) or stop(child):
                parts.append(" ")
            else:
                if block:
                    parts.append(" ")
                if child.text:
                    parts.append(child.text)
                walk(child)
                if block:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    if element.text:
        parts.append(element.text)
    walk(element)
    return SPACE.sub(" ", "".join(parts)).strip()


def _is_heading(element) -> bool:
    return isinstance(element.tag, str) and re.fullmatch(r"h[1-6]", element.tag) is not None


def page_entries(html: bytes, page: str) -> list[dict[str, str]]:
    """One entry per ``<section id>`` of the page's ``<main>``: url, page title, heading, own text."""
    tree = lxml.html.fromstring(html)
    mains = tree.xpath("//main")
    if not mains:
        return []
    main = mains[0]
    page_title = ""
    first = main.xpath(".//h1")
    if first:
        page_title = _text(first[0], lambda e: False)
    entries = []
    for section in main.xpath(".//section[@id]"):
        classes = (section.get("class") or "").split()
        if "chapter-data" in classes or str(section.get("id")).endswith("-sources"):
            continue  # the data a page read and its list of sources are found from the page, not searched
        heading = next((c for c in section if _is_heading(c)), None)
        title = _text(heading, lambda e: False) if heading is not None else page_title
        text = _text(section, lambda e: e is heading or (e.tag == "section" and e.get("id")))
        if not text and not title:
            continue
        entries.append({"u": f"{page}#{section.get('id')}", "p": page_title, "t": title, "x": text})
    return entries


def index_entries(staging: Path, pages: list[str]) -> list[dict[str, str]]:
    entries = []
    for page in pages:
        entries += page_entries((staging / page).read_bytes(), page)
    return entries


def index_script(staging: Path, pages: list[str]) -> bytes:
    """``site_libs/search-index.js``: the entries as a JavaScript array assigned to ``BRIEFING_SEARCH``."""
    payload = json.dumps(index_entries(staging, pages), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"window.BRIEFING_SEARCH = {payload};\n".encode("utf-8")
