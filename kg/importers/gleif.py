"""GLEIF golden copy, CSV: Level 1 (LEI-CDF, who is who) and Level 2 (RR-CDF, who owns whom).

The files are streamed row by row (a golden copy is gigabytes; a ``.zip`` as GLEIF publishes it is read
without unpacking).  Selected are the entities whose legal or headquarters address lies in the region
(``--region``, by :mod:`kg.importers.places`' rule), then every direct and ultimate accounting parent of
theirs, recursively (Level 2 is read again for each new generation of parents, usually two or three
times).  Each entity is one organisation (LEI, legal name, legal address as registered seat, headquarters
address, creation year, status); each relationship record is a row of parent_relations.csv
(``accounting-consolidation``, direct or ultimate, its relationship period and status, certainty from
the record's validation sources), and the active direct parent is the child's parent in
organizations.csv (the ultimate parent where the file records no direct one, certainty ``implied``: the
rule :func:`kg.rules.consolidation_parent`).
"""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..rules import consolidation_parent
from ..tables import LEI as LEI_FORM
from ..tables import DataError, DataErrors
from .model import Address, Batch, Entity, Relation, Source, slug
from .places import RegionTest

# Column names as GLEIF publishes them in the golden-copy CSV files.
LEI = "LEI"
NAME = "Entity.LegalName"
LEGAL = "Entity.LegalAddress."
HEADQUARTERS = "Entity.HeadquartersAddress."
STATUS = "Entity.EntityStatus"
CREATED = "Entity.EntityCreationDate"
UPDATED = "Registration.LastUpdateDate"
LEVEL1_REQUIRED = (LEI, NAME, LEGAL + "City", LEGAL + "Country")
START, END = "Relationship.StartNode.NodeID", "Relationship.EndNode.NodeID"
TYPE, REL_STATUS = "Relationship.RelationshipType", "Relationship.RelationshipStatus"
REGISTRATION, VALIDATION = "Registration.RegistrationStatus", "Registration.ValidationSources"
LEVEL2_REQUIRED = (START, END, TYPE)
PERIODS = 5  # Relationship.Period.1 ... Relationship.Period.5

RELATIONS = {"IS_DIRECTLY_CONSOLIDATED_BY": "direct", "IS_ULTIMATELY_CONSOLIDATED_BY": "ultimate"}
CERTAINTY = {"FULLY_CORROBORATED": "confirmed", "PARTIALLY_CORROBORATED": "likely",
             "ENTITY_SUPPLIED_ONLY": "uncertain", "PENDING": "uncertain"}
REGISTER = Source("gleif", "GLEIF LEI golden copy (Level 1 and Level 2)",
                  url="https://www.gleif.org/en/lei-data/gleif-golden-copy")


@contextmanager
def _rows(path: Path, required: tuple[str, ...]) -> Iterator[Iterator[tuple[int, dict[str, str]]]]:
    """The rows of a golden-copy CSV (or of the one CSV inside a .zip), numbered as a spreadsheet shows them."""
    try:
        archive = zipfile.ZipFile(path) if path.suffix.lower() == ".zip" else None
        if archive is not None:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise DataErrors([DataError(str(path), None, None, f"holds {len(names)} CSV files",
                                            "Give the golden-copy .zip as GLEIF publishes it (one CSV).")])
            raw = archive.open(names[0])
        else:
            raw = open(path, "rb")
    except (OSError, zipfile.BadZipFile) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DataErrors([DataError(str(path), None, None, f"cannot be read: {why}",
                                    "Give the GLEIF golden-copy CSV file (or its .zip).")]) from None
    with raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise DataErrors([DataError(str(path), 1, c, "column is missing",
                                        "Give the golden-copy CSV as GLEIF publishes it (LEI-CDF for Level 1, "
                                        "RR-CDF for Level 2).") for c in missing])

        def numbered() -> Iterator[tuple[int, dict[str, str]]]:
            try:
                for row in reader:
                    yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
            except (csv.Error, UnicodeDecodeError) as exc:
                raise DataErrors([DataError(str(path), reader.line_num, None, f"cannot be read as CSV: {exc}",
                                            "Give the golden-copy CSV as GLEIF publishes it (UTF-8).")]) from None
        yield numbered()


def _address(row: dict[str, str], prefix: str) -> Address:
    return Address(row.get(prefix + "City", ""), row.get(prefix + "Region", ""), row.get(prefix + "Country", ""))


def _entity(path: Path, number: int, row: dict[str, str]) -> tuple[Entity, Source]:
    lei = row[LEI]
    if not LEI_FORM.fullmatch(lei):
        raise DataErrors([DataError(str(path), number, LEI, f"'{lei}' is not an LEI" if lei else "is empty",
                                    "Every Level 1 record has its LEI: 20 characters, as ISO 17442 writes it.")])
    updated = row.get(UPDATED, "")[:10]
    source = Source(f"gleif-{lei.lower()}", f"GLEIF LEI record {lei} ({row[NAME]})", section=lei,
                    url=f"https://search.gleif.org/#/record/{lei}", part_of=REGISTER.id,
                    note=f"last updated {updated}; read from {path.name}" if updated else f"read from {path.name}")
    status = {"ACTIVE": "active", "INACTIVE": "closed"}.get(row.get(STATUS, ""), "")
    created = row.get(CREATED, "")[:4]
    return Entity(lei, source.id, row[NAME] or lei, f"{path}, row {number}", legal_name=row[NAME], lei=lei,
                  headquarters=_address(row, HEADQUARTERS), registered_seat=_address(row, LEGAL),
                  founded=created if created.isdigit() else "", status=status), source


def _period(row: dict[str, str]) -> tuple[str, str]:
    """The relationship period (periodType RELATIONSHIP_PERIOD) of a Level 2 record: start, end."""
    for n in range(1, PERIODS + 1):
        prefix = f"Relationship.Period.{n}."
        if row.get(prefix + "periodType") == "RELATIONSHIP_PERIOD":
            return row.get(prefix + "startDate", "")[:10], row.get(prefix + "endDate", "")[:10]
    return "", ""


def read(level1: str | Path, level2: str | Path | None, in_region: RegionTest,
         progress: Callable[[str], None] | None = None) -> Batch:
    """Read the golden-copy files: the entities in the region and all their parents (see the module)."""
    level1, batch = Path(level1), Batch("gleif")
    say = progress or (lambda _: None)
    say(f"reading {level1.name}: entities in the region")
    entities = _entities(level1, lambda row: in_region(row.get(LEGAL + "City", ""), row.get(HEADQUARTERS + "City", "")))
    if not entities:
        batch.notes.append(f"no entity of {level1.name} has its legal or headquarters address in the region")
    relations: dict[tuple[str, str, str], tuple[Relation, Source]] = {}
    todo = set(entities)
    while level2 is not None and todo:  # one generation of parents a round, until none is new
        say(f"reading {Path(level2).name}: the parents of {len(todo):,} entities")
        parents = _parent_relations(Path(level2), todo, relations) - set(entities)
        if parents:
            say(f"reading {level1.name}: {len(parents):,} parents")
            entities.update(_entities(level1, _lei_in(parents)))
        missing = parents - set(entities)
        if missing:
            batch.notes.append(f"{len(missing)} parent LEI(s) not in {level1.name}: "
                               f"{', '.join(sorted(missing)[:5])}; their relations are left out")
        todo = parents - missing
    _choose_parents(relations)
    batch.sources.append(REGISTER)
    for entity, source in entities.values():
        batch.entities.append(entity)
        batch.sources.append(source)
    for r, source in relations.values():
        if r.child in entities and r.parent in entities:
            batch.relations.append(r)
            batch.sources.append(source)
    return batch


def _entities(level1: Path, wanted: Callable[[dict[str, str]], bool]) -> dict[str, tuple[Entity, Source]]:
    """The Level 1 records ``wanted`` picks, by LEI (one pass over the file)."""
    with _rows(level1, LEVEL1_REQUIRED) as rows:
        return {row[LEI]: _entity(level1, number, row) for number, row in rows if wanted(row)}


def _lei_in(leis: set[str]) -> Callable[[dict[str, str]], bool]:
    """A test of a Level 1 record: is its LEI one of ``leis``?"""
    return lambda row: row[LEI] in leis


def _parent_relations(level2: Path, children: set[str],
                      relations: dict[tuple[str, str, str], tuple[Relation, Source]]) -> set[str]:
    """Add the Level 2 records whose child is one of ``children`` to ``relations``; returns their parents."""
    found: set[str] = set()
    with _rows(level2, LEVEL2_REQUIRED) as rows:
        for number, row in rows:
            kind = RELATIONS.get(row[TYPE])
            if kind is None or row[START] not in children or row.get(REGISTRATION) == "ANNULLED":
                continue
            if not row[END]:
                raise DataErrors([DataError(str(level2), number, END, "is empty",
                                            "A relationship record names its parent's LEI.")])
            relations[(row[START], kind, row[END])] = _relation(level2, row)
            found.add(row[END])
    return found


def _choose_parents(relations: dict[tuple[str, str, str], tuple[Relation, Source]]) -> None:
    """Which relation makes the child's parent: kg.rules.consolidation_parent (an ultimate one standing in
    for a missing direct one is 'implied')."""
    has_direct = {c for (c, kind, _), (r, _) in relations.items() if kind == "direct" and r.status == "active"}
    for (child, kind, _), (r, _) in relations.items():
        r.makes_parent = consolidation_parent(kind, r.status == "active", child in has_direct)
        if r.makes_parent and kind == "ultimate":
            r.certainty = "implied"


def _relation(path: Path, row: dict[str, str]) -> tuple[Relation, Source]:
    """A Level 2 record: the relation (parent_relations.csv) and its source row."""
    kind = RELATIONS[row[TYPE]]
    start, end = _period(row)
    key = slug(f"gleif-rr-{row[START]}-{kind}-{row[END]}")
    active = row.get(REL_STATUS, "ACTIVE") == "ACTIVE" and not end
    updated = row.get(UPDATED, "")[:10]
    source = Source(key, f"GLEIF relationship record: {row[START]} {row[TYPE]} {row[END]}",
                    section=f"{row[START]} {row[TYPE]} {row[END]}",
                    url=f"https://search.gleif.org/#/record/{row[START]}", part_of=REGISTER.id,
                    note=f"last updated {updated}; read from {path.name}" if updated else f"read from {path.name}")
    return Relation(key, row[START], key, "accounting-consolidation", parent=row[END], relation=kind,
                    start=start, end=end, status="active" if active else "inactive",
                    certainty=CERTAINTY.get(row.get(VALIDATION, ""), "")), source
