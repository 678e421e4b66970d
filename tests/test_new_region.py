"""A new region, as an analyst starts one: ``kg init``, the project file filled in, six firms typed into the
tables, built on the first try; every later command finds its build, outputs and region from ``--data`` alone,
and no output names the study of the repository's own region."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kg.cli import main
from tests.regions import FOREIGN_CREDIT, FORMS, new_region


def _outputs(out: Path) -> dict[str, str]:
    """The text of every page, graph file and RDF file a user opens or publishes."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())
            if p.suffix in (".html", ".svg", ".gexf", ".geojson", ".graphml", ".ttl", ".trig")}


@pytest.fixture(scope="module", params=sorted(FORMS))
def region(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return new_region(tmp_path_factory.mktemp(request.param) / "my-region", request.param)


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
