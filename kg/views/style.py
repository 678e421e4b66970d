"""Presentation: colours (colour-blind safe), shapes, sizes, line widths and colours, and the legends of the views."""
from __future__ import annotations

import functools
import math
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx

from ..rules import ABROAD, CONTROL_CLASSES, INSIDE, UNKNOWN

if TYPE_CHECKING:  # the catalogue takes its subsector colours from here
    from .catalogue import Catalog


#: Colours of the control classes (colour-blind safe, Okabe-Ito).
#: Colours of the places of control (Paul Tol's "muted" scheme, told apart under the common colour-vision
#: deficiencies): the region's own first, then one a Land or country by regional jobs; the rest dark grey.
CENTRE_PALETTE = ("#117733", "#CC6677", "#332288", "#DDCC77", "#88CCEE", "#882255", "#AA4499", "#999933", "#44AA99")


CENTRE_OTHER, CENTRE_UNKNOWN = "#555555", "#BBBBBB"


CONTROL_COLORS = dict(zip(CONTROL_CLASSES, ("#009E73", "#E69F00", "#D55E00", "#9E9E9E"), strict=True))


CONTROL_LABELS = dict(zip(CONTROL_CLASSES, ("Control in the region", "Control elsewhere in Germany",
                                            "Control abroad", "Control not known"), strict=True))


#: Subsector and type colours: Okabe-Ito first, then Paul Tol's "muted" (both told apart under the common
#: colour-vision deficiencies); assigned by frequency, so the most common get the most distinct ones.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
           "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499",
           "#6699CC", "#997700", "#EE99AA", "#004488", "#BB5566", "#000000")


#: How a line of the clusters view shows the kind of tie it stands for (colour, dashes, legend).
#: ``short``: the kind in the view's title and line legend, which name only the kinds the view draws.
#: In the order a line of several kinds takes its colour from (the first it stands for).
TIE_STYLES = {"holding": {"color": "#332288", "dashes": False, "label": "same holding or controlling group",
                          "short": "holding"},
              "campus": {"color": "#117733", "dashes": False, "label": "same campus", "short": "campus"},
              "technology-park": {"color": "#AA4499", "dashes": False, "label": "same technology park",
                                  "short": "technology park"},
              # a mid grey of 4.5:1 on white (a line is a graphic: at least 3:1)
              "subsector-place": {"color": "#767676", "dashes": True, "label": "same subsector in the same town",
                                  "short": "subsector and town"}}


NEUTRAL = "#B0B0B0"


#: Shapes by node type (vis-network names).
SHAPES = {"site": "dot", "firm": "square", "group": "triangle", "place": "diamond", "cluster": "hexagon",
          "tie": "hexagon", "aggregate": "dot"}


#: The page's shapes as GEXF 1.3 draws them (``viz:shape``: disc, square, triangle, diamond). GEXF has no star
#: or hexagon, so: firms keep the square and groups the triangle; the star (a firm run from the region, the
#: exception the hq view is about) takes the diamond; the places of control (diamond, hexagon abroad: their
#: colour tells the Land or country) and tie hubs are discs, as sites are -- places, not organisations.
GEXF_SHAPES = {"dot": "disc", "square": "square", "triangle": "triangle", "star": "diamond", "diamond": "disc",
               "hexagon": "disc"}


#: A line that stands for no kind of tie and no place of control (the page's grey), and the opacities.
EDGE_GREY = "#999999"
KIND_OPACITY, PLAIN_OPACITY = 0.8, 0.6


def edge_width(jobs: int | None, max_jobs: int, weight: float | None = None) -> float:
    """A line's width on the page and its ``viz:thickness`` in GEXF: control drawn as flows, the width
    growing with the square root of the regional jobs run along it (1 to 10); a line without jobs as wide as
    the ties it stands for (``weight``, 1 + log2); else 1.

    >>> edge_width(3000, 3000), edge_width(750, 3000), edge_width(None, 3000, weight=4), edge_width(None, 0)
    (10.0, 5.5, 3.0, 1.0)
    """
    if jobs:
        return round(1 + 9 * math.sqrt(jobs / max(max_jobs, jobs)), 2)
    if weight and weight > 1:
        return round(1 + math.log2(weight), 2)
    return 1.0


def edge_look(g: nx.Graph[str], source: str, d: dict[str, Any], max_jobs: int) -> None:
    """Width, colour and dashes of one line, for the page and for GEXF (``viz``), set on its data ``d``.

    Colour: the kind of tie it stands for (:data:`TIE_STYLES`, clusters); in a view with ``edge_color_by``
    (hq: ``centre``) its source node's colour in that colouring -- the place its control sits in; else grey.
    Dashed: a tie drawn dashed, or a relation whose certainty is low or not given.
    """
    kind = TIE_STYLES.get(d.get("kind") or "")
    by = g.graph.get("edge_color_by")
    if kind:
        color, opacity = str(kind["color"]), KIND_OPACITY
    elif by and g.nodes[source].get(f"color_{by}"):
        color, opacity = g.nodes[source][f"color_{by}"], KIND_OPACITY
    else:
        color, opacity = EDGE_GREY, PLAIN_OPACITY
    d["width"] = edge_width(d.get("jobs"), max_jobs, d.get("weight"))
    d["color"] = color
    dashed = bool(kind["dashes"]) if kind else d.get("certainty") in ("uncertain", "likely", "not given")
    if dashed:
        d["dashed"] = True
    d["viz"] = {"color": _rgb(color, opacity), "thickness": d["width"], **({"shape": "dashed"} if dashed else {})}


def style_edges(g: nx.Graph[str]) -> None:
    """:func:`edge_look` for every line of a view (the widths scaled to its line with the most jobs)."""
    max_jobs = max((d.get("jobs") or 0 for *_, d in g.edges(data=True)), default=0)
    for u, _, d in g.edges(data=True):
        edge_look(g, u, d, max_jobs)


def headcount_size(headcount: int | None) -> float:
    """Node size from a head-count: area grows with the head-count; no head-count, a small node.

    >>> headcount_size(None), headcount_size(100), headcount_size(3000)
    (8.0, 14.5, 34.8)
    """
    if not headcount:
        return 8.0
    return round(10 + 3.2 * math.sqrt(headcount / 50), 1)


def centre_colours(areas: Sequence[str]) -> dict[str, str]:
    """The colour of each place of control (a Land or country, by its place id), a function of the id: the colour
    of :data:`CENTRE_PALETTE` (after the region's own) at a stable hash of the id, so that a place keeps its colour
    from one data set to the next.  Where places on one page meet on a colour, the one earlier in ``areas``
    (ranked by regional jobs) keeps it and the later takes the next colour no place has taken; past the palette,
    :data:`CENTRE_OTHER`.

    >>> colours = centre_colours(["bayern", "hessen", "fi"])
    >>> colours["bayern"] == centre_colours(["fi", "at", "bayern"])["bayern"]  # the same id, the same colour
    True
    >>> len(set(colours.values())) == 3  # distinct on one page
    True
    """
    choices = CENTRE_PALETTE[1:]
    taken: dict[str, str] = {}
    for area in areas:
        home = zlib.crc32(area.encode("utf-8")) % len(choices)
        free = [choices[(home + i) % len(choices)] for i in range(len(choices))
                if choices[(home + i) % len(choices)] not in taken.values()]
        taken[area] = free[0] if free else CENTRE_OTHER
    return taken


def _colour_by_centre(g: nx.DiGraph[str]) -> None:
    """Colour every node by the place its control sits in: the region's own, each Land or country of
    control its own colour (:func:`centre_colours`: by its id; the legend ranked by the regional jobs run from
    there), or not known; the place nodes carry the second channel (a diamond in the region's country, a
    hexagon abroad)."""
    jobs: Counter[str] = Counter()
    ids: dict[str, str] = {}
    for _, d in g.nodes(data=True):
        if d.get("outside") and d.get("control_area"):
            ids.setdefault(d["control_area"], d.get("control_area_id") or d["control_area"])
            if d["type"] == "firm":
                jobs[d["control_area"]] += d.get("headcount") or 0
    ranked = sorted(ids, key=lambda a: (-jobs[a], a))
    by_id = centre_colours([ids[a] for a in ranked])
    colours = {a: by_id[ids[a]] for a in ranked}
    for _, d in g.nodes(data=True):
        control = d.get("control")
        if control == INSIDE:
            d["centre"], d["color_centre"] = INSIDE, CENTRE_PALETTE[0]
        elif d.get("outside") and d.get("control_area"):
            d["centre"] = d["control_area"]
            d["color_centre"] = colours[d["control_area"]]
        elif control:
            d["centre"], d["color_centre"] = UNKNOWN, CENTRE_UNKNOWN
        if d["type"] == "place" and control == ABROAD:
            d["shape"] = "hexagon"
    g.graph["centres"] = [{"key": INSIDE, "label": "run from the region", "color": CENTRE_PALETTE[0]}] + [
        {"key": a, "label": a, "color": colours[a]} for a in ranked] + [
        {"key": UNKNOWN, "label": "place of control not known", "color": CENTRE_UNKNOWN}]


#: Class CURIEs in order of preference for a node's ``type`` in the full view.
_TYPE_ORDER = ("bbmb:Firm", "bbmb:Holding", "bbmb:Foundation", "bbmb:ParentGroup", "org:Site",
               "bbmb:Country", "bbmb:Land", "bbmb:Region", "bbmb:Municipality", "bbmb:District",
               "bbmb:HoldingCluster", "bbmb:Campus", "bbmb:TechnologyPark", "bbmb:PeerGroup",
               "bbmb:ControlRelation", "schema:QuantitativeValue", "bbmb:Event", "bbmb:ProductionFocus",
               "qb:Observation", "qb:DataSet", "bbmb:QualityFlag", "bbmb:Source", "skos:Concept",
               "skos:ConceptScheme", "geo:Geometry")


TYPE_COLORS = {t: PALETTE[i] if i < len(PALETTE) else NEUTRAL for i, t in enumerate(_TYPE_ORDER)}


def _rgb(color: str, alpha: float = 1.0) -> dict[str, Any]:
    r, g, b = _channels(color)
    return {"r": r, "g": g, "b": b, "a": alpha}


@functools.lru_cache(maxsize=1024)
def _channels(color: str) -> tuple[int, int, int]:
    """``#rrggbb`` as numbers, once a colour (a view has a few dozen colours and millions of lines)."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def legend(g: nx.Graph[str], cat: Catalog) -> dict[str, list[dict[str, str]]]:
    """Colour keys of the graph, per colouring (only the values that occur)."""
    out: dict[str, list[dict[str, str]]] = {}
    if g.graph.get("centres"):
        out["centre"] = g.graph["centres"]
    controls = Counter(d.get("control") for _, d in g.nodes(data=True) if d.get("control"))
    if controls:
        out["control"] = [{"key": k, "label": CONTROL_LABELS[k], "color": c}
                          for k, c in CONTROL_COLORS.items() if controls.get(k)]
    codes = Counter(d["subsector"].split(";")[0] for _, d in g.nodes(data=True) if d.get("subsector"))
    if codes:
        out["subsector"] = [{"key": c, "label": f"{c} {cat.subsectors.get(c, {}).get('en', '')}",
                             "label_de": f"{c} {cat.subsectors.get(c, {}).get('de', '')}",
                             "color": cat.subsector_colors.get(c, NEUTRAL)} for c in sorted(codes)]
        unclassified = sum(1 for _, d in g.nodes(data=True) if d["type"] in ("site", "firm") and not d.get("subsector"))
        if unclassified:
            out["subsector"].append({"key": "", "label": "no subsector in the data",
                                     "color": NEUTRAL})
    types = Counter(d["type"] for _, d in g.nodes(data=True) if d.get("color_type"))
    if types:
        out["type"] = [{"key": t, "label": t, "color": TYPE_COLORS.get(t, NEUTRAL)}
                       for t, n in sorted(types.items(), key=lambda kv: kv[0])]
    return out
