"""One truth: every output shows the head-count and place of control that the rules layer decided.

For every firm and site of the real data and of a 1,000-firm synthetic economy, the figure in
``kg query firm-facts`` (and ``hq-absence``), in the page data of the three views, in the GEXF and in
the GraphML files is the same; the hq page's headline is the rows of ``control-summary``; the sites run
from outside the region are the same in ``hq-absence``, the hq view and its page (and add up to the
summary's firms and jobs run from outside); the ties between firms are the same in ``cluster-links``,
the clusters view and its page, pair by pair or, for a tie of many firms, as a hub.
"""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from kg.build import build
from kg.export import export_graph
from kg.html import page_data
from kg.query import run, select
from kg.rules import TIE_KINDS
from kg.synth import synthesize
from kg.views import Catalog, build_views, control_headline


def _truth(result) -> dict[str, dict]:
    """subject IRI -> the head-count and the place of control (IRI) that kg query prints."""
    rows = run("firm-facts", result.store, {}, result.iris).records()
    return {r["subject"]: {"headcount": r["employees"], "control_place": r["controlPlace"] or None} for r in rows}


def _compare(result, tmp_path: Path) -> int:
    truth = _truth(result)
    catalog = Catalog(result.store)
    views = build_views(result.store)
    checked = 0
    for name, view in views.items():
        files = {fmt: export_graph(view, fmt, tmp_path / f"{name}.{fmt}") for fmt in ("gexf", "graphml")}
        read = {"gexf": nx.read_gexf(files["gexf"]), "graphml": nx.read_graphml(files["graphml"])}
        page = {n["id"]: n for n in page_data(view)["nodes"]}
        for node, data in view.nodes(data=True):
            if data.get("type") not in ("firm", "group", "site") and name != "full":
                continue
            if node not in truth and "headcount" not in data:
                continue  # an organisation or site without a figure, not listed as such
            expected = truth.get(node, {}).get("headcount")
            shown = {"view": data.get("headcount"), "page": page[node].get("info", {}).get("headcount")}
            for fmt, graph in read.items():
                value = graph.nodes[node].get("headcount")
                shown[fmt] = int(value) if value not in (None, "") else None
            assert set(shown.values()) == {expected}, (name, node, expected, shown)
            if data.get("type") in ("firm", "group") and node in truth:
                place = truth[node]["control_place"]
                label = catalog.places[place].label if place else None
                assert data.get("control_place") == label, (name, node, place, data.get("control_place"))
                for fmt, graph in read.items():
                    assert graph.nodes[node].get("control_place") == label, (fmt, node)
            checked += 1
    return checked


def test_every_output_shows_the_same_head_count_and_place_of_control(built, tmp_path):
    assert _compare(built, tmp_path) > 60
    truth = _truth(built)
    # the values the issue found to differ between outputs
    asml, borsig = built.iris.org("asml-berlin").value, built.iris.org("borsig").value
    assert (truth[asml]["headcount"], truth[borsig]["headcount"]) == (1800, 200)
    # hq-absence prints the same figures
    for row in run("hq-absence", built.store, {}, built.iris).records():
        assert row["firmEmployees"] == truth.get(row["firm"], {}).get("headcount")
        assert row["siteEmployees"] == truth.get(row["site"], {}).get("headcount")


def test_the_same_holds_for_a_synthetic_economy_of_1000_firms(tmp_path):
    folder = tmp_path / "synth"
    synthesize(folder, 1000, seed=3)
    result = build(folder)
    assert _compare(result, tmp_path) > 1000


def test_the_hq_headline_is_what_kg_query_prints(built):
    region = built.iris.place("berlin-brandenburg")
    view = build_views(built.store, ["hq"])["hq"]
    headline = page_data(view)["headline"]
    rows = run("control-summary", built.store, {"region": "berlin-brandenburg"}, built.iris).records()
    assert [a["shareJobsOutside"] for a in headline["areas"]] == [str(r["shareJobsOutside"]) for r in rows]
    assert [a["shareJobsOutsideMin"] for a in headline["areas"]] == [str(r["shareJobsOutsideMin"]) for r in rows]
    centres = run("decision-centres", built.store, {}, built.iris).records()
    assert [(c["label"], c["jobs"]) for c in headline["centres"]] == [(r["areaLabel"], r["employees"]) for r in centres]
    assert headline == control_headline(built.store, region.value)


@pytest.mark.parametrize("reading, berlin_share", [("primary", "86.9"), ("latest", "50.1")])
def test_a_reading_changes_every_output_alike(reading, berlin_share, tmp_path):
    result = build(reading=reading)
    rows = {r["areaLabel"]: r for r in run("control-summary", result.store, {}, result.iris).records()}
    assert str(rows["Berlin"]["shareJobsOutside"]) == berlin_share
    assert rows["Berlin"]["reading"] == reading
    # the range is the same whatever the reading: it covers every alternative of the sources
    assert (str(rows["Berlin"]["shareJobsOutsideMin"]), str(rows["Berlin"]["shareJobsOutsideMax"])) == ("49.5", "87.6")
    view = build_views(result.store, ["hq"])["hq"]
    siemens = view.nodes[result.iris.org("siemens-energy").value]
    assert siemens["control"] == ("germany" if reading == "primary" else "inside")
    assert _compare(result, tmp_path) > 60


def test_an_unknown_reading_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown reading 'newest'; choose one of: primary"):
        build(reading="newest")


def test_the_readme_quotes_the_summary_query(built):
    """The README's headline table is what ``kg query control-summary`` prints (the same numbers)."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {r["areaLabel"]: r for r in run("control-summary", built.store, {}, built.iris).records()}
    quoted = {}
    for line in readme.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and cells[0] in rows:
            quoted[cells[0]] = cells
    assert set(quoted) == set(rows)
    for area, cells in quoted.items():
        r = rows[area]
        assert cells[1:4] == [str(r["firms"]), str(r["firmsOutside"]), f"{r['shareFirmsOutside']} %"], area
        assert cells[4] == f"{r['jobs']:,} ({r['firmsWithFigure']} firms)", area
        assert cells[5:8] == [f"{r['jobsOutside']:,}", f"{r['shareJobsOutside']} %",
                              f"{r['shareJobsOutsideMin']}–{r['shareJobsOutsideMax']} %"], area
        assert cells[8] == f"{r['statisticsTotal']:,}", area


# ---------------------------------------------------------------------------- the sites and ties every output lists

def _outside_sites(result, region: str = "berlin-brandenburg") -> dict[str, set[str]]:
    """The sites run from outside the region as hq-absence, the hq view and its page data list them."""
    rows = run("hq-absence", result.store, {"region": region}, result.iris).records()
    view = build_views(result.store, ["hq"], region=result.iris.place(region).value)["hq"]
    page = page_data(view)["nodes"]
    return {"query": {r["site"] for r in rows},
            "view": {n for n, d in view.nodes(data=True) if d["type"] == "site" and d["outside"]},
            "page": {n["id"] for n in page if n["type"] == "site" and n["k"]["outside"]}}


@pytest.mark.parametrize("reading", ["primary", "latest"])
def test_hq_absence_the_hq_page_and_the_summary_count_the_same_sites(reading):
    result = build(reading=reading)
    sites = _outside_sites(result)
    assert sites["query"] == sites["view"] == sites["page"]
    # only operating sites: Siemens Energy's head-office entry (made from the organisations table) is
    # not a regional site run from elsewhere, under any reading
    offices = {result.iris.site(f"siemens-energy-{kind}").value for kind in ("headquarters", "registered-seat")}
    assert not offices & sites["query"]
    # its plant is run from München under the brief's reading, from Berlin under the external one
    assert (result.iris.site("siemens-energy-moabit").value in sites["query"]) == (reading == "primary")
    assert not any(s.endswith(("-headquarters", "-registered-seat")) for s in sites["query"])
    # and the firms and jobs of those sites are the summary's "run from outside"
    rows = run("hq-absence", result.store, {}, result.iris).records()
    firms = {r["firm"]: r["firmEmployees"] for r in rows}
    summary = run("control-summary", result.store, {}, result.iris).records()[0]
    assert len(firms) == summary["firmsOutside"]
    assert sum(n for n in firms.values() if n) == summary["jobsOutside"]


def test_the_same_sites_in_a_synthetic_economy(tmp_path):
    folder = tmp_path / "synth"
    synthesize(folder, 300, seed=5)
    result = build(folder)
    sites = _outside_sites(result)
    assert sites["query"] and sites["query"] == sites["view"] == sites["page"]


def _ties(result) -> dict[str, dict]:
    """pair of firms -> the kinds of tie they share (and how many ties), as cluster-links, the clusters
    view and its page list them."""
    view = build_views(result.store, ["clusters"])["clusters"]
    firms = {n for n, d in view.nodes(data=True) if d["type"] == "firm"}
    assert not any(d["type"] == "tie" for _, d in view.nodes(data=True))  # no hub nodes at this size
    kinds: dict[tuple[str, str], set[str]] = {}
    counted: dict[tuple[str, str], int] = {}
    for r in run("cluster-links", result.store, {}, result.iris).records():
        pair = (r["firmA"], r["firmB"])
        if pair[0] in firms and pair[1] in firms:
            kinds.setdefault(pair, set()).add(r["link"])
            counted[pair] = counted.get(pair, 0) + 1
    shown = {tuple(sorted((a, b))): {TIE_KINDS[k] for k in d["tie_kinds"].split(";")}
             for a, b, d in view.edges(data=True)}
    weights = {tuple(sorted((a, b))): d["weight"] for a, b, d in view.edges(data=True)}
    page = {tuple(sorted((e["from"], e["to"]))): e["info"]["weight"] for e in page_data(view)["edges"]}
    return {"query": kinds, "view": shown, "weights": weights, "page": page, "counted": counted}


def test_cluster_links_and_the_clusters_page_show_the_same_ties(built):
    ties = _ties(built)
    assert ties["query"] == ties["view"]
    assert ties["weights"] == ties["page"] == ties["counted"]  # a line's width: the ties the query lists
    lumics, scansonic = built.iris.org("lumics").value, built.iris.org("scansonic").value
    assert ties["query"][(lumics, scansonic)] == {"holding"}
    otis, kone = built.iris.org("otis").value, built.iris.org("kone").value
    assert ties["query"][tuple(sorted((otis, kone)))] == {"subsector and place"}


def test_a_crowded_synthetic_economy_has_the_same_hubs_and_pairs_in_query_and_view(tmp_path):
    """Past kg.rules.TIE_PAIR_LIMIT firms a tie is a hub: cluster-links lists each firm with it, the
    clusters view draws a hub node linked to each; the smaller ties are pairs in both."""
    folder = tmp_path / "synth"
    synthesize(folder, 300, seed=5)
    result = build(folder)
    view = build_views(result.store, ["clusters"])["clusters"]
    firms = {n for n, d in view.nodes(data=True) if d["type"] == "firm"}
    listed_hubs: dict[str, set[str]] = {}
    listed_pairs: dict[tuple[str, str], set[str]] = {}
    for r in run("cluster-links", result.store, {}, result.iris).records():
        if r["form"] == "hub" and r["firmA"] in firms:
            listed_hubs.setdefault(r["firmB"], set()).add(r["firmA"])
        elif r["form"] == "pairs" and r["firmA"] in firms and r["firmB"] in firms:
            listed_pairs.setdefault((r["firmA"], r["firmB"]), set()).add(r["link"])
    drawn_hubs = sorted((TIE_KINDS[d["tie_kind"]], sorted(view[h])) for h, d in view.nodes(data=True)
                        if d["type"] == "tie")
    assert drawn_hubs, "a 300-firm economy has ties of more firms than the pair limit"
    kinds = {r["tie"]: r["kind"] for r in select(result.store, "SELECT ?tie ?kind WHERE { ?tie bbmb:tieKind ?kind }")}
    assert drawn_hubs == sorted((kinds[tie], sorted(members)) for tie, members in listed_hubs.items())
    drawn_pairs = {tuple(sorted((a, b))): {TIE_KINDS[k] for k in d["tie_kinds"].split(";")}
                   for a, b, d in view.edges(data=True) if a in firms and b in firms}
    assert drawn_pairs == listed_pairs


def test_the_views_take_the_region_the_rules_chose(built):
    from pyoxigraph import Store

    from kg.namespaces import BBMB

    derived = [q for q in built.store if q.predicate == BBMB.defaultRegion]
    assert [q.object.value for q in derived] == [built.iris.place("berlin-brandenburg").value]
    assert Catalog(built.store).region == derived[0].object.value
    # a graph made before the build derived it: the same rule, applied to the graph's operating sites
    older = Store()
    older.extend(q for q in built.store if q.predicate != BBMB.defaultRegion)
    assert Catalog(older).region == derived[0].object.value
