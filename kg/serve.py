"""A read-only SPARQL 1.1 Protocol endpoint over the built graph, with a small query page.

    >>> from kg.build import build
    >>> with serve(build().store, port=0) as server:          # doctest: +SKIP
    ...     print(server.url + "sparql")                      # query it with SPARQLWrapper, curl, YASGUI ...

What it does, and does not:

* ``GET /sparql?query=...``, ``POST /sparql`` (form-encoded ``query=`` or a body of type
  ``application/sparql-query``); queries see the union of the named graphs, or the graphs named by
  ``default-graph-uri`` / ``named-graph-uri``.
* The result format follows the ``Accept`` header (or a ``format`` parameter as SPARQLWrapper
  sends it): SPARQL JSON (default), SPARQL XML, CSV, TSV; CONSTRUCT/DESCRIBE give Turtle, N-Triples,
  RDF/XML or N3, and 406 for a type none of :mod:`kg.writers` writes.
* Updates are refused (403).  ``SERVICE`` (a query that makes the server fetch from another address)
  is refused (400) by construction, not by reading the query: the workers that evaluate queries have
  no network (:mod:`kg.sandbox`), so the engine cannot connect anywhere however the query is
  written, and the answer is the same for every address (``SERVICE SILENT`` gives no rows from it,
  as the standard says of a failed silent service).  The server binds 127.0.0.1 only, answers only
  requests whose ``Host`` is 127.0.0.1, localhost or [::1] (a web page cannot reach it by DNS
  rebinding), and refuses requests that a browser sends on behalf of another site (``Origin`` --
  scheme, host and port -- or ``Sec-Fetch-Site`` not this server).
* Queries run in a pool of worker processes (:class:`QueryRunner`): a query that crashes the query
  engine, runs past ``timeout`` seconds or needs more than ``memory_mb`` MB costs its worker, which
  is killed (its memory freed) and replaced, not the server; the client gets 500 or 503 with a
  message.  A worker cannot open sockets (of any kind) or files.
* Limits: at most ``max_rows`` result rows (larger results are refused with 400 rather than cut
  silently: add LIMIT), ``workers`` queries at once plus ``workers // 2`` short ones (the short
  lane of :class:`QueryRunner`; later ones wait for a worker up to ``timeout``), request bodies of at most
  1 MB, parameter values of at most 1,000 characters (numbers of at most 100 digits), a whole request
  within ``request_timeout`` seconds (408), 30 s of socket silence, :data:`MAX_CONNECTIONS` connections
  served at once (more are answered 503 at once); a listen backlog of 128 connections.  Methods other
  than GET, HEAD and POST: 405.
* ``GET /`` is an HTML page: type a query, or pick a saved one and fill in its parameters, and see
  the result table.  Every value shown is HTML-escaped, and the page's Content-Security-Policy
  allows no scripts.
"""
from __future__ import annotations

import contextlib
import errno
import html
import io
import os
import pickle
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
import typing
import urllib.parse
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Required, TypedDict, TypeVar, cast

from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    Literal,
    NamedNode,
    QueryBoolean,
    QueryTriples,
    RdfFormat,
    Store,
    Triple,
    serialize,
)

from . import writers
from .builds import hold_store
from .errors import ServerError
from .namespaces import PREFIXES
from .query import QUERIES_DIR, Param, QueryError, SavedQuery, _syntax_error, bind, library
from .results import Result, Term, compactor

MAX_BODY = 1_000_000
MAX_WORKERS = 4
MEMORY_MB = 2048  # per query (worker process), over what the worker holds when it starts
HOST = "127.0.0.1"
SOCKET_TIMEOUT = 30.0
BACKLOG = 128
MAX_PARAM = 1000  # characters of a parameter value
MAX_DIGITS = 100  # digits of a number parameter (1e1000000 is seven characters and a million digits)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store
REQUEST_TIMEOUT = 10.0  # seconds to send a whole request (line, headers, body), however it trickles
MAX_CONNECTIONS = 64  # connections served at once (one thread each)
#: After its answer, a connection is read (and what comes discarded) this long before it is closed: a client
#: still sending (a trickled request answered 408) then reads the answer instead of a reset that loses it.
LINGER_SECONDS = 2.0
SHORT_LANE_SECONDS = 1.0  # how long a worker kept for short queries may be held by one
LONG_QUERY_NICE = 10  # the nice value of a worker whose query runs long (past a quarter of the timeout, 1 s at least)

#: The media types are those of kg.writers: ``sparql-result`` writers answer SELECT and ASK, ``graph``
#: writers CONSTRUCT and DESCRIBE.  An Accept of any type picks these writers:
_ANY_RESULT, _ANY_GRAPH = ("*/*", "application/*"), ("*/*", "text/*", "application/*")
_DEFAULT_RESULT, _DEFAULT_GRAPH = "sparql-json", "turtle"


class _Request(TypedDict, total=False):
    """What the server hands a worker: the query and how to answer it."""
    mode: Required[str]  # "sparql" (the protocol) or "page" (an HTML table)
    text: Required[str]
    default: list[str]  # default-graph-uri
    named: list[str]  # named-graph-uri
    accept: str | None
    formats: list[str]  # format and output parameters
    base: str | None


#: What a worker answers: ("ok", status, content type, body) or ("refused", status, message).
_Answer = tuple[typing.Literal["ok"], int, str, bytes] | tuple[typing.Literal["refused"], int, str]
_T = TypeVar("_T")


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def _accepted(header: str | None) -> list[str]:
    """Media types of an Accept header, best first (q-values respected, order kept among equals)."""
    items = []
    for i, part in enumerate((header or "").split(",")[:50]):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(f[2:8])
        if fields[0]:
            items.append((-q, i, fields[0].lower()))
    return [t for _, _, t in sorted(items)]


# ---------------------------------------------------------------------------- SERVICE

#: What a query that asks for another address (SERVICE) is told.  The refusal is not decided by reading
#: the query's text but by the kernel: a worker can open no socket (kg.sandbox), so the engine's HTTP
#: client fails before it sends anything, the same way for every address and port.
SERVICE_REFUSED = ("SERVICE is refused: this server does not fetch data from other addresses "
                   "(federated queries); query the other server yourself")
#: How the query engine reports a failure to reach another address (pyoxigraph 0.5: the socket call's
#: EPERM, a name that cannot be resolved, or a port it does not contact).
_NETWORK_FAILURE = re.compile(r"os error 1\b|Operation not permitted|lookup address|name resolution|"
                              r"is not allowed for HTTP", re.I)


def _is_network_failure(exc: BaseException) -> bool:
    """Did the engine fail because it was not let out (a SERVICE)?  Only for the message: the guard is the sandbox."""
    return isinstance(exc, OSError) and (exc.errno == errno.EPERM or bool(_NETWORK_FAILURE.search(str(exc))))


# ---------------------------------------------------------------------------- worker processes

def _result_writer(accept: str | None, formats: list[str]) -> writers.Writer[writers.ResultFunction]:
    """The writer of a SELECT or ASK answer: ``format`` parameters first, then the Accept header's order."""
    wanted = [w for w in (writers.for_short_name(f, "sparql-result") for f in formats) if w is not None]
    for accepted in _accepted(accept):
        writer = writers.for_media_type(accepted, "sparql-result")
        if writer is not None:
            wanted.append(writer)
        elif accepted in _ANY_RESULT:
            wanted.append(writers.get(_DEFAULT_RESULT, "sparql-result"))
    if not wanted and accept:
        raise _Refused(HTTPStatus.NOT_ACCEPTABLE,
                       "results are available as " + ", ".join(writers.media_types("sparql-result")))
    return wanted[0] if wanted else writers.get(_DEFAULT_RESULT, "sparql-result")


def _capped(items: Iterable[_T], max_rows: int) -> list[_T]:
    """The rows of a result, refused past ``max_rows``."""
    rows: list[_T] = []
    for item in items:
        rows.append(item)
        if len(rows) > max_rows:
            raise _Refused(HTTPStatus.BAD_REQUEST,
                           f"the result has more than {max_rows:,} rows, this server's cap; "
                           "add LIMIT and OFFSET to page through it")
    return rows


def _answer(store: Store, request: _Request, max_rows: int) -> tuple[int, str, bytes]:
    """Evaluate one request in a worker: (status, content type, body)."""
    result, triples = _evaluate(store, request, max_rows)
    if request.get("mode") == "page":
        return HTTPStatus.OK, "text/html", _html_table(result, request.get("base")).encode("utf-8")
    if triples is not None:
        return _graph_answer(triples, request.get("accept"))
    writer = _result_writer(request.get("accept"), request.get("formats", []))
    return HTTPStatus.OK, writer.media_type, writer.load()(result, None).encode("utf-8")


def _dataset(request: _Request) -> tuple[list[NamedNode | BlankNode | DefaultGraph] | None,
                                         list[NamedNode | BlankNode] | None]:
    """The default graph and the named graphs a request names (``default-graph-uri``, ``named-graph-uri``),
    None for each it leaves out."""
    default, named = request.get("default", []), request.get("named", [])
    try:
        default_graph: list[NamedNode | BlankNode | DefaultGraph] | None = \
            [NamedNode(g) for g in default] if default else None
        named_graphs: list[NamedNode | BlankNode] | None = [NamedNode(g) for g in named] if named else None
    except ValueError as exc:
        raise _Refused(HTTPStatus.BAD_REQUEST, f"a graph name is not a valid IRI: {exc}") from None
    return default_graph, named_graphs


def _evaluate(store: Store, request: _Request, max_rows: int) -> tuple[Result, list[Triple] | None]:
    """Run the request's query: its answer as a table, and the triples of a CONSTRUCT or DESCRIBE (None
    for SELECT and ASK).  Without a dataset named, the query sees the union of the named graphs."""
    default_graph, named_graphs = _dataset(request)
    union = default_graph is None and named_graphs is None
    try:
        solutions = store.query(request["text"], use_default_graph_as_union=union, prefixes=PREFIXES,
                                default_graph=default_graph, named_graphs=named_graphs)
    except SyntaxError as exc:
        raise _Refused(HTTPStatus.BAD_REQUEST, str(_syntax_error(exc, "query"))) from None
    if isinstance(solutions, QueryBoolean):
        return Result([], [], bool(solutions)), None
    if isinstance(solutions, QueryTriples):
        triples = _capped(solutions, max_rows)
        # a triple term (RDF 1.2) as subject or object is not expected: a build makes none
        rows = cast("list[tuple[Term | None, ...]]", [(t.subject, t.predicate, t.object) for t in triples])
        return Result(["subject", "predicate", "object"], rows), triples
    variables = [v.value for v in solutions.variables]
    return Result(variables, _capped((tuple(s[v] for v in variables) for s in solutions), max_rows)), None


def _graph_answer(triples: list[Triple], accept: str | None) -> tuple[int, str, bytes]:
    """A CONSTRUCT or DESCRIBE answer: the graph in the first type of the Accept header this server writes
    (Turtle when it names none); a type this server cannot write is 406, never Turtle under another name."""
    for accepted in _accepted(accept) or ["text/turtle"]:
        graph_writer = writers.for_media_type(accepted, "graph")
        if graph_writer is None and accepted in _ANY_GRAPH:
            graph_writer = writers.get(_DEFAULT_GRAPH, "graph")
        if graph_writer is not None:
            rdf_format = graph_writer.load()
            prefixes = PREFIXES if rdf_format == RdfFormat.TURTLE else None
            # without an output, serialize returns the bytes
            body = cast(bytes, serialize(triples, format=rdf_format, prefixes=prefixes))
            return HTTPStatus.OK, graph_writer.media_type, body
    raise _Refused(HTTPStatus.NOT_ACCEPTABLE, "a graph is available as " + ", ".join(writers.media_types("graph")))


def _send_message(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    data = struct.pack("!Q", len(data)) + data
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    """``size`` bytes from ``fd``; None at end of file; raises TimeoutError past ``deadline``."""
    parts, got = [], 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _receive_message(fd: int, deadline: float | None = None) -> Any:
    """The next message on ``fd`` (a :class:`_Request` or an :data:`_Answer`), None at end of file."""
    head = _read_exactly(fd, 8, deadline)
    if head is None:
        return None
    body = _read_exactly(fd, struct.unpack("!Q", head)[0], deadline)
    return None if body is None else pickle.loads(body)


def _vm_size() -> int:
    """Bytes of address space this process has mapped now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _worker_main(source: Store | Path, requests: int, answers: int, max_rows: int, memory_mb: int) -> None:
    """The loop of a worker process (forked: it shares the parent's in-memory store, copy-on-write,
    or opens the build's on-disk store read-only itself: a database is not shared across a fork).

    First it gives up the network for good (:func:`kg.sandbox.deny_network`: no socket of any kind,
    so no query can make it connect anywhere), and says whether that worked: ``("ready",)`` or
    ``("failed", why)``.  It keeps only its two pipes, on file descriptors 3 and 4, and the store's
    files, and may open no other.  Its address space is bounded.
    """
    import resource

    from .sandbox import SandboxError, deny_network

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the server, which ends the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    high = 1000
    os.dup2(requests, high)
    os.dup2(answers, high + 1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # a panic message of the engine is the parent's to report
    os.closerange(3, high)
    os.closerange(high + 2, max(high + 2, os.sysconf("SC_OPEN_MAX")))
    os.dup2(high, 3)
    os.dup2(high + 1, 4)
    os.close(high)
    os.close(high + 1)
    try:
        deny_network()
    except SandboxError as exc:
        _send_message(4, ("failed", str(exc)))
        return
    # an on-disk store opens all its files now (RocksDB keeps them open), then no descriptor more
    store = source if isinstance(source, Store) else Store.read_only(str(source))
    files = 1 + max(fd for fd in map(int, os.listdir("/proc/self/fd")) if _is_open(fd))  # not listdir's own
    limit = _vm_size() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(5, files), max(5, files)))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _send_message(4, ("ready",))
    while True:
        request: _Request | None = _receive_message(3)
        if request is None:
            return
        answer: _Answer
        try:
            answer = ("ok", *_answer(store, request, max_rows))
        except _Refused as exc:
            answer = ("refused", int(exc.status), str(exc))
        except MemoryError:
            answer = ("refused", int(HTTPStatus.INTERNAL_SERVER_ERROR),
                      f"the query needs more than {memory_mb:,} MB, this server's limit per query")
        except Exception as exc:  # noqa: BLE001 - every failure of a query is the client's answer
            if _is_network_failure(exc):  # one answer whatever the address: nothing about it is told
                answer = ("refused", int(HTTPStatus.BAD_REQUEST), SERVICE_REFUSED)
            else:
                answer = ("refused", int(HTTPStatus.BAD_REQUEST),
                          f"the query failed: {' '.join(str(exc).split())[:500]}")
        _send_message(4, answer)


class _WorkerDied(Exception):
    pass


class _LaneTimeout(Exception):
    """A query ran past the short lane's time: it goes to another worker."""


class WorkerError(ServerError):
    """The query workers cannot be started (e.g. this system cannot take their network away)."""


class _Worker:
    """One forked worker process and its two pipes."""

    def __init__(self, store: Store | Path, max_rows: int, memory_mb: int) -> None:
        req_r, req_w = os.pipe()
        ans_r, ans_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                os.close(req_w)
                os.close(ans_r)
                _worker_main(store, req_r, ans_w, max_rows, memory_mb)
            except BaseException:  # noqa: BLE001 - a worker never returns into the server's code
                code = 1
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(ans_w)
        self.pid, self.requests, self.answers = pid, req_w, ans_r
        self.niced = False  # its priority was lowered for a long query (an unprivileged process cannot undo that)

    def started(self, timeout: float) -> str | None:
        """Wait for the worker to be ready; None when it is, else why it is not (it is then killed)."""
        try:
            hello = _receive_message(self.answers, time.monotonic() + timeout)
        except TimeoutError:
            hello = ("failed", f"it did not start within {timeout:g} s")
        except OSError as exc:
            hello = ("failed", str(exc))
        if hello == ("ready",):
            return None
        why = hello[1] if isinstance(hello, tuple) and len(hello) == 2 else self._end()
        self.kill()
        return str(why)

    def ask(self, request: _Request, timeout: float, nice_after: float | None = None) -> _Answer:
        """The worker's answer within ``timeout`` seconds; past ``nice_after`` its priority is lowered."""
        timeout = max(0.0, timeout)  # a request whose time ran out while it waited for a worker: none left
        deadline = time.monotonic() + timeout
        try:
            _send_message(self.requests, request)
            if nice_after is not None and not select.select([self.answers], [], [], min(timeout, nice_after))[0]:
                with contextlib.suppress(OSError):  # a long query: short ones get the processor first
                    os.setpriority(os.PRIO_PROCESS, self.pid, LONG_QUERY_NICE)
                    self.niced = True
            answer: _Answer | None = _receive_message(self.answers, deadline)
        except TimeoutError:
            raise
        except OSError as exc:  # a broken pipe: the worker is gone
            raise _WorkerDied(str(exc)) from None
        if answer is None:
            raise _WorkerDied(self._end())
        return answer

    def _end(self) -> str:
        """Wait for the (dead) worker; how it ended, in words."""
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "it ended"
        self.pid = 0
        if os.WIFSIGNALED(status):
            return f"it was ended by signal {signal.Signals(os.WTERMSIG(status)).name}"
        return f"it exited with code {os.WEXITSTATUS(status)}"

    def alive(self) -> bool:
        """Is the worker still there (not killed meanwhile, e.g. by the kernel's out-of-memory killer)?"""
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid = self.pid
        if pid == 0:
            return True
        self.pid = 0  # reaped
        return False

    def kill(self) -> None:
        for fd in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0


class QueryRunner:
    """Runs read-only queries in a pool of worker processes, each query within a time, row and memory budget.

    A worker that crashes, or runs past the time limit (it is then killed), is replaced by a new
    one; the request that cost it gets 500 or 503 with a message, every other request is served.

    Long queries cannot starve short ones: besides ``workers`` workers there are ``workers // 2`` more
    (one at least), the short lane, which take a query only when all the others are busy, and stop it
    after :data:`SHORT_LANE_SECONDS`, so they are never held long; a query stopped there waits for one
    of the others and runs again, within the same time limit.  And a worker whose query runs past a
    quarter of the time limit has its CPU priority lowered (``nice``), so short queries get the
    processor first; it is replaced when the query ends.  So while long queries hold every worker,
    short ones are still answered promptly.
    """

    def __init__(self, store: Store | Path, timeout: float, max_rows: int, workers: int = MAX_WORKERS,
                 memory_mb: int = MEMORY_MB) -> None:
        self.store, self.timeout, self.max_rows, self.memory_mb = store, timeout, max_rows, memory_mb
        self.workers = workers
        self._free = threading.Condition()
        self._general: list[_Worker | None] = []  # idle workers (None: one to start)
        self._lane: list[_Worker | None] = []  # the short lane's worker, when idle
        self._fork = threading.Lock()
        self._all: set[_Worker] = set()
        self.restarts = 0
        self.failure: str | None = None  # why the last worker could not be started
        self.lanes = max(1, workers // 2)
        for pool in [self._general] * workers + [self._lane] * self.lanes:
            worker = self._spawn()
            if worker is None:
                self.close()
                raise WorkerError(f"kg serve cannot start its query workers: {self.failure}")
            pool.append(worker)

    def _spawn(self) -> _Worker | None:
        with self._fork:
            try:
                worker = _Worker(self.store, self.max_rows, self.memory_mb)
            except OSError as exc:
                self.failure = str(exc)
                return None  # no process to be had now; the next request tries again
            self._all.add(worker)
        self.failure = worker.started(STARTUP_TIMEOUT)
        if self.failure is not None:
            with self._fork:
                self._all.discard(worker)
            return None
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._fork:
            self._all.discard(worker)
        self.restarts += 1

    def _take(self, deadline: float, lane_too: bool) -> tuple[_Worker | None, bool]:
        """An idle worker (None: one to start) and whether it is the short lane's; waits up to ``deadline``."""
        with self._free:
            while True:
                if self._general:
                    return self._general.pop(), False
                if self._lane and lane_too:
                    return self._lane.pop(), True
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE,
                                   f"all {self.workers} query workers were busy for {self.timeout:g} s, this "
                                   "server's limit; try again shortly")
                self._free.wait(left)

    def _give_back(self, worker: _Worker | None, lane: bool) -> None:
        with self._free:
            (self._lane if lane else self._general).append(worker)
            self._free.notify_all()  # a waiter that takes no short-lane worker must not swallow the wake-up

    def run(self, request: _Request) -> tuple[int, str, bytes]:
        """Evaluate a request (``text``, graphs, ``mode``, ``accept``...); raises :class:`_Refused`."""
        deadline = time.monotonic() + self.timeout
        worker, lane = self._take(deadline, lane_too=True)
        if lane and deadline - time.monotonic() > SHORT_LANE_SECONDS:
            try:
                return self._run_on(worker, lane, request, SHORT_LANE_SECONDS, short=True)
            except _LaneTimeout:  # a long query: on to a worker of its own, when one is free
                worker, lane = self._take(deadline, lane_too=False)
        return self._run_on(worker, lane, request, deadline - time.monotonic())

    def _run_on(self, worker: _Worker | None, lane: bool, request: _Request, budget: float,
                short: bool = False) -> tuple[int, str, bytes]:
        """Run ``request`` on ``worker`` within ``budget`` seconds (``short``: the short lane's, raising
        :class:`_LaneTimeout` past it), then give the worker back (or its replacement)."""
        if worker is not None and not worker.alive():  # died while idle: replaced, at no request's cost
            self._retire(worker)
            worker = None
        if worker is None:
            worker = self._spawn()
            if worker is None:
                self._give_back(None, lane)
                raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE,
                               f"no query worker could be started ({self.failure}); try again shortly")
        healthy = False
        try:
            answer = worker.ask(request, budget, None if short else max(1.0, self.timeout / 4))
            healthy = True
        except TimeoutError:
            if short:
                raise _LaneTimeout from None
            raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE,
                           f"the query did not finish within {self.timeout:g} s, this server's limit; "
                           "it was stopped") from None
        except _WorkerDied as exc:
            raise _Refused(HTTPStatus.INTERNAL_SERVER_ERROR,
                           f"the query engine failed on this query ({exc}); it may need more than the "
                           f"{self.memory_mb:,} MB a query may use, or hit a defect of the engine. "
                           "The server goes on; simplify the query or add LIMIT") from None
        finally:
            if not healthy or worker.niced:
                self._retire(worker)
                worker = self._spawn()
            self._give_back(worker, lane)
        if answer[0] == "ok":
            return answer[1], answer[2], answer[3]
        raise _Refused(HTTPStatus(answer[1]), answer[2])

    def close(self) -> None:
        with self._fork:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()


# ---------------------------------------------------------------------------- HTML page

def _page(body: str, title: str = "SPARQL query") -> bytes:
    """The query page (``kg/web/query.html`` and ``query.css``) around ``body``, HTML made here with
    every text from a query or the data escaped."""
    web = resources.files("kg") / "web"
    parts = {"TITLE": html.escape(title), "STYLE": (web / "query.css").read_text(encoding="utf-8"), "BODY": body}
    template = (web / "query.html").read_text(encoding="utf-8")
    # one pass, so that text in the body is never scanned for placeholders
    return re.sub(r"%(TITLE|STYLE|BODY)%", lambda m: parts[m.group(1)], template).encode("utf-8")


def _html_table(result: Result, base: str | None) -> str:
    if result.boolean is not None:
        return f"<p>Answer: <strong>{'yes' if result.boolean else 'no'}</strong></p>"
    short = compactor(base)
    head = "".join(f"<th>{html.escape(v)}</th>" for v in result.variables)
    rows = []
    for row in result.rows:
        cells = []
        for term in row:
            if term is None:
                text = ""
            elif isinstance(term, NamedNode):
                text = short(term.value)
            else:
                text = term.value
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<p>{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _check_parameter(param: Param, value: str) -> None:
    """Refuse a parameter value whose size would cost the server (a 1e1000000 is a million digits)."""
    if len(value) > MAX_PARAM:
        raise QueryError(f"parameter '{param.name}': the value has {len(value):,} characters, more than "
                         f"the {MAX_PARAM:,} this server accepts")
    if param.kind in ("decimal", "integer"):
        try:
            number = Decimal(value.strip())
        except (InvalidOperation, ValueError):
            return  # the parameter's own check says what is wrong
        if number.is_finite() and max(abs(number.adjusted()), len(number.as_tuple().digits)) > MAX_DIGITS:
            raise QueryError(f"parameter '{param.name}' ({param.kind}): '{value[:40]}' has more than "
                             f"{MAX_DIGITS} digits; give a smaller number")


class _Handler(BaseHTTPRequestHandler):
    server_version = "kg-serve/1"
    timeout = SOCKET_TIMEOUT  # socket timeout: a client that sends nothing for this long is dropped
    server: ThreadingHTTPServer  # the server that made this handler (an AF_INET one: its address is (host, port))
    runner: QueryRunner
    saved_folder: Path
    base: str | None

    request_timeout: float = REQUEST_TIMEOUT
    _reader: _DeadlineReader

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the command prints where it listens; errors go to the client

    # -- a whole request (line, headers, body) within request_timeout, however slowly it trickles in
    def setup(self) -> None:
        super().setup()
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader, 65536)

    def handle_one_request(self) -> None:
        self._reader.restart(self.request_timeout)
        super().handle_one_request()

    def parse_request(self) -> bool:
        expired = self._reader.expired
        ok = expired or super().parse_request()
        if self._reader.expired and ok:
            self.command, self.request_version, self.close_connection = None, "HTTP/1.1", True  # type: ignore[assignment]
            with contextlib.suppress(OSError):
                self._error(HTTPStatus.REQUEST_TIMEOUT,
                            f"the request did not arrive within {self.request_timeout:g} s; send it at once")
            return False
        return ok

    def _not_allowed(self) -> None:
        self.close_connection = True
        body = (f"{self.command} is not allowed: this endpoint is read-only; use GET or POST\n").encode()
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD, POST")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # noqa: N815 - http.server's naming

    # -- plumbing
    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                             "frame-ancestors 'none'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _hosts(self) -> set[str]:
        port = self.server.server_address[1]
        return {h for name in LOCAL_HOSTS for h in (name, f"{name}:{port}")}

    def _check_origin(self, params: dict[str, list[str]]) -> None:
        """Refuse what a browser sends for another site: a foreign Host (DNS rebinding), Origin or fetch site."""
        host = (self.headers.get("Host") or "").strip().lower()
        if host and host not in self._hosts():
            raise _Refused(HTTPStatus.MISDIRECTED_REQUEST,
                           f"this server answers only requests to 127.0.0.1 or localhost, not to '{host[:100]}'")
        origin = (self.headers.get("Origin") or "").strip().lower()
        site = (self.headers.get("Sec-Fetch-Site") or "").strip().lower()
        port = self.server.server_address[1]
        # an origin is scheme, host and port: http://127.0.0.1 is port 80, another server than this one
        own = {f"http://{name}:{port}" for name in LOCAL_HOSTS} | \
            ({f"http://{name}" for name in LOCAL_HOSTS} if port == 80 else set())
        foreign = (origin and origin not in own) or \
            (site and site not in ("same-origin", "none"))
        if foreign and not (self.command in ("GET", "HEAD") and urllib.parse.urlsplit(self.path).path == "/"
                            and not params):
            raise _Refused(HTTPStatus.FORBIDDEN,
                           "refused: the request comes from another web site (Origin "
                           f"'{origin[:100] or '-'}', Sec-Fetch-Site '{site[:30] or '-'}'); open the query page "
                           "of this server itself, or use a SPARQL client")

    def _params(self) -> dict[str, list[str]]:
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if self.command == "POST":
            if self.headers.get("Transfer-Encoding"):
                raise _Refused(HTTPStatus.LENGTH_REQUIRED, "send the request body with a Content-Length, not chunked")
            raw = (self.headers.get("Content-Length") or "0").strip()
            if not raw.isascii() or not raw.isdigit():
                raise _Refused(HTTPStatus.BAD_REQUEST,
                               f"Content-Length '{raw[:40]}' is not a number of bytes")
            length = int(raw)
            if length > MAX_BODY:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body over {MAX_BODY:,} bytes")
            data = self.rfile.read(length) if length else b""
            if len(data) < length and self._reader.expired:
                raise _Refused(HTTPStatus.REQUEST_TIMEOUT,
                               f"the request body did not arrive within {self.request_timeout:g} s "
                               f"({len(data):,} of {length:,} bytes came)")
            if len(data) < length:
                raise _Refused(HTTPStatus.BAD_REQUEST,
                               f"the request body ended after {len(data):,} of {length:,} bytes")
            body = data.decode("utf-8", "replace")
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if kind == "application/x-www-form-urlencoded":
                for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items():
                    params.setdefault(k, []).extend(v)
            elif kind == "application/sparql-query":
                params.setdefault("query", []).append(body)
            elif kind == "application/sparql-update":
                params.setdefault("update", []).append(body)
            else:
                raise _Refused(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                               "send the query form-encoded (query=...) or as application/sparql-query")
        return params

    # -- routes
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._route()

    def do_POST(self) -> None:  # noqa: N802
        self._route()

    def do_HEAD(self) -> None:  # noqa: N802
        self._route()

    def _route(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            params = self._params()
            self._check_origin(params)
            if path == "/sparql":
                self._sparql(params)
            elif path == "/":
                self._home(params)
            else:
                self._error(HTTPStatus.NOT_FOUND, "not found: the endpoint is /sparql, the query page is /")
        except _Refused as exc:
            with contextlib.suppress(OSError):
                self._error(exc.status, str(exc))
        except OSError:  # the client went away, or was silent past the socket timeout
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a defect here must not end the connection silently
            print(f"kg serve: internal error on {self.command} {path[:100]}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            with contextlib.suppress(OSError):
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error of kg serve; the server goes on")

    def _sparql(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            raise _Refused(HTTPStatus.FORBIDDEN, "this endpoint is read-only: updates are refused")
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise _Refused(HTTPStatus.BAD_REQUEST, "give exactly one query (parameter 'query')")
        status, media, body = self.runner.run({
            "mode": "sparql", "text": queries[0], "default": params.get("default-graph-uri", []),
            "named": params.get("named-graph-uri", []), "accept": self.headers.get("Accept"),
            "formats": params.get("format", []) + params.get("output", [])})
        self._send(HTTPStatus(status), body, media)

    def _run_page(self, text: str) -> str:
        return self.runner.run({"mode": "page", "text": text, "base": self.base})[2].decode("utf-8")

    def _home(self, params: dict[str, list[str]]) -> None:
        saved = library(self.saved_folder)
        name = (params.get("saved") or [""])[0]
        text = (params.get("query") or [""])[0]
        chosen = saved.get(name)
        out = ["<h1>SPARQL query</h1>",
               "<nav>Saved queries: " + " ".join(
                   f"<a href=\"/?saved={html.escape(urllib.parse.quote(n), quote=True)}\" "
                   f"title=\"{html.escape(q.title, quote=True)}\">{html.escape(n)}</a>" for n, q in saved.items())
               + "</nav>"]
        result_html = ""
        if chosen is not None:
            values = {p.name: (params.get("param." + p.name) or [p.default or ""])[0] for p in chosen.params}
            fields = "".join(
                f"<label>{html.escape(p.name)} ({html.escape(p.kind)}) "
                f"<input name=\"param.{html.escape(p.name, quote=True)}\" "
                f"value=\"{html.escape(values[p.name][:MAX_PARAM], quote=True)}\"></label>" for p in chosen.params)
            out.append(f"<h2>{html.escape(chosen.title)}</h2><p>{html.escape(chosen.answers)}</p>"
                       f"<form method=\"get\" action=\"/\"><input type=\"hidden\" name=\"saved\" "
                       f"value=\"{html.escape(name, quote=True)}\">{fields}"
                       "<button name=\"run\" value=\"1\">Run</button></form>"
                       f"<details><summary>SPARQL</summary><pre>{html.escape(chosen.text)}</pre></details>")
            if "run" in params or not chosen.params:
                try:
                    for p in chosen.params:
                        _check_parameter(p, values[p.name])
                    bindings = bind(chosen, {k: v for k, v in values.items() if v != ""})
                    result_html = self._run_saved(chosen, bindings)
                except (QueryError, _Refused) as exc:
                    result_html = f"<p class=\"error\">{html.escape(str(exc))}</p>"
                except ValueError as exc:  # a value Python itself refuses (e.g. an integer of 5,000 digits)
                    result_html = f"<p class=\"error\">{html.escape(' '.join(str(exc).split())[:300])}</p>"
        else:
            out.append("<form method=\"post\" action=\"/\"><textarea name=\"query\" rows=\"14\">"
                       f"{html.escape(text)}</textarea><br><button>Run</button> "
                       "<small>Prefixes bbmb:, org:, schema:, rdfs:, ... are predeclared. The same queries "
                       "go to <code>/sparql</code> (SPARQL 1.1 Protocol).</small></form>")
            if text.strip():
                try:
                    result_html = self._run_page(text)
                except _Refused as exc:
                    result_html = f"<p class=\"error\">{html.escape(str(exc))}</p>"
        out.append(result_html)
        self._send(HTTPStatus.OK, _page("".join(out)), "text/html; charset=utf-8")

    def _run_saved(self, query: SavedQuery, bindings: dict[str, NamedNode | Literal]) -> str:
        from .query import inject_values

        # the page runs a saved query like a client would: its parameters as a VALUES block
        return self._run_page(inject_values(query.text, bindings, in_subselect=query.paged_in_subselect))


class _DeadlineReader(io.RawIOBase):
    """The socket of a connection, read until a deadline: past it, or after the socket timeout of
    silence, end of file (and ``expired``), so that the request is answered 408 or 400."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection, self.deadline, self.expired = connection, float("inf"), False
        self.idle = connection.gettimeout()

    def restart(self, seconds: float) -> None:
        self.deadline, self.expired = time.monotonic() + seconds, False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            return 0
        self.connection.settimeout(left if self.idle is None else min(left, self.idle))
        try:
            return self.connection.recv_into(buffer)
        except TimeoutError:  # past the deadline, or silent for the socket timeout: the request ends here
            self.expired = True
            return 0
        finally:
            self.connection.settimeout(self.idle)  # writing the answer has the socket timeout, not what is left


class _HTTPServer(ThreadingHTTPServer):
    """One thread a connection, at most :data:`MAX_CONNECTIONS` at once; a connection over that is answered
    503 at once and closed, so slow or idle clients cannot make the server hold ever more threads.  (Every
    client is local, 127.0.0.1, so the bound is the server's, not one per address.)"""

    request_queue_size = BACKLOG  # the listen backlog: 50 clients connecting at once are not reset
    daemon_threads = True
    max_connections = MAX_CONNECTIONS

    def server_activate(self) -> None:
        super().server_activate()
        self.slots = threading.BoundedSemaphore(self.max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            body = (f"kg serve has {self.max_connections} connections open, its limit; try again shortly\n"
                    ).encode()
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                                % (len(body), body))
            super().shutdown_request(request)  # at once: this is the accepting thread
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def shutdown_request(self, request: Any) -> None:
        """A lingering close: no more writing, then what the client still sends is read and dropped for up
        to :data:`LINGER_SECONDS` (closing with unread data would reset the connection, and the client's
        system would drop the answer it has not read yet)."""
        with contextlib.suppress(OSError):
            request.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                request.settimeout(left)
                if not request.recv(65536):
                    break
        self.close_request(request)

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):  # a client that went away is no news
            print(f"kg serve: error with a client: {type(exc).__name__}: {exc}", file=sys.stderr)


class Server:
    """A running endpoint: its address, and how to wait for it or stop it."""

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread, runner: QueryRunner | None = None) -> None:
        self.httpd, self.thread, self.runner = httpd, thread, runner

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def sparql_url(self) -> str:
        return self.url + "sparql"

    def wait(self) -> None:
        while self.thread.is_alive():
            self.thread.join(0.5)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
        if self.runner is not None:
            self.runner.close()


@contextlib.contextmanager
def serve(store: Store | Path, port: int = 0, timeout: float = 10.0, max_rows: int = 10_000,
          queries: str | Path = QUERIES_DIR, base: str | None = None, workers: int = MAX_WORKERS,
          memory_mb: int = MEMORY_MB, socket_timeout: float = SOCKET_TIMEOUT,
          request_timeout: float = REQUEST_TIMEOUT) -> Iterator[Server]:
    """Serve ``store`` read-only on 127.0.0.1:``port`` (0: a free port) until the block ends.

    ``store`` is an in-memory store, or the folder of an on-disk store (the build's, see
    :mod:`kg.builds`), which each query worker opens read-only.
    """
    with contextlib.ExitStack() as held:
        if isinstance(store, Path):  # no kg build removes it while this server runs (workers reopen it)
            held.enter_context(hold_store(store))
        runner = QueryRunner(store, timeout, max_rows, workers, memory_mb)  # forked before the server's threads
        held.callback(runner.close)
        handler = type("Handler", (_Handler,), {"runner": runner, "saved_folder": Path(queries), "base": base,
                                                "timeout": socket_timeout, "request_timeout": request_timeout})
        httpd = _HTTPServer((HOST, port), handler)
        held.callback(httpd.server_close)
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="kg-serve", daemon=True)
        thread.start()
        held.callback(thread.join, 5)
        held.callback(httpd.shutdown)
        yield Server(httpd, thread, runner)

