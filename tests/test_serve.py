"""``kg serve``: a read-only SPARQL 1.1 Protocol endpoint, tested over real HTTP with SPARQLWrapper."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TSV, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

from kg.query import library, run
from kg.remote import Endpoint
from kg.serve import serve
from tests.test_queries import VARIANTS

FIRMS = "SELECT ?name WHERE { ?f a bbmb:Firm ; rdfs:label ?name } ORDER BY ?name"


@pytest.fixture(scope="module")
def server(built):
    with serve(built.store, port=0, timeout=5, max_rows=2000, base=built.iris.base) as running:
        yield running


def client(server, fmt=JSON, method=None, request_method=None) -> SPARQLWrapper:
    sparql = SPARQLWrapper(server.sparql_url)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    if request_method:
        sparql.setRequestMethod(request_method)
    return sparql


def http(url: str, data: bytes | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        # a guard against a hang, not a speed limit: on a loaded machine an answer may take seconds
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def test_the_server_listens_on_localhost_only(server):
    assert server.url.startswith("http://127.0.0.1:") and server.httpd.server_address[0] == "127.0.0.1"


def test_get_and_post_give_the_same_rows_as_the_embedded_store(server, sparql):
    names = [r["name"] for r in sparql(FIRMS)]
    for method, request_method in ((None, None), (POST, None), (POST, POSTDIRECTLY)):
        sparql_client = client(server, JSON, method, request_method)
        sparql_client.setQuery(FIRMS)
        rows = sparql_client.queryAndConvert()["results"]["bindings"]
        assert [r["name"]["value"] for r in rows] == names, (method, request_method)


def test_results_in_every_format_by_content_negotiation(server, sparql):
    names = [r["name"] for r in sparql(FIRMS)]
    c = client(server, XML)
    c.setQuery(FIRMS)
    dom = c.queryAndConvert()  # xml.dom.minidom
    assert [e.firstChild.data for e in dom.getElementsByTagName("literal")] == names
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    xml_doc = ET.fromstring(http(server.sparql_url + "?" + urllib.parse.urlencode({"query": FIRMS}),
                                 headers={"Accept": "application/sparql-results+xml"})[2])
    assert [e.text for e in xml_doc.findall(".//s:literal", ns)] == names
    c = client(server, CSV)
    c.setQuery(FIRMS)
    assert [r["name"] for r in csv.DictReader(io.StringIO(c.queryAndConvert().decode("utf-8")))] == names
    c = client(server, TSV)
    c.setQuery(FIRMS)
    assert c.queryAndConvert().decode("utf-8").splitlines()[1:] == [json.dumps(n, ensure_ascii=False) for n in names]
    status, headers, _ = http(server.sparql_url + "?" + urllib.parse.urlencode({"query": FIRMS}),
                              headers={"Accept": "image/png"})
    assert status == 406


def test_construct_gives_turtle(server):
    status, headers, body = http(server.sparql_url + "?" + urllib.parse.urlencode(
        {"query": "CONSTRUCT { ?f a bbmb:Firm } WHERE { ?f a bbmb:Firm }"}), headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle") and "bbmb:Firm" in body


def test_construct_honours_the_accept_header_or_answers_406(server):
    query = urllib.parse.urlencode({"query": "CONSTRUCT { ?f a bbmb:Firm } WHERE { ?f a bbmb:Firm }"})
    status, headers, body = http(server.sparql_url + "?" + query, headers={"Accept": "application/rdf+xml"})
    assert status == 200 and headers["Content-Type"].startswith("application/rdf+xml") and "<rdf:RDF" in body
    status, _, body = http(server.sparql_url + "?" + query, headers={"Accept": "image/png"})
    assert status == 406 and "application/rdf+xml" in body and "text/turtle" in body
    # a SPARQL client asking for RDF/XML (SPARQLWrapper's default) gets a graph, not bytes and a warning
    from SPARQLWrapper import RDFXML, SPARQLWrapper
    client = SPARQLWrapper(server.sparql_url)
    client.setQuery("PREFIX bbmb: <https://w3id.org/bbmb/def#> CONSTRUCT { ?f a bbmb:Firm } WHERE { ?f a bbmb:Firm }")
    client.setReturnFormat(RDFXML)
    graph = client.queryAndConvert()
    assert len(graph) >= 30


@pytest.mark.parametrize("name", sorted(library()))
def test_every_saved_query_through_the_endpoint(server, built, name):
    """kg.remote's client, pointed at kg serve: the project's graphs named in FROM clauses."""
    params = VARIANTS[name][0]
    local = run(name, built.store, params, built.iris)
    remote = run(name, Endpoint(server.sparql_url, base=built.iris.base), params, built.iris)
    assert sorted(map(str, remote.rows)) == sorted(map(str, local.rows))


def test_updates_are_refused(server, built):
    for data, kind in ((urllib.parse.urlencode({"update": "DROP ALL"}).encode(), "application/x-www-form-urlencoded"),
                       (b"DROP ALL", "application/sparql-update")):
        status, _, body = http(server.sparql_url, data, {"Content-Type": kind})
        assert status == 403 and "read-only" in body
    assert len(built.store) > 3000


def test_a_bad_query_names_line_and_column(server):
    c = client(server)
    c.setQuery("SELECT ?x WHERE {\n  ?x ?y\n}")
    with pytest.raises(QueryBadFormed, match="line 3, column"):
        c.query()


def test_results_over_the_cap_are_refused_not_cut(server):
    c = client(server)
    c.setQuery("SELECT * WHERE { ?s ?p ?o }")
    with pytest.raises(QueryBadFormed, match="more than 2,000 rows"):
        c.query()
    c.setQuery("SELECT * WHERE { ?s ?p ?o } LIMIT 2000")
    assert len(c.queryAndConvert()["results"]["bindings"]) == 2000


def test_a_slow_query_is_stopped_at_the_timeout(built):
    with serve(built.store, port=0, timeout=0.5, max_rows=10**9) as slow:
        status, _, body = http(slow.sparql_url + "?" + urllib.parse.urlencode(
            {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"}))
        assert status == 503 and "did not finish within 0.5 s" in body  # stopped by the server, not by the client


def test_default_graph_uri_chooses_the_graphs(server, built):
    c = client(server)
    c.addParameter("default-graph-uri", built.iris.graph("ext-asml-2").value)
    c.setQuery("SELECT ?n WHERE { ?h schema:minValue|schema:value ?n }")
    assert [r["n"]["value"] for r in c.queryAndConvert()["results"]["bindings"]] == ["1900"]


def test_the_query_page_runs_saved_and_typed_queries(server):
    status, headers, page = http(server.url)
    assert status == 200 and "<textarea" in page and "hq-absence" in page
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in \
        headers["Content-Security-Policy"]
    status, _, page = http(server.url + "?saved=hq-absence&run=1&param.region=brandenburg")
    assert "ZF Getriebewerk Brandenburg an der Havel" in page and "Otis Elektronikwerk" not in page
    status, _, page = http(server.url + "?saved=firm-profile&run=1&param.firm=" + urllib.parse.quote('x"><b>'))
    assert "is not a valid org id" in page and '"><b>' not in page


def test_nothing_from_a_query_reaches_the_page_unescaped(server):
    evil = '<script>alert(1)</script>'
    query = f'SELECT ?x WHERE {{ BIND("{evil}" AS ?x) }}'
    status, _, page = http(server.url, urllib.parse.urlencode({"query": query}).encode(),
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    status, _, page = http(server.url + "?" + urllib.parse.urlencode({"query": "SELECT </textarea><script>"}))
    assert "<script>" not in page and "syntax error" in page


def test_kg_serve_command(workdir):
    kg = Path(sys.executable).parent / "kg"  # the installed command (python -m kg.cli misses the plugins)
    process = subprocess.Popen([str(kg), "serve", "--port", "0"], cwd=workdir, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        said = []
        for line in process.stderr:  # kg serve says where it listens once it does
            said.append(line)
            if line.startswith("SPARQL endpoint: "):
                break
        else:
            pytest.fail(f"kg serve ended ({process.wait()}) without listening:\n{''.join(said)}")
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/sparql")
        c = SPARQLWrapper(url)
        c.setReturnFormat(JSON)
        c.setQuery("SELECT (COUNT(*) AS ?n) WHERE { ?f a bbmb:Firm }")
        assert c.queryAndConvert()["results"]["bindings"][0]["n"]["value"] == "33"
    finally:
        process.terminate()
        process.wait(60)


def test_kg_push_to_an_address_without_sparql_update_says_where_else_to_push(server, built):
    """kg serve is read-only: a push there (no --gsp) is one clear error naming --update and --gsp."""
    from kg.remote import RemoteError, push
    with pytest.raises(RemoteError) as caught:
        push(built.store, server.sparql_url, base=built.iris.base, timeout=10)
    message = str(caught.value)
    assert "does not take SPARQL Update" in message and "--gsp" in message and "--update" in message
    assert "\n" not in message


def test_kg_serve_on_a_busy_port_is_one_line_and_exit_3(workdir):
    import socket
    import subprocess
    import sys
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "kg", "serve", "--port", str(port)], capture_output=True,
                              text=True, timeout=120, cwd=workdir)
    finally:
        busy.close()
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 3 and len(errors) == 1 and "Traceback" not in done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in errors[0] and "--port" in errors[0]
