"""Any SPARQL 1.1 server: run the saved queries there (SPARQLWrapper), and load the graph into it.

Queries on a server see only the project's graphs, even where the server holds other data: each
query gets ``FROM`` and ``FROM NAMED`` clauses for the project's named graphs (``{base}graph/...``
and the ontology graph), so that its default graph is their merge (the union the embedded store
queries; each triple is in one graph only) and ``GRAPH ?g`` ranges over them alone.  (The
protocol's ``default-graph-uri`` parameters would do the same, but Virtuoso answers them with one
response header per graph, more than Python's HTTP client accepts.)  Which graphs those are is
asked of the server once per :class:`Endpoint` (or given).

:func:`push` replaces the project's named graphs on the server and nothing else, with the Graph
Store Protocol (``PUT`` of each graph) or with SPARQL Update (``DROP SILENT GRAPH`` then
``INSERT DATA`` in chunks).  Every other graph on the server is left as it was.

    >>> ep = Endpoint("http://127.0.0.1:8890/sparql")                       # doctest: +SKIP
    >>> run("hq-absence", ep, {"region": "brandenburg"}).records()          # doctest: +SKIP
"""
from __future__ import annotations

import re

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Store, serialize

from .namespaces import IRIs, ONTOLOGY_IRI
from .query import QueryError, inject_values, with_dataset
from .results import Result, from_sparql_json

DEFAULT_TIMEOUT = 60.0


class RemoteError(Exception):
    """The server could not be reached, refused the request, or did not answer in time."""


def _body(exc: Exception) -> str:
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())[:600]


def _explain(exc: BaseException, url: str, timeout: float) -> RemoteError:
    """One clear message for every way an HTTP request to a SPARQL server fails."""
    from SPARQLWrapper.SPARQLExceptions import (EndPointInternalError, EndPointNotFound, QueryBadFormed,
                                                Unauthorized, URITooLong)

    if isinstance(exc, QueryBadFormed):
        return RemoteError(f"{url} rejected the query (HTTP 400): {_body(exc)}")
    if isinstance(exc, Unauthorized):
        return RemoteError(f"{url} refused access (HTTP 401): give the right --user and --password")
    if isinstance(exc, EndPointNotFound):
        return RemoteError(f"{url}: no such endpoint (HTTP 404); check the address")
    if isinstance(exc, URITooLong):
        return RemoteError(f"{url}: the request is too long for the server (HTTP 414)")
    if isinstance(exc, EndPointInternalError):
        return RemoteError(f"{url}: the server failed on the request (HTTP 500): {_body(exc)}")
    if isinstance(exc, urllib.error.HTTPError):
        detail = " ".join(exc.read().decode("utf-8", "replace").split())[:600] if exc.fp else ""
        if exc.code == 401:
            return RemoteError(f"{url} refused access (HTTP 401): give the right --user and --password")
        return RemoteError(f"{url} answered HTTP {exc.code} {exc.reason}: {detail}")
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, (TimeoutError, socket.timeout)) or isinstance(exc, (TimeoutError, socket.timeout)):
        return RemoteError(f"{url} did not answer within {timeout:g} s; raise --timeout or simplify the query")
    if isinstance(reason, ConnectionRefusedError):
        return RemoteError(f"cannot reach {url}: connection refused; is the server running on that port?")
    if isinstance(reason, socket.gaierror):
        return RemoteError(f"cannot reach {url}: unknown host; check the address")
    if isinstance(exc, (urllib.error.URLError, OSError)):
        return RemoteError(f"cannot reach {url}: {reason}")
    return RemoteError(f"{url}: {exc}")


_COMMENT = re.compile(r"^\s*#.*$", re.M)
_FORM = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", re.I)


def query_form(text: str) -> str:
    """The form of a query (SELECT, CONSTRUCT, ASK or DESCRIBE), comments aside.

    >>> query_form("# add no jobs\\n# and more\\nPREFIX a: <x:> SELECT * WHERE {}")
    'SELECT'
    """
    match = _FORM.search(_COMMENT.sub("", text))
    return match.group(1).upper() if match else "SELECT"


@dataclass
class Endpoint:
    """A SPARQL 1.1 query endpoint holding the project's graphs.

    ``graphs`` are the graphs a query sees: by default (None) the project's graphs found on the server
    (on Virtuoso 7.2 naming ~90 graphs in FROM clauses makes a query several times slower, but
    leaving them out lets other graphs in, and its optimiser then fails on some saved queries);
    ``user``/``password`` are sent with HTTP digest authentication (``auth="basic"`` for basic).
    """

    url: str
    user: str | None = None
    password: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    base: str | None = None
    graphs: Sequence[str] | None = None
    auth: str = "digest"
    _found: list[str] | None = field(default=None, init=False, repr=False)

    def _wrapper(self, text: str, graphs: Sequence[str]):
        from SPARQLWrapper import BASIC, DIGEST, JSON, POST, SPARQLWrapper

        sparql = SPARQLWrapper(self.url)
        sparql.setMethod(POST)  # long queries and many graph parameters do not fit in a URL
        sparql.setTimeout(max(1, int(round(self.timeout))))
        sparql.setReturnFormat(JSON)
        if self.user is not None:
            sparql.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            sparql.setCredentials(self.user, self.password or "")
        sparql.setQuery(with_dataset(text, graphs))
        # SPARQLWrapper strips only every other line of a comment block before it looks for the
        # query form, so a word such as "add" in a saved query's header made it send an update
        sparql.queryType = query_form(text)
        return sparql

    def _request(self, text: str, graphs: Sequence[str]) -> dict:
        sparql = self._wrapper(text, graphs)
        try:
            response = sparql.query()
            raw = response.response.read()
        except Exception as exc:  # SPARQLWrapper and urllib raise many types; each is explained
            raise _explain(exc, self.url, self.timeout) from None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RemoteError(f"{self.url} did not answer with SPARQL JSON results: {raw[:200]!r}") from None

    def project_graphs(self) -> list[str]:
        """The graphs queries see: those given, or the project's graphs found on the server."""
        if self.graphs is not None:
            return list(self.graphs)
        if self._found is None:
            prefix = IRIs(self.base).graph("").value
            text = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                    f'FILTER(STRSTARTS(STR(?g), "{prefix}") || ?g = <{ONTOLOGY_IRI}>) }}')
            found = sorted(t.value for (t,) in self._result(self._request(text, [])).rows if t is not None)
            if not found:
                raise RemoteError(f"{self.url} holds no graphs of this project (none under {prefix}); "
                                  "load them with kg push first, or check --base")
            self._found = found
        return self._found

    @staticmethod
    def _result(document: dict) -> Result:
        return from_sparql_json(document)

    def query(self, text: str, bindings: Mapping[str, NamedNode | Literal] | None = None,
              where: str = "the query") -> Result:
        """Run a SELECT or ASK query on the project's graphs; parameters go in a VALUES block."""
        try:
            text = inject_values(text, bindings or {})
        except QueryError as exc:
            raise QueryError(f"{where}: {exc}") from None
        return self._result(self._request(text, self.project_graphs()))


# ---------------------------------------------------------------------------- push

@dataclass
class PushReport:
    graphs: int = 0
    triples: int = 0
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _graphs(store: Store) -> dict[str, list[Quad]]:
    out: dict[str, list[Quad]] = {}
    for quad in store:
        if isinstance(quad.graph_name, NamedNode):
            out.setdefault(quad.graph_name.value, []).append(quad)
    return out


def _chunks(quads: list[Quad], size: int) -> Iterator[list[Quad]]:
    """Chunks of at most ``size`` triples; triples with blank nodes go together (one INSERT DATA
    makes one blank node of each label, so a blank node must not be split across requests)."""
    plain = [q for q in quads if not isinstance(q.subject, BlankNode) and not isinstance(q.object, BlankNode)]
    blank = [q for q in quads if isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode)]
    for i in range(0, len(plain), size):
        yield plain[i:i + size]
    if blank:
        yield blank


def _ntriples(quads: Iterable[Quad]) -> str:
    return serialize([q.triple for q in quads], format=RdfFormat.N_TRIPLES).decode("utf-8")


class _Http:
    """urllib with digest (and basic) authentication for Graph Store Protocol requests."""

    def __init__(self, url: str, user: str | None, password: str | None, timeout: float) -> None:
        handlers = []
        if user is not None:
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, url, user, password or "")
            handlers = [urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)]
        self.opener = urllib.request.build_opener(*handlers)
        self.timeout = timeout

    def send(self, method: str, url: str, data: bytes | None = None, content_type: str | None = None) -> int:
        request = urllib.request.Request(url, data=data, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as exc:
            if method == "DELETE" and exc.code == 404:
                return 404
            raise _explain(exc, url, self.timeout) from None
        except (urllib.error.URLError, OSError) as exc:
            raise _explain(exc, url, self.timeout) from None


def _update(endpoint: str, text: str, user: str | None, password: str | None, timeout: float, auth: str) -> None:
    from SPARQLWrapper import BASIC, DIGEST, POST, SPARQLWrapper

    sparql = SPARQLWrapper(endpoint, updateEndpoint=endpoint)
    sparql.setMethod(POST)
    sparql.setTimeout(max(1, int(round(timeout))))
    if user is not None:
        sparql.setHTTPAuth(DIGEST if auth == "digest" else BASIC)
        sparql.setCredentials(user, password or "")
    sparql.setQuery(text)
    try:
        sparql.query().response.read()
    except Exception as exc:  # explained below
        raise _explain(exc, endpoint, timeout) from None


def push(store: Store, endpoint: str, *, gsp: str | None = None, user: str | None = None,
         password: str | None = None, base: str | None = None, timeout: float = DEFAULT_TIMEOUT,
         chunk: int = 1000, auth: str = "digest", progress: Callable[[str], None] | None = None) -> PushReport:
    """Load the built dataset into a SPARQL server, replacing only the project's own named graphs.

    ``endpoint`` is a SPARQL endpoint that accepts queries and, unless ``gsp`` (a Graph Store
    Protocol address) is given, updates.  Graphs of the project that are on the server but not
    in the build (a source removed from the data) are dropped; no other graph is touched.
    """
    say = progress or (lambda message: None)
    t0 = time.perf_counter()
    graphs = _graphs(store)
    report = PushReport()
    finder = Endpoint(endpoint, user, password, timeout, base, auth=auth)
    try:
        existing = finder.project_graphs()
    except RemoteError as exc:
        if "holds no graphs" not in str(exc):
            raise
        existing = []
    stale = [g for g in existing if g not in graphs]
    http = _Http(gsp, user, password, timeout) if gsp else None
    for g in stale:
        if http:
            http.send("DELETE", f"{gsp}?{urllib.parse.urlencode({'graph': g})}")
        else:
            _update(endpoint, f"DROP SILENT GRAPH <{g}>", user, password, timeout, auth)
        report.dropped.append(g)
        say(f"dropped stale graph {g}")
    for g, quads in sorted(graphs.items()):
        if http:
            http.send("PUT", f"{gsp}?{urllib.parse.urlencode({'graph': g})}", _ntriples(quads).encode("utf-8"),
                      "text/turtle")  # N-Triples is Turtle; every GSP server reads Turtle
        else:
            _update(endpoint, f"DROP SILENT GRAPH <{g}>", user, password, timeout, auth)
            for part in _chunks(quads, chunk):
                body = f"GRAPH <{g}> {{\n{_ntriples(part)}}}"
                # blank nodes: INSERT ... WHERE {} (one solution, so one fresh node per label); some
                # servers (Virtuoso 7.2) refuse blank nodes in INSERT DATA, which SPARQL 1.1 allows
                blank = any(isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode) for q in part)
                text = f"INSERT {{ {body} }} WHERE {{}}" if blank else f"INSERT DATA {{ {body} }}"
                _update(endpoint, text, user, password, timeout, auth)
        report.graphs += 1
        report.triples += len(quads)
    report.seconds = time.perf_counter() - t0
    say(f"pushed {report.triples:,} triples in {report.graphs} graphs to {gsp or endpoint} "
        f"in {report.seconds:.1f} s")
    return report

