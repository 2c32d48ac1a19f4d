"""Tests of the claims ledger: verbatim quotes, ids, verdicts, errors at file:line:column, chapter coverage."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from briefing import claims, data, paths
from conftest import rows_of, write_rows

REQUIRED_IDS = [f"C{n:02d}" for n in range(1, 15)]


@pytest.fixture(scope="module")
def ledger() -> pd.DataFrame:
    return claims.ledger()


@pytest.fixture(scope="module")
def article() -> str:
    return claims.article_text()


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A private copy of the whole data package, in a folder named data/ as the real one."""
    folder = tmp_path / "data"
    shutil.copytree(paths.DATA, folder, ignore=shutil.ignore_patterns("*.md"))
    return folder


def edit(folder: Path, line: int, column: str, value: str) -> None:
    """Set one cell of claims.csv (line 1 is the header) and record the file's new hash in the copy."""
    path = folder / claims.LEDGER_FILE
    rows = rows_of(path)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(path, rows)
    record_hash(folder)


def record_hash(folder: Path) -> None:
    descriptor_path = folder / data.DESCRIPTOR
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        if res["path"] == claims.LEDGER_FILE:
            res["hash"] = data.sha256(folder / claims.LEDGER_FILE)
    descriptor_path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(data.DataError) as exc:
        claims.ledger(folder)
    return [str(p) for p in exc.value.problems]


# --- the real ledger ------------------------------------------------------------


def test_every_quote_is_verbatim_in_the_article(ledger: pd.DataFrame, article: str):
    missing = [cid for cid, quote in zip(ledger["claim_id"], ledger["quote_fr"]) if not claims.quote_in_article(quote, article)]
    assert missing == []


def test_ids_unique_and_c01_to_c14_present(ledger: pd.DataFrame):
    ids = list(ledger["claim_id"])
    assert len(ids) == len(set(ids))
    assert set(REQUIRED_IDS) <= set(ids)
    first_edition = [i for i in ids if i <= "C17"]
    assert first_edition == sorted(first_edition), "claims keep their ids and their order"


def test_rows_follow_the_article(ledger: pd.DataFrame, article: str):
    positions = [article.index(q) for q in ledger["quote_fr"]]
    assert positions == sorted(positions)
    assert claims.ledger_problems() == []


def test_each_verdict_is_on_the_scale(ledger: pd.DataFrame):
    scale = set(claims.verdict_scale()["verdict"])
    assert set(ledger["verdict"]) <= scale


def test_chapters_and_kinds_are_allowed(ledger: pd.DataFrame):
    assert set(ledger["chapter"]) <= set(claims.CHAPTERS)
    assert set(ledger["kind"]) <= set(claims.KINDS)


def test_schema_allows_exactly_the_module_vocabularies():
    descriptor = json.loads((paths.DATA / data.DESCRIPTOR).read_text(encoding="utf-8"))
    resource = next(r for r in descriptor["resources"] if r["name"] == claims.LEDGER)
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["chapter"]["constraints"]["enum"] == list(claims.CHAPTERS)
    assert fields["kind"]["constraints"]["enum"] == list(claims.KINDS)
    assert resource["schema"]["primaryKey"] == ["claim_id"]
    assert resource["schema"]["foreignKeys"] == [{"fields": "verdict", "reference": {"resource": "verdicts", "fields": "verdict"}}]


def test_verdict_scale_is_ranked():
    scale = claims.verdict_scale()
    assert list(scale["verdict"]) == ["accurate", "roughly-right", "needs-context", "inaccurate", "not-checkable"]
    assert list(scale["rank"]) == [1, 2, 3, 4, 5]
    assert scale["criterion"].str.len().min() > 0


def test_provenance_of_quoted_posts(ledger: pd.DataFrame):
    andreessen = claims.claim("C02")
    assert andreessen["claimant"].startswith("Marc Andreessen (@pmarca)")
    assert andreessen["source_url"] == "https://x.com/pmarca/status/1883640142591853011"
    assert andreessen["kind"] == "opinion"
    assert andreessen["verdict"] == "not-checkable"
    posts = ledger[ledger["claimant"].str.contains("X post|X user")]
    assert set(posts["confidence"]) == {"secondary"}


# --- helpers ------------------------------------------------------------------


def test_quote_in_article_normalises_only_line_endings():
    text = "L’offre de DeepSeek\r\nest efficace"
    assert claims.quote_in_article("L’offre de DeepSeek\nest efficace", text)
    assert claims.quote_in_article("L’offre de DeepSeek\r\nest", "x L’offre de DeepSeek\nest y")
    assert not claims.quote_in_article("L'offre de DeepSeek", text)
    assert not claims.quote_in_article("l’offre", text)
    assert not claims.quote_in_article("L’offre\u00a0de", text)
    assert not claims.quote_in_article("", text)


def test_claims_discussed_finds_plain_ids():
    text = "As [C07] says, and C09, but not C070, #C07A or C-Eval; claim('C11')."
    assert claims.claims_discussed(text) == {"C07", "C09", "C11"}
    assert claims.claims_discussed("") == set()


def test_ledger_table_for_display(ledger: pd.DataFrame):
    table = claims.ledger_table()
    assert list(table.columns) == ["Claim", "French quote", "English", "Verdict"]
    assert list(table["Claim"]) == list(ledger["claim_id"])
    cost = claims.ledger_table("training-cost")
    assert set(cost["Claim"]) == set(ledger.loc[ledger["chapter"] == "training-cost", "claim_id"])
    assert list(cost.index) == list(range(len(cost)))
    with pytest.raises(ValueError, match="unknown chapter 'costs'"):
        claims.ledger_table("costs")


def test_verdict_counts(ledger: pd.DataFrame):
    counts = claims.verdict_counts()
    assert list(counts.index) == list(claims.verdict_scale()["verdict"])
    assert counts.sum() == len(ledger)
    assert counts.to_dict() == ledger["verdict"].value_counts().reindex(counts.index, fill_value=0).to_dict()
    assert claims.verdict_counts("prices").sum() == (ledger["chapter"] == "prices").sum()


def test_claim_by_id():
    assert claims.claim("C01")["claim_id"] == "C01"
    with pytest.raises(KeyError, match="no claim 'C99'"):
        claims.claim("C99")


# --- a broken copy gives the exact error ------------------------------------------


def test_clean_copy_loads(pkg: Path):
    assert len(claims.ledger(pkg)) == len(claims.ledger())


def test_quote_not_in_article(pkg: Path):
    edit(pkg, 3, "quote_fr", "R1 est le meilleur modèle du monde")
    assert problems_of(pkg) == ["data/claims.csv:3:quote_fr: not a verbatim substring of data/article-fr.txt"]


def test_straight_apostrophe_is_named(pkg: Path):
    quote = claims.claim("C02", pkg)["quote_fr"]
    edit(pkg, 3, "quote_fr", quote.replace("\u2019", "'"))
    assert problems_of(pkg) == [
        "data/claims.csv:3:quote_fr: not a verbatim substring of data/article-fr.txt (the article's apostrophe is \u2019 (U+2019))"
    ]


def test_unknown_verdict(pkg: Path):
    edit(pkg, 4, "verdict", "mostly-true")
    assert problems_of(pkg) == ['data/claims.csv:4:verdict: "mostly-true" is not a verdict in verdicts']


def test_missing_translation(pkg: Path):
    edit(pkg, 5, "translation_en", "")
    assert problems_of(pkg) == ["data/claims.csv:5:translation_en: value is required"]


def test_unknown_chapter(pkg: Path):
    edit(pkg, 6, "chapter", "costs")
    assert problems_of(pkg) == [f'data/claims.csv:6:chapter: "costs" is not one of: {", ".join(claims.CHAPTERS)}']


def test_rows_out_of_article_order(pkg: Path):
    path = pkg / claims.LEDGER_FILE
    rows = rows_of(path)
    rows[2], rows[3] = rows[3], rows[2]
    write_rows(path, rows)
    record_hash(pkg)
    first = rows[2][0]
    assert problems_of(pkg) == [
        f"data/claims.csv:4:quote_fr: quoted text comes before that of {first} in the article: rows follow the article's order",
    ]


def test_a_claim_found_later_keeps_a_new_id_at_its_place_in_the_article(pkg: Path):
    """Ids are permanent (the corrections log cites them): a new claim takes the next free id."""
    path = pkg / claims.LEDGER_FILE
    rows = rows_of(path)
    at = next(i for i, row in enumerate(rows) if row[1].startswith("l’équipe DeepSeek"))
    later = list(rows[at])
    later[0], later[1] = "C99", "Tout d’abord"
    rows.insert(at, later)
    write_rows(path, rows)
    record_hash(pkg)
    assert claims.ledger_problems(pkg) == []
    ids = list(claims.ledger(pkg)["claim_id"])
    assert ids[ids.index("C99") + 1] == rows[at + 1][0]


def test_every_problem_is_reported(pkg: Path):
    edit(pkg, 3, "quote_fr", "pas dans l’article")
    edit(pkg, 5, "translation_en", "")
    assert problems_of(pkg) == [
        "data/claims.csv:3:quote_fr: not a verbatim substring of data/article-fr.txt",
        "data/claims.csv:5:translation_en: value is required",
    ]


# --- chapters -------------------------------------------------------------------


def test_each_claim_is_discussed_in_its_chapter():
    if not any(paths.CHAPTERS.glob("*.qmd")):
        pytest.skip("chapters/*.qmd are not written yet: nothing can cite the claims")
    missing = claims.undiscussed()
    assert missing == [], "claims not cited by id in their chapter: " + ", ".join(
        f"{cid} in chapters/{stem}.qmd" for cid, stem in missing
    )


def test_french_quoted_in_the_prose_is_the_article_verbatim():
    """A fragment of the article quoted in a chapter keeps the article's characters (’, not ')."""
    text = claims.article_text()
    typed = re.compile(r"[\"“«]\s?([^\"”»\n]{6,}?)\s?[\"”»]")
    wrong = []
    for path in sorted(paths.CHAPTERS.glob("*.qmd")):
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
            for found in typed.finditer(line):
                span = found.group(1)
                if "'" in span and span not in text and span.replace("'", "\u2019") in text:
                    wrong.append(f"{path.name}:{number}: {span!r} (the article has \u2019)")
    assert wrong == []


def test_dates_lists_and_signed_percentages_as_prose():
    from briefing.present import join_words, signed_percent, when

    assert when("2022-10-07") == "7 October 2022"
    assert when("2021-01") == "January 2021"
    assert when("2021") == "2021"
    assert when(pd.Timestamp("2025-01-27")) == "27 January 2025"
    assert join_words(["Apple"]) == "Apple"
    assert join_words(["Apple", "Meta"]) == "Apple and Meta"
    assert join_words(["Apple", "Salesforce", "Meta"]) == "Apple, Salesforce and Meta"
    assert signed_percent(3.0) == "+3%"
    assert signed_percent(-16.97) == "−16.97%"
    assert signed_percent(0.65) == "+0.65%"


def test_the_article_is_cut_into_its_sentences():
    text = "Avertissement : pas un conseil. L’auteur ne détient rien.\n\nIl dit 22, 4 % de MFU https://t.co/x pic.twitter.com/y\n« Cinq ans… »\nBravo ! Vous rendez"
    assert claims.article_sentences(text) == [
        (1, "Avertissement : pas un conseil."), (1, "L’auteur ne détient rien."),
        (3, "Il dit 22, 4 % de MFU https://t.co/x pic.twitter.com/y"), (4, "« Cinq ans… »"),
        (5, "Bravo !"), (5, "Vous rendez")]


def test_every_sentence_of_the_article_is_a_claim_or_listed_as_out_of_scope():
    # Second fact-check (issue 18, "The ledger"): every sentence of data/article-fr.txt maps to a row of
    # claims.csv or of out_of_scope.csv, so nothing the article says is skipped without saying so.
    assert claims.unaccounted_sentences() == []
    assert len(claims.article_sentences(claims.article_text())) == 33


def test_a_sentence_no_row_accounts_for_is_reported(tmp_path):
    shutil.copytree(paths.DATA, tmp_path / "data")
    rows = (tmp_path / "data" / "out_of_scope.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "data" / "out_of_scope.csv").write_text("".join(r for r in rows if not r.startswith("disclaimer,")),
                                                        encoding="utf-8")
    data.rehash(tmp_path / "data")
    assert claims.unaccounted_sentences(tmp_path / "data") == [
        (2, "Avertissement : cet article ne constitue pas un conseil en investissement.")]
