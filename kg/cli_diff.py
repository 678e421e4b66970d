"""``kg diff OLD NEW``: what changed between two builds, or two data folders (:func:`kg.diff.diff`).

    kg diff out-2025 out-2026                      the readable table: added, removed, changed, headline
    kg diff data-2025 data-2026 --format xlsx --out changes.xlsx --page changes.html
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import writers
from .cli import command, progress
from .errors import InputError

if TYPE_CHECKING:
    from pyoxigraph import Store

#: What makes a folder a data folder: its project file or its organisations table.
DATA_MARKERS = ("kg.toml", "organizations.csv", "organizations.xlsx")


def open_folder(folder: Path) -> tuple[Store, str]:
    """The store of a build folder (where ``kg build`` left its store and ``build.json``), or of a data folder
    built in memory (with its ``kg.toml``), and which it is in words.  Anything else is an
    :class:`kg.errors.InputError` naming the folder."""
    from .builds import STORES, describe, read_record

    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; give a folder kg build wrote into, or a data folder")
    record = read_record(folder)
    if record is not None:
        store_path = folder / STORES / str(record.get("store", ""))
        if not record.get("store") or not (store_path / "CURRENT").is_file():
            raise InputError(f"the build in {folder} has no store (it was built with --no-store); "
                             "build it again without --no-store, or give its data folder")
        from pyoxigraph import Store

        progress(f"using {describe(folder, record)}")
        return Store.read_only(str(store_path)), describe(folder, record)
    if any((folder / name).is_file() for name in DATA_MARKERS):
        from .build import DEFAULT_ONTOLOGY, build
        from .project import find as find_project

        t0 = time.perf_counter()
        result = build(folder, DEFAULT_ONTOLOGY, progress=progress, project=find_project(folder))
        progress(f"built {folder} in memory in {time.perf_counter() - t0:.1f} s")
        return result.store, f"the data in {folder}, built in memory"
    raise InputError(f"{folder} is neither a build (no {folder / 'build.json'}) nor a data folder (no "
                     f"{', '.join(DATA_MARKERS)}); give a folder kg build wrote into, or a data folder")


@command("diff", "what changed between two builds or two data folders: firms, sites, owners, control, "
                 "head-counts, subsectors, sources and the headline")
def setup_diff(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.epilog = ("Each folder is a build (where kg build left its store and build.json) or a data folder (built in "
                "memory with its kg.toml). Exits 0 whether or not there are changes.")
    p.add_argument("old", type=Path, help="the earlier build or data folder")
    p.add_argument("new", type=Path, help="the later build or data folder")
    p.add_argument("--format", "-f", choices=list(writers.options("result")), default="table",
                   help="table (default): the readable sections; csv, xlsx, json ...: one row a change, columns "
                        "kind, subject, subjectLabel, aspect, old, new, oldSources, newSources")
    p.add_argument("--out", "-o", type=Path, metavar="FILE",
                   help="write to this file (atomically) instead of stdout; xlsx needs it")
    p.add_argument("--page", type=Path, metavar="FILE.html", help="also write an offline HTML page of the changes")
    return cmd_diff


def cmd_diff(args: argparse.Namespace) -> int:
    from .cli_query import check_output, write_output
    from .diff import diff, text, write_page
    from .files import check_output_folder
    from .results import compactor, render_bytes

    writer = writers.options("result")[args.format]
    check_output(args, writer)  # before the builds are read, not after
    if args.page:
        check_output_folder(args.page, file=True, choose="choose another --page")
    old, old_description = open_folder(args.old)
    new, new_description = open_folder(args.new)
    found = diff(old, new, old_description, new_description)
    compact = compactor(found.new.base or None)
    data = text(found, compact).encode("utf-8") if args.format == "table" else \
        render_bytes(found.result(), writer.name, compact)
    write_output(data, args, writer)
    for warning in found.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.page:
        write_page(found, args.page)
        progress(f"wrote {args.page}")
    progress(f"{len(found.changes)} change(s); headline: {len(found.headline)} figure(s)")
    return 0
