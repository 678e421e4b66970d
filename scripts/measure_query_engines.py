"""Time one saved query on the embedded store through each Python API: pyoxigraph, oxrdflib, rdflib.

    .venv/bin/kg synth --firms 10000 --out /tmp/synth10k
    .venv/bin/kg build --data /tmp/synth10k --out /tmp/synth10k-out --no-validate --formats nquads
    .venv/bin/python scripts/measure_query_engines.py /tmp/synth10k-out/kg.nq hq-absence [--rdflib-memory]

pyoxigraph: ``kg.query.run`` on a ``pyoxigraph.Store`` (what ``kg query`` does).  oxrdflib: the same
store behind rdflib's ``Dataset`` API (``kg.store.as_rdflib``), the query through ``Dataset.query``.
rdflib Memory (only with ``--rdflib-memory``; minutes past a few thousand firms): the merged
triples in a plain rdflib ``Graph``.  Each is run ``--repeat`` times; the best time is printed.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyoxigraph import RdfFormat, Store  # noqa: E402

from kg.namespaces import IRIs  # noqa: E402
from kg.query import bind, inject_values, resolve, run  # noqa: E402
from kg.store import as_rdflib, to_rdflib_graph  # noqa: E402


def best(label: str, action, repeat: int) -> float:
    times, rows = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = action()
        times.append(time.perf_counter() - t0)
    print(f"{label:18s} {rows:7d} rows  best {min(times) * 1000:9.1f} ms  of {repeat}", flush=True)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("graph", type=Path, help="built dataset (N-Quads or TriG)")
    parser.add_argument("query", help="saved query name or .rq file")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rdflib-memory", action="store_true", help="also time rdflib's Memory store (slow)")
    args = parser.parse_args()

    store = Store()
    fmt = RdfFormat.N_QUADS if args.graph.suffix == ".nq" else RdfFormat.TRIG
    t0 = time.perf_counter()
    store.bulk_load(path=str(args.graph), format=fmt)
    print(f"loaded {len(store):,} quads in {time.perf_counter() - t0:.1f} s")
    query = resolve(args.query)
    params = dict(p.split("=", 1) for p in args.param)
    # rdflib has no engine-side binding that survives its own parser for every query form, so the
    # rdflib runs get the same checked VALUES block a SPARQL server gets
    text = inject_values(query.text, bind(query, params, IRIs()))

    best("pyoxigraph", lambda: len(run(query, store, params)), args.repeat)
    dataset = as_rdflib(store)
    best("oxrdflib", lambda: len(list(dataset.query(text))), args.repeat)
    if args.rdflib_memory:
        graph = to_rdflib_graph(store)
        best("rdflib Memory", lambda: len(list(graph.query(text))), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
