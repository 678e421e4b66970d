"""The columns the look-ups and listings are joined from: each one pattern the engine answers by an index scan.

The engine evaluates a join of several patterns a row at a time (20-80 µs a row at 100,000 firms); one pattern is a
scan of an index (2-5 µs a row).  :mod:`.materialised` and :mod:`.listings` read the patterns of their definitions
(kept as SPARQL there, and held to them by tests/test_derive.py) as these columns and join them in Python.

    >>> from kg.namespaces import RDFS
    >>> print(pairs(RDFS.label))
    SELECT ?s ?o WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o }
    >>> grouped([["<a>", "1"], ["<b>", "2"], ["<a>", "3"]])
    {'<a>': ['1', '3'], '<b>': ['2']}
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from pyoxigraph import NamedNode

from ..namespaces import RDF

__all__ = ["pairs", "of_type", "grouped"]


def pairs(predicate: NamedNode) -> str:
    """The query of every (subject, object) of ``predicate``, over the union of the graphs."""
    return f"SELECT ?s ?o WHERE {{ ?s {predicate} ?o }}"


def of_type(*classes: NamedNode) -> str:
    """The query of every subject of one of ``classes`` (each once)."""
    if len(classes) == 1:
        return f"SELECT ?s WHERE {{ ?s {RDF.type} {classes[0]} }}"
    return f"SELECT DISTINCT ?s WHERE {{ VALUES ?t {{ {' '.join(map(str, classes))} }} ?s {RDF.type} ?t }}"


def grouped(rows: Iterable[Sequence[str]]) -> dict[str, list[str]]:
    """The rows of a column (two terms each) as the second's terms by the first's, in the rows' order."""
    values: dict[str, list[str]] = {}
    for key, value in rows:
        values.setdefault(key, []).append(value)
    return values
