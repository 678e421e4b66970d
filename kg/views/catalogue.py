"""Everything the views need, read once from the store: places, organisations, sites, clusters, head-counts
and the facts the build derived (kg.rules), never recomputed here."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from pyoxigraph import Store

from .. import geo
from ..errors import InvalidArgument
from ..namespaces import BBMB, PREFIXES, SCHEMA
from ..query import READING_QUERY, STUDY_CREDIT_QUERY
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
from .answers import Answers, Row, save_answers
from .style import NEUTRAL, PALETTE

_PLACE_KINDS = {BBMB.Country.value: "country", BBMB.Land.value: "land", BBMB.Region.value: "region",
                BBMB.Municipality.value: "municipality", BBMB.District.value: "district"}


_ORG_KINDS = {BBMB.Firm.value: "firm", BBMB.ParentGroup.value: "group", BBMB.Holding.value: "holding",
              BBMB.Foundation.value: "foundation", BBMB.LegalEntity.value: "legal-entity"}


#: the organisations' kinds that matter only (not every class of every organisation: four times the rows)
_ORG_KIND_IRIS = " ".join(f"<{t}>" for t in _ORG_KINDS)

#: The catalogue's queries by name, each a whole-graph SELECT (never one a node), most of them a scan of one
#: property joined here: the engine's joins took three times as long at 100,000 firms (each row's terms are
#: looked up in the store either way).  :class:`Catalog` asks them all at once, in threads, or reads the answers
#: the build saved (:class:`kg.views.answers.Answers`).
QUERIES: dict[str, str] = {
    "place_kinds": "SELECT ?p ?t WHERE { ?p a schema:Place , ?t }",
    "place_within": "SELECT ?p ?w WHERE { ?p a schema:Place ; schema:containedInPlace ?w }",
    "place_points": "SELECT ?p ?lat ?long WHERE { ?p a schema:Place ; wgs:lat ?lat ; wgs:long ?long }",
    "labels": "SELECT ?s ?l (LANG(?l) AS ?lang) WHERE { ?s rdfs:label|skos:prefLabel|dct:title ?l }",
    "sources_of": "SELECT ?s ?src WHERE { ?s prov:wasDerivedFrom ?src . ?src a bbmb:Source }",
    "sources": "SELECT ?src ?title ?url ?whole WHERE { ?src a bbmb:Source ; dct:title ?title "
               "OPTIONAL { ?src schema:url ?url } OPTIONAL { ?src dct:isPartOf ?whole } }",
    "notations": "SELECT ?c ?code WHERE { ?c skos:notation ?code }",
    "classified": "SELECT ?o ?c WHERE { ?o org:classification ?c }",
    "orgs": "SELECT ?o WHERE { ?o a org:Organization }",
    "org_kinds": f"SELECT ?o ?t WHERE {{ VALUES ?t {{ {_ORG_KIND_IRIS} }} ?o a ?t }}",
    "parents": "SELECT ?rel ?o ?p ?c ?since ?until WHERE { ?rel a bbmb:ControlRelation ; bbmb:child ?o ; "
               "bbmb:parent ?p OPTIONAL { ?rel bbmb:certainty ?c } OPTIONAL { ?rel schema:startDate ?since } "
               "OPTIONAL { ?rel schema:endDate ?until } }",
    "placed": "SELECT ?s ?p WHERE { ?s schema:containedInPlace ?p }",
    "certainty": "SELECT ?s ?c WHERE { ?s bbmb:certainty ?c }",
    "primary_sites": "SELECT ?o ?site WHERE { ?o org:hasPrimarySite ?site }",
    "controllers": "SELECT ?o ?c WHERE { ?o bbmb:controlledBy ?c }",
    "control_places": "SELECT ?o ?p WHERE { ?o bbmb:controlPlace ?p }",
    "control_bases": "SELECT ?o ?b WHERE { ?o bbmb:controlBasis ?b }",
    "details": "SELECT ?s ?p ?v (LANG(?v) AS ?lang) WHERE { VALUES ?p { schema:description bbmb:status } "
               "?s ?p ?v }",
    "contested": "SELECT ?about ?aspect ?alt ?label ?chosen (GROUP_CONCAT(STR(?src); separator=' ') AS ?srcs) "
                 "WHERE { ?c a bbmb:ContestedFact ; bbmb:about ?about ; bbmb:aspect ?aspect ; bbmb:alternative ?alt . "
                 "?alt rdfs:label ?label ; bbmb:chosen ?chosen OPTIONAL { ?alt prov:wasDerivedFrom ?src } } "
                 "GROUP BY ?about ?aspect ?alt ?label ?chosen ORDER BY ?alt",
    "employees": "SELECT ?s ?n WHERE { ?s bbmb:employees ?n }",
    "employee_bases": "SELECT ?s ?b WHERE { ?s bbmb:employeesBasis ?b }",
    "alternative_places": "SELECT ?s ?about ?p WHERE { ?s a bbmb:AlternativePlace ; bbmb:about ?about ; "
                          "schema:containedInPlace ?p }",
    "headcounts": "SELECT ?s ?h WHERE { ?s schema:numberOfEmployees ?h }",
    "headcount_parts": "SELECT ?h ?p ?v WHERE { VALUES ?p { schema:value schema:minValue schema:maxValue "
                       "bbmb:approximation bbmb:referenceYear } ?h ?p ?v }",
    "site_types": "SELECT ?s WHERE { ?s a org:Site }",
    "site_orgs": "SELECT ?s ?o WHERE { ?s org:siteOf ?o }",
    "site_functions": "SELECT ?s ?f WHERE { ?s bbmb:siteFunction ?f }",
    "periods": "SELECT ?s ?p ?v WHERE { VALUES ?p { schema:startDate schema:endDate } ?s ?p ?v }",
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

#: The queries read only when a view asks for what they give (:attr:`Catalog.ties`).
_WHEN_ASKED = ("ties", "tie_links")


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


def _pairs(rows: list[Row]) -> dict[str, str]:
    """The rows of a two-variable query as a mapping, the first value to the last row's second."""
    return {key: value for key, value in rows}


class Catalog:
    """Everything the views need, read from the store with a few whole-graph SELECT queries.

    The region is the one the build chose (``bbmb:defaultRegion``, :func:`kg.rules.default_region`), unless
    ``region`` (an IRI) names one.  ``saved``: the folder of the build's on-disk store ``store``, where the build saved
    the answers (:func:`kg.views.answers.save_answers`); they are read instead of asked.
    """

    def __init__(self, store: Store, region: str | None = None, saved: str | Path | None = None) -> None:
        self.store, self._saved = store, saved
        self._control_of_place: dict[str | None, tuple[str, str | None]] = {}
        self._subsector_labels: dict[tuple[tuple[str, ...], str], str] = {}
        with Answers(store, {name: query for name, query in QUERIES.items() if name not in _WHEN_ASKED}, saved) as q:
            self._read(q, region)

    def _read(self, q: Callable[[str], list[Row]], region: str | None) -> None:
        self.places: dict[str, Place] = {}
        for p, t in q("place_kinds"):
            place = self.places.setdefault(p, Place(p))
            if t in _PLACE_KINDS:
                place.kinds.add(_PLACE_KINDS[t])
        for p, w in q("place_within"):
            self.places[p].within.append(w)
        for p, lat, long in q("place_points"):
            self.places[p].lat, self.places[p].long = float(lat), float(long)
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for s, label, lang in q("labels"):
            self.labels[s].setdefault(lang, label)
        for iri, place in self.places.items():
            names = self.labels.get(iri, {})
            place.label_de, place.label_en = names.get("de", names.get("", "")), names.get("en", "")
        self.sources_of: dict[str, list[str]] = defaultdict(list)
        keys: dict[str, str] = {}  # a few hundred sources, cited by hundreds of thousands of facts
        for s, src in q("sources_of"):
            self.sources_of[s].append(keys.get(src) or keys.setdefault(src, source_key(src)))
        for values in self.sources_of.values():
            values.sort()
        self.sources: dict[str, dict[str, str]] = {}
        self.source_part_of: dict[str, str] = {}
        for src, title, url, whole in q("sources"):
            self.sources[source_key(src)] = {"title": title, **({"url": url} if url else {})}
            if whole:
                self.source_part_of[source_key(src)] = source_key(whole)
        self._codes = _pairs(q("notations"))  # a concept's code: subsectors, site functions, cluster kinds
        self._read_orgs(q)
        self.parent_of = {iri: o.parent if o.parent in self.orgs else None for iri, o in self.orgs.items()}
        self._read_sites(q)
        self._read_clusters(q)
        frequency = Counter(c for o in self.orgs.values() for c in o.codes)
        codes = sorted(frequency, key=lambda c: (-frequency[c], c))
        self.subsector_colors = {c: PALETTE[i] if i < len(PALETTE) else NEUTRAL for i, c in enumerate(codes)}
        self._places_derived(q, region)
        self.regional_sites_set: set[Site] = set(self.regional_sites())
        #: each organisation's sites in the region, in the order of ``sites_of`` (asked for every node of a view)
        self.regional_sites_of: dict[str, list[Site]] = {}
        for org, sites in self.sites_of.items():
            if regional := [s for s in sites if s in self.regional_sites_set]:
                self.regional_sites_of[org] = regional

    # -- reading
    def _name(self, iri: str) -> str:
        """A site's or cluster's name: its label without a language, else the German one, else its IRI."""
        names = self.labels.get(iri, {})
        return names.get("", "") or names.get("de", iri)

    def _read_orgs(self, q: Callable[[str], list[Row]]) -> None:
        self.orgs: dict[str, Org] = {}
        for (o,) in q("orgs"):
            self.orgs.setdefault(o, Org(o))
        for o, t in q("org_kinds"):
            if o in self.orgs:
                self.orgs[o].kinds.add(_ORG_KINDS[t])
        for iri, org in self.orgs.items():
            names = self.labels.get(iri, {})
            org.name = names.get("", "") or names.get("de", "") or names.get("en", "") or iri
            org.sources = self.sources_of.get(iri, [])
        self._read_parents_and_headquarters(q)
        self._read_org_details(q)
        self._read_figures(q)

    def _read_parents_and_headquarters(self, q: Callable[[str], list[Row]]) -> None:
        for rel, o, p, certain, since, until in q("parents"):
            org = self.orgs[o]
            org.parent, org.parent_certainty = p, certain or ""
            org.parent_since, org.parent_until = since or "", until or ""
            org.parent_sources = self.sources_of.get(rel, [])
        # three scans joined here (the join in SPARQL took seconds at 100,000 firms); the first primary site wins
        self._place_of: dict[str, str] = {}
        for s, p in q("placed"):
            self._place_of[s] = min(p, self._place_of.get(s, p))
        certainty = _pairs(q("certainty"))
        for site, o in sorted((site, o) for o, site in q("primary_sites")):
            org = self.orgs[o]
            if org.hq_place is None and site in self._place_of:
                org.hq_place, org.hq_certainty = self._place_of[site], certainty.get(site, "")
                org.hq_sources = self.sources_of.get(site, [])
        places, bases = _pairs(q("control_places")), _pairs(q("control_bases"))
        for o, controller in q("controllers"):
            if o in self.orgs:
                org = self.orgs[o]
                org.controller, org.control_place, org.control_basis = controller, places.get(o), bases.get(o) or ""

    def _read_org_details(self, q: Callable[[str], list[Row]]) -> None:
        # descriptions and statuses of organisations and sites alike, by two predicate scans (_read_sites too)
        self._details = q("details")
        for s, p, v, lang in self._details:
            if s not in self.orgs:
                continue
            if p == BBMB.status.value:
                self.orgs[s].status = v
            else:
                self.orgs[s].description[lang or "de"] = v
        self.subsectors: dict[str, dict[str, str]] = {}
        for o, concept in q("classified"):
            code = self._codes.get(concept)
            if code is None or o not in self.orgs:  # the subsectors of organisations (data may classify more)
                continue
            self.orgs[o].codes.append(code)
            if code not in self.subsectors:
                names = self.labels.get(concept, {})
                self.subsectors[code] = {"de": names.get("de", ""), "en": names.get("en", "")}
        for org in self.orgs.values():
            org.codes.sort()

    def _read_contested(self, q: Callable[[str], list[Row]]) -> None:
        """(subject, aspect) -> the contested fact's alternatives, each with its own sources, the chosen first."""
        self.contested: dict[tuple[str, str], list[Alternative]] = defaultdict(list)
        for about, aspect, _, label, chosen, sources in q("contested"):
            self.contested[(about, aspect)].append(Alternative(
                label, [source_key(s) for s in (sources or "").split()], str(chosen).lower() == "true"))
        for alternatives in self.contested.values():
            alternatives.sort(key=lambda a: not a.chosen)

    def _read_figures(self, q: Callable[[str], list[Row]]) -> None:
        """Head-counts (and the figure the build chose), places sources put elsewhere, the reading."""
        self.employees: dict[str, int] = {s: int(n) for s, n in q("employees")}
        bases = _pairs(q("employee_bases"))
        self.employees_basis: dict[str, str] = {s: bases.get(s) or "" for s in self.employees}
        # where a source puts an organisation's or site's place against the other tables: its sources
        self.statement_sources: dict[tuple[str, str], list[str]] = {}
        for s, about, p in q("alternative_places"):
            self.statement_sources[(about, p)] = self.sources_of.get(s, [])
        self.reading = next((r for (r,) in q("reading")), None)
        self._read_contested(q)
        #: the study's credit line, from the project file (kg.toml) by way of the build; None without one
        self.study_credit: str | None = next((c for (c,) in q("study_credit")), None)
        counted = q("headcounts")
        parts: dict[str, dict[str, str]] = defaultdict(dict)
        wanted = {h for _, h in counted}
        for h, p, v in q("headcount_parts"):
            if h in wanted:
                parts[h][p] = v
        self.headcounts: dict[str, list[Headcount]] = defaultdict(list)
        for s, h in counted:
            given = parts.get(h, {})
            year = given.get(BBMB.referenceYear.value)
            value, low, high = (int(given[k.value]) if k.value in given else None
                                for k in (SCHEMA.value, SCHEMA.minValue, SCHEMA.maxValue))
            self.headcounts[s].append(Headcount(value, low, high, given.get(BBMB.approximation.value) or "exact",
                                                int(year[:4]) if year else None, self.sources_of.get(h, [])))

    def _read_sites(self, q: Callable[[str], list[Row]]) -> None:
        self.sites: dict[str, Site] = {}
        typed = {s for (s,) in q("site_types")}
        for s, o in q("site_orgs"):
            if s in typed and s in self._place_of:
                self.sites[s] = Site(s, o, self._place_of[s], self._name(s), sources=self.sources_of.get(s, []))
        for s, function in q("site_functions"):
            if s in self.sites and function in self._codes:
                self.sites[s].functions.append(self._codes[function])
        for site in self.sites.values():
            site.functions.sort()
        for s, p, v, _ in self._details:
            if s not in self.sites:
                continue
            if p == BBMB.status.value:
                self.sites[s].status = v
            else:
                self.sites[s].description = v
        for s, p, v in q("periods"):
            if s in self.sites:
                if p == SCHEMA.startDate.value:
                    self.sites[s].opened = v
                else:
                    self.sites[s].closed = v
        self.sites_of: dict[str, list[Site]] = defaultdict(list)
        for site in self.sites.values():
            self.sites_of[site.org].append(site)

    def _read_clusters(self, q: Callable[[str], list[Row]]) -> None:
        self.clusters: dict[str, Cluster] = {}
        for c, kind, place, operator in q("clusters"):
            self.clusters[c] = Cluster(c, kind, self._name(c), place, operator, sources=self.sources_of.get(c, []))
        for c, member in q("cluster_members"):
            self.clusters[c].members.append(member)

    @property
    def ties(self) -> dict[str, list[tuple[str, str]]]:
        """firm -> its ties as the build derived them (kg.rules.firm_ties): (kind, key), the key the
        place's ``code@municipality`` for a subsector-and-place tie, else the organisation or cluster."""
        return self._tie_reading[0]

    @property
    def tie_forms(self) -> dict[tuple[str, str], str]:
        """(kind, key) -> the tie's form as the build decided it (kg.rules.tie_form: "pairs" or "hub")."""
        return self._tie_reading[1]

    @cached_property
    def _tie_reading(self) -> tuple[dict[str, list[tuple[str, str]]], dict[tuple[str, str], str]]:
        """The ties, read when a view first asks for them: the clusters view does, the others not (a third of
        the catalogue's rows at 100,000 firms)."""
        with Answers(self.store, {name: QUERIES[name] for name in _WHEN_ASKED}, self._saved) as q:
            return self._read_ties(q.rows)

    @staticmethod
    def _read_ties(q: Callable[[str], Iterable[Row]]) -> tuple[dict[str, list[tuple[str, str]]],
                                                                dict[tuple[str, str], str]]:
        kinds = {words: kind for kind, words in TIE_KINDS.items()}
        tie_forms: dict[tuple[str, str], str] = {}
        # the few thousand ties, then the firms' links to them, joined here: one query joining the two took
        # half a minute at 100,000 firms (330,000 links), the two scans a second
        described: dict[str, tuple[tuple[str, str, str], tuple[str, str]]] = {}
        for iri, words, via, code, form in q("ties"):
            tie = (kinds[words], f"{code}@{via}" if code else via)
            described[iri] = ((words, via, code or ""), tie)
            if form:
                tie_forms[tie] = form
        # the links a row at a time, each firm's few in a list of its own (19 million at a million firms: held
        # as rows and sorted as one list, they took 8.6 GB and 98 s)
        links: dict[str, list[tuple[tuple[str, str, str], tuple[str, str]]]] = defaultdict(list)
        find = described.get
        for firm, tie in q("tie_links"):
            if (found := find(tie)) is not None:
                links[firm].append(found)
        # by firm, then kind, via, code (the order the ties are listed in)
        ties = {firm: [tie for _, tie in sorted(own)] for firm, own in sorted(links.items())}
        return ties, tie_forms

    # -- places: ancestry, Land, country (as the build derived them), region, coordinates
    def _places_derived(self, q: Callable[[str], list[Row]], region: str | None) -> None:
        within: dict[str, set[str]] = defaultdict(set)
        for p, w in q("within"):
            within[p].add(w)
        # nearest first: a place lies in fewer places than anything inside it
        self.ancestors = {iri: sorted(within.get(iri, {iri}) | {iri}, key=lambda a: (-len(within.get(a, ())), a))
                          for iri in self.places}
        self.land: dict[str, str | None] = dict.fromkeys(self.places)
        self.country: dict[str, str | None] = dict.fromkeys(self.places)
        self.land.update(q("land"))
        self.country.update(q("country"))
        self.municipality = {iri: next((a for a in self.ancestors[iri] if "municipality" in self.places[a].kinds), iri)
                             for iri in self.places}
        self.region = self._region(q, region)
        self.home_country = self.country.get(self.region) if self.region else None
        self._coordinates()

    def _region(self, q: Callable[[str], list[Row]], region: str | None) -> str | None:
        """The region asked for (it must be a bbmb:Region), else the build's choice (kg.rules.default_region;
        a graph without it: the same rule, applied to its operating sites)."""
        regions = sorted(p for p, place in self.places.items() if "region" in place.kinds)
        if region is not None and region not in regions:
            raise InvalidArgument(f"{region} is not a bbmb:Region of the data; choose from {', '.join(regions)}")
        if region is not None:
            return region
        derived = next((r for (r,) in q("default_region")), None)
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
        """(inside|germany|abroad|unknown, the Land or country IRI) of a place of control (kg.rules.control_class).

        Asked for every node of a view (hundreds of thousands of times) about a few dozen places: each place's
        answer is kept."""
        known = self._control_of_place.get(place)
        if known is None:
            if not place or place not in self.places or not self.region:
                known = (UNKNOWN, None)
            else:
                kind = control_class(place, self.region, self.ancestors, self.country)
                found = control_area(place, kind, self.land, self.country)
                known = (kind, found[0] if found else None)
            self._control_of_place[place] = known
        return known

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
        """The codes with their names in ``lang``, ``;``-separated (each combination's text kept: a few hundred
        of them, asked for every node)."""
        key = (tuple(codes), lang)
        label = self._subsector_labels.get(key)
        if label is None:
            label = self._subsector_labels[key] = "; ".join(
                f"{c} {self.subsectors.get(c, {}).get(lang, '')}".strip() for c in key[0])
        return label


def _catalog(store: Store, catalog: Catalog | None, region: str | None) -> Catalog:
    return catalog or Catalog(store, region)


def save_catalogue(store: Store, folder: str | Path) -> Path:
    """Save the answers of the catalogue's queries over ``store`` in the folder of the on-disk store that holds the
    same dataset (``kg build`` does, :func:`kg.views.answers.save_answers`); a :class:`Catalog` given that folder
    (``saved=``) reads them instead of asking the store."""
    return save_answers(store, QUERIES, folder)
