"""Read and check the tables in ``data/``: CSV files (UTF-8, or Windows-1252 with a note; ',' or ';'-separated,
the latter with German numbers, see :func:`german_number`), or sheets of Excel workbooks (see :mod:`kg.sheets`).

The tables are what an analyst edits in a spreadsheet: one row a thing, a ``source`` column
naming where each fact comes from.  This module knows their columns and checks every cell;
every error names the file, the row (as a spreadsheet shows it, header = row 1) and the
field, and says what to do.  All errors of a run are collected and reported together.
"""
from __future__ import annotations

import csv
import datetime
import difflib
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .declaration import declaration
from .errors import InputError
from .model import notations
from .rules import period_bounds

if TYPE_CHECKING:  # kg.sheets reads tables' rows from workbooks: it imports this module
    from .sheets import Sheet, Workbooks

# re.ASCII throughout: \d is 0-9 only, so that full-width (１９９１) or other scripts' digits are refused
SLUG = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
CODE = re.compile(r"^(?:[A-U]|\d{2}(?:\.\d{1,2})?)$", re.ASCII)
INTEGER = re.compile(r"-?\d+", re.ASCII)
DECIMAL = re.compile(r"-?\d+(\.\d+)?", re.ASCII)
YEAR = re.compile(r"\d{4}", re.ASCII)
#: A period: a year (2024), a month (2024-11), a day (2024-11-30) or an interval of them (2014/2024).
PERIOD = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?(?:/\d{4}(?:-\d{2}(?:-\d{2})?)?)?", re.ASCII)
QID = re.compile(r"Q\d+", re.ASCII)
#: A calendar date as ISO 8601 writes it (2024-06-30).
DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
#: An ISO 17442 Legal Entity Identifier: 18 upper-case letters or digits, then two check digits.
LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}", re.ASCII)


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
    #: The column may be left out of a file's header (read as empty), as companions may: for a column added
    #: after data folders were written with the table, so that they still read.
    may_be_absent: bool = False
    #: For a choice column: the ontology's vocabulary (a SKOS concept scheme such as "Units", or a class
    #: whose subclasses have notations, "Cluster") whose notations are its choices, less ``exclude``
    #: (see :mod:`kg.model`); given ``choices`` must then be notations of it.  The build writes the concept.
    scheme: str = ""
    #: For a choice column whose values type the row's entity: (choice, class CURIE) for each choice.
    choice_classes: tuple[tuple[str, str], ...] = ()
    #: For a number column: the largest value it may hold (a bound beyond which a figure is a typo).
    maximum: int | None = None
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

    def __post_init__(self) -> None:
        if self.scheme:
            allowed = tuple(n for n in notations(self.scheme) if n not in self.exclude)
            if not self.choices:
                object.__setattr__(self, "choices", allowed)
            elif not set(self.choices) <= set(allowed):
                raise ValueError(f"column {self.name}: choices {set(self.choices) - set(allowed)} are not "
                                 f"notations of the ontology's {self.scheme}")


@dataclass(frozen=True)
class Period:
    """The columns of a table that give the period in which a fact holds (``periods`` in ``tables.toml``):
    ``start`` and ``end`` (either may be ""), and the cells the fact is (``of``; none: the whole row).
    :mod:`kg.asof` drops what does not hold on a date (by :func:`kg.rules.holds_on`)."""

    start: str = ""
    end: str = ""
    of: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One table of a data folder, as ``kg/tables.toml`` declares it."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    #: What a key is called in messages ("organisation").
    noun: str = ""
    #: The kind of its rows' IRIs (``{base}{iri}/{key}``, see :meth:`kg.namespaces.IRIs.of`); "" for none.
    iri: str = ""
    #: CURIEs of the classes of the entity a row makes.
    classes: tuple[str, ...] = ()
    #: A data folder may lack it (read as empty, with a note).
    optional: bool = False
    description: str = ""
    #: The rows ``kg init`` writes, by column name (the columns not named are empty).
    examples: tuple[dict[str, str], ...] = ()
    #: The periods in which its facts hold (see :class:`Period`).
    periods: tuple[Period, ...] = ()

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @cached_property
    def companions(self) -> dict[str, str]:
        """value column -> the companion column that names its own source (see :func:`sourced`)."""
        return {value: c.name for c in self.columns for value in c.source_of}


def _column(spec: dict[str, Any], choices: dict[str, list[str]], classes: dict[str, dict[str, str]]) -> Column:
    """A :class:`Column` from its declaration (a column of a table of ``tables.toml``)."""
    spec = dict(spec)
    if "source_of" in spec:  # a companion column: a list of source ids
        spec.setdefault("kind", "sources")
    if spec.get("kind") == "sources":
        spec.update(kind="ref", refs=("sources",), multi=True)
    if isinstance(spec.get("choices"), str):
        spec["choices"] = choices[spec["choices"]]
    if "choice_classes" in spec:
        mapping = classes[spec["choice_classes"]]
        spec.update(choices=tuple(mapping), choice_classes=tuple(mapping.items()))
    for name in ("refs", "choices", "source_of", "exclude"):
        if name in spec:
            spec[name] = tuple(spec[name])
    if isinstance(spec.get("predicate"), list):
        spec["predicate"] = tuple(spec["predicate"])
    try:
        return Column(**spec)
    except TypeError as exc:  # a misspelt attribute in the declaration
        raise ValueError(f"tables.toml, column {spec.get('name')!r}: {exc}") from None


def _table(spec: dict[str, Any], choices: dict[str, list[str]], classes: dict[str, dict[str, str]]) -> Table:
    """A :class:`Table` from its declaration (a ``[[table]]`` of ``tables.toml``)."""
    spec = dict(spec)
    spec["columns"] = tuple(_column(c, choices, classes) for c in spec.get("columns", ()))
    spec["classes"] = tuple(spec.get("classes", ()))
    spec["examples"] = tuple({k: str(v) for k, v in row.items()} for row in spec.pop("example", ()))
    spec["periods"] = tuple(Period(p.get("start", ""), p.get("end", ""), tuple(p.get("of", ())))
                            for p in spec.get("periods", ()))
    try:
        return Table(**spec)
    except TypeError as exc:
        raise ValueError(f"tables.toml, table {spec.get('name')!r}: {exc}") from None


def _schema() -> tuple[Table, ...]:
    spec = declaration()
    return tuple(_table(t, spec.get("choices", {}), spec.get("choice-classes", {})) for t in spec["table"])


#: The tables, in the order they are read, as ``kg/tables.toml`` declares them (see there).  A column that
#: declares a ``predicate`` is written by the build from this declaration alone
#: (:meth:`kg.build._Writer.columns`); the rest (sites, control relations, geometries, head-counts'
#: subjects...) by the table's function in kg/build.py.
SCHEMA: tuple[Table, ...] = _schema()

TABLES: dict[str, Table] = {t.name: t for t in SCHEMA}


def markdown(width: int = 115) -> str:
    """The tables as the README lists them (under *Adding a firm*): file, whether a folder needs it, key and
    IRI, what it holds, its columns (required ones in bold).  tests/test_tables.py checks the README against it.

        >>> print(markdown().splitlines()[0][:56])
        - `sources.csv` (required; key `id`, IRI `source/<id>`):
    """
    import textwrap

    lines = []
    for t in SCHEMA:
        where = f"; key `{t.key}`" + (f", IRI `{t.iri}/<{t.key}>`" if t.iri else "") if t.key else ""
        columns = ", ".join(f"**`{c.name}`**" if c.required else f"`{c.name}`" for c in t.columns)
        text = f"`{t.file}` ({'optional' if t.optional else 'required'}{where}): {t.description} Columns: {columns}."
        lines.extend(textwrap.wrap(text, width, initial_indent="- ", subsequent_indent="  ", break_long_words=False,
                                   break_on_hyphens=False))
    return "\n".join(lines) + "\n"



@dataclass
class Row:
    """One data row: its values by column, and where it came from."""

    table: str
    number: int  # spreadsheet row number; the header is row 1
    values: dict[str, str]
    file: str = ""
    #: For a row of a sheet: each column's letter as the spreadsheet shows it (name -> "C"); empty for CSV.
    letters: dict[str, str] = field(default_factory=dict, repr=False)

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")

    def many(self, column: str) -> list[str]:
        """The ';'-separated values of a multi-valued cell."""
        return [v.strip() for v in self.values.get(column, "").split(";") if v.strip()]

    def sources_of(self, column: str, default: list[str] | None = None) -> list[str]:
        """The sources of ``column``'s value: those its companion column names; where it has none, or its
        companion cell is empty, the row's ``source`` (``default`` where a row's own source is not in that
        column: the sources table's rows are the build's "meta").

        The one reading of a companion column: the build files each cell in these sources' graphs, the
        derived facts take them as the value's sources, and the views read them from the graphs.

        >>> row = Row("organizations", 2, {"legal_name": "Acme GmbH", "legal_name_source": "", "source": "study"})
        >>> row.sources_of("legal_name"), row.sources_of("founded", ["meta"])
        (['study'], ['meta'])
        >>> row.values["legal_name_source"] = "register; web"
        >>> row.sources_of("legal_name")
        ['register', 'web']
        """
        companion = TABLES[self.table].companions.get(column)
        return (self.many(companion) if companion else []) or (self.many("source") if default is None else default)

    def all_sources(self) -> list[str]:
        """The row's sources, then every other source a companion column names, each once."""
        out = self.many("source")
        for companion in dict.fromkeys(TABLES[self.table].companions.values()):
            out.extend(s for s in self.many(companion) if s not in out)
        return out

    @property
    def where(self) -> str:
        return f"{self.file}, row {self.number}"

    def error(self, column: str, message: str, hint: str = "") -> DataError:
        """A problem of this row's cell of ``column`` (named with its letter in a sheet)."""
        return DataError(self.file, self.number, column, message, hint, self.letters.get(column, ""))


@dataclass
class DataError:
    file: str
    row: int | None
    field: str | None
    message: str
    hint: str = ""
    #: The field's column letter in a sheet of a workbook ("C"): then named as the sheet shows it,
    #: ``column headquarters (C)``.
    letter: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", column {self.field} ({self.letter})" if self.letter else f", field '{self.field}'"
        text = f"{where}: {self.message}"
        text = f"{text}. {self.hint}" if self.hint else text
        # one line, whatever a cell holds (a quoted cell may hold line breaks, a damaged file NULs)
        return text.replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0")


class DataErrors(InputError):
    """Raised with every problem found in the input; nothing is written when it is raised."""

    def __init__(self, errors: list[DataError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]

    def footer(self) -> str:
        return f"{len(self.errors)} error(s); nothing was written."


@dataclass
class Tables:
    """All tables of a data folder, checked; ``rows[name]`` lists a table's rows."""

    folder: Path
    rows: dict[str, list[Row]] = field(default_factory=dict)
    #: How a table was read when not from a UTF-8 CSV file with decimal dots (a sheet of a workbook,
    #: Windows-1252, decimal commas), as the note said it: for what writes tables back (kg import).
    readings: dict[str, str] = field(default_factory=dict)
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

    @property
    def row_count(self) -> int:
        """The rows of every table."""
        return sum(len(rows) for rows in self.rows.values())


def _decode(raw: bytes, display: str, note: Callable[[str], None]) -> str | DataError:
    """A table file's text: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1252 (what German Excel
    saves as "CSV"), read with a note; what none of them reads is refused."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode text" from a spreadsheet: UTF-16 with a BOM
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
    line = raw[:bad].count(b"\n") + 1
    # A BOM, or UTF-8's "ä" (c3 a4) next to the bad byte, says UTF-8 was meant: read as Windows-1252, its
    # UTF-8 characters would become "Ã¤" without a word.
    mixed = raw.startswith(b"\xef\xbb\xbf") or re.search(rb"\xc3[\x80-\xbf]", raw) is not None
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        mixed = True
    if mixed:
        return DataError(display, line, None,
                         f"is not UTF-8 text (byte 0x{raw[bad]:02x} at line {line}), nor Windows-1252 text",
                         "Save the file as 'CSV UTF-8' in your spreadsheet program.")
    note(f"{display}: read as Windows-1252; save as UTF-8 to silence this")
    return text


def _dialect(text: str) -> str:
    """The separator of a table: ',' or ';' (what German Excel writes as "CSV"), judged by the header."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


#: A number as German Excel writes it: a decimal comma, and dots between groups of three digits (optional).
GERMAN_NUMBER = re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(,\d+)?", re.ASCII)


def german_number(text: str, whole: bool = False) -> str | None:
    """``text``, a number as German Excel writes it (decimal comma, thousands dots), as kg reads numbers
    (decimal dot, no thousands separator); None if it is not written so, or (``whole``) has a fraction.

        >>> german_number("51,3397")
        '51.3397'
        >>> german_number("1.234,5")
        '1234.5'
        >>> german_number("1.200", whole=True), german_number("-1.234.567", whole=True), german_number("1200")
        ('1200', '-1234567', '1200')
        >>> print(german_number("52.5200"), german_number("1.20"), german_number("1,5", whole=True))
        None None None
    """
    match = GERMAN_NUMBER.fullmatch(text)
    if match is None or (whole and match.group(1) is not None):
        return None
    return text.replace(".", "").replace(",", ".")


#: Column kinds whose numbers may have a fraction.
_FRACTIONAL = frozenset(("decimal", "lat", "long"))
#: A number whose dots may all be thousands dots (1.234, 12.345.678).
_THOUSANDS = re.compile(r"-?\d{1,3}(?:\.\d{3})+", re.ASCII)


@dataclass
class _GermanNumbers:
    """How the numbers of a ';'-separated file are read: as German Excel writes them (:func:`german_number`).

    A number with a dot that cannot be a thousands dot (52.5200) is read with a decimal dot; in a file with
    such a number (``dot_decimals``), a number whose dot can be either (1.234) is ambiguous and refused.
    ``used`` once a cell was read with a decimal comma or a thousands dot.
    """

    dot_decimals: bool
    used: bool = False

    def __call__(self, col: Column, value: str) -> tuple[str, _Problem | None]:
        fractional = col.kind in _FRACTIONAL
        if col.multi or not (fractional or col.kind == "int"):
            return value, None
        if fractional and self.dot_decimals and _THOUSANDS.fullmatch(value):
            return value, (f"'{value}' could be {value.replace('.', '')} (a thousands dot) or a fraction (a decimal "
                           "dot, as other numbers of this file are written)",
                           f"Write it without the dot ({value.replace('.', '')}), or as a fraction with a decimal "
                           f"comma ({value.replace('.', ',')}).")
        number = german_number(value, whole=not fractional)
        if number is None or number == value:
            return value, None
        self.used = True
        return number, None

    @staticmethod
    def of(table: Table, header: list[str], records: list[tuple[int, list[str]]]) -> _GermanNumbers:
        """The reading of a ';'-separated file's ``records``: does a fraction column hold a dot-decimal number?"""
        kinds = {c.name: c.kind for c in table.columns}
        at = [i for i, name in enumerate(header) if kinds.get(name) in _FRACTIONAL]
        return _GermanNumbers(any(
            "." in cells[i] and DECIMAL.fullmatch(cells[i].strip()) and not _THOUSANDS.fullmatch(cells[i].strip())
            for _, cells in records for i in at if i < len(cells)))


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


def _foreign_digits(value: str) -> str:
    """The digits of ``value`` that are not 0-9 (full-width, Arabic-Indic ...), each once."""
    return "".join(dict.fromkeys(ch for ch in value if ch.isdigit() and not ch.isascii()))


def _is_date(value: str) -> bool:
    """Whether ``value`` is a date of the calendar written YYYY-MM-DD (2024-02-30 is not)."""
    if not DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _period_problem(value: str) -> str:
    """What is wrong with a period, or ""."""
    if PERIOD.fullmatch(value) is None:
        return "it has the wrong form"
    for part in value.split("/"):
        month = part[5:7]
        if month and not 1 <= int(month) <= 12:
            return f"there is no month {month}"
        if len(part) == 10 and not _is_date(part):
            return f"there is no day {part}"
    if "/" in value and period_bounds(value.partition("/")[2])[1] < period_bounds(value)[0]:
        return "it ends before it starts"
    return ""


#: A problem of one value: (message, hint).
_Problem = tuple[str, str]
#: What checks one value of a cell of a kind: the problem, or None.
_Checker = Callable[[Column, str], _Problem | None]


def _too_large(value: str, col: Column) -> _Problem:
    return (f"{value} is larger than {col.maximum:,}, the most this field allows",
            "Check the figure: a typo, or a number in the wrong unit?")


def _check_id(col: Column, v: str) -> _Problem | None:
    if SLUG.match(v):
        return None
    return f"'{v}' is not a valid id", "Use lower-case letters, digits and hyphens, e.g. 'acme-berlin'."


def _check_code(col: Column, v: str) -> _Problem | None:
    return None if CODE.match(v) else (f"'{v}' is not a WZ 2008 code", "Write codes like '28', '28.2' or '28.22'.")


def _check_int(col: Column, v: str) -> _Problem | None:
    if not INTEGER.fullmatch(v):
        if re.fullmatch(r"-?\d{1,3}(?:[.,]\d{3})+", v, re.ASCII):
            return (f"'{v}' is not a whole number: a dot or comma may be a thousands separator or a decimal one",
                    f"Write it without thousands separators ({re.sub('[.,]', '', v)} if that is what it means); "
                    "only a ';'-separated file (German Excel's CSV) is read with thousands dots.")
        return f"'{v}' is not a whole number", "Write digits only, without thousands separators, e.g. 1600."
    if col.maximum is not None and int(v) > col.maximum:
        return _too_large(v, col)
    return None


def _check_decimal(col: Column, v: str) -> _Problem | None:
    """A decimal, a latitude (-90 to 90) or a longitude (-180 to 180)."""
    if not DECIMAL.fullmatch(v):
        return f"'{v}' is not a number", ("Use a dot as decimal separator and no thousands separators, e.g. 52.52"
                                          + (" (only a ';'-separated file, German Excel's CSV, is read with decimal "
                                             "commas)." if "," in v else "."))
    number = float(v)
    limit = 90 if col.kind == "lat" else 180
    if col.kind != "decimal" and not -limit <= number <= limit:
        return (f"{v} is out of range for a {'latitude' if limit == 90 else 'longitude'}",
                f"Give WGS84 decimal degrees between -{limit} and {limit}.")
    if col.maximum is not None and number > col.maximum:
        return _too_large(v, col)
    return None


def _check_year(col: Column, v: str) -> _Problem | None:
    return None if YEAR.fullmatch(v) else (f"'{v}' is not a year", "Write a four-digit year such as 1991.")


def _check_period(col: Column, v: str) -> _Problem | None:
    problem = _period_problem(v)
    if not problem:
        return None
    return (f"'{v}' is not a period: {problem}",
            "Write a year (2024), a month (2024-11, months 01 to 12), a day (2024-11-30) or an interval "
            "(2014/2024).")


def _check_date(col: Column, v: str) -> _Problem | None:
    return None if _is_date(v) else (f"'{v}' is not a date", "Write the date as YYYY-MM-DD, e.g. 2024-06-30.")


def _check_lei(col: Column, v: str) -> _Problem | None:
    if LEI.fullmatch(v):
        return None
    return f"'{v}' is not an LEI", "An LEI has 20 characters: 18 upper-case letters or digits, then two check digits."


def _check_qid(col: Column, v: str) -> _Problem | None:
    return None if QID.fullmatch(v) else (f"'{v}' is not a Wikidata id", "Write the item id such as Q297879.")


def _check_url(col: Column, v: str) -> _Problem | None:
    if not re.match(r"https?://\S+$", v):
        return f"'{v}' is not a web address", "Write a full address starting with http:// or https://."
    found = re.search(r'[<>"{}|\\^`\x00-\x20\x7f]', v)
    if found is None:
        return None
    char = found.group()
    return (f"'{v}' is not a valid web address: it contains {char!r}",
            f"Write the character percent-encoded (e.g. %{ord(char):02X}), as a browser's address bar does.")


def _check_choice(col: Column, v: str) -> _Problem | None:
    if v in col.choices:
        return None
    close = difflib.get_close_matches(v, col.choices, n=1)
    return (f"'{v}' is not allowed",
            (f"Did you mean '{close[0]}'? " if close else "") + "Allowed: " + ", ".join(col.choices) + ".")


def _digits_0_to_9(check: _Checker) -> _Checker:
    """``check`` for a numeric kind, after refusing digits other than 0-9 (which no numeric form accepts)."""

    def checked(col: Column, v: str) -> _Problem | None:
        foreign = _foreign_digits(v)
        if foreign:
            return (f"'{v}' contains digits other than 0-9 ({foreign})",
                    "Type the number with the digits 0-9 (a spreadsheet's full-width or other scripts' digits are "
                    "not read as numbers).")
        return check(col, v)

    return checked


#: The check of one value, by column kind (kinds not named here have no form to check).
_CHECKS: dict[str, _Checker] = {
    "id": _check_id, "code": _check_code,
    "int": _digits_0_to_9(_check_int), "year": _digits_0_to_9(_check_year),
    "period": _digits_0_to_9(_check_period), "date": _digits_0_to_9(_check_date),
    "decimal": _digits_0_to_9(_check_decimal), "lat": _digits_0_to_9(_check_decimal),
    "long": _digits_0_to_9(_check_decimal),
    "lei": _check_lei, "qid": _check_qid, "url": _check_url, "choice": _check_choice,
}


def _check_cell(table: Table, col: Column, value: str, row: int, display: str, letter: str = "") -> list[DataError]:
    if not value or col.kind in _UNCHECKED or (col.kind == "choice" and value in col.choices):
        return []
    quick = _QUICK.get(col.kind)
    if quick is not None and (not col.multi or ";" not in value) and col.maximum is None and quick(value):
        return []
    check = _CHECKS.get(col.kind)
    if check is None:
        return []
    values = [v.strip() for v in value.split(";")] if col.multi else [value]
    problems = (check(col, v) for v in values if v)
    return [DataError(display, row, col.name, *problem, letter) for problem in problems if problem is not None]


def _note_on_stderr(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def read_table(folder: Path, table: Table, note: Callable[[str], None] = _note_on_stderr) -> tuple[list[Row],
                                                                                                  list[DataError]]:
    """Read one table of ``folder`` (its CSV file, or its sheet of a workbook), checking its header and the form
    of every cell; ``note`` is told how a file was read when not as plain UTF-8 CSV (see :func:`read_tables`)."""
    from .sheets import Workbooks

    with Workbooks(folder) as books:
        read = _read_located(folder, table, books, note)
    return read if read is not None else ([], [_missing(folder, table, books)])


def _read_located(folder: Path, table: Table, books: Workbooks,
                  note: Callable[[str], None]) -> tuple[list[Row], list[DataError]] | None:
    """Read a table from where it is (its CSV file, or a workbook's sheet); None if it is nowhere."""
    path = folder / table.file
    places = ([str(path)] if path.exists() or path.is_symlink() else []) + [
        s.display for s in books.sheets.get(table.name, [])]
    if len(places) > 1:
        return [], [DataError(places[0], None, None,
                              f"holds the table {table.name}, and so does {' and '.join(places[1:])}",
                              "Keep each table in one place: remove the others, or rename their sheets "
                              "(kg does not pick one).")]
    if books.sheets.get(table.name):
        return _read_sheet(books, books.sheets[table.name][0], table)
    return _read_csv(path, table, note) if places else None


#: Spreadsheet files kg does not read (a message names them when a table is missing).
_OTHER_SPREADSHEETS = frozenset((".xls", ".xlsm", ".xlsb", ".ods", ".numbers"))


def _missing(folder: Path, table: Table, books: Workbooks) -> DataError:
    """The error of a required table found nowhere, saying what the folder has instead."""
    stems = {p.name: p.stem.lower() for p in folder.iterdir() if p.suffix.lower() != ".xlsx"}
    near = [name for name, stem in stems.items()
            if name != table.file and difflib.get_close_matches(table.name, [stem], cutoff=0.8)]
    found = books.described() + [
        f"{name} (not read: " + ("save it as a workbook (.xlsx) or as 'CSV UTF-8')"
                                 if Path(name).suffix.lower() in _OTHER_SPREADSHEETS
                                 else f"a table's file is named {table.file})") for name in near]
    return DataError(str(folder / table.file), None, None,
                     "is missing" + (f"; the folder has {'; '.join(found)}" if found else ""),
                     f"Every data folder needs {table.file}, or a sheet named {table.name} in an Excel workbook "
                     f"(.xlsx) of the folder; kg init DIR writes every table with its header.")


def _read_csv(path: Path, table: Table, note: Callable[[str], None]) -> tuple[list[Row], list[DataError]]:
    """Read a table's CSV file (',' or ';'-separated, the latter with German numbers: see :func:`german_number`)."""
    display = str(path)
    text = _read_text(path, table, display, note)
    if isinstance(text, DataError):
        return [], [text]
    separator = _dialect(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        return [], [_csv_error(display, 1, exc)]
    errors = _check_header(table, header, display)
    if errors:
        return [], errors
    broken: list[DataError] = []  # a quote the reader cannot get past ends the table
    records: Iterable[tuple[int, list[str]]] = _csv_records(reader, display, broken)
    numbers = None
    if separator == ";":  # a comma cannot separate cells: it may be a decimal comma
        records = list(records)
        numbers = _GermanNumbers.of(table, header, records)
    rows, errors = _read_rows(table, records, header, display, numbers=numbers)
    if numbers is not None and numbers.used:
        note(f"{display}: ';'-separated, read with decimal commas and thousands dots")
    return rows, errors + broken


def _read_sheet(books: Workbooks, sheet: Sheet, table: Table) -> tuple[list[Row], list[DataError]]:
    """Read a table from a workbook's sheet: its cells as CSV's (:meth:`kg.sheets.Workbooks.read`), checked alike."""
    read = books.read(sheet, table)
    if isinstance(read, DataError):
        return [], [read]
    errors = _check_header(table, read.header, sheet.display)
    if errors:
        return [], errors
    rows, errors = _read_rows(table, read.records, read.header, sheet.display, letters=read.letters)
    return rows, sorted(read.errors + errors, key=lambda e: e.row or 0)


def _csv_records(reader: Iterator[list[str]], display: str, broken: list[DataError]) -> Iterator[tuple[int,
                                                                                                    list[str]]]:
    """The CSV rows after the header with their spreadsheet numbers; a row the reader cannot read ends them, its
    error appended to ``broken``."""
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            broken.append(_csv_error(display, number, exc))
            return  # the reader cannot go on after a broken quote
        if cells is None:
            return
        yield number, cells


def _read_text(path: Path, table: Table, display: str, note: Callable[[str], None]) -> str | DataError:
    """The text of a table's file, or why there is none to read."""
    if not path.exists():
        return DataError(display, None, None, "is missing",
                         f"Every data folder needs {table.file}; kg init DIR writes every table with its header.")
    if not path.is_file():
        return DataError(display, None, None, "is a folder, not a CSV file",
                         f"Rename or remove the folder and put the table {table.file} there.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return DataError(display, None, None, f"cannot be read: {exc.strerror or exc}", "Check the file's permissions.")
    text = _decode(raw, display, note)
    if isinstance(text, str) and not text.strip():
        return DataError(display, None, None, "is empty",
                         "A table needs at least its header row: " + ",".join(
                             c.name for c in table.columns if not c.source_of) + ".")
    return text


def _check_header(table: Table, header: list[str], display: str) -> list[DataError]:
    """The problems of a header row: a name twice, a column missing, a column the table does not know."""
    errors: list[DataError] = []
    first_at: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in first_at:
            errors.append(DataError(display, 1, name, f"is the header of two columns: {_column_label(first_at[name])} "
                                    f"and {_column_label(position)}",
                                    "Each column needs its own name: rename or remove one of them."))
        else:
            first_at[name] = position
    for col in table.columns:
        if col.name not in header and not col.source_of and not col.may_be_absent:
            errors.append(DataError(display, 1, col.name, "column is missing",
                                    f"Add a column named '{col.name}' to the header row."))
    known = {c.name for c in table.columns}
    for name in dict.fromkeys(header):
        if name not in known:
            errors.append(DataError(display, 1, name, "is not a column of this table",
                                    "Known columns: " + ", ".join(c.name for c in table.columns) + "."))
    return errors


def _row_problem(cells: list[str], header: list[str], number: int, display: str) -> DataError | None:
    """What keeps a row from being read cell by cell: a NUL byte, or a count of cells not the header's."""
    nul = next((i for i, c in enumerate(cells) if "\x00" in c), None)
    if nul is not None:
        return DataError(display, number, header[nul] if nul < len(header) else None,
                         "contains a NUL byte (character 0)",
                         "Remove it; the file may have been saved as UTF-16 or be damaged.")
    if len(cells) != len(header):
        return DataError(display, number, None, f"has {len(cells)} cells, the header has {len(header)}",
                         "Check for an unquoted comma or a missing cell.")
    return None


def _read_rows(table: Table, records: Iterable[tuple[int, list[str]]], header: list[str], display: str,
               letters: dict[str, str] | None = None,
               numbers: _GermanNumbers | None = None) -> tuple[list[Row], list[DataError]]:
    """The data rows after a checked header, and the problems of their cells (blank rows are skipped).

    ``records`` are the rows' cells with their spreadsheet numbers, from a CSV file or a sheet; ``letters``
    the columns' letters in a sheet; ``numbers`` how a number is read (see :class:`_GermanNumbers`).
    """
    rows: list[Row] = []
    errors: list[DataError] = []
    seen: dict[str, int] = {}
    letters = letters or {}
    # per column: (column, name, required?, has a form to check?) - worked out once, not per cell
    plan = [(c, c.name, c.required, c.kind not in _UNCHECKED) for c in table.columns]
    for number, cells in records:
        if not "".join(cells).strip():
            continue
        problem = _row_problem(cells, header, number, display)
        if problem is not None:
            errors.append(problem)
            continue
        values = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        for col, name, required, checked in plan:
            value = values.setdefault(name, "")  # a companion left out of the header is empty
            if not value:
                if required:
                    errors.append(DataError(display, number, name, "is empty", "This field is required.",
                                            letters.get(name, "")))
            elif checked and numbers is not None:
                values[name], problems = _read_value(table, col, value, number, display, letters, numbers)
                errors.extend(problems)
            elif checked:
                errors.extend(_check_cell(table, col, value, number, display, letters.get(name, "")))
        if table.key:
            key = values[table.key]
            if key in seen:
                errors.append(DataError(display, number, table.key, f"duplicate id '{key}'",
                                        f"It is already used in row {seen[key]}; ids must be unique.",
                                        letters.get(table.key, "")))
            else:
                seen[key] = number
        rows.append(Row(table.name, number, values, display, letters))
    return rows, errors


def _read_value(table: Table, col: Column, written: str, number: int, display: str, letters: dict[str, str],
                numbers: _GermanNumbers) -> tuple[str, list[DataError]]:
    """A cell's value as read (a German number in the form kg reads) and the problems of its form."""
    value, ambiguous = numbers(col, written)
    if ambiguous is not None:
        return value, [DataError(display, number, col.name, *ambiguous, letters.get(col.name, ""))]
    errors = _check_cell(table, col, value, number, display, letters.get(col.name, ""))
    if value != written:
        for error in errors:
            error.message += f" (the cell holds '{written}', read with a decimal comma and thousands dots)"
    return value, errors


def _column_label(position: int) -> str:
    """A column's position as a spreadsheet shows it: ``3 (C)``, ``28 (AB)``."""
    letters, n = "", position
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{position} ({letters})"


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


def _check_references(tables: Tables) -> list[DataError]:
    errors = []
    keys = {t.name: set(tables.keys(t.name)) for t in SCHEMA if t.key}
    for table in SCHEMA:
        for col in table.columns:
            if col.kind != "ref":
                continue
            pool = set().union(*(keys[r] for r in col.refs))
            what = " or ".join(TABLES[r].noun for r in col.refs)
            for row in tables[table.name]:
                for value in (row.many(col.name) if col.multi else [row[col.name]] if row[col.name] else []):
                    if value not in pool:
                        close = difflib.get_close_matches(value, pool, n=1)
                        errors.append(row.error(
                            col.name, f"unknown {what} '{value}'",
                            (f"Did you mean '{close[0]}'? " if close else "")
                            + f"Add it to {', '.join(r + '.csv' for r in col.refs)} first."))
    return errors


def _check_companions(tables: Tables) -> list[DataError]:
    """A companion source column names the source of a value that is there (left empty: the row's source)."""
    errors = []
    for table in SCHEMA:
        for col in table.columns:
            if not col.source_of:
                continue
            what = " / ".join(f"'{c}'" for c in col.source_of)
            for row in tables[table.name]:
                filled = any(row[c] for c in col.source_of)
                if row[col.name] and not filled:
                    errors.append(row.error(
                        col.name, f"names a source, but {what} is empty",
                        f"Fill {what}, or empty '{col.name}'."))
    return errors


def _check_rules(tables: Tables) -> list[DataError]:
    """Rules that span several cells of a row."""
    errors = _check_companions(tables)
    for row in tables["organizations"]:
        if row["parent"] == row["id"]:
            errors.append(row.error("parent", "an organisation cannot be its own parent"))
    for row in tables["headcounts"]:
        if not (row["value"] or row["min"] or row["max"]) and row["approx"] != "several-hundred":
            errors.append(row.error("value", "is empty",
                                    "Give a value, or a min and/or max."))
    errors.extend(_check_comparisons(tables))
    for row in tables["places"]:
        if bool(row["lat"]) != bool(row["long"]):
            errors.append(row.error("lat" if not row["lat"] else "long", "is empty",
                                    "Give both latitude and longitude, or neither."))
    errors.extend(_check_headcount_figures(tables))
    errors.extend(_check_periods(tables))
    errors.extend(_check_cycles(tables, "organizations", "parent", "parent"))
    errors.extend(_check_cycles(tables, "places", "within", "containing place"))
    errors.extend(_check_cycles(tables, "subsectors", "broader", "broader code"))
    errors.extend(_check_coordinates(tables))
    return errors


def _check_comparisons(tables: Tables) -> list[DataError]:
    """A comparison's difference needs its unit and approx; a rank relation, its rank."""
    errors = []
    for row in tables["comparisons"]:
        if row["difference"] and not (row["unit"] and row["approx"]):
            errors.append(row.error("unit" if not row["unit"] else "approx", "is empty",
                                    "A difference needs its unit (percentage-points or percent) and approx."))
        if row["relation"] == "rank" and not row["rank"]:
            errors.append(row.error("rank", "is empty",
                                    "Say the rank as the source does, e.g. 3 or lower-third."))
    return errors


def _check_headcount_figures(tables: Tables) -> list[DataError]:
    """A head-count's value, min and max are 0 or more, and min is not larger than max."""
    errors = []
    for row in tables["headcounts"]:
        for column in ("value", "min", "max"):
            if row[column].startswith("-"):
                errors.append(row.error(column, f"{row[column]} is negative",
                                        "A head-count is a number of people: 0 or more."))
        if row["min"] and row["max"] and not row["min"].startswith("-") and int(row["min"]) > int(row["max"]):
            errors.append(row.error("min", f"{row['min']} is larger than max {row['max']}",
                                    "Swap them, or correct one."))
    return errors


def _check_periods(tables: Tables) -> list[DataError]:
    """A fact's period (``periods`` of a table) does not end before it starts; it is the period of cells that
    are filled."""
    errors = []
    for table in SCHEMA:
        for period in table.periods:
            for row in tables[table.name]:
                start, end = row[period.start], row[period.end]
                if start and end and not (_period_problem(start) or _period_problem(end)) \
                        and period_bounds(end)[1] < period_bounds(start)[0]:
                    errors.append(row.error(period.end, f"{end} is before {period.start} {start}",
                                            "Swap them, or correct one."))
                if period.of and (start or end) and not row[period.of[0]]:
                    errors.append(row.error(period.start if start else period.end,
                                            f"gives a period of {period.of[0]}, which is empty",
                                            f"Fill {period.of[0]}, or empty this cell."))
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
                    errors.append(row.error(
                        column,
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
            errors.append(row.error("lat",
                                    f"latitude {row['lat']} and longitude {row['long']} look swapped: "
                                    f"swapped, they lie near {name}",
                                    "Put the latitude (north-south, about 52 for Berlin) in 'lat' and the "
                                    "longitude (about 13 for Berlin) in 'long'."))
        elif strict:
            errors.append(row.error("lat",
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


def read_tables(folder: str | Path, names: Iterable[str] | None = None,
                note: Callable[[str], None] = _note_on_stderr) -> Tables:
    """Read and check every table of a data folder.

    A table is read from its CSV file (``organizations.csv``) or from a sheet named like it in an Excel workbook
    of the folder (``organizations.xlsx``, or any ``*.xlsx`` with a sheet ``organizations``; see :mod:`kg.sheets`);
    a table in two places is an error.  An optional table (see ``kg/tables.toml``) the folder lacks is read as
    empty.  ``note`` (by default one line on stderr) says so, and how a file was read when not as UTF-8 CSV
    (Windows-1252; ';'-separated with decimal commas) and which sheets of a workbook hold no table, each once.
    Raises :class:`DataErrors` listing every problem, each with file (and sheet), row and field.
    """
    from .sheets import Workbooks

    folder = Path(folder)
    if not folder.is_dir():  # one line, not one a table
        raise DataErrors([DataError(str(folder), None, None, "no such folder" if not folder.exists()
                                    else "is a file, not a folder of CSV tables",
                                    "Name a folder of data tables; kg init DIR starts one.")])
    tables = Tables(folder)
    absent: list[str] = []
    with Workbooks(folder) as books:
        errors = list(books.errors)
        for table in SCHEMA:
            if names is not None and table.name not in names:
                continue
            said: list[str] = []
            read = _read_located(folder, table, books, said.append)
            for line in said:
                note(line)
            sheets = books.sheets.get(table.name, [])
            if said or sheets:
                tables.readings[table.name] = "; ".join(said) or f"read from {sheets[0].display}"
            if read is None and table.optional:
                absent.append(table.file)
            rows, table_errors = read if read is not None else ([], [] if table.optional
                                                                 else [_missing(folder, table, books)])
            tables.rows[table.name] = rows
            errors.extend(table_errors)
        for line in books.notes():
            note(line)
    if absent:
        note(f"{folder} has no {', '.join(absent)}: read as empty (optional; kg init DIR writes every table)")
    if not errors:
        errors.extend(_check_references(tables))
        errors.extend(_check_rules(tables))
    if errors:
        raise DataErrors(errors)
    return tables
