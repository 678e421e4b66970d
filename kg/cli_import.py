"""``kg import``: rows from open registers (BODS 0.4, GLEIF golden copy) into a data folder's tables."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .build import DEFAULT_DATA
from .cli import command, progress


@command("import", "add firms, parents and ownership from an open register (bods, gleif) to the data tables")
def setup(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.epilog = ("Matching: by LEI, then Wikidata id; a match by name only waits in DATA/review.csv for "
                "'accept' or 'reject'. Where a register disagrees with the tables both stay, with a flag. "
                "Running the same import again adds nothing.")
    registers = p.add_subparsers(dest="register", required=True, metavar="REGISTER")
    bods = registers.add_parser("bods", help="BODS 0.4 statements (a JSON array, or JSON Lines)")
    bods.add_argument("file", type=Path, help="the BODS file")
    gleif = registers.add_parser("gleif", help="GLEIF golden copy: Level 1 CSV and, for parents, Level 2 CSV")
    gleif.add_argument("level1", type=Path, help="Level 1 (LEI-CDF) CSV file, or its .zip")
    gleif.add_argument("level2", type=Path, nargs="?", help="Level 2 (RR-CDF) CSV file, or its .zip")
    gleif.add_argument("--region", required=True,
                       help="a place id of places.csv: entities with a legal or headquarters address in a "
                            "place within it are imported, with all their parents")
    for sub in (bods, gleif):
        sub.add_argument("--data", type=Path, default=DEFAULT_DATA,
                         help="the data folder to write into (default: %(default)s)")

    def run(args: argparse.Namespace) -> int:
        from .files import OutputError
        from .importers import bods as bods_register
        from .importers import gleif as gleif_register
        from .importers.merge import merge
        from .importers.places import Places
        from .tables import DataError, DataErrors, read_tables

        tables = read_tables(args.data)
        if args.register == "bods":
            batch = bods_register.read(args.file)
        else:
            places = Places([dict(r.values) for r in tables["places"]])
            if args.region not in places.by_id:
                raise DataErrors([DataError("--region", None, None, f"unknown place '{args.region}'",
                                            f"Give a place id of {args.data / 'places.csv'}.")])
            batch = gleif_register.read(args.level1, args.level2, places.region_test(args.region), progress)
        try:
            report = merge(args.data, batch)
        except OutputError as exc:  # the data folder cannot be written: one line, exit 3 (as kg build)
            print(f"error: {exc}", file=sys.stderr)
            return 3
        for line in report.lines:
            print(line)
        print("  ".join(f"{k}: {v:,}" for k, v in sorted(report.counts.items()) if v) or "nothing new")
        return 0

    return run
