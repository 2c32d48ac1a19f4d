"""Quarto's pre-render step for the briefing (``project: pre-render`` in ``_quarto.yml``): see briefing.quarto.prerender."""

import sys
from pathlib import Path

try:
    from briefing.quarto.prerender import main
except ModuleNotFoundError:  # the project's library without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "code"))
    from briefing.quarto.prerender import main

sys.exit(main())
