"""What a build reads, hashed before it is read.

A build takes one :class:`Snapshot` of its inputs (the SHA-256 of each file)
before it parses or executes anything, and stamps its output with digests of
that snapshot. A file saved while the build runs therefore makes the next
build's digest differ (the next build redoes the work) instead of being
recorded as already built; the build also re-hashes at the end and says which
files changed under it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from briefing.files import sha256_file
from briefing.render import BuildError
from briefing.render.project import Book

NOTEBOOK_DIR = "chapters/_notebooks"


def engine_files() -> list[Path]:
    """The built-in engine's own files (code, filters, templates, assets)."""
    here = Path(__file__).resolve().parent
    return [p for p in here.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def dependency_files(root: Path) -> list[Path]:
    """Files every chapter may read: code/ (the engine excluded), data/, the locks (package-lock.json pins the
    mermaid.js that draws the diagrams)."""
    root = Path(root)
    files = []
    code = root / "code"
    if code.is_dir():
        files += [p for p in code.rglob("*.py") if "render" not in p.relative_to(code).parts]
    data = root / "data"
    if data.is_dir():
        files += [p for p in data.rglob("*") if p.is_file()]
    for lock in (root / "requirements.lock", root / "package-lock.json"):  # mermaid.js draws the diagrams
        if lock.is_file():
            files.append(lock)
    return sorted(f for f in files if "__pycache__" not in f.parts)


def _visible(path: Path, base: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(base).parts)


def candidate_chapters(book: Book) -> list[Path]:
    """Every ``.qmd`` a reader of the project would take for a chapter: at the top and in chapter folders."""
    root = book.root
    folders = {root} | {entry.path.parent for entry in book.entries}
    found = set()
    for folder in folders:
        found |= {p for p in folder.glob("*.qmd") if p.is_file()}
    chapters = root / "chapters"
    if chapters.is_dir():
        found |= {p for p in chapters.rglob("*.qmd") if p.is_file() and _visible(p, chapters)}
    return sorted(found)


def unlisted_chapters(book: Book) -> list[Path]:
    """``.qmd`` files not listed in ``_quarto.yml`` (Quarto skips names starting with ``_`` too)."""
    listed = {entry.path for entry in book.entries}
    return [p for p in candidate_chapters(book) if p not in listed and not p.name.startswith("_")
            and NOTEBOOK_DIR not in p.relative_to(book.root).as_posix()]


def input_files(book: Book, recorded: list[str] = ()) -> list[Path]:
    """Every file a build of ``book`` reads, plus files a previous build recorded reading (images)."""
    root = book.root
    found = {root / "_quarto.yml", *(entry.path for entry in book.entries), *candidate_chapters(book)}
    if (root / "_variables.yml").is_file():  # {{< var … >}} reads it
        found.add(root / "_variables.yml")
    chapters = root / "chapters"
    if chapters.is_dir():
        found |= {p for p in chapters.rglob("*") if p.is_file() and _visible(p, chapters)}
    from briefing.render.pdf import typst_includes

    try:
        found |= set(typst_includes(root, book.typst)[2])  # what _quarto.yml adds to the PDF
    except BuildError:
        pass  # the render names it
    for extra in (book.bibliography, book.csl, *book.filters.files):
        if extra:
            found.add(extra)
    extensions = root / "_extensions"
    if extensions.is_dir():
        found |= {p for p in extensions.rglob("*") if p.is_file()}
    found |= set(dependency_files(root))
    found |= {root / name for name in recorded}
    return sorted(p for p in found if p.is_file())


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


@dataclass
class Snapshot:
    """SHA-256 of each input file by project-relative path (the engine's files by their own name)."""

    root: Path
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def take(cls, root: Path, files: list[Path]) -> Snapshot:
        snap = cls(Path(root))
        for path in files:
            try:
                snap.hashes[_rel(path, snap.root)] = sha256_file(path)
            except OSError:
                snap.hashes[_rel(path, snap.root)] = "unreadable"
        for path in engine_files():
            snap.hashes[f"<engine>/{path.relative_to(Path(__file__).resolve().parent).as_posix()}"] = sha256_file(path)
        return snap

    def add(self, paths: list[Path]) -> None:
        """Hash more inputs, found while building (images), before the build reads them."""
        for path in paths:
            name = _rel(path, self.root)
            if name not in self.hashes:
                try:
                    self.hashes[name] = sha256_file(path)
                except OSError:
                    self.hashes[name] = "unreadable"

    def subset(self, paths: list[Path]) -> dict[str, str]:
        """The hashes of ``paths`` as they were when the snapshot was taken."""
        wanted = {_rel(p, self.root) for p in paths}
        return {name: value for name, value in self.hashes.items() if name in wanted}

    def with_written(self, written: dict[str, bytes]) -> Snapshot:
        """The snapshot as it will be once the build has written ``written`` (its own notebooks)."""
        hashes = dict(self.hashes)
        for name, payload in written.items():
            hashes[name] = hashlib.sha256(payload).hexdigest()
        return Snapshot(self.root, hashes)

    def digest(self, fmt: str, extra: object) -> str:
        digest = hashlib.sha256(json.dumps([fmt, extra], sort_keys=True, default=str).encode())
        for name in sorted(self.hashes):
            digest.update(f"{name}\0{self.hashes[name]}\n".encode())
        return digest.hexdigest()

    def changed_since(self, earlier: Snapshot, ignore: set[str] = frozenset()) -> list[str]:
        """Files whose hash differs from ``earlier`` (added, removed or edited), except ``ignore``."""
        names = (set(self.hashes) | set(earlier.hashes)) - set(ignore)
        return sorted(n for n in names if self.hashes.get(n) != earlier.hashes.get(n))
