"""Cluster links at scale: how many rows ``cluster-links`` gives, and how long it takes, on a synthetic economy.

Prints, for ``--firms N`` (default 10,000): the ties the build derived, the firms' memberships, the pairs
the ties would make if every tie were listed pair by pair (what the query listed before
``kg.rules.tie_form``), the hubs, the rows the rule gives (``kg.rules.tie_rows``), and the saved query's
rows and seconds on the build's in-memory Oxigraph store: its first page (100 rows, with the total) and the
whole listing (the first ``kg.rules.CLUSTER_LINK_ROWS`` rows, which the build numbers)::

    .venv/bin/python -m benchmarks.cluster_links --firms 10000
    .venv/bin/python -m benchmarks.cluster_links --firms 100000 --data /tmp/s100k   # tables already drawn

The figures of a run are in the README of ``benchmarks/`` (section "Cluster links").
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from pyoxigraph import Store

from kg.build import BuildResult, build
from kg.query import QUERIES_DIR, SavedQuery, load_query, run
from kg.rules import TIE_PAIR_LIMIT, tie_form, tie_rows
from kg.synth import synthesize


def tie_sizes(store: Store) -> Counter[int]:
    """members -> how many ties have that many firms (from the build's bbmb:tieMembers)."""
    query = ("PREFIX bbmb: <https://w3id.org/bbmb/def#> "
             "SELECT ?n WHERE { ?tie bbmb:tieMembers ?n }")
    return Counter(int(s["n"].value) for s in store.query(query, use_default_graph_as_union=True))


def timed(query: SavedQuery, result: BuildResult, limit: int | None) -> tuple[int, float]:
    start = time.perf_counter()
    rows = len(run(query, result.store, {}, result.iris, limit=limit))
    return rows, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, help="tables of a synthetic economy already drawn (kg synth)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "synth"
        if args.data is None:
            synthesize(data, args.firms, seed=args.seed)
        start = time.perf_counter()
        result = build(data)
        print(f"build: {time.perf_counter() - start:.1f} s")
    sizes = tie_sizes(result.store)
    hubs = sum(count for n, count in sizes.items() if tie_form(n) == "hub")
    print(f"firms: {args.firms:,}  ties of 2 firms or more: {sum(sizes.values()):,}  "
          f"memberships: {sum(n * c for n, c in sizes.items()):,}  largest tie: {max(sizes, default=0):,} firms")
    print(f"pairs if every tie were listed pair by pair: {sum(n * (n - 1) // 2 * c for n, c in sizes.items()):,}")
    print(f"hubs (ties of more than {TIE_PAIR_LIMIT} firms): {hubs:,}  "
          f"rows by kg.rules.tie_rows: {sum(tie_rows(n) * c for n, c in sizes.items()):,}")
    for limit in (4, 10, 20, 40, 100):
        print(f"  rows with a pair limit of {limit}: {sum(tie_rows(n, limit) * c for n, c in sizes.items()):,}")
    saved = load_query(QUERIES_DIR / "cluster-links.rq")
    for label, limit in (("first page", 100), ("whole listing", None)):
        rows, seconds = timed(saved, result, limit)
        print(f"cluster-links {label}: {rows:,} rows in {seconds:.2f} s")


if __name__ == "__main__":
    main()
