"""The fast build and write paths give the same graph as the plain ones."""
from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.build import build, count_triples
from kg.store import write_rdf
from tests.conftest import DATA, ONTOLOGY

MERGED = (("kg.ttl", "turtle"), ("kg.nt", "nt"), ("kg.jsonld", "json-ld"))


def _graph(path, fmt) -> Graph:
    return Graph().parse(path, format=fmt)


def test_no_triple_is_in_two_graphs(built):
    assert built.graphs_disjoint
    assert count_triples(built.store) == len(built.store)


def test_merged_files_written_graph_by_graph_equal_the_union_query(built, tmp_path):
    write_rdf(built.store, tmp_path / "fast", graphs_disjoint=True)
    write_rdf(built.store, tmp_path / "plain", graphs_disjoint=False, workers=1)
    for name, fmt in MERGED:
        fast = _graph(tmp_path / "fast" / name, fmt)
        assert isomorphic(fast, _graph(tmp_path / "plain" / name, fmt)), name
        assert len(fast) == len(built.store)


@pytest.mark.parametrize("extra", [0, 1])
def test_graphs_disjoint_is_false_once_the_store_changes(extra):
    result = build(DATA, ONTOLOGY)
    assert result.graphs_disjoint
    # the same triple in a second graph: the summary must count it once
    quad = next(iter(result.store))
    result.store.add(Quad(quad.subject, quad.predicate, quad.object, NamedNode("urn:other")))
    for i in range(extra):
        result.store.add(Quad(NamedNode("urn:s"), NamedNode("urn:p"), Literal(str(i)), NamedNode("urn:g")))
    assert not result.graphs_disjoint
    assert result.summary()["triples"] == len(result.store) - 1
