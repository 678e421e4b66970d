"""What the saved queries look up per firm or area, computed once over the built store.

Each is defined once here as SPARQL (:data:`PROFILE`, :data:`GROUP_SITES`, :data:`FIGURES`).  The first two are
joins the engine evaluates a row at a time (4.6 s and 3.7 s at 100,000 firms): the build reads their patterns as
columns instead, each one pattern the engine scans in index order (:data:`_COLUMNS`, read on two threads), and
joins them here; tests/test_derive.py checks that they give the definitions' rows.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import cast

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, Store

from ..namespaces import BBMB, DCT, ORG, PROV, QB, RDF, SCHEMA, SDMX_DIMENSION, XSD, IRIs
from ..query import nquads_term, select_terms
from .columns import grouped, of_type, pairs
from .facts import DERIVED

#: What a firm's profile lists (queries/firm-profile.rq): the firm, its sites, their head-counts, and the
#: control relations, events, flags, clusters and contested facts about the firm or its sites.  Written
#: once here as SPARQL and run by the build over all firms (``bbmb:profileOf``, :func:`profile_quads`), so
#: that the saved query looks one firm's statements up instead of evaluating this union for every firm.
PROFILE = """
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?about ?firm
WHERE {
  { ?firm a org:Organization . BIND(?firm AS ?about) }
  UNION { ?firm org:hasSite ?about }
  UNION { ?firm schema:numberOfEmployees ?about }
  UNION { ?firm org:hasSite ?site . ?site schema:numberOfEmployees ?about }
  UNION { ?about bbmb:child ?firm }
  UNION { ?about bbmb:concerns ?firm }
  UNION { ?firm org:hasSite ?site . ?about bbmb:concerns ?site }
  UNION { ?about bbmb:flags ?firm }
  UNION { ?firm org:hasSite ?site . ?about bbmb:flags ?site }
  UNION { ?about bbmb:hasMember ?firm }
  UNION { ?about bbmb:about ?firm }
  UNION { ?firm org:hasSite ?site . ?about bbmb:about ?site }
}"""


#: The sites of each group (queries/multi-site-groups.rq): a company's group is its topmost parent
#: (bbmb:controlledBy), or the company itself when it is a group, holding or foundation.  Counted per
#: area (every place the site's place is bbmb:within) by :func:`materialised_lines`: one GROUP BY over
#: all areas at once is a join the engine evaluates badly (10 s at 2,000 firms).
GROUP_SITES = """
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
SELECT ?group ?company ?site ?sitePlace ?land WHERE {
  ?company bbmb:controlledBy ?group . ?site org:siteOf ?company ; schema:containedInPlace ?sitePlace .
  OPTIONAL { ?company a ?groupType . FILTER(?groupType IN (bbmb:ParentGroup, bbmb:Holding, bbmb:Foundation)) }
  FILTER(?group != ?company || BOUND(?groupType))
  OPTIONAL { ?sitePlace bbmb:inLand ?land }
}"""
#: The head-counts the sources give each subject (queries/firm-facts.rq): how many, the lowest and the highest
#: number (a figure's value, or the ends of its range), as ``bbmb:headcountFigures``, ``bbmb:lowestFigure`` and
#: ``bbmb:highestFigure`` (:func:`figure_quads`), so that a page of the listing reads its own rows' figures
#: instead of grouping every subject's head-counts.
FIGURES = """
PREFIX schema: <https://schema.org/>
SELECT ?subject (COUNT(DISTINCT ?h) AS ?figures) (MIN(?n) AS ?lowest) (MAX(?n) AS ?highest)
WHERE { ?subject schema:numberOfEmployees ?h . OPTIONAL { ?h schema:value|schema:minValue|schema:maxValue ?n } }
GROUP BY ?subject"""


#: The columns :data:`PROFILE` and :data:`GROUP_SITES` are joined from (:mod:`.columns`), and the places' areas.
_COLUMNS: dict[str, str] = {
    **{name: pairs(predicate) for name, predicate in (
        ("hasSite", ORG.hasSite), ("siteOf", ORG.siteOf), ("employees", SCHEMA.numberOfEmployees),
        ("child", BBMB.child), ("concerns", BBMB.concerns), ("flags", BBMB.flags), ("hasMember", BBMB.hasMember),
        ("about", BBMB.about), ("controlledBy", BBMB.controlledBy), ("place", SCHEMA.containedInPlace),
        ("inLand", BBMB.inLand), ("within", BBMB.within))},
    "organisations": of_type(ORG.Organization),
    "groupTypes": of_type(BBMB.ParentGroup, BBMB.Holding, BBMB.Foundation),
}
#: In :data:`PROFILE`, what is about a firm (``?about P ?firm``), and about a firm's site (``?about P ?site``).
_ABOUT = ("child", "concerns", "flags", "hasMember", "about")
_ABOUT_SITE = ("concerns", "flags", "about")


def _columns(store: Store) -> dict[str, list[list[str]]]:
    """The rows of every query of :data:`_COLUMNS` as terms (:func:`kg.query.select_terms`), two asked at once."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="kg-columns") as pool:
        answers = {name: pool.submit(lambda q: list(select_terms(store, q)), query)
                   for name, query in _COLUMNS.items()}
        return {name: answer.result() for name, answer in answers.items()}


def profile_pairs(columns: dict[str, list[list[str]]]) -> Iterator[tuple[str, str]]:
    """The rows (?about, ?firm) of :data:`PROFILE`, each once, as terms, from its patterns' ``columns``
    (:func:`_columns`): a branch at a time, in the order it is written."""
    seen: set[tuple[str, str]] = set()

    def new(found: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        for pair in found:
            if pair not in seen:
                seen.add(pair)
                yield pair

    sites = columns["hasSite"]
    firms_of_site = grouped((site, firm) for firm, site in sites)
    employees = grouped(columns["employees"])
    yield from new((firm, firm) for (firm,) in columns["organisations"])
    yield from new((site, firm) for firm, site in sites)
    yield from new((figure, firm) for firm, figure in columns["employees"])
    yield from new((figure, firm) for firm, site in sites for figure in employees.get(site, ()))
    for name in _ABOUT:
        yield from new((about, firm) for about, firm in columns[name])
        if name in _ABOUT_SITE:
            yield from new((about, firm) for about, site in columns[name] for firm in firms_of_site.get(site, ()))


def group_site_rows(columns: dict[str, list[list[str]]]) -> Iterator[tuple[str, str, str, str, str]]:
    """The rows (?group, ?company, ?site, ?sitePlace, ?land) of :data:`GROUP_SITES` as terms (an unbound ?land
    ""), from its patterns' ``columns`` (:func:`_columns`)."""
    groups = grouped(columns["controlledBy"])
    is_group = {row[0] for row in columns["groupTypes"]}
    places, lands = grouped(columns["place"]), grouped(columns["inLand"])
    for site, company in columns["siteOf"]:
        for group in groups.get(company, ()):
            if group != company or company in is_group:
                for place in places.get(site, ()):
                    for land in lands.get(place) or [""]:
                        yield group, company, site, place, land


def _solutions(store: Store, text: str) -> QuerySolutions:
    return cast(QuerySolutions, store.query(text, use_default_graph_as_union=True))


def _key(iri: NamedNode, iris: IRIs) -> str:
    """The id part of a data IRI (``place/berlin`` -> ``berlin``), for minting observation IRIs."""
    return iri.value[len(iris.base):].split("/", 1)[-1]


def figure_quads(store: Store, g: NamedNode) -> Iterator[Quad]:
    """The head-count figures of every subject (:data:`FIGURES`), the terms the engine's aggregates give."""
    for row in _solutions(store, FIGURES):
        subject = row["subject"]
        if isinstance(subject, NamedNode):
            yield from (Quad(subject, p, row[v], g) for p, v in ((BBMB.headcountFigures, "figures"),
                                                                 (BBMB.lowestFigure, "lowest"),
                                                                 (BBMB.highestFigure, "highest"))
                        if isinstance(row[v], Literal))


#: A group with more than one site in an area, as :func:`materialised_lines` counted it: the area, the observation of
#: groups-by-area, the group and its number of sites (IRIs as text); the build's listing of multi-site-groups is
#: made from these (:func:`.listings.listing_lines`), not asked of the store again.
GroupCount = tuple[str, str, str, int]


def materialised_lines(store: Store, iris: IRIs, reading: str,
                       multi_site: list[GroupCount] | None = None) -> Iterator[str]:
    """What the saved queries look up per firm or area, computed once over the built ``store``, in
    ``graph/derived``, as N-Quads lines: the firms' profiles (:data:`PROFILE`), the data set groups-by-area
    (:data:`GROUP_SITES`) and the subjects' head-count figures (:data:`FIGURES`); the order of the long listings is
    :func:`.listings.listing_lines` (1.4 million lines at 100,000 firms).

    Made as they are read from ``store`` (four million profile quads at a million firms): the caller keeps them
    out of ``store`` until every one is made, so that each query sees the store as built.  ``multi_site`` gets the
    groups with more than one site in an area (:data:`GroupCount`) as they are counted."""
    g = iris.graph(DERIVED)
    columns = _columns(store)
    profile = f" {BBMB.profileOf} "
    graph = f" {g} .\n"
    yield from (f"{about}{profile}{nquads_term(firm)}{graph}" for about, firm in profile_pairs(columns)
                if about.startswith("<"))
    within = grouped(columns["within"])
    counted: dict[tuple[str, str], tuple[set[str], set[str], set[str]]] = {}
    for group, company, site, place, land in group_site_rows(columns):
        for area in within.get(place, ()):
            sites, companies, laender = counted.setdefault((area, group), (set(), set(), set()))
            sites.add(site)
            companies.add(company)
            if land:
                laender.add(land)
    del columns
    yield from (f"{quad} .\n" for quad in _group_quads(iris, g, reading, counted, multi_site))
    yield from (f"{quad} .\n" for quad in figure_quads(store, g))


def _by_values(item: tuple[tuple[str, str], object]) -> tuple[str, str]:
    """An (area, group) of IRIs as terms, by their IRIs: ``<a/b>`` sorts after ``<a/b2>``, ``a/b`` before."""
    (area, group), _ = item
    return area[1:-1], group[1:-1]


def _group_quads(iris: IRIs, g: NamedNode, reading: str,
                 counted: dict[tuple[str, str], tuple[set[str], set[str], set[str]]],
                 multi_site: list[GroupCount] | None) -> Iterator[Quad]:
    """The data set groups-by-area: an observation of each group and area it has sites in (``counted``: the sites,
    companies and Länder by (area, group), as terms)."""
    ds, source, read_as = iris.dataset("groups-by-area"), iris.source(DERIVED), Literal(reading)
    yield from (Quad(ds, RDF.type, QB.DataSet, g), Quad(ds, QB.structure, BBMB.groupsByAreaDsd, g),
                Quad(ds, DCT.title, Literal("Groups with sites in an area", language="en"), g),
                Quad(ds, PROV.wasDerivedFrom, source, g))
    integer = NamedNode(XSD.integer.value)
    for (area_term, group_term), (sites, companies, laender) in sorted(counted.items(), key=_by_values):
        area, group = NamedNode(area_term[1:-1]), NamedNode(group_term[1:-1])
        o = iris.observation(f"groups/{_key(area, iris)}/{_key(group, iris)}")
        if multi_site is not None and len(sites) > 1:
            multi_site.append((area.value, o.value, group.value, len(sites)))
        yield from (Quad(o, RDF.type, QB.Observation, g), Quad(o, QB.dataSet, ds, g),
                    Quad(o, PROV.wasDerivedFrom, source, g), Quad(o, SDMX_DIMENSION.refArea, area, g),
                    Quad(o, BBMB.group, group, g),
                    Quad(o, BBMB.sites, Literal(str(len(sites)), datatype=integer), g),
                    Quad(o, BBMB.companies, Literal(str(len(companies)), datatype=integer), g),
                    Quad(o, BBMB.laender, Literal(str(len(laender)), datatype=integer), g),
                    Quad(o, BBMB.reading, read_as, g))
