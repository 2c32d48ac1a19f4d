"""``briefing preview``: build, serve, watch, rebuild what changed, reload the page.

One session holds, for as long as it runs:

* a warm-kernel server (:mod:`briefing.render.warm`), so a code or data edit
  re-executes the chapters that read it without a cold start;
* the web server (:mod:`briefing.preview.server`) on 127.0.0.1, a free port unless
  ``--port`` names one;
* a watcher (watchfiles) on the chapters, data/, code/, ``_quarto.yml`` and the
  bibliography.

After each batch of changes it builds the HTML in process (the build's own
freeze and caches re-render only what changed), tells the open pages to reload,
then builds the PDF in a background process, which the next change stops. A
failed build leaves ``_book/`` as it was (the build's guarantee) and shows its
message in the terminal and over the open page. An edit to a module of code/
that this process has imported (the engine, the data package's validator)
restarts the session in place, on the same port; an edit to the other modules
of code/ restarts the warm-kernel server, whose preloaded modules would be stale.
Ctrl-C stops everything: the PDF build, the kernels and their server, the web server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

from briefing.files import FileProblem
from briefing.render import BuildError
from briefing.preview.server import PreviewServer, State

QUIET_BEFORE_PDF = 1.0
IGNORED_PARTS = {"_notebooks", "__pycache__", ".ipynb_checkpoints"}
IGNORED_SUFFIXES = (".pyc", ".swp", ".swo", ".swx", "~", ".tmp", ".bak", ".crswap", ".kate-swp", "___jb_tmp___",
                    "___jb_old___")


def editor_scratch(name: str) -> bool:
    """A file an editor writes beside the one being saved (a swap, backup, lock or test file), not a change."""
    return (name.endswith(IGNORED_SUFFIXES) or name.startswith((".#", ".goutputstream-", ".~lock."))
            or (name.startswith("#") and name.endswith("#")) or name == "4913")


class Session:
    def __init__(self, root: Path, port: int = 0, pdf: bool = True, out=None):
        from briefing.render.project import load_book

        from briefing.render.kernel import sweep_stale

        self.root = Path(root).resolve()
        self.out = out or sys.stdout
        sweep_stale()  # folders of a preview killed without cleaning up (SIGKILL, SIGHUP)
        self.pdf = pdf
        self.book = load_book(self.root)
        self.state = State()
        self.server = PreviewServer(self.book.output_path, self.state, port)
        self.stop = threading.Event()
        self.warm = None
        self.pdf_process: subprocess.Popen | None = None
        self.pdf_due: float | None = None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- what to watch ---------------------------------------------------------------------

    def watched(self, path: str) -> bool:
        """True for a file whose change can change the book (chapters, data, code, config, bibliography)."""
        try:
            rel = Path(path).resolve().relative_to(self.root)
        except ValueError:
            return False
        parts = rel.parts
        if not parts or IGNORED_PARTS & set(parts) or editor_scratch(rel.name):
            return False
        if parts[0] in ("chapters", "data", "code"):
            return True
        if len(parts) == 1:
            extras = {p.name for p in (self.book.bibliography, self.book.csl) if p}
            return rel.suffix == ".qmd" or rel.name in {"_quarto.yml", *extras}
        return Path(self.root / rel) in {entry.path for entry in self.book.entries}

    def imported_here(self, names: list[str]) -> list[str]:
        """The changed files that are modules this process runs (so a rebuild would use stale code)."""
        loaded = {Path(m.__file__).resolve() for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
        return [n for n in names if n.endswith(".py") and (self.root / n).resolve() in loaded]

    # -- building --------------------------------------------------------------------------

    def build_html(self) -> bool:
        from briefing.render.build import Builder

        started = time.perf_counter()
        how = self.warm.stopped() if self.warm is not None else None
        if how:
            self.say(f"preview: the kernel server stopped ({how}); starting a new one")
            self.restart_kernels()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                Builder(self.root, to="html", warm=self.warm, out=self.out, live=False, list_files=False).build()
        except (BuildError, FileProblem, OSError) as exc:
            problem = str(exc) if not isinstance(exc, OSError) else f"{exc.filename or self.root}: {exc.strerror or exc}"
            self.say(f"error: {problem}")
            self.say(f"preview: the build failed; the browser keeps the last good page ({self.url})")
            self.state.failed(problem)
            return False
        for warning in {str(w.message) for w in caught}:
            if "has no PDF yet" not in warning:
                self.say(f"warning: {warning}")
        self.state.built()
        self.say(f"preview: HTML rebuilt in {time.perf_counter() - started:.2f} s; the page reloads")
        return True

    def start_pdf(self) -> None:
        """Build the PDF in a separate process (stoppable at any point without losing anything)."""
        command = [sys.executable, "-m", "briefing.cli", "build", "--engine", "builtin", "--to", "pdf",
                   "--project", str(self.root)]
        self.pdf_process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop_pdf(self) -> None:
        process, self.pdf_process = self.pdf_process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stderr is not None:
            process.stderr.close()

    def check_pdf(self) -> None:
        if self.pdf_due is not None and time.monotonic() >= self.pdf_due:
            self.pdf_due = None
            self.start_pdf()
        process = self.pdf_process
        if process is not None and process.poll() is not None:
            errors = [line for line in process.stderr.read().splitlines() if line.startswith("error:")]
            self.pdf_process = None
            process.stderr.close()
            if process.returncode == 0:
                self.say(f"preview: PDF rebuilt ({self.book.output_dir}/)")
            elif errors:
                self.say(f"preview: the PDF failed: {errors[0][len('error: '):]}")

    # -- the session -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/"

    def restart_kernels(self) -> None:
        from briefing.render.render import start_warm

        if self.warm is not None:
            self.warm.close()
        self.warm = start_warm(self.root)

    def run(self) -> int:
        import watchfiles

        self.restart_kernels()
        try:
            self.build_html()
            self.server.start()
            self.say(f"preview: serving {self.book.output_dir}/ at {self.url} (Ctrl-C to stop)")
            if self.pdf:
                self.pdf_due = time.monotonic()
            for changes in watchfiles.watch(self.root, watch_filter=lambda _, path: self.watched(path),
                                            step=30, rust_timeout=200, yield_on_timeout=True,
                                            stop_event=self.stop, raise_interrupt=True):
                self.check_pdf()
                names = sorted({Path(p).resolve().relative_to(self.root).as_posix() for _, p in changes})
                if not names:
                    continue
                self.say(f"preview: changed {', '.join(names)}")
                self.stop_pdf()
                stale = self.imported_here(names)
                broken = syntax_errors(self.root, stale)
                if broken:
                    self.say(f"error: {broken}")
                    self.say("preview: fix it and save; the preview keeps running on the code it has")
                    self.state.failed(broken)
                    continue
                if stale:
                    self.say(f"preview: {', '.join(stale)} is code this preview runs: restarting it")
                    return self.restart_in_place()
                if any(n.startswith("code/") for n in names):
                    self.restart_kernels()
                if "_quarto.yml" in names:
                    from briefing.render.project import load_book

                    try:
                        self.book = load_book(self.root)
                    except (BuildError, FileProblem) as exc:
                        self.say(f"error: {exc}")
                        self.state.failed(str(exc))
                        continue
                    if self.server.folder != self.book.output_path:
                        self.server.folder = self.book.output_path
                        self.say(f"preview: now serving {self.book.output_dir}/")
                if self.build_html() and self.pdf:
                    self.pdf_due = time.monotonic() + QUIET_BEFORE_PDF
        finally:
            self.close()
        return 0

    def restart_in_place(self) -> int:
        port = self.server.port
        self.close()
        args = [sys.executable, "-m", "briefing.cli", "preview", "--project", str(self.root), "--port", str(port)]
        if not self.pdf:
            args.append("--no-pdf")
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, args)
        return 0  # not reached

    def close(self) -> None:
        self.stop.set()
        self.stop_pdf()
        try:
            self.server.stop()
        except Exception:
            pass
        if self.warm is not None:
            self.warm.close()
            self.warm = None


def syntax_errors(root: Path, names: list[str]) -> str | None:
    """The first syntax error among the changed modules ``names`` (paths under ``root``), as one line;
    None when they all compile. A preview restarting on such a file would die."""
    for name in names:
        try:
            source = (Path(root) / name).read_bytes()
            compile(source, name, "exec")
        except SyntaxError as exc:
            return f"{name}:{exc.lineno or 1}: syntax error: {exc.msg}"
        except (OSError, ValueError) as exc:
            return f"{name}: cannot read: {exc}"
    return None


def main(args) -> int:
    """Entry point of ``briefing preview``."""
    if args.project:
        root = Path(args.project).resolve()
    else:
        from briefing.paths import ROOT as root
    try:
        session = Session(root, port=args.port, pdf=not args.no_pdf)
    except (BuildError, FileProblem) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return session.run()
