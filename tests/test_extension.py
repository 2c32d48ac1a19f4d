"""The reader features as a Quarto extension (issue 21): ``_extensions/briefing`` holds the filters, and the
built-in engine runs the filters ``_quarto.yml`` names (``filters:``), as Quarto does
(https://quarto.org/docs/extensions/filters.html): a Lua file, or an installed extension by name, before the
engine's own filter unless listed after ``quarto``. Anything else is refused in one line, by name."""

from __future__ import annotations

import yaml

from conftest import ROOT, copy_book, run_build

SHOUT = """
function Str(s) if s.text == "stages;" then return pandoc.Str("STAGES;") end end
"""
QUOTED = """
-- Runs after the engine's filter: the engine has already made cross-references into links.
function Link(link) if link.classes:includes("quarto-xref") then link.attributes["data-after"] = "yes" end return link end
"""


def with_filters(tmp_path, filters, files=None):
    book = copy_book(tmp_path / "book")
    config = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))
    config["filters"] = filters
    (book / "_quarto.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for name, text in (files or {}).items():
        (book / name).parent.mkdir(parents=True, exist_ok=True)
        (book / name).write_text(text, encoding="utf-8")
    return book


def test_the_project_declares_its_reader_features_as_a_quarto_extension():
    manifest = yaml.safe_load((ROOT / "_extensions/briefing/_extension.yml").read_text(encoding="utf-8"))
    assert manifest["contributes"]["filters"] == ["claim-links.lua", "record.lua", "figure-values.lua", "local-links.lua",
                                                  {"path": "data-names.lua", "at": "post-quarto"},
                                                  {"path": "tables.lua", "at": "post-quarto"}]
    config = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["filters"] == ["briefing"]
    assert config["project"]["pre-render"] == "_extensions/briefing/pre-render.py"
    assert ".briefing-cache/quarto/metadata.yml" in config["metadata-files"]


def test_the_built_in_engine_runs_a_projects_filters_and_extensions_in_quartos_order(tmp_path):
    book = with_filters(tmp_path, ["shout.lua", "quarto", "marked"], {
        "shout.lua": SHOUT, "_extensions/acme/marked/_extension.yml": "contributes:\n  filters:\n    - after.lua\n",
        "_extensions/acme/marked/after.lua": QUOTED})
    code, out, err = run_build(book, "--to", "html")
    assert code == 0, err
    page = (book / "_book/chapters/figures.html").read_text(encoding="utf-8")
    assert "STAGES;" in page
    assert 'data-after="yes"' in page  # the extension ran after the engine's filter, as listed after `quarto`


def test_an_extension_filter_placed_after_quarto_runs_after_the_engines_filter(tmp_path):
    """`at: post-quarto` in an extension (as data-names.lua is placed, to see tables and captions built)."""
    book = with_filters(tmp_path, ["marked"], {
        "_extensions/marked/_extension.yml": "contributes:\n  filters:\n    - path: after.lua\n      at: post-quarto\n",
        "_extensions/marked/after.lua": QUOTED})
    code, out, err = run_build(book, "--to", "html")
    assert code == 0, err
    assert 'data-after="yes"' in (book / "_book/chapters/figures.html").read_text(encoding="utf-8")


def test_a_filter_the_engine_cannot_run_is_refused_by_name_and_line(tmp_path):
    book = with_filters(tmp_path, ["shout.lua", "pandoc-crossref"], {"shout.lua": SHOUT})
    code, out, err = run_build(book, "--to", "html")
    assert code != 0 and "Traceback" not in err
    line = (book / "_quarto.yml").read_text(encoding="utf-8").splitlines().index("- pandoc-crossref") + 1
    assert f"_quarto.yml:{line}: filters: pandoc-crossref: neither a Lua filter nor an installed extension" in err
    assert "render with Quarto (`briefing build --engine quarto`) or remove it" in err
    assert not (book / "_book").exists() or not any((book / "_book").iterdir())


def test_a_changed_filter_rebuilds_the_pages(tmp_path):
    book = with_filters(tmp_path, ["shout.lua"], {"shout.lua": SHOUT})
    assert run_build(book, "--to", "html")[0] == 0
    (book / "shout.lua").write_text(SHOUT.replace("STAGES;", "LOUDER;"), encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")
    assert code == 0, err
    assert "LOUDER;" in (book / "_book/chapters/figures.html").read_text(encoding="utf-8")


def test_the_pre_render_step_writes_the_filters_metadata_under_the_cache_only(tmp_path):
    """What Quarto's pre-render gives the claim-links filter is what the built-in engine gives it."""
    import json

    import nbformat

    from briefing.quarto.prerender import METADATA, write_metadata
    from briefing.render.notebook import data_reads
    from briefing.verdicts import verdict_links
    from conftest import copy_project

    project = copy_project(tmp_path / "project")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    written = write_metadata(project)
    assert written == project / METADATA
    meta = json.loads(written.read_text(encoding="utf-8"))
    assert meta["briefing-claims"] == verdict_links(project / "data")
    assert meta["briefing-claims"]["C07"] == "/chapters/training-cost.qmd#verdict-c07"
    assert meta["briefing-data-titles"]["data/claims.csv"] == "the claims ledger"
    prices = meta["briefing-pages"]["chapters/prices.qmd"]  # what the record filter ends the page with
    nb = nbformat.read(project / "chapters/_notebooks/prices.ipynb", as_version=4)
    assert [(r["file"], r["hash"]) for r in prices["data-read"]] == data_reads(nb)
    assert prices["notebook"] == "../notebooks/prices.html"
    assert prices["data-read"][0]["href"] == "../data/api_prices.csv" and "data/api_prices.csv" in meta["briefing-data-files"]
    assert meta["briefing-coverage"].startswith("` | Values | Printed | From data rows | From the article |")
    assert "\\n\\n: What the book prints" in meta["briefing-coverage"]  # line breaks kept, blank lines too
    assert meta["briefing-pdf-labels"]["prices.qmd"] == "prices-per-token"
    assert "@deepseekv2" in meta["nocite"] and "@deepseekv3" in meta["nocite"]  # "2024a" and "2024b" in every chapter
    after = sorted(p.relative_to(project) for p in project.rglob("*") if ".briefing-cache" not in p.parts)
    assert after == [p for p in before if ".briefing-cache" not in p.parts]


def test_the_pdf_keeps_the_text_of_a_link_to_a_place_the_page_does_not_have():
    """Quarto's PDF failed on the table notes' in-page links ("label `<t5c75c7c7-source-1>` does not exist in
    the document", typst 0.15): local-links.lua keeps such a link's text; links that resolve are kept."""
    import subprocess

    from briefing.render.pandoc import pandoc_binary

    source = "A row[^1^](#t1-source-1), a [heading](#here) and [a page](other.html#x).\n\n## Here {#here}\n"
    run = lambda to: subprocess.run(  # noqa: E731
        [pandoc_binary(), "--from", "markdown", "--to", to, "--lua-filter",
         str(ROOT / "_extensions/briefing/local-links.lua")], input=source, capture_output=True, text=True,
        check=True).stdout
    typst = run("typst")
    assert "t1-source-1" not in typst and "#super[1]" in typst
    assert "#link(<here>)[heading]" in typst and '#link("other.html#x")[a page]' in typst
    assert 'href="#t1-source-1"' in run("html")


RECORD_SOURCE = """---
briefing-input: chapters/prices.qmd
briefing-pages:
  chapters/prices.qmd:
    notebook: ../notebooks/prices.html
    last-changed: "Last changed in version 1.0.0 ([2026-12-02]{.nobr})."
    data-read:
      - {file: api_prices.csv, href: ../data/api_prices.csv, excel: ../data/excel/api_prices.csv, hash: "sha256:e82e"}
      - {file: notes.md, href: "", excel: "", hash: "sha256:0f0f"}
  chapters/other.qmd:
    notebook: ../notebooks/other.html
---

# Prices [3%]{.computed data-cell="c1"}

DeepSeek charges [3.7%]{.computed data-cell="c2" data-expr="share" data-rows="api_prices.csv rows 2-3"} of o1's price;
[a phrase of many more words than a value]{.computed .sentence data-cell="c3"}; see [the [4]{.computed data-cell="c4"} prices](#x).
"""


def run_record(to: str, source: str = RECORD_SOURCE) -> str:
    import subprocess

    from briefing.render.pandoc import pandoc_binary

    return subprocess.run([pandoc_binary(), "--from", "markdown", "--to", to, "--wrap", "none", "--lua-filter",
                           str(ROOT / "_extensions/briefing/record.lua")], input=source, capture_output=True,
                          text=True, check=True).stdout


def test_the_record_filter_links_each_computed_value_to_its_notebook_cell_on_the_site_only():
    import lxml.html

    page = lxml.html.fromstring(run_record("html"))
    value = page.xpath('//a[@class="computed"][@href="../notebooks/prices.html#c2"]')
    assert [v.text_content() for v in value] == ["3.7%"]
    assert value[0].get("data-expr") == "share" and value[0].get("data-rows") == "api_prices.csv rows 2-3"
    marker = page.xpath('//a[@class="computed marker"]')[0]  # a phrase stays text, with a marker that is the link
    assert marker.get("href") == "../notebooks/prices.html#c3" and marker.get("aria-label") == "Where this comes from"
    assert "a phrase of many more words than a value" in " ".join(page.xpath("//p")[0].text_content().split())
    assert not page.xpath("//h1//a[@class='computed']") and "Prices 3%" in page.xpath("//h1")[0].text_content()
    assert not page.xpath('//a[@href="#x"]//a')  # no link inside a link
    typst = run_record("typst")
    assert "notebooks" not in typst and "3.7%" in typst


def test_the_record_filter_ends_the_page_with_the_data_read_and_the_release_that_last_changed_it():
    import lxml.html

    page = lxml.html.fromstring(run_record("html"))
    section = page.xpath('//*[@id="data-read"]')[0]
    assert " ".join(section.text_content().split()).startswith("Data read by this chapter")
    assert "unlisted" in section.get("class") and "unnumbered" in section.get("class")
    items = page.xpath('//div[@class="data-read"]//li')
    assert [i.xpath(".//a/@href") for i in items] == [["../data/api_prices.csv", "../data/excel/api_prices.csv"], []]
    assert "sha256:0f0f" in items[1].text_content()  # a file the site does not offer: named, not linked
    assert page.xpath('//p[contains(., "executed notebook")]/a/@href') == ["../notebooks/prices.html"]
    assert page.xpath('//div[@class="last-changed"]//span[@class="nobr"]/text()') == ["2026-12-02"]
    typst = run_record("typst")
    assert "Last changed in version 1.0.0" in typst and "Data read" not in typst


def test_the_record_filter_reads_its_page_by_the_chapter_it_renders():
    """Under Quarto the metadata holds every page; a page not in it gets bare values and no foot."""
    html = run_record("html", RECORD_SOURCE.replace("briefing-input: chapters/prices.qmd",
                                                    "briefing-input: chapters/other.qmd"))
    assert "../notebooks/other.html#c2" in html and "Data read" not in html and "Last changed" not in html
    html = run_record("html", RECORD_SOURCE.replace("briefing-input: chapters/prices.qmd",
                                                    "briefing-input: chapters/absent.qmd"))
    assert 'class="computed"' not in html and "3.7%" in html


def test_a_value_that_names_claims_keeps_its_claim_links_beside_its_marker():
    """claim-links.lua runs before record.lua: a computed value naming claims becomes a phrase whose ids link
    to their verdicts, with the marker that opens where it comes from (no link inside the value's link)."""
    import subprocess

    import lxml.html

    from briefing.render.pandoc import pandoc_binary

    source = RECORD_SOURCE.split("---\n\n")[0] + """briefing-claims:
  C07: chapters/training-cost.qmd#verdict-c07
---

Two claims, [C07 and a longer list of words]{.computed data-cell="c9"}, are wrong.
"""
    filters = []
    for name in yaml.safe_load((ROOT / "_extensions/briefing/_extension.yml").read_text())["contributes"]["filters"]:
        if isinstance(name, str):
            filters += ["--lua-filter", str(ROOT / "_extensions/briefing" / name)]
    html = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", "html", *filters], input=source,
                          capture_output=True, text=True, check=True).stdout
    page = lxml.html.fromstring(html)
    assert page.xpath('//a[@class="claim-ref"]/@href') == ["chapters/training-cost.qmd#verdict-c07"]
    assert page.xpath('//a[@class="computed marker"]/@href') == ["../notebooks/prices.html#c9"]
    assert not page.xpath("//a//a")


def test_a_table_note_left_as_raw_html_names_its_data_files_in_words():
    """Quarto parses a table a chapter prints as HTML but leaves its source note as raw HTML beside it: the
    note says "the article's text", linked to the download, as the built-in engine's page does."""
    import subprocess

    from briefing.render.pandoc import pandoc_binary

    source = """---
briefing-data-titles:
  data/article-fr.txt: the article’s text
briefing-data-files: [data/article-fr.txt]
---

```{=html}
<div class="table-sources"><ol><li><span id="s-1"></span>French translation in data/article-fr.txt line 4.</li></ol></div>
```
"""
    html = subprocess.run([pandoc_binary(), "--from", "markdown", "--to", "html", "--wrap", "none", "--lua-filter",
                           str(ROOT / "_extensions/briefing/data-names.lua")], input=source, capture_output=True,
                          text=True, check=True).stdout
    assert ('French translation in <a href="data/article-fr.txt" title="data/article-fr.txt">the article’s text</a>'
            ' line 4.') in html
    assert '<span id="s-1"></span>' in html


def test_the_pdf_links_a_place_or_a_chapter_in_another_file_to_that_place_in_the_book():
    """Quarto's PDF is one document, but it leaves a table's claim link ("/chapters/prices.qmd#verdict-c13") and a
    link to a chapter ("chapters/prices.qmd") as links to files, and prints a table's HTML entities: in the PDF
    they are links to the place, and the characters."""
    import subprocess

    from briefing.render.pandoc import pandoc_binary

    source = """---
briefing-pdf-labels:
  prices.qmd: prices-per-token
---

# Prices per token {#prices-per-token}

See [C13](/chapters/prices.qmd#verdict-c13), [the chapter](./chapters/prices.qmd), [a gone
place](chapters/prices.qmd#nowhere) and the bank&#x27;s offer. [C13]{#verdict-c13}
"""
    typst = subprocess.run([pandoc_binary(), "--from", "markdown-raw_html", "--to", "typst", "--lua-filter",
                            str(ROOT / "_extensions/briefing/local-links.lua")], input=source, capture_output=True,
                           text=True, check=True).stdout
    assert "#link(<verdict-c13>)[C13]" in typst and "#link(<prices-per-token>)[the chapter]" in typst
    assert "bank\\'s offer" in " ".join(typst.split()) and "&" not in typst  # (Typst escapes the apostrophe)
    assert '#link("chapters/prices.qmd#nowhere")' in typst  # a place the book lacks: left as it was


def test_the_pre_render_step_writes_the_pdfs_generated_appendices_for_quarto(tmp_path):
    """Quarto's PDF closes, as the built-in engine's does, with What changed and Where the numbers come from:
    Typst headings that Quarto's appendix numbering letters, links to the book's own labels."""
    import re

    from briefing.quarto.prerender import APPENDICES, write_appendices
    from conftest import copy_project

    project = copy_project(tmp_path / "project")
    typst = write_appendices(project).read_text(encoding="utf-8")
    assert write_appendices(project) == project / APPENDICES
    assert re.search(r"^= What changed between editions$", typst, re.M)
    assert re.search(r"^= Where the numbers come from$", typst, re.M)
    assert "carries no git history" in typst  # this copy has none: said in words
    assert not re.search(r'#link\("[^"]*\.qmd', typst)  # a link to a chapter is a link to its heading
    assert "[2 Reasoning performance: R1 against o1]" in typst  # each chapter numbered as the book numbers it
    assert "AIME 2024" in typst  # the numbers the verdicts rest on, with their sources
