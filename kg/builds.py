"""Build once, query many: the on-disk store a build leaves in ``out/``, and its record.

``kg build`` writes, beside the RDF files, an on-disk Oxigraph store (``out/kg.oxigraph/<id>/``)
and ``out/build.json``, the record of what it was built from: the data and ontology folders and a
digest of every file in them, the base, the reading and the code of kg itself.  Later commands
(``kg query``, ``viz``, ``export``, ``serve``, ``push``) open that store read-only in a fraction of
a second instead of building again, when their own inputs are the build's; otherwise they say why
(no build, other data, a changed file) and build in memory as before.

The record is switched in with the RDF files (:func:`kg.files.generation`); it names its store
folder, and a build never writes into a store folder another record names, so a command that has
read a record opens the store that record describes, even while a new build is being written.

>>> from kg.builds import find_build  # doctest: +SKIP
>>> found = find_build("out", data="data", ontology="ontology", base="https://w3id.org/bbmb/id/", reading="primary")
>>> found.usable, found.reason  # doctest: +SKIP
(True, 'the build in out (2026-12-02 01:50:12, 3,268,250 quads, reading primary)')
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .files import atomic_write

if TYPE_CHECKING:
    from pyoxigraph import Store

RECORD = "build.json"
STORES = "kg.oxigraph"
#: A record of another layout than this module writes is not used (it is rebuilt).
LAYOUT = 1


#: The files of a data folder a build reads: the tables (CSV or Excel workbooks) and the project file.
DATA_FILES = ("*.csv", "*.xlsx", "kg.toml")


def _digest_files(folder: Path, patterns: tuple[str, ...]) -> dict[str, str]:
    """SHA-256 of each file matching ``patterns`` in ``folder`` (not recursive), by name."""
    out: dict[str, str] = {}
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


#: The module whose imports make a build: every module of kg it imports, directly or not, decides
#: what a build contains (the tables' checks, the mapping, the rules, the derived facts).
BUILD_ROOT = "kg.build"


def _module_file(package_dir: Path, package: str, name: str) -> Path | None:
    """The source file of module ``name`` (``package.a.b``) under ``package_dir``, or None if not ours."""
    if name != package and not name.startswith(package + "."):
        return None
    parts = name.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


#: An import statement, wherever it stands (lazy imports in functions too): ``from X import names`` (in brackets
#: over several lines, or not) or ``import a.b as c, d``.  Read from the text, not parsed: parsing every module took
#: most of a command's start (0.25 s).  Text that only looks like an import (a line of a docstring) adds a module to
#: the digest.  One statement a line is read: an import after a ``;`` or ``:`` on the same line, or a bracketed
#: import whose comment holds a ``)``, would be missed; ruff (E701, E702) keeps such lines out of kg, and
#: tests/test_build_code.py checks every module of kg against Python's parser.
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n;]*)|import[ \t]+([^\n;]*))",
                     re.MULTILINE)
_COMMENT = re.compile(r"#[^\n]*")


def _names(listed: str) -> list[str]:
    """The names an import statement lists (``a.b as c, d`` -> ``a.b``, ``d``)."""
    words = (part.split() for part in _COMMENT.sub("", listed).strip("() \t\n").split(","))
    return [w[0] for w in words if w and w[0] != "*"]


def _imports(path: Path, name: str) -> set[str]:
    """The absolute names of the modules a module's source imports (anywhere in it, lazy imports too),
    and of the packages that hold them."""
    source = path.read_text(encoding="utf-8").replace("\\\n", " ")  # a statement continued by a backslash
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for origin, listed, plain in _IMPORT.findall(source):
        if plain:
            found.update(_names(plain))
            continue
        module = origin.lstrip(".")
        if level := len(origin) - len(module):
            base = ".".join(package.split(".")[: len(package.split(".")) - level + 1])
            module = f"{base}.{module}" if module else base
        found.add(module)
        found.update(f"{module}.{alias}" for alias in _names(listed))  # ``from . import geo``
    # importing a.b.c runs the packages a and a.b first
    return found | {".".join(m.split(".")[:i]) for m in found for i in range(1, m.count(".") + 1)}


def build_modules(root: str = BUILD_ROOT, package_dir: Path | None = None) -> list[Path]:
    """The source files of every module of the package that ``root`` imports, directly or not (an
    import-graph walk over the sources, the same whichever modules a process has loaded).

    >>> names = {p.as_posix().rsplit("/kg/", 1)[1] for p in build_modules()}
    >>> {"rules.py", "derive/summary.py"} <= names, "serve.py" in names
    (True, False)
    """
    package = root.split(".")[0]
    package_dir = package_dir or Path(__file__).resolve().parent
    seen: dict[str, Path] = {}
    todo = [root, package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(package_dir, package, name)
        if path is None:
            continue
        seen[name] = path
        todo.extend(_imports(path, name))
    return sorted(set(seen.values()))


def code_digest(root: str = BUILD_ROOT, package_dir: Path | None = None) -> str:
    """One digest of the modules that make a build (:func:`build_modules`): a build made by other
    code (other rules) is not reused."""
    package_dir = package_dir or Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in build_modules(root, package_dir):
        h.update(path.relative_to(package_dir).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def inputs(data: str | Path, ontology: str | Path, base: str, reading: str,
           as_of: datetime.date | None = None) -> dict[str, Any]:
    """What a build depends on, as recorded in ``build.json`` and compared by :func:`find_build` (``as_of``:
    the day of ``kg build --as-of``; a build as of another day, or of none, is another build)."""
    from .rules import check_reading

    data, ontology = Path(data).resolve(), Path(ontology).resolve()
    return {
        "data": str(data), "ontology": str(ontology), "base": base, "reading": check_reading(reading),
        "as_of": as_of.isoformat() if as_of else None,
        "files": {"data": _digest_files(data, DATA_FILES), "ontology": _digest_files(ontology, ("*.ttl",))},
        "code": code_digest(),
    }


@dataclass(frozen=True)
class Found:
    """The answer of :func:`find_build`: a usable build (its store and record), or why there is none."""

    usable: bool
    reason: str
    store_path: Path | None = None
    record: dict[str, Any] | None = None

    def open(self) -> Store:
        """The build's store, read-only (several processes may have it open at once)."""
        from pyoxigraph import Store

        if not self.usable or self.store_path is None:
            raise RuntimeError(f"no usable build: {self.reason}")
        return Store.read_only(str(self.store_path))


def read_record(out: str | Path) -> dict[str, Any] | None:
    """The record ``out/build.json`` of the build in ``out``, or None when there is none (or it is unreadable)."""
    path = Path(out) / RECORD
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("layout") == LAYOUT else None


def _changes(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between a build's inputs and the current ones, in words."""
    said = []
    for key, what in (("data", "data folder"), ("ontology", "ontology folder")):
        if recorded.get(key) != now[key]:
            said.append(f"it was built from the {what} {recorded.get(key)}, not {now[key]}")
    for key in ("base", "reading"):
        if recorded.get(key) != now[key]:
            said.append(f"it was built with {key} {recorded.get(key)!r}, not {now[key]!r}")
    if recorded.get("as_of") != now["as_of"]:
        said.append(f"it was built {_as_of_words(recorded.get('as_of'))}, not {_as_of_words(now['as_of'])}")
    if said:
        return said
    for kind in ("data", "ontology"):
        before: dict[str, str] = recorded.get("files", {}).get(kind, {})
        after: dict[str, str] = now["files"][kind]
        changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            said.append(f"{shown} changed since it was built")
    if recorded.get("code") != now["code"]:
        said.append("kg itself changed since it was built")
    return said


def _as_of_words(as_of: object) -> str:
    """How a record's ``as_of`` is said: ``as of 2019-12-31``, or ``from every fact`` (no --as-of)."""
    return f"as of {as_of}" if as_of else "from every fact (no --as-of)"


def describe(out: str | Path, record: dict[str, Any]) -> str:
    """``the build in out (2026-12-02 01:50:12, 3,268,250 quads, reading primary)``."""
    quads = record.get("counts", {}).get("quads")
    size = f", {quads:,} quads" if isinstance(quads, int) else ""
    as_of = f", {_as_of_words(record['as_of'])}" if record.get("as_of") else ""
    return f"the build in {out} ({record.get('built', '?')}{size}, reading {record.get('reading')}{as_of})"


def find_build(out: str | Path, data: str | Path, ontology: str | Path, base: str, reading: str,
               as_of: datetime.date | None = None) -> Found:
    """The build in ``out``, if it was made from these inputs (same files, base, reading, as-of day and kg code).

    Never raises: a missing, unreadable or outdated build is a :class:`Found` with ``usable=False``
    and the reason in words, for the command to say before it builds in memory.
    """
    record = read_record(out)
    if record is None:
        return Found(False, f"there is no build in {out}")
    store = Path(out) / STORES / str(record.get("store", ""))
    if not record.get("store") or not (store / "CURRENT").is_file():
        return Found(False, f"the build in {out} has no store (it was built with --no-store)")
    changes = _changes(record, inputs(data, ontology, base, reading, as_of))
    if changes:
        return Found(False, f"the build in {out} is out of date: " + "; ".join(changes), store, record)
    return Found(True, describe(out, record), store, record)


def write_store(store: Store, out: str | Path, name: str) -> Path:
    """Copy ``store`` into a new on-disk store ``out/kg.oxigraph/<name>/``, compacted for reading.

    Bulk-loaded (no transaction log), then compacted once, so that readers find few files.  A
    folder of that name must not exist yet: a store a record names is never written into.
    """
    from pyoxigraph import Store

    target = Path(out) / STORES / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        disk = Store(str(target))
        disk.bulk_extend(store.quads_for_pattern(None, None, None, None))
        disk.optimize()
        disk.flush()
        del disk  # closes the database, so that read-only openers see every file
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


@contextlib.contextmanager
def new_store(out: str | Path) -> Iterator[Path]:
    """A new, empty folder ``out/kg.oxigraph/<id>/`` for a build to write its store into (``Store(path)``).

    While the block runs it holds a lease, so that another build's :func:`prune_stores` leaves it alone.
    When the block ends it is kept only if ``out/build.json`` names it (the build's set was switched in);
    otherwise (the build failed, the data did not conform, the set was not written) it is removed.  A folder
    that cannot be written (a full disk, a read-only one) raises :class:`kg.files.OutputError`, one line.

    >>> with new_store("out") as folder:               # doctest: +SKIP
    ...     result = build("data", store=Store(str(folder)))
    """
    from .files import explain_os_error

    target = Path(out) / STORES / f"{time.time_ns()}-{os.getpid()}"
    fd = None
    try:
        target.mkdir(parents=True)
        fd = _lease(target, exclusive=False)
        yield target
    except OSError as exc:  # RocksDB's, while the store is written, say their errno in words (kg.errors.error_number)
        raise explain_os_error(exc, out) from None
    finally:
        if fd is not None:
            os.close(fd)
        record = read_record(out)
        if not record or record.get("store") != target.name:
            shutil.rmtree(target, ignore_errors=True)
            with contextlib.suppress(OSError):  # the stores' folder too, where this made it and left it empty
                target.parent.rmdir()


def write_record(folder: str | Path, name: str, recorded: dict[str, Any], counts: dict[str, int],
                 formats: list[str]) -> Path:
    """Write ``build.json`` into ``folder`` (a generation folder: switched in with the RDF files)."""
    record = {"layout": LAYOUT, "built": time.strftime("%Y-%m-%d %H:%M:%S"), "store": name,
              "formats": formats, "counts": counts, **recorded}
    from . import __version__

    record["kg"] = __version__
    path = Path(folder) / RECORD
    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1, sort_keys=True)
        handle.write("\n")
    return path


#: The file in a store folder that a process using the store holds a shared lock on (:func:`hold_store`).
LEASE = "kg-lease"


@contextlib.contextmanager
def hold_store(store: str | Path) -> Iterator[None]:
    """Keep the on-disk store ``store`` from being pruned while the block runs (``kg serve`` holds it).

    A shared ``flock`` on ``store/kg-lease``: :func:`prune_stores` removes no folder whose lease it
    cannot lock exclusively.  The kernel drops the lock when the process ends, however it ends, so
    no lease outlives its holder.  Where the file cannot be made (a read-only disk) nothing can
    prune the store either.  Raises :class:`~kg.errors.InputError` if the store was removed before the
    lease was taken.

    >>> with hold_store("out/kg.oxigraph/1796405495710865241-25277"):   # doctest: +SKIP
    ...     server.wait()
    """
    folder = Path(store)
    fd = _lease(folder, exclusive=False)
    try:
        if not (folder / "CURRENT").is_file():  # pruned between the reading of the record and the lease
            raise InputError(f"the store {folder} is gone (a newer build removed it); run the command again")
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _lease(folder: Path, exclusive: bool) -> int | None:
    """The descriptor of ``folder``'s lease, locked shared (waiting for a pruner) or exclusive (not waiting:
    BlockingIOError if a process holds it); None where there can be no lease (the file cannot be made)."""
    import fcntl  # POSIX only, as kg serve is

    mode = fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH
    try:
        fd = os.open(folder / LEASE, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def prune_stores(out: str | Path, keep: int = 2, say: Callable[[str], None] | None = None) -> None:
    """Remove store folders of ``out`` but the one ``build.json`` names, the newest others up to ``keep``,
    and every one a running process holds (:func:`hold_store`: a ``kg serve`` started on it).

    The one before the current build's stays, for a command that read the record just before the
    switch; older ones, and those of builds that were stopped before their record was written, go.
    A folder is removed while its lease is locked exclusively, so no process can take it up meanwhile.
    """
    folder = Path(out) / STORES
    if not folder.is_dir():
        return
    say = say or (lambda message: None)
    record = read_record(out)
    current = str(record.get("store")) if record else None
    others = sorted((p for p in folder.iterdir() if p.is_dir() and p.name != current),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    for path in others[max(0, keep - 1):]:
        try:
            lock = _lease(path, exclusive=True)
        except BlockingIOError:
            say(f"kept the old store {path}: a running kg serve uses it")
            continue
        try:
            shutil.rmtree(path)
            say(f"removed the old store {path}")
        except OSError:
            pass  # removed by another build meanwhile, or not removable: left for the next build
        finally:
            if lock is not None:
                os.close(lock)


class BuildOutputs:
    """The outputs that let later commands use a build: its on-disk store (written by the build into a folder of
    :func:`new_store`), what ``finish`` saves beside it from that store, and ``build.json``, which names it.

    :meth:`tasks` are handed to :func:`kg.store.write_rdf` (``also=``), which writes the record into the same
    generation as the RDF files; a store whose set is not switched in is removed by :func:`new_store`, with all
    its folder holds.
    """

    def __init__(self, folder: Path, recorded: dict[str, Any], counts: dict[str, int], formats: list[str],
                 store: Store, compact: bool = False, finish: Callable[[Store, Path], object] | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self.folder, self.recorded, self.counts, self.formats = folder, recorded, counts, formats
        #: the on-disk store in ``folder``, still to be compacted (:func:`kg.build.compact`) when ``compact``
        self.store, self.compact = store, compact
        #: more of the build's outputs, read from the (compacted) store and saved in its folder: answers read
        #: there come in the order later commands' reading of the same store gives them
        self.finish = finish
        self.say = say or (lambda message: None)

    def tasks(self) -> list[Callable[[Path], Path]]:
        return [self._store, self._record]

    def _store(self, generation: Path) -> Path:
        from .build import compact

        if self.compact:
            t0 = time.perf_counter()
            self.say("compacting the on-disk store…")
            compact(self.store)
            self.say(f"compacted the on-disk store in {time.perf_counter() - t0:.1f} s")
        if self.finish is not None:
            self.finish(self.store, self.folder)
        return self.folder

    def _record(self, generation: Path) -> Path:
        return write_record(generation, self.folder.name, self.recorded, self.counts, self.formats)
