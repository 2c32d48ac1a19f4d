"""The reader's features as the build makes them, without a browser: the search index, the
previews map, the data downloads, the provenance spans and the record of data read."""

from __future__ import annotations

import io
import json
import zipfile

import nbformat
import pytest

from briefing import data
from briefing import reads as reading
from briefing.render import downloads, previews, search
from briefing.render.assemble import computed, _inline
from briefing.render.notebook import READS_CODE, build_notebook, chapter_record, data_reads
from briefing.render.kernel import READS_TAG
from conftest import ROOT

PAGE = b"""<!DOCTYPE html><html><body><nav class="sidebar"><a href="x.html">Elsewhere</a></nav><main>
<section id="cost" class="level1 chapter"><h1 class="chapter"><span class="header-section-number">5</span> Training cost<a href="#cost" class="anchor" aria-label="Link to this section"></a></h1>
<p>DeepSeek's reports (<span class="citation"><a href="#ref-v3">DeepSeek-AI 2024b</a></span>) give the hours.</p>
<details class="code-fold"><summary>Code</summary><pre><code>secret_code()</code></pre></details>
<section id="sec-cost-mfu" class="level2"><h2><span class="header-section-number">5.5</span> Model FLOPs utilisation<a href="#sec-cost-mfu" class="anchor" aria-label="Link to this section"></a></h2>
<p>MFU is <a href="../notebooks/c.html#cell-3" class="computed" data-expr="percent(x)">34.6%</a> of the peak.</p>
<div class="table-wrap"><table id="tbl-a"><caption>Table 5.1: Hours</caption><thead><tr><th>Stage</th></tr></thead>
<tbody><tr><td>a</td></tr><tr><td>b</td></tr><tr><td>c</td></tr><tr><td>d</td></tr><tr><td>e</td></tr><tr><td>f</td></tr><tr><td>g</td></tr><tr><td>h</td></tr></tbody></table></div>
<p>See <a href="#tbl-a" class="quarto-xref">Table 5.1</a> and <a href="#sec-cost-mfu">the section</a>.</p>
<figure id="fig-b"><img src="../figures/c/fig-b.svg" alt="Bars" /><figcaption>Figure 5.1: Bars</figcaption></figure>
<p><a href="#fig-b" class="quarto-xref">Figure 5.1</a></p>
</section></section>
<section class="chapter-data" id="data-read"><h2>Data read by this chapter</h2><ul><li>claims.csv</li></ul></section>
<div id="refs"><div id="ref-v3" class="csl-entry">DeepSeek-AI. 2024b. DeepSeek-V3 Technical Report.</div></div>
</main></body></html>"""


def test_search_entries_are_sections_with_their_own_text_and_no_code(tmp_path):
    entries = search.page_entries(PAGE, "chapters/c.html")
    assert [e["u"] for e in entries] == ["chapters/c.html#cost", "chapters/c.html#sec-cost-mfu"]
    chapter, mfu = entries
    assert chapter["t"] == "5 Training cost" and chapter["p"] == "5 Training cost"
    assert chapter["x"] == "DeepSeek's reports (DeepSeek-AI 2024b) give the hours."
    assert mfu["t"] == "5.5 Model FLOPs utilisation"
    assert mfu["x"].startswith("MFU is 34.6% of the peak. Table 5.1: Hours Stage a b c")
    assert "secret_code" not in json.dumps(entries) and "Data read" not in json.dumps(entries)


def test_search_index_is_a_script_with_sorted_keys(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters/c.html").write_bytes(PAGE)
    script = search.index_script(tmp_path, ["chapters/c.html"]).decode()
    assert script.startswith('window.BRIEFING_SEARCH = [{"p":"5 Training cost","t":"5 Training cost","u":"chapters/c.html#cost"')
    assert script == search.index_script(tmp_path, ["chapters/c.html"]).decode()


def test_previews_cut_tables_short_fix_image_paths_and_drop_ids(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters/c.html").write_bytes(PAGE)
    found = previews.previews(tmp_path, ["chapters/c.html"])
    assert set(found) == {"chapters/c.html#tbl-a", "chapters/c.html#sec-cost-mfu", "chapters/c.html#fig-b",
                          "chapters/c.html#ref-v3", "chapters/c.html#cost"}
    table = found["chapters/c.html#tbl-a"]
    assert "<td>f</td>" in table and "<td>g</td>" not in table and "… and 2 more rows" in table
    assert 'id="' not in "".join(found.values())
    assert 'src="figures/c/fig-b.svg"' in found["chapters/c.html#fig-b"]
    assert found["chapters/c.html#sec-cost-mfu"].startswith("<h2><span")
    assert 'class="anchor"' not in found["chapters/c.html#sec-cost-mfu"]
    assert found["chapters/c.html#ref-v3"] == '<div class="csl-entry">DeepSeek-AI. 2024b. DeepSeek-V3 Technical Report.</div>'


def test_the_data_zip_is_deterministic_and_holds_the_whole_package(tmp_path):
    data_dir = ROOT / "data"
    first = downloads.zip_bytes(data_dir, downloads.package_files(data_dir))
    again = downloads.zip_bytes(data_dir, downloads.package_files(data_dir))
    assert first == again
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names == sorted(names) and "data/datapackage.json" in names and "data/claims.csv" in names
    on_disk = sorted(f"data/{p.relative_to(data_dir).as_posix()}" for p in data_dir.rglob("*") if p.is_file())
    assert names == on_disk


def test_data_reads_record_what_load_and_read_file_read():
    descriptor = json.loads((ROOT / "data/datapackage.json").read_text(encoding="utf-8"))
    hashes = {r["path"]: r["hash"] for r in descriptor["resources"]}
    reading.reset()
    data.load("verdicts")
    data.read_file("article.json")
    assert data.reads() == [("article.json", hashes["article.json"]), ("verdicts.csv", hashes["verdicts.csv"])]


def test_read_file_refuses_an_undeclared_file():
    with pytest.raises(KeyError, match="not declared"):
        data.read_file("SOURCES-research.md")


def test_the_notebook_ends_with_the_cell_that_lists_the_data_read(tmp_path):
    from briefing.render.qmd import parse_chapter

    qmd = tmp_path / "c.qmd"
    qmd.write_text("# C\n\nText `{python} 1 + 1`.\n", encoding="utf-8")
    nb = build_notebook(parse_chapter(qmd))
    last = nb.cells[-1]
    assert last.source == READS_CODE and last.metadata["tags"] == [READS_TAG]
    last.outputs = [nbformat.v4.new_output("execute_result", {
        "text/plain": "{'data': [('claims.csv', 'sha256:ab')], 'other': [('data/configs/', 'listing:cd')]}"})]
    assert data_reads(nb) == [("claims.csv", "sha256:ab")]
    assert chapter_record(nb)["other"] == [("data/configs/", "listing:cd")]


def cell(outputs, source='f"{x:,}"'):
    return nbformat.v4.new_code_cell(source, id="cell-7", outputs=outputs)


def test_a_computed_value_carries_its_expression_and_cell():
    plain = cell([nbformat.v4.new_output("execute_result", {"text/plain": "'2,788'"})])
    assert computed(plain) == ("2,788", '[2,788]{.computed data-cell="cell-7" data-expr="f\\"{x:,}\\""}')


def test_a_markdown_value_is_prose_and_stays_bare():
    md = cell([nbformat.v4.new_output("execute_result", {"text/markdown": "**[C07] inaccurate.**", "text/plain": "x"})])
    assert computed(md) == ("**[C07] inaccurate.**", "**[C07] inaccurate.**")


def test_a_value_inside_a_quoted_attribute_stays_bare():
    value = ("14.8", "[14.8]{.computed}")
    line = '![Bars](x.svg){fig-alt="D = `{python} t` trillion"} and `{python} t`'
    assert _inline(value, line, line.index("`{python}")) == "14.8"
    assert _inline(value, line, line.rindex("`{python}")) == "[14.8]{.computed}"



def test_the_numbers_appendix_takes_the_next_appendix_letter():
    from briefing.render.numbers_appendix import next_letter

    assert next_letter(["1", "2", "A", "B", "C"]) == "D"
    assert next_letter(["1", None]) == "A"


def test_a_chapter_without_code_gets_no_cell_and_starts_no_kernel(tmp_path):
    from briefing.render.qmd import parse_chapter

    qmd = tmp_path / "refs.qmd"
    qmd.write_text("# References\n\n::: {#refs}\n:::\n", encoding="utf-8")
    assert [c.cell_type for c in build_notebook(parse_chapter(qmd)).cells] == ["markdown"]


def test_read_file_refuses_a_file_whose_hash_changed(tmp_path):
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data", folder)
    (folder / "article.json").write_text("{}", encoding="utf-8")
    with pytest.raises(data.DataError, match=r"data/article.json\S*: file changed"):
        data.read_file("article.json", folder)
