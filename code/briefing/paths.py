"""Root-anchored paths: every chapter, test and command finds files through here.

The project root is the folder holding ``_quarto.yml``. It is found from the
``BRIEFING_ROOT`` environment variable when set, else by walking up from the
current directory, else from this file's location (an editable install).
Chapters therefore run the same under Quarto, the built-in engine and nbval,
whatever their working directory.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = "_quarto.yml"


def find_root(start: Path | None = None) -> Path:
    """Return the project root: the nearest folder at or above ``start`` with ``_quarto.yml``."""
    env = os.environ.get("BRIEFING_ROOT")
    if env:
        root = Path(env).resolve()
        if not (root / MARKER).is_file():
            raise FileNotFoundError(f"BRIEFING_ROOT={env} has no {MARKER}")
        return root
    candidates = [Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent]
    for origin in candidates:
        for folder in (origin, *origin.parents):
            if (folder / MARKER).is_file():
                return folder
    raise FileNotFoundError(f"no {MARKER} found above {candidates[0]}; set BRIEFING_ROOT")


ROOT = find_root()
DATA = ROOT / "data"
CHAPTERS = ROOT / "chapters"
CODE = ROOT / "code"
TESTS = ROOT / "tests"
BOOK = ROOT / "_book"
