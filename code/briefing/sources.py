"""Sources a reader can open: each :class:`~briefing.lineage.Ref` resolved to the document it was
read in (publisher, title, link, date, primary or secondary, accessed) and the place in it
(the locator), from the provenance columns every row of ``data/`` carries.

Chapters print these in three places: the list of sources that ends each chapter
(:func:`chapter_sources`, whose entries the site's popups point to), the numbered source note
under every table built from ``data/`` (:func:`table_note`), and the evidence that ends each
verdict paragraph (:func:`evidence`).

Three kinds of reference are not an outside document: a line of the article (the briefing's
subject; its outlet is unidentified, ``data/article.json``), a value the briefing itself
defines or judges (the verdict scale, a claim's verdict, rationale or chapter), and a row the
briefing derived from other rows (confidence ``estimate``, no URL). They are named as such.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from briefing import lineage
from briefing.lineage import Ref

OWN = "own"
DATA = "data"
ARTICLE = "article"
DERIVED = "derived"
CLAIM_SOURCE_FIELDS = ("quote_fr", "translation_en", "claimant", "source_title", "source_url",
                       "source_locator", "publisher", "published", "accessed", "confidence", "notes")
"""Columns of claims.csv whose source is where the claim was made (the article, a post); the
others (verdict, rationale, finding, chapter, kind, short wording) are the briefing's own."""
PROVENANCE_FIELDS = ("notes", "source_title", "source_url", "source_locator", "publisher", "published", "accessed",
                     "confidence")
"""The columns that say where a row was read; in the corrections log they source the correction's evidence,
while its date, section, wording and reason are the briefing's own."""
URL_WIDTH = 60
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@dataclass(frozen=True, order=True)
class Document:
    """Something a reader can open, or the kind of thing that is not one (``kind``)."""

    kind: str  # "document", "article", "derived" or "own"
    publisher: str
    title: str
    url: str = ""
    published: str = ""
    confidence: str = ""
    accessed: str = ""

    @property
    def copy(self) -> str:
        """Where a secondary source was read: the host of its URL (``kathmandupost.com``)."""
        if self.confidence != "secondary" or not self.url.startswith("http"):
            return ""
        parts = re.sub(r"^https?://(www\.)?", "", self.url).split("/")
        if parts[0] in ("github.com", "huggingface.co") and len(parts) >= 3:
            return "/".join(parts[:3])
        return parts[0]

    @property
    def external(self) -> bool:
        return self.url.startswith(("http://", "https://"))


@dataclass(frozen=True, order=True)
class Citation:
    """A document and the place in it a value was read (``locator``)."""

    document: Document
    locator: str


def web_url(url: str) -> str:
    """A ``source_url`` as a link: ``github:owner/repo/path@commit`` becomes the GitHub page of the
    file at that commit; a web URL is kept; a file of the package (``data/x``) too (the site serves it)."""
    match = re.fullmatch(r"github:([^/]+)/([^/]+)/(.+?)@([0-9a-f]{7,40})", url.strip())
    if match:
        owner, repo, path, commit = match.groups()
        return f"https://github.com/{owner}/{repo}/blob/{commit}/{path}"
    match = re.fullmatch(r"github:([^/]+)/([^/@]+)(?:@([0-9a-f]{7,40}))?", url.strip())
    if match:
        owner, repo, commit = match.groups()
        return f"https://github.com/{owner}/{repo}" + (f"/tree/{commit}" if commit else "")
    return url.strip()


def short_url(url: str, width: int = URL_WIDTH) -> str:
    """A URL as printed: no scheme, no ``www.``, a GitHub file as ``github.com/owner/repo/…/file``,
    anything longer than ``width`` characters cut in the middle at a slash."""
    text = re.sub(r"^https?://(www\.)?", "", url)
    match = re.fullmatch(r"github\.com/([^/]+)/([^/]+)/blob/[0-9a-f]+/(.+)", text)
    if match:
        owner, repo, path = match.groups()
        text = f"github.com/{owner}/{repo}/…/{path.rsplit('/', 1)[-1]}"
    if len(text) <= width:
        return text
    host, _, rest = text.partition("/")
    parts = rest.split("/")
    tail = parts[-1] if parts[-1] else (parts[-2] if len(parts) > 1 else "")
    if len(tail) > width // 2:
        tail = tail[: width // 2 - 1] + "…"
    return f"{host}/…/{tail}"


def long_date(value: Any) -> str:
    """``2024-12-26 -> '26 December 2024'``, ``2025-01 -> 'January 2025'``; ``n.d.`` and blanks as they are."""
    if isinstance(value, datetime.date):
        return f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    text = str(value or "").strip()
    parts = text.split("-")
    if not re.fullmatch(r"\d{4}(-\d{2}){0,2}", text):
        return text
    if len(parts) == 3:
        return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:
        if value != value:  # NaN
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(lineage.plain(value)).strip()


class Resolver:
    """Resolves references against one data folder, reading each table once."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = folder
        self._tables: dict[str, dict[tuple[str, ...], dict[str, Any]]] = {}
        self._resources: dict[str, dict[str, Any]] | None = None
        self._article: list[str] | None = None
        self._attribution: dict[str, Any] | None = None
        self._evidence: dict[str, list[dict[str, Any]]] | None = None

    def resources(self) -> dict[str, dict[str, Any]]:
        if self._resources is None:
            from briefing import data

            with _quiet():
                pkg = data.Package(data.data_folder(self.folder))
            self._resources = pkg.by_path()
        return self._resources

    def rows(self, path: str) -> dict[tuple[str, ...], dict[str, Any]]:
        if path not in self._tables:
            from briefing import data

            res = self.resources()[path]
            frame = data.load(res["name"], self.folder)
            key = data.primary_key(res)
            table = {}
            for record in frame.to_dict("records"):
                ident = tuple(_text(record[k]) for k in key) if key else ()
                table[ident] = record
            self._tables[path] = table
        return self._tables[path]

    def evidence(self) -> dict[str, list[dict[str, Any]]]:
        """``data/evidence.csv`` by claim, each claim's items in order (read once)."""
        if self._evidence is None:
            from briefing import data

            table = data.load("evidence", self.folder).sort_values(["claim_id", "item"])
            self._evidence = {}
            for record in table.to_dict("records"):
                self._evidence.setdefault(str(record["claim_id"]), []).append(record)
        return self._evidence

    def article_lines(self) -> list[str]:
        if self._article is None:
            from briefing import data

            self._article = str(data.read_file(lineage.ARTICLE, self.folder)).split("\n")
        return self._article

    def article_document(self) -> Document:
        """The article: its outlet, author and title are unidentified (``data/article.json``)."""
        return Document(ARTICLE, "unidentified outlet", "The French article checked by this briefing",
                        f"data/{lineage.ARTICLE}", "", "primary", "")

    def resolve(self, ref: Ref) -> Citation:
        """The document and locator ``ref`` was read in."""
        if ref.is_article:
            if not ref.key:
                return Citation(self.article_document(), "whole text")
            number = int(ref.key[0])
            lines = self.article_lines()
            text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
            return Citation(self.article_document(), f"line {number}: « {text} »" if text else f"line {number}")
        res = self.resources().get(ref.file, {})
        if not str(ref.file).endswith(".csv"):
            return self._resource_citation(res, ref)
        if "x_provenance" in res:
            return Citation(Document(OWN, "this briefing", _own_title(res)), "")
        if not ref.key:
            return Citation(Document(DATA, "this briefing", f"The briefing's table {ref.file}", f"data/{ref.file}"),
                            "every row")
        row = self.rows(ref.file).get(ref.key, {})
        if ref.file == "claims.csv" and ref.field not in CLAIM_SOURCE_FIELDS:
            return Citation(Document(OWN, "this briefing", "The briefing's verdicts and findings"), "")
        if ref.file == "corrections.csv" and ref.field not in PROVENANCE_FIELDS:
            return Citation(Document(OWN, "this briefing", "The briefing's corrections log"), "")
        citation = self._row_citation(row)
        if ref.file == "claims.csv" and citation.document.kind == ARTICLE and ref.field == "quote_fr":
            line = re.match(r"line \d+", citation.locator)
            quote = _text(row.get("quote_fr"))
            return Citation(citation.document, f"{line.group(0)}: « {quote} »" if line else f"« {quote} »")
        return citation

    def _row_citation(self, row: dict[str, Any]) -> Citation:
        url = _text(row.get("source_url"))
        locator = _text(row.get("source_locator"))
        confidence = _text(row.get("confidence"))
        if url == f"data/{lineage.ARTICLE}":
            match = re.search(r"line (\d+)", locator)
            if match:
                return self.resolve(lineage.article_line(int(match.group(1))))
            return Citation(self.article_document(), locator)
        if not url:
            return Citation(Document(DERIVED, "this briefing", "Computed by the briefing from other rows",
                                     "", "", confidence or "estimate", _text(row.get("accessed"))), locator)
        document = Document("document", _text(row.get("publisher")), _text(row.get("source_title")),
                            web_url(url), _text(row.get("published")), confidence, _text(row.get("accessed")))
        return Citation(document, locator)

    def _resource_citation(self, res: dict[str, Any], ref: Ref) -> Citation:
        if "x_provenance" in res:
            return Citation(Document(OWN, "this briefing", _own_title(res)), ref.field)
        source = (res.get("sources") or [{}])[0]
        document = Document("document", str(res.get("publisher", "")), str(source.get("title", "")),
                            web_url(str(source.get("path", ""))), str(res.get("published", "")),
                            str(res.get("confidence", "")), str(res.get("accessed", "")))
        return Citation(document, str(res.get("source_locator", "")))


_RESOLVERS: dict[str, Resolver] = {}


def resolver_for(folder: str | Path | None = None) -> Resolver:
    """One :class:`Resolver` per data folder and per state of it (:func:`briefing.data.package_key`): a chapter
    that prints many sources reads each table once."""
    from briefing import data

    key = f"{data.data_folder(folder)}\0{data.package_key(folder)}"
    if key not in _RESOLVERS:
        _RESOLVERS.clear()
        _RESOLVERS[key] = Resolver(folder)
    return _RESOLVERS[key]


def _own_title(res: dict[str, Any]) -> str:
    description = str(res.get("description") or res.get("name", "")).rstrip(".")
    return description[:1].upper() + description[1:]


class _quiet:
    """Reads made to resolve sources are the library's own, like validation's."""

    def __enter__(self):
        from briefing import reads

        self._ctx = reads.quiet()
        self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


# --- what a chapter prints ----------------------------------------------------------------------


@dataclass
class SourceList:
    """A chapter's sources in order of first use: documents numbered 1..n, each with its locators
    numbered n.1..n.k; ``ids`` maps each reference to its locator's anchor (``source-3-2``)."""

    documents: list[Document] = field(default_factory=list)
    locators: dict[Document, list[tuple[str, list[Ref]]]] = field(default_factory=dict)
    ids: dict[Ref, str] = field(default_factory=dict)

    def add(self, ref: Ref, citation: Citation) -> str:
        document = citation.document
        if document not in self.locators:
            self.documents.append(document)
            self.locators[document] = []
        entries = self.locators[document]
        for index, (locator, refs) in enumerate(entries, 1):
            if locator == citation.locator:
                refs.append(ref)
                break
        else:
            entries.append((citation.locator, [ref]))
            index = len(entries)
        number = self.documents.index(document) + 1
        self.ids[ref] = f"source-{number}-{index}" if citation.locator else f"source-{number}"
        return self.ids[ref]


def source_list(refs: Iterable[Ref], resolver: Resolver | None = None) -> SourceList:
    """The documents behind ``refs``, in their order."""
    resolver = resolver or resolver_for()
    found = SourceList()
    for ref in refs:
        found.add(ref, resolver.resolve(ref))
    return found


def document_markdown(document: Document) -> str:
    """One document as the sources list prints it: publisher, title (linked), date, confidence,
    accessed, and the URL itself (shortened), so that a printed page shows where to look."""
    from briefing.present import md_escape

    if document.kind == OWN:
        return f"{md_escape(document.title)}: defined by this briefing, no outside source."
    if document.kind == DERIVED:
        return "Computed by the briefing from other rows of its data (an estimate, no document of its own)."
    if document.kind == ARTICLE:
        return ("The French article this briefing checks (its outlet, author and title are unidentified); "
                f"its text is in {document.url}.")
    title = md_escape(document.title) or "(untitled)"
    title = f"[{title}]({document.url})" if document.external else title
    parts = [f"{md_escape(document.publisher)}, *{title}*" if document.publisher else f"*{title}*"]
    if document.published and document.published != "n.d.":
        parts[0] += f", {md_escape(long_date(document.published))}"
    status = {"primary": "Primary source", "secondary": "Secondary: read in a copy"
              + (f" at {md_escape(document.copy)}" if document.copy else ""),
              "estimate": "Estimate"}.get(document.confidence, md_escape(document.confidence))
    accessed = f", accessed {md_escape(long_date(document.accessed))}" if document.accessed else ""
    parts.append(f"{status}{accessed}")
    if document.external:
        parts.append(f"[{md_escape(short_url(document.url))}]({document.url})")
    elif document.url:
        parts.append(md_escape(document.url))
    return ". ".join(parts) + "."


def data_label(refs: Iterable[Ref], most_rows: int = 4) -> str:
    """The data behind ``refs`` in words a reader can find in the download, one file at a time:
    ``data/training_runs.csv, row deepseek-v3-total (gpu_hours, rental_usd_per_gpu_hour)``,
    ``data/claims.csv, 28 rows (verdict)``, ``data/configs/deepseek-v3.json (kv_lora_rank, …)``."""
    files: dict[str, tuple[list[tuple[str, ...]], list[str]]] = {}
    for ref in sorted(refs):
        if ref.is_article:
            continue
        keys, fields = files.setdefault(ref.file, ([], []))
        if ref.key and ref.key not in keys:
            keys.append(ref.key)
        if ref.field and ref.field not in fields:
            fields.append(ref.field)
    parts = []
    for file, (keys, fields) in files.items():
        if not keys:
            rows = "" if file.endswith(".json") or fields else ", every row"
        elif len(keys) == 1:
            rows = f", row {' / '.join(keys[0])}"
        elif len(keys) <= most_rows:
            rows = ", rows " + "; ".join(" / ".join(k) for k in keys)
        else:
            rows = f", {len(keys)} rows"
        shown = f" ({', '.join(fields)})" if fields else ""
        parts.append(f"data/{file}{rows}{shown}")
    return "; ".join(parts)


def list_markdown(found: SourceList) -> str:
    """The numbered list of a chapter's sources, each document anchored ``source-N`` and each
    locator ``source-N-K`` (the anchors the site's popups show)."""
    from briefing.present import mark_french_markdown, md_escape

    lines = []
    for number, document in enumerate(found.documents, 1):
        lines.append(f"{number}. []{{#source-{number}}}{document_markdown(document)}")
        for index, (locator, refs) in enumerate(found.locators[document], 1):
            if locator:
                lines.append(f"    - []{{#source-{number}-{index}}}{mark_french_markdown(md_escape(locator))}")
    return "\n".join(lines)


INTRO = ("Each number on this page was computed, when the book was built, from rows of the briefing's data; "
         "each row names the document it was read in and where. The documents and places used on this page:")


class ChapterSources:
    """What :func:`chapter_sources` shows: the list as Markdown, and the lineage record as JSON."""

    def __init__(self, markdown: str, record: dict):
        self.markdown = markdown
        self.record = record

    def _repr_mimebundle_(self, include=None, exclude=None):
        documents = len(self.record.get("documents", []))
        return {"text/markdown": self.markdown, "text/plain": f"<sources: {documents} documents>", lineage.MIME: self.record}


def chapter_sources(namespace: dict | None = None, folder: str | Path | None = None) -> ChapterSources:
    """The last cell of a chapter: a "Sources" section listing every document behind the values the
    chapter printed, with anchors; and, as JSON for the build, which anchor each reference got and
    which of the chapter's names hold values read from data (so a printed value computed from them
    without lineage can be found)."""
    found = source_list(lineage.shown(), resolver_for(folder))
    body = list_markdown(found)
    markdown = f"## Sources {{#sources .unnumbered}}\n\n{INTRO}\n\n{body}" if body else ""
    namespace = namespace if namespace is not None else _user_namespace()
    record = {
        "documents": documents_record(found),
        "derived": sorted(name for name, value in namespace.items() if _carries_lineage(value) and _public(name, value)),
    }
    return ChapterSources(markdown, record)


def documents_record(found: SourceList) -> list[dict]:
    """The chapter's sources as the notebook records them (JSON): each document with its anchor and
    fields, and each locator with its anchor and the references it backs."""
    out = []
    for number, document in enumerate(found.documents, 1):
        entry = {"id": f"source-{number}", "kind": document.kind, "publisher": document.publisher,
                 "title": document.title, "url": document.url, "published": document.published,
                 "confidence": document.confidence, "accessed": document.accessed, "copy": document.copy,
                 "locators": [{"id": f"source-{number}-{index}" if locator else f"source-{number}", "locator": locator,
                               "refs": [ref.as_json() for ref in refs]}
                              for index, (locator, refs) in enumerate(found.locators[document], 1)]}
        out.append(entry)
    return out


def recorded_sources(nb) -> tuple[list[dict], frozenset[str]]:
    """The documents and the derived names a chapter's executed notebook recorded (its sources cell)."""
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            record = out.get("data", {}).get(lineage.MIME)
            if isinstance(record, dict) and "documents" in record:
                return record["documents"], frozenset(record.get("derived", []))
    return [], frozenset()


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    shell = get_ipython()
    if shell is None:
        return {}
    hidden = set(getattr(shell, "user_ns_hidden", {})) | {"In", "Out"}
    return {name: value for name, value in shell.user_ns.items() if name not in hidden}


def _public(name: str, value: Any) -> bool:
    import types

    return not name.startswith("_") and not isinstance(value, (types.ModuleType, type)) and not callable(value)


def _carries_lineage(value: Any, depth: int = 0) -> bool:
    """True when ``value`` holds a traced value: itself, or inside a container, a DataFrame, a
    Series or a dataclass (three levels deep)."""
    import dataclasses

    if lineage.refs_of(value):
        return True
    if depth >= 3 or isinstance(value, (str, bytes, int, float)):
        return False
    if hasattr(value, "dtypes") and hasattr(value, "columns"):  # DataFrame
        return any(_carries_lineage(v, depth + 1) for col in value.columns
                   for v in value[col].head(50) if value[col].dtype == object) or _carries_lineage(list(value.index[:50]), depth + 1)
    if hasattr(value, "dtype") and hasattr(value, "index"):  # Series
        return (value.dtype == object and any(lineage.refs_of(v) for v in value.head(50))) or any(
            lineage.refs_of(v) for v in value.index[:50])
    if isinstance(value, dict):
        return any(_carries_lineage(v, depth + 1) or lineage.refs_of(k) for k, v in list(value.items())[:200])
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_carries_lineage(v, depth + 1) for v in list(value)[:200])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return any(_carries_lineage(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value))
    return False


def table_note(refs_by_row: list[frozenset[Ref]], resolver: Resolver | None = None) -> tuple[list[list[int]], str]:
    """The numbered source note under a table: for each row the numbers of its documents, and the
    note as HTML (``Sources: 1. Publisher, Title, locators. link``). Only outside documents and the
    article are numbered; the briefing's own definitions, and counts of its own tables, are not a source."""
    import html

    resolver = resolver or resolver_for()
    order: list[Document] = []
    where: dict[Document, list[str]] = {}
    numbers = []
    for refs in refs_by_row:
        row_numbers = []
        for ref in sorted(refs):
            citation = resolver.resolve(ref)
            document = citation.document
            if document.kind in (OWN, DATA):  # the briefing's own definitions, and counts of its own tables
                continue
            if document not in where:
                order.append(document)
                where[document] = []
            if citation.locator and citation.locator not in where[document]:
                where[document].append(citation.locator)
            number = order.index(document) + 1
            if number not in row_numbers:
                row_numbers.append(number)
        numbers.append(sorted(row_numbers))
    if not order:
        return numbers, ""
    items = []
    for number, document in enumerate(order, 1):
        items.append(f'<li><span id="{{table}}-source-{number}"></span>{_document_html(document, where[document])}</li>')
    note = '<div class="table-sources"><p><strong>Sources</strong></p><ol>' + "".join(items) + "</ol></div>"
    return numbers, note


def _document_html(document: Document, locators: list[str]) -> str:
    import html

    from briefing.present import mark_french_html

    locs = "; ".join(_cut(loc, 110) for loc in locators)
    if document.kind == DERIVED:
        return "Computed by the briefing from other rows" + (f" ({html.escape(locs)})" if locs else "") + "."
    if document.kind == ARTICLE:
        return "The French article checked here" + (f", {mark_french_html(html.escape(_cut(locators[0], 60)))}" if locators else "") + "."
    title = html.escape(document.title)
    title = f'<a href="{html.escape(document.url)}">{title}</a>' if document.external else title
    text = f"{html.escape(document.publisher)}, <em>{title}</em>" if document.publisher else f"<em>{title}</em>"
    if locs:
        text += f", {mark_french_html(html.escape(locs))}"
    status = {"primary": "primary", "secondary": "secondary" + (f", copy at {html.escape(document.copy)}" if document.copy else "")}
    text += f" ({status.get(document.confidence, html.escape(document.confidence))})"
    if document.external:
        text += f'. <a href="{html.escape(document.url)}">{html.escape(short_url(document.url))}</a>'
    return text + "."


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


# --- the evidence of a verdict ------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One item of a verdict's evidence: what it shows, and the data row it rests on, resolved."""

    what: str
    ref: Ref
    citation: Citation


def evidence_items(claim_id: str, folder: str | Path | None = None, resolver: Resolver | None = None) -> list[Evidence]:
    """The evidence of one claim's verdict, in order (``data/evidence.csv``), each resolved to its document."""
    from briefing import data

    resolver = resolver or resolver_for(folder)
    chosen = resolver.evidence().get(claim_id, [])
    items = []
    for row in chosen:
        file = _text(row["file"])
        key = tuple(_text(row["key"]).split(data.KEY_SEPARATOR)) if _text(row["key"]) else ()
        ref = Ref(file, key, "")
        items.append(Evidence(_text(row["what"]), ref, resolver.resolve(ref)))
    return items


def _evidence_words(item: Evidence, link) -> str:
    """``what: Publisher, Title (linked), locator (primary)``; ``link(title, url)`` makes the link."""
    document, locator = item.citation.document, _cut(item.citation.locator, 60)
    if document.kind == ARTICLE:
        return f"{item.what}: the article, {locator}" if locator else f"{item.what}: the article"
    if document.kind in (OWN, DERIVED, DATA):
        return f"{item.what}: computed by the briefing" + (f" ({locator})" if locator else "")
    title = link(document.title, document.url) if document.external else document.title
    where = f", {locator}" if locator and locator != "whole file" else ""
    copy = document.copy.split("/")[0] if document.copy else ""
    status = f" ({document.confidence}" + (f", copy at {copy}" if copy else "") + ")"
    by = f"{document.publisher}, " if document.publisher else ""
    return f"{item.what}: {by}{title}{where}{status}"


def evidence(claim_id: str, folder: str | Path | None = None) -> Any:
    """The end of a verdict paragraph: ``Evidence:`` and each item with its source linked (Markdown)."""
    from IPython.display import Markdown

    from briefing.present import mark_french_markdown, md_escape

    items = evidence_items(claim_id, folder)
    lineage.note_shown(item.ref for item in items)
    words = [_evidence_words(item, lambda title, url: f"[{md_escape(title)}]({url})") for item in items]
    line = "; ".join(mark_french_markdown(_escape_outside_links(w, i)) for w, i in zip(words, items))
    return Markdown(f"**Evidence:** {line}." if items else "")


def _escape_outside_links(text: str, item: Evidence) -> str:
    """Escape the words of an evidence item, leaving its one Markdown link as a link."""
    from briefing.present import md_escape

    document = item.citation.document
    if not document.external:
        return md_escape(text)
    link = f"[{md_escape(document.title)}]({document.url})"
    head, _, tail = text.partition(link)
    return md_escape(head) + link + md_escape(tail)


def evidence_html(claim_id: str, folder: str | Path | None = None) -> str:
    """The documents a verdict rests on, each once and linked, as HTML for a table cell (the verdicts ledger):
    ``DeepSeek-AI, DeepSeek-V3 Technical Report; Meta, Llama 3.1 model card``."""
    import html

    items = evidence_items(claim_id, folder)
    lineage.note_shown(item.ref for item in items)
    parts = []
    for document in dict.fromkeys(item.citation.document for item in items):
        if document.kind == ARTICLE:
            parts.append("the article")
            continue
        if document.kind != "document":
            continue
        title = (f'<a href="{html.escape(document.url)}">{html.escape(document.title)}</a>' if document.external
                 else html.escape(document.title))
        parts.append(f"{html.escape(document.publisher)}, {title}" if document.publisher else title)
    return "; ".join(dict.fromkeys(parts))


def link_html(title: str, url: str, table: str = "") -> str:
    """A source's title linked to its URL, with the URL itself (shortened) after it, as a table cell's HTML:
    the site links the title; the printed page shows where to look. A file of the package (the article)
    or, for a row derived from other rows, its own table is named as ``data/FILE``, which the site links
    to the download."""
    import html

    url = web_url(str(url or ""))
    if not url.startswith(("http://", "https://")):
        where = url or (f"data/{table}" if table else "")
        return html.escape(str(title)) + (f" ({html.escape(where)})" if where else "")
    return (f'<a href="{html.escape(url)}">{html.escape(str(title))}</a> '
            f'<span class="source-url">({html.escape(short_url(url))})</span>')
