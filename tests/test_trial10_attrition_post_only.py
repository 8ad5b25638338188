"""Trial 10: a measure asked only after the programme is not listed in the comparison section's attrition table.

Greenway asked "Overall satisfaction with the programme" at the post survey only; the "Who was lost?" table
listed it with "Analysed: fewer than 10 / fewer than 10 ... suppressed", as though a few had answered both
surveys, when nobody could (no baseline). The baseline and program-effect tables already leave it out. Data
built here: 20 program and 15 comparison participants answer skills before and after and satisfaction after.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import evalkit as ek
from builders import arm_people, measure, pre_post_answers, write_tables
from evalkit.arms import arm_attrition, baseline_balance


def test_a_post_only_measure_has_no_attrition_row(tmp_path):
    people = arm_people("a", 20, 15, "s")
    i = np.arange(len(people))
    skills = pre_post_answers(people)
    satisfaction = pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "a", "wave": "post",
                                 "measure": "satisfaction", "value": 1 + i % 5})
    responses = pd.concat([skills, satisfaction])
    assert responses.loc[responses["measure"] == "satisfaction", "wave"].unique().tolist() == ["post"]
    data = ek.load_data(write_tables(tmp_path / "data", responses,
                                     [measure("skills", lo=1, hi=5), measure("satisfaction", kind="ordinal", lo=1, hi=5)],
                                     participants=people))
    lost = arm_attrition(data, "a")
    assert lost["measure"].tolist() == ["skills"]
    assert lost["measure"].tolist() == baseline_balance(data, "a")["measure"].tolist()
    assert (lost["n_analyzed_group"].tolist(), lost["n_analyzed_reference"].tolist()) == ([20], [15])
