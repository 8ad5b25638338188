"""Trial 10: a comparison arm too small for any measure is said once, not once per measure, on page one.

Harbor (comparison group of 6) and Parks (20, of whom 5 answered the post survey) opened their summary with
seven identical sentences, "Too few participants in the program group or the comparison group (fewer than 10)
answered both surveys to compare them on <measure>.", one per measure. Data built here: 40 program and 6
comparison participants answering two measures before and after.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

import evalkit as ek
from builders import measure, write_tables
from evalkit.arms import program_effect_summary, program_effects


def test_withheld_measures_are_one_sentence(tmp_path):
    arms = ["program"] * 40 + ["comparison"] * 6
    people = pd.DataFrame({"participant_id": [f"e{i:02d}" for i in range(len(arms))], "partnership_id": "h",
                           "arm": arms})
    i = np.arange(len(people))
    responses = pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "h", "wave": w,
                                         "measure": m, "value": 2 + (i % 4) * 0.5 + d * (i % 3)})
                           for w, d in (("pre", 0), ("post", 0.5)) for m in ("skills", "knowledge")])
    data = ek.load_data(write_tables(tmp_path / "data", responses,
                                     [measure("skills", lo=1, hi=5, label="Skills (1-5)"),
                                      measure("knowledge", lo=1, hi=5, label="Knowledge (1-5)")], participants=people))
    assert (people["arm"] == "comparison").sum() == 6 < 10
    effects = program_effects(data, "h")
    assert effects["suppressed"].all() and len(effects) == 2
    text = program_effect_summary(effects)
    assert text.count("Too few participants") == 1 and text.count("\n") == 0
    assert "Skills" in text and "Knowledge" in text
