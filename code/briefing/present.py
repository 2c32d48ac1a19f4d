"""Presentation for chapters: numbers as prose, DataFrames as tables, claims as quotes.

Everything that reaches the page from data/ is escaped here: table cells by
pandas' HTML writer (``escape=True``), prose by ``md_escape``, so a value such
as ``<script>`` shows as text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from IPython.display import HTML, Markdown

MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>$#|~^@])")


def md_escape(text: str) -> str:
    """Backslash-escape every character Pandoc markdown would interpret."""
    return MD_SPECIAL.sub(r"\\\1", str(text))


def number(value: float, digits: int = 0) -> str:
    """``1234.5 -> '1,234.5'`` with a thousands separator and a fixed number of decimals."""
    return f"{value:,.{digits}f}"


def billions(value: float, digits: int = 1) -> str:
    """A count as billions: ``671026419200 -> '671.0'``."""
    return f"{value / 1e9:,.{digits}f}"


def percent(fraction: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.224 -> '22.4%'``."""
    return f"{fraction * 100:,.{digits}f}%"


def usd(value: float, digits: int = 2) -> str:
    """Dollars: ``5576000 -> '$5,576,000.00'`` (escaped for markdown by the inline machinery)."""
    return f"${value:,.{digits}f}"


def times(ratio: float, digits: int = 1) -> str:
    """A ratio as a multiple: ``57.14 -> '57.1×'``."""
    return f"{ratio:,.{digits}f}×"


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def when(value) -> str:
    """A date as prose: ``2022-10-07 -> '7 October 2022'``, ``2021-01 -> 'January 2021'``, ``2021 -> '2021'``.

    Takes an ISO string (full or partial, as data/ stores them) or a date/Timestamp.
    """
    if hasattr(value, "year") and hasattr(value, "month"):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    parts = str(value).split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def join_words(items) -> str:
    """``['a'] -> 'a'``, ``['a', 'b'] -> 'a and b'``, ``['a', 'b', 'c'] -> 'a, b and c'``."""
    items = [str(i) for i in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def signed_percent(value: float) -> str:
    """A percentage as reported, with its sign and only the decimals it has: ``3.0 -> '+3%'``, ``-16.97 -> '−16.97%'``."""
    text = f"{abs(value):.2f}".rstrip("0").rstrip(".")
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{text}%"


def table(frame: pd.DataFrame, index: bool = False, cards: bool = False, html_columns=(), **formatters) -> HTML:
    """A DataFrame as an escaped HTML table (rendered as a real table in HTML and PDF).

    ``cards=True`` shows each row as a card on narrow screens (for tables of text, such as the ledger).
    ``html_columns`` names columns whose cells are already HTML (verdict badges); every other
    cell is escaped as usual.
    """
    import html as html_lib

    from IPython.display import HTML

    classes = ["cards"] if cards else None
    if not html_columns:
        return HTML(frame.to_html(index=index, escape=True, border=0, na_rep="", formatters=formatters or None,
                                  classes=classes))
    if formatters or index:
        raise ValueError("html_columns cannot be combined with formatters or an index")
    missing = [c for c in html_columns if c not in frame.columns]
    if missing:
        raise KeyError(f"html_columns not in the table: {', '.join(missing)}")
    shown = frame.copy()
    for column in shown.columns:
        if column not in html_columns:
            shown[column] = shown[column].map(lambda v: "" if _missing(v) else html_lib.escape(str(v)))
    return HTML(shown.to_html(index=False, escape=False, border=0, na_rep="", classes=classes))


def _missing(value) -> bool:
    try:
        return bool(value != value) or value is None
    except (TypeError, ValueError):
        return False


def claim_quote(claim: pd.Series) -> Markdown:
    """A claim as a blockquote: the French words as printed, the English translation beside them."""
    from IPython.display import Markdown

    return Markdown(
        f"> **[{md_escape(claim['claim_id'])}]** « {md_escape(claim['quote_fr'])} »\n>\n"
        f"> *{md_escape(claim['translation_en'])}* — {md_escape(claim['claimant'])}"
    )
