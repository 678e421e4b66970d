"""SHACL Core validation as SPARQL queries on the Oxigraph store, for data of any size.

pySHACL needs the data in an rdflib graph (minutes and gigabytes at national scale).  This module
instead compiles each constraint of each property shape into one SPARQL ``SELECT`` that finds the
violating focus nodes (and values) directly, and runs it on the build's :class:`pyoxigraph.Store`:
one bounded scan per constraint, counts with ``GROUP BY``, nothing copied.

Only the SHACL Core features the project's shapes use are supported; anything else in a shapes file
raises :class:`UnsupportedShape` naming the shape and the feature, so nothing is silently skipped:

=====================  =====================================================================
targets                ``sh:targetClass`` (with the data's ``rdfs:subClassOf`` closure), ``sh:targetSubjectsOf``
property paths         an IRI, or ``[ sh:inversePath IRI ]``
constraints            ``sh:class sh:datatype sh:in sh:minCount sh:maxCount sh:minInclusive
                       sh:maxInclusive sh:nodeKind sh:uniqueLang`` on property shapes
other                  ``sh:message``, ``sh:severity`` (default ``sh:Violation``), ``sh:deactivated``
=====================  =====================================================================

The data graph is what :func:`kg.validate.validate` gave pySHACL: the merge of the store's named
graphs without the ontology graph (:data:`kg.namespaces.ONTOLOGY_IRI`).  So ``rdfs:subClassOf``
axioms count only where the data itself states them, exactly as pySHACL saw it (``inference="none"``).
Every triple pattern is written ``GRAPH ?g { ... } FILTER(?g != <ontology>)``, and a triple held in
two graphs is counted once (``DISTINCT``).

Literal well-formedness for ``sh:datatype`` is checked for the datatypes pySHACL checks (numbers,
booleans, dates and times) by a SPARQL cast of the lexical form; for others (``xsd:gYear``,
``geo:wktLiteral``) the datatype IRI alone decides, as in pySHACL.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, cast

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, RdfFormat, Store, parse

from .errors import InputError
from .namespaces import ONTOLOGY_IRI, PREFIXES

SH = "http://www.w3.org/ns/shacl#"
_RDF = PREFIXES["rdf"]
_RDFS = PREFIXES["rdfs"]
_XSD = PREFIXES["xsd"]
_TYPE = f"<{_RDF}type>"
_NOT_ONTOLOGY = f"<{ONTOLOGY_IRI}>"

Term = NamedNode | BlankNode | Literal


class UnsupportedShape(InputError, ValueError):
    """A shapes file uses a SHACL feature this engine does not implement (the message names shape and feature)."""


class Result(NamedTuple):
    """One validation result; ``severity`` is the severity's IRI, ``path`` the short form of the path."""

    severity: str
    focus: str
    path: str
    message: str
    value: str


def short(iri: str) -> str:
    """An IRI in the project's prefixed form where a prefix fits.

    >>> short("http://www.w3.org/2000/01/rdf-schema#label")
    'rdfs:label'
    """
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


# ---------------------------------------------------------------------------- reading the shapes

#: Predicates in the sh: namespace that do not validate anything (allowed on any shape).
_NON_VALIDATING = {"name", "description", "order", "group", "defaultValue", "message", "severity", "deactivated"}
_TARGETS = {"targetClass", "targetSubjectsOf"}
#: The constraint components supported on a property shape, by their parameter.
_CONSTRAINTS = {"class", "datatype", "in", "minCount", "maxCount", "minInclusive", "maxInclusive", "nodeKind",
                "uniqueLang"}


@dataclass(frozen=True)
class PropertyShape:
    """A property shape: its path, its constraints, and what its results say."""

    name: str  # for messages: "bbmb:SiteShape, property rdfs:label"
    path: str  # SPARQL: "<iri>" or "^<iri>"
    path_short: str
    constraints: dict[str, Term]  # parameter local name -> its value (sh:in: the list's head)
    in_list: tuple[Term, ...]  # the members of sh:in, if given
    messages: tuple[str, ...]
    severity: str


@dataclass(frozen=True)
class NodeShape:
    """A node shape with its targets and property shapes."""

    name: str
    target_classes: tuple[str, ...]
    target_subjects_of: tuple[str, ...]
    properties: tuple[PropertyShape, ...] = field(default=())


class _Graph:
    """The shapes graph as subject -> predicate -> objects, with a reader for RDF lists."""

    def __init__(self, triples: Iterable[tuple[Term, NamedNode, Term]]) -> None:
        self.out: dict[Term, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            self.out[s][p.value].append(o)

    def objects(self, s: Term, p: str) -> list[Term]:
        return self.out.get(s, {}).get(p, [])

    def items(self, head: Term, where: str) -> list[Term]:
        found: list[Term] = []
        while not (isinstance(head, NamedNode) and head.value == f"{_RDF}nil"):
            first, rest = self.objects(head, f"{_RDF}first"), self.objects(head, f"{_RDF}rest")
            if len(first) != 1 or len(rest) != 1 or len(found) > 10_000:
                raise UnsupportedShape(f"{where}: sh:in is not a well-formed RDF list")
            found.append(first[0])
            head = rest[0]
        return found


def _name(term: Term) -> str:
    return short(term.value) if isinstance(term, NamedNode) else f"_:{term.value}"


def _sh_predicates(graph: _Graph, node: Term) -> dict[str, list[Term]]:
    """The node's sh: predicates by local name (other vocabularies, e.g. rdfs:comment, are annotations)."""
    return {p[len(SH):]: objs for p, objs in graph.out.get(node, {}).items() if p.startswith(SH)}


def _deactivated(values: list[Term]) -> bool:
    return any(isinstance(v, Literal) and v.value in ("true", "1") for v in values)


def _single_iri(values: list[Term], where: str, what: str) -> str:
    if len(values) != 1 or not isinstance(values[0], NamedNode):
        raise UnsupportedShape(f"{where}: {what} must be exactly one IRI")
    return values[0].value


def _path(graph: _Graph, values: list[Term], where: str) -> tuple[str, str]:
    """(SPARQL path, short form) of an IRI or inverse-IRI path; anything else is unsupported."""
    if len(values) != 1:
        raise UnsupportedShape(f"{where}: a property shape needs exactly one sh:path")
    path = values[0]
    if isinstance(path, NamedNode):
        return f"<{path.value}>", short(path.value)
    kinds = _sh_predicates(graph, path)
    if set(kinds) == {"inversePath"}:
        inner = _single_iri(kinds["inversePath"], where, "sh:inversePath")
        return f"^<{inner}>", f"^{short(inner)}"
    kind = ", ".join(f"sh:{k}" for k in kinds) or "a sequence path (RDF list)"
    raise UnsupportedShape(f"{where}: unsupported property path {kind}; only an IRI or sh:inversePath IRI")


def _property(graph: _Graph, node: Term, owner: str) -> PropertyShape | None:
    """The property shape at ``node`` of node shape ``owner``; None if it is deactivated."""
    preds = _sh_predicates(graph, node)
    where = f"{owner}, property shape {_name(node)}"
    path, path_short = _path(graph, preds.get("path", []), where)
    where = f"{owner}, property {path_short}"
    unsupported = set(preds) - _CONSTRAINTS - _NON_VALIDATING - {"path"}
    if unsupported:
        raise UnsupportedShape(f"{where}: unsupported SHACL component(s) "
                               + ", ".join(f"sh:{u}" for u in sorted(unsupported)))
    if _deactivated(preds.get("deactivated", [])):
        return None
    constraints = {}
    for k, values in preds.items():
        if k in _CONSTRAINTS:
            if len(values) != 1:
                raise UnsupportedShape(f"{where}: sh:{k} given {len(values)} times; give it once")
            constraints[k] = values[0]
    in_list = tuple(graph.items(constraints["in"], where)) if "in" in constraints else ()
    severity = _single_iri(preds["severity"], where, "sh:severity") if "severity" in preds else f"{SH}Violation"
    messages = tuple(m.value for m in preds.get("message", []) if isinstance(m, Literal))
    return PropertyShape(where, path, path_short, constraints, in_list, messages, severity)


def load_shapes(shapes: str | Path) -> list[NodeShape]:
    """The node shapes of a Turtle file, checked for unsupported features (:class:`UnsupportedShape`).

    Raises ``SyntaxError`` (from pyoxigraph) if the file is not valid Turtle, ``OSError`` if it cannot be read.
    """
    graph = _Graph((t.subject, t.predicate, t.object) for t in parse(path=str(shapes), format=RdfFormat.TURTLE))
    typed = {s for s, preds in graph.out.items()
             if any(isinstance(o, NamedNode) and o.value in (f"{SH}NodeShape", f"{SH}PropertyShape")
                    for o in preds.get(f"{_RDF}type", []))}
    targeted = {s for s, preds in graph.out.items() if any(p.startswith(SH + "target") for p in preds)}
    referenced = {o for preds in graph.out.values() for o in preds.get(f"{SH}property", [])}
    # property shapes are read with the node shape that has them
    found = (_node_shape(graph, node) for node in sorted((typed | targeted) - referenced, key=lambda n: n.value))
    return [shape for shape in found if shape is not None]


def _node_shape(graph: _Graph, node: Term) -> NodeShape | None:
    """The node shape ``node`` with its property shapes; None for one that validates nothing."""
    name = _name(node)
    preds = _sh_predicates(graph, node)
    if not preds.keys() & _TARGETS and "path" in preds:
        return None  # a property shape of no node shape, with no targets: it validates nothing
    if any(isinstance(o, NamedNode) and o.value in (f"{_RDFS}Class", "http://www.w3.org/2002/07/owl#Class")
           for o in graph.objects(node, f"{_RDF}type")):
        raise UnsupportedShape(f"{name}: unsupported implicit class target (the shape is also a class)")
    if "path" in preds:
        raise UnsupportedShape(f"{name}: unsupported property shape with its own targets")
    unsupported = set(preds) - _TARGETS - _NON_VALIDATING - {"property"}
    if unsupported:
        raise UnsupportedShape(f"{name}: unsupported SHACL component(s) "
                               + ", ".join(f"sh:{u}" for u in sorted(unsupported))
                               + " (only sh:property constraints and sh:targetClass/sh:targetSubjectsOf)")
    if _deactivated(preds.get("deactivated", [])):
        return None
    properties = [p for p in (_property(graph, n, name) for n in preds.get("property", [])) if p is not None]
    classes = tuple(_single_iri([c], name, "sh:targetClass") for c in preds.get("targetClass", []))
    subjects_of = tuple(_single_iri([p], name, "sh:targetSubjectsOf") for p in preds.get("targetSubjectsOf", []))
    return NodeShape(name, classes, subjects_of, tuple(properties))


# ---------------------------------------------------------------------------- compiling to SPARQL

@dataclass(frozen=True)
class Check:
    """One constraint of one property shape, and the query that selects its violations (?focus, ?value)."""

    component: str  # "sh:minCount"
    prop: PropertyShape
    query: str
    message: str  # the default message, used where the shape gives no sh:message
    per_value: bool = False  # True: one result for each bad value (?value); False: one for the focus node


class _Vars:
    """Fresh graph variables, one for each triple pattern (each may match in a different graph)."""

    def __init__(self) -> None:
        self.n = 0

    def triple(self, s: str, p: str, o: str) -> str:
        self.n += 1
        g = f"?g{self.n}"
        return f"GRAPH {g} {{ {s} {p} {o} }} FILTER({g} != {_NOT_ONTOLOGY})"

    def path(self, focus: str, path: str, value: str) -> str:
        if path.startswith("^"):
            return self.triple(value, path[1:], focus)
        return self.triple(focus, path, value)


def _values(var: str, iris: Iterable[str]) -> str:
    return f"VALUES {var} {{ {' '.join(f'<{i}>' for i in sorted(iris))} }}"


def _targets(shape: NodeShape, subclasses: Callable[[str], set[str]], v: _Vars) -> str:
    """A group that binds ?focus to each focus node of the shape (perhaps more than once)."""
    branches = []
    classes = set().union(*(subclasses(c) for c in shape.target_classes)) if shape.target_classes else set()
    if len(classes) == 1:
        branches.append(v.triple("?focus", _TYPE, f"<{next(iter(classes))}>"))
    elif classes:
        branches.append(f"{_values('?targetClass', classes)} {v.triple('?focus', _TYPE, '?targetClass')}")
    for p in shape.target_subjects_of:
        branches.append(v.triple("?focus", f"<{p}>", f"?o{v.n}"))
    return " UNION ".join(f"{{ {b} }}" for b in branches)


def _term(t: Term) -> str:
    if isinstance(t, NamedNode):
        return f"<{t.value}>"
    if isinstance(t, Literal):
        return str(t)  # N-Triples syntax, valid SPARQL
    raise UnsupportedShape(f"a blank node {t} as a constraint value")


#: Datatypes whose literals pySHACL also checks for a well-formed lexical form (SPARQL can cast them).
_CHECKED_DATATYPES = {f"{_XSD}{d}" for d in ("integer", "decimal", "float", "double", "boolean", "date", "time",
                                            "dateTime")}
_NODE_KINDS = {
    "IRI": "isIRI(?value)", "BlankNode": "isBlank(?value)", "Literal": "isLiteral(?value)",
    "BlankNodeOrIRI": "(isBlank(?value) || isIRI(?value))",
    "BlankNodeOrLiteral": "(isBlank(?value) || isLiteral(?value))",
    "IRIOrLiteral": "(isIRI(?value) || isLiteral(?value))",
}


def _count(value: Term, where: str) -> int:
    """The value of sh:minCount or sh:maxCount, checked."""
    try:
        n = int(value.value) if isinstance(value, Literal) else -1
    except ValueError:
        n = -1
    if n < 0:
        raise UnsupportedShape(f"{where} must be a non-negative integer")
    return n


def _value_test(component: str, param: Term, prop: PropertyShape, where: str, v: _Vars,
                subclasses: Callable[[str], set[str]]) -> tuple[str, str]:
    """(SPARQL condition true for a bad ?value, default message) of a constraint on each value."""
    if component == "class":
        cls = _single_iri([param], where, "sh:class")
        typed = f"{_values('?valueClass', subclasses(cls))} {v.triple('?value', _TYPE, '?valueClass')}"
        return f"NOT EXISTS {{ {typed} }}", f"Value does not have class {short(cls)}"
    if component == "datatype":
        dt = _single_iri([param], where, "sh:datatype")
        ok = f"isLiteral(?value) && sameTerm(DATATYPE(?value), <{dt}>)"
        if dt in _CHECKED_DATATYPES:  # an ill-typed literal ("x"^^xsd:integer) does not cast
            ok += f" && isLiteral(COALESCE(<{dt}>(STR(?value)), <urn:ill-typed>))"
        return f"!({ok})", f"Value is not Literal with datatype {short(dt)}"
    if component == "in":
        ok = " || ".join(f"sameTerm(?value, {_term(m)})" for m in prop.in_list) or "false"
        listed = ", ".join(str(m) if isinstance(m, Literal) else _name(m) for m in prop.in_list)
        return f"!({ok})", f"Value not in list ({listed})"
    if component in ("minInclusive", "maxInclusive"):
        if not isinstance(param, Literal):
            raise UnsupportedShape(f"{where} must be a literal")
        # SHACL: a result unless "$min <= ?value" is true (false, or an error for an incomparable value)
        test = f"{_term(param)} <= ?value" if component == "minInclusive" else f"?value <= {_term(param)}"
        sign = ">=" if component == "minInclusive" else "<="
        return f"!COALESCE({test}, false)", f"Value is not {sign} {param.value}"
    if component == "nodeKind":
        kind = _single_iri([param], where, "sh:nodeKind")
        if not kind.startswith(SH) or kind[len(SH):] not in _NODE_KINDS:
            raise UnsupportedShape(f"{where}: unknown node kind {short(kind)}")
        return f"!{_NODE_KINDS[kind[len(SH):]]}", f"Value is not of Node Kind {short(kind)}"
    raise UnsupportedShape(f"{where}: unsupported")  # load_shapes lets no other component through


def _check(shape: NodeShape, prop: PropertyShape, component: str, param: Term,
           subclasses: Callable[[str], set[str]]) -> Check | None:
    """The query of one constraint; None where the constraint cannot fail (sh:minCount 0, sh:uniqueLang false)."""
    v = _Vars()
    targets = _targets(shape, subclasses, v)
    value_of = v.path("?focus", prop.path, "?value")
    where = f"{prop.name}: sh:{component}"
    if component == "minCount":
        n = _count(param, where)
        if n == 0:
            return None
        if n == 1:
            q = f"SELECT DISTINCT ?focus WHERE {{ {targets} FILTER NOT EXISTS {{ {value_of} }} }}"
        else:
            q = (f"SELECT ?focus WHERE {{ {{ SELECT DISTINCT ?focus WHERE {{ {targets} }} }} "
                 f"OPTIONAL {{ {value_of} }} }} GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) < {n})")
        return Check("sh:minCount", prop, q, f"Less than {n} values of {prop.path_short}")
    if component == "maxCount":
        n = _count(param, where)
        q = (f"SELECT ?focus WHERE {{ {targets} {value_of} }} "
             f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) > {n})")
        return Check("sh:maxCount", prop, q, f"More than {n} values of {prop.path_short}")
    if component == "uniqueLang":
        if not (isinstance(param, Literal) and param.value in ("true", "false", "1", "0")):
            raise UnsupportedShape(f"{where} must be a boolean")
        if param.value in ("false", "0"):
            return None
        # one result for each language tag (case-insensitive) that two values of a focus node share
        q = (f"SELECT ?focus ?lang WHERE {{ {targets} {value_of} FILTER(LANG(?value) != \"\") }} "
             f"GROUP BY ?focus (LCASE(LANG(?value)) AS ?lang) HAVING (COUNT(DISTINCT ?value) > 1)")
        return Check("sh:uniqueLang", prop, q, "More than one String shares the same Language")
    condition, message = _value_test(component, param, prop, where, v, subclasses)
    q = f"SELECT DISTINCT ?focus ?value WHERE {{ {targets} {value_of} FILTER({condition}) }}"
    return Check(f"sh:{component}", prop, q, message, per_value=True)


def compile_checks(shape: NodeShape, subclasses: Callable[[str], set[str]]) -> list[Check]:
    """The queries for every constraint of the shape's property shapes.

    ``subclasses(C)`` is C and every class below it by the data's ``rdfs:subClassOf`` (reflexive, transitive).
    """
    if not (shape.target_classes or shape.target_subjects_of):
        return []  # a shape without targets has no focus nodes
    checks = (_check(shape, prop, component, param, subclasses)
              for prop in shape.properties for component, param in prop.constraints.items())
    return [c for c in checks if c is not None]


# ---------------------------------------------------------------------------- running

def subclass_closure(store: Store) -> Callable[[str], set[str]]:
    """``C -> {C and every class below it}`` from the ``rdfs:subClassOf`` triples of the data graphs."""
    below: dict[str, set[str]] = defaultdict(set)
    q = (f"SELECT DISTINCT ?sub ?super WHERE {{ GRAPH ?g {{ ?sub <{_RDFS}subClassOf> ?super }} "
         f"FILTER(?g != {_NOT_ONTOLOGY} && isIRI(?sub) && isIRI(?super)) }}")
    for row in cast(QuerySolutions, store.query(q)):
        below[cast(NamedNode, row["super"]).value].add(cast(NamedNode, row["sub"]).value)

    def subclasses(cls: str) -> set[str]:
        found, todo = {cls}, [cls]
        while todo:
            for sub in below.get(todo.pop(), ()):
                if sub not in found:
                    found.add(sub)
                    todo.append(sub)
        return found
    return subclasses


def _rows(store: Store, check: Check) -> Iterator[Result]:
    messages = check.prop.messages or (check.message,)
    for row in cast(QuerySolutions, store.query(check.query)):
        focus = cast(Term, row["focus"]).value
        value = cast(Term, row["value"]).value if check.per_value else ""
        for message in messages:
            yield Result(check.prop.severity, focus, check.prop.path_short, message, value)


#: A constraint whose query takes longer (seconds) gets a progress line of its own.
SLOW_CHECK = 5.0


def run(store: Store, shapes: list[NodeShape], progress: Callable[[str], None] | None = None) -> list[Result]:
    """Every validation result of the shapes on the store's data graphs (each result once)."""
    say = progress or (lambda message: None)
    say(f"validating {len(shapes)} shapes…")
    subclasses = subclass_closure(store)
    results: set[Result] = set()
    for i, shape in enumerate(shapes, start=1):
        t0 = time.perf_counter()
        checks = compile_checks(shape, subclasses)
        found: set[Result] = set()
        for check in checks:
            t1 = time.perf_counter()
            found.update(_rows(store, check))
            if time.perf_counter() - t1 > SLOW_CHECK:  # so that a long shape is not silent for long
                say(f"SHACL: {check.prop.name}: {check.component}, {time.perf_counter() - t1:.1f} s")
        results |= found
        say(f"SHACL: shape {i}/{len(shapes)} {shape.name}, {len(checks)} constraints, "
            f"{len(found)} violations, {time.perf_counter() - t0:.1f} s")
    return sorted(results)
