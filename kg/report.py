"""The study's figures as charts: ``kg viz report`` writes ``report.html``, one offline page, printable to PDF.

The page holds the headline (the saved query ``control-summary``: the share of the named firms' known jobs run
from outside the region, with its range over the contested facts and the population counted) and a chart for
each of the saved queries of :data:`CHARTS`: jobs by place of control, employment over time and its change,
establishments, order intake, production focus, qualification and age.  Every figure is a row of a saved query
run on the build's store (:func:`kg.query.run`, the region parameter the build's), so a new region's report
shows its own statistics; a chart whose query returns no rows says "No data for this chart" instead of drawing
an empty box.  Each value is written beside its bar with its approximation ("about 7,000") and the number of its
source; a contested one with its range ("85.7 % (55.1–86.2 %)"), drawn as a whisker.

Why SVG drawn in Python and not a charting library (Vega-Lite, inlined): the charts are bars with labels,
ranges and sources, a few hundred lines here against about 830 kB of minified script a page (vega 5.33
515 kB, vega-lite 5.23 252 kB, vega-embed 6.29 61 kB); Vega compiles its expressions with ``new Function``,
which the page's Content-Security-Policy would have to allow (``'unsafe-eval'``); and an SVG made here is the
same picture in the page, on paper and saved on its own (each chart is one self-contained ``<svg>`` with its
title and sources), with no script needed to see it.  ``kg/web/report.js`` only adds what needs a browser:
each chart's rows as a table and a button that saves the chart as an SVG picture.

Safety: every text from the data is escaped (:func:`html.escape`) in the HTML and the SVG, and the data
goes into the page as JSON by :func:`kg.html.script_json`; the script writes text with ``textContent`` only.

    >>> from kg.build import build
    >>> data = report_data(build().store)                        # doctest: +SKIP
    >>> data["headline"]["share"], data["charts"][0]["query"]    # doctest: +SKIP
    ('85.7', 'control-summary')
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode, Store

from .charts import Bar, Figure, Group, svg
from .files import atomic_write
from .html import script_json, web_file
from .query import READING_QUERY, data_credit, resolve, run, select, with_region

Row = dict[str, Any]

#: Where a figure derived by the build (not read from a source) comes from, for the chart's source list.
DERIVED = ("derived by kg build from the named firms' sites, head-counts and places of control "
           "(reading: {reading}; kg query {query})")


@dataclass
class _Sources:
    """A chart's sources, numbered in the order the bars cite them."""

    titles: list[str] = field(default_factory=list)

    def number(self, title: str | None) -> int | None:
        if not title:
            return None
        if title not in self.titles:
            self.titles.append(title)
        return self.titles.index(title) + 1


@dataclass(frozen=True)
class Context:
    """What every chart may say: the region (IRI and label) and the reading of the contested facts."""

    region: str | None
    region_label: str
    reading: str


def number(value: Any) -> str:
    """A figure as the report writes it: thousands separated, decimals as the data has them.

    >>> number(Decimal("1050000")), number(Decimal("85.7")), number(-14), number(None)
    ('1,050,000', '85.7', '-14', '')
    """
    if value is None or value == "":
        return ""
    if isinstance(value, (int, Decimal)):
        return format(value, ",")
    return str(value)


def counted(count: Any, noun: str) -> str:
    """A count and its noun, singular for 1.

    >>> counted(1, "firm"), counted(12, "firm"), counted(10456, "job")
    ('1 firm', '12 firms', '10,456 jobs')
    """
    return f"{number(count)} {noun}{'' if count == 1 else 's'}"


def _approximately(word: str | None) -> str:
    return "" if word in (None, "", "exact") else f"{word} "


def _float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _range(low: Any, high: Any, unit: str = "") -> str:
    """`` (low–high unit)`` where the contested facts give a range, else nothing."""
    return "" if low is None or high is None or low == high else f" ({number(low)}–{number(high)}{unit})"


# ---------------------------------------------------------------------------- the charts, one a saved query

def _share_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    def bar(r: Row) -> Bar:
        share, low, high = r["shareJobsOutside"], r["shareJobsOutsideMin"], r["shareJobsOutsideMax"]
        text = f"{number(share)} %" + _range(low, high, " %") if share is not None else "no head-count"
        return Bar(f"{r['areaLabel']}: {number(r['jobsOutside'])} of {counted(r['jobs'], 'known job')}",
                   _float(share), text, _float(low), _float(high), 1, r["population"])
    bars = tuple(map(bar, rows))
    return Figure(f"Share of the named firms' known jobs run from outside {ctx.region_label}",
                  (Group("Percent of the known jobs; range over the contested facts", bars),),
                  (DERIVED.format(reading=ctx.reading, query="control-summary"),))


def _centres_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    def bar(r: Row) -> Bar:
        firms = counted(r["firms"], "firm")
        text = (counted(r["employees"], "job") + _range(r["employeesMin"], r["employeesMax"])
                if r["employees"] is not None else "no head-count")
        return Bar(f"{r['areaLabel']} ({r['areaKind']}), {firms}", _float(r["employees"]), text,
                   _float(r["employeesMin"]), _float(r["employeesMax"]), 1, r["population"])
    heading = "Known regional jobs of the named firms run from each Land or country; range over the contested facts"
    return Figure(f"Jobs in {ctx.region_label} by place of control: where the named firms are run from",
                  (Group(heading, tuple(map(bar, rows))),),
                  (DERIVED.format(reading=ctx.reading, query="decision-centres"),))


def _observations(title: str, rows: Sequence[Row], group: Callable[[Row], str], label: Callable[[Row], str],
                  percent: Callable[[str], bool] = lambda heading: False) -> Figure:
    """A chart of statistics' observations (value, approximation, source), in groups, in the query's order."""
    sources = _Sources()
    groups: dict[str, list[Bar]] = {}
    for r in rows:
        heading = group(r)
        unit = " %" if percent(heading) else ""
        groups.setdefault(heading, []).append(
            Bar(label(r), _float(r["value"]), f"{_approximately(r['approximation'])}{number(r['value'])}{unit}",
                source=sources.number(r.get("sourceTitle")) or sources.number("computed from the counts above")))
    return Figure(title, tuple(Group(h, tuple(b)) for h, b in groups.items()), tuple(sources.titles))


def _period(r: Row) -> str:
    return f", {r['period']}" if r.get("period") else ""


_TREND_HEADINGS = {"employees": "Employees", "change stated (percent)": "Change as the source states it (percent)",
                   "change computed (percent)": "Change computed from the counts (percent)"}


def _employment_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    ordered = sorted(rows, key=lambda r: (list(_TREND_HEADINGS).index(r["measure"])
                                          if r["measure"] in _TREND_HEADINGS else len(_TREND_HEADINGS)))
    return _observations("Employment over time and its change by Land", ordered,
                         lambda r: _TREND_HEADINGS.get(r["measure"], str(r["measure"])),
                         lambda r: f"{r['areaLabel'] or r['area']}{_period(r)}", lambda h: "percent" in h)


def _establishments_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    return _observations("Establishments", rows, lambda r: r["measure"],
                         lambda r: f"{r['areaLabel'] or r['area']}{_period(r)}")


def _qualification_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    return _observations("Qualification and age of the employees", rows, lambda r: f"{r['measure']} (percent)",
                         lambda r: f"{r['areaLabel'] or r['area']}: {r['breakdown']}{_period(r)}", lambda h: True)


_ORDERS = {"domestic": "domestic", "foreign": "foreign", "euroArea": "euro area",
           "nonEuroForeign": "other foreign countries", "total": "total"}


def _orders_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    sources = _Sources()
    groups = tuple(Group(f"{r['areaLabel'] or r['area']}{_period(r)} (percent against the same period a year before)",
                         tuple(Bar(name, _float(r[key]), f"{number(r[key])} %",
                                   source=sources.number(r.get("sourceTitle")))
                               for key, name in _ORDERS.items() if r[key] is not None))
                   for r in rows)
    return Figure("Order intake (price-adjusted)", groups, tuple(sources.titles))


def _focus_chart(rows: Sequence[Row], ctx: Context) -> Figure:
    sources = _Sources()
    groups: dict[str, list[Bar]] = {}
    for r in rows:
        groups.setdefault(r["landLabel"], []).append(
            Bar(f"{r['code']} {r['focusLabel']}", tip=r["subsectorLabel"], source=sources.number(r["sourceTitle"])))
    return Figure("Production focus by Land (WZ 2008 class and the source's words)",
                  tuple(Group(h, tuple(b), compact=True) for h, b in groups.items()), tuple(sources.titles))


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the report: its id, the saved query it is drawn from and how."""

    key: str
    query: str
    title: str
    draw: Callable[[Sequence[Row], Context], Figure]


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("control", "control-summary", "Jobs run from outside the region", _share_chart),
    ChartSpec("centres", "decision-centres", "Jobs by place of control", _centres_chart),
    ChartSpec("employment", "employment-trend", "Employment over time and its change by Land", _employment_chart),
    ChartSpec("establishments", "establishments", "Establishments", _establishments_chart),
    ChartSpec("orders", "order-intake", "Order intake", _orders_chart),
    ChartSpec("focus", "production-focus", "Production focus", _focus_chart),
    ChartSpec("qualification", "qualification-age", "Qualification and age", _qualification_chart),
)


# ---------------------------------------------------------------------------- the report's data

def json_value(value: Any) -> Any:
    """A query's value as the page's JSON carries it: numbers as numbers, the rest as text.

    >>> json_value(Decimal("85.7")), json_value(Decimal("-14")), json_value("a"), json_value(None)
    (85.7, -14, 'a', None)
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def headline(rows: Sequence[Row], centres: Sequence[Row], region: str | None) -> dict[str, str] | None:
    """The headline figures of ``control-summary``'s row for the region itself, and the headline sentence the hq
    page says (:func:`kg.views.hq.headline_sentence`, with the places of control of ``decision-centres``)."""
    from .views.hq import centre_rows, headline_sentence

    row = next((r for r in rows if r["area"] == region), rows[0] if rows else None)
    if row is None:
        return None
    keys = ("areaLabel", "reading", "firms", "firmsOutside", "jobs", "jobsOutside", "statisticsTotal", "coverage",
            "population", "hingesOn")
    out = {k: number(row[k]) for k in keys}
    out.update(share=number(row["shareJobsOutside"]), low=number(row["shareJobsOutsideMin"]),
               high=number(row["shareJobsOutsideMax"]), shareFirms=number(row["shareFirmsOutside"]),
               firmsCounted=counted(row["firms"], "firm"),
               sentence=headline_sentence(dict(row), centre_rows([dict(c) for c in centres])))
    return out


def _first(store: Store, query: str, variable: str, bindings: dict[str, NamedNode] | None = None) -> str:
    return next((str(r[variable]) for r in select(store, query, bindings) if r[variable] is not None), "")


def _context(store: Store, region: str | None) -> Context:
    if region is None:
        given = with_region(resolve("control-summary"), store, None) or {}
        region = str(given["region"].value) if isinstance(given.get("region"), NamedNode) else None
    label = _first(store, 'SELECT ?region ?l WHERE { ?region rdfs:label ?l FILTER(LANG(?l) = "en") }', "l",
                   {"region": NamedNode(region)}) if region else ""
    return Context(region, label or "the region", _first(store, READING_QUERY, "r") or "primary")


def report_data(store: Store, region: str | None = None) -> dict[str, Any]:
    """The report: title, credit, headline and, per chart, the saved query's rows and the drawn SVG.

    ``region`` is an IRI (default: the build's region, as ``kg query`` takes it).  A chart whose query
    returns no rows has ``rows == []`` and no ``svg``.
    """
    ctx = _context(store, region)
    params = {"region": NamedNode(ctx.region)} if ctx.region else None
    charts = []
    summary: list[Row] = []
    centres: list[Row] = []
    for spec in CHARTS:
        query = resolve(spec.query)
        rows = run(query, store, params if query.param("region") else None).records()
        if spec.query == "control-summary":
            summary = rows
        elif spec.query == "decision-centres":
            centres = rows
        chart: dict[str, Any] = {"key": spec.key, "query": spec.query, "title": spec.title,
                                 "rows": [{k: json_value(v) for k, v in r.items()} for r in rows]}
        if rows:
            chart["svg"] = svg(spec.draw(rows, ctx), f"chart-{spec.key}")
        charts.append(chart)
    credit = data_credit(store)  # the one credit rule (kg.rules.credit_line), as the pages and the xlsx say it
    return {"title": f"{ctx.region_label}: the study's figures", "credit": credit, "region": ctx.region or "",
            "regionLabel": ctx.region_label, "reading": ctx.reading, "headline": headline(summary, centres, ctx.region),
            "charts": charts}


# ---------------------------------------------------------------------------- the page

def _escape(text: Any) -> str:
    return html.escape(str(text))


def _headline_html(h: dict[str, str] | None) -> str:
    if h is None:
        return '<section id="headline"><p class="empty">No data for the headline: the saved query ' \
               '<code>control-summary</code> returns no rows for this build.</p></section>'
    if not h["share"]:
        figure = f"None of the {_escape(h['firms'])} named firms in {_escape(h['areaLabel'])} has a known head-count."
    else:  # the one sentence the hq page and picture say, its share in bold
        lead = f"{h['share']} %"
        sentence = h["sentence"]
        figure = (f'<strong class="share">{_escape(lead)}</strong>{_escape(sentence[len(lead):])}'
                  if sentence.startswith(lead) else _escape(sentence))
    parts = [f'<p class="figure">{figure}</p>', f'<p class="population">Population: {_escape(h["population"])}.</p>']
    if h["coverage"]:
        parts.append(f"<p>These jobs are {_escape(h['coverage'])} % of the statistics' count of "
                     f"{_escape(h['statisticsTotal'])} employees in the area (a different population).</p>")
    if h["hingesOn"]:
        parts.append(f'<p class="hinges">The range hinges on: {_escape(h["hingesOn"])}.</p>')
    return '<section id="headline">' + "".join(parts) + "</section>"


def _chart_html(chart: dict[str, Any]) -> str:
    heading = f'<h2 class="chart-title">{_escape(chart["title"])}</h2>'
    if "svg" not in chart:
        body = (f'<p class="empty">No data for this chart: the saved query <code>{_escape(chart["query"])}</code> '
                "returns no rows for this build.</p>")
    else:
        body = f'<div class="picture">{chart["svg"]}</div>'
    caption = f'<figcaption>Drawn from <code>kg query {_escape(chart["query"])}</code>.</figcaption>'
    return (f'<figure class="chart" id="chart-{_escape(chart["key"])}" data-key="{_escape(chart["key"])}" '
            f'data-empty="{"true" if "svg" not in chart else "false"}">{heading}{body}{caption}</figure>')


def render_report(data: dict[str, Any]) -> str:
    """The page's HTML for :func:`report_data`."""
    subtitle = " · ".join(_escape(s) for s in (data["credit"], f"reading: {data['reading']}") if s)
    body = (_headline_html(data["headline"]) + '<div class="charts">'
            + "".join(_chart_html(c) for c in data["charts"]) + "</div>")
    page_data = {**data, "charts": [{k: v for k, v in c.items() if k != "svg"} for c in data["charts"]]}
    parts = {"TITLE": _escape(data["title"]), "SUBTITLE": subtitle, "BODY": body, "CSS": web_file("report.css"),
             "DATA": script_json(page_data), "APP": web_file("report.js")}
    # one pass, so that text from the data is never scanned for placeholders
    return re.sub(r"%(TITLE|SUBTITLE|BODY|CSS|DATA|APP)%", lambda m: parts[m.group(1)], web_file("report.html"))


def write_report(store: Store, path: str | Path, region: str | None = None) -> Path:
    """Write the report page of a build's store to ``path`` atomically; returns the path."""
    path = Path(path)
    text = render_report(report_data(store, region))
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path

