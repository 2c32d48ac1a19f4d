"""What one edition shows a reader, read from its files (nothing is executed).

* chapters: the ``book: chapters`` and ``appendices`` of ``_quarto.yml``, in order;
* per chapter, from ``chapters/_notebooks/NAME.ipynb``: every inline value (its
  expression, the ``.qmd`` line, the value as printed), every table (a cell
  labelled ``tbl-…``: its cells as text, from the HTML it printed) and every
  figure (a cell labelled ``fig-…``: the SHA-256 of its SVG);
* the verdicts of ``data/claims.csv`` (id, chapter, verdict, rationale);
* the data: each file's SHA-256, and the rows of each table with a primary key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import yaml

from briefing.diff.tree import RevisionError, Tree

INLINE_TAG = "inline-expression"
NOTEBOOKS = "chapters/_notebooks"
LABEL = re.compile(r"^#\|\s*label:\s*[\"']?([\w-]+)", re.M)
CAPTION = re.compile(r"^#\|\s*(?:tbl|fig)-cap:\s*(.+)$", re.M)


@dataclass
class Inline:
    expr: str
    line: int
    value: str


@dataclass
class Chapter:
    stem: str
    source: str
    inline: list[Inline] = field(default_factory=list)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)  # a table's or figure's caption, by label
    text: str = ""  # the .qmd source, for the sentence around a value
    executed: bool = True  # False: the revision holds no executed notebook for it, so no values to compare


@dataclass
class Edition:
    label: str
    chapters: dict[str, Chapter]
    verdicts: dict[str, dict[str, str]]
    hashes: dict[str, str]
    rows: dict[str, dict[tuple, dict[str, str]]]
    titles: dict[str, str] = field(default_factory=dict)  # a data file's title (datapackage.json), by its path
    labels: dict[str, str] = field(default_factory=dict)  # a verdict's label ("Needs context"), by its slug


def chapter_sources(tree: Tree) -> list[str]:
    """The chapter files ``_quarto.yml`` lists, in reading order."""
    text = tree.text("_quarto.yml")
    if text is None:
        raise RevisionError(f"_quarto.yml is missing at {tree.label}")
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise RevisionError(f"_quarto.yml at {tree.label}: not valid YAML ({exc.__class__.__name__})") from None
    book = config.get("book") if isinstance(config, dict) else None
    found: list[str] = []

    def walk(entries, key):
        if entries is None:
            return
        if not isinstance(entries, list):
            raise RevisionError(f"_quarto.yml at {tree.label}: book: {key} must be a list")
        for entry in entries:
            if isinstance(entry, str):
                found.append(entry)
            elif isinstance(entry, dict):
                walk(entry.get("chapters"), "chapters")

    if isinstance(book, dict):
        walk(book.get("chapters"), "chapters")
        walk(book.get("appendices"), "appendices")
    return found


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _table_cells(html: str) -> list[list[str]]:
    from lxml import html as lxml_html

    root = lxml_html.fromstring(html)
    for note in root.xpath("//sup"):  # a cell's source-note numbers are not its value
        note.drop_tree()
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")] for row in root.xpath("//tr")]


def read_chapter(tree: Tree, source: str) -> Chapter:
    stem = PurePosixPath(source).stem
    chapter = Chapter(stem, source, text=tree.text(source) or "")
    path = f"{NOTEBOOKS}/{stem}.ipynb"
    text = tree.text(path)
    if text is None:
        chapter.executed = False
        return chapter
    try:
        nb = json.loads(text)
        cells = nb["cells"]
    except (ValueError, KeyError, TypeError):
        raise RevisionError(f"{path} at {tree.label}: not a notebook") from None
    try:
        _read_cells(chapter, cells)
    except (AttributeError, KeyError, TypeError, ValueError):
        raise RevisionError(f"{path} at {tree.label}: not a notebook the build wrote") from None
    return chapter


def _read_cells(chapter: Chapter, cells: list) -> None:
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source_text = _text(cell.get("source", ""))
        meta = cell.get("metadata", {})
        line = int(meta.get("briefing", {}).get("line", 0))
        outputs = [o for o in cell.get("outputs", []) if o.get("output_type") in ("execute_result", "display_data")]
        if INLINE_TAG in meta.get("tags", []):
            data = next((o["data"] for o in outputs if o.get("data")), {})
            value = _text(data.get("text/markdown", data.get("text/plain", "")))
            chapter.inline.append(Inline(source_text, line, value))
            continue
        label = LABEL.search(source_text)
        if not label:
            continue
        name = label.group(1)
        caption = CAPTION.search(source_text)
        if caption:
            chapter.captions[name] = caption.group(1).strip().strip("\"'")
        data = next((o["data"] for o in outputs if o.get("data")), {})
        if name.startswith("tbl-"):
            if "text/html" in data:
                chapter.tables[name] = _table_cells(_text(data["text/html"]))
            elif "text/markdown" in data:
                chapter.tables[name] = [[c.strip() for c in row.strip().strip("|").split("|")]
                                        for row in _text(data["text/markdown"]).splitlines()
                                        if row.strip().startswith("|") and not set(row) <= set("|-: ")]
        elif name.startswith("fig-"):
            svg = data.get("image/svg+xml") or data.get("image/png")
            if svg is not None:
                chapter.figures[name] = hashlib.sha256(_text(svg).encode()).hexdigest()


CELL_LIMIT = 2**31 - 1  # the csv module's default (131,072 characters) is less than `briefing check` accepts


def _csv_rows(text: str, path: str, label: str) -> list[dict[str, str]]:
    """The rows of one CSV file at a revision, strictly read; a damaged file is a :class:`RevisionError`
    naming the file, the revision and the record's first line."""
    csv.field_size_limit(CELL_LIMIT)
    reader = csv.reader(io.StringIO(text), strict=True)
    rows, header = [], None
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return rows
        except csv.Error as exc:
            raise RevisionError(f"{path} at {label}: line {start}: {exc}") from None
        if header is None:
            header = row
        elif row:
            if len(row) != len(header):
                fields = f"{len(row)} field{'' if len(row) == 1 else 's'}"
                raise RevisionError(f"{path} at {label}: line {start}: {fields} where the header has {len(header)}")
            rows.append(dict(zip(header, row)))


_COMMITTED: dict[tuple[str, str], Edition] = {}


def read_edition(tree: Tree) -> Edition:
    """The edition ``tree`` holds; an edition at a commit is read once per process (it cannot change)."""
    if tree.commit is None:
        return _read_edition(tree)
    key = (str(tree.root.resolve()), tree.commit)
    if key not in _COMMITTED:
        _COMMITTED[key] = _read_edition(tree)
    return _COMMITTED[key]


def _read_edition(tree: Tree) -> Edition:
    chapters = {}
    for source in chapter_sources(tree):
        chapter = read_chapter(tree, source)
        chapters[chapter.stem] = chapter
    hashes = {path: hashlib.sha256(tree.read(path) or b"").hexdigest() for path in tree.files("data")}
    rows: dict[str, dict[tuple, dict[str, str]]] = {}
    titles: dict[str, str] = {}
    descriptor = tree.text("data/datapackage.json")
    if descriptor:
        try:
            package = json.loads(descriptor)
        except ValueError:
            raise RevisionError(f"data/datapackage.json at {tree.label}: not valid JSON") from None
        resources = package.get("resources", []) if isinstance(package, dict) else None
        if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
            raise RevisionError(f"data/datapackage.json at {tree.label}: not a Data Package descriptor "
                                "(an object whose resources are a list of objects)")
        for res in resources:
            if isinstance(res.get("path"), str) and isinstance(res.get("title"), str):
                titles[res["path"]] = res["title"]
            schema = res.get("schema")
            key = schema.get("primaryKey") if isinstance(schema, dict) else None
            path = res.get("path")
            text = tree.text(f"data/{path}") if key and isinstance(path, str) else None
            if text is None:
                continue
            key = [key] if isinstance(key, str) else [str(k) for k in key] if isinstance(key, list) else []
            rows[path] = {tuple(row.get(k, "") for k in key): row
                          for row in _csv_rows(text, f"data/{path}", tree.label)}
    verdicts = {}
    claims = tree.text("data/claims.csv")
    if claims:
        for row in _csv_rows(claims, "data/claims.csv", tree.label):
            if row.get("claim_id"):
                verdicts[row["claim_id"]] = {k: row.get(k, "") for k in ("chapter", "verdict", "rationale")}
    labels = {}
    scale = tree.text("data/verdicts.csv")
    if scale:
        for row in _csv_rows(scale, "data/verdicts.csv", tree.label):
            if row.get("verdict") and row.get("label"):
                labels[row["verdict"]] = row["label"]
    return Edition(tree.label, chapters, verdicts, hashes, rows, titles, labels)
