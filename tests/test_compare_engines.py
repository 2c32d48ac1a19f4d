"""tools/compare_engines.py (issue 21): what it reads of a page, and what it calls a difference. The engines
themselves are compared by tests/test_quarto_real.py when real Quarto is on PATH."""

from __future__ import annotations

import importlib.util

from conftest import ROOT

spec = importlib.util.spec_from_file_location("compare_engines", ROOT / "tools/compare_engines.py")
compare_engines = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_engines)

BUILTIN = """<html><body><nav>Contents</nav><main id="content">
<h1><span class="header-section-number">6</span> Prices per token</h1>
<p>R1’s output costs <a href="../notebooks/prices.html#cell-5" class="computed" data-expr="usd(r1.output)">$2.19</a><a
class="computed-info"><span aria-hidden="true">i</span></a>, against o1’s $60.00 (Table 6.1).</p>
<figure><img src="x.svg" alt="a"><figcaption>Figure 6.1: The curve</figcaption></figure>
<p class="last-changed">Last changed in version 1.0.0</p></main></body></html>"""
LAST_CHANGED = '<p class="last-changed">Last changed in version 1.0.0</p>'
QUARTO = """<html><body><main id="quarto-document-content"><nav class="quarto-title-breadcrumbs">Economic</nav>
<h1><span class="chapter-number">6</span> <span class="chapter-title">Prices per token</span></h1>
<p>R1’s output costs <span class="computed" data-cell="cell-5">$2.19</span>, against o1’s $60.00 (Table 6.1).</p>
<figure><img src="x.svg" alt="a"><figcaption>Figure 6.1: The curve</figcaption></figure>
<div class="callout callout-note"><span class="screen-reader-only">Note</span></div></main></body></html>"""


def test_the_engines_chrome_is_left_out_and_the_content_compared_word_for_word():
    assert compare_engines.page_text(BUILTIN, "builtin") == (
        "6 Prices per token R1’s output costs $2.19, against o1’s $60.00 (Table 6.1). Figure 6.1: The curve "
        "Last changed in version 1.0.0")
    page = compare_engines.compare_page(BUILTIN, QUARTO.replace("</figure>", "</figure>\n" + LAST_CHANGED))
    assert page["text_ratio"] == 1.0 and page["differences"] == []
    assert page["figures"] == [1, 1] and not page["xrefs_only_builtin"] and not page["xrefs_only_quarto"]
    assert page["features"]["provenance on computed values"] == [True, False]
    assert page["features"]["last-changed line"] == [True, True]
    assert compare_engines.compare_page(BUILTIN, QUARTO)["features"]["last-changed line"] == [True, False]


def test_a_changed_number_is_reported_with_the_words_before_it():
    quarto = QUARTO.replace("</figure>", "</figure>\n" + LAST_CHANGED)
    page = compare_engines.compare_page(BUILTIN, quarto.replace("$60.00", "$15.00").replace("Table 6.1", "Table 6.2"))
    assert page["numbers_only_builtin"] == ["$60.00"] and page["numbers_only_quarto"] == ["$15.00"]
    assert page["xrefs_only_builtin"] == ["Table 6.1"] and page["xrefs_only_quarto"] == ["Table 6.2"]
    assert any("against o1’s [built-in: $60.00 | quarto: $15.00" in d for d in page["differences"])
