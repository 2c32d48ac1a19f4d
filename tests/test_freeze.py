"""Each committed chapter notebook must be stamped with the current sources, so a stale
notebook cannot pass nbval (which only re-runs the notebook's own cells).

The stamp is checked as the build checks it: over the inputs the notebook records
(the core library, the lock, and exactly the files the chapter read when it ran),
at their current hashes."""

from __future__ import annotations

import nbformat
import pytest

from briefing.render.inputs import Snapshot, dependency_files
from briefing.render.notebook import InputValues, notebook_path
from briefing.render.project import load_book
from briefing.render.qmd import parse_chapter, set_root
from conftest import ROOT

BOOK = load_book(ROOT)
VALUES = InputValues(ROOT, Snapshot.take(ROOT, dependency_files(ROOT)).hashes)


@pytest.mark.parametrize("entry", BOOK.entries, ids=lambda e: e.stem)
def test_committed_notebook_matches_its_sources(entry):
    set_root(ROOT)
    path = notebook_path(ROOT, entry.path)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing: run `briefing build` and commit it"
    frozen = nbformat.read(path, as_version=4)
    recorded = frozen.metadata.get("briefing", {})
    current = VALUES.frozen_stamp(parse_chapter(entry.path), BOOK.execute, frozen)
    changed = sorted(name for name in set(current["inputs"]) | set(recorded.get("inputs", {}))
                     if current["inputs"].get(name) != recorded.get("inputs", {}).get(name))
    assert recorded.get("stamp") == current["stamp"], (
        f"{path.relative_to(ROOT)} is stale (changed: {', '.join(changed) or 'engine format'}): "
        "run `briefing build` and commit the notebook"
    )
