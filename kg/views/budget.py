"""Past the node budget, an aggregated graph: the largest nodes and every place of control as they are, the rest
grouped."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from ..rules import INSIDE, UNKNOWN
from .layout import force_layout
from .style import CONTROL_LABELS, GEXF_SHAPES, NEUTRAL, _rgb, edge_look, headcount_size

#: Past this many nodes the page draws an aggregated network (see :func:`within_budget`).
NODE_BUDGET = 2000


#: Grouping keys for aggregation, the last dropped first; a view may name its own (``aggregate_by``: the hq view
#: groups by where control sits, its colouring, so that a group's jobs count for one place of control).
AGGREGATE_BY = ("type", "land", "subsector", "control")
#: How a group's label says what its members share: key -> phrase (``{}``: the shared value).
AGGREGATE_PHRASES = {"land": "in {}", "centre": "run from {}", "subsector": ", subsector {}", "control": ", {}"}
#: Values said in words in a group's label.
AGGREGATE_WORDS = {"centre": {INSIDE: "the region", UNKNOWN: "a place not known"},
                   "control": {k: v[0].lower() + v[1:] for k, v in CONTROL_LABELS.items()}}


def within_budget(g: nx.Graph[str], budget: int = NODE_BUDGET, keys: tuple[str, ...] | None = None) -> nx.Graph[str]:
    """The graph itself if it has at most ``budget`` nodes; else an aggregated graph that does.

    The largest nodes (by head-count, then degree) up to half the budget stay as they are; the others are grouped
    by ``keys`` (default: the view's ``aggregate_by``, else :data:`AGGREGATE_BY`: type, Land, subsector, control --
    dropping keys from the end until the groups fit).  An aggregate node counts its members (``member_count``),
    sums their head-counts, keeps the attributes its members share (so that filters still work), says in its label
    what they share (:func:`aggregate_label`) and lists its members (``members``: [id, label] pairs) for the
    page's side panel.  Edges between groups are merged; ``weight`` counts the edges merged.
    """

    n = g.number_of_nodes()
    if n <= budget:
        return g
    keys = tuple(keys or g.graph.get("aggregate_by") or AGGREGATE_BY)
    ranked, keep = _kept(g, budget)
    groups, depth = _grouped(g, ranked, keep, keys, budget)
    out: nx.Graph[str] = nx.DiGraph() if g.is_directed() else nx.Graph()
    out.graph.update(g.graph)
    out.graph["aggregated"] = {"nodes": n, "edges": g.number_of_edges(), "budget": budget,
                               "keys": list(keys[:depth])}
    where: dict[str, str] = {}
    for v in ranked:
        if v in keep:
            out.add_node(v, **g.nodes[v])
            where[v] = v
    for key, members in sorted(groups.items()):
        members = [v for v in members if v not in keep]
        if not members:
            continue
        ident = "aggregate:" + "|".join(key)
        where.update((v, ident) for v in members)
        out.add_node(ident, **_aggregate_node(g, key, keys[:depth], members))
    _merge_edges(g, out, where)
    _place(out)
    return out


def _kept(g: nx.Graph[str], budget: int) -> tuple[list[str], set[str]]:
    """The nodes by rank (places of control and groups first, then head-count, degree), and those kept as
    they are: up to half the budget, and every place of control and group where the budget allows."""
    # the places of control (and the groups leading there) carry the story: never grouped away
    story = {v for v, d in g.nodes(data=True) if d.get("type") in ("place", "group")}
    ranked = sorted(g.nodes, key=lambda v: (v not in story, -(g.nodes[v].get("headcount") or 0), -g.degree(v), str(v)))
    return ranked, set(ranked[: max(budget // 2, min(len(story), budget - 50))])


def _grouped(g: nx.Graph[str], ranked: list[str], keep: set[str], keys: tuple[str, ...],
             budget: int) -> tuple[dict[tuple[str, ...], list[str]], int]:
    """The other nodes grouped by ``keys``, dropping keys from the end until the groups fit (``keep`` shrinks
    in place if even no key leaves too many); the groups and how many keys they use."""
    def group(rest: list[str], depth: int) -> dict[tuple[str, ...], list[str]]:
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for v in rest:
            groups[tuple(str(g.nodes[v].get(k, "")) for k in keys[:depth])].append(v)
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


def _merge_edges(g: nx.Graph[str], out: nx.Graph[str], where: dict[str, str]) -> None:
    """The edges between groups merged: ``weight`` counts them, ``relation`` lists their kinds."""
    weights: dict[tuple[str, str], float] = defaultdict(float)
    relations: dict[tuple[str, str], set[str]] = defaultdict(set)
    for u, v, d in g.edges(data=True):
        a, b = where[u], where[v]
        if a == b:
            continue
        if not out.is_directed() and str(a) > str(b):
            a, b = b, a
        weights[(a, b)] += 1
        relations[(a, b)].add(str(d.get("relation", "")))
    for (a, b), w in weights.items():
        rel = ";".join(sorted(relations[(a, b)]))
        out.add_edge(a, b, weight=int(w), relation=rel, label=f"{int(w):,} × {rel}" if w > 1 else rel)
        edge_look(out, a, out.edges[a, b], 0)


def _place(out: nx.Graph[str]) -> None:
    """The aggregated graph's force layout (from the map positions, north up in and out) and its viz positions."""
    force = force_layout(out, {v: (d["geo_x"], d["geo_y"]) for v, d in out.nodes(data=True)})
    on_map = out.graph.get("viz_layout") == "geo"
    for v, d in out.nodes(data=True):
        d["force_x"], d["force_y"] = force[v]
        x, y = (d["geo_x"], d["geo_y"]) if on_map else (d["force_x"], d["force_y"])
        d["viz"] = dict(d.get("viz") or {}, position={"x": x, "y": y, "z": 0.0})


def _aggregate_node(g: nx.Graph[str], key: tuple[str, ...], names: tuple[str, ...],
                    members: list[str]) -> dict[str, Any]:
    data = [g.nodes[v] for v in members]
    attrs: dict[str, Any] = {"type": "aggregate", "member_count": len(members), **_shared(data)}
    total = sum(d.get("headcount") or 0 for d in data)
    if total:
        attrs["headcount"] = total
    attrs["label"] = aggregate_label(len(members), attrs.get("member_type", "node"), dict(zip(names, key, strict=True)))
    attrs["shape"] = "dot"
    attrs["size"] = round(12 + 4 * math.log10(1 + len(members)) + headcount_size(total or None) / 4, 1)
    attrs.update(_positions(data))
    attrs["members"] = [[v, g.nodes[v].get("label", v)] for v in members]
    kind = attrs.get("member_type", "node")
    attrs["facts"] = [{"k": "members", "v": f"{len(members):,} {kind}s grouped by {', '.join(names) or 'nothing'}",
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


def _shared(data: list[dict[str, Any]]) -> dict[str, Any]:
    """The attributes all members share (so that filters still work), and the most common colours."""
    shared: dict[str, Any] = {}
    for k in ("type", "land", "subsector", "subsector_label", "control", "outside", "control_area", "centre",
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
