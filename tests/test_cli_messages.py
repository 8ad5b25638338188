"""The command line's own words: counts agree in number, a bad option is named, `python -m evalkit` works."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from evalkit.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def _one_bad_value(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    lines = (folder / "responses.csv").read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    first[header.index("value")] = "lots"
    (folder / "responses.csv").write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    return folder


def test_one_problem_is_one_problem_and_warnings_wait_for_the_problems(tmp_path):
    """`evalkit run` said "1 problem(s) found"; `validate` said "1 problem found" but, with problems, said nothing
    of warnings (which are checked only on valid data), as if there were none."""
    data = _one_bad_value(tmp_path)
    run = CliRunner().invoke(main, ["run", str(data), "--out", str(tmp_path / "out")])
    assert run.exit_code == 2 and "1 problem found in" in run.stderr and "problem(s)" not in run.stderr
    checked = CliRunner().invoke(main, ["validate", str(data)])
    assert checked.exit_code == 2 and "1 problem found in" in checked.stderr
    assert "warnings" in checked.stderr.lower() and "once" in checked.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_memory_limit_names_the_option(tmp_path):
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--out", str(tmp_path / "out"), "--memory-limit", "lots"])
    assert res.exit_code == 2 and "--memory-limit" in res.stderr and "'lots' is not a size" in res.stderr


def test_python_dash_m_evalkit_is_the_command_line():
    res = subprocess.run([sys.executable, "-m", "evalkit", "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "Usage: evalkit" in res.stdout and "run" in res.stdout
