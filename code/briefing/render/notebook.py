"""Chapters as notebooks: build, stamp, execute and merge (the freeze).

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

import asyncio
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from briefing.render import BuildError
from briefing.render.qmd import Cell, Chapter, Markdown, find_inline, relpath

FORMAT_VERSION = "briefing-notebook-1"
NOTEBOOK_DIR = "chapters/_notebooks"
INLINE_TAG = "inline-expression"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dependency_files(root: Path) -> list[Path]:
    """Files every chapter may read: code/ (renderer excluded), data/, the lock."""
    root = Path(root)
    files = []
    code = root / "code"
    if code.is_dir():
        files += [p for p in code.rglob("*.py") if "render" not in p.relative_to(code).parts]
    data = root / "data"
    if data.is_dir():
        files += [p for p in data.rglob("*") if p.is_file()]
    lock = root / "requirements.lock"
    if lock.is_file():
        files.append(lock)
    return sorted(f for f in files if "__pycache__" not in f.parts)


def executable_content(chapter: Chapter) -> str:
    """The part of a chapter whose change can change its results: cells and inline expressions."""
    parts = [
        {"meta": {k: chapter.meta[k] for k in ("execute", "jupyter") if k in chapter.meta}},
    ]
    for block in chapter.blocks:
        if isinstance(block, Cell):
            parts.append({"cell": block.code, "eval": block.options.get("eval", True),
                          "error": block.options.get("error", False)})
        else:
            parts.extend({"inline": e.expr} for e in find_inline(block))
    return json.dumps(parts, sort_keys=True, ensure_ascii=False)


def compute_stamp(chapter: Chapter, root: Path, execute_options: dict, file_hashes: dict[str, str]) -> dict:
    """Stamp = SHA-256 over the format version, executable content, execute options and input hashes."""
    inputs = dict(file_hashes)
    inputs[f"{relpath(chapter.path)}#executable"] = _sha256(executable_content(chapter).encode())
    digest = hashlib.sha256()
    digest.update(FORMAT_VERSION.encode())
    digest.update(json.dumps(execute_options, sort_keys=True, default=str).encode())
    for name in sorted(inputs):
        digest.update(f"{name}\0{inputs[name]}\n".encode())
    return {"stamp": digest.hexdigest(), "inputs": dict(sorted(inputs.items()))}


def hash_dependencies(root: Path) -> dict[str, str]:
    root = Path(root)
    return {str(p.relative_to(root)): _sha256(p.read_bytes()) for p in dependency_files(root)}


def build_notebook(chapter: Chapter) -> nbformat.NotebookNode:
    """The chapter as a notebook: markdown cells, code cells, one code cell per inline expression.

    Inline-expression cells stand just before the markdown that quotes them, so
    they run in document order and their values are outputs nbval re-checks.
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
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


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
    if not path.is_file():
        return None
    return nbformat.read(path, as_version=4)


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write deterministically (sorted keys, one trailing newline); unchanged files are left alone."""
    text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Execution:
    notebook: nbformat.NotebookNode
    seconds: float


def kernel_env(root: Path) -> dict[str, str]:
    """The kernel's environment: the project root, a fixed hash seed, the build's date."""
    env = dict(os.environ)
    env["BRIEFING_ROOT"] = str(root)
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


async def execute(nb: nbformat.NotebookNode, chapter: Chapter, root: Path, timeout: int = 600) -> Execution:
    """Run every code cell in a fresh kernel whose working directory is the project root."""
    started = time.perf_counter()
    if not any(cell.cell_type == "code" for cell in nb.cells):
        return Execution(nb, time.perf_counter() - started)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(root)}},
        record_timing=False,
        shutdown_kernel="immediate",
    )
    client.km = client.create_kernel_manager()
    client.km.transport = "ipc"
    client.km.ip = str(Path(tempfile.mkdtemp(prefix="briefing-kernel-")) / "kernel")
    try:
        async with client.async_setup_kernel(env=kernel_env(root)):
            for index, cell in enumerate(nb.cells):
                await client.async_execute_cell(cell, index)
    except CellExecutionError as exc:
        line = _failed_line(nb)
        message = ANSI.sub("", str(exc))
        raise BuildError(f"{relpath(chapter.path)}:{line}: cell raised an exception\n{message}") from None
    except Exception as exc:  # kernel death, timeout
        raise BuildError(f"{relpath(chapter.path)}: kernel failed: {type(exc).__name__}: {exc}") from None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    return Execution(nb, time.perf_counter() - started)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELL_LINE = re.compile(r"Cell\s+In\[\d+\],\s+line\s+(\d+)")


def _failed_line(nb: nbformat.NotebookNode) -> int:
    """The .qmd line that raised: the cell's fence line plus the traceback's line in the cell."""
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.cell_type == "code" and errors:
            fence = cell.metadata.get("briefing", {}).get("line", 1)
            inline = "inline-expression" in cell.metadata.get("tags", [])
            found = CELL_LINE.findall(ANSI.sub("", "\n".join(errors[0].get("traceback", []))))
            return fence if inline or not found else fence + int(found[0])
    return 1


def run_all(jobs: list, parallel: int) -> list:
    """Run coroutine factories with at most ``parallel`` kernels alive at once."""

    async def runner():
        gate = asyncio.Semaphore(max(1, parallel))

        async def one(factory):
            async with gate:
                return await factory()

        return await asyncio.gather(*(one(f) for f in jobs), return_exceptions=True)

    return asyncio.run(runner())
