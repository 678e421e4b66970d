"""The derive package (kg/derive/) function by function, and the audit findings that live in it."""
from __future__ import annotations

import pytest

from kg.build import build
from kg.derive import apply_rules, decide
from kg.derive.facts import Tally
from kg.derive.headcounts import figures_used, is_external, makes_nothing
from kg.derive.summary import classes_of, firm_in_area, site_areas
from kg.query import run
from kg.tables import read_tables
from tests.conftest import DATA


@pytest.fixture(scope="module")
def tables():
    return read_tables(DATA)


@pytest.fixture(scope="module", params=["primary", "latest"])
def facts(request, tables):
    return decide(tables, request.param)


def _summary(reading: str) -> dict[str, dict]:
    result = build(reading=reading)
    return {r["areaLabel"]: r for r in run("control-summary", result.store, {}, result.iris).records()}


def test_one_tally_counts_firms_and_jobs_by_control_class():
    t = Tally()
    t.add("abroad", 1800, external=False)
    t.add("germany", 1900, external=True, no_production=True)
    t.add("inside", 200)
    t.add("unknown", None)
    assert (t.firms, t.outside, t.inside, t.unknown, t.with_figure) == (4, 2, 1, 1, 3)
    jobs = (t.jobs, t.jobs_outside, t.jobs_inside, t.jobs_external, t.jobs_no_production)
    assert jobs == (3900, 3700, 200, 1900, 1900)
    assert t.firm_share == pytest.approx(2 / 3) and t.job_share == pytest.approx(3700 / 3900)
    with pytest.raises(ValueError, match="unknown control class"):
        t.add("elsewhere", 1)


def test_a_firm_s_jobs_in_an_area_use_its_own_figure_where_all_its_sites_lie_there(facts):
    where = site_areas(facts, "asml-berlin", "berlin-brandenburg", "berlin")
    assert set(where.values()) == {"berlin"}
    used = figures_used(facts, "asml-berlin", where, "berlin")
    assert used == [facts.headcount["asml-berlin"]]  # not Oberschöneweide's 200 beside it
    f = firm_in_area(facts, "asml-berlin", "berlin-brandenburg", "berlin",
                     classes_of(facts, "asml-berlin", "berlin-brandenburg"))
    assert f is not None and f.jobs == {"primary": 1800, "latest": 1900}[facts.reading]
    assert f.external == (facts.reading == "latest")
    assert firm_in_area(facts, "asml-berlin", "berlin-brandenburg", "brandenburg", f.classes) is None


def test_jobs_external_counts_the_figures_used_not_the_sites_beside_them():
    """Audit: under --reading external ASML's external 1,900 was masked by Oberschöneweide's 200 from
    the brief, and Berlin's jobsExternal showed 746 instead of 2,646."""
    external = _summary("latest")
    assert external["Berlin"]["jobsExternal"] == 746 + 1900
    assert external["Berlin-Brandenburg"]["jobsExternal"] == 746 + 1900 + 1560
    # the brief's reading: B.I.G.'s 260 and Jonas & Redmann's 486 are the only external figures
    assert _summary("primary")["Berlin"]["jobsExternal"] == 746
    assert not is_external([])  # no figure is not an external figure


def test_a_group_figure_is_not_staff_of_a_firm_that_makes_nothing(facts):
    """Audit: B.I.G.'s 260 is the whole group's, and its Lumics and Gefertec produce in Berlin (the
    brief), so it is not counted among the staff of firms that make nothing in Berlin."""
    big = "berlin-industrial-group"
    where = site_areas(facts, big, "berlin-brandenburg", "berlin")
    used = figures_used(facts, big, where, "berlin")
    assert [f.scope for f in used] == ["group"]
    assert not makes_nothing(facts, big, where, "berlin", used)
    # Schindler's 1,000 fitters and Kone's 130 service staff still are
    for firm in ("schindler", "kone"):
        where = site_areas(facts, firm, "berlin-brandenburg", "berlin")
        assert makes_nothing(facts, firm, where, "berlin", figures_used(facts, firm, where, "berlin")), firm


@pytest.mark.parametrize("reading", ["primary", "latest"])
def test_jobs_no_production_is_schindler_s_and_kone_s(reading):
    rows = _summary(reading)
    assert rows["Berlin"]["jobsNoProduction"] == 1000 + 130
    assert rows["Brandenburg"]["jobsNoProduction"] == 0


def test_the_headline_stays_under_the_brief_s_reading(tables):
    facts = apply_rules(tables, "brief")
    region = next(s for s in facts.summaries if s.region == s.area == "berlin-brandenburg")
    t = region.tally
    assert (t.firms, t.outside, t.jobs, t.jobs_outside) == (31, 12, 10456, 8960)
    assert round(100 * t.job_share, 1) == 85.7
    assert facts.default_region == "berlin-brandenburg"


def test_outside_areas_are_judged_from_operating_sites_only(facts):
    # Siemens Energy: a head-office entry in Berlin and a registered seat in München; only the
    # Moabit plant operates, so only its places are areas it can be run from outside of
    areas = facts.outside_areas.get("siemens-energy", [])
    if facts.reading == "primary":
        assert {"berlin", "berlin-brandenburg"} <= set(areas)
    else:
        assert "berlin" not in areas and "berlin-brandenburg" not in areas
    assert "muenchen" not in areas  # the registered seat is not an operating site


def _definition_rows(store, query) -> set[tuple[str, ...]]:
    from kg.query import select_terms

    return {tuple(row) for row in select_terms(store, query)}


def _edge_cases():
    """A store with what the joins must get right: a site of two firms in a place of two Länder, a company that is
    two kinds of group and runs itself, a firm that runs itself and is no group, a flag on a blank node, a
    head-count of a firm and of its site."""
    from pyoxigraph import BlankNode, NamedNode, Quad, Store

    from kg.namespaces import BBMB, ORG, RDF, SCHEMA

    x = {name: NamedNode(f"http://x/{name}") for name in ("f1", "f2", "g", "s", "p", "l1", "l2", "a", "h1", "h2",
                                                          "e", "flag", "tie")}
    g = NamedNode("http://x/graph")
    triples = [(x["f1"], RDF.type, ORG.Organization), (x["f2"], RDF.type, ORG.Organization),
               (x["f1"], ORG.hasSite, x["s"]), (x["f2"], ORG.hasSite, x["s"]), (x["s"], ORG.siteOf, x["f1"]),
               (x["s"], ORG.siteOf, x["f2"]), (x["s"], SCHEMA.containedInPlace, x["p"]),
               (x["p"], BBMB.inLand, x["l1"]), (x["p"], BBMB.inLand, x["l2"]), (x["p"], BBMB.within, x["a"]),
               (x["f1"], BBMB.controlledBy, x["g"]), (x["f1"], BBMB.controlledBy, x["f1"]),
               (x["f2"], BBMB.controlledBy, x["f2"]),
               (x["f2"], RDF.type, BBMB.Holding), (x["f2"], RDF.type, BBMB.Foundation),
               (x["f1"], SCHEMA.numberOfEmployees, x["h1"]), (x["s"], SCHEMA.numberOfEmployees, x["h2"]),
               (x["e"], BBMB.concerns, x["s"]), (BlankNode("b"), BBMB.flags, x["f1"]), (x["flag"], BBMB.flags, x["s"]),
               (x["tie"], BBMB.hasMember, x["f1"]), (x["e"], BBMB.about, x["f2"]), (x["g"], BBMB.child, x["f1"])]
    store = Store()
    store.extend(Quad(s, p, o, g) for s, p, o in triples)
    return store


def _assert_joined_as_defined(store) -> tuple[int, int]:
    from kg.derive.materialised import GROUP_SITES, PROFILE, _columns, group_site_rows, profile_pairs

    columns = _columns(store)
    pairs = list(profile_pairs(columns))
    assert len(pairs) == len(set(pairs)) and set(pairs) == _definition_rows(store, PROFILE)
    groups = set(group_site_rows(columns))
    assert groups == _definition_rows(store, GROUP_SITES)
    return len(pairs), len(groups)


def test_the_profiles_and_groups_joined_from_columns_are_their_definitions_rows(region_store):
    """The build joins PROFILE and GROUP_SITES from their patterns' columns (kg/derive/materialised.py): the same
    rows as the engine gives for their SPARQL definitions."""
    pairs, groups = _assert_joined_as_defined(region_store)
    assert pairs > 100 and groups > 10  # real rows compared, not empty answers


def test_the_joins_from_columns_get_the_edge_cases_right():
    # f1 run by g, f2 by itself (a group), each site in two Länder; f1 by itself is no group's row
    assert _assert_joined_as_defined(_edge_cases()) == (17, 4)


def test_the_listings_joined_from_columns_get_the_edge_cases_right():
    """A site that is also run by a controller (both of firm-facts' kinds), a site of two firms in a place of two
    Länder, a label in another language: the listings' joins give their definitions' rows."""
    from pyoxigraph import Literal, NamedNode, Quad

    from kg.namespaces import BBMB, ORG, RDF, RDFS

    store = _edge_cases()
    x = {name: NamedNode(f"http://x/{name}") for name in ("f1", "g", "s", "l1", "l2", "a")}
    g = NamedNode("http://x/graph")
    store.extend(Quad(s, p, o, g) for s, p, o in [
        (x["s"], RDF.type, ORG.Site), (x["s"], RDF.type, BBMB.OperatingSite), (x["s"], BBMB.employees, Literal(5)),
        (x["s"], BBMB.controlledBy, x["g"]), (x["g"], RDFS.label, Literal("Gruppe", language="de")),
        (x["s"], RDFS.label, Literal("Werk")), (x["s"], RDFS.label, Literal("Plant", language="en")),
        (x["f1"], RDF.type, BBMB.Firm), (x["f1"], RDFS.label, Literal("Firm one")),
        (x["f1"], BBMB.controlledFromOutside, x["a"]), (x["f1"], BBMB.controlPlace, x["l1"]),
        (x["l1"], RDFS.label, Literal("Bavaria", language="en")),
        (x["l2"], RDFS.label, Literal("Hessen", language="de")), (x["l1"], BBMB.inLand, x["l1"])])
    assert min(_assert_listings_as_defined(store)) > 0


def test_the_listings_joined_from_columns_have_their_definitions_rows(region_store):
    """firm-facts, hq-absence and rnd-sites are ordered from their patterns' columns (kg/derive/listings.py): the
    members and sort keys of each are the rows the engine gives for their SPARQL definitions."""
    counts = _assert_listings_as_defined(region_store)
    assert min(counts) > 10  # real rows compared, not empty answers


def _assert_listings_as_defined(store) -> tuple[int, ...]:
    from kg.derive import listings
    from kg.query import select_terms, tsv_value

    def answers(queries):
        return [list(select_terms(store, q)) for q in queries]

    facts = list(listings.firm_facts_members(*answers((listings.CONTROLLERS, listings.LABELS, listings.SITES,
                                                           listings.WITH_EMPLOYEES))))
    assert set(facts) == _definition_rows(store, listings.FIRM_FACTS_MEMBERS)
    absent = set(listings.hq_absence_members(*answers(listings.HQ_ABSENCE_COLUMNS)))
    assert absent == {(area, site, *map(tsv_value, labels))
                      for area, site, *labels in _definition_rows(store, listings.HQ_ABSENCE_MEMBERS)}
    sites = listings._FirmSites(*answers((listings.SITE_PLACES, listings.SITE_FIRMS, listings.FIRMS, listings.LABELS)))
    members = list(sites.members(_grouped(answers([listings.WITHIN])[0])))
    assert sorted(members) == sorted(_definition_list(store, listings.RND_SITES_MEMBERS))  # with repeats
    keys = set(sites.sort_keys(_grouped(answers([listings.LANDS])[0])))
    assert keys == {(site, *map(tsv_value, labels))
                    for site, *labels in _definition_rows(store, listings.SITE_SORT_KEYS)}
    return len(facts), len(absent), len(members), len(keys)


def _grouped(rows):
    grouped = {}
    for key, value in rows:
        grouped.setdefault(key, []).append(value)
    return grouped


def _definition_list(store, query) -> list[tuple[str, ...]]:
    from kg.query import select_terms

    return [tuple(row) for row in select_terms(store, query)]
