"""The saved query ``changes``: what the repository's data records as changed between two dates, the same rows on
the embedded store, Oxigraph's server and Virtuoso (the repository's data pushed to real servers on 127.0.0.1,
stopped by process id), each span read as ``kg build --as-of`` reads periods (kg.rules.period_bounds)."""
from __future__ import annotations

import pytest

from kg.cli import main
from kg.query import QueryError, load_query, run
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


#: The changes as the saved query defined them before the build listed them (a minute a page at a million firms):
#: every listed row is one of these, in this order.
DEFINITION = load_query(None, "changes", '''# param: from (date, default "1900"): the first day of the span
# param: to (date, default "2100"): the last day of the span
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX schema: <https://schema.org/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>

SELECT ?from ?to ?date ?change ?firm ?firmLabel ?subject ?subjectLabel ?detail ?source ?sourceTitle
WHERE {
  VALUES ?from { "1900"^^<http://www.w3.org/2001/XMLSchema#gYear> }  # default; kg query --param from=DATE replaces it
  VALUES ?to { "2100"^^<http://www.w3.org/2001/XMLSchema#gYear> }  # default; kg query --param to=DATE replaces it
  {
    ?subject a org:Site .
    GRAPH ?g { ?subject schema:startDate ?period }
    BIND("opened" AS ?change)
  } UNION {
    ?subject a org:Site .
    GRAPH ?g { ?subject schema:endDate ?period }
    BIND("closed" AS ?change)
  } UNION {
    GRAPH ?g { ?subject bbmb:statusSince ?period }
    OPTIONAL { ?subject bbmb:status ?status }
    BIND("status changed" AS ?change)
    BIND(CONCAT("now ", COALESCE(STR(?status), "(status not given)")) AS ?detail)
  } UNION {
    { ?relation a bbmb:ControlRelation ; bbmb:child ?subject ; bbmb:parent ?parent }
    UNION
    { ?relation a bbmb:ParentRelation ; bbmb:about ?subject OPTIONAL { ?relation bbmb:interestedParty ?parent } }
    { GRAPH ?g { ?relation schema:startDate ?period } BIND("joins " AS ?move) }
    UNION
    { GRAPH ?g { ?relation schema:endDate ?period } BIND("leaves " AS ?move) }
    OPTIONAL { ?parent rdfs:label ?parentName . FILTER(LANG(?parentName) IN ("", "en")) }
    BIND("parent changed" AS ?change)
    BIND(CONCAT(?move, COALESCE(STR(?parentName), "a parent not named")) AS ?detail)
  } UNION {
    ?event a bbmb:Event ; bbmb:concerns ?subject ; bbmb:eventKind ?kind .
    GRAPH ?g { ?event bbmb:year ?period }
    OPTIONAL { ?event schema:description ?description . FILTER(LANG(?description) = "de") }
    BIND("event" AS ?change)
    BIND(IF(BOUND(?description), CONCAT(STR(?kind), ": ", STR(?description)), STR(?kind)) AS ?detail)
  }
  BIND(STR(?period) AS ?date)
  # the period overlaps the span: it starts on or before the span's last day and ends on or after its first
  BIND(IF(CONTAINS(?date, "/"), STRBEFORE(?date, "/"), ?date) AS ?first)
  BIND(IF(CONTAINS(?date, "/"), STRAFTER(?date, "/"), ?date) AS ?last)
  BIND(IF(STRLEN(?first) < STRLEN(STR(?to)), STRLEN(?first), STRLEN(STR(?to))) AS ?startPrecision)
  BIND(IF(STRLEN(?last) < STRLEN(STR(?from)), STRLEN(?last), STRLEN(STR(?from))) AS ?endPrecision)
  FILTER(SUBSTR(?first, 1, ?startPrecision) <= SUBSTR(STR(?to), 1, ?startPrecision)
         && SUBSTR(?last, 1, ?endPrecision) >= SUBSTR(STR(?from), 1, ?endPrecision))
  OPTIONAL { ?subject org:siteOf ?siteFirm }
  BIND(COALESCE(?siteFirm, ?subject) AS ?firm)
  OPTIONAL { ?firm rdfs:label ?firmName . FILTER(LANG(?firmName) IN ("", "en")) }
  OPTIONAL { ?subject rdfs:label ?subjectName . FILTER(LANG(?subjectName) IN ("", "en")) }
  BIND(COALESCE(STR(?firmName), "") AS ?firmLabel)
  BIND(COALESCE(STR(?subjectName), "") AS ?subjectLabel)
  # the source of the graph holding the date, looked up for each change found (an OPTIONAL then a filter: as
  # a plain join, engines read every source's graph through the patterns above, minutes at 10,000 firms)
  OPTIONAL { ?g prov:wasDerivedFrom ?source . ?source dct:title ?sourceTitle . }
  FILTER(BOUND(?source))
}
ORDER BY ?date ?change ?firmLabel ?subjectLabel ?detail
''')


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
        page = run("changes", endpoint, {"from": start, "to": end}, built.iris, limit=3, offset=1)
        assert page.total == len(local) and page.rows == local.rows[1:4], name


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from kg.build import build
    from kg.synth import synthesize

    folder = tmp_path_factory.mktemp("synthetic")
    synthesize(folder / "data", 1_000, seed=5)
    return build(folder / "data")


@pytest.mark.parametrize(("start", "end"), [("1900", "2100"), *SPANS])
def test_the_changes_the_build_listed_are_those_of_their_definition_in_its_order(built, synthetic, start, end):
    """The build lists every change once, in the query's order (kg/derive/listings.py CHANGES_MEMBERS); the saved
    query gives, for any span, the rows the query's own definition gives, in its order, and a page of them."""
    for graph in (built, synthetic):
        defined = run(DEFINITION, graph.store, {"from": start, "to": end}, graph.iris)
        listed = changes(graph.store, graph.iris, start, end)
        assert row_digest(listed) == row_digest(defined)
        order = ("date", "change", "firmLabel", "subjectLabel", "detail")
        assert [[r[k] for k in order] for r in listed.records()] == \
            [[r[k] for k in order] for r in defined.records()]
        page = run("changes", graph.store, {"from": start, "to": end}, graph.iris, limit=7, offset=5)
        assert page.total == len(listed) and page.rows == listed.rows[5:12]
    assert len(run(DEFINITION, synthetic.store, {}, synthetic.iris)) > 12, "a history longer than the page"
