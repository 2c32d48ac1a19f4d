"""`make bench`: time the built-in engine on the briefing and on a generated 12-chapter book.

For each book: a full build that executes every chapter (--refresh), a build with
nothing changed, and a build after a prose-only edit (which must start no kernel).
Targets (issue 2, 2-core machine): 12 chapters executed in under 15 s; nothing changed
in under 1 s; prose-only edit without a kernel. Reference: real Quarto, about 11 s cold
and 3.5 s frozen for a two-chapter book on this kind of machine.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
frame = pd.DataFrame({{"stage": ["a", "b", "c"], "hours": [{n}, {n2}, {n3}]}})
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
    (folder / "chapters").mkdir(parents=True)
    names = []
    for n in range(1, chapters + 1):
        (folder / "chapters" / f"chapter-{n:02d}.qmd").write_text(CHAPTER.format(n=n, n2=2 * n, n3=3 * n))
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


def measure(label: str, project: Path, chapter: Path) -> list[tuple[str, str, float, str]]:
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
    return rows


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_project(Path(tmp) / "briefing")
        rows += measure("the briefing", book, book / "chapters" / "introduction.qmd")
        generated = generated_book(Path(tmp) / "generated")
        rows += measure("generated, 12 chapters", generated, generated / "chapters" / "chapter-07.qmd")
    print(f"\nbriefing build, median of {REPEAT} runs on {os.cpu_count()} cores\n")
    print("| book | build | seconds | note |\n|---|---|---:|---|")
    for label, kind, seconds, note in rows:
        print(f"| {label} | {kind} | {seconds:.2f} | {note} |")


if __name__ == "__main__":
    main()
