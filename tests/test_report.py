"""``kg viz report``: the study's figures as charts, each one a saved query's rows on the build's store.

The report's data must be the saved queries' answers (the headline digit for digit with ``control-summary``),
a new region from ``kg init`` must get its own figures and "No data for this chart" where it has none, and in
Chromium every chart must draw, with no console error and nothing fetched, on a desktop and a phone screen and
on paper.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest

from kg.build import build
from kg.cli import main
from kg.query import resolve, run
from kg.report import CHARTS, report_data, write_report
from tests.conftest import ONTOLOGY, TEST_OUTPUT
from tests.regions import FOREIGN_CREDIT, new_region
from tests.xss import XSS, rename_firm

REGION = "https://w3id.org/bbmb/id/place/berlin-brandenburg"


def page_data(path: Path) -> dict:
    """The JSON the written page carries (the script element's text)."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
    assert found, "the page carries its data"
    return json.loads(found.group(1))


def comparable(value):
    """A value of the page's JSON or of a query's row, as a Decimal where it is a number."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return Decimal(str(value))


def visible_text(html_text: str) -> str:
    """The text of the page's markup (the SVG's texts included), without its script and style elements."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html_text, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def report(built, tmp_path_factory) -> Path:
    return write_report(built.store, tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory) -> Path:
    """The report of a 20,000-firm synthetic economy (its statistics are the template's, its headline its own)."""
    from kg.synth import synthesize
    folder = tmp_path_factory.mktemp("synth20k")
    synthesize(folder / "data", 20_000, seed=11)
    return write_report(build(folder / "data").store, folder / "report.html")


# ---------------------------------------------------------------------------- the figures are the queries' rows

def test_each_chart_carries_its_saved_querys_rows(built, report):
    carried = {c["query"]: c["rows"] for c in page_data(report)["charts"]}
    assert list(carried) == [spec.query for spec in CHARTS]
    for name, rows in carried.items():
        params = {"region": "berlin-brandenburg"} if resolve(name).param("region") else None
        expected = run(name, built.store, params, built.iris).records()
        assert expected, f"{name} answers on the repository's data"
        assert [{k: comparable(v) for k, v in r.items()} for r in rows] == \
            [{k: comparable(v) for k, v in r.items()} for r in expected], name


def test_the_headline_says_control_summarys_figures_digit_for_digit(built, report):
    from kg.views.hq import centre_rows, headline_sentence

    row = next(r for r in run("control-summary", built.store, None, built.iris).records() if r["area"] == REGION)
    centres = run("decision-centres", built.store, None, built.iris).records()
    text = " ".join(visible_text(report.read_text(encoding="utf-8")).split())
    headline = text[text.index(f"{row['shareJobsOutside']} %"):]
    # the one sentence the hq page says, from the same two queries: one denominator per figure
    assert headline.startswith(headline_sentence(row, centre_rows(centres)))
    assert headline.startswith(f"{row['shareJobsOutside']} % of the {row['jobs']:,} known jobs of the named firms in "
                               f"Berlin-Brandenburg are run from outside the region ({row['shareJobsOutsideMin']}–"
                               f"{row['shareJobsOutsideMax']} % over the sources' alternatives)")
    known = row["firmsOutside"] + row["firmsInside"]
    assert f"{row['firmsOutside']} of the {known} firms of known control are run from outside" in headline
    assert f"Population: {row['population']}." in headline
    assert f"{row['coverage']} % of the statistics' count of {row['statisticsTotal']:,} employees" in headline
    assert " ".join(row["hingesOn"].split()) in headline


def test_each_value_is_written_with_its_source_and_the_contested_ones_as_ranges(built):
    charts = {c["query"]: c for c in report_data(built.store)["charts"]}
    trend = visible_text(charts["employment-trend"]["svg"])
    for row in run("employment-trend", built.store).records():
        if row["measure"] == "employees":
            approx = "" if row["approximation"] == "exact" else row["approximation"] + " "
            assert re.search(rf"{approx}{row['value']:,} \[\d\]", trend), row
            assert row["sourceTitle"] in trend
    centres = visible_text(charts["decision-centres"]["svg"])
    contested = [r for r in run("decision-centres", built.store).records()
                 if r["employees"] is not None and r["employeesMin"] != r["employeesMax"]]
    assert contested, "the repository's data has contested decision centres"
    for row in contested:
        assert f"{row['employees']:,} jobs ({row['employeesMin']:,}–{row['employeesMax']:,}) [1]" in centres
    orders = visible_text(charts["order-intake"]["svg"])
    assert "-27 % [1]" in orders and "Abbildung 4" in orders


def test_text_from_the_data_stays_text(data_copy, tmp_path):
    rename_firm(data_copy, "asml-berlin")  # its name is in what the headline's range hinges on
    page = write_report(build(data_copy, ONTOLOGY).store, tmp_path / "report.html").read_text(encoding="utf-8")
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


# ---------------------------------------------------------------------------- a new region

@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    folder = new_region(tmp_path_factory.mktemp("new") / "my-region")
    assert main(["build", "--data", str(folder), "--no-validate"]) == 0
    assert main(["viz", "report", "--data", str(folder)]) == 0
    return folder


def test_a_new_regions_report_has_its_own_figures_and_says_where_there_are_none(region, report):
    path = region / "out" / "report.html"
    page = path.read_text(encoding="utf-8")
    charts = {c["query"]: c for c in page_data(path)["charts"]}
    whole = next(r for r in charts["control-summary"]["rows"] if r["areaLabel"] == "Example Region")
    assert whole["jobsOutside"] == 430 + 2450
    said = " ".join(visible_text(page).split())
    # the six firms and kg init's example firm: 2,880 of their 4,652 known jobs run from Far Land
    assert "of the 4,652 known jobs of the named firms in Example Region" in said
    assert "most from Far Land (2,880)" in said
    assert "Machine building in the Example Region (Example Institute, 2026-03)" in page
    empty = [name for name, c in charts.items() if not c["rows"]]
    assert {"employment-trend", "establishments", "order-intake", "qualification-age"} <= set(empty)
    for name in empty:
        assert (f'No data for this chart: the saved query <code>{name}</code> returns no rows for this build'
                in page), name
        assert f'id="chart-{charts[name]["key"]}"' in page
    assert page.count("<svg") == len(charts) - len(empty)
    found = FOREIGN_CREDIT.search(page)
    assert found is None, page[max(0, found.start() - 80):found.end() + 40]
    ours = visible_text(report.read_text(encoding="utf-8"))
    for figure in ("14,700", "17,100", "Bavaria", "Berlin-Brandenburg", "Abbildung"):
        assert figure in ours and figure not in page, figure


def test_viz_all_writes_the_report_beside_the_network_pages(region, tmp_path, capsys):
    assert main(["viz", "all", "--data", str(region), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clusters.html", "full.html", "hq.html", "report.html"]
    assert main(["export", "gexf", "--data", str(region), "--out", str(tmp_path / "gexf")]) == 0
    assert not (tmp_path / "gexf" / "report.gexf").exists()  # the report is no network
    capsys.readouterr()


def test_bad_output_folder_or_region_is_one_line_and_nothing_written(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    assert main(["viz", "report", "--out", str(target)]) == 3
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["viz", "report", "--region", "berln", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "'berln' is unknown" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "report.html").exists()


# ---------------------------------------------------------------------------- in a browser

def _open(browser, path: Path, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(120_000)  # a guard against a hang, not a speed limit
    seen: dict[str, list[str]] = {"errors": [], "requests": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["errors"].append("dialog " + d.message), d.dismiss()))

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            seen["requests"].append(r.request.url)
            r.abort()
    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_function("() => window.kg && window.kg.ready")
    return page, seen


#: Each chart's drawing as the browser lays it out: its box, its bars and dots, and whether it fits the page.
CHART_BOXES = """() => [...document.querySelectorAll('figure.chart')].map(f => {
  const svg = f.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
  return {key: f.dataset.key, empty: f.dataset.empty === 'true',
          width: box ? box.width : 0, height: box ? box.height : 0, right: box ? box.right : 0,
          marks: svg ? svg.querySelectorAll('rect[fill]:not([fill="#ffffff"]), circle').length : 0,
          said: f.querySelector('.empty') ? f.querySelector('.empty').textContent : ''};
})"""


@pytest.mark.parametrize("economy", ["brief", "20k"])
@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_each_chart_draws_in_chromium_with_no_error(browser, request, width, height, economy):
    report = request.getfixturevalue("report" if economy == "brief" else "synthetic_report")
    page, seen = _open(browser, report, width, height)
    try:
        charts = page.evaluate(CHART_BOXES)
        assert [c["key"] for c in charts] == [spec.key for spec in CHARTS]
        for chart in charts:
            assert not chart["empty"] and chart["marks"] > 0, chart
            assert chart["width"] > 300 and chart["height"] > 100, chart
            assert chart["right"] <= width, chart  # nothing cut off at the right
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        rows = page.evaluate("[...document.querySelectorAll('figure.chart details tbody tr')].length")
        assert rows == sum(len(c["rows"]) for c in page_data(report)["charts"])
        assert seen == {"errors": [], "requests": []}
        TEST_OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(TEST_OUTPUT / f"report-{economy}-{width}.png"), full_page=True)
    finally:
        page.close()


def test_a_chart_saved_as_a_picture_is_the_drawing_in_the_page(browser, report, tmp_path):
    page, seen = _open(browser, report, 1440, 900)
    try:
        with page.expect_download() as download:
            page.click("#chart-centres .tools button")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        picture = saved.read_text(encoding="utf-8")
        assert saved.name == "centres.svg" and picture.startswith("<svg")
        in_page = page.evaluate("new XMLSerializer().serializeToString(document.querySelector('#chart-centres svg'))")
        assert picture == in_page
        assert "Jobs in Berlin-Brandenburg by place of control" in picture and "[1] derived by kg build" in picture
        assert seen == {"errors": [], "requests": []}
    finally:
        page.close()


def test_a_new_regions_empty_charts_say_so_in_chromium(browser, region):
    page, seen = _open(browser, region / "out" / "report.html", 1440, 900)
    try:
        charts = {c["key"]: c for c in page.evaluate(CHART_BOXES)}
        assert charts["control"]["marks"] > 0
        for key in ("employment", "establishments", "orders", "qualification"):
            assert charts[key]["empty"] and charts[key]["width"] == 0
            assert charts[key]["said"].startswith("No data for this chart")
        assert seen == {"errors": [], "requests": []}
    finally:
        page.close()


def test_printed_each_chart_fits_the_paper(browser, report):
    """On A4 (the print style sheet), no chart is wider than the page or taller than a page: none is clipped."""
    page, seen = _open(browser, report, 794, 1123)  # A4 at 96 dpi
    try:
        page.emulate_media(media="print")
        charts = page.evaluate(CHART_BOXES)
        content = page.evaluate("document.documentElement.clientWidth")
        for chart in charts:
            assert 0 < chart["width"] and chart["right"] <= content, chart
            assert chart["height"] < 1123, chart
        assert page.evaluate("[...document.querySelectorAll('figure.chart .tools')]"
                             ".every(e => getComputedStyle(e).display === 'none')")
        TEST_OUTPUT.mkdir(exist_ok=True)
        pdf = page.pdf(path=str(TEST_OUTPUT / "report.pdf"), format="A4")
        assert pdf.startswith(b"%PDF") and seen["errors"] == []
    finally:
        page.close()
