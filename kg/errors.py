"""The errors ``kg`` raises for what a user can fix, each carrying the command's exit code.

Every error the library raises on purpose is a :class:`KgError`; ``kg.cli.main`` turns it into one
``error: ...`` line on stderr and its :attr:`~KgError.exit_code`, in one place.  Anything else that
reaches ``main`` is a defect of ``kg`` (see :func:`defect_line`).

    >>> raise InputError("data/sites.csv, row 3: unknown place 'berln'")
    Traceback (most recent call last):
    kg.errors.InputError: data/sites.csv, row 3: unknown place 'berln'
    >>> OutputError("cannot write out/: the disk is full").exit_code
    3

The families and their codes (also in ``kg --help``):
:class:`InputError` 2 (data tables, options, queries, ids, a graph or shapes file),
:class:`OutputError` 3 (an output cannot be written), :class:`ServerError` 3 (a SPARQL server failed,
or ``kg serve`` cannot listen).  Exit code 1 is not an error of this module: it is the answer "the
graph does not conform to the shapes", which ``kg build`` and ``kg validate`` report row by row.
"""
from __future__ import annotations

import errno
from pathlib import Path
from typing import ClassVar

#: The exit codes of the ``kg`` command.
EXIT_OK = 0
EXIT_NOT_CONFORMING = 1
EXIT_INPUT = 2
EXIT_OUTPUT = 3
EXIT_SERVER = 3
#: A defect of kg (an exception no check foresaw); 70 is EX_SOFTWARE of sysexits.h.
EXIT_DEFECT = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: Set this environment variable to 1 to see the traceback of any error.
DEBUG_VARIABLE = "KG_DEBUG"


class KgError(Exception):
    """An error a user can act on: its message says what, where, and what to do."""

    exit_code: ClassVar[int] = EXIT_INPUT

    def lines(self) -> list[str]:
        """The error's lines for stderr, each printed after ``error: `` (one, unless it lists several)."""
        return [str(self)]

    def footer(self) -> str | None:
        """A closing line after the errors (not an error itself), or None."""
        return None


class InputError(KgError):
    """Wrong input: a data table, an option, a query, a parameter or id, a graph or shapes file."""

    exit_code = EXIT_INPUT


class InvalidArgument(InputError, ValueError):
    """A wrong value for an option or argument (an unknown view, region, reading, format);
    also a :class:`ValueError`, as Python callers expect of a wrong argument."""


class OutputError(KgError):
    """An output cannot be written (full disk, read-only, no inodes, a file in the place of a folder)."""

    exit_code = EXIT_OUTPUT


class ServerError(KgError):
    """A SPARQL server could not be reached, refused the request or failed; or kg serve cannot listen."""

    exit_code = EXIT_SERVER


# ---------------------------------------------------------------------------- OS errors, explained

#: What an OS error on an output means, in words.
_OUTPUT_REASONS: dict[int, str] = {
    errno.ENOSPC: "the disk is full (no space or no free inodes left)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a file stands where a folder should be",
    errno.EEXIST: "a file stands where a folder should be",
    errno.EISDIR: "a folder stands where the file should be",
    errno.EFBIG: "a file grew larger than this file system or limit allows",
    errno.ENAMETOOLONG: "the name is too long",
}
#: What to do about it, beyond choosing another place (``{choose}``).
_OUTPUT_REMEDIES: dict[int, str] = {
    errno.ENOSPC: "free some space or {choose}",
    errno.EDQUOT: "free some space or {choose}",
    errno.EACCES: "{choose} or fix the folder's permissions",
    errno.EPERM: "{choose} or fix the folder's permissions",
}


def output_os_error(exc: OSError, path: str | Path, choose: str = "choose another --out") -> OutputError:
    """One line for an output ``path`` that cannot be written, saying why and what to do.

        >>> import errno
        >>> print(output_os_error(PermissionError(errno.EACCES, "Permission denied"), "out/x.csv"))
        cannot write out/x.csv: permission denied (EACCES); choose another --out or fix the folder's permissions
        >>> print(output_os_error(NotADirectoryError(errno.ENOTDIR, "Not a directory"), "a-file/out/x.csv"))
        cannot write a-file/out/x.csv: a file stands where a folder should be (ENOTDIR); choose another --out
    """
    code = error_number(exc)
    reason = _OUTPUT_REASONS.get(code, os_reason(exc))
    if code in (errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in Path(path).parents if p.exists() and not p.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker else reason
    remedy = _OUTPUT_REMEDIES.get(code, "{choose}").format(choose=choose)
    name = errno.errorcode.get(code, "")
    return OutputError(f"cannot write {path}: {reason}" + (f" ({name})" if name else "") + f"; {remedy}")


#: The store's (RocksDB's) I/O errors reach Python as OSError with neither an errno nor ``(os error N)``: their
#: words tell which it is, in either case ("IO error: No space left on device" while a file is written, "io
#: error: no space left on device" while the store is compacted).
_STORE_WORDS = {"no space left on device": errno.ENOSPC, "read-only file system": errno.EROFS,
                "permission denied": errno.EACCES, "too many open files": errno.EMFILE}


def error_number(exc: OSError) -> int:
    """The error number of an OSError, 0 if none is known; pyoxigraph's carry it only in their text
    (``... (os error 2)``, or the words of :data:`_STORE_WORDS`).

        >>> error_number(OSError("io error: no space left on device: while appending to file")) == errno.ENOSPC
        True
    """
    import re

    if exc.errno:
        return exc.errno
    text = str(exc)
    found = re.search(r"\(os error (\d+)\)", text)
    if found:
        return int(found[1])
    return next((code for words, code in _STORE_WORDS.items() if words in text.lower()), 0)


def os_reason(exc: OSError) -> str:
    """What went wrong, in the system's words, without pyoxigraph's ``(os error N)``."""
    import os

    code = error_number(exc)
    return (exc.strerror or (os.strerror(code) if code else str(exc))).lower()


def input_os_error(exc: OSError, path: str | Path, what: str = "file") -> InputError:
    """One line for an input ``path`` that cannot be read.

        >>> import errno
        >>> print(input_os_error(FileNotFoundError(errno.ENOENT, "No such file or directory"), "kg.trig"))
        cannot read kg.trig: no such file or directory; check the path
    """
    remedy = {errno.EACCES: "check its permissions", errno.EPERM: "check its permissions",
              errno.EISDIR: f"name a {what}, not a folder"}.get(error_number(exc), "check the path")
    reason = os_reason(exc)
    return InputError(f"cannot read {path}: {reason}; {remedy}")


def parse_error(exc: SyntaxError, path: str | Path, fmt: str = "RDF") -> InputError:
    """One line for a malformed RDF file: file, line and column (as pyoxigraph's parser gives them).

        >>> print(parse_error(SyntaxError("Parser error at line 4 column 1: Unexpected end",
        ...                               ("kg.trig", 4, 1, None, 4, 1)), "kg.trig", "TriG"))
        kg.trig, line 4, column 1: not valid TriG: Unexpected end; fix the file or build it again (kg build)
    """
    import re

    message = re.sub(r"^Parser error(?: at line \d+ column \d+)?:\s*", "", exc.msg or str(exc))
    where = str(path)
    if exc.lineno:
        where += f", line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
    return InputError(f"{where}: not valid {fmt}: {message}; fix the file or build it again (kg build)")


def one_line(text: str) -> str:
    """``text`` on one line (a value a user gave may hold line breaks), for an ``error:`` line.

        >>> print(one_line("parameter 'firm': 'otis\\n' is unknown"))
        parameter 'firm': 'otis\\n' is unknown
    """
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\0")


def defect_line(exc: BaseException, report_to: str) -> str:
    """The one line for an exception no check foresaw: a defect of kg, where to report it, how to see more."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return (f"a defect in kg ({one_line(what)[:300]}); please report it with the command you ran to {report_to}. "
            f"{DEBUG_VARIABLE}=1 shows the traceback")


def report_to() -> str:
    """Where to report a defect: the distribution's issue tracker (its ``Project-URL``), when it names one."""
    from importlib.metadata import PackageNotFoundError, metadata

    from . import DISTRIBUTION

    try:
        urls = metadata(DISTRIBUTION).get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("issues", "bug tracker", "bugs", "tracker"):
            return str(url).strip()
    return "the maintainers of kg (the project's issue tracker)"
