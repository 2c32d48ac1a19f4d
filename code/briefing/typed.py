"""Figures typed in the verdicts' prose, checked against the values the chapters compute from data.

A claim's ``rationale`` and ``finding`` (``data/claims.csv``) are written by the analysts and printed
verbatim. Every figure typed there must be one a chapter computes: the chapter that owns the claim calls
:func:`typed_figures` with the formatted values it prints, and the build fails, naming the claim, when a
value is not in the text (the data changed and the verdict did not) or when the text types a figure that no
value accounts for.

What counts as a figure: a number written in digits (with its sign, currency, unit or suffix) and a number
written in words (``two``, ``ten``, ``fifteen``, ``fifty-fold``, ``twice``, ``half``...). ``one`` is left
out: in prose it is mostly a pronoun. What does not count: names that contain digits (R1, V3, H800,
o1-1217, Llama 3.1 405B), the ids of claims and corrections (C05, R08), and references into documents
(Table 9, §3.2, p. 32, line 3).
"""

from __future__ import annotations

import re
from pathlib import Path

from briefing import data

FIELDS = ("rationale", "finding")

_WORDS = ("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
          "million billion trillion dozen half third thirds quarter quarters twice fiftieth").split()
_WORD = r"(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")"
NUMBER_WORD = re.compile(r"(?i)(?<![\w-])" + _WORD + r"(?:[- ]" + _WORD + r")*(?:-(?:fold|year|day|month|times))?(?![\w-])")
NUMBER = re.compile(r"[−\-–]?[$¥€£]?\d(?:[\d,]*\d)?(?:\.\d+)?(?:\s?(?:%|×|per cent|bn|billion|million|trillion|thousand|[BMKT]\b))?")
NAMES = (
    re.compile(r"(?<![\w.])(?:[A-Za-z][\w]*[-.]?)+\d[\w.\-]*"),     # R1, V3, H800, o1-1217, MATH-500
    re.compile(r"\b\d+x\d+B\b"),                                     # Mixtral's 8x7B
    re.compile(r"\b(?:[A-Z][\w]*[ -])+\d+(?:\.\d+)?B\b"),             # DeepSeek 67B, Llama 3.1 405B
    re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)+ \d\b"),                # Fire-Flyer 2
    re.compile(r"\b(?:S&P|AIME|Nasdaq) \d+\b"),                         # S&P 500, AIME 2024
    re.compile(r"\d·"),                                                  # 6·N·D, a formula
)
REFERENCE = re.compile(r"(?:\b(?:Tables?|Figures?|Fig\.|pp?\.|paras?\.|Appendix|Sec\.|Section|lines?)\s?|§)[\dA-Z][\d.]*\b")
CLAIM_OR_ENTRY = re.compile(r"\b[CR]\d{2}\b")


class TypedFigureError(Exception):
    """A verdict's prose types a figure the data no longer give, or one no computed value accounts for."""


def _model_names(folder=None) -> list[str]:
    names = set()
    for table in ("models", "moe_models"):
        names |= {str(n) for n in data.load(table, folder)["name"]}
    names |= {str(n) for n in data.load("benchmarks", folder)["benchmark"]}
    return sorted(names, key=len, reverse=True)


def strip_non_figures(text: str, names=()) -> str:
    """``text`` with model names, claim and entry ids, and references into documents blanked out."""
    for name in names:
        text = text.replace(name, " ")
    for pattern in (CLAIM_OR_ENTRY, REFERENCE, *NAMES):
        text = pattern.sub(" ", text)
    return text


def figures_in(text: str, names=()) -> list[str]:
    """The figures typed in ``text``, in order: numbers in digits and in words (see the module's rules)."""
    text = strip_non_figures(text, names)
    found = [(m.start(), m.group(0).strip()) for m in NUMBER.finditer(text)]
    words = NUMBER.sub(lambda m: " " * len(m.group(0)), text)
    found += [(m.start(), m.group(0)) for m in NUMBER_WORD.finditer(words)]
    return [f for _, f in sorted(found)]


def _blank_whole(text: str, value: str) -> tuple[str, bool]:
    """``text`` with every whole occurrence of ``value`` (any case) blanked: not inside a longer number or word."""
    pattern = re.compile(r"(?<![\w.,])" + re.escape(value) + r"(?![\w]|[.,]\d)", re.IGNORECASE)
    text, n = pattern.subn(lambda m: " " * len(m.group(0)), text)
    return text, n > 0


def problems(claim: dict, computed, names=()) -> list[str]:
    """What is wrong with one claim's typed figures, given the values its chapter computed (formatted)."""
    texts = {field: str(claim.get(field) or "") for field in FIELDS}
    found = []
    for value in dict.fromkeys(str(v) for v in computed):
        hits = False
        for field in FIELDS:
            texts[field], hit = _blank_whole(texts[field], value)
            hits = hits or hit
        if not hits:
            found.append(f'the computed figure "{value}" is not in its rationale or finding: the data changed '
                         "and the verdict did not")
    for field in FIELDS:
        for figure in figures_in(texts[field], names):
            found.append(f'{field} types "{figure}", which no value computed from the data accounts for')
    return found


def typed_figures(claim_id: str, *computed, folder: str | Path | None = None) -> None:
    """Check that claim ``claim_id``'s rationale and finding type exactly the figures ``computed`` (each as
    the chapter prints it) and no other; raise :class:`TypedFigureError`, one line per fault, naming
    ``data/claims.csv``, the claim's line and the claim."""
    base = data.data_folder(folder)
    rows = {row.get("claim_id"): (line, row) for line, row in data.read_rows(base / "claims.csv")}
    if claim_id not in rows:
        raise TypedFigureError(f"{base.name}/claims.csv: no claim {claim_id}")
    line, row = rows[claim_id]
    faults = problems(row, computed, _model_names(folder))
    if faults:
        raise TypedFigureError("\n".join(f"{base.name}/claims.csv:{line}: {claim_id}: {fault}" for fault in faults))
