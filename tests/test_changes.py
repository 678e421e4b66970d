"""The saved query ``changes``: what the repository's data records as changed between two dates, the same rows on
the embedded store, Oxigraph's server and Virtuoso (the repository's data pushed to real servers on 127.0.0.1,
stopped by process id), each span read as ``kg build --as-of`` reads periods (kg.rules.period_bounds)."""
from __future__ import annotations

import pytest

from kg.cli import main
from kg.query import QueryError, run
from kg.remote import Endpoint, push
from kg.results import Result, row_digest
from kg.rules import period_bounds
from tests.conftest import require_system_package
from tests.servers import oxigraph, virtuoso

#: spans of years, months and days, as ``--param from=... --param to=...`` give them
SPANS = [("2019", "2025"), ("1990", "2000"), ("2024-06", "2024-06"), ("2020-12-31", "2021"), ("2025-01-01", "2100"),
         ("1999-12", "2020-01-01")]
#: a guard against a hang, not a speed limit
HANG_GUARD = 600


def changes(target, iris, start: str, end: str) -> Result:
    return run("changes", target, {"from": start, "to": end}, iris)


def rows(result: Result) -> set[tuple[str, str, str]]:
    """(change, subject, date) of each row."""
    return {(r["change"], str(r["subject"]), str(r["date"])) for r in result.records()}


def test_2019_to_2025_lists_the_second_asml_site_not_the_schindler_conversion(built):
    asml_site = built.iris.site("asml-oberschoeneweide").value
    schindler_site = built.iris.site("schindler-berlin").value
    recent = changes(built.store, built.iris, "2019", "2025")
    assert ("opened", asml_site, "2024") in rows(recent)
    assert not any(subject == schindler_site for _, subject, _ in rows(recent))
    record = next(r for r in recent.records() if r["change"] == "opened" and str(r["subject"]) == asml_site)
    assert str(record["firm"]) == built.iris.org("asml-berlin").value and record["source"]
    # the parent ASML Berlin joined in 2020 (organizations.csv: parent_since)
    assert ("parent changed", built.iris.org("asml-berlin").value, "2020") in rows(recent)

    nineties = changes(built.store, built.iris, "1990", "2000")
    assert ("status changed", schindler_site, "1990/1999") in rows(nineties)
    assert not any(subject == asml_site for _, subject, _ in rows(nineties))


@pytest.mark.parametrize(("start", "end"), SPANS)
def test_a_span_lists_the_changes_whose_period_overlaps_it(built, start, end):
    """Every change of the whole history whose period (from its first to its last day) meets the span, and no
    other: the query's comparison of text cut to a common precision is kg.rules.period_bounds's reading."""
    everything = run("changes", built.store, {}, built.iris)
    assert len(everything) > len(SPANS)
    first, last = period_bounds(start)[0], period_bounds(end)[1]
    want = {r for r in rows(everything) if period_bounds(r[2])[0] <= last and period_bounds(r[2])[1] >= first}
    assert rows(changes(built.store, built.iris, start, end)) == want


def test_a_date_that_is_no_day_is_refused_naming_the_parameter(built, capsys):
    with pytest.raises(QueryError, match=r"parameter 'from' \(date\): '2019-13' is not a date"):
        changes(built.store, built.iris, "2019-13", "2025")
    assert main(["query", "changes", "--param", "to=Ende 2024"]) == 2
    assert "parameter 'to' (date): 'Ende 2024' is not a date" in capsys.readouterr().err


@pytest.fixture(scope="module")
def servers(built, tmp_path_factory):
    """The repository's graph on a real ``oxigraph serve`` and a real Virtuoso, as kg push leaves it."""
    require_system_package("virtuoso-t", "virtuoso-opensource")
    with oxigraph(tmp_path_factory.mktemp("oxigraph")) as ox, virtuoso(tmp_path_factory.mktemp("virtuoso")) as vt:
        push(built.store, ox.sparql_url, update=ox.update_url, base=built.iris.base, timeout=HANG_GUARD)
        push(built.store, vt.auth_url, gsp=vt.gsp_url, user=vt.user, password=vt.password, base=built.iris.base,
             timeout=HANG_GUARD)
        yield {"oxigraph": Endpoint(ox.sparql_url, base=built.iris.base),
               "virtuoso": Endpoint(vt.sparql_url, base=built.iris.base)}


@pytest.mark.parametrize(("start", "end"), [("1900", "2100"), *SPANS])
def test_every_server_lists_the_same_changes(built, servers, start, end):
    local = changes(built.store, built.iris, start, end)
    for name, endpoint in servers.items():
        remote = changes(endpoint, built.iris, start, end)
        assert row_digest(remote) == row_digest(local), f"{name}: {sorted(rows(remote) ^ rows(local))[:5]}"
        assert [r["date"] for r in remote.records()] == [r["date"] for r in local.records()]  # in order
