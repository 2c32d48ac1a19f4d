"""Quarto's ``_freeze/`` written from the committed notebooks, so that ``quarto render`` uses the versioned
record instead of executing the chapters again.

The record is ``chapters/_notebooks/NAME.ipynb`` (stamped over everything a chapter read);
``_freeze/`` is derived from it, never committed, and rewritten before every ``quarto render`` by the
pre-render step:

* a chapter whose notebook is current (its stamp, recomputed over the inputs it records, matches:
  :func:`briefing.render.notebook.reusable`) gets a freeze entry in Quarto's format
  (``_freeze/chapters/NAME/execute-results/html.json``: the chapter's executed markdown and the MD5 of its
  source, https://quarto.org/docs/projects/code-execution.html#freeze), and its figures beside it, so
  Quarto starts no kernel for it;
* a chapter whose notebook is stale or missing loses its entry, so Quarto executes it (and the stale
  record is never served); ``briefing build`` executes it too and writes the new record.

The markdown is what Quarto's Jupyter engine would write for the chapter: its front matter and prose with
each inline value in place (as a provenance span, as the built-in engine prints it), and each cell as a
``.cell`` div holding its outputs.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

FREEZE = "_freeze"
RESULTS = "execute-results"
FORMATS = ("html", "typ")  # the entry's name is the output's extension: the site, and the PDF's Typst


def source_hash(path: Path) -> str:
    """The hash Quarto compares with a freeze entry: MD5 of the source with LF line endings
    (quarto-cli ``src/command/render/freeze.ts``, ``freezeInputHash``)."""
    text = Path(path).read_text(encoding="utf-8").replace("\r\n", "\n")
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _quoted(value: str) -> str:
    """A Pandoc attribute value in single quotes, as Quarto writes ``tbl-cap='…'``."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fenced(text: str, info: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{info}\n{text}\n{fence}"


class FreezeWriter:
    """One chapter's freeze entry from its notebook (the chapter as parsed now, outputs from the record)."""

    def __init__(self, chapter, notebook, defaults: dict):
        self.chapter = chapter
        self.nb = notebook
        self.defaults = defaults
        self.stem = Path(chapter.path).stem
        self.files_dir = f"{self.stem}_files"
        self.figures: dict[str, bytes] = {}

    def _option(self, options: dict, key: str, default=None):
        return options.get(key, self.defaults.get(key, default))

    def markdown(self) -> str:
        from briefing.render.assemble import ChapterLineage, _fences, _inline, computed
        from briefing.render.notebook import INLINE_TAG
        from briefing.render.qmd import INLINE_EXPR, Markdown

        code_cells = [c for c in self.nb.cells if c.cell_type in ("code", "raw")]
        lineage = ChapterLineage.of(self.nb, self.stem)
        values = iter(computed(c, lineage) for c in code_cells if INLINE_TAG in c.metadata.get("tags", []))
        cells = iter(c for c in code_cells if INLINE_TAG not in c.metadata.get("tags", []))
        parts = []
        if self.chapter.front_matter:
            parts.append("---\n" + "\n".join(self.chapter.front_matter) + "\n---")
        for block in self.chapter.blocks:
            if isinstance(block, Markdown):
                lines = []
                for line, in_code in _fences(block.text.split("\n")):
                    if not in_code:
                        line = INLINE_EXPR.sub(lambda m, line=line: _inline(next(values), line, m.start()), line)
                    lines.append(line)
                parts.append("\n".join(lines))
            else:
                parts.append(self._cell(block, next(cells)))
        return "\n\n".join(p for p in parts if p).strip() + "\n"

    def _cell(self, block, cell) -> str:
        options = block.options
        if options.get("include") is False:
            return ""
        label = str(options.get("label", ""))
        pieces = []
        if self._option(options, "echo", True):
            pieces.append(_fenced(block.code, " {.python .cell-code}"))
        if cell.cell_type == "code" and options.get("output", True) is not False:
            pieces += self._outputs(options, cell, label)
        if not pieces:
            return ""
        attrs = [".cell"]
        if label.startswith("fig-"):
            attrs.insert(0, f"#cell-{label}")
        elif label.startswith("tbl-"):
            attrs.insert(0, f"#{label}")
            if options.get("tbl-cap"):
                attrs.append(f"tbl-cap={_quoted(options['tbl-cap'])}")
        elif label:
            attrs.insert(0, f"#{label}")
        return f"::: {{{' '.join(attrs)}}}\n\n" + "\n\n".join(pieces) + "\n:::"

    def _outputs(self, options: dict, cell, label: str) -> list[str]:
        from briefing.render.assemble import scope_sources

        out, figures = [], 0
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                if output.get("name") == "stderr" and not self._option(options, "warning", True):
                    continue
                text = "".join(output.get("text", "")).rstrip("\n")
                if text:
                    out.append(_fenced(text, f"{{.cell-output .cell-output-{output.get('name', 'stdout')}}}"))
            elif kind == "error":
                trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output.get("traceback", [])))
                out.append(_fenced(trace, "{.cell-output .cell-output-error}"))
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if "image/svg+xml" in data or "image/png" in data:
                    figures += 1
                    body = self._figure(options, data, label, figures)
                elif "text/markdown" in data:
                    body = scope_sources("".join(data["text/markdown"]), self.stem)
                    out.append(f"::: {{.cell-output .cell-output-display .cell-output-markdown}}\n{body}\n:::")
                    continue
                elif "text/html" in data:
                    html = re.sub(r"<style[^>]*>.*?</style>", "", "".join(data["text/html"]), flags=re.S)
                    body = _fenced(html.strip(), "{=html}")
                elif "text/plain" in data:
                    body = _fenced("".join(data["text/plain"]), "")
                else:
                    continue
                out.append(f"::: {{.cell-output .cell-output-display}}\n{body}\n:::")
        return out

    def _figure(self, options: dict, data: dict, label: str, index: int) -> str:
        import base64

        if "image/svg+xml" in data:
            payload, ext = "".join(data["image/svg+xml"]).encode("utf-8"), "svg"
        else:
            payload, ext = base64.b64decode("".join(data["image/png"])), "png"
        name = f"{label or 'cell'}-output-{index}.{ext}"
        self.figures[name] = payload
        caption = str(options.get("fig-cap", "")) if index == 1 else ""
        attrs = []
        if label.startswith("fig-") and index == 1:
            attrs.append(f"#{label}")
        if options.get("fig-alt"):
            attrs.append(f"fig-alt={_quoted(options['fig-alt'])}")
        image = f"![{caption}]({self.files_dir}/figure-html/{name})"
        return image + (f"{{{' '.join(attrs)}}}" if attrs else "")

    def entry(self) -> dict:
        """The freeze entry Quarto reads (``{"hash", "result"}``)."""
        return {"hash": source_hash(self.chapter.path), "result": {
            "engine": "jupyter", "markdown": self.markdown(), "supporting": [self.files_dir],
            "filters": [], "includes": {}}}


def freeze_folder(root: Path, chapter_path: Path) -> Path:
    """``_freeze/<the chapter's path without its extension>`` (Quarto drops the ``_files`` suffix)."""
    rel = Path(chapter_path).resolve().relative_to(Path(root).resolve())
    return Path(root) / FREEZE / rel.with_suffix("")


def write_freeze(root: Path) -> dict[str, str]:
    """Bring ``_freeze/`` in line with the notebooks: each chapter's entry written from its current notebook,
    or removed when the notebook is stale or missing. Returns what happened to each chapter
    (``"frozen"`` or ``"to execute"``), by its path."""
    from briefing.files import write_atomic
    from briefing.render import notebook as nbmod
    from briefing.render.project import load_book
    from briefing.render.qmd import parse_chapter, set_root

    root = Path(root).resolve()
    set_root(root)
    book = load_book(root, check_output=False)
    values = nbmod.InputValues(root, {})
    defaults = {"echo": True, **book.execute}
    done = {}
    for entry in book.entries:
        chapter = parse_chapter(entry.path, root)
        folder = freeze_folder(root, entry.path)
        name = entry.path.relative_to(root).as_posix()
        merged = nbmod.reusable(chapter, nbmod.read_frozen(nbmod.notebook_path(root, entry.path)), values, book.execute)
        if merged is None:
            shutil.rmtree(folder, ignore_errors=True)
            done[name] = "to execute"
            continue
        writer = FreezeWriter(chapter, merged, defaults)
        payload = json.dumps(writer.entry(), indent=2, ensure_ascii=False).encode("utf-8")
        figures = folder / "figure-html"
        if figures.is_dir():
            for old in figures.iterdir():
                if old.name not in writer.figures:
                    old.unlink()
        for fig, data in writer.figures.items():
            target = figures / fig
            if not target.is_file() or target.read_bytes() != data:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, data, durable=False)
        for fmt in FORMATS:
            target = folder / RESULTS / f"{fmt}.json"
            if not target.is_file() or target.read_bytes() != payload:
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, payload, durable=False)
        done[name] = "frozen"
    return done
