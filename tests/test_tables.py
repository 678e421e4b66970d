"""The tables' declaration (kg/tables.py): choice lists read from the ontology, and columns the build writes from it."""
from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from kg.build import _cells, _Writer, load_ontology
from kg.model import notations, vocabularies
from kg.namespaces import BBMB, PREFIXES, RDFS, SCHEMA, XSD, IRIs
from kg.tables import SCHEMA as TABLES_SCHEMA
from kg.tables import TABLES, Column, Row, Tables, _check_cell
from tests.conftest import ONTOLOGY


def _scheme(name: str) -> list[str]:
    """The notations of a scheme of ontology/bbmb.ttl, in the file's order, read without kg.model."""
    triples = list(parse(path=str(ONTOLOGY / "bbmb.ttl"), format=RdfFormat.TURTLE))
    members = {t.subject for t in triples if t.object.value.endswith(f"#{name}")
               and t.predicate.value.endswith(("core#inScheme", "rdf-schema#subClassOf"))}
    return [t.object.value for t in triples if t.subject in members and t.predicate.value.endswith("core#notation")]


def _column(table: str, name: str) -> Column:
    return next(c for c in TABLES[table].columns if c.name == name)


def test_choice_lists_are_the_ontology_s_schemes():
    assert _column("sites", "functions").choices == tuple(_scheme("SiteFunctions"))
    assert _column("clusters", "kind").choices == tuple(_scheme("Cluster"))
    assert _column("comparisons", "breakdown").choices == tuple(_scheme("Breakdowns"))
    assert _column("statistics", "breakdown").choices == tuple(n for n in _scheme("Breakdowns") if n != "younger")
    assert _column("datasets", "unit").choices == tuple(n for n in _scheme("Units") if n != "percentage-points")
    assert set(_column("comparisons", "unit").choices) <= set(_scheme("Units"))
    assert notations("SiteFunctions") == tuple(_scheme("SiteFunctions"))


def test_every_scheme_column_maps_to_a_concept_of_the_ontology():
    concepts = vocabularies(load_ontology(ONTOLOGY))
    for table in TABLES_SCHEMA:
        for col in table.columns:
            if col.scheme:
                assert set(col.choices) <= set(concepts[col.scheme]), (table.name, col.name)


def test_a_choice_outside_the_scheme_is_refused_with_the_allowed_list():
    col = _column("sites", "functions")
    errors = _check_cell(TABLES["sites"], col, "production;factory", 3, "sites.csv")
    assert [str(e) for e in errors] == [
        "sites.csv, row 3, field 'functions': 'factory' is not allowed. Allowed: production, service, sales, "
        "representative, rnd, headquarters, registered-seat."]
    with pytest.raises(ValueError, match="not notations"):
        Column("unit", "choice", scheme="Units", choices=("furlongs",))


def test_every_declared_predicate_is_a_known_term():
    defined = {t.subject.value for t in parse(path=str(ONTOLOGY / "bbmb.ttl"), format=RdfFormat.TURTLE)}
    for table in TABLES_SCHEMA:
        for col in table.columns:
            for curie in (col.predicate,) if isinstance(col.predicate, str) else col.predicate:
                if not curie:
                    continue
                prefix, _, local = curie.partition(":")
                assert prefix in PREFIXES and local, (table.name, col.name, curie)
                if prefix == "bbmb":
                    assert PREFIXES[prefix] + local in defined, f"{curie} of {table.name}.{col.name} is not in bbmb.ttl"


def test_the_generic_writer_puts_a_cell_into_its_own_source_s_graph():
    iris = IRIs("https://example.org/kg/")
    w = _Writer(iris)
    w.cells = _cells(Tables(Path(".")), iris, vocabularies(load_ontology(ONTOLOGY)))
    row = Row("organizations", 2, {"id": "acme", "name": "Acme", "legal_name": "Acme GmbH",
                                   "legal_name_source": "web-acme", "founded": "1990", "source": "brief-2",
                                   "founded_in": "berlin", "description_de": "Maschinen",
                                   "description_source": "web-desc"})
    s = iris.org("acme")
    w.columns(s, row, row.many("source"))
    quads = {(q.predicate, q.object, q.graph_name) for q in parse(input="".join(w.lines).encode(),
                                                                   format=RdfFormat.N_QUADS)}
    assert quads == {
        (RDFS.label, Literal("Acme"), iris.graph("brief-2")),
        (SCHEMA.name, Literal("Acme"), iris.graph("brief-2")),
        (SCHEMA.legalName, Literal("Acme GmbH"), iris.graph("web-acme")),
        (SCHEMA.foundingDate, Literal("1990", datatype=XSD.gYear), iris.graph("brief-2")),
        (SCHEMA.foundingLocation, iris.place("berlin"), iris.graph("brief-2")),
        (SCHEMA.description, Literal("Maschinen", language="de"), iris.graph("web-desc")),
    }


def test_the_generic_writer_maps_a_notation_to_its_concept():
    iris = IRIs("https://example.org/kg/")
    w = _Writer(iris)
    w.cells = _cells(Tables(Path(".")), iris, vocabularies(load_ontology(ONTOLOGY)))
    row = Row("sites", 2, {"id": "acme-plant", "org": "acme", "name": "Plant", "functions": "production; rnd",
                           "functions_source": "web-plant", "status": "active", "source": "brief-2"})
    w.columns(iris.site("acme-plant"), row, row.many("source"))
    quads = {(q.predicate, q.object, q.graph_name) for q in parse(input="".join(w.lines).encode(),
                                                                   format=RdfFormat.N_QUADS)}
    assert quads == {
        (BBMB.siteFunction, BBMB.Production, iris.graph("web-plant")),
        (BBMB.siteFunction, BBMB.ResearchAndDevelopment, iris.graph("web-plant")),
        (BBMB.status, Literal("active"), iris.graph("brief-2")),
    }
    assert isinstance(BBMB.Production, NamedNode)
