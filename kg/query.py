"""SPARQL over the graph: the saved questions of ``queries/``, ad-hoc queries, parameters bound safely.

A saved query is a self-contained SPARQL 1.1 file (its PREFIX declarations included, so that it
runs unchanged on any SPARQL server) with a header comment::

    # title: HQ absence: regional sites run from a headquarters outside the region
    # answers: Every site in the region whose company ...
    # param: region (place, default berlin-brandenburg): the region whose sites are listed
    # columns: region; site, siteLabel, ...

Parameters are values for variables of the query, never text pasted into it: on the embedded
store as on a remote server a ``VALUES`` block is put at the top of the query's WHERE clause, each
value written as a checked RDF term (and at the top of the sub-select a page is taken in, see
``# paged-by: sub-select``).  A parameter's variable must be projected by the query (the ``SELECT``
clause names it) and used where a value joined at the top of the WHERE clause reaches it.

    >>> from kg.build import build
    >>> from kg.query import run
    >>> result = run("hq-absence", build().store, {"region": "brandenburg"})   # doctest: +SKIP
    >>> result.dataframe()                                                    # doctest: +SKIP

:func:`select` runs query text with terms already bound (the one SELECT helper of kg).
"""
from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from pyoxigraph import (
    Literal,
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    Store,
    Variable,
    parse_query_results,
)

from .errors import InputError
from .namespaces import BBMB, PERIOD_DATATYPES, PREFIXES, SDMX_DIMENSION, XSD, IRIs
from .resources import QUERIES_DIR  # ./queries, else the saved queries packaged with kg
from .results import About, Result, from_solutions, to_python
from .rules import period_bounds
from .tables import CODE, SLUG

__all__ = ["SavedQuery", "Param", "QueryError", "library", "load_query", "resolve", "run", "bind",
           "inject_values", "with_dataset", "select", "select_terms", "select_values", "resource_rows", "tsv_value",
           "nquads_term", "to_python", "QUERIES_DIR"]


class QueryError(InputError):
    """A query that cannot be run as asked: names what, where, and what to do."""


# ---------------------------------------------------------------------------- parameters

#: Parameter kinds: ids that name things of the graph (minted under the build's base) and literals.
ENTITY_KINDS: dict[str, Callable[[IRIs, str], NamedNode]] = {
    "place": IRIs.place, "org": IRIs.org, "site": IRIs.site, "subsector": IRIs.subsector,
    "dataset": IRIs.dataset, "cluster": IRIs.cluster, "source": IRIs.source,
}
LITERAL_KINDS = ("text", "integer", "decimal", "year", "date")
#: Bounds on a parameter's value (a huge number must not cost minutes of CPU when it is converted).
MAX_VALUE_CHARS, MAX_DIGITS = 1000, 100
KINDS = tuple(ENTITY_KINDS) + LITERAL_KINDS
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Param:
    """A declared parameter: variable name, kind (see :data:`KINDS`), default (or None), description."""

    name: str
    kind: str
    default: str | None = None
    description: str = ""

    def term(self, value: str, iris: IRIs) -> NamedNode | Literal:
        """The RDF term for a value given as text; raises :class:`QueryError` naming the parameter."""
        what = f"parameter '{self.name}' ({self.kind})"
        if not isinstance(value, str):
            value = str(value)
        if len(value) > MAX_VALUE_CHARS:
            raise QueryError(f"{what}: the value has {len(value):,} characters, more than the {MAX_VALUE_CHARS:,} "
                             f"a parameter may have")
        if self.kind in ENTITY_KINDS:
            pattern = CODE if self.kind == "subsector" else SLUG
            example = "28.22" if self.kind == "subsector" else "berlin-brandenburg" if self.kind == "place" \
                else "asml-berlin"
            if not pattern.fullmatch(value):  # not match: '$' would let a final line break through
                raise QueryError(f"{what}: '{value}' is not a valid {self.kind} id; write an id from the data tables, "
                                 f"e.g. {example}")
            return ENTITY_KINDS[self.kind](iris, value)
        if self.kind in ("integer", "decimal") and len(re.sub(r"\D", "", value)) > MAX_DIGITS:
            raise QueryError(f"{what}: '{value[:20]}...' has more than {MAX_DIGITS} digits; "
                             f"no figure here needs that many")
        if self.kind == "integer":
            if not re.fullmatch(r"[+-]?\d+", value.strip()):
                raise QueryError(f"{what}: '{value}' is not a whole number, e.g. 2024")
            return Literal(str(int(value)), datatype=XSD.integer)
        if self.kind == "decimal":
            try:
                number = Decimal(value.strip())
            except InvalidOperation:
                raise QueryError(f"{what}: '{value}' is not a number; use a dot as decimal separator") from None
            if not number.is_finite():
                raise QueryError(f"{what}: '{value}' is not a finite number")
            if abs(number.adjusted()) > MAX_DIGITS:  # 1e1000000 would expand to a million digits
                raise QueryError(f"{what}: '{value}' is too large or too small; write it with at most "
                                 f"{MAX_DIGITS} digits")
            return Literal(format(number, "f"), datatype=XSD.decimal)
        if self.kind == "year":
            if not re.fullmatch(r"\d{4}", value.strip()):
                raise QueryError(f"{what}: '{value}' is not a year; write four digits, e.g. 2024")
            return Literal(value.strip(), datatype=XSD.gYear)
        if self.kind == "date":
            return _date_term(value.strip(), what)
        return Literal(value)


def _date_term(value: str, what: str) -> Literal:
    """A ``date`` parameter: a year, a month or a day, typed as the tables' periods are (:data:`PERIOD_DATATYPES`).

    >>> _date_term("2019-06", "parameter 'from' (date)").datatype.value
    'http://www.w3.org/2001/XMLSchema#gYearMonth'
    >>> _date_term("2019-02-30", "parameter 'from' (date)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    kg.query.QueryError: parameter 'from' (date): '2019-02-30' is not a date (day is out of range for month); ...
    """
    day = re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value)
    try:
        if day:
            period_bounds(value)
    except ValueError as exc:  # a month 13, a 30 February
        day, reason = None, f" ({exc})"
    else:
        reason = ""
    if not day:
        raise QueryError(f"{what}: '{value}' is not a date{reason}; write a year (2019), a month (2019-06) or a "
                         "day (2019-06-30)")
    return Literal(value, datatype=PERIOD_DATATYPES[len(value)])


_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*\((?P<kind>[a-z]+)(?:\s*,\s*default\s+(?P<default>\"[^\"]*\"|\S+?))?\)"
                    r"\s*:?\s*(?P<description>.*)$", re.S)


# ---------------------------------------------------------------------------- saved queries

@dataclass(frozen=True)
class SavedQuery:
    """A query with its header: name, title, what it answers, parameters and columns.

    ``source`` is the query as written (with its default ``VALUES`` lines, so that any SPARQL
    client that is sent the file gets the documented answer); ``text`` is what kg runs: the same
    without those lines, the parameters then bound by the engine or injected as checked terms.
    """

    name: str
    text: str
    path: Path | None = None
    title: str = ""
    answers: str = ""
    params: tuple[Param, ...] = ()
    columns: str = ""
    source: str = ""
    #: ``# paged-by: rank total block listing``: the variables of a listing's rank, its number of rows, and the block
    #: of ranks a row is read from and the listing it is of (:func:`ranked_page`); or ``rank total`` alone
    paged_by: tuple[str, ...] | None = None
    #: ``# paged-by: sub-select``: a page is taken in the query's first sub-select (:func:`subselect_page`)
    paged_in_subselect: bool = False

    @property
    def where(self) -> str:
        return str(self.path) if self.path else f"query '{self.name}'"

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def parse_header(text: str) -> dict[str, str]:
    """The ``# key: value`` fields of the leading comment block; indented ``#`` lines continue a field."""
    fields: dict[str, list[str]] = {}
    key = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        body = stripped[1:]
        match = re.match(r"^ ?([a-z][a-z-]*):\s*(.*)$", body)
        if match and not body.startswith("  "):
            key = match.group(1)
            fields.setdefault(key, []).append(match.group(2).strip())
        elif key and body.strip():
            fields[key][-1] += " " + body.strip()
        else:
            key = None
    return {k: "\n".join(v) for k, v in fields.items()}


def _params(raw: str, where: str) -> tuple[Param, ...]:
    params = []
    for line in filter(None, raw.splitlines()):
        m = _PARAM.match(line.strip())
        if not m:
            raise QueryError(f"{where}: header line 'param: {line}' is malformed; write "
                             f"'# param: name (kind, default value): description' with kind one of {', '.join(KINDS)}")
        if m["kind"] not in KINDS:
            raise QueryError(f"{where}: parameter '{m['name']}' has unknown kind '{m['kind']}'; "
                             f"use one of {', '.join(KINDS)}")
        default = m["default"]
        if default and default.startswith('"'):
            default = default[1:-1]
        params.append(Param(m["name"], m["kind"], default, " ".join(m["description"].split())))
    return tuple(params)


#: A parameter's default written into the query text, on a line of its own, as the first line of the
#: WHERE clause:  ``VALUES ?region { <https://w3id.org/bbmb/id/place/berlin-brandenburg> }  # default ...``
_DEFAULT_LINE = re.compile(r'^[ \t]*VALUES[ \t]+\?(?P<name>[A-Za-z_]\w*)[ \t]*\{[ \t]*'
                           r'(?P<term><[^<>"{}|^`\\\s]*>|"[^"\\\n]*"(?:\^\^<[^<>"{}|^`\\\s]*>)?)[ \t]*\}[ \t]*#[ \t]*'
                           r'default\b[^\n]*\n?', re.M)


def default_line(param: Param, iris: IRIs | None = None) -> str:
    """The ``VALUES`` line that writes a parameter's default into a saved query's text.

    >>> p = Param("region", "place", "berlin-brandenburg")
    >>> print(default_line(p))  # doctest: +NORMALIZE_WHITESPACE
    VALUES ?region { <https://w3id.org/bbmb/id/place/berlin-brandenburg> }
      # default; kg query --param region=ID replaces it
    """
    if param.default is None:
        raise ValueError(f"parameter '{param.name}' has no default")
    term = term_text(param.term(param.default, iris or IRIs()))
    return f"VALUES ?{param.name} {{ {term} }}  # default; kg query --param {param.name}=ID replaces it"


def strip_defaults(text: str, params: Sequence[Param], where: str = "the query text") -> str:
    """The query text without the default ``VALUES`` lines of its declared parameters.

    kg binds every parameter itself (the default, or the value given, under the build's base), so
    the line that lets other clients run the file as it is must go; a default line for a variable
    that is not a parameter with a default is an error, so that nothing is dropped unnoticed.
    """
    declared = {p.name for p in params if p.default is not None}

    def drop(m: re.Match[str]) -> str:
        if m["name"] not in declared:
            raise QueryError(f"{where}: the line 'VALUES ?{m['name']} ... # default' names no parameter with a "
                             f"default; declare it ('# param: {m['name']} (kind, default value): ...') or remove "
                             "the '# default' comment")
        return ""
    return _DEFAULT_LINE.sub(drop, text)


def load_query(path: str | Path | None, name: str | None = None, text: str | None = None) -> SavedQuery:
    """Read a ``.rq`` file (or ``text``, with ``path`` None) and its header."""
    file = Path(path) if path else None
    if text is None:
        assert file is not None, "load_query needs a path or the text"
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise QueryError(f"{file}: cannot be read ({exc.strerror}); check the file name") from None
    where = str(file) if file else "the query text"
    header = parse_header(text)
    params = _params(header.pop("param", ""), where)
    paging = header.pop("paged-by", None)
    stripped = strip_defaults(text, params, where)
    in_subselect = paging is not None and paging.strip() == SUB_SELECT
    if in_subselect and not _subselects(stripped):
        raise QueryError(f"{where}: header line 'paged-by: {SUB_SELECT}' needs a sub-select "
                         "({ SELECT ... WHERE { ... } ORDER BY ... }) to take the page in")
    return SavedQuery(name=name or (file.stem if file else "inline"), text=stripped,
                      path=file, title=header.pop("title", ""), answers=header.pop("answers", ""), params=params,
                      columns=header.pop("columns", ""), source=text,
                      paged_by=None if in_subselect else _paged_by(paging, where, stripped),
                      paged_in_subselect=in_subselect)


#: ``# paged-by: sub-select``: the query's rows are those of its first sub-select, each joined to its columns
SUB_SELECT = "sub-select"


def _paged_by(field: str | None, where: str, text: str) -> tuple[str, ...] | None:
    """The ``# paged-by: rank total block listing`` header: the variable that numbers the rows 1, 2, ... in the
    query's order, the one that holds their number, and, for a listing the build ordered in blocks of ranks
    (:mod:`kg.derive.listings`), the one of the block a row is read from and the one of the listing (the last two
    may be left out together)."""
    if field is None:
        return None
    names = field.split()
    if len(names) not in (2, 4) or not all(_VARIABLE.match(n) for n in names):
        raise QueryError(f"{where}: header line 'paged-by: {field}' is malformed; write '# paged-by: rank total' "
                         "with the variables of the rows' rank and of their number (and, read by blocks of ranks, "
                         f"those of the block and of the listing), or '# paged-by: {SUB_SELECT}'")
    if len(names) == 4 and listing_patterns(text, names[3], names[1]) is None:
        raise QueryError(f"{where}: header line 'paged-by: {field}' names the listing ?{names[3]}, but no triple "
                         f"pattern of the WHERE clause (outside OPTIONAL and other groups) has ?{names[3]} as its "
                         f"subject and binds ?{names[1]}; write e.g. '?{names[3]} bbmb:savedQuery \"NAME\" ; "
                         f"bbmb:rows ?{names[1]} .'")
    return tuple(names)


def library(folder: str | Path = QUERIES_DIR) -> dict[str, SavedQuery]:
    """The saved queries of a folder, by name (the file name without ``.rq``), sorted by name."""
    return {p.stem: load_query(p) for p in sorted(queries_folder(folder).glob("*.rq"))}


def queries_folder(folder: str | Path) -> Path:
    """``folder`` if it is a folder; else a :class:`QueryError` saying so."""
    folder = Path(folder)
    if not folder.is_dir():
        raise QueryError(f"{folder}: {'no such folder' if not folder.exists() else 'is not a folder'}; "
                         "--queries names a folder of saved queries (.rq files)")
    return folder


def resolve(spec: str, folder: str | Path = QUERIES_DIR) -> SavedQuery:
    """A saved query by name, a ``.rq`` file by path, or query text given inline.

    An unknown name raises :class:`QueryError` listing the names there are.
    """
    if re.search(r"[{}]", spec) or re.match(r"\s*(PREFIX|BASE|SELECT|ASK|CONSTRUCT|DESCRIBE)\b", spec, re.I):
        return load_query(None, "inline", spec)
    if spec.endswith(".rq") or "/" in spec:
        if not Path(spec).is_file():
            raise QueryError(f"{spec}: no such query file")
        return load_query(spec)
    saved = library(folder)
    if spec in saved:
        return saved[spec]
    import difflib

    close = difflib.get_close_matches(spec, saved, n=1)
    hint = f"Did you mean '{close[0]}'? " if close else ""
    raise QueryError(f"no saved query named '{spec}' in {folder}. {hint}Available: {', '.join(saved)} "
                     f"(or give a .rq file or the query text)")


def bind(query: SavedQuery, values: Mapping[str, Any] | None = None,
         iris: IRIs | None = None) -> dict[str, NamedNode | Literal]:
    """The terms for a query's parameters: given values checked by kind, defaults for the rest.

    Raises :class:`QueryError` for an undeclared parameter, a missing one without default, or a
    malformed value, naming the parameter.
    """
    iris = iris or IRIs()
    values = dict(values or {})
    unknown = [k for k in values if query.param(k) is None]
    if unknown:
        declared = ", ".join(f"{p.name} ({p.kind})" for p in query.params) or "none"
        raise QueryError(f"{query.where}: unknown parameter '{unknown[0]}'; the query declares: {declared}")
    out: dict[str, NamedNode | Literal] = {}
    for p in query.params:
        value = values.get(p.name, p.default)
        if value is None or value == "":
            raise QueryError(f"{query.where}: parameter '{p.name}' ({p.kind}) is missing; "
                             f"give it with --param {p.name}=VALUE ({p.description})")
        out[p.name] = value if isinstance(value, (NamedNode, Literal)) else p.term(value, iris)
    return out


def parse_assignments(items: list[str] | None) -> dict[str, str]:
    """``["name=value", ...]`` (the command line's ``--param``) as a dict; a malformed item names itself."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not _VARIABLE.match(name.strip()):
            raise QueryError(f"--param '{item}' is malformed; write --param name=value, e.g. --param region=berlin")
        out[name.strip()] = value
    return out


# ---------------------------------------------------------------------------- VALUES injection

_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_FORBIDDEN_IN_IRI = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def term_text(term: NamedNode | Literal) -> str:
    """A checked term in SPARQL syntax: an IRI with no character that could end it, a literal escaped."""
    if isinstance(term, NamedNode):
        if _FORBIDDEN_IN_IRI.search(term.value):
            raise QueryError(f"the IRI {term.value!r} contains a character not allowed in an IRI")
        return f"<{term.value}>"
    if isinstance(term, Literal):
        return str(term)  # N-Triples syntax: quotes, backslashes and line breaks escaped
    raise QueryError(f"cannot bind {term!r}: only IRIs and literals can be parameter values")


@dataclass(frozen=True)
class _Shape:
    """Where the parts of a query's text are: its WHERE keyword and brace, and FROM clauses."""

    where_keyword: int | None
    where_brace: int
    has_from: bool


_VAR_TOKEN = re.compile(r"[?$]\w*")
_WORD_TOKEN = re.compile(r"[A-Za-z_][\w-]*(:[\w.-]*)?")


def _skipped(text: str, i: int) -> int | None:
    """The end of the comment, string, IRI or variable that starts at ``i``; None where none does."""
    c = text[i]
    if c == "#":
        j = text.find("\n", i)
        return len(text) if j < 0 else j + 1
    if c in "\"'":
        quote = c * 3 if text.startswith(c * 3, i) else c
        j = i + len(quote)
        while j < len(text) and not text.startswith(quote, j):
            j += 2 if text[j] == "\\" else 1
        return j + len(quote)
    m = _IRIREF.match(text, i) if c == "<" else _VAR_TOKEN.match(text, i) if c in "?$" else None
    return m.end() if m else None


def _scan(text: str) -> Iterator[tuple[int, str, int, int]]:
    """The words and brackets of a query's text, as (index, token, depth, paren) at the token's start:
    strings, IRIs, comments and variables skipped (a word inside them is no keyword); words upper-cased."""
    depth = paren = 0
    i, n = 0, len(text)
    while i < n:
        skip = _skipped(text, i)
        if skip is not None:
            i = skip
            continue
        c = text[i]
        m = _WORD_TOKEN.match(text, i) if c.isalpha() or c == "_" else None
        if m:  # a word; one that starts with a non-ASCII letter is skipped like any other character
            yield i, m.group(0).upper(), depth, paren
            i = m.end()
            continue
        if c in "({":
            yield i, c, depth, paren
        paren += {"(": 1, ")": -1}.get(c, 0)
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == "}":
            yield i, c, depth, paren
        i += 1


def _shape(text: str) -> _Shape:
    """Find the outermost WHERE clause, skipping strings, IRIs, comments and nested groups."""
    form = None
    where_at: int | None = None
    has_from = False
    top_groups = 0
    for i, token, depth, paren in _scan(text):
        if depth or paren:
            continue
        if token == "{":
            top_groups += 1
            if where_at is not None or form in ("SELECT", "ASK") or (form == "CONSTRUCT" and top_groups == 2):
                return _Shape(where_at, i, has_from)
        elif form is None and token in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            form = token
        elif token == "WHERE" and where_at is None:
            where_at = i
        elif token == "FROM":
            has_from = True
    raise QueryError("cannot find the query's WHERE clause (a SELECT or ASK query is needed)")


_CAP = re.compile(r"\b(LIMIT|OFFSET)\s+(\d+)", re.I)


def _modifiers(text: str) -> tuple[int, int | None, int | None, int | None]:
    """(end of the WHERE clause, index of a top-level ORDER BY, its LIMIT, its OFFSET) of a SELECT query."""
    where = _shape(text).where_brace
    end = order = None
    for i, token, depth, paren in _scan(text):
        if i <= where:
            continue
        if end is None:
            if token == "}" and depth == 0:
                end = i + 1
            continue
        if token == "ORDER" and not depth and not paren:
            order = i
    if end is None:
        raise QueryError("the query's WHERE clause is not closed")
    caps = {m[1].upper(): int(m[2]) for m in _CAP.finditer(_strip_comments(text[end:]))}
    return end, order, caps.get("LIMIT"), caps.get("OFFSET")


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.split("\n"))


def paged(text: str, limit: int, offset: int = 0) -> str:
    """The query with a page of its rows: ``LIMIT limit OFFSET offset`` within its own order and cap.

    A query that caps its rows itself (``LIMIT 10000``) is paged within that cap.

        >>> print(paged("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s", 10, 20))
        SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s
        LIMIT 10 OFFSET 20
    """
    if limit < 0 or offset < 0:
        raise QueryError("a page needs a limit and offset of 0 or more")
    end, _, cap, own_offset = _modifiers(text)
    tail = _CAP.sub("", text[end:]).rstrip()
    if cap is not None:
        limit = max(0, min(limit, cap - offset))
    return f"{text[:end]}{tail}\nLIMIT {limit} OFFSET {offset + (own_offset or 0)}\n"


def counted(text: str, keep: Sequence[str] = ()) -> str:
    """A query of the number of rows ``text`` gives (its ORDER BY left out), as ``?total``; the variables
    ``keep`` (the parameters, which the engine binds in the projection) are projected and grouped by.

        >>> counted("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")
        'SELECT (COUNT(*) AS ?total) WHERE { { SELECT ?s WHERE { ?s ?p ?o } } }'
    """
    end, order, cap, offset = _modifiers(text)
    prologue_end = _prologue_end(text)
    tail = text[end:order] if order is not None else text[end:]
    tail = _CAP.sub("", _strip_comments(tail)).strip()
    caps = (f" LIMIT {cap}" if cap is not None else "") + (f" OFFSET {offset}" if offset else "")
    body = (text[prologue_end:end] + (" " + tail if tail else "") + caps).strip()
    kept = "".join(f"?{v} " for v in keep)
    group = f" GROUP BY {kept.strip()}" if keep else ""
    return f"{text[:prologue_end]}SELECT {kept}(COUNT(*) AS ?total) WHERE {{ {{ {body} }} }}{group}"


#: How many consecutive ranks of a listing the build writes in one block (:mod:`kg.derive.listings`): a page reads
#: the blocks it overlaps, not the whole listing's ranks (an engine filters a scan of them: 1.4 s for two million
#: ranks, against 14-24 ms for blocks of 4,000, measured on a store of that size).
BLOCK_ROWS = 4_000


def listing_block(listing: str, number: int) -> str:
    """The IRI of a listing's block ``number`` (from 1): the property from each of its rows to its rank.

        >>> listing_block("https://example.org/id/listing/rnd-sites/berlin", 2)
        'https://example.org/id/listing/rnd-sites/berlin/block/2'
    """
    return f"{listing}/block/{number}"


class Listing(NamedTuple):
    """The listing a page is read from (a ``# paged-by: rank total block listing`` header): the variable of its
    blocks of ranks, and its IRI as the count query found it (None: there is no such listing, and the page has no
    rows)."""

    block: str
    iri: NamedNode | None


def ranked_page(text: str, rank: str, limit: int, offset: int = 0, listing: Listing | None = None) -> str:
    """A page of a query whose rows the variable ``rank`` numbers 1, 2, ... in its order: the rows whose rank
    lies in the page (a filter an engine applies as the ranks are read, before the rows' other columns are
    joined), in the query's order.  With ``listing``, the query reads a listing the build numbered in blocks of
    :data:`BLOCK_ROWS` ranks: the blocks the page overlaps (:func:`listing_block`) are given as VALUES, so that only
    their ranks are read.  (Chosen by a filter on their names instead, Virtuoso scanned every block: 17.6 s a page
    at 100,000 firms, against 9-239 ms.)

        >>> print(ranked_page("SELECT ?s WHERE { ?s <urn:rank> ?r } ORDER BY ?r", "r", 10, 20))
        SELECT ?s WHERE { ?s <urn:rank> ?r FILTER(?r > 20 && ?r <= 30) } ORDER BY ?r
        LIMIT 10 OFFSET 0
        >>> print(ranked_page("SELECT ?s { ?b <urn:of> ?l . ?s ?b ?r }", "r", 10, 3995,
        ...                   Listing("b", NamedNode("urn:l"))))  # doctest: +NORMALIZE_WHITESPACE
        SELECT ?s { VALUES ?b { <urn:l/block/1> <urn:l/block/2> } ?b <urn:of> ?l . ?s ?b ?r
        FILTER(?r > 3995 && ?r <= 4005) }
        LIMIT 10 OFFSET 0
    """
    if limit < 0 or offset < 0:
        raise QueryError("a page needs a limit and offset of 0 or more")
    end, _, cap, _ = _modifiers(text)
    if cap is not None:
        limit = max(0, min(limit, cap - offset))
    page = f"{text[:end - 1].rstrip()} FILTER(?{rank} > {offset} && ?{rank} <= {offset + limit}) {text[end - 1:]}"
    if listing:
        blocks = ""
        if listing.iri:
            numbers = range(offset // BLOCK_ROWS + 1, max(offset, offset + limit - 1) // BLOCK_ROWS + 2)
            blocks = " ".join(term_text(NamedNode(listing_block(listing.iri.value, n))) for n in numbers)
        at = _shape(page).where_brace + 1
        page = f"{page[:at]} VALUES ?{listing.block} {{ {blocks} }}{page[at:]}"
    return paged(page, limit)


def listing_patterns(text: str, listing: str, total: str) -> str | None:
    """The triple patterns of the query's WHERE clause, outside any nested group, whose subject is the variable
    ``listing`` (one statement, up to its ``.``), if they bind ``total``: what finds a listing the build numbered
    and its number of rows.  None where there is no such statement.

        >>> listing_patterns('SELECT ?s { ?l <urn:q> "a. b" ; <urn:rows> ?n . ?b <urn:of> ?l . ?s ?b ?r }', "l", "n")
        '?l <urn:q> "a. b" ; <urn:rows> ?n .'
        >>> listing_patterns("SELECT ?s { OPTIONAL { ?l <urn:rows> ?n . } ?s ?l ?r }", "l", "n") is None
        True
    """
    end = _modifiers(text)[0]
    i, depth, last, start = _shape(text).where_brace + 1, 0, "{", None
    while i < end:
        c = text[i]
        if start is None and not depth and last in "{.}" and c in "?$" \
                and (m := _VAR_TOKEN.match(text, i)) and m.group(0)[1:] == listing:
            start = i
        skip = _skipped(text, i)
        if skip is not None:
            last = last if c == "#" else "v"
            i = skip
            continue
        if c in "{}":
            if start is not None:
                return None
            depth += 1 if c == "{" else -1
        elif c == "." and start is not None and (i + 1 == len(text) or text[i + 1].isspace() or text[i + 1] == "}"):
            statement = text[start:i + 1]
            return statement if re.search(rf"[?$]{total}(?!\w)", statement) else None
        last = last if c.isspace() else c
        i += 1
    return None


def ranked_total(text: str, total: str, keep: Sequence[str] = (), listing: str | None = None) -> str:
    """A query of the variable ``total`` of the first row of ``text``: the number of rows a listing the build
    numbered says it has (one triple read, where counting its rows reads them all); ``keep`` as in
    :func:`counted`.  With ``listing``, the variable of the listing, only the patterns that find it
    (:func:`listing_patterns`) are asked, and the listing is projected too: the whole WHERE clause took Virtuoso
    0.7-4.7 s to its first row at 100,000 firms, the listing's own patterns 2-4 ms.

        >>> ranked_total("SELECT ?s WHERE { ?l <urn:rows> ?n . ?s ?l ?r } ORDER BY ?r", "n")
        'SELECT ?n WHERE { ?l <urn:rows> ?n . ?s ?l ?r } LIMIT 1'
        >>> ranked_total("SELECT ?s WHERE { ?l <urn:rows> ?n . ?s ?l ?r } ORDER BY ?r", "n", listing="l")
        'SELECT ?l ?n WHERE { ?l <urn:rows> ?n . } LIMIT 1'
    """
    kept = "".join(f"?{v} " for v in keep)
    if listing:
        patterns = listing_patterns(text, listing, total)
        if patterns is None:
            raise QueryError(f"no triple pattern of the WHERE clause has ?{listing} as its subject and binds ?{total}")
        return f"{text[:_prologue_end(text)]}SELECT {kept}?{listing} ?{total} WHERE {{ {patterns} }} LIMIT 1"
    end = _modifiers(text)[0]
    shape = _shape(text)
    start = shape.where_keyword if shape.where_keyword is not None else shape.where_brace
    return f"{text[:_prologue_end(text)]}SELECT {kept}?{total} {text[start:end]} LIMIT 1"


class _SubSelect(NamedTuple):
    """Where a sub-select lies in a query's text: its ``SELECT``, the braces of its WHERE clause, the brace that
    closes the group holding it (its ORDER BY, LIMIT and OFFSET lie before), and its projected variables (not
    those made by ``(... AS ?v)``)."""

    start: int
    where_brace: int
    where_end: int
    group_end: int
    projected: tuple[str, ...]


def _subselects(text: str) -> list[_SubSelect]:
    """The sub-selects of a query, in the order they start.

        >>> [s.projected for s in _subselects("SELECT * { { SELECT ?a (1 AS ?b) ?c { ?a ?p ?c } LIMIT 2 } }")]
        [('a', 'c')]
    """
    found: list[_SubSelect] = []
    started: list[list[int]] = []  # the sub-selects not closed yet: SELECT, its depth, WHERE brace, WHERE end
    for i, token, depth, _ in _scan(text):
        if token == "SELECT" and depth:
            started.append([i, depth, -1, -1])
        elif started and token in ("{", "}"):
            sub = started[-1]
            if token == "{" and depth == sub[1] and sub[2] < 0:
                sub[2] = i
            elif token == "}" and depth == sub[1]:
                sub[3] = i
            elif token == "}" and depth == sub[1] - 1:
                start, _, brace, end = started.pop()
                projection = text[start + len("SELECT"):brace]
                while (plain := _PARENTHESISED.sub(" ", projection)) != projection:
                    projection = plain
                variables = _VAR_TOKEN.findall(_strip_comments(projection))
                found.append(_SubSelect(start, brace, end, i, tuple(v[1:] for v in variables)))
    return sorted(found)


_PARENTHESISED = re.compile(r"\([^()]*\)")


def subselect_page(text: str, limit: int, offset: int = 0) -> str:
    """A page of a query whose rows are those of its first sub-select (``# paged-by: sub-select``): ``LIMIT`` and
    ``OFFSET`` in that sub-select, after its ORDER BY, so that an engine joins only the page's rows to the columns
    the outer query reads.

        >>> print(subselect_page("SELECT ?s ?n { { SELECT ?s ?r { ?s <urn:r> ?r } ORDER BY ?r } ?s <urn:n> ?n }", 10))
        SELECT ?s ?n { { SELECT ?s ?r { ?s <urn:r> ?r } ORDER BY ?r LIMIT 10 OFFSET 0 } ?s <urn:n> ?n }
    """
    if limit < 0 or offset < 0:
        raise QueryError("a page needs a limit and offset of 0 or more")
    end = _subselects(text)[0].group_end
    return f"{text[:end].rstrip()} LIMIT {limit} OFFSET {offset} {text[end:]}"


def subselect_total(text: str, keep: Sequence[str] = ()) -> str:
    """A query of the number of rows of the first sub-select of ``text`` (its ORDER BY left out), as ``?total``;
    ``keep`` as in :func:`counted`.

        >>> subselect_total("SELECT ?s ?n WHERE { { SELECT ?s WHERE { ?s <urn:r> ?r } ORDER BY ?r } ?s <urn:n> ?n }")
        'SELECT (COUNT(*) AS ?total) WHERE { { SELECT ?s WHERE { ?s <urn:r> ?r } } }'
    """
    sub = _subselects(text)[0]
    kept = "".join(f"?{v} " for v in keep)
    group = f" GROUP BY {kept.strip()}" if keep else ""
    return (f"{text[:_prologue_end(text)]}SELECT {kept}(COUNT(*) AS ?total) WHERE {{ "
            f"{{ {text[sub.start:sub.where_end + 1]} }} }}{group}")


def _prologue_end(text: str) -> int:
    """Where the query form starts (after BASE and PREFIX declarations)."""
    for i, token, depth, paren in _scan(text):
        if token in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") and not depth and not paren:
            return i
    raise QueryError("cannot find the query form (SELECT, ASK, ...)")


_GRAPH_TOKEN = re.compile(r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
                          r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>|[?$]\w*'
                          r'|[A-Za-z_][\w-]*(?::[\w.-]*)?', re.S)


def uses_graph(text: str) -> bool:
    """Whether the query has a ``GRAPH`` pattern (the keyword, not in a comment, string, IRI, variable or
    prefixed name): only such a query needs ``FROM NAMED`` clauses.

    >>> uses_graph('SELECT ?graph WHERE { ?s <urn:graph> "GRAPH" } # GRAPH')
    False
    >>> uses_graph("SELECT * WHERE { graph ?g { ?s ?p ?o } }")
    True
    """
    return any(m.group(0).upper() == "GRAPH" for m in _GRAPH_TOKEN.finditer(text))


def with_dataset(text: str, graphs: Sequence[str], union: str | None = None) -> str:
    """The query with its dataset named (``FROM`` and ``FROM NAMED``), unless it names its own.

    Used on servers, so that a query sees the project's graphs only.  With ``union`` (the graph a
    kg push loads with the merge of the project's graphs, :func:`kg.remote.union_iri`), the
    default graph is ``FROM <union>`` alone, and ``FROM NAMED <g>`` for each of ``graphs`` is added
    only where the query has a ``GRAPH`` pattern: naming ~50 graphs made servers 25-30 times
    slower.  Without it, ``FROM <g>`` and ``FROM NAMED <g>`` for each graph: their merge as default
    graph (the union the embedded store queries) and each of them to ``GRAPH ?g``.
    """
    shape = _shape(text)
    if shape.has_from or not (graphs or union):
        return text
    if union is not None:
        named = graphs if uses_graph(text) else ()
        clauses = f"FROM {term_text(NamedNode(union))}\n" + \
            "".join(f"FROM NAMED {term_text(NamedNode(g))}\n" for g in named)
    else:
        clauses = "".join(f"FROM {term_text(NamedNode(g))}\n" for g in graphs) + \
            "".join(f"FROM NAMED {term_text(NamedNode(g))}\n" for g in graphs)
    at = shape.where_keyword if shape.where_keyword is not None else shape.where_brace
    return text[:at] + clauses + text[at:]


def inject_values(text: str, bindings: Mapping[str, NamedNode | Literal], *, outer: bool = True,
                  in_subselect: bool = False) -> str:
    """The query with ``VALUES (?a ?b) { (term term) }`` as the first element of its WHERE clause; with
    ``in_subselect``, also of its first sub-select's, for the variables that one projects (a sub-select does not see
    the outer query's values: the one a page is taken in, or a count wraps the query in, must have them), and with
    ``outer`` False only there.

    Values are written as checked RDF terms (:func:`term_text`), so a value cannot change the
    query's structure.

        >>> print(inject_values("SELECT ?x ?s { { SELECT ?x ?s { ?s ?p ?x } } }", {"x": Literal("a")},
        ...                     in_subselect=True))
        SELECT ?x ?s { VALUES (?x) { ("a") }  { SELECT ?x ?s { VALUES (?x) { ("a") } ?s ?p ?x } } }
    """
    if not bindings:
        return text
    for name in bindings:
        if not _VARIABLE.match(name):
            raise QueryError(f"'{name}' is not a valid variable name")

    def block(names: Sequence[str]) -> str:
        return (" VALUES (" + " ".join("?" + n for n in names) + ") { ("
                + " ".join(term_text(bindings[n]) for n in names) + ") } ")
    places = [(sub.where_brace + 1, [n for n in bindings if n in sub.projected])
              for sub in (_subselects(text)[:1] if in_subselect else [])]
    if outer:
        places.append((_shape(text).where_brace + 1, list(bindings)))
    for at, names in sorted(places, reverse=True):
        if names:
            text = text[:at] + block(names) + text[at:]
    return text


# ---------------------------------------------------------------------------- running

class Endpoint(Protocol):
    """What :func:`run` needs of a remote store (see :class:`kg.remote.Endpoint`)."""

    def query(self, text: str, bindings: Mapping[str, NamedNode | Literal], where: str = "") -> Result: ...


_SYNTAX = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.S)


def _syntax_error(exc: SyntaxError, where: str) -> QueryError:
    message = str(exc)
    m = _SYNTAX.search(message)
    if m:
        detail = " ".join(m[3].split())
        if "Prefix not found" in detail:
            detail = "a prefix is used that the query does not declare (add a PREFIX line)"
        elif len(detail) > 160:
            detail = detail[:159] + "…"
        return QueryError(f"{where}: SPARQL syntax error at line {m[1]}, column {m[2]}: {detail}")
    return QueryError(f"{where}: SPARQL syntax error: {message}")


def run_local(store: Store, query: SavedQuery, bindings: Mapping[str, NamedNode | Literal]) -> Result:
    """Run on the embedded store over the union of its graphs, parameters given as a VALUES block of checked terms
    (:func:`inject_values`), as to a server.  (Bound by the engine instead, as pyoxigraph ``substitutions``, a
    region made the engine join every row's labels before a listing's page: 4 s against 0.05 s at 100,000 firms.)"""
    try:
        answer = store.query(inject_values(query.text, bindings, in_subselect=query.paged_in_subselect),
                             use_default_graph_as_union=True, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise _syntax_error(exc, query.where) from None
    except RuntimeError as exc:
        raise QueryError(f"{query.where}: {exc}") from None
    if isinstance(answer, QueryBoolean):
        return Result([], [], bool(answer))
    if not isinstance(answer, QuerySolutions):  # a CONSTRUCT or DESCRIBE
        raise QueryError(f"{query.where}: only SELECT and ASK queries give result tables; "
                         "use kg build for the graph itself")
    return from_solutions(answer, answer.variables)


def _values(terms: Mapping[str, NamedNode | Literal]) -> str:
    """A VALUES block of checked terms (:func:`term_text`) for the look-ups of :func:`check_ids`."""
    return "".join(f"VALUES ?{k} {{ {term_text(v)} }} " for k, v in terms.items())


def _ask(target: Store | Endpoint, pattern: str, **terms: NamedNode | Literal) -> bool:
    if isinstance(target, Store):
        return bool(target.query(f"ASK {{ {_values(terms)}{pattern} }}", use_default_graph_as_union=True))
    query = f"SELECT * WHERE {{ {_values(terms)}{pattern} }} LIMIT 1"
    return len(target.query(query, {}, where="the check of the given ids").rows) > 0


def _first(target: Store | Endpoint, pattern: str, limit: int, **terms: NamedNode | Literal) -> list[str]:
    query = f"SELECT DISTINCT ?s WHERE {{ {_values(terms)}{pattern} }} LIMIT {limit}"
    if isinstance(target, Store):
        solutions = cast(QuerySolutions, target.query(query, use_default_graph_as_union=True))
        return [s["s"].value for s in solutions]
    return [str(r["s"]) for r in target.query(query, {}, where="the check of the given ids").records() if r["s"]]


def check_base(store: Store, iris: IRIs) -> None:
    """The graph was built under ``iris.base``: else a :class:`QueryError` naming the base it was built with.

    Every build writes its derived facts into the named graph ``{base}graph/derived``.
    """
    graphs = [g.value for g in store.named_graphs() if isinstance(g, NamedNode)]
    if not graphs or any(g.startswith(iris.base) for g in graphs):
        return
    built = next((g[: -len("graph/derived")] for g in graphs if g.endswith("/graph/derived")), None)
    hint = f"it was built with --base {built}; give that --base (or set KG_BASE)" if built else \
        "give the --base it was built with (or set KG_BASE)"
    raise QueryError(f"the graph has no IRI under the base {iris.base}: {hint}")


def check_ids(store: Store | Endpoint, query: SavedQuery, bindings: Mapping[str, NamedNode | Literal],
              iris: IRIs) -> None:
    """Every id given for a place, firm, site, ... parameter names something in the graph.

    Otherwise a query would answer with no rows, as if there were nothing to report.  Raises
    :class:`QueryError` naming the id and the nearest ids there are, or the base the graph was
    built with when it is not the one asked for (``--base``).
    """
    import difflib

    for p in query.params:
        term = bindings.get(p.name)
        if p.kind not in ENTITY_KINDS or not isinstance(term, NamedNode):
            continue
        if _ask(store, "{ ?x ?p ?o } UNION { ?s ?p ?x }", x=term):
            continue
        prefix = ENTITY_KINDS[p.kind](iris, "").value
        key = term.value[len(prefix):]
        what = f"{query.where}: parameter '{p.name}' ({p.kind}): '{key}'"
        if not _ask(store, "?s ?p ?o FILTER(STRSTARTS(STR(?s), ?base))", base=Literal(iris.base)):
            kind_path = prefix[len(iris.base):]
            found = _first(store, "?s ?p ?o FILTER(CONTAINS(STR(?s), ?path))", 1, path=Literal("/" + kind_path))
            other = found[0] if found else None
            hint = ""
            if other:
                hint = f" It was built with --base {other[:other.index('/' + kind_path) + 1]}; give that --base " \
                       "(or set KG_BASE) to query it."
            raise QueryError(f"{what} is not in the graph: the graph has no IRI under the base {iris.base}.{hint}")
        known = [s[len(prefix):] for s in _first(store, "?s ?p ?o FILTER(STRSTARTS(STR(?s), ?prefix))", 100_000,
                                                  prefix=Literal(prefix))]
        known = sorted({k for k in known if k and "/" not in k})
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
        some = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else \
            (f" Known {p.kind} ids include: {some}." if known else "")
        raise QueryError(f"{what} is unknown: no {p.kind} of the graph has that id.{hint}")


#: The parameter that, left out, is the build's region (``bbmb:defaultRegion``: the project's, see :mod:`kg.project`).
REGION_PARAM = "region"


def with_region(query: SavedQuery, target: Store | Endpoint,
                params: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """``params``, with the build's region (``bbmb:defaultRegion``) as the ``region`` parameter where the query
    has one and it is not given: the region of the project file, else the one the rules chose; the query
    text's own default only for a graph that names none."""
    declared = query.param(REGION_PARAM)
    if declared is None or declared.kind != "place" or (params and REGION_PARAM in params):
        return params
    found = _first(target, f"?g {BBMB.defaultRegion} ?s", 1)
    return {**(params or {}), REGION_PARAM: NamedNode(found[0])} if found else params


def run(query: SavedQuery | str, target: Store | Endpoint, params: Mapping[str, Any] | None = None,
        iris: IRIs | None = None, folder: str | Path = QUERIES_DIR, *, limit: int | None = None,
        offset: int = 0) -> Result:
    """Run a saved query (or a name, file or text, see :func:`resolve`) on a store or a remote endpoint.

    ``params`` maps parameter names to values as text (ids for places and firms, e.g.
    ``{"region": "brandenburg"}``); ``iris`` mints IRIs under the graph's base.  With ``limit``, the
    answer is one page of the query's rows in its own order (``offset`` rows skipped) and its
    ``total`` the number of rows of the whole answer (one more query, without the ORDER BY).
    """
    if isinstance(query, str):
        query = resolve(query, folder)
    bindings = bind(query, with_region(query, target, params), iris)
    check_ids(target, query, bindings, iris or IRIs())  # on a server too: an unknown id is an error, not 0 rows
    about = About(query=query.name, title=query.title, answers=query.answers, columns=query.columns,
                  parameters={p.name: _given(params, p) for p in query.params})
    if limit is None:
        result = _run_text(target, query, bindings)
        result.about = about
        return result
    from concurrent.futures import ThreadPoolExecutor

    if query.paged_by and len(query.paged_by) == 4:
        # the total first, with the listing: the page names the listing's blocks it overlaps
        rank, rows, block, variable = query.paged_by
        counts = _run_text(target, replace(query, text=ranked_total(query.text, rows, list(bindings), variable)),
                           bindings)
        found = counts.rows[0][counts.variables.index(variable)] if counts.rows else None
        if not isinstance(found, NamedNode) and _ask(target, "?listing a ?type ; ?area ?place", **_OLD_LISTINGS):
            raise QueryError(f"{query.where}: the graph's listings were made by an older kg, which kept their area "
                             "as sdmx-dimension:refArea; run kg build again (or, on a server, kg push again)")
        listing = Listing(block, found if isinstance(found, NamedNode) else None)
        page = _run_text(target, replace(query, text=ranked_page(query.text, rank, limit, offset, listing)), bindings)
        return _page(page, counts, offset, about, rows)
    if query.paged_by:
        rank, rows = query.paged_by
        texts = (ranked_page(query.text, rank, limit, offset), ranked_total(query.text, rows, list(bindings)))
    elif query.paged_in_subselect:
        texts = (subselect_page(query.text, limit, offset), subselect_total(query.text, list(bindings)))
    else:
        texts = (paged(query.text, limit, offset), counted(query.text, list(bindings)))
    # the page and the count at once: pyoxigraph evaluates without holding the GIL (two cores: half the time); the
    # count of a query not numbered by the build wraps it in a sub-select, which gets the parameters too
    paged_in = (query.paged_in_subselect, query.paged_in_subselect or not query.paged_by)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="kg-page") as pool:
        page, counts = pool.map(lambda text, inside: _run_text(target, replace(query, text=text,
                                                                               paged_in_subselect=inside), bindings),
                                texts, paged_in)
    return _page(page, counts, offset, about, query.paged_by[1] if query.paged_by else "total")


#: A listing of the layout before ``bbmb:listingArea``: its area as ``sdmx-dimension:refArea``
_OLD_LISTINGS = {"type": BBMB.Listing, "area": SDMX_DIMENSION.refArea}


def _page(page: Result, counts: Result, offset: int, about: About, variable: str = "total") -> Result:
    """The page with the total its count query found as ``variable`` (0 if none) and what it answers."""
    total = counts.rows[0][counts.variables.index(variable)] if counts.rows else None
    page.total, page.offset = int(total.value) if isinstance(total, Literal) else 0, offset
    page.about = about
    return page


def _given(params: Mapping[str, Any] | None, param: Param) -> str:
    """The value a parameter ran with, as the user wrote it (an id), or its default."""
    value = (params or {}).get(param.name, param.default)
    return value.value if isinstance(value, (NamedNode, Literal)) else str(value)


def _run_text(target: Store | Endpoint, query: SavedQuery, bindings: Mapping[str, NamedNode | Literal]) -> Result:
    if isinstance(target, Store):
        return run_local(target, query, bindings)
    # the server's client binds the outer query's parameters; those of the sub-select a page is taken in, here
    text = inject_values(query.text, bindings, outer=False, in_subselect=True) if query.paged_in_subselect \
        else query.text
    return target.query(text, bindings, where=query.where)


def select(store: Store, query: str, bindings: Mapping[str, Any] | None = None, *,
           lexical: bool = False) -> list[dict[str, Any]]:
    """Rows of a SELECT query over the union of the dataset's graphs, as dicts: the one way kg runs a
    SELECT on the embedded store (the views, the build's summary and validation use it too).

    ``bindings`` maps variable names to pyoxigraph terms; they are substituted by the engine.  Values
    are Python values (numbers as ``int``/``Decimal``), or with ``lexical`` the terms' lexical forms
    (three times faster on the hundreds of thousands of rows of a 100,000-firm graph); ``None`` where
    a variable is unbound.

        >>> from pyoxigraph import Store
        >>> select(Store(), "SELECT ?n WHERE { BIND(41 + 1 AS ?n) }")
        [{'n': 42}]
    """
    substitutions = {Variable(k): v for k, v in (bindings or {}).items()}
    solutions = cast(QuerySolutions, store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES,
                                                 substitutions=substitutions or None))
    names = [v.value for v in solutions.variables]
    if lexical:  # from the engine's text: no Python term a value, and the engine writes it without Python's lock
        return [dict(zip(names, row, strict=True)) for row in _lexical_rows(solutions)]
    return [{n: to_python(s[n]) for n in names} for s in solutions]


def select_values(store: Store, query: str) -> list[tuple[str | None, ...]]:
    """The rows of a SELECT over the union of the graphs as tuples of their terms' lexical values (in the order of
    its variables, as ``select(..., lexical=True)`` gives them; None where a variable is unbound): for reading
    hundreds of thousands of rows at once (the views' catalogue), read from the engine's text.

        >>> from pyoxigraph import Store
        >>> select_values(Store(), 'SELECT ?a ?b ?c WHERE { BIND(<http://x/a> AS ?a) BIND("x"@de AS ?c) }')
        [('http://x/a', None, 'x')]
    """
    return list(_lexical_rows(cast(QuerySolutions, store.query(query, use_default_graph_as_union=True,
                                                                prefixes=PREFIXES))))


def _lexical_rows(solutions: QuerySolutions) -> Iterator[tuple[str | None, ...]]:
    return (tuple(map(lexical_value, row)) for row in _tsv_rows(solutions))


def _tsv_rows(solutions: QuerySolutions) -> Iterator[list[str]]:
    """The rows of solutions as the engine's tab-separated answer writes them (see :func:`select_terms`)."""
    answer = cast(bytes, solutions.serialize(format=QueryResultsFormat.TSV))  # bytes: no output given
    lines = answer.decode("utf-8").split("\n")
    # the first line names the variables; each row ends in a line break (one unbound variable: an empty line)
    rows = itertools.islice(lines, 1, len(lines) - 1)
    return (line.split("\t") for line in rows) if lines[0] else ([] for _ in rows)  # no variables: empty rows


def nquads_term(term: str) -> str:
    """A term of :func:`select_terms` as N-Quads writes it: an IRI, a blank node or a quoted literal as it is; a
    number or boolean, which the tab-separated answer writes bare, with its datatype.

        >>> nquads_term("<http://x/a>"), nquads_term('"a"@de'), nquads_term("12")
        ('<http://x/a>', '"a"@de', '"12"^^<http://www.w3.org/2001/XMLSchema#integer>')
    """
    return term if term[:1] in ('<', '"', '_') else _bare_literal(term)


@functools.cache
def _bare_literal(term: str) -> str:
    answer = parse_query_results(f"?x\n{term}\n".encode(), format=QueryResultsFormat.TSV)
    return str(next(iter(cast(QuerySolutions, answer)))[0])


def lexical_value(term: str) -> str | None:
    """A term of :func:`select_terms` as a pyoxigraph term's ``value`` (a blank node's id without ``_:``)."""
    value = tsv_value(term)
    return value[2:] if value is not None and term.startswith("_:") else value


def select_terms(store: Store, query: str) -> Iterator[list[str]]:
    """The rows of a SELECT over the union of the graphs, each as its terms as the engine's tab-separated answer
    writes them, in the order of its variables: an IRI ``<...>``, a blank node ``_:id``, a literal in N-Triples
    form (``"text"@de``, ``"x"^^<datatype>``; an integer, decimal or boolean bare, ``12``), an unbound value ``""``
    (:func:`tsv_value` reads a term's value).

    Read from the text, not term by term: the full view reads 2.5 million rows at 100,000 firms, and a Python term
    a value took a fifth of its time.  (A term holds no tab or line break there: a literal's are escaped.)  The
    query is evaluated when this is called, its rows split as they are read: the engine holds no GIL, so a thread
    can evaluate one query while another reads the rows of the last.

        >>> from pyoxigraph import Store
        >>> list(select_terms(Store(), 'SELECT ?a ?b ?c WHERE { BIND(<http://x/a> AS ?a) BIND("x"@de AS ?c) }'))
        [['<http://x/a>', '', '"x"@de']]
    """
    return _tsv_rows(cast(QuerySolutions, store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)))


def resource_rows(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """Rows of :func:`select_terms` whose terms are all IRIs or blank nodes, each term as its lexical form (an IRI
    without its brackets, a blank node as ``_:id``).

        >>> list(resource_rows([["<http://x/a>", "_:b"]]))
        [['http://x/a', '_:b']]
    """
    return ([term[1:-1] if term.startswith("<") else term for term in row] for row in rows)


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(m: re.Match[str]) -> str:
    code = m[1] or m[2]
    return chr(int(code, 16)) if code else _ECHAR[m[3]]


def tsv_value(term: str) -> str | None:
    r"""The value of a term of :func:`select_terms`, as a pyoxigraph term's ``value``: an IRI without its brackets,
    a literal's lexical form unescaped (without its quotes, language tag or datatype), a blank node as ``_:id``;
    None for an unbound value (an empty field).  Plain Python on the text: a Python term costs more than the text.

        >>> [tsv_value(t) for t in ['<http://x/a>', r'"a \"b\" \\ \u00e9\n"@de', '12', '""', '']]
        ['http://x/a', 'a "b" \\ é\n', '12', '', None]
    """
    if not term:
        return None
    first = term[0]
    if first == '"':
        value = term[1:term.rindex('"')]  # a language tag or datatype IRI holds no quote
        return _ESCAPE.sub(_unescape, value) if "\\" in value else value
    if first == "<":
        return term[1:-1]
    return term  # a number or boolean written bare, a blank node


#: What the build records on its derived graph: the reading of the contested facts (``?r``) and the study's
#: credit line from the project file (``?c``, ``dct:bibliographicCitation``); the pages and the report read them.
READING_QUERY = "SELECT ?r WHERE { ?g prov:wasGeneratedBy ?a ; bbmb:reading ?r }"
#: (The build's graph or the citation first: the engine joins in the written order, and 30,000 nodes carry a
#: reading at 100,000 firms.)
STUDY_CREDIT_QUERY = "SELECT ?c WHERE { ?g dct:bibliographicCitation ?c ; bbmb:reading ?r }"


def data_credit(store: Store) -> str:
    """Whose data the graph holds (:func:`kg.rules.credit_line` over every source a fact cites), for an
    output that names its sources: ``A Study (2025) and 12 other sources cited on each fact``; the study the
    project file names (recorded by the build) where there is one."""
    from .rules import credit_line

    titles: dict[str, str] = {}
    part_of: dict[str, str] = {}
    cited: set[str] = set()
    for r in select(store, "SELECT ?src ?title ?whole "
                           "WHERE { ?src a bbmb:Source ; dct:title ?title OPTIONAL { ?src dct:isPartOf ?whole } }",
                    lexical=True):
        titles[r["src"]] = r["title"]
        if r["whole"]:
            part_of[r["src"]] = r["whole"]
        # an ASK for each source: one index look-up (an EXISTS in the projection took 2.7 s at 100,000 firms)
        if store.query("ASK { ?fact prov:wasDerivedFrom ?src }", use_default_graph_as_union=True, prefixes=PREFIXES,
                       substitutions={Variable("src"): NamedNode(r["src"])}):
            cited.add(r["src"])
    study = next((r["c"] for r in select(store, STUDY_CREDIT_QUERY, lexical=True)), None)
    return credit_line(titles, part_of, sorted(cited), study)
