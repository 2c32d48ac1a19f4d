"""Render the briefing with both engines and compare what a reader gets, page by page (issue 21).

    python tools/compare_engines.py                       # copy the project, build with both, compare
    python tools/compare_engines.py --builtin A --quarto B  # compare two output folders already built
    python tools/compare_engines.py --json                  # the same, as JSON

It needs real Quarto on PATH (with this interpreter as QUARTO_PYTHON) to build; it never runs in CI.
Compared, for every page both engines wrote: the visible text of the page's content (Quarto's and the
built-in engine's page chrome left out: navigation, breadcrumbs, title block, anchors), the numbers in
it, the cross-reference labels ("Figure 8.1"), the figures; then the list of pages and the presence of
each reader feature. A difference is reported with the words around it; the exit status is 0 whatever
it finds (a report, not a test: tests/test_quarto_real.py holds the engines to it). When both folders hold a
PDF, it compares their page counts and the letters of their appendices.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
def _has_class(name: str) -> str:
    return f"[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


def _class(name: str) -> str:
    return ".//*" + _has_class(name)


CHAPTER_REFERENCES = ".//section[@id='bibliography']"
"""The built-in engine ends a chapter that cites with its references; a Quarto book keeps them in its References
appendix and in each citation's popup (the chapter's list is in the page, hidden). Where each engine puts the
references is compared as a feature of its own, not as the chapter's text."""

TAB_TITLES = ".//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6]" + _has_class("tab-title")
"""The built-in engine writes a tab's title as the heading of its pane (a page read without JavaScript reads the
tabs as sections); Quarto lists the titles before the panes. Each engine's titles are compared apart (:func:`tabs`)."""

CHROME = {
    # what each engine adds around the content, which the comparison leaves out (XPath)
    "quarto": [".//nav", ".//script", ".//style", ".//button", _class("quarto-title-breadcrumbs"),
               _class("quarto-title-meta"), _class("anchorjs-link"), _class("page-navigation"),
               _class("visually-hidden"), ".//*[@id='quarto-margin-sidebar']", _class("callout-icon-container"),
               _class("screen-reader-only"), ".//*[@aria-hidden='true'][not(self::kbd)]", ".//*[contains(@style, 'display: none')]",
               # (a key to press is written twice, for the eye, aria-hidden, and for a screen reader, visually
               # hidden: the eye's copy is compared)
               # the book's cover on its first page (title, subtitle, description, author), whose own heading follows
               ".//header[@id='title-block-header'][following-sibling::section[1][h1]]",
               # a tabset's tab titles, which the built-in engine writes as each pane's heading (compared apart)
               _class("nav-tabs")],
    "builtin": [".//nav", ".//script", ".//style", ".//button", _class("page-nav"), _class("anchor"),
                _class("header-anchor"), _class("visually-hidden"), _class("skip-link"),
                ".//*[@aria-hidden='true']", CHAPTER_REFERENCES, TAB_TITLES],
}
NUMBER = re.compile(r"(?<![\w.])[−-]?\$?\d[\d,]*(?:\.\d+)?(?:%|×)?")
XREF = re.compile(r"\b(?:Figure|Table|Section|Chapter|Appendix|Equation)\s[A-Z0-9]+(?:\.\d+)*")
FEATURES = {
    "provenance on computed values": lambda html: bool(re.search(r'href="[^"]*notebooks/[^"]*#cell-[^"]*" class="computed', html)),
    "search from file://": lambda html: 'site_libs/search.js"' in html,  # loads the index as a script, not fetch()
    "verdict previews": lambda html: 'site_libs/reader.js"' in html,  # which loads previews.js on demand
    "claim links": lambda html: 'class="claim-ref"' in html,
    "figure values": lambda html: 'class="figure-values"' in html,
    "last-changed line": lambda html: "Last changed in version" in html or "Not in a release yet" in html,  # needs git
    "references at the chapter's end": lambda html: 'id="bibliography"' in html,
}


def content(html: str, engine: str):
    """The element holding a page's content, without the engine's chrome."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    main = tree.xpath("//main")
    node = main[0] if main else tree
    for path in CHROME[engine]:
        for el in node.xpath(path):
            el.drop_tree()
    return node


BLOCKS = {"annotation", "p", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "figcaption", "caption",
          "blockquote", "pre", "section", "figure", "table", "summary", "details", "dt", "dd"}


def page_text(html: str, engine: str) -> str:
    """A page's visible content as words separated by single spaces (a block ends a word; inline markup,
    such as a value's link, does not)."""
    node = content(html, engine)
    for el in node.iter():
        if isinstance(el.tag, str) and el.tag in BLOCKS:
            el.tail = " " + (el.tail or "")
            el.text = " " + (el.text or "")
    text = re.sub(r"\s+", " ", node.text_content().replace("\u00a0", " ")).strip()
    return re.sub(r"^Appendix ([A-Z]) — ", r"\1 ", text) if engine == "quarto" else text


def tabs(html: str, engine: str) -> list[list[str]]:
    """Each tabset's tab titles, in order."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    if engine == "quarto":
        return [[" ".join(a.text_content().split()) for a in ul.xpath(".//a[@role='tab']")]
                for ul in tree.xpath("//ul" + _has_class("nav-tabs"))]
    return [[" ".join(h.text_content().split()) for h in tabset.xpath(TAB_TITLES)]
            for tabset in tree.xpath("//div" + _has_class("panel-tabset"))]


def compare_text(a: str, b: str, context: int = 6, most: int = 8) -> tuple[float, list[str]]:
    """How alike two texts are (difflib's ratio over words) and the differences, each with words around it."""
    wa, wb = a.split(" "), b.split(" ")
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    out = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = " ".join(wa[max(0, i1 - context):i1])
        out.append(f"…{before} [built-in: {' '.join(wa[i1:i2]) or '∅'} | quarto: {' '.join(wb[j1:j2]) or '∅'}]")
        if len(out) >= most:
            break
    return matcher.ratio(), out


def compare_page(builtin_html: str, quarto_html: str) -> dict:
    a, b = page_text(builtin_html, "builtin"), page_text(quarto_html, "quarto")
    ratio, differences = compare_text(a, b)
    numbers_a, numbers_b = (Counter(NUMBER.findall(XREF.sub("", t))) for t in (a, b))  # labels are compared apart
    xrefs_a, xrefs_b = Counter(XREF.findall(a)), Counter(XREF.findall(b))
    figures = [len(content(h, e).xpath(".//figure//img")) for h, e in ((builtin_html, "builtin"), (quarto_html, "quarto"))]
    return {
        "text_ratio": round(ratio, 4),
        "differences": differences,
        "numbers_only_builtin": sorted((numbers_a - numbers_b).elements()),
        "numbers_only_quarto": sorted((numbers_b - numbers_a).elements()),
        "xrefs_only_builtin": sorted((xrefs_a - xrefs_b).elements()),
        "xrefs_only_quarto": sorted((xrefs_b - xrefs_a).elements()),
        "figures": figures,
        "tabs": [tabs(builtin_html, "builtin"), tabs(quarto_html, "quarto")],
        "features": {name: [test(builtin_html), test(quarto_html)] for name, test in FEATURES.items()},
    }


def pages(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.html")
            if not p.relative_to(folder).as_posix().startswith(("site_libs/", "notebooks/"))}


def compare(builtin: Path, quarto: Path) -> dict:
    a, b = pages(builtin), pages(quarto)
    report = {"pages_only_builtin": sorted(a - b), "pages_only_quarto": sorted(b - a), "pages": {}}
    for name in sorted(a & b):
        report["pages"][name] = compare_page((builtin / name).read_text(encoding="utf-8"),
                                             (quarto / name).read_text(encoding="utf-8"))
    report["downloads"] = [len(list((builtin / "data").glob("*.csv"))) if (builtin / "data").is_dir() else 0,
                           len(list((quarto / "data").glob("*.csv"))) if (quarto / "data").is_dir() else 0]
    pdfs = [next(folder.glob("*.pdf"), None) for folder in (builtin, quarto)]
    if all(pdfs):
        report["pdf"] = {"pages": [pdf_pages(pdf) for pdf in pdfs], "appendices": [appendices(pdf) for pdf in pdfs]}
    return report


APPENDIX_TITLES = ("Data and methods", "Corrections", "References", "What changed between editions",
                   "Where the numbers come from")


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def appendices(pdf: Path) -> list[str]:
    """The PDF's appendices as their headings letter them ("D What changed between editions"), in order."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = {}
    for title in APPENDIX_TITLES:
        for match in re.finditer(rf"^\f?([A-H])\.?\s+{re.escape(title)}\s*$", text, re.M):
            found.setdefault(title, f"{match.group(1)} {title}")
    return sorted(found.values())


def build_both(project: Path, work: Path) -> tuple[Path, Path]:
    """Copy the project's tracked files to ``work`` and render them with each engine, HTML only."""
    files = subprocess.run(["git", "-C", str(project), "ls-files", "-co", "--exclude-standard"],
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if (project / name).is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(project / name, work / name)
    env = {**os.environ, "QUARTO_PYTHON": os.environ.get("QUARTO_PYTHON", sys.executable)}
    subprocess.run([sys.executable, "-m", "briefing.cli", "build", "--to", "html", "--project", str(work)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    shutil.move(str(work / "_book"), str(work.parent / "builtin"))
    subprocess.run(["quarto", "render", "--to", "html"], cwd=work, check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return work.parent / "builtin", work / "_book"


def report_lines(report: dict) -> list[str]:
    out = ["# The two engines compared", ""]
    for key, label in (("pages_only_builtin", "Pages only the built-in engine writes"),
                       ("pages_only_quarto", "Pages only Quarto writes")):
        if report[key]:
            out.append(f"{label}: {', '.join(report[key])}")
    out.append(f"Data downloads (CSV files): built-in {report['downloads'][0]}, Quarto {report['downloads'][1]}")
    if "pdf" in report:
        pdf = report["pdf"]
        out.append(f"PDF: built-in {pdf['pages'][0]} pages, Quarto {pdf['pages'][1]} pages")
        out.append(f"PDF appendices: built-in {'; '.join(pdf['appendices'][0])}; Quarto {'; '.join(pdf['appendices'][1])}")
    out.append("")
    features = {}
    for name, page in report["pages"].items():
        for feature, (a, b) in page["features"].items():
            features.setdefault(feature, [0, 0])
            features[feature][0] += a
            features[feature][1] += b
    out += ["| reader feature | pages, built-in | pages, Quarto |", "|---|---|---|"]
    out += [f"| {f} | {a} | {b} |" for f, (a, b) in features.items()]
    out.append("")
    for name, page in report["pages"].items():
        same = (page["text_ratio"] == 1.0 and not page["numbers_only_builtin"] and not page["numbers_only_quarto"]
                and not page["xrefs_only_builtin"] and not page["xrefs_only_quarto"])
        out.append(f"## {name}: text {page['text_ratio']:.4f}" + (" (the same)" if same else ""))
        for key in ("numbers_only_builtin", "numbers_only_quarto", "xrefs_only_builtin", "xrefs_only_quarto"):
            if page[key]:
                out.append(f"- {key.replace('_', ' ')}: {', '.join(page[key][:20])}")
        if page["figures"][0] != page["figures"][1]:
            out.append(f"- figures: built-in {page['figures'][0]}, Quarto {page['figures'][1]}")
        out += [f"- {d}" for d in page["differences"]]
        out.append("")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builtin", type=Path, help="an output folder of `briefing build`")
    parser.add_argument("--quarto", type=Path, help="an output folder of `quarto render`")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.builtin) != bool(args.quarto):
        parser.error("give both --builtin and --quarto, or neither")
    if args.builtin:
        report = compare(args.builtin, args.quarto)
    else:
        if not shutil.which("quarto"):
            print("compare_engines: quarto is not on PATH", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory(prefix="compare-engines-") as tmp:
            work = Path(tmp) / "project"
            builtin, quarto = build_both(ROOT, work)
            report = compare(builtin, quarto)
    print(json.dumps(report, indent=1, ensure_ascii=False) if args.json else "\n".join(report_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
