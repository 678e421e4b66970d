"""Places and control: each place's ancestry, each organisation's controller and place of control.

    >>> from kg.tables import read_tables
    >>> places = derive_places(read_tables("data"))                         # doctest: +SKIP
    >>> places.land["berlin-moabit"]                                        # doctest: +SKIP
    'berlin'
"""
from __future__ import annotations

from collections.abc import Sequence

from ..rules import (
    ControlCandidate,
    Reading,
    choose_control,
    control_candidates,
    control_holder,
    controlled_from_outside,
    first_of_kind,
    is_operating_site,
    parent_chain,
    place_ancestors,
    primary_sources,
    ultimate_parents,
)
from ..tables import Tables
from .facts import Contested, Places, SiteRow


def primary_ids(tables: Tables, study: Sequence[str] = ()) -> set[str]:
    """The ids of the primary sources (:func:`kg.rules.primary_sources`; ``study``: the project's study sources)."""
    return primary_sources(((r["id"], r["kind"], r["part_of"]) for r in tables["sources"]), study)


def derive_places(tables: Tables) -> Places:
    """Every place's ancestors (nearest first), its Land, country and municipality."""
    kinds = {r["id"]: set(r.many("type")) for r in tables["places"]}
    ancestors = place_ancestors({r["id"]: r.many("within") for r in tables["places"]})
    land = {p: first_of_kind(a, kinds, "land") for p, a in ancestors.items()}
    country = {p: first_of_kind(a, kinds, "country") for p, a in ancestors.items()}
    municipality = {p: first_of_kind(a, kinds, "municipality") or p for p, a in ancestors.items()}
    return Places(kinds, ancestors, land, country, municipality)


def operating_sites(tables: Tables) -> dict[str, list[SiteRow]]:
    """org -> its operating sites (:func:`kg.rules.is_operating_site`), in the sites table's order."""
    out: dict[str, list[SiteRow]] = {}
    for row in tables["sites"]:
        functions = frozenset(row.many("functions"))
        if is_operating_site(functions):
            out.setdefault(row["org"], []).append((row["id"], row["place"], functions))
    return out


def _candidate(place: str, basis: str, sources: list[str], primary: set[str]) -> ControlCandidate:
    return ControlCandidate(place, basis, tuple(sources), any(s in primary for s in sources))


_ByOrg = dict[str, list[ControlCandidate]]


def _offices(tables: Tables, primary: set[str]) -> tuple[_ByOrg, _ByOrg]:
    """org -> its headquarters (the organisations table's, then the sites table's), and its registered seats."""
    hq: dict[str, list[ControlCandidate]] = {}
    seat: dict[str, list[ControlCandidate]] = {}
    for row in tables["organizations"]:
        src = row.sources_of("headquarters")  # and of the registered seat: one companion for both
        if row["headquarters"]:
            hq.setdefault(row["id"], []).append(_candidate(row["headquarters"], "headquarters", src, primary))
        if row["registered_seat"]:
            seat.setdefault(row["id"], []).append(_candidate(row["registered_seat"], "registered seat", src, primary))
    for row in tables["sites"]:
        known = hq.get(row["org"], ())
        if "headquarters" in row.many("functions") and all(c.place != row["place"] for c in known):
            hq.setdefault(row["org"], []).append(_candidate(row["place"], "headquarters", row.sources_of("place"),
                                                            primary))
    return hq, seat


def candidates_of(tables: Tables, primary: set[str]) -> dict[str, list[ControlCandidate]]:
    """org -> the places of control its sources give (:func:`kg.rules.control_candidates`); ``primary``: the
    ids of the primary sources (:func:`primary_ids`)."""
    hq, seat = _offices(tables, primary)
    stated: dict[str, list[ControlCandidate]] = {}
    for row in tables["alternative_places"]:
        if row["aspect"] == "decision-centre":
            stated.setdefault(row["subject"], []).append(
                _candidate(row["place"], "decision centre", row.all_sources(), primary))
    orgs = [r["id"] for r in tables["organizations"]]
    return {o: c for o in orgs if (c := control_candidates(hq.get(o, []), stated.get(o, []), seat.get(o, [])))}


def derive_control(parent: dict[str, str], candidates: dict[str, list[ControlCandidate]],
                   reading: Reading) -> tuple[dict[str, str], dict[str, str], dict[str, ControlCandidate]]:
    """(controller, holder, place of control) of every organisation: its topmost parent, the topmost
    organisation of its chain with a known place (:func:`kg.rules.control_holder`), and the place the
    reading chooses of the holder's."""
    controller = ultimate_parents(parent)
    holder = {org: h for org in parent if (h := control_holder(parent_chain(org, parent), candidates))}
    control = {org: c for org, h in holder.items() if (c := choose_control(candidates[h], reading))}
    return controller, holder, control


def contested_control(candidates: dict[str, list[ControlCandidate]], reading: Reading) -> list[Contested]:
    """A contested fact for every organisation whose sources give more than one place of control."""
    out = []
    for holder, cs in candidates.items():
        chosen = choose_control(cs, reading)
        if chosen is not None and len({c.place for c in cs}) > 1:
            out.append(Contested(f"control-{holder}", holder, "control", tuple((c.place, c.sources) for c in cs),
                                 chosen.place))
    return out


def contested_site_places(tables: Tables) -> list[Contested]:
    """A site keeps the sites table's place under every reading; another source's place is kept beside it."""
    sites = tables.keys("sites")
    out = []
    for row in tables["alternative_places"]:
        if row["aspect"] == "site-place" and row["subject"] in sites:
            site = sites[row["subject"]]
            alts = ((site["place"], tuple(site.sources_of("place"))), (row["place"], tuple(row.sources_of("place"))))
            out.append(Contested(f"place-{row['subject']}", row["subject"], "place", alts, site["place"]))
    return out


def outside_areas(sites_of: dict[str, list[SiteRow]], control: dict[str, ControlCandidate],
                  places: Places) -> dict[str, list[str]]:
    """org -> every area (any place above one of its operating sites) whose sites it runs from outside
    (:func:`kg.rules.controlled_from_outside`): what ``hq-absence`` lists."""
    out: dict[str, list[str]] = {}
    for org, sites in sites_of.items():
        place = control[org].place if org in control else None
        areas = {a for _, p, _ in sites for a in places.ancestors.get(p, ())}
        found = sorted(a for a in areas if controlled_from_outside(place, a, places.ancestors, places.country))
        if found:
            out[org] = found
    return out
