"""Trial 10: a scale's Cronbach's alpha in the methods counts the program's participants where the arm is set apart.

Greenway (62 program + 42 comparison): "teamwork (3 items): Cronbach's alpha 0.80 (..., n = 101)" in a report
whose every other count is the program's (62 answered the pre survey): 101 counted the comparison group too, and
101 less the program's 62 answers at pre gives the arm's number who answered the scale, which the rule that sets
the arm apart does not check per scale. Data built here: 20 program and 15 comparison participants answer a
three-item 1-5 scale before and after; alpha is computed here with numpy (k/(k-1) (1 - sum of item variances /
variance of the total)).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from builders import arm_people, write_tables
from evalkit.report import PartnershipReport

K = 10
ITEMS = ["team_1", "team_2", "team_3"]


@pytest.fixture(scope="module")
def tables():
    people = arm_people("t", 20, 15, "u")
    i = np.arange(len(people))
    base = 1 + (i % 4)
    values = {m: np.clip(base + ((i * (j + 2)) % 3 == 0), 1, 5) for j, m in enumerate(ITEMS)}
    responses = pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "t", "wave": w,
                                         "measure": m, "value": values[m] if w == "pre" else np.clip(values[m] + 1, 1, 5)})
                           for w in ("pre", "post") for m in ITEMS])
    return people, responses


@pytest.fixture(scope="module")
def report(tmp_path_factory, tables):
    people, responses = tables
    measures = [{"measure": m, "label": f"Teamwork item {j + 1}", "domain": "engagement", "kind": "ordinal",
                 "scale_min": 1, "scale_max": 5, "higher_is_better": True, "scale": "teamwork"}
                for j, m in enumerate(ITEMS)]
    folder = write_tables(tmp_path_factory.mktemp("trial10t") / "data", responses, measures, participants=people)
    return PartnershipReport(ek.load_data(folder), "t", min_group_size=K)


def test_scale_alpha_counts_the_program(report, tables):
    people, responses = tables
    assert ek.arms.comparison_set_apart(report.data, "t", min_group_size=K)
    program = set(people.loc[people["arm"] == "program", "participant_id"])
    pre = responses[(responses["wave"] == "pre") & responses["participant_id"].isin(program)]
    x = pre.pivot(index="participant_id", columns="measure", values="value")[ITEMS].to_numpy(float)
    alpha = len(ITEMS) / (len(ITEMS) - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    text = report.methods()
    assert f"Cronbach's alpha {alpha:.2f}" in text and f"n = {len(x)})" in text
    assert f"n = {len(people)})" not in text     # 35: the comparison group counted in
