"""``kg synth``: write the input tables of a synthetic economy (for scale tests and benchmarks)."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from .build import DEFAULT_DATA
from .cli import command, progress


@command("synth", "write CSV tables of a synthetic economy of N firms (same format as data/)")
def setup(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.add_argument("--firms", type=int, required=True, help="number of firms, e.g. 100000")
    p.add_argument("--out", type=Path, required=True, help="folder to write the tables into")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same files "
                                                        "(default: %(default)s)")
    p.add_argument("--template", type=Path, default=DEFAULT_DATA,
                   help="data folder whose sources, places and subsectors are reused (default: %(default)s)")
    p.add_argument("--region", help="place id of the region most plants lie in (default: the template's kg.toml "
                                    "region)")

    def run(args: argparse.Namespace) -> int:
        from .synth import synthesize

        counts = synthesize(args.out, args.firms, seed=args.seed, template=args.template, region=args.region,
                            progress=progress)
        print("  ".join(f"{k}: {v:,}" for k, v in counts.items() if v))
        return 0

    return run
