"""Private SPARQL servers for tests and benchmarks: a Virtuoso Open Source per run, on free ports.

Use it as a context manager::

    with virtuoso(tmp_path) as server:
        SPARQLWrapper(server.sparql_url)                       # read-only endpoint
        server.auth_url, server.gsp_url, server.user, server.password   # updates (digest auth)

The server gets its own ``virtuoso.ini`` and database folder inside the given temporary folder,
listens on 127.0.0.1 only (SQL and HTTP ports picked free), is started with ``cwd=`` that folder so
the process id we keep is the server's own, and is stopped by that process id.  The SPARQL result
cap (``ResultSetMaxRows``) is raised so that large results are not silently truncated (see
``shared/reference/virtuoso.md``).
"""
from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SYSTEM_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
START_TIMEOUT = 60.0  # seconds; a fresh database usually answers within a few seconds
STOP_TIMEOUT = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class VirtuosoServer:
    """A running private Virtuoso: its endpoints, credentials, process id and folder."""

    folder: Path
    sql_port: int
    http_port: int
    pid: int
    user: str = "dba"
    password: str = "dba"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        """Read-only SPARQL 1.1 Protocol endpoint (no authentication)."""
        return f"{self.base_url}/sparql"

    @property
    def auth_url(self) -> str:
        """SPARQL endpoint that accepts updates, with HTTP digest authentication."""
        return f"{self.base_url}/sparql-auth"

    @property
    def gsp_url(self) -> str:
        """SPARQL 1.1 Graph Store Protocol endpoint, with HTTP digest authentication."""
        return f"{self.base_url}/sparql-graph-crud-auth"

    def isql(self, statements: str, timeout: float = 120) -> str:
        """Run SQL statements with ``isql-vt`` as dba (e.g. the bulk loader); returns its output."""
        done = subprocess.run(["isql-vt", f"127.0.0.1:{self.sql_port}", self.user, self.password,
                               f"exec={statements}"], capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql-vt failed: {done.stdout}\n{done.stderr}")
        return done.stdout


def write_ini(folder: Path, sql_port: int, http_port: int, template: Path = SYSTEM_INI,
              buffers: tuple[int, int] = (100_000, 60_000)) -> Path:
    """A copy of Debian's ``virtuoso.ini`` with every path in ``folder`` and the given ports.

    The file has duplicate keys and inline comments, so it is rewritten line by line rather
    than with :mod:`configparser`.
    """
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    changes: dict[str, dict[str, str]] = {
        "Database": {"DatabaseFile": f"{db}/virtuoso.db", "ErrorLogFile": f"{db}/virtuoso.log",
                     "LockFile": f"{db}/virtuoso.lck", "TransactionFile": f"{db}/virtuoso.trx",
                     "xa_persistent_file": f"{db}/virtuoso.pxa"},
        "TempDatabase": {"DatabaseFile": f"{db}/virtuoso-temp.db", "TransactionFile": f"{db}/virtuoso-temp.trx"},
        "Parameters": {"ServerPort": f"127.0.0.1:{sql_port}", "DirsAllowed": f"., {folder}",
                       "NumberOfBuffers": str(buffers[0]), "MaxDirtyBuffers": str(buffers[1]),
                       "CheckpointInterval": "0"},
        "HTTPServer": {"ServerPort": f"127.0.0.1:{http_port}"},
        "URIQA": {"DefaultHost": f"127.0.0.1:{http_port}"},
        # the cost estimate (Debian: 400 s) is a guess that varies between runs of the same server on the same data:
        # it once refused cluster-links on 1,000 firms ("estimated 73,274 s"); runs are still capped at 120 s
        "SPARQL": {"ResultSetMaxRows": "10000000", "MaxQueryExecutionTime": "120", "MaxQueryCostEstimationTime": "0"},
    }
    out: list[str] = []
    section = ""
    pending: dict[str, str] = {}

    def flush() -> None:
        out.extend(f"{k} = {v}" for k, v in pending.items())
        pending.clear()

    for line in template.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            flush()
            section = stripped[1:-1]
            pending.update(changes.get(section, {}))
            out.append(line)
            continue
        key = stripped.split("=", 1)[0].strip() if "=" in stripped and not stripped.startswith(";") else ""
        if key and key in changes.get(section, {}):
            if key in pending:
                out.append(f"{key} = {pending.pop(key)}")
            continue  # a duplicate of a key already written
        out.append(line)
    flush()
    ini = folder / "virtuoso.ini"
    ini.write_text("\n".join(out) + "\n", encoding="utf-8")
    return ini


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "?query=ASK%7B%7D", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def virtuoso(folder: str | Path, command: str = "virtuoso-t",
             buffers: tuple[int, int] = (100_000, 60_000)) -> Iterator[VirtuosoServer]:
    """Start a private Virtuoso in ``folder`` (which should be empty and temporary); stop it on exit.

    Raises :class:`RuntimeError` with the end of the server's log if it does not answer in time.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = write_ini(folder, sql_port, http_port, buffers=buffers)
    log = open(folder / "virtuoso.out", "wb")
    process = subprocess.Popen([command, "+configfile", str(ini), "+foreground"], cwd=folder,
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = VirtuosoServer(folder, sql_port, http_port, process.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(server.sparql_url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "virtuoso.out").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Virtuoso did not start on port {http_port} "
                                   f"(exit code {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()  # SIGTERM to the server's own pid
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# ---------------------------------------------------------------------------- Oxigraph server

@dataclass(frozen=True)
class OxigraphServer:
    """A running ``oxigraph serve`` (pip install oxigraph): query, update and Graph Store addresses."""

    folder: Path
    port: int
    pid: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sparql_url(self) -> str:
        return f"{self.base_url}/query"

    @property
    def update_url(self) -> str:
        return f"{self.base_url}/update"

    @property
    def gsp_url(self) -> str:
        return f"{self.base_url}/store"


def oxigraph_command() -> str | None:
    """The ``oxigraph`` command of this Python environment (or on PATH), if installed."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


@contextlib.contextmanager
def oxigraph(folder: str | Path, *options: str) -> Iterator[OxigraphServer]:
    """Start ``oxigraph serve`` on a free 127.0.0.1 port with its database in ``folder`` (and ``options``,
    e.g. ``--union-default-graph``); stop it by pid."""
    command = oxigraph_command()
    if command is None:
        raise RuntimeError("the oxigraph command is not installed: pip install oxigraph")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(folder / "oxigraph.out", "wb")
    process = subprocess.Popen([command, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}",
                                *options],
                               cwd=folder, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = OxigraphServer(folder, port, process.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _ready(server.sparql_url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (folder / "oxigraph.out").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"oxigraph did not start on port {port} (exit code {process.poll()}):\n{tail}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextlib.contextmanager
def basic_auth_proxy(target: str, user: str, password: str) -> Iterator[str]:
    """A SPARQL endpoint on 127.0.0.1 that asks every request for HTTP basic authentication (``user``,
    ``password``) and passes the authenticated ones on to ``target``: a server that guards its reads too.
    It runs on a thread of the test's process and is shut down on leaving; yields its address."""
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="kg test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            request = urllib.request.Request(target, data=body, method="POST", headers={
                k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")})
            with urllib.request.urlopen(request, timeout=60) as answer:
                data = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/sparql-results+json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
