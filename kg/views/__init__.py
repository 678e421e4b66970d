"""RDF -> networkx: the documented projections of the graph that the pictures are drawn from.

The package follows the pipeline, each module one step, none importing a later one:
``catalogue`` (read the store once, the derived facts included), ``nodes`` (a node's attributes and
facts), ``lines`` (a view's lines held aside as numbers, where only its aggregated page is drawn), one module
a view (``hq``, ``clusters``, ``full``), then the presentation applied once by ``present`` (``style``:
colours, shapes, legends; ``layout``: the map and the force layout) and ``budget`` (aggregation past the
node budget). A new view is a module with a function
``(store, *, region, catalog) -> nx.Graph`` ending in ``present._finish``, registered in ``VIEWS``.

Three views, each built from a handful of SPARQL queries over the whole store (never one
query a node), so that they stay fast at 100,000 firms:

``hq_view`` (a ``DiGraph``) -- the absence of headquarters in the region.
    The region is the one the build chose (:func:`kg.rules.default_region`) unless ``region`` names one.
    Nodes: the region's *sites* (plants, service centres, offices; not the head-office
    entries made from the organisations table), their *firms*, the firms' *parent groups*
    up to the ultimate parent, and the *places* where those firms and groups have their
    headquarters.  Edges: site -> firm (``org:siteOf``), firm -> parent
    (``org:subOrganizationOf``, with the source's certainty), organisation -> place of its
    headquarters (``org:hasPrimarySite``).  Every site, firm and place is marked by where
    control sits (``control``): ``inside`` (in Berlin-Brandenburg), ``germany`` (elsewhere in
    Germany; ``control_area`` names the Land), ``abroad`` (``control_area`` names the country)
    or ``unknown``.  Firms run from headquarters in the region (their own, or a regional
    parent's) have ``local_hq = True`` and are drawn as stars.  Places get ``controlled_headcount``: the
    regional jobs run from there.  Past the node budget the map is drawn as symbols (``symbols``,
    :data:`kg.views.hq.MAP_SYMBOLS`): a Land's sites and firms by place of control, and each place of control
    with the groups run from there.

``clusters_view`` (a ``Graph``) -- firms tied together.
    Nodes: the firms with a site or their headquarters in the region.  An edge joins two firms
    that share at least one tie; ``weight`` is the number of shared ties, ``ties`` lists them.
    The ties are those the build derived (:func:`kg.rules.firm_ties`, ``bbmb:sharesTie``; the
    saved query ``cluster-links`` lists the same): a subsector shared in the same municipality
    (a local industry cluster), the same holding or controlling group, or the same campus or
    technology park (as member, operator, or by an operating site in its place).  Peer groups
    (the "big four" lift makers) are market peers, not regional ties, and are left out.  A tie the build
    made a hub (shared by more than ``CLIQUE_LIMIT`` = :data:`kg.rules.TIE_PAIR_LIMIT` firms,
    :func:`kg.rules.tie_form`) is drawn as a hub node (``type`` "tie") linked to each of them, as
    ``cluster-links`` lists it.  Its ``headline`` counts those ties and the firms sharing one over every
    firm in the data (:func:`kg.rules.count_ties`, :func:`kg.views.clusters.ties_sentence`).  Built for a
    page alone and past its node budget (``page_budget``), it holds its lines aside, as the full view does.

``full_view`` (a ``MultiDiGraph``) -- every typed node and relation.
    Every entity typed in a data graph (the ontology graph is left out) is a node; every
    triple between two such nodes is an edge keyed by its property (``org:hasSite``, ...).  Built for a page
    alone and past its node budget (``page_budget``), it holds those lines aside instead, as numbers
    (:class:`kg.views.lines.HeldLines`, the graph attribute ``lines_aside``), for the aggregation to merge.

Node attributes (present where the data has them; absent, never ``None``):

=====================  ==========================================================================
``label``              display name; ``label_de`` / ``label_en`` where the data has both languages
``type``               site, firm, group, place, cluster (full view: the class, e.g. ``bbmb:Firm``)
``subsector``          WZ 2008 code(s), ``;``-separated; ``subsector_label`` / ``..._label_de``
``land``               the Land (German federal state) a site, place or firm's site lies in
``place``              the place's label; ``lat`` / ``long`` its coordinates (WGS84)
``functions``          a site's functions (production, service, rnd, ...), ``;``-separated
``control``            inside | germany | abroad | unknown (:func:`kg.rules.control_class` of the derived
                       ``bbmb:controlPlace``); ``outside`` True where that class is run from outside the
                       region (:func:`kg.rules.is_outside`); ``control_area`` the Land or country;
                       ``control_place`` its label; ``controlled_by`` the ultimate parent's label
``local_hq``           True for a firm run from the region (its own headquarters, or its parent's,
                       lies in it): the exception to the absence of headquarters
``headcount``          the head-count every output uses (``bbmb:employees``, derived by the build from
                       the rules of :mod:`kg.rules`); ``headcount_note`` lists the sources' figures
``source``             the ids of the sources, ``;``-separated (``data/sources.csv``)
``iri``, ``shape``     the node's IRI (also its id); its vis-network shape (star: run from the region)
``color``, ``size``    the default colouring and size; ``color_subsector``, ``color_control``
``force_x``,           force layout, ``geo_x``, ``geo_y`` geographic layout, both with y pointing up
``force_y``            (north up, as Gephi and sigma.js read them; the page flips them) (region in the
                       centre, other places in their true direction at a compressed distance); never
                       ``x`` / ``y``, which Gephi would take for its own position columns
``viz``                colour, size, shape (:data:`~kg.views.style.GEXF_SHAPES`) and position for GEXF
                       (dropped for GraphML); the position is the geographic layout in the hq view (its
                       story is where control sits), else the force layout
``start``, ``end``     a dated site's first and last day (ISO dates, :func:`kg.views.nodes.spell_attrs` of its
                       ``opened`` and ``closed``); absent where the data does not date it (it holds throughout)
``facts``              the node's facts with their sources, for the HTML side panel (HTML only)
=====================  ==========================================================================

Edge attributes: ``relation`` (the RDF property as a CURIE), ``label``, ``source``, and
``certainty`` / ``weight`` / ``ties`` / ``jobs`` (hq: the regional jobs run along it) where they apply;
as drawn (:func:`~kg.views.style.edge_look`, for the page and GEXF alike): ``width`` (1 to 10, by the jobs,
else by the ties), ``color`` (the kind of tie; hq: where control of its source node sits), ``dashed``, and
``viz`` (colour with opacity, thickness, ``dashed`` shape; dropped for GraphML).  A line that states a dated
parent (hq: subsidiary of; full: ``org:subOrganizationOf``, ``schema:parentOrganization``,
``org:hasSubOrganization``) has the ``start`` and ``end`` of ``parent_since`` and ``parent_until``, an hq line
from a dated site to its firm the site's.

    >>> from kg.build import build
    >>> g = hq_view(build().store)                        # doctest: +SKIP
    >>> g.nodes["https://w3id.org/bbmb/id/org/zf"]["control_area"]   # doctest: +SKIP
    'Baden-Württemberg'
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import networkx as nx
from pyoxigraph import Store

from ..collector import collection_paused
from ..errors import InvalidArgument
from .budget import AGGREGATE_BY, NODE_BUDGET, within_budget
from .catalogue import Catalog, curie, place_key, source_key
from .clusters import CLIQUE_LIMIT, clusters_view
from .full import FullQueries, full_view
from .hq import control_headline, hq_view
from .layout import FORCE_LAYOUT_LIMIT, force_layout, geographic_layout, region_areas
from .lines import line_count
from .style import CONTROL_COLORS, PALETTE, SHAPES, headcount_size, legend

__all__ = ["AGGREGATE_BY", "CLIQUE_LIMIT", "CONTROL_COLORS", "FORCE_LAYOUT_LIMIT", "NODE_BUDGET", "PAGES", "PALETTE",
           "SHAPES", "VIEWS", "Catalog", "build_views", "clusters_view", "collection_paused", "control_headline",
           "curie", "force_layout", "full_view", "geographic_layout", "headcount_size", "hq_view", "legend",
           "line_count", "place_key", "region_areas", "source_key", "within_budget"]


VIEWS: dict[str, Callable[..., nx.Graph[str]]] = {"hq": hq_view, "clusters": clusters_view, "full": full_view}
#: The pages that are not networks: drawn from the saved queries' rows (``report``: :mod:`kg.report`).
#: ``kg viz`` writes them (``kg viz all`` too); ``kg export`` does not, having no graph to export.
PAGES: tuple[str, ...] = ("report",)


def build_views(store: Store, names: Iterable[str] = VIEWS, region: str | None = None,
                inset: str | None = None, page_budget: int | None = None,
                saved: str | Path | None = None) -> dict[str, nx.Graph[str]]:
    """Several views from one reading of the store; ``inset`` (a place's IRI) the hq map's enlarged place;
    ``saved`` the folder of the build's on-disk store ``store``, where the catalogue's answers are read from the
    copy the build saved (:class:`kg.views.catalogue.Catalog`).

    ``page_budget``: the views are only drawn as pages of at most that many nodes (no graph file is written), so
    the full and clusters views leave out what such a page never draws (:func:`kg.views.full.full_view`,
    :func:`kg.views.clusters.clusters_view`)."""
    names = list(names)
    for name in names:
        if name not in VIEWS:
            raise InvalidArgument(f"unknown view {name!r}; choose from {', '.join(VIEWS)}")
    with collection_paused():
        # the full view's queries first, in a thread: the engine answers them while the rest is built
        full = FullQueries(store) if "full" in names else None
        cat = Catalog(store, region, saved)
        out = {}
        for name in names:
            options: dict[str, object] = {}
            if inset and name == "hq":
                options["inset"] = inset
            if name == "full":
                options["queries"] = full
            if name in ("full", "clusters") and page_budget is not None:
                options["page_budget"] = page_budget
            out[name] = VIEWS[name](store, catalog=cat, **options)
    return out
