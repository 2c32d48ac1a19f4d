"""Shared setup imported by the hidden first cell of every chapter.

Figures: SVG through the inline backend, with a fixed ``svg.hashsalt`` and no
date in their metadata, so the same data give byte-identical figures
(https://matplotlib.org/stable/users/explain/customizing.html, ``svg.hashsalt``).
Tables: pandas display options. Seeds: NumPy's and Python's, fixed. Warnings:
printed without the kernel's temporary file name, so a shown warning is the
same in every run.
"""

from __future__ import annotations

import random
import warnings

import matplotlib
import numpy as np
import pandas as pd

SEED = 20250127
SANS = ("DejaVu Sans", "Helvetica", "Arial")
"""The figures' fonts: the page's sans-serif stack. Labels stay text in the SVG (``svg.fonttype: none``),
so a reader can select and find them; a browser without DejaVu Sans sets them in a narrower face."""
SMALLEST_LABEL = 9
"""The smallest label a figure may use, in points. An SVG point is 4/3 of a CSS pixel at the figure's own
size, so 9 pt is 12 px; the site never shows a figure below 92 % of that size (on a phone it scrolls in its
frame and opens full screen at a tap), so no label falls below 11 px (tests/test_figures.py measures it)."""
PALETTE = ["#1f4e8c", "#c0504d", "#4f8f3a", "#8064a2", "#d08a2e", "#4bacc6", "#7f7f7f"]

matplotlib.rcParams.update(
    {
        "svg.hashsalt": "briefing",
        "svg.fonttype": "none",
        "figure.figsize": (7.0, 3.8),
        "figure.dpi": 100,
        "font.family": "sans-serif",
        "font.sans-serif": list(SANS),
        "font.size": 10,
        "legend.fontsize": SMALLEST_LABEL,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#dddddd",
        "grid.linewidth": 0.6,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "legend.frameon": False,
        "path.simplify": False,
    }
)

pd.set_option("display.max_columns", 30)
pd.set_option("display.width", 120)
pd.set_option("display.precision", 3)


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings without the kernel's temporary file name, which changes with every run."""
    return f"{category.__name__}: {message}\n"


warnings.formatwarning = _format_warning

random.seed(SEED)
np.random.seed(SEED)


def _configure_inline_backend() -> None:
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg", bbox_inches="tight", metadata={"Date": None})


_configure_inline_backend()

from briefing import arch, economics  # noqa: E402,F401  (chapters use these names)
from briefing import data as bdata  # noqa: E402,F401
from briefing.lineage import count, traced, whole  # noqa: E402,F401
from briefing.sources import chapter_sources, evidence  # noqa: E402,F401
from briefing.present import (  # noqa: E402,F401
    billions, claim_quote, figure_values, french, french_html, join_words, joined, log_scale, md_escape, number, percent,
    signed_percent, spelled, table, times, usd, when)
from briefing.typed import typed_figures  # noqa: E402,F401
