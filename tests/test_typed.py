"""Figures typed in the verdicts' prose (claims.csv rationale and finding) are checked against data."""
from __future__ import annotations

import csv
import re

import pytest

from briefing import claims, data, paths, typed
from conftest import copy_project, run_build


def test_figures_are_numbers_in_digits_and_in_words_not_names_ids_or_references():
    text = ("R1 leads on 5 of 11 rows; V3 against Llama 3.1 405B gives 7.3×, DeepSeek 67B 15.0× (V2 report, Table 9, "
            "p. 32, §3.2); the S&P 500's technology sector lost 5.6%; a five-year plan of 300 billion yuan, "
            "ten to twelve per cent, a fifty-fold gap, Fire-Flyer 2 of 2021, as C05 and R08 say, by 6·N·D.")
    assert typed.figures_in(text, ["Llama 3.1 405B"]) == [
        "5", "11", "7.3×", "15.0×", "5.6%", "five-year", "300 billion", "ten", "twelve", "fifty-fold", "2021"]


CLAIM = {"rationale": "It runs from 1.9× to 71.1×, near the claimed ten.", "finding": "From 1.9× to 71.1×."}


def test_a_verdict_whose_figures_are_all_computed_passes():
    assert typed.problems(CLAIM, ["1.9×", "71.1×", "ten"]) == []


def test_a_changed_value_and_a_figure_no_value_accounts_for_are_both_reported():
    faults = typed.problems(CLAIM, ["2.1×", "71.1×", "ten"])
    assert faults == ['the computed figure "2.1×" is not in its rationale or finding: the data changed and the verdict did not',
                      'rationale types "1.9×", which no value computed from the data accounts for',
                      'finding types "1.9×", which no value computed from the data accounts for']


def test_a_computed_figure_matches_only_whole_numbers():
    assert typed.problems({"rationale": "15.0× and 5", "finding": ""}, ["5"]) == [
        'rationale types "15.0×", which no value computed from the data accounts for']


def test_the_error_names_the_ledger_line_and_the_claim():
    with pytest.raises(typed.TypedFigureError, match=r"^data/claims.csv:\d+: C05: the computed figure \"99.9×\""):
        typed.typed_figures("C05", "99.9×")


def test_every_claim_that_types_a_figure_is_checked_by_its_chapter():
    names = typed._model_names()
    call = re.compile(r'typed_figures\("(C\d{2})"')
    checked_where = {}
    for qmd in paths.CHAPTERS.glob("*.qmd"):
        for claim_id in call.findall(qmd.read_text(encoding="utf-8")):
            checked_where[claim_id] = qmd.stem
    typing = {row["claim_id"]: row["chapter"] for _, row in claims.ledger().iterrows()
              if any(typed.figures_in(str(row[f]), names) for f in typed.FIELDS)}
    assert set(typing) <= set(checked_where), sorted(set(typing) - set(checked_where))
    assert {c: checked_where[c] for c in typing} == typing  # each in the chapter that owns the claim
    assert {"C05", "C27", "C14"} <= set(typing)


def test_a_data_change_that_contradicts_a_verdict_fails_the_build_with_the_claim_id(tmp_path):
    """The S&P 500 technology sector's fall is typed in C27's rationale ("5.6%"); change the row and the
    markets chapter refuses to build, naming the claim."""
    project = copy_project(tmp_path / "project")
    path = project / "data" / "market.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    key = [r for r in rows if r[:3] == ["SP500-IT", "2025-01-27", "close_change_pct"]][0]
    key[rows[0].index("value")] = "-6.1"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    data.rehash(project / "data")
    code, out, err = run_build(project, "--to", "html")
    assert code != 0
    assert 'C27: the computed figure "6.1%" is not in its rationale or finding' in err
    assert 'rationale types "5.6%"' in err
    assert not (project / "_book").exists()
