"""The corrections log (data/corrections.csv) and the appendix printed from it (issue 10)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from briefing import corrections, data, paths
from conftest import rows_of, write_rows


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(paths.DATA, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def edit(folder: Path, line: int, column: str, value: str) -> None:
    path = folder / corrections.LOG_FILE
    rows = rows_of(path)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(path, rows)
    data.rehash(folder)


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(data.DataError) as exc:
        corrections.log(folder, paths.CHAPTERS)
    return [str(p) for p in exc.value.problems]


def test_the_log_is_valid_and_every_entry_points_to_a_section_that_exists():
    log = corrections.log()
    assert len(log) >= 1
    titles = corrections.section_titles(paths.CHAPTERS)
    assert set(log["section"]) <= set(titles), set(log["section"]) - set(titles)


def test_an_entry_pointing_to_a_missing_heading_is_named_by_line(pkg: Path):
    edit(pkg, 2, "section", "mla-kv-cache#sec-nowhere")
    assert problems_of(pkg) == ['data/corrections.csv:2:section: "#sec-nowhere" is not a heading or figure id of mla-kv-cache.qmd']


def test_an_entry_pointing_to_a_missing_chapter_is_named_by_line(pkg: Path):
    edit(pkg, 3, "section", "no-such-chapter")
    assert problems_of(pkg) == ['data/corrections.csv:3:section: "no-such-chapter" is not a chapter of the book']


def test_an_unknown_claim_is_refused_by_the_schema(pkg: Path):
    edit(pkg, 2, "claim_id", "C99")
    with pytest.raises(data.DataError, match=r'data/corrections.csv:2:claim_id: "C99" is not a claim_id in claims'):
        corrections.log(pkg, paths.CHAPTERS)


def test_newest_entries_come_first_and_one_day_keeps_the_order_logged(pkg: Path):
    path = pkg / corrections.LOG_FILE
    rows = rows_of(path)
    day = rows[0].index("date")
    rows[1][day] = "2026-11-30"
    write_rows(path, rows)
    data.rehash(pkg)
    log = corrections.log(pkg, paths.CHAPTERS)
    assert log["correction_id"].iloc[-1] == rows[1][0]
    newest = max(r[day] for r in rows[1:])
    assert list(log["correction_id"].iloc[:3]) == [r[0] for r in rows[1:] if r[day] == newest][:3]


def test_an_entry_prints_what_was_said_what_is_said_and_why_with_its_link_and_evidence():
    row = pd.Series({"correction_id": "R99", "date": pd.Timestamp("2026-12-01"), "section": "mla-kv-cache#sec-mla-verdict",
                     "claim_id": "C05", "kind": "correction", "said": "old <b>text</b>", "now": "new text", "why": "because",
                     "source_title": "A report", "source_locator": "p. 3", "publisher": "DeepSeek-AI",
                     "published": "2024-05-07", "confidence": "primary"})
    text = corrections.entry_markdown(row, {"mla-kv-cache#sec-mla-verdict": "MLA and the KV cache › Verdict"})
    assert "**R99** · 1 December 2026 · Correction — [MLA and the KV cache › Verdict](mla-kv-cache.qmd#sec-mla-verdict), claim C05" in text
    assert "*Said:* old \\<b\\>text\\</b\\>" in text
    assert "*Now:* new text" in text and "*Why:* because" in text
    assert "*Evidence:* A report, p. 3 (DeepSeek-AI; 2024-05-07; primary)" in text


def test_the_preface_links_to_itself_from_the_appendix():
    row = pd.Series({"correction_id": "R98", "date": pd.Timestamp("2026-12-01"), "section": "index", "claim_id": None,
                     "kind": "clarification", "said": "a", "now": "b", "why": "c", "source_title": "t",
                     "source_locator": "", "publisher": None, "published": None, "confidence": "primary"})
    assert "[Preface](../index.qmd)" in corrections.entry_markdown(row, {"index": "Preface"})


def test_kinds_are_counted_in_words():
    counts = pd.Series({"correction": 2, "clarification": 1, "addition": 0, "sourcing": 3})
    assert corrections.kinds_sentence(counts) == ["2 corrections", "1 clarification", "3 better sources"]


def test_a_heading_computed_when_the_book_is_built_is_not_printed_as_code(tmp_path: Path):
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    (tmp_path / "index.qmd").write_text("# Preface\n")
    (chapters / "markets.qmd").write_text('---\ntitle: "Markets"\n---\n\n## NVIDIA on `{python} when(day)` {#sec-nvda}\n')
    assert corrections.section_titles(chapters)["markets#sec-nvda"] == "Markets › NVIDIA on …"
