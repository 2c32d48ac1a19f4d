"""Warm kernels (issue 12): a forked kernel computes what a cold one computes, and nothing it
starts outlives the build (server, kernels, temporary folders), even when the build is interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from briefing.render import kernel, qmd
from briefing.render.warm import WarmKernels
from conftest import EPOCH, ctrl_c_reaches_it

CELLS = [
    "from briefing.chapter_setup import *\nimport matplotlib.pyplot as plt\nimport sys",
    "frame = pd.DataFrame({'stage': ['a', 'b'], 'hours': [3, 4]})\nprint('rows', len(frame))",
    "fig, ax = plt.subplots(figsize=(3, 2))\nax.bar(frame.stage, frame.hours)\nplt.show()",
    "table(frame)",
    "number(frame.hours.sum() * 1000)",
    "print(sorted(k for k in sys.modules if k.startswith('briefing.chapter')))",
    "import briefing.reads\nbriefing.reads.record()",
]


def Chapter(root: Path) -> qmd.Chapter:
    return qmd.Chapter(path=root / "chapter.qmd", meta={})


def run(root: Path, warm) -> list:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    result = kernel.run_all([lambda: kernel.execute(nb, Chapter(root), root, 60, warm=warm)], 1)[0]
    if isinstance(result, BaseException):
        raise result
    return [cell.outputs for cell in result.notebook.cells]


def ours(root: Path) -> list[int]:
    """Processes whose environment names ``root`` as the project (the server and its kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"BRIEFING_ROOT={root}".encode() in env:
            found.append(int(entry.name))
    return found


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: Warm\n  chapters:\n    - index.qmd\n")
    (tmp_path / "index.qmd").write_text("# Warm\n")
    return tmp_path.resolve()


def test_a_forked_kernel_gives_exactly_the_outputs_of_a_cold_kernel(project):
    warm = WarmKernels(project, kernel.kernel_env(project, Path(".")))
    try:
        forked = run(project, warm)
        again = run(project, warm)  # a second chapter from the same server starts as clean
    finally:
        warm.close()
    cold = run(project, None)
    assert forked == cold == again
    svg = forked[2][0]["data"]["image/svg+xml"]
    assert svg.startswith("<?xml") and "<dc:date>" not in svg  # the inline backend, as chapter_setup configures it


def test_closing_the_server_leaves_no_process_and_no_folder(project):
    warm = WarmKernels(project, kernel.kernel_env(project, Path(".")))
    run(project, warm)
    folder, server = warm.folder, warm.process.pid
    assert ours(project)  # the server waits for the next chapter
    warm.close()
    assert not folder.exists()
    deadline = time.monotonic() + 5
    while ours(project) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours(project) == [] and not Path(f"/proc/{server}").exists()


def test_an_interrupted_build_leaves_no_kernel_server_or_temporary_folder(tmp_path):
    root = tmp_path.resolve()
    (root / "_quarto.yml").write_text("project:\n  type: book\nbook:\n  title: Slow\n  chapters:\n"
                                      "    - index.qmd\n    - slow.qmd\n")
    (root / "index.qmd").write_text("# Slow\n")
    (root / "slow.qmd").write_text("# Slow\n\n```{python}\nimport time\ntime.sleep(60)\n```\n")
    tmp = tmp_path.parent / f"{tmp_path.name}-tmp"  # the build's TMPDIR, apart from other builds' folders in /tmp
    tmp.mkdir()
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "TMPDIR": str(tmp)}
    env.pop("BRIEFING_ROOT", None)
    build = subprocess.Popen([sys.executable, "-m", "briefing.cli", "build", "--project", str(root)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             preexec_fn=ctrl_c_reaches_it)
    for line in build.stdout:
        if line.startswith("executing slow.qmd"):
            break
    deadline = time.monotonic() + 60
    while len(ours(root)) < 2 and time.monotonic() < deadline:  # the server and the chapter's kernel, in its cell
        time.sleep(0.05)
    assert len(ours(root)) >= 2
    build.send_signal(signal.SIGINT)
    assert build.wait(timeout=30) == 130
    deadline = time.monotonic() + 5
    while ours(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours(root) == []
    assert list(tmp.glob("briefing-*")) == []
    assert not (root / "_book").exists()


@pytest.mark.parametrize("kind, content", [
    ("execute_result", {"metadata": {}, "data": {"text/plain": "1", "text/markdown": "**1**"}, "execution_count": 3}),
    ("display_data", {"metadata": {"image/png": {"width": 3}}, "data": {"image/svg+xml": "<svg/>"}}),
    ("stream", {"name": "stdout", "text": "hi\n"}),
    ("error", {"ename": "ValueError", "evalue": "v", "traceback": ["a", "b"]}),
])
def test_outputs_are_built_exactly_as_nbformat_builds_them(kind, content):
    from nbformat.v4 import output_from_msg

    msg = {"header": {"msg_type": kind}, "content": content}
    assert kernel.output_from_msg(msg) == output_from_msg(msg)
    assert nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x", outputs=[kernel.output_from_msg(msg)])])) is None


def test_signalling_a_forked_kernel_that_just_exited_is_not_an_error():
    """A kernel that exits between the poll and the signal (a race CI met: "kernel failed:
    ProcessLookupError") is simply gone: sending it a signal or killing it does not raise."""
    import socket as _socket
    import subprocess as _subprocess

    from briefing.render.warm import ForkedKernel

    gone = _subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True).stdout.strip()
    ours_end, theirs = _socket.socketpair()
    try:
        kernel = ForkedKernel(ours_end, int(gone))
        kernel.send_signal(signal.SIGTERM)
        kernel.terminate()
    finally:
        theirs.close()
        ours_end.close()


# -- issue 19, class 7: the server killed, or the build killed under it ------------------------------


def server_of(root: Path) -> int | None:
    for pid in ours(root):
        try:
            if b"briefing.render.warm" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


def slow_book(root: Path, chapters: int) -> list[str]:
    names = [f"slow{i}.qmd" for i in range(chapters)]
    listed = "".join(f"    - {n}\n" for n in ["index.qmd", *names])
    (root / "_quarto.yml").write_text(f"project:\n  type: book\nbook:\n  title: Slow\n  chapters:\n{listed}")
    (root / "index.qmd").write_text("# Slow\n")
    for name in names:
        (root / name).write_text("# Slow\n\n```{python}\nimport time\ntime.sleep(60)\n```\n")
    return names


def start_build(root: Path) -> subprocess.Popen:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    env.pop("BRIEFING_ROOT", None)
    return subprocess.Popen([sys.executable, "-m", "briefing.cli", "build", "--to", "html", "--project", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def test_a_killed_kernel_server_is_blamed_once_not_the_chapters(tmp_path):
    """Before: each running chapter failed with "kernel failed: RuntimeError: Kernel died before replying
    to kernel_info", and nbclient's atexit hooks printed an AssertionError traceback per chapter."""
    root = tmp_path.resolve()
    names = slow_book(root, 3)
    build = start_build(root)
    deadline = time.monotonic() + 60
    while len(ours(root)) < 3 and time.monotonic() < deadline:  # the server and two chapters' kernels
        time.sleep(0.02)
    server = server_of(root)
    assert server is not None and len(ours(root)) >= 3
    os.kill(server, signal.SIGKILL)
    _, err = build.communicate(timeout=60)
    assert build.returncode == 1
    assert "Traceback" not in err and "Exception ignored" not in err, err
    first, second = err.splitlines()
    assert first == ("error: the kernel server, which starts each chapter's kernel, stopped (killed by SIGKILL) while "
                     f"chapters ran; not finished: {', '.join(names)}. No chapter is at fault: build again")
    assert second == "build failed; the previous _book/ is left untouched"


def test_a_build_killed_while_the_server_preloads_leaves_no_traceback(tmp_path):
    """The server is held (SIGSTOP) before it can say it is ready, the build is killed, the server goes
    on: it used to print a BrokenPipeError traceback on the terminal when it said "ready"."""
    root = tmp_path.resolve()
    slow_book(root, 1)
    build = start_build(root)
    deadline = time.monotonic() + 60
    while server_of(root) is None and time.monotonic() < deadline:
        time.sleep(0.005)
    server = server_of(root)
    assert server is not None
    os.kill(server, signal.SIGSTOP)
    build.kill()
    build.wait(timeout=30)
    os.kill(server, signal.SIGCONT)
    _, err = build.communicate(timeout=60)  # stderr reaches its end when the server, which shares it, exits
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert not Path(f"/proc/{server}").exists() or b"zombie" in Path(f"/proc/{server}/status").read_bytes()
