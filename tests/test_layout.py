"""What a reader sees of Quarto's authoring on the built-in engine (issue 22): tabsets, layout panels, margin
content, theorems and listings, rendered as Quarto renders them
(https://quarto.org/docs/output-formats/html-basics.html#tabsets,
https://quarto.org/docs/authoring/figures.html#complex-layouts,
https://quarto.org/docs/authoring/article-layout.html#margin-content,
https://quarto.org/docs/authoring/cross-references.html#theorems-and-proofs), checked in Chromium at 1280 and
390 px and in the PDF's text. One book, the fixture book with the authoring chapter (tests/fixtures/authoring),
built once, serves every test here; tests/test_quarto_real.py renders the same chapter with real Quarto."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import ARTIFACTS, authoring_book, run_build
from test_reading import WIDTHS, chromium

@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = authoring_book(tmp_path_factory.mktemp("layout") / "book")
    code, out, err = run_build(root)
    assert code == 0, err
    return root


def page_of(book) -> str:
    return (book / "_book/chapters/authoring.html").as_uri()


TABS = """() => Array.from(document.querySelectorAll('.panel-tabset [role=tab]')).map(t => [t.textContent,
    t.getAttribute('aria-selected'), t.tabIndex, document.getElementById(t.getAttribute('aria-controls')).hidden,
    document.getElementById(t.getAttribute('aria-controls')).getAttribute('aria-labelledby') === t.id])"""


def test_a_tabset_is_aria_tabs_that_the_keyboard_moves_through(book):
    """The WAI-ARIA Authoring Practices' tabs pattern (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/): one tab
    list, each tab labelling its panel; the tab Quarto marks ".active" is shown first; Right and Left move
    between tabs and wrap, Home and End go to the ends; only the selected tab is in the Tab order."""
    with chromium(WIDTHS["laptop"]) as page:
        page.goto(page_of(book) + "#sec-views")
        assert page.locator(".panel-tabset [role=tablist]").count() == 1
        assert page.evaluate(TABS) == [["Costs", "false", -1, True, True], ["Prices", "true", 0, False, True],
                                       ["Market", "false", -1, True, True]]
        page.locator("[role=tab]", has_text="Prices").focus()
        page.keyboard.press("ArrowRight")
        assert [t[1] for t in page.evaluate(TABS)] == ["false", "false", "true"]
        assert page.evaluate("document.activeElement.textContent") == "Market"
        page.keyboard.press("ArrowRight")
        assert [t[1] for t in page.evaluate(TABS)] == ["true", "false", "false"]
        page.keyboard.press("End")
        assert page.evaluate("document.activeElement.textContent") == "Market"
        page.keyboard.press("Home")
        page.keyboard.press("ArrowLeft")
        assert page.evaluate("document.activeElement.textContent") == "Market"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('role')") == "tabpanel"
        assert page.evaluate("document.activeElement.innerText").strip() == "NVIDIA fell 13% in a day."
        page.locator("#sec-views").screenshot(path=str(shots() / "tabset-1280.png"))


def test_a_tap_opens_a_tab_and_a_link_into_a_hidden_tab_shows_it(book):
    with chromium(WIDTHS["phone"], phone=True) as page:
        page.goto(page_of(book) + "#sec-views")
        page.locator("[role=tab]", has_text="Market").tap()
        assert page.locator("text=NVIDIA fell 13% in a day.").is_visible()
        assert not page.locator("text=R1’s prices are about 3% of o1’s.").is_visible()
        page.locator("#sec-views").screenshot(path=str(shots() / "tabset-390.png"))
        page.goto(page_of(book) + "#fig-inside")
        page.wait_for_function("!document.getElementById('fig-inside').closest('[role=tabpanel]').hidden")
        assert page.locator("#fig-inside").is_visible()


def test_without_javascript_each_tab_reads_as_a_heading_and_its_section(book):
    with chromium(WIDTHS["phone"], javascript=False) as page:
        page.goto(page_of(book))
        headings = page.evaluate("Array.from(document.querySelectorAll('.panel-tabset h3')).map(h => h.textContent)")
        assert headings == ["Costs", "Prices", "Market"]
        for text in ("The run took 2,788", "R1’s prices are about 3%", "NVIDIA fell 13%"):
            assert page.locator(f"text={text}").first.is_visible(), text


BOXES = """() => { const box = s => document.querySelector(s).getBoundingClientRect();
  const cells = document.querySelectorAll('.quarto-layout-cell');
  return {left: cells[0].getBoundingClientRect().toJSON(), right: cells[1].getBoundingClientRect().toJSON(),
          main: box('main').toJSON(), note: box('.column-margin').toJSON(),
          wide: document.documentElement.scrollWidth}; }"""


def test_layout_columns_sit_side_by_side_on_a_laptop_and_stack_on_a_phone_and_the_margin_note_likewise(book):
    """Quarto stacks a layout's cells below 768 px (its Bootstrap rules: media-breakpoint-down(md)); margin
    content stands beside the text where the page has room, in the text on a phone."""
    with chromium(WIDTHS["laptop"]) as page:
        page.goto(page_of(book) + "#sec-views")
        laptop = page.evaluate(BOXES)
        page.screenshot(path=str(shots() / "layout-1280.png"))
    assert laptop["left"]["top"] == laptop["right"]["top"] and laptop["left"]["right"] < laptop["right"]["left"]
    assert laptop["note"]["left"] >= laptop["main"]["right"] and laptop["note"]["right"] <= WIDTHS["laptop"]
    with chromium(WIDTHS["phone"], phone=True) as page:
        page.goto(page_of(book) + "#sec-views")
        phone = page.evaluate(BOXES)
        page.screenshot(path=str(shots() / "layout-390.png"), full_page=True)
    assert phone["right"]["top"] >= phone["left"]["bottom"]
    assert phone["main"]["left"] <= phone["note"]["left"] and phone["note"]["right"] <= phone["main"]["right"]
    assert phone["wide"] <= WIDTHS["phone"]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_axe_finds_no_violation_in_the_tabs_the_columns_the_margin_or_the_callouts(book, width):
    """The callouts' titles were below WCAG's 4.5:1 for a warning (3.25) and a tip (4.34) on their fill."""
    from axe_playwright_python.sync_playwright import Axe

    with chromium(width, phone=width == WIDTHS["phone"]) as page:
        page.goto(page_of(book))
        found = Axe().run(page, context={"include": [[".panel-tabset"], [".quarto-layout-panel"], [".column-margin"],
                                                     [".callout"]]}).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in found] == []


def test_the_pdf_prints_each_tab_under_its_heading_the_columns_side_by_side_and_the_note(book):
    """Outside HTML, Quarto prints a tabset as each tab's heading and content (panel-tabset.lua,
    render_tabset_with_l4_headings) and a layout as a Typst grid (layout/typst.lua)."""
    pdf = next((book / "_book").glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Costs The run took 2,788 thousand GPU-hours (Section 3.1)." in flat, flat
    assert "Prices R1’s prices are about 3% of o1’s." in flat and "Market NVIDIA fell 13% in a day." in flat
    assert flat.index("Costs The run took") < flat.index("Prices R1’s") < flat.index("Market NVIDIA")
    assert re.search(r"^\s*3\.4\.1 Left\s{2,}3\.4\.2 Right\s*$", text, re.M), "the layout's two cells share a line"
    assert "Theorem 3.1 (Budget) A run’s cost is its GPU-hours" in flat
    assert "Theorem 3.1 follows from Definition 3.1, and Listing 3.1 computes it; press Ctrl-C to stop it." in flat
    assert "Proof. Multiply the hours by the price of each." in flat and "Remark. Prices vary by region." in flat
    assert "Listing 3.1: The cost of a run cost = gpu_hours * price_per_hour" in flat
    assert "Only in the PDF." in flat and "Only on the site." not in flat
    assert "A margin note on the list price." in flat


def test_theorems_and_listings_are_numbered_and_referenced_and_headings_in_a_layout_are_sections(book):
    """Quarto numbers each theorem kind on its own per chapter ("Theorem 3.1", "Definition 3.1"), opens the
    theorem with its label and name in bold, captions a listing above its code ("Listing 3.1: …"), and numbers
    the headings of a layout panel as sections (3.3.1, 3.3.2), unlike a tab's or a callout's (checked against
    Quarto 1.11 with tests/test_quarto_real.py)."""
    import lxml.html

    page = lxml.html.parse(str(book / "_book/chapters/authoring.html")).getroot()
    text = lambda el: " ".join(el.text_content().split())  # noqa: E731
    theorem = page.get_element_by_id("thm-budget")
    assert "theorem" in theorem.classes
    assert text(theorem.xpath(".//strong")[0]) == "Theorem 3.1 (Budget)"
    assert text(theorem).startswith("Theorem 3.1 (Budget) A run’s cost")
    assert text(page.get_element_by_id("def-mfu").xpath(".//strong")[0]) == "Definition 3.1 (Model FLOPs utilisation)"
    links = {text(a): a.get("href") for a in page.xpath('//a[@class="quarto-xref"]')}
    assert {k: links[k] for k in ("Theorem 3.1", "Definition 3.1", "Listing 3.1")} == {
        "Theorem 3.1": "#thm-budget", "Definition 3.1": "#def-mfu", "Listing 3.1": "#lst-cost"}
    section = page.get_element_by_id("sec-margin-caption")  # code-fold and code-summary per cell
    assert [text(p) for p in section.xpath(".//pre[not(ancestor::details)]")] == ["stages = 3"]
    assert [(text(d.xpath("summary")[0]), text(d.xpath(".//pre")[0])) for d in section.xpath(".//details")] == [
        ("How the total is made", "total = 2664 + 119 + 5")]
    proofs = [text(d) for d in page.xpath("//div[contains(@class, 'proof')]")]
    assert proofs == ["Proof. Multiply the hours by the price of each.", "Remark. Prices vary by region."]
    assert page.xpath("//div[@class='proof remark']//span[@class='proof-title']/em/text()") == ["Remark"]
    assert page.xpath("//kbd/text()") == ["Ctrl-C"]
    listing = page.get_element_by_id("lst-cost")
    assert text(listing) == "Listing 3.1: The cost of a run cost = gpu_hours * price_per_hour"
    assert [text(h) for h in page.xpath("//div[contains(@class, 'quarto-layout-panel')]//h3")] == ["3.4.1 Left", "3.4.2 Right"]
    assert [text(h) for h in page.xpath("//div[contains(@class, 'panel-tabset')]//h3")] == ["Costs", "Prices", "Market"]
    assert "A paragraph shared with other chapters, included from its own file." in text(page)
    side = page.get_element_by_id("sec-side")
    assert [text(c) for c in side.xpath(".//div[contains(@class, 'quarto-layout-cell')]//figcaption")] == [
        "Figure 3.4: The left figure", "Figure 3.5: The right figure"]
    assert text(side.xpath(".//div[contains(@class, 'bottom-caption-table')]/div[last()]")[0]) == \
        "Table 3.2: Output prices, grid table"  # tbl-cap-location: bottom in the chapter's front matter
    assert text(side.xpath(".//p")[0]) == "Figure 3.4 and Figure 3.5 sit side by side; Table 3.2 is a grid table."
    rows = side.xpath(".//div[contains(@class, 'cell')]//div[contains(@class, 'quarto-layout-row')]")
    assert [len(row.xpath(".//img")) for row in rows] == [2]  # a cell's two plots, layout-ncol: 2
    custom = [c.get("style") for c in side.xpath(".//div[contains(@class, 'quarto-layout-cell')][p[starts-with(., 'The ')]]")]
    assert custom == ["flex-basis: 70.0%;", "flex-basis: 30.0%;"]  # layout="[[70,30]]"
    assert "This chapter was checked by the second desk for Fixture Book." in text(page)


DIAGRAM = """() => { const pre = document.querySelector('#fig-flow pre.mermaid'); const svg = pre.querySelector('svg');
  const text = svg.querySelector('text');
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return {labels: Array.from(svg.querySelectorAll('text')).map(t => t.textContent.trim()).filter(Boolean),
          px: parseFloat(getComputedStyle(text).fontSize) * scale, caption: document.querySelector('#fig-flow figcaption').textContent,
          frame: pre.getBoundingClientRect().right, wide: document.documentElement.scrollWidth}; }"""


def test_a_mermaid_diagram_is_drawn_by_the_pinned_mermaid_js_offline_with_labels_a_phone_can_read(book):
    """https://quarto.org/docs/authoring/diagrams.html: a {mermaid} cell is drawn on the page by mermaid.js, here the
    release pinned in package-lock.json (the one Quarto 1.11 bundles), from the site's own files; labelled, it is a
    numbered figure. On a phone the diagram keeps its labels at 12 px or more and scrolls in its own frame."""
    import json

    from conftest import ROOT

    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["mermaid"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/mermaid"]["version"]
    installed = json.loads((ROOT / "node_modules/mermaid/package.json").read_text())["version"]
    assert pinned == locked == installed == "11.12.0"
    site = book / "_book"
    assert (site / "site_libs/mermaid.min.js").read_bytes() == (ROOT / "node_modules/mermaid/dist/mermaid.min.js").read_bytes()
    assert "mermaid.min.js" not in (site / "chapters/numbers.html").read_text(encoding="utf-8")  # only where needed
    for width, phone in ((WIDTHS["laptop"], False), (WIDTHS["phone"], True)):
        with chromium(width, phone=phone) as page:  # it aborts any request that is not for a file
            page.goto(page_of(book) + "#sec-diagram")
            page.wait_for_selector("#fig-flow pre.mermaid svg text", state="attached")
            drawn = page.evaluate(DIAGRAM)
            page.locator("#fig-flow").screenshot(path=str(shots() / f"diagram-{width}.png"))
        assert drawn["labels"] == ["sources agree", "sources differ", "Article", "Claim", "Holds", "Does not hold"]
        assert drawn["caption"] == "Figure 3.1: From the article’s claim to a verdict"
        assert drawn["px"] >= 12, drawn
        assert drawn["wide"] <= width and drawn["frame"] <= width


def test_the_pdf_sets_the_diagram_as_the_svg_the_build_drew_and_a_broken_one_stops_the_build(book, tmp_path):
    """The PDF cannot run mermaid.js: the build draws the diagram with it in headless Chromium and sets the SVG,
    whose labels are text. A diagram mermaid cannot read stops the build in one line naming its file and line."""
    pdf = next((book / "_book").glob("*.pdf"))
    flat = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "Figure 3.1 shows how a claim gets its verdict." in flat
    assert "Article" in flat and "sources agree" in flat and "Does not hold" in flat
    assert "Figure 3.1: From the article’s claim to a verdict" in flat
    assert "flowchart LR" not in flat  # never its source
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(book, broken, symlinks=True)  # with its last good _book/ and the build's cache
    before = {p: p.read_bytes() for p in (broken / "_book").rglob("*") if p.is_file()}
    chapter = broken / "chapters/authoring.qmd"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("B -->|sources differ| D[Does not hold]", "B -->|sources differ| D[Does not hold"),
                       encoding="utf-8")
    line = text.split("\n").index("```{mermaid}") + 1
    code, out, err = run_build(broken, "--to", "html")
    assert code != 0 and "Traceback" not in err
    assert re.search(rf"^(error: )?chapters/authoring\.qmd:{line}: mermaid diagram: Parse error on line \d+", err, re.M), err
    assert {p: p.read_bytes() for p in (broken / "_book").rglob("*") if p.is_file()} == before


def test_a_diagram_is_drawn_the_same_each_time():
    """The same diagram gives the same SVG bytes (mermaid's deterministicIds), so that the PDF is reproducible."""
    from briefing.render.diagrams import Diagram, draw

    diagram = Diagram("flowchart LR\n  A[Article] --> B{Claim}", "x.qmd:1", "d.svg")
    assert draw([diagram], None)["d.svg"] == draw([diagram], None)["d.svg"]


ICONS = """() => Array.from(document.querySelectorAll('.callout-title')).map(t => [t.textContent.trim(),
    getComputedStyle(t, '::before').content !== 'none' && getComputedStyle(t, '::before').maskImage.includes('svg')])"""


def test_callouts_carry_their_icon_unless_told_not_to(book):
    """https://quarto.org/docs/authoring/callouts.html: each callout has its kind's icon (Bootstrap Icons, as in
    Quarto), drawn on the site and in the PDF, except with icon="false"."""
    with chromium(WIDTHS["laptop"]) as page:
        page.goto(page_of(book))
        icons = dict(page.evaluate(ICONS))
    assert icons == {"A folded tip": True, "A note without its icon": False}
    from test_answer_first import through_quarto_lua  # the PDF draws them too: the callout's Typst says which

    assert '#callout(kind: "note", appearance: "default", icon: false' in through_quarto_lua(
        '::: {.callout-note icon="false"}\n## T\nB.\n:::\n', "typst")


CAPTIONS = """() => { const box = s => document.querySelector(s).getBoundingClientRect().toJSON();
  return {figure: box('#fig-hours img'), caption: box('#fig-hours figcaption'), main: box('main'),
          table: box('#sec-equations .table-wrap'), below: box('#sec-equations .bottom-caption-table > .table-caption')}; }"""


def test_captions_go_where_the_chapter_and_its_cells_say(book):
    """https://quarto.org/docs/authoring/article-layout.html#margin-captions: fig-cap-location: margin (a cell option)
    sets the caption beside the figure in the margin on a laptop and under it on a phone; tbl-cap-location: bottom
    (the chapter's front matter) sets the tables' captions under them, on the site and in the PDF."""
    with chromium(WIDTHS["laptop"]) as page:
        page.goto(page_of(book) + "#sec-margin-caption")
        laptop = page.evaluate(CAPTIONS)
    assert laptop["caption"]["left"] >= laptop["main"]["right"] and laptop["caption"]["right"] <= WIDTHS["laptop"]
    assert abs(laptop["caption"]["top"] - laptop["figure"]["top"]) < 20
    assert laptop["below"]["top"] >= laptop["table"]["bottom"]
    with chromium(WIDTHS["phone"], phone=True) as page:
        page.goto(page_of(book) + "#sec-margin-caption")
        phone = page.evaluate(CAPTIONS)
    assert phone["caption"]["top"] >= phone["figure"]["bottom"] and phone["caption"]["right"] <= WIDTHS["phone"]
    pdf = next((book / "_book").glob("*.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    caption = lines.index("Table 3.1: GPU-hours by stage")
    assert lines[caption - 1].startswith("Post-training"), lines[caption - 4:caption + 1]


def shots():
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
