"""Atomic file output: a file is either the old one or the complete new one, never half-written."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import IO, Any, Iterator

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
    except OSError as exc:
        raise output_os_error(exc, path, choose) from None
    try:
        with os.fdopen(fd, mode, encoding=encoding) as handle:
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

_GENERATION = ".gen-"
_COMPLETE = ".complete"
STALE_TEMP_SECONDS = 600.0


def explain_os_error(exc: OSError, folder: str | Path) -> OutputError:
    """One line for an output folder that cannot be written, saying what to do."""
    return OutputError(f"{output_os_error(exc, folder)}; the outputs in {folder} were left as they were")


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def recover(out: str | Path) -> None:
    """Finish or undo what an interrupted build left in ``out``: a complete generation is moved into
    place (its switch was cut short), an incomplete one is removed, and so are stale temp files."""
    out = Path(out)
    if not out.is_dir():
        return
    now = time.time()
    for entry in out.iterdir():
        if entry.name.startswith(_GENERATION) and entry.is_dir():
            marker = entry / _COMPLETE
            if marker.is_file():
                for name in marker.read_text(encoding="utf-8").split("\n"):
                    if name and "/" not in name and (entry / name).is_file():
                        os.replace(entry / name, out / name)
            _remove_tree(entry)
        elif entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > STALE_TEMP_SECONDS:  # not one another command writes now
                    entry.unlink()


def generation_name(folder: str | Path) -> str:
    """The id of a generation folder (``out/.gen-<id>``): unique, and what other outputs of the set are named by."""
    return Path(folder).name.removeprefix(_GENERATION)


@contextlib.contextmanager
def generation(out: str | Path) -> Iterator[Path]:
    """A folder to write a set of output files into; on success they replace those in ``out`` as one.

    The files are written into ``out/.gen-<id>/``; when the block ends without error they are made
    durable, a marker listing them is written, and each is renamed into ``out/`` (a few renames in
    a row).  If the process dies in that moment, the next :func:`generation` or :func:`recover`
    on ``out`` finishes the switch; if it dies earlier, the old files stand and the half-written
    generation is removed.  Only one build writes into ``out`` at a time (a lock on the folder).

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
        with open(gen / _COMPLETE, "w", encoding="utf-8") as marker:
            marker.write("\n".join(names) + "\n")
            marker.flush()
            os.fsync(marker.fileno())
        _fsync_dir(gen)
        for name in names:  # the switch: a few renames, finished by recover() if cut short
            os.replace(gen / name, out / name)
        _fsync_dir(out)
        _remove_tree(gen)
    except OSError as exc:
        _abandon(gen, out)
        raise explain_os_error(exc, out) from None
    except BaseException:
        _abandon(gen, out)
        raise
    finally:
        os.close(lock)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _abandon(gen: Path | None, out: Path) -> None:
    """After a failure: a generation not yet complete is removed; a complete one is switched in."""
    if gen is None or not gen.exists():
        return
    if (gen / _COMPLETE).is_file():
        with contextlib.suppress(OSError):
            recover(out)
    else:
        _remove_tree(gen)
