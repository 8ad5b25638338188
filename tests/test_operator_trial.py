"""Operator trial: `evalkit run` from cron, and what the person paged when it breaks sees.

Each test reproduces one finding of the trial (24 November): the data rewritten while a run reads them,
an output folder left by an earlier evalkit version, a full disk or an unwritable home folder, and option
values that crashed with a traceback or were silently ignored.
"""
from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import evalkit as ek
import evalkit.load
from evalkit.cli import main
from evalkit.errors import DataValidationError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _one_error_line(res) -> str:
    """The run's single 'Error:' line; fails when there is a traceback or not exactly one such line."""
    assert "Traceback" not in res.output, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, res.output
    return errors[0]


# --- finding 1: a data file rewritten while the run reads it -----------------------------------------
def _halves(folder: Path) -> tuple[bytes, bytes]:
    """responses.csv whole, and cut after half of its rows (what an export tool has written half-way)."""
    whole = (folder / "responses.csv").read_bytes()
    lines = whole.splitlines(keepends=True)
    return whole, b"".join(lines[: len(lines) // 2])


def test_a_data_file_finished_while_it_is_read_is_read_again_whole(tiny_dataset, monkeypatch):
    # the trial: a nightly run while the export rewrote the data folder exited 0 with three reports made from
    # half of responses.csv (their hashes differed from a run on the finished files); nothing said so
    folder = tiny_dataset  # any valid folder: what is tested is reading a file that changes
    whole, half = _halves(folder)
    n_rows = len(pd.read_csv(folder / "responses.csv", dtype=str))
    (folder / "responses.csv").write_bytes(half)  # the export has written half the file...
    real, reads = evalkit.load.read_tables, []

    def reading(paths, *args, **kwargs):
        out = real(paths, *args, **kwargs)
        if not reads:
            (folder / "responses.csv").write_bytes(whole)  # ...and finishes it while evalkit reads the folder
        reads.append(1)
        return out

    monkeypatch.setattr(evalkit.load, "read_tables", reading)
    monkeypatch.setattr(evalkit.load, "REREAD_PAUSE", 0.0)  # the read again is what is tested, not its pause
    data = ek.load_data(folder)
    assert len(data.responses) == n_rows and len(reads) == 2


def test_a_data_file_that_keeps_changing_is_a_clear_error_naming_it(tiny_dataset, monkeypatch):
    folder = tiny_dataset
    whole, half = _halves(folder)
    real, reads = evalkit.load.read_tables, []

    def reading(paths, *args, **kwargs):
        out = real(paths, *args, **kwargs)
        reads.append(1)
        (folder / "responses.csv").write_bytes(half if len(reads) % 2 else whole)  # an export that never settles
        return out

    monkeypatch.setattr(evalkit.load, "read_tables", reading)
    monkeypatch.setattr(evalkit.load, "REREAD_PAUSE", 0.0)
    with pytest.raises(DataValidationError) as caught:
        ek.load_data(folder)
    (problem,) = caught.value.violations
    assert problem.file == "responses.csv" and "changed while" in problem.message, problem
    assert "export" in problem.message  # what to do: run again once the export has finished


# --- finding 2: an output folder an earlier evalkit version wrote -------------------------------------------
def _old_version_folder(out: Path) -> None:
    """Turn a current run's --out into what evalkit wrote on 23 November (commits 1566a6d to cf18693): the run's
    row-level slices in <out>/.data/<id>/ (Parquet tables and provenance.json), a manifest without 'owned'."""
    for pid in ("cafe-societe", "_portfolio"):
        slice_dir = out / ".data" / pid
        slice_dir.mkdir(parents=True)
        pd.DataFrame({"participant_id": ["P0001"], "partnership_id": ["cafe-societe"]}).to_parquet(
            slice_dir / "participants.parquet")
        (slice_dir / "provenance.json").write_text("{}")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.pop("owned")
    (out / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def cafe_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("cafe")
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                    "--out", str(root / "out"), "--cache-dir", str(root / "cache"), "--quiet"])
    assert res.exit_code == 0, res.output
    return root / "out"


@pytest.mark.integration
def test_an_output_folder_of_an_earlier_version_is_taken_over_and_its_row_level_slices_removed(cafe_out, tmp_path):
    # the trial: every nightly run refused the folder ('.data' was not written by evalkit, exit 2), and the
    # published folder kept the participants' rows the earlier version had cut into it
    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    _old_version_folder(out)
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                    "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    assert res.exit_code == 0, res.output
    assert not (out / ".data").exists()
    assert ".data" in res.output  # the log says what was removed
    assert (out / "cafe-societe.html").is_file()


@pytest.mark.integration
def test_a_data_folder_in_out_holding_anything_else_is_still_refused_and_left_alone(cafe_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    _old_version_folder(out)
    (out / ".data" / "cafe-societe" / "notes.txt").write_text("mine")
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                    "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    assert res.exit_code == 2 and ".data" in _one_error_line(res)
    assert (out / ".data" / "cafe-societe" / "notes.txt").read_text() == "mine"
    assert (out / ".data" / "cafe-societe" / "participants.parquet").is_file()


@pytest.mark.integration
def test_an_interrupted_run_of_an_earlier_version_does_not_block_the_nightly_run(cafe_out, tmp_path):
    # the trial: a run of the version before 'owned' (commit d20fe24) stopped with SIGTERM left
    # harbor-health.failed.ipynb, which its manifest did not record; every later run refused the folder (exit 2)
    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.pop("owned")
    (out / "manifest.json").write_text(json.dumps(manifest))
    _failed_notebook(out / "harbor-health.failed.ipynb", str(out / ".evalkit-tmp-0a1b-harbor-health.ipynb"))
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                    "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    assert res.exit_code == 0, res.output
    assert "harbor-health.failed.ipynb" in json.loads((out / "manifest.json").read_text())["owned"]


def _failed_notebook(path: Path, output_path: str | None) -> None:
    meta = {"papermill": {"output_path": output_path}} if output_path else {}
    path.write_text(json.dumps({"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))


def test_without_an_owned_list_a_failed_notebook_papermill_wrote_for_its_id_is_evalkits(tmp_path):
    from evalkit.batch.publish import owned_names

    # as the version before 'owned' left them: papermill's output_path is the run's temporary file
    _failed_notebook(tmp_path / "harbor-health.failed.ipynb", "/srv/out/.evalkit-tmp-0a1b-harbor-health.ipynb")
    _failed_notebook(tmp_path / "_portfolio.failed.ipynb", "/srv/out/.evalkit-tmp-0a1b-_portfolio.ipynb")
    _failed_notebook(tmp_path / "mine.failed.ipynb", None)  # a user's notebook, named alike
    _failed_notebook(tmp_path / "other.failed.ipynb", "/srv/out/.evalkit-tmp-0a1b-harbor-health.ipynb")
    manifest = {"partnerships": {}, "portfolio": None}
    owned = owned_names(manifest, tmp_path)
    assert {"harbor-health.failed.ipynb", "_portfolio.failed.ipynb"} <= owned
    assert "mine.failed.ipynb" not in owned and "other.failed.ipynb" not in owned
    assert "harbor-health.failed.ipynb" not in owned_names({**manifest, "owned": []}, tmp_path)  # the list rules


# --- finding 3: a full disk, an unwritable home folder ----------------------------------------------
def test_an_unwritable_home_is_one_line_naming_the_cache_and_the_option(tmp_path, monkeypatch):
    # the trial: HOME on a read-only file system gave a traceback (mkdir of ~/.cache) and exit 1, 'some
    # report failed', though none had been tried; a file stands in for the unwritable home here
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("EVALKIT_CACHE_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                    "--out", str(out)])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res)
    assert str(home) in line and "--cache-dir" in line, line
    assert not list(out.glob("*.html"))


def test_no_home_at_all_is_one_line_naming_the_option(tmp_path, monkeypatch):
    # a cron or container user with HOME unset and no passwd entry: Path.home() raises RuntimeError ('Could not
    # determine home directory.'), which came out as a traceback and exit 1; with --cache-dir, jupyter_core's
    # runtime folder raised it in every kernel ('Kernel died before replying to kernel_info', exit 1)
    import os
    import pwd

    def no_entry(uid):
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    for name in ("HOME", "EVALKIT_CACHE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert os.path.expanduser("~") == "~"  # no home to be found
    for cache in ([], ["--cache-dir", str(tmp_path / "cache")]):  # with --cache-dir every kernel died at start
        res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                        "--out", str(tmp_path / "out"), *cache])
        assert res.exit_code == 2, res.output
        line = _one_error_line(res)
        assert "HOME" in line and "Set HOME" in line, line
        assert not (tmp_path / "out").exists()


def test_a_full_disk_is_one_line_naming_the_file_and_what_to_do(tmp_path, monkeypatch):
    # the trial (a 3 MB tmpfs as --out): the manifest's write raised ENOSPC with a traceback and exit 1
    import evalkit.atomic

    def full(fd, *args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evalkit.atomic.os, "fsync", full)  # the write that first meets the full disk
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio",
                                    "--out", str(out), "--cache-dir", str(tmp_path / "cache")])
    assert res.exit_code == 2, res.output
    line = _one_error_line(res)
    assert "No space left on device" in line and "manifest.json" in line and "free" in line, line
    assert ".evalkit-tmp-" not in line  # the file named is the one the operator knows
    assert not [p.name for p in out.iterdir() if p.name.startswith(".evalkit-tmp-")]


# --- finding 4: option values that crashed or were ignored ----------------------------------------------
@pytest.mark.parametrize("option, value", [
    ("--timeout", "inf"),  # rendered with no limit, a traceback from the watchdog thread, exit 0
    ("--timeout", "1e400"),
    ("--timeout", "nan"),  # 'timeout must be ...': the option went unnamed
    ("--memory-limit", "nan"),  # ValueError traceback, exit 1
    ("--memory-limit", "inf"),  # OverflowError traceback, exit 1
    ("--memory-limit", "1e30G"),  # beyond any address space: every kernel died, exit 1
    ("--memory-limit", "100M"),  # the kernel hung in its first read of the data, and the run never ended
    ("--memory-limit", "64M"),  # every kernel died before it started ('Kernel died before replying'), exit 1
])
def test_non_finite_or_impossible_limits_are_usage_errors_naming_the_option(tmp_path, option, value):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--out", str(out),
                                    "--cache-dir", str(tmp_path / "cache"), option, value])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and option in res.output and value in res.output, res.output
    assert not out.exists()


# --- finding 6: a scheduler address that is not one --------------------------------------------------
@pytest.mark.integration  # `python -m evalkit run` in a subprocess
def test_a_malformed_scheduler_address_is_one_line_without_a_traceback(tmp_path):
    # the trial: '--scheduler nonsense' said 'Cannot reach the dask scheduler', then waited 10 s and printed
    # 'Exception ignored in: <function Client.__del__>' with a traceback; in a subprocess, as cron runs it
    import subprocess
    import sys

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "evalkit", "run", str(SAMPLE), "--out", str(out), "--cache-dir",
                           str(tmp_path / "cache"), "--scheduler", "nonsense"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert "'nonsense'" in line and "tcp://" in line, line
    assert not out.exists()


# --- finding 7: --quiet printed papermill's unformatted lines ---------------------------------------
@pytest.mark.integration
def test_quiet_logs_only_evalkits_own_formatted_lines_when_a_kernel_dies(tmp_path):
    # the trial: under --quiet, a dead kernel added 'Kernel died while waiting for execute reply.' beside evalkit's
    # own line, and a copied template without the provenance parameter 'Passed unknown parameter: provenance' for
    # every report (papermill's logger, printed by Python's last-resort handler, unformatted)
    import re
    import subprocess
    import sys

    from test_batch import TEMPLATES, write_dataset

    data = write_dataset(tmp_path / "data")
    proc = subprocess.run([sys.executable, "-m", "evalkit", "run", str(data), "--out", str(tmp_path / "out"),
                           "--cache-dir", str(tmp_path / "cache"), "--template", str(TEMPLATES / "exits.ipynb"),
                           "--quiet"], capture_output=True, text=True, timeout=300)  # as cron runs it: no pytest logging
    assert proc.returncode == 1, proc.stderr
    logged = re.compile(r"^\d{4}-\d\d-\d\dT\S+ (WARNING|ERROR) evalkit")
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[-1] == "1 of 3 report(s) failed: p02", lines
    assert all(logged.match(line) for line in lines[:-1]), lines
    assert any("partnership=p02" in line and "DeadKernelError" in line for line in lines), lines


# --- finding 8: new evalkit code, same version string: every report kept --------------------------------
def test_the_code_fingerprint_changes_with_any_file_of_the_package(tmp_path):
    # the trial: `git pull` of the source tree (installed editable by `make setup`, version 0.1.0 throughout) changed
    # how reports are computed, and the nightly run kept every report 'unchanged', made by the old code
    from evalkit.batch.plan import code_fingerprint

    package = tmp_path / "evalkit"
    (package / "templates").mkdir(parents=True)
    (package / "stats.py").write_text("ALPHA = 0.05\n")
    (package / "templates" / "report.ipynb").write_text("{}")
    (package / "__pycache__").mkdir()
    first = code_fingerprint(package)
    (package / "__pycache__" / "stats.cpython-311.pyc").write_bytes(b"\0")  # byte code: not the code
    assert code_fingerprint(package) == first
    (package / "stats.py").write_text("ALPHA = 0.10\n")
    second = code_fingerprint(package)
    (package / "templates" / "report.ipynb").write_text('{"cells": []}')
    assert len({first, second, code_fingerprint(package)}) == 3


@pytest.mark.integration
def test_a_rerun_after_the_code_changed_renders_again(cafe_out, tmp_path, monkeypatch):
    import evalkit.batch.plan as plan

    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    args = ["run", str(SAMPLE), "--partnership", "cafe-societe", "--no-portfolio", "--out", str(out),
            "--cache-dir", str(tmp_path / "cache")]
    assert CliRunner().invoke(main, args).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["partnerships"]["cafe-societe"]["rendered"] is False
    monkeypatch.setattr(plan, "_installed_code", lambda: "0" * 64)  # what the package's files hash to after a pull
    assert CliRunner().invoke(main, args).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["partnerships"]["cafe-societe"]["rendered"] is True


# --- finding 9: two runs sharing one --cache-dir ---------------------------------------------------------
def test_two_output_folders_sharing_a_cache_dir_keep_their_slices_apart(tmp_path, sample_data):
    # the trial: two nightly jobs (data/sample into B, a 5-partnership export into A) with the same --cache-dir
    # (as the README's cluster example gives one) ran at once; both wrote <cache>/_portfolio and <cache>/<id>
    # (the two data sets share partnership ids), and A's portfolio summarised B's twelve partnerships; exit 0
    from evalkit.batch.cache import cache_folder
    from evalkit.batch.plan import plan_tasks, portfolio_task, resolve_template

    shared = tmp_path / "shared"
    a, b = cache_folder(tmp_path / "A", shared), cache_folder(tmp_path / "B", shared)
    assert a != b and shared.resolve() in a.parents and shared.resolve() in b.parents
    assert cache_folder(tmp_path / "A", shared) == a  # the same --out finds its slices again
    data = sample_data
    slices = {"cafe-societe": {}}
    template = resolve_template(None)
    folders = set()
    for out in (tmp_path / "A", tmp_path / "B"):
        (task,) = plan_tasks(data, out, template, {}, slices, cache_dir=shared)
        port = portfolio_task(data, out, template, {}, cache_dir=shared)
        folders |= {task.parameters["data_dir"], port.parameters["data_dir"]}
    assert len(folders) == 4


# --- finding 10: the run in the way, unnamed ------------------------------------------------------------
def test_a_run_refused_by_the_lock_names_the_run_that_holds_it(tmp_path):
    # the trial: a run hung (no --timeout) and every later nightly run said only 'Another evalkit run is
    # writing to ...; wait for it to finish': the operator had to hunt for which process
    import os

    from evalkit.batch.publish import lock_output

    held = lock_output(tmp_path)
    try:
        res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(tmp_path), "--partnership", "cafe-societe"])
    finally:
        held.close()
    assert res.exit_code == 75   # EX_TEMPFAIL: not an error to fix, a run to wait for (cron wrappers retry on it)
    line = _one_error_line(res)
    assert "Another evalkit run" in line and f"pid {os.getpid()}" in line and "started" in line, line


# --- found 25 November: a notebook's run, then the command's, rendered everything again --------------------
def test_parameters_left_at_the_templates_defaults_name_the_same_report_as_parameters_not_given(tmp_path, sample_data):
    # run_batch(...) passes no parameters, `evalkit run` its defaults (--alpha 0.05 --min-group-size 10), which
    # are the templates' own: the hashes differed, so an analyst's run from a notebook followed by the nightly
    # command rendered every report and the portfolio again, for the same reports
    from evalkit.batch.plan import plan_tasks, portfolio_task, resolve_template

    data = sample_data
    slices = {"cafe-societe": {}}
    template, portfolio = resolve_template(None), resolve_template(None, "portfolio_report.ipynb")
    out = tmp_path / "out"

    def hashes(parameters):
        (task,) = plan_tasks(data, out, template, parameters, slices, cache_dir=tmp_path / "cache")
        return task.hash, portfolio_task(data, out, portfolio, parameters, cache_dir=tmp_path / "cache").hash

    unset = hashes({})
    assert hashes({"alpha": 0.05, "min_group_size": 10}) == unset
    assert hashes({"alpha": 0.05}) == unset
    for changed in ({"alpha": 0.01}, {"min_group_size": 5}, {"alpha": 0.05, "min_group_size": 11}):
        new = hashes(changed)
        assert new[0] != unset[0] and new[1] != unset[1], changed
    (task,) = plan_tasks(data, out, template, {"alpha": 0.05}, slices, cache_dir=tmp_path / "cache")
    assert task.parameters["alpha"] == 0.05  # the kernel still gets what was given
