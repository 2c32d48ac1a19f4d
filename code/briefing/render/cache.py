"""A content-addressed cache of rendered pieces, in ``.briefing-cache/<namespace>/``.

Each entry is written atomically and begins with the SHA-256 of its payload,
checked on every read: an entry cut short by a full disk or a crash, or
edited by hand, is discarded and rebuilt, never used. Entries a build did not
use are pruned at the end of a successful build, so the cache holds one
build's worth of pieces.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from briefing.files import write_atomic
from briefing.render.output import cache_dir, make_dirs

MAGIC = b"briefing-cache-1 "


class Cache:
    def __init__(self, root: Path, namespace: str, suffix: str = ""):
        self.folder = cache_dir(root) / namespace
        self.suffix = suffix
        self.used: set[str] = set()

    def _path(self, key: str) -> Path:
        return self.folder / (key + self.suffix)

    def get(self, key: str) -> bytes | None:
        """The payload stored under ``key``, or None when absent or damaged."""
        self.used.add(key)
        path = self._path(key)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        header_end = blob.find(b"\n")
        if not blob.startswith(MAGIC) or header_end < 0:
            path.unlink(missing_ok=True)
            return None
        digest, payload = blob[len(MAGIC):header_end].decode("ascii", "replace"), blob[header_end + 1:]
        if hashlib.sha256(payload).hexdigest() != digest:
            path.unlink(missing_ok=True)
            return None
        return payload

    def put(self, key: str, payload: bytes) -> None:
        self.used.add(key)
        make_dirs(self.folder)
        header = MAGIC + hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n"
        write_atomic(self._path(key), header + payload)

    def prune(self) -> int:
        """Delete the entries this build did not use; returns how many went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            key = path.name[: -len(self.suffix)] if self.suffix and path.name.endswith(self.suffix) else path.name
            if key not in self.used and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
        return removed
