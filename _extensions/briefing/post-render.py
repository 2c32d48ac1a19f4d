"""Quarto's post-render step for the briefing (``project: post-render`` in ``_quarto.yml``): see briefing.quarto.postrender."""

import sys
from pathlib import Path

try:
    from briefing.quarto.postrender import main
except ModuleNotFoundError:  # the project's library without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "code"))
    from briefing.quarto.postrender import main

sys.exit(main())
