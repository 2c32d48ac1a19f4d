"""The verdicts as the reader sees them: the palette (greyscale, colour-blind, contrast),
badges, verdict heads and the summary, and the colour arithmetic they are checked with."""

from __future__ import annotations

import itertools
import re

import pytest

from briefing import claims, colour, verdicts
from conftest import ROOT


# --- colour arithmetic, against the definitions it implements -------------------------------------------

def test_wcag_contrast_of_black_on_white_is_21_and_of_777_is_just_under_aa():
    # WCAG 2.2, "contrast ratio": ratios range from 1:1 to 21:1; #777777 on white is 4.48:1.
    assert colour.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert colour.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert colour.relative_luminance("#ffffff") == pytest.approx(1.0)


def test_cie_lightness_of_white_black_and_middle_grey():
    # CIE L*: white 100, black 0; sRGB (119, 119, 119) is the usual "middle grey" at L* = 50.
    assert colour.lightness("#ffffff") == pytest.approx(100.0, abs=0.01)
    assert colour.lightness("#000000") == pytest.approx(0.0, abs=0.01)
    assert colour.lightness("#777777") == pytest.approx(50.0, abs=0.2)


@pytest.mark.parametrize("vision", sorted(colour.DICHROMACY))
def test_dichromat_simulation_keeps_greys_and_merges_red_and_green(vision):
    # Machado et al. (2009): each matrix row sums to 1, so neutral greys look the same to everyone.
    for grey in ("#000000", "#777777", "#ffffff"):
        assert colour.difference(grey, grey, vision) == 0
        assert colour.lab(grey, vision) == pytest.approx(colour.lab(grey), abs=0.3)
    if vision in ("protanopia", "deuteranopia"):
        # the classic confusion: a pure red and a pure green come out far closer than with normal vision
        assert colour.difference("#ff0000", "#00ff00", vision) < colour.difference("#ff0000", "#00ff00") / 2


def test_a_malformed_colour_is_refused():
    with pytest.raises(ValueError, match="not a #rrggbb colour"):
        colour.channels("#abc")


# --- the palette -------------------------------------------------------------------------------------------

def test_the_palette_has_one_colour_per_verdict_of_the_scale():
    assert set(verdicts.PALETTE) == set(claims.verdict_scale()["verdict"])


def test_verdicts_stay_apart_in_greyscale_print():
    for a, b in itertools.combinations(verdicts.PALETTE, 2):
        gap = abs(colour.lightness(verdicts.fill(a)) - colour.lightness(verdicts.fill(b)))
        assert gap >= 10, f"{a} and {b} print as greys only {gap:.1f} L* apart"


@pytest.mark.parametrize("vision", sorted(colour.DICHROMACY))
def test_verdicts_stay_apart_for_colour_blind_readers(vision):
    for a, b in itertools.combinations(verdicts.PALETTE, 2):
        gap = colour.difference(verdicts.fill(a), verdicts.fill(b), vision)
        assert gap >= 20, f"{a} and {b} are only ΔE {gap:.1f} apart with {vision}"


def test_badge_text_passes_wcag_aa_contrast():
    for verdict, (fill, ink) in verdicts.PALETTE.items():
        assert colour.contrast_ratio(fill, ink) >= 4.5, verdict


# --- badges, heads and the summary -----------------------------------------------------------------------

def test_badges_name_the_verdict_in_words_and_carry_the_palette_inline():
    """The words are data/verdicts.csv's label column (issue 20, item 2: no slug on a badge)."""
    assert verdicts.badge("needs-context") == ('[Needs context]{.verdict-badge data-verdict="needs-context" '
                                               'style="background-color:#f6cc55;color:#1d232b"}')
    assert verdicts.badge_html("inaccurate") == ('<span class="verdict-badge" data-verdict="inaccurate" '
                                                 'style="background-color:#b8401a;color:#ffffff">Inaccurate</span>')


def test_a_verdict_head_is_anchored_for_the_summary_to_link_to():
    head = verdicts.verdict_head("C07").data
    assert head == ('[**\\[C07\\]**]{#verdict-c07} '
                    '[Inaccurate]{.verdict-badge data-verdict="inaccurate" style="background-color:#b8401a;color:#ffffff"}')


def test_the_summary_has_every_claim_grouped_wrong_first_with_a_link_to_its_verdict():
    """Issue 20, item 1: the wrong claims first, then those needing context, those that hold, the
    unchecked; the article's order within each group, and kept in article_order."""
    rows = verdicts.summary_rows()
    ledger = list(claims.ledger()["claim_id"])
    assert sorted(rows, key=lambda r: r["article_order"]) == sorted(rows, key=lambda r: ledger.index(r["claim_id"]))
    groups = [verdicts.answer_rank(r["verdict"]) for r in rows]
    assert groups == sorted(groups) and groups[0] == 0
    assert [r["claim_id"] for r in rows[:2]] == ["C07", "C27"]
    c07 = next(r for r in rows if r["claim_id"] == "C07")
    assert c07 == {"claim_id": "C07", "claim": "Training at 1/50th of Western costs", "verdict": "inaccurate",
                   "finding": "The one like-for-like comparison, V3 against Llama 3.1 405B, gives about an order of "
                              "magnitude, not fifty.",
                   "chapter": "Training compute and cost", "href": "chapters/training-cost.qmd#verdict-c07",
                   "article_order": ledger.index("C07") + 1}


def test_every_claim_has_the_verdict_paragraph_the_summary_links_to():
    """Each chapter calls verdict_head for each claim it checks: the anchor the summary links to exists."""
    missing = []
    for row in claims.ledger().to_dict("records"):
        text = (ROOT / "chapters" / f"{row['chapter']}.qmd").read_text(encoding="utf-8")
        direct = f'verdict_head("{row["claim_id"]}")' in text
        opinions = row["chapter"] == "introduction" and "verdict_head(row['claim_id'])" in text and row["kind"] == "opinion"
        if not (direct or opinions):
            missing.append(row["claim_id"])
    assert missing == []


def test_chapter_titles_of_the_summary_are_the_chapters_own():
    for stem, title in verdicts.CHAPTER_TITLES.items():
        text = (ROOT / "chapters" / f"{stem}.qmd").read_text(encoding="utf-8")
        assert re.search(r'^title: "(.*)"$', text, re.M).group(1) == title, stem
    assert set(verdicts.CHAPTER_TITLES) == set(claims.CHAPTERS)


def test_the_counts_line_gives_every_verdict_with_its_badge():
    line = verdicts.counts_line(claims.verdict_counts()).data
    assert line.startswith("**Verdicts:** [Accurate]{.verdict-badge")
    assert line.count(".verdict-badge") == len(verdicts.PALETTE)
    assert sum(int(n) for n in re.findall(r"\} (\d+)", line)) == len(claims.ledger())
