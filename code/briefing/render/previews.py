"""Hover previews of cross-references and citations, built with the pages.

As Quarto's book pages do, a link to a figure, a table, a section or a
bibliography entry shows that target in a popup on hover or focus
(``site_libs/reader.js``). The popups' contents are cut from the rendered pages
at build time into ``site_libs/previews.js``, keyed by ``page#id`` from the
site's root, so they work from ``file://`` without fetching a page:

* a figure: the whole ``<figure>`` (image and caption);
* a table: its caption and its first :data:`TABLE_ROWS` rows, with a note of
  how many more there are;
* a section or chapter: its heading and first paragraph;
* a reference: the bibliography entry;
* a claim's verdict: its paragraph up to its evidence.

Links inside a popup are made relative to the site's root, like its images.

Only targets some page links to are kept. Ids, tab stops and heading anchors are
removed from the copies (an id must stay unique in the page a popup opens in);
image paths become relative to the site's root.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

import lxml.html

TABLE_ROWS = 6
TARGET = re.compile(r"^(fig|tbl|sec|ref|verdict)-")


def _clean(element, page: str):
    element = copy.deepcopy(element)
    element.tail = None
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        for attr in ("id", "tabindex", "aria-describedby"):
            node.attrib.pop(attr, None)
        for attr in [a for a in node.attrib if a.startswith("data-")]:  # a number's lineage is its own popup's
            node.attrib.pop(attr)
        if node.tag == "img" and node.get("src") and not re.match(r"^[a-z]+:|^/", node.get("src")):
            node.set("src", posixpath.normpath(posixpath.join(posixpath.dirname(page), node.get("src"))))
        if node.tag == "a" and node.get("href") and not re.match(r"^[a-z]+:|^/", node.get("href")):
            node.set("href", from_root(node.get("href"), page))
    for anchor in element.xpath('.//a[contains(concat(" ", @class, " "), " anchor ")]'):
        anchor.getparent().remove(anchor)
    for value in element.xpath('.//a[contains(concat(" ", @class, " "), " computed ")]'):
        if "marker" in value.get("class").split():  # a number's own popup does not open inside a popup
            value.drop_tree()
        else:
            value.drop_tag()
    return element


def from_root(href: str, page: str) -> str:
    """A link of ``page`` made relative to the site's root (``#x`` -> ``page.html#x``), as every link and
    image of a popup is: the popup opens on other pages, where the reader's script prefixes the root."""
    path, hash_, fragment = href.partition("#")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
    return path + hash_ + fragment


def _verdict_preview(head, page: str) -> str | None:
    """A verdict: its paragraph (the claim's id, its badge and the reasoning) without the evidence list."""
    paragraph = head.getparent()
    if paragraph is None or paragraph.tag != "p":
        return None
    paragraph = _clean(paragraph, page)
    for strong in paragraph.xpath("./strong"):
        if (strong.text or "").strip() == "Evidence:":
            for node in [strong, *strong.itersiblings()]:
                paragraph.remove(node)
            break
    return _html(paragraph)


def _html(element) -> str:
    return lxml.html.tostring(element, encoding="unicode").strip()


def _section_preview(section, page: str) -> str:
    heading = next((c for c in section if isinstance(c.tag, str) and re.fullmatch(r"h[1-6]", c.tag)), None)
    paragraph = next(iter(section.xpath("./p[normalize-space()]")), None)
    parts = [_html(_clean(node, page)) for node in (heading, paragraph) if node is not None]
    return "\n".join(parts)


def _table_preview(wrap, page: str) -> str:
    table = _clean(wrap, page)
    rows = table.xpath(".//tbody/tr")
    for row in rows[TABLE_ROWS:]:
        row.getparent().remove(row)
    html = _html(table)
    if len(rows) > TABLE_ROWS:
        html += f'\n<p class="preview-more">… and {len(rows) - TABLE_ROWS} more rows</p>'
    return html


def preview_of(element, page: str) -> str | None:
    """The popup content for the target ``element`` of ``page``, or None when it has none."""
    if element.tag == "figure" or (element.tag == "div" and element.xpath("./figure")):
        return _html(_clean(element, page))
    if element.tag == "table":
        wrap = element.getparent() if element.getparent() is not None and "table-wrap" in (element.getparent().get("class") or "") else element
        return _table_preview(wrap, page)
    if element.tag == "section":
        return _section_preview(element, page)
    if (element.get("id") or "").startswith("verdict-"):
        return _verdict_preview(element, page)
    if element.get("class") and "csl-entry" in element.get("class"):
        return _html(_clean(element, page))
    if element.tag in ("div", "span"):
        return _html(_clean(element, page))
    return None


def linked_targets(trees: dict[str, object]) -> set[str]:
    """``page#id`` of every fragment some page of the site links to."""
    targets = set()
    for page, tree in trees.items():
        for href in tree.xpath("//main//a/@href"):
            path, _, fragment = href.partition("#")
            if not fragment or re.match(r"^[a-z]+:", path):
                continue
            target_page = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
            targets.add(f"{target_page}#{unquote(fragment)}")
    return targets


def previews(staging: Path, pages: list[str]) -> dict[str, str]:
    trees = {page: lxml.html.fromstring((staging / page).read_bytes()) for page in pages}
    chapters = {page: {s.get("id") for s in tree.xpath("//main/section[@id]")} for page, tree in trees.items()}
    out = {}
    for target in sorted(linked_targets(trees)):
        page, _, ident = target.partition("#")
        if page not in trees or not (TARGET.match(ident) or ident in chapters[page]):
            continue
        found = trees[page].xpath("//*[@id=$id]", id=ident)
        if not found:
            continue
        content = preview_of(found[0], page)
        if content:
            out[target] = content
    return out


def previews_script(staging: Path, pages: list[str]) -> bytes:
    """``site_libs/previews.js``: the popups as an object assigned to ``BRIEFING_PREVIEWS``."""
    payload = json.dumps(previews(staging, pages), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"window.BRIEFING_PREVIEWS = {payload};\n".encode("utf-8")
