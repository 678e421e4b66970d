"""The hq view: the region's sites -> firms -> parent groups -> places of control (the absence of headquarters)."""
from __future__ import annotations

from collections import defaultdict
from itertools import pairwise
from typing import Any

import networkx as nx
from pyoxigraph import Store

from ..messages import LANGUAGES, number, text
from ..namespaces import BBMB, ORG
from .catalogue import Catalog, _catalog, curie
from .layout import inset_area
from .nodes import _org_node, _place_node, _site_node, spell_attrs
from .present import _finish
from .style import _colour_by_centre

#: Past the node budget the hq map is drawn as symbols (:func:`kg.views.budget.within_budget`): the region's sites
#: with the firms of their Land and place of control ("48 sites, 30 firms in Brandenburg run from Bavaria"), the
#: places of control with the parent groups run from there ("35 groups, 12 places run from Bavaria").
MAP_SYMBOLS = {"site": ["firm", "land", "centre"], "firm": ["firm", "land", "centre"],
               "group": ["group", "centre"], "place": ["group", "centre"]}


def control_headline(store: Store, region: str) -> dict[str, Any]:
    """The headline figures of the hq page: the rows of the saved queries ``control-summary`` and
    ``decision-centres`` for the region (an IRI), as ``kg query`` prints them (same query, same store).

    ``areas``: per area (the region first, then its Länder) the share of known jobs and of firms run
    from outside, with its range, the population counted, the facts it hinges on and the statistics' total;
    ``centres``: the regional jobs by Land or country of control.
    """
    from pyoxigraph import NamedNode

    from ..query import run

    params = {"region": NamedNode(region)}
    areas = run("control-summary", store, params).records()
    centres = run("decision-centres", store, params).records()
    headline: dict[str, Any] = {
        "areas": [{k: (str(v) if v is not None else "") for k, v in row.items()} for row in areas],
        "centres": centre_rows(centres)}
    if areas:
        headline["sentence"] = headline_sentence(areas[0], headline["centres"])
        # the page says it in the language shown
        headline["sentences"] = {language: headline_sentence(areas[0], headline["centres"], language=language)
                                 for language in LANGUAGES}
    return headline


def centre_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of ``decision-centres`` as the headline reads them: label, kind, firms, jobs, low, high."""
    return [{"label": r["areaLabel"], "kind": r["areaKind"], "firms": r["firms"], "jobs": r["employees"],
             "low": r["employeesMin"], "high": r["employeesMax"]} for r in records]


def _jobs(centre: dict[str, Any], language: str = "en") -> str:
    """``3,000``, or ``3,000, contested: 0–3,000`` where the sources' alternatives move it."""
    low, high, jobs = centre["low"], centre["high"], centre["jobs"]
    if jobs is None:
        return text("noFigure", language)
    if low is not None and high is not None and low != high:
        return text("sentence.contested", language, jobs=number(jobs, language), low=number(low, language),
                    high=number(high, language))
    return number(jobs, language)


def headline_sentence(area: dict[str, Any], centres: list[dict[str, Any]], top: int = 3,
                      language: str = "en") -> str:
    """The hq page's headline as a sentence one can quote: the share of the known jobs run from outside with its
    range, the places most of them are run from (with their jobs, contested ones as ranges), the firms of known
    control, what is counted and under which reading; each figure with one denominator, from the rows of
    ``control-summary`` (``area``) and ``decision-centres`` (``centres``); in ``language`` (its words:
    ``kg/web/messages.json``, :mod:`kg.messages`).

    >>> area = {"areaLabel": "X", "jobs": 1000, "shareJobsOutside": 60.0, "shareJobsOutsideMin": 50.0,
    ...         "shareJobsOutsideMax": 60.0, "firms": 5, "firmsOutside": 2, "firmsInside": 2, "firmsUnknown": 1,
    ...         "shareFirmsOutside": 50.0, "firmsWithFigure": 4, "reading": "primary"}
    >>> centres = [{"label": "Bavaria", "jobs": 500, "low": 400, "high": 500}, {"label": "Austria", "jobs": 100,
    ...            "low": 100, "high": 100}]
    >>> print(headline_sentence(area, centres))  # doctest: +NORMALIZE_WHITESPACE
    60 % of the 1,000 known jobs of the named firms in X are run from outside the region (50–60 % over the
    sources' alternatives), most from Bavaria (500, contested: 400–500) and Austria (100). 2 of the 4 firms of
    known control are run from outside (50 %; 1 more of unknown control). Counted: 5 named firms with an
    operating site in X, 4 of them with a head-count. Reading: primary.
    >>> print(headline_sentence(area, centres[1:], language="de"))  # doctest: +NORMALIZE_WHITESPACE
    60 % der 1.000 bekannten Arbeitsplätze der genannten Firmen in X werden von außerhalb der Region geführt
    (50–60 % über die Alternativen der Quellen), die meisten von Austria (100). 2 der 4 Firmen mit bekannter
    Kontrolle werden von außerhalb geführt (50 %; 1 weitere mit unbekannter Kontrolle). Gezählt: 5 genannte Firmen
    mit einem Betriebsstandort in X, 4 davon mit einer Beschäftigtenzahl. Lesart: primary.
    """
    def pct(value: Any) -> str:
        return number(round(float(value), 1), language)

    def say(key: str, **values: Any) -> str:
        return text(key, language, **values)

    said = []
    if area.get("jobs") and area.get("shareJobsOutside") not in (None, ""):
        low, high = area["shareJobsOutsideMin"], area["shareJobsOutsideMax"]
        words = (say("sentence.share", share=pct(area["shareJobsOutside"]), jobs=number(area["jobs"], language),
                     area=area["areaLabel"])
                 + (say("headlineRange", low=pct(low), high=pct(high)) if low != high else ""))
        places = [f"{c['label']} ({_jobs(c, language)})" for c in centres if c["jobs"]][:top]
        if places:
            words += say("sentence.most", places=say("sentence.and").join([", ".join(places[:-1]), places[-1]])
                         if len(places) > 1 else places[0])
        said.append(words + ".")
    known = area["firmsOutside"] + area["firmsInside"]
    notes = [f"{pct(area['shareFirmsOutside'])} %"] if known else []
    if area["firmsUnknown"]:
        notes.append(say("sentence.unknown", count=number(area["firmsUnknown"], language)))
    said.append(say("sentence.firms", outside=number(area["firmsOutside"], language), known=number(known, language))
                + (f" ({'; '.join(notes)})" if notes else "") + ".")
    said.append(say("sentence.counted", firms=number(area["firms"], language), area=area["areaLabel"],
                    withFigure=number(area["firmsWithFigure"], language), reading=area["reading"]))
    return " ".join(said)


def hq_view(store: Store, *, region: str | None = None, catalog: Catalog | None = None,
            inset: str | None = None) -> nx.DiGraph[str]:
    """Regional sites -> firms -> parent groups -> headquarters' places, marked by where control sits.

    See the module docstring for the attributes.  ``region`` is the IRI of a ``bbmb:Region``
    (default: the build's, :func:`kg.rules.default_region`).  ``inset``: the IRI of the place the map
    draws enlarged beside it (default: the densest, :func:`kg.views.layout.inset_area`).
    """
    cat = _catalog(store, catalog, region)
    g: nx.DiGraph[str] = nx.DiGraph(
        name="hq", title=text("view.hq.title"), subtitle=text("view.hq.subtitle"),
        color_by="centre", edge_color_by="centre", viz_layout="geo", aggregate_by=("type", "land", "centre"),
        symbols=MAP_SYMBOLS, edge_legend=text("view.hq.edgeLegend"))
    orgs = _add_sites(g, cat)
    for iri in sorted(orgs):
        _add_org(g, cat, iri)
    for iri in sorted(orgs):
        _add_control_line(g, cat, iri)
    _controlled_jobs(g, cat)
    for _, data in g.nodes(data=True):
        if data["type"] == "firm" and data.get("local_hq"):
            data["shape"] = "star"
    _colour_by_centre(g)
    _flows(g, cat)
    if cat.region:
        g.graph["headline"] = control_headline(store, cat.region)
    g.graph["reading"] = cat.reading or ""
    _finish(g, cat, sizes=lambda d: d.get("headcount") or d.get("controlled_headcount"))
    if (area := inset_area(g, cat, inset)) is not None:
        g.graph["inset"] = area
    return g


def _add_sites(g: nx.DiGraph[str], cat: Catalog) -> set[str]:
    """The region's operating sites, each linked to its firm; returns the firms and their parents."""
    orgs: set[str] = set()
    for site in sorted(cat.regional_sites_set, key=lambda s: s.iri):
        g.add_node(site.iri, **_site_node(cat, site))
        g.add_edge(site.iri, site.org, relation=curie(ORG.siteOf.value), label="site of",
                   source=";".join(site.sources), **spell_attrs(site.opened, site.closed))
        orgs.update(cat.chain(site.org))
    return orgs


def _add_org(g: nx.DiGraph[str], cat: Catalog, iri: str) -> None:
    """A firm or group, linked to its parent and to the place of its headquarters."""
    org = cat.orgs[iri]
    is_firm = "firm" in org.kinds and iri in cat.regional_sites_of
    g.add_node(iri, **_org_node(cat, iri, "firm" if is_firm else "group"))
    if org.parent and org.parent in cat.orgs:
        g.add_edge(iri, org.parent, relation=curie(ORG.subOrganizationOf.value), label="subsidiary of",
                   certainty=org.parent_certainty or "not given", source=";".join(org.parent_sources),
                   **spell_attrs(org.parent_since, org.parent_until))
    if org.hq_place:
        if org.hq_place not in g:
            g.add_node(org.hq_place, **_place_node(cat, org.hq_place))
        g.add_edge(iri, org.hq_place, relation=curie(ORG.hasPrimarySite.value), label="headquartered in",
                   certainty=org.hq_certainty or "not given", source=";".join(org.hq_sources))


def _add_control_line(g: nx.DiGraph[str], cat: Catalog, iri: str) -> None:
    """Where the reading puts control elsewhere than a headquarters (a decision centre a source states
    outside the region), the line to that place: the picture shows what the figures count."""
    place = cat.orgs[iri].control_place
    chain = cat.chain(iri)
    if not place or chain[-1] != iri or any(cat.orgs[o].hq_place == place for o in chain):
        return
    if place not in g:
        g.add_node(place, **_place_node(cat, place))
    g.add_edge(iri, place, relation=curie(BBMB.controlPlace.value), certainty="inference",
               label=f"run from ({cat.orgs[iri].control_basis}; reading: {cat.reading})",
               source=";".join(cat.statement_sources.get((iri, place)) or cat.sources_of.get(iri, [])))


def _controlled_jobs(g: nx.DiGraph[str], cat: Catalog) -> None:
    """The regional firms and jobs each place of control runs."""
    controlled: dict[str, list[int | None]] = defaultdict(list)
    for iri, data in g.nodes(data=True):
        if data["type"] == "firm":
            place = cat.control(iri)[3]
            if place is not None and place in g:
                controlled[place].append(data.get("headcount"))
    for place, numbers in controlled.items():
        known = [n for n in numbers if n is not None]
        g.nodes[place]["controlled_firms"] = len(numbers)
        if sum(known):
            g.nodes[place]["controlled_headcount"] = sum(known)
        # no head-count for any of them: "no staff figure", never 0 staff
        staff = f"{sum(known):,} staff known" if known else "no staff figure"
        g.nodes[place]["facts"].append({"k": "regional firms run from here", "v": f"{len(numbers)} ({staff})",
                                        "src": []})


def _flows(g: nx.DiGraph[str], cat: Catalog) -> None:
    """The regional jobs each edge of control carries (firm -> parent -> ... -> place of control),
    for the line widths: control drawn as flows."""
    for firm, d in g.nodes(data=True):
        if d["type"] != "firm" or not d.get("headcount"):
            continue
        chain = cat.chain(firm)
        for a, b in pairwise(chain):
            if g.has_edge(a, b):
                g.edges[a, b]["jobs"] = g.edges[a, b].get("jobs", 0) + d["headcount"]
        place = cat.orgs[firm].control_place
        holder = next((o for o in reversed(chain) if cat.orgs[o].hq_place == place), chain[-1])
        if place and g.has_edge(holder, place):
            g.edges[holder, place]["jobs"] = g.edges[holder, place].get("jobs", 0) + d["headcount"]
