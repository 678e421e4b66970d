"""Profile one benchmark step with py-spy and write the hottest frames as text.

    .venv/bin/python -m benchmarks.profile --out benchmarks/profiles/build-100000.txt -- \\
        build --data benchmarks/work/data-100000 --out /tmp/out
    .venv/bin/python -m benchmarks.profile --native --out benchmarks/profiles/query.txt -- \\
        queries --backend pyoxigraph --data benchmarks/work/out-100000/kg.nq --runs 1 --skip ...

Everything after ``--`` is passed to :mod:`benchmarks.worker`.  ``--native`` adds the frames of
compiled code (Oxigraph's Rust), so that time inside one ``Store.query`` call is broken down too.
The summary lists, per thread, the frames where samples were taken (self) and the frames that
were on the stack (inclusive), with their share of the samples.  Needs ``py-spy`` (pip install).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from kg.files import atomic_write


def summarise(raw: Path, top: int = 25) -> str:
    """py-spy's raw (collapsed-stack) output as tables of the hottest frames, per thread."""
    per_thread: dict[str, tuple[Counter, Counter]] = {}
    totals: Counter = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if frames[0].startswith("thread ("):  # "thread (pid): name" with --threads
            thread = "thread " + frames[0].partition(":")[2].strip()
            frames = frames[1:]
        else:
            thread = "all threads"
        if not frames:
            continue
        own, inclusive = per_thread.setdefault(thread, (Counter(), Counter()))
        n = int(count)
        totals[thread] += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    out = []
    grand = sum(totals.values()) or 1
    for thread, (own, inclusive) in sorted(per_thread.items(), key=lambda kv: -totals[kv[0]]):
        out.append(f"== {thread}: {totals[thread]} samples ({100 * totals[thread] / grand:.0f} % of all)")
        out.append("-- self")
        out += [f"{100 * n / totals[thread]:5.1f} %  {f[:160]}" for f, n in own.most_common(top)]
        out.append("-- inclusive")
        out += [f"{100 * n / totals[thread]:5.1f} %  {f[:160]}" for f, n in inclusive.most_common(top)]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--native", action="store_true", help="include compiled (Rust) frames")
    parser.add_argument("--rate", type=int, default=50, help="samples a second (default: %(default)s)")
    args = parser.parse_args(argv[:split])
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "profile.txt"
        command = [spy, "record", "-f", "raw", "-r", str(args.rate), "--threads", "-o", str(raw)]
        if args.native:
            command.append("--native")
        command += ["--", sys.executable, "-m", "benchmarks.worker", *argv[split + 1:]]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        header = f"# py-spy record {'--native ' if args.native else ''}-r {args.rate}: " \
                 f"python -m benchmarks.worker {' '.join(argv[split + 1:])}\n# worker output:\n" + \
                 "".join(f"#   {line}\n" for line in done.stdout.splitlines()[-20:])
        with atomic_write(args.out, "w", encoding="utf-8") as handle:
            handle.write(header + "\n" + summarise(raw))
    print(f"wrote {args.out}", file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
