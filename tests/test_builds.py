"""Build once, query many (kg.builds): later commands use the build's store, or say why not."""
from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kg.builds import RECORD, STORES, find_build
from kg.cli import main
from kg.namespaces import IRIs

ROOT = Path(__file__).resolve().parent.parent
BASE = IRIs(None).base


@pytest.fixture()
def built(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    out = tmp_path / "out"
    assert main(["build", "--data", str(data), "--out", str(out), "--no-validate"]) == 0
    return data, out


def query(capsys, *args: str) -> tuple[str, str]:
    assert main(["query", *args, "--format", "csv"]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_a_query_after_a_build_uses_its_store_and_answers_as_a_fresh_build(built, capsys):
    data, out = built
    used, err = query(capsys, "control-summary", "--data", str(data), "--build", str(out))
    assert f"using the build in {out}" in err and "building" not in err
    fresh, err = query(capsys, "control-summary", "--data", str(data), "--build", str(out / "nothing-here"))
    assert "there is no build in" in err and "building from" in err
    assert used == fresh and used.count("\n") == 4  # a header and the three areas


def test_a_changed_table_is_said_and_the_answer_is_of_the_new_data(built, capsys):
    data, out = built
    before, _ = query(capsys, "firm-profile", "--param", "firm=korsch", "--data", str(data), "--build", str(out))
    organizations = data / "organizations.csv"
    organizations.write_text(organizations.read_text(encoding="utf-8").replace("KORSCH AG", "KORSCH Renamed AG"),
                             encoding="utf-8")
    after, err = query(capsys, "firm-profile", "--param", "firm=korsch", "--data", str(data), "--build", str(out))
    assert f"the build in {out} is out of date: organizations.csv changed since it was built" in err
    assert "KORSCH Renamed AG" in after and "KORSCH Renamed AG" not in before
    # building again makes the store current
    assert main(["build", "--data", str(data), "--out", str(out), "--no-validate"]) == 0
    capsys.readouterr()
    again, err = query(capsys, "firm-profile", "--param", "firm=korsch", "--data", str(data), "--build", str(out))
    assert "using the build" in err and again == after


def test_another_reading_or_base_does_not_use_the_build(built, capsys):
    data, out = built
    _, err = query(capsys, "control-summary", "--data", str(data), "--build", str(out), "--reading", "external")
    assert "it was built with reading 'primary', not 'latest'" in err
    found = find_build(out, data, ROOT / "ontology", "https://example.org/other/", "brief")
    assert not found.usable and "built with base" in found.reason


def test_the_record_names_its_store_and_old_stores_are_pruned(built):
    data, out = built
    for _ in range(3):
        assert main(["build", "--data", str(data), "--out", str(out), "--no-validate", "--formats", "nquads"]) == 0
    record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    stores = sorted(p.name for p in (out / STORES).iterdir())
    assert record["store"] in stores and len(stores) == 2  # the current one and the one before
    assert record["reading"] == "primary" and record["counts"]["firms"] == 33
    assert set(record["files"]["data"]) >= {"organizations.csv", "sites.csv"}


def test_a_low_memory_build_leaves_a_store_that_answers_as_the_build_in_memory(built, capsys):
    data, out = built
    in_memory, _ = query(capsys, "firm-facts", "--data", str(data), "--build", str(out))
    assert main(["build", "--data", str(data), "--out", str(out), "--no-validate", "--low-memory"]) == 0
    capsys.readouterr()
    record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    assert (out / STORES / record["store"] / "CURRENT").is_file()
    on_disk, err = query(capsys, "firm-facts", "--data", str(data), "--build", str(out))
    assert f"using the build in {out}" in err
    assert on_disk == in_memory and on_disk.count("\n") > 30


def test_a_low_memory_build_that_fails_leaves_no_store(built, capsys):
    data, out = built
    import csv

    stores = sorted((out / STORES).iterdir())
    organizations = data / "organizations.csv"
    with open(organizations, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # a firm without a description: the SHACL shapes refuse it, after the store was filled
        if row["id"] == "gefertec":
            row["description_de"] = row["description_en"] = ""
    with open(organizations, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["build", "--data", str(data), "--out", str(out), "--low-memory"]) != 0
    assert "a firm needs a description" in capsys.readouterr().err
    assert sorted((out / STORES).iterdir()) == stores, "the failed build's store folder is gone"


def test_the_build_saves_the_views_catalogue_and_exports_read_it(built, tmp_path):
    """The build keeps the answers of the views' catalogue beside its store: kg export reads them (not the store)
    and writes the same files as from the store itself."""
    from kg.views.answers import SAVED, saved_file
    from kg.views.catalogue import QUERIES

    data, out = built
    folder = out / STORES / json.loads((out / RECORD).read_text(encoding="utf-8"))["store"]
    assert sorted(p.name for p in (folder / SAVED).iterdir()) == \
        sorted(saved_file(folder, name, text).name for name, text in QUERIES.items())

    def export(name: str) -> dict[str, bytes]:
        assert main(["export", "gexf", "--data", str(data), "--build", str(out), "--out", str(tmp_path / name)]) == 0
        return {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}

    from_saved = export("saved")
    labels = saved_file(folder, "labels", QUERIES["labels"])
    firm = f"{BASE}org/korsch\tKORSCH\t"
    labels.write_text(labels.read_text(encoding="utf-8").replace(firm, firm.replace("KORSCH", "KORSCH Saved")),
                      encoding="utf-8")
    assert b'label="KORSCH Saved"' in export("changed")["hq.gexf"]  # what was saved is what is read
    shutil.rmtree(folder / SAVED)
    from_store = export("store")
    assert from_store == from_saved and b'label="KORSCH"' in from_store["hq.gexf"]


def test_no_store_leaves_only_the_files_and_commands_say_so(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--no-validate", "--no-store", "--formats", "nquads"]) == 0
    assert not (out / STORES).exists()
    _, err = query(capsys, "control-summary", "--build", str(out))
    assert "has no store" in err or "there is no build" in err


def test_serve_opens_the_build_store_in_each_worker(built):
    from kg.serve import serve

    data, out = built
    found = find_build(out, data, ROOT / "ontology", BASE, "brief")
    assert found.usable and found.store_path is not None
    with serve(found.store_path, workers=2) as server:
        text = "SELECT (COUNT(*) AS ?n) WHERE { ?firm a <https://w3id.org/bbmb/def#Firm> }"
        request = urllib.request.Request(f"{server.sparql_url}?{urllib.parse.urlencode({'query': text})}",
                                         headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=20) as response:
            body = json.load(response)
    assert body["results"]["bindings"][0]["n"]["value"] == "33"


@pytest.mark.parametrize("mode", [[], ["--low-memory"]], ids=["default", "low-memory"])
def test_the_nquads_file_holds_the_text_of_the_store(tmp_path, mode):
    """kg.nq is written as the store is loaded, not dumped from it afterwards: it holds the same quads in the
    same text (numbers as the store writes them back, the ontology's blank nodes by the same names), and no
    part of it is left behind."""
    from pyoxigraph import RdfFormat, Store

    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--no-validate", "--formats", "nquads", *mode]) == 0
    record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    store = Store.read_only(str(out / STORES / record["store"]))
    dumped = store.dump(format=RdfFormat.N_QUADS).decode("utf-8").splitlines()
    written = (out / "kg.nq").read_text(encoding="utf-8").splitlines()
    assert len(written) == len(store) > 5_000
    assert sorted(written) == sorted(dumped)
    assert not list(out.rglob("*.partial"))


def test_a_build_too_large_for_memory_goes_straight_into_the_on_disk_store(built, tmp_path, monkeypatch, capsys):
    """Where the tables would take more memory built in memory than kg allows (kg.build.IN_MEMORY_LIMIT, or half the
    machine's), kg build builds only into its on-disk store, says so, and the store and kg.nq hold what a build in
    memory gives."""
    import importlib

    data, out = built
    # every table "too large" (the module: the package's name kg.build is the function)
    monkeypatch.setattr(importlib.import_module("kg.build"), "MEMORY_PER_ROW", 10**12)
    large = tmp_path / "large"
    assert main(["build", "--data", str(data), "--out", str(large), "--no-validate"]) == 0
    assert "building straight into the on-disk store (as --low-memory)" in capsys.readouterr().err

    def named(folder: Path) -> list[str]:  # the ontology's blank nodes get new names in each build
        return sorted(line for line in (folder / "kg.nq").read_text(encoding="utf-8").splitlines() if "_:" not in line)
    assert named(large) == named(out)
    in_memory, _ = query(capsys, "firm-facts", "--data", str(data), "--build", str(out))
    on_disk, err = query(capsys, "firm-facts", "--data", str(data), "--build", str(large))
    assert f"using the build in {large}" in err and on_disk == in_memory
