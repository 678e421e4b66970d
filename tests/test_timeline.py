"""The pages' time slider (kg/timeline.py, kg/web/timeline.js): at each year a dated fact starts or ends, the
network and the headline as ``kg viz --as-of YEAR`` draws them, in a real browser (Debian's Chromium)."""
from __future__ import annotations

import csv
import datetime
import json
import re
from pathlib import Path

import networkx as nx
import pytest

from kg.asof import at_date, fact_years
from kg.build import build
from kg.cli import main
from kg.html import page_data, write_page
from kg.query import run
from kg.rules import as_of_date, change_years
from kg.tables import Tables, read_tables
from kg.timeline import slider_data, year_views
from kg.views import build_views
from tests.conftest import DATA, ONTOLOGY
from tests.test_browser import DESKTOP, PHONE, Opened, axe_violations, screenshot

SECOND_ASML_SITE = "asml-oberschoeneweide"  # opened 2024 (data/sites.csv)


@pytest.fixture
def opened(browser):
    """Open a page in Chromium (tests/test_browser.py's Opened); closed after the test."""
    pages: list[Opened] = []

    def open_(path: Path, viewport: tuple[int, int] = DESKTOP) -> Opened:
        pages.append(Opened(browser, path, viewport))
        return pages[-1]
    yield open_
    for page in pages:
        page.close()


# ----------------------------------------------------------------- the years rule
def test_change_years_are_where_a_year_end_picture_changes():
    periods = [("2024", ""), ("", "2020"), ("2010-03", "2012-06"), ("1990/1999", "")]
    assert change_years(periods) == [1990, 2010, 2012, 2021, 2024]
    assert change_years([("", ""), ("", "")]) == []


def _rows(tables: Tables) -> dict[str, list[dict[str, str]]]:
    return {name: [row.values for row in rows] for name, rows in tables.rows.items()}


def test_the_tables_change_at_the_data_s_years_and_nowhere_else():
    """At the end of each year the data has, what holds differs from the year before; at the end of any other
    year it is the same: a slider with a stop at each of these years misses no picture."""
    tables = read_tables(DATA)
    years = fact_years(tables)
    assert {2020, 2024} <= set(years)  # ASML's parent since 2020, its second site opened 2024
    assert len(years) == len(set(years)) and years == sorted(years)
    previous = _rows(at_date(tables, datetime.date(years[0] - 2, 12, 31)).tables)
    for year in range(years[0] - 1, years[-1] + 3):
        now = _rows(at_date(tables, as_of_date(str(year))).tables)
        assert (now != previous) == (year in years), year
        previous = now


def test_no_dated_fact_no_years():
    assert fact_years(Tables(None, {})) == []


# ----------------------------------------------------------------- the pages in a browser
@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """``kg viz all``'s pages, and ``kg viz hq|clusters --as-of 2019``'s."""
    out = tmp_path_factory.mktemp("slider")
    assert main(["viz", "all", "--build", str(out / "no-build"), "--out", str(out / "now")]) == 0
    assert main(["viz", "all", "--as-of", "2019", "--build", str(out / "no-build"), "--out", str(out / "2019")]) == 0
    return {f"{when}/{name}": out / when / f"{name}.html" for when in ("now", "2019") for name in ("hq", "clusters")}


def page_json(path: Path) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="kg-data">(.*?)</script>',
                                path.read_text(encoding="utf-8"), re.S).group(1))


def shown(o) -> dict:
    """What the page shows: node ids, their colours and shapes, lines as (from, to, width, colour), the headline's
    text, the legend's rows (those of a colour shown), the counts."""
    return o.js("""() => {
        const nodes = kg.nodes.get({filter: n => !n.hidden});
        const byId = new Map(kg.nodes.get().map(n => [n.id, n]));
        const lines = kg.edges.get({filter: e => !e.hidden && !byId.get(e.from).hidden && !byId.get(e.to).hidden})
                        .map(e => [e.from, e.to, e.width, e.color.color]);
        const big = document.querySelector('#headline .big');
        const legend = [...document.querySelectorAll('#legend-colors > div')].map(d => d.textContent)
                         .filter(t => !t.endsWith(' 0 shown'));
        const of = look => Object.fromEntries(nodes.map(n => [n.id, look(n)]));
        return {nodes: nodes.map(n => n.id).sort(), colours: of(n => n.color.background), shapes: of(n => n.shape),
                lines, headline: big ? big.textContent : null, legend,
                counts: document.getElementById('counts').textContent};
    }""")


def same_picture(now: dict, then: dict, directed: bool) -> None:
    """The page moved to a year (``now``) shows what the page of kg viz --as-of that year (``then``) shows."""
    def lines(state: dict) -> list:
        return sorted(((a, b) if directed else tuple(sorted((a, b))), width, colour)
                      for a, b, width, colour in state["lines"])
    assert now["nodes"] == then["nodes"]
    assert now["colours"] == then["colours"] and now["shapes"] == then["shapes"]
    assert lines(now) == lines(then)
    assert now["headline"] == then["headline"]
    assert now["legend"] == then["legend"]


def move_to(o, label: str) -> None:
    """Move the slider with the keyboard (Home, then the right arrow) until it shows ``label``."""
    o.page.focus("#year")
    o.page.keyboard.press("Home")
    for _ in range(len(o.js("kg.timeline.stops"))):
        if o.page.locator("#year-shown").text_content() == label:
            return
        o.page.keyboard.press("ArrowRight")
    assert o.page.locator("#year-shown").text_content() == label


@pytest.mark.parametrize("name", ["hq", "clusters"])
def test_the_slider_shows_the_page_of_kg_viz_as_of_the_year(opened, written, built, name):
    """At 2019 the page shows what kg viz NAME --as-of 2019 draws: its nodes, their colours, the lines, their widths
    and colours, the legend's rows and the headline; at the latest year the page as drawn."""
    o = opened(written[f"now/{name}"])
    slider = o.page.get_by_role("slider", name="Year")  # a labelled range input
    assert slider.is_visible()
    years = [str(y) for y in fact_years(read_tables(DATA))]
    assert o.js("kg.timeline.stops") == years  # the last year's picture is the page's own: no extra stop
    latest = shown(o)
    assert o.page.locator("#year-shown").text_content() == years[-1]
    o.js("() => { window.stillTheSamePage = true; }")

    move_to(o, "2019")
    then = shown(o)
    assert o.js("window.stillTheSamePage") is True  # the data sets changed, the page was not loaded again
    assert slider.get_attribute("aria-valuetext") == "2019"
    same_picture(then, shown(opened(written[f"2019/{name}"])), directed=name == "hq")
    assert then != latest
    asml = built.iris.org("asml-berlin").value  # its parent since 2020: run from the region in 2019, a star
    assert then["shapes"][asml] == "star" != latest["shapes"][asml]
    if name == "hq":
        site = built.iris.site(SECOND_ASML_SITE).value
        assert site not in then["nodes"] and site in latest["nodes"]
        # the share and the jobs kg query control-summary gives as of 2019
        region = run("control-summary", build(DATA, ONTOLOGY, as_of=as_of_date("2019")).store, {},
                     built.iris).records()[0]
        assert then["headline"].startswith(f"{region['shareJobsOutside']} % of the {region['jobs']:,} known jobs")
        assert then["headline"] != latest["headline"]
        assert o.page.locator("#centres tr").count() == len(page_json(written["2019/hq"])["headline"]["centres"])
    screenshot(o, f"browser-{name}-slider-2019")

    o.page.keyboard.press("End")  # back to the latest year: the page as it was drawn
    assert shown(o) == latest
    assert o.errors == [] and o.requests == []


def test_a_year_hides_firms_from_the_filters_and_the_search_too(opened, written, built):
    o = opened(written["now/hq"])
    title = o.page.locator("#title").text_content()
    site = built.iris.site(SECOND_ASML_SITE).value
    label = o.js("(id) => kg.data.nodes.find(n => n.id === id).label", site)
    move_to(o, "2019")
    assert o.page.locator("#title").text_content() == f"{title} (as of the end of 2019)"  # the network's name too
    before = shown(o)["nodes"]
    o.page.click("#reset")  # the filters show everything there is in the year, not the nodes of other years
    assert shown(o)["nodes"] == before and site not in before
    assert o.js("(label) => kg.search(label)", label) is None  # not there in 2019
    o.page.focus("#year")
    o.page.keyboard.press("End")
    assert o.page.locator("#title").text_content() == title
    assert o.js("(label) => kg.search(label)", label) == site


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_serious_problem_with_the_slider(opened, written, viewport):
    o = opened(written["now/hq"], viewport)
    assert o.page.locator("#year").is_visible()
    box = o.page.locator("#year").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport[0]  # on the phone's screen, not past it
    move_to(o, "2019")
    assert axe_violations(o) == []
    screenshot(o, f"browser-hq-slider-{viewport[0]}")


@pytest.fixture(scope="module")
def views_now(built):
    return build_views(built.store, ["hq"])


def test_without_years_there_is_no_slider(opened, views_now, tmp_path):
    path = write_page(views_now["hq"], tmp_path / "hq.html")
    assert page_json(path)["timeline"] is None
    o = opened(path)
    assert o.page.locator("#timeline").is_hidden()
    assert o.errors == []


def test_a_page_the_same_in_every_year_has_no_slider(views_now):
    """A slider that moves nothing would say the page is broken."""
    page = views_now["hq"]
    assert slider_data(page_data(page), page, [("2019", page), ("2024", page)]) is None


def _date_sites(folder: Path, dates: dict[str, dict[str, str]]) -> None:
    path = folder / "sites.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(dates.get(row["id"], {}))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_the_clusters_slider_shows_the_ties_of_the_firms_there_in_the_year(opened, data_copy, tmp_path, built):
    """A firm whose one regional site opened in 2021 is not there, with its ties, before 2021; a firm whose one
    regional site closed in 2022 is gone after 2022; the page (every fact) has both, as a last stop of its own."""
    _date_sites(data_copy, {"ge-marienfelde": {"opened": "2021"}, "otis-berlin": {"closed": "2022"}})
    for when in ("", "2019", "2023"):
        assert main(["viz", "clusters", "--data", str(data_copy), "--build", str(tmp_path / "no-build"),
                     "--out", str(tmp_path / (when or "now"))] + (["--as-of", when] if when else [])) == 0
    o = opened(tmp_path / "now" / "clusters.html")
    stops = o.js("kg.timeline.stops")
    assert {"2019", "2021", "2023", "every fact"} <= set(stops) and stops[-1] == "every fact"
    latest = shown(o)
    ge, otis = built.iris.org("ge-power").value, built.iris.org("otis").value
    for when in ("2019", "2023"):
        move_to(o, when)
        then = shown(o)
        same_picture(then, shown(opened(tmp_path / when / "clusters.html")), directed=False)
        assert (ge in then["nodes"], otis in then["nodes"]) == ((False, True) if when == "2019" else (True, False))
        assert len(then["lines"]) < len(latest["lines"])  # their ties went with them
        # the headline counts the ties of the year, in the language shown
        assert then["headline"] != latest["headline"]
        o.page.check("input[name=lang][value=de]")
        german = page_json(tmp_path / when / "clusters.html")["headline"]["sentences"]["de"]
        assert o.page.locator("#headline .big").text_content() == german
        o.page.check("input[name=lang][value=en]")
        o.page.focus("#year")  # the slider's keys again, not the language's
    o.page.keyboard.press("End")
    assert shown(o) == latest and {ge, otis} <= set(latest["nodes"])
    assert o.errors == []


def test_a_node_and_a_line_of_a_year_only_are_drawn_in_that_year(opened, views_now, tmp_path):
    """What a year has and the page has not (a site closed since, drawn from that year's view) is there in that
    year only, where that year's view puts it on the map."""
    page = views_now["hq"]
    firm = next(n for n, d in page.nodes(data=True) if d["type"] == "firm")
    then = page.copy()
    then.add_node("gone-site", label="A site closed since", type="site", size=10, force_x=1.0, force_y=2.0,
                  geo_x=30.0, geo_y=40.0)
    then.add_edge("gone-site", firm, relation="org:siteOf", label="site of")
    data = slider_data(page_data(page), page, [("2000", then), ("2024", page)])
    assert [n["id"] for n in data["extra"]["nodes"]] == ["gone-site"] and len(data["extra"]["edges"]) == 1
    assert [s["extra"] for s in data["stops"]] == [["gone-site"], []]
    o = opened(write_page(page, tmp_path / "hq.html", years=[("2000", then), ("2024", page)]))
    assert "gone-site" not in shown(o)["nodes"]
    move_to(o, "2000")
    assert "gone-site" in shown(o)["nodes"] and ["gone-site", firm] in [line[:2] for line in shown(o)["lines"]]
    assert o.js("() => kg.layout() === 'geo' ? [kg.nodes.get('gone-site').x, kg.nodes.get('gone-site').y] : null") \
        == [30.0, -40.0]  # the map's position (north up in the view, y down on the canvas)
    move_to(o, "2024")
    assert "gone-site" not in shown(o)["nodes"]
    assert o.errors == []


def test_a_folded_node_is_there_in_a_year_through_its_group():
    """Past the node budget a group stands for its members: it is there in a year where one of them is."""
    page = nx.Graph()
    page.add_node("aggregate:firm", members=[["a", "A"], ["b", "B"]])
    page.add_node("c")
    page.add_edge("aggregate:firm", "c")
    only_b, nobody = nx.Graph(), nx.Graph()
    only_b.add_edge("b", "c")
    nobody.add_node("c")
    stops = slider_data(page_data(page), page, [("2010", nobody), ("2020", only_b)])["stops"]
    assert [(s["label"], s["absent"], s["absentEdges"], s["extra"]) for s in stops] == [
        ("2010", ["aggregate:firm"], [0], []), ("2020", [], [], [])]


def test_past_the_budget_the_slider_is_left_out_and_the_user_told(tmp_path):
    """Each year is a build: past the budget of rows times years kg viz says so and draws the page without one;
    --slider no leaves it out always."""
    said: list[str] = []
    assert year_views(DATA, ONTOLOGY, ["hq", "full"], budget=1, progress=said.append) == {}
    assert any("time slider left out" in s and "--slider yes" in s for s in said)
    assert list(year_views(DATA, ONTOLOGY, ["hq", "full"], budget=None)) == ["hq"]  # full has none
    assert main(["viz", "hq", "--slider", "no", "--build", str(tmp_path / "no-build"), "--out", str(tmp_path)]) == 0
    assert page_json(tmp_path / "hq.html")["timeline"] is None


def test_the_build_records_what_the_slider_costs_and_the_same_words_say_it_is_left_out(tmp_path):
    """kg build records the tables' rows and years (build.json), so that kg viz leaves the slider out past the
    budget without reading the tables again, in the same words as from the tables."""
    assert main(["build", "--no-validate", "--formats", "nquads", "--out", str(tmp_path)]) == 0
    recorded = json.loads((tmp_path / "build.json").read_text(encoding="utf-8"))["tables"]
    tables = read_tables(DATA)
    assert recorded == {"rows": sum(len(rows) for rows in tables.rows.values()), "years": fact_years(tables)}
    from_tables: list[str] = []
    from_record: list[str] = []
    assert year_views(DATA, ONTOLOGY, ["hq"], budget=1, progress=from_tables.append) == {}
    assert year_views(tmp_path / "absent", ONTOLOGY, ["hq"], budget=1, progress=from_record.append,
                      counted=(recorded["rows"], recorded["years"])) == {}  # no tables there to read
    assert from_record == from_tables and "time slider left out" in from_record[0]
