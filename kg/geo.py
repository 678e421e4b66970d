"""Outlines of the German Länder and of countries, and the plane geometry the map needs.

The outlines ship inside the package (``kg/web/outlines.json``, made by ``scripts/make-outlines``
from @svg-maps/germany, CC BY 4.0, and Natural Earth via world-atlas, public domain), as
longitude/latitude rings keyed by the place ids of ``data/places.csv`` (``berlin``, ``bayern``,
``switzerland``, ...).

    >>> square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    >>> inside([1, 1], [square]), inside([5, 1], [square])
    (True, False)
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import TypedDict, cast

Point = Sequence[float]
Ring = Sequence[Point]


class Outlines(TypedDict):
    """The shape of ``kg/web/outlines.json``."""
    about: str
    laender: dict[str, list[list[list[float]]]]
    countries: dict[str, list[list[list[float]]]]
    points: dict[str, list[float]]


@lru_cache(maxsize=1)
def outlines() -> Outlines:
    """``{"laender": {id: rings}, "countries": {id: rings}, "points": {id: [lon, lat]}, "about": ...}``."""
    text = (resources.files("kg") / "web" / "outlines.json").read_text(encoding="utf-8")
    return cast(Outlines, json.loads(text))


def rings_of(place_id: str) -> list[list[list[float]]]:
    """The outline of a Land or country by place id, or ``[]``."""
    data = outlines()
    return data["laender"].get(place_id) or data["countries"].get(place_id) or []


def label_point(place_id: str) -> tuple[float, float] | None:
    """(longitude, latitude) well inside a Land's or country's outline and outside the Länder it
    encloses (Brandenburg's is not in Berlin), as ``scripts/make-outlines`` found it; None without one."""
    point = outlines().get("points", {}).get(place_id)
    return (point[0], point[1]) if point else None


def inside(point: Point, rings: Sequence[Ring]) -> bool:
    """Point in polygon (even-odd rule over all rings, so a ring inside another is a hole)."""
    x, y = point[0], point[1]
    result = False
    for ring in rings:
        for (x1, y1), (x2, y2) in pairwise(ring):
            if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
                result = not result
    return result


def distance_to_edge(point: Point, rings: Sequence[Ring]) -> float:
    """The distance from a point to the nearest edge of the rings."""
    px, py = point[0], point[1]
    best = math.inf
    for ring in rings:
        for (x1, y1), (x2, y2) in pairwise(ring):
            dx, dy = x2 - x1, y2 - y1
            t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy)))
            best = min(best, math.hypot(px - (x1 + t * dx), py - (y1 + t * dy)))
    return best


def densify(ring: Ring, step: float) -> list[list[float]]:
    """The ring with points added so that no edge is longer than ``step`` (a curved projection of
    a straight edge then stays close to the edge's image)."""
    out: list[list[float]] = []
    for (x1, y1), (x2, y2) in pairwise(ring):
        n = max(1, int(math.hypot(x2 - x1, y2 - y1) / step))
        out.extend([x1 + (x2 - x1) * i / n, y1 + (y2 - y1) * i / n] for i in range(n))
    out.append([float(ring[-1][0]), float(ring[-1][1])])
    return out


def representative_point(rings: Sequence[Ring], holes: Sequence[Sequence[Ring]] = (), grid: int = 40) -> list[float]:
    """A point well inside the rings and outside every outline in ``holes`` (Brandenburg around
    Berlin): the grid point farthest from any edge.

    >>> square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    >>> representative_point([square], grid=8)
    [2.0, 2.0]
    """
    xs = [p[0] for r in rings for p in r]
    ys = [p[1] for r in rings for p in r]
    best, where = -1.0, [sum(xs) / len(xs), sum(ys) / len(ys)]
    edges = list(rings) + [r for h in holes for r in h]
    for i in range(1, grid):
        for j in range(1, grid):
            p = [min(xs) + (max(xs) - min(xs)) * i / grid, min(ys) + (max(ys) - min(ys)) * j / grid]
            if not inside(p, rings) or any(inside(p, h) for h in holes):
                continue
            d = distance_to_edge(p, edges)
            if d > best:
                best, where = d, p
    return where


def _signed_area(ring: Ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def polygons(rings: Sequence[Ring]) -> list[list[list[list[float]]]]:
    """Rings read by the even-odd rule (a ring inside another is a hole) as GeoJSON polygons: each an outer
    ring, counter-clockwise (y up), then its holes, clockwise (RFC 7946's right-hand rule); every ring closed,
    rings of fewer than three distinct points left out.

    >>> outer = [[0, 0], [0, 4], [4, 4], [4, 0], [0, 0]]
    >>> hole = [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]
    >>> first, second = polygons([outer, hole, [[5, 5], [6, 5], [6, 6], [5, 5]]])
    >>> first
    [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]], [[1, 1], [1, 2], [2, 2], [2, 1], [1, 1]]]
    >>> second
    [[[5, 5], [6, 5], [6, 6], [5, 5]]]
    """
    closed = [c for r in rings if len(c := _closed(r)) >= 4]
    # the rings around each: none or an even number, an outer ring; odd, a hole of the innermost outer ring
    within = [[j for j, other in enumerate(closed) if j != i and inside(ring[0], [other])]
              for i, ring in enumerate(closed)]
    out = {i: [_turned(ring, 1)] for i, ring in enumerate(closed) if len(within[i]) % 2 == 0}
    for i, ring in enumerate(closed):
        holder = max((j for j in within[i] if j in out), key=lambda j: len(within[j]), default=None)
        if i not in out and holder is not None:
            out[holder].append(_turned(ring, -1))
    return [out[i] for i in sorted(out)]


def _closed(ring: Ring) -> list[list[float]]:
    """The ring as lists, its first point repeated at its end."""
    points = [list(p) for p in ring]
    return points + [points[0]] if points and points[0] != points[-1] else points


def _turned(ring: list[list[float]], sense: int) -> list[list[float]]:
    """The ring counter-clockwise (``sense`` 1) or clockwise (-1), y up."""
    return ring if _signed_area(ring) * sense > 0 else ring[::-1]
