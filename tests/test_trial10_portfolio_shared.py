"""Trial 10: the portfolio's shared-indicator table does not say "fewer than 10" answered both surveys when many did.

Harbor (114 program participants, a comparison group of 6: too small to set apart) read "program effect |
fewer than 10" under "n (answered both surveys)", though 85 people answered both surveys and the same page's
overview showed 120 enrolled with 71% retention. The program effect is withheld because an arm is small, not
because few answered; the cell now says so, without the arm's count. Data built here: 40 program participants
and 6 comparison participants, everyone answering a shared 1-5 skills score before and after.
"""
from __future__ import annotations

import pytest

import evalkit as ek
from builders import arm_people, measure, pre_post_answers, write_tables
from evalkit.report import PortfolioReport

K = 10


@pytest.fixture(scope="module")
def people():
    return arm_people("q", 40, 6, "y")


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory, people):
    responses = pre_post_answers(people)
    skills = {**measure("skills", lo=1, hi=5, label="Skills (1-5)"), "shared": True}
    folder = write_tables(tmp_path_factory.mktemp("trial10p") / "data", responses, [skills], participants=people)
    return PortfolioReport(ek.load_data(folder), min_group_size=K)


def test_a_program_effect_withheld_for_a_small_arm_does_not_say_few_answered(portfolio, people):
    assert (people["arm"] == "comparison").sum() == 6 < K     # the arm that withholds the effect
    assert len(people) == 46 >= K                             # everyone answered both surveys
    row = portfolio.shared_table().reset_index().iloc[0]
    assert row["Estimate type"] == "program effect" and row["Estimate"] == "\u2013"
    cell = row["n (answered both surveys)"]
    assert cell != "fewer than 10"
    assert "an arm has fewer than 10" in cell
    assert "6" not in cell and "40" not in cell and "46" not in cell


def test_the_methods_say_who_the_overview_counts(portfolio, people):
    # the arm of 6 cannot be reported apart: the overview counts it with the programme (46), as the report does,
    # so "its comparison participants are never counted as programme participants" must not stand unqualified
    assert portfolio.overview.set_index("partnership_id").at["q", "n_enrolled"] == len(people) == 46
    text = portfolio.methods()
    assert "a comparison group too small to report apart is counted with the programme" in text
    assert "left out where it can be reported apart" in text
