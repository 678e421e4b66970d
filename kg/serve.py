"""A read-only SPARQL 1.1 Protocol endpoint over the built graph, with a small query page.

    >>> from kg.build import build
    >>> with serve(build().store, port=0) as server:          # doctest: +SKIP
    ...     print(server.url + "sparql")                      # query it with SPARQLWrapper, curl, YASGUI ...

What it does, and does not:

* ``GET /sparql?query=...``, ``POST /sparql`` (form-encoded ``query=`` or a body of type
  ``application/sparql-query``); queries see the union of the named graphs, or the graphs named by
  ``default-graph-uri`` / ``named-graph-uri``.
* The result format follows the ``Accept`` header (or a ``format`` parameter as SPARQLWrapper
  sends it): SPARQL JSON (default), SPARQL XML, CSV, TSV; CONSTRUCT/DESCRIBE give Turtle or N-Triples.
* Updates are refused (403); the server binds 127.0.0.1 only.
* Limits: a query gets ``timeout`` seconds (then 503; results are read row by row, and reading stops
  at the deadline), at most ``max_rows`` rows (larger results are refused with 400 rather than cut
  silently: add LIMIT), at most ``MAX_WORKERS`` queries at once, request bodies of at most 1 MB.
* ``GET /`` is an HTML page: type a query, or pick a saved one and fill in its parameters, and see
  the result table.  Every value shown is HTML-escaped, and the page's Content-Security-Policy
  allows no scripts.
"""
from __future__ import annotations

import contextlib
import html
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from pyoxigraph import NamedNode, QueryBoolean, QueryTriples, RdfFormat, Store, serialize

from .namespaces import PREFIXES
from .query import QUERIES_DIR, QueryError, _syntax_error, bind, library
from .results import FORMATS, Result, compactor, render

MAX_BODY = 1_000_000
MAX_WORKERS = 4
HOST = "127.0.0.1"

#: Accept media types -> result format names (first match in the client's order wins).
_SELECT_TYPES = {
    "application/sparql-results+json": "sparql-json", "application/json": "sparql-json",
    "application/sparql-results+xml": "sparql-xml", "application/xml": "sparql-xml", "text/xml": "sparql-xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv", "text/plain": "sparql-json",
}
_FORMAT_PARAM = {"json": "sparql-json", "xml": "sparql-xml", "csv": "csv", "tsv": "tsv",
                 "application/sparql-results+json": "sparql-json", "application/sparql-results+xml": "sparql-xml"}
_GRAPH_TYPES = {"text/turtle": ("text/turtle; charset=utf-8", RdfFormat.TURTLE),
                "application/n-triples": ("application/n-triples", RdfFormat.N_TRIPLES)}


class _Refused(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def _accepted(header: str | None) -> list[str]:
    """Media types of an Accept header, best first (q-values respected, order kept among equals)."""
    items = []
    for i, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(f[2:])
        if fields[0]:
            items.append((-q, i, fields[0].lower()))
    return [t for _, _, t in sorted(items)]


@dataclass
class _Answer:
    result: Result | None = None
    triples: list | None = None
    error: Exception | None = None


class QueryRunner:
    """Runs read-only queries on a store within a time and row budget, a few at a time."""

    def __init__(self, store: Store, timeout: float, max_rows: int) -> None:
        self.store, self.timeout, self.max_rows = store, timeout, max_rows
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)

    def _evaluate(self, text: str, graphs: tuple[list[str], list[str]], deadline: float, answer: _Answer,
                  cancel: threading.Event) -> None:
        """Evaluate in the worker thread; the results object never leaves it (pyoxigraph's is
        bound to the thread that made it), only plain rows and terms do."""
        solutions = None
        try:
            default, named = graphs
            options = {"use_default_graph_as_union": not default and not named, "prefixes": PREFIXES}
            if default:
                options["default_graph"] = [NamedNode(g) for g in default]
            if named:
                options["named_graphs"] = [NamedNode(g) for g in named]
            try:
                solutions = self.store.query(text, **options)
            except SyntaxError as exc:
                raise _Refused(HTTPStatus.BAD_REQUEST, str(_syntax_error(exc, "query"))) from None
            if isinstance(solutions, QueryBoolean):
                answer.result = Result([], [], bool(solutions))
                return
            graph = isinstance(solutions, QueryTriples)
            variables = [] if graph else [v.value for v in solutions.variables]
            rows = []
            for item in solutions:
                rows.append(item if graph else tuple(item[v] for v in variables))
                if len(rows) > self.max_rows:
                    raise _Refused(HTTPStatus.BAD_REQUEST,
                                   f"the result has more than {self.max_rows:,} rows, this server's cap; "
                                   "add LIMIT and OFFSET to page through it")
                if cancel.is_set() or time.monotonic() > deadline:
                    return
            if graph:
                answer.triples = rows
            else:
                answer.result = Result(variables, rows)
        except Exception as exc:  # reported to the client by the request thread
            answer.error = _Refused(exc.status, str(exc)) if isinstance(exc, _Refused) else \
                RuntimeError(str(exc))  # a fresh exception: no traceback holding the results object
        finally:
            del solutions

    def run(self, text: str, default_graphs: list[str] = (), named_graphs: list[str] = ()) -> _Answer:
        """Evaluate ``text``; raises :class:`_Refused` on a bad query, a timeout or too many rows."""
        if not self._slots.acquire(timeout=1):
            raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE, f"{MAX_WORKERS} queries are running; try again shortly")
        answer, cancel = _Answer(), threading.Event()
        deadline = time.monotonic() + self.timeout

        def work() -> None:
            try:
                self._evaluate(text, (list(default_graphs), list(named_graphs)), deadline, answer, cancel)
            finally:
                self._slots.release()

        worker = threading.Thread(target=work, name="kg-serve-query", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive() or (answer.result is None and answer.triples is None and answer.error is None):
            cancel.set()
            raise _Refused(HTTPStatus.SERVICE_UNAVAILABLE,
                           f"the query did not finish within {self.timeout:g} s, this server's limit")
        if answer.error is not None:
            if isinstance(answer.error, _Refused):
                raise answer.error
            raise _Refused(HTTPStatus.BAD_REQUEST, f"the query failed: {answer.error}")
        return answer


# ---------------------------------------------------------------------------- HTML page

_STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}textarea{width:100%;font-family:monospace}
table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}
th{background:#eee}.error{color:#a00;white-space:pre-wrap}nav a{margin-right:.8em}label{margin-right:1em}"""


def _page(body: str, title: str = "SPARQL query") -> bytes:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
            ).encode("utf-8")


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


class _Handler(BaseHTTPRequestHandler):
    server_version = "kg-serve/1"
    runner: QueryRunner
    saved_folder: Path
    base: str | None

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the command prints where it listens; errors go to the client

    # -- plumbing
    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, message: str) -> None:
        self._send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8")

    def _params(self) -> dict[str, list[str]]:
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise _Refused(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request body over {MAX_BODY:,} bytes")
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
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
            if path == "/sparql":
                self._sparql(params)
            elif path == "/":
                self._home(params)
            else:
                self._error(HTTPStatus.NOT_FOUND, "not found: the endpoint is /sparql, the query page is /")
        except _Refused as exc:
            self._error(exc.status, str(exc))
        except (ConnectionError, BrokenPipeError):
            pass

    def _sparql(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            raise _Refused(HTTPStatus.FORBIDDEN, "this endpoint is read-only: updates are refused")
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            raise _Refused(HTTPStatus.BAD_REQUEST, "give exactly one query (parameter 'query')")
        answer = self.runner.run(queries[0], params.get("default-graph-uri", []), params.get("named-graph-uri", []))
        if answer.triples is not None:
            for accepted in _accepted(self.headers.get("Accept")) + ["text/turtle"]:
                if accepted in _GRAPH_TYPES or accepted == "*/*":
                    media, fmt = _GRAPH_TYPES.get(accepted, _GRAPH_TYPES["text/turtle"])
                    extra = {"prefixes": PREFIXES} if fmt == RdfFormat.TURTLE else {}
                    self._send(HTTPStatus.OK, serialize(answer.triples, format=fmt, **extra), media)
                    return
        wanted = [_FORMAT_PARAM[f] for f in params.get("format", []) + params.get("output", []) if f in _FORMAT_PARAM]
        for accepted in _accepted(self.headers.get("Accept")):
            if accepted in _SELECT_TYPES:
                wanted.append(_SELECT_TYPES[accepted])
            elif accepted in ("*/*", "application/*"):
                wanted.append("sparql-json")
        if not wanted and self.headers.get("Accept"):
            raise _Refused(HTTPStatus.NOT_ACCEPTABLE, "results are available as " + ", ".join(sorted(_SELECT_TYPES)))
        fmt = wanted[0] if wanted else "sparql-json"
        self._send(HTTPStatus.OK, render(answer.result, fmt).encode("utf-8"), FORMATS[fmt])

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
                f"<label>{html.escape(p.name)} ({html.escape(p.kind)}) <input name=\"param.{html.escape(p.name, quote=True)}\" "
                f"value=\"{html.escape(values[p.name], quote=True)}\"></label>" for p in chosen.params)
            out.append(f"<h2>{html.escape(chosen.title)}</h2><p>{html.escape(chosen.answers)}</p>"
                       f"<form method=\"get\" action=\"/\"><input type=\"hidden\" name=\"saved\" "
                       f"value=\"{html.escape(name, quote=True)}\">{fields}<button name=\"run\" value=\"1\">Run</button></form>"
                       f"<details><summary>SPARQL</summary><pre>{html.escape(chosen.text)}</pre></details>")
            if "run" in params or not chosen.params:
                try:
                    bindings = bind(chosen, {k: v for k, v in values.items() if v != ""})
                    result_html = _html_table(self._run_saved(chosen, bindings), self.base)
                except (QueryError, _Refused) as exc:
                    result_html = f"<p class=\"error\">{html.escape(str(exc))}</p>"
        else:
            out.append("<form method=\"post\" action=\"/\"><textarea name=\"query\" rows=\"14\">"
                       f"{html.escape(text)}</textarea><br><button>Run</button> "
                       "<small>Prefixes bbmb:, org:, schema:, rdfs:, ... are predeclared. The same queries "
                       "go to <code>/sparql</code> (SPARQL 1.1 Protocol).</small></form>")
            if text.strip():
                try:
                    result_html = _html_table(self.runner.run(text).result or Result([]), self.base)
                except _Refused as exc:
                    result_html = f"<p class=\"error\">{html.escape(str(exc))}</p>"
        out.append(result_html)
        self._send(HTTPStatus.OK, _page("".join(out)), "text/html; charset=utf-8")

    def _run_saved(self, query, bindings) -> Result:
        from .query import inject_values

        # the page runs a saved query like a client would: its parameters as a VALUES block
        answer = self.runner.run(inject_values(query.text, bindings))
        return answer.result if answer.result is not None else Result([])


class Server:
    """A running endpoint: its address, and how to wait for it or stop it."""

    def __init__(self, httpd: ThreadingHTTPServer, thread: threading.Thread) -> None:
        self.httpd, self.thread = httpd, thread

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


@contextlib.contextmanager
def serve(store: Store, port: int = 0, timeout: float = 10.0, max_rows: int = 10_000,
          queries: str | Path = QUERIES_DIR, base: str | None = None) -> Iterator[Server]:
    """Serve ``store`` read-only on 127.0.0.1:``port`` (0: a free port) until the block ends."""
    handler = type("Handler", (_Handler,), {"runner": QueryRunner(store, timeout, max_rows),
                                            "saved_folder": Path(queries), "base": base})
    httpd = ThreadingHTTPServer((HOST, port), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                              name="kg-serve", daemon=True)
    thread.start()
    server = Server(httpd, thread)
    try:
        yield server
    finally:
        server.close()
