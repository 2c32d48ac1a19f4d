"""Presentation for chapters: numbers as prose, DataFrames as tables, claims as quotes.

Everything that reaches the page from data/ is escaped here: table cells by
pandas' HTML writer (``escape=True``), prose by ``md_escape``, so a value such
as ``<script>`` shows as text.

Formatting keeps lineage (:mod:`briefing.lineage`): ``number(x)`` of a value read from data
is text that still knows the rows it came from, and so does every cell of :func:`table`,
which prints a numbered source note under the table and each row's source numbers.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from briefing.lineage import MIME, Ref, refs_in, refs_of, traced

if TYPE_CHECKING:
    import pandas as pd
    from IPython.display import HTML, Markdown

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>$#|~^@])")


def md_escape(text: str) -> str:
    """Backslash-escape every character Pandoc markdown would interpret (keeping the text's lineage)."""
    return traced(MD_SPECIAL.sub(r"\\\1", str(text)), refs_of(text))


MINUS = "\u2212"


def _signed(value: float, text: str) -> str:
    """``text`` (the magnitude, formatted) with a true minus sign when ``value`` is negative and rounds to non-zero."""
    return MINUS + text if value < 0 and text.strip("0.,$%×") else text


def number(value: float, digits: int = 0) -> str:
    """``1234.5 -> '1,234.5'`` with a thousands separator and a fixed number of decimals; ``-2 -> '−2'``."""
    return traced(_signed(value, f"{abs(value):,.{digits}f}"), refs_of(value))


def log_scale(ax, axis: str = "x") -> None:
    """Put ``axis`` of ``ax`` on a log scale whose ticks read as plain numbers ("1,000", not 10³): a
    superscript exponent would be set at 70 % of the label size, below the smallest a figure may use."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_locator(LogLocator(base=10))
    target.set_major_formatter(FuncFormatter(lambda value, _: str(number(value, 0 if value >= 1 else 1))))
    target.set_minor_formatter(NullFormatter())


def billions(value: float, digits: int = 1) -> str:
    """A count as billions: ``671026419200 -> '671.0'``."""
    return traced(_signed(value, f"{abs(value) / 1e9:,.{digits}f}"), refs_of(value))


def percent(fraction: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.224 -> '22.4%'``, ``-0.1697 -> '−16.97%'`` at two digits."""
    return traced(_signed(fraction, f"{abs(fraction) * 100:,.{digits}f}%"), refs_of(fraction))


def usd(value: float, digits: int = 2) -> str:
    """Dollars: ``5576000 -> '$5,576,000.00'`` (escaped for markdown by the inline machinery); ``-5.5 -> '−$5.50'``."""
    return traced(_signed(value, f"${abs(value):,.{digits}f}"), refs_of(value))


def times(ratio: float, digits: int = 1) -> str:
    """A ratio as a multiple: ``57.14 -> '57.1×'``."""
    return traced(_signed(ratio, f"{abs(ratio):,.{digits}f}×"), refs_of(ratio))


_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def spelled(value: int) -> str:
    """A whole number under a hundred in words, as prose writes it: ``10 -> 'ten'``, ``27 -> 'twenty-seven'``;
    other numbers in digits (:func:`number`)."""
    n = int(value)
    if n != value or not 0 <= n < 100:
        return number(value)
    tens, units = divmod(n, 10)
    text = _UNITS[n] if n < 20 else _TENS[tens - 2] + ("" if units == 0 else "-" + _UNITS[units])
    return traced(text, refs_of(value))


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def when(value) -> str:
    """A date as prose: ``2022-10-07 -> '7 October 2022'``, ``2021-01 -> 'January 2021'``, ``2021 -> '2021'``.

    Takes an ISO string (full or partial, as data/ stores them) or a date/Timestamp.
    """
    refs = refs_of(value)
    if hasattr(value, "year") and hasattr(value, "month"):
        return traced(f"{value.day} {MONTHS[value.month - 1]} {value.year}", refs)
    parts = str(value).split("-")
    if len(parts) == 3:
        return traced(f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}", refs)
    if len(parts) == 2:
        return traced(f"{MONTHS[int(parts[1]) - 1]} {parts[0]}", refs)
    return traced(parts[0], refs)


def join_words(items) -> str:
    """``['a'] -> 'a'``, ``['a', 'b'] -> 'a and b'``, ``['a', 'b', 'c'] -> 'a, b and c'``."""
    items = list(items)
    refs = refs_in(*items)
    words = [str(i) for i in items]
    if len(words) <= 2:
        return traced(" and ".join(words), refs)
    return traced(", ".join(words[:-1]) + " and " + words[-1], refs)


def joined(items, separator: str = ", ") -> str:
    """``separator.join(items)``, keeping what the items were read from (``str.join`` drops it)."""
    items = list(items)
    return traced(separator.join(str(i) for i in items), refs_in(*items))


def signed_percent(value: float) -> str:
    """A percentage as reported, with its sign and only the decimals it has: ``3.0 -> '+3%'``, ``-16.97 -> '−16.97%'``."""
    text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    return traced(f"{'+' if value > 0 else '−' if value < 0 else ''}{text}%", refs_of(value))


def table(frame: pd.DataFrame, index: bool = False, cards: bool = False, html_columns=(), **formatters) -> Table:
    """A DataFrame as an escaped HTML table (rendered as a real table in HTML and PDF).

    ``cards=True`` shows each row as a card on narrow screens (for tables of text, such as the ledger).
    ``html_columns`` names columns whose cells are already HTML (verdict badges); every other
    cell is escaped as usual.

    Cells that carry lineage (values read from data, kept in ``object`` columns) give the table a
    numbered source note and each row the numbers of its sources (:func:`briefing.sources.table_note`);
    the cells' references are recorded with the table (:data:`briefing.lineage.MIME`): ``refs``, and for each
    row a string ``"column:ref,ref column:ref"`` naming the references of each traced cell.
    """
    import html as html_lib

    cell_refs = [[refs_of(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    if index:
        cell_refs = [[refs_of(label)] + row for label, row in zip(frame.index, cell_refs)]
    shown = _display_frame(frame)
    classes = ["cards"] if cards else None
    if not html_columns:
        for column, formatter in formatters.items():  # pandas gives neither formatter nor na_rep an Int64 NA
            shown[column] = ["" if _missing(v) else str(formatter(v)) for v in shown[column]]
        text = shown.to_html(index=index, escape=True, border=0, na_rep="", classes=classes)
    else:
        if formatters or index:
            raise ValueError("html_columns cannot be combined with formatters or an index")
        missing = [c for c in html_columns if c not in frame.columns]
        if missing:
            raise KeyError(f"html_columns not in the table: {', '.join(missing)}")
        for column in shown.columns:
            if column not in html_columns:
                shown[column] = shown[column].map(lambda v: "" if _missing(v) else html_lib.escape(str(v)))
        text = shown.to_html(index=False, escape=False, border=0, na_rep="", classes=classes)
    return Table(text, cell_refs)


def _display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as pandas would print it without lineage: object columns of numbers or dates become
    numeric or datetime columns again (so their formatting is pandas' own), text the plain ``str``."""
    import datetime

    import pandas as pd

    shown = frame.copy()
    for column in shown.columns:
        series = shown[column]
        if series.dtype != object:
            continue
        present = [v for v in series if not _missing(v)]
        if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            integral = all(isinstance(v, int) for v in present)
            shown[column] = pd.array([pd.NA if _missing(v) else int(v) for v in series], dtype="Int64") if integral \
                else pd.Series([float(v) if not _missing(v) else float("nan") for v in series], index=series.index,
                               dtype="float64")
        elif present and all(isinstance(v, datetime.datetime) for v in present):
            shown[column] = pd.to_datetime(pd.Series([None if _missing(v) else v for v in series], index=series.index))
        else:
            shown[column] = pd.Series([v if _missing(v) or not isinstance(v, str) else str.__str__(v) for v in series],
                                      index=series.index, dtype=object)
    if shown.index.dtype == object:
        shown.index = pd.Index([str.__str__(v) if isinstance(v, str) else v for v in shown.index], name=shown.index.name)
    return shown


ROW = re.compile(r"(<tr[^>]*>\s*<t[dh][^>]*>)(.*?)(</t[dh]>)", re.S)


class Table:
    """An HTML table and the lineage of its cells; shown by IPython as ``text/html`` (with its source
    note and row markers) and :data:`briefing.lineage.MIME` (each cell's references)."""

    def __init__(self, html: str, cell_refs: list[list[frozenset[Ref]]]):
        self.cell_refs = cell_refs
        self.data = self._with_sources(html)

    def _with_sources(self, html: str) -> str:
        rows = [frozenset().union(*row) if row else frozenset() for row in self.cell_refs]
        if not any(rows):
            return html
        from briefing.sources import table_note

        numbers, note = table_note(rows)
        if not note:
            return html
        prefix = "t" + hashlib.sha256(html.encode()).hexdigest()[:8]
        note = note.replace("{table}", prefix)
        head, sep, body = html.partition("<tbody>")
        markers = iter(numbers)

        def mark(match):
            row = next(markers, [])
            links = ",".join(f'<a href="#{prefix}-source-{n}" aria-label="Source {n}">{n}</a>' for n in row)
            marker = f'<span class="row-sources"><sup>{links}</sup></span>' if row else ""
            return match.group(1) + match.group(2) + marker + match.group(3)

        return head + sep + ROW.sub(mark, body) + "\n" + note

    def _repr_html_(self):
        return self.data

    def _repr_mimebundle_(self, include=None, exclude=None):
        from briefing import lineage

        refs = sorted(frozenset().union(*(r for row in self.cell_refs for r in row)) if self.cell_refs else ())
        lineage.note_shown(refs)
        index = {ref: i for i, ref in enumerate(refs)}
        cells = [" ".join(f"{c}:" + ",".join(str(i) for i in sorted(index[x] for x in cell))
                          for c, cell in enumerate(row) if cell) for row in self.cell_refs]
        shape = [len(self.cell_refs), len(self.cell_refs[0]) if self.cell_refs else 0]
        return {"text/html": self.data, "text/plain": f"<table: {shape[0]} rows, {shape[1]} columns>",
                MIME: {"refs": [ref.as_json() for ref in refs], "cells": cells, "shape": shape}}


def _missing(value) -> bool:
    """None, NaN, or pandas' NA (whose comparisons are NA, not a bool)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return type(value).__name__ == "NAType"


def french(text: str) -> str:
    """French words in Markdown, marked as French (``[« … »]{lang="fr"}``), so that a screen reader
    voices them in French and the PDF tags them so (WCAG 3.1.2, language of parts)."""
    return f'[{md_escape(text)}]{{lang="fr"}}'


def french_html(text: str) -> str:
    """French words for an HTML table cell, escaped and marked ``lang="fr"``, keeping their lineage."""
    import html as html_lib

    marked = f'<span lang="fr">{html_lib.escape(str(text))}</span>'
    refs = refs_of(text)
    return traced(marked, refs) if refs else marked


GUILLEMETS = re.compile(r"«[^«»]*(?:«[^«»]*»[^«»]*)*(?:»|$)")
"""A French quotation in guillemets, one level of nesting allowed, or cut short at the end of the text."""


def mark_french_markdown(escaped: str) -> str:
    """Mark each «…» quotation of an already-escaped Markdown text as French."""
    return GUILLEMETS.sub(lambda m: f'[{m.group(0)}]{{lang="fr"}}', escaped)


def mark_french_html(escaped: str) -> str:
    """Mark each «…» quotation of an already-escaped HTML text as French."""
    return GUILLEMETS.sub(lambda m: f'<span lang="fr">{m.group(0)}</span>', escaped)


def claim_quote(claim: pd.Series) -> Markdown:
    """A claim as a blockquote: the French words as printed, marked as French, the English translation beside them."""
    from IPython.display import Markdown

    return Markdown(
        f"> **[{md_escape(claim['claim_id'])}]** {french('« ' + str(claim['quote_fr']) + ' »')}\n>\n"
        f"> *{md_escape(claim['translation_en'])}* — {md_escape(claim['claimant'])}"
    )


def values_sentence(frame: pd.DataFrame) -> str:
    """The values of a figure's table as one sentence for its alt text:
    ``"The values (claims): Accurate: 2; Inaccurate: 2."``, or with several value columns
    ``"The values (R1, o1): AIME: 79.8, 79.2; MATH: 97.3, 96.4."``. The first column names each row;
    an empty cell reads "—"."""
    label, *columns = [str(c) for c in frame.columns]
    rows = []
    for row in frame.itertuples(index=False, name=None):
        cells = ["—" if _missing(v) else str(v) for v in row[1:]]
        rows.append(f"{row[0]}: {', '.join(cells)}")
    return f"The values ({', '.join(columns)}): {'; '.join(rows)}."


def figure_values(figure: str, frame: pd.DataFrame) -> Markdown:
    """The values a figure draws, for a reader who cannot see it or read its labels.

    A table beneath the figure, folded on the site under "The figure's values" and left out of the PDF (whose
    figures print at full size); and, through the ``figure-values`` filter, the end of the figure's alt text
    (:func:`values_sentence`), so that a screen reader hears the numbers and not only the shape. ``figure`` is
    the figure's label (``"fig-verdict-counts"``); the first column of ``frame`` names each row and every cell is
    text as it should read.
    """
    from IPython.display import Markdown

    def cell(value) -> str:
        return "—" if _missing(value) else str(md_escape(str(value))).replace("|", "\\|")

    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cell(c) for c in columns) + " |",
             "|:--" + "|--:" * (len(columns) - 1) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False, name=None)]
    alt = values_sentence(frame).replace("\\", "\\\\").replace('"', '\\"')
    return Markdown(f'::: {{.figure-values for="{figure}" alt="{alt}"}}\n' + "\n".join(lines) + "\n:::\n")
