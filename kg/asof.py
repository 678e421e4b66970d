"""The region at a date: the tables as their dated facts say they were then (``kg build --as-of DATE``).

A table declares in ``kg/tables.toml`` the columns that give the period in which its facts hold (``periods``):
a site's ``opened`` and ``closed`` and its status's ``status_since``, an organisation's ``parent_since`` and
``parent_until``, a head-count's or an event's ``year``, an observation's ``period``, a register's parent
relation's ``start`` and ``end``.  :func:`at_date` drops, before any rule runs, what does not hold on the day by
:func:`kg.rules.holds_on`: the row (a site not yet opened or already closed, a head-count, event or observation
of a later year), or the cells of the fact (an organisation's parent, with its source and certainty, not yet or
no longer in force; a site's status before it began).  The rows that name what was dropped go with it (the
head-counts and events of a site not yet opened), and a flag loses the subjects dropped.  The rules then read
what remains as always, so every derived figure is the region as the facts say it was on that day: of a firm's
head-counts those of later years are gone, and the reading chooses among the rest as it does without a date.
Facts without dates are kept: the data does not say they did not hold.

The period of an organisation's parent is given beside the parent (``parent_since``, ``parent_until``), not
taken from ``parent_relations.csv``: the rules read ``organizations.csv``'s parent, the one direct parent the
outputs use, while a register's relations (written by ``kg import``, with a register's exact ``start`` and
``end`` dates) are records beside it, which may name other parties; a study's "since 2020" is a year, with the
parent's own source.  The register's relations are filtered by their own dates all the same.

In RDF the dates are schema.org's ``schema:startDate`` and ``schema:endDate``: on the site, and on the
``bbmb:ControlRelation`` of an organisation and its parent, as the register imports already write them on a
``bbmb:ParentRelation``; one vocabulary for every dated fact, literals typed ``xsd:gYear``, ``xsd:gYearMonth``
or ``xsd:date`` (an interval of them, "1990/1999", as written), which SPARQL compares as they are.  A status's
start, which schema.org has no property for, is ``bbmb:statusSince``.  OWL-Time would say the same with an
interval node and an instant node for every fact, and PROV's ``prov:startedAtTime`` needs an ``xsd:dateTime``,
a precision no source gives.  The derived graph records the day a build is as of (``bbmb:asOf``).

    >>> from kg.tables import read_tables
    >>> then = at_date(read_tables("data"), as_of_date("2019"))           # doctest: +SKIP
    >>> "asml-oberschoeneweide" in then.tables.ids("sites")             # doctest: +SKIP
    False
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace

from .errors import InvalidArgument
from .rules import as_of_date as _as_of_date
from .rules import change_years, holds_on
from .tables import SCHEMA, TABLES, Row, Tables


def as_of_date(when: str) -> datetime.date:
    """The day ``--as-of`` names (:func:`kg.rules.as_of_date`), or :class:`kg.errors.InvalidArgument`.

    >>> as_of_date("2019-06")
    datetime.date(2019, 6, 30)
    >>> as_of_date("2019-13")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.errors.InvalidArgument: '2019-13' is not a day: there is no month 13; give a year (2019), a month ...
    """
    try:
        return _as_of_date(when)
    except ValueError as exc:
        raise InvalidArgument(f"'{when}' is not a day: {exc}; give a year (2019), a month (2019-06) or a day "
                              f"(2019-06-30)") from None


@dataclass
class AtDate:
    """The tables as of ``date``, and how many rows of each table were dropped (cells: of each table's rows
    that lost a fact, such as a parent)."""

    tables: Tables
    date: datetime.date
    dropped: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        """What was left out, in words.

        >>> AtDate(Tables(folder=None), datetime.date(2019, 12, 31), {"sites": 2}, {"organizations": 1}).describe()
        'as of 2019-12-31: left out 2 sites rows; 1 organizations rows lost a dated fact'
        """
        said = [f"left out {n:,} {t} rows" for t, n in self.dropped.items() if n]
        said += [f"{n:,} {t} rows lost a dated fact" for t, n in self.cleared.items() if n]
        return f"as of {self.date.isoformat()}: " + ("; ".join(said) or "every dated fact holds")


def _holds(row: Row, start: str, end: str, date: datetime.date) -> bool:
    return holds_on(row[start] if start else "", row[end] if end else "", date)


def _cleared(row: Row, cells: tuple[str, ...]) -> Row:
    return replace(row, values={**row.values, **dict.fromkeys(cells, "")})


def _dated(tables: Tables, date: datetime.date, result: AtDate) -> dict[str, list[Row]]:
    """Each table's rows less the facts that do not hold on ``date``."""
    rows: dict[str, list[Row]] = {}
    for name, table_rows in tables.rows.items():
        kept = []
        for row in table_rows:
            for period in TABLES[name].periods if name in TABLES else ():
                if _holds(row, period.start, period.end, date):
                    continue
                if not period.of:
                    break
                row = _cleared(row, period.of)
                result.cleared[name] = result.cleared.get(name, 0) + 1
            else:
                kept.append(row)
        result.dropped[name] = len(table_rows) - len(kept)
        rows[name] = kept
    return rows


def _gone(rows: dict[str, list[Row]], before: Tables) -> dict[str, frozenset[str]]:
    """table -> the keys it had and has no more."""
    out = {}
    for table in SCHEMA:
        if table.key:
            now = {r[table.key] for r in rows.get(table.name, ())}
            out[table.name] = frozenset(before.ids(table.name) - now)
    return out


def _without_gone(row: Row, gone: dict[str, frozenset[str]]) -> Row | None:
    """``row`` less its references to what is gone: None where a required one is (the row goes too), else
    the row with the gone keys taken out of its cells."""
    changed = {}
    for col in TABLES[row.table].columns:
        if col.kind != "ref" or not row[col.name]:
            continue
        values = row.many(col.name) if col.multi else [row[col.name]]
        left = [v for v in values if not any(v in gone.get(t, ()) for t in col.refs)]
        if len(left) == len(values):
            continue
        if col.required and not left:
            return None
        changed[col.name] = ";".join(left)
    return replace(row, values={**row.values, **changed}) if changed else row


def at_date(tables: Tables, date: datetime.date) -> AtDate:
    """``tables`` as of ``date`` (see the module's description); ``tables`` itself is not changed."""
    result = AtDate(tables, date)
    rows = _dated(tables, date, result)
    while any(gone := _gone(rows, tables)):  # until no row names what is gone (a site's head-counts ...)
        changed = False
        for name in list(rows):
            if name not in TABLES:
                continue
            kept = []
            for row in rows[name]:
                new = _without_gone(row, gone)
                changed |= new is not row
                if new is not None:
                    kept.append(new)
            result.dropped[name] += len(rows[name]) - len(kept)
            rows[name] = kept
        if not changed:
            break
    result.tables = Tables(tables.folder, rows, dict(tables.readings))
    return result


def fact_years(tables: Tables) -> list[int]:
    """The years the data has: those at which a dated fact of ``tables`` starts or ends (every table's
    ``periods``: a site's opening, closing and status, an organisation's parent, a head-count's, an event's or
    an observation's year, ...), by :func:`kg.rules.change_years`; ``[]`` where no fact is dated.  The region as
    of the end of each of them (``--as-of YEAR``) is what the pages' time slider shows.

    >>> from kg.tables import Row
    >>> sites = [Row("sites", 2, {"opened": "2024", "closed": "", "status_since": ""}),
    ...          Row("sites", 3, {"opened": "", "closed": "2020-06", "status_since": "1990/1999"})]
    >>> fact_years(Tables(None, {"sites": sites}))
    [1990, 2020, 2024]
    """
    return change_years((row[period.start], row[period.end]) for name, rows in tables.rows.items() if name in TABLES
                        for period in TABLES[name].periods for row in rows)
