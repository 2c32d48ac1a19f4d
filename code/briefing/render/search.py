"""The site's offline search index, built with the pages.

Quarto's search fetches ``search.json``, which a browser refuses to load from
``file://``. This index is a script instead (``site_libs/search-index.js``, loaded
by a ``<script>`` tag, which ``file://`` allows): one entry per section of every
page (Pandoc's ``--section-divs`` sections), with the section's own text (its
subsections are entries of their own), its heading and its page's title.
``site_libs/search.js`` ranks the entries for a query and shows the matched words
in context. Each correction of the log and each verdict paragraph is an entry of its own; reference
tables rank low and verdicts high (an entry's weight ``w``). Math is indexed as the text it shows,
never its TeX source. Folded code, the foot-of-page data list and heading anchors are left
out: the index holds what a reader reads.

The script is deterministic: pages in book order, sections in document order,
keys sorted, no time.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html

SKIPPED = ("pre", "script", "style", "details", "nav", "annotation")  # MathML's TeX source is not what a reader reads
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


REFERENCE_SHARE = 0.6
"""A section whose text is at least this share table cells is reference matter (a list of sources, an
inventory of files): it ranks at :data:`REFERENCE_WEIGHT` of its score, below prose that says the same."""
REFERENCE_WEIGHT = 0.3
VERDICT_WEIGHT = 2.0
"""A verdict paragraph is what most searches are for: it ranks at twice its score."""
UNITS = ('.//div[@id and contains(concat(" ", @class, " "), " correction ")]'
         ' | .//p[span[starts-with(@id, "verdict-")]]')
"""Parts of a section indexed as entries of their own: each correction of the log, each verdict paragraph."""


def _owner(element):
    """The nearest ``<section id>`` around ``element``."""
    return next((a for a in element.iterancestors("section") if a.get("id")), None)


def _unit_entry(unit, page: str, page_title: str) -> dict:
    if unit.tag == "div":
        return {"u": f"{page}#{unit.get('id')}", "p": page_title, "t": f"Correction {unit.get('id').upper()}",
                "x": _text(unit, lambda e: False), "w": 1}
    head = unit.xpath('./span[starts-with(@id, "verdict-")]')[0]
    badge = unit.xpath('./span[contains(concat(" ", @class, " "), " verdict-badge ")]')
    title = "Verdict " + _text(head, lambda e: False) + (" " + _text(badge[0], lambda e: False) if badge else "")
    return {"u": f"{page}#{head.get('id')}", "p": page_title, "t": title,
            "x": _text(unit, lambda e: e is head or (badge and e is badge[0])), "w": VERDICT_WEIGHT}


def page_entries(html: bytes, page: str) -> list[dict[str, str]]:
    """One entry per ``<section id>`` of the page's ``<main>``: url, page title, heading, own text and
    weight (``w``); each correction and each verdict paragraph is an entry of its own (:data:`UNITS`)."""
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
        units = [u for u in section.xpath(UNITS) if _owner(u) is section]
        text = _text(section, lambda e: e is heading or (e.tag == "section" and e.get("id")) or e in units)
        tables = sum(len(_text(t, lambda e: False)) for t in section.xpath(".//table") if _owner(t) is section)
        weight = REFERENCE_WEIGHT if text and tables >= REFERENCE_SHARE * len(text) else 1
        if text or title:
            entries.append({"u": f"{page}#{section.get('id')}", "p": page_title, "t": title, "x": text, "w": weight})
        entries += [_unit_entry(unit, page, page_title) for unit in units]
    return entries


def index_entries(staging: Path, pages: list[str], generated: set[str] = frozenset()) -> list[dict[str, str]]:
    """Every page's entries; a page the engine generates (What changed: a diff between editions, raw data
    cells and expressions) is reference matter and ranks at :data:`REFERENCE_WEIGHT`."""
    entries = []
    for page in pages:
        found = page_entries((staging / page).read_bytes(), page)
        if page in generated:
            for entry in found:
                entry["w"] = REFERENCE_WEIGHT
        entries += found
    return entries


def index_script(staging: Path, pages: list[str], generated: set[str] = frozenset()) -> bytes:
    """``site_libs/search-index.js``: the entries as a JavaScript array assigned to ``BRIEFING_SEARCH``."""
    payload = json.dumps(index_entries(staging, pages, generated), ensure_ascii=False, sort_keys=True,
                         separators=(",", ":"))
    return f"window.BRIEFING_SEARCH = {payload};\n".encode("utf-8")
