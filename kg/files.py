"""Atomic file output: a file is either the old one or the complete new one, never half-written."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .errors import OutputError, output_os_error


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb", encoding: str | None = None,
                 choose: str = "choose another --out") -> Iterator[IO[Any]]:
    """Write to a temporary file beside ``path`` and move it into place only on success.

    A file that cannot be written raises :class:`OutputError` naming ``path``, why, and what to do
    (``choose`` says how to name another place: ``choose another --out`` unless told).

    >>> with atomic_write("out/report.txt", "w", encoding="utf-8") as f:  # doctest: +SKIP
    ...     f.write("done")
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)  # opened again by its name, so that the handle's name is its path: kg.forked spills beside it
    except OSError as exc:
        raise output_os_error(exc, path, choose) from None
    try:
        with open(tmp, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # writing the file failed (a full disk, a folder in its place)
            raise output_os_error(exc, path, choose) from None
        raise


def check_output_folder(folder: str | Path, choose: str = "choose another --out", file: bool = False) -> None:
    """Raise :class:`OutputError` now, before any work, when ``folder`` cannot be made a folder
    because it, or a folder above it, is a file (``file=True``: the folder of the file ``folder``).

        >>> check_output_folder("out/pages")  # a folder, or one that can be made
    """
    path = Path(folder)
    for above in path.parents if file else (path, *path.parents):
        if above.exists():
            if not above.is_dir():
                blocker = "it" if above == path else str(above)
                raise OutputError(f"cannot write {path}: {blocker} is a file, not a folder; {choose}")
            return


# ---------------------------------------------------------------------------- output generations
#
# A set of output files (a build's RDF files and its record) lives in a generation folder
# ``out/.gen-<id>/``; the link ``out/current`` names the generation in use, and each file of the set is
# a link through it (``out/kg.ttl -> current/kg.ttl``).  Switching to a new set is one rename of
# ``out/current``, so every reader -- whichever file it opens, whenever the writer is stopped -- sees
# one generation: the old one or the new one, never a mix.

_GENERATION = ".gen-"
#: The link in an output folder that names the generation in use.
CURRENT = "current"
#: The marker of a generation whose files are being renamed file by file into the folder: by
#: :func:`replaced_together` (plain files a person edits), or by a kg of the earlier layout of outputs (before
#: ``current``: the files themselves in the folder).
_COMPLETE = ".complete"
STALE_TEMP_SECONDS = 600.0


def explain_os_error(exc: OSError, folder: str | Path) -> OutputError:
    """One line for an output folder that cannot be written, saying what to do."""
    return OutputError(f"{output_os_error(exc, folder)}; the outputs in {folder} were left as they were")


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def current_generation(out: str | Path) -> Path | None:
    """The generation folder ``out/current`` names, or None (no build yet, or one of the earlier layout)."""
    link = Path(out) / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    folder = link.parent / target
    return folder if target.startswith(_GENERATION) and "/" not in target and folder.is_dir() else None


def _is_set_link(path: Path) -> bool:
    """Is ``path`` one of the links through ``current`` that a generation's files are read by?"""
    try:
        return os.readlink(path) == f"{CURRENT}/{path.name}"
    except OSError:
        return False


def recover(out: str | Path) -> None:
    """Tidy what an interrupted build left in ``out``: generations other than the current one, links of
    the set that lead nowhere (the current generation has no such file) and stale temp files.

    Readers never need it (they see one generation however a build was stopped); the next build
    calls it first.  A folder of the earlier layout whose switch was cut short is finished here.
    """
    out = Path(out)
    if not out.is_dir():
        return
    current = current_generation(out)
    if current is None:
        _finish_legacy_switch(out)
    now = time.time()
    for entry in out.iterdir():
        if entry.is_symlink():
            if _is_set_link(entry) and not entry.exists():
                entry.unlink()
            elif entry.name.startswith(".") and entry.name.endswith(".tmp"):
                entry.unlink()  # a link made for a rename that did not happen
        elif entry.name.startswith(_GENERATION) and entry.is_dir():
            if entry != current:
                _remove_tree(entry)
        elif entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > STALE_TEMP_SECONDS:  # not one another command writes now
                    entry.unlink()


def _finish_legacy_switch(out: Path) -> None:
    """Finish renaming a complete generation's files into ``out`` one by one (:func:`replaced_together`, or
    the earlier layout of outputs), where that was cut short."""
    for entry in out.iterdir():
        marker = entry / _COMPLETE
        if entry.name.startswith(_GENERATION) and marker.is_file():
            for name in marker.read_text(encoding="utf-8").split("\n"):
                if name and "/" not in name and (entry / name).is_file():
                    os.replace(entry / name, out / name)


def generation_name(folder: str | Path) -> str:
    """The id of a generation folder (``out/.gen-<id>``): unique, and what other outputs of the set are named by."""
    return Path(folder).name.removeprefix(_GENERATION)


@contextlib.contextmanager
def generation(out: str | Path, members: Iterable[str] = ()) -> Iterator[Path]:
    """A folder to write a set of output files into; on success they replace those in ``out`` as one.

    The files are written into ``out/.gen-<id>/``; when the block ends without error they are made
    durable and ``out/current`` is switched to that folder in one rename; each file is read as
    ``out/<name>``, a link through ``current``.  If the process dies before that rename, readers see
    the old set and the next :func:`generation` (or :func:`recover`) removes the new folder; after
    it, the new set.  ``members`` are names that belong to the set even when this generation has no
    such file (a build of fewer formats): an old one is not left beside the new set.  Only one
    build writes into ``out`` at a time (a lock on the folder).

    Raises :class:`OutputError` (one line) when ``out`` cannot be written.
    """
    import fcntl

    out = Path(out)
    try:
        if out.exists() and not out.is_dir():
            raise OutputError(f"cannot write {out}: it is a file, not a folder; choose another --out")
        out.mkdir(parents=True, exist_ok=True)
        lock = os.open(out, os.O_RDONLY)
    except OSError as exc:
        raise explain_os_error(exc, out) from None
    gen = None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recover(out)
        gen = out / f"{_GENERATION}{time.time_ns()}-{os.getpid()}"
        gen.mkdir()
        yield gen
        names = _durable(gen)
        _fsync_dir(gen)
        _switch(out, gen, sorted(set(names) | set(members)))
    except OSError as exc:
        _abandon(gen, out)
        raise explain_os_error(exc, out) from None
    except BaseException:
        _abandon(gen, out)
        raise
    finally:
        os.close(lock)


def _switch(out: Path, gen: Path, names: list[str]) -> None:
    """Make ``gen`` the generation in use.  Every step leaves each reader of ``out`` on one generation."""
    _adopt_plain_files(out, names)
    for name in names:  # links that show the generation in use (before the switch: the old one, or nothing)
        if not _is_set_link(out / name):
            _link(out / name, f"{CURRENT}/{name}")
    _link(out / CURRENT, gen.name)  # the switch: one rename
    _fsync_dir(out)
    recover(out)  # the old generation, and links the new one has no file for


def _adopt_plain_files(out: Path, names: list[str]) -> None:
    """Files of the set that stand in ``out`` themselves (the earlier layout) become a generation first.

    They are hard-linked into a generation folder that ``current`` then names, and only then
    replaced by links one by one: each reader sees the same bytes at every step.
    """
    plain = [n for n in names if (out / n).is_file() and not (out / n).is_symlink()]
    if not plain:
        return
    if current_generation(out) is None:
        import shutil

        adopted = out / f"{_GENERATION}{time.time_ns()}-{os.getpid()}-adopted"
        adopted.mkdir()
        for name in plain:
            try:
                os.link(out / name, adopted / name)
            except OSError:  # no hard links on this file system: a copy holds the same bytes
                shutil.copy2(out / name, adopted / name)
        _fsync_dir(adopted)
        _link(out / CURRENT, adopted.name)
    for name in plain:
        _link(out / name, f"{CURRENT}/{name}")


def _link(path: Path, target: str) -> None:
    """Make ``path`` a symbolic link to ``target`` in one rename (whatever stood there is replaced)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.link.tmp")  # one left by a kill: see recover()
    os.symlink(target, temporary)
    os.replace(temporary, path)


def _durable(gen: Path) -> list[str]:
    """The files of a generation folder, each on disk (fsync) with the permissions of a new file; their names."""
    names = sorted(p.name for p in gen.iterdir() if not p.name.startswith("."))
    umask = os.umask(0)
    os.umask(umask)
    for name in names:
        fd = os.open(gen / name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(gen / name, 0o666 & ~umask)
    return names


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _abandon(gen: Path | None, out: Path) -> None:
    """After a failure: a generation that was not switched in is removed."""
    if gen is None or not gen.exists() or current_generation(out) == gen:
        return
    _remove_tree(gen)


@contextlib.contextmanager
def replaced_together(folder: str | Path, choose: str = "choose another --out") -> Iterator[Path]:
    """A folder to write files into that then replace those of ``folder``, as plain files (no links).

    For a folder a person edits, such as a data folder's tables, which a spreadsheet program, git and
    diff should see as ordinary files (:func:`generation` makes links through ``current``).  The files
    are written into ``folder/.gen-<id>/``, made durable and listed in a marker; then each is renamed
    into ``folder`` (a few renames in a row).  If the process dies in that moment, the next
    :func:`replaced_together` (or :func:`recover`) on ``folder`` finishes the renames; if it dies
    earlier, the old files stand and the half-written generation is removed.  One writer at a time (a
    lock on the folder).  Raises :class:`OutputError` (one line; ``choose`` says how to name another
    place) when ``folder`` cannot be written.
    """
    import fcntl

    folder = Path(folder)

    def failed(exc: OSError) -> OutputError:
        return OutputError(f"{output_os_error(exc, folder, choose)}; the files in {folder} were left as they were")

    try:
        lock = os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise failed(exc) from None
    gen = None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        recover(folder)
        gen = folder / f"{_GENERATION}{time.time_ns()}-{os.getpid()}"
        gen.mkdir()
        yield gen
        names = _durable(gen)
        with open(gen / _COMPLETE, "w", encoding="utf-8") as marker:
            marker.write("\n".join(names) + "\n")
            marker.flush()
            os.fsync(marker.fileno())
        _fsync_dir(gen)
        for name in names:  # the switch: a few renames, finished by recover() if cut short
            os.replace(gen / name, folder / name)
        _fsync_dir(folder)
        _remove_tree(gen)
    except BaseException as exc:
        if gen is not None and gen.exists():
            if (gen / _COMPLETE).is_file():  # complete: finish the renames rather than leave a mix
                with contextlib.suppress(OSError):
                    recover(folder)
            _remove_tree(gen)
        if isinstance(exc, OSError):
            raise failed(exc) from None
        raise
    finally:
        os.close(lock)
