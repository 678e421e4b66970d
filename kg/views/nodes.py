"""The attributes of a view's nodes (firms, groups, sites, places), each fact with its sources."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..rules import is_inside, is_outside, spell
from .catalogue import Catalog, Site, place_key
from .style import CONTROL_COLORS, NEUTRAL


def _fact(facts: list[dict[str, Any]], key: str, value: Any, sources: Iterable[str] = ()) -> None:
    if value not in (None, "", [], ()):
        facts.append({"k": key, "v": str(value), "src": list(sources)})


def spell_attrs(start: str, end: str) -> dict[str, str]:
    """``start`` and ``end``: the first and the last day a dated fact holds (:func:`kg.rules.spell`), as ISO
    dates, where the data dates it; what a graph file's timeline plays (GEXF spells, :mod:`kg.export`).

    >>> spell_attrs("2024", "")
    {'start': '2024-01-01'}
    >>> spell_attrs("", "")
    {}
    """
    first, last = spell(start, end)
    return {k: day.isoformat() for k, day in (("start", first), ("end", last)) if day is not None}


def _place_attrs(cat: Catalog, place: str | None) -> dict[str, Any]:
    if not place or place not in cat.places:
        return {}
    attrs: dict[str, Any] = {"place": cat.places[place].label}
    land = cat.land.get(place)
    if land:
        attrs["land"] = cat.places[land].label
    if place in cat.coords:
        attrs["lat"], attrs["long"] = cat.coords[place]
    return attrs


def _subsector_attrs(cat: Catalog, codes: list[str]) -> dict[str, Any]:
    if not codes:
        return {"color_subsector": NEUTRAL}
    return {"subsector": ";".join(codes), "subsector_label": cat.subsector_label(codes, "en"),
            "subsector_label_de": cat.subsector_label(codes, "de"),
            "color_subsector": cat.subsector_colors.get(codes[0], NEUTRAL)}


def _control_attrs(cat: Catalog, org: str) -> dict[str, Any]:
    kind, area, controller, place = cat.control(org)
    attrs: dict[str, Any] = {"control": kind, "outside": is_outside(kind), "color_control": CONTROL_COLORS[kind]}
    if area:
        attrs["control_area"] = cat.places[area].label_en or cat.places[area].label
        attrs["control_area_de"] = cat.places[area].label_de or cat.places[area].label
        attrs["control_area_id"] = place_key(area)  # its colour's key (kg.views.style.centre_colours)
    if controller != org or place:
        attrs["controlled_by"] = cat.orgs[controller].name
    if place:
        attrs["control_place"] = cat.places[place].label
    return attrs


def _headcount_attrs(cat: Catalog, iri: str, facts: list[dict[str, Any]]) -> dict[str, Any]:
    counts = cat.headcounts.get(iri, [])
    for h in counts:
        _fact(facts, "head-count", h, h.sources)
    number = cat.headcount(iri)
    if number is None:
        return {}
    # the one figure every output uses; the sources' own figures beside it, never a second choice
    basis = cat.employees_basis.get(iri, "")
    _fact(facts, "head-count used", f"{number:,}" + (f" ({basis}; reading: {cat.reading})" if basis else ""))
    attrs: dict[str, Any] = {"headcount": number}
    if len(counts) > 1 or basis != "own figure":
        attrs["headcount_note"] = "; ".join([f"{h} ({', '.join(h.sources)})" for h in counts]
                                            + ([basis] if basis != "own figure" else []))
    return attrs


def _org_node(cat: Catalog, iri: str, node_type: str) -> dict[str, Any]:
    org = cat.orgs[iri]
    facts = _org_facts(cat, iri)
    attrs: dict[str, Any] = {"type": node_type, "label": org.name, "iri": iri}
    attrs.update(_subsector_attrs(cat, org.codes))
    attrs.update(_regional_attrs(cat, iri))
    if org.hq_place:
        attrs["hq_place"] = cat.places[org.hq_place].label
    attrs.update(_control_attrs(cat, iri))
    _control_facts(cat, iri, attrs, facts)
    attrs["local_hq"] = is_inside(attrs["control"])
    attrs.update(_headcount_attrs(cat, iri, facts))
    attrs["source"] = ";".join(org.sources)
    attrs["facts"] = facts
    return attrs


def _control_facts(cat: Catalog, iri: str, attrs: dict[str, Any], facts: list[dict[str, Any]]) -> None:
    """Where the organisation is run from, citing the sources of the place the reading chose; where the sources
    disagree (a contested fact of its own or of the organisation its control is judged by), every alternative on
    its own line with its own sources, and a mark (``contested``) on the node."""
    org = cat.orgs[iri]
    said = (f"{attrs['control']}" + (f": {attrs['control_area']}" if "control_area" in attrs else "")
            + (f" (run by {attrs['controlled_by']})" if "controlled_by" in attrs else ""))
    alternatives = cat.contested.get((iri, "control")) or cat.contested.get((org.controller or "", "control"), [])
    if not alternatives:
        _fact(facts, "control", said, org.parent_sources or org.hq_sources)
        return
    attrs["contested"] = True
    chosen = next((a for a in alternatives if a.chosen), alternatives[0])
    _fact(facts, "control (contested)", said, chosen.sources)
    for alternative in alternatives:
        _fact(facts, "place of control, as a source gives it",
              alternative.label + (f" (the reading {cat.reading} uses this)" if alternative.chosen else ""),
              alternative.sources)


def _org_facts(cat: Catalog, iri: str) -> list[dict[str, Any]]:
    """An organisation's facts for the side panel, each with its sources: name to headquarters."""
    org = cat.orgs[iri]
    facts: list[dict[str, Any]] = []
    _fact(facts, "name", org.name, org.sources)
    _fact(facts, "kind", ", ".join(sorted(org.kinds)), org.sources)
    for lang in ("de", "en"):
        _fact(facts, f"description ({lang})", org.description.get(lang), org.sources)
    _fact(facts, "status", org.status, org.sources)
    _fact(facts, "subsector", cat.subsector_label(org.codes), org.sources)
    if org.parent:
        period = f", {org.parent_since or '…'} to {org.parent_until or 'now'}" \
            if org.parent_since or org.parent_until else ""
        _fact(facts, "parent", f"{cat.orgs[org.parent].name} ({org.parent_certainty or 'certainty not given'}"
              f"{period})", org.parent_sources)
    if org.hq_place:
        _fact(facts, "headquarters", f"{cat.places[org.hq_place].label}"
              + (f" ({org.hq_certainty})" if org.hq_certainty else ""), org.hq_sources)
    return facts


def _regional_attrs(cat: Catalog, iri: str) -> dict[str, Any]:
    """The Länder and site functions of an organisation's regional sites (the filters' facets); without
    regional sites, the Land of its headquarters."""
    org = cat.orgs[iri]
    regional = cat.regional_sites_of.get(iri, ())
    attrs: dict[str, Any] = {}
    lands = sorted({cat.places[land].label for s in regional if (land := cat.land.get(s.place))})
    if lands:
        attrs["land"] = ";".join(lands)
    functions = sorted({f for s in regional for f in s.functions})
    if functions:
        attrs["functions"] = ";".join(functions)
    elif org.hq_place:
        attrs.update({k: v for k, v in _place_attrs(cat, org.hq_place).items() if k == "land"})
    return attrs


def named_with_firm(label: str, firm: str) -> str:
    """A site's name as a numbered key lists it: with its firm's name where the site's does not say it (many
    firms have a "Werk Moabit"; a key of them says nothing without the firm).

    >>> named_with_firm("Werk Moabit", "Keller Maschinenbau AG")
    'Werk Moabit (Keller Maschinenbau AG)'
    >>> named_with_firm("Artes Valve Velten", "Artes Valve")
    'Artes Valve Velten'
    >>> named_with_firm("Kone Berlin", "Kone (Berlin)")
    'Kone Berlin'
    """
    core = firm.split(" (")[0]  # "Kone (Berlin)": the firm's name without its remark
    return label if not core or core.casefold() in label.casefold() else f"{label} ({firm})"


def _site_node(cat: Catalog, site: Site) -> dict[str, Any]:
    facts: list[dict[str, Any]] = []
    _fact(facts, "name", site.label, site.sources)
    _fact(facts, "firm", cat.orgs[site.org].name, site.sources)
    _fact(facts, "place", cat.places[site.place].label, site.sources)
    _fact(facts, "functions", ", ".join(site.functions), site.sources)
    _fact(facts, "status", site.status, site.sources)
    _fact(facts, "opened", site.opened, site.sources)
    _fact(facts, "closed", site.closed, site.sources)
    _fact(facts, "description (de)", site.description, site.sources)
    attrs: dict[str, Any] = {"type": "site", "label": site.label, "iri": site.iri, "firm": cat.orgs[site.org].name}
    if (key := named_with_firm(site.label, attrs["firm"])) != site.label:
        attrs["key_label"] = key
    attrs.update(_place_attrs(cat, site.place))
    if site.functions:
        attrs["functions"] = ";".join(site.functions)
    attrs.update(_subsector_attrs(cat, cat.orgs[site.org].codes))
    attrs.update(_control_attrs(cat, site.org))
    attrs.update(_headcount_attrs(cat, site.iri, facts))
    attrs.update(spell_attrs(site.opened, site.closed))
    attrs["source"] = ";".join(site.sources)
    attrs["facts"] = facts
    return attrs


def _place_node(cat: Catalog, iri: str) -> dict[str, Any]:
    place = cat.places[iri]
    kind, area = cat.control_of_place(iri)
    attrs: dict[str, Any] = {"type": "place", "label": place.label, "iri": iri, "label_de": place.label_de,
                             "label_en": place.label_en or place.label_de, "place": place.label,
                             "control": kind, "outside": is_outside(kind), "color_control": CONTROL_COLORS[kind],
                             "color_subsector": NEUTRAL}
    if area:
        attrs["control_area"] = cat.places[area].label_en or cat.places[area].label
        attrs["control_area_de"] = cat.places[area].label_de or cat.places[area].label
        attrs["control_area_id"] = place_key(area)  # its colour's key (kg.views.style.centre_colours)
    attrs.update({k: v for k, v in _place_attrs(cat, iri).items() if k != "place"})
    sources = cat.sources_of.get(iri, [])
    facts: list[dict[str, Any]] = []
    _fact(facts, "name (de)", place.label_de, sources)
    _fact(facts, "name (en)", place.label_en, sources)
    _fact(facts, "kind", ", ".join(sorted(place.kinds)), sources)
    if iri in cat.coords:
        lat, long = cat.coords[iri]
        _fact(facts, "coordinates", f"{lat:.4f}, {long:.4f}", sources)
    attrs["source"] = ";".join(sources)
    attrs["facts"] = facts
    return attrs
