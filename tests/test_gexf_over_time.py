"""The GEXF's attributes over time (kg/history.py, kg/export.py): where control sits, the jobs and the colour of a
node or a line in each period of the data's years, each year the view as ``--as-of YEAR`` builds it (the pages'
time slider's years, kg/timeline.py), as GEXF 1.3 dynamic attribute values."""
from __future__ import annotations

import datetime
from pathlib import Path

import networkx as nx
import pytest
from lxml import etree

from kg.build import build
from kg.cli import main
from kg.export import GEXF_NS, export_graph, validate_gexf
from kg.history import attribute_periods
from kg.rules import spell
from kg.tables import read_tables
from kg.timeline import year_views
from kg.views import build_views
from tests.conftest import DATA, ONTOLOGY, ROOT
from tests.test_browser import graphology_read

SCHEMA_DIR = ROOT / "tests" / "gexf-schema" / "1.3"
FIRM, SITE = "asml-berlin", "asml-britz"  # a parent since a year (data/organizations.csv), a site of the firm


@pytest.fixture(scope="module")
def views(built) -> dict[str, nx.Graph[str]]:
    return build_views(built.store, ["hq", "clusters"])


@pytest.fixture(scope="module")
def years() -> dict[str, list[tuple[str, nx.Graph[str]]]]:
    return year_views(DATA, ONTOLOGY, ["hq", "clusters"], before=True)


def _attvalues(path: Path, node: str) -> dict[str, list[dict[str, str]]]:
    """A node's attribute values in a GEXF file: title -> each attvalue's value, start and end (those it has)."""
    doc = etree.parse(str(path))
    titles = {a.get("id"): a.get("title") for a in doc.iter(f"{{{GEXF_NS}}}attribute")
              if a.getparent().get("class") == "node"}
    element = next(n for n in doc.iter(f"{{{GEXF_NS}}}node") if n.get("id") == node)
    out: dict[str, list[dict[str, str]]] = {}
    for v in element.iter(f"{{{GEXF_NS}}}attvalue"):
        out.setdefault(titles[v.get("for")], []).append(dict(v.attrib))
    return out


def test_a_site_s_control_before_and_after_its_firm_s_parent_came(built, views, years, tmp_path):
    """ASML Berlin's site is run from Berlin until the year before its parent came (parent_since) and from the
    Netherlands since: two periods, the days by kg.rules.spell, each the view as --as-of builds it; valid GEXF 1.3
    (a dynamic graph, its attributes declared dynamic)."""
    firm = next(r for r in read_tables(DATA)["organizations"] if r["id"] == FIRM)
    since = spell(firm["parent_since"], "")[0]
    assert since is not None
    site = built.iris.site(SITE).value
    then = build_views(build(DATA, ONTOLOGY, as_of=since - datetime.timedelta(days=1)).store, ["hq"])["hq"]
    before, after = then.nodes[site], views["hq"].nodes[site]
    assert (before["control"], before["control_area"]) == ("inside", "Berlin")
    assert (after["control"], after["control_area"]) == ("abroad", "Netherlands")

    path = export_graph(views["hq"], "gexf", tmp_path / "hq.gexf", years["hq"])
    assert validate_gexf(path, SCHEMA_DIR) == []
    got = _attvalues(path, site)
    last_day = (since - datetime.timedelta(days=1)).isoformat()
    for title in ("control", "control_area", "color"):
        assert got[title] == [{"for": got[title][0]["for"], "value": str(before[title]), "end": last_day},
                              {"for": got[title][0]["for"], "value": str(after[title]), "start": since.isoformat()}]
    assert len(got["firm"]) == 1 and set(got["firm"][0]) == {"for", "value"}  # what does not change: as ever
    doc = etree.parse(str(path))
    graph = doc.find(f"{{{GEXF_NS}}}graph")
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    blocks = {block.get("class"): block.get("mode") for block in graph.iter(f"{{{GEXF_NS}}}attributes")}
    assert blocks == {"node": "dynamic", "edge": "dynamic"}  # one block a class (graphology reads the last)
    # read back by networkx as values over time
    read = nx.read_gexf(path)
    assert [(value, start[:4]) for value, start, _ in read.nodes[site]["control"]] == \
        [("inside", "None"), ("abroad", since.isoformat()[:4])]  # networkx reads an open start as "None"


def test_each_period_is_the_view_of_its_year(built, views, years):
    """Every period's value is the one the view as of any year in it has: the stops' years, and the years
    between (where the year-end picture is the earlier stop's)."""
    periods = attribute_periods(views["hq"], years["hq"])
    assert periods.nodes and "control" in periods.node_attributes
    node, attributes = next((n, a) for n, a in periods.nodes.items() if "headcount" in a)
    first = attributes["headcount"][0]
    assert first[1] is not None  # a head-count dated a year: none before it
    year = int(first[1][:4])
    for when in (year - 1, year):
        view = build_views(build(DATA, ONTOLOGY, as_of=datetime.date(when, 12, 31)).store, ["hq"])["hq"]
        assert view.nodes[node].get("headcount") == (first[0] if when == year else None)


def test_without_the_years_the_gexf_is_as_ever(views, years, tmp_path):
    """A view with nothing that changes, or no years given, is written as before: static attributes."""
    plain = export_graph(views["hq"], "gexf", tmp_path / "plain.gexf")
    assert 'mode="dynamic">' not in plain.read_text(encoding="utf-8")
    same = [(label, views["hq"]) for label, _ in years["hq"]]  # every year the picture of every fact
    unchanged = export_graph(views["hq"], "gexf", tmp_path / "same.gexf", same)
    assert unchanged.read_bytes() == plain.read_bytes()


def test_kg_export_and_kg_viz_files_write_the_attributes_over_time(tmp_path, capsys):
    no_build = str(tmp_path / "no-build")
    assert main(["export", "gexf", "--view", "hq", "--build", no_build, "--out", str(tmp_path / "export")]) == 0
    assert main(["viz", "hq", "--files", "gexf", "--build", no_build, "--out", str(tmp_path / "viz")]) == 0
    assert main(["export", "gexf", "--view", "hq", "--years", "no", "--build", no_build,
                 "--out", str(tmp_path / "none")]) == 0
    exported, drawn = (tmp_path / "export" / "hq.gexf").read_text(encoding="utf-8"), \
        (tmp_path / "viz" / "hq.gexf").read_text(encoding="utf-8")
    assert 'mode="dynamic">' in exported and exported == drawn  # the slider's years, once, for both
    assert 'mode="dynamic">' not in (tmp_path / "none" / "hq.gexf").read_text(encoding="utf-8")
    # the page's slider as without the graph files: it starts at the data's first change, not the year before
    assert main(["viz", "hq", "--build", no_build, "--out", str(tmp_path / "page")]) == 0
    assert (tmp_path / "viz" / "hq.html").read_bytes() == (tmp_path / "page" / "hq.html").read_bytes()


def test_gephi_lite_still_reads_the_gexf_with_attributes_over_time(browser, built, views, years, tmp_path):
    """graphology-gexf (Gephi Lite's parser) reads a file with dynamic attribute values: every node and line,
    and one of the periods' values for a changing attribute."""
    path = export_graph(views["hq"], "gexf", tmp_path / "hq.gexf", years["hq"])
    got = graphology_read(browser, path)
    assert len(got["nodes"]) == views["hq"].number_of_nodes()
    assert len(got["edges"]) == views["hq"].number_of_edges()
    assert got["nodes"][built.iris.site(SITE).value]["control"] in ("inside", "abroad")


def test_past_the_budget_the_years_are_left_out_with_a_note():
    """Each year is a build: past the slider's budget (rows times years) none is built, and the note names the
    option that draws them anyway."""
    said: list[str] = []
    assert year_views(DATA, ONTOLOGY, ["hq"], budget=1, before=True, progress=said.append,
                      override="--years yes") == {}
    assert len(said) == 1 and "--years yes draws it" in said[0]
