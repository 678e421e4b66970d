"""The views' catalogue (kg.views.catalogue) reads one property at a time and joins the scans itself: what it
holds must be what the joins say, written as SPARQL (the definitions below), on the brief's data and on a
synthetic region."""
from __future__ import annotations

from collections import defaultdict

from kg.query import select
from kg.views.catalogue import Catalog

#: The catalogue's joins as the engine would answer them: a site, with its firm and place; its functions' codes;
#: an organisation's subsector codes; its control; a head-count figure's parts; the figure the build chose.
DEFINITIONS = {
    "sites": "SELECT ?s ?o ?p WHERE { ?s a org:Site ; org:siteOf ?o ; schema:containedInPlace ?p }",
    "functions": "SELECT ?s ?n WHERE { ?s a org:Site ; bbmb:siteFunction ?f . ?f skos:notation ?n }",
    "codes": "SELECT ?o ?code WHERE { ?o a org:Organization ; org:classification ?c . ?c skos:notation ?code }",
    "control": "SELECT ?o ?c ?p ?b WHERE { ?o bbmb:controlledBy ?c "
               "OPTIONAL { ?o bbmb:controlPlace ?p } OPTIONAL { ?o bbmb:controlBasis ?b } }",
    "headcounts": "SELECT ?s ?v ?min ?max ?a ?y WHERE { ?s schema:numberOfEmployees ?h . "
                  "OPTIONAL { ?h schema:value ?v } OPTIONAL { ?h schema:minValue ?min } "
                  "OPTIONAL { ?h schema:maxValue ?max } OPTIONAL { ?h bbmb:approximation ?a } "
                  "OPTIONAL { ?h bbmb:referenceYear ?y } }",
    "employees": "SELECT ?s ?n ?b WHERE { ?s bbmb:employees ?n OPTIONAL { ?s bbmb:employeesBasis ?b } }",
    "periods": "SELECT ?s ?start ?end WHERE { ?s a org:Site "
               "OPTIONAL { ?s schema:startDate ?start } OPTIONAL { ?s schema:endDate ?end } }",
}


def _rows(store, name):
    return select(store, DEFINITIONS[name], lexical=True)


def test_the_catalogue_holds_what_its_joins_define(region_store):
    cat = Catalog(region_store)
    assert {iri: (s.org, s.place) for iri, s in cat.sites.items()} == \
        {r["s"]: (r["o"], r["p"]) for r in _rows(region_store, "sites")}
    functions = defaultdict(list)
    for r in _rows(region_store, "functions"):
        functions[r["s"]].append(r["n"])
    assert {iri: s.functions for iri, s in cat.sites.items() if s.functions} == \
        {s: sorted(codes) for s, codes in functions.items()}
    codes = defaultdict(list)
    for r in _rows(region_store, "codes"):
        codes[r["o"]].append(r["code"])
    assert {iri: o.codes for iri, o in cat.orgs.items() if o.codes} == {o: sorted(c) for o, c in codes.items()}
    assert set(cat.subsectors) == {c for cs in codes.values() for c in cs}
    assert {iri: (o.controller, o.control_place, o.control_basis) for iri, o in cat.orgs.items() if o.controller} \
        == {r["o"]: (r["c"], r["p"], r["b"] or "") for r in _rows(region_store, "control")}
    figures = {(s, (h.value, h.minimum, h.maximum, h.approx, h.year)) for s, hs in cat.headcounts.items() for h in hs}
    assert figures == {(r["s"], tuple(int(r[k]) if r[k] else None for k in ("v", "min", "max"))
                        + (r["a"] or "exact", int(r["y"][:4]) if r["y"] else None))
                       for r in _rows(region_store, "headcounts")}
    assert {s: (n, cat.employees_basis[s]) for s, n in cat.employees.items()} == \
        {r["s"]: (int(r["n"]), r["b"] or "") for r in _rows(region_store, "employees")}
    assert {iri: (s.opened, s.closed) for iri, s in cat.sites.items()} == \
        {r["s"]: (r["start"] or "", r["end"] or "") for r in _rows(region_store, "periods") if r["s"] in cat.sites}
    # the data holds what is compared: not a comparison of empty sets
    assert cat.sites and functions and codes and figures and cat.employees
    assert any(o.controller for o in cat.orgs.values())


def test_a_classified_thing_that_is_no_organisation_is_left_out_of_the_subsectors(built):
    """Data may classify a site too (org:classification is not only for organisations): the catalogue reads the
    subsector codes of organisations, and a view still draws."""
    from pyoxigraph import NamedNode, Quad, Store

    from kg.namespaces import ORG

    store = Store()
    store.extend(built.store.quads_for_pattern(None, None, None))
    site = next(iter(Catalog(built.store).sites))
    classification = NamedNode(ORG.classification.value)
    concept = next(built.store.quads_for_pattern(None, classification, None)).object
    store.add(Quad(NamedNode(site), classification, concept))
    cat, before = Catalog(store), Catalog(built.store)
    assert site in cat.sites and site not in cat.orgs
    assert {iri: o.codes for iri, o in cat.orgs.items()} == {iri: o.codes for iri, o in before.orgs.items()}
    assert cat.subsectors == before.subsectors


def test_the_ties_are_read_when_a_view_asks_for_them_from_the_saved_answers_as_from_the_store(built, tmp_path):
    """The hq view never reads the ties (a third of the catalogue's rows); the clusters view does, and gets the
    build's ties, from the answers saved beside a store or asked of the store."""
    from kg.views import hq_view
    from kg.views.catalogue import save_catalogue

    save_catalogue(built.store, tmp_path)
    saved, asked = Catalog(built.store, saved=tmp_path), Catalog(built.store)
    hq_view(built.store, catalog=saved)
    assert "_tie_reading" not in vars(saved)
    assert saved.ties == asked.ties and saved.tie_forms == asked.tie_forms
    firms_tied = {row["f"] for row in select(built.store, "SELECT ?f WHERE { ?f bbmb:sharesTie ?t }", lexical=True)}
    assert set(saved.ties) == firms_tied and len(firms_tied) > 10
