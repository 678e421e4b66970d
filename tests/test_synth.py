"""kg synth: a synthetic economy with the shape of a real one, in the format of data/, for a seed."""
from __future__ import annotations

import statistics
from collections import Counter
from pathlib import Path

import pytest

from kg.build import build
from kg.cli import main
from kg.store import RDF_OUTPUTS
from kg.synth import LARGE, synthesize
from kg.tables import SCHEMA, read_tables
from kg.validate import validate
from tests.conftest import DATA, ONTOLOGY

FIRMS = 1000


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    assert main(["synth", "--firms", str(FIRMS), "--out", str(folder), "--seed", "7"]) == 0
    return folder


@pytest.fixture(scope="module")
def tables(synth_dir):
    return read_tables(synth_dir)


def test_every_table_of_data_is_written_with_its_header(synth_dir):
    for table in SCHEMA:
        header = (synth_dir / table.file).read_text(encoding="utf-8").splitlines()[0]
        assert header == (DATA / table.file).read_text(encoding="utf-8-sig").splitlines()[0], table.file


def test_same_seed_same_files_other_seed_other_files(synth_dir, tmp_path):
    synthesize(tmp_path / "again", FIRMS, seed=7)
    synthesize(tmp_path / "other", FIRMS, seed=8)
    for table in SCHEMA:
        mine = (synth_dir / table.file).read_bytes()
        assert (tmp_path / "again" / table.file).read_bytes() == mine, table.file
    assert (tmp_path / "other" / "organizations.csv").read_bytes() != (synth_dir / "organizations.csv").read_bytes()


def test_firm_sizes_are_heavy_tailed(tables):
    sizes = [int(r["value"]) for r in tables["headcounts"] if r["source"] == "synth-survey"]
    assert len(sizes) == FIRMS
    median = statistics.median(sizes)
    assert median < 20  # most firms are small ...
    assert sum(s < 50 for s in sizes) > 0.8 * FIRMS
    assert max(sizes) > 100 * median  # ... a few are very large
    top = sorted(sizes, reverse=True)[: FIRMS // 100]
    assert sum(top) > 0.2 * sum(sizes)  # the largest 1 % employ over a fifth of the staff


def test_groups_own_several_firms_and_some_groups_have_parents(tables):
    orgs = tables.keys("organizations")
    groups = {k for k, r in orgs.items() if "group" in r.many("types")}
    owned = Counter(r["parent"] for r in orgs.values() if r["parent"] and "firm" in r.many("types"))
    assert groups and set(owned) <= groups
    assert max(owned.values()) >= 5
    assert sum(1 for n in owned.values() if n >= 2) >= 5
    assert any(orgs[g]["parent"] for g in groups)  # chains: the ultimate parent is not always the parent


def _in_region(tables, place: str, region: str = "berlin-brandenburg") -> bool:
    places = tables.keys("places")
    todo, seen = [place], set()
    while todo:
        p = todo.pop()
        if p == region:
            return True
        for up in places[p].many("within"):
            if up not in seen:
                seen.add(up)
                todo.append(up)
    return False


def test_large_sites_are_mostly_run_from_outside_the_region(tables):
    orgs = tables.keys("organizations")
    size = {r["subject"]: int(r["value"]) for r in tables["headcounts"] if r["source"] == "synth-survey"}

    def controller(org: str) -> str:
        while orgs[org]["parent"]:
            org = orgs[org]["parent"]
        return org

    hq_place = {r["org"]: r["place"] for r in tables["sites"] if "headquarters" in r.many("functions")}
    hq_place.update({k: r["headquarters"] for k, r in orgs.items() if r["headquarters"]})
    large = [r for r in tables["sites"] if size.get(r["id"], 0) >= LARGE and _in_region(tables, r["place"])]
    assert len(large) >= 5
    outside = [r for r in large if not _in_region(tables, hq_place[controller(r["org"])])]
    assert len(outside) > 0.6 * len(large)


def test_sites_lie_in_real_places_and_every_subsector_is_used(tables):
    real_places = {r["id"] for r in read_tables(DATA, names=("sources", "places"))["places"]}
    site_places = Counter(r["place"] for r in tables["sites"])
    assert set(site_places) <= real_places and len(site_places) >= 15
    assert sum(n for p, n in site_places.items() if _in_region(tables, p)) > 0.5 * len(tables["sites"])
    assert {r["code"] for r in tables["classifications"]} == {r["code"] for r in tables["subsectors"]}


def test_holdings_and_campuses(tables):
    kinds = Counter(r["kind"] for r in tables["clusters"])
    assert kinds["holding"] >= 1 and kinds["campus"] >= 1
    assert len(tables["cluster_members"]) >= 10


def test_it_builds_conforms_and_writes_every_format(synth_dir, tmp_path):
    result = build(synth_dir, ONTOLOGY)
    summary = result.summary()
    assert summary["firms"] == FIRMS
    # about 25 triples a firm of its own, about 20 the build derives for the saved queries (the firm's profile,
    # the areas it is run from outside, the groups-by-area and control cubes) and about 20 for the ranked listings
    # (a rank and a total per row of each listing, so that a page is a bounded scan)
    assert 15 * FIRMS < summary["triples"] < 80 * FIRMS
    assert [v for v in validate(result) if v.severity == "Violation"] == []
    assert main(["build", "--no-validate", "--data", str(synth_dir), "--out", str(tmp_path / "out")]) == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {f for f, _, _ in RDF_OUTPUTS.values()}


def test_a_bad_region_is_a_clear_error(tmp_path, capsys):
    assert main(["synth", "--firms", "10", "--out", str(tmp_path), "--region", "atlantis"]) == 2
    assert "error: region 'atlantis' is not a place" in capsys.readouterr().err
