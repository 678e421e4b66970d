"""``kg viz`` and ``kg export``: the pictures and the graph files, each one library call.

    kg viz hq|clusters|full|report|all [--out out/]     offline HTML pages (kg.html; the report: kg.report)
    kg export gexf|graphml [--view hq|clusters|full|all] [--out out/]   Gephi / yEd / Cytoscape files
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .cli import add_dataset_options, add_output_folder, command, open_dataset, progress, steps
from .collector import collection_paused
from .timeline import SLIDER_BUDGET
from .views import NODE_BUDGET, PAGES, VIEWS, build_views, line_count

if TYPE_CHECKING:
    import networkx as nx

    from .cli import Dataset
    from .timeline import Stops


def _region(args: argparse.Namespace, dataset: Dataset) -> str | None:
    """--region as an IRI: a place id of data/places.csv is minted under the build's base."""
    region: str | None = args.region
    if region and "://" not in region:
        region = dataset.iris.place(region).value
    return region


def _views(args: argparse.Namespace, names: list[str] | None = None, dataset: Dataset | None = None,
           page_budget: int | None = None) -> dict[str, nx.Graph[str]]:
    """The views ``names`` (default: --view's); ``page_budget``: they are only drawn as pages of at most that many
    nodes (:func:`kg.views.build_views`)."""
    from .files import check_output_folder

    check_output_folder(args.out)  # before the views are built, not after
    names = names if names is not None else list(VIEWS) if args.view == "all" else [args.view]
    dataset = dataset or open_dataset(args)
    region = _region(args, dataset)
    if not names:
        return {}
    t0 = time.perf_counter()
    progress(f"building the view{'s' if len(names) > 1 else ''} {', '.join(names)}")
    inset = args.project.inset  # kg.toml: the place the hq map draws enlarged (a place id)
    with collection_paused(keep=True):  # the views last until the command ends: no collection walks them again
        views = build_views(dataset.store, names, region=region,
                            inset=dataset.iris.place(inset).value if inset and "://" not in inset else inset,
                            page_budget=page_budget, saved=dataset.path)
    for name, graph in views.items():
        graph.graph["language"] = args.project.languages[0]  # the labels' first language: kg.toml's
        progress(f"view {name}: {graph.number_of_nodes():,} nodes, {line_count(graph):,} edges")
    progress(f"views built in {time.perf_counter() - t0:.1f} s")
    return views


def _common(p: argparse.ArgumentParser) -> None:
    add_dataset_options(p)
    add_output_folder(p)
    p.add_argument("--region", help="the region to picture: a place id of places.csv, or its IRI "
                                    "(default: kg.toml's region, else the region with the most sites)")


@command("viz", "write interactive, offline HTML views of the graph (hq, clusters, full), the report, or all")
def setup_viz(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    p.add_argument("view", choices=[*VIEWS, *PAGES, "all"],
                   help="which view: hq (headquarters absence), clusters, full (every typed node and relation), "
                        "report (the study's figures as charts, printable to PDF), or all")
    _common(p)
    p.add_argument("--budget", type=int, default=NODE_BUDGET,
                   help="most nodes drawn; past it the page shows an aggregated network (default: %(default)s)")
    p.add_argument("--picture", choices=("svg", "png"),
                   help="also write the hq view as a picture to publish, hq.svg or hq.png (2,400 px wide): title, "
                        "headline, map, jobs by place of control, legend and source line (the page's "
                        "Download SVG); png needs rsvg-convert")
    p.add_argument("--slider", choices=("auto", "yes", "no"), default="auto",
                   help="the hq and clusters pages' time slider: the network and the headline at each year a dated "
                        "fact starts or ends, each built as --as-of YEAR builds it, one build a year (auto: unless "
                        f"the tables' rows times the years pass {SLIDER_BUDGET:,}; default: %(default)s); with "
                        "--files gexf, the same years give the GEXF's attributes over time")
    p.add_argument("--files", type=_graph_formats, default=[], metavar="FORMATS",
                   help="also write the same views as graph files, e.g. gexf,graphml (as kg export writes them), "
                        "so that one command draws every output once")

    def run(args: argparse.Namespace) -> int:
        from .errors import InvalidArgument
        from .files import check_output_folder
        from .html import write_page

        if args.picture and args.view not in ("hq", "all"):
            raise InvalidArgument(f"--picture draws the hq view; give kg viz hq --picture {args.picture}")
        if args.budget < 1:
            raise InvalidArgument(f"--budget {args.budget}: give the most nodes a page draws, 1 or more "
                                  f"(default {NODE_BUDGET:,})")
        check_output_folder(args.out)  # before the store is opened or built, not after
        everything = args.view == "all"
        dataset = open_dataset(args)
        views = _views(args, list(VIEWS) if everything else [n for n in [args.view] if n in VIEWS], dataset,
                       page_budget=None if args.files else args.budget)  # graph files hold the whole views
        # the GEXF's attributes over time are drawn from the slider's years, and the year before them (one build)
        years = _years(args, views, dataset, before="gexf" in args.files)
        for name, graph in steps(views.items(), "pages", len(views)):
            t0 = time.perf_counter()
            stops = years.get(name)
            path = write_page(graph, Path(args.out) / f"{name}.html", budget=args.budget,
                              years=stops[1:] if stops and "gexf" in args.files else stops)
            _wrote(path, t0)
        if args.picture:
            from .views import within_budget
            from .views.picture import write_picture

            t0 = time.perf_counter()
            # drawn as the page draws it (within the node budget): the same picture as the page's "Download SVG"
            drawn = within_budget(views["hq"], args.budget)
            _wrote(write_picture(drawn, Path(args.out) / f"hq.{args.picture}", args.picture), t0)
        for fmt in args.files:
            _write_files(views, fmt, args.out, years)
        if everything or args.view in PAGES:
            _write_report(args, dataset)
        return 0
    return run


def _years(args: argparse.Namespace, views: dict[str, nx.Graph[str]], dataset: Dataset, before: bool = False,
           option: str = "--slider") -> dict[str, Stops]:
    """The views as of each year the data has, for the pages' time slider (:mod:`kg.timeline`) and the GEXF's
    attributes over time (``before``: with the year before the first, :func:`kg.timeline.year_views`); none for
    a page of one day (--as-of), of a dataset file (--graph: no tables to date) or with ``option`` (--slider,
    --years) no (auto: within :data:`kg.timeline.SLIDER_BUDGET`)."""
    from .timeline import year_views

    choice = getattr(args, option.lstrip("-"))
    if choice == "no" or args.as_of or args.graph:
        return {}
    t0 = time.perf_counter()
    years = year_views(args.data, args.ontology, views, base=args.base, reading=args.reading, project=args.project,
                       region=_region(args, dataset), progress=progress,
                       budget=None if choice == "yes" else SLIDER_BUDGET, before=before, override=f"{option} yes",
                       counted=(dataset.rows, dataset.years) if dataset.rows is not None and dataset.years is not None
                       else None)
    if years:
        progress(f"the data's years: {len(next(iter(years.values()))):,} in {time.perf_counter() - t0:.1f} s")
    return years


def _graph_formats(text: str) -> list[str]:
    """``gexf,graphml`` as a list, each a graph-file format of :mod:`kg.writers` (else argparse's error)."""
    from . import writers

    formats = [f.strip() for f in text.split(",") if f.strip()]
    known = writers.names("graph-file")
    if not formats or any(f not in known for f in formats):
        raise argparse.ArgumentTypeError(f"'{text}': give one or more of {', '.join(known)}, comma-separated")
    return formats


def _write_files(views: dict[str, nx.Graph[str]], fmt: str, out: Path, years: dict[str, Stops] | None = None) -> None:
    from .export import export_views

    t0 = time.perf_counter()
    for name, graph in steps(views.items(), f"{fmt} files", len(views)):
        for path in export_views({name: graph}, fmt, out, years):
            progress(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    progress(f"{fmt} written in {time.perf_counter() - t0:.1f} s")


def _wrote(path: Path, t0: float) -> None:
    progress(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")


def _write_report(args: argparse.Namespace, dataset: Dataset) -> None:
    """The report page (kg.report): the study's figures, from the saved queries run on the build's store."""
    from .report import write_report

    t0 = time.perf_counter()
    progress("drawing the report from the saved queries")
    _wrote(write_report(dataset.store, Path(args.out) / "report.html", region=_region(args, dataset)), t0)


@command("export", "write the views as GEXF (Gephi) or GraphML (yEd, Cytoscape) files")
def setup_export(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    from . import writers

    p.add_argument("format", choices=writers.names("graph-file"), help="gexf (Gephi) or graphml (yEd, Cytoscape)")
    p.add_argument("--view", choices=[*VIEWS, "all"], default="all",
                   help="which view to export (default: %(default)s, one file each)")
    _common(p)
    p.add_argument("--years", choices=("auto", "yes", "no"), default="auto",
                   help="gexf: the hq and clusters views' attributes that change over the data's years (where "
                        "control sits, jobs, colour) as dynamic values, each year built as --as-of YEAR builds it, "
                        f"one build a year (auto: unless the tables' rows times the years pass {SLIDER_BUDGET:,}; "
                        "default: %(default)s)")

    def run(args: argparse.Namespace) -> int:
        from .files import check_output_folder

        check_output_folder(args.out)  # before the store is opened or built, not after
        dataset = open_dataset(args)
        views = _views(args, dataset=dataset)
        years = _years(args, views, dataset, before=True, option="--years") if args.format == "gexf" else {}
        _write_files(views, args.format, args.out, years)
        return 0
    return run
