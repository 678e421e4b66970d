"""The answers of the views' catalogue queries: asked of the store in threads, or read from the copy the build
saved beside its store.

The catalogue (:class:`kg.views.catalogue.Catalog`) reads 2.4 million rows at 100,000 firms.  The engine took
about 14 s of CPU for them on the build's on-disk store; the build asks the same queries of that store once
(:func:`save_answers`) and keeps their rows in ``kg-catalogue/`` inside the store's folder, so that each later
``kg viz`` and ``kg export`` reads them as text in about two seconds (:class:`Answers` with ``saved=``).  They are
saved in the order that store gives them (another store, e.g. one in memory, orders rows otherwise, and the order
of a firm's alternative figures in a text follows the rows'): the views are the same as from the store itself.

A saved answer is a UTF-8 text file ``<query name>-<digest of the query's text>.tsv``: a first line with the
number of variables and the number of rows (spaces may follow), then one line per row, its values separated by
tabs.  In a value a backslash, a tab and a line break are written ``\\\\``, ``\\t`` and ``\\n``; an unbound
value is ``\\N``.  A file whose name does not match the query's current text (a build by other code), or that
does not hold the rows its first line counts (a damaged copy), is not read: that query is asked of the store.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from pyoxigraph import QueryResultsFormat, QuerySolutions, Store

from ..namespaces import PREFIXES
from ..query import lexical_value, select_values

#: The folder, inside an on-disk store's folder, that holds the catalogue's answers the build saved.
SAVED = "kg-catalogue"

Row = tuple[Any, ...]
"""A row of a catalogue query: its terms' lexical values in the order of its variables (None: unbound)."""
Rows = TypeVar("Rows", bound=Iterable[Row])

_UNBOUND = "\\N"
_ESCAPED = re.compile(r"\\(.)")
_UNESCAPE = {"\\": "\\", "t": "\t", "n": "\n"}


def saved_file(folder: str | Path, name: str, query: str) -> Path:
    """The file of ``folder/kg-catalogue`` that holds the answer of ``query`` (named ``name``), by its text.

        >>> saved_file("store", "orgs", "SELECT ?o WHERE { ?o a org:Organization }").name
        'orgs-cea71bd854ad45de.tsv'
    """
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]
    return Path(folder) / SAVED / f"{name}-{digest}.tsv"


def encode_rows(rows: list[Row]) -> str:
    r"""The text of a saved answer (see the module's description).

        >>> encode_rows([("a", None), ("tab\there", "")])
        '2 2\na\t\\N\ntab\\there\t\n'
    """
    width = len(rows[0]) if rows else 0
    try:  # most answers have no unbound value and no tab, line break or backslash in any value: joined in C
        text = "\n".join(map("\t".join, rows))
        plain = ("\\" not in text and text.count("\t") == len(rows) * max(width - 1, 0)
                 and text.count("\n") == max(len(rows) - 1, 0))
    except TypeError:  # an unbound value
        plain = False
    if not plain:
        text = "\n".join("\t".join(map(_escape, row)) for row in rows)
    return f"{width} {len(rows)}\n{text}\n" if rows else f"{width} 0\n"


def _escape(value: str | None) -> str:
    if value is None:
        return _UNBOUND
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def decode_rows(text: str) -> list[Row]:
    r"""The rows of a saved answer's text (:func:`encode_rows`); ValueError if it does not hold the rows its first
    line counts, each with as many values (a tab or line break in a value is escaped: the counts are exact).

        >>> decode_rows('2 2\na\t\\N\ntab\\there\t\n')
        [('a', None), ('tab\there', '')]
        >>> decode_rows('2 2\na\t\\N\n')
        Traceback (most recent call last):
        ValueError: not an answer of 2 rows of 2 values
    """
    head, _, body = text.partition("\n")
    width, count = map(int, head.split())  # a saved answer's count may be padded (save_answers)
    if not text.endswith("\n") or body.count("\n") != count or text.count("\t") != count * max(width - 1, 0):
        raise ValueError(f"not an answer of {count} rows of {width} values")
    if width == 0:
        return [() for _ in range(count)]
    if "\\" not in text:
        # every value of every row in one split, grouped into rows by zip: no Python step a row
        values = body[:-1].replace("\n", "\t").split("\t") if count else []
        return list(zip(*[iter(values)] * width, strict=True))
    return [_row(line) for line in body[:-1].split("\n")]


def _row(line: str) -> Row:
    """A saved answer's line (without its line break) as a row."""
    return tuple(map(_unescape, line.split("\t"))) if "\\" in line else tuple(line.split("\t"))


def stream_rows(path: Path) -> Iterable[Row]:
    r"""The rows of the saved answer at ``path`` (:func:`encode_rows`) a line at a time, not held at once (the
    firms' ties are 19 million rows at a million firms); ValueError, before the first row, if it does not hold
    the rows its first line counts, each with as many values, in UTF-8 (read in blocks to check them).

        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "answer.tsv"
        >>> _ = path.write_bytes(b'2 2\na\t\\N\ntab\\there\t\n')
        >>> list(stream_rows(path))
        [('a', None), ('tab\there', '')]
        >>> _ = path.write_bytes(b'2 2\na\t\\N\n')
        >>> stream_rows(path)
        Traceback (most recent call last):
        ValueError: not an answer of 2 rows of 2 values
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()  # a damaged copy fails here, not part-way through its rows
    with path.open("rb") as raw:
        head = raw.readline()
        width, count = map(int, head.split())
        lines, tabs, last = 0, 0, head[-1:]
        while block := raw.read(1 << 24):
            utf8.decode(block)
            lines, tabs, last = lines + block.count(b"\n"), tabs + block.count(b"\t"), block[-1:]
        utf8.decode(b"", final=True)
    if last != b"\n" or lines != count or tabs != count * max(width - 1, 0):
        raise ValueError(f"not an answer of {count} rows of {width} values")
    return _rows_of(path, width)


def _rows_of(path: Path, width: int) -> Iterator[Row]:
    # decoded as text split at line feeds only: a carriage return in a value is not a line break
    with path.open(encoding="utf-8", newline="\n") as lines:
        next(lines)
        for line in lines:
            yield _row(line[:-1]) if width else ()


def _unescape(value: str) -> str | None:
    if value == _UNBOUND:
        return None
    return _ESCAPED.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(0)), value) if "\\" in value else value


class Answers:
    """The rows of each of ``queries`` by name, once each: read from the answers the build saved in ``saved``
    (an on-disk store's folder) where it has them, else asked of ``store``, every such query at once in threads of
    its own.

    The engine evaluates a query and writes its answer without Python's lock, so the store is read on every core
    while the catalogue joins the answers it already has (in its own order, as a sequential reading would: the
    same catalogue).

    >>> with Answers(Store(), {"orgs": "SELECT ?o WHERE { ?o a org:Organization }"}) as answers:
    ...     answers("orgs")
    []
    """

    def __init__(self, store: Store, queries: Mapping[str, str], saved: str | Path | None = None,
                 workers: int | None = None) -> None:
        self._store, self._queries = store, queries
        self._files = {name: path for name, query in queries.items()
                       if saved is not None and (path := saved_file(saved, name, query)).is_file()}
        asked = [name for name in queries if name not in self._files]
        self._pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1),
                                        thread_name_prefix="catalogue")
        # asked in the order the catalogue reads them: the first answers are ready first
        self._pending: dict[str, Future[list[Row]]] = {
            name: self._pool.submit(select_values, store, queries[name]) for name in asked}

    def __call__(self, name: str) -> list[Row]:
        """The rows of the query ``name``, once (the catalogue asks each once; its rows are then let go)."""
        # decoded from bytes: read as text, a carriage return in a value would end its line
        return self._read(name, lambda path: decode_rows(path.read_bytes().decode("utf-8")))

    def rows(self, name: str) -> Iterable[Row]:
        """The rows of the query ``name``, once, as :meth:`__call__` gives them; a saved answer a line at a time
        (:func:`stream_rows`), not held at once."""
        return self._read(name, stream_rows)

    def _read(self, name: str, read: Callable[[Path], Rows]) -> Rows | list[Row]:
        """The rows of ``name``: its saved answer as ``read`` gives it, else the store's."""
        if name in self._files:
            try:
                return read(self._files.pop(name))
            except (OSError, ValueError):  # a damaged copy: the store's answer, right if slower
                return select_values(self._store, self._queries[name])
        return self._pending.pop(name).result()

    def __enter__(self) -> Answers:
        return self

    def __exit__(self, *exc: object) -> None:
        for future in self._pending.values():  # an error part-way: the queries not yet asked are not asked
            future.cancel()
        self._pool.shutdown(wait=True)


def save_answers(store: Store, queries: Mapping[str, str], folder: str | Path) -> Path:
    """Ask ``store`` each of ``queries`` and save the rows in ``folder/kg-catalogue`` (:class:`Answers` reads
    them); ``folder`` is the folder of the on-disk store that holds the same dataset.  Returns the folder.

    Each answer goes to its file a row at a time: the engine writes its tab-separated answer to a file beside
    (without Python's lock, the next two queries' while this one's rows are copied), read back line by line.
    Held as rows, the answers raised a million-firm build's peak from 11 to 15 GB.

    The files are written in place: the store's folder is one of a build's outputs, switched in with the rest of
    the set or removed whole (:class:`kg.builds.BuildOutputs`), and an error writing them (a full disk) is the
    set's ``OSError``."""
    saved = Path(folder) / SAVED
    saved.mkdir(parents=True, exist_ok=True)
    names = list(queries)
    with ThreadPoolExecutor(max_workers=_AHEAD, thread_name_prefix="catalogue") as pool:
        def ask(name: str) -> Future[Path]:
            return pool.submit(_engine_answer, store, queries[name], saved / f"{name}.engine.tsv")

        asked = [ask(name) for name in names[:_AHEAD]]
        for i, name in enumerate(names):
            engine_file = asked.pop(0).result()
            asked += [ask(following) for following in names[i + _AHEAD:i + _AHEAD + 1]]  # evaluated meanwhile
            _copy_answer(engine_file, saved_file(folder, name, queries[name]))
            engine_file.unlink()
    return saved


def _engine_answer(store: Store, query: str, path: Path) -> Path:
    """The engine's tab-separated answer to ``query`` (over the union of the graphs), written to ``path``."""
    solutions = cast(QuerySolutions, store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES))
    solutions.serialize(output=path, format=QueryResultsFormat.TSV)
    return path


_AHEAD = 2  # answers the engine writes while kg copies one: two cores kept busy
_COUNT_ROOM = 20  # digits left for the number of rows, written once the rows are counted


def _copy_answer(engine_file: Path, path: Path) -> None:
    """Copy the engine's tab-separated answer (:func:`kg.query.select_terms`) into a saved answer at ``path``
    (:func:`encode_rows`), a line at a time."""
    # text split at line feeds only, none translated: a carriage return in a value is not a line break
    with engine_file.open(encoding="utf-8", newline="\n") as lines, \
            path.open("w", encoding="utf-8", newline="\n") as out:
        names = next(lines)[:-1]
        width = len(names.split("\t")) if names else 0
        out.write(f"{width} {' ' * _COUNT_ROOM}\n")
        count = 0
        for line in lines:  # each row ends in a line break (no variable, or one unbound: an empty line)
            count += 1
            out.write("\t".join(map(_escape, map(lexical_value, line[:-1].split("\t")))) + "\n" if width else "\n")
        out.seek(0)
        out.write(f"{width} {count:<{_COUNT_ROOM}}")
