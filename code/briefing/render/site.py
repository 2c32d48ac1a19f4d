"""The HTML site: page locations, relative links, the sidebar with parts and chapters."""

from __future__ import annotations

import html
import re
import posixpath

from briefing.render.project import Book, Entry


def page_of(book: Book, entry: Entry) -> str:
    """Output page of a chapter, mirroring Quarto: index.qmd -> index.html, chapters/x.qmd -> chapters/x.html."""
    rel = entry.path.relative_to(book.root).with_suffix(".html")
    return rel.as_posix()


def relative(from_page: str, to_path: str) -> str:
    """A link from one page of the site to another file of it."""
    start = posixpath.dirname(from_page) or "."
    return posixpath.relpath(to_path, start)


def root_prefix(page: str) -> str:
    depth = page.count("/")
    return "../" * depth


def sidebar(book: Book, pages: list[tuple[Entry, str, str, str | None]], current: str) -> str:
    """Nested list of parts and chapters; the current page is marked with aria-current."""
    out, part, appendix_open = ["<ul>"], None, False
    for entry, page, title, number in pages:
        if entry.appendix and not appendix_open:
            out.append('<li class="part">Appendices</li>')
            appendix_open = True
        elif entry.part != part and entry.part:
            out.append(f'<li class="part">{html.escape(entry.part)}</li>')
        part = entry.part
        label = f"{number}&#160;{html.escape(title)}" if number else html.escape(title)
        current_attr = ' aria-current="page"' if page == current else ""
        out.append(f'<li><a href="{html.escape(relative(current, page))}"{current_attr}>{label}</a></li>')
    out.append("</ul>")
    return "\n".join(out)


READER_ASSETS = ("reader.css", "reader.js", "search.js")
"""What every page of the site loads for the reader features, whichever engine made it (``site_libs/``)."""
ENGINE_ASSETS = ("briefing.css", "tabsets.js")
"""The built-in engine's own theme, and the script for what it draws that Quarto draws itself (tabsets)."""


def page_record(page: str, stem: str | None, reads: list[tuple[str, str]], data_files: list[str],
                last_changed: str = "") -> dict:
    """What the extension's record filter says at the foot of ``page`` (``briefing-pages`` in the metadata): the
    executed notebook's page, the data files the chapter read (each linked to its download when the site offers
    one, with the SHA-256 it had when read) and the release that last changed it. ``stem``: the chapter's
    notebook, None for a page made by the build."""
    from briefing.render.downloads import excel_path

    offered = set(data_files)

    def href(path: str) -> str:
        return relative(page, path) if path in offered else ""

    return {
        "notebook": relative(page, f"notebooks/{stem}.html") if stem else "",
        "data-read": [{"file": path, "href": href(f"data/{path}"), "excel": href(excel_path(path)), "hash": digest}
                      for path, digest in reads],
        "last-changed": last_changed,
    }


def markdown_text(markdown: str) -> str:
    """Markdown blocks as a metadata value the extension's filters read back (the record filter's coverage
    table). A metadata string is read as inline markdown, which would flatten a table and curl its dashes, and
    Quarto merges a list's equal items (two blank lines would become one): so the text is one code span, which
    keeps it as written, with each line break written ``\\n`` and each backslash ``\\\\``."""
    body = markdown.replace("\\", "\\\\").replace("\n", "\\n")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    return f"{fence} {body} {fence}"
