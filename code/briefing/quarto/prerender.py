"""``quarto render``'s pre-render step (``_extensions/briefing/pre-render.py`` runs :func:`main`).

Quarto runs it from the project folder, with the project's Python (``QUARTO_PYTHON``), before it renders the
book; it reads the project again afterwards, so the metadata written here reaches every chapter through
``metadata-files`` in ``_quarto.yml``:

* ``briefing-claims``: where each claim's verdict is argued (:func:`briefing.verdicts.verdict_links`),
  which the claim-links filter turns into links;
* ``briefing-data-titles``: what the text calls each data file (:func:`briefing.data.resource_titles`);
* ``briefing-data-files``: the data files the site offers for download (the post-render step writes them);
* ``briefing-pages``: what the record filter says at the foot of each chapter (:func:`pages`);
* ``briefing-coverage``: the lineage counts the "Data and methods" appendix shows (:func:`coverage_table`);
* ``briefing-pdf-labels``: the label of each chapter's heading in the PDF (:func:`pdf_labels`);
* ``nocite``: every reference the book cites, so that each chapter's citations read as the book's
  (:func:`book_citations`).

It writes the PDF's generated appendices, "What changed between editions" and "Where the numbers come from",
as Typst (``.briefing-cache/quarto/appendices.typ``, which ``_quarto.yml`` includes after the book's body,
where Quarto's appendix numbering goes on: D, E), converted by the same functions and filters as the
built-in engine's PDF (:func:`appendices_typst`).

It also writes Quarto's ``_freeze/`` from the committed notebooks (:mod:`briefing.quarto.freeze`), so that
Quarto executes only the chapters whose record is stale.

It writes only under the build cache (``.briefing-cache/quarto/``) and Quarto's own ``_freeze/``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from briefing.quarto.outline import Outline, outline

from briefing.render.output import QUARTO_STEPS_DIR  # noqa: E402

METADATA = f"{QUARTO_STEPS_DIR}/metadata.yml"
APPENDICES = f"{QUARTO_STEPS_DIR}/appendices.typ"


def metadata(root: Path, book: Outline | None = None) -> dict:
    """The document metadata the extension's filters read, for the project at ``root``."""
    from briefing.data import resource_titles
    from briefing.render.downloads import site_files
    from briefing.render.site import markdown_text
    from briefing.verdicts import verdict_links

    book = book or outline(root)
    data = book.root / "data"
    return {"briefing-claims": verdict_links(data), "briefing-data-titles": resource_titles(data),
            "briefing-data-files": site_files(data), "briefing-pages": pages(book),
            "briefing-coverage": markdown_text(coverage_table(book)), "briefing-pdf-labels": pdf_labels(book),
            **book_citations(book)}


def pdf_labels(book: Outline) -> dict[str, str]:
    """The label of each chapter's heading in Quarto's PDF, by the chapter's file name (local-links.lua makes a
    link to a chapter a link to its heading)."""
    return {c.entry.path.name: quarto_label(c.title) for c in book.chapters}


def book_citations(book: Outline) -> dict:
    """``nocite`` naming every reference the book cites, for each chapter: Quarto runs citeproc chapter by chapter,
    and citeproc tells two works of one author and year apart ("DeepSeek-AI 2024a" and "2024b") only among the
    references it sees; the built-in engine gives each page the same list (:func:`briefing.render.render_book`)."""
    from briefing.render.render import bib_keys, pandoc_citations

    keys = bib_keys(book.book.bibliography)
    if not keys:
        return {}
    texts = []
    for chapter in book.chapters:
        texts.append(chapter.entry.path.read_text(encoding="utf-8"))
        for cell in chapter.notebook.cells if chapter.notebook is not None else []:
            for output in cell.get("outputs", []):
                markdown = output.get("data", {}).get("text/markdown")
                if markdown:
                    texts.append("".join(markdown) if isinstance(markdown, list) else markdown)
    cited = pandoc_citations("\n\n".join(texts)) & keys
    return {"nocite": " ".join(f"@{key}" for key in sorted(cited))} if cited else {}


def coverage_table(book: Outline) -> str:
    """What the book prints, by where it comes from, counted over the committed notebooks
    (:func:`briefing.coverage.markdown`, as the built-in engine counts it)."""
    from briefing import coverage

    return coverage.markdown(coverage.book([(c.entry.stem, c.notebook) for c in book.chapters
                                            if c.notebook is not None]))


def pages(book: Outline) -> dict[str, dict]:
    """What the record filter says at the foot of each chapter's page (:func:`briefing.render.site.page_record`),
    by the chapter's source, from its committed notebook. A chapter Quarto executes because its notebook is
    stale is described by that notebook until ``briefing build`` records it again."""
    from briefing.render import notebook as nbmod
    from briefing.render.changes_page import last_changed_line
    from briefing.render.downloads import site_files
    from briefing.render.site import page_of, page_record

    offered = site_files(book.root / "data")
    out = {}
    for chapter in book.chapters:
        entry, nb = chapter.entry, chapter.notebook
        out[entry.path.relative_to(book.root).as_posix()] = page_record(
            page_of(book.book, entry), entry.stem if nb is not None else None,
            nbmod.data_reads(nb) if nb is not None else [], offered, last_changed_line(book.root, entry.path))
    return out


def quarto_label(title: str) -> str:
    """The label Quarto's Typst book gives a chapter: Pandoc's identifier for its title
    (https://pandoc.org/MANUAL.html#extension-auto_identifiers): "Prices per token" -> "prices-per-token"."""
    text = re.sub(r"[^\w\s.-]", "", title.lower())
    text = re.sub(r"\s+", "-", text.strip())
    return re.sub(r"^[^a-z]+", "", text) or "section"


def appendices_typst(root: Path, book: Outline | None = None) -> str:
    """The PDF's generated appendices as Typst: what changed since the last release (a project with a version)
    and where the numbers come from, from the committed notebooks; chapter links point to Quarto's labels."""
    from briefing.render import changes_page, numbers_appendix
    from briefing.render.build import version_of
    from briefing.render.pandoc import run_pandoc
    from briefing.render.render import FRAGMENT_READER
    from briefing.verdicts import verdict_links

    book = book or outline(root)
    parts = []
    changes = changes_page.page_markdown(book.root, version_of(book.root).describe, book.titles)
    if changes:
        parts.append(changes)
    shown = [c for c in book.chapters if c.notebook is not None]
    parts.append(numbers_appendix.markdown([(c.entry, None, c.title, c.number) for c in shown],
                                           [c.notebook for c in shown], None))
    labels = pdf_labels(book)
    labels.update({c.entry.path.relative_to(book.root).as_posix(): labels[c.entry.path.name] for c in book.chapters})
    meta = {"briefing-chapters": labels, "briefing-claims": verdict_links(book.root / "data"), "lang": book.book.lang}
    return run_pandoc("\n\n".join(parts), "typst", meta, {}, ["--syntax-highlighting=none"], book.root,
                      "appendices (typst)", reader=FRAGMENT_READER, filters=book.book.filters)


def write_if_changed(target: Path, payload: bytes) -> Path:
    from briefing.files import write_atomic

    if not target.is_file() or target.read_bytes() != payload:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, payload)
    return target


def write_metadata(root: Path, book: Outline | None = None) -> Path:
    """Write :data:`METADATA` (JSON, which is YAML), atomically and only when it changes."""
    payload = (json.dumps(metadata(root, book), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    return write_if_changed(Path(root) / METADATA, payload)


def write_appendices(root: Path, book: Outline | None = None) -> Path:
    """Write :data:`APPENDICES`, atomically and only when it changes."""
    return write_if_changed(Path(root) / APPENDICES, appendices_typst(root, book).encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    from briefing.quarto.freeze import write_freeze

    root = Path(os.environ.get("QUARTO_PROJECT_DIR") or os.getcwd()).resolve()
    try:
        book = outline(root)
        write_metadata(root, book)
        write_appendices(root, book)
        done = write_freeze(root)
        stale = [name for name, what in done.items() if what != "frozen"]
        if stale:
            print("briefing: executed by Quarto (their notebooks are stale or missing; `briefing build` "
                  "records them): " + ", ".join(stale), file=sys.stderr)
    except Exception as exc:  # one line for the author, as `briefing build` gives: Quarto shows the script's stderr
        print(f"briefing pre-render: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
