"""The PDF: the whole book through pandoc's Typst writer, compiled by the ``typst`` wheel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from briefing.render import BuildError


def typst_date(epoch: int) -> str:
    """A Typst ``datetime`` literal for the build date (from SOURCE_DATE_EPOCH)."""
    day = dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)
    return f"datetime(year: {day.year}, month: {day.month}, day: {day.day})"


def edition_status(describe: str) -> str:
    """The title page's status line: a release, or a working edition past one (``1.0.0+abc1234``)."""
    number, plus, rest = describe.partition("+")
    if not plus:
        return f"Release {number}: the published edition." if number[:1].isdigit() else "An unreleased edition."
    unsaved = " with uncommitted changes" if rest.endswith(".dirty") else ""
    return f"Working edition, not released: changes made after release {number}{unsaved}."


def typst_text(text: str) -> str:
    """Plain text set as Typst markup: every character markup would read (``#``, ``*``, ``_``, ``@`` …) escaped."""
    return "".join("\\" + ch if ch in "\\#*_@<>$[]`~=-+/" else ch for ch in text)


def long_date(iso: str) -> str:
    """``2026-12-05`` -> ``5 December 2026`` (the text as it was, when it is not a date)."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{day.day} {day.strftime('%B')} {day.year}"


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


def typst_includes(root: Path, typst: dict) -> tuple[str, str, list[Path]]:
    """The Typst that ``_quarto.yml`` adds to the PDF: ``include-in-header`` (set before the body) and
    ``include-after-body`` (after it), each a file of the project, a list of them or ``text:``, as Quarto reads
    them (https://quarto.org/docs/reference/formats/typst.html#includes). Returns the two texts and the files
    read. A file under the pre-render step's folder holds what the built-in engine writes itself (the PDF's
    generated appendices, for Quarto) and is left out; any other missing file stops the build in one line."""
    from briefing.files import inside
    from briefing.render.output import QUARTO_STEPS_DIR
    from briefing.render.project import config_line

    root = Path(root)
    texts, files = {"include-in-header": [], "include-after-body": []}, []
    for option in texts:
        value = typst.get(option)
        items = value if isinstance(value, list) else ([] if value is None else [value])
        for item in items:
            if isinstance(item, dict) and "text" in item:
                texts[option].append(str(item["text"]))
                continue
            name = str(item["file"] if isinstance(item, dict) and "file" in item else item)
            path = root / name
            if Path(name).as_posix().startswith(QUARTO_STEPS_DIR + "/"):
                continue
            if not inside(root, path) or not path.is_file():
                where = "outside the project" if not inside(root, path) else "not found"
                raise BuildError(f"_quarto.yml:{config_line(root, option)}: format typst: {option}: {name}: {where}")
            texts[option].append(path.read_text(encoding="utf-8"))
            files.append(path)
    return "\n".join(texts["include-in-header"]), "\n".join(texts["include-after-body"]), files

