"""A real SPARQL server: Virtuoso Open Source, started for this module on 127.0.0.1 and stopped by pid.

``kg push`` loads the built graph into it (SPARQL Update, then the Graph Store Protocol), replacing
the project's own graphs (and their union graph, which queries take as default graph) only; every
saved query then gives the same rows there as on the embedded store.  Also the errors a user meets:
unreachable server, no answer, wrong password, bad query.  (tests/test_cross_server.py compares
the embedded store, Oxigraph's server and Virtuoso on 1,000 synthetic firms.)
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.parse
from decimal import Decimal

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store
from SPARQLWrapper import DIGEST, JSON, POST, SPARQLWrapper

from kg.cli import main
from kg.namespaces import ONTOLOGY_IRI
from kg.query import library, run
from kg.remote import Endpoint, RemoteError, Unauthorized, push
from tests.conftest import require_system_package
from tests.servers import basic_auth_proxy, free_port, virtuoso
from tests.test_queries import VARIANTS

FOREIGN_GRAPH = "http://example.org/someone-elses-graph"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_system_package("virtuoso-t", "virtuoso-opensource")
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as running:
        yield running


def update(server, text: str) -> None:
    client = SPARQLWrapper(server.auth_url, updateEndpoint=server.auth_url)
    client.setHTTPAuth(DIGEST)
    client.setCredentials(server.user, server.password)
    client.setMethod(POST)
    client.setQuery(text)
    client.query().response.read()


def select(server, text: str) -> list[dict]:
    client = SPARQLWrapper(server.sparql_url)
    client.setReturnFormat(JSON)
    client.setQuery(text)
    return client.queryAndConvert()["results"]["bindings"]


def project_triples(server, base: str) -> int:
    rows = select(server, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
                          f'FILTER(STRSTARTS(STR(?g), "{base}graph/") || ?g = <{ONTOLOGY_IRI}>) }}')
    return int(rows[0]["n"]["value"])


@pytest.fixture(scope="module")
def pushed(server, built):
    """Someone else's graph, a graph planted under our base, and a graph an earlier push of ours made
    that the build lacks, are on the server; then kg push (SPARQL Update)."""
    stale = built.iris.graph("source-removed-since").value
    planted = built.iris.graph("planted-by-someone").value
    update(server, f'INSERT DATA {{ GRAPH <{FOREIGN_GRAPH}> {{ <http://example.org/a> <http://example.org/b> "kept" }} '
                   f'GRAPH <{planted}> {{ <http://example.org/a> <http://example.org/b> "planted" }} }}')
    earlier = Store()
    earlier.add(Quad(NamedNode("http://example.org/a"), NamedNode("http://example.org/b"), Literal("stale"),
                     NamedNode(stale)))
    push(earlier, server.auth_url, user=server.user, password=server.password, base=built.iris.base)
    report = push(built.store, server.auth_url, user=server.user, password=server.password, base=built.iris.base)
    return report, stale, planted


def test_push_replaces_the_projects_graphs_and_nothing_else(server, built, pushed):
    report, stale, planted = pushed
    assert report.triples == len(built.store) and report.dropped == [stale]
    assert project_triples(server, built.iris.base) == len(built.store) + 1  # ours, and the planted graph
    kept = select(server, f"SELECT ?o WHERE {{ GRAPH <{FOREIGN_GRAPH}> {{ ?s ?p ?o }} }}")
    assert [b["o"]["value"] for b in kept] == ["kept"]
    # a graph under our base that no push of ours made is left alone, and queries do not see it
    assert [b["o"]["value"] for b in select(server, f"SELECT ?o WHERE {{ GRAPH <{planted}> {{ ?s ?p ?o }} }}")] \
        == ["planted"]
    assert run('SELECT ?s WHERE { ?s ?p "planted" }', Endpoint(server.sparql_url, base=built.iris.base)).rows == []


def test_a_second_push_by_graph_store_protocol_replaces_rather_than_adds(server, built, pushed):
    report = push(built.store, server.auth_url, gsp=server.gsp_url, user=server.user, password=server.password,
                  base=built.iris.base)
    assert report.graphs == len({q.graph_name.value for q in built.store}) and report.dropped == []
    assert project_triples(server, built.iris.base) == len(built.store) + 1  # and the planted graph
    assert len(select(server, f"SELECT ?o WHERE {{ GRAPH <{FOREIGN_GRAPH}> {{ ?s ?p ?o }} }}")) == 1


def _comparable(rows: list[dict]) -> list[tuple]:
    """Rows as sorted tuples; numbers compared by value (servers differ in integer/decimal types)."""
    def value(v):
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return ("number", round(float(v), 6))
        return ("unbound", "") if v is None else ("term", v)
    return sorted(tuple(sorted((k, value(v)) for k, v in row.items())) for row in rows)


#: Defaults, plus one other value of each parameter (the VALUES block on a real server).
CASES = [(name, params) for name in sorted(library()) for params in VARIANTS[name][:2]]


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}{'-' + '-'.join(p.values()) if p else ''}" for n, p in CASES])
def test_every_saved_query_gives_the_same_rows_on_virtuoso(server, built, pushed, name, params):
    endpoint = Endpoint(server.sparql_url, base=built.iris.base)
    local = run(name, built.store, params, built.iris).records()
    remote = run(name, endpoint, params, built.iris).records()
    assert local, name
    assert _comparable(remote) == _comparable(local)


def test_queries_name_the_union_graph_and_named_graphs_only_for_a_graph_pattern():
    from kg.query import with_dataset

    plain = "SELECT * WHERE { ?s ?p ?o }"
    assert with_dataset(plain, ["urn:g1", "urn:g2"], "urn:u") == "SELECT * FROM <urn:u>\nWHERE { ?s ?p ?o }"
    graph = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert with_dataset(graph, ["urn:g1", "urn:g2"], "urn:u") == \
        "SELECT * FROM <urn:u>\nFROM NAMED <urn:g1>\nFROM NAMED <urn:g2>\nWHERE { GRAPH ?g { ?s ?p ?o } }"
    # without a union graph (a server pushed by an older kg): every graph, as before
    assert with_dataset(plain, ["urn:g1"]) == "SELECT * FROM <urn:g1>\nFROM NAMED <urn:g1>\nWHERE { ?s ?p ?o }"


def test_the_pushed_server_is_queried_through_its_union_graph(server, built, pushed):
    from kg.remote import union_iri

    endpoint = Endpoint(server.sparql_url, base=built.iris.base)
    assert endpoint.union_graph() == union_iri(built.iris)
    assert endpoint.manifest()["union"] == union_iri(built.iris)
    assert union_iri(built.iris) not in endpoint.project_graphs()
    assert pushed[0].union_triples == len({q.triple for q in built.store})


def test_queries_on_the_server_see_only_the_projects_graphs(server, built, pushed):
    text = 'SELECT ?s WHERE { ?s ?p "kept" }'
    assert len(select(server, text)) == 1  # the server's own default graph holds everything
    assert run(text, Endpoint(server.sparql_url, base=built.iris.base)).rows == []


def test_an_unknown_id_on_a_server_is_an_error_with_the_nearest_ids(server, built, pushed):
    from kg.query import QueryError
    endpoint = Endpoint(server.sparql_url, base=built.iris.base)
    with pytest.raises(QueryError, match=r"'berln' is unknown.*Did you mean 'berlin'"):
        run("hq-absence", endpoint, {"region": "berln"}, built.iris)
    assert run("hq-absence", endpoint, {"region": "berlin"}, built.iris).rows  # a known id still answers


def test_kg_push_and_kg_query_with_an_endpoint(server, pushed, capsys):
    assert main(["push", "--endpoint", server.auth_url, "--gsp", server.gsp_url,
                 "--user", server.user, "--password", server.password]) == 0
    assert "stale graphs dropped: 0" in capsys.readouterr().out
    assert main(["query", "hq-absence", "--endpoint", server.sparql_url, "--param", "region=brandenburg",
                 "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "ZF Getriebewerk Brandenburg an der Havel" in out and "Otis" not in out


def test_kg_push_of_a_build_checks_its_union_by_the_count_the_build_recorded(server, pushed, tmp_path,
                                                                             monkeypatch, capsys):
    """kg push of a build checks the union graph it loaded against the distinct triples the build's record
    counts, not by counting them again (the engine held every distinct triple for that: over 14 GB at a
    million firms); the server then holds exactly that many in the union graph."""
    import json

    import kg.remote
    from kg.namespaces import IRIs
    from kg.remote import union_iri

    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--no-validate", "--formats", "nquads"]) == 0
    recorded = json.loads((out / "build.json").read_text())["counts"]["triples"]
    monkeypatch.setattr(kg.remote, "count_triples", lambda store: pytest.fail("the union counted again"))
    assert main(["push", "--build", str(out), "--endpoint", server.auth_url, "--user", server.user,
                 "--password", server.password]) == 0
    assert "stale graphs dropped: 0" in capsys.readouterr().out
    union = union_iri(IRIs())
    held = select(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{union}> {{ ?s ?p ?o }} }}")
    assert int(held[0]["n"]["value"]) == recorded > 1000


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    """No $KG_USER, $KG_PASSWORD or netrc file of the machine's user: $NETRC names one in tmp_path, not there yet."""
    monkeypatch.delenv("KG_USER", raising=False)
    monkeypatch.delenv("KG_PASSWORD", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    return tmp_path / "netrc"


def test_a_wrong_password_is_named(server, built, no_credentials, capsys):
    with pytest.raises(Unauthorized, match=r"refused access \(HTTP 401\): give the right --user and --password"):
        push(built.store, server.auth_url, user=server.user, password="not-the-password")
    assert main(["push", "--endpoint", server.auth_url, "--user", "dba", "--password", "wrong"]) == 3
    err = capsys.readouterr().err
    assert "refused access (HTTP 401) to user 'dba' with the password from --password" in err
    assert "wrong" not in err


def test_kg_push_takes_the_password_from_the_environment_or_netrc(server, pushed, no_credentials, monkeypatch,
                                                                    capsys):
    """kg push takes the password from $KG_USER/$KG_PASSWORD, else from the netrc entry for the endpoint's
    host; a refusal says where the password came from and where kg looked, never the password."""
    command = ["push", "--endpoint", server.auth_url, "--gsp", server.gsp_url]
    assert main(command) == 3
    assert "refused access (HTTP 401) without a user (looked at: --password, not given; $KG_PASSWORD, not set; " \
           f"{no_credentials}, no such file)" in capsys.readouterr().err
    monkeypatch.setenv("KG_USER", server.user)
    monkeypatch.setenv("KG_PASSWORD", server.password)
    assert main(command) == 0
    assert "stale graphs dropped: 0" in capsys.readouterr().out
    monkeypatch.delenv("KG_USER")
    monkeypatch.delenv("KG_PASSWORD")
    no_credentials.write_text(f"machine 127.0.0.1\n  login {server.user}\n  password {server.password}\n")
    assert main(command) == 0
    no_credentials.write_text(f"machine 127.0.0.1 login {server.user} password not-{server.password}\n")
    assert main(command) == 3
    err = capsys.readouterr().err
    assert f"refused access (HTTP 401) to user 'dba' with the password from {no_credentials} (machine 127.0.0.1)" \
           in err and f"not-{server.password}" not in err


def test_kg_query_takes_the_password_from_the_environment_or_netrc(server, pushed, no_credentials, monkeypatch,
                                                                    capsys):
    """The same for kg query --endpoint, on a server that guards its reads with HTTP basic authentication."""
    with basic_auth_proxy(server.sparql_url, "analyst", "s3cret") as url:
        query = ["query", "hq-absence", "--endpoint", url, "--auth", "basic", "--param", "region=brandenburg"]
        assert main(query) == 3
        assert f"{url} refused access (HTTP 401) without a user" in capsys.readouterr().err
        monkeypatch.setenv("KG_USER", "analyst")
        monkeypatch.setenv("KG_PASSWORD", "s3cret")
        assert main(query) == 0
        assert "ZF Getriebewerk Brandenburg an der Havel" in capsys.readouterr().out
        monkeypatch.setenv("KG_PASSWORD", "wrong")
        assert main(query) == 3
        err = capsys.readouterr().err
        assert "to user 'analyst' with the password from $KG_PASSWORD (looked at: --password, not given; " \
               "$KG_PASSWORD, set)" in err and "wrong" not in err
        monkeypatch.delenv("KG_PASSWORD")  # $KG_USER stays: the netrc entry for that login is taken
        no_credentials.write_text("default login nobody password none\n"
                                  "machine 127.0.0.1 login analyst password s3cret\n")
        assert main(query) == 0
        assert "ZF Getriebewerk Brandenburg an der Havel" in capsys.readouterr().out
        assert main([*query, "--password", "wrong"]) == 3  # the option comes first
        assert "with the password from --password" in capsys.readouterr().err


def test_the_servers_complaint_about_a_query_is_passed_on(server, built, pushed):
    endpoint = Endpoint(server.sparql_url, base=built.iris.base)
    with pytest.raises(RemoteError, match=r"HTTP (400|500)\): .*(SPARQL|syntax|SP030)"):
        endpoint.query("SELECT ?x WHERE { ?x <urn:p> ?y } GROUP BY ?nothing ORDER")
    with pytest.raises(RemoteError, match=r"no such endpoint \(HTTP 404\)"):
        Endpoint(server.base_url + "/no-sparql-here", graphs=["urn:g"]).query("ASK {}")


class _HurriedEndpoint(Endpoint):
    """An endpoint asking Virtuoso to stop each query after 300 ms (its ``timeout`` parameter), as a busy
    server's ``MaxQueryExecutionTime`` would: Virtuoso then answers HTTP 200 with the rows found so far."""

    def _wrapper(self, text, graphs, union=None):
        sparql = super()._wrapper(text, graphs, union)
        sparql.addParameter("timeout", "300")
        return sparql


def test_a_partial_answer_is_refused_not_counted(server, built, pushed):
    """Stopped at its time limit, Virtuoso answers the rows found so far, marked as partial (on a busy machine it
    may have found none, and says it killed the query): never a count, but an error that says what to do."""
    endpoint = _HurriedEndpoint(server.sparql_url, base=built.iris.base)
    every_triple_thrice = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z }"
    with pytest.raises(RemoteError, match=r"gave only part of the answer \(X-SQL-State S1TAT: .*incomplete.*"
                                          r"MaxQueryExecutionTime|stopped the query at its time limit .*SR203.*"
                                          r"MaxQueryExecutionTime"):
        endpoint.query(every_triple_thrice)
    # a query that ends in time is answered as before
    assert endpoint.query("ASK { ?s ?p ?o }").boolean is True


def test_an_unreachable_server_is_named():
    url = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(RemoteError, match=f"cannot reach {url}: connection refused"):
        Endpoint(url).query("SELECT * WHERE { ?s ?p ?o }")


def test_a_server_that_does_not_answer_times_out():
    """A port that accepts connections and never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        held: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            silent.settimeout(0.2)
            while not stop.is_set():
                try:
                    held.append(silent.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/sparql"
        try:
            with pytest.raises(RemoteError, match=f"{url} did not answer within 1 s"):
                Endpoint(url, timeout=1, graphs=["urn:g"]).query("ASK {}")
        finally:
            stop.set()
            thread.join(2)
            for conn in held:
                conn.close()


# ---------------------------------------------------------------- issue 10: all or nothing, bounded chunks, names
def test_a_graph_name_the_query_cannot_hold_is_a_clear_message(server, capsys):
    base = "http://example.org/other-dataset/"
    from kg.remote import _Http

    _Http(server.gsp_url, server.user, server.password, 30).send(
        "PUT", server.gsp_url + "?graph-uri=" + urllib.parse.quote(base + "graph/a>b", safe=""),
        b'<http://example.org/a> <http://example.org/b> "odd" .', "text/turtle")
    with pytest.raises(RemoteError, match=r"holds a graph named 'http://example.org/other-dataset/graph/a>b', "
                                          "which is not a valid IRI"):
        Endpoint(server.sparql_url, base=base).query("ASK {}")
    assert main(["query", "hq-absence", "--endpoint", server.sparql_url, "--base", base]) == 3
    err = capsys.readouterr().err
    assert "not a valid IRI" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def synthetic_economy(tmp_path_factory):
    """kg synth --firms 3000, then kg build --data DIR --no-validate (about 127,000 triples; its largest
    graph, the synthetic register, about 55,000: three chunks of 20,000)."""
    from kg.build import build
    from kg.synth import synthesize

    folder = tmp_path_factory.mktemp("synth3k")
    synthesize(folder, 3_000)
    return build(folder)


def test_gsp_push_of_a_synthetic_economy_to_virtuoso_in_chunks(server, synthetic_economy):
    result = synthetic_economy
    base = result.iris.base
    report = push(result.store, server.auth_url, gsp=server.gsp_url, user=server.user, password=server.password,
                  base=base, gsp_chunk=20_000)
    assert report.triples == len(result.store)
    assert project_triples(server, base) >= len(result.store)
    endpoint = Endpoint(server.sparql_url, base=base)
    assert endpoint.manifest()["state"] == "complete"
    assert len(run("control-by-land", endpoint, {}, result.iris)) > 0


def test_gsp_push_of_a_synthetic_economy_to_oxigraph_server(tmp_path, synthetic_economy, built):
    from tests.servers import oxigraph, oxigraph_command

    if oxigraph_command() is None:
        pytest.fail("the oxigraph command is missing: pip install oxigraph (a test dependency)")
    result = synthetic_economy
    with oxigraph(tmp_path / "ox") as ox:
        # a generous time-out: a guard against a hang, not a speed limit (a loaded machine's server is slow)
        report = push(result.store, ox.sparql_url, gsp=ox.gsp_url, base=result.iris.base, gsp_chunk=20_000,
                      timeout=600)
        assert report.triples == len(result.store)
        endpoint = Endpoint(ox.sparql_url, base=result.iris.base)
        assert sorted(endpoint.project_graphs()) == sorted({q.graph_name.value for q in result.store})
        local = run("control-by-land", result.store, {}, result.iris).records()
        assert _comparable(run("control-by-land", endpoint, {}, result.iris).records()) == _comparable(local)
        # and by SPARQL Update, to the server's separate update address (the real data: the same base)
        report = push(built.store, ox.sparql_url, update=ox.update_url, base=built.iris.base, timeout=600)
        assert Endpoint(ox.sparql_url, base=built.iris.base).manifest()["state"] == "complete"
        assert len(report.dropped) > 0  # the synthetic graphs the real build lacks, listed by the manifest


def with_marker(store: Store, iris, text: str) -> Store:
    """The build plus one triple that tells which push a server holds."""
    out = Store()
    out.extend(store)
    out.add(Quad(NamedNode("http://example.org/push-marker"), NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                 Literal(text), iris.graph("derived")))
    return out


def marker(server, iris) -> list[str]:
    rows = run('SELECT ?l WHERE { <http://example.org/push-marker> ?p ?l }',
               Endpoint(server.sparql_url, base=iris.base))
    return [str(r["l"]) for r in rows.records()]


def leftovers(server, iris) -> list[str]:
    """Staging and lock graphs of kg push still on the server."""
    from kg.remote import lock_prefix, staging_prefix

    rows = select(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                          f'FILTER(STRSTARTS(STR(?g), "{staging_prefix(iris)}") || '
                          f'STRSTARTS(STR(?g), "{lock_prefix(iris)}")) }}')
    return [r["g"]["value"] for r in rows]


@pytest.mark.parametrize("gsp", [False, True], ids=["update", "gsp"])
def test_a_push_cut_off_half_way_leaves_the_previous_push_readable(server, built, pushed, monkeypatch, capsys, gsp):
    """The server goes away at 40 % of a push: kg push says so, and queries still answer, from the previous
    complete push (nothing of the new one); the next push completes and cleans up what the cut one left."""
    import kg.remote as remote

    iris = built.iris
    options = dict(gsp=server.gsp_url if gsp else None, user=server.user, password=server.password, base=iris.base)
    push(with_marker(built.store, iris, "previous"), server.auth_url, **options)
    before = run("control-by-land", Endpoint(server.sparql_url, base=iris.base), {}, iris).records()
    calls = {"n": 0}
    real_update, real_send = remote._update, remote._Http.send
    total = 20

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > total * 0.4:
            raise RemoteError(f"cannot reach {server.auth_url}: Remote end closed connection without response")
        return (real_send if gsp else real_update)(*args, **kwargs)

    if gsp:
        monkeypatch.setattr(remote._Http, "send", failing)
    else:
        monkeypatch.setattr(remote, "_update", failing)
    monkeypatch.setattr(remote.time, "sleep", lambda s: None)
    with pytest.raises(RemoteError, match="Remote end closed connection.*attempt 3 of 3"):
        push(with_marker(built.store, iris, "cut off"), server.auth_url, **options)
    monkeypatch.undo()
    assert marker(server, iris) == ["previous"]
    assert run("control-by-land", Endpoint(server.sparql_url, base=iris.base), {}, iris).records() == before
    assert main(["query", "control-by-land", "--endpoint", server.sparql_url]) == 0
    # the next push is not held up by the cut one's lock (its process is known to have stopped), and cleans up
    push(with_marker(built.store, iris, "next"), server.auth_url, **options)
    assert marker(server, iris) == ["next"] and leftovers(server, iris) == []
    push(built.store, server.auth_url, **options)
    assert marker(server, iris) == []


def test_a_switch_the_server_rolls_back_as_a_deadlocks_victim_is_sent_again(server, built, pushed, monkeypatch):
    """Virtuoso answers a transaction it chose as a deadlock's victim with HTTP 500 and SQLSTATE 40001 (for
    example the switch of a push while a second push writes its lock): nothing of it was done, so kg push sends
    the switch again and completes, saying so; it does not blame the address for not taking updates."""
    from SPARQLWrapper import SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import EndPointInternalError

    iris = built.iris
    real_query, victims = SPARQLWrapper.query, []

    def deadlocked_once(self):
        if "MOVE <" in self.queryString and not victims:
            victims.append(self.queryString)
            # the response body, as SPARQLWrapper passes it on
            raise EndPointInternalError(b"Virtuoso 40001 Error SR172: Transaction deadlocked\n\nSPARQL query:\n"
                                        + self.queryString.encode()[:200])
        return real_query(self)

    monkeypatch.setattr(SPARQLWrapper, "query", deadlocked_once)
    said: list[str] = []
    push(with_marker(built.store, iris, "after a deadlock"), server.auth_url, user=server.user,
         password=server.password, base=iris.base, progress=said.append)
    assert victims and marker(server, iris) == ["after a deadlock"] and leftovers(server, iris) == []
    assert any("deadlock's victim; trying again" in m for m in said), said
    assert not any("does not take SPARQL Update" in m for m in said)
    monkeypatch.undo()
    push(built.store, server.auth_url, user=server.user, password=server.password, base=iris.base)
    assert marker(server, iris) == []


@pytest.mark.parametrize("kind", ["virtuoso", "oxigraph"])
def test_two_concurrent_pushes_are_serialised(server, built, pushed, tmp_path, kind, monkeypatch):
    """Two kg push at once on one server: the second waits for the first; both succeed, and the server then
    holds one push whole (the one that ran last), with no staging or lock graph left.  The first is held
    inside its lock until the second has found it there, so the two meet on any machine, however fast."""
    from kg import remote
    from tests.servers import oxigraph

    iris = built.iris
    stores = {name: with_marker(built.store, iris, name) for name in ("first", "second")}
    first_holds_the_lock, second_waits = threading.Event(), threading.Event()
    load = remote._push_staged

    def held_load(plan):
        if threading.current_thread().name == "first":
            first_holds_the_lock.set()
            assert second_waits.wait(300), "the second push never waited for the first"
        return load(plan)

    monkeypatch.setattr(remote, "_push_staged", held_load)
    with contextlib.ExitStack() as stack:
        if kind == "virtuoso":
            target, url, options = server, server.auth_url, dict(user=server.user, password=server.password)
        else:
            target = stack.enter_context(oxigraph(tmp_path / "ox"))
            url, options = target.sparql_url, dict(update=target.update_url)
        said: dict[str, list[tuple[float, str]]] = {name: [] for name in stores}
        errors: list[BaseException] = []

        def note(name: str, message: str) -> None:
            said[name].append((time.monotonic(), message))
            if message.startswith("waiting for another kg push"):
                second_waits.set()

        def one(name: str) -> None:
            try:
                push(stores[name], url, base=iris.base, progress=lambda m: note(name, m), **options)
                said[name].append((time.monotonic(), "done"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = {name: threading.Thread(target=one, args=(name,), name=name) for name in stores}
        threads["first"].start()
        assert first_holds_the_lock.wait(300)
        threads["second"].start()
        for t in threads.values():
            t.join(600)
        assert errors == []
        waited = [name for name in stores if any("waiting for another kg push" in m for _, m in said[name])]
        assert waited == ["second"], said
        # the one that waited started loading only after the other had finished
        finished = next(t for t, m in said["first"] if m == "done")
        assert all(t >= finished - 0.5 for t, m in said["second"] if m.startswith("pushed"))
        assert marker(target, iris) == ["second"] and leftovers(target, iris) == []
        if kind == "virtuoso":
            push(built.store, url, base=iris.base, **options)  # as it was, for the other tests


@pytest.mark.parametrize("body", [b"Virtuoso S1T00 Error SR171: Transaction timed out\n\nSPARQL query:\nSELECT ...",
                                  b"Virtuoso HY008 Error SR203: Async statement killed by SQLCancel.\n\nSPARQL query:"])
def test_a_query_the_server_stopped_at_its_time_limit_says_what_to_do(body):
    """Virtuoso's two errors for a query stopped at its time limit (the response body, as SPARQLWrapper passes it
    on) name the limit and what to do, not only "the server failed"."""
    from SPARQLWrapper.SPARQLExceptions import EndPointInternalError

    from kg.remote import explain

    error = explain(EndPointInternalError(body), "http://127.0.0.1:8890/sparql", 60)
    assert isinstance(error, RemoteError)
    assert str(error).startswith("http://127.0.0.1:8890/sparql stopped the query at its time limit (HTTP 500)")
    assert "MaxQueryExecutionTime" in str(error) and "--limit" in str(error)
