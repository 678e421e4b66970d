"""Cluster ties: what the firms share (:func:`kg.rules.firm_ties`), read by ``cluster-links`` and the clusters view."""
from __future__ import annotations

from ..rules import ClusterIndex, ClusterTie, Tie, firm_ties, parent_chain
from ..tables import Tables
from .facts import Facts


def clusters_of(tables: Tables) -> list[ClusterTie]:
    """The named clusters with their members, operator and place."""
    members: dict[str, set[str]] = {}
    for row in tables["cluster_members"]:
        members.setdefault(row["cluster"], set()).add(row["member"])
    return [ClusterTie(r["id"], r["kind"], frozenset(members.get(r["id"], ())), r["org"] or None, r["place"] or None)
            for r in tables["clusters"]]


def derive_ties(facts: Facts, tables: Tables) -> dict[str, set[Tie]]:
    """firm -> its ties, for every firm of the tables."""
    clusters = ClusterIndex(clusters_of(tables))
    parents = {p for p in facts.parent.values() if p}
    return {firm: firm_ties(parent_chain(firm, facts.parent), firm in parents, facts.codes_of.get(firm, ()),
                            [p for _, p, _ in facts.sites_of.get(firm, ())], facts.places.municipality,
                            facts.places.ancestors, clusters)
            for firm in facts.firms}


def tie_key(tie: Tie) -> str:
    """The tie's id in its IRI (``{base}tie/<key>``).

    >>> tie_key(Tie("subsector-place", "berlin", "28.22"))
    'subsector-place/berlin/28.22'
    """
    return "/".join(x for x in (tie.kind, tie.via, tie.code) if x)
