"""The vocabulary's IRIs in one place.

Every IRI the Python code needs is built here, from the standard namespaces and from our
own ontology namespace (``bbmb:``).  Data IRIs (firms, sites, places, ...) are minted by
:class:`IRIs` under one configurable base, so that a re-build gives the same IRIs; the kind of a
table's rows' IRIs is declared with the table (``kg/tables.toml``).
"""
from __future__ import annotations

import os

from pyoxigraph import NamedNode

from .declaration import iri_kinds


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

#: The datatype of a period by its length: a year, a month, a day (else an interval, as written).
PERIOD_DATATYPES = {4: XSD.gYear, 7: XSD.gYearMonth, 10: XSD.date}

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
    """Mints the data IRIs of one build under ``base``.

    A table's row is ``{base}{kind}/{key}``, its kind declared with the table in ``kg/tables.toml``
    (:meth:`of`); the short methods name the tables the code refers to most.  The rest are IRIs of no
    table's row: named graphs, control relations, geometries, contested facts, the subsector scheme.

        >>> iris = IRIs("https://example.org/kg/")
        >>> iris.of("organizations", "acme"), iris.org("acme") == iris.of("organizations", "acme")
        (<NamedNode value=https://example.org/kg/org/acme>, True)
    """

    def __init__(self, base: str | None = None) -> None:
        base = base or default_base()
        self.base = base if base.endswith(("/", "#")) else base + "/"

    def _mint(self, kind: str, key: str) -> NamedNode:
        return NamedNode(f"{self.base}{kind}/{key}")

    def of(self, table: str, key: str) -> NamedNode:
        """The IRI of the row of ``table`` whose key is ``key``."""
        return self._mint(iri_kinds()[table], key)

    def org(self, key: str) -> NamedNode: return self.of("organizations", key)
    def site(self, key: str) -> NamedNode: return self.of("sites", key)
    def place(self, key: str) -> NamedNode: return self.of("places", key)
    def subsector(self, code: str) -> NamedNode: return self.of("subsectors", code)
    def cluster(self, key: str) -> NamedNode: return self.of("clusters", key)
    def dataset(self, key: str) -> NamedNode: return self.of("datasets", key)
    def observation(self, key: str) -> NamedNode: return self.of("statistics", key)
    def source(self, key: str) -> NamedNode: return self.of("sources", key)

    def geometry(self, place: str) -> NamedNode: return self.of("places", place + "/geometry")
    def subsector_scheme(self) -> NamedNode: return NamedNode(self.base + iri_kinds()["subsectors"])
    def control(self, child: str) -> NamedNode: return self._mint("control", child)
    def contested(self, key: str) -> NamedNode: return self._mint("contested", key)
    def graph(self, key: str) -> NamedNode: return self._mint("graph", key)
    def listing(self, key: str) -> NamedNode: return self._mint("listing", key)
