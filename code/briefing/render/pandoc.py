"""Run the pandoc binary shipped in the pypandoc-binary wheel, with our Lua filter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
from importlib import resources
from pathlib import Path

from briefing.render import BuildError


def pandoc_binary() -> str:
    """Path of the pandoc executable inside the pypandoc-binary wheel."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def asset(name: str) -> Path:
    return Path(str(resources.files("briefing.render").joinpath(name)))


READER = "markdown+smart-implicit_header_references"


def run_pandoc(markdown: str, to: str, metadata: dict, variables: dict, extra: list[str], cwd: Path,
               source_name: str, reader: str = READER, filters=None) -> str:
    """Convert markdown to ``to`` with the engine's filter and the project's (``filters``, a
    :class:`briefing.render.project.Filters`: before and after the engine's, as Quarto places them);
    metadata travels as a JSON file."""
    handle, name = tempfile.mkstemp(prefix=".meta-", suffix=".json", dir=cwd)
    meta_file = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        json.dump(metadata, fh, sort_keys=True, ensure_ascii=False)
    command = [
        pandoc_binary(),
        "--from", reader,
        "--to", to,
        "--metadata-file", str(meta_file),
        *[arg for f in (filters.before if filters else ()) for arg in ("--lua-filter", str(f))],
        "--lua-filter", str(asset("filters/quarto.lua")),
        *[arg for f in (filters.after if filters else ()) for arg in ("--lua-filter", str(f))],
        "--wrap", "none",
        *extra,
    ]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    try:
        with _LOCK:
            if _STOPPED.is_set():
                raise BuildError(f"{source_name}: not converted: the build was interrupted")
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, encoding="utf-8", cwd=cwd, start_new_session=True)
            _RUNNING.add(proc)
        try:
            stdout, stderr = proc.communicate(markdown)
        finally:
            with _LOCK:
                _RUNNING.discard(proc)
    finally:
        meta_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise BuildError(f"{source_name}: pandoc failed ({to}): {stderr.strip()}")
    warnings = [w for w in stderr.splitlines() if w.strip()]
    if warnings:
        raise BuildError(f"{source_name}: pandoc: " + "; ".join(warnings))
    return stdout


_LOCK = threading.Lock()
_RUNNING: set[subprocess.Popen] = set()
_STOPPED = threading.Event()


def allow() -> None:
    """Let conversions run (a render starts)."""
    _STOPPED.clear()


def stop_all() -> None:
    """Refuse new conversions and kill the running ones: the build was interrupted, and a worker
    thread must not start pandoc after the interrupt reached the processes already running."""
    with _LOCK:
        _STOPPED.set()
        for proc in _RUNNING:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # its whole group: a wrapper's children hold the pipes too
            except OSError:
                proc.kill()
