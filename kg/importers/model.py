"""What a register gives kg: sources, entities and parent relations, before they are matched to the tables.

Each register module (:mod:`kg.importers.bods`, :mod:`kg.importers.gleif`, :mod:`kg.importers.wikidata`) reads
its files (or its answer) into one :class:`Batch`; :func:`kg.importers.merge.merge` matches it to a data folder
and writes the rows.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Address:
    """A place as a register writes it: a city, an ISO 3166-2 region code, an ISO 3166-1 country code; or, as
    Wikidata gives it, an item (``wikidata``, with ``city`` its label), its coordinates and the item of a
    place it lies within (``within``)."""

    city: str = ""
    region: str = ""
    country: str = ""
    country_name: str = ""
    wikidata: str = ""
    lat: str = ""
    long: str = ""
    within: str = ""

    def __bool__(self) -> bool:
        return bool(self.city or self.country or self.wikidata)


@dataclass(frozen=True)
class Source:
    """One row of sources.csv: a register record (or the register itself, ``part_of`` empty)."""

    id: str
    title: str
    section: str = ""  # the record's identifier (LEI, statementId)
    url: str = ""
    part_of: str = ""
    note: str = ""  # its dates: publication, last update


@dataclass
class Entity:
    """An organisation a register describes; ``key`` is the register's id of it (an LEI, a BODS recordId)."""

    key: str
    source: str
    name: str
    where: str  # file and record, for messages
    legal_name: str = ""
    lei: str = ""
    wikidata: str = ""
    headquarters: Address = field(default_factory=Address)
    registered_seat: Address = field(default_factory=Address)
    founded: str = ""
    status: str = ""  # active | closed


@dataclass
class Relation:
    """One interest of a party in a child entity: a row of parent_relations.csv."""

    id: str
    child: str  # Entity.key
    source: str
    interest: str
    party: str = "organization"  # organization | person | unspecified
    parent: str = ""  # Entity.key of an organisation party
    relation: str = "direct"  # direct | indirect | ultimate | unknown
    share: str = ""
    share_min: str = ""
    share_max: str = ""
    beneficial: str = ""
    start: str = ""
    end: str = ""
    status: str = "active"
    certainty: str = ""
    reason: str = ""
    note: str = ""
    #: Whether the relation makes ``parent`` the child's current direct parent (organizations.csv's parent).
    makes_parent: bool = False


@dataclass(frozen=True)
class Headcount:
    """A head-count a register gives of an entity: a row of headcounts.csv."""

    entity: str  # Entity.key
    value: str
    year: str
    source: str
    note: str = ""


@dataclass(frozen=True)
class Classification:
    """The industry a register gives of an entity, as a WZ 2008 / NACE Rev. 2 code: a row of classifications.csv."""

    entity: str  # Entity.key
    code: str
    source: str


@dataclass
class Batch:
    """Everything one import read from a register's files."""

    register: str
    sources: list[Source] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    headcounts: list[Headcount] = field(default_factory=list)
    classifications: list[Classification] = field(default_factory=list)
    #: What was read but has no place in the model, by what it was ("person statements", ...).
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def slug(text: str) -> str:
    """An id of the tables (lower-case letters, digits, single hyphens) made from any text.

    >>> slug("Acme Holdings Ltd.")
    'acme-holdings-ltd'
    >>> slug("Größer & Söhne")
    'groesser-soehne'
    """
    text = text.casefold().translate(_GERMAN)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})

#: Legal forms left out when names are compared (a register's "Acme GmbH" is the tables' "Acme").
LEGAL_FORMS = frozenset((
    "gmbh", "mbh", "ag", "kg", "kgaa", "se", "ohg", "ug", "eg", "ev", "co", "und", "cie", "haftungsbeschraenkt",
    "ltd", "limited", "plc", "llc", "inc", "corp", "corporation", "company", "sa", "sas", "sarl", "srl", "spa",
    "bv", "nv", "ab", "as", "oy", "holding", "holdings", "group", "the"))


def normal_name(name: str) -> str:
    """A name as compared for matching: case, accents, punctuation and legal forms left out.

    >>> normal_name("BORSIG GmbH") == normal_name("Borsig")
    True
    >>> normal_name("Otis Worldwide Corporation")
    'otis worldwide'
    """
    words = slug(name).split("-")
    kept = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(kept or words)
