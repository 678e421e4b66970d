"""An interactive network page from a view: one HTML file that works offline.

The page (``kg/web/page.html``, ``app.js``, ``style.css``) is filled here around the vis-network library
that ships inside the pyvis package (``pyvis/templates/lib/vis-9.1.2/vis-network.min.js``), inlined:
no CDN, no Bootstrap, no ``lib/`` folder, nothing fetched -- a Content-Security-Policy forbids every
request, so the file opens the same on a machine without internet.  (pyvis's own template loads Bootstrap and
tom-select from a CDN even with ``cdn_resources="in_line"``, and its ``from_nx`` is O(n²).)

What the page offers: a legend; a side panel with each node's facts and their sources (click a
node or an edge), a hover tip; search by name; filters by subsector, Land and site function;
colour by control, subsector or type; German or English labels; a force layout and a
geographic one (positions from coordinates, the Länder outlined, places outside the region
in their true direction at a compressed distance); a time slider where the data has dated facts
(:mod:`kg.timeline`, ``timeline.js``: the network and the headline at each year, as ``--as-of`` draws them).
Pictures: the hq page carries its picture to publish (:data:`PICTURES`, SVG in the page's JSON) to save as SVG or
as PNG drawn from it on a canvas; the other pages save the canvas at 2× with title, headline, legend and source
line wrapped by measuring.

Access: the network is ``role="img"``, named by the title and described by a visually hidden text (the
headline and a table: the regional jobs by place of control, else the colour legend); the side panel takes the
keyboard focus; on a narrow screen the network has a fixed height (one that followed its content would grow
with vis-network's ``autoResize``, frame after frame).

Safety: the data goes into the page as JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the script renders every data text with
``textContent`` (or on the canvas), never ``innerHTML``; vis-network's HTML ``title``
tooltips are not used.  A firm named ``<img src=x onerror=alert(1)>`` shows as that text.

Scale: a view with more nodes than ``budget`` is drawn aggregated (:func:`kg.views.within_budget`);
past ``PHYSICS_LIMIT`` drawn nodes the physics is off and the layout is the one computed in
Python, so the page stays responsive.  ``window.kg`` exposes the network, its data sets, the
drawn counts and the filter and search functions (the browser tests use them).
"""
from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from .files import atomic_write
from .messages import messages
from .timeline import Stops, slider_data
from .views import NODE_BUDGET, within_budget
from .views.budget import FACETS
from .views.picture import picture_svg

#: Past this many drawn nodes the page draws the Python layout with physics off.
PHYSICS_LIMIT = 1000
#: Attributes shown in the side panel (besides the facts), in this order.
PANEL_ATTRIBUTES = ("type", "firm", "subsector_label", "subsector_label_de", "land", "place", "functions",
                    "control", "control_area", "controlled_by", "control_place", "local_hq", "headcount",
                    "headcount_note", "controlled_firms", "controlled_headcount", "clusters", "member_type",
                    "member_count", "types", "iri", "source")
#: Views with a picture to publish, drawn in Python: view name -> the function that draws its SVG.
PICTURES: dict[str, Callable[[nx.Graph[str]], str]] = {"hq": picture_svg}
#: Node types that carry the facets; other nodes (groups, places, sources, ...) are context, shown
#: while a shown node leads to them.
FACET_TYPES = frozenset({"site", "firm", "tie", "bbmb:Firm", "org:Site"})


def web_file(name: str) -> str:
    """A file of the page (``kg/web/``: page.html, app.js, timeline.js, style.css, outlines.json), as text."""
    return (resources.files("kg") / "web" / name).read_text(encoding="utf-8")


def vis_network_js() -> str:
    """The vis-network script shipped with pyvis (Apache-2.0 / MIT)."""
    lib = resources.files("pyvis") / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
    return lib.read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    r"""JSON that is safe inside a ``<script>`` element: no ``</script>``, no HTML, no line separators.

    >>> print(script_json({"name": "</script><img src=x onerror=alert(1)>"}))
    {"name":"\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e"}
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _values(d: dict[str, Any], attribute: str) -> list[str]:
    value = d.get(attribute)
    return [v for v in str(value).split(";") if v] if value not in (None, "") else []


def _page_node(n: str, d: dict[str, Any]) -> dict[str, Any]:
    """A node as the page draws it (short keys: the page of a large view carries thousands)."""
    node: dict[str, Any] = {
        "id": str(n), "label": str(d.get("label", n)), "type": d.get("type", ""), "shape": d.get("shape", "dot"),
        # the views keep north up (y up); the canvas draws y down
        "size": d.get("size", 10), "x": d.get("force_x", 0.0), "y": -d.get("force_y", 0.0),
        "gx": d.get("geo_x", d.get("force_x", 0.0)), "gy": -d.get("geo_y", d.get("force_y", 0.0)),
        "c": {k[6:]: v for k, v in d.items() if k.startswith("color_")},
        "info": {k: d[k] for k in PANEL_ATTRIBUTES if d.get(k) not in (None, "")},
        "facts": d.get("facts", []),
        # each colouring's key, for the legend's counts of what is shown
        "k": {"centre": d.get("centre"), "control": d.get("control"), "outside": bool(d.get("outside")),
              "type": d.get("type"),
              "subsector": str(d.get("subsector") or "").split(";")[0]},
    }
    optional = {"jobs": d.get("headcount"), "km": d.get("distance_km"), "members": d.get("members"),
                "unlisted": d.get("members_unlisted"),  # past the page's members listed (kg.views.budget)
                # set apart beside the layout: the physics does not move it
                "fixed": True if d.get("isolated") else None,
                "label_de": d.get("label_de"), "label_en": d.get("label_en"),
                # a site's name in the inset's numbered key (kg.views.nodes.named_with_firm)
                "key": d.get("key_label")}
    node.update({k: v for k, v in optional.items() if v})
    if d.get("parts"):  # a map symbol: its members by their facets (kg.views.budget.symbol_parts)
        node["parts"] = [[{name: _values(values, attribute) for name, attribute in FACETS.items()}, *figures]
                         for values, *figures in d["parts"]]
        node["f"] = {name: sorted({v for part in node["parts"] for v in part[0][name]}) for name in FACETS}
    elif d.get("type") in FACET_TYPES or d.get("member_type") in FACET_TYPES:
        node["f"] = {name: _values(d, attribute) for name, attribute in FACETS.items()}
    return node


def _page_edge(i: int, u: str, v: str, d: dict[str, Any]) -> dict[str, Any]:
    edge = {"id": i, "from": str(u), "to": str(v),
            "info": {k: d[k] for k in ("relation", "label", "certainty", "weight", "ties", "source")
                     if d.get(k) not in (None, "")}}
    # width, colour and dashes as the view set them (kg.views.style.edge_look), the same as in GEXF
    edge.update({k: d[k] for k in ("jobs", "kind", "width", "color", "dashed") if d.get(k)})
    edge["opacity"] = d.get("viz", {}).get("color", {}).get("a", 1.0)
    return edge


def page_hulls(graph: nx.Graph[str]) -> list[dict[str, Any]]:
    """The view's hulls as the page draws them: each member that is on the page, or the group node that stands
    for it where the node budget folded it into a group (``members``: drawn node ids, each once;
    ``member_count``: the cluster's members, drawn or folded).

    >>> g = nx.Graph(hulls=[{"label": "Park", "members": ["a", "b", "c"]}])
    >>> g.add_node("a"); g.add_node("aggregate:firm", members=[["b", "B"], ["c", "C"]])
    >>> page_hulls(g)
    [{'label': 'Park', 'members': ['a', 'aggregate:firm'], 'member_count': 3}]
    """
    folded = {member[0]: n for n, d in graph.nodes(data=True) for member in d.get("members") or ()}
    out = []
    for hull in graph.graph.get("hulls", []):
        drawn = [m if m in graph else folded.get(m) for m in hull["members"]]
        out.append(dict(hull, members=list(dict.fromkeys(str(m) for m in drawn if m is not None)),
                        member_count=len(hull["members"])))
    return out


def page_data(graph: nx.Graph[str]) -> dict[str, Any]:
    """The JSON the page draws: nodes, edges, legend, sources, outlines and settings."""
    nodes = [_page_node(n, d) for n, d in graph.nodes(data=True)]
    pairs = graph.edges(keys=True, data=True) if isinstance(graph, nx.MultiGraph) else (
        (u, v, None, d) for u, v, d in graph.edges(data=True))
    edges = [_page_edge(i, u, v, d) for i, (u, v, _, d) in enumerate(pairs)]
    facets = {name: sorted({v for node in nodes for v in node.get("f", {}).get(name, [])}) for name in FACETS}
    aggregated = graph.graph.get("aggregated")
    return {"title": graph.graph.get("title", graph.graph.get("name", "")), "name": graph.graph.get("name", ""),
            "directed": graph.is_directed(), "nodes": nodes, "edges": edges, "legend": graph.graph.get("legend", {}),
            "colorBy": graph.graph.get("color_by", "type"), "sources": graph.graph.get("sources", {}),
            "areas": graph.graph.get("areas", []), "facets": facets, "aggregated": aggregated,
            "headline": graph.graph.get("headline"), "credit": graph.graph.get("credit", ""),
            "reading": graph.graph.get("reading", ""),
            # the first language of the labels and the interface (kg.toml's languages)
            "language": graph.graph.get("language", "en"), "inset": graph.graph.get("inset"),
            "subtitle": graph.graph.get("subtitle", ""), "layout": graph.graph.get("viz_layout", "force"),
            "edgeKinds": graph.graph.get("edge_kinds", {}), "hulls": page_hulls(graph),
            "totals": {"nodes": graph.graph.get("aggregated", {}).get("nodes", len(nodes)),
                       "edges": graph.graph.get("aggregated", {}).get("edges", len(edges))},
            "physics": len(nodes) <= PHYSICS_LIMIT, "edgeLegend": graph.graph.get("edge_legend", ""),
            "subsectorLabels": {e["key"]: e["label"] for e in graph.graph.get("legend", {}).get("subsector", [])},
            "subsectorLabelsDe": {e["key"]: e.get("label_de") or e["label"]
                                  for e in graph.graph.get("legend", {}).get("subsector", [])}}


def render_page(graph: nx.Graph[str], budget: int = NODE_BUDGET, years: Stops | None = None) -> str:
    """The page's HTML for a view (aggregated first if it has more than ``budget`` nodes).

    ``years``: the view as of each year the data has (:func:`kg.timeline.year_views`), for the page's time
    slider (``timeline.js``, the data's ``timeline``: :func:`kg.timeline.slider_data`); none, no slider.

    A view with a picture to publish (:data:`PICTURES`) carries it as SVG text in the page's data
    (``picture``), the one ``kg viz hq --picture svg`` writes: the page's "Download SVG" saves it and
    "Download PNG" draws it on a canvas; the other views save the canvas with their title and legend.
    """
    drawn = within_budget(graph, budget)
    data = page_data(drawn)
    draw = PICTURES.get(str(graph.graph.get("name", "")))
    if draw is not None:
        data["picture"] = draw(drawn)
    data["timeline"] = slider_data(data, drawn, years or [])
    parts = {"TITLE": _html.escape(str(data["title"]) or "Graph"), "CSS": web_file("style.css"),
             "DATA": script_json(data), "APP": web_file("app.js"), "TIMELINE": web_file("timeline.js"),
             "INSET": web_file("inset.js"), "MESSAGES": script_json(messages()),
             "VIS": vis_network_js().replace("</script", "<\\/script")}
    # one pass, so that text from the data is never scanned for placeholders
    return re.sub(r"%(TITLE|CSS|DATA|APP|TIMELINE|INSET|MESSAGES|VIS)%", lambda m: parts[m.group(1)],
                  web_file("page.html"))


def write_page(graph: nx.Graph[str], path: str | Path, budget: int = NODE_BUDGET,
               years: Stops | None = None) -> Path:
    """Write the offline page of a view to ``path`` atomically (``years``: see :func:`render_page`); returns
    the path."""
    path = Path(path)
    text = render_page(graph, budget, years)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
