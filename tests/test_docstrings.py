"""The examples in kg's docstrings run and say what they print: documentation that cannot go stale."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import kg

#: every module but the model's data package and `python -m kg` (which runs the command line when imported)
MODULES = sorted(m.name for m in pkgutil.walk_packages(kg.__path__, "kg.")
                 if not m.name.startswith("kg._model") and m.name != "kg.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_the_docstrings_run(name, monkeypatch):
    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)  # examples read data/ as a user in a checkout would
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples fail"
