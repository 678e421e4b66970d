"""The one registry of output formats (kg.writers) that kg build, kg query, kg serve and kg export read."""
from __future__ import annotations

import doctest
import io
from http import HTTPStatus

import openpyxl
import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat

import kg.writers
from kg import writers
from kg.cli import _register_plugins, make_parser
from kg.export import EXPORTERS, Exporter, get_exporter
from kg.results import Result, render, render_bytes
from kg.store import RDF_OUTPUTS
from kg.writers import UnknownWriter, Writer

BUILD_FORMATS = ["turtle", "trig", "ntriples", "nquads", "jsonld"]
QUERY_FORMATS = ["table", "csv", "excel-csv", "xlsx", "tsv", "sparql-tsv", "json", "markdown", "sparql-json",
                 "sparql-xml"]
EXPORT_FORMATS = ["gexf", "graphml"]
#: What kg serve answers: Accept media type -> writer (SELECT/ASK, then CONSTRUCT/DESCRIBE).
SERVE_RESULTS = {"application/sparql-results+json": "sparql-json", "application/json": "sparql-json",
                 "text/plain": "sparql-json", "application/sparql-results+xml": "sparql-xml",
                 "application/xml": "sparql-xml", "text/xml": "sparql-xml", "text/csv": "csv",
                 "text/tab-separated-values": "tsv"}
SERVE_GRAPHS = {"text/turtle": "turtle", "application/n-triples": "ntriples", "application/rdf+xml": "rdfxml",
                "text/n3": "n3"}


def test_the_docstrings_run():
    assert doctest.testmod(kg.writers, optionflags=doctest.ELLIPSIS).failed == 0


def test_every_build_format_resolves_to_its_rdf_format():
    assert writers.names("dataset") == BUILD_FORMATS
    for name in BUILD_FORMATS:
        w = writers.get(name, "dataset")
        fmt = w.load()
        assert isinstance(fmt, RdfFormat)
        assert (fmt.media_type, fmt.file_extension) == (w.bare_media_type, w.extension)
        assert w.quads == (name in ("trig", "nquads"))
    # the old table is a view of the registry, not a copy
    assert list(RDF_OUTPUTS) == BUILD_FORMATS
    assert RDF_OUTPUTS["trig"] == ("kg.trig", RdfFormat.TRIG, True)
    assert RDF_OUTPUTS["turtle"] == ("kg.ttl", RdfFormat.TURTLE, False)
    with pytest.raises(KeyError):
        RDF_OUTPUTS["csv"]


def test_every_cli_name_is_what_the_parser_offers():
    _register_plugins()
    parser = make_parser()
    for name in QUERY_FORMATS:
        assert parser.parse_args(["query", "hq-absence", "--format", name]).format == name
    assert list(writers.options("result")) == QUERY_FORMATS
    assert writers.options("result")["tsv"].name == "tsv-values"
    assert writers.options("result")["sparql-tsv"].name == "tsv"
    for name in EXPORT_FORMATS:
        assert parser.parse_args(["export", name]).format == name
    assert parser.parse_args(["build", "--formats", ",".join(BUILD_FORMATS)]).formats == ",".join(BUILD_FORMATS)
    for bad in (["query", "x", "--format", "ods"], ["export", "dot"], ["build", "--formats", "turtle,xml"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_every_query_format_renders_a_select_and_an_ask_result():
    select = Result(["firm", "n"], [(NamedNode("https://w3id.org/bbmb/id/org/zf"), Literal("3", datatype=NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))), (None, None)])
    for w in writers.writers("result"):
        assert callable(w.load())
        if w.binary:  # a file: render_bytes writes it, render refuses it
            with pytest.raises(ValueError, match="render_bytes"):
                render(select, w.name)
            assert isinstance(w.load()(select, None), bytes) and render_bytes(select, w.name)[:2] == b"PK"  # a zip
            continue
        assert "firm" in render(select, w.name) and render(select, w.name) == w.load()(select, None)
        assert render_bytes(select, w.name) == render(select, w.name).encode("utf-8")
        ask = render(Result([], [], True), w.name)
        assert ask.strip() in ("yes", "true") or "true" in ask and "boolean" in ask
    workbook = openpyxl.load_workbook(io.BytesIO(render_bytes(select, "xlsx")))
    assert [c.value for c in workbook.worksheets[0][1]] == ["firm", "n"]
    assert workbook.worksheets[0]["B2"].value == 3
    ask_book = openpyxl.load_workbook(io.BytesIO(render_bytes(Result([], [], True), "xlsx")))
    assert [[c.value for c in row] for row in ask_book.worksheets[0].rows] == [["result"], [True]]
    assert render(Result([], [], False), "table") == "no\n"
    assert render(Result([], [], False), "json") == "false\n"


def test_every_export_format_is_an_exporter():
    assert writers.names("graph-file") == EXPORT_FORMATS == sorted(EXPORTERS)
    for name in EXPORT_FORMATS:
        w = writers.get(name, "graph-file")
        assert issubclass(w.load(), Exporter) and EXPORTERS[name] is w.load()
        assert isinstance(get_exporter(name), w.load()) and w.extension == name


def test_serve_negotiates_through_the_registry():
    for media_type, name in SERVE_RESULTS.items():
        found = writers.for_media_type(media_type, "sparql-result")
        assert found is not None and found.name == name, media_type
    for media_type, name in SERVE_GRAPHS.items():
        found = writers.for_media_type(media_type, "graph")
        assert found is not None and found.name == name, media_type
        assert found.load().media_type == media_type
    assert writers.media_types("sparql-result") == sorted(SERVE_RESULTS)
    assert writers.media_types("graph") == sorted(SERVE_GRAPHS)
    # what serve does not write is not found (kg serve answers 406)
    assert writers.for_media_type("application/ld+json", "graph") is None
    assert writers.for_media_type("text/html", "sparql-result") is None
    # SPARQLWrapper's format parameter
    for short, name in (("json", "sparql-json"), ("xml", "sparql-xml"), ("csv", "csv"), ("tsv", "tsv"),
                        ("application/sparql-results+json", "sparql-json")):
        found = writers.for_short_name(short, "sparql-result")
        assert found is not None and found.name == name


def test_serve_answers_with_the_writers_media_type_or_406():
    from kg.serve import _Refused, _result_writer

    assert _result_writer(None, []).name == "sparql-json"
    assert _result_writer("text/csv", []).media_type == "text/csv; charset=utf-8"
    assert _result_writer("image/png, */*;q=0.1", []).name == "sparql-json"
    assert _result_writer("text/csv", ["xml"]).name == "sparql-xml"
    with pytest.raises(_Refused) as refused:
        _result_writer("image/png", [])
    assert refused.value.status == HTTPStatus.NOT_ACCEPTABLE
    assert str(refused.value) == "results are available as " + ", ".join(sorted(SERVE_RESULTS))


def test_media_types_map_both_ways():
    for kind in writers.KINDS:
        for w in writers.writers(kind):
            back = writers.for_media_type(w.media_type, kind)
            assert back is not None and back.bare_media_type == w.bare_media_type
            # the first writer of the kind with this media type is the one it selects
            first = next(o for o in writers.writers(kind) if o.bare_media_type == w.bare_media_type)
            assert back is first
            assert writers.for_media_type(w.media_type.upper(), kind) is first  # case and parameters ignored
    assert writers.for_media_type("text/tab-separated-values; charset=utf-8", "sparql-result").name == "tsv"
    assert writers.for_media_type("application/json", "result").name == "json"  # own type beats an alias


def test_each_name_is_one_writer():
    every = writers.names()
    assert len(every) == len(set(every))
    assert set(BUILD_FORMATS + EXPORT_FORMATS) | set(SERVE_GRAPHS.values()) | set(SERVE_RESULTS.values()) <= set(every)
    for w in writers.writers():
        assert writers.get(w.name) is w and w.load() is not None
    with pytest.raises(ValueError, match="registered already"):
        writers.register(Writer("csv", frozenset({"result"}), "text/csv", "csv", "kg.results:write_csv"))


def test_an_unknown_name_is_a_clear_error_listing_the_names():
    with pytest.raises(UnknownWriter, match="unknown dataset format 'xml'; choose one of: turtle, trig, ntriples, "
                                            "nquads, jsonld$"):
        writers.get("xml", "dataset")
    with pytest.raises(UnknownWriter, match="choose one of: gexf, graphml$"):
        writers.get("csv", "graph-file")  # a writer, but of another kind
    with pytest.raises(ValueError, match="unknown format 'nope'; choose one of: turtle, "):
        writers.get("nope")
    # the callers keep their messages
    with pytest.raises(ValueError, match="unknown output format 'ods'; choose one of: table, csv"):
        render(Result(["x"]), "ods")
    with pytest.raises(ValueError, match="unknown export format 'dot'; choose from gexf, graphml"):
        get_exporter("dot")


def test_a_registered_writer_is_seen_by_every_view():
    w = writers.register(Writer("test-nt", frozenset({"dataset"}), "application/x-test", "test",
                                "pyoxigraph:RdfFormat.N_TRIPLES"))
    try:
        assert "test-nt" in RDF_OUTPUTS and RDF_OUTPUTS["test-nt"] == ("kg.test", RdfFormat.N_TRIPLES, False)
        assert writers.for_media_type("application/x-test", "dataset") is w
    finally:
        del writers._REGISTRY["test-nt"]
    assert "test-nt" not in RDF_OUTPUTS
