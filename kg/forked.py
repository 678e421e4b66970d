"""One file written by several processes at once: its parts formatted on every core, written in their order.

Formatting a large graph file is Python work, held to one core by Python's lock.  On Linux a process forked
from the one that holds the graph sees the graph without copying it, so each part after the first is formatted
in a forked process of its own, into an unnamed file beside the target, while the first is written to the target
itself; the others are then copied after it.  The bytes are the same as those of one process writing every part
in turn, which is what happens where the system has no ``fork``, one core, or not the free memory for a forked
process's copies (:func:`room_for_copies`), and for a part whose process fails: it is written here instead, later.

    >>> import io
    >>> out = io.BytesIO()
    >>> write_in_parts(out, [lambda f: f.write(b"one "), lambda f: f.write(b"two")], processes=1)
    >>> out.getvalue()
    b'one two'
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from typing import IO

__all__ = ["cores", "room_for_copies", "write_in_parts"]

Part = Callable[[IO[bytes]], object]
"""A part of a file: a function that writes its bytes to the (binary) file it is given."""

#: At most this many processes at once: each costs its copies of the pages it touches.
MAX_PROCESSES = 4


def cores() -> int:
    """How many processes :func:`write_in_parts` runs at once here: the cores this process may use (at most
    :data:`MAX_PROCESSES`), or 1 where the system cannot fork a process that sees this one's memory."""
    if not sys.platform.startswith("linux"):  # macOS forks unsafely past threads; Windows cannot fork
        return 1
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0))))


def room_for_copies() -> int:
    """How many forked processes the memory available can hold beside this one, each taken to copy all of this
    process's resident memory: what it touches is copied on write (a reference count is a write), and the
    objects of a view lie spread over its pages.  (At a million firms a forked process formatting half the hq
    view copied 4.4 GB of the 12.8 GB: where that much is not free, the file is written by one process.)"""
    resident = _kilobytes("/proc/self/status", "VmRSS:")
    available = _kilobytes("/proc/meminfo", "MemAvailable:")
    if resident is None or available is None:
        return 0
    return available // max(resident, 1)


def _kilobytes(path: str, field: str) -> int | None:
    """A ``field`` of a Linux ``/proc`` file in kB, or None where there is no such file or field."""
    try:
        with open(path, encoding="ascii") as lines:
            return next((int(line.split()[1]) for line in lines if line.startswith(field)), None)
    except OSError:
        return None


def write_in_parts(handle: IO[bytes], parts: Sequence[Part], processes: int | None = None) -> None:
    """Write each of ``parts`` to ``handle`` in order, the parts after the first in forked processes at the same
    time (``processes``: how many at most, the first part's included; default :func:`cores`; fewer where the memory
    available would not hold their copies, :func:`room_for_copies`).

    A forked part is written to an unnamed file in the folder of ``handle``'s file (where its name is a path; else
    the system's temporary folder), then copied into ``handle``.
    """
    processes = min(cores() if processes is None else processes, 1 + room_for_copies())
    if processes <= 1 or len(parts) <= 1:
        for part in parts:
            part(handle)
        return
    name = getattr(handle, "name", None)
    folder = os.path.dirname(name) if isinstance(name, str) else None
    handle.flush()  # nothing buffered is written twice, by a forked process as well
    for start in range(0, len(parts), processes):
        _write_batch(handle, parts[start], parts[start + 1:start + processes], folder)


def _write_batch(handle: IO[bytes], here: Part, forked: Sequence[Part], folder: str | None) -> None:
    """``here`` written to ``handle`` while each of ``forked`` is written in a process of its own; then theirs."""
    spills: list[IO[bytes]] = []
    running: list[int] = []  # the processes' ids, in the parts' order
    try:
        for part in forked:
            spills.append(tempfile.TemporaryFile(dir=folder))
            running.append(_fork(part, spills[-1]))
        here(handle)
        for part, written in zip(forked, spills, strict=True):
            _, status = os.waitpid(running.pop(0), 0)
            written.seek(0)
            if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
                shutil.copyfileobj(written, handle, 1 << 20)
            else:  # written here instead: the same bytes
                part(handle)
    finally:
        for pid in running:  # stopped part-way here (an error, Ctrl-C): the others stop too
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        for spill in spills:
            spill.close()


def _fork(part: Part, spill: IO[bytes]) -> int:
    """A forked process writing ``part`` to ``spill`` and ending (1 on any error, which it leaves to its parent)."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        part(spill)
        spill.flush()
        code = 0
    finally:
        os._exit(code)  # no cleanup of the parent's: its buffers, files and atexit stay the parent's
