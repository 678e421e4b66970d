"""Knowledge graph of firms and sectors for regional industry analysis.

The pipeline, one module a step:

    kg.tables   read and check the CSV tables of data/
    kg.build    tables + ontology -> RDF dataset (one named graph per source)
    kg.validate SHACL shapes and the data-quality report
    kg.store    the embedded Oxigraph store, RDF files, the rdflib API
"""
from .build import BuildResult, build
from .tables import DataError, DataErrors, read_tables

__all__ = ["build", "BuildResult", "read_tables", "DataError", "DataErrors"]
