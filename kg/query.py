"""Run SPARQL on the embedded store, with parameters bound by the engine (never pasted into text).

    >>> from kg.build import build
    >>> from kg.query import select
    >>> rows = select(build().store, "SELECT ?name WHERE { ?f a bbmb:Firm ; rdfs:label ?name }")  # doctest: +SKIP
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping

from pyoxigraph import BlankNode, Literal, NamedNode, Store, Variable

from .namespaces import PREFIXES, XSD

_NUMERIC = {XSD.integer.value: int, XSD.int.value: int, XSD.long.value: int,
            XSD.decimal.value: Decimal, XSD.double.value: float, XSD.float.value: float}


def to_python(term: Any) -> Any:
    """A result term as a plain Python value: IRIs and strings as str, numbers as numbers."""
    if term is None:
        return None
    if isinstance(term, Literal):
        convert = _NUMERIC.get(term.datatype.value)
        if convert is not None:
            try:
                return convert(term.value)
            except (ValueError, ArithmeticError):
                return term.value
        if term.datatype.value == XSD.boolean.value:
            return term.value == "true"
        return term.value
    if isinstance(term, (NamedNode, BlankNode)):
        return term.value
    return str(term)


def select(store: Store, query: str, bindings: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of a SELECT query over the union of the dataset's graphs, as dicts of Python values.

    ``bindings`` maps variable names to pyoxigraph terms; they are substituted by the engine.
    """
    substitutions = {Variable(k): v for k, v in (bindings or {}).items()}
    solutions = store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES,
                            substitutions=substitutions or None)
    names = [v.value for v in solutions.variables]
    return [{n: to_python(s[n]) for n in names} for s in solutions]


def ask(store: Store, query: str, bindings: Mapping[str, Any] | None = None) -> bool:
    substitutions = {Variable(k): v for k, v in (bindings or {}).items()}
    return bool(store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES,
                            substitutions=substitutions or None))
