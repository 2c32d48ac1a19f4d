"""The differences between two editions, as plain data (``report`` prints them)."""

from __future__ import annotations

from collections import Counter

from briefing.diff.edition import Chapter, Edition


def _inline(old: Chapter | None, new: Chapter) -> list[dict]:
    """Values whose text changed, matched by expression and occurrence (the n-th ``usd(x)`` with the n-th)."""
    def keyed(chapter):
        seen, out = Counter(), {}
        for item in chapter.inline if chapter else []:
            seen[item.expr] += 1
            out[(item.expr, seen[item.expr])] = item
        return out

    before, after = keyed(old), keyed(new)
    changes = []
    for key in list(after) + [k for k in before if k not in after]:
        a, b = before.get(key), after.get(key)
        if a is None or b is None or a.value != b.value:
            changes.append({"expr": key[0], "line": (b or a).line, "old": a.value if a else None,
                            "new": b.value if b else None})
    return changes


def _keyed(rows: list[list[str]]) -> dict[str, list[str]] | None:
    """A table's body rows by their first cell, or None when that cell does not tell the rows apart."""
    keys = [row[0] if row else "" for row in rows]
    if "" in keys or len(set(keys)) != len(keys):
        return None
    return dict(zip(keys, rows))


def _cells(key: str, a: dict[str, str], b: dict[str, str]) -> list[dict]:
    """The cells of one row that differ, by column name (a column in one edition only is reported once)."""
    return [{"row": key, "column": column, "old": a[column], "new": b[column]}
            for column in b if column in a and a[column] != b[column]]


def _named(header: list[str], row: list[str]) -> dict[str, str]:
    return {(header[c] if c < len(header) and header[c] else f"column {c + 1}"): cell for c, cell in enumerate(row)}


def _table(old: list[list[str]] | None, new: list[list[str]] | None) -> dict | None:
    """A table's changes. Rows are matched by their first cell (a claim id, a model's name) when it tells them
    apart in both editions and heads the same column, so that an inserted row is one row added, not a change in
    every row below it; columns are matched by name. Otherwise rows are matched by position."""
    if old == new:
        return None
    old, new = old or [], new or []
    header = (new or old)[0] if (new or old) else []
    before = _keyed(old[1:]) if old else None
    after = _keyed(new[1:]) if new else None
    if old and new and old[0][:1] == new[0][:1] and before is not None and after is not None:
        result: dict = {"cells": [cell for key in after if key in before
                                  for cell in _cells(key, _named(old[0], before[key]), _named(new[0], after[key]))]}
        for name, keys in (("added", [k for k in after if k not in before]),
                           ("removed", [k for k in before if k not in after])):
            if keys:
                result[name] = keys
        columns = {"added": [c for c in new[0] if c not in old[0]], "removed": [c for c in old[0] if c not in new[0]]}
        if columns["added"] or columns["removed"]:
            result["columns"] = columns
    else:
        result = {"cells": [cell for r in range(min(len(old), len(new)))
                            for cell in _cells((new[r] or old[r])[0] if (new[r] or old[r]) else str(r + 1),
                                               _named(header, old[r]), _named(header, new[r]))]}
    if len(old) != len(new):
        result["rows"] = [len(old), len(new)]
    return result


def chapter_changes(old: Chapter | None, new: Chapter, labels: tuple[str, str] = ("", "")) -> dict:
    """What a reader would see changed in one chapter. When either revision holds no executed notebook
    for it, its values cannot be compared: the change says so instead of listing every value as gone."""
    missing = [label for chapter, label in ((old, labels[0]), (new, labels[1])) if chapter is not None and not chapter.executed]
    if missing:
        return {"inline": [], "tables": {}, "figures": [], "not_compared": missing}
    tables = {}
    for label in list(new.tables) + [l for l in (old.tables if old else {}) if l not in new.tables]:
        change = _table(old.tables.get(label) if old else None, new.tables.get(label))
        if change:
            tables[label] = change
    old_figures = old.figures if old else {}
    figures = sorted(label for label in set(old_figures) | set(new.figures)
                     if old_figures.get(label) != new.figures.get(label))
    return {"inline": _inline(old, new), "tables": tables, "figures": figures}


def _rows(old: dict, new: dict) -> list[dict]:
    changes = []
    for table in sorted(set(old) | set(new)):
        a, b = old.get(table, {}), new.get(table, {})
        for key in sorted(set(a) | set(b)):
            label = ", ".join(key)
            if key not in a:
                changes.append({"table": table, "key": label, "change": "added"})
            elif key not in b:
                changes.append({"table": table, "key": label, "change": "removed"})
            elif a[key] != b[key]:
                columns = {c: [a[key].get(c), b[key].get(c)] for c in sorted(set(a[key]) | set(b[key]))
                           if a[key].get(c) != b[key].get(c)}
                changes.append({"table": table, "key": label, "change": "changed", "columns": columns})
    return changes


def compare(old: Edition, new: Edition) -> dict:
    """Everything a reader would see changed, chapter by chapter, then the data."""
    chapters = {}
    for stem, chapter in new.chapters.items():
        change = chapter_changes(old.chapters.get(stem), chapter, (old.label, new.label)) if stem in old.chapters else None
        if change and any(change.values()):
            chapters[stem] = change
    for claim in sorted(set(old.verdicts) | set(new.verdicts)):
        a, b = old.verdicts.get(claim), new.verdicts.get(claim)
        if (a or {}).get("verdict") != (b or {}).get("verdict"):
            stem = (b or a).get("chapter") or "(no chapter)"
            entry = chapters.setdefault(stem, {"inline": [], "tables": {}, "figures": []})
            entry.setdefault("verdicts", []).append({
                "claim": claim, "old": (a or {}).get("verdict"), "new": (b or {}).get("verdict"),
                "rationale": (b or a).get("rationale", "")})
    files = [{"path": path, "old": old.hashes.get(path), "new": new.hashes.get(path)}
             for path in sorted(set(old.hashes) | set(new.hashes)) if old.hashes.get(path) != new.hashes.get(path)]
    return {
        "old": old.label,
        "new": new.label,
        "chapters_added": [s for s in new.chapters if s not in old.chapters],
        "chapters_removed": [s for s in old.chapters if s not in new.chapters],
        "chapters": chapters,
        "data": {"files": files, "rows": _rows(old.rows, new.rows)},
    }
