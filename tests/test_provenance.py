"""Where the facts come from (briefing.provenance): counts by table and by source, as the preface and appendix print them."""

from __future__ import annotations

import pandas as pd

from briefing import provenance


def frame(*rows):
    return pd.DataFrame(rows, columns=["table", "source", "publisher", "published", "confidence"])


SAMPLE = frame(
    ("a.csv", "Report", "DeepSeek-AI", "2024", "primary"),
    ("a.csv", "Report", "DeepSeek-AI", "2024", "primary"),
    ("a.csv", "Copy", "Wiki", "n.d.", "secondary"),
    ("b.csv", "computed", "(derived from other rows)", "", "estimate"),
    ("configs/x.json", "Config", "DeepSeek-AI", "2024", "primary"),
    ("configs/y.json", "Copy of a config", "Mirror", "n.d.", "secondary"),
)


def test_one_estimate_row_is_counted_as_one_not_printed_as_zero_percent():
    assert provenance.totals(SAMPLE).to_dict() == {"primary": 3, "secondary": 2, "estimate": 1}


def test_mix_by_table_groups_the_configs_and_counts_distinct_sources():
    mix = provenance.by_table(SAMPLE).set_index("table")
    assert mix.loc["a.csv"].to_dict() == {"rows": 3, "sources": 2, "primary": 2, "secondary": 1, "estimate": 0}
    assert mix.loc[provenance.CONFIGS].to_dict() == {"rows": 2, "sources": 2, "primary": 1, "secondary": 1, "estimate": 0}


def test_the_largest_primary_sources_and_tables_by_mix():
    top = provenance.largest_sources(SAMPLE, "primary", 1)
    assert top[["source", "rows"]].to_dict("records") == [{"source": "Report", "rows": 2}]
    assert provenance.tables_by_mix(SAMPLE) == {"primary": [], "secondary": [], "mixed": ["a.csv", "b.csv", provenance.CONFIGS]}


def test_the_real_package_adds_up():
    facts = provenance.sourced_rows()
    by_table = provenance.by_table(facts)
    assert by_table["rows"].sum() == len(facts) == provenance.totals(facts).sum()
    gpus = by_table.set_index("table").loc["gpus.csv"]
    assert gpus["primary"] == 0, "the preface says no NVIDIA datasheet was read"
