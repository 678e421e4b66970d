"""BODS 0.4 (Beneficial Ownership Data Standard): entity, person and relationship statements.

What kg keeps (the model has organisations, not people):

- an **entity** statement (registeredEntity, legalEntity, arrangement, state, stateBody) is an
  organisation: its name, LEI (identifier scheme ``XI-LEI``), Wikidata id (scheme ``XI-WIKIDATA`` or a
  wikidata.org address), the jurisdiction as registered seat (a registered address if given, its
  business address as headquarters), founding year, and ``closed`` if dissolved;
- an anonymous or unknown entity (entityType ``anonymousEntity``/``unknownEntity``) is not made into an
  organisation: an interest it holds is kept as held by an *unspecified* party, with the reason of its
  ``unspecifiedEntityDetails`` (else the entity type) and its description;
- a **person** statement is not kept (skipped, counted); an interest a person holds is kept with party
  ``person`` and no name, so that the child's ownership is not lost; an interest of an anonymous or
  unknown person (personType ``anonymousPerson``/``unknownPerson``) is kept as held by an *unspecified*
  party, with the reason of its ``unspecifiedPersonDetails`` (else the person type) and its description;
- each interest of a **relationship** statement is a row of parent_relations.csv (interest type, share
  exact or as a range, start and end, direct or indirect, beneficial or not); an inline interested party
  (``{"reason": ..., "description": ...}``) is kept as *unspecified* with the reason code verbatim and the
  description as note;
- the interested organisation becomes the child's current direct parent (organizations.csv) where an
  interest gives it control by the rule :func:`kg.rules.gives_control` (see :func:`controls`);
- the latest statement of a record counts (by statementDate, then file order); a record whose status is
  ``closed`` ends its relations (status inactive);
- each record is one source (``bods-<recordId>``: its latest statement's id, statement and publication
  dates), part of one source for the file.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..rules import gives_control
from ..tables import LEI, DataError, DataErrors
from .model import Address, Batch, Entity, Relation, Source, slug

NOT_AN_ORGANISATION = frozenset(("anonymousEntity", "unknownEntity"))
UNSPECIFIED_PERSONS = frozenset(("anonymousPerson", "unknownPerson"))
QID = re.compile(r"Q[1-9][0-9]*")


def controls(interest: dict[str, Any]) -> bool:
    """Whether a BODS interest makes its holder the subject's parent, by :func:`kg.rules.gives_control`:
    the least share is the exact one, else the range's minimum (exclusive for ``exclusiveMinimum``).

    >>> controls({"type": "shareholding", "share": {"exact": 75}})
    True
    >>> controls({"type": "shareholding", "share": {"minimum": 25, "maximum": 75}})
    False
    >>> controls({"type": "votingRights", "share": {"exclusiveMinimum": 50, "maximum": 75}})
    True
    >>> controls({"type": "appointmentOfBoard", "directOrIndirect": "indirect"})
    False
    """
    share = _obj(interest.get("share"))
    bound = next((k for k in ("exact", "minimum", "exclusiveMinimum") if _is_number(share.get(k))), None)
    return gives_control(str(interest.get("type", "")), interest.get("directOrIndirect") != "indirect",
                         float(share[bound]) if bound else None, exclusive=bound == "exclusiveMinimum")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _load(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DataErrors([DataError(str(path), None, None, f"cannot be read: {why}",
                                    "Give a BODS 0.4 JSON file (UTF-8).")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        try:  # JSON Lines: one statement a line
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise DataErrors([DataError(str(path), exc.lineno, None, f"is not JSON: {exc.msg} (column {exc.colno})",
                                        "Give a BODS 0.4 file: a JSON array of statements, or one a line.")]) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(s, dict) for s in data):
        raise DataErrors([DataError(str(path), None, None, "is not a list of BODS statements",
                                    "Give a JSON array of statement objects.")])
    return data


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one where the file has something else (a malformed optional field)."""
    return value if isinstance(value, dict) else {}


def _date(value: Any) -> str:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else ""


def _share(share: dict[str, Any]) -> tuple[str, str, str]:
    def num(key: str) -> str:
        v = share.get(key)
        return f"{v:g}" if _is_number(v) else ""
    return num("exact"), num("minimum") or num("exclusiveMinimum"), num("maximum") or num("exclusiveMaximum")


def _address(details: dict[str, Any], kind: str) -> Address:
    for a in details.get("addresses") or []:
        if isinstance(a, dict) and a.get("type") == kind:
            country = _obj(a.get("country"))
            return Address(city="", country=str(country.get("code", "")), country_name=str(country.get("name", "")))
    return Address()


def _latest(statements: list[dict[str, Any]], path: Path) -> dict[str, tuple[str, int, dict[str, Any]]]:
    """recordId -> (statementDate, position, statement) of its latest statement; every envelope checked."""
    errors: list[DataError] = []
    latest: dict[str, tuple[str, int, dict[str, Any]]] = {}
    for n, s in enumerate(statements, start=1):
        for key in ("statementId", "recordId", "recordType", "recordDetails"):
            if not s.get(key):
                errors.append(DataError(str(path), n, key, "is missing",
                                        f"Statement {n} needs '{key}' (BODS 0.4 record envelope)."))
            elif key != "recordDetails" and not isinstance(s[key], str):
                errors.append(DataError(str(path), n, key, "is not text", f"'{key}' is a JSON string."))
        if s.get("recordDetails") and not isinstance(s["recordDetails"], dict):
            errors.append(DataError(str(path), n, "recordDetails", "is not an object",
                                    "recordDetails holds the record's fields as a JSON object."))
        if s.get("recordType") not in (None, "entity", "person", "relationship"):
            errors.append(DataError(str(path), n, "recordType", f"'{s.get('recordType')}' is not allowed",
                                    "Allowed: entity, person, relationship."))
        if errors:
            continue
        date = str(s.get("statementDate", ""))
        if s["recordId"] not in latest or (date, n) >= latest[s["recordId"]][:2]:
            latest[s["recordId"]] = (date, n, s)
    if errors:
        raise DataErrors(errors)
    return latest


def read(path: str | Path) -> Batch:
    """Read a BODS 0.4 file into a :class:`Batch` (see the module's text for what is kept)."""
    path = Path(path)
    latest = _latest(_load(path), path)
    batch = Batch("bods")
    file_source = f"bods-{slug(path.stem)}"
    publishers = {str(_obj(_obj(s.get("publicationDetails")).get("publisher")).get("name", ""))
                  for _, _, s in latest.values()} - {""}
    published = max((_date(_obj(s.get("publicationDetails")).get("publicationDate")) for _, _, s in latest.values()),
                    default="")
    batch.sources.append(Source(file_source, f"BODS 0.4 statements, {path.name}"
                                + (f" ({', '.join(sorted(publishers))})" if publishers else ""),
                                note=f"published {published}" if published else ""))
    kinds: dict[str, str] = {}  # recordId -> entity | person | unspecified
    reasons: dict[str, str] = {}  # recordId of an unspecified party -> its reason code
    notes: dict[str, str] = {}  # ... and its description
    for _, n, s in sorted(latest.values(), key=lambda t: t[1]):
        details, record = s["recordDetails"], s["recordId"]
        source = _source(s, file_source)
        if s["recordType"] == "person":
            person_type = str(details.get("personType") or "knownPerson")
            batch.skipped[f"person statement(s) ({person_type}): kg keeps no persons"] += 1
            if person_type in UNSPECIFIED_PERSONS:  # BODS: a person who cannot be named, with the reason why
                kinds[record], reasons[record], notes[record] = "unspecified", *_unspecified(details, person_type)
            else:
                kinds[record] = "person"
            continue
        if s["recordType"] != "entity":
            continue
        entity_type = _obj(details.get("entityType")).get("type", "")
        if entity_type in NOT_AN_ORGANISATION:
            kinds[record], reasons[record], notes[record] = "unspecified", *_unspecified(details, entity_type)
            batch.skipped[f"{entity_type} statement(s): kept as unspecified parties, not as organisations"] += 1
            continue
        kinds[record] = "entity"
        batch.sources.append(source)
        batch.entities.append(_entity(s, f"{path}, statement {n}", source.id, batch))
    for _, _n, s in sorted(latest.values(), key=lambda t: t[1]):
        if s["recordType"] == "relationship":
            _relationship(s, file_source, kinds, (reasons, notes), batch)
    return batch


def _entity(s: dict[str, Any], where: str, source: str, batch: Batch) -> Entity:
    """An entity statement as an organisation; identifiers that are not well-formed are left out, with a note."""
    details, record = s["recordDetails"], s["recordId"]
    ids = [i for i in details.get("identifiers") or [] if isinstance(i, dict)]
    lei = next((str(i.get("id", "")) for i in ids if i.get("scheme") == "XI-LEI"), "")
    wikidata = next((str(i.get("id", "")).rsplit("/", 1)[-1] for i in ids
                     if i.get("scheme") == "XI-WIKIDATA" or "wikidata.org" in str(i.get("uri", ""))), "")
    for what, value, form in (("LEI", lei, LEI), ("Wikidata id", wikidata, QID)):
        if value and not form.fullmatch(value):
            batch.notes.append(f"{where}: '{value}' is not a valid {what}; left out")
    jurisdiction = _obj(details.get("jurisdiction"))
    seat = _address(details, "registered") or Address(country=str(jurisdiction.get("code", "")),
                                                      country_name=str(jurisdiction.get("name", "")))
    return Entity(record, source, str(details.get("name") or record), where,
                  legal_name=str(details.get("name") or ""), lei=lei if LEI.fullmatch(lei) else "",
                  wikidata=wikidata if QID.fullmatch(wikidata) else "",
                  headquarters=_address(details, "business"), registered_seat=seat,
                  founded=_date(details.get("foundingDate"))[:4],
                  status="closed" if details.get("dissolutionDate") or s.get("recordStatus") == "closed" else "")


def _source(s: dict[str, Any], part_of: str) -> Source:
    publication, src = _obj(s.get("publicationDetails")), _obj(s.get("source"))
    publisher = _obj(publication.get("publisher"))
    dates = "; ".join(f"{k} {v}" for k, v in (("statementDate", _date(s.get("statementDate"))),
                                               ("publicationDate", _date(publication.get("publicationDate"))),
                                               ("retrievedAt", _date(src.get("retrievedAt")))) if v)
    url = str(src.get("url") or publisher.get("url", "") or publisher.get("uri", ""))
    # one source a record (its latest statement), so that a later statement of it finds what the first made
    return Source(f"bods-{slug(s['recordId'])}", f"BODS {s['recordType']} record {s['recordId']} "
                  f"(statement {s['statementId']})", section=str(s["recordId"]),
                  url=url if url.startswith(("http://", "https://")) and " " not in url else "",
                  part_of=part_of, note=dates)


def _unspecified(details: dict[str, Any], kind: str) -> tuple[str, str]:
    """The reason code (verbatim) and description of an anonymous or unknown person or entity."""
    spec = _obj(details.get("unspecifiedPersonDetails")) or _obj(details.get("unspecifiedEntityDetails"))
    return str(spec.get("reason") or kind), str(spec.get("description") or "")


def _relationship(s: dict[str, Any], part_of: str, kinds: dict[str, str],
                  unspecified: tuple[dict[str, str], dict[str, str]], batch: Batch) -> None:
    details, record = s["recordDetails"], s["recordId"]
    subject = details.get("subject")
    if not isinstance(subject, str) or kinds.get(subject) != "entity":
        batch.skipped["relationship statement(s) whose subject is not an entity of the file"] += 1
        return
    source = _source(s, part_of)
    batch.sources.append(source)
    found = _party(details.get("interestedParty"), subject, kinds, unspecified, batch)
    if found is None:
        batch.skipped["relationship statement(s) whose interested party is not in the file"] += 1
        return
    closed = s.get("recordStatus") == "closed"
    interests = [i for i in details.get("interests") or [] if isinstance(i, dict)] or [{"type": "unknownInterest"}]
    for k, interest in enumerate(interests, start=1):
        batch.relations.append(_interest(interest, slug(f"bods-{record}-{k}"), subject, source.id, found, closed))


def _party(party: object, subject: str, kinds: dict[str, str], unspecified: tuple[dict[str, str], dict[str, str]],
           batch: Batch) -> tuple[str, str, str, str] | None:
    """(party kind, parent, reason, note) of a relationship's interested party; None: not in the file."""
    if isinstance(party, dict):
        reason = str(party.get("reason", ""))
        batch.notes.append(f"{subject}: the interested party is unspecified ({reason or 'no reason given'}), "
                           "kept as such in parent_relations.csv")
        return "unspecified", "", reason, str(party.get("description", ""))
    if isinstance(party, str) and kinds.get(party) in ("entity", "person", "unspecified"):
        kind = {"entity": "organization", "person": "person", "unspecified": "unspecified"}[kinds[party]]
        reason, note = (u.get(party, "") for u in unspecified)
        return kind, (party if kind == "organization" else ""), reason, note
    return None


def _interest(interest: dict[str, Any], key: str, subject: str, source: str, party: tuple[str, str, str, str],
              closed: bool) -> Relation:
    """One interest of a relationship statement, as a row of parent_relations.csv."""
    kind, parent, reason, note = party
    share = _obj(interest.get("share"))
    exact, low, high = _share(share)
    exclusive = "exclusiveMinimum" in share or "exclusiveMaximum" in share
    remark = "; ".join(filter(None, (note, "the share's bounds are exclusive (BODS exclusiveMinimum/Maximum)"
                                     if exclusive else "")))
    end = _date(interest.get("endDate"))
    beneficial = interest.get("beneficialOwnershipOrControl")
    return Relation(
        key, subject, source, str(interest.get("type") or "unknownInterest"),
        party=kind, parent=parent,
        relation={"direct": "direct", "indirect": "indirect"}.get(str(interest.get("directOrIndirect")), "unknown"),
        share=exact, share_min=low, share_max=high,
        beneficial="" if beneficial is None else "yes" if beneficial else "no",
        start=_date(interest.get("startDate")), end=end, status="inactive" if end or closed else "active",
        reason=reason, note=remark,
        makes_parent=bool(parent) and not end and not closed and controls(interest))
