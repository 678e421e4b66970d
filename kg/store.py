"""The embedded store: an in-memory Oxigraph dataset, with the rdflib API on top for users.

Oxigraph answers the saved queries in milliseconds where rdflib's Memory store takes
seconds to minutes past a few thousand firms; :func:`as_rdflib` hands the same store to
rdflib (through oxrdflib) for notebook users who want the rdflib API.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store, parse

from .files import atomic_write
from .namespaces import PREFIXES

#: The RDF files a build writes, by format name: (file name, format, whole dataset?).
#: TriG and N-Quads keep one named graph per source; the others hold the merged graph.
RDF_OUTPUTS: dict[str, tuple[str, RdfFormat, bool]] = {
    "turtle": ("kg.ttl", RdfFormat.TURTLE, False),
    "trig": ("kg.trig", RdfFormat.TRIG, True),
    "ntriples": ("kg.nt", RdfFormat.N_TRIPLES, False),
    "nquads": ("kg.nq", RdfFormat.N_QUADS, True),
    "jsonld": ("kg.jsonld", RdfFormat.JSON_LD, False),
}


def union_triples(store: Store) -> Iterable:
    """Every distinct triple of the dataset, whatever its graph (the merged graph)."""
    return store.query("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


def write_rdf(store: Store, out: str | Path, formats: Iterable[str] = RDF_OUTPUTS,
              progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write the dataset in each format; each file is replaced atomically."""
    from pyoxigraph import serialize

    out = Path(out)
    written = []
    triples = None
    for name in formats:
        filename, fmt, whole_dataset = RDF_OUTPUTS[name]
        path = out / filename
        with atomic_write(path) as handle:
            if whole_dataset:
                store.dump(handle, fmt, prefixes=PREFIXES)
            else:
                if triples is None:
                    triples = list(union_triples(store))
                serialize(triples, handle, fmt, prefixes=PREFIXES)
        written.append(path)
        if progress:
            progress(f"wrote {path}")
    return written


def load(path: str | Path) -> Store:
    """Open a built dataset (TriG, N-Quads, Turtle, N-Triples) in a new in-memory store."""
    path = Path(path)
    store = Store()
    fmt = RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"{path}: unknown RDF file extension; use .trig, .nq, .ttl or .nt")
    store.bulk_load(path=str(path), format=fmt)
    return store


def as_rdflib(store: Store):
    """The same data as an rdflib ``Dataset`` (backed by Oxigraph through oxrdflib)."""
    from oxrdflib import OxigraphStore
    from rdflib import Dataset

    return Dataset(store=OxigraphStore(store=store), default_union=True)


def to_rdflib_graph(store: Store):
    """A plain rdflib ``Graph`` (Memory store) of the merged triples; for pySHACL and small data."""
    from pyoxigraph import serialize
    from rdflib import Graph

    graph = Graph()
    graph.parse(data=serialize(union_triples(store), format=RdfFormat.N_TRIPLES), format="nt")
    return graph
