"""The releases so far, from ``CHANGELOG.md`` (which travels with every clone, where tags may not):
each entry's version, date and the commit it was cut from; and, per chapter, the release that
last changed it."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHANGELOG = "CHANGELOG.md"
ENTRY = re.compile(r"^## (\d+\.\d+\.\d+) — (\d{4}-\d{2}-\d{2})\n+Cut from commit ([0-9a-f]{7,40})", re.M)
RELEASE_FILES = {"CHANGELOG.md", "CITATION.cff"}


@dataclass(frozen=True)
class Release:
    version: str
    date: str
    commit: str


def _git(root: Path, *args: str) -> tuple[int, str]:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return 1, ""
    return out.returncode, out.stdout.strip()


def in_git(root: Path) -> bool:
    """True when ``root`` is a git work tree with at least one commit (a copy without .git is not)."""
    code, top = _git(root, "rev-parse", "--show-toplevel")
    return code == 0 and Path(top).resolve() == Path(root).resolve() and _git(root, "rev-parse", "HEAD")[0] == 0


def releases(root: Path) -> list[Release]:
    """Every release recorded in CHANGELOG.md, oldest first."""
    path = Path(root) / CHANGELOG
    if not path.is_file():
        return []
    found = [Release(v, d, c) for v, d, c in ENTRY.findall(path.read_text(encoding="utf-8"))]
    return sorted(found, key=lambda r: tuple(int(x) for x in r.version.split(".")))


def is_release_commit(root: Path, version: str) -> bool:
    """True when HEAD is the commit that records ``version``: it only adds the changelog entry and the
    version to the commit the entry names (or HEAD carries the tag ``v<version>``), and nothing is edited."""
    code, tag = _git(root, "describe", "--tags", "--exact-match", "HEAD")
    code_status, status = _git(root, "status", "--porcelain", "--untracked-files=no")
    if code_status != 0 or status:
        return False
    if code == 0 and tag == f"v{version}":
        return True
    recorded = next((r for r in releases(root) if r.version == version), None)
    if recorded is None:
        return False
    code, parent = _git(root, "rev-parse", "HEAD^")
    code_diff, changed = _git(root, "diff", "--name-only", "HEAD^", "HEAD")
    return code == 0 and code_diff == 0 and parent.startswith(recorded.commit) and set(changed.split()) <= RELEASE_FILES


def _changed(root: Path, old: str, new: str | None, paths: list[str]) -> bool:
    args = ["diff", "--quiet", old] + ([new] if new else []) + ["--", *paths]
    code, _ = _git(root, *args)
    return code == 1


def _differs_now(root: Path, commit: str, path: str, overlay: dict[str, bytes]) -> bool:
    if path in overlay:
        code = subprocess.run(["git", "-C", str(root), "show", f"{commit}:{path}"], capture_output=True, check=False)
        return code.returncode != 0 or code.stdout != overlay[path]
    return _changed(root, commit, None, [path])


def last_changed(root: Path, paths: list[str], overlay: dict[str, bytes] | None = None) -> tuple[Release | None, bool]:
    """The release that last changed any of ``paths`` (a chapter and its notebook), and whether they
    have changed since the last release (an edition not released yet); ``overlay`` holds files as the
    running build is about to write them."""
    history = releases(root)
    last, previous = None, None
    for release in history:
        if previous is None:
            if any(_git(root, "cat-file", "-e", f"{release.commit}:{p}")[0] == 0 for p in paths):
                last = release
        elif _changed(root, previous.commit, release.commit, paths):
            last = release
        previous = release
    since = previous is not None and any(_differs_now(root, previous.commit, p, overlay or {}) for p in paths)
    return last, since
