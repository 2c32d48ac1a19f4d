"""Issue 19, class 7: bad arguments and bad settings are one line naming what is wrong, never an internal
error or a traceback (several members of the class)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import EPOCH, run_build


def briefing(*args: str, cwd=None):
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BRIEFING_ROOT", None)
    return subprocess.run([sys.executable, "-m", "briefing.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["build", "--jobs", "-1"], "--jobs must be a whole number of 1 or more"),
    (["build", "--jobs", "0"], "--jobs must be a whole number of 1 or more"),
    (["preview", "--port", "70000"], "--port must be 0 (a free port) or from 1 to 65535"),
    (["preview", "--port", "-5"], "--port must be 0 (a free port) or from 1 to 65535"),
    (["arch", "x.json", "--batch", "0"], "--batch must be a whole number of 1 or more"),
])
def test_an_out_of_range_argument_is_a_usage_error(book_copy, args, message):
    done = briefing(*args, "--project", str(book_copy)) if args[0] != "arch" else briefing(*args)
    assert done.returncode == 2 and message in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize("setting, message", [
    ("  timeout: .inf\n", "execute: timeout must be a finite number of seconds or false, not inf"),
    ("  timeout: .nan\n", "execute: timeout must be a finite number of seconds or false, not nan"),
    ('project:\n  type: book\n  output-dir: "a\\0b"\n', "output-dir must be a folder name"),
    ("project:\n  type: book\n  output-dir: ~\n", "output-dir must be a folder name"),
    ("project:\n  type: book\n  output-dir: [a, b]\n", "output-dir must be a folder name"),
])
def test_a_bad_setting_in_quarto_yml_is_one_line_with_its_line(book_copy, setting, message):
    config = book_copy / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    if setting.startswith("project:"):
        text = text.replace("project:\n  type: book\n", setting, 1)
    else:
        text += setting
    config.write_text(text, encoding="utf-8")
    code, out, err = run_build(book_copy)
    assert code == 1 and "Traceback" not in err and "internal error" not in err, err
    line = next(n for n, l in enumerate(text.split("\n"), 1) if l.strip().startswith(("timeout", "output-dir")))
    assert f"_quarto.yml:{line}:" in err and message in err, err
    assert not (book_copy / "None").exists()


@pytest.mark.parametrize("damage", [b"\xff\xfe", b"caf\xe9"])
def test_a_bibliography_that_is_not_utf8_is_named(book_copy, damage):
    bib = book_copy / "references.bib"
    bib.write_bytes(bib.read_bytes() + b"\n% " + damage + b"\n")
    code, out, err = run_build(book_copy)
    assert code == 1 and "Traceback" not in err, err
    error = next(line for line in err.splitlines() if line.startswith("error: "))
    assert error.startswith("error: references.bib:") and "UTF-8" in error, err


@pytest.mark.parametrize("ident", ["sec-details", "sec-totals"])
def test_one_id_in_two_chapters_is_named_with_both_places(book_copy, ident):
    appendix = book_copy / "chapters/appendix.qmd"
    text = appendix.read_text(encoding="utf-8")
    appendix.write_text(text + f"\n\n## Again {{#{ident}}}\n\nMore.\n", encoding="utf-8")
    line = len((text + "\n\n").split("\n"))
    code, out, err = run_build(book_copy)
    assert code == 1 and "Traceback" not in err, err
    where = "chapters/figures.qmd" if ident == "sec-details" else "chapters/numbers.qmd"
    assert f"chapters/appendix.qmd:{line}: #{ident} is also defined at {where}:" in err, err


@pytest.mark.parametrize("kind", ["chapter", "timeout", "output-dir"])
def test_a_quarto_yml_error_points_at_the_entry_not_the_first_line_with_its_text(book_copy, kind):
    config = book_copy / "_quarto.yml"
    text = config.read_text(encoding="utf-8")
    if kind == "chapter":
        text = "# chapters/missing.qmd was removed; see also the timeout and output-dir notes\n" + text.replace(
            "        - chapters/figures.qmd\n", "        - chapters/figures.qmd\n        - chapters/missing.qmd\n")
        needle, message = "- chapters/missing.qmd", "chapter file not found: chapters/missing.qmd"
    elif kind == "timeout":
        text = "# timeout: set below\n" + text + "  timeout: .inf\n"
        needle, message = "  timeout: .inf", "execute: timeout must be a finite number"
    else:
        text = "# output-dir: the default\n" + text.replace("project:\n  type: book\n",
                                                           "project:\n  type: book\n  output-dir: ~\n", 1)
        needle, message = "  output-dir: ~", "output-dir must be a folder name"
    config.write_text(text, encoding="utf-8")
    line = next(n for n, l in enumerate(text.split("\n"), 1) if l.strip() == needle.strip())
    code, out, err = run_build(book_copy)
    assert code == 1 and f"_quarto.yml:{line}:" in err and message in err, err
