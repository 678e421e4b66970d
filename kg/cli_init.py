"""``kg init DIR``: start a new region's tables, each with its header and one example row.

Beside the tables, the project file ``kg.toml`` (:mod:`kg.project`): the region, the study the data comes
from, the output folder.  The headers and the example rows come from the tables' declaration
(``kg/tables.toml``, read as
:data:`kg.tables.SCHEMA`), so they are always the ones ``kg build`` reads; the example rows describe one
made-up firm with one plant in one town, and build as they are (``kg build --data DIR``).  Replace them
with the region's facts.
"""
from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Callable
from pathlib import Path

from .cli import command


def table_text(name: str) -> str:
    """A table's CSV text: its header and its example rows, as ``kg/tables.toml`` declares them."""
    from .tables import TABLES

    table = TABLES[name]
    columns = [c.name for c in table.columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in table.examples:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def init(folder: str | Path, force: bool = False) -> list[Path]:
    """Write every table of the schema into ``folder``; refuses to overwrite a file unless ``force``."""
    from .errors import InvalidArgument, output_os_error
    from .files import atomic_write, check_output_folder
    from .tables import SCHEMA

    folder = Path(folder)
    choose = "choose another folder"
    check_output_folder(folder, choose)
    from .project import FILE

    existing = [name for name in [FILE, *(t.file for t in SCHEMA)] if (folder / name).exists()]
    if existing and not force:
        raise InvalidArgument(f"{folder} already has {', '.join(existing)}; choose a new folder, "
                              "or give --force to overwrite them")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_os_error(exc, folder, choose) from None
    written = [_write_project(folder, choose)]
    for table in SCHEMA:
        path = folder / table.file
        with atomic_write(path, "w", encoding="utf-8", choose=choose) as handle:
            handle.write(table_text(table.name))
        written.append(path)
    return written


#: The region of the example rows: the project file's region until the user names theirs.
EXAMPLE_REGION = "example-region"


def _write_project(folder: Path, choose: str) -> Path:
    from .files import atomic_write
    from .project import FILE, template

    path = folder / FILE
    with atomic_write(path, "w", encoding="utf-8", choose=choose) as handle:
        handle.write(template(EXAMPLE_REGION))
    return path


@command("init", "start a new region's data folder: every table with its header and one example row")
def setup_init(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.epilog = ("Example: kg init my-region && kg build --data my-region --out my-region-out. "
                "Then replace the example rows with the region's facts (see 'Adding a firm' in the README).")
    p.add_argument("folder", type=Path, help="the folder to write the tables into (made if missing)")
    p.add_argument("--force", action="store_true", help="overwrite tables that are already there")

    def run(args: argparse.Namespace) -> int:
        written = init(args.folder, force=args.force)
        print(f"wrote {args.folder / written[0].name} (the region, the study, the output folder) and "
              f"{len(written) - 1} tables into {args.folder}, each with its header and one example row; "
              f"check them with: kg build --data {args.folder}")
        return 0
    return run
