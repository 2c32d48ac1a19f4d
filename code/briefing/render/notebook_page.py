"""An executed notebook as a page of the site, one anchor per cell.

The site publishes each chapter's executed notebook twice: the ``.ipynb``
(``notebooks/NAME.ipynb``, what nbval re-checks) and this page
(``notebooks/NAME.html``), where every cell has the anchor ``#cell-N`` (its
notebook id), so an inline value in a chapter links to the very cell that
computed it. A cell shows its source, where it stands in the ``.qmd``, and its
outputs as text; a figure or an HTML table is named and left to the chapter.
The page's last section lists the data files the chapter read, with their
hashes, and the notebook's stamp.
"""

from __future__ import annotations

import html

from briefing.render.kernel import INLINE_TAG, READS_TAG

RICH_ONLY = {"image/svg+xml": "a figure", "image/png": "a figure", "text/html": "an HTML table"}


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _pre(text: str, label: str) -> str:
    return f'<pre tabindex="0" aria-label="{html.escape(label)}"><code>{html.escape(text)}</code></pre>'


def _outputs(cell, chapter_href: str) -> list[str]:
    out = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            out.append(_pre(_text(output.get("text", "")), f"{cell['id']} output"))
        elif kind == "error":
            out.append(_pre(f"{output.get('ename')}: {output.get('evalue')}", f"{cell['id']} error"))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            rich = next((RICH_ONLY[m] for m in RICH_ONLY if m in data), None)
            if rich:
                out.append(f'<p class="nb-rich">Output: {rich}, shown in <a href="{chapter_href}">the chapter</a>.</p>')
            elif "text/markdown" in data:
                out.append(_pre(_text(data["text/markdown"]), f"{cell['id']} value"))
            elif "text/plain" in data:
                out.append(_pre(_text(data["text/plain"]), f"{cell['id']} value"))
    return out


def page(nb, *, chapter_title: str, chapter_href: str, chapter_file: str, ipynb_href: str, css_href: str,
         reads: list[tuple[str, str]], data_href: str, lang: str, book_title: str, root: str) -> bytes:
    """The notebook ``nb`` as a standalone HTML page."""
    title = f"Executed notebook: {chapter_title}"
    stamp = nb.metadata.get("briefing", {}).get("stamp", "")
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p>The cells of <a href="{chapter_href}">{html.escape(chapter_title)}</a> ({html.escape(chapter_file)}) as the '
        f'build executed them, in order. Download the notebook: <a href="{ipynb_href}">{html.escape(ipynb_href.rsplit("/", 1)[-1])}</a> '
        f"(nbval re-runs it in the tests). Stamp: <code>{html.escape(stamp)}</code>.</p>",
    ]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        place = cell.get("metadata", {}).get("briefing", {})
        written = (f"{chapter_file} line {place.get('line')}" if "written" not in place
                   else "{} line {} (included)".format(*place["written"].rsplit(":", 1)))
        if READS_TAG in tags:
            where = "after the last cell: the data files the chapter read"
        elif INLINE_TAG in tags:
            where = f"inline value, {written}"
        elif cell.cell_type == "raw":
            where = f"not executed (eval: false), {written}"
        else:
            where = f"code cell, {written}"
        count = cell.get("execution_count")
        label = f"{cell['id']}" + (f" · In [{count}]" if count else "")
        parts = [f'<section class="nb-cell" id="{cell["id"]}" aria-label="{html.escape(cell["id"])}">',
                 f'<p class="nb-where"><a href="#{cell["id"]}">{html.escape(label)}</a> · {html.escape(where)}</p>',
                 _pre(cell.source, f"{cell['id']} source")]
        parts += _outputs(cell, chapter_href)
        parts.append("</section>")
        body.append("\n".join(parts))
    items = "\n".join(f'<li><a href="{data_href}{html.escape(path)}"><code>{html.escape(path)}</code></a> '
                      f'<code class="hash">{html.escape(digest)}</code></li>' for path, digest in reads)
    body.append(f'<section id="data-read"><h2>Data read</h2><ul class="data-read">{items}</ul></section>')
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{html.escape(title)} – {html.escape(book_title)}</title>\n"
        f'<meta name="briefing-root" content="{html.escape(root)}" />\n'
        f'<link rel="stylesheet" href="{css_href}" />\n'
        f'<link rel="stylesheet" href="{html.escape(root)}site_libs/reader.css" />\n'
        f'<script src="{html.escape(root)}site_libs/reader.js" defer></script>\n</head>\n<body class="notebook-page">\n'
        f'<header class="topbar"><a class="book-title" href="{chapter_href}">← {html.escape(chapter_title)}</a></header>\n'
        '<main id="content" class="notebook">\n' + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    ).encode("utf-8")
