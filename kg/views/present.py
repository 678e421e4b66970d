"""The presentation step every view ends with: colours, shapes, sizes, both layouts, GEXF viz, sources and legend."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx

from ..rules import credit_line
from .catalogue import Catalog
from .layout import _Projection, force_layout, geographic_layout, region_areas
from .style import GEXF_SHAPES, NEUTRAL, SHAPES, _rgb, headcount_size, legend, style_edges


def _finish(g: nx.Graph[str], cat: Catalog, sizes: Callable[[dict[str, Any]], int | None],
            cited: Iterable[str] = ()) -> None:
    """Default colour, shape, size, both layouts and the GEXF ``viz`` of every node; width and colour of
    every line (:func:`kg.views.style.style_edges`); the sources the nodes, the lines and ``cited`` (those of
    the lines held aside) cite, with their credit line."""
    color_by = g.graph["color_by"]
    for _, d in g.nodes(data=True):
        d["color"] = d.get(f"color_{color_by}", NEUTRAL)
        d["shape"] = d.get("shape") or SHAPES.get(d["type"], "dot")
        d["size"] = headcount_size(sizes(d))
    geo = geographic_layout(g, cat)
    force = force_layout(g, geo)
    project = _Projection(cat)
    for n, d in g.nodes(data=True):  # how far a place outside the region is: the map compresses it
        if d["type"] == "place" and n in cat.coords and not cat.in_region(n):
            d["distance_km"] = round(project.distance_km(cat.coords[n]))
    on_map = g.graph.get("viz_layout") == "geo"
    for n, d in g.nodes(data=True):
        # stored with y pointing up (north up), as Gephi and sigma.js read positions; the layouts
        # work in screen coordinates (y down), and the page turns them back. Never attributes named x / y:
        # Gephi would take them for its own position columns, and the drawn position is viz's alone
        d["force_x"], d["force_y"] = force[n][0], -force[n][1]
        d["geo_x"], d["geo_y"] = geo[n][0], -geo[n][1]
        x, y = (d["geo_x"], d["geo_y"]) if on_map else (d["force_x"], d["force_y"])
        d["viz"] = {"color": _rgb(d["color"]), "size": d["size"], "position": {"x": x, "y": y, "z": 0.0},
                    "shape": GEXF_SHAPES.get(d["shape"], "disc")}
    style_edges(g)
    g.graph["sources"] = {k: cat.sources[k] for k in sorted({s for _, d in g.nodes(data=True)
                                                             for f in d.get("facts", []) for s in f["src"]}
                                                            | {s for _, _, said in g.edges(data="source", default="")
                                                               for s in said.split(";") if s} | set(cited))
                          if k in cat.sources}
    g.graph["credit"] = _credit(cat, g.graph["sources"])
    g.graph["legend"] = legend(g, cat)
    g.graph["areas"] = region_areas(cat)


def _credit(cat: Catalog, cited: dict[str, dict[str, str]]) -> str:
    """The credit line's data (:func:`kg.rules.credit_line`) for the sources a page cites."""
    return credit_line({k: v.get("title", k) for k, v in cat.sources.items()}, cat.source_part_of, cited,
                       cat.study_credit)
