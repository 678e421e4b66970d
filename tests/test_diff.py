"""``kg diff OLD NEW``: a year's changes to a region's data, and nothing else, with the headline's move.

The new edition of the data (a copy of data/) closes a small firm, moves a firm to another owner and moves a
site's head-count; ``kg diff`` lists exactly those changes (and what the build derives from them: the place and
class of control, the firm's figure that is the sum of its sites'), and the headline figures old -> new as
``kg query control-summary`` gives them for each build.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kg.build import build
from kg.cli import main
from kg.diff import COLUMNS, HEADLINE_FIGURES, Change, Diff, Side, render_page
from kg.query import run, select
from tests.conftest import DATA

BASE = "https://w3id.org/bbmb/id/"
CLOSED = "werkzeugbau-dunkel"  # a small firm in Berlin, run from there, that no other row names but its own
MOVED = ("kjellberg", "kjellberg-stiftung", "gea-group", "ext-gea-1")  # firm, old owner, new owner, its source
COUNTED = ("heidelberger-brandenburg", "400", "650")  # a site's head-count (the study's figure), old -> new


def _edit(path: Path, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite a table of a data folder, its columns as they were."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(change(rows))


def _next_year(folder: Path) -> None:
    """The year's changes: a firm closed (its rows gone), an owner changed (with its source), a head-count moved."""
    firm, _, owner, source = MOVED
    site, before, after = COUNTED

    def organizations(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{**r, "parent": owner, "parent_source": source, "parent_certainty": "confirmed"}
                if r["id"] == firm else r for r in rows if r["id"] != CLOSED]

    def headcounts(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        moved = [r for r in rows if r["subject"] == site and r["value"] == before]
        assert len(moved) == 1
        return [{**r, "value": after, "quote": r["quote"].replace(before, after)} if r in moved else r
                for r in rows if r["subject"] != CLOSED]

    _edit(folder / "organizations.csv", organizations)
    _edit(folder / "sites.csv", lambda rows: [r for r in rows if r["org"] != CLOSED])
    _edit(folder / "headcounts.csv", headcounts)
    _edit(folder / "events.csv", lambda rows: [r for r in rows if r["subject"] != CLOSED])
    for table in folder.glob("*.csv"):  # nothing else names the closed firm
        assert not re.search(rf"\b{CLOSED}\b(?!-)", table.read_text(encoding="utf-8")), table


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("editions")
    old, new = folder / "old", folder / "new"
    shutil.copytree(DATA, old)
    shutil.copytree(DATA, new)
    _next_year(new)
    return old, new


def _kg_diff(capsys, *argv: str) -> str:
    assert main(["diff", *argv]) == 0
    return capsys.readouterr().out


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _changes(rows: list[dict[str, str]]) -> set[tuple[str, ...]]:
    return {(r["kind"], r["subject"].removeprefix(BASE), r["aspect"], r["old"], r["new"])
            for r in rows if r["kind"] != "headline"}


def _expected(old: Path) -> set[tuple[str, ...]]:
    """The changes the edits make: the closed firm and each of its sites (as the old build has them: its head
    office too), the owner and what the build derives from it, the head-count of the site and of its firm (whose
    figure is the sum of its sites')."""
    store = build(old).store
    sites = select(store, "SELECT ?s ?name ?o WHERE { ?s org:siteOf ?o ; rdfs:label ?name }",
                   {"o": _iri(f"org/{CLOSED}")})
    assert len(sites) >= 1
    firm, was, owner, _ = MOVED
    site, before, after = COUNTED
    return {("removed", f"org/{CLOSED}", "firm", "Werkzeugbau Dunkel", ""),
            *(("removed", s["s"].removeprefix(BASE), "site", s["name"], "") for s in sites),
            ("changed", f"org/{firm}", "parent", f"Kjellberg-Stiftung (org/{was})", f"GEA Group (org/{owner})"),
            ("changed", f"org/{firm}", "control place", "Finsterwalde (place/finsterwalde)",
             "Düsseldorf (place/duesseldorf)"),
            ("changed", f"org/{firm}", "control class", "inside", "germany"),
            ("changed", f"site/{site}", "head-count", before, after),
            ("changed", "org/heidelberger-druck", "head-count", before, after)}


def _iri(key: str):
    from pyoxigraph import NamedNode

    return NamedNode(BASE + key)


def test_the_changes_of_a_year_and_nothing_else(editions, capsys):
    old, new = editions
    rows = _rows(_kg_diff(capsys, str(old), str(new), "--format", "csv"))
    assert list(rows[0]) == COLUMNS
    assert _changes(rows) == _expected(old)
    parent = next(r for r in rows if r["aspect"] == "parent")
    assert parent["newSources"] == MOVED[3] and parent["oldSources"]  # the new owner with its source
    assert "brief-brandenburg" in next(r for r in rows if r["subject"].endswith(COUNTED[0]))["newSources"]


def test_the_headline_moves_as_control_summary_says(editions, capsys):
    old, new = editions
    rows = [r for r in _rows(_kg_diff(capsys, str(old), str(new), "--format", "csv")) if r["kind"] == "headline"]
    stores = {"old": build(old).store, "new": build(new).store}
    answers = {side: {r["area"]: r for r in run("control-summary", store).records()} for side, store in stores.items()}
    region = BASE + "place/berlin-brandenburg"  # data/kg.toml's region
    assert set(answers["old"]) == set(answers["new"]) == {r["subject"] for r in rows} and region in answers["old"]
    for r in rows:
        for side in ("old", "new"):
            expected = answers[side][r["subject"]].get(r["aspect"])
            if r["aspect"] == "reading" or expected in (None, ""):
                continue
            assert r[side].split(" ")[0].replace(",", "") == str(expected), (r, side)
    figures = {(r["aspect"], side): int(r[side].replace(",", "")) for r in rows if r["subject"] == region
               and r["aspect"] in ("firms", "firmsInside", "firmsOutside", "jobs") for side in ("old", "new")}
    assert figures["firms", "new"] == figures["firms", "old"] - 1  # the closed firm
    assert figures["firmsInside", "new"] == figures["firmsInside", "old"] - 2  # it, and the firm now run from outside
    assert figures["firmsOutside", "new"] == figures["firmsOutside", "old"] + 1
    assert figures["jobs", "new"] == figures["jobs", "old"] - 100 + (650 - 400)  # its 100 jobs; the moved figure
    share = next(r for r in rows if r["subject"] == region and r["aspect"] == "shareJobsOutside")
    assert re.fullmatch(r"[\d.]+ \([\d.]+–[\d.]+\)", share["new"]), share  # with its range


def test_the_readable_table_has_its_sections(editions, capsys):
    old, new = editions
    out = _kg_diff(capsys, str(old), str(new))
    sections = re.findall(r"^(Added|Removed|Changed|Headline)\b.*\((\d+)\)$", out, re.MULTILINE)
    assert [s for s, _ in sections] == ["Removed", "Changed", "Headline"]
    assert dict(sections)["Removed"] == str(len([c for c in _expected(old) if c[0] == "removed"]))
    assert "org/kjellberg" in out and "GEA Group (org/gea-group)" in out and "no changes" not in out


def test_identical_folders_have_no_changes(editions, capsys):
    old, _ = editions
    out = _kg_diff(capsys, str(old), str(DATA))
    assert "no changes" in out
    assert not re.search(r"^(Added|Removed|Changed)\b", out, re.MULTILINE)
    headline = out.split("Headline", 1)[1].splitlines()[3:-1]
    assert headline and all(line.split()[-1] == "=" for line in headline)  # every figure as it was


def test_a_build_compares_with_a_data_folder_and_bases_may_differ(editions, tmp_path, capsys):
    old, new = editions
    assert main(["build", "--data", str(old), "--out", str(tmp_path / "out-old"), "--no-validate"]) == 0
    capsys.readouterr()
    other = tmp_path / "new"
    shutil.copytree(new, other)
    project = other / "kg.toml"  # the base before the file's first table
    project.write_text('base = "https://example.org/region/"\n' + project.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["diff", str(tmp_path / "out-old"), str(other), "--format", "csv"]) == 0
    done = capsys.readouterr()
    assert "using the build in" in done.err and "differ in their base" in done.err
    rows = _rows(done.out)
    ids = {(k, s.removeprefix("https://example.org/region/"), a, o, n) for k, s, a, o, n in _changes(rows)}
    assert ids == _expected(old)  # compared by id


def test_xlsx_json_and_page(editions, tmp_path, capsys):
    old, new = editions
    _kg_diff(capsys, str(old), str(new), "--format", "xlsx", "--out", str(tmp_path / "diff.xlsx"),
             "--page", str(tmp_path / "diff.html"))
    sheet = load_workbook(tmp_path / "diff.xlsx").worksheets[0]
    table = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert table[0] == COLUMNS
    records = json.loads(_kg_diff(capsys, str(old), str(new), "--format", "json"))
    assert [[r[c] for c in COLUMNS] for r in records] == table[1:]
    page = (tmp_path / "diff.html").read_text(encoding="utf-8")
    embedded = re.search(r'<script type="application/json" id="diff-data">(.*?)</script>', page, re.S)
    assert embedded and [[r[c] for c in COLUMNS] for r in json.loads(embedded.group(1))["rows"]] == table[1:]
    assert len(records) - len(_expected(old)) == len(HEADLINE_FIGURES) * 3 + 3  # three areas, each with its reading


def test_the_page_embeds_names_as_data_never_as_html():
    hostile = "</script><img src=x onerror=alert(1)>"
    side = Side("old", "", "primary", None, {}, {}, {})
    page = render_page(Diff(side, side, changes=[Change("added", "https://example.org/id/org/x", hostile, "firm")]))
    assert hostile not in page and "<img" not in page
    embedded = re.search(r'id="diff-data">(.*?)</script>', page, re.S)
    assert embedded and json.loads(embedded.group(1))["rows"][0]["subjectLabel"] == hostile
