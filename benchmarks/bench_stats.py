"""Benchmark: load + validate 2 million response rows, then every partnership's pre/post table.

Data: 200 partnerships x 1,000 participants x 5 measures x 2 waves = 2,000,000
response rows in Parquet (plus the other tables), generated here with numpy.
Prints the figures and writes them as JSON to benchmarks/results/bench_stats.json.

Targets (issue 4, on the 2-core reference machine): load + validate <= 5 s;
all comparisons <= 3 s.

``--big`` also runs ten times the partnerships (2,000: 20 million response rows), once,
and prints each time's ratio to ten times the 2-million-row time (1.00 = linear).

Usage: python benchmarks/bench_stats.py [--partnerships 200] [--participants 1000] [--repeat 3] [--big]
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import evalkit as ek

MEASURES = pd.DataFrame({
    "measure": ["skills", "knowledge", "behaviour", "engagement", "volunteered"],
    "label": ["Skills", "Knowledge", "Behaviour", "Engagement", "Volunteered"],
    "domain": ["skills", "knowledge", "behaviour", "engagement", "behaviour"],
    "kind": ["continuous", "continuous", "ordinal", "ordinal", "binary"],
    "scale_min": [1, 0, 1, 1, 0], "scale_max": [5, 20, 5, 5, 1],
    "higher_is_better": [True] * 5,
})
TYPES = ["nonprofit", "government", "school", "university", "business"]


def make_data(folder: Path, n_partnerships: int, n_participants: int, seed: int = 1) -> int:
    """Write the benchmark tables as Parquet; return the number of response rows."""
    rng = np.random.default_rng(seed)
    pids = np.array([f"p{i:04d}" for i in range(n_partnerships)])
    pd.DataFrame({"partnership_id": pids, "name": [f"Partnership {i}" for i in range(n_partnerships)],
                  "partner_type": np.resize(TYPES, n_partnerships), "lead_institution": "Bench University",
                  "start_date": "2025-01-06", "end_date": "2025-06-27"}).to_parquet(folder / "partnerships.parquet")
    people_pid = np.repeat(pids, n_participants)
    people_id = np.char.add(np.char.add(people_pid.astype(str), "-"),
                            np.tile(np.arange(n_participants), n_partnerships).astype(str))
    pd.DataFrame({"participant_id": people_id, "partnership_id": people_pid,
                  "gender": rng.choice(["woman", "man", "non-binary"], people_id.size, p=[.5, .45, .05])}
                 ).to_parquet(folder / "participants.parquet")
    MEASURES.to_parquet(folder / "measures.parquet")
    n = people_id.size
    frames = []
    for _, m in MEASURES.iterrows():
        lo, hi = m["scale_min"], m["scale_max"]
        base = rng.normal(0, 1, n)
        for wave, shift in (("pre", 0.0), ("post", 0.3)):
            latent = base + shift + rng.normal(0, 0.6, n)
            if m["kind"] == "binary":
                value = (latent > 0.5).astype(float)
            elif m["kind"] == "ordinal":
                value = np.clip(np.round(3 + latent), lo, hi)
            else:
                value = np.clip(lo + (hi - lo) * (0.5 + latent / 6), lo, hi).round(2)
            frames.append(pd.DataFrame({"participant_id": people_id, "partnership_id": people_pid, "wave": wave,
                                        "measure": m["measure"], "value": value}))
    responses = pd.concat(frames, ignore_index=True)
    responses.to_parquet(folder / "responses.parquet")
    return len(responses)


def best_of(repeat: int, fn):
    """Wall seconds of the fastest of ``repeat`` calls, that call's (user, system) CPU seconds, and its result."""
    runs, result = [], None
    for _ in range(repeat):
        u0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        result = fn()
        wall, u1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
        runs.append((wall, (u1.ru_utime - u0.ru_utime, u1.ru_stime - u0.ru_stime)))
    wall, cpu = min(runs)
    return wall, cpu, result


def measure(n_partnerships: int, n_participants: int, repeat: int) -> dict:
    """Generate, then time load + validate and all comparisons (best of ``repeat``)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        rows = make_data(folder, n_partnerships, n_participants)
        gen = time.perf_counter() - t0
        load_s, load_cpu, data = best_of(repeat, lambda: ek.load_data(folder))
        compare_s, compare_cpu, table = best_of(repeat, lambda: ek.compare_prepost(data))
        del data
    return {"partnerships": n_partnerships, "participants_per_partnership": n_participants,
            "response_rows": rows, "generate_s": round(gen, 3), "load_validate_s": round(load_s, 3),
            "load_validate_user_s": round(load_cpu[0], 3), "load_validate_system_s": round(load_cpu[1], 3),
            "compare_all_s": round(compare_s, 3), "compare_all_user_s": round(compare_cpu[0], 3),
            "compare_all_system_s": round(compare_cpu[1], 3), "comparison_rows": len(table), "repeat": repeat}


def _cpu(row: dict, key: str) -> str:
    return f"(user {row[key + '_user_s']:.2f} s, system {row[key + '_system_s']:.2f} s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--partnerships", type=int, default=200)
    ap.add_argument("--participants", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big", action="store_true",
                    help="also run 10x the partnerships (20 million rows by default, once) and check linearity")
    args = ap.parse_args()
    base = measure(args.partnerships, args.participants, args.repeat)
    figures = {**base, "load_validate_target_s": 5.0, "compare_all_target_s": 3.0, "evalkit": ek.__version__}
    print(f"response rows            {base['response_rows']:>12,}")
    print(f"load + validate          {base['load_validate_s']:>10.2f} s   (target <= 5 s) "
          f"{_cpu(base, 'load_validate')}")
    print(f"all pre/post comparisons {base['compare_all_s']:>10.2f} s   (target <= 3 s; "
          f"{base['comparison_rows']:,} partnership x measure rows) {_cpu(base, 'compare_all')}")
    if args.big:
        big = measure(args.partnerships * 10, args.participants, 1)
        scale = big["response_rows"] / base["response_rows"]
        keys = ("load_validate_s", "compare_all_s", "load_validate_user_s", "compare_all_user_s")
        linear = {key: (big[key] / base[key]) / scale for key in keys}
        figures["big"] = {**big, "time_ratio_over_row_ratio": linear}
        print(f"\nresponse rows            {big['response_rows']:>12,}  ({scale:g}x)")
        print(f"load + validate          {big['load_validate_s']:>10.2f} s   "
              f"= {linear['load_validate_s']:.2f} x linear {_cpu(big, 'load_validate')}: user time "
              f"{linear['load_validate_user_s']:.2f} x linear")
        print(f"all pre/post comparisons {big['compare_all_s']:>10.2f} s   = {linear['compare_all_s']:.2f} x linear "
              f"{_cpu(big, 'compare_all')}: user time {linear['compare_all_user_s']:.2f} x linear")
        print("(1.00: exactly linear in rows. System time is the kernel's: first-touch page faults of the data's "
              "memory, which on this VM vary from run to run.)")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_stats.json").write_text(json.dumps(figures, indent=2))
    print(f"figures written to {out / 'bench_stats.json'}")


if __name__ == "__main__":
    main()
