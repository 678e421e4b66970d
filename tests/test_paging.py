"""Listings a page at a time: kg.query.run(limit=, offset=) and kg query --limit/--offset."""
from __future__ import annotations

import pytest

from kg.build import build
from kg.cli import main
from kg.namespaces import IRIs
from kg.query import QUERIES_DIR, counted, library, load_query, paged, run

LISTINGS = ["firms-by-subsector", "rnd-sites", "hq-absence", "multi-site-groups", "firm-facts", "cluster-links",
            "quality-flags"]


@pytest.fixture(scope="module")
def store():
    return build().store


@pytest.mark.parametrize("name", LISTINGS)
def test_pages_add_up_to_the_whole_answer_in_its_order(store, name):
    whole = run(name, store, {}, IRIs())
    assert len(whole) > 4, "a listing with a few rows at least"
    size, rows = 4, []
    for offset in range(0, len(whole) + size, size):
        page = run(name, store, {}, IRIs(), limit=size, offset=offset)
        assert page.total == len(whole) and page.offset == offset
        assert len(page) == max(0, min(size, len(whole) - offset))
        rows += page.rows
    assert rows == whole.rows


def test_a_page_of_a_region_counts_that_region(store):
    whole = run("firms-by-subsector", store, {"region": "brandenburg"}, IRIs())
    page = run("firms-by-subsector", store, {"region": "brandenburg"}, IRIs(), limit=2)
    assert page.total == len(whole) and page.rows == whole.rows[:2]
    assert page.total < len(run("firms-by-subsector", store, {}, IRIs()))


def test_a_query_with_its_own_cap_is_paged_within_it():
    text = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 10"
    assert paged(text, 4, 8).strip().endswith("LIMIT 2 OFFSET 8")
    assert "LIMIT 10" in counted(text) and "ORDER BY" not in counted(text)


def test_every_saved_query_can_be_counted(store):
    for name, query in library(QUERIES_DIR).items():
        params = {"firm": "korsch"} if any(p.name == "firm" for p in query.params) else {}
        page = run(query, store, params, IRIs(), limit=1)
        assert page.total == len(run(query, store, params, IRIs())), name


def test_the_command_says_which_rows_of_how_many(capsys):
    assert main(["query", "firms-by-subsector", "--limit", "3", "--offset", "2", "--format", "csv",
                 "--build", "no-build-here"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 4  # the header and three rows
    assert "firms-by-subsector: rows 3–5 of 31" in captured.err


@pytest.mark.parametrize("args,message", [
    (["--limit", "0"], "--limit must be 1 or more"),
    (["--offset", "5"], "--offset needs --limit"),
    (["--limit", "5", "--offset", "-1"], "--offset 0 or more"),
])
def test_a_wrong_page_is_one_line(capsys, args, message):
    assert main(["query", "firms-by-subsector", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# ---------------------------------------------------------------------------- listings the build numbered

#: The listings as they were written before the build numbered their rows (kg/derive/listings.py): each
#: region's rows found by joins, ordered by labels.  The saved queries must give the same rows, in an order
#: these ORDER BY keys agree with.
PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in {
    "bbmb": "https://w3id.org/bbmb/def#", "org": "http://www.w3.org/ns/org#", "schema": "https://schema.org/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#", "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#"}.items())
REFERENCE = {
    "firms-by-subsector": (PREFIXES + """SELECT ?region ?land ?landLabel ?code ?subsectorLabel ?firm ?firmLabel
       ?employees ?reading
WHERE {
  { SELECT DISTINCT ?region ?firm ?land WHERE {
      ?sitePlace bbmb:within ?region ; bbmb:inLand ?land .
      ?site a bbmb:OperatingSite ; schema:containedInPlace ?sitePlace ; org:siteOf ?firm . ?firm a bbmb:Firm .
  } }
  OPTIONAL { ?firm bbmb:employees ?employees }
  OPTIONAL { ?firm rdfs:label ?firmLabel }
  OPTIONAL { ?land rdfs:label ?landLabel . FILTER(LANG(?landLabel) = "en") }
  OPTIONAL { ?firm org:classification ?subsector . ?subsector skos:notation ?classCode ; skos:prefLabel ?classLabel .
             FILTER(LANG(?classLabel) = "de") }
  BIND(COALESCE(?classCode, "") AS ?code)
  BIND(COALESCE(?classLabel, "unclassified") AS ?subsectorLabel)
  { SELECT ?reading WHERE { ?derived bbmb:reading ?reading ; prov:wasGeneratedBy ?build } }
}""", ("landLabel", "code", "firmLabel")),
    "rnd-sites": (PREFIXES + """SELECT ?region ?site ?siteLabel ?landLabel ?firm ?firmLabel
       ?production ?rnd ?firmRndInRegion
WHERE {
  ?sitePlace bbmb:within ?region .
  ?site schema:containedInPlace ?sitePlace ; org:siteOf ?firm .
  ?firm a bbmb:Firm .
  OPTIONAL { ?site rdfs:label ?siteLabel }
  OPTIONAL { ?firm rdfs:label ?firmLabel }
  OPTIONAL { ?sitePlace bbmb:inLand ?land . ?land rdfs:label ?landEn . FILTER(LANG(?landEn) = "en") }
  BIND(IF(BOUND(?landEn), STR(?landEn), "") AS ?landLabel)
  OPTIONAL { ?site bbmb:siteFunction ?productionFunction . FILTER(?productionFunction = bbmb:Production) }
  OPTIONAL { ?site bbmb:siteFunction ?rndFunction . FILTER(?rndFunction = bbmb:ResearchAndDevelopment) }
  OPTIONAL {
    { SELECT DISTINCT ?region ?firm ?firmRnd WHERE {
        ?rndPlace bbmb:within ?region .
        ?rndSite schema:containedInPlace ?rndPlace ; org:siteOf ?firm ; bbmb:siteFunction ?f .
        FILTER(?f = bbmb:ResearchAndDevelopment)
        BIND("yes" AS ?firmRnd)
    } }
  }
  BIND(IF(BOUND(?productionFunction), "yes", "no") AS ?production)
  BIND(IF(BOUND(?rndFunction), "yes", "no") AS ?rnd)
  BIND(COALESCE(?firmRnd, "no") AS ?firmRndInRegion)
}""", ("landLabel", "firmLabel", "siteLabel")),
    "firm-facts": (PREFIXES + """SELECT ?subject ?subjectLabel ?kind ?employees ?employeesBasis ?figures ?lowestFigure
       ?highestFigure
       ?controller ?controllerLabel ?controlPlace ?controlPlaceLabel ?controlBasis ?reading
WHERE {
  { ?subject bbmb:controlledBy ?controller . BIND("organisation" AS ?kind)
    ?controller rdfs:label ?controllerLabel .
    OPTIONAL { ?subject bbmb:controlPlace ?controlPlace ; bbmb:controlBasis ?controlBasis .
               ?controlPlace rdfs:label ?controlPlaceLabel . FILTER(LANG(?controlPlaceLabel) = "en") } }
  UNION
  { ?subject a org:Site . BIND("site" AS ?kind) FILTER EXISTS { ?subject bbmb:employees ?any } }
  ?subject rdfs:label ?subjectLabel . FILTER(LANG(?subjectLabel) = "")
  OPTIONAL { ?subject bbmb:employees ?employees ; bbmb:employeesBasis ?employeesBasis }
  OPTIONAL { { SELECT ?subject (COUNT(DISTINCT ?h) AS ?figures) (MIN(?n) AS ?lowestFigure) (MAX(?n) AS ?highestFigure)
      WHERE { ?subject schema:numberOfEmployees ?h . OPTIONAL { ?h schema:value|schema:minValue|schema:maxValue ?n } }
      GROUP BY ?subject } }
  { SELECT ?reading WHERE { ?derived bbmb:reading ?reading ; prov:wasGeneratedBy ?build } }
}""", ("kind", "subjectLabel")),
    "hq-absence": (PREFIXES + """SELECT DISTINCT ?region ?site ?siteLabel ?sitePlaceLabel ?siteLandLabel ?firm
       ?firmLabel
       ?controller ?controllerLabel ?hqPlaceLabel
       (IF(STRLEN(?hqLandLabel) > 0, ?hqLandLabel, ?hqCountryLabel) AS ?hqLandOrCountry) ?hqCountryLabel
       ?siteEmployees ?firmEmployees
WHERE {
  ?firm bbmb:controlledFromOutside ?region .
  ?site org:siteOf ?firm ; a bbmb:OperatingSite ; schema:containedInPlace ?sitePlace .
  ?sitePlace bbmb:within ?region .
  ?firm bbmb:controlledBy ?controller ; bbmb:controlPlace ?hqPlace .
  OPTIONAL { ?site rdfs:label ?siteLabel }
  OPTIONAL { ?firm rdfs:label ?firmLabel }
  OPTIONAL { ?controller rdfs:label ?controllerLabel }
  OPTIONAL { ?sitePlace rdfs:label ?sitePlaceLabel . FILTER(LANG(?sitePlaceLabel) = "en") }
  OPTIONAL { ?hqPlace rdfs:label ?hqPlaceLabel . FILTER(LANG(?hqPlaceLabel) = "en") }
  OPTIONAL { ?sitePlace bbmb:inLand ?siteLand . ?siteLand rdfs:label ?siteLandEn . FILTER(LANG(?siteLandEn) = "en") }
  OPTIONAL { ?hqPlace bbmb:inLand ?hqLand . ?hqLand rdfs:label ?hqLandEn . FILTER(LANG(?hqLandEn) = "en") }
  OPTIONAL { ?hqPlace bbmb:inCountry ?hqCountry . ?hqCountry rdfs:label ?hqCountryEn .
             FILTER(LANG(?hqCountryEn) = "en") }
  BIND(IF(BOUND(?siteLandEn), STR(?siteLandEn), "") AS ?siteLandLabel)
  BIND(IF(BOUND(?hqLandEn), STR(?hqLandEn), "") AS ?hqLandLabel)
  BIND(IF(BOUND(?hqCountryEn), STR(?hqCountryEn), "") AS ?hqCountryLabel)
  OPTIONAL { ?site bbmb:employees ?siteEmployees }
  OPTIONAL { ?firm bbmb:employees ?firmEmployees }
}""", ("hqLandOrCountry", "firmLabel", "siteLabel")),
    "multi-site-groups": (PREFIXES + """SELECT ?region ?group ?groupLabel ?hqPlaceLabel ?sites ?companies ?laender
WHERE {
  ?obs sdmx-dimension:refArea ?region ; bbmb:group ?group ; bbmb:sites ?sites ; bbmb:companies ?companies ;
       bbmb:laender ?laender .
  FILTER(?sites > 1)
  OPTIONAL { ?group rdfs:label ?groupLabel }
  OPTIONAL { ?group bbmb:controlPlace ?hqPlace . ?hqPlace rdfs:label ?hqPlaceLabel .
             FILTER(LANG(?hqPlaceLabel) = "en") }
}""", ("-sites", "groupLabel")),
    "cluster-links": (PREFIXES + """SELECT ?firmA ?firmALabel ?firmB ?firmBLabel ?link ?via ?viaLabel ?members ?form
WHERE {
  { ?tie bbmb:tieForm "pairs" . ?firmA bbmb:sharesTie ?tie . ?firmB bbmb:sharesTie ?tie .
    FILTER(STR(?firmA) < STR(?firmB)) }
  UNION
  { ?tie bbmb:tieForm "hub" . ?firmA bbmb:sharesTie ?tie . BIND(?tie AS ?firmB) }
  ?tie bbmb:tieKind ?kind ; bbmb:via ?via ; rdfs:label ?tieLabel ; bbmb:tieMembers ?members ; bbmb:tieForm ?tieForm .
  BIND(STR(?kind) AS ?link)
  BIND(STR(?tieLabel) AS ?viaLabel)
  BIND(STR(?tieForm) AS ?form)
  ?firmA rdfs:label ?firmALabel .
  ?firmB rdfs:label ?firmBLabel .
}""", ("firmA", "firmB")),
}


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory):
    from kg.synth import synthesize

    folder = tmp_path_factory.mktemp("synthetic")
    synthesize(folder / "data", 1_000, seed=3)
    return build(folder / "data").store


@pytest.mark.parametrize("name,region", [("firms-by-subsector", None), ("firms-by-subsector", "brandenburg"),
                                         ("firms-by-subsector", "germany"), ("rnd-sites", None),
                                         ("rnd-sites", "berlin"), ("firm-facts", None), ("hq-absence", None),
                                         ("hq-absence", "berlin"), ("hq-absence", "germany"),
                                         ("multi-site-groups", None), ("multi-site-groups", "germany"),
                                         ("cluster-links", None)])
def test_a_numbered_listing_has_the_rows_of_its_definition_in_its_order(synthetic_store, name, region):
    from kg.results import row_digest

    params = {"region": region} if region else {}
    query = library(QUERIES_DIR)[name]
    assert query.paged_by == ("rank", "total", "block", "listing"), "paged by the build's blocks of ranks"
    text, order = REFERENCE[name]
    if "?region" in text:
        text = "# param: region (place, default berlin-brandenburg): the region\n" + text
    defined = run(load_query(None, name, text), synthetic_store, params, IRIs())
    whole = run(query, synthetic_store, params, IRIs())
    assert len(whole) >= 30 and row_digest(whole) == row_digest(defined)
    keys = [tuple((0, "") if t is None else (1, -int(t.value)) if k.startswith("-") else (1, t.value)
                  for k, t in ((k, row[whole.variables.index(k.lstrip("-"))]) for k in order))
            for row in whole.rows]  # a key "-count": the count descending
    assert keys == sorted(keys), "the rows in the listing's order"
    size = min(100, len(whole) // 3)  # the second page, a whole one
    page = run(query, synthetic_store, params, IRIs(), limit=size, offset=size)
    assert page.total == len(whole) and page.rows == whole.rows[size:2 * size]
    assert run(query, synthetic_store, params, IRIs(), limit=100, offset=len(whole)).rows == []


def test_a_malformed_paged_by_header_says_how_to_write_it():
    from kg.query import QueryError

    with pytest.raises(QueryError, match="paged-by: rank total"):
        load_query(None, "x", "# paged-by: rank\nSELECT ?s WHERE { ?s ?p ?o }")
    with pytest.raises(QueryError, match="'paged-by: sub-select' needs a sub-select"):
        load_query(None, "x", "# paged-by: sub-select\nSELECT ?s WHERE { ?s ?p ?o }")
    # the listing named by the header must be found by its own patterns, required ones, which give its total
    for where in ("?x <urn:rows> ?n . ?l <urn:q> ?x .", "OPTIONAL { ?l <urn:rows> ?n . }", "?l <urn:rows> ?m ."):
        with pytest.raises(QueryError, match=r"names the listing \?l, but no triple pattern .* binds \?n"):
            load_query(None, "x", f"# paged-by: r n b l\nSELECT ?s WHERE {{ {where} ?b <urn:of> ?l . ?s ?b ?r }}")
    assert load_query(None, "x", "# paged-by: r n b l\nSELECT ?s WHERE { ?l <urn:rows> ?n . ?b <urn:of> ?l . "
                                 "?s ?b ?r }").paged_by == ("r", "n", "b", "l")


def test_a_page_taken_in_the_sub_select_binds_the_parameters_there_too(store):
    """A query paged in its sub-select gets its page there, and its parameters there as well (a sub-select does not
    see the outer query's values): pages of any region add up to the whole, counted in the sub-select."""
    text = """# param: region (place, default berlin-brandenburg): the region
# paged-by: sub-select
PREFIX bbmb: <https://w3id.org/bbmb/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?region ?place ?name WHERE {
  { SELECT ?region ?place WHERE { ?place bbmb:within ?region } ORDER BY ?place }
  ?place rdfs:label ?name . FILTER(LANG(?name) = "en")
} ORDER BY ?place"""
    query = load_query(None, "places", text)
    assert query.paged_in_subselect and query.paged_by is None
    for region in ("berlin-brandenburg", "germany"):
        whole = run(query, store, {"region": region}, IRIs())
        assert len(whole) > 2 and {str(r["region"]) for r in whole.records()} == {IRIs().place(region).value}
        pages = [run(query, store, {"region": region}, IRIs(), limit=2, offset=o) for o in range(0, len(whole), 2)]
        assert all(p.total == len(whole) for p in pages) and sum((p.rows for p in pages), []) == whole.rows


def test_cluster_links_lists_the_first_rows_of_its_cap(store, monkeypatch):
    """The build numbers the first kg.rules.CLUSTER_LINK_ROWS rows of cluster-links, in its order, and counts
    only those: a page past them is empty, and the total says how many can be paged."""
    import kg.derive.listings

    whole = run("cluster-links", store, {}, IRIs())
    monkeypatch.setattr(kg.derive.listings, "CLUSTER_LINK_ROWS", 6)
    capped = build().store
    assert len(whole) > 6
    assert run("cluster-links", capped, {}, IRIs()).rows == whole.rows[:6]
    page = run("cluster-links", capped, {}, IRIs(), limit=4, offset=4)
    assert page.total == 6 and page.rows == whole.rows[4:6]


def test_pages_across_the_blocks_of_ranks_add_up_to_the_whole(monkeypatch):
    """A listing's ranks come in blocks (kg.query.BLOCK_ROWS): with blocks of 4, pages of 5 at every offset (one
    block, or two) give the whole listing in its order, and the blocks the build wrote hold every rank once."""
    import kg.derive.listings
    import kg.query

    monkeypatch.setattr(kg.query, "BLOCK_ROWS", 4)
    monkeypatch.setattr(kg.derive.listings, "BLOCK_ROWS", 4)
    small = build().store
    for name in ("firms-by-subsector", "hq-absence", "firm-facts", "rnd-sites"):
        whole = run(name, small, {}, IRIs())
        assert len(whole) > 8, f"{name}: a listing of three blocks at least"
        rows = []
        for offset in range(0, len(whole), 5):
            page = run(name, small, {}, IRIs(), limit=5, offset=offset)
            assert page.total == len(whole)
            rows += page.rows
        assert rows == whole.rows, name
    blocks = list(small.query("""PREFIX bbmb: <https://w3id.org/bbmb/def#>
        SELECT ?first ?last (COUNT(?row) AS ?rows) WHERE {
          ?block bbmb:blockOf ?listing ; bbmb:firstRank ?first ; bbmb:lastRank ?last . ?row ?block ?rank
          FILTER(?rank >= ?first && ?rank <= ?last) } GROUP BY ?block ?first ?last""",
                              use_default_graph_as_union=True))
    assert blocks and all(int(b["rows"].value) == int(b["last"].value) - int(b["first"].value) + 1 <= 4
                          for b in blocks)


def test_listings_of_an_older_kg_are_an_error_not_an_empty_page(store):
    """A graph whose listings an older kg made (their area as sdmx-dimension:refArea) would page as if the region
    had no rows: kg says to build (or push) again instead."""
    from pyoxigraph import Store

    from kg.query import QueryError

    old = Store()
    old.extend(store)
    old.update("""PREFIX bbmb: <https://w3id.org/bbmb/def#>
        DELETE { GRAPH ?g { ?l bbmb:listingArea ?a } }
        INSERT { GRAPH ?g { ?l <http://purl.org/linked-data/sdmx/2009/dimension#refArea> ?a } }
        WHERE { GRAPH ?g { ?l bbmb:listingArea ?a } }""")
    assert run("rnd-sites", store, {}, IRIs(), limit=5).total > 0
    with pytest.raises(QueryError, match="listings were made by an older kg, .*; run kg build again"):
        run("rnd-sites", old, {}, IRIs(), limit=5)
