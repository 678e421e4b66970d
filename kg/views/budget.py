"""Past the node budget, an aggregated graph: the largest nodes and every place of control as they are, the rest
grouped."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from .. import geo
from ..messages import LANGUAGES, number, text
from ..rules import INSIDE, UNKNOWN
from .layout import force_layout
from .lines import LINES_ASIDE, Merged, degree_of, line_count, lines_aside
from .style import CONTROL_LABELS, GEXF_SHAPES, NEUTRAL, _rgb, edge_look, headcount_size

#: Past this many nodes the page draws an aggregated network (see :func:`within_budget`).
NODE_BUDGET = 2000
#: At most this many members listed by all the groups of one page (the side panel's lists, and what its search
#: finds); past it each group lists its largest (:func:`members_listed`), a page of a million firms 13 MB, not 103.
MEMBERS_LISTED = 150_000


#: Grouping keys for aggregation, the last dropped first; a view may name its own (``aggregate_by``: the hq view
#: groups by where control sits, its colouring, so that a group's jobs count for one place of control).
AGGREGATE_BY = ("type", "land", "subsector", "control")
#: How a group's label says what its members share: key -> phrase (``{}``: the shared value).
AGGREGATE_PHRASES = {"land": "in {}", "centre": "run from {}", "subsector": ", subsector {}", "control": ", {}"}
#: Values said in words in a group's label.
AGGREGATE_WORDS = {"centre": {INSIDE: "the region", UNKNOWN: "a place not known"},
                   "control": {k: v[0].lower() + v[1:] for k, v in CONTROL_LABELS.items()}}
#: The page's filters: facet -> the node attribute it filters on (values ``;``-separated).
FACETS = {"subsector": "subsector", "land": "land", "function": "functions"}
#: The order a symbol's label counts its members' types in.
COUNT_ORDER = ("site", "firm", "place", "group")
#: A symbol of a place of control headed in words (their keys in ``kg/web/messages.json``) where it is not a
#: place's name; and the same in a sentence.
SYMBOL_HEADINGS = {INSIDE: "symbol.headingInside", UNKNOWN: "symbol.headingUnknown"}
SYMBOL_WORDS = {INSIDE: "symbol.inside", UNKNOWN: "symbol.unknown"}


def within_budget(g: nx.Graph[str], budget: int = NODE_BUDGET, keys: tuple[str, ...] | None = None,
                  listed: int | None = None) -> nx.Graph[str]:
    """The graph itself if it has at most ``budget`` nodes; else an aggregated graph that does.

    The largest nodes (by head-count, then degree) up to half the budget stay as they are; the others are grouped
    by ``keys`` (default: the view's ``aggregate_by``, else :data:`AGGREGATE_BY`: type, Land, subsector, control --
    dropping keys from the end until the groups fit).  An aggregate node counts its members (``member_count``),
    sums their head-counts, keeps the attributes its members share (so that filters still work), says in its label
    what they share (:func:`aggregate_label`) and lists its members (``members``: [id, label] pairs) for the
    page's side panel: all of them where the groups hold at most ``listed`` (:data:`MEMBERS_LISTED`) in all,
    else each group its largest by head-count (:func:`members_listed`), and ``members_unlisted`` counts the
    rest.  Edges between groups are merged; ``weight`` counts the edges merged, ``jobs`` sums the jobs they
    carry.

    A view that is a map of symbols past the budget says so with ``symbols`` (type -> the kind of symbol it is
    counted in, then the keys it is grouped by; the hq view: a site with the firms of its Land and place of
    control, a place of control with the groups run from there): then no node stays as it is, every node is
    grouped into its symbol, a symbol's ``member_count`` counts the members of its own kind (its firms) and
    ``counts`` every type, and the symbols are set apart on the map (:func:`set_apart`).

    A view whose lines are held aside (:mod:`kg.views.lines`: a page-only view past its budget) is aggregated
    from them as from its edges, to the same graph; within the budget it cannot be drawn (its lines are not edges).
    """

    n = g.number_of_nodes()
    held = lines_aside(g)
    if n <= budget:
        if held is not None:
            raise ValueError(f"a view of {n:,} nodes with its lines held aside is only drawn past its budget, "
                             f"not within {budget:,} nodes")
        return g
    keys = tuple(keys or g.graph.get("aggregate_by") or AGGREGATE_BY)
    symbols: dict[str, list[str]] | None = g.graph.get("symbols")
    ranked, keep = _kept(g, budget) if symbols is None else (sorted(g.nodes, key=str), set())
    groups, depth = _grouped(g, ranked, keep, keys, budget, symbols or {})
    out: nx.Graph[str] = nx.DiGraph() if g.is_directed() else nx.Graph()
    out.graph.update((k, v) for k, v in g.graph.items() if k != LINES_ASIDE)
    out.graph["aggregated"] = {"nodes": n, "edges": line_count(g), "budget": budget,
                               "keys": list(keys[:depth]), "symbols": symbols is not None}
    where: dict[str, str] = {}
    rings: dict[str, tuple[str, float]] = {}  # a symbol of a Land: its Land, its members' spread
    for v in ranked:
        if v in keep:
            out.add_node(v, **g.nodes[v])
            where[v] = v
    grouped = {key: [v for v in members if v not in keep] for key, members in sorted(groups.items())}
    each = members_listed([len(members) for members in grouped.values()],
                          MEMBERS_LISTED if listed is None else listed)
    for key, members in grouped.items():
        if not members:
            continue
        ident = "aggregate:" + "|".join(key)
        where.update((v, ident) for v in members)
        out.add_node(ident, **_aggregate_node(g, key, keys[:depth], members, symbols is not None, each))
        if symbols is not None and (land := dict(zip(keys[:depth], key, strict=True)).get("land")):
            rings[ident] = (land, _spread([g.nodes[v] for v in members]))
    _merge_edges(out, _merged(g, out.is_directed(), where) if held is None else held.merged(where))
    if symbols is not None:
        _symbol_sizes(out)
        if out.graph.get("viz_layout") == "geo":
            set_apart(out, rings)
            out.graph.pop("inset", None)  # a few dozen symbols: none too dense to read
    _place(out)
    return out


def _kept(g: nx.Graph[str], budget: int) -> tuple[list[str], set[str]]:
    """The nodes by rank (places of control and groups first, then head-count, degree: in the lines held aside
    where the graph holds them so), and those kept as they are: up to half the budget, and every place of
    control and group where the budget allows."""
    # the places of control (and the groups leading there) carry the story: never grouped away
    story = {v for v, d in g.nodes(data=True) if d.get("type") in ("place", "group")}
    degree = degree_of(g)
    ranked = sorted(g.nodes, key=lambda v: (v not in story, -(g.nodes[v].get("headcount") or 0), -degree(v), str(v)))
    return ranked, set(ranked[: max(budget // 2, min(len(story), budget - 50))])


def _grouped(g: nx.Graph[str], ranked: list[str], keep: set[str], keys: tuple[str, ...],
             budget: int, symbols: dict[str, list[str]]) -> tuple[dict[tuple[str, ...], list[str]], int]:
    """The other nodes grouped by ``keys``, dropping keys from the end until the groups fit (``keep`` shrinks
    in place if even no key leaves too many); the groups and how many keys they use.  ``symbols``: a type's
    nodes are grouped as the kind named there, by the keys named after it (see :func:`within_budget`)."""
    def value(d: dict[str, Any], key: str) -> str:
        found = str(d.get(key, ""))
        if not symbols:
            return found
        kind, *by = symbols.get(str(d.get("type", "")), [str(d.get("type", ""))])
        return kind if key == "type" else found if key in by else ""

    def group(rest: list[str], depth: int) -> dict[tuple[str, ...], list[str]]:
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for v in rest:
            groups[tuple(value(g.nodes[v], k) for k in keys[:depth])].append(v)
        return groups

    rest = [v for v in ranked if v not in keep]
    for depth in range(len(keys), -1, -1):
        groups = group(rest, depth)
        if len(keep) + len(groups) <= budget:
            return groups, depth
    # only possible with a tiny budget: shrink the kept set
    kept = set(ranked[: max(0, budget - len(groups))])
    keep.intersection_update(kept)
    return group([v for v in ranked if v not in keep], 0), 0


def members_listed(sizes: list[int], listed: int = MEMBERS_LISTED) -> int | None:
    """How many members each group lists so that groups of ``sizes`` list at most ``listed`` in all: ``None``
    (every member) where they hold no more; else the most each can list, the smaller groups all of theirs.

    >>> members_listed([3, 40, 5], 100) is None
    True
    >>> members_listed([3, 40, 5], 20)  # 3 + 12 + 5
    12
    """
    if sum(sizes) <= listed:
        return None
    low, high = 0, max(sizes)  # the most each may list: sum(min(size, most)) <= listed holds at low, not at high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if sum(min(size, middle) for size in sizes) <= listed else (low, middle)
    return low


def _merged(g: nx.Graph[str], directed: bool, where: dict[str, str]) -> dict[tuple[str, str], Merged]:
    """The edges between groups (``where``: node -> its group) merged, each pair of groups where the walk over
    the edges first meets it (of an undirected graph, the pair in order)."""
    merged: dict[tuple[str, str], Merged] = {}
    for u, v, d in g.edges(data=True):
        a, b = where[u], where[v]
        if a == b:
            continue
        if not directed and str(a) > str(b):
            a, b = b, a
        line = merged.setdefault((a, b), Merged())
        line.weight += 1
        line.relations.add(str(d.get("relation", "")))
        line.jobs += d.get("jobs") or 0
    return merged


def _merge_edges(out: nx.Graph[str], merged: dict[tuple[str, str], Merged]) -> None:
    """The merged edges between groups drawn: ``weight`` counts them, ``relation`` lists their kinds, ``jobs``
    sums the regional jobs they carry (the line widths of a map of control)."""
    for (a, b), line in merged.items():
        rel = ";".join(sorted(line.relations))
        w = line.weight
        out.add_edge(a, b, weight=w, relation=rel, label=f"{w:,} × {rel}" if w > 1 else rel,
                     **({"jobs": line.jobs} if line.jobs else {}))
    most = max((line.jobs for line in merged.values()), default=0)
    for a, _, d in out.edges(data=True):
        edge_look(out, a, d, most)


def _place(out: nx.Graph[str]) -> None:
    """The aggregated graph's force layout (from the map positions, north up in and out) and its viz positions."""
    force = force_layout(out, {v: (d["geo_x"], d["geo_y"]) for v, d in out.nodes(data=True)})
    on_map = out.graph.get("viz_layout") == "geo"
    for v, d in out.nodes(data=True):
        d["force_x"], d["force_y"] = force[v]
        x, y = (d["geo_x"], d["geo_y"]) if on_map else (d["force_x"], d["force_y"])
        d["viz"] = dict(d.get("viz") or {}, position={"x": x, "y": y, "z": 0.0})


def _aggregate_node(g: nx.Graph[str], key: tuple[str, ...], names: tuple[str, ...],
                    members: list[str], symbol: bool = False, listed: int | None = None) -> dict[str, Any]:
    data = [g.nodes[v] for v in members]
    shared = dict(zip(names, key, strict=True))
    attrs: dict[str, Any] = {"type": "aggregate", **_shared(data)}
    counts = Counter(str(d.get("type", "node")) for d in data)
    attrs["counts"] = {t: counts[t] for t in sorted(counts, key=_count_rank)}
    if symbol:  # a symbol of a map: its kind is its key's, and counts its own kind's members (its firms)
        attrs["member_type"] = kind = shared.get("type") or attrs.get("member_type", "node")
        own = [d for d in data if d.get("type") == kind]
    else:
        kind, own = attrs.get("member_type", "node"), data
    attrs["member_count"] = len(own)
    if symbol:
        attrs["parts"] = symbol_parts(data, kind)
    total = sum(d.get("headcount") or 0 for d in own)
    if total:
        attrs["headcount"] = total
    controlled = sum(d.get("controlled_headcount") or 0 for d in data) if symbol else 0
    if controlled:
        attrs["controlled_headcount"] = controlled
    if symbol:
        shared["centre_de"] = attrs.get("control_area_de", "")
        labels = {language: symbol_label(attrs["counts"], shared, language) for language in LANGUAGES}
        attrs.update({f"label_{language}": said for language, said in labels.items()})
        attrs["label"] = labels["en"]
        if not shared.get("land"):  # what the picture names a place of control's symbol by: the place
            attrs.update({f"place_label_{language}": _centre_words(shared, language, SYMBOL_HEADINGS)
                          for language in LANGUAGES})
    else:
        attrs["label"] = aggregate_label(len(members), kind, shared)
    attrs["shape"] = _shared_shape(data) if symbol else "dot"
    attrs["size"] = round(12 + 4 * math.log10(1 + len(members)) + headcount_size(total or None) / 4, 1)
    attrs.update(_positions(data))
    if listed is not None and len(members) > listed:  # the largest, in their order among the members
        largest = set(sorted(members, key=lambda v: -(g.nodes[v].get("headcount") or 0))[:listed])
        attrs["members_unlisted"] = len(members) - listed
        members = [v for v in members if v in largest]
    attrs["members"] = [[v, g.nodes[v].get("label", v)] for v in members]
    said = ", ".join(f"{n:,} {t}{'' if n == 1 else 's'}" for t, n in attrs["counts"].items())
    attrs["facts"] = [{"k": "members", "v": f"{said} grouped by {', '.join(names) or 'nothing'}",
                       "src": []}] + [{"k": k, "v": v, "src": []} for k, v in zip(names, key, strict=True) if v]
    attrs["viz"] = {"color": _rgb(attrs.get("color", NEUTRAL)), "size": attrs["size"],
                    "position": {"x": attrs["force_x"], "y": attrs["force_y"], "z": 0.0},
                    "shape": GEXF_SHAPES[attrs["shape"]]}
    return attrs


def aggregate_label(count: int, kind: str, shared: dict[str, str]) -> str:
    """A group's label in words: how many of what, and what they share (type aside).

    >>> aggregate_label(48, "site", {"type": "site", "land": "Brandenburg", "centre": "Bavaria"})
    '48 sites in Brandenburg run from Bavaria'
    >>> aggregate_label(1, "firm", {"land": "Berlin", "subsector": "26", "control": "inside"})
    '1 firm in Berlin, subsector 26, control in the region'
    """
    said = f"{count:,} {kind}{'' if count == 1 else 's'}"
    for k, v in shared.items():
        if v and k in AGGREGATE_PHRASES:
            phrase = AGGREGATE_PHRASES[k].format(AGGREGATE_WORDS.get(k, {}).get(v, v))
            said += phrase if phrase.startswith(",") else " " + phrase
    return said


def symbol_parts(data: list[dict[str, Any]], kind: str) -> list[list[Any]]:
    """A symbol's members by what the page's filters see of them (:data:`FACETS`): ``[values, members of its kind,
    their jobs, how many of them have a job figure]`` for each combination, so that a filtered page counts the
    members that match, not the whole symbol.

    >>> symbol_parts([{"type": "firm", "subsector": "28", "headcount": 40}, {"type": "site", "subsector": "28"},
    ...               {"type": "firm", "subsector": "25"}], "firm")  # doctest: +NORMALIZE_WHITESPACE
    [[{'subsector': '25', 'land': '', 'functions': ''}, 1, 0, 0],
     [{'subsector': '28', 'land': '', 'functions': ''}, 1, 40, 1]]
    """
    parts: dict[tuple[str, ...], list[int]] = {}
    for d in data:
        values = tuple(str(d.get(attribute) or "") for attribute in FACETS.values())
        part = parts.setdefault(values, [0, 0, 0])
        if d.get("type") == kind:
            part[0] += 1
            part[1] += d.get("headcount") or 0
            part[2] += d.get("headcount") is not None
    return [[dict(zip(FACETS.values(), values, strict=True)), *part] for values, part in sorted(parts.items())]


def _count_rank(node_type: str) -> tuple[int, str]:
    return (COUNT_ORDER.index(node_type) if node_type in COUNT_ORDER else len(COUNT_ORDER), node_type)


def symbol_label(counts: dict[str, int], shared: dict[str, str], language: str = "en") -> str:
    """A map symbol's label in words, in ``language``: what it stands for, where and run from where (its other
    counts are in its panel); a symbol of no Land is its place of control's, headed by it.  ``shared``: the
    symbol's keys, and ``centre_de`` (the place of control's German name).

    >>> symbol_label({"site": 48, "firm": 30}, {"type": "firm", "land": "Brandenburg", "centre": "Bavaria"})
    '48 sites in Brandenburg run from Bavaria'
    >>> symbol_label({"site": 1200}, {"type": "firm", "land": "Brandenburg", "centre": "Bavaria",
    ...                                "centre_de": "Bayern"}, "de")
    '1.200 Standorte in Brandenburg – Kontrolle: Bayern'
    >>> symbol_label({"firm": 2}, {"type": "firm", "land": "Berlin;Brandenburg", "centre": "inside"})
    '2 firms in Berlin and Brandenburg run from the region'
    >>> symbol_label({"group": 35, "place": 12}, {"type": "group", "land": "", "centre": "Bavaria"})
    'Bavaria: 12 places, 35 groups'
    """
    said = [text(f"symbol.{t}" + ("" if n == 1 else "s"), language, count=number(n, language))
            for t, n in sorted(counts.items(), key=lambda i: _count_rank(i[0])) if n and t in COUNT_ORDER]
    lands = [land for land in shared.get("land", "").split(";") if land]
    if not lands:
        heading = _centre_words(shared, language, SYMBOL_HEADINGS)
        return f"{heading}: {', '.join(said)}" if heading else ", ".join(said)
    what = text("symbol.in", language, what=said[0] if said else "", lands=text("sentence.and", language).join(lands))
    if not shared.get("centre"):
        return what
    return text("symbol.runFrom", language, what=what, centre=_centre_words(shared, language, SYMBOL_WORDS))


def _centre_words(shared: dict[str, str], language: str, words: dict[str, str]) -> str:
    """A symbol's place of control in ``language``: the words of ``words`` for the region's own or an unknown
    place, else the place's name (``centre_de`` in German)."""
    centre = shared.get("centre", "")
    if centre in words:
        return text(words[centre], language)
    return (shared.get("centre_de") if language == "de" else None) or centre


def _shared_shape(data: list[dict[str, Any]]) -> str:
    """A symbol's shape: its places' shape where they share one (a hexagon abroad), else a dot."""
    shapes = {d.get("shape", "dot") for d in data if d.get("type") == "place"}
    return shapes.pop() if len(shapes) == 1 else "dot"


def _shared(data: list[dict[str, Any]]) -> dict[str, Any]:
    """The attributes all members share (so that filters still work), and the most common colours."""
    shared: dict[str, Any] = {}
    for k in ("type", "land", "subsector", "subsector_label", "control", "outside", "control_area",
              "control_area_de", "centre",
              "functions", "color_subsector", "color_control", "color_centre", "color_type", "color"):
        values = Counter(d.get(k) for d in data if d.get(k) is not None)
        if len(values) == 1 or (values and k.startswith("color")):
            shared[k if k != "type" else "member_type"] = values.most_common(1)[0][0]
    return shared


def _positions(data: list[dict[str, Any]]) -> dict[str, float]:
    """The group's force position (the members' mean) and map position (the member nearest their mean on
    the map: a real member's position, so the group stays inside its Land's outline; a mean of
    Brandenburg's places can fall in Berlin)."""
    out = {axis: round(sum(d.get(axis, 0.0) for d in data) / len(data), 1) for axis in ("force_x", "force_y")}
    mx, my = (sum(d.get(a, 0.0) for d in data) / len(data) for a in ("geo_x", "geo_y"))
    nearest = min(data, key=lambda d: (d.get("geo_x", 0.0) - mx) ** 2 + (d.get("geo_y", 0.0) - my) ** 2)
    out["geo_x"], out["geo_y"] = nearest.get("geo_x", 0.0), nearest.get("geo_y", 0.0)
    return out


def _spread(data: list[dict[str, Any]]) -> float:
    """How far (map px, root mean square) the members lie from their mean."""
    mx, my = (sum(d.get(a, 0.0) for d in data) / len(data) for a in ("geo_x", "geo_y"))
    return math.sqrt(sum((d.get("geo_x", 0.0) - mx) ** 2 + (d.get("geo_y", 0.0) - my) ** 2 for d in data) / len(data))


#: Room (screen px) between two symbols set apart.
SYMBOL_GAP = 10.0
#: The largest radius (screen px) the page draws a node at (``screenSize`` in ``kg/web/app.js``).
SCREEN_RADIUS = 28.0


def _symbol_sizes(g: nx.Graph[str]) -> None:
    """Symbols sized by the regional jobs they stand for (area by jobs; of a place of control's symbol, the jobs
    run from there), the largest :data:`SCREEN_RADIUS`; by members where no symbol has a job figure."""
    def figure(d: dict[str, Any]) -> float:
        return float(d.get("controlled_headcount") or d.get("headcount") or 0)

    jobs = any(figure(d) for _, d in g.nodes(data=True))
    most = max((figure(d) if jobs else float(d.get("member_count") or 1) for _, d in g.nodes(data=True)), default=1.0)
    for _, d in g.nodes(data=True):
        share = (figure(d) if jobs else float(d.get("member_count") or 1)) / (most or 1.0)
        d["size"] = round(8 + (SCREEN_RADIUS - 8) * math.sqrt(share), 1)
        d["viz"]["size"] = d["size"]


def set_apart(g: nx.Graph[str], rings: dict[str, tuple[str, float]] | None = None, rounds: int = 300) -> None:
    """Map symbols a reader can tell apart: the symbols of one Land (``rings``: symbol -> its Land, and how far
    its members lie from their mean, root mean square) on a ring around their centre, each on the side towards
    where its heaviest line leads (the sites in a Land run from Bavaria on the side of Bavaria), as far out as
    their members lie; then all pushed apart until no two overlap as the page draws them at its first zoom (or
    ``rounds`` pass).  Other symbols (a place of control's) stay where they are, unless pushed.

    >>> g = nx.DiGraph(viz_layout="geo")
    >>> g.add_node("a", geo_x=0.0, geo_y=0.0, size=20.0); g.add_node("b", geo_x=1.0, geo_y=0.0, size=20.0)
    >>> set_apart(g)
    >>> abs(g.nodes["a"]["geo_x"] - g.nodes["b"]["geo_x"]) >= 40
    True
    """
    import numpy as np

    from .layout import _map_scale

    rings = rings or {}
    nodes = list(g.nodes)
    at = {v: np.array([float(g.nodes[v]["geo_x"]), float(g.nodes[v]["geo_y"])]) for v in nodes}
    lands: dict[str, list[str]] = defaultdict(list)
    for v, (land, _) in rings.items():
        lands[land].append(v)
    moved = dict(at)
    for members in lands.values():
        weight = np.array([float(g.nodes[v].get("member_count") or 1) for v in members])
        centre = (np.array([at[v] for v in members]) * weight[:, None]).sum(axis=0) / weight.sum()
        ring = float(np.average([rings[v][1] for v in members], weights=weight))
        for v in members:
            lines = g.edges(v, data=True)  # of a directed graph: the lines leaving v
            heaviest = max(lines, key=lambda e: (e[2].get("jobs") or 0, e[2].get("weight") or 0, str(e[1])),
                           default=None)
            way = (at[heaviest[1]] if heaviest is not None else at[v]) - centre
            length = float(np.hypot(*way))
            moved[v] = centre + (way / length * ring if length > 0 else 0.0)
    # the page draws a node at most SCREEN_RADIUS px wide, whatever the zoom: apart at the first zoom's scale
    scale = _map_scale(g)
    xy = np.array([moved[v] for v in nodes])
    radius = np.array([(min(float(g.nodes[v].get("size", 10)), SCREEN_RADIUS) + SYMBOL_GAP / 2) / scale
                       for v in nodes])
    reach = radius[:, None] + radius[None, :]
    keep_in = _Outlines(g, nodes, {v: land for v, (land, _) in rings.items()}, np.array([at[v] for v in nodes]))
    xy = keep_in(xy)
    for step in range(rounds):
        apart = xy[:, None, :] - xy[None, :, :]
        distance = np.hypot(apart[..., 0], apart[..., 1])
        np.fill_diagonal(distance, np.inf)
        overlap = np.clip(reach - distance, 0, None)
        if not overlap.any():
            break
        # two symbols on one spot: apart along a fixed direction of their order
        same = distance < 1e-6
        apart[same] = np.array([1.0, 0.0])
        distance[same] = 1.0
        xy += (apart / distance[..., None] * overlap[..., None] / 2).sum(axis=1) * 0.5
        if step % 10 == 9:
            xy = keep_in(xy)
    xy = keep_in(xy)
    for v, (x, y) in zip(nodes, xy, strict=True):
        g.nodes[v]["geo_x"], g.nodes[v]["geo_y"] = round(float(x), 1), round(float(y), 1)


def _inside(point: Any, rings: Any) -> bool:
    """A map point (x, y up) inside rings drawn in page coordinates (y down)."""
    return geo.inside((float(point[0]), -float(point[1])), rings)


class _Outlines:
    """Keeps each symbol of a Land inside the Land's drawn outline (the view's ``areas``): one pushed out of it
    is pulled back towards where it started (a member's own place, inside) to the last point inside; where
    the Land is too small for its symbols they overlap rather than leave it."""

    def __init__(self, g: nx.Graph[str], nodes: list[str], lands: dict[str, str], start: Any) -> None:
        outlines = {str(a["label"]): a["rings"] for a in g.graph.get("areas", [])
                    if a.get("rings") and a.get("kind") == "region"}
        self.rings = [outlines.get(lands.get(v, "")) for v in nodes]
        self.start = start

    def __call__(self, xy: Any) -> Any:
        import numpy as np

        xy = xy.copy()
        for i, rings in enumerate(self.rings):
            if rings is None or _inside(xy[i], rings) or not _inside(self.start[i], rings):
                continue
            low, high = 0.0, 1.0  # the share of the way from the start that is still inside
            for _ in range(16):
                middle = (low + high) / 2
                low, high = (middle, high) if _inside(self.start[i] + middle * (xy[i] - self.start[i]), rings) \
                    else (low, middle)
            # a little further in than the edge, so that the map's rounding to 0.1 px keeps it inside
            way = xy[i] - self.start[i]
            low = max(0.0, low - 2.0 / max(float(np.hypot(*way)), 1e-9))
            while low > 0 and not _inside(self.start[i] + low * way, rings):
                low = max(0.0, low - 0.05)
            xy[i] = self.start[i] + low * way
        return np.asarray(xy)

