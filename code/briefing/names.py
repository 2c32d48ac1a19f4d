"""The names a chapter's code defines, read from its cells (Python's ``ast``), not by running them.

A printed value's expression (``times(ratio_naive)``) rests on names the chapter defined
earlier (``ratio_naive = v3_mha_naive / v3_mla``, and so on back to the data). :func:`intermediates`
lists them, each with the cell that last defined it before the value, for the reader's popup;
:func:`closure` gives them all, for the check that a value computed from data carries its rows.

Only top-level statements define names; a function's body is followed through (the names it
uses count as used by whatever calls it) but the function itself is not a value and is not listed.
"""

from __future__ import annotations

import ast
import builtins
import functools
from dataclasses import dataclass

BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class Definition:
    """``name`` defined in cell ``cell`` (its position ``index`` in the notebook), using ``uses``."""

    name: str
    cell: str
    index: int
    uses: frozenset[str]
    is_value: bool


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stores(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _statement(node: ast.stmt) -> list[tuple[str, frozenset[str], bool]]:
    """(name, names used, is a value) for each name a top-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        params = {a.arg for a in ast.walk(node) if isinstance(a, ast.arg)}
        local = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        return [(node.name, frozenset(_loads(node) - params - local - {node.name}), False)]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [((alias.asname or alias.name).split(".")[0], frozenset(), False) for alias in node.names]
    if isinstance(node, ast.Assign):
        uses = frozenset(_loads(node.value) | set().union(*(_loads(t) for t in node.targets)))
        return [(name, uses, True) for target in node.targets for name in sorted(_stores(target))]
    if isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
        uses = _loads(node.value) | _loads(node.target)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            uses.add(node.target.id)
        return [(name, frozenset(uses), True) for name in sorted(_stores(node.target))]
    if isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.If, ast.While, ast.Try)):
        uses = frozenset(_loads(node))
        stored = set()
        for child in ast.walk(node):
            if isinstance(child, (ast.Assign,)):
                for target in child.targets:
                    stored |= _stores(target)
            elif isinstance(child, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
                stored |= _stores(child.target)
            elif isinstance(child, ast.withitem) and child.optional_vars is not None:
                stored |= _stores(child.optional_vars)
        return [(name, uses, True) for name in sorted(stored)]
    if isinstance(node, ast.Expr):  # a mutation such as frame.loc[...] = ..., or names.append(x), uses its names
        return []
    return []


def definitions(cells: list[tuple[str, str]]) -> list[Definition]:
    """Every top-level definition in ``cells`` (``(cell id, source)`` in notebook order)."""
    found = []
    for index, (cell, source) in enumerate(cells):
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            for name, uses, is_value in _statement(node):
                found.append(Definition(name, cell, index, uses, is_value))
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                # frame["col"] = ...: the frame now also rests on the value's names
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, (ast.Subscript, ast.Attribute)):
                        base = target
                        while isinstance(base, (ast.Subscript, ast.Attribute)):
                            base = base.value
                        if isinstance(base, ast.Name):
                            found.append(Definition(base.id, cell, index,
                                                    frozenset(_loads(node.value) | {base.id}), True))
    return found


class Names:
    """Definitions of one chapter, looked up as of a position in its notebook."""

    def __init__(self, cells: list[tuple[str, str]]):
        self.defs = definitions(cells)

    def _before(self, name: str, index: int) -> list[Definition]:
        return [d for d in self.defs if d.name == name and d.index < index]

    def closure(self, expr: str, index: int) -> list[tuple[str, str, bool]]:
        """``(name, cell, is_value)`` for every chapter name ``expr`` rests on, nearest first (breadth first),
        as defined before notebook position ``index``; each name once, at its last definition."""
        start = _expression_names(expr)
        if start is None:
            return []
        seen: dict[str, tuple[str, str, bool]] = {}
        queue = sorted(start)
        position = {name: index for name in queue}
        while queue:
            name = queue.pop(0)
            if name in seen or name in BUILTINS and not self._before(name, position[name]):
                continue
            defs = self._before(name, position[name])
            if not defs:
                continue
            last = defs[-1]
            seen[name] = (name, last.cell, last.is_value)
            uses: set[str] = set()
            for d in defs:
                uses |= d.uses
            for used in sorted(uses):
                if used not in seen and used not in position:
                    position[used] = last.index + 1
                    queue.append(used)
        return list(seen.values())

    def intermediates(self, expr: str, index: int, limit: int = 8) -> list[tuple[str, str]]:
        """The named values (not functions or modules) ``expr`` rests on, nearest first, with the cell
        that defines each: what the reader's popup lists."""
        return [(name, cell) for name, cell, is_value in self.closure(expr, index) if is_value][:limit]


@functools.lru_cache(maxsize=4096)
def _expression_names(expr: str) -> frozenset[str] | None:
    try:
        return frozenset(_loads(ast.parse(expr, mode="eval")))
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=64)
def names_of(cells: tuple[tuple[str, str], ...]) -> Names:
    """The :class:`Names` of a notebook's code cells, read once per process (the engine and the coverage
    count both ask)."""
    return Names(list(cells))
