"""Time and memory of SHACL validation on a synthetic economy (issue 12): the SPARQL engine, or pySHACL.

    .venv/bin/kg synth --firms 100000 --out /work/bench/d100k
    .venv/bin/python -m benchmarks.validation --firms-dir /work/bench/d100k              # kg.shacl
    .venv/bin/python -m benchmarks.validation --firms-dir /work/bench/d10k --engine pyshacl
    /usr/bin/time -v .venv/bin/python -m benchmarks.validation --firms-dir ...           # the OS's own figures

One engine a process, so that the peak RSS is that engine's: ``kg.build.build`` (as ``kg build``),
then ``kg.validate.validate``.  Prints the wall and CPU time of each step, the peak RSS after each
(so what validation adds on top of the build), the violations found, and the load average before and
after with the number of CPUs: other work on the machine slows a run down, and the figures say so.
Not a test: nothing is asserted, and no timing is checked anywhere.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    """The process's peak resident set so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} CPUs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--firms-dir", type=Path, required=True, help="a folder written by kg synth (or data/)")
    parser.add_argument("--ontology", type=Path, default=ROOT / "ontology")
    parser.add_argument("--engine", choices=("sparql", "pyshacl"), default="sparql")
    parser.add_argument("--quiet", action="store_true", help="no line for each shape")
    args = parser.parse_args(argv)

    from kg.build import build
    from kg.validate import validate

    def say(message: str) -> None:
        print(f"  {message}", flush=True)

    print(f"data: {args.firms_dir}; engine: {args.engine}; Python {sys.version.split()[0]}")
    print(f"load average before: {load()}", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    result = build(args.firms_dir, args.ontology)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    build_rss = peak_rss_mb()
    quads = len(result.store)
    print(f"build: {build_s:.1f} s wall, {build_cpu:.1f} s CPU, {quads:,} quads, peak RSS {build_rss:,.0f} MB",
          flush=True)

    t0, c0 = time.perf_counter(), time.process_time()
    violations = validate(result, args.ontology / "shapes.ttl", progress=None if args.quiet else say,
                          engine=args.engine)
    validate_s, validate_cpu = time.perf_counter() - t0, time.process_time() - c0
    validate_rss = peak_rss_mb()
    print(f"validate ({args.engine}): {validate_s:.1f} s wall, {validate_cpu:.1f} s CPU, "
          f"{len(violations)} violation(s), peak RSS {validate_rss:,.0f} MB "
          f"(+{max(0.0, validate_rss - build_rss):,.0f} MB over the build)")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
