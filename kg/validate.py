"""SHACL over the built dataset, and the data-quality report.

Violations are traced back to the data file and row the offending entity came from, so an
analyst can fix the spreadsheet rather than read RDF.  The quality report lists the flags
recorded in ``data/flags.csv`` and finds unflagged problems the data itself shows
(two different head-counts for one firm, Länder figures that do not add up to the total).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pyoxigraph import QueryTriples, RdfFormat, Store, serialize

from . import shacl
from .build import DEFAULT_ONTOLOGY, BuildResult
from .errors import os_reason
from .namespaces import ONTOLOGY_IRI
from .query import select
from .shacl import Result, short
from .tables import DataError, DataErrors

if TYPE_CHECKING:
    import rdflib

DEFAULT_SHAPES = DEFAULT_ONTOLOGY / "shapes.ttl"


@dataclass(frozen=True)
class Violation:
    severity: str
    focus: str
    path: str
    message: str
    value: str
    origin: str  # "data/x.csv, row N", or "" if the entity was not read from a row

    def __str__(self) -> str:
        where = self.origin or self.focus
        path = f" {self.path}" if self.path else ""
        value = f" (value: {self.value})" if self.value else ""
        return f"{where}: {self.severity}: <{self.focus}>{path}: {self.message}{value}"


def _data_graph(store: Store) -> rdflib.Graph:
    """The merged data graphs (without the ontology graph) as an rdflib Graph."""
    from rdflib import Graph

    q = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{ONTOLOGY_IRI}>) }}"
    graph = Graph()
    graph.parse(data=serialize(cast(QueryTriples, store.query(q)), format=RdfFormat.N_TRIPLES), format="nt")
    return graph


def _shapes_error(shapes: str | Path, exc: Exception) -> DataErrors:
    if isinstance(exc, OSError):
        return DataErrors([DataError(str(shapes), None, None, f"cannot be read: {os_reason(exc)}",
                                     "Give --ontology a folder with bbmb.ttl and shapes.ttl.")])
    return DataErrors([DataError(str(shapes), None, None, f"is not valid Turtle: {exc}")])


def _pyshacl(store: Store, shapes: str | Path) -> list[Result]:
    """The reference engine: pySHACL on an rdflib copy of the data graph (minutes at 100,000 firms)."""
    from pyshacl import validate as shacl_validate
    from rdflib import Graph

    shapes_graph = Graph()
    try:
        shapes_graph.parse(str(shapes), format="turtle")
    except Exception as exc:  # rdflib raises several parser exception types
        raise _shapes_error(shapes, exc) from None
    conforms, report, _ = shacl_validate(_data_graph(store), shacl_graph=shapes_graph,
                                         inference="none", advanced=False)
    if conforms:
        return []
    # an inverse path is a blank node [ sh:inversePath p ] in the report: written ^p, as kg.shacl does
    q = """
    PREFIX sh: <http://www.w3.org/ns/shacl#>
    SELECT ?focus ?path ?inverse ?message ?value ?severity WHERE {
      ?r a sh:ValidationResult ; sh:focusNode ?focus ; sh:resultSeverity ?severity .
      OPTIONAL { ?r sh:resultPath ?path OPTIONAL { ?path sh:inversePath ?inverse } }
      OPTIONAL { ?r sh:resultMessage ?message }
      OPTIONAL { ?r sh:value ?value }
    }"""
    out = []
    for focus, path, inverse, message, value, severity in report.query(q):
        shown = f"^{short(str(inverse))}" if inverse else short(str(path)) if path else ""
        out.append(Result(str(severity), str(focus), shown, str(message or ""), str(value or "")))
    return out


def _sparql(store: Store, shapes: str | Path, progress: Callable[[str], None] | None) -> list[Result]:
    try:
        compiled = shacl.load_shapes(shapes)
    except (SyntaxError, OSError) as exc:
        raise _shapes_error(shapes, exc) from None
    return shacl.run(store, compiled, progress)


def validate(result: BuildResult, shapes: str | Path = DEFAULT_SHAPES, progress: Callable[[str], None] | None = None,
             engine: Literal["sparql", "pyshacl"] = "sparql") -> list[Violation]:
    """Run the SHACL shapes; each violation names the data file and row it came from.

    The default engine (:mod:`kg.shacl`) runs one SPARQL query a constraint on the store and reports each
    shape to ``progress``; ``engine="pyshacl"`` is the reference it is tested against (slow on large data).
    Raises :class:`kg.shacl.UnsupportedShape` for a shapes file that uses what kg.shacl does not implement.
    """
    if engine == "sparql":
        results = _sparql(result.store, shapes, progress)
    elif engine == "pyshacl":
        results = _pyshacl(result.store, shapes)
    else:
        raise ValueError(f"unknown SHACL engine {engine!r}; choose 'sparql' or 'pyshacl'")
    out = {Violation(r.severity.rsplit("#", 1)[-1], r.focus, r.path, r.message, r.value,
                     result.origins.get(r.focus, "")) for r in results}
    return sorted(out, key=lambda v: (v.origin, v.focus, v.path, v.message, v.value))


@dataclass(frozen=True)
class QualityIssue:
    kind: str
    subject: str
    description: str
    source: str
    recorded: bool  # True: a flag in data/flags.csv; False: found by a check and not yet flagged

    def __str__(self) -> str:
        mark = "flag" if self.recorded else "UNFLAGGED"
        return f"[{mark}] {self.kind}: {self.subject}: {self.description} (source: {self.source})"


_FLAGS = """
SELECT ?flag ?kind ?comment (GROUP_CONCAT(DISTINCT ?subjectLabel; separator="; ") AS ?subjects)
       (GROUP_CONCAT(DISTINCT ?sourceTitle; separator="; ") AS ?sources)
WHERE {
  ?flag a bbmb:QualityFlag ; bbmb:flagKind ?kind ; rdfs:comment ?comment ; bbmb:flags ?subject ;
        prov:wasDerivedFrom/dct:title ?sourceTitle .
  OPTIONAL { ?subject rdfs:label ?l }
  BIND(COALESCE(?l, STR(?subject)) AS ?subjectLabel)
} GROUP BY ?flag ?kind ?comment ORDER BY ?kind ?flag
"""

# Subjects with two or more different head-counts, and no flag on them.
_CONFLICTING_HEADCOUNTS = """
SELECT ?subject ?label (GROUP_CONCAT(DISTINCT STR(?n); separator=" / ") AS ?values) WHERE {
  ?subject schema:numberOfEmployees ?h1 , ?h2 ; rdfs:label ?label .
  ?h1 schema:value|schema:minValue ?n . ?h2 schema:value|schema:minValue ?m .
  FILTER(?n != ?m)
  FILTER NOT EXISTS { ?flag a bbmb:QualityFlag ; bbmb:flags ?subject }
} GROUP BY ?subject ?label
"""

# A total for an area whose parts (places directly within it) are all given, and do not add up.
_PARTS_VS_TOTAL = """
SELECT ?total ?area ?value (SUM(?partValue) AS ?sum) WHERE {
  ?total a qb:Observation ; qb:dataSet ?ds ; sdmx-dimension:refArea ?area ; bbmb:breakdown ?b ;
         sdmx-dimension:refPeriod ?period ; sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure bbmb:Persons .
  ?part a qb:Observation ; qb:dataSet ?ds ; sdmx-dimension:refArea ?partArea ; bbmb:breakdown ?b ;
        sdmx-dimension:refPeriod ?period ; sdmx-measure:obsValue ?partValue .
  ?partArea schema:containedInPlace ?area . ?area a bbmb:Region .
  FILTER NOT EXISTS { ?flag a bbmb:QualityFlag ; bbmb:flags ?total }
} GROUP BY ?total ?area ?value HAVING (SUM(?partValue) != ?value)
"""


def quality_report(store: Store) -> list[QualityIssue]:
    """The recorded data-quality flags, and unflagged problems that checks find in the data."""
    def run(q: str) -> list[dict[str, Any]]:
        return select(store, q, lexical=True)

    issues = [QualityIssue(s["kind"], s["subjects"], s["comment"], s["sources"], True) for s in run(_FLAGS)]
    for s in run(_CONFLICTING_HEADCOUNTS):
        issues.append(QualityIssue("contradiction", s["label"], f"different head-counts: {s['values']}",
                                   "head-count rows", False))
    for s in run(_PARTS_VS_TOTAL):
        issues.append(QualityIssue("rounding", s["total"].rsplit("/", 1)[-1],
                                   f"parts add up to {s['sum']}, total is {s['value']}", "statistics rows", False))
    return issues
