"""Lines held aside (kg.views.lines): what the aggregation reads of them is what it reads of the same lines as
networkx edges, and a page-only full view past its budget draws the page of the whole view."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.build import BuildResult, build
from kg.html import page_data
from kg.views import clusters_view, full_view, line_count, within_budget
from kg.views.budget import _merged
from kg.views.lines import HeldLines, lines_aside

NODES = [f"n{i}" for i in range(8)]
#: Lines as a query states them: repeated (one line, stated in two graphs), self-loops, a pair in two relations.
STATED = st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES), st.sampled_from(["p", "q", "r"])),
                  max_size=60)


def as_edges(lines: list[tuple[str, str, str]]) -> nx.MultiDiGraph[str]:
    """The lines as the full view adds them to its graph when it draws them: edges keyed by relation."""
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    g.add_nodes_from(NODES)
    for u, v, relation in lines:
        g.add_edge(u, v, key=relation, relation=relation)
    return g


@settings(max_examples=300, deadline=None)
@given(lines=STATED, groups=st.lists(st.sampled_from("ABC"), min_size=len(NODES), max_size=len(NODES)))
def test_held_lines_count_degree_and_merge_as_the_edges_of_a_graph_do(lines, groups):
    held, g = HeldLines(NODES, lines), as_edges(lines)
    assert len(held) == len(g.edges)
    assert [held.degree(v) for v in NODES] == [g.degree(v) for v in NODES]
    where = dict(zip(NODES, groups, strict=True))
    # the same pairs, weights and relations, met in the same order (the order the page's lines are drawn in)
    assert list(held.merged(where).items()) == list(_merged(g, True, where).items())


@settings(max_examples=300, deadline=None)
@given(lines=STATED, groups=st.lists(st.sampled_from(["A", "B", "C", "a:1", "a:10"]), min_size=len(NODES),
                                     max_size=len(NODES)))
def test_held_lines_of_an_undirected_graph_merge_as_its_edges_do(lines, groups):
    """Of an undirected graph (the clusters view's): a pair of nodes is one line, whichever way and relation it
    was added in, and a pair of groups is keyed in the order of their names."""
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(NODES)
    for u, v, relation in lines:
        if not g.has_edge(u, v):  # a line's relation is the first added (the view adds each pair once)
            g.add_edge(u, v, relation=relation)
    held = HeldLines(NODES, lines, directed=False)
    assert len(held) == g.number_of_edges()
    assert [held.degree(v) for v in NODES] == [g.degree(v) for v in NODES]
    where = dict(zip(NODES, groups, strict=True))
    assert list(held.merged(where).items()) == list(_merged(g, False, where).items())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> BuildResult:
    """A synthetic economy of 1,000 firms (some 4,000 nodes in the full view), built."""
    from kg.synth import synthesize
    folder: Path = tmp_path_factory.mktemp("synth1000") / "data"
    synthesize(folder, 1000, seed=7)
    return build(folder)


@pytest.fixture(scope="module")
def whole(synthetic) -> nx.MultiDiGraph[str]:
    """The full view as a graph file holds it: every line an edge."""
    return full_view(synthetic.store)


@pytest.mark.parametrize("budget", [50, 2000])
def test_a_page_only_full_view_draws_the_page_of_the_whole_view(synthetic, whole, budget):
    """kg viz without graph files: past the budget the full view holds its lines aside, and its page is the page
    drawn from the whole view (the same nodes, lines, positions, legend and counts)."""
    for_page = full_view(synthetic.store, page_budget=budget)
    assert whole.number_of_nodes() > budget
    assert lines_aside(for_page) is not None and for_page.number_of_edges() == 0
    assert line_count(for_page) == line_count(whole) == whole.number_of_edges() > 0
    assert for_page.graph.keys() - {"lines_aside"} == whole.graph.keys()
    assert all(for_page.graph[k] == v for k, v in whole.graph.items())
    drawn, expected = within_budget(for_page, budget), within_budget(whole, budget)
    assert "lines_aside" not in drawn.graph
    assert page_data(drawn) == page_data(expected)
    assert drawn.graph["aggregated"]["edges"] == whole.number_of_edges()


@pytest.mark.parametrize("budget", [50, 400])
def test_a_page_only_clusters_view_draws_the_page_of_the_whole_view(synthetic, budget):
    """kg viz without graph files: past the budget the clusters view holds its lines (to hubs, between pairs of
    firms) aside, and its page is the page drawn from the whole view, its credit line citing the same sources."""
    whole, for_page = clusters_view(synthetic.store), clusters_view(synthetic.store, page_budget=budget)
    kinds = {d["tie_kinds"] for *_, d in whole.edges(data=True)}
    assert {"hub", "pairs"} <= {"hub" if str(v).startswith("tie:") else "pairs" for _, v in whole.edges()}
    assert len(kinds) > 1 and whole.number_of_nodes() > budget
    assert lines_aside(for_page) is not None and for_page.number_of_edges() == 0
    assert line_count(for_page) == whole.number_of_edges()
    assert for_page.graph.keys() - {"lines_aside"} == whole.graph.keys()
    assert all(for_page.graph[k] == v for k, v in whole.graph.items())
    assert all(for_page.nodes[v] == d for v, d in whole.nodes(data=True)) and list(for_page) == list(whole)
    assert page_data(within_budget(for_page, budget)) == page_data(within_budget(whole, budget))


def test_a_graph_file_holds_every_line_as_a_labelled_edge(synthetic, whole):
    """Without a page budget (a graph file) or within it, the lines are the view's edges, labelled and styled."""
    assert lines_aside(whole) is None
    assert all(d["label"] and d["relation"].endswith(d["label"]) and "viz" in d for *_, d in whole.edges(data=True))
    within = full_view(synthetic.store, page_budget=whole.number_of_nodes())
    assert lines_aside(within) is None and nx.utils.graphs_equal(within, whole)


def test_lines_held_aside_are_never_drawn_as_a_page_within_the_budget(synthetic):
    for_page = full_view(synthetic.store, page_budget=50)
    with pytest.raises(ValueError, match="held aside"):
        within_budget(for_page, for_page.number_of_nodes())


@pytest.mark.parametrize("failing", ["typed", "lines"])
def test_an_error_of_the_full_views_queries_asked_ahead_is_raised_by_the_view(built, monkeypatch, failing):
    """build_views asks the full view's queries in a thread before it reads the catalogue (FullQueries): a query
    that fails raises its error where the view reads its rows, as it would asked there."""
    from kg.views import build_views
    from kg.views import full as full_module

    asked = full_module.select_terms

    def select_terms(store, query):
        if query == {"typed": full_module.TYPED_QUERY, "lines": full_module.LINES_QUERY}[failing]:
            raise SyntaxError("the engine's error")
        return asked(store, query)

    monkeypatch.setattr(full_module, "select_terms", select_terms)
    with pytest.raises(SyntaxError, match="the engine's error"):
        build_views(built.store, ["hq", "full"], page_budget=50)
    with pytest.raises(SyntaxError, match="the engine's error"):
        full_view(built.store)
