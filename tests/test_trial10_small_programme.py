"""Trial 10: a programme smaller than k beside a comparison group set apart is not given away by subtraction.

With 8 program participants and 40 in the comparison group (every count of the comparison arm is at least k,
so it is set apart), the report read "It enrolled fewer than 10 program participants and 40 in the comparison
group", and its methods' data files table "participants.csv | 48": 48 - 40 = 8. The comparison group's counts
are now withheld where the program's beside them are 1 to k - 1 (the attrition table already blanked them).
Data built here; counts from pandas.
"""
from __future__ import annotations

import pytest

import evalkit as ek
from builders import arm_people, measure, pre_post_answers, write_tables
from evalkit.report import PartnershipReport

K = 10


@pytest.fixture(scope="module")
def people():
    return arm_people("s", 8, 40, "m")


@pytest.fixture(scope="module")
def report(tmp_path_factory, people):
    responses = pre_post_answers(people)
    folder = write_tables(tmp_path_factory.mktemp("trial10m") / "data", responses,
                          [measure("skills", lo=1, hi=5, label="Skills (1-5)")], participants=people)
    return PartnershipReport(ek.load_data(folder), "s", min_group_size=K)


def test_the_comparison_counts_do_not_give_a_small_programme_away(report, people):
    n_program, n_comparison = (people["arm"] == "program").sum(), (people["arm"] == "comparison").sum()
    assert (n_program, n_comparison) == (8, 40) and ek.arms.comparison_set_apart(report.data, "s", min_group_size=K)
    # the data files table no longer counts people's rows (trial 12); the comparison counts are withheld anyway,
    # since every arm's total (48) is what a reader may know from elsewhere
    assert f"| participants.csv | {len(people)} |" not in report.methods()
    for text in (report.profile(), report._did(), report.participation()):
        assert str(n_comparison) not in text                                  # 48 - 40 = 8
        assert "comparison group" in text
    assert "fewer than 10 program participants" in report.profile()
