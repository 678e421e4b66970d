"""The wheel works outside the checkout: it ships the model, the saved queries and the example region's data.

A wheel is built from the repository's files (copied to a temporary folder, so that the checkout
gets no build/ folder), installed into a fresh virtual environment outside the checkout, and the
``kg`` command of that environment runs ``kg build``, ``kg query hq-absence``, ``kg viz all`` and
``kg export gexf`` from an empty folder, on the data packaged with it.

The fresh environment gets the runtime dependencies from the environment running the tests (a
``.pth`` file naming a folder of links to its packages, this project's own install left out), so
the test needs no network for them; ``pip check`` then proves that the wheel's declared
dependencies are all there.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SOURCES = ("pyproject.toml", "README.md", "kg", "data", "ontology", "queries")


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout[-3000:]}\n" \
                                 f"{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheels")
    run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--quiet", "-w", str(out)], cwd=src)
    wheels = list(out.glob("bbmb_kg-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_the_wheel_ships_the_model_the_queries_and_the_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in (("data", ".csv"), ("ontology", ".ttl"), ("queries", ".rq")):
        expected = {f"kg/_model/{folder}/{p.name}" for p in (ROOT / folder).iterdir() if p.name.endswith(pattern)}
        assert expected and expected <= names, expected - names
    assert "kg/resources.py" in names and "kg/cli_init.py" in names
    assert "kg/tables.toml" in names  # the tables' declaration: kg cannot read a table without it


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment outside the checkout with the wheel installed; returns its bin/."""
    home = tmp_path_factory.mktemp("venv")
    env_dir = home / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=home).stdout.strip())
    # the runtime dependencies: links to the packages of the environment running the tests, not kg itself
    deps = home / "deps"
    deps.mkdir()
    ours = ("kg", "bbmb_kg", "__editable__", "kg-", "kg.egg", "_virtualenv", "distutils-precedence")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(ours) or entry.suffix == ".pth" or entry.name in ("pip", "setuptools") \
                or entry.name.startswith(("pip-", "setuptools-")):
            continue
        (deps / entry.name).symlink_to(entry)
    (site / "zz-test-deps.pth").write_text(str(deps) + "\n")
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], cwd=home)
    run([str(python), "-m", "pip", "check"], cwd=home)
    return env_dir / "bin"


def test_the_installed_kg_runs_from_an_empty_folder_on_the_packaged_data(installed, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KG_BASE")}
    env["PATH"] = f"{installed}{os.pathsep}{env.get('PATH', '')}"
    kg = str(installed / "kg")

    where = run([str(installed / "python"), "-c", "import kg; print(kg.__file__)"], cwd=work, env=env).stdout
    assert str(ROOT) not in where, f"kg imported from the checkout: {where}"

    built = run([kg, "build"], cwd=work, env=env)
    assert "the data packaged with kg" in built.stderr
    assert "kg.toml: region berlin-brandenburg" in built.stderr  # the packaged data's project file, shipped
    assert "firms: " in built.stdout
    # written into the working directory's out/, never beside the installed package (kg.toml's output)
    assert (work / "out" / "kg.ttl").stat().st_size > 10_000

    answer = run([kg, "query", "hq-absence", "--format", "csv"], cwd=work, env=env)
    assert answer.stdout.count("\n") > 10 and "berlin-brandenburg" in answer.stdout

    listed = run([kg, "queries"], cwd=work, env=env)
    assert "hq-absence" in listed.stdout

    run([kg, "viz", "all"], cwd=work, env=env)
    run([kg, "export", "gexf"], cwd=work, env=env)
    for name in ("hq.html", "clusters.html", "full.html", "hq.gexf", "clusters.gexf", "full.gexf"):
        assert (work / "out" / name).stat().st_size > 1000, name

    version = run([kg, "--version"], cwd=work, env=env)
    assert version.stdout.startswith("kg ")


def test_kg_init_writes_tables_that_build(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KG_BASE")}
    kg = str(installed / "kg")
    run([kg, "init", "region"], cwd=tmp_path, env=env)
    assert (tmp_path / "region" / "organizations.csv").read_text(encoding="utf-8").startswith("id,name,")
    built = run([kg, "build", "--data", "region", "--out", "region-out"], cwd=tmp_path, env=env)
    assert "firms: 1" in built.stdout
