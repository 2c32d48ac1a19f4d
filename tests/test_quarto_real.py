"""The reader features under real Quarto (issue 21). These tests run only when ``quarto`` is on PATH (Quarto
has no package in the registries CI reaches; it can be assembled from its source, outside the project), with
this interpreter as ``QUARTO_PYTHON``. CI never needs them; run them before changing the extension."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import copy_project

pytestmark = pytest.mark.skipif(not shutil.which("quarto"), reason="real Quarto is not on PATH")


@pytest.fixture(scope="module")
def quarto_book(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("quarto") / "project")
    (project / ".sources").write_text("\n".join(sorted(str(p.relative_to(project)) for p in project.rglob("*"))))
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    result = subprocess.run(["quarto", "render", "--to", "html"], cwd=project, env=env, capture_output=True,
                            text=True, check=False, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    (project / ".render-log").write_text(result.stdout + result.stderr, encoding="utf-8")
    return project


def render(project) -> str:
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    result = subprocess.run(["quarto", "render", "--to", "html"], cwd=project, env=env, capture_output=True,
                            text=True, check=False, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_quarto_starts_no_kernel_when_the_notebooks_are_current(quarto_book):
    log = (quarto_book / ".render-log").read_text(encoding="utf-8")
    assert "Starting python3 kernel" not in log and "Executing '" not in log, log[-2000:]
    page = (quarto_book / "_book/chapters/prices.html").read_text(encoding="utf-8")
    assert "3.65%" in page and "prices_files/figure-html/fig-prices-task-output-1.svg" in page


def test_after_a_data_edit_quarto_executes_exactly_the_chapters_that_read_it(tmp_path):
    from test_quarto_freeze import change_one_exchange_rate, chapters_reading

    project = copy_project(tmp_path / "project")
    change_one_exchange_rate(project)
    log = render(project)
    executed = set(re.findall(r"Executing '([\w-]+)\.quarto_ipynb'", log))
    assert executed == chapters_reading(project, "data/fx_rates.csv"), log[-2000:]


def test_quarto_links_every_claim_id_to_its_verdict(quarto_book):
    page = (quarto_book / "_book/chapters/verdicts.html").read_text(encoding="utf-8")
    link = '<a href="../chapters/training-cost.html#verdict-c07" class="claim-ref">C07</a>'
    assert link in page
    target = (quarto_book / "_book/chapters/training-cost.html").read_text(encoding="utf-8")
    assert 'id="verdict-c07"' in target


def test_quarto_names_data_files_in_words(quarto_book):
    page = (quarto_book / "_book/chapters/prices.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    assert "(the API price table)" in text and "(data/api_prices.csv)" not in text
    assert 'href="../data/api_prices.csv" title="data/api_prices.csv">the API price table</a>' in page
    assert (quarto_book / "_book/data/api_prices.csv").read_bytes() == (quarto_book / "data/api_prices.csv").read_bytes()


def test_quartos_values_link_to_their_notebook_cells_and_its_pages_list_the_data_read(quarto_book):
    """The record filter and the post-render step: every computed value reaches the cell that computed it, and
    each chapter ends with the files its notebook records reading, as the built-in engine's pages do."""
    import lxml.html
    import nbformat

    from briefing.render.notebook import data_reads

    site = quarto_book / "_book"
    pages = [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] not in ("site_libs", "notebooks")]
    linked = 0
    for page in pages:
        tree = lxml.html.fromstring(page.read_bytes())
        for href in tree.xpath('//main//a[contains(@class, "computed")]/@href'):
            target, _, anchor = href.partition("#")
            notebook = lxml.html.fromstring((page.parent / target).resolve().read_bytes())
            assert notebook.xpath("//*[@id=$id]", id=anchor), (page.name, href)
            linked += 1
    assert linked > 300, linked
    tree = lxml.html.fromstring((site / "chapters/training-cost.html").read_bytes())
    listed = [(i.xpath("./a/code/text()")[0], i.xpath('./code[@class="hash"]/text()')[0])
              for i in tree.xpath('//*[@id="data-read"]//div[@class="data-read"]//li')]
    nb = nbformat.read(quarto_book / "chapters/_notebooks/training-cost.ipynb", as_version=4)
    assert listed == data_reads(nb)


def test_quartos_data_and_methods_page_counts_what_the_book_prints(quarto_book):
    from briefing.quarto.outline import outline
    from briefing.quarto.prerender import coverage_table

    text = " ".join(re.sub(r"<[^>]+>", " ", (quarto_book / "_book/chapters/data-and-methods.html")
                           .read_text(encoding="utf-8")).split())
    assert "The counts are written here by the build" not in text
    report = coverage_table(outline(quarto_book))
    assert "Numbers and values in the text" in report
    printed = re.search(r"\| Numbers and values in the text \| ([\d,]+) \|", report).group(1)
    assert f"Numbers and values in the text {printed} " in text


def test_quartos_site_searches_and_shows_where_a_number_comes_from_from_file_urls(quarto_book):
    """In Chromium, from file:// (no server): the search box finds a word of another chapter, and on a phone a
    tap on a computed value opens its popup on screen."""
    from test_site import CHROMIUM, CHROMIUM_FLAGS
    from playwright.sync_api import sync_playwright

    page_url = (quarto_book / "_book/chapters/prices.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
            page = phone.new_page()
            page.goto(page_url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing pushes the page sideways
            page.locator(".search input").fill("Stargate")
            page.locator(".search-results a").first.wait_for(timeout=10000)
            assert "Markets and money" in page.locator(".search-results").inner_text()
            page.keyboard.press("Escape")
            value = page.locator("main a.computed").first
            value.scroll_into_view_if_needed()
            value.tap()
            popup = page.locator(".popup:not([hidden])")
            popup.wait_for(timeout=10000)
            box = popup.bounding_box()
            assert box["y"] >= 0 and box["y"] + min(box["height"], 120) <= 844, box
            assert "Computed by" in popup.inner_text()
        finally:
            browser.close()


def test_quarto_states_each_figures_values_in_its_alt_text(quarto_book):
    page = (quarto_book / "_book/chapters/verdicts.html").read_text(encoding="utf-8")
    alts = [html.unescape(a) for a in re.findall(r'<img[^>]*alt="([^"]*)"', page)]
    assert any("The values (Claims): Accurate: " in alt for alt in alts), alts
    assert '<details class="figure-values"><summary>The figure\'s values</summary>' in page


def test_quarto_writes_only_its_output_and_the_cache(quarto_book):
    """Quarto's own folders aside (.quarto, _freeze), a render adds files only to _book/ and the build cache."""
    assert (quarto_book / ".briefing-cache/quarto/metadata.yml").is_file()
    before = set((quarto_book / ".sources").read_text().splitlines()) | {".sources", ".render-log"}
    added = {str(p.relative_to(quarto_book)) for p in quarto_book.rglob("*")} - before
    assert {a.split("/")[0] for a in added} <= {"_book", ".briefing-cache", ".quarto", "_freeze"}, sorted(added)[:20]


def test_both_engines_give_the_same_pages_text_numbers_and_reader_features(quarto_book, real_book):
    """tools/compare_engines.py on the two books: the same pages, the same text and numbers on every page (the
    engines' chrome left out), the same cross-reference labels, figures and reader features. Its full report is
    saved as a test artifact."""
    import importlib.util

    from conftest import ARTIFACTS, ROOT

    spec = importlib.util.spec_from_file_location("compare_engines", ROOT / "tools/compare_engines.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    report = tool.compare(real_book / "_book", quarto_book / "_book")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "engines-compared.md").write_text("\n".join(tool.report_lines(report)) + "\n", encoding="utf-8")
    assert report["pages_only_quarto"] == [] and report["pages_only_builtin"] == []
    for name, page in report["pages"].items():
        assert page["differences"] == [] and page["text_ratio"] == 1.0, (name, page["differences"][:3])
        assert not page["numbers_only_builtin"] and not page["numbers_only_quarto"], name
        assert not page["xrefs_only_builtin"] and not page["xrefs_only_quarto"], (name, page)
        assert page["figures"][0] == page["figures"][1], name
        assert page["features"]["claim links"][0] == page["features"]["claim links"][1], name
        for feature in ("figure values", "provenance on computed values", "search from file://",
                        "verdict previews", "last-changed line"):
            assert page["features"][feature][0] == page["features"][feature][1], (name, feature)
    assert report["downloads"][0] == report["downloads"][1] > 0


def test_quartos_pdf_builds_from_the_record_with_the_appendices(quarto_book):
    """The PDF too starts no kernel (its freeze entries are typ.json), and compiles: the table notes' in-page
    links once made Typst refuse the whole book."""
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    result = subprocess.run(["quarto", "render", "--to", "typst"], cwd=quarto_book, env=env, capture_output=True,
                            text=True, check=False, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Starting python3 kernel" not in result.stdout + result.stderr
    pdf = next((quarto_book / "_book").glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for title in ("A. Data and methods", "B. Corrections", "C. References", "E. Where the numbers come from"):
        assert title in text, title
    assert re.search(r"bank.s\s+offer", text) and "&#x27;" not in text  # a table's entities print as characters


def test_briefing_build_with_quarto_publishes_the_site_and_the_pdf_with_the_reader_features(tmp_path, real_book):
    """`briefing build --engine quarto`: Quarto renders both formats into a staging folder, its post-render step
    finishes the site there, and the whole is published as `_book/` as the built-in engine publishes."""
    project = copy_project(tmp_path / "project")
    result = subprocess.run([sys.executable, "-m", "briefing.cli", "build", "--project", str(project), "--engine",
                             "quarto"], capture_output=True, text=True, check=False, timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    book = project / "_book"
    for name in ("index.html", "what-changed.html", "notebooks/prices.html", "site_libs/search-index.js",
                 "site_libs/previews.js", "data/briefing-data.zip", ".briefing-build.json"):
        assert (book / name).is_file(), name
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("compare_engines", ROOT / "tools/compare_engines.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    pdfs = [next(folder.glob("*.pdf")) for folder in (real_book / "_book", book)]
    assert tool.appendices(pdfs[1]) == tool.appendices(pdfs[0]) == [
        "A Data and methods", "B Corrections", "C References", "D What changed between editions",
        "E Where the numbers come from"]


def test_the_authoring_chapter_reads_the_same_in_both_engines(tmp_path):
    """Issue 22, item 5: the chapter with every Authoring feature the built-in engine renders (tests/fixtures/
    authoring) gives, in both engines, the same visible text on the site (a diagram's source, which mermaid.js draws
    in both), the same numbers, the same equation,
    table, figure, section, theorem and listing labels, the same figures and the same tabs (the built-in engine
    writes a tab's title as its pane's heading, compared apart); and in the PDF the same labels and the content
    meant for it. Quarto's PDF numbers a tab's heading as a section (3.3.1 Costs) where its site does not; the
    built-in engine numbers as the site does, in both formats."""
    import importlib.util

    from conftest import ROOT, authoring_book, run_build

    spec = importlib.util.spec_from_file_location("compare_engines", ROOT / "tools/compare_engines.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    book = authoring_book(tmp_path / "book")
    code, out, err = run_build(book, "--engine", "builtin")
    assert code == 0, err
    builtin_pdf = subprocess.run(["pdftotext", str(next((book / "_book").glob("*.pdf"))), "-"], capture_output=True,
                                 text=True, check=True).stdout
    shutil.move(str(book / "_book"), str(tmp_path / "builtin"))
    env = {**os.environ, "QUARTO_PYTHON": sys.executable,  # Quarto draws a diagram for the PDF in Chromium too
           "QUARTO_CHROMIUM": shutil.which("chromium") or shutil.which("chromium-browser") or ""}

    def quarto(fmt: str) -> None:  # a typst render empties _book/ first: the site is read before it
        result = subprocess.run(["quarto", "render", "--to", fmt], cwd=book, env=env, capture_output=True, text=True,
                                check=False, timeout=1800)
        assert result.returncode == 0, result.stderr[-3000:]

    quarto("html")
    name = "chapters/authoring.html"
    page = tool.compare_page((tmp_path / "builtin" / name).read_text(encoding="utf-8"),
                             (book / "_book" / name).read_text(encoding="utf-8"))
    assert page["text_ratio"] == 1.0 and page["differences"] == [], page["differences"]
    assert not page["numbers_only_builtin"] and not page["numbers_only_quarto"], page
    assert not page["xrefs_only_builtin"] and not page["xrefs_only_quarto"], page
    assert page["tabs"][0] == page["tabs"][1] == [["Costs", "Prices", "Market"]]
    assert page["figures"][0] == page["figures"][1] == 4
    quarto("typst")
    quarto_pdf = subprocess.run(["pdftotext", str(next((book / "_book").glob("*.pdf"))), "-"], capture_output=True,
                                text=True, check=True).stdout
    for text in (builtin_pdf, quarto_pdf):
        flat = " ".join(text.split()).replace("­ ", "")
        for label in ("Theorem 3.1 (Budget)", "Definition 3.1 (Model FLOPs utilisation)", "Listing 3.1: The cost of a run",
                      "Table 3.1: GPU-hours by stage", "(3.1)", "(3.2)", "Figure 3.2: A figure in a tab",
                      "Figure 3.1: From the article’s claim to a verdict", "Figure 3.4: The left figure",
                      "Figure 3.5: The right figure", "Table 3.2: Output prices, grid table",
                      "Figure 3.3: GPU-hours by stage, in thousands",
                      "A paragraph shared with other chapters, included from its own file.",
                      "This chapter was checked by the second desk for Fixture Book.", "Only in the PDF."):
            assert label in flat, label
        assert "Only on the site." not in flat
