"""Graph files for Gephi, yEd and Cytoscape: one small :class:`Exporter` a format.

Each is registered (name, media type, extension) as a ``graph-file`` writer in :mod:`kg.writers`,
the one registry of output formats; :data:`EXPORTERS` is a view of it:

    >>> sorted(EXPORTERS)
    ['gexf', 'graphml']

GEXF 1.3 is written by a streaming writer here (not networkx's, which builds the whole XML tree
in memory and pretty-prints it), so that 100,000-firm graphs export in seconds; past :data:`FORK_FROM` elements
its parts are formatted by several processes at once where the system can (:mod:`kg.forked`), the same bytes.
What the page draws goes into the ``viz`` namespace (``http://gexf.net/1.3/viz``), as the GEXF primer, Gephi and
networkx have it: a node's colour, size, shape (:data:`kg.views.style.GEXF_SHAPES`) and position (north up: y grows
northward); a line's colour (the kind of tie; in the hq view where control sits), thickness (the regional
jobs run along it, :func:`kg.views.style.edge_width`) and ``dashed`` shape.  No attribute is titled ``x`` or
``y``: the layout not in ``viz:position`` is kept as ``force_x``/``force_y`` or ``geo_x``/``geo_y``.
:func:`validate_gexf` checks a file against the official GEXF 1.3 RelaxNG grammar (which, unlike the XSD,
has the viz elements in the viz namespace).

Where a view dates an element (``start`` and ``end``: a site's opened and closed, a parent's since and until, as
:func:`kg.views.nodes.spell_attrs` gives them), the graph is dynamic (``mode="dynamic" timeformat="date"``) and
that node or edge has the spell as its ``start`` and ``end`` attributes, which Gephi's timeline plays; ISO dates
rather than integer years, since the data's periods come as years, months and days.  The same days stay
attributes too (graphology-gexf, Gephi Lite's parser, reads no spells).  An element without them holds throughout;
a view with no dated element is written static, as ever.

Given the view as of each of the data's years (``stops``, the time slider's, :func:`kg.timeline.year_views`),
where an attribute differs between the years (where control sits, the jobs, the colour:
:data:`kg.history.CHANGING`), the attributes of its class (node or edge) are declared ``mode="dynamic"`` (one
block a class: graphology-gexf reads only the last), and an element whose value changes has one ``attvalue`` a
period, with its ``start`` and ``end`` (:func:`kg.history.attribute_periods`); every other value has no spell
(it holds throughout).  The ``viz:color`` element has no time in GEXF 1.3: it
is the colour drawn from every fact, and the ``color`` attribute the colour over the years.

GEXF has no polygons: beside a file drawn on the map (the hq view) :class:`GexfExporter` writes the
outlines of the Länder and countries the map draws, in the same frame as ``viz:position``, as GeoJSON
(``hq.outlines.geojson``, :func:`outlines_geojson`).

GraphML is written by networkx (for yEd and Cytoscape); the ``viz`` dicts are left out, since
GraphML has no nested values, but colour, size, width and positions remain as plain attributes
(``color``, ``size``, ``width``, ``force_x``, ``force_y``, ``geo_x``, ``geo_y``).

Both files read back with ``networkx.read_gexf`` / ``networkx.read_graphml`` to the same
nodes, edges and attributes (:func:`portable`); GEXF adds an ``id`` to each edge.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from itertools import chain, pairwise
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import networkx as nx

from . import forked, geo, writers
from .collector import collection_paused
from .errors import InvalidArgument
from .files import atomic_write
from .history import NO_PERIODS, Period, Periods, attribute_periods

if TYPE_CHECKING:
    from .timeline import Stops

#: Node and edge attributes that graph files leave out: nested data for the HTML page, the IRI, which is the
#: node's id already, a site's name as the page's inset key lists it (its ``label`` and ``firm`` are there), and
#: the names the page and the picture use in the other language.
HTML_ONLY = frozenset({"facts", "members", "iri", "key_label", "control_area_de", "place_label_en", "place_label_de"})


def _q(value: str) -> str:
    """An XML attribute value, quoted.

    Chained ``str.replace`` (each a C scan that copies nothing when the character is absent): 2.6 times
    faster than ``str.translate`` with a mapping, on the millions of values of a 100,000-firm graph.

    >>> _q('Müller & Söhne "Nord"')
    '"Müller &amp; Söhne &quot;Nord&quot;"'
    """
    return ('"' + value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"')

GEXF_NS = "http://gexf.net/1.3"
GEXF_VIZ_NS = "http://gexf.net/1.3/viz"


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (isinstance(value, float) and not math.isfinite(value))


#: Any networkx graph; :func:`portable` gives back one of the same class.
_G = TypeVar("_G", bound="nx.Graph[Any]")


def portable(graph: _G, keep_viz: bool = True) -> _G:
    """A copy of ``graph`` with only what graph files can hold: scalar attributes (and ``viz``).

    This is exactly what an export writes, so it is what reading the file back gives.
    """
    out = graph.__class__()
    out.graph.update({k: v for k, v in graph.graph.items() if _scalar(v)})
    for n, d in graph.nodes(data=True):
        attrs = {k: v for k, v in d.items() if k not in HTML_ONLY and _scalar(v)}
        if keep_viz and isinstance(d.get("viz"), dict):
            attrs["viz"] = d["viz"]
        out.add_node(n, **attrs)
    edges: Iterable[tuple[Any, ...]] = graph.edges(keys=True, data=True) if isinstance(graph, nx.MultiGraph) \
        else graph.edges(data=True)
    for *ends, d in edges:
        attrs = {k: v for k, v in d.items() if k not in HTML_ONLY and _scalar(v)}
        if keep_viz and isinstance(d.get("viz"), dict):
            attrs["viz"] = d["viz"]
        out.add_edge(*ends, **attrs)
    return out


class Exporter(ABC):
    """Writes a networkx graph (a view of :mod:`kg.views`) to one file format.

    A new format is a subclass with :meth:`dump`, registered in :mod:`kg.writers` as a ``graph-file``
    writer whose target is the class (``"kg.export:GexfExporter"``).
    """

    def write(self, graph: nx.Graph[Any], path: str | Path, stops: Stops | None = None) -> Path:
        """Write ``graph`` to ``path`` atomically, and its :meth:`companions`; returns the path."""
        return self.write_all(graph, path, stops)[0]

    def write_all(self, graph: nx.Graph[Any], path: str | Path, stops: Stops | None = None) -> list[Path]:
        """Write ``graph`` to ``path`` and its companion files, each atomically; returns their paths.  ``stops``:
        the view as of each of the data's years (:func:`kg.timeline.year_views` with ``before``), for a format
        that holds attributes over time."""
        path = Path(path)
        # millions of lines, tuples and strings, no cycle among them: the collector would walk them again and again
        with atomic_write(path, "wb") as handle, collection_paused():
            self.dump(self.portable(graph), handle, stops)
        return [path, *self.companions(graph, path)]

    def portable(self, graph: nx.Graph[Any]) -> nx.Graph[Any]:
        """What :meth:`dump` is given: :func:`portable` (a copy); a writer that leaves out what files
        cannot hold as it writes may give the graph itself."""
        return portable(graph)

    def companions(self, graph: nx.Graph[Any], path: Path) -> list[Path]:
        """Files written beside the graph file (what the format cannot hold); none by default."""
        return []

    @abstractmethod
    def dump(self, graph: nx.Graph[Any], handle: IO[bytes], stops: Stops | None = None) -> None:
        """Write a :func:`portable` graph to a binary file (with its attributes over the years of ``stops``,
        where the format holds them)."""


#: The ``kg export`` formats: name -> :class:`Exporter` class (a view of :mod:`kg.writers`).
EXPORTERS: Mapping[str, type[Exporter]] = writers.View("graph-file", lambda w: cast("type[Exporter]", w.load()))


def _writer(name: str) -> writers.Writer[type[Exporter]]:
    try:
        return writers.get(name, "graph-file")
    except writers.UnknownWriter:
        raise InvalidArgument(f"unknown export format {name!r}; choose from {', '.join(sorted(EXPORTERS))}") from None


def get_exporter(name: str) -> Exporter:
    """The exporter of a ``kg export`` format; an unknown name is a :class:`ValueError` listing the formats."""
    return _writer(name).load()()


_INT_MAX = 2**31 - 1
#: How many distinct ``attvalue`` elements a GEXF dump keeps to write again (memory stays bounded on large views).
WRITTEN_LIMIT = 200_000
#: The attribute that holds a multigraph edge's key (networkx's name for it, which its GEXF reader reads back).
NETWORKX_KEY = "networkx_key"
#: A GEXF of at least this many elements (nodes and edges) is formatted by several processes at once
#: (:mod:`kg.forked`); a smaller one in this one.
FORK_FROM = 20_000


def _gexf_type(kinds: set[type], long: bool = False) -> str:
    """The GEXF type of an attribute whose values are of the Python types ``kinds`` (``long``: an integer
    past 32 bits among them).

    >>> _gexf_type({int}), _gexf_type({int}, long=True), _gexf_type({int, float}), _gexf_type({bool, str})
    ('integer', 'long', 'double', 'string')
    """
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "long" if long else "integer"
    if kinds <= {int, float}:
        return "double"
    return "string"


def _key(i: int, kind: str) -> _Key:
    return _Key(str(i), kind, f'<attvalue for="{i}" value=')


class _Key(NamedTuple):
    """A declared attribute: its GEXF id and type; ``opening``: the start of its ``attvalue`` element."""

    ident: str
    kind: str
    opening: str


def _edges_in_order(graph: nx.Graph[Any]) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]], list[Any] | None]:
    """The edges (with their keys in a multigraph), their data and a multigraph's keys (written as the attribute
    ``networkx_key``, as networkx does), in the graph's order: its :func:`portable` copy's too (a copy adds them in
    this order, and every node's later neighbours keep their order).  One pass over the adjacency, not a lookup an
    edge; the data not copied (a copy a line took 12 s of the full view's 37 s at 100,000 firms)."""
    if isinstance(graph, nx.MultiGraph):
        edges = list(graph.edges(keys=True, data=True))
        return [(u, v, k) for u, v, k, _ in edges], [d for *_, d in edges], [k for _, _, k, _ in edges]
    pairs = list(graph.edges(data=True))
    return [(u, v) for u, v, _ in pairs], [d for _, _, d in pairs], None


def _balanced(sizes: list[int], parts: int) -> list[int]:
    """Where to cut a run of elements into ``parts`` of about the same work, an element's work its ``sizes``
    (its number of attributes) and one: the first element of each part, then the end.

    >>> _balanced([9, 9, 1, 1, 1, 1, 1, 1], 2)
    [0, 2, 8]
    """
    total = sum(sizes) + len(sizes)
    bounds, done = [0], 0
    for i, size in enumerate(sizes):
        if done >= total * len(bounds) / parts and len(bounds) < parts:
            bounds.append(i)
        done += size + 1
    return bounds + [len(sizes)] * (parts + 1 - len(bounds))


def _text(value: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        return repr(float(value))
    return str(value)


class GexfExporter(Exporter):
    """GEXF 1.3 for Gephi: typed attributes; ``viz`` colour, size, shape and position of nodes, colour,
    thickness and shape of edges; streamed.  Beside a view drawn on the map, its outlines as GeoJSON."""

    def companions(self, graph: nx.Graph[Any], path: Path) -> list[Path]:
        collection = outlines_geojson(graph)
        if collection is None:
            return []
        target = path.with_suffix(".outlines.geojson")
        with atomic_write(target, "w", encoding="utf-8") as handle:
            json.dump(collection, handle, ensure_ascii=False)
        return [target]

    def portable(self, graph: nx.Graph[Any]) -> nx.Graph[Any]:
        # no copy of a 100,000-node graph: dump leaves out what portable() would (HTML_ONLY, what is not a scalar)
        return graph

    def dump(self, graph: nx.Graph[Any], handle: IO[bytes], stops: Stops | None = None) -> None:
        """Write ``graph`` (a view, or its :func:`portable` copy: the same file) as GEXF 1.3; with ``stops``, the
        attributes that differ between years as dynamic values (:mod:`kg.history`)."""
        periods = attribute_periods(graph, stops) if stops else NO_PERIODS
        node_keys = self._declare(d for _, d in graph.nodes(data=True))
        ends, edge_data, multi_keys = _edges_in_order(graph)
        edge_keys = self._declare(chain(edge_data, ({NETWORKX_KEY: k} for k in multi_keys or ())),
                                  skip=("weight", "label"))
        dated = bool(periods.node_attributes or periods.edge_attributes) or \
            any(_dated(d) for _, d in graph.nodes(data=True)) or any(_dated(d) for d in edge_data)
        handle.write(self._head(graph, node_keys, edge_keys, dated, periods).encode("utf-8"))
        nodes = list(graph.nodes(data=True))
        between = f'    </nodes>\n    <edges count="{graph.number_of_edges()}">\n'

        def element(i: int, node_written: dict[tuple[str, type, Any], str],
                    edge_written: dict[tuple[str, type, Any], str]) -> str:
            """The i-th element of the document: the nodes, what lies between them and the edges, the edges."""
            if i < len(nodes):
                n, d = nodes[i]
                return self._node(n, d, node_keys, periods.nodes.get(n), node_written)
            if i == len(nodes):
                return between
            e = i - len(nodes) - 1
            return self._edge(e, ends[e], edge_data[e], edge_keys, periods.edges.get(ends[e]), edge_written,
                              None if multi_keys is None else multi_keys[e])

        def part(first: int, last: int) -> Callable[[IO[bytes]], None]:
            def write(target: IO[bytes]) -> None:
                out: list[str] = []
                node_written: dict[tuple[str, type, Any], str] = {}
                edge_written: dict[tuple[str, type, Any], str] = {}
                for i in range(first, last):
                    out.append(element(i, node_written, edge_written))
                    if len(out) == 5000:  # written in slices: memory stays flat on large views
                        target.write("".join(out).encode("utf-8"))
                        out.clear()
                target.write("".join(out).encode("utf-8"))
            return write

        count = len(nodes) + 1 + len(ends)
        # a small graph in one part: forking costs more than it saves below some tens of thousands of elements
        processes = forked.cores() if count >= FORK_FROM else 1
        bounds = _balanced([len(d) for _, d in nodes] + [0] + [len(d) for d in edge_data], processes) \
            if processes > 1 else [0, count]
        forked.write_in_parts(handle, [part(a, b) for a, b in pairwise(bounds)], processes)
        handle.write(b"    </edges>\n  </graph>\n</gexf>\n")

    @staticmethod
    def _head(graph: nx.Graph[Any], node_keys: dict[str, _Key],
              edge_keys: dict[str, _Key], dated: bool, periods: Periods = NO_PERIODS) -> str:
        """The document up to the first node: meta, the attribute declarations (dynamic where one changes over the
        years of ``periods``); ``dated``: a node or an edge has a spell or an attribute
        over time (the graph is dynamic, its times days)."""
        w = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            # no xsi:schemaLocation: it would point at the XSD, which rejects the viz namespace (see validate_gexf)
            f'<gexf xmlns="{GEXF_NS}" xmlns:viz="{GEXF_VIZ_NS}" version="1.3">\n',
            f'  <meta lastmodifieddate="{_dt.date.today().isoformat()}">\n    <creator>kg (regional industry '
            'knowledge graph)</creator>\n',
        ]
        if graph.graph.get("name"):  # GEXF 1.3 has no graph name: the view's name goes into the keywords
            w.append(f"    <keywords>{_esc(str(graph.graph['name']))}</keywords>\n")
        # the view's title and the data's credit line (the study of kg.toml, see kg.views.present)
        said = [str(graph.graph[k]) for k in ("title", "credit") if graph.graph.get(k)]
        if said:
            w.append(f"    <description>{_esc('. Data: '.join(said))}</description>\n")
        w.append("  </meta>\n")
        mode = 'mode="dynamic" timeformat="date"' if dated else 'mode="static"'
        w.append(f'  <graph defaultedgetype="{"directed" if graph.is_directed() else "undirected"}" {mode}>\n')
        for cls, keys, changing in (("node", node_keys, periods.node_attributes),
                                    ("edge", edge_keys, periods.edge_attributes)):
            # one block a class: graphology-gexf (Gephi Lite) reads only the last
            w.append(f'    <attributes class="{cls}" mode="{"dynamic" if changing else "static"}">\n')
            w.extend(f'      <attribute id="{key.ident}" title={_q(title)} type="{key.kind}"/>\n'
                     for title, key in keys.items())
            w.append("    </attributes>\n")
        w.append(f'    <nodes count="{graph.number_of_nodes()}">\n')
        return "".join(w)

    @classmethod
    def _node(cls, n: Any, d: dict[str, Any], keys: dict[str, _Key],
              periods: dict[str, list[Period]] | None = None,
              written: dict[tuple[str, type, Any], str] | None = None) -> str:
        return (f"      <node id={_q(str(n))} label={_q(str(d.get('label', n)))}{_spell(d)}>"
                f"{cls._attvalues(d.items(), keys, periods, written)}"
                f"{_viz(d.get('viz') or {})}</node>\n")

    @classmethod
    def _edge(cls, i: int, ends: tuple[Any, ...], d: dict[str, Any], keys: dict[str, _Key],
              periods: dict[str, list[Period]] | None = None,
              written: dict[tuple[str, type, Any], str] | None = None, multi_key: Any = None) -> str:
        """An edge; ``multi_key``: its key in a multigraph, written as the attribute ``networkx_key`` after the
        others (as in the copy ``dict(d, networkx_key=key)`` that networkx writes)."""
        items: Iterable[tuple[str, Any]] = d.items()
        if multi_key is not None:
            items = dict(d, **{NETWORKX_KEY: multi_key}).items() if NETWORKX_KEY in d \
                else chain(items, ((NETWORKX_KEY, multi_key),))
        extra = ""
        if "weight" in d:
            extra += f' weight="{float(d["weight"])}"'
        if "label" in d:
            extra += f" label={_q(str(d['label']))}"
        return (f'      <edge id="{i}" source={_q(str(ends[0]))} target={_q(str(ends[1]))}{extra}{_spell(d)}>'
                f"{cls._attvalues(items, keys, periods, written)}{_viz(d.get('viz') or {})}</edge>\n")

    @staticmethod
    def _declare(items: Iterable[dict[str, Any]], skip: tuple[str, ...] = ("label",)) -> dict[str, _Key]:
        """Attribute key -> its GEXF id and type, over the scalar values (what :func:`portable` keeps).

        One pass keeping each key's Python types (and whether an integer needs ``long``), not its values."""
        left_out = {"viz", *skip, *HTML_ONLY}
        types: dict[str, set[type]] = {}
        long_keys: set[str] = set()
        for d in items:
            for k, v in d.items():
                if k in left_out:
                    continue
                t = type(v)
                if t is int:
                    if v > _INT_MAX or v < -_INT_MAX:
                        long_keys.add(k)
                elif not (t is str or t is bool or (t is float and math.isfinite(v)) or _scalar(v)):
                    continue
                kinds = types.get(k)
                if kinds is None:
                    types[k] = {t}
                else:
                    kinds.add(t)
        return {k: _key(i, _gexf_type(kinds, k in long_keys)) for i, (k, kinds) in enumerate(sorted(types.items()))}

    @staticmethod
    def _attvalues(items: Iterable[tuple[str, Any]], keys: dict[str, _Key],
                   periods: dict[str, list[Period]] | None = None,
                   written: dict[tuple[str, type, Any], str] | None = None) -> str:
        """An element's ``attvalues`` (of its attributes' ``items``); ``periods``: its attributes over time (one
        ``attvalue`` a period); ``written``: the ``attvalue`` elements written so far, by key and value (most values
        repeat: a colour, a Land, a kind of relation), up to :data:`WRITTEN_LIMIT` of them."""
        parts = []
        for k, v in items:
            key = keys.get(k)
            if key is None:
                continue
            t = type(v)
            if not (t is str or _scalar(v)):
                continue
            if periods and k in periods:
                parts.extend(_attvalue_over_time(key, periods[k]))
                continue
            seen = (k, t, v)
            element = written.get(seen) if written is not None else None
            if element is None:
                element = f'{key.opening}{_q(v if key.kind == "string" else _text(v, key.kind))}/>'
                if written is not None and len(written) < WRITTEN_LIMIT:
                    written[seen] = element
            parts.append(element)
        return "<attvalues>" + "".join(parts) + "</attvalues>" if parts else ""


def _attvalue_over_time(key: _Key, periods: list[Period]) -> list[str]:
    """One ``attvalue`` a period, with its first and last day (a value of a type the attribute is not declared
    with is left out: the view from every fact decides the type)."""
    return [f'{key.opening}{_q(_text(value, key.kind))}'
            + "".join(f' {name}="{day}"' for name, day in (("start", first), ("end", last)) if day) + "/>"
            for value, first, last in periods if _fits(value, key.kind)]


def _fits(value: Any, kind: str) -> bool:
    """Whether ``value`` is a value of the GEXF type ``kind``.

    >>> _fits(3, "double"), _fits(3.5, "integer"), _fits(True, "integer"), _fits("x", "string")
    (True, False, False, True)
    """
    if not _scalar(value):
        return False
    if kind in ("integer", "long"):
        return type(value) is int
    return kind == "string" or _gexf_type({type(value)}) in (kind, "integer" if kind == "double" else kind)


def _dated(d: dict[str, Any]) -> bool:
    return bool(d.get("start") or d.get("end"))


def _spell(d: dict[str, Any]) -> str:
    """The ``start`` and ``end`` attributes of a dated node or edge (its first and last day,
    :func:`kg.views.nodes.spell_attrs`); empty for one the data does not date, which holds throughout."""
    if "start" not in d and "end" not in d:  # most elements: no generator to run (100,000s of them)
        return ""
    return "".join(f" {k}={_q(str(d[k]))}" for k in ("start", "end") if d.get(k))


def _viz(viz: dict[str, Any]) -> str:
    """The ``viz`` elements of a node or an edge (colour, size or thickness, shape, position)."""
    w = []
    if "color" in viz:
        c = viz["color"]
        w.append(f'<viz:color r="{int(c["r"])}" g="{int(c["g"])}" b="{int(c["b"])}" a="{float(c.get("a", 1.0))}"/>')
    for part in ("size", "thickness"):
        if part in viz:
            w.append(f'<viz:{part} value="{float(viz[part])}"/>')
    if "shape" in viz:
        w.append(f"<viz:shape value={_q(str(viz['shape']))}/>")
    if "position" in viz:
        p = viz["position"]
        w.append(f'<viz:position x="{float(p["x"])}" y="{float(p["y"])}" z="{float(p.get("z", 0.0))}"/>')
    return "".join(w)


def outlines_geojson(graph: nx.Graph[Any]) -> dict[str, Any] | None:
    """The outlines a view drawn on the map lies on (``graph.graph["areas"]``: the region's Länder, the Länder
    and countries where control sits, the ring beyond which distances are compressed), as a GeoJSON
    FeatureCollection in the frame of the view's ``viz:position`` (the map's units, y north up; not
    longitude/latitude: the map enlarges the region's centre and compresses what lies outside); None for a view
    not drawn on the map.

    Each feature's properties: ``label``, ``label_en``, ``kind`` (``region``: a Land of the region; ``control``: a
    Land or country where control sits, drawn small in its true direction; ``ring``: the compressed-distance ring).
    """
    if graph.graph.get("viz_layout") != "geo" or not graph.graph.get("areas"):
        return None
    features = []
    for area in graph.graph["areas"]:
        shapes = geo.polygons(_area_rings(area))
        if not shapes:
            continue
        geometry = {"type": "Polygon", "coordinates": shapes[0]} if len(shapes) == 1 else \
            {"type": "MultiPolygon", "coordinates": shapes}
        properties = {"label": area["label"], "label_en": area.get("label_en", area["label"]),
                      "kind": area.get("kind", "ring" if "circle" in area else "")}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return {"type": "FeatureCollection", "name": f"{graph.graph.get('name', 'view')} outlines",
            "description": f"Outlines under the map of {graph.graph.get('name', 'the view')}.gexf, in the frame of "
                           "its viz:position (map units, y north up; not longitude/latitude: the region is enlarged "
                           "at its centre, places outside it are in their true direction at a compressed distance). "
                           "Outlines: @svg-maps/germany (CC BY 4.0), Natural Earth (public domain).",
            "features": features}


def _area_rings(area: dict[str, Any]) -> list[list[list[float]]]:
    """An area of the map (its outline, or the compressed-distance circle) as rings, y up (the page's runs down)."""
    if "circle" in area:
        cx, cy, r = area["circle"]
        return [[[round(cx + r * math.cos(t * math.pi / 48), 1), round(-cy + r * math.sin(t * math.pi / 48), 1)]
                 for t in range(97)]]
    return [[[x, -y] for x, y in ring] for ring in area.get("rings", [])]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class GraphmlExporter(Exporter):
    """GraphML for yEd and Cytoscape (networkx's writer; no nested ``viz``)."""

    def dump(self, graph: nx.Graph[Any], handle: IO[bytes], stops: Stops | None = None) -> None:
        """GraphML has no time: ``stops`` is not written."""
        for _, d in graph.nodes(data=True):
            d.pop("viz", None)
        for *_, d in graph.edges(data=True):
            d.pop("viz", None)
        nx.write_graphml(graph, handle, encoding="utf-8", prettyprint=False)


def export_graph(graph: nx.Graph[Any], fmt: str, path: str | Path, stops: Stops | None = None) -> Path:
    """Write one view in one format (``gexf`` or ``graphml``); ``stops``: the view as of each of the data's years
    (GEXF writes the attributes that change as dynamic values)."""
    return get_exporter(fmt).write(graph, path, stops)


def export_views(views: dict[str, nx.Graph[Any]], fmt: str, out: str | Path,
                 years: Mapping[str, Stops] | None = None) -> list[Path]:
    """Write each view to ``out/<view>.<extension>`` (and its companions, e.g. ``hq.outlines.geojson``);
    returns the paths.  ``years``: view name -> the view as of each of the data's years
    (:func:`kg.timeline.year_views` with ``before``)."""
    writer = _writer(fmt)
    exporter = writer.load()()
    return [p for name, graph in views.items()
            for p in exporter.write_all(graph, Path(out) / f"{name}.{writer.extension}", (years or {}).get(name))]


# ---------------------------------------------------------------------------- validation

def validate_gexf(path: str | Path, schema_dir: str | Path) -> list[str]:
    """Problems of a GEXF 1.3 file against the official RelaxNG grammar (``gexf.rng`` in ``schema_dir``, with the
    ``viz.rng`` and ``dynamics.rng`` it includes): an empty list when it is valid.

    The grammar, not the XSD: the XSD puts the viz elements in the main namespace, so it rejects the files Gephi
    and networkx write; the grammar has them in the viz namespace, as the primer does.
    """
    from lxml import etree

    grammar = etree.RelaxNG(etree.parse(str(Path(schema_dir) / "gexf.rng")))
    if grammar.validate(etree.parse(str(path))):
        return []
    return [f"line {e.line}: {e.message}" for e in grammar.error_log]
