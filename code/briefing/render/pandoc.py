"""Run the pandoc binary shipped in the pypandoc-binary wheel, with our Lua filter."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from briefing.render import BuildError


def pandoc_binary() -> str:
    """Path of the pandoc executable inside the pypandoc-binary wheel."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def asset(name: str) -> Path:
    return Path(str(resources.files("briefing.render").joinpath(name)))


def run_pandoc(markdown: str, to: str, metadata: dict, variables: dict, extra: list[str], cwd: Path,
               source_name: str) -> str:
    """Convert markdown to ``to`` with the Quarto filter; metadata travels as a JSON file."""
    handle, name = tempfile.mkstemp(prefix=".meta-", suffix=".json", dir=cwd)
    meta_file = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        json.dump(metadata, fh, sort_keys=True, ensure_ascii=False)
    command = [
        pandoc_binary(),
        "--from", "markdown+smart-implicit_header_references",
        "--to", to,
        "--metadata-file", str(meta_file),
        "--lua-filter", str(asset("filters/quarto.lua")),
        "--wrap", "none",
        *extra,
    ]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    try:
        result = subprocess.run(command, input=markdown, capture_output=True, text=True, cwd=cwd, check=False)
    finally:
        meta_file.unlink(missing_ok=True)
    if result.returncode != 0:
        raise BuildError(f"{source_name}: pandoc failed ({to}): {result.stderr.strip()}")
    warnings = [w for w in result.stderr.splitlines() if w.strip()]
    if warnings:
        raise BuildError(f"{source_name}: pandoc: " + "; ".join(warnings))
    return result.stdout
