"""Head-counts: the sources' figures, the one a reading uses, and a firm's jobs in an area."""
from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import product

from ..rules import (
    Figure,
    Reading,
    area_jobs,
    choose_headcount,
    covers_group,
    headcount_candidates,
    home_region,
    is_contested,
    makes_nothing_in,
    parent_chain,
    uses_own_figure,
)
from ..tables import Tables
from .facts import Contested, Facts


def figures_of(tables: Tables, primary: set[str]) -> dict[str, list[Figure]]:
    """subject -> the head-counts its sources give, in the table's order; ``primary``: the primary sources' ids."""
    out: dict[str, list[Figure]] = {}
    for row in tables["headcounts"]:
        numbers = [int(row[c]) for c in ("value", "min", "max") if row[c]]
        if not numbers:
            continue
        sources = tuple(row.many("source"))
        high = int(row["max"]) if row["max"] and row["min"] else None
        out.setdefault(row["subject"], []).append(Figure(
            min(numbers), high, row["year"], sources, any(s in primary for s in sources), row["scope"]))
    return out


def chosen_headcounts(figures: dict[str, list[Figure]], reading: Reading) -> dict[str, Figure]:
    """subject -> the figure the reading uses (:func:`kg.rules.choose_headcount`)."""
    return {s: f for s, fs in figures.items() if (f := choose_headcount(fs, reading))}


def contested_headcounts(figures: dict[str, list[Figure]], headcount: dict[str, Figure]) -> list[Contested]:
    """A contested fact for every subject whose sources give more than one number."""
    out = []
    for subject, fs in figures.items():
        if is_contested(fs):
            alts = tuple((f"{f.low:,}" + (f"–{f.high:,}" if f.high else ""), f.sources) for f in fs)
            out.append(Contested(f"headcount-{subject}", subject, "head-count", alts, f"{headcount[subject].low:,}"))
    return out


def regional_employees(facts: Facts) -> None:
    """The head-count every output uses: a subject's own figure; a firm without one gets the sum of its
    sites' in its home region (:func:`kg.rules.home_region`, :func:`kg.rules.area_jobs`)."""
    facts.employees = {s: f.low for s, f in facts.headcount.items()}
    facts.employees_basis = dict.fromkeys(facts.headcount, "own figure")
    regions = facts.places.of_kind("region")
    ancestors = facts.places.ancestors
    for firm in facts.firms:
        region = home_region([p for _, p, _ in facts.sites_of.get(firm, ())], regions, ancestors)
        if region is None:
            continue
        facts.home_region[firm] = region
        site_jobs = {s: facts.employees.get(s) for s, _, _ in facts.sites_of[firm]}
        site_area = {s: region if region in ancestors.get(p, ()) else "" for s, p, _ in facts.sites_of[firm]}
        n = area_jobs(facts.employees.get(firm), site_jobs, site_area, region)
        if n is not None and firm not in facts.employees:
            facts.employees[firm], facts.employees_basis[firm] = n, "sum of its sites in the region"


def job_options(facts: Facts, firm: str, where: dict[str, str], area: str) -> set[int | None]:
    """The firm's jobs in the area under every combination of its and its sites' candidate figures."""
    subjects = [firm, *where]
    choices = [headcount_candidates(facts.figures[s]) if s in facts.figures else [None] for s in subjects]
    if math.prod(len(c) for c in choices) > 256:  # many contested sites: their joint extremes are enough
        combos: Iterable[tuple[int | None, ...]] = (tuple(c[0] for c in choices), tuple(c[-1] for c in choices))
    else:
        combos = product(*choices)
    out: set[int | None] = set()
    for combo in combos:
        values = dict(zip(subjects, combo, strict=True))
        out.add(area_jobs(values[firm], {s: values[s] for s in where}, where, area))
    return out


def figures_used(facts: Facts, firm: str, where: dict[str, str], area: str) -> list[Figure]:
    """The figures a firm's jobs in ``area`` are made of: its own, or its sites' there (:func:`kg.rules.area_jobs`)."""
    own = facts.headcount.get(firm)
    if own is not None and uses_own_figure(where, area):
        return [own]
    return [f for s, a in where.items() if a == area and (f := facts.headcount.get(s)) is not None]


def is_external(used: list[Figure]) -> bool:
    """True if the jobs rest on other sources' figures only (none from a primary source)."""
    return bool(used) and not any(f.primary for f in used)


def makes_nothing(facts: Facts, firm: str, where: dict[str, str], area: str, used: list[Figure]) -> bool:
    """True if the staff the firm's figure counts in ``area`` work at sites that make nothing: its own
    operating sites there and, for a figure of the whole group (:func:`kg.rules.covers_group`), the
    operating sites there of the organisations it controls."""
    sites = [functions for s, _, functions in facts.sites_of.get(firm, ()) if where.get(s) == area]
    if any(covers_group(f) for f in used):
        for org, own in facts.sites_of.items():
            if org != firm and firm in parent_chain(org, facts.parent):
                sites += [functions for _, p, functions in own if _area_of(facts, p, area)]
    return makes_nothing_in(sites)


def _area_of(facts: Facts, place: str, area: str) -> bool:
    return area in facts.places.ancestors.get(place, ())
