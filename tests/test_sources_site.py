"""Evidence a reader can follow (issue 17), checked on the built book: in Chromium, a number's popup names
the document it was read in and links to it, on hover, on focus and on a phone's tap; every verdict paragraph
ends with links to its sources; the table of every distinct source links each one; the PDF prints the
addresses of the sources its headline numbers rest on; and the book counts what it prints by source.

Expected sources are the data's own rows: $5.576M is Table 1 of the DeepSeek-V3 Technical Report
(training_runs.csv, deepseek-v3-total); NVIDIA's $593 billion loss is Reuters' figure, read in the
Kathmandu Post's copy (market.csv, NVDA 2025-01-27 market_cap_change_usd_reuters); 71.1× is computed from
DeepSeek-V3's config.json alone (configs/deepseek-v3.json).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import ARTIFACTS
from test_reading import chromium
from test_site import CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")
SHOTS = ARTIFACTS / "screenshots"
CONFIGS = ["deepseek-v3-inference", "deepseek-v2", "deepseek-llm-67b", "llama-3-70b", "llama-3.1-405b", "mixtral-8x7b",
           "mixtral-8x22b", "qwen2.5-72b", "dbrx"]


def browser_page(width, phone=False):
    return chromium(width, phone=phone)


def open_popup(page, book, name, text):
    """Hover the computed value whose text is ``text`` on page ``name``; return the popup's text and links."""
    page.goto((book / "_book" / name).as_uri())
    number = page.locator("main a.computed", has_text=text).first
    number.scroll_into_view_if_needed()
    number.hover()
    popup = page.locator("#briefing-popup")
    popup.wait_for(state="visible")
    links = popup.locator("a").evaluate_all("links => links.map(a => [a.textContent, a.href])")
    return popup.inner_text().replace("\u00a0", " "), links


def test_the_v3_cost_names_the_technical_report_its_table_and_links_to_it(real_book):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page(1280) as page:
        text, links = open_popup(page, real_book, "chapters/training-cost.html", "$5.576")
        page.screenshot(path=str(SHOTS / "source-popup-cost-1280.png"))
    assert "DeepSeek-V3 Technical Report" in text and "Table 1, p. 5" in text and "Primary source" in text
    report = "https://github.com/deepseek-ai/DeepSeek-V3/blob/4c2fdb8f55e049553b9f4f1a3241f86d739c8cf8/DeepSeek_V3.pdf"
    assert report in [href for _, href in links]
    assert "usd(cost_total / 1e6, 3)" in text and any(name == "cost_total" for name, _ in links)
    assert "data/training_runs.csv, row deepseek-v3-total (gpu_hours, rental_usd_per_gpu_hour)" in text


def test_nvidias_loss_names_reuters_and_links_to_the_storys_copy(real_book):
    with browser_page(1280) as page:
        text, links = open_popup(page, real_book, "chapters/markets-and-money.html", "$593")
    assert "Reuters" in text and "Secondary: read in a copy at kathmandupost.com" in text
    assert ("https://kathmandupost.com/world/2025/01/28/deepseek-sparks-ai-stock-selloff-nvidia-posts-record-"
            "market-cap-loss") in [href for _, href in links]


def test_the_mla_saving_names_the_v3_config_and_no_other(real_book):
    with browser_page(1280) as page:
        text, _ = open_popup(page, real_book, "chapters/mla-kv-cache.html", "71.1×")
    assert "data/configs/deepseek-v3.json" in text
    assert [name for name in CONFIGS if f"configs/{name}.json" in text] == []


def test_on_a_phone_a_tap_opens_the_popup_and_the_page_stays(real_book):
    with browser_page(390, phone=True) as page:
        page.goto((real_book / "_book/chapters/markets-and-money.html").as_uri())
        number = page.locator("main a.computed", has_text="$593").first
        number.scroll_into_view_if_needed()
        before = page.url
        number.tap()
        popup = page.locator("#briefing-popup")
        popup.wait_for(state="visible")
        page.screenshot(path=str(SHOTS / "source-popup-tap-390.png"))
        assert page.url == before
        assert "Reuters" in popup.inner_text()
        box = popup.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.locator("main h1").first.tap()
        popup.wait_for(state="hidden")
        assert page.url == before
        number.tap()
        popup.wait_for(state="visible")
        popup.locator("a", has_text="Its cell in the executed notebook").tap()
        page.wait_for_url(re.compile(r"notebooks/markets-and-money\.html#cell-\d+$"))


def test_a_value_composed_as_a_sentence_is_text_with_a_marker_not_a_link(real_book):
    with browser_page(1280) as page:
        page.goto((real_book / "_book/chapters/introduction.html").as_uri())
        lengths = page.locator("main a.computed:not(.marker)").evaluate_all(
            "links => links.map(a => a.textContent.trim().split(/\\s+/).length)")
        marker = page.locator("main a.computed.marker").first
        marker.hover()
        popup = page.locator("#briefing-popup")
        popup.wait_for(state="visible")
        name = marker.get_attribute("aria-label")
    assert lengths and max(lengths) <= 3
    assert name == "Where this comes from"


VERDICT_PARAGRAPHS = """() => Array.from(document.querySelectorAll('main [id^="verdict-c"]')).map(anchor => {
  const block = anchor.closest('p, li, div');
  const links = Array.from(block.querySelectorAll('a[href^="http"]')).map(a => a.href);
  return [anchor.id, links.length];
})"""


def test_every_verdict_paragraph_ends_with_links_to_its_sources(real_book):
    from briefing.claims import ledger

    found = {}
    with browser_page(1280) as page:
        for name in ["introduction", "performance", "mla-kv-cache", "mixture-of-experts", "training-cost", "prices",
                     "markets-and-money"]:
            page.goto((real_book / f"_book/chapters/{name}.html").as_uri())
            found.update(dict(page.evaluate(VERDICT_PARAGRAPHS)))
    claims = {f"verdict-{c.lower()}" for c in ledger(real_book / "data")["claim_id"]}
    assert set(found) == claims
    assert [anchor for anchor, links in sorted(found.items()) if links == 0] == []


def test_the_table_of_sources_links_every_source(real_book):
    with browser_page(1280) as page:
        page.goto((real_book / "_book/chapters/data-and-methods.html").as_uri())
        rows = page.locator("#tbl-data-sources tbody tr").evaluate_all(
            "rows => rows.map(r => [Array.from(r.querySelectorAll('a[href^=\"http\"]')).length,"
            " Array.from(r.querySelectorAll('a[href*=\"data/\"]')).length])")
    assert len(rows) > 50 and all(web + data >= 1 for web, data in rows)
    assert sum(1 for web, _ in rows if web) > 0.9 * len(rows)


def pdf_text(book) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(book / "_book/deepseek-r1-what-holds.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    return re.sub(r"[\s\u200b]+", "", text)


@pytest.mark.skipif(subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
                    reason="poppler-utils is not installed")
def test_the_pdf_prints_the_addresses_of_the_sources_of_its_headline_numbers(real_book):
    from briefing.render.numbers_appendix import headline_cells
    from briefing.lineage import lineage_of
    from briefing.sources import Resolver
    import nbformat

    text = pdf_text(real_book)
    resolver = Resolver(real_book / "data")
    urls = set()
    for name in ["mla-kv-cache", "training-cost", "markets-and-money", "prices", "performance"]:
        nb = nbformat.read(real_book / f"chapters/_notebooks/{name}.ipynb", as_version=4)
        for cell in headline_cells(nb):
            for ref in lineage_of(cell.outputs) or []:
                document = resolver.resolve(ref).document
                if document.external:
                    urls.add(document.url)
    assert len(urls) >= 8
    assert [url for url in sorted(urls) if re.sub(r"\s", "", url) not in text] == []


def test_the_book_counts_what_it_prints_and_no_number_from_the_data_lost_its_rows(real_book):
    import nbformat

    from briefing import coverage
    from briefing.render.project import load_book

    book = load_book(real_book)
    notebooks = [(e.path.stem, nbformat.read(real_book / f"chapters/_notebooks/{e.path.stem}.ipynb", as_version=4))
                 for e in book.entries if (real_book / f"chapters/_notebooks/{e.path.stem}.ipynb").is_file()]
    report = coverage.book(notebooks)
    summary = report.summary()
    assert [(v.chapter, v.line, v.expr) for v in report.lost] == []
    assert summary["printed"] > 450 and summary["sourced"] > 0.75 * summary["printed"]
    assert summary["sourced"] + summary["article"] + summary["none"] == summary["printed"]
    html = (real_book / "_book/chapters/data-and-methods.html").read_text(encoding="utf-8")
    row = re.search(r"Numbers and values in the text</td>\s*((?:<td[^>]*>[^<]*</td>\s*){4})", html).group(1)
    printed = [int(x.replace(",", "")) for x in re.findall(r">([\d,]+)<", row)]
    assert printed == [summary["printed"], summary["sourced"], summary["article"], summary["none"]]
    assert "<p>Every value computed from the data carries the rows it was computed from.</p>" in html  # not in the caption
    (ARTIFACTS / "lineage-coverage.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
