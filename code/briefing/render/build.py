"""``briefing build``: execute what changed, render HTML and PDF, publish into ``_book/``.

Real Quarto (1.4 or newer on PATH) renders when asked or available
(``--engine auto|quarto|builtin``); otherwise the built-in engine does.

What a build guarantees (see README, "Reliability"):

* one build at a time per project (:mod:`briefing.render.lock`);
* inputs hashed before they are read (:mod:`briefing.render.inputs`): an edit
  saved during a build is never recorded as built;
* nothing written outside the output folder and ``.briefing-cache/``; the
  output folder is replaced in one rename only when everything worked, keeps
  the other format's last good files in a one-format build, and keeps files
  no build wrote (:mod:`briefing.render.output`);
* committed notebooks rewritten only after the new output is published.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from briefing.files import FileProblem
from briefing.render import BuildError, PublishedButIncomplete

ENGINE_VERSION = "briefing-engine-2"


@dataclass
class Version:
    describe: str
    date: str
    epoch: int


def version_of(root: Path) -> Version:
    """The edition's version: CITATION.cff's (see :mod:`briefing.release.version`), with the commit
    when the work is past its release; ``git describe`` when CITATION.cff has none. SOURCE_DATE_EPOCH
    from the last commit, so a release rebuilt from its commit is the same to the byte."""
    from briefing.release import version as release_version

    def git(*args):
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    epoch_text = git("log", "-1", "--format=%ct")
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or epoch_text or 0)
    date = git("log", "-1", "--format=%cs") or time.strftime("%Y-%m-%d", time.gmtime(epoch))
    number, released = release_version.read(root)
    if number is None:
        return Version(git("describe", "--tags", "--always", "--dirty") or "unversioned", date, epoch)
    from briefing.release.history import is_release_commit

    commit = git("rev-parse", "--short", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    at_release = bool(commit) and is_release_commit(root, number)
    if at_release or not commit:
        return Version(number, released or date, epoch)
    return Version(f"{number}+{commit}{'.dirty' if dirty else ''}", date, epoch)


def quarto_version() -> tuple[int, ...] | None:
    exe = shutil.which("quarto")
    if not exe:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    try:
        return tuple(int(x) for x in out.split(".")[:3])
    except ValueError:
        return None


def _warn_unlisted(book) -> None:
    from briefing.render.inputs import unlisted_chapters
    from briefing.render.qmd import relpath

    for path in unlisted_chapters(book):
        warnings.warn(f"{relpath(path)} is not listed in _quarto.yml (book: chapters or appendices): not rendered")


def render_with_quarto(root: Path, say) -> Path:
    """``quarto render`` into a staging folder, published like the built-in engine's output."""
    from briefing.render.lock import project_lock
    from briefing.render.output import BuildRecord, FormatRecord, files_under, new_staging, publish, read_record, remove_stale
    from briefing.render.project import load_book

    with project_lock(root, say):
        remove_stale(root)
        book = load_book(root)
        target = book.output_path
        staging = new_staging(root, target)
        try:
            command = ["quarto", "render", str(root), "--output-dir", str(staging)]
            say(f"quarto: {' '.join(command)}")
            env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON") or sys.executable}
            result = subprocess.run(command, cwd=root, check=False, env=env)  # its pre-render step needs briefing
            if result.returncode != 0:
                raise BuildError(f"_quarto.yml: quarto render failed (exit {result.returncode}); "
                                 f"{book.output_dir}/ left untouched")
            files = files_under(staging)
            record = BuildRecord("quarto", formats={
                "html": FormatRecord(None, [f for f in files if not f.endswith(".pdf")]),
                "pdf": FormatRecord(None, [f for f in files if f.endswith(".pdf")]),
            })
            publish(staging, target, root, record, read_record(target), carried_formats=[])
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


class Builder:
    def __init__(self, root: Path, refresh: bool = False, to: str = "all", jobs: int | None = None, out=None,
                 warm=None, live: bool | None = None, list_files: bool = True):
        from briefing.render.progress import Progress

        self.root = Path(root).resolve()
        self.refresh = refresh
        self.to = to
        self.jobs = jobs or (os.cpu_count() or 1) + 1
        self.out = out or sys.stdout
        self.caches: list = []
        self.warm = warm
        self.list_files = list_files
        self.progress = Progress(self.out, live)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def build(self) -> Path:
        from briefing.render.lock import project_lock
        from briefing.render.qmd import set_root

        set_root(self.root)
        with project_lock(self.root, self.say):
            return self._build()

    def _build(self) -> Path:
        from briefing.files import sha256_file
        from briefing.render.inputs import Snapshot, input_files
        from briefing.render.output import (FORMATS, BuildRecord, FormatRecord, new_staging, publish, read_record,
                                            remove_stale)
        from briefing.render.project import load_book

        started = time.perf_counter()
        root = self.root
        for name in remove_stale(root):
            self.say(f"removed {name}, left by a build that did not finish")
        from briefing.render.kernel import sweep_stale

        sweep_stale()
        config_hash = sha256_file(root / "_quarto.yml") if (root / "_quarto.yml").is_file() else "absent"
        book = load_book(root)
        target = book.output_path
        old = read_record(target) if target.is_dir() else None
        version = version_of(root)
        extra = [ENGINE_VERSION, version.describe, version.date, version.epoch]
        snapshot = Snapshot.take(root, input_files(book, old.read if old else []))
        snapshot.hashes["_quarto.yml"] = config_hash
        wanted = list(FORMATS) if self.to == "all" else [self.to]
        formats = [f for f in wanted if self.refresh or old is None or f not in old.formats
                   or old.formats[f].inputs != snapshot.digest(f, extra)]
        from briefing.render.output import files_digest, intact

        damaged = [f for f in wanted if f not in formats and not intact(target, old.formats[f])]
        if damaged:
            self.say(f"repairing {book.output_dir}/: files of the {' and '.join(damaged).upper()} are missing or "
                     "were changed since the build wrote them")
            formats += damaged
        if not formats:
            self.say(f"nothing changed: {book.output_dir}/ is up to date ({time.perf_counter() - started:.2f} s)")
            return target
        _warn_unlisted(book)
        from briefing.render import render as rendering
        from briefing.render.notebook import write_notebook

        staging = new_staging(root, target)
        try:
            rendered = rendering.render_book(self, book, version, staging, formats, snapshot)
            written = {path.relative_to(root).as_posix(): payload for path, payload in rendered.notebooks.items()}
            after = snapshot.with_written(written)
            record = BuildRecord(ENGINE_VERSION, read=rendered.read)
            for name in formats:
                record.formats[name] = FormatRecord(after.digest(name, extra), rendered.files[name],
                                                    files_digest(staging, rendered.files[name]))
            carried = [name for name in FORMATS if name not in formats]
            publish(staging, target, root, record, old, carried)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        for path, payload in rendered.notebooks.items():
            try:
                write_notebook(payload, path)
            except OSError as exc:
                raise PublishedButIncomplete(
                    f"{_where(path, root)}: cannot write the executed notebook: {exc.strerror or exc}; "
                    f"{book.output_dir}/ is published (the new build), but this notebook is not: fix it and build "
                    "again") from None
        for cache in self.caches:
            cache.prune()
        end = Snapshot.take(root, input_files(book, rendered.read))
        for name in end.changed_since(after):
            warnings.warn(f"{name} changed while the build ran: {book.output_dir}/ shows it as it was when the "
                          "build started; build again to include the change")
        for name in formats if self.list_files else []:
            for path in rendered.files[name]:
                self.say(f"wrote {book.output_dir}/{path}")
        kept = [name for name in carried if name in record.formats]
        if kept:
            self.say(f"kept the last good {' and '.join(kept).upper()} in {book.output_dir}/")
        if "pdf" not in record.formats:
            warnings.warn(f"{book.output_dir}/ has no PDF yet: the pages' PDF links lead nowhere until "
                          "`briefing build --to pdf` (or a full build)")
        self.say(f"built {book.output_dir}/ in {time.perf_counter() - started:.2f} s")
        return target


def _where(path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except (ValueError, OSError, TypeError):
        return str(path)


def _hint(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return " (the project folder must be writable: the build writes _book/ and .briefing-cache/ in it)"
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return " (no room to write the output: free some space and build again)"
    return ""


def main(args) -> int:
    """Entry point of ``briefing build``: one line per problem on stderr, exit 1; interrupted, exit 130."""
    if args.project:
        root = Path(args.project).resolve()
    else:
        from briefing.paths import ROOT as root
    engine = args.engine
    if engine in ("auto", "quarto"):
        version = quarto_version()
        if version and version >= (1, 4):
            engine = "quarto"
        elif engine == "quarto":
            print("error: --engine quarto: quarto 1.4 or newer is not on PATH", file=sys.stderr)
            return 2
        else:
            engine = "builtin"
    caught: list = []
    failure = None
    code = 0
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if engine == "quarto":
                render_with_quarto(root, print)
            else:
                Builder(root, refresh=args.refresh, to=args.to, jobs=args.jobs).build()
    except PublishedButIncomplete as exc:
        print(f"error: {exc}", file=sys.stderr)
        failure, code = None, 1
    except BuildError as exc:
        failure, code = str(exc), 1
    except FileProblem as exc:
        failure, code = str(exc), 1
    except OSError as exc:
        where = _where(exc.filename, root) if exc.filename else str(root)
        failure, code = f"{where}: {exc.strerror or exc}{_hint(exc)}", 1
    except KeyboardInterrupt:
        code = 130
    seen = set()
    for warning in caught:
        text = str(warning.message)
        if text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr)
    if code == 130:
        print("interrupted: the build stopped; the previous _book/ and the notebooks are left untouched", file=sys.stderr)
    elif failure is not None:
        print(f"error: {failure}", file=sys.stderr)
        print("build failed; the previous _book/ is left untouched", file=sys.stderr)
    return code
