"""A project's files at one git revision, or in the working tree, read-only."""

from __future__ import annotations

import subprocess
from pathlib import Path

WORKTREE = "worktree"


class RevisionError(Exception):
    """A revision that does not exist, or a file that cannot be read at it: one line for the user."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise RevisionError("git is not installed: `briefing diff` reads editions from git") from None


class Tree:
    """Files of ``root`` at ``revision`` (a commit, tag or branch), or on disk for :data:`WORKTREE`."""

    def __init__(self, root: Path, revision: str = WORKTREE, overlay: dict[str, bytes] | None = None):
        """``overlay``: files of the working tree as a build is about to write them (its notebooks)."""
        self.root = Path(root)
        self.revision = revision
        self.overlay = dict(overlay or {}) if revision == WORKTREE else {}
        self.commit = None
        if revision != WORKTREE:
            found = _git(self.root, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
            if found.returncode != 0:
                raise RevisionError(f"revision {revision!r} does not exist in {self.root}")
            self.commit = found.stdout.decode().strip()

    @property
    def label(self) -> str:
        return "the working tree" if self.commit is None else f"{self.revision} ({self.commit[:7]})"

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist in this edition."""
        if self.commit is None:
            if path in self.overlay:
                return self.overlay[path]
            file = self.root / path
            return file.read_bytes() if file.is_file() else None
        shown = _git(self.root, "show", f"{self.commit}:{path}")
        return shown.stdout if shown.returncode == 0 else None

    def text(self, path: str) -> str | None:
        payload = self.read(path)
        if payload is None:
            return None
        try:
            return payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RevisionError(f"{path} at {self.label}: not UTF-8 text") from None

    def files(self, folder: str) -> list[str]:
        """Every file under ``folder`` (project-relative, sorted)."""
        if self.commit is None:
            base = self.root / folder
            return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*")
                          if p.is_file() and "__pycache__" not in p.parts) if base.is_dir() else []
        listed = _git(self.root, "ls-tree", "-r", "--name-only", self.commit, "--", folder)
        return sorted(line for line in listed.stdout.decode().splitlines() if line)


def last_release(root: Path) -> str:
    """The newest release: its tag (``v1.2.3``), else the commit CHANGELOG.md says it was cut from
    (tags do not travel with every clone), else HEAD when nothing was released yet."""
    from briefing.release.history import releases

    tags = _git(Path(root), "tag", "--list", "v[0-9]*", "--sort=-v:refname").stdout.decode().split()
    recorded = releases(Path(root))
    if tags and (not recorded or tags[0] == f"v{recorded[-1].version}"):
        return tags[0]
    return recorded[-1].commit if recorded else (tags[0] if tags else "HEAD")
