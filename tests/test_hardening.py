"""Issue 10: a server that cannot be crashed or turned against its user (kg serve), and the table
reader's and parameters' answers to any input (fuzzed with hypothesis).  Every request goes to 127.0.0.1."""
from __future__ import annotations

import concurrent.futures
import http.client as httpclient
import os
import socket
import threading
import time
import urllib.parse

import pytest

from kg.serve import serve
from tests.test_serve import http

CARTESIAN_ORDER = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f LIMIT 1"
CARTESIAN_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FIRMS = "SELECT (COUNT(*) AS ?n) WHERE { ?f a bbmb:Firm }"


@pytest.fixture(scope="module")
def server(built):
    with serve(built.store, port=0, timeout=3, max_rows=2000, base=built.iris.base, memory_mb=400) as running:
        yield running


def get(server, query: str, headers: dict | None = None, path: str = "sparql"):
    return http(server.url + path + "?" + urllib.parse.urlencode({"query": query}), headers=headers)


def firms_answer(server) -> bool:
    status, _, body = get(server, FIRMS)
    return status == 200 and '"33"' in body


def raw(server, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes to the server and read its whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- 1. SSRF: SERVICE, Host, Origin
def test_service_is_refused_and_nothing_is_fetched(server):
    with socket.socket() as target:  # a local "intranet" server that must not be contacted
        target.bind(("127.0.0.1", 0))
        target.listen(4)
        target.settimeout(0.5)
        query = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{target.getsockname()[1]}/x> {{ ?s ?p ?o }} }}"
        for text in (query, query.replace("SERVICE", "service"), query.replace("SERVICE", "SERVICE SILENT"),
                     "PREFIX x: <urn:x>\n" + query.replace("SERVICE", "\\u0053ERVICE")):
            status, _, body = get(server, text)
            assert status == 400 and "SERVICE is refused" in body, text
            status, _, page = http(server.url, urllib.parse.urlencode({"query": text}).encode(),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
            assert "SERVICE is refused" in page
        with pytest.raises(TimeoutError):
            target.accept()
    # the word in strings, IRIs, comments and variable names is no SERVICE
    status, _, body = get(server, 'SELECT ?service WHERE { BIND("SERVICE <http://x/>" AS ?service) } # SERVICE')
    assert status == 200 and "SERVICE <http://x/>" in body


def test_a_worker_cannot_open_a_socket_even_if_service_slipped_through(built):
    from kg.serve import QueryRunner

    runner = QueryRunner(built.store, 5, 100, workers=1)
    try:
        with socket.socket() as target:
            target.bind(("127.0.0.1", 0))
            target.listen(4)
            target.settimeout(0.5)
            with pytest.raises(Exception, match="Too many open files|failed"):
                runner.run({"text": f"SELECT * {{ SERVICE <http://127.0.0.1:{target.getsockname()[1]}/> {{ ?s ?p ?o }} }}"})
            with pytest.raises(TimeoutError):
                target.accept()
    finally:
        runner.close()


@pytest.mark.parametrize("headers,status", [
    ({"Host": "attacker.example:80"}, 421),                          # DNS rebinding
    ({"Origin": "http://attacker.example"}, 403),
    ({"Origin": "null"}, 403),
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"Sec-Fetch-Site": "same-site"}, 403),
])
def test_requests_for_another_site_are_refused(server, headers, status):
    got, _, body = get(server, FIRMS, headers)
    assert got == status and ("refused" in body or "answers only" in body)
    got, _, body = get(server, FIRMS, headers, path="")
    assert got == status


def test_own_origin_and_plain_clients_are_served(server):
    own = f"http://127.0.0.1:{server.port}"
    for headers in ({}, {"Origin": own, "Sec-Fetch-Site": "same-origin"}, {"Host": f"localhost:{server.port}"},
                    {"Sec-Fetch-Site": "none"}):
        assert get(server, FIRMS, headers)[0] == 200, headers
    # a link from elsewhere may open the bare page, but not run anything
    assert http(server.url, headers={"Sec-Fetch-Site": "cross-site"})[0] == 200


# ---------------------------------------------------------------- 2./3. crashes, timeouts, memory
def test_a_query_that_crashes_the_engine_costs_one_request(server):
    status, _, body = get(server, CARTESIAN_ORDER)
    assert status in (500, 503) and ("query engine failed" in body or "did not finish" in body), body
    assert firms_answer(server)


def test_timed_out_queries_are_stopped_and_their_workers_replaced(server):
    runner = server.runner
    before = {w.pid for w in runner._all}
    restarts = runner.restarts
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda q: get(server, q), [CARTESIAN_COUNT] * 4))
    assert all(status in (500, 503) for status, _, _ in answers), answers
    assert runner.restarts >= restarts + 4
    for pid in before:  # the old workers are gone: their memory is freed
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    started = time.monotonic()
    assert firms_answer(server) and time.monotonic() - started < 2


def test_memory_per_query_is_bounded(server):
    started = time.monotonic()
    status, _, body = get(server, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", {"Accept": "text/csv"})
    assert status in (400, 500, 503)  # refused for rows, memory or time - never the server's end
    assert time.monotonic() - started < 10
    assert firms_answer(server)


# ---------------------------------------------------------------- 4. resource limits
@pytest.mark.parametrize("length", ["abc", "-1", "1e3", " "])
def test_a_bad_content_length_gets_400(server, length):
    answer = raw(server, (f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                          f"Content-Length: {length}\r\n\r\nASK {{}}").encode())
    assert answer.startswith(b"HTTP/1.0 400") and b"Content-Length" in answer, answer[:200]


def test_a_silent_client_is_dropped_and_others_are_served(built):
    with serve(built.store, port=0, timeout=3, socket_timeout=1) as quick:
        with socket.create_connection(("127.0.0.1", quick.port), timeout=10) as s:
            s.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                      b"Content-Length: 100\r\n\r\nASK")  # a short body, then silence
            assert firms_answer(quick)
            started = time.monotonic()
            s.recv(65536)  # the server gives up on it (an answer or the connection closed)
            assert time.monotonic() - started < 5


def test_fifty_clients_at_once_are_all_answered(server):
    barrier = threading.Barrier(50)

    def one(_):
        barrier.wait()
        conn = httpclient.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}))
            return conn.getresponse().status
        except OSError as exc:
            return repr(exc)
        finally:
            conn.close()

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        assert list(pool.map(one, range(50))) == [200] * 50


# ---------------------------------------------------------------- 5. sizes of values
@pytest.fixture
def decimal_queries(tmp_path):
    (tmp_path / "scaled.rq").write_text("# title: Scaled\n# param: factor (decimal): a factor\n"
                                        "# param: n (integer): a count\nSELECT ?factor ?n WHERE { }\n",
                                        encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("param,value,message", [
    ("factor", "1e1000000", "more than 100 digits"),
    ("factor", "1e5000000", "more than 100 digits"),
    ("n", "9" * 5000, "more than the 1,000"),
    ("n", "9" * 900, "more than 100 digits"),
])
def test_huge_parameter_values_are_refused_at_once(built, decimal_queries, param, value, message):
    with serve(built.store, port=0, queries=decimal_queries) as s:
        started = time.monotonic()
        status, _, page = http(s.url + "?" + urllib.parse.urlencode({"saved": "scaled", "run": "1",
                                                                     f"param.{param}": value}))
        assert status == 200 and message in page and time.monotonic() - started < 3


def test_a_huge_decimal_in_a_result_stays_text(capsys, tmp_path):
    from kg.results import Result, render
    from pyoxigraph import Literal, NamedNode

    big = Literal("1" + "0" * 200_000, datatype=NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    started = time.monotonic()
    text = render(Result(["x"], [(big,)]), "json")
    assert time.monotonic() - started < 2 and '"1000' in text
