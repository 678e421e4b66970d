"""kg push into a server: Virtuoso by the Graph Store Protocol and by its bulk loader, and Oxigraph server, on one
build, digests compared.

    .venv/bin/python -m benchmarks.push_methods --build OUT --data DATA [--big] [--methods gsp,bulk,oxigraph]

Each method pushes the build's store into a fresh private server (tests/servers.py, 127.0.0.1), one
after the other in this process, each replacing the graphs in place (the manifest "pushing" meanwhile):
``gsp`` (``kg push --endpoint .../sparql --gsp ...``: PUT/POST of N-Triples chunks of 20,000 triples)
and ``bulk`` (``kg push --method bulk``: files in the server's DirsAllowed folder, ``ld_add`` +
``rdf_loader_run`` + ``checkpoint`` over ISQL) into Virtuoso; ``oxigraph`` (``kg push --gsp``, chunks of 20,000
triples) into ``oxigraph serve``.  (The staged push, with an update endpoint, switches the
graphs in with one transaction, which Virtuoso 7.2 refuses from about 10,000 firms: SR325.)
Then every saved query runs on each server and on the embedded store, and the row digests
(``kg.results.row_digest``) are compared.  Prints one JSON line with the seconds of each push, the server's
peak memory, the ratio of the two Virtuoso methods where both ran, the load average and the queries whose digests
differ (none expected).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The pushes measured: Virtuoso by the Graph Store Protocol, by its bulk loader; Oxigraph server.
METHODS = ("gsp", "bulk", "oxigraph")


def _digests(endpoint: Any, store: Any, iris: Any) -> dict[str, str]:
    """The saved queries whose rows on ``endpoint`` differ from the store's, with what was counted, or the server's
    error (the run goes on: a query the server refuses is recorded, not the end of the measurement)."""
    from benchmarks.worker import _params
    from kg.errors import KgError
    from kg.query import library, run
    from kg.results import row_digest

    differ = {}
    for name, query in sorted(library().items()):
        params = _params(query)
        local = run(query, store, params, iris)
        started = time.perf_counter()
        try:
            remote = run(query, endpoint, params, iris)
        except KgError as error:
            differ[name] = f"failed after {time.perf_counter() - started:.1f} s: {str(error)[:300]}"
            continue
        if row_digest(local) != row_digest(remote):
            differ[name] = f"{len(remote)} rows against {len(local)}"
    return differ


def _peak_rss_gb(pid: int) -> float:
    """The peak resident memory of a running process (``VmHWM``), in GB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e6
    return float("nan")


def measure(build: Path, data: Path, big: bool, work: Path, methods: tuple[str, ...] = METHODS) -> dict[str, Any]:
    from benchmarks.worker import open_build
    from kg.bulkload import BulkLoader
    from kg.namespaces import IRIs
    from kg.remote import Endpoint, push
    from tests.servers import oxigraph, virtuoso

    store = open_build(argparse.Namespace(build=build, tables=data, ontology=None))
    iris = IRIs()
    buffers = (340_000, 250_000) if big else (100_000, 60_000)
    out: dict[str, Any] = {"build": str(build), "load_average_start": os.getloadavg()}
    for method in methods:
        if method == "oxigraph":
            with oxigraph(work / method) as ox:
                started = time.perf_counter()
                report = push(store, ox.sparql_url, gsp=ox.gsp_url, base=iris.base, gsp_chunk=20_000, timeout=3600,
                              progress=lambda line: print(line, file=sys.stderr, flush=True))
                out[method] = {"seconds": time.perf_counter() - started, "triples": report.triples,
                               "union_triples": report.union_triples, "server_peak_gb": _peak_rss_gb(ox.pid),
                               "differ": _digests(Endpoint(ox.sparql_url, base=iris.base, timeout=600), store, iris)}
            print(json.dumps({method: out[method]}), file=sys.stderr, flush=True)
            continue
        with virtuoso(work / method, buffers=buffers) as server:
            loads = server.folder / "loads"
            loads.mkdir()
            bulk = BulkLoader(f"127.0.0.1:{server.sql_port}", server.user, server.password, loads) \
                if method == "bulk" else None
            started = time.perf_counter()
            # both in place: GSP given the read-only endpoint (no SPARQL Update, so no staged switch, which
            # Virtuoso refuses as one transaction from ~10,000 firms and which runs past its time limits)
            endpoint = server.sparql_url if method == "gsp" else server.auth_url
            report = push(store, endpoint, gsp=server.gsp_url if method == "gsp" else None, user=server.user,
                          password=server.password, base=iris.base, timeout=3600, bulk=bulk,
                          progress=lambda line: print(line, file=sys.stderr, flush=True))
            out[method] = {"seconds": time.perf_counter() - started, "triples": report.triples,
                           "union_triples": report.union_triples, "server_peak_gb": _peak_rss_gb(server.pid),
                           "differ": _digests(Endpoint(server.sparql_url, base=iris.base, timeout=600), store, iris)}
            print(json.dumps({method: out[method]}), file=sys.stderr, flush=True)
    if "gsp" in out and "bulk" in out:
        out["ratio_gsp_over_bulk"] = out["gsp"]["seconds"] / out["bulk"]["seconds"]
    out["load_average_end"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.push_methods", description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, required=True, help="a kg build folder (kg build --out)")
    parser.add_argument("--data", type=Path, required=True, help="its data folder")
    parser.add_argument("--big", action="store_true", help="Virtuoso with the buffers of the benchmark's large sizes")
    parser.add_argument("--methods", type=_methods, default=METHODS,
                        help=f"comma-separated, of {', '.join(METHODS)} (default: all, in that order)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-push-methods-") as work:
        print(json.dumps(measure(args.build, args.data, args.big, Path(work), args.methods)))
    return 0


def _methods(text: str) -> tuple[str, ...]:
    chosen = tuple(m.strip() for m in text.split(",") if m.strip())
    if unknown := [m for m in chosen if m not in METHODS]:
        raise argparse.ArgumentTypeError(f"unknown method {', '.join(unknown)}: choose from {', '.join(METHODS)}")
    return chosen


if __name__ == "__main__":
    sys.exit(main())
