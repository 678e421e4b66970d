"""Positions: the map (the region by its coordinates with a fisheye on its centre, places of control in their
true direction at a compressed distance, true outlines) and the force layout."""
from __future__ import annotations

import math
from collections import defaultdict
from itertools import combinations
from typing import Any

import networkx as nx

from .. import geo
from .catalogue import Catalog, place_key
from .lines import degree_of, lines_aside

#: Past this many nodes a force layout is not computed in Python (geographic or grid positions instead).
FORCE_LAYOUT_LIMIT = 2500


def _isolated_apart(g: nx.Graph[str]) -> None:
    """Firms without a tie, in a grid beside the force layout (they would drift around it)."""
    degree = degree_of(g)
    alone = sorted((n for n in g if degree(n) == 0), key=lambda n: str(g.nodes[n].get("label", n)))
    placed = [d for n, d in g.nodes(data=True) if degree(n)]
    if not alone or not placed:
        return
    right = max(d["force_x"] for d in placed) + 150
    top = max(d["force_y"] for d in placed)
    columns = max(1, int(math.sqrt(len(alone))))
    for i, n in enumerate(alone):
        d = g.nodes[n]
        d["force_x"], d["force_y"] = right + (i % columns) * 170.0, top - (i // columns) * 60.0
        d["isolated"] = True
        d["viz"]["position"] = {"x": d["force_x"], "y": d["force_y"], "z": 0.0}
    g.graph["isolated_label"] = f"{len(alone)} firms without a tie"


class _Projection:
    """The map: the region by its coordinates, about 10 px a km with its dense centre (Berlin)
    enlarged by a fisheye; everything outside the region in its true direction from the region's
    centre at a log-compressed distance, on rings around it, so that Farmington and Friedrichshafen
    fit on one screen with Berlin. A Land or country outside the region keeps its true shape, drawn
    small around the compressed position of its centre, with its places inside it."""

    #: An outside Land's or country's drawing is at most this many px across.
    AWAY_SIZE = 120.0

    def __init__(self, cat: Catalog) -> None:
        inside = [cat.coords[p] for p in cat.places if p in cat.coords and cat.in_region(p)]
        inside = inside or list(cat.coords.values()) or [(0.0, 0.0)]
        # centred where the region's sites are (weighted by sites: the fisheye enlarges that place)
        sites = [cat.coords[s.place] for s in cat.regional_sites_set if s.place in cat.coords] or inside
        self.lat0 = sum(p[0] for p in sites) / len(sites)
        self.lon0 = sum(p[1] for p in sites) / len(sites)
        self.k = 1100.0  # px per degree of latitude (about 10 px a km)
        self.cos0 = math.cos(math.radians(self.lat0))
        self.radius = max((math.hypot(*self.local(p)) for p in inside), default=100.0) + 120
        self.cat = cat
        self._away: dict[str, tuple[tuple[float, float], tuple[float, float], float]] = {}

    def local(self, p: tuple[float, float]) -> tuple[float, float]:
        """Equirectangular, then a fisheye (distance from the centre to the power 0.5) that
        enlarges the dense centre -- Berlin -- and keeps every direction true."""
        x, y = (p[1] - self.lon0) * self.cos0 * self.k, -(p[0] - self.lat0) * self.k
        r = math.hypot(x, y)
        if r == 0:
            return 0.0, 0.0
        scale = 400 * (r / 400) ** 0.5 / r
        return x * scale, y * scale

    def far(self, p: tuple[float, float]) -> tuple[float, float]:
        """A point outside the region: its true bearing, a log-compressed distance."""
        lat, lon = p
        phi1, phi2, dl = math.radians(self.lat0), math.radians(lat), math.radians(lon - self.lon0)
        bearing = math.atan2(math.sin(dl) * math.cos(phi2),
                             math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dl))
        r = self.radius + 150 + 600 * math.log10(1 + self.distance_km(p) / 100)
        return r * math.sin(bearing), -r * math.cos(bearing)

    def distance_km(self, p: tuple[float, float]) -> float:
        """Great-circle distance from the map's centre."""
        phi1, phi2, dl = math.radians(self.lat0), math.radians(p[0]), math.radians(p[1] - self.lon0)
        return 6371 * math.acos(max(-1.0, min(1.0, math.sin(phi1) * math.sin(phi2)
                                               + math.cos(phi1) * math.cos(phi2) * math.cos(dl))))

    def away_frame(self, area: str) -> tuple[tuple[float, float], tuple[float, float], float] | None:
        """(centre lat/long, its position on the map, px per degree) of an outside Land or country."""
        if not self._away:
            self._place_frames()
        if area not in self._away:
            frame = self._frame(area)
            if frame is None:
                return None
            self._away[area] = frame
        return self._away[area]

    def _frame(self, area: str) -> tuple[tuple[float, float], tuple[float, float], float] | None:
        rings = geo.rings_of(place_key(area))
        centre = self.cat.coords.get(area)
        if not rings or centre is None:
            return None
        xs = [q[0] for r in rings for q in r]
        ys = [q[1] for r in rings for q in r]
        cos = math.cos(math.radians(centre[0]))
        extent = max((max(xs) - min(xs)) * cos, max(ys) - min(ys), 1e-6)
        return centre, self.far(centre), min(30.0, self.AWAY_SIZE / extent)

    def _place_frames(self) -> None:
        """Every Land and country where control sits, pushed apart where their drawings would overlap
        (Switzerland beside Baden-Württemberg), keeping each outside the region's ring."""
        areas = sorted({area for org in self.cat.orgs.values() if (area := self.cat.outside_area(org.control_place))})
        frames = {a: f for a in areas if (f := self._frame(a))}
        pos = {a: list(f[1]) for a, f in frames.items()}
        gap = self.AWAY_SIZE * 1.7  # room for the outlines and their names
        for _ in range(60):
            moved = False
            for a, b in combinations(sorted(pos), 2):
                (ax, ay), (bx, by) = pos[a], pos[b]
                d = math.hypot(bx - ax, by - ay)
                if d < gap:
                    ux, uy = ((bx - ax) / d, (by - ay) / d) if d > 1e-9 else (1.0, 0.0)
                    push = (gap - d) / 2
                    pos[a] = [ax - ux * push, ay - uy * push]
                    pos[b] = [bx + ux * push, by + uy * push]
                    moved = True
            for a in pos:  # never into the region's ring
                r = math.hypot(*pos[a])
                if r < self.radius + 100:
                    pos[a] = [pos[a][0] * (self.radius + 100) / r, pos[a][1] * (self.radius + 100) / r]
            if not moved:
                break
        self._away = {a: (f[0], (pos[a][0], pos[a][1]), f[2]) for a, f in frames.items()}

    def __call__(self, p: tuple[float, float], inside: bool, area: str | None = None) -> tuple[float, float]:
        if inside:
            return self.local(p)
        frame = self.away_frame(area) if area else None
        if frame is None:
            return self.far(p)
        (lat0, lon0), (cx, cy), k = frame
        return cx + (p[1] - lon0) * math.cos(math.radians(lat0)) * k, cy - (p[0] - lat0) * k

    def area_of(self, place: str | None) -> str | None:
        """The outside Land (in the region's country) or country a place is drawn in."""
        return self.cat.outside_area(place)


def _anchor(n: str, cat: Catalog) -> tuple[tuple[float, float], bool, str | None] | None:
    """A node's (lat, long), whether it lies in the region, and its place (None for a firm drawn at
    the mean of its regional sites): its place's, its regional sites', or its headquarters'."""
    place: str | None = None
    if n in cat.places:
        place = n
    elif n in cat.sites:
        place = cat.sites[n].place
    elif n in cat.orgs:
        points = [cat.coords[s.place] for s in cat.regional_sites_of.get(n, ()) if s.place in cat.coords]
        if points:
            return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)), True, None
        place = cat.orgs[n].hq_place
    if place in cat.coords:
        return cat.coords[place], cat.in_region(place), place
    return None


def _projected_outline(area: str, project: _Projection, in_region: bool) -> list[list[list[float]]]:
    """A Land's or country's outline (``area`` an IRI) through the map's projection (densified first
    in the region, so that the fisheye's curved image of each edge is followed: a site inside the
    Land stays inside its drawn outline)."""
    out = []
    for ring in geo.rings_of(place_key(area)):
        dense = geo.densify(ring, 0.01) if in_region else ring
        points = (project((lat, lon), in_region, None if in_region else area) for lon, lat in dense)
        out.append([[round(x, 1), round(y, 1)] for x, y in points])
    return out


#: Nodes on one spot spread on a sunflower within this radius (px) at most, at any size of data.
SPREAD_RADIUS = 60.0


def geographic_layout(g: nx.Graph[str], cat: Catalog) -> dict[str, tuple[float, float]]:
    """Positions from coordinates (screen coordinates, y down); nodes on one spot spread on a
    sunflower inside a bounded radius that keeps them inside their Land's drawn outline; nodes
    without a place on a grid below the map."""
    project = _Projection(cat)
    spots: dict[tuple[float, float], list[str]] = defaultdict(list)
    spot_land: dict[tuple[float, float], str | None] = {}
    unplaced = []
    projected: dict[tuple[tuple[float, float], bool, str | None], tuple[float, float]] = {}  # many nodes a place
    for n in g.nodes:
        anchor = _anchor(n, cat)
        if anchor is None:
            unplaced.append(n)
            continue
        spot = projected.get(anchor)
        if spot is None:
            spot = projected[anchor] = project(anchor[0], anchor[1],
                                               None if anchor[1] else project.area_of(anchor[2]))
        spots[spot].append(n)
        if anchor[1] and anchor[2] and cat.land.get(anchor[2]):
            spot_land[spot] = cat.land[anchor[2]]
    outlines = {land: _projected_outline(land, project, True) for land in set(spot_land.values()) if land}
    pos: dict[str, tuple[float, float]] = {}
    golden = math.pi * (3 - math.sqrt(5))
    kinds: dict[str, str] = {n: d["type"] for n, d in g.nodes(data=True)}
    for (x, y), nodes in spots.items():
        radius = min(SPREAD_RADIUS, 12 * math.sqrt(len(nodes)))
        rings = outlines.get(spot_land.get((x, y)) or "")
        if rings and geo.inside((x, y), rings):
            radius = min(radius, 0.8 * geo.distance_to_edge((x, y), rings))
        for i, n in enumerate(sorted(nodes, key=lambda n: (kinds[n] != "place", n))):
            r = radius * math.sqrt((i + 0.5) / len(nodes)) if len(nodes) > 1 else 0.0
            pos[n] = (round(x + r * math.cos(i * golden), 1), round(y + r * math.sin(i * golden), 1))
    bottom = project.radius + 300
    width = max(1, int(math.sqrt(len(unplaced)) * 2))
    for i, n in enumerate(sorted(unplaced)):
        pos[n] = (float((i % width) * 30 - width * 15), round(bottom + (i // width) * 30, 1))
    return pos


def force_layout(g: nx.Graph[str], initial: dict[str, tuple[float, float]] | None = None,
                 limit: int = FORCE_LAYOUT_LIMIT, iterations: int = 60) -> dict[str, tuple[float, float]]:
    """A force-directed layout (Fruchterman-Reingold with numpy, from ``initial`` or a fixed
    seed), in page pixels.

    Past ``limit`` nodes the ``initial`` (geographic) positions are used instead: the page
    then draws with physics off, and an O(n²) layout of that size would take minutes.

    Why not ``networkx.spring_layout``: measured on the full view (480 nodes), this loop takes
    0.08 s and spring_layout 0.53 s (60 iterations each, same start), and past 500 nodes
    spring_layout needs scipy, which kg does not otherwise depend on.
    """
    import numpy as np

    nodes = list(g.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    if n > limit and initial:
        return {v: initial[v] for v in nodes}
    rng = np.random.default_rng(42)
    if initial:
        pos = np.array([initial[v] for v in nodes], dtype=float)
        pos /= (np.abs(pos).max() or 1.0)
        pos += rng.uniform(-1e-3, 1e-3, pos.shape)
    else:
        pos = rng.uniform(-1, 1, (n, 2))
    index = {v: i for i, v in enumerate(nodes)}
    held = lines_aside(g)
    if held is not None:  # the lines held aside, in the order of the graph's edges (kg.views.lines)
        at = np.array([index[v] for v in held.nodes], dtype=int)
        edges = np.column_stack([at[end] for end in held.ends()])
        edges = edges[edges[:, 0] != edges[:, 1]]
    else:
        edges = np.array([(index[u], index[v]) for u, v in g.edges() if u != v], dtype=int).reshape(-1, 2)
    pos = pos.astype(np.float32)
    k = math.sqrt(4.0 / n)  # ideal distance in a 2 x 2 box
    t = 0.2
    for _ in range(iterations):
        dx = pos[:, 0, None] - pos[None, :, 0]
        dy = pos[:, 1, None] - pos[None, :, 1]
        force = k * k / np.maximum(dx * dx + dy * dy, 1e-6)  # repulsion between every pair, k²/d
        disp = np.stack(((dx * force).sum(1), (dy * force).sum(1)), axis=1)
        if len(edges):
            d = pos[edges[:, 0]] - pos[edges[:, 1]]
            length = np.maximum(np.sqrt((d ** 2).sum(-1)), 1e-3)
            pull = d * (length / k)[:, None]  # attraction along edges, d²/k
            np.add.at(disp, edges[:, 0], -pull)
            np.add.at(disp, edges[:, 1], pull)
        disp -= pos * 0.05 * n * k  # gravity keeps unconnected parts on the screen
        length = np.maximum(np.sqrt((disp ** 2).sum(-1)), 1e-9)
        pos += disp * (np.minimum(length, t) / length)[:, None]
        t *= 0.95
    pos -= pos.mean(0)
    pos *= (60 * math.sqrt(n) + 100) / (np.abs(pos).max() or 1.0)
    return {v: (round(float(x), 1), round(float(y), 1)) for v, (x, y) in zip(nodes, pos, strict=True)}


def region_areas(cat: Catalog) -> list[dict[str, Any]]:
    """What the map draws under the nodes (screen coordinates): the true outlines of the region's
    Länder through the same projection as the nodes, and of the Länder and countries where the
    region's firms are run from, in their true direction at a compressed distance."""
    project = _Projection(cat)
    areas: list[dict[str, Any]] = []
    lands = sorted({land for p in cat.places if cat.in_region(p) and (land := cat.land.get(p))})
    for land in lands:
        rings = _projected_outline(land, project, True)
        if rings:
            place = cat.places[land]
            areas.append({"label": place.label, "label_en": place.label_en or place.label,
                          "rings": rings, "kind": "region"})
    away = {area for org in cat.orgs.values() if (area := cat.outside_area(org.control_place))}
    for area in sorted(away):
        rings = _projected_outline(area, project, False)
        if rings:
            place = cat.places[area]
            areas.append({"label": place.label, "label_en": place.label_en or place.label,
                          "rings": rings, "kind": "control"})
    if cat.region:
        areas.append({"label": f"outside {cat.places[cat.region].label}: true direction, distance compressed",
                      "circle": [0.0, 0.0, round(project.radius + 100, 1)], "dashed": True})
    return areas


#: A site needs this many px² of the map around it for its name (about 12 characters of 12 px text, two lines
#: apart): where a municipality's sites have less, they overlap at the map's scale and the map gets an inset.
INSET_ROOM = 90.0 * 28.0
#: The frame (px) the whole map is fitted into at its first zoom: a screen, a publication's column.
MAP_FRAME = (1200.0, 800.0)
#: An inset needs at least this many sites (two or three on one spot read well enough on the map).
INSET_LEAST_SITES = 4


def _inset_candidates(g: nx.Graph[str], cat: Catalog) -> dict[str, list[str]]:
    """The view's regional sites by the municipality they lie in (a district's sites in its city)."""
    by_place: dict[str, list[str]] = defaultdict(list)
    for n in g.nodes:
        site = cat.sites.get(n)
        if site is None or not site.place or not cat.in_region(site.place):
            continue
        municipality = cat.municipality.get(site.place, site.place)
        if "municipality" in cat.places[municipality].kinds:
            by_place[municipality].append(n)
    return by_place


def _box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _map_scale(g: nx.Graph[str]) -> float:
    """Screen px a map px when the whole map is fitted into :data:`MAP_FRAME`."""
    mx0, my0, mx1, my1 = _box([(float(d["geo_x"]), -float(d["geo_y"])) for _, d in g.nodes(data=True)
                               if "geo_x" in d] or [(0.0, 0.0)])
    return min(1.0, MAP_FRAME[0] / max(mx1 - mx0, 1.0), MAP_FRAME[1] / max(my1 - my0, 1.0))


def inset_area(g: nx.Graph[str], cat: Catalog, chosen: str | None = None) -> dict[str, Any] | None:
    """The part of the map drawn enlarged beside it, with its sites named: the municipality (with its
    districts) holding the most of the view's regional sites, where they lie closer than :data:`INSET_ROOM`
    px² a site with the whole map fitted into :data:`MAP_FRAME`; or ``chosen`` (a place's IRI: ``inset`` in
    kg.toml), dense or not.
    ``None`` where no place is that dense. Needs the geographic layout (``geo_x``, ``geo_y``).

    ``box`` is the area in the page's map coordinates (x right, y down), with a margin around the sites;
    everything drawn inside it is drawn in the inset.
    """
    by_place = _inset_candidates(g, cat)
    if chosen is not None:
        if chosen not in cat.places:
            from ..errors import InvalidArgument

            raise InvalidArgument(f"inset: {place_key(chosen)} is not a place of places.csv; "
                                  "give a place id, or leave inset out of kg.toml for the densest place")
        place = chosen
        members = [n for n in g.nodes if (s := cat.sites.get(n)) and s.place
                   and chosen in cat.ancestors.get(s.place, ())]
    else:
        if not by_place:
            return None
        place = max(sorted(by_place), key=lambda p: len(by_place[p]))
        members = by_place[place]
    points = [(float(g.nodes[n]["geo_x"]), -float(g.nodes[n]["geo_y"])) for n in members if "geo_x" in g.nodes[n]]
    if not points:
        return None
    x0, y0, x1, y1 = _box(points)
    if chosen is None and (len(points) < INSET_LEAST_SITES
                           or (x1 - x0 + 1) * (y1 - y0 + 1) * _map_scale(g) ** 2 / len(points) >= INSET_ROOM):
        return None
    margin = max(8.0, 0.06 * max(x1 - x0, y1 - y0))
    label = cat.places[place]
    return {"place": place_key(place), "label": label.label, "label_de": label.label_de or label.label,
            "label_en": label.label_en or label.label, "sites": len(points),
            "box": [round(x0 - margin, 1), round(y0 - margin, 1), round(x1 + margin, 1), round(y1 + margin, 1)]}
