"""Lines held aside: a view's lines kept beside its graph as arrays of numbers, not as networkx edges.

A view drawn only as a page, and past its node budget, never draws its own lines: the page draws groups and the
lines between them merged by relation (:func:`kg.views.budget.within_budget`).  At 100,000 firms the full view has
two million lines; as networkx edges they take a dict each and most of the view's time, only to be merged.  Held
aside (:class:`HeldLines`, the graph's attribute :data:`LINES_ASIDE`) they are three arrays, and give the
aggregation all it reads of a graph's lines: each node's degree, how many lines there are, and the lines between
two groups merged (:meth:`HeldLines.merged`), in the order a walk over the graph's edges would meet them, so that
the page is the one drawn from the same graph with its lines as edges.
"""
from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

#: The graph attribute that holds a view's lines held aside (a :class:`HeldLines`); a graph that has it has no
#: edges of its own, and is drawn only as an aggregated page (never written as a graph file).
LINES_ASIDE = "lines_aside"


@dataclass
class Merged:
    """The lines from one group to another merged: how many (``weight``), their relations, and the regional jobs
    they carry."""

    weight: int = 0
    relations: set[str] = field(default_factory=set)
    jobs: int = 0


class HeldLines:
    """The lines of a directed multigraph over ``nodes`` (in the graph's node order), each a source, a target and
    a relation: one line a relation between two nodes, however often stated (as a ``MultiDiGraph`` keyed by
    relation holds them).  With ``directed=False``, the lines of an undirected graph (``nx.Graph``): one line
    two nodes, whatever its relation (the first stated), in the order they were added.

    >>> lines = HeldLines(["a", "b", "c"], [("a", "b", "p"), ("a", "c", "p"), ("a", "b", "p"), ("c", "b", "q")])
    >>> len(lines), [lines.degree(v) for v in "abc"]
    (3, [2, 2, 2])
    >>> lines.merged({"a": "A", "b": "B", "c": "B"})
    {('A', 'B'): Merged(weight=2, relations={'p'}, jobs=0)}
    >>> lines = HeldLines(["a", "b", "c"], [("c", "a", "p"), ("b", "a", "q"), ("a", "c", "q")], directed=False)
    >>> len(lines), lines.merged({"a": "B", "b": "A", "c": "C"})
    (2, {('B', 'C'): Merged(weight=1, relations={'p'}, jobs=0), ('A', 'B'): Merged(weight=1, relations={'q'}, jobs=0)})
    """

    def __init__(self, nodes: Iterable[str], lines: Iterable[tuple[str, str, str]], directed: bool = True) -> None:
        self.nodes = list(nodes)
        self.directed = directed
        self._index = {v: i for i, v in enumerate(self.nodes)}
        self._hold(self._index, ((u, r, v) for u, v, r in lines), str)

    @classmethod
    def of_terms(cls, nodes: Iterable[str], rows: Iterable[Sequence[str]], relation: Callable[[str], str]) -> HeldLines:
        """The lines of rows as the engine's text writes them (:func:`kg.query.select_terms`: subject, property,
        object; an IRI as ``<iri>``) from one of ``nodes`` to another, each named ``relation(property IRI)`` (one
        name a property); the others left out.  The terms are looked up as they are written, not taken apart: the
        full view reads two million rows at 100,000 firms.

        >>> lines = HeldLines.of_terms(["a", "b"], [["<a>", "<p>", "<b>"], ["<a>", "<p>", '"x"']], str.upper)
        >>> len(lines), lines.relations
        (1, ['P'])
        """
        held = cls.__new__(cls)
        held.nodes = list(nodes)
        held.directed = True
        held._index = {v: i for i, v in enumerate(held.nodes)}
        held._hold({f"<{v}>": i for v, i in held._index.items()}, rows, lambda term: relation(term[1:-1]))
        return held

    def _hold(self, index: dict[str, int], rows: Iterable[Sequence[str]], relation: Callable[[str], str]) -> None:
        """Hold the rows (source, property, target, as ``index`` keys them) between two indexed nodes."""
        import numpy as np

        kinds: dict[str, int] = {}  # a property, as the rows write it -> its number
        flat = array("q")  # source, target, relation of each line as stated: 24 bytes a line, no object
        find = index.get
        for u, p, v in rows:
            source, target = find(u), find(v)
            if source is None or target is None:
                continue
            kind = kinds.get(p)
            if kind is None:
                kind = kinds[p] = len(kinds)
            flat.extend((source, target, kind))
        self.relations = [relation(p) for p in kinds]
        table = np.frombuffer(flat, dtype=np.int64).reshape(-1, 3)
        n, r = max(len(self.nodes), 1), max(len(kinds), 1)
        if self.directed:
            # each line once, where it was first stated (a line stated in two graphs is one line)
            _, first = np.unique((table[:, 0] * n + table[:, 1]) * r + table[:, 2], return_index=True)
            table = table[np.sort(first)]
            # then in the order networkx walks a MultiDiGraph's edges: by source in node order, a source's targets
            # in the order its first line to each was added, a pair's relations in the order added (a stable sort)
            _, pair_first, pair_of = np.unique(table[:, 0] * n + table[:, 1], return_index=True,
                                               return_inverse=True)
            table = table[np.lexsort((pair_first[pair_of], table[:, 0]))]
        else:
            # each pair once, where first added; from its end first in node order, as networkx walks a Graph's
            # edges: by that end in node order, its lines in the order they were added (a stable sort)
            low, high = table[:, :2].min(axis=1), table[:, :2].max(axis=1)
            _, first = np.unique(low * n + high, return_index=True)
            first = np.sort(first)
            table = np.column_stack((low[first], high[first], table[first, 2]))
            table = table[np.argsort(table[:, 0], kind="stable")]
        self._source, self._target, self._relation = table[:, 0], table[:, 1], table[:, 2]
        size = len(self.nodes)
        self._degrees: list[int] = (np.bincount(self._source, minlength=size)
                                    + np.bincount(self._target, minlength=size)).tolist()

    def __len__(self) -> int:
        """How many lines (``len(g.edges)`` of the graph with them as edges)."""
        return len(self._source)

    def ends(self) -> tuple[Any, Any]:
        """Each line's two ends as numbers of :attr:`nodes` (numpy arrays), in the order a walk over the graph's
        edges meets them, each from the end it meets it at."""
        return self._source, self._target

    def degree(self, v: str) -> int:
        """A node's lines, in and out (``g.degree(v)`` of the graph with them as edges)."""
        return self._degrees[self._index[v]]

    def merged(self, where: Mapping[str, str]) -> dict[tuple[str, str], Merged]:
        """The lines between groups merged (``where``: every node -> its group; a line within a group is left
        out), in the order a walk over the graph's edges meets each pair of groups first; they carry no jobs."""
        import numpy as np

        groups: dict[str, int] = {}
        group = np.fromiter((groups.setdefault(where[v], len(groups)) for v in self.nodes), dtype=np.int64,
                            count=len(self.nodes))
        names, g, r = list(groups), max(len(groups), 1), max(len(self.relations), 1)
        a, b = group[self._source], group[self._target]
        if not self.directed:  # a pair of groups in the order of their names (str), as kg.views.budget keys it
            rank = np.empty(len(names), dtype=np.int64)
            rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
            a, b = np.where(rank[a] <= rank[b], a, b), np.where(rank[a] <= rank[b], b, a)
        between = a != b
        pair = a[between] * g + b[between]
        pairs, first, counts = np.unique(pair, return_index=True, return_counts=True)
        out: dict[tuple[str, str], Merged] = {}
        for i in np.argsort(first).tolist():
            p = int(pairs[i])
            out[(names[p // g], names[p % g])] = Merged(weight=int(counts[i]))
        for kind in np.unique(pair * r + self._relation[between]).tolist():
            p, relation = divmod(kind, r)
            out[(names[p // g], names[p % g])].relations.add(self.relations[relation])
        return out


def lines_aside(g: nx.Graph[Any]) -> HeldLines | None:
    """The lines a view's graph holds aside (:data:`LINES_ASIDE`), or None: its lines are its edges."""
    held = g.graph.get(LINES_ASIDE)
    return held if isinstance(held, HeldLines) else None


def degree_of(g: nx.Graph[Any]) -> Callable[[str], int]:
    """A node's number of lines, in and out, of a view: of its edges, or of the lines it holds aside."""
    held = lines_aside(g)
    return held.degree if held is not None else lambda v: int(g.degree(v))


def line_count(g: nx.Graph[Any]) -> int:
    """How many lines a view has, its edges or the lines it holds aside (the length of the edge view walks each
    line once; ``number_of_edges`` sums every node's degree, in and out)."""
    held = lines_aside(g)
    return len(g.edges) + (len(held) if held is not None else 0)
