"""Every output format of kg in one registry of writers, by name and by media type.

``kg build`` (the dataset files), ``kg query`` (result formats), ``kg serve`` (content negotiation for
SELECT/ASK results and CONSTRUCT/DESCRIBE graphs) and ``kg export`` (graph files) all read this one
table; adding a format is one :func:`register` call here and the code that writes it.  As in rdflib's
plugin registry, a writer names its implementation as ``"module:attribute"``, imported on first use
(so that ``kg query`` does not import networkx, and so that no module imports another's writers):

    >>> get("turtle").media_type
    'text/turtle; charset=utf-8'
    >>> for_media_type("application/trig", "dataset").name
    'trig'
    >>> names("graph-file")
    ['gexf', 'graphml']
    >>> get("sparql-json", "result").load()                  # doctest: +ELLIPSIS
    <function write_sparql_json at ...>
    >>> get("dot", "graph-file")
    Traceback (most recent call last):
    ...
    kg.writers.UnknownWriter: unknown graph-file format 'dot'; choose one of: gexf, graphml

What a writer's :meth:`Writer.load` gives depends on its kind:

* ``dataset`` -- the RDF files ``kg build`` writes (``kg.<extension>``): a pyoxigraph ``RdfFormat``;
  ``quads`` writers (TriG, N-Quads) keep the named graphs, the others hold the merged graph.
* ``graph`` -- what ``kg serve`` answers a CONSTRUCT or DESCRIBE with: a pyoxigraph ``RdfFormat``.
* ``result`` -- the ``kg query --format`` choices (and :func:`kg.results.render_bytes`): a function
  ``(result, compact) -> str``, or ``-> bytes`` for a binary format (:attr:`Writer.binary`: ``xlsx``).
* ``sparql-result`` -- what ``kg serve`` answers a SELECT or ASK with (the W3C result formats); the same
  functions as ``result``.
* ``graph-file`` -- the ``kg export`` formats: a :class:`kg.export.Exporter` class.

A writer can be of several kinds (Turtle is a build file and a CONSTRUCT answer).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

from .errors import InvalidArgument

if TYPE_CHECKING:
    from pyoxigraph import RdfFormat

    from .export import Exporter
    from .results import Result

    #: A result writer: the result, and a function that shortens IRIs (or None) -> the text.
    ResultFunction = Callable[[Result, Callable[[str], str] | None], str]
    #: A ``kg query --format`` writer: the text, or the bytes of a binary format (:attr:`Writer.binary`).
    ResultFileFunction = Callable[[Result, Callable[[str], str] | None], str | bytes]

Kind = Literal["dataset", "graph", "result", "sparql-result", "graph-file"]
KINDS: tuple[Kind, ...] = ("dataset", "graph", "result", "sparql-result", "graph-file")

F = TypeVar("F")
V = TypeVar("V")


class UnknownWriter(InvalidArgument):
    """No writer of that name (or media type) and kind; the message lists the names there are."""


@dataclass(frozen=True)
class Writer(Generic[F]):
    """One output format: its name, media type, file extension, kinds, and what writes it.

        >>> w = get("csv")
        >>> w.name, w.media_type, w.extension, sorted(w.kinds)
        ('csv', 'text/csv; charset=utf-8', 'csv', ['result', 'sparql-result'])
    """

    name: str
    kinds: frozenset[Kind]
    #: The Content-Type of what it writes (with its charset where one applies).
    media_type: str
    extension: str
    #: ``"module:attribute"`` (dotted attributes allowed) of the implementation; see :meth:`load`.
    target: str
    description: str = ""
    #: Further media types that negotiate to this writer (``application/json`` for SPARQL JSON).
    accepts: tuple[str, ...] = ()
    #: The short name a SPARQL client sends in a ``format`` parameter (SPARQLWrapper: json, xml, csv, tsv).
    short_name: str | None = None
    #: The name ``kg query --format`` offers, when it is not :attr:`name` (``tsv`` for ``tsv-values``).
    option: str | None = None
    #: A dataset format with named graphs (TriG, N-Quads), rather than the merged graph.
    quads: bool = False
    #: Its writer gives bytes, not text: a file to save, not to print on a terminal (``xlsx``).
    binary: bool = False

    @property
    def bare_media_type(self) -> str:
        """The media type without parameters: ``text/turtle`` for ``text/turtle; charset=utf-8``."""
        return _bare(self.media_type)

    @property
    def media_types(self) -> tuple[str, ...]:
        """Every media type that selects this writer, its own first."""
        return (self.bare_media_type, *(_bare(m) for m in self.accepts))

    def load(self) -> F:
        """The implementation: the attribute :attr:`target` names, its module imported on first use."""
        module, _, attribute = self.target.partition(":")
        found: Any = importlib.import_module(module)
        for part in attribute.split("."):
            found = getattr(found, part)
        return cast(F, found)


_REGISTRY: dict[str, Writer[Any]] = {}


def _bare(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def register(writer: Writer[F]) -> Writer[F]:
    """Add a writer; its name must be new (a second format of the same name is a mistake, not an override).

        >>> register(Writer("turtle", frozenset({"dataset"}), "text/turtle", "ttl", "pyoxigraph:RdfFormat.TURTLE"))
        Traceback (most recent call last):
        ...
        ValueError: a writer named 'turtle' is registered already
    """
    if writer.name in _REGISTRY:
        raise ValueError(f"a writer named {writer.name!r} is registered already")
    unknown = set(writer.kinds) - set(KINDS)
    if unknown or not writer.kinds:
        raise ValueError(f"writer {writer.name!r}: kinds must be some of {', '.join(KINDS)}")
    _REGISTRY[writer.name] = writer
    return writer


def writers(kind: Kind | None = None) -> list[Writer[Any]]:
    """The writers of a kind (every writer when ``kind`` is None), in the order they were registered."""
    return [w for w in _REGISTRY.values() if kind is None or kind in w.kinds]


def names(kind: Kind | None = None) -> list[str]:
    """The names of the writers of a kind, in the order they were registered.

        >>> names("dataset")
        ['turtle', 'trig', 'ntriples', 'nquads', 'jsonld']
    """
    return [w.name for w in writers(kind)]


@overload
def get(name: str, kind: Literal["dataset", "graph"]) -> Writer[RdfFormat]: ...
@overload
def get(name: str, kind: Literal["result"]) -> Writer[ResultFileFunction]: ...
@overload
def get(name: str, kind: Literal["sparql-result"]) -> Writer[ResultFunction]: ...
@overload
def get(name: str, kind: Literal["graph-file"]) -> Writer[type[Exporter]]: ...
@overload
def get(name: str, kind: None = None) -> Writer[Any]: ...


def get(name: str, kind: Kind | None = None) -> Writer[Any]:
    """The writer of that name (and kind); :class:`UnknownWriter` names the choices otherwise."""
    writer = _REGISTRY.get(name)
    if writer is None or (kind is not None and kind not in writer.kinds):
        raise UnknownWriter(f"unknown {kind + ' ' if kind else ''}format {name!r}; "
                            f"choose one of: {', '.join(names(kind))}")
    return writer


@overload
def for_media_type(media_type: str, kind: Literal["dataset", "graph"]) -> Writer[RdfFormat] | None: ...
@overload
def for_media_type(media_type: str, kind: Literal["result"]) -> Writer[ResultFileFunction] | None: ...
@overload
def for_media_type(media_type: str, kind: Literal["sparql-result"]) -> Writer[ResultFunction] | None: ...
@overload
def for_media_type(media_type: str, kind: Literal["graph-file"]) -> Writer[type[Exporter]] | None: ...


def for_media_type(media_type: str, kind: Kind) -> Writer[Any] | None:
    """The writer of a kind that a media type selects (parameters and case ignored), or None.

    A writer's own media type wins over another's :attr:`Writer.accepts`; among equals the first
    registered wins.

        >>> for_media_type("application/json", "sparql-result").name
        'sparql-json'
        >>> for_media_type("application/json", "result").name
        'json'
    """
    wanted = _bare(media_type)
    candidates = writers(kind)
    for writer in candidates:
        if writer.bare_media_type == wanted:
            return writer
    for writer in candidates:
        if wanted in writer.media_types:
            return writer
    return None


def for_short_name(value: str, kind: Literal["sparql-result"]) -> Writer[ResultFunction] | None:
    """The writer a SPARQL protocol ``format`` parameter asks for: a short name (``json``) or a media type."""
    for writer in writers(kind):
        if value == writer.short_name:
            return writer
    return for_media_type(value, kind)


def media_types(kind: Kind) -> list[str]:
    """Every media type that selects a writer of this kind (for a 406 answer), sorted.

        >>> media_types("graph")
        ['application/n-triples', 'application/rdf+xml', 'text/n3', 'text/turtle']
    """
    return sorted({m for w in writers(kind) for m in w.media_types})


def options(kind: Kind) -> dict[str, Writer[Any]]:
    """The names a command offers (:attr:`Writer.option`, else :attr:`Writer.name`) -> writer.

        >>> list(options("result"))
        ['table', 'csv', 'excel-csv', 'xlsx', 'tsv', 'sparql-tsv', 'json', 'markdown', 'sparql-json', 'sparql-xml']
    """
    return {w.option or w.name: w for w in writers(kind)}


class View(Mapping[str, V]):
    """A read-only mapping name -> ``value(writer)`` over the writers of a kind, always current.

    What remains of the tables that came before the registry (``kg.store.RDF_OUTPUTS``,
    ``kg.export.EXPORTERS``) is such a view, not a copy.

        >>> sorted(View("graph-file", lambda w: w.extension).items())
        [('gexf', 'gexf'), ('graphml', 'graphml')]
    """

    def __init__(self, kind: Kind, value: Callable[[Writer[Any]], V]) -> None:
        self._kind = kind
        self._value = value

    def __getitem__(self, name: str) -> V:
        try:
            return self._value(get(name, self._kind))
        except UnknownWriter:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(names(self._kind))

    def __len__(self) -> int:
        return len(writers(self._kind))


# ---------------------------------------------------------------------------- the formats

def _rdf(name: str, kinds: set[Kind], media_type: str, extension: str, rdf_format: str, description: str,
         quads: bool = False, accepts: tuple[str, ...] = ()) -> None:
    register(Writer[Any](name, frozenset(kinds), media_type, extension, f"pyoxigraph:RdfFormat.{rdf_format}",
                         description, accepts=accepts, quads=quads))


# kg build's files, in the order --formats lists them; Turtle and N-Triples also answer CONSTRUCT in kg serve
_rdf("turtle", {"dataset", "graph"}, "text/turtle; charset=utf-8", "ttl", "TURTLE", "Turtle (the merged graph)")
_rdf("trig", {"dataset"}, "application/trig", "trig", "TRIG", "TriG (a named graph per source)", quads=True)
_rdf("ntriples", {"dataset", "graph"}, "application/n-triples", "nt", "N_TRIPLES", "N-Triples (the merged graph)")
_rdf("nquads", {"dataset"}, "application/n-quads", "nq", "N_QUADS", "N-Quads (a named graph per source)",
     quads=True)
_rdf("jsonld", {"dataset"}, "application/ld+json", "jsonld", "JSON_LD", "JSON-LD (the merged graph)")
_rdf("rdfxml", {"graph"}, "application/rdf+xml", "rdf", "RDF_XML", "RDF/XML")
_rdf("n3", {"graph"}, "text/n3; charset=utf-8", "n3", "N3", "Notation3")


def _result(name: str, kinds: set[Kind], media_type: str, extension: str, function: str, description: str,
            **more: Any) -> None:
    register(Writer[Any](name, frozenset(kinds), media_type, extension, f"kg.results:{function}", description,
                         **more))


# kg query's formats in the order --format lists them; kg serve negotiates the sparql-result ones
_result("table", {"result"}, "text/plain; charset=utf-8", "txt", "write_table", "aligned columns for a terminal")
_result("csv", {"result", "sparql-result"}, "text/csv; charset=utf-8", "csv", "write_csv",
        "W3C SPARQL 1.1 CSV: values (IRIs, lexical forms)", short_name="csv")
_result("excel-csv", {"result"}, "text/csv; charset=utf-8", "csv", "write_excel_csv",
        "CSV for Excel where the decimal separator is a comma (German): ';', UTF-8 BOM, 0,5")
register(Writer[Any]("xlsx", frozenset({"result"}), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "xlsx", "kg.xlsx:write_xlsx", "an Excel workbook: typed cells, and a sheet 'about' the query "
                     "(to --out FILE or a pipe)", binary=True))
_result("tsv-values", {"result"}, "text/tab-separated-values; charset=utf-8", "tsv", "write_tsv_values",
        "the values csv prints, tab-separated (tab, line break, backslash escaped)", option="tsv")
_result("tsv", {"result", "sparql-result"}, "text/tab-separated-values; charset=utf-8", "tsv", "write_sparql_tsv",
        "W3C SPARQL 1.1 TSV: RDF terms", short_name="tsv", option="sparql-tsv")
_result("json", {"result"}, "application/json", "json", "write_json", "a JSON list of records (plain values)")
_result("markdown", {"result"}, "text/markdown; charset=utf-8", "md", "write_markdown", "a Markdown table")
_result("sparql-json", {"result", "sparql-result"}, "application/sparql-results+json", "srj", "write_sparql_json",
        "W3C SPARQL 1.1 JSON results", short_name="json", accepts=("application/json", "text/plain"))
_result("sparql-xml", {"result", "sparql-result"}, "application/sparql-results+xml", "srx", "write_sparql_xml",
        "W3C SPARQL 1.1 XML results", short_name="xml", accepts=("application/xml", "text/xml"))

# kg export's graph files (their writers are the Exporter classes of kg.export)
register(Writer[Any]("gexf", frozenset({"graph-file"}), "application/gexf+xml", "gexf", "kg.export:GexfExporter",
                     "GEXF 1.3 for Gephi (attributes, viz colours, sizes and positions)"))
register(Writer[Any]("graphml", frozenset({"graph-file"}), "application/graphml+xml", "graphml",
                     "kg.export:GraphmlExporter", "GraphML for yEd and Cytoscape"))
