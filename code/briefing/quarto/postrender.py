"""``quarto render``'s post-render step (``_extensions/briefing/post-render.py`` runs :func:`main`).

Quarto runs it from the project folder after it rendered the book, with ``QUARTO_PROJECT_OUTPUT_DIR`` (the
site's folder) and ``QUARTO_PROJECT_OUTPUT_FILES`` (what it wrote). When the site was rendered, it gives
Quarto's pages the reader features the built-in engine's pages have, made by the same functions:

* every chapter page loads ``site_libs/reader.css``, ``reader.js`` and ``search.js`` (:func:`reader_head`),
  and holds the search box;
* the executed notebooks, as ``.ipynb`` and as pages with one anchor per cell
  (:mod:`briefing.render.notebook_page`), which every computed value links to (the record filter);
* the data package as downloads (:mod:`briefing.render.downloads`);
* the "What changed" page (:mod:`briefing.render.changes_page`, the built-in engine's page body) in the chrome
  of Quarto's first page, listed after the appendices in every page's sidebar;
* the offline search index and the previews, cut from the rendered pages (:mod:`briefing.render.search`,
  :mod:`briefing.render.previews`).

It writes only under the output folder.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

from briefing.quarto.outline import Outline, outline

HEAD_MARK = '<meta name="briefing-root"'
SEARCH_BOX = '<div class="search"></div>'


def reader_head(root: str) -> str:
    """What a page's ``<head>`` holds for the reader features; ``root``: the path from the page to the site's root."""
    root = html.escape(root)
    return (f'{HEAD_MARK} content="{root}" />\n'
            f'<link rel="stylesheet" href="{root}site_libs/reader.css" />\n'
            '<script>document.documentElement.classList.add("js");</script>\n'
            f'<script src="{root}site_libs/search.js" defer></script>\n'
            f'<script src="{root}site_libs/reader.js" defer></script>\n')


MAIN = re.compile(r"(<main\b[^>]*>)")


def with_reader_features(page: str, root: str) -> str:
    """A Quarto page with the reader features: its head loads them, and the search box opens its main column,
    in view at every width (Quarto's own search, ``book: search``, is off: it fetches ``search.json``, which a
    browser refuses from ``file://``). A page that has them already is returned as it is (Quarto leaves pages
    it did not render again)."""
    if HEAD_MARK in page:
        return page
    page = page.replace("</head>", reader_head(root) + "</head>", 1)
    return MAIN.sub(lambda m: m.group(1) + "\n" + SEARCH_BOX, page, count=1)


SIDEBAR_LINK = re.compile(r'(<a href="[^"]*" class="sidebar-item-text sidebar-link) active(")')
TITLE = re.compile(r"<title>.*?</title>", re.S)
BREADCRUMBS = re.compile(r'(<ol class="breadcrumb">).*?(</ol>)', re.S)
PAGE_NAVIGATION = re.compile(r'<nav class="page-navigation">.*?</nav>', re.S)
PAGE_CONTENTS = re.compile(r'<nav id="TOC" role="doc-toc"[^>]*>.*?</nav>', re.S)
MAIN_CONTENT = re.compile(r"(<main\b[^>]*>).*?(</main>)", re.S)


def sidebar_item(href: str, number: str, title: str) -> str:
    """An entry of Quarto's book sidebar, as Quarto writes one."""
    return (f'\n          <li class="sidebar-item">\n  <div class="sidebar-item-container"> \n'
            f'  <a href="{html.escape(href)}" class="sidebar-item-text sidebar-link">\n'
            f' <span class="menu-text"><span class="chapter-number">{html.escape(number)}</span>&nbsp; '
            f'<span class="chapter-title">{html.escape(title)}</span></span></a>\n  </div>\n</li>')


SIDEBAR_ENTRY = re.compile(r'<a href="([^"]*)" class="sidebar-item-text sidebar-link[^"]*">.*?</a>\s*</div>\s*</li>', re.S)


def _sidebar_target(page: str, href: str) -> str:
    import posixpath

    return posixpath.normpath(posixpath.join(posixpath.dirname(page), href.split("#")[0]))


def with_sidebar_item(text: str, page: str, after: str, item: str) -> str:
    """The page ``text`` (at ``page`` in the site) with ``item`` in its sidebar after the entry for ``after`` (a
    path in the site), however Quarto wrote that entry's link ("../chapters/x.html", "./chapters/x.html"); a
    page that lists the item already is returned as it is."""
    new = _sidebar_target(page, item.split('href="', 1)[1].split('"', 1)[0])
    entries = list(SIDEBAR_ENTRY.finditer(text))
    if any(_sidebar_target(page, entry.group(1)) == new for entry in entries):
        return text
    for entry in entries:
        if _sidebar_target(page, entry.group(1)) == after:
            return text[:entry.end()] + item + text[entry.end():]
    return text


def marked_current(text: str, page: str) -> str:
    """The page ``text`` with its own sidebar entry marked as the current page, as Quarto marks it."""
    for entry in SIDEBAR_ENTRY.finditer(text):
        if _sidebar_target(page, entry.group(1)) == page:
            start = entry.start() + entry.group(0).index('sidebar-link') + len("sidebar-link")
            return text[:start] + " active" + text[start:]
    return text


def generated_page(template: str, heading: str, book_title: str, body: str) -> str:
    """A page the build makes (What changed), in the chrome of ``template`` (a Quarto page at the site's root):
    its title, breadcrumb and main column are the page's, and no sidebar entry is marked as the current one."""
    page = TITLE.sub(lambda _: f"<title>{html.escape(heading)} – {html.escape(book_title)}</title>", template, count=1)
    page = SIDEBAR_LINK.sub(r"\1\2", page)
    page = BREADCRUMBS.sub(lambda m: m.group(1) + f'<li class="breadcrumb-item">{html.escape(heading)}</li>'
                           + m.group(2), page)
    page = PAGE_CONTENTS.sub("", PAGE_NAVIGATION.sub("", page))  # the template's, not this page's
    return MAIN_CONTENT.sub(lambda m: m.group(1) + "\n" + SEARCH_BOX + "\n" + body + "\n" + m.group(2), page, count=1)


def changes_page(book: Outline, pages: list, out: Path, letter: str) -> str | None:
    """Write the "What changed" page (lettered ``letter``, after the appendices) into the Quarto site ``out`` and
    list it in every page's sidebar; returns its path, or None for a project without a version."""
    from briefing.files import write_atomic
    from briefing.render import changes_page as changes
    from briefing.render.build import version_of
    from briefing.render.render import changes_chapter, changes_part, html_fragment
    from briefing.render.site import relative

    version = version_of(book.root)
    chapter, nb = changes_chapter(book.book, version.describe, book.titles)
    if chapter is None:
        return None
    part = changes_part(book.book, chapter, nb, letter)
    name = part.page
    body = html_fragment(book.book, part, name)
    heading = f"{letter} {changes.TITLE}"
    template = (out / pages[0][1]).read_text(encoding="utf-8")
    last = pages[-1][1]
    page = generated_page(with_reader_features(template, ""), heading, book.book.title, body)
    page = marked_current(with_sidebar_item(page, name, last, sidebar_item(name, letter, changes.TITLE)), name)
    write_atomic(out / name, page.encode("utf-8"), durable=False)
    for _, other in pages:
        text = (out / other).read_text(encoding="utf-8")
        listed = with_sidebar_item(text, other, last, sidebar_item(relative(other, name), letter, changes.TITLE))
        if listed != text:
            write_atomic(out / other, listed.encode("utf-8"), durable=False)
    return name


def finish_site(root: Path, out: Path) -> list[str]:
    """Give the Quarto site in ``out`` the reader features of the project at ``root``; returns what it wrote."""
    import shutil

    from briefing.files import write_atomic
    from briefing.render import downloads, notebook_page, previews, search
    from briefing.render import notebook as nbmod
    from briefing.render.numbers_appendix import next_letter
    from briefing.render.output import make_dirs
    from briefing.render.pandoc import asset
    from briefing.render.site import READER_ASSETS, page_of, relative, root_prefix

    out = Path(out).resolve()
    book = outline(root)
    pages = [(c, page_of(book.book, c.entry)) for c in book.chapters if (out / page_of(book.book, c.entry)).is_file()]
    written = []
    libs = out / "site_libs"
    make_dirs(libs)
    for name in ("briefing.css", *READER_ASSETS):  # the notebook pages are the briefing's own pages
        shutil.copyfile(asset(f"assets/{name}"), libs / name)
        written.append(f"site_libs/{name}")
    for _, page in pages:
        path = out / page
        text = path.read_text(encoding="utf-8")
        changed = with_reader_features(text, root_prefix(page))
        if changed != text:
            write_atomic(path, changed.encode("utf-8"), durable=False)
            written.append(page)
    make_dirs(out / "notebooks")
    for chapter, page in pages:
        if chapter.notebook is None:
            continue
        source = nbmod.notebook_path(book.root, chapter.entry.path)
        name = f"notebooks/{chapter.entry.stem}.html"
        write_atomic(out / "notebooks" / source.name, source.read_bytes(), durable=False)
        write_atomic(out / name, notebook_page.page(
            chapter.notebook, chapter_title=chapter.heading, chapter_href=relative(name, page),
            chapter_file=chapter.entry.path.relative_to(book.root).as_posix(), ipynb_href=source.name,
            css_href=relative(name, "site_libs/briefing.css"), reads=nbmod.data_reads(chapter.notebook),
            data_href=relative(name, "data") + "/", lang=book.book.lang, book_title=book.book.title,
            root=root_prefix(name)), durable=False)
        written += [f"notebooks/{source.name}", name]
    written += downloads.write(out, book.root / "data")
    site_pages = [page for _, page in pages]
    changes = changes_page(book, pages, out, next_letter([c.number for c in book.chapters])) if pages else None
    generated = {changes} if changes else set()
    site_pages += sorted(generated)
    write_atomic(libs / "search-index.js", search.index_script(out, site_pages, generated), durable=False)
    write_atomic(libs / "previews.js", previews.previews_script(out, site_pages), durable=False)
    return written + sorted(generated) + ["site_libs/search-index.js", "site_libs/previews.js"]


def main(argv: list[str] | None = None) -> int:
    root = Path(os.environ.get("QUARTO_PROJECT_DIR") or os.getcwd()).resolve()
    out = Path(os.environ.get("QUARTO_PROJECT_OUTPUT_DIR") or "_book")
    out = out if out.is_absolute() else root / out
    files = os.environ.get("QUARTO_PROJECT_OUTPUT_FILES", "").split("\n")
    if not any(name.endswith(".html") for name in files):  # the PDF alone: nothing of the site to finish
        return 0
    try:
        finish_site(root, out)
    except Exception as exc:  # one line for the author, as `briefing build` gives: Quarto shows the script's stderr
        print(f"briefing post-render: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
