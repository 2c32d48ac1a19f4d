"""Releases: the briefing's version (``version``, read from CITATION.cff by the build) and
``briefing release`` / ``make release VERSION=x.y.z`` (``cut``): changelog, tag and artifacts."""
