"""Benchmark: one report per partnership, four ways, at two sizes, in one run; plus evalkit's fixed start-up cost.

For each size (default 12 and 96 partnerships of up to ``--participants`` participants,
generated with ``evalkit sample``):

(seq)  the sequential loop a user would write: for each partnership,
       ``papermill TEMPLATE out.ipynb -p partnership_id ID -p data_dir DATA`` then
       ``jupyter nbconvert --to html --no-input out.ipynb`` (``xargs -P 1``);
(par)  the same loop in parallel, ``xargs -P $(nproc)``: what a capable user does;
(ek)   ``evalkit run DATA --out OUT --force`` (default workers: the cores + 1), portfolio included;
(dask) with ``--dask``: ``evalkit run --scheduler`` against a ``dask scheduler`` and a
       ``dask worker --nworkers 1 --nthreads <cores>`` started here as separate processes (the layout
       the README recommends: one worker process, so one warm kernel server, per machine).

Wall time and CPU time are measured for every way (CPU: this process's reaped
children, i.e. the command and every process under it; for Dask, the scheduler and
worker process trees). Printed per report, with the ratios seq/ek and par/ek.
``--loop-reports K`` times the two loops on the first K partnerships only and scales
them to N (each loop's time is linear in the number of reports).

Fixed start-up cost of ``evalkit run``: the validation of the data (``evalkit
validate``), the warm-up of a kernel server for the template (until it answers),
the portfolio summary's render (from the manifest), and the intercept of the line
through the two sizes' wall times (run = fixed + N x per report).

Memory (``--memory``): peak RSS of report kernels on the sample data and on a
2-million-row dataset (bench_stats.py's generator). Target: within 1.5x.

Targets (issue 11, 2-core machine): ek >= 10x par at 96 partnerships and >= 8x at 12;
<= 1.0 CPU-second per report; Dask costs the same per report as local.

Writes everything as JSON to benchmarks/results/bench_batch.json.

Usage: python benchmarks/bench_batch.py [--sizes 12 96] [--participants 60] [--loop-reports K]
       [--template T] [--dask] [--memory] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(fn):
    """Run ``fn()``; return (its result, wall seconds, CPU seconds of the processes it started and reaped)."""
    cpu, wall = children_cpu(), time.perf_counter()
    result = fn()
    return result, time.perf_counter() - wall, children_cpu() - cpu


def sample(folder: Path, partnerships: int, participants: int) -> list[str]:
    subprocess.run([str(BIN / "evalkit"), "sample", str(folder), "--partnerships", str(partnerships),
                    "--participants", str(participants), "--seed", "2026"], check=True, stdout=subprocess.DEVNULL)
    import pandas as pd

    return pd.read_csv(folder / "partnerships.csv")["partnership_id"].tolist()


def loop(template: Path, data: Path, ids: list[str], out: Path, parallel: int) -> int:
    """papermill then nbconvert per partnership, ``parallel`` at a time (xargs -P); returns failures."""
    out.mkdir(parents=True, exist_ok=True)
    one = (f'{shlex.quote(str(BIN / "papermill"))} --no-progress-bar -p partnership_id "$0" '
           f'-p data_dir {shlex.quote(str(data))} {shlex.quote(str(template))} {shlex.quote(str(out))}/"$0".ipynb '
           f'&& {shlex.quote(str(BIN / "jupyter"))} nbconvert --to html --no-input --log-level=ERROR '
           f'{shlex.quote(str(out))}/"$0".ipynb')
    proc = subprocess.run(["xargs", "-P", str(parallel), "-n", "1", "sh", "-c", one + ' || echo FAILED "$0"'],
                          input="\n".join(ids), text=True, capture_output=True, cwd=template.parent)
    return proc.stdout.count("FAILED")


def evalkit_run(data: Path, out: Path, template: Path | None, scheduler: str | None = None) -> dict:
    args = [str(BIN / "evalkit"), "run", str(data), "--out", str(out), "--force", "--quiet"]
    if template is not None:
        args += ["--template", str(template)]
    if scheduler:
        args += ["--scheduler", scheduler]
    proc = subprocess.run(args, capture_output=True, text=True)
    manifest = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {}
    failed = [pid for pid, e in manifest.get("partnerships", {}).items() if e.get("status") != "ok"]
    portfolio = manifest.get("portfolio") or {}
    return {"exit": proc.returncode, "failed": failed, "portfolio_s": portfolio.get("duration"),
            "stderr_tail": proc.stderr[-500:] if proc.returncode else ""}


def server_warmup(template: Path) -> tuple[float, float]:
    """Wall seconds until a kernel server for ``template`` answers, and the CPU seconds it spent."""
    from evalkit.batch.forkserver import KernelServer, template_imports

    start = time.perf_counter()
    with KernelServer(template_imports(template)) as server:
        server.wait_ready()
        wall = time.perf_counter() - start
        times = psutil.Process(server.pid).cpu_times()
    return wall, times.user + times.system


def tree_cpu(pids) -> float:
    """CPU seconds of the process trees under ``pids``: live processes and the children they reaped."""
    total, seen = 0.0, set()
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        for proc in procs:
            if proc.pid in seen:
                continue
            seen.add(proc.pid)
            try:
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
    return total


class DaskCluster:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads T`` as separate processes on this machine."""

    def __init__(self, nworkers: int = 1, nthreads: int = os.cpu_count() or 1):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.nworkers, self.nthreads = nworkers, nthreads
        self.procs: list[subprocess.Popen] = []

    def __enter__(self):
        log = subprocess.DEVNULL
        self.procs.append(subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                            str(self.port), "--dashboard-address", ":0"], stdout=log, stderr=log,
                                           start_new_session=True))
        self.procs.append(subprocess.Popen([str(BIN / "dask"), "worker", self.address, "--nworkers",
                                            str(self.nworkers), "--nthreads", str(self.nthreads),
                                            "--dashboard-address", ":0"],
                                           stdout=log, stderr=log, start_new_session=True))
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(self.nworkers, timeout=120)
        return self

    def cpu(self) -> float:
        return tree_cpu([p.pid for p in self.procs])

    def __exit__(self, *exc):
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def bench_size(n: int, args, template: Path, tmp: Path, cores: int) -> dict:
    data = tmp / f"data-{n}"
    ids = sample(data, n, args.participants)
    k = min(args.loop_reports or n, n)
    row: dict = {"partnerships": n, "loop_reports": k}

    validated, wall, cpu = measured(lambda: subprocess.run([str(BIN / "evalkit"), "validate", str(data)],
                                                           capture_output=True).returncode)
    row["validate"] = {"wall_s": wall, "cpu_s": cpu, "exit": validated}

    outcome, wall, cpu = measured(lambda: evalkit_run(data, tmp / f"ek-{n}", args.template))
    row["evalkit"] = {"wall_s": wall, "cpu_s": cpu, **outcome}
    print(f"[{n}] evalkit run: {wall:7.1f} s wall, {cpu:7.1f} CPU-s (exit {outcome['exit']}, "
          f"portfolio {outcome['portfolio_s'] or 0:.1f} s)", flush=True)

    if args.dask:
        with DaskCluster() as cluster:
            before = cluster.cpu()
            outcome, wall, cpu = measured(lambda: evalkit_run(data, tmp / f"dask-{n}", args.template,
                                                              cluster.address))
            cpu += cluster.cpu() - before
        row["dask"] = {"wall_s": wall, "cpu_s": cpu, **outcome}
        print(f"[{n}] evalkit run --scheduler (dask, {cluster.nworkers} worker x {cluster.nthreads} threads): "
              f"{wall:7.1f} s wall, {cpu:7.1f} CPU-s "
              f"(exit {outcome['exit']})", flush=True)

    for name, parallel in (("parallel", cores), ("sequential", 1)):
        failures, wall, cpu = measured(lambda: loop(template, data, ids[:k], tmp / f"{name}-{n}", parallel))
        row[name] = {"wall_s": wall * n / k, "cpu_s": cpu * n / k, "measured_wall_s": wall, "failures": failures}
        scaled = f" (measured on {k}, scaled)" if k < n else ""
        print(f"[{n}] {name} loop (xargs -P {parallel}): {wall * n / k:7.1f} s wall, {cpu * n / k:7.1f} CPU-s"
              f"{scaled}, {failures} failed", flush=True)

    for name in ("sequential", "parallel", "evalkit", "dask"):
        if name in row:
            row[name]["wall_per_report_s"] = row[name]["wall_s"] / n
            row[name]["cpu_per_report_s"] = row[name]["cpu_s"] / n
    row["seq_over_evalkit"] = row["sequential"]["wall_s"] / row["evalkit"]["wall_s"]
    row["par_over_evalkit"] = row["parallel"]["wall_s"] / row["evalkit"]["wall_s"]
    return row


def memory(template: Path, tmp: Path, reports: int) -> dict:
    """Peak RSS of report kernels: sample data vs 2 million response rows."""
    from bench_stats import make_data

    def peaks(data: Path, out: Path, ids: list[str]) -> list[int]:
        cmd = [str(BIN / "evalkit"), "run", str(data), "--out", str(out), "--template", str(template), "--force",
               "--quiet", *[a for pid in ids for a in ("--partnership", pid)]]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found: dict[int, int] = {}
        stop = threading.Event()

        def sample_rss():
            while not stop.is_set():
                try:
                    kids = psutil.Process(proc.pid).children(recursive=True)
                except psutil.NoSuchProcess:
                    return
                for kid in kids:
                    try:  # kernels are the kernel server's children
                        if kid.ppid() != proc.pid and "evalkit.batch.forkserver" in " ".join(kid.cmdline()):
                            found[kid.pid] = max(found.get(kid.pid, 0), kid.memory_info().rss)
                    except psutil.Error:
                        pass
                stop.wait(0.02)

        thread = threading.Thread(target=sample_rss, daemon=True)
        thread.start()
        proc.wait()
        stop.set()
        thread.join()
        return sorted(found.values())

    small = tmp / "mem-small"
    ids = sample(small, 12, 60)
    big = tmp / "mem-big"
    big.mkdir()
    rows = make_data(big, 200, 1000)
    import evalkit

    small_mb = max(peaks(small, tmp / "mem-small-out", ids[:reports]) or [0]) / 2**20
    big_mb = max(peaks(big, tmp / "mem-big-out", evalkit.load_data(big).partnership_ids[:reports]) or [0]) / 2**20
    ratio = big_mb / small_mb if small_mb else float("nan")
    print(f"kernel peak RSS: sample data {small_mb:.0f} MB, {rows:,} rows {big_mb:.0f} MB = {ratio:.2f}x "
          "(target <= 1.5)")
    return {"kernel_peak_rss_sample_mb": small_mb, "kernel_peak_rss_2m_rows_mb": big_mb, "big_rows": rows,
            "memory_ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 96])
    parser.add_argument("--participants", type=int, default=60)
    parser.add_argument("--template", type=Path, default=None,
                        help="report template (default: evalkit's partnership_report.ipynb)")
    parser.add_argument("--loop-reports", type=int, default=None,
                        help="time the two loops on this many partnerships and scale to all (default: all)")
    parser.add_argument("--dask", action="store_true", help="also run on a dask scheduler + 2 workers")
    parser.add_argument("--memory", action="store_true", help="also compare kernel memory, sample vs 2M rows")
    parser.add_argument("--memory-reports", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep data and outputs in this folder")
    args = parser.parse_args()

    from evalkit.batch.plan import resolve_template

    template = Path(resolve_template(args.template)).resolve()
    cores = os.cpu_count() or 1
    results: dict = {"cores": cores, "template": str(template), "participants": args.participants, "sizes": []}
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-", dir=args.keep))
    try:
        wall, cpu = server_warmup(template)
        results["server_warmup"] = {"wall_s": wall, "cpu_s": cpu}
        print(f"kernel server warm-up: {wall:.1f} s wall, {cpu:.1f} CPU-s (once per run)", flush=True)
        for n in args.sizes:
            results["sizes"].append(bench_size(n, args, template, tmp, cores))
        if args.memory:
            results["memory"] = memory(template, tmp, args.memory_reports)
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{'N':>4} {'way':<12} {'wall s':>8} {'s/report':>9} {'CPU-s/report':>13} {'seq/x':>6} {'par/x':>6}")
    for row in results["sizes"]:
        n = row["partnerships"]
        for name in ("sequential", "parallel", "evalkit", "dask"):
            if name not in row:
                continue
            r = row[name]
            print(f"{n:>4} {name:<12} {r['wall_s']:8.1f} {r['wall_per_report_s']:9.2f} {r['cpu_per_report_s']:13.2f} "
                  f"{row['sequential']['wall_s'] / r['wall_s']:6.1f} {row['parallel']['wall_s'] / r['wall_s']:6.1f}")
    if len(results["sizes"]) >= 2:
        a, b = results["sizes"][0], results["sizes"][-1]
        slope = (b["evalkit"]["wall_s"] - a["evalkit"]["wall_s"]) / (b["partnerships"] - a["partnerships"])
        fixed = a["evalkit"]["wall_s"] - slope * a["partnerships"]
        results["evalkit_fixed_s"], results["evalkit_marginal_s_per_report"] = fixed, slope
        print(f"\nevalkit run = {fixed:.1f} s fixed + {slope:.2f} s per report (line through N={a['partnerships']} "
              f"and N={b['partnerships']})")
    for row in results["sizes"]:
        print(f"fixed costs at N={row['partnerships']}: validation {row['validate']['wall_s']:.1f} s "
              f"({row['validate']['cpu_s']:.1f} CPU-s, CLI start included), kernel server warm-up "
              f"{results['server_warmup']['wall_s']:.1f} s (overlaps validation), portfolio render "
              f"{row['evalkit']['portfolio_s'] or 0:.1f} s")
    print("targets: evalkit >= 10x the parallel loop at 96 and >= 8x at 12; <= 1.0 CPU-s per report")

    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_batch.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'bench_batch.json'}")


if __name__ == "__main__":
    main()
