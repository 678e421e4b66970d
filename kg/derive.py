"""The rules of :mod:`kg.rules` applied to the tables: the facts every output reads, and their triples.

:func:`apply_rules` decides, for one reading of the contested facts, each organisation's controller
and place of control, each firm's and site's head-count, and the control summary of every region and
its Länder (with the range over the contested facts); :func:`derived_lines` writes those decisions
as N-Quads into the graph ``{base}graph/derived``.  The build calls both; nothing else decides these
things again.

    >>> from kg.tables import read_tables
    >>> facts = apply_rules(read_tables("data"), "brief")          # doctest: +SKIP
    >>> facts.control["siemens-energy"].place                        # doctest: +SKIP
    'muenchen'
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product
from typing import Iterable, Iterator, cast

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, Store

from .namespaces import BBMB, DCT, IRIs, PROV, QB, RDF, RDFS, SDMX_DIMENSION, XSD
from .rules import (ControlCandidate, Figure, Option, READINGS, area_jobs, check_reading, choose_control,
                    choose_headcount, control_candidates, control_class, first_of_kind, headcount_candidates,
                    is_operating_site, place_ancestors, share_range, ultimate_parents)
from .tables import Tables

#: Source kinds that are the brief itself.
BRIEF_KINDS = ("document", "brief-section", "brief-figure")
#: The source id (and graph ``{base}graph/derived``) of the facts the build derives from the others.
DERIVED = "derived"


@dataclass(frozen=True)
class Contested:
    """A fact on which sources disagree and a derived figure may depend."""

    id: str
    subject: str  # organisation or site id
    aspect: str  # "head-count" | "control"
    alternatives: tuple[tuple[str, tuple[str, ...]], ...]  # (value, its sources), in the sources' order
    chosen: str  # the value of the build's reading


@dataclass
class AreaSummary:
    """The control of one area's named firms (a Land, or the region itself), seen from the region."""

    region: str
    area: str
    firms: int = 0
    outside: int = 0
    inside: int = 0
    unknown: int = 0
    with_figure: int = 0
    jobs: int = 0
    jobs_outside: int = 0
    jobs_inside: int = 0
    jobs_unknown: int = 0
    jobs_external: int = 0  # jobs whose figure comes from an external source, not the brief
    jobs_no_production: int = 0  # jobs of firms without a production site in the area
    firm_share_range: tuple[float | None, float | None] = (None, None)
    job_share_range: tuple[float | None, float | None] = (None, None)
    hinges_on: list[str] = field(default_factory=list)  # Contested ids that move the job share
    brief_total: int | None = None  # the brief's statistic of the area's machine-building jobs
    brief_total_observation: str | None = None

    @property
    def firm_share(self) -> float | None:
        known = self.firms - self.unknown
        return self.outside / known if known else None

    @property
    def job_share(self) -> float | None:
        return self.jobs_outside / self.jobs if self.jobs else None


@dataclass
class SubsectorSummary:
    """The control of a region's named firms of one subsector (WZ 2008 code; "" for unclassified firms).

    Counted by the rules of :class:`AreaSummary` (the firm's jobs in the region, its control class);
    a firm classified in two subsectors counts in both."""

    region: str
    code: str
    firms: int = 0
    outside: int = 0
    inside: int = 0
    unknown: int = 0
    jobs: int = 0
    jobs_outside: int = 0


@dataclass
class ControlArea:
    """The regional firms and jobs run from one Land (in the region's country) or country (abroad)."""

    region: str
    area: str
    kind: str  # "land" | "country"
    control: str  # "inside" | "germany" | "abroad"
    firms: int = 0
    jobs: int = 0
    jobs_low: int = 0
    jobs_high: int = 0


@dataclass
class Facts:
    """What the rules decide for one set of tables under one reading."""

    reading: str
    kinds: dict[str, set[str]]
    ancestors: dict[str, list[str]]
    land: dict[str, str | None]
    country: dict[str, str | None]
    controller: dict[str, str]
    control: dict[str, ControlCandidate]  # org -> its place of control (absent: unknown)
    figures: dict[str, list[Figure]]  # subject -> the sources' head-counts
    headcount: dict[str, Figure]  # subject -> the figure the reading uses (its own)
    employees: dict[str, int]  # org or site -> the head-count the outputs use (firms: regional rule)
    employees_basis: dict[str, str]
    contested: list[Contested]
    summaries: list[AreaSummary]
    control_areas: list[ControlArea]
    operating_sites: list[str] = field(default_factory=list)  # sites that are not only a head-office entry
    subsector_summaries: list[SubsectorSummary] = field(default_factory=list)


def _figures(tables: Tables) -> dict[str, list[Figure]]:
    kinds = {r["id"]: r["kind"] for r in tables["sources"]}
    out: dict[str, list[Figure]] = {}
    for row in tables["headcounts"]:
        numbers = [int(row[c]) for c in ("value", "min", "max") if row[c]]
        if not numbers:
            continue
        sources = tuple(row.many("source"))
        high = int(row["max"]) if row["max"] and row["min"] else None
        out.setdefault(row["subject"], []).append(Figure(
            min(numbers), high, row["year"], sources, any(kinds.get(s) in BRIEF_KINDS for s in sources)))
    return out


def _control_candidates(tables: Tables) -> dict[str, list[ControlCandidate]]:
    kinds = {r["id"]: r["kind"] for r in tables["sources"]}

    def brief(sources: list[str]) -> bool:
        return any(kinds.get(s) in BRIEF_KINDS for s in sources)

    hq: dict[str, list[ControlCandidate]] = {}
    seat: dict[str, list[ControlCandidate]] = {}
    for row in tables["organizations"]:
        src = row.many("headquarters_source") or row.many("source")
        if row["headquarters"]:
            hq.setdefault(row["id"], []).append(ControlCandidate(row["headquarters"], "headquarters", tuple(src), brief(src)))
        if row["registered_seat"]:
            seat.setdefault(row["id"], []).append(ControlCandidate(row["registered_seat"], "registered seat", tuple(src), brief(src)))
    for row in tables["sites"]:
        if "headquarters" in row.many("functions") and all(c.place != row["place"] for c in hq.get(row["org"], ())):
            src = row.many("source")
            hq.setdefault(row["org"], []).append(ControlCandidate(row["place"], "headquarters", tuple(src), brief(src)))
    stated: dict[str, list[ControlCandidate]] = {}
    for row in tables["alternative_places"]:
        if row["aspect"] == "decision-centre":
            src = row.all_sources()
            stated.setdefault(row["subject"], []).append(
                ControlCandidate(row["place"], "decision centre", tuple(src), brief(src)))
    orgs = [r["id"] for r in tables["organizations"]]
    return {o: c for o in orgs if (c := control_candidates(hq.get(o, []), stated.get(o, []), seat.get(o, [])))}


def _brief_totals(tables: Tables) -> dict[str, tuple[int, str]]:
    """area -> (the brief's latest total of machine-building jobs, its observation id)."""
    persons = {r["id"] for r in tables["datasets"] if r["unit"] == "persons"}
    best: dict[str, tuple[str, int, str]] = {}
    for row in tables["statistics"]:
        if row["dataset"] in persons and row["breakdown"] == "total":
            period = row["period"]
            if row["area"] not in best or period > best[row["area"]][0]:
                best[row["area"]] = (period, int(float(row["value"])), row["id"])
    return {area: (value, obs) for area, (_, value, obs) in best.items()}


def apply_rules(tables: Tables, reading: str) -> Facts:
    """Apply every rule of :mod:`kg.rules` to the tables under one reading of the contested facts."""
    check_reading(reading)
    kinds = {r["id"]: set(r.many("type")) for r in tables["places"]}
    ancestors = place_ancestors({r["id"]: r.many("within") for r in tables["places"]})
    land = {p: first_of_kind(a, kinds, "land") for p, a in ancestors.items()}
    country = {p: first_of_kind(a, kinds, "country") for p, a in ancestors.items()}
    parent = {r["id"]: r["parent"] for r in tables["organizations"]}
    controller = ultimate_parents(parent)
    candidates = _control_candidates(tables)

    def chain(org: str) -> list[str]:
        out = [org]
        while parent.get(out[-1]) and parent[out[-1]] not in out:
            out.append(parent[out[-1]])
        return out

    # the place of control: the topmost organisation of the chain that has one
    seat_of: dict[str, str] = {}
    for org in parent:
        holder = next((o for o in reversed(chain(org)) if o in candidates), None)
        if holder:
            seat_of[org] = holder
    control = {org: c for org, holder in seat_of.items() if (c := choose_control(candidates[holder], reading))}

    figures = _figures(tables)
    headcount = {s: f for s, fs in figures.items() if (f := choose_headcount(fs, reading))}
    contested: list[Contested] = []
    for subject, fs in figures.items():
        if len(headcount_candidates(fs)) > 1:
            alts = tuple((f"{f.low:,}" + (f"–{f.high:,}" if f.high else ""), f.sources) for f in fs)
            contested.append(Contested(f"headcount-{subject}", subject, "head-count", alts, f"{headcount[subject].low:,}"))
    # a site's place: the sites table's under every reading (no figure of a Land moves with it here);
    # another source's place is kept beside it as an alternative
    sites = tables.keys("sites")
    for row in tables["alternative_places"]:
        if row["aspect"] == "site-place" and row["subject"] in sites:
            site = sites[row["subject"]]
            alts = ((site["place"], tuple(site.sources_of("place"))), (row["place"], tuple(row.sources_of("place"))))
            contested.append(Contested(f"place-{row['subject']}", row["subject"], "place", alts, site["place"]))
    for holder, cs in candidates.items():
        if len({c.place for c in cs}) > 1:
            alts = tuple((c.place, c.sources) for c in cs)
            contested.append(Contested(f"control-{holder}", holder, "control", alts, choose_control(cs, reading).place))  # type: ignore[union-attr]

    firm_ids = [r["id"] for r in tables["organizations"] if "firm" in r.many("types")]
    sites_of: dict[str, list[tuple[str, str, set[str]]]] = {}
    for row in tables["sites"]:
        if is_operating_site(row.many("functions")):
            sites_of.setdefault(row["org"], []).append((row["id"], row["place"], set(row.many("functions"))))

    regions = [p for p, k in kinds.items() if "region" in k]
    employees: dict[str, int] = {s: f.low for s, f in headcount.items()}
    basis: dict[str, str] = {s: "own figure" for s in headcount}
    # the region a firm's jobs are counted in: the one with most of its operating sites
    home_region = {}
    for firm in firm_ids:
        counts = {r: sum(1 for _, p, _ in sites_of.get(firm, ()) if r in ancestors.get(p, ())) for r in regions}
        best = max(counts, key=lambda r: counts[r], default=None)
        if best and counts[best]:
            home_region[firm] = best
    for firm, region in home_region.items():
        site_jobs = {s: employees.get(s) for s, p, _ in sites_of[firm]}
        site_area = {s: region if region in ancestors.get(p, ()) else "" for s, p, _ in sites_of[firm]}
        n = area_jobs(employees.get(firm), site_jobs, site_area, region)
        if n is not None and firm not in employees:
            employees[firm], basis[firm] = n, "sum of its sites in the region"

    facts = Facts(reading, kinds, ancestors, land, country, controller, control, figures, headcount, employees,
                  basis, contested, [], [], [s for sites in sites_of.values() for s, _, _ in sites])
    # every region, and every Land seen on its own, gets its summary (where named firms have sites)
    references = {p for p, k in kinds.items() if k & {"region", "land"}}
    firms_in: dict[str, list[str]] = {}
    for firm in firm_ids:
        for region in sorted({a for _, p, _ in sites_of.get(firm, ()) for a in ancestors.get(p, ()) if a in references}):
            firms_in.setdefault(region, []).append(firm)
    codes_of: dict[str, list[str]] = {}
    for row in tables["classifications"]:
        codes_of.setdefault(row["org"], []).append(row["code"])
    for region in sorted(firms_in):
        _summarise(facts, region, firms_in[region], sites_of, candidates, seat_of, codes_of)
    totals = _brief_totals(tables)
    for s in facts.summaries:
        if s.area in totals:
            s.brief_total, s.brief_total_observation = totals[s.area]
    return facts


@dataclass
class _Unit:
    """Firms that count together in the range: those of one contested controller, or a single firm."""

    classes: list[str]  # the control classes its sources allow (the reading's first)
    contested: set[str] = field(default_factory=set)  # Contested ids behind its alternatives
    chosen_jobs: int = 0
    low_jobs: int = 0
    high_jobs: int = 0
    firms: int = 0

    def job_options(self) -> list[Option]:
        """(jobs run from outside, known jobs) for each class, at the members' lowest and highest figures
        (within one class every member moves the share the same way, so these are the extremes)."""
        return list(dict.fromkeys(Option(float(n) if c in OUTSIDE else 0.0, float(n))
                                  for c in self.classes for n in (self.low_jobs, self.high_jobs)))

    def firm_options(self) -> list[Option]:
        """(firms run from outside, firms of known control) for each class."""
        return list(dict.fromkeys(Option(float(self.firms) if c in OUTSIDE else 0.0,
                                         0.0 if c == "unknown" else float(self.firms)) for c in self.classes))

    def chosen(self) -> Option:
        return Option(float(self.chosen_jobs) if self.classes[0] in OUTSIDE else 0.0, float(self.chosen_jobs))


#: Control classes that count as "run from outside the region".
OUTSIDE = ("germany", "abroad")


def _summarise(facts: Facts, region: str, firm_ids: list[str], sites_of: dict[str, list[tuple[str, str, set[str]]]],
               candidates: dict[str, list[ControlCandidate]], seat_of: dict[str, str],
               codes_of: dict[str, list[str]]) -> None:
    """Add the summaries of the region and its Länder, its subsectors and its decision-centre areas, to ``facts``.

    ``firm_ids``: the firms with an operating site in the region; ``codes_of``: each firm's subsector codes."""
    anc = facts.ancestors
    areas = [region] + sorted(p for p, k in facts.kinds.items() if "land" in k and region in anc[p][1:])
    summaries = {a: AreaSummary(region, a) for a in areas}
    units: dict[str, dict[str, _Unit]] = {a: {} for a in areas}
    fixed = {a: [0.0, 0.0, 0.0, 0.0] for a in areas}  # uncontested firms: jobs outside, jobs, firms outside, known
    contested_headcounts = {c.subject for c in facts.contested if c.aspect == "head-count"}
    centres: dict[str, ControlArea] = {}
    by_code: dict[str, SubsectorSummary] = {}

    def cls(place: str | None) -> str:
        return control_class(place, region, anc, facts.country)

    def centre(place: str | None) -> tuple[str, str, str] | None:
        """(Land or country, its kind, control class) of a place of control."""
        c = cls(place)
        where = None if c == "unknown" or place is None else \
            facts.land.get(place) if c != "abroad" else facts.country.get(place)
        return (where, "land" if c != "abroad" else "country", c) if where else None

    for firm in firm_ids:
        regional = [(s, p, f) for s, p, f in sites_of.get(firm, ()) if region in anc.get(p, ())]
        if not regional:
            continue
        chosen = facts.control.get(firm)
        holder = seat_of.get(firm)
        alternatives = candidates.get(holder, []) if holder else []
        classes = list(dict.fromkeys([cls(chosen.place if chosen else None)]
                                     + [cls(c.place) for c in alternatives]))
        for area in areas:
            in_area = [(s, f) for s, p, f in regional if area == region or (facts.land.get(p) or region) == area]
            if not in_area:
                continue
            # where each of the firm's operating sites counts, seen from this area
            where = {s: (area if area == region else facts.land.get(p) or region)
                     if region in anc.get(p, ()) else "" for s, p, _ in sites_of[firm]}
            jobs = area_jobs(_low(facts, firm), {s: _low(facts, s) for s in where}, where, area)
            disputed = [s for s in (firm, *where) if s in contested_headcounts]
            options = [j for j in _job_options(facts, firm, where, area) if j is not None] if disputed else \
                ([jobs] if jobs is not None else [])
            sm, c = summaries[area], classes[0]
            sm.firms += 1
            sm.outside += c in OUTSIDE
            sm.inside += c == "inside"
            sm.unknown += c == "unknown"
            if jobs is not None:
                sm.with_figure += 1
                sm.jobs += jobs
                sm.jobs_outside += jobs if c in OUTSIDE else 0
                sm.jobs_inside += jobs if c == "inside" else 0
                sm.jobs_unknown += jobs if c == "unknown" else 0
                used = [facts.headcount[s] for s in (firm, *where) if s in facts.headcount]
                if used and not any(f.from_brief for f in used):
                    sm.jobs_external += jobs
                if not any("production" in f for _, f in in_area):
                    sm.jobs_no_production += jobs
            if len(classes) == 1 and not disputed:
                f = fixed[area]
                f[0] += (jobs or 0) if c in OUTSIDE else 0
                f[1] += jobs or 0
                f[2] += c in OUTSIDE
                f[3] += c != "unknown"
            key = f"control-{holder}" if len(classes) > 1 else f"firm-{firm}"
            unit = units[area].setdefault(key, _Unit(classes)) if len(classes) > 1 or disputed else None
            if unit is not None:
                unit.firms += 1
                unit.chosen_jobs += jobs or 0
                unit.low_jobs += min(options, default=0)
                unit.high_jobs += max(options, default=0)
                if len(classes) > 1:
                    unit.contested.add(key)
                unit.contested.update(f"headcount-{s}" for s in disputed)
            if area == region:
                for code in codes_of.get(firm) or [""]:
                    sub = by_code.setdefault(code, SubsectorSummary(region, code))
                    sub.firms += 1
                    sub.outside += c in OUTSIDE
                    sub.inside += c == "inside"
                    sub.unknown += c == "unknown"
                    sub.jobs += jobs or 0
                    sub.jobs_outside += (jobs or 0) if c in OUTSIDE else 0
                here = centre(chosen.place if chosen else None)
                possible = {x for a in alternatives if (x := centre(a.place))} | ({here} if here else set())
                for x in possible:
                    ca = centres.setdefault(x[0], ControlArea(region, x[0], x[1], x[2]))
                    ca.jobs_high += max(options, default=0)
                    if x == here:
                        ca.firms += 1
                        ca.jobs += jobs or 0
                        if len(possible) == 1:
                            ca.jobs_low += min(options, default=0)
    for area, sm in summaries.items():
        f = fixed[area]
        _ranges(sm, list(units[area].values()), Option(f[0], f[1]), Option(f[2], f[3]))
    facts.summaries.extend(sm for sm in summaries.values() if sm.firms)
    facts.control_areas.extend(sorted(centres.values(), key=lambda a: (-a.jobs, a.area)))
    facts.subsector_summaries.extend(by_code[c] for c in sorted(by_code))


def _ranges(sm: AreaSummary, units: list[_Unit], fixed_jobs: Option, fixed_firms: Option) -> None:
    """The ranges of an area's shares over its contested units (``fixed_*``: what the uncontested firms
    add), and the facts the job share hinges on."""
    def split(fixed: Option, options: list[list[Option]]) -> tuple[Option, list[list[Option]]]:
        single = [o[0] for o in options if len(o) == 1]
        return (Option(fixed.part + sum(o.part for o in single), fixed.whole + sum(o.whole for o in single)),
                [o for o in options if len(o) > 1])
    sm.job_share_range = share_range(*split(fixed_jobs, [u.job_options() for u in units]))
    sm.firm_share_range = share_range(*split(fixed_firms, [u.firm_options() for u in units]))
    share = sm.job_share
    if share is None:
        return
    part, whole = float(sm.jobs_outside), float(sm.jobs)
    for u in units:
        if not u.contested:
            continue
        now = u.chosen()
        for o in u.job_options():
            w = whole - now.whole + o.whole
            if w > 0 and abs((part - now.part + o.part) / w - share) >= 0.0005:
                sm.hinges_on.extend(sorted(u.contested - set(sm.hinges_on)))
                break


def _low(facts: Facts, subject: str) -> int | None:
    f = facts.headcount.get(subject)
    return f.low if f else None


def _job_options(facts: Facts, firm: str, where: dict[str, str], area: str) -> set[int | None]:
    """The firm's jobs in the area under every combination of its and its sites' candidate figures."""
    subjects = [firm, *where]
    choices = [headcount_candidates(facts.figures[s]) if s in facts.figures else [None] for s in subjects]
    if math.prod(len(c) for c in choices) > 256:  # many contested sites: their joint extremes are enough
        combos: Iterable[tuple[int | None, ...]] = (tuple(c[0] for c in choices), tuple(c[-1] for c in choices))
    else:
        combos = product(*choices)
    out: set[int | None] = set()
    for combo in combos:
        values = dict(zip(subjects, combo))
        out.add(area_jobs(values[firm], {s: values[s] for s in where}, where, area))
    return out


# ---------------------------------------------------------------------------- triples

def derived_lines(facts: Facts, tables: Tables, iris: IRIs) -> Iterator[str]:
    """The derived facts as N-Quads lines in ``{base}graph/derived``."""
    names = {r["id"]: r["name"] for table in ("organizations", "sites") for r in tables[table]}
    places = {r["id"]: r["name_en"] or r["name_de"] for r in tables["places"]}
    base, g = iris.base, f" {iris.graph(DERIVED)} .\n"
    place = {p: f"<{base}place/{p}>" for p in facts.ancestors}
    org_ids = tables.ids("organizations")

    def node(key: str) -> str:
        return f"<{base}org/{key}>" if key in org_ids else f"<{base}site/{key}>"

    within, in_land, in_country = (f" {p} " for p in (BBMB.within, BBMB.inLand, BBMB.inCountry))
    for p, ups in facts.ancestors.items():
        yield from (place[p] + within + place[u] + g for u in ups)
        land, country = facts.land[p], facts.country[p]
        if land:
            yield place[p] + in_land + place[land] + g
        if country:
            yield place[p] + in_country + place[country] + g
    for org, top in facts.controller.items():
        yield f"<{base}org/{org}> {BBMB.controlledBy} <{base}org/{top}>{g}"
        ctl = facts.control.get(org)
        if ctl:
            yield f"<{base}org/{org}> {BBMB.controlPlace} {place[ctl.place]}{g}"
            yield f"<{base}org/{org}> {BBMB.controlBasis} {Literal(ctl.basis)}{g}"
    for site in facts.operating_sites:
        yield f"<{base}site/{site}> {RDF.type} {BBMB.OperatingSite}{g}"
    integer = f"^^<{XSD.integer.value}>"
    for subject, n in facts.employees.items():
        yield f'{node(subject)} {BBMB.employees} "{n}"{integer}{g}'
        yield f"{node(subject)} {BBMB.employeesBasis} {Literal(facts.employees_basis[subject])}{g}"
    reading = Literal(facts.reading)
    contested_labels: dict[str, str] = {}
    for c in facts.contested:
        s = iris.contested(c.id)
        yield f"{s} {RDF.type} {BBMB.ContestedFact}{g}"
        yield f"{s} {BBMB.about} {node(c.subject)}{g}"
        yield f"{s} {BBMB.aspect} {Literal(c.aspect)}{g}"
        def value(v: str) -> str:
            return places.get(v, v) if c.aspect in ("control", "place") else v
        label = f"{names.get(c.subject, c.subject)} {c.aspect}: " + " or ".join(
            f"{value(v)} ({', '.join(src)})" for v, src in c.alternatives)
        contested_labels[c.id] = label
        yield f"{s} {RDFS.label} {Literal(label, language='en')}{g}"
        yield f"{s} {BBMB.chosenValue} {Literal(value(c.chosen))}{g}"
        yield f"{s} {BBMB.reading} {reading}{g}"
    yield from _cube_lines(facts, iris, g, place, contested_labels)


#: What a firm's profile lists (queries/firm-profile.rq): the firm, its sites, their head-counts, and the
#: control relations, events, flags, clusters and contested facts about the firm or its sites.  Written
#: once here as SPARQL and run by the build over all firms (``bbmb:profileOf``, :func:`profile_quads`), so
#: that the saved query looks one firm's statements up instead of evaluating this union for every firm.
PROFILE = """
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?about ?firm
WHERE {
  { ?firm a org:Organization . BIND(?firm AS ?about) }
  UNION { ?firm org:hasSite ?about }
  UNION { ?firm schema:numberOfEmployees ?about }
  UNION { ?firm org:hasSite ?site . ?site schema:numberOfEmployees ?about }
  UNION { ?about bbmb:child ?firm }
  UNION { ?about bbmb:concerns ?firm }
  UNION { ?firm org:hasSite ?site . ?about bbmb:concerns ?site }
  UNION { ?about bbmb:flags ?firm }
  UNION { ?firm org:hasSite ?site . ?about bbmb:flags ?site }
  UNION { ?about bbmb:hasMember ?firm }
  UNION { ?about bbmb:about ?firm }
  UNION { ?firm org:hasSite ?site . ?about bbmb:about ?site }
}"""


#: The firms run from outside an area (queries/hq-absence.rq): a site of the firm lies in the area
#: (bbmb:within, any place: a city, a Land, a region) and its place of control does not.
CONTROLLED_FROM_OUTSIDE = """
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
SELECT DISTINCT ?firm ?area WHERE {
  ?firm bbmb:controlPlace ?hqPlace .
  ?site org:siteOf ?firm ; schema:containedInPlace ?sitePlace . ?sitePlace bbmb:within ?area .
  FILTER NOT EXISTS { ?hqPlace bbmb:within ?area }
}"""

#: The sites of each group (queries/multi-site-groups.rq): a company's group is its topmost parent
#: (bbmb:controlledBy), or the company itself when it is a group, holding or foundation.  Counted per
#: area (every place the site's place is bbmb:within) by :func:`materialised_quads`: one GROUP BY over
#: all areas at once is a join the engine evaluates badly (10 s at 2,000 firms).
GROUP_SITES = """
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
SELECT ?group ?company ?site ?sitePlace ?land WHERE {
  ?company bbmb:controlledBy ?group . ?site org:siteOf ?company ; schema:containedInPlace ?sitePlace .
  OPTIONAL { ?company a ?groupType . FILTER(?groupType IN (bbmb:ParentGroup, bbmb:Holding, bbmb:Foundation)) }
  FILTER(?group != ?company || BOUND(?groupType))
  OPTIONAL { ?sitePlace bbmb:inLand ?land }
}"""
_WITHIN = "PREFIX bbmb: <https://w3id.org/bbmb/def#> SELECT ?place ?area WHERE { ?place bbmb:within ?area }"


def _solutions(store: Store, text: str) -> QuerySolutions:
    return cast(QuerySolutions, store.query(text, use_default_graph_as_union=True))


def _key(iri: NamedNode, iris: IRIs) -> str:
    """The id part of a data IRI (``place/berlin`` -> ``berlin``), for minting observation IRIs."""
    return iri.value[len(iris.base):].split("/", 1)[-1]


def materialised_quads(store: Store, iris: IRIs, reading: str) -> list[Quad]:
    """What the saved queries look up per firm or area, computed once over the built ``store``, in
    ``graph/derived``: the firms' profiles (:data:`PROFILE`), the firms run from outside each area
    (:data:`CONTROLLED_FROM_OUTSIDE`) and the data set groups-by-area (:data:`GROUP_SITES`)."""
    g = iris.graph(DERIVED)
    out = [Quad(row["about"], BBMB.profileOf, row["firm"], g) for row in _solutions(store, PROFILE)
           if isinstance(row["about"], NamedNode)]
    out += [Quad(row["firm"], BBMB.controlledFromOutside, row["area"], g)
            for row in _solutions(store, CONTROLLED_FROM_OUTSIDE)]
    ds, source, read_as = iris.dataset("groups-by-area"), iris.source(DERIVED), Literal(reading)
    out += [Quad(ds, RDF.type, QB.DataSet, g), Quad(ds, QB.structure, BBMB.groupsByAreaDsd, g),
            Quad(ds, DCT.title, Literal("Groups with sites in an area", language="en"), g),
            Quad(ds, PROV.wasDerivedFrom, source, g)]
    within: dict[NamedNode, list[NamedNode]] = {}
    for row in _solutions(store, _WITHIN):
        within.setdefault(cast(NamedNode, row["place"]), []).append(cast(NamedNode, row["area"]))
    counted: dict[tuple[NamedNode, NamedNode], tuple[set[object], set[object], set[object]]] = {}
    for row in _solutions(store, GROUP_SITES):
        for area in within.get(cast(NamedNode, row["sitePlace"]), ()):
            sites, companies, laender = counted.setdefault((area, cast(NamedNode, row["group"])), (set(), set(), set()))
            sites.add(row["site"])
            companies.add(row["company"])
            if row["land"] is not None:
                laender.add(row["land"])
    integer = NamedNode(XSD.integer.value)
    for (area, group), (sites, companies, laender) in sorted(counted.items(), key=lambda kv: (kv[0][0].value,
                                                                                            kv[0][1].value)):
        o = iris.observation(f"groups/{_key(area, iris)}/{_key(group, iris)}")
        out += [Quad(o, RDF.type, QB.Observation, g), Quad(o, QB.dataSet, ds, g),
                Quad(o, PROV.wasDerivedFrom, source, g), Quad(o, SDMX_DIMENSION.refArea, area, g),
                Quad(o, BBMB.group, group, g), Quad(o, BBMB.sites, Literal(str(len(sites)), datatype=integer), g),
                Quad(o, BBMB.companies, Literal(str(len(companies)), datatype=integer), g),
                Quad(o, BBMB.laender, Literal(str(len(laender)), datatype=integer), g)]
        out.append(Quad(o, BBMB.reading, read_as, g))
    return out


def _decimal(x: float | None) -> str:
    return f'"{round(100 * x, 1):.1f}"^^<{XSD.decimal.value}>' if x is not None else ""


def _cube_lines(facts: Facts, iris: IRIs, g: str, place: dict[str, str],
                contested_labels: dict[str, str]) -> Iterator[str]:
    integer = f"^^<{XSD.integer.value}>"
    reading = Literal(facts.reading)
    for name, title, dsd in (
            ("control-by-area", "Control of the named firms' regional jobs, by area of the jobs", BBMB.controlByAreaDsd),
            ("control-by-decision-centre", "Regional jobs of the named firms by place of control", BBMB.controlByCentreDsd),
            ("control-by-subsector", "Control of the named regional firms and their jobs, by subsector",
             BBMB.controlBySubsectorDsd)):
        ds = iris.dataset(name)
        yield f"{ds} {RDF.type} {QB.DataSet}{g}"
        yield f"{ds} {QB.structure} {dsd}{g}"
        yield f"{ds} {DCT.title} {Literal(title, language='en')}{g}"
        yield f"{ds} {BBMB.reading} {reading}{g}"
    source = iris.source(DERIVED)
    for name in ("control-by-area", "control-by-decision-centre", "control-by-subsector"):
        yield f"{iris.dataset(name)} {PROV.wasDerivedFrom} {source}{g}"

    def head(o: object, ds: object, region: str) -> Iterator[str]:
        """What every observation of the summary says: its type, source, data set, region and reading."""
        yield f"{o} {RDF.type} {QB.Observation}{g}"
        yield f"{o} {PROV.wasDerivedFrom} {source}{g}"
        yield f"{o} {QB.dataSet} {ds}{g}"
        yield f"{o} {BBMB.region} {place[region]}{g}"
        yield f"{o} {BBMB.reading} {reading}{g}"

    ds = iris.dataset("control-by-area")
    for sm in facts.summaries:
        o = iris.observation(f"control/{sm.region}/{sm.area}")
        yield from head(o, ds, sm.region)
        yield f"{o} {SDMX_DIMENSION.refArea} {place[sm.area]}{g}"
        for prop, value in ((BBMB.firms, sm.firms), (BBMB.firmsOutside, sm.outside), (BBMB.firmsInside, sm.inside),
                            (BBMB.firmsUnknown, sm.unknown), (BBMB.firmsWithFigure, sm.with_figure),
                            (BBMB.jobs, sm.jobs), (BBMB.jobsOutside, sm.jobs_outside),
                            (BBMB.jobsInside, sm.jobs_inside), (BBMB.jobsUnknown, sm.jobs_unknown),
                            (BBMB.jobsExternal, sm.jobs_external), (BBMB.jobsNoProduction, sm.jobs_no_production)):
            yield f'{o} {prop} "{value}"{integer}{g}'
        for prop, x in ((BBMB.shareFirmsOutside, sm.firm_share), (BBMB.shareFirmsOutsideMin, sm.firm_share_range[0]),
                        (BBMB.shareFirmsOutsideMax, sm.firm_share_range[1]), (BBMB.shareJobsOutside, sm.job_share),
                        (BBMB.shareJobsOutsideMin, sm.job_share_range[0]),
                        (BBMB.shareJobsOutsideMax, sm.job_share_range[1])):
            if x is not None:
                yield f"{o} {prop} {_decimal(x)}{g}"
        for c in sm.hinges_on:
            yield f"{o} {BBMB.hingesOn} {iris.contested(c)}{g}"
        if sm.hinges_on:  # the labels in the rules' order, as one text: the same on every engine
            text = "; ".join(contested_labels[c] for c in sm.hinges_on)
            yield f"{o} {BBMB.hingesOnText} {Literal(text, language='en')}{g}"
        if sm.brief_total is not None and sm.brief_total_observation:
            yield f'{o} {BBMB.briefTotal} "{sm.brief_total}"{integer}{g}'
            yield f"{o} {BBMB.briefTotalObservation} {iris.observation(sm.brief_total_observation)}{g}"
    ds = iris.dataset("control-by-decision-centre")
    for ca in facts.control_areas:
        o = iris.observation(f"decision-centre/{ca.region}/{ca.area}")
        yield from head(o, ds, ca.region)
        yield f"{o} {BBMB.controlArea} {place[ca.area]}{g}"
        yield f"{o} {BBMB.controlClass} {Literal(ca.control)}{g}"
        for prop, value in ((BBMB.firms, ca.firms), (BBMB.jobs, ca.jobs), (BBMB.jobsMin, ca.jobs_low),
                            (BBMB.jobsMax, ca.jobs_high)):
            yield f'{o} {prop} "{value}"{integer}{g}'
    ds = iris.dataset("control-by-subsector")
    for sub in facts.subsector_summaries:
        o = iris.observation(f"subsector/{sub.region}/{sub.code or 'unclassified'}")
        yield from head(o, ds, sub.region)
        if sub.code:
            yield f"{o} {BBMB.subsector} {iris.subsector(sub.code)}{g}"
        for prop, value in ((BBMB.firms, sub.firms), (BBMB.firmsOutside, sub.outside),
                            (BBMB.firmsInside, sub.inside), (BBMB.firmsUnknown, sub.unknown),
                            (BBMB.jobs, sub.jobs), (BBMB.jobsOutside, sub.jobs_outside)):
            yield f'{o} {prop} "{value}"{integer}{g}'


__all__ = ["apply_rules", "derived_lines", "PROFILE", "CONTROLLED_FROM_OUTSIDE", "GROUP_SITES", "materialised_quads", "Facts", "AreaSummary", "SubsectorSummary", "ControlArea", "Contested", "READINGS",
           "DERIVED", "BRIEF_KINDS"]
