"""A file written by several processes at once (kg.forked) holds the bytes one process writes, part after part,
whatever a forked part does: fails, or is stopped with the rest when the part written here fails."""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import IO

import pytest

from kg import forked
from kg.files import atomic_write

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kg.forked forks only where the system can")


def _part(i: int, size: int = 50_000):
    def write(target: IO[bytes]) -> None:
        for line in range(size):  # many writes: a part is buffered and flushed, not written at once
            target.write(f"part {i} line {line} pid-independent\n".encode())
    return write


def _expected(count: int) -> bytes:
    return b"".join(f"part {i} line {line} pid-independent\n".encode() for i in range(count) for line in range(50_000))


@pytest.mark.parametrize(("parts", "processes"), [(2, 2), (5, 2), (5, 3), (3, 4)])
def test_the_parts_are_written_in_order_by_several_processes(tmp_path: Path, parts: int, processes: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    forks = []
    fork = forked._fork
    monkeypatch.setattr(forked, "_fork", lambda part, spill: forks.append(fork(part, spill)) or forks[-1])
    target = tmp_path / "out.txt"
    with atomic_write(target, "wb") as handle:
        handle.write(b"head\n")
        forked.write_in_parts(handle, [_part(i) for i in range(parts)], processes)
        handle.write(b"tail\n")
    assert target.read_bytes() == b"head\n" + _expected(parts) + b"tail\n"
    assert len(forks) == parts - math.ceil(parts / processes)  # all but the first part of each batch forked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # the parts' files are gone


def test_a_part_whose_process_fails_is_written_here_instead(tmp_path: Path) -> None:
    here = os.getpid()

    def fails_when_forked(target: IO[bytes]) -> None:
        if os.getpid() != here:
            target.write(b"half a part")
            raise RuntimeError("lost in the forked process")
        _part(1)(target)

    target = tmp_path / "out.txt"
    with target.open("wb") as handle:
        forked.write_in_parts(handle, [_part(0), fails_when_forked, _part(2)], processes=3)
    assert target.read_bytes() == _expected(3)


def test_an_error_in_the_part_written_here_stops_the_forked_ones(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    forks: list[int] = []
    fork = forked._fork
    monkeypatch.setattr(forked, "_fork", lambda part, spill: forks.append(fork(part, spill)) or forks[-1])

    def endless(target: IO[bytes]) -> None:
        while True:
            target.write(b"x" * 1024)
            target.seek(0)

    def fails(target: IO[bytes]) -> None:
        raise OSError(28, "No space left on device")

    with (tmp_path / "out.txt").open("wb") as handle, pytest.raises(OSError, match="No space"):
        forked.write_in_parts(handle, [fails, endless], processes=2)
    assert len(forks) == 1
    with pytest.raises(ChildProcessError):  # stopped and reaped: no process left behind
        os.waitpid(forks[0], os.WNOHANG)


def test_one_process_where_the_system_cannot_fork_safely(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert forked.cores() == 1
    monkeypatch.setattr(sys, "platform", "linux")
    assert 1 <= forked.cores() <= forked.MAX_PROCESSES


def test_one_process_where_the_memory_would_not_hold_a_forked_one_s_copies(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    forks: list[int] = []
    monkeypatch.setattr(forked, "_fork", lambda part, spill: forks.append(0) or 0)  # never called
    monkeypatch.setattr(forked, "room_for_copies", lambda: 0)
    target = tmp_path / "out.txt"
    with target.open("wb") as handle:
        forked.write_in_parts(handle, [_part(i) for i in range(3)], processes=3)
    assert target.read_bytes() == _expected(3) and not forks


def test_the_room_for_copies_is_the_memory_available_over_this_process_s(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = {"VmRSS:": 4_000_000, "MemAvailable:": 9_000_000}  # kB: 4 GB resident, 9 GB available
    monkeypatch.setattr(forked, "_kilobytes", lambda path, field: sizes[field])
    assert forked.room_for_copies() == 2
    sizes["MemAvailable:"] = 3_000_000
    assert forked.room_for_copies() == 0
