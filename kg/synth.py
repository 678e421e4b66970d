"""A synthetic economy of any size, written as the same CSV tables as ``data/``.

``kg synth --firms N`` writes input tables, not RDF, so that what a benchmark measures is the
real path: :func:`kg.tables.read_tables`, :func:`kg.build.build`, the store and the writers.

The economy has the shape of a real industry, deterministically for a seed:

* firm sizes are heavy-tailed (a Pareto law: most firms have a handful of staff, a few have
  thousands);
* groups own several firms (preferential attachment: big groups grow bigger); large plants
  belong to groups far more often than small ones, and those groups mostly sit outside the
  region, a few of them under a foreign ultimate parent;
* sites lie in the real places of ``data/places.csv`` (most in the region, some elsewhere in
  Germany), firms use every WZ subsector of ``data/subsectors.csv``;
* a few holdings, campuses and technology parks tie firms together; some firms have a second,
  disagreeing head-count (and some of those a quality flag); group take-overs are events.

The real sources, places, subsectors, data sets, statistics, comparisons and production focus are copied
from the template folder (``data/``), so every reference resolves; everything else is minted
with synthetic ids (``firm-000001``, ``site-000001-1``, ``group-00001``, ...).

    >>> from kg.synth import synthesize
    >>> stats = synthesize("/tmp/synth-1k", firms=1000, seed=1)   # doctest: +SKIP
    >>> stats["organizations"]                                      # doctest: +SKIP
    1187
"""
from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .build import DEFAULT_DATA
from .errors import InvalidArgument
from .files import atomic_write
from .project import FILE as PROJECT_FILE
from .project import find as find_project
from .project import template as template_project
from .rules import first_of_kind, place_ancestors
from .tables import SCHEMA, TABLES, Tables, read_tables

#: The region whose firms the synthetic economy is about (an id of ``places.csv``).
#: Tables copied unchanged from the template folder.
COPIED = ("places", "subsectors", "datasets", "statistics", "comparisons", "production_focus")
#: Synthetic sources: one per kind of evidence, so the dataset has several named graphs.
SYNTH_SOURCES = {
    "synth": "Synthetic economy (kg synth)",
    "synth-register": "Synthetic firm register",
    "synth-survey": "Synthetic establishment survey (head-counts)",
    "synth-press": "Synthetic press reports (ownership, events)",
}
#: Size (staff) from which a plant counts as large.
LARGE = 250

_SURNAMES = ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
             "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
             "Hofmann", "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler",
             "Herrmann", "König", "Walter", "Peters", "Möller", "Kaiser", "Fuchs", "Lang", "Jung", "Hahn",
             "Vogel", "Keller", "Günther", "Berger", "Roth", "Frank", "Beck", "Lorenz", "Baumann", "Albrecht")
_TRADES = ("Maschinenbau", "Antriebstechnik", "Fördertechnik", "Hydraulik", "Pumpenwerk", "Armaturen",
           "Werkzeugmaschinen", "Anlagenbau", "Präzisionstechnik", "Automation", "Kältetechnik", "Getriebebau",
           "Kranbau", "Sondermaschinen", "Messtechnik", "Medizintechnik", "Lufttechnik", "Motorenwerk")
_FORMS = ("GmbH", "GmbH & Co. KG", "AG", "KG", "GmbH", "GmbH", "SE", "e.K.")
_CLUSTER_NAMES = {"holding": "Industrieholding", "campus": "Forschungscampus", "technology-park": "Technologiepark"}


@dataclass
class _Group:
    """A parent group while the economy is drawn: its id and whether it sits in the region."""

    id: str
    inside: bool


@dataclass
class _Economy:
    """The rows being drawn, table by table (lists of dicts keyed by column)."""

    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {t.name: [] for t in SCHEMA})

    def add(self, table: str, **values: object) -> None:
        columns = {c.name for c in TABLES[table].columns}
        unknown = set(values) - columns
        assert not unknown, f"{table}: unknown columns {unknown}"
        self.rows[table].append({k: "" if v is None else str(v) for k, v in values.items()})


def firm_size(rng: random.Random, xmin: float = 3.0, alpha: float = 1.05, cap: int = 60_000) -> int:
    """A head-count drawn from a Pareto law: median about 6, one firm in 300 above 1,000.

    >>> sizes = sorted(firm_size(random.Random(s)) for s in range(1001))
    >>> sizes[500] < 10 < sizes[-1]
    True
    """
    return min(cap, int(xmin * (1.0 - rng.random()) ** (-1.0 / alpha)))


def _places_in(tables: Tables, region: str) -> tuple[list[str], list[str], list[str]]:
    """Municipalities and districts inside ``region``, elsewhere in its country, and abroad."""
    places = tables.keys("places")
    if region not in places:
        raise InvalidArgument(f"region '{region}' is not a place of {tables.folder / 'places.csv'}")

    ancestors = place_ancestors({pid: row.many("within") for pid, row in places.items()})
    kinds = {pid: set(row.many("type")) for pid, row in places.items()}
    country = first_of_kind(ancestors[region], kinds, "country")
    inside: list[str] = []
    home: list[str] = []
    abroad: list[str] = []
    for pid, row in places.items():
        if not {"municipality", "district"} & set(row.many("type")):
            continue
        up = ancestors[pid][1:]
        (inside if region in up else home if country in up else abroad).append(pid)
    if not inside or not (home or abroad):
        raise InvalidArgument(f"region '{region}' needs municipalities inside and outside it in places.csv")
    return inside, home or abroad, abroad or home


def _weighted_codes(tables: Tables) -> tuple[list[str], list[float]]:
    """Every subsector code; the most specific classes (28.22) far more likely than sections (C)."""
    codes = [r["code"] for r in tables["subsectors"]]
    weights = [{4: 1.0, 3: 0.25, 2: 0.08, 1: 0.02}.get(len(c.replace(".", "")), 1.0) for c in codes]
    return codes, weights


def _name(rng: random.Random) -> str:
    return f"{rng.choice(_SURNAMES)} {rng.choice(_TRADES)}"


def synthesize(out_dir: str | Path, firms: int, seed: int = 1, template: str | Path = DEFAULT_DATA,
               region: str | None = None, region_share: float = 0.7,
               progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the tables of a synthetic economy of ``firms`` firms into ``out_dir``; returns row counts.

    ``region_share`` of the plants lie in ``region`` (default: the template's ``kg.toml`` region); the rest
    elsewhere in its country and a few abroad.  ``out_dir`` gets a ``kg.toml`` naming that region.  The same
    ``firms``, ``seed`` and template give byte-identical files.  Each file is replaced atomically.
    """
    if firms < 1:
        raise InvalidArgument("--firms must be at least 1")
    say = progress or (lambda message: None)
    region = region or find_project(template).region
    if not region:
        raise InvalidArgument(f"{template} has no kg.toml naming its region: give --region PLACE")
    tables = read_tables(template, names=("sources",) + COPIED)
    drawing = _Drawing(tables, region, region_share, random.Random(seed))
    step = max(1, firms // 10)
    for i in range(1, firms + 1):
        drawing.firm(i)
        if i % step == 0 and firms >= 50_000:
            say(f"drew {i:,} of {firms:,} firms")
    drawing.clusters(firms)
    eco = drawing.eco
    eco.rows["sources"] = _sources(tables, firms, seed)
    for name in COPIED:
        eco.rows[name] = [dict(r.values) for r in tables[name]]

    out = Path(out_dir)
    counts = {}
    for table in SCHEMA:
        rows = eco.rows[table.name]
        _write_table(out / table.file, [c.name for c in table.columns], rows)
        counts[table.name] = len(rows)
    with atomic_write(out / PROJECT_FILE, "w", encoding="utf-8") as handle:
        handle.write(template_project(region))
    say(f"wrote {sum(counts.values()):,} rows for {firms:,} firms to {out}")
    return counts


class _Drawing:
    """The economy being drawn: its places, subsectors, groups and random generator.

    The order of the calls on ``rng`` is the file format's contract: the same seed gives the same files.
    """

    def __init__(self, tables: Tables, region: str, region_share: float, rng: random.Random) -> None:
        self.inside, self.home, self.abroad = _places_in(tables, region)
        self.codes, self.code_weights = _weighted_codes(tables)
        self.labels = {r["code"]: r["label_de"] for r in tables["subsectors"]}
        self.place_names = {r["id"]: r["name_de"] for r in tables["places"]}
        self.region_share = region_share
        self.rng = rng
        self.eco = _Economy()
        self.groups_out: list[_Group] = []   # groups headquartered outside the region
        self.groups_in: list[_Group] = []    # groups headquartered in the region
        # Preferential attachment: a group appears once per firm it owns (and once for itself), so
        # a uniform pick from these lists favours big groups.
        self.tickets: dict[bool, list[_Group]] = {True: [], False: []}

    def new_group(self, inside_region: bool) -> _Group:
        rng = self.rng
        gid = f"group-{len(self.groups_out) + len(self.groups_in) + 1:05d}"
        hq = rng.choice(self.inside) if inside_region else (
            rng.choice(self.abroad) if rng.random() < 0.3 else rng.choice(self.home))
        parent = ""
        if not inside_region and self.groups_out and rng.random() < 0.12:
            # a few groups belong to another, older group: ultimate parents are chains
            parent = rng.choice(self.groups_out[: max(1, len(self.groups_out) // 3)]).id
        self.eco.add("organizations", id=gid, name=f"{_name(rng)} Gruppe", types="group", parent=parent,
                     parent_source="synth-press" if parent else "",
                     parent_certainty="confirmed" if parent else "",
                     headquarters=hq, headquarters_source="synth-register", headquarters_certainty="confirmed",
                     source="synth-register")
        group = _Group(gid, inside_region)
        (self.groups_in if inside_region else self.groups_out).append(group)
        self.tickets[inside_region].append(group)
        return group

    def join_group(self, large: bool) -> _Group:
        """The group that owns the next firm: mostly one outside the region for a large plant."""
        inside_region = self.rng.random() >= (0.85 if large else 0.4)
        pool = self.tickets[inside_region]
        group = self.new_group(inside_region) if not pool or self.rng.random() < 0.25 else self.rng.choice(pool)
        pool.append(group)
        return group

    def firm(self, i: int) -> None:
        """Firm number ``i``: its row, subsector, main site and head-count, and now and then more."""
        rng, eco = self.rng, self.eco
        fid, site = f"firm-{i:06d}", f"site-{i:06d}-1"
        size = firm_size(rng)
        large = size >= LARGE
        code = rng.choices(self.codes, self.code_weights)[0]
        in_group = rng.random() < (0.9 if large else 0.35 if size >= 50 else 0.12)
        group = self.join_group(large) if in_group else None
        eco.add("organizations", id=fid, name=f"{_name(rng)} {rng.choice(_FORMS)}", types="firm",
                parent=group.id if group else "", parent_source="synth-press" if group else "",
                parent_certainty=("confirmed" if rng.random() < 0.8 else "likely") if group else "",
                description_de=f"Synthetischer Betrieb: {self.labels[code]}", source="synth-register")
        eco.add("classifications", org=fid, code=code, basis="inference", source="synth-register")
        where = rng.random()
        place = rng.choice(self.inside if where < self.region_share else self.home if where < 0.97 else self.abroad)
        eco.add("sites", id=site, org=fid, name=f"Werk {self.place_names[place]}",
                functions="production" if group else "production;headquarters", place=place, source="synth-register")
        eco.add("headcounts", subject=site, value=size, approx="about" if size >= 20 else "exact",
                source="synth-survey")
        if large:  # large firms have a few more sites: service centres and sales offices
            for extra in range(2, 2 + rng.randint(0, 3)):
                branch = rng.choice(self.inside + self.home)
                eco.add("sites", id=f"site-{i:06d}-{extra}", org=fid, name=f"Niederlassung {self.place_names[branch]}",
                        functions=rng.choice(("service", "sales", "rnd", "sales;service")),
                        place=branch, source="synth-register")
        if rng.random() < 0.02:  # a second source that disagrees
            eco.add("headcounts", subject=site, value=max(1, int(size * rng.uniform(0.5, 1.6)) + 1),
                    approx="about", year=2024, source="synth-press")
            if rng.random() < 0.3:
                eco.add("flags", id=f"flag-{i:06d}", kind="contradiction", subjects=site,
                        description="The survey and the press give different head-counts", source="synth-press")
        if group is not None and rng.random() < 0.2:
            year = rng.randint(1990, 2025)
            eco.add("events", id=f"event-{i:06d}", subject=fid, kind="acquisition", year=year, related=group.id,
                    description_de=f"Übernahme durch {group.id} ({year})", source="synth-press")

    def clusters(self, firms: int) -> None:
        """A few holdings, campuses and technology parks that tie (mostly small, regional) firms together."""
        rng = self.rng
        for k in range(1, max(1, firms // 5000) + 1):
            hid = f"holding-{k:04d}"
            self.eco.add("organizations", id=hid, name=f"{_name(rng)} Industrieholding", types="holding;group",
                         headquarters=rng.choice(self.inside), headquarters_source="synth-register",
                         headquarters_certainty="confirmed", source="synth-register")
            for kind, cid, org in (("holding", f"holding-{k:04d}-members", hid), ("campus", f"campus-{k:04d}", hid),
                                   ("technology-park", f"park-{k:04d}", "")):
                self.eco.add("clusters", id=cid, name=f"{_CLUSTER_NAMES[kind]} {k}", kind=kind,
                             place=rng.choice(self.inside), org=org, source="synth-register")
                for member in sorted(rng.sample(range(1, firms + 1), min(firms, rng.randint(5, 30)))):
                    self.eco.add("cluster_members", cluster=cid, member=f"firm-{member:06d}", source="synth-register")


def _sources(tables: Tables, firms: int, seed: int) -> list[dict[str, str]]:
    """The template's sources (statistics cite them) and the synthetic ones."""
    sources = [dict(r.values) for r in tables["sources"]]
    for sid, title in SYNTH_SOURCES.items():
        sources.append({"id": sid, "kind": "synthetic", "title": title,
                        "part_of": "" if sid == "synth" else "synth",
                        "note": f"kg synth --firms {firms} --seed {seed}" if sid == "synth" else ""})
    return sources


def _write_table(path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]) -> None:
    """One CSV table in the format of ``data/`` (UTF-8, header row, ``\\n`` line ends), atomically."""
    with atomic_write(path, "w", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row.get(c, "") for c in columns] for row in rows)
