"""`briefing diff` (issue 13): two editions made in a temporary git repository (a prose edit, a data
change that moves an inline value, a table cell and a verdict, an added chapter); the report names
exactly those changes and nothing else, without executing anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EPOCH, run_build

QUARTO = "project:\n  type: book\nbook:\n  title: Editions\n  chapters:\n    - index.qmd\n    - chapters/a.qmd\n{more}"
CHAPTER_A = """---
title: "A"
---

```{{python}}
#| include: false
import pandas as pd
frame = pd.read_csv("data/figures.csv")
value = int(frame.set_index("id").loc["x", "value"])
```

{prose}

The figure for x is `{{python}} value`.

```{{python}}
#| label: tbl-figures
#| tbl-cap: "The figures (data/figures.csv)"
frame.set_index("id")
```
"""
DESCRIPTOR = {"name": "editions", "resources": [
    {"name": "figures", "path": "figures.csv", "schema": {"fields": [{"name": "id"}, {"name": "value"}], "primaryKey": ["id"]}},
    {"name": "claims", "path": "claims.csv", "schema": {"fields": [{"name": "claim_id"}], "primaryKey": ["claim_id"]}},
]}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_AUTHOR_DATE": f"@{EPOCH} +0000",
           "GIT_COMMITTER_DATE": f"@{EPOCH} +0000"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env).stdout


def write(repo: Path, name: str, text: str) -> None:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text, encoding="utf-8")


def commit(repo: Path, message: str) -> str:
    """Build (so the notebooks are the edition's), then commit with the data package's descriptor."""
    descriptor = repo / "data/datapackage.json"
    descriptor.unlink(missing_ok=True)  # the build would hold this toy package to the briefing's rules
    code, out, err = run_build(repo, "--to", "html")
    assert code == 0, err
    descriptor.write_text(json.dumps(DESCRIPTOR, indent=1), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    repo = tmp_path_factory.mktemp("editions")
    git(repo, "init", "-q")
    write(repo, ".gitignore", "_book/\n.briefing-cache/\n")
    write(repo, "_quarto.yml", QUARTO.format(more=""))
    write(repo, "index.qmd", "# Editions {.unnumbered}\n\nTwo editions.\n")
    write(repo, "chapters/a.qmd", CHAPTER_A.format(prose="A first sentence."))
    write(repo, "data/figures.csv", "id,value\nx,5\ny,9\n")
    write(repo, "data/claims.csv", "claim_id,chapter,verdict,rationale\nC01,a,accurate,the figure is 5\n")
    first = commit(repo, "first edition")
    write(repo, "chapters/a.qmd", CHAPTER_A.format(prose="A first sentence, now rewritten."))
    write(repo, "data/figures.csv", "id,value\nx,7\ny,9\n")
    write(repo, "data/claims.csv", "claim_id,chapter,verdict,rationale\nC01,a,inaccurate,the figure is 7\n")
    write(repo, "chapters/b.qmd", "# B\n\nA new chapter.\n")
    write(repo, "_quarto.yml", QUARTO.format(more="    - chapters/b.qmd\n"))
    second = commit(repo, "second edition")
    return repo, first, second


def diff(repo: Path, *args: str):
    return subprocess.run([sys.executable, "-m", "briefing.cli", "diff", "--project", str(repo), *args],
                          capture_output=True, text=True, check=False)


def test_the_diff_names_exactly_the_changes(editions):
    repo, first, second = editions
    result = diff(repo, first, second, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    line = CHAPTER_A.format(prose="A first sentence, now rewritten.").splitlines().index(
        "The figure for x is `{python} value`.") + 1
    assert report["chapters_added"] == ["b"] and report["chapters_removed"] == []
    assert report["chapters"] == {"a": {
        "inline": [{"expr": "value", "line": line, "old": "5", "new": "7"}],
        "tables": {"tbl-figures": {"cells": [{"row": "x", "column": "value", "old": "5", "new": "7"}]}},
        "figures": [],
        "verdicts": [{"claim": "C01", "old": "accurate", "new": "inaccurate", "rationale": "the figure is 7"}],
    }}
    assert report["data"]["rows"] == [
        {"table": "claims.csv", "key": "C01", "change": "changed",
         "columns": {"rationale": ["the figure is 5", "the figure is 7"], "verdict": ["accurate", "inaccurate"]}},
        {"table": "figures.csv", "key": "x", "change": "changed", "columns": {"value": ["5", "7"]}},
    ]
    assert [f["path"] for f in report["data"]["files"]] == ["data/claims.csv", "data/figures.csv"]


def test_text_and_markdown_say_the_same(editions):
    repo, first, second = editions
    text = diff(repo, first, second).stdout
    assert "chapter added: b" in text and "verdict C01: accurate → inaccurate (the figure is 7)" in text
    assert "value: 5 → 7" in text and "row 'x', column 'value': 5 → 7" in text
    markdown = diff(repo, first, second, "--markdown").stdout
    assert markdown.startswith("# Changes from") and "## a" in markdown and "- chapter added: `b`" in markdown


def test_the_defaults_are_the_last_release_and_the_working_tree(editions):
    repo, first, second = editions
    assert "No change a reader would see." in diff(repo).stdout  # no release yet: HEAD against the work tree
    git(repo, "tag", "v1.0.0", first)
    try:
        assert json.loads(diff(repo, "--json").stdout)["chapters_added"] == ["b"]
    finally:
        git(repo, "tag", "-d", "v1.0.0")


def test_a_missing_revision_or_a_broken_notebook_is_one_line(editions, tmp_path):
    repo, first, second = editions
    result = diff(repo, "v9.9.9", second)
    assert result.returncode == 1 and result.stderr == f"error: revision 'v9.9.9' does not exist in {repo}\n"
    notebook = repo / "chapters/_notebooks/a.ipynb"
    saved = notebook.read_bytes()
    notebook.write_text("{ not json", encoding="utf-8")
    try:
        result = diff(repo, first)
        assert result.returncode == 1
        assert result.stderr == "error: chapters/_notebooks/a.ipynb at the working tree: not a notebook\n"
    finally:
        notebook.write_bytes(saved)


def test_markdown_prints_data_values_as_text_never_as_markup():
    """A changed cell holding @handle, HTML or a link is printed as text in the What changed page's Markdown
    (an @handle used to fail the build as an unknown citation; HTML became live)."""
    import pypandoc

    from briefing.diff.report import lines

    hostile = "@pmarca <img src=x onerror=alert(1)> [x](javascript:alert(1)) `tick` *bold*"
    diff = {"old": "v1", "new": "v2", "chapters_added": [], "chapters_removed": [],
            "chapters": {"a": {"verdicts": [{"claim": "C01", "old": "accurate", "new": hostile, "rationale": hostile}],
                               "inline": [{"line": 3, "expr": "x` + `y", "old": "1", "new": hostile}],
                               "tables": {"tbl-x": {"cells": [{"row": hostile, "column": "c", "old": "1", "new": hostile}]}},
                               "figures": []}},
            "data": {"rows": [{"table": "claims.csv", "key": "C01", "change": "changed",
                               "columns": {"rationale": ["a", hostile]}}], "files": []}}
    markdown = "\n".join(lines(diff, markdown=True))
    ast = json.loads(pypandoc.convert_text(markdown, "json", format="markdown"))
    kinds = set()

    def walk(node):
        if isinstance(node, dict):
            kinds.add(node.get("t"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast["blocks"])
    assert not kinds & {"Cite", "RawInline", "RawBlock", "Link", "Emph", "Strong"}
    text = pypandoc.convert_text(markdown, "plain", format="markdown")
    assert text.count("@pmarca") == 6 and text.count("onerror") == 6 and "x` + `y" in text


# Issue 19, class 7: a revision whose files are damaged is one line naming the file, never an internal error.
@pytest.fixture
def damaged(editions, tmp_path):
    repo, first, second = editions
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", str(repo), str(copy)], check=True)
    return copy, second


@pytest.mark.parametrize("name, text, expected", [
    ("data/figures.csv", "id,value\nx,7,extra\ny,9\n", "data/figures.csv at {rev}: line 2: 3 fields where the header has 2"),
    ("data/figures.csv", "id,value\nx\ny,9\n", "data/figures.csv at {rev}: line 2: 1 field where the header has 2"),
    ("data/figures.csv", 'id,value\nx,"7\ny,9\n', "data/figures.csv at {rev}: line 2: unexpected end of data"),
    ("data/claims.csv", "claim_id,chapter,verdict,rationale\nC01,a,accurate\n", "data/claims.csv at {rev}: line 2: 3 fields"),
    ("data/datapackage.json", '["not", "a", "descriptor"]', "data/datapackage.json at {rev}: not a Data Package descriptor"),
    ("data/datapackage.json", '{"resources": [1, 2]}', "data/datapackage.json at {rev}: not a Data Package descriptor"),
    ("_quarto.yml", "book:\n  chapters: 7\n", "_quarto.yml at {rev}: book: chapters must be a list"),
    ("chapters/_notebooks/a.ipynb", '{"cells": [{"cell_type": "code", "metadata": [], "source": ""}]}',
     "chapters/_notebooks/a.ipynb at {rev}: not a notebook the build wrote"),
])
def test_a_damaged_file_at_a_revision_is_one_line(damaged, name, text, expected):
    copy, second = damaged
    write(copy, name, text)
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "damaged")
    result = diff(copy, second, "HEAD")
    assert result.returncode == 1 and "internal error" not in result.stderr and "Traceback" not in result.stderr
    before, after = expected.split("{rev}")
    assert result.stderr.startswith(f"error: {before}HEAD (") and after in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_cell_longer_than_the_csv_reader_s_default_is_read(damaged):
    copy, second = damaged
    write(copy, "data/claims.csv", "claim_id,chapter,verdict,rationale\nC01,a,accurate," + "w" * 200_000 + "\n")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "long")
    result = diff(copy, second, "HEAD", "--json")
    assert result.returncode == 0, result.stderr


def test_a_revision_without_notebooks_says_so_instead_of_listing_every_value_as_none(damaged):
    copy, second = damaged
    git(copy, "rm", "-q", "-r", "chapters/_notebooks")
    git(copy, "commit", "-q", "-m", "no notebooks")
    result = diff(copy, second, "HEAD")
    assert result.returncode == 0, result.stderr
    assert "(none)" not in result.stdout
    assert "no executed notebook at HEAD" in result.stdout


def test_table_rows_are_matched_by_their_first_cell_not_their_position():
    """Issue 20, item 7: a row inserted at the top of the summary is one row added, not a change in every row
    below it (1.0.0's What changed page listed 'row C07, column Claim: C18 → C07' for each of 28 rows)."""
    from briefing.diff.compare import _table

    old = [["Claim", "Verdict"], ["C18", "Not checkable"], ["C01", "Accurate"], ["C02", "Accurate"]]
    new = [["Claim", "Verdict"], ["C07", "Inaccurate"], ["C18", "Not checkable"], ["C01", "Roughly right"]]
    assert _table(old, new) == {"cells": [{"row": "C01", "column": "Verdict", "old": "Accurate", "new": "Roughly right"}],
                                "added": ["C07"], "removed": ["C02"]}
    # rows a first cell cannot tell apart are compared by position, as before
    repeated = [["Model", "Score"], ["R1", "1"], ["R1", "2"]]
    assert _table(repeated, [["Model", "Score"], ["R1", "1"], ["R1", "3"]]) == {
        "cells": [{"row": "R1", "column": "Score", "old": "2", "new": "3"}]}


def test_the_what_changed_page_quotes_sentences_tables_and_verdicts_in_words(editions):
    """Issue 20, item 7: the reader's page names no expression, line or slug: a changed value is the sentence
    that prints it, a table is named by its caption and its rows by their first cell, a verdict by its label."""
    from briefing.diff import reader
    from briefing.diff.compare import compare
    from briefing.diff.edition import read_edition
    from briefing.diff.tree import Tree

    repo, first, second = editions
    old, new = read_edition(Tree(repo, first)), read_edition(Tree(repo, second))
    page = "\n".join(reader.lines(compare(old, new), old, new, {"b": "B"}))
    assert "- “The figure for x is **7**.” (before: 5)" in page
    assert "- In the table “The figures”: x, value: 7 (before: 5)." in page
    assert "- Claim C01: now judged Inaccurate (before: Accurate). the figure is 7" in page
    assert "- A new chapter: B." in page and "- figures.csv: 1 row changed." in page
    assert "line " not in page and "`" not in page and "{python}" not in page


def test_a_quoted_sentence_carries_no_anchor_reference_or_link():
    """A sentence quoted on the What changed page must not repeat its chapter's anchors (a PDF with a label
    twice does not compile) nor point at its figures (unknown there), and may be cut anywhere."""
    from briefing.diff import reader
    from briefing.diff.edition import Chapter, Inline

    text = ("# A\n\n`{python} head` Costs are shown in @fig-cost (@tbl-cost). @sec-more says more.\n\n"
            "- Wrong (`{python} n`): `{python} names`\n")
    chapter = Chapter("a", "chapters/a.qmd", [
        Inline("head", 3, "'[**\\\\[C07\\\\]** Inaccurate]{#verdict-c07}'"), Inline("n", 5, "'2'"),
        Inline("names", 5, "'[Training at 1/50th](chapters/cost.qmd#verdict-c07) (C07)'")], text=text)
    quoted = [reader._plain(s) for s, _ in reader.sentences(chapter)]
    assert quoted == ["**\\[C07\\]** Inaccurate Costs are shown in a figure.",  # the sentence without a value is not quoted
                      "Wrong (2): Training at 1/50th (C07)"]


def test_a_quoted_sentence_says_what_the_site_printed_of_words_written_per_format():
    """index.qmd writes "[they close the table below]{.content-visible when-format="html"}[they are listed under
    the table]{.content-hidden when-format="html"}": the What changed page quoted both, run together
    ("the table belowthey are listed"). It quotes the site's words, the page's own medium."""
    from briefing.diff import reader
    from briefing.diff.edition import Chapter, Inline

    text = ("# A\n\n`{python} n` are opinions; [they close the table below]{.content-visible when-format=\"html\"}"
            "[they are listed under the table]{.content-hidden when-format=\"html\"}.\n")
    chapter = Chapter("a", "chapters/a.qmd", [Inline("n", 3, "'14'")], text=text)
    assert [reader._plain(s) for s, _ in reader.sentences(chapter)] == ["14 are opinions; they close the table below."]
