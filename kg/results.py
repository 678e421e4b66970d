"""Query results, whichever store answered them, and their output formats.

A :class:`Result` holds the variables and rows of RDF terms (pyoxigraph terms, ``None`` where a
variable is unbound) of a SELECT query, or the answer of an ASK query.  The embedded store and a
remote SPARQL server both produce one, so every output format is written by the same code:

    >>> from pyoxigraph import Literal, NamedNode
    >>> r = Result(["firm", "employees"], [(NamedNode("https://w3id.org/bbmb/id/org/zf"), Literal("1600",
    ...            datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")))])
    >>> r.records()
    [{'firm': 'https://w3id.org/bbmb/id/org/zf', 'employees': 1600}]
    >>> print(render(r, "csv"), end="")
    firm,employees
    https://w3id.org/bbmb/id/org/zf,1600
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolution, Variable

from .namespaces import PREFIXES, XSD

if TYPE_CHECKING:
    import pandas as pd

Term = NamedNode | BlankNode | Literal

#: Numeric literals longer than this (or decimals with a larger exponent) are kept as text: converting
#: them costs time and memory out of all proportion (1e1000000 is a million digits).
MAX_NUMBER_CHARS = 100

_INTEGER_TYPES = {XSD[t].value for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                         "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                         "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_NUMERIC = {**{t: int for t in _INTEGER_TYPES}, XSD.decimal.value: Decimal, XSD.double.value: float,
            XSD.float.value: float}

#: The output formats are writers of the ``result`` kind in :mod:`kg.writers` (name, media type, the
#: function below that writes it).  ``table`` is for a terminal, ``json`` is a plain list of records;
#: ``sparql-json`` and ``sparql-xml`` are the W3C SPARQL 1.1 result formats, ``csv`` the W3C SPARQL 1.1
#: CSV format (values: IRIs and the lexical forms of literals).  ``tsv`` is the W3C SPARQL 1.1 TSV
#: format, whose cells are RDF terms (``<iri>``, ``"-14"^^<...#decimal>``): what a SPARQL client asks
#: for with ``text/tab-separated-values`` (kg serve sends it).  ``tsv-values`` prints the values ``csv``
#: prints, tab-separated (a tab, line break or backslash in a value written ``\t``, ``\n``, ``\r``,
#: ``\\``), so that spreadsheets and ``cut`` read csv and tsv alike; it is what ``kg query --format tsv``
#: prints (``kg query --format sparql-tsv`` prints ``tsv``: see ``Writer.option``).  ``csv`` and ``tsv-values``
#: are what a spreadsheet opens: a value that would start a formula there gets a leading ``'``
#: (:func:`spreadsheet_safe`); ``markdown`` writes HTML's special characters as entities.  For Excel itself:
#: ``excel-csv`` is ``csv`` as Excel opens it where the decimal separator is a comma (``;``, a byte order mark,
#: ``0,5``), and ``xlsx`` a workbook of typed cells with a sheet about the query (:mod:`kg.xlsx`, bytes:
#: :func:`render_bytes`).
Compact = Callable[[str], str]


def to_python(term: Any) -> Any:
    """A result term as a plain Python value: IRIs and strings as str, numbers as numbers."""
    if term is None:
        return None
    if isinstance(term, Literal):
        convert = _NUMERIC.get(term.datatype.value)
        if convert is not None and len(term.value) <= MAX_NUMBER_CHARS:  # a longer one stays text
            try:
                return convert(term.value)
            except (ValueError, ArithmeticError):
                return term.value
        if term.datatype.value == XSD.boolean.value:
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, (NamedNode, BlankNode)):
        return term.value
    return str(term)


@dataclass
class About:
    """What a result answers, for a reader of the file it is written to (the ``about`` sheet of ``xlsx``).

    :func:`kg.query.run` fills in the query's part; the command that ran it adds the dataset's.
    """

    query: str = ""
    title: str = ""
    answers: str = ""
    columns: str = ""
    #: parameter name -> the value the query ran with (given, or the default)
    parameters: dict[str, str] = field(default_factory=dict)
    #: the graph that answered: ``the build in out (2026-12-02 01:50:12, 6,837 quads, reading primary)``
    dataset: str = ""
    #: when that graph was built (``YYYY-MM-DD HH:MM:SS``), where known
    built: str = ""
    #: whose data it is: the work most of the graph's sources are part of, and how many others
    credit: str = ""


@dataclass
class Result:
    """The answer of a query: ``variables`` and ``rows`` (SELECT), or ``boolean`` (ASK)."""

    variables: list[str]
    rows: list[tuple[Term | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    #: a page's (:func:`kg.query.run` with ``limit``): the number of rows of the whole answer
    total: int | None = None
    offset: int = 0
    about: About = field(default_factory=About)

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts of plain Python values (see :func:`to_python`)."""
        if self.boolean is not None:
            return [{"result": self.boolean}]
        return [{v: to_python(t) for v, t in zip(self.variables, row, strict=True)} for row in self.rows]

    def dataframe(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame; decimals become floats so that columns are numeric."""
        try:
            import pandas as pd
        except ModuleNotFoundError:
            raise ImportError('Result.dataframe() needs pandas: pip install "bbmb-kg[pandas]"') from None

        records = [{k: float(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in self.records()]
        return pd.DataFrame.from_records(records, columns=self.variables if self.boolean is None else ["result"])


def compactor(base: str | None = None) -> Callable[[str], str]:
    """Shortens IRIs for people: known prefixes as ``prefix:name``, data IRIs relative to ``base``."""
    pairs = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))

    def compact(iri: str) -> str:
        if base and iri.startswith(base):
            return iri[len(base):]
        for prefix, ns in pairs:
            if iri.startswith(ns) and iri[len(ns):] and all(c.isalnum() or c in "-_." for c in iri[len(ns):]):
                return f"{prefix}:{iri[len(ns):]}"
        return f"<{iri}>"
    return compact


def _display(term: Term | None, compact: Callable[[str], str] | None) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return compact(term.value) if compact else term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    return term.value


def _plain(value: str, limit: int | None) -> str:
    value = " ".join(value.split())  # one line per row
    if limit and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def _numeric(term: Term | None) -> bool:
    """A numeric literal, or unbound: a column of them is right-aligned."""
    return isinstance(term, Literal) and term.datatype.value in _NUMERIC or term is None


def _table(result: Result, compact: Callable[[str], str] | None, width: int | None = 60) -> str:
    header = list(result.variables)
    cells = [[_plain(_display(t, compact), width) for t in row] for row in result.rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [all(_numeric(row[i]) for row in result.rows) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        cells = zip(values, widths, numeric, strict=True)
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in cells).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in cells]
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out) + "\n"


#: Markdown table cells: a backslash and a pipe escaped for the table, HTML's specials as entities (Markdown
#: renderers pass raw HTML through: ``<img onerror=...>`` or ``</script>`` would run or break the page).
_MARKDOWN_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "&": "&amp;", "<": "&lt;", ">": "&gt;"})

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"), and the full-width forms that
#: some locales' spreadsheets read the same way.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)


def spreadsheet_safe(value: str) -> str:
    """A cell of ``csv`` and ``tsv`` that a spreadsheet cannot run: a value that starts like a formula gets a
    leading ``'`` (OWASP's advice), unless the whole value is a plain number (``-14`` stays a number).

    Decided by the text, not the datatype: ``"=1+1"^^xsd:integer`` is a formula all the same.

        >>> spreadsheet_safe("=SUM(A1:A9)"), spreadsheet_safe("-14"), spreadsheet_safe("-1+1")
        ("'=SUM(A1:A9)", '-14', "'-1+1")
    """
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _markdown(result: Result, compact: Callable[[str], str] | None) -> str:
    def cell(text: str) -> str:
        return _plain(text, None).translate(_MARKDOWN_ESCAPES)

    out = ["| " + " | ".join(result.variables) + " |", "|" + "|".join(" --- " for _ in result.variables) + "|"]
    for row in result.rows:
        out.append("| " + " | ".join(cell(_display(t, compact)) for t in row) + " |")
    return "\n".join(out) + "\n"


def _csv(result: Result) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([spreadsheet_safe(_value(t)) for t in row])
    return buffer.getvalue()


#: The numeric datatypes whose lexical form may hold a decimal point (an integer's never does).
_FRACTIONAL = {XSD.decimal.value, XSD.double.value, XSD.float.value}


def _excel_csv(result: Result) -> str:
    """The values of ``csv`` as Excel opens them where the decimal separator is a comma (German and most
    European locales): ``;`` between cells, a byte order mark so that it reads UTF-8, CRLF line ends."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([excel_cell(t) for t in row])
    return buffer.getvalue()


def excel_cell(term: Term | None) -> str:
    """A cell of ``excel-csv``: the value of ``csv`` (:func:`spreadsheet_safe`), and a decimal, double or float
    with a decimal comma; an integer as it is (no thousands separator), text as it is.

        >>> excel_cell(Literal("-0.5", datatype=XSD.decimal)), excel_cell(Literal("1.5E3", datatype=XSD.double))
        ('-0,5', '1,5E3')
        >>> excel_cell(Literal("1600", datatype=XSD.integer)), excel_cell(Literal("28.41")), excel_cell(Literal("=1"))
        ('1600', '28.41', "'=1")
    """
    text = spreadsheet_safe(_value(term))
    if isinstance(term, Literal) and term.datatype.value in _FRACTIONAL and _PLAIN_NUMBER.fullmatch(text):
        return text.replace(".", ",")
    return text


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _value(term: Term | None) -> str:
    """A cell of ``csv`` and ``tsv``: the IRI, the literal's lexical form, ``_:id`` for a blank node."""
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, BlankNode) else term.value


def _tsv(result: Result) -> str:
    """Values as in ``csv``, tab-separated; tabs, line breaks and backslashes in a value escaped."""
    out = ["\t".join(result.variables)]
    for row in result.rows:
        out.append("\t".join(spreadsheet_safe(_value(t)).translate(_TSV_ESCAPES) for t in row))
    return "\n".join(out) + "\n"


def _sparql_tsv(result: Result) -> str:
    """The W3C SPARQL 1.1 TSV results format: a header of ``?variables``, cells in RDF term syntax."""
    out = ["\t".join("?" + v for v in result.variables)]
    for row in result.rows:
        out.append("\t".join("" if t is None else str(t) for t in row))
    return "\n".join(out) + "\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > MAX_NUMBER_CHARS:
            return str(value)  # 1e1000000 would be an integer of a million digits
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _term_json(term: Term) -> dict[str, str]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD.string.value:
        out["datatype"] = term.datatype.value
    return out


def _sparql_json(result: Result) -> str:
    if result.boolean is not None:
        return json.dumps({"head": {}, "boolean": result.boolean})
    bindings = [{v: _term_json(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
                for row in result.rows]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}}, ensure_ascii=False)


def _sparql_xml(result: Result) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    out.append("</head>")
    if result.boolean is not None:
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            out.append("<result>")
            for v, t in zip(result.variables, row, strict=True):
                if t is None:
                    continue
                if isinstance(t, NamedNode):
                    inner = f"<uri>{escape(t.value)}</uri>"
                elif isinstance(t, BlankNode):
                    inner = f"<bnode>{escape(t.value)}</bnode>"
                elif t.language:
                    inner = f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
                elif t.datatype.value != XSD.string.value:
                    inner = f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
                else:
                    inner = f"<literal>{escape(t.value)}</literal>"
                out.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
            out.append("</result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def _ask(write: Callable[[Result, Compact | None], str]) -> Callable[[Result, Compact | None], str]:
    """A tabular writer that answers an ASK result with ``yes`` or ``no``."""
    def writer(result: Result, compact: Compact | None = None) -> str:
        if result.boolean is not None:
            return "yes\n" if result.boolean else "no\n"
        return write(result, compact)
    writer.__name__ = writer.__qualname__ = write.__name__
    writer.__doc__ = write.__doc__
    return writer


@_ask
def write_table(result: Result, compact: Compact | None = None) -> str:
    """Aligned columns for a terminal (``table``); ``compact`` shortens IRIs."""
    return _table(result, compact)


@_ask
def write_markdown(result: Result, compact: Compact | None = None) -> str:
    """A Markdown table (``markdown``); ``compact`` shortens IRIs."""
    return _markdown(result, compact)


@_ask
def write_csv(result: Result, compact: Compact | None = None) -> str:
    """W3C SPARQL 1.1 CSV (``csv``): IRIs and the lexical forms of literals, safe to open in a spreadsheet
    (:func:`spreadsheet_safe`)."""
    return _csv(result)


@_ask
def write_excel_csv(result: Result, compact: Compact | None = None) -> str:
    """CSV for Excel with a decimal comma (``excel-csv``): ``;``-separated, UTF-8 with a byte order mark, CRLF,
    decimals written ``0,5``, safe to open (:func:`spreadsheet_safe`)."""
    return _excel_csv(result)


@_ask
def write_tsv_values(result: Result, compact: Compact | None = None) -> str:
    """The values of ``csv``, tab-separated (``tsv-values``, what ``kg query --format tsv`` prints)."""
    return _tsv(result)


@_ask
def write_sparql_tsv(result: Result, compact: Compact | None = None) -> str:
    """W3C SPARQL 1.1 TSV (``tsv``): cells in RDF term syntax."""
    return _sparql_tsv(result)


def write_json(result: Result, compact: Compact | None = None) -> str:
    """A JSON list of records of plain values (``json``); an ASK result is ``true`` or ``false``."""
    if result.boolean is not None:
        return json.dumps(result.boolean) + "\n"
    return json.dumps([{k: _json_value(v) for k, v in r.items()} for r in result.records()],
                      ensure_ascii=False, indent=1) + "\n"


def write_sparql_json(result: Result, compact: Compact | None = None) -> str:
    """W3C SPARQL 1.1 JSON results (``sparql-json``)."""
    return _sparql_json(result)


def write_sparql_xml(result: Result, compact: Compact | None = None) -> str:
    """W3C SPARQL 1.1 XML results (``sparql-xml``)."""
    return _sparql_xml(result)


def render(result: Result, fmt: str = "table", compact: Compact | None = None) -> str:
    """The result as text in a ``result`` format of :mod:`kg.writers`; ``compact`` shortens IRIs in table and
    markdown.  An unknown format is a :class:`ValueError` that lists the formats; a binary one (``xlsx``) is
    written by :func:`render_bytes`."""
    written = _written(result, fmt, compact)
    if isinstance(written, bytes):
        raise ValueError(f"'{fmt}' is a binary format: render_bytes() writes it")
    return written


def render_bytes(result: Result, fmt: str = "table", compact: Compact | None = None) -> bytes:
    """The result as the bytes of a file in a ``result`` format of :mod:`kg.writers` (text in UTF-8).

        >>> render_bytes(Result(["name"], [(Literal("Müller"),)]), "excel-csv")
        b'\\xef\\xbb\\xbfname\\r\\nM\\xc3\\xbcller\\r\\n'
    """
    written = _written(result, fmt, compact)
    return written if isinstance(written, bytes) else written.encode("utf-8")


def _written(result: Result, fmt: str, compact: Compact | None) -> str | bytes:
    from . import writers

    try:
        writer = writers.get(fmt, "result")
    except writers.UnknownWriter:
        raise ValueError(f"unknown output format '{fmt}'; choose one of: {', '.join(writers.names('result'))}") \
            from None
    return writer.load()(result, compact)


def from_sparql_json(document: dict[str, Any]) -> Result:
    """A :class:`Result` from a SPARQL 1.1 JSON results document (as a server sends it)."""
    if "boolean" in document:
        return Result([], [], bool(document["boolean"]))
    variables = list(document.get("head", {}).get("vars", []))
    blanks: dict[str, BlankNode] = {}

    def term(b: dict[str, str]) -> Term:
        kind, value = b.get("type"), b.get("value", "")
        if kind == "uri":
            return NamedNode(value)
        if kind == "bnode":
            return blanks.setdefault(value, BlankNode())
        if b.get("xml:lang"):
            return Literal(value, language=b["xml:lang"])
        if b.get("datatype"):
            return Literal(value, datatype=NamedNode(b["datatype"]))
        return Literal(value)

    rows = [tuple(term(b[v]) if v in b else None for v in variables)
            for b in document.get("results", {}).get("bindings", [])]
    return Result(variables, rows)


def from_solutions(solutions: Iterable[QuerySolution], variables: Iterable[Variable]) -> Result:
    """A :class:`Result` from pyoxigraph ``QuerySolutions``."""
    names = [v.value for v in variables]
    return Result(names, [tuple(s[n] for n in names) for s in solutions])


def row_digest(result: Result) -> str:
    """A SHA-256 hash of a result's rows by content: equal for the same answer from any SPARQL engine.

    The rows are sorted (row order is not compared: ORDER BY is checked by the tests of each query) as
    canonical terms, each row paired with the variable names.  What engines legitimately write
    differently is normalised: a number by its value (integer, decimal, double and float alike, to 15
    significant digits, so ``"33.3"^^xsd:decimal``, ``"3.33E1"^^xsd:double`` and ``33.29999999999999``
    agree, ``1`` and ``1.0`` too), a boolean's ``1``/``true``, a language tag's case, ``xsd:string`` and
    a plain literal, a blank node's label.  Everything else counts: an unbound variable is not ``""``, a
    string is not a number, ``"x"@en`` is not ``"x"``, and duplicate rows are counted.

        >>> from pyoxigraph import Literal
        >>> a = Result(["n"], [(Literal("1.50", datatype=XSD.decimal),), (Literal("x", language="EN"),)])
        >>> b = Result(["n"], [(Literal("x", language="en"),), (Literal("1.5E0", datatype=XSD.double),)])
        >>> row_digest(a) == row_digest(b), row_digest(a) == row_digest(Result(["n"], [(Literal("1.5"),)]))
        (True, False)
    """
    import hashlib
    from decimal import Context

    fifteen = Context(prec=15)

    def canonical(term: Term | None) -> str:
        if term is None:
            return "unbound"
        if isinstance(term, NamedNode):
            return "<" + term.value + ">"
        if isinstance(term, BlankNode):
            return "_:"  # labels are each engine's own
        datatype = term.datatype.value
        if datatype in _NUMERIC and len(term.value) <= MAX_NUMBER_CHARS:
            try:
                number = Decimal(term.value.strip())
            except ArithmeticError:
                number = None
            if number is not None:
                if number.is_nan():
                    return "number NaN"
                if number.is_zero():
                    return "number 0"  # -0.0 and 0
                return "number " + str(fifteen.plus(number).normalize(fifteen)) if number.is_finite() \
                    else "number " + ("INF" if number > 0 else "-INF")
        if datatype == XSD.boolean.value and term.value.strip() in ("true", "false", "1", "0"):
            return "boolean " + str(term.value.strip() in ("true", "1")).lower()
        if term.language:
            return json.dumps(term.value, ensure_ascii=False) + "@" + term.language.lower()
        if datatype == XSD.string.value:
            return json.dumps(term.value, ensure_ascii=False)
        return json.dumps(term.value, ensure_ascii=False) + "^^<" + datatype + ">"

    if result.boolean is not None:
        text = "ASK " + str(result.boolean).lower()
    else:
        rows = sorted(json.dumps(sorted(zip(result.variables, map(canonical, row), strict=True)), ensure_ascii=False)
                      for row in result.rows)
        text = json.dumps({"variables": sorted(result.variables), "rows": rows}, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
