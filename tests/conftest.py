"""Shared test helpers: copies of the fixture book and a way to build them."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURE_BOOK = TESTS / "fixtures" / "book"
ARTIFACTS = TESTS / "artifacts"
EPOCH = "1737936000"  # 2025-01-27T00:00:00Z, the day the fixture book is dated


def rows_of(path: Path) -> list[list[str]]:
    """A CSV file's rows as lists of strings, header included."""
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    """Write rows back as the data package writes CSV (LF line ends, minimal quoting)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def copy_book(dest: Path) -> Path:
    """A copy of the fixture book, with the project's extension installed as a project would have it (its
    `_quarto.yml` names it: the reader features, tables that read among them)."""
    shutil.copytree(FIXTURE_BOOK, dest, ignore=shutil.ignore_patterns("_book", ".briefing-cache", "_notebooks"))
    shutil.copytree(ROOT / "_extensions", dest / "_extensions", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


AUTHORING = TESTS / "fixtures" / "authoring"


def authoring_book(dest: Path) -> Path:
    """A copy of the fixture book with the authoring chapter (tests/fixtures/authoring: each feature of Quarto's
    Authoring guide the built-in engine renders) as its third chapter, its variables, and MathML on the site as
    the briefing has it (Quarto numbers an equation as the built-in engine does only then: "\\qquad(N)")."""
    import yaml

    book = copy_book(dest)
    for name in ("authoring.qmd", "_authoring-shared.qmd", "figure.svg"):
        shutil.copy(AUTHORING / name, book / "chapters" / name)
    shutil.copy(AUTHORING / "_variables.yml", book / "_variables.yml")
    config = book / "_quarto.yml"
    text = config.read_text(encoding="utf-8").replace("        - chapters/figures.qmd\n",
                                                      "        - chapters/figures.qmd\n        - chapters/authoring.qmd\n")
    data = yaml.safe_load(text)
    assert "chapters/authoring.qmd" in str(data["book"]["chapters"]), "the fixture book's chapter list changed"
    text = text.replace("  html:\n", "  html:\n    html-math-method: mathml\n", 1)
    config.write_text(text, encoding="utf-8")
    return book


def ctrl_c_reaches_it() -> None:
    """``preexec_fn`` for a child a test interrupts as a user's Ctrl-C at a terminal would: SIGINT at its default
    whatever the test runner inherited (a shell's background job starts with SIGINT ignored, and Python keeps an
    ignored SIGINT ignored, so the build would never see the test's Ctrl-C)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_build(project: Path, *args: str, env: dict | None = None, prefix: list[str] | None = None):
    """Run ``briefing build`` in a subprocess; return (exit code, stdout, stderr). The built-in engine builds
    unless the test names an engine or its own PATH (real Quarto on the runner's PATH has its own tests)."""
    if "--engine" not in args and "PATH" not in (env or {}):
        args = ("--engine", "builtin", *args)
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


# -- the real book, built in a private copy of the project -------------------------------------

REPORT = {"pages": 0}


def project_files() -> list[str]:
    """The project's files as a clone would have them (tracked and not ignored)."""
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line and (ROOT / line).is_file()]


def copy_project(dest: Path) -> Path:
    for name in project_files():
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return dest


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Path:
    """The briefing built from a copy of the project, as `make` would build it."""
    project = copy_project(tmp_path_factory.mktemp("real") / "project")
    code, out, err = run_build(project)
    assert code == 0, f"the briefing does not build:\n{out}\n{err}"
    return project


def pytest_terminal_summary(terminalreporter):
    stats = terminalreporter.stats
    passed, failed = len(stats.get("passed", [])), len(stats.get("failed", []))
    notebooks = {r.nodeid.split("::")[0] for r in stats.get("passed", []) if ".ipynb::" in r.nodeid}
    failing = {r.nodeid.split("::")[0] for r in stats.get("failed", []) if ".ipynb::" in r.nodeid}
    terminalreporter.write_line(
        f"briefing: {passed} tests passed, {failed} failed; {REPORT['pages']} pages checked in Chromium; "
        f"{len(notebooks - failing)} chapter notebooks validated by nbval"
    )
