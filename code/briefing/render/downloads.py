"""The data package as downloads of the site: ``data/`` copied file by file, and as one zip.

Every table of the site built from ``data/`` links to its CSV under ``_book/data/``, and
to an Excel-friendly copy under ``_book/data/excel/`` (:func:`excel_copy`);
``_book/data/briefing-data.zip`` holds the whole package (``datapackage.json``, the
data README, the research log and every resource file) under a ``data/`` folder, so that
``frictionless validate data/datapackage.json`` works on the unpacked copy.

The zip is byte-identical across builds: members in path order, each with the
fixed time 1980-01-01 00:00 (the format's earliest), mode 0644 and Deflate at
level 9, no extra fields, no comment.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from briefing.files import write_atomic
from briefing.render.output import make_dirs

ZIP_NAME = "briefing-data.zip"
ZIP_PATH = f"data/{ZIP_NAME}"
DESCRIPTOR = "datapackage.json"
EPOCH = (1980, 1, 1, 0, 0, 0)


def package_files(data: Path) -> list[str]:
    """Every file of ``data/`` (the descriptor, the READMEs, the research log and each resource),
    relative to it, hidden files left out; ``briefing check`` keeps them all declared or documented."""
    return sorted(p.relative_to(data).as_posix() for p in data.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(data).parts))


def zip_bytes(data: Path, names: list[str], prefix: str = "data/") -> bytes:
    """A deterministic zip of ``names`` (relative to ``data``) under ``prefix``: fixed times and modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            info = zipfile.ZipInfo(f"{prefix}{name}", date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, (data / name).read_bytes(), compresslevel=9)
    return buffer.getvalue()


EXCEL_FOLDER = "excel"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def excel_copy(table: bytes) -> bytes:
    """A CSV table as Excel opens it right: UTF-8 with a byte-order mark (without one, Excel on Windows reads
    UTF-8 as the system code page: "dÃ©clenchÃ©"), CRLF line ends, every cell quoted as needed, and a text
    cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return first, and not a number) prefixed with an apostrophe (OWASP, CSV injection). Same bytes in, same
    bytes out."""
    import csv

    rows = list(csv.reader(io.StringIO(table.decode("utf-8"), newline="")))
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["'" + cell if cell.startswith(FORMULA_START) and not _number(cell) else cell for cell in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def excel_path(name: str) -> str:
    """Where the Excel copy of ``name`` (a table of ``data/``) is published: ``data/excel/claims.csv``."""
    return f"data/{EXCEL_FOLDER}/{name}"


def site_files(data: Path) -> list[str]:
    """The site paths :func:`write` publishes for the package at ``data``: each file, an Excel copy of each
    CSV table, and the zip; none when ``data/`` holds no package."""
    if not (data / DESCRIPTOR).is_file():
        return []
    out = []
    for name in package_files(data):
        out.append(f"data/{name}")
        if name.endswith(".csv"):
            out.append(excel_path(name))
    return out + [ZIP_PATH]


def write(staging: Path, data: Path) -> list[str]:
    """Copy the package into ``staging/data/``, write an Excel copy of each CSV table under
    ``data/excel/`` and the package's zip; returns the site paths written (:func:`site_files`)."""
    if not (data / DESCRIPTOR).is_file():
        return []
    names = package_files(data)
    out = staging / "data"
    for name in names:
        make_dirs((out / name).parent)
        write_atomic(out / name, (data / name).read_bytes(), durable=False)
        if name.endswith(".csv"):
            make_dirs((staging / excel_path(name)).parent)
            write_atomic(staging / excel_path(name), excel_copy((data / name).read_bytes()), durable=False)
    write_atomic(out / ZIP_NAME, zip_bytes(data, names), durable=False)
    return site_files(data)
