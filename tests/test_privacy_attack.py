"""A journalist with every file a run writes: what can they learn about one person?

Each test is one attack that worked against an earlier evalkit, on small synthetic data: the
derivation is spelled out, and the test fails if it can be carried out again.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from builders import measure, write_tables

# ---- a failed report: its error, traceback and log say what failed, not the data -------------------------

SECRET_IDS = ["QX7731-ZED", "QX7732-YAK", "QX7733-WEN"]


@pytest.mark.integration
def test_a_failed_report_publishes_no_participant_id_or_local_path(tmp_path, caplog):
    """A template cell fails on a participant id (pandas quotes it in its message) after a warning naming
    the slice folder: manifest.json, index.html, the .failed.ipynb (evalue, traceback, stderr) and the log
    line used to carry 'QX7731-ZED', the slice folder under the cache and site-packages paths."""
    from evalkit.batch import run_batch

    ids = SECRET_IDS * 4
    people = [f"{p}{i}" if i else p for i, p in enumerate(ids)][:12]
    people[0] = SECRET_IDS[0]
    responses = pd.concat([pd.DataFrame({"participant_id": people, "partnership_id": "p1", "wave": w,
                                         "measure": "skills", "value": [3 + (w == "post")] * 12})
                           for w in ("pre", "post")])
    data = write_tables(tmp_path / "data", responses, [measure("skills", lo=1, hi=5)])
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell('partnership_id = "x"\ndata_dir = "."', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import warnings\nimport pandas as pd\nimport evalkit as ek\n"
                                  "data = ek.load_data(data_dir, partnership_id)\n"
                                  "warnings.warn(f'read {data_dir}')\n"
                                  "ids = data.participants.sort_values('participant_id')['participant_id']\n"
                                  "pd.to_numeric(ids)"),
    ]
    template = tmp_path / "fails.ipynb"
    nbformat.write(nb, template)
    out, cache = tmp_path / "out", tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="evalkit.batch"):
        result = run_batch(data, out, template=template, workers=1, progress=False, cache_dir=cache, portfolio=False)
    assert result.failed == ["p1"]
    failed = out / "p1.failed.ipynb"
    assert failed.is_file()
    texts = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()}
    texts["log"] = "\n".join(r.getMessage() for r in caplog.records)
    for name, text in texts.items():
        for secret in [*SECRET_IDS, str(cache), str(tmp_path), "site-packages", str(Path.home())]:
            assert secret not in text, (name, secret)
    # ... and still says what failed, and where
    manifest = json.loads(texts["manifest.json"])
    error = manifest["partnerships"]["p1"]["error"]
    assert error["ename"] == "ValueError" and error["cell_index"] == 2
    assert "Unable to parse string" in error["evalue"] and "[id]" in error["evalue"]
    outputs = [o for c in nbformat.read(failed, as_version=4).cells for o in c.get("outputs", [])]
    tb = "\n".join(line for o in outputs if o.output_type == "error" for line in o.traceback)
    assert "pd.to_numeric(ids)" in tb and "ValueError" in tb and "pandas/core/tools/numeric.py" in tb
    assert "\x1b[" not in tb
