"""The PDF an editor can send (issue 20, item 5): the title page names the edition and its date, the
issuer set in _quarto.yml (book: author) and a status line, and says that the article's outlet and author
are unidentified (book: description); the summary is page 2, the contents follow it; the parts are in the
contents and have no page of their own."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from briefing.render.pdf import edition_status, long_date, typst_text
from conftest import ROOT

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
CONFIG = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))


def pages_of(book) -> list[str]:
    pdf = book / "_book/deepseek-r1-what-holds.pdf"
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split("\f")


def test_the_status_line_says_release_or_working_edition():
    assert edition_status("1.0.0") == "Release 1.0.0: the published edition."
    assert edition_status("1.0.0+068c238") == "Working edition, not released: changes made after release 1.0.0."
    assert edition_status("1.0.0+068c238.dirty").endswith("after release 1.0.0 with uncommitted changes.")
    assert long_date("2026-12-05") == "5 December 2026" and long_date("n.d.") == "n.d."
    assert typst_text("#set *bold* @ref <x>") == "\\#set \\*bold\\* \\@ref \\<x\\>"


def test_the_title_page_names_edition_date_issuer_status_and_the_caveat(real_book):
    from briefing.render.build import version_of

    title = " ".join(pages_of(real_book)[0].split())
    version = version_of(real_book)
    assert f"Edition {version.describe} of {long_date(version.date)}" in title
    assert f"Issued by {CONFIG['book']['author']}" in title
    assert edition_status(version.describe) in title
    assert "outlet, title and author could not be identified" in title
    assert "2025-01-27" not in title  # the article's date is no longer presented as the edition's


def test_summary_is_page_two_then_the_contents_with_the_parts(real_book):
    pages = pages_of(real_book)
    assert pages[1].lstrip().startswith("Summary")
    contents = next(i for i, p in enumerate(pages) if p.lstrip().startswith("Contents"))
    assert contents in (2, 3)
    listed = " ".join(pages[contents:contents + 3])
    for part in (p["part"] for p in CONFIG["book"]["chapters"] if isinstance(p, dict)):
        assert part.upper() in listed, part


def test_no_page_is_left_almost_blank_for_a_part(real_book):
    """Before, each part had a page of its own holding only its title (97 % blank)."""
    pages = pages_of(real_book)
    parts = [p["part"].upper() for p in CONFIG["book"]["chapters"] if isinstance(p, dict)]
    lonely = [i + 1 for i, p in enumerate(pages) if p.strip() and len(p.split()) < 12
              and any(p.strip().upper().startswith(part) for part in parts)]
    assert lonely == []
