"""Match a register's :class:`~kg.importers.model.Batch` to a data folder and write its rows, as one set.

Matching, in this order, never a silent merge:

1. the organisation a previous import of the same record made (its ``source`` is the record's source);
2. the same LEI (``lei``), then the same Wikidata id (``wikidata``);
3. the analyst's decision in ``review.csv`` (``accept``: the candidate row is the entity; ``reject``: it is not);
4. the same name (legal forms, case and punctuation aside) and a compatible place (the same, or one of
   them unknown): *uncertain*, so the entity is not imported but written to ``review.csv`` for the
   analyst, with the candidate; the next import honours the decision;
5. otherwise a new row.

A matched row keeps what it says.  An empty cell is filled under the record's source (its companion
column); where the register says otherwise, both stay: another headquarters goes into
alternative_places.csv as a stated decision centre (so the readings and ranges take it up), another
parent into parent_relations.csv (always written), and a flag row (kind ``differs``) names the two.
A register's head-counts go into headcounts.csv beside those of other sources (each under its own).
A parent that would make a chain of parents circular is not set (both relations stay in
parent_relations.csv) and flagged ``circular``.  Running the same import again adds nothing.
"""
from __future__ import annotations

import csv
import io
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..files import replaced_together
from ..rules import ownership_cycle
from ..tables import TABLES, DataError, DataErrors, Tables, read_tables
from .model import Address, Batch, Entity, normal_name, slug
from .places import Places

#: The tables an import may change, and the review table.
WRITES = ("sources", "places", "organizations", "parent_relations", "headcounts", "classifications",
          "alternative_places", "flags")
REVIEW = "review.csv"
REVIEW_COLUMNS = ("register", "record", "name", "place", "candidate", "evidence", "decision", "note")


@dataclass
class Report:
    """What an import did, in counts and lines for the analyst."""

    counts: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)


class _Folder:
    """The tables of a data folder as lists of dicts (header order kept), changed in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.header: dict[str, list[str]] = {}
        self.rows: dict[str, list[dict[str, str]]] = {}
        #: How each file is written, kept as found: separator, line end, byte-order mark.
        self.form: dict[str, tuple[str, str, str]] = {}
        #: Per table, each row read as (its cells then, its text in the file): a row the import leaves
        #: alone is written back as it was, quotes and all, so that a diff shows only what changed.
        self.original: dict[str, dict[int, tuple[dict[str, str], str]]] = {}
        self.header_text: dict[str, str] = {}
        for name in WRITES:
            self._read(name, [c.name for c in TABLES[name].columns])
        self._read("review", list(REVIEW_COLUMNS), REVIEW)
        self._read("subsectors", [c.name for c in TABLES["subsectors"].columns])  # read only: the codes known

    def _read(self, name: str, default: list[str], file: str = "") -> None:
        path = self.folder / (file or f"{name}.csv")
        self.form[name] = (",", "\n", "")
        if not path.exists():
            self.header[name], self.rows[name] = list(default), []
            return
        raw = path.read_bytes().decode("utf-8")
        text = raw.removeprefix("\ufeff")
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self.form[name] = (delimiter, "\r\n" if first.endswith("\r") else "\n", "\ufeff" if raw != text else "")
        lines = text.splitlines(keepends=True)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        self.header_text[name] = "".join(lines[:reader.line_num])
        self.header[name], self.rows[name], self.original[name] = header, [], {}
        done = reader.line_num
        for cells in reader:
            if not "".join(cells).strip():
                done = reader.line_num
                continue
            row = {h: c.strip() for h, c in zip(header, cells, strict=False)}
            self.original[name][id(row)] = (dict(row), "".join(lines[done:reader.line_num]))
            self.rows[name].append(row)
            done = reader.line_num
        for column in default:  # a column added to the table since the file was made (lei, lei_source)
            if column not in self.header[name]:
                self.header[name].append(column)

    def text(self, name: str) -> str:
        delimiter, line_end, bom = self.form[name]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, self.header[name], delimiter=delimiter, lineterminator=line_end,
                                extrasaction="ignore")
        original = self.original.get(name, {})
        same_header = name in self.header_text and len(self.header[name]) == len(
            next(csv.reader([self.header_text[name]], delimiter=delimiter), []))
        buffer.write(bom)
        if same_header:
            buffer.write(self.header_text[name])
        else:
            writer.writeheader()
        for row in self.rows[name]:
            before = original.get(id(row))
            if same_header and before is not None and before[0] == row and before[1].endswith("\n"):
                buffer.write(before[1])
            else:
                writer.writerow(row)
        return buffer.getvalue()

    def file(self, name: str) -> str:
        return REVIEW if name == "review" else f"{name}.csv"


class _Parents(Mapping[str, str]):
    """organisation id -> its parent, read from the organisations' rows as they change (for kg.rules)."""

    def __init__(self, orgs: dict[str, dict[str, str]]) -> None:
        self.orgs = orgs

    def __getitem__(self, org: str) -> str:
        return self.orgs[org].get("parent", "")

    def __iter__(self) -> Iterator[str]:
        return iter(self.orgs)

    def __len__(self) -> int:
        return len(self.orgs)


def _many(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


class _Merger:
    def __init__(self, folder: _Folder, batch: Batch) -> None:
        self.f, self.batch, self.report = folder, batch, Report()
        self.places = Places(folder.rows["places"])
        self.orgs: dict[str, dict[str, str]] = {}
        #: Indexes of the organisations: by (kind, value) with kind source, lei, wikidata or name.
        self.index: dict[tuple[str, str], list[str]] = {}
        for row in folder.rows["organizations"]:
            self.remember(row)
        self.ids: dict[str, str] = {}  # Entity.key -> organisation id
        self.pending: set[str] = set()  # Entity.key waiting for the analyst's review
        self.reviewed = {(r["register"], r["record"]): r for r in folder.rows["review"]}
        self.seen: dict[str, dict[object, dict[str, str]]] = {}  # table -> identity -> row (see add)

    # ------------------------------------------------------------------ rows
    def remember(self, row: dict[str, str]) -> None:
        """Put an organisation (new, or with a new identifier) into the indexes that matching uses."""
        self.orgs[row["id"]] = row
        keys = [("source", s) for s in _many(row.get("source", ""))]
        keys += [(c, row[c]) for c in ("lei", "wikidata") if row.get(c)]
        keys += [("name", normal_name(row[c])) for c in ("name", "legal_name") if row.get(c)]
        for key in keys:
            ids = self.index.setdefault(key, [])
            if row["id"] not in ids:
                ids.append(row["id"])

    def found(self, kind: str, value: str) -> list[dict[str, str]]:
        return [self.orgs[i] for i in self.index.get((kind, value), [])] if value else []

    def _identity(self, table: str, row: dict[str, str]) -> str | tuple[tuple[str, str], ...]:
        """What makes a row the same row: its key, or (a table without one) all its cells."""
        key = TABLES[table].key
        return row.get(key, "") if key else tuple(sorted((k, v) for k, v in row.items() if v))

    def _there(self, table: str) -> dict[object, dict[str, str]]:
        if table not in self.seen:
            self.seen[table] = {self._identity(table, r): r for r in self.f.rows[table]}
        return self.seen[table]

    def add(self, table: str, row: dict[str, str]) -> bool:
        """Add ``row`` unless the same row (by key, or by its cells) is there."""
        there, identity = self._there(table), self._identity(table, row)
        if identity in there:
            return False
        there[identity] = row
        self.f.rows[table].append(row)
        return True

    def source(self, row: dict[str, str]) -> None:
        """Add a register record's source row, or bring one an earlier import wrote up to date."""
        old = self._there("sources").get(row["id"])
        if old is None:
            self.add("sources", row)
            self.report.counts["sources added"] += 1
        elif old.get("kind") == "register" and any(old.get(k, "") != v for k, v in row.items()):
            old.update(row)
            self.report.counts["sources updated"] += 1

    def flag(self, kind: str, subjects: list[str], description: str, source: str) -> None:
        key = slug(f"import-{kind}-{'-'.join(subjects)}-{source}")[:120].strip("-")
        if self.add("flags", {"id": key, "kind": kind, "subjects": ";".join(subjects),
                              "description": description, "source": source}):
            self.report.counts["flags"] += 1

    # ------------------------------------------------------------------ entities
    def match(self, e: Entity) -> tuple[str | None, str]:
        """The organisation ``e`` is, and how it was found ('' when new; None when it awaits review).

        In this order: the row an earlier import of the same record made, the LEI, the Wikidata id, the
        analyst's decision in review.csv; a name alone is never a match, only a candidate for review."""
        for kind, value in (("record", e.source), ("lei", e.lei), ("wikidata", e.wikidata)):
            for row in self.found("source" if kind == "record" else kind, value):
                return row["id"], kind
        decided = self.reviewed.get((self.batch.register, e.key))
        if decided and decided["decision"] == "accept" and decided["candidate"] in self.orgs:
            return decided["candidate"], "review"
        if decided and decided["decision"] == "reject":
            return "", "review"
        candidate = self._namesake(e)
        if candidate is None:
            return "", ""
        if not decided:
            row, evidence = candidate
            self.f.rows["review"].append({
                "register": self.batch.register, "record": e.key, "name": e.legal_name or e.name,
                "place": ", ".join(a.city or a.country for a in (e.headquarters, e.registered_seat) if a),
                "candidate": row["id"], "evidence": evidence, "decision": "",
                "note": "accept: the record is this organisation; reject: it is another one"})
        return None, "review"

    def _namesake(self, e: Entity) -> tuple[dict[str, str], str] | None:
        """An organisation of the same normalised name not known to be elsewhere, and the evidence."""
        ours = {self.places.city(a.city, self.places.country(a.country, a.country_name))
                for a in (e.headquarters, e.registered_seat) if a.city} - {None}
        for row in self.found("name", normal_name(e.legal_name or e.name)):
            theirs = {row.get("headquarters", ""), row.get("registered_seat", "")} - {""}
            if theirs and ours and not theirs & ours:
                continue  # a namesake elsewhere
            return row, "name and place" if theirs & ours else "name (place unknown on one side)"
        return None

    def entity(self, e: Entity, parents: set[str]) -> None:
        found, how = self.match(e)
        if found is None:
            self.pending.add(e.key)
            self.report.counts["awaiting review"] += 1
            return
        if found:
            self.ids[e.key] = found
            self.report.counts[f"matched by {how}"] += 1
            self.update(self.orgs[found], e)
            self.remember(self.orgs[found])
            return
        key, n = slug(e.name), 1
        while key in self.orgs:
            n += 1
            key = f"{slug(e.name)}-{n}"
        row = {"id": key, "name": e.name, "types": "group" if e.key in parents else "legal-entity", "source": e.source}
        self.f.rows["organizations"].append(row)
        self.ids[e.key] = key
        self.report.counts["organisations added"] += 1
        self.update(row, e)
        self.remember(row)

    def update(self, row: dict[str, str], e: Entity) -> None:
        """Fill empty cells of ``row`` from ``e``; keep both where they differ."""
        src = e.source
        own = src in _many(row.get("source", ""))

        def fill(column: str, value: str, companion: str) -> None:
            """Set an empty cell under the record's source; where the row says otherwise, keep it and say so."""
            if not value or row.get(column) == value:
                return
            if row.get(column):
                self.report.counts["cells kept where the register differs"] += 1
                self.report.lines.append(f"{row['id']}: kept {column} '{row[column]}' of the tables; "
                                         f"{self.batch.register} ({src}) gives '{value}'")
                return
            row[column] = value
            if not own:
                row[companion] = ";".join(_many(row.get(companion, "")) + [src])

        fill("legal_name", e.legal_name, "legal_name_source")
        fill("lei", e.lei, "lei_source")
        fill("wikidata", e.wikidata, "wikidata_source")
        fill("founded", e.founded, "founded_source")
        fill("status", e.status, "status_source")
        hq, seat = self.places.resolve(e.headquarters, src), self.places.resolve(e.registered_seat, src)
        if not (row.get("headquarters") or row.get("registered_seat")):
            row["headquarters"], row["registered_seat"] = hq, seat if seat != hq else ""
            if hq or seat:  # a required companion: named even where it is the row's source
                row["headquarters_source"] = src
        elif hq and hq not in (row.get("headquarters"), row.get("registered_seat")):
            if self.add("alternative_places", {
                    "subject": row["id"], "aspect": "decision-centre", "place": hq, "place_source": src,
                    "basis": "stated", "quote": "", "source": src,
                    "note": f"Headquarters as {self.batch.register} records it; organizations.csv says "
                            f"{row.get('headquarters') or row.get('registered_seat')}"}):
                self.flag("differs", [row["id"]], f"{self.batch.register} places the headquarters in {hq}; "
                          f"organizations.csv in {row.get('headquarters') or row.get('registered_seat')}. "
                          "Both are kept (alternative_places.csv)", src)

    # ------------------------------------------------------------------ relations
    def relations(self) -> None:
        for r in self.batch.relations:
            if r.child in self.pending or r.parent in self.pending:
                self.report.counts["relations waiting for review"] += 1
                continue
            child, parent = self.ids.get(r.child), self.ids.get(r.parent) if r.parent else ""
            if child is None or parent is None:
                self.report.counts["relations to records not imported"] += 1
                continue
            cells = {c.name: str(getattr(r, c.name)) for c in TABLES["parent_relations"].columns}
            cells.update(child=child, parent=parent)
            if self.add("parent_relations", cells):
                self.report.counts["parent relations added"] += 1
            if r.makes_parent and parent:
                self.set_parent(child, parent, r.source, r.certainty)

    def set_parent(self, child: str, parent: str, source: str, certainty: str) -> None:
        row = self.orgs[child]
        if row.get("parent") == parent:
            return
        if row.get("parent"):
            self.flag("differs", [child, parent, row["parent"]],
                      f"{self.batch.register} records {parent} as the parent of {child}; organizations.csv gives "
                      f"{row['parent']}. Both are kept (parent_relations.csv)", source)
            return
        if cycle_ids := ownership_cycle(child, parent, _Parents(self.orgs)):
            cycle = " -> ".join(cycle_ids)
            self.report.lines.append(
                f"circular ownership: {cycle}; both relations are kept in parent_relations.csv, and the "
                f"parent of {child} is left empty so that no organisation is its own ultimate parent")
            self.flag("circular", [child, parent], f"Circular ownership in {self.batch.register}: {cycle}. The "
                      f"parent of {child} is not set, so that no organisation is its own ultimate parent", source)
            return
        row["parent"], row["parent_source"] = parent, source
        row["parent_certainty"] = certainty
        types = _many(self.orgs[parent].get("types", ""))
        if types == ["legal-entity"]:  # a register's entity that turns out to be a parent: a group
            self.orgs[parent]["types"] = "group"
        self.report.counts["parents set"] += 1

    def headcounts(self) -> None:
        """A register's head-counts, each a row under its record's source (beside those of other sources)."""
        for h in self.batch.headcounts:
            org = self.ids.get(h.entity)
            if org is None:
                why = "waiting for review" if h.entity in self.pending else "of records not imported"
                self.report.counts[f"head-counts {why}"] += 1
                continue
            if self.add("headcounts", {"subject": org, "value": h.value, "approx": "exact", "year": h.year,
                                       "source": h.source, "note": h.note}):
                self.report.counts["head-counts added"] += 1

    def classifications(self) -> None:
        """A register's industry codes, each as the most detailed subsector of subsectors.csv it falls in (28.22
        into 28.22, else 28.2, else 28; basis 'stated', under the record's source); a code of no subsector there
        is counted, not added (add the subsector to subsectors.csv, and import again)."""
        known = {r["code"] for r in self.f.rows["subsectors"]}
        for c in self.batch.classifications:
            org = self.ids.get(c.entity)
            code = next((c.code[:n] for n in range(len(c.code), 0, -1) if c.code[:n] in known), "")
            if org is None or not code:
                self.report.counts["industry codes of no subsector in subsectors.csv" if org else
                                   "industry codes of records not imported"] += 1
                continue
            if self.add("classifications", {"org": org, "code": code, "basis": "stated", "source": c.source}):
                self.report.counts["classifications added"] += 1

    # ------------------------------------------------------------------ all
    def run(self) -> Report:
        parents = {r.parent for r in self.batch.relations if r.parent}
        for e in self.batch.entities:
            self.entity(e, parents)
        self.relations()
        self.headcounts()
        self.classifications()
        # a source row for every record some row now names (and for the file or register it is part of)
        named = {s for table in WRITES for r in self.f.rows[table] for c, v in r.items()
                 if c == "source" or c.endswith("_source") for s in _many(v or "")}
        wanted = named | {s.part_of for s in self.batch.sources if s.id in named}
        for s in self.batch.sources:
            if s.id in wanted:
                self.source({"id": s.id, "kind": "register", "title": s.title, "section": s.section, "url": s.url,
                             "part_of": s.part_of, "note": s.note})
        for what, n in sorted(self.batch.skipped.items()):
            self.report.lines.append(f"skipped {n} {what}")
        self.report.lines.extend(self.batch.notes)
        if self.pending:
            self.report.lines.append(f"{len(self.pending)} record(s) match an organisation by name only: see "
                                     f"{self.f.folder / REVIEW}, write accept or reject in 'decision', "
                                     "and import again")
        return self.report


def merge(folder: str | Path, batch: Batch) -> Report:
    """Match ``batch`` to the data folder ``folder`` and write its rows; the tables switch as one set.

    The folder must read cleanly before (its errors are raised as :class:`~kg.tables.DataErrors`) and
    after: the changed tables are checked in a copy first.  The changed files are written into a
    generation of the folder (:func:`kg.files.replaced_together`, which also keeps a second import out
    until this one is done) and renamed into place together, as plain files; on any error the folder
    stays as it was.
    """
    folder = Path(folder)
    if not folder.is_dir():
        read_tables(folder)  # raises: no such folder, or a file in its place (an input error, not an output one)
    with replaced_together(folder, choose="import into a writable copy of the folder") as gen:
        _check_plain(folder, read_tables(folder))
        tables = _Folder(folder)
        report = _Merger(tables, batch).run()
        texts = {}
        for name in (*WRITES, "review"):
            path = folder / tables.file(name)
            text = tables.text(name)
            if (path.exists() or tables.rows[name]) and (
                    not path.exists() or path.read_bytes().decode("utf-8") != text):
                texts[name] = text
        _check(folder, tables, texts, gen / ".check")  # in the folder itself: the import needs no other place
        for name, text in texts.items():
            (gen / tables.file(name)).write_text(text, encoding="utf-8")
    report.counts["tables written"] = len(texts)
    return report


def _check_plain(folder: Path, read: Tables) -> None:
    """Refuse to write into tables kept otherwise than as UTF-8 CSV with decimal dots, the form the import writes
    (a workbook's sheet would be left behind by a CSV file; a German number, read again after a dot-decimal one
    was added, could change its meaning)."""
    kept = [f"{name}: {read.readings[name]}" for name in (*WRITES, "review") if name in read.readings]
    if kept:
        raise DataErrors([DataError(str(folder), None, None, "kg import writes its tables as UTF-8 CSV with "
                                    "decimal dots, but " + "; ".join(kept),
                                    "Save those tables as 'CSV UTF-8' (comma-separated) first, then import.")])


def _check(folder: Path, tables: _Folder, texts: dict[str, str], scratch: Path) -> None:
    """Read the tables as they would be after the import (in ``scratch``, a new folder); raise its errors,
    naming the folder's files."""
    scratch.mkdir()
    for table in TABLES.values():
        if (folder / table.file).exists():
            shutil.copyfile(folder / table.file, scratch / table.file)
    for name, text in texts.items():
        (scratch / tables.file(name)).write_text(text, encoding="utf-8")
    try:
        read_tables(scratch, note=lambda _: None)  # the folder's own read said what it lacks
    except DataErrors as exc:
        raise DataErrors([DataError(e.file.replace(str(scratch), str(folder)), e.row, e.field,
                                    f"the import would make this error: {e.message}", e.hint, e.letter)
                          for e in exc.errors]) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


__all__ = ["Address", "Report", "merge"]
