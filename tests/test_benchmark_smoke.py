"""The scale benchmark at 1,000 firms, every back-end and section, as a smoke test (no timing assertions)."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT, require_system_package


def test_benchmark_runs_at_1000_firms_and_reports_every_section(tmp_path):
    require_system_package("virtuoso-t", "virtuoso-opensource")
    require_system_package("chromium", "chromium")
    out = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--firms", "1000", "--quick", "--rdflib-timeout", "2",
         "--query-timeout", "60", "--out", str(out), "--work", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("## Targets", "## Build", "## Saved queries", "### 1,000 firms", "## Views, graph files and pages"):
        assert heading in text, heading
    for column in ("embedded (kg.query)", "pyoxigraph", "oxrdflib", "rdflib Memory", "Virtuoso", "first paint"):
        assert column in text, column
    results = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    size = results["sizes"]["1000"]
    assert size["build"]["summary"]["firms"] == 1000
    saved = {p.stem for p in (ROOT / "queries").glob("*.rq")}
    for backend in ("embedded", "pyoxigraph", "oxrdflib", "rdflib", "virtuoso"):
        # every saved query is reported on every back-end: timed, timed out or failed (with the error)
        outcome = size["queries"][backend]["queries"]
        assert set(outcome) == saved, backend
        assert {r["event"] for r in outcome.values()} <= {"query", "timeout", "error"}, backend
    answered = {q for q, r in size["queries"]["embedded"]["queries"].items() if r["event"] == "query"}
    assert answered == saved  # the embedded store answers every saved query
    assert {v["name"] for v in size["views"]["views"] if "gexf_seconds" in v} == {"hq", "clusters", "full"}
    assert all("first_paint_ms" in p for p in size["browser"]["pages"])
    assert "machine" in results and results["machine"]["nproc"] >= 1
