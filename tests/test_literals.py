"""Numbers written as the store keeps them (kg.literals): the build's N-Quads file holds the store's text."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import Literal, NamedNode, Quad, Store

from kg.literals import XSD_DECIMAL, XSD_INTEGER, store_form

_DIGITS = st.text("0123456789", max_size=24) | st.sampled_from(["0", "00", "9223372036854775807",
                                                                 "9223372036854775808", "170141183460469231731"])
_SIGNS = st.sampled_from(["", "-", "+"])
_INTEGERS = st.builds(lambda sign, digits: sign + digits, _SIGNS, _DIGITS)
_DECIMALS = st.builds(lambda sign, whole, point, fraction: sign + whole + (f".{fraction}" if point else ""),
                      _SIGNS, _DIGITS, st.booleans(), _DIGITS | st.sampled_from(["687303715884105727",
                                                                                  "687303715884105728"]))


def _as_the_store_writes(values: list[tuple[str, str]]) -> list[str]:
    store = Store()
    for i, (value, datatype) in enumerate(values):
        store.add(Quad(NamedNode(f"http://example.org/{i}"), NamedNode("http://example.org/p"),
                       Literal(value, datatype=NamedNode(datatype))))
    back = {int(q.subject.value.rsplit("/", 1)[1]): q.object.value for q in store}
    return [back[i] for i in range(len(values))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_INTEGERS, st.just(XSD_INTEGER)) | st.tuples(_DECIMALS, st.just(XSD_DECIMAL)),
                min_size=1, max_size=50))
def test_a_number_is_written_as_the_store_writes_it_back(values):
    assert [store_form(value, datatype) for value, datatype in values] == _as_the_store_writes(values)


def test_other_literals_are_written_as_given():
    assert store_form("2024-02", "http://www.w3.org/2001/XMLSchema#gYearMonth") == "2024-02"
    assert store_form("52.5500", "http://www.w3.org/2001/XMLSchema#string") == "52.5500"
