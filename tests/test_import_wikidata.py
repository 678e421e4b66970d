"""``kg import wikidata``: a region's firms from Wikidata's query service, replayed by a local server.

The server (a thread on 127.0.0.1, stopped at the end of each test) answers as the Wikidata Query
Service does: SPARQL 1.1 JSON results of the import's query, recorded in the form the service writes
them (items as entity IRIs, coordinates as WKT literals, counts as xsd:decimal, dates as xsd:dateTime).
"""
from __future__ import annotations

import csv
import http.server
import json
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kg.cli import main
from kg.cli_init import init
from kg.importers.wikidata import cache_file, query_text
from kg.tables import read_tables
from tests.conftest import DATA, ONTOLOGY

WD = "http://www.wikidata.org/entity/"
XSD = "http://www.w3.org/2001/XMLSchema#"
WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"
BORSIG_LEI = "5299BORSIG0000000099"
FERN_LEI = "529900FERNHOLDING001"


def item(qid: str) -> dict[str, str]:
    return {"type": "uri", "value": WD + qid}


def text(value: str, lang: str = "") -> dict[str, str]:
    return {"type": "literal", "value": value, **({"xml:lang": lang} if lang else {})}


def typed(value: str, datatype: str) -> dict[str, str]:
    return {"type": "literal", "value": value, "datatype": datatype}


def firm(qid: str, label: str, hq: str, hq_label: str, region: str, **more: dict[str, str]) -> dict[str, object]:
    """One result row of a firm, as the service writes it."""
    return {"item": item(qid), "region": item(region), "label_de": text(label, "de"), "hq": item(hq),
            "hq_label_de": text(hq_label, "de"), "industry": item("Q5001"), "nace": text("C28.1"), **more}


#: Three firms (and, by the way, their parents): Testwerk (a parent outside the region; two employees
#: figures, one with its P585 date), BORSIG (its LEI is that of the tables' borsig; Wikidata gives another
#: parent than the tables) and Havelpumpen (owned 30 % by a firm and in part by a person); and two items found
#: by their coordinates only, Spreewerk in Berlin and Grenzwerk east of Brandenburg's border.
ROWS: list[dict[str, object]] = [
    firm("Q1001", "Testwerk Maschinen GmbH", "Q2001", "Marienfelde", "Q64",
         parent=item("Q9001"), parent_label_de=text("Fernholding AG", "de"), parent_lei=text(FERN_LEI),
         employees=typed("1200", XSD + "decimal"), employees_date=typed("2023-12-31T00:00:00Z", XSD + "dateTime"),
         coordinates=typed("Point(13.3667 52.4167)", WKT), website=typed("https://testwerk.example/", XSD + "anyURI")),
    firm("Q1001", "Testwerk Maschinen GmbH", "Q2001", "Marienfelde", "Q64",
         parent=item("Q9001"), parent_label_de=text("Fernholding AG", "de"), parent_lei=text(FERN_LEI),
         employees=typed("+950", XSD + "decimal")),
    firm("Q1002", "BORSIG GmbH", "Q2002", "Tegel", "Q64", lei=text(BORSIG_LEI),
         hq_coordinates=typed("Point(13.287 52.588)", WKT),
         parent=item("Q9002"), parent_label_de=text("Deutsche KNM GmbH", "de")),
    firm("Q1003", "Havelpumpen GmbH", "Q2003", "Velten", "Q1208",
         owner=item("Q9003"), owner_label_de=text("Pumpen Beteiligungs GmbH", "de"),
         owner_human=typed("false", XSD + "boolean"), share=typed("0.3", XSD + "decimal")),
    firm("Q1003", "Havelpumpen GmbH", "Q2003", "Velten", "Q1208",
         owner=item("Q9004"), owner_label_de=text("Erika Muster", "de"), owner_human=typed("true", XSD + "boolean")),
    # found by their coordinates in the box around Berlin's and Brandenburg's outlines: one inside Berlin, one not
    *({"item": item(qid), "label_de": text(label, "de"), "located": typed(point, WKT), "hq": item(hq),
       "hq_label_de": text(hq_label, "de"), "industry": item("Q5001"), "nace": text("28.22")}
      for qid, label, point, hq, hq_label in (("Q1004", "Spreewerk GmbH", "Point(13.40 52.52)", "Q2004", "Neuland"),
                                              ("Q1005", "Grenzwerk GmbH", "Point(14.90 52.00)", "Q2005", "Elsewhere"))),
]


def answer(rows: list[dict[str, object]]) -> bytes:
    names = sorted({k for r in rows for k in r})
    return json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}).encode("utf-8")


@dataclass
class Replay:
    """A local stand-in for the query service: what it answers, and what it was asked."""

    body: bytes
    status: int = 200
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def queries(self) -> list[str]:
        return [urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["query"][0] for path, _ in self.requests]


@pytest.fixture
def replay() -> Iterator[Replay]:
    state = Replay(answer(ROWS))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    try:
        yield state
    finally:
        stop(server, thread)


def stop(server: http.server.ThreadingHTTPServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join()


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    path = folder / (table if table.endswith(".csv") else f"{table}.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the repository's data, borsig with its LEI."""
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    organizations = rows(folder, "organizations")
    for row in organizations:
        if row["id"] == "borsig":
            row["lei"], row["lei_source"] = BORSIG_LEI, "ext-borsig-1"
    with open(folder / "organizations.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(organizations[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(organizations)
    return folder


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def import_args(data: Path, *more: str) -> list[str]:
    return ["import", "wikidata", "--region", "berlin-brandenburg", "--data", str(data), *more]


def test_the_import_writes_firms_places_parents_and_headcounts_each_under_its_item(
        data: Path, replay: Replay, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(import_args(data, "--endpoint", replay.url), capsys)
    assert code == 0, err
    assert f"asked {replay.url}" in err
    (query,) = replay.queries()
    assert f"<{WD}Q64>" in query and f"<{WD}Q1208>" in query  # the region's Länder: it has no Wikidata id itself
    assert '"28"' in query and '"26"' not in query and '"28.1"' not in query  # kg.toml's industry, by prefix
    assert "geof:latitude(?located) >=" in query  # the box around the outlines of Berlin and Brandenburg
    assert replay.requests[0][1]["User-Agent"].startswith("kg/") and "kg import wikidata" in \
        replay.requests[0][1]["User-Agent"]

    orgs = {r["wikidata"] or r["id"]: r for r in rows(data, "organizations")}
    testwerk, fern = orgs["Q1001"], orgs["Q9001"]
    assert (testwerk["name"], testwerk["types"], testwerk["source"]) == ("Testwerk Maschinen GmbH", "legal-entity",
                                                                        "wikidata-q1001")
    assert (testwerk["headquarters"], testwerk["headquarters_source"]) == ("berlin-marienfelde", "wikidata-q1001")
    assert (testwerk["parent"], testwerk["parent_source"]) == (fern["id"], "wikidata-q1001")
    assert (fern["name"], fern["lei"], fern["types"], fern["headquarters"]) == ("Fernholding AG", FERN_LEI, "group", "")
    # matched by LEI: the tables' borsig gets its Wikidata id and keeps its parent; Wikidata's parent stays beside
    borsig = orgs["Q1002"]
    assert borsig["id"] == "borsig" and borsig["wikidata_source"] == "wikidata-q1002"
    assert (borsig["name"], borsig["parent"]) == ("BORSIG", "knm-group")
    assert "matched by lei: 1" in out
    knm = orgs["Q9002"]
    relations = {(r["child"], r["parent"]): r for r in rows(data, "parent_relations")}
    assert relations[("borsig", knm["id"])]["interest"] == "control"
    assert relations[("borsig", knm["id"])]["source"] == "wikidata-q1002"
    assert any(f["kind"] == "differs" and f["subjects"].split(";")[:2] == ["borsig", knm["id"]]
               and f["source"] == "wikidata-q1002" for f in rows(data, "flags"))
    # owners: a share of 30 % is ownership, not control; a person is kept without a name
    havel = orgs["Q1003"]
    owned = sorted((r["party"], r["parent"], r["interest"], r["share"]) for (child, _), r in relations.items()
                   if child == havel["id"])
    assert owned == [("organization", orgs["Q9003"]["id"], "shareholding", "30"), ("person", "", "ownership", "")]
    assert {r["id"] for r in relations.values() if r["party"] == "person"} == {"wikidata-q1003-p127-person-1"}
    assert havel["parent"] == "" and not any("Muster" in r["name"] for r in orgs.values())

    places = {r["id"]: r for r in rows(data, "places")}
    assert (places["berlin-marienfelde"]["wikidata"], places["berlin-marienfelde"]["wikidata_source"]) == (
        "Q2001", "wikidata-q1001")  # found by name within Berlin, the place the firm was found in
    assert (places["velten"]["wikidata"], havel["headquarters"]) == ("Q2003", "velten")
    tegel = next(r for r in places.values() if r["wikidata"] == "Q2002")
    assert (tegel["name_de"], tegel["within"], tegel["lat"], tegel["long"], tegel["source"]) == (
        "Tegel", "berlin", "52.5880", "13.2870", "wikidata-q1002")
    assert borsig["headquarters"] == tegel["id"]

    spree = orgs["Q1004"]  # found by its coordinates, inside Berlin's outline: its new headquarters lies in Berlin
    assert (places[spree["headquarters"]]["name_de"], places[spree["headquarters"]]["within"]) == ("Neuland", "berlin")
    assert "Q1005" not in orgs and "skipped 1 item(s) whose coordinates lie in the box" in out
    assert not any(r["name_de"] == "Elsewhere" for r in places.values())

    counts = {(r["subject"], r["value"], r["year"], r["approx"], r["source"]) for r in rows(data, "headcounts")}
    assert {("testwerk-maschinen-gmbh", "1200", "2023", "exact", "wikidata-q1001"),
            ("testwerk-maschinen-gmbh", "950", "", "exact", "wikidata-q1001")} <= counts

    # the industry's NACE code as the most detailed subsector of subsectors.csv, stated by the item
    classified = {(r["org"], r["code"], r["basis"], r["source"]) for r in rows(data, "classifications")}
    assert {("testwerk-maschinen-gmbh", "28.1", "stated", "wikidata-q1001"),
            (spree["id"], "28.22", "stated", "wikidata-q1004")} <= classified

    sources = {r["id"]: r for r in rows(data, "sources")}
    today = datetime.now(UTC).date().isoformat()
    record = sources["wikidata-q1001"]
    assert (record["kind"], record["url"], record["part_of"], record["section"]) == (
        "register", "https://www.wikidata.org/wiki/Q1001", "wikidata", "Q1001")
    assert record["note"].startswith(f"retrieved {today}") and "website https://testwerk.example/" in record["note"]
    assert "industry Q5001 (NACE C28.1)" in record["note"] and "coordinates 52.4167, 13.3667" in record["note"]
    assert sources["wikidata"]["url"] == "https://www.wikidata.org/"
    read_tables(data, note=lambda _: None)  # the tables still read cleanly


def test_the_answer_is_cached_so_a_second_import_is_offline_and_adds_nothing(
        data: Path, replay: Replay, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert run(import_args(data, "--endpoint", replay.url, "--cache", str(cache)), capsys)[0] == 0
    (kept,) = cache.iterdir()
    assert kept == cache_file(cache, replay.queries()[0])
    before = snapshot(data)
    unreachable = "http://127.0.0.1:9/sparql"  # nothing listens there: only the cache can answer
    code, out, err = run(import_args(data, "--endpoint", unreachable, "--cache", str(cache)), capsys)
    assert code == 0, err
    assert f"answer from cache, retrieved {datetime.now(UTC).date().isoformat()}" in err
    assert snapshot(data) == before and len(replay.requests) == 1
    # --refresh asks again: the endpoint that cannot be reached is a server error (exit 3), nothing written
    code, _, err = run(import_args(data, "--endpoint", unreachable, "--cache", str(cache), "--refresh"), capsys)
    assert code == 3 and "connection refused" in one_error_line(err)
    assert snapshot(data) == before


def test_the_default_cache_is_in_the_data_folder(data: Path, replay: Replay,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run(import_args(data, "--endpoint", replay.url), capsys)[0] == 0
    assert (data / ".cache" / "wikidata").is_dir()
    before = snapshot(data)
    assert run(import_args(data, "--endpoint", replay.url), capsys)[0] == 0
    assert len(replay.requests) == 1 and snapshot(data) == before


def test_a_saved_answer_imports_as_the_asked_one(data: Path, replay: Replay, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "results.json"
    saved.write_bytes(answer(ROWS))
    other = tmp_path / "other"
    shutil.copytree(data, other)
    assert run(import_args(data, "--endpoint", replay.url), capsys)[0] == 0
    code, _, err = run(import_args(other, "--from", str(saved)), capsys)
    assert code == 0, err
    assert f"answer from {saved}, saved" in err
    for table in ("organizations", "places", "parent_relations", "headcounts", "sources", "flags"):
        assert rows(other, table) == rows(data, table), table
    # a file of the cache is a saved answer too, with the day it was retrieved
    (kept,) = (data / ".cache" / "wikidata").iterdir()
    third = tmp_path / "third"
    shutil.copytree(DATA, third)
    code, _, err = run(import_args(third, "--from", str(kept)), capsys)
    assert code == 0 and f"answer from {kept}, retrieved {datetime.now(UTC).date().isoformat()}" in err
    assert rows(third, "headcounts") == rows(data, "headcounts")


def test_a_malformed_answer_is_an_input_error_and_is_not_kept(data: Path, replay: Replay, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    before, cache = snapshot(data), tmp_path / "cache"
    for body in (b"<html>rate limited</html>", json.dumps({"head": {"vars": []}}).encode(),
                 answer([{"label_de": text("no item", "de")}])):
        replay.body = body
        code, _, err = run(import_args(data, "--endpoint", replay.url, "--cache", str(cache)), capsys)
        line = one_error_line(err)
        assert code == 2 and f"the answer of {replay.url}" in line, line
        assert "not SPARQL JSON results" in line or "not the answer to the query of kg import wikidata" in line
        assert "--from" in line
    assert snapshot(data) == before and not list(cache.glob("*.json"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"head": {}, "results": {"bindings": [', encoding="utf-8")
    code, _, err = run(import_args(data, "--from", str(broken)), capsys)
    assert code == 2 and str(broken) in one_error_line(err) and "is not JSON" in one_error_line(err)


def test_a_failing_endpoint_is_a_server_error(data: Path, replay: Replay, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    replay.status, replay.body = 503, b"Service Unavailable"
    code, _, err = run(import_args(data, "--endpoint", replay.url, "--cache", str(tmp_path / "c")), capsys)
    assert code == 3 and replay.url in one_error_line(err) and "503" in one_error_line(err)


def test_a_region_must_be_known_and_have_a_wikidata_id(data: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["import", "wikidata", "--region", "atlantis", "--data", str(data)], capsys)
    assert code == 2 and "unknown place 'atlantis'" in one_error_line(err)
    fresh = tmp_path / "fresh"
    init(fresh)
    code, _, err = run(["import", "wikidata", "--region", "example-land", "--data", str(fresh)], capsys)
    line = one_error_line(err)
    assert code == 2 and "has a Wikidata id" in line and "places.csv" in line
    code, _, err = run(["import", "wikidata", "--region", "berlin", "--industry", "28; DROP", "--data", str(data)],
                       capsys)
    assert code == 2 and "'28; DROP' is not a NACE Rev. 2" in one_error_line(err)


def test_a_second_import_of_the_same_items_adds_nothing(data: Path, replay: Replay,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A newer answer (asked again) of the same facts changes no row but the sources' retrieval dates."""
    assert run(import_args(data, "--endpoint", replay.url), capsys)[0] == 0
    before = {t: rows(data, t) for t in ("organizations", "places", "parent_relations", "headcounts", "flags")}
    code, out, _ = run(import_args(data, "--endpoint", replay.url, "--refresh"), capsys)
    assert code == 0 and len(replay.requests) == 2
    assert {t: rows(data, t) for t in before} == before
    assert "organisations added" not in out and "head-counts added" not in out


def test_the_query_binds_its_values() -> None:
    text = query_text(["Q64"], ["28.1"])
    assert "VALUES ?code { \"28.1\" }" in text and f"VALUES ?region {{ <{WD}Q64> }}" in text
    assert query_text(["Q64"], ["28.1"]) == text  # the cache's key: the same text for the same values


def test_a_name_match_waits_for_review_and_the_build_takes_the_accepted_rows(
        tmp_path: Path, replay: Replay, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the LEI, Wikidata's BORSIG GmbH is only a namesake of the tables' BORSIG: it waits in review.csv;
    accepted, the next import (from the cache) fills its Wikidata id, and the tables build and conform."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    code, out, _ = run(import_args(data, "--endpoint", replay.url), capsys)
    assert code == 0 and "review.csv" in out
    (review,) = rows(data, "review.csv")
    assert (review["register"], review["record"], review["candidate"], review["decision"]) == (
        "wikidata", "Q1002", "borsig", "")
    assert not any(r["wikidata"] == "Q1002" for r in rows(data, "organizations"))
    path = data / "review.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",borsig,name (place unknown on one side),,",
                                                             ",borsig,name (place unknown on one side),accept,"),
                    encoding="utf-8")
    code, out, _ = run(import_args(data, "--endpoint", replay.url), capsys)
    assert code == 0 and "matched by review: 1" in out and len(replay.requests) == 1
    borsig = next(r for r in rows(data, "organizations") if r["id"] == "borsig")
    assert (borsig["wikidata"], borsig["wikidata_source"]) == ("Q1002", "wikidata-q1002")
    assert main(["build", "--data", str(data), "--ontology", str(ONTOLOGY), "--out", str(tmp_path / "out")]) == 0


def test_without_an_industry_in_kg_toml_the_query_asks_for_the_subsectors_divisions(
        data: Path, replay: Replay, capsys: pytest.CaptureFixture[str]) -> None:
    project = data / "kg.toml"
    project.write_text("\n".join(line for line in project.read_text(encoding="utf-8").splitlines()
                                 if not line.startswith("industry")), encoding="utf-8")
    code, _, err = run(import_args(data, "--endpoint", replay.url), capsys)
    assert code == 0, err
    (query,) = replay.queries()
    assert '"28"' in query and '"26"' in query and '"28.1"' not in query  # subsectors.csv's divisions, by prefix


def test_a_figure_that_contradicts_the_tables_becomes_a_contested_fact_and_widens_the_range(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """BORSIG (matched by its LEI): the tables give 200 or 500 employees; Wikidata gives 900. Both stay, each under
    its source, and every figure that rests on BORSIG shows the wider range (decision-centres: Malaysia)."""
    from kg.build import build
    from kg.query import run as run_query

    def malaysia() -> tuple[int, int]:
        result = build(data)
        row = next(r for r in run_query("decision-centres", result.store, {}, result.iris).records()
                   if r["areaLabel"] == "Malaysia")
        return row["employeesMin"], row["employeesMax"]

    assert malaysia() == (200, 500)
    saved = tmp_path / "borsig.json"
    saved.write_bytes(answer([firm("Q1002", "BORSIG GmbH", "Q2002", "Tegel", "Q64", lei=text(BORSIG_LEI),
                                   employees=typed("900", XSD + "decimal"))]))
    code, _, err = run(import_args(data, "--from", str(saved)), capsys)
    assert code == 0, err
    figures = {(r["value"], r["source"]) for r in rows(data, "headcounts") if r["subject"] == "borsig"}
    assert figures == {("200", "brief-berlin"), ("500", "brief-berlin"), ("900", "wikidata-q1002")}
    assert malaysia() == (200, 900)
