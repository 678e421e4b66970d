"""A bounded load test of kg serve (issue 10): 2,000 requests from 20 threads, hostile queries among them
(a cartesian ORDER BY that panicked the engine, cartesian COUNTs that run past the timeout).  No request
may fail (ordinary ones 200, hostile ones a clear 4xx/5xx with a message) and the server answers afterwards.
Speed is measured by ``benchmarks/load.py``, not asserted here."""
from __future__ import annotations

from benchmarks.load import run_load
from kg.serve import serve


def test_two_thousand_requests_from_twenty_threads_with_hostile_queries(built):
    with serve(built.store, port=0, timeout=2, max_rows=10_000, base=built.iris.base, memory_mb=500) as server:
        report = run_load(server.port, requests=2000, threads=20, hostile=8)
        assert report["errors"] == 0, report["error_samples"]
        assert sum(report["hostile_statuses"].values()) == 8
        assert report["answers_afterwards"]
