"""The hq view as a picture to publish (kg.views.picture): the whole story in frame, text whole, no browser."""
from __future__ import annotations

import json
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from kg.cli import main
from kg.views import Catalog, build_views
from kg.views.picture import WIDTH, picture_svg
from tests.conftest import require_system_package

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def hq(built):
    return build_views(built.store, ["hq"])["hq"]


def _texts(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}text"))


def test_the_picture_holds_title_headline_bars_legend_and_source_line_whole(hq):
    svg = picture_svg(hq)
    texts = _texts(svg)
    words = " ".join(t.text or "" for t in texts)
    # the headline sentence and the source line, wrapped onto lines but whole, in reading order
    for whole in (hq.graph["title"], hq.graph["headline"]["sentence"], hq.graph["credit"]):
        assert " ".join(whole.split()) in " ".join(words.split()), whole
    for centre in hq.graph["headline"]["centres"]:
        assert centre["label"] in words
        assert ("no figure" if centre["jobs"] is None else f"{centre['jobs']:,}") in words
    assert clipped(svg) == []


def clipped(svg: str) -> list[str]:
    """The texts of a picture that do not fit its frame: each line must start inside it and its text, at a generous
    glyph width, end inside it."""
    height = float(ET.fromstring(svg).get("height", "0"))
    out = []
    for t in _texts(svg):
        x, y, size = float(t.get("x", 0)), float(t.get("y", 0)), float(t.get("font-size", 0))
        if not (0 <= x and x + 0.56 * size * len(t.text or "") <= WIDTH + 1 and size <= y <= height):
            out.append(t.text or "")
    return out


def test_a_label_from_the_data_is_text_never_markup(hq):
    g = hq.copy()
    place = next(n for n, d in g.nodes(data=True) if d["type"] == "place")
    g.nodes[place]["label_en"] = g.nodes[place]["label"] = '<script>alert("x")</script> & Co'
    g.graph["title"] = "Title </text><script>alert(1)</script>"
    svg = picture_svg(g)
    root = ET.fromstring(svg)  # well-formed: the text was escaped
    assert not list(root.iter(f"{SVG}script")) and "<script>" not in svg
    assert any((t.text or "").startswith("Title </text><script>") for t in root.iter(f"{SVG}text"))


def test_kg_viz_hq_writes_an_svg_that_rsvg_draws_and_a_png_of_2400_px(tmp_path, capsys):
    converter = require_system_package("rsvg-convert", "librsvg2-bin")
    out = tmp_path / "out"
    assert main(["viz", "hq", "--build", str(tmp_path / "no-build"), "--out", str(out), "--picture", "svg"]) == 0
    drawn = subprocess.run([converter, "--format", "png", str(out / "hq.svg")], capture_output=True, check=True)
    assert drawn.stdout.startswith(b"\x89PNG")
    assert main(["viz", "hq", "--build", str(tmp_path / "no-build"), "--out", str(out), "--picture", "png"]) == 0
    width, height = struct.unpack(">II", (out / "hq.png").read_bytes()[16:24])
    assert width >= 2400 and height > 1000
    # the page carries the same picture for its "Download SVG" (the JSON of the page's data, escaped for HTML)
    page = (out / "hq.html").read_text(encoding="utf-8")
    data = json.loads(page.split('<script type="application/json" id="kg-data">', 1)[1].split("</script>", 1)[0])
    assert data["picture"] == (out / "hq.svg").read_text(encoding="utf-8")
    assert main(["viz", "clusters", "--out", str(out), "--picture", "png"]) == 2
    assert "--picture draws the hq view" in capsys.readouterr().err


def _label_boxes(root: ET.Element) -> list[tuple[float, float, float, float, str]]:
    """The map labels' boxes as the picture placed them (a glyph 0.6 em wide, as the placement reckons)."""
    out = []
    for t in root.iter(f"{SVG}text"):
        if t.get("class") == "label":
            x, y, size = float(t.get("x", 0)), float(t.get("y", 0)), float(t.get("font-size", 0))
            out.append((x, y - size, x + 0.6 * size * len(t.text or ""), y + 4, t.text or ""))
    return out


def test_the_dense_city_is_drawn_enlarged_with_every_node_named_and_no_label_over_another(hq):
    inset = hq.graph["inset"]
    # chosen by the rule, not by name: the municipality with the most of the region's sites
    assert inset["sites"] >= 10
    svg = picture_svg(hq)
    root = ET.fromstring(svg)
    frame = next(root.iter(f"{SVG}clipPath")).find(f"{SVG}rect")
    left, top = float(frame.get("x")), float(frame.get("y"))
    right, bottom = left + float(frame.get("width")), top + float(frame.get("height"))
    boxes = [b for b in _label_boxes(root) if left <= b[0] and b[2] <= right and top <= b[1] and b[3] <= bottom]
    x0, y0, x1, y1 = inset["box"]
    inside = [d for _, d in hq.nodes(data=True) if x0 <= d["geo_x"] <= x1 and y0 <= -d["geo_y"] <= y1]
    named = {b[4] for b in boxes}
    key = {(t.text or "") for t in root.iter(f"{SVG}text")}  # the key beside the panel names the numbered ones
    unnamed = [d["label"] for d in inside if (d.get("label_en") or d["label"]) not in named | key]
    assert unnamed == []
    assert len(boxes) >= len(inside) // 2  # most are named on the map itself, not in the key
    overlapping = [(a[4], b[4]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]
    assert overlapping == []
    assert clipped(svg) == []


def test_kg_toml_chooses_the_inset_place_and_a_place_not_in_places_csv_is_refused(built):
    from kg.errors import InvalidArgument

    district = next(p for p, place in Catalog(built.store).places.items() if "district" in place.kinds)
    graph = build_views(built.store, ["hq"], inset=district)["hq"]
    assert graph.graph["inset"]["place"] == district.rsplit("/", 1)[1]
    assert graph.graph["inset"]["sites"] >= 1
    with pytest.raises(InvalidArgument, match="not a place of places.csv"):
        build_views(built.store, ["hq"], inset=district + "-nowhere")


def test_inset_in_kg_toml_names_the_place_the_picture_enlarges(data_copy, tmp_path):
    toml = data_copy / "kg.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('reading = "primary"',
                                                             'reading = "primary"\ninset = "berlin-moabit"'),
                    encoding="utf-8")
    out = tmp_path / "out"
    assert main(["viz", "hq", "--data", str(data_copy), "--out", str(out), "--picture", "svg"]) == 0
    words = " ".join(t.text or "" for t in _texts((out / "hq.svg").read_text(encoding="utf-8")))
    assert "Enlarged: Moabit" in words


def test_the_picture_speaks_the_projects_first_language(hq):
    from kg.messages import messages

    g = hq.copy()
    g.graph["language"] = "de"
    root = ET.fromstring(picture_svg(g))
    words = " ".join(" ".join(t.text or "" for t in root.iter(f"{SVG}text")).split())
    assert hq.graph["headline"]["sentences"]["de"] in words
    for key in ("centresHeading", "picture.colourHeading", "picture.contested", "view.hq.title"):
        assert messages()["de"][key] in words and messages()["en"][key] not in words, key
    assert f"{messages()['de']['insetHeading'].split('{')[0]}{hq.graph['inset']['label_de']}" in words
    assert clipped(picture_svg(g)) == []
