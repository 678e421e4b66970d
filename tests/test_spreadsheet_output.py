"""Query results that open right in (German) Excel: ``--format xlsx`` and ``--format excel-csv``.

The xlsx files are real workbooks written by openpyxl and read back with it; the excel-csv text is read back
with the csv module as Excel reads it where the decimal separator is a comma.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from pyoxigraph import Literal, NamedNode

from kg.cli import main
from kg.errors import InvalidArgument
from kg.namespaces import XSD
from kg.query import run
from kg.results import Result, render, render_bytes
from kg.xlsx import MAX_CELL_CHARS, MAX_ROWS, write_xlsx
from tests.conftest import ROOT
from tests.test_results import ATTACKS


def _sheet_rows(sheet) -> list[list[object]]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _expected(value: object) -> object:
    """What a cell holds for a result's plain value (:meth:`Result.records`): decimals as floats."""
    return float(value) if isinstance(value, Decimal) else value


@pytest.fixture(scope="module")
def summary(built):
    return run("control-summary", built.store, {"region": "brandenburg"}, built.iris)


def test_xlsx_of_a_saved_query_has_numbers_text_and_an_about_sheet(tmp_path, summary, capsys):
    target = tmp_path / "control.xlsx"
    assert main(["query", "control-summary", "--param", "region=brandenburg", "--format", "xlsx",
                 "--out", str(target)]) == 0
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["control-summary", "about"]
    sheet = workbook["control-summary"]
    rows = _sheet_rows(sheet)
    assert rows[0] == summary.variables
    assert rows[1:] == [[_expected(r[v]) for v in summary.variables] for r in summary.records()]
    numbers = [cell for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, (int, float))]
    assert numbers and all(cell.data_type == "n" for cell in numbers)
    assert any(isinstance(c.value, float) and not c.value.is_integer() for c in numbers)  # a share, 0.x
    assert any(type(c.value) is int for c in numbers)  # a count of firms
    assert all(cell.font.bold for cell in sheet[1]) and not any(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A2"
    widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
    assert all(len(str(v)) <= w for row in rows for v, w in zip(row, widths, strict=True) if len(str(v)) < 50)
    about = dict(_sheet_rows(workbook["about"])[1:])
    assert about["query"] == "control-summary" and about["parameter region"] == "brandenburg"
    assert about["rows"] == str(len(summary)) and about["title"].startswith("Control")
    assert about["graph"] and about["built"][:4].isdigit() and " other source" in about["data"]


def test_xlsx_keeps_umlauts_years_and_dates(built, tmp_path):
    trend = run("employment-trend", built.store, iris=built.iris)
    book = openpyxl.load_workbook(io.BytesIO(render_bytes(trend, "xlsx")))
    cells = [v for row in _sheet_rows(book.worksheets[0])[1:] for v in row]
    titles = [r["sourceTitle"] for r in trend.records() if r["sourceTitle"]]
    assert any("ä" in t for t in titles) and set(titles) <= set(cells)  # prägnant, not prÃ¤gnant
    years = [r["period"] for r in trend.records() if isinstance(r["period"], str) and r["period"].isdigit()]
    assert years and all(int(y) in cells for y in years)  # an xsd:gYear is a number a chart can use
    dates = Result(["day", "month", "moment", "zoned"], [(
        Literal("2025-07-01", datatype=XSD.date), Literal("2024-03", datatype=XSD.gYearMonth),
        Literal("2025-07-01T12:30:00", datatype=XSD.dateTime), Literal("2025-07-01T12:30:00Z", datatype=XSD.dateTime))])
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(dates))).worksheets[0]
    day, month, moment, zoned = sheet[2]
    assert day.is_date and day.value == dt.datetime(2025, 7, 1) and day.number_format == "yyyy-mm-dd"
    assert month.is_date and month.value == dt.datetime(2024, 3, 1) and month.number_format == "yyyy-mm"
    assert moment.is_date and moment.value == dt.datetime(2025, 7, 1, 12, 30)
    assert zoned.value == "2025-07-01T12:30:00Z"  # a spreadsheet has no time zone: the text keeps it


def test_xlsx_stores_a_formula_looking_value_as_text():
    values = [*ATTACKS, '=HYPERLINK("http://evil.example/","click")', "-14", "@x"]
    result = Result(["v", "n"], [(Literal(v), Literal("-14", datatype=XSD.integer)) for v in values])
    data = write_xlsx(result)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    texts = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in texts] == values
    assert all(c.data_type == "s" for c in texts) and [c.value for c in sheet["B"][1:]] == [-14] * len(values)
    assert all(c.quotePrefix for c in texts if c.value.startswith(("=", "+", "-", "@")))  # edited, still text
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(b"<f>" not in archive.read(n) and b"<f " not in archive.read(n) for n in archive.namelist())


def test_xlsx_keeps_what_a_cell_cannot_hold_as_text():
    huge = "x" * (MAX_CELL_CHARS + 10)
    result = Result(["v"], [(Literal("a\x00b\x1fc"),), (Literal(huge),), (Literal("1e400", datatype=XSD.double),),
                            (Literal("12345678901234567890", datatype=XSD.integer),), (None,), (NamedNode("urn:x"),)])
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(result))).worksheets[0]
    control, long_text, infinite, big, unbound, iri = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert control == "a\ufffdb\ufffdc" and len(long_text) == MAX_CELL_CHARS and long_text.endswith("…")
    assert infinite == "1e400" and big == "12345678901234567890" and iri == "urn:x" and unbound is None


def test_xlsx_refuses_more_rows_than_a_sheet_holds():
    too_many = Result(["n"], [(None,)] * MAX_ROWS)
    with pytest.raises(InvalidArgument, match="an xlsx sheet holds 1,048,575; write --format csv or excel-csv"):
        write_xlsx(too_many)


def test_excel_csv_of_a_saved_query_reads_back_with_semicolons_and_decimal_commas(tmp_path, summary):
    target = tmp_path / "control.csv"
    assert main(["query", "control-summary", "--param", "region=brandenburg", "--format", "excel-csv",
                 "--out", str(target)]) == 0
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == len(summary) + 1
    assert b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    plain = list(csv.reader(io.StringIO(render(summary, "csv"), newline="")))
    assert rows[0] == plain[0] == summary.variables
    decimals = 0
    for got, want, terms in zip(rows[1:], plain[1:], summary.rows, strict=True):
        for cell, value, term in zip(got, want, terms, strict=True):
            if isinstance(term, Literal) and term.datatype == XSD.decimal and "." in value:
                decimals += 1
                assert "." not in cell and Decimal(cell.replace(",", ".")) == Decimal(value)
            else:
                assert cell == value
    assert decimals  # the shares of the summary


def test_excel_csv_writes_umlauts_integers_and_safe_text():
    result = Result(["name", "n", "x", "d"], [(Literal("Müller; \"Söhne\""), Literal("1600", datatype=XSD.integer),
                                               Literal("-1.5E3", datatype=XSD.double), Literal("=1+1"))])
    data = render_bytes(result, "excel-csv")
    assert data.decode("utf-8-sig").splitlines() == ["name;n;x;d", '"Müller; ""Söhne""";1600;-1,5E3;\'=1+1']


def test_xlsx_and_excel_csv_to_a_pipe_are_the_file_s_bytes(tmp_path):
    """``kg query ... --format xlsx > file.xlsx`` (stdout not a terminal) writes the workbook itself."""
    command = [sys.executable, "-m", "kg", "query", "employment-trend", "--format"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workbook = subprocess.run([*command, "xlsx"], capture_output=True, cwd=tmp_path, env=env, timeout=300, check=True)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.stdout)).worksheets[0]
    assert sheet["A1"].value == "area" and sheet.max_row > 1
    text = subprocess.run([*command, "excel-csv"], capture_output=True, cwd=tmp_path, env=env, timeout=300, check=True)
    assert text.stdout.startswith(b"\xef\xbb\xbfarea;areaLabel;") and b"pr\xc3\xa4gnant" in text.stdout
