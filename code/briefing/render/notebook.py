"""Chapters as notebooks: build, stamp and merge (the freeze); ``kernel`` executes them.

A chapter's executed notebook (``chapters/_notebooks/NAME.ipynb``) is the
versioned record of its results. Its metadata carries a stamp: the SHA-256 of
everything the results depend on, and no more:

* the chapter's executable content (cells, their options, inline expressions)
  and the book's ``execute`` options;
* the ``briefing`` package (the renderer excluded) and the lock, which every
  chapter counts;
* exactly the files the chapter read when it ran, as its kernel recorded them
  (:mod:`briefing.reads`): each data file (``data/P``) with, when the descriptor
  declares it, its descriptor entry (``data/datapackage.json#P``: schema, hash),
  each folder of data/ it listed (``data/F/``) and each module of code/ outside
  the package it imported.

Prose is left out, so a prose-only edit re-renders from the notebook without
starting a kernel; a change to a table re-executes only the chapters that read it.
A frozen notebook is reused when the stamp recomputed over the inputs it
records, at their current hashes, equals the stamp it carries.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import nbformat

from briefing.files import write_atomic
from briefing.render.kernel import INLINE_TAG, READS_TAG
from briefing.render.qmd import Cell, Chapter, Markdown, find_inline, relpath

FORMAT_VERSION = "briefing-notebook-3"
NOTEBOOK_DIR = "chapters/_notebooks"
UNSTAMPED_OPTIONS = ("timeout", "freeze")  # they bound the wait or say whether Quarto re-executes; results are the same
READS_CODE = "import briefing.reads\nbriefing.reads.record()"
DESCRIPTOR = "data/datapackage.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def executable_content(chapter: Chapter) -> str:
    """The part of a chapter whose change can change its results: cells and inline expressions."""
    meta = {k: chapter.meta[k] for k in ("execute", "jupyter") if k in chapter.meta}
    if isinstance(meta.get("execute"), dict):
        meta["execute"] = stamped_options(meta["execute"])
        if not meta["execute"]:
            del meta["execute"]
    parts = [{"meta": meta}]
    for block in chapter.blocks:
        if isinstance(block, Cell):
            parts.append({"cell": block.code, "eval": block.options.get("eval", True),
                          "error": block.options.get("error", False)})
        else:
            parts.extend({"inline": e.expr} for e in find_inline(block))
    return json.dumps(parts, sort_keys=True, ensure_ascii=False)


def stamped_options(execute_options: dict) -> dict:
    """The execute options that can change results: all but ``timeout`` (it bounds the wait) and ``freeze``."""
    return {k: v for k, v in execute_options.items() if k not in UNSTAMPED_OPTIONS}


def compute_stamp(chapter: Chapter, root: Path, execute_options: dict, file_hashes: dict[str, str]) -> dict:
    """Stamp = SHA-256 over the format version, executable content, execute options and input hashes."""
    inputs = dict(file_hashes)
    inputs[f"{relpath(chapter.path)}#executable"] = _sha256(executable_content(chapter).encode())
    digest = hashlib.sha256()
    digest.update(FORMAT_VERSION.encode())
    digest.update(json.dumps(stamped_options(execute_options), sort_keys=True, default=str).encode())
    for name in sorted(inputs):
        digest.update(f"{name}\0{inputs[name]}\n".encode())
    return {"stamp": digest.hexdigest(), "inputs": dict(sorted(inputs.items()))}


def core_files(root: Path) -> list[Path]:
    """Files every chapter's stamp counts: the ``briefing`` library (the package without its tools,
    :data:`briefing.reads.TOOLS`) and the lock."""
    from briefing.reads import TOOLS

    root = Path(root)
    package = root / "code" / "briefing"
    files = [p for p in package.rglob("*.py") if Path(p.relative_to(package).parts[0]).stem not in TOOLS
             and "__pycache__" not in p.parts] if package.is_dir() else []
    lock = root / "requirements.lock"
    if lock.is_file():
        files.append(lock)
    return sorted(files)


def executable_key(chapter: Chapter) -> str:
    return f"{relpath(chapter.path)}#executable"


def read_names(record: dict) -> list[str]:
    """Stamp input names for a chapter's record of reads (see the module's docstring)."""
    names = []
    for path, _ in record.get("data", []):
        names += [f"data/{path}", f"{DESCRIPTOR}#{path}"]
    names += [name for name, _ in record.get("other", [])]
    return sorted(set(names))


class InputValues:
    """The current value of each stamp input: file hashes from the build's snapshot (taken before
    anything was read), descriptor entries and folder listings as they are now."""

    def __init__(self, root: Path, hashes: dict[str, str]):
        self.root = Path(root)
        self.hashes = hashes
        self._entries: dict[str, str] | None = None
        self._core: list[str] | None = None

    def __call__(self, name: str) -> str:
        if "#" in name and name.startswith(DESCRIPTOR + "#"):
            return self.entries().get(name.split("#", 1)[1], "undeclared")
        if name.endswith("/"):
            from briefing.reads import listing_hash

            return listing_hash(str(self.root / name))
        if name in self.hashes:
            return self.hashes[name]
        path = self.root / name
        try:
            return _sha256(path.read_bytes())
        except OSError:
            return "absent"

    def entries(self) -> dict[str, str]:
        """SHA-256 of each resource's canonical JSON in the descriptor, by path."""
        if self._entries is None:
            self._entries = {}
            try:
                descriptor = json.loads((self.root / DESCRIPTOR).read_text(encoding="utf-8"))
                for res in descriptor.get("resources", []):
                    if isinstance(res, dict) and isinstance(res.get("path"), str):
                        self._entries[res["path"]] = _sha256(json.dumps(res, sort_keys=True).encode())
            except (OSError, ValueError, AttributeError):
                pass
        return self._entries

    def core(self) -> list[str]:
        if self._core is None:
            self._core = [p.relative_to(self.root).as_posix() for p in core_files(self.root)]
        return self._core

    def stamp(self, chapter: Chapter, execute_options: dict, names) -> dict:
        """The chapter's stamp over the core files and ``names``, at their current values."""
        inputs = {name: self(name) for name in self.core()}
        inputs.update({name: self(name) for name in names})
        inputs.pop(executable_key(chapter), None)
        return compute_stamp(chapter, self.root, execute_options, inputs)

    def frozen_stamp(self, chapter: Chapter, execute_options: dict, frozen: nbformat.NotebookNode) -> dict:
        """The stamp the frozen notebook must carry to be reused: over the inputs it records."""
        recorded = frozen.metadata.get("briefing", {}).get("inputs", {})
        core = set(self.core())
        return self.stamp(chapter, execute_options, [n for n in recorded if n not in core])

    def executed_stamp(self, chapter: Chapter, execute_options: dict, nb: nbformat.NotebookNode) -> dict:
        """The stamp of a notebook just executed: over what its kernel recorded reading."""
        return self.stamp(chapter, execute_options, read_names(chapter_record(nb)))


def _cell(kind: str, source: str) -> nbformat.NotebookNode:
    """A cell as ``nbformat.v4.new_*_cell`` makes it, without its per-cell schema validation
    (a third of a prose-edit rebuild); whole notebooks are still validated by the tests and nbval."""
    cell = {"cell_type": kind, "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return nbformat.from_dict(cell)


def written_at(chapter: Chapter, line: int) -> dict:
    """A cell's place: its ``line`` in the chapter with its includes expanded, and for a cell an included file
    holds, ``written``, that file's own ``file:line`` (what the notebook's page shows)."""
    place = chapter.where(line)
    return {"line": line} if place == f"{relpath(chapter.path)}:{line}" else {"line": line, "written": place}


def build_notebook(chapter: Chapter) -> nbformat.NotebookNode:
    """The chapter as a notebook: markdown cells, code cells, one code cell per inline expression,
    and, when it has code, a last cell listing the data files it read (:func:`briefing.data.reads`).

    Inline-expression cells stand just before the markdown that quotes them, so
    they run in document order and their values are outputs nbval re-checks; so
    is the list of data files read, with their hashes.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for block in chapter.blocks:
        if isinstance(block, Markdown):
            for expr in find_inline(block):
                cell = _cell("code", expr.expr)
                cell.metadata["tags"] = [INLINE_TAG]
                cell.metadata["briefing"] = written_at(chapter, expr.line)
                nb.cells.append(cell)
            md = _cell("markdown", block.text)
            md.metadata["briefing"] = written_at(chapter, block.line)
            nb.cells.append(md)
        elif block.options.get("eval", True) is False:
            raw = _cell("raw", block.source)
            raw.metadata["briefing"] = {**written_at(chapter, block.line), "eval": False}
            nb.cells.append(raw)
        else:
            cell = _cell("code", block.source)
            cell.metadata["briefing"] = written_at(chapter, block.line)
            if block.options.get("error"):
                cell.metadata["tags"] = ["raises-exception"]
            nb.cells.append(cell)
    if any(cell.cell_type == "code" for cell in nb.cells):
        reads = _cell("code", READS_CODE)
        reads.metadata["tags"] = [READS_TAG]
        nb.cells.append(reads)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


def chapter_record(nb: nbformat.NotebookNode) -> dict:
    """The executed chapter's record of reads (:func:`briefing.reads.record`), from its last cell."""
    import ast

    for cell in nb.cells:
        if READS_TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "execute_result":
                    value = ast.literal_eval("".join(out["data"]["text/plain"]))
                    return value if isinstance(value, dict) else {"data": value}
    return {}


def data_reads(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The data files the executed chapter read, ``(path in data/, "sha256:…")``, from its last cell."""
    return [tuple(item) for item in chapter_record(nb).get("data", [])]


def merge_outputs(fresh: nbformat.NotebookNode, frozen: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Carry the frozen notebook's outputs onto a notebook built from the current prose."""
    old = [c for c in frozen.cells if c.cell_type == "code"]
    new = [c for c in fresh.cells if c.cell_type == "code"]
    if len(old) != len(new) or any(a.source != b.source for a, b in zip(old, new)):
        raise ValueError("frozen notebook does not match the chapter's cells")
    for a, b in zip(old, new):
        b.outputs = a.outputs
        b.execution_count = a.execution_count
    fresh.metadata["briefing"] = frozen.metadata.get("briefing", {})
    return fresh


def reusable(chapter: Chapter, frozen: nbformat.NotebookNode | None, values: InputValues,
             execute_options: dict) -> nbformat.NotebookNode | None:
    """The committed notebook's outputs on the chapter as it is now, when its stamp, recomputed over the inputs
    it records at their current values, equals the stamp it carries; None when it must be executed again."""
    if frozen is None:
        return None
    stamp = values.frozen_stamp(chapter, execute_options, frozen)
    if frozen.metadata.get("briefing", {}).get("stamp") != stamp["stamp"]:
        return None
    try:
        return merge_outputs(build_notebook(chapter), frozen)
    except ValueError:
        return None


def notebook_path(root: Path, chapter_path: Path) -> Path:
    return Path(root) / NOTEBOOK_DIR / (Path(chapter_path).stem + ".ipynb")


def read_frozen(path: Path) -> nbformat.NotebookNode | None:
    """The committed notebook, or None when there is none or it cannot be read (it is then re-executed)."""
    if not path.is_file():
        return None
    try:
        nb = nbformat.from_dict(json.loads(path.read_text(encoding="utf-8")))
        if nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list) or not all(
                isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw") for c in nb.cells):
            raise ValueError("not a version-4 notebook")
        return nb
    except (OSError, ValueError, RecursionError) as exc:
        warnings.warn(f"{relpath(path)}: unreadable ({type(exc).__name__}): the chapter is executed again")
        return None


def serialize(nb: nbformat.NotebookNode) -> bytes:
    """A notebook's bytes as committed: sorted keys, one-space indent, one trailing newline."""
    return (json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def write_notebook(payload: bytes, path: Path) -> bool:
    """Write the notebook atomically; an unchanged file is left alone. True when it was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.is_file() and path.read_bytes() == payload:
            return False
    except OSError:
        pass
    write_atomic(path, payload)
    return True
