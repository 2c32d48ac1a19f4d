"""Render a book: freeze or execute each chapter, assemble, then HTML pages and the PDF."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from briefing.files import write_atomic
from briefing.render import BuildError
from briefing.render import kernel
from briefing.render import notebook as nbmod
from briefing.render.assemble import Assembled, ChapterAssembler, HEADING
from briefing.render.cache import Cache
from briefing.render.inputs import Snapshot
from briefing.render.output import files_under, make_dirs
from briefing.render import pandoc
from briefing.render.pandoc import asset, pandoc_binary, run_pandoc
from briefing.render.pdf import compile_pdf, edition_status, long_date, typst_date, typst_includes, typst_text
from briefing.render.project import Book, parse_timeout
from briefing.render.qmd import Chapter, Markdown, parse_chapter, relpath
from briefing.render import changes_page, diagrams, downloads, features, notebook_page, numbers_appendix, previews, search
from briefing.render.validation import PackageCheck
from briefing.data import resource_titles
from briefing.verdicts import verdict_links
from briefing.render.warm import WarmKernels
from briefing.render.site import ENGINE_ASSETS, READER_ASSETS, markdown_text, page_of, page_record, relative, root_prefix, sidebar


TYPST_WORK = ".typst-work"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "book"


def is_unnumbered(chapter: Chapter) -> bool:
    first = chapter.blocks[0] if chapter.blocks else None
    if "title" in chapter.meta or not isinstance(first, Markdown):
        return bool(chapter.meta.get("unnumbered", False))
    match = HEADING.match(first.text.split("\n")[0])
    return bool(match and "unnumbered" in (match.group("attrs") or ""))


def chapter_numbers(book: Book, chapters: list[Chapter]) -> list[str | None]:
    """1, 2, 3 for chapters and A, B, C for appendices; None for unnumbered ones."""
    numbers, main, appendix = [], 0, 0
    for entry, chapter in zip(book.entries, chapters):
        if is_unnumbered(chapter):
            numbers.append(None)
        elif entry.appendix:
            numbers.append(chr(ord("A") + appendix))
            appendix += 1
        else:
            main += 1
            numbers.append(str(main))
    return numbers


def bib_keys(bib: Path | None) -> set[str]:
    if not bib:
        return set()
    result = subprocess.run([pandoc_binary(), str(bib), "-t", "csljson"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"{bib.name}: cannot read bibliography: {result.stderr.strip()}")
    return {item["id"] for item in json.loads(result.stdout)}


def chapter_timeout(book: Book, chapter: Chapter) -> int | None:
    """The chapter's ``execute: timeout`` (front matter), else the book's, else the default."""
    own = chapter.meta.get("execute") if isinstance(chapter.meta.get("execute"), dict) else {}
    if "timeout" in own:
        return parse_timeout(own["timeout"], f"{relpath(chapter.path)}:{chapter.meta_line('timeout')}")
    return parse_timeout(book.execute.get("timeout"), "_quarto.yml")


def freeze_or_execute(builder, book: Book, chapters: list[Chapter], snapshot: Snapshot) -> tuple[list, dict[Path, bytes]]:
    """Reuse each chapter's notebook when its stamp matches; execute the others in parallel.

    A frozen notebook's stamp is recomputed over the inputs it records (the files
    the chapter read when it ran), at the hashes the snapshot took before anything
    was read. The others run in warm kernels (:mod:`briefing.render.warm`) while
    the data package is validated once (:mod:`briefing.render.validation`); each
    is stamped over what its kernel recorded reading. Returns the notebooks and,
    for each, the bytes to commit; nothing is written here: the build writes
    notebooks only once the whole build has succeeded.
    """
    root = builder.root
    values = nbmod.InputValues(root, snapshot.hashes)
    notebooks, pending = [None] * len(chapters), []
    for index, chapter in enumerate(chapters):
        if not builder.refresh:
            reused = nbmod.reusable(chapter, nbmod.read_frozen(nbmod.notebook_path(root, chapter.path)), values,
                                    book.execute)
            if reused is not None:
                notebooks[index] = reused
                builder.progress.done(relpath(chapter.path), "frozen")
                continue
        pending.append((index, chapter, nbmod.build_notebook(chapter), chapter_timeout(book, chapter)))
    if pending:
        check = PackageCheck(root)
        builder.caches.append(check.cache)
        needs_kernel = any(any(c.cell_type == "code" for c in nb.cells) for _, _, nb, _ in pending)
        own = builder.warm is None and needs_kernel
        warm = start_warm(root) if own else builder.warm  # it preloads while the package is checked
        try:
            check.result()  # before any chapter runs: bad data stops the build at its file, row and column
            results = _execute(builder, pending, check.env(), warm)
        finally:
            if own:
                warm.close()
        failures = []
        for (index, chapter, _, _), result in zip(pending, results):
            if isinstance(result, BaseException):
                failures.append(result)
                continue
            result.notebook.metadata["briefing"] = values.executed_stamp(chapter, book.execute, result.notebook)
            notebooks[index] = result.notebook
        if failures:
            stopped = kernel.server_stopped(failures)
            messages = [str(f) if isinstance(f, BuildError) else f"{type(f).__name__}: {f}" for f in failures
                        if not isinstance(f, kernel.ServerStopped)]
            raise BuildError("\n".join(messages + [stopped] if stopped else messages))
    payloads = {nbmod.notebook_path(root, chapter.path): nbmod.serialize(nb) for chapter, nb in zip(chapters, notebooks)}
    return notebooks, payloads


def _execute(builder, pending: list, env: dict[str, str], warm) -> list:
    """Execute the pending chapters, forking their kernels from ``warm`` (cold kernels when None)."""
    root = builder.root

    def job(chapter, nb, timeout):
        name = relpath(chapter.path)

        async def run():
            builder.progress.start(name)
            try:
                result = await kernel.execute(nb, chapter, root, timeout, warm=warm, env=env)
            except BaseException:
                builder.progress.done(name, "failed")
                raise
            builder.progress.done(name, "executed", result.seconds)
            return result
        return run

    for _, chapter, _, _ in pending:
        builder.progress.queue(relpath(chapter.path))
    return kernel.run_all([job(c, nb, t) for _, c, nb, t in pending], builder.jobs)


def start_warm(root: Path) -> WarmKernels:
    """A fork server for ``root``'s chapters, preloading in the background from now on."""
    warm = WarmKernels(root, kernel.kernel_env(root, Path(".")))
    warm.start()
    return warm


def _line_defining(chapter: Chapter, ident: str) -> int:
    """The chapter's first line (includes expanded) that declares ``#ident`` (a heading's or a block's
    attributes, or a cell's label), 1 when none is found."""
    label = re.compile(rf"#\|\s*label:\s*{re.escape(ident)}\s*$")
    return chapter.line_of(lambda line: f"#{ident}" in line or label.search(line))


def cite_ids(ast) -> list[str]:
    """The citation keys of a pandoc JSON syntax tree, in document order (its Cite elements)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("t") == "Cite":
                found.extend(c.get("citationId", "") for c in node["c"][0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast)
    return found


def pandoc_citations(markdown: str, cache: Cache | None = None) -> set[str]:
    """The citation keys pandoc itself reads in ``markdown`` (its Cite elements): not in comments, code,
    math or link targets, and across lines and inside footnotes. Cached by the text's hash."""
    import hashlib
    import subprocess

    from briefing.render.pandoc import READER, pandoc_binary

    key = hashlib.sha256(f"{READER}\0{markdown}".encode()).hexdigest()
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return set(json.loads(hit))
    done = subprocess.run([pandoc_binary(), "--from", READER, "--to", "json"], input=markdown, capture_output=True,
                          text=True, encoding="utf-8", check=False)
    if done.returncode != 0:
        raise BuildError(f"pandoc could not read the page: {done.stderr.strip()}")
    found = set(cite_ids(json.loads(done.stdout)))
    if cache is not None:
        cache.put(key, json.dumps(sorted(found)).encode())
    return found


def read_citations(assembled: list[Assembled], chapters: list[Chapter], cache: Cache | None, jobs: int = 1) -> None:
    """Keep in each page's citations only what pandoc reads as one, and add what it reads that the
    line scan missed (with the first line that names it), but not a cross-reference (``@sec-…``, which pandoc
    reads as a citation too: an unknown one is reported once, as a cross-reference)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        read = list(pool.map(lambda part: pandoc_citations(part.markdown, cache), assembled))
    for part, chapter, keys in zip(assembled, chapters, read):
        scanned = {key for key, _ in part.citations} | {ref for ref, _ in part.references}
        part.citations = [(key, line) for key, line in part.citations if key in keys]
        part.citations += [(key, chapter.line_of(lambda line, k=key: f"@{k}" in line))
                           for key in sorted(keys - scanned)]


def check_references(assembled: list[Assembled], chapters: list[Chapter], keys: set[str]) -> dict:
    """Every @fig-/@tbl-/@sec- must name a target and every citation a bibliography key."""
    targets, defined, problems = {}, {}, []
    for part, chapter in zip(assembled, chapters):
        for target in part.targets:
            here = chapter.where(_line_defining(chapter, target.id))
            if target.id in defined and defined[target.id] != here:
                problems.append(f"{here}: #{target.id} is also defined at {defined[target.id]} "
                                "(an id names one place in the whole book)")
                continue
            defined[target.id] = here
            targets[target.id] = target
    for part, chapter in zip(assembled, chapters):
        for ref, line in part.references:
            if ref not in targets:
                problems.append(f"{chapter.where(line)}: unknown cross-reference @{ref}")
        for key, line in part.citations:
            if key not in targets and key not in keys:
                problems.append(f"{chapter.where(line)}: citation @{key} is not in the bibliography")
    if problems:
        raise BuildError("\n".join(problems))
    return targets


def _html_page(builder, book, version, part, index, pages, targets, chapter_pages, cited, pdf_name, staging,
               html_cache: Cache, reads: list[tuple[str, str]], data_files: list[str]):
    entry, page, _, _ = pages[index]
    meta = {
        "briefing-input": relpath(entry.path),
        "briefing-pages": {relpath(entry.path): page_record(page, None if entry.path in GENERATED else entry.stem,
                                                            reads, data_files, part.last_changed)},
        "briefing-data-files": data_files,
        "briefing-data-titles": resource_titles(book.root / "data"),
        "pagetitle": part.title,
        "lang": book.lang,
        "briefing-root": root_prefix(page),
        "briefing-xref": {t.id: {"label": t.label, "href": (relative(page, t.page) if t.page != page else "") + "#" + t.id}
                          for t in targets.values()},
        "briefing-chapters": {k: relative(page, v) for k, v in chapter_pages.items()},
        "briefing-claims": verdict_links(book.root / "data"),
        "link-citations": True,
        "reference-section-title": "References",
    }
    if part.coverage:
        meta["briefing-coverage"] = markdown_text(part.coverage)
    extra = ["--standalone", "--template", str(asset("templates/page.html")), "--mathml",
             "--section-divs", "--syntax-highlighting=none"]
    if book.html.get("toc", True):
        extra += ["--toc", f"--toc-depth={int(book.html.get('toc-depth', 3))}"]
    if book.bibliography and cites(part):
        meta["bibliography"] = str(book.bibliography)
        extra += ["--citeproc", "--lua-filter", str(asset("filters/prune-references.lua"))]
        meta["nocite"] = " ".join(f"@{k}" for k in sorted(cited))
        meta["briefing-all-references"] = "{#refs}" in part.markdown
    if book.csl:
        meta["csl"] = str(book.csl)
    prev_entry = pages[index - 1] if index > 0 else None
    next_entry = pages[index + 1] if index + 1 < len(pages) else None
    variables = {
        "sidebar": sidebar(book, pages, page),
        "root": root_prefix(page),
        "book-title": book.title,
        "pdf-name": pdf_name,
        "version": version.describe,
        "version-date": version.date,
        "notebook-href": "" if entry.path in GENERATED else relative(page, f"notebooks/{entry.stem}.html"),
        "data-zip": downloads.ZIP_PATH if downloads.ZIP_PATH in data_files else "",
    }
    if part.diagrams:
        variables["diagrams"] = "true"  # the page loads mermaid.js, which draws them
    if prev_entry:
        variables["prev-href"] = relative(page, prev_entry[1])
        variables["prev-title"] = prev_entry[2]
    if next_entry:
        variables["next-href"] = relative(page, next_entry[1])
        variables["next-title"] = next_entry[2]
    key = hashlib.sha256(json.dumps([part.markdown, meta, variables, extra], sort_keys=True).encode())
    for path in sorted(Path(asset(".")).rglob("*")):
        if path.is_file() and path.suffix in (".lua", ".html"):
            key.update(path.read_bytes())
    for path in book.filters.files:
        key.update(path.read_bytes())
    if book.bibliography:
        key.update(book.bibliography.read_bytes())
    cached = None if builder.refresh else html_cache.get(key.hexdigest())
    if cached is not None:
        html = cached
    else:
        html = run_pandoc(part.markdown, "html5", meta, variables, extra, staging, relpath(entry.path),
                          filters=book.filters).encode("utf-8")
        html_cache.put(key.hexdigest(), html)
    out = staging / page
    make_dirs(out.parent)
    write_atomic(out, html, durable=False)
    return page


CONTENTS = "```{=typst}\n#pagebreak(weak: true)\n#outline(title: [Contents], depth: 2, indent: auto)\n```\n\n"


def with_contents(first: str) -> str:
    """The first chapter with the contents after its opening (the summary, up to its first section): an
    editor finds the answer on the page after the title, then the contents, then the rest."""
    match = re.search(r"^## ", first, re.M)
    if match is None:
        return first + "\n\n" + CONTENTS
    return first[:match.start()] + CONTENTS + first[match.start():]


def _pdf(builder, book, version, assembled, pages, targets, cited, staging, pdf_name, notebooks):
    """The whole book as one Typst document, compiled in a private work folder; only the PDF is kept."""
    work = staging / TYPST_WORK
    make_dirs(work)
    for piece in assembled:
        for rel, payload in piece.figures.items():
            make_dirs((work / rel).parent)
            (work / rel).write_bytes(payload)
        for rel, source in piece.images.items():
            make_dirs((work / rel).parent)
            shutil.copyfile(source, work / rel)
    chunks, part = [], None
    appendix = False
    for (entry, _, _, _), piece in zip(pages, assembled):
        title = ""
        if entry.appendix and not appendix:
            title = "```{=typst}\n#part[Appendices]\n```\n\n"
            appendix = True
        elif entry.part and entry.part != part:
            title = f"```{{=typst}}\n#part[{entry.part}]\n```\n\n"
        part = entry.part
        chunks.append(title + with_coverage(without_lineage(piece.markdown), piece.coverage)
                      + last_changed_block(piece.last_changed))
    if book.typst.get("toc", True) and chunks:
        chunks[0] = with_contents(chunks[0])
    if not appendix:
        chunks.append("```{=typst}\n#part[Appendices]\n```")
    kept = [(entry, piece, nb) for (entry, _, _, _), piece, nb in zip(pages, assembled, notebooks)
            if entry.path not in GENERATED]
    shown = [(entry, None, piece.title, piece.number) for entry, piece, _ in kept]
    chunks.append(numbers_appendix.markdown(shown, [nb for _, _, nb in kept],
                                            numbers_appendix.next_letter([p.number for p in assembled])))
    meta = {
        "lang": book.lang,
        "briefing-xref": {t.id: {"label": t.label, "href": "#" + t.id} for t in targets.values()},
        "briefing-chapters": {},
        "briefing-claims": verdict_links(book.root / "data"),
        "briefing-data-titles": resource_titles(book.root / "data"),
        "link-citations": True,
    }
    for (entry, _, _, _), piece in zip(pages, assembled):
        meta["briefing-chapters"][str(entry.path.relative_to(book.root))] = piece.chapter_id
        meta["briefing-chapters"][entry.path.name] = piece.chapter_id
    frame = ["--standalone", "--template", str(asset("templates/book.typ")), "--syntax-highlighting=none"]
    if book.typst.get("toc", True):
        frame.append("--toc")
    body_meta, extra = dict(meta), ["--syntax-highlighting=none"]
    if book.bibliography:
        body_meta["bibliography"] = str(book.bibliography)
        body_meta["nocite"] = " ".join(f"@{key}" for key in sorted(cited))
        extra.append("--citeproc")
    if book.csl:
        body_meta["csl"] = str(book.csl)
    variables = {
        "book-title": book.title,
        "version": version.describe,
        "version-date": version.date,
        "typst-date": typst_date(version.epoch),
        "edition": typst_text(version.describe),
        "edition-date": long_date(version.date),
        "status": typst_text(edition_status(version.describe)),
    }
    if book.description:
        variables["caveat"] = typst_text(book.description)
    if book.subtitle:
        variables["subtitle"] = book.subtitle
    if book.date:
        variables["date"] = book.date
    meta["author"] = book.authors
    head = run_pandoc(BODY_MARK, "typst", meta, variables, frame, work, "book (typst)", filters=book.filters)
    before, mark, after = head.partition(BODY_MARK)
    if not mark:
        raise BuildError("book (typst): the template has no $body$")
    body = typst_fragments(builder, book, chunks, body_meta, extra, work)
    header, after_body, _ = typst_includes(book.root, book.typst)
    typ = before + "\n\n".join(filter(None, [header, *body, after_body])) + after
    typ_file = work / "book.typ"
    typ_file.write_text(typ, encoding="utf-8")
    compile_pdf(typ_file, work / pdf_name, work, version.epoch)
    os.replace(work / pdf_name, staging / pdf_name)
    shutil.rmtree(work)
    return pdf_name


CITATION = re.compile(r"(?<![\w@\\])@[\w]")
"""Something a citation could be; a fragment without one is converted without citeproc (a quarter of a
second saved per fragment; a false positive only costs that quarter)."""
LINEAGE_ATTRIBUTES = re.compile(r'\s+data-(?:sources|rows|names)="(?:[^"\\]|\\.)*"')


COVERAGE_BLOCK = re.compile(r"^::: *\{#lineage-coverage\}\s*\n(?:.*\n)*?:::\s*$", re.M)


def with_coverage(markdown: str, table: str) -> str:
    """The PDF's part with the lineage counts in its ``{#lineage-coverage}`` div (the site's page gets them
    through the record filter's metadata; the PDF's parts share one metadata, and the counts there would make
    every part's cache key change with them)."""
    if not table:
        return markdown
    return COVERAGE_BLOCK.sub(lambda _: f"::: {{#lineage-coverage}}\n{table}\n:::", markdown)


def last_changed_block(line: str) -> str:
    """The PDF's "last changed" line at the end of a chapter (on the site the extension's record filter
    places it from the page's metadata; the PDF's parts are converted together, so it is written here)."""
    return f"\n\n::: {{.last-changed}}\n{line}\n:::\n" if line else ""


def without_lineage(markdown: str) -> str:
    """The markdown without the lineage attributes of computed values: the PDF shows the values only."""
    return LINEAGE_ATTRIBUTES.sub("", markdown)


def cites(part) -> bool:
    """True when a page cites a reference or holds the bibliography (it needs citeproc)."""
    return bool(part.citations) or "{#refs}" in part.markdown


BODY_MARK = "BRIEFINGTYPSTBODY"
TYPST_FORMAT = "briefing-typst-fragment-1"
FRAGMENT_MARK = "// briefing-fragment "
FRAGMENT_READER = "markdown+smart-implicit_header_references-auto_identifiers"
"""A fragment makes no identifier of its own: one made from a heading's words would be unique in its
fragment, not in the book (the labels the PDF uses are the ones the sources write)."""


def typst_fragments(builder, book: Book, chunks: list[str], meta: dict, extra: list[str], work: Path) -> list[str]:
    """Each part of the book (a chapter, an appendix) as a Typst fragment, cached by what it is made from, so
    that an edit to one chapter converts one chapter. The parts not in the cache are converted together, in
    as many pandoc runs as the build has jobs (each run costs a quarter of a second before any text), and
    the output is cut back into parts at markers.

    Citations are the same in every fragment: citeproc sees every key the book cites (``nocite``), so it
    disambiguates them as it would in one document; the bibliography goes only where the book puts it
    (the ``refs`` div), and every other run suppresses it.
    """
    cache = Cache(builder.root, "typst", ".typ")
    builder.caches.append(cache)
    common = hashlib.sha256(f"{TYPST_FORMAT}\0{FRAGMENT_READER}".encode())
    common.update(json.dumps([meta, extra], sort_keys=True).encode())
    for path in sorted(asset("filters").iterdir()) + list(book.filters.files) + [pandoc_binary()]:
        if Path(path).is_file() and Path(path).suffix in (".lua", ""):
            common.update(hashlib.sha256(Path(path).read_bytes()).digest())
    for extra_file in (book.bibliography, book.csl):
        if extra_file and Path(extra_file).is_file():
            common.update(hashlib.sha256(Path(extra_file).read_bytes()).digest())
    keys = []
    for chunk in chunks:
        key = common.copy()
        key.update(chunk.encode())
        keys.append(key.hexdigest())
    out = [None if builder.refresh else cache.get(key) for key in keys]
    missing = [i for i, found in enumerate(out) if found is None]
    batches = [missing[i::max(1, min(builder.jobs - 1, len(missing)))] for i in range(max(1, min(builder.jobs - 1, len(missing))))]

    def convert(batch: list[int]) -> list[tuple[int, str]]:
        if not batch:
            return []
        text = "\n\n".join(f"```{{=typst}}\n{FRAGMENT_MARK}{i}\n```\n\n{chunks[i]}" for i in batch)
        options, flags = dict(meta), list(extra)
        if "bibliography" in options and not (CITATION.search(text) or "{#refs}" in text):
            for key in ("bibliography", "nocite", "csl"):
                options.pop(key, None)
            flags.remove("--citeproc")
        elif "bibliography" in options:
            options["suppress-bibliography"] = "{#refs}" not in text
        typ = run_pandoc(text, "typst", options, {}, flags, work, "book (typst)", reader=FRAGMENT_READER,
                         filters=book.filters)
        parts = re.split(rf"^{FRAGMENT_MARK}(\d+)$", typ, flags=re.M)
        return [(int(index), body.strip("\n") + "\n") for index, body in zip(parts[1::2], parts[2::2])]

    pool = ThreadPoolExecutor(max_workers=max(1, len(batches)), thread_name_prefix="briefing-typst")
    try:
        for converted in pool.map(convert, batches):
            for index, typ in converted:
                out[index] = typ.encode("utf-8")
                cache.put(keys[index], out[index])
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [payload.decode("utf-8") for payload in out]


def assembly_defaults(book: Book) -> dict:
    """The options every chapter's cells start from: ``execute:``, and the site's code folding."""
    return {**book.execute, **{k: v for k, v in book.html.items() if k in ("code-fold", "code-summary")}}


def assemble_book(book: Book, chapters: list[Chapter], notebooks: list, numbered: bool) -> list[Assembled]:
    """Every chapter as Pandoc markdown; ``numbered`` follows the format's ``number-sections``."""
    numbers = chapter_numbers(book, chapters) if numbered else [None] * len(chapters)
    shared = None if numbered else {"fig": 0, "tbl": 0, "eq": 0}
    defaults = assembly_defaults(book)
    return [ChapterAssembler(chapter, nb, number, page_of(book, entry), defaults, shared, book.root).run()
            for entry, chapter, nb, number in zip(book.entries, chapters, notebooks, numbers)]


def changes_chapter(book: Book, describe: str, titles: list[tuple[Path, str]],
                    overlay: dict[str, bytes] | None = None):
    """The "What changed" page as a chapter of ``book`` and its notebook, or (None, None) for a book without a
    version (:mod:`briefing.render.changes_page`)."""
    page = changes_page.chapter(book.root, describe, titles, overlay)
    return (page, nbmod.build_notebook(page)) if page is not None else (None, None)


def changes_part(book: Book, page, nb, letter: str | None):
    """The "What changed" page assembled, lettered ``letter`` like the appendices before it."""
    return ChapterAssembler(page, nb, letter, f"{changes_page.STEM}.html", assembly_defaults(book), None,
                            book.root).run()


def add_changes_page(book: Book, version, chapters, notebooks, assembled, assembled_typst, overlay: dict[str, bytes]):
    """Close the book with the "What changed" page and end each chapter with the release that last
    changed it (:mod:`briefing.render.changes_page`); a book without a version is left as it is."""
    from dataclasses import replace

    from briefing.render.project import Entry

    titles = [(entry.path, part.title) for entry, part in zip(book.entries, assembled)]
    page, nb = changes_chapter(book, version.describe, titles, overlay)
    if page is None:
        return book, chapters, notebooks
    lines = {entry.path: changes_page.last_changed_line(book.root, entry.path, overlay) for entry in book.entries}
    for parts in {id(assembled): assembled, id(assembled_typst): assembled_typst}.values():
        for entry, part in zip(book.entries, parts):
            part.last_changed = lines[entry.path]
        parts.append(changes_part(book, page, nb, numbers_appendix.next_letter([p.number for p in parts])))
    entry = Entry(path=page.path, part=None, appendix=True)
    GENERATED.add(page.path)
    return replace(book, entries=[*book.entries, entry]), [*chapters, page], [*notebooks, nb]


def html_fragment(book: Book, part, page: str) -> str:
    """A page made by the build (What changed) as the body of a site page at ``page``, converted as the
    built-in engine converts its pages (the same filters)."""
    chapter_pages = {}
    for entry in book.entries:
        target = page_of(book, entry)
        chapter_pages[entry.path.relative_to(book.root).as_posix()] = relative(page, target)
        chapter_pages[entry.path.name] = relative(page, target)
    meta = {
        "briefing-root": root_prefix(page),
        "briefing-chapters": chapter_pages,
        "briefing-claims": verdict_links(book.root / "data"),
        "briefing-data-titles": resource_titles(book.root / "data"),
        "briefing-xref": {t.id: {"label": t.label, "href": "#" + t.id} for t in part.targets},
    }
    return run_pandoc(part.markdown, "html5", meta, {}, ["--section-divs", "--mathml", "--syntax-highlighting=none"],
                      book.root, part.stem, filters=book.filters)


GENERATED: set[Path] = set()
COVERAGE_DIV = "{#lineage-coverage}"


def coverage_table(book: Book, notebooks) -> tuple:
    """Count what the book prints by where it comes from (:mod:`briefing.coverage`): the report, and the
    table the extension's record filter puts in the page that holds a ``::: {#lineage-coverage}`` div (the
    "Data and methods" appendix)."""
    from briefing import coverage

    report = coverage.book([(entry.path.stem, nb) for entry, nb in zip(book.entries, notebooks)])
    return report, coverage.markdown(report)


def draw_diagrams(builder, book: Book, assembled: list[Assembled], assembled_typst: list[Assembled]) -> None:
    """Each mermaid diagram as SVG (:func:`briefing.render.diagrams.draw`), among the PDF's figures; drawn on every
    build that has diagrams, from the cache after the first, so that one mermaid cannot read stops the build
    whichever format it makes."""
    found = [d for part in assembled for d in part.diagrams]
    if not found:
        return
    cache = Cache(builder.root, "diagrams", ".svg")
    builder.caches.append(cache)
    svgs = diagrams.draw(found, cache, book.root)
    for part in assembled_typst:
        part.figures.update({d.path: svgs[d.path] for d in part.diagrams})


@dataclass
class Rendered:
    """What a render produced: the files of each format in staging, the notebooks to commit,
    and the files it read beyond the snapshot's usual inputs (images outside chapters/)."""

    files: dict[str, list[str]] = field(default_factory=dict)
    notebooks: dict[Path, bytes] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)


def render_book(builder, book: Book, version, staging: Path, formats: list[str], snapshot: Snapshot) -> Rendered:
    """Render ``formats`` ("html", "pdf") of ``book`` into ``staging``."""
    root = builder.root
    early = None
    if builder.refresh and builder.warm is None:
        early = builder.warm = start_warm(root)  # every chapter runs: let the server preload while we parse
    try:
        features.check_formats(book.root)  # a format option this engine would ignore, refused by name
        chapters = [parse_chapter(entry.path, book.root) for entry in book.entries]
        for chapter in chapters:
            features.check(chapter)  # what this engine would render wrong, refused by name
        notebooks, payloads = freeze_or_execute(builder, book, chapters, snapshot)
    finally:
        builder.progress.finish()
        if early is not None:
            builder.warm = None
            early.close()
    html_numbered = book.html.get("number-sections", True) is not False
    typst_numbered = book.typst.get("number-sections", True) is not False
    assembled = assemble_book(book, chapters, notebooks, html_numbered)
    assembled_typst = (assembled if typst_numbered == html_numbered
                       else assemble_book(book, chapters, notebooks, typst_numbered))
    overlay = {path.relative_to(root).as_posix(): payload for path, payload in payloads.items()}
    book, chapters, notebooks = add_changes_page(book, version, chapters, notebooks, assembled, assembled_typst,
                                                 overlay)
    report, coverage_markdown = coverage_table(book, notebooks)
    for parts in {id(assembled): assembled, id(assembled_typst): assembled_typst}.values():
        for part in parts:
            part.coverage = coverage_markdown if COVERAGE_DIV in part.markdown else ""
    builder.say(f"lineage  {report.printed} values printed: {report.count('sourced')} from data rows, "
                f"{report.count('article')} from the article, {report.count('none')} from no source, "
                f"{len(report.lost)} lost; {report.table_cells} table cells, {report.cells['sourced']} from data rows")
    keys = bib_keys(book.bibliography)
    citations_cache = Cache(builder.root, "citations", ".json")
    builder.caches.append(citations_cache)
    read_citations(assembled, chapters, citations_cache, builder.jobs or 1)
    if assembled_typst is not assembled:
        read_citations(assembled_typst, chapters, citations_cache, builder.jobs or 1)
    targets = check_references(assembled, chapters, keys)
    targets_typst = {t.id: t for part in assembled_typst for t in part.targets}
    cited = {key for part in assembled for key, _ in part.citations if key in keys}
    pages = [(e, p.page, p.title, p.number) for e, p in zip(book.entries, assembled)]
    chapter_pages = {str(e.path.relative_to(book.root)): p.page for e, p in zip(book.entries, assembled)}
    chapter_pages.update({e.path.name: p.page for e, p in zip(book.entries, assembled)})
    pdf_name = slug(book.title) + ".pdf"
    draw_diagrams(builder, book, assembled, assembled_typst)
    images = {rel: path for part in assembled for rel, path in part.images.items()}
    included = {path.relative_to(root).as_posix(): path for chapter in chapters for path in chapter.includes}
    snapshot.add([path for rel, path in sorted({**images, **included}.items()) if rel not in snapshot.hashes])
    rendered = Rendered(notebooks=payloads, read=sorted({*images, *included}))
    pandoc.allow()
    pdf_job = None
    if "pdf" in formats:
        pdf_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefing-pdf")
        started_pdf = time.perf_counter()
        pdf_job = pdf_pool.submit(_pdf, builder, book, version, assembled_typst, pages, targets_typst, cited, staging,
                                  pdf_name, notebooks)
        pdf_pool.shutdown(wait=False)
    try:
        _render_html(builder, book, version, staging, formats, assembled, notebooks, payloads, pages, targets,
                     chapter_pages, cited, pdf_name, images, rendered)
    except BaseException:
        pandoc.stop_all()
        if pdf_job is not None:
            pdf_job.cancel()
            try:
                pdf_job.result()
            except BaseException:
                pass
        raise
    if pdf_job is not None:
        rendered.files["pdf"] = [pdf_job.result()]
        builder.say(f"pdf      {pdf_name} ({time.perf_counter() - started_pdf:.2f} s, alongside the HTML)")
    return rendered


def _render_html(builder, book, version, staging, formats, assembled, notebooks, payloads, pages, targets,
                 chapter_pages, cited, pdf_name, images, rendered) -> None:
    """The site: figures, images, assets, notebook pages, data downloads, one page per chapter,
    then the search index and the previews cut from those pages."""
    root = builder.root
    if "html" in formats:
        started = time.perf_counter()
        for part in assembled:
            for rel, payload in part.figures.items():
                make_dirs((staging / rel).parent)
                write_atomic(staging / rel, payload, durable=False)
        for rel, source in sorted(images.items()):
            make_dirs((staging / rel).parent)
            shutil.copyfile(source, staging / rel)
        libs = staging / "site_libs"
        make_dirs(libs)
        for name in ENGINE_ASSETS + READER_ASSETS:
            shutil.copyfile(asset(f"assets/{name}"), libs / name)
        if any(part.diagrams for part in assembled):
            shutil.copyfile(diagrams.mermaid_js(book.root), libs / "mermaid.min.js")
            write_atomic(libs / "diagrams.js", diagrams.site_settings().encode(), durable=False)
        make_dirs(staging / "notebooks")
        for path, payload in payloads.items():
            write_atomic(staging / "notebooks" / path.name, payload, durable=False)
        for (entry, page, title, number), nb in zip(pages, notebooks):
            if entry.path in GENERATED:
                continue
            name = f"notebooks/{entry.stem}.html"
            heading = f"{number} {title}" if number else title
            write_atomic(staging / name, notebook_page.page(
                nb, chapter_title=heading, chapter_href=relative(name, page), chapter_file=relpath(entry.path),
                ipynb_href=f"{entry.stem}.ipynb", css_href=relative(name, "site_libs/briefing.css"),
                reads=nbmod.data_reads(nb), data_href=relative(name, "data") + "/", lang=book.lang,
                book_title=book.title, root=root_prefix(name)), durable=False)
        data_files = downloads.write(staging, book.root / "data")
        html_cache = Cache(root, "html", ".html")
        pool = ThreadPoolExecutor(max_workers=builder.jobs)
        try:
            futures = [pool.submit(_html_page, builder, book, version, part, index, pages, targets, chapter_pages,
                                   cited, pdf_name, staging, html_cache, nbmod.data_reads(nb), data_files)
                       for index, (part, nb) in enumerate(zip(assembled, notebooks))]
            for future in futures:
                future.result()
        except BaseException:
            pandoc.stop_all()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        builder.caches.append(html_cache)
        site_pages = [page for _, page, _, _ in pages]
        generated = {page for entry, page, _, _ in pages if entry.path in GENERATED}
        write_atomic(libs / "search-index.js", search.index_script(staging, site_pages, generated), durable=False)
        write_atomic(libs / "previews.js", previews.previews_script(staging, site_pages), durable=False)
        rendered.files["html"] = [name for name in files_under(staging)
                                  if name != pdf_name and not name.startswith(f"{TYPST_WORK}/")]
        builder.say(f"html     {len(assembled)} pages ({time.perf_counter() - started:.2f} s)")
