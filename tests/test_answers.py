"""The catalogue's answers the build saves beside its store (kg.views.answers): read back, they are the rows the
store gives, whatever the values hold; a saved file of another query's text is never read."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Store

from kg.query import select_values
from kg.views.answers import SAVED, Answers, decode_rows, encode_rows, save_answers, saved_file
from kg.views.catalogue import QUERIES

# any text a literal can hold (no lone surrogate: not UTF-8), with the characters the format escapes made likely
_VALUES = st.one_of(st.none(), st.sampled_from(["", "\\N", "\\", "\t", "\n", "\\t", "a\\nb"]),
                    st.text(st.characters(blacklist_categories=("Cs",))))


@given(st.integers(0, 4).flatmap(lambda width: st.lists(st.tuples(*[_VALUES] * width))))
def test_saved_rows_read_back_as_they_were(rows):
    assert decode_rows(encode_rows(rows)) == rows


def test_a_saved_answer_is_its_counts_then_one_line_a_row_of_tab_separated_values():
    text = encode_rows([("http://x/a", "two\nlines", None), ("b", "", "tab\there")])
    assert text.splitlines() == ["3 2", "http://x/a\ttwo\\nlines\t\\N", "b\t\ttab\\there"]


def test_the_saved_answers_are_the_stores(region_store, tmp_path):
    folder = save_answers(region_store, QUERIES, tmp_path)
    assert folder == tmp_path / SAVED and len(list(folder.iterdir())) == len(QUERIES)
    store_rows = {name: select_values(region_store, query) for name, query in QUERIES.items()}
    with Answers(region_store, QUERIES, saved=tmp_path, workers=1) as answers:
        assert {name: answers(name) for name in QUERIES} == store_rows
    with Answers(region_store, QUERIES, saved=tmp_path, workers=1) as answers:  # a line at a time
        assert {name: list(answers.rows(name)) for name in QUERIES} == store_rows
    assert sum(map(len, store_rows.values())) > 1_000  # a comparison of real answers, not of empty ones


def test_answers_streamed_to_their_files_read_back_as_the_stores_whatever_the_values_hold(tmp_path):
    """save_answers copies the engine's text a line at a time: escapes, unbound values, no variable and no row
    survive it."""
    store = Store()
    for i, text in enumerate(["tab\there", "two\nlines", "back\\slash \\N", "é \u2013 ü", "", "\r"]):
        store.add(Quad(NamedNode(f"http://x/{i}"), NamedNode("http://x/p"), Literal(text, language="de")))
    store.add(Quad(NamedNode("http://x/blank"), NamedNode("http://x/q"), BlankNode("b1")))
    queries = {"values": "SELECT ?s ?o ?none WHERE { ?s <http://x/p> ?o }",
               "blank": "SELECT ?o WHERE { ?s <http://x/q> ?o }",
               "unbound": "SELECT ?none WHERE { ?s <http://x/p> ?o }",
               "no-variable": "SELECT * WHERE { }",
               "no-row": "SELECT ?s WHERE { ?s <http://x/none> ?o }"}
    save_answers(store, queries, tmp_path)
    assert sorted(p.name for p in (tmp_path / SAVED).iterdir()) == \
        sorted(saved_file(tmp_path, name, query).name for name, query in queries.items())  # no file left behind
    for read in (Answers.__call__, lambda answers, name: list(answers.rows(name))):  # whole, a line at a time
        with Answers(Store(), queries, saved=tmp_path) as answers:  # an empty store: every answer from its file
            assert {name: read(answers, name) for name in queries} == \
                {name: select_values(store, query) for name, query in queries.items()}
    assert len(select_values(store, queries["values"])) == 6


def test_a_saved_answer_of_another_query_text_is_not_read(built, tmp_path):
    query = "SELECT ?o WHERE { ?o a org:Organization }"
    save_answers(built.store, {"orgs": query}, tmp_path)
    changed = "SELECT ?o WHERE { ?o a org:Site }"  # the code that reads the answers asks another question
    assert not saved_file(tmp_path, "orgs", changed).exists()
    with Answers(built.store, {"orgs": changed}, saved=tmp_path) as answers:
        assert answers("orgs") == select_values(built.store, changed) != select_values(built.store, query)


def test_a_damaged_saved_answer_is_not_read(built, tmp_path):
    """A saved file cut short (at a line break or inside a row) or overwritten is not read as the answer: the
    store's answer is given instead."""
    query = "SELECT ?s ?l WHERE { ?s rdfs:label ?l }"
    path = saved_file(save_answers(built.store, {"labels": query}, tmp_path).parent, "labels", query)
    text = path.read_text(encoding="utf-8")
    expected = select_values(built.store, query)
    cut_at_line = text[:text.index("\n", len(text) // 2) + 1]
    for damaged in (cut_at_line, cut_at_line + "http://x/a", text[:len(text) // 2], "garbage", ""):
        path.write_text(damaged, encoding="utf-8")
        with Answers(built.store, {"labels": query}, saved=tmp_path) as answers:
            assert answers("labels") == expected, damaged[-40:]
        with Answers(built.store, {"labels": query}, saved=tmp_path) as answers:
            assert list(answers.rows("labels")) == expected, damaged[-40:]
    path.write_bytes(text.encode("utf-8")[:-2] + b"\xff\n")  # not UTF-8 at its end: found before a row is read
    with Answers(built.store, {"labels": query}, saved=tmp_path) as answers:
        assert list(answers.rows("labels")) == expected
    assert len(expected) > 100
