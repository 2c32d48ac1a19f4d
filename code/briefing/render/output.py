"""The output folder (``_book/``): where it may be, how it is known to be ours, how it is replaced.

A build never writes outside the output folder and the cache (``.briefing-cache/``).
It renders into a staging folder inside the cache (beside the output folder when
the two are on different filesystems), then publishes it in one rename (an atomic
exchange where the kernel offers ``renameat2``), so a reader or a web server sees
the old site or the new one, never a mix. An output folder that is a mount point
cannot be renamed: its files are replaced one at a time (:func:`mirror`).

The output folder must be a new folder, or one a build made: every published
folder carries a build record (``.briefing-build.json``) listing the files the
build wrote, per format. A folder without one is refused rather than replaced,
and a file in the output folder that no build wrote is carried into the new
output (with a warning), never deleted. A build of one format (``--to html``)
carries the other format's last good files over.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from briefing.files import DIR_MODE, fsync_dir, inside, write_atomic
from briefing.render import BuildError, PublishedButIncomplete

RECORD = ".briefing-build.json"
CACHE_DIR = ".briefing-cache"
QUARTO_STEPS_DIR = f"{CACHE_DIR}/quarto"
"""Where the extension's pre-render step writes what real Quarto reads (the filters' metadata, the PDF's generated
appendices); the built-in engine makes the same things itself and reads nothing there."""
STAGING_PREFIX = "staging-"
RETIRED_PREFIX = "retired-"
LEGACY_STAGING = ".book-staging-"
FORMATS = ("html", "pdf")


class OutputFolderError(ValueError):
    """The configured output folder is not one a build may write."""


def check_output_dir(root: Path, output_dir: str, sources: list[Path], source_folders: list[Path]) -> Path:
    """Resolve ``output-dir`` and refuse any folder whose replacement could lose a source.

    Allowed: a folder strictly inside the project, outside every source folder
    (``source_folders``: data/, code/, chapters/, .git, ...), holding no source
    file (``sources``), and either absent, empty, or carrying a build record.
    """
    root = Path(root).resolve()
    text = str(output_dir).strip()
    if not text:
        raise OutputFolderError("output-dir is empty")
    target = Path(os.path.normpath(root / text))
    if target == root or root not in target.parents:
        raise OutputFolderError(f"output-dir '{text}' must be a folder inside the project, not the project or outside it")
    if target.is_symlink():
        raise OutputFolderError(f"output-dir '{text}' is a symbolic link: name the folder itself (a build replaces "
                                "the output folder, so a link would be replaced and its target left stale)")
    real = target.resolve()
    if real == root or root not in real.parents:
        raise OutputFolderError(f"output-dir '{text}' resolves to {real}, outside the project")
    for folder in source_folders:
        folder = Path(os.path.normpath(folder))
        if target == folder or folder in target.parents or target in folder.parents:
            what = "is" if target == folder else ("is inside" if folder in target.parents else "contains")
            raise OutputFolderError(f"output-dir '{text}' {what} {_rel(folder, root)}/, which holds sources")
    for source in sources:
        source = Path(os.path.normpath(source))
        if target == source or target in source.parents:
            raise OutputFolderError(f"output-dir '{text}' contains the source {_rel(source, root)}")
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"output-dir '{text}' is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / RECORD).is_file():
        raise OutputFolderError(
            f"output-dir '{text}' exists and was not made by a build (it has no {RECORD}); "
            "name a new folder, or empty this one")
    return target


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


# -- the build record ----------------------------------------------------------------------------


@dataclass
class FormatRecord:
    """One format's last good build: the digest of what it read and the files it wrote."""

    inputs: str | None
    files: list[str] = field(default_factory=list)
    output: str | None = None  # digest of the files as written (:func:`files_digest`): a damaged output shows


def files_digest(folder: Path, names: list[str]) -> str | None:
    """One digest over ``names`` in ``folder``, name and content; None when one of them is missing."""
    import hashlib

    digest = hashlib.sha256()
    for name in sorted(names):
        path = folder / name
        if not (path.is_file() or path.is_symlink()) or not plain_name(name):
            return None
        digest.update(name.encode() + b"\0")
        digest.update(os.readlink(path).encode() if path.is_symlink() else hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def intact(folder: Path, rec: FormatRecord) -> bool:
    """True when every file the record lists is in ``folder`` as it was written (as far as the record can tell)."""
    current = files_digest(folder, rec.files)
    return current is not None and (rec.output is None or current == rec.output)


@dataclass
class BuildRecord:
    engine: str
    formats: dict[str, FormatRecord] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)
    legacy: bool = False

    def to_json(self) -> str:
        data = {
            "engine": self.engine,
            "formats": {name: {"inputs": rec.inputs, "files": sorted(rec.files), "output": rec.output}
                        for name, rec in sorted(self.formats.items())},
            "read": sorted(self.read),
        }
        return json.dumps(data, indent=1, sort_keys=True) + "\n"

    def owned(self) -> set[str]:
        return {name for rec in self.formats.values() for name in rec.files} | {RECORD}


def read_record(target: Path) -> BuildRecord | None:
    """The build record of a published output folder; None when absent or unreadable."""
    try:
        data = json.loads((target / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    formats = data.get("formats")
    if not isinstance(formats, dict):
        return BuildRecord(engine=str(data.get("engine", "")), legacy=True)
    record = BuildRecord(engine=str(data.get("engine", "")), read=[str(p) for p in data.get("read", [])])
    for name, value in formats.items():
        if isinstance(value, dict):
            files = [p for p in value.get("files", []) if isinstance(p, str) and plain_name(p)]
            output = value.get("output")
            record.formats[str(name)] = FormatRecord(value.get("inputs"), files, output if isinstance(output, str) else None)
    return record


# -- staging and publishing ----------------------------------------------------------------------


def cache_dir(root: Path) -> Path:
    """The project's cache folder, made if absent; a link (to anywhere) is refused, so the build's scratch
    files, staging and lock always live in the project."""
    folder = Path(root) / CACHE_DIR
    if folder.is_symlink() or (folder.exists() and not inside(root, folder)):
        raise BuildError(f"{CACHE_DIR} is a symbolic link: remove it (the build keeps its cache in the project)")
    folder.mkdir(mode=DIR_MODE, exist_ok=True)
    return folder


def _device(path: Path) -> int:
    return os.stat(path).st_dev


def beside_prefix(target: Path) -> str:
    """How staging folders made beside the output folder start: ``._book.staging-``."""
    return f".{target.name}.{STAGING_PREFIX}"


def new_staging(root: Path, target: Path | None = None) -> Path:
    """A fresh staging folder, named for this process, with the usual permissions.

    It is made in the cache, unless the output folder's parent is on another filesystem (the
    cache or the output on a Docker volume or a bind mount): a folder cannot be renamed from one
    filesystem to another, so it is then made beside the output folder, as ``._book.staging-…``
    (stale ones, left by a build that was killed, are removed here, under the build lock).
    """
    cache = cache_dir(root)
    where = cache
    if target is not None:
        make_dirs(target.parent)
        if _device(target.parent) != _device(cache):
            where = target.parent
            for stale in where.glob(beside_prefix(target) + "*"):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)
    prefix = STAGING_PREFIX if where == cache else beside_prefix(target)
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=where))
    os.chmod(folder, DIR_MODE)
    return folder


def make_dirs(path: Path) -> None:
    """``mkdir -p`` with the usual permissions (mkdir honours the umask)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


def remove_stale(root: Path) -> list[str]:
    """Remove staging and retired folders left by builds that no longer run (call under the build lock)."""
    removed = []
    candidates = list(Path(root).glob(LEGACY_STAGING + "*"))
    cache = Path(root) / CACHE_DIR
    if cache.is_dir():
        candidates += [p for p in cache.iterdir() if p.name.startswith((STAGING_PREFIX, RETIRED_PREFIX))]
    for path in candidates:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def sync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder``, so the published tree is on disk before the rename."""
    for dirpath, _dirnames, filenames in os.walk(folder):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def plain_name(name: str) -> bool:
    """A name a build record may list: a relative path below the output folder, no ``..``, no absolute path."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\0" not in name and all(p not in ("", ".", "..") for p in parts)


def carry(old: Path, staging: Path, names: list[str]) -> None:
    """Bring ``names`` from the published folder into staging (hard links, else copies); the old stays intact.
    A name that is not plain, or whose folder leads out of the published folder, is never followed."""
    for name in names:
        source, dest = old / name, staging / name
        if not plain_name(name) or not inside(old, source.parent):
            continue
        if not (source.is_file() or source.is_symlink()) or dest.exists():
            continue
        make_dirs(dest.parent)
        try:
            if source.is_symlink():
                os.symlink(os.readlink(source), dest)
            else:
                os.link(source, dest)
        except OSError:
            shutil.copy2(source, dest, follow_symlinks=False)


def mirror(staging: Path, target: Path, old_record: BuildRecord | None) -> None:
    """Make ``target`` hold what ``staging`` holds, a file at a time (each one replaced atomically, the
    build record last), for an output folder that cannot be renamed: a mount point. Files the previous
    build wrote and this one does not are removed; a file no build wrote is never removed."""
    names = files_under(staging)
    for name in [n for n in names if n != RECORD] + [RECORD]:
        source, dest = staging / name, target / name
        make_dirs(dest.parent)
        if source.is_symlink():
            temporary = dest.with_name(f".{dest.name}.briefing-{os.getpid()}")
            os.symlink(os.readlink(source), temporary)
            os.replace(temporary, dest)
        elif not (dest.is_file() and not dest.is_symlink() and _same_bytes(source, dest)):
            write_atomic(dest, source.read_bytes())
    owned = old_record.owned() if old_record is not None and not old_record.legacy else set()
    kept = set(names)
    for name in files_under(target):
        if name in owned and name not in kept:
            (target / name).unlink()
    for folder in sorted((p for p in target.rglob("*") if p.is_dir() and not p.is_symlink()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    sync_tree(target)


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    from briefing.files import sha256_file

    return sha256_file(a) == sha256_file(b)


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2(RENAME_EXCHANGE); False where unavailable."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE)
    return result == 0


def publish(staging: Path, target: Path, root: Path, record: BuildRecord, old_record: BuildRecord | None,
            carried_formats: list[str]) -> None:
    """Write the record, carry over what this build keeps, and swap ``staging`` in for ``target``.

    ``carried_formats`` are the formats this build did not render: their files
    come from the published folder. Files there that no build wrote are kept too.
    """
    if target.is_dir():
        keep: list[str] = []
        if old_record is not None:
            for name in carried_formats:
                if name in old_record.formats:
                    record.formats[name] = old_record.formats[name]
                    keep += old_record.formats[name].files
        # No record: the folder was made while this build ran (a build only starts on a new or empty
        # folder, or one with a record), so everything in it is someone else's.
        owned = set() if old_record is None else old_record.owned() if not old_record.legacy else None
        if owned is not None:
            foreign = [name for name in files_under(target) if name not in owned]
            clash = [name for name in foreign if (staging / name).exists() or (staging / name).is_symlink()]
            if clash:
                raise BuildError(f"{_rel(target / clash[0], root)} was not written by a build, and this build writes "
                                 "it: move it out of the output folder (nothing was published)")
            for name in foreign:
                warnings.warn(f"{_rel(target / name, root)} was not written by a build: kept in the new output")
            keep += foreign
        carry(target, staging, keep)
    write_atomic(staging / RECORD, record.to_json(), durable=False)
    sync_tree(staging)
    make_dirs(target.parent)
    if target.is_dir() and (os.path.ismount(target) or _device(target) != _device(staging)):
        warnings.warn(f"{_rel(target, root)} is a mount point (or on another filesystem than its build's staging): "
                      "a folder cannot be swapped in there in one step, so its files were replaced one by one")
        try:
            mirror(staging, target, old_record)
        except OSError as exc:
            raise PublishedButIncomplete(
                f"{_rel(Path(exc.filename), root) if exc.filename else _rel(target, root)}: {exc.strerror or exc}: "
                f"{_rel(target, root)}/ was being replaced file by file and now mixes the two builds; "
                "build again to finish it") from None
        shutil.rmtree(staging, ignore_errors=True)
        return
    retired = staging.with_name(staging.name.replace(STAGING_PREFIX, RETIRED_PREFIX, 1))
    if target.is_dir() and _exchange(staging, target):
        fsync_dir(target.parent)
        os.replace(staging, retired)
        shutil.rmtree(retired, ignore_errors=True)
        return
    if not target.exists():
        retired = None
    else:
        os.replace(target, retired)
    try:
        os.replace(staging, target)
    except BaseException:
        if retired is not None:
            os.replace(retired, target)
        raise
    fsync_dir(target.parent)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)
