"""One build at a time per project: an advisory lock on ``.briefing-cache/build.lock``.

The lock is an ``flock`` on an open file, so it is released by the kernel when
the holding process ends, however it ends; a second build waits for it and
says which process holds it. Stale staging folders are only ever removed by
the holder of the lock.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from briefing.render import BuildError
from briefing.render.output import CACHE_DIR, cache_dir

LOCK_NAME = "build.lock"


def holder(lock_file: Path) -> str:
    try:
        text = lock_file.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""


@contextmanager
def project_lock(root: Path, say=print):
    """Hold the project's build lock for the ``with`` block; wait (saying so) if another build holds it."""
    path = cache_dir(root) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o666)
    except OSError as exc:
        if path.is_symlink():
            raise BuildError(f"{CACHE_DIR}/{LOCK_NAME} is a symbolic link: remove it (the lock is written to)") from None
        raise
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = holder(path)
            who = f"process {pid}" if pid else "another process"
            say(f"waiting: another build ({who}) holds {path.relative_to(root).as_posix()}")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)
