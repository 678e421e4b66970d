"""The scale benchmark at 300 firms, every back-end and section, as a smoke test (no timing assertions).

300 firms (about 18,000 triples) is enough for every section to run as it does at scale -- each saved
query on each back-end, pushes to both servers, listings, views, pages in the browser -- in about a
minute; the sizes themselves are what ``python -m benchmarks.run`` measures."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, require_system_package

FIRMS = 300

BACKENDS = ("disk", "embedded", "pyoxigraph", "oxrdflib", "rdflib", "oxigraph-server", "virtuoso")
STEPS = ("`kg build --no-validate`", "`kg build` with validation",
         "every saved query, on the build's store (median; a listing: its first page)",
         "the summaries (`control-summary`, `control-by-land`, `control-by-subsector`, `decision-centres`)",
         "the first page of every listing (100 rows, with its total)", "next command on the built graph",
         "`kg export gexf`, each view", "`kg viz all`")


def test_benchmark_runs_on_a_synthetic_economy_and_reports_every_section(tmp_path):
    require_system_package("virtuoso-t", "virtuoso-opensource")
    require_system_package("chromium", "chromium")
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--firms", str(FIRMS), "--quick", "--rdflib-timeout", "2",
         "--query-timeout", "60", "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)  # a guard against a hang
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("## Targets", "## Build", "## The next command", "## Saved queries", f"### {FIRMS:,} firms",
                    "## Listings: a page with its total", "## Views, graph files and pages"):
        assert heading in text, heading
    # the table, in its shape: step | measured | target | met?
    assert "| step | measured | target | met? |" in text
    for step in STEPS:
        assert f"| {step} |" in text, step
    for column in ("on-disk store (kg query)", "in-memory store", "pyoxigraph", "oxrdflib", "rdflib Memory",
                   "Oxigraph server", "Virtuoso", "same rows?", "kg/own", "first paint"):
        assert column in text, column
    results = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    size = results["sizes"][str(FIRMS)]
    # both builds ran as the user runs them, and the validation's own line was read
    assert size["build"]["summary"]["firms"] == FIRMS and size["build"]["returncode"] == 0
    assert size["build_validated"]["validation_seconds"] >= 0 and size["build_validated"]["progress_lines"] > 0
    # the floor the build is compared with: oxigraph load of the build's own N-Quads, and the ratio in the table
    assert size["floor"]["returncode"] == 0 and size["floor"]["wall"] > 0 and size["floor"]["nquads_mb"] > 0
    build_row = next(line for line in text.splitlines() if line.startswith("| `kg build --no-validate` |"))
    assert "× `oxigraph load` of its N-Quads" in build_row, build_row
    assert all(c["using_build"] and c["returncode"] == 0 for c in size["next"]["commands"].values())
    assert all(e["using_build"] and e["returncode"] == 0 for e in size["next"]["exports"].values())
    saved = {p.stem for p in (ROOT / "queries").glob("*.rq")}
    for backend in BACKENDS:
        # every saved query is reported on every back-end: timed, timed out or failed (with the error)
        outcome = size["queries"][backend]["queries"]
        assert set(outcome) == saved, backend
        assert {r["event"] for r in outcome.values()} <= {"query", "timeout", "error"}, backend
    for server in ("oxigraph-server", "virtuoso"):
        assert set(size["queries"][server]["own"]["queries"]) == saved, server
        assert size["queries"][server]["push"]["union_triples"] > 0, server
    for backend in ("disk", "embedded"):
        answered = {q for q, r in size["queries"][backend]["queries"].items() if r["event"] == "query"}
        assert answered == saved, backend  # the embedded store answers every saved query
        assert all(r["digest"] for r in size["queries"][backend]["queries"].values()), backend
    assert set(size["pages"]["pages"]) <= saved and "firms-by-subsector" in size["pages"]["pages"]
    assert {v["name"] for v in size["views"]["views"] if "gexf_seconds" in v} == {"hq", "clusters", "full"}
    assert all("first_paint_ms" in p for p in size["browser"]["pages"])
    assert "machine" in results and results["machine"]["nproc"] >= 1 and results["machine"]["load_average_end"]
    # the steps of the growth table: kg viz all as the user runs it, and the push by Virtuoso's bulk loader
    assert size["viz_all"]["returncode"] == 0 and size["viz_all"]["peak_rss_mb"] > 0
    bulk = size["queries"]["virtuoso"]["bulk_push"]
    assert bulk["union_triples"] == size["queries"]["virtuoso"]["push"]["union_triples"] > 0, bulk

    # a second, larger size (the build alone) merged in: the growth table fits the exponent between the two
    # sizes and projects a size not run
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--firms", str(2 * FIRMS), "--quick", "--sections", "build",
         "--merge", "--project", "1000000", "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    growth = text[text.index("## Growth"):text.index("## Build")]
    build_row = next(line for line in growth.splitlines() if line.startswith("| `kg build --no-validate` |"))
    assert f"{FIRMS:,}→{2 * FIRMS:,}: " in build_row and "1,000,000: ~" in build_row, build_row
    viz_row = next(line for line in growth.splitlines() if line.startswith("| `kg viz all` |"))
    assert viz_row.split(" | ")[2] == "not run" and "one size only" in viz_row, viz_row  # 600: build only
    for title in ("every saved query", "a listing page", "GEXF export, hq view", "GEXF export, full view",
                  "push to Virtuoso (Graph Store Protocol)", "push to Virtuoso (bulk loader)"):
        assert f"| {title}" in growth, title


def test_the_growth_table_fits_exponents_records_failures_and_projects():
    """Two sizes measured and a third that ran out of memory: the slope, the failure and what it would need."""
    from benchmarks.growth import table

    def build(seconds: float, mb: float) -> dict:
        return {"wall": seconds, "peak_rss_mb": mb, "returncode": 0}

    results = {"machine": {"nproc": 2, "mem_gb": 0.5}, "project": [8000], "sizes": {
        "1000": {"build": build(10.0, 100.0)},
        "2000": {"build": build(40.0, 200.0)},
        "4000": {"build": {"error": "RuntimeError: kg build failed (killed by SIGKILL (out of memory: the kernel's "
                                    "OOM killer))"}}}}
    row = next(line for line in table(results) if line.startswith("| `kg build --no-validate` |"))
    cells = row.strip("| ").split(" | ")
    assert cells[1:3] == ["10.00 s, 100 MB", "40.00 s, 200 MB"]
    assert cells[3].startswith("failed: RuntimeError: kg build failed (killed by SIGKILL (out of memory")
    assert cells[4] == "1,000→2,000: 2.00 (1.00)"  # time as n², memory as n
    # 4,000: 40 s × 2² and 200 MB × 2; 8,000: 40 s × 4² and 200 MB × 4, more than the machine's 0.5 GB
    assert cells[5] == "4,000: ~160 s, ~400 MB; 8,000: ~640 s, ~800 MB (more than this machine's 0.5 GB)", cells[5]
