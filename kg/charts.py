"""Bar charts as SVG text, drawn in Python: the pictures of the report page (:mod:`kg.report`).

A :class:`Figure` is a title, groups of horizontal bars and numbered sources; :func:`svg` draws it as one
self-contained SVG element (title, bars, values, ranges, sources and a white background inside it), so that
the chart looks the same in the page, printed to PDF, and saved as a picture on its own.  Every text is
escaped; colours are attributes, not CSS, so the saved picture needs no style sheet.

Each bar carries the value as written (``text``: "about 7,000", "85.7 % (55.1–86.2 %)") and the number of its
source in the figure's list (``[1]``); a contested value has a range (``low``, ``high``), drawn as a
whisker over the bar.  A bar without a value (``value=None``) is a row with its text and no bar (a firm count
without a head-count, say); a ``compact`` group is a list of entries, one line each, with no bars.

    >>> picture = svg(Figure("Jobs", (Group("By area", (Bar("Berlin", 7000, "about 7,000", source=1),)),),
    ...                      ("Statistics office",)))
    >>> picture.startswith("<svg") and "about 7,000 [1]" in picture and "[1] Statistics office" in picture
    True
"""
from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape

#: The drawing's width (the page scales it to the column); fonts and rows in the same units.
WIDTH = 480
FONT = 13
SMALL = 10
#: Space right of the bars for the value text.
VALUE_SPACE = 170
PAD = 8
POSITIVE, NEGATIVE, WHISKER, TEXT, MUTED = "#3b6ea8", "#c0603a", "#1a1a1a", "#1a1a1a", "#555555"
FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"


@dataclass(frozen=True)
class Bar:
    """One value: its label, the number drawn, the text written beside it, its range and its source's number."""

    label: str
    value: float | None = None
    text: str = ""
    low: float | None = None
    high: float | None = None
    source: int | None = None
    tip: str = ""


@dataclass(frozen=True)
class Group:
    """Bars under one heading, on one scale (a group has one unit)."""

    heading: str
    bars: tuple[Bar, ...]
    compact: bool = False


@dataclass(frozen=True)
class Figure:
    """A chart: its title, its groups, its sources (numbered from 1) and a note under it."""

    title: str
    groups: tuple[Group, ...]
    sources: tuple[str, ...] = ()
    note: str = ""


def _chars(font: int, bold: bool = False) -> int:
    """How many characters of a font size fit on a line (an average glyph is about 0.55 em wide, bold 0.62)."""
    return int((WIDTH - 2 * PAD) / (font * (0.62 if bold else 0.55)))


def _clip(text: str, font: int = FONT) -> str:
    limit = _chars(font)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _text(x: float, y: float, text: str, size: int = FONT, **attributes: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{extra}>{escape(text)}</text>'


class _Scale:
    """Values to x: the group's range with 0 in it, mapped onto the space left of the value texts."""

    def __init__(self, bars: tuple[Bar, ...]) -> None:
        values = [v for b in bars for v in (b.value, b.low, b.high) if v is not None]
        self.lo, self.hi = min([0.0, *values]), max([0.0, *values])
        if self.hi == self.lo:
            self.hi = self.lo + 1

    def __call__(self, value: float) -> float:
        return PAD + (value - self.lo) / (self.hi - self.lo) * (WIDTH - VALUE_SPACE - PAD)


def _bar(bar: Bar, scale: _Scale, y: float) -> Iterator[str]:
    """A labelled bar: the label on its own line (long labels keep the full width), the bar and its value below."""
    tip = f"{bar.label}: {bar.text}" + (f" ({bar.tip})" if bar.tip else "")
    yield f"<g><title>{escape(tip)}</title>"
    yield _text(PAD, y + FONT, _clip(bar.label), fill=TEXT)
    zero, top = scale(0), y + FONT + 6
    right = zero
    if bar.value is not None:
        end = scale(bar.value)
        left, width = min(zero, end), max(abs(end - zero), 1.0)
        colour = NEGATIVE if bar.value < 0 else POSITIVE
        yield f'<rect x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="14" fill="{colour}"/>'
        right = max(right, end)
    if bar.low is not None and bar.high is not None and bar.low != bar.high:
        lo, hi, mid = scale(bar.low), scale(bar.high), top + 7
        yield (f'<path d="M{lo:.1f} {mid - 5:.1f}v10M{lo:.1f} {mid:.1f}H{hi:.1f}M{hi:.1f} {mid - 5:.1f}v10" '
               f'stroke="{WHISKER}" stroke-width="1.5" fill="none"/>')
        right = max(right, hi)
    label = bar.text + (f" [{bar.source}]" if bar.source else "")
    yield _text(right + 6, top + 12, label, fill=TEXT)
    yield f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top - 2:.1f}" y2="{top + 16:.1f}" stroke="{MUTED}"/></g>'


def _entry(bar: Bar, y: float) -> Iterator[str]:
    """A list entry: a dot, its text and its source's number, on one line."""
    label = bar.label + (f" [{bar.source}]" if bar.source else "")
    yield f"<g><title>{escape(bar.label + (f' ({bar.tip})' if bar.tip else ''))}</title>"
    yield f'<circle cx="{PAD + 5}" cy="{y + FONT - 5:.1f}" r="4" fill="{POSITIVE}"/>'
    yield _text(PAD + 16, y + FONT, _clip(label), fill=TEXT)
    yield "</g>"


def _group(group: Group, y: float) -> tuple[list[str], float]:
    parts = []
    for line in _lines(group.heading, FONT, bold=True):
        parts.append(_text(PAD, y + FONT, line, font_weight="bold", fill=TEXT))
        y += FONT + 5
    y += 5
    scale = _Scale(group.bars)
    for bar in group.bars:
        if group.compact:
            parts.extend(_entry(bar, y))
            y += FONT + 8
        else:
            parts.extend(_bar(bar, scale, y))
            y += 2 * FONT + 20
    return parts, y + 8


def _lines(text: str, font: int, bold: bool = False) -> list[str]:
    return textwrap.wrap(text, _chars(font, bold)) if text else []


def svg(figure: Figure, ident: str = "chart") -> str:
    """The figure as an ``<svg>`` element: title, groups, note and numbered sources."""
    parts: list[str] = []
    y = 4.0
    for line in _lines(figure.title, FONT + 3, bold=True):
        parts.append(_text(PAD, y + FONT + 3, line, size=FONT + 3, font_weight="bold", fill=TEXT))
        y += FONT + 8
    y += 8
    for group in figure.groups:
        drawn, y = _group(group, y)
        parts.extend(drawn)
    notes = _lines(figure.note, SMALL) + [line for i, source in enumerate(figure.sources, 1)
                                          for line in _lines(f"[{i}] {source}", SMALL)]
    for line in notes:
        parts.append(_text(PAD, y + SMALL, line, size=SMALL, fill=MUTED))
        y += SMALL + 5
    height = round(y + 8)
    title_id = escape(f"{ident}-title")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" role="img" aria-labelledby="{title_id}" font-family="{escape(FONTS)}">'
            f'<title id="{title_id}">{escape(figure.title)}</title>'
            f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>' + "".join(parts) + "</svg>")
