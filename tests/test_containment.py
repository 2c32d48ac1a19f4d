"""Issue 19, class 1: every path that enters the build resolves inside the project, and everything
published comes from inside it. Each test tries several members of the class, not only the probe's example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from briefing import data
from conftest import run_build
from test_reliability import one_clear_error

OUTPUT = "_book"


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text("SECRET\n")
    return path


def add_image(book: Path, src: str) -> None:
    chapter = book / "chapters/numbers.qmd"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("Text from data is escaped:", f"![x]({src})\n\nText from data is escaped:", 1),
                       encoding="utf-8")


@pytest.mark.parametrize("layout", ["file", "folder"])
def test_an_image_that_is_a_link_to_a_file_outside_is_refused(book_copy, secret, layout):
    if layout == "file":
        (book_copy / "chapters/images").mkdir()
        (book_copy / "chapters/images/notes.txt").symlink_to(secret)
        add_image(book_copy, "images/notes.txt")
    else:  # a folder inside the project that is a link to one outside
        (book_copy / "chapters/pics").symlink_to(secret.parent)
        add_image(book_copy, "pics/secret.txt")
    before = (book_copy / OUTPUT / "index.html").read_bytes()
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, "image outside the project")
    assert (book_copy / OUTPUT / "index.html").read_bytes() == before
    assert not any("SECRET" in p.read_text(errors="replace") for p in (book_copy / OUTPUT).rglob("*.txt"))


@pytest.fixture
def pkg(tmp_path) -> Path:
    folder = tmp_path / "pkg" / "data"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("a note\n")
    descriptor = {"name": "p", "resources": [{"name": "notes", "path": "notes.txt", "format": "txt",
                                               "mediatype": "text/plain", "hash": data.sha256(folder / "notes.txt"),
                                               "x_provenance": "the package's own notes"}]}
    (folder / data.DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


@pytest.mark.parametrize("path", ["../../../../../../etc/passwd", "/etc/passwd", "sub/../../secret.txt"])
def test_a_resource_path_that_leaves_the_data_folder_is_refused(pkg, path):
    descriptor = json.loads((pkg / data.DESCRIPTOR).read_text())
    descriptor["resources"][0]["path"] = path
    (pkg / data.DESCRIPTOR).write_text(json.dumps(descriptor), encoding="utf-8")
    problems = [str(p) for p in data.validate(pkg)]
    assert f'data/datapackage.json:-:notes.path: "{path}" is not a path inside data/' in problems
    with pytest.raises(data.DataError):
        data.read_file(path, pkg)


@pytest.mark.parametrize("name", ["NOTES.md", "notes.txt", "configs/extra.json"])
def test_a_data_file_that_is_a_link_to_a_file_outside_is_refused(pkg, secret, name):
    target = pkg / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    target.symlink_to(secret)
    problems = [str(p) for p in data.validate(pkg)]
    assert any(p.startswith(f"data/{name}:") and "a link to a file outside data/" in p for p in problems), problems


@pytest.mark.parametrize("name", ["../../escaped.txt", "/tmp/escaped-absolute.txt", "sub/../../../escaped.txt"])
def test_a_tampered_build_record_never_makes_the_build_write_outside_the_output(book_copy, tmp_path, name):
    record = book_copy / OUTPUT / ".briefing-build.json"
    state = json.loads(record.read_text())
    state["formats"]["pdf"]["files"].append(name)
    record.write_text(json.dumps(state))
    outside = Path(os.path.normpath(book_copy / OUTPUT / name))
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_text("not ours\n")
    index = book_copy / "index.qmd"
    index.write_text(index.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")  # so it publishes
    code, out, err = run_build(book_copy, "--to", "html")
    assert code == 0, err
    assert outside.read_text() == "not ours\n" and outside.stat().st_nlink == 1
    outside.unlink()


@pytest.mark.parametrize("what", ["lock", "cache"])
def test_a_lock_or_cache_that_is_a_link_is_refused_and_its_target_untouched(book_copy, secret, what):
    cache = book_copy / ".briefing-cache"
    if what == "lock":
        cache.mkdir(exist_ok=True)
        (cache / "build.lock").unlink(missing_ok=True)
        (cache / "build.lock").symlink_to(secret)
        expected = ".briefing-cache/build.lock is a symbolic link"
    else:
        import shutil

        shutil.rmtree(cache, ignore_errors=True)
        cache.symlink_to(secret.parent)
        expected = ".briefing-cache is a symbolic link"
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, expected)
    assert secret.read_text() == "SECRET\n" and sorted(p.name for p in secret.parent.iterdir()) == ["secret.txt"]


@pytest.mark.parametrize("target", ["docs", "code/empty"])
def test_an_output_folder_that_is_a_link_is_refused(book_copy, target):
    import shutil

    (book_copy / target).mkdir(parents=True)
    (book_copy / target / "page.html").write_text("kept\n")
    shutil.rmtree(book_copy / OUTPUT)
    (book_copy / OUTPUT).symlink_to(book_copy / target)
    code, out, err = run_build(book_copy)
    one_clear_error(code, err, f"output-dir '{OUTPUT}' is a symbolic link")
    assert (book_copy / OUTPUT).is_symlink() and sorted(p.name for p in (book_copy / target).iterdir()) == ["page.html"]


@pytest.mark.parametrize("path", ["/dev/zero", "fifo", "folder"])
def test_briefing_arch_refuses_what_is_not_a_regular_file(tmp_path, path):
    if path == "fifo":
        path = str(tmp_path / "config.json")
        os.mkfifo(path)
    elif path == "folder":
        path = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "briefing.cli", "arch", path], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "not a regular file" in done.stderr or "cannot read" in done.stderr, done.stderr
