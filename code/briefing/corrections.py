"""The corrections log: what the briefing said, what it says now, and why.

``data/corrections.csv`` holds one row per change a reader should know about, as a
newspaper keeps them: the date, the section it touches (``chapter#anchor``), the
claim if one is concerned, what the briefing said (verbatim, or "(nothing)" for an
addition), what it says now, why, and the evidence with its source. Nothing in the
briefing is rewritten silently: a correction, a clarification of an overclaim, an
added claim or a better source each get a row, and the "Corrections"
appendix prints them all, newest first.

Beyond its schema (checked by :func:`briefing.data.load`), each row's section must
name a chapter of the book and a heading id that chapter defines, so every entry
links to a place that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from briefing import data, lineage
from briefing.present import md_escape, when

LOG = "corrections"
LOG_FILE = "corrections.csv"
KIND_LABEL = {"correction": "Correction", "clarification": "Clarification", "addition": "Addition",
              "sourcing": "Better source"}
KIND_PLURAL = {"correction": "corrections", "clarification": "clarifications", "addition": "additions",
               "sourcing": "better sources"}
TITLE_LINE = re.compile(r"^title:\s*[\"']?(?P<title>.*?)[\"']?\s*$", re.M)
HEADING_LINE = re.compile(r"^#\s+(?P<title>[^{\n]+?)\s*(\{[^}]*\})?\s*$", re.M)
ANCHOR = re.compile(r"\{[^}]*#(?P<id>[\w-]+)[^}]*\}")


def chapter_file(stem: str, chapters: Path) -> Path:
    """The .qmd a section's chapter part names: ``index`` is the preface at the root, the rest are in chapters/."""
    return chapters.parent / "index.qmd" if stem == "index" else chapters / f"{stem}.qmd"


def chapter_titles(chapters: Path) -> dict[str, str]:
    """Each chapter's title by stem, from its front matter or first heading (``index`` for the preface)."""
    titles = {}
    for file in [chapters.parent / "index.qmd", *sorted(chapters.glob("*.qmd"))]:
        if not file.is_file() or file.name.startswith("_"):
            continue
        text = file.read_text(encoding="utf-8")
        found = TITLE_LINE.search(text.split("\n---", 1)[0]) if text.startswith("---") else None
        found = found or HEADING_LINE.search(text)
        if found:
            titles["index" if file.name == "index.qmd" else file.stem] = found.group("title").strip()
    return titles


INLINE_CODE = re.compile(r"`\{python\}[^`]*`")
SECTION_HEADING = re.compile(r"^#{2,6}\s+(?P<title>.+?)\s*\{#(?P<id>[\w-]+)[^}]*\}\s*$", re.M)


def section_titles(chapters: Path) -> dict[str, str]:
    """``{"mla-kv-cache#sec-mla-verdict": "MLA and the KV cache › Verdict", "index": "Preface", ...}``."""
    titles = dict(chapter_titles(chapters))
    for stem, title in list(titles.items()):
        text = chapter_file(stem, chapters).read_text(encoding="utf-8")
        for found in SECTION_HEADING.finditer(text):
            heading = INLINE_CODE.sub("…", found.group("title"))
            titles[f"{stem}#{found.group('id')}"] = f"{title} › {heading}"
    return titles


def kinds_sentence(counts: pd.Series) -> list[str]:
    """``['16 corrections', '1 addition', ...]`` for the kinds that occur."""
    return [lineage.traced(f"{n} {KIND_PLURAL[k] if n != 1 else KIND_LABEL[k].lower()}", lineage.refs_of(n))
            for k, n in counts.items() if n]


def section_problems(frame: pd.DataFrame, chapters: Path, lines: dict[str, int]) -> list[data.Problem]:
    """Every ``section`` must name an existing chapter and, after ``#``, an id that chapter defines."""
    problems = []
    for _, row in frame.iterrows():
        stem, _, anchor = str(row["section"]).partition("#")
        file = chapter_file(stem, chapters)
        where = lines.get(row["correction_id"])
        if not file.is_file():
            problems.append(data.Problem(f"data/{LOG_FILE}", where, "section", f'"{stem}" is not a chapter of the book'))
            continue
        if anchor and anchor not in {m.group("id") for m in ANCHOR.finditer(file.read_text(encoding="utf-8"))}:
            problems.append(data.Problem(f"data/{LOG_FILE}", where, "section",
                                         f'"#{anchor}" is not a heading or figure id of {file.name}'))
    return problems


def log(folder: str | Path | None = None, chapters: str | Path | None = None) -> pd.DataFrame:
    """The corrections log, validated, newest first (entries of one day in the order they were logged)."""
    frame = data.load(LOG, folder)
    if chapters is None:
        from briefing import paths

        chapters = paths.CHAPTERS
    lines = {row["correction_id"]: line for line, row in data.read_rows(data.data_folder(folder) / LOG_FILE)}
    problems = section_problems(frame, Path(chapters), lines)
    if problems:
        raise data.DataError(problems)
    return frame.sort_values("date", ascending=False, kind="stable").reset_index(drop=True)


def _link(section: str, titles: dict[str, str]) -> str:
    stem, _, anchor = section.partition("#")
    target = "../index.qmd" if stem == "index" else f"{stem}.qmd"
    shown = titles.get(section) or titles.get(stem, stem)
    return f"[{md_escape(shown)}]({target}{'#' + anchor if anchor else ''})"


def prose(text) -> str:
    """A cell of the log as Markdown text: escaped, with powers of ten written as the book writes them,
    as superscripts (``10^24`` -> 10²⁴) and a percent sign set close (``43 %`` -> ``43%``)."""
    from briefing.present import GUILLEMETS, mark_french_markdown

    escaped = re.sub(r"10\\\^(\d+)", r"10^\1^", md_escape(text))
    parts, last = [], 0
    for quote in GUILLEMETS.finditer(escaped):  # a French quotation keeps its own typography
        parts += [re.sub(r"(\d) %", r"\1%", escaped[last:quote.start()]), quote.group(0)]
        last = quote.end()
    parts.append(re.sub(r"(\d) %", r"\1%", escaped[last:]))
    return mark_french_markdown("".join(parts))


def entry_markdown(row: pd.Series, titles: dict[str, str]) -> str:
    """One entry of the appendix: id, date and kind; where; what was said; what is said now; why; evidence."""
    head = f"**{md_escape(row['correction_id'])}** · {when(row['date'])} · {KIND_LABEL[row['kind']]}"
    where = _link(row["section"], titles)
    if pd.notna(row.get("claim_id")) and row["claim_id"]:
        where += f", claim {md_escape(row['claim_id'])}"
    evidence = md_escape(row["source_title"])
    if pd.notna(row.get("source_locator")) and row["source_locator"]:
        evidence += f", {md_escape(row['source_locator'])}"
    extra = [md_escape(x) for x in (row.get("publisher"), row.get("published")) if pd.notna(x) and x]
    evidence += f" ({'; '.join(extra + [row['confidence']])})"
    return "\n\n".join([
        f"::: {{.correction #{row['correction_id'].lower()}}}",
        f"{head} — {where}",
        f"*Said:* {prose(row['said'])}",
        f"*Now:* {prose(row['now'])}",
        f"*Why:* {prose(row['why'])}",
        f"*Evidence:* {evidence}",
        ":::",
    ])


def entries_markdown(frame: pd.DataFrame, titles: dict[str, str]) -> str:
    """Every entry, in the frame's order (newest first from :func:`log`)."""
    return "\n\n".join(entry_markdown(row, titles) for _, row in frame.iterrows())


def counts_by_kind(frame: pd.DataFrame) -> pd.Series:
    """How many entries of each kind, in the order of :data:`KIND_LABEL`, zeros included."""
    return pd.Series({kind: lineage.count(list(frame.loc[frame["kind"] == kind, "kind"])) for kind in KIND_LABEL},
                     dtype=object, name="count")
