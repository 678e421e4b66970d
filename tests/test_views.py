"""The views: what the pictures of headquarters absence and cluster links are drawn from."""
from __future__ import annotations

import networkx as nx
import pytest

from kg.views import CONTROL_COLORS, Catalog, build_views, clusters_view, full_view, hq_view, within_budget


@pytest.fixture(scope="module")
def catalog(built):
    return Catalog(built.store)


@pytest.fixture(scope="module")
def hq(built, catalog):
    return hq_view(built.store, catalog=catalog)


@pytest.fixture(scope="module")
def clusters(built, catalog):
    return clusters_view(built.store, catalog=catalog)


@pytest.fixture(scope="module")
def full(built, catalog):
    return full_view(built.store, catalog=catalog)


def iri(built, kind, key):
    return getattr(built.iris, kind)(key).value


def test_region_is_found_from_the_data(catalog, built):
    assert catalog.region == iri(built, "place", "berlin-brandenburg")


def test_hq_view_has_every_regional_site_and_no_head_office_entries(hq, sparql, built):
    rows = sparql("""
        SELECT DISTINCT ?site ?region WHERE {
          ?site a org:Site ; schema:containedInPlace/schema:containedInPlace* ?region .
          FILTER NOT EXISTS { ?o org:hasPrimarySite|org:hasRegisteredSite ?site .
                              FILTER NOT EXISTS { ?site bbmb:siteFunction ?f
                                                  FILTER(?f NOT IN (bbmb:Headquarters, bbmb:RegisteredSeat)) } }
        }""", region=built.iris.place("berlin-brandenburg"))
    sites = {n for n, d in hq.nodes(data=True) if d["type"] == "site"}
    assert sites == {r["site"] for r in rows}
    assert iri(built, "site", "asml-britz") in sites  # a regional head office that is also a plant stays
    assert iri(built, "site", "korsch-headquarters") not in hq


@pytest.mark.parametrize("org, control, area", [
    ("zf", "germany", "Baden-Württemberg"),
    ("heidelberger-druck", "germany", "Baden-Württemberg"),
    ("gea-awp", "germany", "North Rhine-Westphalia"),
    ("asml-berlin", "abroad", "Netherlands"),
    ("otis", "abroad", "United States"),
    ("kone", "abroad", "Finland"),  # German head office in Hannover, parent in Espoo
    ("siemens-energy", "germany", "Bavaria"),  # the brief's reading: decision centre outside (München)
    ("kjellberg", "inside", "Brandenburg"),  # run by a foundation in Finsterwalde
    ("artes-valve", "unknown", None),
])
def test_hq_view_marks_where_control_sits(hq, built, org, control, area):
    node = hq.nodes[iri(built, "org", org)]
    assert node["control"] == control
    assert node.get("control_area") == area
    assert node["color_control"] == CONTROL_COLORS[control]
    for site in hq.predecessors(iri(built, "org", org)):
        assert hq.nodes[site]["control"] == control


def test_hq_view_links_sites_to_firms_to_groups_to_headquarters(hq, built):
    site, firm = iri(built, "site", "otis-berlin"), iri(built, "org", "otis")
    group, place = iri(built, "org", "otis-worldwide"), iri(built, "place", "farmington-ct")
    assert hq.edges[site, firm]["relation"] == "org:siteOf"
    assert hq.edges[firm, group]["relation"] == "org:subOrganizationOf"
    assert hq.edges[firm, group]["certainty"] == "confirmed"
    assert hq.edges[group, place]["relation"] == "org:hasPrimarySite"
    assert hq.nodes[group]["type"] == "group" and hq.nodes[place]["type"] == "place"
    assert "ext-otis-1" in hq.edges[firm, group]["source"]
    # a firm without a regional site (TK Elevator) is not in the region's picture
    assert iri(built, "org", "tk-elevator") not in hq


def test_local_headquarters_stand_out(hq, built):
    korsch, zf = hq.nodes[iri(built, "org", "korsch")], hq.nodes[iri(built, "org", "zf")]
    assert korsch["local_hq"] is True and korsch["shape"] == "star"
    assert zf["local_hq"] is False and zf["shape"] == "square"


def test_places_count_the_regional_jobs_run_from_there(hq, built):
    friedrichshafen = hq.nodes[iri(built, "place", "friedrichshafen")]
    assert friedrichshafen["controlled_firms"] == 1
    assert friedrichshafen["controlled_headcount"] == 1600
    assert friedrichshafen["land"] == "Baden-Württemberg"


def test_size_grows_with_head_count_and_facts_carry_sources(hq, built):
    siemens = hq.nodes[iri(built, "site", "siemens-energy-moabit")]
    dunkel = hq.nodes[iri(built, "org", "werkzeugbau-dunkel")]
    assert siemens["headcount"] == 3000 and dunkel["headcount"] == 100
    assert siemens["size"] > dunkel["size"]
    # a site the sources give no figure for has none (its firm's figure is the firm's, not the site's)
    assert "headcount" not in hq.nodes[iri(built, "site", "werkzeugbau-dunkel-berlin")]
    borsig = hq.nodes[iri(built, "org", "borsig")]
    # the figure every output uses (the lower of the brief's two), the other beside it
    assert borsig["headcount"] == 200 and "500" in borsig["headcount_note"]
    facts = {f["k"]: f for f in hq.nodes[iri(built, "org", "zf")]["facts"]}
    assert facts["headquarters"]["src"] == ["ext-zf-1", "ext-zf-2"]
    assert "brief-brandenburg" in hq.graph["sources"]


def test_clusters_view_ties_firms_by_subsector_and_place_and_holding(clusters, built):
    otis, kone = iri(built, "org", "otis"), iri(built, "org", "kone")
    edge = clusters.edges[otis, kone]
    assert edge["weight"] == 1 and edge["tie_kinds"] == "subsector-place"
    assert "28.22" in edge["ties"] and "Berlin" in edge["ties"]  # not also the 'big four' peer group
    lumics, scansonic = iri(built, "org", "lumics"), iri(built, "org", "scansonic")
    assert clusters.edges[lumics, scansonic]["tie_kinds"] == "holding"
    assert clusters.has_edge(lumics, iri(built, "org", "berlin-industrial-group"))
    # ZF and Heidelberger Druck share a town but not a subsector
    assert not clusters.has_edge(iri(built, "org", "zf"), iri(built, "org", "heidelberger-druck"))
    for *_, d in clusters.edges(data=True):
        assert d["weight"] == len(d["ties"].split("; "))
    assert all(d["type"] == "firm" for _, d in clusters.nodes(data=True))


def test_the_clusters_title_and_legend_name_only_the_kinds_of_tie_drawn(clusters):
    from kg.views.style import TIE_STYLES
    drawn = {d.get("kind", d.get("tie_kinds")) for *_, d in clusters.edges(data=True)} | {
        h["kind"] for h in clusters.graph["hulls"]}
    assert drawn == {"holding", "subsector-place"}  # the data has no campus or park that ties two firms
    for kind, style in TIE_STYLES.items():
        for text in (clusters.graph["title"], clusters.graph["edge_legend"]):
            assert (style["short"] in text) == (kind in drawn), (kind, text)
    assert set(clusters.graph["edge_kinds"]) == drawn


def test_a_place_of_control_with_no_staff_figure_says_so_not_0(hq):
    austria = [d for _, d in hq.nodes(data=True) if d["type"] == "place" and d.get("control_area") == "Austria"]
    assert austria, "the data has a firm run from Austria, with no head-count"
    for d in austria:
        facts = {f["k"]: f["v"] for f in d["facts"]}
        assert facts["regional firms run from here"].endswith("(no staff figure)")
        assert "controlled_headcount" not in d


def test_large_ties_become_hub_nodes(built, catalog):
    g = clusters_view(built.store, catalog=catalog, clique_limit=2)
    hubs = [n for n, d in g.nodes(data=True) if d["type"] == "tie"]
    assert hubs and all(g.nodes[h]["member_count"] > 2 for h in hubs)
    turbines = next(h for h in hubs if "28.11" in h)
    assert set(g[turbines]) == {iri(built, "org", k) for k in ("siemens-energy", "ge-power", "kts")}


def test_full_view_has_every_typed_node_and_relation(full, sparql):
    nodes = sparql("""SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?t }
                      FILTER(?g != <https://w3id.org/bbmb/def> && isIRI(?s)) }""")[0]["n"]
    assert full.number_of_nodes() == nodes
    edges = sparql("""SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE {
                        GRAPH ?g { ?s ?p ?o } GRAPH ?g1 { ?s a ?t1 } GRAPH ?g2 { ?o a ?t2 }
                        FILTER(?p != rdf:type && ?g != <https://w3id.org/bbmb/def>
                               && ?g1 != <https://w3id.org/bbmb/def>
                               && ?g2 != <https://w3id.org/bbmb/def>) } }""")[0]["n"]
    assert full.number_of_edges() == edges


def test_labels_in_german_and_english(full, built):
    usa = full.nodes[iri(built, "place", "united-states")]
    assert (usa["label_de"], usa["label_en"]) == ("Vereinigte Staaten", "United States")
    assert full.nodes[iri(built, "org", "zf")]["type"] == "bbmb:Firm"


def test_geographic_layout_keeps_berlin_and_brandenburg_apart(hq, built):
    def pos(kind, key):
        d = hq.nodes[iri(built, kind, key)]
        return d["geo_x"], d["geo_y"]
    havel, berlin = pos("site", "zf-brandenburg"), pos("site", "korsch-berlin")
    assert havel[0] < berlin[0] - 200  # Brandenburg an der Havel lies about 60 km west
    assert pos("site", "gea-awp-prenzlau")[1] > berlin[1]  # Prenzlau is north: y points up, as Gephi reads it
    assert pos("place", "friedrichshafen")[1] < berlin[1]  # Friedrichshafen is south, at the bottom
    # the GEXF position of the hq view is the map, north up
    zf = hq.nodes[iri(built, "site", "zf-brandenburg")]
    assert (zf["viz"]["position"]["x"], zf["viz"]["position"]["y"]) == (zf["geo_x"], zf["geo_y"])
    farmington = pos("place", "farmington-ct")
    assert farmington[0] < havel[0] - 300  # the USA lie west, outside the region's ring
    assert [a["label"] for a in hq.graph["areas"]][:2] == ["Berlin", "Brandenburg"]


def test_node_budget_aggregates_and_keeps_counts(full):
    small = within_budget(full, budget=60)
    assert small.number_of_nodes() <= 60
    kept = [n for n in small if not str(n).startswith("aggregate:")]
    members = sum(d["member_count"] for n, d in small.nodes(data=True) if str(n).startswith("aggregate:"))
    assert len(kept) + members == full.number_of_nodes()
    assert small.graph["aggregated"]["nodes"] == full.number_of_nodes()
    assert within_budget(full, budget=10_000) is full


@pytest.mark.parametrize("budget", [60, 10_000])
def test_a_full_view_made_for_a_page_only_draws_the_same_page(full, built, catalog, budget):
    """kg viz without graph files builds the full view for its page (``page_budget``): past the budget its lines
    are only merged, so they are held aside (kg.views.lines), not edges; the page's data is the same, and within
    the budget so is the view."""
    from kg.html import page_data
    from kg.views import line_count

    for_page = full_view(built.store, catalog=catalog, page_budget=budget)
    assert page_data(within_budget(for_page, budget)) == page_data(within_budget(full, budget))
    if budget >= full.number_of_nodes():
        assert nx.utils.graphs_equal(for_page, full)
    else:
        assert for_page.number_of_edges() == 0 and line_count(for_page) == full.number_of_edges()


def test_past_the_budget_the_hq_map_is_symbols_that_hold_every_node_and_carry_the_jobs(hq):
    """The hq map past its budget: every node in exactly one symbol, a symbol of a Land's sites and firms per place
    of control and one per place of control; the lines from the region's symbols into a place of control's carry
    the jobs of the firms run from there; labels in both languages."""
    from collections import Counter

    drawn = within_budget(hq, 40)
    held = Counter(member for _, d in drawn.nodes(data=True) for member, _ in d["members"])
    assert set(held) == set(hq.nodes) and set(held.values()) == {1}
    assert drawn.graph["aggregated"]["symbols"] and "inset" not in drawn.graph
    types = Counter(d["type"] for _, d in hq.nodes(data=True))
    symbols = [d for _, d in drawn.nodes(data=True)]
    assert sum(d["counts"].get("site", 0) for d in symbols) == types["site"]
    assert sum(d["member_count"] for d in symbols if d["member_type"] == "firm") == types["firm"]
    carried, run = Counter(), Counter()
    for u, v, d in drawn.edges(data=True):
        if drawn.nodes[u]["member_type"] == "firm" and drawn.nodes[v]["member_type"] == "group":
            carried[drawn.nodes[v]["centre"]] += d.get("jobs") or 0
    for _, d in hq.nodes(data=True):
        if d["type"] == "firm" and d.get("outside"):
            run[d["centre"]] += d.get("headcount") or 0
    assert +run and all(carried[centre] == jobs for centre, jobs in run.items())
    labels = {d["label_en"]: d["label_de"] for d in symbols}
    assert labels["1 site in Berlin run from Bavaria"] == "1 Standort in Berlin – Kontrolle: Bayern"
    assert labels["Bavaria: 1 place"] == "Bayern: 1 Ort"


def test_past_its_members_listed_each_symbol_lists_its_largest_and_counts_the_rest(hq):
    """A page of a very large economy lists at most so many members in all (its side panel and search read
    them): each symbol lists its largest by head-count in their order, and says how many more it holds; the
    symbols and their figures are the same as with every member listed."""
    from kg.html import page_data

    whole = within_budget(hq, 40)
    assert not any("members_unlisted" in d for _, d in whole.nodes(data=True))
    total = sum(len(d["members"]) for _, d in whole.nodes(data=True))
    drawn = within_budget(hq, 40, listed=total // 3)
    assert sum(len(d["members"]) for _, d in drawn.nodes(data=True)) <= total // 3
    assert set(drawn.nodes) == set(whole.nodes)
    cut = 0
    for v, d in drawn.nodes(data=True):
        every = [m for m, _ in whole.nodes[v]["members"]]
        listed = [m for m, _ in d["members"]]
        assert listed == [m for m in every if m in set(listed)]  # in the order all were listed in
        assert len(listed) + d.get("members_unlisted", 0) == len(every)
        assert {k: x for k, x in d.items() if k not in ("members", "members_unlisted")} == \
            {k: x for k, x in whole.nodes[v].items() if k != "members"}
        if d.get("members_unlisted"):
            cut += 1
            jobs = [hq.nodes[m].get("headcount") or 0 for m in every]
            kept = [hq.nodes[m].get("headcount") or 0 for m in listed]
            assert min(kept) >= max(j for m, j in zip(every, jobs, strict=True) if m not in set(listed))
    assert cut
    unlisted = {n["id"]: n["unlisted"] for n in page_data(drawn)["nodes"] if "unlisted" in n}
    assert unlisted == {v: d["members_unlisted"] for v, d in drawn.nodes(data=True) if "members_unlisted" in d}


def test_build_views_names_an_unknown_view(built):
    with pytest.raises(ValueError, match="choose from hq, clusters, full"):
        build_views(built.store, ["map"])


def test_cli_viz_writes_self_contained_pages(tmp_path, capsys):
    from kg.cli import main

    assert main(["viz", "all", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clusters.html", "full.html", "hq.html", "report.html"]
    text = (tmp_path / "hq.html").read_text(encoding="utf-8")
    # nothing to fetch: the library is inlined, and the page forbids every request
    assert "<script src" not in text and "<link" not in text and "cdn" not in text.lower().split("vis-network")[0]
    assert "default-src 'none'" in text and "vis.Network" in text
    assert main(["viz", "hq", "--region", "nowhere", "--out", str(tmp_path)]) == 2
    assert "is not a bbmb:Region of the data" in capsys.readouterr().err


def test_gephi_reads_the_hq_map_north_up(hq, built, tmp_path):
    from kg.export import export_graph
    g = nx.read_gexf(export_graph(hq, "gexf", tmp_path / "hq.gexf"))
    y = {key: g.nodes[iri(built, kind, key)]["viz"]["position"]["y"]
         for kind, key in (("place", "friedrichshafen"), ("site", "gea-awp-prenzlau"), ("site", "korsch-berlin"))}
    assert y["friedrichshafen"] < y["korsch-berlin"] < y["gea-awp-prenzlau"]  # south to north, bottom to top
    # the data attributes say the same as the drawn position
    node = g.nodes[iri(built, "site", "korsch-berlin")]
    assert node["geo_y"] == node["viz"]["position"]["y"]


def test_the_map_draws_control_where_the_reading_puts_it(hq, built):
    """Siemens Energy is counted as run from München (the brief's reading): the picture says so too."""
    siemens, muenchen = iri(built, "org", "siemens-energy"), iri(built, "place", "muenchen")
    edge = hq.edges[siemens, muenchen]
    assert edge["relation"] == "bbmb:controlPlace" and "decision centre" in edge["label"]
    assert edge["jobs"] == 3000  # the line carries the jobs the summary counts
    assert set(edge["source"].split(";")) == {"brief-struktur", "ext-siemens-energy-1"}  # the statement's sources
    assert hq.nodes[siemens]["centre"] == "Bavaria"


def test_the_credit_line_names_the_study_of_the_project_file_else_the_work_the_data_cites(hq, tmp_path):
    """The page's credit comes from the data: the study kg.toml names, for the brief's region; for a new region
    from kg init (no study named), the work its cited sources are part of; never the brief's, and a study the
    new region names is credited as written."""
    from kg.build import build
    from kg.cli import main
    from kg.project import find
    from tests.conftest import DATA

    study = find(DATA).study.credit()
    assert study.startswith("prägnant 31")
    assert hq.graph["credit"].startswith(study + " and ") and "other sources cited on each fact" in hq.graph["credit"]
    region = tmp_path / "region"
    assert main(["init", str(region)]) == 0
    credit = full_view(build(region).store).graph["credit"]
    assert credit and "prägnant" not in credit and "IMU" not in credit
    toml = (region / "kg.toml").read_text(encoding="utf-8")
    (region / "kg.toml").write_text(toml.replace('title = ""', 'title = "Industry in the Example Region"')
                                    .replace('date = ""', 'date = "2026"'), encoding="utf-8")
    assert full_view(build(region).store).graph["credit"].startswith("Industry in the Example Region (2026)")


def test_a_contested_place_of_control_shows_every_reading_with_its_own_sources(hq):
    """Siemens Energy: the primary reading's Munich rests on the brief's passage (and the registered seat); the
    other reading's Berlin on the news item alone; the panel says 'contested' and the node carries the mark."""
    siemens = next(d for _, d in hq.nodes(data=True) if d.get("label") == "Siemens Energy")
    assert siemens["contested"] is True
    facts = {f["k"]: f for f in siemens["facts"] if f["k"] == "control (contested)"}
    assert "brief-struktur" in facts["control (contested)"]["src"]
    readings = {f["v"]: set(f["src"]) for f in siemens["facts"] if f["k"] == "place of control, as a source gives it"}
    assert readings == {"Munich (the reading primary uses this)": {"brief-struktur", "ext-siemens-energy-1"},
                        "Berlin": {"ext-siemens-energy-1"}}
    uncontested = next(d for _, d in hq.nodes(data=True) if d.get("label") == "ZF Friedrichshafen")
    assert "contested" not in uncontested and any(f["k"] == "control" for f in uncontested["facts"])


def _centre_colours(g):
    return {d["control_area_id"]: d["color_centre"] for _, d in g.nodes(data=True)
            if d.get("outside") and d.get("control_area_id")}


def _ranked_ids(g):
    ids = {d["control_area"]: d["control_area_id"] for _, d in g.nodes(data=True) if d.get("control_area_id")}
    return [ids[item["key"]] for item in g.graph["legend"]["centre"] if item["key"] in ids]


def test_a_place_of_control_keeps_its_colour_from_one_data_set_to_the_next(hq, tmp_path):
    """The colour of a Land or country of control follows its id, not the order or number of places in the data:
    the same in the project's data and in a synthetic economy with other firms, figures and places of control --
    unless on one of the pages a place with more regional jobs has the same colour of its own (8 colours)."""
    from kg.build import build
    from kg.synth import synthesize
    from kg.views.style import centre_colours
    synthesize(tmp_path / "data", 300, seed=3)
    other = hq_view(build(tmp_path / "data").store)
    mine, theirs = _centre_colours(hq), _centre_colours(other)
    assert set(mine) != set(theirs)  # two different sets of places, ranked differently
    assert _ranked_ids(hq)[:2] != _ranked_ids(other)[:2]

    def own(area):  # the colour a place has on a page of its own
        return centre_colours([area])[area]

    def undisputed(area, g):
        ranked = _ranked_ids(g)
        return not any(own(a) == own(area) for a in ranked[:ranked.index(area)])
    kept = [a for a in set(mine) & set(theirs) if undisputed(a, hq) and undisputed(a, other)]
    assert "bayern" in kept and len(kept) >= 3, kept
    assert {a: mine[a] for a in kept} == {a: theirs[a] for a in kept}
    # distinct on a page while the palette lasts, and the legend shows each place's colour
    for g, colours in ((hq, mine), (other, theirs)):
        legend = {item["key"]: item["color"] for item in g.graph["legend"]["centre"]}
        assert len(set(colours.values()) - {"#555555"}) == min(len(colours), 8)
        assert all(legend[d["control_area"]] == d["color_centre"] for _, d in g.nodes(data=True)
                   if d.get("outside") and d.get("control_area"))


def test_every_message_is_written_in_every_language_with_the_same_blanks():
    """kg/web/messages.json: a text missing in one language would show the other's words there."""
    import re

    from kg.messages import LANGUAGES, messages

    assert set(messages()) == set(LANGUAGES)
    english = messages()["en"]
    for language in LANGUAGES:
        assert set(messages()[language]) == set(english), language
        for key, words in messages()[language].items():
            assert words.strip(), (language, key)
            assert sorted(re.findall(r"\{\w+\}", words)) == sorted(re.findall(r"\{\w+\}", english[key])), key


def test_the_inset_is_the_crowded_municipality_or_none_where_no_place_is_crowded(built, hq):
    from kg.views.layout import inset_area

    cat = Catalog(built.store)
    inset = hq.graph["inset"]
    # the municipality (with its districts) with the most of the view's sites
    per_place = {}
    for n, d in hq.nodes(data=True):
        if d["type"] == "site" and n in cat.sites:
            municipality = cat.municipality[cat.sites[n].place]
            per_place[municipality] = per_place.get(municipality, 0) + 1
    top = max(per_place, key=per_place.get)
    assert inset["place"] == top.rsplit("/", 1)[1] and inset["sites"] == per_place[top]
    x0, y0, x1, y1 = inset["box"]
    assert all(x0 <= d["geo_x"] <= x1 and y0 <= -d["geo_y"] <= y1 for n, d in hq.nodes(data=True)
               if d["type"] == "site" and n in cat.sites and cat.municipality[cat.sites[n].place] == top)
    # spread the same sites far apart: no inset (they no longer crowd the map)
    spread = hq.copy()
    for i, (_, d) in enumerate(sorted(spread.nodes(data=True))):
        d["geo_x"], d["geo_y"] = (i % 10) * 400.0, (i // 10) * 400.0
    assert inset_area(spread, cat) is None


def test_a_site_named_without_its_firm_is_keyed_with_it(hq):
    """The inset's numbered key lists sites by name; "Werk Moabit" alone could be any firm's."""
    sites = [d for _, d in hq.nodes(data=True) if d.get("type") == "site"]
    assert sites
    for d in sites:
        if d["firm"].split(" (")[0].casefold() in d["label"].casefold():
            assert "key_label" not in d, d["label"]
        else:
            assert d["key_label"] == f"{d['label']} ({d['firm']})"
    assert any("key_label" in d for d in sites)  # the data has sites named for their place only
