"""`briefing build --engine`: real Quarto when it is on PATH (1.4 or newer), the built-in engine
otherwise. A stand-in `quarto` script records how it was called, so the dispatch and the
swap into _book/ are tested without Quarto itself (which cannot be installed here)."""

from __future__ import annotations

import os
import sys
import stat

from conftest import copy_book, run_build

FAKE_QUARTO = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "{version}"; exit 0; fi
echo "$@" > "{log}"
echo "$QUARTO_PYTHON" > "{log}.python"
shift 2
[ "$1" = "--output-dir" ] || exit 3
mkdir -p "$2" && echo "<html>rendered by quarto</html>" > "$2/index.html"
exit {status}
"""


def fake_quarto(folder, version="1.9.12", status=0):
    folder.mkdir(exist_ok=True)
    script = folder / "quarto"
    script.write_text(FAKE_QUARTO.format(version=version, log=folder / "calls.log", status=status))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}", "QUARTO_PYTHON": ""}


def test_auto_uses_quarto_when_it_is_on_path(tmp_path):
    book = copy_book(tmp_path / "book")
    code, out, err = run_build(book, env=fake_quarto(tmp_path / "bin"))
    assert code == 0, err
    assert (tmp_path / "bin" / "calls.log").read_text().startswith(f"render {book} --output-dir")
    assert (book / "_book" / "index.html").read_text().strip() == "<html>rendered by quarto</html>"
    # Quarto runs the extension's pre-render step with QUARTO_PYTHON: the interpreter that has briefing
    assert (tmp_path / "bin" / "calls.log.python").read_text().strip() == sys.executable


def test_an_old_quarto_is_ignored_by_auto_and_refused_by_engine_quarto(tmp_path):
    book = copy_book(tmp_path / "book")
    env = fake_quarto(tmp_path / "bin", version="1.3.450")
    code, out, err = run_build(book, "--engine", "quarto", env=env)
    assert code == 2 and "quarto 1.4 or newer is not on PATH" in err
    code, out, err = run_build(book, "--engine", "builtin", env=env, )
    assert code == 0 and "executed chapters/numbers.qmd" in out
    assert not (tmp_path / "bin" / "calls.log").exists()


def test_a_failed_quarto_render_keeps_the_last_good_book(tmp_path):
    book = copy_book(tmp_path / "book")
    code, out, err = run_build(book, env=fake_quarto(tmp_path / "bin"))
    assert code == 0, err
    code, out, err = run_build(book, env=fake_quarto(tmp_path / "bin2", status=1))
    assert code == 1 and "quarto render failed" in err
    assert (book / "_book" / "index.html").read_text().strip() == "<html>rendered by quarto</html>"
    assert not [p for p in (book / ".briefing-cache").iterdir() if p.name.startswith("staging-")]


def test_quarto_output_is_not_published_over_a_folder_no_build_made(tmp_path):
    book = copy_book(tmp_path / "book")
    (book / "_book").mkdir()
    (book / "_book" / "notes.txt").write_text("mine")
    code, out, err = run_build(book, env=fake_quarto(tmp_path / "bin"))
    assert code == 1
    assert "output-dir '_book' exists and was not made by a build" in err
    assert (book / "_book" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "bin" / "calls.log").exists()
