"""Where the model, the saved queries and the data are read from: one place for the defaults.

The package ships the model (``ontology/*.ttl``), the saved queries (``queries/*.rq``) and the
example region's data (``data/*.csv``, ``data/kg.toml``): ``pyproject.toml`` maps the repository's
top-level folders into the package ``kg._model`` when a wheel or an editable install is built, and they
are read here with :mod:`importlib.resources`.

A folder of that name in the working directory wins (``./data`` when there is one, else the
packaged data; the same for ``./ontology`` and ``./queries``), so that in a checkout, or in a
folder made by ``kg init``, the commands read the files beside them.

    >>> packaged("queries").joinpath("hq-absence.rq").is_file()
    True
    >>> default("ontology").joinpath("shapes.ttl").is_file()
    True
"""
from __future__ import annotations

import importlib.util
from importlib import resources
from pathlib import Path

__all__ = ["FOLDERS", "packaged", "default", "is_packaged", "describe", "DEFAULT_DATA", "DEFAULT_ONTOLOGY",
           "QUERIES_DIR"]

#: The folders the package ships, and a file each must hold.
FOLDERS: dict[str, str] = {"data": "sources.csv", "ontology": "bbmb.ttl", "queries": "hq-absence.rq"}

_CHECKOUT = Path(__file__).resolve().parent.parent  # the repository, when kg is imported from a checkout


def packaged(name: str) -> Path:
    """The package's own copy of ``data``, ``ontology`` or ``queries`` as a folder on disk."""
    if name not in FOLDERS:
        raise ValueError(f"unknown resource folder '{name}'; choose one of {', '.join(FOLDERS)}")
    # a wheel: the files are inside the installed package, kg/_model/<name>/
    folder = resources.files("kg._model").joinpath(name)
    if folder.joinpath(FOLDERS[name]).is_file():
        return Path(str(folder))
    # an editable install: setuptools maps kg._model.<name> to the checkout's top-level folder
    spec = importlib.util.find_spec(f"kg._model.{name}")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / FOLDERS[name]).is_file():
            return Path(location)
    # imported from a checkout without installing (PYTHONPATH=.)
    return _CHECKOUT / name


def default(name: str) -> Path:
    """``./<name>`` when the working directory has that folder, else the packaged copy."""
    here = Path.cwd() / name
    return here if here.is_dir() else packaged(name)


def is_packaged(folder: str | Path) -> bool:
    """True for a folder that is the package's own copy (not one of the working directory's)."""
    resolved = Path(folder).resolve()
    return any(resolved == packaged(name).resolve() != (Path.cwd() / name).resolve() for name in FOLDERS)


def describe(folder: str | Path) -> str:
    """Which folder was read, for the line a command prints about it: the packaged copy named as such."""
    folder = Path(folder)
    resolved = folder.resolve()
    for name in FOLDERS:
        if resolved == packaged(name).resolve() and resolved != (Path.cwd() / name).resolve():
            return f"the {name} packaged with kg ({folder})"
    try:
        return "./" + str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(folder)


DEFAULT_DATA = default("data")
DEFAULT_ONTOLOGY = default("ontology")
QUERIES_DIR = default("queries")
