"""The business rules, each written once: every output (queries, pages, graph files, the server) reads them.

The build (:mod:`kg.derive`) applies these functions to the tables and writes what they decide into
the graph ``{base}graph/derived``; the saved queries and the views read those derived triples and
never decide anything again.  The rules, and where each is written:

================================  ============================================================
place ancestry, region membership  :func:`place_ancestors`, :func:`first_of_kind`, :func:`control_class`
the controlling organisation       :func:`ultimate_parents`
the place of control               :func:`control_candidates`, :func:`choose_control`
the head-count of a firm or site   :func:`headcount_candidates`, :func:`choose_headcount`
a firm's jobs in an area           :func:`area_jobs`
operating sites                    :data:`OFFICE_FUNCTIONS`, :func:`is_operating_site` (functions: :mod:`kg.model`)
readings of contested facts        :data:`READINGS`, :data:`DEFAULT_READING`
range over the contested facts     :func:`share_range`
================================  ============================================================

Everything here works on plain ids and numbers, not on RDF, so that each rule can be read and
tested on its own::

    >>> ultimate_parents({"otis": "otis-worldwide", "otis-worldwide": ""})
    {'otis': 'otis-worldwide', 'otis-worldwide': 'otis-worldwide'}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

# ---------------------------------------------------------------------------- readings

#: The readings of contested facts a build can be made under (``kg build --reading NAME``).
#: Where sources disagree on a fact that a figure depends on, a reading says which source wins.
READINGS: dict[str, str] = {
    "brief": "the brief's figures and statements before external sources (of two brief figures the lower)",
    "external": "external sources before the brief, the newest first (the brief where no external source speaks)",
}
#: The reading every output uses unless told otherwise; outputs name it.
DEFAULT_READING = "brief"


def check_reading(reading: str) -> str:
    """The reading's name, or a ``ValueError`` that lists the readings.

    >>> check_reading("brief")
    'brief'
    """
    if reading not in READINGS:
        raise ValueError(f"unknown reading '{reading}'; choose one of: "
                         + "; ".join(f"{k} ({v})" for k, v in READINGS.items()))
    return reading


# ---------------------------------------------------------------------------- places

def place_ancestors(parents: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """place -> the place and every place above it (``within``, reflexive and transitive), nearest first.

    >>> place_ancestors({"moabit": ["berlin"], "berlin": ["bb"], "bb": ["de"], "de": []})["moabit"]
    ['moabit', 'berlin', 'bb', 'de']
    """
    out: dict[str, list[str]] = {}
    for place in parents:
        seen, todo = [place], list(parents[place])
        while todo:
            up = todo.pop(0)
            if up not in seen:
                seen.append(up)
                todo.extend(parents.get(up, ()))
        out[place] = seen
    return out


def first_of_kind(ancestors: Sequence[str], kinds: Mapping[str, set[str]], kind: str) -> str | None:
    """The nearest of ``ancestors`` (see :func:`place_ancestors`) of the given kind (``land``, ``country``).

    >>> first_of_kind(["moabit", "berlin", "de"], {"berlin": {"land"}, "de": {"country"}}, "land")
    'berlin'
    """
    return next((a for a in ancestors if kind in kinds.get(a, ())), None)


#: Where control sits, seen from a region: the classes every output uses.
CONTROL_CLASSES = ("inside", "germany", "abroad", "unknown")


def control_class(place: str | None, region: str, ancestors: Mapping[str, Sequence[str]],
                  country: Mapping[str, str | None]) -> str:
    """``inside`` the region, elsewhere in the region's country (``germany``), ``abroad``, or ``unknown``.

    >>> anc = {"muenchen": ["muenchen", "bayern", "de"], "bb": ["bb", "de"]}
    >>> control_class("muenchen", "bb", anc, {"muenchen": "de", "bb": "de"})
    'germany'
    """
    if not place or place not in ancestors:
        return "unknown"
    if region in ancestors[place]:
        return "inside"
    home, there = country.get(region), country.get(place)
    if there is None:
        return "unknown"
    return "germany" if there == home else "abroad"


# ---------------------------------------------------------------------------- organisations

def ultimate_parents(parent: Mapping[str, str]) -> dict[str, str]:
    """organisation -> its topmost parent along the parent relation, or itself (cycles stop)."""
    out: dict[str, str] = {}
    for org in parent:
        top, seen = org, {org}
        while parent.get(top) and parent[top] not in seen:
            top = parent[top]
            seen.add(top)
        out[org] = top
    return out


#: Functions of the head-office entries the build makes from the organisations table: a site with
#: only these is an office of the organisation, not a plant or centre that employs the region's staff.
OFFICE_FUNCTIONS = frozenset({"headquarters", "registered-seat"})


def is_operating_site(functions: Iterable[str]) -> bool:
    """True unless every function is an office function (a site of unknown function operates).

    >>> is_operating_site(["headquarters", "production"]), is_operating_site(["headquarters"])
    (True, False)
    """
    fs = set(functions)
    return not fs or not fs <= OFFICE_FUNCTIONS


# ---------------------------------------------------------------------------- head-counts

@dataclass(frozen=True)
class Figure:
    """One head-count as one source gives it: ``low`` is "about N", "over N" or a range's lower end."""

    low: int
    high: int | None = None
    year: str = ""
    sources: tuple[str, ...] = ()
    from_brief: bool = False


def headcount_candidates(figures: Sequence[Figure]) -> list[int]:
    """Every number the sources give (a range contributes both ends), smallest first.

    >>> headcount_candidates([Figure(360, 380), Figure(400, from_brief=True)])
    [360, 380, 400]
    """
    return sorted({n for f in figures for n in (f.low, f.high) if n is not None})


def choose_headcount(figures: Sequence[Figure], reading: str = DEFAULT_READING) -> Figure | None:
    """The figure a reading uses, of those the sources give for one firm or site.

    ``brief``: the brief's figures if it gives any, of those the lowest ("over 3,000" is 3,000, a
    range counts as its lower end).  ``external``: external figures if any, the latest reference
    year first, then the lowest; else the brief's.

    >>> asml = [Figure(1800, from_brief=True), Figure(1900, year="2025")]
    >>> choose_headcount(asml, "brief").low, choose_headcount(asml, "external").low
    (1800, 1900)
    """
    if not figures:
        return None
    brief = [f for f in figures if f.from_brief]
    other = [f for f in figures if not f.from_brief]
    if reading == "brief":
        pool = brief or other
        return min(pool, key=lambda f: f.low)
    pool = other or brief
    return min(pool, key=lambda f: (-int(f.year or 0), f.low))


# ---------------------------------------------------------------------------- control

@dataclass(frozen=True)
class ControlCandidate:
    """A place where a source puts an organisation's control: its headquarters or a decision centre."""

    place: str
    basis: str  # "headquarters" | "decision centre" | "registered seat"
    sources: tuple[str, ...] = ()
    from_brief: bool = False


def control_candidates(headquarters: Sequence[ControlCandidate], decision_centres: Sequence[ControlCandidate],
                       registered_seats: Sequence[ControlCandidate] = ()) -> list[ControlCandidate]:
    """The places a reading may choose from: decision centres and headquarters; a registered seat
    only where neither is known (a seat is where a firm is registered, not where it is run)."""
    found = list(decision_centres) + list(headquarters)
    return found or list(registered_seats)


def choose_control(candidates: Sequence[ControlCandidate], reading: str = DEFAULT_READING) -> ControlCandidate | None:
    """The place of control a reading uses.

    ``brief``: where the brief states a decision centre, that; else the first headquarters.
    ``external``: the first headquarters an external source gives; else the brief's statement.
    A registered seat counts only where nothing else is known (see :func:`control_candidates`).

    >>> hq = ControlCandidate("berlin", "headquarters", ("ext-siemens-energy-1",))
    >>> dc = ControlCandidate("muenchen", "decision centre", ("brief-struktur",), from_brief=True)
    >>> choose_control([dc, hq], "brief").place, choose_control([dc, hq], "external").place
    ('muenchen', 'berlin')
    """
    if not candidates:
        return None
    stated = [c for c in candidates if c.basis == "decision centre"]
    offices = [c for c in candidates if c.basis != "decision centre"]
    if reading == "brief":
        preferred = [c for c in stated if c.from_brief] + offices
    else:
        preferred = [c for c in offices if not c.from_brief] + offices
    return (preferred or list(candidates))[0]


# ---------------------------------------------------------------------------- a firm's jobs in an area

def area_jobs(own: int | None, site_jobs: Mapping[str, int | None], site_area: Mapping[str, str],
              area: str) -> int | None:
    """A firm's jobs in one area (a Land): the firm's own head-count if all its operating sites lie
    in that area, else the sum of its sites' head-counts there; ``None`` where no figure is known.

    ``site_jobs`` maps the firm's operating sites in the region to their head-counts (``None`` if
    unknown), ``site_area`` each of them to its area.

    >>> area_jobs(1800, {"britz": None, "osw": 200}, {"britz": "berlin", "osw": "berlin"}, "berlin")
    1800
    >>> area_jobs(None, {"a": 300, "b": None}, {"a": "berlin", "b": "brandenburg"}, "brandenburg") is None
    True
    """
    here = [s for s in site_jobs if site_area.get(s) == area]
    if not here:
        return None
    if own is not None and all(site_area.get(s) == area for s in site_jobs):
        return own
    known = [site_jobs[s] for s in here if site_jobs[s] is not None]
    return sum(n for n in known if n is not None) if known else None


# ---------------------------------------------------------------------------- ranges

@dataclass(frozen=True)
class Option:
    """One way a firm (or a group of firms sharing a contested controller) can count: what it adds to
    the numerator (e.g. jobs run from outside) and to the denominator (e.g. known jobs)."""

    part: float
    whole: float


def share_range(fixed: Option, choices: Sequence[Sequence[Option]]) -> tuple[float | None, float | None]:
    """The lowest and highest share ``part / whole`` over every combination of choices.

    ``fixed`` is what the uncontested firms add; each entry of ``choices`` lists the options of one
    independent contested unit, exactly one of which applies.  Solved exactly without enumerating
    the combinations (Dinkelbach's method: for a trial share q, each unit independently takes the
    option that minimises ``part - q * whole``; q moves to the share of that combination until it
    stops moving), so thousands of contested firms cost milliseconds.  ``None`` where no
    combination has a positive whole.

    >>> share_range(Option(1000, 2000), [[Option(0, 3000), Option(3000, 3000)]])
    (0.2, 0.8)
    """
    def extreme(sign: float) -> float | None:
        # sign 1: minimise the share; sign -1: maximise it (minimise -part / whole)
        pick = [min(opts, key=lambda o: o.whole) if sign > 0 else max(opts, key=lambda o: o.part)
                for opts in choices]
        q: float | None = None
        for _ in range(100):
            part = fixed.part + sum(o.part for o in pick)
            whole = fixed.whole + sum(o.whole for o in pick)
            if whole <= 0:
                return q
            new = part / whole
            if q is not None and abs(new - q) < 1e-12:
                break
            q = new
            pick = [min(opts, key=lambda o: sign * (o.part - q * o.whole)) for opts in choices]
        return q
    low, high = extreme(1.0), extreme(-1.0)
    return low, high
