"""Parse a Quarto ``.qmd`` chapter: YAML front matter, markdown, ``{python}`` cells.

Cell options follow Quarto's ``#| key: value`` comment syntax
(https://quarto.org/docs/reference/cells/cells-jupyter.html); inline
expressions follow ```{python} expr``` (https://quarto.org/docs/computations/inline-code.html).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from briefing.files import FileProblem, read_text
from briefing.render import BuildError

KNOWN_OPTIONS = {
    "label", "echo", "eval", "output", "include", "warning", "error",
    "fig-cap", "fig-alt", "tbl-cap", "code-fold", "code-summary",
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


def parse_options(lines: list[str], path: Path, first_line: int) -> dict:
    """Parse the ``#|`` lines of a cell as YAML; unknown keys warn, malformed ones fail."""
    body = "\n".join(line[3:] if line.startswith("#| ") else line[2:] for line in lines)
    try:
        options = yaml.safe_load(body) if body.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        reason = getattr(exc, "problem", None) or "malformed"
        raise BuildError(f"{relpath(path)}:{line}: malformed cell option: {reason}") from None
    if not isinstance(options, dict):
        raise BuildError(f"{relpath(path)}:{first_line}: malformed cell option: expected 'key: value'")
    for offset, line in enumerate(lines):
        key = line[2:].split(":", 1)[0].strip()
        if key and key not in KNOWN_OPTIONS and key in options:
            warnings.warn(
                f"{relpath(path)}:{first_line + offset}: unknown cell option '{key}' (ignored)",
                OptionWarning,
                stacklevel=2,
            )
    for key in ("echo", "eval", "output", "include", "warning", "error"):
        if key in options and not isinstance(options[key], bool):
            line = first_line + next(i for i, l in enumerate(lines) if l[2:].strip().startswith(key))
            raise BuildError(f"{relpath(path)}:{line}: malformed cell option: '{key}' must be true or false")
    return options


def parse_chapter(path: Path) -> Chapter:
    """Split a .qmd into front matter, markdown blocks and python cells (lines are 1-based)."""
    path = Path(path)
    try:
        text = read_text(path, relpath(path))
    except FileProblem as exc:
        raise BuildError(str(exc)) from None
    meta, start = parse_front_matter(text, path)
    lines = text.split("\n")
    chapter = Chapter(path=path, meta=meta, front_matter=lines[1:max(start - 1, 1)] if start else [])
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
            raise BuildError(f"{relpath(path)}:{open_line}: python cell is not closed with {ticks}")
        body = lines[i + 1 : j]
        n_opts = 0
        while n_opts < len(body) and body[n_opts].startswith("#|"):
            n_opts += 1
        options = parse_options(body[:n_opts], path, open_line + 1)
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
