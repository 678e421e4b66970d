"""Listings a page at a time: kg.query.run(limit=, offset=) and kg query --limit/--offset."""
from __future__ import annotations

import pytest

from kg.build import build
from kg.cli import main
from kg.namespaces import IRIs
from kg.query import QUERIES_DIR, counted, library, paged, run

LISTINGS = ["firms-by-subsector", "rnd-sites", "hq-absence", "multi-site-groups", "firm-facts", "cluster-links",
            "quality-flags"]


@pytest.fixture(scope="module")
def store():
    return build().store


@pytest.mark.parametrize("name", LISTINGS)
def test_pages_add_up_to_the_whole_answer_in_its_order(store, name):
    whole = run(name, store, {}, IRIs())
    assert len(whole) > 4, "a listing with a few rows at least"
    size, rows = 4, []
    for offset in range(0, len(whole) + size, size):
        page = run(name, store, {}, IRIs(), limit=size, offset=offset)
        assert page.total == len(whole) and page.offset == offset
        assert len(page) == max(0, min(size, len(whole) - offset))
        rows += page.rows
    assert rows == whole.rows


def test_a_page_of_a_region_counts_that_region(store):
    whole = run("firms-by-subsector", store, {"region": "brandenburg"}, IRIs())
    page = run("firms-by-subsector", store, {"region": "brandenburg"}, IRIs(), limit=2)
    assert page.total == len(whole) and page.rows == whole.rows[:2]
    assert page.total < len(run("firms-by-subsector", store, {}, IRIs()))


def test_a_query_with_its_own_cap_is_paged_within_it():
    text = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 10"
    assert paged(text, 4, 8).strip().endswith("LIMIT 2 OFFSET 8")
    assert "LIMIT 10" in counted(text) and "ORDER BY" not in counted(text)


def test_every_saved_query_can_be_counted(store):
    for name, query in library(QUERIES_DIR).items():
        params = {"firm": "korsch"} if any(p.name == "firm" for p in query.params) else {}
        page = run(query, store, params, IRIs(), limit=1)
        assert page.total == len(run(query, store, params, IRIs())), name


def test_the_command_says_which_rows_of_how_many(capsys):
    assert main(["query", "firms-by-subsector", "--limit", "3", "--offset", "2", "--format", "csv",
                 "--build", "no-build-here"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 4  # the header and three rows
    assert "firms-by-subsector: rows 3–5 of 31" in captured.err


@pytest.mark.parametrize("args,message", [
    (["--limit", "0"], "--limit must be 1 or more"),
    (["--offset", "5"], "--offset needs --limit"),
    (["--limit", "5", "--offset", "-1"], "--offset 0 or more"),
])
def test_a_wrong_page_is_one_line(capsys, args, message):
    assert main(["query", "firms-by-subsector", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
