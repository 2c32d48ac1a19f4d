"""``briefing diff [OLD] [NEW]``: the changes as text (default), Markdown (``--markdown``) or JSON (``--json``).

OLD defaults to the last release (the newest ``v*`` tag, else HEAD), NEW to the
working tree. A diff is not an error: the exit is 0 whatever it finds; a
revision that does not exist or a file that cannot be read is one line and exit 1.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from briefing.diff.compare import compare
from briefing.diff.edition import read_edition
from briefing.diff.tree import WORKTREE, RevisionError, Tree, last_release


def _code_span(text: str) -> str:
    """``text`` as a Markdown code span, fenced with more backticks than it holds (CommonMark 6.1)."""
    text = str(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def lines(diff: dict, markdown: bool = False) -> list[str]:
    """The report's lines. In Markdown every value from the data and the notebooks is escaped
    (:func:`briefing.present.md_escape`): a cell holding ``@handle``, HTML or a link prints as text."""
    from briefing.present import md_escape

    code = _code_span if markdown else (lambda s: s)
    text = (lambda s: md_escape(s)) if markdown else (lambda s: s)

    def _value(value) -> str:
        return "(none)" if value is None else text(value)

    head = "## " if markdown else ""
    item = "- " if markdown else "  "
    out = [f"{'# ' if markdown else ''}Changes from {text(diff['old'])} to {text(diff['new'])}", ""]
    nothing = True
    for stem in diff["chapters_added"]:
        out.append(f"{item}chapter added: {code(stem)}")
        nothing = False
    for stem in diff["chapters_removed"]:
        out.append(f"{item}chapter removed: {code(stem)}")
        nothing = False
    if diff["chapters_added"] or diff["chapters_removed"]:
        out.append("")
    for stem, change in diff["chapters"].items():
        nothing = False
        out.append(f"{head}{text(stem)}")
        for label in change.get("not_compared", []):
            out.append(f"{item}no executed notebook at {text(label)}: its values are not compared")
        for v in change.get("verdicts", []):
            out.append(f"{item}verdict {text(v['claim'])}: {_value(v['old'])} → {_value(v['new'])} ({_value(v['rationale'])})")
        for v in change["inline"]:
            out.append(f"{item}line {v['line']}: {code(v['expr'])}: {_value(v['old'])} → {_value(v['new'])}")
        for label, table in change["tables"].items():
            shape = (" added" if table["rows"][0] == 0 else " removed" if table["rows"][1] == 0
                     else f" (rows {table['rows'][0]} → {table['rows'][1]})") if "rows" in table else ""
            out.append(f"{item}table {code(label)}{shape}:")
            for kind in ("added", "removed"):
                for column in table.get("columns", {}).get(kind, []):
                    out.append(f"{item}  column {text(repr(column))} {kind}")
            for key in table.get("added", []):
                out.append(f"{item}  row {text(repr(key))} added")
            for key in table.get("removed", []):
                out.append(f"{item}  row {text(repr(key))} removed")
            for cell in table["cells"]:
                out.append(f"{item}  row {text(repr(cell['row']))}, column {text(repr(cell['column']))}: "
                           f"{_value(cell['old'])} → {_value(cell['new'])}")
        for label in change["figures"]:
            out.append(f"{item}figure {code(label)} changed")
        out.append("")
    data = diff["data"]
    if data["files"] or data["rows"]:
        nothing = False
        out.append(f"{head}data")
        for row in data["rows"]:
            if row["change"] == "changed":
                cols = "; ".join(f"{text(c)}: {_value(a)} → {_value(b)}" for c, (a, b) in row["columns"].items())
                out.append(f"{item}{text(row['table'])} {text('[' + str(row['key']) + ']')} changed: {cols}")
            else:
                out.append(f"{item}{text(row['table'])} {text('[' + str(row['key']) + ']')} {row['change']}")
        for f in data["files"]:
            what = "added" if f["old"] is None else "removed" if f["new"] is None else "changed"
            out.append(f"{item}file {code(f['path'])} {what}")
        out.append("")
    if nothing:
        out.append("No change a reader would see.")
    return out


def main(args) -> int:
    root = Path(args.project).resolve() if args.project else __import__("briefing.paths", fromlist=["ROOT"]).ROOT
    try:
        old = Tree(root, args.old or last_release(root))
        new = Tree(root, args.new or WORKTREE)
        diff = compare(read_edition(old), read_edition(new))
    except RevisionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    text = (json.dumps(diff, indent=1, sort_keys=True, ensure_ascii=False) if args.json
            else "\n".join(lines(diff, markdown=args.markdown)).rstrip())
    try:
        print(text)
    except BrokenPipeError:  # `briefing diff | head`
        sys.stderr.close()
    return 0
