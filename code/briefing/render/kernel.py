"""Execute a chapter's notebook in a fresh Jupyter kernel, with bounded output and named failures.

Each chapter gets its own kernel (ipykernel via nbclient), its working
directory the project root, talking over IPC sockets in a private temporary
folder that is removed however execution ends. What can go wrong is named by
the chapter and the ``.qmd`` line of the cell:

* a cell that raises: the line inside the cell that raised, and its traceback;
* a cell that runs past ``execute: timeout`` (seconds; ``false`` for none);
* a kernel that dies (``os._exit``, a segfault, the OOM killer), with its exit code.

A cell's stream output (stdout and stderr together) is kept up to
:data:`STREAM_LIMIT` characters, as Jupyter front-ends cut long outputs: the
rest is dropped, the notebook says how much, and the build warns with the line.

An interrupt (Ctrl-C, SIGINT, SIGTERM) cancels the executions and shuts every
kernel down before the build reports it: nbclient's own signal handlers, which
would kill kernels under running cells, are kept out of the event loop.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from queue import Empty
from dataclasses import dataclass
from pathlib import Path

import nbclient.client
import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from briefing.render import BuildError
from briefing.render.project import DEFAULT_TIMEOUT
from briefing.render.qmd import relpath

STREAM_LIMIT = 100_000
INLINE_TAG = "inline-expression"
READS_TAG = "briefing-data-reads"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELL_LINE = re.compile(r"Cell\s+In\[\d+\],\s+line\s+(\d+)")


def output_from_msg(msg: dict) -> nbformat.NotebookNode:
    """An output cell from a kernel's IOPub message, built as ``nbformat.v4.output_from_msg`` builds
    it but without its per-output JSON-schema validation (a millisecond per inline value, on the
    build's single thread). Whole notebooks are validated where they are read: nbval and the tests."""
    kind = msg["header"]["msg_type"]
    content = msg["content"]
    fields = {
        "execute_result": ("metadata", "data", "execution_count"),
        "display_data": ("metadata", "data"),
        "stream": ("name", "text"),
        "error": ("ename", "evalue", "traceback"),
    }.get(kind)
    if fields is None:
        raise ValueError(f"Unrecognized output msg type: {kind!r}")
    out = {"output_type": kind, **{name: content[name] for name in fields}}
    return nbformat.from_dict(out)


nbclient.client.output_from_msg = output_from_msg


class OutputCapWarning(UserWarning):
    """A cell printed more than the build keeps."""


@dataclass
class Execution:
    notebook: nbformat.NotebookNode
    seconds: float


def kernel_env(root: Path, private: Path) -> dict[str, str]:
    """The kernel's environment: the project root, a fixed hash seed, the inline matplotlib backend,
    and a private IPython folder (``private``, removed after the run), so no user profile or startup
    file runs in a chapter and no history is written to the user's home."""
    import os

    env = dict(os.environ)
    env["BRIEFING_ROOT"] = str(root)
    env["PYTHONHASHSEED"] = "0"
    env["IPYTHONDIR"] = str(private / "ipython")
    env[RUN_MARK] = private.name  # inherited by anything the chapter starts, even in a session of its own
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return env


def cell_line(cell) -> int:
    return int(cell.metadata.get("briefing", {}).get("line", 1))


DISPLAY_LIMIT = 5_000_000  # characters in one display or result (the book's largest figure is under 100,000)
DISPLAYS_LIMIT = 1_000    # displays and results one cell may add


def _bundle_size(content: dict) -> int:
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in (content.get("data") or {}).values())


class CappedClient(NotebookClient):
    """A NotebookClient that bounds what one cell can publish: at most ``stream_limit`` characters of
    printed output, no display or result over ``DISPLAY_LIMIT`` characters, at most ``DISPLAYS_LIMIT``
    displays and results. What is left out is counted, so the build can say so."""

    def __init__(self, nb, stream_limit: int = STREAM_LIMIT, **kw):
        super().__init__(nb, **kw)
        self.stream_limit = stream_limit
        self.stream_seen: dict[int, int] = {}
        self.displays_seen: dict[int, int] = {}
        self.too_large: dict[int, list[int]] = {}

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] in ("display_data", "execute_result", "update_display_data"):
            size = _bundle_size(msg["content"])
            if size > DISPLAY_LIMIT:
                self.too_large.setdefault(cell_index, []).append(size)
                return None
            if msg["msg_type"] != "update_display_data":
                seen = self.displays_seen.get(cell_index, 0) + 1
                self.displays_seen[cell_index] = seen
                if seen > DISPLAYS_LIMIT:
                    return None
        if msg["msg_type"] != "stream":
            return super().output(outs, msg, display_id, cell_index)
        text = msg["content"].get("text", "")
        seen = self.stream_seen.get(cell_index, 0)
        self.stream_seen[cell_index] = seen + len(text)
        room = self.stream_limit - seen
        if room <= 0:
            return None
        if len(text) > room:
            msg = {**msg, "content": {**msg["content"], "text": text[:room]}}
        return super().output(outs, msg, display_id, cell_index)

    def dropped(self, cell_index: int) -> int:
        return max(0, self.stream_seen.get(cell_index, 0) - self.stream_limit)

    def left_out(self, cell_index: int) -> list[str]:
        """What this cell displayed beyond the bounds, as warnings' words (empty when nothing)."""
        said = [f"the cell displayed {size:,} characters in one output, over the limit of {DISPLAY_LIMIT:,}: "
                "that output is left out" for size in self.too_large.get(cell_index, [])]
        count = self.displays_seen.get(cell_index, 0)
        if count > DISPLAYS_LIMIT:
            said.append(f"the cell made {count:,} displays; the first {DISPLAYS_LIMIT:,} are kept, the rest left out")
        return said


class _SignalFreeLoop(asyncio.SelectorEventLoop):
    """An event loop that refuses SIGINT/SIGTERM handlers: nbclient's would kill kernels mid-cell
    (the build then reported ``kernel failed: AssertionError``). asyncio.Runner's own SIGINT
    handling cancels the executions instead, and each kernel is shut down as its task unwinds."""

    def add_signal_handler(self, sig, callback, *args):
        if sig in (signal.SIGINT, signal.SIGTERM):
            raise RuntimeError("the build handles SIGINT and SIGTERM itself")
        return super().add_signal_handler(sig, callback, *args)

    def remove_signal_handler(self, sig):
        if sig in (signal.SIGINT, signal.SIGTERM):
            return False
        return super().remove_signal_handler(sig)


class QuickReadyClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready as soon as the kernel is.

    Its stock readiness check sends ``kernel_info`` and then waits 0.2 s for a
    message on IOPub; a kernel that starts in a tenth of a second has usually
    published its first status before the subscription reached it (ZeroMQ's slow
    joiner), so the stock check waits those 0.2 s in vain before asking again.
    This one asks again every 20 ms until both channels answer, with the same
    overall timeout and the same "kernel died" check.
    """

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=0.02)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.02)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
        while True:  # flush what the retries left on IOPub
            try:
                await self.iopub_channel.get_msg(timeout=0.01)
            except Empty:
                break

    wait_for_ready = _async_wait_for_ready


RUN_MARK = "BRIEFING_KERNEL_RUN"
KERNEL_PREFIX = "briefing-kernel-"


def stop_strays(mark: str) -> list[int]:
    """SIGKILL every process whose environment carries ``RUN_MARK=mark``: what a chapter's kernel started
    and left running (a process in a new session escapes the kernel's process group). Linux (/proc) only."""
    if not mark:
        return []
    needle = f"{RUN_MARK}={mark}".encode()
    killed = []
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return killed
WARM_PREFIX = "briefing-warm-"
_OWNED = re.compile(r"^briefing-(?:kernel|warm)-(\d+)-")


def sweep_stale(folder: str | Path | None = None) -> list[str]:
    """Remove the kernel and warm-server folders of builds that are gone (killed with SIGKILL or SIGHUP,
    they could not clean up): a folder named for a process id that no longer runs, owned by this user.
    Their ``kernel.json`` holds a kernel's HMAC key, so they are not left lying about."""
    base = Path(folder or tempfile.gettempdir())
    removed = []
    for path in base.glob("briefing-*"):
        match = _OWNED.match(path.name)
        if not match or not path.is_dir() or path.is_symlink():
            continue
        try:
            if path.stat().st_uid != os.getuid():
                continue
            os.kill(int(match.group(1)), 0)
            continue  # its process still runs
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def _exit_code(process) -> str:
    if process is None:
        return ""
    try:
        code = process.wait(timeout=2)
    except Exception:
        return ""
    if code is None:
        return ""
    return f" (signal {-code})" if code < 0 else f" (exit code {code})"


async def execute(nb: nbformat.NotebookNode, chapter, root: Path, timeout: int | None = DEFAULT_TIMEOUT,
                  stream_limit: int = STREAM_LIMIT, warm=None, env: dict[str, str] | None = None) -> Execution:
    """Run every code cell in a fresh kernel whose working directory is the project root.

    The kernel is forked from ``warm`` (a :class:`briefing.render.warm.WarmKernels`) when
    given, else started cold; ``env`` is added to its environment.
    """
    started = time.perf_counter()
    if not any(cell.cell_type == "code" for cell in nb.cells):
        return Execution(nb, time.perf_counter() - started)
    client = CappedClient(
        nb,
        stream_limit=stream_limit,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(root)}},
        record_timing=False,
        shutdown_kernel="immediate",
    )
    sockets = Path(tempfile.mkdtemp(prefix=f"{KERNEL_PREFIX}{os.getpid()}-"))
    client.km = client.create_kernel_manager()
    client.km.client_factory = QuickReadyClient
    client.km.transport = "ipc"
    client.km.ip = str(sockets / "kernel")
    client.km.connection_file = str(sockets / "kernel.json")
    if warm is not None:
        from briefing.render.warm import provisioner_for

        client.km.provisioner = provisioner_for(warm, client.km)
    name = relpath(chapter.path)
    current = process = None
    try:
        async with client.async_setup_kernel(env={**kernel_env(root, sockets), **(env or {})}):
            process = getattr(getattr(client.km, "provisioner", None), "process", None)
            for index, cell in enumerate(nb.cells):
                current = cell
                await client.async_execute_cell(cell, index)
                for said in client.left_out(index):
                    cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=f"\n[{said}]\n"))
                    warnings.warn(f"{chapter.where(cell_line(cell))}: {said}", OutputCapWarning)
                dropped = client.dropped(index)
                if dropped:
                    note = (f"\n[output cut by the build at {stream_limit:,} characters: "
                            f"{dropped:,} more were dropped]\n")
                    cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text=note))
                    warnings.warn(f"{chapter.where(cell_line(cell))}: the cell printed {stream_limit + dropped:,} characters; "
                                  f"the first {stream_limit:,} are kept, the rest dropped", OutputCapWarning)
    except BaseException as exc:
        task = asyncio.current_task()
        if task is not None and task.cancelling() and not isinstance(exc, asyncio.CancelledError):
            raise asyncio.CancelledError from None  # nbclient turns a cancelled wait into DeadKernelError
        how = (warm.stopped() if warm is not None and isinstance(exc, Exception)
               and not isinstance(exc, (CellExecutionError, CellTimeoutError)) else None)
        if how:
            raise ServerStopped(name, how) from None
        _raise_named(exc, nb, chapter, current, timeout, process)
    finally:
        atexit.unregister(client._cleanup_kernel)  # left registered when the kernel failed to start
        _reap(client.km)
        stop_strays(sockets.name)
        shutil.rmtree(sockets, ignore_errors=True)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    return Execution(nb, time.perf_counter() - started)


class ServerStopped(BuildError):
    """A chapter could not run because the warm-kernel server (its kernels' parent) stopped: the
    chapter is not at fault. :func:`server_stopped` turns several into one message."""

    def __init__(self, chapter: str, how: str):
        super().__init__(f"{chapter}: not run: the kernel server stopped ({how})")
        self.chapter, self.how = chapter, how


def server_stopped(failures: list[BaseException]) -> str | None:
    """One message for the chapters that could not run because the kernel server stopped, else None."""
    stopped = [f for f in failures if isinstance(f, ServerStopped)]
    if not stopped:
        return None
    names = ", ".join(sorted(f.chapter for f in stopped))
    return (f"the kernel server, which starts each chapter's kernel, stopped ({stopped[0].how}) while chapters ran; "
            f"not finished: {names}. No chapter is at fault: build again")


def _reap(km) -> None:
    """Kill the chapter's kernel if the run left it alive, and wait for its exit.

    An interrupt can cancel the manager's own shutdown while the kernel is still starting;
    a kernel left alive would then create its sockets in a folder already removed.
    """
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None or process.poll() is not None:
        return
    process.kill()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _raise_named(exc: BaseException, nb, chapter, current, timeout, process) -> None:
    """Re-raise an execution failure as a BuildError naming the file and line of the cell (an included
    file's own for a cell it holds)."""
    line = cell_line(current) if current is not None else None
    where = chapter.where
    if not isinstance(exc, Exception):
        raise exc
    if isinstance(exc, CellExecutionError):
        message = ANSI.sub("", str(exc))
        raise BuildError(f"{where(_failed_line(nb))}: cell raised an exception\n{message}") from None
    if isinstance(exc, CellTimeoutError):
        raise BuildError(f"{where(line or 1)}: cell timed out after {timeout} s "
                         "(execute: timeout in _quarto.yml or the chapter's front matter)") from None
    if isinstance(exc, DeadKernelError):
        raise BuildError(f"{where(line or 1)}: the kernel died while running this cell{_exit_code(process)}") from None
    place = where(line) if line else relpath(chapter.path)
    raise BuildError(f"{place}: kernel failed: {type(exc).__name__}: {exc}") from None


def _failed_line(nb: nbformat.NotebookNode) -> int:
    """The .qmd line that raised: the cell's fence line plus the traceback's line in the cell."""
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.cell_type == "code" and errors:
            fence = cell_line(cell)
            inline = INLINE_TAG in cell.metadata.get("tags", [])
            found = CELL_LINE.findall(ANSI.sub("", "\n".join(errors[0].get("traceback", []))))
            return fence if inline or not found else fence + int(found[0])
    return 1


def run_all(jobs: list, parallel: int) -> list:
    """Run coroutine factories with at most ``parallel`` kernels alive at once.

    Ctrl-C cancels them all; each kernel is shut down as its task unwinds, then
    KeyboardInterrupt propagates to the caller.
    """

    async def runner():
        gate = asyncio.Semaphore(max(1, parallel))

        async def one(factory):
            async with gate:
                return await factory()

        return await asyncio.gather(*(one(f) for f in jobs), return_exceptions=True)

    with asyncio.Runner(loop_factory=_SignalFreeLoop) as run:
        results = run.run(runner())
    for result in results:
        if isinstance(result, (KeyboardInterrupt, asyncio.CancelledError)):
            raise KeyboardInterrupt
    return results
