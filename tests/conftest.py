"""Shared fixtures: the graph built from the real data, once per test session, and the working folder.

Every test runs in a working folder of its own session (:func:`workdir`: links to the repository's
``data/``, ``ontology/`` and ``queries/``, no ``out/``), never in the repository: what ``make run``
left in the repository's ``out/`` (a build, an old one, one cut short) cannot change a test's
answer, and no test writes into it.  A command a test starts in another process gets
``cwd=workdir`` for the same reason.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from pyoxigraph import Variable

from kg.build import BuildResult, build
from kg.namespaces import PREFIXES
from kg.query import select

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ONTOLOGY = ROOT / "ontology"
#: Screenshots and other artefacts that tests save for people to look at.
TEST_OUTPUT = ROOT / "test-output"


def require_system_package(command: str, package: str) -> str:
    """The path of a command from a Debian package; skip where it cannot be had, fail in CI."""
    path = shutil.which(command)
    if path:
        return path
    message = f"'{command}' not found: install Debian's {package} (make test does this when run as root)"
    if os.environ.get("CI"):
        pytest.fail(message + " - in CI it must be installed, not skipped")
    pytest.skip(message)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    """A folder like a fresh checkout: ``./data``, ``./ontology`` and ``./queries`` are the repository's."""
    work = tmp_path_factory.mktemp("workdir")
    for name in ("data", "ontology", "queries"):
        (work / name).symlink_to(ROOT / name)
    return work


@pytest.fixture(autouse=True)
def _run_in_workdir(workdir, monkeypatch) -> None:
    """Commands run in a test read and write ``./out`` of :func:`workdir`, not the repository's."""
    monkeypatch.chdir(workdir)


@pytest.fixture(scope="session")
def built() -> BuildResult:
    return build(DATA, ONTOLOGY)


@pytest.fixture(scope="session", params=["brief", "synthetic"])
def region_store(request, built, tmp_path_factory):
    """The brief's graph, then a synthetic region's of 1,000 firms (:func:`kg.synth.synthesize`), each built once."""
    if request.param == "brief":
        return built.store
    from kg.synth import synthesize

    folder = tmp_path_factory.mktemp("synthetic")
    synthesize(folder / "data", 1_000, seed=5)
    return build(folder / "data").store


@pytest.fixture(scope="session")
def sparql(built):
    """Run a SELECT query on the built graph; returns a list of dicts of Python values."""
    return lambda query, **bindings: select(built.store, query, bindings)


@pytest.fixture(scope="session")
def sparql_ask(built):
    """Run an ASK query on the built graph."""
    return lambda query, **bindings: bool(built.store.query(
        query, use_default_graph_as_union=True, prefixes=PREFIXES,
        substitutions={Variable(k): v for k, v in bindings.items()} or None))


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of data/ that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


#: How the browser tests start Debian's Chromium: no sandbox (root in CI), nothing that calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (its own browser download is not used), one per test file."""
    from playwright import sync_api as playwright_api

    executable = require_system_package("chromium", "chromium")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()
