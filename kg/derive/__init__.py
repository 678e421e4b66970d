"""The rules of :mod:`kg.rules` applied to the tables: the facts every output reads, and their triples.

:func:`apply_rules` decides, for one reading of the contested facts, each organisation's controller
and place of control (:mod:`.control`), each firm's and site's head-count (:mod:`.headcounts`), the
ties between firms (:mod:`.ties`), and the control summary of every region and its Länder with the
range over the contested facts (:mod:`.summary`); :func:`derived_lines` (:mod:`.triples`) writes
those decisions as N-Quads into the graph ``{base}graph/derived``, and :func:`materialised_lines`
(:mod:`.materialised`) and :func:`listing_lines` (:mod:`.listings`) what the saved queries look up per firm
or area.  The build calls them; nothing else decides these things again.

    >>> from kg.tables import read_tables
    >>> facts = apply_rules(read_tables("data"), "primary")          # doctest: +SKIP
    >>> facts.control["siemens-energy"].place                        # doctest: +SKIP
    'muenchen'
"""
from __future__ import annotations

from ..project import Project
from ..rules import READINGS, default_region, get_reading, is_within, latest_total
from ..tables import Tables
from .control import (
    candidates_of,
    contested_control,
    contested_site_places,
    derive_control,
    derive_places,
    operating_sites,
    outside_areas,
    primary_ids,
)
from .facts import DERIVED, AreaSummary, Contested, ControlArea, Facts, SubsectorSummary, Tally
from .headcounts import chosen_headcounts, contested_headcounts, figures_of, regional_employees
from .listings import listing_lines
from .materialised import GROUP_SITES, PROFILE, materialised_lines
from .summary import summarise
from .ties import derive_ties
from .triples import derived_lines


def _statistics_totals(tables: Tables) -> dict[str, tuple[int, str]]:
    """area -> (the statistics' latest total of the industry's jobs, its observation id)."""
    persons = {r["id"] for r in tables["datasets"] if r["unit"] == "persons"}
    by_area: dict[str, list[tuple[str, int, str]]] = {}
    for row in tables["statistics"]:
        if row["dataset"] in persons and row["breakdown"] == "total":
            by_area.setdefault(row["area"], []).append((row["period"], int(float(row["value"])), row["id"]))
    return {area: found for area, rows in by_area.items() if (found := latest_total(rows))}


def decide(tables: Tables, reading: str, project: Project | None = None) -> Facts:
    """The decisions about organisations, sites and head-counts, before any summary.  ``project`` (``kg.toml``)
    names the study, whose sources and their parts are the primary sources the readings weigh, and the region
    the outputs default to."""
    project = project or Project()
    primary = primary_ids(tables, project.study.sources)
    chooser = get_reading(reading)
    places = derive_places(tables)
    parent = {r["id"]: r["parent"] for r in tables["organizations"]}
    candidates = candidates_of(tables, primary)
    controller, holder, control = derive_control(parent, candidates, chooser)
    figures = figures_of(tables, primary)
    headcount = chosen_headcounts(figures, chooser)
    codes_of: dict[str, list[str]] = {}
    for row in tables["classifications"]:
        codes_of.setdefault(row["org"], []).append(row["code"])
    firms = [r["id"] for r in tables["organizations"] if "firm" in r.many("types")]
    facts = Facts(chooser.name, places, parent, controller, candidates, holder, control, figures, headcount,
                  operating_sites(tables), firms, codes_of)
    facts.contested = (contested_headcounts(figures, headcount) + contested_site_places(tables)
                       + contested_control(candidates, chooser))
    facts.disputed = {c.subject for c in facts.contested if c.aspect == "head-count"}
    regional_employees(facts)
    facts.default_region = project.region or default_region(
        [p for sites in facts.sites_of.values() for _, p, _ in sites], places.of_kind("region"), places.ancestors)
    facts.outside_areas = outside_areas(facts.sites_of, control, places)
    facts.ties = derive_ties(facts, tables)
    return facts


def summarise_all(facts: Facts, tables: Tables) -> None:
    """Every region, and every Land seen on its own, gets its summary (where named firms have operating sites)."""
    references = set(facts.places.of_kind("region")) | set(facts.places.of_kind("land"))
    firms_in: dict[str, list[str]] = {}
    for firm in facts.firms:
        places = [p for _, p, _ in facts.sites_of.get(firm, ())]
        for area in sorted(a for a in references if any(is_within(p, a, facts.places.ancestors) for p in places)):
            firms_in.setdefault(area, []).append(firm)
    for area in sorted(firms_in):
        summarise(facts, area, firms_in[area])
    totals = _statistics_totals(tables)
    for s in facts.summaries:
        if s.area in totals:
            s.statistics_total, s.statistics_total_observation = totals[s.area]


def apply_rules(tables: Tables, reading: str, project: Project | None = None) -> Facts:
    """Apply every rule of :mod:`kg.rules` to the tables under one reading of the contested facts."""
    facts = decide(tables, reading, project)
    summarise_all(facts, tables)
    return facts


__all__ = ["apply_rules", "decide", "summarise_all", "derived_lines", "materialised_lines", "listing_lines", "PROFILE",
           "GROUP_SITES", "Facts", "Tally", "AreaSummary", "SubsectorSummary", "ControlArea", "Contested", "READINGS",
           "DERIVED"]
