"""No traceback reaches a user: every command, run as a user runs it, meets a malformed graph file, an output
that cannot be written and a missing input with one ``error:`` line and the exit code ``kg --help`` documents.

The commands are read from the parser, and the cases from their options (``--graph``, ``--out``, ``--data``,
...), so a new command is covered as soon as it is registered.  Each run fails at its input or output check,
before any server starts or any long work.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from kg import errors
from kg.cli import EXIT_CODES, _register_plugins, make_parser
from tests.conftest import DATA, ROOT

KG = [sys.executable, "-m", "kg"]


def _commands() -> dict[str, argparse.ArgumentParser]:
    _register_plugins()
    sub = next(a for a in make_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


COMMANDS = _commands()

#: What a command needs besides the option under test to get past its arguments ({tmp}: the test's folder).
#: Addresses are on 127.0.0.1 and the port is discarded: the commands fail on their input before any traffic.
REQUIRED: dict[str, list[str]] = {
    "query": ["hq-absence"],
    "viz": ["hq"],
    "export": ["gexf"],
    "push": ["--endpoint", "http://127.0.0.1:9/sparql"],
    "serve": ["--port", "0"],
    "synth": ["--firms", "1", "--out", "{tmp}/synth"],
    "init": ["{tmp}/region"],
    "import": ["bods", "{tmp}/statements.json"],
    "diff": ["{tmp}/missing", "{tmp}/missing"],
}
#: Commands whose output is a positional argument (the folder they write), not --out.
OUTPUT_ARGUMENT = {"init"}
#: Options that name an input file or folder: a missing one is an error of input (exit 2).
INPUT_OPTIONS = ("--data", "--ontology", "--queries", "--template")
#: Commands that read and write no files: a wrong argument is their error of input.
NO_FILES: dict[str, list[str]] = {"completion": ["completion", "fish"]}

#: Commands whose data folder (--data) is their output too (kg import writes rows into its tables).
DATA_OUTPUT = {"import"}
#: One BODS 0.4 entity statement: an organisation that kg import would add to a data folder.
BODS_ENTITY = ('[{"statementId": "stmt-1", "recordId": "acme-unwritable", "recordType": "entity", '
               '"statementDate": "2024-01-01", "recordDetails": {"isComponent": false, '
               '"entityType": {"type": "registeredEntity"}, "name": "Acme Unwritable GmbH"}}]')

BROKEN_GRAPH = """@prefix ex: <http://example.org/> .
GRAPH ex:g { ex:a ex:b ex:c . }
GRAPH ex:g { ex:a ex:b "unclosed . }
"""


class Case(NamedTuple):
    argv: list[str]
    code: int
    names: list[str]  # what the error line must say (the file, the place in it)


def _options(command: str) -> set[str]:
    """The options of a command and of its sub-commands (kg import bods ... --data DIR)."""
    parsers, options = [COMMANDS[command]], set()
    while parsers:
        for action in parsers.pop()._actions:
            options.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    return options


def _cases(command: str, tmp: Path) -> dict[str, Case]:
    """The failure cases that apply to a command, by what its options say it reads and writes."""
    required = [a.replace("{tmp}", str(tmp)) for a in REQUIRED.get(command, [])]
    options = _options(command)
    broken, a_file, missing = tmp / "broken.trig", tmp / "a-file", tmp / "missing"  # see _prepare
    cases: dict[str, Case] = {}
    if "--graph" in options:
        cases["malformed graph"] = Case([command, *required, "--graph", str(broken)], 2,
                                        [f"{broken}, line 3, column", "not valid TriG"])
        cases["missing graph"] = Case([command, *required, "--graph", str(missing / "kg.trig")], 2,
                                      [str(missing / "kg.trig")])
    if "--out" in options:
        cases["unwritable out"] = Case([command, *required, "--out", str(a_file / "out")], 3,
                                       ["cannot write", f"{a_file} is a file, not a folder"])
    if command in OUTPUT_ARGUMENT:
        cases["unwritable out"] = Case([command, str(a_file / "out")], 3,
                                       ["cannot write", f"{a_file} is a file, not a folder"])
    for option in INPUT_OPTIONS:
        if option in options:
            cases[f"missing {option}"] = Case([command, *required, option, str(missing)], 2, [str(missing)])
    if command in DATA_OUTPUT:  # a data folder that reads but cannot be written: see _file_size_limit
        cases["unwritable data"] = Case([command, *required, "--data", str(tmp / "region")], 3,
                                        ["cannot write", str(tmp / "region"), "left as they were"])
        cases["missing file"] = Case([command, *required[:-1], str(missing / "file"), "--data", str(tmp / "region")],
                                     2, [str(missing / "file")])
    if command in NO_FILES:
        cases["wrong argument"] = Case(NO_FILES[command], 2, ["invalid choice"])
    return cases


def _prepare(tmp: Path, command: str = "") -> None:
    """The files the cases name: a malformed graph, and a regular file to write under; for a command that
    writes into its data folder, a copy of the brief's data and a register file to import."""
    (tmp / "broken.trig").write_text(BROKEN_GRAPH, encoding="utf-8")
    (tmp / "a-file").write_text("keep me", encoding="utf-8")  # a path under a file is unwritable, even for root
    if command in DATA_OUTPUT:
        shutil.copytree(DATA, tmp / "region")
        (tmp / "statements.json").write_text(BODS_ENTITY, encoding="utf-8")


def _file_size_limit() -> None:
    """In the child: no file may grow (a write fails with EFBIG; Python ignores SIGXFSZ), even for root."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def run_kg(argv: list[str], cwd: Path, preexec_fn: Callable[[], None] | None = None,
           **env: str) -> subprocess.CompletedProcess[str]:
    """``kg ARGV`` in ``cwd`` (where no build and no ./data are: each command reads the packaged data)."""
    return subprocess.run([*KG, *argv], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, preexec_fn=preexec_fn)


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line of a failed command; asserts there is no traceback and no second error."""
    assert "Traceback" not in done.stderr, done.stderr
    found = [line for line in done.stderr.splitlines() if line.startswith("error:") or ": error:" in line]
    assert len(found) == 1, done.stderr
    return found[0]


CASE_IDS = [(command, case) for command in COMMANDS for case in _cases(command, Path("/nonexistent-probe"))]


def test_every_command_has_cases_and_its_required_arguments():
    for command in COMMANDS:
        assert _cases(command, Path("/nonexistent-probe")), f"kg {command}: no failure case; add it to NO_FILES"
        try:  # the arguments REQUIRED gives are enough: the cases test the file, not a missing argument
            make_parser().parse_args([command, *(a.replace("{tmp}", "x") for a in REQUIRED.get(command, []))])
        except SystemExit:
            pytest.fail(f"kg {command} needs more arguments: add them to REQUIRED")


@pytest.mark.parametrize("command,case", CASE_IDS, ids=[f"{c}-{k}" for c, k in CASE_IDS])
def test_every_command_fails_in_one_line_with_its_exit_code(tmp_path, command, case):
    _prepare(tmp_path, command)
    argv, code, names = _cases(command, tmp_path)[case]
    before = _files(tmp_path / "region") if command in DATA_OUTPUT else {}
    done = run_kg(argv, tmp_path, _file_size_limit if case == "unwritable data" else None)
    line = one_error_line(done)
    assert done.returncode == code, done.stderr
    for name in names:
        assert name in line, line
    if case == "unwritable out":
        assert (tmp_path / "a-file").read_text(encoding="utf-8") == "keep me"
    if command in DATA_OUTPUT:  # the data folder is as it was: every table, and nothing half-written beside them
        assert _files(tmp_path / "region") == before
        assert sorted(p.name for p in (tmp_path / "region").iterdir()) == sorted(before)


#: kg import's registers beyond the one REQUIRED gives (bods): each register's own ways to fail, in one line with
#: its exit code.  {tmp}: the test's folder (a copy of the brief's data in region/, see _prepare).  The endpoint on
#: 127.0.0.1:9 refuses every connection: no traffic leaves the machine.
SPARQL_ANSWER = ('{"head": {"vars": ["item", "label_de"]}, "results": {"bindings": [{"item": {"type": "uri", '
                 '"value": "http://www.wikidata.org/entity/Q1001"}, "label_de": {"type": "literal", '
                 '"value": "Unwritable Maschinen GmbH", "xml:lang": "de"}}]}}')
WIKIDATA = ["import", "wikidata", "--region", "berlin-brandenburg", "--data", "{tmp}/region"]
REGISTER_CASES: dict[str, Case] = {
    "wikidata unknown region": Case([*WIKIDATA[:3], "atlantis", *WIKIDATA[4:]], 2, ["--region", "'atlantis'"]),
    "wikidata missing answer": Case([*WIKIDATA, "--from", "{tmp}/missing/results.json"], 2,
                                    ["{tmp}/missing/results.json", "cannot be read"]),
    "wikidata malformed answer": Case([*WIKIDATA, "--from", "{tmp}/broken.trig"], 2,
                                      ["{tmp}/broken.trig", "not SPARQL JSON results"]),
    "wikidata endpoint refused": Case([*WIKIDATA, "--endpoint", "http://127.0.0.1:9/sparql", "--cache", "{tmp}/cache"],
                                      3, ["http://127.0.0.1:9/sparql", "connection refused"]),
    "wikidata unwritable data": Case([*WIKIDATA, "--from", "{tmp}/answer.json"], 3,
                                     ["cannot write", "{tmp}/region", "left as they were"]),
    "wikidata missing data": Case([*WIKIDATA[:5], "{tmp}/missing"], 2, ["{tmp}/missing"]),
    "gleif unknown region": Case(["import", "gleif", "{tmp}/answer.json", "--region", "atlantis", "--data",
                                  "{tmp}/region"], 2, ["--region", "'atlantis'"]),
    "gleif missing file": Case(["import", "gleif", "{tmp}/missing/lei2.csv", "--region", "berlin", "--data",
                                "{tmp}/region"], 2, ["{tmp}/missing/lei2.csv"]),
}


@pytest.mark.parametrize("case", list(REGISTER_CASES))
def test_every_register_of_kg_import_fails_in_one_line_with_its_exit_code(tmp_path, case):
    registers = {c.argv[1] for c in REGISTER_CASES.values()} | {REQUIRED["import"][0]}
    assert _subcommands("import") == registers, "a new register of kg import needs its cases here"
    _prepare(tmp_path, "import")
    (tmp_path / "answer.json").write_text(SPARQL_ANSWER, encoding="utf-8")
    argv, code, names = REGISTER_CASES[case]
    before = _files(tmp_path / "region")
    done = run_kg([a.replace("{tmp}", str(tmp_path)) for a in argv], tmp_path,
                  _file_size_limit if "unwritable" in case else None)
    line = one_error_line(done)
    assert done.returncode == code, done.stderr
    for name in names:
        assert name.replace("{tmp}", str(tmp_path)) in line, line
    assert _files(tmp_path / "region") == before
    assert sorted(p.name for p in (tmp_path / "region").iterdir()) == sorted(before)


def _subcommands(command: str) -> set[str]:
    action = next(a for a in COMMANDS[command]._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


#: kg diff's own ways to fail: its folders (OLD, NEW) and its page.  {tmp}: the test's folder (see _prepare).
DIFF_CASES: dict[str, Case] = {
    "missing old": Case(["diff", "{tmp}/missing", str(DATA)], 2, ["{tmp}/missing", "no such folder"]),
    "missing new": Case(["diff", str(DATA), "{tmp}/missing"], 2, ["{tmp}/missing", "no such folder"]),
    "neither build nor data": Case(["diff", str(DATA), "{tmp}"], 2,
                                   ["{tmp} is neither a build", "nor a data folder"]),
    "unwritable page": Case(["diff", str(DATA), str(DATA), "--page", "{tmp}/a-file/diff.html"], 3,
                            ["cannot write {tmp}/a-file/diff.html", "{tmp}/a-file is a file", "--page"]),
}


@pytest.mark.parametrize("case", list(DIFF_CASES))
def test_kg_diff_names_the_folder_it_cannot_compare(tmp_path, case):
    _prepare(tmp_path)
    argv, code, names = DIFF_CASES[case]
    done = run_kg([a.replace("{tmp}", str(tmp_path)) for a in argv], tmp_path)
    line = one_error_line(done)
    assert done.returncode == code, done.stderr
    for name in names:
        assert name.replace("{tmp}", str(tmp_path)) in line, line
    assert done.stdout == ""


def test_a_parameter_with_a_line_break_is_one_line(tmp_path):
    done = run_kg(["query", "firm-profile", "--param", "firm=otis\n"], tmp_path)
    line = one_error_line(done)
    assert done.returncode == 2 and "parameter 'firm'" in line and "'otis\\n' is not a valid org id" in line


def test_an_output_file_names_its_path(tmp_path):
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    target = tmp_path / "a-file" / "hq.csv"
    done = run_kg(["query", "hq-absence", "--format", "csv", "--out", str(target)], tmp_path)
    assert done.returncode == 3
    assert one_error_line(done) == (f"error: cannot write {target}: {tmp_path / 'a-file'} is a file, not a folder; "
                                    "choose another --out")


def test_an_xlsx_to_a_terminal_is_refused_before_the_query(tmp_path):
    """A workbook is bytes for a file: on a terminal it would be noise; the error names the option to give."""
    import pty

    leader, follower = pty.openpty()  # stdout a terminal, as when a user types the command
    try:
        done = subprocess.run([*KG, "query", "hq-absence", "--format", "xlsx"], stdout=follower,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(follower)
        os.close(leader)
    line = one_error_line(done)
    assert done.returncode == 2 and "--format xlsx writes a file" in line and "--out FILE.xlsx" in line
    assert "rows in" not in done.stderr and "building" not in done.stderr  # refused before the graph is read


def test_an_xlsx_that_cannot_be_written_leaves_the_file_there(tmp_path):
    (tmp_path / "a-file").write_text("keep me", encoding="utf-8")
    target = tmp_path / "a-file" / "hq.xlsx"
    done = run_kg(["query", "hq-absence", "--format", "xlsx", "--out", str(target)], tmp_path)
    assert done.returncode == 3 and f"cannot write {target}" in one_error_line(done)
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "keep me"


DEFECT = """
import sys
from kg.cli import command, main

@command("explode", "a command with a defect")
def setup(parser):
    def run(args):
        raise {exception}
    return run

sys.exit(main(["explode"]))
"""


def _run_defect(tmp_path: Path, exception: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", DEFECT.format(exception=exception)], capture_output=True,
                          text=True, cwd=tmp_path, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), errors.DEBUG_VARIABLE: "", **env})


def test_a_defect_is_one_line_that_says_where_to_report_it(tmp_path):
    done = _run_defect(tmp_path, "RuntimeError('the index went wrong')")
    line = one_error_line(done)
    assert done.returncode == errors.EXIT_DEFECT
    assert "a defect in kg (RuntimeError: the index went wrong)" in line
    assert "please report it" in line and "KG_DEBUG=1 shows the traceback" in line


def test_kg_debug_shows_the_traceback(tmp_path):
    done = _run_defect(tmp_path, "RuntimeError('the index went wrong')", KG_DEBUG="1")
    assert done.returncode == errors.EXIT_DEFECT
    assert "Traceback" in done.stderr and "the index went wrong" in done.stderr


@pytest.mark.parametrize("exception,code", [("KeyboardInterrupt()", errors.EXIT_INTERRUPTED),
                                            ("BrokenPipeError()", errors.EXIT_BROKEN_PIPE)])
def test_interrupt_and_a_closed_pipe_keep_their_codes(tmp_path, exception, code):
    done = _run_defect(tmp_path, exception)
    assert done.returncode == code and "Traceback" not in done.stderr and "error:" not in done.stderr


def test_help_and_readme_document_every_exit_code():
    codes = [errors.EXIT_OK, errors.EXIT_NOT_CONFORMING, errors.EXIT_INPUT, errors.EXIT_OUTPUT,
             errors.EXIT_DEFECT, errors.EXIT_INTERRUPTED, errors.EXIT_BROKEN_PIPE]
    help_text = subprocess.run([*KG, "--help"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert EXIT_CODES in help_text
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    sentence = readme[readme.index("exit codes ("):][:600]
    for code in codes:
        assert f"\n  {code} " in EXIT_CODES, code
        assert re.search(rf"(?<!\d){code} [a-z]", sentence), code
    assert "KG_DEBUG=1" in EXIT_CODES and "KG_DEBUG=1" in sentence


@pytest.mark.parametrize("words", ["IO error: No space left on device: While appending to file: 000012.sst",
                                   "io error: no space left on device: while appending to file: 000012.sst"])
def test_the_store_s_full_disk_is_said_as_a_full_disk_whatever_its_case(words):
    """The store's own I/O errors carry no errno: a full disk while it writes a file or while it compacts (the
    words in either case) is one line that says the disk is full and what to do."""
    from kg.errors import output_os_error

    said = str(output_os_error(OSError(words), "out"))
    assert said.startswith("cannot write out: the disk is full") and "free some space" in said
