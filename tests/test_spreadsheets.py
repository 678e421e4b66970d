"""Tables as analysts keep them: German Excel's CSV (';', decimal commas, thousands dots), Windows-1252 files, and
Excel workbooks (one sheet a table, or one workbook a table) read to the same rows as the UTF-8 CSV tables."""
from __future__ import annotations

import csv
import datetime
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from kg.cli import main
from kg.tables import SCHEMA, TABLES, Column, DataErrors, read_tables

FRACTIONAL = ("decimal", "lat", "long")


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def tables_of(folder: Path) -> list:
    """(table, file) of every table a data folder has as CSV."""
    return [(t, folder / t.file) for t in SCHEMA if (folder / t.file).exists()]


def same_rows(folder: Path, reference: Path, notes: list[str] | None = None) -> None:
    """The tables of ``folder`` read to the same rows (numbers and values) as those of ``reference``; a fraction
    compared as a number (a workbook keeps 52.5200 as the number 52.52)."""
    def rows(tables):
        out = {}
        for table in SCHEMA:
            kinds = {c.name: c.kind for c in table.columns}
            out[table.name] = [(r.number, {k: Decimal(v) if v and kinds.get(k) in FRACTIONAL else v
                                          for k, v in r.values.items()}) for r in tables[table.name]]
        return out
    expected = rows(read_tables(reference, note=lambda _: None))
    got = rows(read_tables(folder, note=(notes.append if notes is not None else lambda _: None)))
    assert got == expected
    assert sum(len(v) for v in got.values()) > 100


# ------------------------------------------------------------------------------ German Excel's CSV
def german(col: Column, text: str) -> str:
    """A cell as German Excel writes it: thousands dots, a decimal comma."""
    if not text or col.multi or col.kind not in ("int", *FRACTIONAL):
        return text
    whole, _, fraction = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return ("-" if whole.startswith("-") and not grouped.startswith("-") else "") + grouped + (
        "," + fraction if fraction else "")


def write_german(folder: Path) -> list[str]:
    """Rewrite every table as ';'-separated 'CSV UTF-8' with German numbers; the files whose numbers change."""
    changed = []
    for table, path in tables_of(folder):
        rows = csv_rows(path)
        columns = [TABLES[table.name].columns[[c.name for c in table.columns].index(h)] for h in rows[0]]
        out = [rows[0]] + [[german(col, cell) for col, cell in zip(columns, row, strict=True)] for row in rows[1:]]
        if out != rows:
            changed.append(str(path))
        with path.open("w", newline="", encoding="utf-8-sig") as f:
            csv.writer(f, delimiter=";").writerows(out)
    return changed


def test_german_excel_csv_reads_to_the_same_rows_with_one_note_a_file(data_copy, tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    for _, path in tables_of(data_copy):
        (reference / path.name).write_bytes(path.read_bytes())
    changed = write_german(data_copy)
    text = (data_copy / "places.csv").read_text(encoding="utf-8-sig")
    assert "52,52" in text and ";" in text.splitlines()[0]
    assert re.search(r";\d{1,3}\.\d{3}[;\r\n]", (data_copy / "statistics.csv").read_text(encoding="utf-8-sig"))
    notes: list[str] = []
    same_rows(data_copy, reference, notes)
    assert sorted(notes) == sorted(f"{p}: ';'-separated, read with decimal commas and thousands dots"
                                   for p in changed)
    assert len(changed) >= 3


@pytest.mark.parametrize("cell,read", [("1.200", "1200"), ("51,3397", "51.3397"), ("1.234,5", "1234.5"),
                                       ("-0,5", "-0.5"), ("52.5200", "52.5200")])
def test_a_number_of_a_semicolon_file_is_read_as_german_excel_writes_it(data_copy, cell, read):
    column = "min" if cell == "1.200" else "value"
    path = data_copy / "headcounts.csv" if column == "min" else data_copy / "statistics.csv"
    rows = csv_rows(path)
    rows[1][rows[0].index(column)] = cell
    if column == "min":
        rows[1][rows[0].index("value")] = ""
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    table = path.stem
    assert read_tables(data_copy, note=lambda _: None)[table][0][column] == read


def test_a_thousands_dot_in_a_comma_separated_file_is_an_error_saying_what_to_do(data_copy):
    path = data_copy / "headcounts.csv"
    rows = csv_rows(path)
    rows[1][rows[0].index("value")] = "1.200"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    with pytest.raises(DataErrors) as caught:
        read_tables(data_copy, note=pytest.fail)
    text = str(caught.value)
    assert f"{path}, row 2, field 'value': '1.200' is not a whole number" in text
    assert "Write it without thousands separators (1200" in text


def test_an_ambiguous_dot_in_a_semicolon_file_with_decimal_dots_is_an_error(data_copy):
    """52.5200 says the file writes decimal dots: then 13.405 may be a fraction, or 13405."""
    path = data_copy / "statistics.csv"
    rows = csv_rows(path)
    value = rows[0].index("value")
    rows[1][value], rows[2][value] = "2.5000", "13.405"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    with pytest.raises(DataErrors) as caught:
        read_tables(data_copy, note=lambda _: None)
    assert (f"{path}, row 3, field 'value': '13.405' could be 13405 (a thousands dot) or a fraction"
            in str(caught.value))
    assert "Write it without the dot (13405), or as a fraction with a decimal comma (13,405)" in str(caught.value)


def test_a_german_number_out_of_range_names_the_cell_as_written(data_copy):
    path = data_copy / "places.csv"
    rows = csv_rows(path)
    lat = rows[0].index("lat")
    for row in rows[1:]:
        for column in (lat, rows[0].index("long")):
            row[column] = row[column].replace(".", ",")
    rows[3][lat] = "52.520"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";").writerows(rows)
    with pytest.raises(DataErrors) as caught:
        read_tables(data_copy, note=lambda _: None)
    assert (f"{path}, row 4, field 'lat': 52520 is out of range for a latitude (the cell holds '52.520', read "
            "with a decimal comma and thousands dots)") in str(caught.value)


# ------------------------------------------------------------------------------ Windows-1252
def test_windows_1252_files_read_to_the_same_rows_with_one_note_each(data_copy, tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    encoded = []
    for _, path in tables_of(data_copy):
        (reference / path.name).write_bytes(path.read_bytes())
        text = path.read_text(encoding="utf-8")
        try:
            raw = text.encode("cp1252")
        except UnicodeEncodeError:
            continue  # a character Windows-1252 has not (sources.csv's ′): this file stays UTF-8
        path.write_bytes(raw)
        if not text.isascii():
            encoded.append(str(path))
    assert {"places", "organizations"} <= {Path(p).stem for p in encoded}
    notes: list[str] = []
    same_rows(data_copy, reference, notes)
    assert sorted(notes) == sorted(f"{p}: read as Windows-1252; save as UTF-8 to silence this" for p in encoded)


# ------------------------------------------------------------------------------ workbooks
def typed(col: Column | None, text: str) -> object:
    """The value an Excel cell holds for a CSV cell, as an analyst types it (numbers as numbers, dates as dates)."""
    if not text or col is None:
        return text or None
    if col.kind in ("int", "year") or (col.kind == "period" and text.isdigit()):
        return int(text)
    if col.kind in FRACTIONAL:
        return float(text)
    if col.kind == "date":
        return datetime.date.fromisoformat(text)
    if {"yes", "no"} <= set(col.choices):
        return text == "yes"
    return text


def fill(sheet, table, rows: list[list[str]]) -> None:
    columns = {c.name: c for c in table.columns}
    sheet.append(rows[0])
    for row in rows[1:]:
        sheet.append([typed(columns.get(h), cell) for h, cell in zip(rows[0], row, strict=True)])


def to_workbooks(folder: Path, one_workbook: bool) -> None:
    """Move every CSV table of ``folder`` into a workbook: all into data.xlsx (a sheet named like each table),
    or each into its own workbook (<table>.xlsx, its one sheet named as Excel names it)."""
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "tables of the region, one sheet each"
    for table, path in tables_of(folder):
        if one_workbook:
            fill(book.create_sheet(table.name), table, csv_rows(path))
        else:
            own = openpyxl.Workbook()
            own.active.title = "Tabelle1"
            fill(own.active, table, csv_rows(path))
            own.save(folder / f"{table.name}.xlsx")
        path.unlink()
    if one_workbook:
        book.create_sheet("Tabelle2")  # blank, as Excel adds: no note
        book.save(folder / "data.xlsx")


@pytest.mark.parametrize("one_workbook", [True, False], ids=["a-sheet-a-table", "a-workbook-a-table"])
def test_workbooks_read_to_the_same_rows_as_csv(data_copy, tmp_path, one_workbook):
    reference = tmp_path / "reference"
    reference.mkdir()
    for _, path in tables_of(data_copy):
        (reference / path.name).write_bytes(path.read_bytes())
    to_workbooks(data_copy, one_workbook)
    assert not list(data_copy.glob("*.csv"))
    notes: list[str] = []
    same_rows(data_copy, reference, notes)
    assert notes == ([f"{data_copy / 'data.xlsx'}: sheet Notes is not a table, ignored (a table's sheet is named "
                      "like the table, e.g. sources)"] if one_workbook else [])


def test_the_build_reads_a_workbook(data_copy, tmp_path, capsys):
    to_workbooks(data_copy, one_workbook=True)
    assert main(["build", "--data", str(data_copy), "--out", str(tmp_path / "out"), "--no-validate"]) == 0, \
        capsys.readouterr().err
    assert "firm" in (tmp_path / "out" / "kg.ttl").read_text(encoding="utf-8").lower()


def workbook_with(folder: Path, table: str, change) -> Path:
    """data.xlsx holding ``table`` (its CSV file removed), after ``change(sheet, header)``."""
    path = folder / f"{table}.csv"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = table
    rows = csv_rows(path)
    fill(sheet, TABLES[table], rows)
    change(sheet, rows[0])
    path.unlink()
    book.save(folder / "data.xlsx")
    return folder / "data.xlsx"


def letter(header: list[str], column: str) -> str:
    return openpyxl.utils.get_column_letter(header.index(column) + 1)


def errors_of(folder: Path) -> str:
    with pytest.raises(DataErrors) as caught:
        read_tables(folder, note=lambda _: None)
    return str(caught.value)


@pytest.mark.parametrize("column, row, value, said", [
    ("headquarters", 5, "nowhere", "unknown place 'nowhere'"),  # a cross-table check
    ("founded", 4, "around 1990", "'around 1990' is not a year"),  # a cell's own check
])
def test_an_error_of_a_sheet_names_file_sheet_row_and_column_with_its_letter(data_copy, column, row, value, said):
    at = {}

    def put(sheet, header):
        at["letter"] = letter(header, column)
        sheet[f"{at['letter']}{row}"] = value
    book = workbook_with(data_copy, "organizations", put)
    assert f"{book}, sheet organizations, row {row}, column {column} ({at['letter']}): {said}" in errors_of(data_copy)


def test_a_formula_without_a_saved_result_is_an_error_saying_to_save_in_excel(data_copy):
    at = {}

    def formula(sheet, header):
        at["letter"] = letter(header, "value")
        sheet[f"{at['letter']}3"] = "=300+30"  # openpyxl saves no result: as a program's workbook
    book = workbook_with(data_copy, "headcounts", formula)
    text = errors_of(data_copy)
    assert f"{book}, sheet headcounts, row 3, column value ({at['letter']}): is a formula (=300+30) without a " \
           "saved result" in text
    assert "Open the workbook in Excel (or LibreOffice) and save it" in text


def test_a_formula_s_saved_result_is_read(data_copy):
    at = {}

    def formula(sheet, header):
        at["letter"] = letter(header, "value")
        sheet[f"{at['letter']}2"] = "=1000+200"
    book = workbook_with(data_copy, "headcounts", formula)
    # what Excel does on saving: keep the formula's result beside it
    with zipfile.ZipFile(book) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    cell = re.search(rb'<c r="%s2"[^>]*><f>1000\+200</f><v\s*/?>(</v>)?' % at["letter"].encode(), parts[sheet])
    assert cell, parts[sheet][:2000]
    parts[sheet] = parts[sheet].replace(cell.group(), b'<c r="%s2"><f>1000+200</f><v>1200</v>'
                                        % at["letter"].encode())
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert read_tables(data_copy, note=lambda _: None)["headcounts"][0]["value"] == "1200"


def test_an_error_value_of_a_cell_is_an_error_on_its_row(data_copy):
    def error_value(sheet, header):
        sheet[f"{letter(header, 'value')}3"] = "#DIV/0!"
    book = workbook_with(data_copy, "headcounts", error_value)
    assert f"{book}, sheet headcounts, row 3, column value (B): shows the error #DIV/0!" in errors_of(data_copy)


def test_a_date_cell_is_read_as_iso_and_a_boolean_as_yes_or_no(data_copy):
    path = data_copy / "parent_relations.csv"
    rows = csv_rows(path)
    row = dict.fromkeys(rows[0], "")
    row.update(id="otis-control", child="otis", party="organization", parent="otis-worldwide", relation="direct",
               interest="shares", start="2020-01-15", beneficial="no", source="brief-berlin")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "parent_relations"
    fill(sheet, TABLES["parent_relations"], [rows[0], list(row.values())])
    assert isinstance(sheet["K2"].value, datetime.date | datetime.datetime) and sheet["J2"].value is False
    path.unlink()
    book.save(data_copy / "relations.xlsx")
    relation = read_tables(data_copy, note=lambda _: None)["parent_relations"][0]
    assert relation["start"] == "2020-01-15" and relation["beneficial"] == "no"


def test_a_table_in_both_a_csv_file_and_a_workbook_is_an_error_naming_both(data_copy):
    book = openpyxl.Workbook()
    book.active.title = "organizations"
    fill(book.active, TABLES["organizations"], csv_rows(data_copy / "organizations.csv"))
    book.save(data_copy / "organizations.xlsx")
    text = errors_of(data_copy)
    assert (f"{data_copy / 'organizations.csv'}: holds the table organizations, and so does "
            f"{data_copy / 'organizations.xlsx'}, sheet organizations") in text
    assert "kg does not pick one" in text


def test_a_missing_table_s_error_says_what_the_folder_has(data_copy):
    book = openpyxl.Workbook()
    book.active.title = "Firmen"
    fill(book.active, TABLES["organizations"], csv_rows(data_copy / "organizations.csv"))
    book.save(data_copy / "data.xlsx")
    (data_copy / "organizations.csv").rename(data_copy / "Organisations.CSV")
    text = errors_of(data_copy)
    assert (f"{data_copy / 'organizations.csv'}: is missing; the folder has data.xlsx (sheets Firmen); "
            "Organisations.CSV (not read: a table's file is named organizations.csv)") in text
    assert "or a sheet named organizations in an Excel workbook" in text


def test_a_damaged_workbook_is_an_error_and_excel_s_lock_file_is_not_read(data_copy):
    (data_copy / "data.xlsx").write_bytes(b"not a zip")
    (data_copy / "~$data.xlsx").write_bytes(b"Excel's lock file")
    text = errors_of(data_copy)
    assert f"{data_copy / 'data.xlsx'}: cannot be read as an Excel workbook" in text
    assert "~$" not in text


def test_a_workbook_named_like_a_table_with_several_other_sheets_is_an_error(data_copy):
    book = openpyxl.Workbook()
    book.active.title = "Tabelle1"
    book.create_sheet("Tabelle2")
    book.save(data_copy / "sites.xlsx")
    assert (f"{data_copy / 'sites.xlsx'}: is named like the table sites, but none of its sheets (Tabelle1, "
            "Tabelle2) is") in errors_of(data_copy)


# ------------------------------------------------------------------------------ what writes tables back, and builds
@pytest.mark.parametrize("form", ["workbook", "cp1252"])
def test_kg_import_refuses_tables_it_would_not_write_back_alike(tmp_path, capsys, form):
    """kg import writes UTF-8 CSV: beside a workbook's sheet it would make a second organizations table, and a
    Windows-1252 file would be half rewritten."""
    from kg.cli_init import init
    folder = tmp_path / "region"
    init(folder)
    if form == "workbook":
        to_workbooks(folder, one_workbook=True)
    else:
        path = folder / "organizations.csv"
        path.write_bytes((path.read_text(encoding="utf-8") + "\n").replace("Example Machines", "Beispiel Maschinenbau "
                                                                          "Göhren").encode("cp1252"))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    register = tmp_path / "register.json"
    register.write_text("[]", encoding="utf-8")
    assert main(["import", "bods", str(register), "--data", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "kg import writes its tables as UTF-8 CSV with decimal dots, but " in err
    assert (f"organizations: read from {folder / 'data.xlsx'}, sheet organizations" if form == "workbook"
            else f"organizations: {folder / 'organizations.csv'}: read as Windows-1252") in err
    assert "Save those tables as 'CSV UTF-8'" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_changed_workbook_is_a_changed_input_of_the_build(data_copy):
    from kg.builds import inputs
    to_workbooks(data_copy, one_workbook=True)
    before = inputs(data_copy, "ontology", "https://example.org/", "primary")["files"]["data"]
    book = openpyxl.load_workbook(data_copy / "data.xlsx")
    book["organizations"]["B2"] = "Renamed"
    book.save(data_copy / "data.xlsx")
    after = inputs(data_copy, "ontology", "https://example.org/", "primary")["files"]["data"]
    assert set(before) == {"data.xlsx", "kg.toml"} and before != after


def test_a_value_beyond_the_header_is_an_error_naming_its_column(data_copy):
    at = {}

    def stray(sheet, header):
        at["letter"] = openpyxl.utils.get_column_letter(len(header) + 2)
        sheet[f"{at['letter']}4"] = "a stray note"
    book = workbook_with(data_copy, "headcounts", stray)
    assert (f"{book}, sheet headcounts, row 4: has a value in column {at['letter']}, which has no header. "
            "Give the column a header in row 1, or clear the cell.") in errors_of(data_copy)


def test_a_missing_table_s_error_names_an_old_excel_file(data_copy):
    (data_copy / "sites.csv").rename(data_copy / "sites.xls")
    assert "sites.xls (not read: save it as a workbook (.xlsx) or as 'CSV UTF-8')" in errors_of(data_copy)


def test_a_month_cell_in_a_period_column_is_read_as_the_month(data_copy):
    def month(sheet, header):
        cell = sheet[f"{letter(header, 'period')}2"]
        cell.value, cell.number_format = datetime.date(2024, 11, 1), "mmm yy"  # German Excel shows "Nov 24"
    workbook_with(data_copy, "statistics", month)
    assert read_tables(data_copy, note=lambda _: None)["statistics"][0]["period"] == "2024-11"


def test_a_fraction_excel_saves_with_17_digits_is_read_as_typed(data_copy):
    """Excel saves 52.52 as 52.520000000000003 (the double's 17 digits); it reads back as 52.52."""
    book = workbook_with(data_copy, "places", lambda sheet, header: None)
    with zipfile.ZipFile(book) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert b"<v>52.52</v>" in parts[sheet]
    parts[sheet] = parts[sheet].replace(b"<v>52.52</v>", b"<v>52.520000000000003</v>")
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    berlin = read_tables(data_copy, note=lambda _: None).keys("places")["berlin"]
    assert berlin["lat"] == "52.52"
