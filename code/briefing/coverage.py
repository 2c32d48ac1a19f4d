"""How much of what the book prints can be traced to a source, counted from the executed notebooks.

Every printed value is one of:

* **from data rows**: at least one of its references is a row (or file) of ``data/`` read in a
  document, a model config, or a row the briefing derived from other rows;
* **from the article**: its only sources are lines of the article the briefing checks;
* **from no source**: it carries no reference, or only the briefing's own definitions and
  judgements (the verdict scale, a claim's verdict): a constant of the chapter, a count of its
  own ledger.

A printed number "from no source" whose expression rests on a name that holds data (the
chapter's sources cell records those names, :func:`briefing.sources.chapter_sources`) has lost
its lineage on the way (a ``float()``, a NumPy array, a numeric pandas column): it is counted as
**lost**, and the book should print none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from briefing.lineage import Ref, lineage_of

SOURCED_KINDS = ("document", "data", "derived")
INLINE_TAG = "inline-expression"
DIGIT = re.compile(r"\d")


def kind_of(refs: list[Ref], kinds: dict[Ref, str]) -> str:
    """``"sourced"``, ``"article"`` or ``"none"`` for a value with these references."""
    found = {kinds.get(ref, "document" if not ref.is_article else "article") for ref in refs}
    if found & set(SOURCED_KINDS):
        return "sourced"
    if "article" in found:
        return "article"
    return "none"


@dataclass
class Value:
    """One printed inline value: where, what, and what it rests on."""

    chapter: str
    line: int
    expr: str
    text: str
    kind: str
    lost: bool


@dataclass
class Coverage:
    """The counts over a set of chapters: inline values and table cells by kind, and the values lost."""

    values: list[Value] = field(default_factory=list)
    cells: dict[str, int] = field(default_factory=lambda: {"sourced": 0, "article": 0, "none": 0})

    def count(self, kind: str) -> int:
        return sum(1 for v in self.values if v.kind == kind)

    @property
    def printed(self) -> int:
        return len(self.values)

    @property
    def lost(self) -> list[Value]:
        return [v for v in self.values if v.lost]

    @property
    def table_cells(self) -> int:
        return sum(self.cells.values())

    def summary(self) -> dict:
        return {"printed": self.printed, "sourced": self.count("sourced"), "article": self.count("article"),
                "none": self.count("none"), "lost": len(self.lost),
                "table_cells": self.table_cells, "table_cells_sourced": self.cells["sourced"],
                "table_cells_article": self.cells["article"], "table_cells_none": self.cells["none"]}


def _text(outputs: list) -> str:
    import ast

    for out in outputs:
        if out.get("output_type") == "execute_result":
            plain = "".join(out.get("data", {}).get("text/plain", ""))
            if plain[:1] in "'\"":
                try:
                    return str(ast.literal_eval(plain))
                except (ValueError, SyntaxError):
                    pass
            return plain
    return ""


def chapter(stem: str, nb) -> Coverage:
    """The coverage of one executed notebook."""
    from briefing.names import names_of
    from briefing.sources import recorded_sources

    documents, derived = recorded_sources(nb)
    kinds = {Ref.from_json(ref): document["kind"] for document in documents
             for locator in document["locators"] for ref in locator["refs"]}
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    names = names_of(tuple((c.get("id", ""), _source(c)) for c in code))
    found = Coverage()
    for index, cell in enumerate(code):
        outputs = cell.get("outputs", [])
        if INLINE_TAG in cell.get("metadata", {}).get("tags", []):
            if any("text/markdown" in out.get("data", {}) for out in outputs):
                continue
            text = _text(outputs)
            if not text:
                continue
            refs = lineage_of(outputs) or []
            kind = kind_of(refs, kinds)
            expr = _source(cell)
            lost = (kind == "none" and not refs and bool(DIGIT.search(text))
                    and any(name in derived for name, _, _ in names.closure(expr, index)))
            line = cell.get("metadata", {}).get("briefing", {}).get("line", 0)
            found.values.append(Value(stem, line, expr, text, kind, lost))
            continue
        for out in outputs:
            record = out.get("data", {}).get(_mime())
            if isinstance(record, dict) and "cells" in record and "shape" in record:
                refs = [Ref.from_json(r) for r in record.get("refs", [])]
                rows, columns = record["shape"]
                traced = 0
                for row in record["cells"]:
                    for cell in row.split():
                        indices = [int(i) for i in cell.partition(":")[2].split(",")]
                        found.cells[kind_of([refs[i] for i in indices], kinds)] += 1
                        traced += 1
                found.cells["none"] += rows * columns - traced
    return found


def _mime() -> str:
    from briefing.lineage import MIME

    return MIME


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def book(notebooks: list[tuple[str, object]]) -> Coverage:
    """The coverage of the whole book: ``notebooks`` are ``(stem, executed notebook)`` in book order."""
    total = Coverage()
    for stem, nb in notebooks:
        part = chapter(stem, nb)
        total.values += part.values
        for kind, n in part.cells.items():
            total.cells[kind] += n
    return total


def markdown(report: Coverage) -> str:
    """The counts as the "Data and methods" appendix prints them: a pipe table and one sentence."""
    s = report.summary()
    lines = [
        "| Values | Printed | From data rows | From the article | From no source |",
        "|:--|--:|--:|--:|--:|",
        f"| Numbers and values in the text | {s['printed']:,} | {s['sourced']:,} | {s['article']:,} | {s['none']:,} |",
        f"| Cells of tables | {s['table_cells']:,} | {s['table_cells_sourced']:,} | {s['table_cells_article']:,} "
        f"| {s['table_cells_none']:,} |",
        "",
        ": What the book prints, by where it comes from, counted by the build from the executed notebooks",
        "",
        ("Every value computed from the data carries the rows it was computed from."
         if not s["lost"] else
         f"{s['lost']} printed numbers computed from the data have lost the rows they came from."),
    ]
    return "\n".join(lines)
