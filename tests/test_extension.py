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
    assert manifest["contributes"]["filters"] == ["claim-links.lua", "figure-values.lua", "local-links.lua",
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

    from briefing.quarto.prerender import METADATA, write_metadata
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
