"""Where the briefing's facts come from, summarised from the provenance columns of ``data/``.

Every row of a fact table (and every model config) carries its source and a
confidence level: ``primary`` (read in the original), ``secondary`` (read in a
copy) or ``estimate`` (derived). The preface and the data appendix both report
that mix; they read it from here, by table and by source, in counts rather than
shares (a share hides a single estimate row as "0 %").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from briefing import data, lineage

CONFIDENCE = list(data.CONFIDENCE)
CONFIGS = "configs/*.json"
LOGS = ("corrections",)
"""Tables that record the briefing's own changes, not facts: their evidence columns are not counted as sourced facts."""


def _fact_tables(pkg: data.Package) -> list[dict]:
    return [res for res in pkg.resources
            if data.is_table(res) and res.get("name") not in LOGS
            and "confidence" in {f["name"] for f in res["schema"]["fields"]}]


def sourced_rows(folder: str | Path | None = None) -> pd.DataFrame:
    """One row per sourced fact: table (its file), source title, URL (as a link, see
    :func:`briefing.sources.web_url`), publisher, published, confidence.

    Model configs count as one row each, under their own file name; rows derived
    from other rows (estimates without a document) have the publisher
    "(derived from other rows)". Each ``table`` cell carries a reference to its whole
    table (:func:`briefing.lineage.table_ref`), so counts made from these rows say which
    tables they count.
    """
    from briefing.sources import web_url

    pkg = data.Package(data.data_folder(folder))
    rows = []
    for res in _fact_tables(pkg):
        frame = data.load(res["name"], pkg.folder)
        table = lineage.TracedStr(res["path"], [lineage.table_ref(res["path"])])
        for _, row in frame.iterrows():
            rows.append({"table": table, "source": _plain(row["source_title"]),
                         "url": web_url(_plain(row["source_url"])) if pd.notna(row["source_url"]) else "",
                         "publisher": _plain(row["publisher"]) if pd.notna(row["publisher"]) else "(derived from other rows)",
                         "published": _plain(row["published"]) if pd.notna(row["published"]) else "",
                         "confidence": _plain(row["confidence"])})
    for res in pkg.resources:
        if str(res.get("path", "")).startswith("configs/"):
            table = lineage.TracedStr(res["path"], [lineage.table_ref(res["path"])])
            rows.append({"table": table, "source": res["sources"][0]["title"], "url": web_url(res["sources"][0]["path"]),
                         "publisher": res["publisher"], "published": res["published"], "confidence": res["confidence"]})
    return pd.DataFrame(rows, columns=["table", "source", "url", "publisher", "published", "confidence"], dtype=object)


def _plain(value):
    return lineage.plain(value)


def confidence_counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows per group of ``keys`` and how many are primary, secondary and estimate (zeros shown)."""
    counted = frame.groupby(keys + ["confidence"], sort=False).size().unstack("confidence")
    counted = counted.reindex(columns=CONFIDENCE).fillna(0).astype(int)
    counted.columns.name = None
    counted.insert(0, "rows", counted.sum(axis=1))
    counted = counted.reset_index()
    return _traced(counted, ["rows", *CONFIDENCE], frame)


def _files(table: str, frame: pd.DataFrame) -> list[str]:
    """The data files behind a table name of these counts (every config for ``configs/*.json``)."""
    if table == CONFIGS and "file" in frame.columns:
        return sorted({str(f) for f in frame.loc[frame["table"] == CONFIGS, "file"]})
    return [table]


def _traced(counted: pd.DataFrame, columns: list[str], frame: pd.DataFrame) -> pd.DataFrame:
    """Each count carrying the data files it counts (their whole-file references)."""
    files = {str(t): _files(str(t), frame) for t in counted["table"]}
    out = counted.astype({c: object for c in columns})
    for column in columns:
        out[column] = pd.Series([lineage.traced(int(n), [lineage.table_ref(f) for f in files[str(t)]])
                                 for n, t in zip(counted[column], counted["table"])], index=out.index, dtype=object)
    return out


def grouped_configs(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows with every model config under one name, ``configs/*.json`` (``file`` keeps each one's)."""
    table = frame["table"].map(str)
    return frame.assign(file=table, table=table.where(~table.str.startswith("configs/"), CONFIGS))


def by_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Confidence mix per table (configs together), with the number of distinct sources."""
    grouped = grouped_configs(frame)
    per_table = confidence_counts(grouped, ["table"])
    sources = grouped.drop_duplicates(["table", "source", "publisher", "published"]).groupby("table").size()
    per_table.insert(2, "sources", pd.Series([lineage.traced(int(sources[t]), [lineage.table_ref(f) for f in _files(str(t), grouped)])
                                              for t in per_table["table"]], index=per_table.index, dtype=object))
    return per_table


def by_source(frame: pd.DataFrame) -> pd.DataFrame:
    """Confidence mix per distinct source, within each table, with the source's URL."""
    return confidence_counts(frame.assign(table=frame["table"].map(str)), ["table", "source", "url", "publisher", "published"])


def totals(frame: pd.DataFrame) -> pd.Series:
    """How many sourced rows are primary, secondary and estimate, each count carrying the tables it counts."""
    counts = {level: lineage.traced(int((frame["confidence"] == level).sum()),
                                    lineage.refs_in(*frame.loc[frame["confidence"] == level, "table"]))
              for level in CONFIDENCE}
    return pd.Series(counts, dtype=object)


def largest_sources(frame: pd.DataFrame, confidence: str, count: int = 2) -> pd.DataFrame:
    """The ``count`` sources that give the most rows of one confidence level, with their tables and row
    counts (each count carrying the tables it counts)."""
    chosen = frame[frame["confidence"] == confidence]
    rows = []
    for (source, publisher), group in chosen.groupby(["source", "publisher"], sort=False):
        tables = sorted(set(group["table"]), key=str)
        rows.append({"source": lineage.traced(source, lineage.refs_in(*group["table"])), "publisher": publisher,
                     "rows": lineage.traced(len(group), lineage.refs_in(*group["table"])), "tables": tables})
    grouped = pd.DataFrame(rows, columns=["source", "publisher", "rows", "tables"], dtype=object)
    order = sorted(range(len(grouped)), key=lambda i: -int(grouped["rows"].iloc[i]))
    return grouped.iloc[order[:count]].reset_index(drop=True)


def tables_by_mix(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Tables whose sourced rows are all primary, all secondary, or mixed (configs together)."""
    mix = by_table(frame)
    kinds: dict[str, list[str]] = {"primary": [], "secondary": [], "mixed": []}
    for _, row in mix.iterrows():
        documented = row["primary"] + row["secondary"]
        table = row["table"] if row["table"] == CONFIGS else lineage.traced(row["table"], [lineage.table_ref(row["table"])])
        if row["primary"] == documented and documented:
            kinds["primary"].append(table)
        elif row["secondary"] == documented and documented:
            kinds["secondary"].append(table)
        else:
            kinds["mixed"].append(table)
    return kinds
