"""The measurements, one task a process: ``python -m benchmarks.worker TASK --options``.

Each task prints JSON lines on stdout (``{"event": ...}``), flushed as they happen, so that the
orchestrator (:mod:`benchmarks.run`) can enforce a time-out per query, kill a process that runs
past it and start the next one where it left off.  Progress goes to stderr.

Tasks:

``build``     tables -> store -> every RDF file, as ``kg build --no-validate`` does (stage times,
              CPU time, peak memory)
``queries``   every saved query on one back-end: ``embedded`` (kg.query.run on the in-memory
              Oxigraph store, results as Python values), ``pyoxigraph`` (``Store.query``, every
              solution iterated: the floor), ``oxrdflib`` (rdflib's API over the same Oxigraph
              store), ``rdflib`` (rdflib's plain Memory store), ``virtuoso`` (a SPARQL server,
              through SPARQLWrapper)
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
from pathlib import Path
from typing import Any, Callable

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


# ---------------------------------------------------------------------------- build

def task_build(args: argparse.Namespace) -> None:
    """What ``kg build --no-validate`` does, stage by stage."""
    from kg.build import build
    from kg.store import RDF_OUTPUTS, write_rdf

    t0, c0 = time.perf_counter(), cpu_seconds()
    result = build(args.data)
    t1 = time.perf_counter()
    write_rdf(result.store, args.out, list(RDF_OUTPUTS), graphs_disjoint=result.graphs_disjoint)
    t2 = time.perf_counter()
    summary = result.summary()
    t3 = time.perf_counter()
    files = {name: (Path(args.out) / filename).stat().st_size for name, (filename, _, _) in RDF_OUTPUTS.items()}
    emit("build", wall=t3 - t0, cpu=cpu_seconds() - c0, peak_rss_mb=peak_rss_mb(),
         stages={**{k: v for k, v in result.timings.items()}, "write files": t2 - t1, "summary": t3 - t2},
         summary=summary, files=files)


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
    """Loads the data once, then runs a saved query and returns its number of rows."""

    name = ""

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        self.data = data
        self.args = args

    def run(self, query, bindings) -> int:
        raise NotImplementedError


class Embedded(Backend):
    """The toolkit's own path: kg.query.run on the in-memory Oxigraph store (rows as Python values)."""

    name = "embedded"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from kg.store import load

        self.store = load(data)

    def run(self, query, bindings) -> int:
        from kg.query import run_local

        return len(run_local(self.store, query, bindings).records())


class Pyoxigraph(Embedded):
    """pyoxigraph directly: ``Store.query`` over the union graph, every value of every solution read."""

    name = "pyoxigraph"

    def run(self, query, bindings) -> int:
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


class OxRdflib(Embedded):
    """rdflib's API over the same Oxigraph store (oxrdflib hands SPARQL to Oxigraph)."""

    name = "oxrdflib"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from kg.store import as_rdflib

        self.dataset = as_rdflib(self.store)

    def run(self, query, bindings) -> int:
        return _rdflib_rows(self.dataset, query, bindings)


class RdflibMemory(Backend):
    """rdflib's plain Memory store (a Dataset whose default graph is the union of the named graphs)."""

    name = "rdflib"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from rdflib import Dataset

        self.dataset = Dataset(default_union=True)
        self.dataset.parse(str(data), format="nquads")

    def run(self, query, bindings) -> int:
        return _rdflib_rows(self.dataset, query, bindings)


class Virtuoso(Backend):
    """A Virtuoso server holding the same quads, queried through SPARQLWrapper (kg.remote.Endpoint).

    As ``kg query --endpoint`` does, each query names the project's graphs in ``FROM`` clauses:
    sent unrestricted, Virtuoso 7.2 returned too few rows for four queries at 100,000 firms.
    """

    name = "virtuoso"

    def __init__(self, data: Path, args: argparse.Namespace) -> None:
        super().__init__(data, args)
        from kg.remote import Endpoint

        self.endpoint = Endpoint(args.url, timeout=args.timeout)
        self.endpoint.project_graphs()  # asked once, before the clock runs

    def run(self, query, bindings) -> int:
        return len(self.endpoint.query(query.text, bindings, where=query.where).rows)


BACKENDS: dict[str, Callable[[Path, argparse.Namespace], Backend]] = {
    b.name: b for b in (Embedded, Pyoxigraph, OxRdflib, RdflibMemory, Virtuoso)}


def _measure(backend: Backend, query, bindings, runs: int, slow: float,
             report: Callable[[dict[str, Any]], None]) -> None:
    """A warm-up (reported as soon as it is done), then ``runs`` timed runs unless the warm-up was slow."""
    t = time.perf_counter()
    rows = backend.run(query, bindings)
    warm = time.perf_counter() - t
    report({"event": "warm", "name": query.name, "seconds": warm})
    times = [warm]
    if warm <= slow:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            backend.run(query, bindings)
            times.append(time.perf_counter() - t)
    report({"event": "query", "name": query.name, "median": statistics.median(times), "runs": len(times),
            "rows": rows, "min": min(times), "max": max(times)})


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
    backend = BACKENDS[args.backend](Path(args.data), args)
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


# ---------------------------------------------------------------------------- views

def task_views(args: argparse.Namespace) -> None:
    """Views (networkx), GEXF and GraphML files, and HTML pages, each timed."""
    from kg.export import export_graph
    from kg.html import write_page
    from kg.store import load
    from kg.views import VIEWS, Catalog, clusters_view, full_view, hq_view

    out = Path(args.out)
    store = load(args.data)
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
                    const paint = Object.fromEntries(performance.getEntriesByType('paint').map(e => [e.name, e.startTime]));
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
    p = sub.add_parser("build")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=task_build)
    p = sub.add_parser("queries")
    p.add_argument("--backend", choices=sorted(BACKENDS), required=True)
    p.add_argument("--data", required=True, help="the dataset as N-Quads (kg.nq)")
    p.add_argument("--queries", default=None, help="folder of saved queries (default: queries/)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--slow", type=float, default=10.0, help="a warm-up longer than this is the only run")
    p.add_argument("--skip", default="", help="comma-separated queries to leave out (done or timed out)")
    p.add_argument("--url", help="SPARQL endpoint (virtuoso back-end)")
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--fork", action="store_true",
                   help="measure each query in a forked child, killed past --timeout (one load for all)")
    p.set_defaults(run=task_queries)
    p = sub.add_parser("views")
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=task_views)
    p = sub.add_parser("browser")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("pages", nargs="+")
    p.set_defaults(run=task_browser)
    args = parser.parse_args(argv)
    if getattr(args, "queries", None) is None and args.task == "queries":
        from kg.query import QUERIES_DIR
        args.queries = QUERIES_DIR
    args.run(args)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
