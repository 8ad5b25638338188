"""Issue 7 findings, each reproduced: a run's outputs are safe to publish and the run is safe to schedule."""
from __future__ import annotations

import itertools
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import evalkit as ek
from evalkit.batch.cache import cache_folder
from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.privacy import complementary_cells
from evalkit.atomic import temporary_path
from evalkit.batch.publish import lock_output, remove_stale_temporaries
from evalkit.validate import validate_dir

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture
def small(tmp_path):
    """`evalkit sample s --partnerships 5 --participants 30 --seed 1`, the issue's set-up."""
    folder = tmp_path / "s"
    ek.write_sample(folder, partnerships=5, participants=30, seed=1)
    return folder


# --- finding 1: recovery by differencing ------------------------------------------------
def test_one_disabled_participant_cannot_be_recovered_by_subtraction(small):
    people = pd.read_csv(small / "participants.csv", dtype=str)
    mine = people["partnership_id"] == "riverside-literacy"
    people.loc[mine, "disability"] = "no"
    people.loc[people.index[mine][0], "disability"] = "yes"
    people.to_csv(small / "participants.csv", index=False)
    data = ek.load_data(small)
    whole = ek.compare_prepost(data, "riverside-literacy")
    groups = ek.compare_prepost(data, "riverside-literacy", by="disability")
    for measure, g in groups.groupby("measure"):
        total = whole.set_index("measure").loc[measure]
        shown = g[~g["suppressed"]]
        if total["suppressed"]:
            continue
        # the attack of the issue: total x n minus the shown groups' n x mean
        hidden_n = total["n_pairs"] - shown["n_pairs"].sum()
        assert hidden_n == 0 or hidden_n >= 10, (measure, hidden_n)
    assert groups["suppressed"].all()  # with two groups, blanking "yes" blanks "no" as well
    rep = ek.representation(data, "disability", "riverside-literacy")
    shown = rep[~rep["suppressed"]]
    enrolled = data.participants["partnership_id"].eq("riverside-literacy").sum()
    assert enrolled - shown["n_enrolled"].sum() in (0,) or enrolled - shown["n_enrolled"].sum() >= 10


def test_a_group_of_three_is_not_revealed_by_30_minus_15_minus_12():
    assert complementary_cells([3, 15, 12], 10).tolist() == [True, False, True]


# --- finding 2: counts recovered from rates ---------------------------------------------
def test_retention_rate_of_a_suppressed_count_is_not_shown(sample_data):
    data = sample_data
    r = ek.retention(data, "cafe-societe").iloc[0]  # 5 of 20 complete: 25% of 20 would give 5
    assert pd.isna(r["n_both"]) and pd.isna(r["retention_rate"])
    report = ek.report.PartnershipReport(data, "cafe-societe")
    assert "25%" not in report.participation()


# --- finding 3 (and done-means): no row-level data under --out --------------------------
@pytest.fixture(scope="module")
def sample_out(sample_run):
    """The shared sample run's --out folder (conftest: four sample reports, the portfolio, workbooks)."""
    return sample_run.out_dir


def _delimited(text: str) -> set:
    """Every piece of ``text`` between two quotes, between ``>`` and ``<``, or between two spaces (the ways an id
    would stand alone in HTML, JSON or markdown), found in three scans rather than three searches per id."""
    return {piece for pattern in (r'(?<=")[^"]+(?=")', r"(?<=>)[^<>]+(?=<)", r"(?<= )[^ ]+(?= )")
            for piece in re.findall(pattern, text)}


def test_nothing_under_out_holds_row_level_data_or_participant_ids(sample_out, sample_run_cache):
    files = [p for p in sample_out.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix in (".parquet", ".csv", ".feather", ".pkl")]
    ids = set(pd.read_csv(SAMPLE / "participants.csv", dtype=str)["participant_id"])
    ids = {i for i in ids if len(i) >= 4}
    assert _delimited('<td>P001-0001</td> "P001-0002" P001-0003 ') >= {"P001-0001", "P001-0002", "P001-0003"}
    for path in files:
        if path.suffix in (".html", ".ipynb", ".json", ".md"):
            leaked = sorted(ids & _delimited(path.read_text(errors="replace")))
            assert not leaked, (path.name, leaked[:3])
    assert (cache_folder(sample_out, sample_run_cache) / "riverside-literacy" / "responses.parquet").is_file()


def test_the_planted_email_and_phone_reach_no_output_file(sample_out):
    # Issue 10: the sample plants a contact in a riverside-literacy comment; no file the run wrote holds it.
    from evalkit.sample import generate_sample

    pid, email, phone, person = generate_sample()[1].planted_contact
    assert pid == "riverside-literacy" and email in (SAMPLE / "comments.csv").read_text()
    digits = "".join(ch for ch in phone if ch.isdigit())
    for path in [p for p in sample_out.rglob("*") if p.is_file()]:
        data = path.read_bytes()
        if path.suffix == ".xlsx":  # a zip of XML parts
            import zipfile

            with zipfile.ZipFile(path) as z:
                data = b"".join(z.read(n) for n in z.namelist())
        text = data.decode("utf-8", errors="replace")
        for secret in (email, phone, digits, person):
            assert secret not in text, (path.name, secret)


# --- finding 4: a run deletes user files --------------------------------------------------
def test_a_run_removes_only_its_own_temporaries(tmp_path):
    (tmp_path / ".budget.tmp.xlsx").write_text("x")
    (tmp_path / ".cache.tmp").mkdir()
    ours = temporary_path(tmp_path / "p01.html")
    ours.write_text("half")
    remove_stale_temporaries(tmp_path)
    assert (tmp_path / ".budget.tmp.xlsx").read_text() == "x" and (tmp_path / ".cache.tmp").is_dir()
    assert not ours.exists()


# --- finding 5: an id that names the run's own page ----------------------------------------
@pytest.mark.parametrize("pid", ["index", "manifest"])
def test_reserved_ids_are_violations(tmp_path, pid):
    folder = tmp_path / "d"
    shutil.copytree(SAMPLE, folder)
    for table in ("partnerships", "participants", "responses", "attendance", "targets"):
        path = folder / f"{table}.csv"
        path.write_text(path.read_text().replace("cafe-societe", pid))
    problems = validate_dir(folder)
    assert any(v.file == "partnerships.csv" and v.column == "partnership_id" and v.row == 2 + 0 or
               (v.column == "partnership_id" and "reserved" in v.message) for v in problems), problems[:3]


# --- finding 6: two runs into one --out ------------------------------------------------------
def test_a_second_run_into_the_same_out_fails_at_once(tmp_path):
    held = lock_output(tmp_path)
    try:
        with pytest.raises(InputError, match="Another evalkit run"):
            lock_output(tmp_path)
        res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(tmp_path),
                                        "--partnership", "cafe-societe"])
        assert res.exit_code == 75 and "Another evalkit run" in res.output  # EX_TEMPFAIL: try again later
    finally:
        held.close()


def test_a_user_file_in_out_is_never_replaced(tmp_path):
    (tmp_path / "cafe-societe.html").write_text("my own page")
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(tmp_path), "--partnership", "cafe-societe"])
    assert res.exit_code == 2 and "not written by evalkit" in res.output
    assert (tmp_path / "cafe-societe.html").read_text() == "my own page"


def test_a_link_in_out_pointing_elsewhere_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.html"
    outside.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / "cafe-societe.html").symlink_to(outside)
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(out), "--partnership", "cafe-societe"])
    assert res.exit_code == 2 and outside.read_text() == "keep"


# --- finding 7: a failed portfolio exits 1; `$$` in names is shown as typed ------------------------
def test_a_failed_portfolio_makes_the_run_exit_1(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    import evalkit.batch.plan as plan
    from evalkit.batch.plan import DEFAULT_TEMPLATE

    broken = tmp_path / "broken_portfolio.ipynb"
    nbformat.write(new_notebook(cells=[
        new_code_cell('data_dir = "."', metadata={"tags": ["parameters"]}),
        new_code_cell('raise RuntimeError("portfolio broke")')],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}), broken)
    real = plan.resolve_template  # plan.choose_portfolio picks the packaged portfolio template through it
    monkeypatch.setattr(plan, "resolve_template",
                        lambda template=None, default=DEFAULT_TEMPLATE: broken
                        if template is None and default == plan.PORTFOLIO_TEMPLATE else real(template, default))
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(tmp_path / "out"), "--cache-dir",
                                    str(tmp_path / "cache"), "--partnership", "cafe-societe", "--portfolio"])
    assert res.exit_code == 1, res.output
    assert "portfolio" in res.output.lower() and "portfolio broke" in res.output
    assert (tmp_path / "out" / "cafe-societe.html").is_file()  # the report that worked is kept


def test_dollar_signs_and_markup_in_names_and_labels_are_shown_as_typed(small, tmp_path):
    partnerships = pd.read_csv(small / "partnerships.csv", dtype=str)
    partnerships.loc[partnerships["partnership_id"] == "riverside-literacy", "name"] = "Riverside $$ Literacy"
    partnerships.to_csv(small / "partnerships.csv", index=False)
    measures = pd.read_csv(small / "measures.csv", dtype=str)
    measures.loc[measures["measure"] == "skills", "label"] = r"Skills $x_1$ at 50%_rate \ok"
    measures.to_csv(small / "measures.csv", index=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(small), "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
                                    "--partnership", "riverside-literacy", "--portfolio"])
    assert res.exit_code == 0, res.output
    page = (out / "riverside-literacy.html").read_text()
    assert "Riverside $$ Literacy" in page and "Skills $x_1$ at 50%_rate" in page
    assert "Riverside $$ Literacy" in (out / "_portfolio.html").read_text()


# --- finding 8: passes validate, must not fail at render ------------------------------------------------
REPORT_SECTIONS = ["at_a_glance", "profile", "summary", "participation", "attendance_figure", "outcomes_intro",
                   "outcomes_table", "change_figure", "distribution_figure", "distribution_figures", "comparison_group",
                   "satisfaction", "satisfaction_figure", "longterm", "change_over_time", "targets_table",
                   "results_by_group", "methods", "tables"]


def _keep_rows(folder: Path, table: str, keep) -> None:
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    frame[keep(frame)].to_csv(folder / f"{table}.csv", index=False)


def _stages(folder: Path) -> Path:
    """riverside: pre survey only; eastside: post only; a registered partnership without participants."""
    _keep_rows(folder, "responses", lambda r: ~((r["partnership_id"] == "riverside-literacy") & (r["wave"] != "pre"))
               & ~((r["partnership_id"] == "eastside-stem") & (r["wave"] == "pre")))
    partnerships = pd.read_csv(folder / "partnerships.csv", dtype=str, keep_default_na=False)
    extra = partnerships.iloc[[0]].assign(partnership_id="not-started", name="Not Started Yet")
    pd.concat([partnerships, extra]).to_csv(folder / "partnerships.csv", index=False)
    return folder


@pytest.mark.parametrize("pid, says", [
    ("riverside-literacy", "The post survey has not yet been collected."),
    ("eastside-stem", "No pre survey was recorded"),
    ("not-started", "No participants are recorded yet"),
])
def test_every_section_renders_before_the_post_survey_without_a_baseline_and_without_participants(small, pid, says):
    data = ek.load_data(_stages(small))
    assert validate_dir(small) == []
    report = ek.report.PartnershipReport(data, pid)
    for section in REPORT_SECTIONS:
        getattr(report, section)()  # none raises
    assert says in report.summary() and report.outcomes.empty
    if pid == "riverside-literacy":  # the baseline is described instead: n and mean per measure
        table = report.outcomes_table()
        assert list(table.columns) == ["n", "Mean (SD)", "Top two answers"] and len(table) >= 3


def test_a_nightly_run_before_the_post_survey_renders_and_exits_0(small, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["run", str(_stages(small)), "--out", str(out), "--cache-dir", str(tmp_path / "c"),
                                    "--partnership", "riverside-literacy", "--partnership", "eastside-stem",
                                    "--partnership", "not-started", "--portfolio"])
    assert res.exit_code == 0, res.output
    assert "has not yet been collected" in (out / "riverside-literacy.html").read_text()
    assert "No pre survey was recorded" in (out / "eastside-stem.html").read_text()
    assert "No participants are recorded yet" in (out / "not-started.html").read_text()
    assert (out / "_portfolio.html").is_file()


def test_every_partnership_at_baseline_still_gives_a_portfolio(small, tmp_path):
    _keep_rows(small, "responses", lambda r: r["wave"] == "pre")
    portfolio = ek.report.PortfolioReport(ek.load_data(small))
    assert "no change to compare across partnerships" in portfolio.shared_summary()


def test_waves_named_other_than_pre_and_post_give_the_same_reports_and_portfolio(small, tmp_path):
    renamed = tmp_path / "renamed"
    shutil.copytree(small, renamed)
    responses = pd.read_csv(renamed / "responses.csv", dtype=str, keep_default_na=False)
    responses["wave"] = responses["wave"].replace({"pre": "baseline", "post": "endline"})
    responses.to_csv(renamed / "responses.csv", index=False)
    before, after = ek.load_data(small), ek.load_data(renamed)
    for column in ("estimate", "ci_low", "ci_high", "tau2"):
        assert ek.report.PortfolioReport(after).pooled[column].tolist() == pytest.approx(
            ek.report.PortfolioReport(before).pooled[column].tolist(), nan_ok=True)
    one, other = (ek.report.PartnershipReport(d, "riverside-literacy").outcomes for d in (before, after))
    assert other["mean_change"].tolist() == pytest.approx(one["mean_change"].tolist(), nan_ok=True)
    assert "endline" in ek.report.PartnershipReport(after, "riverside-literacy").outcomes_intro()


# --- finding 9: user errors end with one line and exit 2 ------------------------------------------
def test_unwritable_out_is_one_line_exit_2(tmp_path):
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", "/proc/x", "--partnership", "cafe-societe"])
    assert res.exit_code == 2 and "Traceback" not in res.output and "/proc/x" in res.output


def test_cache_dir_inside_out_is_refused(tmp_path):
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(tmp_path / "o"),
                                    "--cache-dir", str(tmp_path / "o" / "c"), "--partnership", "cafe-societe"])
    assert res.exit_code == 2 and "would be published" in res.output


# --- the brute-force differencing attacker ----------------------------------------------------
def _recoverable_small_sets(total: np.ndarray, shown: list[np.ndarray], k: int) -> list[np.ndarray]:
    """Every 0/1 membership vector of 1..k-1 people reachable as a +-1 combination of shown rows."""
    rows = [total, *shown]
    found = []
    for coefs in itertools.product((-1, 0, 1), repeat=len(rows)):
        v = sum(c * r for c, r in zip(coefs, rows))
        if np.isin(v, (0, 1)).all() and 0 < v.sum() < k:
            found.append(v)
    return found


def test_brute_force_attacker_finds_the_leak_in_primary_suppression_alone():
    # the attacker itself works: with primary suppression only, 30 - 29 gives the 1
    member = np.array([1] + [0] * 29)
    assert _recoverable_small_sets(np.ones(30, int), [1 - member], 10)


# --- user trial: one --out over several runs --------------------------------------------------------
ROOT = SAMPLE.parents[1]


def _run(*args, out, cache):
    """`evalkit run ARGS --out OUT --cache-dir CACHE` (the cache under the test's own folder)."""
    return CliRunner().invoke(main, ["run", *map(str, args), "--out", str(out), "--cache-dir", str(cache)])


@pytest.fixture(scope="module")
def cafe_out(tmp_path_factory, sample_run):
    """The folder of an earlier run that rendered cafe-societe and the portfolio summary: a copy of the suite's
    shared sample run (four partnerships, cafe-societe among them), which the tests copy again to run into."""
    out = tmp_path_factory.mktemp("cafe") / "out"
    shutil.copytree(sample_run.out_dir, out)
    assert (out / "cafe-societe.html").is_file() and (out / "_portfolio.html").is_file()
    return out


def _manifest(out: Path) -> dict:
    import json

    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_partial_run_keeps_the_portfolio_so_the_next_full_run_succeeds(cafe_out, tmp_path):
    # the trial: a partial run dropped the portfolio from manifest.json, and the next full run refused
    # _portfolio.html as "not written by evalkit" (exit 2)
    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    partial = _run(SAMPLE, "--partnership", "cafe-societe", out=out, cache=tmp_path / "cache")
    assert partial.exit_code == 0, partial.output
    manifest = _manifest(out)
    assert manifest["portfolio"]["status"] == "ok" and manifest["portfolio"]["files"]["html"] == "_portfolio.html"
    assert manifest["partnerships"]["cafe-societe"]["rendered"] is False  # unchanged: kept, not re-rendered
    assert '<a href="_portfolio.html">Portfolio summary</a>' in (out / "index.html").read_text()
    full = _run(SAMPLE, "--partnership", "cafe-societe", "--portfolio", out=out, cache=tmp_path / "cache")
    assert full.exit_code == 0, full.output
    assert _manifest(out)["portfolio"]["rendered"] is False  # the same portfolio, recognised as evalkit's


def test_an_interrupted_run_does_not_block_the_next(tmp_path, monkeypatch):
    # the trial: a run killed mid-render (SIGTERM, exit 143) left cafe-societe.failed.ipynb and no manifest
    # recording it, and every later run into the folder exited 2. Here the run is stopped deterministically
    # at the moment its first render is under way: the render has left its partly executed notebook.
    import nbformat
    from nbformat.v4 import new_notebook

    import evalkit.batch.run as batch
    from evalkit.batch.render import failed_notebook_path

    def interrupted(tasks, *args):
        for task in tasks:
            nbformat.write(new_notebook(), failed_notebook_path(task.notebook))
        raise KeyboardInterrupt  # what the SIGTERM handler raises
        yield  # noqa: unreachable - a generator, as _execute is

    out, cache = tmp_path / "out", tmp_path / "cache"
    monkeypatch.setattr(batch, "_execute", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ek.run_batch(SAMPLE, out, partnership_ids=["cafe-societe"], portfolio=False, workers=1, progress=False,
                     cache_dir=cache)
    monkeypatch.undo()
    assert (out / "cafe-societe.failed.ipynb").is_file()
    assert "cafe-societe.failed.ipynb" in _manifest(out)["owned"]  # recorded before the render started
    again = _run(SAMPLE, "--partnership", "cafe-societe", out=out, cache=cache)
    assert again.exit_code == 0, again.output
    assert (out / "cafe-societe.html").is_file() and not (out / "cafe-societe.failed.ipynb").exists()
    owned = _manifest(out)["owned"]
    assert "cafe-societe.failed.ipynb" not in owned and "cafe-societe.html" in owned  # only what still exists


def test_a_run_stopped_by_sigterm_mid_render_leaves_a_folder_the_next_run_accepts(tmp_path):
    """The trial's own steps: `evalkit run` stopped with SIGTERM (exit 143) while a kernel runs, then run again.
    The moment comes from the fixture notebook (it writes a file when it hangs), never from a delay."""
    import os
    import signal
    import subprocess
    import sys

    from test_batch import TEMPLATES, write_dataset
    from test_batch_faults import _wait_for

    data = write_dataset(tmp_path / "data")
    out, signals = tmp_path / "out", tmp_path / "signals"
    signals.mkdir()
    run = [str(Path(sys.executable).parent / "evalkit"), "run", str(data), "--out", str(out), "--cache-dir",
           str(tmp_path / "cache"), "--workers", "2", "--template"]
    proc = subprocess.Popen([*run, str(TEMPLATES / "sleeps.ipynb")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "EVALKIT_TEST_SIGNALS": str(signals)})
    _wait_for(signals / "p02.hanging", proc)  # p02's kernel hangs in its last cell: a render is under way
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 143
    again = subprocess.run([*run, str(TEMPLATES / "ok.ipynb")], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.glob("[!.]*")) == ["index.html", "manifest.json", "p01.html", "p01.ipynb",
                                                         "p02.html", "p02.ipynb", "p03.html", "p03.ipynb"]


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


@pytest.mark.parametrize("where, says", [
    ("a user's file", "notes.txt"),
    ("the data folder", "is the data folder"),
    ("inside the data folder", "inside the data folder"),
    ("holding the data folder", "contains the data folder"),
])
def test_an_out_holding_what_evalkit_did_not_write_is_refused_and_left_untouched(tmp_path, where, says):
    work = tmp_path / "work"
    data = work / "d"
    shutil.copytree(SAMPLE, data)
    out = {"a user's file": work / "out", "the data folder": data, "inside the data folder": data / "reports",
           "holding the data folder": work}[where]
    if where == "a user's file":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    before = _snapshot(work)
    res = _run(data, "--partnership", "cafe-societe", out=out, cache=tmp_path / "cache")
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0] and "Traceback" not in res.output, res.output
    assert _snapshot(work) == before  # nothing written: no report, manifest, index or lock file


def test_a_users_file_beside_an_earlier_run_is_refused(cafe_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    (out / "budget.xlsx").write_text("mine")
    res = _run(SAMPLE, "--partnership", "cafe-societe", out=out, cache=tmp_path / "cache")
    assert res.exit_code == 2 and "budget.xlsx" in res.output and "not written by evalkit" in res.output
    assert (out / "budget.xlsx").read_text() == "mine"


def test_a_template_without_a_partnership_id_parameter_is_refused_before_rendering(tmp_path):
    # the trial: the portfolio template given as --template rendered as cafe-societe's report (status ok)
    from evalkit.resources import template_path

    mine = tmp_path / "mine.ipynb"
    mine.write_bytes(template_path("portfolio_report.ipynb").read_bytes())
    res = _run(SAMPLE, "--template", mine, "--partnership", "cafe-societe", out=tmp_path / "out",
               cache=tmp_path / "cache")
    assert res.exit_code == 2, res.output
    assert "partnership_id" in res.output and "mine.ipynb" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_published_notebooks_and_manifest_reveal_no_local_path(cafe_out):
    # the trial: <id>.ipynb carried the template's site-packages path, the scratch file's path, the cache
    # folder and the absolute tables path; manifest.json the absolute data folder and template
    import sys

    import nbformat

    local = [str(cafe_out.parent), str(ROOT), sys.prefix, ".evalkit-tmp-"]
    for path in [*cafe_out.glob("*.ipynb"), cafe_out / "manifest.json"]:
        text = path.read_text(encoding="utf-8")
        assert not [s for s in local if s in text], (path.name, [s for s in local if s in text])
    nb = nbformat.read(cafe_out / "cafe-societe.ipynb", as_version=4)
    meta = nb.metadata.papermill
    assert (meta.input_path, meta.output_path) == ("partnership_report.ipynb", "cafe-societe.ipynb")
    assert meta.parameters["tables_path"] == "cafe-societe.xlsx" and meta.parameters["partnership_id"] == "cafe-societe"
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'tables_path = "cafe-societe.xlsx"' in injected.source and 'partnership_id = "cafe-societe"' in injected.source
    assert _manifest(cafe_out)["template"] == "partnership_report.ipynb"


def test_jupyter_checkpoints_and_desktop_clutter_in_out_do_not_stop_the_nightly_run(cafe_out, tmp_path):
    """Opening a report notebook in Jupyter inside --out leaves .ipynb_checkpoints/; a Mac's Finder leaves
    .DS_Store. Under the rule "only evalkit's files in --out" the next cron run refused the folder (exit 2).
    These are the tools' own files, not a user's data: the run goes on and leaves them as they are."""
    out = tmp_path / "out"
    shutil.copytree(cafe_out, out)
    (out / ".ipynb_checkpoints").mkdir()
    (out / ".ipynb_checkpoints" / "cafe-societe-checkpoint.ipynb").write_text("{}")
    (out / ".DS_Store").write_bytes(b"\0\1")
    res = _run(SAMPLE, "--partnership", "cafe-societe", out=out, cache=tmp_path / "cache")
    assert res.exit_code == 0, res.output
    assert (out / ".ipynb_checkpoints" / "cafe-societe-checkpoint.ipynb").read_text() == "{}"
    assert (out / ".DS_Store").read_bytes() == b"\0\1"
