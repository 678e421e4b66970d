"""Commands to ask the graph: ``kg query``, ``kg queries``, ``kg push`` and ``kg serve``.

Each command is one library call (:func:`kg.query.run`, :func:`kg.query.library`,
:func:`kg.remote.push`, :func:`kg.serve.serve`), so a notebook can do the same.  Their errors
(:mod:`kg.errors`) become a line on stderr and an exit code in :func:`kg.cli.main`.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import writers
from .cli import add_dataset_options, command, open_dataset, progress
from .errors import InvalidArgument, ServerError
from .query import QUERIES_DIR

if TYPE_CHECKING:
    from pyoxigraph import Store

    from .bulkload import BulkLoader
    from .credentials import Credentials
    from .remote import Endpoint
    from .results import About


def _graph_options(p: argparse.ArgumentParser) -> None:
    add_dataset_options(p)


def _remote_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--user", help=f"user name for the {what} (HTTP digest authentication; default: $KG_USER, "
                                  "or the login of the ~/.netrc entry for its host)")
    p.add_argument("--password",
                   help="password for --user; lands in the shell's history, so kg also reads $KG_PASSWORD, then "
                        "the ~/.netrc (or $NETRC) entry for the host, in this order")
    p.add_argument("--auth", choices=("digest", "basic"), default="digest",
                   help="HTTP authentication scheme (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server (default: %(default)s)")


def _credentials(args: argparse.Namespace) -> Credentials:
    """The user and password for ``--endpoint``: given, from the environment, or ~/.netrc (:mod:`kg.credentials`)."""
    from .credentials import find

    return find(args.endpoint, args.user, args.password)


@contextlib.contextmanager
def _refusal_explained(found: Credentials) -> Iterator[None]:
    """A server's refusal (HTTP 401) says where the password came from and where else kg looked."""
    from .remote import Unauthorized

    try:
        yield
    except Unauthorized as exc:
        raise Unauthorized(exc.url, found.refused(exc.url)) from None


def _store(args: argparse.Namespace) -> Store:
    """The embedded store: the build's, a dataset file, or built in memory (:func:`kg.cli.open_dataset`)."""
    return open_dataset(args).store


@command("query", "run a saved query (by name), a .rq file or query text, on the graph or a SPARQL server")
def setup_query(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.formatter_class = argparse.RawDescriptionHelpFormatter  # the epilog's lines as they are
    p.epilog = (_formats_help() + "\n\nExamples:\n  kg query hq-absence --param region=brandenburg\n"
                "  kg query firm-profile --param firm=zf --format csv\n"
                "  kg query control-summary --format xlsx --out control.xlsx   (Excel: typed cells)\n"
                "  kg query control-summary --format excel-csv --out control.csv   (German Excel)\n"
                "  kg query hq-absence --endpoint http://127.0.0.1:8890/sparql")
    p.add_argument("query", help="saved query name (see kg queries), path of a .rq file, or SPARQL text")
    p.add_argument("--param", "-p", action="append", metavar="NAME=VALUE",
                   help="value of a declared parameter, e.g. region=brandenburg (repeatable)")
    p.add_argument("--format", "-f", choices=list(writers.options("result")), default="table",
                   help="output format (default: %(default)s; the formats are listed below)")
    p.add_argument("--out", "-o", type=Path, help="write the result to this file (atomically) instead of stdout; "
                                                  "xlsx needs it (or stdout sent to a file or pipe)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="print one page of N rows (in the query's order) and say how many rows there are in all")
    p.add_argument("--offset", type=int, default=0, metavar="M",
                   help="with --limit: skip the first M rows (default: 0)")
    p.add_argument("--endpoint", metavar="URL", help="run on this SPARQL 1.1 endpoint instead of the embedded store")
    p.add_argument("--queries", type=Path, default=QUERIES_DIR, help="folder of saved queries (default: %(default)s)")
    _graph_options(p)
    _remote_options(p, "endpoint")
    return cmd_query


def _formats_help() -> str:
    """``kg query --help``'s list of the formats, one line each."""
    formats = writers.options("result")
    width = max(map(len, formats))
    return "formats:\n" + "\n".join(f"  {name.ljust(width)}  {w.description}" for name, w in formats.items())


def check_output(args: argparse.Namespace, writer: writers.Writer[writers.ResultFileFunction]) -> None:
    """Before the query: the output file's folder can be written, and a binary format goes to no terminal."""
    from .files import check_output_folder

    if args.out:
        check_output_folder(args.out, file=True)
    elif writer.binary and sys.stdout.isatty():
        raise InvalidArgument(f"--format {args.format} writes a file, not text for the terminal: "
                              f"give --out FILE.{writer.extension} (or send stdout to a file)")


def _target(args: argparse.Namespace) -> tuple[Endpoint | Store, About, Credentials | None]:
    """The embedded store or the remote endpoint the query runs on, which graph it is (the dataset, built
    and credit of an :class:`kg.results.About`), and for an endpoint the credentials found for it."""
    from .namespaces import IRIs
    from .results import About

    if args.endpoint:
        from .remote import Endpoint

        found = _credentials(args)
        return (Endpoint(args.endpoint, found.user, found.password, args.timeout, IRIs(args.base).base,
                         auth=args.auth), About(dataset=f"the SPARQL endpoint {args.endpoint}"), found)
    from .query import data_credit

    dataset = open_dataset(args)
    return (dataset.store, About(dataset=dataset.description, built=dataset.built,
                                 credit=data_credit(dataset.store)), None)


def write_output(data: bytes, args: argparse.Namespace, writer: writers.Writer[writers.ResultFileFunction]) -> None:
    """The written result to ``--out`` (atomically), else to stdout (a binary format as its bytes)."""
    from .files import atomic_write

    if args.out:
        with atomic_write(args.out, "wb") as handle:
            handle.write(data)
    elif writer.binary:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        sys.stdout.write(data.decode("utf-8"))


def cmd_query(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .namespaces import IRIs
    from .query import parse_assignments, resolve, run
    from .results import compactor, render_bytes

    if (args.limit is not None and args.limit < 1) or args.offset < 0:
        raise InvalidArgument("--limit must be 1 or more and --offset 0 or more")
    if args.offset and args.limit is None:
        raise InvalidArgument("--offset needs --limit (the page size)")
    writer = writers.options("result")[args.format]
    check_output(args, writer)  # before the query, not after it
    query = resolve(args.query, args.queries)
    params = parse_assignments(args.param)
    iris = IRIs(args.base)
    target, graph, found = _target(args)
    t0 = time.perf_counter()
    with _refusal_explained(found) if found else contextlib.nullcontext():
        result = run(query, target, params, iris, limit=args.limit, offset=args.offset)
    seconds = time.perf_counter() - t0
    result.about = replace(result.about, dataset=graph.dataset, built=graph.built, credit=graph.credit)
    write_output(render_bytes(result, writer.name, compactor(iris.base)), args, writer)
    if args.out:
        progress(f"wrote {len(result)} rows to {args.out}")
    if result.total is None:
        print(f"{query.name}: {len(result)} rows in {seconds * 1000:.0f} ms", file=sys.stderr)
    else:
        shown = f"rows {result.offset + 1:,}–{result.offset + len(result):,}" if len(result) else "no rows"
        print(f"{query.name}: {shown} of {result.total:,} in {seconds * 1000:.0f} ms", file=sys.stderr)
    return 0


@command("queries", "list the saved queries with their titles and parameters")
def setup_queries(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.add_argument("--queries", type=Path, default=QUERIES_DIR, help="folder of saved queries (default: %(default)s)")
    p.add_argument("--long", "-l", action="store_true", help="also print what each query answers and its columns")
    return cmd_queries


def cmd_queries(args: argparse.Namespace) -> int:
    from .query import library

    saved = library(args.queries)
    if not saved:
        raise InvalidArgument(f"no .rq files in {args.queries}")
    width = max(len(n) for n in saved)
    for name, q in saved.items():
        params = ", ".join(f"{p.name}={p.default}" if p.default else f"{p.name} (required)" for p in q.params)
        print(f"{name.ljust(width)}  {q.title}" + (f"  [{params}]" if params else ""))
        if args.long:
            for label, text in (("answers", q.answers), ("columns", q.columns)):
                if text:
                    print(f"{'':{width}}  {label}: {text}")
            print()
    return 0


@command("push", "load the built graph into a SPARQL server, replacing only this project's named graphs")
def setup_push(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.epilog = ("Virtuoso: kg push --endpoint http://127.0.0.1:8890/sparql-auth --user dba "
                "[--gsp http://127.0.0.1:8890/sparql-graph-crud-auth], the password in $KG_PASSWORD or ~/.netrc "
                "(machine 127.0.0.1 login dba password ...), or --password. Virtuoso on this machine (or sharing a "
                "folder): --method bulk --dirs-allowed-path DIR [--isql 127.0.0.1:1111] loads with its bulk loader")
    p.add_argument("--endpoint", required=True, metavar="URL",
                   help="SPARQL endpoint that answers queries and (without --gsp) accepts SPARQL Update")
    p.add_argument("--gsp", metavar="URL", help="Graph Store Protocol address: load each graph by HTTP PUT and "
                                                "POST in chunks (then no update endpoint is needed)")
    p.add_argument("--update", metavar="URL",
                   help="SPARQL Update endpoint, where it is not --endpoint (Oxigraph server: .../update)")
    p.add_argument("--chunk", type=int, default=1000, help="triples per INSERT DATA request (default: %(default)s)")
    p.add_argument("--method", choices=("http", "bulk"), default="http",
                   help="http: send the graphs to the server (SPARQL Update, or --gsp); bulk: Virtuoso's bulk loader "
                        "reads them from files in --dirs-allowed-path over ISQL, for a server on this machine or "
                        "sharing that folder (default: %(default)s)")
    p.add_argument("--isql", metavar="HOST:PORT", default="",
                   help="with --method bulk: Virtuoso's SQL port (default: the endpoint's host, port 1111); the "
                        "login is --user with the password from $KG_PASSWORD or ~/.netrc")
    p.add_argument("--dirs-allowed-path", type=Path, metavar="DIR",
                   help="with --method bulk: a folder listed in DirsAllowed of the server's virtuoso.ini, "
                        "which kg writes the files into")
    p.add_argument("--server-dir", metavar="DIR",
                   help="with --method bulk: that folder as the server sees it, where it differs (a container's mount)")
    _graph_options(p)
    _remote_options(p, "server")
    return cmd_push


def _bulk_loader(args: argparse.Namespace, found: Credentials) -> BulkLoader | None:
    """The bulk loader of ``--method bulk`` (checked before the build), or None."""
    from .bulkload import BulkLoader, isql_address

    if args.method != "bulk":
        given = [o for o, v in (("--isql", args.isql), ("--dirs-allowed-path", args.dirs_allowed_path),
                                ("--server-dir", args.server_dir)) if v]
        if given:
            raise InvalidArgument(f"{given[0]} is for --method bulk")
        return None
    if args.gsp:
        raise InvalidArgument("--method bulk loads without the Graph Store Protocol: leave out --gsp")
    if args.dirs_allowed_path is None:
        raise InvalidArgument("--method bulk needs --dirs-allowed-path DIR, a folder in DirsAllowed of the server's "
                              "virtuoso.ini that this machine can write")
    loader = BulkLoader(isql_address(args.isql, args.endpoint), found.user, found.password,
                        args.dirs_allowed_path.resolve(), args.server_dir, say=progress)
    loader.check()
    return loader


def cmd_push(args: argparse.Namespace) -> int:
    from .namespaces import IRIs
    from .remote import push

    found = _credentials(args)  # before the build: a password without a user is said at once
    bulk = _bulk_loader(args, found)
    dataset = open_dataset(args)
    with _refusal_explained(found):
        report = push(dataset.store, args.endpoint, gsp=args.gsp, user=found.user, password=found.password,
                      base=IRIs(args.base).base, timeout=args.timeout, chunk=args.chunk, auth=args.auth,
                      progress=progress, update=args.update, bulk=bulk, union_triples=dataset.triples)
    print(f"graphs: {report.graphs}  triples: {report.triples:,}  stale graphs dropped: {len(report.dropped)}  "
          f"seconds: {report.seconds:.1f}")
    print(report.clients)  # how curl, roqet or YASGUI run the saved queries there (README: other clients)
    return 0


@command("serve", "serve the graph as a read-only SPARQL 1.1 endpoint (and a query page) on 127.0.0.1")
def setup_serve(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.add_argument("--port", type=int, default=7878,
                   help="port on 127.0.0.1; 0 picks a free one (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds a query may run before it is refused (default: %(default)s)")
    p.add_argument("--max-rows", type=int, default=10_000,
                   help="largest number of result rows sent; larger results are refused (default: %(default)s)")
    p.add_argument("--queries", type=Path, default=QUERIES_DIR, help="saved queries offered on the page")
    p.add_argument("--workers", type=int, default=4,
                   help="query worker processes, i.e. queries run at once, without network; half as many more "
                        "take short queries while these are busy (default: %(default)s)")
    p.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="memory one query may use; a query that needs more is stopped (default: %(default)s)")
    _graph_options(p)
    return cmd_serve


def cmd_serve(args: argparse.Namespace) -> int:
    from .namespaces import IRIs
    from .query import queries_folder
    from .serve import serve

    for name, value, least in (("--workers", args.workers, 1), ("--memory", args.memory, 64),
                               ("--max-rows", args.max_rows, 1)):
        if value < least:
            raise InvalidArgument(f"{name} must be at least {least}")
    if not args.timeout > 0:
        raise InvalidArgument("--timeout must be a positive number of seconds")
    queries_folder(args.queries)  # the page offers them: a wrong folder is said now, not on the page
    dataset = open_dataset(args)
    try:
        server_context = serve(dataset.path or dataset.store, port=args.port, timeout=args.timeout,
                               max_rows=args.max_rows, queries=args.queries, base=IRIs(args.base).base,
                               workers=args.workers, memory_mb=args.memory)
        server = server_context.__enter__()
    except OSError as exc:
        raise ServerError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}; "
                          "choose another --port (0 picks a free one)") from None
    try:
        print(f"SPARQL endpoint: {server.url}sparql   query page: {server.url}   (Ctrl-C stops)", file=sys.stderr)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
    finally:
        server_context.__exit__(None, None, None)
    return 0
