"""Knowledge graph of firms and sectors for regional industry analysis.

The pipeline, one module a step:

    kg.tables   read and check the CSV tables of data/
    kg.build    tables + ontology -> RDF dataset (one named graph per source)
    kg.validate SHACL shapes and the data-quality report
    kg.store    the embedded Oxigraph store, RDF files, the rdflib API

Where the files come from: kg.resources (./data, ./ontology and ./queries when there, else the
copies packaged with kg).  The command line: kg.cli (``kg --help``).  Every error a user can fix is a
kg.errors.KgError (data tables, queries, outputs, servers), with the exit code of the command.
"""
from importlib.metadata import PackageNotFoundError, version

from .build import BuildResult, build
from .errors import KgError
from .tables import DataError, DataErrors, read_tables

#: The distribution's name on the package index ("kg" there is an unrelated project); the command is ``kg``.
DISTRIBUTION = "bbmb-kg"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["build", "BuildResult", "read_tables", "DataError", "DataErrors", "KgError", "DISTRIBUTION",
           "__version__"]
