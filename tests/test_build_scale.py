"""The fast build and write paths give the same graph as the plain ones."""
from __future__ import annotations

import pytest
from pyoxigraph import Literal, NamedNode, Quad
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.build import build
from kg.store import count_triples, write_rdf
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


def _nquads(store) -> list[str]:
    """The store's quads as N-Quads, sorted; blank nodes (of the ontology: each reading names them anew) as one."""
    import re

    return sorted(re.sub(r"_:[0-9a-f]+", "_:b", str(q)) for q in store)


def test_a_build_into_an_on_disk_store_holds_what_the_build_in_memory_holds(built, tmp_path):
    from pyoxigraph import Store

    on_disk = build(DATA, ONTOLOGY, store=Store(str(tmp_path / "store")))
    assert on_disk.quads_built == len(on_disk.store) == len(built.store)
    assert _nquads(on_disk.store) == _nquads(built.store)
    assert on_disk.graphs_disjoint
    assert on_disk.summary() == built.summary()


def test_a_triple_whose_hash_was_seen_is_written_unless_the_store_holds_it(built, monkeypatch):
    """The build knows the triples it wrote by their hashes: where every triple has the same hash, each is
    still written once, and one that only shares a hash with another is not lost."""
    import importlib

    # the module (the package's name kg.build is the function)
    monkeypatch.setattr(importlib.import_module("kg.build"), "hash", lambda key: 0, raising=False)
    collided = build(DATA, ONTOLOGY)
    assert collided.quads_built == len(collided.store) == len(built.store)
    assert _nquads(collided.store) == _nquads(built.store)


def test_trig_written_graph_by_graph_holds_the_store_as_one_dump_does(tmp_path):
    """kg.trig is dumped a graph at a time on several threads and joined: the same quads as the engine's one dump,
    whatever the graphs hold (the default graph, a graph named by a blank node, an empty graph, a literal with a
    line break and quotes, one blank node in two graphs)."""
    from pyoxigraph import BlankNode, DefaultGraph, RdfFormat, Store, parse

    store = Store()
    shared, graphs = BlankNode("shared"), [NamedNode(f"urn:g{i}") for i in range(5)]
    for i, graph in enumerate([DefaultGraph(), BlankNode("graph"), *graphs]):
        store.add(Quad(NamedNode(f"urn:s{i}"), NamedNode("https://schema.org/name"), Literal(f'"{i}"\nline'), graph))
        store.add(Quad(shared, NamedNode("urn:p"), Literal(str(i), language="de"), graph))
    store.add_graph(NamedNode("urn:empty"))
    write_rdf(store, tmp_path / "out", ["trig"], workers=2)
    text = (tmp_path / "out" / "kg.trig").read_bytes()
    assert text.count(b"@prefix schema: <https://schema.org/> .") == 1  # the prefixes once, at the top
    written = set(parse(text, RdfFormat.TRIG))
    assert written == set(store) == set(parse(store.dump(format=RdfFormat.TRIG), RdfFormat.TRIG))


def test_a_failed_graph_dump_fails_the_trig_and_leaves_the_set_as_it_was(tmp_path, monkeypatch):
    from pyoxigraph import Store

    import kg.store
    from kg.files import OutputError

    store = Store()
    store.add(Quad(NamedNode("urn:s"), NamedNode("urn:p"), Literal("v"), NamedNode("urn:g")))
    write_rdf(store, tmp_path, ["trig"])
    before = (tmp_path / "kg.trig").read_bytes()

    class Failing:
        def __getattr__(self, name):
            return getattr(store, name)

        def dump(self, *args, **kwargs):
            raise OSError(28, "No space left on device")

    with pytest.raises((OSError, OutputError)):
        kg.store.write_rdf(Failing(), tmp_path, ["trig"])
    assert (tmp_path / "kg.trig").read_bytes() == before
    assert not [p for p in tmp_path.rglob(".kg-trig-*")]  # no part left behind
