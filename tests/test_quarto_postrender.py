"""Quarto's post-render step (issue 21): after ``quarto render``, the site gets the reader features the
built-in engine's site has, from the same functions: the pages load reader.js, search.js and reader.css and
hold the search box; the executed notebooks are published as pages whose cell anchors the computed values
link to; the data package is downloadable; the offline search index and the previews are cut from Quarto's
pages. Quarto runs the script with ``QUARTO_PROJECT_OUTPUT_DIR`` and ``QUARTO_PROJECT_OUTPUT_FILES``
(https://quarto.org/docs/projects/scripts.html); these tests run it the same way, on pages shaped as Quarto
writes them (``<main class="content" id="quarto-document-content">``), so they hold without Quarto."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import lxml.html
import nbformat

from conftest import ROOT, copy_project

QUARTO_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="quarto:offset" content="{root}"></head>
<body class="nav-sidebar floating">
<nav id="quarto-sidebar" class="sidebar"><ul class="list-unstyled mt-1">
<li class="sidebar-item"><div class="sidebar-item-container">
<a href="{root}index.html" class="sidebar-item-text sidebar-link"><span class="menu-text">Summary</span></a>
</div></li>
<li class="sidebar-item"><div class="sidebar-item-container">
<a href="{dot}chapters/prices.html" class="sidebar-item-text sidebar-link active"><span class="menu-text">
<span class="chapter-number">6</span>&nbsp; <span class="chapter-title">Prices per token</span></span></a>
</div></li></ul></nav>
<div id="quarto-margin-sidebar" class="sidebar margin-sidebar"><nav id="TOC" role="doc-toc" class="toc-active">
<ul><li><a href="#sec-claim">The claim</a></li></ul></nav></div>
<main class="content" id="quarto-document-content">
<header id="title-block-header"><h1 class="title"><span class="chapter-number">6</span>&nbsp; {title}</h1></header>
<section id="sec-claim" class="level2"><h2>The claim</h2>
<p>DeepSeek charges <a href="{root}notebooks/{stem}.html#{cell}" class="computed" data-expr="share">3.7%</a> of the price.</p>
</section>
</main></body></html>
"""


def quarto_site(project, stems=("index", "prices")):
    """Pages where Quarto writes them, each with one computed value linked to a real cell of its notebook."""
    out = project / "_book"
    cells = {}
    for stem in stems:
        page = out / ("index.html" if stem == "index" else f"chapters/{stem}.html")
        page.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(project / f"chapters/_notebooks/{stem}.ipynb", as_version=4)
        cells[stem] = nb.cells[-1]["id"]
        root = "" if stem == "index" else "../"
        page.write_text(QUARTO_PAGE.format(title=f"Page {stem}", root=root, dot=root or "./", stem=stem,
                                           cell=cells[stem]),
                        encoding="utf-8")
    return out, cells


def post_render(project, files):
    env = {**os.environ, "QUARTO_PROJECT_OUTPUT_DIR": "_book",
           "QUARTO_PROJECT_OUTPUT_FILES": "\n".join(f"_book/{name}" for name in files)}
    return subprocess.run([sys.executable, str(project / "_extensions/briefing/post-render.py")], cwd=project,
                          env=env, capture_output=True, text=True)


def snapshot(project):
    return {p.relative_to(project): p.read_bytes() for p in project.rglob("*")
            if p.is_file() and "_book" not in p.relative_to(project).parts and "__pycache__" not in p.parts}


def test_quartos_pages_get_the_reader_features_and_every_value_reaches_its_notebook_cell(tmp_path):
    project = copy_project(tmp_path / "project")
    out, cells = quarto_site(project)
    before = snapshot(project)
    run = post_render(project, ["index.html", "chapters/prices.html"])
    assert run.returncode == 0, run.stderr
    assert snapshot(project) == before  # it writes under the output folder only
    page = lxml.html.fromstring((out / "chapters/prices.html").read_bytes())
    assert page.xpath('//meta[@name="briefing-root"]/@content') == ["../"]
    assert set(page.xpath("//script/@src")) == {"../site_libs/search.js", "../site_libs/reader.js"}
    assert page.xpath('//link[@rel="stylesheet"]/@href') == ["../site_libs/reader.css"]
    assert len(page.xpath('//main/div[@class="search"]')) == 1  # the search box opens the main column
    for name in ("reader.css", "reader.js", "search.js", "briefing.css", "search-index.js", "previews.js"):
        assert (out / "site_libs" / name).is_file(), name
    for page_path in ("index.html", "chapters/prices.html"):
        tree = lxml.html.fromstring((out / page_path).read_bytes())
        for href in tree.xpath('//a[@class="computed"]/@href'):
            target, _, anchor = href.partition("#")
            notebook = lxml.html.fromstring((out / os.path.normpath(os.path.join(os.path.dirname(page_path), target)))
                                            .read_bytes())
            assert notebook.xpath("//*[@id=$id]", id=anchor), href
    assert (out / "notebooks/prices.ipynb").read_bytes() == (project / "chapters/_notebooks/prices.ipynb").read_bytes()
    notebook = lxml.html.fromstring((out / "notebooks/prices.html").read_bytes())
    assert "6 Prices per token" in notebook.xpath("//h1")[0].text_content()  # the chapter as the book numbers it


def test_quartos_site_offers_the_data_package_and_searches_its_pages(tmp_path):
    project = copy_project(tmp_path / "project")
    out, _ = quarto_site(project)
    assert post_render(project, ["index.html", "chapters/prices.html"]).returncode == 0
    assert (out / "data/claims.csv").read_bytes() == (project / "data/claims.csv").read_bytes()
    assert (out / "data/excel/claims.csv").is_file() and (out / "data/briefing-data.zip").is_file()
    index = (out / "site_libs/search-index.js").read_text(encoding="utf-8")
    entries = json.loads(index[index.index("["):index.rindex("]") + 1])
    claim = [e for e in entries if e["u"] == "chapters/prices.html#sec-claim"]
    assert claim and "DeepSeek charges 3.7% of the price." in claim[0]["x"]


def test_the_post_render_step_can_run_twice_and_leaves_a_pdf_alone(tmp_path):
    project = copy_project(tmp_path / "project")
    out, _ = quarto_site(project)
    assert post_render(project, ["index.html"]).returncode == 0
    first = (out / "chapters/prices.html").read_bytes()
    assert post_render(project, ["index.html"]).returncode == 0  # Quarto leaves a page it did not render again
    assert (out / "chapters/prices.html").read_bytes() == first
    pdf_only = copy_project(tmp_path / "pdf")
    (pdf_only / "_book").mkdir()
    (pdf_only / "_book/book.pdf").write_bytes(b"%PDF-1.7")
    assert post_render(pdf_only, ["book.pdf"]).returncode == 0
    assert sorted(p.name for p in (pdf_only / "_book").iterdir()) == ["book.pdf"]


def test_a_failing_post_render_step_says_so_in_one_line(tmp_path):
    project = copy_project(tmp_path / "project")
    quarto_site(project)
    (project / "_quarto.yml").write_text("project: [\n", encoding="utf-8")
    run = post_render(project, ["index.html"])
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("briefing post-render: ") and len(run.stderr.strip().splitlines()) == 1


def test_quartos_site_gets_the_what_changed_page_listed_after_the_appendices(tmp_path):
    """The page the built-in engine closes the book with, lettered after the three appendices, in the chrome of
    Quarto's first page; every page's sidebar lists it once, after the last chapter, however often the step runs."""
    project = copy_project(tmp_path / "project")
    out, _ = quarto_site(project)
    assert post_render(project, ["index.html"]).returncode == 0
    assert post_render(project, ["index.html"]).returncode == 0
    page = lxml.html.fromstring((out / "what-changed.html").read_bytes())
    assert " ".join(page.xpath("//main//h1")[0].text_content().split()) == "D What changed between editions"
    assert "carries no git history" in page.xpath("//main")[0].text_content()  # a copy without git, said in words
    assert not page.xpath('//nav[@id="TOC"]')  # the first page's contents are not this page's
    assert page.xpath("//title/text()")[0].startswith("D What changed between editions – ")
    assert page.xpath('//a[contains(@class, "sidebar-link") and contains(@class, "active")]/@href') == ["what-changed.html"]
    for name, href in (("index.html", "what-changed.html"), ("chapters/prices.html", "../what-changed.html")):
        tree = lxml.html.fromstring((out / name).read_bytes())
        links = tree.xpath('//nav[@id="quarto-sidebar"]//a/@href')
        assert links.count(href) == 1 and links.index(href) == len(links) - 1, links
    index = (out / "site_libs/search-index.js").read_text(encoding="utf-8")
    assert '"u":"what-changed.html#what-changed"' in index
