"""The data package validated once per build, keyed on its files' hashes.

Every ``briefing.data.load`` in a chapter would validate its table (and, for
foreign keys, read every table): with eleven chapters that is the same work
eleven times. The build instead validates the whole package once per state of
``data/`` (:func:`briefing.data.package_key`: every file's name and bytes and the
validator's source), remembers a clean state in ``.briefing-cache/validated/``,
and hands the key to its kernels (``BRIEFING_DATA_VALIDATED``), whose loads then
only read. A kernel started any other way (nbval in the tests) validates as before.

The validation runs in a thread while the warm-kernel server preloads; the build
waits for it before any chapter runs, and a problem fails the build with one line
per problem (file, row, column), before a chapter could fail on it.
"""

from __future__ import annotations

import threading
from pathlib import Path

from briefing.render import BuildError
from briefing.render.cache import Cache

DESCRIPTOR = "datapackage.json"
SHOWN = 20


class PackageCheck:
    """Validate ``root/data`` in the background; :meth:`result` raises BuildError on a problem."""

    def __init__(self, root: Path):
        self.folder = Path(root) / "data"
        self.cache = Cache(root, "validated", ".ok")
        self.key: str | None = None
        self.problems: list = []
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        if not (self.folder / DESCRIPTOR).is_file():
            return
        from briefing import data

        self.key = data.package_key(self.folder)
        if self.cache.get(self.key) is None:
            self.thread = threading.Thread(target=self._run, name="briefing-validate", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        from briefing import data

        try:
            self.problems = data.validate(self.folder)
        except BaseException as exc:  # reported by result(), in the build's thread
            self.error = exc

    def env(self) -> dict[str, str]:
        """What a kernel needs to skip per-table validation of this package state."""
        from briefing.data import VALIDATED_ENV

        return {VALIDATED_ENV: self.key} if self.key else {}

    def result(self) -> None:
        """Wait for the validation; record a clean state, or raise naming every problem."""
        if self.thread is None:
            return
        self.thread.join()
        self.thread = None
        if self.error is not None:
            raise self.error
        if self.problems:
            lines = [str(p) for p in self.problems[:SHOWN]]
            if len(self.problems) > SHOWN:
                lines.append(f"… and {len(self.problems) - SHOWN} more (run `briefing check`)")
            raise BuildError("\n".join(lines))
        self.cache.put(self.key, b"clean\n")
