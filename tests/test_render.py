"""The built-in engine on the fixture book (tests/fixtures/book).

Inline values come from DeepSeek-V3 Technical Report (arXiv 2412.19437), Table 1:
2664K + 119K + 5K = 2788K H800 GPU-hours, $5.576M at $2 per GPU-hour.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from conftest import copy_book, run_build


def page(book: Path, name: str) -> str:
    return (book / "_book" / name).read_text(encoding="utf-8")


def text(html: str) -> str:
    """What a reader reads: the page without its tags."""
    return re.sub(r"<[^>]+>", "", html)


TEMPLATE_SCRIPTS = ['<script>', '<script src="{root}site_libs/search.js" defer>',
                    '<script src="{root}site_libs/reader.js" defer>',
                    '<script src="{root}site_libs/tabsets.js" defer>']  # the index and previews load when used


def scripts_are_the_templates(html: str, root: str) -> bool:
    """The page's only scripts are the template's: the site's own files and one line that marks JavaScript on."""
    return re.findall(r"<script[^>]*>", html) == [s.format(root=root) for s in TEMPLATE_SCRIPTS]


def test_site_pages_pdf_and_notebooks_are_written(built_book):
    out = built_book / "_book"
    for name in ["index.html", "chapters/numbers.html", "chapters/figures.html", "chapters/appendix.html",
                 "fixture-book.pdf", "site_libs/briefing.css", "notebooks/numbers.ipynb"]:
        assert (out / name).is_file(), name
    assert (out / "fixture-book.pdf").read_bytes().startswith(b"%PDF")


def test_inline_expressions_are_computed_and_recorded_in_the_notebook(built_book):
    html = page(built_book, "chapters/numbers.html")
    # Each value links to its cell on the notebook's page and carries the expression as written and the
    # chapter's names it rests on, each with the cell that defines it.
    assert ('The run took <a href="../notebooks/numbers.html#cell-1" class="computed" '
            'data-expr="f&quot;{total:,}&quot;" data-names="total:cell-0 gpu_hours:cell-0">2,788</a> thousand GPU-hours') in html
    assert ('or <a href="../notebooks/numbers.html#cell-2" class="computed" data-expr="total * 2 / 1000" '
            'data-names="total:cell-0 gpu_hours:cell-0">5.576</a> million dollars') in html
    notebook = page(built_book, "notebooks/numbers.html")
    assert re.search(r'<section class="nb-cell" id="cell-1"[^>]*>.*?total:,.*?2,788', notebook, re.S)
    nb = nbformat.read(built_book / "chapters/_notebooks/numbers.ipynb", as_version=4)
    inline = [c for c in nb.cells if "inline-expression" in c.metadata.get("tags", [])]
    assert [c.source for c in inline] == ['f"{total:,}"', "total * 2 / 1000"]
    assert inline[0].outputs[0]["data"]["text/plain"] == "'2,788'"
    assert inline[1].outputs[0]["data"]["text/plain"] == "5.576"
    assert nb.metadata["briefing"]["stamp"]


def test_figures_are_svg_numbered_with_caption_and_alt_text(built_book):
    html = page(built_book, "chapters/figures.html")
    figure = re.search(r'<figure id="fig-bars">(.*?)</figure>', html, re.S).group(1)
    assert 'src="../figures/figures/fig-bars.svg"' in figure
    assert 'alt="Bar chart: pre-training dominates with 2664 thousand GPU-hours."' in figure
    assert "Figure 2.1: GPU-hours by stage" in figure
    svg = (built_book / "_book/figures/figures/fig-bars.svg").read_text()
    assert "<svg" in svg and "<dc:date>" not in svg


def test_cross_references_are_numbered_links_across_pages(built_book):
    index = page(built_book, "index.html")
    assert '<a href="chapters/numbers.html#sec-totals" class="quarto-xref">Section 1.1</a>' in index
    assert '<a href="chapters/numbers.html">the numbers chapter</a>' in index
    figures = page(built_book, "chapters/figures.html")
    assert '<a href="#fig-bars" class="quarto-xref">Figure 2.1</a>' in figures
    assert '<a href="numbers.html#tbl-hours" class="quarto-xref">Table 1.1</a>' in figures


def test_dataframes_become_captioned_html_tables(built_book):
    html = page(built_book, "chapters/numbers.html")
    table = re.search(r'<table id="tbl-hours"[^>]*>(.*?)</table>', html, re.S).group(1)
    assert "<caption>Table 1.1: GPU-hours by stage (thousands)</caption>" in table
    assert '<td style="text-align: right;">2664</td>' in table and "<pre" not in table  # numbers right-aligned


def test_callouts_with_titles_and_unnumbered_heading_titles(built_book):
    html = page(built_book, "chapters/numbers.html")
    assert 'class="callout callout-note"' in html and "Where the numbers come from" in html
    warning = re.search(r'class="callout callout-warning".*?</div>\s*</div>', html, re.S).group(0)
    assert "A warning with a heading title" in warning
    assert "header-section-number" not in warning


def test_citations_are_disambiguated_alike_on_every_page_and_listed_where_cited(built_book):
    numbers = page(built_book, "chapters/numbers.html")
    assert '<a href="#ref-deepseekv3" role="doc-biblioref">DeepSeek-AI 2024b</a>' in numbers
    assert 'id="ref-deepseekv3"' in numbers and 'id="ref-deepseekv2"' not in numbers
    figures = page(built_book, "chapters/figures.html")
    assert '<a href="#ref-deepseekv2" role="doc-biblioref">DeepSeek-AI 2024a</a>' in figures
    assert 'id="ref-deepseekv2"' in figures and 'id="ref-deepseekv3"' not in figures
    appendix = page(built_book, "chapters/appendix.html")
    assert 'id="ref-deepseekv3"' in appendix and 'id="ref-deepseekv2"' in appendix
    assert 'id="bibliography"' not in page(built_book, "index.html")


def test_math_is_mathml_and_every_asset_is_local(built_book):
    html = page(built_book, "chapters/numbers.html")
    assert '<math display="inline"' in html and '<math display="block"' in html
    for name in ["index.html", "chapters/numbers.html", "chapters/figures.html", "chapters/appendix.html"]:
        text = page(built_book, name)
        assert not re.search(r'(src|href)="(https?:)?//', text), name
        assert scripts_are_the_templates(text, "../" if "/" in name else ""), name


def test_sidebar_parts_toc_navigation_and_footer(built_book):
    html = page(built_book, "chapters/numbers.html")
    sidebar = re.search(r'<nav class="sidebar".*?</nav>', html, re.S).group(0)
    assert '<li class="part">Analysis</li>' in sidebar and '<li class="part">Appendices</li>' in sidebar
    assert '<a href="numbers.html" aria-current="page">1&#160;Numbers</a>' in sidebar
    assert '<a href="appendix.html">A&#160;Methods</a>' in sidebar
    assert '<a class="prev" rel="prev" href="../index.html">← Preface</a>' in html
    assert '<a class="next" rel="next" href="figures.html">Figures →</a>' in html
    assert 'class="page-toc"' in html and 'href="#sec-totals"' in html
    assert 'href="../notebooks/numbers.html">executed notebook</a>' in html
    assert '<a href="numbers.ipynb">numbers.ipynb</a>' in page(built_book, "notebooks/numbers.html")
    assert 'href="../fixture-book.pdf"' in html
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"' in html


def test_code_is_folded_and_hidden_cells_stay_hidden(built_book):
    html = page(built_book, "chapters/numbers.html")
    assert '<details class="code-fold"><summary>Code</summary>' in html
    assert "stdout line" in html
    assert "gpu_hours = {" not in html


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_has_title_page_toc_numbered_chapters_figures_tables_references(built_book, tmp_path):
    text = subprocess.run(["pdftotext", "-layout", str(built_book / "_book/fixture-book.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    first_page = text.split("\f")[0]
    assert "Fixture Book" in first_page and "Edition unversioned of " in first_page
    for expected in ["Contents", "1 Numbers", "1.1 Totals", "2 Figures", "A Methods", "ANALYSIS",  # a part: a heading in capitals
                     "Figure 2.1: GPU-hours by stage", "Table 1.1: GPU-hours by stage (thousands)",
                     "Where the numbers come from", "2,788 thousand GPU-hours", "DeepSeek-V3 Technical Report"]:
        assert expected in text, expected


def test_unchanged_build_is_a_no_op(book_copy):
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "nothing changed" in out


def test_prose_edit_renders_from_frozen_notebooks_without_a_kernel(book_copy):
    qmd = book_copy / "chapters/numbers.qmd"
    qmd.write_text(qmd.read_text().replace("The run took", "In all, the run took"))
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "executed" not in out
    assert "frozen   chapters/numbers.qmd" in out
    assert "In all, the run took 2,788 thousand GPU-hours" in text(page(book_copy, "chapters/numbers.html"))
    nb = nbformat.read(book_copy / "chapters/_notebooks/numbers.ipynb", as_version=4)
    assert any("In all, the run took" in c.source for c in nb.cells if c.cell_type == "markdown")


def test_changed_code_cell_or_data_file_reexecutes(book_copy):
    qmd = book_copy / "chapters/numbers.qmd"
    qmd.write_text(qmd.read_text().replace('"Post-training": 5}', '"Post-training": 6}'))
    (book_copy / "data").mkdir()
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "executed chapters/numbers.qmd" in out
    assert "2,789 thousand GPU-hours" in text(page(book_copy, "chapters/numbers.html"))
    (book_copy / "data" / "extra.csv").write_text("a\n1\n")  # a file no chapter reads (issue 12)
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "executed " not in out and out.count("frozen ") == 4, out


def test_refresh_reexecutes_everything(book_copy):
    code, out, err = run_build(book_copy, "--refresh")
    assert code == 0, err
    assert out.count("executed ") == 4


def test_two_clean_builds_are_byte_identical(tmp_path):
    trees = []
    for name in ("one", "two"):
        project = copy_book(tmp_path / name)
        code, out, err = run_build(project)
        assert code == 0, err
        files = sorted(p for p in (project / "_book").rglob("*") if p.is_file())
        trees.append({str(p.relative_to(project)): p.read_bytes() for p in files})
    assert trees[0].keys() == trees[1].keys()
    different = [name for name in trees[0] if trees[0][name] != trees[1][name]]
    assert different == []


def _unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not _unshare_works(), reason="unshare -n is not permitted here")
def test_build_succeeds_without_a_network(book_copy):
    code, out, err = run_build(book_copy, "--refresh", prefix=["unshare", "-n"])
    assert code == 0, err
    assert out.count("executed ") == 4


# -- bad input: one clear line with file and line; the last good _book/ stays ------------------


def _break(book: Path, chapter: str, old: str, new: str) -> None:
    path = book / chapter
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _assert_fails_and_keeps_book(book: Path, expected: str):
    before = {p: p.read_bytes() for p in (book / "_book").rglob("*") if p.is_file()}
    code, out, err = run_build(book)
    assert code == 1
    assert expected in err, err
    after = {p: p.read_bytes() for p in (book / "_book").rglob("*") if p.is_file()}
    assert after == before
    assert not list(book.glob(".book-staging-*"))
    return err


def test_a_raising_cell_names_the_chapter_line_and_traceback(book_copy):
    _break(book_copy, "chapters/numbers.qmd", "print(\"stdout line\")", "print(1 / 0)")
    err = _assert_fails_and_keeps_book(book_copy, "chapters/numbers.qmd:42: cell raised an exception")
    assert "ZeroDivisionError" in err


def test_an_unknown_cross_reference_names_file_and_line(book_copy):
    _break(book_copy, "chapters/figures.qmd", "@tbl-hours lists them", "@tbl-missing lists them")
    _assert_fails_and_keeps_book(book_copy, "chapters/figures.qmd:11: unknown cross-reference @tbl-missing")


def test_a_missing_citation_key_names_file_and_line(book_copy):
    _break(book_copy, "chapters/numbers.qmd", "in all [@deepseekv3]", "in all [@nosuchkey]")
    _assert_fails_and_keeps_book(book_copy, "chapters/numbers.qmd:13: citation @nosuchkey is not in the bibliography")


def test_bad_front_matter_names_file_and_line(book_copy):
    _break(book_copy, "chapters/figures.qmd", 'title: "Figures"', 'title: "Figures\n  bad: [')
    _assert_fails_and_keeps_book(book_copy, "chapters/figures.qmd:")


def test_a_malformed_cell_option_names_file_and_line(book_copy):
    _break(book_copy, "chapters/figures.qmd", "#| label: fig-bars", "#| label: [fig-bars")
    _assert_fails_and_keeps_book(book_copy, "chapters/figures.qmd:14: malformed cell option")


def test_a_non_boolean_echo_is_an_error(book_copy):
    _break(book_copy, "chapters/numbers.qmd", "#| echo: true", "#| echo: sometimes")
    _assert_fails_and_keeps_book(book_copy, "chapters/numbers.qmd:41: malformed cell option: 'echo' must be true or false")


def test_an_unknown_cell_option_is_a_warning_with_file_and_line(book_copy):
    _break(book_copy, "chapters/figures.qmd", "#| label: fig-bars", "#| label: fig-bars\n#| fig-wdth: 5")
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "warning: chapters/figures.qmd:15: unknown cell option 'fig-wdth' (ignored)" in err


def test_text_from_data_is_escaped_in_html(built_book):
    html = page(built_book, "chapters/numbers.html")
    assert "&lt;script&gt;alert(‘fr’)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert('table')&lt;/script&gt;" in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert scripts_are_the_templates(html, "../")
    assert "<script" not in re.search(r"<main.*</main>", html, re.S).group(0)


def test_pdf_apostrophes_are_not_primes(built_book, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    text = subprocess.run(["pdftotext", str(built_book / "_book/fixture-book.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "version 1’s features" in text and "1′s" not in text


def test_eval_output_and_warning_options(built_book):
    html = page(built_book, "chapters/figures.html")
    assert "never_run = 1 / 0" in html
    assert "output suppressed" not in html
    assert "after the hidden warning" in html and "a hidden warning" not in html
    assert "a shown warning" in html
    nb = nbformat.read(built_book / "chapters/_notebooks/figures.ipynb", as_version=4)
    assert any(c.cell_type == "raw" and "never_run" in c.source for c in nb.cells)


def test_number_sections_false_is_honoured_per_format(book_copy):
    config = book_copy / "_quarto.yml"
    config.write_text(config.read_text().replace(
        "  html:\n    toc: true\n    number-sections: true", "  html:\n    toc: false\n    number-sections: false"))
    code, out, err = run_build(book_copy)
    assert code == 0, err
    numbers, figures = page(book_copy, "chapters/numbers.html"), page(book_copy, "chapters/figures.html")
    assert "header-section-number" not in numbers + figures
    assert 'class="page-toc"' not in numbers
    assert "<caption>Table 1: GPU-hours by stage (thousands)</caption>" in numbers
    assert "Figure 1: GPU-hours by stage" in figures
    assert '<a href="numbers.html#tbl-hours" class="quarto-xref">Table 1</a>' in figures
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(book_copy / "_book/fixture-book.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "Figure 2.1: GPU-hours by stage" in text and "1.1 Totals" in text
