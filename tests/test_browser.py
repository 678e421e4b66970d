"""The HTML views in a real browser: Debian's Chromium, driven by Playwright, offline.

Each page must load from file:// with no console error and no request leaving the file, draw
exactly the nodes and edges of its networkx graph, filter by subsector, find a firm by name,
and show text from the data as text.  Screenshots go to test-output/ for people to look at.
"""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from playwright import sync_api as playwright_api  # in requirements.lock: a missing package fails, never skips

from kg.build import build
from kg.export import export_graph
from kg.html import FACET_TYPES, page_data, write_page
from kg.tables import read_tables
from kg.views import build_views, within_budget
from kg.views.nodes import spell_attrs
from tests.conftest import DATA, ONTOLOGY, ROOT, TEST_OUTPUT
from tests.test_picture import clipped
from tests.xss import XSS, rename_firm

#: graphology and graphology-gexf, the GEXF parser Gephi Lite opens files with (its graph is what sigma.js draws),
#: bundled for the browser (tests/js/README.md)
GRAPHOLOGY = ROOT / "tests" / "js" / "graphology-gexf.min.js"


@pytest.fixture(scope="module")
def views(built):
    return build_views(built.store)


@pytest.fixture(scope="module")
def pages(views, tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    return {name: write_page(graph, out / f"{name}.html") for name, graph in views.items()}


class Opened:
    """A page opened from a file, with what it logged and what it tried to fetch."""

    def __init__(self, browser, path: Path, viewport: tuple[int, int] = (1400, 900)) -> None:
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        self.page.set_default_timeout(120_000)  # a guard against a hang, not a speed limit (a loaded machine)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => window.kg && window.kg.ready")

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def next_frames(self, count: int = 2) -> None:
        """Wait until the page has drawn ``count`` more frames (an event, not a time)."""
        self.page.evaluate("(n) => new Promise(done => { const next = k => k ? requestAnimationFrame("
                           "() => next(k - 1)) : done(); next(n); })", count)

    def js(self, expression: str, arg=None):
        return self.page.evaluate(expression, arg)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def opened(browser):
    pages = []

    def open_(path: Path, viewport: tuple[int, int] = (1400, 900)) -> Opened:
        pages.append(Opened(browser, path, viewport))
        return pages[-1]
    yield open_
    for p in pages:
        p.close()


def screenshot(o: Opened, name: str) -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    path = TEST_OUTPUT / f"{name}.png"
    o.page.screenshot(path=str(path))
    return path


@pytest.mark.parametrize("name", ["hq", "clusters", "full"])
def test_page_loads_offline_and_draws_the_graph(opened, pages, views, name):
    o = opened(pages[name])
    o.next_frames()  # what the page does after it is ready (drawing, fitting) has run
    assert o.errors == []
    assert o.requests == []  # nothing left the file: no CDN, no fonts, no telemetry
    graph = views[name]
    assert o.js("window.kg.counts()") == {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}
    assert o.js("[window.kg.nodes.length, window.kg.edges.length]") == [graph.number_of_nodes(),
                                                                        graph.number_of_edges()]
    assert o.page.locator("#legend-colors > div").count() >= 2
    assert screenshot(o, f"browser-{name}").stat().st_size > 10_000


@pytest.mark.parametrize("name", ["hq", "clusters", "full"])
def test_filtering_by_a_subsector_hides_the_others(opened, pages, views, name):
    graph = views[name]
    codes = [d["subsector"].split(";") for _, d in graph.nodes(data=True)
             if d.get("subsector") and d["type"] in FACET_TYPES]
    code = max({c for cs in codes for c in cs}, key=lambda c: sum(c in cs for cs in codes))
    o = opened(pages[name])
    o.page.select_option("#filter-subsector", code)
    state = o.js("""() => {
        const shown = window.kg.nodes.get({filter: n => !n.hidden}).map(n => n.id);
        const facets = new Map(window.kg.data.nodes.map(n => [n.id, n.f ? n.f.subsector : null]));
        return {shown, other: shown.filter(id => facets.get(id) && !facets.get(id).includes(arguments[0])),
                counts: window.kg.counts()};
    }""".replace("arguments[0]", repr(code)))
    assert state["other"] == []
    matching = {n for n, d in graph.nodes(data=True) if code in d.get("subsector", "").split(";")
                and d["type"] in FACET_TYPES}
    assert matching <= set(state["shown"])
    assert 0 < state["counts"]["nodes"] < graph.number_of_nodes()
    assert o.errors == []
    screenshot(o, f"browser-{name}-subsector-{code}")
    o.page.click("#reset")
    assert o.js("window.kg.counts().nodes") == graph.number_of_nodes()


@pytest.mark.parametrize("name", ["hq", "clusters"])
def test_search_finds_a_firm_and_shows_its_facts_and_sources(opened, pages, built, name):
    o = opened(pages[name])
    o.page.fill("#search", "korsch")
    o.page.press("#search", "Enter")
    korsch = built.iris.org("korsch").value
    if name == "hq":
        assert o.js("window.kg.network.getSelectedNodes()") in ([korsch], [built.iris.site("korsch-berlin").value])
    else:
        assert o.js("window.kg.network.getSelectedNodes()") == [korsch]
    details = o.page.locator("#details").inner_text()
    assert "KORSCH" in details and "Sources" in details
    assert "prägnant 31" in details  # the brief, by its title
    assert o.errors == []


def test_clicking_a_node_shows_where_control_sits(opened, pages, built):
    o = opened(pages["hq"])
    zf = built.iris.org("zf").value
    point = o.js("""(id) => { const net = window.kg.network;
                             net.moveTo({position: net.getPositions([id])[id], scale: 1.5});
                             return net.canvasToDOM(net.getPositions([id])[id]); }""", zf)
    box = o.page.locator("#network").bounding_box()
    o.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    details = o.page.locator("#details").inner_text()
    assert "ZF Friedrichshafen" in details and "Baden-Württemberg" in details and "ext-zf-1" in details


def test_geographic_layout_uses_coordinates(opened, pages, views, built):
    o = opened(pages["hq"])
    o.page.check("input[name=layout][value=geo]")
    site = built.iris.site("zf-brandenburg").value
    pos = o.js("(id) => window.kg.network.getPositions([id])[id]", site)
    data = views["hq"].nodes[site]
    # the view keeps north up (as Gephi reads it); the canvas draws y down
    assert abs(pos["x"] - data["geo_x"]) <= 1 and abs(pos["y"] + data["geo_y"]) <= 1  # vis rounds to pixels
    screenshot(o, "browser-hq-geographic")
    o.page.check("input[name=layout][value=force]")
    assert o.js("(id) => window.kg.network.getPositions([id])[id].x", site) != pos["x"]
    assert o.errors == []


def test_text_from_the_data_is_shown_as_text_not_run(opened, data_copy, tmp_path):
    rename_firm(data_copy)
    result = build(data_copy, ONTOLOGY)
    page = write_page(build_views(result.store, ["hq"])["hq"], tmp_path / "hq.html")
    assert XSS not in page.read_text(encoding="utf-8")
    o = opened(page)
    o.page.fill("#search", "<img")
    o.page.press("#search", "Enter")
    playwright_api.expect(o.page.locator("#details h2").first).to_have_text(XSS)
    assert o.js("document.querySelectorAll('img').length") == 0
    korsch = result.iris.org("korsch").value
    assert o.js("(id) => window.kg.nodes.get(id).label", korsch) == XSS  # drawn on the canvas as text
    assert o.dialogs == [] and o.errors == [] and o.requests == []
    screenshot(o, "browser-xss")


def test_past_the_node_budget_the_page_draws_an_aggregate(opened, views, tmp_path):
    graph = views["full"]
    page = write_page(graph, tmp_path / "full-small.html", budget=120)
    drawn = within_budget(graph, 120)
    o = opened(page)
    assert o.js("window.kg.counts()") == {"nodes": drawn.number_of_nodes(), "edges": drawn.number_of_edges()}
    assert drawn.number_of_nodes() <= 120
    assert "Aggregated" in o.page.locator("#aggregated").inner_text()
    # a member of a group is one search away
    member = next(d["members"][0][1] for _, d in drawn.nodes(data=True) if d.get("members"))
    o.page.fill("#search", member)
    o.page.press("#search", "Enter")
    assert member in o.page.locator("#details").inner_text()
    assert o.errors == [] and o.requests == []


# ---------------------------------------------------------------------------- the hq page tells the story

IN_OUTLINE = """() => {
  // every site (and group of sites) on the map, inside the drawn outline of its Land (even-odd rule)
  const inside = (p, rings) => { let r = false; for (const ring of rings) for (let i = 1; i < ring.length; i++) {
    const [x1, y1] = ring[i - 1], [x2, y2] = ring[i];
    if ((y1 > p.y) !== (y2 > p.y) && p.x < (x2 - x1) * (p.y - y1) / (y2 - y1) + x1) r = !r; } return r; };
  const outlines = new Map(kg.data.areas.filter(a => a.rings && a.kind === "region").map(a => [a.label, a.rings]));
  const positions = kg.network.getPositions(), out = {checked: 0, outside: []};
  for (const n of kg.data.nodes) {
    // a site, a group of sites, or a map symbol of the sites and firms in one Land
    const land = n.info.land, site = n.type === "site" || ["site", "firm"].includes(n.info.member_type);
    if (!site || !land || !outlines.has(land)) continue;
    out.checked += 1;
    if (!inside(positions[n.id], outlines.get(land))) out.outside.push(n.label + " (" + land + ")");
  }
  return out;
}"""

NO_OVERLAP = """() => {
  const boxes = kg.labelBoxes(), bad = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].box, b = boxes[j].box;
    if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) bad.push([boxes[i].id, boxes[j].id]);
  }
  return {labels: boxes.length, overlapping: bad.length};
}"""


@pytest.fixture(scope="module")
def synthetic_hq(tmp_path_factory):
    """The hq page of a 5,000-firm synthetic economy: about 3,600 sites, so drawn aggregated (past the
    2,000-node budget), with over 3,000 firms inside groups."""
    from kg.synth import synthesize
    folder = tmp_path_factory.mktemp("synth5k")
    synthesize(folder / "data", 5_000, seed=11)
    result = build(folder / "data")
    return write_page(build_views(result.store, ["hq"])["hq"], folder / "hq.html")


@pytest.fixture(scope="module")
def synthetic_20k(tmp_path_factory):
    """A 20,000-firm synthetic economy, built once, and its hq, clusters and full views and pages: past the
    node budget, so drawn aggregated (the hq map as a few dozen symbols; most members of the named clusters,
    holdings, campuses and parks, folded into group nodes)."""
    from kg.synth import synthesize
    folder = tmp_path_factory.mktemp("synth20k")
    synthesize(folder / "data", 20_000, seed=11)
    views = build_views(build(folder / "data").store, ["hq", "clusters", "full"])
    return views, {name: write_page(graph, folder / f"{name}.html") for name, graph in views.items()}


@pytest.fixture(scope="module")
def synthetic_hq_20k(synthetic_20k):
    """The hq view of the 20,000-firm economy (about 29,000 nodes) and its page."""
    views, pages = synthetic_20k
    return views["hq"], pages["hq"]


LEGEND_AND_BARS = """() => {
  const legend = {}, bars = {};
  for (const row of document.querySelectorAll('#legend-colors > div')) {
    const m = row.textContent.match(/^(.*) — ([\\d,]+) firms? · ([\\d,]+) jobs$/);
    if (m) legend[m[1]] = m[3];
  }
  for (const row of document.querySelectorAll('#centres tr'))
    bars[row.cells[0].textContent] = row.cells[2].firstChild.textContent;
  return {legend, bars, groups: kg.data.nodes.filter(n => n.type === 'aggregate').map(n => n.label)};
}"""


def test_at_20000_firms_the_groups_say_what_they_hold_and_the_legend_reads_the_bars_numbers(opened, synthetic_hq_20k):
    """Past the node budget the hq map is drawn as a few dozen symbols, grouped by where control sits, as it
    colours: each symbol's jobs count for one place of control, so the legend's jobs by place are the bars'
    (decision-centres), and a symbol says in words what it holds, in the page's language."""
    hq, page = synthetic_hq_20k
    o = opened(page)
    found = o.js(LEGEND_AND_BARS)
    assert len(found["bars"]) >= 5 and all(v[0].isdigit() for v in found["bars"].values())
    assert {label: found["legend"].get(label) for label in found["bars"]} == found["bars"]
    # readable: symbols, not a heap of the largest firms
    assert hq.number_of_nodes() > 20_000 and len(found["groups"]) == o.js("kg.data.nodes.length") <= 100
    assert not any(" · " in label for label in found["groups"])
    region = re.compile(r"^[\d,]+ (site|firm)s? in \S.* run from \S.*$")
    place = re.compile(r"^[^:]+: [\d,]+ (place|group)s?(, [\d,]+ groups?)?$")
    assert all(region.match(label) or place.match(label) for label in found["groups"]), found["groups"][:5]
    assert any(label.endswith("sites in Brandenburg run from the region") for label in found["groups"])
    assert f"drawn as {len(found['groups'])} symbols" in o.page.locator("#aggregated").inner_text()
    bars = list(found["bars"])
    assert {label.split(":")[0] for label in found["groups"] if place.match(label)} >= set(bars[:3])
    o.page.check("input[name=lang][value=de]")
    german = o.js("() => kg.data.nodes.map(n => kg.network.body.nodes[n.id].options.label).filter(Boolean)")
    assert german and all(re.match(r"^[\d.]+ (Standort|Firm)|^[^:]+: [\d.]+ (Ort|Konzern)", label) for label in german)
    # the picture to publish: its legend counts the sites inside groups too, and its text stays in frame
    svg = o.js("() => kg.data.picture")
    assert clipped(svg) == []
    sites = sum(1 for _, d in hq.nodes(data=True) if d["type"] == "site")
    counted = re.findall(r"<text[^>]*>[^<]* \(([\d,]+)\)</text>", svg.split("Colour: where a site is run from")[1])
    assert sum(int(n.replace(",", "")) for n in counted) == sites
    assert o.errors == [] and o.requests == []


def test_the_hq_headline_shows_the_figures_of_the_summary_query(opened, pages, built):
    from kg.query import run
    o = opened(pages["hq"])
    region = run("control-summary", built.store, {}, built.iris).records()[0]
    big = o.page.locator("#headline .big").text_content()
    assert f"{region['shareJobsOutside']} %" in big
    assert f"{region['shareJobsOutsideMin']}–{region['shareJobsOutsideMax']} %" in big
    assert f"Reading: {region['reading']}." in big  # the project's reading, as the query names it
    centres = run("decision-centres", built.store, {}, built.iris).records()
    # the sentence names the top three places of control with their jobs, in the order decision-centres gives
    top = [c for c in centres if c["employees"]][:3]
    said = [big.index(f"{c['areaLabel']} ({c['employees']:,}") for c in top]
    assert len(top) == 3 and said == sorted(said), big
    assert "contested: 0–3,000" in big  # Bavaria: Siemens Energy's place of control is contested
    known = region["firmsOutside"] + region["firmsInside"]
    assert f"{region['firmsOutside']} of the {known} firms of known control" in big
    rows = o.page.locator("#centres tr").all_text_contents()
    assert len(rows) == len(centres)
    for row, centre in zip(rows, centres, strict=True):
        # decision-centres prints no figure where none of the area's firms has one (Austria, North Rhine-Westphalia)
        shown = "no figure" if centre["employees"] is None else f"{centre['employees']:,}"
        assert row.startswith(centre["areaLabel"]) and shown in row, (row, centre)
    assert o.page.locator("#subtitle").text_content().startswith("Every plant")
    assert o.errors == [] and o.requests == []
    screenshot(o, "browser-hq-headline")


def test_the_clusters_headline_says_the_ties_counted_in_the_language_shown(opened, pages, views):
    """The sentence kg.views.clusters.ties_sentence writes (its numbers: tests/test_clusters_headline.py), in
    English, then in German after the switch; the downloaded picture carries it under the title."""
    o = opened(pages["clusters"])
    headline = views["clusters"].graph["headline"]
    big = o.page.locator("#headline .big")
    assert big.is_visible() and big.text_content() == headline["sentences"]["en"]
    assert big.text_content().startswith(f"{headline['ties']} ties among {headline['tiedFirms']} firms: ")
    # the title still names the kinds of tie drawn
    assert o.page.locator("#title").text_content() == "Cluster links: firms tied by holding or subsector and town"
    o.js("() => kg.picture()")
    words = " ".join(line["text"] for line in o.js("() => kg.pictureText()"))
    assert headline["sentences"]["en"] in words
    o.page.check("input[name=lang][value=de]")
    assert big.text_content() == headline["sentences"]["de"]
    assert big.text_content().startswith(f"{headline['ties']} Verbindungen zwischen {headline['tiedFirms']} Firmen: ")
    o.js("() => kg.picture()")
    assert headline["sentences"]["de"] in " ".join(line["text"] for line in o.js("() => kg.pictureText()"))
    o.page.check("input[name=lang][value=en]")
    assert big.text_content() == headline["sentences"]["en"]
    assert o.errors == [] and o.requests == []
    screenshot(o, "browser-clusters-headline")


def test_a_filter_on_the_20000_firm_map_counts_the_firms_inside_its_symbols(opened, synthetic_hq_20k):
    """A symbol stands for many subsectors: with a subsector filter the map keeps the symbols that hold such firms,
    and the figures count those firms only (every firm of that subsector in the view, none other)."""
    hq, page = synthetic_hq_20k
    firms = [d for _, d in hq.nodes(data=True) if d["type"] == "firm" and d.get("subsector")]
    code = max(sorted({c for d in firms for c in d["subsector"].split(";")}),
               key=lambda c: sum(c in d["subsector"].split(";") for d in firms))
    chosen = [d for d in firms if code in d["subsector"].split(";")]
    o = opened(page)
    o.page.select_option("#filter-subsector", code)
    line = o.page.locator("#headline .shown").inner_text()
    said = re.search(r"\): ([\d,]+) firms, ([\d,]+) known jobs, ([\d,]+) of them run from outside", line)
    assert said, line
    figures = [int(x.replace(",", "")) for x in said.groups()]
    assert figures[:2] == [len(chosen), sum(d.get("headcount") or 0 for d in chosen)]
    assert figures[2] == sum(d.get("headcount") or 0 for d in chosen if d.get("outside"))
    shown = o.js("() => kg.data.nodes.filter(n => n.parts && !kg.nodes.get(n.id).hidden).length")
    assert 0 < shown < o.js("() => kg.data.nodes.filter(n => n.parts).length")
    assert o.errors == []


def test_the_clusters_headline_at_20000_firms_counts_the_data_not_what_is_drawn(opened, synthetic_clusters):
    o = opened(synthetic_clusters)
    state = o.js("""() => ({headline: kg.data.headline, aggregated: !!kg.data.aggregated,
        firms: kg.data.nodes.filter(n => n.type === "firm").length,
        shown: document.querySelector('#headline .big').textContent})""")
    headline = state["headline"]
    assert state["aggregated"] and headline["firms"] == 20_000
    assert headline["tiedFirms"] > state["firms"]  # most firms are folded into groups, and counted
    assert state["shown"] == headline["sentences"]["en"]
    assert state["shown"].startswith(f"{headline['ties']:,} ties among {headline['tiedFirms']:,} firms: ")
    assert "the 20,000 firms in the data" in state["shown"]
    assert o.errors == []


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_every_site_is_drawn_inside_its_land_s_outline(opened, pages, synthetic_hq, which):
    o = opened(pages["hq"] if which == "real" else synthetic_hq)
    assert o.js("() => kg.layout()") == "geo"  # the hq page opens as the map
    result = o.js(IN_OUTLINE)
    # the synthetic page is drawn as symbols: those of the sites in each Land and place of control
    assert result["checked"] > (30 if which == "real" else 15)
    assert result["outside"] == []
    assert o.errors == [] and o.requests == []


@pytest.mark.parametrize("which", ["real", "synthetic"])
def test_labels_do_not_overlap_at_the_first_zoom(opened, pages, synthetic_hq, which):
    o = opened(pages["hq"] if which == "real" else synthetic_hq)
    result = o.js(NO_OVERLAP)
    assert result["labels"] >= 10 and result["overlapping"] == 0
    # every place of control gets its label first (the story's end points)
    labelled = {b["id"] for b in o.js("() => kg.labelBoxes()")}
    places = o.js("() => kg.data.nodes.filter(n => n.type === 'place').map(n => n.id)")
    assert set(places[:5]) <= labelled or len(labelled) >= len(places)


def test_search_finds_a_synthetic_firm_inside_a_group(opened, synthetic_hq):
    import random
    o = opened(synthetic_hq)
    members = o.js("() => kg.data.nodes.filter(n => n.members && n.info.member_type === 'firm')"
                   ".flatMap(n => n.members.map(m => m[1]))")
    assert len(members) > 1000  # grouped firms are all listed (paged in the panel), not capped
    name = random.Random(5).choice(members)
    found = o.js("(q) => kg.search(q)", name)
    assert found is not None
    assert "(in the group" in o.page.locator("#search-result").text_content()
    assert name in o.page.locator("#details ul.members").text_content()  # the page of members that holds it


def test_a_page_past_its_members_listed_says_how_many_more_each_group_holds(opened, synthetic_hq_20k, tmp_path,
                                                                              monkeypatch):
    """A page of a very large economy lists each group's largest members only: a member found by the search is
    shown on its page of the list, and the panel says how many more the group holds and where all of them are."""
    import kg.views.budget
    view, _ = synthetic_hq_20k
    monkeypatch.setattr(kg.views.budget, "MEMBERS_LISTED", 3_000)
    o = opened(write_page(view, tmp_path / "hq.html"))
    listed = o.js("() => kg.data.nodes.reduce((n, d) => n + (d.members || []).length, 0)")
    assert 2_000 < listed <= 3_000
    group = o.js("() => kg.data.nodes.filter(n => n.unlisted && n.info.member_type === 'firm')"
                 ".sort((a, b) => b.unlisted - a.unlisted)[0]")
    every = o.js("() => kg.data.nodes.flatMap(n => [n.label, ...(n.members || []).map(m => m[1])])")
    name = next(m for _, m in reversed(group["members"]) if sum(m.lower() in x.lower() for x in every) == 1)
    assert o.js("(q) => kg.search(q)", name) is not None
    panel = o.page.locator("#details").text_content()
    assert name in o.page.locator("#details ul.members").text_content()
    assert f"{group['unlisted']:,} more are not" in panel and "kg export gexf --view hq" in panel
    assert o.errors == [] and o.requests == []


IN_FRAME = """() => {
  // the nodes drawn inside the network's box at the first zoom: the region's sites, and the places of control
  const box = document.getElementById("network").getBoundingClientRect(), net = kg.network;
  const seen = id => { const p = net.canvasToDOM(net.getPositions([id])[id]);
                       return p.x >= 0 && p.y >= 0 && p.x <= box.width && p.y <= box.height; };
  const named = kg.data.headline.centres.filter(c => c.jobs).slice(0, 3).map(c => c.label);
  const sites = kg.data.nodes.filter(n => n.type === "site");
  return {named, sitesOut: sites.filter(n => !seen(n.id)).map(n => n.label),
          placesIn: named.map(c => kg.data.nodes.some(n => n.type === "place" && n.k.centre === c && seen(n.id)))};
}"""


@pytest.mark.parametrize("width", [1440, 390])
def test_the_first_frame_holds_the_region_and_the_places_the_headline_names(opened, pages, width):
    """The story in frame as the page opens: every site of the region, and a place of each of the headline's three
    top places of control (Bavaria, Baden-Württemberg, the Netherlands: no zoom-out needed to see them)."""
    o = opened(pages["hq"], viewport=(width, 844 if width == 390 else 900))
    frame = o.js(IN_FRAME)
    assert len(frame["named"]) == 3 and frame["placesIn"] == [True, True, True], frame
    assert frame["sitesOut"] == []
    assert o.errors == []


def test_a_filter_refits_the_view_and_updates_the_legend(opened, pages):
    o = opened(pages["hq"])
    state = "() => ({scale: kg.network.getScale(), legend: document.getElementById('legend-colors').textContent})"
    before = o.js(state)
    o.js("() => kg.filter('land', 'Brandenburg')")
    after = o.js(state)
    assert after["scale"] != before["scale"]
    assert after["legend"] != before["legend"]
    # the headline says what the filter leaves, beside the figures for all the named firms
    assert "Shown with the filter (land: Brandenburg)" in o.page.locator("#headline .shown").text_content()
    assert "2,000 of them run from outside" in o.page.locator("#headline .shown").text_content()  # ZF, Heidelberger
    # the legend counts what is shown: Siemens Energy (Berlin, run from Bavaria) is filtered out
    assert "Bavaria — 1 firm · 3,000 jobs" in before["legend"] and "Bavaria — 0 shown" in after["legend"]
    assert o.errors == []


def _download(o: Opened, button: str, path: Path) -> Path:
    with o.page.expect_download() as download:
        o.page.click(button)
    download.value.save_as(path)
    return path


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return width, height


def test_the_hq_page_downloads_the_picture_to_publish_as_svg_and_as_png(opened, pages, views, tmp_path):
    """The hq page carries the picture kg.views.picture draws: the SVG as it is, and drawn to a PNG at 2,400 px."""
    import xml.etree.ElementTree as ET
    o = opened(pages["hq"])
    assert o.page.locator("#download").text_content() == "Download PNG"
    svg = _download(o, "#download-svg", tmp_path / "hq.svg").read_text(encoding="utf-8")
    words = " ".join(" ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")).split())
    graph = views["hq"]
    for whole in (graph.graph["headline"]["sentence"], graph.graph["credit"]):
        assert " ".join(whole.split()) in words, whole
    width, height = _png_size(_download(o, "#download", tmp_path / "hq.png").read_bytes())
    assert width >= 2400 and height > 1000
    assert o.errors == [] and o.requests == []


def test_the_canvas_picture_is_drawn_at_twice_the_size_with_its_text_wrapped(opened, pages, tmp_path):
    """clusters and full have no picture drawn in Python: the canvas at 2× whatever the pixel ratio, the text
    wrapped to the width, never clipped (a headline longer than three widths of the picture)."""
    import base64
    o = opened(pages["clusters"], viewport=(900, 700))
    long_title = "A title that names " + "a good many clusters, " * 12 + "and ends here."
    o.js("(t) => { document.getElementById('title').textContent = t; }", long_title)
    assert o.page.locator("#download-svg").is_hidden()
    png = base64.b64decode(o.js("() => kg.picture()").split(",", 1)[1])
    canvas = "() => { const c = document.querySelector('#network canvas'); return [c.clientWidth, c.width]; }"
    css_width, device_width = o.js(canvas)
    assert _png_size(png)[0] == 2 * css_width
    # the map was drawn afresh at 2× for the picture (not the screen's pixels stretched), and the screen's
    # drawing is back as it was
    copied = o.js("""() => {
        const network = document.querySelector('#network canvas'), draw = CanvasRenderingContext2D.prototype.drawImage;
        let width = null;
        CanvasRenderingContext2D.prototype.drawImage = function (image, ...rest) {
          if (image === network) width = image.width; return draw.call(this, image, ...rest); };
        try { kg.picture(); } finally { CanvasRenderingContext2D.prototype.drawImage = draw; }
        return width; }""")
    assert copied == 2 * css_width
    assert o.js(canvas) == [css_width, device_width] and o.js("() => window.devicePixelRatio") == 1
    lines = o.js("() => kg.pictureText()")
    assert all(line["x"] >= 0 and line["width"] <= line["limit"] + 0.5 for line in lines), lines
    words = " ".join(line["text"] for line in lines)
    assert long_title in words and "Data: " in words  # whole, wrapped onto lines
    assert _png_size(_download(o, "#download", tmp_path / "clusters.png").read_bytes()) == _png_size(png)
    assert o.errors == [] and o.requests == []


def rgba(text: str) -> tuple[str, float]:
    """``rgba(r,g,b,a)`` as graphology-gexf gives a viz:color: (hex, opacity)."""
    r, g, b, a = text[text.index("(") + 1:-1].split(",")
    return f"#{int(r):02X}{int(g):02X}{int(b):02X}", float(a)


def graphology_read(browser, path: Path) -> dict:
    """A GEXF file as graphology-gexf parses it (offline): its nodes' attributes by key, and its edges' (with
    ``from`` and ``to``)."""
    page = browser.new_page()
    requests: list[str] = []
    page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page.set_content("<!doctype html><title>graphology</title>")
    page.add_script_tag(content=GRAPHOLOGY.read_text(encoding="utf-8"))
    got = page.evaluate("""(text) => {
        const {Graph, parse} = window.graphologyGexf, g = parse(Graph, text);
        return {nodes: Object.fromEntries(g.mapNodes((n, a) => [n, a])),
                edges: g.mapEdges((e, a, source, target) => Object.assign({}, a, {from: source, to: target}))};
    }""", path.read_text(encoding="utf-8"))
    page.close()
    assert requests == []
    return got


@pytest.mark.parametrize(("name", "drawn"), [("hq", "geo"), ("clusters", "force")])
def test_gephi_lite_reads_the_gexf_as_the_page_draws_it(browser, views, built, tmp_path, name, drawn):
    """graphology-gexf reads the positions (north up), colours and sizes of the nodes and the colours and
    thickness of the lines that the page draws."""
    got = graphology_read(browser, export_graph(views[name], "gexf", tmp_path / f"{name}.gexf"))
    view, data = views[name], page_data(views[name])
    assert len(got["nodes"]) == view.number_of_nodes() and len(got["edges"]) == view.number_of_edges()
    for n, d in view.nodes(data=True):
        a = got["nodes"][n]
        assert (a["x"], a["y"]) == (d[f"{drawn}_x"], d[f"{drawn}_y"])  # viz:position, never an attribute x / y
        assert rgba(a["color"]) == (d["color"], 1.0) and a["size"] == d["size"]
    lines = {(e["from"], e["to"]): e for e in data["edges"]}
    for a in got["edges"]:
        line = lines.get((a["from"], a["to"])) or lines[(a["to"], a["from"])]
        assert rgba(a["color"]) == (line["color"], line["opacity"]) and a["thickness"] == line["width"]
    if name == "hq":  # the map north up: München below Berlin, as sigma.js draws y
        muenchen, berlin = (got["nodes"][built.iris.place(p).value]["y"] for p in ("muenchen", "berlin"))
        assert muenchen < berlin
        assert max(a["thickness"] for a in got["edges"]) == 10.0


def test_gephi_lite_reads_the_spells_of_the_dynamic_gexf(browser, views, built, tmp_path):
    """graphology-gexf, which has no timeline, reads the days a dated site or parent holds as the node's or the
    line's ``start`` and ``end``: the ASML site opened in 2024 (data/sites.csv), the parents with a
    ``parent_since`` (data/organizations.csv), each as kg.rules.spell has them."""
    got = graphology_read(browser, export_graph(views["hq"], "gexf", tmp_path / "hq.gexf"))
    tables = read_tables(DATA)
    site = next(r for r in tables["sites"] if r["id"] == "asml-oberschoeneweide")
    assert site["opened"] == "2024"
    node = got["nodes"][built.iris.site(site["id"]).value]
    assert node["start"] == "2024-01-01" and "end" not in node
    dated = [r for r in tables["organizations"] if r["parent_since"] or r["parent_until"]]
    assert dated
    lines = {(e["from"], e["to"]): e for e in got["edges"]}
    for org in dated:
        line = lines[(built.iris.org(org["id"]).value, built.iris.org(org["parent"]).value)]
        assert {k: line[k] for k in ("start", "end") if k in line} == spell_attrs(org["parent_since"],
                                                                                   org["parent_until"])
        assert line["start"][:4] == org["parent_since"][:4]
    undated = [n for n, d in views["hq"].nodes(data=True) if "start" not in d and "end" not in d]
    assert undated and not any("start" in got["nodes"][n] or "end" in got["nodes"][n] for n in undated)


def test_the_hq_page_draws_the_lines_as_the_gexf_has_them(opened, pages, views):
    """The page's line widths and colours are the view's (kg.views.style.edge_look), the numbers GEXF carries."""
    o = opened(pages["hq"])
    drawn = o.js("() => window.kg.edges.get().map(e => [e.from, e.to, e.width, e.color.color])")
    view = views["hq"]
    assert len(drawn) == view.number_of_edges()
    for u, v, width, color in drawn:
        assert (width, color) == (view.edges[u, v]["width"], view.edges[u, v]["color"])
    assert max(width for *_, width, _ in drawn) == 10.0 and len({c for *_, c in drawn}) >= 4
    assert o.errors == []


# ---------------------------------------------------------------------------- drawn on any screen, for everyone

DESKTOP, PHONE = (1440, 900), (390, 844)


@pytest.fixture(scope="module")
def synthetic_clusters(synthetic_20k):
    """The clusters page of the 20,000-firm economy."""
    return synthetic_20k[1]["clusters"]


def page_of(name: str, pages, synthetic_20k) -> Path:
    """The page ``hq``, ``clusters`` or ``full`` of the repository's data, or with ``-20k`` of the 20,000 firms."""
    view, _, size = name.partition("-")
    return synthetic_20k[1][view] if size else pages[view]


#: How many pixels of a PNG (base64) are not white, counted by the browser's own PNG decoder.
NON_WHITE = """async (png) => {
  const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
  const image = await createImageBitmap(new Blob([bytes], {type: "image/png"}));
  const canvas = document.createElement("canvas"); canvas.width = image.width; canvas.height = image.height;
  const c = canvas.getContext("2d"); c.drawImage(image, 0, 0);
  const d = c.getImageData(0, 0, canvas.width, canvas.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n++;
  return n; }"""


def network_size(o: Opened) -> dict[str, float]:
    return o.js("() => { const r = document.querySelector('#network canvas').getBoundingClientRect();"
                " return {width: r.width, height: r.height}; }")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", ["hq", "clusters", "full", "hq-20k", "clusters-20k", "full-20k"])
def test_the_network_is_drawn_at_a_size_that_stays(opened, pages, synthetic_20k, name, viewport):
    import base64
    o = opened(page_of(name, pages, synthetic_20k), viewport)
    o.next_frames()
    before = network_size(o)
    o.page.wait_for_timeout(2_000)  # vis-network's autoResize looks every second: a resize loop shows in 2 s
    after = network_size(o)
    assert after == before, f"the network grew from {before} to {after}"
    assert 0 < after["height"] <= viewport[1] and 0 < after["width"] <= viewport[0]
    box = o.page.locator("#network").bounding_box()
    png = o.page.screenshot(clip=box, full_page=True)
    drawn = o.js(NON_WHITE, base64.b64encode(png).decode())
    assert drawn > 0.01 * box["width"] * box["height"], f"{drawn} non-white pixels"  # not a blank canvas
    assert o.errors == [] and o.requests == []
    screenshot(o, f"browser-{name}-{'phone' if viewport == PHONE else 'desktop'}")


def test_the_hulls_of_a_large_economy_are_drawn_around_the_members_on_the_page(opened, synthetic_clusters):
    o = opened(synthetic_clusters)
    o.next_frames(3)
    state = o.js("""() => ({aggregated: !!kg.data.aggregated, hulls: kg.data.hulls.map(h => ({
        drawn: h.members.length, on: h.members.filter(id => kg.nodes.get(id)).length, count: h.member_count}))})""")
    assert state["aggregated"] and len(state["hulls"]) >= 5
    assert all(h["on"] == h["drawn"] >= 2 for h in state["hulls"])  # only nodes that are on the page
    assert any(h["count"] > h["drawn"] for h in state["hulls"])  # some members are inside a group node
    assert o.errors == []


AXE_BLOCKING = ("serious", "critical")


def axe_violations(o: Opened) -> list[tuple[str, str, list[str]]]:
    from axe_playwright_python.sync_playwright import Axe
    found = Axe().run(o.page).response["violations"]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found
            if v["impact"] in AXE_BLOCKING]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", ["hq", "clusters", "full", "hq-20k", "full-20k"])
def test_axe_finds_no_serious_accessibility_problem(opened, pages, synthetic_20k, name, viewport):
    o = opened(page_of(name, pages, synthetic_20k), viewport)
    o.next_frames()
    assert axe_violations(o) == []
    # with a node's details open, its members listed (a group of the node budget) and the legend filtered
    o.js("() => { const n = kg.data.nodes.find(n => n.members) || kg.data.nodes[0]; kg.search(n.label); }")
    o.js("() => kg.filter('subsector', kg.data.facets.subsector[0] || '')")
    assert axe_violations(o) == []


def test_axe_finds_no_serious_problem_on_an_aggregated_page_with_a_group_open(opened, synthetic_clusters):
    o = opened(synthetic_clusters)
    o.js("() => kg.search(kg.data.nodes.find(n => n.members).label)")
    assert o.page.locator("#details ul.members li").count() > 1
    assert axe_violations(o) == []


def contrast(a: str, b: str = "rgb(255, 255, 255)") -> float:
    """WCAG contrast ratio of two CSS colours (rgb(...) or #rrggbb)."""
    import re

    def luminance(colour: str) -> float:
        channels = ([int(colour[i:i + 2], 16) for i in (1, 3, 5)] if colour.startswith("#")
                    else [int(x) for x in re.findall(r"\d+", colour)[:3]])
        lin = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", ["hq", "clusters", "full"])
def test_bars_swatches_nodes_and_lines_stand_out_from_the_white(opened, pages, name):
    o = opened(pages[name])
    marks = o.js("""() => [...document.querySelectorAll('#centres .bar, #legend-colors .swatch')].map(e => {
        const s = getComputedStyle(e); return {fill: s.backgroundColor, border: s.borderTopColor,
                                               width: parseFloat(s.borderTopWidth)}; })""")
    assert marks
    for mark in marks:  # a graphic: 3:1 against the white, by its fill or by its outline
        assert max(contrast(mark["fill"]), contrast(mark["border"]) if mark["width"] >= 1 else 0) >= 3, mark
    outlines = o.js("() => kg.nodes.get().map(n => n.color.border)")
    assert outlines and min(contrast(c) for c in outlines) >= 3
    lines = o.js("() => Object.values(kg.data.edgeKinds).map(k => k.color)")
    assert all(contrast(c) >= 3 for c in lines)


def test_the_canvas_has_a_text_alternative_with_the_headline_and_the_places_of_control(opened, pages, built):
    from kg.query import run
    o = opened(pages["hq"])
    network = o.page.locator("#network")
    assert network.get_attribute("role") == "img"
    assert o.js("() => document.getElementById(document.getElementById('network').getAttribute('aria-labelledby'))"
                ".textContent") == o.page.locator("h1").text_content()
    words = o.page.locator("#" + network.get_attribute("aria-describedby"))
    box = words.bounding_box()
    assert box is None or box["width"] <= 1 and box["height"] <= 1  # visually hidden, in the DOM
    text = words.text_content()
    assert o.page.locator("#headline .big").text_content() in text
    centres = run("decision-centres", built.store, {}, built.iris).records()
    rows = words.locator("tr").all_text_contents()[1:]
    assert len(rows) == len(centres)
    for row, centre in zip(rows, centres, strict=True):
        shown = "no figure" if centre["employees"] is None else f"{centre['employees']:,}"
        assert row.startswith(centre["areaLabel"]) and row.endswith(shown), (row, centre)


def test_a_centre_with_no_figure_has_no_bar_and_the_legend_says_no_figure(opened, pages):
    o = opened(pages["hq"])
    rows = o.js("""() => [...document.querySelectorAll('#centres tr')].map(tr => ({
        text: tr.textContent, bars: tr.querySelectorAll('.bar').length}))""")
    unknown = [r for r in rows if "no figure" in r["text"]]
    assert unknown and all(r["bars"] == 0 for r in unknown)  # Austria, North Rhine-Westphalia
    assert all(r["bars"] == 1 for r in rows if r not in unknown)
    legend = o.page.locator("#legend-colors").inner_text()
    assert "Austria — 1 firm · no job figure" in legend and " 0 jobs" not in legend


def test_the_side_panel_is_reached_by_keyboard(opened, pages):
    o = opened(pages["hq"])
    reached = []
    for _ in range(60):
        o.page.keyboard.press("Tab")
        reached.append(o.js("() => document.activeElement.id"))
        if reached[-1] == "panel":
            break
    assert reached[-1] == "panel", reached
    assert o.js("() => { const p = document.getElementById('panel'); return p.scrollHeight > p.clientHeight; }")
    o.page.keyboard.press("PageDown")
    o.page.wait_for_function("() => document.getElementById('panel').scrollTop > 0")  # scrolled by keyboard


def test_clicking_a_node_dims_the_other_ties_but_keeps_their_colours(opened, pages, built):
    o = opened(pages["clusters"])
    colours = ("() => Object.fromEntries(kg.edges.get().map(e => [e.id, [e.color.color, e.color.highlight,"
               " e.color.opacity]]))")
    before = o.js(colours)
    holding = built.iris.org("berlin-industrial-group").value
    point = o.js("(id) => kg.network.canvasToDOM(kg.network.getPositions([id])[id])", holding)
    box = o.page.locator("#network").bounding_box()
    o.page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    assert o.js("() => kg.network.getSelectedNodes()") == [holding]
    after = o.js(colours)
    kinds = o.js("() => Object.fromEntries(Object.entries(kg.data.edgeKinds).map(([k, s]) => [k, s.color]))")
    tie_colours = {e["id"]: kinds[e["kind"]] for e in o.js("() => kg.data.edges") if e.get("kind")}
    assert len(set(tie_colours.values())) >= 2  # holding and subsector-and-town lines
    for edge, colour in tie_colours.items():
        assert before[str(edge)][:2] == after[str(edge)][:2] == [colour, colour]  # the hue, selected or not
    assert any(after[k][2] < before[k][2] for k in before)  # the others dimmed
    assert any(after[k][2] == before[k][2] for k in before)  # the holding's own lines not


SHOWN_LABELS = """() => {
  const data = new Map(window.kg.data.nodes.map(n => [n.id, n]));
  return window.kg.nodes.get().filter(n => n.label && data.get(n.id).label_en && data.get(n.id).label_de
                                           && data.get(n.id).label_en !== data.get(n.id).label_de)
    .map(n => [n.label.split("\\n")[0], data.get(n.id).label_en, data.get(n.id).label_de]);
}"""


def _language_of(o) -> set[str]:
    """Which language the shown labels of places named differently in German and English are in (once the labels
    are placed again: a switch of language can change the network's height, and the labels follow the resize)."""
    o.page.wait_for_function(f"() => ({SHOWN_LABELS})().length > 0", timeout=10_000)
    shown = o.js(SHOWN_LABELS)
    assert shown, "no place with an English and a German name is labelled"
    return {"en" if label == en else "de" if label == de else "?" for label, en, de in shown}


def test_labels_are_in_the_projects_first_language_one_language_at_a_time(opened, views, tmp_path):
    """The labels follow kg.toml's first language (en for the repository's data, the interface's); the switch
    turns them all to the other; a project whose first language is German opens in German."""
    english = opened(write_page(views["hq"], tmp_path / "hq-en.html"))
    assert english.js("() => document.querySelector('input[name=lang]:checked').value") == "en"
    assert _language_of(english) == {"en"}
    english.page.check("input[name=lang][value=de]")
    assert _language_of(english) == {"de"}
    graph = views["hq"].copy()
    graph.graph["language"] = "de"
    german = opened(write_page(graph, tmp_path / "hq-de.html"))
    assert german.js("() => document.querySelector('input[name=lang]:checked').value") == "de"
    assert _language_of(german) == {"de"}
    assert english.errors == [] and german.errors == []
