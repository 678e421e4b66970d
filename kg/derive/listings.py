"""The order of the long listings, derived once per build, so that a page of one is a bounded scan.

A listing of the saved queries (``firms-by-subsector``, ``rnd-sites``) lists, for a region, one row
per firm and Land or per site, in an order by labels.  Sorting the whole listing for each page took
seconds at 100,000 firms.  The build numbers the rows instead: for every area (a place something lies
``bbmb:within``) and listing, a ``bbmb:Listing`` ``L`` with its area (``bbmb:listingArea``), the number of its rows
(``bbmb:rows``), and its
rows in blocks of :data:`~kg.query.BLOCK_ROWS` consecutive ranks: each block ``B`` (``L/block/1``, ``L/block/2``,
..., :func:`kg.query.listing_block`: ``bbmb:blockOf L``, with its ``bbmb:firstRank`` and ``bbmb:lastRank``) a
property, sub-property of ``bbmb:listingRank``, with ``row B 1``, ``row B 2``, ... in the listing's order.  The
saved query reads its region's listing and orders by the rank.  kg reads the listing and its total first (one
triple), then the page: ``FILTER(?rank > offset && ?rank <= offset + limit)`` and the blocks the page overlaps,
named from the listing's IRI (:func:`kg.query.ranked_page`: only their ranks are read, then only the page's rows
joined to their columns).

The rows and their order are those of the saved query's own definition: the same members (written here
once as SPARQL and run over the built store) and the same sort keys; rows the query's ORDER BY leaves
tied are ordered by their IRIs, so a page is the same rows on every engine.

    >>> from kg.build import build
    >>> from kg.query import run
    >>> run("rnd-sites", build().store, limit=10).total     # doctest: +SKIP
    31
"""
from __future__ import annotations

import hashlib
import heapq
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from pyoxigraph import (
    Literal,
    NamedNode,
    Store,
)

from ..collector import collection_paused
from ..namespaces import BBMB, ORG, RDF, RDFS, SCHEMA, XSD, IRIs
from ..query import BLOCK_ROWS, listing_block, nquads_term, select_terms, tsv_value
from ..rules import CLUSTER_LINK_ROWS, tie_row_keys
from .columns import grouped, of_type, pairs
from .facts import DERIVED
from .materialised import GroupCount

_PREFIXES = """PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

#: queries/firms-by-subsector.rq: each firm in each Land where it has an operating site, per area the
#: site's place is within; with its subsector (a firm classified twice is listed twice), whose code and
#: German name the row carries (bbmb:rowCode, bbmb:rowSubsectorLabel).  Its members are
#: ``SELECT DISTINCT ?area ?firm ?land WHERE { ?sitePlace bbmb:within ?area ; bbmb:inLand ?land .
#: ?site a bbmb:OperatingSite ; schema:containedInPlace ?sitePlace ; org:siteOf ?firm . ?firm a bbmb:Firm }``,
#: read as the columns below and joined by :func:`_firms_by_subsector` (the engine's join of the five patterns took
#: 14 s at 100,000 firms, the columns 2 s): each place's areas and Land, the operating sites, each site's places and
#: firms, and every firm with its labels (ORDER BY ?landLabel ?code ?firmLabel).
PLACE_AREAS = _PREFIXES + """SELECT ?place ?area ?land WHERE { ?place bbmb:within ?area ; bbmb:inLand ?land }"""
OPERATING_SITES = of_type(BBMB.OperatingSite)
SITE_PLACES = pairs(SCHEMA.containedInPlace)
SITE_FIRMS = pairs(ORG.siteOf)
#: Every firm with its labels, in the order the engine gives a firm's labels (a firm with two: the first, as the
#: saved query's rows were first made).
FIRM_LABELS = _PREFIXES + """SELECT ?firm ?firmLabel WHERE {
  ?firm a bbmb:Firm OPTIONAL { ?firm rdfs:label ?firmLabel }
}"""
#: The subsectors (a firm's counts only with its code and German name: the query's OPTIONAL group) and every
#: classification.
SUBSECTOR_KEYS = _PREFIXES + """SELECT ?subsector ?code ?classLabel WHERE {
  ?subsector skos:notation ?code ; skos:prefLabel ?classLabel . FILTER(LANG(?classLabel) = "de")
}"""
CLASSIFICATIONS = pairs(ORG.classification)
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

#: A row of a listing: its sort key (:func:`_key`), the IRI of the node that carries its rank, and the triples that say
#: what it is as (predicate, object) in N-Triples form.  A plain tuple (a million rows at 100,000 firms): rows
#: compare by their keys.
Row = tuple[str, str, tuple[tuple[str, str], ...]]
#: A query's answer: its rows of terms as the engine writes them (kg.query.select_terms), read as text because a
#: Python term a value cost most of this module's time.
Answer = Iterable[list[str]]


def _key(node: str, *values: str | None) -> str:
    r"""A row's sort key: the values ORDER BY compares (the labels and codes are strings, compared by code point
    as the engines do; an unbound one first), then the IRI of the row's node, which orders the rows the query leaves
    tied.  One string that orders as the values do (sorting it took a quarter of the time a tuple of pairs
    ``(0, "")`` / ``(1, value)`` took): each value ``\x01``, its text (a NUL in it ``\x00\x01``) and ``\x00\x00``, an
    unbound one ``\x00\x00`` alone.

        >>> values = [None, "", "\x00", "\x00\x01", "\x01", "a", "a\x00", "a\x01", "ab", "b"]
        >>> rows = [(x, y, node) for x in values for y in values for node in ("n", "n/2")]
        >>> as_pairs = lambda row: [(0, "") if v is None else (1, v) for v in row[:2]] + [row[2]]
        >>> sorted(rows, key=lambda row: _key(row[2], *row[:2])) == sorted(rows, key=as_pairs)
        True
    """
    return "".join([_UNBOUND if v is None else f"\x01{v.replace(_NUL, _ESCAPED_NUL)}{_END}" for v in values]) + node


_NUL, _ESCAPED_NUL, _END, _UNBOUND = "\x00", "\x00\x01", "\x00\x00", "\x00\x00"


_ROW_FIRM, _ROW_LAND, _ROW_CODE, _ROW_SUBSECTOR_LABEL, _ROW_PARTNER, _ROW_TIE = (str(p) for p in (
    BBMB.rowFirm, BBMB.rowLand, BBMB.rowCode, BBMB.rowSubsectorLabel, BBMB.rowPartner, BBMB.rowTie))


def _is_literal(term: str) -> bool:
    return bool(term) and term[0] != "<" and not term.startswith("_:")


def _firms_by_subsector(iris: IRIs, land_labels: Answer, place_areas: Answer, operating: Answer,
                        site_places: Answer, site_firms: Answer, firm_labels: Answer, subsector_keys: Answer,
                        classifications: Answer) -> Iterator[tuple[str | None, Row]]:
    """(area, row) of queries/firms-by-subsector.rq: a row is a firm, a Land and the firm's subsector."""
    lands = {land: tsv_value(label) for land, label in land_labels}
    areas: dict[str, list[tuple[str, str]]] = {}
    for place, area, land in place_areas:
        areas.setdefault(place, []).append((area, land))
    places, firms_of = grouped(site_places), grouped(site_firms)
    labels = grouped(firm_labels)  # every firm: unlabelled, [""]
    members = {(area, firm, land) for (site,) in operating for place in places.get(site, ())
               for firm in firms_of.get(site, ()) if firm in labels for area, land in areas.get(place, ())}
    del places, firms_of  # a million sites each at a million firms: let go before the rows are made
    subsectors: dict[str, list[tuple[str, str]]] = {}
    for subsector, code, class_label in subsector_keys:
        subsectors.setdefault(subsector, []).append((code, class_label))
    classes = grouped(classifications)
    node_prefix = iris.listing("row/firms-by-subsector/").value
    rows: dict[tuple[str, str], list[Row]] = {}  # a firm's rows in a Land (the same in every area)
    for area, firm, land in members:
        in_land = rows.get((firm, land))
        if in_land is None:
            in_land = rows[(firm, land)] = []
            made: dict[str, Row] = {}  # by subsector: of a firm with two labels, the first
            for label, subsector, code, class_label in _sort_keys(labels[firm], classes.get(firm, ()), subsectors):
                row = made.get(subsector)
                if row is None:
                    node = f"{node_prefix}{_id(firm[1:-1], iris)}/{_id(land[1:-1], iris)}"
                    facts = [(_ROW_FIRM, firm), (_ROW_LAND, land)]
                    if subsector.startswith("<") and _is_literal(code) and _is_literal(class_label):
                        # the subsector's code and name on the row: a page reads them by one triple each
                        node += "/" + _id(subsector[1:-1], iris)
                        facts += [(_ROW_CODE, nquads_term(code)),
                                  (_ROW_SUBSECTOR_LABEL, nquads_term(class_label))]
                    # ORDER BY ?landLabel COALESCE(?classCode, "") ?firmLabel
                    made[subsector] = row = (_key(node, lands.get(land), tsv_value(code) or "", tsv_value(label)),
                                             node, tuple(facts))
                in_land.append(row)
        area = area[1:-1]
        for row in in_land:
            yield area, row


def _sort_keys(labels: list[str], classes: Iterable[str],
               subsectors: dict[str, list[tuple[str, str]]]) -> Iterator[tuple[str, str, str, str]]:
    """A firm's (firmLabel, subsector, code, classLabel) as ``?firm a bbmb:Firm OPTIONAL { ?firm rdfs:label
    ?firmLabel } OPTIONAL { ?firm org:classification ?subsector . ?subsector skos:notation ?code ; skos:prefLabel
    ?classLabel FILTER(LANG(?classLabel) = "de") }`` gives them, as terms (an unbound one ""): a classification
    without a code and German name is no match, and a firm without a match has one row with none.

        >>> list(_sort_keys(['"A"'], ["<s1>", "<s2>"], {"<s2>": [('"28"', '"Maschinen"@de')]}))
        [('"A"', '<s2>', '"28"', '"Maschinen"@de')]
        >>> list(_sort_keys([""], ["<s1>"], {}))
        [('', '', '', '')]
    """
    matches = [(subsector, code, class_label) for subsector in classes for code, class_label in
               subsectors.get(subsector, ())] or [("", "", "")]
    return ((label, *match) for label in labels for match in matches)


def _rnd_sites(iris: IRIs, site_places: Answer, site_firms: Answer, firms: Answer, labels: Answer, within: Answer,
               lands: Answer) -> Iterator[tuple[str | None, Row]]:
    """(area, row) of queries/rnd-sites.rq: a row is a site (of a site with two sort keys, by two labels, firms or
    places, the first in order).  Its members and sort keys are :data:`RND_SITES_MEMBERS` and :data:`SITE_SORT_KEYS`,
    read as the columns of :data:`RND_SITES_COLUMNS` (the engine's joins took 9 s at 100,000 firms)."""
    sites = _FirmSites(site_places, site_firms, firms, labels)
    areas_of = grouped(within)
    rows: dict[str, Row] = {}
    for site, *keys in sites.sort_keys(grouped(lands)):
        row: Row = (_key(site[1:-1], *keys), site[1:-1], ())
        if site not in rows or row < rows[site]:
            rows[site] = row
    for area, site in sites.members(areas_of):
        yield area[1:-1], rows[site]


class _FirmSites:
    """``?site schema:containedInPlace ?place ; org:siteOf ?firm . ?firm a bbmb:Firm`` from the answers of its
    columns (:data:`SITE_PLACES`, :data:`SITE_FIRMS`, :data:`FIRMS`), with the labels (:data:`LABELS`)."""

    def __init__(self, site_places: Answer, site_firms: Answer, firms: Answer, labels: Answer) -> None:
        firm_set = {firm for (firm,) in firms}
        firms_of = {site: [f for f in of if f in firm_set] for site, of in grouped(site_firms).items()}
        self.rows = [(site, place, firm) for site, place in site_places for firm in firms_of.get(site, ())]
        self.labels_of = grouped(labels)

    def members(self, areas_of: dict[str, list[str]]) -> Iterator[tuple[str, str]]:
        """The rows (?area, ?site) of :data:`RND_SITES_MEMBERS` as terms, from each place's areas."""
        return ((area, site) for site, place, _ in self.rows for area in areas_of.get(place, ()))

    def sort_keys(self, lands_of: dict[str, list[str]]) -> Iterator[tuple[str, str, str | None, str | None]]:
        """The rows (?site, ?landLabel, ?firmLabel, ?siteLabel) of :data:`SITE_SORT_KEYS`, the site as a term, the
        labels as values (None: unbound), from each place's Länder."""
        for site, place, firm in self.rows:
            for land in _english(self.labels_of, lands_of.get(place, ())) or [""]:
                for firm_label in _label_values(self.labels_of, firm):
                    yield from ((site, land, firm_label, site_label)
                                for site_label in _label_values(self.labels_of, site))


def _english(labels_of: dict[str, list[str]], things: Iterable[str]) -> list[str]:
    """The values of ``things``' English labels: ``OPTIONAL { ?thing rdfs:label ?l FILTER(LANG(?l) = "en") }``
    (``labels_of``: each thing's labels as terms)."""
    return [tsv_value(label) or "" for thing in things for label in labels_of.get(thing, ())
            if label.startswith('"') and label[label.rindex('"') + 1:] == "@en"]


def _label_values(labels_of: dict[str, list[str]], thing: str) -> list[str | None]:
    """The values of ``thing``'s labels: ``OPTIONAL { ?thing rdfs:label ?label }``, [None] where it has none."""
    return [tsv_value(label) for label in labels_of.get(thing, ())] or [None]


#: queries/firm-facts.rq: every organisation with a controller and every site with a head-count, with its
#: sort keys (ORDER BY ?kind ?subjectLabel); one listing for the whole graph.  Its members are defined by this
#: query, and read as the columns below, joined by :func:`_firm_facts` (the engine's join took 8 s at 100,000 firms,
#: the columns 2 s; tests/test_derive.py holds the join to the definition).
FIRM_FACTS_MEMBERS = _PREFIXES + """SELECT ?subject ?kind ?subjectLabel WHERE {
  { ?subject bbmb:controlledBy ?controller . BIND("organisation" AS ?kind) ?controller rdfs:label ?controllerLabel }
  UNION
  { ?subject a org:Site . BIND("site" AS ?kind) FILTER EXISTS { ?subject bbmb:employees ?any } }
  ?subject rdfs:label ?subjectLabel . FILTER(LANG(?subjectLabel) = "")
}"""
CONTROLLERS = pairs(BBMB.controlledBy)
LABELS = pairs(RDFS.label)
SITES = of_type(ORG.Site)
WITH_EMPLOYEES = _PREFIXES + """SELECT DISTINCT ?subject WHERE { ?subject bbmb:employees ?employees }"""


def _firm_facts(iris: IRIs, controllers: Answer, labels: Answer, sites: Answer,
                with_employees: Answer) -> Iterator[tuple[str | None, Row]]:
    """(None, row) of queries/firm-facts.rq: a row is an organisation or a site.  A subject of both kinds is a
    site, and of two labels without a language tag has the last in the engine's order (the later of the definition's
    rows, as the listing was first made)."""
    for subject, kind, label in firm_facts_members(controllers, labels, sites, with_employees):
        yield None, (_key(subject[1:-1], tsv_value(kind), tsv_value(label)), subject[1:-1], ())


def firm_facts_members(controllers: Answer, labels: Answer, sites: Answer,
                       with_employees: Answer) -> Iterator[tuple[str, str, str]]:
    """The rows (?subject, ?kind, ?subjectLabel) of :data:`FIRM_FACTS_MEMBERS` as terms, from the answers of its
    columns (:data:`CONTROLLERS`, :data:`LABELS`, :data:`SITES`, :data:`WITH_EMPLOYEES`)."""
    labels_of = grouped(labels)
    organisations = dict.fromkeys(subject for subject, controller in controllers if controller in labels_of)
    counted = {subject for (subject,) in with_employees}
    # the branches in the definition's order: a subject of both kinds has its rows as a site last
    for kind, subjects in (('"organisation"', organisations), ('"site"', (s for (s,) in sites if s in counted))):
        for subject in subjects:
            yield from ((subject, kind, label) for label in labels_of.get(subject, ()) if _untagged(label))


def _untagged(term: str) -> bool:
    """A term that passes FILTER(LANG(?label) = ""): a literal without a language tag.

        >>> [_untagged(t) for t in ['"a"', '"a"@en', '"a\\"@"^^<http://x/t>', '12', '<http://x/a>', '_:b']]
        [True, False, True, True, False, False]
    """
    if term.startswith('"'):
        return not term[term.rindex('"') + 1:].startswith("@")
    return _is_literal(term)


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


#: Its members read as columns, joined by :func:`hq_absence_members` (the engine's join took 4.7 s at 100,000 firms):
#: the firms run from outside an area, the firms' controllers and places of control, the places' Länder and
#: countries, and what the other listings read (the operating sites, their firms and places, the places' areas, the
#: labels).
RUN_FROM_OUTSIDE = pairs(BBMB.controlledFromOutside)
CONTROL_PLACES = pairs(BBMB.controlPlace)
LANDS = pairs(BBMB.inLand)
COUNTRIES = pairs(BBMB.inCountry)
WITHIN = pairs(BBMB.within)
FIRMS = of_type(BBMB.Firm)
RND_SITES_COLUMNS = (SITE_PLACES, SITE_FIRMS, FIRMS, LABELS, WITHIN, LANDS)
HQ_ABSENCE_COLUMNS = (RUN_FROM_OUTSIDE, OPERATING_SITES, SITE_FIRMS, SITE_PLACES, WITHIN, CONTROLLERS, CONTROL_PLACES,
                      LABELS, LANDS, COUNTRIES)


def _hq_absence(iris: IRIs, *columns: Answer) -> Iterator[tuple[str | None, Row]]:
    """(area, row) of queries/hq-absence.rq: a row is a site (of a site with two labels, the first in order)."""
    rows: dict[tuple[str, str], Row] = {}
    for area, site, *labels in hq_absence_members(*columns):  # hqLandOrCountry, firmLabel, siteLabel
        row: Row = (_key(site[1:-1], *labels), site[1:-1], ())
        if (area, site) not in rows or row < rows[(area, site)]:
            rows[(area, site)] = row
    for (area, _), row in rows.items():
        yield area[1:-1], row


def hq_absence_members(run_from_outside: Answer, operating: Answer, site_firms: Answer, site_places: Answer,
                       within: Answer, controllers: Answer, control_places: Answer, labels: Answer, lands: Answer,
                       countries: Answer) -> Iterator[tuple[str, str, str, str | None, str | None]]:
    """The rows (?area, ?site, ?hqLandOrCountry, ?firmLabel, ?siteLabel) of :data:`HQ_ABSENCE_MEMBERS`, each
    once, the IRIs as terms and the labels as values (None: unbound), from the answers of
    :data:`HQ_ABSENCE_COLUMNS`."""
    outside = grouped(run_from_outside)
    firms_of, places_of, areas_of = grouped(site_firms), grouped(site_places), grouped(within)
    controlled = {firm for firm, _ in controllers}
    hq_places = grouped(control_places)
    labels_of, lands_of, countries_of = grouped(labels), grouped(lands), grouped(countries)

    hq_labels: dict[str, list[str]] = {}
    for (site,) in operating:
        for firm in firms_of.get(site, ()):
            areas = outside.get(firm)
            if not areas or firm not in controlled:
                continue
            site_areas = {area for place in places_of.get(site, ()) for area in areas_of.get(place, ())}
            for area in areas:
                if area not in site_areas:
                    continue
                for hq in hq_places.get(firm, ()):
                    if hq not in hq_labels:  # IF(STRLEN(?hqLandLabel) > 0, ?hqLandLabel, ?hqCountryLabel)
                        land = _english(labels_of, lands_of.get(hq, ())) or [""]
                        country = _english(labels_of, countries_of.get(hq, ())) or [""]
                        hq_labels[hq] = [in_land or in_country for in_land in land for in_country in country]
                    yield from ((area, site, hq_label, firm_label, site_label) for hq_label in hq_labels[hq]
                                for firm_label in _label_values(labels_of, firm)
                                for site_label in _label_values(labels_of, site))


def _multi_site_groups(store: Store, groups: Iterable[GroupCount]) -> Iterator[tuple[str | None, Row]]:
    """(area, row) of queries/multi-site-groups.rq: a row is an observation of groups-by-area whose group has more
    than one site in the area (``groups``, as the build counted them: kg/derive/materialised.py GROUP_SITES), in the
    order DESC(?sites) ?groupLabel; of a group with two labels, the first in order."""
    labels: dict[str, str | None] = {}
    for area, obs, group, sites in groups:
        if group not in labels:
            names = [q.object.value for q in store.quads_for_pattern(NamedNode(group), RDFS.label, None)
                     if isinstance(q.object, Literal)]
            labels[group] = min(names) if names else None
        yield area, (_key(obs, _descending(sites), labels[group]), obs, ())


def _descending(count: int) -> str:
    """A count as text that sorts as DESC(count) does, for :func:`_key` (counts below 10**18).

        >>> sorted([2, 10, 3], key=_descending)
        [10, 3, 2]
    """
    return f"{10**18 - count:019d}"


#: queries/cluster-links.rq: every tie two firms or more share (the build writes no other), and its firms.
TIE_MEMBERS = _PREFIXES + """SELECT ?tie ?firm WHERE { ?firm bbmb:sharesTie ?tie }"""


def _cluster_links(iris: IRIs, members: Answer) -> Iterator[tuple[str | None, Row]]:
    """(None, row) of queries/cluster-links.rq: a row is two firms of a tie, or a firm and its hub
    (kg.rules.tie_row_keys), the first CLUSTER_LINK_ROWS of them in the order firm A, firm B, tie."""
    ties: dict[str, list[str]] = {}
    for tie, firm in members:
        ties.setdefault(tie[1:-1], []).append(firm[1:-1])
    for a, b, tie in heapq.nsmallest(CLUSTER_LINK_ROWS, tie_row_keys(ties)):
        ends = (a, b) if b != tie else (a,)
        node = iris.listing("row/cluster-links/" + "/".join(_id(e, iris) for e in (tie, *ends))).value
        yield None, (_key(node, a, b, tie), node,
                     ((_ROW_FIRM, f"<{a}>"), (_ROW_PARTNER, f"<{b}>"), (_ROW_TIE, f"<{tie}>")))


#: queries/changes.rq: every change the data records (a site opened or closed, a status changed, a parent joined or
#: left, an event), with its columns and sort keys (ORDER BY ?date ?change ?firmLabel ?subjectLabel ?detail); one
#: listing for the whole graph, whose rows the query filters by its span.  A change is a dated fact: a site's
#: schema:startDate (opened) and schema:endDate (closed), its bbmb:statusSince, the schema:startDate and
#: schema:endDate of a parent relation, an event's bbmb:year; its source is the one whose named graph holds the date.
#: (Each dated pattern is written first, its subject's type as a FILTER EXISTS: the engine otherwise read every
#: site and control relation for the few with a date, a minute at a million firms.  A parent's name is looked up in
#: the branch that binds the parent: looked up after the branches, where the parent may be unbound, the engine read
#: every label into a hash table, even with no parent change: 0.95 GB more at 300,000 firms.)
CHANGES_MEMBERS = _PREFIXES + """PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?date ?change ?firm ?firmLabel ?subject ?subjectLabel ?detail ?source ?sourceTitle WHERE {
  {
    GRAPH ?g { ?subject schema:startDate ?period } FILTER EXISTS { ?subject a org:Site }
    BIND("opened" AS ?change)
  } UNION {
    GRAPH ?g { ?subject schema:endDate ?period } FILTER EXISTS { ?subject a org:Site }
    BIND("closed" AS ?change)
  } UNION {
    GRAPH ?g { ?subject bbmb:statusSince ?period }
    OPTIONAL { ?subject bbmb:status ?status }
    BIND("status changed" AS ?change)
    BIND(CONCAT("now ", COALESCE(STR(?status), "(status not given)")) AS ?detail)
  } UNION {
    { GRAPH ?g { ?relation schema:startDate ?period } BIND("joins " AS ?move) }
    UNION
    { GRAPH ?g { ?relation schema:endDate ?period } BIND("leaves " AS ?move) }
    { ?relation bbmb:child ?subject ; bbmb:parent ?parent FILTER EXISTS { ?relation a bbmb:ControlRelation }
      OPTIONAL { ?parent rdfs:label ?parentName . FILTER(LANG(?parentName) IN ("", "en")) } }
    UNION
    { ?relation bbmb:about ?subject FILTER EXISTS { ?relation a bbmb:ParentRelation }
      OPTIONAL { ?relation bbmb:interestedParty ?parent
                 OPTIONAL { ?parent rdfs:label ?parentName . FILTER(LANG(?parentName) IN ("", "en")) } } }
    BIND("parent changed" AS ?change)
    BIND(CONCAT(?move, COALESCE(STR(?parentName), "a parent not named")) AS ?detail)
  } UNION {
    GRAPH ?g { ?event bbmb:year ?period }
    ?event a bbmb:Event ; bbmb:concerns ?subject ; bbmb:eventKind ?kind .
    OPTIONAL { ?event schema:description ?description . FILTER(LANG(?description) = "de") }
    BIND("event" AS ?change)
    BIND(IF(BOUND(?description), CONCAT(STR(?kind), ": ", STR(?description)), STR(?kind)) AS ?detail)
  }
  BIND(STR(?period) AS ?date)
  OPTIONAL { ?subject org:siteOf ?siteFirm }
  BIND(COALESCE(?siteFirm, ?subject) AS ?firm)
  OPTIONAL { ?firm rdfs:label ?firmName . FILTER(LANG(?firmName) IN ("", "en")) }
  OPTIONAL { ?subject rdfs:label ?subjectName . FILTER(LANG(?subjectName) IN ("", "en")) }
  BIND(COALESCE(STR(?firmName), "") AS ?firmLabel)
  BIND(COALESCE(STR(?subjectName), "") AS ?subjectLabel)
  OPTIONAL { ?g prov:wasDerivedFrom ?source . ?source dct:title ?sourceTitle . }
  FILTER(BOUND(?source))
}"""
#: The row facts of a change, in the order of CHANGES_MEMBERS's variables.
_CHANGE_FACTS = tuple(str(p) for p in (BBMB.rowDate, BBMB.rowChange, BBMB.rowFirm, BBMB.rowFirmLabel, BBMB.rowSubject,
                                       BBMB.rowSubjectLabel, BBMB.rowDetail, BBMB.rowSource, BBMB.rowSourceTitle))


def _changes(iris: IRIs, members: Answer) -> Iterator[tuple[str | None, Row]]:
    """(None, row) of queries/changes.rq: a row is a change, its node named by a digest of its columns (and, for
    rows the answer repeats, how many times it came before), its columns its facts."""
    node_prefix = iris.listing("row/changes/").value
    seen: dict[tuple[str, ...], int] = {}
    for terms in members:
        row = tuple(terms)
        repeat = seen[row] = seen.get(row, -1) + 1
        node = node_prefix + hashlib.sha256("\t".join((*row, str(repeat))).encode()).hexdigest()[:24]
        facts = tuple((p, nquads_term(term))
                      for p, term in zip(_CHANGE_FACTS, row, strict=True) if term)  # unbound: no fact
        date, change, _, firm_label, _, subject_label, detail = map(tsv_value, row[:7])
        yield None, (_key(node, date, change, firm_label, subject_label, detail), node, facts)


def _id(iri: str, iris: IRIs) -> str:
    """The id part of a data IRI (``place/berlin`` -> ``berlin``; a subsector's code kept whole)."""
    return iri[len(iris.base):].split("/", 1)[-1]


#: The listings the build orders: the saved query's name, the queries its rows are made of, and the function that
#: makes its rows by area from their answers.
LISTINGS: dict[str, tuple[tuple[str, ...], Callable[..., Iterable[tuple[str | None, Row]]]]] = {
    "firms-by-subsector": ((LAND_LABELS, PLACE_AREAS, OPERATING_SITES, SITE_PLACES, SITE_FIRMS, FIRM_LABELS,
                            SUBSECTOR_KEYS, CLASSIFICATIONS), _firms_by_subsector),
    "rnd-sites": (RND_SITES_COLUMNS, _rnd_sites),
    "firm-facts": ((CONTROLLERS, LABELS, SITES, WITH_EMPLOYEES), _firm_facts),
    "hq-absence": (HQ_ABSENCE_COLUMNS, _hq_absence),
    "cluster-links": ((TIE_MEMBERS,), _cluster_links),
    "changes": ((CHANGES_MEMBERS,), _changes),
}


def listing_lines(store: Store, iris: IRIs, multi_site: Iterable[GroupCount] = (),
                  progress: Callable[[str], None] | None = None) -> Iterator[str]:
    """The ranks of every listing of :data:`LISTINGS` in every area, and of multi-site-groups (``multi_site``, as
    :func:`.materialised.materialised_lines` counted them), in ``graph/derived`` (module docstring), as N-Quads
    lines, a listing at a time: 1.4 million quads at 100,000 firms, and a pyoxigraph ``Quad`` costs several times
    its text (the build loads them as text, as it does its other triples).

    The queries are answered on two other threads, in the order their rows are made, at most :data:`_AHEAD` ahead of
    the rows being made: the engine evaluates without holding the GIL, so it answers the next ones while Python makes
    the rows of the first, and no more than three answers wait in memory beside those of the listing being made
    (asked all at once, every answer would wait until its listing's turn).  ``progress`` is told each listing as it
    is made (a quarter of an hour for them all at a million firms).
    """
    queries = [q for listing_queries, _ in LISTINGS.values() for q in listing_queries]
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kg-listings")
    answers: list[tuple[str, Future[Answer]]] = []  # asked, in the order they are read (two listings may ask one)

    def answer(q: str) -> Answer:
        while len(answers) < _AHEAD and queries:
            asked = queries.pop(0)
            answers.append((asked, pool.submit(select_terms, store, asked)))
        index = next(i for i, (asked, _) in enumerate(answers) if asked == q)
        return answers.pop(index)[1].result()  # popped: an answer is dropped once read

    try:
        with collection_paused():  # a million rows, no cycles: full collections took a fifth of the time
            yield from _lines(iris, answer, {"multi-site-groups": _multi_site_groups(store, multi_site)},
                              progress or (lambda message: None))
    finally:
        pool.shutdown(cancel_futures=True)


#: How many listing queries are asked before their rows are made: enough to keep the two threads busy and one answer
#: ready.  (A listing holds the answers of all its queries while it makes its rows; more asked ahead would hold the
#: next listings' answers too: the firms' ties are 19 million rows at a million firms.)
_AHEAD = 3


def _lines(iris: IRIs, answer: Callable[[str], Answer], made: dict[str, Iterable[tuple[str | None, Row]]],
           say: Callable[[str], None]) -> Iterator[str]:
    """:func:`listing_lines` from the answers of the listings' queries (``answer``: a query's rows), and of the
    listings whose rows are ``made`` already, by name; ``say`` is told each listing when its lines are made."""
    graph = f"{iris.graph(DERIVED)} .\n"
    integer = f'"^^{XSD.integer} {graph}'  # the end of a line whose object is an integer
    def listings() -> Iterator[tuple[str, Iterable[tuple[str | None, Row]]]]:
        # a listing's queries are answered only when its turn comes (answer() asks the next ones ahead)
        for name, (queries, rows_of) in LISTINGS.items():
            yield name, rows_of(iris, *map(answer, queries))
        yield from made.items()
    started = time.perf_counter()
    for name, rows_by_area in listings():
        by_area: dict[str | None, dict[str, Row]] = {}
        for area, row in rows_by_area:
            by_area.setdefault(area, {})[row[1]] = row
        # the listing's rows in order, sorted once for all its areas (a row is in several): an area's rows are then
        # sorted by their places in it (a node is in an area once, so their keys are distinct there)
        ordered = sorted({id(row): row for rows in by_area.values() for row in rows.values()}.values())
        place = {id(row): i for i, row in enumerate(ordered)}
        described: set[str] = set()
        for area in sorted(by_area, key=lambda a: a or ""):
            rows = [ordered[i] for i in sorted(map(place.__getitem__, map(id, by_area[area].values())))]
            # a listing per area (the query's region), or one for the whole graph
            key = f"{name}/{_id(area, iris)}" if area else name
            listing = f"<{iris.listing(key).value}>"
            yield from (f"{listing} {RDF.type} {BBMB.Listing} {graph}",
                        f"{listing} {BBMB.savedQuery} {Literal(name)} {graph}",
                        f'{listing} {BBMB.rows} "{len(rows)}{integer}')
            if area:
                yield f"{listing} {BBMB.listingArea} <{area}> {graph}"
            for start in range(0, len(rows), BLOCK_ROWS):
                block = f"<{listing_block(iris.listing(key).value, start // BLOCK_ROWS + 1)}>"
                end = min(start + BLOCK_ROWS, len(rows))
                yield from (f"{block} {RDF.type} {BBMB.ListingBlock} {graph}",
                            f"{block} {RDFS.subPropertyOf} {BBMB.listingRank} {graph}",
                            f"{block} {BBMB.blockOf} {listing} {graph}",
                            f'{block} {BBMB.firstRank} "{start + 1}{integer}',
                            f'{block} {BBMB.lastRank} "{end}{integer}')
                ranked = f'> {block} "'  # <node> <block> "rank"^^xsd:integer <graph> .
                for rank, (_, node, facts) in enumerate(rows[start:end], start + 1):
                    yield f"<{node}{ranked}{rank}{integer}"
                    if facts and node not in described:
                        described.add(node)
                        yield from (f"<{node}> {p} {o} {graph}" for p, o in facts)
        areas = f"{len(by_area):,} areas" if len(by_area) > 1 else "one listing"
        say(f"ordered {name}: {len(ordered):,} rows, {areas} ({time.perf_counter() - started:.1f} s)")
        started = time.perf_counter()
