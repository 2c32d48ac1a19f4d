"""The PDF's last appendix, "Where the numbers come from", written from the executed notebooks.

The site shows each chapter's data at the foot of its page and each number's
expression on hover; a PDF cannot, so it ends with the same record: for every
chapter, the stamp of its executed notebook (``chapters/_notebooks/NAME.ipynb``,
the SHA-256 over everything its results depend on) and the data files it read
through :mod:`briefing.data`, each with the SHA-256 the read verified. The
appendix is a built-in-engine extra: real Quarto's PDF has no such appendix.
"""

from __future__ import annotations

import string

from briefing.render.notebook import data_reads
from briefing.render.qmd import relpath

TITLE = "Where the numbers come from"
ANCHOR = "where-the-numbers-come-from"


def next_letter(numbers: list[str | None]) -> str:
    """The letter after the last appendix letter in ``numbers`` ("A" when there is none)."""
    letters = [n for n in numbers if n and n.isalpha()]
    if not letters:
        return "A"
    return string.ascii_uppercase[string.ascii_uppercase.index(letters[-1]) + 1]


def markdown(pages, notebooks, letter: str) -> str:
    """The appendix in Pandoc markdown; ``pages`` are (entry, page, title, number) in book order."""
    out = [
        f"# [{letter}]{{.header-section-number}} {TITLE} {{#{ANCHOR} .chapter}}",
        "",
        "Every number in this book was computed when it was built, by the chapter's code, from the files of "
        "`data/`. For each chapter, this appendix gives the stamp of its executed notebook (the SHA-256 over the "
        "chapter's code, the `briefing` library, every data file, the lock and the execute options: a different "
        "stamp means different inputs) and the data files the notebook read, each with the SHA-256 verified at "
        "the read. The site shows the same list at the foot of each chapter, and the expression behind each "
        "number.",
    ]
    out += ["", "```{=typst}", "#[", "#show raw: set text(size: 7pt)", "```"]
    for (entry, _page, title, number), nb in zip(pages, notebooks):
        heading = f"{number} {title}" if number else title
        stamp = nb.metadata.get("briefing", {}).get("stamp", "")
        reads = data_reads(nb)
        out += ["", f"## {heading} {{.unnumbered .unlisted}}", "",
                f"Source `{relpath(entry.path)}`; notebook stamp:\\", f"`{stamp}`"]
        if not reads:
            out += ["", "No data file read."]
            continue
        out += ["", "| Data file | SHA-256 |", "|:---------|:---------------------|"]
        out += [f"| `{path}` | `{digest.removeprefix('sha256:')}` |" for path, digest in reads]
    out += ["", "```{=typst}", "]", "```"]
    return "\n".join(out) + "\n"
