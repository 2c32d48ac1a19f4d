"""The answer first (issue 20, items 1–3 and 10), checked on the built book.

* On a phone (390×844) the first screen of the summary names every claim judged inaccurate; the
  summary's table comes grouped by verdict, wrong first, and one button puts it in the article's order.
* Verdicts are words, not slugs, on every badge and in every table cell (``needs-context`` is
  "Needs context", the label ``data/verdicts.csv`` gives it), and the PDF prints no slug before its
  "What changed" appendix (which quotes the previous edition as it was printed).
* Every claim id, in prose ("[C07]") or in a table's Claim column, links to its verdict paragraph, and
  the site previews that paragraph on hover.
* Every link inside every preview resolves from whichever page the preview opens on.

The expected claims are the ledger's own rows: the inaccurate ones are C07 ("Training at 1/50th of
Western costs") and C27 ("Tech shares all fell sharply") in ``data/claims.csv``.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
from pathlib import Path

import lxml.html
import pytest

from conftest import ARTIFACTS, ROOT

EXTENSION = ROOT / "_extensions/briefing"
from test_reading import chromium, search_for
from test_site import CHROMIUM, pdftotext

SHOTS = ARTIFACTS / "screenshots"
LEDGER = list(csv.DictReader((ROOT / "data/claims.csv").open(encoding="utf-8", newline="")))
SCALE = list(csv.DictReader((ROOT / "data/verdicts.csv").open(encoding="utf-8", newline="")))
SLUGS = [row["verdict"] for row in SCALE if "-" in row["verdict"]]
browser = pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")


def site_pages(book: Path) -> list[Path]:
    return sorted(p for p in (book / "_book").rglob("*.html") if "notebooks" not in p.parts)


def test_the_ledger_says_which_claims_are_wrong():
    assert sorted(r["claim_id"] for r in LEDGER if r["verdict"] == "inaccurate") == ["C07", "C27"]
    assert {r["verdict"]: r["label"] for r in SCALE}["needs-context"] == "Needs context"


@browser
@pytest.mark.parametrize("width, phone", [(390, True), (1280, False)], ids=["phone", "laptop"])
def test_the_first_screen_of_the_summary_names_every_inaccurate_claim(real_book, width, phone):
    wrong = [r["claim_short"] for r in LEDGER if r["verdict"] == "inaccurate"]
    with chromium(width, phone=phone) as page:
        page.goto((real_book / "_book/index.html").as_uri())
        height = page.viewport_size["height"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"summary-first-screen-{width}.png"))
        for claim in wrong:
            box = page.locator("main a", has_text=claim).first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, (claim, box)


@browser
def test_the_summary_table_is_grouped_by_verdict_and_one_click_gives_the_articles_order(real_book):
    rank = {"inaccurate": 0, "needs-context": 1, "accurate": 2, "roughly-right": 2, "not-checkable": 3}
    grouped = [r["claim_id"] for r in sorted(LEDGER, key=lambda r: rank[r["verdict"]])]
    article = [r["claim_id"] for r in LEDGER]
    with chromium(1280) as page:
        page.goto((real_book / "_book/index.html").as_uri())
        ids = lambda: page.locator("table.summary tbody tr td:first-child").all_inner_texts()  # noqa: E731
        assert ids() == grouped
        button = page.get_by_role("button", name="In the article’s order")
        button.click()
        assert ids() == article and button.get_attribute("aria-pressed") == "true"
        button.click()
        assert ids() == grouped and button.get_attribute("aria-pressed") == "false"


def test_no_badge_or_table_cell_shows_a_slug(real_book):
    labels = {r["label"] for r in SCALE}
    found = []
    for path in site_pages(real_book):
        tree = lxml.html.parse(str(path)).getroot()
        for badge in tree.xpath('//main//*[contains(concat(" ", @class, " "), " verdict-badge ")]'):
            if badge.text_content().strip() not in labels:
                found.append((path.name, badge.text_content()))
        for cell in tree.xpath("//main//td"):
            text = cell.text_content()
            found += [(path.name, text) for slug in SLUGS if re.search(rf"\b{slug}\b", text)]
            found += [(path.name, text) for stem in ("mla-kv-cache", "training-cost", "markets-and-money",
                                                     "mixture-of-experts") if text.strip() == stem]
    assert found == []


def test_the_pdf_prints_no_verdict_slug_before_what_changed(real_book):
    text = pdftotext(real_book / "_book/deepseek-r1-what-holds.pdf")
    headings = [m.start() for m in re.finditer(r"^(?:[A-Z] )?What changed between editions\s*$", text, re.M)]  # absent from a copy without history
    reader = text[:headings[-1]] if headings else text
    assert [s for s in SLUGS if s in reader] == []


def test_claim_ids_link_to_their_verdict_paragraph_everywhere(real_book):
    """Every "[Cnn]" in prose and every Claim cell is a link to the page and paragraph that argue it; the
    verdict head that defines an id is the only place one stays text."""
    where = {r["claim_id"]: f"chapters/{r['chapter']}.html#verdict-{r['claim_id'].lower()}" for r in LEDGER}
    unlinked, wrong = [], []
    for path in site_pages(real_book):
        page = path.relative_to(real_book / "_book").as_posix()
        tree = lxml.html.parse(str(path)).getroot()
        for link in tree.xpath('//main//a[contains(concat(" ", @class, " "), " claim-ref ")]'):
            target = (path.parent / link.get("href").split("#")[0]).resolve().relative_to((real_book / "_book").resolve())
            if f"{target.as_posix()}#{link.get('href').split('#')[1]}" != where[link.text_content()]:
                wrong.append((page, link.get("href")))
        for node in tree.xpath("//main//text()[not(ancestor::a) and not(ancestor::code) and not(ancestor::pre)]"):
            owner = node.getparent()
            if owner.xpath('ancestor-or-self::span[starts-with(@id, "verdict-")]'):
                continue
            unlinked += [(page, m.group(0)) for m in re.finditer(r"\[C\d\d\]", str(node))]
            if owner.tag == "td" and re.fullmatch(r"\s*C\d\d\s*", str(node)):
                unlinked.append((page, str(node)))
    assert wrong == []
    assert unlinked == []


def previews_of(book: Path) -> dict[str, str]:
    text = (book / "_book/site_libs/previews.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("{"):text.rindex("}") + 1])


def test_every_verdict_has_a_preview_that_is_its_reasoning_without_the_evidence(real_book):
    previews = previews_of(real_book)
    for row in LEDGER:
        key = f"chapters/{row['chapter']}.html#verdict-{row['claim_id'].lower()}"
        assert key in previews, key
        text = lxml.html.fromstring(previews[key]).text_content()
        assert text.startswith(f"[{row['claim_id']}]") and "Evidence:" not in text, (key, text[:120])


def test_every_link_inside_every_preview_resolves(real_book):
    """Before, 27 links in cross-page previews were page-local (#x) and led nowhere on another page."""
    site = real_book / "_book"
    ids: dict[str, set[str]] = {}
    broken = []
    for key, html in previews_of(real_book).items():
        for href in lxml.html.fromstring(html).xpath("//a/@href"):
            if re.match(r"^[a-z]+:", href):
                continue
            path, _, fragment = href.partition("#")
            assert not href.startswith("#"), (key, href)
            file = site / path
            if not file.is_file():
                broken.append((key, href))
                continue
            if fragment:
                if path not in ids:
                    ids[path] = set(lxml.html.parse(str(file)).getroot().xpath("//@id"))
                if fragment not in ids[path]:
                    broken.append((key, href))
    assert broken == []


@browser
def test_hovering_a_claim_id_previews_its_verdict(real_book):
    with chromium(1280) as page:
        page.goto((real_book / "_book/chapters/verdicts.html").as_uri())
        link = page.locator("#sec-verdicts-wrong a.claim-ref", has_text="C07").first
        link.scroll_into_view_if_needed()
        link.hover()
        popup = page.locator("#briefing-popup")
        popup.wait_for(state="visible")
        assert popup.inner_text().startswith("[C07]") and "Inaccurate" in popup.inner_text()
        page.screenshot(path=str(SHOTS / "verdict-preview-1280.png"))


def test_the_claim_links_filter_links_bracketed_and_lone_ids_only(tmp_path):
    from briefing.render.pandoc import asset, pandoc_binary

    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"briefing-claims": {"C07": "/chapters/cost.qmd#verdict-c07"}}), encoding="utf-8")
    source = ("[C07], and again C07. Beside a link (C07), an unknown [C99], and "
              "[**\\[C07\\]**]{#verdict-c07} its own head.\n")
    html = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", "html", "--wrap", "none", "--metadata-file", str(meta),
                           "--lua-filter", str(EXTENSION / "claim-links.lua")],
                          input=source, capture_output=True, text=True, check=True).stdout
    link = '<a href="/chapters/cost.qmd#verdict-c07" class="claim-ref">C07</a>'
    assert html.count(link) == 2
    assert f"[{link}]," in html and f"again {link}." in html
    assert "(C07)" in html and "[C99]" in html
    assert '<span id="verdict-c07"><strong>[C07]</strong></span>' in html


def test_the_claim_links_filter_links_ids_in_an_html_table_but_not_inside_a_link(tmp_path):
    from briefing.render.pandoc import asset, pandoc_binary

    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"briefing-claims": {"C08": "/chapters/cost.qmd#verdict-c08"}}), encoding="utf-8")
    table = ('<table><tr><td>X post [C08]</td><td> C08 </td><td><a href="x.html">C08</a></td>'
             '<td>C08 and more</td></tr></table>')
    source = f"::: {{.briefing-table}}\n```{{=html}}\n{table}\n```\n:::\n"
    html = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", "html", "--wrap", "none", "--metadata-file",
                           str(meta), "--lua-filter", str(EXTENSION / "claim-links.lua")],
                          input=source, capture_output=True, text=True, check=True).stdout
    link = '<a href="/chapters/cost.qmd#verdict-c08" class="claim-ref">C08</a>'
    assert f"<td>X post [{link}]</td>" in html and f"<td> {link} </td>" in html
    assert '<td><a href="x.html">C08</a></td>' in html and "<td>C08 and more</td>" in html


def test_every_french_quotation_is_marked_french(real_book):
    """Issue 20, item 11 (WCAG 3.1.2): a French quotation («…», the ledger's French column, the passages left
    out) sits in an element with lang="fr", so a screen reader voices it in French."""
    unmarked = []
    for path in site_pages(real_book):
        tree = lxml.html.parse(str(path)).getroot()
        for node in tree.xpath("//main//text()[contains(., '«')]"):
            if not node.getparent().xpath("ancestor-or-self::*[@lang='fr']"):
                unmarked.append((path.name, str(node)[:60]))
        for cell in tree.xpath('//main//td[@data-label="French quote" or @data-label="French"]'):
            if not cell.xpath(".//*[@lang='fr']"):
                unmarked.append((path.name, cell.text_content()[:60]))
    assert unmarked == []


def test_the_pdf_sets_french_quotations_as_french(real_book):
    from briefing.render.pandoc import asset, pandoc_binary

    typst = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", "typst", "--lua-filter",
                            str(asset("filters/quarto.lua"))], input='[« bonjour »]{lang="fr"}\n',
                           capture_output=True, text=True, check=True).stdout
    assert '#text(lang: "fr")[« bonjour »]' in typst


def search_entries(book: Path) -> list[dict]:
    text = (book / "_book/site_libs/search-index.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("["):text.rindex("]") + 1])


def test_the_search_index_holds_text_not_tex_and_one_entry_per_correction_and_verdict(real_book):
    """Issue 20, item 8: snippets showed raw TeX ("GpG\\,p", \\mathrm{MFU}) from MathML's annotation."""
    entries = search_entries(real_book)
    assert [e["u"] for e in entries if "\\" in e["x"] or "\\" in e["t"]] == []
    corrections = {e["u"].split("#")[1] for e in entries if e["u"].startswith("chapters/corrections.html#r")}
    log = list(csv.DictReader((ROOT / "data/corrections.csv").open(encoding="utf-8", newline="")))
    assert corrections == {row["correction_id"].lower() for row in log}
    verdict_entries = {e["u"] for e in entries if "#verdict-" in e["u"]}
    assert len(verdict_entries) == len(LEDGER) and all(e["w"] == 2.0 for e in entries if "#verdict-" in e["u"])


@browser
def test_search_folds_accents_both_ways_and_ranks_what_readers_look_for_first(real_book):
    def results(page, query):
        search_for(page, query)
        return page.locator("#search-results a").evaluate_all(
            "els => els.map(e => e.getAttribute('href').replace(/^(\\.\\.\\/)+/, ''))")

    with chromium(390, phone=True) as page:
        page.goto((real_book / "_book/index.html").as_uri())
        typed, accented = results(page, "cout"), results(page, "coût")
        firsts = {query: results(page, query)[0] for query in ("Nvidia", "cost", "MoE")}
    assert typed and typed == accented
    assert any(href.startswith("chapters/training-cost.html") for href in typed[:3])
    assert firsts["Nvidia"].startswith("chapters/markets-and-money.html")
    assert firsts["cost"].startswith("chapters/training-cost.html")
    assert firsts["MoE"].startswith("chapters/mixture-of-experts.html")


# -- issue 20, item 9: the keyboard -----------------------------------------------------------------------


@browser
def test_escape_from_a_search_result_closes_the_results_and_the_focused_result_is_visible(real_book):
    from briefing import colour

    with chromium(1280) as page:
        page.goto((real_book / "_book/index.html").as_uri())
        search_for(page, "MFU")
        page.keyboard.press("ArrowDown")
        focused = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.closest('#search-results') !== null, s.outlineStyle,
                    parseFloat(s.outlineWidth), s.outlineColor, s.backgroundColor]; }""")
        page.screenshot(path=str(SHOTS / "search-focused-result-1280.png"))
        page.keyboard.press("Escape")
        hidden = page.locator("#search-results").is_hidden()
        back = page.evaluate("document.activeElement.id")
    inside, style, width, ring, fill = focused
    assert inside and style == "solid" and width >= 2
    to_hex = lambda css: "#" + "".join(f"{int(v):02x}" for v in re.findall(r"\d+", css)[:3])  # noqa: E731
    assert colour.contrast_ratio(to_hex(ring), to_hex(fill)) >= 3  # WCAG 2.4.11: the ring stands out
    assert hidden and back == "search-input"


@browser
def test_a_skip_link_reaches_the_chapter_list_in_two_tab_stops(real_book):
    with chromium(1280) as page:
        page.goto((real_book / "_book/chapters/training-cost.html").as_uri())
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.textContent")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        inside = page.evaluate("document.activeElement.closest('#chapters') !== null")
    assert name == "Skip to the chapters" and inside


@browser
def test_the_phone_drawer_keeps_focus_and_escape_closes_it_from_anywhere_in_it(real_book):
    with chromium(390, phone=True) as page:
        page.goto((real_book / "_book/chapters/prices.html").as_uri())
        page.locator(".menu-button").click()
        stops = page.locator("#chapters a[href]").count() + 1
        escaped = []
        for _ in range(stops + 3):
            page.keyboard.press("Tab")
            escaped.append(page.evaluate(
                "!(document.activeElement.closest('#chapters') || document.activeElement.classList.contains('menu-button'))"))
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Escape")
        closed = not page.locator("#chapters").is_visible()
        back = page.evaluate("document.activeElement.className")
    assert not any(escaped)
    assert closed and back == "menu-button"


# -- issue 20, item 13: downloads Excel opens right ------------------------------------------------------


def test_the_excel_copy_has_a_bom_crlf_the_same_cells_and_no_live_formula():
    from briefing.render.downloads import excel_copy

    table = 'name,value,note\nCoût,-5,"=HYPERLINK(""x"")"\n"a, b",+3,@handle\n'.encode("utf-8")
    copy = excel_copy(table)
    assert copy.startswith(b"\xef\xbb\xbf") and b"\r\n" in copy and b"\n" not in copy.replace(b"\r\n", b"")
    rows = list(csv.reader(copy.decode("utf-8-sig").splitlines()))
    assert rows == [["name", "value", "note"], ["Coût", "-5", "'=HYPERLINK(\"x\")"], ["a, b", "+3", "'@handle"]]
    assert excel_copy(table) == copy


def test_every_table_a_chapter_read_offers_its_excel_copy(real_book):
    site = real_book / "_book"
    tables = sorted(p.name for p in (ROOT / "data").glob("*.csv"))
    for name in tables:
        copy = site / "data/excel" / name
        assert copy.is_file(), name
        original = list(csv.reader((ROOT / "data" / name).read_text(encoding="utf-8").splitlines()))
        def formula(cell):
            try:
                float(cell)
                return False
            except ValueError:
                return cell[:1] in ("=", "+", "-", "@")
        expected = [["'" + cell if formula(cell) else cell for cell in row] for row in original]
        assert list(csv.reader(copy.read_bytes().decode("utf-8-sig").splitlines())) == expected, name
    page = lxml.html.parse(str(site / "chapters/training-cost.html")).getroot()
    links = page.xpath('//div[@class="data-read"]//a[@class="excel"]/@href')
    assert links and all((site / "chapters" / href).resolve().is_file() for href in links)


@browser
def test_the_search_index_and_the_previews_load_only_when_used(real_book):
    """Issue 20, item 14: every page used to load the whole book's index (163 KB) and previews (144 KB)."""
    with chromium(1280) as page:
        asked = []
        page.on("request", lambda request: asked.append(request.url.rsplit("/", 1)[-1]))
        page.goto((real_book / "_book/chapters/verdicts.html").as_uri())
        page.wait_for_load_state("load")
        at_load = list(asked)
        link = page.locator("#sec-verdicts-wrong a.claim-ref").first
        link.scroll_into_view_if_needed()
        link.hover()
        page.locator("#briefing-popup").wait_for(state="visible")
        search_for(page, "MFU")
    assert "search-index.js" not in at_load and "previews.js" not in at_load
    assert "previews.js" in asked and "search-index.js" in asked


# -- issue 20, item 12: small screens ---------------------------------------------------------------------


@browser
def test_at_320_px_no_page_scrolls_sideways_and_the_top_bar_stays_at_hand(real_book):
    """Before, the coverage table of Data and methods pushed its page to 378 px."""
    wide = {}
    with chromium(320, phone=True) as page:
        for path in site_pages(real_book):
            page.goto(path.as_uri())
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                wide[path.name] = width
        page.goto((real_book / "_book/chapters/training-cost.html").as_uri())
        page.mouse.wheel(0, 6000)
        page.wait_for_function("window.scrollY > 3000")
        bar = page.locator(".topbar").bounding_box()
        anchors = page.evaluate("Array.from(document.querySelectorAll('a.anchor')).filter(a => a.offsetParent !== null).length")
        footer = page.locator(".footer .nowrap").count()
    assert wide == {}
    assert bar["y"] == 0, "the menu, the search box and the PDF link stay at the top of a long page"
    assert anchors == 0, "no heading anchor on a touch screen"
    assert footer == 2


# -- issue 20, item 6: tables and notation in the PDF and on the site --------------------------------------


def through_quarto_lua(source: str, to: str) -> str:
    """``source`` through the filters as the built-in engine runs them for this project: the extension's
    (before and after, by their ``at``) around the engine's own."""
    from briefing.render.pandoc import asset, pandoc_binary
    from briefing.render.project import load_book

    filters = load_book(ROOT).filters
    chain = [*filters.before, asset("filters/quarto.lua"), *filters.after]
    return subprocess.run([pandoc_binary(), "--from", "markdown", "--to", to, "--wrap", "none",
                           *[arg for f in chain for arg in ("--lua-filter", str(f))]],
                          input=source, capture_output=True, text=True, check=True).stdout


TABLE = ('::: {.briefing-table #tbl-x tbl-cap="Cap"}\n```{=html}\n<table><thead><tr><th>Table</th><th>Publisher</th>'
         '<th>Source</th><th>Rows</th></tr></thead><tbody><tr><td>gpus.csv</td><td>DeepSeek-AI</td><td>A long title '
         'of a source document that runs on and on</td><td>12</td></tr><tr><td>x</td><td></td><td>t</td>'
         '<td>1,234</td></tr></tbody></table>\n```\n:::\n')


def test_number_columns_are_right_aligned_and_empty_cells_print_a_dash():
    html = through_quarto_lua(TABLE, "html")
    assert re.search(r'<td style="text-align: right;">1,234</td>', html)
    assert "<td>—</td>" in html
    typst = through_quarto_lua(TABLE, "typst")
    assert "align: (left,left,left,right,)" in typst and "[---]" in typst  # text left, as Typst would centre it


def test_pdf_columns_share_the_width_by_their_text_and_a_number_column_stays_narrow():
    typst = through_quarto_lua(TABLE, "typst")
    widths = [float(w) for w in re.search(r"columns: \(([^)]*)\)", typst).group(1).replace("%", "").split(",")]
    assert len(widths) == 4 and widths[2] == max(widths) and widths[3] == min(widths)


def test_a_correction_is_never_split_across_pages_and_writes_powers_as_superscripts():
    from briefing.corrections import prose

    typst = through_quarto_lua("::: {.correction #r01}\n**R01** head\n\n*Said:* text\n:::\n", "typst")
    assert typst.lstrip().startswith("#block(breakable: false, width: 100%)[")
    assert prose("36.5 × 10^24 FLOPs, 38–43 % and « 22, 4 % »") == \
        '36.5 × 10^24^ FLOPs, 38–43% and [« 22, 4 % »]{lang="fr"}'


def test_prose_and_captions_name_data_files_in_words_linked_to_the_download(real_book):
    """Issue 20, item 2: "(data/claims.csv)" in a caption reads "(the claims ledger)", a link whose title
    is the file's name; the data appendix's tables and each page's list of downloads keep the names."""
    named = []
    for path in site_pages(real_book):
        tree = lxml.html.parse(str(path)).getroot()
        for node in tree.xpath('//main//text()[not(ancestor::table) and not(ancestor::*[@id="data-read"])'
                               ' and not(ancestor::section[@id="data-and-methods"])]'):
            named += [(path.name, m.group(0)) for m in re.finditer(r"data/[\w.-]+\.(?:csv|json|txt)", str(node))
                      if not m.group(0).endswith("datapackage.json")]
    assert named == []
    page = lxml.html.parse(str(real_book / "_book/chapters/mixture-of-experts.html")).getroot()
    link = page.xpath('//figcaption//a[@title="data/models.csv"]')[0]
    assert link.text_content() == "the model table" and link.get("href") == "../data/models.csv"
