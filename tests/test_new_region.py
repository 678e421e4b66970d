"""A new region, as an analyst starts one: ``kg init``, the project file filled in, six firms typed into the
tables, built on the first try; every later command finds its build, outputs and region from ``--data`` alone,
and no output names the study of the repository's own region."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

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


def _rows() -> dict[str, list[dict[str, str]]]:
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


def _outputs(out: Path) -> dict[str, str]:
    """The text of every page, graph file and RDF file a user opens or publishes."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())
            if p.suffix in (".html", ".svg", ".gexf", ".geojson", ".graphml", ".ttl", ".trig")}


#: How the analyst keeps the tables: CSV as kg init wrote them, German Excel's CSV, one Excel workbook.
FORMS = {"csv": lambda folder: None, "german-csv": _as_german_csv, "xlsx": _as_workbook}


@pytest.fixture(scope="module", params=sorted(FORMS))
def region(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp(request.param) / "my-region"
    assert main(["init", str(folder)]) == 0
    project = folder / "kg.toml"
    text = project.read_text(encoding="utf-8")
    project.write_text(text.replace('title = ""\n', "").replace('publisher = ""\n', "").replace('date = ""\n', "")
                       + STUDY, encoding="utf-8")
    for table, rows in _rows().items():
        _add_csv(folder, table, rows)
    FORMS[request.param](folder)
    return folder


def test_six_firms_build_on_the_first_try_into_the_projects_output_folder(region, capsys):
    assert main(["build", "--data", str(region)]) == 0
    said = capsys.readouterr()
    assert "firms: 7" in said.out  # kg init's example firm and the six
    assert (region / "out" / "build.json").is_file() and (region / "out" / "kg.ttl").is_file()


def test_the_headline_needs_only_the_data_folder(region, capsys):
    assert main(["build", "--data", str(region), "--no-validate"]) == 0
    capsys.readouterr()
    assert main(["query", "control-summary", "--data", str(region), "--format", "csv"]) == 0
    said = capsys.readouterr()
    assert "using the build in" in said.err  # found from kg.toml's output folder, not built again
    rows = {r["areaLabel"]: r for r in csv.DictReader(io.StringIO(said.out))}
    whole = rows["Example Region"]
    assert whole["region"].endswith("place/example-region")  # kg.toml's region, not the query text's default
    assert (whole["firms"], whole["firmsOutside"], whole["reading"]) == ("7", "2", "primary")
    assert int(whole["jobsOutside"]) == 430 + 2450
    assert not FOREIGN_CREDIT.search(said.out)


def test_pages_and_gephi_files_need_only_the_data_folder_and_credit_the_regions_own_study(region, capsys):
    assert main(["build", "--data", str(region), "--no-validate"]) == 0
    assert main(["viz", "all", "--data", str(region), "--picture", "svg"]) == 0
    assert main(["export", "gexf", "--data", str(region)]) == 0
    capsys.readouterr()
    outputs = _outputs(region / "out")
    assert {"hq.html", "clusters.html", "full.html", "report.html", "hq.svg", "hq.gexf", "kg.ttl"} <= set(outputs)
    for name in ("hq.html", "hq.svg", "hq.gexf", "report.html"):  # the page, the picture, Gephi's file, the report
        assert "Machine building in the Example Region (Example Institute, 2026-03)" in outputs[name], name
    for name, text in outputs.items():
        found = FOREIGN_CREDIT.search(text)
        assert found is None, f"{name} says {text[max(0, found.start() - 80):found.end() + 40]!r}"


def test_a_page_drawn_from_another_build_folder_is_written_beside_that_build(region, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    assert main(["build", "--data", str(region), "--no-validate", "--out", str(elsewhere)]) == 0
    before = sorted((region / "out").iterdir()) if (region / "out").exists() else []
    assert main(["viz", "hq", "--data", str(region), "--build", str(elsewhere)]) == 0
    assert "using the build in" in capsys.readouterr().err
    assert (elsewhere / "hq.html").is_file()
    assert (sorted((region / "out").iterdir()) if (region / "out").exists() else []) == before
