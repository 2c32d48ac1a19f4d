"""What of Quarto's authoring the built-in engine renders, and one line for the rest.

Quarto's Authoring guide (https://quarto.org/docs/authoring/) names the features a chapter may use. The
built-in engine renders some as Quarto renders them; a chapter that uses any other stops the build with one
line naming the file, the line and the feature, and "render with Quarto (`briefing build --engine quarto`)
or remove it", so that a book never renders wrong without saying so. :data:`FEATURES` is the list, with each
feature's status; the README's table "What the built-in engine renders" is this list
(``tests/test_features.py`` keeps them the same).

The check reads a chapter's markdown as written, outside code blocks, and its cells' options; real Quarto
never runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from briefing.render import BuildError

RENDERED, REFUSED = "rendered", "refused"
REFUSAL = "render with Quarto (`briefing build --engine quarto`) or remove it"
GUIDE = "https://quarto.org/docs/"


@dataclass(frozen=True)
class Feature:
    """A feature of Quarto's Authoring guide: its name, whether the built-in engine renders it, the guide's page
    (under :data:`GUIDE`, where the README's table links it),
    and for a refused one how a chapter's markdown line (``pattern``) or a cell option (``options``) uses it."""

    name: str
    status: str
    page: str
    pattern: re.Pattern | None = None
    options: tuple[str, ...] = ()


# Quarto's own div and span classes (its reserved prefixes), less those the engine renders.
RESERVED_CLASS = re.compile(r"(?:^|[\s{])\.(?P<cls>(?!panel-tabset\b|column-margin\b)(?:panel|column|quarto|cell|g-col|page-layout)-[\w-]+|grid|page-columns)\b")
DOCUMENT_OPTION = "Other document options that change how a chapter renders"  # how a refusal names one
OTHER_KINDS = ("sol", "rem", "alg")  # cross-reference prefixes the engine does not number

FEATURES: tuple[Feature, ...] = (
    Feature("Callouts (note, tip, warning, important, caution), with a title", RENDERED, "authoring/callouts.html"),
    Feature("Footnotes", RENDERED, "authoring/markdown-basics.html#footnotes"),
    Feature("Citations and the bibliography", RENDERED, "authoring/citations.html"),
    Feature("Cross-references to sections, and to figures and tables made by cells", RENDERED,
            "authoring/cross-references.html"),
    Feature("Figures from markdown images with an id (`![…](…){#fig-…}`)", RENDERED, "authoring/figures.html"),
    Feature("Conditional content (`content-visible`, `content-hidden`; `when-format`, `unless-format`)", RENDERED,
            "authoring/conditional.html"),
    Feature("Folded code (`code-fold`, `code-summary`)", RENDERED, "output-formats/html-code.html#folding-code"),
    Feature("Inline expressions (`` `{python} x` ``)", RENDERED, "computations/inline-code.html"),
    Feature("Equations (TeX math)", RENDERED, "authoring/markdown-basics.html#equations"),
    Feature("Equation labels and their cross-references (`$$ … $$ {#eq-…}`, `@eq-…`)", RENDERED,
            "authoring/cross-references.html#equations"),
    Feature("Table captions with an id on markdown tables (`: Caption {#tbl-…}`)", RENDERED,
            "authoring/tables.html#cross-references"),
    Feature("Includes (`{{< include >}}`, on a line of their own)", RENDERED, "authoring/includes.html"),
    Feature("An include within a line of text", REFUSED, "authoring/includes.html"),
    Feature("A metadata block in an included file", REFUSED, "authoring/includes.html"),
    Feature("Page breaks (`{{< pagebreak >}}`, on a line of its own)", RENDERED,
            "authoring/markdown-basics.html#page-breaks"),
    Feature("A page break within a line of text", REFUSED, "authoring/markdown-basics.html#page-breaks"),
    Feature("Metadata and variables (`{{< meta … >}}`, `{{< var … >}}` from `_variables.yml`)", RENDERED,
            "authoring/variables.html"),
    Feature("Keyboard shortcuts (`{{< kbd Ctrl-C >}}`; not its per-system forms, `mac=…`)", RENDERED,
            "authoring/markdown-basics.html#keyboard-shortcuts"),
    Feature("Shortcodes in code (Quarto expands them there too; `{{{< … >}}}` escapes one)", REFUSED,
            "extensions/shortcodes.html#escaping"),
    Feature("Other shortcodes (`{{< … >}}`)", REFUSED, "extensions/shortcodes.html"),
    Feature("Tabsets (`panel-tabset`)", RENDERED, "output-formats/html-basics.html#tabsets"),
    Feature("Layout of a div's blocks in rows and columns (`layout-ncol`, `layout-nrow`, `layout-valign`, "
            "`layout=\"[[70,30],[100]]\"`)", RENDERED, "authoring/figures.html#complex-layouts"),
    Feature("Layout of a cell's outputs in rows and columns (`layout-ncol`, `layout-nrow` as cell options)", RENDERED,
            "authoring/figures.html#complex-layouts"),
    Feature("Subfigures and custom layouts of a cell's outputs (`fig-subcap`, a labelled cell's figures laid out, "
            "`layout` as a cell option)", REFUSED, "authoring/figures.html#complex-layouts", None, ("layout", "fig-subcap")),
    Feature("Margin content (a `column-margin` div)", RENDERED, "authoring/article-layout.html#margin-content"),
    Feature("Page columns and margin spans (`column-page`, `column-screen`, …; `column-margin` on a span or a cell)",
            REFUSED, "authoring/article-layout.html", re.compile(r"\.column-(?!margin\b)[\w-]+|\][{][^}]*\.column-margin"),
            ("column", "fig-column", "tbl-column")),
    Feature("Caption locations, the margin among them (`cap-location`, `fig-cap-location`, `tbl-cap-location` in the "
            "front matter, `_quarto.yml` or a cell's options)", RENDERED, "authoring/article-layout.html#margin-captions"),
    Feature("A caption location written on a markdown element (`{… cap-location=…}`)", REFUSED,
            "authoring/article-layout.html#margin-captions", re.compile(r"[{\s](?:fig-|tbl-)?cap-location=")),
    Feature("Callout options (`collapse`, `appearance`, `icon`)", RENDERED, "authoring/callouts.html#collapse"),
    Feature("Mermaid diagrams (`{mermaid}` cells, with `%%| label`, `fig-cap`, `fig-alt`)", RENDERED,
            "authoring/diagrams.html"),
    Feature("Graphviz diagrams (`{dot}` cells)", REFUSED, "authoring/diagrams.html#graphviz",
            re.compile(r"^\s*(?:`{3,}|~{3,})\s*\{dot\b")),
    Feature("Code cells in languages other than Python (`{r}`, `{julia}`, `{ojs}`)", REFUSED,
            "computations/execution-options.html", re.compile(r"^\s*`{3,}\s*\{(?!python\b|mermaid\b|dot\b|=)[\w-]+")),
    Feature("Theorems and the like, listings, and their cross-references (`#thm-…`, `#def-…`, `#lst-…`, …)", RENDERED,
            "authoring/cross-references.html#theorems-and-proofs"),
    Feature("Proofs, remarks and solutions (`.proof`, `.remark`, `.solution`)", RENDERED,
            "authoring/cross-references.html#theorems-and-proofs"),
    Feature("Other cross-reference kinds (`@sol-…`, `@rem-…`, `@alg-…`)", REFUSED,
            "authoring/cross-references.html#theorems-and-proofs",
            re.compile(r"(?<![\w@\\])@(?:" + "|".join(OTHER_KINDS) + r")-\w|\{#(?:" + "|".join(OTHER_KINDS) + r")-")),
    Feature(f"{DOCUMENT_OPTION} (`crossref`, `number-depth`, `fig-width`, "
            "`reference-location`, `lang`, …, in a chapter's front matter or in _quarto.yml)", REFUSED,
            "reference/formats/html.html"),
    Feature("Other Quarto div and span classes (`panel-*`, `column-*`, `quarto-*`, `cell-*`, `grid`)", REFUSED,
            "authoring/markdown-basics.html#divs-and-spans", RESERVED_CLASS),
)

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(?!\{python\}).+?\1")
SHORTCODE = re.compile(r"\{\{\{?[<%]\s*(?P<name>[\w-]+)?")
RENDERED_SHORTCODES = ("meta", "var", "kbd")
KBD_WITH_OPTIONS = re.compile(r"\{\{<\s*kbd\s[^>]*=")
LONE_PAGEBREAK = re.compile(r"^\s*\{\{<\s*pagebreak\s*>\}\}\s*$")


def _named(prefix: str) -> Feature:
    return next(f for f in FEATURES if f.name.startswith(prefix))


def metadata_in_include() -> Feature:
    return _named("A metadata block in an included file")


def _shortcode_use(line: str, in_code: bool) -> Feature | None:
    """The refused way ``line`` uses a shortcode, if it does: Quarto expands shortcodes before it reads the
    markdown, in code blocks and spans too, and the engine renders ``meta``, ``var`` and a lone ``pagebreak``
    outside code only."""
    spans = [m.span() for m in CODE_SPAN.finditer(line)] if not FENCE.match(line) else []
    for match in SHORTCODE.finditer(line):
        name = match.group("name") or ""
        if in_code or any(start <= match.start() < end for start, end in spans):
            return _named("Shortcodes in code")
        if match.group(0).startswith("{{{") or name not in (*RENDERED_SHORTCODES, "pagebreak", "include") or (
                name == "kbd" and KBD_WITH_OPTIONS.match(line, match.start())):
            return _named("Other shortcodes")
        if name == "include":
            return _named("An include within")
        if name == "pagebreak" and not LONE_PAGEBREAK.match(line):
            return _named("A page break within")
    return None


def _uses(line: str, in_code: bool) -> Feature | None:
    """The refused feature ``line`` uses: a shortcode anywhere (:func:`_shortcode_use`), else, outside code
    blocks and code spans, the first refused feature whose pattern it matches."""
    used = _shortcode_use(line, in_code)
    if used or in_code:
        return used
    text = line if FENCE.match(line) else CODE_SPAN.sub("", line)
    for feature in FEATURES:
        if feature.status == REFUSED and feature.pattern is not None and feature.pattern.search(text):
            return feature
    return None


def refused_in(chapter) -> list[tuple[int, Feature]]:
    """Each use of a refused feature in ``chapter`` (a parsed .qmd), by line, in order."""
    from briefing.render.qmd import Cell, Markdown

    found = []
    for block in chapter.blocks:
        if isinstance(block, Markdown):
            fence = None
            for offset, line in enumerate(block.text.split("\n")):
                opener = FENCE.match(line)
                closes = (fence is not None and opener is not None and opener.group(1)[0] == fence[0]
                          and len(opener.group(1)) >= len(fence) and not line.strip().strip(fence[0]))
                feature = _uses(line, in_code=fence is not None and not closes)
                if feature:
                    found.append((block.line + offset, feature))
                if closes:
                    fence = None
                elif fence is None and opener:
                    fence = opener.group(1)
        elif isinstance(block, Cell):
            for option in block.options:
                for feature in FEATURES:
                    if feature.status == REFUSED and option in feature.options:
                        found.append((block.line + 1 + _option_line(block, option), feature))
                if option in ("layout-ncol", "layout-nrow") and str(block.options.get("label", "")).startswith("fig-"):
                    found.append((block.line + 1 + _option_line(block, option), _named("Subfigures and custom layouts")))
    return found


def _option_line(cell, option: str) -> int:
    """The offset of ``option``'s line among the cell's option lines (0 when it is not found)."""
    return next((n for n, line in enumerate(cell.option_lines) if line.lstrip("#| ").startswith(f"{option}:")), 0)


DOCUMENT_OPTIONS = (
    "format", "toc", "toc-depth", "toc-title", "toc-location", "toc-expand", "number-sections", "number-depth",
    "number-offset", "shift-heading-level-by", "code-fold", "code-summary", "code-tools", "code-line-numbers",
    "code-overflow", "code-copy", "highlight-style", "crossref", "reference-location", "citation-location",
    "fig-width", "fig-height", "fig-dpi", "fig-format", "fig-align", "fig-responsive", "tbl-colwidths", "df-print",
    "html-math-method", "page-layout", "grid", "css", "theme", "mainfont", "fontsize", "include-in-header",
    "include-before-body", "include-after-body", "bibliography", "csl", "filters", "lang", "link-citations",
    "citations-hover", "footnotes-hover", "crossrefs-hover", "abstract", "lightbox", "smooth-scroll", "anchor-sections",
)
"""Options of Quarto's document formats (https://quarto.org/docs/reference/formats/html.html) that change how a page
renders. In a chapter's front matter the built-in engine honours none of them (it reads ``title``, ``execute``,
``unnumbered`` and the caption locations); at the top of ``_quarto.yml`` it honours those in
:data:`PROJECT_OPTIONS`. Any other metadata is the author's own, for ``{{< meta >}}``, as in Quarto."""
PROJECT_OPTIONS = ("bibliography", "csl", "filters", "lang", "format")

FORMAT_OPTIONS = {
    "html": ("toc", "toc-depth", "number-sections", "code-fold", "code-summary", "html-math-method"),
    "typst": ("toc", "number-sections", "include-in-header", "include-after-body"),
}
"""The format options of ``_quarto.yml`` the built-in engine honours, by format
(https://quarto.org/docs/reference/formats/html.html, https://quarto.org/docs/reference/formats/typst.html). It
draws math as MathML only, so ``html-math-method`` must say ``mathml``."""


def check_formats(root) -> None:
    """Stop at the first format or format option of ``_quarto.yml`` the built-in engine does not render: one line,
    ``_quarto.yml:line: format …: the built-in engine does not render it; render with Quarto … or remove it``."""
    from pathlib import Path

    import yaml

    path = Path(root) / "_quarto.yml"
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return  # loading the project has reported it
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if key.value in DOCUMENT_OPTIONS and key.value not in PROJECT_OPTIONS:
                _refuse_format(key, f"{DOCUMENT_OPTION}: {key.value}")
    formats = _child(node, "format")
    if not isinstance(formats, yaml.MappingNode):
        return
    for key, options in formats.value:
        name = key.value
        if name not in FORMAT_OPTIONS:
            _refuse_format(key, f"format {name}")
        if not isinstance(options, yaml.MappingNode):
            continue
        for option, value in options.value:
            if option.value not in FORMAT_OPTIONS[name]:
                _refuse_format(option, f"format {name}: {option.value}")
            if option.value == "html-math-method":
                method = _child(value, "method") if isinstance(value, yaml.MappingNode) else value
                if getattr(method, "value", None) != "mathml":
                    _refuse_format(option, f"format html: html-math-method {getattr(method, 'value', '')} "
                                           "(the built-in engine draws math as MathML)")


def _child(node, key: str):
    import yaml

    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def _refuse_format(node, what: str) -> None:
    raise BuildError(f"_quarto.yml:{node.start_mark.line + 1}: {what}: the built-in engine does not render it; "
                     f"{REFUSAL}")


def check(chapter) -> None:
    """Stop at the first refused feature ``chapter`` uses: one line, ``file:line: the feature: what to do``, the
    file and line where it is written (an included file's own)."""
    for key in chapter.meta:
        if key in DOCUMENT_OPTIONS:
            raise BuildError(f"{chapter.where(chapter.meta_line(key))}: {DOCUMENT_OPTION}: {key}: the built-in engine "
                             f"does not render it; {REFUSAL}")
    found = refused_in(chapter)
    if found:
        line, feature = found[0]
        raise BuildError(f"{chapter.where(line)}: {feature.name}: the built-in engine does not render it; {REFUSAL}")
