"""The saved questions of the brief, answered from the real data, and ``kg query`` / ``kg queries``.

Each saved query has a test that checks its answer against the brief (names and numbers), plus
tests of what every query must be: self-contained, documented, bound safely.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal
from itertools import combinations

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store, Variable

from kg.build import build
from kg.cli import main
from kg.query import (
    QueryError,
    bind,
    inject_values,
    library,
    load_query,
    parse_assignments,
    resolve,
    run,
    select,
    select_terms,
    select_values,
    term_text,
    tsv_value,
    with_dataset,
)
from kg.results import from_solutions, render
from kg.rules import TIE_PAIR_LIMIT, tie_form
from tests.conftest import DATA, ONTOLOGY, ROOT

QUERIES = library()

#: Parameter values each saved query is exercised with (beyond its defaults).
VARIANTS: dict[str, list[dict[str, str]]] = {
    name: ([{"firm": f} for f in ("asml-berlin", "zf", "korsch", "borsig")] if name == "firm-profile"
           else [{}, {"from": "2019", "to": "2025"}, {"from": "1990-06", "to": "2000-12-31"}] if q.param("from")
           else [{}, {"region": "brandenburg"}, {"region": "berlin"}] if q.param("region") else [{}])
    for name, q in QUERIES.items()
}


@pytest.fixture(scope="module")
def ask(built):
    """Run a saved query on the real data; returns rows as dicts of Python values."""
    return lambda name, **params: run(name, built.store, params, built.iris).records()


def by(rows, key):
    return {r[key]: r for r in rows}


# ---------------------------------------------------------------------------- every query

def test_the_library_has_the_brief_s_questions():
    for name in ("hq-absence", "control-by-land", "control-by-subsector", "decision-centres", "production-focus",
                 "firms-by-subsector", "cluster-links", "multi-site-groups", "rnd-sites", "employment-trend",
                 "order-intake", "qualification-age", "firm-profile", "quality-flags", "establishments"):
        assert name in QUERIES, name


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_is_documented_and_its_columns_are_the_documented_ones(name, built):
    q = QUERIES[name]
    assert q.title and q.answers and q.columns, f"{name}: header needs title, answers and columns"
    for params in VARIANTS[name]:
        result = run(q, built.store, params, built.iris)
        assert len(result) > 0, (name, params)
        for variable in result.variables:
            assert variable in q.columns, f"{name}: column {variable} is not described in the header"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_is_self_contained_sparql(name, built):
    """No predeclared prefixes needed: the file runs unchanged on any SPARQL 1.1 server."""
    q = QUERIES[name]
    bindings = bind(q, VARIANTS[name][0], built.iris)
    solutions = built.store.query(q.text, use_default_graph_as_union=True,
                                  substitutions={Variable(k): v for k, v in bindings.items()} or None)
    assert list(solutions.variables)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_engine_bindings_and_a_values_block_give_the_same_rows(name, built):
    """kg gives parameters as a VALUES block (to the embedded store as to a server); it must mean what the engine's
    own binding (pyoxigraph substitutions) means.  The engine's binding does not reach into a sub-select: there,
    the one a page is taken in gets its VALUES either way."""
    q = QUERIES[name]
    for params in VARIANTS[name]:
        bindings = bind(q, params, built.iris)
        via_values = run(q, built.store, params, built.iris)
        text = inject_values(q.text, bindings, outer=False, in_subselect=q.paged_in_subselect)
        solutions = built.store.query(text, use_default_graph_as_union=True,
                                      substitutions={Variable(k): v for k, v in bindings.items()} or None)
        bound = from_solutions(solutions, solutions.variables)
        assert sorted(map(str, bound.rows)) == sorted(map(str, via_values.rows)), (name, params)


def test_the_data_stays_within_the_depth_the_queries_spell_out(sparql):
    """The queries follow place and parent chains step by step (see the hq-absence header): places
    at most three steps below a country, parents at most three levels."""
    deepest_place = sparql("""SELECT ?p WHERE { ?p a schema:Place ; schema:containedInPlace/schema:containedInPlace/
                              schema:containedInPlace/schema:containedInPlace ?top }""")
    assert deepest_place == [], "a place is nested deeper than the saved queries follow"
    deepest_parent = sparql("""SELECT ?o WHERE { ?o org:subOrganizationOf/org:subOrganizationOf/
                               org:subOrganizationOf/org:subOrganizationOf ?top }""")
    assert deepest_parent == []


# ---------------------------------------------------------------------------- answers against the brief

def test_hq_absence_lists_the_sites_run_from_elsewhere(ask):
    rows = by(ask("hq-absence"), "siteLabel")
    otis = rows["Otis Elektronikwerk Berlin"]
    assert (otis["hqPlaceLabel"], otis["hqLandOrCountry"], otis["siteEmployees"]) == (
        "Farmington, Connecticut", "United States", 330)
    zf = rows["ZF Getriebewerk Brandenburg an der Havel"]
    assert (zf["hqPlaceLabel"], zf["hqLandOrCountry"], zf["hqCountryLabel"], zf["siteEmployees"]) == (
        "Friedrichshafen", "Baden-Württemberg", "Germany", 1600)  # the brief's 1,600, not the external 1,200
    for site in ("ASML Berlin Hauptsitz Britz", "ASML Berlin Oberschöneweide"):
        assert (rows[site]["controllerLabel"], rows[site]["hqPlaceLabel"], rows[site]["hqLandOrCountry"],
                rows[site]["firmEmployees"]) == ("ASML Holding N.V.", "Veldhoven", "Netherlands", 1800)
    assert rows["Heidelberger Druckmaschinen Werk Brandenburg"]["hqLandOrCountry"] == "Baden-Württemberg"
    assert rows["Kone Berlin"]["hqLandOrCountry"] == "Finland"  # the group's HQ (Espoo), not KONE GmbH's Hannover
    firms = {r["firmLabel"] for r in rows.values()}
    for inside in ("KORSCH", "Kjellberg Finsterwalde", "Lumics", "Artes Valve"):
        assert inside not in firms  # HQ in the region, or (Artes Valve) unknown
    # the brief's reading (the default): Siemens Energy's decision centre lies outside (München, Bavaria)
    siemens = rows["Siemens Energy Gasturbinenwerk Berlin"]
    assert (siemens["hqPlaceLabel"], siemens["hqLandOrCountry"], siemens["siteEmployees"]) == (
        "Munich", "Bavaria", 3000)


def test_hq_absence_takes_the_region_as_a_parameter(ask):
    brandenburg = by(ask("hq-absence", region="brandenburg"), "siteLabel")
    assert "ZF Getriebewerk Brandenburg an der Havel" in brandenburg
    assert "Otis Elektronikwerk Berlin" not in brandenburg
    assert {r["region"].rsplit("/", 1)[-1] for r in brandenburg.values()} == {"brandenburg"}
    berlin = by(ask("hq-absence", region="berlin"), "siteLabel")
    assert "Otis Elektronikwerk Berlin" in berlin and "ZF Getriebewerk Brandenburg an der Havel" not in berlin


def test_control_by_land_gives_shares_of_firms_and_employment(ask):
    rows = by(ask("control-by-land"), "landLabel")
    assert set(rows) == {"Berlin", "Brandenburg"}
    berlin, brandenburg = rows["Berlin"], rows["Brandenburg"]
    # Otis 330 + Schindler 1,000 + Kone 130 + GE 500 + ASML 1,800 + BORSIG 200 (the lower of the brief's two)
    # + Siemens Energy 3,000 (the brief: its decision centre lies outside the region)
    assert berlin["employeesOutside"] == 330 + 1000 + 130 + 500 + 1800 + 200 + 3000
    assert (berlin["firmsOutside"], berlin["firmsUnknown"], berlin["reading"]) == (7, 0, "primary")
    assert berlin["shareEmployeesOutside"] == Decimal("86.9")
    # Siemens Energy's group management in Berlin (external source) gives the low end
    assert berlin["shareEmployeesOutsideRange"].startswith("49.5–")
    # ZF 1,600 + Heidelberger Druck 400 of 2,450 (with Kjellberg's 450, run from Finsterwalde)
    assert (brandenburg["employeesOutside"], brandenburg["employees"]) == (2000, 2450)
    assert brandenburg["shareEmployeesOutside"] == Decimal("81.6")


def test_control_summary_states_its_population_range_and_coverage(ask):
    rows = by(ask("control-summary"), "areaLabel")
    assert list(rows)[0] == "Berlin-Brandenburg"  # the region first, then its Länder
    berlin = rows["Berlin"]
    assert (berlin["shareJobsOutside"], berlin["shareJobsOutsideMin"]) == (Decimal("86.9"), Decimal("49.5"))
    assert berlin["shareJobsOutsideMax"] >= berlin["shareJobsOutside"]
    # the figure hinges on Siemens Energy's place of control, and says so with both sources
    assert "Siemens Energy control: Munich" in berlin["hingesOn"]
    assert "or Berlin (ext-siemens-energy-1)" in berlin["hingesOn"]
    # what is counted: firms without a figure count as firms only; external figures and service staff are named
    assert berlin["firmsWithFigure"] < berlin["firms"]
    assert berlin["jobsNoProduction"] >= 1000 + 130  # Schindler's fitters, Kone's service staff
    assert berlin["jobsExternal"] > 0
    # set against the brief's own total for Berlin (7,000 employees subject to social insurance)
    assert berlin["statisticsTotal"] == 7000
    assert berlin["coverage"] == Decimal(round(1000 * berlin["jobs"] / 7000)) / 10
    assert "named firms" in berlin["population"] and "Berlin-Brandenburg" in berlin["population"]


def test_control_by_subsector(ask):
    rows = by(ask("control-by-subsector"), "code")
    lifts = rows["28.22"]  # Otis, Schindler, Kone (Berlin); WOLFFKRAN (outside), Kocks Ardelt (inside)
    assert (lifts["firms"], lifts["firmsOutside"], lifts["employeesOutside"]) == (5, 4, 330 + 1000 + 130)
    assert rows["28.15"]["shareEmployeesOutside"] == 100  # the ZF gearbox plant
    assert rows[""]["subsectorLabel"] == "unclassified"
    # the brief's tool makers are not machine-tool makers: KORSCH's presses and Rabofsky's folding machines are
    # special-purpose machinery (our inference), Werkzeugbau Dunkel is unclassified
    assert "28.4" not in rows
    assert (rows["28.9"]["firms"], rows["28.9"]["firmsInside"], rows["28.9"]["employees"]) == (2, 2, 200)


def test_control_by_subsector_prints_no_figure_where_none_is_known(ask):
    """Hawle, GEA AWP and Artes Valve have no head-count: the valves print no jobs, not 0 jobs."""
    rows = by(ask("control-by-subsector"), "code")
    valves = rows["28.14"]
    assert (valves["firms"], valves["firmsOutside"], valves["shareFirmsOutside"]) == (3, 2, Decimal("66.7"))
    assert (valves["employees"], valves["employeesOutside"], valves["shareEmployeesOutside"]) == (None, None, None)
    assert "3 firms, none with a head-count" in valves["population"]
    for code in ("26.51", "32.50"):  # Schmidt + Haensch, Lumics: no figure either
        assert (rows[code]["employees"], rows[code]["shareEmployeesOutside"]) == (None, None)
    # a known 0 stays 0: Kjellberg's 450 jobs, none run from outside
    assert (rows["28.41"]["employees"], rows["28.41"]["employeesOutside"], rows["28.41"]["shareEmployeesOutside"]) \
        == (450, 0, 0)
    assert (rows["28.11"]["employees"], rows["28.11"]["shareEmployeesOutside"]) == (3500, 100)
    assert all("known jobs" in r["population"] for r in rows.values())


def test_decision_centres_sit_in_baden_wuerttemberg_and_abroad(ask):
    rows = by(ask("decision-centres"), "areaLabel")
    assert (rows["Baden-Württemberg"]["areaKind"], rows["Baden-Württemberg"]["firms"],
            rows["Baden-Württemberg"]["employees"]) == ("Land", 3, 1600 + 400)  # ZF, Heidelberger, WOLFFKRAN
    assert rows["Netherlands"]["employees"] == 1800
    assert (rows["United States"]["firms"], rows["United States"]["employees"]) == (2, 330 + 500)
    assert rows["North Rhine-Westphalia"]["firms"] == 1  # GEA AWP
    # the brief's reading: Siemens Energy run from Bavaria (and, over the sources, 0 to 3,000 jobs)
    assert (rows["Bavaria"]["firms"], rows["Bavaria"]["employees"], rows["Bavaria"]["employeesMin"],
            rows["Bavaria"]["employeesMax"]) == (1, 3000, 0, 3000)
    assert (rows["Netherlands"]["employeesMin"], rows["Netherlands"]["employeesMax"]) == (1800, 1900)
    assert {r["reading"] for r in rows.values()} == {"primary"}
    assert "Berlin" not in rows and "Brandenburg" not in rows


def test_decision_centres_print_no_figure_where_none_is_known(ask):
    """Hawle (Austria) and GEA AWP (North Rhine-Westphalia) have no head-count: no jobs, not 0 jobs."""
    rows = by(ask("decision-centres"), "areaLabel")
    for area in ("Austria", "North Rhine-Westphalia"):
        assert rows[area]["firms"] == 1
        assert (rows[area]["employees"], rows[area]["employeesMin"], rows[area]["employeesMax"]) == (None, None, None)
        assert rows[area]["population"].endswith("1 firm, none with a head-count")
    # a 0 that is known stays 0: under the external source Siemens Energy is run from Berlin
    assert (rows["Bavaria"]["employees"], rows["Bavaria"]["employeesMin"]) == (3000, 0)
    assert rows["Finland"]["population"] == ("known jobs of the regional sites of the named firms with an "
                                             "operating site in Berlin-Brandenburg run from Finland: 1 firm")


def test_the_build_s_count_of_firms_with_a_figure_decides_where_it_states_one():
    """The build states bbmb:firmsWithFigure on each decision centre (Austria: 1 firm, none with a figure), and
    that count (not the jobs being 0) says whether a figure is known: a known 0 prints 0, and no firm with a
    figure prints none."""
    from pyoxigraph import Quad

    from kg.build import build
    from kg.query import select
    result = build()
    with_figure = NamedNode("https://w3id.org/bbmb/def#firmsWithFigure")
    derived = result.iris.graph("derived")
    for area, stated, count in (("austria", 0, 1), ("finland", 1, 0)):
        [obs] = select(result.store,
                       "SELECT ?obs ?area ?region WHERE { ?obs bbmb:controlArea ?area ; bbmb:region ?region }",
                       {"area": result.iris.place(area), "region": result.iris.place("berlin-brandenburg")})
        node = NamedNode(obs["obs"])
        assert [q.object for q in result.store.quads_for_pattern(node, with_figure, None, derived)] == [Literal(stated)]
        result.store.remove(Quad(node, with_figure, Literal(stated), derived))
        result.store.add(Quad(node, with_figure, Literal(count), derived))
    rows = by(run("decision-centres", result.store, {}, result.iris).records(), "areaLabel")
    assert (rows["Austria"]["employees"], rows["Austria"]["employeesMax"]) == (0, 0)
    assert (rows["Finland"]["employees"], rows["North Rhine-Westphalia"]["employees"]) == (None, None)
    assert rows["Switzerland"]["employees"] == 1000


@pytest.mark.parametrize("name", ["control-by-land", "decision-centres", "control-by-subsector"])
def test_a_count_of_jobs_says_what_population_it_counts(name):
    """As control-summary does: the header says the jobs are the known jobs of the named firms' sites, and a
    population column says it on every row."""
    q = QUERIES[name]
    employees = q.columns[q.columns.index("employees"):]
    assert "known jobs" in employees.split(";")[0] and "named firms" in q.columns, q.columns
    assert "population" in q.columns


def test_control_by_land_states_its_population(ask):
    rows = by(ask("control-by-land"), "landLabel")
    assert rows["Berlin"]["population"] == (
        "known jobs of the sites in Berlin of the named firms with an operating site there: 19 firms, "
        "11 of them with a head-count; outside means outside Berlin-Brandenburg")


def test_production_focus_reproduces_figure_5(ask):
    rows = ask("production-focus")
    by_land: dict[str, set[str]] = {}
    for r in rows:
        by_land.setdefault(r["landLabel"], set()).add(r["code"])
    assert by_land == {"Berlin": {"28.22", "28.11", "32.50", "28.25"}, "Brandenburg": {"28.14", "28.22", "28.25"}}
    assert all("Abbildung 5" in r["sourceTitle"] for r in rows)
    assert "Hebezeuge und Fördermittel (Kranbau)" in {r["focusLabel"] for r in rows}


def test_firms_by_subsector_and_land_with_head_counts(ask):
    rows = {(r["landLabel"], r["firmLabel"]): r for r in ask("firms-by-subsector")}
    assert (rows["Brandenburg", "ZF Friedrichshafen"]["code"], rows["Brandenburg", "ZF Friedrichshafen"]["employees"]) \
        == ("28.15", 1600)
    assert rows["Berlin", "BORSIG"]["employees"] == 200  # "200 (or 500, depending on the source)": the lower
    assert rows["Berlin", "Siemens Energy"]["employees"] == 3000  # "über 3.000" at the Moabit plant
    assert rows["Berlin", "BerlinerLuft. Technik"]["employees"] is None  # "mehrere hundert": no number
    assert rows["Brandenburg", "Kjellberg Finsterwalde"]["employees"] == 450


def test_cluster_links_include_the_big_holding(ask):
    rows = ask("cluster-links")
    holding = {frozenset((r["firmALabel"], r["firmBLabel"])) for r in rows
               if r["link"] == "holding" and r["viaLabel"] == "Berlin Industrial Group"}
    # the holding's three firms with each other and with the holding itself (a firm of the brief too),
    # the same ties the clusters view draws (kg.rules.firm_ties)
    members = ("Berlin Industrial Group", "Lumics", "Scansonic", "Gefertec")
    assert holding == {frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1:]}
    same_place = {frozenset((r["firmALabel"], r["firmBLabel"])) for r in rows if r["link"] == "subsector and place"}
    assert frozenset(("Otis", "Kone (Berlin)")) in same_place  # lifts, both in Berlin
    assert all(r["link"] != "peer-group" for r in rows)  # the big four are not a regional tie
    assert all(str(r["firmA"]) < str(r["firmB"]) for r in rows)  # each pair once
    # no tie of the brief is larger than the holding (4 firms): every tie is listed pair by pair
    assert {r["form"] for r in rows} == {"pairs"} and max(r["members"] for r in rows) == len(members)


def _tie_holders(built) -> dict[str, tuple[str, str, list[str]]]:
    """tie -> its link, via and the firms the build says share it (bbmb:sharesTie)."""
    holders: dict[str, tuple[str, str, list[str]]] = {}
    for r in select(built.store, "SELECT ?tie ?firm ?kind ?via WHERE { ?firm bbmb:sharesTie ?tie . "
                                 "?tie bbmb:tieKind ?kind ; bbmb:via ?via }"):
        holders.setdefault(r["tie"], (r["kind"], r["via"], []))[2].append(r["firm"])
    return holders


def _rows_by_the_rule(built) -> Counter:
    """The (firmA, firmB, link, via) rows kg.rules.tie_form says cluster-links lists: every two firms of a
    small tie, each firm with the tie of a large one."""
    expected: Counter = Counter()
    for tie, (link, via, firms) in _tie_holders(built).items():
        if tie_form(len(firms)) == "pairs":
            expected.update((a, b, link, via) for a, b in combinations(sorted(firms), 2))
        else:
            expected.update((f, tie, link, via) for f in firms)
    return expected


def _listed(result) -> Counter:
    return Counter((r["firmA"], r["firmB"], r["link"], r["via"]) for r in
                   run("cluster-links", result.store, {}, result.iris).records())


def test_cluster_links_are_the_rows_the_rule_says(built):
    assert _listed(built) == _rows_by_the_rule(built)
    rows = run("cluster-links", built.store, {}, built.iris).records()
    members = {(r["link"], r["viaLabel"]): r["members"] for r in rows}
    labels = {r["tie"]: r["label"] for r in select(built.store, "SELECT ?tie ?label WHERE { ?tie rdfs:label ?label }")}
    assert members == {(link, labels[tie]): len(firms) for tie, (link, _, firms) in _tie_holders(built).items()}


def _crowded(tmp_path, n: int):
    """The repo's data with ``n`` more lift makers in Berlin (WZ 28.22, beside Otis, Kone and Schindler)."""
    folder = tmp_path / f"crowded-{n}"
    shutil.copytree(DATA, folder)
    extra = {"organizations.csv": lambda i: {"id": f"lifts-{i}", "name": f"Lifts {i}", "types": "firm",
                                             "source": "brief-berlin"},
             "sites.csv": lambda i: {"id": f"lifts-{i}-berlin", "org": f"lifts-{i}", "name": f"Lifts {i} Berlin",
                                     "functions": "production", "place": "berlin", "status": "active",
                                     "source": "brief-berlin"},
             "classifications.csv": lambda i: {"org": f"lifts-{i}", "code": "28.22", "basis": "stated",
                                               "source": "brief-berlin"}}
    for name, row in extra.items():
        with (folder / name).open(encoding="utf-8", newline="") as f:
            fields = next(csv.reader(f))
        with (folder / name).open("a", encoding="utf-8", newline="") as f:
            csv.DictWriter(f, fields).writerows(row(i) for i in range(n))
    return build(folder, ONTOLOGY)


def test_many_firms_in_one_town_and_subsector_give_a_row_each_not_a_row_a_pair(tmp_path, built):
    berlin = built.iris.place("berlin").value
    lifts_in_berlin = "SELECT ?tie ?code ?town WHERE { ?tie bbmb:tieSubsector ?code ; bbmb:via ?town }"
    where = {"code": built.iris.subsector("28.22"), "town": built.iris.place("berlin")}
    [before] = [firms for tie, (link, via, firms) in _tie_holders(built).items()
                if via == berlin and tie == select(built.store, lifts_in_berlin, where)[0]["tie"]]
    assert len(before) <= TIE_PAIR_LIMIT  # the brief's lift makers in Berlin: listed pair by pair
    listed = {}
    for n in (2 * TIE_PAIR_LIMIT, 4 * TIE_PAIR_LIMIT):
        crowded = _crowded(tmp_path, n)
        rows = _listed(crowded)
        assert rows == _rows_by_the_rule(crowded)
        [hub] = [r["tie"] for r in select(crowded.store, lifts_in_berlin, where)]
        # a row for each firm of the tie, not (n + 3)(n + 2) / 2
        assert sum(1 for r in rows if r[1] == hub) == len(before) + n
        listed[n] = sum(rows.values())
        # in the order of the IRIs as strings (the build's ranks), the same on every engine
        order = [(r["firmA"], r["firmB"]) for r in run("cluster-links", crowded.store, {}, crowded.iris).records()]
        assert order == sorted(order) and all(a < b for a, b in order)
    # the rows grow with the firms added, not with their square
    assert listed[4 * TIE_PAIR_LIMIT] - listed[2 * TIE_PAIR_LIMIT] == 2 * TIE_PAIR_LIMIT


def test_multi_site_groups(ask):
    rows = by(ask("multi-site-groups"), "groupLabel")
    assert rows["ASML Holding N.V."]["sites"] == 2 and rows["ASML Holding N.V."]["hqPlaceLabel"] == "Veldhoven"
    assert rows["Schindler Holding AG"]["sites"] == 2
    assert rows["Kjellberg-Stiftung"]["companies"] == 2
    assert rows["Berlin Industrial Group"]["companies"] == 4  # the holding, Lumics, Scansonic, Gefertec
    assert "ZF Friedrichshafen" not in rows  # one plant only


def test_rnd_sites(ask):
    rows = by(ask("rnd-sites"), "siteLabel")
    assert (rows["KORSCH Berlin"]["rnd"], rows["KORSCH Berlin"]["production"]) == ("yes", "yes")
    zf = rows["ZF Getriebewerk Brandenburg an der Havel"]
    assert (zf["rnd"], zf["firmRndInRegion"]) == ("no", "no")
    assert rows["Schindler Innovationscampus Berlin"]["rnd"] == "yes"
    assert rows["Schindler Dienstleistungszentrum Berlin"]["firmRndInRegion"] == "yes"


def test_employment_trend_reproduces_the_brief(ask):
    rows = {(r["areaLabel"], r["measure"], r["period"]): r for r in ask("employment-trend")}
    assert rows["Berlin-Brandenburg", "employees", "2014"]["value"] == 17100
    assert rows["Berlin-Brandenburg", "employees", "2024"]["value"] == 14700
    assert rows["Berlin-Brandenburg", "change computed (percent)", "2014/2024"]["value"] == -14  # -14.0 %
    brandenburg = rows["Brandenburg", "change stated (percent)", "2014/2024"]
    assert (brandenburg["value"], brandenburg["approximation"]) == (-19, "almost")
    assert rows["Berlin", "change stated (percent)", "2014/2024"]["value"] == -8
    assert rows["Germany", "change stated (percent)", "2014/2024"]["value"] == Decimal("4.3")
    assert rows["Berlin", "employees", "2024"]["value"] == 7000
    assert "Regionaler Grundriss" in rows["Berlin-Brandenburg", "employees", "2014"]["sourceTitle"]


def test_order_intake_reproduces_figure_4(ask):
    rows = by(ask("order-intake"), "areaLabel")
    columns = ("domestic", "foreign", "euroArea", "nonEuroForeign", "total")
    assert tuple(rows["East Germany"][c] for c in columns) == (-14, -20, 2, -27, -19)
    assert tuple(rows["Germany"][c] for c in columns) == (-13, -6, -9, -5, -8)


def test_establishments_by_area_and_year_keep_their_thresholds_apart(ask):
    rows = {(r["areaLabel"], r["period"]): r for r in ask("establishments")}
    assert [rows["Berlin-Brandenburg", year]["value"] for year in ("2019", "2023")] == [158, 142]
    assert "more than 20 employees" in rows["Berlin-Brandenburg", "2023"]["measure"]
    bw = rows["Baden-Württemberg", None]  # the brief states no year, and no size threshold
    assert (bw["value"], bw["approximation"], bw["measure"]) == (
        2000, "almost", "Machine-building establishments (no size threshold stated)")
    assert "Regionaler Grundriss" in bw["sourceTitle"]


def test_order_intake_names_its_source(ask):
    assert {r["sourceTitle"].split(":")[0] for r in ask("order-intake")} == {"prägnant 31, Abbildung 4"}


def test_qualification_and_age_structure(ask):
    rows = {(r["areaLabel"], r["breakdown"]): r["value"] for r in ask("qualification-age")}
    assert rows["Berlin-Brandenburg", "Recognised vocational qualification"] == Decimal("67.7")
    assert rows["Berlin-Brandenburg", "Academic degree"] == Decimal("19.9")
    assert rows["Brandenburg", "Recognised vocational qualification"] == 76
    assert rows["Berlin", "Academic degree"] == Decimal("25.5")
    assert [rows[a, "Aged 55 to 65"] for a in ("Germany", "Berlin", "Brandenburg")] == \
        [Decimal("24.3"), Decimal("27.4"), Decimal("29.4")]


def test_firm_profile_gives_each_fact_with_its_source(ask):
    rows = ask("firm-profile", firm="asml-berlin")
    counts = {(r["value"], r["sourceTitle"]) for r in rows
              if r["property"] in ("https://schema.org/value", "https://schema.org/minValue")}
    assert (1800, "prägnant 31, Allgemeine Strukturmerkmale – Berlin") in counts
    assert (1900, "IHK Berlin, Berliner Wirtschaft 11/2025, S. 37") in counts
    parents = {r["valueLabel"] for r in rows if r["property"] == "http://www.w3.org/ns/org#subOrganizationOf"}
    assert parents == {"ASML Holding N.V."}
    assert any(r["about"].endswith("/flag/asml-headcount-differs") for r in rows)
    assert all(r["source"] and r["sourceTitle"] for r in rows)


def test_quality_flags_include_the_implausible_turnover(ask):
    rows = ask("quality-flags")
    turnover = [r for r in rows if r["flag"].endswith("/turnover-germany-implausible")]
    assert len(turnover) == 1
    assert (turnover[0]["kind"], turnover[0]["subjectValue"]) == ("implausible", 2710000000)
    assert "2.71 billion" in turnover[0]["description"]
    kinds = {(r["kind"], r["subjectLabel"]) for r in rows}
    assert ("contradiction", "BORSIG") in kinds
    assert ("location-mismatch", "Wolffkran Werk") in kinds


# ---------------------------------------------------------------------------- bad input

def test_a_syntax_error_names_line_and_column(tmp_path, built):
    path = tmp_path / "broken.rq"
    path.write_text("# title: broken\nSELECT ?x WHERE {\n  ?x a ?y .\n  ?x <urn:p> \"unterminated .\n}\n",
                    encoding="utf-8")
    with pytest.raises(QueryError, match=r"broken\.rq: SPARQL syntax error at line 4, column 29"):
        run(str(path), built.store)


def test_an_unknown_name_lists_the_queries_there_are(built):
    with pytest.raises(QueryError) as info:
        run("hq-absense", built.store)
    message = str(info.value)
    assert "Did you mean 'hq-absence'" in message and "order-intake" in message and "quality-flags" in message


def test_missing_unknown_and_malformed_parameters_say_which(built):
    with pytest.raises(QueryError, match="parameter 'firm' \\(org\\) is missing"):
        run("firm-profile", built.store)
    with pytest.raises(QueryError, match="unknown parameter 'regoin'.*region \\(place\\)"):
        run("hq-absence", built.store, {"regoin": "berlin"})
    with pytest.raises(QueryError, match="parameter 'region' \\(place\\): 'Berlin Mitte' is not a valid place id"):
        run("hq-absence", built.store, {"region": "Berlin Mitte"})
    with pytest.raises(QueryError, match="--param 'region' is malformed"):
        parse_assignments(["region"])


@pytest.mark.parametrize("value", ['x" } UNION { ?s ?p ?o } #', "a> } ?s ?p ?o {", "}{", "\\\"\n'''"])
def test_a_parameter_value_cannot_change_the_query(tmp_path, built, value):
    path = tmp_path / "by-name.rq"
    path.write_text("# title: firms by name\n# param: name (text): a firm's name\n"
                    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                    "SELECT ?name ?firm WHERE { ?firm rdfs:label ?name }\n", encoding="utf-8")
    # bound by kg (a VALUES block of checked terms): no firm has that name
    assert run(str(path), built.store, {"name": value}).rows == []
    # bound as a VALUES block (as for a server): the value is one literal, the query unchanged
    query = load_query(path)
    text = inject_values(query.text, bind(query, {"name": value}))
    assert text == query.text.replace("WHERE {", "WHERE { VALUES (?name) { (" + term_text(Literal(value)) + ") } ", 1)
    assert list(built.store.query(text, use_default_graph_as_union=True)) == []
    echo = inject_values("SELECT ?name WHERE { }", {"name": Literal(value)})
    assert [s["name"].value for s in built.store.query(echo)] == [value]  # comes back as it went in
    # as an id (place, org, ...) such a value is refused
    with pytest.raises(QueryError, match="is not a valid place id"):
        bind(QUERIES["hq-absence"], {"region": value})


def test_terms_for_a_server_are_checked():
    assert term_text(Literal('say "hi"\n')) == '"say \\"hi\\"\\n"'
    assert term_text(Literal("1600", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer"))) == \
        '"1600"^^<http://www.w3.org/2001/XMLSchema#integer>'


def test_values_and_dataset_go_into_the_outer_where_clause_only():
    text = ('PREFIX x: <http://x/> SELECT ?a (COUNT(*) AS ?n) WHERE { # a { comment\n'
            ' ?a x:p "{ not a group }" . { SELECT ?a WHERE { ?a x:q ?b } } } GROUP BY ?a')
    injected = inject_values(text, {"a": NamedNode("http://x/1")})
    assert injected.index("VALUES (?a) { (<http://x/1>) }") == text.index("{ # a") + 2
    scoped = with_dataset(text, ["http://x/g1"])
    assert scoped.index("FROM <http://x/g1>\nFROM NAMED <http://x/g1>\n") == text.index("WHERE { #")
    assert with_dataset("SELECT * FROM <http://x/own> WHERE { ?s ?p ?o }", ["http://x/g"]) == \
        "SELECT * FROM <http://x/own> WHERE { ?s ?p ?o }"  # a query naming its own dataset keeps it


# ---------------------------------------------------------------------------- kg query, kg queries, DataFrame

def test_kg_queries_lists_names_and_titles(capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    assert "hq-absence" in out and QUERIES["hq-absence"].title in out and "[region=berlin-brandenburg]" in out


def test_kg_query_writes_every_format(capsys, tmp_path):
    outputs = {}
    for fmt in ("table", "csv", "tsv", "sparql-tsv", "json", "markdown", "sparql-json", "sparql-xml"):
        assert main(["query", "order-intake", "--format", fmt]) == 0, fmt
        outputs[fmt] = capsys.readouterr().out
    assert "East Germany" in outputs["table"] and "(2 rows)" in outputs["table"]
    table = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert {r["areaLabel"]: r["total"] for r in table} == {"East Germany": "-19", "Germany": "-8"}
    # tsv prints the values csv prints, tab-separated; sparql-tsv the W3C format's RDF terms
    tsv = [line.split("\t") for line in outputs["tsv"].splitlines()]
    assert list(csv.reader(io.StringIO(outputs["csv"]))) == tsv  # the source titles have commas: csv quotes them
    assert outputs["sparql-tsv"].splitlines()[0].startswith("?area\t?areaLabel")
    assert '"-19"^^<http://www.w3.org/2001/XMLSchema#decimal>' in outputs["sparql-tsv"]
    assert {r["areaLabel"]: r["nonEuroForeign"] for r in json.loads(outputs["json"])} == \
        {"East Germany": -27, "Germany": -5}
    assert outputs["markdown"].startswith("| area | areaLabel |")
    doc = json.loads(outputs["sparql-json"])
    assert doc["head"]["vars"][:2] == ["area", "areaLabel"] and len(doc["results"]["bindings"]) == 2
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    assert len(ET.fromstring(outputs["sparql-xml"]).findall(".//s:result", ns)) == 2
    out = tmp_path / "flags.csv"
    assert main(["query", "quality-flags", "--format", "csv", "--out", str(out)]) == 0
    assert "turnover-germany-implausible" in out.read_text(encoding="utf-8")


def test_kg_query_takes_a_file_inline_text_and_parameters(capsys):
    assert main(["query", str(ROOT / "queries" / "hq-absence.rq"), "--param", "region=berlin", "-f", "csv"]) == 0
    assert "Otis Elektronikwerk Berlin" in capsys.readouterr().out
    assert main(["query", "SELECT ?n WHERE { ?f a bbmb:Firm ; rdfs:label ?n } ORDER BY ?n LIMIT 1", "-f", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "ASML Berlin"]


def test_kg_query_reports_errors_clearly(capsys):
    assert main(["query", "firm-profile", "--param", "firm=no such firm"]) == 2
    assert "parameter 'firm' (org): 'no such firm' is not a valid org id" in capsys.readouterr().err
    assert main(["query", "SELECT * WHERE { ?s ?p }"]) == 2
    assert "line 1, column" in capsys.readouterr().err


def test_one_library_call_gives_rows_or_a_dataframe(built):
    result = resolve("decision-centres")
    frame = run(result, built.store, {"region": "berlin-brandenburg"}).dataframe()
    assert list(frame.columns) == ["region", "area", "areaLabel", "areaKind", "reading", "firms", "employees",
                                   "employeesMin", "employeesMax", "population"]
    assert frame.set_index("areaLabel").loc["Netherlands", "employees"] == 1800
    assert frame["employees"].dtype.kind in "if"
    assert frame.set_index("areaLabel")["employees"].isna().to_dict() == {
        area: area in ("Austria", "North Rhine-Westphalia") for area in frame["areaLabel"]}  # no figure: NaN, not 0


def test_render_rejects_an_unknown_format(built):
    with pytest.raises(ValueError, match="choose one of: table, csv"):
        render(run("order-intake", built.store), "ods")


def test_the_engine_s_tsv_terms_read_as_the_terms_values():
    """kg.query.tsv_value reads a term of the engine's tab-separated answer as the term object's value: escapes
    undone, a number written bare, an unbound value None (the listings' sort keys compare these values)."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    objects = [Literal('quote " backslash \\ tab \t line \n\r\x01\b\f\x7f é 😀'), Literal("Köln", language="de"),
               Literal(""), Literal("5", datatype=NamedNode(xsd + "integer")),
               Literal("1.50", datatype=NamedNode(xsd + "decimal")), Literal("1e3", datatype=NamedNode(xsd + "double")),
               Literal("true", datatype=NamedNode(xsd + "boolean")), Literal("x", datatype=NamedNode("http://e/dt")),
               NamedNode("http://x/a"), BlankNode("b1")]
    store = Store()
    store.extend(Quad(NamedNode("http://x/s"), NamedNode("http://x/p"), o) for o in objects)
    query = "SELECT ?o ?unbound WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?unbound } }"
    by_objects = [(o.value if not isinstance(o, BlankNode) else f"_:{o.value}", None)
                  for o, _ in store.query(query)]
    by_text = [(tsv_value(o), tsv_value(unbound)) for o, unbound in select_terms(store, query)]
    assert by_text == by_objects and len(by_text) == len(objects)
    # the escapes an N-Triples writer may use, though this engine's TSV leaves those characters as they are
    assert tsv_value(r'"\u00e9\U0001F600\b\f\'"@de') == "é😀\b\f'"


def test_lexical_rows_are_the_terms_values_read_from_the_engine_s_text():
    """select(lexical=True) and select_values read the engine's text, not its term objects (the views'
    catalogue reads two million rows so): the same values as the terms', a blank node by its id, and every
    row kept, even one whose only variable is unbound (an empty line of the text) or a query without variables."""
    store = Store()
    objects = [Literal('tab \t line \n é', language="de"), Literal("7", datatype=NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")), NamedNode("http://x/a"), BlankNode("b1")]
    store.extend(Quad(NamedNode("http://x/s"), NamedNode("http://x/p"), o) for o in objects)
    query = "SELECT ?o ?unbound WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?unbound } }"
    by_terms = [{"o": o.value, "unbound": None} for o, _ in store.query(query)]
    assert select(store, query, lexical=True) == by_terms and len(by_terms) == len(objects)
    assert select_values(store, query) == [(r["o"], r["unbound"]) for r in by_terms]
    assert select(store, "SELECT ?x WHERE { }", lexical=True) == [{"x": None}]
    assert select_values(store, "SELECT ?x WHERE { FILTER(false) }") == []
    assert select(store, "SELECT * WHERE { }", lexical=True) == [{}]


# ---------------------------------------------------------------------------- defaults in the query text

def test_tsv_escapes_tabs_and_line_breaks_in_values():
    from kg.results import Result

    r = Result(["note"], [(Literal("a\tb\nc\\d"),)])
    assert render(r, "tsv-values") == "note\na\\tb\\nc\\\\d\n"
    assert render(r, "tsv") == '?note\n"a\\tb\\nc\\\\d"\n'  # the W3C format: an RDF term


@pytest.mark.parametrize("name", [n for n, q in QUERIES.items() if any(p.default for p in q.params)])
def test_the_query_text_alone_gives_the_default_answer(built, name):
    """Posted as it is to any SPARQL client, a saved query answers for its parameters' defaults."""
    query = QUERIES[name]
    assert query.source != query.text and "# default" in query.source
    as_written = from_solutions(*_solutions(built.store, query.source))
    assert len(as_written) > 0
    assert as_written.rows == run(query, built.store, {}, built.iris).rows
    # kg query replaces the default: another region (another first day) gives another answer, not the
    # intersection of both
    param = next(p for p in query.params if p.default)
    other = run(query, built.store, {param.name: {"place": "berlin", "date": "2019"}[param.kind]}, built.iris)
    assert other.rows != as_written.rows


def _solutions(store, text):
    solutions = store.query(text, use_default_graph_as_union=True)
    return solutions, solutions.variables


def test_hq_absence_as_written_gives_the_documented_rows(built):
    rows = from_solutions(*_solutions(built.store, QUERIES["hq-absence"].source)).records()
    assert {r["region"] for r in rows} == {built.iris.place("berlin-brandenburg").value}
    assert len(rows) == len(run("hq-absence", built.store, {"region": "berlin-brandenburg"}, built.iris))


def test_the_default_follows_the_base(tmp_path):
    """A graph built with --base answers the saved queries' defaults under that base."""
    from kg.build import build
    from kg.namespaces import IRIs
    from tests.conftest import DATA, ONTOLOGY

    base = "https://example.org/kg/"
    result = build(DATA, ONTOLOGY, base=base)
    rows = run("hq-absence", result.store, {}, IRIs(base)).records()
    assert rows and {r["region"] for r in rows} == {base + "place/berlin-brandenburg"}


def test_a_default_line_for_no_parameter_is_refused():
    text = "SELECT ?x WHERE {\n  VALUES ?x { <https://example.org/a> }  # default\n  ?x ?p ?o }"
    with pytest.raises(QueryError, match="names no parameter with a default"):
        load_query(None, "inline", text)


# ---------------------------------------------------------------------------- unknown ids

def test_an_unknown_id_is_named_with_the_nearest(built, capsys):
    with pytest.raises(QueryError, match="'berln' is unknown.*Did you mean 'berlin'"):
        run("hq-absence", built.store, {"region": "berln"}, built.iris)
    assert main(["query", "firm-profile", "--param", "firm=zff"]) == 2
    err = capsys.readouterr().err
    assert "'zff' is unknown" in err and "Did you mean 'zf'?" in err and "Traceback" not in err


def test_a_graph_built_with_another_base_names_that_base(tmp_path, capsys):
    base = "https://example.org/kg/"
    assert main(["build", "--base", base, "--out", str(tmp_path), "--formats", "trig", "--no-validate"]) == 0
    capsys.readouterr()
    assert main(["query", "hq-absence", "--graph", str(tmp_path / "kg.trig")]) == 2
    assert f"built with --base {base}" in capsys.readouterr().err
    assert main(["query", "hq-absence", "--graph", str(tmp_path / "kg.trig"), "--base", base, "-f", "csv"]) == 0
    assert base + "place/berlin-brandenburg" in capsys.readouterr().out


@pytest.mark.parametrize("kind,value,message", [
    ("integer", "9" * 500, "more than 100 digits"), ("decimal", "1e1000000", "too large or too small"),
    ("decimal", "1" * 200 + ".5", "more than 100 digits"), ("text", "x" * 5000, "more than the 1,000")])
def test_a_huge_parameter_value_is_refused_at_once(kind, value, message):
    from kg.namespaces import IRIs
    from kg.query import Param
    with pytest.raises(QueryError, match=message):
        Param("n", kind).term(value, IRIs())
