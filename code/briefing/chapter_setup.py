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
PALETTE = ["#1f4e8c", "#c0504d", "#4f8f3a", "#8064a2", "#d08a2e", "#4bacc6", "#7f7f7f"]

matplotlib.rcParams.update(
    {
        "svg.hashsalt": "briefing",
        "svg.fonttype": "path",
        "figure.figsize": (7.0, 3.8),
        "figure.dpi": 100,
        "font.family": "DejaVu Sans",
        "font.size": 10,
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
    billions, claim_quote, join_words, joined, md_escape, number, percent, signed_percent, spelled, table, times, usd, when)
from briefing.typed import typed_figures  # noqa: E402,F401
