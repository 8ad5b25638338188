"""``evalkit run``: exit codes, logs on stderr, the index path on stdout, nothing written on bad data."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from evalkit.batch.cache import cache_folder

import pytest
from click.testing import CliRunner

from evalkit.cli import main
from test_batch import TEMPLATES, write_dataset

pytestmark = pytest.mark.integration  # `evalkit run` end to end: kernels and renders


def invoke(*args):
    return CliRunner().invoke(main, ["run", *map(str, args)])


def test_invalid_data_exit_2_list_every_problem_and_write_nothing(tmp_path):
    data = write_dataset(tmp_path / "data", bad_value=True)
    (data / "participants.csv").write_text("participant_id,partnership_id\np01-0,p01\np01-0,p01\nx-1,nowhere\n")
    result = invoke(data, "--out", tmp_path / "reports", "--template", TEMPLATES / "ok.ipynb")
    assert result.exit_code == 2
    assert "no report was rendered" in result.stderr
    assert "responses.csv" in result.stderr and "participants.csv" in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(problems) >= 3  # the out-of-scale value, the duplicate and the unknown partnership
    assert result.stdout == ""
    assert not (tmp_path / "reports").exists()


def test_unknown_partnership_and_bad_options_exit_2(tmp_path):
    data = write_dataset(tmp_path / "data")
    result = invoke(data, "--out", tmp_path / "reports", "--template", TEMPLATES / "ok.ipynb", "--partnership", "p99")
    assert result.exit_code == 2 and "unknown partnership id(s) 'p99'" in result.stderr
    assert invoke(data, "--workers", "0").exit_code == 2
    assert invoke(data, "--alpha", "1.5").exit_code == 2
    assert invoke(data, "--memory-limit", "lots").exit_code == 2
    assert not (tmp_path / "reports").exists()


def test_exit_1_when_a_report_fails_and_0_when_all_succeed(tmp_path):
    data = write_dataset(tmp_path / "data")
    out = tmp_path / "reports"
    # raises.ipynb raises for p02 only
    failed = invoke(data, "--out", out, "--template", TEMPLATES / "raises.ipynb", "--partnership", "p01",
                    "--partnership", "p02", "--workers", "2", "--alpha", "0.01", "--min-group-size", "5")
    assert failed.exit_code == 1, failed.stderr
    assert failed.stdout == f"{out / 'index.html'}\n"  # one line: where the index is
    assert "partnership=p01 event=start" in failed.stderr
    assert "partnership=p01 event=end status=ok" in failed.stderr
    assert "partnership=p02 event=end status=failed" in failed.stderr and "ValueError" in failed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["partnerships"]) == {"p01", "p02"}
    assert manifest["parameters"] == {"alpha": 0.01, "min_group_size": 5}

    ok = invoke(data, "--out", out, "--template", TEMPLATES / "raises.ipynb", "--partnership", "p03", "--quiet")
    assert ok.exit_code == 0, ok.stderr
    assert ok.stdout == f"{out / 'index.html'}\n"
    assert "event=start" not in ok.stderr  # --quiet logs problems only
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["partnerships"]["p03"]["status"] == "ok"
    assert set(manifest["partnerships"]) == {"p01", "p02", "p03"}  # earlier entries are kept


def test_standard_run_adds_the_portfolio_summary_to_the_index(sample_run, sample_run_cache, tmp_path):
    """The real templates on sample partnerships (the suite's shared sample run, cafe-societe among them): the
    portfolio summary is rendered once for the run, linked from index.html, recorded in the manifest, and kept
    (not re-rendered) when nothing changed."""
    import shutil

    from evalkit.batch import run_batch

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    first, out = sample_run, sample_run.out_dir
    assert first.ok and first.portfolio is not None and first.portfolio.status == "ok"
    assert (out / "_portfolio.html").is_file() and (out / "cafe-societe.html").is_file()
    # the portfolio kernel reads the data the run validated (a slice with provenance), not the raw files again
    slice_dir = cache_folder(out, sample_run_cache) / "_portfolio"  # outside the published folder
    assert (slice_dir / "provenance.json").is_file() and (slice_dir / "responses.parquet").is_file()
    # ...and trusts it through the provenance parameter: reports cite the original files and their SHA-256
    # (computed here from the file itself), not the slice's Parquet files
    original = hashlib.sha256((sample / "responses.csv").read_bytes()).hexdigest()
    text = (out / "cafe-societe.html").read_text(encoding="utf-8")
    assert original in text and "responses.parquet" not in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["portfolio"]["files"]["html"] == "_portfolio.html"
    assert '<a href="_portfolio.html">Portfolio summary</a>' in (out / "index.html").read_text()
    # the shared run's folder is only read: a copy is run again, by the command, which passes its default --alpha
    # and --min-group-size (the templates' own) where run_batch passed none: the same reports, kept
    mine = tmp_path / "reports"
    shutil.copytree(out, mine)
    again = CliRunner().invoke(main, ["run", str(sample), "--out", str(mine), "--partnership", "cafe-societe",
                                      "--portfolio", "--quiet"])
    assert again.exit_code == 0, again.output
    manifest = json.loads((mine / "manifest.json").read_text())
    assert manifest["portfolio"]["rendered"] is False and manifest["partnerships"]["cafe-societe"]["rendered"] is False
    only = run_batch(sample, tmp_path / "one", workers=1, partnership_ids=["cafe-societe"])
    assert only.portfolio is None and not (tmp_path / "one" / "_portfolio.html").exists()
