"""Attributes over time: the values a node or a line of a view takes in each period of the data's years.

The years are the time slider's (:func:`kg.timeline.year_views` with ``before``: the region as of the last day
of the year before the data's first change, then of each year at which a dated fact starts or ends, each built
as ``--as-of YEAR`` builds it).  The view as of year ``Y`` holds from 1 January of ``Y`` (the first stop: from
the beginning) to 31 December of the year before the next stop (the last: on), the days by
:func:`kg.rules.spell`.  For each element of the view as exported (built from every fact) and each attribute
of :data:`CHANGING`, :func:`attribute_periods` gives the values over these periods where they differ between
years: a site's control before and after its firm's parent came.  An element whose value is the same in every
year it is there has none, and keeps its one value.  The GEXF writer (:mod:`kg.export`) writes them as
dynamic attribute values (``<attvalue ... start=".." end=".."/>``).

    >>> import networkx as nx
    >>> before, after = nx.DiGraph(), nx.DiGraph()
    >>> before.add_node("site", control="inside", size=8); after.add_node("site", control="abroad", size=8)
    >>> periods = attribute_periods(after, [("2019", before), ("2020", after)])
    >>> periods.nodes["site"]
    {'control': [('inside', None, '2019-12-31'), ('abroad', '2020-01-01', None)]}
    >>> periods.node_attributes, periods.edges
    (frozenset({'control'}), {})
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .rules import spell

if TYPE_CHECKING:
    import networkx as nx

#: The attributes of a node or a line that may differ from year to year (what ``--as-of`` changes of a view):
#: where control sits, the jobs, and the colours that say so (the ``viz:color`` element of GEXF 1.3 has no time,
#: so the colour over time is the ``color`` attribute).
CHANGING = ("control", "outside", "control_area", "control_area_id", "controlled_by", "control_place", "local_hq",
            "headcount", "jobs", "centre", "color", "color_control", "color_centre")

#: A value and the first and the last day it holds (ISO dates; None: open).
Period = tuple[Any, "str | None", "str | None"]
#: element -> attribute -> its periods, in time order.
ElementPeriods = dict[Hashable, dict[str, list[Period]]]


class Periods(NamedTuple):
    """The attributes over time of a view's nodes and lines (a line by its ends, and its key in a multigraph);
    ``node_attributes`` and ``edge_attributes``: the attributes that change for some node or line."""

    nodes: ElementPeriods
    edges: ElementPeriods
    node_attributes: frozenset[str]
    edge_attributes: frozenset[str]


NO_PERIODS = Periods({}, {}, frozenset(), frozenset())


def stop_days(years: Sequence[str]) -> list[tuple[str | None, str | None]]:
    """The first and the last day on which the view as of each of ``years`` (the stops, in order) holds.

    >>> stop_days(["2019", "2020", "2024"])
    [(None, '2019-12-31'), ('2020-01-01', '2023-12-31'), ('2024-01-01', None)]
    """
    out = []
    for i, year in enumerate(years):
        first, last = spell(year if i else "", str(int(years[i + 1]) - 1) if i + 1 < len(years) else "")
        out.append((first.isoformat() if first else None, last.isoformat() if last else None))
    return out


#: The value of an attribute in a year its element is not there.
_ABSENT = object()


def _series(values: Iterable[tuple[Any, tuple[str | None, str | None]]]) -> list[Period] | None:
    """The periods of one attribute of one element from its value at each stop (None: the element is there
    without it; :data:`_ABSENT`: the element is not there), the same value in successive stops merged; None where
    it has the same value in every stop the element is there."""
    periods: list[Period] = []
    for value, (first, last) in values:
        if periods and periods[-1][0] is value or (periods and value is not _ABSENT and periods[-1][0] == value):
            periods[-1] = (value, periods[-1][1], last)
        else:
            periods.append((value, first, last))
    there = [value for value, _, _ in periods if value is not _ABSENT]
    if all(value == there[0] for value in there):
        return None
    return [p for p in periods if p[0] is not None and p[0] is not _ABSENT]


def _element_periods(elements: Iterable[tuple[Hashable, dict[str, Any]]], years: list[dict[Hashable, dict[str, Any]]],
                     days: list[tuple[str | None, str | None]]) -> ElementPeriods:
    out: ElementPeriods = {}
    for key, now in elements:
        for attribute in CHANGING:
            if attribute in now:
                series = _series(((then[key].get(attribute) if key in then else _ABSENT), day)
                                 for then, day in zip(years, days, strict=True))
                if series is not None:
                    out.setdefault(key, {})[attribute] = series
    return out


def _edges(graph: nx.Graph[Any]) -> dict[Hashable, dict[str, Any]]:
    import networkx as nx

    if isinstance(graph, nx.MultiGraph):
        return {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)}
    return {(u, v): d for u, v, d in graph.edges(data=True)}


def attribute_periods(graph: nx.Graph[Any], stops: Sequence[tuple[str, nx.Graph[Any]]]) -> Periods:
    """The attributes of :data:`CHANGING` of ``graph``'s nodes and lines over the periods of ``stops`` (year,
    the view as of that year; the first holds from the beginning, see the module's description), for those
    whose value differs between years; :data:`NO_PERIODS` where there is no stop or nothing changes.

    Only the attributes an element has in ``graph`` are followed (a value that comes and goes with the years is
    left out in the years it is not there, as is every value of a year the element is not there)."""
    if not stops:
        return NO_PERIODS
    days = stop_days([year for year, _ in stops])
    nodes = _element_periods(graph.nodes(data=True), [dict(view.nodes(data=True)) for _, view in stops], days)
    edges = _element_periods(_edges(graph).items(), [_edges(view) for _, view in stops], days)
    return Periods(nodes, edges, frozenset(a for d in nodes.values() for a in d),
                   frozenset(a for d in edges.values() for a in d))
