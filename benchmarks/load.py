"""Load test of ``kg serve``: many short queries from many threads, and a few hostile ones among them.

    .venv/bin/python -m benchmarks.load --requests 2000 --threads 20          # starts kg serve itself
    .venv/bin/python -m benchmarks.load --requests 2000 --threads 50 --hostile 0
    .venv/bin/python -m benchmarks.load --requests 5000 --threads 50 --runaway 4 --timeout 10   # issue 16's target
    .venv/bin/python -m benchmarks.load --port 7878 ...                       # a server already running

Prints requests per second, p50 and p99 latency, and errors: a connection that was refused or
reset, an answer that is not HTTP, or a status other than the one expected (200 for the ordinary
queries; for the hostile ones - a cartesian product with ORDER BY that makes the query engine panic,
and a cartesian COUNT that runs until the timeout - any clear 4xx/5xx answer with a message).
With ``--runaway N``, N more clients keep a runaway query running the whole time (each asks again as
soon as the last one was stopped); the target is 0 errors and a p99 of the ordinary queries under 1 s
(``p99_target_met``).  Only 127.0.0.1 is ever contacted.  After the run it checks that the server still
answers.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ORDINARY = [
    "SELECT ?name WHERE { ?f a bbmb:Firm ; rdfs:label ?name } ORDER BY ?name",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "ASK { ?f a bbmb:Firm }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
]
HOSTILE = [
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?f LIMIT 1",  # panicked pyoxigraph and ended the server
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",  # runs until the timeout
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(timeout: float, extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    kg = Path(sys.executable).parent / "kg"
    process = subprocess.Popen([str(kg), "serve", "--port", str(port), "--timeout", str(timeout), *extra],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"kg serve ended with exit code {process.returncode}")
        if ask(port, ORDINARY[2], 2)[0] == 200:
            return process, port
        time.sleep(0.2)
    process.kill()
    raise SystemExit("kg serve did not answer within 60 s")


def ask(port: int, query: str, timeout: float = 30) -> tuple[int | None, str]:
    """One GET of /sparql on 127.0.0.1; (status, body) or (None, what went wrong)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}),
                     headers={"Accept": "application/sparql-results+json"})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()


def run_load(port: int, requests: int, threads: int, hostile: int, runaway: int = 0) -> dict:
    """``requests`` GETs from ``threads`` threads; every ``requests // hostile``-th one is hostile.  Besides,
    ``runaway`` more threads each send the runaway COUNT query again and again until the others are done,
    so that that many runaway queries are running the whole time."""
    plan = []
    every = requests // hostile if hostile else 0
    for i in range(requests):
        if every and i % every == every // 2:
            plan.append((True, HOSTILE[(i // every) % len(HOSTILE)]))
        else:
            plan.append((False, ORDINARY[i % len(ORDINARY)]))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    hostile_answers: dict[str, int] = {}
    position = iter(range(len(plan)))

    def work() -> None:
        while True:
            with lock:
                i = next(position, None)
            if i is None:
                return
            is_hostile, query = plan[i]
            t0 = time.perf_counter()
            status, body = ask(port, query)
            seconds = time.perf_counter() - t0
            with lock:
                if is_hostile:
                    ok = status is not None and 400 <= status < 600 and body.strip() != ""
                    hostile_answers[str(status)] = hostile_answers.get(str(status), 0) + 1
                else:
                    ok = status == 200
                    latencies.append(seconds)
                if not ok:
                    errors.append(f"{status}: {body[:200]}")

    done = threading.Event()
    runaway_answers: dict[str, int] = {}

    def run_away() -> None:
        while not done.is_set():
            status, body = ask(port, HOSTILE[1], 120)
            with lock:
                runaway_answers[str(status)] = runaway_answers.get(str(status), 0) + 1
                if status is None or not 400 <= status < 600 or not body.strip():
                    errors.append(f"runaway {status}: {body[:200]}")

    runaways = [threading.Thread(target=run_away) for _ in range(runaway)]
    for t in runaways:
        t.start()
    if runaway:
        time.sleep(1.0)  # they hold their workers before the clients start
    t0 = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    done.set()
    for t in runaways:
        t.join()
    latencies.sort()
    after = ask(port, ORDINARY[1], 30)
    return {
        "requests": requests, "threads": threads, "hostile": hostile, "seconds": round(elapsed, 2),
        "requests_per_second": round(requests / elapsed, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else None,
        "p99_target_met": bool(latencies) and latencies[int(0.99 * (len(latencies) - 1))] < 1.0,
        "runaway": runaway, "runaway_statuses": runaway_answers,
        "errors": len(errors), "error_samples": sorted(set(errors))[:5], "hostile_statuses": hostile_answers,
        "answers_afterwards": after[0] == 200,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--threads", type=int, default=20)
    p.add_argument("--hostile", type=int, default=4, help="how many hostile queries among the requests")
    p.add_argument("--runaway", type=int, default=0,
                   help="runaway queries kept running the whole time, each by a thread of its own")
    p.add_argument("--timeout", type=float, default=2.0, help="kg serve --timeout (when the script starts it)")
    p.add_argument("--port", type=int, help="a kg serve already running on 127.0.0.1:PORT")
    p.add_argument("--serve-option", action="append", default=[], help="extra option for kg serve")
    args = p.parse_args(argv)
    process = None
    port = args.port
    if port is None:
        process, port = start_server(args.timeout, args.serve_option)
    try:
        report = run_load(port, args.requests, args.threads, args.hostile, args.runaway)
        report["server_alive"] = process.poll() is None if process else None
        print(json.dumps(report, indent=1))
        met = report["errors"] == 0 and report["answers_afterwards"] and (not args.runaway or report["p99_target_met"])
        return 0 if met else 1
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
