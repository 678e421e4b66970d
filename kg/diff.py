"""What changed between two builds of a region: ``kg diff OLD NEW``.

An analyst who updates a regional study every year asks first what changed.  :func:`diff` compares two
stores (two builds, or two data folders built in memory) and lists

- the firms, groups and sites added and removed (by id, with their names and sources);
- the changes of parent (``org:subOrganizationOf``), of place of control (``bbmb:controlPlace``, derived by
  each build under its reading) and of the control class seen from the build's region (inside, germany,
  abroad, unknown: :func:`kg.rules.control_class`);
- head-count changes (``bbmb:employees``, the figure each build uses) beyond the sources' rounding
  (:func:`kg.rules.headcount_changed`), and figures added or removed;
- subsector changes (``org:classification``) and sources added to or removed from a firm or site
  (``prov:wasDerivedFrom``) that no other change names;
- the headline, the saved query ``control-summary`` for the build's region, each figure old -> new.

The facts are read with SPARQL from each store and compared as sets of (subject, value) pairs, so two
large stores are compared in time linear in their size.  Subjects are compared by their id (the IRI less
the build's base), so two builds made with different bases still match; a warning says so.

    >>> from kg.build import build
    >>> store = build("data").store   # doctest: +SKIP
    >>> found = diff(store, store)   # doctest: +SKIP
    >>> found.changes, found.headline[0].aspect   # doctest: +SKIP
    ([], 'reading')
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode

from .query import select
from .results import Compact, Result, Term, write_table
from .rules import control_class, headcount_changed

if TYPE_CHECKING:
    from pyoxigraph import Store

#: The columns of a diff as a :class:`kg.results.Result` (``kg diff --format csv``).
COLUMNS = ["kind", "subject", "subjectLabel", "aspect", "old", "new", "oldSources", "newSources"]
#: The kinds of row, in the order the readable table shows them.
KINDS = ("added", "removed", "changed", "headline")

#: The facts compared, aspect -> the SPARQL pattern binding ?s (a firm, group or site) and ?v.
FACTS = {
    "parent": "?s org:subOrganizationOf ?v",
    "control place": "?s bbmb:controlPlace ?v",
    "head-count": "?s bbmb:employees ?v",
    "subsector": "?s org:classification ?v",
}
#: Where a fact's sources are: aspect -> a pattern binding ?s and ?src.
FACT_SOURCES = {
    "parent": "?r bbmb:child ?s ; prov:wasDerivedFrom ?src",
    "head-count": "?s schema:numberOfEmployees ?h . ?h prov:wasDerivedFrom ?src",
    # a firm without a figure of its own counts its sites': their figures' sources (merged in read_side)
    "sites' head-count": "?site org:siteOf ?s ; schema:numberOfEmployees ?h . ?h prov:wasDerivedFrom ?src",
}
#: The saved query whose figures are the headline, and its figures in order: figure -> (low, high) of its range.
HEADLINE_QUERY = "control-summary"
HEADLINE_FIGURES: dict[str, tuple[str, str] | None] = {
    "firms": None, "firmsOutside": None, "firmsInside": None, "firmsUnknown": None,
    "shareFirmsOutside": ("shareFirmsOutsideMin", "shareFirmsOutsideMax"), "firmsWithFigure": None,
    "jobs": None, "jobsOutside": None, "shareJobsOutside": ("shareJobsOutsideMin", "shareJobsOutsideMax"),
    "jobsExternal": None, "jobsNoProduction": None, "statisticsTotal": None, "coverage": None,
}
_ENTITIES = """SELECT ?s (SAMPLE(?name) AS ?label) (MAX(?firm) AS ?isFirm) (MAX(?site) AS ?isSite) WHERE {
  { ?s a org:Organization BIND(EXISTS { ?s a bbmb:Firm } AS ?firm) BIND(false AS ?site) }
  UNION { ?s org:siteOf ?o BIND(false AS ?firm) BIND(true AS ?site) }
  OPTIONAL { ?s rdfs:label ?name FILTER(LANG(?name) = "" || LANG(?name) = "en") }
} GROUP BY ?s"""
_PLACES = """SELECT ?s (SAMPLE(?name) AS ?l) WHERE { ?s a schema:Place ; rdfs:label ?name
  FILTER(LANG(?name) = "" || LANG(?name) = "en") } GROUP BY ?s"""


@dataclass(frozen=True)
class Change:
    """One row of a diff: what (``kind``: added, removed, changed, headline) happened to which subject."""

    kind: str
    subject: str
    label: str
    aspect: str
    old: str = ""
    new: str = ""
    old_sources: tuple[str, ...] = ()
    new_sources: tuple[str, ...] = ()

    def values(self) -> tuple[str, ...]:
        """The row's cells, in the order of :data:`COLUMNS` (the sources ``;``-separated)."""
        return (self.kind, self.subject, self.label, self.aspect, self.old, self.new, "; ".join(self.old_sources),
                "; ".join(self.new_sources))


@dataclass
class Side:
    """One of the two builds compared: the facts :func:`diff` reads from its store."""

    description: str
    base: str
    reading: str
    region: str | None
    #: id (the IRI less the base) -> (IRI, name, kind: firm, organization or site)
    entities: dict[str, tuple[str, str, str]]
    #: aspect -> {(subject id, value)}; IRIs as ids, numbers as text
    facts: dict[str, set[tuple[str, str]]]
    #: aspect -> subject id -> its sources' ids
    sources: dict[str, dict[str, set[str]]]
    #: place id -> its name (a place of control is shown by it)
    places: dict[str, str] = field(default_factory=dict)
    headline: Result | None = None

    def key(self, iri: str) -> str:
        return iri[len(self.base):] if self.base and iri.startswith(self.base) else iri


@dataclass
class Diff:
    """The changes between two builds (:func:`diff`), the headline before and after, and warnings."""

    old: Side
    new: Side
    changes: list[Change] = field(default_factory=list)
    headline: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> list[Change]:
        return [*self.changes, *self.headline]

    def result(self) -> Result:
        """The changes and the headline as one :class:`kg.results.Result` of :data:`COLUMNS`, for the writers
        of :mod:`kg.writers` (csv, xlsx, json ...): the subject an IRI, every other cell text."""
        rows: list[tuple[Term | None, ...]] = [
            tuple(NamedNode(v) if name == "subject" and "://" in v else Literal(v)
                  for name, v in zip(COLUMNS, c.values(), strict=True)) for c in self.rows()]
        result = Result(list(COLUMNS), rows)
        result.about.query = "diff"
        result.about.title = f"What changed: {self.old.description} -> {self.new.description}"
        result.about.dataset = f"{self.old.description}; {self.new.description}"
        return result

    def data(self) -> dict[str, Any]:
        """The diff as plain data (the page's JSON)."""
        sides = {name: {"description": s.description, "reading": s.reading, "base": s.base, "region": s.region}
                 for name, s in (("old", self.old), ("new", self.new))}
        return {**sides, "warnings": self.warnings, "columns": COLUMNS,
                "rows": [dict(zip(COLUMNS, c.values(), strict=True)) for c in self.rows()]}


# ---------------------------------------------------------------------------- reading a store

def _first(store: Store, query: str) -> str | None:
    rows = select(store, query, lexical=True)
    return next(iter(rows[0].values())) if rows else None


def read_side(store: Store, description: str = "") -> Side:
    """The facts of one build that :func:`diff` compares, read from its store with SPARQL."""
    derived = _first(store, "SELECT ?g WHERE { ?g bbmb:reading ?r ; prov:wasGeneratedBy ?a } LIMIT 1") or ""
    base = derived[: -len("graph/derived")] if derived.endswith("graph/derived") else ""
    reading = _first(store, "SELECT ?r WHERE { ?g bbmb:reading ?r ; prov:wasGeneratedBy ?a } LIMIT 1") or ""
    region = _first(store, "SELECT ?r WHERE { ?g bbmb:defaultRegion ?r } LIMIT 1")
    side = Side(description, base, reading, region, {}, {}, {})
    for r in select(store, _ENTITIES, lexical=True):
        kind = "site" if r["isSite"] in ("true", "1") else "firm" if r["isFirm"] in ("true", "1") else "organization"
        side.entities[side.key(r["s"])] = (r["s"], r["label"] or side.key(r["s"]), kind)
    for aspect, pattern in FACTS.items():
        side.facts[aspect] = {(side.key(r["s"]), side.key(r["v"]))
                              for r in select(store, f"SELECT ?s ?v WHERE {{ {pattern} }}", lexical=True)}
    side.facts["control class"] = _control_classes(store, side)
    side.places = {side.key(r["s"]): r["l"] for r in select(store, _PLACES, lexical=True)}
    entity_sources = {aspect: f"?s prov:wasDerivedFrom ?src . {kind}"
                      for aspect, kind in (("firm", "?s a org:Organization"), ("site", "?s org:siteOf ?o"))}
    for aspect, pattern in {**FACT_SOURCES, **entity_sources}.items():
        found: dict[str, set[str]] = defaultdict(set)
        for r in select(store, f"SELECT DISTINCT ?s ?src WHERE {{ {pattern} }}", lexical=True):
            found[side.key(r["s"])].add(_source_id(side.key(r["src"])))
        side.sources[aspect] = found
    own, of_sites = side.sources["head-count"], side.sources.pop("sites' head-count")
    own.update({key: sources for key, sources in of_sites.items() if key not in own})
    return side


def _source_id(key: str) -> str:
    return key.removeprefix("source/")


def _control_classes(store: Store, side: Side) -> set[tuple[str, str]]:
    """(organisation id, control class) seen from the build's region (:func:`kg.rules.control_class` of the
    derived place of control: what the views and the summary compute)."""
    if not side.region:
        return set()
    ancestors: dict[str, list[str]] = defaultdict(list)
    for r in select(store, "SELECT ?p ?u WHERE { ?p bbmb:within ?u }", lexical=True):
        ancestors[r["p"]].append(r["u"])
    country = {r["p"]: r["c"] for r in select(store, "SELECT ?p ?c WHERE { ?p bbmb:inCountry ?c }", lexical=True)}
    place = {r["s"]: r["p"] for r in select(store, "SELECT ?s ?p WHERE { ?s bbmb:controlPlace ?p }", lexical=True)}
    return {(key, control_class(place.get(iri), side.region, ancestors, country))
            for key, (iri, _, kind) in side.entities.items() if kind != "site"}


def _headline(store: Store, side: Side) -> Result | None:
    """The rows of the saved query control-summary for the build's region, or None without a region."""
    from .namespaces import IRIs
    from .query import run

    if not side.region:
        return None
    return run(HEADLINE_QUERY, store, {"region": NamedNode(side.region)}, IRIs(side.base or None))


# ---------------------------------------------------------------------------- comparing

def diff(old_store: Store, new_store: Store, old_description: str = "old", new_description: str = "new") -> Diff:
    """The changes from the build in ``old_store`` to the one in ``new_store`` (see the module's text).

    Two stores of the same data differ in nothing but may still name their headline:

        >>> from kg.build import build
        >>> store = build("data").store
        >>> same = diff(store, store)
        >>> same.changes, same.warnings
        ([], [])
        >>> [(h.aspect, h.old == h.new) for h in same.headline][:2]
        [('reading', True), ('firms', True)]
    """
    old, new = read_side(old_store, old_description), read_side(new_store, new_description)
    old.headline, new.headline = _headline(old_store, old), _headline(new_store, new)
    found = Diff(old, new, warnings=list(_warnings(old, new)))
    found.changes = [*_entity_changes(old, new), *_fact_changes(old, new)]
    found.headline = list(_headline_changes(old, new))
    return found


def _warnings(old: Side, new: Side) -> Iterator[str]:
    for what, a, b in (("reading", old.reading, new.reading), ("base", old.base, new.base),
                       ("region", old.region, new.region)):
        if a != b:
            yield (f"the builds differ in their {what}: {a or 'none'} (old) and {b or 'none'} (new); figures that "
                   f"depend on it may differ for that reason alone")


def _entity_changes(old: Side, new: Side) -> Iterator[Change]:
    for kind, here, there in (("added", new, old), ("removed", old, new)):
        for key in sorted(here.entities.keys() - there.entities.keys()):
            iri, label, what = here.entities[key]
            sources = tuple(sorted(here.sources["site" if what == "site" else "firm"].get(key, ())))
            yield Change(kind, iri, label, what, *(("", label, (), sources) if kind == "added"
                                                   else (label, "", sources, ())))


def _by_subject(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for subject, value in pairs:
        out[subject].add(value)
    return out


def _fact_changes(old: Side, new: Side) -> Iterator[Change]:
    """The changed facts of the subjects in both builds, then the sources no such change names."""
    both = old.entities.keys() & new.entities.keys()
    named: dict[str, set[str]] = defaultdict(set)  # subject -> the sources the rows below name
    rows: list[Change] = []
    for aspect in (*FACTS, "control class"):
        before, after = old.facts.get(aspect, set()), new.facts.get(aspect, set())
        moved = {s for s, _ in before ^ after} & both  # the set differences: linear in the stores' size
        if not moved:
            continue
        was = _by_subject(p for p in before if p[0] in moved)
        now = _by_subject(p for p in after if p[0] in moved)
        for key in sorted(moved):
            if aspect == "head-count" and not _headcount_moved(was.get(key, set()), now.get(key, set())):
                continue
            change = _change(old, new, key, aspect, was.get(key, set()), now.get(key, set()))
            named[key].update(change.old_sources, change.new_sources)
            rows.append(change)
    rows.extend(_source_changes(old, new, both, named))
    yield from sorted(rows, key=lambda c: (c.label.casefold(), c.subject, c.aspect))


def _headcount_moved(was: set[str], now: set[str]) -> bool:
    """A figure added or removed, or one that moved beyond the sources' rounding (kg.rules.headcount_changed)."""
    if not was or not now:
        return True
    return headcount_changed(int(min(was)), int(min(now)))


def _change(old: Side, new: Side, key: str, aspect: str, was: set[str], now: set[str]) -> Change:
    iri, label, _ = new.entities[key]
    return Change("changed", iri, label, aspect, _shown(old, was), _shown(new, now),
                  tuple(sorted(old.sources.get(aspect, {}).get(key, ()))),
                  tuple(sorted(new.sources.get(aspect, {}).get(key, ()))))


def _shown(side: Side, values: set[str]) -> str:
    """Values as a reader reads them: an organisation or a place by its name and id, others by their id."""
    def one(value: str) -> str:
        name = side.entities[value][1] if value in side.entities else side.places.get(value)
        return f"{name} ({value})" if name else value

    return "; ".join(one(v) for v in sorted(values))


def _source_changes(old: Side, new: Side, both: set[str], named: Mapping[str, set[str]]) -> Iterator[Change]:
    for key in sorted(both):
        iri, label, kind = new.entities[key]
        aspect = "site" if kind == "site" else "firm"
        was, now = old.sources[aspect].get(key, set()), new.sources[aspect].get(key, set())
        removed, added = was - now - named.get(key, set()), now - was - named.get(key, set())
        if removed or added:
            yield Change("changed", iri, label, "sources", "; ".join(sorted(removed)), "; ".join(sorted(added)),
                         tuple(sorted(was)), tuple(sorted(now)))


def _figures(result: Result | None) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """area IRI -> (IRI, label, the row's values) of a control-summary result."""
    if result is None:
        return {}
    return {r["area"]: (r["area"], r.get("areaLabel") or r["area"], r) for r in result.records()}


def _figure(row: dict[str, Any] | None, figure: str) -> str:
    """A headline figure as text, with its range where it has one: ``45.2 (38.1–52.0)``."""
    if row is None or row.get(figure) in (None, ""):
        return ""
    text = f"{row[figure]:,}" if isinstance(row[figure], int) else str(row[figure])
    bounds = HEADLINE_FIGURES.get(figure)
    if bounds and row.get(bounds[0]) not in (None, ""):
        text += f" ({row[bounds[0]]}–{row[bounds[1]]})"
    return text


def _headline_changes(old: Side, new: Side) -> Iterator[Change]:
    """Each figure of the headline, old -> new, area by area (matched by id); the reading in its own row."""
    was = {old.key(k): v for k, v in _figures(old.headline).items()}
    now = {new.key(k): v for k, v in _figures(new.headline).items()}
    for key in [*now, *(k for k in was if k not in now)]:
        iri, label, _ = now.get(key) or was[key]
        a, b = (was[key][2] if key in was else None), (now[key][2] if key in now else None)
        yield Change("headline", iri, label, "reading", old.reading, new.reading)
        for figure in HEADLINE_FIGURES:
            yield Change("headline", iri, label, figure, _figure(a, figure), _figure(b, figure))


# ---------------------------------------------------------------------------- writing

#: The readable table's sections: kind -> its heading.
SECTIONS = {"added": "Added", "removed": "Removed", "changed": "Changed", "headline": "Headline"}


def text(found: Diff, compact: Compact | None = None) -> str:
    """The diff as a readable table for a terminal: the builds, warnings, then one section a kind of row.

        >>> old = Side("old", "", "primary", None, {}, {}, {})
        >>> print(text(Diff(old, old)), end="")
        old: old
        new: old
        readings: primary (old), primary (new)
        <BLANKLINE>
        no changes (firms, sites, parents, control, head-counts beyond the sources' rounding, subsectors, sources)
    """
    out = [f"old: {found.old.description}", f"new: {found.new.description}",
           f"readings: {found.old.reading or 'not recorded'} (old), {found.new.reading or 'not recorded'} (new)"]
    out += [f"warning: {w}" for w in found.warnings]
    if not found.changes:
        out += ["", "no changes (firms, sites, parents, control, head-counts beyond the sources' rounding, "
                    "subsectors, sources)"]
    for kind, heading in SECTIONS.items():
        rows = [c for c in found.rows() if c.kind == kind]
        if not rows:
            continue
        if kind == "headline":
            heading += f": the saved query {HEADLINE_QUERY}, old -> new (share: percent, with its range)"
            rows = [replace(c, new=c.new if c.new != c.old else "=") for c in rows]
        section = Diff(found.old, found.new, changes=rows).result()
        keep = [i for i, v in enumerate(section.variables) if v != "kind"]
        section = Result([section.variables[i] for i in keep], [tuple(r[i] for i in keep) for r in section.rows])
        out += ["", f"{heading} ({len(rows)})", write_table(section, compact).rstrip("\n")]
    return "\n".join(out) + "\n"


def render_page(found: Diff) -> str:
    """An offline HTML page of the diff (``kg/web/diff.html``): the JSON embedded as :func:`kg.html.script_json`
    writes it, every text set by the page's script with ``textContent``."""
    import html

    from .html import script_json, web_file

    parts = {"TITLE": html.escape(f"What changed: {found.old.description} -> {found.new.description}"),
             "DATA": script_json(found.data())}
    # one pass, so that text from the data is never scanned for placeholders
    return re.sub(r"%(TITLE|DATA)%", lambda m: parts[m.group(1)], web_file("diff.html"))


def write_page(found: Diff, path: str | Path) -> Path:
    """Write :func:`render_page` to ``path`` atomically; returns the path."""
    from .files import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(render_page(found))
    return Path(path)
