"""Reading and writing the project's files safely.

Reading: :func:`read_text` decodes UTF-8 and, when a file is not, says where
(``chapters/x.qmd:12: not valid UTF-8: byte 0xff at column 7``) instead of a
traceback; :func:`read_json` also bounds the nesting depth that the JSON
decoder would otherwise turn into a ``RecursionError``.

Writing: :func:`write_atomic` writes to a temporary name beside the target,
flushes and fsyncs it, gives it the usual permissions (``0666`` less the
umask, so ``0644`` by default, where ``mkstemp`` would leave ``0600``) and
renames it over the target, so a reader sees the old file or the new one,
never half of one, even after a crash or a full disk.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)
os.umask(_UMASK)
FILE_MODE = 0o666 & ~_UMASK
DIR_MODE = 0o777 & ~_UMASK


class FileProblem(ValueError):
    """A file that cannot be read as it should: ``NAME:LINE: message`` (LINE may be unknown)."""

    def __init__(self, name: str, line: int | None, message: str):
        self.name, self.line, self.message = name, line, message
        super().__init__(f"{name}:{line}: {message}" if line else f"{name}: {message}")


def decode_utf8(data: bytes, name: str, bom: str = "strip") -> str:
    """Decode ``data`` as UTF-8; a byte-order mark is stripped (``bom="strip"``) or reported (``"error"``)."""
    if data.startswith(codecs.BOM_UTF8):
        if bom == "error":
            raise FileProblem(name, 1, "starts with a UTF-8 byte-order mark (BOM): save it as UTF-8 without a BOM")
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FileProblem(name, line, f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column}; "
                                      "save the file as UTF-8") from None


MAX_INPUT_BYTES = 512 * 1024 * 1024


def inside(root: Path, path: Path) -> bool:
    """True when ``path`` is ``root`` or below it, both as written (``..`` resolved) and after following
    symbolic links: the one test every path that enters the build passes."""
    root = Path(os.path.realpath(root))
    lexical = Path(os.path.normpath(Path(root) / path))
    real = Path(os.path.realpath(lexical))
    return all(p == root or root in p.parents for p in (lexical, real))


def _regular(path: Path, shown: str) -> None:
    """Raise :class:`FileProblem` unless ``path`` is a regular file (a device such as ``/dev/zero`` or a
    FIFO would fill memory or block); an ``OSError`` from ``stat`` is left to the caller."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise FileProblem(shown, None, f"cannot read: not a regular file ({kind})")


def read_bytes(path: Path, name: str | None = None, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes. Only a regular file is read, and only up to ``limit`` bytes; anything else, or an
    unreadable file (missing, a folder, no permission), is a :class:`FileProblem`."""
    shown = name or str(path)
    try:
        _regular(path, shown)
        with open(path, "rb") as fh:
            content = fh.read(limit + 1)
    except OSError as exc:
        raise FileProblem(shown, None, f"cannot read: {exc.strerror or exc}") from None
    if len(content) > limit:
        raise FileProblem(shown, None, f"cannot read: larger than {limit:,} bytes")
    return content


def read_text(path: Path, name: str | None = None, bom: str = "strip") -> str:
    """The file decoded as UTF-8 (see :func:`decode_utf8`); ``name`` is how messages call it."""
    return decode_utf8(read_bytes(path, name), name or str(path), bom)


def check_utf8(path: Path, name: str | None = None, bom: str = "strip") -> None:
    """Check, one line at a time, that a regular file decodes as UTF-8 (as :func:`decode_utf8` would
    say it does not), so that a large file can then be streamed as text without holding it in memory."""
    shown = name or str(path)
    try:
        _regular(path, shown)
        with open(path, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                decode_utf8(line, shown, bom if number == 1 else "strip")
    except FileProblem as exc:
        if exc.line is None or number == 1:
            raise
        raise FileProblem(shown, number, exc.message) from None
    except OSError as exc:
        raise FileProblem(shown, None, f"cannot read: {exc.strerror or exc}") from None


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in blocks of 1 MiB."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _NotFinite(ValueError):
    def __init__(self, token: str):
        super().__init__(token)
        self.token = token


def _not_finite(token: str):
    raise _NotFinite(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NotFinite(token)
    return value


def parse_json(text: str, name: str) -> Any:
    """Parse JSON text; bad JSON, a number that is not finite (``NaN``, ``Infinity``, ``1e999``: not JSON by
    RFC 8259, though Python's decoder takes them) or nesting too deep for the decoder is a :class:`FileProblem`."""
    try:
        return json.loads(text, parse_constant=_not_finite, parse_float=_finite_float)
    except _NotFinite as exc:
        at = text.find(exc.token)
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
        raise FileProblem(name, line, f"not valid JSON: {exc.token} is not a finite number") from None
    except json.JSONDecodeError as exc:
        raise FileProblem(name, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise FileProblem(name, None, "not usable JSON: nested too deeply") from None


def read_json(path: Path, name: str | None = None) -> Any:
    """The file parsed as UTF-8 JSON."""
    name = name or str(path)
    return parse_json(read_text(path, name), name)


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes | str, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` in one rename: temporary name in the same folder, fsync, rename.

    The temporary file is removed if anything fails (a full disk, an interrupt),
    so a failure leaves the previous file as it was.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{os.getpid()}.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        fsync_dir(path.parent)
