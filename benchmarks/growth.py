"""The growth table of the benchmark: each step's time and peak memory at each size, how they grow, and what
a size this machine could not run would need.

For each step (build, build with validation, the saved queries, a listing page, GEXF per view, ``kg viz
all``, push) and each measured size: the wall time and the peak memory of the step's process, or why it has
none there (it failed, was killed, ran out of memory, or was not run).  Between two measured sizes the
fitted exponent is the log-log slope, ``log(t2 / t1) / log(n2 / n1)`` (1: linear, 2: quadratic).  For each
size where the step failed, and each size asked to be projected (``--project``), the time and memory it
would need follow from the largest measured size and the last exponent, beside this machine's memory.

    >>> exponent(100_000, 10.0, 300_000, 30.0)
    1.0
    >>> round(project(100_000, 10.0, 1_000_000, 2.0), 1)
    1000.0
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Point:
    """A step at one size: seconds and peak memory (MB), or why there are none."""

    seconds: float | None = None
    mb: float | None = None
    failed: str | None = None
    note: str = ""


def exponent(n1: float, v1: float, n2: float, v2: float) -> float | None:
    """The log-log slope between two measurements, or None where it is not defined."""
    if min(n1, n2, v1, v2) <= 0 or n1 == n2:
        return None
    return math.log(v2 / v1) / math.log(n2 / n1)


def project(n: float, value: float, to: float, slope: float) -> float:
    """The value at ``to`` of a measurement ``value`` at ``n`` growing as ``n ** slope``."""
    return value * (to / n) ** slope


def _failure(entry: dict[str, Any]) -> str | None:
    """Why a step's record holds no measurement (its error, its kill, its exit code), or None."""
    if entry.get("skipped"):
        return f"not run: {entry['skipped']}"
    if entry.get("error"):
        return str(entry["error"])
    if entry.get("killed"):
        return "killed (time-out)"
    code = entry.get("returncode")
    if code:
        return oom_reason(code)
    return None


def oom_reason(returncode: int) -> str:
    """A process's exit code in words: SIGKILL from nobody here is the kernel's out-of-memory killer."""
    if returncode == -9 or returncode == 137:
        return "killed by SIGKILL (out of memory: the kernel's OOM killer)"
    return f"exit code {returncode}"


def _build(key: str) -> Callable[[dict[str, Any]], Point | None]:
    def read(size: dict[str, Any]) -> Point | None:
        b = size.get(key)
        if not b:
            return None
        if b.get("wall") is None or b.get("returncode"):
            return Point(failed=_failure(b) or "no measurement")
        return Point(b["wall"], b.get("peak_rss_mb"), note="refused by the shapes" if b.get("refused") else "")
    return read


def _floor(size: dict[str, Any]) -> Point | None:
    """``oxigraph load`` of the build's own N-Quads into a fresh store: the floor the build is compared with."""
    f = size.get("floor")
    if not f:
        return None
    failed = _failure(f)
    return Point(failed=failed) if failed else Point(f["wall"], f.get("peak_rss_mb"))


def _queries(size: dict[str, Any]) -> Point | None:
    """The saved queries on the build's on-disk store: the sum of their medians (each one after a warm-up)."""
    q = size.get("queries", {}).get("disk")
    if not q:
        return None
    answered = [e["median"] for e in q.get("queries", {}).values() if e.get("event") == "query"]
    missed = len(q.get("queries", {})) - len(answered)
    if not answered:
        return Point(failed=_failure(q) or "no query answered")
    return Point(sum(answered), q.get("peak_rss_mb"), note=f"{missed} timed out or failed" if missed else "")


def _page(size: dict[str, Any]) -> Point | None:
    """The slowest listing's first page (limit 100, with its total)."""
    p = size.get("pages")
    if not p:
        return None
    pages = [e for e in p.get("pages", {}).values() if e.get("median") is not None]
    if not pages:
        return Point(failed=_failure(p) or "no page measured")
    slowest = max(pages, key=lambda e: e["median"])
    return Point(slowest["median"], p.get("peak_rss_mb"), note=f"`{slowest['name']}`")


def _gexf(view: str) -> Callable[[dict[str, Any]], Point | None]:
    """``kg export gexf --view V --build OUT`` from a fresh process (its own peak memory), else the views
    worker's GEXF time (the worker's peak memory, shared by every view)."""
    def read(size: dict[str, Any]) -> Point | None:
        exported = size.get("next", {}).get("exports", {}).get(view)
        if exported:
            failed = _failure(exported)
            return Point(failed=failed) if failed else Point(exported["wall"], exported.get("peak_rss_mb"))
        v = size.get("views")
        if not v:
            return None
        entry = next((e for e in v.get("views", []) if e.get("name") == view), None)
        if entry is None or entry.get("gexf_seconds") is None:
            return Point(failed=(entry or {}).get("error") or _failure(v) or "not measured")
        return Point(entry["gexf_seconds"], v.get("peak_rss_mb"), note="in the views worker")
    return read


def _viz_all(size: dict[str, Any]) -> Point | None:
    v = size.get("viz_all")
    if not v:
        return None
    if v.get("wall") is None or v.get("returncode") or v.get("killed"):
        return Point(failed=_failure(v) or "no measurement")
    return Point(v["wall"], v.get("peak_rss_mb"))


def _push(key: str) -> Callable[[dict[str, Any]], Point | None]:
    def read(size: dict[str, Any]) -> Point | None:
        server = size.get("queries", {}).get("virtuoso")
        if not server:
            return None
        pushed = server.get(key)
        if not pushed:  # the server's step failed before this push, or the push was not run
            failed = _failure(server)
            return Point(failed=failed) if failed else None
        if pushed.get("error"):
            return Point(failed=pushed["error"])
        return Point(pushed["seconds"], pushed.get("peak_rss_mb"))
    return read


#: The steps of the table: title, and how to read its point from one size's results.
STEPS: tuple[tuple[str, Callable[[dict[str, Any]], Point | None]], ...] = (
    ("`kg build --no-validate`", _build("build")),
    ("`kg build` with validation", _build("build_validated")),
    ("`oxigraph load` of the build's N-Quads (the floor)", _floor),
    ("every saved query, on-disk store (sum of medians)", _queries),
    ("a listing page (slowest, limit 100 with total)", _page),
    ("GEXF export, hq view", _gexf("hq")),
    ("GEXF export, clusters view", _gexf("clusters")),
    ("GEXF export, full view", _gexf("full")),
    ("`kg viz all`", _viz_all),
    ("push to Virtuoso (Graph Store Protocol)", _push("push")),
    ("push to Virtuoso (bulk loader)", _push("bulk_push")),
)


def _seconds(value: float) -> str:
    return f"{value * 1000:.3g} ms" if value < 1 else f"{value:.2f} s" if value < 100 else f"{value:,.0f} s"


def _memory(mb: float | None) -> str:
    return "–" if mb is None else f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _cell(point: Point | None) -> str:
    if point is None:
        return "not run"
    if point.failed is not None:  # a step not asked for at this size is not a failure
        said = " ".join(point.failed.split())[:160].replace("|", "/")
        return said if said.startswith("not run") else "failed: " + said
    text = f"{_seconds(point.seconds or 0.0)}, {_memory(point.mb)}"
    return text + (f" ({point.note})" if point.note else "")


def _slopes(measured: list[tuple[int, Point]]) -> tuple[str, float | None, float | None]:
    """The exponents between consecutive measured sizes (text), and the last pair's (time, memory)."""
    parts, last_t, last_m = [], None, None
    for (n1, a), (n2, b) in zip(measured, measured[1:], strict=False):
        last_t = exponent(n1, a.seconds or 0.0, n2, b.seconds or 0.0)
        last_m = exponent(n1, a.mb or 0.0, n2, b.mb or 0.0) if a.mb and b.mb else None
        parts.append(f"{n1:,}→{n2:,}: {_fmt(last_t)} ({_fmt(last_m)})")
    return ("; ".join(parts) or "one size only"), last_t, last_m


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _needs(measured: list[tuple[int, Point]], slope_t: float | None, slope_m: float | None, targets: list[int],
           mem_gb: float | None) -> str:
    """What each target size would need, from the largest measured size and the last exponents."""
    if not measured or slope_t is None or not targets:
        return "–"
    n, last = measured[-1]
    parts = []
    for to in targets:
        t = project(n, last.seconds or 0.0, to, slope_t)
        text = f"{to:,}: ~{_seconds(t)}"
        if last.mb and slope_m is not None:
            mb = project(n, last.mb, to, max(slope_m, 0.0))
            text += f", ~{_memory(mb)}"
            if mem_gb and mb / 1024 > mem_gb:
                text += f" (more than this machine's {mem_gb:g} GB)"
        parts.append(text)
    return "; ".join(parts)


def table(results: dict[str, Any]) -> list[str]:
    """The growth table (Markdown lines), or none where no size was measured."""
    sizes = sorted(((int(n), s) for n, s in results.get("sizes", {}).items()), key=lambda kv: kv[0])
    if not sizes:
        return []
    machine = results.get("machine", {})
    mem_gb = machine.get("mem_gb")
    asked = sorted(set(int(n) for n in results.get("project", [])) - {n for n, _ in sizes})
    head = ["step", *[f"{n:,} firms" for n, _ in sizes], "exponent: time (memory)", "would need"]
    lines = ["Each step's wall time and peak memory (of the step's process) at each size; the exponent is the "
             "log-log slope between consecutive sizes (1 linear, 2 quadratic), for time and, in brackets, memory. "
             "\"Would need\" projects, from the largest size measured and the last exponent, each size where the "
             "step failed or that was asked for (`--project`) and not run"
             f" (this machine: {machine.get('nproc', '?')} cores, {mem_gb if mem_gb is not None else '?'} GB RAM).",
             "", "| " + " | ".join(head) + " |", "|---|" + "---:|" * len(sizes) + "---|---|"]
    for title, read in STEPS:
        points = [(n, read(size)) for n, size in sizes]
        if all(p is None for _, p in points):
            continue
        measured = [(n, p) for n, p in points if p is not None and p.failed is None and p.seconds]
        slopes, slope_t, slope_m = _slopes(measured)
        larger = [n for n, p in points if p is not None and p.failed is not None
                  and (not measured or n > measured[-1][0])]
        needs = _needs(measured, slope_t, slope_m, sorted(set(larger) | set(asked)), mem_gb)
        lines.append("| " + " | ".join([title, *[_cell(p) for _, p in points], slopes, needs]) + " |")
    return lines
