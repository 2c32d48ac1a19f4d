"""The HTML site: page locations, relative links, the sidebar with parts and chapters."""

from __future__ import annotations

import html
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


READER_ASSETS = ("reader.js", "search.js")


def data_read_list(reads: list[tuple[str, str]], data_href: str) -> str:
    """The foot-of-page list of the data files a chapter read, each linked to its download, with its hash."""
    if not reads:
        return ""
    from briefing.render.downloads import EXCEL_FOLDER

    def excel(path: str) -> str:
        if not path.endswith(".csv"):
            return ""
        return (f' <a class="excel" href="{html.escape(data_href + EXCEL_FOLDER + "/" + path)}">'
                f'for Excel<span class="visually-hidden"> ({html.escape(path)})</span></a>')

    items = "\n".join(
        f'<li><a href="{html.escape(data_href + path)}"><code>{html.escape(path)}</code></a>{excel(path)} '
        f'<code class="hash">{html.escape(digest)}</code></li>'
        for path, digest in reads
    )
    return f'<ul class="data-read">\n{items}\n</ul>'
