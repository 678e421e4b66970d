"""GEXF and GraphML: valid against the official schema, and read back by networkx unchanged; the GEXF carries
what the page draws (line widths, line colours, shapes, positions) and its map's outlines beside it."""
from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import networkx as nx
import pytest
from lxml import etree

from kg.build import build
from kg.cli import main
from kg.export import EXPORTERS, GEXF_NS, GEXF_VIZ_NS, export_graph, export_views, get_exporter, portable
from kg.export import validate_gexf as valid_against
from kg.html import page_data
from kg.tables import read_tables
from kg.views import build_views
from kg.views.nodes import spell_attrs
from kg.views.style import TIE_STYLES
from tests.conftest import DATA, ONTOLOGY, ROOT
from tests.xss import XSS, rename_firm

SCHEMA_DIR = ROOT / "tests" / "gexf-schema" / "1.3"


@pytest.fixture(scope="module")
def views(built):
    return build_views(built.store)


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    if not (SCHEMA_DIR / "gexf.rng").exists():
        message = f"the official GEXF schema is not at {SCHEMA_DIR}"
        if os.environ.get("CI"):
            pytest.fail(message + " - in CI it must be there, not skipped")
        pytest.skip(message)
    return SCHEMA_DIR


def read(fmt: str, path: Path) -> nx.Graph:
    return nx.read_gexf(path) if fmt == "gexf" else nx.read_graphml(path)


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
@pytest.mark.parametrize("name", ["hq", "clusters", "full"])
def test_reads_back_with_networkx_unchanged(views, tmp_path, name, fmt):
    graph = views[name]
    path = export_graph(graph, fmt, tmp_path / f"{name}.{fmt}")
    back = read(fmt, path)
    expected = portable(graph, keep_viz=fmt == "gexf")
    assert type(back) is type(expected)
    # networkx reads viz:shape from an attribute GEXF 1.3 does not have ("shape" for "value") and no edge viz:
    # both are checked on the XML below (test_lines_are_as_wide_as_the_jobs_they_carry, test_node_shapes_...)
    for _, d in back.nodes(data=True):
        d.get("viz", {}).pop("shape", None)
    for _, d in expected.nodes(data=True):
        if "viz" in d:  # a new dict: portable shares the view's
            d["viz"] = {k: v for k, v in d["viz"].items() if k != "shape"}
    assert dict(back.nodes(data=True)) == dict(expected.nodes(data=True))
    def without(d: dict, key: str) -> dict:
        return {a: x for a, x in d.items() if a != key}

    if expected.is_multigraph():
        got = {(u, v, k): without(d, "id") for u, v, k, d in back.edges(keys=True, data=True)}
        want = {(u, v, k): without(d, "viz") for u, v, k, d in expected.edges(keys=True, data=True)}
    else:
        got = {frozenset((u, v)) if not back.is_directed() else (u, v): without(d, "id")
               for u, v, d in back.edges(data=True)}
        want = {frozenset((u, v)) if not expected.is_directed() else (u, v): without(d, "viz")
                for u, v, d in expected.edges(data=True)}
    assert got == want
    # what a Gephi or Cytoscape user filters on is there, typed
    some = next(d for _, d in back.nodes(data=True) if d.get("headcount"))
    assert isinstance(some["headcount"], int)
    for attribute in ("type", "control", "source"):
        assert any(attribute in d for _, d in back.nodes(data=True)), attribute
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically


@pytest.mark.parametrize("name", ["hq", "clusters", "full"])
def test_gexf_is_valid_against_the_official_schema(views, tmp_path, schema_dir, name):
    path = export_graph(views[name], "gexf", tmp_path / f"{name}.gexf")
    assert valid_against(path, schema_dir) == []
    doc = etree.parse(str(path))
    nodes = doc.findall(f".//{{{GEXF_NS}}}node")
    assert len(nodes) == views[name].number_of_nodes()
    for node in nodes:  # colour, size, shape and position in the viz namespace, as Gephi reads them
        for part in ("color", "size", "shape", "position"):
            assert node.find(f"{{{GEXF_VIZ_NS}}}{part}") is not None
    edges = doc.findall(f".//{{{GEXF_NS}}}edge")
    assert len(edges) == views[name].number_of_edges()
    for edge in edges:  # a line's colour and thickness
        for part in ("color", "thickness"):
            assert edge.find(f"{{{GEXF_VIZ_NS}}}{part}") is not None
    assert doc.find(f".//{{{GEXF_NS}}}color") is None


@pytest.mark.parametrize(("old", "new", "named"), [
    ('<viz:color r="', '<viz:color r="3', "color"),                # a channel past 255
    ('<viz:shape value="disc"', '<viz:shape value="star"', "shape"),  # not a GEXF shape
    ('<viz:thickness value="', '<viz:thickness value="-', "thickness"),
    ('start="2024-01-01"', 'start="end of 2024"', "start"),  # a spell's day that is no date
    ("<nodes ", "<nodez ", "nodes")])
def test_the_validator_catches_bad_viz_and_bad_structure(views, tmp_path, schema_dir, old, new, named):
    path = export_graph(views["hq"], "gexf", tmp_path / "hq.gexf")
    text = path.read_text(encoding="utf-8")
    assert old in text
    broken = tmp_path / "broken.gexf"
    broken.write_text(text.replace(old, new, 1).replace("</nodes>", "</nodez>", 1 if named == "nodes" else 0),
                      encoding="utf-8")
    problems = valid_against(broken, schema_dir)
    assert any(named in p for p in problems), problems


def test_graphml_has_plain_colour_width_and_positions_instead_of_viz(views, tmp_path):
    back = nx.read_graphml(export_graph(views["hq"], "graphml", tmp_path / "hq.graphml"))
    node = next(iter(back.nodes.values()))
    assert "viz" not in node and "x" not in node and "y" not in node
    assert node["color"].startswith("#") and isinstance(node["force_x"], float) and isinstance(node["size"], float)
    widths = [d["width"] for *_, d in back.edges(data=True)]
    assert all(isinstance(w, float) for w in widths) and max(widths) == 10.0
    assert all(d["color"].startswith("#") and "viz" not in d for *_, d in back.edges(data=True))


def test_graphml_leaves_the_views_viz_for_a_later_gexf(built, tmp_path):
    view = build_views(built.store)["hq"]
    export_graph(view, "graphml", tmp_path / "hq.graphml")
    assert all("viz" in d for _, d in view.nodes(data=True))
    back = nx.read_gexf(export_graph(view, "gexf", tmp_path / "hq.gexf"))
    assert all("viz" in d for _, d in back.nodes(data=True))


def test_data_text_is_escaped_in_the_files(built_xss, tmp_path):
    views = build_views(built_xss.store, ["hq"])
    for fmt in EXPORTERS:
        path = export_graph(views["hq"], fmt, tmp_path / f"hq.{fmt}")
        labels = {d.get("label") for _, d in read(fmt, path).nodes(data=True)}
        assert XSS in labels


def test_unknown_format_names_the_choices():
    with pytest.raises(ValueError, match="choose from gexf, graphml"):
        get_exporter("dot")


def test_cli_exports_every_view_or_one(tmp_path):
    assert main(["export", "gexf", "--out", str(tmp_path / "all")]) == 0
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["clusters.gexf", "full.gexf", "hq.gexf",
                                                                    "hq.outlines.geojson"]
    assert main(["export", "graphml", "--view", "hq", "--out", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["hq.graphml"]


def gexf_parts(path: Path) -> tuple[dict[str, dict], dict[tuple[str, str], dict], set[str]]:
    """Nodes and edges of a GEXF file as the XML has them: their attribute values by title and their viz
    elements (``viz:<name>`` -> the element's attributes); and every attribute title declared."""
    doc = etree.parse(str(path))
    titles = {a.get("id") + a.getparent().get("class"): a.get("title") for a in doc.iter(f"{{{GEXF_NS}}}attribute")}

    def read(element, cls: str) -> dict:
        out = {titles[v.get("for") + cls]: v.get("value") for v in element.iter(f"{{{GEXF_NS}}}attvalue")}
        out.update({f"viz:{etree.QName(v).localname}": dict(v.attrib) for v in element.iter(f"{{{GEXF_VIZ_NS}}}*")})
        return out

    nodes = {n.get("id"): read(n, "node") for n in doc.iter(f"{{{GEXF_NS}}}node")}
    edges = {(e.get("source"), e.get("target")): read(e, "edge") for e in doc.iter(f"{{{GEXF_NS}}}edge")}
    return nodes, edges, set(titles.values())


def colour(viz: dict) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(viz[c]) for c in "rgb"))


def test_lines_are_as_wide_as_the_jobs_they_carry(views, built, tmp_path):
    """The hq file's lines: control drawn as flows, as on the page (the same numbers: the page reads them)."""
    _, edges, _ = gexf_parts(export_graph(views["hq"], "gexf", tmp_path / "hq.gexf"))
    carrying = {e: int(d["jobs"]) for e, d in edges.items() if "jobs" in d}
    most = max(carrying.values())
    siemens = (built.iris.org("siemens-energy").value, built.iris.place("muenchen").value)
    assert carrying[siemens] == 3000 == most  # Siemens Energy's Berlin jobs, run from München
    assert float(edges[siemens]["viz:thickness"]["value"]) == 10.0
    for e, jobs in carrying.items():  # the width grows with the square root of the jobs, from 1 to 10
        assert float(edges[e]["viz:thickness"]["value"]) == pytest.approx(1 + 9 * math.sqrt(jobs / most), abs=0.01)
    by_jobs = sorted(carrying, key=carrying.get)
    thickness = [float(edges[e]["viz:thickness"]["value"]) for e in by_jobs]
    assert thickness == sorted(thickness) and thickness[0] < thickness[-1]
    assert all(float(d["viz:thickness"]["value"]) == 1.0 for e, d in edges.items() if e not in carrying)
    page = {(e["from"], e["to"]): e for e in page_data(views["hq"])["edges"]}
    assert all(page[e]["width"] == float(d["viz:thickness"]["value"]) for e, d in edges.items())


def test_line_colours_are_the_pages(views, built, tmp_path):
    """hq: a line has the colour of the place its control sits in (the page's legend); clusters: of its kind of tie."""
    _, edges, _ = gexf_parts(export_graph(views["hq"], "gexf", tmp_path / "hq.gexf"))
    legend = {c["key"]: c["color"] for c in views["hq"].graph["legend"]["centre"]}
    siemens = (built.iris.org("siemens-energy").value, built.iris.place("muenchen").value)
    assert colour(edges[siemens]["viz:color"]) == legend["Bavaria"]
    for (u, _), d in edges.items():
        assert colour(d["viz:color"]) == legend[views["hq"].nodes[u]["centre"]]
    assert len({colour(d["viz:color"]) for d in edges.values()}) >= 4  # not one colour for all
    _, ties, _ = gexf_parts(export_graph(views["clusters"], "gexf", tmp_path / "clusters.gexf"))
    page = page_data(views["clusters"])
    drawn = {(e["from"], e["to"]): e for e in page["edges"]}
    assert {d["kind"] for d in ties.values()} >= {"holding", "subsector-place"}
    for e, d in ties.items():
        assert colour(d["viz:color"]) == TIE_STYLES[d["kind"]]["color"] == page["edgeKinds"][d["kind"]]["color"] \
            == drawn[e]["color"]
        assert ("viz:shape" in d) == TIE_STYLES[d["kind"]]["dashes"]  # the page's dashed lines: dashed


def test_node_shapes_follow_the_page(views, tmp_path):
    """GEXF's four shapes for the page's: firms square, groups triangle, firms run from the region (stars) diamond,
    sites and places discs."""
    nodes, _, _ = gexf_parts(export_graph(views["hq"], "gexf", tmp_path / "hq.gexf"))
    shapes: dict[tuple[str, bool], set[str]] = {}
    for n, d in nodes.items():
        local = views["hq"].nodes[n].get("local_hq", False)
        shapes.setdefault((d["type"], local and d["type"] == "firm"), set()).add(d["viz:shape"]["value"])
    assert shapes == {("site", False): {"disc"}, ("firm", False): {"square"}, ("firm", True): {"diamond"},
                      ("group", False): {"triangle"}, ("place", False): {"disc"}}


@pytest.mark.parametrize(("name", "drawn"), [("hq", "geo"), ("clusters", "force"), ("full", "force")])
def test_positions_only_in_viz_and_no_attribute_titled_x_or_y(views, tmp_path, name, drawn):
    nodes, _, titles = gexf_parts(export_graph(views[name], "gexf", tmp_path / f"{name}.gexf"))
    assert not titles & {"x", "y", "X", "Y", "z"}  # Gephi would take them for its own position columns
    assert {"force_x", "force_y", "geo_x", "geo_y"} <= titles  # the other layout, under its own name
    for d in nodes.values():
        position = d["viz:position"]
        assert (float(position["x"]), float(position["y"])) == (float(d[f"{drawn}_x"]), float(d[f"{drawn}_y"]))


def test_the_maps_outlines_are_geojson_beside_the_gexf(views, built, tmp_path):
    paths = export_views({"hq": views["hq"], "clusters": views["clusters"]}, "gexf", tmp_path)
    assert sorted(p.name for p in paths) == ["clusters.gexf", "hq.gexf", "hq.outlines.geojson"]
    collection = json.loads((tmp_path / "hq.outlines.geojson").read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and "viz:position" in collection["description"]
    rings = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        assert feature["type"] == "Feature" and geometry["type"] in ("Polygon", "MultiPolygon")
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                assert len(ring) >= 4 and ring[0] == ring[-1]  # closed linear rings
                rings.append(ring)
    labels = {f["properties"]["label"]: f["properties"]["kind"] for f in collection["features"]}
    assert labels["Berlin"] == labels["Brandenburg"] == "region" and labels["Bayern"] == "control"
    brandenburg = next(f for f in collection["features"] if f["properties"]["label"] == "Brandenburg")
    assert len(brandenburg["geometry"]["coordinates"]) == 2  # its outline, and Berlin as its hole
    # the outlines frame the drawn positions: in the same frame, north up (München south of Berlin)
    xs, ys = [p[0] for r in rings for p in r], [p[1] for r in rings for p in r]
    nodes, _, _ = gexf_parts(tmp_path / "hq.gexf")
    for d in nodes.values():
        x, y = float(d["viz:position"]["x"]), float(d["viz:position"]["y"])
        assert min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys)
    bavaria = next(f for f in collection["features"] if f["properties"]["label"] == "Bayern")["geometry"]
    muenchen = nodes[built.iris.place("muenchen").value]["viz:position"]
    bavarian_y = [p[1] for r in bavaria["coordinates"] for p in r]
    assert min(bavarian_y) <= float(muenchen["y"]) <= max(bavarian_y)
    assert float(muenchen["y"]) < float(nodes[built.iris.place("berlin").value]["viz:position"]["y"])


@pytest.fixture(scope="module")
def built_xss(tmp_path_factory):
    """The graph built from a copy of data/ where KORSCH is called ``<img src=x onerror=alert(1)>``."""
    target = tmp_path_factory.mktemp("xss") / "data"
    shutil.copytree(DATA, target)
    rename_firm(target)
    return build(target, ONTOLOGY)


def _spells(path: Path) -> tuple[etree._Element, dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    """The graph element of a GEXF file, and the start and end of its nodes and edges (those it dates)."""
    doc = etree.parse(str(path))
    nodes = {n.get("id"): {k: n.get(k) for k in ("start", "end") if n.get(k)}
             for n in doc.iter(f"{{{GEXF_NS}}}node")}
    edges = {(e.get("source"), e.get("target")): {k: e.get(k) for k in ("start", "end") if e.get(k)}
             for e in doc.iter(f"{{{GEXF_NS}}}edge")}
    return doc.find(f"{{{GEXF_NS}}}graph"), nodes, edges


def test_gexf_plays_the_dated_facts_in_gephis_timeline(views, built, tmp_path, schema_dir):
    """A site opened or closed, a parent since or until a year: its node or line has the days the facts hold
    (kg.rules.spell: the first day of the year opened, the last of the year closed), in a dynamic graph of dates;
    what the data does not date has no spell (it holds throughout)."""
    path = export_graph(views["hq"], "gexf", tmp_path / "hq.gexf")
    assert valid_against(path, schema_dir) == []
    graph, nodes, edges = _spells(path)
    assert (graph.get("mode"), graph.get("timeformat")) == ("dynamic", "date")
    tables = read_tables(DATA)
    sites = {built.iris.site(r["id"]).value: r for r in tables["sites"]}
    orgs = {built.iris.org(r["id"]).value: r for r in tables["organizations"]}
    want_nodes = {n: spell_attrs(sites[n]["opened"], sites[n]["closed"]) for n in nodes if n in sites}
    assert {n: s for n, s in nodes.items() if s} == {n: s for n, s in want_nodes.items() if s}
    asml_second = built.iris.site("asml-oberschoeneweide").value
    assert sites[asml_second]["opened"] == "2024" and nodes[asml_second] == {"start": "2024-01-01"}
    parent_lines = {(a, b): spell_attrs(orgs[a]["parent_since"], orgs[a]["parent_until"]) for a, b in edges
                    if a in orgs and b == built.iris.org(orgs[a]["parent"]).value}
    site_lines = {(a, b): want_nodes[a] for a, b in edges if a in want_nodes}
    assert {e: s for e, s in edges.items() if s} == {e: s for e, s in (parent_lines | site_lines).items() if s}
    asml = (built.iris.org("asml-berlin").value, built.iris.org("asml-holding").value)
    assert orgs[asml[0]]["parent_since"] == "2020" and edges[asml] == {"start": "2020-01-01"}
    # the full view dates the same facts: the site, and each property that states the dated parent
    _, full_nodes, full_edges = _spells(export_graph(views["full"], "gexf", tmp_path / "full.gexf"))
    assert full_nodes[asml_second] == {"start": "2024-01-01"}
    assert full_edges[asml] == full_edges[asml[::-1]] == {"start": "2020-01-01"}


def test_gexf_without_a_dated_element_stays_static(views, tmp_path, schema_dir):
    undated = portable(views["hq"])
    for d in [*(d for _, d in undated.nodes(data=True)), *(d for *_, d in undated.edges(data=True))]:
        d.pop("start", None)
        d.pop("end", None)
    path = export_graph(undated, "gexf", tmp_path / "undated.gexf")
    assert valid_against(path, schema_dir) == []
    graph, nodes, edges = _spells(path)
    assert (graph.get("mode"), graph.get("timeformat")) == ("static", None)
    assert not any(nodes.values()) and not any(edges.values())
    assert len(nodes) == views["hq"].number_of_nodes() and len(edges) == views["hq"].number_of_edges()
