"""The tables' declaration (kg/tables.toml, read by kg/tables.py): choice lists read from the ontology, columns the
build writes from it, IRIs, classes, example rows, the README's list and optional tables."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, parse

from kg.build import _cells, _Writer, load_ontology
from kg.model import notations, vocabularies
from kg.namespaces import BBMB, PREFIXES, RDF, RDFS, SCHEMA, XSD, IRIs
from kg.tables import SCHEMA as TABLES_SCHEMA
from kg.tables import TABLES, Column, DataErrors, Row, Tables, _check_cell, markdown, read_tables
from tests.conftest import ONTOLOGY, ROOT


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


# ----------------------------------------------------------------- one declaration: kg/tables.toml
def test_the_readme_lists_the_tables_as_declared():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- tables:")
    listed = readme[readme.index("\n", start) + 1:readme.index("<!-- /tables -->")]
    assert listed == markdown(), "README's table list is out of date: paste kg.tables.markdown() between the markers"


def test_every_table_and_companion_the_readme_names_is_declared():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files = set(re.findall(r"`(?:data/)?([a-z_]+)\.csv`", readme))
    assert files and files <= {t.name for t in TABLES_SCHEMA}, files - {t.name for t in TABLES_SCHEMA}
    companions = {c.name for t in TABLES_SCHEMA for c in t.columns if c.source_of}
    named = set(re.findall(r"`([a-z_]+_source)`", readme))
    assert named and named <= companions, named - companions


def test_the_declaration_is_consistent():
    keyed = {t.name for t in TABLES_SCHEMA if t.key}
    defined = {t.subject.value for t in parse(path=str(ONTOLOGY / "bbmb.ttl"), format=RdfFormat.TURTLE)}
    kinds = [t.iri for t in TABLES_SCHEMA if t.iri]
    assert len(kinds) == len(set(kinds)), "two tables mint IRIs of the same kind"
    for table in TABLES_SCHEMA:
        names = [c.name for c in table.columns]
        assert len(names) == len(set(names)), table.name
        if table.key:
            assert table.key in names and _column(table.name, table.key).required, table.name
            assert table.noun, f"{table.name}: a keyed table names its key in messages"
        for col in table.columns:
            assert set(col.refs) <= keyed, (table.name, col.name)
            assert set(col.source_of) <= set(names), (table.name, col.name)
        for curie in (*table.classes, *(cls for c in table.columns for _, cls in c.choice_classes)):
            prefix, _, local = curie.partition(":")
            assert prefix in PREFIXES, (table.name, curie)
            if prefix == "bbmb":
                assert PREFIXES[prefix] + local in defined, f"{curie} of {table.name} is not in bbmb.ttl"
        assert table.examples, f"{table.name}: kg init writes an example row of every table"
        for row in table.examples:
            assert set(row) <= set(names), (table.name, set(row) - set(names))


def test_iris_are_minted_by_the_declared_kind():
    iris = IRIs("https://example.org/kg/")
    for table in TABLES_SCHEMA:
        if table.iri:
            assert iris.of(table.name, "k") == NamedNode(f"https://example.org/kg/{table.iri}/k")
    assert (iris.org("a"), iris.site("a"), iris.place("a"), iris.subsector("28"), iris.dataset("a"),
            iris.observation("a"), iris.cluster("a"), iris.source("a")) == tuple(
        iris.of(t, k) for t, k in (("organizations", "a"), ("sites", "a"), ("places", "a"), ("subsectors", "28"),
                                   ("datasets", "a"), ("statistics", "a"), ("clusters", "a"), ("sources", "a")))


def test_a_row_s_entity_gets_the_declared_classes(tmp_path):
    from kg.build import build
    from kg.cli_init import init

    init(tmp_path / "region")
    store = build(tmp_path / "region", ONTOLOGY, base="https://example.org/kg/").store
    iris = IRIs("https://example.org/kg/")
    for table in TABLES_SCHEMA:
        if not (table.key and table.classes):
            continue
        key = table.examples[-1][table.key]
        types = {q.object for q in store.quads_for_pattern(iris.of(table.name, key), RDF.type, None)}
        expected = {NamedNode(PREFIXES[c.partition(":")[0]] + c.partition(":")[2]) for c in table.classes}
        assert expected <= types, (table.name, expected - types)
    firm = {q.object for q in store.quads_for_pattern(iris.org("example-firm"), RDF.type, None)}
    assert BBMB.Firm in firm  # the class its 'types' choice gives it


def test_a_folder_without_an_optional_table_reads_it_as_empty_with_one_note(data_copy):
    optional = [t for t in TABLES_SCHEMA if t.optional]
    assert optional and any(not t.optional for t in TABLES_SCHEMA)
    for table in optional:
        (data_copy / table.file).unlink()
    notes: list[str] = []
    tables = read_tables(data_copy, note=notes.append)
    assert all(tables[t.name] == [] for t in optional) and tables["organizations"]
    assert len(notes) == 1 and "\n" not in notes[0]
    assert all(t.file in notes[0] for t in optional) and "read as empty" in notes[0]


def test_a_folder_without_a_required_table_is_an_error(data_copy):
    required = next(t for t in TABLES_SCHEMA if not t.optional and t.name == "sites")
    (data_copy / required.file).unlink()
    with pytest.raises(DataErrors, match=r"sites\.csv: is missing"):
        read_tables(data_copy, note=pytest.fail)


def test_the_build_notes_a_missing_optional_table_on_stderr(data_copy, tmp_path, capsys):
    from kg.cli import main

    (data_copy / "flags.csv").unlink()
    assert main(["build", "--data", str(data_copy), "--out", str(tmp_path / "out"), "--no-validate"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "flags.csv" in line]
    assert notes == [f"note: {data_copy} has no flags.csv: read as empty (optional; kg init DIR writes every table)"]


def test_a_misspelt_attribute_in_the_declaration_is_named():
    from kg.tables import _column, _table

    with pytest.raises(ValueError, match=r"tables.toml, column 'founded': .*'requried'"):
        _column({"name": "founded", "kind": "year", "requried": True}, {}, {})
    with pytest.raises(ValueError, match=r"tables.toml, table 'firms': .*'colums'"):
        _table({"name": "firms", "colums": []}, {}, {})


@pytest.mark.parametrize("value", ["２８", "28.２"])
def test_a_code_in_other_digits_than_0_to_9_is_refused(value):
    errors = _check_cell(TABLES["subsectors"], _column("subsectors", "code"), value, 4, "subsectors.csv")
    assert [str(e) for e in errors] == [f"subsectors.csv, row 4, field 'code': '{value}' is not a WZ 2008 code. "
                                        "Write codes like '28', '28.2' or '28.22'."]
