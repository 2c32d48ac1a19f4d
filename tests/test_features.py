"""Quarto authoring on the built-in engine (issue 22): every feature of Quarto's Authoring guide is rendered as
Quarto renders it or refused by name, in one line naming the file, the line and the feature, with a non-zero
exit, no traceback and the last good output left as it was; never printed wrong. The README's table "What the
built-in engine renders" is the engine's list (briefing.render.features.FEATURES)."""

from __future__ import annotations

import re

import pytest

from briefing.render import features
from conftest import ROOT, copy_book, run_build

# One use of each refused feature, as the Authoring guide writes it (https://quarto.org/docs/authoring/).
USES = {
    "An include within a line of text": "See {{< include _inc.qmd >}} here.",
    "A metadata block in an included file": "{{< include _meta.qmd >}}",
    "Other document options that change how a chapter renders (`crossref`, `number-depth`, `fig-width`, "
    "`reference-location`, `lang`, …, in a chapter's front matter or in _quarto.yml)": "toc-depth: 2",
    "A page break within a line of text": "Here {{< pagebreak >}} there.",
    "Shortcodes in code (Quarto expands them there too; `{{{< … >}}}` escapes one)": "Write `{{< var v >}}`.",
    "Other shortcodes (`{{< … >}}`)": "{{< video https://example.org/v.mp4 >}}",
    "Subfigures and custom layouts of a cell's outputs (`fig-subcap`, a labelled cell's figures laid out, "
    "`layout` as a cell option)": "```{python}\n#| fig-subcap: [A, B]\nprint(1)\n```",
    "Page columns and margin spans (`column-page`, `column-screen`, …; `column-margin` on a span or a cell)":
        "A word [in the margin]{.column-margin}.",
    "A caption location written on a markdown element (`{… cap-location=…}`)": "![A](a.svg){#fig-a cap-location=margin}",
    "Graphviz diagrams (`{dot}` cells)": "```{dot}\ngraph G { a -- b }\n```",
    "Code cells in languages other than Python (`{r}`, `{julia}`, `{ojs}`)": "```{r}\n1 + 1\n```",
    "Other cross-reference kinds (`@sol-…`, `@rem-…`, `@alg-…`)": "As @sol-first shows.",
    "Other Quarto div and span classes (`panel-*`, `column-*`, `quarto-*`, `cell-*`, `grid`)":
        "::: {.panel-sidebar}\nA\n:::",
}


def test_every_refused_feature_has_a_use_here_and_every_feature_a_status():
    refused = {f.name for f in features.FEATURES if f.status == features.REFUSED}
    assert set(USES) == refused
    assert {f.status for f in features.FEATURES} == {features.RENDERED, features.REFUSED}


@pytest.mark.parametrize("name", sorted(USES))
def test_a_refused_feature_is_found_on_its_line_and_only_there(tmp_path, name):
    from briefing.render.qmd import parse_chapter

    from briefing.render import BuildError
    from briefing.render.qmd import set_root

    path = tmp_path / "a.qmd"
    path.write_text(f"# A\n\nSome text.\n\n{USES[name]}\n\nMore text.\n", encoding="utf-8")
    if name.startswith("A metadata block"):  # Quarto would merge it into the chapter's: refused as the file is read
        (tmp_path / "_meta.qmd").write_text("---\ntitle: Shared\n---\n\nShared text.\n", encoding="utf-8")
        set_root(tmp_path)
        with pytest.raises(BuildError) as refused:
            parse_chapter(path, tmp_path)
        assert str(refused.value) == f"_meta.qmd:1: {name}: the built-in engine does not render it; {features.REFUSAL}"
        return
    if name.startswith("Other document options"):  # a front matter key: refused with its line there
        path.write_text(f"---\ntitle: A\n{USES[name]}\n---\n\nSome text.\n", encoding="utf-8")
        set_root(tmp_path)
        with pytest.raises(BuildError) as refused:
            features.check(parse_chapter(path, tmp_path))
        assert str(refused.value) == (f"a.qmd:3: Other document options that change how a chapter renders: toc-depth: "
                                      f"the built-in engine does not render it; {features.REFUSAL}")
        return
    found = features.refused_in(parse_chapter(path))
    line = 6 if USES[name].startswith("```{python}") else 5  # a cell option is refused on its own line
    assert found and found[0] == (line, next(f for f in features.FEATURES if f.name == name)), found


def test_a_feature_shown_as_code_is_not_a_use_but_a_shortcode_is_expanded_even_there():
    """Quarto reads a class or an attribute in code as text, but expands a shortcode before it reads the
    markdown, in code too (quarto-dev/quarto-cli#5902: only ``{{{< … >}}}`` escapes one)."""
    from pathlib import Path

    from briefing.render.qmd import Chapter, Markdown

    text = ("# A\n\n````markdown\n::: {.panel-tabset}\n{{< include _inc.qmd >}}\n````\n\n"
            "Write `{.column-margin}` for a note, and `{{< pagebreak >}}` breaks.\n")
    chapter = Chapter(path=Path("a.qmd"), meta={}, blocks=[Markdown(text, 1)])
    found = [(line, feature.name.split(" (")[0]) for line, feature in features.refused_in(chapter)]
    assert found == [(5, "Shortcodes in code"), (8, "Shortcodes in code")]


def test_a_cell_option_quarto_lays_out_is_refused_on_its_line(tmp_path):
    from briefing.render.qmd import parse_chapter

    path = tmp_path / "a.qmd"
    path.write_text("# A\n\n```{python}\n#| label: fig-a\n#| layout-ncol: 2\nprint(1)\n```\n", encoding="utf-8")
    found = features.refused_in(parse_chapter(path))  # a labelled cell's figures laid out are subfigures
    assert [(line, f.name.split(" (")[0]) for line, f in found] == [(5, "Subfigures and custom layouts of a cell's outputs")]


def test_the_build_refuses_a_chapter_that_uses_one_in_one_line_and_keeps_the_last_good_output(tmp_path):
    book = copy_book(tmp_path / "book")
    assert run_build(book, "--to", "html")[0] == 0
    before = {p: p.read_bytes() for p in (book / "_book").rglob("*") if p.is_file()}
    chapter = book / "chapters/numbers.qmd"
    lines = chapter.read_text(encoding="utf-8").split("\n")
    lines.insert(3, "\n::: {.column-page}\nA wide table.\n:::\n")
    chapter.write_text("\n".join(lines), encoding="utf-8")
    line = chapter.read_text(encoding="utf-8").split("\n").index("::: {.column-page}") + 1
    code, out, err = run_build(book, "--to", "html")
    assert code != 0 and "Traceback" not in err
    assert f"chapters/numbers.qmd:{line}: Page columns and margin spans (`column-page`, `column-screen`, …; " \
           f"`column-margin` on a span or a cell): the built-in engine does not render it; " \
           f"render with Quarto (`briefing build --engine quarto`) or remove it" in err
    assert len([l for l in err.splitlines() if "column-page" in l]) == 1
    assert {p: p.read_bytes() for p in (book / "_book").rglob("*") if p.is_file()} == before


def test_the_readme_lists_what_the_built_in_engine_renders_as_the_engine_does():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### What the built-in engine renders", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (rendered|refused) \|$", section, re.M)
    assert rows == [(f"[{f.name}]({features.GUIDE}{f.page})", f.status) for f in features.FEATURES]


EQUATIONS = """

## Energy {#sec-energy}

Mass and energy are one (@eq-energy), and a sum can run over several lines (@eq-sum):

$$ E = mc^2 $$ {#eq-energy}

$$
S = \\sum_{i=1}^{n} x_i
$$ {#eq-sum}

An unlabelled one stays as it is: $$ a^2 + b^2 = c^2 $$

@tbl-simple lists them.

| Quantity | Symbol |
|:--|:--|
| energy | E |

: The quantities {#tbl-simple}
"""


def test_labelled_equations_and_tables_are_numbered_per_chapter_and_referenced_as_quarto_does(tmp_path):
    """https://quarto.org/docs/authoring/cross-references.html: "$$ … $$ {#eq-energy}" is numbered "(N.1)" after
    the equation, in chapter N, and "@eq-energy" reads "Equation N.1", a link to it; a markdown table captioned
    ": The quantities {#tbl-simple}" reads "Table N.M: The quantities", numbered with the chapter's other
    tables; in the PDF too."""
    import subprocess

    import lxml.html

    book = copy_book(tmp_path / "book")
    chapter = book / "chapters/numbers.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + EQUATIONS, encoding="utf-8")
    code, out, err = run_build(book)
    assert code == 0, err
    page = lxml.html.parse(str(book / "_book/chapters/numbers.html")).getroot()
    number = page.xpath('//h1//span[@class="header-section-number"]/text()')[0]
    energy = page.xpath('//span[@id="eq-energy"]//annotation/text()')
    assert energy == [f"E = mc^2 \\qquad({number}.1)"]
    assert page.xpath('//span[@id="eq-sum"]//annotation/text()')[0].endswith(f"\\qquad({number}.2)")
    links = {a.text_content(): a.get("href") for a in page.xpath('//a[starts-with(@href, "#eq-")]')}
    assert {k: v for k, v in links.items()} == {f"Equation {number}.1": "#eq-energy", f"Equation {number}.2": "#eq-sum"}
    captions = [" ".join(c.text_content().split()) for c in page.xpath("//caption")]
    numbered = [c for c in captions if c.startswith(f"Table {number}.")]
    count = len(numbered) - 1  # the chapter's tables made by cells come first
    assert numbered[-1] == f"Table {number}.{count + 1}: The quantities"
    assert page.xpath('//table[.//td[text()="energy"]]//*[@id="tbl-simple"]')
    assert page.xpath('//a[@href="#tbl-simple"]')[0].text_content() == f"Table {number}.{count + 1}"
    pdf = next((book / "_book").glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"Equation {number}.1" in text and f"({number}.1)" in text and f"({number}.2)" in text
    assert f"Table {number}.{count + 1}: The quantities" in text


def test_page_breaks_metadata_and_variables_render_as_quarto_renders_them(tmp_path):
    """https://quarto.org/docs/authoring/variables.html and markdown-basics.html#page-breaks: a value from the
    chapter's front matter, from _quarto.yml (a dotted key) and from _variables.yml is printed in place; a page
    break starts a new page in the PDF and prints nothing on the site; a key with no value stops the build."""
    import subprocess

    book = copy_book(tmp_path / "book")
    (book / "_variables.yml").write_text("desk:\n  name: The second desk\nversion: 3\n", encoding="utf-8")
    chapter = book / "chapters/numbers.qmd"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text + "\n\nChecked by {{< var desk.name >}} (round {{< var version >}}) for "
                       "{{< meta book.title >}}.\n\n{{< pagebreak >}}\n\nAfter the break.\n", encoding="utf-8")
    code, out, err = run_build(book)
    assert code == 0, err
    page = (book / "_book/chapters/numbers.html").read_text(encoding="utf-8")
    import yaml
    title = yaml.safe_load((book / "_quarto.yml").read_text(encoding="utf-8"))["book"]["title"]
    assert f"Checked by The second desk (round 3) for {title}." in " ".join(page.split())
    assert "{{<" not in page and '<div style="page-break-after: always;"></div>' in page
    pdf = next((book / "_book").glob("*.pdf"))
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    before = next(i for i, p in enumerate(pages) if "Checked by The second desk" in " ".join(p.split()))
    assert "After the break." in pages[before + 1] and "After the break." not in pages[before]
    (book / "_variables.yml").write_text("desk:\n  name: The third desk\nversion: 3\n", encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")  # a variable's new value is a change the build sees
    assert code == 0 and "nothing changed" not in out, out
    assert "Checked by The third desk" in " ".join((book / "_book/chapters/numbers.html").read_text().split())
    chapter.write_text(text + "\n\nBy {{< var desk.room >}}.\n", encoding="utf-8")
    code, out, err = run_build(book)
    line = len(text.split("\n")) + 2
    assert code != 0 and "Traceback" not in err
    assert f"chapters/numbers.qmd:{line}: {{{{< var desk.room >}}}}: _variables.yml gives it no value" in err


def test_callout_options_fold_a_callout_on_the_site_and_set_its_appearance():
    """https://quarto.org/docs/authoring/callouts.html: collapse="true" folds a callout under its title (open with
    "false"); appearance="simple" drops its fill and "minimal" its title too; the PDF shows every callout open."""
    import lxml.html

    from test_answer_first import through_quarto_lua

    source = ('::: {.callout-tip collapse="true"}\n## Folded\nHidden at first.\n:::\n\n'
              '::: {.callout-note collapse="false" appearance="simple"}\n## Open\nShown.\n:::\n\n'
              '::: {.callout-warning appearance="minimal"}\n## Untitled\nBare.\n:::\n')
    page = lxml.html.fromstring(through_quarto_lua(source, "html"))
    folded, opened = page.xpath("//details")
    assert folded.get("open") is None and opened.get("open") is not None
    assert folded.xpath("./summary")[0].text_content().strip() == "Folded"
    assert "callout-appearance-simple" in opened.get("class")
    minimal = page.xpath('//div[contains(@class, "callout-warning")]')[0]
    assert "callout-appearance-minimal" in minimal.get("class") and "Untitled" not in minimal.text_content()
    typst = through_quarto_lua(source, "typst")
    assert typst.count("#callout(") == 3 and 'appearance: "minimal"' in typst and "Hidden at first." in typst


def test_an_include_is_the_included_files_lines_in_place_each_named_by_its_own_file_and_line(tmp_path):
    """https://quarto.org/docs/authoring/includes.html: an include is "equivalent to copying and pasting the text
    from the included file into the main file"; relative names (in an included file too) resolve from the main
    file's folder, names starting with "/" from the project's. A message about an included line names the
    included file and its own line; a missing file, one outside the project or one that includes itself stops
    the read in one line."""
    from briefing.render import BuildError
    from briefing.render.qmd import Cell, parse_chapter, set_root

    set_root(tmp_path)
    (tmp_path / "chapters").mkdir()
    (tmp_path / "shared").mkdir()
    chapter = tmp_path / "chapters/a.qmd"
    chapter.write_text("---\ntitle: A\n---\n\nBefore.\n\n{{< include _part.qmd >}}\n\nAfter.\n", encoding="utf-8")
    (tmp_path / "chapters/_part.qmd").write_text(
        "Part, first line.\n\n```{python}\n#| echo: false\nx = 1\n```\n\n{{< include /shared/_deep.qmd >}}\n",
        encoding="utf-8")
    (tmp_path / "shared/_deep.qmd").write_text("Deep `{python} x`.\n\n{{< include \"_leaf.qmd\" >}}\n", encoding="utf-8")
    (tmp_path / "chapters/_leaf.qmd").write_text("Leaf, relative to the chapter's folder.\n", encoding="utf-8")
    parsed = parse_chapter(chapter, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in parsed.includes] == [
        "chapters/_part.qmd", "shared/_deep.qmd", "chapters/_leaf.qmd"]
    text = "\n".join(parsed.lines)
    assert "{{<" not in text and text.index("Part, first line.") < text.index("Deep") < text.index("Leaf") \
        < text.index("After.")
    cell = next(b for b in parsed.blocks if isinstance(b, Cell))
    assert cell.code == "x = 1" and parsed.where(cell.line) == "chapters/_part.qmd:3"
    assert parsed.where(parsed.line_of(lambda line: line.startswith("Deep"))) == "shared/_deep.qmd:1"
    assert parsed.where(parsed.line_of(lambda line: line == "After.")) == "chapters/a.qmd:9"

    def refused(include: str, part: str = "") -> str:
        chapter.write_text(f"# A\n\n{include}\n", encoding="utf-8")
        (tmp_path / "chapters/_part.qmd").write_text(part, encoding="utf-8")
        with pytest.raises(BuildError) as caught:
            parse_chapter(chapter, tmp_path)
        return str(caught.value)

    assert refused("{{< include _gone.qmd >}}") == \
        "chapters/a.qmd:3: {{< include _gone.qmd >}}: file not found (looked for chapters/_gone.qmd)"
    assert refused("{{< include ../../out.qmd >}}") == \
        "chapters/a.qmd:3: {{< include ../../out.qmd >}}: the file is outside the project"
    assert refused("{{< include _part.qmd >}}", "One.\n\n{{< include _part.qmd >}}\n") == \
        "chapters/_part.qmd:3: {{< include _part.qmd >}}: the file includes itself"


INCLUDED = """Shared text for the desk, `{python} f"{total:,}"` GPU-hours again (see @sec-totals).

```{python}
#| echo: false
print("printed by an included cell")
```
"""


def test_the_build_renders_an_include_rebuilds_when_the_included_file_changes_and_names_it_in_errors(tmp_path):
    """An included file (here outside chapters/, named from the project's root) is an input of the build: its
    text, its cells and their values are in the page; an edit to it rebuilds the page; a wrong cross-reference in
    it is reported at its own file and line."""
    book = copy_book(tmp_path / "book")
    (book / "shared").mkdir()
    included = book / "shared/_desk.qmd"
    included.write_text(INCLUDED, encoding="utf-8")
    chapter = book / "chapters/numbers.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\n{{< include /shared/_desk.qmd >}}\n",
                       encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")
    assert code == 0, err
    page = " ".join((book / "_book/chapters/numbers.html").read_text(encoding="utf-8").split())
    assert "Shared text for the desk," in page and "printed by an included cell" in page and "{{&lt;" not in page
    assert re.search(r'Shared text for the desk, <a href="../notebooks/numbers.html#cell-\d+" class="computed"[^>]*>2,788</a> GPU-hours', page), \
        page[page.index("Shared text"):][:400]
    assert 'href="#sec-totals"' in page[page.index("Shared text"):]
    cells = (book / "_book/notebooks/numbers.html").read_text(encoding="utf-8")
    assert "inline value, shared/_desk.qmd line 1 (included)" in cells
    assert "code cell, shared/_desk.qmd line 3 (included)" in cells
    included.write_text(INCLUDED.replace("Shared text", "Edited text"), encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")
    assert code == 0 and "nothing changed" not in out, out
    assert "Edited text for the desk," in (book / "_book/chapters/numbers.html").read_text(encoding="utf-8")
    included.write_text(INCLUDED + "\nAs @sec-nowhere says.\n", encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")
    assert code != 0 and "Traceback" not in err
    assert "shared/_desk.qmd:8: unknown cross-reference @sec-nowhere" in err, err
    assert len([line for line in err.splitlines() if "sec-nowhere" in line]) == 1, err  # not a citation as well
    included.write_text(INCLUDED.replace('print("printed by an included cell")', 'x = 1\nraise ValueError("boom")'),
                        encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")
    assert code != 0 and "shared/_desk.qmd:6: cell raised an exception" in err, err


@pytest.mark.parametrize("config, line, what", [
    ("format:\n  html:\n    toc: true\n  pdf:\n    toc: true\n", 4, "format pdf"),
    ("format:\n  html:\n    toc: true\n    toc-location: left\n", 4, "format html: toc-location"),
    ("format:\n  html:\n    html-math-method: mathjax\n", 3,
     "format html: html-math-method mathjax (the built-in engine draws math as MathML)"),
    ("format:\n  typst:\n    papersize: a5\n", 3, "format typst: papersize"),
    ("crossref:\n  fig-prefix: Fig.\n", 1, "Other document options that change how a chapter renders: crossref"),
])
def test_a_format_or_format_option_the_engine_would_ignore_is_refused_on_its_line(tmp_path, config, line, what):
    """https://quarto.org/docs/reference/formats/html.html and typst.html list what Quarto honours; the built-in
    engine renders HTML and Typst and honours the options in features.FORMAT_OPTIONS, and refuses the rest."""
    from briefing.render import BuildError

    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\n" + config.replace("format:", "format:", 1),
                                          encoding="utf-8")
    text = (tmp_path / "_quarto.yml").read_text(encoding="utf-8")
    with pytest.raises(BuildError) as refused:
        features.check_formats(tmp_path)
    assert str(refused.value) == f"_quarto.yml:{line + 2}: {what}: the built-in engine does not render it; " \
                                 f"{features.REFUSAL}", text
    (tmp_path / "_quarto.yml").write_text("format:\n  html:\n    html-math-method:\n      method: mathml\n"
                                          "  typst:\n    include-in-header:\n      text: '#set par(leading: 1em)'\n",
                                          encoding="utf-8")
    features.check_formats(tmp_path)  # what it honours passes


def test_the_pdf_takes_what_quarto_yml_includes_in_its_header_and_after_its_body(tmp_path):
    """include-in-header and include-after-body (https://quarto.org/docs/reference/formats/typst.html#includes),
    as text or a file, go into the built-in engine's PDF too; an included file is an input of the build; the
    file the pre-render step writes for Quarto is left out (the engine writes those appendices itself)."""
    import subprocess

    book = copy_book(tmp_path / "book")
    (book / "typst").mkdir()
    colophon = book / "typst/colophon.typ"
    colophon.write_text("#heading(level: 1, numbering: none)[Colophon]\nSet in the project's own type.\n",
                        encoding="utf-8")
    config = book / "_quarto.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  typst:\n", "  typst:\n    include-in-header:\n      text: '#let colophon-mark = [Printed for the desk.]'\n"
        "    include-after-body:\n      - typst/colophon.typ\n      - .briefing-cache/quarto/appendices.typ\n"
        "      - text: '#colophon-mark'\n", 1), encoding="utf-8")
    code, out, err = run_build(book, "--to", "pdf")
    assert code == 0, err
    pdf = next((book / "_book").glob("*.pdf"))
    text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert re.search(r"Colophon Set in the project’s own type\. Printed for the desk\. Fixture Book · unversioned \d+$",
                     text), text[-300:]  # the last page, before its footer
    colophon.write_text("#heading(level: 1, numbering: none)[Colophon]\nSet again.\n", encoding="utf-8")
    code, out, err = run_build(book, "--to", "pdf")
    assert code == 0 and "nothing changed" not in out, out
    colophon.unlink()
    code, out, err = run_build(book, "--to", "pdf")
    assert code != 0 and "Traceback" not in err
    assert "format typst: include-after-body: typst/colophon.typ: not found" in err, err


def test_a_chapters_execute_options_apply_to_its_cells_as_quarto_applies_them(tmp_path):
    """https://quarto.org/docs/computations/execution-options.html: execute options in a document's front matter
    apply to all its cells, over the project's (_quarto.yml) and under each cell's own. The fixture book hides
    code (execute: echo: false); a chapter that says echo: true shows it, and a cell that says echo: false
    still hides its own."""
    import lxml.html

    book = copy_book(tmp_path / "book")
    chapter = book / "chapters/numbers.qmd"
    text = chapter.read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Numbers"\n---')
    chapter.write_text(text.replace('---\ntitle: "Numbers"\n---', '---\ntitle: "Numbers"\nexecute:\n  echo: true\n---', 1)
                       + '\n\n```{python}\n#| echo: false\nhidden_by_its_cell = 1\n```\n', encoding="utf-8")
    code, out, err = run_build(book, "--to", "html")
    assert code == 0, err
    page = lxml.html.parse(str(book / "_book/chapters/numbers.html")).getroot()
    shown = [" ".join(c.text_content().split()) for c in page.xpath("//pre[contains(@class, 'python')]")]
    assert any("pd.DataFrame({" in c for c in shown), shown  # the table cell says nothing of echo
    assert not any("hidden_by_its_cell" in c for c in shown)
    other = lxml.html.parse(str(book / "_book/chapters/figures.html")).getroot()
    assert len(other.xpath("//pre[contains(@class, 'python')]")) == 1  # there, the project's echo: false holds but
    # for the one cell that says echo: true


def test_a_caption_location_quarto_does_not_know_is_named_where_it_is_set(tmp_path):
    """cap-location takes top, bottom or margin (Quarto's schema, cell-pagelayout.yml); another value stops the build
    at the line that sets it, in a chapter's front matter or in _quarto.yml."""
    import nbformat

    from briefing.render import BuildError
    from briefing.render.assemble import ChapterAssembler
    from briefing.render.qmd import parse_chapter, set_root

    set_root(tmp_path)
    path = tmp_path / "a.qmd"
    path.write_text("---\ntitle: A\nfig-cap-location: left\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"^a\.qmd:3: fig-cap-location must be top, bottom or margin, not 'left'$"):
        ChapterAssembler(parse_chapter(path, tmp_path), nbformat.v4.new_notebook(), "1", "a.html", {}, root=tmp_path)
    path.write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    (tmp_path / "_quarto.yml").write_text("project:\n  type: book\ncap-location: side\n", encoding="utf-8")
    with pytest.raises(BuildError, match=r"^_quarto\.yml:3: cap-location must be top, bottom or margin, not 'side'$"):
        ChapterAssembler(parse_chapter(path, tmp_path), nbformat.v4.new_notebook(), "1", "a.html", {}, root=tmp_path)
