"""The README's commands run as users type them.

Every fenced shell block of README.md whose first line starts with ``$ kg``, ``.venv/bin/kg`` or
``$ .venv/bin/kg`` is run, each command as written (in a ``$`` block the lines that start with
``$ ``, a trailing backslash continuing a line; the other lines are output), and every ```python
block is run; each must exit 0.  The output shown need not match exactly.

They run in README order in one temporary folder holding links to the repository's ``data/``,
``ontology/``, ``queries/``, ``scripts/`` and ``.venv/``, so that ``./data`` is the repository's
data, ``.venv/bin/kg`` is this environment's command, ``kg`` is on ``PATH`` (as after
``source .venv/bin/activate``) and ``out/`` is a temporary folder; a path under ``/tmp/`` in a
command is taken under that folder's ``tmp/`` (so that two test runs on one machine do not share it).

Commands that need a SPARQL server to talk to (``kg push``, any command with ``--endpoint``) and
``kg serve`` (it runs until stopped) are not run here but parsed by the real command line: their
sub-commands and options must exist as written. tests/test_remote.py and tests/test_serve.py run
them against real servers (Virtuoso, Oxigraph server, kg serve).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(?P<lang>[a-z]*)\n(?P<body>.*?)^```", re.M | re.S)
RUNNABLE = ("$ kg", ".venv/bin/kg", "$ .venv/bin/kg")
LINKS = ("data", "ontology", "queries", "scripts")


def needs_a_server(command: str) -> bool:
    """The one skip rule (see the module's docstring)."""
    words = command.split()
    return "--endpoint" in words or words[:2] in (["kg", "push"], ["kg", "serve"]) or \
        words[:2] in ([".venv/bin/kg", "push"], [".venv/bin/kg", "serve"])


def commands(body: str) -> list[str]:
    """The commands of a shell block, as written."""
    lines = body.splitlines()
    dollar = lines[0].startswith("$ ")
    out: list[str] = []
    current = ""
    for line in lines:
        if current:
            current += "\n" + line
        elif dollar and line.startswith("$ "):
            current = line[2:]
        elif not dollar and line.strip() and not line.lstrip().startswith("#"):
            current = line
        else:
            continue
        if not current.rstrip().endswith("\\"):
            out.append(current)
            current = ""
    return out


def blocks() -> list[tuple[str, str]]:
    """(kind, text) of every README block that is run: ("shell", a command) or ("python", code)."""
    found: list[tuple[str, str]] = []
    for m in FENCE.finditer(README.read_text(encoding="utf-8")):
        body = m["body"]
        if m["lang"] == "python":
            found.append(("python", body))
        elif m["lang"] in ("", "sh", "shell", "bash") and body.lstrip().startswith(RUNNABLE):
            found += [("shell", c) for c in commands(body.lstrip())]
    return found


BLOCKS = blocks()


def test_the_readme_has_commands_to_run():
    kinds = [k for k, _ in BLOCKS]
    assert kinds.count("shell") >= 8 and kinds.count("python") >= 1
    assert any(c.startswith("kg query") for k, c in BLOCKS if k == "shell")


@pytest.fixture(scope="module")
def readme_workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("readme")
    for name in LINKS:
        (work / name).symlink_to(ROOT / name)
    (work / ".venv").symlink_to(Path(sys.prefix))  # the environment running the tests (the repository's .venv)
    return work


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("KG_BASE",)}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment["PYTHONPATH"] = str(ROOT)
    return environment


SERVER = [t for k, t in BLOCKS if k == "shell" and needs_a_server(t)]
RUN = [(k, t) for k, t in BLOCKS if not (k == "shell" and needs_a_server(t))]


@pytest.mark.parametrize("text", SERVER, ids=[t.splitlines()[0][:60] for t in SERVER])
def test_readme_server_commands_parse_as_written(text):
    import shlex

    from kg.cli import _register_plugins, make_parser
    _register_plugins()
    words = shlex.split(text.replace("\\\n", " "), comments=True)
    args = make_parser().parse_args(words[1:])  # argparse exits (SystemExit) on an unknown option
    assert callable(args.run)


@pytest.mark.parametrize("kind,text", RUN, ids=[f"{k}:{t.splitlines()[0][:60]}" for k, t in RUN])
def test_readme_block_runs_as_written(kind, text, readme_workdir, env):
    text = text.replace("/tmp/", f"{readme_workdir}/tmp/")
    (readme_workdir / "tmp").mkdir(exist_ok=True)
    if kind == "python":
        cmd = [sys.executable, "-c", text]
    else:
        cmd = ["bash", "-c", "set -euo pipefail\n" + text]
    done = subprocess.run(cmd, cwd=readme_workdir, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{text}\nexit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
