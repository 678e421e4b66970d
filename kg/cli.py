"""The ``kg`` command line: a thin layer, each command one library call.

    kg build               build, validate and write out/ (Turtle, TriG, N-Triples, N-Quads, JSON-LD)
    kg validate            SHACL shapes and the data-quality report, without writing anything

Run ``kg COMMAND --help`` for the options of a command.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime
import difflib
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from . import errors
from .build import DEFAULT_DATA, DEFAULT_ONTOLOGY, BuildResult, build, summary_line
from .errors import InvalidArgument, KgError
from .rules import DEFAULT_READING, READING_ALIASES, READINGS

if TYPE_CHECKING:
    from pyoxigraph import Store

    from .namespaces import IRIs

DEFAULT_OUT = Path("out")
OUT_HELP = "kg.toml's output folder, else ./out"
T = TypeVar("T")

Setup = Callable[[argparse.ArgumentParser], Callable[[argparse.Namespace], int]]

#: Sub-commands added by other modules: name -> (help, setup).  ``setup`` adds the options to
#: the command's parser and returns the function that runs it (args -> exit code).
COMMANDS: dict[str, tuple[str, Setup]] = {}


def command(name: str, help: str) -> Callable[[Setup], Setup]:
    """Register a sub-command; decorates its setup function."""
    def wrap(setup: Setup) -> Setup:
        COMMANDS[name] = (help, setup)
        return setup
    return wrap


def on_terminal() -> bool:
    """Whether stderr is a terminal: then long work shows a live status line (tqdm), else only lines."""
    try:
        return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


class _Status:
    """A tqdm status line at the bottom of the terminal: the current stage and the time it has run."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.started = time.monotonic()
        self.bar = tqdm(total=None, file=sys.stderr, leave=False, dynamic_ncols=True,
                        bar_format="{desc}  [{elapsed}]")
        self.stop = threading.Event()
        threading.Thread(target=self._tick, daemon=True).start()
        atexit.register(self.close)

    def _tick(self) -> None:
        while not self.stop.wait(0.5):  # the elapsed time runs on through a long silent stage
            self.bar.refresh()

    def show(self, line: str, message: str) -> None:
        """A stage that starts (see :func:`progress`) becomes the status line; a finished step is a line above it."""
        from tqdm import tqdm

        if is_stage(message):
            self.bar.set_description_str(f"kg: {message}", refresh=True)
        else:
            tqdm.write(line, file=sys.stderr)

    def close(self) -> None:
        self.stop.set()
        self.bar.close()


_status: _Status | None = None


def is_stage(message: str) -> bool:
    """Whether a progress message names a stage that starts (it ends with "…"), not a step that finished."""
    return message.endswith("…")


def amount(n: int) -> str:
    """A count as a status line says it.

    >>> amount(6837), amount(4_012_345)
    ('6,837', '4.0 M')
    """
    return f"{n / 1e6:.1f} M" if n >= 1_000_000 else f"{n:,}"


def progress(message: str) -> None:
    """Progress lines go to stderr, so stdout stays clean for data; on a terminal a live status line too.

    A message that ends with "…" names the stage that starts ("validating 20 shapes…"): on a terminal
    the status line shows it (with the time it has run) until the next stage; every other message says
    a step that finished ("wrote out/kg.ttl") and is a line above it.  Elsewhere every message is a line.
    """
    global _status
    line = f"[{time.strftime('%H:%M:%S')}] {message}"
    with _progress_lock:  # the build's writers say what they wrote from two threads: one whole line each
        if not on_terminal():
            sys.stderr.write(line + "\n")
            sys.stderr.flush()
            return
        if _status is None:
            _status = _Status()
        _status.show(line, message)


_progress_lock = threading.Lock()


def steps(items: Iterable[T], what: str, total: int | None = None) -> Iterator[T]:
    """``items``, with a tqdm progress bar on a terminal (views drawn, files exported); plain elsewhere."""
    if not on_terminal():
        yield from items
        return
    from tqdm import tqdm

    with tqdm(items, desc=what, total=total, file=sys.stderr, leave=False, dynamic_ncols=True) as bar:
        yield from bar


def add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help="folder of the tables and its kg.toml (default: ./data when there is one, else the data "
                        "packaged with kg: %(default)s)")
    p.add_argument("--ontology", type=Path, default=DEFAULT_ONTOLOGY,
                   help="folder with bbmb.ttl and shapes.ttl (default: ./ontology when there is one, else the "
                        "model packaged with kg: %(default)s)")
    p.add_argument("--base", help="base of the data IRIs (default: kg.toml's base, else $KG_BASE or "
                                  "https://w3id.org/bbmb/id/)")
    p.add_argument("--reading", choices=[*sorted(READINGS), *sorted(READING_ALIASES)], default=None,
                   help="which source wins where sources disagree on a fact that a figure depends on: "
                        + "; ".join(f"{k}: {v}" for k, v in READINGS.items())
                        + f" (default: kg.toml's reading, else {DEFAULT_READING}; 'brief' and 'external' are the "
                          "earlier names of primary and latest; every output names its reading, and every share "
                          "gives its range over all the sources' alternatives)")
    p.add_argument("--as-of", type=as_of_option, metavar="DATE",
                   help="the region as its dated facts say it was on DATE: a year (2019: its last day), a month "
                        "(2019-06) or a day (2019-06-30); sites not yet opened or already closed, parents not yet "
                        "or no longer in force, head-counts and statistics of later years are left out before the "
                        "rules run (default: every fact)")


def as_of_option(text: str) -> datetime.date:
    """``--as-of``, checked when the command line is read (:func:`kg.asof.as_of_date`)."""
    from .asof import as_of_date

    try:
        return as_of_date(text)
    except InvalidArgument as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_output_folder(p: argparse.ArgumentParser) -> None:
    """``--out DIR``, the folder a command writes into; left out, the project's (:func:`apply_project`)."""
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=f"output folder (default: the --build folder where one is given, else {OUT_HELP})")
    p.set_defaults(out_is_folder=True)


def apply_project(args: argparse.Namespace) -> None:
    """Fill in what the command line left open from the data folder's ``kg.toml`` (:mod:`kg.project`): the
    base, the reading, the output and build folders and the region, so that ``--data DIR`` is enough."""
    from .project import Project
    from .project import find as find_project
    from .rules import check_reading

    args.project = find_project(args.data) if hasattr(args, "data") else Project()
    project = args.project
    if hasattr(args, "base") and args.base is None:
        args.base = project.base
    if hasattr(args, "reading"):
        args.reading = check_reading(args.reading or project.reading or DEFAULT_READING)
    folder = project.output or DEFAULT_OUT
    # a command told to use the build in DIR writes its pages and files beside it
    if getattr(args, "out_is_folder", False) and args.out is None:
        args.out = getattr(args, "build", None) or folder
    if hasattr(args, "build") and args.build is None:
        args.build = folder
    if hasattr(args, "region") and args.region is None:
        args.region = project.region


def say_inputs(args: argparse.Namespace) -> None:
    """Say which data, project file and model a command reads (./data, or the data packaged with kg)."""
    from .resources import describe

    progress(f"data: {describe(args.data)} ({args.project.describe()}); ontology: {describe(args.ontology)}")


def build_from_args(args: argparse.Namespace, store: Store | None = None, copy_to: Store | None = None,
                    scratch: Path | None = None, nquads: BinaryIO | None = None) -> BuildResult:
    say_inputs(args)
    return build(args.data, args.ontology, base=args.base, progress=progress, reading=args.reading,
                 project=args.project, as_of=getattr(args, "as_of", None), store=store, copy_to=copy_to,
                 scratch=scratch, nquads=nquads)


def _writes(args: argparse.Namespace, name: str) -> bool:
    """Whether kg build writes the format ``name``: every build does, unless ``--formats`` leaves it out."""
    return not args.formats or name in args.formats.split(",")


def add_dataset_options(p: argparse.ArgumentParser) -> None:
    """The options of a command that reads the built graph: the inputs, ``--build`` and ``--graph``."""
    add_input_options(p)
    p.add_argument("--build", type=Path, metavar="DIR",
                   help="use the store kg build left in DIR when it was built from the same data, ontology, "
                        f"base and reading; else say why and build in memory (default: {OUT_HELP})")
    p.add_argument("--graph", type=Path, metavar="FILE",
                   help="use a built dataset file (out/kg.trig or .nq) instead, read into memory")


@dataclass
class Dataset:
    """The graph a command works on: the build's on-disk store, a dataset file, or a build in memory."""

    store: Store
    iris: IRIs
    #: the on-disk store's folder, when the dataset is the build's (``kg serve`` opens it per worker)
    path: Path | None = None
    #: which graph it is, in words (``the build in out (...)``, the file, or a build in memory from a folder)
    description: str = ""
    #: when it was built (``YYYY-MM-DD HH:MM:SS``), where that is known
    built: str = ""
    #: the tables' rows and the years of their dated facts (:attr:`kg.build.BuildResult.rows`, ``years``), where
    #: known without reading the tables again (the build's record, or the build in memory)
    rows: int | None = None
    years: list[int] | None = None
    #: the distinct triples of its graphs' merge, where the build's record says (``kg push`` checks the union
    #: graph it loads by it: counting them again took over 14 GB of the engine's memory at a million firms)
    triples: int | None = None


def open_dataset(args: argparse.Namespace) -> Dataset:
    """The dataset for ``args`` (see :func:`add_dataset_options`), saying which one it is on stderr."""
    from .builds import find_build
    from .namespaces import IRIs
    from .resources import describe
    from .tables import check_base

    check_base(args.base)
    iris = IRIs(args.base)
    if getattr(args, "graph", None):
        from .query import QueryError
        from .query import check_base as check_graph_base
        from .store import load

        if not args.graph.is_file():
            raise QueryError(f"{args.graph}: no such file; run kg build first or leave out --graph")
        t0 = time.perf_counter()
        progress(f"reading {args.graph}…")
        store = load(args.graph)
        progress(f"read {args.graph} ({len(store):,} quads) in {time.perf_counter() - t0:.1f} s")
        check_graph_base(store, iris)  # built with another --base: say so, not a silent empty answer
        return Dataset(store, iris, description=str(args.graph))
    found = find_build(args.build, args.data, args.ontology, iris.base, args.reading, getattr(args, "as_of", None))
    if found.usable:
        progress(f"using {found.reason}")
        record = found.record or {}
        counted = record.get("tables") or {}  # a build before kg recorded them: None, the tables are read
        return Dataset(found.open(), iris, found.store_path, found.reason, str(record.get("built", "")),
                       rows=counted.get("rows"), years=counted.get("years"),
                       triples=(record.get("counts") or {}).get("triples"))
    progress(f"{found.reason}; building from {describe(args.data)} in memory "
             f"(kg build leaves a store that later commands use)")
    result = build_from_args(args)
    return Dataset(result.store, iris, description=f"built in memory from {describe(args.data)}",
                   built=time.strftime("%Y-%m-%d %H:%M:%S"), rows=result.rows, years=result.years)


def _report_violations(result: BuildResult, args: argparse.Namespace) -> int:
    from .shacl import UnsupportedShape
    from .validate import validate

    t0 = time.perf_counter()
    try:
        violations = validate(result, args.ontology / "shapes.ttl", progress=progress)
    except UnsupportedShape as exc:  # name the file the shape is in
        from .tables import DataError, DataErrors

        raise DataErrors([DataError(str(args.ontology / "shapes.ttl"), None, None, str(exc))]) from None
    progress(f"SHACL validation: {len(violations)} violation(s) in {time.perf_counter() - t0:.1f} s")
    for v in violations:
        print(f"error: {v}", file=sys.stderr)
    return len([v for v in violations if v.severity == "Violation"])


def rdf_formats(text: str) -> str:
    """``--formats`` of kg build, checked when the command line is read (before the build)."""
    from . import writers

    names = [f.strip() for f in text.split(",")]
    choices = writers.names("dataset")
    unknown = [f for f in names if f not in choices]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown format(s) {', '.join(unknown) or repr(text)}; "
                                         f"choose from {', '.join(choices)}")
    return ",".join(names)


#: Past this many quads kg build writes, unless --formats says otherwise, only the formats that keep the
#: named graphs (what kg push, kg query --graph and other stores read): at 100,000 firms each of the
#: other three is another 0.3-0.4 GB and 5-15 s, and the store answers the questions.
LARGE_BUILD = 1_000_000
LARGE_BUILD_FORMATS = ("trig", "nquads")


def cmd_build(args: argparse.Namespace) -> int:
    from .builds import inputs, new_store
    from .files import check_output_folder
    from .namespaces import IRIs
    from .tables import check_base

    check_base(args.base)
    check_output_folder(args.out)  # before the build, not after it
    # what the build is made from, read before the tables: a file changed during the build makes the
    # record out of date (the next command builds again), never a store that claims newer data
    recorded = inputs(args.data, args.ontology, IRIs(args.base).base, args.reading, args.as_of)
    if args.no_store:
        if args.low_memory:
            raise InvalidArgument("--low-memory builds into the on-disk store: leave out --no-store")
        return _build_and_write(args, recorded, None)
    # the on-disk store is written while the build runs: with --low-memory it is the build's only store
    with new_store(args.out) as folder:
        return _build_and_write(args, recorded, folder)


def _build_and_write(args: argparse.Namespace, recorded: dict[str, Any], folder: Path | None) -> int:
    """kg build after its checks: the build (also into the on-disk store in ``folder``, or only there with
    ``--low-memory``) and its outputs."""
    from pyoxigraph import Store

    from . import writers
    from .builds import BuildOutputs, prune_stores
    from .store import write_rdf

    disk = None if folder is None else Store(str(folder))
    # the build's temporary file (gigabytes at a million firms) beside the store, not in a temporary folder in memory
    scratch = None if folder is None else folder.parent
    # kg.nq written as the store is loaded, not dumped from it afterwards; in the store's folder, so that a build
    # that fails or is killed leaves none behind (kg.builds.new_store, prune_stores)
    copied = None if folder is None or not _writes(args, "nquads") else folder / "kg.nq.partial"
    with contextlib.ExitStack() as stack:
        nquads = None if copied is None else stack.enter_context(open(copied, "wb"))
        result = build_from_args(args, store=disk if args.low_memory else None,
                                 copy_to=None if args.low_memory else disk, scratch=scratch, nquads=nquads)
    # what the pages' time slider would cost, known to later commands without reading the tables again
    recorded["tables"] = {"rows": result.rows, "years": result.years}
    if not args.no_validate and _report_violations(result, args):
        print("error: the data does not conform to the shapes; nothing was written. "
              "Fix the rows named above and build again.", file=sys.stderr)
        return errors.EXIT_NOT_CONFORMING
    choices = writers.names("dataset")
    summary = result.summary()
    formats = args.formats.split(",") if args.formats else choices
    if not args.formats and summary["quads"] > LARGE_BUILD:
        formats = [f for f in choices if f in LARGE_BUILD_FORMATS]
        progress(f"{summary['quads']:,} quads: writing {' and '.join(formats)} (and the store) only; "
                 f"--formats {','.join(choices)} writes every format")
    unknown = [f for f in formats if f not in choices]
    if unknown:
        raise InvalidArgument(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(choices)}")
    saved = None if folder is None or disk is None else BuildOutputs(
        folder, recorded, summary, formats, disk, compact=result.store is not disk, finish=_save_catalogue,
        say=progress)
    progress(f"writing {amount(summary['quads'])} quads ({', '.join(formats)})…")
    # as many distinct triples as quads: no triple is in two graphs (the summary counted both; counting again
    # through BuildResult.graphs_disjoint reads the store once more, a second at 100,000 firms)
    disjoint = summary["triples"] == summary["quads"]
    write_rdf(result.store, args.out, formats, progress=progress, graphs_disjoint=disjoint,
              also=saved.tasks() if saved else (), written={"nquads": copied} if copied else None)
    if saved:
        progress(f"the store: {folder}")
        prune_stores(args.out, say=progress)
    print(summary_line(summary))
    return errors.EXIT_OK


def _save_catalogue(store: Store, folder: Path) -> None:
    """The answers of the views' catalogue over the build's on-disk ``store``, saved in its ``folder`` for every
    later kg viz and kg export (:func:`kg.views.catalogue.save_catalogue`)."""
    from .views.catalogue import save_catalogue

    t0 = time.perf_counter()
    progress("saving the views' catalogue…")
    save_catalogue(store, folder)
    progress(f"saved the views' catalogue in {time.perf_counter() - t0:.1f} s")


def cmd_validate(args: argparse.Namespace) -> int:
    from .validate import quality_report

    result = build_from_args(args)
    failed = _report_violations(result, args)
    issues = quality_report(result.store)
    print(f"Data-quality flags ({len(issues)}):")
    for issue in issues:
        print(f"  {issue}")
    if failed:
        return errors.EXIT_NOT_CONFORMING
    print("The graph conforms to the shapes.")
    return errors.EXIT_OK


#: The exit codes, as the commands use them (printed by ``kg --help``; the numbers are kg.errors').
EXIT_CODES = f"""exit codes:
  0    done (a query that matches nothing prints no rows and exits 0, unless an id it was given is unknown)
  1    the graph does not conform to the SHACL shapes (kg build, kg validate); nothing was written
  2    wrong input: errors in the data tables (each with file, row and field), a wrong option or argument,
       an unknown query, parameter, id, view or format, a SPARQL syntax error, a missing input file or
       folder, a graph file (--graph) that is not valid RDF (with its line and column)
  3    a SPARQL server failed or refused (kg query --endpoint, kg push), kg serve cannot listen on its port,
       or an output cannot be written (a full disk, a read-only folder, a file where a folder should be)
  {errors.EXIT_DEFECT}   a defect in kg (please report it; {errors.DEBUG_VARIABLE}=1 shows its traceback)
  {errors.EXIT_INTERRUPTED}  interrupted (Ctrl-C)
  {errors.EXIT_BROKEN_PIPE}  the reader of the output went away (kg query ... | head)
Each error is one line on stderr, "error: ...", never a traceback."""


def cmd_completion(args: argparse.Namespace) -> int:
    sys.stdout.write(completion_script(make_parser(), args.shell))
    return 0


def completion_script(parser: argparse.ArgumentParser, shell: str = "bash") -> str:
    """A bash (or zsh, through bashcompinit) completion script for the commands, options and choices."""
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    cases = []
    for name, p in sub.choices.items():
        words = [o for a in p._actions for o in a.option_strings if o.startswith("--")]
        for a in p._actions:
            if not a.option_strings and a.choices:
                words += [str(c) for c in a.choices]
        if name == "query":
            from .query import QUERIES_DIR, library

            try:
                words += list(library(QUERIES_DIR))
            except Exception:  # a broken saved query must not break completion  # noqa: BLE001
                pass
        cases.append(f'    {name}) words="{" ".join(words)}" ;;')
    top = " ".join(list(sub.choices) + ["--help", "--version"])
    script = f"""# kg shell completion ({shell}); load it with:  source <(kg completion {shell})
_kg_complete() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "{top}" -- "$cur") )
    return
  fi
  case "${{COMP_WORDS[1]}}" in
{chr(10).join(cases)}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}}
complete -o default -o bashdefault -F _kg_complete kg
"""
    if shell == "zsh":
        script = "autoload -U +X bashcompinit && bashcompinit\n" + script
    return script


def make_parser() -> argparse.ArgumentParser:
    from . import DISTRIBUTION, __version__, writers

    parser = argparse.ArgumentParser(
        prog="kg", description="Knowledge graph of firms and sectors for regional industry analysis.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Data errors name the file, row and field. Outputs are written atomically. The commands read "
               "./data, ./ontology and ./queries when the working directory has them, else the copies packaged "
               "with kg, and say which; a data folder's kg.toml gives the region, the study, the output "
               "folder.\n\n" + EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"kg {__version__} ({DISTRIBUTION})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("build", help="build, validate and write the graph to out/",
                       description="Read data/, build the RDF dataset, validate it with the SHACL shapes and "
                                   "write it as Turtle, TriG (one named graph per source), N-Triples, N-Quads "
                                   "and JSON-LD. Nothing is written if the input has errors.")
    add_input_options(p)
    add_output_folder(p)
    p.add_argument("--formats", type=rdf_formats,
                   help=f"comma-separated subset of: {','.join(writers.names('dataset'))} (checked before the build)")
    p.add_argument("--no-validate", action="store_true", help="skip the SHACL validation")
    p.add_argument("--no-store", action="store_true",
                   help="write only the RDF files, no on-disk store (later commands then build again)")
    p.add_argument("--low-memory", action="store_true",
                   help="build straight into the on-disk store, never holding the dataset in memory: for data "
                        "near the machine's memory (slower)")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("validate", help="run the SHACL shapes and report data-quality flags",
                       description="Build in memory, run the SHACL shapes (each violation with its data file "
                                   "and row) and list the data-quality flags. Writes nothing.")
    add_input_options(p)
    p.set_defaults(run=cmd_validate)

    for name, (help_text, setup) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(run=setup(p))

    p = sub.add_parser("completion", help="print a shell completion script (bash or zsh)",
                       description="Print a completion script for the commands, options, views and saved "
                                   "queries. bash: source <(kg completion bash), or save it as "
                                   "~/.local/share/bash-completion/completions/kg; zsh: source <(kg completion zsh)")
    p.add_argument("shell", nargs="?", choices=("bash", "zsh"), default="bash", help="(default: %(default)s)")
    p.set_defaults(run=cmd_completion)
    return parser


_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-commands of ``parser`` by name (none for a command without them)."""
    return next((dict(a.choices) for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})


def _is_known(token: str, options: Sequence[str]) -> bool:
    """Whether argparse reads ``token`` as one of ``options`` (exactly, as ``--name=value``, as a unique or
    ambiguous prefix of a long option, which argparse itself reports, or as ``-pVALUE``)."""
    name = token.split("=", 1)[0]
    if name.startswith("--"):
        return any(o.startswith(name) for o in options)
    return token[:2] in options


def check_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Say a mistyped command or option as the (sub-)command it belongs to, with the nearest name.

    argparse reports an unknown option of ``kg query`` as the top-level parser's (``kg: error:
    unrecognized arguments``), after any missing argument; this finds it first, in the parser of the
    command it was given to, and exits 2 with that command's usage:

    >>> p = argparse.ArgumentParser(prog="kg query"); _ = p.add_argument("--limit")
    >>> check_options(p, ["hq-absence", "--limt", "3"])  # doctest: +SKIP
    usage: kg query [-h] [--limit LIMIT]
    kg query: error: unknown option --limt; did you mean --limit?
    """
    tokens = list(argv)
    while tokens:
        token = tokens.pop(0)
        if token == "--":
            return
        commands = _subcommands(parser)
        if not token.startswith("-") or _NEGATIVE_NUMBER.match(token) or token == "-":
            if token in commands:
                parser = commands[token]
            elif commands:
                close = difflib.get_close_matches(token, list(commands), n=1)
                parser.error(f"unknown command '{token}'" + (f"; did you mean '{close[0]}'?" if close else
                                                             f"; choose from {', '.join(commands)}"))
            continue
        options = [o for a in parser._actions for o in a.option_strings]
        if not _is_known(token, options):
            name = token.split("=", 1)[0]
            close = difflib.get_close_matches(name, options, n=1)
            parser.error(f"unknown option {name}" + (f"; did you mean {close[0]}?" if close else
                                                      f"; see {parser.prog} --help"))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the one place where errors become a line on stderr and an exit code."""
    try:
        _register_plugins()
        parser = make_parser()
        argv = sys.argv[1:] if argv is None else list(argv)
        check_options(parser, argv)
        args = parser.parse_args(argv)
        apply_project(args)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except KgError as exc:
        _show_traceback()
        for line in exc.lines():
            print(f"error: {errors.one_line(line)}", file=sys.stderr)
        if footer := exc.footer():
            print(footer, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader of our output went away (kg query ... | head): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return errors.EXIT_BROKEN_PIPE
    except Exception as exc:  # a defect: still one line, not a traceback  # noqa: BLE001
        _show_traceback()
        print(f"error: {errors.defect_line(exc, errors.report_to())}", file=sys.stderr)
        return errors.EXIT_DEFECT


def _show_traceback() -> None:
    """With KG_DEBUG=1, the traceback of the error being handled (for a defect report)."""
    if os.environ.get(errors.DEBUG_VARIABLE, "") not in ("", "0"):
        import traceback

        traceback.print_exc(file=sys.stderr)


def _register_plugins() -> None:
    """Import the modules that add sub-commands (query, serve, viz, export, synth, ...)."""
    import importlib

    for module in ("kg.cli_init", "kg.cli_query", "kg.cli_viz", "kg.cli_synth", "kg.cli_import", "kg.cli_diff"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


if __name__ == "__main__":
    # Run through the package module, so that sub-commands registered by kg.cli_* land in the
    # same COMMANDS table (as __main__ this file is a second copy of kg.cli).
    from kg.cli import main as package_main

    sys.exit(package_main())
