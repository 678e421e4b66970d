"""A new region as an analyst starts one, for the tests: ``kg init``, the project file filled in, six firms typed
into the tables, kept as CSV, as German Excel's CSV or as one Excel workbook (:func:`new_region`)."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from kg.cli import main

#: What no output of a new region may say: the repository's own region's study, its series and its publisher.
FOREIGN_CREDIT = re.compile(r"brief|prägnant|IMU\b", re.IGNORECASE)
STUDY = 'title = "Machine building in the Example Region"\npublisher = "Example Institute"\ndate = "2026-03"\n'

#: Six firms: (id, name, place of its plant, head-count as typed, parent group or "")
FIRMS = [
    ("alpha-werk", "Alpha Werk", "example-town", "1200", ""),
    ("beta-kran", "Beta Kran", "example-town", "85", ""),
    ("gamma-plant", "Gamma Plant", "second-town", "430", "far-group"),
    ("delta-tools", "Delta Tools", "second-town", "2450", "far-group"),
    ("epsilon-pumpen", "Epsilon Pumpen", "example-town", "57", ""),
    ("zeta-robotics", "Zeta Robotics", "second-town", "310", ""),
]


def six_firms() -> dict[str, list[dict[str, str]]]:
    """The rows an analyst adds to kg init's tables: a second town in the region, a Land outside it with a
    group's headquarters, the six firms, their plants, head-counts and subsectors."""
    src = "example-source"
    places = [
        {"id": "second-town", "name_de": "Zweitstadt", "name_en": "Second Town", "type": "municipality",
         "within": "example-land", "lat": "52.41", "long": "12.55", "source": src},
        {"id": "far-land", "name_de": "Fernland", "name_en": "Far Land", "type": "land", "within": "example-country",
         "source": src},
        {"id": "far-city", "name_de": "Fernstadt", "name_en": "Far City", "type": "municipality",
         "within": "far-land", "lat": "48.14", "long": "11.58", "source": src},
    ]
    organizations = [{"id": "far-group", "name": "Far Group", "types": "group", "headquarters": "far-city",
                      "source": src}]
    sites, headcounts, classifications = [], [], []
    for key, name, town, jobs, parent in FIRMS:
        organizations.append({"id": key, "name": name, "types": "firm", "parent": parent,
                              "headquarters": "" if parent else town, "description_en": f"{name} builds machines",
                              "source": src})
        sites.append({"id": f"{key}-plant", "org": key, "name": f"{name} plant", "functions": "production",
                      "place": town, "status": "active", "source": src})
        headcounts.append({"subject": f"{key}-plant", "value": jobs, "approx": "exact", "year": "2025", "source": src})
        classifications.append({"org": key, "code": "28", "basis": "stated", "source": src})
    return {"places": places, "organizations": organizations, "sites": sites, "headcounts": headcounts,
            "classifications": classifications}


def _add_csv(folder: Path, table: str, rows: list[dict[str, str]]) -> None:
    path = folder / f"{table}.csv"
    header, *existing = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([header, *existing, *([row.get(c, "") for c in header] for row in rows)])
    path.write_text(buffer.getvalue(), encoding="utf-8")


#: The number columns as German Excel writes them: decimal commas, thousands dots.
GERMAN_NUMBERS = {"lat", "long", "value", "min", "max"}


def _german(cell: str, column: str) -> str:
    """A number cell as German Excel's "CSV UTF-8" writes it: ``52,41``, ``1.200``."""
    if column not in GERMAN_NUMBERS or not cell:
        return cell
    whole, _, fraction = cell.partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return grouped + ("," + fraction if fraction else "")


def _as_german_csv(folder: Path) -> None:
    """Every table rewritten as German Excel saves it: ';'-separated, with German numbers."""
    for path in folder.glob("*.csv"):
        header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerows([header, *([_german(c, h) for c, h in zip(row, header, strict=True)] for row in rows)])
        path.write_text(buffer.getvalue(), encoding="utf-8")


def _as_workbook(folder: Path) -> None:
    """Every table moved into one workbook, a sheet each, numbers typed as numbers (as an analyst's Excel has
    them); the CSV files removed."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for path in sorted(folder.glob("*.csv")):
        header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        sheet = book.create_sheet(path.stem)
        sheet.append(header)
        for row in rows:
            sheet.append([(float(c) if "." in c else int(c)) if h in GERMAN_NUMBERS and c else c
                          for c, h in zip(row, header, strict=True)])
        path.unlink()
    book.save(folder / "my-region.xlsx")


#: How the analyst keeps the tables: CSV as kg init wrote them, German Excel's CSV, one Excel workbook.
FORMS = {"csv": lambda folder: None, "german-csv": _as_german_csv, "xlsx": _as_workbook}


def new_region(folder: Path, form: str = "csv") -> Path:
    """``kg init`` in ``folder``, the study named in its kg.toml, the six firms added, the tables kept as ``form``."""
    assert main(["init", str(folder)]) == 0
    project = folder / "kg.toml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace('title = ""\n', "").replace('publisher = ""\n', "").replace('date = ""\n', "")
                       + STUDY, encoding="utf-8")
    for table, rows in six_firms().items():
        _add_csv(folder, table, rows)
    FORMS[form](folder)
    return folder
