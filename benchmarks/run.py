"""The scale benchmark: one command, every back-end side by side, one Markdown table.

    .venv/bin/python -m benchmarks.run --firms 1000,10000,100000
    .venv/bin/python -m benchmarks.run --firms 300 --quick --out /tmp/RESULTS.md    # the CI smoke test

For each N it writes a synthetic economy of N firms (``kg synth``), then measures, each step in
its own process (:mod:`benchmarks.worker`, or the ``kg`` command itself) so that peak memory is the
step's own and a query past its time-out can be killed:

* build, as the user runs it: ``kg build --no-validate`` and ``kg build`` (SHACL validation, with its
  progress lines), each writing the RDF files, the on-disk store and ``build.json`` (wall, CPU and
  peak memory of the process, the validation's own seconds);
* the floor: ``oxigraph load`` of the build's own ``kg.nq`` into a fresh store (what the build is compared with);
* the next command: ``kg query NAME --build OUT`` from a fresh process (wall until it has answered,
  and that it said "using the build"), and ``kg export gexf --view hq|full --build OUT``;
* every saved query (``queries/*.rq``): median of ``--runs`` runs after a warm-up, on the build's
  on-disk store through ``kg.query.run`` (``disk``: what ``kg query`` does), the in-memory store
  (``embedded``), pyoxigraph directly (the floor), rdflib's API over Oxigraph (oxrdflib), rdflib's
  plain Memory store (killed past ``--rdflib-timeout``), and two servers loaded with ``kg.remote.push``
  (union graph and push manifest) and queried through ``kg.remote.Endpoint``: ``oxigraph serve``
  and Virtuoso; on each server also the same query text by plain HTTP (the server's own time).
  Each answer's row digest (``kg.results.row_digest``) is compared across back-ends;
* the listings' first page (``limit 100``) with its total, on the build's store;
* the views: networkx projection, GEXF and GraphML export, HTML page (time and size);
* each page in headless Chromium: first paint and the time until the network is drawn.

Results go to ``--out`` (Markdown, written atomically) and beside it as JSON (``.json``), with the
machine, the versions, the load average at start and end, and the issue's table of targets filled in.
Servers and Chromium are skipped, and said so, where they are not installed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "RESULTS.md"
DEFAULT_WORK = ROOT / "benchmarks" / "work"
QUERY_BACKENDS = ("disk", "embedded", "pyoxigraph", "oxrdflib", "rdflib", "oxigraph-server", "virtuoso")
SERVERS = ("oxigraph-server", "virtuoso")
SECTIONS = ("build", "floor", "next", "queries", "pages", "views", "browser")
GEXF_VIEWS = ("hq", "clusters", "full")
KG = Path(sys.executable).parent / "kg"
#: What "the next command" runs, each from a fresh process on the build: (name, kg arguments).
NEXT_COMMANDS = (("control-summary", ["query", "control-summary"]), ("control-by-land", ["query", "control-by-land"]),
                 ("firm-profile", ["query", "firm-profile", "--param", "firm=firm-000001"]))


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- running workers

@dataclass
class Outcome:
    """What one worker process reported: its JSON events, and how it ended."""

    events: list[dict[str, Any]] = field(default_factory=list)
    killed: str | None = None  # the reason it was killed (a time-out), if it was
    returncode: int | None = None
    stderr_tail: str = ""


def _reader(stream, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def run_worker(args: list[str], deadline_for: callable, log: Path) -> Outcome:
    """Run ``python -m benchmarks.worker ARGS``, reading its JSON lines.

    ``deadline_for(last_event)`` gives the seconds the worker may take until its next line; past
    it the worker's process group is killed and ``Outcome.killed`` says which step timed out.
    """
    command = [sys.executable, "-m", "benchmarks.worker", *args]
    with open(log, "ab") as err:
        err.write(f"\n$ {' '.join(command)}\n".encode())
        err.flush()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True,
                                   start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
        outcome = Outcome()
        last: dict[str, Any] = {"event": "begin"}
        while True:
            limit = deadline_for(last)
            try:
                line = lines.get(timeout=limit)
            except queue.Empty:
                outcome.killed = f"no answer within {limit:g} s after {last.get('event')} {last.get('name', '')}"
                os.killpg(process.pid, signal.SIGKILL)  # the worker's own process group, started above
                break
            if line is None:
                break
            try:
                last = json.loads(line)
            except json.JSONDecodeError:
                continue
            outcome.events.append(last)
        outcome.returncode = process.wait()
    outcome.stderr_tail = log.read_text(errors="replace")[-1500:]
    return outcome


# ---------------------------------------------------------------------------- the steps

def step_synth(n: int, work: Path, seed: int) -> dict[str, Any]:
    from kg.synth import synthesize

    data = work / f"data-{n}"
    t = time.perf_counter()
    counts = synthesize(data, n, seed=seed)
    return {"seconds": time.perf_counter() - t, "rows": sum(counts.values()), "dir": str(data)}


def run_cli(args: list[str], timeout: float, log: Path) -> dict[str, Any]:
    """Run ``kg ARGS`` as the user does (:func:`run_process`)."""
    return run_process([str(KG), *args], timeout, log, "kg " + " ".join(args))


def run_process(command: list[str], timeout: float, log: Path, said: str) -> dict[str, Any]:
    """Run ``command`` (``said``: as the report names it) in its own process group: wall time, CPU and peak RSS
    of the process (``os.wait4``), its exit code, stdout, and its stderr lines with the second each arrived."""
    t0 = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: list[tuple[float, str]] = []
    out: list[bytes] = []

    def read_err() -> None:
        for raw in process.stderr:
            lines.append((time.perf_counter() - t0, raw.decode("utf-8", "replace").rstrip("\n")))

    readers = [threading.Thread(target=read_err, daemon=True),
               threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True)]
    for reader in readers:
        reader.start()
    killed: list[bool] = []

    def kill() -> None:
        killed.append(True)
        os.killpg(process.pid, signal.SIGKILL)  # the process group started above

    timer = threading.Timer(timeout, kill)
    timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - t0
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(10)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(f"\n$ {' '.join(command)}\n" + "\n".join(f"[{t:7.2f}] {line}" for t, line in lines) + "\n")
    return {"command": said, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "returncode": process.returncode, "killed": bool(killed),
            "stdout": b"".join(out).decode("utf-8", "replace"), "stderr": lines}


def _ended(done: dict[str, Any], timeout: float) -> str:
    """How a step's process ended that did not succeed: stopped here at its time-out, or its exit code in words (a
    SIGKILL from nobody here: the kernel's out-of-memory killer)."""
    from benchmarks.growth import oom_reason

    return f"stopped by the benchmark after its time-out of {timeout:g} s" if done["killed"] else \
        oom_reason(done["returncode"])


_VALIDATION = re.compile(r"SHACL validation: (\d+) violation\(s\) in ([\d.]+) s")
_VALIDATING = re.compile(r"\] validating \d+ shapes…$")
#: the store is written while the graph is built; its compaction is the one step of its own
_COMPACTED = re.compile(r"compacted the on-disk store in ([\d.]+) s")
_SUMMARY = re.compile(r"([a-z ]+): ([\d,]+)")


def step_build(data: Path, out: Path, log: Path, timeout: float, validate: bool) -> dict[str, Any]:
    """``kg build [--no-validate] --data DATA --out OUT``: all RDF files, the on-disk store and build.json."""
    args = ["build", "--data", str(data), "--out", str(out)] + ([] if validate else ["--no-validate"])
    done = run_cli(args, timeout, log)
    refused = validate and done["returncode"] == 1 and any(_VALIDATION.search(line) for _, line in done["stderr"])
    if done["returncode"] != 0 and not refused:  # a build that the shapes refused is measured all the same
        tail = "\n".join(line for _, line in done["stderr"][-15:])
        raise RuntimeError(f"{done['command']} failed ({_ended(done, timeout)}):\n{tail}")
    stderr = done.pop("stderr")
    last_line = done.pop("stdout").strip().splitlines()[-1:] or [""]
    done["summary"] = {k.strip(): int(v.replace(",", "")) for k, v in _SUMMARY.findall(last_line[0])}
    done["stderr_lines"] = len(stderr)
    for _, line in stderr:
        if m := _COMPACTED.search(line):
            done["compact_seconds"] = float(m.group(1))
    if refused:
        done["refused"] = "the data does not conform to the shapes; nothing was written (later steps use the " \
                          "--no-validate build)"
    if validate:
        start = next((t for t, line in stderr if _VALIDATING.search(line)), None)
        end = next(((t, m) for t, line in stderr if (m := _VALIDATION.search(line))), None)
        if end is not None:
            done["violations"], done["validation_seconds"] = int(end[1].group(1)), float(end[1].group(2))
        if start is not None and end is not None:
            during = [t for t, _ in stderr if start <= t <= end[0]]
            done["progress_lines"] = len(during) - 2  # the lines between "validating N shapes…" and its result
            done["longest_silence"] = max((b - a for a, b in zip(during, during[1:], strict=False)), default=0.0)
    return done


def step_floor(built: Path, work: Path, log: Path, timeout: float) -> dict[str, Any]:
    """The floor a build is compared with: ``oxigraph load`` (the Oxigraph CLI's bulk loader) of the build's own
    ``kg.nq`` into a fresh on-disk store, as a process of its own (wall, CPU, peak memory); the store is removed."""
    from tests.servers import oxigraph_command

    command = oxigraph_command()
    nquads = built / "kg.nq"
    if command is None:
        return {"skipped": MISSING["oxigraph-server"]}
    if not nquads.exists():
        return {"skipped": f"the build wrote no {nquads.name} (kg build --formats)"}
    target = work / "floor-store"
    shutil.rmtree(target, ignore_errors=True)
    try:
        done = run_process([command, "load", "--location", str(target), "--file", str(nquads.resolve())], timeout, log,
                           f"oxigraph load --file {nquads.name}")
    finally:
        shutil.rmtree(target, ignore_errors=True)
    done.pop("stdout")
    done.pop("stderr")
    if done["returncode"]:
        raise RuntimeError(f"oxigraph load failed ({_ended(done, timeout)})")
    done["nquads_mb"] = nquads.stat().st_size / 1e6
    return done


def step_next(data: Path, out: Path, log: Path, repeats: int, timeout: float,
              views: tuple[str, ...] = GEXF_VIEWS) -> dict[str, Any]:
    """Each command of :data:`NEXT_COMMANDS` from a fresh process on the build (``repeats`` times, the median
    reported), and ``kg export gexf`` of each of ``views`` (once each; the others recorded as not run)."""
    common = ["--build", str(out), "--data", str(data)]
    result: dict[str, Any] = {"commands": {}, "exports": {}}
    for name, args in NEXT_COMMANDS:
        runs = [run_cli([*args, *common, "--format", "csv"], timeout, log) for _ in range(repeats)]
        walls = sorted(r["wall"] for r in runs)
        lines = [line for _, line in runs[-1]["stderr"]]
        answer = next((line for line in lines if line.startswith(f"{name}: ")), None)
        result["commands"][name] = {
            "command": runs[-1]["command"], "wall": statistics.median(walls), "min": walls[0], "max": walls[-1],
            "runs": len(runs), "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "returncode": max(r["returncode"] for r in runs),
            "using_build": any("using the build" in line for line in lines), "answer": answer,
            "said": next((line for line in lines if "build" in line), None)}
        say(f"{runs[-1]['command'].split(' --build')[0]}: {result['commands'][name]['wall']:.2f} s")
    for view in GEXF_VIEWS:
        if view not in views:
            result["exports"][view] = {"skipped": "not asked for in this run (--gexf-views)"}
            continue
        done = run_cli(["export", "gexf", "--view", view, *common, "--out", str(out / f"export-{view}")],
                       timeout * 3, log)
        lines = [line for _, line in done.pop("stderr")]
        done.pop("stdout")
        files = list((out / f"export-{view}").glob("*.gexf"))
        result["exports"][view] = {**done, "using_build": any("using the build" in line for line in lines),
                                   "mb": sum(f.stat().st_size for f in files) / 1e6}
        say(f"kg export gexf --view {view}: {done['wall']:.1f} s{' (failed)' if done['returncode'] else ''}")
    return result


def step_pages(out: Path, data: Path, log: Path, runs: int, queries: Path, timeout: float) -> dict[str, Any]:
    """The listings' first page with its total, on the build's store (worker ``pages``)."""
    outcome = run_worker(["pages", "--build", str(out), "--tables", str(data), "--runs", str(runs),
                          "--queries", str(queries)], lambda last: timeout, log)
    result: dict[str, Any] = {"pages": {e["name"]: e for e in outcome.events if e["event"] == "page"},
                              "peak_rss_mb": next((e.get("peak_rss_mb") for e in outcome.events
                                                   if e["event"] == "done"), None)}
    if outcome.killed or outcome.returncode:
        result["error"] = outcome.killed or f"exit code {outcome.returncode}: {outcome.stderr_tail[-300:]}"
    return result


def step_queries(backend: str, nquads: Path, log: Path, runs: int, timeout: float, slow: float,
                 load_timeout: float, url: str | None = None, fork: bool = False,
                 queries: Path | None = None, build: tuple[Path, Path] | None = None,
                 own: bool = False) -> dict[str, Any]:
    """Every saved query on one back-end; a query past ``timeout`` is killed, recorded and skipped.

    With ``fork`` the worker loads once and measures each query in a forked child that it kills
    itself; otherwise the whole worker is killed and restarted after the query.
    """
    results: dict[str, Any] = {}
    load: float | None = None
    skip: list[str] = []
    repeats = runs + 1
    while True:
        args = ["queries", "--backend", backend, "--data", str(nquads), "--runs", str(runs), "--slow", str(slow),
                "--timeout", str(timeout)]
        if skip:
            args += ["--skip", ",".join(skip)]
        if url:
            args += ["--url", url]
        if own:
            args.append("--own")
        if build:
            args += ["--build", str(build[0]), "--tables", str(build[1])]
        if fork:
            args.append("--fork")
        if queries:
            args += ["--queries", str(queries)]

        def deadline(last: dict[str, Any]) -> float:
            if last["event"] == "begin":
                return load_timeout
            if last["event"] == "warm":  # the timed runs: each took about as long as the warm-up
                return max(30.0, last["seconds"] * repeats * 2 + 30)
            # a warm-up (or the process's end) past the time-out is killed (by the worker itself with fork)
            return timeout + (20 if fork else 5)

        outcome = run_worker(args, deadline, log)
        current, warm = None, None
        for event in outcome.events:
            kind = event["event"]
            if kind == "load" and load is None:
                load = event["seconds"]
            elif kind == "start":
                current, warm = event["name"], None
            elif kind == "warm":
                warm = event["seconds"]
            elif kind in ("query", "error", "timeout"):
                if kind == "timeout":
                    say(f"{backend}: {event['name']} timed out after {timeout:g} s; killed")
                results[event["name"]] = event
                skip.append(event["name"])
                current = None
            elif kind == "done":
                return {"load_seconds": load, "queries": results, "peak_rss_mb": event.get("peak_rss_mb")}
        if current is None:  # died while loading, or without a trace: give up on this back-end
            return {"load_seconds": load, "queries": results,
                    "error": outcome.killed or f"exit code {outcome.returncode}: {outcome.stderr_tail[-300:]}"}
        results[current] = {"event": "timeout", "name": current, "timeout": timeout, "warm": warm}
        skip.append(current)
        say(f"{backend}: {current} timed out after {timeout:g} s; killed, going on with the next query")


def step_server(kind: str, out: Path, data: Path, work: Path, log: Path, runs: int, timeout: float, slow: float,
                big: bool, queries: Path | None = None) -> dict[str, Any]:
    """Start a private server (``oxigraph serve`` or Virtuoso), load the build into it with ``kg.remote.push``
    (per-source graphs, the union graph and the push manifest, by the Graph Store Protocol), run the
    queries through kg.remote.Endpoint and then by plain HTTP (the server's own time), and stop it."""
    from tests.servers import oxigraph, virtuoso

    folder = work / kind
    shutil.rmtree(folder, ignore_errors=True)
    buffers = (340_000, 250_000) if big else (100_000, 60_000)
    bulk = step_bulk_push(out, data, work, log, buffers) if kind == "virtuoso" else None
    server_context = virtuoso(folder, buffers=buffers) if kind == "virtuoso" else oxigraph(folder)
    with server_context as server:
        if kind == "virtuoso":
            # in place, as the bulk push (step_bulk_push) and the Oxigraph server's: the staged push switches its
            # graphs in with one transaction, which Virtuoso 7.2 refuses from ~10,000 firms (SR325)
            push_args = ["--url", server.sparql_url, "--gsp", server.gsp_url, "--user", server.user,
                         "--password", server.password]
        else:
            push_args = ["--url", server.sparql_url, "--gsp", server.gsp_url]
        outcome = run_worker(["push", "--build", str(out), "--tables", str(data), *push_args],
                             lambda last: 7200, log)
        pushed = next((e for e in outcome.events if e["event"] == "push"), None)
        if pushed is None:
            raise RuntimeError(f"kg.remote.push failed ({outcome.killed or f'exit code {outcome.returncode}'}): "
                               f"{outcome.stderr_tail[-400:]}")
        result = step_queries(kind, out / "kg.nq", log, runs, timeout, slow, load_timeout=300, url=server.sparql_url,
                              queries=queries)
        result["own"] = step_queries(kind, out / "kg.nq", log, runs, timeout, slow, load_timeout=300,
                                     url=server.sparql_url, queries=queries, own=True)
        result["load_seconds"] = pushed["seconds"]
        result["push"] = pushed
        if bulk is not None:
            result["bulk_push"] = bulk
        result["version"] = _virtuoso_version() if kind == "virtuoso" else _oxigraph_version()
    shutil.rmtree(folder, ignore_errors=True)
    return result


def step_bulk_push(out: Path, data: Path, work: Path, log: Path, buffers: tuple[int, int]) -> dict[str, Any]:
    """``kg push --method bulk`` (Virtuoso's bulk loader over ISQL) into a fresh Virtuoso of its own: the push
    event (seconds, peak memory), or the error; the server is stopped after it."""
    from tests.servers import virtuoso

    folder = work / "virtuoso-bulk"
    shutil.rmtree(folder, ignore_errors=True)
    try:
        with virtuoso(folder, buffers=buffers) as server:
            loads = server.folder / "loads"
            loads.mkdir()
            outcome = run_worker(["push", "--build", str(out), "--tables", str(data), "--url", server.auth_url,
                                  "--user", server.user, "--password", server.password, "--bulk-dir", str(loads),
                                  "--isql", f"127.0.0.1:{server.sql_port}"], lambda last: 7200, log)
    except RuntimeError as exc:  # the server did not start
        return {"error": str(exc)[:300]}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    pushed = next((e for e in outcome.events if e["event"] == "push"), None)
    if pushed is None:
        from benchmarks.growth import oom_reason

        return {"error": outcome.killed or f"{oom_reason(outcome.returncode or 0)}: {outcome.stderr_tail[-300:]}"}
    say(f"bulk push to Virtuoso: {pushed['seconds']:.1f} s")
    return pushed


def step_viz_all(build: Path, data: Path, log: Path, timeout: float) -> dict[str, Any]:
    """``kg viz all --build OUT`` as the user runs it: wall time and peak memory of the process."""
    done = run_cli(["viz", "all", "--build", str(build), "--data", str(data), "--out", str(build / "viz-all")],
                   timeout, log)
    done.pop("stdout")
    lines = [line for _, line in done.pop("stderr")]
    if done["returncode"]:
        from benchmarks.growth import oom_reason

        done["error"] = f"{oom_reason(done['returncode'])}: {' '.join(lines[-3:])[:300]}"
    say(f"kg viz all: {done['wall']:.1f} s, {done['peak_rss_mb']:.0f} MB" + (" (failed)" if done["returncode"] else ""))
    return done


def step_views(build: Path, data: Path, out: Path, log: Path, timeout: float) -> dict[str, Any]:
    outcome = run_worker(["views", "--build", str(build), "--tables", str(data), "--out", str(out)],
                         lambda last: timeout, log)
    views = [e for e in outcome.events if e["event"] == "view"]
    catalog = next((e["seconds"] for e in outcome.events if e["event"] == "catalog"), None)
    result: dict[str, Any] = {"catalog_seconds": catalog, "views": views,
                              "peak_rss_mb": next((e.get("peak_rss_mb") for e in outcome.events
                                                   if e["event"] == "done"), None)}
    if outcome.killed or outcome.returncode:
        result["error"] = outcome.killed or f"exit code {outcome.returncode}: {outcome.stderr_tail[-300:]}"
    return result


def step_browser(pages: list[str], log: Path, timeout: float) -> dict[str, Any]:
    outcome = run_worker(["browser", "--timeout", str(timeout), *pages], lambda last: timeout + 60, log)
    result: dict[str, Any] = {"pages": [e for e in outcome.events if e["event"] == "page"],
                              "version": next((e["version"] for e in outcome.events if e["event"] == "browser"), None)}
    if outcome.killed or outcome.returncode:
        result["error"] = outcome.killed or f"exit code {outcome.returncode}: {outcome.stderr_tail[-300:]}"
    return result


# ---------------------------------------------------------------------------- machine and versions

def _virtuoso_version() -> str | None:
    try:
        text = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True, timeout=10).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    return next((line.strip() for line in text.splitlines() if line.startswith("Version")), None)


def _oxigraph_version() -> str | None:
    from tests.servers import oxigraph_command

    command = oxigraph_command()
    try:
        return subprocess.run([command, "--version"], capture_output=True, text=True, timeout=10).stdout.strip() \
            if command else None
    except (OSError, subprocess.SubprocessError):
        return None


def _git_state() -> dict[str, str]:
    """The commit measured, and which of its files under kg/ and queries/ had local changes."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"commit": git("rev-parse", "--short", "HEAD").strip(),
            "changed": " ".join(line[3:] for line in git("status", "--porcelain", "kg", "queries").splitlines())}


def machine() -> dict[str, Any]:
    """nproc, memory, CPU model, load average and the versions that matter."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    versions = {"python": platform.python_version()}
    for package in ("pyoxigraph", "rdflib", "oxrdflib", "SPARQLWrapper", "networkx", "playwright", "pyvis"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return {"nproc": os.cpu_count(), "mem_gb": round(mem / 1024 / 1024, 1), "cpu": cpu,
            "os": platform.platform(), "load_average": os.getloadavg(), "versions": versions}


# ---------------------------------------------------------------------------- one run

def run(firms: list[int], out: Path, work: Path, quick: bool, rdflib_timeout: float, query_timeout: float,
        backends: list[str], sections: list[str], seed: int, rdflib_max_firms: int,
        previous: dict[str, Any] | None = None, slow: float | None = None,
        project: list[int] | None = None, validate_max_firms: int | None = None,
        gexf_views: tuple[str, ...] = GEXF_VIEWS) -> dict[str, Any]:
    from tests.servers import oxigraph_command

    runs = 1 if quick else 5
    slow = slow if slow is not None else 1.0 if quick else 10.0
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    installed = {"virtuoso": bool(shutil.which("virtuoso-t") and shutil.which("isql-vt")),
                 "oxigraph-server": oxigraph_command() is not None}
    command = " ".join(["python -m benchmarks.run", *sys.argv[1:]])
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results: dict[str, Any] = previous or {}
    if previous:  # a re-run of some sections: the first run stays the run the report is about
        results.setdefault("reruns", []).append({"command": command, "started": now, "sections": sections,
                                                 "backends": backends, "load_average": os.getloadavg()})
    else:
        results.update({"started": now, "machine": machine(), "command": command, "quick": quick, "runs": runs,
                        "slow": slow, "rdflib_timeout": rdflib_timeout, "query_timeout": query_timeout,
                        "seed": seed})
    results.setdefault("sizes", {})
    if project:  # sizes the growth table projects each step to (benchmarks.growth)
        results["project"] = sorted(set(results.get("project", [])) | set(project))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "worker.log"
    # the saved queries as they are now: every back-end and size runs the same text
    saved = work / "queries"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(ROOT / "queries", saved)
    results["git" if not previous else "git_rerun"] = _git_state()
    for n in firms:
        say(f"--- {n:,} firms")
        size = results["sizes"].setdefault(str(n), {})
        t_size = time.perf_counter()
        if _guarded(size, "synth", f"kg synth {n:,}", partial(step_synth, n, work, seed)):
            context = SizeRun(n, Path(size["synth"]["dir"]), work / f"out-{n}", work, log, saved, runs, slow,
                              quick, rdflib_timeout, query_timeout, rdflib_max_firms, installed, chromium,
                              validate_max_firms, gexf_views)
            run_size(context, size, sections, backends, lambda: _save(results, out))
        size["seconds"] = time.perf_counter() - t_size
        say(f"--- {n:,} firms took {size['seconds']:.0f} s")
        _save(results, out)
    if previous:
        results["reruns"][-1]["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        results["reruns"][-1]["load_average_end"] = os.getloadavg()
    else:
        results["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        results["machine"]["load_average_end"] = os.getloadavg()
    _save(results, out)
    return results


@dataclass
class SizeRun:
    """What the sections of one size need."""

    n: int
    data: Path
    built: Path
    work: Path
    log: Path
    saved: Path  # the saved queries, copied at the start
    runs: int
    slow: float
    quick: bool
    rdflib_timeout: float
    query_timeout: float
    rdflib_max_firms: int
    installed: dict[str, bool]
    chromium: str | None
    validate_max_firms: int | None = None  # past it, no build with validation
    gexf_views: tuple[str, ...] = GEXF_VIEWS  # the views kg export gexf writes in "next"


def _guarded(size: dict[str, Any], key: str, what: str, action: Callable[[], dict[str, Any]]) -> bool:
    """Run one step of a size into ``size[key]``; a failure (an error, a killed or out-of-memory process) is
    recorded there with its reason, not raised, so that the run goes on.  Whether it succeeded."""
    try:
        size[key] = action()
        return True
    except Exception as exc:  # noqa: BLE001 - any failure of a step is a result of the benchmark
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        size[key] = {"error": reason}
        say(f"{what} failed: {reason}")
        return False


MISSING = {"virtuoso": "virtuoso-t / isql-vt not installed",
           "oxigraph-server": "the oxigraph command is not installed (pip install oxigraph)"}


def _build_sections(c: SizeRun, size: dict[str, Any], sections: list[str]) -> bool:
    """Both builds (the validated one last: later steps use its store); whether there is a build to use."""
    if "build" not in sections and (c.built / "build.json").exists():
        return True
    for validate in (False, True):
        key = "build_validated" if validate else "build"
        if validate and c.validate_max_firms is not None and c.n > c.validate_max_firms:
            size[key] = {"skipped": f"not run past {c.validate_max_firms:,} firms in this run (--validate-max-firms)"}
            continue
        what = f"kg build {c.n:,}{'' if validate else ' --no-validate'}"
        say(what)
        if _guarded(size, key, what, partial(step_build, c.data, c.built, c.log, timeout=3600,
                                                     validate=validate)):
            say(f"{what}: {size[key]['wall']:.1f} s, {size[key]['peak_rss_mb']:.0f} MB"
                + (f"; {size[key]['refused']}" if size[key].get("refused") else ""))
    return (c.built / "build.json").exists() and "error" not in size.get("build", {})


def _query_sections(c: SizeRun, size: dict[str, Any], backends: list[str], save: Callable[[], None]) -> None:
    queries = size.setdefault("queries", {})
    for backend in backends:
        if backend == "rdflib" and c.n > c.rdflib_max_firms:
            queries[backend] = {"skipped": f"not run past {c.rdflib_max_firms:,} firms "
                                           "(loading alone takes many minutes and GBs)"}
            continue
        if backend in SERVERS and not c.installed[backend]:
            queries[backend] = {"skipped": MISSING[backend]}
            continue
        say(f"queries {c.n:,} on {backend}")
        timeout = c.rdflib_timeout if backend == "rdflib" else c.query_timeout
        if backend in SERVERS:
            _guarded(queries, backend, f"{backend} {c.n:,}", partial(
                step_server, backend, c.built, c.data, c.work, c.log, c.runs, timeout, c.slow, big=c.n > 20_000,
                queries=c.saved))
        else:
            _guarded(queries, backend, f"{backend} {c.n:,}", partial(
                step_queries, backend, c.built / "kg.nq", c.log, c.runs, timeout, c.slow, load_timeout=3600, fork=True,
                queries=c.saved, build=(c.built, c.data)))
        save()


def run_size(c: SizeRun, size: dict[str, Any], sections: list[str], backends: list[str],
             save: Callable[[], None]) -> None:
    """Every section asked for at one size, each recorded (or its failure) and saved as it ends."""
    if not _build_sections(c, size, sections):
        for section in sections:
            if section != "build":
                size[section] = {"skipped": "the build failed at this size"}
        return
    save()
    if "floor" in sections:
        say(f"oxigraph load {c.n:,}")
        if _guarded(size, "floor", f"oxigraph load {c.n:,}", lambda: step_floor(c.built, c.work, c.log, timeout=7200)) \
                and "wall" in size["floor"]:
            say(f"oxigraph load {c.n:,}: {size['floor']['wall']:.1f} s, {size['floor']['peak_rss_mb']:.0f} MB")
        save()
    if "next" in sections:
        say(f"next command {c.n:,}")
        _guarded(size, "next", f"next command {c.n:,}",
                 lambda: step_next(c.data, c.built, c.log, repeats=1 if c.quick else 3, timeout=600,
                                   views=c.gexf_views))
        save()
    if "queries" in sections:
        _query_sections(c, size, backends, save)
    if "pages" in sections:
        say(f"listing pages {c.n:,}")
        _guarded(size, "pages", f"listing pages {c.n:,}",
                 lambda: step_pages(c.built, c.data, c.log, c.runs, c.saved, timeout=600))
    if "views" in sections:
        say(f"views {c.n:,}")
        _guarded(size, "views", f"views {c.n:,}",
                 lambda: step_views(c.built, c.data, c.built / "views", c.log, timeout=3600))
        _guarded(size, "viz_all", f"kg viz all {c.n:,}", lambda: step_viz_all(c.built, c.data, c.log, timeout=3600))
        save()
    if "browser" in sections:
        pages = [v["html"] for v in size.get("views", {}).get("views", []) if v.get("html")]
        if not c.chromium:
            size["browser"] = {"skipped": "chromium not installed"}
        elif pages:
            say(f"browser {c.n:,}")
            _guarded(size, "browser", f"browser {c.n:,}", lambda: step_browser(pages, c.log, timeout=120))


def _save(results: dict[str, Any], out: Path) -> None:
    from benchmarks.report import render
    from kg.files import atomic_write

    with atomic_write(out.with_suffix(".json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1, default=str)
    with atomic_write(out, "w", encoding="utf-8") as handle:
        handle.write(render(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--firms", default="1000,10000,100000",
                        help="comma-separated sizes (default: %(default)s; 1000000 where memory allows)")
    parser.add_argument("--quick", action="store_true", help="one timed run a query instead of five (smoke test)")
    parser.add_argument("--rdflib-timeout", type=float, default=60.0,
                        help="seconds after which a query on rdflib's Memory store is killed (default: %(default)s)")
    parser.add_argument("--query-timeout", type=float, default=60.0,
                        help="the same for the other back-ends (default: %(default)s)")
    parser.add_argument("--rdflib-max-firms", type=int, default=100_000,
                        help="largest N run on rdflib's Memory store (default: %(default)s)")
    parser.add_argument("--validate-max-firms", type=int, default=None,
                        help="largest N also built with validation (default: every size)")
    parser.add_argument("--gexf-views", default=",".join(GEXF_VIEWS),
                        help="the views kg export gexf writes after the build (default: %(default)s)")
    parser.add_argument("--backends", default=",".join(QUERY_BACKENDS), help="default: %(default)s")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="default: %(default)s")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown results (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work folder (default: %(default)s)")
    parser.add_argument("--merge", action="store_true",
                        help="keep the sections of the existing results (OUT.json) that this run does not measure")
    parser.add_argument("--slow", type=float, default=None,
                        help="a query whose warm-up takes longer is timed once (default: 10 s, 1 s with --quick)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--project", default="",
                        help="comma-separated sizes not run that the growth table projects each step to, from the "
                             "largest size measured (e.g. 1000000); sizes that fail are projected too")
    args = parser.parse_args(argv)
    firms = [int(x.replace("_", "")) for x in args.firms.split(",") if x.strip()]
    backends = [b for b in args.backends.split(",") if b]
    sections = [s for s in args.sections.split(",") if s]
    views = tuple(v for v in args.gexf_views.split(",") if v)
    unknown = [b for b in backends if b not in QUERY_BACKENDS] + [s for s in sections if s not in SECTIONS] + \
        [v for v in views if v not in GEXF_VIEWS]
    if unknown:
        parser.error(f"unknown back-end, section or view: {', '.join(unknown)}")
    previous = None
    if args.merge and args.out.with_suffix(".json").exists():
        previous = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
    run(firms, args.out, args.work, args.quick, args.rdflib_timeout, args.query_timeout, backends, sections,
        args.seed, args.rdflib_max_firms, previous, args.slow,
        [int(x.replace("_", "")) for x in args.project.split(",") if x.strip()], args.validate_max_firms, views)
    say(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
