"""kg build: outputs in every format, stable IRIs, one named graph per source."""
from __future__ import annotations

import json

import pytest
from rdflib import Dataset, Graph

from kg.build import build
from kg.cli import main
from tests.conftest import DATA, ONTOLOGY


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    assert main(["build", "--out", str(out)]) == 0
    return out


def test_build_writes_every_format_and_they_parse(out, built):
    triples = built.summary()["triples"]
    for name, fmt in (("kg.ttl", "turtle"), ("kg.nt", "nt"), ("kg.jsonld", "json-ld")):
        graph = Graph().parse(out / name, format=fmt)
        assert len(graph) == triples, name
    dataset = Dataset().parse(out / "kg.trig", format="trig")
    assert sum(1 for _ in dataset.quads()) == len(built.store)


def test_trig_has_one_named_graph_per_source(out, built):
    dataset = Dataset().parse(out / "kg.trig", format="trig")
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    base = built.iris.base
    assert base + "graph/brief-berlin" in graphs
    assert base + "graph/ext-asml-2" in graphs
    # the ASML head-count from the IHK lives in the IHK's graph, not in the brief's
    ihk = dataset.graph(dataset.graph(base + "graph/ext-asml-2").identifier)
    values = {int(o) for o in ihk.objects(predicate=None) if getattr(o, "datatype", None)
              and str(o.datatype).endswith("integer")}
    assert 1900 in values


def test_build_prints_a_summary(out, capsys):
    assert main(["build", "--out", str(out)]) == 0
    line = capsys.readouterr().out
    for word in ("firms: 33", "sites:", "groups:", "places: 49", "observations: 32", "triples:"):
        assert word in line


def test_iris_are_stable_readable_and_follow_the_base():
    def named(store):  # the ontology's blank nodes (Data Cube components) differ per parse
        return {q for q in store if not any(type(t).__name__ == "BlankNode" for t in (q.subject, q.object))}

    first, second = named(build(DATA, ONTOLOGY).store), named(build(DATA, ONTOLOGY).store)
    assert first == second and len(first) > 3000
    other = build(DATA, ONTOLOGY, base="https://example.org/kg/").store
    subjects = {q.subject.value for q in other}
    assert "https://example.org/kg/org/asml-berlin" in subjects
    assert "https://example.org/kg/site/otis-berlin" in subjects


def test_jsonld_is_json(out):
    doc = json.loads((out / "kg.jsonld").read_text(encoding="utf-8"))
    assert doc
