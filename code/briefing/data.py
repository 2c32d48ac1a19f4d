"""The briefing's data package: validation, typed loading and file hashes of ``data/``.

Every fact the briefing uses lives in a table of ``data/`` described by
``data/datapackage.json`` (Frictionless Data Package v2). This module is the only
way chapters read those tables: :func:`load` validates a table before handing it
over as a typed :class:`pandas.DataFrame`, and raises :class:`DataError` on the
first thing wrong, with a message ``data/FILE.csv:LINE:COLUMN: reason`` (LINE is
the physical line of the CSV file, the header being line 1).

:func:`validate` checks the whole package: each table against its schema (types,
units' ranges, allowed values, required fields, primary keys, with the
``frictionless`` library), the provenance columns every fact table must carry,
foreign keys across tables, the sha256 ``hash`` recorded for every file, that
the model configs parse as JSON, and that no data file is left undeclared.

Resources whose files have not been written yet are kept under the descriptor's
``x_pending`` list with their schema ready; ``--rehash`` declares them once their
files exist and records the current hashes after an intended edit.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from briefing import reads as reading
from briefing.files import FileProblem, check_utf8, inside, parse_json, read_text, sha256_file, write_atomic

if TYPE_CHECKING:
    import pandas as pd

DESCRIPTOR = "datapackage.json"
PROVENANCE = (
    "notes",
    "source_title",
    "source_url",
    "source_locator",
    "publisher",
    "published",
    "accessed",
    "confidence",
)
CONFIDENCE = ("primary", "secondary", "estimate")
SOURCED = ("source_url", "publisher", "published")
PENDING = "x_pending"
HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
UNDECLARED_IGNORED = {DESCRIPTOR}
REHASH_HINT = "if the edit was intended, run `briefing check --rehash`"


class DataError(ValueError):
    """A table or config failed validation; ``problems`` lists everything found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        extra = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{extra}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the package, printed as ``FILE:ROW:COLUMN: message``."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "-" if self.row is None else str(self.row)
        return f"{self.file}:{row}:{self.column or '-'}: {self.message}"


def data_folder(folder: str | Path | None = None) -> Path:
    """Return ``folder`` as a Path, or the briefing's ``data/`` when None."""
    if folder is not None:
        return Path(folder)
    from briefing import paths

    return paths.DATA


def sha256(path: Path) -> str:
    """Return the file's hash in the package's notation, ``sha256:<hex>``."""
    return "sha256:" + sha256_file(path)


class Package:
    """The descriptor of one data folder, read once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.descriptor_path = folder / DESCRIPTOR
        self.label = f"{folder.name}/{DESCRIPTOR}"
        descriptor = parse_json(read_text(self.descriptor_path, self.label), self.label)
        if not isinstance(descriptor, dict):
            raise FileProblem(self.label, None, "must hold a JSON object (a Data Package descriptor), "
                                                f"not a JSON {type(descriptor).__name__}")
        for key in ("resources", PENDING):
            value = descriptor.get(key, [])
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise FileProblem(self.label, None, f'"{key}" must be a list of resource objects')
        self.descriptor: dict[str, Any] = descriptor
        self.resources: list[dict[str, Any]] = list(descriptor.get("resources", []))
        self.pending: list[dict[str, Any]] = list(descriptor.get(PENDING, []))

    def display(self, path: str) -> str:
        """How a resource file is named in messages: ``data/models.csv``."""
        return f"{self.folder.name}/{path}"

    def resource(self, name: str) -> dict[str, Any]:
        """Return the declared resource called ``name``."""
        for res in self.resources:
            if res.get("name") == name:
                return res
        for res in self.pending:
            if res.get("name") == name:
                raise KeyError(
                    f"{name!r} is pending in {self.label}: once {self.display(res['path'])} is written and checked, "
                    "run `briefing check --rehash` to declare it"
                )
        known = ", ".join(sorted(r.get("name", "?") for r in self.resources))
        raise KeyError(f"no resource {name!r} in {self.label} (declared: {known})")

    def by_path(self) -> dict[str, dict[str, Any]]:
        """Declared resources keyed by their path."""
        return {res["path"]: res for res in self.resources if isinstance(res.get("path"), str)}

    def save(self) -> None:
        """Write the descriptor back, two-space indented."""
        self.descriptor["resources"] = self.resources
        if self.pending:
            self.descriptor[PENDING] = self.pending
        else:
            self.descriptor.pop(PENDING, None)
        text = json.dumps(self.descriptor, indent=2, ensure_ascii=False) + "\n"
        write_atomic(self.descriptor_path, text)


def is_table(res: dict[str, Any]) -> bool:
    """True for a CSV resource (one with a Table Schema)."""
    return str(res.get("path", "")).endswith(".csv")


def open_package(folder: Path) -> tuple[Package | None, list[Problem]]:
    """Read the descriptor, or report why it cannot be read."""
    label = f"{folder.name}/{DESCRIPTOR}"
    if not (folder / DESCRIPTOR).is_file():
        return None, [Problem(label, None, None, "missing: the data package has no descriptor")]
    try:
        return Package(folder), []
    except FileProblem as exc:
        return None, [Problem(label, exc.line, None, exc.message)]


# --- descriptor ---------------------------------------------------------------


def check_descriptor(pkg: Package) -> list[Problem]:
    """Check every declaration: names, paths, hashes, schemas and provenance."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, res in enumerate(pkg.resources + pkg.pending):
        pending = index >= len(pkg.resources)
        where = f"{PENDING}[{index - len(pkg.resources)}]" if pending else f"resources[{index}]"
        name, path = res.get("name"), res.get("path")
        if not name or not isinstance(path, str) or not path:
            problems.append(Problem(pkg.label, None, where, "a resource needs a name and a path"))
            continue
        if not inside_lexically(pkg.folder, path):
            problems.append(Problem(pkg.label, None, f"{name}.path", f'"{path}" is not a path inside {pkg.folder.name}/'))
            continue
        if name in seen:
            problems.append(Problem(pkg.label, None, name, "resource name declared twice"))
        seen.add(name)
        if not pending and not HASH_RE.match(str(res.get("hash", ""))):
            problems.append(Problem(pkg.label, None, name, f"hash must be sha256:<64 hex digits>; {REHASH_HINT}"))
        if is_table(res):
            problems += check_schema(pkg, name, res.get("schema"), sourced="x_provenance" not in res)
        else:
            problems += check_file_provenance(pkg, name, res)
    return problems


def check_schema(pkg: Package, name: str, schema: Any, sourced: bool = True) -> list[Problem]:
    """A table's schema must be valid Table Schema and, for a fact table, carry the provenance columns.

    A table the briefing defines itself (a vocabulary such as the verdict scale)
    is exempt when its resource says so in ``x_provenance``.
    """
    import frictionless  # on first validation: importing briefing.data stays cheap
    if not isinstance(schema, dict):
        return [Problem(pkg.label, None, name, "a CSV resource needs an inline schema")]
    report = frictionless.Schema.validate_descriptor(schema_for_frictionless(schema))
    problems = [Problem(pkg.label, None, name, f"invalid schema: {error.message}") for error in report.errors]
    if not sourced:
        return problems
    fields = {f.get("name"): f for f in schema.get("fields", [])}
    for column in PROVENANCE:
        field = fields.get(column)
        if field is None:
            problems.append(Problem(pkg.label, None, f"{name}.{column}", "provenance column missing from the schema"))
            continue
        constraints = field.get("constraints", {})
        if column not in ("notes",) + SOURCED and not constraints.get("required"):
            problems.append(Problem(pkg.label, None, f"{name}.{column}", "provenance column must be required"))
    confidence = fields.get("confidence", {}).get("constraints", {}).get("enum")
    if "confidence" in fields and sorted(confidence or []) != sorted(CONFIDENCE):
        allowed = ", ".join(CONFIDENCE)
        problems.append(Problem(pkg.label, None, f"{name}.confidence", f"enum must be exactly: {allowed}"))
    return problems


def check_file_provenance(pkg: Package, name: str, res: dict[str, Any]) -> list[Problem]:
    """A non-tabular resource carries its provenance as resource properties.

    A file that is itself a source or an attribution record (the article and its
    ``article.json``) says where its provenance lives in ``x_provenance`` instead;
    when that names a file of the package, the file must be declared too.
    """
    if "x_provenance" in res:
        where = str(res["x_provenance"]).strip()
        if not where:
            return [Problem(pkg.label, None, f"{name}.x_provenance", "must say where the provenance is")]
        names_file = re.fullmatch(r"[\w./-]+\.(json|csv|txt)", where)
        declared = {r.get("path") for r in pkg.resources + pkg.pending}
        if names_file and where not in declared:
            return [Problem(pkg.label, None, f"{name}.x_provenance", f"{where} is not declared in {DESCRIPTOR}")]
        return []
    problems = []
    sources = res.get("sources")
    if not (isinstance(sources, list) and sources and all(s.get("title") and s.get("path") for s in sources)):
        problems.append(Problem(pkg.label, None, f"{name}.sources", "needs sources with a title and a path (URL)"))
    for key in ("source_locator", "publisher", "published", "accessed", "confidence"):
        if not res.get(key):
            problems.append(Problem(pkg.label, None, f"{name}.{key}", "provenance property missing"))
    if res.get("confidence") and res["confidence"] not in CONFIDENCE:
        allowed = ", ".join(CONFIDENCE)
        problems.append(Problem(pkg.label, None, f"{name}.confidence", f'"{res["confidence"]}" is not one of {allowed}'))
    return problems


def schema_for_frictionless(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema frictionless checks: foreign keys are checked here, across tables."""
    return {key: value for key, value in schema.items() if key != "foreignKeys"}


# --- files --------------------------------------------------------------------


def inside_lexically(folder: Path, path: str) -> bool:
    """A resource path as written stays in the package's folder: relative, and no ``..`` out of it."""
    target = Path(os.path.normpath(Path(folder) / path))
    return not Path(path).is_absolute() and (target == Path(folder) or Path(folder) in target.parents)


LINKED_OUT = "a link to a file outside {folder}/: the package is published, so its files must live in it"


def check_files(pkg: Package) -> list[Problem]:
    """Declared files exist and match their hash; no data file is left undeclared; none is a link out."""
    problems = []
    linked_out = set()
    for file in sorted(pkg.folder.rglob("*")):
        if not inside(pkg.folder, file):
            rel = file.relative_to(pkg.folder).as_posix()
            linked_out.add(rel)
            problems.append(Problem(pkg.display(rel), None, None, LINKED_OUT.format(folder=pkg.folder.name)))
    for res in pkg.resources:
        path = res.get("path")
        if not isinstance(path, str) or path in linked_out or not inside_lexically(pkg.folder, path):
            continue
        file = pkg.folder / path
        if not inside(pkg.folder, file):
            continue
        if not file.is_file():
            problems.append(Problem(pkg.display(path), None, None, f"declared in {DESCRIPTOR} but missing"))
            continue
        recorded, actual = res.get("hash"), sha256(file)
        if HASH_RE.match(str(recorded)) and recorded != actual:
            problems.append(
                Problem(pkg.display(path), None, None, f"file changed: its {actual} is not the hash in {DESCRIPTOR}; {REHASH_HINT}")
            )
    declared = set(pkg.by_path())
    pending = {res.get("path") for res in pkg.pending}
    for file in sorted(pkg.folder.rglob("*")):
        rel = file.relative_to(pkg.folder).as_posix()
        documentation = file.suffix == ".md"
        if rel in linked_out or not inside(pkg.folder, file):
            continue
        if not file.is_file() or rel in declared or rel in UNDECLARED_IGNORED or documentation or file.name.startswith("."):
            continue
        if rel in pending:
            message = f"present but only pending in {DESCRIPTOR}; check it, then run `briefing check --rehash` to declare it"
        else:
            message = f"not declared in {DESCRIPTOR}"
        problems.append(Problem(pkg.display(rel), None, None, message))
    return problems


def check_json(pkg: Package, res: dict[str, Any]) -> list[Problem]:
    """A JSON resource must parse to an object."""
    path = res["path"]
    try:
        value = parse_json(read_text(pkg.folder / path, pkg.display(path)), pkg.display(path))
    except FileProblem as exc:
        return [Problem(pkg.display(path), exc.line, None, exc.message)]
    if not isinstance(value, dict):
        return [Problem(pkg.display(path), None, None, "must hold a JSON object")]
    return []


# --- tables -------------------------------------------------------------------


class Rows:
    """A CSV table's data records, each with the physical line it starts on, read from the file at each
    pass: a check never holds a table in memory, only the row it looks at (a 200 MB table is checked
    in the memory of its longest row). Iterate only a file that :func:`files.check_utf8` accepted."""

    def __init__(self, file: Path):
        self.file = file

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        with open(self.file, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            start = reader.line_num + 1 if reader.fieldnames else 2
            for record in reader:
                yield start, record
                start = reader.line_num + 1

    def header(self) -> list[str]:
        with open(self.file, encoding="utf-8", newline="") as handle:
            return next(csv.reader(handle), [])


def record_lines(file: Path, wanted: set[int]) -> dict[int, int]:
    """The physical line of each wanted frictionless row number (the header is row 1), in one pass."""
    lines, start = {}, 1
    if not wanted:
        return lines
    last = max(wanted)
    with open(file, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        for number, _ in enumerate(reader, start=1):
            if number in wanted:
                lines[number] = start
            if number >= last:
                break
            start = reader.line_num + 1
    return lines


def read_rows(file: Path) -> list[tuple[int, dict[str, str]]]:
    """The data records of a small CSV file, each with the physical line it starts on ([] if it cannot be decoded)."""
    try:
        check_utf8(file, str(file), bom="error")
    except FileProblem:
        return []
    return list(Rows(file))


def check_header(display: str, header: list[str], schema: dict[str, Any]) -> list[Problem]:
    """The header must name the schema's fields, in order; say which column is missing, extra or moved.

    Checked before the rows: with a column missing, every row would otherwise
    fail against the wrong field.
    """
    expected = [f["name"] for f in schema.get("fields", [])]
    if header == expected or not header:
        return []
    problems = []
    for index, name in enumerate(expected):
        if name not in header:
            where = f'after "{expected[index - 1]}"' if index else "first"
            problems.append(Problem(display, 1, name, f'header: column "{name}" is missing (the schema puts it {where})'))
    for name in header:
        if name not in expected:
            label = name if name.strip() else "(blank)"
            problems.append(Problem(display, 1, label, f'header: column "{name}" is not in the schema'))
    for name in sorted({n for n in header if header.count(n) > 1}):
        problems.append(Problem(display, 1, name, f'header: column "{name}" appears {header.count(name)} times'))
    if not problems:
        index = next(i for i, (a, b) in enumerate(zip(header, expected)) if a != b)
        problems.append(Problem(display, 1, header[index],
                                f'header: columns out of order: column {index + 1} is "{header[index]}", '
                                f'the schema expects "{expected[index]}"'))
    return problems


Readable = tuple[dict[str, Rows], dict[str, list["Problem"]]]


def readable_tables(pkg: Package) -> Readable:
    """Each declared table's rows, or the problems that stop it being read (encoding, BOM, header)."""
    tables, broken = {}, {}
    for res in pkg.resources:
        if not is_table(res) or not (pkg.folder / res["path"]).is_file():
            continue
        display = pkg.display(res["path"])
        rows = Rows(pkg.folder / res["path"])
        try:
            check_utf8(rows.file, display, bom="error")
        except FileProblem as exc:
            broken[res["name"]] = [Problem(display, exc.line, None, exc.message)]
            continue
        header = check_header(display, rows.header(), res.get("schema") or {})
        if header:
            broken[res["name"]] = header
        else:
            tables[res["name"]] = rows
    return tables, broken


def check_table(pkg: Package, res: dict[str, Any]) -> list[Problem]:
    """Validate one CSV file (decodable, header checked) against its schema with frictionless, which
    reads it row by row; each error is then placed on its physical line."""
    import frictionless  # on first validation: importing briefing.data stays cheap
    path = res["path"]
    schema = frictionless.Schema.from_descriptor(schema_for_frictionless(res["schema"]))
    resource = frictionless.Resource(path=path, basepath=str(pkg.folder), schema=schema, format="csv", encoding="utf-8")
    report = resource.validate()
    errors = report.tasks[0].errors if report.tasks else report.errors
    lines = record_lines(pkg.folder / path, {e.row_number for e in errors if getattr(e, "row_number", None)}
                         | {int(m) for e in errors for m in re.findall(r"position (\d+)", getattr(e, "note", "") or "")})
    fields = {f["name"]: f for f in res["schema"]["fields"]}
    return [to_problem(pkg.display(path), error, lines, fields, res["schema"]) for error in errors]


def to_problem(file: str, error: Any, lines: dict[int, int], fields: dict[str, Any], schema: dict[str, Any]) -> Problem:
    """Turn one frictionless error into a Problem at the physical line and column."""
    kind = error.type
    row = getattr(error, "row_number", None)
    line = lines.get(row, row) if row else None
    column = getattr(error, "field_name", None) or getattr(error, "label", None)
    cell = getattr(error, "cell", None)
    note = getattr(error, "note", "") or ""
    if kind == "type-error":
        field = fields.get(column, {})
        hint = " (expected YYYY-MM-DD)" if field.get("type") == "date" else ""
        return Problem(file, line, column, f'"{cell}" is not a valid {field.get("type", "value")}{hint}')
    if kind == "constraint-error":
        return Problem(file, line, column, constraint_message(cell, note, fields.get(column, {})))
    if kind in ("primary-key", "unique-error"):
        keys = schema.get("primaryKey", []) if kind == "primary-key" else [column]
        keys = [keys] if isinstance(keys, str) else keys
        cells = getattr(error, "cells", None) or []
        values = ", ".join(f"{k}={v}" for k, v in zip(keys, row_values(cells, keys, schema)))
        match = re.search(r"position (\d+)", note)
        first = f" (first on line {lines.get(int(match.group(1)), match.group(1))})" if match else ""
        return Problem(file, line, "+".join(keys), f"duplicate key {values}{first}")
    if kind in ("missing-label", "extra-label", "incorrect-label", "duplicate-label", "blank-label"):
        return Problem(file, 1, column, f"header: {error.title.lower()} ({note})" if note else f"header: {error.title.lower()}")
    if kind == "missing-cell":
        return Problem(file, line, column, "missing cell: the row has fewer columns than the header")
    if kind == "extra-cell":
        return Problem(file, line, column, "extra cell: the row has more columns than the header")
    if kind == "blank-row":
        return Problem(file, line, None, "blank row")
    return Problem(file, line, column, f"{error.title.lower()}: {note or error.message}")


def row_values(cells: list[Any], keys: list[str], schema: dict[str, Any]) -> list[Any]:
    """Pick the key columns' values out of a frictionless row."""
    names = [f["name"] for f in schema["fields"]]
    return [cells[names.index(k)] if k in names and names.index(k) < len(cells) else "?" for k in keys]


def constraint_message(cell: Any, note: str, field: dict[str, Any]) -> str:
    """Say in words which constraint a cell breaks."""
    match = re.search(r'constraint "(\w+)"', note)
    name = match.group(1) if match else ""
    constraints = field.get("constraints", {})
    unit = f" {field['x_unit']}" if field.get("x_unit") else ""
    if name == "required":
        return "value is required"
    if name == "enum":
        return f'"{cell}" is not one of: {", ".join(map(str, constraints["enum"]))}'
    if name == "minimum":
        return f"{cell} is below the minimum {constraints['minimum']}{unit}"
    if name == "maximum":
        return f"{cell} is above the maximum {constraints['maximum']}{unit}"
    if name == "pattern":
        return f'"{cell}" does not match the pattern {constraints["pattern"]}'
    if name == "unique":
        return f'"{cell}" is not unique'
    return f'"{cell}" breaks the constraint {name}: {note}'


def foreign_keys(pkg: Package, res: dict[str, Any], tables: dict[str, Rows],
                 broken: frozenset[str] = frozenset()) -> list[Problem]:
    """Every non-empty foreign key value must exist in the table it references."""
    problems = []
    for fk in res["schema"].get("foreignKeys", []):
        fields = [fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"]
        ref = fk["reference"]
        target = ref.get("resource") or res["name"]
        ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else ref["fields"]
        if target in broken:
            continue
        if target not in tables:
            problems.append(Problem(pkg.label, None, res["name"], f"foreign key refers to unknown resource {target!r}"))
            continue
        known = {tuple(row.get(f, "") for f in ref_fields) for _, row in tables[target]}
        for line, row in tables[res["name"]]:
            value = tuple(row.get(f, "") for f in fields)
            if all(v == "" for v in value) or value in known:
                continue
            shown = ", ".join(value)
            problems.append(
                Problem(pkg.display(res["path"]), line, "+".join(fields), f'"{shown}" is not a {"+".join(ref_fields)} in {target}')
            )
    return problems


def finite_numbers(pkg: Package, res: dict[str, Any], rows: Iterable[tuple[int, dict[str, str]]]) -> list[Problem]:
    """Every number or integer cell is finite: ``inf``, ``1e999``, ``-Infinity`` and ``NaN`` parse as numbers
    (frictionless accepts them) but are no measurement; one problem per cell, in place of any other."""
    numeric = [f["name"] for f in res["schema"]["fields"] if f.get("type") in ("number", "integer")]
    problems = []
    for line, row in rows:
        for column in numeric:
            cell = (row.get(column) or "").strip()
            try:
                value = float(cell) if cell else 0.0
            except ValueError:
                continue
            if not math.isfinite(value):
                problems.append(Problem(pkg.display(res["path"]), line, column, f'"{cell}" is not a finite number'))
    return problems


def sourced_rows(pkg: Package, res: dict[str, Any], rows: Iterable[tuple[int, dict[str, str]]]) -> list[Problem]:
    """Only an estimate may leave its source URL, publisher or publication date empty."""
    problems = []
    for line, row in rows:
        if row.get("confidence") == "estimate":
            continue
        for column in SOURCED:
            if column in row and row[column] == "":
                hint = "; write n.d. for an undated source" if column == "published" else ""
                problems.append(Problem(pkg.display(res["path"]), line, column, f"value is required unless confidence is estimate{hint}"))
    return problems


HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def url_problem(url: str) -> str | None:
    """Why a web ``source_url`` is malformed (its host must be dot-separated labels, no empty or trailing one)."""
    from urllib.parse import urlsplit

    if not url.startswith(("http://", "https://")):
        return None
    host = urlsplit(url).hostname or ""
    labels = host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        return f'"{url}" is not a well-formed URL: its host "{host}" must be names separated by single dots'
    return None


def source_urls(pkg: Package, res: dict[str, Any], rows: Iterable[tuple[int, dict[str, str]]]) -> list[Problem]:
    """Every web ``source_url`` must be a well-formed URL (a pattern alone let ``kathmandupost.com./`` through)."""
    problems = []
    for line, row in rows:
        reason = url_problem(row.get("source_url") or "")
        if reason:
            problems.append(Problem(pkg.display(res["path"]), line, "source_url", reason))
    return problems


def config_paths(pkg: Package, res: dict[str, Any], rows: Iterable[tuple[int, dict[str, str]]]) -> list[Problem]:
    """A ``config_file`` cell must name a declared JSON resource."""
    declared = pkg.by_path()
    return [
        Problem(pkg.display(res["path"]), line, "config_file", f'"{row["config_file"]}" is not a resource declared in {DESCRIPTOR}')
        for line, row in rows
        if row.get("config_file") and row["config_file"] not in declared
    ]


def stated_costs(pkg: Package, res: dict[str, Any], rows: Iterable[tuple[int, dict[str, str]]]) -> list[Problem]:
    """Where GPU-hours, price and stated cost are all given, cost = hours x price (within 1 %)."""
    problems = []
    for line, row in rows:
        try:
            hours, price, cost = (float(row[k]) for k in ("gpu_hours", "rental_usd_per_gpu_hour", "cost_usd_stated"))
        except (KeyError, ValueError):
            continue
        if not math.isclose(hours * price, cost, rel_tol=0.01):
            problems.append(
                Problem(pkg.display(res["path"]), line, "cost_usd_stated", f"{row['cost_usd_stated']} != gpu_hours x rental_usd_per_gpu_hour = {hours * price:g}")
            )
    return problems


KEY_SEPARATOR = " | "


def row_references(pkg: Package, res: dict[str, Any], tables: dict[str, Rows]) -> list[Problem]:
    """A link table (``x_row_references``: which columns name a file and a row key) must name declared
    files and rows that exist: a table's primary key values joined by ``" | "``, nothing for a config."""
    spec = res.get("x_row_references") or {}
    file_column, key_column = spec.get("file", "file"), spec.get("key", "key")
    declared = pkg.by_path()
    problems, keys = [], {}
    for line, row in tables.get(res["name"], []):
        path, key = row.get(file_column, ""), row.get(key_column, "")
        target = declared.get(path)
        if target is None:
            problems.append(Problem(pkg.display(res["path"]), line, file_column, f'"{path}" is not a resource declared in {DESCRIPTOR}'))
            continue
        if not is_table(target):
            if key:
                problems.append(Problem(pkg.display(res["path"]), line, key_column, f'"{path}" is not a table: leave the key empty'))
            continue
        columns = primary_key(target)
        if target["name"] not in keys:
            keys[target["name"]] = {tuple(r.get(c, "") for c in columns) for _, r in tables.get(target["name"], [])}
        if tuple(key.split(KEY_SEPARATOR)) not in keys[target["name"]]:
            problems.append(Problem(pkg.display(res["path"]), line, key_column,
                                    f'"{key}" is not a {"+".join(columns)} of {pkg.display(path)}'))
    return problems


def check_resource(pkg: Package, res: dict[str, Any], readable: Readable) -> list[Problem]:
    """Everything about one declared resource whose file exists."""
    if not is_table(res):
        return check_json(pkg, res) if res["path"].endswith(".json") else []
    tables, broken = readable
    if res["name"] in broken:
        return list(broken[res["name"]])
    rows = tables[res["name"]]
    infinite = finite_numbers(pkg, res, rows)
    cells = {(p.row, p.column) for p in infinite}
    problems = infinite + [p for p in check_table(pkg, res) if (p.row, p.column) not in cells]
    problems += sourced_rows(pkg, res, rows)
    problems += source_urls(pkg, res, rows)
    problems += foreign_keys(pkg, res, tables, frozenset(broken))
    if any(f["name"] == "config_file" for f in res["schema"]["fields"]):
        problems += config_paths(pkg, res, rows)
    if {"gpu_hours", "rental_usd_per_gpu_hour", "cost_usd_stated"} <= {f["name"] for f in res["schema"]["fields"]}:
        problems += stated_costs(pkg, res, rows)
    if "x_row_references" in res:
        problems += row_references(pkg, res, tables)
    return problems


# --- public API ---------------------------------------------------------------


def validate(folder: str | Path | None = None) -> list[Problem]:
    """Check the whole data package in ``folder`` (default ``data/``); [] when clean."""
    with reading.quiet():
        if known_valid(folder):
            return []
        return _validate(data_folder(folder))


def _validate(folder: Path) -> list[Problem]:
    key = package_key(folder)
    pkg, problems = open_package(folder)
    if pkg is None:
        return problems
    problems = check_descriptor(pkg)
    if problems:
        return problems
    problems = check_files(pkg)
    readable = readable_tables(pkg)
    for res in pkg.resources:
        if (pkg.folder / res["path"]).is_file():
            problems += check_resource(pkg, res, readable)
    if not problems:
        _VALID.add(key)
    return problems


def resource_problems(pkg: Package, res: dict[str, Any]) -> list[Problem]:
    """What stops one resource from being loaded: descriptor, file, hash and content."""
    problems = [p for p in check_descriptor(pkg) if p.column and p.column.split(".")[0] == res["name"]]
    file = pkg.folder / res["path"]
    if not file.is_file():
        return problems + [Problem(pkg.display(res["path"]), None, None, f"declared in {DESCRIPTOR} but missing")]
    actual = sha256(file)
    if res.get("hash") != actual:
        problems.append(
            Problem(pkg.display(res["path"]), None, None, f"file changed: its {actual} is not the hash in {DESCRIPTOR}; {REHASH_HINT}")
        )
    return problems + check_resource(pkg, res, readable_tables(pkg))


VALIDATED_ENV = "BRIEFING_DATA_VALIDATED"
_VALID: set[str] = set()


def package_key(folder: str | Path | None = None) -> str:
    """SHA-256 over every file of the package folder (name and bytes) and this module's source.

    A package validated clean at one key is clean at that key: :func:`load` then skips
    its per-table validation. :func:`validate` remembers a clean key in the process;
    the build validates once and passes the key to its kernels in ``BRIEFING_DATA_VALIDATED``.
    """
    base = data_folder(folder)
    digest = hashlib.sha256(Path(__file__).read_bytes())
    with reading.quiet():
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(base).as_posix().encode() + b"\0")
            digest.update(bytes.fromhex(sha256_file(path)))
    return digest.hexdigest()


def known_valid(folder: str | Path | None = None) -> bool:
    """True when the package, as it is now, was validated clean (here or by the build)."""
    key = package_key(folder)
    return key in _VALID or key == os.environ.get(VALIDATED_ENV)


def _record(res: dict[str, Any]) -> None:
    reading.declare(res["path"], res["hash"])


def reads() -> list[tuple[str, str]]:
    """Every data file the chapter read since the interpreter started, as ``(path in data/,
    "sha256:…")``, sorted by path: through :func:`load`, :func:`load_config` or
    :func:`read_file` (with the hash the descriptor records, which the read has just
    verified), or any other way (caught by :mod:`briefing.reads`, hashed as read).

    It is the chapter's data provenance, shown at the foot of its page and in the PDF's appendix.
    """
    return reading.data_reads()


def read_file(path: str, folder: str | Path | None = None) -> str:
    """Return the text of the declared resource file ``path`` (``article-fr.txt``), checked
    against the hash the descriptor records (tables go through :func:`load`, which checks more)."""
    with reading.quiet():
        pkg = Package(data_folder(folder))
        res = pkg.by_path().get(path)
        if res is None:
            raise KeyError(f"{pkg.display(path)} is not declared in {pkg.label}")
        file = pkg.folder / path
        if not inside_lexically(pkg.folder, path):
            raise DataError([Problem(pkg.label, None, f"{res.get('name')}.path", f'"{path}" is not a path inside {pkg.folder.name}/')])
        if not inside(pkg.folder, file):
            raise DataError([Problem(pkg.display(path), None, None, LINKED_OUT.format(folder=pkg.folder.name))])
        if not file.is_file():
            raise DataError([Problem(pkg.display(path), None, None, f"declared in {DESCRIPTOR} but missing")])
        payload = file.read_bytes()
    actual = "sha256:" + hashlib.sha256(payload).hexdigest()
    if res.get("hash") != actual:
        raise DataError([Problem(pkg.display(path), None, None,
                                 f"file changed: its {actual} is not the hash in {DESCRIPTOR}; {REHASH_HINT}")])
    _record(res)
    from briefing import lineage

    return lineage.TracedStr(payload.decode("utf-8"), [lineage.Ref(path, (), "")])


def read_json(path: str, folder: str | Path | None = None) -> Any:
    """The declared JSON resource ``path`` (``article.json``), hash-checked like :func:`read_file`,
    each value carrying its file and key (:func:`traced_config`)."""
    return traced_config(json.loads(str(read_file(path, folder))), path)


def load(name: str, folder: str | Path | None = None) -> pd.DataFrame:
    """Return the validated table ``name`` with columns typed as its schema says.

    Integers become nullable ``Int64``, numbers ``float64``, dates ``datetime64``,
    booleans ``boolean``; an empty cell is missing (NA). Raises :class:`DataError`
    when anything in the table, its hash or its foreign keys is wrong.
    """
    with reading.quiet():
        pkg = Package(data_folder(folder))
        res = pkg.resource(name)
        if not is_table(res):
            raise KeyError(f"{name!r} is not a table; use load_config() for a model config")
        problems = [] if known_valid(pkg.folder) else resource_problems(pkg, res)
        if problems:
            raise DataError(problems)
        import pandas as pd  # here, not at the top: the build reads package keys without pandas

        frame = pd.read_csv(pkg.folder / res["path"], dtype=str, keep_default_na=False, encoding="utf-8")
    _record(res)
    key = primary_key(res)
    refs = row_refs(frame, res["path"], key)
    for field in res["schema"]["fields"]:
        frame[field["name"]] = traced_column(frame[field["name"]], field.get("type", "string"), refs, field["name"])
    frame.attrs["briefing_table"] = name
    frame.attrs["briefing_key"] = key
    return frame


def primary_key(res: dict[str, Any]) -> list[str]:
    """The columns of a table's primary key, as its schema declares them."""
    key = res.get("schema", {}).get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def row_refs(frame: pd.DataFrame, path: str, key: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each row's ``(file, primary-key values)``, as the CSV spells them."""
    if not key:
        return [(path, (str(line),)) for line in range(2, len(frame) + 2)]
    return [(path, tuple(str(row[k]) for k in key)) for _, row in frame[key].iterrows()]


def traced_column(column: pd.Series, kind: str, rows: list[tuple[str, tuple[str, ...]]], field: str) -> pd.Series:
    """One already-validated text column as values of its schema type, each carrying its row
    and column (:mod:`briefing.lineage`), in an ``object`` column that keeps them.

    Integers become ``int``, numbers ``float``, dates ``pandas.Timestamp``, booleans ``bool``;
    an empty cell is missing: ``pd.NA`` for integers and booleans, NaN for numbers and text,
    ``NaT`` for dates.
    """
    import pandas as pd

    from briefing import lineage

    def convert(text: str):
        if kind == "integer":
            return pd.NA if text == "" else int(text)
        if kind == "number":
            return math.nan if text == "" else float(text)
        if kind == "date":
            return pd.NaT if text == "" else pd.Timestamp(text)
        if kind == "boolean":
            return {"true": True, "false": False}.get(text, pd.NA)
        return math.nan if text == "" else text

    values = []
    for text, (path, key) in zip(column, rows):
        value = convert(text)
        if text != "" and kind != "boolean":
            value = lineage.traced(value, [lineage.Ref(path, key, field)])
        values.append(value)
    return pd.Series(values, index=column.index, dtype=object, name=column.name)


def load_config(model_id: str, folder: str | Path | None = None) -> dict[str, Any]:
    """Return the config.json of ``model_id`` (a row of models.csv), validated and hash-checked."""
    with reading.quiet():
        pkg = Package(data_folder(folder))
        models = load("models", pkg.folder)
        match = models.loc[models["model_id"] == model_id, "config_file"]
        if match.empty:
            raise KeyError(f"no model {model_id!r} in {pkg.display('models.csv')}")
        res = pkg.by_path()[match.iloc[0]]
        problems = [] if known_valid(pkg.folder) else resource_problems(pkg, res)
        if problems:
            raise DataError(problems)
        text = (pkg.folder / res["path"]).read_text(encoding="utf-8")
    _record(res)
    return traced_config(json.loads(text), res["path"])


def traced_config(value: Any, path: str, key: str = "") -> Any:
    """A config's values, each carrying its file and key (dotted when nested: ``rope_scaling.factor``)."""
    from briefing import lineage

    if isinstance(value, dict):
        return {k: traced_config(v, path, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [traced_config(v, path, f"{key}[{i}]") for i, v in enumerate(value)]
    return lineage.traced(value, [lineage.Ref(path, (), key)])


def resource_hashes(folder: str | Path | None = None) -> dict[str, str]:
    """The current ``sha256:`` hash of every declared resource file that exists, by path.

    A chapter that calls it has read every file of the package (its stamp says so);
    :func:`resource_hash` reads one.
    """
    from briefing import lineage

    pkg = Package(data_folder(folder))
    return {path: lineage.TracedStr(sha256(pkg.folder / path), [lineage.table_ref(path)])
            for path in pkg.by_path() if (pkg.folder / path).is_file()}


def resource_hash(path: str, folder: str | Path | None = None) -> str:
    """The current ``sha256:`` hash of the declared resource file ``path``, recorded as read."""
    with reading.quiet():
        pkg = Package(data_folder(folder))
        res = pkg.by_path().get(path)
        if res is None:
            raise KeyError(f"{pkg.display(path)} is not declared in {pkg.label}")
        digest = sha256(pkg.folder / path)
    reading.declare(path, digest)
    from briefing import lineage

    return lineage.TracedStr(digest, [lineage.table_ref(path)])


def rehash(folder: str | Path | None = None) -> list[str]:
    """Record current hashes and declare pending resources whose files now exist.

    Returns the paths whose declaration changed.
    """
    pkg = Package(data_folder(folder))
    changed = []
    for res in pkg.resources:
        file = pkg.folder / res["path"]
        if file.is_file() and res.get("hash") != sha256(file):
            res["hash"] = sha256(file)
            changed.append(res["path"])
    still_pending = []
    for res in pkg.pending:
        file = pkg.folder / res["path"]
        if file.is_file():
            pkg.resources.append({**res, "hash": sha256(file)})
            changed.append(res["path"])
        else:
            still_pending.append(res)
    pkg.pending = still_pending
    if changed:
        pkg.save()
    return changed


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_cells(folder: str | Path | None = None) -> list[Problem]:
    """Text cells a spreadsheet would run as a formula when it opens the published CSV (they start with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return); numbers are not text and are never flagged."""
    pkg = Package(data_folder(folder))
    found = []
    for res in pkg.resources:
        if not is_table(res) or not (pkg.folder / res["path"]).is_file():
            continue
        text_fields = [f["name"] for f in res["schema"]["fields"] if f.get("type", "string") == "string"]
        for line, row in Rows(pkg.folder / res["path"]):
            for column in text_fields:
                cell = row.get(column) or ""
                if cell.startswith(FORMULA_START):
                    found.append(Problem(pkg.display(res["path"]), line, column,
                                         f"starts with {cell[0]!r}: a spreadsheet opening the download would run it as a formula"))
    return found


def check_main(args: argparse.Namespace) -> int:
    """``briefing check``: print one line per problem; exit 1 on problems, else 0."""
    folder = data_folder(getattr(args, "data", None))
    if getattr(args, "rehash", False) and (folder / DESCRIPTOR).is_file():
        try:
            for path in rehash(folder):
                print(f"rehashed {folder.name}/{path}", file=sys.stderr)
        except FileProblem:
            pass  # the descriptor itself is wrong: validate() below says how
        except OSError as exc:
            print(f"{folder.name}/{DESCRIPTOR}:-:-: cannot record the new hashes: {exc.strerror or exc}", file=sys.stderr)
            return 1
    problems = validate(folder)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    for warning in formula_cells(folder):
        print(f"warning: {warning}", file=sys.stderr)
    pkg = Package(folder)
    tables = sum(is_table(r) for r in pkg.resources)
    rows = sum(1 for r in pkg.resources if is_table(r) for _ in Rows(folder / r["path"]))
    waiting = f", {len(pkg.pending)} pending" if pkg.pending else ""
    print(f"{folder.name}/: {len(pkg.resources)} resources ({tables} tables, {rows} rows{waiting}) valid, hashes match")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m briefing.data [--data DIR] [--rehash]``, the same as ``briefing check``."""
    parser = argparse.ArgumentParser(prog="python -m briefing.data", description=check_main.__doc__)
    parser.add_argument("--data", default=None, help="data folder (default: the briefing's data/)")
    parser.add_argument("--rehash", action="store_true", help="record current hashes and declare pending files")
    return check_main(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())


def resource_titles(data: Path) -> dict[str, str]:
    """What the text calls each file of the data package (its ``title`` in datapackage.json), by its path
    as a chapter names it (``data/claims.csv`` -> ``the claims ledger``); empty without a package."""
    import json

    try:
        package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    resources = package.get("resources") if isinstance(package, dict) else None
    return {f"data/{r['path']}": str(r["title"]) for r in resources or []
            if isinstance(r, dict) and isinstance(r.get("path"), str) and isinstance(r.get("title"), str)}
