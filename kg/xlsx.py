"""Query results as an Excel workbook (``kg query --format xlsx``), written with openpyxl.

The first sheet holds the result: a bold, frozen header row with a filter, columns as wide as their values,
and each value in the cell type a spreadsheet computes with, whatever the user's locale:

* a number as a number (an integer as an integer, a decimal, double or float as a float);
* a date (``xsd:date``, ``xsd:dateTime`` without a time zone, ``xsd:gYearMonth``) as a date, a year
  (``xsd:gYear``) as an integer, a boolean as a boolean;
* everything else (IRIs, text) as a text cell, never a formula: ``=HYPERLINK(...)`` in the data is stored as
  the text it is, and marked so that editing the cell keeps it text.

The second sheet, ``about``, says what the rows answer: the query, its title and parameters, the rows, the
graph that answered and when it was built, and whose data it is (:class:`kg.results.About`).

    >>> from pyoxigraph import Literal
    >>> from kg.namespaces import XSD
    >>> from kg.results import Result
    >>> workbook = write_xlsx(Result(["n", "name"], [(Literal("0.5", datatype=XSD.decimal), Literal("=1+1"))]))
    >>> workbook[:2]
    b'PK'
    >>> cell_value(Literal("0.5", datatype=XSD.decimal)), cell_value(Literal("=1+1"))
    (0.5, '=1+1')
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from pyoxigraph import BlankNode, Literal, NamedNode

from .errors import InvalidArgument
from .namespaces import XSD
from .results import FORMULA_PREFIXES, Result, Term, to_python

#: What a sheet holds (Excel's limits): rows with the header, characters in a cell.
MAX_ROWS = 1_048_576
MAX_CELL_CHARS = 32_767
#: Integers beyond this lose digits as a spreadsheet number (15 significant digits): they stay text.
MAX_EXACT_INTEGER = 10**15 - 1
#: The widest a column is made, in characters (longer values wrap nowhere: the cell shows their start).
MAX_COLUMN_WIDTH = 60

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONTH_FORMAT = "yyyy-mm"
_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{2})")

Compact = Callable[[str], str]


def cell_value(term: Term | None) -> Any:
    """The value of a result term in a cell: a number, date, year or boolean as such, anything else as text.

        >>> from kg.namespaces import XSD
        >>> cell_value(Literal("1600", datatype=XSD.integer)), cell_value(Literal("2024", datatype=XSD.gYear))
        (1600, 2024)
        >>> cell_value(Literal("2025-07-01", datatype=XSD.date)), cell_value(Literal("INF", datatype=XSD.double))
        (datetime.date(2025, 7, 1), 'INF')
    """
    if term is None:
        return None
    if isinstance(term, NamedNode):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    value = _typed(term)
    return term.value if value is None else value


def _typed(literal: Literal) -> Any:
    """A literal's number, date, year or boolean, or None where it is text (or would not survive as a cell)."""
    value = to_python(literal)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_EXACT_INTEGER else None
    if not isinstance(value, str):  # a Decimal or float
        number = float(value)
        return number if math.isfinite(number) else None
    return _calendar(literal.datatype.value, literal.value.strip())


def _calendar(datatype: str, text: str) -> dt.date | int | None:
    """A date, a moment without a time zone, a month (its first day) or a year; None for anything else."""
    try:
        if datatype == XSD.date.value:
            return dt.date.fromisoformat(text)
        if datatype == XSD.dateTime.value:
            moment = dt.datetime.fromisoformat(text)
            return moment if moment.tzinfo is None else None  # a spreadsheet has no time zones: the text says it
    except ValueError:
        return None
    if datatype == XSD.gYear.value and _YEAR.fullmatch(text):
        return int(text)
    month = _YEAR_MONTH.fullmatch(text) if datatype == XSD.gYearMonth.value else None
    if month and 1 <= int(month[2]) <= 12:
        return dt.date(int(month[1]), int(month[2]), 1)
    return None


def _number_format(value: Any, term: Term | None) -> str | None:
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        is_month = isinstance(term, Literal) and term.datatype.value == XSD.gYearMonth.value
        return MONTH_FORMAT if is_month else DATE_FORMAT
    return None


def _text(value: str) -> str:
    """Text a cell can hold: no control characters (XML cannot carry them), at most Excel's length."""
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value if len(value) <= MAX_CELL_CHARS else value[: MAX_CELL_CHARS - 1] + "…"


class _Sheet:
    """A write-only sheet whose text cells are text and whose header row is bold, frozen and filtered."""

    def __init__(self, sheet: WriteOnlyWorksheet, header: list[str], rows: list[list[tuple[Any, Term | None]]]):
        self.sheet = sheet
        self._fit_columns(header, rows)
        sheet.freeze_panes = "A2"
        if header and rows:
            _shared(sheet, "auto_filter").ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
        sheet.append([self.cell(name, None, bold=True) for name in header])
        for row in rows:
            sheet.append([self.cell(value, term) for value, term in row])

    def _fit_columns(self, header: list[str], rows: list[list[tuple[Any, Term | None]]]) -> None:
        columns = _shared(self.sheet, "column_dimensions")
        for index, name in enumerate(header):
            longest = max([len(name) + 3] + [_shown_length(row[index][0]) for row in rows])  # 3: the filter button
            columns[get_column_letter(index + 1)].width = min(longest + 2, MAX_COLUMN_WIDTH)

    def cell(self, value: Any, term: Term | None, bold: bool = False) -> Cell:
        text = isinstance(value, str)
        cell = WriteOnlyCell(self.sheet, _text(value) if text else value)
        if text:
            cell.data_type = "s"  # openpyxl would store a str that starts with "=" as a formula
            cell.quotePrefix = value.startswith(FORMULA_PREFIXES)  # and editing it in Excel keeps it text
        number_format = _number_format(value, term)
        if number_format:
            cell.number_format = number_format
        if bold:
            cell.font = Font(bold=True)
        return cell


def _shared(sheet: WriteOnlyWorksheet, name: str) -> Any:
    """What a write-only sheet shares with a ``Worksheet`` (set up by openpyxl) that types-openpyxl omits."""
    return getattr(sheet, name)


def _shown_length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return len(DATE_FORMAT)
    if isinstance(value, float):
        return len(f"{value:.10g}")
    return len(str(value))


def _rows(result: Result) -> list[list[tuple[Any, Term | None]]]:
    if result.boolean is not None:
        return [[(result.boolean, None)]]
    return [[(cell_value(term), term) for term in row] for row in result.rows]


def about_lines(result: Result) -> Iterator[tuple[str, str]]:
    """The ``about`` sheet's lines (what, value): the query, its parameters, the rows, the graph, the credit.

        >>> from kg.results import About
        >>> dict(about_lines(Result(["n"], about=About(query="q", parameters={"region": "berlin"}))))
        {'query': 'q', 'parameter region': 'berlin', 'rows': '0'}
    """
    about = result.about
    yield from (line for line in (("query", about.query), ("title", about.title), ("answers", about.answers),
                                  ("columns", about.columns)) if line[1])
    yield from ((f"parameter {name}", value) for name, value in about.parameters.items())
    if result.boolean is not None:
        yield "answer", "yes" if result.boolean else "no"
    elif result.total is None:
        yield "rows", str(len(result))
    else:
        yield "rows", f"{result.offset + 1}–{result.offset + len(result)} of {result.total}" if len(result) \
            else f"none of {result.total}"
    yield from (line for line in (("graph", about.dataset), ("built", about.built), ("data", about.credit)) if line[1])


def _sheet_title(name: str) -> str:
    """A sheet name Excel accepts (31 characters, none of ``[]:*?/\\``), other than ``about``."""
    title = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'")[:31]
    return title if title and title.lower() != "about" else "result"


def write_xlsx(result: Result, compact: Compact | None = None) -> bytes:
    """The result as an ``.xlsx`` workbook: its rows on the first sheet, typed, and a sheet ``about`` it.

    ``compact`` is not used: a workbook holds the full IRIs, as ``csv`` does, so that they join.  A result of
    more rows than a sheet holds is an :class:`kg.errors.InvalidArgument` that names the formats that can.
    """
    if len(result) >= MAX_ROWS:
        raise InvalidArgument(f"the result has {len(result):,} rows and an xlsx sheet holds {MAX_ROWS - 1:,}; "
                              "write --format csv or excel-csv, or a page of it with --limit")
    workbook = Workbook(write_only=True)
    workbook.properties.title = result.about.title or result.about.query or None
    workbook.properties.creator = "kg"
    header = ["result"] if result.boolean is not None else list(result.variables)
    _Sheet(workbook.create_sheet(_sheet_title(result.about.query or "result")), header, _rows(result))
    _Sheet(workbook.create_sheet("about"), ["about", "value"],
           [[(what, None), (value, None)] for what, value in about_lines(result)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
