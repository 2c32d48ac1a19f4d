"""Read a Quarto book project's ``_quarto.yml`` (https://quarto.org/docs/books/).

Supported: ``project: type: book``; ``book:`` title, subtitle, author, date,
chapters (with ``part:`` entries) and appendices; ``bibliography``; ``lang``;
``format: html`` and ``format: typst`` options; ``execute`` options.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from briefing.files import FileProblem, read_text
from briefing.render import BuildError
from briefing.render.output import CACHE_DIR, OutputFolderError, check_output_dir

SOURCE_FOLDERS = ("data", "code", "tests", ".git", "chapters", CACHE_DIR)
DEFAULT_TIMEOUT = 600


@dataclass(frozen=True)
class Entry:
    """One chapter file of the book, with the part it sits in."""

    path: Path
    part: str | None
    appendix: bool

    @property
    def stem(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Filters:
    """The Lua filters ``_quarto.yml`` names (``filters:``), as pandoc runs them: ``before`` the engine's own
    filter (Quarto's default place for a user filter), ``after`` it (those listed after ``quarto``)."""

    before: tuple[Path, ...] = ()
    after: tuple[Path, ...] = ()

    @property
    def files(self) -> tuple[Path, ...]:
        return self.before + self.after


REFUSED_FILTER = "render with Quarto (`briefing build --engine quarto`) or remove it"


BEFORE_QUARTO = (None, "pre-ast", "post-ast", "pre-quarto")
AFTER_QUARTO = ("post-quarto", "post-render", "pre-finalize", "post-finalize")


def extension_filters(root: Path, name: str) -> Filters | None:
    """The filters a Quarto extension contributes (``_extensions/[ORG/]NAME/_extension.yml``,
    https://quarto.org/docs/extensions/filters.html), placed by their ``at`` (before the engine's own
    filter by default, after it from ``post-quarto`` on), or None when no such extension is installed."""
    for manifest in [root / "_extensions" / name / "_extension.yml", *sorted((root / "_extensions").glob(f"*/{name}/_extension.yml"))]:
        if manifest.is_file():
            try:
                spec = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise BuildError(f"{manifest.relative_to(root)}: not valid YAML ({exc.__class__.__name__})") from None
            listed = ((spec.get("contributes") or {}).get("filters") or []) if isinstance(spec, dict) else []
            before, after = [], []
            for entry in listed:
                file = manifest.parent / str(entry.get("path") if isinstance(entry, dict) else entry)
                at = entry.get("at") if isinstance(entry, dict) else None
                if file.suffix != ".lua" or not file.is_file() or at not in BEFORE_QUARTO + AFTER_QUARTO:
                    raise BuildError(f"{manifest.relative_to(root)}: filter {file.name}: the built-in engine runs "
                                     f"Lua filters that exist, at a place it knows; {REFUSED_FILTER}")
                (after if at in AFTER_QUARTO else before).append(file)
            return Filters(tuple(before), tuple(after))
    return None


def _filters(config: dict, root: Path, path: Path, text: str) -> Filters:
    listed = config.get("filters") or []
    if not isinstance(listed, list):
        _fail(path, _line_of(text, "filters:"), "filters: must be a list")
    before, after = [], []
    current = before
    for entry in listed:
        name = entry.get("path") if isinstance(entry, dict) else entry
        if isinstance(entry, dict) and entry.get("at") not in BEFORE_QUARTO + AFTER_QUARTO:
            _fail(path, _line_of(text, str(name)), f"filters: {name}: at: {entry.get('at')} is not supported by the "
                                                   f"built-in engine; {REFUSED_FILTER}")
        if not isinstance(name, str) or not name:
            _fail(path, _line_of(text, "filters:"), f"filters: {entry!r} is not a filter name or path")
        if name == "quarto":
            current = after
            continue
        if name.endswith(".lua"):
            file = _inside(root, name, path, text, "a filter")
            if not file.is_file():
                _fail(path, _line_of(text, name), f"filters: {name}: file not found")
            (after if isinstance(entry, dict) and entry.get("at") in AFTER_QUARTO else current).append(file)
            continue
        contributed = None if "." in Path(name).name else extension_filters(root, name)
        if contributed is None:
            _fail(path, _line_of(text, name), f"filters: {name}: neither a Lua filter nor an installed extension "
                                              f"(_extensions/{name}); the built-in engine runs only those; {REFUSED_FILTER}")
        current.extend(contributed.before)
        after.extend(contributed.after)
    return Filters(tuple(before), tuple(after))


@dataclass
class Book:
    root: Path
    title: str
    subtitle: str = ""
    author: str | list = ""
    date: str = ""
    description: str = ""
    lang: str = "en"
    bibliography: Path | None = None
    entries: list[Entry] = field(default_factory=list)
    html: dict = field(default_factory=dict)
    typst: dict = field(default_factory=dict)
    execute: dict = field(default_factory=dict)
    output_dir: str = "_book"
    output_path: Path | None = None
    csl: Path | None = None
    filters: Filters = field(default_factory=lambda: Filters())

    @property
    def authors(self) -> list[str]:
        if isinstance(self.author, list):
            return [a if isinstance(a, str) else a.get("name", "") for a in self.author]
        return [self.author] if self.author else []


def _fail(path: Path, line: int, message: str):
    raise BuildError(f"{path.name}:{line}: {message}")


def _yaml_places(text: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """The mapping keys and the scalar values of a YAML text, each with its line, in document order
    (comments and substrings are not places). Empty when the text does not compose."""
    keys: list[tuple[str, int]] = []
    scalars: list[tuple[str, int]] = []
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return keys, scalars

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                keys.append((str(key.value), key.start_mark.line + 1))
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)
        elif isinstance(node, yaml.ScalarNode):
            scalars.append((str(node.value), node.start_mark.line + 1))

    if root is not None:
        walk(root)
    return keys, scalars


def _line_of(text: str, needle: str) -> int:
    """The line of the entry ``needle`` names: a key when it ends with ``:`` or is a key's name, else a
    value; read from the YAML structure (not a comment, not a longer word), then from the text."""
    keys, scalars = _yaml_places(text)
    name = needle.rstrip(":").strip()
    for found, line in (keys if needle.endswith(":") or any(k == name for k, _ in keys) else []) + scalars:
        if found == name:
            return line
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line and not line.lstrip().startswith("#"):
            return number
    return 1


def load_book(root: Path, check_output: bool = True) -> Book:
    """Parse ``root/_quarto.yml`` into a Book, checking every chapter and (``check_output``: the built-in
    engine, which replaces it) the output folder."""
    root = Path(root).resolve()
    path = root / "_quarto.yml"
    if not path.is_file():
        raise BuildError(f"{path}: no _quarto.yml: not a Quarto project")
    try:
        text = read_text(path, "_quarto.yml")
    except FileProblem as exc:
        raise BuildError(str(exc)) from None
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        _fail(path, mark.line + 1 if mark else 1, f"YAML: {getattr(exc, 'problem', None) or exc}")
    except RecursionError:
        _fail(path, 1, "YAML: nested too deeply")
    if not isinstance(config, dict):
        _fail(path, 1, "must be a YAML mapping (project:, book:, format: ...)")
    project = _mapping(config, "project", path, text)
    if project.get("type") != "book":
        _fail(path, _line_of(text, "project:"), "project: type: book is required by the built-in engine")
    book = _mapping(config, "book", path, text)
    if not book.get("title"):
        _fail(path, _line_of(text, "book:"), "book: title is required")

    entries: list[Entry] = []

    def add(item, part, appendix):
        if isinstance(item, str):
            entries.append(Entry(_chapter_path(root, item, path, text), part, appendix))
        elif isinstance(item, dict) and "part" in item:
            title = item["part"]
            for sub in item.get("chapters") or []:
                add(sub, title, appendix)
        else:
            _fail(path, _line_of(text, "chapters:"), f"unsupported chapter entry: {item!r}")

    for key, appendix in (("chapters", False), ("appendices", True)):
        items = book.get(key) or []
        if not isinstance(items, list):
            _fail(path, _line_of(text, f"{key}:"), f"book: {key} must be a list of chapter files")
        for item in items:
            add(item, None, appendix)
    if not entries:
        _fail(path, _line_of(text, "book:"), "book: chapters is empty")
    _check_unique(entries, root, path, text)

    formats = _mapping(config, "format", path, text)
    bib = config.get("bibliography") or book.get("bibliography")
    bib_path = _inside(root, bib, path, text, "bibliography") if bib else None
    if bib_path and not bib_path.is_file():
        _fail(path, _line_of(text, "bibliography"), f"bibliography file not found: {bib}")
    if bib_path:
        read_text(bib_path, bib_path.relative_to(root).as_posix())  # pandoc reads it as UTF-8: say so, naming it
    csl = config.get("csl")
    csl_path = _inside(root, csl, path, text, "csl") if csl else None
    output_dir = project.get("output-dir", "_book")
    if not isinstance(output_dir, str) or not output_dir.strip() or "\0" in output_dir:
        _fail(path, _line_of(text, "output-dir"), f"output-dir must be a folder name inside the project, not {output_dir!r}")
    folders = [root / name for name in SOURCE_FOLDERS]
    folders += [entry.path.parent for entry in entries if entry.path.parent != root]
    sources = [path, *(entry.path for entry in entries)] + [p for p in (bib_path, csl_path) if p]
    try:
        output_path = (check_output_dir(root, output_dir, sources, folders) if check_output
                       else Path(os.path.normpath(root / output_dir)))
    except OutputFolderError as exc:
        _fail(path, _line_of(text, "output-dir" if "output-dir" in text else "project:"), str(exc))
    execute = _mapping(config, "execute", path, text)
    if "timeout" in execute:
        parse_timeout(execute["timeout"], f"_quarto.yml:{_line_of(text, 'timeout')}")
    return Book(
        root=root,
        title=book["title"],
        subtitle=book.get("subtitle", ""),
        author=book.get("author", ""),
        date=str(book.get("date", "")),
        description=str(book.get("description", "") or ""),
        lang=config.get("lang", "en"),
        bibliography=bib_path,
        entries=entries,
        html=dict(formats.get("html") or {}),
        typst=dict(formats.get("typst") or {}),
        execute=dict(execute),
        output_dir=output_dir,
        output_path=output_path,
        csl=csl_path,
        filters=_filters(config, root, path, text),
    )


def project_file(root: Path, name: str) -> dict:
    """A project's YAML file (``_quarto.yml``, ``_variables.yml``) as a mapping; {} when there is none."""
    path = Path(root) / name
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BuildError(f"{name}:{mark.line + 1 if mark else 1}: not valid YAML: "
                         f"{getattr(exc, 'problem', None) or exc}") from None
    return data if isinstance(data, dict) else {}



def config_line(root: Path, key: str) -> int:
    """The line of ``_quarto.yml`` that sets ``key`` (1 when the file cannot be read)."""
    try:
        return _line_of((Path(root) / "_quarto.yml").read_text(encoding="utf-8"), f"{key}:")
    except OSError:
        return 1


def parse_timeout(value, where: str) -> int | None:
    """``execute: timeout``: seconds a cell may run (default 600); ``false``, 0 or less for no limit.

    Real Quarto has no cell timeout (its Jupyter engine waits for every cell)
    and ignores the key; the built-in engine honours it.
    """
    if value is None:
        return DEFAULT_TIMEOUT
    if value is False or (isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0
                          and math.isfinite(value)):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BuildError(f"{where}: execute: timeout must be a finite number of seconds or false, not {value!r}")
    return max(1, int(round(value)))


def _mapping(config: dict, key: str, path: Path, text: str) -> dict:
    value = config.get(key) or {}
    if not isinstance(value, dict):
        _fail(path, _line_of(text, f"{key}:"), f"{key}: must be a mapping of options")
    return value


def _inside(root: Path, name, path: Path, text: str, what: str) -> Path:
    """A path named in _quarto.yml, which must lie inside the project."""
    name = str(name)
    candidate = Path(os.path.normpath(root / name))
    if Path(name).is_absolute() or (candidate != root and root not in candidate.parents):
        _fail(path, _line_of(text, name), f"{what} must be a path inside the project: {name}")
    return candidate


def _chapter_path(root: Path, item: str, path: Path, text: str) -> Path:
    """A chapter listed in _quarto.yml: a .qmd file inside the project (lexically and after symlinks)."""
    chapter = _inside(root, item, path, text, "a chapter")
    if not chapter.is_file():
        _fail(path, _line_of(text, item), f"chapter file not found: {item}")
    real = chapter.resolve()
    if real != root and root not in real.parents:
        _fail(path, _line_of(text, item), f"a chapter must be a path inside the project: {item} resolves to {real}")
    if chapter.suffix != ".qmd":
        _fail(path, _line_of(text, item), f"a chapter must be a .qmd file: {item}")
    return chapter


def _check_unique(entries: list[Entry], root: Path, path: Path, text: str) -> None:
    """Each chapter once, and no two with the same name (their notebooks would collide)."""
    seen: dict[str, Path] = {}
    for entry in entries:
        rel = entry.path.relative_to(root).as_posix()
        if entry.stem in seen:
            other = seen[entry.stem].relative_to(root).as_posix()
            why = "is listed twice" if other == rel else f"has the same name as {other} (their notebooks would collide)"
            _fail(path, _line_of(text, rel) if other != rel else _last_line_of(text, rel), f"chapter {rel} {why}")
        seen[entry.stem] = entry.path


def _last_line_of(text: str, needle: str) -> int:
    found = [n for n, line in enumerate(text.split("\n"), 1) if needle in line]
    return found[-1] if found else 1
