"""kg build: outputs in every format, stable IRIs, one named graph per source."""
from __future__ import annotations

import json
import re

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
    for word in ("firms: 33", "sites:", "parent groups:", "places: 51", "statistical observations: 32", "triples:"):
        assert word in line
    # each count says what it counts: the summaries' 31 firms, the 30 head-office entries among the sites
    assert "firms: 33 (31 in the summaries, 2 without an operating site in a region or Land)" in line
    assert "sites: 64, of which 30 head-office entries" in line
    assert re.search(r"triples: [\d,]+ distinct, in [\d,]+ quads \(each in the graph of its source\)", line)


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


def test_the_build_derives_hierarchies_controllers_and_head_counts_in_their_own_graph(built, sparql):
    """The derived facts the saved queries join on: one graph, described with PROV, rules as documented."""
    g = built.iris.graph("derived").value
    rows = sparql(f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }} GROUP BY ?p")
    assert {r["p"].rsplit("#", 1)[-1] for r in rows} >= {
        "within", "inLand", "inCountry", "controlledBy", "controlPlace", "controlBasis", "employees",
        "employeesBasis", "region", "reading", "hingesOn"}
    assert built.graphs_disjoint  # new properties only: still no triple in two graphs
    org = lambda key: built.iris.org(key).value  # noqa: E731
    place = lambda key: built.iris.place(key).value  # noqa: E731
    # reflexive and transitive; the Land and the country
    within = {r["up"] for r in sparql(f"SELECT ?up WHERE {{ <{place('berlin-moabit')}> bbmb:within ?up }}")}
    assert within == {place(k) for k in ("berlin-moabit", "berlin", "berlin-brandenburg", "germany")}
    assert sparql(f"SELECT ?l ?c WHERE {{ <{place('berlin-moabit')}> bbmb:inLand ?l ; bbmb:inCountry ?c }}") == [
        {"l": place("berlin"), "c": place("germany")}]
    # the topmost parent, or the firm itself; the place of the controller's headquarters
    assert sparql(f"SELECT ?c ?at WHERE {{ <{org('asml-berlin')}> bbmb:controlledBy ?c ; bbmb:controlPlace ?at }}") == [
        {"c": org("asml-holding"), "at": place("veldhoven")}]
    assert sparql(f"SELECT ?c WHERE {{ <{org('zf')}> bbmb:controlledBy ?c }}") == [{"c": org("zf")}]
    # head-counts: of two brief figures the lower one (BORSIG: 200 or 500)
    assert sparql(f"SELECT ?n WHERE {{ <{org('borsig')}> bbmb:employees ?n }}") == [{"n": 200}]
    # the graph says by what and from what it was made
    assert len(sparql(f"SELECT ?b WHERE {{ <{g}> prov:wasGeneratedBy ?b . ?b a prov:Activity }}")) == 1
    derived_from = {r["d"] for r in sparql(f"SELECT ?d WHERE {{ <{g}> prov:wasDerivedFrom ?d }}")}
    assert built.iris.graph("brief-berlin").value in derived_from
