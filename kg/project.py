"""The project file, ``kg.toml``: what every command needs to know about a region's data folder.

A data folder holds its tables and, beside them, ``kg.toml`` (``kg init`` writes one): the region every
``region`` parameter and every view defaults to, the study or report the data comes from (the credit line
of every page, picture and graph file, and the sources the ``primary`` reading puts first), the base of the
data IRIs, the languages of the labels and the output folder.  With it, ``--data DIR`` alone is enough for
every command to find its build, its outputs and its region.  Every key is optional; a folder without the
file reads as one with an empty file.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "kg.toml").write_text('region = "example-land"\\n[study]\\ntitle = "A study"\\n'
    ...                                     'publisher = "An institute"\\ndate = "2025-07"\\n')
    >>> project = find(folder)
    >>> project.region, project.study.credit(), project.output == folder / "out"
    ('example-land', 'A study (An institute, 2025-07)', True)
"""
from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

#: The project file's name, looked for in the data folder, then in the working directory.
FILE = "kg.toml"

#: Every key the file may have, with what it says (``kg init`` writes them with these comments).
KEYS: dict[str, str] = {
    "region": "a place id of places.csv: the default of every region parameter and of the views",
    "industry": "the industry's WZ 2008 / NACE Rev. 2 codes (e.g. [\"28\"]), for kg import wikidata",
    "base": "the base of the data IRIs (default: $KG_BASE or https://w3id.org/bbmb/id/)",
    "languages": "the languages of the labels and the pages' interface, first the one pages open in "
                 "(e.g. [\"en\", \"de\"])",
    "output": "the output folder, relative to this file (default: out)",
    "reading": "the default reading of contested facts: primary or latest",
    "inset": "a place id of places.csv the hq map draws enlarged beside it, its sites named "
             "(default: the municipality whose sites crowd the map most; none where none does)",
    "study": "the study or report the data comes from: title, publisher, date, source (ids of sources.csv)",
}
STUDY_KEYS: dict[str, str] = {
    "title": "its title, as the credit line names it",
    "publisher": "who published it",
    "date": "when (a year, or year-month)",
    "source": "the id (or a list of ids) of its row in sources.csv: it and its parts are the primary sources",
}


@dataclass(frozen=True)
class Study:
    """The study or report a region's data comes from."""

    title: str = ""
    publisher: str = ""
    date: str = ""
    sources: tuple[str, ...] = ()

    def credit(self) -> str:
        """``title (publisher, date)``, with what is given.

        >>> Study("Machine building in X", date="2025").credit()
        'Machine building in X (2025)'
        """
        said = ", ".join(part for part in (self.publisher, self.date) if part)
        return self.title + (f" ({said})" if said and self.title else said)


@dataclass(frozen=True)
class Project:
    """What ``kg.toml`` says (its defaults where it is silent)."""

    path: Path | None = None
    region: str | None = None
    industry: tuple[str, ...] = ()
    base: str | None = None
    languages: tuple[str, ...] = ("en", "de")
    output: Path | None = None
    reading: str | None = None
    inset: str | None = None
    study: Study = field(default_factory=Study)

    def describe(self) -> str:
        """What a command says about the project file it read.

        >>> Project().describe(), Project(Path("r/kg.toml"), region="r").describe()
        ('no kg.toml', 'kg.toml: region r')
        """
        if self.path is None:
            return f"no {FILE}"
        said = [f"region {self.region}" if self.region else "",
                f"study {self.study.credit()}" if self.study.title else ""]
        return f"{self.path.name}: " + ("; ".join(s for s in said if s) or "no region, no study")


def _problem(path: Path, key: str, message: str) -> InputError:
    return InputError(f"{path}: {key}: {message}; see the comments kg init writes into {FILE}")


def _unknown(path: Path, keys: dict[str, Any], known: dict[str, str], where: str) -> None:
    for key in keys:
        if key not in known:
            near = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean '{near[0]}'?" if near else f"the keys are {', '.join(known)}"
            raise _problem(path, f"{where}{key}", f"unknown key; {hint}")


def _text(path: Path, raw: dict[str, Any], key: str, where: str = "") -> str:
    value = raw.get(key, "")
    if isinstance(value, int) and not isinstance(value, bool) and key == "date":
        value = str(value)  # date = 2025
    if not isinstance(value, str):
        raise _problem(path, where + key, f"write it as text in quotes, not {type(value).__name__}")
    return value.strip()


def _texts(path: Path, raw: dict[str, Any], key: str, where: str = "") -> tuple[str, ...]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _problem(path, where + key, "write a text in quotes or a list of them, e.g. [\"28\"]")
    return tuple(v.strip() for v in value if v.strip())


def read(path: str | Path) -> Project:
    """Read one project file; a bad file is an :class:`~kg.errors.InputError` naming the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not a valid TOML file: {exc}; fix it, or rewrite it with kg init") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc}); check the file") from None
    _unknown(path, raw, KEYS, "")
    study = raw.get("study", {})
    if not isinstance(study, dict):
        raise _problem(path, "study", "write it as a table: [study], then title = \"...\" on the lines below")
    _unknown(path, study, STUDY_KEYS, "study.")
    output = _text(path, raw, "output")
    return Project(
        path=path, region=_text(path, raw, "region") or None, industry=_texts(path, raw, "industry"),
        base=_text(path, raw, "base") or None, languages=_texts(path, raw, "languages") or ("en", "de"),
        output=Path(os.path.normpath(path.parent / (output or "out"))), reading=_text(path, raw, "reading") or None,
        inset=_text(path, raw, "inset") or None,
        study=Study(_text(path, study, "title", "study."), _text(path, study, "publisher", "study."),
                    _text(path, study, "date", "study."), _texts(path, study, "source", "study.")))


def find(data: str | Path) -> Project:
    """The project of a data folder: its ``kg.toml``, else one in the working directory, else the defaults.
    The copy of the data packaged with kg writes into ``./out``, never into the installed package."""
    from dataclasses import replace

    from .resources import is_packaged

    for folder in (Path(data), Path.cwd()):
        if (folder / FILE).is_file():
            project = read(folder / FILE)
            return replace(project, output=None) if is_packaged(folder) else project
    return Project()


def template(region: str, study_source: str = "") -> str:
    """The ``kg.toml`` that ``kg init`` writes: every key, with what it says.

    >>> text = template("example-land")
    >>> tomllib.loads(text)["region"]
    'example-land'
    """
    lines = [f"# {FILE}: the project file of this data folder; every kg command given --data this folder reads it.",
             "# Every key is optional.", ""]
    values = {"region": f'"{region}"', "industry": "[]", "languages": '["en", "de"]', "output": '"out"',
              "reading": '"primary"'}
    for key, comment in KEYS.items():
        if key in values:
            lines += [f"# {comment}", f"{key} = {values[key]}"]
        elif key == "base":
            lines += [f"# {comment}", '# base = "https://example.org/my-region/id/"']
        elif key == "inset":
            lines += [f"# {comment}", f'# inset = "{region}-city"']
    lines += ["", f"# {KEYS['study']}", "[study]"]
    study = {"title": '""', "publisher": '""', "date": '""', "source": f'"{study_source}"' if study_source else '[]'}
    for key, comment in STUDY_KEYS.items():
        lines += [f"# {comment}", f"{key} = {study[key]}"]
    return "\n".join(lines) + "\n"
