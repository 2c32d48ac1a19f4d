"""Read a Quarto book project's ``_quarto.yml`` (https://quarto.org/docs/books/).

Supported: ``project: type: book``; ``book:`` title, subtitle, author, date,
chapters (with ``part:`` entries) and appendices; ``bibliography``; ``lang``;
``format: html`` and ``format: typst`` options; ``execute`` options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from briefing.render import BuildError


@dataclass(frozen=True)
class Entry:
    """One chapter file of the book, with the part it sits in."""

    path: Path
    part: str | None
    appendix: bool

    @property
    def stem(self) -> str:
        return self.path.stem


@dataclass
class Book:
    root: Path
    title: str
    subtitle: str = ""
    author: str | list = ""
    date: str = ""
    lang: str = "en"
    bibliography: Path | None = None
    entries: list[Entry] = field(default_factory=list)
    html: dict = field(default_factory=dict)
    typst: dict = field(default_factory=dict)
    execute: dict = field(default_factory=dict)
    output_dir: str = "_book"
    csl: Path | None = None

    @property
    def authors(self) -> list[str]:
        if isinstance(self.author, list):
            return [a if isinstance(a, str) else a.get("name", "") for a in self.author]
        return [self.author] if self.author else []


def _fail(path: Path, line: int, message: str):
    raise BuildError(f"{path.name}:{line}: {message}")


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return number
    return 1


def load_book(root: Path) -> Book:
    """Parse ``root/_quarto.yml`` into a Book, checking every chapter file exists."""
    root = Path(root).resolve()
    path = root / "_quarto.yml"
    if not path.is_file():
        raise BuildError(f"{path}: no _quarto.yml: not a Quarto project")
    text = path.read_text(encoding="utf-8")
    try:
        config = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        _fail(path, mark.line + 1 if mark else 1, f"YAML: {getattr(exc, 'problem', None) or exc}")
    project = config.get("project") or {}
    if project.get("type") != "book":
        _fail(path, _line_of(text, "project:"), "project: type: book is required by the built-in engine")
    book = config.get("book") or {}
    if not book.get("title"):
        _fail(path, _line_of(text, "book:"), "book: title is required")

    entries: list[Entry] = []

    def add(item, part, appendix):
        if isinstance(item, str):
            chapter = root / item
            if not chapter.is_file():
                _fail(path, _line_of(text, item), f"chapter file not found: {item}")
            entries.append(Entry(chapter, part, appendix))
        elif isinstance(item, dict) and "part" in item:
            title = item["part"]
            for sub in item.get("chapters") or []:
                add(sub, title, appendix)
        else:
            _fail(path, _line_of(text, "chapters:"), f"unsupported chapter entry: {item!r}")

    for item in book.get("chapters") or []:
        add(item, None, False)
    for item in book.get("appendices") or []:
        add(item, None, True)
    if not entries:
        _fail(path, _line_of(text, "book:"), "book: chapters is empty")

    formats = config.get("format") or {}
    bib = config.get("bibliography") or book.get("bibliography")
    bib_path = root / bib if bib else None
    if bib_path and not bib_path.is_file():
        _fail(path, _line_of(text, "bibliography"), f"bibliography file not found: {bib}")
    csl = config.get("csl")
    return Book(
        root=root,
        title=book["title"],
        subtitle=book.get("subtitle", ""),
        author=book.get("author", ""),
        date=str(book.get("date", "")),
        lang=config.get("lang", "en"),
        bibliography=bib_path,
        entries=entries,
        html=dict(formats.get("html") or {}),
        typst=dict(formats.get("typst") or {}),
        execute=dict(config.get("execute") or {}),
        output_dir=project.get("output-dir", "_book"),
        csl=root / csl if csl else None,
    )
