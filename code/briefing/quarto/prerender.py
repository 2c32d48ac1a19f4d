"""``quarto render``'s pre-render step (``_extensions/briefing/pre-render.py`` runs :func:`main`).

Quarto runs it from the project folder, with the project's Python (``QUARTO_PYTHON``), before it renders the
book; it reads the project again afterwards, so the metadata written here reaches every chapter through
``metadata-files`` in ``_quarto.yml``:

* ``briefing-claims``: where each claim's verdict is argued (:func:`briefing.verdicts.verdict_links`),
  which the claim-links filter turns into links;
* ``briefing-data-titles``: what the text calls each data file (:func:`briefing.data.resource_titles`).

It also writes Quarto's ``_freeze/`` from the committed notebooks (:mod:`briefing.quarto.freeze`), so that
Quarto executes only the chapters whose record is stale.

It writes only under the build cache (``.briefing-cache/quarto/``) and Quarto's own ``_freeze/``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

METADATA = ".briefing-cache/quarto/metadata.yml"


def metadata(root: Path) -> dict:
    """The document metadata the extension's filters read, for the project at ``root``."""
    from briefing.data import resource_titles
    from briefing.verdicts import verdict_links

    data = Path(root) / "data"
    return {"briefing-claims": verdict_links(data), "briefing-data-titles": resource_titles(data)}


def write_metadata(root: Path) -> Path:
    """Write :data:`METADATA` (JSON, which is YAML), atomically and only when it changes."""
    from briefing.files import write_atomic

    target = Path(root) / METADATA
    payload = (json.dumps(metadata(root), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    if not target.is_file() or target.read_bytes() != payload:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, payload)
    return target


def main(argv: list[str] | None = None) -> int:
    from briefing.quarto.freeze import write_freeze

    root = Path(os.environ.get("QUARTO_PROJECT_DIR") or os.getcwd()).resolve()
    try:
        write_metadata(root)
        done = write_freeze(root)
        stale = [name for name, what in done.items() if what != "frozen"]
        if stale:
            print("briefing: executed by Quarto (their notebooks are stale or missing; `briefing build` "
                  "records them): " + ", ".join(stale), file=sys.stderr)
    except Exception as exc:  # one line for the author, as `briefing build` gives: Quarto shows the script's stderr
        print(f"briefing pre-render: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
