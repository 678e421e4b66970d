"""The vocabulary's IRIs in one place.

Every IRI the Python code needs is built here, from the standard namespaces and from our
own ontology namespace (``bbmb:``).  Data IRIs (firms, sites, places, ...) are minted by
:class:`IRIs` under one configurable base, so that a re-build gives the same IRIs.
"""
from __future__ import annotations

import os

from pyoxigraph import NamedNode


class Namespace:
    """A namespace whose attributes and items are :class:`pyoxigraph.NamedNode` terms.

    >>> ORG = Namespace("http://www.w3.org/ns/org#")
    >>> ORG.hasSite
    <NamedNode value=http://www.w3.org/ns/org#hasSite>
    >>> str(ORG)
    'http://www.w3.org/ns/org#'
    """

    def __init__(self, iri: str) -> None:
        self._iri = iri

    def __str__(self) -> str:
        return self._iri

    def __repr__(self) -> str:
        return f"Namespace({self._iri!r})"

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        node = NamedNode(self._iri + name)
        self.__dict__[name] = node  # terms are immutable: later look-ups skip __getattr__
        return node

    def __getitem__(self, name: str) -> NamedNode:
        return NamedNode(self._iri + name)


BBMB = Namespace("https://w3id.org/bbmb/def#")
ONTOLOGY_IRI = "https://w3id.org/bbmb/def"
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
PROV = Namespace("http://www.w3.org/ns/prov#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIMENSION = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
DCT = Namespace("http://purl.org/dc/terms/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
WD = Namespace("http://www.wikidata.org/entity/")
NACE = Namespace("http://data.europa.eu/ux2/nace2/")

#: The default base of data IRIs; override with ``--base`` or the ``KG_BASE`` variable.
DEFAULT_BASE = "https://w3id.org/bbmb/id/"


def default_base() -> str:
    return os.environ.get("KG_BASE", DEFAULT_BASE)


PREFIXES: dict[str, str] = {
    "bbmb": str(BBMB), "org": str(ORG), "schema": str(SCHEMA), "skos": str(SKOS),
    "geo": str(GEO), "wgs": str(WGS), "prov": str(PROV), "qb": str(QB),
    "sdmx-dimension": str(SDMX_DIMENSION), "sdmx-measure": str(SDMX_MEASURE),
    "sdmx-attribute": str(SDMX_ATTRIBUTE), "dct": str(DCT), "rdf": str(RDF),
    "rdfs": str(RDFS), "xsd": str(XSD), "owl": str(OWL), "wd": str(WD), "nace": str(NACE),
}

class IRIs:
    """Mints the data IRIs of one build under ``base`` (one folder a kind of thing)."""

    def __init__(self, base: str | None = None) -> None:
        base = base or default_base()
        self.base = base if base.endswith(("/", "#")) else base + "/"

    def _mint(self, kind: str, key: str) -> NamedNode:
        return NamedNode(f"{self.base}{kind}/{key}")

    def org(self, key: str) -> NamedNode: return self._mint("org", key)
    def site(self, key: str) -> NamedNode: return self._mint("site", key)
    def place(self, key: str) -> NamedNode: return self._mint("place", key)
    def geometry(self, key: str) -> NamedNode: return self._mint("place", key + "/geometry")
    def subsector(self, code: str) -> NamedNode: return self._mint("wz2008", code)
    def subsector_scheme(self) -> NamedNode: return NamedNode(f"{self.base}wz2008")
    def cluster(self, key: str) -> NamedNode: return self._mint("cluster", key)
    def control(self, child: str) -> NamedNode: return self._mint("control", child)
    def headcount(self, key: str) -> NamedNode: return self._mint("headcount", key)
    def event(self, key: str) -> NamedNode: return self._mint("event", key)
    def focus(self, land: str, code: str) -> NamedNode: return self._mint("production-focus", f"{land}/{code}")
    def dataset(self, key: str) -> NamedNode: return self._mint("dataset", key)
    def observation(self, key: str) -> NamedNode: return self._mint("observation", key)
    def flag(self, key: str) -> NamedNode: return self._mint("flag", key)
    def contested(self, key: str) -> NamedNode: return self._mint("contested", key)
    def alternative_place(self, key: str) -> NamedNode: return self._mint("alternative-place", key)
    def parent_relation(self, key: str) -> NamedNode: return self._mint("parent-relation", key)
    def source(self, key: str) -> NamedNode: return self._mint("source", key)
    def graph(self, key: str) -> NamedNode: return self._mint("graph", key)
