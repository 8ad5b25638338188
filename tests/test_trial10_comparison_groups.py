"""Trial 10: a comparison group set apart is left out of every table the programme's figures sit beside.

After a9e2707 enrolment, retention and the outcomes count the program's participants where the comparison arm
is set apart, but *Results by group* still counted every arm in its "who" rows (enrolled, retention) beside
program-only changes, *Who was served* and the portfolio's representation gaps counted every arm, and the
portfolio overview judged the targets on every arm. The first three let a reader subtract: a group's enrolled
count (both arms) less its program count in the change table (n pre) is that group's number in the
comparison arm, which may be under k (trial: Greenway, under 18: 18 enrolled, 12 answered the pre survey in
the change table, so 6 in the comparison arm). The last gave "2 of 6 targets met" in the portfolio beside the
report's "1 of 6".

Data, built here: partnership "p", 40 program participants (area north 20, south 20) and 30 comparison
participants (north 24, south 6), everyone answering a 1-5 skills score before and after; the program gains
about 1 point, the comparison group nothing. Expected values come from pandas and scipy on these tables.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit as ek
from builders import measure, write_tables
from evalkit.health_report import HealthSections, PortfolioHealth
from evalkit.portfolio import portfolio_overview
from evalkit.report import PartnershipReport

K = 10
TARGET = 0.7   # mean change of at least 0.7 points


def _people() -> pd.DataFrame:
    rows = ([("program", "north")] * 20 + [("program", "south")] * 20
            + [("comparison", "north")] * 24 + [("comparison", "south")] * 6)
    return pd.DataFrame({"participant_id": [f"x{i:03d}" for i in range(len(rows))], "partnership_id": "p",
                         "arm": [a for a, _ in rows], "area": [g for _, g in rows]})


def _responses(people: pd.DataFrame) -> pd.DataFrame:
    i = np.arange(len(people))
    pre = 2 + (i % 5) * 0.2
    gain = np.where(people["arm"] == "program", 1.0, 0.0) + ((i % 4) - 1.5) * 0.1
    return pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "p", "wave": w,
                                    "measure": "skills", "value": np.round(v, 2)})
                      for w, v in (("pre", pre), ("post", pre + gain))])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    people = _people()
    responses = _responses(people)
    targets = pd.DataFrame({"partnership_id": ["p"], "indicator": ["skills"], "statistic": ["mean_change"],
                            "target": [TARGET], "threshold": [None], "description": ["skills rise by 0.7"]})
    folder = write_tables(tmp_path_factory.mktemp("trial10") / "data", responses,
                          [measure("skills", lo=1, hi=5, label="Skills (1-5)")], participants=people, targets=targets)
    pd.DataFrame({"partnership_id": "p", "characteristic": "area", "group": ["north", "south"],
                  "share": [0.5, 0.5]}).to_csv(folder / "community.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def data(folder):
    return ek.load_data(folder)


@pytest.fixture(scope="module")
def report(data):
    return PartnershipReport(data, "p", min_group_size=K)


def test_the_comparison_arm_is_set_apart_and_one_of_its_groups_is_small(data):
    people = _people()
    arms = people.groupby(["arm", "area"]).size()
    assert arms[("comparison", "south")] == 6 < K          # the cell that must not be worked out
    assert people["arm"].value_counts()["comparison"] == 30 >= K
    assert ek.arms.comparison_set_apart(data, "p", min_group_size=K)


def _shown_enrolled(report) -> dict:
    section = next(s for s in report.subgroups() if s.variable == "area")
    return section.representation["Enrolled"].to_dict()


def test_results_by_group_counts_the_program_participants_as_the_change_table_does(report):
    program = _people().query("arm == 'program'")["area"].value_counts()
    everyone = _people()["area"].value_counts()
    enrolled = _shown_enrolled(report)
    assert enrolled == {"north": str(program["north"]), "south": str(program["south"])}
    # with every arm counted, south's 26 less its 20 program answers at pre gives the comparison's 6
    assert str(everyone["south"]) not in enrolled.values()


def test_who_was_served_counts_the_program_participants(data):
    program = _people().query("arm == 'program'")["area"].value_counts()
    g = HealthSections(data, "p", min_group_size=K).representation.set_index("group")
    assert int(g.at["south", "n_participants"]) == program["south"] == 20
    assert int(g.at["north", "n_participants"]) == program["north"] == 20
    assert g.at["south", "participant_share"] == pytest.approx(20 / 40)


def test_the_portfolio_representation_gap_is_the_reports(data):
    # the program is 20 + 20 against a community of 50% + 50%: nothing under-represented; every arm together
    # (south 26 of 70, Wilson upper bound below 0.5) reads south under-represented, ratio 0.74 x 0.5 = 26 / 70
    port = PortfolioHealth(data, min_group_size=K).representation_table()
    assert port.loc["Partnership p", "Under-represented"] == 0
    everyone = stats.binomtest(26, 70).proportion_ci(method="wilson")
    assert everyone.high < 0.5   # so the test can fail: counted together, south would be flagged


def test_the_portfolio_overview_judges_the_targets_as_the_report_does(data, report):
    r = _responses(_people()).pivot_table(index="participant_id", columns="wave", values="value")
    ids = _people().query("arm == 'program'")["participant_id"]
    change = (r["post"] - r["pre"])[ids]
    lo = change.mean() - stats.t.ppf(0.975, len(change) - 1) * change.std(ddof=1) / np.sqrt(len(change))
    assert lo > TARGET   # the program's whole interval is above the target: met
    both = r["post"] - r["pre"]
    hi_all = both.mean() + stats.t.ppf(0.975, len(both) - 1) * both.std(ddof=1) / np.sqrt(len(both))
    assert hi_all < TARGET   # every arm together: not met, so the test can tell the two apart
    row = portfolio_overview(data, min_group_size=K).set_index("partnership_id").loc["p"]
    assert (row["targets_met"], row["targets_total"]) == (1, 1)
    assert report.all_targets["verdict"].tolist() == ["met"]


def test_the_comparison_line_points_to_the_section_that_has_the_arm(report):
    # the arm's counts and results are in the section headed "Compared with a comparison group"; "Design with a
    # comparison group" is a paragraph of the methods at the end, with no count of the arm
    text = report.participation()
    assert "comparison group: 30 enrolled, 30 of them answered both surveys" in text
    assert "(see *Compared with a comparison group*)" in text
    assert report.comparison_group().heading.endswith("Compared with a comparison group")
