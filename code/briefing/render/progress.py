"""A build's progress, one line per chapter: queued, executing (with elapsed time), done, from cache.

On a terminal the lines are live: the block of chapters is redrawn in place four
times a second while kernels run, then left as the final record. Anywhere else
(a log, CI, a pipe) each change is one plain line, in the order it happened:
``executing NAME``, then ``executed NAME (1.23 s)``, ``frozen   NAME (0.00 s)`` or
``failed   NAME``.
"""

from __future__ import annotations

import threading
import time

TICK = 0.25


class Progress:
    def __init__(self, out, live: bool | None = None):
        self.out = out
        self.live = bool(out.isatty()) if live is None and hasattr(out, "isatty") else bool(live)
        self.lock = threading.Lock()
        self.rows: dict[str, list] = {}
        self.drawn = 0
        self.ticker: threading.Thread | None = None

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def queue(self, name: str) -> None:
        with self.lock:
            self.rows[name] = ["queued", None, None]
            if self.live:
                self._draw()

    def start(self, name: str) -> None:
        with self.lock:
            self.rows[name] = ["executing", time.perf_counter(), None]
            if self.live:
                self._draw()
                if self.ticker is None:
                    self.ticker = threading.Thread(target=self._tick, name="briefing-progress", daemon=True)
                    self.ticker.start()
            else:
                self._print(f"executing {name}")

    def done(self, name: str, how: str, seconds: float = 0.0) -> None:
        """``how`` is "executed", "frozen" or "failed"."""
        with self.lock:
            shown = self.live and self.drawn and name in self.rows
            self.rows[name] = [how, None, seconds]
            if shown:
                self._draw()
            else:
                self._print(self.line(name))
                del self.rows[name]

    def line(self, name: str) -> str:
        state, started, seconds = self.rows[name]
        if state == "executing":
            return f"executing {name} ({time.perf_counter() - started:.1f} s)"
        if state == "queued":
            return f"queued   {name}"
        if state == "failed":
            return f"failed   {name}"
        return f"{state:<8} {name} ({seconds:.2f} s)"

    def _draw(self) -> None:
        lines = [self.line(name) for name in self.rows]
        up = f"\x1b[{self.drawn}F" if self.drawn else ""
        self.out.write(up + "".join(f"\x1b[2K{text}\n" for text in lines))
        self.out.flush()
        self.drawn = len(lines)

    def _tick(self) -> None:
        while True:
            time.sleep(TICK)
            with self.lock:
                if not any(row[0] in ("executing", "queued") for row in self.rows.values()):
                    self.ticker = None
                    return
                self._draw()

    def finish(self) -> None:
        """Stop redrawing: the block stays as the record and later output goes below it."""
        with self.lock:
            self.rows.clear()
            self.drawn = 0
