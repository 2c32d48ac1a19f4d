"""Turn a chapter and its executed notebook into Pandoc markdown, as Quarto would.

Handles cell options (https://quarto.org/docs/reference/cells/cells-jupyter.html):
``echo``, ``output``, ``include``, ``warning``, ``code-fold``, ``label``,
``fig-cap``, ``fig-alt``, ``tbl-cap``; inline expression values; chapter and
section numbers; and collects the ids that cross-references point to.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from briefing.files import inside
from briefing.present import md_escape
from briefing.render import BuildError
from briefing.render.features import LONE_PAGEBREAK
from briefing.render.notebook import INLINE_TAG
from briefing.render.project import config_line, project_file
from briefing.render.qmd import INLINE_EXPR, PLAIN_FENCE, Chapter, Markdown, relpath

HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.*?)\s*(?:\{(?P<attrs>[^}]*)\})?\s*$")
DIV_FENCE = re.compile(r"^:{3,}(?P<attrs>.*)$")
MD_IMAGE = re.compile(r"(?P<head>!\[(?:[^\]\\]|\\.)*\]\()(?P<src><[^>]*>|[^)\s]+)(?P<rest>[^)]*\))")
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
MD_FIGURE = re.compile(r"!\[[^\]]*\]\([^)]*\)\{[^}]*#(?P<id>fig-[\w-]+)")
MD_FIGURE_ID = re.compile(r"(?<=\)\{)#fig-[\w-]+|(?<=\)\{)[^}]*?#fig-[\w-]+")
THEOREMS = {"thm": "Theorem", "lem": "Lemma", "cor": "Corollary", "prp": "Proposition", "cnj": "Conjecture",
            "def": "Definition", "exm": "Example", "exr": "Exercise"}
"""Quarto's theorem kinds by their prefix (https://quarto.org/docs/authoring/cross-references.html#theorems-and-proofs),
each numbered on its own in a chapter ("Theorem 3.1", "Lemma 3.1")."""
XREF = re.compile(r"(?<![\w@\\])@(?P<id>(?:fig|tbl|sec|eq|lst|" + "|".join(THEOREMS) + r")-[\w-]*\w)")
THEOREM_DIV = re.compile(r"^:{3,}\s*\{[^}]*#(?P<id>(?P<kind>" + "|".join(THEOREMS) + r")-[\w-]+)")
TITLED_DIV = re.compile(r"\.callout-\w|\bcallout-\w|\.panel-tabset\b|#(?:" + "|".join(THEOREMS) + r")-")
"""A div whose headings are not sections but titles: a callout's, a tabset's tabs, a theorem's name. Quarto numbers
the headings of any other div (a layout panel's, a margin note's) as sections."""
MERMAID = re.compile(r"^(?P<fence>`{3,})\s*\{mermaid\}\s*$")
"""A ``{mermaid}`` cell (https://quarto.org/docs/authoring/diagrams.html): options as ``%%| key: value`` lines."""
LISTING = re.compile(r"^\s*(?:`{3,}|~{3,})\s*\{[^}]*#(?P<id>lst-[\w-]+)")
"""A code block with a listing's id and caption (``lst-cap``), numbered "Listing 3.1" as Quarto numbers it."""
PAGEBREAK = ('```{=html}\n<div style="page-break-after: always;"></div>\n```\n\n'
             "```{=typst}\n#pagebreak()\n```")  # as Quarto's pagebreak shortcode writes it for each format
TABLE_CAPTION = re.compile(r"^(?P<lead>\s*(?:Table)?:\s+)(?P<cap>.*?)\s*\{#(?P<id>tbl-[\w-]+)\}\s*$")
"""A markdown table's caption with an id (https://quarto.org/docs/authoring/tables.html#cross-references),
numbered as Quarto numbers it ("Table 2.1: …") and an anchor that ``@tbl-…`` links to."""
VALUE_SHORTCODE = re.compile(r"(?<!\{)\{\{<\s*(?P<kind>meta|var)\s+(?P<key>[\w.-]+)\s*>\}\}")
KBD = re.compile(r"(?<!\{)\{\{<\s*kbd\s+(?P<keys>[^\s=>]+)\s*>\}\}")
"""``{{< kbd Ctrl-C >}}``, a key or keys to press (https://quarto.org/docs/authoring/markdown-basics.html#keyboard-shortcuts)."""
EQUATION = re.compile(r"^\s*\$\$(?P<tex>.+?)\$\$\s*\{#(?P<id>eq-[\w-]+)\}\s*$")
EQUATION_CLOSE = re.compile(r"^(?P<tex>.*?)\$\$\s*(?:\{#(?P<id>eq-[\w-]+)\})?\s*$")
CITE = re.compile(r"(?<![\w@\\])@(?P<key>[\w][\w:.#$%&+?<>~/-]*\w|\w)")
# What Pandoc's markdown reader never parses as a citation: code spans, autolinks and raw HTML
# tags, link and image destinations, reference-link definitions (checked against pandoc 3.9's AST
# in tests/test_reliability.py). A bare URL is not among them: pandoc reads https://x/@user as @user.
NOT_CITATIONS = re.compile(
    r"(?P<ticks>`+).+?(?<!`)(?P=ticks)(?!`)"
    r"|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*>"
    r"|<[^<>\s@]+@[^<>\s]+>"
    r"|</?[A-Za-z][^<>]*>"
    r"|\]\([^)]*\)"
    r"|^\s{0,3}\[[^\]]+\]:\s.*$"
)


def mask_non_citations(line: str) -> str:
    """The line with every span Pandoc cannot read as a citation blanked out (same length)."""
    return NOT_CITATIONS.sub(lambda m: " " * len(m.group(0)), line)


@dataclass
class Target:
    """Something a cross-reference can point to."""

    id: str
    kind: str
    label: str
    page: str


@dataclass
class Assembled:
    stem: str
    page: str
    title: str
    number: str | None
    markdown: str
    figures: dict[str, bytes] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    references: list[tuple[str, int]] = field(default_factory=list)
    citations: list[tuple[str, int]] = field(default_factory=list)
    chapter_id: str = ""
    images: dict[str, Path] = field(default_factory=dict)
    diagrams: list = field(default_factory=list)  # the chapter's mermaid diagrams (briefing.render.diagrams.Diagram)
    last_changed: str = ""  # the release that last changed the chapter (markdown), "" when there is none
    coverage: str = ""  # the book's lineage counts (markdown), on the page that shows them


def title_of(chapter: Chapter) -> str | None:
    """A chapter's title: its front matter's ``title``, or the text of its first ``# `` heading."""
    if chapter.meta.get("title") is not None:
        return str(chapter.meta["title"])
    first = chapter.blocks[0] if chapter.blocks else None
    if isinstance(first, Markdown):
        match = HEADING.match(first.text.split("\n")[0])
        if match and len(match.group("hashes")) == 1:
            return match.group("text")
    return None


def inline_value(outputs: list) -> str:
    """An inline expression's value as markdown: text/markdown verbatim, text/plain escaped."""
    for out in outputs:
        if out.get("output_type") == "execute_result":
            data = out.get("data", {})
            if "text/markdown" in data:
                return "".join(data["text/markdown"]).strip()
            plain = "".join(data.get("text/plain", "")).strip()
            if plain[:1] in "'\"":
                try:
                    plain = str(ast.literal_eval(plain))
                except (ValueError, SyntaxError):
                    pass
            return md_escape(plain)
    return ""


SENTENCE_WORDS = 3
SENTENCE_CHARS = 32


@dataclass
class ChapterLineage:
    """What a chapter's notebook says about where its values come from: each reference's anchor in
    its list of sources (:func:`briefing.sources.chapter_sources`), and the names its code defines."""

    anchors: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)
    derived: frozenset = frozenset()
    names: object = None
    positions: dict = field(default_factory=dict)

    @classmethod
    def of(cls, nb, stem: str = "") -> ChapterLineage:
        from briefing.lineage import Ref
        from briefing.names import names_of
        from briefing.sources import recorded_sources

        found = cls()
        code = [c for c in nb.cells if c.cell_type == "code"]
        found.names = names_of(tuple((c["id"], c.source) for c in code))
        found.positions = {c["id"]: i for i, c in enumerate(code)}
        documents, found.derived = recorded_sources(nb)
        for document in documents:
            for locator in document["locators"]:
                for ref in locator["refs"]:
                    found.anchors[Ref.from_json(ref)] = scoped(locator["id"], stem) if stem else locator["id"]
                    found.kinds[Ref.from_json(ref)] = document["kind"]
        return found


SOURCE_ID = re.compile(r"\{#(sources|source-\d+(?:-\d+)?)([ }])")


def scoped(anchor: str, stem: str) -> str:
    """A chapter's sources anchor made unique in the book (the PDF is one document): ``source-3-1`` of
    ``training-cost`` is ``training-cost-source-3-1``."""
    return f"{stem}-{anchor}"


def scope_sources(markdown: str, stem: str) -> str:
    """The chapter's list of sources with its anchors scoped to the chapter (:func:`scoped`)."""
    return SOURCE_ID.sub(lambda m: f"{{#{scoped(m.group(1), stem)}{m.group(2)}", markdown)


def is_sentence(value: str) -> bool:
    """A value composed as a phrase or sentence (more than three words, or long): it is shown as text
    with a small marker after it, never as one long link."""
    text = re.sub(r"\\(.)", r"\1", value)
    return len(text.split()) > SENTENCE_WORDS or len(text) > SENTENCE_CHARS


def computed(cell, lineage: ChapterLineage | None = None) -> tuple[str, str]:
    """An inline value, bare and as a span that keeps its provenance: the expression as written
    in the chapter, the id of its cell in the executed notebook, the anchors of its sources in the
    chapter's list, the data rows it was computed from and the named values it rests on (the site
    shows them; the PDF and real Quarto show the value only). A value the chapter composed as
    markdown (a verdict's head, a sentence) is prose, not a computed value, and stays bare."""
    from briefing.lineage import lineage_of
    from briefing.sources import data_label

    value = inline_value(cell.get("outputs", []))
    markdown = any("text/markdown" in out.get("data", {}) for out in cell.get("outputs", []))
    if not value or markdown:
        return value, value
    attrs = [f'data-cell="{cell["id"]}"', f'data-expr="{_attr_value(cell.source)}"']
    refs = lineage_of(cell.get("outputs", [])) or []
    if lineage is not None:
        anchors = list(dict.fromkeys(lineage.anchors[r] for r in refs if r in lineage.anchors))
        if anchors:
            attrs.append(f'data-sources="{" ".join(anchors)}"')
        rows = data_label(refs)
        if rows:
            attrs.append(f'data-rows="{_attr_value(rows)}"')
        position = lineage.positions.get(cell["id"], 0)
        names = lineage.names.intermediates(cell.source, position) if lineage.names else []
        if names:
            attrs.append(f'data-names="{" ".join(f"{n}:{c}" for n, c in names)}"')
    classes = ".computed .sentence" if is_sentence(value) else ".computed"
    return value, f'[{value}]{{{classes} {" ".join(attrs)}}}'


IN_ATTRIBUTE = re.compile(r'=\s*"(?:[^"\\]|\\.)*$')


def _inline(value: tuple[str, str], line: str, start: int) -> str:
    """The value as a provenance span, or bare inside a quoted attribute (``fig-alt="…"``)."""
    bare, span = value
    return bare if IN_ATTRIBUTE.search(line[:start]) else span


def _fences(lines: list[str]):
    """Yield (line, inside_code_fence) pairs."""
    fence = None
    for line in lines:
        match = PLAIN_FENCE.match(line)
        if match:
            char = match.group(1)[0]
            yield line, True
            fence = None if fence == char else (fence or char)
            continue
        yield line, fence is not None


def _attr_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


class ChapterAssembler:
    """Assemble one chapter. ``number`` is "3", "A" or None (unnumbered). Figures and tables
    are numbered N.M in numbered chapters; ``counters`` shared across chapters number them
    through the book instead (``number-sections: false``)."""

    def __init__(self, chapter: Chapter, notebook, number: str | None, page: str, defaults: dict,
                 counters: dict | None = None, root: Path | None = None):
        self.chapter = chapter
        self.root = Path(root) if root else Path(chapter.path).parent
        self.nb = notebook
        self.number = number
        self.page = page
        self.defaults = defaults
        self.stem = chapter.path.stem
        self.out = Assembled(stem=self.stem, page=page, title="", number=number, markdown="")
        self.counters = counters if counters is not None else {"fig": 0, "tbl": 0, "eq": 0}
        self.section_counter = [0] * 6
        self.divs: list[bool] = []  # the divs open at this line, each True when its headings are titles
        self.captions = {scope: self._cap_location(scope) for scope in ("fig", "tbl")}
        self.title_block = None

    def _next(self, kind: str) -> str:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        n = self.counters[kind]
        return f"{self.number}.{n}" if self.number else str(n)

    def run(self) -> Assembled:
        parts: list[str] = [self._title()]
        code_cells = [c for c in self.nb.cells if c.cell_type in ("code", "raw")]
        inline = [c for c in code_cells if INLINE_TAG in c.metadata.get("tags", [])]
        cells = iter(c for c in code_cells if INLINE_TAG not in c.metadata.get("tags", []))
        lineage = ChapterLineage.of(self.nb, self.stem)
        values = iter(computed(c, lineage) for c in inline)
        for block in self.chapter.blocks:
            if block is self.title_block:
                for _ in INLINE_EXPR.finditer(block.text.split("\n", 1)[0]):
                    next(values)
                parts.append(self._markdown(block.text.split("\n", 1)[1] if "\n" in block.text else "",
                                            block.line + 1, values))
            elif isinstance(block, Markdown):
                parts.append(self._markdown(block.text, block.line, values))
            else:
                parts.append(self._cell(block, next(cells)))
        self.out.markdown = "\n\n".join(p for p in parts if p).strip() + "\n"
        return self.out

    def _title(self) -> str:
        meta = self.chapter.meta
        title = meta.get("title")
        chapter_id, classes = self.stem, []
        first = self.chapter.blocks[0] if self.chapter.blocks else None
        if title is None and isinstance(first, Markdown):
            lines = first.text.split("\n")
            match = HEADING.match(lines[0])
            if match and len(match.group("hashes")) == 1:
                title = match.group("text")
                attrs = match.group("attrs") or ""
                ids = re.findall(r"#([\w-]+)", attrs)
                classes = re.findall(r"\.([\w-]+)", attrs)
                chapter_id = ids[0] if ids else chapter_id
                self.title_block = first
        if title is None:
            raise BuildError(f"{relpath(self.chapter.path)}:1: chapter has no title (front matter 'title:' or a first '# ' heading)")
        if "unnumbered" in classes:
            self.number = None
            self.out.number = None
        self.out.title = str(title)
        self.out.chapter_id = chapter_id
        kind = "Appendix" if self.number and self.number.isalpha() else "Chapter"
        label = f"{kind} {self.number}" if self.number else str(title)
        self.out.targets.append(Target(chapter_id, "sec", label, self.page))
        number = f"[{self.number}]{{.header-section-number}} " if self.number else ""
        return f"# {number}{title} {{#{chapter_id} .chapter}}"

    def _shortcode_value(self, match, line: int) -> str:
        """``{{< meta key >}}`` (the chapter's front matter, then ``_quarto.yml``) or ``{{< var key >}}``
        (``_variables.yml``), a dotted key reaching into a mapping, as Quarto reads them
        (https://quarto.org/docs/authoring/variables.html); a key with no single value stops the build."""
        kind, key = match.group("kind"), match.group("key")
        sources = ([self.chapter.meta, project_file(self.root, "_quarto.yml")] if kind == "meta"
                   else [project_file(self.root, "_variables.yml")])
        for source in sources:
            value = source
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return str(value)
        where = "the chapter's front matter or _quarto.yml" if kind == "meta" else "_variables.yml"
        raise BuildError(f"{self.chapter.where(line)}: {{{{< {kind} {key} >}}}}: {where} gives it no value")

    def _cap_location(self, scope: str, options: dict | None = None, line: int = 0) -> str | None:
        """Where a figure's (``scope`` "fig") or a table's ("tbl") caption goes: ``top``, ``bottom`` or ``margin``,
        from the cell's options, else the chapter's front matter, else ``_quarto.yml`` (``fig-cap-location`` before
        ``cap-location``; https://quarto.org/docs/authoring/article-layout.html#margin-captions); None for the
        format's own place."""
        sources = [(options or {}, lambda key: self.chapter.where(line) if line else ""),
                   (self.chapter.meta, lambda key: self.chapter.where(self.chapter.meta_line(key))),
                   (project_file(self.root, "_quarto.yml"), lambda key: f"_quarto.yml:{config_line(self.root, key)}")]
        for source, where in sources:
            for key in (f"{scope}-cap-location", "cap-location"):
                if key in source:
                    value = str(source[key])
                    if value not in ("top", "bottom", "margin"):
                        raise BuildError(f"{where(key)}: {key} must be top, bottom or margin, not {value!r}")
                    return value
        return None

    def _caption_attr(self, scope: str, block=None) -> str:
        """The caption's place as an attribute the filter reads (``cap-location="margin"``), or ""."""
        if block is not None:
            where = block.line + 1 + next((n for n, l in enumerate(block.option_lines) if "cap-location" in l), 0)
            place = self._cap_location(scope, block.options, where) if any(
                k in block.options for k in (f"{scope}-cap-location", "cap-location")) else self.captions[scope]
        else:
            place = self.captions[scope]
        return f'cap-location="{place}"' if place else ""

    def _equation(self, tex: str, ident: str) -> str:
        """A labelled display equation as Quarto renders it: its number set after it, "(3.1)", and an anchor that
        ``@eq-…`` links to as "Equation 3.1" (https://quarto.org/docs/authoring/cross-references.html#equations)."""
        number = self._next("eq")
        self.out.targets.append(Target(ident, "eq", f"Equation {number}", self.page))
        return f"[$${tex.strip()} \\qquad({number})$$]{{#{ident}}}"

    def _markdown(self, text: str, first_line: int, values) -> str:
        lines = text.split("\n")
        result = []
        equation: list[str] | None = None  # the lines of a display equation opened and not yet closed
        diagram: tuple[str, int, list[str]] | None = None  # a mermaid cell's fence, first line and lines so far
        for offset, (line, in_code) in enumerate(_fences(lines)):
            number = first_line + offset
            if diagram is not None:
                if line.strip() == diagram[0]:
                    result.append(self._diagram(diagram[2], diagram[1]))
                    diagram = None
                else:
                    diagram[2].append(line)
                continue
            opener = MERMAID.match(line)
            if opener:
                diagram = (opener.group("fence"), number, [])
                continue
            if in_code:
                listing = LISTING.match(line)
                if listing:
                    self.out.targets.append(Target(listing.group("id"), "lst", f"Listing {self._next('lst')}", self.page))
                result.append(line)
                continue
            if equation is not None:
                equation.append(line)
                closed = EQUATION_CLOSE.match(line)
                if closed:
                    tex = "\n".join([equation[0].split("$$", 1)[1], *equation[1:-1], closed.group("tex")])
                    result.append(self._equation(tex, closed.group("id")) if closed.group("id") else "\n".join(equation))
                    equation = None
                continue
            if LONE_PAGEBREAK.match(line):
                result.append(PAGEBREAK)
                continue
            line = VALUE_SHORTCODE.sub(lambda m: self._shortcode_value(m, number), line)
            line = KBD.sub(lambda m: f"[{md_escape(m.group('keys'))}]{{.kbd}}", line)
            caption = TABLE_CAPTION.match(line)
            if caption:
                number = self._next("tbl")
                self.out.targets.append(Target(caption.group("id"), "tbl", f"Table {number}", self.page))
                place = self._caption_attr("tbl")
                line = (f"{caption.group('lead')}[Table {number}: {caption.group('cap')}]"
                        f"{{#{caption.group('id')}{' ' + place if place else ''}}}")
            one = EQUATION.match(line)
            if one:
                result.append(self._equation(one.group("tex"), one.group("id")))
                continue
            if line.lstrip().startswith("$$") and line.count("$$") == 1:
                equation = [line]
                continue
            theorem = THEOREM_DIV.match(line)
            if theorem:
                kind = theorem.group("kind")
                self.out.targets.append(Target(theorem.group("id"), kind, f"{THEOREMS[kind]} {self._next(kind)}",
                                               self.page))
            div = DIV_FENCE.match(line)
            if div:
                if div.group("attrs").strip():
                    self.divs.append(bool(TITLED_DIV.search(div.group("attrs"))))
                elif self.divs:
                    self.divs.pop()
            heading = HEADING.match(line)
            if heading and len(heading.group("hashes")) >= 2 and not any(self.divs):
                line = self._heading(heading)
            for m in MD_FIGURE.finditer(line):
                self.out.targets.append(Target(m.group("id"), "fig", f"Figure {self._next('fig')}", self.page))
            if self.captions["fig"]:
                line = MD_FIGURE_ID.sub(lambda m: f'{m.group(0)} {self._caption_attr("fig")}', line)
            line = INLINE_EXPR.sub(lambda m: _inline(next(values), line, m.start()), line)
            line = MD_IMAGE.sub(lambda m: self._image(m, number), line)
            visible = mask_non_citations(line)
            for m in XREF.finditer(visible):
                self.out.references.append((m.group("id"), number))
            for m in CITE.finditer(visible):
                if not XREF.match(visible, m.start()):
                    self.out.citations.append((m.group("key"), number))
            result.append(line)
        if equation is not None:
            result.extend(equation)
        if diagram is not None:
            raise BuildError(f"{self.chapter.where(diagram[1])}: mermaid cell is not closed with {diagram[0]}")
        return "\n".join(result)

    def _diagram(self, lines: list[str], line: int) -> str:
        """A mermaid cell as a code block the filter draws: mermaid.js on the site, the build's SVG in the PDF
        (:mod:`briefing.render.diagrams`); with ``label: fig-…`` a numbered figure, ``fig-cap`` its caption."""
        import yaml

        from briefing.render.diagrams import Diagram

        count = 0
        while count < len(lines) and lines[count].lstrip().startswith("%%|"):
            count += 1
        try:
            options = yaml.safe_load("\n".join(l.lstrip()[3:] for l in lines[:count])) or {} if count else {}
        except yaml.YAMLError as exc:
            raise BuildError(f"{self.chapter.where(line + 1)}: malformed diagram option: "
                             f"{getattr(exc, 'problem', None) or 'not YAML'}") from None
        if not isinstance(options, dict):
            raise BuildError(f"{self.chapter.where(line + 1)}: malformed diagram option: expected 'key: value'")
        code = "\n".join(lines[count:]).strip("\n")
        label = str(options.get("label", ""))
        name = label or f"diagram-{line}"
        path = f"figures/{self.stem}/{name}.svg"
        self.out.diagrams.append(Diagram(code, self.chapter.where(line), path))
        attrs = [".mermaid"]
        if label.startswith("fig-"):
            self.out.targets.append(Target(label, "fig", f"Figure {self._next('fig')}", self.page))
            attrs.insert(0, f"#{label}")
        for option in ("fig-cap", "fig-alt"):
            if options.get(option):
                attrs.append(f'{option}="{_attr_value(str(options[option]))}"')
        place = self._caption_attr("fig")
        if place:
            attrs.append(place)
        attrs.append(f'briefing-svg="{path}"')
        fence = "```"
        while fence in code:
            fence += "`"
        return f"{fence} {{{' '.join(attrs)}}}\n{code}\n{fence}"

    def _image(self, match, line: int) -> str:
        """A local image, as Quarto reads it: relative to the chapter's folder, or to the project
        with a leading ``/``. It must exist inside the project; its path becomes the site path
        (what the HTML pages and the PDF both resolve from the site's root)."""
        src = match.group("src")
        bare = src[1:-1] if src.startswith("<") else src
        if not bare or URL_SCHEME.match(bare) or bare.startswith("#"):
            return match.group(0)
        root = self.root
        path = Path(os.path.normpath((root / bare.lstrip("/")) if bare.startswith("/") else (self.chapter.path.parent / bare)))
        where = self.chapter.where(line)
        if not inside(root, path):
            link = " (a symbolic link out of the project)" if (path == root or root in path.parents) else ""
            raise BuildError(f"{where}: image outside the project: {bare}{link}")
        if not path.is_file():
            raise BuildError(f"{where}: image not found: {bare} (looked for {path.relative_to(root).as_posix()})")
        site = path.relative_to(root).as_posix()
        self.out.images[site] = path
        shown = f"<{site}>" if src.startswith("<") else site
        return f"{match.group('head')}{shown}{match.group('rest')}"

    def _heading(self, match) -> str:
        level = len(match.group("hashes"))
        attrs = match.group("attrs") or ""
        text = match.group("text")
        if "unnumbered" in attrs or not self.number:
            sec_label = text
            prefix = ""
        else:
            depth = level - 2
            self.section_counter[depth] += 1
            for deeper in range(depth + 1, len(self.section_counter)):
                self.section_counter[deeper] = 0
            numbers = ".".join(str(n) for n in self.section_counter[: depth + 1])
            sec_label = f"Section {self.number}.{numbers}"
            prefix = f"[{self.number}.{numbers}]{{.header-section-number}} "
        for sec_id in re.findall(r"#(sec-[\w-]+)", attrs):
            self.out.targets.append(Target(sec_id, "sec", sec_label, self.page))
        suffix = f" {{{attrs}}}" if attrs else ""
        return f"{match.group('hashes')} {prefix}{text}{suffix}"

    def _option(self, options: dict, key: str, default=None):
        if key in options:
            return options[key]
        return self.defaults.get(key, default)

    def _cell(self, block, cell) -> str:
        options = block.options
        if options.get("include") is False:
            return ""
        pieces = []
        if self._option(options, "echo", True):
            fence = "```"
            while fence in block.code:
                fence += "`"
            code = f"{fence} {{.python .cell-code}}\n{block.code}\n{fence}"
            fold = self._option(options, "code-fold", False)
            if fold:
                summary = self._option(options, "code-summary", "Code")
                code = f'::: {{.code-fold summary="{_attr_value(str(summary))}"}}\n{code}\n:::'
            pieces.append(code)
        if cell.cell_type == "code" and options.get("output", True) is not False:
            outputs = self._outputs(block, cell)
            layout = " ".join(f"{key}={int(options[key])}" for key in ("layout-ncol", "layout-nrow") if key in options)
            if layout and outputs:  # the outputs in rows and columns, as Quarto lays them out (the code above them)
                outputs = [f"::: {{{layout}}}\n" + "\n\n".join(outputs) + "\n:::"]
            pieces.extend(outputs)
        if not pieces:
            return ""
        label = options.get("label", "")
        return f"::: {{.cell{' #cell-' + label if label and not label.startswith(('fig-', 'tbl-')) else ''}}}\n" + "\n\n".join(pieces) + "\n:::"

    def _outputs(self, block, cell) -> list[str]:
        options = block.options
        label = str(options.get("label", ""))
        show_warnings = self._option(options, "warning", True)
        pieces, n_figures, n_tables = [], 0, 0
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                if out.get("name") == "stderr" and not show_warnings:
                    continue
                text = "".join(out.get("text", "")).rstrip("\n")
                if text:
                    pieces.append(self._verbatim(text, f"cell-output cell-output-{out.get('name', 'stdout')}"))
            elif kind == "error":
                tb = "\n".join(out.get("traceback", []))
                pieces.append(self._verbatim(re.sub(r"\x1b\[[0-9;]*m", "", tb), "cell-output cell-output-error"))
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                if "image/svg+xml" in data or "image/png" in data:
                    n_figures += 1
                    pieces.append(self._figure(block, data, label, n_figures))
                elif "text/html" in data and "<table" in "".join(data["text/html"]):
                    n_tables += 1
                    pieces.append(self._table(block, "".join(data["text/html"]), label, n_tables))
                elif "text/markdown" in data:
                    pieces.append(scope_sources("".join(data["text/markdown"]), self.stem))
                elif "text/plain" in data:
                    pieces.append(self._verbatim("".join(data["text/plain"]), "cell-output cell-output-display"))
        return pieces

    @staticmethod
    def _verbatim(text: str, classes: str) -> str:
        fence = "```"
        while fence in text:
            fence += "`"
        cls = " ".join("." + c for c in classes.split())
        return f"{fence} {{{cls}}}\n{text}\n{fence}"

    def _figure(self, block, data: dict, label: str, index: int) -> str:
        if "image/svg+xml" in data:
            payload, ext = "".join(data["image/svg+xml"]).encode(), "svg"
        else:
            import base64

            payload, ext = base64.b64decode("".join(data["image/png"])), "png"
        name = label if label.startswith("fig-") and index == 1 else f"{label or 'cell-' + str(block.line)}-{index}"
        path = f"figures/{self.stem}/{name}.{ext}"
        self.out.figures[path] = payload
        caption = str(block.options.get("fig-cap", ""))
        alt = str(block.options.get("fig-alt", caption))
        attrs = [f'fig-alt="{_attr_value(alt)}"']
        place = self._caption_attr("fig", block)
        if place:
            attrs.append(place)
        if label.startswith("fig-") and index == 1:
            self.out.targets.append(Target(label, "fig", f"Figure {self._next('fig')}", self.page))
            attrs.insert(0, f"#{label}")
        if not caption:
            return f"![]({path}){{{' '.join(attrs)}}}"
        return f"![{caption}]({path}){{{' '.join(attrs)}}}"

    def _table(self, block, html: str, label: str, index: int) -> str:
        caption = str(block.options.get("tbl-cap", ""))
        attrs = [".briefing-table"]
        if label.startswith("tbl-") and index == 1:
            self.out.targets.append(Target(label, "tbl", f"Table {self._next('tbl')}", self.page))
            attrs.insert(0, f"#{label}")
        if caption:
            attrs.append(f'tbl-cap="{_attr_value(caption)}"')
        place = self._caption_attr("tbl", block)
        if place:
            attrs.append(place)
        html = re.sub(r"<style[^>]*>.*?</style>", "", html, flags=re.S)
        digest = hashlib.sha256(html.encode()).hexdigest()[:8]
        fence = "```"
        while fence in html:
            fence += "`"
        return f"::: {{{' '.join(attrs)} data-digest=\"{digest}\"}}\n{fence}{{=html}}\n{html.strip()}\n{fence}\n:::"
