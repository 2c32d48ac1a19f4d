"""Shared test helpers: copies of the fixture book and a way to build them."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURE_BOOK = TESTS / "fixtures" / "book"
ARTIFACTS = TESTS / "artifacts"
EPOCH = "1737936000"  # 2025-01-27T00:00:00Z, the day the fixture book is dated


def copy_book(dest: Path) -> Path:
    shutil.copytree(FIXTURE_BOOK, dest, ignore=shutil.ignore_patterns("_book", ".briefing-cache", "_notebooks"))
    return dest


def run_build(project: Path, *args: str, env: dict | None = None, prefix: list[str] | None = None):
    """Run ``briefing build`` in a subprocess; return (exit code, stdout, stderr)."""
    full_env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    full_env.pop("BRIEFING_ROOT", None)
    command = [*(prefix or []), sys.executable, "-m", "briefing.cli", "build", "--project", str(project), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=full_env, check=False)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The fixture book, built once for the whole session (tests must not modify it)."""
    project = copy_book(tmp_path_factory.mktemp("fixture") / "book")
    code, out, err = run_build(project)
    assert code == 0, f"fixture build failed:\n{out}\n{err}"
    return project


@pytest.fixture
def book_copy(built_book, tmp_path) -> Path:
    """A private copy of the built fixture book (notebooks frozen, _book present)."""
    dest = tmp_path / "book"
    shutil.copytree(built_book, dest)
    return dest
