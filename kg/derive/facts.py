"""What the build derives: the records every other module of :mod:`kg.derive` fills in or reads."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..rules import ControlCandidate, Figure, Tie, is_inside, is_outside

#: The source id (and graph ``{base}graph/derived``) of the facts the build derives from the others.
DERIVED = "derived"


@dataclass(frozen=True)
class Contested:
    """A fact on which sources disagree and a derived figure may depend."""

    id: str
    subject: str  # organisation or site id
    aspect: str  # "head-count" | "control" | "place"
    alternatives: tuple[tuple[str, tuple[str, ...]], ...]  # (value, its sources), in the sources' order
    chosen: str  # the value of the build's reading


@dataclass
class Tally:
    """The one count every summary keeps: named firms by control class, and their known jobs.

    >>> t = Tally()
    >>> t.add("germany", 300, external=True); t.add("inside", None); t.add("unknown", 50)
    >>> (t.firms, t.outside, t.with_figure, t.jobs, t.jobs_outside, t.jobs_external, t.firm_share, t.job_share)
    (3, 1, 2, 350, 300, 300, 0.5, 0.8571428571428571)
    """

    firms: int = 0
    outside: int = 0
    inside: int = 0
    unknown: int = 0
    with_figure: int = 0
    jobs: int = 0
    jobs_outside: int = 0
    jobs_inside: int = 0
    jobs_unknown: int = 0
    jobs_external: int = 0  # jobs whose figure comes from a source other than the primary ones
    jobs_no_production: int = 0  # jobs of firms without a production site in the area

    def add(self, cls: str, jobs: int | None, external: bool = False, no_production: bool = False) -> None:
        """Count one firm of control class ``cls`` with ``jobs`` (None: no figure)."""
        outside, inside = is_outside(cls), is_inside(cls)
        unknown = not outside and not inside
        self.firms += 1
        self.outside += outside
        self.inside += inside
        self.unknown += unknown
        if jobs is None:
            return
        self.with_figure += 1
        self.jobs += jobs
        self.jobs_outside += jobs if outside else 0
        self.jobs_inside += jobs if inside else 0
        self.jobs_unknown += jobs if unknown else 0
        self.jobs_external += jobs if external else 0
        self.jobs_no_production += jobs if no_production else 0

    @property
    def firm_share(self) -> float | None:
        """Firms run from outside, of the firms whose control is known."""
        known = self.firms - self.unknown
        return self.outside / known if known else None

    @property
    def job_share(self) -> float | None:
        """Known jobs run from outside, of the known jobs."""
        return self.jobs_outside / self.jobs if self.jobs else None


@dataclass
class AreaSummary:
    """The control of one area's named firms (a Land, or the region itself), seen from the region."""

    region: str
    area: str
    tally: Tally = field(default_factory=Tally)
    firm_share_range: tuple[float | None, float | None] = (None, None)
    job_share_range: tuple[float | None, float | None] = (None, None)
    hinges_on: list[str] = field(default_factory=list)  # Contested ids that move the job share
    statistics_total: int | None = None  # the statistics' count of the area's jobs in the industry
    statistics_total_observation: str | None = None


@dataclass
class SubsectorSummary:
    """The control of a region's named firms of one subsector (WZ 2008 code; "" for unclassified firms).

    Counted by the rules of :class:`AreaSummary` (the firm's jobs in the region, its control class);
    a firm classified in two subsectors counts in both."""

    region: str
    code: str
    tally: Tally = field(default_factory=Tally)


@dataclass
class ControlArea:
    """The regional firms and jobs run from one Land (in the region's country) or country (abroad)."""

    region: str
    area: str
    kind: str  # "land" | "country"
    control: str  # a control class (kg.rules.CONTROL_CLASSES)
    firms: int = 0
    with_figure: int = 0  # of the firms, those with a head-count (0: the jobs are "no figure", not 0)
    jobs: int = 0
    jobs_low: int = 0
    jobs_high: int = 0


@dataclass
class Places:
    """The places' ancestry, Land and country (:func:`kg.rules.place_ancestors`, :func:`kg.rules.first_of_kind`)."""

    kinds: dict[str, set[str]]
    ancestors: dict[str, list[str]]
    land: dict[str, str | None]
    country: dict[str, str | None]
    municipality: dict[str, str]

    def of_kind(self, kind: str) -> list[str]:
        return sorted(p for p, k in self.kinds.items() if kind in k)


#: An operating site as the rules see it: (site id, place id, its functions).
SiteRow = tuple[str, str, frozenset[str]]


@dataclass
class Facts:
    """What the rules decide for one set of tables under one reading."""

    reading: str
    places: Places
    parent: dict[str, str]  # org -> its parent ("" for none)
    controller: dict[str, str]
    candidates: dict[str, list[ControlCandidate]]  # org -> the places of control its sources give
    holder: dict[str, str]  # org -> whose place of control it is run from (kg.rules.control_holder)
    control: dict[str, ControlCandidate]  # org -> its place of control (absent: unknown)
    figures: dict[str, list[Figure]]  # subject -> the sources' head-counts
    headcount: dict[str, Figure]  # subject -> the figure the reading uses (its own)
    sites_of: dict[str, list[SiteRow]]  # org -> its operating sites
    firms: list[str]
    codes_of: dict[str, list[str]]
    employees: dict[str, int] = field(default_factory=dict)  # org or site -> the head-count the outputs use
    employees_basis: dict[str, str] = field(default_factory=dict)
    home_region: dict[str, str] = field(default_factory=dict)  # firm -> the region its jobs count in
    default_region: str | None = None
    contested: list[Contested] = field(default_factory=list)
    disputed: set[str] = field(default_factory=set)  # subjects of contested head-counts
    summaries: list[AreaSummary] = field(default_factory=list)
    control_areas: list[ControlArea] = field(default_factory=list)
    subsector_summaries: list[SubsectorSummary] = field(default_factory=list)
    ties: dict[str, set[Tie]] = field(default_factory=dict)  # firm -> its ties (kg.rules.firm_ties)
    #: org -> the areas of its operating sites that it is run from outside (kg.rules.controlled_from_outside)
    outside_areas: dict[str, list[str]] = field(default_factory=dict)

    # the earlier names, for readers of a Facts
    @property
    def kinds(self) -> dict[str, set[str]]:
        return self.places.kinds

    @property
    def ancestors(self) -> dict[str, list[str]]:
        return self.places.ancestors

    @property
    def land(self) -> dict[str, str | None]:
        return self.places.land

    @property
    def country(self) -> dict[str, str | None]:
        return self.places.country

    @property
    def operating_sites(self) -> list[str]:
        """The sites that are not only a head-office entry (kg.rules.is_operating_site)."""
        return [s for sites in self.sites_of.values() for s, _, _ in sites]

    def low(self, subject: str) -> int | None:
        """The head-count the reading uses of a firm or site itself (not the regional rule), or None."""
        f = self.headcount.get(subject)
        return f.low if f else None
