"""``kg import``: rows from open registers (BODS 0.4, GLEIF golden copy, Wikidata) into a data folder's tables."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .build import DEFAULT_DATA
from .cli import command, progress

if TYPE_CHECKING:
    from .importers.model import Batch
    from .importers.places import Places
    from .tables import Tables


@command("import", "add firms, parents and ownership from an open register (bods, gleif, wikidata) to the data tables")
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
    wikidata = registers.add_parser(
        "wikidata", help="Wikidata: the firms of a region and of industries, asked of its query service",
        epilog="The answer is kept in the cache: the same import again asks nothing (--refresh asks again).")
    wikidata.add_argument("--region",
                          help="a place id of places.csv with a Wikidata id (or with places within it that have "
                               "one): firms whose headquarters or location lies in it are imported, with their "
                               "parents and owners (default: kg.toml's region)")
    wikidata.add_argument("--industry", nargs="+", metavar="CODE",
                          help="NACE Rev. 2 / WZ 2008 codes (28, 28.1): firms whose Wikidata industry has a NACE "
                               "code beginning with one (default: kg.toml's industry, else the codes of "
                               "subsectors.csv)")
    wikidata.add_argument("--endpoint", default=None, metavar="URL",
                          help="the SPARQL endpoint (default: https://query.wikidata.org/sparql)")
    wikidata.add_argument("--from", dest="answer", type=Path, metavar="RESULTS.json",
                          help="read a saved answer (SPARQL JSON results) instead of asking")
    wikidata.add_argument("--cache", type=Path, metavar="DIR",
                          help="where answers are kept (default: DATA/.cache/wikidata)")
    wikidata.add_argument("--refresh", action="store_true", help="ask again even if the answer is in the cache")
    wikidata.add_argument("--timeout", type=float, default=90.0, metavar="SECONDS",
                          help="how long to wait for the endpoint (default: %(default)g)")
    for sub in (bods, gleif, wikidata):
        sub.add_argument("--data", type=Path, default=DEFAULT_DATA,
                         help="the data folder to write into (default: %(default)s)")

    def run(args: argparse.Namespace) -> int:
        """Read the register's files (or ask Wikidata), then merge them into the data folder.  Errors are
        raised (kg.errors: a bad file or folder is an input error, exit 2; a folder that cannot be written an
        output error, a failing endpoint a server error, exit 3) and kg.cli.main prints them."""
        from .importers import bods as bods_register
        from .importers.merge import merge

        if args.register == "bods":
            batch = bods_register.read(args.file)
        elif args.register == "gleif":
            batch = _gleif(args)
        else:
            batch = _wikidata(args)
        report = merge(args.data, batch)
        for line in report.lines:
            print(line)
        print("  ".join(f"{k}: {v:,}" for k, v in sorted(report.counts.items()) if v) or "nothing new")
        return 0

    return run


def _places(args: argparse.Namespace) -> tuple[Places, Tables]:
    """The data folder's places (its tables read and checked first), with ``--region`` one of them."""
    from .errors import InvalidArgument
    from .importers.places import Places
    from .tables import read_tables

    tables = read_tables(args.data, note=lambda _: None)  # checked before anything is read; merge notes
    places = Places([dict(r.values) for r in tables["places"]])
    if not args.region:
        raise InvalidArgument(f"--region: give the place id of the region, or name it in "
                              f"{args.data / 'kg.toml'} (region = \"...\")")
    if args.region not in places.by_id:
        raise InvalidArgument(f"--region: unknown place '{args.region}'; give a place id of "
                              f"{args.data / 'places.csv'}")
    return places, tables


def _gleif(args: argparse.Namespace) -> Batch:
    from .importers import gleif

    places, _ = _places(args)
    return gleif.read(args.level1, args.level2, places.region_test(args.region), progress)


def _wikidata(args: argparse.Namespace) -> Batch:
    from .errors import InvalidArgument
    from .importers import wikidata

    places, tables = _places(args)
    regions = places.items(args.region)
    if not regions:
        raise InvalidArgument(f"--region: neither '{args.region}' nor any place within it has a Wikidata id; "
                              f"write the place's Wikidata id (e.g. Q64) in the column wikidata of "
                              f"{args.data / 'places.csv'}")
    known = {r["code"] for r in tables["subsectors"] if not r["code"].isalpha()}
    tops = sorted(c for c in known if not any(c != o and c.startswith(o) for o in known))
    codes = args.industry or list(args.project.industry) or tops
    if not codes:
        raise InvalidArgument(f"--industry: give NACE Rev. 2 codes (e.g. 28); {args.data / 'subsectors.csv'} "
                              "has none")
    area = wikidata.Area.of(places, args.region)
    text = wikidata.query_text(regions, codes, area.box())
    if args.answer is not None:
        answer = wikidata.load(args.answer)
    else:
        answer = wikidata.ask(text, args.endpoint or wikidata.ENDPOINT, args.cache or args.data / ".cache" / "wikidata",
                              args.refresh, args.timeout, progress)
    progress(f"{answer.origin}: {len(answer.document['results']['bindings']):,} rows for "
             f"{args.region} ({', '.join(regions)}), industries {', '.join(codes)}")
    return wikidata.read(answer, area, str(args.answer or "Wikidata"))
