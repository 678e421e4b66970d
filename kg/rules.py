"""The business rules, each written once: every output (queries, pages, graph files, the server) reads them.

The build (:mod:`kg.derive`) applies these functions to the tables and writes what they decide into
the graph ``{base}graph/derived``; the saved queries and the views read those derived triples and
never decide anything again.  The rules, and where each is written:

=================================  ============================================================
place ancestry, region membership  :func:`place_ancestors`, :func:`first_of_kind`, :func:`is_within`
where control sits, seen from      :data:`CONTROL_CLASSES`, :func:`control_class`, :func:`is_outside`,
a region; "outside the region"     :func:`is_inside`, :func:`controlled_from_outside`, :func:`control_area`
which areas are decision centres   :func:`is_decision_centre`
the controlling organisation       :func:`parent_chain`, :func:`ultimate_parents`
a register's parent (kg import)    :data:`CONTROL_INTERESTS`, :data:`SHARE_INTERESTS`, :func:`gives_control`,
                                   :func:`consolidation_parent`, :func:`ownership_cycle`
whose place of control counts      :func:`control_holder`
the place of control               :func:`control_candidates`, :func:`choose_control`
the head-count of a firm or site   :func:`headcount_candidates`, :func:`choose_headcount`, :func:`covers_group`,
                                   :func:`is_contested`
the statistics' total beside a     :func:`latest_total`
summary
a firm's jobs in an area           :func:`area_jobs`
makes nothing in an area           :func:`makes_nothing_in`
operating sites                    :data:`OFFICE_FUNCTIONS`, :func:`is_operating_site` (functions: :mod:`kg.model`)
a firm's home region               :func:`home_region`
the region the outputs default to  :func:`default_region`
cluster ties between firms         :class:`Tie`, :data:`TIE_KINDS`, :func:`firm_ties`, :func:`tie_form`
how many ties, how many firms      :class:`TieCount`, :func:`count_ties` (the clusters page's headline)
share one
primary sources (the study's own)  :data:`STUDY_KINDS`, :func:`primary_sources`
readings of contested facts        :class:`Reading`, :data:`READINGS`, :func:`register_reading`, :func:`get_reading`,
                                   :data:`READING_ALIASES`
range over the contested facts     :func:`share_range`
the credit line of an output       :func:`credit_line`
dated facts: whether a fact holds  :func:`period_bounds`, :func:`holds_on`, :func:`as_of_date`,
on a date (``kg build --as-of``),  :func:`spell`
the days it holds
the years at which the region      :func:`change_years` (the pages' time slider)
changes
=================================  ============================================================

Everything here works on plain ids and numbers, not on RDF, so that each rule can be read and
tested on its own::

    >>> ultimate_parents({"otis": "otis-worldwide", "otis-worldwide": ""})
    {'otis': 'otis-worldwide', 'otis-worldwide': 'otis-worldwide'}
"""
from __future__ import annotations

import calendar
import datetime
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import NamedTuple

from .errors import InvalidArgument

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


def first_of_kind(ancestors: Sequence[str], kinds: Mapping[str, AbstractSet[str]], kind: str) -> str | None:
    """The nearest of ``ancestors`` (see :func:`place_ancestors`) of the given kind (``land``, ``country``).

    >>> first_of_kind(["moabit", "berlin", "de"], {"berlin": {"land"}, "de": {"country"}}, "land")
    'berlin'
    """
    return next((a for a in ancestors if kind in kinds.get(a, ())), None)


def is_within(place: str | None, area: str, ancestors: Mapping[str, Sequence[str]]) -> bool:
    """True if ``place`` is ``area`` or lies in it (``bbmb:within``).

    >>> is_within("moabit", "bb", {"moabit": ["moabit", "berlin", "bb"]}), is_within(None, "bb", {})
    (True, False)
    """
    return bool(place) and area in ancestors.get(place or "", ())


# ---------------------------------------------------------------------------- where control sits

#: Where control sits, seen from a region: in it, elsewhere in the region's country, abroad, not known.
#: Every output uses these classes; :func:`is_outside` says which of them are "outside the region".
CONTROL_CLASSES = ("inside", "germany", "abroad", "unknown")
INSIDE, GERMANY, ABROAD, UNKNOWN = CONTROL_CLASSES
#: The control classes that count as "run from outside the region".
OUTSIDE_CLASSES = frozenset({GERMANY, ABROAD})


def _known_class(cls: str) -> str:
    if cls not in CONTROL_CLASSES:
        raise ValueError(f"unknown control class {cls!r}; the classes are {', '.join(CONTROL_CLASSES)}")
    return cls


def is_outside(cls: str) -> bool:
    """True for the control classes that count as run from outside the region (the absence of headquarters).

    >>> [is_outside(c) for c in CONTROL_CLASSES]
    [False, True, True, False]
    """
    return _known_class(cls) in OUTSIDE_CLASSES


def is_decision_centre(cls: str, firms: int) -> bool:
    """True for an area of control that ``kg query decision-centres`` lists: one outside the region (a Land
    elsewhere in its country, or a country abroad) that runs at least one of the region's firms under the
    reading (an area that only an alternative source names counts in no row).

    >>> is_decision_centre("germany", 2), is_decision_centre("inside", 3), is_decision_centre("abroad", 0)
    (True, False, False)
    """
    return is_outside(cls) and firms > 0


def is_inside(cls: str) -> bool:
    """True for a firm run from the region itself (drawn as a star).

    >>> is_inside("inside"), is_inside("unknown")
    (True, False)
    """
    return _known_class(cls) == INSIDE


def control_class(place: str | None, region: str, ancestors: Mapping[str, Sequence[str]],
                  country: Mapping[str, str | None]) -> str:
    """``inside`` the region, elsewhere in the region's country (``germany``), ``abroad``, or ``unknown``.

    >>> anc = {"muenchen": ["muenchen", "bayern", "de"], "bb": ["bb", "de"]}
    >>> control_class("muenchen", "bb", anc, {"muenchen": "de", "bb": "de"})
    'germany'
    """
    if not place or place not in ancestors:
        return UNKNOWN
    if region in ancestors[place]:
        return INSIDE
    home, there = country.get(region), country.get(place)
    if there is None:
        return UNKNOWN
    return GERMANY if there == home else ABROAD


def controlled_from_outside(place: str | None, area: str, ancestors: Mapping[str, Sequence[str]],
                            country: Mapping[str, str | None]) -> bool:
    """True if control placed at ``place`` is outside ``area`` (any place: a region, a Land, a city).

    >>> anc = {"muenchen": ["muenchen", "bayern", "de"], "bb": ["bb", "de"], "moabit": ["moabit", "bb", "de"]}
    >>> country = {"muenchen": "de", "bb": "de", "moabit": "de"}
    >>> controlled_from_outside("muenchen", "bb", anc, country), controlled_from_outside("moabit", "bb", anc, country)
    (True, False)
    """
    return is_outside(control_class(place, area, ancestors, country))


def control_area(place: str | None, cls: str, land: Mapping[str, str | None],
                 country: Mapping[str, str | None]) -> tuple[str, str] | None:
    """(area, kind) where control sits: the Land of a place in the region's country (``land``), the
    country of a place abroad (``country``); None where control is not known.

    >>> control_area("espoo", "abroad", {"espoo": None}, {"espoo": "fi"})
    ('fi', 'country')
    >>> control_area("muenchen", "germany", {"muenchen": "bayern"}, {"muenchen": "de"})
    ('bayern', 'land')
    """
    if _known_class(cls) == UNKNOWN or not place:
        return None
    area, kind = (country.get(place), "country") if cls == ABROAD else (land.get(place), "land")
    return (area, kind) if area else None


# ---------------------------------------------------------------------------- organisations

def parent_chain(org: str, parent: Mapping[str, str | None]) -> list[str]:
    """The organisation, its parent, the parent's parent ... up to the topmost (a cycle stops).

    >>> parent_chain("otis", {"otis": "otis-worldwide", "otis-worldwide": ""})
    ['otis', 'otis-worldwide']
    """
    out = [org]
    while (up := parent.get(out[-1])) and up not in out:
        out.append(up)
    return out


def ultimate_parents(parent: Mapping[str, str | None]) -> dict[str, str]:
    """organisation -> its topmost parent along the parent relation, or itself (cycles stop).

    >>> ultimate_parents({"otis": "otis-worldwide", "otis-worldwide": ""})["otis"]
    'otis-worldwide'
    """
    return {org: parent_chain(org, parent)[-1] for org in parent}


def control_holder(chain: Sequence[str], known: AbstractSet[str] | Mapping[str, object]) -> str | None:
    """Whose place of control an organisation is run from: the topmost organisation of its
    :func:`parent_chain` of which a place of control is ``known``; None if none is.

    >>> control_holder(["kone-berlin", "kone-gmbh", "kone-oyj"], {"kone-gmbh", "kone-oyj"})
    'kone-oyj'
    """
    return next((o for o in reversed(chain) if o in known), None)


# ---------------------------------------------------------------------------- a register's parent (kg import)

#: Interests that give control of the subject whatever the share (BODS 0.4 ``interestType`` codes, and
#: ``control``: Wikidata's "parent organization", P749, which names the organisation that controls the subject).
CONTROL_INTERESTS = frozenset({"appointmentOfBoard", "controlViaCompanyRulesOrArticles", "controlByLegalFramework",
                               "control"})
#: Interests of which more than half gives control (BODS 0.4 ``interestType`` codes).
SHARE_INTERESTS = frozenset({"shareholding", "votingRights"})


def gives_control(interest: str, direct: bool, least_share: float | None, exclusive: bool = False) -> bool:
    """Whether an interest a register records (BODS) makes its holder the subject's parent: a direct
    control interest, or a direct holding of more than half of the shares or votes.

    ``least_share`` is the least share in percent the register allows (the exact share, or a range's
    minimum); ``exclusive``: that minimum itself is excluded (BODS ``exclusiveMinimum``).  A range that
    may be half or less does not give control; an indirect interest makes a parent further up.

    >>> gives_control("shareholding", True, 75)
    True
    >>> gives_control("shareholding", True, 25)  # a range of 25 to 75 per cent: not surely more than half
    False
    >>> gives_control("votingRights", True, 50), gives_control("votingRights", True, 50, exclusive=True)
    (False, True)
    >>> gives_control("appointmentOfBoard", True, None), gives_control("shareholding", False, 100)
    (True, False)
    >>> gives_control("control", True, None), gives_control("ownership", True, None)  # Wikidata P749, P127
    (True, False)
    """
    if not direct:
        return False
    if interest in CONTROL_INTERESTS:
        return True
    if interest not in SHARE_INTERESTS or least_share is None:
        return False
    return least_share > 50 or (least_share == 50 and exclusive)


def consolidation_parent(relation: str, active: bool, active_direct_recorded: bool) -> bool:
    """Whether an accounting-consolidation relation (GLEIF Level 2) makes its parent the child's parent:
    the active direct parent; where the register records no active direct parent of the child, its
    active ultimate parent stands in (a parent chain with the levels between unknown: certainty implied).

    >>> consolidation_parent("direct", True, True), consolidation_parent("direct", False, False)
    (True, False)
    >>> consolidation_parent("ultimate", True, False), consolidation_parent("ultimate", True, True)
    (True, False)
    """
    if not active:
        return False
    return relation == "direct" or (relation == "ultimate" and not active_direct_recorded)


def ownership_cycle(child: str, parent: str, parents: Mapping[str, str | None]) -> list[str]:
    """The cycle that making ``parent`` the parent of ``child`` would close (``child`` ... ``child``), or [].

    Circular ownership (A owns B owns A) is kept as the register's relations, but such a parent is not
    set: no organisation is its own ultimate parent (see :func:`ultimate_parents`).

    >>> ownership_cycle("a", "b", {"b": "c", "c": "a"})
    ['a', 'b', 'c', 'a']
    >>> ownership_cycle("a", "b", {"b": "c"})
    []
    """
    chain = parent_chain(parent, parents)
    return [child, *chain[: chain.index(child) + 1]] if child in chain else []


#: Functions of the head-office entries the build makes from the organisations table: a site with
#: only these is an office of the organisation, not a plant or centre that employs the region's staff.
OFFICE_FUNCTIONS = frozenset({"headquarters", "registered-seat"})


def is_operating_site(functions: Iterable[str]) -> bool:
    """True unless every function is an office function (a site of unknown function operates).

    Only operating sites count: where a firm has jobs, which sites ``hq-absence`` lists, where a
    firm counts in an area, which sites tie firms together.

    >>> is_operating_site(["headquarters", "production"]), is_operating_site(["headquarters"])
    (True, False)
    """
    fs = set(functions)
    return not fs or not fs <= OFFICE_FUNCTIONS


def home_region(site_places: Iterable[str], regions: Iterable[str],
                ancestors: Mapping[str, Sequence[str]]) -> str | None:
    """The region a firm's jobs are counted in: the one with most of its operating sites (``site_places``),
    of equals the first by id; None if none of its sites lies in a region.

    >>> anc = {"moabit": ["moabit", "berlin", "bb"], "kassel": ["kassel", "hessen"]}
    >>> home_region(["moabit", "kassel"], ["bb", "hessen-region"], anc)
    'bb'
    """
    counts = Counter(r for p in site_places for r in sorted(set(regions)) if r in ancestors.get(p, ()))
    return min(counts, key=lambda r: (-counts[r], r)) if counts else None


def default_region(site_places: Iterable[str], regions: Iterable[str],
                   ancestors: Mapping[str, Sequence[str]]) -> str | None:
    """The region the outputs show unless told otherwise: the one with most operating sites
    (``site_places``: the place of every operating site), of equals the first by id.

    >>> anc = {"moabit": ["moabit", "bb"], "kassel": ["kassel", "hessen"]}
    >>> default_region(["moabit", "moabit", "kassel"], ["bb", "hessen"], anc)
    'bb'
    """
    return home_region(site_places, regions, ancestors)


# ---------------------------------------------------------------------------- head-counts

@dataclass(frozen=True)
class Figure:
    """One head-count as one source gives it: ``low`` is "about N", "over N" or a range's lower end;
    ``scope`` what the figure covers in the source's words (``group``: the firm and its subsidiaries)."""

    low: int
    high: int | None = None
    year: str = ""
    sources: tuple[str, ...] = ()
    primary: bool = False
    scope: str = ""


def covers_group(figure: Figure) -> bool:
    """True if the figure counts the whole group (the firm and the organisations it controls), not the firm alone.

    >>> covers_group(Figure(260, scope="group")), covers_group(Figure(1000, scope="Berlin: fitters and employees"))
    (True, False)
    """
    return figure.scope.strip().lower() == "group"


def headcount_candidates(figures: Sequence[Figure]) -> list[int]:
    """Every number the sources give (a range contributes both ends), smallest first.

    >>> headcount_candidates([Figure(360, 380), Figure(400, primary=True)])
    [360, 380, 400]
    """
    return sorted({n for f in figures for n in (f.low, f.high) if n is not None})


def is_contested(figures: Sequence[Figure]) -> bool:
    """True if the sources give more than one number for a subject: its figures are a contested fact.

    >>> is_contested([Figure(200, primary=True), Figure(500, primary=True)]), is_contested([Figure(330)])
    (True, False)
    """
    return len(headcount_candidates(figures)) > 1


#: A head-count that moves by no more than this share of the earlier figure, or by no more than this many people,
#: has not changed in the sense of ``kg diff``: sources round ("about 330", "some 1,000"), and a figure rounded to
#: the nearest 10 or to two significant digits moves by up to 5 % from one edition to the next without any change.
HEADCOUNT_CHANGE_SHARE = 0.05
HEADCOUNT_CHANGE_PEOPLE = 10


def headcount_changed(old: int, new: int) -> bool:
    """True if a head-count moved beyond the sources' rounding: by more than 5 % of the old figure and more than
    10 people (:data:`HEADCOUNT_CHANGE_SHARE`, :data:`HEADCOUNT_CHANGE_PEOPLE`).

    >>> headcount_changed(400, 650), headcount_changed(330, 340), headcount_changed(1000, 1040)
    (True, False, False)
    >>> headcount_changed(1000, 1060), headcount_changed(100, 115), headcount_changed(20, 31)
    (True, True, True)
    """
    return abs(new - old) > max(HEADCOUNT_CHANGE_SHARE * abs(old), HEADCOUNT_CHANGE_PEOPLE)


def latest_total(observations: Iterable[tuple[str, int, str]]) -> tuple[int, str] | None:
    """The total a summary compares with: of an area's (period, value, observation id), the latest period's.

    >>> latest_total([("2023", 14500, "a"), ("2024", 14700, "b")])
    (14700, 'b')
    """
    found = max(observations, key=lambda o: o[0], default=None)
    return (found[1], found[2]) if found else None


# ---------------------------------------------------------------------------- dated facts

def _day_bounds(part: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a year (2020), a month (2020-11) or a day (2020-11-30)."""
    numbers = [int(n) for n in part.split("-")]
    if len(numbers) == 3:
        day = datetime.date(*numbers)
        return day, day
    year, months = numbers[0], numbers[1:] or [1, 12]  # a month, or a whole year: January to December
    first_month, last_month = months[0], months[-1]
    return (datetime.date(year, first_month, 1),
            datetime.date(year, last_month, calendar.monthrange(year, last_month)[1]))


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """The first and the last day of a period as the tables write it: a year, a month, a day, or an interval of
    them (``1990/1999``: some time within the 1990s, as a source's "in the late 1990s" is recorded).

    >>> [d.isoformat() for d in period_bounds("2020")]
    ['2020-01-01', '2020-12-31']
    >>> [d.isoformat() for d in period_bounds("2024-02")], [d.isoformat() for d in period_bounds("2024-06-30")]
    (['2024-02-01', '2024-02-29'], ['2024-06-30', '2024-06-30'])
    >>> [d.isoformat() for d in period_bounds("1990/1999-06")]
    ['1990-01-01', '1999-06-30']
    """
    first, _, last = period.partition("/")
    return _day_bounds(first)[0], _day_bounds(last or first)[1]


def holds_on(start: str, end: str, date: datetime.date) -> bool:
    """Whether a fact whose period the tables give as ``start`` and ``end`` (each a period, see
    :func:`period_bounds`; empty: open) holds on ``date``.

    A fact is taken not to hold only where its dates say so: it holds from the first day its start may mean
    until the last day its end may mean.  A site opened "2024" (the source says "at the end of 2024") is there
    on every day of 2024, and one closed "2020" still on 31 December 2020; a start recorded as "1990/1999"
    (the late 1990s) holds from 1990.  An empty start or end is open: the data gives no limit.

    >>> holds_on("2024", "", datetime.date(2023, 12, 31)), holds_on("2024", "", datetime.date(2024, 1, 1))
    (False, True)
    >>> holds_on("", "2020", datetime.date(2020, 12, 31)), holds_on("", "2020", datetime.date(2021, 1, 1))
    (True, False)
    >>> holds_on("2015-03-01", "2018-06", datetime.date(2018, 6, 30)), holds_on("", "", datetime.date(1900, 1, 1))
    (True, True)
    """
    first, last = spell(start, end)
    return not (first and date < first) and not (last and date > last)


def spell(start: str, end: str) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and the last day on which a fact with the period ``start`` .. ``end`` holds (:func:`holds_on`),
    None where the data gives no limit: what a graph file's timeline shows of it (a GEXF spell, both days
    included).

    >>> spell("2024", "")
    (datetime.date(2024, 1, 1), None)
    >>> spell("1990/1999", "2020-06")
    (datetime.date(1990, 1, 1), datetime.date(2020, 6, 30))
    """
    return (period_bounds(start)[0] if start else None), (period_bounds(end)[1] if end else None)


def as_of_date(when: str) -> datetime.date:
    """The day ``kg build --as-of`` means: a year's or a month's last day (the region as that year or month left
    it: a head-count of 2019 counts as of 2019), or the day given.  Raises ``ValueError`` for any other text (an
    interval, a day the calendar does not have).

    >>> as_of_date("2019"), as_of_date("2024-02"), as_of_date("2025-06-30")
    (datetime.date(2019, 12, 31), datetime.date(2024, 2, 29), datetime.date(2025, 6, 30))
    """
    if not re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", when, re.ASCII):
        raise ValueError(f"{when!r} is not a year, a month or a day")
    month = int(when[5:7]) if len(when) > 4 else 1
    if not 1 <= month <= 12:
        raise ValueError(f"there is no month {when[5:7]}")
    try:
        return _day_bounds(when)[1]
    except ValueError:  # a day the calendar does not have (2024-02-30)
        raise ValueError(f"there is no day {when}") from None


def change_years(periods: Iterable[tuple[str, str]]) -> list[int]:
    """The years at which what holds changes, of the (start, end) periods of the dated facts (each a period of
    :func:`period_bounds`, or "" where open): the years ``Y`` such that the facts that hold on 31 December of
    ``Y`` (:func:`as_of_date` of ``"Y"``, as ``--as-of Y`` reads a year) differ from those on 31 December of
    ``Y - 1``; sorted.

    A fact holds on a year's last day from the year its start may first mean (a start "1990/1999" from 1990,
    by :func:`holds_on`), and no longer from the first year whose last day comes after the last day its end
    may mean: a site closed "2020" is there at the end of 2020 and gone at the end of 2021, one closed
    "2020-06" gone at the end of 2020.  Between two of these years every day's year-end picture is the one of
    the earlier year, so the pages' time slider shows the region at each of them and nowhere else.

    >>> change_years([("2024", ""), ("", "2020"), ("1990/1999", ""), ("", "2020-06"), ("", ""), ("2024-03", "")])
    [1990, 2020, 2021, 2024]
    """
    years = set()
    for start, end in periods:
        if start:
            years.add(period_bounds(start)[0].year)
        if end:
            years.add((period_bounds(end)[1] + datetime.timedelta(days=1)).year)
    return sorted(years)


# ---------------------------------------------------------------------------- primary sources

#: Source kinds that are a study's own text (a document, its sections and its figures): the primary
#: sources where the project file names no study.
STUDY_KINDS = ("document", "section", "figure")


def primary_sources(sources: Iterable[tuple[str, str, str]], study: Sequence[str] = ()) -> set[str]:
    """The ids of the primary sources, of (id, kind, part of) rows: the study's sources (``kg.toml``'s
    ``study.source``) and every source that is part of one of them; where no study is named, the
    sources of the kinds :data:`STUDY_KINDS`.

    >>> rows = [("report", "document", ""), ("report-ch1", "section", "report"), ("fig-2", "figure", "report-ch1"),
    ...         ("annual-report", "document", ""), ("news", "web", "")]
    >>> sorted(primary_sources(rows, ["report"]))
    ['fig-2', 'report', 'report-ch1']
    >>> sorted(primary_sources(rows))
    ['annual-report', 'fig-2', 'report', 'report-ch1']
    """
    rows = list(sources)
    if not study:
        return {key for key, kind, _ in rows if kind in STUDY_KINDS}
    part_of = {key: whole for key, _, whole in rows}

    def within(key: str) -> bool:
        seen: set[str] = set()
        while key and key not in seen:
            if key in study:
                return True
            seen.add(key)
            key = part_of.get(key, "")
        return False

    return {key for key, _, _ in rows if within(key)}


# ---------------------------------------------------------------------------- control candidates

@dataclass(frozen=True)
class ControlCandidate:
    """A place where a source puts an organisation's control: its headquarters or a decision centre."""

    place: str
    basis: str  # "headquarters" | "decision centre" | "registered seat"
    sources: tuple[str, ...] = ()
    primary: bool = False


def control_candidates(headquarters: Sequence[ControlCandidate], decision_centres: Sequence[ControlCandidate],
                       registered_seats: Sequence[ControlCandidate] = ()) -> list[ControlCandidate]:
    """The places a reading may choose from: decision centres and headquarters; a registered seat
    only where neither is known (a seat is where a firm is registered, not where it is run).

    >>> seat = ControlCandidate("muenchen", "registered seat")
    >>> [c.place for c in control_candidates([], [], [seat])]
    ['muenchen']
    """
    found = list(decision_centres) + list(headquarters)
    return found or list(registered_seats)


# ---------------------------------------------------------------------------- readings

class Reading:
    """A reading of contested facts: which source wins where sources disagree (``kg build --reading NAME``).

    A reading is an object registered in :data:`READINGS` (:func:`register_reading`); a new one
    subclasses this and says how it chooses a head-count and a place of control, so that no rule
    ever falls into an ``else`` for a reading it does not know.
    """

    name: str = ""
    description: str = ""

    def choose_headcount(self, figures: Sequence[Figure]) -> Figure:
        """The figure this reading uses of a non-empty list."""
        raise NotImplementedError

    def choose_control(self, candidates: Sequence[ControlCandidate]) -> ControlCandidate:
        """The place of control this reading uses of a non-empty list."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.description

    def __repr__(self) -> str:
        return f"<Reading {self.name}>"


class PrimaryReading(Reading):
    """The primary sources first (the study's own: ``kg.toml``'s ``study.source`` and its parts): their figures
    (of two, the lower) and the decision centres they state."""

    name = "primary"
    description = ("the primary sources' figures and statements (the study's own) before other sources "
                   "(of two primary figures the lower)")

    def choose_headcount(self, figures: Sequence[Figure]) -> Figure:
        primary = [f for f in figures if f.primary]
        return min(primary or figures, key=lambda f: f.low)

    def choose_control(self, candidates: Sequence[ControlCandidate]) -> ControlCandidate:
        stated = [c for c in candidates if c.basis == "decision centre" and c.primary]
        offices = [c for c in candidates if c.basis != "decision centre"]
        return (stated + offices + list(candidates))[0]


class LatestReading(Reading):
    """The other sources first, the newest first; the primary sources where no other source speaks."""

    name = "latest"
    description = ("the other sources before the primary ones, the newest first (the primary sources where "
                   "no other source speaks)")

    def choose_headcount(self, figures: Sequence[Figure]) -> Figure:
        other = [f for f in figures if not f.primary]
        return min(other or figures, key=lambda f: (-int(f.year or 0), f.low))

    def choose_control(self, candidates: Sequence[ControlCandidate]) -> ControlCandidate:
        offices = [c for c in candidates if c.basis != "decision centre"]
        return ([c for c in offices if not c.primary] + offices + list(candidates))[0]


#: The readings of contested facts a build can be made under, by name (:func:`register_reading`).
READINGS: dict[str, Reading] = {}


def register_reading(reading: Reading) -> Reading:
    """Add a reading to :data:`READINGS` (its name must be new); returns it.

    >>> register_reading(PrimaryReading())
    Traceback (most recent call last):
    ...
    ValueError: a reading named 'primary' is already registered
    """
    if not reading.name or reading.name in READINGS:
        raise ValueError(f"a reading named {reading.name!r} is already registered" if reading.name
                         else "a reading needs a name")
    READINGS[reading.name] = reading
    return reading


register_reading(PrimaryReading())
register_reading(LatestReading())
#: Earlier names of the readings, still understood (``--reading brief`` is ``primary``).
READING_ALIASES: dict[str, str] = {"brief": "primary", "external": "latest"}
#: The reading every output uses unless told otherwise; outputs name it.
DEFAULT_READING = "primary"


def get_reading(reading: str | Reading) -> Reading:
    """The registered reading of that name, or an :class:`~kg.errors.InvalidArgument` that lists the readings.

    >>> get_reading("latest").name, get_reading("external").name
    ('latest', 'latest')
    """
    if isinstance(reading, Reading):
        return reading
    reading = READING_ALIASES.get(reading, reading)
    if reading not in READINGS:
        raise InvalidArgument(f"unknown reading '{reading}'; choose one of: "
                              + "; ".join(f"{k} ({v})" for k, v in READINGS.items()))
    return READINGS[reading]


def check_reading(reading: str) -> str:
    """The reading's name, or an :class:`~kg.errors.InvalidArgument` that lists the readings.

    >>> check_reading("brief")
    'primary'
    """
    return get_reading(reading).name


def choose_headcount(figures: Sequence[Figure], reading: str | Reading = DEFAULT_READING) -> Figure | None:
    """The figure a reading uses, of those the sources give for one firm or site.

    ``primary``: the primary sources' figures if they give any, of those the lowest ("over 3,000" is 3,000,
    a range counts as its lower end).  ``latest``: the other sources' figures if any, the latest reference
    year first, then the lowest; else the primary sources'.

    >>> asml = [Figure(1800, primary=True), Figure(1900, year="2025")]
    >>> choose_headcount(asml, "primary").low, choose_headcount(asml, "latest").low
    (1800, 1900)
    """
    chooser = get_reading(reading)
    return chooser.choose_headcount(figures) if figures else None


def choose_control(candidates: Sequence[ControlCandidate],
                   reading: str | Reading = DEFAULT_READING) -> ControlCandidate | None:
    """The place of control a reading uses.

    ``primary``: where a primary source states a decision centre, that; else the first headquarters.
    ``latest``: the first headquarters another source gives; else the primary sources' statement.
    A registered seat counts only where nothing else is known (see :func:`control_candidates`).

    >>> hq = ControlCandidate("berlin", "headquarters", ("ext-siemens-energy-1",))
    >>> dc = ControlCandidate("muenchen", "decision centre", ("study-structure",), primary=True)
    >>> choose_control([dc, hq], "primary").place, choose_control([dc, hq], "latest").place
    ('muenchen', 'berlin')
    """
    chooser = get_reading(reading)
    return chooser.choose_control(candidates) if candidates else None


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
    if own is not None and uses_own_figure(site_area, area):
        return own
    known = [n for s in here if (n := site_jobs[s]) is not None]
    return sum(known) if known else None


def uses_own_figure(site_area: Mapping[str, str], area: str) -> bool:
    """True if a firm's own head-count is its jobs in ``area`` (all its operating sites lie there;
    see :func:`area_jobs`).

    >>> uses_own_figure({"britz": "berlin", "osw": "berlin"}, "berlin")
    True
    >>> uses_own_figure({"a": "berlin", "b": ""}, "berlin")
    False
    """
    return bool(site_area) and all(a == area for a in site_area.values())


def makes_nothing_in(functions: Iterable[Iterable[str]]) -> bool:
    """True if none of the sites (each given by its functions) produces: the jobs are service, sales or R&D.

    ``functions``: the operating sites in the area whose staff the firm's figure counts (for a
    figure of the whole group, the group's sites there too, see :func:`covers_group`).

    >>> makes_nothing_in([["rnd"]]), makes_nothing_in([["rnd"], ["production", "rnd"]])
    (True, False)
    """
    return not any("production" in set(fs) for fs in functions)


# ---------------------------------------------------------------------------- cluster ties

#: The kinds of tie that join two firms of a region, with the words the outputs use.
TIE_KINDS = {"subsector-place": "subsector and place", "holding": "holding", "campus": "campus",
             "technology-park": "technology park"}
#: Cluster kinds (``data/clusters.csv``) that tie their members, and the tie they make; a peer group
#: (the "big four" lift makers) is a market peer group, not a regional tie.
CLUSTER_TIES = {"holding": "holding", "campus": "campus", "technology-park": "technology-park"}


class Tie(NamedTuple):
    """Something two firms share: ``kind`` (:data:`TIE_KINDS`), ``via`` the organisation, cluster or
    municipality it runs through, ``code`` the WZ code of a subsector-and-place tie.  A named tuple: a million firms
    have 19 million ties, and a frozen dataclass took several times as long to make and hash."""

    kind: str
    via: str
    code: str = ""


@dataclass(frozen=True)
class ClusterTie:
    """A named cluster as the tie rule sees it: its kind, members, operator and place."""

    id: str
    kind: str
    members: frozenset[str] = frozenset()
    operator: str | None = None
    place: str | None = None


class ClusterIndex:
    """The ties the named clusters make (:data:`CLUSTER_TIES`), each made once, found by what makes a firm share
    one: its id (a member or the operator) or a place its operating sites lie in (a campus or park).
    :func:`firm_ties` asks it for one firm's: going through every cluster for every firm grew with the square of
    the firms (at a million firms, most of the build's 16 minutes of rules), and so did making the same tie again
    for each of its firms (19 million ties there).

    >>> park = ClusterTie("adlershof-park", "technology-park", place="adlershof")
    >>> index = ClusterIndex([park, ClusterTie("big-four", "peer-group", frozenset({"otis"}))])
    >>> index.ties_of("otis", {"adlershof", "berlin"}), index.ties_of("otis", {"berlin"})
    ([Tie(kind='technology-park', via='adlershof-park', code='')], [])
    """

    def __init__(self, clusters: Iterable[ClusterTie]) -> None:
        self._by_org: dict[str, list[Tie]] = {}
        self._by_place: dict[str, list[Tie]] = {}
        for cluster in clusters:
            kind = CLUSTER_TIES.get(cluster.kind)
            if kind is None:
                continue
            # a holding runs through its operator
            tie = Tie(kind, cluster.operator if kind == "holding" and cluster.operator else cluster.id)
            for org in cluster.members | ({cluster.operator} if cluster.operator is not None else set()):
                self._by_org.setdefault(org, []).append(tie)
            if kind != "holding" and cluster.place is not None:  # a holding ties its members only
                self._by_place.setdefault(cluster.place, []).append(tie)

    def ties_of(self, firm: str, within: Iterable[str]) -> list[Tie]:
        """The ties of the clusters ``firm`` is a member or the operator of, or whose place is one of ``within``
        (every place its operating sites lie in); a tie found twice is listed twice."""
        return [*self._by_org.get(firm, ()), *(tie for place in within for tie in self._by_place.get(place, ()))]


def firm_ties(chain: Sequence[str], is_parent: bool, codes: Iterable[str], site_places: Sequence[str],
              municipality: Mapping[str, str], ancestors: Mapping[str, Sequence[str]],
              clusters: Iterable[ClusterTie] | ClusterIndex) -> set[Tie]:
    """Every tie of one firm (``chain[0]``; ``chain`` its :func:`parent_chain`, ``site_places`` the places
    of its operating sites).  Two firms are tied where they share a tie:

    - a subsector (``codes``) in the same municipality (a local industry cluster);
    - the same holding or controlling group: every organisation above the firm, and the firm itself
      where it is the parent of another (``is_parent``); a holding cluster runs through its operator;
    - the same campus or technology park: as member, operator, or by an operating site in its place
      (``clusters``: the named clusters, or their :class:`ClusterIndex`, made once for many firms).

    >>> big = ClusterTie("big-holding", "holding", frozenset({"lumics"}), operator="big")
    >>> sorted(firm_ties(["lumics", "big"], False, ["26.70"], ["marzahn"], {"marzahn": "berlin"}, {}, [big]))
    [Tie(kind='holding', via='big', code=''), Tie(kind='subsector-place', via='berlin', code='26.70')]
    """
    firm = chain[0]
    ties = {Tie("subsector-place", municipality.get(p, p), code) for p in site_places for code in codes}
    ties |= {Tie("holding", up) for up in chain[1:]}
    if is_parent:
        ties.add(Tie("holding", firm))
    # every place the firm's operating sites lie in, once
    within = {area for p in site_places for area in ancestors.get(p, (p,))}
    index = clusters if isinstance(clusters, ClusterIndex) else ClusterIndex(clusters)
    ties.update(index.ties_of(firm, within))
    return ties


#: A tie shared by at most this many firms is listed pair by pair (a row of ``cluster-links``, a line of
#: the clusters view, for every two of its firms); a tie of more firms is a hub: one row (one line) from
#: each firm to the tie.  Up to 10 firms (45 pairs) a pair is a tie one reads: the firms of a holding, a
#: campus, a subsector in a town; beyond, the pairs say no more than the list of members and grow with
#: the square.  Measured on a synthetic economy of 10,000 firms (benchmarks/cluster_links.py): 12,909
#: memberships in 745 ties; every tie as pairs 581,121 rows, with this limit 14,648 (at 20: 24,828; at
#: 40: 92,100), while the largest tie of the sample data (``data/``) has 4 firms, so its rows stay pairs.
TIE_PAIR_LIMIT = 10


def tie_form(members: int, limit: int = TIE_PAIR_LIMIT) -> str:
    """How a tie shared by ``members`` firms is listed: ``"pairs"`` (every two of its firms) up to
    ``limit`` firms, ``"hub"`` (each firm with the tie) beyond.

    >>> tie_form(2), tie_form(TIE_PAIR_LIMIT), tie_form(TIE_PAIR_LIMIT + 1)
    ('pairs', 'pairs', 'hub')
    """
    return "pairs" if members <= limit else "hub"


def tie_rows(members: int, limit: int = TIE_PAIR_LIMIT) -> int:
    """The rows a tie of ``members`` firms makes in ``cluster-links`` (and lines in the clusters view):
    n(n-1)/2 pairs, or n for a hub, so never more than ``max(1, (limit - 1) / 2)`` rows a member: the
    rows grow with the firms, not with their square.

    >>> tie_rows(4), tie_rows(TIE_PAIR_LIMIT), tie_rows(TIE_PAIR_LIMIT + 1), tie_rows(5000)
    (6, 45, 11, 5000)
    >>> all(tie_rows(n) <= n * max(1, (TIE_PAIR_LIMIT - 1) / 2) for n in range(2, 10_000))
    True
    """
    return members * (members - 1) // 2 if tie_form(members, limit) == "pairs" else members


#: ``cluster-links`` lists the first this many of its rows (in the order firm A, firm B, tie: their IRIs as
#: strings): the build numbers them (kg/derive/listings.py), so that a page of them is one scan of ranks.
#: At 100,000 synthetic firms the ties make 337,073 rows; the clusters view and the graph files draw every
#: tie, so the listing is for reading, and the first 10,000 rows are what a reader pages through.
CLUSTER_LINK_ROWS = 10_000


def tie_row_keys(ties: Mapping[str, Sequence[str]], limit: int = TIE_PAIR_LIMIT) -> Iterator[tuple[str, str, str]]:
    """The rows of ``cluster-links`` as ``(firm A, firm B, tie)``, from each tie and the firms sharing it (IRIs):
    every two firms of a tie of few (A before B as strings), or each firm with the tie itself as B for a hub
    (:func:`tie_form`); unordered.

    >>> sorted(tie_row_keys({"t": ["b", "a", "c"]}))
    [('a', 'b', 't'), ('a', 'c', 't'), ('b', 'c', 't')]
    >>> sorted(tie_row_keys({"t": ["b", "a", "c"]}, limit=2))
    [('a', 't', 't'), ('b', 't', 't'), ('c', 't', 't')]
    """
    for tie, firms in ties.items():
        if tie_form(len(firms), limit) == "pairs":
            yield from ((a, b, tie) for a, b in itertools.combinations(sorted(firms), 2))
        else:
            yield from ((f, tie, tie) for f in firms)


@dataclass(frozen=True)
class TieCount:
    """The ties of a population of firms, counted: ``ties`` the ties two firms or more share, ``by_kind`` how
    many of each kind (:data:`TIE_KINDS`' order, kinds without one left out), ``tied_firms`` the firms that
    share one or more, ``firms`` the firms counted."""

    ties: int
    by_kind: dict[str, int]
    tied_firms: int
    firms: int

    @property
    def untied(self) -> int:
        """The firms counted that share no tie."""
        return self.firms - self.tied_firms


def count_ties(ties_of: Mapping[str, Iterable[tuple[str, str]]], firms: Iterable[str]) -> TieCount:
    """The ties of ``firms`` counted as ``cluster-links`` lists them: a tie (``(kind, key)``, the key naming what
    it runs through) counts once however many firms share it, and only where two firms or more share it; a
    firm is tied where it shares a tie so counted (``ties_of``: firm -> its ties; a firm absent shares none).

    >>> ties = {"a": [("holding", "g"), ("campus", "c")], "b": [("holding", "g")], "c": [("campus", "x")],
    ...         "d": []}
    >>> counted = count_ties(ties, ["a", "b", "c", "d", "e"])
    >>> counted.ties, counted.by_kind, counted.tied_firms, counted.firms, counted.untied
    (1, {'holding': 1}, 2, 5, 3)
    """
    holders: Counter[tuple[str, str]] = Counter(tie for own in ties_of.values() for tie in set(own))
    shared = {tie for tie, members in holders.items() if members > 1}
    tied = {firm for firm, own in ties_of.items() if shared.intersection(own)}
    kinds = Counter(kind for kind, _ in shared)
    order = [*TIE_KINDS, *sorted(set(kinds) - set(TIE_KINDS))]
    return TieCount(ties=len(shared), by_kind={k: kinds[k] for k in order if kinds[k]}, tied_firms=len(tied),
                    firms=len(set(firms) | tied))


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


# ---------------------------------------------------------------------------- credit

def credit_line(titles: Mapping[str, str], part_of: Mapping[str, str], cited: Iterable[str],
                study: str | None = None) -> str:
    """Whose data an output shows: the work most of the ``cited`` sources are part of (a study and its
    sections, say), and how many other sources it cites; from the data, never a name written in code.

    ``titles`` maps a source id to its title, ``part_of`` a source to the work it is part of; ``study`` is the
    project file's credit for its study (``kg.toml``, recorded by the build), which names the work where given.

        >>> titles = {"study": "A Study (2025)", "study-ch1": "A Study, chapter 1", "web": "A web page"}
        >>> credit_line(titles, {"study-ch1": "study"}, ["study-ch1", "study", "web"])
        'A Study (2025) and 1 other source cited on each fact'
        >>> credit_line(titles, {}, [])
        ''
        >>> credit_line(titles, {"study-ch1": "study"}, ["study-ch1", "web"], "A Study (Institute, 2025)")
        'A Study (Institute, 2025) and 1 other source cited on each fact'
    """
    def whole(key: str) -> str:
        seen = {key}
        while (up := part_of.get(key)) and up not in seen:
            key = up
            seen.add(key)
        return key

    cited = list(cited)
    if not cited:
        return study or ""
    works = Counter(whole(k) for k in cited)
    main, parts = max(works.items(), key=lambda item: (item[1], item[0]))
    others = len(cited) - parts
    rest = f" and {others} other source{'s' if others != 1 else ''} cited on each fact" if others else ""
    return (study or titles.get(main, main)) + rest
