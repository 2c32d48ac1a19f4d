"""``briefing build``: execute what changed, render HTML and PDF, swap into ``_book/``.

Real Quarto (1.4 or newer on PATH) renders when asked or available
(``--engine auto|quarto|builtin``); otherwise the built-in engine does.
Nothing is written to ``_book/`` unless the whole build succeeds: the site is
made in a staging folder beside it and swapped in with a rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from briefing.render import BuildError

ENGINE_VERSION = "briefing-engine-1"
CACHE_DIR = ".briefing-cache"
BUILD_STAMP = ".briefing-build.json"


@dataclass
class Version:
    describe: str
    date: str
    epoch: int


def version_of(root: Path) -> Version:
    """``git describe`` and the last commit's date; SOURCE_DATE_EPOCH from that commit."""

    def git(*args):
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
        except FileNotFoundError:
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    describe = git("describe", "--tags", "--always", "--dirty") or "unversioned"
    epoch_text = git("log", "-1", "--format=%ct")
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or epoch_text or 0)
    date = git("log", "-1", "--format=%cs") or time.strftime("%Y-%m-%d", time.gmtime(epoch))
    return Version(describe, date, epoch)


def quarto_version() -> tuple[int, ...] | None:
    exe = shutil.which("quarto")
    if not exe:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    try:
        return tuple(int(x) for x in out.split(".")[:3])
    except ValueError:
        return None


def swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` with ``staging`` by renames, so a reader never sees a half-written site."""
    old = None
    if target.exists():
        old = target.with_name(target.name + f".old-{os.getpid()}")
        os.replace(target, old)
    os.replace(staging, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def render_with_quarto(root: Path, output_dir: str, say) -> Path:
    staging = Path(tempfile.mkdtemp(prefix=".book-staging-", dir=root))
    command = ["quarto", "render", str(root), "--output-dir", str(staging)]
    say(f"quarto: {' '.join(command)}")
    result = subprocess.run(command, cwd=root, check=False)
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"_quarto.yml: quarto render failed (exit {result.returncode}); {output_dir}/ left untouched")
    target = root / output_dir
    swap_in(staging, target)
    return target


def _inputs_digest(root: Path, paths: list[Path], extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(set(paths)):
        name = path.relative_to(root) if path.is_relative_to(root) else path.name
        digest.update(str(name).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _engine_files() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [p for p in here.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _book_inputs(root: Path) -> list[Path]:
    """Every file a build reads: sources, notebooks, data, code, bibliography, the engine."""
    from briefing.render.notebook import dependency_files

    found = [root / "_quarto.yml"]
    for pattern in ("*.qmd", "*.bib", "*.csl"):
        found += root.glob(pattern)
    for folder in ("chapters",):
        base = root / folder
        if base.is_dir():
            found += [p for p in base.rglob("*") if p.is_file() and p.suffix in (".qmd", ".ipynb", ".bib", ".svg", ".png")]
    found += dependency_files(root)
    found += _engine_files()
    return [p for p in found if p.is_file()]


class Builder:
    def __init__(self, root: Path, refresh: bool = False, to: str = "all", jobs: int | None = None, out=None):
        self.root = Path(root).resolve()
        self.refresh = refresh
        self.to = to
        self.jobs = jobs or (os.cpu_count() or 1) + 1
        self.out = out or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def build(self) -> Path:
        from briefing.render.project import load_book
        from briefing.render.qmd import set_root

        set_root(self.root)
        started = time.perf_counter()
        book = load_book(self.root)
        target = self.root / book.output_dir
        version = version_of(self.root)
        stamp_extra = json.dumps([ENGINE_VERSION, version.describe, version.date, version.epoch, self.to])
        fast_digest = _inputs_digest(self.root, _book_inputs(self.root), stamp_extra)
        stamp_file = target / BUILD_STAMP
        if not self.refresh and stamp_file.is_file():
            try:
                if json.loads(stamp_file.read_text())["inputs"] == fast_digest:
                    self.say(f"nothing changed: {book.output_dir}/ is up to date ({time.perf_counter() - started:.2f} s)")
                    return target
            except (ValueError, KeyError):
                pass
        from briefing.render import render as rendering

        staging = Path(tempfile.mkdtemp(prefix=".book-staging-", dir=self.root))
        try:
            written = rendering.render_book(self, book, version, staging)
            (staging / BUILD_STAMP).write_text(json.dumps({"engine": ENGINE_VERSION, "inputs": None}))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        final_digest = _inputs_digest(self.root, _book_inputs(self.root), stamp_extra)
        (staging / BUILD_STAMP).write_text(json.dumps({"engine": ENGINE_VERSION, "inputs": final_digest}) + "\n")
        swap_in(staging, target)
        for path in written:
            self.say(f"wrote {book.output_dir}/{path}")
        self.say(f"built {book.output_dir}/ in {time.perf_counter() - started:.2f} s")
        return target


def main(args) -> int:
    """Entry point of ``briefing build``."""
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
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if engine == "quarto":
                from briefing.render.project import load_book

                render_with_quarto(root, load_book(root).output_dir, print)
            else:
                Builder(root, refresh=args.refresh, to=args.to, jobs=args.jobs).build()
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr)
    except BuildError as exc:
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        print("build failed; the previous _book/ is left untouched", file=sys.stderr)
        return 1
    return 0
