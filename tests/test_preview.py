"""`briefing preview` (issue 12): it serves, rebuilds on a prose edit, a code edit and a data edit
(re-executing only the chapter concerned), reloads the open page, shows a failed build over the last
good page and recovers, and leaves nothing running after Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ARTIFACTS, EPOCH, ctrl_c_reaches_it
from test_site import CHROMIUM, CHROMIUM_FLAGS
from test_warm import ours, server_of

TIMEOUT = 60
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")


class Preview:
    """A `briefing preview` process, its output collected line by line."""

    def __init__(self, project: Path, tmp: Path | None = None):
        env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
        env.pop("BRIEFING_ROOT", None)
        if tmp is not None:  # its temporary folders, apart from any other build's on the machine
            env["TMPDIR"] = str(tmp)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "briefing.cli", "preview", "--project", str(project)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, preexec_fn=ctrl_c_reaches_it)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        line = self.wait_line(r"preview: serving .* at (http://127\.0\.0\.1:\d+/)")
        self.url = re.search(r"(http://127\.0\.0\.1:\d+/)", line).group(1)

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pattern: str, after: int = 0) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if re.search(pattern, line):
                    return line
            if self.process.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read().decode("utf-8")

    def state(self) -> dict:
        return json.loads(self.get("__preview__/state"))

    def until(self, check, what: str):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(self.lines))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


@pytest.fixture
def preview(book_copy):
    (book_copy / "data").mkdir()
    (book_copy / "data/stage.txt").write_text("Pre-training\n", encoding="utf-8")
    figures = book_copy / "chapters/figures.qmd"
    figures.write_text(figures.read_text(encoding="utf-8") + "\n\n```{python}\nstage = open('data/stage.txt').read()"
                       ".strip()\n```\n\nThe longest stage is `{python} stage`.\n", encoding="utf-8")
    tmp = book_copy.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    running = Preview(book_copy, tmp)
    yield running, book_copy
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_preview_serves_rebuilds_reloads_shows_errors_and_stops_clean(preview):
    run, book = preview
    tmp = book.parent / "tmp"  # the preview's TMPDIR: another build on the machine has its own folders in /tmp
    before_tmp = set(tmp.glob("briefing-*"))
    assert '<script src="/__preview__/reload.js"></script>' in run.get("chapters/numbers.html")
    assert "reload.js" not in (book / "_book/chapters/numbers.html").read_text(encoding="utf-8")  # added on the way out
    assert run.state() == {"generation": 1, "problem": None}
    assert "longest stage is Pre-training" in text_of(run.get("chapters/figures.html"))
    pdf = book / "_book/fixture-book.pdf"
    run.until(lambda: any("PDF rebuilt" in line for line in run.lines), "the background PDF")

    from playwright.sync_api import sync_playwright

    numbers = book / "chapters/numbers.qmd"
    source = numbers.read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(run.url + "chapters/numbers.html")

        # a prose edit: the open page reloads by itself and shows it
        mark = len(run.lines)
        pdf_before = pdf.stat().st_mtime_ns
        numbers.write_text(source + "\n\nA sentence added in the preview.\n", encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('A sentence added in the preview.')",
                               timeout=TIMEOUT * 1000)
        run.wait_line(r"HTML rebuilt", mark)
        assert not [line for line in run.lines[mark:] if line.startswith("executed ")]
        run.until(lambda: pdf.stat().st_mtime_ns != pdf_before, "the PDF after the prose edit")

        # a code edit re-executes that chapter only
        mark = len(run.lines)
        numbers.write_text(source.replace('"Post-training": 5}', '"Post-training": 6}'), encoding="utf-8")
        page.wait_for_function("document.body.innerText.includes('2,789 thousand GPU-hours')", timeout=TIMEOUT * 1000)
        run.wait_line(r"HTML rebuilt", mark)
        assert [line.split()[1] for line in run.lines[mark:] if line.startswith("executed ")] == ["chapters/numbers.qmd"]

        # a data edit re-executes the chapter that read the file, and no other
        mark = len(run.lines)
        (book / "data/stage.txt").write_text("Context extension\n", encoding="utf-8")
        run.until(lambda: "longest stage is Context extension" in text_of(run.get("chapters/figures.html")),
                  "the data edit")
        run.wait_line(r"HTML rebuilt", mark)
        assert [line.split()[1] for line in run.lines[mark:] if line.startswith("executed ")] == ["chapters/figures.qmd"]

        # a broken cross-reference: terminal and page name the file and line; the last good page stays
        good = run.get("chapters/numbers.html")
        broken = numbers.read_text(encoding="utf-8") + "\nSee @fig-nowhere.\n"
        numbers.write_text(broken, encoding="utf-8")
        line_no = broken.count("\n")
        problem = run.until(lambda: run.state()["problem"], "the error state")
        assert f"chapters/numbers.qmd:{line_no}: unknown cross-reference @fig-nowhere" in problem
        run.wait_line(rf"error: chapters/numbers\.qmd:{line_no}: unknown cross-reference")
        page.wait_for_selector("#briefing-preview-problem", timeout=TIMEOUT * 1000)
        assert f"chapters/numbers.qmd:{line_no}" in page.inner_text("#briefing-preview-problem")
        page.screenshot(path=str(ARTIFACTS / "screenshots" / "preview-error-1280.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        box = page.locator("#briefing-preview-problem").bounding_box()
        assert box["width"] <= 390 and box["height"] <= 844 / 2 + 1  # never more than half the screen
        page.screenshot(path=str(ARTIFACTS / "screenshots" / "preview-error-390.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
        assert run.get("chapters/numbers.html") == good

        # fixed: the overlay goes, the page reloads with the fix
        generation = run.state()["generation"]
        numbers.write_text(broken.replace("See @fig-nowhere.", "See @tbl-hours."), encoding="utf-8")
        run.until(lambda: run.state() == {"generation": generation + 1, "problem": None}, "recovery")
        page.wait_for_function("!document.getElementById('briefing-preview-problem')", timeout=TIMEOUT * 1000)
        browser.close()

    assert ours(book)  # the warm-kernel server waits for the next edit
    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(timeout=30) == 130
    deadline = time.monotonic() + 5
    while ours(book) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours(book) == []
    assert set(tmp.glob("briefing-*")) <= before_tmp
    with pytest.raises(OSError):
        urllib.request.urlopen(run.url, timeout=2)


def test_a_killed_kernel_server_is_replaced_at_the_next_rebuild(preview):
    """Issue 19, class 7: the preview used to hand every later rebuild to the dead server, and each one
    failed on the chapters; now it says so and starts a new server."""
    run, book = preview
    server = run.until(lambda: server_of(book.resolve()), "the kernel server")
    os.kill(server, signal.SIGKILL)
    mark = len(run.lines)
    numbers = book / "chapters/numbers.qmd"
    numbers.write_text(numbers.read_text(encoding="utf-8").replace('"Post-training": 5}', '"Post-training": 6}'),
                       encoding="utf-8")
    run.wait_line(r"preview: the kernel server stopped \(killed by SIGKILL\); starting a new one", mark)
    run.wait_line(r"HTML rebuilt", mark)
    assert "2,789 thousand GPU-hours" in text_of(run.get("chapters/numbers.html"))
    assert not [line for line in run.lines[mark:] if line.startswith("error")]
