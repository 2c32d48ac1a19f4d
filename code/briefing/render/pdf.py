"""The PDF: the whole book through pandoc's Typst writer, compiled by the ``typst`` wheel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from briefing.render import BuildError


def typst_date(epoch: int) -> str:
    """A Typst ``datetime`` literal for the build date (from SOURCE_DATE_EPOCH)."""
    day = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return f"datetime(year: {day.year}, month: {day.month}, day: {day.day})"


def figure_fonts() -> str:
    """The folder of matplotlib's own DejaVu fonts (a pinned dependency): the figures' labels are SVG text
    in DejaVu Sans, which Typst sets with this font rather than its own fallback."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    return str(Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf")


def compile_pdf(typ_file: Path, pdf_file: Path, root: Path, epoch: int) -> None:
    """Compile with Typst's embedded fonts and the engine's CJK subset only (no system fonts),
    timestamped at ``epoch``, so every machine sets the same glyphs."""
    import typst

    try:
        typst.compile(
            str(typ_file),
            output=str(pdf_file),
            root=str(root),
            font_paths=[str(Path(__file__).resolve().parent / "assets" / "fonts"), figure_fonts()],
            ignore_system_fonts=True,
            timestamp=epoch,
        )
    except Exception as exc:  # typst raises its own error type with the diagnostics
        raise BuildError(f"{typ_file.name}: typst failed: {exc}") from None
