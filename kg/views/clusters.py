"""The clusters view: the region's firms joined by shared ties (subsector and town, holding, campus, park)."""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

import networkx as nx
from pyoxigraph import Store

from ..messages import LANGUAGES, number, text
from ..rules import CLUSTER_TIES, TIE_PAIR_LIMIT, TieCount, count_ties, is_operating_site, tie_form
from .catalogue import Catalog, _catalog
from .layout import _isolated_apart
from .lines import LINES_ASIDE, HeldLines
from .nodes import _org_node
from .present import _finish
from .style import NEUTRAL, TIE_STYLES

#: A tie as the view keys it: (kind, the organisation or cluster IRI, or ``code@municipality IRI``).
Key = tuple[str, str]


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


def _tie_label(cat: Catalog, kind: str, key: str) -> str:
    if kind == "subsector-place":
        code, town = key.split("@", 1)
        return f"{code} {cat.subsectors.get(code, {}).get('en', '')} in {cat.label(town)}"
    return f"{kind} {cat.label(key)}"


#: A tie shared by more firms than this is drawn as one hub node (``type`` "tie") linked to its
#: firms, instead of a clique of n(n-1)/2 edges (at 100,000 firms a subsector in Berlin alone
#: would make millions of edges): the rule of cluster-links, kg.rules.tie_form.
CLIQUE_LIMIT = TIE_PAIR_LIMIT


def clusters_view(store: Store, *, region: str | None = None, catalog: Catalog | None = None,
                  clique_limit: int | None = None, page_budget: int | None = None) -> nx.Graph[str]:
    """Firms of the region joined by shared ties; ``weight`` = number of ties two firms share.

    A tie the build made a hub (``bbmb:tieForm``, :func:`kg.rules.tie_form`: more than
    :data:`CLIQUE_LIMIT` firms, in the region or not) becomes a hub node of type ``tie``, as
    cluster-links lists it; with ``clique_limit``, a tie of more firms than that in the view.

    ``page_budget``: the view is only drawn as a page of at most that many nodes (no graph file): past it the
    page draws groups and their lines merged (:func:`kg.views.within_budget`), so the lines are held aside
    (:mod:`kg.views.lines`), not made edges (at a million firms, millions of lines to a hub), to the same page.
    """
    cat = _catalog(store, catalog, region)
    g: nx.Graph[str] = nx.Graph(name="clusters", color_by="subsector")
    firms = _regional_firms(cat)
    for firm in firms:
        g.add_node(firm, **_org_node(cat, firm, "firm"))
        if g.nodes[firm].get("local_hq"):
            g.nodes[firm]["shape"] = "star"
    own = {firm: list(dict.fromkeys(cat.ties.get(firm, ()))) for firm in firms}
    holders: dict[Key, list[str]] = defaultdict(list)
    for firm, ties in own.items():
        for tie in ties:
            holders[tie].append(firm)
    labels = {tie: _tie_label(cat, *tie) for tie in holders}
    cited: set[str] = set()  # the sources of lines held aside (those of edges are on the edges)
    if page_budget is not None and len(firms) > page_budget:
        cited = _hold_lines(g, cat, holders, labels, clique_limit)
    else:
        _add_lines(g, cat, holders, labels, clique_limit)
    g.graph["hulls"] = _hulls(g, cat)
    g.graph.update(_titles({str(k) for k in g.graph["edge_kinds"]} | {h["kind"] for h in g.graph["hulls"]}))
    g.graph["headline"] = ties_headline(cat, len(firms))
    for firm, ties in own.items():
        _tie_facts(g.nodes[firm], sorted(labels[t] for t in ties if len(holders[t]) > 1))
    _finish(g, cat, sizes=lambda d: d.get("headcount"), cited=cited)
    _isolated_apart(g)
    return g


def _add_lines(g: nx.Graph[str], cat: Catalog, holders: dict[Key, list[str]], labels: dict[Key, str],
               clique_limit: int | None) -> None:
    """The ties (``labels``: each tie's label) as edges: each tie of a hub form a hub node linked to its firms,
    the firms of each other tie joined pairwise, one line a pair for all the ties it shares (``ties``: firm ->
    {tie: its sources}); the kinds of tie the lines are drawn in."""
    ties: dict[str, dict[Key, list[str]]] = {f: {} for members in holders.values() for f in members}
    for tie, members in holders.items():
        for m in members:
            ties[m][tie] = _tie_sources(cat, m, *tie)
    shared: dict[tuple[str, str], dict[Key, set[str]]] = defaultdict(dict)
    drawn: set[str] = set()
    for tie, members in sorted(holders.items()):
        if _form(cat, tie, len(members), clique_limit) == "hub":  # a hub node, not n(n-1)/2 edges
            _add_hub(g, cat, tie, labels[tie], {m: ties[m][tie] for m in members})
            drawn.add(tie[0])
            continue
        for a, b in combinations(sorted(members), 2):
            shared[(a, b)][tie] = set(ties[a][tie]) | set(ties[b][tie])
    for (a, b), common in sorted(shared.items()):
        drawn.add(_add_shared(g, a, b, common, labels))
    g.graph["edge_kinds"] = {k: v for k, v in TIE_STYLES.items() if k in drawn}


def _hold_lines(g: nx.Graph[str], cat: Catalog, holders: dict[Key, list[str]], labels: dict[Key, str],
                clique_limit: int | None) -> set[str]:
    """The lines :func:`_add_lines` would add, held aside in the order it adds them (:class:`HeldLines`), with
    the hub nodes and the kinds drawn; the sources the lines cite."""
    lines: list[tuple[str, str, str]] = []
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)  # a pair of firms -> the kinds of tie they share
    drawn: set[str] = set()
    cited: set[str] = set()
    for tie, members in sorted(holders.items()):
        kind, hub_form = tie[0], _form(cat, tie, len(members), clique_limit) == "hub"
        if hub_form or len(members) > 1:  # a line cites the sources of its firms' tie
            for m in members:
                cited.update(_tie_sources(cat, m, *tie))
        if hub_form:
            hub = _hub_node(g, cat, tie, labels[tie], len(members))
            lines.extend((m, hub, SHARED_TIE) for m in members)
            drawn.add(kind)
            continue
        for a, b in combinations(sorted(members), 2):
            shared[(a, b)].add(kind)
    for pair, kinds in sorted(shared.items()):
        lines.append((*pair, SHARED_TIE))
        drawn.add(_line_kind(kinds))
    g.graph[LINES_ASIDE] = HeldLines(g.nodes, lines, directed=False)
    g.graph["edge_kinds"] = {k: v for k, v in TIE_STYLES.items() if k in drawn}
    return cited


def ties_headline(cat: Catalog, regional_firms: int) -> dict[str, Any]:
    """The clusters page's headline: the ties the build derived (``cluster-links``' ties) counted over every
    firm in the data (:func:`kg.rules.count_ties`), whether the page draws it or folds it into a group, and
    ``regional_firms``, those of the region (the firms the page draws); with the sentence in each language."""
    counted = count_ties(cat.ties, (o.iri for o in cat.orgs.values() if "firm" in o.kinds))
    area = cat.label(cat.region) if cat.region else ""
    return {"ties": counted.ties, "byKind": counted.by_kind, "tiedFirms": counted.tied_firms,
            "firms": counted.firms, "regionalFirms": regional_firms,
            "sentence": ties_sentence(counted, regional_firms, area),
            "sentences": {language: ties_sentence(counted, regional_firms, area, language) for language in LANGUAGES}}


def ties_sentence(counted: TieCount, regional_firms: int, area: str, language: str = "en") -> str:
    """The clusters page's headline as a sentence one can quote: how many ties, among how many firms, by kind,
    how many firms share none, and what is counted (the firms in the data, those in ``area``: the region);
    in ``language`` (its words: ``kg/web/messages.json``).

    >>> counted = TieCount(ties=17, by_kind={"subsector-place": 12, "holding": 5}, tied_firms=20, firms=35)
    >>> print(ties_sentence(counted, 32, "X"))  # doctest: +NORMALIZE_WHITESPACE
    17 ties among 20 firms: 12 by subsector and town, 5 by holding; 15 firms share no tie. Counted: the 35
    firms in the data, 32 of them with an operating site or headquarters in X; a tie is a subsector in the
    same town, a holding, a campus or a technology park that two firms or more share.
    >>> print(ties_sentence(TieCount(1, {"campus": 1}, 2, 3), 3, "", "de"))  # doctest: +NORMALIZE_WHITESPACE
    1 Verbindung zwischen 2 Firmen: 1 über Campus; 1 Firma teilt keine Verbindung. Gezählt: die 3 Firmen in den
    Daten; eine Verbindung ist eine Branche im selben Ort, ein Konzern, ein Campus oder ein Technologiepark, den
    zwei Firmen oder mehr teilen.
    """
    def say(key: str, count: int, **values: Any) -> str:
        return text(f"{key}.one" if count == 1 else key, language, count=number(count, language), **values)

    if counted.ties:
        kinds = ", ".join(text("clusters.byKind", language, count=number(n, language),
                               kind=text(f"tieKind.{kind}", language)) for kind, n in counted.by_kind.items())
        said = say("clusters.ties", counted.ties, firms=number(counted.tied_firms, language), kinds=kinds)
        if counted.untied:
            said += "; " + say("clusters.untied", counted.untied)
    else:
        said = text("clusters.none", language)
    regional = text("clusters.regional", language, firms=number(regional_firms, language), area=area) if area else ""
    return f"{said}. " + text("clusters.counted", language, firms=number(counted.firms, language), regional=regional)


def _form(cat: Catalog, tie: Key, members: int, clique_limit: int | None) -> str:
    """The tie's form: as the build decided it (a graph built before it did: the rule on the firms
    of the view), or by ``clique_limit`` on the firms of the view."""
    if clique_limit is None:
        return cat.tie_forms.get(tie) or tie_form(members)
    return tie_form(members, clique_limit)


def _titles(kinds: set[str]) -> dict[str, str]:
    """The title and line legend, naming only the kinds of tie the view draws (as lines or hulls).

    >>> _titles({"holding", "subsector-place"})["title"]
    'Cluster links: firms tied by holding or subsector and town'
    >>> _titles(set())["title"]
    'Cluster links: no two firms share a tie'
    """
    words = [str(style["short"]) for kind, style in TIE_STYLES.items() if kind in kinds]
    if not words:
        return {"title": "Cluster links: no two firms share a tie", "edge_legend": ""}
    listed = " or ".join(filter(None, [", ".join(words[:-1]), words[-1]]))
    return {"title": f"Cluster links: firms tied by {listed}",
            "edge_legend": f"a line: shared ties ({', '.join(words)}); width: how many"}


def _regional_firms(cat: Catalog) -> list[str]:
    """The firms with an operating site or their headquarters in the region."""
    return sorted({s.org for s in cat.regional_sites_set if "firm" in cat.orgs[s.org].kinds}
                  | {o.iri for o in cat.orgs.values() if "firm" in o.kinds and cat.in_region(o.hq_place)})


def _tie_facts(node: dict[str, Any], names: list[str]) -> None:
    """The ties a firm shares with another, in its panel."""
    if names:
        node["clusters"] = "; ".join(names)
        node["facts"].append({"k": "ties", "v": "; ".join(names), "src": []})


#: The relation of every line of the view.
SHARED_TIE = "bbmb:sharedTie"


def _hub_node(g: nx.Graph[str], cat: Catalog, tie: Key, label: str, members: int) -> str:
    """A tie of many firms as one node (of ``members`` firms); its id."""
    kind, key = tie
    hub = f"tie:{kind}:{key}"
    colour = cat.subsector_colors.get(key.split("@")[0], NEUTRAL) if kind == "subsector-place" else NEUTRAL
    g.add_node(hub, type="tie", label=label, tie_kind=kind, member_count=members, color_subsector=colour,
               color_control=NEUTRAL, facts=[{"k": "tie", "v": f"{label}: {members:,} firms", "src": []}])
    return hub


def _add_hub(g: nx.Graph[str], cat: Catalog, tie: Key, label: str, members: dict[str, list[str]]) -> None:
    """A tie of many firms as one node linked to each (``members``: firm -> the sources of its tie)."""
    hub, kind = _hub_node(g, cat, tie, label, len(members)), tie[0]
    for m, sources in members.items():
        g.add_edge(m, hub, relation=SHARED_TIE, label=kind, weight=1, ties=label, tie_kinds=kind, kind=kind,
                   source=";".join(sources))


def _add_shared(g: nx.Graph[str], a: str, b: str, common: dict[Key, set[str]], labels: dict[Key, str]) -> str:
    """One line between two firms for every tie they share (``common``: tie -> its sources); the kind of tie
    it is drawn in."""
    said = sorted(labels[t] for t in common)
    kinds = {t[0] for t in common}
    kind = _line_kind(kinds)
    g.add_edge(a, b, relation=SHARED_TIE, label=f"{len(common)} shared tie(s)", weight=len(common),
               ties="; ".join(said), tie_kinds=";".join(sorted(kinds)), kind=kind,
               source=";".join(sorted(set().union(*common.values()))))
    return kind


def _line_kind(kinds: set[str]) -> str:
    """The kind of tie a line of two firms sharing ties of ``kinds`` is drawn in: the first in the legend's order.

    >>> _line_kind({"subsector-place", "holding"})
    'holding'
    """
    return min(kinds, key=list(TIE_STYLES).index)


def _hulls(g: nx.Graph[str], cat: Catalog) -> list[dict[str, Any]]:
    """The named clusters that tie firms (a holding, a campus, a technology park: kg.rules.CLUSTER_TIES),
    drawn as hulls around their members."""
    return [{"label": cluster.label, "kind": cluster.kind,
             "color": TIE_STYLES.get(cluster.kind, {}).get("color", NEUTRAL),
             "members": sorted(m for m in cluster.members if m in g)}
            for cluster in sorted(cat.clusters.values(), key=lambda c: c.iri)
            if cluster.kind in CLUSTER_TIES and sum(1 for m in cluster.members if m in g) >= 2]
