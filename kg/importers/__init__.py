"""Open registers into the data tables: ``kg import bods FILE.json``, ``kg import gleif LEVEL1.csv [LEVEL2.csv]``,
``kg import wikidata --region PLACE``.

One module a register, behind one small interface: a register's ``read`` turns its files into a
:class:`~kg.importers.model.Batch` (sources, entities, parent relations, what was skipped), and
:func:`~kg.importers.merge.merge` matches the batch to a data folder and writes the rows, every value
under the source of the record it comes from.

Example (what ``kg import bods register.json --data my-region`` does)::

    from kg.importers import bods, merge
    report = merge.merge("my-region", bods.read("register.json"))
"""
from __future__ import annotations

from .merge import REVIEW, Report, merge
from .model import Address, Batch, Entity, Headcount, Relation, Source

__all__ = ["REVIEW", "Address", "Batch", "Entity", "Headcount", "Relation", "Report", "Source", "merge"]
