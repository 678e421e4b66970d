"""The SPARQL SHACL engine (kg.shacl) finds what pySHACL finds: on the real data, on broken data, at scale."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from kg.build import BuildResult, build
from kg.namespaces import BBMB, ONTOLOGY_IRI, ORG, PROV, RDF, RDFS, SCHEMA, SKOS, WGS, XSD
from kg.shacl import UnsupportedShape, load_shapes
from kg.synth import synthesize
from kg.validate import DEFAULT_SHAPES, Violation, validate
from tests.conftest import ONTOLOGY

ID = "https://w3id.org/bbmb/id/"
FIRM = NamedNode(ID + "org/heidelberger-druck")
SITE = NamedNode(ID + "site/heidelberger-brandenburg")
CONCEPT = NamedNode(ID + "wz2008/32.50")
SOURCE = NamedNode(ID + "source/admin")
PLACE = NamedNode(ID + "place/nagoya")
GRAPH = NamedNode(ID + "graph/test-fixture")


def key(v: Violation) -> tuple[str, str, str, str]:
    return (v.severity, v.focus, v.path, v.value)


def both(result: BuildResult, shapes: str | Path = DEFAULT_SHAPES) -> set[tuple[str, str, str, str]]:
    """The violations as (severity, focus, path, value), after checking both engines agree on them."""
    ours = validate(result, shapes)
    reference = validate(result, shapes, engine="pyshacl")
    assert {key(v) for v in ours} == {key(v) for v in reference}
    assert len(ours) == len(set(ours)) and ours == sorted(ours, key=lambda v: (v.origin, v.focus, v.path))
    return {key(v) for v in ours}


def test_real_data_conforms_with_both_engines(built):
    assert validate(built) == [] == validate(built, engine="pyshacl")


def test_progress_names_every_shape_and_slow_constraints(built, monkeypatch):
    lines: list[str] = []
    validate(built, progress=lines.append)
    shapes = len(load_shapes(DEFAULT_SHAPES))
    assert lines[0] == f"validating {shapes} shapes…"  # the stage, before the line of each shape it ran
    assert len(lines) == 1 + shapes and shapes == 21
    assert any(line.startswith("SHACL: shape ") and "bbmb:SiteShape" in line and "violations" in line
               for line in lines)
    monkeypatch.setattr("kg.shacl.SLOW_CHECK", -1.0)  # every constraint is slow: each has its line
    lines.clear()
    validate(built, progress=lines.append)
    assert "SHACL: bbmb:SiteShape, property org:siteOf: sh:maxCount, 0.0 s" in lines


def broken(built: BuildResult, change: Callable[[Store], None]) -> BuildResult:
    """A copy of the built store with ``change`` applied (origins kept)."""
    store = Store()
    store.extend(built.store)
    change(store)
    return BuildResult(store, built.iris, built.origins)


def drop(store: Store, s: NamedNode, p: NamedNode) -> None:
    for q in list(store.quads_for_pattern(s, p, None)):
        store.remove(q)


def add(store: Store, s: NamedNode, p: NamedNode, o: NamedNode | Literal, graph: NamedNode = GRAPH) -> None:
    store.add(Quad(s, p, o, graph))


def _missing_description(store: Store) -> None:
    drop(store, FIRM, SCHEMA.description)


def _two_sites_of(store: Store) -> None:
    add(store, SITE, ORG.siteOf, NamedNode(ID + "org/zf"))


def _wrong_datatype(store: Store) -> None:
    drop(store, FIRM, SCHEMA.foundingDate)
    add(store, FIRM, SCHEMA.foundingDate, Literal("1850", datatype=XSD.integer))
    drop(store, FIRM, RDFS.label)
    add(store, FIRM, RDFS.label, Literal("Heidelberger", language="de"))


def _ill_typed(store: Store) -> None:
    drop(store, FIRM, BBMB.employees)
    add(store, FIRM, BBMB.employees, Literal("many", datatype=XSD.integer))


def _wrong_class(store: Store) -> None:
    add(store, FIRM, ORG.hasSite, PLACE)
    add(store, FIRM, ORG.classification, Literal("32.50"))


def _not_in_list(store: Store) -> None:
    add(store, SITE, BBMB.siteFunction, BBMB.Factory)
    add(store, SITE, BBMB.siteFunction, Literal("Production"))


def _below_minimum(store: Store) -> None:
    drop(store, FIRM, BBMB.employees)
    add(store, FIRM, BBMB.employees, Literal("-5", datatype=XSD.integer))


def _above_maximum(store: Store) -> None:
    drop(store, PLACE, WGS.lat)
    add(store, PLACE, WGS.lat, Literal("91.5", datatype=XSD.decimal))


def _literal_not_iri(store: Store) -> None:
    add(store, SOURCE, SCHEMA.url, Literal("https://example.org/"))


def _duplicate_language(store: Store) -> None:
    add(store, CONCEPT, SKOS.prefLabel, Literal("Medizintechnik", language="DE"))


def _headcount_of_nothing(store: Store) -> None:
    hc = NamedNode(ID + "headcount/orphan")
    add(store, hc, RDF.type, SCHEMA.QuantitativeValue)
    add(store, hc, PROV.wasDerivedFrom, SOURCE)
    add(store, hc, BBMB.approximation, Literal("exact"))
    add(store, hc, SCHEMA.value, Literal("12", datatype=XSD.integer))


def _subclass_in_the_data(store: Store) -> None:
    """A subclass axiom in a data graph makes its instances targets (pySHACL reads the data graph's axioms)."""
    add(store, BBMB.Workshop, RDFS.subClassOf, ORG.Site)
    add(store, NamedNode(ID + "site/workshop"), RDF.type, BBMB.Workshop)


def _subclass_in_the_ontology_only(store: Store) -> None:
    """The ontology graph is not data: its axioms and typed nodes are not seen (as today)."""
    ontology = NamedNode(ONTOLOGY_IRI)
    add(store, BBMB.Workshop, RDFS.subClassOf, ORG.Site, ontology)
    add(store, NamedNode(ID + "site/workshop"), RDF.type, BBMB.Workshop)
    add(store, NamedNode(ID + "site/other"), RDF.type, ORG.Site, ontology)


def _same_triple_in_two_graphs(store: Store) -> None:
    """A triple held in two graphs is one value (no false sh:maxCount)."""
    for q in list(store.quads_for_pattern(SITE, None, None)):
        add(store, q.subject, q.predicate, q.object)


BROKEN: dict[str, tuple[Callable[[Store], None], set[tuple[str, str]]]] = {
    "minCount": (_missing_description, {(FIRM.value, "schema:description")}),
    "maxCount": (_two_sites_of, {(SITE.value, "org:siteOf")}),
    "datatype": (_wrong_datatype, {(FIRM.value, "schema:foundingDate"), (FIRM.value, "rdfs:label")}),
    "ill-typed": (_ill_typed, {(FIRM.value, "bbmb:employees")}),
    "class": (_wrong_class, {(FIRM.value, "org:hasSite"), (FIRM.value, "org:classification")}),
    "in": (_not_in_list, {(SITE.value, "bbmb:siteFunction")}),
    "minInclusive": (_below_minimum, {(FIRM.value, "bbmb:employees")}),
    "maxInclusive": (_above_maximum, {(PLACE.value, "wgs:lat")}),
    "nodeKind": (_literal_not_iri, {(SOURCE.value, "schema:url")}),
    "uniqueLang": (_duplicate_language, {(CONCEPT.value, "skos:prefLabel")}),
    "inversePath": (_headcount_of_nothing, {(ID + "headcount/orphan", "^schema:numberOfEmployees")}),
    "subClassOf": (_subclass_in_the_data, {(ID + "site/workshop", "rdfs:label"),
                                           (ID + "site/workshop", "prov:wasDerivedFrom")}),
    "ontology": (_subclass_in_the_ontology_only, set()),
    "duplicates": (_same_triple_in_two_graphs, set()),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_data_gives_the_same_violations_from_both_engines(built, case):
    change, expected = BROKEN[case]
    found = both(broken(built, change))
    assert {(focus, path) for _, focus, path, _ in found} >= expected
    if not expected:
        assert found == set()
    assert {severity for severity, *_ in found} <= {"Violation"}


def test_values_and_messages(built):
    """A bad value is reported as its lexical form; the shape's sh:message where it has one."""
    result = broken(built, lambda s: (_not_in_list(s), _missing_description(s)))
    ours = validate(result)
    assert {(v.path, v.value) for v in ours} == {
        ("bbmb:siteFunction", BBMB.Factory.value), ("bbmb:siteFunction", "Production"), ("schema:description", "")}
    by_path = {v.path: v for v in ours}
    assert by_path["schema:description"].message == "a firm needs a description of what it does"
    assert "organizations.csv, row " in by_path["schema:description"].origin
    reference = {(v.path, v.value, v.message) for v in validate(result, engine="pyshacl")}
    assert ("schema:description", "", "a firm needs a description of what it does") in reference


UNSUPPORTED = {
    "sh:pattern": "sh:property [ sh:path rdfs:label ; sh:pattern \"^A\" ]",
    "sh:or": "sh:or ( [ sh:class org:Site ] [ sh:class org:Organization ] )",
    "sh:alternativePath": "sh:property [ sh:path [ sh:alternativePath ( rdfs:label rdfs:comment ) ] ; sh:minCount 1 ]",
    "sh:targetNode": "sh:targetNode bbmb:x",
}


@pytest.mark.parametrize("component", UNSUPPORTED)
def test_an_unsupported_component_is_a_clear_error(built, tmp_path, component):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix bbmb: <https://w3id.org/bbmb/def#> .\n"
                      "@prefix org: <http://www.w3.org/ns/org#> . "
                      "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                      f"bbmb:OddShape a sh:NodeShape ; sh:targetClass org:Site ; {UNSUPPORTED[component]} .\n")
    with pytest.raises(UnsupportedShape) as error:
        validate(built, shapes)
    assert "bbmb:OddShape" in str(error.value) and component in str(error.value)


def test_a_sequence_path_is_a_clear_error(built, tmp_path):
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .\n"
                      "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ( ex:p ex:q ) ; "
                      "sh:minCount 1 ] .\n")
    with pytest.raises(UnsupportedShape, match=r"ex:S|urn:ex:S.*sequence path"):
        validate(built, shapes)


def test_invalid_turtle_is_a_data_error(built, tmp_path):
    from kg.tables import DataErrors

    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("this is not turtle")
    for engine in ("sparql", "pyshacl"):
        with pytest.raises(DataErrors, match="is not valid Turtle"):
            validate(built, shapes, engine=engine)


def test_a_synthetic_economy_gives_the_same_result_from_both_engines(tmp_path):
    synthesize(tmp_path / "synth", 2000, seed=1)
    result = build(tmp_path / "synth", ONTOLOGY)
    assert both(result) == set()
    # and broken the same way: a site with a second organisation, a firm without its description
    firm = next(iter(result.store.quads_for_pattern(None, RDF.type, BBMB.Firm))).subject
    site = next(iter(result.store.quads_for_pattern(None, RDF.type, ORG.Site))).subject
    assert isinstance(firm, NamedNode) and isinstance(site, NamedNode)
    drop(result.store, firm, SCHEMA.description)
    add(result.store, site, ORG.siteOf, NamedNode(ID + "org/nobody"))
    found = both(result)
    assert {(focus, path) for _, focus, path, _ in found} == {
        (firm.value, "schema:description"), (site.value, "org:siteOf")}


def test_severity_deactivation_and_shapes_without_targets(built, tmp_path):
    """sh:severity is reported, a deactivated property shape and a shape without targets check nothing."""
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <urn:ex:> .\n"
                      "@prefix org: <http://www.w3.org/ns/org#> . "
                      "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
                      "ex:NoTargets a sh:NodeShape ; sh:property [ sh:path rdfs:label ; sh:minCount 5 ] .\n"
                      "ex:Sites a sh:NodeShape ; sh:targetClass org:Site ;\n"
                      "  sh:property [ sh:path rdfs:label ; sh:minCount 5 ; sh:deactivated true ] ;\n"
                      "  sh:property [ sh:path rdfs:label ; sh:minCount 2 ; sh:severity sh:Warning ] .\n")
    found = both(built, shapes)
    sites = {s["site"] for s in select_sites(built)}
    assert sites and found == {("Warning", site, "rdfs:label", "") for site in sites}


def select_sites(result: BuildResult) -> list[dict[str, str]]:
    from kg.query import select
    return select(result.store, "SELECT DISTINCT ?site WHERE { ?site a org:Site }", lexical=True)
