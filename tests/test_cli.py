"""The command line as a user meets it: one-line errors with the documented exit codes, --version,
completion, kg init, and which data a command read."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys

import pytest

from kg import __version__
from kg.cli import EXIT_CODES, main
from kg.cli_init import init
from tests.conftest import ONTOLOGY, ROOT


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("[")]  # progress lines start with [time]
    assert "Traceback" not in err
    errors = [line for line in lines if line.startswith("error:") or ": error:" in line]
    assert len(errors) == 1, err
    return errors[0]


def test_help_documents_the_exit_codes_and_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and all(f"  {code} " in out for code in ("0", "1", "2", "3"))
    assert EXIT_CODES in out
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"kg {__version__} (bbmb-kg)"


def test_completion_scripts_load_in_bash(tmp_path, workdir):
    script = tmp_path / "kg.bash"
    script.write_text(subprocess.run([sys.executable, "-m", "kg", "completion", "bash"], capture_output=True,
                                     text=True, check=True, cwd=workdir).stdout)
    probe = f'source {script}; COMP_WORDS=(kg query hq-a); COMP_CWORD=2; _kg_complete; echo "${{COMPREPLY[@]}}"'
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["hq-absence"]
    probe = f'source {script}; COMP_WORDS=(kg vi); COMP_CWORD=1; _kg_complete; echo "${{COMPREPLY[@]}}"'
    assert subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout.split() == ["viz"]
    assert main(["completion", "zsh"]) == 0


def test_unknown_rdf_format_is_refused_before_the_build(capsys, tmp_path):
    with pytest.raises(SystemExit) as done:
        main(["build", "--formats", "turtle,xml", "--out", str(tmp_path)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "unknown format(s) xml; choose from turtle, trig" in one_error_line(err)
    assert "read " not in err and not list(tmp_path.iterdir())  # nothing was built or written


@pytest.mark.parametrize("command", [["viz", "hq"], ["export", "gexf"]])
def test_out_naming_a_file_is_one_line(capsys, tmp_path, command):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    assert main([*command, "--out", str(target)]) == 3  # an output that cannot be written
    assert "is a file, not a folder" in one_error_line(capsys.readouterr().err)
    assert target.read_text() == "keep me"


def test_an_unknown_region_or_firm_is_named_with_the_nearest(capsys):
    assert main(["query", "hq-absence", "--param", "region=berln"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "'berln' is unknown" in line and "Did you mean 'berlin'" in line
    assert main(["query", "firm-profile", "--param", "firm=asml"]) == 2
    assert "Did you mean 'asml-berlin'" in one_error_line(capsys.readouterr().err)


def test_another_base_is_named(capsys, tmp_path):
    base = "https://example.org/kg/"
    assert main(["build", "--base", base, "--out", str(tmp_path), "--formats", "nquads", "--no-validate"]) == 0
    capsys.readouterr()
    for query in ("decision-centres", "production-focus"):  # with and without parameters
        assert main(["query", query, "--graph", str(tmp_path / "kg.nq")]) == 2
        assert f"built with --base {base}" in one_error_line(capsys.readouterr().err)
    assert main(["query", "production-focus", "--graph", str(tmp_path / "kg.nq"), "--base", base]) == 0


def test_the_command_says_which_data_it_read(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    # whatever build `make run` left in the repository's out/, this command has none and reads the tables
    assert main(["query", "production-focus", "--format", "csv", "--build", str(tmp_path / "no-build")]) == 0
    said = capsys.readouterr().err
    assert "data: ./data (kg.toml: region berlin-brandenburg; study prägnant 31" in said
    assert "; ontology: ./ontology" in said
    monkeypatch.chdir(tmp_path)  # no ./data here: kg reads the copy packaged with it
    from kg.resources import default, describe

    assert describe(default("data")).startswith("the data packaged with kg")


def test_kg_init_writes_every_table_and_they_build(tmp_path, capsys):
    from kg.tables import SCHEMA

    folder = tmp_path / "region"
    assert main(["init", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(["kg.toml", *(t.file for t in SCHEMA)])
    for table in SCHEMA:
        header, *rows = (folder / table.file).read_text(encoding="utf-8").splitlines()
        assert header.split(",") == [c.name for c in table.columns]
        assert rows, table.name
    capsys.readouterr()
    assert main(["build", "--data", str(folder), "--ontology", str(ONTOLOGY), "--out", str(tmp_path / "out")]) == 0
    assert "firms: 1" in capsys.readouterr().out
    # a second init does not overwrite the region's tables
    assert main(["init", str(folder)]) == 2
    assert "already has" in one_error_line(capsys.readouterr().err)
    assert init(folder, force=True)


def test_python_m_kg_gives_no_traceback_for_a_bad_param(workdir):
    done = subprocess.run([sys.executable, "-m", "kg", "query", "hq-absence", "--param", "region=nowhere-at-all"],
                          capture_output=True, text=True, cwd=workdir)
    assert done.returncode == 2
    assert "is unknown" in one_error_line(done.stderr)


def test_kg_viz_writes_the_pages_and_the_graph_files_from_one_drawing_of_the_views(tmp_path, capsys):
    out = tmp_path / "out"
    no_build = str(tmp_path / "no-build")
    assert main(["viz", "all", "--build", no_build, "--out", str(out), "--files", "gexf,graphml"]) == 0
    said = capsys.readouterr().err
    assert said.count("building the views") == 1  # the views are built once for pages and files
    for view in ("hq", "clusters", "full"):
        assert all((out / f"{view}.{ext}").is_file() for ext in ("html", "gexf", "graphml"))
    with pytest.raises(SystemExit) as stopped:  # argparse refuses it, with the command's usage
        main(["viz", "hq", "--files", "gexf,pdf"])
    assert stopped.value.code == 2 and "give one or more of gexf, graphml" in capsys.readouterr().err


def _every_command() -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every command and nested sub-command (kg import gleif ...), read from the parser, by its words."""
    from kg.cli import _register_plugins, _subcommands, make_parser

    _register_plugins()
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    todo: list[tuple[tuple[str, ...], argparse.ArgumentParser]] = [((), make_parser())]
    while todo:
        words, parser = todo.pop()
        found[words] = parser
        todo += [((*words, name), sub) for name, sub in _subcommands(parser).items()]
    return found


EVERY_COMMAND = _every_command()


def _mistyped(option: str) -> str:
    """``option`` with two letters after ``--`` swapped: --limit -> --ilmit."""
    return option[:2] + option[3] + option[2] + option[4:]


@pytest.mark.parametrize("words", list(EVERY_COMMAND), ids=lambda w: " ".join(("kg", *w)))
def test_a_mistyped_option_is_named_by_its_command_with_the_nearest(words, capsys):
    parser = EVERY_COMMAND[words]
    options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    option = next((o for o in options if o != "--help" and len(o) > 4), "--help")
    typo = _mistyped(option)
    assert not any(o.startswith(typo) for o in options)  # not an abbreviation argparse would take
    with pytest.raises(SystemExit) as done:
        main([*words, typo, "1"])  # before any argument a command needs: the typo is said first
    assert done.value.code == 2
    err = capsys.readouterr().err
    prog = " ".join(("kg", *words))
    assert err.startswith(f"usage: {prog} ")
    assert f"{prog}: error: unknown option {typo}; did you mean {option}?" in err


def test_a_mistyped_command_is_named_with_the_nearest(capsys):
    with pytest.raises(SystemExit) as done:
        main(["import", "gleef", "a.csv"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: kg import ") and "unknown command 'gleef'; did you mean 'gleif'?" in err


def test_values_that_look_like_options_are_left_to_argparse(capsys):
    """A negative number and text after ``--`` are values, and a unique prefix an abbreviation."""
    assert main(["query", "hq-absence", "--lim", "2", "--format", "csv"]) == 0
    assert main(["query", "hq-absence", "--limit", "2", "--offset", "-1"]) == 2
    assert "--offset 0 or more" in one_error_line(capsys.readouterr().err)
    with pytest.raises(SystemExit) as done:
        main(["query", "hq-absence", "--", "--not-an-option"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --not-an-option" in err and "unknown option" not in err


def test_the_builds_stderr_names_each_stage_before_it_finishes(tmp_path, workdir):
    """Without a terminal every progress message is a line: each stage that starts ("…", with its counts)
    comes before the line that says it finished (on a terminal it is the status line meanwhile)."""
    done = subprocess.run([sys.executable, "-m", "kg", "build", "--out", str(tmp_path / "out")], capture_output=True,
                          text=True, check=True, cwd=workdir)
    lines = [line.split("] ", 1)[1] for line in done.stderr.splitlines() if line.startswith("[")]

    def at(pattern: str) -> tuple[int, re.Match[str]]:
        found = next(((i, m) for i, line in enumerate(lines) if (m := re.fullmatch(pattern, line))), None)
        assert found, (pattern, lines)
        return found

    reading, _ = at(r"reading the tables in .*/data…")
    read, rows = at(r"read ([\d,]+) rows from .*")
    building, _ = at(rf"building the graph from {rows[1]} rows…")
    deriving, _ = at(r"deriving facts \([\d,]+ organisations, [\d,]+ sites\)…")
    looking_up, _ = at(r"deriving the saved queries' look-ups and listings…")
    ordering, _ = at(r"derived the look-ups in [\d.]+ s; ordering the listings…")
    first_listing, _ = at(r"ordered [a-z-]+: [\d,]+ rows, ([\d,]+ areas|one listing) \([\d.]+ s\)")
    looked_up, _ = at(r"derived [\d,]+ quads of look-ups and listings in [\d.]+ s")
    compacting, _ = at(r"compacting the on-disk store…")
    compacted, _ = at(r"compacted the on-disk store in [\d.]+ s")
    cataloguing, _ = at(r"saving the views' catalogue…")
    catalogued, _ = at(r"saved the views' catalogue in [\d.]+ s")
    built, quads = at(r"built ([\d,]+) quads")
    validating, shapes = at(r"validating (\d+) shapes…")
    first_shape, _ = at(rf"SHACL: shape 1/{shapes[1]} .*")
    writing, _ = at(rf"writing {quads[1]} quads \(turtle, trig, ntriples, nquads, jsonld\)…")
    wrote, _ = at(r"wrote .*kg\.ttl")
    assert reading < read < building < deriving < looking_up < ordering < first_listing < looked_up < built
    assert built < validating < first_shape < writing < compacting < compacted < cataloguing < catalogued
    assert writing < wrote
    assert f"in {quads[1]} quads" in done.stdout
    starts = (reading, building, deriving, looking_up, ordering, compacting, cataloguing, validating, writing)
    assert all(line.endswith("…") == (i in starts)
               for i, line in enumerate(lines) if not line.startswith("data: "))


def test_on_a_terminal_the_status_line_names_the_running_stage(tmp_path, workdir):
    """On a terminal (a pseudo-terminal here, 400 columns: no line is cut short) the status line says the
    stage that runs, never a step that finished; the finished steps are lines above it."""
    import fcntl
    import os
    import struct
    import termios

    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 400, 0, 0))
    with subprocess.Popen([sys.executable, "-m", "kg", "build", "--out", str(tmp_path / "out")], cwd=workdir,
                          stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "TERM": "xterm"}) as done:
        os.close(follower)
        screen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the build ended and closed the terminal
                break
            if not chunk:
                break
            screen += chunk
    os.close(leader)
    assert done.returncode == 0
    parts = [p.strip() for p in screen.decode("utf-8").replace("\r", "\n").split("\n") if p.strip()]
    status = {re.sub(r"\s+\[\d\d:\d\d\]$", "", p) for p in parts if p.startswith("kg: ")}
    for stage in (r"reading the tables in .*", r"building the graph from [\d,]+ rows", r"deriving facts \(.*\)",
                  r"validating \d+ shapes", r"writing [\d,]+ quads \(.*\)"):
        assert any(re.fullmatch(f"kg: {stage}…", s) for s in status), (stage, status)
    assert all(s.endswith("…") for s in status), status  # never a finished step
    assert any(re.search(r"^\[[\d:]+\] wrote .*kg\.ttl$", p) for p in parts)  # that is a line above


@pytest.mark.parametrize("budget", ["0", "-5"])
def test_kg_viz_refuses_a_budget_of_no_nodes_before_it_writes(tmp_path, capsys, budget):
    assert main(["viz", "hq", "--budget", budget, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"--budget {budget}: give the most nodes a page draws, 1 or more" in err
    assert not (tmp_path / "out").exists()
