"""The controlled vocabularies, read from the ontology: written once, in ``ontology/bbmb.ttl``.

A vocabulary is a SKOS concept scheme (``bbmb:SiteFunctions``, ``bbmb:Breakdowns``, ``bbmb:Units``)
or a class whose subclasses carry a ``skos:notation`` (``bbmb:Cluster``: the kinds of cluster).
Its notations are the values a table's ``choice`` column allows (:class:`kg.tables.Column`'s
``scheme``), and the build writes the concept (or class) a notation names.

The tables' choice lists are read from the ontology packaged with kg (:func:`kg.resources.packaged`),
once, whatever ``kg build --ontology`` names: an ontology given there must keep those notations
(the build maps each cell to the concept of the ontology it was given).

    >>> notations("SiteFunctions")[:3]
    ('production', 'service', 'sales')
    >>> notations("Cluster")
    ('holding', 'campus', 'technology-park', 'peer-group')
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from .resources import packaged

__all__ = ["vocabularies", "notations"]

_SKOS = "http://www.w3.org/2004/02/skos/core#"
_IN_SCHEME = _SKOS + "inScheme"
_NOTATION = _SKOS + "notation"
_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"


def vocabularies(triples: Iterable[Triple | Quad]) -> dict[str, dict[str, NamedNode]]:
    """Scheme (or superclass) local name -> notation -> concept (or subclass), in the ontology's order.

    A concept belongs to the vocabularies of its ``skos:inScheme`` schemes; a class with a
    notation to those of its ``rdfs:subClassOf`` classes.
    """
    notation: dict[NamedNode, str] = {}  # in the order the notations are written
    member: dict[NamedNode, list[NamedNode]] = {}
    for t in triples:
        s, p, o = t.subject, t.predicate.value, t.object
        if not isinstance(s, NamedNode):
            continue
        if p == _NOTATION and isinstance(o, Literal):
            notation.setdefault(s, o.value)
        elif p in (_IN_SCHEME, _SUBCLASS) and isinstance(o, NamedNode):
            member.setdefault(s, []).append(o)
    out: dict[str, dict[str, NamedNode]] = {}
    for term, value in notation.items():
        for scheme in member.get(term, []):
            out.setdefault(scheme.value.rsplit("#", 1)[-1], {})[value] = term
    return out


@cache
def _packaged() -> dict[str, dict[str, NamedNode]]:
    path = Path(packaged("ontology")) / "bbmb.ttl"
    return vocabularies(parse(path=str(path), format=RdfFormat.TURTLE))


def notations(scheme: str) -> tuple[str, ...]:
    """The notations of a vocabulary of the packaged ontology (e.g. ``"Units"``), in its order."""
    found = _packaged().get(scheme)
    if not found:
        raise KeyError(f"the ontology has no vocabulary '{scheme}' (a skos:ConceptScheme, or a class whose "
                       f"subclasses have a skos:notation)")
    return tuple(found)
