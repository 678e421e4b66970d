"""Any SPARQL 1.1 server: run the saved queries there (SPARQLWrapper), and load the graph into it.

Queries on a server see only the project's graphs, even where the server holds other data.  The
layout a kg push leaves: one named graph per source (``{base}graph/<source>``, ``graph/derived``
and the ontology graph), the union graph ``{base}union`` (:func:`union_iri`) holding the merge of
them all, and the push manifest ``{base}push-manifest`` (:func:`manifest_iri`) listing both.  Each
query gets ``FROM <{base}union>`` as its default graph (the union the embedded store queries), and
``FROM NAMED`` clauses for the project's graphs only if it has a ``GRAPH`` pattern, which then
ranges over them alone.  Naming the ~50 graphs in ``FROM`` clauses instead (their merge is the same
default graph) made Oxigraph's server and Virtuoso 25-30 times slower; a server pushed by an older
kg (no union graph in its manifest) is still queried that way, with a hint to push again.  (The
protocol's ``default-graph-uri`` parameters would do the same, but Virtuoso answers them with one
response header per graph, more than Python's HTTP client accepts.)  Which graphs those are is
asked of the server once per :class:`Endpoint` (or given).

The union graph is outside ``{base}graph/`` so that no source id can collide with it and nothing
that lists the project's graphs by that prefix (``GRAPH ?g`` over them, an older kg) sees every
triple twice.

Other clients (curl, roqet, YASGUI) send a saved query as it is, without ``FROM``: they see the
server's default graph.  Where that is a graph of its own and empty (or holds a copy an earlier kg
push made), :func:`push` makes it a copy of the union graph (Oxigraph's server); where it is the
merge of every graph on the server (Virtuoso; ``oxigraph serve --union-default-graph``) each triple
would count twice, once from its source graph and once from the union, so push leaves it alone and
says which parameter other clients must send (:func:`default_graph_uri`).  A query without ``FROM``
after the push tells which of the two the server does (:func:`_clients_line`).

:func:`push` replaces the project's named graphs and the union graph on the server and nothing
else, with the Graph Store Protocol (``PUT`` of each graph) or with SPARQL Update (``INSERT DATA``
in chunks), into staging graphs first, switched in by one request; one push at a time (a lock on
the server).  Every other graph on the server is left as it was.

    >>> ep = Endpoint("http://127.0.0.1:8890/sparql")                       # doctest: +SKIP
    >>> run("hq-absence", ep, {"region": "brandenburg"}).records()          # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import json
import os
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, TypedDict, cast

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QuerySolutions, RdfFormat, Store, serialize

from .errors import ServerError
from .namespaces import ONTOLOGY_IRI, IRIs
from .query import QueryError, inject_values, term_text, with_dataset
from .results import Result, from_sparql_json
from .store import count_triples

if TYPE_CHECKING:
    from SPARQLWrapper import SPARQLWrapper

    from .bulkload import BulkLoader

DEFAULT_TIMEOUT = 60.0


class RemoteError(ServerError):
    """The server could not be reached, refused the request, or did not answer in time."""


class Unauthorized(RemoteError):
    """The server refused the user and password (HTTP 401); ``url`` is the address that refused them."""

    def __init__(self, url: str, message: str = "") -> None:
        super().__init__(message or f"{url} refused access (HTTP 401): give the right --user and --password")
        self.url = url


class Deadlocked(RemoteError):
    """The server rolled the request back as the victim of a deadlock with another transaction (Virtuoso:
    SQLSTATE 40001, SR172 "Transaction deadlocked"): none of it was done, so it may be sent again."""


#: How a server says a request was a deadlock's victim (Virtuoso's SQLSTATE and message code).
_DEADLOCK = re.compile(r"\b40001\b|\bSR172\b|deadlock", re.IGNORECASE)
#: Virtuoso's errors for a query it stopped at its time limit: "Transaction timed out" (SR171), or, when the
#: limit struck before any row was found, "Async statement killed by SQLCancel" (SR203)
_TIME_LIMIT = re.compile(r"\bSR171\b|\bSR203\b")


class OldLayoutWarning(UserWarning):
    """The server holds no union graph of a kg push: queries name every graph, and are much slower."""


def _body(exc: Exception) -> str:
    text = exc.args[0] if exc.args else ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())[:600]


def explain(exc: BaseException, url: str, timeout: float) -> RemoteError:
    """One clear message for every way an HTTP request to a SPARQL server fails."""
    from SPARQLWrapper.SPARQLExceptions import (
        EndPointInternalError,
        EndPointNotFound,
        QueryBadFormed,
        URITooLong,
    )
    from SPARQLWrapper.SPARQLExceptions import Unauthorized as WrapperUnauthorized  # not ours, of the same name

    if isinstance(exc, QueryBadFormed):
        return RemoteError(f"{url} rejected the query (HTTP 400): {_body(exc)}")
    if isinstance(exc, WrapperUnauthorized):
        return Unauthorized(url)
    if isinstance(exc, EndPointNotFound):
        return RemoteError(f"{url}: no such endpoint (HTTP 404); check the address")
    if isinstance(exc, URITooLong):
        return RemoteError(f"{url}: the request is too long for the server (HTTP 414)")
    if isinstance(exc, EndPointInternalError):
        if _TIME_LIMIT.search(_body(exc)):
            return RemoteError(f"{url} stopped the query at its time limit (HTTP 500): {_body(exc)}; raise the "
                               "server's MaxQueryExecutionTime ([SPARQL] section of virtuoso.ini), ask a page "
                               "(kg query --limit) or a narrower query")
        kind = Deadlocked if _DEADLOCK.search(_body(exc)) else RemoteError
        return kind(f"{url}: the server failed on the request (HTTP 500): {_body(exc)}")
    if isinstance(exc, urllib.error.HTTPError):
        detail = " ".join(exc.read().decode("utf-8", "replace").split())[:600] if exc.fp else ""
        if exc.code == 401:
            return Unauthorized(url)
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


def refuse_partial(url: str, headers: Mapping[str, str]) -> None:
    """Refuse an answer the server marks as incomplete.

    Virtuoso answers HTTP 200 with the rows it found so far when a query runs out of its time
    (``MaxQueryExecutionTime``, its "anytime" answers) and says so only in ``X-SQL-State`` (``S1TAT``) and
    ``X-SQL-Message``. A count or a listing from such an answer would be quoted as if whole.
    """
    named = {key.lower(): value for key, value in headers.items()}  # HTTP header names have no case
    state = named.get("x-sql-state")
    if not state:
        return
    message = " ".join(named.get("x-sql-message", "").split())[:200]
    raise RemoteError(f"{url} gave only part of the answer (X-SQL-State {state}: {message}); kg does not use "
                      "partial answers: raise the server's MaxQueryExecutionTime ([SPARQL] section of "
                      "virtuoso.ini) or ask a narrower query")


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

    ``graphs`` are the graphs a query sees: by default (None) the union graph and the graphs the last
    kg push lists in its manifest (see the module's text), else the project's graphs found on the
    server, each named in FROM clauses (25-30 times slower; a hint to push again is given, as an
    :class:`OldLayoutWarning`); graphs given are named in FROM clauses too.  Leaving the dataset out
    would let other graphs in, and Virtuoso 7.2's optimiser then fails on some saved queries.
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
    _union: str | None = field(default=None, init=False, repr=False)

    def _wrapper(self, text: str, graphs: Sequence[str], union: str | None = None) -> SPARQLWrapper:
        from SPARQLWrapper import BASIC, DIGEST, JSON, POST, SPARQLWrapper

        sparql = SPARQLWrapper(self.url)
        sparql.setMethod(POST)  # long queries and many graph parameters do not fit in a URL
        sparql.setTimeout(max(1, int(round(self.timeout))))
        sparql.setReturnFormat(JSON)
        if self.user is not None:
            sparql.setHTTPAuth(DIGEST if self.auth == "digest" else BASIC)
            sparql.setCredentials(self.user, self.password or "")
        sparql.setQuery(with_dataset(text, graphs, union))
        # SPARQLWrapper strips only every other line of a comment block before it looks for the
        # query form, so a word such as "add" in a saved query's header made it send an update
        sparql.queryType = query_form(text)
        return sparql

    def _request(self, text: str, graphs: Sequence[str], union: str | None = None) -> dict[str, Any]:
        sparql = self._wrapper(text, graphs, union)
        try:
            response = sparql.query()
            raw = response.response.read()
        except Exception as exc:  # SPARQLWrapper and urllib raise many types; each is explained
            raise explain(exc, self.url, self.timeout) from None
        refuse_partial(self.url, dict(response.response.headers.items()))
        try:
            return cast("dict[str, Any]", json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RemoteError(f"{self.url} did not answer with SPARQL JSON results: {raw[:200]!r}") from None

    def manifest(self) -> Manifest | None:
        """The manifest a kg push left on the server: {"state", "id", "at", "graphs"}, or None."""
        return read_manifest(self, IRIs(self.base))

    def union_graph(self) -> str | None:
        """The union graph queries take as their default graph (``FROM``), or None where the graphs
        are named one by one: graphs given, or a server without the union graph of a kg push."""
        self.project_graphs()
        return self._union

    def project_graphs(self) -> list[str]:
        """The graphs queries see: those given, those the last complete kg push lists, or the
        project's graphs found on the server.  A push that did not finish is an error."""
        if self.graphs is not None:
            return list(self.graphs)
        if self._found is None:
            manifest = self.manifest()
            if manifest is not None:
                if manifest["state"] != "complete":
                    raise RemoteError(
                        f"{self.url} holds a kg push that did not finish (push {manifest['id']}, started "
                        f"{manifest['at']}): its graphs may mix old and new data, so no query is run. "
                        "Run kg push again")
                union = manifest["union"]
                if union is not None and self._holds(union):
                    self._union = union
                else:
                    self._hint("its last kg push (" + manifest["id"] + ") left no union graph" if union is None
                               else f"the union graph <{union}> its kg push made is missing")
                self._found = manifest["graphs"]
                return self._found
            prefix = IRIs(self.base).graph("").value
            text = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                    f'FILTER(STRSTARTS(STR(?g), "{prefix}") || ?g = <{ONTOLOGY_IRI}>) }}')
            document = self._request(text, [])
            found = sorted({b["g"]["value"] for b in document.get("results", {}).get("bindings", []) if "g" in b})
            for g in found:
                if not _valid_iri(g):
                    raise RemoteError(f"{self.url} holds a graph named {g!r}, which is not a valid IRI (it cannot "
                                      "be named in a query); remove it from the server, or push with kg push, "
                                      "whose manifest lists the graphs queries see")
            if not found:
                raise RemoteError(f"{self.url} holds no graphs of this project (none under {prefix}); "
                                  "load them with kg push first, or check --base")
            self._hint("it holds no manifest of a kg push")
            self._found = found
        return self._found

    def _holds(self, graph: str) -> bool:
        document = self._request(f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT 1", [])
        return bool(document.get("results", {}).get("bindings"))

    def _hint(self, why: str) -> None:
        warnings.warn(f"{self.url}: {why}, so each query names every graph of the project, which servers answer "
                      "many times more slowly; run kg push again (this kg loads a union graph)",
                      OldLayoutWarning, stacklevel=4)

    @staticmethod
    def _result(document: dict[str, Any]) -> Result:
        try:
            return from_sparql_json(document)
        except (ValueError, KeyError, TypeError) as exc:  # e.g. a term pyoxigraph refuses (an IRI with '>')
            raise RemoteError(f"the server's answer holds a value that is not valid RDF: {exc}") from None

    def query(self, text: str, bindings: Mapping[str, NamedNode | Literal] | None = None,
              where: str = "the query") -> Result:
        """Run a SELECT or ASK query on the project's graphs; parameters go in a VALUES block."""
        try:
            text = inject_values(text, bindings or {})
        except QueryError as exc:
            raise QueryError(f"{where}: {exc}") from None
        graphs = self.project_graphs()
        return self._result(self._request(text, graphs, self._union))


# ---------------------------------------------------------------------------- push

@dataclass
class PushReport:
    """What a push loaded: the project's graphs and triples, and the union graph's triples (distinct
    triples of them all, fewer than ``triples`` where a triple is in two graphs)."""
    graphs: int = 0
    triples: int = 0
    dropped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    union: str = ""
    union_triples: int = 0
    default_graph: bool = False  # a query without FROM sees the union graph, each triple once
    clients: str = ""  # what other clients (curl, YASGUI) must do to run the saved queries: see _clients_line


class StoredGraph:
    """A named graph of ``store`` (``name``), or with ``union`` the merge of all of them (each distinct triple
    once, in the graph ``union``), read from the store each time it is walked: never held whole in Python (a
    million-firm build's graphs are 76 million quads; held as ``Quad`` objects they did not fit in 24 GB).
    ``count``: its triples.  Walked, the union keeps each triple it has given, to give it once (a push over
    HTTP); written as N-Triples for the bulk loader (:meth:`write_ntriples`) it keeps none.

    >>> store = Store()
    >>> store.extend([Quad(NamedNode("http://x/a"), NamedNode("http://x/p"), Literal("1"), NamedNode(g))
    ...               for g in ("http://x/g", "http://x/h")])
    >>> graphs = stored_graphs(store)
    >>> {g: len(quads) for g, quads in graphs.items()}
    {'http://x/g': 1, 'http://x/h': 1}
    >>> union = StoredGraph(store, None, count_triples(store), union="http://x/u")
    >>> len(union), [q.graph_name.value for q in union]
    (1, ['http://x/u'])
    """

    def __init__(self, store: Store, name: str | None, count: int, union: str = "") -> None:
        self.store, self.name, self.count, self.union = store, name, count, union

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Quad]:
        if self.name is not None:
            return iter(self.store.quads_for_pattern(None, None, None, NamedNode(self.name)))
        return self._merged()

    def _merged(self) -> Iterator[Quad]:
        # a blank node stays one node, as in the build
        seen: set[Any] = set()
        into = NamedNode(self.union)
        for quad in self.store:
            if isinstance(quad.graph_name, NamedNode) and (triple := quad.triple) not in seen:
                seen.add(triple)
                yield Quad(triple.subject, triple.predicate, triple.object, into)

    def write_ntriples(self, handle: BinaryIO) -> None:
        """Its triples as N-Triples, written by the store's engine; of the union, each graph's in turn (a triple
        in two graphs is written twice, and loaded once: a graph is a set)."""
        for name in [self.name] if self.name is not None else stored_graphs(self.store):
            self.store.dump(handle, RdfFormat.N_TRIPLES, from_graph=NamedNode(name))


def stored_graphs(store: Store) -> dict[str, StoredGraph]:
    """The store's named graphs that hold triples, each as a :class:`StoredGraph` with its count."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    counted = cast(QuerySolutions, store.query(query))
    counts = {str(row["g"].value): int(row["n"].value) for row in counted}
    return {g: StoredGraph(store, g, counts[g]) for g in sorted(counts)}


def _chunks(quads: Iterable[Quad], size: int) -> Iterator[list[Quad]]:
    """Chunks of at most ``size`` triples; triples with blank nodes go together (one INSERT DATA
    makes one blank node of each label, so a blank node must not be split across requests)."""
    part: list[Quad] = []
    blank: list[Quad] = []
    for q in quads:  # one walk: a graph read from the store is not held whole
        if isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode):
            blank.append(q)
            continue
        part.append(q)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part
    if blank:
        yield blank


def _ntriples(quads: Iterable[Quad]) -> str:
    # without an output, serialize returns the bytes
    return cast(bytes, serialize([q.triple for q in quads], format=RdfFormat.N_TRIPLES)).decode("utf-8")


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
                status: int = response.status
                return status
        except urllib.error.HTTPError as exc:
            if method == "DELETE" and exc.code == 404:
                return 404
            raise explain(exc, url, self.timeout) from None
        except (urllib.error.URLError, OSError) as exc:
            raise explain(exc, url, self.timeout) from None


#: What a server that closes the connection while a request's body is still being sent makes urllib say.
_CUT_OFF = re.compile(r"Broken pipe|Connection reset|Remote end closed connection", re.I)


def _send_part(http: _Http, method: str, url: str, part: list[Quad]) -> None:
    """Send a chunk of a graph (N-Triples is Turtle; every GSP server reads Turtle).  A server that cuts
    the connection off before the body is sent (Virtuoso 7.2 answers the first request of HTTP digest
    authentication, a 401, without reading a body of ~700 KB) gets it in halves, the second by POST;
    a chunk with blank nodes is never split (one request makes one blank node of each label)."""
    try:
        http.send(method, url, _ntriples(part).encode("utf-8"), "text/turtle")
    except RemoteError as exc:
        blank = any(isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode) for q in part)
        if len(part) < 200 or blank or not _CUT_OFF.search(str(exc)):
            raise
        half = len(part) // 2
        _send_part(http, method, url, part[:half])
        _send_part(http, "POST", url, part[half:])


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
        error = explain(exc, endpoint, timeout)
        if isinstance(error, Deadlocked):
            raise error from None  # the server takes updates; this one lost to another transaction
        status = getattr(exc, "code", None) or next(
            (c for c in (400, 403, 405, 500) if f"HTTP {c}" in str(error) or f"({c})" in str(error)), None)
        if status in (400, 403, 405, 500) and not isinstance(exc, TimeoutError):
            # the address answers, but not to SPARQL Update: say where else to push
            raise RemoteError(f"{error}. {endpoint} does not take SPARQL Update here: give the server's update "
                              f"address (--endpoint or --update, e.g. Virtuoso's /sparql-auth with --user and "
                              f"--password, Oxigraph's /update) or push by the Graph Store Protocol with --gsp URL"
                              ) from None
        raise error from None


MANIFEST_NS = "https://w3id.org/bbmb/push#"
#: Graphs per GSP request: bounded, so that no server resets a connection on a large graph.
GSP_CHUNK = 20_000
RETRIES = 3


def manifest_iri(iris: IRIs) -> str:
    """The graph (and subject) of the manifest kg push writes: outside ``{base}graph/``, so no query sees it."""
    return iris.base + "push-manifest"


def union_iri(iris: IRIs) -> str:
    """The graph kg push loads with the merge of the project's graphs: queries' default graph (``FROM``).

    Outside ``{base}graph/``: no source id can collide with it, and ``GRAPH ?g`` over the project's
    graphs (and an older kg, which finds them by that prefix) does not see every triple twice.
    """
    return iris.base + "union"


def _valid_iri(value: str) -> bool:
    try:
        NamedNode(value)
    except ValueError:
        return False
    return not re.search(r'[<>"{}|\\^`\x00-\x20]', value)


class Manifest(TypedDict):
    """The manifest of a kg push, as :func:`read_manifest` reads it from the server."""
    state: str | None  # "pushing" or "complete"
    id: str
    at: str
    graphs: list[str]
    union: str | None  # the union graph, None for a push by an older kg
    default: bool  # the push copied the union graph into the server's default graph


def read_manifest(endpoint: Endpoint, iris: IRIs) -> Manifest | None:
    """The manifest of the last kg push on the server, or None if there is none."""
    m = manifest_iri(iris)
    text = f"SELECT ?p ?o WHERE {{ GRAPH <{m}> {{ <{m}> ?p ?o }} }}"
    document = endpoint._request(text, [])
    found: Manifest = {"state": None, "id": "?", "at": "?", "graphs": [], "union": None, "default": False}
    for b in document.get("results", {}).get("bindings", []):
        p, o = b.get("p", {}).get("value", ""), b.get("o", {}).get("value", "")
        if not p.startswith(MANIFEST_NS):
            continue
        key = p[len(MANIFEST_NS):]
        if key == "graph":
            if _valid_iri(o):
                found["graphs"].append(o)
        elif key == "union":
            if _valid_iri(o):
                found["union"] = o
        elif key == "defaultGraph":
            found["default"] = o == "union"
        elif key == "state":
            # "pushing" wins over "complete": a push that started and did not finish
            if found["state"] != "pushing":
                found["state"] = o
        elif key == "id":
            found["id"] = o
        elif key == "at":
            found["at"] = o
    if found["state"] is None:
        return None
    found["graphs"] = sorted(set(found["graphs"]))
    return found


def _manifest_ntriples(iris: IRIs, state: str, push_id: str, at: str, graphs: Iterable[str],
                       counts: Mapping[str, int] | None = None, union: str | None = None,
                       default: bool = False) -> str:
    m = manifest_iri(iris)
    lines = [f'<{m}> <{MANIFEST_NS}state> "{state}" .', f'<{m}> <{MANIFEST_NS}id> "{push_id}" .',
             f'<{m}> <{MANIFEST_NS}at> "{at}" .']
    lines += [f"<{m}> <{MANIFEST_NS}graph> <{g}> ." for g in sorted(graphs)]
    if union is not None:
        lines.append(f"<{m}> <{MANIFEST_NS}union> <{union}> .")
    if default:  # the server's default graph holds a copy of the union graph, which the next push may replace
        lines.append(f'<{m}> <{MANIFEST_NS}defaultGraph> "union" .')
    lines += [f'<{g}> <{MANIFEST_NS}triples> "{n}"^^<http://www.w3.org/2001/XMLSchema#integer> .'
              for g, n in sorted((counts or {}).items())]
    return "\n".join(lines) + "\n"


def _backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: doubling from 1 s, at most 8 s."""
    return min(8.0, 0.5 * 2.0 ** attempt)


def _retrying(what: str, action: Callable[[], object], say: Callable[[str], None], retries: int = RETRIES) -> None:
    """Run ``action``; after a failure to reach the server (not a refusal), wait and try again."""
    for attempt in range(1, retries + 1):
        try:
            action()
            return
        except Unauthorized:
            raise  # it says all: which address refused which credentials
        except RemoteError as exc:
            text = str(exc)
            refused = re.search(r"HTTP (4\d\d)", text) is not None
            if refused or attempt == retries:
                raise RemoteError(f"{text} (while {what}; attempt {attempt} of {retries})") from None
            say(f"{what}: {text}; trying again")
            time.sleep(_backoff(attempt))


def staging_prefix(iris: IRIs) -> str:
    """Where a push loads its graphs before it switches them in: ``{base}push-staging/<push id>/<n>``."""
    return iris.base + "push-staging/"


def lock_prefix(iris: IRIs) -> str:
    """The lock of kg push on a server: one graph ``{base}push-lock/<push id>`` per push that wants it."""
    return iris.base + "push-lock/"


LOCK_LEASE = 300.0  # seconds a lock entry stays valid unless renewed; a killed push's lock expires after it
LOCK_WAIT = 600.0  # seconds a push waits for another to finish
SWITCH_TIMEOUT = 600.0  # seconds the server may take to move the staged graphs in (at least --timeout)
_RUNNING: set[str] = set()  # the pushes under way in this process


class _Target:
    """The server a push writes to: SPARQL Update at ``update`` and, with ``gsp``, the Graph Store Protocol."""

    def __init__(self, endpoint: str, update: str, gsp: str | None, user: str | None, password: str | None,
                 timeout: float, auth: str, retries: int, say: Callable[[str], None]) -> None:
        self.endpoint, self.update_url, self.gsp = endpoint, update, gsp
        self.user, self.password, self.timeout, self.auth, self.retries, self.say = \
            user, password, timeout, auth, retries, say
        self.http = _Http(gsp, user, password, timeout) if gsp else None
        self.reader = Endpoint(endpoint, user, password, timeout, auth=auth)

    def update(self, text: str, timeout: float | None = None) -> None:
        _update(self.update_url, text, self.user, self.password, timeout or self.timeout, self.auth)

    def takes_updates(self) -> bool:
        """Whether ``update`` accepts SPARQL Update (a harmless no-op is sent); always asked without --gsp,
        where an address that does not is an error that says where else to push."""
        try:
            self.update("DROP SILENT GRAPH <urn:kg:push:probe>")
        except RemoteError:
            if self.http is None:
                raise
            return False
        return True

    def gsp_url(self, graph: str | None) -> str:
        """The Graph Store Protocol address of a graph (None: the server's default graph)."""
        return f"{self.gsp}?default" if graph is None else f"{self.gsp}?{urllib.parse.urlencode({'graph': graph})}"

    def replace(self, graph: str | None, quads: Iterable[Quad], chunk: int, gsp_chunk: int) -> None:
        """Make ``graph`` (None: the default graph) hold ``quads`` and nothing else, in bounded requests,
        retried from its start."""
        load: Callable[[], None]
        http = self.http
        if http is not None:
            parts = list(_chunks(quads, gsp_chunk)) or [[]]

            def load_by_gsp() -> None:
                for i, part in enumerate(parts):
                    _send_part(http, "PUT" if i == 0 else "POST", self.gsp_url(graph), part)
            load = load_by_gsp
        else:
            def load_by_update() -> None:
                self.update("DROP SILENT DEFAULT" if graph is None else f"DROP SILENT GRAPH <{graph}>")
                for part in _chunks(quads, chunk):
                    body = _ntriples(part) if graph is None else f"GRAPH <{graph}> {{\n{_ntriples(part)}}}"
                    # blank nodes: INSERT ... WHERE {} (one solution, so one fresh node per label); some
                    # servers (Virtuoso 7.2) refuse blank nodes in INSERT DATA, which SPARQL 1.1 allows
                    blank = any(isinstance(q.subject, BlankNode) or isinstance(q.object, BlankNode) for q in part)
                    self.update(f"INSERT {{ {body} }} WHERE {{}}" if blank else f"INSERT DATA {{ {body} }}")
            load = load_by_update
        _retrying(f"loading {graph or 'the default graph'}", load, self.say, self.retries)

    def put_small(self, graph: str, ntriples: str, what: str, by_update: bool) -> None:
        """Replace a small graph (the manifest, a lock entry) in one request."""
        if by_update or self.http is None:
            self.retried(what, f"DROP SILENT GRAPH <{graph}> ;\nINSERT DATA {{ GRAPH <{graph}> {{ {ntriples} }} }}")
        else:
            http = self.http
            _retrying(what, lambda: http.send("PUT", self.gsp_url(graph), ntriples.encode("utf-8"), "text/turtle"),
                      self.say, self.retries)

    def drop(self, graph: str, by_update: bool) -> None:
        if by_update or self.http is None:
            self.retried(f"dropping {graph}", f"DROP SILENT GRAPH <{graph}>")
        else:
            http = self.http
            _retrying(f"dropping {graph}", lambda: http.send("DELETE", self.gsp_url(graph)), self.say, self.retries)

    def retried(self, what: str, text: str) -> None:
        _retrying(what, lambda: self.update(text), self.say, self.retries)

    def graphs_under(self, prefix: str) -> list[str]:
        document = self.reader._request("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
                                        f'FILTER(STRSTARTS(STR(?g), "{prefix}")) }}', [])
        return sorted(b["g"]["value"] for b in document.get("results", {}).get("bindings", []) if "g" in b)


class _PushLock:
    """At most one kg push at a time on a server, whichever machine it runs on: the lock lives on the server.

    Each push that wants the server writes its own entry (a graph ``{base}push-lock/<id>`` holding an
    expiry time), then reads every entry: it holds the lock if no other live entry is there, else it
    removes its own and tries again a little later.  A single server answers each read after the
    writes before it, so of two pushes at most one sees no other entry (the later reader sees both).
    This needs no conditional update (Virtuoso 7.2 applies ``INSERT ... WHERE { FILTER NOT EXISTS }``
    unconditionally) and works with the Graph Store Protocol alone.  The holder renews its entry while it
    runs; the entry of a push that was killed expires after :data:`LOCK_LEASE` seconds, or at once
    where its process is known to be gone (the entry names its host and process id).
    """

    def __init__(self, target: _Target, iris: IRIs, push_id: str, by_update: bool, wait: float) -> None:
        self.target, self.push_id, self.by_update, self.wait = target, push_id, by_update, wait
        self.prefix = lock_prefix(iris)
        self.graph = self.prefix + urllib.parse.quote(push_id, safe="")
        self.stop = threading.Event()
        self.renewer: threading.Thread | None = None

    def _write(self) -> None:
        expires = time.time() + LOCK_LEASE
        g = f"<{self.graph}>"
        self.target.put_small(self.graph, f'{g} <{MANIFEST_NS}expires> "{expires:.3f}" .\n'
                                          f'{g} <{MANIFEST_NS}host> {json.dumps(socket.gethostname())} .\n'
                                          f'{g} <{MANIFEST_NS}pid> "{os.getpid()}" .\n',
                              "taking the push lock", self.by_update)

    @staticmethod
    def _alive(entry: dict[str, str]) -> bool:
        """Is the push of a lock entry still running?  Known for certain on this machine, else by its expiry."""
        try:
            if float(entry.get("expires", "0")) < time.time():
                return False
            if entry.get("host") != socket.gethostname() or not entry.get("pid", "").isdigit():
                return True
            pid = int(entry["pid"])
            if pid == os.getpid():  # this process: running only if it is one of the pushes under way here
                return entry.get("id", "") in _RUNNING
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except (ValueError, OSError):
            return True
        return True

    def _others(self) -> list[str]:
        """The push ids of the other entries whose push still runs; the others' entries are removed."""
        text = (f"SELECT ?g ?p ?o WHERE {{ GRAPH ?g {{ ?g ?p ?o }} "
                f'FILTER(STRSTARTS(STR(?g), "{self.prefix}")) }}')
        document = self.target.reader._request(text, [])
        entries: dict[str, dict[str, str]] = {}
        for b in document.get("results", {}).get("bindings", []):
            with contextlib.suppress(KeyError):
                graph, key = b["g"]["value"], b["p"]["value"][len(MANIFEST_NS):]
                entries.setdefault(graph, {"id": urllib.parse.unquote(graph[len(self.prefix):])})[key] = \
                    b["o"]["value"]
        entries.pop(self.graph, None)
        running = []
        for graph, entry in sorted(entries.items()):
            if self._alive(entry):
                running.append(entry["id"])
            else:
                self.target.drop(graph, self.by_update)  # of a push that was stopped
        return running

    def __enter__(self) -> _PushLock:
        started = time.monotonic()
        said = False
        while True:
            self._write()
            others = self._others()
            if not others:
                break
            self.target.drop(self.graph, self.by_update)
            waited = time.monotonic() - started
            if waited > self.wait:
                raise RemoteError(f"another kg push ({', '.join(others)}) holds "
                                  f"{self.target.endpoint}; waited {waited:.0f} s for it to finish. Try again later "
                                  f"(the lock of a push that was stopped expires within {LOCK_LEASE:.0f} s)")
            if not said:
                self.target.say(f"waiting for another kg push to finish ({', '.join(others)})")
                said = True
            time.sleep(random.uniform(0.2, 1.0))  # a random pause: two pushes that met do not meet again
        _RUNNING.add(self.push_id)
        self.renewer = threading.Thread(target=self._renew, name="kg-push-lock", daemon=True)
        self.renewer.start()
        return self

    def _renew(self) -> None:
        while not self.stop.wait(LOCK_LEASE / 4):
            with contextlib.suppress(RemoteError):
                self._write()

    def __exit__(self, *exc: object) -> None:
        _RUNNING.discard(self.push_id)
        self.stop.set()
        if self.renewer is not None:
            self.renewer.join()
        with contextlib.suppress(RemoteError):
            self.target.drop(self.graph, self.by_update)


def push(store: Store, endpoint: str, *, gsp: str | None = None, user: str | None = None,
         password: str | None = None, base: str | None = None, timeout: float = DEFAULT_TIMEOUT,
         chunk: int = 1000, auth: str = "digest", progress: Callable[[str], None] | None = None,
         update: str | None = None, gsp_chunk: int = GSP_CHUNK, retries: int = RETRIES,
         wait: float = LOCK_WAIT, bulk: BulkLoader | None = None, union_triples: int | None = None) -> PushReport:
    """Load the built dataset into a SPARQL server, replacing only the project's own named graphs.

    ``endpoint`` is a SPARQL endpoint that answers queries; ``update`` one that accepts SPARQL
    Update (default: ``endpoint``); with ``gsp`` (a Graph Store Protocol address) the graphs are
    loaded by HTTP PUT and POST in chunks of ``gsp_chunk`` triples instead.  Requests that fail to
    reach the server are retried.

    Besides the build's graphs, the union graph (:func:`union_iri`) is replaced with the merge of
    them all (each distinct triple once), which queries then take as their default graph; ``union_triples``:
    how many triples that is, where known (the build's record: ``kg push`` gives it), else counted by the
    store's engine (which holds every distinct triple to count them: 14 GB and more at a million firms).
    The graphs are read from the store as they are sent (:class:`StoredGraph`), never held whole.

    With ``bulk`` (Virtuoso, sharing a folder with this machine: :mod:`kg.bulkload`) the server's bulk
    loader replaces the graphs in place from files (:func:`_push_bulk`: remote queries refuse to run
    until it is complete); ``update`` (or ``endpoint``) must take SPARQL Update, for the manifest.

    One push at a time: a second push waits (up to ``wait`` seconds) for the first to finish
    (:class:`_PushLock`, a lock on the server).  All or nothing, as queries see it: every graph is
    first loaded under a staging name (:func:`staging_prefix`) and its triple count checked there,
    while the previous push stays complete and readable; then one SPARQL Update request moves the
    staged graphs onto the project's names and rewrites the manifest (:func:`manifest_iri`) from
    "pushing" to "complete"; graphs an earlier push's manifest lists and the build lacks are dropped
    after it (the new manifest no longer lists them, so no query sees them meanwhile).  An
    Oxigraph server runs that request as one transaction; Virtuoso runs its steps in order, so a
    failure inside it (server-side moves only, no data sent) leaves the manifest "pushing" and
    remote queries (:class:`Endpoint`) refuse to run rather than answer from a mix.  With ``gsp``
    and no address that takes SPARQL Update, the graphs are replaced in place, marked "pushing"
    meanwhile.  No graph but the project's, its union, the manifest, its staging and lock graphs
    is touched.
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    iris = IRIs(base)
    graphs = stored_graphs(store)
    _check_graph_names(graphs, iris)
    union = union_iri(iris)
    union_quads = StoredGraph(store, None, count_triples(store) if union_triples is None else union_triples,
                              union=union)
    target = _Target(endpoint, update or endpoint, gsp, user, password, timeout, auth, retries, say)
    push_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{random.randrange(16**6):06x}"
    at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    by_update = target.takes_updates()
    if bulk is not None and not by_update:
        raise RemoteError(f"{target.update_url} takes no SPARQL Update, which a bulk push needs for its manifest: "
                          "give the server's update address (Virtuoso: /sparql-auth) as --endpoint")
    with _PushLock(target, iris, push_id, by_update, wait) as lock:
        old = read_manifest(target.reader, iris)
        plan = _PushPlan(target=target, iris=iris, push_id=push_id, at=at, graphs=graphs, union=union,
                         union_quads=union_quads, stale=sorted(set(old["graphs"] if old else []) - set(graphs)),
                         chunk=chunk, gsp_chunk=gsp_chunk,
                         to_default=bulk is None and _may_fill_default(target, lock.graph, old))
        if bulk is not None:
            _push_bulk(plan, bulk)
        elif by_update:
            _push_staged(plan)
        else:
            _push_in_place(plan)
        for g in plan.stale:
            say(f"dropped graph {g} (an earlier push's, not in this build)")
    default_graph, clients = _clients_line(target.reader, union, union_quads)
    report = PushReport(graphs=len(graphs), triples=sum(len(q) for q in graphs.values()), dropped=plan.stale,
                        seconds=time.perf_counter() - started, union=union, union_triples=len(union_quads),
                        default_graph=default_graph, clients=clients)
    copied = " (also the server's default graph)" if plan.to_default else ""
    say(f"pushed {report.triples:,} triples in {report.graphs} graphs, and their union ({report.union_triples:,} "
        f"triples, {union}{copied}), to {gsp or target.update_url}{' (bulk loader)' if bulk else ''} in "
        f"{report.seconds:.1f} s")
    return report


def default_graph_uri(union: str) -> str:
    """The SPARQL protocol parameter another client sends with a saved query so that its default graph is
    the union graph (curl: ``--data-urlencode`` it).

    >>> default_graph_uri("https://w3id.org/bbmb/union")
    'default-graph-uri=https://w3id.org/bbmb/union'
    """
    return f"default-graph-uri={union}"


def _count(reader: Endpoint, text: str) -> int:
    """The ``?n`` of a query that counts, sent as it is (no FROM added)."""
    bindings = reader._request(text, []).get("results", {}).get("bindings", [])
    try:
        return int(bindings[0]["n"]["value"]) if bindings else 0
    except (KeyError, ValueError):
        raise RemoteError(f"{reader.url} answered a COUNT query without a number: {bindings[:1]}") from None


def _may_fill_default(target: _Target, lock_graph: str, old: Manifest | None) -> bool:
    """Whether push makes the server's default graph a copy of the union graph, for clients that send a
    saved query as it is: only where the default graph is a graph of its own (this push's lock graph is
    not in it; on Virtuoso and ``oxigraph serve --union-default-graph`` it is the merge of all graphs,
    where a copy would count every triple once more), and empty or the copy an earlier push made (as
    many triples as that push's union graph).  Anything else in it is left alone."""
    reader = target.reader
    if reader._request(f"ASK {{ <{lock_graph}> <{MANIFEST_NS}expires> ?e }}", []).get("boolean"):
        return False
    held = _count(reader, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    if held == 0:
        return True
    if old is not None and old["default"] and old["union"] is not None and held == _count(
            reader, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{old['union']}> {{ ?s ?p ?o }} }}"):
        return True
    target.say(f"the server's default graph holds {held:,} triples that are not a copy a kg push made: "
               "left as it is")
    return False


def _clients_line(reader: Endpoint, union: str, union_quads: Iterable[Quad]) -> tuple[bool, str]:
    """Whether a query sent as it is (no FROM) sees the union graph, each triple once, and the line that
    tells users of other clients so, or what to add: asked of the server with one triple of the union.

    Where the default graph counts the triple more than once, the same is asked with ``FROM <union>``:
    ``oxigraph serve --union-default-graph`` ignores FROM, so ``kg query --endpoint`` is wrong there too.
    """
    # an IRI object where there is one: servers match it exactly (a literal's datatype may be normalised)
    probe = None
    for q in union_quads:
        if not isinstance(q.subject, BlankNode) and not isinstance(q.object, BlankNode):
            probe = probe or q.triple
            if isinstance(q.object, NamedNode):
                probe = q.triple
                break
    pattern = "" if probe is None else (f"{term_text(cast(NamedNode, probe.subject))} {term_text(probe.predicate)} "
                                        f"{term_text(cast('NamedNode | Literal', probe.object))}")
    seen = _count(reader, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}") if pattern else 0
    if seen == 1:
        return True, "other clients see the data: the union is the server's default graph"
    why = ("does not hold the data" if seen == 0 else
           f"is the merge of all its graphs, where each triple counts {seen} times")
    line = (f"other clients must add {default_graph_uri(union)} to each query (the SPARQL protocol's "
            f"parameter): the server's default graph {why}")
    if seen > 1 and _count(reader, f"SELECT (COUNT(*) AS ?n) FROM <{union}> WHERE {{ {pattern} }}") > 1:
        line += ("; it ignores FROM (oxigraph serve --union-default-graph), so kg query --endpoint counts them "
                 "as often: restart it without that option and push again")
    return False, line


def _check_graph_names(graphs: Iterable[str], iris: IRIs) -> None:
    """Refuse a build with a graph name that is not an IRI or is one of the names push gives its own graphs."""
    for g in graphs:
        if not _valid_iri(g):
            raise RemoteError(f"the build holds a graph named {g!r}, which is not a valid IRI; check --base")
    reserved = (union_iri(iris), manifest_iri(iris))
    own = [g for g in reserved if g in graphs] + \
        [g for g in graphs if g.startswith((staging_prefix(iris), lock_prefix(iris)))]
    if own:
        raise RemoteError(f"the build holds a graph named {own[0]}, the name kg push gives its own graphs on "
                          "the server; check --base")


@dataclass
class _PushPlan:
    """One push under way (it holds the lock): what it loads onto the server, and what it drops."""
    target: _Target
    iris: IRIs
    push_id: str
    at: str  # when it started
    graphs: Mapping[str, StoredGraph]  # the build's graphs
    union: str
    union_quads: StoredGraph
    stale: list[str]  # graphs the last push's manifest lists and the build lacks: the push drops them
    chunk: int  # triples per INSERT DATA
    gsp_chunk: int  # triples per Graph Store Protocol request
    to_default: bool  # the union is copied into the server's default graph too (see _may_fill_default)
    load: dict[str, StoredGraph] = field(init=False)  # the build's graphs and their union
    expected: dict[str, int] = field(init=False)  # triples per graph of ``load``

    def __post_init__(self) -> None:
        self.load = {**self.graphs, self.union: self.union_quads}
        self.expected = {g: len(q) for g, q in self.load.items()}

    def pushing_manifest(self) -> str:
        """The manifest while the push runs: it lists both the build's graphs and the stale ones."""
        return _manifest_ntriples(self.iris, "pushing", self.push_id, self.at, set(self.stale) | set(self.graphs),
                                  None, self.union, self.to_default)

    def complete_manifest(self) -> str:
        """The manifest of the finished push: the build's graphs and the triples of each."""
        return _manifest_ntriples(self.iris, "complete", self.push_id, self.at, self.graphs, self.expected,
                                  self.union, self.to_default)


def _push_staged(plan: _PushPlan) -> None:
    """Push with SPARQL Update: load into staging graphs, switch them in with one request, then drop the
    stale graphs (no longer listed by the manifest, so no query sees them)."""
    staged = _stage(plan)
    _switch(plan, staged)
    for g in plan.stale:
        plan.target.drop(g, True)


def _stage(plan: _PushPlan) -> dict[str, str]:
    """Load each graph under a staging name and check its triples there: the staging name of each graph.

    The staging graphs a stopped push left are dropped first; on any failure the ones loaded now are too,
    and the previous push is left as it was.
    """
    target, prefix = plan.target, staging_prefix(plan.iris)
    for left in target.graphs_under(prefix):  # of a push that was stopped
        target.drop(left, True)
    staged = {g: f"{prefix}{urllib.parse.quote(plan.push_id, safe='')}/{i}" for i, g in enumerate(sorted(plan.load))}
    try:
        for g in sorted(plan.load):
            target.replace(staged[g], plan.load[g], plan.chunk, plan.gsp_chunk)
        _check_counts(target.reader, {staged[g]: n for g, n in plan.expected.items()}, target.endpoint,
                      "staging; the previous push is left as it was")
    except BaseException:
        for name in staged.values():
            with contextlib.suppress(RemoteError):
                target.drop(name, True)
        raise
    return staged


def _switch_request(plan: _PushPlan, staged: Mapping[str, str]) -> str:
    """The one SPARQL Update request that switches the staged graphs in, server-side moves only: the
    manifest says "pushing", each staged graph moves onto its name, the manifest says "complete"."""
    m = manifest_iri(plan.iris)
    # the manifest is emptied with DELETE WHERE: Virtuoso 7.2's DROP inside a request does not remove what
    # an earlier step of the same request inserted
    clear = f"DELETE WHERE {{ GRAPH <{m}> {{ ?s ?p ?o }} }}"
    steps = [clear, f"INSERT DATA {{ GRAPH <{m}> {{ {plan.pushing_manifest()} }} }}"]
    steps += [f"MOVE <{staged[g]}> TO <{g}>" for g in sorted(plan.load)]
    if plan.to_default:  # a copy made by the server: no data sent again
        steps.append(f"COPY <{plan.union}> TO DEFAULT")
    steps += [clear, f"INSERT DATA {{ GRAPH <{m}> {{ {plan.complete_manifest()} }} }}"]
    return " ;\n".join(steps)


def _switch(plan: _PushPlan, staged: Mapping[str, str]) -> None:
    """Send the switch request (:func:`_switch_request`), once, or again only where the server says it rolled
    the request back as a deadlock's victim (:class:`Deadlocked`; a second push waiting for the lock can be
    the other side).

    Not retried otherwise: a step that ran before a dropped connection must not run again (Virtuoso's MOVE
    from a graph already moved empties the target).  The server copies every triple once, so it may take longer
    than one request of the load.
    """
    target = plan.target
    for attempt in range(1, target.retries + 1):
        try:
            target.update(_switch_request(plan, staged), max(target.timeout, SWITCH_TIMEOUT))
            return
        except Deadlocked as exc:  # rolled back whole (the request is one transaction): sent again
            if attempt == target.retries:
                raise RemoteError(f"{exc} (while switching the pushed graphs in, attempt {attempt} of "
                                  f"{target.retries}; the server rolled each back). Run kg push again") from None
            target.say(f"switching the pushed graphs in: the server rolled it back as a deadlock's victim; "
                       f"trying again ({exc})")
            time.sleep(_backoff(attempt))
        except RemoteError as exc:
            raise RemoteError(f"{exc} (while switching the pushed graphs in: remote queries refuse to run "
                              "until a push completes). Run kg push again") from None


def _push_bulk(plan: _PushPlan, bulk: BulkLoader) -> None:
    """Push with Virtuoso's bulk loader (:mod:`kg.bulkload`), in place: the manifest says "pushing" (remote
    queries refuse to run), the graphs are emptied and loaded from files by the server, counted, and the
    manifest says "complete".  No staging and no switch: Virtuoso moves a staged graph triple by triple, in one
    transaction that its TransactionAfterImageLimit refuses from about 10,000 firms, and slower than the load."""
    target, m = plan.target, manifest_iri(plan.iris)
    target.put_small(m, plan.pushing_manifest(), "writing the push manifest", True)
    bulk.clear([*plan.stale, *sorted(plan.load)])
    seconds = bulk.load(plan.load, plan.push_id)
    target.say(f"the bulk loader took {seconds:.1f} s")
    _check_counts(target.reader, plan.expected, target.endpoint, "the push is left marked unfinished")
    target.put_small(m, plan.complete_manifest(), "writing the push manifest", True)


def _push_in_place(plan: _PushPlan) -> None:
    """Push with the Graph Store Protocol alone: replace each graph in place, the manifest "pushing" meanwhile."""
    target, m = plan.target, manifest_iri(plan.iris)
    target.say(f"{target.update_url} takes no SPARQL Update: the graphs are replaced in place (remote queries "
               "refuse to run until the push is complete); give --update for a push that leaves the previous "
               "one readable until it has succeeded")
    target.put_small(m, plan.pushing_manifest(), "writing the push manifest", False)
    for g in plan.stale:
        target.drop(g, False)
    for g in sorted(plan.load):
        target.replace(g, plan.load[g], plan.chunk, plan.gsp_chunk)
    if plan.to_default:
        target.replace(None, plan.union_quads, plan.chunk, plan.gsp_chunk)
    _check_counts(target.reader, plan.expected, target.endpoint, "the push is left marked unfinished")
    if plan.to_default:
        held = _count(target.reader, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        if held != len(plan.union_quads):
            raise RemoteError(f"after loading, {target.endpoint} holds {held:,} triples in its default graph, not "
                              f"{len(plan.union_quads):,}; the push is left marked unfinished. Run kg push again")
    target.put_small(m, plan.complete_manifest(), "writing the push manifest", False)


def _check_counts(reader: Endpoint, expected: Mapping[str, int], endpoint: str, then: str) -> None:
    """Raise unless each graph on the server holds the expected number of triples."""
    counted = _counts(reader, list(expected))
    wrong = {g: (counted.get(g, 0), n) for g, n in expected.items() if counted.get(g, 0) != n}
    if wrong:
        g, (got, want) = sorted(wrong.items())[0]
        raise RemoteError(f"after loading, {endpoint} holds {got:,} triples in {g}, not {want:,} "
                          f"({len(wrong)} graph(s) differ); {then}. Run kg push again")


def _counts(endpoint: Endpoint, graphs: list[str]) -> dict[str, int]:
    """Triples per graph on the server, a few graphs a query."""
    out: dict[str, int] = {}
    for i in range(0, len(graphs), 50):
        names = " ".join(f"<{g}>" for g in graphs[i:i + 50])
        document = endpoint._request(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {names} }} "
                                     "GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", [])
        for b in document.get("results", {}).get("bindings", []):
            out[b["g"]["value"]] = int(b["n"]["value"])
    return out
