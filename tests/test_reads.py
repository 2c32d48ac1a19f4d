"""Stamps keyed on what a chapter read (issue 12): the record (briefing.reads), undeclared reads
caught by the audit hook, and a change to one data file re-executing exactly the chapters that read it."""

from __future__ import annotations

import csv
import glob
import json
import os
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from briefing import data, paths
from briefing import reads as reading
from conftest import copy_project, run_build


def executed(out: str) -> set[str]:
    return set(re.findall(r"^executed (\S+)", out, flags=re.M))


# --- the record, in this process -----------------------------------------------------------------


def test_an_undeclared_open_a_pandas_read_and_a_listing_are_recorded():
    reading.reset()
    with open(paths.DATA / "fx_rates.csv", encoding="utf-8") as fh:
        fh.readline()
    pd.read_csv(os.path.relpath(paths.DATA / "gpus.csv"))
    sorted(glob.glob(str(paths.DATA / "configs" / "*.json")))
    (paths.DATA / "article.json").read_text(encoding="utf-8")
    record = reading.record()
    digest = "sha256:" + __import__("hashlib").sha256((paths.DATA / "fx_rates.csv").read_bytes()).hexdigest()
    assert dict(record["data"])["fx_rates.csv"] == digest
    assert [p for p, _ in record["data"]] == ["article.json", "fx_rates.csv", "gpus.csv"]
    assert [name for name, _ in record["other"]] == ["data/configs/"]
    assert record["other"][0][1] == reading.listing_hash(str(paths.DATA / "configs"))


def test_validation_reads_are_the_library_s_own_not_the_chapter_s():
    """load() of verdicts.csv checks its foreign key into claims.csv (reading it), and reads the
    descriptor: the chapter read verdicts.csv only."""
    reading.reset()
    os.environ.pop(data.VALIDATED_ENV, None)
    data._VALID.clear()
    data.load("verdicts")
    descriptor = json.loads((paths.DATA / "datapackage.json").read_text(encoding="utf-8"))
    reading.reset()
    data.load("verdicts")
    hashes = {r["path"]: r["hash"] for r in descriptor["resources"]}
    assert reading.record() == {"data": [("verdicts.csv", hashes["verdicts.csv"])], "other": []}


def test_a_package_validated_clean_is_not_validated_again_until_a_file_changes(tmp_path):
    folder = tmp_path / "data"
    for path in paths.DATA.rglob("*"):
        if path.is_file():
            (folder / path.relative_to(paths.DATA)).parent.mkdir(parents=True, exist_ok=True)
            (folder / path.relative_to(paths.DATA)).write_bytes(path.read_bytes())
    assert data.validate(folder) == [] and data.known_valid(folder)
    rows = list(csv.reader((folder / "fx_rates.csv").open(encoding="utf-8")))
    rows[1][rows[0].index("rate")] = "not a number"
    with (folder / "fx_rates.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    assert not data.known_valid(folder)
    data.rehash(folder)
    problems = data.validate(folder)
    assert any(p.file.endswith("fx_rates.csv") and p.column == "rate" for p in problems)


# --- in kernels, through the build ----------------------------------------------------------------

BOOK = {
    "_quarto.yml": "project:\n  type: book\n  execute-dir: project\nbook:\n  title: Reads\n  chapters:\n"
                   "    - index.qmd\n    - a.qmd\n    - b.qmd\n    - c.qmd\n",
    "index.qmd": "# Preface {.unnumbered}\n\nNo code here.\n",
    "a.qmd": "# A\n\n```{python}\nwith open('data/a.csv') as fh:\n    rows = fh.read().splitlines()\n```\n\n"
             "A has `{python} len(rows)` rows.\n",
    "b.qmd": "# B\n\n```{python}\nfrom pathlib import Path\nnote = Path('data/b.txt').read_text()\n"
             "parts = sorted(p.name for p in Path('data/sub').iterdir())\n```\n\n"
             "B says `{python} note.strip()` and lists `{python} len(parts)` parts.\n",
    "c.qmd": "# C\n\n```{python}\nx = 6 * 7\n```\n\nC is `{python} x`.\n",
    "data/a.csv": "n\n1\n2\n",
    "data/b.txt": "hello\n",
    "data/sub/one.txt": "1\n",
}


@pytest.fixture
def reads_book(tmp_path) -> Path:
    for name, text in BOOK.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, out, err = run_build(tmp_path, "--to", "html")
    assert code == 0, err
    assert executed(out) == {"index.qmd", "a.qmd", "b.qmd", "c.qmd"}
    return tmp_path


def test_reads_made_with_plain_open_and_pathlib_are_in_the_stamp(reads_book):
    inputs = {name: nbformat.read(reads_book / "chapters/_notebooks" / f"{name}.ipynb", as_version=4)
              .metadata["briefing"]["inputs"] for name in ("a", "b", "c")}
    assert "data/a.csv" in inputs["a"] and "data/b.txt" not in inputs["a"]
    assert {"data/b.txt", "data/sub/"} <= set(inputs["b"]) and "data/a.csv" not in inputs["b"]
    assert not [name for name in inputs["c"] if name.startswith("data/")]


def test_a_changed_file_re_executes_exactly_the_chapters_that_read_it(reads_book):
    (reads_book / "data/a.csv").write_text("n\n1\n2\n3\n", encoding="utf-8")
    code, out, err = run_build(reads_book, "--to", "html")
    assert code == 0, err
    assert executed(out) == {"a.qmd"}
    assert "A has 4 rows" in re.sub(r"<[^>]+>", "", (reads_book / "_book/a.html").read_text(encoding="utf-8"))

    (reads_book / "data/sub/two.txt").write_text("2\n", encoding="utf-8")  # a new file in a listed folder
    code, out, err = run_build(reads_book, "--to", "html")
    assert code == 0, err
    assert executed(out) == {"b.qmd"}

    (reads_book / "data/unread.txt").write_text("no chapter reads me\n", encoding="utf-8")
    code, out, err = run_build(reads_book, "--to", "html")
    assert code == 0, err
    assert executed(out) == set()


def test_one_value_in_fx_rates_re_executes_only_the_chapters_that_read_the_table(tmp_path):
    """In the briefing: fx_rates.csv is read by the markets chapter, by the two pages that
    describe the whole package (the summary counts every sourced row; data and methods lists every
    file with its hash), and by the verdicts chapter, whose ledger names the source of every verdict's
    evidence (the rate of the day is evidence of C15). Nothing else re-executes."""
    project = copy_project(tmp_path / "project")
    code, out, err = run_build(project, "--to", "html")
    assert code == 0, err
    assert executed(out) == set()
    path = project / "data/fx_rates.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    column = rows[0].index("notes")
    rows[1][column] = rows[1][column] + " (edited)"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    data.rehash(project / "data")
    code, out, err = run_build(project, "--to", "html")
    assert code == 0, err
    assert executed(out) == {"index.qmd", "chapters/markets-and-money.qmd", "chapters/data-and-methods.qmd",
                             "chapters/verdicts.qmd"}
