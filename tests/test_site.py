"""The real briefing, rendered: the site in headless Chromium, the PDF read back with
poppler, two builds byte for byte, a build without a network, and a broken data row."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from briefing.claims import ledger
from briefing.render.project import load_book
from conftest import ARTIFACTS, REPORT, ROOT, copy_project, run_build

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]


class Anchors(HTMLParser):
    """Collects ids, links and images of a page."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.images, self.sidebar, self._in_sidebar = set(), [], [], [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "nav" and "sidebar" in (attrs.get("class") or "").split():
            self._in_sidebar = 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if self._in_sidebar:
                self.sidebar.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_sidebar = 0


def parse(path: Path) -> Anchors:
    parser = Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def pages(book: Path) -> list[Path]:
    return sorted((book / "_book").rglob("*.html"))


def test_every_internal_link_and_cross_reference_resolves(real_book):
    parsed = {p: parse(p) for p in pages(real_book)}
    broken = []
    for page, anchors in parsed.items():
        for href in anchors.links:
            url = urlparse(href)
            if url.scheme in ("http", "https", "mailto"):
                continue
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.exists():
                broken.append(f"{page.name}: {href} (no file)")
            elif url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if url.fragment not in ids:
                    broken.append(f"{page.name}: {href} (no anchor)")
    assert broken == []


def test_the_sidebar_reaches_every_chapter(real_book):
    book = load_book(real_book)
    expected = {str(e.path.relative_to(real_book).with_suffix(".html")) for e in book.entries}
    expected.add("what-changed.html")  # the page the build adds after the appendices (issue 13)
    for page in pages(real_book):
        if page.parent.name == "notebooks":
            continue
        reached = {str((page.parent / h).resolve().relative_to((real_book / "_book").resolve()))
                   for h in parse(page).sidebar}
        assert reached == expected, page.name


def test_every_figure_has_alt_text_and_headings_are_in_order(real_book):
    for page in pages(real_book):
        text = page.read_text(encoding="utf-8")
        for attrs in parse(page).images:
            assert attrs.get("alt"), f"{page.name}: image {attrs.get('src')} has no alt text"
        levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", text)]
        assert levels and levels[0] == 1, page.name
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"{page.name}: heading levels skip: {levels}"
        assert re.search(r'<html [^>]*lang="en"', text)


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")
def test_pages_load_offline_in_chromium_without_errors(real_book):
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        for page_path in pages(real_book):
            page = context.new_page()
            errors, outside = [], []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file://", "data:", "about:")) else None)
            page.goto(page_path.as_uri(), wait_until="load")
            broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            name = str(page_path.relative_to(real_book / "_book"))
            page.screenshot(path=str(shots / (name.replace("/", "__") + ".png")))  # the first screen, as a reader opens it
            problems += [f"{name}: console: {e}" for e in errors]
            problems += [f"{name}: request left the machine: {u}" for u in outside]
            problems += [f"{name}: image did not load: {u}" for u in broken]
            REPORT["pages"] += 1
            page.close()
        browser.close()
    assert problems == []


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_pdf_has_every_chapter_claim_and_the_version_stamp(real_book):
    pdf = next((real_book / "_book").glob("*.pdf"))
    text = pdftotext(pdf)
    flat = re.sub(r"\s+", " ", text)
    book = load_book(real_book)
    titles = [parse(real_book / "_book" / e.path.relative_to(real_book).with_suffix(".html"))
              for e in book.entries]
    assert titles
    for entry in book.entries:
        html = (real_book / "_book" / entry.path.relative_to(real_book).with_suffix(".html")).read_text()
        title = re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1))
        title = re.sub(r"^[0-9A-Z]\s+", "", title.replace("&#160;", " ").strip())
        assert re.sub(r"\s+", " ", title) in flat, f"chapter title missing from the PDF: {title}"
    for claim_id in ledger()["claim_id"]:
        assert f"[{claim_id}]" in flat, f"{claim_id} missing from the PDF"
    describe = subprocess.run(["git", "-C", str(ROOT), "describe", "--tags", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip()
    first_page = pdftotext(pdf, "-f", "1", "-l", "1")
    assert "Edition " in first_page and book.title.split(":")[0] in first_page
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages_count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 15 <= pages_count <= 300
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), "\n".join(fonts)
    assert describe  # the stamp is read from git in the copy too (unversioned outside git)


@pytest.fixture(scope="session")
def second_build(tmp_path_factory, real_book):
    """The book built again from a second copy, re-executing every chapter, without a network."""
    project = copy_project(tmp_path_factory.mktemp("again") / "project")
    prefix = ["unshare", "-n"] if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0 else []
    code, out, err = run_build(project, "--refresh", prefix=prefix)
    return project, code, out, err, bool(prefix)


def test_build_runs_without_a_network(second_build):
    project, code, out, err, offline = second_build
    if not offline:
        pytest.skip("unshare -n is not permitted here")
    assert code == 0, err
    assert "executed" in out


def test_two_builds_of_one_commit_are_byte_identical(real_book, second_build):
    project, code, out, err, _ = second_build
    assert code == 0, err
    for folder in ("_book", "chapters/_notebooks"):
        first = {p.relative_to(real_book / folder): p.read_bytes() for p in (real_book / folder).rglob("*") if p.is_file()}
        again = {p.relative_to(project / folder): p.read_bytes() for p in (project / folder).rglob("*") if p.is_file()}
        assert first.keys() == again.keys()
        assert [str(n) for n in first if first[n] != again[n]] == [], folder


def test_a_broken_data_row_fails_the_build_and_keeps_the_last_good_book(real_book, tmp_path):
    project = copy_project(tmp_path / "broken")
    shutil.copytree(real_book / "_book", project / "_book")
    models = project / "data" / "models.csv"
    rows = list(csv.reader(io.StringIO(models.read_text(encoding="utf-8"))))
    column = rows[0].index("params_total_b_stated")
    rows[1][column] = "six hundred"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    models.write_text(buffer.getvalue(), encoding="utf-8")
    before = {p: p.read_bytes() for p in (project / "_book").rglob("*") if p.is_file()}
    code, out, err = run_build(project)
    assert code == 1
    assert "data/models.csv:2:params_total_b_stated" in err, err
    assert "cell raised an exception" not in err, err  # the build names the bad value, not what it broke
    assert {p: p.read_bytes() for p in (project / "_book").rglob("*") if p.is_file()} == before


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_pdf_opens_with_the_whole_summary_on_one_page_and_long_tables_repeat_their_header(real_book):
    pdf = real_book / "_book/deepseek-r1-what-holds.pdf"
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    summary = next(i for i, p in enumerate(pages) if p.lstrip().startswith("Summary"))
    assert summary == 1, "the summary is the page after the title (issue 20, item 5)"
    assert "The article and the ledger" not in pages[summary]
    assert pages[summary + 1].lstrip().startswith("Contents") or pages[summary + 2].lstrip().startswith("Contents")
    led = ledger(real_book / "data")
    rows = set(re.findall(r"^\s*(C\d{2})\s", pages[summary], re.M))
    assert rows == set(led[led["verdict"] != "not-checkable"]["claim_id"])  # a row for each checkable claim
    named = re.search(r"Not checkable .*?: (C\d{2}(?:, C\d{2})*)\.", " ".join(pages[summary].split()))
    assert set(named.group(1).split(", ")) == set(led[led["verdict"] == "not-checkable"]["claim_id"])
    ledger_pages = [p for p in pages if re.search(r"Claim\s+Verdict\s+Rationale\s+Evidence", p)]
    rows_after_first = [p for p in ledger_pages[1:] if re.search(r"^\s*C\d{2}\s", p, re.M)]
    assert len(ledger_pages) >= 2 and rows_after_first, "the verdicts ledger spans pages, each with its header"


def test_the_pdf_stays_tagged(real_book):
    raw = (real_book / "_book/deepseek-r1-what-holds.pdf").read_bytes()
    assert b"/StructTreeRoot" in raw and b"/Marked true" in raw and b"/Lang" in raw


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_the_pdf_ends_with_where_the_numbers_come_from(real_book):
    """Appendix D is a source map (issue 17): per chapter, the numbers its verdicts rest on, each with its
    expression and its documents (publisher, place, full address); then, in small print, the stamps and hashes."""
    import nbformat

    from briefing.render.notebook import data_reads

    text = subprocess.run(["pdftotext", "-layout", str(real_book / "_book/deepseek-r1-what-holds.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout.replace("\u200b", "")
    appendix = text[list(re.finditer(r"[A-Z] Where the numbers come from", text))[-1].start():]
    stamps = appendix.index("Stamps and file hashes")
    source_map = re.sub(r"\s+", " ", appendix[:stamps])
    cost = source_map[source_map.index("5 Training compute and cost"):source_map.index("6 Prices per token")]
    assert "$5.576, computed by usd(cost_total / 1e6, 3): DeepSeek-AI, DeepSeek-V3 Technical Report" in cost
    assert "Table 1, p. 5" in cost
    assert ("https://github.com/deepseek-ai/DeepSeek-V3/blob/4c2fdb8f55e049553b9f4f1a3241f86d739c8cf8/DeepSeek_V3.pdf"
            in re.sub(r"\s", "", cost))
    nb = nbformat.read(real_book / "chapters/_notebooks/training-cost.ipynb", as_version=4)
    flat = re.sub(r"\s+", "", appendix[stamps:])
    section = flat[flat.index("5Trainingcomputeandcost:"):flat.index("6Pricespertoken:")]
    assert nb.metadata["briefing"]["stamp"] in section
    for path, digest in data_reads(nb):
        assert path + digest.removeprefix("sha256:") in section, path
