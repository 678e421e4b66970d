"""GEXF and GraphML: valid against the official schema, and read back by networkx unchanged."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import networkx as nx
import pytest
from lxml import etree

from kg.build import build
from kg.cli import main
from kg.export import EXPORTERS, GEXF_NS, GEXF_VIZ_NS, export_graph, get_exporter, portable, validate_gexf
from kg.views import build_views
from tests.conftest import DATA, ONTOLOGY, ROOT
from tests.xss import XSS, rename_firm

SCHEMA_DIR = ROOT / "tests" / "gexf-schema" / "1.3"


@pytest.fixture(scope="module")
def views(built):
    return build_views(built.store)


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    if not (SCHEMA_DIR / "gexf.xsd").exists():
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
    assert dict(back.nodes(data=True)) == dict(expected.nodes(data=True))
    if expected.is_multigraph():
        got = {(u, v, k): {a: x for a, x in d.items() if a != "id"} for u, v, k, d in back.edges(keys=True, data=True)}
        want = {(u, v, k): d for u, v, k, d in expected.edges(keys=True, data=True)}
    else:
        got = {frozenset((u, v)) if not back.is_directed() else (u, v): {a: x for a, x in d.items() if a != "id"}
               for u, v, d in back.edges(data=True)}
        want = {frozenset((u, v)) if not expected.is_directed() else (u, v): d
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
    assert validate_gexf(path, schema_dir) == []
    doc = etree.parse(str(path))
    nodes = doc.findall(f".//{{{GEXF_NS}}}node")
    assert len(nodes) == views[name].number_of_nodes()
    for node in nodes:  # colour, size and position in the viz namespace, as Gephi reads them
        for part in ("color", "size", "position"):
            assert node.find(f"{{{GEXF_VIZ_NS}}}{part}") is not None
    assert doc.find(f".//{{{GEXF_NS}}}color") is None


def test_the_validator_catches_bad_viz_and_bad_structure(views, tmp_path, schema_dir):
    path = export_graph(views["hq"], "gexf", tmp_path / "hq.gexf")
    text = path.read_text(encoding="utf-8")
    bad = text.replace('<viz:color r="', '<viz:color r="3', 1).replace("<nodes ", "<nodez ", 1) \
        .replace("</nodes>", "</nodez>", 1)
    broken = tmp_path / "broken.gexf"
    broken.write_text(bad, encoding="utf-8")
    problems = validate_gexf(broken, schema_dir)
    assert any("viz:color r=" in p for p in problems)
    assert any("nodez" in p for p in problems)


def test_graphml_has_plain_colour_and_position_instead_of_viz(views, tmp_path):
    back = nx.read_graphml(export_graph(views["hq"], "graphml", tmp_path / "hq.graphml"))
    node = next(iter(back.nodes.values()))
    assert "viz" not in node
    assert node["color"].startswith("#") and isinstance(node["x"], float) and isinstance(node["size"], float)


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
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == ["clusters.gexf", "full.gexf", "hq.gexf"]
    assert main(["export", "graphml", "--view", "hq", "--out", str(tmp_path / "one")]) == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["hq.graphml"]


@pytest.fixture(scope="module")
def built_xss(tmp_path_factory):
    """The graph built from a copy of data/ where KORSCH is called ``<img src=x onerror=alert(1)>``."""
    target = tmp_path_factory.mktemp("xss") / "data"
    shutil.copytree(DATA, target)
    rename_firm(target)
    return build(target, ONTOLOGY)
