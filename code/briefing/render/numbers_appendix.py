"""The PDF's last appendix, "Where the numbers come from": a source map, written from the executed notebooks.

The site shows, for each number, a popup with its expression and the documents it was read in;
a PDF cannot. So the PDF ends with the same record in print: for every chapter, the numbers its
verdict paragraphs rest on, each with its expression and its sources (publisher, title, the
place in the document, primary or secondary, and the full URL); then, in small print, the stamp
of each executed notebook (``chapters/_notebooks/NAME.ipynb``) and the SHA-256 of every data file
it read. Under real Quarto the pre-render step writes it for the PDF too (:mod:`briefing.quarto.prerender`).
"""

from __future__ import annotations

import string

from briefing.lineage import Ref, lineage_of
from briefing.render.kernel import INLINE_TAG
from briefing.render.notebook import data_reads
from briefing.render.qmd import Markdown, find_inline, relpath

TITLE = "Where the numbers come from"
ANCHOR = "where-the-numbers-come-from"
VERDICT = "verdict_head("
ZWSP = "\u200b"
MOST_PLACES = 3


def next_letter(numbers: list[str | None]) -> str:
    """The letter after the last appendix letter in ``numbers`` ("A" when there is none)."""
    letters = [n for n in numbers if n and n.isalpha()]
    if not letters:
        return "A"
    return string.ascii_uppercase[string.ascii_uppercase.index(letters[-1]) + 1]


def headline_cells(nb) -> list:
    """The inline cells of the chapter's verdict paragraphs (a paragraph that opens with ``verdict_head``),
    in order: each inline cell stands just before the markdown cell that quotes it."""
    chosen, pending = [], []
    for cell in nb.cells:
        if cell.cell_type == "code" and INLINE_TAG in cell.metadata.get("tags", []):
            pending.append(cell)
            continue
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.split("\n")
        verdict_lines = set()
        paragraph: list[int] = []
        for number, line in enumerate(lines + [""]):
            if line.strip():
                paragraph.append(number)
                continue
            if any(VERDICT in lines[n] for n in paragraph):
                verdict_lines.update(paragraph)
            paragraph = []
        for expr, inline_cell in zip(find_inline(Markdown(cell.source, 0)), pending):
            if expr.line in verdict_lines and is_number(inline_cell):
                chosen.append(inline_cell)
        pending = []
    return chosen


def is_number(cell) -> bool:
    """A printed number: a plain value with a digit, not a composed phrase or Markdown (a verdict's head, its evidence)."""
    from briefing.render.assemble import is_sentence

    outputs = cell.get("outputs", [])
    if any("text/markdown" in out.get("data", {}) for out in outputs):
        return False
    value = _value(cell)
    return any(ch.isdigit() for ch in value) and not is_sentence(value)


def _value(cell) -> str:
    from briefing.render.assemble import inline_value

    return inline_value(cell.get("outputs", []))


def breakable(url: str) -> str:
    """A URL as printed text that may wrap after a slash (a zero-width space there; the link is the URL)."""
    return url.replace("/", "/" + ZWSP).replace(ZWSP + ZWSP, ZWSP)


def _md(text: str) -> str:
    from briefing.present import md_escape

    return md_escape(text)


def source_lines(refs: list[Ref], documents: list[dict]) -> list[str]:
    """Each document a value's references resolve to, once, with the places in it: Markdown."""
    wanted = {r.as_json() for r in refs}
    lines = []
    for document in documents:
        places = [loc["locator"] for loc in document["locators"] if any(ref in wanted for ref in loc["refs"])]
        if not places:
            continue
        kind = document["kind"]
        if kind == "article":
            lines.append("the article checked here, " + "; ".join(_md(p) for p in places[:MOST_PLACES]))
            continue
        if kind in ("own", "data", "derived"):
            lines.append(_md(document["title"]) + (f" ({'; '.join(_md(p) for p in places)})" if places[0] else ""))
            continue
        status = document["confidence"] + (f", copy at {document['copy']}" if document.get("copy") else "")
        head = f"{_md(document['publisher'])}, *{_md(document['title'])}*" if document["publisher"] else f"*{_md(document['title'])}*"
        shown = [p for p in places if p]
        where = "; ".join(_md(p) for p in shown[:MOST_PLACES])
        if len(shown) > MOST_PLACES:
            where += f" and {len(shown) - MOST_PLACES} more places"
        url = document["url"]
        link = f" [{_md(breakable(url))}]({url})" if url.startswith("http") else ""
        lines.append(f"{head}{', ' + where if where else ''} ({_md(status)}).{link}")
    return lines


def markdown(pages, notebooks, letter: str | None) -> str:
    """The appendix in Pandoc markdown; ``pages`` are (entry, page, title, number) in book order; ``letter``:
    its appendix letter, or None where the book numbers its appendices itself (Quarto's Typst book)."""
    from briefing.sources import recorded_sources

    out = [
        f"# [{letter}]{{.header-section-number}} {TITLE} {{#{ANCHOR} .chapter}}" if letter else f"# {TITLE} {{#{ANCHOR}}}",
        "",
        "Every number in this book was computed when it was built, from rows of the briefing's data, each of "
        "which names the document it was read in and where. For each chapter, this appendix gives the numbers "
        "its verdicts rest on, with the expression that computed each and its sources: publisher, title, the "
        "place in the document, whether it was read in the original (primary) or in a copy (secondary), and the "
        "address. The site shows the same for every number, in a popup, and ends each chapter with its list of "
        "sources. The stamps and file hashes that make the record checkable close the appendix, in small print.",
    ]
    for (entry, _page, title, number), nb in zip(pages, notebooks):
        cells = headline_cells(nb)
        if not cells:
            continue
        documents, _ = recorded_sources(nb)
        heading = f"{number} {title}" if number else title
        out += ["", f"## {heading} {{.unnumbered .unlisted}}", ""]
        seen = set()
        for cell in cells:
            value, expr = _value(cell), cell.source
            if (value, expr) in seen or not value:
                continue
            seen.add((value, expr))
            refs = lineage_of(cell.get("outputs", [])) or []
            found = source_lines(refs, documents)
            sources = "; ".join(found) if found else "no data row: a constant or a definition of the chapter."
            out.append(f"- **{value}**, computed by `{expr}`: {sources}")
    out += ["", "## Stamps and file hashes {.unnumbered .unlisted}", "",
            "Each chapter's executed notebook is stamped with the SHA-256 over the chapter's code, the `briefing` "
            "library, the lock, the execute options and every data file it read: a different stamp means "
            "different inputs. Each file is listed with the SHA-256 verified when it was read."]
    out += ["", "```{=typst}", "#[", "#set text(size: 6.5pt)", "#show raw: set text(size: 6pt)", "```"]
    for (entry, _page, title, number), nb in zip(pages, notebooks):
        heading = f"{number} {title}" if number else title
        stamp = nb.metadata.get("briefing", {}).get("stamp", "")
        reads = data_reads(nb)
        out += ["", f"**{heading}**: source `{relpath(entry.path)}`, notebook stamp `{stamp}`."]
        if reads:
            out += ["", "| Data file | SHA-256 |", "|:---------|:---------------------|"]
            out += [f"| `{path}` | `{digest.removeprefix('sha256:')}` |" for path, digest in reads]
    out += ["", "```{=typst}", "]", "```"]
    return "\n".join(out) + "\n"
