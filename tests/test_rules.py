"""The rules layer (kg/rules.py) on its own: each rule as the outputs rely on it."""
from __future__ import annotations

import itertools
import random

import pytest
from pyoxigraph import RdfFormat, parse

from kg.rules import (
    CLUSTER_TIES,
    CONTROL_CLASSES,
    DEFAULT_READING,
    OFFICE_FUNCTIONS,
    READINGS,
    TIE_KINDS,
    ClusterIndex,
    ClusterTie,
    ControlCandidate,
    Figure,
    Option,
    PrimaryReading,
    Reading,
    Tie,
    choose_control,
    choose_headcount,
    control_area,
    control_class,
    control_holder,
    controlled_from_outside,
    covers_group,
    default_region,
    firm_ties,
    get_reading,
    home_region,
    is_inside,
    is_outside,
    makes_nothing_in,
    parent_chain,
    primary_sources,
    register_reading,
    share_range,
    ultimate_parents,
)
from tests.conftest import ONTOLOGY


def test_the_office_functions_are_site_functions_of_the_ontology():
    triples = list(parse(path=str(ONTOLOGY / "bbmb.ttl"), format=RdfFormat.TURTLE))
    members = {t.subject for t in triples if t.predicate.value.endswith("core#inScheme")
               and t.object.value.endswith("#SiteFunctions")}
    notations = {t.object.value for t in triples if t.subject in members and t.predicate.value.endswith("#notation")}
    assert OFFICE_FUNCTIONS <= notations


def test_brief_figures_come_first_and_of_two_the_lower():
    borsig = [Figure(500, primary=True), Figure(200, primary=True)]
    assert choose_headcount(borsig, "brief").low == 200
    zf = [Figure(1600, primary=True), Figure(1200, sources=("ext-zf-1",))]
    assert (choose_headcount(zf, "brief").low, choose_headcount(zf, "external").low) == (1600, 1200)
    assert choose_headcount([], "brief") is None


def test_the_external_reading_takes_the_latest_year():
    figures = [Figure(300, year="2020"), Figure(350, year="2024"), Figure(320, primary=True)]
    assert choose_headcount(figures, "external").low == 350


def test_a_decision_centre_the_brief_states_wins_under_the_brief_s_reading_only():
    hq = ControlCandidate("berlin", "headquarters", ("ext",))
    stated = ControlCandidate("muenchen", "decision centre", ("brief-struktur",), primary=True)
    assert choose_control([stated, hq], "brief") is stated
    assert choose_control([stated, hq], "external") is hq
    assert choose_control([], "brief") is None


def test_control_class_seen_from_a_region():
    ancestors = {"muenchen": ["muenchen", "bayern", "de"], "moabit": ["moabit", "berlin", "bb", "de"],
                 "espoo": ["espoo", "fi"], "bb": ["bb", "de"], "nowhere": ["nowhere"]}
    country = {"muenchen": "de", "moabit": "de", "espoo": "fi", "bb": "de", "nowhere": None}
    assert [control_class(p, "bb", ancestors, country) for p in ("moabit", "muenchen", "espoo", "nowhere", None)] \
        == ["inside", "germany", "abroad", "unknown", "unknown"]


def test_a_parent_cycle_does_not_hang():
    tops = ultimate_parents({"a": "b", "b": "a", "c": ""})
    assert tops["c"] == "c" and tops["a"] in ("a", "b")


@pytest.mark.parametrize("seed", range(30))
def test_share_range_equals_the_extremes_over_every_combination(seed):
    rng = random.Random(seed)
    fixed = Option(rng.randint(0, 50), rng.randint(50, 100))
    choices = []
    for _ in range(rng.randint(1, 5)):
        options = []
        for _ in range(rng.randint(1, 4)):
            whole = rng.randint(0, 40)
            options.append(Option(rng.choice([0, whole]), whole))
        choices.append(options)
    shares = [(fixed.part + sum(o.part for o in combo)) / (fixed.whole + sum(o.whole for o in combo))
              for combo in itertools.product(*choices)]
    low, high = share_range(fixed, choices)
    assert low == pytest.approx(min(shares)) and high == pytest.approx(max(shares))


# ---------------------------------------------------------------------------- readings as registered objects

def test_a_reading_is_a_registered_object_and_an_unknown_one_is_an_error():
    assert {"primary", "latest"} <= set(READINGS) and READINGS[DEFAULT_READING].name == DEFAULT_READING
    assert str(READINGS["primary"]) == READINGS["primary"].description  # what --help and the graph say of it
    with pytest.raises(ValueError, match="unknown reading 'newest'; choose one of: primary"):
        choose_headcount([Figure(1)], "newest")
    with pytest.raises(ValueError, match="unknown reading"):
        choose_control([ControlCandidate("x", "headquarters")], "newest")


def test_the_earlier_reading_names_are_understood_as_the_new_ones():
    figures = [Figure(1800, primary=True), Figure(1900, year="2025")]
    for old, new in (("brief", "primary"), ("external", "latest")):
        assert get_reading(old) is READINGS[new]
        assert choose_headcount(figures, old) == choose_headcount(figures, new)


def test_the_primary_sources_are_the_projects_study_and_its_parts_else_the_study_kinds():
    rows = [("report", "document", ""), ("ch-2", "section", "report"), ("fig-1", "figure", "ch-2"),
            ("other-report", "document", ""), ("register", "register", ""), ("page", "web", "report")]
    assert primary_sources(rows, ["report"]) == {"report", "ch-2", "fig-1", "page"}
    assert primary_sources(rows) == {"report", "ch-2", "fig-1", "other-report"}
    assert primary_sources(rows, ["register"]) == {"register"}
    with pytest.raises(ValueError, match="already registered"):
        register_reading(PrimaryReading())


def test_a_new_reading_decides_through_its_own_methods_never_a_fallback(monkeypatch):
    class Highest(Reading):
        name, description = "highest", "the highest figure of any source"

        def choose_headcount(self, figures):
            return max(figures, key=lambda f: f.low)

        def choose_control(self, candidates):
            return candidates[-1]

    monkeypatch.setitem(READINGS, "highest", Highest())
    borsig = [Figure(500, primary=True), Figure(200, primary=True)]
    assert choose_headcount(borsig, "highest").low == 500
    assert choose_control([ControlCandidate("a", "headquarters"), ControlCandidate("b", "headquarters")],
                          "highest").place == "b"

    class Unfinished(Reading):
        name, description = "unfinished", "says nothing about control"

    monkeypatch.setitem(READINGS, "unfinished", Unfinished())
    with pytest.raises(NotImplementedError):  # a reading that does not decide is an error, not a silent default
        choose_control([ControlCandidate("a", "headquarters")], "unfinished")


# ---------------------------------------------------------------------------- outside, holder, regions, ties

def test_outside_the_region_is_elsewhere_in_the_country_or_abroad_and_nothing_else():
    assert CONTROL_CLASSES == ("inside", "germany", "abroad", "unknown")
    assert [c for c in CONTROL_CLASSES if is_outside(c)] == ["germany", "abroad"]
    assert [c for c in CONTROL_CLASSES if is_inside(c)] == ["inside"]
    with pytest.raises(ValueError, match="unknown control class 'elsewhere'"):
        is_outside("elsewhere")
    anc = {"muenchen": ["muenchen", "bayern", "de"], "moabit": ["moabit", "berlin", "bb", "de"],
           "potsdam": ["potsdam", "brandenburg", "bb", "de"], "bb": ["bb", "de"], "berlin": ["berlin", "bb", "de"],
           "atlantis": ["atlantis"]}
    country = {p: ("de" if "de" in a else None) for p, a in anc.items()}
    assert controlled_from_outside("potsdam", "berlin", anc, country)  # another Land is outside a Land
    assert not controlled_from_outside("potsdam", "bb", anc, country)
    assert not controlled_from_outside("atlantis", "bb", anc, country)  # not known is not outside
    assert control_area("muenchen", "germany", {"muenchen": "bayern"}, country) == ("bayern", "land")
    assert control_area("atlantis", "unknown", {}, country) is None


def test_the_control_holder_is_the_topmost_organisation_with_a_known_place():
    parent = {"kone-berlin": "kone-gmbh", "kone-gmbh": "kone-oyj", "kone-oyj": ""}
    chain = parent_chain("kone-berlin", parent)
    assert chain == ["kone-berlin", "kone-gmbh", "kone-oyj"]
    assert control_holder(chain, {"kone-gmbh", "kone-oyj"}) == "kone-oyj"  # the group's Espoo, not Hannover
    assert control_holder(chain, {"kone-gmbh"}) == "kone-gmbh"
    assert control_holder(chain, set()) is None


def test_home_and_default_region_count_operating_sites_and_break_ties_by_id():
    anc = {"a": ["a", "r1"], "b": ["b", "r2"], "c": ["c", "r2"]}
    assert home_region(["a", "b", "c"], ["r1", "r2"], anc) == "r2"
    assert home_region(["a", "b"], ["r2", "r1"], anc) == "r1"  # equal: the first by id, whatever the order given
    assert home_region(["z"], ["r1"], anc) is None
    assert default_region(["a", "a", "b"], ["r1", "r2"], anc) == "r1"


def test_firm_ties():
    anc = {"adlershof": ["adlershof", "berlin"], "marzahn": ["marzahn", "berlin"], "berlin": ["berlin"]}
    town = {"adlershof": "berlin", "marzahn": "berlin"}
    park = ClusterTie("adlershof-park", "technology-park", place="adlershof")
    peers = ClusterTie("big-four", "peer-group", frozenset({"otis"}))
    holding = ClusterTie("big-holding", "holding", frozenset({"lumics"}), operator="big", place="marzahn")
    # an operating site in the park's place ties the firm to the park; a peer group ties nobody
    in_park = firm_ties(["otis"], False, [], ["adlershof"], town, anc, [park, peers])
    assert in_park == {Tie("technology-park", "adlershof-park")}
    # a holding runs through its operator, and is not joined by a site in its place
    assert firm_ties(["x"], False, [], ["marzahn"], town, anc, [holding]) == set()
    assert firm_ties(["lumics", "big"], False, [], [], town, anc, [holding]) == {Tie("holding", "big")}
    assert firm_ties(["big"], True, [], [], town, anc, []) == {Tie("holding", "big")}  # the parent itself
    # a subsector in the same municipality, whichever district
    assert firm_ties(["k"], False, ["28.4", "28.9"], ["adlershof", "marzahn"], town, anc, []) == {
        Tie("subsector-place", "berlin", "28.4"), Tie("subsector-place", "berlin", "28.9")}
    assert set(TIE_KINDS) == {"subsector-place", "holding", "campus", "technology-park"}


def test_firm_ties_by_the_cluster_index_are_those_of_every_cluster():
    """The index finds a firm's clusters by its id and places; the rule it stands for looks at every cluster."""
    rng = random.Random(7)
    places = [f"p{i}" for i in range(12)]
    anc = {p: [p, f"town{i % 3}"] for i, p in enumerate(places)}
    orgs = [f"o{i}" for i in range(40)]
    clusters = [ClusterTie(f"c{i}", rng.choice(["holding", "campus", "technology-park", "peer-group", "network"]),
                           frozenset(rng.sample(orgs, rng.randint(0, 5))),
                           rng.choice([None, *orgs]), rng.choice([None, *places, "town1"]))
                for i in range(60)]

    def every_cluster(firm: str, within: set[str]) -> set[Tie]:
        ties = set()
        for c in clusters:
            kind = CLUSTER_TIES.get(c.kind)
            by_place = kind not in (None, "holding") and c.place is not None and c.place in within
            if kind is not None and (firm in c.members or firm == c.operator or by_place):
                ties.add(Tie(kind, c.operator if kind == "holding" and c.operator else c.id))
        return ties

    index = ClusterIndex(clusters)
    found = 0
    for firm in orgs:
        sites = rng.sample(places, rng.randint(0, 3))
        within = {a for p in sites for a in anc[p]}
        expected = every_cluster(firm, within)
        assert firm_ties([firm], False, [], sites, {}, anc, index) == expected
        found += len(expected)
    assert found > 40  # the sample ties firms by membership, operator and place


def test_a_group_figure_counts_the_group_s_production():
    assert covers_group(Figure(260, scope="group")) and not covers_group(Figure(1000, scope="Berlin total"))
    assert makes_nothing_in([["rnd"], ["service", "sales"]])
    assert not makes_nothing_in([["rnd"], ["production", "rnd"]])
    assert makes_nothing_in([])
