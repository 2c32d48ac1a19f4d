"""The verdicts as a reader sees them: one colour per verdict, badges, verdict heads, the summary.

One palette serves the site, the PDF and the figures. Its colours are chosen so that
the verdicts stay apart in greyscale print and for colour-blind readers, and their
badge text stays legible (checked by ``tests/test_verdicts.py`` with
:mod:`briefing.colour`):

* each pair of fills differs by at least 10 in CIE lightness L* (the grey it prints as);
* each pair stays at least ΔE*ab 20 apart under simulated protanopia, deuteranopia and
  tritanopia (Machado et al. 2009);
* each badge's text has a WCAG contrast ratio of at least 4.5 on its fill.

A badge also names its verdict in words, so colour is never the only cue.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from briefing import claims
from briefing.present import md_escape

if TYPE_CHECKING:
    from IPython.display import HTML, Markdown

INK = "#1d232b"
WHITE = "#ffffff"
PALETTE = {
    "accurate": ("#1b4b8a", WHITE),
    "roughly-right": ("#80bbec", INK),
    "needs-context": ("#f6cc55", INK),
    "inaccurate": ("#b8401a", WHITE),
    "not-checkable": ("#8c8c8c", INK),
}

CHAPTER_TITLES = {
    "introduction": "The article and the ledger",
    "performance": "Reasoning performance: R1 against o1",
    "mla-kv-cache": "MLA and the KV cache",
    "mixture-of-experts": "Mixture of experts",
    "training-cost": "Training compute and cost",
    "prices": "Prices per token",
    "markets-and-money": "Markets and money",
    "verdicts": "Verdicts",
}
"""The chapters that check claims, by stem, with their titles (tests hold them to the chapters' own)."""


def fill(verdict: str) -> str:
    """The verdict's colour, for badges and figures."""
    return PALETTE[verdict][0]


def text_colour(verdict: str) -> str:
    """The colour of text set on the verdict's fill."""
    return PALETTE[verdict][1]


def style(verdict: str) -> str:
    """``background-color:#…;color:#…``: the inline style of a badge (the PDF's filter reads it too)."""
    return f"background-color:{fill(verdict)};color:{text_colour(verdict)}"


def badge(verdict: str) -> str:
    """A verdict badge in Pandoc markdown: ``[needs-context]{.verdict-badge style="…"}``."""
    return f'[{md_escape(verdict)}]{{.verdict-badge style="{style(verdict)}"}}'


def badge_html(verdict: str) -> str:
    """A verdict badge in HTML, for table cells."""
    return f'<span class="verdict-badge" style="{style(verdict)}">{html.escape(verdict)}</span>'


def anchor(claim_id: str) -> str:
    """The id of a claim's verdict paragraph: ``C07 -> verdict-c07``."""
    return f"verdict-{claim_id.lower()}"


_VERDICTS: dict[tuple[str, str], dict[str, str]] = {}


def verdict_of(claim_id: str, folder=None) -> str:
    """The claim's verdict, from the validated ledger (read once per version of ``claims.csv``)."""
    from briefing import data

    file = data.data_folder(folder) / claims.LEDGER_FILE
    key = (str(file), data.sha256(file))
    if key not in _VERDICTS:
        _VERDICTS[key] = dict(claims.ledger(folder)[["claim_id", "verdict"]].itertuples(index=False))
    if claim_id not in _VERDICTS[key]:
        raise KeyError(f"no claim {claim_id!r} in the ledger")
    return _VERDICTS[key][claim_id]


def verdict_head(claim_id: str, folder=None) -> Markdown:
    """The head of a verdict paragraph: the claim's id, anchored (``#verdict-c07``), and its badge."""
    from IPython.display import Markdown

    verdict = verdict_of(claim_id, folder)
    return Markdown(f"[**\\[{md_escape(claim_id)}\\]**]{{#{anchor(claim_id)}}} {badge(verdict)}")


def argued_at(claim: dict) -> str:
    """Where the summary links a claim to: its verdict paragraph in the chapter that checks it."""
    return f"chapters/{claim['chapter']}.qmd#{anchor(claim['claim_id'])}"


def summary_rows(folder=None) -> list[dict[str, str]]:
    """One row per claim, in article order: id, short claim, verdict, finding, chapter and link."""
    rows = []
    for row in claims.ledger(folder).to_dict("records"):
        rows.append({"claim_id": row["claim_id"], "claim": row["claim_short"], "verdict": row["verdict"],
                     "finding": row["finding"], "chapter": CHAPTER_TITLES[row["chapter"]], "href": argued_at(row)})
    return rows


def summary_table(folder=None) -> HTML:
    """The summary as an HTML table (cards on a phone): Claim, What the article says, Verdict, Finding, Argued in."""
    from IPython.display import HTML

    head = "".join(f"<th>{h}</th>" for h in ("Claim", "What the article says", "Verdict", "Finding", "Argued in"))
    body = []
    for row in summary_rows(folder):
        cells = (html.escape(row["claim_id"]), html.escape(row["claim"]), badge_html(row["verdict"]),
                 html.escape(row["finding"]),
                 f'<a href="{html.escape(row["href"])}">{html.escape(row["chapter"])}</a>')
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return HTML(f'<table class="cards summary"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def counts_line(counts) -> Markdown:
    """The verdict counts as one line of badges: ``**Verdicts:** [accurate] 2 · [roughly-right] 5 · …``.

    ``counts`` is :func:`briefing.claims.verdict_counts` (verdict -> claims, in scale order).
    """
    from IPython.display import Markdown

    parts = [f"{badge(verdict)} {int(n):,}" for verdict, n in counts.items()]
    return Markdown("**Verdicts:** " + " · ".join(parts))
