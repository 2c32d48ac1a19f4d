"""Figures a reader can read (issue 20, item 4), checked on the built book.

* Labels are SVG text, not paths (``svg.fonttype: none``), in the page's sans-serif stack, so they can be
  selected and found, and the PDF sets them in DejaVu Sans (matplotlib's own copy, given to Typst).
* No label is smaller than 11 CSS px, at 1280 px and on a 390 px phone: an SVG's user unit is a point
  (4/3 px at the figure's own size), so a label's size on screen is its font size times the width the
  browser gives the image over the SVG's viewBox width.
* A tap (or click) opens the figure full size; Escape closes it and focus returns to the figure.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import ARTIFACTS, ROOT

EXTENSION = ROOT / "_extensions/briefing"
from test_reading import chromium
from test_site import CHROMIUM

SHOTS = ARTIFACTS / "screenshots"
SMALLEST_PX = 11


def figures(book: Path) -> list[Path]:
    return sorted((book / "_book" / "figures").rglob("*.svg"))


def smallest_font(svg: str) -> float:
    """The smallest font size of the SVG's text, in its user units."""
    return min(float(size) for size in re.findall(r"font-size:\s*([\d.]+)px", svg))


def test_figure_labels_are_text_in_the_pages_fonts(real_book):
    found = figures(real_book)
    assert len(found) >= 9
    for path in found:
        svg = path.read_text(encoding="utf-8")
        assert svg.count("<text") >= 5, path.name
        assert not re.search(r'<path id="DejaVuSans-', svg), f"{path.name} still draws its glyphs as paths"
        assert "font-family: 'DejaVu Sans', 'Helvetica', 'Arial', sans-serif" in svg, path.name


def test_the_pdf_sets_figure_labels_in_dejavu_sans(real_book):
    fonts = subprocess.run(["pdffonts", str(real_book / "_book/deepseek-r1-what-holds.pdf")],
                           capture_output=True, text=True, check=True).stdout
    assert re.search(r"\+DejaVuSans\s", fonts), fonts


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")
@pytest.mark.parametrize("width, phone", [(390, True), (1280, False)], ids=["phone", "laptop"])
def test_no_figure_label_is_smaller_than_11_px(real_book, width, phone):
    smallest = {}
    pages = sorted({p.parent.name for p in figures(real_book)})
    with chromium(width, phone=phone) as page:
        for stem in pages:
            page.goto((real_book / "_book/chapters" / f"{stem}.html").as_uri())
            images = page.locator("main figure img[src$='.svg']")
            for i in range(images.count()):
                image = images.nth(i)
                image.scroll_into_view_if_needed()
                shown = image.evaluate("img => img.getBoundingClientRect().width")
                src = image.get_attribute("src")
                svg = (real_book / "_book/chapters" / src).resolve().read_text(encoding="utf-8")
                view = float(re.search(r'viewBox="0 0 ([\d.]+) [\d.]+"', svg).group(1))
                smallest[src] = smallest_font(svg) * shown / view
        if phone:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.goto((real_book / "_book/chapters/markets-and-money.html").as_uri() + "#fig-markets-nvda")
            page.screenshot(path=str(SHOTS / "figure-on-a-phone-390.png"))
    assert len(smallest) == len(figures(real_book))
    small = {src: round(px, 1) for src, px in smallest.items() if px < SMALLEST_PX}
    assert small == {}


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")
def test_a_tap_opens_a_figure_full_size_and_escape_closes_it(real_book):
    with chromium(390, phone=True) as page:
        page.goto((real_book / "_book/chapters/mixture-of-experts.html").as_uri())
        link = page.locator("#fig-moe-history a.lightbox")
        link.scroll_into_view_if_needed()
        before = page.url
        link.tap()
        dialog = page.locator("dialog.figure-view")
        dialog.wait_for(state="visible")
        image = dialog.locator("img")
        natural = image.evaluate("img => img.naturalWidth")
        assert image.evaluate("img => img.getBoundingClientRect().width") >= natural - 1
        page.screenshot(path=str(SHOTS / "figure-full-screen-390.png"))
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached")
        assert page.url == before
        assert page.evaluate("document.activeElement.classList.contains('lightbox')")


def alt_texts(book: Path) -> dict[str, str]:
    """Each figure's alt text on the site, by figure id."""
    import html

    found = {}
    for page in sorted((book / "_book/chapters").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for fid, alt in re.findall(r'<figure[^>]*id="(fig-[^"]+)".*?<img[^>]*alt="([^"]*)"', text, flags=re.S):
            found[fid] = html.unescape(alt)
    return found


def test_every_figures_alt_text_states_its_values(real_book):
    """The alt text ends with the values drawn, not only the shape: the verdict counts are those of the claims
    ledger (counted here from the CSV), and the R1 paper's Table 4 scores (arXiv:2501.12948v1, Table 4: AIME 2024
    pass@1 79.8 for DeepSeek-R1 and 79.2 for OpenAI-o1-1217; MATH-500 97.3 and 96.4) are read out."""
    import csv
    from collections import Counter

    alts = alt_texts(real_book)
    assert len(alts) == len(figures(real_book)) >= 9
    for fid, alt in alts.items():
        assert "The values (" in alt, f"{fid}: the alt text gives no values: {alt}"
        assert not re.search(r"\bnan\b", alt), f"{fid}: {alt}"
    with open(real_book / "data/claims.csv", encoding="utf-8") as fh:
        counts = Counter(row["verdict"] for row in csv.DictReader(fh))
    with open(real_book / "data/verdicts.csv", encoding="utf-8") as fh:
        labels = {row["verdict"]: row["label"] for row in csv.DictReader(fh)}
    for verdict, n in counts.items():
        assert f"{labels[verdict]}: {n}" in alts["fig-verdict-counts"]
    assert "AIME 2024: 79.2, 79.8," in alts["fig-perf-r1-o1"]  # o1-1217 first, as the figure draws them
    assert "MATH-500: 96.4, 97.3," in alts["fig-perf-r1-o1"]


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")
def test_a_figures_values_unfold_beneath_it_on_a_phone(real_book):
    with chromium(390, phone=True) as page:
        page.goto((real_book / "_book/chapters/verdicts.html").as_uri())
        figure = page.locator("#fig-verdict-counts")
        values = page.locator("details.figure-values").first
        assert values.evaluate("d => d.getBoundingClientRect().top") > figure.evaluate(
            "f => f.getBoundingClientRect().bottom") - 1
        table = values.locator("table")
        assert not table.is_visible()
        values.locator("summary").tap()
        table.wait_for(state="visible")
        assert table.locator("tbody tr").count() == 5
        assert table.evaluate("t => t.getBoundingClientRect().right") <= 390
        values.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "figure-values-390.png"))


def test_the_pdf_leaves_the_values_tables_to_the_figures(real_book):
    text = subprocess.run(["pdftotext", str(real_book / "_book/deepseek-r1-what-holds.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "The figure's values" not in text and "The values (" not in text


@pytest.mark.parametrize("to", ["html", "typst"])
def test_the_figure_values_filter_ends_the_alt_text_with_the_values(to):
    """What a chapter prints (present.figure_values) through the filter: the alt text gains the sentence once,
    HTML folds the table under "The figure's values", and the PDF's Typst leaves it out."""
    import pandas as pd

    from briefing.present import figure_values
    from briefing.render.pandoc import asset, pandoc_binary

    values = figure_values("fig-x", pd.DataFrame({"Model": ["R1 \"big\"", "V3"], "Score": ["79.8", None]}))
    source = '![A bar chart](x.svg){#fig-x fig-alt="Two bars."}\n\n' + values.data
    out = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", to, "--wrap", "none",
                          "--lua-filter", str(EXTENSION / "figure-values.lua")],
                         input=source, capture_output=True, text=True, check=True).stdout
    if to == "html":
        assert out.count('Two bars. The values (Score): R1 &quot;big&quot;: 79.8; V3: —.') == 1
        assert '<details class="figure-values"><summary>The figure\'s values</summary>' in out
        assert ">—</td>" in out and out.index("<table") < out.index("</details>")
    else:
        assert "#figure(image(\"x.svg\")" in out and "Score" not in out and "79.8" not in out
