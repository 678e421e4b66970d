"""The measurements, one task a process: ``python -m benchmarks.worker TASK --options``.

Each task prints JSON lines on stdout (``{"event": ...}``), flushed as they happen, so that the
orchestrator (:mod:`benchmarks.run`) can enforce a time-out per query, kill a process that runs
past it and start the next one where it left off.  Progress goes to stderr.  (The build itself is
measured as the user runs it, ``kg build`` in a subprocess: see :func:`benchmarks.run.run_cli`.)

Tasks:

``queries``   every saved query on one back-end: ``disk`` (kg.query.run on the build's on-disk
              store, opened read-only with ``kg.builds.find_build``: what ``kg query`` does),
              ``embedded`` (kg.query on the in-memory Oxigraph store), ``pyoxigraph``
              (``Store.query``, every solution iterated: the floor), ``oxrdflib`` (rdflib's API over
              the same Oxigraph store), ``rdflib`` (rdflib's plain Memory store), and the servers
              ``oxigraph-server`` and ``virtuoso`` through kg.remote.Endpoint (``--own``: the same
              query text, as Endpoint sends it with ``FROM <union>``, posted by plain HTTP and the
              answer read: the server's own time).  Each answer's row digest
              (``kg.results.row_digest``) is reported where the back-end gives terms.
``pages``     the listings' first page (``limit``) with its total, on the build's store
``push``      kg.remote.push of the build's store into a server (the union-graph layout)
``views``     the three views, their GEXF and GraphML files and their HTML pages
``browser``   each HTML page opened in headless Chromium: first paint and network drawn
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def emit(event: str, **data: Any) -> None:
    """One JSON line on stdout for the orchestrator."""
    print(json.dumps({"event": event, **data}), flush=True)


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------- queries

def _params(query) -> dict[str, str]:
    """Parameter values for the synthetic economy: defaults, and its first firm where one is needed."""
    return {p.name: "firm-000001" for p in query.params if p.default is None and p.kind == "org"}


def _rdflib_term(term):
    from pyoxigraph import Literal as OxLiteral
    from rdflib import Literal, URIRef

    if isinstance(term, OxLiteral):
        return Literal(term.value, lang=term.language, datatype=None if term.language else URIRef(term.datatype.value))
    return URIRef(term.value)


def _rdflib_rows(dataset, query, bindings) -> int:
    """Run a query through rdflib's API and read every value of every row; the number of rows."""
    result = dataset.query(query.text, initBindings={k: _rdflib_term(v) for k, v in bindings.items()})
    rows = 0
    for row in result:
        for _ in row:
            pass
        rows += 1
    return rows


class Backend:
    """Loads the data once, then runs a saved query; :meth:`rows` and :meth:`digest` read its answer."""

    name = ""

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        self.data = data
        self.args = args

    def run(self, query, bindings) -> Any:
        raise NotImplementedError

    def rows(self, answer: Any) -> int:
        return int(answer)

    def digest(self, answer: Any) -> str | None:
        """The answer's row digest (kg.results.row_digest), None where the back-end gives no terms."""
        return None


class Embedded(Backend):
    """kg.query on the in-memory Oxigraph store read from the N-Quads file (rows as Python values)."""

    name = "embedded"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from kg.store import load

        self.store = load(data)

    def run(self, query, bindings) -> Any:
        from kg.query import run_local

        result = run_local(self.store, query, bindings)
        result.records()
        return result

    def rows(self, answer: Any) -> int:
        return len(answer)

    def digest(self, answer: Any) -> str | None:
        from kg.results import row_digest

        return row_digest(answer)


def open_build(args: argparse.Namespace):
    """The build's on-disk store, read-only, as ``kg query --build OUT --data DATA`` finds it."""
    from kg.build import DEFAULT_ONTOLOGY
    from kg.builds import find_build
    from kg.namespaces import IRIs
    from kg.rules import DEFAULT_READING

    found = find_build(args.build, args.tables, args.ontology or DEFAULT_ONTOLOGY, IRIs().base, DEFAULT_READING)
    if found.usable:
        return found.open()
    if found.store_path is not None and (found.store_path / "CURRENT").is_file():
        # the build is this run's, but kg's files changed under the run (other work in the tree):
        # the store measured is still the one this run built
        from pyoxigraph import Store

        say(f"note: {found.reason}; measuring the store this run built all the same")
        return Store.read_only(str(found.store_path))
    raise RuntimeError(f"no usable build: {found.reason}")


class Disk(Embedded):
    """What ``kg query`` does now: kg.query.run (ids checked, parameters bound) on the build's on-disk store."""

    name = "disk"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        Backend.__init__(self, data, args)
        from kg.namespaces import IRIs

        self.iris = IRIs()
        self.store = open_build(args)

    def run(self, query, bindings) -> Any:
        from kg.query import run

        result = run(query, self.store, bindings, self.iris)
        result.records()
        return result


class Pyoxigraph(Embedded):
    """pyoxigraph directly: ``Store.query`` over the union graph, every value of every solution read."""

    name = "pyoxigraph"

    def run(self, query, bindings) -> Any:
        from pyoxigraph import Variable

        from kg.namespaces import PREFIXES

        solutions = self.store.query(query.text, use_default_graph_as_union=True, prefixes=PREFIXES,
                                     substitutions={Variable(k): v for k, v in bindings.items()} or None)
        names = list(solutions.variables)
        rows = 0
        for solution in solutions:
            for n in names:
                solution[n]
            rows += 1
        return rows

    rows = Backend.rows
    digest = Backend.digest


class OxRdflib(Embedded):
    """rdflib's API over the same Oxigraph store (oxrdflib hands SPARQL to Oxigraph)."""

    name = "oxrdflib"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from kg.store import as_rdflib

        self.dataset = as_rdflib(self.store)

    def run(self, query, bindings) -> Any:
        return _rdflib_rows(self.dataset, query, bindings)

    rows = Backend.rows
    digest = Backend.digest


class RdflibMemory(Backend):
    """rdflib's plain Memory store (a Dataset whose default graph is the union of the named graphs)."""

    name = "rdflib"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from rdflib import Dataset

        self.dataset = Dataset(default_union=True)
        self.dataset.parse(str(data), format="nquads")

    def run(self, query, bindings) -> Any:
        return _rdflib_rows(self.dataset, query, bindings)


class Server(Backend):
    """A SPARQL server that a kg push loaded (the union-graph layout), queried as ``kg query --endpoint``
    does: kg.query.run on kg.remote.Endpoint (ids checked, ``FROM <union>``, SPARQLWrapper, rows as terms
    and Python values).

    With ``--own`` the server's own time instead: the text Endpoint would send (parameters in a VALUES
    block, ``FROM <union>``, and ``FROM NAMED`` only for a query with a ``GRAPH`` pattern) is posted
    with plain urllib and the answer read in full, nothing converted while the clock runs.
    """

    name = "oxigraph-server"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from kg.namespaces import IRIs
        from kg.remote import Endpoint

        self.iris = IRIs()
        self.endpoint = Endpoint(args.url, timeout=args.timeout, base=self.iris.base)
        self.graphs = self.endpoint.project_graphs()  # the manifest, read once before the clock runs
        self.union = self.endpoint.union_graph()
        if self.union is None:
            raise RuntimeError(f"{args.url} holds no union graph of a kg push")

    def run(self, query, bindings) -> Any:
        if self.args.own:
            return self._own(query, bindings)
        from kg.query import run

        result = run(query, self.endpoint, bindings, self.iris)
        result.records()
        return result

    def _own(self, query, bindings) -> bytes:
        import urllib.parse
        import urllib.request

        from kg.query import inject_values, with_dataset

        text = with_dataset(inject_values(query.text, bindings), self.graphs, self.union)
        request = urllib.request.Request(self.args.url, data=urllib.parse.urlencode({"query": text}).encode(),
                                         headers={"Accept": "application/sparql-results+json",
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=self.args.timeout) as response:
            return response.read()

    def _result(self, answer: Any):
        from kg.results import from_sparql_json

        return from_sparql_json(json.loads(answer)) if isinstance(answer, bytes) else answer

    def rows(self, answer: Any) -> int:
        return len(self._result(answer))

    def digest(self, answer: Any) -> str | None:
        from kg.results import row_digest

        return row_digest(self._result(answer))


class Virtuoso(Server):
    """Virtuoso Open Source 7.2, loaded with kg.remote.push (Graph Store Protocol) like the Oxigraph server:
    the per-source graphs, the union graph and the push manifest, so that Endpoint queries ``FROM <union>``."""

    name = "virtuoso"


BACKENDS: dict[str, Callable[[Path, argparse.Namespace], Backend]] = {
    b.name: b for b in (Embedded, Disk, Pyoxigraph, OxRdflib, RdflibMemory, Server, Virtuoso)}


def _measure(backend: Backend, query, bindings, runs: int, slow: float,
             report: Callable[[dict[str, Any]], None]) -> None:
    """A warm-up (reported as soon as it is done), then ``runs`` timed runs unless the warm-up was slow."""
    t = time.perf_counter()
    answer = backend.run(query, bindings)
    warm = time.perf_counter() - t
    rows, digest = backend.rows(answer), backend.digest(answer)
    del answer
    report({"event": "warm", "name": query.name, "seconds": warm})
    times = [warm]
    if warm <= slow:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            backend.run(query, bindings)
            times.append(time.perf_counter() - t)
    report({"event": "query", "name": query.name, "median": statistics.median(times), "runs": len(times),
            "rows": rows, "digest": digest, "min": min(times), "max": max(times)})


def _error(name: str, exc: BaseException) -> dict[str, Any]:
    return {"event": "error", "name": name, "error": f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"}


def _measure_in_child(backend: Backend, query, bindings, args: argparse.Namespace) -> None:
    """Measure in a forked child (sharing the loaded store), killed if its warm-up passes the time-out.

    Loading rdflib's Memory store takes minutes at 100,000 firms: forking keeps one load for
    all queries, however many of them time out.
    """
    import select

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report through the pipe, exit without cleanup
        os.close(read_end)
        out = os.fdopen(write_end, "w")

        def report(event: dict[str, Any]) -> None:
            out.write(json.dumps(event) + "\n")
            out.flush()
        try:
            _measure(backend, query, bindings, args.runs, args.slow, report)
        except BaseException as exc:  # reported to the parent
            report(_error(query.name, exc))
        out.close()
        os._exit(0)
    os.close(write_end)
    stream = os.fdopen(read_end)
    deadline = time.monotonic() + args.timeout
    warm = None
    while True:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
        line = stream.readline() if ready else None
        if not line:
            if ready:  # the child ended without a result
                emit("error", name=query.name, error="the measuring process ended without a result")
            else:
                os.kill(pid, 9)  # our own child, past its time-out
                emit("timeout", name=query.name, timeout=args.timeout, warm=warm)
            break
        event = json.loads(line)
        emit(**event)
        if event["event"] == "warm":
            warm = event["seconds"]
            deadline = time.monotonic() + max(30.0, warm * (args.runs + 1) * 2 + 30)
        else:
            break
    stream.close()
    os.waitpid(pid, 0)


def task_queries(args: argparse.Namespace) -> None:
    """Every saved query on one back-end: a warm-up, then ``runs`` timed runs (median reported).

    A query whose warm-up took longer than ``slow`` seconds is not repeated: the warm-up is its
    one measurement.  Lines: ``load``, then ``start``/``warm``/``query`` (or ``error``, or
    ``timeout`` with ``--fork``) per query.
    """
    from kg.query import bind, library

    skip = set(filter(None, (args.skip or "").split(",")))
    t0 = time.perf_counter()
    backend = BACKENDS[args.backend](Path(args.data) if args.data else None, args)
    emit("load", seconds=time.perf_counter() - t0, rss_mb=peak_rss_mb())
    for name, query in library(args.queries).items():
        if name in skip:
            continue
        bindings = bind(query, _params(query))
        emit("start", name=name)
        if args.fork:
            _measure_in_child(backend, query, bindings, args)
            continue
        try:
            _measure(backend, query, bindings, args.runs, args.slow, lambda event: emit(**event))
        except Exception as exc:  # one failing query must not stop the others; it is reported
            emit(**_error(name, exc))
    emit("done", peak_rss_mb=peak_rss_mb())


# ---------------------------------------------------------------------------- listings and push

#: The listings that page (``kg query NAME --limit N``): their first page is timed with its total.
LISTINGS = ("firms-by-subsector", "rnd-sites", "firm-facts", "hq-absence", "multi-site-groups", "cluster-links",
            "changes")


def task_pages(args: argparse.Namespace) -> None:
    """Each listing's first page (``limit`` rows, offset 0) on the build's store, with its total.

    Through ``kg.query.run(..., limit=, offset=)`` where kg has it; without it, each listing is
    reported ``not available`` (``page`` events with ``available: false``).
    """
    import inspect

    from kg.namespaces import IRIs
    from kg.query import bind, library, run

    store = open_build(args)
    iris = IRIs()
    saved = library(args.queries)
    paged = "limit" in inspect.signature(run).parameters
    for name in LISTINGS:
        query = saved.get(name)
        if query is None:
            continue
        if not paged:
            emit("page", name=name, available=False, why="kg.query.run takes no limit")
            continue
        try:
            bindings = bind(query, _params(query))
            times, result = [], None
            for _ in range(args.runs + 1):
                t = time.perf_counter()
                result = run(query, store, bindings, iris, limit=args.limit, offset=0)
                result.records()
                times.append(time.perf_counter() - t)
            emit("page", name=name, available=True, limit=args.limit, rows=len(result),
                 total=getattr(result, "total", None), warm=times[0], median=statistics.median(times[1:]),
                 runs=len(times) - 1)
        except Exception as exc:  # reported; the other listings still run
            emit("page", name=name, available=True, error=f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    emit("done", peak_rss_mb=peak_rss_mb())


def task_push(args: argparse.Namespace) -> None:
    """kg.remote.push of the build's on-disk store into a server, as ``kg push --build OUT`` does."""
    from kg.namespaces import IRIs
    from kg.remote import push

    store = open_build(args)
    bulk = None
    if args.bulk_dir:  # kg push --method bulk: Virtuoso's bulk loader over ISQL
        from kg.bulkload import BulkLoader

        bulk = BulkLoader(args.isql, args.user, args.password, Path(args.bulk_dir), say=say)
    t = time.perf_counter()
    report = push(store, args.url, gsp=args.gsp, update=args.update, user=args.user, password=args.password,
                  base=IRIs().base, timeout=600, progress=say, bulk=bulk)
    emit("push", seconds=time.perf_counter() - t, graphs=report.graphs, triples=report.triples,
         union_triples=report.union_triples, peak_rss_mb=peak_rss_mb())
    emit("done")


# ---------------------------------------------------------------------------- views

def task_views(args: argparse.Namespace) -> None:
    """Views (networkx), GEXF and GraphML files, and HTML pages, each timed."""
    from kg.export import export_graph
    from kg.html import write_page
    from kg.store import load
    from kg.views import VIEWS, Catalog, clusters_view, full_view, hq_view

    out = Path(args.out)
    store = open_build(args) if args.build else load(args.data)  # the build's store, as kg export uses it
    t = time.perf_counter()
    catalog = Catalog(store)
    emit("catalog", seconds=time.perf_counter() - t)
    makers = {"hq": hq_view, "clusters": clusters_view, "full": full_view}
    for name in VIEWS:
        record: dict[str, Any] = {"name": name}
        try:
            t = time.perf_counter()
            graph = makers[name](store, catalog=catalog)
            record.update(view_seconds=time.perf_counter() - t, nodes=graph.number_of_nodes(),
                          edges=graph.number_of_edges())
            for fmt in ("gexf", "graphml"):
                t = time.perf_counter()
                path = export_graph(graph, fmt, out / f"{name}.{fmt}")
                record[f"{fmt}_seconds"] = time.perf_counter() - t
                record[f"{fmt}_mb"] = path.stat().st_size / 1e6
            t = time.perf_counter()
            path = write_page(graph, out / f"{name}.html")
            record.update(html_seconds=time.perf_counter() - t, html_mb=path.stat().st_size / 1e6, html=str(path))
        except Exception as exc:  # reported, and the other views still run
            record["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        emit("view", **record)
        say(f"view {name}: {record}")
    emit("done", peak_rss_mb=peak_rss_mb())


def task_browser(args: argparse.Namespace) -> None:
    """Open each page from file:// in headless Chromium: first paint, load event, network drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        emit("browser", version=browser.version)
        for page_path in args.pages:
            record: dict[str, Any] = {"page": Path(page_path).stem}
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                       else route.abort())
            try:
                t = time.perf_counter()
                page.goto(Path(page_path).resolve().as_uri(), wait_until="load", timeout=args.timeout * 1000)
                page.wait_for_function("() => window.kg && window.kg.ready", timeout=args.timeout * 1000)
                record["ready_wall_ms"] = (time.perf_counter() - t) * 1000
                timing = page.evaluate("""() => {
                    const paint = Object.fromEntries(
                        performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
                    const nav = performance.getEntriesByType('navigation')[0];
                    return {first_paint_ms: paint['first-paint'] ?? null,
                            first_contentful_paint_ms: paint['first-contentful-paint'] ?? null,
                            load_event_ms: nav ? nav.loadEventEnd : null,
                            drawn_ms: performance.now(), drawn: window.kg.counts(),
                            aggregated: !!window.kg.data.aggregated};
                }""")
                record.update(timing)
            except Exception as exc:  # reported; the next page still opens
                record["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            page.close()
            emit("page", **record)
        browser.close()
    emit("done")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    sub = parser.add_subparsers(dest="task", required=True)
    def build_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--build", help="the folder kg build wrote (build.json and the on-disk store)")
        p.add_argument("--tables", help="the data folder it was built from (for find_build)")
        p.add_argument("--ontology", default=None)

    p = sub.add_parser("queries")
    p.add_argument("--backend", choices=sorted(BACKENDS), required=True)
    p.add_argument("--data", help="the dataset as N-Quads (kg.nq), for the in-memory back-ends")
    build_options(p)
    p.add_argument("--queries", default=None, help="folder of saved queries (default: queries/)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--slow", type=float, default=10.0, help="a warm-up longer than this is the only run")
    p.add_argument("--skip", default="", help="comma-separated queries to leave out (done or timed out)")
    p.add_argument("--url", help="SPARQL endpoint (server back-ends)")
    p.add_argument("--own", action="store_true", help="server back-ends: the server's own time (plain HTTP)")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--fork", action="store_true",
                   help="measure each query in a forked child, killed past --timeout (one load for all)")
    p.set_defaults(run=task_queries)
    p = sub.add_parser("pages")
    build_options(p)
    p.add_argument("--queries", default=None)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(run=task_pages)
    p = sub.add_parser("push")
    build_options(p)
    p.add_argument("--url", required=True, help="SPARQL query endpoint")
    p.add_argument("--gsp", help="Graph Store Protocol address")
    p.add_argument("--update", help="SPARQL Update endpoint")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--bulk-dir", help="push with Virtuoso's bulk loader from this DirsAllowed folder")
    p.add_argument("--isql", help="with --bulk-dir: Virtuoso's SQL port, HOST:PORT")
    p.set_defaults(run=task_push)
    p = sub.add_parser("views")
    p.add_argument("--data", help="N-Quads file (without --build)")
    build_options(p)
    p.add_argument("--out", required=True)
    p.set_defaults(run=task_views)
    p = sub.add_parser("browser")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("pages", nargs="+")
    p.set_defaults(run=task_browser)
    args = parser.parse_args(argv)
    if getattr(args, "queries", None) is None and args.task in ("queries", "pages"):
        from kg.query import QUERIES_DIR
        args.queries = QUERIES_DIR
    args.run(args)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
