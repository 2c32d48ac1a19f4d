"""The reader's briefing (issue 11), checked in Chromium at a laptop's and a phone's width:
tables that do not break words, no page that scrolls sideways, and an axe-core audit of every page."""

from __future__ import annotations

import pytest

from conftest import ARTIFACTS
from test_site import CHROMIUM, CHROMIUM_FLAGS, pages

WIDTHS = {"laptop": 1280, "phone": 390}

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")

LAYOUT = """() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) out.push(`the page scrolls sideways (${root.scrollWidth} px in ${window.innerWidth})`);
  for (const cell of document.querySelectorAll('main td, main th')) {
    const style = getComputedStyle(cell);
    if (style.display === 'none') continue;
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const table = cell.closest('table');
    const where = table && table.id ? table.id : 'a table';
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const words = /\\S+/g;
      for (let m = words.exec(node.textContent); m; m = words.exec(node.textContent)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
        if (rects.length > 1) out.push(`${where}: "${m[0]}" is broken across lines`);
        else if (rects.length && rects[0].width > inner + 1) out.push(`${where}: "${m[0]}" is wider than its cell`);
      }
    }
  }
  return out;
}"""


def browse(book, width, check):
    """Open every page of the built book at ``width`` and collect what ``check(page, name)`` reports."""
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": width, "height": 900})
        for path in pages(book):
            page = context.new_page()
            page.goto(path.as_uri(), wait_until="load")
            name = str(path.relative_to(book / "_book"))
            problems += [f"{name} at {width} px: {p}" for p in check(page, name)]
            page.close()
        browser.close()
    return problems


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_no_table_breaks_a_word_and_no_page_scrolls_sideways(real_book, width):
    assert browse(real_book, width, lambda page, name: page.evaluate(LAYOUT)) == []


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_axe_finds_no_accessibility_violation_on_any_page(real_book, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def audit(page, name):
        found = axe.run(page).response["violations"]
        return [f"{v['id']} ({v['impact']}): {v['help']} [{len(v['nodes'])} node(s), first {v['nodes'][0]['target']}]"
                for v in found]

    assert browse(real_book, width, audit) == []


def test_the_ledger_reads_as_cards_on_a_phone(real_book):
    from playwright.sync_api import sync_playwright

    shots = ARTIFACTS / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": WIDTHS["phone"], "height": 900})
        page.goto((real_book / "_book/chapters/introduction.html").as_uri())
        display = page.evaluate("getComputedStyle(document.querySelector('#tbl-intro-ledger tbody tr')).display")
        label = page.evaluate("getComputedStyle(document.querySelector('#tbl-intro-ledger td'), '::before').content")
        page.locator("#tbl-intro-ledger").screenshot(path=str(shots / "ledger-cards-390.png"))
        browser.close()
    assert display == "block"
    assert label == '"Claim"'
