"""A source for every value: no external fact sits in a named graph of the brief.

Each triple lies in the named graph of the source it was read from; a table cell that comes from
another source than its row names it in a companion column (``legal_name_source``, ``place_source``,
...; see :func:`kg.tables.sourced`).  These tests read the brief's own text
(``../shared/seed``) and check that what the graph files under the brief is in it.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from pyoxigraph import NamedNode, Store

from kg import query
from kg.build import build
from kg.query import select
from kg.tables import read_tables
from tests.conftest import ONTOLOGY, ROOT

#: The brief's text, kept in the repository (tests/brief/README.md) so that the tests need nothing outside it.
BRIEF_FILE = ROOT / "tests" / "brief" / "praegnant-31.txt"
SHARED_BRIEF = ROOT.parent / "shared" / "seed" / "000_6c148218ca881051.txt"
ID = "https://w3id.org/bbmb/id/"
#: Source kinds that are the brief itself (sources.csv).
BRIEF_KINDS = ("document", "section", "figure")
NUMBER_WORDS = {1: "ein", 2: "zwei", 3: "drei", 4: "vier", 5: "fünf", 6: "sechs", 7: "sieben", 8: "acht",
                9: "neun", 10: "zehn", 12: "zwölf", 20: "zwanzig"}


def _norm(text: str) -> str:
    """Whitespace collapsed, typographic quotes and dashes made plain."""
    text = text.translate(str.maketrans({"„": '"', "“": '"', "”": '"', "–": "-", "\u00ad": None}))
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def brief() -> str:
    return BRIEF_FILE.read_text(encoding="utf-8")


def test_the_brief_kept_here_is_the_project_s_copy(brief):
    assert "Fehlen von Konzernzentralen" in brief and "Siemens Energy" in brief
    if SHARED_BRIEF.exists():  # beside the project (as in CI): the same text
        assert brief == SHARED_BRIEF.read_text(encoding="utf-8")


def quote_in(quote: str, text: str) -> bool:
    """The quote's parts (``...`` marks an ellipsis) are in ``text``, in this order."""
    text, at = _norm(text), 0
    for part in (p.strip() for p in _norm(quote).split("...")):
        if not part:
            continue
        found = text.find(part, at)
        if found < 0:
            return False
        at = found + len(part)
    return True


def named_in(name: str, text: str) -> bool:
    """A place's name, or its short form ('Fürstenwalde' for 'Fürstenwalde/Spree'), is in ``text``."""
    return quote_in(name, text) or quote_in(re.split(r"[/(]", name)[0].strip(), text)


def number_forms(value: Decimal) -> list[str]:
    """How the brief may write a number: 14.700, 14700, 1,05 Millionen, 4,3, acht."""
    a = abs(value)
    if a != a.to_integral_value():
        return [format(a.normalize(), "f").replace(".", ",")]
    n = int(a)
    forms = [str(n), f"{n:,}".replace(",", ".")]
    for unit, word in ((10 ** 9, "Milliarden"), (10 ** 6, "Millionen")):
        if n >= unit and n % (unit // 100) == 0:
            forms.append(format((Decimal(n) / unit).normalize(), "f").replace(".", ",") + " " + word)
    if n in NUMBER_WORDS:
        forms.append(NUMBER_WORDS[n])
    return forms


def number_in(value: Decimal, text: str) -> bool:
    text = _norm(text)
    return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d]|[.,]\d)", text, re.IGNORECASE)
               for f in number_forms(value))


#: The triples each brief graph holds, with the kind of check each needs.
BRIEF_TRIPLES = """
SELECT ?g ?s ?p ?o WHERE {
  ?g prov:wasDerivedFrom ?src . ?src bbmb:sourceKind ?kind FILTER(?kind IN (KINDS))
  GRAPH ?g { ?s ?p ?o }
}""".replace("KINDS", ", ".join(f'"{k}"' for k in BRIEF_KINDS))

WORDS = ("https://schema.org/legalName", "https://w3id.org/bbmb/def#quote")
NUMBERS = ("https://schema.org/value", "https://schema.org/minValue", "https://schema.org/maxValue",
           "http://purl.org/linked-data/sdmx/2009/measure#obsValue", "https://w3id.org/bbmb/def#amount",
           "https://w3id.org/bbmb/def#difference", "https://schema.org/foundingDate",
           "https://w3id.org/bbmb/def#year", "https://w3id.org/bbmb/def#referenceYear")
STATUS = "https://w3id.org/bbmb/def#status"
EXACT_MATCH = "http://www.w3.org/2004/02/skos/core#exactMatch"
IN_PLACE = "https://schema.org/containedInPlace"
FOUNDED_IN = "https://schema.org/foundingLocation"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
NAMES = ("http://www.w3.org/2000/01/rdf-schema#label", "https://schema.org/name",
         "http://www.w3.org/2004/02/skos/core#altLabel")
PLACE = "https://schema.org/Place"
#: The build's own words in the name of a head-office entry ("<firm> headquarters").
HEAD_OFFICE = re.compile(r" (headquarters|registered seat)$")


def brief_words(text: str) -> set[str]:
    """The brief's words as it spells them; a word also without its closing full stop, and its parts
    between dots ('Industrial.Group')."""
    out: set[str] = set()
    for word in _norm(text).split():
        word = word.strip(',;:()"!?')
        out |= {word, word.rstrip(".")} | set(word.split("."))
    return out


def spelt_as_in_brief(name: str, words: set[str]) -> bool:
    """Every word of ``name`` is spelt as the brief spells it (case and dots count: 'KORSCH', 'BerlinerLuft.'
    are not the brief's); a hyphenated word may join two of the brief's ('Berlin-Marienfelde')."""
    for word in _norm(HEAD_OFFICE.sub("", name)).split():
        word = word.strip(',;:()"')
        if word and word not in words and not all(part in words for part in word.split("-")):
            return False
    return True


def _iri(path: str) -> NamedNode:
    return NamedNode(ID + path)


def _names(store: Store) -> dict[str, dict]:
    """IRI -> German (or plain) label, kinds (as IRIs), for places, organisations and sites."""
    out: dict[str, dict] = {}
    rows = select(store, """SELECT ?x ?label ?type WHERE {
        ?x a ?type ; rdfs:label ?label FILTER(LANG(?label) IN ("", "de"))
        VALUES ?type { schema:Place bbmb:District org:Organization org:Site } }""")
    for r in rows:
        entry = out.setdefault(r["x"], {"label": r["label"], "types": set()})
        entry["types"].add(r["type"])
    return out


def brief_violations(store: Store, text: str) -> list[str]:
    """Every value in a named graph of the brief that the brief's text does not give."""
    names = _names(store)
    orgs = {r["site"]: r["org"] for r in select(store, "SELECT ?site ?org WHERE { ?site org:siteOf ?org }")}
    paragraphs = [_norm(p) for p in re.split(r"\n\s*\n", text)]
    words = brief_words(text)
    problems = []
    for r in select(store, BRIEF_TRIPLES):
        s, p, o, g = r["s"], r["p"], r["o"], r["g"].rsplit("/", 1)[-1]
        where = f"{g}: <{s}> <{p}> {o!r}"
        if p in WORDS and not quote_in(str(o), text):
            problems.append(f"{where}: words not in the brief")
        elif p in NUMBERS and not number_in(Decimal(str(o)), text):
            problems.append(f"{where}: number not in the brief")
        elif p == STATUS and s in names and "http://www.w3.org/ns/org#Organization" in names[s]["types"] \
                and not quote_in(str(o), text):
            problems.append(f"{where}: status not in the brief")
        elif p == EXACT_MATCH and str(o).startswith("http://www.wikidata.org/"):
            problems.append(f"{where}: the brief gives no Wikidata ids")
        elif p == FOUNDED_IN and not named_in(names[o]["label"], text):
            problems.append(f"{where}: founding place not named in the brief")
        elif p == IN_PLACE and s in orgs:
            place = names[o]
            if not named_in(place["label"], text):
                problems.append(f"{where}: the brief does not name {place['label']}")
            elif "https://w3id.org/bbmb/def#District" in place["types"]:
                # a district is the brief's only where it names it together with the firm
                firm = re.sub(r"[^\w ]", " ", names[orgs[s]]["label"]).split()[0].lower()
                if not any(named_in(place["label"], para) and re.search(rf"\b{re.escape(firm)}", para.lower())
                           for para in paragraphs):
                    problems.append(f"{where}: the brief does not place {names[orgs[s]]['label']} "
                                    f"in {place['label']}")
        elif p == COMMENT and s in names and re.search(r"external source|reference notes|not verified", str(o), re.I):
            problems.append(f"{where}: a note with an external fact")
        elif p in NAMES and PLACE not in names.get(s, {}).get("types", ()) and not spelt_as_in_brief(str(o), words):
            problems.append(f"{where}: a name not spelt as in the brief")
    return problems


def test_no_external_fact_is_in_a_brief_graph(built, brief):
    assert brief_violations(built.store, brief) == []


def test_the_check_finds_an_external_fact_filed_under_the_brief(data_copy, brief):
    """Without its companion source, a cell's value falls back to the row's (brief) source: caught."""
    for name, column in (("organizations.csv", "legal_name_source"), ("sites.csv", "place_source")):
        path = data_copy / name
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        index = header.index(column)
        for i, line in enumerate(lines):
            if line.startswith("rabofsky"):
                cells = line.split(",")
                assert cells[index] == "ext-rabofsky", (name, cells)
                cells[index] = ""
                lines[i] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = brief_violations(build(data_copy, ONTOLOGY).store, brief)
    assert any("Karl Rabofsky GmbH" in p and "brief-berlin" in p for p in problems), problems
    assert any("site/rabofsky-berlin" in p and "Marienfelde" in p for p in problems), problems
    assert len(problems) == 2, problems


def test_the_checks_read_the_brief_as_written(brief):
    assert quote_in("das Elektronikwerk ... Otis mit etwa 330 Beschäftigten", brief)
    assert not quote_in("mit etwa 330 Beschäftigten ... das Elektronikwerk", brief)  # the parts in the brief's order
    assert quote_in("Gesamt ... ostdeutscher Maschinenbau ... -19 %", brief)
    for value in ("14700", "1050000", "3040000000", "70000000000", "4.3", "-19", "5", "2024"):
        assert number_in(Decimal(value), brief), value
    for value in ("1927", "1994", "1200", "486", "380"):
        assert not number_in(Decimal(value), brief), value


def test_firm_profile_shows_rabofskys_district_under_the_external_source(built):
    result = query.run("firm-profile", built.store, {"firm": "rabofsky"})
    rows = result.records()
    place = [r for r in rows if str(r["about"]).endswith("/site/rabofsky-berlin")
             and str(r["property"]).endswith("containedInPlace")]
    assert [(str(r["value"]).rsplit("/", 1)[-1], str(r["source"]).rsplit("/", 1)[-1]) for r in place] == \
        [("berlin-marienfelde", "ext-rabofsky")]
    legal = [r for r in rows if str(r["property"]).endswith("legalName")]
    assert [str(r["source"]).rsplit("/", 1)[-1] for r in legal] == ["ext-rabofsky"]
    # the row's own facts stay under the brief
    described = {str(r["source"]).rsplit("/", 1)[-1] for r in rows
                 if str(r["about"]).endswith("/org/rabofsky") and str(r["property"]).endswith("description")}
    assert described == {"brief-berlin"}


@pytest.mark.parametrize("subject,prop,value,source", [
    ("org/kieback-peter", "https://schema.org/foundingDate", "1927", "ext-kieback"),
    ("org/pi4-robotics", "https://schema.org/foundingDate", "1994", "ext-pi4-1"),
    ("org/kocks-ardelt", STATUS, "insolvent", "ext-ardelt-1"),
    ("org/kieback-peter", FOUNDED_IN, ID + "place/berlin", "brief-brandenburg"),
    ("place/berlin", EXACT_MATCH, "http://www.wikidata.org/entity/Q64", "ref-notes"),
    ("place/berlin", "http://www.w3.org/2003/01/geo/wgs84_pos#lat", "52.5200", "geo-berlin"),
    ("wz2008/28.22", "http://www.w3.org/2004/02/skos/core#altLabel", "Hebezeuge und Fördermittel", "brief-abb5"),
    ("wz2008/28.22", "http://www.w3.org/2004/02/skos/core#prefLabel", "Herstellung von Hebezeugen und Fördermitteln",
     "wz2008"),
    ("event/wolffkran-luckau-opening", "https://w3id.org/bbmb/def#year", "2008", "ref-notes"),
    ("place/wiesloch-walldorf", COMMENT, "Heidelberger Druckmaschinen's head office and main plant, on the boundary "
     "of the towns Wiesloch and Walldorf", "ext-heidelberger-1"),
    ("org/rabofsky", "http://www.w3.org/2004/02/skos/core#altLabel", "Rabowsky", "brief-berlin"),
    ("org/rabofsky", "https://schema.org/name", "Rabofsky", "ext-rabofsky"),
])
def test_a_value_is_in_its_own_sources_graph(sparql, subject, prop, value, source):
    rows = sparql(f"SELECT ?s ?g ?o WHERE {{ GRAPH ?g {{ ?s <{prop}> ?o }} }}", s=_iri(subject))
    graphs = {r["g"].rsplit("/", 1)[-1] for r in rows
              if (Decimal(value) == r["o"] if isinstance(r["o"], Decimal) else str(r["o"]) == value)}
    assert graphs == {source}, rows
    # and the entity is derived from that source too
    assert sparql("SELECT ?s ?src WHERE { ?s prov:wasDerivedFrom ?src }", s=_iri(subject),
                  src=_iri(f"source/{source}"))


def test_a_companion_source_left_out_of_the_header_reads_as_empty(data_copy):
    path = data_copy / "places.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    drop = rows[0].index("nuts_source")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([c for j, c in enumerate(r) if j != drop] for r in rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    tables = read_tables(data_copy)
    berlin = tables.keys("places")["berlin"]
    assert berlin["nuts_source"] == "" and berlin.sources_of("nuts") == ["admin"]
    assert berlin.sources_of("lat") == ["geo-berlin"]



def test_a_folder_written_before_alt_name_still_reads(data_copy):
    """alt_name was added to organizations.csv after data folders were written: a header without it reads."""
    path = data_copy / "organizations.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    drop = {rows[0].index("alt_name"), rows[0].index("alt_name_source")}
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([c for j, c in enumerate(r) if j not in drop] for r in rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    rabofsky = read_tables(data_copy).keys("organizations")["rabofsky"]
    assert (rabofsky["name"], rabofsky["alt_name"], rabofsky.sources_of("name")) == ("Rabofsky", "", ["ext-rabofsky"])


def test_the_administrative_geography_states_nothing_about_a_firm(built):
    """The 'admin' source is common knowledge of administrative units: a firm's facts are not in its graph."""
    firms = {r["name"] for r in select(built.store, """SELECT DISTINCT ?name WHERE {
        ?o a org:Organization ; rdfs:label|skos:altLabel|schema:legalName ?name }""")}
    said = select(built.store, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(ISLITERAL(?o)) }",
                  {"g": NamedNode(ID + "graph/admin")})
    assert said, "the admin graph is empty"
    about_firms = [(r["s"], r["o"]) for r in said
                   if any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", str(r["o"])) for name in firms)]
    assert about_firms == []


def _set_cell(path, row_id: str, column: str, value: str) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        if row["id"] == row_id:
            row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.mark.parametrize("place_source,expected", [("", "brief-berlin"), ("ref-notes", "ref-notes")])
def test_an_empty_companion_means_the_rows_source_for_every_consumer(data_copy, place_source, expected):
    """ASML's Britz site (a head office, source brief-berlin): its place's source is place_source, or where
    that is empty the row's source, alike in the build's graphs, the derived place of control (which took
    the row's source even where place_source was filled) and the hq view."""
    from kg.derive.control import candidates_of
    from kg.views.hq import hq_view

    _set_cell(data_copy / "sites.csv", "asml-britz", "place_source", place_source)
    row = read_tables(data_copy).keys("sites")["asml-britz"]
    assert (row["place"], row["source"], row.sources_of("place")) == ("berlin-britz", "brief-berlin", [expected])
    store = build(data_copy, ONTOLOGY).store
    graphs = {r["g"] for r in select(store, "SELECT ?s ?g WHERE { GRAPH ?g { ?s schema:containedInPlace ?p } }",
                                     {"s": NamedNode(ID + "site/asml-britz")})}
    assert graphs == {ID + f"graph/{expected}"}
    candidates = [c for cs in candidates_of(read_tables(data_copy), set()).values() for c in cs
                  if c.place == "berlin-britz" and c.basis == "headquarters"]
    assert [c.sources for c in candidates] == [(expected,)]
    # the view cites the site's sources: its row's and those its filled companion cells name
    edge = hq_view(store).edges[ID + "org/asml-berlin", ID + "place/berlin-britz"]
    cited = edge["source"].split(";")
    assert edge["label"] == "headquartered in" and expected in cited and cited == sorted(row.all_sources())
    assert ("ref-notes" in cited) == bool(place_source)
