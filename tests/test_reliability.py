"""Reliability of `briefing build` (issue 9): nothing lost, nothing broken published, one clear line.

Each test reproduces one finding of the fault-and-bad-input probe, numbered as in the issue, on a
copy of the fixture book. The data and arch findings (9, 10, and 8) are in test_data.py and
test_arch.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from conftest import EPOCH, copy_book, ctrl_c_reaches_it, run_build

OUTPUT = "_book"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def sources(book: Path) -> dict[str, bytes]:
    """Every file of the project except what the build writes."""
    return {name: data for name, data in tree(book).items()
            if not name.startswith((f"{OUTPUT}/", ".briefing-cache/"))}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().split("\n"), 1) if needle in line)


def one_clear_error(code: int, err: str, expected: str) -> None:
    """A failed build: exit 1, the expected message on an ``error:`` line, no traceback."""
    assert code == 1, err
    assert "Traceback" not in err, err
    assert any(line.startswith("error: ") and expected in line for line in err.splitlines()), err


def staging_left(book: Path) -> list[str]:
    cache = book / ".briefing-cache"
    found = [p.name for p in book.glob(".book-staging-*")] + [p.name for p in book.glob("._book.staging-*")]
    if cache.is_dir():
        found += [p.name for p in cache.iterdir() if p.name.startswith(("staging-", "retired-"))]
    return found


# -- 1. the output folder must be ours --------------------------------------------------------


@pytest.mark.parametrize("output_dir, message", [
    ("chapters", "output-dir 'chapters' is chapters/, which holds sources"),
    (".", "output-dir '.' must be a folder inside the project"),
    ("..", "output-dir '..' must be a folder inside the project"),
    ("../elsewhere", "output-dir '../elsewhere' must be a folder inside the project"),
    ("chapters/_notebooks", "output-dir 'chapters/_notebooks' is inside chapters/, which holds sources"),
    ("data", "output-dir 'data' is data/, which holds sources"),
])
def test_1_an_output_dir_that_holds_sources_is_refused_and_nothing_is_touched(book_copy, output_dir, message):
    config = book_copy / "_quarto.yml"
    edit(config, "  type: book\n", f"  type: book\n  output-dir: {output_dir}\n")
    (book_copy / "data").mkdir(exist_ok=True)
    (book_copy / "data" / "x.csv").write_text("a\n1\n")
    before, outside = sources(book_copy), sorted(p.name for p in book_copy.parent.iterdir())
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, f"_quarto.yml:{line_of(config, 'output-dir')}: {message}")
    assert sources(book_copy) == before
    assert sorted(p.name for p in book_copy.parent.iterdir()) == outside


def test_1_an_existing_folder_no_build_made_is_refused(book_copy):
    config = book_copy / "_quarto.yml"
    edit(config, "  type: book\n", "  type: book\n  output-dir: site\n")
    (book_copy / "site").mkdir()
    (book_copy / "site" / "notes.txt").write_text("my notes")
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, "output-dir 'site' exists and was not made by a build")
    assert (book_copy / "site" / "notes.txt").read_text() == "my notes"


def test_1_a_file_the_build_did_not_write_is_kept_never_deleted(book_copy):
    (book_copy / OUTPUT / "CNAME").write_text("briefing.example.org\n")
    edit(book_copy / "chapters/numbers.qmd", "The run took", "In all, the run took")
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "warning: _book/CNAME was not written by a build: kept in the new output" in err
    assert (book_copy / OUTPUT / "CNAME").read_text() == "briefing.example.org\n"
    assert "In all, the run took" in (book_copy / OUTPUT / "chapters/numbers.html").read_text()


def test_1_a_new_nested_output_dir_is_created(book_copy):
    edit(book_copy / "_quarto.yml", "  type: book\n", "  type: book\n  output-dir: public/book\n")
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert (book_copy / "public/book/index.html").is_file()
    assert (book_copy / "public/book/fixture-book.pdf").is_file()


# -- 2. a full disk never publishes a cut page; the cache is verified; --refresh bypasses it -----


def _prlimit_works() -> bool:
    return shutil.which("prlimit") is not None and subprocess.run(
        ["prlimit", "--fsize=100000", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _prlimit_works(), reason="prlimit (util-linux) is not available")
def test_2_a_full_disk_fails_cleanly_and_the_next_build_publishes_whole_pages(tmp_path):
    clean = copy_book(tmp_path / "clean")
    code, out, err = run_build(clean)
    assert code == 0, err
    book = copy_book(tmp_path / "book")
    code, out, err = run_build(book, prefix=["prlimit", "--fsize=4096", "--"])
    assert code == 1, err
    assert "Traceback" not in err
    assert "error: " in err and "File too large" in err, err
    assert not (book / OUTPUT).exists()
    assert not staging_left(book)
    code, out, err = run_build(book)
    assert code == 0, err
    assert tree(book / OUTPUT) == tree(clean / OUTPUT)


def _cache_filled_here(book: Path) -> dict[str, bytes]:
    """Build at this path (the cache keys name the project's files), so a build here can hit the cache."""
    code, out, err = run_build(book, "--refresh")
    assert code == 0, err
    return tree(book / OUTPUT)


def test_2_a_damaged_cache_entry_is_never_used(book_copy):
    pages = _cache_filled_here(book_copy)
    entries = list((book_copy / ".briefing-cache/html").glob("*.html"))
    assert len(entries) == 4
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:300])
    shutil.rmtree(book_copy / OUTPUT)
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert tree(book_copy / OUTPUT) == pages


def test_2_refresh_bypasses_the_cache(book_copy):
    pages = _cache_filled_here(book_copy)
    poison = b"<html>poisoned</html>"
    for entry in (book_copy / ".briefing-cache/html").glob("*.html"):
        entry.write_bytes(b"briefing-cache-1 " + hashlib.sha256(poison).hexdigest().encode() + b"\n" + poison)
    code, out, err = run_build(book_copy, "--refresh")
    assert code == 0, err
    assert tree(book_copy / OUTPUT) == pages


# -- 3. a cell's stream output is capped; unused cache entries are pruned ----------------------


def test_3_a_huge_cell_output_is_cut_with_a_warning_naming_the_cell(book_copy):
    chapter = book_copy / "chapters/numbers.qmd"
    edit(chapter, 'print("stdout line")', 'print("stdout line")\nprint("x" * 3_000_000)')
    code, out, err = run_build(book_copy)
    assert code == 0, err
    line = line_of(chapter, 'print("stdout line")') - 2
    assert (f"warning: chapters/numbers.qmd:{line}: the cell printed 3,000,013 characters; "
            "the first 100,000 are kept, the rest dropped") in err
    nb = nbformat.read(book_copy / "chapters/_notebooks/numbers.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "3_000_000" in c.source)
    kept = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert len(kept) < 100_200
    assert "[output cut by the build at 100,000 characters: 2,900,013 more were dropped]" in kept
    assert (book_copy / OUTPUT / "chapters/numbers.html").stat().st_size < 150_000
    assert (book_copy / "chapters/_notebooks/numbers.ipynb").stat().st_size < 150_000


def test_3_cache_entries_no_longer_used_are_pruned(book_copy):
    cache = book_copy / ".briefing-cache/html"
    for n in range(3):
        edit(book_copy / "chapters/numbers.qmd", "in all [@deepseekv3]", f"in all [@deepseekv3] (edit {n})")
        code, out, err = run_build(book_copy)
        assert code == 0, err
    assert len(list(cache.iterdir())) == 4


# -- 4. an edit saved during a build is not lost -----------------------------------------------


def test_4_a_prose_edit_saved_while_the_build_runs_is_built_next_time(book_copy):
    saver = ('```{python}\nfrom pathlib import Path\n'
             'p = Path("chapters/numbers.qmd")\n'
             'p.write_text(p.read_text().replace("The run took", "Saved mid-build, the run took"))\n```\n')
    edit(book_copy / "chapters/figures.qmd", "## Details", saver + "\n## Details")
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "warning: chapters/numbers.qmd changed while the build ran" in err
    assert "Saved mid-build" not in (book_copy / OUTPUT / "chapters/numbers.html").read_text()
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "nothing changed" not in out
    assert "Saved mid-build, the run took" in (book_copy / OUTPUT / "chapters/numbers.html").read_text()
    code, out, err = run_build(book_copy)
    assert "nothing changed" in out


# -- 5. a one-format build keeps the other format's last good output --------------------------


def test_5_to_html_keeps_the_pdf_and_to_pdf_keeps_the_site(book_copy):
    before = tree(book_copy / OUTPUT)
    pdf = "fixture-book.pdf"
    edit(book_copy / "chapters/numbers.qmd", "The run took", "In all, the run took")
    code, out, err = run_build(book_copy, "--to", "html")
    assert code == 0, err
    after = tree(book_copy / OUTPUT)
    assert after[pdf] == before[pdf]
    assert b"In all, the run took" in after["chapters/numbers.html"]
    code, out, err = run_build(book_copy, "--to", "pdf")
    assert code == 0, err
    final = tree(book_copy / OUTPUT)
    assert final[pdf] != before[pdf]
    assert {k: v for k, v in final.items() if k not in (pdf, ".briefing-build.json")} == \
           {k: v for k, v in after.items() if k not in (pdf, ".briefing-build.json")}
    code, out, err = run_build(book_copy)
    assert "nothing changed" in out


def test_5_a_full_build_after_to_html_renders_only_the_stale_pdf(book_copy):
    edit(book_copy / "chapters/numbers.qmd", "The run took", "In all, the run took")
    code, out, err = run_build(book_copy, "--to", "html")
    assert code == 0, err
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "pdf      fixture-book.pdf" in out and "html     " not in out


# -- 6. the usual permissions ------------------------------------------------------------------


def test_6_the_output_has_the_usual_permissions(tmp_path):
    book = copy_book(tmp_path / "book")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BRIEFING_ROOT", None)
    result = subprocess.run([sys.executable, "-m", "briefing.cli", "build", "--project", str(book)],
                            capture_output=True, text=True, env=env, preexec_fn=lambda: os.umask(0o022), check=False)
    assert result.returncode == 0, result.stderr
    out = book / OUTPUT
    modes = {p.relative_to(book).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in [out, *out.rglob("*")]}
    assert modes[OUTPUT] == 0o755
    assert {m for name, m in modes.items() if (book / name).is_dir()} == {0o755}
    assert {m for name, m in modes.items() if (book / name).is_file()} == {0o644}
    assert stat.S_IMODE((book / "chapters/_notebooks/numbers.ipynb").stat().st_mode) == 0o644


# -- 7. chapters resolve inside the project ----------------------------------------------------


@pytest.mark.parametrize("listed", ["../outside.qmd", "../../x/victim.qmd", "ABSOLUTE"])
def test_7_a_chapter_outside_the_project_is_refused(tmp_path, listed):
    book = copy_book(tmp_path / "a" / "b" / "book")
    (tmp_path / "a" / "b" / "outside.qmd").write_text("---\ntitle: Outside\n---\n\nOutside.\n")
    (tmp_path / "a" / "x").mkdir()
    (tmp_path / "a" / "x" / "victim.qmd").write_text("---\ntitle: Victim\n---\n\nVictim.\n")
    if listed == "ABSOLUTE":
        listed = str(tmp_path / "a" / "b" / "outside.qmd")
    config = book / "_quarto.yml"
    edit(config, "    - chapters/appendix.qmd", f"    - chapters/appendix.qmd\n    - {listed}")
    before = tree(tmp_path)
    code, out, err = run_build(book)
    one_clear_error(code, err, f"_quarto.yml:{line_of(config, listed)}: a chapter must be a path inside the project: {listed}")
    assert {k: v for k, v in tree(tmp_path).items() if "/.briefing-cache/" not in k} == before


def test_7_two_chapters_with_one_name_are_refused(book_copy):
    (book_copy / "appendix").mkdir()
    shutil.copy(book_copy / "chapters/appendix.qmd", book_copy / "appendix/appendix.qmd")
    config = book_copy / "_quarto.yml"
    edit(config, "    - chapters/appendix.qmd", "    - chapters/appendix.qmd\n    - appendix/appendix.qmd")
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, "chapter appendix/appendix.qmd has the same name as chapters/appendix.qmd")


# -- 9. tracebacks become one line: bad encoding, read-only project, interrupts ----------------


def test_9_a_non_utf8_byte_in_a_chapter_names_file_and_line(book_copy):
    chapter = book_copy / "chapters/figures.qmd"
    data = chapter.read_bytes().replace(b"shows the stages", b"shows the \xe9tapes")
    chapter.write_bytes(data)
    code, out, err = run_build(book_copy)
    line = data.split(b"\n").index(next(l for l in data.split(b"\n") if b"\xe9" in l)) + 1
    one_clear_error(code, err, f"chapters/figures.qmd:{line}: not valid UTF-8: byte 0xe9 at column 21")


def test_9_a_non_utf8_quarto_yml_names_it(book_copy):
    config = book_copy / "_quarto.yml"
    config.write_bytes(config.read_bytes().replace(b"Fixture Book", b"Fixture B\xf6ok"))
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, "_quarto.yml:6: not valid UTF-8: byte 0xf6")


def test_9_a_deeply_nested_quarto_yml_is_one_line(book_copy):
    (book_copy / "_quarto.yml").write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, "_quarto.yml:1: YAML: nested too deeply")


def _read_only_mounts_work() -> bool:
    try:
        return subprocess.run(["unshare", "-rm", "sh", "-c", "mount --bind / /mnt 2>/dev/null || true; true"],
                              capture_output=True, check=False).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not _read_only_mounts_work(), reason="unshare -rm (user and mount namespaces) is not permitted")
def test_9_a_read_only_project_is_one_line(tmp_path):
    """The project is bind-mounted read-only in a private mount namespace: what a read-only
    checkout or volume looks like, for root too (chmod would not stop root)."""
    book = copy_book(tmp_path / "book")
    before = tree(book)
    script = (f'mount --bind "{book}" "{book}" && mount -o remount,bind,ro "{book}" && '
              f'exec "{sys.executable}" -m briefing.cli build --project "{book}"')
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BRIEFING_ROOT", None)
    result = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env, check=False)
    one_clear_error(result.returncode, result.stderr, ".briefing-cache: Read-only file system")
    assert "the project folder must be writable" in result.stderr
    assert tree(book) == before


def _start_build(book: Path, env: dict) -> subprocess.Popen:
    full = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **env}
    full.pop("BRIEFING_ROOT", None)
    return subprocess.Popen([sys.executable, "-m", "briefing.cli", "build", "--project", str(book)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full,
                            start_new_session=True, preexec_fn=ctrl_c_reaches_it)


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never reached the point to interrupt"
        time.sleep(0.05)


def _interrupt_and_check(book: Path, proc: subprocess.Popen, before_book, before_notebooks, tmp: Path):
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "AssertionError" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err
    assert tree(book / OUTPUT) == before_book
    assert tree(book / "chapters/_notebooks") == before_notebooks
    assert not staging_left(book)
    assert not list(tmp.glob("briefing-kernel-*"))


def test_9_ctrl_c_while_a_cell_runs_stops_cleanly_and_kills_the_kernel(book_copy, tmp_path):
    mark, tmp = tmp_path / "cell-started", tmp_path / "tmp"
    tmp.mkdir()
    edit(book_copy / "chapters/numbers.qmd", 'print("stdout line")',
         'print("stdout line")\nimport os, time\nopen(os.environ["MARK"], "w").write(str(os.getpid()))\ntime.sleep(120)')
    before_book, before_nb = tree(book_copy / OUTPUT), tree(book_copy / "chapters/_notebooks")
    proc = _start_build(book_copy, {"MARK": str(mark), "TMPDIR": str(tmp)})
    _wait_for(mark, proc)
    kernel_pid = int(mark.read_text() or 0) or None
    _interrupt_and_check(book_copy, proc, before_book, before_nb, tmp)
    deadline = time.monotonic() + 10
    while kernel_pid and time.monotonic() < deadline:
        try:
            os.kill(kernel_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"kernel {kernel_pid} still runs after the build was interrupted")


def test_9_ctrl_c_while_pandoc_runs_stops_cleanly(book_copy, tmp_path):
    import pypandoc

    mark, tmp = tmp_path / "pandoc-started", tmp_path / "tmp"
    tmp.mkdir()
    slow = tmp_path / "slow-pandoc"
    slow.write_text(f'#!/bin/sh\ncase "$*" in *html5*) touch "{mark}"; sleep 120;; esac\n'
                    f'exec "{pypandoc.get_pandoc_path()}" "$@"\n')
    slow.chmod(0o755)
    edit(book_copy / "chapters/numbers.qmd", "The run took", "In all, the run took")
    before_book, before_nb = tree(book_copy / OUTPUT), tree(book_copy / "chapters/_notebooks")
    proc = _start_build(book_copy, {"PYPANDOC_PANDOC": str(slow), "TMPDIR": str(tmp)})
    _wait_for(mark, proc)
    _interrupt_and_check(book_copy, proc, before_book, before_nb, tmp)


def test_9_sigterm_is_handled_like_ctrl_c(book_copy, tmp_path):
    mark = tmp_path / "cell-started"
    edit(book_copy / "chapters/numbers.qmd", 'print("stdout line")',
         'print("stdout line")\nimport os, time\nopen(os.environ["MARK"], "w").write("1")\ntime.sleep(120)')
    before = tree(book_copy / OUTPUT)
    proc = _start_build(book_copy, {"MARK": str(mark)})
    _wait_for(mark, proc)
    proc.terminate()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert tree(book_copy / OUTPUT) == before and not staging_left(book_copy)


# -- 11. timeouts and dead kernels name the cell ----------------------------------------------


def test_11_a_cell_past_execute_timeout_is_named_by_its_line(book_copy):
    chapter = book_copy / "chapters/figures.qmd"
    edit(chapter, 'title: "Figures"', 'title: "Figures"\nexecute:\n  timeout: 2')
    edit(chapter, 'print("after the hidden warning")', 'print("after the hidden warning")\nimport time\ntime.sleep(60)')
    started = time.monotonic()
    code, out, err = run_build(book_copy)
    assert time.monotonic() - started < 45
    line = line_of(chapter, "import warnings") - 1
    one_clear_error(code, err, f"chapters/figures.qmd:{line}: cell timed out after 2 s (execute: timeout")


def test_11_execute_timeout_in_quarto_yml_applies_and_does_not_restamp(book_copy):
    edit(book_copy / "_quarto.yml", "  warning: false", "  warning: false\n  timeout: 300")
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert "executed " not in out
    edit(book_copy / "_quarto.yml", "  timeout: 300", "  timeout: soon")
    code, out, err = run_build(book_copy)
    line = (book_copy / "_quarto.yml").read_text(encoding="utf-8").splitlines().index("  timeout: soon") + 1
    one_clear_error(code, err, f"_quarto.yml:{line}: execute: timeout must be a finite number of seconds or false, not 'soon'")


def test_11_a_kernel_that_dies_is_named_by_the_cell_line(book_copy):
    chapter = book_copy / "chapters/numbers.qmd"
    edit(chapter, 'print("stdout line")', 'import os\nos._exit(3)')
    code, out, err = run_build(book_copy)
    line = line_of(chapter, "os._exit(3)") - 3
    one_clear_error(code, err, f"chapters/numbers.qmd:{line}: the kernel died while running this cell (exit code 3)")


# -- 12. code spans, link targets and autolinks are not citations -----------------------------


CITATION_CORPUS = [
    "See `@property` and ``@fig-x`` in code.",
    "A bare https://example.org/@user is a citation to pandoc.",
    "An autolink <https://example.org/@auto> and <mailto:a@b.org> are not.",
    "Mail name@example.com or first.last@example.org is not.",
    "A link [text](https://example.org/@inlink) and ![img](https://example.org/@im.png) are not.",
    'Raw <a href="https://example.org/@html">html</a> is not.',
    "Escaped \\@notakey is not; [@deepseekv3] and @deepseekv2 are.",
    "[ref]: https://example.org/@refdef",
]


def _pandoc_citations(text: str) -> list[str]:
    import pypandoc

    result = subprocess.run([pypandoc.get_pandoc_path(), "-f", "markdown+smart-implicit_header_references", "-t", "json"],
                            input=text, capture_output=True, text=True, check=True)
    from briefing.render.render import cite_ids

    return cite_ids(json.loads(result.stdout))


@pytest.mark.parametrize("line", CITATION_CORPUS)
def test_12_citations_are_found_exactly_where_pandoc_finds_them(line):
    from briefing.render.assemble import CITE, mask_non_citations

    ours = [m.group("key") for m in CITE.finditer(mask_non_citations(line))]
    assert ours == _pandoc_citations(line)


def test_12_at_signs_in_code_spans_do_not_fail_the_build(book_copy):
    edit(book_copy / "chapters/numbers.qmd", "Text from data is escaped:",
         "Decorators such as `@property`, or ``@fig-x``, and <https://example.org/@who>. Text from data is escaped:")
    code, out, err = run_build(book_copy)
    assert code == 0, err


# -- 13. no leftovers ---------------------------------------------------------------------------


def test_13_no_kernel_folders_are_left_in_the_temp_directory(book_copy, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    code, out, err = run_build(book_copy, "--refresh", env={"TMPDIR": str(tmp)})
    assert code == 0, err
    assert out.count("executed ") == 4
    assert list(tmp.iterdir()) == []


def test_13_staging_left_by_an_interrupted_build_is_removed(book_copy):
    (book_copy / ".book-staging-abc123").mkdir()
    (book_copy / ".book-staging-abc123" / "index.html").write_text("half")
    (book_copy / ".briefing-cache" / "staging-999999-xyz").mkdir()
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert not staging_left(book_copy)


# -- 14. one build at a time -------------------------------------------------------------------


HOLD_LOCK = """
import sys, time
from pathlib import Path
from briefing.render.lock import project_lock
with project_lock(Path(sys.argv[1]), say=lambda text: None):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_14_a_second_build_waits_for_the_first_and_says_who_holds_the_lock(book_copy):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(book_copy), "3"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    code, out, err = run_build(book_copy)
    holder.wait(timeout=30)
    assert code == 0, err
    assert f"waiting: another build (process {holder.pid}) holds .briefing-cache/build.lock" in out
    assert time.monotonic() - started > 1.5


# -- 15. notebooks are written only when the whole build succeeds ------------------------------


def test_15_a_failed_build_leaves_the_committed_notebooks_untouched(book_copy):
    notebooks = tree(book_copy / "chapters/_notebooks")
    edit(book_copy / "chapters/numbers.qmd", '"Post-training": 5}', '"Post-training": 6}')
    edit(book_copy / "chapters/figures.qmd", "@tbl-hours lists them", "@tbl-missing lists them")
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, "unknown cross-reference @tbl-missing")
    assert "executed chapters/numbers.qmd" in out
    assert tree(book_copy / "chapters/_notebooks") == notebooks


# -- 16. chapter-relative images; unlisted chapters -------------------------------------------


DOT = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>\n'


def test_16_a_chapter_relative_image_is_published_and_set_in_the_pdf(book_copy):
    (book_copy / "chapters/images").mkdir()
    (book_copy / "chapters/images/dot.svg").write_text(DOT)
    edit(book_copy / "chapters/numbers.qmd", "Text from data is escaped:",
         '![A dot](images/dot.svg){fig-alt="A black dot."}\n\nText from data is escaped:')
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert (book_copy / OUTPUT / "chapters/images/dot.svg").read_text() == DOT
    page = (book_copy / OUTPUT / "chapters/numbers.html").read_text()
    assert 'src="../chapters/images/dot.svg"' in page
    assert not (book_copy / OUTPUT / ".typst-work").exists()
    (book_copy / "chapters/images/dot.svg").write_text(DOT.replace('r="4"', 'r="3"'))
    code, out, err = run_build(book_copy)
    assert code == 0 and "nothing changed" not in out, err
    assert 'r="3"' in (book_copy / OUTPUT / "chapters/images/dot.svg").read_text()


def test_16_a_missing_image_names_the_chapter_and_line(book_copy):
    chapter = book_copy / "chapters/numbers.qmd"
    edit(chapter, "Text from data is escaped:", "![A dot](images/missing.svg)\n\nText from data is escaped:")
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, f"chapters/numbers.qmd:{line_of(chapter, 'missing.svg')}: image not found: images/missing.svg")


def test_16_a_chapter_not_listed_in_quarto_yml_is_warned_about(book_copy):
    (book_copy / "chapters/draft.qmd").write_text("---\ntitle: Draft\n---\n\nNot yet.\n")
    (book_copy / "chapters/_partial.qmd").write_text("Included elsewhere.\n")
    code, out, err = run_build(book_copy)
    assert code == 0, err
    assert err.count("chapters/draft.qmd is not listed in _quarto.yml") == 1
    assert "_partial" not in err


def test_5_an_html_only_first_build_says_the_pdf_link_is_dangling(tmp_path):
    book = copy_book(tmp_path / "book")
    code, out, err = run_build(book, "--to", "html")
    assert code == 0, err
    assert "warning: _book/ has no PDF yet" in err
    code, out, err = run_build(book, "--to", "pdf")
    assert code == 0 and "no PDF yet" not in err, err
    assert (book / OUTPUT / "fixture-book.pdf").is_file() and (book / OUTPUT / "index.html").is_file()


# -- what a build writes, and nothing else -----------------------------------------------------


def test_a_build_writes_only_the_output_the_cache_and_the_notebooks(book_copy, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    edit(book_copy / "chapters/numbers.qmd", '"Post-training": 5}', '"Post-training": 6}')
    around = {p.name for p in book_copy.parent.iterdir()}
    before = tree(book_copy)
    code, out, err = run_build(book_copy, "--refresh", env={"TMPDIR": str(tmp)})
    assert code == 0, err
    after = tree(book_copy)
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    assert changed and all(name.startswith(("_book/", ".briefing-cache/", "chapters/_notebooks/")) for name in changed), changed
    assert "chapters/_notebooks/numbers.ipynb" in changed
    assert {p.name for p in book_copy.parent.iterdir()} == around
    assert list(tmp.iterdir()) == []


def _interrupt_a_conversion(tmp_path, monkeypatch, script: str) -> tuple[float, list[str]]:
    """Run pandoc as ``script`` in a worker thread, stop all conversions once it runs; returns the
    seconds the worker took to end after the stop, and what it raised."""
    import threading

    from briefing.render import BuildError, pandoc

    fake = tmp_path / "fake-pandoc"
    fake.write_text(script)
    fake.chmod(0o755)
    monkeypatch.setattr(pandoc, "pandoc_binary", lambda: str(fake))
    pandoc.allow()
    outcome = []

    def convert():
        try:
            pandoc.run_pandoc("x", "html5", {}, {}, [], tmp_path, "page.qmd")
        except BuildError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=convert, daemon=True)
    worker.start()
    deadline = time.monotonic() + 10
    while not pandoc._RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # a shell script has started its child
    started = time.monotonic()
    pandoc.stop_all()
    worker.join(timeout=10)
    assert not worker.is_alive()
    return time.monotonic() - started, outcome


def test_9_an_interrupt_kills_running_pandoc_and_refuses_new_runs(tmp_path, monkeypatch):
    """A worker thread must not start pandoc after an interrupt, nor wait for one still running."""
    from briefing.render import BuildError, pandoc

    seconds, outcome = _interrupt_a_conversion(tmp_path, monkeypatch, "#!/bin/sh\nexec sleep 60\n")
    assert seconds < 5 and outcome and "pandoc failed" in outcome[0]
    with pytest.raises(BuildError, match="the build was interrupted"):
        pandoc.run_pandoc("x", "html5", {}, {}, [], tmp_path, "later.qmd")
    pandoc.allow()


def test_9_an_interrupt_kills_a_pandoc_wrapper_and_the_children_holding_its_pipes(tmp_path, monkeypatch):
    """A wrapper script (as `PYPANDOC_PANDOC` may name) whose child still holds stdout: killing the
    wrapper alone left the build waiting for that child (a CI run hung 60 s on it)."""
    from briefing.render import pandoc

    # not exec: the shell waits on its child, which holds stdout
    seconds, outcome = _interrupt_a_conversion(tmp_path, monkeypatch, "#!/bin/sh\nsleep 60\n")
    pandoc.allow()
    assert seconds < 5 and outcome and "pandoc failed" in outcome[0]


# Issue 19, class 4: every output is bounded, not only printed text.
@pytest.mark.parametrize("code, what", [
    ('from IPython.display import Markdown, display\ndisplay(Markdown("y " * 3_000_000))', "displayed"),
    ('"z" * 6_000_000', "displayed"),
    ('from IPython.display import HTML, display\nfor i in range(3_000):\n    display(HTML(f"<b>{i}</b>"))', "made 3,000 displays"),
])
def test_4_a_huge_display_or_result_is_left_out_with_a_warning(book_copy, code, what):
    chapter = book_copy / "chapters/numbers.qmd"
    edit(chapter, 'print("stdout line")', 'print("stdout line")\n```\n\n```{python}\n' + code)
    code_, out, err = run_build(book_copy)
    assert code_ == 0, err
    assert "warning: chapters/numbers.qmd:" in err and f"the cell {what}" in err, err
    assert (book_copy / OUTPUT / "chapters/numbers.html").stat().st_size < 400_000
    assert (book_copy / "chapters/_notebooks/numbers.ipynb").stat().st_size < 400_000


# Issue 19, class 5: a damaged _book/ is repaired, not reported as up to date.
@pytest.mark.parametrize("damage", ["delete index", "alter page", "delete pdf", "truncate css"])
def test_5_a_damaged_output_is_repaired_by_the_next_build(book_copy, damage):
    out = book_copy / OUTPUT
    page = out / "chapters/numbers.html"
    pdf = next(out.glob("*.pdf"))
    css = next(out.rglob("*.css"))
    before = {p: p.read_bytes() for p in (out / "index.html", page, pdf, css)}
    if damage == "delete index":
        (out / "index.html").unlink()
    elif damage == "alter page":
        page.write_text("<html>edited by hand</html>")
    elif damage == "delete pdf":
        pdf.unlink()
    else:
        css.write_bytes(b"")
    code, stdout, err = run_build(book_copy)
    assert code == 0, err
    assert "nothing changed" not in stdout and "repairing" in stdout
    assert {p: p.read_bytes() for p in before} == before
    code, stdout, err = run_build(book_copy)
    assert code == 0 and "nothing changed" in stdout, stdout


def test_5_a_file_made_in_the_output_during_the_first_build_is_kept(book_copy):
    shutil.rmtree(book_copy / OUTPUT)
    edit(book_copy / "chapters/numbers.qmd", 'print("stdout line")',
         'print("stdout line")\nimport pathlib\npathlib.Path("_book").mkdir(exist_ok=True)\n'
         'pathlib.Path("_book/notes.txt").write_text("mine")')
    code, out, err = run_build(book_copy, "--refresh")
    assert code == 0, err
    assert (book_copy / OUTPUT / "notes.txt").read_text() == "mine"


def test_5_a_hand_made_page_a_new_chapter_would_overwrite_stops_the_build(book_copy):
    page = book_copy / OUTPUT / "chapters/extra.html"
    page.write_text("<html>made by hand</html>")
    (book_copy / "chapters/extra.qmd").write_text("# Extra\n\nA new chapter.\n")
    edit(book_copy / "_quarto.yml", "        - chapters/figures.qmd\n",
         "        - chapters/figures.qmd\n        - chapters/extra.qmd\n")
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, f"{OUTPUT}/chapters/extra.html was not written by a build, and this build writes it")
    assert page.read_text() == "<html>made by hand</html>"


# Issue 19, class 8: citations are what pandoc reads, across lines and blocks, not what a line regex sees.
@pytest.mark.parametrize("text", [
    "<!-- a note for @nobody -->",
    "<!--\nspanning @nobody\nlines -->",
    "Code that spans `lines, with\n@nobody` inside.",
    "Paragraph.\n\n    indented code with @nobody\n",
    "Math $x = @nobody$ and $$\n@nobody\n$$",
])
def test_8_at_signs_pandoc_does_not_read_as_citations_do_not_fail_the_build(book_copy, text):
    edit(book_copy / "chapters/numbers.qmd", "Text from data is escaped:", text + "\n\nText from data is escaped:")
    code, out, err = run_build(book_copy, "--to", "html")
    assert code == 0, err


def test_8_a_citation_only_in_a_footnote_is_in_the_references(book_copy):
    edit(book_copy / "chapters/numbers.qmd", "Text from data is escaped:",
         "A claim.[^src]\n\n[^src]: As reported in @deepseekv2.\n\nText from data is escaped:")
    edit(book_copy / "chapters/figures.qmd", " [@deepseekv2]", "")  # the footnote is now its only citation
    code, out, err = run_build(book_copy, "--to", "html")
    assert code == 0, err
    pages = "".join(p.read_text(encoding="utf-8") for p in (book_copy / OUTPUT).rglob("*.html"))
    assert "ref-deepseekv2" in pages


def test_8_an_unknown_citation_in_a_footnote_is_named_with_its_line(book_copy):
    chapter = book_copy / "chapters/numbers.qmd"
    edit(chapter, "Text from data is escaped:", "A claim.[^x]\n\n[^x]: See @missingkey.\n\nText from data is escaped:")
    code, out, err = run_build(book_copy, "--to", "html")
    one_clear_error(code, err, f"chapters/numbers.qmd:{line_of(chapter, '@missingkey')}: citation @missingkey is not in the bibliography")


# Issue 19, class 4: a process a chapter starts in a session of its own does not outlive the build.
@pytest.mark.parametrize("how", ["start_new_session=True", "start_new_session=False"])
def test_4_a_process_a_chapter_starts_is_stopped_with_its_kernel(book_copy, how):
    from test_warm import ours

    edit(book_copy / "chapters/numbers.qmd", 'print("stdout line")',
         f'print("stdout line")\nimport subprocess\nsubprocess.Popen(["sleep", "300"], {how})')
    code, out, err = run_build(book_copy)
    assert code == 0, err
    deadline = time.monotonic() + 10
    while ours(book_copy.resolve()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours(book_copy.resolve()) == []


def test_5_a_notebook_that_cannot_be_written_after_publishing_says_the_output_was_published(book_copy):
    notebook = book_copy / "chapters/_notebooks/numbers.ipynb"
    notebook.unlink()
    notebook.mkdir()  # the executed notebook cannot be written there
    (notebook / "keep").write_text("")
    edit(book_copy / "chapters/numbers.qmd", 'print("stdout line")', 'print("stdout line, edited")')
    code, out, err = run_build(book_copy)
    assert code == 1 and "Traceback" not in err
    assert "left untouched" not in err
    assert "chapters/_notebooks/numbers.ipynb" in err and f"{OUTPUT}/ is published" in err, err
    assert "stdout line, edited" in (book_copy / OUTPUT / "chapters/numbers.html").read_text()


# -- issue 19, class 5: an output or a cache on another filesystem --------------------------------


def _in_mount_namespace(book: Path, mounts: str, *commands: str) -> subprocess.CompletedProcess:
    """Run ``briefing build`` commands in a private mount namespace after ``mounts`` (a Docker volume or a
    bind mount looks like this to the build); each command's stderr is separated by a line ``==``."""
    build = f'"{sys.executable}" -m briefing.cli build --project "{book}"'
    script = f'cd "{book}" && {mounts} && ' + ' && echo "==" >&2 && '.join(f"{build} {c}" for c in commands)
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BRIEFING_ROOT", None)
    return subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, env=env, check=False)


@pytest.mark.skipif(not _read_only_mounts_work(), reason="unshare -rm (user and mount namespaces) is not permitted")
def test_5_an_output_folder_that_is_a_mount_point_is_published_file_by_file(tmp_path):
    """Before: every build failed with a bare "_book: Device or resource busy" (a mount point cannot be
    renamed). Now its files are replaced one by one, old generated pages go, a hand-made file stays."""
    book = copy_book(tmp_path / "book")
    (book / OUTPUT).mkdir()
    chapter = sorted((book / "chapters").glob("*.qmd"))[0]
    script = (f'mount -t tmpfs none {OUTPUT} && {sys.executable} -m briefing.cli build --project "{book}" --to html '
              f'&& echo "hand-made" > {OUTPUT}/CNAME && mv "{chapter}" "{chapter}.bak" '
              f'&& sed -i "/{chapter.name}/d" _quarto.yml && echo "==" >&2 '
              f'&& {sys.executable} -m briefing.cli build --project "{book}" --to html '
              f'&& echo LISTING && ls -aR {OUTPUT} && cat {OUTPUT}/CNAME')
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BRIEFING_ROOT", None)
    result = subprocess.run(["unshare", "-rm", "sh", "-c", f'cd "{book}" && {script}'],
                            capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    first, second = result.stderr.split("==\n")
    assert "a mount point" in first and "a mount point" in second
    listing = result.stdout.split("LISTING\n")[1]
    page = chapter.with_suffix(".html").name
    assert page not in listing, "the page of the removed chapter is gone"
    assert "index.html" in listing and ".briefing-build.json" in listing
    assert listing.rstrip().endswith("hand-made")
    assert not staging_left(book)


@pytest.mark.skipif(not _read_only_mounts_work(), reason="unshare -rm (user and mount namespaces) is not permitted")
def test_5_a_cache_on_another_filesystem_stages_beside_the_output(tmp_path):
    """Before: "_book: Invalid cross-device link" on every build. Now the staging folder is made beside
    the output folder, swapped in, and gone afterwards; a second build says nothing changed."""
    book = copy_book(tmp_path / "book")
    (book / ".briefing-cache").mkdir()
    result = _in_mount_namespace(book, "mount -t tmpfs none .briefing-cache", "--to html", "--to html",
                                 '--to html && ls -a "{0}" && ls "{0}/{1}"'.format(book, OUTPUT))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.count("nothing changed") == 2
    assert "index.html" in result.stdout
    assert "._book.staging" not in result.stdout and not staging_left(book)
