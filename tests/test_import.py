"""``kg import``: BODS 0.4 and GLEIF golden-copy files into a data folder's tables.

Every fixture of the BODS conformance pack (``bods-v04-fixtures``) is imported as its ``.expected.md``
says; GLEIF files are written here in the published golden-copy layout.
"""
from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from bods_fixtures import list_cases, load

from kg.build import build
from kg.cli import main
from kg.cli_init import init
from kg.namespaces import BBMB
from kg.tables import read_tables
from tests.conftest import DATA, ONTOLOGY


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    return errors[0]


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    path = folder / (table if table.endswith(".csv") else f"{table}.csv")
    if not path.exists():
        return []
    with open(path, encoding="utf-8-sig", newline="") as f:
        first = f.readline()
        f.seek(0)
        return list(csv.DictReader(f, delimiter=";" if first.count(";") > first.count(",") else ","))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def region(tmp_path: Path) -> Path:
    folder = tmp_path / "region"
    init(folder)
    return folder


def import_bods(folder: Path, statements: list[dict[str, object]], capsys: pytest.CaptureFixture[str]) -> str:
    path = folder.parent / "register.json"
    path.write_text(json.dumps(statements), encoding="utf-8")
    assert main(["import", "bods", str(path), "--data", str(folder)]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


# ------------------------------------------------------------------------------------------- BODS 0.4

def imported_orgs(folder: Path) -> list[dict[str, str]]:
    return [r for r in rows(folder, "organizations") if r["id"] != "example-firm"]


def imported_relations(folder: Path) -> list[dict[str, str]]:
    return [r for r in rows(folder, "parent_relations") if r["child"] != "example-firm"]


def direct_ownership(folder: Path, out: str) -> None:
    """01: one entity, one person (kg keeps none: skipped and counted), both interests kept, 75 % each."""
    (acme,) = imported_orgs(folder)
    assert acme["name"] == "Acme Holdings Ltd" and acme["founded"] == "2005"
    assert "skipped 1 person statement" in out
    assert not any("Jane" in cell for row in imported_orgs(folder) for cell in row.values())
    interests = {r["interest"]: r for r in rows(folder, "parent_relations") if r["child"] == acme["id"]}
    assert set(interests) == {"shareholding", "votingRights"}  # not collapsed into one
    for r in interests.values():
        assert (r["party"], r["parent"], r["share"], r["beneficial"], r["start"]) == ("person", "", "75", "yes",
                                                                                       "2010-01-01")
    assert acme["parent"] == ""  # a person is not a parent organisation


def circular_ownership(folder: Path, out: str) -> None:
    """10: both edges kept, the import terminates, no entity is its own ultimate parent, one clear message."""
    orgs = {r["id"]: r for r in imported_orgs(folder)}
    assert {r["name"] for r in orgs.values()} == {"Alpha Corp Ltd", "Beta Corp Ltd"}
    edges = {(r["child"], r["parent"]) for r in imported_relations(folder)}
    assert edges == {("alpha-corp-ltd", "beta-corp-ltd"), ("beta-corp-ltd", "alpha-corp-ltd")}
    for org in orgs:
        seen, here = [org], orgs[org]["parent"]
        while here:
            assert here not in seen, f"{org}'s chain of parents comes back to {here}"
            seen.append(here)
            here = orgs[here]["parent"]
    assert sum(1 for r in orgs.values() if r["parent"]) == 1
    assert out.count("circular ownership: ") == 1
    assert [f["kind"] for f in rows(folder, "flags") if "alpha-corp-ltd" in f["subjects"]] == ["circular"]


def anonymous_person(folder: Path, out: str) -> None:
    """11: the inline unspecified party is kept with its reason code verbatim; no placeholder is made."""
    (opaque,) = imported_orgs(folder)
    assert opaque["name"] == "Opaque Holdings SA"
    (relation,) = imported_relations(folder)
    assert relation["child"] == opaque["id"] and relation["party"] == "unspecified" and relation["parent"] == ""
    assert relation["reason"] == "subjectUnableToConfirmOrIdentifyBeneficialOwner"
    assert relation["note"].startswith("The subject entity has reported that it is unable to identify")
    assert "unspecified (subjectUnableToConfirmOrIdentifyBeneficialOwner)" in out


#: What each fixture's .expected.md asks of a source adapter, as kg keeps it.
EXPECTED: dict[str, Callable[[Path, str], None]] = {
    "core/01-direct-ownership": direct_ownership,
    "edge-cases/10-circular-ownership": circular_ownership,
    "edge-cases/11-anonymous-person": anonymous_person,
}


def test_every_fixture_of_the_pack_has_its_expectation() -> None:
    assert sorted(list_cases()) == sorted(EXPECTED), "a fixture of bods-v04-fixtures has no test here"


@pytest.mark.parametrize("name", list_cases())
def test_bods_fixture_imports_as_expected(name: str, region: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture = load(name)
    assert fixture.description, name
    out = import_bods(region, fixture.statements, capsys)
    EXPECTED[name](region, out)
    read_tables(region)  # the tables still read cleanly (no cycle, every source known)
    # every value under the source of its record: each imported row names a source of sources.csv
    sources = {r["id"]: r for r in rows(region, "sources")}
    for row in imported_orgs(region) + imported_relations(region):
        record = sources[row["source"]]
        assert record["kind"] == "register" and record["section"] in fixture.record_ids
        statement = fixture.find_record(record["section"])
        assert statement is not None and statement["statementId"] in record["title"]
        assert f"publicationDate {statement['publicationDetails']['publicationDate']}" in record["note"]
    # idempotent: the same import again changes nothing
    before = snapshot(region)
    import_bods(region, fixture.statements, capsys)
    assert snapshot(region) == before


def test_the_tables_stay_plain_files_and_a_switch_cut_short_is_finished(
        region: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A data folder is what an analyst edits: after an import every table is an ordinary file (no links, no
    generation folder beside them); an import killed while renaming its tables into place is finished by the next."""
    statements = load(sorted(list_cases())[0]).statements
    import_bods(region, statements, capsys)
    entries = sorted(region.iterdir())
    assert entries and all(p.is_file() and not p.is_symlink() for p in entries), entries
    # cut short: a complete generation (its marker lists its files) of which organizations.csv was not renamed yet
    edited = (region / "organizations.csv").read_text(encoding="utf-8").replace(
        "Example firm: replace with a firm of the region", "Example firm as the interrupted import wrote it")
    gen = region / ".gen-1-1"
    gen.mkdir()
    (gen / "organizations.csv").write_text(edited, encoding="utf-8")
    (gen / ".complete").write_text("organizations.csv\n", encoding="utf-8")
    import_bods(region, statements, capsys)
    assert (region / "organizations.csv").read_text(encoding="utf-8") == edited
    assert sorted(region.iterdir()) == entries


def test_bods_imports_build_with_parent_relations(region: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in list_cases():
        import_bods(region, load(name).statements, capsys)
    result = build(region, ONTOLOGY)
    found = list(result.store.quads_for_pattern(None, BBMB.interest, None, None))
    assert len(found) == len(rows(region, "parent_relations"))
    assert main(["build", "--data", str(region), "--ontology", str(ONTOLOGY), "--out",
                 str(region.parent / "out")]) == 0  # the shapes hold too


def test_bods_errors_name_file_statement_and_field(region: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(region)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"statementId": "s1",\n "recordId": }]', encoding="utf-8")
    assert main(["import", "bods", str(broken), "--data", str(region)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(broken) in line and "row 2" in line and "is not JSON" in line
    statements = load("core/01-direct-ownership").statements
    del statements[2]["recordId"]
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps(statements), encoding="utf-8")
    assert main(["import", "bods", str(incomplete), "--data", str(region)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(incomplete) in line and "row 3" in line and "field 'recordId'" in line
    assert snapshot(region) == before


# ------------------------------------------------------------------------------------------- GLEIF

#: The golden-copy column names as GLEIF publishes them (LEI-CDF 3.1 and RR-CDF 2.1 CSV), those the tests fill.
LEVEL1 = ["LEI", "Entity.LegalName", "Entity.LegalName.xmllang",
          *(f"Entity.{kind}.{part}" for kind in ("LegalAddress", "HeadquartersAddress")
            for part in ("FirstAddressLine", "City", "Region", "Country", "PostalCode")),
          "Entity.LegalJurisdiction", "Entity.EntityCategory", "Entity.EntityStatus", "Entity.EntityCreationDate",
          "Registration.InitialRegistrationDate", "Registration.LastUpdateDate", "Registration.RegistrationStatus",
          "Registration.ValidationSources"]
LEVEL2 = ["Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType", "Relationship.EndNode.NodeID",
          "Relationship.EndNode.NodeIDType", "Relationship.RelationshipType", "Relationship.RelationshipStatus",
          *(f"Relationship.Period.{n}.{part}" for n in (1, 2) for part in ("startDate", "endDate", "periodType")),
          "Registration.InitialRegistrationDate", "Registration.LastUpdateDate", "Registration.RegistrationStatus",
          "Registration.ValidationSources"]

#: LEIs of the test's entities (20 characters, as ISO 17442 writes them).
CHILD, PARENT, TOP, OLD, ELSEWHERE, NAMESAKE = (f"5299{c * 14}{n}" for c, n in zip("ABCDEF", range(11, 17),
                                                                                       strict=True))


def entity(lei: str, name: str, city: str, country: str = "DE", hq_city: str = "") -> dict[str, str]:
    return {"LEI": lei, "Entity.LegalName": name, "Entity.LegalAddress.City": city,
            "Entity.LegalAddress.Country": country, "Entity.HeadquartersAddress.City": hq_city or city,
            "Entity.HeadquartersAddress.Country": country, "Entity.EntityStatus": "ACTIVE",
            "Entity.EntityCreationDate": "1991-07-01T00:00:00Z", "Registration.LastUpdateDate": "2025-05-02T08:00:00Z",
            "Registration.RegistrationStatus": "ISSUED", "Registration.ValidationSources": "FULLY_CORROBORATED"}


def relation(child: str, parent: str, kind: str, start: str, end: str = "", status: str = "ACTIVE",
             validation: str = "FULLY_CORROBORATED") -> dict[str, str]:
    return {"Relationship.StartNode.NodeID": child, "Relationship.StartNode.NodeIDType": "LEI",
            "Relationship.EndNode.NodeID": parent, "Relationship.EndNode.NodeIDType": "LEI",
            "Relationship.RelationshipType": kind, "Relationship.RelationshipStatus": status,
            "Relationship.Period.1.startDate": "2023-01-01T00:00:00Z", "Relationship.Period.1.endDate": "",
            "Relationship.Period.1.periodType": "ACCOUNTING_PERIOD",
            "Relationship.Period.2.startDate": start, "Relationship.Period.2.endDate": end,
            "Relationship.Period.2.periodType": "RELATIONSHIP_PERIOD",
            "Registration.LastUpdateDate": "2025-04-01T00:00:00Z", "Registration.RegistrationStatus": "PUBLISHED",
            "Registration.ValidationSources": validation}


def write(path: Path, header: list[str], records: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(records)
    return path


@pytest.fixture
def golden(tmp_path: Path) -> tuple[Path, Path]:
    """A region firm with a direct parent (München), an ultimate parent (Paris) and a former parent."""
    level1 = write(tmp_path / "lei2.csv", LEVEL1, [
        entity(ELSEWHERE, "Anderswo GmbH", "Hamburg"),
        entity(TOP, "Top Group SE", "Paris", "FR"),
        entity(CHILD, "Beispiel Maschinen GmbH", "Beispielstadt"),
        entity(PARENT, "Mutter Holding AG", "München"),
        entity(OLD, "Alte Mutter GmbH", "Köln"),
        entity(NAMESAKE, "Example Machines GmbH", "Beispielstadt", hq_city="Anderstadt"),
    ])
    level2 = write(tmp_path / "rr.csv", LEVEL2, [
        relation(ELSEWHERE, TOP, "IS_DIRECTLY_CONSOLIDATED_BY", "2001-01-01"),
        relation(CHILD, PARENT, "IS_DIRECTLY_CONSOLIDATED_BY", "2015-01-01", validation="PARTIALLY_CORROBORATED"),
        relation(CHILD, TOP, "IS_ULTIMATELY_CONSOLIDATED_BY", "2015-01-01"),
        relation(PARENT, TOP, "IS_DIRECTLY_CONSOLIDATED_BY", "2010-06-30"),
        relation(CHILD, OLD, "IS_DIRECTLY_CONSOLIDATED_BY", "2001-01-01", "2014-12-31", status="INACTIVE"),
    ])
    return level1, level2


def import_gleif(folder: Path, golden: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                 region: str = "example-land") -> str:
    args = ["import", "gleif", str(golden[0]), str(golden[1]), "--region", region, "--data", str(folder)]
    assert main(args) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_gleif_imports_the_region_and_all_its_parents(region: Path, golden: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import_gleif(region, golden, capsys)
    orgs = {r["lei"]: r for r in rows(region, "organizations") if r.get("lei")}
    assert set(orgs) == {CHILD, PARENT, TOP, OLD}  # not Hamburg's firm; the namesake waits for review
    child, parent, top = orgs[CHILD], orgs[PARENT], orgs[TOP]
    assert child["headquarters"] == "example-town" and child["source"] == f"gleif-{CHILD.lower()}"
    assert child["founded"] == "1991" and child["status"] == "active"
    assert (child["parent"], child["parent_certainty"]) == (parent["id"], "likely")
    assert parent["parent"] == top["id"] and top["parent"] == "" and orgs[OLD]["parent"] == ""
    assert "group" in top["types"] and child["types"] == "legal-entity"
    places = {r["id"]: r for r in rows(region, "places")}
    assert places[top["headquarters"]]["name_de"] == "Paris"
    assert places[places[top["headquarters"]]["within"]]["type"] == "country"
    relations = {(r["child"], r["relation"], r["parent"]): r for r in rows(region, "parent_relations")}
    ultimate = relations[(child["id"], "ultimate", top["id"])]
    assert (ultimate["start"], ultimate["end"], ultimate["status"]) == ("2015-01-01", "", "active")
    former = relations[(child["id"], "direct", orgs[OLD]["id"])]
    assert (former["start"], former["end"], former["status"]) == ("2001-01-01", "2014-12-31", "inactive")
    assert all(r["interest"] == "accounting-consolidation" for k, r in relations.items() if k[0] != "example-firm")
    sources = {r["id"]: r for r in rows(region, "sources")}
    record = sources[child["source"]]
    assert (record["kind"], record["section"], record["part_of"]) == ("register", CHILD, "gleif")
    assert record["url"].endswith(CHILD) and "last updated 2025-05-02" in record["note"]
    assert sources[child["parent_source"]]["kind"] == "register"
    read_tables(region)
    # idempotent
    before = snapshot(region)
    import_gleif(region, golden, capsys)
    assert snapshot(region) == before


def test_a_name_match_waits_for_review_and_the_decision_is_honoured(
        region: Path, golden: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = import_gleif(region, golden, capsys)
    assert "review.csv" in out
    (review,) = rows(region, "review.csv")
    assert (review["record"], review["candidate"], review["decision"]) == (NAMESAKE, "example-firm", "")
    example = next(r for r in rows(region, "organizations") if r["id"] == "example-firm")
    assert example["lei"] == ""  # never a silent merge
    # the analyst accepts: the next import fills the empty cells and keeps the other headquarters beside
    review_path = region / "review.csv"
    review_path.write_text(review_path.read_text(encoding="utf-8").replace(
        ",example-firm,name and place,,", ",example-firm,name and place,accept,"), encoding="utf-8")
    import_gleif(region, golden, capsys)
    example = next(r for r in rows(region, "organizations") if r["id"] == "example-firm")
    assert (example["lei"], example["lei_source"]) == (NAMESAKE, f"gleif-{NAMESAKE.lower()}")
    assert example["headquarters"] == "example-town"  # the table's own fact stays
    (alternative,) = [r for r in rows(region, "alternative_places") if r["subject"] == "example-firm"
                      and r["aspect"] == "decision-centre"]
    assert alternative["place_source"] == f"gleif-{NAMESAKE.lower()}"
    assert next(r for r in rows(region, "places") if r["id"] == alternative["place"])["name_de"] == "Anderstadt"
    assert any(f["kind"] == "differs" and f["subjects"] == "example-firm" for f in rows(region, "flags"))
    assert len([r for r in rows(region, "organizations") if r["name"].startswith("Example Machines")]) == 1


def test_a_rejected_match_is_imported_as_another_organisation(
        region: Path, golden: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    import_gleif(region, golden, capsys)
    review_path = region / "review.csv"
    review_path.write_text(review_path.read_text(encoding="utf-8").replace(
        ",example-firm,name and place,,", ",example-firm,name and place,reject,"), encoding="utf-8")
    import_gleif(region, golden, capsys)
    namesakes = [r for r in rows(region, "organizations") if r["name"].startswith("Example Machines")]
    assert [r["lei"] for r in namesakes] == ["", NAMESAKE]


def test_an_import_that_contradicts_the_brief_keeps_both_as_a_contested_fact(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A register puts Otis Worldwide elsewhere and gives BORSIG another parent: both facts stay."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    otis, borsig, knm = "5493001KJTIIGC8Y1R17", "5299BORSIG0000000099", "5299DEUTSCHEKNM00088"
    organizations = rows(data, "organizations")
    for row in organizations:
        row["lei"], row["lei_source"] = {"otis-worldwide": (otis, "ext-otis-2"),
                                         "borsig": (borsig, "ext-borsig-1")}.get(row["id"], ("", ""))
    write(data / "organizations.csv", list(organizations[0]), organizations)
    level1 = write(tmp_path / "lei2.csv", LEVEL1, [
        entity(otis, "Otis Worldwide Corporation", "Berlin", hq_city="Berlin"),
        entity(borsig, "BORSIG GmbH", "Berlin"), entity(knm, "Deutsche KNM GmbH", "Berlin")])
    level2 = write(tmp_path / "rr.csv", LEVEL2, [relation(borsig, knm, "IS_DIRECTLY_CONSOLIDATED_BY", "2008-01-01")])
    import_gleif(data, (level1, level2), capsys, region="berlin-brandenburg")
    orgs = {r["id"]: r for r in rows(data, "organizations")}
    assert orgs["borsig"]["parent"] == "knm-group" and orgs["otis-worldwide"]["headquarters"] == "farmington-ct"
    new_parent = next(r["id"] for r in orgs.values() if r["lei"] == knm)
    assert any(r["child"] == "borsig" and r["parent"] == new_parent for r in rows(data, "parent_relations"))
    flags = [f for f in rows(data, "flags") if f["kind"] == "differs" and f["source"].startswith("gleif-")]
    assert {f["subjects"].split(";")[0] for f in flags} == {"borsig", "otis-worldwide"}
    result = build(data, ONTOLOGY)
    contested = {str(t.subject.value) for t in result.store.quads_for_pattern(None, None, BBMB.ContestedFact, None)}
    assert result.iris.contested("control-otis-worldwide").value in contested


def test_gleif_errors_name_file_row_and_column(region: Path, golden: tuple[Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(region)
    no_lei = write(tmp_path / "bad.csv", [c for c in LEVEL1 if c != "LEI"], [])
    assert main(["import", "gleif", str(no_lei), "--region", "example-land", "--data", str(region)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(no_lei) in line and "row 1" in line and "field 'LEI'" in line and "column is missing" in line
    assert main(["import", "gleif", str(golden[0]), "--region", "atlantis", "--data", str(region)]) == 2
    assert "unknown place 'atlantis'" in one_error_line(capsys.readouterr().err)
    assert snapshot(region) == before


def test_a_golden_copy_zip_is_read_without_unpacking(region: Path, golden: tuple[Path, Path], tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    zipped = tmp_path / "lei2.csv.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(golden[0], "20250502-gleif-goldencopy-lei2-golden-copy.csv")
    import_gleif(region, (zipped, golden[1]), capsys)
    assert {r["lei"] for r in rows(region, "organizations") if r.get("lei")} == {CHILD, PARENT, TOP, OLD}


def test_bods_matches_by_lei_then_wikidata_and_keeps_unspecified_persons(
        region: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An entity with the Wikidata id of a row is that row (whatever its name); an anonymous person's
    interest is kept as held by an unspecified party with the reason BODS gives."""
    organizations = rows(region, "organizations")
    organizations[0].update(wikidata="Q4115189", wikidata_source="example-source")
    write(region / "organizations.csv", list(organizations[0]), organizations)
    statements = load("core/01-direct-ownership").statements
    acme, jane, relation = statements
    acme["recordDetails"]["identifiers"] = [{"scheme": "XI-LEI", "id": CHILD},
                                            {"scheme": "XI-WIKIDATA", "id": "Q4115189"}]
    jane["recordDetails"] = {"isComponent": False, "personType": "anonymousPerson",
                             "unspecifiedPersonDetails": {"reason": "interestedPartyExemptFromDisclosure",
                                                          "description": "Protected under national law"}}
    out = import_bods(region, statements, capsys)
    assert "matched by wikidata: 1" in out
    (example,) = rows(region, "organizations")  # no second row for Acme: it is the example firm
    assert (example["lei"], example["lei_source"]) == (CHILD, f"bods-{acme['recordId']}")
    assert example["name"] == "Example Machines"  # the table's own name stays
    held = [r for r in rows(region, "parent_relations") if r["source"] == f"bods-{relation['recordId']}"]
    assert len(held) == 2  # shareholding and votingRights
    assert {(r["child"], r["party"], r["parent"], r["reason"], r["note"]) for r in held} == {
        ("example-firm", "unspecified", "", "interestedPartyExemptFromDisclosure", "Protected under national law")}
    # the next import finds it by its LEI even after the Wikidata id is gone
    organizations = rows(region, "organizations")
    organizations[0].update(wikidata="", wikidata_source="")
    write(region / "organizations.csv", list(organizations[0]), organizations)
    acme["recordDetails"]["identifiers"] = [{"scheme": "XI-LEI", "id": CHILD}]
    acme["recordId"] = relation["recordDetails"]["subject"] = "rec-acme-renumbered"
    assert "matched by lei: 1" in import_bods(region, statements, capsys)


def test_a_later_statement_of_a_record_updates_its_source_and_adds_no_row(
        region: Path, capsys: pytest.CaptureFixture[str]) -> None:
    statements = load("edge-cases/11-anonymous-person").statements
    import_bods(region, statements, capsys)
    later = json.loads(json.dumps(statements[0]))
    later.update(statementId="f11-e1-later", statementDate="2026-05-01", recordStatus="updated")
    out = import_bods(region, [*statements, later], capsys)
    assert "matched by record: 1" in out and "sources updated: 1" in out
    assert len(imported_orgs(region)) == 1
    source = next(r for r in rows(region, "sources") if r["id"] == "bods-rec-opaque-holdings-sa")
    assert "f11-e1-later" in source["title"] and "statementDate 2026-05-01" in source["note"]


def test_a_failed_write_leaves_the_data_folder_as_it_was(region: Path, golden: tuple[Path, Path],
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(region)
    written: list[str] = []
    real = Path.write_text

    def fail_on_the_third(self: Path, text: str, *args: object, **kwargs: object) -> int:
        if ".gen-" in str(self):
            written.append(self.name)
            if len(written) == 3:
                raise OSError(28, "No space left on device")
        return real(self, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", fail_on_the_third)
    args = ["import", "gleif", str(golden[0]), str(golden[1]), "--region", "example-land", "--data", str(region)]
    assert main(args) == 3
    assert "the disk is full" in one_error_line(capsys.readouterr().err)
    assert len(written) == 3
    assert snapshot(region) == before
    assert not [p for p in region.iterdir() if p.name.startswith(".")]


def test_bods_odd_optional_fields_are_left_out_with_a_note_not_a_traceback(
        region: Path, capsys: pytest.CaptureFixture[str]) -> None:
    statements = load("edge-cases/10-circular-ownership").statements
    alpha, beta, alpha_owns_beta, _ = statements
    alpha["publicationDetails"]["publisher"] = "a string, not an object"
    alpha["recordDetails"]["identifiers"] = [{"scheme": "XI-LEI", "id": "not-an-lei"}, "junk"]
    alpha["recordDetails"]["jurisdiction"] = ["GB"]
    alpha_owns_beta["recordDetails"]["interests"][0]["share"] = [100]
    out = import_bods(region, statements, capsys)
    assert "'not-an-lei' is not a valid LEI; left out" in out
    assert {r["lei"] for r in imported_orgs(region)} == {""}
    assert {r["share"] for r in imported_relations(region)} == {"", "100"}
    beta["recordDetails"] = "a string"
    broken = region.parent / "broken.json"
    broken.write_text(json.dumps(statements), encoding="utf-8")
    assert main(["import", "bods", str(broken), "--data", str(region)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "row 2" in line and "field 'recordDetails'" in line and "is not an object" in line


def test_a_malformed_lei_in_level1_is_named_by_file_row_and_column(
        region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    level1 = write(tmp_path / "lei2.csv", LEVEL1, [entity(CHILD, "Beispiel Maschinen GmbH", "Beispielstadt"),
                                                   entity("12345", "Kurz GmbH", "Beispielstadt")])
    before = snapshot(region)
    assert main(["import", "gleif", str(level1), "--region", "example-land", "--data", str(region)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(level1) in line and "row 3" in line and "field 'LEI'" in line and "'12345' is not an LEI" in line
    assert snapshot(region) == before


def test_an_import_keeps_each_file_as_the_spreadsheet_saved_it(region: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """German Excel's ';', a byte-order mark and CRLF stay; rows the import leaves alone keep their text."""
    path = region / "organizations.csv"
    with open(path, encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerows(table)
    before = path.read_bytes().decode("utf-8")
    assert before.startswith("\ufeff") and "\r\n" in before
    import_bods(region, load("core/01-direct-ownership").statements, capsys)
    after = path.read_bytes().decode("utf-8")
    assert after.startswith(before)  # the header and the example row, byte for byte, then the new row
    new_line = after[len(before):]
    assert new_line.endswith("\r\n") and new_line.count("\r\n") == 1 and ";" in new_line
    assert [r["name"] for r in rows(region, "organizations")] == ["Example Machines", "Acme Holdings Ltd"]


def test_an_ultimate_parent_stands_in_only_where_no_direct_parent_is_recorded(
        region: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    level1 = write(tmp_path / "lei2.csv", LEVEL1, [entity(CHILD, "Beispiel Maschinen GmbH", "Beispielstadt"),
                                                   entity(TOP, "Top Group SE", "Paris", "FR")])
    level2 = write(tmp_path / "rr.csv", LEVEL2, [relation(CHILD, TOP, "IS_ULTIMATELY_CONSOLIDATED_BY", "2015-01-01")])
    import_gleif(region, (level1, level2), capsys)
    orgs = {r["lei"]: r for r in rows(region, "organizations") if r.get("lei")}
    assert (orgs[CHILD]["parent"], orgs[CHILD]["parent_certainty"]) == (orgs[TOP]["id"], "implied")
