"""The benchmark's results (the JSON of :mod:`benchmarks.run`) as a Markdown report.

    .venv/bin/python -m benchmarks.report       # re-render RESULTS.md from RESULTS.json and NOTES.md

The closing notes (what a miss means, with its profile) are written by people in
``benchmarks/NOTES.md`` and appended to the report.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.growth import table as growth_table

HERE = Path(__file__).resolve().parent
NOTES = HERE / "NOTES.md"

BACKEND_TITLES = {"disk": "on-disk store (kg query)", "embedded": "in-memory store", "pyoxigraph": "pyoxigraph",
                  "oxrdflib": "oxrdflib", "rdflib": "rdflib Memory", "oxigraph-server": "Oxigraph server",
                  "virtuoso": "Virtuoso"}
SERVERS = ("oxigraph-server", "virtuoso")
#: Targets that hold at every size: the next command from a fresh process (issue 12), a server's time against its own.
TARGETS = {"next_s": 2.0, "server_ratio": 2.0}
#: The targets of issue 18 ("national scale, for real") at the sizes it sets them for: the build against
#: ``oxigraph load`` of its own N-Quads (times) and its peak memory, every saved query and a listing's first page
#: (seconds), the summaries, each view's GEXF and ``kg viz all``.
TARGET_SIZES: dict[int, dict[str, float]] = {
    100_000: {"build_x": 1.3, "build_gb": 2.0, "validated_x": 1.5, "query_s": 1.0, "summary_s": 0.1,
              "gexf_s": 15.0, "viz_s": 60.0},
    1_000_000: {"build_x": 1.3, "build_gb": 12.0, "validated_x": 1.5, "query_s": 2.0, "summary_s": 0.1}}
TARGET_FIRMS = 100_000
#: The saved queries that summarise (a few rows a Land or a place of control).
SUMMARIES = ("control-summary", "control-by-land", "control-by-subsector", "decision-centres")
#: The sizes at which every saved query must give the same rows on every engine.
SAME_ROWS_FIRMS = (10_000, 100_000)


def seconds(value: float | None) -> str:
    """A duration for people: ms below a second, s above."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.3g} ms"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "–"
    return f"{a / b:.2f}×" if a / b < 100 else f"{a / b:.0f}×"


def _query_cell(entry: dict[str, Any] | None) -> tuple[str, float | None]:
    """The text of a query's cell and its median (None when there is none)."""
    if not entry:
        return "–", None
    kind = entry.get("event")
    if kind == "query":
        note = "" if entry.get("runs", 1) > 1 else " (1 run)"
        return seconds(entry["median"]) + note, entry["median"]
    if kind == "timeout":
        warm = entry.get("warm")
        return (f"> {entry['timeout']:g} s (killed)" if warm is None
                else f"{seconds(warm)} warm-up; runs killed"), None
    if kind == "error":
        return "error", None
    return "–", None


def _machine(results: dict[str, Any]) -> list[str]:
    m = results.get("machine", {})
    v = m.get("versions", {})
    load = m.get("load_average")
    load_end = m.get("load_average_end")
    lines = [
        f"- Run: {results.get('started', '?')} to {results.get('finished', '(unfinished)')}; command "
        f"`{results.get('command', '')}`" + (" (quick: one timed run a query)" if results.get("quick") else
                                             f" (median of {results.get('runs')} runs after a warm-up)"),
        *[f"- Re-run {r.get('started')} to {r.get('finished', '(unfinished)')}: `{r['command']}` (replaces "
          + " in ".join(part for part in (", ".join(r.get("backends", [])), ", ".join(r.get("sections", []))) if part)
          + ")"
          + (f"; {r['note']}" if r.get("note") else "") for r in results.get("reruns", [])],
        f"- Code: commit {results.get('git', {}).get('commit', '?')}"
        + (f", with local changes to {results['git']['changed']}" if results.get("git", {}).get("changed") else "")
        + (f" ({results['git']['note']})" if results.get("git", {}).get("note") else "")
        + "; the saved queries were copied at the start, so every back-end ran the same text",
        f"- Machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('mem_gb')} GiB RAM, {m.get('os')}",
        f"- Load average at start {_load(load)}, at end {_load(load_end)} (the machine was shared with other work; "
        "wall times include that contention, CPU times do not)",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
    ]
    for size in results.get("sizes", {}).values():
        vv = size.get("queries", {}).get("virtuoso", {}).get("version")
        ov = size.get("queries", {}).get("oxigraph-server", {}).get("version")
        bv = size.get("browser", {}).get("version")
        if vv or bv or ov:
            lines.append(f"- Servers and browser: {vv or 'Virtuoso not run'}; {ov or 'oxigraph server not run'}; "
                         f"Chromium {bv or 'not run'}")
            break
    took = [f"{int(n):,} firms {seconds(size['seconds'])}" for n, size in
            sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])) if size.get("seconds")]
    if took:
        lines.append("- Time per size (every section): " + ", ".join(took))
    lines.append(f"- Time-outs: rdflib Memory store {results.get('rdflib_timeout', '?'):g} s a query, other "
                 f"back-ends {results.get('query_timeout', '?'):g} s; a query whose warm-up took over "
                 f"{results.get('slow', '?'):g} s is timed once (the warm-up)")
    return lines


def _load(load) -> str:
    return " / ".join(f"{x:.1f}" for x in load) if load else "?"


def _store_step(build: dict[str, Any]) -> str:
    """The seconds the build compacted its store in, or (a run before compaction) wrote it in."""
    if build.get("compact_seconds") is None and build.get("store_seconds") is not None:
        return f"({seconds(build['store_seconds'])} written)"
    return seconds(build.get("compact_seconds"))


def _build_table(results: dict[str, Any]) -> list[str]:
    # a run before the build compacted its store recorded the store's writing instead: said as such
    lines = ["| firms | table rows | triples | `--no-validate`: wall | CPU | peak memory | "
             "store compacted (written) in | with validation: wall | CPU | peak memory | validation | "
             "progress lines (longest silence) | violations |", "|" + "---:|" * 13]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        b, v = size.get("build"), size.get("build_validated") or {}
        if not b or "wall" not in b:
            continue
        triples = b.get("summary", {}).get("triples")
        def gb(x):
            return (f"{x['peak_rss_mb'] / 1024:.2f} GB" if x.get("peak_rss_mb") else "–")
        lines.append(
            f"| {int(n):,} | {size['synth']['rows']:,} | {triples:,} | {seconds(b['wall'])} | {seconds(b['cpu'])} | "
            f"{gb(b)} | {_store_step(b)} | {seconds(v.get('wall'))} | {seconds(v.get('cpu'))} | "
            f"{gb(v)} | {seconds(v.get('validation_seconds'))} | {v.get('progress_lines', '–')} "
            f"({seconds(v.get('longest_silence'))}) | {v.get('violations', '–')} |"
            if triples is not None else f"| {int(n):,} | {size['synth']['rows']:,} | ? |||||||||||")
    return lines


def _next_table(results: dict[str, Any]) -> list[str]:
    lines = ["| firms | command | wall, fresh process (median) | min–max | runs | peak memory | said |",
             "|---:|---|---:|---:|---:|---:|---|"]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        nx = size.get("next")
        if not nx:
            continue
        for c in nx.get("commands", {}).values():
            said = ("using the build" if c.get("using_build") else f"NOT using the build: {c.get('said')}") + \
                (f"; `{c['answer']}`" if c.get("answer") else "") + \
                (f"; exit code {c['returncode']}" if c.get("returncode") else "")
            lines.append(f"| {int(n):,} | `{c['command'].split(' --build')[0]}` | {seconds(c['wall'])} | "
                         f"{seconds(c['min'])}–{seconds(c['max'])} | {c['runs']} | {c['peak_rss_mb']:.0f} MB | "
                         f"{said} |")
        for view, e in nx.get("exports", {}).items():
            if e.get("skipped"):
                lines.append(f"| {int(n):,} | `kg export gexf --view {view}` | – | – | 0 | – | {e['skipped']} |")
                continue
            said = ("using the build" if e.get("using_build") else "NOT using the build") + \
                (f"; exit code {e['returncode']}" if e.get("returncode") else "") + f"; {e.get('mb', 0):.1f} MB"
            lines.append(f"| {int(n):,} | `kg export gexf --view {view}` | {seconds(e['wall'])} | – | 1 | "
                         f"{e['peak_rss_mb']:.0f} MB | {said} |")
    return lines


def _answers(queries: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """Each back-end's answered entry for a query (servers' own time as ``<server> own``)."""
    out = {}
    for backend in BACKEND_TITLES:
        b = queries.get(backend, {})
        e = b.get("queries", {}).get(name, {})
        if e.get("event") == "query":
            out[backend] = e
        own = b.get("own", {}).get("queries", {}).get(name, {})
        if own.get("event") == "query":
            out[f"{backend} own"] = own
    return out


def agreement(queries: dict[str, Any], name: str) -> tuple[bool | None, str]:
    """Whether every back-end gave the same rows: by row digest where it has one, else by row count."""
    answers = _answers(queries, name)
    digests = {k: e["digest"] for k, e in answers.items() if e.get("digest")}
    counts = {k: e["rows"] for k, e in answers.items()}
    if len(answers) < 2:
        return None, "–"
    reference = next((k for k in ("disk", "embedded") if k in digests), next(iter(digests), None))
    differ = [k for k, d in digests.items() if reference and d != digests[reference]]
    base_rows = counts.get(reference) if reference else next(iter(counts.values()))
    differ += [k for k, c in counts.items() if k not in digests and c != base_rows]
    def title(k):
        return (BACKEND_TITLES.get(k.split(" ")[0], k) + (" (own)" if k.endswith(" own") else ""))
    if differ:
        return False, "no: " + ", ".join(f"{title(k)} ({counts[k]:,} rows)" for k in differ) + \
            (f" differ from {title(reference)} ({counts[reference]:,} rows)" if reference else "")
    more = f", {len(counts) - len(digests)} counts" if len(counts) > len(digests) else ""
    return True, f"yes ({len(digests)} digests{more})"


def _query_table(n: str, queries: dict[str, Any]) -> list[str]:
    names = sorted({q for b in queries.values() for q in b.get("queries", {})})
    shown = [b for b in BACKEND_TITLES if b in queries]
    head = ["query", "rows"] + [BACKEND_TITLES[b] for b in shown] + ["same rows?"]
    lines = [f"### {int(n):,} firms", "",
             "Median latency a query; in brackets the ratio to pyoxigraph (the floor, on the in-memory store: the "
             "on-disk store's ratio is what reading RocksDB costs over memory). \"Same rows?\" compares "
             "the row digests (`kg.results.row_digest`: the rows by content) of the on-disk and in-memory "
             "stores and both servers (through kg and by plain HTTP), and the row counts of the back-ends that "
             "give no terms (pyoxigraph, oxrdflib, rdflib).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * len(shown) + "---|"]
    floor = queries.get("pyoxigraph", {}).get("queries", {})
    for name in names:
        rows = next((b["queries"][name].get("rows") for b in queries.values()
                     if b.get("queries", {}).get(name, {}).get("event") == "query"), None)
        cells = [f"`{name}`", f"{rows:,}" if rows is not None else "–"]
        for backend in shown:
            text, median = _query_cell(queries[backend].get("queries", {}).get(name))
            if median is not None and backend != "pyoxigraph":
                text += f" ({ratio(median, _query_cell(floor.get(name))[1])})"
            if queries[backend].get("skipped"):
                text = "skipped"
            cells.append(text)
        cells.append(agreement(queries, name)[1])
        lines.append("| " + " | ".join(cells) + " |")
    loads = []
    for backend in shown:
        b = queries[backend]
        if b.get("skipped"):
            loads.append(f"{BACKEND_TITLES[backend]}: skipped ({b['skipped']})")
        elif b.get("load_seconds") is not None:
            mem = f", peak {b['peak_rss_mb'] / 1024:.2f} GB" if b.get("peak_rss_mb") else ""
            how = ("kg.remote.push, " + f"{b['push']['triples']:,} triples in {b['push']['graphs']} graphs and "
                   f"{b['push']['union_triples']:,} in the union graph, ") if b.get("push") else ""
            what = {"disk": "opening the build's store", "embedded": "reading kg.nq"}.get(backend, "loading")
            loads.append(f"{BACKEND_TITLES[backend]} ({how or what + ' '}{seconds(b['load_seconds'])}{mem})")
        if b.get("error"):
            loads.append(f"{BACKEND_TITLES[backend]} failed: {b['error'][:200]}")
    lines += ["", "Loading: " + "; ".join(loads) + "."]
    differ = [name for name in names if agreement(queries, name)[0] is False]
    lines += ["", (f"Rows differ between back-ends for {len(differ)} of {len(names)} queries: "
                   + ", ".join(f"`{d}`" for d in differ) + ".") if differ else
              "Every back-end that answered gave the same rows for each query."]
    errors = [f"`{q}` on {BACKEND_TITLES[bk]}{' (own)' if own else ''}: {e['error'][:200]}"
              for bk, b in queries.items() for own, part in ((False, b), (True, b.get("own", {})))
              for q, e in part.get("queries", {}).items() if e.get("event") == "error"]
    if errors:
        lines += ["", "Errors: " + "; ".join(errors) + "."]
    servers = [s for s in SERVERS if queries.get(s, {}).get("queries")]
    if servers:
        lines += ["", "On the servers: kg (`kg.query.run` on `kg.remote.Endpoint`: ids checked, SPARQLWrapper, "
                  "rows converted) against the server's own time (the same query text, with `FROM <union>`, "
                  "posted by plain HTTP and the answer read).", "",
                  "| query | " + " | ".join(f"{BACKEND_TITLES[s]}: kg | own | kg/own" for s in servers) + " |",
                  "|---|" + "---:|---:|---:|" * len(servers)]
        for name in names:
            cells = [f"`{name}`"]
            for server in servers:
                k = _query_cell(queries[server].get("queries", {}).get(name))
                o = _query_cell(queries[server].get("own", {}).get("queries", {}).get(name))
                cells += [k[0], o[0], ratio(k[1], o[1])]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _pages_table(results: dict[str, Any]) -> list[str]:
    lines = ["| firms | listing | page | rows | total | page time (median) | first run | whole listing (on-disk) |",
             "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        disk = size.get("queries", {}).get("disk", {}).get("queries", {})
        for name, p in size.get("pages", {}).get("pages", {}).items():
            whole = _query_cell(disk.get(name))[0]
            if not p.get("available"):
                lines.append(f"| {int(n):,} | `{name}` | not available ({p.get('why', '?')}) "
                             f"| – | – | – | – | {whole} |")
            elif p.get("error"):
                lines.append(f"| {int(n):,} | `{name}` | error: {p['error'][:150]} | – | – | – | – | {whole} |")
            else:
                total = f"{p['total']:,}" if isinstance(p.get("total"), int) else "not given"
                lines.append(f"| {int(n):,} | `{name}` | {p['limit']} | {p['rows']:,} | {total} "
                             f"| {seconds(p['median'])} | {seconds(p['warm'])} | {whole} |")
    return lines


def _views_table(n: str, size: dict[str, Any]) -> list[str]:
    views = size.get("views", {})
    pages = {p["page"]: p for p in size.get("browser", {}).get("pages", [])}
    lines = [f"### {int(n):,} firms", "",
             f"Reading the store for the views (Catalog): {seconds(views.get('catalog_seconds'))}.", "",
             "| view | nodes | edges | networkx view | GEXF | GraphML | HTML page | drawn nodes | first paint | "
             "network drawn |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for v in views.get("views", []):
        if v.get("error"):
            lines.append(f"| {v['name']} | error: {v['error'][:150]} |||||||||")
            continue
        p = pages.get(v["name"], {})
        drawn = p.get("drawn", {})
        drawn_text = (f"{drawn.get('nodes', 0):,}" + (" (aggregated)" if p.get("aggregated") else "")) if drawn else "–"
        fp = p.get("first_paint_ms")
        lines.append(
            f"| {v['name']} | {v['nodes']:,} | {v['edges']:,} | {seconds(v['view_seconds'])} | "
            f"{seconds(v['gexf_seconds'])} ({v['gexf_mb']:.1f} MB) | {seconds(v['graphml_seconds'])} "
            f"({v['graphml_mb']:.1f} MB) | {seconds(v['html_seconds'])} ({v['html_mb']:.1f} MB) | {drawn_text} | "
            f"{seconds(fp / 1000) if fp is not None else '–'} | "
            f"{seconds(p['drawn_ms'] / 1000) if p.get('drawn_ms') is not None else p.get('error', '–')[:80]} |")
    if size.get("browser", {}).get("skipped"):
        lines.append(f"\nBrowser: skipped ({size['browser']['skipped']}).")
    if views.get("error"):
        lines.append(f"\nViews failed: {views['error'][:300]}")
    return lines


def _met(ok: bool | None) -> str:
    return "yes" if ok else "no" if ok is not None else "–"


def headline(results: dict[str, Any]) -> list[str]:
    """The issue's table (step | measured | target | met?) at each size the targets are set for that was run
    (:data:`TARGET_SIZES`), else at the largest size run, against the targets of 100,000 firms."""
    sizes = results.get("sizes", {})
    if not sizes:
        return []
    m = results.get("machine", {})
    lines = [f"Load average at the run's start {_load(m.get('load_average'))}, at its end "
             f"{_load(m.get('load_average_end'))} (1, 5, 15 min) on {m.get('nproc', '?')} cores."]
    run = [n for n in TARGET_SIZES if str(n) in sizes] or [max(map(int, sizes))]
    for n in run:
        limits = TARGET_SIZES.get(n, TARGET_SIZES[TARGET_FIRMS])
        said = "" if n in TARGET_SIZES else f" (against the targets of {TARGET_FIRMS:,} firms)"
        lines += ["", f"### {n:,} firms{said}", ""] + _headline_at(results, str(n), limits)
    return lines


def _headline_at(results: dict[str, Any], n: str, limits: dict[str, float]) -> list[str]:
    """The targets' table at one size, ``limits`` the targets there (:data:`TARGET_SIZES`)."""
    sizes = results["sizes"]
    size = sizes[n]
    lines = ["| step | measured | target | met? |", "|---|---|---|---|"]

    def row(step: str, measured: str, target: str, ok: bool | None) -> None:
        lines.append(f"| {step} | {measured} | {target} | {_met(ok)} |")

    floor = size.get("floor") or {}
    floor_s = floor.get("wall")
    floor_said = (f"`oxigraph load` of its N-Quads ({floor.get('nquads_mb', 0) / 1000:.1f} GB) {seconds(floor_s)}, "
                  f"{floor['peak_rss_mb'] / 1024:.2f} GB" if floor_s else
                  f"`oxigraph load` not measured ({floor.get('skipped') or floor.get('error') or 'not run'})")
    b, v = size.get("build") or {}, size.get("build_validated") or {}
    for step, build, times, gb_limit in (("`kg build --no-validate`", b, limits["build_x"], limits["build_gb"]),
                                        ("`kg build` with validation", v, limits["validated_x"], None)):
        target = f"≤ {times:g}× `oxigraph load`" + (f", ≤ {gb_limit:g} GB" if gb_limit else "")
        if build.get("wall") is None:
            why = build.get("skipped") or build.get("error", "").split(":\n")[0].removeprefix("RuntimeError: ")
            row(step, "not measured" + (f" ({why})" if why else ""), target, None)
            continue
        gb = build["peak_rss_mb"] / 1024
        extra = (f"; validation {seconds(build.get('validation_seconds'))}, {build.get('violations', '?')} "
                 f"violations, {build.get('progress_lines', 0)} progress lines" if build is v else "")
        row(step, f"{seconds(build['wall'])} wall ({seconds(build['cpu'])} CPU), {gb:.2f} GB peak: "
                  + (f"{ratio(build['wall'], floor_s)} " if floor_s else "") + f"{floor_said}{extra}", target,
            None if not floor_s else build["wall"] <= times * floor_s and (gb_limit is None or gb <= gb_limit))
    disk = size.get("queries", {}).get("disk", {}).get("queries", {})
    pages = [p for p in size.get("pages", {}).get("pages", {}).values() if p.get("median") is not None]
    # a listing by its first page, as the target counts it; every other query by its whole answer
    timed = {q: _query_cell(e) for q, e in disk.items()} | \
        {p["name"]: (f"{seconds(p['median'])} (first page)", p["median"]) for p in pages if p.get("name") in disk}
    if timed:
        fast = [q for q, c in timed.items() if c[1] is not None and c[1] <= limits["query_s"]]
        slow = sorted(((c[1] if c[1] is not None else float("inf"), q, c[0]) for q, c in timed.items()
                       if q not in fast), reverse=True)
        row("every saved query, on the build's store (median; a listing: its first page)",
            f"{len(fast)} of {len(timed)} within {seconds(limits['query_s'])}"
            + ("; over it: " + ", ".join(f"`{q}` {text}" for _, q, text in slow) if slow else ""),
            f"≤ {seconds(limits['query_s'])}", len(fast) == len(timed))
        summaries = {q: timed.get(q, ("–", None)) for q in SUMMARIES}
        row("the summaries (" + ", ".join(f"`{q}`" for q in SUMMARIES) + ")",
            " / ".join(text for text, _ in summaries.values()), f"≤ {seconds(limits['summary_s'])}",
            all(t is not None and t <= limits["summary_s"] for _, t in summaries.values()))
    else:
        row("every saved query, on the build's store", "not measured", f"≤ {seconds(limits['query_s'])}", None)
    if pages:
        slowest = max(pages, key=lambda p: p["median"])
        with_total = all(isinstance(p.get("total"), int) for p in pages)
        row("the first page of every listing (100 rows, with its total)",
            f"{len(pages)} listings, slowest `{slowest['name']}` {seconds(slowest['median'])}"
            + ("" if with_total else " (not every page gave its total)"),
            f"≤ {seconds(limits['query_s'])}, with the total",
            with_total and slowest["median"] <= limits["query_s"])
    else:
        row("the first page of every listing", "not measured", f"≤ {seconds(limits['query_s'])}", None)
    commands = size.get("next", {}).get("commands", {})
    if commands:
        worst = max(c["wall"] for c in commands.values())
        using = all(c.get("using_build") and not c.get("returncode") for c in commands.values())
        row("next command on the built graph",
            "; ".join(f"`{k}` {seconds(c['wall'])}" for k, c in commands.items()) +
            (" (fresh process each, \"using the build\")" if using else " (NOT all used the build)"),
            f"≤ {TARGETS['next_s']:g} s from a fresh process to the first answer", worst <= TARGETS["next_s"] and using)
    if "gexf_s" in limits:
        exports = {view: e for view, e in size.get("next", {}).get("exports", {}).items() if not e.get("skipped")}
        row("`kg export gexf`, each view",
            " / ".join(f"{view} {seconds(e['wall'])}" + (" (failed)" if e.get("returncode") else "")
                       for view, e in exports.items()) or "not measured",
            f"≤ {limits['gexf_s']:g} s each",
            all(e["wall"] <= limits["gexf_s"] and not e.get("returncode") for e in exports.values()) if exports
            else None)
        viz = size.get("viz_all") or {}
        row("`kg viz all`", f"{seconds(viz['wall'])}, {viz['peak_rss_mb'] / 1024:.2f} GB" if viz.get("wall") else
            "not measured", f"≤ {limits['viz_s']:g} s", viz["wall"] <= limits["viz_s"] and not viz.get("returncode")
            if viz.get("wall") else None)
    parts, oks = [], []
    for server in SERVERS:
        q = size.get("queries", {}).get(server, {})
        if q.get("skipped") or q.get("error") or not q.get("queries"):
            parts.append(f"{BACKEND_TITLES[server]}: {q.get('skipped') or (q.get('error') or 'not run')[:80]}")
            continue
        if not q.get("own", {}).get("queries"):
            parts.append(f"{BACKEND_TITLES[server]}: the server's own time not measured")
            oks.append(None)
            continue
        ratios = {}
        for name, e in q["queries"].items():
            k, o = _query_cell(e)[1], _query_cell(q.get("own", {}).get("queries", {}).get(name))[1]
            if k is not None and o is not None and o > 0:
                ratios[name] = k / o
        over = sorted((r, name) for name, r in ratios.items() if r > TARGETS["server_ratio"])
        worst = max(ratios.items(), key=lambda kv: kv[1]) if ratios else None
        parts.append(f"{BACKEND_TITLES[server]}: {len(ratios) - len(over)} of {len(q['queries'])} within "
                     f"{TARGETS['server_ratio']:g}×" + (f", worst `{worst[0]}` {worst[1]:.2f}×" if worst else ""))
        oks.append(not over and len(ratios) == len(q["queries"]))
    row("saved queries on a server (kg / the server's own time)", "; ".join(parts),
        f"within {TARGETS['server_ratio']:g}× of the server's own time on that data",
        None if not oks or None in oks else all(oks))
    parts, oks = [], []
    for firms in SAME_ROWS_FIRMS:
        q = sizes.get(str(firms), {}).get("queries", {})
        have = [k for k in ("disk", "embedded", *SERVERS) if q.get(k, {}).get("queries")]
        if not q or not all(s in have for s in SERVERS):
            parts.append(f"{firms:,}: not run on " + (", ".join(BACKEND_TITLES[s] for s in SERVERS if s not in have)
                                                      or "any back-end"))
            oks.append(None)
            continue
        names = sorted({name for k in have for name in q[k]["queries"]})
        verdicts = {name: agreement(q, name)[0] for name in names}
        differ = [name for name, ok in verdicts.items() if ok is False]
        parts.append(f"{firms:,}: " + (f"all {len(names)} queries the same digests" if not differ else
                                        f"{len(differ)} differ ({', '.join(differ)})"))
        oks.append(not differ and len(verdicts) > 0)
    row("same rows (by content) on embedded, Oxigraph server and Virtuoso", "; ".join(parts),
        "every saved query, at 10,000 and 100,000 firms",
        None if None in oks else all(oks))
    return lines


def render(results: dict[str, Any], notes: Path | None = NOTES) -> str:
    """The whole report; ``notes`` (Markdown) is appended as the closing notes."""
    out = ["# Scale benchmark: results", "",
           "Written by `python -m benchmarks.run` (see `benchmarks/README.md`) from `RESULTS.json`; the closing "
           "notes come from `benchmarks/NOTES.md`. Re-render with `python -m benchmarks.report`.", ""]
    out += ["## Targets", ""] + headline(results) + ["", "## The run", ""] + _machine(results)
    growth = growth_table(results)
    if growth:
        out += ["", "## Growth", ""] + growth
    out += ["", "## Build", "", "`kg build` as the user runs it, in its own process (the real command line): read "
            "and check the tables, make the triples, write Turtle, TriG, N-Triples, N-Quads, JSON-LD, the on-disk "
            "store and `build.json`; without and with the SHACL validation (its seconds and progress lines are "
            "read from the command's own output). Peak memory is the process's (`wait4`).", ""] + _build_table(results)
    out += ["", "## The next command", "", "Each command started afresh on the build (`--build OUT --data DATA`), "
            "timed from the start of the process until it has written its answer and ended.", ""] + _next_table(results)
    out += ["", "## Saved queries", ""]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        if size.get("queries") and "skipped" not in size["queries"]:  # skipped: the build failed at this size
            out += _query_table(n, size["queries"]) + [""]
    if any(size.get("pages") for size in results.get("sizes", {}).values()):
        out += ["## Listings: a page with its total", "",
                "`kg.query.run(query, store, limit=100, offset=0)` on the build's store (what `kg query NAME "
                "--limit 100` does): the page's rows and the listing's total.", ""] + _pages_table(results) + [""]
    out += ["## Views, graph files and pages", ""]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        if size.get("views") and "skipped" not in size["views"]:
            out += _views_table(n, size) + [""]
    if notes is not None and notes.exists():
        out += ["", notes.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    from kg.files import atomic_write

    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description="Re-render the report.")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="default: %(default)s (JSON beside it)")
    parser.add_argument("--notes", type=Path, default=NOTES, help="default: %(default)s")
    args = parser.parse_args(argv)
    results = json.loads(args.out.with_suffix(".json").read_text(encoding="utf-8"))
    with atomic_write(args.out, "w", encoding="utf-8") as handle:
        handle.write(render(results, args.notes))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
