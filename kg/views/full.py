"""The full view: every typed node of the data graphs and every relation between them."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import networkx as nx
from pyoxigraph import Store

from ..namespaces import ONTOLOGY_IRI
from ..query import resource_rows, select_terms
from .catalogue import Catalog, _catalog, curie
from .lines import LINES_ASIDE, HeldLines
from .nodes import _org_node, _place_node, _site_node, spell_attrs
from .present import _finish
from .style import _TYPE_ORDER, NEUTRAL, TYPE_COLORS

_ONTOLOGY = f"<{ONTOLOGY_IRI}>"
#: The full view's queries: every entity typed in a data graph (the ontology's graph left out), and every
#: relation from one to an IRI (the lines; those to an untyped IRI are left out as they are read).
TYPED_QUERY = f"SELECT ?s ?t WHERE {{ GRAPH ?g {{ ?s a ?t }} FILTER(?g != {_ONTOLOGY} && isIRI(?s)) }}"
LINES_QUERY = (f"SELECT ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
               f"FILTER(?g != {_ONTOLOGY} && isIRI(?o) && ?p != rdf:type) }}")

#: The properties that state an organisation's parent, from the child (the first) or from the parent.
_PARENT_OF = {"org:subOrganizationOf": True, "schema:parentOrganization": True, "org:hasSubOrganization": False}


def _parent_spell(cat: Catalog, s: str, o: str, relation: str) -> dict[str, str]:
    """The spell of a line that states a dated parent (:func:`kg.views.nodes.spell_attrs`), else nothing."""
    if relation not in _PARENT_OF:
        return {}
    child, parent = (s, o) if _PARENT_OF[relation] else (o, s)
    org = cat.orgs.get(child)
    return spell_attrs(org.parent_since, org.parent_until) if org and org.parent == parent else {}


class FullQueries:
    """The full view's two queries (:data:`TYPED_QUERY`, then :data:`LINES_QUERY`), asked of the store as soon as
    this is made, in a thread of their own: the engine evaluates a query and writes its answer without Python's
    lock (at 100,000 firms, 20 s for the two million lines), so that meanwhile the catalogue and the other views
    are built, and the view its nodes.  An error of a query is raised where the view reads its rows.
    """

    def __init__(self, store: Store) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="full-view")
        self._typed = pool.submit(select_terms, store, TYPED_QUERY)
        self._lines = pool.submit(select_terms, store, LINES_QUERY)
        pool.shutdown(wait=False)  # the thread ends once it has asked both

    def typed(self) -> Iterator[list[str]]:
        """The rows of :data:`TYPED_QUERY` (entity, class: IRIs), once asked."""
        return resource_rows(self._typed.result())

    def lines(self) -> Iterator[list[str]]:
        """The rows of :data:`LINES_QUERY` (subject, property, object), once asked, as the engine writes them
        (:func:`kg.query.select_terms`: an IRI ``<iri>``, a blank node ``_:id``)."""
        return self._lines.result()


def full_view(store: Store, *, region: str | None = None, catalog: Catalog | None = None,
              page_budget: int | None = None, queries: FullQueries | None = None) -> nx.MultiDiGraph[str]:
    """Every entity typed in a data graph, and every relation between two of them (keyed by property).

    ``page_budget``: the view is only drawn as a page of at most that many nodes (no graph file): past it the page
    draws groups and their lines merged by relation (:func:`kg.views.within_budget`), never the view's own lines,
    so those are held aside (:mod:`kg.views.lines`), not made edges (at 100,000 firms, two million lines).
    ``queries``: its queries, asked ahead (:func:`kg.views.build_views` asks them before the catalogue is read);
    else asked now."""
    queries = queries or FullQueries(store)
    cat = _catalog(store, catalog, region)
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph(name="full", title="The whole graph: every typed node and relation",
                                              color_by="type",
                        edge_legend="→ an RDF property (click an edge for its name)")
    types: dict[str, set[str]] = defaultdict(set)
    short = cache(curie)  # a class's or property's prefixed name, once each (millions of rows, a few dozen)
    for thing, cls in queries.typed():
        types[thing].add(short(cls))
    order = {t: i for i, t in enumerate(_TYPE_ORDER)}
    for iri in sorted(types):
        kinds = types[iri]
        main = min(kinds, key=lambda t: (order.get(t, len(order)), t))
        attrs: dict[str, Any] = {"type": main, "types": ";".join(sorted(kinds)), "label": cat.label(iri), "iri": iri,
                                 "color_type": TYPE_COLORS.get(main, NEUTRAL)}
        names = cat.labels.get(iri, {})
        if "de" in names:
            attrs["label_de"] = names["de"]
        if "en" in names:
            attrs["label_en"] = names["en"]
        if iri in cat.orgs:
            attrs.update({k: v for k, v in _org_node(cat, iri, "firm").items() if k not in ("type", "label")})
        elif iri in cat.sites:
            attrs.update({k: v for k, v in _site_node(cat, cat.sites[iri]).items() if k not in ("type", "label")})
        elif iri in cat.places:
            attrs.update({k: v for k, v in _place_node(cat, iri).items() if k not in ("type", "label")})
        else:
            sources = cat.sources_of.get(iri, [])
            attrs["source"] = ";".join(sources)
            attrs["facts"] = [{"k": "type", "v": attrs["types"], "src": sources}]
        g.add_node(iri, **attrs)
    if page_budget is None or g.number_of_nodes() <= page_budget:
        for s, prop, o in resource_rows(queries.lines()):
            if s in types and o in types:
                p = short(prop)
                g.add_edge(s, o, key=p, relation=p, label=p.split(":", 1)[-1], **_parent_spell(cat, s, o, p))
    else:  # past the page's budget its lines are only merged by relation (kg.views.budget): held aside
        g.graph[LINES_ASIDE] = HeldLines.of_terms(g.nodes, queries.lines(), short)
    _finish(g, cat, sizes=lambda d: d.get("headcount"))
    return g
