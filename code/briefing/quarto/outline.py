"""The book as the steps around ``quarto render`` read it, once: its chapters with their titles and numbers as
the book prints them, and their committed notebooks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    entry: object  # briefing.render.project.Entry
    title: str  # "Prices per token"
    number: str | None  # "6", "A", or None for an unnumbered chapter
    notebook: object | None  # the committed notebook, None when there is none

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Outline:
    root: Path
    book: object  # briefing.render.project.Book
    chapters: list[Chapter]

    @property
    def titles(self) -> list[tuple[Path, str]]:
        return [(c.entry.path, c.title) for c in self.chapters]


def outline(root: Path) -> Outline:
    """The project at ``root``: its book (the output folder left unchecked: Quarto owns it here) and chapters."""
    from briefing.render import notebook as nbmod
    from briefing.render.assemble import title_of
    from briefing.render.project import load_book
    from briefing.render.qmd import parse_chapter, set_root
    from briefing.render.render import chapter_numbers

    root = Path(root).resolve()
    set_root(root)
    book = load_book(root, check_output=False)
    parsed = [parse_chapter(entry.path, root) for entry in book.entries]
    numbers = chapter_numbers(book, parsed)
    return Outline(root, book, [
        Chapter(entry, title_of(chapter) or entry.stem, number,
                nbmod.read_frozen(nbmod.notebook_path(root, entry.path)))
        for entry, chapter, number in zip(book.entries, parsed, numbers)])
