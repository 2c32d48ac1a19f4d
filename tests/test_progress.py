"""A build's progress lines (issue 12): plain lines in a log, a live block on a terminal."""

from __future__ import annotations

import io
import time

from briefing.render.progress import Progress


def test_in_a_log_each_change_is_one_plain_line_in_order():
    out = io.StringIO()
    progress = Progress(out)  # StringIO is not a terminal
    progress.done("index.qmd", "frozen")
    for name in ("a.qmd", "b.qmd"):
        progress.queue(name)
    progress.start("a.qmd")
    progress.start("b.qmd")
    progress.done("b.qmd", "executed", 0.5)
    progress.done("a.qmd", "failed")
    assert out.getvalue().splitlines() == [
        "frozen   index.qmd (0.00 s)", "executing a.qmd", "executing b.qmd", "executed b.qmd (0.50 s)", "failed   a.qmd"]
    assert "\x1b" not in out.getvalue()


def test_on_a_terminal_the_block_is_redrawn_in_place_with_elapsed_time():
    out = io.StringIO()
    progress = Progress(out, live=True)
    progress.queue("a.qmd")
    progress.queue("b.qmd")
    progress.start("a.qmd")
    time.sleep(0.6)  # two ticks of the redraw
    progress.done("a.qmd", "executed", 0.61)
    progress.done("b.qmd", "frozen")
    progress.finish()
    text = out.getvalue()
    assert "\x1b[2F" in text  # back up over the two lines of the block
    assert "executing a.qmd (0." in text and "queued   b.qmd" in text
    last = text.rsplit("\x1b[2F", 1)[1].replace("\x1b[2K", "").splitlines()
    assert last == ["executed a.qmd (0.61 s)", "frozen   b.qmd (0.00 s)"]
