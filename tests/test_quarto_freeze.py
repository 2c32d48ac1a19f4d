"""Quarto's ``_freeze/`` written from the committed notebooks (issue 21, item 2): ``quarto render`` reuses the
versioned record for every chapter whose notebook is current, and executes a chapter whose notebook is stale,
the same chapters ``briefing build`` would execute. These tests need no Quarto; tests/test_quarto_real.py runs
the real one when it is on PATH."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from conftest import copy_project


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("freeze") / "project")


def chapters_reading(project: Path, name: str) -> set[str]:
    """The chapters whose committed notebook records reading ``name``: what must run again when it changes."""
    found = set()
    for nb in (project / "chapters/_notebooks").glob("*.ipynb"):
        inputs = json.loads(nb.read_text(encoding="utf-8"))["metadata"]["briefing"]["inputs"]
        if name in inputs:
            found.add(nb.stem)
    return found


def change_one_exchange_rate(project: Path) -> None:
    """One value of data/fx_rates.csv edited as an author would (7.1705 -> 7.1706), then declared with
    `briefing check --rehash`."""
    from briefing.data import rehash

    fx = project / "data/fx_rates.csv"
    rows = list(csv.reader(io.StringIO(fx.read_text(encoding="utf-8"))))
    rows[1][rows[0].index("rate")] = "7.1706"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    fx.write_text(out.getvalue(), encoding="utf-8")
    rehash(project / "data")


def test_a_current_notebook_becomes_a_freeze_entry_quarto_accepts(project):
    from briefing.quarto.freeze import write_freeze

    done = write_freeze(project)
    assert set(done.values()) == {"frozen"} and len(done) == 12
    # one entry per output: the site's (html) and the PDF's Typst (typ), the same executed markdown
    results = project / "_freeze/chapters/prices/execute-results"
    assert (results / "typ.json").read_bytes() == (results / "html.json").read_bytes()
    entry = json.loads((results / "html.json").read_text(encoding="utf-8"))
    # Quarto reuses an entry whose hash is the MD5 of the source with LF line endings (quarto-cli v1.11.0,
    # src/command/render/freeze.ts, freezeInputHash and defrostExecuteResult).
    source = (project / "chapters/prices.qmd").read_bytes().replace(b"\r\n", b"\n")
    assert entry["hash"] == hashlib.md5(source).hexdigest()
    result = entry["result"]
    assert result["engine"] == "jupyter" and result["supporting"] == ["prices_files"]
    markdown = result["markdown"]
    assert markdown.startswith('---\ntitle: "Prices per token"\n---\n')
    assert "{python}" not in markdown and "#| " not in markdown  # values in place, cells as their outputs
    assert "[3.65%]{.computed" in markdown  # R1's output price share, with its provenance, as the site prints it
    image = "prices_files/figure-html/fig-prices-task-output-1.svg"
    assert f"]({image}){{#fig-prices-task fig-alt=" in markdown
    assert (project / "_freeze/chapters/prices/figure-html/fig-prices-task-output-1.svg").read_bytes().startswith(b"<?xml")
    assert "::: {#tbl-prices-list .cell tbl-cap='List prices" in markdown


def test_a_data_edit_leaves_exactly_the_chapters_that_read_it_to_quarto(project):
    from briefing.quarto.freeze import write_freeze

    write_freeze(project)
    change_one_exchange_rate(project)
    done = write_freeze(project)
    stale = {Path(name).stem for name, what in done.items() if what != "frozen"}
    assert stale == chapters_reading(project, "data/fx_rates.csv") and "markets-and-money" in stale
    for stem in stale:
        folder = project / ("_freeze/index" if stem == "index" else f"_freeze/chapters/{stem}")
        assert not folder.exists(), f"{stem}: a stale record would be served"
    assert (project / "_freeze/chapters/prices/execute-results/html.json").is_file()
