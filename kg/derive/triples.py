"""The derived facts as N-Quads lines in the graph ``{base}graph/derived``: what every output reads."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyoxigraph import Literal

from ..literals import store_form
from ..namespaces import BBMB, DCT, PROV, QB, RDF, RDFS, SCHEMA, SDMX_DIMENSION, XSD, IRIs
from ..rules import TIE_KINDS, Tie, is_decision_centre, tie_form
from ..tables import Tables
from .facts import DERIVED, AreaSummary, Contested, Facts, Tally
from .ties import tie_key

_INTEGER = f"^^<{XSD.integer.value}>"


@dataclass
class _Context:
    """What every writer below needs: the IRIs, the graph's line ending, the names of things."""

    facts: Facts
    iris: IRIs
    g: str
    org_ids: set[str]
    names: dict[str, str]
    place_names: dict[str, str]

    def place(self, key: str) -> str:
        return f"<{self.iris.base}place/{key}>"

    def org(self, key: str) -> str:
        return f"<{self.iris.base}org/{key}>"

    def node(self, key: str) -> str:
        """An organisation or a site."""
        return self.org(key) if key in self.org_ids else f"<{self.iris.base}site/{key}>"

    def integer(self, s: object, p: object, n: int) -> str:
        return f'{s} {p} "{n}"{_INTEGER}{self.g}'


def derived_lines(facts: Facts, tables: Tables, iris: IRIs) -> Iterator[str]:
    """The derived facts as N-Quads lines in ``{base}graph/derived``."""
    names = {r["id"]: r["name"] for table in ("organizations", "sites") for r in tables[table]}
    places = {r["id"]: r["name_en"] or r["name_de"] for r in tables["places"]}
    cx = _Context(facts, iris, f" {iris.graph(DERIVED)} .\n", set(tables.ids("organizations")), names, places)
    yield from _place_lines(cx)
    yield from _control_lines(cx)
    yield from _headcount_lines(cx)
    labels: dict[str, str] = {}
    for c in facts.contested:
        labels[c.id] = _contested_label(cx, c)
        yield from _contested_lines(cx, c, labels[c.id])
    yield from _tie_lines(cx, tables)
    yield from _cube_lines(cx, labels)


def _place_lines(cx: _Context) -> Iterator[str]:
    within, in_land, in_country = (f" {p} " for p in (BBMB.within, BBMB.inLand, BBMB.inCountry))
    facts, g = cx.facts, cx.g
    for p, ups in facts.places.ancestors.items():
        yield from (cx.place(p) + within + cx.place(u) + g for u in ups)
        land, country = facts.places.land[p], facts.places.country[p]
        if land:
            yield cx.place(p) + in_land + cx.place(land) + g
        if country:
            yield cx.place(p) + in_country + cx.place(country) + g
    if facts.default_region:  # the region every output shows unless told otherwise (kg.rules.default_region)
        yield f"{cx.iris.graph(DERIVED)} {BBMB.defaultRegion} {cx.place(facts.default_region)}{g}"


def _control_lines(cx: _Context) -> Iterator[str]:
    facts, g = cx.facts, cx.g
    for org, top in facts.controller.items():
        yield f"{cx.org(org)} {BBMB.controlledBy} {cx.org(top)}{g}"
        ctl = facts.control.get(org)
        if ctl:
            yield f"{cx.org(org)} {BBMB.controlPlace} {cx.place(ctl.place)}{g}"
            yield f"{cx.org(org)} {BBMB.controlBasis} {Literal(ctl.basis)}{g}"
    for org, areas in facts.outside_areas.items():
        yield from (f"{cx.org(org)} {BBMB.controlledFromOutside} {cx.place(a)}{g}" for a in areas)


def _headcount_lines(cx: _Context) -> Iterator[str]:
    facts, g = cx.facts, cx.g
    for site in facts.operating_sites:
        yield f"{cx.node(site)} {RDF.type} {BBMB.OperatingSite}{g}"
    for subject, n in facts.employees.items():
        yield cx.integer(cx.node(subject), BBMB.employees, n)
        yield f"{cx.node(subject)} {BBMB.employeesBasis} {Literal(facts.employees_basis[subject])}{g}"


def _contested_value(cx: _Context, c: Contested, value: str) -> str:
    return cx.place_names.get(value, value) if c.aspect in ("control", "place") else value


def _contested_label(cx: _Context, c: Contested) -> str:
    return f"{cx.names.get(c.subject, c.subject)} {c.aspect}: " + " or ".join(
        f"{_contested_value(cx, c, v)} ({', '.join(src)})" for v, src in c.alternatives)


def _contested_lines(cx: _Context, c: Contested, label: str) -> Iterator[str]:
    s, g = cx.iris.contested(c.id), cx.g
    yield f"{s} {RDF.type} {BBMB.ContestedFact}{g}"
    yield f"{s} {BBMB.about} {cx.node(c.subject)}{g}"
    yield f"{s} {BBMB.aspect} {Literal(c.aspect)}{g}"
    yield f"{s} {RDFS.label} {Literal(label, language='en')}{g}"
    yield f"{s} {BBMB.chosenValue} {Literal(_contested_value(cx, c, c.chosen))}{g}"
    yield f"{s} {BBMB.reading} {Literal(cx.facts.reading)}{g}"
    yield from _alternative_lines(cx, c)


def _alternative_lines(cx: _Context, c: Contested) -> Iterator[str]:
    """Each alternative of a contested fact on its own, with its own sources (what the pages cite for each
    reading), the place it names (a place of control, a site's place), and whether the reading chose it."""
    s, g = cx.iris.contested(c.id), cx.g
    for number, (value, sources) in enumerate(c.alternatives, start=1):
        alt = cx.iris.contested(f"{c.id}/{number}")
        yield f"{s} {BBMB.alternative} {alt}{g}"
        yield f"{alt} {RDF.type} {BBMB.Alternative}{g}"
        yield f"{alt} {RDFS.label} {Literal(_contested_value(cx, c, value), language='en')}{g}"
        if c.aspect in ("control", "place"):
            yield f"{alt} {SCHEMA.containedInPlace} {cx.place(value)}{g}"
        yield f"{alt} {BBMB.chosen} {Literal('true' if value == c.chosen else 'false', datatype=XSD.boolean)}{g}"
        yield from (f"{alt} {PROV.wasDerivedFrom} {cx.iris.source(src)}{g}" for src in sources)


def _tie_lines(cx: _Context, tables: Tables) -> Iterator[str]:
    """Each tie shared by two firms or more (kg.rules.firm_ties): its kind, what it runs through, its label,
    how many firms share it and how cluster-links lists it (kg.rules.tie_form: its pairs, or a hub)."""
    holders: dict[Tie, list[str]] = {}
    for firm, ties in cx.facts.ties.items():
        for tie in ties:
            holders.setdefault(tie, []).append(firm)
    shared = {f"<{cx.iris.base}tie/{tie_key(tie)}>": (tie, firms) for tie, firms in holders.items() if len(firms) > 1}
    clusters = {r["id"]: r["name"] for r in tables["clusters"]}
    for s, (tie, firms) in sorted(shared.items()):
        yield from _tie_node_lines(cx, s, tie, firms, clusters)


def _tie_node_lines(cx: _Context, s: str, tie: Tie, firms: list[str], clusters: dict[str, str]) -> Iterator[str]:
    g = cx.g
    kind, via, code = tie.kind, tie.via, tie.code
    if kind == "subsector-place":
        via_node, label = cx.place(via), f"{cx.place_names.get(via, via)}, WZ {code}"
        yield f"{s} {BBMB.tieSubsector} {cx.iris.subsector(code)}{g}"
    elif via in cx.org_ids:
        via_node, label = cx.org(via), cx.names.get(via, via)
    else:
        via_node, label = f"{cx.iris.cluster(via)}", clusters.get(via, via)
    yield f"{s} {RDF.type} {BBMB.Tie}{g}"
    yield f"{s} {BBMB.tieKind} {Literal(TIE_KINDS[kind])}{g}"
    yield f"{s} {BBMB.via} {via_node}{g}"
    yield f"{s} {RDFS.label} {Literal(label)}{g}"
    yield f"{s} {BBMB.tieMembers} {Literal(len(firms))}{g}"
    yield f"{s} {BBMB.tieForm} {Literal(tie_form(len(firms)))}{g}"
    yield from (f"{cx.org(f)} {BBMB.sharesTie} {s}{g}" for f in sorted(firms))


# ---------------------------------------------------------------------------- the summary's data sets

_DATASETS = (
    ("control-by-area", "Control of the named firms' regional jobs, by area of the jobs", BBMB.controlByAreaDsd),
    ("control-by-decision-centre", "Regional jobs of the named firms by place of control", BBMB.controlByCentreDsd),
    ("control-by-subsector", "Control of the named regional firms and their jobs, by subsector",
     BBMB.controlBySubsectorDsd))


def _decimal(x: float | None) -> str:
    """A share in per cent, one decimal, as the store writes it (``32.0`` as ``32``), or nothing."""
    decimal = XSD.decimal.value
    return f'"{store_form(f"{round(100 * x, 1):.1f}", decimal)}"^^<{decimal}>' if x is not None else ""


def _cube_lines(cx: _Context, contested_labels: dict[str, str]) -> Iterator[str]:
    g, reading = cx.g, Literal(cx.facts.reading)
    for name, title, dsd in _DATASETS:
        ds = cx.iris.dataset(name)
        yield f"{ds} {RDF.type} {QB.DataSet}{g}"
        yield f"{ds} {QB.structure} {dsd}{g}"
        yield f"{ds} {DCT.title} {Literal(title, language='en')}{g}"
        yield f"{ds} {BBMB.reading} {reading}{g}"
    for name, _, _ in _DATASETS:
        yield f"{cx.iris.dataset(name)} {PROV.wasDerivedFrom} {cx.iris.source(DERIVED)}{g}"
    for sm in cx.facts.summaries:
        yield from _area_lines(cx, sm, contested_labels)
    for ca in cx.facts.control_areas:
        if not is_decision_centre(ca.control, ca.firms):
            continue
        o = cx.iris.observation(f"decision-centre/{ca.region}/{ca.area}")
        yield from _head(cx, o, "control-by-decision-centre", ca.region)
        yield f"{o} {BBMB.controlArea} {cx.place(ca.area)}{g}"
        yield f"{o} {BBMB.controlAreaKind} {Literal(ca.kind)}{g}"
        yield f"{o} {BBMB.controlClass} {Literal(ca.control)}{g}"
        for prop, value in ((BBMB.firms, ca.firms), (BBMB.firmsWithFigure, ca.with_figure), (BBMB.jobs, ca.jobs),
                            (BBMB.jobsMin, ca.jobs_low), (BBMB.jobsMax, ca.jobs_high)):
            yield cx.integer(o, prop, value)
    for sub in cx.facts.subsector_summaries:
        o = cx.iris.observation(f"subsector/{sub.region}/{sub.code or 'unclassified'}")
        yield from _head(cx, o, "control-by-subsector", sub.region)
        if sub.code:
            yield f"{o} {BBMB.subsector} {cx.iris.subsector(sub.code)}{g}"
        t = sub.tally
        for prop, value in ((BBMB.firms, t.firms), (BBMB.firmsOutside, t.outside), (BBMB.firmsInside, t.inside),
                            (BBMB.firmsUnknown, t.unknown), (BBMB.firmsWithFigure, t.with_figure), (BBMB.jobs, t.jobs),
                            (BBMB.jobsOutside, t.jobs_outside)):
            yield cx.integer(o, prop, value)


def _head(cx: _Context, o: object, dataset: str, region: str) -> Iterator[str]:
    """What every observation of the summary says: its type, source, data set, region and reading."""
    g = cx.g
    yield f"{o} {RDF.type} {QB.Observation}{g}"
    yield f"{o} {PROV.wasDerivedFrom} {cx.iris.source(DERIVED)}{g}"
    yield f"{o} {QB.dataSet} {cx.iris.dataset(dataset)}{g}"
    yield f"{o} {BBMB.region} {cx.place(region)}{g}"
    yield f"{o} {BBMB.reading} {Literal(cx.facts.reading)}{g}"


def _tally_values(t: Tally) -> tuple[tuple[object, int], ...]:
    return ((BBMB.firms, t.firms), (BBMB.firmsOutside, t.outside), (BBMB.firmsInside, t.inside),
            (BBMB.firmsUnknown, t.unknown), (BBMB.firmsWithFigure, t.with_figure), (BBMB.jobs, t.jobs),
            (BBMB.jobsOutside, t.jobs_outside), (BBMB.jobsInside, t.jobs_inside), (BBMB.jobsUnknown, t.jobs_unknown),
            (BBMB.jobsExternal, t.jobs_external), (BBMB.jobsNoProduction, t.jobs_no_production))


def _area_lines(cx: _Context, sm: AreaSummary, contested_labels: dict[str, str]) -> Iterator[str]:
    g, t = cx.g, sm.tally
    o = cx.iris.observation(f"control/{sm.region}/{sm.area}")
    yield from _head(cx, o, "control-by-area", sm.region)
    yield f"{o} {SDMX_DIMENSION.refArea} {cx.place(sm.area)}{g}"
    yield from (cx.integer(o, prop, value) for prop, value in _tally_values(t))
    for prop, x in ((BBMB.shareFirmsOutside, t.firm_share), (BBMB.shareFirmsOutsideMin, sm.firm_share_range[0]),
                    (BBMB.shareFirmsOutsideMax, sm.firm_share_range[1]), (BBMB.shareJobsOutside, t.job_share),
                    (BBMB.shareJobsOutsideMin, sm.job_share_range[0]),
                    (BBMB.shareJobsOutsideMax, sm.job_share_range[1])):
        if x is not None:
            yield f"{o} {prop} {_decimal(x)}{g}"
    for c in sm.hinges_on:
        yield f"{o} {BBMB.hingesOn} {cx.iris.contested(c)}{g}"
    if sm.hinges_on:  # the labels in the rules' order, as one text: the same on every engine
        text = "; ".join(contested_labels[c] for c in sm.hinges_on)
        yield f"{o} {BBMB.hingesOnText} {Literal(text, language='en')}{g}"
    if sm.statistics_total is not None and sm.statistics_total_observation:
        yield cx.integer(o, BBMB.statisticsTotal, sm.statistics_total)
        yield f"{o} {BBMB.statisticsTotalObservation} {cx.iris.observation(sm.statistics_total_observation)}{g}"
