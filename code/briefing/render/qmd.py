"""Parse a Quarto ``.qmd`` chapter: YAML front matter, markdown, ``{python}`` cells.

Cell options follow Quarto's ``#| key: value`` comment syntax
(https://quarto.org/docs/reference/cells/cells-jupyter.html); inline
expressions follow ```{python} expr``` (https://quarto.org/docs/computations/inline-code.html).
``{{< include >}}`` lines are replaced by the files they name before anything else is read, as Quarto does
(https://quarto.org/docs/authoring/includes.html); the chapter's lines are then numbered as expanded, and
:meth:`Chapter.where` names the file and line each one came from.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from briefing.files import FileProblem, inside, read_text
from briefing.render import BuildError
from briefing.render.project import project_file

KNOWN_OPTIONS = {
    "label", "echo", "eval", "output", "include", "warning", "error",
    "fig-cap", "fig-alt", "tbl-cap", "code-fold", "code-summary",
    "cap-location", "fig-cap-location", "tbl-cap-location", "layout-ncol", "layout-nrow",
    "layout", "fig-subcap", "column", "fig-column", "tbl-column",  # refused by name (briefing.render.features)
}
FENCE_OPEN = re.compile(r"^(?P<ticks>`{3,})\s*\{python(?P<rest>[^}]*)\}\s*$")
PLAIN_FENCE = re.compile(r"^(`{3,}|~{3,})")
INLINE_EXPR = re.compile(r"`\{python\}\s+(?P<expr>[^`]+?)`")


class OptionWarning(UserWarning):
    """An unknown cell option: kept, ignored by the engine, reported with file and line."""


@dataclass(frozen=True)
class Markdown:
    text: str
    line: int


@dataclass(frozen=True)
class Cell:
    code: str
    options: dict
    line: int
    option_lines: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """The cell as Quarto's Jupyter engine stores it: option lines, then code."""
        return "\n".join([*self.option_lines, self.code]).strip("\n")


@dataclass(frozen=True)
class InlineExpression:
    expr: str
    line: int


@dataclass
class Chapter:
    path: Path
    meta: dict
    blocks: list = field(default_factory=list)
    front_matter: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # the chapter as expanded: includes replaced by their files
    origins: list[tuple[Path, int]] = field(default_factory=list)  # where each of ``lines`` was written
    includes: list[Path] = field(default_factory=list)  # the files it includes, in order

    def where(self, line: int) -> str:
        """``file:line`` of the chapter's expanded ``line``: the included file's own line for an included one."""
        if 1 <= line <= len(self.origins):
            path, number = self.origins[line - 1]
            return f"{relpath(path)}:{number}"
        return f"{relpath(self.path)}:{line}"

    def line_of(self, needle) -> int:
        """The first expanded line for which ``needle(text)`` holds (1 when none does)."""
        return next((n for n, text in enumerate(self.lines, 1) if needle(text)), 1)

    def meta_line(self, key: str) -> int:
        """The line of the front matter that sets ``key`` (1 when it is not found)."""
        for number, line in enumerate(self.front_matter, 2):
            if line.strip().startswith(f"{key}:"):
                return number
        return 1

    @property
    def cells(self) -> list[Cell]:
        return [b for b in self.blocks if isinstance(b, Cell)]

    def inline_expressions(self) -> list[InlineExpression]:
        found = []
        for block in self.blocks:
            if isinstance(block, Markdown):
                found.extend(find_inline(block))
        return found


def relpath(path: Path) -> str:
    """The path as the user typed it relative to the project being built (see ``set_root``)."""
    try:
        return str(Path(path).resolve().relative_to(_ROOT[0]))
    except (ValueError, IndexError):
        return str(path)


_ROOT: list[Path] = []


def set_root(root: Path) -> None:
    """Name files in messages relative to ``root``."""
    _ROOT[:] = [Path(root).resolve()]


def find_inline(block: Markdown) -> list[InlineExpression]:
    """Inline expressions of a markdown block, outside fenced code, with their lines."""
    found, fence = [], None
    for offset, line in enumerate(block.text.split("\n")):
        match = PLAIN_FENCE.match(line)
        if match:
            fence = None if fence == match.group(1)[0] else (fence or match.group(1)[0])
            continue
        if fence:
            continue
        for m in INLINE_EXPR.finditer(line):
            found.append(InlineExpression(m.group("expr").strip(), block.line + offset))
    return found


def parse_front_matter(text: str, path: Path) -> tuple[dict, int]:
    """Return (front matter, index of the first body line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = mark.line + 2 if mark else 1
                reason = getattr(exc, "problem", None) or str(exc)
                raise BuildError(f"{relpath(path)}:{line}: YAML front matter: {reason}") from None
            except RecursionError:
                raise BuildError(f"{relpath(path)}:2: YAML front matter: nested too deeply") from None
            if not isinstance(meta, dict):
                raise BuildError(f"{relpath(path)}:2: YAML front matter must be a mapping")
            return meta, end + 1
    raise BuildError(f"{relpath(path)}:1: YAML front matter is not closed with ---")


def parse_options(lines: list[str], path: Path, first_line: int, where=None) -> dict:
    """Parse the ``#|`` lines of a cell as YAML; unknown keys warn, malformed ones fail. ``where(line)`` names
    a line in messages (``path:line`` by default)."""
    where = where or (lambda line: f"{relpath(path)}:{line}")
    body = "\n".join(line[3:] if line.startswith("#| ") else line[2:] for line in lines)
    try:
        options = yaml.safe_load(body) if body.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or "malformed"
        raise BuildError(f"{where(line)}: malformed cell option: {reason}") from None
    if not isinstance(options, dict):
        raise BuildError(f"{where(first_line)}: malformed cell option: expected 'key: value'")
    for offset, line in enumerate(lines):
        key = line[2:].split(":", 1)[0].strip()
        if key and key not in KNOWN_OPTIONS and key in options:
            warnings.warn(
                f"{where(first_line + offset)}: unknown cell option '{key}' (ignored)",
                OptionWarning,
                stacklevel=2,
            )
    for key in ("echo", "eval", "output", "include", "warning", "error"):
        if key in options and not isinstance(options[key], bool):
            line = first_line + next(i for i, l in enumerate(lines) if l[2:].strip().startswith(key))
            raise BuildError(f"{where(line)}: malformed cell option: '{key}' must be true or false")
    return options


INCLUDE = re.compile(r"""^\s*\{\{<\s*include\s+(?P<name>"[^"]*"|'[^']*'|[^\s'">]+)\s*>\}\}\s*$""")
"""An include shortcode on a line of its own, as Quarto requires it (https://quarto.org/docs/authoring/includes.html)."""


def expand_includes(lines: list[str], origins: list[tuple[Path, int]], chapter: Path, root: Path,
                    within: tuple[Path, ...] = ()) -> tuple[list[str], list[tuple[Path, int]], list[Path]]:
    """``lines`` with each include line replaced by the file it names, then that file's own includes, as
    Quarto pastes them: a name starting with ``/`` is the project's, any other is relative to the chapter's
    folder, in an included file too. Returns the lines, where each was written, and the files included. A
    missing file, one outside the project, a file that includes itself or one with a metadata block (which
    Quarto would merge into the chapter's) stops the build in one line."""
    out, where, included = [], [], []
    for line, origin in zip(lines, origins):
        match = INCLUDE.match(line)
        if not match:
            out.append(line)
            where.append(origin)
            continue
        name = match.group("name").strip("\"'")
        here = f"{relpath(origin[0])}:{origin[1]}: {{{{< include {name} >}}}}"
        target = (root / name.lstrip("/")) if name.startswith("/") else (chapter.parent / name)
        target = Path(os.path.normpath(target))
        if not name or not inside(root, target):
            raise BuildError(f"{here}: the file is outside the project")
        if not target.is_file():
            raise BuildError(f"{here}: file not found (looked for {relpath(target)})")
        if target == chapter or target in within:
            raise BuildError(f"{here}: the file includes itself")
        try:
            text = read_text(target, relpath(target))
        except FileProblem as exc:
            raise BuildError(str(exc)) from None
        body = text.split("\n")
        if body and body[-1] == "":
            body.pop()
        if body and body[0].strip() == "---":
            from briefing.render.features import REFUSAL, metadata_in_include

            raise BuildError(f"{relpath(target)}:1: {metadata_in_include().name}: the built-in engine does not "
                             f"render it; {REFUSAL}")
        included.append(target)
        more, more_where, deeper = expand_includes(body, [(target, n) for n in range(1, len(body) + 1)],
                                                   chapter, root, (*within, target))
        out += more
        where += more_where
        included += deeper
    return out, where, included


CELL_DEFAULTS = ("echo", "eval", "output", "include", "warning", "error")
"""The execute options a document or project sets for all its cells, under each cell's own
(https://quarto.org/docs/computations/execution-options.html)."""


def execute_defaults(root: Path, meta: dict) -> dict:
    """The cell options a chapter's cells start from: ``execute:`` in ``_quarto.yml``, then in the chapter's front
    matter, as Quarto applies them."""
    project = project_file(root, "_quarto.yml")
    found = dict(project["execute"]) if isinstance(project.get("execute"), dict) else {}
    if isinstance(meta.get("execute"), dict):
        found.update(meta["execute"])
    return {key: found[key] for key in CELL_DEFAULTS if isinstance(found.get(key), bool)}


def parse_chapter(path: Path, root: Path | None = None) -> Chapter:
    """Split a .qmd into front matter, markdown blocks and python cells (lines are 1-based, counted in the
    chapter with its includes expanded). ``root`` is the project's folder (includes starting with ``/``)."""
    path = Path(path)
    root = Path(root) if root else (_ROOT[0] if _ROOT else path.parent)
    try:
        text = read_text(path, relpath(path))
    except FileProblem as exc:
        raise BuildError(str(exc)) from None
    meta, start = parse_front_matter(text, path)
    written = text.split("\n")
    head = [(path, n) for n in range(1, start + 1)]
    body, origins, included = expand_includes(written[start:], [(path, n) for n in range(start + 1, len(written) + 1)],
                                              path, root)
    lines = written[:start] + body
    chapter = Chapter(path=path, meta=meta, front_matter=lines[1:max(start - 1, 1)] if start else [],
                      lines=lines, origins=head + origins, includes=list(dict.fromkeys(included)))
    inherited = execute_defaults(root, meta)
    md_start, md_lines = start, []
    i = start
    while i < len(lines):
        opener = FENCE_OPEN.match(lines[i])
        if not opener:
            md_lines.append(lines[i])
            i += 1
            continue
        if "".join(md_lines).strip():
            chapter.blocks.append(Markdown("\n".join(md_lines).strip("\n"), md_start + 1 + _leading_blank(md_lines)))
        ticks, open_line = opener.group("ticks"), i + 1
        j = i + 1
        while j < len(lines) and lines[j].strip() != ticks:
            j += 1
        if j == len(lines):
            raise BuildError(f"{chapter.where(open_line)}: python cell is not closed with {ticks}")
        body = lines[i + 1 : j]
        n_opts = 0
        while n_opts < len(body) and body[n_opts].startswith("#|"):
            n_opts += 1
        options = {**inherited, **parse_options(body[:n_opts], path, open_line + 1, chapter.where)}
        code = "\n".join(body[n_opts:]).strip("\n")
        chapter.blocks.append(Cell(code, options, open_line, tuple(body[:n_opts])))
        i = j + 1
        md_start, md_lines = i, []
    if "".join(md_lines).strip():
        chapter.blocks.append(Markdown("\n".join(md_lines).strip("\n"), md_start + 1 + _leading_blank(md_lines)))
    return chapter


def _leading_blank(lines: list[str]) -> int:
    n = 0
    while n < len(lines) and not lines[n].strip():
        n += 1
    return n
