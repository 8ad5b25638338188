"""Trial 10: a baseline difference on a WWC boundary is not rounded onto it beside a verdict it contradicts.

MASS::anorexia (data/examples/anorexia_wide.csv; therapy arms CBT + FT, 46, against the controls, 26): Hedges' g
of the baseline weights is 0.2543, "not equivalent" (above 0.25), but the table read "0.25 | not equivalent"
under a rule saying "0.05 to 0.25 needs adjustment". Greenway likewise read "0.05 | needs statistical
adjustment". g is computed here with numpy: omega (mean_program - mean_control) / pooled SD, omega = 1 - 3/(4N - 9).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import evalkit as ek
from evalkit.report import PartnershipReport

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT / "data" / "examples" / "anorexia_wide.csv"
SPEC = {"sources": [{"path": str(CSV)}], "id": "Participant",
        "partnership": {"id": "anorexia", "name": "Anorexia trial", "partner_type": "research"},
        "arm": {"column": "Treat", "program": ["CBT", "FT"], "comparison": ["Cont"]},
        "measures": {"weight": {"label": "Body weight (lb)", "kind": "continuous", "higher_is_better": True,
                                "waves": {"Prewt": "pre", "Postwt": "post"}}}}


def test_a_g_just_above_the_boundary_is_not_written_as_the_boundary(tmp_path):
    d = pd.read_csv(CSV)
    a, b = d.loc[d["Treat"] != "Cont", "Prewt"], d.loc[d["Treat"] == "Cont", "Prewt"]
    n1, n2 = len(a), len(b)
    pooled = np.sqrt(((n1 - 1) * a.var() + (n2 - 1) * b.var()) / (n1 + n2 - 2))
    g = (1 - 3 / (4 * (n1 + n2) - 9)) * (a.mean() - b.mean()) / pooled
    assert round(g, 2) == 0.25 < g      # rounds onto the boundary from above: not equivalent
    ek.import_data(SPEC, tmp_path / "data")
    section = PartnershipReport(ek.load_data(tmp_path / "data"), "anorexia").comparison_group()
    row = section.balance.reset_index().iloc[0]
    assert row["WWC verdict"] == "not equivalent"
    assert row["Baseline difference (g)"] == f"{g:.3f}"    # 0.254, not 0.25
