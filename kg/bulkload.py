"""Load graphs into Virtuoso with its bulk loader (``ld_add`` / ``rdf_loader_run``) over ISQL.

Where kg and the Virtuoso server share a filesystem (the server runs on this machine, or a folder
is mounted on both), ``kg push --method bulk`` writes each graph as an N-Triples file into a folder
the server may read (listed in ``DirsAllowed`` of its ``virtuoso.ini``), and has the server load
them itself: no HTTP request carries the data, and the loader writes no transaction log while it
loads (a checkpoint then makes the data durable).  The push replaces the graphs in place
(:func:`kg.remote.push`): its manifest says "pushing" (remote queries refuse to run), the graphs are
emptied and loaded, counted over SPARQL, and the manifest says "complete".

What it needs:

* the ``isql-vt`` command (Debian/Ubuntu: ``apt install virtuoso-opensource``), and the server's
  SQL port (``ServerPort`` of ``[Parameters]``, 1111 by default) reachable from here;
* a folder that kg can write and the server can read, listed in ``DirsAllowed``: given as
  ``--dirs-allowed-path``, and as the server sees it (``server_dir``) where that differs (a
  container's mount);
* a SQL user allowed to run the loader (``dba``): the same user and password as for the SPARQL
  endpoint, from ``$KG_USER``/``$KG_PASSWORD`` or ``~/.netrc`` (:mod:`kg.credentials`).

The password is never on kg's command line (nor in the shell's history).  ``isql-vt`` takes it only
as an argument, so while the loader runs (seconds to minutes) other users of this machine could see
it in the process list (``ps``); where that matters, run the push as a user of a machine of your own
(the bulk loader needs the server's machine or a shared folder anyway) or push over HTTP.  Asked on
its standard input instead, isql first tries Virtuoso's default password, and the server then
refuses every login from this address after a few failed ones.

    >>> loader = BulkLoader("127.0.0.1:1111", "dba", "secret", Path("/var/lib/virtuoso/load"))
    >>> sql_string("it's")
    "'it''s'"
    >>> loader.load({"https://example.org/g": []}, "push-1")               # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol, runtime_checkable

from pyoxigraph import Quad, RdfFormat, serialize

from .errors import InvalidArgument, ServerError

#: The ISQL client of Debian's virtuoso-opensource (``isql`` there is unixODBC's, another program).
ISQL_COMMAND = "isql-vt"
DEFAULT_SQL_PORT = 1111
#: Marks the lines of our own SELECTs in isql's output.
_MARK = "kg-bulk:"


@runtime_checkable
class WritesNTriples(Protocol):
    """Quads that write themselves as N-Triples (:class:`kg.remote.StoredGraph`)."""

    def write_ntriples(self, handle: BinaryIO) -> None: ...


class BulkLoadError(ServerError):
    """The bulk loader could not run, or the server refused a file."""


def sql_string(text: str) -> str:
    """A SQL string literal.

    >>> sql_string("a'b")
    "'a''b'"
    """
    return "'" + text.replace("'", "''") + "'"


def isql_address(value: str, endpoint: str | None = None) -> str:
    """``HOST:PORT`` of the server's SQL port: as given, a bare host with the default port, or (none
    given) the host of ``endpoint``.

    >>> isql_address("", "http://127.0.0.1:8890/sparql-auth")
    '127.0.0.1:1111'
    >>> isql_address("db.example:1112")
    'db.example:1112'
    """
    import urllib.parse

    if not value:
        host = urllib.parse.urlsplit(endpoint or "").hostname
        if not host:
            raise InvalidArgument("--method bulk needs --isql HOST:PORT (the server's SQL port, 1111 by default)")
        return f"{host}:{DEFAULT_SQL_PORT}"
    host, _, port = value.rpartition(":") if ":" in value else (value, "", str(DEFAULT_SQL_PORT))
    if not host or not port.isdigit():
        raise InvalidArgument(f"--isql {value!r}: give HOST:PORT, the SQL port of the Virtuoso server "
                              f"(e.g. 127.0.0.1:{DEFAULT_SQL_PORT})")
    return f"{host}:{port}"


@dataclass
class BulkLoader:
    """Virtuoso's bulk loader, reached over ISQL at ``address`` (``HOST:PORT``).

    ``folder`` is where kg writes the files; ``server_dir`` the same folder as the server sees it
    (default: ``folder``).  It must be listed in the server's ``DirsAllowed``.
    """

    address: str
    user: str | None
    password: str | None
    folder: Path
    server_dir: str | None = None
    timeout: float = 3600.0
    command: str = ISQL_COMMAND
    checkpoint: bool = True  # make the loaded data durable (the loader writes no transaction log)
    say: Callable[[str], None] = field(default=lambda message: None, repr=False)

    def check(self) -> None:
        """Raise :class:`InvalidArgument` unless the client is installed and the folder is writable."""
        if shutil.which(self.command) is None:
            raise InvalidArgument(f"--method bulk needs the {self.command} command (Debian/Ubuntu: apt install "
                                  "virtuoso-opensource), or push over HTTP (without --method bulk)")
        if not self.folder.is_dir():
            raise InvalidArgument(f"--dirs-allowed-path {self.folder}: no such folder; give a folder listed in "
                                  "DirsAllowed of the server's virtuoso.ini, which this machine can write")
        probe = self.folder / f".kg-probe-{secrets.token_hex(4)}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InvalidArgument(f"--dirs-allowed-path {self.folder}: cannot write there ({exc.strerror or exc})"
                                  ) from None

    def run(self, statements: str, timeout: float | None = None) -> list[str]:
        """Run SQL statements; the lines of output that start with our mark, without it.

        Raises :class:`BulkLoadError` with the server's message for a refused login or statement.
        """
        # isql takes the password only as an argument: asked on its standard input instead, it first tries
        # Virtuoso's default password, and a server then refuses every login from here after a few failures
        command = [self.command, self.address, self.user or "dba", self.password or "", "VERBOSE=OFF",
                   "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF"]
        try:
            done = subprocess.run(command, input=statements + "\n", capture_output=True, text=True,
                                  timeout=timeout or self.timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise BulkLoadError(f"the bulk load on {self.address} did not finish within {timeout or self.timeout:g} s"
                                ) from None
        except OSError as exc:
            raise BulkLoadError(f"cannot run {self.command}: {exc.strerror or exc}") from None
        said = done.stderr
        errors = [line.strip() for line in said.splitlines() if line.startswith("*** Error")]
        if errors or done.returncode != 0:
            first = errors[0] if errors else f"exit code {done.returncode}"
            if "Bad login" in said:
                raise BulkLoadError(f"{self.address} refused the SQL login of user '{self.user or 'dba'}' ({first}); "
                                    "the bulk loader logs in with the endpoint's user and password "
                                    "(--user, $KG_PASSWORD or ~/.netrc)")
            if "Connect failed" in said:
                raise BulkLoadError(f"cannot reach the SQL port {self.address} ({first}); give --isql HOST:PORT "
                                    "(ServerPort in [Parameters] of virtuoso.ini)")
            raise BulkLoadError(f"{self.address}: {first}")
        return [line.strip()[len(_MARK):] for line in done.stdout.splitlines() if line.strip().startswith(_MARK)]

    def clear(self, graphs: Sequence[str]) -> None:
        """Empty the graphs, a commit per row (as Virtuoso advises for large graphs: one transaction would
        exceed its TransactionAfterImageLimit)."""
        if graphs:
            # iri_to_id(..., 0): an IRI the server does not know yet is not made, and matches nothing
            self.run("log_enable(3, 1);\n" + "\n".join(
                f"DELETE FROM DB.DBA.RDF_QUAD WHERE G = iri_to_id({sql_string(g)}, 0);" for g in graphs))

    def _server_path(self, name: str) -> str:
        return str(PurePosixPath(self.server_dir or str(self.folder)) / name)

    def load(self, graphs: Mapping[str, Iterable[Quad]], push_id: str) -> float:
        """Load each graph (its name and quads; a graph already holding triples gets them added) with
        the bulk loader, one file a graph: the seconds the server took.  A graph that writes its own N-Triples
        (:class:`WritesNTriples`: one read from a store, written by the store's engine) writes its file.  The
        files and their entries in the loader's list are removed afterwards, whether or not the load
        succeeded."""
        subfolder = f"kg-push-{push_id}"
        local = self.folder / subfolder
        local.mkdir()
        pattern = sql_string(self._server_path(subfolder) + "/%")
        forget = f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE {pattern};"
        try:
            adds = []
            for i, (graph, quads) in enumerate(sorted(graphs.items())):
                with open(local / f"{i}.nt", "wb") as handle:
                    if isinstance(quads, WritesNTriples):
                        quads.write_ntriples(handle)
                    else:
                        serialize((q.triple for q in quads), handle, RdfFormat.N_TRIPLES)
                adds.append(f"ld_add({sql_string(self._server_path(f'{subfolder}/{i}.nt'))}, {sql_string(graph)});")
            self.say(f"bulk loading {len(adds)} files from {self.folder} over ISQL at {self.address}…")
            started = time.perf_counter()
            failed = self.run("\n".join([
                forget, *adds, "rdf_loader_run();", *(["checkpoint;"] if self.checkpoint else []),
                # a file the server cannot find is left unread (state 0) without an error
                f"SELECT {sql_string(_MARK)} || ll_file || ': ' || coalesce(ll_error, 'not read') "
                f"FROM DB.DBA.load_list WHERE ll_file LIKE {pattern} AND (ll_state <> 2 OR ll_error IS NOT NULL);"]))
            seconds = time.perf_counter() - started
            if failed:
                raise BulkLoadError(f"the bulk loader refused {len(failed)} file(s): {failed[0][:500]}; is "
                                    f"{self._server_path(subfolder)} the folder as the server sees it (--server-dir), "
                                    "and in DirsAllowed?")
            return seconds
        finally:
            shutil.rmtree(local, ignore_errors=True)
            with contextlib.suppress(BulkLoadError):
                self.run(forget, timeout=60)
