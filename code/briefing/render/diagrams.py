"""Mermaid diagrams (``{mermaid}`` cells), as Quarto draws them (https://quarto.org/docs/authoring/diagrams.html).

On the site, mermaid.js draws each diagram in the reader's browser, as Quarto's pages do. For the PDF, which cannot
run a script, the build draws the same diagram with the same mermaid.js in headless Chromium (Debian's, driven by
Playwright) and sets the SVG it makes. Labels are SVG text, not HTML (``htmlLabels: false``), which Typst's SVG
reader cannot draw. mermaid.js is the release pinned in ``package-lock.json`` (11.12.0, the one Quarto 1.11
bundles), installed by ``make`` (``npm ci``); nothing is fetched while building. Each SVG is kept in the build's
cache under the hash of mermaid.js, the settings and the diagram, so a diagram is drawn once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from briefing.render import BuildError

SETTINGS = {"startOnLoad": False, "securityLevel": "strict", "theme": "neutral", "deterministicIds": True,
            "htmlLabels": False, "flowchart": {"htmlLabels": False}, "fontFamily": "DejaVu Sans, sans-serif"}
"""How both the site and the PDF's drawing set mermaid up (https://mermaid.js.org/config/schema-docs/config.html):
strict security (no script or click in a diagram), ids that do not change from build to build, and labels as
SVG text."""

INSTALL = "run make (npm ci installs mermaid.js from package-lock.json)"


@dataclass(frozen=True)
class Diagram:
    """One ``{mermaid}`` cell: its code, where it is written (``file:line``) and the site path of its SVG."""

    code: str
    where: str
    path: str


def mermaid_js(root: Path | None = None) -> Path:
    """mermaid.min.js as ``npm ci`` installed it: beside the engine's project (``node_modules/``), else beside the
    book's. A build that needs it and finds neither stops in one line."""
    engine = Path(__file__).resolve().parents[3]
    for base in (engine, Path(root) if root else None):
        if base is not None:
            path = base / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
            if path.is_file():
                return path
    raise BuildError(f"mermaid.js is not installed: {INSTALL}")


SMALLEST_SCALE = 0.75
"""On a narrow screen a diagram is not shrunk below three quarters of its size (its 16 px labels stay 12 px): its
frame scrolls sideways instead."""


def site_settings() -> str:
    """The script that starts mermaid.js on a page: the settings above, then every ``pre.mermaid`` drawn, each
    no narrower than :data:`SMALLEST_SCALE` of its own width."""
    return (f"mermaid.initialize({json.dumps(SETTINGS, sort_keys=True)});\n"
            "mermaid.run({querySelector: 'pre.mermaid'}).then(function () {\n"
            "  document.querySelectorAll('pre.mermaid svg[viewBox]').forEach(function (svg) {\n"
            f"    svg.style.minWidth = Math.ceil(svg.viewBox.baseVal.width * {SMALLEST_SCALE}) + 'px';\n"
            "  });\n"
            "});\n")


def key(code: str, script: bytes) -> str:
    return hashlib.sha256(json.dumps([hashlib.sha256(script).hexdigest(), SETTINGS, code]).encode()).hexdigest()


DRAW = """async ([settings, codes]) => {
  mermaid.initialize(settings);
  const out = [];
  for (const [i, code] of codes.entries()) {
    try {
      const { svg } = await mermaid.render('diagram-' + i, code);
      out.push({ svg });
    } catch (error) {
      out.push({ error: String(error && error.message || error).split('\\n').filter(Boolean).slice(0, 3).join(' ') });
    }
  }
  return out;
}"""


def draw(diagrams: list[Diagram], cache, root: Path | None = None) -> dict[str, bytes]:
    """The SVG of each diagram, by its site path: from ``cache`` (a :class:`briefing.render.cache.Cache`), or drawn
    in one headless Chromium for all those not there. A diagram mermaid cannot read stops the build with one line
    naming its file and line and mermaid's reason."""
    if not diagrams:
        return {}
    script = mermaid_js(root).read_bytes()
    found, wanted = {}, []
    for diagram in diagrams:
        hit = cache.get(key(diagram.code, script)) if cache is not None else None
        if hit is not None:
            found[diagram.path] = hit
        else:
            wanted.append(diagram)
    if wanted:
        for diagram, result in zip(wanted, _in_chromium([d.code for d in wanted], script)):
            if "error" in result:
                raise BuildError(f"{diagram.where}: mermaid diagram: {result['error']}")
            svg = sized(result["svg"]).encode()
            found[diagram.path] = svg
            if cache is not None:
                cache.put(key(diagram.code, script), svg)
    return found


def sized(svg: str) -> str:
    """The SVG at its own size, which the PDF shrinks to the text's width if it is wider: mermaid writes
    ``width="100%"`` and a ``max-width`` style for a page, which Typst would read as the whole width."""
    import re

    box = re.search(r'viewBox="[\d.-]+ [\d.-]+ ([\d.]+) ([\d.]+)"', svg)
    if not box:
        return svg
    head, rest = svg.split(">", 1)
    head = re.sub(r'\s(?:width|height)="[^"]*"', "", head)
    head = re.sub(r'\sstyle="max-width:[^"]*"', "", head)
    return f'{head} width="{box.group(1)}" height="{box.group(2)}">{rest}'


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise BuildError("mermaid diagrams are drawn for the PDF in Chromium, which is not installed: "
                         "apt-get install chromium (as .ci/setup does)")
    return path


def _in_chromium(codes: list[str], script: bytes) -> list[dict]:
    """Draw ``codes`` with mermaid.js in a headless Chromium that can reach nothing but the page it is given."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BuildError(f"mermaid diagrams need Playwright: {INSTALL}") from None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=flags)
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.abort())
            page.set_content("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body></body></html>")
            page.add_script_tag(content=script.decode("utf-8"))
            return page.evaluate(DRAW, [SETTINGS, codes])
        finally:
            browser.close()
