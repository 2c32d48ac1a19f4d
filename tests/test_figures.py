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

from conftest import ARTIFACTS
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
