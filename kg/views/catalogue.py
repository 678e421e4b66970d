"""Everything the views need, read once from the store: places, organisations, sites, clusters, head-counts
and the facts the build derived (kg.rules), never recomputed here."""
from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pyoxigraph import Store

from .. import geo
from ..errors import InvalidArgument
from ..namespaces import BBMB, PREFIXES, SCHEMA
from ..query import READING_QUERY, STUDY_CREDIT_QUERY, select
from ..rules import (
    TIE_KINDS,
    UNKNOWN,
    control_area,
    control_class,
    default_region,
    is_operating_site,
    is_outside,
    parent_chain,
)
from .style import NEUTRAL, PALETTE

_PLACE_KINDS = {BBMB.Country.value: "country", BBMB.Land.value: "land", BBMB.Region.value: "region",
                BBMB.Municipality.value: "municipality", BBMB.District.value: "district"}


_ORG_KINDS = {BBMB.Firm.value: "firm", BBMB.ParentGroup.value: "group", BBMB.Holding.value: "holding",
              BBMB.Foundation.value: "foundation", BBMB.LegalEntity.value: "legal-entity"}


#: the organisations' kinds that matter only (not every class of every organisation: four times the rows)
_ORG_KIND_IRIS = " ".join(f"<{t}>" for t in _ORG_KINDS)

#: The catalogue's queries by name, each a whole-graph SELECT (never one a node); :class:`Catalog` asks them
#: all at once, in parallel threads (:class:`_Answers`).
QUERIES: dict[str, str] = {
    "place_kinds": "SELECT ?p ?t WHERE { ?p a schema:Place , ?t }",
    "place_within": "SELECT ?p ?w WHERE { ?p a schema:Place ; schema:containedInPlace ?w }",
    "place_points": "SELECT ?p ?lat ?long WHERE { ?p a schema:Place ; wgs:lat ?lat ; wgs:long ?long }",
    "labels": "SELECT ?s ?l (LANG(?l) AS ?lang) WHERE { ?s rdfs:label|skos:prefLabel|dct:title ?l }",
    "sources_of": "SELECT ?s ?src WHERE { ?s prov:wasDerivedFrom ?src . ?src a bbmb:Source }",
    "sources": "SELECT ?src ?title ?url ?whole WHERE { ?src a bbmb:Source ; dct:title ?title "
               "OPTIONAL { ?src schema:url ?url } OPTIONAL { ?src dct:isPartOf ?whole } }",
    "subsectors": "SELECT DISTINCT ?c ?code WHERE { ?o org:classification ?c . ?c skos:notation ?code }",
    "orgs": "SELECT ?o WHERE { ?o a org:Organization }",
    "org_kinds": f"SELECT ?o ?t WHERE {{ VALUES ?t {{ {_ORG_KIND_IRIS} }} ?o a ?t }}",
    "parents": "SELECT ?rel ?o ?p ?c ?since ?until WHERE { ?rel a bbmb:ControlRelation ; bbmb:child ?o ; "
               "bbmb:parent ?p OPTIONAL { ?rel bbmb:certainty ?c } OPTIONAL { ?rel schema:startDate ?since } "
               "OPTIONAL { ?rel schema:endDate ?until } }",
    "placed": "SELECT ?s ?p WHERE { ?s schema:containedInPlace ?p }",
    "certainty": "SELECT ?s ?c WHERE { ?s bbmb:certainty ?c }",
    "primary_sites": "SELECT ?o ?site WHERE { ?o org:hasPrimarySite ?site }",
    "control": "SELECT ?o ?c ?p ?b WHERE { ?o bbmb:controlledBy ?c "
               "OPTIONAL { ?o bbmb:controlPlace ?p } OPTIONAL { ?o bbmb:controlBasis ?b } }",
    "details": "SELECT ?s ?p ?v (LANG(?v) AS ?lang) WHERE { VALUES ?p { schema:description bbmb:status } "
               "?s ?p ?v }",
    "codes": "SELECT ?o ?code WHERE { ?o org:classification ?c . ?c skos:notation ?code } ORDER BY ?code",
    "contested": "SELECT ?about ?aspect ?alt ?label ?chosen (GROUP_CONCAT(STR(?src); separator=' ') AS ?srcs) "
                 "WHERE { ?c a bbmb:ContestedFact ; bbmb:about ?about ; bbmb:aspect ?aspect ; bbmb:alternative ?alt . "
                 "?alt rdfs:label ?label ; bbmb:chosen ?chosen OPTIONAL { ?alt prov:wasDerivedFrom ?src } } "
                 "GROUP BY ?about ?aspect ?alt ?label ?chosen ORDER BY ?alt",
    "employees": "SELECT ?s ?n ?b WHERE { ?s bbmb:employees ?n OPTIONAL { ?s bbmb:employeesBasis ?b } }",
    "alternative_places": "SELECT ?s ?about ?p WHERE { ?s a bbmb:AlternativePlace ; bbmb:about ?about ; "
                          "schema:containedInPlace ?p }",
    "headcounts": "SELECT ?s ?h ?v ?min ?max ?a ?y WHERE { ?s schema:numberOfEmployees ?h . "
                  "OPTIONAL { ?h schema:value ?v } OPTIONAL { ?h schema:minValue ?min } "
                  "OPTIONAL { ?h schema:maxValue ?max } OPTIONAL { ?h bbmb:approximation ?a } "
                  "OPTIONAL { ?h bbmb:referenceYear ?y } }",
    "sites": "SELECT ?s ?o ?p WHERE { ?s a org:Site ; org:siteOf ?o ; schema:containedInPlace ?p }",
    "site_functions": "SELECT ?s ?n WHERE { ?s a org:Site ; bbmb:siteFunction ?f . ?f skos:notation ?n } ORDER BY ?n",
    "site_periods": "SELECT ?s ?p ?v WHERE { ?s a org:Site ; schema:startDate|schema:endDate ?v ; ?p ?v }",
    "clusters": "SELECT ?c ?kind ?place ?op WHERE { ?c a bbmb:Cluster , ?k . ?k skos:notation ?kind "
                "OPTIONAL { ?c schema:containedInPlace ?place } OPTIONAL { ?c bbmb:operatedBy ?op } }",
    "cluster_members": "SELECT ?c ?m WHERE { ?c a bbmb:Cluster ; bbmb:hasMember ?m } ORDER BY ?m",
    "ties": "SELECT ?tie ?kind ?via ?code ?form WHERE { ?tie bbmb:tieKind ?kind ; bbmb:via ?via "
            "OPTIONAL { ?tie bbmb:tieSubsector ?s . ?s skos:notation ?code } "
            "OPTIONAL { ?tie bbmb:tieForm ?form } }",
    "tie_links": "SELECT ?firm ?tie WHERE { ?firm bbmb:sharesTie ?tie }",
    "within": "SELECT ?p ?w WHERE { ?p bbmb:within ?w }",
    "land": "SELECT ?p ?l WHERE { ?p bbmb:inLand ?l }",
    "country": "SELECT ?p ?c WHERE { ?p bbmb:inCountry ?c }",
    "default_region": "SELECT ?r WHERE { ?g bbmb:defaultRegion ?r }",
    "reading": READING_QUERY,
    "study_credit": STUDY_CREDIT_QUERY,
}


def curie(iri: str) -> str:
    """The prefixed name of an IRI, or the IRI itself.

    >>> curie("http://www.w3.org/ns/org#siteOf")
    'org:siteOf'
    """
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and "/" not in iri[len(ns):]:
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def place_key(iri: str) -> str:
    """The id of a place (``.../place/berlin`` -> ``berlin``), as the outlines are keyed."""
    return iri.rsplit("/place/", 1)[-1]


def source_key(iri: str) -> str:
    """The id of a source (its row in ``data/sources.csv``) from its IRI."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _rows(store: Store, query: str) -> list[dict[str, Any]]:
    """Rows of a SELECT over the union of the graphs, as lexical values (the few numbers are converted
    where they are read)."""
    return select(store, query, lexical=True)


class _Answers:
    """The rows of each of :data:`QUERIES` by name, every query asked at once in threads of its own.

    The engine evaluates a query without Python's lock, so the store is read on every core while the catalogue
    joins the answers it already has (in its own order, as a sequential reading would: the same catalogue).

    >>> with _Answers(Store()) as answers:
    ...     answers("orgs")
    []
    """

    def __init__(self, store: Store, workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1),
                                        thread_name_prefix="catalogue")
        # asked in the order the catalogue reads them: the first answers are ready first
        self._pending = {name: self._pool.submit(_rows, store, QUERIES[name]) for name in QUERIES}

    def __call__(self, name: str) -> list[dict[str, Any]]:
        """The rows of the query ``name``, once (the catalogue asks each once; its rows are then let go)."""
        return self._pending.pop(name).result()

    def __enter__(self) -> _Answers:
        return self

    def __exit__(self, *exc: object) -> None:
        for future in self._pending.values():  # an error part-way: the queries not yet asked are not asked
            future.cancel()
        self._pool.shutdown(wait=True)


@dataclass
class Place:
    iri: str
    kinds: set[str] = field(default_factory=set)
    label_de: str = ""
    label_en: str = ""
    within: list[str] = field(default_factory=list)
    lat: float | None = None
    long: float | None = None
    sources: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.label_de or self.label_en or self.iri


@dataclass
class Org:
    iri: str
    name: str = ""
    kinds: set[str] = field(default_factory=set)
    parent: str | None = None
    parent_certainty: str = ""
    parent_sources: list[str] = field(default_factory=list)
    parent_since: str = ""  # the period of the parent relation, as the tables write it (kg.rules.period_bounds)
    parent_until: str = ""
    hq_place: str | None = None
    hq_sources: list[str] = field(default_factory=list)
    hq_certainty: str = ""
    status: str = ""
    description: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    controller: str | None = None  # derived by the build, see kg.rules
    control_place: str | None = None
    control_basis: str = ""


@dataclass(eq=False)
class Site:
    iri: str
    org: str
    place: str
    label: str = ""
    functions: list[str] = field(default_factory=list)
    status: str = ""
    description: str = ""
    sources: list[str] = field(default_factory=list)
    opened: str = ""  # periods as the tables write them (kg.rules.period_bounds)
    closed: str = ""


@dataclass
class Cluster:
    iri: str
    kind: str
    label: str = ""
    place: str | None = None
    operator: str | None = None
    members: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class Alternative:
    """One value a source gives for a contested fact (a place of control, a head-count), with its own sources."""

    label: str
    sources: list[str]
    chosen: bool = False


@dataclass
class Headcount:
    value: int | None
    minimum: int | None
    maximum: int | None
    approx: str
    year: int | None
    sources: list[str]

    @property
    def number(self) -> int | None:
        return self.value if self.value is not None else self.minimum if self.minimum is not None else self.maximum

    def __str__(self) -> str:
        if self.value is not None:
            text = f"{self.approx} {self.value:,}" if self.approx != "exact" else f"{self.value:,}"
        elif self.minimum is not None and self.maximum is not None:
            text = f"{self.minimum:,}-{self.maximum:,}"
        elif self.minimum is not None:
            text = f"{self.approx} {self.minimum:,}"
        else:
            text = self.approx.replace("-", " ")
        return f"{text} ({self.year})" if self.year else text


class Catalog:
    """Everything the views need, read from the store with a few whole-graph SELECT queries.

    The region is the one the build chose (``bbmb:defaultRegion``, :func:`kg.rules.default_region`), unless
    ``region`` (an IRI) names one.
    """

    def __init__(self, store: Store, region: str | None = None) -> None:
        self.store = store
        with _Answers(store) as q:
            self._read(q, region)

    def _read(self, q: Callable[[str], list[dict[str, Any]]], region: str | None) -> None:
        self.places: dict[str, Place] = {}
        for r in q("place_kinds"):
            place = self.places.setdefault(r["p"], Place(r["p"]))
            if r["t"] in _PLACE_KINDS:
                place.kinds.add(_PLACE_KINDS[r["t"]])
        for r in q("place_within"):
            self.places[r["p"]].within.append(r["w"])
        for r in q("place_points"):
            self.places[r["p"]].lat, self.places[r["p"]].long = float(r["lat"]), float(r["long"])
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for r in q("labels"):
            self.labels[r["s"]].setdefault(r["lang"], r["l"])
        for iri, place in self.places.items():
            names = self.labels.get(iri, {})
            place.label_de, place.label_en = names.get("de", names.get("", "")), names.get("en", "")
        self.sources_of: dict[str, list[str]] = defaultdict(list)
        for r in q("sources_of"):
            self.sources_of[r["s"]].append(source_key(r["src"]))
        for values in self.sources_of.values():
            values.sort()
        self.sources: dict[str, dict[str, str]] = {}
        self.source_part_of: dict[str, str] = {}
        for r in q("sources"):
            entry = {"title": r["title"]}
            if r["url"]:
                entry["url"] = r["url"]
            self.sources[source_key(r["src"])] = entry
            if r["whole"]:
                self.source_part_of[source_key(r["src"])] = source_key(r["whole"])
        self._read_orgs(q)
        self.parent_of = {iri: o.parent if o.parent in self.orgs else None for iri, o in self.orgs.items()}
        self._read_sites(q)
        self._read_clusters(q)
        self._read_ties(q)
        self.subsectors: dict[str, dict[str, str]] = {}
        for r in q("subsectors"):
            names = self.labels.get(r["c"], {})
            self.subsectors[r["code"]] = {"de": names.get("de", ""), "en": names.get("en", "")}
        frequency = Counter(c for o in self.orgs.values() for c in o.codes)
        codes = sorted(frequency, key=lambda c: (-frequency[c], c))
        self.subsector_colors = {c: PALETTE[i] if i < len(PALETTE) else NEUTRAL for i, c in enumerate(codes)}
        self._places_derived(q, region)
        self.regional_sites_set: set[Site] = set(self.regional_sites())

    # -- reading
    def _read_orgs(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        self.orgs: dict[str, Org] = {}
        for r in q("orgs"):
            self.orgs.setdefault(r["o"], Org(r["o"]))
        for r in q("org_kinds"):
            if r["o"] in self.orgs:
                self.orgs[r["o"]].kinds.add(_ORG_KINDS[r["t"]])
        for iri, org in self.orgs.items():
            names = self.labels.get(iri, {})
            org.name = names.get("", "") or names.get("de", "") or names.get("en", "") or iri
            org.sources = self.sources_of.get(iri, [])
        self._read_parents_and_headquarters(q)
        self._read_org_details(q)
        self._read_figures(q)

    def _read_parents_and_headquarters(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        for r in q("parents"):
            org = self.orgs[r["o"]]
            org.parent, org.parent_certainty = r["p"], r["c"] or ""
            org.parent_since, org.parent_until = r["since"] or "", r["until"] or ""
            org.parent_sources = self.sources_of.get(r["rel"], [])
        # three scans joined here (the join in SPARQL took seconds at 100,000 firms); the first primary site wins
        place_of: dict[str, str] = {}
        for r in q("placed"):
            place_of[r["s"]] = min(r["p"], place_of.get(r["s"], r["p"]))
        certainty = {r["s"]: r["c"] for r in q("certainty")}
        for site, o in sorted((r["site"], r["o"]) for r in q("primary_sites")):
            org = self.orgs[o]
            if org.hq_place is None and site in place_of:
                org.hq_place, org.hq_certainty = place_of[site], certainty.get(site, "")
                org.hq_sources = self.sources_of.get(site, [])
        for r in q("control"):
            if r["o"] in self.orgs:
                org = self.orgs[r["o"]]
                org.controller, org.control_place, org.control_basis = r["c"], r["p"], r["b"] or ""

    def _read_org_details(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        # descriptions and statuses of organisations and sites alike, by two predicate scans (_read_sites too)
        self._details = q("details")
        for r in self._details:
            if r["s"] not in self.orgs:
                continue
            if r["p"] == BBMB.status.value:
                self.orgs[r["s"]].status = r["v"]
            else:
                self.orgs[r["s"]].description[r["lang"] or "de"] = r["v"]
        for r in q("codes"):
            self.orgs[r["o"]].codes.append(r["code"])

    def _read_contested(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        """(subject, aspect) -> the contested fact's alternatives, each with its own sources, the chosen first."""
        self.contested: dict[tuple[str, str], list[Alternative]] = defaultdict(list)
        rows = q("contested")
        for r in rows:
            chosen = str(r["chosen"]).lower() == "true"
            self.contested[(r["about"], r["aspect"])].append(Alternative(
                r["label"], [source_key(s) for s in (r["srcs"] or "").split()], chosen))
        for alternatives in self.contested.values():
            alternatives.sort(key=lambda a: not a.chosen)

    def _read_figures(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        """Head-counts (and the figure the build chose), places sources put elsewhere, the reading."""
        self.employees: dict[str, int] = {}
        self.employees_basis: dict[str, str] = {}
        for r in q("employees"):
            self.employees[r["s"]] = int(r["n"])
            self.employees_basis[r["s"]] = r["b"] or ""
        # where a source puts an organisation's or site's place against the other tables: its sources
        self.statement_sources: dict[tuple[str, str], list[str]] = {}
        for r in q("alternative_places"):
            self.statement_sources[(r["about"], r["p"])] = self.sources_of.get(r["s"], [])
        self.reading = next((r["r"] for r in q("reading")), None)
        self._read_contested(q)
        #: the study's credit line, from the project file (kg.toml) by way of the build; None without one
        self.study_credit: str | None = next((r["c"] for r in q("study_credit")), None)
        self.headcounts: dict[str, list[Headcount]] = defaultdict(list)
        for r in q("headcounts"):
            year = int(str(r["y"])[:4]) if r["y"] else None
            value, low, high = (int(r[k]) if r[k] is not None else None for k in ("v", "min", "max"))
            self.headcounts[r["s"]].append(Headcount(value, low, high, r["a"] or "exact", year,
                                                     self.sources_of.get(r["h"], [])))

    def _read_sites(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        self.sites: dict[str, Site] = {}
        for r in q("sites"):
            names = self.labels.get(r["s"], {})
            self.sites[r["s"]] = Site(r["s"], r["o"], r["p"], names.get("", "") or names.get("de", r["s"]),
                                      sources=self.sources_of.get(r["s"], []))
        for r in q("site_functions"):
            self.sites[r["s"]].functions.append(r["n"])
        for r in self._details:
            if r["s"] not in self.sites:
                continue
            if r["p"] == BBMB.status.value:
                self.sites[r["s"]].status = r["v"]
            else:
                self.sites[r["s"]].description = r["v"]
        for r in q("site_periods"):
            if r["p"] == SCHEMA.startDate.value:
                self.sites[r["s"]].opened = r["v"]
            else:
                self.sites[r["s"]].closed = r["v"]
        self.sites_of: dict[str, list[Site]] = defaultdict(list)
        for site in self.sites.values():
            self.sites_of[site.org].append(site)

    def _read_clusters(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        self.clusters: dict[str, Cluster] = {}
        for r in q("clusters"):
            names = self.labels.get(r["c"], {})
            self.clusters[r["c"]] = Cluster(r["c"], r["kind"], names.get("", "") or names.get("de", r["c"]),
                                            r["place"], r["op"], sources=self.sources_of.get(r["c"], []))
        for r in q("cluster_members"):
            self.clusters[r["c"]].members.append(r["m"])

    def _read_ties(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        """firm -> its ties as the build derived them (kg.rules.firm_ties): (kind, key), the key the
        place's ``code@municipality`` for a subsector-and-place tie, else the organisation or cluster;
        and (kind, key) -> the tie's form as the build decided it (kg.rules.tie_form: "pairs" or "hub")."""
        kinds = {words: kind for kind, words in TIE_KINDS.items()}
        self.ties: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.tie_forms: dict[tuple[str, str], str] = {}
        # the few thousand ties, then the firms' links to them, joined here: one query joining the two took
        # half a minute at 100,000 firms (330,000 links), the two scans a second
        described: dict[str, tuple[tuple[str, str, str], tuple[str, str]]] = {}
        for r in q("ties"):
            tie = (kinds[r["kind"]], f"{r['code']}@{r['via']}" if r["code"] else r["via"])
            described[r["tie"]] = ((r["kind"], r["via"], r["code"] or ""), tie)
            if r["form"]:
                self.tie_forms[tie] = r["form"]
        links = sorted((r["firm"], *described[r["tie"]])
                       for r in q("tie_links") if r["tie"] in described)
        for firm, _, tie in links:  # by firm, kind, via, code (the order the ties are listed in)
            self.ties[firm].append(tie)

    # -- places: ancestry, Land, country (as the build derived them), region, coordinates
    def _places_derived(self, q: Callable[[str], list[dict[str, Any]]], region: str | None) -> None:
        within: dict[str, set[str]] = defaultdict(set)
        for r in q("within"):
            within[r["p"]].add(r["w"])
        # nearest first: a place lies in fewer places than anything inside it
        self.ancestors = {iri: sorted(within.get(iri, {iri}) | {iri}, key=lambda a: (-len(within.get(a, ())), a))
                          for iri in self.places}
        self.land: dict[str, str | None] = dict.fromkeys(self.places)
        self.country: dict[str, str | None] = dict.fromkeys(self.places)
        for r in q("land"):
            self.land[r["p"]] = r["l"]
        for r in q("country"):
            self.country[r["p"]] = r["c"]
        self.municipality = {iri: next((a for a in self.ancestors[iri] if "municipality" in self.places[a].kinds), iri)
                             for iri in self.places}
        self.region = self._region(q, region)
        self.home_country = self.country.get(self.region) if self.region else None
        self._coordinates()

    def _region(self, q: Callable[[str], list[dict[str, Any]]], region: str | None) -> str | None:
        """The region asked for (it must be a bbmb:Region), else the build's choice (kg.rules.default_region;
        a graph without it: the same rule, applied to its operating sites)."""
        regions = sorted(p for p, place in self.places.items() if "region" in place.kinds)
        if region is not None and region not in regions:
            raise InvalidArgument(f"{region} is not a bbmb:Region of the data; choose from {', '.join(regions)}")
        if region is not None:
            return region
        derived = next((r["r"] for r in q("default_region")), None)
        return derived or default_region([s.place for s in self.sites.values() if is_operating_site(s.functions)],
                                         regions, self.ancestors)

    def _coordinates(self) -> None:
        """Coordinates: own, else a point inside the outline, else the mean of the places within, else the
        nearest ancestor's -- each fallback a pass over every place, in this order."""
        self._within: dict[str, list[str]] = defaultdict(list)
        for iri in self.places:
            for a in self.ancestors[iri][1:]:
                self._within[a].append(iri)
        self.coords: dict[str, tuple[float, float]] = {}
        for fallback in (self._own_point, self._outline_point, self._mean_of_within, self._ancestors_point):
            for iri in self.places:
                if iri not in self.coords and (point := fallback(iri)) is not None:
                    self.coords[iri] = point

    def _own_point(self, iri: str) -> tuple[float, float] | None:
        place = self.places[iri]
        return (place.lat, place.long) if place.lat is not None and place.long is not None else None

    @staticmethod
    def _outline_point(iri: str) -> tuple[float, float] | None:
        """A Land or country without coordinates of its own: a point well inside its outline (and outside
        the Länder it encloses: Brandenburg's is not in Berlin)."""
        point = geo.label_point(place_key(iri))
        return (point[1], point[0]) if point else None

    def _mean_of_within(self, iri: str) -> tuple[float, float] | None:
        inner = [self.coords[c] for c in self._within[iri] if c in self.coords]
        return (sum(p[0] for p in inner) / len(inner), sum(p[1] for p in inner) / len(inner)) if inner else None

    def _ancestors_point(self, iri: str) -> tuple[float, float] | None:
        return next((self.coords[a] for a in self.ancestors[iri][1:] if a in self.coords), None)

    def in_region(self, place: str | None) -> bool:
        return bool(place and self.region and self.region in self.ancestors.get(place, ()))

    def control_of_place(self, place: str | None) -> tuple[str, str | None]:
        """(inside|germany|abroad|unknown, the Land or country IRI) of a place of control (kg.rules.control_class)."""
        if not place or place not in self.places or not self.region:
            return UNKNOWN, None
        kind = control_class(place, self.region, self.ancestors, self.country)
        found = control_area(place, kind, self.land, self.country)
        return kind, found[0] if found else None

    def outside_area(self, place: str | None) -> str | None:
        """The Land or country of a place of control outside the region (kg.rules.is_outside), else None."""
        kind, area = self.control_of_place(place)
        return area if is_outside(kind) else None

    def chain(self, org: str) -> list[str]:
        """The organisation, its parent, the parent's parent ... up to the ultimate parent (kg.rules.parent_chain)."""
        return parent_chain(org, self.parent_of)

    def control(self, org: str) -> tuple[str, str | None, str, str | None]:
        """(control class, Land-or-country IRI, controlling org, place of control) of an org, as the
        build derived them (bbmb:controlledBy, bbmb:controlPlace: the rules of :mod:`kg.rules`)."""
        o = self.orgs[org]
        kind, area = self.control_of_place(o.control_place)
        return kind, area, o.controller or org, o.control_place

    def headcount(self, iri: str) -> int | None:
        """The head-count every output uses (bbmb:employees, derived by the build), or None."""
        return self.employees.get(iri)

    def label(self, iri: str) -> str:
        if iri in self.places:
            return self.places[iri].label
        if iri in self.orgs:
            return self.orgs[iri].name
        names = self.labels.get(iri, {})
        if names:
            return names.get("", "") or names.get("de", "") or names.get("en", "")
        # a thing without a name (an event, a head-count, a flag): its id in words, and its kind
        head, _, key = iri.rpartition("/")
        kind = head.rpartition("/")[2]
        return f"{key.replace('-', ' ')} ({kind.replace('-', ' ')})"

    def regional_sites(self) -> list[Site]:
        """Sites in the region, without the head-office entries made from the organisations table."""
        return [s for s in self.sites.values() if self.in_region(s.place) and is_operating_site(s.functions)]

    def subsector_label(self, codes: Iterable[str], lang: str = "en") -> str:
        return "; ".join(f"{c} {self.subsectors.get(c, {}).get(lang, '')}".strip() for c in codes)


def _catalog(store: Store, catalog: Catalog | None, region: str | None) -> Catalog:
    return catalog or Catalog(store, region)
