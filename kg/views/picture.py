"""The hq view as a picture to publish: one SVG with the whole story in frame, drawn without a browser.

``kg viz hq --picture svg`` (or ``png``) writes it beside the page: the title, the headline sentence
(:func:`kg.views.hq.headline_sentence`), the map (the page's outlines and positions, the places of control
on the compressed ring in their true direction), the jobs by place of control as bars (contested ones with
their range), the legend with its counts, and the source line with the study's credit and the reading;
every text wrapped to the frame, never clipped.  Text is escaped for XML; the picture holds no script and
refers to no file.  A PNG is the SVG rendered by ``rsvg-convert`` (Debian's ``librsvg2-bin``) at 2,400 px.

    >>> wrap("a b c d", 3)
    ['a b', 'c d']
"""
from __future__ import annotations

import math
import shutil
import subprocess
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from ..errors import OutputError
from ..messages import LANGUAGES, messages, number, text
from .style import NEUTRAL

#: The picture's width in px: at 2× a 1,200 px column, as publications print them.
WIDTH = 2400
MARGIN = 60
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
#: The share of the width the map takes; the bars and the legend take the rest.
MAP_SHARE = 0.62


def wrap(text: str, chars: int) -> list[str]:
    """``text`` in lines of at most ``chars`` characters (a word longer than that on a line of its own)."""
    return textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False) or [""]


def _chars(width: float, size: float) -> int:
    """How many characters of a ``size`` px sans-serif font fit in ``width`` px (an average glyph: 0.56 em)."""
    return max(8, int(width / (0.56 * size)))


class _Canvas:
    """SVG elements, and the height used so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.y = float(MARGIN)

    def text(self, x: float, y: float, text: str, size: float, **attrs: str) -> None:
        extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{escape(text)}</text>')

    def paragraph(self, text: str, size: float, width: float, x: float = MARGIN, **attrs: str) -> None:
        """Wrapped lines from the current height down."""
        for line in wrap(text, _chars(width, size)):
            self.y += size * 1.3
            self.text(x, self.y, line, size, **attrs)
        self.y += size * 0.5


def _bounds(g: nx.Graph[str], areas: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    xs = [d["geo_x"] for _, d in g.nodes(data=True) if "geo_x" in d]
    ys = [-d["geo_y"] for _, d in g.nodes(data=True) if "geo_y" in d]
    for area in areas:
        for ring in area.get("rings", []):
            xs += [p[0] for p in ring]
            ys += [p[1] for p in ring]
        if "circle" in area:
            cx, cy, r = area["circle"]
            xs += [cx - r, cx + r]
            ys += [cy - r, cy + r]
    return (min(xs, default=0.0), min(ys, default=0.0), max(xs, default=1.0), max(ys, default=1.0))


class _Labels:
    """Where labels go: beside their point, on the first side (right, left, below, above) where they overlap no
    label placed before and stay inside the frame; a label with no such side is left out (the bars name it).
    With ``reach``, farther out too (each step ``reach`` px more, eight directions): such a label is drawn with a
    leader line to its point."""

    def __init__(self, left: float, top: float, right: float, bottom: float) -> None:
        self.frame = (left, top, right, bottom)
        self.boxes: list[tuple[float, float, float, float]] = []

    def _free(self, box: tuple[float, float, float, float]) -> bool:
        inside = (box[0] >= self.frame[0] and box[1] >= self.frame[1] and box[2] <= self.frame[2]
                  and box[3] <= self.frame[3])
        return inside and not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3]
                                  for o in self.boxes)

    def place(self, x: float, y: float, r: float, text: str, size: float,
              reach: float = 0.0, steps: int = 3) -> tuple[float, float] | None:
        w, h = 0.6 * size * len(text), size
        sides = [(x + r + 4, y + h / 3), (x - r - 4 - w, y + h / 3), (x - w / 2, y + r + h), (x - w / 2, y - r - 4)]
        for step in range(1, steps + 1 if reach else 0):
            d = r + step * reach
            sides += [(x + d * math.cos(a) - w * (1 - math.cos(a)) / 2, y + d * math.sin(a) + h / 3)
                      for a in (i * math.pi / 4 for i in range(8))]
        for bx, by in sides:
            box = (bx, by - h, bx + w, by + 4)
            if self._free(box):
                self.boxes.append(box)
                return bx, by
        return None

    def claim(self, x: float, y: float, r: float) -> None:
        """A node's disc: no label is placed over it."""
        self.boxes.append((x - r, y - r, x + r, y + r))


class _View:
    """Map coordinates (the page's: x right, y down) to the picture's: ``k`` px a map px from ``origin``."""

    def __init__(self, origin: tuple[float, float], k: float, offset: tuple[float, float]) -> None:
        self.origin, self.k, self.offset = origin, k, offset

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return self.offset[0] + (x - self.origin[0]) * self.k, self.offset[1] + (y - self.origin[1]) * self.k


def _language(g: nx.Graph[str]) -> str:
    """The picture's language: the page's first (kg.toml's languages), where kg has its words."""
    return str(g.graph.get("language", "en")) if g.graph.get("language") in LANGUAGES else "en"


def _say(g: nx.Graph[str], key: str, **values: Any) -> str:
    return text(key, _language(g), **values)


def _label_of(d: dict[str, Any], language: str) -> str:
    return str(d.get(f"label_{language}") or d.get("label", ""))


def _map(c: _Canvas, g: nx.Graph[str], top: float, width: float, height: float) -> None:
    """Outlines, lines and nodes in the page's map coordinates, fitted into the panel; places labelled; the area
    of the inset (:func:`_inset`) outlined."""
    areas = g.graph.get("areas", [])
    x0, y0, x1, y1 = _bounds(g, areas)
    k = min(width / max(x1 - x0, 1e-6), height / max(y1 - y0, 1e-6))
    at = _View((x0, y0), k, (MARGIN + (width - (x1 - x0) * k) / 2, top))
    _draw(c, g, at, _Labels(MARGIN, top, MARGIN + width, top + height), None)
    if inset := g.graph.get("inset"):
        (bx0, by0), (bx1, by1) = at(*inset["box"][:2]), at(*inset["box"][2:])
        c.parts.append(f'<rect x="{bx0:.1f}" y="{by0:.1f}" width="{bx1 - bx0:.1f}" height="{by1 - by0:.1f}" '
                       'fill="none" stroke="#000000" stroke-width="2"/>')


Box = tuple[float, float, float, float]


def _draw(c: _Canvas, g: nx.Graph[str], at: _View, labels: _Labels, box: Box | None) -> list[str]:
    """The map through ``at``: every area, line and node (only those inside ``box``, the inset's, where given);
    the places labelled (in the inset every node: its name where it fits, else a number; the names numbered
    are returned in order)."""
    _areas(c, g, at)

    def shown(d: dict[str, Any]) -> bool:
        return "geo_x" in d and (box is None or (box[0] <= d["geo_x"] <= box[2] and box[1] <= -d["geo_y"] <= box[3]))

    _lines(c, g, at, shown)
    language = _language(g)
    nodes = sorted((d for _, d in g.nodes(data=True) if shown(d)),
                   key=lambda d: (d.get("type") != "place", d.get("type") != "site", -float(d.get("size", 8)),
                                  _label_of(d, language)))
    spots = []
    for d in nodes:
        x, y = at(d["geo_x"], -d["geo_y"])
        r = max(3.0, float(d.get("size", 8)) * 0.6)
        mark = ' stroke="#000000" stroke-width="2" stroke-dasharray="3 2"' if d.get("contested") else \
            ' stroke="#FFFFFF" stroke-width="1"'
        c.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{d.get("color", NEUTRAL)}"{mark}/>')
        spots.append((x, y, r, d))
    if box is None:  # the map: the places named where their names fit
        for x, y, r, d in spots:
            name = _label_of(d, language) if d.get("type") == "place" else d.get(f"place_label_{language}")
            if name and (spot := labels.place(x, y, r, name, 22)):
                _name(c, spot, name, True)
        return []
    for x, y, r, _ in spots:  # the inset: no name over a node
        labels.claim(x, y, r)
    numbered: list[str] = []
    for x, y, r, d in spots:
        numbered += _name_or_number(c, labels, (x, y, r), d, _label_of(d, language), len(numbered) + 1)
    return numbered


def _areas(c: _Canvas, g: nx.Graph[str], at: _View) -> None:
    """The outlines and the ring of the compressed distances."""
    for area in g.graph.get("areas", []):
        if "circle" in area:
            cx, cy = at(area["circle"][0], area["circle"][1])
            c.parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{area["circle"][2] * at.k:.1f}" fill="none" '
                           f'stroke="#767676" stroke-dasharray="8 6"/>')
            continue
        fill = "#F2F2F2" if area.get("kind") == "region" else "#FAFAFA"
        for ring in area.get("rings", []):
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(*p) for p in ring))
            c.parts.append(f'<polygon points="{points}" fill="{fill}" stroke="#9A9A9A" stroke-width="1"/>')


def _lines(c: _Canvas, g: nx.Graph[str], at: _View, shown: Callable[[dict[str, Any]], bool]) -> None:
    """The lines with an end shown, as wide as the jobs they carry, in the colour of where they lead."""
    top_jobs = max((d.get("jobs") or 0 for *_, d in g.edges(data=True)), default=0) or 1
    for u, v, d in g.edges(data=True):
        a, b = g.nodes[u], g.nodes[v]
        if not (shown(a) or shown(b)) or "geo_x" not in a or "geo_x" not in b:
            continue
        (ax, ay), (bx, by) = at(a["geo_x"], -a["geo_y"]), at(b["geo_x"], -b["geo_y"])
        stroke = 1.2 + 10 * math.sqrt((d.get("jobs") or 0) / top_jobs)
        c.parts.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" '
                       f'stroke="{b.get("color", NEUTRAL)}" stroke-opacity="0.55" stroke-width="{stroke:.1f}"/>')


def _name(c: _Canvas, spot: tuple[float, float], words: str, bold: bool) -> None:
    c.text(spot[0], spot[1], words, 22, font_weight="bold" if bold else "normal", paint_order="stroke",
           stroke="#FFFFFF", stroke_width="5", **{"class": "label"})


def _name_or_number(c: _Canvas, labels: _Labels, disc: tuple[float, float, float], d: dict[str, Any], name: str,
                    next_number: int) -> list[str]:
    """A node of the inset named beside it (farther out with a leader line), else numbered; ``[name]`` where it
    was numbered (the key names it, a site with its firm: :func:`kg.views.nodes.named_with_firm`), else ``[]``."""
    x, y, r = disc
    words, spot, numbered = name, labels.place(x, y, r, name, 22, reach=18.0), False
    if spot is None:
        words, numbered = str(next_number), True
        spot = labels.place(x, y, r, words, 22, reach=12.0, steps=12)
    if spot is None:
        return []
    if math.hypot(spot[0] - x, spot[1] - y) > r + 0.6 * 22 * len(words) + 30:
        c.parts.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{spot[0]:.1f}" y2="{spot[1] - 7:.1f}" '
                       'stroke="#555555" stroke-width="1"/>')
    _name(c, spot, words, d.get("type") == "place")
    return [d.get("key_label") or name] if numbered else []


def _inset(c: _Canvas, g: nx.Graph[str]) -> None:
    """The dense part of the map (``inset``: :func:`kg.views.layout.inset_area`) enlarged across the width, every
    node in it named: beside it where the name fits, else by a number that the key beside the panel names."""
    inset = g.graph.get("inset")
    if not inset:
        return
    language = _language(g)
    c.paragraph(_say(g, "insetHeading", place=inset[f"label_{language}"], sites=number(inset["sites"], language)),
                30, WIDTH - 2 * MARGIN, font_weight="bold")
    x0, y0, x1, y1 = inset["box"]
    width = (WIDTH - 2 * MARGIN) * 0.64
    k = min(width / max(x1 - x0, 1e-6), 1400 / max(y1 - y0, 1e-6))
    top, height = c.y + 10, (y1 - y0) * k
    at = _View((x0, y0), k, (MARGIN, top))
    clip = f'<clipPath id="inset-frame"><rect x="{MARGIN}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}"/>'
    c.parts.append(clip + '</clipPath><g clip-path="url(#inset-frame)">')
    labels = _Labels(MARGIN, top, MARGIN + width, top + height)
    numbered = _draw(c, g, at, labels, (x0, y0, x1, y1))
    c.parts.append("</g>")
    c.parts.append(f'<rect x="{MARGIN}" y="{top:.1f}" width="{width:.1f}" height="{height:.1f}" fill="none" '
                   'stroke="#000000" stroke-width="2"/>')
    key_x = MARGIN + width + 40
    chars = _chars(WIDTH - MARGIN - key_x - 50, 22)
    line = top
    for i, name in enumerate(numbered, 1):
        for j, part in enumerate(wrap(name, chars)):
            line += 30
            if j == 0:
                c.text(key_x, line, str(i), 22, font_weight="bold")
            c.text(key_x + 50, line, part, 22)
    c.y = max(top + height, line) + 20


def _bars(c: _Canvas, g: nx.Graph[str], x: float, width: float) -> None:
    """The region's jobs by place of control, as ``decision-centres`` gives them; no figure is not 0."""
    centres = (g.graph.get("headline") or {}).get("centres", [])
    if not centres:
        return
    colours = {i["key"]: i["color"] for i in g.graph.get("legend", {}).get("centre", [])}
    c.paragraph(_say(g, "centresHeading"), 30, width * 0.92, x=x, font_weight="bold")  # wrapped: any language
    top = max((ctr["jobs"] or 0 for ctr in centres), default=0) or 1
    said = {ctr["label"]: _figure(ctr, _language(g)) for ctr in centres}
    # the longest figure still fits right of the longest bar
    bar_width = min(width * 0.36, width * 0.60 - 10 - 0.56 * 22 * max(len(s) for s in said.values()))
    for ctr in centres:
        c.text(x, c.y + 26, ctr["label"], 24)
        if ctr["jobs"]:
            length = max(3.0, bar_width * ctr["jobs"] / top)
            c.parts.append(f'<rect x="{x + width * 0.40:.1f}" y="{c.y + 6:.1f}" width="{length:.1f}" height="24" '
                           f'fill="{colours.get(ctr["label"], "#D55E00")}"/>')
        c.text(x + width * 0.40 + (bar_width * (ctr["jobs"] or 0) / top) + 10, c.y + 26, said[ctr["label"]], 22)
        c.y += 38
    c.y += 20


def _figure(centre: dict[str, Any], language: str = "en") -> str:
    """A bar's figure: the jobs with their range where the sources' alternatives move them, else "no figure".

    >>> _figure({"jobs": 3000, "low": 0, "high": 3000}), _figure({"jobs": None, "low": None, "high": None})
    ('3,000 (0–3,000)', 'no figure')
    """
    if centre["jobs"] is None:
        return text("noFigure", language)
    moved = centre["low"] is not None and centre["high"] is not None and centre["low"] != centre["high"]
    return number(centre["jobs"], language) + (
        f" ({number(centre['low'], language)}–{number(centre['high'], language)})" if moved else "")


def _legend(c: _Canvas, g: nx.Graph[str], x: float, width: float) -> None:
    """The colours of the places of control, each with how many regional sites it runs."""
    sites: Counter[str] = Counter()
    for _, d in g.nodes(data=True):  # a site as it is, or a group with sites past the page's node budget
        sites[d.get("centre") or ""] += d["counts"].get("site", 0) if "counts" in d else d.get("type") == "site"
    c.paragraph(_say(g, "picture.colourHeading"), 26, width * 0.92, x=x, font_weight="bold")
    for item in g.graph.get("legend", {}).get("centre", []):
        c.parts.append(f'<rect x="{x:.1f}" y="{c.y + 4:.1f}" width="22" height="22" fill="{item["color"]}"/>')
        key = f"legend.centre.{item['key']}"
        label = _say(g, key) if key in messages()["en"] else item["label"]
        c.text(x + 32, c.y + 22, f"{label} ({number(sites.get(item['key'], 0), _language(g))})", 22)
        c.y += 32
    c.text(x, c.y + 28, _say(g, "picture.contested"), 20, fill="#444444")
    c.y += 40


def picture_svg(g: nx.Graph[str]) -> str:
    """The hq view (:func:`kg.views.hq.hq_view`) as one SVG document, ``WIDTH`` px wide."""
    c = _Canvas()
    inner = WIDTH - 2 * MARGIN
    title = _title(g)
    c.paragraph(title, 44, inner, font_weight="bold")
    said = g.graph.get("headline") or {}
    headline = (said.get("sentences") or {}).get(_language(g)) or said.get("sentence", "")
    if headline:
        c.paragraph(headline, 30, inner)
    top = c.y + 10
    map_width = inner * MAP_SHARE
    side_x = MARGIN + map_width + 60
    c.y = top
    _bars(c, g, side_x, WIDTH - MARGIN - side_x)
    _legend(c, g, side_x, WIDTH - MARGIN - side_x)
    x0, y0, x1, y1 = _bounds(g, g.graph.get("areas", []))
    map_height = max(c.y - top, map_width * (y1 - y0) / max(x1 - x0, 1e-6))
    _map(c, g, top, map_width, map_height)
    c.y = top + map_height + 20
    _inset(c, g)
    credit = _say(g, "creditData", credit=g.graph.get("credit") or _say(g, "creditNone"))
    reading = _say(g, "creditReading", reading=g.graph["reading"]) if g.graph.get("reading") else ""
    c.paragraph(f"{credit}{reading}. {_say(g, 'creditOutlines')}", 22, inner, fill="#333333")
    height = math.ceil(c.y + MARGIN / 2)
    return "\n".join(_document(c.parts, height, title))


def _title(g: nx.Graph[str]) -> str:
    """The view's title in the picture's language (its words in messages.json where they are there)."""
    key = f"view.{g.graph.get('name', '')}.title"
    own = str(g.graph.get("title", ""))
    return _say(g, key) if key in messages()["en"] and own == text(key) else own


def _document(parts: list[str], height: int, title: str) -> Iterator[str]:
    yield (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'viewBox="0 0 {WIDTH} {height}" font-family={quoteattr(FONT)} role="img">')
    yield f"<title>{escape(title)}</title>"
    yield f'<rect width="{WIDTH}" height="{height}" fill="#FFFFFF"/>'
    yield from parts
    yield "</svg>\n"


def write_picture(g: nx.Graph[str], path: Path, kind: str) -> Path:
    """Write the picture as ``svg`` or ``png`` (the SVG rendered by ``rsvg-convert``), atomically."""
    from ..files import atomic_write

    svg = picture_svg(g)
    if kind == "svg":
        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(svg)
        return path
    converter = shutil.which("rsvg-convert")
    if converter is None:
        raise OutputError("--picture png needs rsvg-convert (Debian: apt install librsvg2-bin); "
                          "or write --picture svg, which any browser and vector editor opens")
    done = subprocess.run([converter, "--format", "png", "--width", str(WIDTH)], input=svg.encode("utf-8"),
                          capture_output=True, check=False, timeout=120)
    if done.returncode != 0:
        raise OutputError(f"rsvg-convert could not draw the picture: {done.stderr.decode(errors='replace')[:200]}")
    with atomic_write(path, "wb") as handle:
        handle.write(done.stdout)
    return path
