"""The "What changed" page and each chapter's "last changed" line, made at build time from the
releases (:mod:`briefing.release.history`) and ``briefing diff`` (:mod:`briefing.diff`).

Both engines publish it: the built-in engine as the book's last page, real Quarto through the extension's
post-render step (the site) and pre-render step (the PDF's appendix). The
page closes the book (HTML and PDF): which edition this is, what a reader would see changed since
the last release (when this edition is not one), the release that last changed each chapter, and
the log of releases from ``CHANGELOG.md``. It reads only git and committed files, so one commit
always gives the same page.
"""

from __future__ import annotations

import re
from pathlib import Path

from briefing.release import history
from briefing.release import version as release_version
from briefing.render.qmd import Chapter, Markdown

STEM = "what-changed"
TITLE = "What changed between editions"


def chapter_files(root: Path, path: Path) -> list[str]:
    rel = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    return [rel, f"chapters/_notebooks/{Path(path).stem}.ipynb"]


def last_changed_line(root: Path, path: Path, overlay: dict[str, bytes] | None = None) -> str:
    """"Last changed in version 1.0.0 (2026-12-02)", with "changed since, not yet released" when
    it has; "Not in a release yet" before the first release that has it; "" without releases."""
    if not history.releases(root) or not history.in_git(root):
        return ""
    last, since = history.last_changed(root, chapter_files(root, path), overlay)
    if last is None:
        return "Not in a release yet."
    line = f"Last changed in version {last.version} ([{last.date}]{{.nobr}})"  # a date never breaks at its hyphens
    return line + ("; changed since, not yet released." if since else ".")


def _demote(text: str, levels: int) -> str:
    return re.sub(r"^(#+) ", lambda m: "#" * min(6, len(m.group(1)) + levels) + " ", text, flags=re.M)


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#@|$~^])", r"\\\1", text)


def _chapter_heading(line: str, titles: list[tuple[Path, str]], root: Path) -> str:
    """A chapter's heading of the diff (``## mla-kv-cache``) as the chapter's title, linked to it."""
    if not line.startswith("## "):
        return line
    for path, title in titles:
        if line[3:].replace("\\", "") == path.stem:
            return f"## [{_escape(title)}]({Path(path).relative_to(root).as_posix()})"
    return line


def page_markdown(root: Path, describe: str, titles: list[tuple[Path, str]],
                  overlay: dict[str, bytes] | None = None) -> str | None:
    """The page as Pandoc markdown, or None for a project without a version in CITATION.cff."""
    from briefing.diff import reader
    from briefing.diff.compare import compare
    from briefing.diff.edition import read_edition
    from briefing.diff.tree import WORKTREE, RevisionError, Tree

    number, released = release_version.read(root)
    if number is None:
        return None
    recorded = history.releases(root)
    out = [f"# {TITLE} {{#{STEM}}}", ""]
    tracked = history.in_git(root)
    if not tracked:
        out += [f"This copy of the briefing carries no git history: it says it is version {number}"
                + (f", released on {released}" if released else "") + " (CITATION.cff). "
                "What changed, chapter by chapter, is worked out from a git clone.", ""]
    elif not recorded:
        out += [f"No release has been cut yet: this edition is version {_escape(describe)}. Releases, and what "
                "each one changed for a reader, will be listed here.", ""]
    elif history.is_release_commit(root, number):
        first = len(recorded) == 1
        out += [f"This edition is version {number}, released on {released or recorded[-1].date}"
                + (": the first release of the briefing, so there is no earlier edition to compare it with."
                   if first else f". What it changed since version {recorded[-2].version} is in the log below."), ""]
    else:
        last = recorded[-1]
        out += [f"This edition is not a release: it is version {_escape(describe)}, after version {last.version} "
                f"(released on {last.date}). What a reader would see changed since then:", ""]
        try:
            old, new = read_edition(Tree(root, last.commit)), read_edition(Tree(root, WORKTREE, overlay))
            named = {Path(path).stem: title for path, title in titles}
            body = [_chapter_heading(line, titles, Path(root)) for line in reader.lines(compare(old, new), old, new, named)]
        except RevisionError:
            body = [f"(The difference cannot be read: this clone lacks the commit {last.commit} of version "
                    f"{last.version}.)"]
        out += body + [""]  # the diff's chapter headings (##) are sections of the page
    if recorded and tracked:
        out += ["## The release that last changed each chapter", "", "| Chapter | Last changed |", "|---|---|"]
        for path, title in titles:
            out.append(f"| {_escape(title)} | {last_changed_line(root, path, overlay) or '—'} |")
        out.append("")
    if recorded:
        changelog = (Path(root) / history.CHANGELOG).read_text(encoding="utf-8")
        entries = changelog[changelog.find("\n## ") + 1:] if "\n## " in changelog else ""
        entries = re.sub(r"^Cut from commit [0-9a-f]+\.[ \t]*", "", entries, flags=re.M)  # the release record's, not the reader's
        out += ["## Releases", "", _demote(entries.strip(), 1), ""]
    return "\n".join(out).rstrip() + "\n"


def chapter(root: Path, describe: str, titles: list[tuple[Path, str]],
            overlay: dict[str, bytes] | None = None) -> Chapter | None:
    """The page as a chapter of the book (no code), or None when the project has no version;
    ``overlay``: the notebooks as this build writes them."""
    text = page_markdown(root, describe, titles, overlay)
    if text is None:
        return None
    return Chapter(path=Path(root) / f"{STEM}.qmd", meta={}, blocks=[Markdown(text, 1)])
