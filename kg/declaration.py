"""The tables' declaration, ``kg/tables.toml``: read once, as data.

Each table of a data folder is described there once: its key, the kind of its rows' IRIs, their classes,
its columns and its example rows.  :mod:`kg.tables` makes its :class:`~kg.tables.Table` objects from it,
:class:`kg.namespaces.IRIs` its IRI kinds; this module imports nothing of kg, so both may use it.

    >>> iri_kinds()["organizations"], iri_kinds()["statistics"]
    ('org', 'observation')
"""
from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["declaration", "iri_kinds"]


@cache
def declaration() -> dict[str, Any]:
    """The parsed ``tables.toml`` (shared: do not change it)."""
    with resources.files("kg").joinpath("tables.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def iri_kinds() -> dict[str, str]:
    """Table name -> the kind (path segment) of its rows' IRIs, for the tables whose rows are entities."""
    return {t["name"]: t["iri"] for t in declaration()["table"] if "iri" in t}
