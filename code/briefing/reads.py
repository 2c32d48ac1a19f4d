"""What a chapter read: the record its stamp and its provenance are built from.

Two ways in, one record:

* :mod:`briefing.data` declares each file it hands over (``load``, ``load_config``,
  ``read_file``) with the hash the descriptor records and the read has verified;
* an audit hook (PEP 578, :func:`sys.addaudithook`), installed when this module is
  first imported, catches everything else: an ``open`` of a file under the project's
  ``data/`` (``open()``, ``pandas.read_csv("data/x.csv")``, ``json.load``), a listing
  of a folder under ``data/`` (``os.listdir``, ``os.scandir``, ``glob``, ``Path.iterdir``),
  and a module imported from ``code/`` outside the ``briefing`` library, whose files
  every stamp counts anyway (the library is the package without its tools: the engine, the
  preview, ``diff`` and ``release``, which a chapter that imports them is stamped with).

``briefing.data`` reads other files while validating (foreign keys read every table,
the descriptor is read on every call): those reads are its own, made inside
:func:`quiet`, and are not the chapter's. What the hook cannot see is a file opened
by C code that bypasses Python's ``open`` (a C library calling ``fopen``).

The engine asks the kernel for :func:`record` after a chapter's last cell; the
stamp then covers exactly the files the chapter read (see
:mod:`briefing.render.notebook`), and the reader sees the data files at the foot of
the page.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading

from briefing import paths

_DECLARED: dict[str, str] = {}
_OPENED: set[str] = set()
_LISTED: set[str] = set()
_STATE = threading.local()
_EVENTS = {"open", "os.listdir", "os.scandir", "glob.glob", "glob.glob/2"}
_MAGIC = ("*", "?", "[")


def _prefix(folder) -> str:
    return os.path.normpath(str(folder)) + os.sep


TOOLS = ("render", "preview", "diff", "release", "quarto", "cli")  # the package's tools, which chapters do not use
_DATA = _prefix(paths.DATA)
_CODE = _prefix(paths.CODE)
_CORE = _prefix(paths.CODE / "briefing")
_TOOLS = tuple(p for tool in TOOLS for p in (_prefix(paths.CODE / "briefing" / tool),
                                            str(paths.CODE / "briefing" / f"{tool}.py")))


def declare(path: str, digest: str) -> None:
    """Record that ``briefing.data`` handed over ``path`` (in data/), verified as ``digest``."""
    _DECLARED[path] = digest


@contextlib.contextmanager
def quiet():
    """Reads made inside are the library's own (validation), not the chapter's."""
    _STATE.depth = getattr(_STATE, "depth", 0) + 1
    try:
        yield
    finally:
        _STATE.depth -= 1


def reset() -> None:
    """Forget what was read (a forked kernel starts with an empty record)."""
    _DECLARED.clear()
    _OPENED.clear()
    _LISTED.clear()


def _absolute(target) -> str | None:
    if isinstance(target, int) or target is None:
        return None
    target = os.fsdecode(os.fspath(target))
    return os.path.normpath(os.path.join(os.getcwd(), target))


def _listing_folder(pattern) -> str | None:
    """The folder a glob pattern lists: its path up to the first wildcard."""
    text = os.fsdecode(os.fspath(pattern))
    cut = min((text.find(m) for m in _MAGIC if m in text), default=len(text))
    return os.path.dirname(text[:cut]) or "."


def _hook(event: str, args: tuple) -> None:
    if event not in _EVENTS or getattr(_STATE, "depth", 0):
        return
    try:
        if event == "open":
            where = _absolute(args[0])
            if where is None:
                return
            if where.startswith(_DATA):
                _OPENED.add(where[len(_DATA):].replace(os.sep, "/"))
            elif where.startswith(_CODE) and (not where.startswith(_CORE) or where.startswith(_TOOLS)):
                _OPENED.add(_source_of("code/" + where[len(_CODE):]))
            return
        folder = _listing_folder(args[0]) if event.startswith("glob") else (args[0] if args[0] is not None else ".")
        where = _absolute(folder)
        if where is not None and (where + os.sep).startswith(_DATA):
            _LISTED.add(where[len(_DATA):].replace(os.sep, "/") if len(where) >= len(_DATA) else "")
    except Exception:  # an audit hook that raises would break the chapter's open()
        pass


def _source_of(name: str) -> str:
    """``code/pkg/__pycache__/mod.cpython-311.pyc`` → ``code/pkg/mod.py``; other names as they are."""
    name = name.replace(os.sep, "/")
    folder, _, base = name.rpartition("/")
    if folder.endswith("__pycache__") and base.endswith(".pyc"):
        return f"{folder[:-len('/__pycache__')]}/{base.split('.')[0]}.py"
    return name


def _file_hash(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return "sha256:" + hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return "absent"


def data_reads() -> list[tuple[str, str]]:
    """Every file of data/ the chapter read, ``(path in data/, "sha256:…")``, sorted by path.

    Files handed over by ``briefing.data`` carry the hash the descriptor records
    (just verified); files opened any other way carry their hash as read now.
    """
    found = dict(_DECLARED)
    with quiet():
        for name in _OPENED:
            if not name.startswith("code/") and name not in found:
                found[name] = _file_hash(_DATA + name)
    return sorted(found.items())


def other_reads() -> list[tuple[str, str]]:
    """Folders of data/ listed (``data/NAME/``, hashed over the names they hold) and modules of
    code/ outside the ``briefing`` package imported (``code/…py``, hashed over their source)."""
    found = {}
    with quiet():
        for name in _OPENED:
            if name.startswith("code/"):
                found[name] = _file_hash(str(paths.ROOT / name))
        for folder in _LISTED:
            found[f"data/{folder}/".replace("//", "/")] = listing_hash(_DATA + folder)
    return sorted(found.items())


def listing_hash(folder: str) -> str:
    """SHA-256 over the sorted names a folder holds: what a listing of it returns."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return "absent"
    return "listing:" + hashlib.sha256("\n".join(names).encode()).hexdigest()


def record() -> dict[str, list[tuple[str, str]]]:
    """The chapter's record, as its last cell shows it: ``{"data": data_reads(), "other": other_reads()}``."""
    return {"data": data_reads(), "other": other_reads()}


sys.addaudithook(_hook)
