"""The clusters page's headline: the ties ``kg query cluster-links`` lists, counted, and the firms counted."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kg.build import build
from kg.cli import main
from kg.rules import TIE_KINDS
from kg.tables import read_tables
from kg.views import clusters_view, within_budget
from tests.conftest import DATA


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A synthetic economy of 1,000 firms: every kind of tie, some ties past the pair limit (hubs)."""
    from kg.synth import synthesize
    folder = tmp_path_factory.mktemp("synth1000") / "data"
    synthesize(folder, 1000, seed=5)
    return folder


def cluster_links(capsys, data: Path) -> list[dict[str, str]]:
    """The rows ``kg query cluster-links`` prints for ``data``, as CSV."""
    capsys.readouterr()
    assert main(["query", "cluster-links", "--data", str(data), "--format", "csv"]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def tied(rows: list[dict[str, str]]) -> tuple[set[tuple[str, str, str]], set[str]]:
    """The distinct ties of cluster-links' rows (a tie: its kind and what it runs through, with its label, which
    names a subsector's code) and the distinct firms that share one (a hub's rows name the tie in firmB)."""
    ties = {(r["link"], r["via"], r["viaLabel"]) for r in rows}
    firms = {r["firmA"] for r in rows} | {r["firmB"] for r in rows if r["form"] == "pairs"}
    return ties, firms


@pytest.mark.parametrize("which", ["repository", "synthetic"])
def test_the_headline_counts_the_ties_and_firms_cluster_links_lists(capsys, synthetic, which):
    data = DATA if which == "repository" else synthetic
    rows = cluster_links(capsys, data)
    assert 0 < len(rows) < 10_000  # the whole answer, not a capped one
    ties, firms = tied(rows)
    view = clusters_view(build(data).store)
    headline = view.graph["headline"]
    assert (headline["ties"], headline["tiedFirms"]) == (len(ties), len(firms))
    by_link: dict[str, int] = {}
    for link, *_ in ties:
        by_link[link] = by_link.get(link, 0) + 1
    assert {TIE_KINDS[kind]: n for kind, n in headline["byKind"].items()} == by_link
    named = [r for r in read_tables(data)["organizations"] if "firm" in r.many("types")]
    assert headline["firms"] == len(named) and headline["regionalFirms"] == sum(
        1 for _, d in view.nodes(data=True) if d["type"] == "firm")
    sentence = headline["sentences"]["en"]
    untied = len(named) - len(firms)
    assert sentence.startswith(f"{len(ties):,} ties among {len(firms):,} firms: ")
    assert f"; {untied:,} firms share no tie." in sentence and f"the {len(named):,} firms in the data" in sentence
    german = headline["sentences"]["de"]
    assert german.startswith(f"{len(ties):,} Verbindungen zwischen {len(firms):,} Firmen: ".replace(",", "."))
    if which == "synthetic":  # every kind of tie, some of them hubs: the numbers are not the pairs'
        assert len(by_link) == 4 and {r["form"] for r in rows} == {"pairs", "hub"}


def test_the_headline_counts_the_data_not_what_the_node_budget_draws(synthetic):
    """Past the node budget most firms are folded into groups; the headline still counts every tie and firm."""
    view = clusters_view(build(synthetic).store)
    drawn = within_budget(view, 100)
    assert drawn.graph["aggregated"] and drawn.number_of_nodes() <= 100
    assert drawn.graph["headline"] == view.graph["headline"]
    assert view.graph["headline"]["tiedFirms"] > sum(1 for _, d in drawn.nodes(data=True) if d["type"] == "firm")
