"""The GEXF writer writes a view as it is, without copying it first: the file is the one its portable copy gives
(every view, its lines in the same order with the same ends), and what files cannot hold stays out."""
from __future__ import annotations

import io
import math

import networkx as nx
import pytest

from kg.export import HTML_ONLY, GexfExporter, portable
from kg.views import build_views, collection_paused


@pytest.fixture(scope="module")
def views(built):
    return build_views(built.store)


def _gexf(graph: nx.Graph) -> bytes:
    handle = io.BytesIO()
    GexfExporter().dump(graph, handle)
    return handle.getvalue()


@pytest.mark.parametrize("name", ["hq", "clusters", "full"])
def test_the_file_of_a_view_is_the_file_of_its_portable_copy(views, name):
    graph = views[name]
    assert graph.number_of_edges()  # a view with lines: their order and ends are compared too
    assert _gexf(graph) == _gexf(portable(graph))


def test_what_a_file_cannot_hold_is_left_out_and_the_types_are_declared_from_what_it_holds():
    g = nx.Graph()
    # a firm whose head-count is unknown (NaN) on one node: the attribute stays an integer, the NaN is left out
    g.add_node("a", label="A & B", headcount=12, share=0.5, facts=[{"k": "x"}], iri="urn:a", big=2**40, ok=True)
    g.add_node("b", label="B", headcount=math.nan, share=1, members=[["a", "A"]], big=1, ok=False)
    g.add_edge("a", "b", weight=2, label="tie", kinds=("x", "y"))
    text = _gexf(g).decode("utf-8")
    assert _gexf(g) == _gexf(portable(g))
    declared = dict(line.split('title="')[1].split('" type="') for line in text.splitlines() if "<attribute " in line)
    assert {k: v.split('"')[0] for k, v in declared.items()} == {"big": "long", "headcount": "integer",
                                                                 "ok": "boolean", "share": "double"}
    assert not any(key in declared for key in HTML_ONLY | {"kinds", "label"})
    assert 'label="A &amp; B"' in text and "nan" not in text.lower()


def test_the_collector_is_paused_while_views_are_built_and_restored_after():
    import gc

    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_undirected_graph_s_lines_keep_their_order_and_ends_in_the_copy():
    g = nx.Graph()
    g.add_nodes_from("abcd")
    for u, v in [("d", "b"), ("c", "a"), ("b", "b"), ("c", "b"), ("a", "d"), ("b", "a")]:
        g.add_edge(u, v, weight=1)
    assert _gexf(g) == _gexf(portable(g))


def test_a_large_graph_written_by_several_processes_is_the_file_one_process_writes(monkeypatch, tmp_path):
    from kg import export, forked

    g = nx.DiGraph(name="big")
    size = export.FORK_FROM // 2 + 1  # nodes and lines past the size where the writing is forked
    for i in range(size):
        g.add_node(f"n{i}", label=f"node & {i}", type="firm" if i % 3 else "site", headcount=i, share=i / 7,
                   local=bool(i % 2), viz={"color": {"r": i % 256, "g": 0, "b": 0, "a": 1.0}, "size": 8.0,
                                           "position": {"x": float(i), "y": -1.0 * i, "z": 0.0}})
        if i:
            g.add_edge(f"n{i}", f"n{i // 2}", label="subsidiary of", jobs=i, start="2020-01-01")
    forks = []
    fork = forked._fork
    monkeypatch.setattr(forked, "_fork", lambda part, spill: forks.append(fork(part, spill)) or forks[-1])
    files = {}
    for processes in (1, 2, 3):
        monkeypatch.setattr(forked, "cores", lambda processes=processes: processes)
        files[processes] = GexfExporter().write(g, tmp_path / f"{processes}.gexf").read_bytes()
    assert len(forks) == 1 + 2
    assert files[1] == files[2] == files[3]
    assert nx.read_gexf(tmp_path / "3.gexf").number_of_edges() == size - 1
