"""Benchmark: rendering one report per partnership, three ways, plus a kernel's peak memory.

(a) loop   what a user would otherwise write: for each partnership, sequentially,
           ``papermill TEMPLATE out.ipynb -p partnership_id ID -p data_dir DATA``
           then ``jupyter nbconvert --to html out.ipynb`` (a bash loop);
(b) evalkit ``evalkit run DATA --out OUT`` with its default workers;
(c) floor  start one kernel and import the template's libraries, nothing else
           (median of 3).

Prints the three times, the speed-up a/b, and b's cost per report per worker
(b x workers / N) divided by the floor. Targets (issue 4, 2-core machine):
a/b >= 6 (aim 10) and per-report cost per worker <= 1.3 x floor.

Memory: peak RSS of report kernels (sampled every 20 ms with psutil) while
``evalkit run`` renders ``--memory-reports`` partnerships of the sample data, and
of a 2-million-row dataset (benchmarks/bench_stats.py's generator: 200
partnerships x 1,000 participants x 5 measures x 2 waves). Target: within 1.5x.

Writes everything as JSON to benchmarks/results/bench_batch.json.

Usage: python benchmarks/bench_batch.py [--partnerships 48] [--participants 300]
       [--template templates/partnership_report.ipynb] [--workers N] [--loop-reports K]
       [--memory-reports 2] [--no-memory]
``--loop-reports K`` times the loop on the first K partnerships only and scales it to N
(the loop is strictly sequential, so its time is linear in the number of reports).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
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


def partnership_ids(data_dir: Path) -> list[str]:
    import evalkit

    return evalkit.load_data(data_dir).partnership_ids


def time_loop(template: Path, data_dir: Path, ids: list[str], out: Path) -> float:
    """(a): the sequential shell loop of papermill + nbconvert CLIs."""
    out.mkdir(parents=True, exist_ok=True)
    script = "\n".join(
        f'"{BIN}/papermill" --no-progress-bar -p partnership_id {pid} -p data_dir "{data_dir}" '
        f'"{template}" "{out}/{pid}.ipynb" >/dev/null 2>&1 || true\n'
        f'"{BIN}/jupyter" nbconvert --to html --log-level=ERROR "{out}/{pid}.ipynb" >/dev/null 2>&1 || true'
        for pid in ids)
    start = time.perf_counter()
    subprocess.run(["bash", "-c", "set -u\n" + script], check=True, cwd=template.parent)
    return time.perf_counter() - start


class PeakKernelMemory:
    """Sample the RSS of every kernel descended from a process; keep each kernel's peak."""

    def __init__(self, root_pid: int, interval: float = 0.02):
        self.root, self.interval, self.peaks = root_pid, interval, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            root = psutil.Process(self.root)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                procs = root.children(recursive=True)
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    # kernels are the fork server's children (the server itself is their parent)
                    if proc.ppid() != self.root and "render_forkserver" in " ".join(proc.cmdline()):
                        rss = proc.memory_info().rss
                        self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
                except psutil.Error:
                    pass
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def time_evalkit(template: Path, data_dir: Path, out: Path, workers: int | None = None,
                 partnerships: list[str] | None = None) -> tuple[float, list[int], int]:
    """(b): ``evalkit run``; returns seconds, kernels' peak RSS (bytes), exit code."""
    args = [str(BIN / "evalkit"), "run", str(data_dir), "--out", str(out), "--template", str(template),
            "--force", "--quiet"]
    if workers:
        args += ["--workers", str(workers)]
    for pid in partnerships or []:
        args += ["--partnership", pid]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with PeakKernelMemory(proc.pid) as memory:
        code = proc.wait()
    return time.perf_counter() - start, sorted(memory.peaks.values()), code


def time_floor(template: Path, repeat: int = 3) -> float:
    """(c): start one kernel (this Python), import the template's libraries, shut it down."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    from evalkit.render_forkserver import template_imports
    from evalkit.render_kernel import KERNEL_ARGV

    class ThisPythonKernel(KernelManager):
        @property
        def kernel_spec(self):
            return KernelSpec(argv=list(KERNEL_ARGV), language="python", display_name="evalkit")

    imports = "\n".join(f"import {name}" for name in template_imports(template))
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        km = ThisPythonKernel()
        km.start_kernel(cwd=str(template.parent))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=120)
        reply = kc.execute_interactive(imports, timeout=300)
        assert reply["content"]["status"] == "ok", reply["content"]
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partnerships", type=int, default=48)
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--template", type=Path, default=ROOT / "templates" / "partnership_report.ipynb")
    parser.add_argument("--workers", type=int, default=None, help="evalkit run --workers (default: its own)")
    parser.add_argument("--loop-reports", type=int, default=None,
                        help="time the loop on this many partnerships and scale to all (default: all)")
    parser.add_argument("--memory-reports", type=int, default=2)
    parser.add_argument("--no-memory", action="store_true", help="skip the 2-million-row memory comparison")
    args = parser.parse_args()

    from evalkit.sample import write_sample

    template = args.template.resolve()
    workers = args.workers or os.cpu_count() or 1
    results: dict = {"partnerships": args.partnerships, "workers": workers, "template": str(template),
                     "cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        write_sample(data, partnerships=args.partnerships, participants=args.participants, seed=2026)
        ids = partnership_ids(data)

        floor = time_floor(template)
        print(f"(c) floor: one kernel + imports            {floor:8.2f} s", flush=True)

        b, peaks_sample, code = time_evalkit(template, data, tmp / "evalkit", args.workers)
        print(f"(b) evalkit run ({workers} workers, {len(ids)} reports)  {b:8.2f} s  (exit {code})", flush=True)

        k = min(args.loop_reports or len(ids), len(ids))
        a_measured = time_loop(template, data, ids[:k], tmp / "loop")
        a = a_measured * len(ids) / k
        scaled = f" (measured {a_measured:.1f} s on {k}, scaled)" if k < len(ids) else ""
        print(f"(a) papermill + nbconvert loop             {a:8.2f} s{scaled}", flush=True)

        per_report = b * workers / len(ids)
        results.update({"loop_s": a, "loop_measured_s": a_measured, "loop_reports": k, "evalkit_s": b,
                        "evalkit_exit": code, "floor_s": floor, "speedup": a / b,
                        "per_report_per_worker_s": per_report, "per_report_over_floor": per_report / floor})
        print(f"speed-up a/b: {a / b:.1f}x (target >= 6, aim 10)")
        print(f"per report per worker: {per_report:.2f} s = {per_report / floor:.2f} x floor (target <= 1.3)")

        if not args.no_memory:
            from bench_stats import make_data

            big = tmp / "big"
            big.mkdir()
            rows = make_data(big, 200, 1000)
            n = args.memory_reports
            _, small_peaks, _ = time_evalkit(template, data, tmp / "mem-small", args.workers, ids[:n])
            _, big_peaks, big_code = time_evalkit(template, big, tmp / "mem-big", args.workers,
                                                  partnership_ids(big)[:n])
            small_mb, big_mb = max(small_peaks or [0]) / 2**20, max(big_peaks or [0]) / 2**20
            ratio = big_mb / small_mb if small_mb else float("nan")
            results.update({"kernel_peak_rss_sample_mb": small_mb, "kernel_peak_rss_2m_rows_mb": big_mb,
                            "big_rows": rows, "big_exit": big_code, "memory_ratio": ratio})
            print(f"kernel peak RSS: sample data {small_mb:.0f} MB, {rows:,} rows {big_mb:.0f} MB "
                  f"= {ratio:.2f}x (target <= 1.5; exit {big_code})")

    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_batch.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'bench_batch.json'}")


if __name__ == "__main__":
    main()
