"""The claims ledger: what the French article asserts, and the verdict on each claim.

``data/claims.csv`` holds one row per claim, in article order: the French quote
exactly as it stands in ``data/article-fr.txt``, an English translation, who made
the claim, the chapter that checks it, a verdict from ``data/verdicts.csv`` and a
one-sentence rationale. A claim's id is permanent: claims found later take the next
free id (C18, C19, ...) and stand at their place in the article, so an id cited in a
chapter, a correction or elsewhere never comes to mean another claim. Both tables are resources of the data package and are
read through :func:`briefing.data.load`, so their schema (types, allowed values,
required fields, the key ``claim_id`` and the foreign key ``verdict``), their
hashes and their provenance are checked there. This module adds what a schema
cannot say: every quote is a verbatim substring of the article, and the rows
follow the article's order (ids need not: see above). Problems are reported as
``data/claims.csv:LINE:COLUMN: reason`` (:class:`briefing.data.Problem`).

Chapters cite claims in prose by their plain id, e.g. ``[C07]``;
:func:`claims_discussed` finds those ids in a chapter's source.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from briefing import data, lineage

LEDGER = "claims"
SCALE = "verdicts"
LEDGER_FILE = "claims.csv"
ARTICLE_FILE = "article-fr.txt"

CHAPTERS = (
    "introduction",
    "performance",
    "mla-kv-cache",
    "mixture-of-experts",
    "training-cost",
    "prices",
    "markets-and-money",
    "verdicts",
)
KINDS = ("performance", "technical", "economic", "market", "policy", "opinion")
CLAIM_ID = re.compile(r"\bC\d{2}\b")
TABLE_COLUMNS = {"claim_id": "Claim", "quote_fr": "French quote", "translation_en": "English", "verdict": "Verdict"}

LOOKALIKES = {
    "'": ("\u2019", "the article's apostrophe is \u2019 (U+2019)"),
    "\u00a0": (" ", "the article uses plain spaces, not no-break spaces"),
    "\u202f": (" ", "the article uses plain spaces, not narrow no-break spaces"),
}


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def article_text(folder: str | Path | None = None) -> str:
    """Return the article the briefing checks, ``data/article-fr.txt`` (``briefing.paths.DATA``), with ``\\n`` line endings."""
    return _newlines(data.read_file(ARTICLE_FILE, folder))


def quote_in_article(quote: str, article_text: str) -> bool:
    """True when ``quote`` is a verbatim substring of ``article_text``.

    Only line endings are normalised (``\\r\\n`` and ``\\r`` become ``\\n``);
    apostrophes, guillemets, spaces and case must match exactly. An empty quote
    is never in the article.
    """
    quote = _newlines(quote)
    return bool(quote) and quote in _newlines(article_text)


def _quote_hint(quote: str, text: str) -> str:
    for typed, (used, hint) in LOOKALIKES.items():
        if typed in quote and quote_in_article(quote.replace(typed, used), text):
            return f" ({hint})"
    if quote != quote.strip() and quote_in_article(quote.strip(), text):
        return " (leading or trailing whitespace)"
    return ""


def ledger_problems(folder: str | Path | None = None) -> list[data.Problem]:
    """What the schema cannot check in ``claims.csv``: verbatim quotes and article order (by quote position).

    Returns one :class:`briefing.data.Problem` per fault, [] when clean.
    """
    base = data.data_folder(folder)
    shown = f"{base.name}/{LEDGER_FILE}"
    file = base / LEDGER_FILE
    if not file.is_file():
        return [data.Problem(shown, None, None, "missing: the claims ledger is not written")]
    text = article_text(base)
    article = f"{base.name}/{ARTICLE_FILE}"
    problems = []
    previous: tuple[str, int] | None = None
    for line, row in data.read_rows(file):
        quote, claim_id = row.get("quote_fr") or "", row.get("claim_id") or ""
        if not quote:
            continue
        if not quote_in_article(quote, text):
            reason = f"not a verbatim substring of {article}{_quote_hint(quote, text)}"
            problems.append(data.Problem(shown, line, "quote_fr", reason))
            continue
        position = _newlines(text).index(_newlines(quote))
        if previous is not None:
            before_id, before_position = previous
            if position < before_position:
                reason = f"quoted text comes before that of {before_id} in the article: rows follow the article's order"
                problems.append(data.Problem(shown, line, "quote_fr", reason))
        previous = (claim_id, position)
    return problems


def ledger(folder: str | Path | None = None) -> pd.DataFrame:
    """Return the claims ledger, validated, one row per claim in article order.

    Columns as in ``claims.csv`` (see ``datapackage.json``); ``accessed`` is a
    date, empty cells are NA. Raises :class:`briefing.data.DataError` listing every
    problem, each as ``data/claims.csv:LINE:COLUMN: reason``.
    """
    problems = ledger_problems(folder)
    try:
        frame = data.load(LEDGER, folder)
    except data.DataError as exc:
        problems = exc.problems + [p for p in problems if p not in exc.problems]
        raise data.DataError(sorted(problems, key=_order)) from None
    if problems:
        raise data.DataError(problems)
    return frame.reset_index(drop=True)


def _order(problem: data.Problem) -> tuple[str, int]:
    return problem.file, problem.row or 0


def verdict_scale(folder: str | Path | None = None) -> pd.DataFrame:
    """Return the verdict scale (``verdict``, ``rank``, ``criterion`` and provenance), best supported first."""
    return data.load(SCALE, folder).sort_values("rank").reset_index(drop=True)


def claim(claim_id: str, folder: str | Path | None = None) -> pd.Series:
    """Return one row of the ledger by its id, e.g. ``claim("C07")``; KeyError if absent."""
    frame = ledger(folder)
    match = frame[frame["claim_id"] == claim_id]
    if match.empty:
        raise KeyError(f"no claim {claim_id!r} in the ledger (known: {', '.join(frame['claim_id'])})")
    return match.iloc[0]


def _for_chapter(frame: pd.DataFrame, chapter: str | None) -> pd.DataFrame:
    if chapter is None:
        return frame
    if chapter not in CHAPTERS:
        raise ValueError(f"unknown chapter {chapter!r}; chapters are: {', '.join(CHAPTERS)}")
    return frame[frame["chapter"] == chapter]


def ledger_table(chapter: str | None = None, folder: str | Path | None = None) -> pd.DataFrame:
    """Return the claims for display: Claim, French quote, English, Verdict.

    With ``chapter`` (a stem such as ``"training-cost"``) only the claims that
    chapter checks. The index is a plain range; hide it when rendering.
    """
    frame = _for_chapter(ledger(folder), chapter)
    return frame[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS).reset_index(drop=True)


def verdict_counts(chapter: str | None = None, folder: str | Path | None = None) -> pd.Series:
    """Return how many claims got each verdict, in scale order, zeros included.

    The Series is indexed by verdict and named ``claims``; with ``chapter``, only
    the claims that chapter checks. Each count carries the verdict cells it counts
    (:func:`briefing.lineage.count`).
    """
    scale = verdict_scale(folder)["verdict"]
    frame = _for_chapter(ledger(folder), chapter)
    counts = pd.Series([lineage.count(list(frame.loc[frame["verdict"] == v, "verdict"])) for v in scale],
                       index=pd.Index([str(v) for v in scale], name="verdict"), dtype=object, name="claims")
    return counts


FRENCH_NUMBER = re.compile(r"^\d{1,3}(?:[ \u202f\u00a0]\d{3})*(?:,\d+)?$|^\d+(?:,\d+)?$")


def french_number(text: str) -> float:
    """A number as the article prints it: ``'50 000' -> 50000.0``, ``'22, 4' -> 22.4``, ``'1/50' -> no``."""
    cleaned = re.sub(r",\s+", ",", str(text).strip())
    if not FRENCH_NUMBER.match(cleaned):
        raise ValueError(f"not a number as the article prints one: {text!r}")
    return float(re.sub(r"[ \u202f\u00a0]", "", cleaned).replace(",", "."))


def quoted_numbers(claim_id: str, pattern: str, folder: str | Path | None = None,
                   frame: pd.DataFrame | None = None) -> list:
    """Every number a claim's French quote prints where ``pattern``'s first group matches, in order,
    each carrying the quote it was read in (and so, through the ledger, the article's line)."""
    frame = ledger(folder) if frame is None else frame
    rows = frame[frame["claim_id"] == claim_id]
    if rows.empty:
        raise KeyError(f"no claim {claim_id!r} in the ledger")
    quote = rows["quote_fr"].iloc[0]
    found = [lineage.traced(french_number(m.group(1)), lineage.refs_of(quote)) for m in re.finditer(pattern, str(quote))]
    if not found:
        raise ValueError(f"{claim_id}: the pattern {pattern!r} matches nothing in its quote")
    return found


def quoted_number(claim_id: str, pattern: str, folder: str | Path | None = None, frame: pd.DataFrame | None = None):
    r"""The first number ``pattern`` finds in a claim's French quote (``quoted_number("C07", r"1/(\d+)") -> 50``),
    carrying the quote it was read in."""
    return quoted_numbers(claim_id, pattern, folder, frame)[0]


def claims_discussed(chapter_text: str) -> set[str]:
    """Return the claim ids a chapter's ``.qmd`` source mentions, e.g. ``{"C07", "C09"}``.

    An id counts when it stands as a word of its own: ``[C07]``, ``C07,`` or
    ``claim("C07")``; ``C070`` or ``#C07A`` do not.
    """
    return set(CLAIM_ID.findall(chapter_text))


def undiscussed(chapters: str | Path | None = None, folder: str | Path | None = None) -> list[tuple[str, str]]:
    """Return ``(claim_id, chapter)`` for each claim its chapter does not mention.

    ``chapters`` is the folder of ``.qmd`` files (default ``chapters/``); a
    chapter file that does not exist discusses nothing.
    """
    if chapters is None:
        from briefing import paths

        chapters = paths.CHAPTERS
    chapters = Path(chapters)
    missing = []
    for claim_id, stem in ledger(folder)[["claim_id", "chapter"]].itertuples(index=False):
        file = chapters / f"{stem}.qmd"
        text = file.read_text(encoding="utf-8") if file.is_file() else ""
        if claim_id not in claims_discussed(text):
            missing.append((claim_id, stem))
    return missing


OUT_OF_SCOPE = "out_of_scope"
SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZÀ-ÖØ-Þ0-9])")


def article_sentences(text: str) -> list[tuple[int, str]]:
    """``(line, sentence)`` for every sentence of the article, in order.

    Each non-empty line is cut after ``.``, ``!``, ``?`` or ``…`` where a space and a capital (or an opening
    quotation mark or a digit) follow, so "22, 4 %", "pic.twitter.com" and "années… »" stay whole.
    """
    return [(number, sentence.strip())
            for number, line in enumerate(_newlines(text).split("\n"), 1) if line.strip()
            for sentence in SENTENCE_BREAK.split(line.strip()) if sentence.strip()]


def out_of_scope(folder: str | Path | None = None) -> pd.DataFrame:
    """The article's passages that are not claims (``out_of_scope.csv``), each with why it is left out."""
    return data.load(OUT_OF_SCOPE, folder)


def unaccounted_sentences(folder: str | Path | None = None) -> list[tuple[int, str]]:
    """``(line, sentence)`` for each sentence of the article that no claim quotes and no out-of-scope row lists.

    A sentence is accounted for when a claim's ``quote_fr`` or an out-of-scope passage lies inside it, or it
    lies inside one of them (a quote may span a whole sentence and more).
    """
    passages = [_newlines(str(q)) for q in ledger(folder)["quote_fr"]]
    passages += [_newlines(str(q)) for q in out_of_scope(folder)["quote_fr"]]
    return [(line, sentence) for line, sentence in article_sentences(article_text(folder))
            if not any(p in sentence or sentence in p for p in passages)]
