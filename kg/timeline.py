"""The pages' time slider: the network and the headline at each year the data has.

The years are those at which a dated fact starts or ends (:func:`kg.asof.fact_years`, by the one rule
:func:`kg.rules.change_years`).  For each of them ``kg viz`` builds the region as of that year's last day with
the machinery of ``--as-of`` (:func:`kg.build.build` with ``as_of``: the rules applied to the facts that hold
then) and draws the same views from it, so that the slider's year ``Y`` says what ``kg viz hq --as-of Y`` and
``kg query control-summary --as-of Y`` say, digit for digit.  Between two of these years the year-end picture
does not change, so the slider has a stop at each of them and nowhere else; the last stop is the page as it
was built (from every fact), merged with the last year's where the two are the same.  A page that is the
same in every year (no dated fact changes its network or its headline) has no slider.

The page carries, per stop, only what differs from the page as drawn (:func:`slider_data`): the ids of the
drawn nodes and lines that are not there that year, the ids of the nodes and lines that are there that year
but not on the page (a site closed since, a parent no longer in force: drawn from that year's view, once, in
``extra``), what differs of the others (a node's colours, jobs, size, shape and panel table, a line's jobs and
look: a firm whose parent came later is coloured by where it was run from then) and the headline (the hq
view's sentence, the areas and the places of control; the clusters view's ties counted) and legend (its order:
by the jobs run from each place then); each headline, legend and set of changes once.  Where the page is drawn
aggregated (past the node budget) a group stands for its members: it is there in a year
where one of them is.

    >>> import networkx as nx
    >>> from kg.html import page_data
    >>> page = nx.DiGraph(); page.add_edge("site", "firm")
    >>> drawn = page_data(page)
    >>> then = nx.DiGraph(); then.add_node("firm")
    >>> data = slider_data(drawn, page, [("2019", then), ("2024", page)])
    >>> [(s["label"], s["absent"], s["absentEdges"]) for s in data["stops"]], data["start"]
    ([('2019', ['site'], [0]), ('2024', [], [])], 1)
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the command line imports this module to name SLIDER_BUDGET: networkx only when drawing
    import networkx as nx

#: The views whose pages have a time slider.
TIMELINE_VIEWS = ("hq", "clusters")
#: The label of the slider's last stop where the page (built from every fact) differs from the last year's.
EVERY_FACT = "every fact"

Stops = list[tuple[str, "nx.Graph[str]"]]
#: Past this many table rows times years, ``kg viz`` draws no slider unless told to (``--slider yes``): each year
#: is a build of its own (the repository's data: 400 rows, 11 years; 100,000 synthetic firms: about two minutes
#: a build, and a year for every event).
SLIDER_BUDGET = 500_000
#: What a year may change of a node the page draws (:func:`kg.html._page_node`'s keys): its colours and what the
#: legend counts, its jobs, size and shape, and the facts of its side panel's table.
NODE_FIELDS = ("c", "k", "jobs", "size", "shape", "info")
#: ... and of a line (:func:`kg.html._page_edge`'s keys): the jobs run along it and how it is drawn.
EDGE_FIELDS = ("jobs", "width", "color", "dashed", "opacity", "info")


def year_views(data: str | Path, ontology: str | Path, names: Iterable[str], *, base: str | None = None,
               reading: str | None = None, project: Any = None, region: str | None = None,
               progress: Callable[[str], None] | None = None, budget: int | None = SLIDER_BUDGET,
               before: bool = False, override: str = "--slider yes",
               counted: tuple[int, list[int]] | None = None) -> dict[str, Stops]:
    """view name -> (year, the view as of that year's last day) for each year the data has, of the views in
    ``names`` that have a slider (:data:`TIMELINE_VIEWS`); built as ``kg viz VIEW --as-of YEAR`` builds them
    (the same data, ontology, base, reading, project and region), each from one reading of the tables.  Empty
    where no fact is dated, or where the tables' rows times the years are more than ``budget`` (None: no limit),
    which ``progress`` is told (naming ``override``, the option that lifts the budget).
    ``before``: the year before the first comes first (what held until the data's first change: the GEXF's
    attributes over time, :mod:`kg.history`; the slider starts at the first change).
    ``counted``: the tables' rows and years where they are known (:attr:`kg.build.BuildResult.rows`, recorded in
    ``build.json``): a slider past the budget is then left out without reading the tables.
    """
    from .asof import as_of_date, fact_years
    from .build import build
    from .tables import read_tables
    from .views import build_views

    say = progress or (lambda message: None)
    wanted = [n for n in names if n in TIMELINE_VIEWS]
    if not wanted:
        return {}
    tables = None
    if counted is None:
        tables = read_tables(data)
        counted = (tables.row_count, fact_years(tables))
    rows, years = counted
    if before and years:
        years = [years[0] - 1, *years]
    if budget is not None and rows * len(years) > budget:
        say(f"time slider left out: {len(years):,} years of {rows:,} rows would be {len(years):,} builds "
            f"(more than {budget:,} rows in all); {override} draws it")
        return {}
    out: dict[str, Stops] = {name: [] for name in wanted if years}
    if years and tables is None:
        tables = read_tables(data)
    for year in years:
        day: datetime.date = as_of_date(str(year))
        say(f"time slider: the region as of {day.isoformat()}")
        store = build(data, ontology, base=base, reading=reading, project=project, as_of=day, tables=tables).store
        for name, graph in build_views(store, wanted, region=region).items():
            out[name].append((str(year), graph))
    return out


def _edge_key(u: str, v: str, directed: bool) -> tuple[str, str]:
    return (u, v) if directed or u <= v else (v, u)


class _Page:
    """The drawn page's nodes and lines, and the nodes and lines of other years that it does not have."""

    def __init__(self, drawn: dict[str, Any], graph: nx.Graph[str]) -> None:
        self.directed = bool(drawn["directed"])
        self.node_ids = [n["id"] for n in drawn["nodes"]]
        self.edges: dict[tuple[str, str], int] = {_edge_key(e["from"], e["to"], self.directed): e["id"]
                                                  for e in drawn["edges"]}
        # a node the node budget folded into a group is drawn as that group
        self.folded = {str(m[0]): str(n) for n, d in graph.nodes(data=True) for m in d.get("members") or ()}
        self.drawn = set(self.node_ids)
        self.page_nodes = {n["id"]: n for n in drawn["nodes"]}
        self.page_edges = {e["id"]: e for e in drawn["edges"]}
        self.extra_nodes: dict[str, dict[str, Any]] = {}
        self.extra_edges: dict[tuple[str, str], dict[str, Any]] = {}

    def node(self, n: str, d: dict[str, Any]) -> str:
        """The page's id of a year's node, drawing it as an extra where the page does not have it."""
        from .html import _page_node

        n = str(n)
        if n in self.drawn:
            return n
        if n in self.folded:
            return self.folded[n]
        if n not in self.extra_nodes:
            self.extra_nodes[n] = _page_node(n, d)
        return n

    def edge(self, u: str, v: str, d: dict[str, Any]) -> int | str:
        """The page's id of a year's line between page ids ``u`` and ``v`` (an extra where the page has none)."""
        from .html import _page_edge

        key = _edge_key(u, v, self.directed)
        if key in self.edges:
            found: int = self.edges[key]
            return found
        if key not in self.extra_edges:
            self.extra_edges[key] = dict(_page_edge(0, u, v, d), id=f"then-{len(self.extra_edges)}")
        return str(self.extra_edges[key]["id"])

    def changes(self, graph: nx.Graph[str], lines: dict[int | str, tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
        """What differs in ``graph`` (a year's view) of the nodes and lines the page draws as they are (not a
        group of the node budget): node id -> the :data:`NODE_FIELDS` that differ, line id -> the
        :data:`EDGE_FIELDS` (None where the year has no value)."""
        from .html import _page_edge, _page_node

        def diff(now: dict[str, Any], then: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
            return {f: then.get(f) for f in fields if then.get(f) != now.get(f)}

        nodes = {n: diff(self.page_nodes[n], _page_node(n, d), NODE_FIELDS)
                 for n, d in graph.nodes(data=True) if n in self.drawn}
        edges = {i: diff(self.page_edges[i], _page_edge(i, u, v, d), EDGE_FIELDS)
                 for i, (u, v, d) in lines.items() if isinstance(i, int) and u in self.drawn and v in self.drawn}
        return {"nodes": {n: d for n, d in nodes.items() if d}, "edges": {str(i): d for i, d in edges.items() if d}}

    def stop(self, label: str, graph: nx.Graph[str]) -> dict[str, Any]:
        """What the page shows of ``graph`` (a year's view): which of its nodes and lines are not there, which
        extra ones are, what differs of the others, and the year's headline."""
        ids = {n: self.node(n, d) for n, d in graph.nodes(data=True)}
        lines = {self.edge(ids[u], ids[v], d): (u, v, d) for u, v, d in graph.edges(data=True) if ids[u] != ids[v]}
        present = set(ids.values())
        return {"label": label, "absent": [n for n in self.node_ids if n not in present],
                "absentEdges": [i for i in self.edges.values() if i not in lines],
                "extra": sorted(n for n in present if n in self.extra_nodes),
                "extraEdges": sorted(str(i) for i in lines if isinstance(i, str)),
                "changed": self.changes(graph, lines), "headline": graph.graph.get("headline"),
                "legend": graph.graph.get("legend", {})}


def _shared(stops: list[dict[str, Any]], key: str) -> list[Any]:
    """Each different value of the stops' ``key`` once; each stop names its value by its place in the list."""
    values: list[Any] = []
    for stop in stops:
        if stop[key] not in values:
            values.append(stop[key])
        stop[key] = values.index(stop[key])
    return values


def slider_data(drawn: dict[str, Any], graph: nx.Graph[str], stops: Stops) -> dict[str, Any] | None:
    """The slider's part of a page's data (see the module's description): ``drawn`` is the page's data
    (:func:`kg.html.page_data`), ``graph`` the view as drawn (after the node budget), ``stops`` (year, the view
    as of that year) from :func:`year_views`.  None where there is no year to show, or where every year shows
    the page as it is.
    """
    if not stops:
        return None
    page = _Page(drawn, graph)
    out = [page.stop(label, view) for label, view in stops]
    now: dict[str, Any] = {"label": EVERY_FACT, "absent": [], "absentEdges": [], "extra": [], "extraEdges": [],
                           "changed": {"nodes": {}, "edges": {}}, "headline": drawn.get("headline"),
                           "legend": drawn.get("legend", {})}
    if {**out[-1], "label": EVERY_FACT} != now:
        out.append(now)
    if all({**stop, "label": ""} == {**now, "label": ""} for stop in out):
        return None  # the same picture in every year: a slider that moves nothing would say the page is broken
    return {"stops": out, "start": len(out) - 1, "headlines": _shared(out, "headline"),
            "changes": _shared(out, "changed"), "legends": _shared(out, "legend"),
            "extra": {"nodes": list(page.extra_nodes.values()), "edges": list(page.extra_edges.values())}}
