"""The rules layer (kg/rules.py) on its own: each rule as the outputs rely on it."""
from __future__ import annotations

import itertools
import random

import pytest
from pyoxigraph import RdfFormat, parse

from kg.rules import (OFFICE_FUNCTIONS, ControlCandidate, Figure, Option, choose_control, choose_headcount,
                      control_class, share_range, ultimate_parents)
from tests.conftest import ONTOLOGY


def test_the_office_functions_are_site_functions_of_the_ontology():
    triples = list(parse(path=str(ONTOLOGY / "bbmb.ttl"), format=RdfFormat.TURTLE))
    members = {t.subject for t in triples if t.predicate.value.endswith("core#inScheme")
               and t.object.value.endswith("#SiteFunctions")}
    notations = {t.object.value for t in triples if t.subject in members and t.predicate.value.endswith("#notation")}
    assert OFFICE_FUNCTIONS <= notations


def test_brief_figures_come_first_and_of_two_the_lower():
    borsig = [Figure(500, from_brief=True), Figure(200, from_brief=True)]
    assert choose_headcount(borsig, "brief").low == 200
    zf = [Figure(1600, from_brief=True), Figure(1200, sources=("ext-zf-1",))]
    assert (choose_headcount(zf, "brief").low, choose_headcount(zf, "external").low) == (1600, 1200)
    assert choose_headcount([], "brief") is None


def test_the_external_reading_takes_the_latest_year():
    figures = [Figure(300, year="2020"), Figure(350, year="2024"), Figure(320, from_brief=True)]
    assert choose_headcount(figures, "external").low == 350


def test_a_decision_centre_the_brief_states_wins_under_the_brief_s_reading_only():
    hq = ControlCandidate("berlin", "headquarters", ("ext",))
    stated = ControlCandidate("muenchen", "decision centre", ("brief-struktur",), from_brief=True)
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
