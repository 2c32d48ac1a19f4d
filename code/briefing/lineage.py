"""Lineage: the data rows each printed value was computed from.

A value read through :mod:`briefing.data` carries references (:class:`Ref`) to where it was
read: a table's row (by primary key) and column, a config file's key, a line of the article.
Arithmetic on such values returns a value carrying the union of their references, the way
the ``uncertainties`` package carries errors through arithmetic
(https://pythonhosted.org/uncertainties/user_guide.html): ``cost = hours * price`` knows both
rows it rests on. Formatting for prose (:mod:`briefing.present`) keeps them.

The traced types are subclasses of ``int``, ``float`` and ``str``, so every library and
chapter that takes a number or a string takes them unchanged. Three things lose a value's
lineage, and the coverage check (:func:`briefing.sources.chapter_sources`, the build's
report) finds the printed values they leave bare: ``float(x)`` / ``int(x)`` / ``str(x)``
(which return the plain type), NumPy scalars and arrays (``np.float64(x) * y``), and pandas
columns of a numeric dtype (``pd.DataFrame(rows)`` infers ``float64``: build tables with
``dtype=object``). ``plain_float * traced_int`` also drops it (Python asks ``float`` first).

When IPython shows a traced value (an inline expression's result), the value adds
:data:`MIME` to its bundle: its references as JSON, recorded in the executed notebook and
re-checked by nbval in a cold kernel. Every reference shown is remembered, in order, for
the chapter's list of sources.
"""

from __future__ import annotations

import datetime
import math
import operator
from typing import Any, Iterable, NamedTuple

MIME = "application/vnd.briefing.lineage+json"
ARTICLE = "article-fr.txt"


class Ref(NamedTuple):
    """Where a value was read: ``file`` in data/, the row's primary key (``key``, empty for a
    config or the article) and the column, config key (dotted when nested) or ``""``.

    A line of the article is ``Ref("article-fr.txt", ("9",), "")``.
    """

    file: str
    key: tuple[str, ...]
    field: str

    def as_json(self) -> str:
        """The reference as the notebook records it, one short string:
        ``training_runs.csv#deepseek-v3-total#gpu_hours``, ``market.csv#NVDA | 2025-01-27 | close_usd#value``,
        ``configs/deepseek-v3.json##kv_lora_rank`` (``%`` and ``#`` inside a part are percent-encoded)."""
        return "#".join([_quote(self.file), " | ".join(_quote(k) for k in self.key), _quote(self.field)])

    @classmethod
    def from_json(cls, item: str) -> Ref:
        file, key, field = item.split("#")
        return cls(_unquote(file), tuple(_unquote(k) for k in key.split(" | ")) if key else (), _unquote(field))

    @property
    def is_article(self) -> bool:
        return self.file == ARTICLE


def table_ref(path: str) -> Ref:
    """The reference to a whole file of data/ (every row of a table): what a count of its rows rests on."""
    return Ref(path, (), "")


def article_ref() -> Ref:
    """The reference to the whole article (a count of its words, its hash)."""
    return Ref(ARTICLE, (), "")


def _quote(text: str) -> str:
    return str(text).replace("%", "%25").replace("#", "%23").replace(" | ", " %7C ")


def _unquote(text: str) -> str:
    return text.replace(" %7C ", " | ").replace("%23", "#").replace("%25", "%")


def article_line(line: int) -> Ref:
    """The reference to line ``line`` (1-based) of the article."""
    return Ref(ARTICLE, (str(int(line)),), "")


_SHOWN: dict[Ref, None] = {}


def reset() -> None:
    """Forget the references shown so far (a forked kernel starts a new chapter)."""
    _SHOWN.clear()


def note_shown(refs: Iterable[Ref]) -> None:
    """Remember ``refs`` as shown on the chapter's page, in order of first showing."""
    for ref in sorted(refs):
        _SHOWN.setdefault(ref, None)


def shown() -> list[Ref]:
    """Every reference shown so far, in order of first showing."""
    return list(_SHOWN)


class Traced:
    """What the traced types share: ``refs``, and the lineage MIME type in their bundle."""

    refs: frozenset[Ref]

    def _repr_mimebundle_(self, include=None, exclude=None):
        note_shown(self.refs)
        return {MIME: {"refs": [r.as_json() for r in sorted(self.refs)]}}

    def __reduce__(self):
        return _rebuild, (type(self), self._plain(), tuple(self.refs))


def _rebuild(cls, value, refs):
    return cls(value, refs)


class TracedInt(Traced, int):
    """An ``int`` that knows the data it was read or computed from."""

    def __new__(cls, value, refs: Iterable[Ref] = ()):
        obj = int.__new__(cls, value)
        obj.refs = frozenset(refs)
        return obj

    def _plain(self) -> int:
        return int(self)


class TracedFloat(Traced, float):
    """A ``float`` that knows the data it was read or computed from."""

    def __new__(cls, value, refs: Iterable[Ref] = ()):
        obj = float.__new__(cls, value)
        obj.refs = frozenset(refs)
        return obj

    def _plain(self) -> float:
        return float(self)


class TracedStr(Traced, str):
    """A ``str`` that knows the data it was read or formatted from; slices and ``+`` keep it."""

    def __new__(cls, value, refs: Iterable[Ref] = ()):
        obj = str.__new__(cls, value)
        obj.refs = frozenset(refs)
        return obj

    def _plain(self) -> str:
        return str.__str__(self)

    def __getitem__(self, index):
        return traced(str.__getitem__(self, index), self.refs)

    def __add__(self, other):
        result = str.__add__(self, other)
        return result if result is NotImplemented else traced(result, self.refs | refs_of(other))

    def __radd__(self, other):
        if not isinstance(other, str):
            return NotImplemented
        return traced(str.__add__(other, self._plain()), self.refs | refs_of(other))


def refs_of(value: Any) -> frozenset[Ref]:
    """The references a value carries (none for a plain value)."""
    refs = getattr(value, "refs", None)
    return refs if isinstance(refs, frozenset) else frozenset()


def refs_in(*values: Any) -> frozenset[Ref]:
    """The union of the references of ``values``."""
    found: frozenset[Ref] = frozenset()
    for value in values:
        found |= refs_of(value)
    return found


def plain(value: Any) -> Any:
    """The value without its lineage (the plain ``int``, ``float`` or ``str``)."""
    return value._plain() if isinstance(value, Traced) else value


def traced(value: Any, refs: Iterable[Ref]) -> Any:
    """``value`` carrying ``refs`` (joined with those it has); a bool, None, NaN of no lineage and
    types that cannot carry lineage are returned as they are."""
    refs = frozenset(refs) | refs_of(value)
    if not refs or value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return TracedInt(int(value), refs)
    if isinstance(value, float):
        return TracedFloat(float(value), refs)
    if isinstance(value, str):
        return TracedStr(str.__str__(value), refs)
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a NumPy scalar
        return traced(value.item(), refs)
    if _is_date(value):
        return traced_date(value, refs)
    return value


# --- dates: a pandas Timestamp takes attributes, so it carries its refs as one ------------------------


def _is_date(value: Any) -> bool:
    return isinstance(value, datetime.date)


def traced_date(value: Any, refs: Iterable[Ref]) -> Any:
    """The date itself, carrying ``refs`` when it can take them as an attribute (a
    ``pandas.Timestamp`` can; a ``datetime.date`` cannot and is returned as it is)."""
    try:
        value.refs = frozenset(refs) | refs_of(value)
    except AttributeError:
        pass
    return value


# --- arithmetic -------------------------------------------------------------------------------------

_NUMBER_OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "floordiv": operator.floordiv, "mod": operator.mod, "pow": pow,
}


def _result(value: Any, refs: frozenset[Ref]) -> Any:
    if isinstance(value, bool) or not refs:
        return value
    if isinstance(value, int):
        return TracedInt(value, refs)
    if isinstance(value, float):
        return TracedFloat(value, refs)
    if isinstance(value, tuple):  # divmod
        return tuple(_result(v, refs) for v in value)
    return value


def _unwrap(value: Any) -> Any:
    return value._plain() if isinstance(value, (TracedInt, TracedFloat)) else value


def _binary(op):
    def forward(self, other):
        result = op(self._plain(), _unwrap(other))
        if result is NotImplemented:
            return result
        return _result(result, self.refs | refs_of(other))

    def reflected(self, other):
        result = op(_unwrap(other), self._plain())
        if result is NotImplemented:
            return result
        return _result(result, self.refs | refs_of(other))

    return forward, reflected


def _unary(op):
    def method(self, *args):
        return _result(op(self._plain(), *args), self.refs)

    return method


for _name, _op in _NUMBER_OPS.items():
    _forward, _reflected = _binary(_op)
    for _cls in (TracedInt, TracedFloat):
        setattr(_cls, f"__{_name}__", _forward)
        setattr(_cls, f"__r{_name}__", _reflected)
_divmod_forward, _divmod_reflected = _binary(divmod)
for _cls in (TracedInt, TracedFloat):
    _cls.__divmod__, _cls.__rdivmod__ = _divmod_forward, _divmod_reflected
    for _name, _op in (("neg", operator.neg), ("pos", operator.pos), ("abs", abs), ("round", round),
                       ("floor", math.floor), ("ceil", math.ceil), ("trunc", math.trunc)):
        setattr(_cls, f"__{_name}__", _unary(_op))


def whole(value: Any) -> Any:
    """``int(value)`` keeping the value's lineage (``int()`` itself returns a plain ``int``)."""
    return traced(int(value), refs_of(value))


def count(items: Any) -> TracedInt | int:
    """How many ``items`` there are, carrying what the count rests on: for a table loaded by
    :mod:`briefing.data`, its rows (their key cells); for another DataFrame, its row labels and
    cells; for a Series, its values; for any other collection, its elements.

    ``len()`` returns a plain ``int``; a count printed in the prose should say which rows it counts.
    """
    refs: frozenset[Ref] = frozenset()
    if hasattr(items, "columns") and hasattr(items, "index"):
        keys = [k for k in items.attrs.get("briefing_key", []) if k in items.columns]
        for column in keys:
            refs |= refs_in(*items[column])
        if not refs:
            refs = refs_in(*items.index)
            for column in items.columns:
                refs |= refs_in(*items[column])
    elif hasattr(items, "index") and hasattr(items, "dtype"):
        refs = refs_in(*items) | refs_in(*items.index)
    else:
        refs = refs_in(*list(items))
    return TracedInt(len(items), refs) if refs else len(items)


def lineage_of(outputs: list) -> list[Ref] | None:
    """The references recorded with an executed cell's result (``None`` when it records none)."""
    for out in outputs:
        data = out.get("data", {}) if isinstance(out, dict) else {}
        if MIME in data:
            payload = data[MIME]
            return [Ref.from_json(item) for item in payload.get("refs", [])]
    return None
