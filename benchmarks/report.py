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

HERE = Path(__file__).resolve().parent
NOTES = HERE / "NOTES.md"

BACKEND_TITLES = {"embedded": "embedded (kg.query)", "pyoxigraph": "pyoxigraph", "oxrdflib": "oxrdflib",
                  "rdflib": "rdflib Memory", "virtuoso": "Virtuoso"}
TARGETS = {"build_s": 30.0, "build_gb": 3.0, "query_ratio": 1.5, "query_s": 1.0, "first_paint_s": 3.0,
           "gexf_s": 15.0}
TARGET_FIRMS = 100_000


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
          f"{', '.join(r.get('backends', []))} in {', '.join(r.get('sections', []))})" for r in results.get("reruns", [])],
        f"- Code: commit {results.get('git', {}).get('commit', '?')}"
        + (f", with local changes to {results['git']['changed']}" if results.get("git", {}).get("changed") else "")
        + "; the saved queries were copied at the start, so every back-end ran the same text",
        f"- Machine: {m.get('nproc')} cores ({m.get('cpu')}), {m.get('mem_gb')} GiB RAM, {m.get('os')}",
        f"- Load average at start {_load(load)}, at end {_load(load_end)} (the machine was shared with other work; "
        "wall times include that contention, CPU times do not)",
        "- Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()),
    ]
    for size in results.get("sizes", {}).values():
        vv = size.get("queries", {}).get("virtuoso", {}).get("version")
        bv = size.get("browser", {}).get("version")
        if vv or bv:
            lines.append(f"- Servers and browser: {vv or 'Virtuoso not run'}; Chromium {bv or 'not run'}")
            break
    lines.append(f"- Time-outs: rdflib Memory store {results.get('rdflib_timeout', '?'):g} s a query, other "
                 f"back-ends {results.get('query_timeout', '?'):g} s; a query whose warm-up took over "
                 f"{results.get('slow', '?'):g} s is timed once (the warm-up)")
    return lines


def _load(load) -> str:
    return " / ".join(f"{x:.1f}" for x in load) if load else "?"


def _build_table(results: dict[str, Any]) -> list[str]:
    lines = ["| firms | table rows | triples | triples/firm | build wall | CPU | peak memory | read tables | "
             "triples + store | write 5 files | summary | files (MB) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        b = size.get("build")
        if not b:
            continue
        st = b.get("stages", {})
        triples = b["summary"]["triples"]
        files = ", ".join(f"{k} {v / 1e6:.0f}" for k, v in b.get("files", {}).items())
        lines.append(f"| {int(n):,} | {size['synth']['rows']:,} | {triples:,} | {triples / int(n):.1f} | "
                     f"{seconds(b['wall'])} | {seconds(b['cpu'])} | {b['peak_rss_mb'] / 1024:.2f} GB | "
                     f"{seconds(st.get('read'))} | {seconds(st.get('triples+load'))} | "
                     f"{seconds(st.get('write files'))} | {seconds(st.get('summary'))} | {files} |")
    return lines


def _query_table(n: str, queries: dict[str, Any]) -> list[str]:
    names = sorted({q for b in queries.values() for q in b.get("queries", {})})
    head = ["query", "rows"] + [BACKEND_TITLES[b] for b in BACKEND_TITLES if b in queries]
    lines = [f"### {int(n):,} firms", "",
             "Median latency a query; in brackets the ratio to pyoxigraph (the floor); the last column is how "
             "many times faster the embedded store is than rdflib's Memory store.", "",
             "| " + " | ".join(head + ["embedded vs rdflib Memory"]) + " |",
             "|" + "---|" * 2 + "---:|" * (len(head) - 2) + "---:|"]
    floor = queries.get("pyoxigraph", {}).get("queries", {})
    for name in names:
        rows = next((b["queries"][name].get("rows") for b in queries.values()
                     if b.get("queries", {}).get(name, {}).get("event") == "query"), None)
        cells = [f"`{name}`", f"{rows:,}" if rows is not None else "–"]
        medians = {}
        for backend in BACKEND_TITLES:
            if backend not in queries:
                continue
            text, median = _query_cell(queries[backend].get("queries", {}).get(name))
            medians[backend] = median
            if median is not None and backend != "pyoxigraph":
                text += f" ({ratio(median, _query_cell(floor.get(name))[1])})"
            if backend in queries and queries[backend].get("skipped"):
                text = "skipped"
            cells.append(text)
        rdflib = medians.get("rdflib")
        embedded = medians.get("embedded")
        if rdflib is not None and embedded:
            cells.append(f"{rdflib / embedded:.0f}×" if rdflib / embedded >= 10 else f"{rdflib / embedded:.1f}×")
        elif queries.get("rdflib", {}).get("queries", {}).get(name, {}).get("event") == "timeout" and embedded:
            cells.append(f"> {queries['rdflib']['queries'][name]['timeout'] / embedded:.0f}×")
        else:
            cells.append("–")
        lines.append("| " + " | ".join(cells) + " |")
    loads = []
    for backend in BACKEND_TITLES:
        b = queries.get(backend)
        if not b:
            continue
        if b.get("skipped"):
            loads.append(f"{BACKEND_TITLES[backend]}: skipped ({b['skipped']})")
        elif b.get("load_seconds") is not None:
            mem = f", peak {b['peak_rss_mb'] / 1024:.2f} GB" if b.get("peak_rss_mb") else ""
            loads.append(f"{BACKEND_TITLES[backend]} {seconds(b['load_seconds'])}{mem}")
        if b.get("error"):
            loads.append(f"{BACKEND_TITLES[backend]} failed: {b['error'][:200]}")
    lines += ["", "Loading the N-Quads file: " + "; ".join(loads) + "."]
    differ = []
    for name in names:
        counts = {BACKEND_TITLES[bk]: b["queries"][name]["rows"] for bk, b in queries.items()
                  if b.get("queries", {}).get(name, {}).get("event") == "query"}
        if len(set(counts.values())) > 1:
            differ.append(f"`{name}` (" + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ")")
    lines += ["", ("Rows differ between back-ends for: " + "; ".join(differ) + ".") if differ else
              "Every back-end that answered returned the same number of rows for each query."]
    errors = [f"`{q}` on {BACKEND_TITLES[bk]}: {e['error'][:200]}" for bk, b in queries.items()
              for q, e in b.get("queries", {}).items() if e.get("event") == "error"]
    if errors:
        lines += ["", "Errors: " + "; ".join(errors) + "."]
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


def _targets(results: dict[str, Any]) -> list[str]:
    sizes = results.get("sizes", {})
    if not sizes:
        return []
    n = str(TARGET_FIRMS) if str(TARGET_FIRMS) in sizes else max(sizes, key=int)
    size = sizes[n]
    lines = [f"Measured at {int(n):,} firms" + ("" if int(n) == TARGET_FIRMS else
                                               f" (the targets are set for {TARGET_FIRMS:,})") + ".", "",
             "| target | measured | met? |", "|---|---|---|"]

    def row(what: str, measured: str, ok: bool | None) -> None:
        lines.append(f"| {what} | {measured} | {'yes' if ok else 'no' if ok is not None else '–'} |")

    b = size.get("build")
    if b:
        row(f"build, tables -> store and 5 RDF files, at most {TARGETS['build_s']:g} s",
            f"{seconds(b['wall'])} wall ({seconds(b['cpu'])} CPU)", b["wall"] <= TARGETS["build_s"])
        row(f"build peak memory at most {TARGETS['build_gb']:g} GB", f"{b['peak_rss_mb'] / 1024:.2f} GB",
            b["peak_rss_mb"] / 1024 <= TARGETS["build_gb"])
    q = size.get("queries", {})
    emb, floor = q.get("embedded", {}).get("queries", {}), q.get("pyoxigraph", {}).get("queries", {})
    for name in sorted(emb):
        e, f = _query_cell(emb[name])[1], _query_cell(floor.get(name))[1]
        if e is None:
            row(f"`{name}` at most 1 s and 1.5× pyoxigraph", _query_cell(emb[name])[0], False)
            continue
        ok = e <= TARGETS["query_s"] and (f is None or e <= TARGETS["query_ratio"] * max(f, 0.001))
        row(f"`{name}` at most 1 s and 1.5× pyoxigraph", f"{seconds(e)} ({ratio(e, f)} pyoxigraph)", ok)
    pages = {p["page"]: p for p in size.get("browser", {}).get("pages", [])}
    for v in size.get("views", {}).get("views", []):
        if v.get("error"):
            row(f"view `{v['name']}`", "error", False)
            continue
        fp = pages.get(v["name"], {}).get("first_paint_ms")
        row(f"view `{v['name']}`: first paint at most {TARGETS['first_paint_s']:g} s",
            seconds(fp / 1000) if fp is not None else "not measured",
            None if fp is None else fp / 1000 <= TARGETS["first_paint_s"])
        row(f"view `{v['name']}`: GEXF export at most {TARGETS['gexf_s']:g} s", seconds(v["gexf_seconds"]),
            v["gexf_seconds"] <= TARGETS["gexf_s"])
    return lines


def render(results: dict[str, Any], notes: Path | None = NOTES) -> str:
    """The whole report; ``notes`` (Markdown) is appended as the closing notes."""
    out = ["# Scale benchmark: results", "",
           "Written by `python -m benchmarks.run` (see `benchmarks/README.md`) from `RESULTS.json`; the closing "
           "notes come from `benchmarks/NOTES.md`. Re-render with `python -m benchmarks.report`.", ""]
    out += _machine(results) + ["", "## Targets", ""] + _targets(results)
    out += ["", "## Build", "", "`kg build --no-validate` as a library call: read and check the tables, make the "
            "triples and load the in-memory Oxigraph store, write Turtle, TriG, N-Triples, N-Quads and JSON-LD, "
            "count.", ""] + _build_table(results)
    out += ["", "## Saved queries", ""]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        if size.get("queries"):
            out += _query_table(n, size["queries"]) + [""]
    out += ["## Views, graph files and pages", ""]
    for n, size in sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])):
        if size.get("views"):
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
