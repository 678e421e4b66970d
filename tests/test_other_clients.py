"""Other clients after ``kg push``: a saved query sent as it is, by plain HTTP, gives the rows kg gives.

curl, roqet or YASGUI send a ``.rq`` file's text without ``FROM``; they see the server's default
graph.  On Oxigraph's server ``kg push`` makes that graph a copy of the union graph and says so; on
Virtuoso (whose default graph is the merge of every graph, so each triple would count twice) and on
``oxigraph serve --union-default-graph`` it leaves the server alone and prints the
``default-graph-uri`` parameter to send.  Real servers on 127.0.0.1, stopped by pid; the requests
here are urllib's, no kg code; the rows are compared with ``kg query`` on the embedded store.
"""
from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from pyoxigraph import Literal, NamedNode

from kg.cli import main
from kg.query import QUERIES_DIR, run
from kg.remote import union_iri
from tests.conftest import require_system_package
from tests.servers import oxigraph, oxigraph_command, virtuoso

#: Saved queries with figures a user quotes, run with their default parameters.
SAVED = ["control-summary", "firms-by-subsector"]
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMBERS = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short",
                             "nonNegativeInteger", "positiveInteger", "unsignedInt")}
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def plain_request(url: str, text: str, **parameters: str) -> dict:
    """What curl --data-urlencode query@queries/x.rq does: a form POST of the query text, as it is."""
    body = urllib.parse.urlencode({"query": text, **parameters}).encode()
    request = urllib.request.Request(url, data=body, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def server_rows(document: dict) -> list[tuple]:
    """Rows of a SPARQL JSON answer, values as text (numbers as numbers, whatever their type), sorted."""
    def value(term: dict) -> tuple:
        if term.get("datatype") in NUMBERS:
            return ("number", round(float(term["value"]), 6))
        return ("term", term["value"], term.get("xml:lang", ""))
    return sorted(tuple(sorted((k, value(v)) for k, v in b.items())) for b in document["results"]["bindings"])


def local_rows(name: str, built) -> list[tuple]:
    """The same, of the saved query on the embedded store (kg query)."""
    result = run(name, built.store, {}, built.iris)

    def value(term: NamedNode | Literal) -> tuple:
        if isinstance(term, Literal) and term.datatype.value in NUMBERS:
            return ("number", round(float(term.value), 6))
        return ("term", term.value, getattr(term, "language", None) or "")
    return sorted(tuple(sorted((v, value(t)) for v, t in zip(result.variables, row, strict=True) if t is not None))
                  for row in result.rows)


def saved_text(name: str) -> str:
    return (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")


def count(url: str, text: str = COUNT_ALL, **parameters: str) -> int:
    return int(plain_request(url, text, **parameters)["results"]["bindings"][0]["n"]["value"])


def kg_push(capsys, *arguments: str) -> str:
    """kg push; the line it prints for other clients."""
    assert main(["push", *arguments]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def ox(tmp_path_factory):
    if oxigraph_command() is None:
        pytest.fail("the oxigraph command is missing: pip install oxigraph (a test dependency)")
    with oxigraph(tmp_path_factory.mktemp("oxigraph")) as server:
        yield server


def test_on_oxigraph_the_union_becomes_the_default_graph_and_saved_queries_run_as_they_are(ox, built, capsys):
    line = kg_push(capsys, "--endpoint", ox.sparql_url, "--update", ox.update_url)
    assert line == "other clients see the data: the union is the server's default graph"
    for name in SAVED:
        rows = server_rows(plain_request(ox.sparql_url, saved_text(name)))
        assert rows and rows == local_rows(name, built), name
    # each triple once: the default graph holds the distinct triples of the build, no more
    distinct = len({q.triple for q in built.store})
    assert count(ox.sparql_url) == distinct
    # a second push (by the Graph Store Protocol, in place) replaces the copy rather than adding to it
    line = kg_push(capsys, "--endpoint", ox.sparql_url, "--gsp", ox.gsp_url)
    assert line == "other clients see the data: the union is the server's default graph"
    assert count(ox.sparql_url) == distinct
    for name in SAVED:
        assert server_rows(plain_request(ox.sparql_url, saved_text(name))) == local_rows(name, built), name
    # and kg query --endpoint still names the union graph and gives the same rows
    assert main(["query", "control-summary", "--endpoint", ox.sparql_url, "--format", "csv"]) == 0
    assert capsys.readouterr().out.count("\n") == len(local_rows("control-summary", built)) + 1


def test_someone_elses_default_graph_on_oxigraph_is_left_alone(tmp_path, built, capsys):
    with oxigraph(tmp_path / "ox") as server:
        theirs = 'INSERT DATA { <http://example.org/a> <http://example.org/b> "theirs" }'
        body = urllib.parse.urlencode({"update": theirs})
        urllib.request.urlopen(urllib.request.Request(server.update_url, data=body.encode()), timeout=60).read()
        line = kg_push(capsys, "--endpoint", server.sparql_url, "--update", server.update_url)
        union = union_iri(built.iris)
        assert line.startswith(f"other clients must add default-graph-uri={union} to each query")
        assert count(server.sparql_url) == 1  # their triple, and nothing of ours
        for name in SAVED:
            rows = server_rows(plain_request(server.sparql_url, saved_text(name), **{"default-graph-uri": union}))
            assert rows and rows == local_rows(name, built), name


def test_on_virtuoso_push_prints_the_parameter_and_saved_queries_run_with_it(tmp_path, built, capsys):
    require_system_package("virtuoso-t", "virtuoso-opensource")
    union = union_iri(built.iris)
    with virtuoso(tmp_path / "virtuoso") as server:
        for gsp in ([], ["--gsp", server.gsp_url]):  # a first push, and a second that replaces it
            line = kg_push(capsys, "--endpoint", server.auth_url, "--user", server.user,
                           "--password", server.password, *gsp)
            assert line == (f"other clients must add default-graph-uri={union} to each query (the SPARQL "
                            "protocol's parameter): the server's default graph is the merge of all its graphs, "
                            "where each triple counts 2 times")
            for name in SAVED:
                rows = server_rows(plain_request(server.sparql_url, saved_text(name), **{"default-graph-uri": union}))
                assert rows and rows == local_rows(name, built), name
            assert count(server.sparql_url, **{"default-graph-uri": union}) == len({q.triple for q in built.store})
        assert main(["query", "control-summary", "--endpoint", server.sparql_url, "--format", "csv"]) == 0
        assert capsys.readouterr().out.count("\n") == len(local_rows("control-summary", built)) + 1


def test_an_oxigraph_server_whose_default_graph_is_the_union_of_all_is_left_alone(tmp_path, built, capsys):
    with oxigraph(tmp_path / "ox", "--union-default-graph") as server:
        union = union_iri(built.iris)
        line = kg_push(capsys, "--endpoint", server.sparql_url, "--update", server.update_url)
        assert line == (f"other clients must add default-graph-uri={union} to each query (the SPARQL "
                        "protocol's parameter): the server's default graph is the merge of all its graphs, "
                        "where each triple counts 2 times; it ignores FROM (oxigraph serve --union-default-graph), "
                        "so kg query --endpoint counts them as often: restart it without that option and push again")
        for name in SAVED:
            rows = server_rows(plain_request(server.sparql_url, saved_text(name), **{"default-graph-uri": union}))
            assert rows and rows == local_rows(name, built), name
