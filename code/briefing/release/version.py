"""The briefing's version, kept in one place: CITATION.cff's ``version`` and ``date-released``.

The build reads it (page footers, the PDF's title page): at a release's own commit the version
is the release (``1.0.0``, dated its release day); after it, the release plus the commit
(``1.0.0+8f3a137``, ``.dirty`` with uncommitted edits), dated by the last commit.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

CITATION = "CITATION.cff"
SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")


def valid(version: str) -> bool:
    """MAJOR.MINOR.PATCH as Semantic Versioning 2.0.0 writes it: digits only, no leading zero, nothing around."""
    return isinstance(version, str) and SEMVER.fullmatch(version) is not None


def read(root: Path) -> tuple[str | None, str | None]:
    """``(version, date-released)`` from CITATION.cff; None for what it does not say."""
    path = Path(root) / CITATION
    if not path.is_file():
        return None, None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError:
        return None, None
    version = data.get("version") if isinstance(data, dict) else None
    released = data.get("date-released") if isinstance(data, dict) else None
    return (str(version) if version is not None else None, str(released) if released is not None else None)


def write(root: Path, version: str, date: str) -> None:
    """Set ``version`` and ``date-released`` at the top level and in ``preferred-citation``."""
    path = Path(root) / CITATION
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^(\s*)date-released:.*\n", "", text, flags=re.M)
    text, count = re.subn(r"^(\s*)version:.*$", lambda m: f"{m.group(1)}version: {version}\n"
                          f"{m.group(1)}date-released: {date}", text, flags=re.M)
    if count == 0:
        text = text.rstrip("\n") + f"\nversion: {version}\ndate-released: {date}\n"
    path.write_text(text, encoding="utf-8")


def key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
