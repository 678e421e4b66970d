"""The clusters view: the region's firms joined by shared ties (subsector and town, holding, campus, park)."""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import networkx as nx
from pyoxigraph import Store

from ..rules import is_operating_site
from .catalogue import Catalog, _catalog
from .layout import _isolated_apart
from .nodes import _org_node
from .present import _finish
from .style import NEUTRAL, TIE_STYLES


def _tie_sources(cat: Catalog, firm: str, kind: str, key: str) -> list[str]:
    """The sources of a firm's tie: its sites in the town, its parent relation, or the cluster."""
    org = cat.orgs[firm]
    if kind == "subsector-place":
        town = key.split("@", 1)[1]
        return sorted({src for s in cat.sites_of.get(firm, ()) if cat.municipality.get(s.place, s.place) == town
                       and is_operating_site(s.functions) for src in s.sources})
    if key == firm:
        return org.sources
    if key in cat.chain(firm):
        return org.parent_sources
    cluster = cat.clusters.get(key) or next((c for c in cat.clusters.values() if c.operator == key), None)
    return cluster.sources if cluster else org.sources


def _ties(cat: Catalog, firms: list[str]) -> dict[str, dict[tuple[str, str], list[str]]]:
    """firm -> {(tie kind, tie key): sources} for every tie the build derived for it (kg.rules.firm_ties)."""
    return {f: {(kind, key): _tie_sources(cat, f, kind, key) for kind, key in cat.ties.get(f, ())} for f in firms}


def _tie_label(cat: Catalog, kind: str, key: str) -> str:
    if kind == "subsector-place":
        code, town = key.split("@", 1)
        return f"{code} {cat.subsectors.get(code, {}).get('en', '')} in {cat.label(town)}"
    return f"{kind} {cat.label(key)}"


#: A tie shared by more firms than this is drawn as one hub node (``type`` "tie") linked to its
#: firms, instead of a clique of n(n-1)/2 edges (at 100,000 firms a subsector in Berlin alone
#: would make millions of edges).
CLIQUE_LIMIT = 40


def clusters_view(store: Store, *, region: str | None = None, catalog: Catalog | None = None,
                  clique_limit: int = CLIQUE_LIMIT) -> nx.Graph[str]:
    """Firms of the region joined by shared ties; ``weight`` = number of ties two firms share.

    A tie held by more than ``clique_limit`` firms becomes a hub node of type ``tie``.
    """
    cat = _catalog(store, catalog, region)
    g: nx.Graph[str] = nx.Graph(name="clusters", title="Cluster links: firms tied by subsector and place, holding, campus or park",
                 color_by="subsector", edge_legend="a line: shared ties (subsector in the same town, holding, "
                                                   "campus, technology park); width: how many")
    firms = sorted({s.org for s in cat.regional_sites_set if "firm" in cat.orgs[s.org].kinds}
                   | {o.iri for o in cat.orgs.values() if "firm" in o.kinds and cat.in_region(o.hq_place)})
    for firm in firms:
        g.add_node(firm, **_org_node(cat, firm, "firm"))
        if g.nodes[firm].get("local_hq"):
            g.nodes[firm]["shape"] = "star"
    ties = _ties(cat, firms)
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for firm, own in ties.items():
        for tie in own:
            holders[tie].append(firm)
    shared: dict[tuple[str, str], dict[tuple[str, str], set[str]]] = defaultdict(dict)
    for tie, members in sorted(holders.items()):
        if len(members) > clique_limit:  # a hub node, not n(n-1)/2 edges
            hub = f"tie:{tie[0]}:{tie[1]}"
            g.add_node(hub, type="tie", label=_tie_label(cat, *tie), tie_kind=tie[0], member_count=len(members),
                       color_subsector=cat.subsector_colors.get(tie[1].split("@")[0], NEUTRAL)
                       if tie[0] == "subsector-place" else NEUTRAL, color_control=NEUTRAL,
                       facts=[{"k": "tie", "v": f"{_tie_label(cat, *tie)}: {len(members):,} firms", "src": []}])
            for m in members:
                g.add_edge(m, hub, relation="bbmb:sharedTie", label=tie[0], weight=1, ties=_tie_label(cat, *tie),
                           tie_kinds=tie[0], source=";".join(ties[m][tie]))
            continue
        for a, b in combinations(sorted(members), 2):
            shared[(a, b)][tie] = set(ties[a][tie]) | set(ties[b][tie])
    for (a, b), common in sorted(shared.items()):
        labels = sorted(_tie_label(cat, *t) for t in common)
        kinds = sorted({t[0] for t in common}, key=list(TIE_STYLES).index)
        g.add_edge(a, b, relation="bbmb:sharedTie", label=f"{len(common)} shared tie(s)", weight=len(common),
                   ties="; ".join(labels), tie_kinds=";".join(sorted(kinds)), kind=kinds[0],
                   source=";".join(sorted(set().union(*common.values()))))
    g.graph["edge_kinds"] = {k: v for k, v in TIE_STYLES.items()
                             if any(d.get("kind", d.get("tie_kinds")) == k for *_, d in g.edges(data=True))}
    # the named clusters (a holding, a campus, a technology park) drawn as hulls around their members
    g.graph["hulls"] = [{"label": cluster.label, "kind": cluster.kind, "color": TIE_STYLES.get(cluster.kind, {}).get("color", NEUTRAL),
                         "members": sorted(m for m in cluster.members if m in g)}
                        for cluster in sorted(cat.clusters.values(), key=lambda c: c.iri)
                        if cluster.kind != "peer-group" and sum(1 for m in cluster.members if m in g) >= 2]
    for firm, own in ties.items():
        names = sorted(_tie_label(cat, *t) for t in own if len(holders[t]) > 1)
        if names:
            g.nodes[firm]["clusters"] = "; ".join(names)
            g.nodes[firm]["facts"].append({"k": "ties", "v": "; ".join(names), "src": []})
    _finish(g, cat, sizes=lambda d: d.get("headcount"))
    _isolated_apart(g)
    return g
