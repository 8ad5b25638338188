"""Trial 10: a comparison group too small to set apart is not given away by the attendance target's n.

Harbor: 114 program participants and a comparison group of 6, which attends no session (as comparison groups
do not). The arm is too small to report apart, so the report counts everyone together ("Enrolled: 120", and
"The comparison group is too small to report apart"); but its attendance target's n was the number of people in
the attendance log, 114, and 120 - 114 = 6 is the arm's size. Data built here: 40 program participants with
three sessions each, 6 comparison participants with none; a target on the attendance rate.
"""
from __future__ import annotations

import pandas as pd
import pytest

import evalkit as ek
from builders import arm_people, measure, pre_post_answers, write_tables
from evalkit.report import PartnershipReport

K = 10


@pytest.fixture(scope="module")
def tables():
    people = arm_people("h", 40, 6, "z")
    responses = pre_post_answers(people)
    program = people.loc[people["arm"] == "program", "participant_id"]
    attendance = pd.concat([pd.DataFrame({"participant_id": program, "partnership_id": "h", "session": s,
                                          "date": d, "attended": [j % 4 != 0 for j in range(len(program))]})
                            for s, d in (("s1", "2025-02-01"), ("s2", "2025-02-08"), ("s3", "2025-02-15"))])
    targets = pd.DataFrame({"partnership_id": ["h"], "indicator": ["attendance_rate"], "statistic": ["rate"],
                            "target": [80], "threshold": [None], "description": ["attend 80% of sessions"]})
    return people, responses, attendance, targets


@pytest.fixture(scope="module")
def report(tmp_path_factory, tables):
    people, responses, attendance, targets = tables
    folder = write_tables(tmp_path_factory.mktemp("trial10a") / "data", responses,
                          [measure("skills", lo=1, hi=5, label="Skills (1-5)")], participants=people,
                          attendance=attendance, targets=targets)
    return PartnershipReport(ek.load_data(folder), "h", min_group_size=K)


def test_the_attendance_targets_n_does_not_give_the_small_arm_away(report, tables):
    people, _, attendance, _ = tables
    enrolled, in_log = len(people), attendance["participant_id"].nunique()
    assert (enrolled, in_log) == (46, 40) and 0 < enrolled - in_log < K   # 46 - 40 = 6: the comparison arm
    assert not ek.arms.comparison_set_apart(report.data, "h", min_group_size=K)
    text = report.participation()
    assert f"Enrolled: {enrolled}" in text and "too small to report apart" in text
    row = report.targets_table().reset_index().iloc[0]
    assert row["Indicator"] == "Attendance rate"
    assert row["n"] != str(in_log) and row["n"] == "not shown"
    # the rate itself is still shown: 90 of 120 places (three sessions, every fourth person absent)
    places = attendance["attended"].astype(bool)
    assert row["Observed"] == f"{round(100 * places.mean())}%"


def test_the_data_files_table_does_not_give_the_log_away_either(report, tables):
    # 120 attendance rows over 3 sessions are the log's 40 people, and 46 - 40 = 6 again
    _, _, attendance, _ = tables
    rows, sessions = len(attendance), attendance["session"].nunique()
    assert (rows, sessions) == (120, 3)
    text = report.methods()
    assert f"| attendance.csv | {rows:,} |" not in text
    assert "| attendance.csv | not shown |" in text
    # no file of people shows its rows since trial 12 (the enrolled total is in the participation section)
    assert "| participants.csv | not shown |" in text


def test_page_one_says_the_enrolment_counts_a_comparison_group_too_small_to_report_apart(report, tables):
    people = tables[0]
    n = len(people)   # 46: the 40 of the program and the 6 of the comparison group, counted together
    for text in (report.profile(), report._did()):
        assert f"enrolled {n} participants" in text
        assert "a comparison group too small to report apart among them" in text
