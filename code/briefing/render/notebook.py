"""Chapters as notebooks: build, stamp and merge (the freeze); ``kernel`` executes them.

A chapter's executed notebook (``chapters/_notebooks/NAME.ipynb``) is the
versioned record of its results. Its metadata carries a stamp: the SHA-256 of
everything the results depend on: the chapter's executable content (cells,
their options, inline expressions), the ``code/`` package (the renderer
excluded), every file in ``data/``, the lock and the book's ``execute``
options. Prose is left out, so a prose-only edit re-renders from the
notebook without starting a kernel; a changed data file or library re-executes,
which Quarto's own freeze (keyed on the source file) does not.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import nbformat

from briefing.files import write_atomic
from briefing.render.inputs import dependency_files
from briefing.render.kernel import INLINE_TAG, READS_TAG
from briefing.render.qmd import Cell, Chapter, Markdown, find_inline, relpath

FORMAT_VERSION = "briefing-notebook-2"
NOTEBOOK_DIR = "chapters/_notebooks"
UNSTAMPED_OPTIONS = ("timeout",)
READS_CODE = "import briefing.data\nbriefing.data.reads()"


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
    """The execute options that can change results: all but ``timeout``, which only bounds the wait."""
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


def hash_dependencies(root: Path) -> dict[str, str]:
    root = Path(root)
    return {p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in dependency_files(root)}


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
                cell = nbformat.v4.new_code_cell(expr.expr)
                cell.metadata["tags"] = [INLINE_TAG]
                cell.metadata["briefing"] = {"line": expr.line}
                nb.cells.append(cell)
            md = nbformat.v4.new_markdown_cell(block.text)
            md.metadata["briefing"] = {"line": block.line}
            nb.cells.append(md)
        elif block.options.get("eval", True) is False:
            raw = nbformat.v4.new_raw_cell(block.source)
            raw.metadata["briefing"] = {"line": block.line, "eval": False}
            nb.cells.append(raw)
        else:
            cell = nbformat.v4.new_code_cell(block.source)
            cell.metadata["briefing"] = {"line": block.line}
            if block.options.get("error"):
                cell.metadata["tags"] = ["raises-exception"]
            nb.cells.append(cell)
    if any(cell.cell_type == "code" for cell in nb.cells):
        reads = nbformat.v4.new_code_cell(READS_CODE)
        reads.metadata["tags"] = [READS_TAG]
        nb.cells.append(reads)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


def data_reads(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The data files the executed chapter read, ``(path in data/, "sha256:…")``, from its last cell."""
    import ast

    for cell in nb.cells:
        if READS_TAG in cell.get("metadata", {}).get("tags", []):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "execute_result":
                    return [tuple(item) for item in ast.literal_eval("".join(out["data"]["text/plain"]))]
    return []


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


def notebook_path(root: Path, chapter_path: Path) -> Path:
    return Path(root) / NOTEBOOK_DIR / (Path(chapter_path).stem + ".ipynb")


def read_frozen(path: Path) -> nbformat.NotebookNode | None:
    """The committed notebook, or None when there is none or it cannot be read (it is then re-executed)."""
    if not path.is_file():
        return None
    try:
        return nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
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
