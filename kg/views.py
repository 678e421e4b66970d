"""RDF -> networkx: the documented projections of the graph that the pictures are drawn from.

Three views, each built from a handful of SPARQL queries over the whole store (never one
query a node), so that they stay fast at 100,000 firms:

``hq_view`` (a ``DiGraph``) -- the absence of headquarters in the region.
    Nodes: the region's *sites* (plants, service centres, offices; not the head-office
    entries made from the organisations table), their *firms*, the firms' *parent groups*
    up to the ultimate parent, and the *places* where those firms and groups have their
    headquarters.  Edges: site -> firm (``org:siteOf``), firm -> parent
    (``org:subOrganizationOf``, with the source's certainty), organisation -> place of its
    headquarters (``org:hasPrimarySite``).  Every site, firm and place is marked by where
    control sits (``control``): ``inside`` (in Berlin-Brandenburg), ``germany`` (elsewhere in
    Germany; ``control_area`` names the Land), ``abroad`` (``control_area`` names the country)
    or ``unknown``.  Firms run from headquarters in the region (their own, or a regional
    parent's) have ``local_hq = True`` and are drawn as stars.  Places get ``controlled_headcount``: the regional jobs run from
    there.

``clusters_view`` (a ``Graph``) -- firms tied together.
    Nodes: the firms with a site or their headquarters in the region.  An edge joins two firms
    that share at least one tie; ``weight`` is the number of shared ties, ``ties`` lists them.
    A tie is a subsector shared in the same municipality (a local industry cluster), the same
    holding or controlling group, or the same campus or technology park (as member, operator,
    or by a site in the park's place).  Peer groups (the "big four" lift makers) are market
    peers, not regional ties, and are left out.  A tie shared by more than ``CLIQUE_LIMIT``
    firms is drawn as a hub node (``type`` "tie") linked to each of them.

``full_view`` (a ``MultiDiGraph``) -- every typed node and relation.
    Every entity typed in a data graph (the ontology graph is left out) is a node; every
    triple between two such nodes is an edge keyed by its property (``org:hasSite``, ...).

Node attributes (present where the data has them; absent, never ``None``):

=====================  ==========================================================================
``label``              display name; ``label_de`` / ``label_en`` where the data has both languages
``type``               site, firm, group, place, cluster (full view: the class, e.g. ``bbmb:Firm``)
``subsector``          WZ 2008 code(s), ``;``-separated; ``subsector_label`` / ``..._label_de``
``land``               the Land (German federal state) a site, place or firm's site lies in
``place``              the place's label; ``lat`` / ``long`` its coordinates (WGS84)
``functions``          a site's functions (production, service, rnd, ...), ``;``-separated
``control``            inside | germany | abroad | unknown (:func:`kg.rules.control_class` of the derived
                       ``bbmb:controlPlace``); ``control_area`` the Land or country; ``control_place`` its
                       label; ``controlled_by`` the ultimate parent's label
``local_hq``           True for a firm run from the region (its own headquarters, or its parent's,
                       lies in it): the exception the brief's finding is about
``headcount``          the head-count every output uses (``bbmb:employees``, derived by the build from
                       the rules of :mod:`kg.rules`); ``headcount_note`` lists the sources' figures
``source``             the ids of the sources, ``;``-separated (``data/sources.csv``)
``iri``, ``shape``     the node's IRI (also its id); its vis-network shape (star: run from the region)
``color``, ``size``    the default colouring and size; ``color_subsector``, ``color_control``
``x``, ``y``           force layout, ``geo_x``, ``geo_y`` geographic layout, both with y pointing up
                       (north up, as Gephi and sigma.js read them; the page flips them) (region in the
                       centre, other places in their true direction at a compressed distance)
``viz``                colour, size and position for GEXF (dropped for GraphML); the position is the
                       geographic layout in the hq view (its story is where control sits), else the force layout
``facts``              the node's facts with their sources, for the HTML side panel (HTML only)
=====================  ==========================================================================

Edge attributes: ``relation`` (the RDF property as a CURIE), ``label``, ``source``, and
``certainty`` / ``weight`` / ``ties`` where they apply.

    >>> from kg.build import build
    >>> g = hq_view(build().store)                        # doctest: +SKIP
    >>> g.nodes["https://w3id.org/bbmb/id/org/zf"]["control_area"]   # doctest: +SKIP
    'Baden-Württemberg'
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable, Iterable, cast

import networkx as nx
from pyoxigraph import QuerySolutions, Store

from .namespaces import BBMB, ONTOLOGY_IRI, ORG, PREFIXES, RDF
from . import geo
from .rules import control_class, is_operating_site

#: Colours of the control classes (colour-blind safe, Okabe-Ito).
#: Colours of the places of control (Paul Tol's "muted" scheme, told apart under the common colour-vision
#: deficiencies): the region's own first, then one a Land or country by regional jobs; the rest dark grey.
CENTRE_PALETTE = ("#117733", "#CC6677", "#332288", "#DDCC77", "#88CCEE", "#882255", "#AA4499", "#999933", "#44AA99")
CENTRE_OTHER, CENTRE_UNKNOWN = "#555555", "#BBBBBB"
CONTROL_COLORS = {"inside": "#009E73", "germany": "#E69F00", "abroad": "#D55E00", "unknown": "#9E9E9E"}
CONTROL_LABELS = {"inside": "Control in the region", "germany": "Control elsewhere in Germany",
                  "abroad": "Control abroad", "unknown": "Control not known"}
#: Subsector and type colours: Okabe-Ito first, then Paul Tol's "muted" (both told apart under the common
#: colour-vision deficiencies); assigned by frequency, so the most common get the most distinct ones.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
           "#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499",
           "#6699CC", "#997700", "#EE99AA", "#004488", "#BB5566", "#000000")
#: How a line of the clusters view shows the kind of tie it stands for (colour, dashes, legend).
TIE_STYLES = {"holding": {"color": "#332288", "dashes": False, "label": "same holding or controlling group"},
              "campus": {"color": "#117733", "dashes": False, "label": "same campus"},
              "technology-park": {"color": "#AA4499", "dashes": False, "label": "same technology park"},
              "subsector-place": {"color": "#999999", "dashes": True, "label": "same subsector in the same town"}}
NEUTRAL = "#B0B0B0"
#: Shapes by node type (vis-network names).
SHAPES = {"site": "dot", "firm": "square", "group": "triangle", "place": "diamond", "cluster": "hexagon",
          "tie": "hexagon", "aggregate": "dot"}
#: Past this many nodes a force layout is not computed in Python (geographic or grid positions instead).
FORCE_LAYOUT_LIMIT = 2500

_PLACE_KINDS = {BBMB.Country.value: "country", BBMB.Land.value: "land", BBMB.Region.value: "region",
                BBMB.Municipality.value: "municipality", BBMB.District.value: "district"}
_ORG_KINDS = {BBMB.Firm.value: "firm", BBMB.ParentGroup.value: "group", BBMB.Holding.value: "holding",
              BBMB.Foundation.value: "foundation"}


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


def headcount_size(headcount: int | None) -> float:
    """Node size from a head-count: area grows with the head-count; no head-count, a small node.

    >>> headcount_size(None), headcount_size(100), headcount_size(3000)
    (8.0, 14.5, 34.8)
    """
    if not headcount:
        return 8.0
    return round(10 + 3.2 * math.sqrt(headcount / 50), 1)


# ---------------------------------------------------------------------------- the catalogue

def _rows(store: Store, query: str) -> list[dict[str, Any]]:
    """Rows of a SELECT over the union of the graphs, as dicts of lexical values (``None`` if unbound).

    Like :func:`kg.query.select` without the conversion to Python numbers: three times faster
    on the hundreds of thousands of rows of a 100,000-firm graph; the few numbers are converted
    where they are read.
    """
    solutions = cast(QuerySolutions, store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES))
    names = [v.value for v in solutions.variables]
    return [{n: (t.value if t is not None else None) for n, t in zip(names, s)} for s in solutions]


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

    The region is the ``bbmb:Region`` with the most sites in it, unless ``region`` (an IRI)
    names one.
    """

    def __init__(self, store: Store, region: str | None = None) -> None:
        self.store = store
        q: Callable[[str], list[dict[str, Any]]] = lambda text: _rows(store, text)
        self.places: dict[str, Place] = {}
        for r in q("SELECT ?p ?t WHERE { ?p a schema:Place , ?t }"):
            place = self.places.setdefault(r["p"], Place(r["p"]))
            if r["t"] in _PLACE_KINDS:
                place.kinds.add(_PLACE_KINDS[r["t"]])
        for r in q("SELECT ?p ?w WHERE { ?p a schema:Place ; schema:containedInPlace ?w }"):
            self.places[r["p"]].within.append(r["w"])
        for r in q("SELECT ?p ?lat ?long WHERE { ?p a schema:Place ; wgs:lat ?lat ; wgs:long ?long }"):
            self.places[r["p"]].lat, self.places[r["p"]].long = float(r["lat"]), float(r["long"])
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        for r in q("SELECT ?s ?l (LANG(?l) AS ?lang) WHERE { ?s rdfs:label|skos:prefLabel|dct:title ?l }"):
            self.labels[r["s"]].setdefault(r["lang"], r["l"])
        for iri, place in self.places.items():
            names = self.labels.get(iri, {})
            place.label_de, place.label_en = names.get("de", names.get("", "")), names.get("en", "")
        self.sources_of: dict[str, list[str]] = defaultdict(list)
        for r in q("SELECT ?s ?src WHERE { ?s prov:wasDerivedFrom ?src . ?src a bbmb:Source }"):
            self.sources_of[r["s"]].append(source_key(r["src"]))
        for values in self.sources_of.values():
            values.sort()
        self.sources: dict[str, dict[str, str]] = {}
        for r in q("SELECT ?src ?title ?url WHERE { ?src a bbmb:Source ; dct:title ?title "
                   "OPTIONAL { ?src schema:url ?url } }"):
            entry = {"title": r["title"]}
            if r["url"]:
                entry["url"] = r["url"]
            self.sources[source_key(r["src"])] = entry
        self._read_orgs(q)
        self._read_sites(q)
        self._read_clusters(q)
        self.subsectors: dict[str, dict[str, str]] = {}
        for r in q("SELECT DISTINCT ?c ?code WHERE { ?o org:classification ?c . ?c skos:notation ?code }"):
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
        for r in q("SELECT ?o ?t WHERE { ?o a org:Organization , ?t }"):
            org = self.orgs.setdefault(r["o"], Org(r["o"]))
            if r["t"] in _ORG_KINDS:
                org.kinds.add(_ORG_KINDS[r["t"]])
        for iri, org in self.orgs.items():
            names = self.labels.get(iri, {})
            org.name = names.get("", "") or names.get("de", "") or names.get("en", "") or iri
            org.sources = self.sources_of.get(iri, [])
        for r in q("SELECT ?rel ?o ?p ?c WHERE { ?rel a bbmb:ControlRelation ; bbmb:child ?o ; bbmb:parent ?p "
                   "OPTIONAL { ?rel bbmb:certainty ?c } }"):
            org = self.orgs[r["o"]]
            org.parent, org.parent_certainty = r["p"], r["c"] or ""
            org.parent_sources = self.sources_of.get(r["rel"], [])
        for r in q("SELECT ?o ?site ?place ?c WHERE { ?o org:hasPrimarySite ?site . "
                   "?site schema:containedInPlace ?place OPTIONAL { ?site bbmb:certainty ?c } } ORDER BY ?site"):
            org = self.orgs[r["o"]]
            if org.hq_place is None:
                org.hq_place, org.hq_certainty = r["place"], r["c"] or ""
                org.hq_sources = self.sources_of.get(r["site"], [])
        for r in q("SELECT ?o ?p ?v (LANG(?v) AS ?lang) WHERE { ?o a org:Organization ; "
                   "schema:description|bbmb:status ?v ; ?p ?v }"):
            if r["p"] == BBMB.status.value:
                self.orgs[r["o"]].status = r["v"]
            else:
                self.orgs[r["o"]].description[r["lang"] or "de"] = r["v"]
        for r in q("SELECT ?o ?code WHERE { ?o org:classification ?c . ?c skos:notation ?code } ORDER BY ?code"):
            self.orgs[r["o"]].codes.append(r["code"])
        for r in q("SELECT ?o ?c ?p ?b WHERE { ?o bbmb:controlledBy ?c "
                   "OPTIONAL { ?o bbmb:controlPlace ?p } OPTIONAL { ?o bbmb:controlBasis ?b } }"):
            if r["o"] in self.orgs:
                org = self.orgs[r["o"]]
                org.controller, org.control_place, org.control_basis = r["c"], r["p"], r["b"] or ""
        self.employees: dict[str, int] = {}
        self.employees_basis: dict[str, str] = {}
        for r in q("SELECT ?s ?n ?b WHERE { ?s bbmb:employees ?n OPTIONAL { ?s bbmb:employeesBasis ?b } }"):
            self.employees[r["s"]] = int(r["n"])
            self.employees_basis[r["s"]] = r["b"] or ""
        self.reading = next((r["r"] for r in q("SELECT ?r WHERE { ?g bbmb:reading ?r ; prov:wasGeneratedBy ?a }")),
                            None)
        self.headcounts: dict[str, list[Headcount]] = defaultdict(list)
        for r in q("SELECT ?s ?h ?v ?min ?max ?a ?y WHERE { ?s schema:numberOfEmployees ?h . "
                   "OPTIONAL { ?h schema:value ?v } OPTIONAL { ?h schema:minValue ?min } "
                   "OPTIONAL { ?h schema:maxValue ?max } OPTIONAL { ?h bbmb:approximation ?a } "
                   "OPTIONAL { ?h bbmb:referenceYear ?y } }"):
            year = int(str(r["y"])[:4]) if r["y"] else None
            value, low, high = (int(r[k]) if r[k] is not None else None for k in ("v", "min", "max"))
            self.headcounts[r["s"]].append(Headcount(value, low, high, r["a"] or "exact", year,
                                                     self.sources_of.get(r["h"], [])))

    def _read_sites(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        self.sites: dict[str, Site] = {}
        for r in q("SELECT ?s ?o ?p WHERE { ?s a org:Site ; org:siteOf ?o ; schema:containedInPlace ?p }"):
            names = self.labels.get(r["s"], {})
            self.sites[r["s"]] = Site(r["s"], r["o"], r["p"], names.get("", "") or names.get("de", r["s"]),
                                      sources=self.sources_of.get(r["s"], []))
        for r in q("SELECT ?s ?n WHERE { ?s a org:Site ; bbmb:siteFunction ?f . ?f skos:notation ?n } ORDER BY ?n"):
            self.sites[r["s"]].functions.append(r["n"])
        for r in q("SELECT ?s ?p ?v WHERE { ?s a org:Site ; schema:description|bbmb:status ?v ; ?p ?v }"):
            if r["p"] == BBMB.status.value:
                self.sites[r["s"]].status = r["v"]
            else:
                self.sites[r["s"]].description = r["v"]
        self.sites_of: dict[str, list[Site]] = defaultdict(list)
        for site in self.sites.values():
            self.sites_of[site.org].append(site)

    def _read_clusters(self, q: Callable[[str], list[dict[str, Any]]]) -> None:
        self.clusters: dict[str, Cluster] = {}
        for r in q("SELECT ?c ?kind ?place ?op WHERE { ?c a bbmb:Cluster , ?k . ?k skos:notation ?kind "
                   "OPTIONAL { ?c schema:containedInPlace ?place } OPTIONAL { ?c bbmb:operatedBy ?op } }"):
            names = self.labels.get(r["c"], {})
            self.clusters[r["c"]] = Cluster(r["c"], r["kind"], names.get("", "") or names.get("de", r["c"]),
                                            r["place"], r["op"], sources=self.sources_of.get(r["c"], []))
        for r in q("SELECT ?c ?m WHERE { ?c a bbmb:Cluster ; bbmb:hasMember ?m } ORDER BY ?m"):
            self.clusters[r["c"]].members.append(r["m"])

    # -- places: ancestry, Land, country (as the build derived them), region, coordinates
    def _places_derived(self, q: Callable[[str], list[dict[str, Any]]], region: str | None) -> None:
        within: dict[str, set[str]] = defaultdict(set)
        for r in q("SELECT ?p ?w WHERE { ?p bbmb:within ?w }"):
            within[r["p"]].add(r["w"])
        # nearest first: a place lies in fewer places than anything inside it
        self.ancestors = {iri: sorted(within.get(iri, {iri}) | {iri}, key=lambda a: (-len(within.get(a, ())), a))
                          for iri in self.places}
        self.land: dict[str, str | None] = dict.fromkeys(self.places)
        self.country: dict[str, str | None] = dict.fromkeys(self.places)
        for r in q("SELECT ?p ?l WHERE { ?p bbmb:inLand ?l }"):
            self.land[r["p"]] = r["l"]
        for r in q("SELECT ?p ?c WHERE { ?p bbmb:inCountry ?c }"):
            self.country[r["p"]] = r["c"]
        self.municipality = {iri: next((a for a in self.ancestors[iri] if "municipality" in self.places[a].kinds), iri)
                             for iri in self.places}
        if region is not None and "region" not in self.places.get(region, Place(region)).kinds:
            regions = sorted(p for p, place in self.places.items() if "region" in place.kinds)
            raise ValueError(f"{region} is not a bbmb:Region of the data; choose from {', '.join(regions)}")
        if region is None:
            counts = Counter(a for s in self.sites.values() for a in self.ancestors.get(s.place, ())
                             if "region" in self.places[a].kinds)
            region = counts.most_common(1)[0][0] if counts else None
        self.region = region
        self.home_country = self.country.get(region) if region else None
        # coordinates: own, else the mean of the places within, else the nearest ancestor's
        children: dict[str, list[str]] = defaultdict(list)
        for iri in self.places:
            for a in self.ancestors[iri][1:]:
                children[a].append(iri)
        self.coords: dict[str, tuple[float, float]] = {}
        for iri, place in self.places.items():
            if place.lat is not None and place.long is not None:
                self.coords[iri] = (place.lat, place.long)
        # a Land or country without coordinates of its own: a point well inside its outline (and
        # outside the Länder it encloses: Brandenburg's is not in Berlin)
        for iri in self.places:
            point = geo.label_point(place_key(iri)) if iri not in self.coords else None
            if point:
                self.coords[iri] = (point[1], point[0])
        for iri in self.places:
            if iri not in self.coords:
                inner = [self.coords[c] for c in children[iri] if c in self.coords]
                if inner:
                    self.coords[iri] = (sum(p[0] for p in inner) / len(inner), sum(p[1] for p in inner) / len(inner))
        for iri in self.places:
            if iri not in self.coords:
                found = next((self.coords[a] for a in self.ancestors[iri][1:] if a in self.coords), None)
                if found:
                    self.coords[iri] = found

    def in_region(self, place: str | None) -> bool:
        return bool(place and self.region and self.region in self.ancestors.get(place, ()))

    def control_of_place(self, place: str | None) -> tuple[str, str | None]:
        """(inside|germany|abroad|unknown, the Land or country IRI) of a place of control (kg.rules.control_class)."""
        if not place or place not in self.places or not self.region:
            return "unknown", None
        kind = control_class(place, self.region, self.ancestors, self.country)
        area = self.country.get(place) if kind == "abroad" else self.land.get(place) if kind != "unknown" else None
        return kind, area

    def chain(self, org: str) -> list[str]:
        """The organisation, its parent, the parent's parent ... up to the ultimate parent."""
        out = [org]
        while (parent := self.orgs[out[-1]].parent) and parent in self.orgs and parent not in out:
            out.append(parent)
        return out

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


# ---------------------------------------------------------------------------- node attributes

def _fact(facts: list[dict[str, Any]], key: str, value: Any, sources: Iterable[str] = ()) -> None:
    if value not in (None, "", [], ()):
        facts.append({"k": key, "v": str(value), "src": list(sources)})


def _place_attrs(cat: Catalog, place: str | None) -> dict[str, Any]:
    if not place or place not in cat.places:
        return {}
    attrs: dict[str, Any] = {"place": cat.places[place].label}
    land = cat.land.get(place)
    if land:
        attrs["land"] = cat.places[land].label
    if place in cat.coords:
        attrs["lat"], attrs["long"] = cat.coords[place]
    return attrs


def _subsector_attrs(cat: Catalog, codes: list[str]) -> dict[str, Any]:
    if not codes:
        return {"color_subsector": NEUTRAL}
    return {"subsector": ";".join(codes), "subsector_label": cat.subsector_label(codes, "en"),
            "subsector_label_de": cat.subsector_label(codes, "de"),
            "color_subsector": cat.subsector_colors.get(codes[0], NEUTRAL)}


def _control_attrs(cat: Catalog, org: str) -> dict[str, Any]:
    kind, area, controller, place = cat.control(org)
    attrs: dict[str, Any] = {"control": kind, "color_control": CONTROL_COLORS[kind]}
    if area:
        attrs["control_area"] = cat.places[area].label_en or cat.places[area].label
    if controller != org or place:
        attrs["controlled_by"] = cat.orgs[controller].name
    if place:
        attrs["control_place"] = cat.places[place].label
    return attrs


def _headcount_attrs(cat: Catalog, iri: str, facts: list[dict[str, Any]]) -> dict[str, Any]:
    counts = cat.headcounts.get(iri, [])
    for h in counts:
        _fact(facts, "head-count", h, h.sources)
    number = cat.headcount(iri)
    if number is None:
        return {}
    # the one figure every output uses; the sources' own figures beside it, never a second choice
    basis = cat.employees_basis.get(iri, "")
    _fact(facts, "head-count used", f"{number:,}" + (f" ({basis}; reading: {cat.reading})" if basis else ""))
    attrs: dict[str, Any] = {"headcount": number}
    if len(counts) > 1 or basis != "own figure":
        attrs["headcount_note"] = "; ".join([f"{h} ({', '.join(h.sources)})" for h in counts]
                                            + ([basis] if basis != "own figure" else []))
    return attrs


def _org_node(cat: Catalog, iri: str, node_type: str) -> dict[str, Any]:
    org = cat.orgs[iri]
    facts: list[dict[str, Any]] = []
    _fact(facts, "name", org.name, org.sources)
    _fact(facts, "kind", ", ".join(sorted(org.kinds)), org.sources)
    for lang in ("de", "en"):
        _fact(facts, f"description ({lang})", org.description.get(lang), org.sources)
    _fact(facts, "status", org.status, org.sources)
    _fact(facts, "subsector", cat.subsector_label(org.codes), org.sources)
    if org.parent:
        _fact(facts, "parent", f"{cat.orgs[org.parent].name} ({org.parent_certainty or 'certainty not given'})",
              org.parent_sources)
    if org.hq_place:
        _fact(facts, "headquarters", f"{cat.places[org.hq_place].label}"
              + (f" ({org.hq_certainty})" if org.hq_certainty else ""), org.hq_sources)
    attrs: dict[str, Any] = {"type": node_type, "label": org.name, "iri": iri}
    attrs.update(_subsector_attrs(cat, org.codes))
    regional = [s for s in cat.sites_of.get(iri, ()) if s in cat.regional_sites_set]
    lands = sorted({cat.places[land].label for s in regional if (land := cat.land.get(s.place))})
    if lands:
        attrs["land"] = ";".join(lands)
    functions = sorted({f for s in regional for f in s.functions})
    if functions:
        attrs["functions"] = ";".join(functions)
    elif org.hq_place:
        attrs.update({k: v for k, v in _place_attrs(cat, org.hq_place).items() if k == "land"})
    if org.hq_place:
        attrs["hq_place"] = cat.places[org.hq_place].label
    attrs.update(_control_attrs(cat, iri))
    _fact(facts, "control", f"{attrs['control']}" + (f": {attrs['control_area']}" if "control_area" in attrs else "")
          + (f" (run by {attrs['controlled_by']})" if "controlled_by" in attrs else ""), org.parent_sources or org.hq_sources)
    attrs["local_hq"] = attrs["control"] == "inside"
    attrs.update(_headcount_attrs(cat, iri, facts))
    attrs["source"] = ";".join(org.sources)
    attrs["facts"] = facts
    return attrs


def _site_node(cat: Catalog, site: Site) -> dict[str, Any]:
    facts: list[dict[str, Any]] = []
    _fact(facts, "name", site.label, site.sources)
    _fact(facts, "firm", cat.orgs[site.org].name, site.sources)
    _fact(facts, "place", cat.places[site.place].label, site.sources)
    _fact(facts, "functions", ", ".join(site.functions), site.sources)
    _fact(facts, "status", site.status, site.sources)
    _fact(facts, "description (de)", site.description, site.sources)
    attrs: dict[str, Any] = {"type": "site", "label": site.label, "iri": site.iri, "firm": cat.orgs[site.org].name}
    attrs.update(_place_attrs(cat, site.place))
    if site.functions:
        attrs["functions"] = ";".join(site.functions)
    attrs.update(_subsector_attrs(cat, cat.orgs[site.org].codes))
    attrs.update(_control_attrs(cat, site.org))
    attrs.update(_headcount_attrs(cat, site.iri, facts))
    attrs["source"] = ";".join(site.sources)
    attrs["facts"] = facts
    return attrs


def _place_node(cat: Catalog, iri: str) -> dict[str, Any]:
    place = cat.places[iri]
    kind, area = cat.control_of_place(iri)
    attrs: dict[str, Any] = {"type": "place", "label": place.label, "iri": iri, "label_de": place.label_de,
                             "label_en": place.label_en or place.label_de, "place": place.label,
                             "control": kind, "color_control": CONTROL_COLORS[kind], "color_subsector": NEUTRAL}
    if area:
        attrs["control_area"] = cat.places[area].label_en or cat.places[area].label
    attrs.update({k: v for k, v in _place_attrs(cat, iri).items() if k != "place"})
    sources = cat.sources_of.get(iri, [])
    facts: list[dict[str, Any]] = []
    _fact(facts, "name (de)", place.label_de, sources)
    _fact(facts, "name (en)", place.label_en, sources)
    _fact(facts, "kind", ", ".join(sorted(place.kinds)), sources)
    if iri in cat.coords:
        _fact(facts, "coordinates", "%.4f, %.4f" % cat.coords[iri], sources)
    attrs["source"] = ";".join(sources)
    attrs["facts"] = facts
    return attrs


# ---------------------------------------------------------------------------- views

def _catalog(store: Store, catalog: Catalog | None, region: str | None) -> Catalog:
    return catalog or Catalog(store, region)


def control_headline(store: Store, region: str) -> dict[str, Any]:
    """The headline figures of the hq page: the rows of the saved queries ``control-summary`` and
    ``decision-centres`` for the region (an IRI), as ``kg query`` prints them (same query, same store).

    ``areas``: per area (the region first, then its Länder) the share of known jobs and of firms run
    from outside, with its range, the population counted, the facts it hinges on and the brief's total;
    ``centres``: the regional jobs by Land or country of control.
    """
    from pyoxigraph import NamedNode

    from .query import run

    params = {"region": NamedNode(region)}
    areas = run("control-summary", store, params).records()
    centres = run("decision-centres", store, params).records()
    return {"areas": [{k: (str(v) if v is not None else "") for k, v in row.items()} for row in areas],
            "centres": [{"label": r["areaLabel"], "kind": r["areaKind"], "firms": r["firms"],
                         "jobs": r["employees"], "low": r["employeesMin"], "high": r["employeesMax"]}
                        for r in centres]}


def hq_view(store: Store, *, region: str | None = None, catalog: Catalog | None = None) -> nx.DiGraph[str]:
    """Regional sites -> firms -> parent groups -> headquarters' places, marked by where control sits.

    See the module docstring for the attributes.  ``region`` is the IRI of a ``bbmb:Region``
    (default: the one with the most sites).
    """
    cat = _catalog(store, catalog, region)
    g: nx.DiGraph[str] = nx.DiGraph(name="hq", title="Headquarters absence: who runs the region's sites, and from where",
                   subtitle="Every plant, service centre and office of the brief's named firms in the region, linked to "
                            "the firm that runs it, its parent groups and the place they are run from; colour: "
                            "where control sits, line width: the regional jobs run along it.",
                   color_by="centre", viz_layout="geo", edge_legend="→ site of, subsidiary of, headquartered in; dashed: "
                                                   "likely, uncertain or not given")
    orgs: set[str] = set()
    for site in sorted(cat.regional_sites_set, key=lambda s: s.iri):
        g.add_node(site.iri, **_site_node(cat, site))
        g.add_edge(site.iri, site.org, relation=curie(ORG.siteOf.value), label="site of",
                   source=";".join(site.sources))
        orgs.update(cat.chain(site.org))
    for iri in sorted(orgs):
        org = cat.orgs[iri]
        is_firm = "firm" in org.kinds and any(s in cat.regional_sites_set for s in cat.sites_of.get(iri, ()))
        g.add_node(iri, **_org_node(cat, iri, "firm" if is_firm else "group"))
        if org.parent and org.parent in cat.orgs:
            g.add_edge(iri, org.parent, relation=curie(ORG.subOrganizationOf.value), label="subsidiary of",
                       certainty=org.parent_certainty or "not given", source=";".join(org.parent_sources))
        if org.hq_place:
            if org.hq_place not in g:
                g.add_node(org.hq_place, **_place_node(cat, org.hq_place))
            g.add_edge(iri, org.hq_place, relation=curie(ORG.hasPrimarySite.value), label="headquartered in",
                       certainty=org.hq_certainty or "not given", source=";".join(org.hq_sources))
    # the regional jobs each headquarters' place runs
    controlled: dict[str, list[int]] = defaultdict(list)
    for iri, data in g.nodes(data=True):
        if data["type"] == "firm":
            place = cat.control(iri)[3]
            if place is not None and place in g:
                controlled[place].append(data.get("headcount", 0))
    for place, numbers in controlled.items():
        g.nodes[place]["controlled_firms"] = len(numbers)
        if sum(numbers):
            g.nodes[place]["controlled_headcount"] = sum(numbers)
        g.nodes[place]["facts"].append({"k": "regional firms run from here",
                                        "v": f"{len(numbers)} ({sum(numbers):,} staff known)", "src": []})
    for iri, data in g.nodes(data=True):
        if data["type"] == "firm" and data.get("local_hq"):
            data["shape"] = "star"
    _colour_by_centre(g)
    _flows(g, cat)
    if cat.region:
        g.graph["headline"] = control_headline(store, cat.region)
    g.graph["reading"] = cat.reading or ""
    _finish(g, cat, sizes=lambda d: d.get("headcount") or d.get("controlled_headcount"))
    return g


def _colour_by_centre(g: nx.DiGraph[str]) -> None:
    """Colour every node by the place its control sits in: the region's own, each Land or country of
    control its own colour (ranked by the regional jobs run from there), or not known; the place
    nodes carry the second channel (a diamond in the region's country, a hexagon abroad)."""
    jobs: Counter[str] = Counter()
    for _, d in g.nodes(data=True):
        if d["type"] == "firm" and d.get("control") in ("germany", "abroad") and d.get("control_area"):
            jobs[d["control_area"]] += d.get("headcount") or 0
    ranked = sorted(jobs, key=lambda a: (-jobs[a], a))
    colours = {a: CENTRE_PALETTE[i + 1] if i + 1 < len(CENTRE_PALETTE) else CENTRE_OTHER for i, a in enumerate(ranked)}
    for _, d in g.nodes(data=True):
        control = d.get("control")
        if control == "inside":
            d["centre"], d["color_centre"] = "inside", CENTRE_PALETTE[0]
        elif control in ("germany", "abroad") and d.get("control_area"):
            d["centre"] = d["control_area"]
            d["color_centre"] = colours.get(d["control_area"], CENTRE_OTHER)
        elif control:
            d["centre"], d["color_centre"] = "unknown", CENTRE_UNKNOWN
        if d["type"] == "place" and control == "abroad":
            d["shape"] = "hexagon"
    g.graph["centres"] = [{"key": "inside", "label": "run from the region", "color": CENTRE_PALETTE[0]}] + [
        {"key": a, "label": a, "color": colours[a]} for a in ranked] + [
        {"key": "unknown", "label": "place of control not known", "color": CENTRE_UNKNOWN}]


def _flows(g: nx.DiGraph[str], cat: Catalog) -> None:
    """The regional jobs each edge of control carries (firm -> parent -> ... -> place of control),
    for the line widths: control drawn as flows."""
    for firm, d in g.nodes(data=True):
        if d["type"] != "firm" or not d.get("headcount"):
            continue
        chain = cat.chain(firm)
        for a, b in zip(chain, chain[1:]):
            if g.has_edge(a, b):
                g.edges[a, b]["jobs"] = g.edges[a, b].get("jobs", 0) + d["headcount"]
        place = cat.orgs[firm].control_place
        holder = next((o for o in reversed(chain) if cat.orgs[o].hq_place == place), None)
        if holder and place and g.has_edge(holder, place):
            g.edges[holder, place]["jobs"] = g.edges[holder, place].get("jobs", 0) + d["headcount"]


def _ties(cat: Catalog, firms: list[str]) -> dict[str, dict[tuple[str, str], list[str]]]:
    """firm -> {(tie kind, tie key): sources} for every tie the firm has."""
    firm_set = set(firms)
    parents = {cat.orgs[f].parent for f in firms}
    ties: dict[str, dict[tuple[str, str], list[str]]] = {f: {} for f in firms}
    for firm in firms:
        org = cat.orgs[firm]
        for site in cat.sites_of.get(firm, ()):
            if site in cat.regional_sites_set:
                town = cat.municipality.get(site.place, site.place)
                for code in org.codes:
                    ties[firm].setdefault(("subsector-place", f"{code}@{town}"), site.sources)
        chain = cat.chain(firm)
        for controller in chain[1:]:
            ties[firm].setdefault(("holding", controller), org.parent_sources)
        if len(chain) == 1 and firm in parents:
            ties[firm].setdefault(("holding", firm), org.sources)
    for cluster in cat.clusters.values():
        if cluster.kind == "peer-group":
            continue
        kind = "holding" if cluster.kind == "holding" else cluster.kind
        key = cluster.operator if kind == "holding" and cluster.operator else cluster.iri
        members = set(cluster.members) | ({cluster.operator} if cluster.operator else set())
        if kind != "holding" and cluster.place:
            members |= {s.org for s in cat.regional_sites_set
                        if cluster.place in cat.ancestors.get(s.place, ())}
        for m in members & firm_set:
            ties[m].setdefault((kind, key), cluster.sources)
    return ties


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


def _isolated_apart(g: nx.Graph[str]) -> None:
    """Firms without a tie, in a grid beside the force layout (they would drift around it)."""
    alone = sorted((n for n in g if g.degree(n) == 0), key=lambda n: str(g.nodes[n].get("label", n)))
    placed = [d for n, d in g.nodes(data=True) if g.degree(n)]
    if not alone or not placed:
        return
    right = max(d["x"] for d in placed) + 150
    top = max(d["y"] for d in placed)
    columns = max(1, int(math.sqrt(len(alone))))
    for i, n in enumerate(alone):
        d = g.nodes[n]
        d["x"], d["y"] = right + (i % columns) * 170.0, top - (i // columns) * 60.0
        d["isolated"] = True
        d["viz"]["position"] = {"x": d["x"], "y": d["y"], "z": 0.0}
    g.graph["isolated_label"] = f"{len(alone)} firms without a tie"


#: Class CURIEs in order of preference for a node's ``type`` in the full view.
_TYPE_ORDER = ("bbmb:Firm", "bbmb:Holding", "bbmb:Foundation", "bbmb:ParentGroup", "org:Site",
               "bbmb:Country", "bbmb:Land", "bbmb:Region", "bbmb:Municipality", "bbmb:District",
               "bbmb:HoldingCluster", "bbmb:Campus", "bbmb:TechnologyPark", "bbmb:PeerGroup",
               "bbmb:ControlRelation", "schema:QuantitativeValue", "bbmb:Event", "bbmb:ProductionFocus",
               "qb:Observation", "qb:DataSet", "bbmb:QualityFlag", "bbmb:Source", "skos:Concept",
               "skos:ConceptScheme", "geo:Geometry")
TYPE_COLORS = {t: PALETTE[i] if i < len(PALETTE) else NEUTRAL for i, t in enumerate(_TYPE_ORDER)}


def full_view(store: Store, *, region: str | None = None, catalog: Catalog | None = None) -> nx.MultiDiGraph[str]:
    """Every entity typed in a data graph, and every relation between two of them (keyed by property)."""
    cat = _catalog(store, catalog, region)
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph(name="full", title="The whole graph: every typed node and relation", color_by="type",
                        edge_legend="→ an RDF property (click an edge for its name)")
    onto = f"<{ONTOLOGY_IRI}>"
    types: dict[str, set[str]] = defaultdict(set)
    for sol in cast(QuerySolutions,
                    store.query(f"SELECT ?s ?t WHERE {{ GRAPH ?g {{ ?s a ?t }} FILTER(?g != {onto} && isIRI(?s)) }}")):
        types[sol["s"].value].add(curie(sol["t"].value))
    order = {t: i for i, t in enumerate(_TYPE_ORDER)}
    for iri in sorted(types):
        kinds = types[iri]
        main = min(kinds, key=lambda t: (order.get(t, len(order)), t))
        attrs: dict[str, Any] = {"type": main, "types": ";".join(sorted(kinds)), "label": cat.label(iri), "iri": iri,
                                 "color_type": TYPE_COLORS.get(main, NEUTRAL)}
        names = cat.labels.get(iri, {})
        if "de" in names:
            attrs["label_de"] = names["de"]
        if "en" in names:
            attrs["label_en"] = names["en"]
        if iri in cat.orgs:
            attrs.update({k: v for k, v in _org_node(cat, iri, "firm").items() if k not in ("type", "label")})
        elif iri in cat.sites:
            attrs.update({k: v for k, v in _site_node(cat, cat.sites[iri]).items() if k not in ("type", "label")})
        elif iri in cat.places:
            attrs.update({k: v for k, v in _place_node(cat, iri).items() if k not in ("type", "label")})
        else:
            sources = cat.sources_of.get(iri, [])
            attrs["source"] = ";".join(sources)
            attrs["facts"] = [{"k": "type", "v": attrs["types"], "src": sources}]
        g.add_node(iri, **attrs)
    query = (f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {onto} && isIRI(?o) && ?p != rdf:type) }}")
    for sol in cast(QuerySolutions, store.query(query, prefixes={"rdf": str(RDF)})):
        s, o = sol["s"].value, sol["o"].value
        if s in types and o in types:
            p = curie(sol["p"].value)
            g.add_edge(s, o, key=p, relation=p, label=p.split(":", 1)[-1])
    _finish(g, cat, sizes=lambda d: d.get("headcount"))
    return g


VIEWS: dict[str, Callable[..., nx.Graph[str]]] = {"hq": hq_view, "clusters": clusters_view, "full": full_view}


def build_views(store: Store, names: Iterable[str] = VIEWS, region: str | None = None) -> dict[str, nx.Graph[str]]:
    """Several views from one reading of the store."""
    cat = Catalog(store, region)
    out = {}
    for name in names:
        if name not in VIEWS:
            raise ValueError(f"unknown view {name!r}; choose from {', '.join(VIEWS)}")
        out[name] = VIEWS[name](store, catalog=cat)
    return out


# ---------------------------------------------------------------------------- colours, sizes, layouts

def _finish(g: nx.Graph[str], cat: Catalog, sizes: Callable[[dict[str, Any]], int | None]) -> None:
    """Default colour, shape, size, both layouts and the GEXF ``viz`` of every node."""
    color_by = g.graph["color_by"]
    for _, d in g.nodes(data=True):
        d["color"] = d.get(f"color_{color_by}", NEUTRAL)
        d["shape"] = d.get("shape") or SHAPES.get(d["type"], "dot")
        d["size"] = headcount_size(sizes(d))
    geo = geographic_layout(g, cat)
    force = force_layout(g, geo)
    project = _Projection(cat)
    for n, d in g.nodes(data=True):  # how far a place outside the region is: the map compresses it
        if d["type"] == "place" and n in cat.coords and not cat.in_region(n):
            d["distance_km"] = round(project.distance_km(cat.coords[n]))
    on_map = g.graph.get("viz_layout") == "geo"
    for n, d in g.nodes(data=True):
        # stored with y pointing up (north up), as Gephi and sigma.js read positions; the layouts
        # work in screen coordinates (y down), and the page turns them back
        d["x"], d["y"] = force[n][0], -force[n][1]
        d["geo_x"], d["geo_y"] = geo[n][0], -geo[n][1]
        x, y = (d["geo_x"], d["geo_y"]) if on_map else (d["x"], d["y"])
        d["viz"] = {"color": _rgb(d["color"]), "size": d["size"], "position": {"x": x, "y": y, "z": 0.0}}
    g.graph["sources"] = {k: cat.sources[k] for k in sorted({s for _, d in g.nodes(data=True)
                                                             for f in d.get("facts", []) for s in f["src"]}
                                                            | {s for *_, d in g.edges(data=True)
                                                               for s in d.get("source", "").split(";") if s})
                          if k in cat.sources}
    g.graph["legend"] = legend(g, cat)
    g.graph["areas"] = region_areas(cat)


def _rgb(color: str) -> dict[str, Any]:
    return {"r": int(color[1:3], 16), "g": int(color[3:5], 16), "b": int(color[5:7], 16), "a": 1.0}


def legend(g: nx.Graph[str], cat: Catalog) -> dict[str, list[dict[str, str]]]:
    """Colour keys of the graph, per colouring (only the values that occur)."""
    out: dict[str, list[dict[str, str]]] = {}
    if g.graph.get("centres"):
        out["centre"] = g.graph["centres"]
    controls = Counter(d.get("control") for _, d in g.nodes(data=True) if d.get("control"))
    if controls:
        out["control"] = [{"key": k, "label": CONTROL_LABELS[k], "color": c}
                          for k, c in CONTROL_COLORS.items() if controls.get(k)]
    codes = Counter(d["subsector"].split(";")[0] for _, d in g.nodes(data=True) if d.get("subsector"))
    if codes:
        out["subsector"] = [{"key": c, "label": f"{c} {cat.subsectors.get(c, {}).get('en', '')}",
                             "color": cat.subsector_colors.get(c, NEUTRAL)} for c in sorted(codes)]
        unclassified = sum(1 for _, d in g.nodes(data=True) if d["type"] in ("site", "firm") and not d.get("subsector"))
        if unclassified:
            out["subsector"].append({"key": "", "label": "no subsector in the data",
                                     "color": NEUTRAL})
    types = Counter(d["type"] for _, d in g.nodes(data=True) if d.get("color_type"))
    if types:
        out["type"] = [{"key": t, "label": t, "color": TYPE_COLORS.get(t, NEUTRAL)}
                       for t, n in sorted(types.items(), key=lambda kv: kv[0])]
    return out


class _Projection:
    """The map: the region by its coordinates, about 10 px a km with its dense centre (Berlin)
    enlarged by a fisheye; everything outside the region in its true direction from the region's
    centre at a log-compressed distance, on rings around it, so that Farmington and Friedrichshafen
    fit on one screen with Berlin. A Land or country outside the region keeps its true shape, drawn
    small around the compressed position of its centre, with its places inside it."""

    #: An outside Land's or country's drawing is at most this many px across.
    AWAY_SIZE = 120.0

    def __init__(self, cat: Catalog) -> None:
        inside = [cat.coords[p] for p in cat.places if p in cat.coords and cat.in_region(p)]
        inside = inside or list(cat.coords.values()) or [(0.0, 0.0)]
        # centred where the region's sites are (weighted by sites: the fisheye enlarges that place)
        sites = [cat.coords[s.place] for s in cat.regional_sites_set if s.place in cat.coords] or inside
        self.lat0 = sum(p[0] for p in sites) / len(sites)
        self.lon0 = sum(p[1] for p in sites) / len(sites)
        self.k = 1100.0  # px per degree of latitude (about 10 px a km)
        self.cos0 = math.cos(math.radians(self.lat0))
        self.radius = max((math.hypot(*self.local(p)) for p in inside), default=100.0) + 120
        self.cat = cat
        self._away: dict[str, tuple[tuple[float, float], tuple[float, float], float]] = {}

    def local(self, p: tuple[float, float]) -> tuple[float, float]:
        """Equirectangular, then a fisheye (distance from the centre to the power 0.5) that
        enlarges the dense centre -- Berlin -- and keeps every direction true."""
        x, y = (p[1] - self.lon0) * self.cos0 * self.k, -(p[0] - self.lat0) * self.k
        r = math.hypot(x, y)
        if r == 0:
            return 0.0, 0.0
        scale = 400 * (r / 400) ** 0.5 / r
        return x * scale, y * scale

    def far(self, p: tuple[float, float]) -> tuple[float, float]:
        """A point outside the region: its true bearing, a log-compressed distance."""
        lat, lon = p
        phi1, phi2, dl = math.radians(self.lat0), math.radians(lat), math.radians(lon - self.lon0)
        bearing = math.atan2(math.sin(dl) * math.cos(phi2),
                             math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dl))
        r = self.radius + 150 + 600 * math.log10(1 + self.distance_km(p) / 100)
        return r * math.sin(bearing), -r * math.cos(bearing)

    def distance_km(self, p: tuple[float, float]) -> float:
        """Great-circle distance from the map's centre."""
        phi1, phi2, dl = math.radians(self.lat0), math.radians(p[0]), math.radians(p[1] - self.lon0)
        return 6371 * math.acos(max(-1.0, min(1.0, math.sin(phi1) * math.sin(phi2)
                                               + math.cos(phi1) * math.cos(phi2) * math.cos(dl))))

    def away_frame(self, area: str) -> tuple[tuple[float, float], tuple[float, float], float] | None:
        """(centre lat/long, its position on the map, px per degree) of an outside Land or country."""
        if not self._away:
            self._place_frames()
        if area not in self._away:
            frame = self._frame(area)
            if frame is None:
                return None
            self._away[area] = frame
        return self._away[area]

    def _frame(self, area: str) -> tuple[tuple[float, float], tuple[float, float], float] | None:
        rings = geo.rings_of(place_key(area))
        centre = self.cat.coords.get(area)
        if not rings or centre is None:
            return None
        xs = [q[0] for r in rings for q in r]
        ys = [q[1] for r in rings for q in r]
        cos = math.cos(math.radians(centre[0]))
        extent = max((max(xs) - min(xs)) * cos, max(ys) - min(ys), 1e-6)
        return centre, self.far(centre), min(30.0, self.AWAY_SIZE / extent)

    def _place_frames(self) -> None:
        """Every Land and country where control sits, pushed apart where their drawings would overlap
        (Switzerland beside Baden-Württemberg), keeping each outside the region's ring."""
        areas = sorted({area for org in self.cat.orgs.values()
                        for kind, area in [self.cat.control_of_place(org.control_place)]
                        if kind in ("germany", "abroad") and area})
        frames = {a: f for a in areas if (f := self._frame(a))}
        pos = {a: list(f[1]) for a, f in frames.items()}
        gap = self.AWAY_SIZE * 1.7  # room for the outlines and their names
        for _ in range(60):
            moved = False
            for a, b in combinations(sorted(pos), 2):
                (ax, ay), (bx, by) = pos[a], pos[b]
                d = math.hypot(bx - ax, by - ay)
                if d < gap:
                    ux, uy = ((bx - ax) / d, (by - ay) / d) if d > 1e-9 else (1.0, 0.0)
                    push = (gap - d) / 2
                    pos[a] = [ax - ux * push, ay - uy * push]
                    pos[b] = [bx + ux * push, by + uy * push]
                    moved = True
            for a in pos:  # never into the region's ring
                r = math.hypot(*pos[a])
                if r < self.radius + 100:
                    pos[a] = [pos[a][0] * (self.radius + 100) / r, pos[a][1] * (self.radius + 100) / r]
            if not moved:
                break
        self._away = {a: (f[0], (pos[a][0], pos[a][1]), f[2]) for a, f in frames.items()}

    def __call__(self, p: tuple[float, float], inside: bool, area: str | None = None) -> tuple[float, float]:
        if inside:
            return self.local(p)
        frame = self.away_frame(area) if area else None
        if frame is None:
            return self.far(p)
        (lat0, lon0), (cx, cy), k = frame
        return cx + (p[1] - lon0) * math.cos(math.radians(lat0)) * k, cy - (p[0] - lat0) * k

    def area_of(self, place: str | None) -> str | None:
        """The outside Land (in the region's country) or country a place is drawn in."""
        if not place:
            return None
        kind, area = self.cat.control_of_place(place)
        return area if kind in ("germany", "abroad") else None


def _anchor(n: str, cat: Catalog) -> tuple[tuple[float, float], bool, str | None] | None:
    """A node's (lat, long), whether it lies in the region, and its place (None for a firm drawn at
    the mean of its regional sites): its place's, its regional sites', or its headquarters'."""
    place: str | None = None
    if n in cat.places:
        place = n
    elif n in cat.sites:
        place = cat.sites[n].place
    elif n in cat.orgs:
        points = [cat.coords[s.place] for s in cat.sites_of.get(n, ())
                  if s in cat.regional_sites_set and s.place in cat.coords]
        if points:
            return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)), True, None
        place = cat.orgs[n].hq_place
    if place in cat.coords:
        return cat.coords[place], cat.in_region(place), place
    return None


def _projected_outline(area: str, project: "_Projection", in_region: bool) -> list[list[list[float]]]:
    """A Land's or country's outline (``area`` an IRI) through the map's projection (densified first
    in the region, so that the fisheye's curved image of each edge is followed: a site inside the
    Land stays inside its drawn outline)."""
    out = []
    for ring in geo.rings_of(place_key(area)):
        dense = geo.densify(ring, 0.01) if in_region else ring
        points = (project((lat, lon), in_region, None if in_region else area) for lon, lat in dense)
        out.append([[round(x, 1), round(y, 1)] for x, y in points])
    return out


#: Nodes on one spot spread on a sunflower within this radius (px) at most, at any size of data.
SPREAD_RADIUS = 60.0


def geographic_layout(g: nx.Graph[str], cat: Catalog) -> dict[str, tuple[float, float]]:
    """Positions from coordinates (screen coordinates, y down); nodes on one spot spread on a
    sunflower inside a bounded radius that keeps them inside their Land's drawn outline; nodes
    without a place on a grid below the map."""
    project = _Projection(cat)
    spots: dict[tuple[float, float], list[str]] = defaultdict(list)
    spot_land: dict[tuple[float, float], str | None] = {}
    unplaced = []
    for n in g.nodes:
        anchor = _anchor(n, cat)
        if anchor is None:
            unplaced.append(n)
            continue
        spot = project(anchor[0], anchor[1], None if anchor[1] else project.area_of(anchor[2]))
        spots[spot].append(n)
        if anchor[1] and anchor[2] and cat.land.get(anchor[2]):
            spot_land[spot] = cat.land[anchor[2]]
    outlines = {land: _projected_outline(land, project, True) for land in set(spot_land.values()) if land}
    pos: dict[str, tuple[float, float]] = {}
    golden = math.pi * (3 - math.sqrt(5))
    for (x, y), nodes in spots.items():
        radius = min(SPREAD_RADIUS, 12 * math.sqrt(len(nodes)))
        rings = outlines.get(spot_land.get((x, y)) or "")
        if rings and geo.inside((x, y), rings):
            radius = min(radius, 0.8 * geo.distance_to_edge((x, y), rings))
        for i, n in enumerate(sorted(nodes, key=lambda n: (g.nodes[n]["type"] != "place", n))):
            r = radius * math.sqrt((i + 0.5) / len(nodes)) if len(nodes) > 1 else 0.0
            pos[n] = (round(x + r * math.cos(i * golden), 1), round(y + r * math.sin(i * golden), 1))
    bottom = project.radius + 300
    width = max(1, int(math.sqrt(len(unplaced)) * 2))
    for i, n in enumerate(sorted(unplaced)):
        pos[n] = (float((i % width) * 30 - width * 15), round(bottom + (i // width) * 30, 1))
    return pos


def force_layout(g: nx.Graph[str], initial: dict[str, tuple[float, float]] | None = None,
                 limit: int = FORCE_LAYOUT_LIMIT, iterations: int = 60) -> dict[str, tuple[float, float]]:
    """A force-directed layout (Fruchterman-Reingold with numpy, from ``initial`` or a fixed
    seed), in page pixels.

    Past ``limit`` nodes the ``initial`` (geographic) positions are used instead: the page
    then draws with physics off, and an O(n²) layout of that size would take minutes.
    """
    import numpy as np

    nodes = list(g.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n > limit and initial:
        return {v: initial[v] for v in nodes}
    rng = np.random.default_rng(42)
    if initial:
        pos = np.array([initial[v] for v in nodes], dtype=float)
        pos /= (np.abs(pos).max() or 1.0)
        pos += rng.uniform(-1e-3, 1e-3, pos.shape)
    else:
        pos = rng.uniform(-1, 1, (n, 2))
    index = {v: i for i, v in enumerate(nodes)}
    edges = np.array([(index[u], index[v]) for u, v in g.edges() if u != v], dtype=int).reshape(-1, 2)
    pos = pos.astype(np.float32)
    k = math.sqrt(4.0 / n)  # ideal distance in a 2 x 2 box
    t = 0.2
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        force = k * k / np.maximum(dx * dx + dy * dy, 1e-6)  # repulsion between every pair, k²/d
        disp = np.stack(((dx * force).sum(1), (dy * force).sum(1)), axis=1)
        if len(edges):
            d = pos[edges[:, 0]] - pos[edges[:, 1]]
            length = np.maximum(np.sqrt((d ** 2).sum(-1)), 1e-3)
            pull = d * (length / k)[:, None]  # attraction along edges, d²/k
            np.add.at(disp, edges[:, 0], -pull)
            np.add.at(disp, edges[:, 1], pull)
        disp -= pos * 0.05 * n * k  # gravity keeps unconnected parts on the screen
        length = np.maximum(np.sqrt((disp ** 2).sum(-1)), 1e-9)
        pos += disp * (np.minimum(length, t) / length)[:, None]
        t *= 0.95
    pos -= pos.mean(0)
    pos *= (60 * math.sqrt(n) + 100) / (np.abs(pos).max() or 1.0)
    return {v: (round(float(x), 1), round(float(y), 1)) for v, (x, y) in zip(nodes, pos)}


def region_areas(cat: Catalog) -> list[dict[str, Any]]:
    """What the map draws under the nodes (screen coordinates): the true outlines of the region's
    Länder through the same projection as the nodes, and of the Länder and countries where the
    region's firms are run from, in their true direction at a compressed distance."""
    project = _Projection(cat)
    areas: list[dict[str, Any]] = []
    lands = sorted({land for p in cat.places if cat.in_region(p) and (land := cat.land.get(p))})
    for land in lands:
        rings = _projected_outline(land, project, True)
        if rings:
            areas.append({"label": cat.places[land].label, "label_en": cat.places[land].label_en or cat.places[land].label,
                          "rings": rings, "kind": "region"})
    away = set()
    for org in cat.orgs.values():
        kind, area = cat.control_of_place(org.control_place)
        if kind in ("germany", "abroad") and area:
            away.add(area)
    for area in sorted(away):
        rings = _projected_outline(area, project, False)
        if rings:
            areas.append({"label": cat.places[area].label, "label_en": cat.places[area].label_en or cat.places[area].label,
                          "rings": rings, "kind": "control"})
    if cat.region:
        areas.append({"label": f"outside {cat.places[cat.region].label}: true direction, distance compressed",
                      "circle": [0.0, 0.0, round(project.radius + 100, 1)], "dashed": True})
    return areas


# ---------------------------------------------------------------------------- the node budget

#: Past this many nodes the page draws an aggregated network (see :func:`within_budget`).
NODE_BUDGET = 2000
#: Grouping keys for aggregation, coarsest last dropped first.
AGGREGATE_BY = ("type", "land", "subsector", "control")


def within_budget(g: nx.Graph[str], budget: int = NODE_BUDGET, keys: tuple[str, ...] = AGGREGATE_BY) -> nx.Graph[str]:
    """The graph itself if it has at most ``budget`` nodes; else an aggregated graph that does.

    The largest nodes (by head-count, then degree) up to half the budget stay as they are; the
    others are grouped by ``keys`` (type, Land, subsector, control -- dropping keys from the
    end until the groups fit).  An aggregate node counts its members (``member_count``), sums
    their head-counts, keeps the attributes its members share (so that filters still work) and
    lists its members (``members``: [id, label] pairs) for the page's side panel.  Edges
    between groups are merged; ``weight`` counts the edges merged.
    """
    n = g.number_of_nodes()
    if n <= budget:
        return g
    # the places of control (and the groups leading there) carry the story: never grouped away
    story = {v for v, d in g.nodes(data=True) if d.get("type") in ("place", "group")}
    ranked = sorted(g.nodes, key=lambda v: (v not in story, -(g.nodes[v].get("headcount") or 0), -g.degree(v), str(v)))
    keep = set(ranked[: max(budget // 2, min(len(story), budget - 50))])
    rest = [v for v in ranked if v not in keep]
    for depth in range(len(keys), -1, -1):
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for v in rest:
            groups[tuple(str(g.nodes[v].get(k, "")) for k in keys[:depth])].append(v)
        if len(keep) + len(groups) <= budget:
            break
    if len(keep) + len(groups) > budget:  # only possible with a tiny budget: shrink the kept set
        keep = set(ranked[: max(0, budget - len(groups))])
        rest = [v for v in ranked if v not in keep]
        groups = defaultdict(list)
        for v in rest:
            groups[tuple(str(g.nodes[v].get(k, "")) for k in keys[:depth])].append(v)
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
    force = force_layout(out, {v: (d["geo_x"], d["geo_y"]) for v, d in out.nodes(data=True)})  # north up in, north up out
    on_map = out.graph.get("viz_layout") == "geo"
    for v, d in out.nodes(data=True):
        d["x"], d["y"] = force[v]
        x, y = (d["geo_x"], d["geo_y"]) if on_map else (d["x"], d["y"])
        d["viz"] = dict(d.get("viz") or {}, position={"x": x, "y": y, "z": 0.0})
    return out


def _aggregate_node(g: nx.Graph[str], key: tuple[str, ...], names: tuple[str, ...], members: list[str]) -> dict[str, Any]:
    data = [g.nodes[v] for v in members]
    attrs: dict[str, Any] = {"type": "aggregate", "member_count": len(members)}
    for k in ("type", "land", "subsector", "subsector_label", "control", "control_area", "centre", "functions",
              "color_subsector", "color_control", "color_centre", "color_type", "color"):
        values = Counter(d.get(k) for d in data if d.get(k) is not None)
        if len(values) == 1 or (values and k.startswith("color")):
            attrs[k if k != "type" else "member_type"] = values.most_common(1)[0][0]
    total = sum(d.get("headcount") or 0 for d in data)
    if total:
        attrs["headcount"] = total
    described = [f"{k} {v}" for k, v in zip(names, key) if v and k != "type"]
    kind = attrs.get("member_type", "node")
    attrs["label"] = f"{len(members):,} {kind}s" + (f" · {' · '.join(v for k, v in zip(names, key) if v and k != 'type')}"
                                                     if described else "")
    attrs["shape"] = "dot"
    attrs["size"] = round(12 + 4 * math.log10(1 + len(members)) + headcount_size(total or None) / 4, 1)
    for axis in ("x", "y"):
        attrs[axis] = round(sum(d.get(axis, 0.0) for d in data) / len(data), 1)
    # on the map, the member nearest the members' mean: a real member's position, so the group stays
    # inside its Land's outline (a mean of Brandenburg's places can fall in Berlin)
    mx, my = (sum(d.get(a, 0.0) for d in data) / len(data) for a in ("geo_x", "geo_y"))
    nearest = min(data, key=lambda d: (d.get("geo_x", 0.0) - mx) ** 2 + (d.get("geo_y", 0.0) - my) ** 2)
    attrs["geo_x"], attrs["geo_y"] = nearest.get("geo_x", 0.0), nearest.get("geo_y", 0.0)
    attrs["members"] = [[v, g.nodes[v].get("label", v)] for v in members]
    attrs["facts"] = [{"k": "members", "v": f"{len(members):,} {kind}s grouped by {', '.join(names) or 'nothing'}",
                       "src": []}] + [{"k": k, "v": v, "src": []} for k, v in zip(names, key) if v]
    attrs["viz"] = {"color": _rgb(attrs.get("color", NEUTRAL)), "size": attrs["size"],
                    "position": {"x": attrs["x"], "y": attrs["y"], "z": 0.0}}
    return attrs
