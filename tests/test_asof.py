"""The region at a date (``kg build --as-of``, kg/asof.py): the facts dated after the day, or ended before it,
are not in the build and no derived figure counts them; a day after every fact changes nothing."""
from __future__ import annotations

import csv
import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from kg.build import BuildResult, build
from kg.builds import find_build
from kg.cli import main
from kg.namespaces import BBMB, ORG, SCHEMA, XSD, IRIs
from kg.query import run
from kg.rules import period_bounds
from kg.tables import Tables, read_tables
from tests.conftest import DATA, ONTOLOGY

BASE = IRIs(None).base
IRI = IRIs(None)
DAY_2019 = datetime.date(2019, 12, 31)
AFTER_EVERY_FACT = datetime.date(2100, 1, 1)


@pytest.fixture(scope="module")
def tables() -> Tables:
    return read_tables(DATA)


@pytest.fixture(scope="module")
def in_2019() -> BuildResult:
    return build(DATA, ONTOLOGY, as_of=DAY_2019)


@pytest.fixture(scope="module")
def today() -> BuildResult:
    return build(DATA, ONTOLOGY)


def starts_after(value: str, day: datetime.date) -> bool:
    return bool(value) and period_bounds(value)[0] > day


def has(result: BuildResult, s: NamedNode, p: NamedNode, o: NamedNode | Literal | None = None) -> bool:
    return next(iter(result.store.quads_for_pattern(s, p, o, None)), None) is not None


def records(result: BuildResult, query: str, **params: str) -> list[dict[str, object]]:
    return run(query, result.store, params or None, result.iris).records()


# ----------------------------------------------------------------- the repository's data, 2019 and now
def test_the_data_has_dated_facts_after_2019(tables):
    """The tests below need them: the brief's plant opened at the end of 2024, the parent since 2020."""
    assert [r["id"] for r in tables["sites"] if starts_after(r["opened"], DAY_2019)]
    assert [r["id"] for r in tables["organizations"] if starts_after(r["parent_since"], DAY_2019)]


def test_a_site_opened_after_the_day_is_not_there_nor_its_jobs(tables, in_2019, today):
    later = [r["id"] for r in tables["sites"] if starts_after(r["opened"], DAY_2019)]
    for site in later:
        node = IRI.site(site)
        assert has(today, node, ORG.siteOf) and not has(in_2019, node, ORG.siteOf)
        assert not has(in_2019, node, BBMB.employees)
        assert not list(in_2019.store.quads_for_pattern(None, None, node, None)), f"{site} is still named"
    jobs_then = {r["subject"]: r for r in records(in_2019, "firm-facts")}
    jobs_now = {r["subject"]: r for r in records(today, "firm-facts")}
    for site in later:
        assert IRI.site(site).value in jobs_now and IRI.site(site).value not in jobs_then


def test_a_parent_not_yet_in_force_is_not_the_parent_and_control_is_decided_without_it(tables, in_2019, today):
    later = [r for r in tables["organizations"] if starts_after(r["parent_since"], DAY_2019)]
    for row in later:
        child, parent = IRI.org(row["id"]), IRI.org(row["parent"])
        assert has(today, child, ORG.subOrganizationOf, parent)
        assert not has(in_2019, child, ORG.subOrganizationOf)
        assert has(today, child, BBMB.controlledBy, parent) and not has(in_2019, child, BBMB.controlledBy, parent)
        # the period is on the control relation, as a register's parent relation has it
        relation = IRI.control(row["id"])
        assert has(today, relation, SCHEMA.startDate, Literal(row["parent_since"], datatype=XSD.gYear))


def test_head_counts_of_later_years_are_left_out(tables, in_2019, today):
    later_sites = {r["id"] for r in tables["sites"] if starts_after(r["opened"], DAY_2019)}
    left_out = [r for r in tables["headcounts"] if starts_after(r["year"], DAY_2019) or r["subject"] in later_sites]
    assert left_out

    def counts(result: BuildResult) -> int:
        return len(list(result.store.quads_for_pattern(None, SCHEMA.numberOfEmployees, None, None)))

    def years(result: BuildResult) -> list[int]:
        return [int(q.object.value) for q in result.store.quads_for_pattern(None, BBMB.referenceYear, None, None)]
    assert counts(today) - counts(in_2019) == len(left_out)
    assert all(year <= 2019 for year in years(in_2019)) and any(year > 2019 for year in years(today))


def test_the_headline_is_the_region_as_the_facts_say_it_was(in_2019, today):
    then = {r["area"]: r for r in records(in_2019, "control-summary")}
    now = {r["area"]: r for r in records(today, "control-summary")}
    berlin = IRI.place("berlin").value
    # ASML Berlin is run from Veldhoven now, from Berlin before ASML bought it
    assert then[berlin]["firmsOutside"] == now[berlin]["firmsOutside"] - 1
    assert then[berlin]["jobs"] < now[berlin]["jobs"]


def test_a_status_holds_from_its_start_even_where_the_source_is_vague(tables, today):
    """The brief's "converted at the end of the 1990s" is recorded as 1990/1999: the status holds from 1990."""
    vague = [r for r in tables["sites"] if "/" in r["status_since"]]
    assert vague
    before = build(DATA, ONTOLOGY, as_of=period_bounds(vague[0]["status_since"])[0] - datetime.timedelta(days=1))
    first_day = build(DATA, ONTOLOGY, as_of=period_bounds(vague[0]["status_since"])[0])
    for row in vague:
        site = IRI.site(row["id"])
        assert has(today, site, BBMB.statusSince, Literal(row["status_since"]))
        assert has(first_day, site, BBMB.status) and not has(before, site, BBMB.status)
        assert has(before, site, ORG.siteOf)  # the site itself has no dates: it is there


def test_the_derived_graph_records_the_day(in_2019, today):
    graph = IRI.graph("derived")
    assert has(in_2019, graph, BBMB.asOf, Literal("2019-12-31", datatype=XSD.date))
    assert not has(today, graph, BBMB.asOf)


def test_a_day_after_every_fact_changes_nothing(today):
    later = build(DATA, ONTOLOGY, as_of=AFTER_EVERY_FACT)
    graph, derived_comment = IRI.graph("derived"), NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")

    def facts(result: BuildResult) -> set[Quad]:
        """The quads, less the two that say the day, and the ontology's blank nodes (new ones each parse)."""
        return {q for q in result.store if not (q.subject == graph and q.predicate in (BBMB.asOf, derived_comment))
                and not isinstance(q.subject, BlankNode) and not isinstance(q.object, BlankNode)}
    assert len(later.store) == len(today.store) + 1  # bbmb:asOf
    assert facts(later) == facts(today)
    for query in ("control-summary", "firm-facts", "decision-centres"):
        assert records(later, query) == records(today, query)


# ----------------------------------------------------------------- the command line and the build in out/
def test_kg_build_as_of_is_used_by_a_query_as_of_the_same_day_only(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", "--as-of", "2019", "--out", str(out), "--no-validate"]) == 0
    err = capsys.readouterr().err
    assert "as of 2019-12-31: left out" in err
    assert find_build(out, DATA, ONTOLOGY, BASE, "primary", DAY_2019).usable
    assert find_build(out, DATA, ONTOLOGY, BASE, "primary", datetime.date(2019, 12, 30)).usable is False
    other = find_build(out, DATA, ONTOLOGY, BASE, "primary")
    assert not other.usable and "it was built as of 2019-12-31, not from every fact" in other.reason
    # 2019-12 means the same day (a month's last day): the build is used; June 2019 is another build
    assert main(["query", "control-summary", "--build", str(out), "--as-of", "2019-12", "--format", "csv"]) == 0
    assert f"using the build in {out} (" in capsys.readouterr().err
    assert main(["query", "control-summary", "--build", str(out), "--as-of", "2019-06", "--format", "csv"]) == 0
    assert "it was built as of 2019-12-31, not as of 2019-06-30" in capsys.readouterr().err


@pytest.mark.parametrize("value,message", [
    ("2019-13", "'2019-13' is not a day: there is no month 13"),
    ("2024-02-30", "'2024-02-30' is not a day: there is no day 2024-02-30"),
    ("2014/2024", "'2014/2024' is not a day: '2014/2024' is not a year, a month or a day"),
    ("last year", "'last year' is not a day"),
])
def test_a_malformed_as_of_is_a_clear_error(tmp_path, value, message):
    done = subprocess.run([sys.executable, "-m", "kg", "build", "--as-of", value, "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path.parent)
    assert done.returncode == 2
    assert message in done.stderr and "give a year (2019), a month (2019-06) or a day (2019-06-30)" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


# ----------------------------------------------------------------- the tables' period columns
def set_cell(path: Path, key: str, column: str, value: str) -> int:
    """Set one cell of the row whose first cell is ``key``; returns its spreadsheet row number."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(column)
    number = next(n for n, row in enumerate(rows, start=1) if row[0] == key)
    rows[number - 1][col] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return number


def build_errors(data: Path, capsys) -> tuple[int, str]:
    code = main(["build", "--data", str(data), "--out", str(data.parent / "out")])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("table,key,column,value,message", [
    ("sites", "otis-berlin", "opened", "2024-13", "'2024-13' is not a period: there is no month 13"),
    ("sites", "otis-berlin", "closed", "Ende 2024", "'Ende 2024' is not a period: it has the wrong form"),
    ("organizations", "otis", "parent_until", "2024-02-30", "'2024-02-30' is not a period: there is no day"),
])
def test_a_bad_period_names_file_row_and_field(data_copy, capsys, table, key, column, value, message):
    row = set_cell(data_copy / f"{table}.csv", key, column, value)
    code, err = build_errors(data_copy, capsys)
    assert code == 2
    assert f"{table}.csv, row {row}, field '{column}': {message}" in err
    assert "a day (2024-11-30)" in err  # what to write instead


def test_a_site_closed_before_it_opened_is_named(data_copy, capsys):
    set_cell(data_copy / "sites.csv", "otis-berlin", "opened", "2010")
    row = set_cell(data_copy / "sites.csv", "otis-berlin", "closed", "2005-06")
    code, err = build_errors(data_copy, capsys)
    assert code == 2 and f"sites.csv, row {row}, field 'closed': 2005-06 is before opened 2010" in err


def test_a_parent_period_needs_the_parent(data_copy, capsys):
    row = set_cell(data_copy / "organizations.csv", "asml-holding", "parent_since", "2020")
    code, err = build_errors(data_copy, capsys)
    assert code == 2
    assert f"organizations.csv, row {row}, field 'parent_since': gives a period of parent, which is empty" in err


def test_a_closed_site_is_left_out_after_it_closed_and_there_before(data_copy):
    set_cell(data_copy / "sites.csv", "otis-berlin", "closed", "2021-06")
    site = IRI.site("otis-berlin")
    assert has(build(data_copy, ONTOLOGY, as_of=datetime.date(2021, 6, 30)), site, ORG.siteOf)
    later = build(data_copy, ONTOLOGY, as_of=datetime.date(2021, 7, 1))
    assert not has(later, site, ORG.siteOf) and not has(later, site, BBMB.employees)
    assert has(build(data_copy, ONTOLOGY), site, SCHEMA.endDate, Literal("2021-06", datatype=XSD.gYearMonth))


def test_a_data_folder_without_the_period_columns_still_builds(data_copy, capsys):
    for table, columns in (("sites", ("opened", "closed", "dates_source")),
                           ("organizations", ("parent_since", "parent_until"))):
        path = data_copy / f"{table}.csv"
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        kept = [c for c in rows[0] if c not in columns]
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, kept, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    assert main(["build", "--data", str(data_copy), "--as-of", "2019", "--out", str(data_copy.parent / "out"),
                 "--no-validate"]) == 0
    # undated, the plant of 2024 is there in 2019: a fact without dates always holds
    assert "sites rows" not in capsys.readouterr().err


def test_the_shapes_refuse_a_second_start_date_and_name_the_row(data_copy):
    from kg.validate import validate

    set_cell(data_copy / "sites.csv", "otis-berlin", "opened", "1957")
    result = build(data_copy, ONTOLOGY)
    assert validate(result) == []
    site = IRI.site("otis-berlin")
    result.store.add(Quad(site, SCHEMA.startDate, Literal("1960", datatype=XSD.gYear), IRI.graph("brief-berlin")))
    violations = [str(v) for v in validate(result)]
    assert len(violations) == 1 and "a fact starts once" in violations[0] and "sites.csv, row" in violations[0]
