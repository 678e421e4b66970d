"""``kg push --method bulk``: Virtuoso's bulk loader, over ISQL, from files in a DirsAllowed folder.

A real Virtuoso 7.2 (tests/servers.py) is started on 127.0.0.1 with its SQL port free-picked and its
folder in ``DirsAllowed``; the repository's data is pushed with ``kg push --method bulk`` as a user
runs it, the password in ``$KG_PASSWORD`` (never on kg's command line).  Every
saved query must then give on the server the row digest it gives on the embedded store.  Files the
server cannot read, and a wrong password, are refused with a message that says what to do; a bulk
push replaces the graphs in place, so after a failed one queries refuse to run until a push completes.
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.bulkload import BulkLoader, BulkLoadError
from kg.query import library, run
from kg.remote import Endpoint, RemoteError, push, union_iri
from kg.results import row_digest
from tests.conftest import DATA, ONTOLOGY, ROOT, require_system_package
from tests.servers import VirtuosoServer, virtuoso

QUERIES = library()
HANG_GUARD = 600  # seconds; a guard against a hang, not a speed limit


@pytest.fixture(scope="module")
def vt(tmp_path_factory) -> VirtuosoServer:
    require_system_package("virtuoso-t", "virtuoso-opensource")
    require_system_package("isql-vt", "virtuoso-opensource")
    with virtuoso(tmp_path_factory.mktemp("virtuoso-bulk")) as server:
        yield server


def kg_push(server: VirtuosoServer, folder: Path, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """``kg push --method bulk`` on the repository's data, the password in the environment."""
    return subprocess.run(
        [sys.executable, "-m", "kg", "push", "--endpoint", server.auth_url, "--user", server.user,
         "--method", "bulk", "--isql", f"127.0.0.1:{server.sql_port}", "--dirs-allowed-path", str(folder),
         "--data", str(DATA), "--ontology", str(ONTOLOGY), "--timeout", str(HANG_GUARD), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=HANG_GUARD,
        env={**os.environ, "KG_PASSWORD": password, "NETRC": "/nonexistent"})


def first_firm() -> str:
    """The first organisation of the repository's data (firm-profile needs one)."""
    with open(DATA / "organizations.csv", encoding="utf-8") as handle:
        return next(csv.DictReader(handle))["id"]


def test_a_bulk_push_gives_every_saved_query_the_embedded_rows(vt, built):
    loads = vt.folder / "loads"  # inside the server's folder, which its DirsAllowed lists
    loads.mkdir()
    done = kg_push(vt, loads, vt.password)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bulk loader" in done.stderr
    assert list(loads.iterdir()) == []  # the files are removed after the load
    endpoint = Endpoint(vt.sparql_url, base=built.iris.base)
    assert endpoint.union_graph() == union_iri(built.iris)
    manifest = endpoint.manifest()
    assert manifest is not None and manifest["state"] == "complete"
    differ = []
    for name, query in sorted(QUERIES.items()):
        params = {p.name: first_firm() for p in query.params if p.default is None and p.kind == "org"}
        local = run(query, built.store, params, built.iris)
        remote = run(query, endpoint, params, built.iris)
        if row_digest(remote) != row_digest(local):
            differ.append(f"{name}: {len(remote)} rows on Virtuoso against {len(local)}")
    assert not differ, differ


def test_files_the_server_cannot_read_are_refused_and_no_query_answers_from_a_mix(vt, built, tmp_path):
    # a push over HTTP first, then a bulk push whose files the server does not find (a wrong --server-dir)
    push(built.store, vt.auth_url, user=vt.user, password=vt.password, base=built.iris.base, timeout=HANG_GUARD)
    loader = BulkLoader(f"127.0.0.1:{vt.sql_port}", vt.user, vt.password, tmp_path, server_dir=str(tmp_path / "gone"))
    with pytest.raises(BulkLoadError, match="refused [0-9]+ file.*--server-dir"):
        push(built.store, vt.auth_url, user=vt.user, password=vt.password, base=built.iris.base,
             timeout=HANG_GUARD, bulk=loader)
    assert list(tmp_path.iterdir()) == []  # the files are removed
    # the graphs are replaced in place: the manifest says the push did not finish, and queries refuse to run
    with pytest.raises(RemoteError, match="did not finish"):
        run(QUERIES["control-summary"], Endpoint(vt.sparql_url, base=built.iris.base), {}, built.iris)
    # until a push completes
    loads = vt.folder / "loads-again"
    loads.mkdir()
    push(built.store, vt.auth_url, user=vt.user, password=vt.password, base=built.iris.base, timeout=HANG_GUARD,
         bulk=BulkLoader(f"127.0.0.1:{vt.sql_port}", vt.user, vt.password, loads))
    query, endpoint = QUERIES["control-summary"], Endpoint(vt.sparql_url, base=built.iris.base)
    assert row_digest(run(query, endpoint, {}, built.iris)) == row_digest(run(query, built.store, {}, built.iris))


def test_a_wrong_password_is_refused_without_showing_it(tmp_path):
    # a server of its own: Virtuoso refuses every login from an address for a while after failed ones
    require_system_package("isql-vt", "virtuoso-opensource")
    with virtuoso(tmp_path / "server") as server:
        loads = server.folder / "loads"
        loads.mkdir()
        done = kg_push(server, loads, "not-the-password")
        assert done.returncode == 3
        line = done.stderr.strip().splitlines()[-1]
        assert line.startswith("error: ") and "refused" in line, done.stderr[-1000:]
        assert "not-the-password" not in done.stderr + done.stdout
        # the SQL login itself (the HTTP one above refuses first): said as such, the password not shown
        loader = BulkLoader(f"127.0.0.1:{server.sql_port}", server.user, "not-the-password", loads)
        with pytest.raises(BulkLoadError, match="refused the SQL login of user 'dba'") as refused:
            loader.run("SELECT 1;")
        assert "not-the-password" not in str(refused.value)


def test_bulk_options_are_checked_before_the_build(tmp_path):
    for extra, says in ((["--method", "bulk"], "--dirs-allowed-path"),
                        (["--method", "bulk", "--dirs-allowed-path", str(tmp_path / "missing")], "no such folder"),
                        (["--dirs-allowed-path", str(tmp_path)], "is for --method bulk")):
        done = subprocess.run([sys.executable, "-m", "kg", "push", "--endpoint", "http://127.0.0.1:9/sparql",
                               *extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and says in done.stderr, done.stderr
