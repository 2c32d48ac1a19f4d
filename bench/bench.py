"""`make bench`: time the built-in engine on the briefing and on a generated 12-chapter book.

For each book (median of BENCH_REPEAT runs, default 3): a full build that executes every
chapter (--refresh), a build with nothing changed, a build after a prose-only edit (which
must start no kernel), a build after one value changed in a data table (which must re-execute
only the chapters that read that table), and, in `briefing preview`, the time from saving a
prose edit to the new HTML being served. Targets (issue 12, 2 cores): generated book executed
in under 5 s, the briefing in under 10 s, a one-value table change under 4 s, a prose edit in
the preview under 1 s, nothing changed under 0.3 s. When `quarto` is on PATH, real Quarto
renders the generated book too (cold, then frozen) and the ratio is printed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import csv
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))

CHAPTER = '''---
title: "Chapter {n}"
---

```{{python}}
#| include: false
from briefing.chapter_setup import *
import matplotlib.pyplot as plt
frame = pd.read_csv("data/chapter-{n:02d}.csv")
```

Chapter {n} has `{{python}} number(frame.hours.sum())` hours in all; see @fig-c{n} and @tbl-c{n}.

## Detail {{#sec-c{n}}}

```{{python}}
#| label: fig-c{n}
#| fig-cap: "Hours by stage, chapter {n}"
#| fig-alt: "Three bars."
fig, ax = plt.subplots(figsize=(4, 2.5))
ax.bar(frame.stage, frame.hours)
plt.show()
```

```{{python}}
#| label: tbl-c{n}
#| tbl-cap: "Hours by stage"
table(frame)
```
'''


def generated_book(folder: Path, chapters: int = 12) -> Path:
    """A book of ``chapters`` chapters, each reading its own table data/chapter-NN.csv."""
    (folder / "chapters").mkdir(parents=True)
    (folder / "data").mkdir()
    names = []
    for n in range(1, chapters + 1):
        (folder / "chapters" / f"chapter-{n:02d}.qmd").write_text(CHAPTER.format(n=n))
        (folder / "data" / f"chapter-{n:02d}.csv").write_text(f"stage,hours\na,{n}\nb,{2 * n}\nc,{3 * n}\n")
        names.append(f"    - chapters/chapter-{n:02d}.qmd")
    (folder / "index.qmd").write_text("# Preface {.unnumbered}\n\nA generated book.\n")
    (folder / "_quarto.yml").write_text(
        "project:\n  type: book\n  execute-dir: project\nbook:\n  title: Generated\n  chapters:\n    - index.qmd\n"
        + "\n".join(names) + "\nexecute:\n  echo: false\n"
    )
    return folder


def copy_project(dest: Path) -> Path:
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"],
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def build(project: Path, *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "briefing.cli", "build", "--project", str(project), *args],
                            capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"build failed in {project}:\n{result.stderr}")
    return seconds, result.stdout


def measure(label: str, project: Path, chapter: Path, table: Path, column: str, rehash: bool) -> list[tuple[str, str, float, str]]:
    rows = []
    full = [build(project, "--refresh") for _ in range(REPEAT)]
    rows.append((label, "full build, every chapter executed", statistics.median(s for s, _ in full),
                 f"{full[0][1].count('executed ')} chapters executed"))
    same = [build(project) for _ in range(REPEAT)]
    rows.append((label, "nothing changed", statistics.median(s for s, _ in same),
                 "no-op" if all("nothing changed" in out for _, out in same) else "REBUILT"))
    times = []
    for i in range(REPEAT):
        chapter.write_text(chapter.read_text() + f"\n\nA prose-only edit, number {i}.\n")
        seconds, out = build(project)
        times.append((seconds, out))
    kernels = sum(out.count("executed ") for _, out in times)
    rows.append((label, "prose-only edit", statistics.median(s for s, _ in times),
                 "no kernel started" if kernels == 0 else f"{kernels} KERNELS STARTED"))
    times = []
    for i in range(REPEAT):
        change_one_value(table, column, i)
        if rehash:
            subprocess.run([sys.executable, "-m", "briefing.cli", "check", "--rehash", "--data", str(project / "data")],
                           capture_output=True, check=True)
        times.append(build(project))
    ran = sorted(set(re.findall(r"^executed (\S+)", times[0][1], flags=re.M)))
    rows.append((label, f"one value changed in {table.relative_to(project)}", statistics.median(s for s, _ in times),
                 f"{len(ran)} executed: {', '.join(ran)}"))
    rows.append((label, "prose edit in `briefing preview`, until the new HTML is served", preview_latency(project, chapter),
                 "median of 3 edits"))
    return rows


def change_one_value(table: Path, column: str, i: int) -> None:
    """Change one cell of the first row: a number goes up by one, a text gets a suffix."""
    rows = list(csv.reader(table.open(encoding="utf-8", newline="")))
    at = rows[0].index(column)
    cell = rows[1][at]
    rows[1][at] = str(int(cell) + 1) if cell.isdigit() else re.sub(r" \(bench \d+\)$", "", cell) + f" (bench {i})"
    with table.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def preview_latency(project: Path, chapter: Path) -> float:
    """Seconds from saving a prose edit to the preview serving the page with it (median of REPEAT),
    each edit made once the preview is idle (its background PDF done), as a writer pausing would."""
    import threading

    process = subprocess.Popen([sys.executable, "-m", "briefing.cli", "preview", "--project", str(project)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: [lines.append(line) for line in process.stdout], daemon=True)
    reader.start()

    def wait_for(pattern: str, count: int, limit: float = 60) -> None:
        deadline = time.monotonic() + limit
        while sum(bool(re.search(pattern, line)) for line in list(lines)) < count:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the preview did not answer:\n" + "".join(lines))
            time.sleep(0.02)

    try:
        wait_for(r"serving .* at http://", 1)
        url = re.search(r"(http://127\.0\.0\.1:\d+/)", next(l for l in lines if "serving" in l)).group(1)
        page = url + chapter.relative_to(project).with_suffix(".html").as_posix()
        times = []
        for i in range(REPEAT):
            wait_for(r"PDF rebuilt", i + 1)
            marker = f"A preview edit, number {i}."
            chapter.write_text(chapter.read_text() + f"\n\n{marker}\n")
            started = time.perf_counter()
            while marker not in urllib.request.urlopen(page, timeout=10).read().decode("utf-8"):
                time.sleep(0.01)
            times.append(time.perf_counter() - started)
        return statistics.median(times)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def quarto_rows(generated: Path) -> list[tuple[str, str, float, str]]:
    """Real Quarto on the generated book: cold (fresh copy), then frozen (a second render)."""
    if not shutil.which("quarto"):
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "book"
        shutil.copytree(generated, book, ignore=shutil.ignore_patterns("_book", ".briefing-cache", "_notebooks"))
        with (book / "_quarto.yml").open("a") as fh:
            fh.write("  freeze: auto\n")
        for kind in ("cold", "frozen"):
            started = time.perf_counter()
            subprocess.run(["quarto", "render", str(book)], capture_output=True, check=True)
            rows.append(("generated, 12 chapters", f"real Quarto, {kind}", time.perf_counter() - started, "one run"))
    return rows


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop: the same machine varies by more than the targets' margins
    from one hour to the next, so the table says how fast it was while it was measured."""
    started = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    return time.perf_counter() - started


def main() -> None:
    speed = machine_speed()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_project(Path(tmp) / "briefing")
        rows += measure("the briefing", book, book / "chapters" / "introduction.qmd", book / "data" / "fx_rates.csv", "notes", True)
        generated = generated_book(Path(tmp) / "generated")
        rows += measure("generated, 12 chapters", generated, generated / "chapters" / "chapter-07.qmd",
                        generated / "data" / "chapter-07.csv", "hours", False)
        real = quarto_rows(generated)
    print(f"\nbriefing build, median of {REPEAT} runs on {os.cpu_count()} cores "
          f"(machine speed: a fixed Python loop took {speed:.2f} s before, {machine_speed():.2f} s after)\n")
    print("| book | build | seconds | note |\n|---|---|---:|---|")
    for label, kind, seconds, note in rows + real:
        print(f"| {label} | {kind} | {seconds:.2f} | {note} |")
    if real:
        ours = {kind: seconds for label, kind, seconds, _ in rows if label.startswith("generated")}
        print(f"\nreal Quarto / briefing on the generated book: cold {real[0][2] / ours['full build, every chapter executed']:.1f}x, "
              f"frozen {real[1][2] / ours['nothing changed']:.1f}x")


if __name__ == "__main__":
    main()
