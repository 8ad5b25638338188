"""Trial 10: the attendance-by-session figure counts the program's participants, as the attendance rate beside it.

Greenway with its comparison group's attendance recorded (42 of 104, set apart): the participation section
read "participants attended 62% of sessions" (the program's 62 people), while the session figure's alt text
read "attendance fell from 70% at Session 1" (43 + 30 of 104: both arms; the program's 43 of 62 is 69%).
Data built here: 20 program participants attending three sessions 15, 10 and 12 times, and 15 comparison
participants attending every session; everyone answers a 1-5 score before and after.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from builders import arm_people, measure, pre_post_answers, write_tables
from evalkit.report import PartnershipReport

K = 10
SESSIONS = (("s1", "2025-02-01", 15), ("s2", "2025-02-08", 10), ("s3", "2025-02-15", 12))


@pytest.fixture(scope="module")
def tables():
    people = arm_people("g", 20, 15, "w")
    responses = pre_post_answers(people)
    program = people["arm"] == "program"
    attendance = pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "g",
                                          "session": s, "date": d,
                                          "attended": np.where(program, np.arange(len(people)) < n, True)})
                            for s, d, n in SESSIONS])
    return people, responses, attendance


@pytest.fixture(scope="module")
def report(tmp_path_factory, tables):
    people, responses, attendance = tables
    folder = write_tables(tmp_path_factory.mktemp("trial10s") / "data", responses,
                          [measure("skills", lo=1, hi=5, label="Skills (1-5)")], participants=people,
                          attendance=attendance)
    return PartnershipReport(ek.load_data(folder), "g", min_group_size=K)


def test_the_session_figure_counts_the_program_as_the_attendance_rate_does(report, tables):
    people, _, attendance = tables
    assert ek.arms.comparison_set_apart(report.data, "g", min_group_size=K)
    a = attendance.merge(people, on=["participant_id", "partnership_id"])
    program = a[a["arm"] == "program"].groupby("session")["attended"].mean().mul(100).round().astype(int)
    everyone = a.groupby("session")["attended"].mean().mul(100).round().astype(int)
    assert program.to_dict() == {"s1": 75, "s2": 50, "s3": 60} and everyone["s1"] == 86
    overall = round(100 * a.loc[a["arm"] == "program", "attended"].mean())    # 37 of 60 places: 62%
    assert f"attended {overall}% of sessions" in report.participation()
    alt = report.attendance_figure().alt
    assert f"{program['s1']}% at s1" in alt and f"lowest {program['s2']}% (s2)" in alt
    assert f"{everyone['s1']}%" not in alt
