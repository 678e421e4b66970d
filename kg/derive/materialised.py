"""What the saved queries look up per firm or area, computed once by SPARQL over the built store."""
from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, Store

from ..namespaces import BBMB, DCT, PROV, QB, RDF, SDMX_DIMENSION, XSD, IRIs
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
#: area (every place the site's place is bbmb:within) by :func:`materialised_quads`: one GROUP BY over
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
_WITHIN = "PREFIX bbmb: <https://w3id.org/bbmb/def#> SELECT ?place ?area WHERE { ?place bbmb:within ?area }"


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


#: A group with more than one site in an area, as :func:`materialised_quads` counted it: the area, the observation of
#: groups-by-area, the group and its number of sites (IRIs as text); the build's listing of multi-site-groups is
#: made from these (:func:`.listings.listing_lines`), not asked of the store again.
GroupCount = tuple[str, str, str, int]


def materialised_quads(store: Store, iris: IRIs, reading: str,
                       multi_site: list[GroupCount] | None = None) -> Iterator[Quad]:
    """What the saved queries look up per firm or area, computed once over the built ``store``, in
    ``graph/derived``: the firms' profiles (:data:`PROFILE`), the data set groups-by-area (:data:`GROUP_SITES`)
    and the subjects' head-count figures (:data:`FIGURES`); the order of the long listings is
    :func:`.listings.listing_lines` (N-Quads text: 1.4 million quads at 100,000 firms).

    Made as they are read from ``store`` (four million profile quads at a million firms): the caller keeps them
    out of ``store`` until every one is made, so that each query sees the store as built.  ``multi_site`` gets the
    groups with more than one site in an area (:data:`GroupCount`) as they are counted."""
    g = iris.graph(DERIVED)
    yield from (Quad(row["about"], BBMB.profileOf, row["firm"], g) for row in _solutions(store, PROFILE)
                if isinstance(row["about"], NamedNode))
    ds, source, read_as = iris.dataset("groups-by-area"), iris.source(DERIVED), Literal(reading)
    yield from (Quad(ds, RDF.type, QB.DataSet, g), Quad(ds, QB.structure, BBMB.groupsByAreaDsd, g),
                Quad(ds, DCT.title, Literal("Groups with sites in an area", language="en"), g),
                Quad(ds, PROV.wasDerivedFrom, source, g))
    within: dict[NamedNode, list[NamedNode]] = {}
    for row in _solutions(store, _WITHIN):
        within.setdefault(cast(NamedNode, row["place"]), []).append(cast(NamedNode, row["area"]))
    counted: dict[tuple[NamedNode, NamedNode], tuple[set[object], set[object], set[object]]] = {}
    for row in _solutions(store, GROUP_SITES):
        for area in within.get(cast(NamedNode, row["sitePlace"]), ()):
            sites, companies, laender = counted.setdefault((area, cast(NamedNode, row["group"])), (set(), set(), set()))
            sites.add(row["site"])
            companies.add(row["company"])
            if row["land"] is not None:
                laender.add(row["land"])
    integer = NamedNode(XSD.integer.value)
    for (area, group), (sites, companies, laender) in sorted(counted.items(), key=lambda kv: (kv[0][0].value,
                                                                                            kv[0][1].value)):
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
    yield from figure_quads(store, g)
