"""The README's commands and notebook snippet work as written: an analyst's first contact with the package must not fail."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("agg")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.sample_wide
def test_the_readmes_interactive_snippet_runs_as_written(monkeypatch):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Working interactively", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "the README's 'Working interactively' section has no python block"
    monkeypatch.chdir(ROOT)   # the snippet reads data/sample from the project folder, as the notebooks do
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 (the README's own code)
    assert {"data", "table", "pairs", "by_gender", "fig", "report"} <= set(namespace)
    assert set(namespace["by_gender"]["group_variable"]) == {"gender"}
    assert list(namespace["by_column"]) == list(namespace["data"].group_columns)
    by_column_gender = namespace["by_column"]["gender"]
    assert by_column_gender["n_pairs"].astype("Float64").equals(namespace["by_gender"]["n_pairs"].astype("Float64"))
    assert namespace["report"]._repr_markdown_().startswith("# ")
    # the "for whom" table of data as loaded is the one behind the report's equity sentence
    import pandas as pd
    pd.testing.assert_frame_equal(namespace["gaps"], namespace["report"].group_differences)
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.mark.integration
def test_make_reports_stops_on_invalid_data_naming_the_problem_and_renders_nothing(tmp_path):
    # `make reports` validates through `evalkit run` alone (no separate `evalkit validate` step, which read and
    # checked every table a second time): invalid data must still stop it before anything is rendered
    import shutil
    import subprocess

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "sample", data)
    lines = (data / "responses.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[2].rstrip("\n").split(",")
    row[header.index("value")] = "lots"
    lines[2] = ",".join(row) + "\n"
    (data / "responses.csv").write_text("".join(lines), encoding="utf-8")
    proc = subprocess.run(["make", "-s", "-C", str(ROOT), "reports", f"DATA={data}", f"OUT={tmp_path / 'out'}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "responses.csv, row 3, column 'value': 'lots' is not a number" in proc.stderr, proc.stderr
    assert not list(tmp_path.glob("out/*.html"))
