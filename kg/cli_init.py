"""``kg init DIR``: start a new region's tables, each with its header and one example row.

The headers come from the schema of the tables (:data:`kg.tables.SCHEMA`), so they are always the
ones ``kg build`` reads; the example rows describe one made-up firm with one plant in one town,
and build as they are (``kg build --data DIR``).  Replace them with the region's facts.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable
from pathlib import Path

from .cli import command

#: One example row a table, by column name; the columns not named stay empty.  Together they
#: build and validate: one source, a town, a subsector, a firm, its plant and the rest about them.
EXAMPLE_ROWS: dict[str, dict[str, str]] = {
    "sources": {"id": "example-source", "kind": "web", "title": "Example source: where the facts come from",
                "url": "https://example.org/", "note": "Replace with the region's sources"},
    "places": {"id": "example-town", "name_de": "Beispielstadt", "name_en": "Example Town", "type": "municipality",
               "within": "example-land", "lat": "52.5", "long": "13.4", "source": "example-source"},
    "subsectors": {"code": "28", "label_de": "Maschinenbau",
                   "label_en": "Manufacture of machinery and equipment n.e.c.", "source": "example-source"},
    "organizations": {"id": "example-firm", "name": "Example Machines", "types": "firm",
                      "headquarters": "example-town", "headquarters_source": "example-source",
                      "headquarters_certainty": "confirmed", "founded": "1990",
                      "description_de": "Beispielfirma: ersetzen durch eine Firma der Region",
                      "description_en": "Example firm: replace with a firm of the region", "source": "example-source"},
    "classifications": {"org": "example-firm", "code": "28", "basis": "inference", "source": "example-source"},
    "sites": {"id": "example-firm-plant", "org": "example-firm", "name": "Example Machines plant",
              "functions": "production", "place": "example-town", "status": "active", "source": "example-source"},
    "headcounts": {"subject": "example-firm-plant", "value": "120", "approx": "about", "year": "2024",
                   "quote": "about 120 employees", "source": "example-source"},
    "clusters": {"id": "example-park", "name": "Example Technology Park", "kind": "technology-park",
                 "place": "example-town", "source": "example-source"},
    "cluster_members": {"cluster": "example-park", "member": "example-firm", "source": "example-source"},
    "events": {"id": "example-firm-founding", "subject": "example-firm", "kind": "founding", "year": "1990",
               "description_de": "Gründung", "source": "example-source"},
    "production_focus": {"land": "example-land", "code": "28", "label_de": "Maschinenbau",
                         "source": "example-source"},
    "datasets": {"id": "example-employees", "title_de": "Beschäftigte im Maschinenbau",
                 "title_en": "Employees in machine building", "unit": "persons", "source": "example-source"},
    "statistics": {"id": "example-employees-2024", "dataset": "example-employees", "area": "example-town",
                   "period": "2024", "breakdown": "total", "value": "120", "approx": "about",
                   "source": "example-source"},
    "comparisons": {"id": "example-employees-rising", "subject": "example-town", "relation": "rising",
                    "measure": "example-employees", "period": "2020/2024", "modality": "stated",
                    "quote": "employment has risen since 2020", "source": "example-source"},
    "alternative_places": {"subject": "example-firm-plant", "aspect": "site-place", "place": "example-town",
                           "basis": "stated", "source": "example-source"},
    "parent_relations": {"id": "example-firm-owners", "child": "example-firm", "party": "person",
                         "relation": "direct", "interest": "shareholding", "share_min": "50", "share_max": "75",
                         "status": "active", "source": "example-source",
                         "note": "Example: a register's record of who holds an interest (kg import writes these)"},
    "flags": {"id": "example-flag", "kind": "citation", "subjects": "example-firm",
              "description": "Example flag: say here what is doubtful about a fact", "source": "example-source"},
}


#: A place must lie within another up to its country, so places.csv starts with the town's Land and country.
PLACES_ABOVE: tuple[dict[str, str], ...] = (
    {"id": "example-country", "name_de": "Beispielland", "name_en": "Example Country", "type": "country",
     "source": "example-source"},
    {"id": "example-land", "name_de": "Beispiel-Land", "name_en": "Example Land", "type": "land",
     "within": "example-country", "source": "example-source"},
)


def table_text(name: str) -> str:
    """A table's CSV text: its header (from the schema) and its example row."""
    from .tables import TABLES

    columns = [c.name for c in TABLES[name].columns]
    example = EXAMPLE_ROWS.get(name, {})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    rows = (*PLACES_ABOVE, example) if name == "places" else (example,) if example else ()
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def init(folder: str | Path, force: bool = False) -> list[Path]:
    """Write every table of the schema into ``folder``; refuses to overwrite a file unless ``force``."""
    from .files import atomic_write
    from .tables import SCHEMA

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder; name a new or empty folder")
    existing = [t.file for t in SCHEMA if (folder / t.file).exists()]
    if existing and not force:
        raise ValueError(f"{folder} already has {', '.join(existing)}; choose a new folder, "
                         "or give --force to overwrite them")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in SCHEMA:
        path = folder / table.file
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(table_text(table.name))
        written.append(path)
    return written


@command("init", "start a new region's data folder: every table with its header and one example row")
def setup_init(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.epilog = ("Example: kg init my-region && kg build --data my-region --out my-region-out. "
                "Then replace the example rows with the region's facts (see 'Adding a firm' in the README).")
    p.add_argument("folder", type=Path, help="the folder to write the tables into (made if missing)")
    p.add_argument("--force", action="store_true", help="overwrite tables that are already there")

    def run(args: argparse.Namespace) -> int:
        try:
            written = init(args.folder, force=args.force)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {len(written)} tables into {args.folder}, each with its header and one example row; "
              f"check them with: kg build --data {args.folder}")
        return 0
    return run
