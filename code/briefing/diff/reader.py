"""What changed between two editions, in a reader's words (the "What changed" page).

``briefing diff`` speaks to an author: a value is its expression and its line. A reader sees sentences,
tables and figures, so here a changed value is the sentence that prints it, with the new value in bold and
the old one after it; a table is named by its caption and its rows by their first cell; a figure by its
caption; a verdict by its label ("Needs context"); a data file by its title ("the claims ledger").
"""

from __future__ import annotations

import re
from collections import defaultdict

from briefing.diff.edition import Chapter, Edition
from briefing.present import md_escape

EXPRESSION = re.compile(r"`\{python\}\s+[^`]+`")
MARK = re.compile(r"\x00(\d+):(\d+)\x00")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"«(\[*@\x00])")
LINK = re.compile(r"\[([^\[\]]*)\](?:\([^()\s]*\)|\{[^{}]*\})")
ANCHORED = re.compile(r"\[(.+?)\]\{#[^}]*\}")
NOTE = re.compile(r"\s*\((?:see )?-?@(?:fig|tbl|sec|eq)-[\w-]+\)|\s*\[-?@[^\]]+\]|\{#[^}]*\}")
REFERENCE = re.compile(r"@(fig|tbl|sec|eq)-[\w-]+")
CONDITIONAL = re.compile(r'\[([^\[\]]*)\]\{\.content-(visible|hidden)\s+(when|unless)-format="([\w-]+)"\}')
KINDS = {"fig": "a figure", "tbl": "a table", "sec": "a section", "eq": "an equation"}
LONGEST = 280
MANY_CELLS = 8


LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+\.)\s")
BREAKS = ("#", "```", ":::", "|")


def shown(value: str) -> str:
    """A value as the page printed it: a string's repr (``'36'``, how a notebook records ``text/plain``) read
    back, on one line."""
    import ast

    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            text = str(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            pass
    return " ".join(text.split())


def paragraphs(text: str) -> list[range]:
    """The 1-based line ranges of the prose paragraphs of a chapter (a heading and a list item are paragraphs
    of their own; code, divs and tables are not prose)."""
    lines = text.splitlines()
    out, start, fenced = [], None, False
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            fenced = not fenced
        breaks = fenced or not line.strip() or line.startswith(BREAKS)
        if start is not None and (breaks or LIST_ITEM.match(line)):
            out.append(range(start, number))
            start = None
        if line.startswith("#") and not fenced:
            out.append(range(number, number + 1))
        elif not breaks and start is None:
            start = number
    if start is not None:
        out.append(range(start, len(lines) + 1))
    return out


def sentences(chapter: Chapter) -> list[tuple[str, list[str]]]:
    """Each sentence of ``chapter`` that prints a computed value, as the edition printed it, with its values in
    order. Cross-references and citations are dropped: the sentence is quoted away from its chapter."""
    lines = chapter.text.splitlines()
    values: dict[int, list[str]] = defaultdict(list)
    for item in chapter.inline:
        values[item.line].append(shown(item.value))
    out = []
    for paragraph in paragraphs(chapter.text):
        marked = []
        for number in paragraph:
            counter = iter(range(10_000))
            marked.append(EXPRESSION.sub(lambda _m, n=number: f"\x00{n}:{next(counter)}\x00", lines[number - 1]))
        if not any("\x00" in part for part in marked):
            continue
        text = LIST_ITEM.sub("", " ".join(part.strip() for part in marked).lstrip("#").strip())
        for sentence in SENTENCE_END.split(text):
            if "\x00" not in sentence:
                continue
            found = [values[int(n)][int(k)] if int(k) < len(values[int(n)]) else "…"
                     for n, k in MARK.findall(sentence)]
            parts = iter(found)
            printed = _quotable(MARK.sub(lambda _m: f"\x01{next(parts)}\x02", sentence))
            out.append((printed, found))
    return out


def _as_the_site_printed(text: str) -> str:
    """Words written per format (https://quarto.org/docs/authoring/conditional.html) as the site printed them:
    a span shown only in HTML kept, one hidden in HTML or shown only elsewhere dropped."""
    def resolve(match: re.Match) -> str:
        words, kind, condition, fmt = match.groups()
        shown_in_html = (fmt == "html") == (condition == "when")
        return words if shown_in_html == (kind == "visible") else ""

    return CONDITIONAL.sub(resolve, text)


def _quotable(sentence: str) -> str:
    """A sentence fit to quote on another page: words written per format as the site printed them, no anchors
    (ids stay on their chapter), a cross-reference in parentheses or a citation dropped, another named by its
    kind ("a section describes …")."""
    text = NOTE.sub("", ANCHORED.sub(r"\1", _as_the_site_printed(sentence))).strip()
    while LINK.search(text):  # a link's words, not the link: the quote may be cut anywhere
        text = LINK.sub(r"\1", text)
    text = REFERENCE.sub(lambda m: KINDS[m.group(1)], text)
    return text[:1].upper() + text[1:]


def _short(sentence: str) -> str:
    """A long sentence (a verdict with its evidence) cut after ``LONGEST`` characters, at a word."""
    if len(_plain(sentence)) <= LONGEST:
        return sentence
    cut = sentence[:LONGEST].rsplit(" ", 1)[0]
    if cut.count("\x01") > cut.count("\x02"):
        cut += "\x02"
    return cut.rstrip(",;:") + " …"


def _plain(sentence: str) -> str:
    return sentence.replace("\x01", "").replace("\x02", "")


def _likeness(a: str, b: str) -> float:
    """How alike two sentences are, word by word (difflib's ratio over words; a cheap bound first)."""
    import difflib

    matcher = difflib.SequenceMatcher(None, a.split(), b.split(), autojunk=False)
    return matcher.ratio() if matcher.quick_ratio() >= 0.6 else 0.0


def _values(old: Chapter | None, new: Chapter) -> list[str]:
    """One line per sentence that now prints something else: the sentence as printed now, each value that
    differs in bold, followed by what it printed before; new sentences, and those no longer printed."""
    before = sentences(old) if old is not None else []
    after = sentences(new)
    unchanged = {_plain(s) for s, _ in before} & {_plain(s) for s, _ in after}
    gone = [(s, v) for s, v in before if _plain(s) not in unchanged]
    out = []
    for sentence, values in after:
        if _plain(sentence) in unchanged:
            continue
        scores = [_likeness(_plain(sentence), _plain(s)) for s, _ in gone]
        best = max(range(len(gone)), key=scores.__getitem__) if gone else None
        if best is None or scores[best] < 0.6:
            out.append(f"- New: “{_plain(_short(sentence))}”")
            continue
        old_sentence, old_values = gone.pop(best)
        if len(old_values) == len(values) and values != old_values:
            marks = iter(v != w for v, w in zip(values, old_values))
            text = re.sub("\x01(.*?)\x02", lambda m: f"**{m.group(1)}**" if next(marks) and "**" not in m.group(1) else m.group(1),
                          _short(sentence))
            was = "; ".join(_quotable(w) for v, w in zip(values, old_values) if v != w)
            out.append(f"- “{text}” (before: {was})")
        else:
            out.append(f"- “{_plain(_short(sentence))}” (before: “{_plain(_short(old_sentence))}”)")
    out += [f"- No longer printed: “{_plain(_short(s))}”" for s, _ in gone]
    return out


def caption_words(caption: str | None, fallback: str) -> str:
    """A caption's first sentence without its source note: how the page names a table or a figure."""
    if not caption:
        return fallback
    text = re.sub(r"\s*\((?:[^()]*data/[^()]*)\)", "", caption)
    text = re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0].rstrip(".;:")
    return text if len(text) <= 110 else text[:107].rsplit(" ", 1)[0] + " …"


def _table(label: str, table: dict, chapter: Chapter) -> str:
    name = f"the table “{md_escape(caption_words(chapter.captions.get(label), label))}”"
    if "rows" in table and table["rows"][0] == 0:
        return f"- New: {name}."
    if "rows" in table and table["rows"][1] == 0:
        return f"- Removed: {name}."
    parts = [f"column “{md_escape(column)}” {kind}" for kind in ("added", "removed")
             for column in table.get("columns", {}).get(kind, [])]
    parts += [f"row {md_escape(key)} added" for key in table.get("added", [])]
    parts += [f"row {md_escape(key)} removed" for key in table.get("removed", [])]
    cells = table["cells"]
    if len(cells) > MANY_CELLS:
        rows = list(dict.fromkeys(c["row"] for c in cells))
        parts.append(f"{len(cells)} cells changed, in rows {md_escape(', '.join(rows))}")
    else:
        def shown(value):
            return "—" if value is None else md_escape(value)

        parts += [f"{md_escape(c['row'])}, {md_escape(c['column'])}: {shown(c['new'])} (before: {shown(c['old'])})"
                  for c in cells]
    return f"- In {name}: " + "; ".join(parts) + "."


def _label(edition: Edition, verdict: str | None) -> str:
    if verdict is None:
        return "none"
    return edition.labels.get(verdict, verdict.replace("-", " ").capitalize())


def lines(diff: dict, old: Edition, new: Edition, titles: dict[str, str]) -> list[str]:
    """The page's Markdown: a ``## stem`` heading per chapter (the page names and links it) with its changes,
    then the data. Every value from the data is escaped, as in ``briefing diff --markdown``."""
    out = []
    for stem in diff["chapters_added"]:
        out.append(f"- A new chapter: {md_escape(titles.get(stem, stem))}.")
    for stem in diff["chapters_removed"]:
        out.append(f"- A chapter removed: {md_escape(titles.get(stem, stem))}.")
    if out:
        out.append("")
    for stem, change in diff["chapters"].items():
        chapter = new.chapters.get(stem) or old.chapters.get(stem)
        out += [f"## {stem}", ""]
        if change.get("not_compared"):
            out.append("- Its values cannot be compared: an edition holds no executed notebook for it.")
        for v in change.get("verdicts", []):
            now = _label(new, v["new"])
            out.append(f"- Claim {v['claim']}: now judged {now} (before: {_label(old, v['old'])}). "
                       f"{md_escape(v['rationale'])}")
        if chapter is not None:
            if change["inline"]:
                out += _values(old.chapters.get(stem), chapter)
            for label, table in change["tables"].items():
                out.append(_table(label, table, chapter))
            for label in change["figures"]:
                out.append(f"- Redrawn: the figure “{md_escape(caption_words(chapter.captions.get(label), label))}”.")
        out.append("")
    data = diff["data"]
    if data["files"]:
        out += ["## The data", ""]
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in data["rows"]:
            counts[row["table"]][row["change"]] += 1
        for f in data["files"]:
            path = f["path"].removeprefix("data/")
            name = new.titles.get(path) or old.titles.get(path)
            named = f"{md_escape(name[0].upper() + name[1:])} ({md_escape(path)})" if name else md_escape(path)
            if f["old"] is None:
                out.append(f"- New: {named}.")
            elif f["new"] is None:
                out.append(f"- Removed: {named}.")
            else:
                tally = counts.get(path, {})
                what = ", ".join(f"{n} row{'s' if n != 1 else ''} {kind}" for kind in ("added", "changed", "removed")
                                 if (n := tally.get(kind)))
                out.append(f"- {named}: {what or 'changed'}.")
        out.append("")
    if not any(line.startswith("-") for line in out):
        out.append("No change a reader would see.")
    return out
