"""Warm kernels: a fork server that holds the chapters' imports and forks one fresh kernel per chapter.

A cold Jupyter kernel spends about a second starting Python and ipykernel and
another importing pandas and matplotlib before the chapter's first line runs.
The build instead starts one server process per build (or per preview session)
that imports those once (:data:`PRELOAD`) and waits; for each chapter it forks a
child that becomes an ordinary ipykernel (``IPKernelApp``) on the connection
file the build's kernel manager wrote. Each chapter still gets its own process
and its own namespace, exactly as a cold kernel: nothing of a chapter survives
into the next, and nothing a chapter imports is pre-configured, since modules
whose import depends on a running IPython shell (the inline backend, which
hooks itself into the shell it finds, and ``briefing.chapter_setup``, which
configures it) are not preloaded; ``matplotlib.pyplot`` only picks its backend
at the first figure, inside the chapter. nbval in
``make test`` re-executes every committed notebook in a plain cold kernel and
compares the outputs, which proves they do not depend on the server.

Lifetime: the server reads its standard input and exits, killing every kernel it
forked, when that closes (the build ended, or was killed); each kernel also dies
with the server (``PR_SET_PDEATHSIG``; not the server itself with the build, since
that signal follows the thread that started it, and the build may start it from
a worker thread). Kernels run in their own process group,
so a Ctrl-C at the terminal reaches the build, which shuts them down itself.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PRELOAD = (
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.pyplot",
    "matplotlib.backends.backend_svg",
    "IPython",
    "ipykernel.kernelapp",
    "briefing.data",
    "briefing.lineage",
    "briefing.sources",
    "briefing.arch",
    "briefing.economics",
    "briefing.present",
    "briefing.claims",
    "briefing.verdicts",
)
KERNEL_ARGS = ("--HistoryManager.enabled=False",)  # the kernel's IPython folder is removed after the run
READY = "ready"
START_TIMEOUT = 120.0
PR_SET_PDEATHSIG = 1


# --- the server (runs as `python -m briefing.render.warm SOCKET`) -----------------------------


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _become_kernel(request: dict, closing: list) -> None:
    """In the forked child: a clean process of its own, then an ordinary ipykernel."""
    try:
        for item in closing:
            item.close()
        os.setpgid(0, 0)
        _die_with_parent()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(2, 1)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        import briefing.lineage
        import briefing.reads

        briefing.reads.reset()
        briefing.lineage.reset()
        sys.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", request["connection_file"]]
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance(parent_handle=os.getppid())  # its default was read before the fork
        app.initialize(["-f", request["connection_file"], *KERNEL_ARGS])
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve(path: str) -> None:
    """Preload, listen on the Unix socket ``path``, fork a kernel per request until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()  # the kernels' collections leave the preloaded objects alone: their pages stay shared
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "listen")
    selector.register(sys.stdin, selectors.EVENT_READ, "stdin")
    wake_read, wake_write = socket.socketpair()
    wake_read.setblocking(False)
    wake_write.setblocking(False)
    signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a kernel's exit wakes the loop at once
    selector.register(wake_read, selectors.EVENT_READ, "child")
    children: dict[int, socket.socket] = {}
    try:
        print(READY, flush=True)
    except OSError:  # the build went away while this preloaded (killed): nobody to serve, nothing to say
        os._exit(0)
    running = True
    while running:
        for key, _ in selector.select(timeout=1.0):
            if key.data == "child":
                try:
                    wake_read.recv(4096)
                except OSError:
                    pass
            elif key.data == "stdin":
                if not sys.stdin.readline():
                    running = False
            elif key.data == "listen":
                conn, _ = listener.accept()
                conn.settimeout(10)
                try:
                    request = json.loads(conn.makefile("r").readline())
                except (OSError, ValueError):
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    signal.set_wakeup_fd(-1)
                    _become_kernel(request, [selector, listener, conn, wake_read, wake_write, *children.values()])
                try:
                    os.setpgid(pid, pid)
                except OSError:
                    pass
                children[pid] = conn
                _send(conn, {"pid": pid})
        _reap(children)
    for pid in list(children):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while children and time.monotonic() < deadline:
        _reap(children)
        time.sleep(0.01)
    listener.close()


def _send(conn: socket.socket, message: dict) -> None:
    try:
        conn.sendall((json.dumps(message) + "\n").encode())
    except OSError:
        pass


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
            conn.close()


# --- the build's side --------------------------------------------------------------------------


class ForkedKernel:
    """A kernel forked by the server, with the part of ``subprocess.Popen`` jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, conn: socket.socket, pid: int):
        self.conn = conn
        self.pid = pid
        self.returncode: int | None = None
        self._buffer = b""

    def _read(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        self.conn.settimeout(timeout)
        try:
            while b"\n" not in self._buffer:
                chunk = self.conn.recv(4096)
                if not chunk:
                    self.returncode = -signal.SIGKILL  # the server went away; its kernels die with it
                    return
                self._buffer += chunk
        except (BlockingIOError, socket.timeout):
            return
        except OSError:
            self.returncode = -signal.SIGKILL
            return
        line, _, self._buffer = self._buffer.partition(b"\n")
        self.returncode = int(json.loads(line).get("exit", 1))
        self.conn.close()

    def poll(self) -> int | None:
        self._read(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._read(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("forked kernel", timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass  # it exited between the poll and the signal: nothing left to signal

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL, then wait for the exit (a few milliseconds), so the manager's next poll sees it gone."""
        self.send_signal(signal.SIGKILL)
        try:
            self.wait(2)
        except subprocess.TimeoutExpired:
            pass


class ServerStopped(Exception):
    """The fork server is gone (killed, or it failed to start): the chapters' kernels went with it."""

    def __init__(self, how: str):
        super().__init__(how)
        self.how = how


class WarmKernels:
    """The fork server of one project: started on first use, closed with :meth:`close`."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root = Path(root)
        self.env = env
        self.folder: Path | None = None
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.ready = False

    def start(self) -> None:
        """Start the server (it preloads in the background; :meth:`fork` waits for it)."""
        with self.lock:
            if self.process is not None:
                return
            self.folder = Path(tempfile.mkdtemp(prefix=f"briefing-warm-{os.getpid()}-"))
            env = {**self.env, "IPYTHONDIR": str(self.folder / "ipython")}
            self.process = subprocess.Popen(
                [sys.executable, "-m", "briefing.render.warm", str(self.folder / "server.sock")],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=self.root, env=env)

    def _wait_ready(self) -> None:
        if self.ready:
            return
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if line != READY:
            self.process.wait(timeout=START_TIMEOUT)
            raise ServerStopped(self.stopped() or "it did not start")
        self.ready = True

    def stopped(self) -> str | None:
        """How the server ended (``killed by SIGKILL``, ``exit code 1``), or None while it runs."""
        process = self.process
        if process is None or process.poll() is None:
            return None
        code = process.returncode
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def fork(self, connection_file: str, env: dict[str, str], cwd: str) -> ForkedKernel:
        """Ask the server for a kernel on ``connection_file``; blocking (call it from a thread)."""
        self.start()
        with self.lock:
            self._wait_ready()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(str(self.folder / "server.sock"))
        except OSError:
            conn.close()
            if self.stopped():
                raise ServerStopped(self.stopped()) from None
            raise
        conn.sendall((json.dumps({"connection_file": connection_file, "env": env, "cwd": cwd}) + "\n").encode())
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                raise ServerStopped(self.stopped() or "it closed the connection")
            reply += chunk
        return ForkedKernel(conn, int(json.loads(reply)["pid"]))

    def close(self) -> None:
        """Stop the server and every kernel it forked; remove its folder."""
        with self.lock:
            process, self.process = self.process, None
            self.ready = False
            if process is not None:
                try:
                    process.stdin.close()
                except OSError:
                    pass
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None


def provisioner_for(server: WarmKernels, km):
    """A kernel provisioner that launches ``km``'s kernel by forking it from ``server``."""
    import asyncio
    import uuid

    from jupyter_client.provisioning import LocalProvisioner

    class WarmProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            loop = asyncio.get_running_loop()
            env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
            cwd = str(kwargs.get("cwd") or server.root)
            self.process = await loop.run_in_executor(None, server.fork, self.parent.connection_file, env, cwd)
            self.pid = self.pgid = self.process.pid
            self.cwd = cwd
            return self.connection_info

        async def kill(self, restart: bool = False) -> None:
            """Kill the kernel's process group and wait the milliseconds it takes to be reaped,
            instead of the manager's 0.1 s polls."""
            if self.process is not None:
                try:
                    os.killpg(self.pgid, signal.SIGKILL)
                except OSError:
                    pass
                await asyncio.get_running_loop().run_in_executor(None, self.process.kill)

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    return WarmProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


if __name__ == "__main__":
    serve(sys.argv[1])
