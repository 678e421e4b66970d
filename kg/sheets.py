"""Read a data folder's tables from Excel workbooks (``.xlsx``), cell by cell as a CSV file would hold them.

A workbook of the folder may hold one table (``organizations.xlsx``: its sheet named like the table, or its
only sheet) or several (any ``*.xlsx``: a sheet for each table, named like it, e.g. ``organizations``;
upper or lower case alike, as Excel does not tell sheets apart by case).  Sheets that name no table are
ignored, with a note.  A workbook is read with openpyxl (``read_only=True, data_only=True``: a formula's
result as Excel saved it); each cell becomes the text a CSV cell would hold (:func:`cell_text`), so that
:mod:`kg.tables` checks a sheet's rows exactly as a CSV file's, and every error names the file, the sheet,
the row and the column (with its letter)::

    data.xlsx, sheet organizations, row 5, column headquarters (C): unknown place 'nowhere'. ...
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

from .tables import TABLES, Column, DataError, Table

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

#: How many rows of a sheet that names no table are looked at to tell whether it is blank (Excel's
#: "Tabelle2" of every new workbook is not worth a note).
_BLANK_ROWS = 20


class _Rows(Protocol):
    """A read-only worksheet, as read here (openpyxl's stubs type its ``iter_rows`` as a writable sheet's)."""

    def iter_rows(self, min_row: int | None = None, max_row: int | None = None,
                  values_only: bool = False) -> Iterator[tuple[Any, ...]]: ...

    def reset_dimensions(self) -> None: ...


def _worksheet(book: Workbook, title: str) -> _Rows:
    """A sheet to read row by row, each row as long as its last cell: the size a workbook states may be far
    too large (every row 16,384 cells wide, once a row was formatted to its end) or missing."""
    sheet = cast(_Rows, book[title])
    sheet.reset_dimensions()
    return sheet


@dataclass(frozen=True)
class Sheet:
    """A sheet of a workbook, as its errors name it."""

    path: Path
    title: str

    @property
    def display(self) -> str:
        return f"{self.path}, sheet {self.title}"


@dataclass
class SheetRows:
    """What a sheet holds, as CSV would: its header, its rows (with their numbers), its columns' letters, and
    the problems of cells no text stands for (a formula's error, a formula without a saved result)."""

    header: list[str]
    records: list[tuple[int, list[str]]]
    letters: dict[str, str]
    errors: list[DataError] = field(default_factory=list)


def cell_text(value: object, number_format: str = "General", column: Column | None = None) -> str:
    """The text a CSV cell would hold for a workbook cell's ``value`` (as openpyxl reads it).

    Whole numbers stay whole, other numbers are written as short as they read back (Excel keeps a double);
    a date is written as ISO 8601 to the precision its format shows (a month, "Nov 24", is ``2024-11``); a
    boolean in a yes/no column is yes or no.

        >>> cell_text(1200.0), cell_text(51.3397), cell_text(0.1 + 0.2), cell_text(1e-05), cell_text(None)
        ('1200', '51.3397', '0.30000000000000004', '0.00001', '')
        >>> day, month = datetime.datetime(2024, 6, 30), datetime.datetime(2024, 11, 1)
        >>> cell_text(day, "dd.mm.yyyy"), cell_text(month, "mmm yy"), cell_text(month, "yyyy")
        ('2024-06-30', '2024-11', '2024')
        >>> cell_text(datetime.datetime(2024, 6, 30, 12, 5), "d/m/yy h:mm")
        '2024-06-30T12:05:00'
        >>> cell_text(True, column=Column("beneficial", "choice", choices=("yes", "no"))), cell_text(False)
        ('yes', 'false')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        if column is not None and {"yes", "no"} <= set(column.choices):
            return "yes" if value else "no"
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2 ** 53:
            return str(int(value))
        return format(Decimal(repr(value)), "f")  # repr: the shortest text that reads back as the same double
    if isinstance(value, datetime.datetime | datetime.date):
        return _date_text(value, number_format)
    if isinstance(value, datetime.time):
        return value.isoformat()
    return str(value)


def _date_text(value: datetime.date, number_format: str) -> str:
    """A date (or a date and time) as ISO 8601, to the precision ``number_format`` shows."""
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time():
            return value.isoformat(timespec="seconds")
        value = value.date()
    shown = re.sub(r'"[^"]*"|\[[^]]*]|\\.', "", number_format.lower())  # less literal text, colours, locales
    if "d" in shown or "m" not in shown and "y" not in shown:
        return value.isoformat()
    return f"{value.year:04d}-{value.month:02d}" if "m" in shown else f"{value.year:04d}"


def _letter(position: int) -> str:
    """A column's letter as a spreadsheet shows it (1 -> A, 28 -> AB)."""
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _workbook_files(folder: Path) -> list[Path]:
    """The folder's workbooks, less the lock files Excel keeps beside an open one (``~$data.xlsx``)."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~$", ".")) and p.is_file())


class Workbooks:
    """The Excel workbooks of a data folder and which of their sheets hold which table; open (read-only
    workbooks keep their file open) while the ``with`` block lasts.

    ``sheets`` maps a table to the sheets that hold it (more than one is an error the reader reports);
    ``errors`` lists the workbooks that cannot be read or whose sheet cannot be told.

        >>> with Workbooks(Path("data")) as books:  # the example region's tables are CSV files
        ...     books.sheets, books.errors, books.notes()
        ({}, [], [])
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sheets: dict[str, list[Sheet]] = {}
        self.errors: list[DataError] = []
        self.titles: dict[Path, list[str]] = {}
        self.ignored: dict[Path, list[str]] = {}
        self._books: dict[Path, Workbook] = {}
        self._formulas: dict[Path, Workbook] = {}

    def __enter__(self) -> Workbooks:
        for path in _workbook_files(self.folder):
            book = self._open(path, data_only=True)
            if book is not None:
                self._books[path] = book
                self._place(path, book)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for book in (*self._books.values(), *self._formulas.values()):
            book.close()

    def _open(self, path: Path, data_only: bool) -> Workbook | None:
        from openpyxl import load_workbook

        try:
            return load_workbook(path, read_only=True, data_only=data_only)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or protected file
            self.errors.append(DataError(
                str(path), None, None, f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})",
                "Open it in Excel and save it as 'Excel Workbook (.xlsx)' (without a password), "
                "or move it out of the data folder."))
            return None

    def _place(self, path: Path, book: Workbook) -> None:
        """Note which of a workbook's sheets hold which table, and which hold none."""
        titles = [ws.title for ws in book.worksheets]
        self.titles[path] = titles
        held = {title: title.strip().lower() for title in titles if title.strip().lower() in TABLES}
        named = path.stem.strip().lower()  # organizations.xlsx holds organizations
        rest = [t for t in titles if t not in held]
        if named in TABLES and named not in held.values():
            if len(titles) == 1 and rest:
                held[rest.pop()] = named
            else:
                self.errors.append(DataError(
                    str(path), None, None,
                    f"is named like the table {named}, but none of its sheets ({', '.join(titles)}) is",
                    f"Name the table's sheet {named}, or keep only that sheet in the workbook."))
        for title, table in held.items():
            self.sheets.setdefault(table, []).append(Sheet(path, title))
        ignored = [t for t in rest if not self._blank(_worksheet(book, t))]
        if ignored:
            self.ignored[path] = ignored

    @staticmethod
    def _blank(ws: _Rows) -> bool:
        rows = ws.iter_rows(max_row=_BLANK_ROWS, values_only=True)
        return all(v is None for row in rows for v in row)

    def notes(self) -> list[str]:
        """One line for each workbook with sheets that hold no table."""
        return [f"{path}: sheet{'s' if len(titles) > 1 else ''} {', '.join(titles)} "
                f"{'are' if len(titles) > 1 else 'is'} not a table, ignored (a table's sheet is named like the "
                f"table, e.g. {next(iter(TABLES))})" for path, titles in self.ignored.items()]

    def described(self) -> list[str]:
        """Each workbook with its sheets, as a message says what a folder has."""
        return [f"{path.name} (sheets {', '.join(titles)})" for path, titles in self.titles.items()]

    def read(self, sheet: Sheet, table: Table) -> SheetRows | DataError:
        """A sheet's header (row 1) and rows as CSV text, or why it cannot be read."""
        try:
            found = self._rows(sheet, table)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            return DataError(sheet.display, None, None, f"cannot be read ({type(exc).__name__}: {exc})",
                             "Open the workbook in Excel and save it again as 'Excel Workbook (.xlsx)'.")
        if not found.header:
            return DataError(sheet.display, None, None, "is empty",
                             "A table needs at least its header row (row 1): " + ", ".join(
                                 c.name for c in table.columns if not c.source_of) + ".")
        return found

    def _rows(self, sheet: Sheet, table: Table) -> SheetRows:
        rows = _worksheet(self._books[sheet.path], sheet.title).iter_rows(min_row=1)
        header = [cell_text(cell.value).strip() for cell in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        columns = [_column(table, name) for name in header]
        found = SheetRows(header, [], {name: _letter(i) for i, name in reversed(list(enumerate(header, 1)))})
        unsaved: list[tuple[int, int]] = []  # (row, column) of cells with neither value nor result
        for number, cells in enumerate(rows, start=2):
            texts, problems = [], []
            for position, cell in enumerate(cells, start=1):
                text, problem = self._cell(cell, columns, position, unsaved, number)
                texts.append(text)
                if problem:
                    problems.append(self._problem(sheet, found, number, position, *problem))
            found.errors.extend(problems)
            if not problems:
                found.records.append((number, (texts + [""] * len(header))[:len(header)]))
        if unsaved:
            self._formulas_without_results(sheet, found, set(unsaved))
        return found

    @staticmethod
    def _cell(cell: object, columns: list[Column | None], position: int, unsaved: list[tuple[int, int]],
              number: int) -> tuple[str, tuple[str, str] | None]:
        """A cell's text and the problem (message, hint) that keeps it from having one."""
        value = getattr(cell, "value", None)
        if position > len(columns):
            return "", (None if value is None else (
                f"has a value in column {_letter(position)}, which has no header",
                "Give the column a header in row 1, or clear the cell."))
        if getattr(cell, "data_type", "") == "e":
            return "", (f"shows the error {value}", "Correct the formula in Excel, or type the value.")
        if value is None and getattr(cell, "row", None) is not None:
            unsaved.append((number, position))  # a cell there, with no value: a formula never calculated?
        return cell_text(value, getattr(cell, "number_format", None) or "General", columns[position - 1]), None

    @staticmethod
    def _problem(sheet: Sheet, found: SheetRows, number: int, position: int, message: str, hint: str) -> DataError:
        name = found.header[position - 1] if position <= len(found.header) else ""
        return DataError(sheet.display, number, name or None, message, hint, _letter(position) if name else "")

    def _formulas_without_results(self, sheet: Sheet, found: SheetRows, cells: set[tuple[int, int]]) -> None:
        """Refuse the rows with a formula that has no saved result (a workbook a program wrote, never opened in
        Excel): read with its formulas, the sheet shows them where the results are missing."""
        if sheet.path not in self._formulas:
            book = self._open(sheet.path, data_only=False)
            if book is None:  # opened once, not twice: say so on the sheet
                found.errors.append(self.errors.pop())
                return
            self._formulas[sheet.path] = book
        bad: set[int] = set()
        rows = _worksheet(self._formulas[sheet.path], sheet.title).iter_rows(min_row=2)
        for number, cells_of_row in enumerate(rows, start=2):
            for position, cell in enumerate(cells_of_row, start=1):
                if (number, position) in cells and getattr(cell, "data_type", "") == "f":
                    bad.add(number)
                    found.errors.append(self._problem(
                        sheet, found, number, position, f"is a formula ({cell.value}) without a saved result",
                        "Open the workbook in Excel (or LibreOffice) and save it: a workbook a program wrote "
                        "has no formula results until then."))
        found.records = [(n, cells_) for n, cells_ in found.records if n not in bad]


def _column(table: Table, name: str) -> Column | None:
    return next((c for c in table.columns if c.name == name), None)
