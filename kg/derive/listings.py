"""The order of the long listings, derived once per build, so that a page of one is a bounded scan.

A listing of the saved queries (``firms-by-subsector``, ``rnd-sites``) lists, for a region, one row
per firm and Land or per site, in an order by labels.  Sorting the whole listing for each page took
seconds at 100,000 firms.  The build numbers the rows instead: for every area (a place something lies
``bbmb:within``) and listing, a property ``L`` (a ``bbmb:Listing``, sub-property of
``bbmb:listingRank``) with ``row L 1``, ``row L 2``, ... in the listing's order, and the number of rows
on ``L`` (``bbmb:rows``).  The saved query reads its region's listing and orders by the rank; kg pages
it with ``FILTER(?rank > offset && ?rank <= offset + limit)`` (one index scan of ``L``, then only the
page's rows joined to their columns) and reads the total as one triple (:func:`kg.query.run`).

The rows and their order are those of the saved query's own definition: the same members (written here
once as SPARQL and run over the built store) and the same sort keys; rows the query's ORDER BY leaves
tied are ordered by their IRIs, so a page is the same rows on every engine.

    >>> from kg.build import build
    >>> from kg.query import run
    >>> run("rnd-sites", build().store, limit=10).total     # doctest: +SKIP
    31
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, Store

from ..namespaces import BBMB, RDF, RDFS, SDMX_DIMENSION, XSD, IRIs
from ..results import Term
from ..rules import CLUSTER_LINK_ROWS, tie_row_keys
from .facts import DERIVED

_PREFIXES = """PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

#: queries/firms-by-subsector.rq: each firm in each Land where it has an operating site, per area the
#: site's place is within; with its subsector (a firm classified twice is listed twice), whose code and
#: German name the row carries (bbmb:rowCode, bbmb:rowSubsectorLabel).
FIRMS_BY_SUBSECTOR_MEMBERS = _PREFIXES + """SELECT DISTINCT ?area ?firm ?land WHERE {
  ?sitePlace bbmb:within ?area ; bbmb:inLand ?land .
  ?site a bbmb:OperatingSite ; schema:containedInPlace ?sitePlace ; org:siteOf ?firm . ?firm a bbmb:Firm .
}"""
#: Its sort keys (ORDER BY ?landLabel ?code ?firmLabel), by firm and by Land.
FIRM_SORT_KEYS = _PREFIXES + """SELECT ?firm ?firmLabel ?subsector ?code ?classLabel WHERE {
  ?firm a bbmb:Firm .
  OPTIONAL { ?firm rdfs:label ?firmLabel }
  OPTIONAL { ?firm org:classification ?subsector . ?subsector skos:notation ?code ; skos:prefLabel ?classLabel .
             FILTER(LANG(?classLabel) = "de") }
}"""
LAND_LABELS = _PREFIXES + """SELECT ?land ?landLabel WHERE {
  ?land a bbmb:Land ; rdfs:label ?landLabel . FILTER(LANG(?landLabel) = "en")
}"""

#: queries/rnd-sites.rq: every site of a firm, per area its place is within, with its sort keys
#: (ORDER BY ?landLabel ?firmLabel ?siteLabel).
RND_SITES_MEMBERS = _PREFIXES + """SELECT ?area ?site WHERE {
  ?sitePlace bbmb:within ?area .
  ?site schema:containedInPlace ?sitePlace ; org:siteOf ?firm . ?firm a bbmb:Firm .
}"""
SITE_SORT_KEYS = _PREFIXES + """SELECT ?site ?landLabel ?firmLabel ?siteLabel WHERE {
  ?site schema:containedInPlace ?sitePlace ; org:siteOf ?firm . ?firm a bbmb:Firm .
  OPTIONAL { ?site rdfs:label ?siteLabel }
  OPTIONAL { ?firm rdfs:label ?firmLabel }
  OPTIONAL { ?sitePlace bbmb:inLand ?land . ?land rdfs:label ?landEn . FILTER(LANG(?landEn) = "en") }
  BIND(IF(BOUND(?landEn), STR(?landEn), "") AS ?landLabel)
}"""

#: A sort key as SPARQL's ORDER BY compares the terms here: an unbound value first, then by text
#: (the labels and codes are strings; Python compares them by code point, as the engines do).
SortKey = tuple[tuple[int, str], ...]


def _key(*terms: Term | None) -> SortKey:
    return tuple((0, "") if t is None else (1, t.value) for t in terms)


@dataclass(frozen=True)
class Row:
    """A row of a listing: the node that carries its rank, the triples that say what it is, its sort key."""

    node: NamedNode
    sort: SortKey
    quads: tuple[tuple[NamedNode, NamedNode | Literal], ...] = ()


def _solutions(store: Store, text: str) -> QuerySolutions:
    return cast(QuerySolutions, store.query(text, use_default_graph_as_union=True))


def _firms_by_subsector(store: Store, iris: IRIs) -> Iterator[tuple[NamedNode | None, Row]]:
    """(area, row) of queries/firms-by-subsector.rq: a row is a firm, a Land and the firm's subsector."""
    lands = {cast(NamedNode, s["land"]): s["landLabel"] for s in _solutions(store, LAND_LABELS)}
    firms: dict[NamedNode, list[tuple[Term | None, ...]]] = {}
    for s in _solutions(store, FIRM_SORT_KEYS):
        firms.setdefault(cast(NamedNode, s["firm"]), []).append(
            (s["firmLabel"], s["subsector"], s["code"], s["classLabel"]))
    rows: dict[tuple[NamedNode, NamedNode, Term | None], Row] = {}
    for s in _solutions(store, FIRMS_BY_SUBSECTOR_MEMBERS):
        firm, land = cast(NamedNode, s["firm"]), cast(NamedNode, s["land"])
        for label, subsector, code, class_label in firms.get(firm, [(None, None, None, None)]):
            row = rows.get((firm, land, subsector))
            if row is None:
                key = f"firms-by-subsector/{_id(firm, iris)}/{_id(land, iris)}"
                facts: list[tuple[NamedNode, NamedNode | Literal]] = [(BBMB.rowFirm, firm), (BBMB.rowLand, land)]
                if isinstance(subsector, NamedNode) and isinstance(code, Literal) and \
                        isinstance(class_label, Literal):  # the subsector's code and name on the row: a page
                    key += "/" + _id(subsector, iris)      # reads them by one triple each
                    facts += [(BBMB.rowCode, code), (BBMB.rowSubsectorLabel, class_label)]
                code_key = ((1, code.value),) if code is not None else ((1, ""),)  # COALESCE(?classCode, "")
                rows[(firm, land, subsector)] = row = Row(
                    iris.listing("row/" + key), _key(lands.get(land)) + code_key + _key(label), tuple(facts))
            yield cast(NamedNode, s["area"]), row


def _rnd_sites(store: Store, iris: IRIs) -> Iterator[tuple[NamedNode | None, Row]]:
    """(area, row) of queries/rnd-sites.rq: a row is a site."""
    sort = {cast(NamedNode, s["site"]): _key(s["landLabel"], s["firmLabel"], s["siteLabel"])
            for s in _solutions(store, SITE_SORT_KEYS)}
    for s in _solutions(store, RND_SITES_MEMBERS):
        site = cast(NamedNode, s["site"])
        yield cast(NamedNode, s["area"]), Row(site, sort[site])


#: queries/firm-facts.rq: every organisation with a controller and every site with a head-count, with its
#: sort keys (ORDER BY ?kind ?subjectLabel); one listing for the whole graph.
FIRM_FACTS_MEMBERS = _PREFIXES + """SELECT ?subject ?kind ?subjectLabel WHERE {
  { ?subject bbmb:controlledBy ?controller . BIND("organisation" AS ?kind) ?controller rdfs:label ?controllerLabel }
  UNION
  { ?subject a org:Site . BIND("site" AS ?kind) FILTER EXISTS { ?subject bbmb:employees ?any } }
  ?subject rdfs:label ?subjectLabel . FILTER(LANG(?subjectLabel) = "")
}"""


def _firm_facts(store: Store, iris: IRIs) -> Iterator[tuple[NamedNode | None, Row]]:
    """(None, row) of queries/firm-facts.rq: a row is an organisation or a site."""
    for s in _solutions(store, FIRM_FACTS_MEMBERS):
        yield None, Row(cast(NamedNode, s["subject"]), _key(s["kind"], s["subjectLabel"]))


#: queries/hq-absence.rq: every operating site in an area whose firm is run from outside it, with its sort
#: keys (ORDER BY ?hqLandOrCountry ?firmLabel ?siteLabel).
HQ_ABSENCE_MEMBERS = _PREFIXES + """SELECT DISTINCT ?area ?site ?hqLandOrCountry ?firmLabel ?siteLabel WHERE {
  ?firm bbmb:controlledFromOutside ?area .
  ?site org:siteOf ?firm ; a bbmb:OperatingSite ; schema:containedInPlace ?sitePlace .
  ?sitePlace bbmb:within ?area .
  ?firm bbmb:controlledBy ?controller ; bbmb:controlPlace ?hqPlace .
  OPTIONAL { ?site rdfs:label ?siteLabel }
  OPTIONAL { ?firm rdfs:label ?firmLabel }
  OPTIONAL { ?hqPlace bbmb:inLand ?hqLand . ?hqLand rdfs:label ?hqLandEn . FILTER(LANG(?hqLandEn) = "en") }
  OPTIONAL { ?hqPlace bbmb:inCountry ?hqCountry . ?hqCountry rdfs:label ?hqCountryEn .
             FILTER(LANG(?hqCountryEn) = "en") }
  BIND(IF(BOUND(?hqLandEn), STR(?hqLandEn), "") AS ?hqLandLabel)
  BIND(IF(BOUND(?hqCountryEn), STR(?hqCountryEn), "") AS ?hqCountryLabel)
  BIND(IF(STRLEN(?hqLandLabel) > 0, ?hqLandLabel, ?hqCountryLabel) AS ?hqLandOrCountry)
}"""


def _hq_absence(store: Store, iris: IRIs) -> Iterator[tuple[NamedNode | None, Row]]:
    """(area, row) of queries/hq-absence.rq: a row is a site (of a site with two labels, the first in order)."""
    rows: dict[tuple[NamedNode, NamedNode], Row] = {}
    for s in _solutions(store, HQ_ABSENCE_MEMBERS):
        area, site = cast(NamedNode, s["area"]), cast(NamedNode, s["site"])
        row = Row(site, _key(s["hqLandOrCountry"], s["firmLabel"], s["siteLabel"]))
        if (area, site) not in rows or row.sort < rows[(area, site)].sort:
            rows[(area, site)] = row
    for (area, _), row in rows.items():
        yield area, row


#: queries/cluster-links.rq: every tie two firms or more share (the build writes no other), and its firms.
TIE_MEMBERS = _PREFIXES + """SELECT ?tie ?firm WHERE { ?firm bbmb:sharesTie ?tie }"""


def _cluster_links(store: Store, iris: IRIs) -> Iterator[tuple[NamedNode | None, Row]]:
    """(None, row) of queries/cluster-links.rq: a row is two firms of a tie, or a firm and its hub
    (kg.rules.tie_row_keys), the first CLUSTER_LINK_ROWS of them in the order firm A, firm B, tie."""
    ties: dict[str, list[str]] = {}
    for s in _solutions(store, TIE_MEMBERS):
        ties.setdefault(s["tie"].value, []).append(s["firm"].value)
    for a, b, tie in heapq.nsmallest(CLUSTER_LINK_ROWS, tie_row_keys(ties)):
        ends = (a, b) if b != tie else (a,)
        node = iris.listing("row/cluster-links/" + "/".join(_id(NamedNode(e), iris) for e in (tie, *ends)))
        yield None, Row(node, _key(NamedNode(a), NamedNode(b), NamedNode(tie)),
                        ((BBMB.rowFirm, NamedNode(a)), (BBMB.rowPartner, NamedNode(b)), (BBMB.rowTie, NamedNode(tie))))


def _id(iri: NamedNode, iris: IRIs) -> str:
    """The id part of a data IRI (``place/berlin`` -> ``berlin``; a subsector's code kept whole)."""
    return iri.value[len(iris.base):].split("/", 1)[-1]


#: The listings the build orders: the saved query's name and its rows by area.
LISTINGS: dict[str, Callable[[Store, IRIs], Iterable[tuple[NamedNode | None, Row]]]] = {
    "firms-by-subsector": _firms_by_subsector,
    "rnd-sites": _rnd_sites,
    "firm-facts": _firm_facts,
    "hq-absence": _hq_absence,
    "cluster-links": _cluster_links,
}


def listing_quads(store: Store, iris: IRIs) -> list[Quad]:
    """The ranks of every listing of :data:`LISTINGS` in every area, in ``graph/derived`` (module docstring)."""
    g = iris.graph(DERIVED)
    integer = NamedNode(XSD.integer.value)
    out: list[Quad] = []
    for name, rows_of in LISTINGS.items():
        by_area: dict[NamedNode | None, dict[NamedNode, Row]] = {}
        for area, row in rows_of(store, iris):
            by_area.setdefault(area, {})[row.node] = row
        described: set[NamedNode] = set()
        for area in sorted(by_area, key=lambda a: a.value if a else ""):
            rows = sorted(by_area[area].values(), key=lambda r: (r.sort, r.node.value))
            # a listing per area (the query's region), or one for the whole graph
            listing = iris.listing(f"{name}/{_id(area, iris)}" if area else name)
            out += [Quad(listing, RDF.type, BBMB.Listing, g), Quad(listing, RDFS.subPropertyOf, BBMB.listingRank, g),
                    Quad(listing, BBMB.savedQuery, Literal(name), g),
                    Quad(listing, BBMB.rows, Literal(str(len(rows)), datatype=integer), g)]
            if area:
                out.append(Quad(listing, SDMX_DIMENSION.refArea, area, g))
            for rank, row in enumerate(rows, 1):
                out.append(Quad(row.node, listing, Literal(str(rank), datatype=integer), g))
                if row.quads and row.node not in described:
                    described.add(row.node)
                    out += [Quad(row.node, p, o, g) for p, o in row.quads]
    return out
