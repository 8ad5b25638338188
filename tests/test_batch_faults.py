"""Batch runs when things go wrong: dead, hung and memory-starved kernels, re-runs, kills, Ctrl-C, hostile ids.

Fixture templates without heavy imports keep each run to a few seconds.
"""
from __future__ import annotations

import json
import re
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from evalkit.batch import run_batch
from evalkit.batch.plan import plan_tasks
from evalkit.errors import DataValidationError, InputError
from evalkit.batch.publish import report_path
from test_batch import TEMPLATES, write_dataset

pytestmark = pytest.mark.integration  # run_batch and the CLI start kernel servers and kernels

EVALKIT = str(Path(sys.executable).parent / "evalkit")


def test_raising_dead_hung_and_starved_kernels_each_fail_alone(tmp_path, monkeypatch):
    data = write_dataset(tmp_path / "data", ids=("p01", "p02", "p03", "p04", "p05"))
    out = tmp_path / "out"
    signals = tmp_path / "signals"
    signals.mkdir()
    monkeypatch.setenv("EVALKIT_TEST_SIGNALS", str(signals))  # the kernels inherit it
    result = run_batch(data, out, template=TEMPLATES / "faults.ipynb", workers=2, progress=False,
                       timeout=5, memory_limit=1024**3)
    assert result.failed == ["p02", "p03", "p04", "p05"]
    assert (signals / "p04.hanging").exists()  # p04's timeout struck its hanging cell, not a slow start-up
    entries = json.loads((out / "manifest.json").read_text())["partnerships"]
    expected = {"p02": {"ValueError"}, "p03": {"DeadKernelError"}, "p04": {"TimeoutError"},
                "p05": {"MemoryError", "DeadKernelError"}}
    for pid, enames in expected.items():
        assert entries[pid]["status"] == "failed" and entries[pid]["error"]["ename"] in enames, entries[pid]
        assert entries[pid]["error"]["cell_index"] == 4  # markdown, parameters, injected, setup, the fault
    assert entries["p01"]["status"] == "ok" and (out / "p01.html").is_file()
    index = (out / "index.html").read_text()
    assert index.count('class="failed"') == 4 and "TimeoutError" in index


def test_rerun_skips_unchanged_reports_and_force_renders_all(tmp_path):
    data = write_dataset(tmp_path / "data")
    out = tmp_path / "out"

    def run(**kw):
        result = run_batch(data, out, template=TEMPLATES / "raises.ipynb", workers=2, progress=False, **kw)
        return {e.partnership_id: e for e in result.entries}

    first = run()
    assert [first[p].status for p in ("p01", "p02", "p03")] == ["ok", "failed", "ok"]
    stamp = {p: (out / f"{p}.html").stat().st_mtime_ns for p in ("p01", "p03")}

    second = run()  # nothing changed: the good reports are kept, the failed one is tried again
    assert (second["p01"].rendered, second["p02"].rendered, second["p03"].rendered) == (False, True, False)
    assert second["p01"].hash == first["p01"].hash and second["p01"].status == "ok"
    assert {p: (out / f"{p}.html").stat().st_mtime_ns for p in ("p01", "p03")} == stamp
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partnerships"]["p01"]["rendered"] is False
    assert manifest["partnerships"]["p01"]["hash"] == first["p01"].hash

    responses = (data / "responses.csv").read_text().replace("p03-3,p03,post,skills,4", "p03-3,p03,post,skills,5")
    (data / "responses.csv").write_text(responses)
    third = run()  # only p03's data changed
    assert (third["p01"].rendered, third["p03"].rendered) == (False, True)
    assert third["p03"].hash != first["p03"].hash

    forced = run(force=True)
    assert all(e.rendered for e in forced.values())


def test_a_failed_rerender_keeps_and_links_the_previous_good_report(tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01", "p02"))
    out = tmp_path / "out"
    template = TEMPLATES / "raises.ipynb"
    first = run_batch(data, out, template=template, workers=2, progress=False, parameters={"fail_id": "none"})
    assert first.ok
    good = (out / "p02.html").read_text()
    second = run_batch(data, out, template=template, workers=2, progress=False, parameters={"fail_id": "p02"})
    assert second.failed == ["p02"]
    assert (out / "p02.html").read_text() == good
    entry = json.loads((out / "manifest.json").read_text())["partnerships"]["p02"]
    assert entry["status"] == "failed" and entry["files"]["previous_html"] == "p02.html"
    assert re.search(r'<a href="p02.html">previous report(<span class="vh">[^<]*</span>)?</a>',
                     (out / "index.html").read_text())


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _assert_all_gone(procs: list[psutil.Process], timeout: float = 20) -> None:
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:  # clean up before failing
        proc.kill()
    assert alive == [], f"orphan processes left: {alive}"


def _complete(out: Path) -> None:
    """Every visible report file in ``out`` is whole: notebooks parse, pages end with </html>."""
    for path in out.glob("[!.]*.ipynb"):
        nbformat.read(path, as_version=4)
    for path in out.glob("[!.]*.html"):
        assert path.read_text().rstrip().endswith("</html>"), path
    if (out / "manifest.json").exists():
        json.loads((out / "manifest.json").read_text())


def _wait_for(path: Path, proc: subprocess.Popen, limit: float = 120) -> None:
    """Wait until a fixture notebook writes ``path`` (its readiness signal); fail if the run ends first.

    Not a timing assumption: ``limit`` only bounds a run that went wrong.
    """
    watched = psutil.Process(proc.pid)
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.poll() is None, f"the run ended before {path.name} was written"
        assert time.monotonic() < deadline, f"{path.name} was not written within {limit:g} s"
        try:
            watched.wait(timeout=0.05)  # returns at once if the run exits
        except psutil.TimeoutExpired:
            pass


def test_sigkill_at_any_moment_leaves_only_whole_files_and_no_orphans(tmp_path):
    """Killed while the first kernel runs, once a report's notebook has run (its export under way), and
    while the last kernel runs: each moment signalled by the fixture notebook, never guessed with a delay."""
    data = write_dataset(tmp_path / "data", ids=("p01", "p02", "p03", "p04"))
    out = tmp_path / "out"
    args = [EVALKIT, "run", str(data), "--out", str(out), "--template", str(TEMPLATES / "state.ipynb"),
            "--workers", "2", "--quiet"]
    assert subprocess.run(args, capture_output=True).returncode == 0
    good = {p: (out / f"{p}.html").read_text() for p in ("p01", "p02", "p03", "p04")}
    for moment in ("p01.started", "p02.executed", "p04.started"):
        signals = tmp_path / f"signals-{moment}"
        signals.mkdir()
        proc = subprocess.Popen([*args, "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "EVALKIT_TEST_SIGNALS": str(signals)})
        _wait_for(signals / moment, proc)
        family = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _assert_all_gone(family)
        _complete(out)
        for pid, page in good.items():  # each report is the old one or a whole new one
            assert (out / f"{pid}.html").read_text().rstrip().endswith("</html>")
            assert len((out / f"{pid}.html").read_text()) > len(page) // 2
    resumed = subprocess.run(args, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    _complete(out)
    assert not list(out.glob(".*.tmp*"))  # leftovers of the killed runs were cleared


@pytest.mark.parametrize("how, code", [("ctrl-c", 130), ("sigterm", 143)])
def test_ctrl_c_stops_workers_and_kernels(tmp_path, how, code):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) and a scheduler's SIGTERM (to the
    process only) both stop the run at once: every kernel gone, only whole files, the right exit code."""
    data = write_dataset(tmp_path / "data")
    out = tmp_path / "out"
    signals = tmp_path / "signals"
    signals.mkdir()
    proc = subprocess.Popen([EVALKIT, "run", str(data), "--out", str(out), "--template",
                             str(TEMPLATES / "sleeps.ipynb"), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "EVALKIT_TEST_SIGNALS": str(signals)})
    _wait_for(signals / "p02.hanging", proc)  # p02's kernel is in its endless cell: a render is under way
    family = _descendants(proc.pid)
    kernel = int((signals / "p02.hanging").read_text())  # the fixture writes its kernel's pid
    assert kernel in {p.pid for p in family}
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    else:
        proc.send_signal(signal.SIGTERM)  # what cron's timeout, systemd or a batch scheduler does
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert b"Interrupted" in stderr
    _assert_all_gone(family)
    _complete(out)


@pytest.mark.parametrize("hostile", ["../escape", "..", "a/b", "/etc/passwd", ".hidden", "p01 ", "p\x00", "x\\y"])
def test_hostile_ids_cannot_name_paths_outside_the_output(tmp_path, hostile):
    with pytest.raises(InputError, match="safe slug"):
        report_path(tmp_path, hostile, ".html")


@pytest.mark.parametrize("pid", ["p01", "riverside-literacy", "a_b", "P01", "x" * 64, "x" * 65, "index", "manifest",
                                 "_portfolio", "-p", "p.1", "p01\n"])
def test_one_rule_for_safe_ids_in_the_data_contract_and_the_publisher(tmp_path, pid):
    """An id the data contract accepts gets a file; one it refuses is refused by the publisher too."""
    import re

    from evalkit import schema

    accepted = re.fullmatch(schema.SLUG_PATTERN, pid) is not None
    if accepted:
        assert report_path(tmp_path, pid, ".html") == tmp_path / f"{pid}.html"
    else:
        with pytest.raises(InputError, match="safe slug"):
            report_path(tmp_path, pid, ".html")
    assert accepted == (pid in {"p01", "riverside-literacy", "a_b", "x" * 64})


def test_hostile_ids_are_refused_even_if_validation_were_bypassed(tmp_path):
    import pandas as pd

    class FakeData:  # what plan_tasks sees, with an id the validator would have rejected
        partnerships = pd.DataFrame({"partnership_id": ["../../evil"], "name": ["x"], "partner_type": ["school"]})

    with pytest.raises(InputError, match="safe slug"):
        plan_tasks(FakeData(), tmp_path / "out", TEMPLATES / "ok.ipynb", {}, {"../../evil": {}})
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "evil.html").exists()


def test_hostile_ids_in_data_stop_the_run_before_anything_is_written(tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01", "../escape"))
    with pytest.raises(DataValidationError):
        run_batch(data, tmp_path / "out", template=TEMPLATES / "ok.ipynb", workers=1, progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape.html").exists()


def test_dask_scheduler_gives_the_same_outputs_and_manifest(tmp_path):
    from distributed import LocalCluster

    data = write_dataset(tmp_path / "data", ids=("p01", "p02"))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        result = run_batch(data, tmp_path / "out", template=TEMPLATES / "raises.ipynb", workers=2,
                           scheduler=cluster.scheduler_address, progress=False)
    assert result.failed == ["p02"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["scheduler"] == cluster.scheduler_address
    assert manifest["partnerships"]["p01"]["files"] == {"html": "p01.html", "notebook": "p01.ipynb"}
    assert manifest["partnerships"]["p02"]["error"]["ename"] == "ValueError"
    assert (tmp_path / "out" / "p01.html").read_text().rstrip().endswith("</html>")


def test_a_dead_kernel_server_fails_renders_fast_instead_of_hanging(tmp_path):
    from evalkit.batch.render import render_report
    from evalkit.batch.forkserver import KernelServer

    server = KernelServer(["no_such_module_for_evalkit"]).start()
    try:
        server.process.kill()
        server.process.wait()
        data = write_dataset(tmp_path / "data", ids=("p01",))
        result = render_report(TEMPLATES / "raises.ipynb", tmp_path / "p01.ipynb", tmp_path / "p01.html",
                               {"partnership_id": "p01", "data_dir": str(data)}, kernel_server=server.address)
        # "has exited", not "did not answer within 300 s": the render noticed the dead server at once
        assert result.status == "failed" and "has exited" in result.error.evalue, result.error
    finally:
        server.stop()
