"""Wikidata: the firms of a region and of the project's industries, asked of the Wikidata Query Service.

One SPARQL query (:func:`query_text`) selects the items

- **of the region**: whose headquarters location (P159) is, or lies within (P131, transitively), the
  region's Wikidata item, or whose own "located in" (P131) chain reaches it.  A region without a Wikidata
  id of its own stands for the outermost places within it that have one (:meth:`Places.items
  <kg.importers.places.Places.items>`: a region of two Länder is the two Länder).  Where the region or
  places within it have an outline (:mod:`kg.geo`: the Länder and countries), an item whose coordinates
  (P625) lie inside one is of the region too (the query asks for the outlines' bounding box, the
  outlines themselves are tested here: :class:`Area`);
- **of the industries**: whose industry (P452) has a NACE Rev. 2 code (P4496) that begins with one of the
  codes (``28`` takes ``28.1`` and ``28.11``; a section letter before the code, ``C28``, is left aside),

and reads, for each: its label (German, else English), headquarters (P159: the place's item, its label
and coordinates P625), parent organisation (P749), owners (P127, with the share P1107 where given),
employees (P1128, each with its point in time P585), industry (P452 and its P4496 code), coordinates
(P625), LEI (P1278) and official website (P856).

Into the tables (through :func:`kg.importers.merge.merge`, like every register): each item is an
organisation (name, ``wikidata``, ``lei``, ``headquarters``); a headquarters place is the place of
places.csv with its Wikidata id, else one of the same name within the place the firm was found in, else
a new place with its coordinates; a parent organisation is a parent relation (interest ``control``, the
child's parent: :func:`kg.rules.gives_control`), an owner one of interest ``ownership`` (``shareholding``
with a share, the parent where more than half); each employees figure a row of headcounts.csv, its year
from P585.  Every value is under the source of its item (``wikidata-q123``: the item's page, the day the
answer was retrieved), part of the source ``wikidata``; the item's industry, coordinates and website,
which no column holds, are written in that source's note.

The answer is kept (:class:`Answer`, :func:`ask`): a second import of the same query reads it from
the cache and asks nothing; ``refresh`` asks again.

    >>> "VALUES ?region { <http://www.wikidata.org/entity/Q64> }" in query_text(["Q64"], ["28"])  # bound, not pasted
    True
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode

from .. import __version__
from ..errors import InputError, InvalidArgument
from ..files import atomic_write
from ..geo import inside, rings_of
from ..namespaces import XSD
from ..query import term_text
from ..tables import CODE, LEI, QID
from .model import Address, Batch, Classification, Entity, Headcount, Relation, Source, slug
from .places import Places

ENDPOINT = "https://query.wikidata.org/sparql"
#: Wikidata's User-Agent policy: name the tool, its version and where to learn about it.
USER_AGENT = (f"kg/{__version__} (regional industry knowledge graph; kg import wikidata) "
              "python-SPARQLWrapper")
TIMEOUT = 90.0  # seconds; the query service itself stops a query after 60
ENTITY = "http://www.wikidata.org/entity/"
REGISTER = Source("wikidata", "Wikidata", url="https://www.wikidata.org/")
#: The variables the query selects; an answer that lacks ``item`` is not the query's answer.
VARIABLES = ("item", "region", "located", "label_de", "label_en", "hq", "hq_label_de", "hq_label_en", "hq_coordinates",
             "parent", "parent_label_de", "parent_label_en", "parent_lei", "owner", "owner_label_de",
             "owner_label_en", "owner_lei", "owner_human", "share", "employees", "employees_date", "industry",
             "nace", "coordinates", "lei", "website")

QUERY = """\
# kg import wikidata: firms of a region and of industries (NACE Rev. 2 codes)
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX geof: <http://www.opengis.net/def/geosparql/function/>
SELECT DISTINCT VARIABLES WHERE {
  VALUES ?code { CODES }
  ?industry wdt:P4496 ?nace .
  FILTER(STRSTARTS(REPLACE(STR(?nace), "^[A-U] ?", ""), ?code))
  ?item wdt:P452 ?industry .
  { VALUES ?region { REGIONS }
    { ?item wdt:P159/wdt:P131* ?region } UNION { ?item wdt:P131+ ?region } }BOX
  OPTIONAL { ?item rdfs:label ?label_de FILTER(LANG(?label_de) = "de") }
  OPTIONAL { ?item rdfs:label ?label_en FILTER(LANG(?label_en) = "en") }
  OPTIONAL { ?item wdt:P159 ?hq .
             OPTIONAL { ?hq rdfs:label ?hq_label_de FILTER(LANG(?hq_label_de) = "de") }
             OPTIONAL { ?hq rdfs:label ?hq_label_en FILTER(LANG(?hq_label_en) = "en") }
             OPTIONAL { ?hq wdt:P625 ?hq_coordinates } }
  OPTIONAL { ?item wdt:P749 ?parent .
             OPTIONAL { ?parent rdfs:label ?parent_label_de FILTER(LANG(?parent_label_de) = "de") }
             OPTIONAL { ?parent rdfs:label ?parent_label_en FILTER(LANG(?parent_label_en) = "en") }
             OPTIONAL { ?parent wdt:P1278 ?parent_lei } }
  OPTIONAL { ?item p:P127 ?owned . ?owned ps:P127 ?owner ; wikibase:rank ?owned_rank .
             FILTER(?owned_rank != wikibase:DeprecatedRank)
             OPTIONAL { ?owned pq:P1107 ?share }
             OPTIONAL { ?owner rdfs:label ?owner_label_de FILTER(LANG(?owner_label_de) = "de") }
             OPTIONAL { ?owner rdfs:label ?owner_label_en FILTER(LANG(?owner_label_en) = "en") }
             OPTIONAL { ?owner wdt:P1278 ?owner_lei }
             BIND(EXISTS { ?owner wdt:P31 wd:Q5 } AS ?owner_human) }
  OPTIONAL { ?item p:P1128 ?staff . ?staff ps:P1128 ?employees ; wikibase:rank ?staff_rank .
             FILTER(?staff_rank != wikibase:DeprecatedRank)
             OPTIONAL { ?staff pq:P585 ?employees_date } }
  OPTIONAL { ?item wdt:P625 ?coordinates }
  OPTIONAL { ?item wdt:P1278 ?lei }
  OPTIONAL { ?item wdt:P856 ?website }
}
"""


#: The branch of the query for items with coordinates in a box (south, west, north, east).
BOX = """
  UNION { ?item wdt:P625 ?located .
          FILTER(geof:latitude(?located) >= SOUTH && geof:latitude(?located) <= NORTH
                 && geof:longitude(?located) >= WEST && geof:longitude(?located) <= EAST) }"""


def query_text(regions: list[str], codes: list[str], box: tuple[float, float, float, float] | None = None) -> str:
    """The query for the items of ``regions`` (Wikidata ids) and ``codes`` (NACE Rev. 2 / WZ 2008 codes), and
    of the items with coordinates in ``box`` (south, west, north, east; see :meth:`Area.box`).

    Every value is checked (a Wikidata id by its form, a code by the tables' rule) and written as an RDF
    term, so that no value can change the query's structure; the text is the same for the same values
    (the cache's key).

    >>> query_text(["Q64; DROP"], ["28"])
    Traceback (most recent call last):
    kg.errors.InvalidArgument: 'Q64; DROP' is not a Wikidata id (Q and digits, e.g. Q64)
    """
    for qid in regions:
        if not QID.fullmatch(qid):
            raise InvalidArgument(f"'{qid}' is not a Wikidata id (Q and digits, e.g. Q64)")
    for code in codes:
        if not CODE.fullmatch(code) or code.isalpha():
            raise InvalidArgument(f"--industry: '{code}' is not a NACE Rev. 2 / WZ 2008 code (e.g. 28 or 28.1)")
    values = {"VARIABLES": " ".join(f"?{v}" for v in VARIABLES),
              "REGIONS": " ".join(term_text(NamedNode(ENTITY + q)) for q in sorted(set(regions))),
              "CODES": " ".join(term_text(Literal(c)) for c in sorted(set(codes))), "BOX": ""}
    if box is not None:
        corners = dict(zip(("SOUTH", "WEST", "NORTH", "EAST"), box, strict=True))
        values["BOX"] = re.sub("|".join(corners), lambda m: term_text(Literal(f"{corners[m.group(0)]:.4f}",
                                                                              datatype=XSD.decimal)), BOX)
    return re.sub("|".join(values), lambda m: values[m.group(0)], QUERY)


@dataclass(frozen=True)
class Area:
    """The outlines (:mod:`kg.geo`) of a region and of the places within it: where an item that is known by
    its coordinates only lies.  ``parts``: (the place's Wikidata id or '', its rings), inner places first.

    >>> area = Area((("Q64", [[[13.0, 52.3], [13.8, 52.3], [13.8, 52.7], [13.0, 52.7], [13.0, 52.3]]]),))
    >>> area.box(), area.place(52.5, 13.4), area.place(48.1, 11.6)
    ((52.3, 13.0, 52.7, 13.8), 'Q64', None)
    """

    parts: tuple[tuple[str, list[list[list[float]]]], ...]

    @classmethod
    def of(cls, places: Places, region: str) -> Area:
        inner = sorted(k for k in places.by_id if k != region and region in places.within(k))
        return cls(tuple((places.by_id[k].get("wikidata", ""), rings_of(k)) for k in [*inner, region]
                         if rings_of(k)))

    def box(self) -> tuple[float, float, float, float] | None:
        """(south, west, north, east) around every outline; None without one."""
        points = [p for _, rings in self.parts for ring in rings for p in ring]
        if not points:
            return None
        return (min(p[1] for p in points), min(p[0] for p in points), max(p[1] for p in points),
                max(p[0] for p in points))

    def place(self, lat: float, long: float) -> str | None:
        """The Wikidata id of the place whose outline holds the point ('' if it has none); None: outside."""
        return next((qid for qid, rings in self.parts if inside((long, lat), rings)), None)


# ------------------------------------------------------------------------------------------- the answer

@dataclass(frozen=True)
class Answer:
    """A SPARQL JSON results document, the day it was retrieved, and where it was read from."""

    document: dict[str, Any]
    retrieved: str  # YYYY-MM-DD
    origin: str  # for the analyst: "asked https://...", "answer from cache, retrieved ..."


def check(document: Any, where: str, hint: str) -> dict[str, Any]:
    """``document`` if it is SPARQL 1.1 JSON results of the import's query, else an :class:`InputError`."""
    def fail(what: str, of: str = "SPARQL JSON results (application/sparql-results+json)") -> InputError:
        return InputError(f"{where}: {what}, not {of}; {hint}")

    if not isinstance(document, dict) or not isinstance(document.get("head"), dict):
        raise fail("the answer has no 'head'")
    results = document.get("results")
    bindings = results.get("bindings") if isinstance(results, dict) else None
    if not isinstance(bindings, list):
        raise fail("the answer has no 'results' with a list of 'bindings'")
    for n, row in enumerate(bindings, start=1):
        if not isinstance(row, dict) or not all(isinstance(v, dict) and isinstance(v.get("value"), str)
                                                for v in row.values()):
            raise fail(f"binding {n} is not an object of terms, each with a 'value'")
        if not isinstance(row.get("item"), dict):
            raise fail(f"binding {n} has no 'item'", "the answer to the query of kg import wikidata")
    return document


def _json(raw: bytes, where: str, hint: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{where}: the answer is not JSON ({exc}), not SPARQL JSON results "
                         f"(application/sparql-results+json); {hint}") from None


def load(path: Path) -> Answer:
    """A saved answer (SPARQL JSON results, as the query service's 'Download JSON' gives it; or an answer
    the cache kept, with its day); the day it was saved (the file's modification time) stands for the day it
    was retrieved."""
    try:
        raw, saved = path.read_bytes(), path.stat().st_mtime
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror or exc}; give a saved SPARQL JSON answer") from None
    day = datetime.fromtimestamp(saved, UTC).date().isoformat()
    hint = "give the query service's JSON answer to the query of kg import wikidata"
    document = _json(raw, str(path), hint)
    if isinstance(document, dict) and {"retrieved", "answer"} <= set(document):  # a file of the cache
        day, document = str(document["retrieved"])[:10], document["answer"]
        return Answer(check(document, str(path), hint), day, f"answer from {path}, retrieved {day}")
    return Answer(check(document, str(path), hint), day, f"answer from {path}, saved {day}")


def cache_file(cache: Path, text: str) -> Path:
    """Where the answer to the query ``text`` is kept: ``<sha256 of the text>.json``."""
    return cache / f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}.json"


def ask(text: str, endpoint: str, cache: Path, refresh: bool = False, timeout: float = TIMEOUT,
        say: Callable[[str], None] | None = None) -> Answer:
    """The answer to ``text``: from the cache unless ``refresh``, else asked of ``endpoint`` and kept.

    A cached answer is kept with the day it was retrieved, the endpoint and the query; an answer that is
    not SPARQL JSON results is not kept.
    """
    say = say or (lambda _: None)
    path = cache_file(cache, text)
    if path.exists() and not refresh:
        try:
            kept = json.loads(path.read_text(encoding="utf-8"))
            retrieved = str(kept["retrieved"])
            document = check(kept["answer"], str(path), "")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, InputError):
            say(f"{path}: the cached answer cannot be read; asking again")
        else:
            return Answer(document, retrieved[:10], f"answer from cache, retrieved {retrieved[:10]} ({path})")
    say(f"asking {endpoint} (this may take up to a minute)")
    raw = _request(text, endpoint, timeout)
    where = f"the answer of {endpoint}"
    hint = "try again later, or save the query service's JSON answer and give it with --from"
    document = check(_json(raw, where, hint), where, hint)
    retrieved = datetime.now(UTC).replace(microsecond=0).isoformat()
    with atomic_write(path, "w", encoding="utf-8", choose="give another --cache") as f:
        json.dump({"retrieved": retrieved, "endpoint": endpoint, "query": text, "answer": document}, f,
                  ensure_ascii=False)
    return Answer(document, retrieved[:10], f"asked {endpoint}, answer kept in {path}")


def _request(text: str, endpoint: str, timeout: float) -> bytes:
    """The raw answer of ``endpoint`` to the query ``text`` (a GET, as the query service prefers)."""
    from SPARQLWrapper import GET, JSON, SPARQLWrapper

    from ..remote import explain

    sparql = SPARQLWrapper(endpoint, agent=USER_AGENT)
    sparql.setMethod(GET)
    sparql.setReturnFormat(JSON)
    sparql.setTimeout(max(1, int(round(timeout))))
    sparql.setQuery(text)
    try:
        raw = sparql.query().response.read()
    except Exception as exc:  # SPARQLWrapper and urllib raise many types; explain names each
        raise explain(exc, endpoint, timeout) from None
    return raw if isinstance(raw, bytes) else str(raw).encode("utf-8")


# ------------------------------------------------------------------------------------------- into a batch

def _qid(term: dict[str, str] | None) -> str:
    """The Wikidata id of an item term, '' for anything else (a blank node, a value of 'unknown')."""
    value = term.get("value", "") if term else ""
    qid = value.removeprefix(ENTITY)
    return qid if value.startswith(ENTITY) and QID.fullmatch(qid) else ""


def _text(row: dict[str, dict[str, str]], name: str) -> str:
    return " ".join(row[name]["value"].split()) if name in row else ""


_POINT = re.compile(r"\s*(?:<[^>]*>\s*)?Point\(\s*([-+]?[\d.]+)\s+([-+]?[\d.]+)\s*\)\s*", re.I)


def _point(value: str) -> tuple[str, str]:
    """(latitude, longitude) of a WKT point as Wikidata writes P625 ('Point(13.4 52.5)': longitude first).

    >>> _point("Point(13.405 52.52)")
    ('52.5200', '13.4050')
    """
    m = _POINT.fullmatch(value)
    if not m:
        return "", ""
    long, lat = float(m[1]), float(m[2])
    if not (-90 <= lat <= 90 and -180 <= long <= 180):
        return "", ""
    return f"{lat:.4f}", f"{long:.4f}"


def _year(value: str) -> str:
    m = re.match(r"[+]?(\d{4})-", value)
    return m[1] if m else ""


def _count(value: str) -> str:
    """A head-count as a whole number ('+1200' -> '1200'); '' where it is none."""
    try:
        number = float(value)
    except ValueError:
        return ""
    return str(int(number)) if number >= 0 and number == int(number) else ""


def _share(value: str) -> str:
    """P1107 (proportion, 0 to 1) as percent."""
    try:
        number = float(value)
    except ValueError:
        return ""
    return f"{number * 100:g}" if 0 <= number <= 1 else ""


def _headquarters(item: _Item, found_in: str) -> Address:
    """The item's headquarters (P159; the first by id where it has several), as the place Wikidata gives,
    within the region's item through which the item was found (``found_in`` for one found by coordinates)."""
    found = sorted({(_qid(r.get("hq")), _qid(r.get("region")) or found_in) for r in item.rows} - {("", "")})
    hq, region = next(((h, r) for h, r in found if h), ("", ""))
    if not hq:
        return Address()
    rows = [r for r in item.rows if _qid(r.get("hq")) == hq]
    lat, long = _point(next((_text(r, "hq_coordinates") for r in rows if "hq_coordinates" in r), ""))
    name = next((_text(r, n) for n in ("hq_label_de", "hq_label_en") for r in rows if n in r), "")
    return Address(city=name, wikidata=hq, lat=lat, long=long, within=region)


def _unkept(item: _Item) -> list[str]:
    """What no column holds, for the item's source note: its industries, coordinates and websites."""
    notes = [f"industry {qid} (NACE {code})"
             for qid, code in sorted({(_qid(r.get("industry")), _text(r, "nace")) for r in item.rows})]
    lat, long = _point(item.first("coordinates"))
    if lat:
        notes.append(f"coordinates {lat}, {long}")
    return notes + [f"website {w}" for (w,) in item.values("website")]


@dataclass
class _Item:
    """What the answer's rows say of one item (an item has as many rows as its values' combinations)."""

    qid: str
    rows: list[dict[str, dict[str, str]]]

    def values(self, *names: str) -> list[tuple[str, ...]]:
        """The distinct combinations of the variables ``names`` its rows bind (the first one bound)."""
        found = {tuple(_text(r, n) for n in names) for r in self.rows if names[0] in r}
        return sorted(found)

    def first(self, name: str) -> str:
        return next(iter(self.values(name)), ("",))[0]


class _Reader:
    def __init__(self, answer: Answer, area: Area | None, where: str) -> None:
        self.answer, self.area, self.where = answer, area, where
        self.batch = Batch("wikidata")
        self.entities: dict[str, Entity] = {}
        self.notes: dict[str, list[str]] = {}

    def source(self, qid: str, label: str) -> str:
        key = f"wikidata-{qid.lower()}"
        self.notes.setdefault(key, [])
        if not any(s.id == key for s in self.batch.sources):
            self.batch.sources.append(Source(key, f"Wikidata item {qid} ({label})" if label else f"Wikidata item {qid}",
                                             section=qid, url=f"https://www.wikidata.org/wiki/{qid}",
                                             part_of=REGISTER.id))
        return key

    def lei(self, value: str, qid: str) -> str:
        if value and not LEI.fullmatch(value):
            self.batch.notes.append(f"{self.where}: {qid}: '{value}' is not a valid LEI; left out")
            return ""
        return value

    def entity(self, qid: str, label: str, lei: str, headquarters: Address | None = None) -> Entity:
        """The entity of an item, made once (a firm read later fills what a parent's row left empty)."""
        e = self.entities.get(qid)
        if e is None:
            e = self.entities[qid] = Entity(qid, self.source(qid, label), label or qid, f"{self.where}, {qid}",
                                            wikidata=qid)
            self.batch.entities.append(e)
        e.lei = e.lei or self.lei(lei, qid)
        if headquarters is not None and headquarters and not e.headquarters:
            e.headquarters = headquarters
        return e

    def firm(self, item: _Item, found_in: str) -> None:
        label = item.first("label_de") or item.first("label_en")
        e = self.entity(item.qid, label, item.first("lei"), _headquarters(item, found_in))
        e.name = label or e.name
        self.parents(item, e)
        for value, date in item.values("employees", "employees_date"):
            count, year = _count(value), _year(date)
            if count:
                note = "Wikidata P1128 employees" + ("" if year else ", no point in time (P585)")
                self.batch.headcounts.append(Headcount(item.qid, count, year, e.source, note))
        for (nace,) in item.values("nace"):
            code = re.sub(r"^[A-U] ?", "", nace.strip())
            if CODE.fullmatch(code):
                self.batch.classifications.append(Classification(item.qid, code, e.source))
        self.notes[e.source].extend(_unkept(item))

    def parents(self, item: _Item, e: Entity) -> None:
        """Its parent organisations (P749: control) and owners (P127: ownership, a share where given)."""
        for parent, label_de, label_en, lei in item.values("parent", "parent_label_de", "parent_label_en",
                                                           "parent_lei"):
            qid = _qid({"value": parent})
            if qid and qid != item.qid:
                self.entity(qid, label_de or label_en, lei)
                self.relation(e, "p749", "control", qid, "Wikidata P749 parent organization")
        owners = item.values("owner", "owner_label_de", "owner_label_en", "owner_lei", "owner_human", "share")
        persons = sorted({_qid({"value": o[0]}) for o in owners if o[4] in ("true", "1")})  # numbered, not named
        for owner, label_de, label_en, lei, _, share in owners:
            qid = _qid({"value": owner})
            if not qid or qid == item.qid:
                continue
            if qid not in persons:
                self.entity(qid, label_de or label_en, lei)
            self.relation(e, "p127", "shareholding" if _share(share) else "ownership",
                          "" if qid in persons else qid, "Wikidata P127 owned by", _share(share),
                          f"person-{persons.index(qid) + 1}" if qid in persons else qid)

    def relation(self, child: Entity, prop: str, interest: str, parent: str, note: str, share: str = "",
                 party: str = "") -> None:
        """A relation of ``child`` to ``parent`` (an organisation's key; '' for a person, ``party`` then
        telling the child's persons apart), once."""
        from ..rules import gives_control

        key = slug(f"wikidata-{child.key}-{prop}-{party or parent}")
        if any(r.id == key for r in self.batch.relations):
            return
        self.batch.relations.append(Relation(
            key, child.key, child.source, interest, party="organization" if parent else "person", parent=parent,
            share=share, status="active", note=note,
            makes_parent=bool(parent) and gives_control(interest, True, float(share) if share else None)))

    def found_in(self, item: _Item) -> str | None:
        """The region's item through which ``item`` was found ('' for any); None: it was found by coordinates
        in the box around the region's outlines, and lies outside them."""
        if any("region" in r for r in item.rows):
            return ""
        lat, long = _point(item.first("located"))
        return self.area.place(float(lat), float(long)) if lat and self.area else None

    def read(self, rows: list[dict[str, dict[str, str]]]) -> Batch:
        items: dict[str, _Item] = {}
        for n, row in enumerate(rows, start=1):
            qid = _qid(row.get("item"))
            if not qid:
                self.batch.notes.append(f"{self.where}: binding {n}: the item is not a Wikidata item; left out")
                continue
            items.setdefault(qid, _Item(qid, [])).rows.append(row)
        outside = 0
        for qid in sorted(items, key=lambda q: int(q[1:])):
            found_in = self.found_in(items[qid])
            if found_in is None:
                outside += 1
            else:
                self.firm(items[qid], found_in)
        if outside:
            self.batch.skipped["item(s) whose coordinates lie in the box around the region but outside it"] += outside
        if not items:
            self.batch.notes.append(f"{self.where}: Wikidata lists no firm of the region and industries")
        self.batch.sources.insert(0, REGISTER)
        day = self.answer.retrieved
        self.batch.sources[:] = [s if s is REGISTER else Source(
            s.id, s.title, s.section, s.url, s.part_of,
            "; ".join([f"retrieved {day}", *self.notes.get(s.id, [])])) for s in self.batch.sources]
        return self.batch


def read(answer: Answer, area: Area | None = None, where: str = "Wikidata") -> Batch:
    """The organisations, parent relations and head-counts of an answer to :func:`query_text`; an item
    found by its coordinates only is kept where they lie inside ``area``."""
    return _Reader(answer, area, where).read(answer.document["results"]["bindings"])


__all__ = ["ENDPOINT", "USER_AGENT", "Answer", "Area", "ask", "cache_file", "check", "load", "query_text", "read"]
