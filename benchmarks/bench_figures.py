"""Benchmark: what each figure of one report costs, built and encoded as the report shows it (SVG).

For one partnership of a data folder (default: riverside-literacy of the sample), every figure
the standard template shows is built (analysis cached first, so only the drawing is timed) and
encoded with :meth:`evalkit.figures.ReportFigure.svg`, ``--repeat`` times; the fastest CPU time of
each is printed, with the total. ``--compare-savefig`` also times matplotlib's own
``savefig(format="svg", bbox_inches="tight")`` (which draws twice) on the same figures.
``--without-memo`` builds and draws without :func:`evalkit.figures.layout_memo` (each text and each
axis's ticks laid out again at every query, as matplotlib does on its own), to see what it saves.

Usage: python benchmarks/bench_figures.py [--data DIR] [--partnership ID] [--repeat 5] [--compare-savefig]
                                          [--without-memo]
"""
from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import matplotlib

matplotlib.use("agg")

import evalkit as ek  # noqa: E402
from evalkit.figures import ReportFigure, report_style  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REPORT_FIGURES = ("attendance_figure", "distribution_figure", "satisfaction_figure", "trajectory_figure")
HEALTH_FIGURES = ("indicators_figure", "milestones_figure", "partners_figure", "representation_figure")


def sections(data, partnership_id: str):
    """A report and its health sections with every analysis behind the figures already computed."""
    report = ek.report.PartnershipReport(data, partnership_id)
    health = ek.health_report.HealthSections(data, partnership_id)
    report.outcomes, report.by_group, health.survey, health.trend  # noqa: B018 (cached analyses)
    return report, health


def figures(report, health):
    """(name, build) for each figure the template shows: ``build()`` returns a ReportFigure or None."""
    out = [("at-a-glance chart", report.glance_chart)]
    out += [(name, getattr(report, name)) for name in REPORT_FIGURES]
    out += [(name, getattr(health, name)) for name in HEALTH_FIGURES]
    return out


def fastest(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--partnership", default="riverside-literacy")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--compare-savefig", action="store_true")
    ap.add_argument("--without-memo", action="store_true")
    args = ap.parse_args()
    if args.without_memo:
        import contextlib

        import evalkit.figures

        evalkit.figures.layout_memo = contextlib.nullcontext

    data = ek.load_data(args.data, args.partnership)
    report, health = sections(data, args.partnership)
    totals = {"build": 0.0, "svg": 0.0, "savefig": 0.0}
    print(f"{args.partnership}: CPU-seconds per figure, fastest of {args.repeat}")
    print(f"{'figure':24s} {'build':>8s} {'svg':>8s}" + (f" {'savefig tight':>14s}" if args.compare_savefig else ""))
    for name, build in figures(report, health):
        shown = build()
        if not isinstance(shown, ReportFigure):
            print(f"{name:24s} {'(not shown for this partnership)':>17s}")
            continue
        built = fastest(args.repeat, build)
        svg = fastest(args.repeat, lambda: build().svg()) - built
        line = f"{name:24s} {built:8.3f} {svg:8.3f}"
        totals["build"] += built
        totals["svg"] += svg
        if args.compare_savefig:
            def savefig():
                figure = build().figure
                with report_style():
                    figure.savefig(io.BytesIO(), format="svg", bbox_inches="tight", metadata={"Date": None})
            saved = fastest(args.repeat, savefig) - built
            totals["savefig"] += saved
            line += f" {saved:14.3f}"
        print(line)
    line = f"{'total':24s} {totals['build']:8.3f} {totals['svg']:8.3f}"
    print(line + (f" {totals['savefig']:14.3f}" if args.compare_savefig else ""))


if __name__ == "__main__":
    main()
