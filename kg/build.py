"""Tables + ontology -> one RDF dataset, with one named graph per source.

Each row of ``data/`` becomes a handful of triples.  A triple goes into the named graph of
the first source its row cites (``{base}graph/{source-id}``), and the entity it describes
gets ``prov:wasDerivedFrom`` each of its sources (in that source's graph), so that a fact
stays traceable in the merged Turtle too.  The build remembers which file and row each entity came
from (``origins``), so that validation can point back at the spreadsheet row.

    >>> from kg.build import build
    >>> result = build("data")            # doctest: +SKIP
    >>> result.summary()["firms"]          # doctest: +SKIP
    32
"""
from __future__ import annotations

import contextlib
import datetime
import itertools
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from pyoxigraph import Literal, NamedNode, Quad, QuerySolutions, RdfFormat, Store, parse

from .asof import at_date, fact_years
from .derive import DERIVED, apply_rules, derived_lines, listing_lines, materialised_lines
from .derive.materialised import GroupCount
from .errors import os_reason
from .literals import store_form
from .model import vocabularies
from .namespaces import (
    BBMB,
    DCT,
    GEO,
    NACE,
    ONTOLOGY_IRI,
    ORG,
    PERIOD_DATATYPES,
    PREFIXES,
    PROV,
    QB,
    RDF,
    RDFS,
    SCHEMA,
    SDMX_ATTRIBUTE,
    SDMX_MEASURE,
    SKOS,
    WD,
    XSD,
    IRIs,
)
from .project import Project
from .project import find as find_project

# ./data, else the data packaged with kg (re-exported: kg.build.DEFAULT_DATA is what the commands use)
from .resources import DEFAULT_DATA as DEFAULT_DATA
from .resources import DEFAULT_ONTOLOGY as DEFAULT_ONTOLOGY
from .rules import DEFAULT_READING, READINGS, check_reading
from .store import count_triples as count_triples
from .tables import SCHEMA as TABLE_SCHEMA
from .tables import TABLES, Column, DataError, DataErrors, Row, Tables, read_tables


def _text(value: str, lang: str | None = None) -> Literal:
    return Literal(value, language=lang) if lang else Literal(value)


def _typed(value: str, datatype: NamedNode) -> Literal:
    """A typed literal, a number in the form the store writes it back (:mod:`kg.literals`)."""
    return Literal(store_form(value, datatype.value), datatype=datatype)


@dataclass
class BuildResult:
    """The built dataset and what is needed to report on it."""

    store: Store
    iris: IRIs
    origins: dict[str, str] = field(default_factory=dict)  # entity IRI -> "file, row N"
    timings: dict[str, float] = field(default_factory=dict)
    #: The number of quads :func:`build` put in the store.  Its graphs are disjoint (no triple
    #: is in two of them), so while the store still holds that many quads they are the triples.
    quads_built: int = 0
    #: The tables' rows and the years their dated facts start or end (:func:`kg.asof.fact_years`), as read (before
    #: ``as_of``): what the pages' time slider would cost (:func:`kg.timeline.year_views`), known without reading
    #: the tables again (``kg build`` records them in ``build.json``).
    rows: int = 0
    years: list[int] = field(default_factory=list)

    @property
    def graphs_disjoint(self) -> bool:
        """True while the store holds what :func:`build` made (then no triple is in two graphs)."""
        return self.quads_built > 0 and len(self.store) == self.quads_built

    def summary(self) -> dict[str, int]:
        """Counts of firms (and of those the summaries count: with an operating site in a region or Land), sites (and
        of those that are only a head-office entry), groups, places, the sources' statistical observations and
        triples (:func:`summary_line` says them in words)."""
        q = """
        SELECT
          (COUNT(DISTINCT ?firm) AS ?firms) (COUNT(DISTINCT ?counted) AS ?firms_in_summaries)
          (COUNT(DISTINCT ?site) AS ?sites) (COUNT(DISTINCT ?office) AS ?head_office_entries)
          (COUNT(DISTINCT ?group) AS ?groups) (COUNT(DISTINCT ?place) AS ?places)
          (COUNT(DISTINCT ?obs) AS ?observations)
        WHERE {
          { ?firm a bbmb:Firm } UNION { ?site a org:Site } UNION { ?group a bbmb:ParentGroup }
          UNION { ?place a schema:Place } UNION { ?obs a qb:Observation ; sdmx-measure:obsValue ?value }
          UNION { ?counted a bbmb:Firm . ?s org:siteOf ?counted ; a bbmb:OperatingSite ; schema:containedInPlace ?p .
                  ?p bbmb:within ?r . VALUES ?summarised { bbmb:Region bbmb:Land } ?r a ?summarised }
          UNION { ?office a org:Site FILTER NOT EXISTS { ?office a bbmb:OperatingSite } }
        }"""
        row = next(iter(cast(QuerySolutions, self.store.query(q, use_default_graph_as_union=True, prefixes={
            "bbmb": str(BBMB), "org": str(ORG), "schema": str(SCHEMA), "qb": str(QB),
            "sdmx-measure": str(SDMX_MEASURE)}))))
        counts = {k: int(row[k].value) for k in ("firms", "firms_in_summaries", "sites", "head_office_entries",
                                                 "groups", "places", "observations")}
        quads = len(self.store)  # counts the store: done once
        counts["triples"] = quads if self.quads_built == quads else count_triples(self.store)
        counts["quads"] = quads
        return counts


def summary_line(counts: dict[str, int]) -> str:
    """The counts of :meth:`BuildResult.summary` in one line, each saying what it counts.

    >>> line = summary_line({"firms": 33, "firms_in_summaries": 31, "sites": 64, "head_office_entries": 30,
    ...                      "groups": 13, "places": 51, "observations": 32, "triples": 6837, "quads": 6837})
    >>> line.split("  ")
    ['firms: 33 (31 in the summaries, 2 without an operating site in a region or Land)',
     'sites: 64, of which 30 head-office entries', 'parent groups: 13', 'places: 51',
     'statistical observations: 32', 'triples: 6,837 distinct, in 6,837 quads (each in the graph of its source)']
    """
    said = []
    for key, value in counts.items():
        if key == "firms" and "firms_in_summaries" in counts:
            rest = value - counts["firms_in_summaries"]
            said.append(f"firms: {value:,} ({counts['firms_in_summaries']:,} in the summaries, {rest:,} without an "
                        f"operating site in a region or Land)")
        elif key == "sites" and "head_office_entries" in counts:
            said.append(f"sites: {value:,}, of which {counts['head_office_entries']:,} head-office entries")
        elif key == "triples" and "quads" in counts:
            said.append(f"triples: {value:,} distinct, in {counts['quads']:,} quads (each in the graph of its source)")
        elif key not in ("firms_in_summaries", "head_office_entries", "quads"):
            said.append(f"{_SUMMARY_WORDS.get(key, key)}: {value:,}")
    return "  ".join(said)


#: What the summary calls a count whose key does not say it.
_SUMMARY_WORDS = {"groups": "parent groups", "observations": "statistical observations"}


class _Writer:
    """Collects quads.  A triple goes into the named graph of its row's first source, once.

    Each triple lives in exactly one graph, so the union of the graphs (what queries see by
    default, here and on a SPARQL server) has no duplicates; the entity's
    ``prov:wasDerivedFrom`` lists every source of its row.

    Quads are kept as N-Quads lines (a pyoxigraph ``Quad`` object costs several times more to
    make than its text) and handed to ``sink`` every ``chunk`` lines, so that the store can
    load one chunk while the next is being made.

    A triple written before is known by the hash of its text, not by the text (a sixth of the memory: at
    100,000 firms the texts were 1 GB).  A triple whose hash was seen is held back, and :meth:`held_back`
    gives it to write only if the store does not hold it yet: two triples with the same hash are both kept.
    """

    def __init__(self, iris: IRIs, sink: Callable[[list[str]], None] | None = None,
                 chunk: int = 50_000, seen: Iterable[str] = ()) -> None:
        self.iris = iris
        self.lines: list[str] = []  # N-Quads lines not yet handed to the sink
        self.origins: dict[str, str] = {}
        self.count = 0
        self._seen: set[int] = {hash(key) for key in seen}  # hash("<s> <p> o ") of every triple written
        self._held: dict[str, str] = {}  # "<s> <p> o " -> its line, of the triples whose hash was seen
        self._holding = False  # every triple is held back (hold_the_rest)
        self._graphs: dict[str, str] = {}  # source id -> "<graph> .\n"
        self._sink = sink
        self._chunk = chunk
        #: table -> its columns the build writes generically (see :meth:`columns` and :func:`_cells`)
        self.cells: dict[str, list[_Cell]] = {}

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal, sources: list[str]) -> None:
        key = f"{s} {p} {o} "  # the terms' N-Triples forms
        graph = self._graphs.get(sources[0])
        if graph is None:
            graph = self._graphs[sources[0]] = f"{self.iris.graph(sources[0])} .\n"
        hashed = hash(key)
        if self._holding or hashed in self._seen:
            self._held.setdefault(key, key + graph)  # the first graph the triple was given
            return
        self._seen.add(hashed)
        self.lines.append(key + graph)
        self.count += 1
        if self._sink is not None and len(self.lines) >= self._chunk:
            self.flush()

    def hold_the_rest(self) -> None:
        """Let go of the hashes of the triples written so far (52 million, some 3 GB at a million firms, held while
        the rules ran): every triple written from now on is held back and written at the end where the store does
        not hold it (:meth:`held_back`), as one whose hash was seen is.  For the few written after the bulk."""
        self._seen = set()
        self._holding = True

    def flush(self) -> None:
        """Hand the collected lines to the sink."""
        if self._sink is not None and self.lines:
            lines, self.lines = self.lines, []
            self._sink(lines)

    def extend(self, lines: Iterable[str]) -> None:
        """Write N-Quads lines as they are (triples in no other graph), handed to the sink a chunk at a time: at
        once, the derived graph's lines were three copies of 6 GB at a million firms (list, text, bytes)."""
        for line in lines:
            self.lines.append(line)
            self.count += 1
            if len(self.lines) >= self._chunk:
                self.flush()
        self.flush()

    def held_back(self, store: Store) -> str:
        """The N-Quads of the held-back triples that ``store`` (which holds every line written so far) does not
        hold: those that only shared a hash with a triple written before (the others were written before)."""
        held = list(self._held.values())
        self._held = {}
        new = [line for line, quad in zip(held, parse(input="".join(held), format=RdfFormat.N_QUADS), strict=True)
               if next(iter(store.quads_for_pattern(quad.subject, quad.predicate, quad.object)), None) is None]
        self.count += len(new)
        return "".join(new)

    def columns(self, s: NamedNode, row: Row, src: list[str]) -> None:
        """Write ``row``'s filled cells of the columns that declare a predicate, as triples about ``s``.

        Each in the graph of its cell's source (:meth:`Row.sources_of`: its companion column's
        sources, else ``src``, the row's), its value made by the column's declaration (see :func:`_cells`).
        """
        values = row.values
        for name, companion, multi, predicates, make in self.cells[row.table]:
            value = values.get(name)
            if not value:
                continue
            at = row.sources_of(name, src) if companion else src
            for v in row.many(name) if multi else (value,):
                o = make(v)
                for p in predicates:
                    self.add(s, p, o, at)

    def entity(self, s: NamedNode, types: Iterable[NamedNode], row: Row, sources: list[str],
               provenance: Iterable[str] | None = None) -> None:
        """Type an entity (in the graph of ``sources``), record its origin and its sources.

        ``provenance`` (default ``sources``) lists every source the entity is ``prov:wasDerivedFrom``:
        for a row whose cells name their own sources, :meth:`Row.all_sources`.
        """
        self.origins.setdefault(s.value, row.where)
        for t in types:
            self.add(s, RDF.type, t, sources)
        for source in sources if provenance is None else provenance:
            self.add(s, PROV.wasDerivedFrom, self.iris.source(source), [source])


def _triple_keys(quads: Iterable[Quad]) -> Iterator[str]:
    """The writer's keys of the triples of ``quads``."""
    return (f"{q.subject} {q.predicate} {q.object} " for q in quads)


class _Loader:
    """Loads N-Quads chunks into a store on a background thread.

    pyoxigraph parses and indexes without holding the GIL, so on two cores the store loads one
    chunk while Python makes the next one.  Lines are gathered up to ``chunk`` before a load.
    """

    def __init__(self, store: Store, bulk: bool = False, chunk: int = 0, copy: BinaryIO | None = None) -> None:
        self.store = store
        self._copy = copy  # a file that gets every chunk's text too, once loaded
        #: an on-disk store is bulk-loaded (sorted files written straight into its database, no transaction
        #: log); an in-memory one takes each chunk in a transaction
        self._load = store.bulk_load if bulk else store.load
        self._chunk = chunk
        self._pending: list[str] = []
        self._queue: queue.Queue[list[str] | None] = queue.Queue(maxsize=2 if bulk else 4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kg-store-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (lines := self._queue.get()) is not None:
            if self._error is None:
                try:
                    text = "".join(lines).encode("utf-8")
                    self._load(input=text, format=RdfFormat.N_QUADS)
                    if self._copy is not None:
                        self._copy.write(text)
                except BaseException as exc:  # re-raised in the building thread by close()
                    self._error = exc

    def __call__(self, lines: list[str]) -> None:
        if self._error is not None:
            raise self._error
        self._pending += lines
        if len(self._pending) >= self._chunk:
            self._queue.put(self._pending)
            self._pending = []

    def close(self) -> None:
        """Wait until every chunk is loaded; re-raise a loading error."""
        if self._pending:
            self._queue.put(self._pending)
            self._pending = []
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


#: N-Quads lines a bulk load into an on-disk store takes at a time: each load writes its own sorted files, so
#: fewer, larger chunks leave less to compact; two chunks wait at most (about 80 MB of text).
DISK_CHUNK = 200_000


def _spooled(lines: Iterable[str], scratch: str | Path | None = None) -> Iterator[list[str]]:
    """``lines`` (N-Quads lines), all made first and kept in a temporary file in ``scratch`` (default: the system's
    temporary folder), then given back a chunk of :data:`DISK_CHUNK` at a time: so that the quads derived from a
    store go into it only after every one is made, without holding them in memory (23.5 million lines at a
    million firms)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=scratch, prefix="kg-derived-") as spool:
        spool.writelines(lines)
        spool.seek(0)
        while chunk := list(itertools.islice(spool, DISK_CHUNK)):
            yield chunk


@contextlib.contextmanager
def _loading(stores: list[Store], first_on_disk: bool, copy: BinaryIO | None = None
             ) -> Iterator[Callable[[list[str]], None]]:
    """A sink for N-Quads lines that loads them into every store, each on a thread of its own (:class:`_Loader`),
    while the next lines are made: the first store in memory (unless ``first_on_disk``), the others on disk; and
    writes them to ``copy``.  When the block ends every line is loaded; a loading error is raised then."""
    on_disk = [first_on_disk] + [True] * (len(stores) - 1)
    loaders = [_Loader(target, bulk=bulk, chunk=DISK_CHUNK if bulk else 0, copy=copy if i == 0 else None)
               for i, (target, bulk) in enumerate(zip(stores, on_disk, strict=True))]

    def load(lines: list[str]) -> None:
        for loader in loaders:
            loader(lines)
    try:
        yield load
    finally:
        for loader in loaders:
            loader.close()


def compact(store: Store) -> None:
    """Compact an on-disk store that was bulk-loaded in chunks (:func:`build`'s ``store`` and ``copy_to``): their
    files overlap, and one sorted run per index reads several times faster."""
    store.optimize()
    store.flush()


def load_ontology(folder: str | Path = DEFAULT_ONTOLOGY) -> list[Quad]:
    """The ontology's triples, in its own named graph.  A malformed file names line and column."""
    path = Path(folder) / "bbmb.ttl"
    graph = NamedNode(ONTOLOGY_IRI)
    try:
        return [Quad(t.subject, t.predicate, t.object, graph)
                for t in parse(path=str(path), format=RdfFormat.TURTLE)]
    except SyntaxError as exc:
        raise DataErrors([DataError(str(path), None, None, f"is not valid Turtle: {exc}",
                                    "Fix the syntax at the line and column given.")]) from None
    except OSError as exc:
        raise DataErrors([DataError(str(path), None, None, f"cannot be read: {os_reason(exc)}",
                                    "Give --ontology a folder with bbmb.ttl and shapes.ttl.")]) from None


def _curie(curie: str) -> NamedNode:
    """``schema:legalName`` -> its IRI (prefixes of :data:`kg.namespaces.PREFIXES`)."""
    prefix, _, local = curie.partition(":")
    return NamedNode(PREFIXES[prefix] + local)


#: Per table, the classes of the entity a row makes (its declaration's ``classes``).
CLASSES: dict[str, list[NamedNode]] = {t.name: [_curie(c) for c in t.classes] for t in TABLE_SCHEMA}


def _choice_classes(table: str, column: str) -> dict[str, NamedNode]:
    """The class each choice of a column gives the row's entity (its declaration's ``choice_classes``)."""
    col = next(c for c in TABLES[table].columns if c.name == column)
    return {choice: _curie(curie) for choice, curie in col.choice_classes}


ORG_TYPES = _choice_classes("organizations", "types")
PLACE_TYPES = _choice_classes("places", "type")


#: The datatype of a column's literals by its kind, where the column declares none.
KIND_DATATYPES = {"int": XSD.integer, "year": XSD.gYear, "decimal": XSD.decimal, "lat": XSD.decimal,
                  "long": XSD.decimal}


def _period(value: str) -> Literal:
    """A period: a year (xsd:gYear), a month (xsd:gYearMonth), a day (xsd:date) or as written (an interval)."""
    return _typed(value, PERIOD_DATATYPES.get(len(value), XSD.string))


def _maker(col: Column, tables: Tables, iris: IRIs,
           concepts: dict[str, dict[str, NamedNode]]) -> Callable[[str], NamedNode | Literal]:
    """How a cell of ``col`` becomes an RDF term, by the column's declaration."""
    if col.scheme:  # the concept (or class) of the ontology with that notation
        return concepts[col.scheme].__getitem__
    if col.kind == "ref":  # the entity the key names, of the first table that has it (else the last)
        last = col.refs[-1]
        if len(col.refs) == 1:
            return lambda key: iris.of(last, key)
        first = [(tables.ids(table), table) for table in col.refs[:-1]]

        def pick(key: str) -> NamedNode:
            return iris.of(next((table for ids, table in first if key in ids), last), key)
        return pick
    if col.kind == "qid":
        return WD.__getitem__
    if col.kind == "url":
        return lambda value: NamedNode(value.replace(" ", "%20"))
    if col.kind == "period":
        return _period
    datatype = _curie(col.datatype) if col.datatype else KIND_DATATYPES.get(col.kind)
    if datatype is not None:
        return lambda value: _typed(value, datatype)
    if col.lang:
        lang = col.lang
        return lambda value: Literal(value, language=lang)
    return Literal


#: One column the build writes generically: name, companion column (or None), multi-valued?,
#: predicates, and how a value becomes a term.
_Cell = tuple[str, str | None, bool, tuple[NamedNode, ...], Callable[[str], NamedNode | Literal]]


def _cells(tables: Tables, iris: IRIs, concepts: dict[str, dict[str, NamedNode]]) -> dict[str, list[_Cell]]:
    """Per table, its columns that declare a predicate (:class:`kg.tables.Column`), ready to write."""
    out: dict[str, list[_Cell]] = {}
    for table in TABLE_SCHEMA:
        out[table.name] = [
            (col.name, table.companions.get(col.name), col.multi,
             tuple(_curie(p) for p in ((col.predicate,) if isinstance(col.predicate, str) else col.predicate)),
             _maker(col, tables, iris, concepts))
            for col in table.columns if col.predicate]
    return out


def _sources(w: _Writer, tables: Tables) -> None:
    meta = ["meta"]
    for row in tables["sources"]:
        s = w.iris.source(row["id"])
        w.origins.setdefault(s.value, row.where)
        for cls in CLASSES["sources"]:
            w.add(s, RDF.type, cls, meta)
        w.columns(s, row, meta)
        g = w.iris.graph(row["id"])
        w.add(g, PROV.wasDerivedFrom, s, meta)
        w.add(g, RDFS.label, _text(f"Facts from: {row['title']}"), meta)


def _places(w: _Writer, tables: Tables) -> None:
    for row in tables["places"]:
        s, src, of = w.iris.place(row["id"]), row.many("source"), row.sources_of
        w.entity(s, CLASSES["places"] + [PLACE_TYPES[t] for t in row.many("type")], row, src,
                 row.all_sources())
        w.columns(s, row, src)
        w.add(s, RDFS.label, _text(row["name_en"] or row["name_de"], "en"), src)
        if row["lat"]:
            at = of("lat")
            geom = w.iris.geometry(row["id"])
            w.add(s, GEO.hasGeometry, geom, at)
            w.add(geom, RDF.type, GEO.Geometry, at)
            w.add(geom, GEO.asWKT, _typed(f"POINT({row['long']} {row['lat']})", GEO.wktLiteral), at)


def _subsectors(w: _Writer, tables: Tables) -> None:
    scheme = w.iris.subsector_scheme()
    first = tables["subsectors"][0] if tables["subsectors"] else None
    if first is not None:
        w.entity(scheme, [SKOS.ConceptScheme], first, first.many("source"))
        w.add(scheme, SKOS.prefLabel, _text("Wirtschaftszweige (WZ 2008)", "de"), first.many("source"))
        w.add(scheme, SKOS.prefLabel, _text("Economic activities (WZ 2008 / NACE Rev. 2)", "en"),
              first.many("source"))
    for row in tables["subsectors"]:
        s, src, code = w.iris.subsector(row["code"]), row.many("source"), row["code"]
        w.entity(s, CLASSES["subsectors"], row, src, row.all_sources())
        w.add(s, SKOS.inScheme, scheme, src)
        w.add(s, SKOS.notation, _text(code), src)
        w.columns(s, row, src)
        if not row["broader"]:
            w.add(scheme, SKOS.hasTopConcept, s, src)
        w.add(s, SKOS.exactMatch, NACE[code.replace(".", "")], src)


def _site(w: _Writer, site: NamedNode, org: NamedNode, place: NamedNode, label: str,
          functions: list[NamedNode], row: Row, src: list[str], place_src: list[str] | None = None,
          provenance: Iterable[str] | None = None, label_src: list[str] | None = None) -> None:
    """A site of ``org`` in ``place`` and named ``label`` (each from its own sources if given, else ``src``),
    with ``functions``."""
    w.entity(site, CLASSES["sites"], row, src, provenance)
    w.add(site, RDFS.label, _text(label), label_src or src)
    w.add(org, ORG.hasSite, site, src)
    w.add(site, ORG.siteOf, org, src)
    w.add(site, SCHEMA.containedInPlace, place, place_src or src)
    for f in functions:
        w.add(site, BBMB.siteFunction, f, src)


def _organizations(w: _Writer, tables: Tables, functions: dict[str, NamedNode]) -> None:
    for row in tables["organizations"]:
        s, src, of = w.iris.org(row["id"]), row.many("source"), row.sources_of
        w.entity(s, CLASSES["organizations"] + [ORG_TYPES[t] for t in row.many("types")], row, src,
                 row.all_sources())
        w.columns(s, row, src)
        if row["parent"]:
            psrc, parent = of("parent"), w.iris.org(row["parent"])
            w.add(s, ORG.subOrganizationOf, parent, psrc)
            w.add(parent, ORG.hasSubOrganization, s, psrc)
            w.add(s, SCHEMA.parentOrganization, parent, psrc)
            rel = w.iris.control(row["id"])
            w.entity(rel, [BBMB.ControlRelation], row, psrc)
            w.add(rel, BBMB.child, s, psrc)
            w.add(rel, BBMB.parent, parent, psrc)
            if row["parent_certainty"]:
                w.add(rel, BBMB.certainty, _text(row["parent_certainty"]), psrc)
            for column, predicate in (("parent_since", SCHEMA.startDate), ("parent_until", SCHEMA.endDate)):
                if row[column]:
                    w.add(rel, predicate, _period(row[column]), psrc)
        hsrc = of("headquarters")
        for column, prop, function, suffix, label in (
                ("headquarters", ORG.hasPrimarySite, "headquarters", "headquarters", "headquarters"),
                ("registered_seat", ORG.hasRegisteredSite, "registered-seat", "registered-seat", "registered seat")):
            if not row[column]:
                continue
            site = w.iris.site(f"{row['id']}-{suffix}")
            _site(w, site, s, w.iris.place(row[column]), f"{row['name']} {label}",
                  [functions[function]], row, hsrc)
            w.add(s, prop, site, hsrc)
            if row["headquarters_certainty"]:
                w.add(site, BBMB.certainty, _text(row["headquarters_certainty"]), hsrc)


def _classifications(w: _Writer, tables: Tables) -> None:
    for row in tables["classifications"]:
        w.add(w.iris.org(row["org"]), ORG.classification, w.iris.subsector(row["code"]), row.many("source"))


def _sites(w: _Writer, tables: Tables) -> None:
    for row in tables["sites"]:
        s, src, org, of = w.iris.site(row["id"]), row.many("source"), w.iris.org(row["org"]), row.sources_of
        _site(w, s, org, w.iris.place(row["place"]), row["name"], [], row, src, of("place"), row.all_sources(),
              of("name"))
        w.columns(s, row, src)  # functions, status, description, note
        if "headquarters" in row.many("functions"):
            w.add(org, ORG.hasPrimarySite, s, of("functions"))


def _subject(w: _Writer, tables: Tables, key: str) -> NamedNode:
    """An id from a column that may name an organisation or a site."""
    return w.iris.org(key) if key in tables.ids("organizations") else w.iris.site(key)


def _headcounts(w: _Writer, tables: Tables) -> None:
    for row in tables["headcounts"]:
        src = row.many("source")
        number = row["value"] or row["min"] or row["max"] or "n"
        s = w.iris.of("headcounts", f"{row['subject']}-{number}-{src[0]}")
        subject = _subject(w, tables, row["subject"])
        w.entity(s, CLASSES["headcounts"], row, src)
        w.add(subject, SCHEMA.numberOfEmployees, s, src)
        w.columns(s, row, src)


def _clusters(w: _Writer, tables: Tables) -> None:
    for row in tables["clusters"]:
        s, src = w.iris.cluster(row["id"]), row.many("source")
        w.entity(s, CLASSES["clusters"], row, src)
        w.columns(s, row, src)  # the kind: rdf:type, the subclass of bbmb:Cluster of that notation
    for row in tables["cluster_members"]:
        w.add(w.iris.cluster(row["cluster"]), BBMB.hasMember, w.iris.org(row["member"]), row.many("source"))


def _events(w: _Writer, tables: Tables) -> None:
    for row in tables["events"]:
        s, src = w.iris.of("events", row["id"]), row.many("source")
        w.entity(s, CLASSES["events"], row, src, row.all_sources())
        w.columns(s, row, src)


def _production_focus(w: _Writer, tables: Tables) -> None:
    for row in tables["production_focus"]:
        s, src = w.iris.of("production_focus", f"{row['land']}/{row['code']}"), row.many("source")
        w.entity(s, CLASSES["production_focus"], row, src)
        w.columns(s, row, src)


def _statistics(w: _Writer, tables: Tables, units: dict[str, NamedNode]) -> None:
    unit_of = {}
    for row in tables["datasets"]:
        s, src = w.iris.dataset(row["id"]), row.many("source")
        unit_of[row["id"]] = units[row["unit"]]
        w.entity(s, CLASSES["datasets"], row, src)
        w.add(s, QB.structure, BBMB.dsd, src)
        w.columns(s, row, src)
    for row in tables["statistics"]:
        s, src = w.iris.observation(row["id"]), row.many("source")
        w.entity(s, CLASSES["statistics"], row, src)
        w.columns(s, row, src)
        w.add(s, SDMX_ATTRIBUTE.unitMeasure, unit_of[row["dataset"]], src)


def _flags(w: _Writer, tables: Tables) -> None:
    mint: dict[str, Callable[[str], NamedNode]] = {**{r["id"]: w.iris.observation for r in tables["statistics"]},
                                                   **{r["id"]: w.iris.place for r in tables["places"]},
                                                   **{r["id"]: lambda key: w.iris.of("comparisons", key)
                                                      for r in tables["comparisons"]}}
    for row in tables["flags"]:
        s, src = w.iris.of("flags", row["id"]), row.many("source")
        w.entity(s, CLASSES["flags"], row, src)
        w.columns(s, row, src)
        for subject in row.many("subjects"):
            target = mint[subject](subject) if subject in mint else _subject(w, tables, subject)
            w.add(s, BBMB.flags, target, src)


def _comparisons(w: _Writer, tables: Tables) -> None:
    """Comparisons and rankings as the source states them (never an absolute figure it does not give)."""
    for row in tables["comparisons"]:
        s, src = w.iris.of("comparisons", row["id"]), row.many("source")
        w.entity(s, CLASSES["comparisons"], row, src)
        w.columns(s, row, src)


def _alternative_places(w: _Writer, tables: Tables) -> None:
    """Where a source puts a decision centre or a site, against the other tables (contested facts)."""
    for i, row in enumerate(tables["alternative_places"], start=1):
        s = w.iris.of("alternative_places", f"{row['subject']}-{i}")
        w.entity(s, CLASSES["alternative_places"], row, row.all_sources())
        w.columns(s, row, row.many("source"))


def _parent_relations(w: _Writer, tables: Tables) -> None:
    """Parent relations as registers record them (kg import): interest, share, period, each under its record."""
    for row in tables["parent_relations"]:
        s = w.iris.of("parent_relations", row["id"])
        w.entity(s, CLASSES["parent_relations"], row, row.all_sources())
        w.columns(s, row, row.many("source"))


def project_errors(project: Project, tables: Tables) -> list[DataError]:
    """The project file's ids that the tables do not have: its region (a place of type region) and its study's
    sources, each an error naming the file and the key."""
    where = str(project.path or "kg.toml")
    regions = sorted(r["id"] for r in tables["places"] if "region" in r.many("type"))
    errors = []
    if project.region and project.region not in regions:
        errors.append(DataError(where, None, "region", f"'{project.region}' is not a place of type region in "
                                f"places.csv; give one of: {', '.join(regions) or 'none yet (add one)'}"))
    sources = tables.ids("sources")
    errors += [DataError(where, None, "study.source", f"'{key}' is not a source id of sources.csv; give the id of "
                         f"the study's row there") for key in project.study.sources if key not in sources]
    return errors


def _study(w: _Writer, graph: NamedNode, project: Project, meta: list[str]) -> None:
    """The study the data comes from, on the derived graph: its credit line (``dct:bibliographicCitation``, which
    every page, picture and graph file shows) and its sources (``prov:hadPrimarySource``)."""
    if credit := project.study.credit():
        w.add(graph, DCT.bibliographicCitation, _text(credit), meta)
    for key in project.study.sources:
        w.add(graph, PROV.hadPrimarySource, w.iris.source(key), meta)


def _derived(w: _Writer, tables: Tables, reading: str, project: Project, as_of: datetime.date | None = None) -> None:
    """What the rules of :mod:`kg.rules` decide, in its own graph ``{base}graph/derived`` (see :mod:`kg.derive`).

    Computed here from the tables (not by SPARQL inference), so the build stays fast and its output
    deterministic; the lines are written directly (the properties are in no other graph, ids are
    slugs checked when the tables were read).
    """
    facts = apply_rules(tables, reading, project)
    w.extend(derived_lines(facts, tables, w.iris))
    # the graph itself: what it was made from, by what, under which reading
    meta = ["meta"]
    source, graph = w.iris.source(DERIVED), w.iris.graph(DERIVED)
    if DERIVED not in tables.ids("sources"):
        for cls in CLASSES["sources"]:
            w.add(source, RDF.type, cls, meta)
        w.add(source, DCT.title, _text("Derived by kg build from the other graphs"), meta)
        w.add(source, BBMB.sourceKind, _text(DERIVED), meta)
        w.add(graph, PROV.wasDerivedFrom, source, meta)
        w.add(graph, RDFS.label, _text("Facts derived by the build"), meta)
    activity = w.iris.source(DERIVED + "/build")
    w.add(activity, RDF.type, PROV.Activity, meta)
    w.add(activity, RDFS.label, _text("kg build: apply the rules of kg/rules.py"), meta)
    w.add(graph, PROV.wasGeneratedBy, activity, meta)
    w.add(graph, BBMB.reading, _text(reading), meta)
    if as_of is not None:
        w.add(graph, BBMB.asOf, _typed(as_of.isoformat(), XSD.date), meta)
    _study(w, graph, project, meta)
    w.add(graph, RDFS.comment, _text(
        f"Place ancestry (bbmb:within, bbmb:inLand, bbmb:inCountry), controllers and places of control "
        f"(bbmb:controlledBy, bbmb:controlPlace), head-counts used (bbmb:employees), contested facts "
        f"(bbmb:ContestedFact) and the control summary (data sets control-by-area and "
        f"control-by-decision-centre), by the rules of kg/rules.py under the reading '{reading}': "
        f"{READINGS[reading].description}"
        + (f"; from the facts that hold on {as_of.isoformat()} (kg build --as-of, kg/asof.py)" if as_of else "")
        + ".", "en"), meta)
    for row in tables["sources"]:
        if row["id"] != DERIVED:
            w.add(graph, PROV.wasDerivedFrom, w.iris.graph(row["id"]), meta)


def _write_all(w: _Writer, tables: Tables, ontology: list[Quad], reading: str = DEFAULT_READING,
               project: Project | None = None, say: Callable[[str], None] = lambda message: None,
               as_of: datetime.date | None = None) -> None:
    concepts = vocabularies(ontology)
    w.cells = _cells(tables, w.iris, concepts)
    _sources(w, tables)
    _places(w, tables)
    _subsectors(w, tables)
    _organizations(w, tables, concepts["SiteFunctions"])
    _classifications(w, tables)
    _sites(w, tables)
    _headcounts(w, tables)
    _clusters(w, tables)
    _events(w, tables)
    _production_focus(w, tables)
    _statistics(w, tables, concepts["Units"])
    _comparisons(w, tables)
    _flags(w, tables)
    _alternative_places(w, tables)
    _parent_relations(w, tables)
    say(f"deriving facts ({len(tables['organizations']):,} organisations, {len(tables['sites']):,} sites)…")
    w.hold_the_rest()  # the rules need the memory; the derived graph's few triples written by add() are checked then
    _derived(w, tables, reading, project or Project(), as_of)
    w.flush()


#: The peak memory of a build in memory, per table row (2.85 GB for the 411,803 rows of ``kg synth --firms 100000``,
#: 6 Dec 2026; it grows slightly less than linearly): past :data:`IN_MEMORY_LIMIT` a build that also writes an
#: on-disk store builds only there (:func:`fits_in_memory`).
MEMORY_PER_ROW = 7_000
#: The most memory a build in memory may take (or half the machine's, where less): about 140,000 table rows (some
#: 35,000 firms).  Beyond, building into the on-disk store alone holds no copy of the dataset in memory and costs
#: little more time (100,000 firms: 1.2 GB and 151 s, against 2.9 GB and 131 s in memory, 6 Dec 2026).
IN_MEMORY_LIMIT = 1_000_000_000


def machine_memory() -> int:
    """The bytes of memory this process may use: the machine's, or its control group's limit where lower."""
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    with contextlib.suppress(OSError, ValueError):  # cgroup v2; "max" where there is no limit
        memory = min(memory, int(Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii")))
    return memory


def fits_in_memory(rows: int) -> bool:
    """Whether a build of ``rows`` table rows in memory (:data:`MEMORY_PER_ROW`) takes at most
    :data:`IN_MEMORY_LIMIT` and half the machine's memory."""
    return rows * MEMORY_PER_ROW <= min(IN_MEMORY_LIMIT, machine_memory() // 2)


def build(data: str | Path = DEFAULT_DATA, ontology: str | Path = DEFAULT_ONTOLOGY, base: str | None = None,
          progress: Callable[[str], None] | None = None, reading: str | None = None,
          project: Project | None = None, as_of: datetime.date | None = None,
          tables: Tables | None = None, store: Store | None = None, copy_to: Store | None = None,
          scratch: str | Path | None = None, nquads: BinaryIO | None = None) -> BuildResult:
    """Read and check the tables, and build the dataset in an in-memory Oxigraph store.

    ``reading`` (see :data:`kg.rules.READINGS`) says which source wins where sources disagree on a
    fact a derived figure depends on; the derived graph records it.  ``project`` is the data folder's
    ``kg.toml`` (:mod:`kg.project`; read from ``data`` when not given): its region, study, base and reading
    are the defaults.  ``as_of``: build the region as its dated facts say it was on that day (:mod:`kg.asof`
    drops the others before the rules run); the derived graph records the day.  ``tables``: those of ``data``
    already read and checked (:func:`kg.tables.read_tables`; the time slider builds each year from one reading).
    ``store``: an empty on-disk store (``Store(path)``) to build into instead of a new in-memory one: the quads
    go into it by Oxigraph's bulk loader while the next ones are made, and it is compacted for reading, so
    that the dataset is never held in memory (``kg build --low-memory``).  ``copy_to``: an empty on-disk store
    that gets the same quads, by the bulk loader on a thread of its own, as they are made (``kg build``'s store,
    written while the build runs instead of copied afterwards); :func:`compact` it before it is read (``kg build``
    does while it writes the RDF files); where the tables are too large to build in memory (:func:`fits_in_memory`),
    the build goes into ``copy_to`` alone, as into ``store``, and the result's store is ``copy_to``.
    ``scratch``: a folder for the build's temporary file (the derived look-ups and listings, gigabytes at a million
    firms; default: the system's temporary folder).  ``nquads``: a file that gets every quad of the store as N-Quads
    while it is loaded (kg build's ``kg.nq``: dumping an on-disk store afterwards took 56 s at 100,000 firms).
    Raises :class:`kg.tables.DataErrors` (every problem with file, row and field) on bad input; nothing is written
    to disk here.  No triple is in two graphs (see :class:`BuildResult`).
    """
    say = progress or (lambda message: None)
    project = project or find_project(data)
    reading = check_reading(reading or project.reading or DEFAULT_READING)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if tables is None:
        say(f"reading the tables in {data}…")
        tables = read_tables(data)
    if errors := project_errors(project, tables):
        raise DataErrors(errors)
    read_rows, years = tables.row_count, fact_years(tables)
    if as_of is not None:
        then = at_date(tables, as_of)
        tables = then.tables
        say(then.describe())
        del then
    timings["read"] = time.perf_counter() - t0
    rows = tables.row_count
    say(f"read {rows:,} rows from {data}")
    say(f"building the graph from {rows:,} rows…")
    ontology_quads = load_ontology(ontology)
    iris = IRIs(base or project.base)
    t0 = time.perf_counter()
    if store is None and copy_to is not None and not fits_in_memory(rows):
        say(f"{rows:,} rows need about {rows * MEMORY_PER_ROW / 1e9:.1f} GB built in memory, more than kg builds "
            f"in memory ({IN_MEMORY_LIMIT / 1e9:.0f} GB, or half of this machine's {machine_memory() / 1e9:.0f} GB): "
            "building straight into the on-disk store (as --low-memory)")
        store, copy_to = copy_to, None
    on_disk = store is not None
    store = Store() if store is None else store
    targets = [store] if copy_to is None else [store, copy_to]
    for target in targets:
        target.bulk_extend(ontology_quads)
    if nquads is not None:
        nquads.write("".join(f"{quad} .\n" for quad in ontology_quads).encode("utf-8"))
    with _loading(targets, on_disk, nquads) as load:
        w = _Writer(iris, sink=load, seen=_triple_keys(ontology_quads))
        _write_all(w, tables, ontology_quads, reading, project, say, as_of)
    if held := w.held_back(store):
        for target in targets:
            target.load(input=held, format=RdfFormat.N_QUADS)
        if nquads is not None:
            nquads.write(held.encode("utf-8"))
    origins, written = w.origins, len(ontology_quads) + w.count
    del w, tables  # what the rest reads is in the store: the rows and the written triples' hashes are let go
    timings["triples+load"] = time.perf_counter() - t0
    if on_disk:  # the derivations below read it
        t0 = time.perf_counter()
        say(f"compacting the store ({written:,} quads)…")  # as written: counting the store reads it all
        compact(store)
        timings["compact"] = time.perf_counter() - t0
        say(f"compacted the store in {timings['compact']:.1f} s")
    t0 = time.perf_counter()
    say("deriving the saved queries' look-ups and listings…")
    # the firms' profiles, the per-area look-ups and the listings' order, all read from the store before any is
    # added (kept in a temporary file meanwhile); as N-Quads, loaded by the engine (handing it 2.4 M Python quads
    # one by one took 30 s at 100,000 firms), a chunk at a time (at once, the bulk loader's buffers were a gigabyte
    # more at 100,000 firms).  The groups with several sites in an area are counted once, for the data set
    # groups-by-area, and listed from those counts (the chain makes the look-ups before the listings).
    multi_site: list[GroupCount] = []

    def derived_lines() -> Iterator[str]:
        yield from materialised_lines(store, iris, reading, multi_site)
        say(f"derived the look-ups in {time.perf_counter() - t0:.1f} s; ordering the listings…")
        yield from listing_lines(store, iris, multi_site, say)
    derived = derived_lines()
    count = 0
    with _loading(targets, on_disk, nquads) as load:
        for chunk in _spooled(derived, scratch):
            count += len(chunk)
            load(chunk)
    timings["materialised"] = time.perf_counter() - t0
    say(f"derived {count:,} quads of look-ups and listings in {timings['materialised']:.1f} s")
    if on_disk:
        t0 = time.perf_counter()
        say("compacting the on-disk store…")
        compact(store)
        timings["compact"] = timings.get("compact", 0) + time.perf_counter() - t0
        say(f"compacted the on-disk store in {time.perf_counter() - t0:.1f} s")
    quads = len(store)  # a count of the store: a second of reading at 100,000 firms, so done once
    say(f"built {quads:,} quads")
    return BuildResult(store, iris, origins, timings, quads_built=quads, rows=read_rows, years=years)
