"""The control summary: per region, its Länder, its subsectors and its places of control, with the
range of each share over the contested facts.

Each firm is judged once per area (:func:`firm_in_area`); the result goes into the area's
:class:`~kg.derive.facts.Tally`, its range (:class:`Ranges`), and, for the region itself, the
subsector tallies and the decision-centre areas.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..rules import UNKNOWN, Option, area_jobs, control_area, control_class, is_outside, share_range
from .facts import AreaSummary, ControlArea, Facts, SubsectorSummary
from .headcounts import figures_used, is_external, job_options, makes_nothing


@dataclass(frozen=True)
class FirmInArea:
    """How one firm counts in one area: its control classes (the reading's first, then its sources'
    alternatives), its jobs there, and its jobs under every alternative figure."""

    firm: str
    classes: tuple[str, ...]
    jobs: int | None
    options: tuple[int, ...]
    disputed: tuple[str, ...]  # the subjects of contested head-counts it depends on
    external: bool
    no_production: bool

    @property
    def cls(self) -> str:
        return self.classes[0]

    @property
    def contested(self) -> bool:
        return len(self.classes) > 1 or bool(self.disputed)


def areas_of(facts: Facts, region: str) -> list[str]:
    """The region, then each Land within it."""
    anc = facts.places.ancestors
    return [region] + [p for p in facts.places.of_kind("land") if region in anc[p][1:]]


def classes_of(facts: Facts, firm: str, region: str) -> tuple[str, ...]:
    """The firm's control class under the reading, then those its sources' alternatives allow."""
    def cls(place: str | None) -> str:
        return control_class(place, region, facts.places.ancestors, facts.places.country)

    chosen = facts.control.get(firm)
    holder = facts.holder.get(firm)
    alternatives = facts.candidates.get(holder, []) if holder else []
    return tuple(dict.fromkeys([cls(chosen.place if chosen else None)] + [cls(c.place) for c in alternatives]))


def site_areas(facts: Facts, firm: str, region: str, area: str) -> dict[str, str]:
    """Where each of the firm's operating sites counts, seen from ``area``: the region, or its Land
    (the region where it has none); "" outside the region."""
    anc, land = facts.places.ancestors, facts.places.land
    return {s: (area if area == region else land.get(p) or region) if region in anc.get(p, ()) else ""
            for s, p, _ in facts.sites_of.get(firm, ())}


def firm_in_area(facts: Facts, firm: str, region: str, area: str, classes: tuple[str, ...]) -> FirmInArea | None:
    """How the firm counts in ``area`` (None where it has no operating site there)."""
    where = site_areas(facts, firm, region, area)
    if area not in where.values():
        return None
    jobs = area_jobs(facts.low(firm), {s: facts.low(s) for s in where}, where, area)
    disputed = tuple(s for s in (firm, *where) if s in facts.disputed)
    if disputed:
        options = tuple(sorted(j for j in job_options(facts, firm, where, area) if j is not None))
    else:
        options = (jobs,) if jobs is not None else ()
    used = figures_used(facts, firm, where, area)
    return FirmInArea(firm, classes, jobs, options, disputed, is_external(used),
                      makes_nothing(facts, firm, where, area, used))


# ---------------------------------------------------------------------------- ranges

@dataclass
class _Unit:
    """Firms that count together in the range: those of one contested controller, or a single firm."""

    classes: tuple[str, ...]  # the control classes its sources allow (the reading's first)
    contested: set[str] = field(default_factory=set)  # Contested ids behind its alternatives
    chosen_jobs: int = 0
    low_jobs: int = 0
    high_jobs: int = 0
    firms: int = 0

    def job_options(self) -> list[Option]:
        """(jobs run from outside, known jobs) for each class, at the members' lowest and highest figures
        (within one class every member moves the share the same way, so these are the extremes)."""
        return list(dict.fromkeys(Option(float(n) if is_outside(c) else 0.0, float(n))
                                  for c in self.classes for n in (self.low_jobs, self.high_jobs)))

    def firm_options(self) -> list[Option]:
        """(firms run from outside, firms of known control) for each class."""
        return list(dict.fromkeys(Option(float(self.firms) if is_outside(c) else 0.0,
                                         0.0 if c == UNKNOWN else float(self.firms)) for c in self.classes))

    def chosen(self) -> Option:
        return Option(float(self.chosen_jobs) if is_outside(self.classes[0]) else 0.0, float(self.chosen_jobs))


@dataclass
class Ranges:
    """What an area's firms add to the ranges of its shares: the uncontested ones fixed, the rest by unit."""

    fixed_jobs: Option = Option(0.0, 0.0)
    fixed_firms: Option = Option(0.0, 0.0)
    units: dict[str, _Unit] = field(default_factory=dict)

    def add(self, f: FirmInArea, holder: str | None) -> None:
        if not f.contested:
            jobs, outside = float(f.jobs or 0), is_outside(f.cls)
            self.fixed_jobs = Option(self.fixed_jobs.part + (jobs if outside else 0.0), self.fixed_jobs.whole + jobs)
            self.fixed_firms = Option(self.fixed_firms.part + outside, self.fixed_firms.whole + (f.cls != UNKNOWN))
            return
        key = f"control-{holder}" if len(f.classes) > 1 else f"firm-{f.firm}"
        unit = self.units.setdefault(key, _Unit(f.classes))
        unit.firms += 1
        unit.chosen_jobs += f.jobs or 0
        unit.low_jobs += min(f.options, default=0)
        unit.high_jobs += max(f.options, default=0)
        if len(f.classes) > 1:
            unit.contested.add(key)
        unit.contested.update(f"headcount-{s}" for s in f.disputed)

    def apply(self, sm: AreaSummary) -> None:
        """The ranges of the area's shares, and the contested facts its job share hinges on."""
        units = list(self.units.values())
        sm.job_share_range = share_range(*_split(self.fixed_jobs, [u.job_options() for u in units]))
        sm.firm_share_range = share_range(*_split(self.fixed_firms, [u.firm_options() for u in units]))
        share = sm.tally.job_share
        if share is None:
            return
        part, whole = float(sm.tally.jobs_outside), float(sm.tally.jobs)
        for u in units:
            if u.contested and _moves(u, part, whole, share):
                sm.hinges_on.extend(sorted(u.contested - set(sm.hinges_on)))


def _split(fixed: Option, options: list[list[Option]]) -> tuple[Option, list[list[Option]]]:
    """Units with a single option are fixed too."""
    single = [o[0] for o in options if len(o) == 1]
    return (Option(fixed.part + sum(o.part for o in single), fixed.whole + sum(o.whole for o in single)),
            [o for o in options if len(o) > 1])


def _moves(u: _Unit, part: float, whole: float, share: float) -> bool:
    """True if one of the unit's alternatives moves the share by at least 0.05 percentage points."""
    now = u.chosen()
    for o in u.job_options():
        w = whole - now.whole + o.whole
        if w > 0 and abs((part - now.part + o.part) / w - share) >= 0.0005:
            return True
    return False


# ---------------------------------------------------------------------------- places of control

def centre_of(facts: Facts, place: str | None, region: str) -> tuple[str, str, str] | None:
    """(Land or country, its kind, control class) of a place of control (:func:`kg.rules.control_area`)."""
    cls = control_class(place, region, facts.places.ancestors, facts.places.country)
    found = control_area(place, cls, facts.places.land, facts.places.country)
    return (found[0], found[1], cls) if found else None


def add_centres(centres: dict[str, ControlArea], facts: Facts, f: FirmInArea, region: str) -> None:
    """The firm's jobs to the Land or country it is run from, and to the high end of every alternative."""
    chosen = facts.control.get(f.firm)
    holder = facts.holder.get(f.firm)
    here = centre_of(facts, chosen.place if chosen else None, region)
    alternatives = facts.candidates.get(holder, []) if holder else []
    possible = {x for a in alternatives if (x := centre_of(facts, a.place, region))} | ({here} if here else set())
    for x in possible:
        ca = centres.setdefault(x[0], ControlArea(region, x[0], x[1], x[2]))
        ca.jobs_high += max(f.options, default=0)
        if x == here:
            ca.firms += 1
            ca.with_figure += f.jobs is not None
            ca.jobs += f.jobs or 0
            if len(possible) == 1:
                ca.jobs_low += min(f.options, default=0)


# ---------------------------------------------------------------------------- a region

def summarise(facts: Facts, region: str, firms: list[str]) -> None:
    """Add the summaries of the region and its Länder, its subsectors and its decision-centre areas to ``facts``.

    ``firms``: the firms with an operating site in the region."""
    areas = areas_of(facts, region)
    summaries = {a: AreaSummary(region, a) for a in areas}
    ranges = {a: Ranges() for a in areas}
    by_code: dict[str, SubsectorSummary] = {}
    centres: dict[str, ControlArea] = {}
    for firm in firms:
        classes = classes_of(facts, firm, region)
        for area in areas:
            f = firm_in_area(facts, firm, region, area, classes)
            if f is None:
                continue
            summaries[area].tally.add(f.cls, f.jobs, f.external, f.no_production)
            ranges[area].add(f, facts.holder.get(firm))
            if area == region:
                for code in facts.codes_of.get(firm) or [""]:
                    by_code.setdefault(code, SubsectorSummary(region, code)).tally.add(f.cls, f.jobs)
                add_centres(centres, facts, f, region)
    for area, sm in summaries.items():
        ranges[area].apply(sm)
    facts.summaries.extend(sm for sm in summaries.values() if sm.tally.firms)
    facts.control_areas.extend(sorted(centres.values(), key=lambda a: (-a.jobs, a.area)))
    facts.subsector_summaries.extend(by_code[c] for c in sorted(by_code))
