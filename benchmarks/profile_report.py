"""Profile the CPU one report costs: in its kernel (each cell, the hottest functions) and in the batch process.

A batch run is made once for one partnership (to get the real slice and
parameters); the template is then rendered again from a warm kernel server with
two cells added around it: the first starts :mod:`cProfile` and records each
cell's CPU time (IPython ``pre_run_cell``/``post_run_cell`` events), the last
writes both out. The batch-process side (papermill, kernel start and handshake,
nbclient, HTML export) is profiled with cProfile around ``render_report``.

Prints CPU-seconds per cell, the kernel's top functions, and the batch process's
top functions; writes ``benchmarks/results/profile_kernel.prof`` and
``profile_parent.prof`` (open with ``python -m pstats`` or snakeviz).

Usage: python benchmarks/profile_report.py [--data DIR] [--partnership ID] [--template T] [--top 25]
       [--no-cprofile]   (CPU per cell and in total without the profiler's overhead)
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

START = """\
import cProfile as _cp, time as _t, json as _json
_cells, _now = [], {}
def _pre(info):
    _now['t'] = _t.process_time(); _now['src'] = (info.raw_cell or '').strip().splitlines()[:1]
def _post(result):
    if 't' in _now:
        _cells.append([(_now.pop('src') or [''])[0][:70], _t.process_time() - _now.pop('t')])
get_ipython().events.register('pre_run_cell', _pre)
get_ipython().events.register('post_run_cell', _post)
import sys as _sys
_modules0 = set(_sys.modules)
_prof = _cp.Profile(); _prof.enable()"""
END = """\
_prof.disable(); _prof.dump_stats({prof!r})
import resource as _r
_u = _r.getrusage(_r.RUSAGE_SELF)
_new = sorted({{m.split('.')[0] + ('.' + m.split('.')[1] if m.startswith('evalkit.') else '')
                for m in set(_sys.modules) - _modules0}})
open({cells!r}, 'w').write(_json.dumps({{'cells': _cells, 'kernel_cpu_total': _u.ru_utime + _u.ru_stime,
                                        'imported': _new}}))"""


def profiled_copy(template: Path, folder: Path, cprofile: bool = True) -> Path:
    nb = nbformat.read(template, as_version=4)
    params = next(i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", []))
    start, end = START, END
    if not cprofile:  # CPU per cell only, without the profiler's overhead
        start = start.replace("_prof = _cp.Profile(); _prof.enable()", "")
        end = end.replace("_prof.disable(); _prof.dump_stats({prof!r})", "")
    nb.cells.insert(params + 1, new_code_cell(start))
    nb.cells.append(new_code_cell(end.format(prof=str(RESULTS / "profile_kernel.prof"),
                                             cells=str(folder / "cells.json"))))
    path = template.parent / f".profiled-{template.name}"  # beside the template: same working folder
    nbformat.write(nb, path)
    return path


def top(stats_path_or_profile, n: int, sort: str = "cumulative") -> str:
    out = io.StringIO()
    stats = pstats.Stats(stats_path_or_profile, stream=out) if isinstance(stats_path_or_profile, str) \
        else pstats.Stats(stats_path_or_profile, stream=out)
    stats.strip_dirs().sort_stats(sort).print_stats(n)
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None, help="data folder (default: a generated sample)")
    ap.add_argument("--partnership", default=None)
    ap.add_argument("--template", type=Path, default=ROOT / "templates" / "partnership_report.ipynb")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--no-cprofile", action="store_true",
                    help="measure CPU per cell and in total without cProfile's overhead (no function profiles)")
    args = ap.parse_args()

    from evalkit.batch import run_batch
    from evalkit.batch.render import render_report
    from evalkit.batch.forkserver import KernelServer, template_imports

    RESULTS.mkdir(parents=True, exist_ok=True)
    template = args.template.resolve()
    with tempfile.TemporaryDirectory(prefix="profile-report-") as tmp:
        tmp = Path(tmp)
        data = args.data
        if data is None:
            from evalkit.sample import write_sample

            data = tmp / "data"
            write_sample(data, partnerships=12, participants=60, seed=2026)
        import evalkit

        pid = args.partnership or evalkit.load_data(data).partnership_ids[0]
        first = run_batch(data, tmp / "out", partnership_ids=[pid], template=template, workers=1, progress=False,
                          portfolio=False, cache_dir=tmp / "cache")
        assert first.ok, first.to_frame()
        # Published notebooks name no local paths: put the slice's real paths back.
        parameters = dict(nbformat.read(tmp / "out" / f"{pid}.ipynb", as_version=4).metadata.papermill.parameters)
        from evalkit.batch.cache import cache_folder

        slice_dir = cache_folder(tmp / "out", tmp / "cache") / pid  # <cache-dir>/<hash of --out>/<id>
        parameters.update(data_dir=str(slice_dir), provenance=str(slice_dir / "provenance.json"),
                          tables_path=str(tmp / "p.xlsx"))

        profiled = profiled_copy(template, tmp, cprofile=not args.no_cprofile)
        try:
            with KernelServer(template_imports(template)) as server:
                server.wait_ready()
                cpu0 = time.process_time()
                child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall0 = time.perf_counter()
                prof = cProfile.Profile()
                if not args.no_cprofile:
                    prof.enable()
                result = render_report(profiled, tmp / "p.ipynb", tmp / "p.html", parameters,
                                       kernel_server=server.address)
                prof.disable()
                wall = time.perf_counter() - wall0
                parent_cpu = time.process_time() - cpu0
            assert result.ok, result.error
        finally:
            profiled.unlink(missing_ok=True)
        cells = json.loads((tmp / "cells.json").read_text())
    if not args.no_cprofile:
        prof.dump_stats(str(RESULTS / "profile_parent.prof"))

    kernel_cells = sum(c for _, c in cells["cells"])
    print(f"one report ({pid}): wall {wall:.2f} s; batch process CPU {parent_cpu:.2f} s; "
          f"kernel CPU {cells['kernel_cpu_total']:.2f} s (of which cells {kernel_cells:.2f} s, "
          f"the rest kernel start-up and handshake)")
    print("modules the report imported itself (not preloaded by the server):", " ".join(cells["imported"]))
    print("\nkernel CPU by cell:")
    for source, seconds in cells["cells"]:
        print(f"  {seconds:6.3f} s  {source}")
    if not args.no_cprofile:
        print(f"\nkernel: top {args.top} functions by cumulative time")
        print(top(str(RESULTS / "profile_kernel.prof"), args.top))
        print(f"\nbatch process: top {args.top} functions by cumulative time")
        print(top(prof, args.top))
    (RESULTS / "profile_report.json").write_text(json.dumps(
        {"partnership": pid, "wall_s": wall, "parent_cpu_s": parent_cpu, "kernel_cpu_s": cells["kernel_cpu_total"],
         "cells": cells["cells"], "imported": cells["imported"]}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
