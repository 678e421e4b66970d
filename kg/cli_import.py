"""``kg import``: rows from open registers (BODS 0.4, GLEIF golden copy) into a data folder's tables."""
from __future__ import annotations

import argparse
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
    gleif.add_argument("--region",
                       help="a place id of places.csv: entities with a legal or headquarters address in a "
                            "place within it are imported, with all their parents (default: kg.toml's region)")
    for sub in (bods, gleif):
        sub.add_argument("--data", type=Path, default=DEFAULT_DATA,
                         help="the data folder to write into (default: %(default)s)")

    def run(args: argparse.Namespace) -> int:
        """Read the register's files, then merge them into the data folder.  Errors are raised (kg.errors:
        a bad file or folder is an input error, exit 2; a folder that cannot be written an output error,
        exit 3) and kg.cli.main prints them."""
        from .errors import InvalidArgument
        from .importers import bods as bods_register
        from .importers import gleif as gleif_register
        from .importers.merge import merge
        from .importers.places import Places
        from .tables import read_tables

        if args.register == "bods":
            batch = bods_register.read(args.file)
        else:
            tables = read_tables(args.data, note=lambda _: None)  # checked before gigabytes are read; merge notes
            places = Places([dict(r.values) for r in tables["places"]])
            if not args.region:
                raise InvalidArgument(f"--region: give the place id of the region, or name it in "
                                      f"{args.data / 'kg.toml'} (region = \"...\")")
            if args.region not in places.by_id:
                raise InvalidArgument(f"--region: unknown place '{args.region}'; give a place id of "
                                      f"{args.data / 'places.csv'}")
            batch = gleif_register.read(args.level1, args.level2, places.region_test(args.region), progress)
        report = merge(args.data, batch)
        for line in report.lines:
            print(line)
        print("  ".join(f"{k}: {v:,}" for k, v in sorted(report.counts.items()) if v) or "nothing new")
        return 0

    return run
