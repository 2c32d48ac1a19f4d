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

from briefing import claims, lineage
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


_LABELS: dict[tuple[str, str], dict[str, str]] = {}


def label(verdict: str, folder=None) -> str:
    """The verdict in words, as readers see it (``needs-context`` -> ``Needs context``), from the
    ``label`` column of ``data/verdicts.csv`` (read once per version of the file)."""
    from briefing import data

    file = data.data_folder(folder) / f"{claims.SCALE}.csv"
    key = (str(file), data.sha256(file))
    if key not in _LABELS:
        _LABELS[key] = {str(v): str(w) for v, w in claims.verdict_scale(folder)[["verdict", "label"]].itertuples(index=False)}
    words = _LABELS[key][verdict]
    refs = lineage.refs_of(verdict)
    return lineage.traced(words, refs) if refs else words


def badge(verdict: str) -> str:
    """A verdict badge in Pandoc markdown: ``[Needs context]{.verdict-badge data-verdict="needs-context" style="…"}``."""
    return f'[{md_escape(label(verdict))}]{{.verdict-badge data-verdict="{verdict}" style="{style(verdict)}"}}'


def badge_html(verdict: str) -> str:
    """A verdict badge in HTML, for table cells."""
    return (f'<span class="verdict-badge" data-verdict="{html.escape(verdict)}" style="{style(verdict)}">'
            f'{html.escape(label(verdict))}</span>')


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


ANSWER = (
    ("Wrong", ("inaccurate",)),
    ("Needs context", ("needs-context",)),
    ("Holds", ("accurate", "roughly-right")),
    ("Cannot be checked", ("not-checkable",)),
)
"""The summary's answer, worst news first: its headings and the verdicts each one gathers. The summary
table follows the same order (a group's claims in the article's order)."""


def answer_rank(verdict: str) -> int:
    """Where a verdict's claims come in the summary: 0 for the wrong ones, then context, holds, unchecked."""
    return next(i for i, (_, chosen) in enumerate(ANSWER) if verdict in chosen)


def verdict_href(claim_id: str, folder=None) -> str:
    """The link to a claim's verdict paragraph from any page of the book: the chapter's path from the
    project's root (``/chapters/training-cost.qmd#verdict-c07``), which Quarto and the built-in engine
    resolve to the page or, in the PDF, to the paragraph."""
    links = verdict_links(folder)
    if claim_id not in links:
        raise KeyError(f"no claim {claim_id!r} in the ledger")
    return links[claim_id]


def claim_link_html(claim_id: str, folder=None) -> str:
    """A claim id in an HTML table cell, linked to its verdict paragraph (the site previews it on hover)."""
    link = f'<a class="claim-ref" href="{html.escape(verdict_href(claim_id, folder))}">{html.escape(claim_id)}</a>'
    refs = lineage.refs_of(claim_id)
    return lineage.traced(link, refs) if refs else link


def chapter_link_html(stem: str) -> str:
    """A chapter named by its title and linked, for an HTML table cell (``mla-kv-cache`` -> MLA and the KV cache)."""
    link = f'<a href="/chapters/{html.escape(stem)}.qmd">{html.escape(CHAPTER_TITLES[stem])}</a>'
    refs = lineage.refs_of(stem)
    return lineage.traced(link, refs) if refs else link


def verdict_links(folder=None) -> dict[str, str]:
    """Where each claim's verdict is argued, by id (:func:`argued_at`), read straight from the ledger's
    rows: the map the site and the PDF use to link every claim id (``_extensions/briefing/claim-links.lua``).
    Empty for a book without a claims ledger."""
    from briefing import data

    file = data.data_folder(folder) / claims.LEDGER_FILE
    if not file.is_file():
        return {}
    key = (str(file), data.sha256(file))
    if key not in _LINKS:
        _LINKS[key] = {row["claim_id"]: "/" + argued_at(row) for _, row in data.read_rows(file)
                       if row.get("claim_id") and row.get("chapter")}
    return dict(_LINKS[key])


_LINKS: dict[tuple[str, str], dict[str, str]] = {}


def summary_rows(folder=None) -> list[dict[str, str]]:
    """One row per claim, grouped as :data:`ANSWER` orders them (the article's order within a group,
    kept in ``article_order``): id, short claim, verdict, finding, chapter and link."""
    rows = []
    for order, row in enumerate(claims.ledger(folder).to_dict("records"), start=1):
        rows.append({"claim_id": row["claim_id"], "claim": row["claim_short"], "verdict": row["verdict"],
                     "finding": row["finding"], "chapter": CHAPTER_TITLES[row["chapter"]], "href": argued_at(row),
                     "article_order": order})
    return sorted(rows, key=lambda r: (answer_rank(r["verdict"]), r["article_order"]))


def summary_table(folder=None) -> HTML:
    """The summary as an HTML table (cards on a phone): Claim, What the article says, Verdict, Finding, Argued in.

    Rows come grouped by verdict, worst news first; each carries its place in the article
    (``data-article-order``), which the site's "Article order" button sorts by.
    """
    from IPython.display import HTML

    head = "".join(f"<th>{h}</th>" for h in ("Claim", "What the article says", "Verdict", "Finding", "Argued in"))
    body = []
    for row in summary_rows(folder):
        claim = f'<a class="claim-ref" href="/{html.escape(row["href"])}">{html.escape(row["claim_id"])}</a>'
        cells = (claim, html.escape(row["claim"]), badge_html(row["verdict"]),
                 html.escape(row["finding"]),
                 f'<a href="{html.escape(row["href"])}">{html.escape(row["chapter"])}</a>')
        body.append(f'<tr data-article-order="{row["article_order"]}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return HTML(f'<table class="cards summary"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def named(*verdicts: str, findings: bool = False, folder=None) -> Markdown:
    """The claims with any of these verdicts, in the article's order, each named by its short form and
    linked to the paragraph that argues its verdict: ``[R1 is open source](chapters/introduction.qmd#verdict-c03)
    (C03)``, separated by semicolons; with ``findings``, each followed by its finding."""
    from IPython.display import Markdown

    parts = []
    for row in claims.ledger(folder).to_dict("records"):
        if row["verdict"] not in verdicts:
            continue
        part = f"[{md_escape(row['claim_short'])}]({argued_at(row)}) ({md_escape(row['claim_id'])})"
        if findings:
            part += f": {md_escape(row['finding'])}"
        parts.append(part)
    return Markdown(" ".join(parts) if findings else "; ".join(parts))


def counts_line(counts) -> Markdown:
    """The verdict counts as one line of badges: ``**Verdicts:** [accurate] 2 · [roughly-right] 5 · …``.

    ``counts`` is :func:`briefing.claims.verdict_counts` (verdict -> claims, in scale order).
    """
    from IPython.display import Markdown

    parts = [f"{badge(verdict)} {int(n):,}" for verdict, n in counts.items()]
    return Markdown("**Verdicts:** " + " · ".join(parts))
