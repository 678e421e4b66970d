"""The words of the interface and of the sentences kg writes, in each language: one file,
``kg/web/messages.json`` (language -> key -> text, ``{name}`` where a figure or a name goes), read by the pages
(through :func:`kg.html.render_page`) and by the Python that writes sentences (the hq and clusters headlines).

    >>> text("noFigure", "de"), text("noFigure")
    ('keine Zahl', 'no figure')
    >>> number(10456, "de"), number(55.1, "de"), number(10456, "en")
    ('10.456', '55,1', '10,456')
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

#: The languages every message is written in; the first is the one a missing language falls back to.
LANGUAGES = ("en", "de")


@cache
def messages() -> dict[str, dict[str, str]]:
    """Every message, by language then key (every language has every key: ``tests/test_views.py`` checks)."""
    loaded: dict[str, dict[str, str]] = json.loads(
        (resources.files("kg") / "web" / "messages.json").read_text(encoding="utf-8"))
    return loaded


def text(key: str, language: str = "en", **values: Any) -> str:
    """The message ``key`` in ``language`` (English where kg has no such language), ``values`` filled in."""
    words = messages().get(language, messages()[LANGUAGES[0]])[key]
    return words.format(**values) if values else words


def number(value: float, language: str = "en") -> str:
    """A figure as the language writes it: thousands grouped, one decimal where it has one."""
    said = f"{value:,.1f}".removesuffix(".0") if isinstance(value, float) else f"{value:,}"
    return said.translate(str.maketrans(",.", ".,")) if language == "de" else said
