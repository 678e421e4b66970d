"""Register addresses onto places.csv: which place a city or country is, and which lie in a region.

The rule, one place for both registers:

- a **country** (ISO 3166-1 alpha-2 code) is the place of type ``country`` whose ``nuts`` code is that
  code (NUTS writes ``EL`` for Greece and ``UK`` for the United Kingdom), else whose German or English
  name is the name the register gives;
- a **city** is a place (not a country) whose German or English name is the city's name (case, accents
  and punctuation aside) and that lies within that country (where both are known);
- a place **in the region** ``--region R`` is R itself or any place whose ``within`` chain reaches R; an
  address is in the region when its city is the name of such a place (places.csv has no ISO 3166-2 codes,
  so a register's region code is not used to select).

A city or country that is not in places.csv is added (type ``municipality`` within its country, or
``country``), named as the register writes it, under the record's source; coordinates are left empty.

A place Wikidata gives (an item, :attr:`Address.wikidata`) is the place of places.csv with that Wikidata
id; else the place of the same name within the place its ``within`` item is (whose empty Wikidata id is
then filled); else it is added (type ``municipality``, within that place), with its Wikidata id and
coordinates, under the record's source.
"""
from __future__ import annotations

from collections.abc import Iterable

from .model import Address, normal_name, slug

#: ISO 3166-1 codes that NUTS writes otherwise.
NUTS_OF_ISO = {"GR": "EL", "GB": "UK"}


def _name(text: str) -> str:
    return " ".join(slug(text).split("-"))


def _many(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


class Places:
    """The places of a data folder (rows of places.csv as dicts), looked up and extended by address."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.rows = rows
        self.by_id = {r["id"]: r for r in rows}
        self.by_name: dict[str, list[str]] = {}
        self.by_wikidata: dict[str, str] = {}
        for row in rows:
            self._remember(row)

    def _remember(self, row: dict[str, str]) -> None:
        for name in self._names(row):
            self.by_name.setdefault(name, []).append(row["id"])
        if row.get("wikidata"):
            self.by_wikidata.setdefault(row["wikidata"], row["id"])

    def items(self, region: str) -> list[str]:
        """The Wikidata ids that stand for ``region``: its own, else those of the outermost places within
        it that have one (a region of two Länder is the two Länder).

        >>> Places([{"id": "r", "name_de": "R", "type": "region"},
        ...         {"id": "a", "name_de": "A", "type": "land", "within": "r", "wikidata": "Q1"},
        ...         {"id": "b", "name_de": "B", "type": "municipality", "within": "a", "wikidata": "Q2"}]).items("r")
        ['Q1']
        """
        found, todo, seen = [], [region], set()
        while todo:
            key = todo.pop(0)
            row = self.by_id[key]
            if key in seen:
                continue
            seen.add(key)
            if row.get("wikidata"):
                found.append(row["wikidata"])
                continue
            todo.extend(r["id"] for r in self.rows if key in _many(r.get("within", "")))
        return sorted(set(found), key=lambda q: int(q[1:]))

    def within(self, key: str) -> set[str]:
        """``key`` and every place its ``within`` chain reaches."""
        seen, todo = set(), [key]
        while todo:
            k = todo.pop()
            if k in seen or k not in self.by_id:
                continue
            seen.add(k)
            todo.extend(p.strip() for p in self.by_id[k].get("within", "").split(";") if p.strip())
        return seen

    def _types(self, row: dict[str, str]) -> set[str]:
        return {t.strip() for t in row.get("type", "").split(";")}

    def _names(self, row: dict[str, str]) -> set[str]:
        return {_name(row[c]) for c in ("name_de", "name_en") if row.get(c)}

    def country(self, code: str, name: str = "") -> str | None:
        """The id of the country with ISO code ``code`` (or named ``name``), if places.csv has it."""
        code = code.strip().upper()
        for row in self.rows:
            if "country" not in self._types(row):
                continue
            if code and row.get("nuts", "").upper() in (code, NUTS_OF_ISO.get(code, code)):
                return row["id"]
            if name and _name(name) in self._names(row):
                return row["id"]
        return None

    def city(self, name: str, country: str | None) -> str | None:
        """The id of the place named ``name`` within ``country``, if places.csv has one.

        A place whose chain of ``within`` reaches no country with an ISO code (a ``nuts`` code) counts as
        possibly in any country; one within another country does not.
        """
        unsure = None
        for key in self.by_name.get(_name(name), []):
            row = self.by_id[key]
            if "country" in self._types(row):
                continue
            chain = self.within(row["id"])
            if country is None or country in chain:
                return row["id"]
            coded = [k for k in chain if "country" in self._types(self.by_id[k]) and self.by_id[k].get("nuts")]
            if unsure is None and not coded:
                unsure = row["id"]
        return unsure

    def in_region(self, region: str) -> frozenset[str]:
        """The names (as compared) of the region and of every place within it."""
        inside = [r for r in self.rows if region in self.within(r["id"])]
        return frozenset(n for r in inside for n in self._names(r))

    def region_test(self, region: str) -> RegionTest:
        return RegionTest(self.in_region(region))

    def resolve(self, address: Address, source: str) -> str:
        """The place id of an address, adding the country and city to places.csv where they are missing.

        Returns '' for an empty address.
        """
        if not address:
            return ""
        if address.wikidata:
            return self._item(address, source)
        has_country = bool(address.country or address.country_name)
        country = self.country(address.country, address.country_name) if has_country else None
        if address.city:  # a country places.csv lacks does not hide a city it has
            found = self.city(address.city, country)
            if found:
                return found
        if country is None and has_country:
            code = address.country.upper()
            country = self._add(address.country_name or code, "country", "", source, nuts=NUTS_OF_ISO.get(code, code),
                                note=f"Added by kg import for ISO 3166-1 code {code}; named as the register names it")
        if not address.city:
            return country or ""
        return self._add(address.city, "municipality", country or "", source,
                         note="Added by kg import; named as the register writes the city")

    def _item(self, address: Address, source: str) -> str:
        """The place of a Wikidata item (see the module's rule)."""
        if address.wikidata in self.by_wikidata:
            return self.by_wikidata[address.wikidata]
        within = self.by_wikidata.get(address.within, "")
        for key in self.by_name.get(_name(address.city), []) if address.city and within else []:
            row = self.by_id[key]
            if key != within and within in self.within(key) and not row.get("wikidata"):
                row["wikidata"], row["wikidata_source"] = address.wikidata, source
                self.by_wikidata[address.wikidata] = key
                return key
        label = address.city or address.wikidata
        key = self._add(label, "municipality", within, source,
                        note=f"Added by kg import from Wikidata {address.wikidata}; named as Wikidata labels it"
                             + ("" if within else "; the place it lies within is not known to places.csv"),
                        wikidata=address.wikidata, lat=address.lat, long=address.long)
        return key

    def _add(self, label: str, kind: str, within: str, source: str, nuts: str = "", note: str = "",
             **more: str) -> str:
        key, n = slug(label), 1
        while key in self.by_id:  # a namesake elsewhere: the country's id tells them apart
            n += 1
            key = f"{slug(label)}-{slug(within) if n == 2 and within else n}"
        row = {"id": key, "name_de": label, "name_en": label, "type": kind, "within": within, "nuts": nuts,
               "source": source, "note": note, **{k: v for k, v in more.items() if v}}
        self.rows.append(row)
        self.by_id[key] = row
        self._remember(row)
        return key


class RegionTest:
    """Whether a city's name is that of a place in the region (see the module's rule)."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = frozenset(names)

    def __call__(self, *cities: str) -> bool:
        return any(c and _name(c) in self.names for c in cities)


__all__ = ["Places", "RegionTest", "normal_name"]
