"""Trial 10: a comparison arm too small for any measure is said once, not once per measure, on page one.

Harbor (comparison group of 6) and Parks (20, of whom 5 answered the post survey) opened their summary with
seven identical sentences, "Too few participants in the program group or the comparison group (fewer than 10)
answered both surveys to compare them on <measure>.", one per measure. Data built here: 40 program and 6
comparison participants answering two measures before and after.
"""
from __future__ import annotations


import evalkit as ek
from builders import arm_people, measure, pre_post_answers, write_tables
from evalkit.arms import program_effect_summary, program_effects


def test_withheld_measures_are_one_sentence(tmp_path):
    people = arm_people("h", 40, 6, "e")
    responses = pre_post_answers(people, ("skills", "knowledge"))
    data = ek.load_data(write_tables(tmp_path / "data", responses,
                                     [measure("skills", lo=1, hi=5, label="Skills (1-5)"),
                                      measure("knowledge", lo=1, hi=5, label="Knowledge (1-5)")], participants=people))
    assert (people["arm"] == "comparison").sum() == 6 < 10
    effects = program_effects(data, "h")
    assert effects["suppressed"].all() and len(effects) == 2
    text = program_effect_summary(effects)
    assert text.count("Too few participants") == 1 and text.count("\n") == 0
    assert "Skills" in text and "Knowledge" in text
