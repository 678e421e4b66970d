"""Same rows everywhere: every saved query on the embedded store, Oxigraph's server and Virtuoso.

A synthetic economy of 1,000 firms (kg.synth) is built and pushed with :func:`kg.remote.push` to a
real ``oxigraph serve`` (SPARQL Update) and a real Virtuoso 7.2 (Graph Store Protocol), both started
on 127.0.0.1 for this module and stopped by process id.  Every saved query, with its defaults (and
the first synthetic firm where a firm is required), must give the same row digest
(:func:`kg.results.row_digest`: the sorted rows by content) on all three.  Then the layout: the push
manifest records the union graph, a re-push of changed data keeps the union graph equal to the
merge of the per-source graphs, and a server without the union graph (pushed by an older kg) still
answers the same rows, with a hint to push again.

Skipped only where a server cannot be installed here; in CI (``CI`` set) a missing server fails.
"""
from __future__ import annotations

import os

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

from kg.build import BuildResult, build
from kg.namespaces import RDFS
from kg.query import SavedQuery, library, run, select
from kg.remote import Endpoint, OldLayoutWarning, _manifest_ntriples, manifest_iri, push, union_iri
from kg.results import Result, row_digest, to_python
from kg.synth import synthesize
from tests.conftest import require_system_package
from tests.servers import OxigraphServer, VirtuosoServer, oxigraph, oxigraph_command, virtuoso

FIRMS = 1000
QUERIES = library()
#: kg push's time-out here: a guard against a hang, not a speed limit (a loaded machine's server is slow)
HANG_GUARD = 600


def params(query: SavedQuery) -> dict[str, str]:
    """Defaults, and the first synthetic firm where a firm is required (as benchmarks/worker.py does)."""
    return {p.name: "firm-000001" for p in query.params if p.default is None and p.kind == "org"}


@pytest.fixture(scope="module")
def economy(tmp_path_factory) -> BuildResult:
    folder = tmp_path_factory.mktemp("synth1k")
    synthesize(folder, FIRMS)
    return build(folder)


@pytest.fixture(scope="module")
def ox(tmp_path_factory, economy) -> OxigraphServer:
    if oxigraph_command() is None:
        message = "the oxigraph command is missing: pip install oxigraph (a test dependency)"
        if os.environ.get("CI"):
            pytest.fail(message + " - in CI it must be installed, not skipped")
        pytest.skip(message)
    with oxigraph(tmp_path_factory.mktemp("oxigraph")) as server:
        push(economy.store, server.sparql_url, update=server.update_url, base=economy.iris.base, timeout=HANG_GUARD)
        yield server


@pytest.fixture(scope="module")
def vt(tmp_path_factory, economy) -> VirtuosoServer:
    require_system_package("virtuoso-t", "virtuoso-opensource")
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        push(economy.store, server.auth_url, gsp=server.gsp_url, user=server.user, password=server.password,
             base=economy.iris.base, timeout=HANG_GUARD)
        yield server


def endpoints(ox: OxigraphServer, vt: VirtuosoServer, base: str) -> dict[str, Endpoint]:
    return {"oxigraph": Endpoint(ox.sparql_url, base=base), "virtuoso": Endpoint(vt.sparql_url, base=base)}


def difference(a: Result, b: Result) -> str:
    """The rows one result has and the other lacks (a few), to say what differs."""
    def rows(r: Result) -> set[str]:
        return {repr(sorted(record.items(), key=str)) for record in r.records()}
    only_a, only_b = sorted(rows(a) - rows(b))[:3], sorted(rows(b) - rows(a))[:3]
    return f"{len(a)} rows against {len(b)}; only in the first: {only_a}; only in the second: {only_b}"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_saved_query_gives_the_same_rows_on_every_engine(name, economy, ox, vt):
    query = QUERIES[name]
    local = run(query, economy.store, params(query), economy.iris)
    for server, endpoint in endpoints(ox, vt, economy.iris.base).items():
        assert endpoint.union_graph() == union_iri(economy.iris)  # the new layout: FROM <union>
        remote = run(query, endpoint, params(query), economy.iris)
        assert row_digest(remote) == row_digest(local), f"{name} on {server}: {difference(remote, local)}"


@pytest.mark.parametrize("name", sorted(n for n, q in QUERIES.items() if q.paged_by))
def test_a_page_of_a_numbered_listing_is_the_same_rows_everywhere(name, economy, ox, vt):
    """A listing the build numbered (kg/derive/listings.py), paged by its ranks: the same rows in the same
    order, and the same total, on every engine."""
    query = QUERIES[name]
    total = run(query, economy.store, params(query), economy.iris, limit=1).total
    assert total is not None and total >= 20
    size = min(40, total // 2)  # a whole page within the listing, not its first
    offset = min(30, total - size)
    local = run(query, economy.store, params(query), economy.iris, limit=size, offset=offset)
    assert len(local) == size
    for server, endpoint in endpoints(ox, vt, economy.iris.base).items():
        remote = run(query, endpoint, params(query), economy.iris, limit=size, offset=offset)
        assert remote.total == local.total, f"{name} on {server}"
        assert row_digest(remote) == row_digest(local), f"{name} on {server}: {difference(remote, local)}"
        order = [v for v in local.variables if v in ("firm", "firmA", "site", "subject", "group")][0]
        assert [r[order] for r in remote.records()] == [r[order] for r in local.records()], f"{name} on {server}"


def test_a_page_of_a_region_without_its_listing_is_empty_everywhere(economy, ox, vt):
    """A place the build made no listing for (none of the listing's rows lie there): a page names no block of
    ranks, and every engine answers no rows and a total of 0, not an error."""
    listed = {row["area"] for row in select(economy.store, """PREFIX bbmb: <https://w3id.org/bbmb/def#>
        SELECT ?area { ?listing bbmb:savedQuery "rnd-sites" ; bbmb:listingArea ?area }""")}
    places = [row["place"] for row in select(economy.store, "SELECT ?place { ?place a <https://schema.org/Place> }")]
    unlisted = sorted(p for p in places if p not in listed)
    assert listed and unlisted, "the synthetic places include some without an R&D site"
    region = {"region": unlisted[0].rsplit("/", 1)[1]}
    assert economy.iris.place(region["region"]).value == unlisted[0]
    for where, target in {"embedded": economy.store, **endpoints(ox, vt, economy.iris.base)}.items():
        page = run(QUERIES["rnd-sites"], target, region, economy.iris, limit=10)
        assert (page.total, page.rows) == (0, []), where
        assert page.variables[:2] == ["region", "site"], where


def test_the_manifest_records_the_union_graph(economy, ox, vt):
    union = union_iri(economy.iris)
    for server, endpoint in endpoints(ox, vt, economy.iris.base).items():
        manifest = endpoint.manifest()
        assert manifest is not None and manifest["state"] == "complete", server
        assert manifest["union"] == union and union not in manifest["graphs"], server
        assert sorted(manifest["graphs"]) == sorted({q.graph_name.value for q in economy.store}), server


def triples(endpoint: Endpoint, graphs: list[str]) -> set[tuple[object, ...]]:
    """The triples of the graphs on the server (no blank nodes: each graph has its own there)."""
    values = " ".join(f"<{g}>" for g in graphs)
    result = endpoint._result(endpoint._request(
        f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} "
        "FILTER(!isBlank(?s) && !isBlank(?o)) }", []))
    return {tuple(to_python(t) if isinstance(t, Literal) and t.datatype.value.endswith("#decimal") else t
                  for t in row) for row in result.rows}


def changed(store: Store, iris) -> tuple[Store, str, str]:
    """The data changed: one source's graph left out, a firm renamed, a triple added."""
    graphs = sorted({q.graph_name.value for q in store})
    gone = next(g for g in graphs if g != iris.graph("derived").value and g.startswith(iris.graph("").value))
    firm = iris.org("firm-000001")
    out = Store()
    renamed = "Renamed for the re-push test"
    for q in store:
        if q.graph_name.value == gone or (q.subject == firm and q.predicate == RDFS.label):
            continue
        out.add(q)
    out.add(Quad(firm, RDFS.label, Literal(renamed), NamedNode(iris.graph("derived").value)))
    return out, gone, renamed


@pytest.mark.parametrize("server", ["oxigraph", "virtuoso"])
def test_a_re_push_keeps_the_union_graph_in_step(server, economy, ox, vt):
    iris = economy.iris
    target = ox if server == "oxigraph" else vt
    kwargs = dict(update=ox.update_url) if server == "oxigraph" else \
        dict(gsp=vt.gsp_url, user=vt.user, password=vt.password)
    url = target.sparql_url if server == "oxigraph" else vt.auth_url
    store, gone, renamed = changed(economy.store, iris)
    try:
        report = push(store, url, base=iris.base, timeout=HANG_GUARD, **kwargs)
        assert report.dropped == [gone]
        endpoint = Endpoint(target.sparql_url, base=iris.base)
        graphs = endpoint.project_graphs()
        assert gone not in graphs
        union = endpoint.union_graph()
        assert union is not None
        assert triples(endpoint, [union]) == triples(endpoint, graphs)  # the union is the merge, no more
        assert report.union_triples == len({q.triple for q in store})
        labels = run(f'SELECT ?l WHERE {{ <{iris.org("firm-000001").value}> <{RDFS.label.value}> ?l }}',
                     endpoint).records()
        assert labels == [{"l": renamed}]
        assert row_digest(run("control-by-land", endpoint, {}, iris)) == \
            row_digest(run("control-by-land", store, {}, iris))
    finally:
        push(economy.store, url, base=iris.base, timeout=HANG_GUARD, **kwargs)  # as it was, for the other tests


def test_a_server_pushed_by_an_older_kg_answers_the_same_rows_with_a_hint(economy, ox):
    """A manifest without the union graph (an older kg's push): queries name every graph, as before."""
    from kg.remote import _update

    iris = economy.iris
    old = Endpoint(ox.sparql_url, base=iris.base)
    listed = old.project_graphs()
    m = manifest_iri(iris)
    body = _manifest_ntriples(iris, "complete", "older-kg", "2025-01-01T00:00:00", listed)
    try:
        _update(ox.update_url, f"DROP SILENT GRAPH <{m}>", None, None, 30, "digest")
        _update(ox.update_url, f"INSERT DATA {{ GRAPH <{m}> {{ {body} }} }}", None, None, 30, "digest")
        endpoint = Endpoint(ox.sparql_url, base=iris.base)
        with pytest.warns(OldLayoutWarning, match="run kg push again"):
            assert endpoint.union_graph() is None
        for name in ("control-by-land", "employment-trend", "firm-profile", "cluster-links"):
            query = QUERIES[name]
            assert row_digest(run(query, endpoint, params(query), iris)) == \
                row_digest(run(query, economy.store, params(query), iris)), name
    finally:
        push(economy.store, ox.sparql_url, update=ox.update_url, base=iris.base, timeout=HANG_GUARD)
    assert Endpoint(ox.sparql_url, base=iris.base).union_graph() == union_iri(iris)


def test_row_digest_tells_real_differences_from_lexical_ones():
    xsd = "http://www.w3.org/2001/XMLSchema#"
    one = Result(["n", "s"], [(Literal("33.3", datatype=NamedNode(xsd + "decimal")), Literal("a", language="de"))])
    same = Result(["n", "s"], [(Literal("3.33E1", datatype=NamedNode(xsd + "double")), Literal("a", language="DE"))])
    assert row_digest(one) == row_digest(same)
    for other in ([(Literal("33.4", datatype=NamedNode(xsd + "decimal")), Literal("a", language="de"))],
                  [(Literal("33.3"), Literal("a", language="de"))],  # a string is not a number
                  [(Literal("33.3", datatype=NamedNode(xsd + "decimal")), Literal("a"))],
                  [(Literal("33.3", datatype=NamedNode(xsd + "decimal")), None)],
                  [(Literal("33.3", datatype=NamedNode(xsd + "decimal")), Literal("a", language="de"))] * 2):
        assert row_digest(Result(["n", "s"], other)) != row_digest(one), other
    assert row_digest(Result(["b"], [(BlankNode("x"),)])) == row_digest(Result(["b"], [(BlankNode("y"),)]))
    assert row_digest(Result(["b"], [(NamedNode("urn:x"),)])) != row_digest(Result(["b"], [(Literal("urn:x"),)]))

