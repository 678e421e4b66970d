"""Read and check the CSV tables in ``data/``.

The tables are what an analyst edits in a spreadsheet: one row a thing, a ``source`` column
naming where each fact comes from.  This module knows their columns and checks every cell;
every error names the file, the row (as a spreadsheet shows it, header = row 1) and the
field, and says what to do.  All errors of a run are collected and reported together.
"""
from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable

from .model import notations

SLUG = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
LEI = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")  # ISO 17442
CODE = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2})?)$")
CERTAINTY = ("confirmed", "likely", "uncertain", "implied")
APPROX = ("exact", "about", "almost", "over", "several-hundred")
COMPARISON_RELATIONS = ("higher", "lower", "equal", "rank", "falling", "rising")


@dataclass(frozen=True)
class Column:
    """One column of a table: its kind, whether it must be filled, what it refers to."""

    name: str
    kind: str = "text"  # text | id | ref | int | decimal | year | lat | long | choice | code | period | date | lei
    required: bool = False
    refs: tuple[str, ...] = ()  # tables whose keys a "ref" column may name
    multi: bool = False  # several values separated by ";"
    choices: tuple[str, ...] = ()
    #: For a companion column (see :func:`sourced`): the value columns whose own source it names.
    source_of: tuple[str, ...] = ()
    #: For a companion column: it must be filled whenever one of its value columns is.
    source_required: bool = False
    #: For a choice column: the ontology's vocabulary (a SKOS concept scheme such as "Units", or a class
    #: whose subclasses have notations, "Cluster") whose notations are its choices, less ``exclude``
    #: (see :mod:`kg.model`); given ``choices`` must then be notations of it.  The build writes the concept.
    scheme: str = ""
    exclude: tuple[str, ...] = ()
    # How the build writes a filled cell (kg.build._cells), a triple of the row's entity, in the graph of
    # the cell's own source (Row.sources_of).  No predicate: the build's code writes the column (or not).
    #: CURIE(s) of the predicate(s), prefixes of kg.namespaces.PREFIXES, e.g. "schema:legalName".
    predicate: str | tuple[str, ...] = ""
    #: CURIE of the literal's datatype; by default xsd:integer for kind int, xsd:gYear for year,
    #: xsd:decimal for decimal, lat and long (kind period: xsd:gYear, xsd:gYearMonth or a plain string).
    datatype: str = ""
    #: Language tag of a text literal.
    lang: str = ""
    #: A column added after data folders were made: a file's header may leave it out (read as empty).
    optional: bool = False

    def __post_init__(self) -> None:
        if self.scheme:
            allowed = tuple(n for n in notations(self.scheme) if n not in self.exclude)
            if not self.choices:
                object.__setattr__(self, "choices", allowed)
            elif not set(self.choices) <= set(allowed):
                raise ValueError(f"column {self.name}: choices {set(self.choices) - set(allowed)} are not "
                                 f"notations of the ontology's {self.scheme}")


@dataclass(frozen=True)
class Table:
    name: str
    key: str | None
    columns: tuple[Column, ...]
    description: str = ""
    #: A table added after data folders were made: a folder without its file reads it as empty.
    optional: bool = False

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @cached_property
    def companions(self) -> dict[str, str]:
        """value column -> the companion column that names its own source (see :func:`sourced`)."""
        return {value: c.name for c in self.columns for value in c.source_of}


def _src(required: bool = True) -> Column:
    return Column("source", "ref", required, refs=("sources",), multi=True)


def sourced(*columns: Column, companion: str = "", required: bool = False) -> tuple[Column, ...]:
    """Value columns whose cells may name their own source, and their companion column.

    The companion (``X_source`` for one column ``X``, or ``companion`` for a set of columns that
    share one source, e.g. lat and long) holds source ids like ``source``.  Where it is filled,
    the triples made from those columns go into the named graph of its first source (and the
    entity is ``prov:wasDerivedFrom`` it too); where it is empty, the row's ``source`` applies.
    A companion may be left out of a file's header (read as empty).  ``required``: the
    companion must be filled whenever one of its columns is (e.g. a parent relation).
    """
    name = companion or f"{columns[0].name}_source"
    assert companion or len(columns) == 1, "name the companion of a set of columns"
    return columns + (Column(name, "ref", refs=("sources",), multi=True,
                             source_of=tuple(c.name for c in columns), source_required=required),)


#: The tables, in the order they are read.  ``key`` is the column whose values other
#: tables refer to.  A column that declares a ``predicate`` is written by the build from this
#: declaration alone (:meth:`kg.build._Writer.columns`); the rest (an entity's IRI and types, sites,
#: control relations, geometries, head-counts' subjects...) by the table's function in kg/build.py.
#: The choices of a column with a ``scheme`` are the notations of that vocabulary of the ontology.
SCHEMA: tuple[Table, ...] = (
    Table("sources", "id", (
        Column("id", "id", True), Column("kind", "choice", True, choices=(
            "document", "brief-section", "brief-figure", "web", "classification", "reference", "synthetic",
            "derived", "register"), predicate="bbmb:sourceKind"),
        Column("title", required=True, predicate="dct:title"), Column("section", predicate="bbmb:section"),
        Column("url", "url", predicate="schema:url"),
        Column("part_of", "ref", refs=("sources",), predicate="dct:isPartOf"), Column("note", predicate="rdfs:comment"),
    ), "Where facts come from: sections and figures of the brief, and external addresses; kind 'derived' "
       "is the build's own graph of derived facts (source id 'derived')."),
    Table("places", "id", (
        Column("id", "id", True), Column("name_de", required=True, predicate="rdfs:label", lang="de"),
        Column("name_en"),
        Column("type", "choice", True, multi=True,
               choices=("country", "land", "region", "municipality", "district")),
        *sourced(Column("within", "ref", refs=("places",), multi=True, predicate="schema:containedInPlace")),
        *sourced(Column("lat", "lat", predicate="wgs:lat"), Column("long", "long", predicate="wgs:long"),
                 companion="coordinates_source"),
        *sourced(Column("nuts", predicate="bbmb:nutsCode")),
        *sourced(Column("wikidata", "qid", predicate="skos:exactMatch")),
        _src(), *sourced(Column("note", predicate="rdfs:comment", lang="en")),
    ), "Places as a hierarchy: district -> municipality -> Land -> country; coordinates, NUTS code, "
       "Wikidata id and note each with their own source where it is not the row's."),
    Table("subsectors", "code", (
        Column("code", "code", True),
        Column("label_de", required=True, predicate="skos:prefLabel", lang="de"),
        Column("label_en", required=True, predicate="skos:prefLabel", lang="en"),
        Column("broader", "ref", refs=("subsectors",), predicate="skos:broader"),
        *sourced(Column("brief_label_de", predicate="skos:altLabel", lang="de")), _src(),
        *sourced(Column("note", predicate="skos:scopeNote", lang="en")),
    ), "WZ 2008 / NACE Rev. 2 classes and groups (labels from the classification, the row's source), "
       "with the brief's own names (brief_label_de, from the brief section in brief_label_de_source)."),
    Table("organizations", "id", (
        Column("id", "id", True), Column("name", required=True, predicate=("rdfs:label", "schema:name")),
        *sourced(Column("legal_name", predicate="schema:legalName")),
        Column("types", "choice", True, multi=True,
               choices=("firm", "group", "holding", "foundation", "legal-entity")),
        *sourced(Column("parent", "ref", refs=("organizations",)), companion="parent_source", required=True),
        Column("parent_certainty", "choice", choices=CERTAINTY),
        *sourced(Column("headquarters", "ref", refs=("places",)), Column("registered_seat", "ref", refs=("places",)),
                 companion="headquarters_source", required=True),
        Column("headquarters_certainty", "choice", choices=CERTAINTY),
        *sourced(Column("founded", "year", predicate="schema:foundingDate")),
        *sourced(Column("founded_in", "ref", refs=("places",), predicate="schema:foundingLocation")),
        *sourced(Column("status", "choice", choices=("active", "insolvent", "closed"), predicate="bbmb:status")),
        *sourced(Column("wikidata", "qid", predicate="skos:exactMatch")),
        *sourced(Column("lei", "lei", predicate="schema:leiCode", optional=True)),
        *sourced(Column("description_de", predicate="schema:description", lang="de"),
                 Column("description_en", predicate="schema:description", lang="en"),
                 companion="description_source"),
        _src(), *sourced(Column("note", predicate="rdfs:comment", lang="en")),
    ), "Firms and their parent groups; parent, headquarters, legal name, founding year and place, status, "
       "Wikidata id, LEI (ISO 17442 Legal Entity Identifier), descriptions and note each with their own source "
       "where it is not the row's."),
    Table("classifications", None, (
        Column("org", "ref", True, refs=("organizations",)), Column("code", "ref", True, refs=("subsectors",)),
        Column("basis", "choice", True, choices=("brief", "inference")), _src(), Column("note"),
    ), "Which subsector a firm belongs to, and whether the brief says so or we infer it."),
    Table("sites", "id", (
        Column("id", "id", True), Column("org", "ref", True, refs=("organizations",)), Column("name", required=True),
        *sourced(Column("functions", "choice", multi=True, scheme="SiteFunctions", predicate="bbmb:siteFunction")),
        *sourced(Column("place", "ref", True, refs=("places",))),
        *sourced(Column("status", "choice", choices=("active", "converted", "closed", "planned"),
                        predicate="bbmb:status")),
        Column("description_de", predicate="schema:description", lang="de"), _src(),
        *sourced(Column("note", predicate="rdfs:comment", lang="en")),
    ), "Plants, service centres, offices and campuses, each in one place; functions, place, status and "
       "note each with their own source where it is not the row's."),
    Table("headcounts", None, (
        Column("subject", "ref", True, refs=("organizations", "sites")),
        Column("value", "int", predicate="schema:value"), Column("min", "int", predicate="schema:minValue"),
        Column("max", "int", predicate="schema:maxValue"),
        Column("approx", "choice", True, choices=APPROX, predicate="bbmb:approximation"),
        Column("year", "year", predicate="bbmb:referenceYear"),
        Column("scope", predicate="schema:description", lang="en"),
        Column("quote", predicate="bbmb:quote"), _src(), Column("note", predicate="rdfs:comment", lang="en"),
    ), "Head-counts of firms or sites, as the source words them; two sources may disagree."),
    Table("clusters", "id", (
        Column("id", "id", True), Column("name", required=True, predicate="rdfs:label"),
        Column("kind", "choice", True, scheme="Cluster", predicate="rdf:type"),
        Column("place", "ref", refs=("places",), predicate="schema:containedInPlace"),
        Column("org", "ref", refs=("organizations",), predicate="bbmb:operatedBy"),
        Column("description_de", predicate="schema:description", lang="de"), _src(),
        Column("note", predicate="rdfs:comment", lang="en"),
    ), "Holdings, campuses, technology parks and peer groups that tie firms together."),
    Table("cluster_members", None, (
        Column("cluster", "ref", True, refs=("clusters",)), Column("member", "ref", True, refs=("organizations",)),
        _src(), Column("note"),
    ), "Which organisations belong to which cluster."),
    Table("events", "id", (
        Column("id", "id", True),
        Column("subject", "ref", True, refs=("organizations", "sites"), predicate="bbmb:concerns"),
        Column("kind", required=True, predicate="bbmb:eventKind"),
        *sourced(Column("year", "year", predicate="bbmb:year"), Column("date_text", predicate="bbmb:dateText"),
                 companion="date_source"),
        Column("amount", "decimal", predicate="bbmb:amount"), Column("unit", predicate="bbmb:amountUnit"),
        Column("related", "ref", refs=("organizations",), predicate="bbmb:relatedOrganization"),
        Column("description_de", required=True, predicate="schema:description", lang="de"), _src(),
        *sourced(Column("note", predicate="rdfs:comment", lang="en")),
    ), "History: foundings, acquisitions, conversions, openings, investments, insolvencies."),
    Table("production_focus", None, (
        Column("land", "ref", True, refs=("places",), predicate="bbmb:area"),
        Column("code", "ref", True, refs=("subsectors",), predicate="bbmb:subsector"),
        Column("label_de", required=True, predicate="rdfs:label", lang="de"), _src(),
    ), "The brief's figure 5: production focus by Land."),
    Table("datasets", "id", (
        Column("id", "id", True), Column("title_de", required=True, predicate="dct:title", lang="de"),
        Column("title_en", required=True, predicate="dct:title", lang="en"),
        Column("unit", "choice", True, scheme="Units", exclude=("percentage-points",),
               predicate="sdmx-attribute:unitMeasure"),
        _src(), Column("note", predicate="rdfs:comment", lang="en"),
    ), "Statistical tables (RDF Data Cube data sets)."),
    Table("statistics", "id", (
        Column("id", "id", True), Column("dataset", "ref", True, refs=("datasets",), predicate="qb:dataSet"),
        Column("area", "ref", True, refs=("places",), predicate="sdmx-dimension:refArea"),
        Column("period", "period", predicate="sdmx-dimension:refPeriod"),
        Column("breakdown", "choice", True, scheme="Breakdowns", exclude=("younger",), predicate="bbmb:breakdown"),
        Column("value", "decimal", True, predicate="sdmx-measure:obsValue"),
        Column("approx", "choice", True, choices=APPROX, predicate="bbmb:approximation"),
        Column("quote", predicate="bbmb:quote"), _src(), Column("note", predicate="rdfs:comment", lang="en"),
    ), "Observations: one figure for an area, period and breakdown."),
    Table("comparisons", "id", (
        Column("id", "id", True),
        Column("subject", "ref", True, refs=("places",), predicate="bbmb:comparisonSubject"),
        Column("relation", "choice", True, choices=COMPARISON_RELATIONS, predicate="bbmb:relation"),
        Column("objects", "ref", refs=("places",), multi=True, predicate="bbmb:comparedWith"),
        Column("measure", "ref", True, refs=("datasets",), predicate="bbmb:measure"),
        Column("breakdown", "choice", scheme="Breakdowns", predicate="bbmb:comparisonBreakdown"),
        Column("period", "period", predicate="sdmx-dimension:refPeriod"),
        Column("object_period", predicate="bbmb:objectPeriod"), Column("rank", predicate="bbmb:rank"),
        Column("among", "choice", choices=("countries", "laender"), predicate="bbmb:rankAmong"),
        Column("difference", "decimal", predicate="bbmb:difference"),
        Column("unit", "choice", scheme="Units", choices=("percentage-points", "percent"),
               predicate="sdmx-attribute:unitMeasure"),
        Column("approx", "choice", choices=APPROX, predicate="bbmb:approximation"),
        Column("modality", "choice", True, choices=("stated", "expected"), predicate="bbmb:modality"),
        Column("quote", required=True, predicate="bbmb:quote"), _src(),
        Column("note", predicate="rdfs:comment", lang="en"),
    ), "Comparisons and rankings the source states without the absolute figures: the subject area is "
       "higher or lower than the object areas (by a difference, if given), equal to an earlier level, "
       "ranked among countries or Länder, or its measure falling or rising over the period."),
    Table("alternative_places", None, (
        Column("subject", "ref", True, refs=("organizations", "sites"), predicate="bbmb:about"),
        Column("aspect", "choice", True, choices=("decision-centre", "site-place"), predicate="bbmb:aspect"),
        *sourced(Column("place", "ref", True, refs=("places",), predicate="schema:containedInPlace")),
        Column("basis", "choice", True, choices=("stated", "inference"), predicate="bbmb:basis"),
        Column("quote", predicate="bbmb:quote", lang="de"), _src(),
        *sourced(Column("note", predicate="rdfs:comment", lang="en")),
    ), "Where a source puts an organisation's decision centre or a site, where that differs from the other "
       "tables (a headquarters, a site's place): contested facts with their sources. The readings (kg.rules) "
       "choose between decision centres and headquarters; a site keeps the sites table's place."),
    Table("parent_relations", "id", (
        Column("id", "id", True),
        Column("child", "ref", True, refs=("organizations",), predicate="bbmb:about"),
        Column("party", "choice", True, choices=("organization", "person", "unspecified"), predicate="bbmb:partyKind"),
        Column("parent", "ref", refs=("organizations",), predicate="bbmb:interestedParty"),
        Column("relation", "choice", True, choices=("direct", "indirect", "ultimate", "unknown"),
               predicate="bbmb:relationKind"),
        Column("interest", required=True, predicate="bbmb:interest"),
        Column("share", "decimal", predicate="schema:value"),
        Column("share_min", "decimal", predicate="schema:minValue"),
        Column("share_max", "decimal", predicate="schema:maxValue"),
        Column("beneficial", "choice", choices=("yes", "no"), predicate="bbmb:beneficialOwnership"),
        Column("start", "date", predicate="schema:startDate", datatype="xsd:date"),
        Column("end", "date", predicate="schema:endDate", datatype="xsd:date"),
        Column("status", "choice", choices=("active", "inactive"), predicate="bbmb:status"),
        Column("certainty", "choice", choices=CERTAINTY, predicate="bbmb:certainty"),
        Column("reason", predicate="bbmb:unspecifiedReason"), _src(),
        Column("note", predicate="rdfs:comment", lang="en"),
    ), "Who is or was a parent of whom as a register records it (GLEIF Level 2, BODS): the child, the "
       "interested party (an organisation, a person kg does not name, or unspecified with the register's reason), "
       "direct, indirect or ultimate, the interest (the register's code: accounting-consolidation, shareholding, "
       "votingRights, ...), its share in percent (exact or a range), its period and status. Written by kg import; "
       "organizations.csv's parent holds the one current direct parent the outputs use.", optional=True),
    Table("flags", "id", (
        Column("id", "id", True),
        Column("kind", "choice", True, choices=(
            "implausible", "contradiction", "differs", "rounding", "location-mismatch", "name-mismatch",
            "outdated", "ambiguous", "classification", "citation", "circular"), predicate="bbmb:flagKind"),
        Column("subjects", "ref", True, refs=("organizations", "sites", "statistics", "places", "comparisons"),
               multi=True),
        Column("description", required=True, predicate="rdfs:comment", lang="en"), _src(),
    ), "Data-quality flags: implausible or contradictory figures, misspelt names."),
)

TABLES: dict[str, Table] = {t.name: t for t in SCHEMA}


@dataclass
class Row:
    """One data row: its values by column, and where it came from."""

    table: str
    number: int  # spreadsheet row number; the header is row 1
    values: dict[str, str]
    file: str = ""

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    def many(self, column: str) -> list[str]:
        """The ';'-separated values of a multi-valued cell."""
        return [v.strip() for v in self.values.get(column, "").split(";") if v.strip()]

    def sources_of(self, column: str) -> list[str]:
        """The sources of ``column``'s value: those its companion column names, else the row's ``source``."""
        companion = TABLES[self.table].companions.get(column)
        return (self.many(companion) if companion else []) or self.many("source")

    def all_sources(self) -> list[str]:
        """The row's sources, then every other source a companion column names, each once."""
        out = self.many("source")
        for companion in dict.fromkeys(TABLES[self.table].companions.values()):
            out.extend(s for s in self.many(companion) if s not in out)
        return out

    @property
    def where(self) -> str:
        return f"{self.file}, row {self.number}"


@dataclass
class DataError:
    file: str
    row: int | None
    field: str | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        text = f"{where}: {self.message}"
        text = f"{text}. {self.hint}" if self.hint else text
        # one line, whatever a cell holds (a quoted cell may hold line breaks, a damaged file NULs)
        return text.replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0")


class DataErrors(Exception):
    """Raised with every problem found in the input; nothing is written when it is raised."""

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Tables:
    """All tables of a data folder, checked; ``rows[name]`` lists a table's rows."""

    folder: Path
    rows: dict[str, list[Row]] = field(default_factory=dict)
    _ids: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def keys(self, table: str) -> dict[str, Row]:
        key = TABLES[table].key
        assert key, f"table {table} has no key"
        return {r[key]: r for r in self.rows.get(table, [])}

    def ids(self, table: str) -> frozenset[str]:
        """The keys of a table, computed once (the tables do not change after reading)."""
        if table not in self._ids:
            self._ids[table] = frozenset(self.keys(table))
        return self._ids[table]

    def __getitem__(self, table: str) -> list[Row]:
        return self.rows.get(table, [])


def _decode(path: Path, raw: bytes, display: str) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" from a spreadsheet: UTF-16 with a BOM
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        looks = ""
        try:
            sample = raw.decode("cp1252")
            if any(ch in sample for ch in "äöüÄÖÜßéèà€"):
                looks = "; it looks like Windows-1252 (what German Excel saves as 'CSV')"
        except UnicodeDecodeError:
            pass
        raise DataErrors([DataError(
            display, line, None,
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}){looks}",
            "Save the file as 'CSV UTF-8' in your spreadsheet program.")]) from None


def _dialect(text: str) -> str:
    """The separator of a table: ',' or ';' (what German Excel writes as "CSV"), judged by the header."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


#: A cell over this many characters is refused (csv's own limit), with a message rather than a traceback.
FIELD_LIMIT = csv.field_size_limit()


#: Column kinds whose cells have no form to check here (references are checked once all tables are read).
_UNCHECKED = frozenset(("text", "ref"))


def _ascii_digits(v: str) -> bool:
    return v.isascii() and v.isdigit()


#: Quick acceptance of a whole single value by kind; anything it does not accept gets the full check
#: below (which gives the error message).  Each accepts only what the full check accepts.
_QUICK: dict[str, Callable[[str], object]] = {
    "id": SLUG.match, "code": CODE.match, "int": _ascii_digits,
    "year": lambda v: len(v) == 4 and _ascii_digits(v),
}


def _check_cell(table: Table, col: Column, value: str, row: int, display: str) -> list[DataError]:
    if not value or col.kind in _UNCHECKED or (col.kind == "choice" and value in col.choices):
        return []
    quick = _QUICK.get(col.kind)
    if quick is not None and (not col.multi or ";" not in value) and quick(value):
        return []
    errors: list[DataError] = []

    def bad(message: str, hint: str = "") -> None:
        errors.append(DataError(display, row, col.name, message, hint))

    values = [v.strip() for v in value.split(";")] if col.multi else [value]
    for v in values:
        if not v:
            continue
        if col.kind == "id" and not SLUG.match(v):
            bad(f"'{v}' is not a valid id", "Use lower-case letters, digits and hyphens, e.g. 'acme-berlin'.")
        elif col.kind == "code" and not CODE.match(v):
            bad(f"'{v}' is not a WZ 2008 code", "Write codes like '28', '28.2' or '28.22'.")
        elif col.kind == "int":
            if not re.fullmatch(r"-?\d+", v):
                bad(f"'{v}' is not a whole number", "Write digits only, without thousands separators, e.g. 1600.")
        elif col.kind in ("decimal", "lat", "long"):
            try:
                number = float(v)
                if not re.fullmatch(r"-?\d+(\.\d+)?", v):
                    raise ValueError
            except ValueError:
                bad(f"'{v}' is not a number", "Use a dot as decimal separator and no thousands separators, e.g. 52.52.")
                continue
            limit = 90 if col.kind == "lat" else 180
            if col.kind != "decimal" and not -limit <= number <= limit:
                bad(f"{v} is out of range for a {'latitude' if limit == 90 else 'longitude'}",
                    f"Give WGS84 decimal degrees between -{limit} and {limit}.")
        elif col.kind == "year" and not re.fullmatch(r"\d{4}", v):
            bad(f"'{v}' is not a year", "Write a four-digit year such as 1991.")
        elif col.kind == "period" and not re.fullmatch(r"\d{4}(-\d{2})?(/\d{4}(-\d{2})?)?", v):
            bad(f"'{v}' is not a period", "Write a year (2024), a month (2024-11) or an interval (2014/2024).")
        elif col.kind == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            bad(f"'{v}' is not a date", "Write the date as YYYY-MM-DD, e.g. 2024-06-30.")
        elif col.kind == "lei" and not LEI.fullmatch(v):
            bad(f"'{v}' is not an LEI",
                "An LEI has 20 characters: 18 upper-case letters or digits, then two check digits.")
        elif col.kind == "qid" and not re.fullmatch(r"Q\d+", v):
            bad(f"'{v}' is not a Wikidata id", "Write the item id such as Q297879.")
        elif col.kind == "url" and not re.match(r"https?://\S+$", v):
            bad(f"'{v}' is not a web address", "Write a full address starting with http:// or https://.")
        elif col.kind == "url" and (found := re.search(r'[<>"{}|\\^`\x00-\x20\x7f]', v)):
            char = found.group()
            bad(f"'{v}' is not a valid web address: it contains {char!r}",
                f"Write the character percent-encoded (e.g. %{ord(char):02X}), as a browser's address bar does.")
        elif col.kind == "choice" and v not in col.choices:
            close = difflib.get_close_matches(v, col.choices, n=1)
            bad(f"'{v}' is not allowed",
                (f"Did you mean '{close[0]}'? " if close else "") + "Allowed: " + ", ".join(col.choices) + ".")
    return errors


def read_table(folder: Path, table: Table) -> tuple[list[Row], list[DataError]]:
    """Read one table, checking its header and the form of every cell."""
    path = folder / table.file
    display = str(path)
    if not path.exists():
        if table.optional:
            return [], []
        return [], [DataError(display, None, None, "is missing",
                              f"Every data folder needs {table.file}; kg init DIR writes every table with its header.")]
    if not path.is_file():
        return [], [DataError(display, None, None, "is a folder, not a CSV file",
                              f"Rename or remove the folder and put the table {table.file} there.")]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [DataError(display, None, None, f"cannot be read: {exc.strerror or exc}",
                              "Check the file's permissions.")]
    text = _decode(path, raw, display)
    if not text.strip():
        return [], [DataError(display, None, None, "is empty",
                              "A table needs at least its header row: " + ",".join(
                                  c.name for c in table.columns if not c.source_of) + ".")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        return [], [_csv_error(display, 1, exc)]
    errors: list[DataError] = []
    known = {c.name for c in table.columns}
    for col in table.columns:
        if col.name not in header and not col.source_of and not col.optional:
            errors.append(DataError(display, 1, col.name, "column is missing",
                                    f"Add a column named '{col.name}' to the header row."))
    for name in header:
        if name not in known:
            errors.append(DataError(display, 1, name, "is not a column of this table",
                                    "Known columns: " + ", ".join(c.name for c in table.columns) + "."))
    if errors:
        return [], errors
    rows: list[Row] = []
    seen: dict[str, int] = {}
    # per column: (column, name, required?, has a form to check?) - worked out once, not per cell
    plan = [(c, c.name, c.required, c.kind not in _UNCHECKED) for c in table.columns]
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            errors.append(_csv_error(display, number, exc))
            break  # the reader cannot go on after a broken quote
        if cells is None:
            break
        if not "".join(cells).strip():
            continue
        nul = next((i for i, c in enumerate(cells) if "\x00" in c), None)
        if nul is not None:
            errors.append(DataError(display, number, header[nul] if nul < len(header) else None,
                                    "contains a NUL byte (character 0)",
                                    "Remove it; the file may have been saved as UTF-16 or be damaged."))
            continue
        if len(cells) != len(header):
            errors.append(DataError(display, number, None,
                                    f"has {len(cells)} cells, the header has {len(header)}",
                                    "Check for an unquoted comma or a missing cell."))
            continue
        values = {h: c.strip() for h, c in zip(header, cells)}
        for col, name, required, checked in plan:
            value = values.setdefault(name, "")  # a companion left out of the header is empty
            if not value:
                if required:
                    errors.append(DataError(display, number, name, "is empty", "This field is required."))
            elif checked:
                errors.extend(_check_cell(table, col, value, number, display))
        if table.key:
            key = values[table.key]
            if key in seen:
                errors.append(DataError(display, number, table.key, f"duplicate id '{key}'",
                                        f"It is already used in row {seen[key]}; ids must be unique."))
            else:
                seen[key] = number
        rows.append(Row(table.name, number, values, display))
    return rows, errors


def _csv_error(display: str, number: int, exc: csv.Error) -> DataError:
    """One clear message for what the csv module cannot read (a broken quote, a huge cell)."""
    text = str(exc)
    if "field larger than field limit" in text:
        return DataError(display, number, None, f"a cell is longer than {FIELD_LIMIT:,} characters",
                         "Shorten it; if it should not be that long, look for a quote (\") that is not closed.")
    if "unexpected end of data" in text or "EOF" in text:
        return DataError(display, number, None, "a quoted cell is not closed before the end of the file",
                         "A cell that starts with \" must end with \"; write \"\" for a quote inside it.")
    if "expected after" in text:
        return DataError(display, number, None, "a quote ends a cell too early (text follows the closing \")",
                         "Write \"\" for a quote inside a quoted cell, or quote the whole cell.")
    return DataError(display, number, None, f"cannot be read as CSV: {text}",
                     "Save the file from your spreadsheet program as 'CSV UTF-8'.")


#: What a key of each table is called in messages.
NOUNS = {"sources": "source", "places": "place", "subsectors": "subsector code", "organizations": "organisation",
         "sites": "site", "clusters": "cluster", "datasets": "dataset", "statistics": "statistic",
         "comparisons": "comparison", "parent_relations": "parent relation"}


def _check_references(tables: Tables) -> list[DataError]:
    errors = []
    keys = {t.name: set(tables.keys(t.name)) for t in SCHEMA if t.key}
    for table in SCHEMA:
        for col in table.columns:
            if col.kind != "ref":
                continue
            pool = set().union(*(keys[r] for r in col.refs))
            what = " or ".join(NOUNS[r] for r in col.refs)
            for row in tables[table.name]:
                for value in (row.many(col.name) if col.multi else [row[col.name]] if row[col.name] else []):
                    if value not in pool:
                        close = difflib.get_close_matches(value, pool, n=1)
                        errors.append(DataError(
                            row.file, row.number, col.name, f"unknown {what} '{value}'",
                            (f"Did you mean '{close[0]}'? " if close else "")
                            + f"Add it to {', '.join(r + '.csv' for r in col.refs)} first."))
    return errors


def _check_companions(tables: Tables) -> list[DataError]:
    """A companion source column names the source of a value that is there (and must where required)."""
    errors = []
    for table in SCHEMA:
        for col in table.columns:
            if not col.source_of:
                continue
            what = " / ".join(f"'{c}'" for c in col.source_of)
            for row in tables[table.name]:
                filled = any(row[c] for c in col.source_of)
                if row[col.name] and not filled:
                    errors.append(DataError(
                        row.file, row.number, col.name, f"names a source, but {what} is empty",
                        f"Fill {what}, or empty '{col.name}'."))
                elif col.source_required and filled and not row[col.name]:
                    errors.append(DataError(
                        row.file, row.number, col.name, "is empty",
                        f"Name the source of {what} (a source id of sources.csv)."))
    return errors


def _check_rules(tables: Tables) -> list[DataError]:
    """Rules that span several cells of a row."""
    errors = _check_companions(tables)
    for row in tables["organizations"]:
        if row["parent"] == row["id"]:
            errors.append(DataError(row.file, row.number, "parent", "an organisation cannot be its own parent"))
    for row in tables["headcounts"]:
        if not (row["value"] or row["min"] or row["max"]) and row["approx"] != "several-hundred":
            errors.append(DataError(row.file, row.number, "value", "is empty",
                                    "Give a value, or a min and/or max."))
    for row in tables["comparisons"]:
        if row["difference"] and not (row["unit"] and row["approx"]):
            errors.append(DataError(row.file, row.number, "unit" if not row["unit"] else "approx", "is empty",
                                    "A difference needs its unit (percentage-points or percent) and approx."))
        if row["relation"] == "rank" and not row["rank"]:
            errors.append(DataError(row.file, row.number, "rank", "is empty",
                                    "Say the rank as the source does, e.g. 3 or lower-third."))
    for row in tables["places"]:
        if bool(row["lat"]) != bool(row["long"]):
            errors.append(DataError(row.file, row.number, "lat" if not row["lat"] else "long", "is empty",
                                    "Give both latitude and longitude, or neither."))
    for row in tables["headcounts"]:
        for column in ("value", "min", "max"):
            if row[column].startswith("-"):
                errors.append(DataError(row.file, row.number, column, f"{row[column]} is negative",
                                        "A head-count is a number of people: 0 or more."))
        if row["min"] and row["max"] and not row["min"].startswith("-") and int(row["min"]) > int(row["max"]):
            errors.append(DataError(row.file, row.number, "min", f"{row['min']} is larger than max {row['max']}",
                                    "Swap them, or correct one."))
    errors.extend(_check_cycles(tables, "organizations", "parent", "parent"))
    errors.extend(_check_cycles(tables, "places", "within", "containing place"))
    errors.extend(_check_cycles(tables, "subsectors", "broader", "broader code"))
    errors.extend(_check_coordinates(tables))
    return errors


def _check_cycles(tables: Tables, table: str, column: str, what: str) -> list[DataError]:
    """A hierarchy (parent, within, broader) must not lead back to where it started; name each cycle once."""
    rows = tables.keys(table)
    multi = any(c.name == column and c.multi for c in TABLES[table].columns)
    links = {key: row.many(column) if multi else [row[column]] if row[column] else [] for key, row in rows.items()}
    errors, done, reported = [], set(), set()
    for start in rows:
        if start in done:
            continue
        # iterative depth-first search; ``path`` is the current chain of keys
        path, on_path, stack = [], {}, [(start, iter(links.get(start, [])))]
        path.append(start)
        on_path[start] = 0
        while stack:
            key, todo = stack[-1]
            nxt = next(todo, None)
            if nxt is None:
                stack.pop()
                path.pop()
                on_path.pop(key, None)
                done.add(key)
                continue
            if nxt not in rows or nxt in done:
                continue
            if nxt in on_path:
                cycle = path[on_path[nxt]:]
                signature = frozenset(cycle)
                if signature not in reported and not (len(cycle) == 1 and table == "organizations"):
                    reported.add(signature)
                    first = min(cycle, key=lambda k: rows[k].number)
                    at = cycle.index(first)
                    ordered = cycle[at:] + cycle[:at] + [first]
                    row = rows[first]
                    errors.append(DataError(
                        row.file, row.number, column,
                        f"the {what}s form a cycle: {' -> '.join(ordered)}" if len(cycle) > 1
                        else f"'{first}' is its own {what}",
                        f"Correct '{column}' in the rows of {', '.join(cycle)}; "
                        f"a chain of {what}s must end."))
                continue
            on_path[nxt] = len(path)
            path.append(nxt)
            stack.append((nxt, iter(links.get(nxt, []))))
    return errors


#: How far (degrees of latitude or longitude) a place may lie from the places it is compared with.
NEAR_DEGREES = 3.0


def _check_coordinates(tables: Tables) -> list[DataError]:
    """A place's coordinates must lie near its parent's, or near the other places of its Land.

    Catches latitude and longitude swapped (a place of Brandenburg at 13.4 N, 52.5 E) and
    coordinates of the wrong place; compared with a parent that has coordinates, else with the
    median of the other places with coordinates in the same Land (at least two).  Within a
    country (no Land) only a swap is reported, as a country may span far more than a few degrees.
    """
    places = tables.keys("places")
    point = {k: (float(r["lat"]), float(r["long"])) for k, r in places.items() if r["lat"] and r["long"]}

    def parents(key: str) -> list[str]:
        return [p for p in places[key].many("within") if p in places]

    def land(key: str) -> tuple[str, bool] | None:
        """The nearest ancestor (or the place) of type land; else of type country (flag False)."""
        seen, todo, country = set(), [key], None
        while todo:
            k = todo.pop(0)
            if k in seen:
                continue
            seen.add(k)
            types = places[k].many("type")
            if "land" in types and k != key:
                return k, True
            if "country" in types and country is None and k != key:
                country = k
            todo.extend(parents(k))
        return (country, False) if country else None

    members: dict[str, list[str]] = {}
    for key in point:
        found = land(key)
        if found:
            members.setdefault(found[0], []).append(key)

    def median(values: list[float]) -> float:
        values = sorted(values)
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    def far(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return abs(a[0] - b[0]) > NEAR_DEGREES or abs(a[1] - b[1]) > NEAR_DEGREES

    errors = []
    for key, here in point.items():
        row = places[key]
        found = land(key)
        reference, name, strict = None, "", True
        for parent in parents(key):
            if parent in point:
                reference, name = point[parent], f"its parent '{parent}'"
                break
        if reference is None and found:
            others = [point[k] for k in members.get(found[0], []) if k != key]
            if len(others) >= 2:
                reference = (median([p[0] for p in others]), median([p[1] for p in others]))
                name, strict = f"the other places of '{found[0]}'", found[1]
        if reference is None or not far(here, reference):
            continue
        swapped = (here[1], here[0])
        if not far(swapped, reference):
            errors.append(DataError(row.file, row.number, "lat",
                                    f"latitude {row['lat']} and longitude {row['long']} look swapped: "
                                    f"swapped, they lie near {name}",
                                    "Put the latitude (north-south, about 52 for Berlin) in 'lat' and the "
                                    "longitude (about 13 for Berlin) in 'long'."))
        elif strict:
            errors.append(DataError(row.file, row.number, "lat",
                                    f"{row['lat']}, {row['long']} lies more than {NEAR_DEGREES:g} degrees from "
                                    f"{name} (near {reference[0]:.2f}, {reference[1]:.2f})",
                                    "Check the coordinates (WGS84 decimal degrees) and the place's 'within'."))
    return errors


def check_base(base: str | None) -> None:
    """Raise :class:`DataErrors` with one clear line if ``base`` cannot start the data's IRIs."""
    if base is None:
        return
    problem = ""
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", base):
        problem = "it does not start with a scheme such as https:"
    else:
        bad = re.search(r'[<>"{}|\\^`\x00-\x20\x7f]', base)
        if bad:
            problem = f"it contains {bad.group()!r}"
    if problem:
        raise DataErrors([DataError("--base", None, None, f"'{base}' is not a valid IRI base: {problem}",
                                    "Give an address such as https://example.org/kg/ (percent-encode "
                                    "spaces and other special characters).")])


def read_tables(folder: str | Path, names: Iterable[str] | None = None) -> Tables:
    """Read and check every table of a data folder.

    Raises :class:`DataErrors` listing every problem, each with file, row and field.
    """
    folder = Path(folder)
    tables = Tables(folder)
    errors: list[DataError] = []
    for table in SCHEMA:
        if names is not None and table.name not in names:
            continue
        rows, table_errors = read_table(folder, table)
        tables.rows[table.name] = rows
        errors.extend(table_errors)
    if not errors:
        errors.extend(_check_references(tables))
        errors.extend(_check_rules(tables))
    if errors:
        raise DataErrors(errors)
    return tables
