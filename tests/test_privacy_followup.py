"""Follow-up of the privacy attack (tests/test_privacy_attack.py): findings left by its helper.

Each test reproduces one finding on small synthetic data: a statistic that could be worked out by
subtraction across sections, or a count blanked only to protect a smaller group that was labelled as if it
were itself small ("fewer than 10" for a group of 35 or 288 misinforms the reader: it must read "not shown").
"""
from __future__ import annotations

import pandas as pd
import pytest

from builders import measure, skills_at_both_waves, three_sessions, write_tables

K = 10


def _tables(**given):
    from evalkit import schema
    from evalkit.load import Dataset

    tables = {t: schema.empty_table(t) for t in schema.TABLES}
    tables["partnerships"] = schema.coerce_table("partnerships", pd.DataFrame({
        "partnership_id": ["p"], "name": ["P"], "partner_type": ["school"]}))
    for name, table in given.items():
        tables[name] = schema.coerce_table(name, table)
    return Dataset(data_dir=".", **tables)


# ---- 1. satisfaction beside a target, with a small comparison arm ---------------------------------------

def _arms_with_satisfaction(folder, n_comparison):
    """30 in the program arm, ``n_comparison`` in the comparison arm. Skills (0-20) before and after; satisfaction
    (1-5) after only: the program arm answers 3, 4, 5 ten times each (mean 4.00, 20 of 30 in the top two), the
    comparison arm answers 1. Target: mean satisfaction after >= 3."""
    import evalkit as ek

    n = 30 + n_comparison
    people = pd.DataFrame({"participant_id": [f"s{i}" for i in range(n)], "partnership_id": "p",
                           "arm": ["program"] * 30 + ["comparison"] * n_comparison})
    ids = people["participant_id"]
    skills = pd.concat([pd.DataFrame({"participant_id": ids, "partnership_id": "p", "wave": w, "measure": "skills",
                                      "value": [10 + (w == "post") * (i % 3) for i in range(n)]})
                        for w in ("pre", "post")])
    sat = pd.DataFrame({"participant_id": ids, "partnership_id": "p", "wave": "post", "measure": "sat",
                        "value": [3, 4, 5] * 10 + [1] * n_comparison})
    targets = pd.DataFrame({"partnership_id": ["p"], "indicator": ["sat"], "statistic": ["mean_post"],
                            "target": [3], "description": ["mean satisfaction of at least 3"]})
    folder = write_tables(folder, pd.concat([skills, sat]),
                          [measure("skills", lo=0, hi=20),
                           measure("sat", kind="ordinal", lo=1, hi=5, domain="satisfaction", label="Satisfied")],
                          participants=people, targets=targets)
    return ek.report.PartnershipReport(ek.load_data(folder), "p", min_group_size=K)


def test_satisfaction_and_its_target_count_the_same_arm(tmp_path):
    """Comparison arm of 5. The targets table judged 'mean satisfaction >= 3' on the program arm (4.00, n 30); the
    satisfaction section counted both arms (mean 3.57, n = 35): 35 - 30 = 5 in the comparison arm, and
    (35 x 3.571 - 30 x 4.00) / 5 = 1.0, their mean satisfaction."""
    report = _arms_with_satisfaction(tmp_path / "d", 5)
    assert report.has_comparison
    target = report.targets.set_index("indicator").loc["sat"]
    sat = report.satisfaction_table.set_index("measure").loc["sat"]
    outside = int(sat["n"]) - int(target["n"])
    assert outside == 0 or outside >= K, (sat["n"], target["n"])
    # too small to set apart (see test 5 below): both count all 35, by hand (120 + 5) / 35 = 3.57, 20 of 35 = 57%
    assert target["estimate"] == pytest.approx(125 / 35)
    text = report.satisfaction()
    assert "57% chose one of the two most positive answers" in text and "n = 35" in text
    assert "too small to report apart" in text
    # a comparison arm of 12 is set apart: satisfaction then counts the program arm, as its target and every
    # outcome section (by hand: 20 of the program's 30 chose 4 or 5, mean 4.0)
    report = _arms_with_satisfaction(tmp_path / "e", 12)
    target = report.targets.set_index("indicator").loc["sat"]
    assert (int(target["n"]), target["estimate"]) == (30, pytest.approx(4.0))
    text = report.satisfaction()
    assert "67% chose one of the two most positive answers" in text and "mean 4.0" in text and "n = 30" in text
    assert "Only participants in the program group are counted here" in text
    assert "(n = 30)" in report.satisfaction_figure().alt


# ---- 2. every blanked group of a table reads "not shown", small or protecting -----------------------------

def test_results_by_group_says_not_shown_for_a_group_blanked_to_protect_a_smaller_one(tmp_path):
    """Veterans: 3 yes, 40 no. 'yes' is fewer than 10; 'no' (40) is blanked so that 43 - 40 cannot give the 3.
    The representation table of Results by group read 'fewer than 10' for both; then 'fewer than 10' for the 3 and
    'not shown' for the 40, which told a reader the 40 were at least 10 (trial 8: 11 blanked, one of them at least
    10, gives the other: 1). Both read 'not shown' now."""
    import evalkit as ek

    people = pd.DataFrame({"participant_id": [f"v{i}" for i in range(43)], "partnership_id": "p",
                           "veteran": ["yes"] * 3 + ["no"] * 40})
    resp = skills_at_both_waves(people["participant_id"])
    data = ek.load_data(write_tables(tmp_path / "d", resp, [measure("skills", lo=1, hi=5)], participants=people))
    (section,) = ek.report.PartnershipReport(data, "p", min_group_size=K).subgroups()
    who = section.representation
    assert who.loc["yes", "Enrolled"] == who.loc["no", "Enrolled"] == "not shown"
    assert "fewer than" not in " ".join(section.outcomes.xs("no", level="Group")["n (pre / post / pairs)"])


def test_the_arm_tables_say_not_shown_for_a_program_arm_blanked_to_protect_the_comparison_arm(tmp_path):
    """35 in the program arm, 7 in the comparison arm: the comparison arm is fewer than 10, the program arm's 35 is
    blanked so that 42 - 35 cannot give the 7. The attrition table read 'fewer than 10 / fewer than 10', then
    'not shown / fewer than 10', which told a reader the program arm held 10 or more (with 11 enrolled, the other
    arm would be 1: trial 8). Both read 'not shown' now."""
    import evalkit as ek

    people = pd.DataFrame({"participant_id": [f"c{i}" for i in range(42)], "partnership_id": "p",
                           "arm": ["comparison"] * 7 + ["program"] * 35})
    resp = skills_at_both_waves(people["participant_id"])
    data = ek.load_data(write_tables(tmp_path / "d", resp, [measure("skills", lo=1, hi=5)], participants=people))
    section = ek.report.PartnershipReport(data, "p", min_group_size=K).comparison_group()
    assert section.attrition.iloc[0]["Assigned (group / comparison)"] == "not shown / not shown"
    assert section.attrition.iloc[0]["Analysed (group / comparison)"] == "not shown / not shown"
    for table in (section.balance, section.effects):
        assert table.iloc[0]["n (group / comparison)"] == "not shown / not shown"


def test_the_representation_figure_does_not_call_a_protecting_group_too_small():
    """Veterans 3 yes, 288 no, both in the community table: the figure drew neither and said '2 group(s) not drawn:
    too few participants to show', though 288 is not too few (it is blanked so that 291 - 288 cannot give 3)."""
    from evalkit.community import representation_gap
    from evalkit.health_plots import plot_representation
    import matplotlib.pyplot as plt

    people = pd.DataFrame({"participant_id": [f"x{i}" for i in range(291)], "partnership_id": "p",
                           "veteran": ["yes"] * 3 + ["no"] * 288})
    community = pd.DataFrame({"partnership_id": "p", "characteristic": "veteran", "group": ["yes", "no"],
                              "share": ["0.1", "0.9"]})
    g = representation_gap(_tables(participants=people, community=community), "p", min_group_size=K)
    fig = plot_representation(pd.concat([g, g.assign(characteristic="other", group=["a", "b"],
                                                     ratio=1.0, ratio_ci_low=0.8, ratio_ci_high=1.2,
                                                     verdict="in line", note="")], ignore_index=True))
    # the note is wrapped over the axes (trial 11 F6): read it as words, not lines
    title = " ".join(" ".join(ax.get_title(loc="left") for ax in fig.axes).split())
    plt.close(fig)
    assert "2 group(s) not drawn" not in title
    # one reason for both (trial 8): which of the two is the small one is not said
    assert ("2 groups not drawn: too few participants to show, or left out with one so that it cannot be worked out "
            "by subtraction.") in title


def test_attendance_by_session_does_not_call_a_protecting_session_too_small(tmp_path):
    """11 participants, sessions of 10, 10 and 3 attenders: the third is withheld (fewer than 10), and a session of
    10 with it so that 23 - 10 cannot give 3; the alt text said '2 sessions not shown: too few attenders'."""
    import evalkit as ek
    from evalkit.figures import describe_attendance
    from evalkit.participation import session_attendance

    data = ek.load_data(three_sessions(tmp_path / "d"))
    sessions = session_attendance(data, "p", min_group_size=K)
    assert int(sessions["suppressed"].sum()) == 2
    text = describe_attendance(sessions)
    # one reason for both (trial 8): which of the two is the small one is not said
    assert "not shown: too few attenders." not in text
    assert "2 sessions not shown: too few attenders, or left out with one so that it cannot be worked out by subtraction" in text
    import matplotlib.pyplot as plt
    from evalkit.plots import plot_attendance

    fig = plot_attendance(sessions, min_group_size=K)
    note = " ".join(t.get_text() for t in fig.texts)
    plt.close(fig)
    assert note == ("2 sessions not shown: fewer than 10 people, or left out with one so that it cannot be worked "
                    "out by subtraction.")


# ---- 3. the partners' role gap, blanked to protect a smaller role --------------------------------------

def _check_in(values: dict):
    rows = [("p", "2025-06-30", role, "trust", str(v), "1", "5") for role, vs in values.items() for v in vs]
    return _tables(partner_survey=pd.DataFrame(rows, columns=["partnership_id", "period", "respondent_role", "item",
                                                              "value", "scale_min", "scale_max"]))


def test_the_role_gap_sentence_says_a_role_is_not_shown_to_protect_a_smaller_one():
    """16 institution, 18 partner, 3 funder respondents: the funders are too few, the institution (16) is blanked so
    that the pooled row less the others cannot give the funders. The sentence said 'too few respondents in a role'."""
    from evalkit.health_report import HealthSections

    h = HealthSections(_check_in({"institution": [4] * 16, "partner": [4, 5] * 9, "funder": [1] * 3}), "p",
                       min_group_size=K)
    text = h.partners()
    assert "too few respondents in a role" not in text
    assert "nor, where one is, another role, so that the smaller one cannot be worked out by subtraction" in text
    # the figure's alt text: the funders' and the institution's means are withheld, with one reason for both
    assert ("2 means not shown: fewer than 10 people, or left out with one so that it cannot be worked out "
            "by subtraction.") in h.partners_figure().alt
    gap = ("trust: not shown: a role with fewer than 10 respondents, or one not shown with it so that it cannot be "
           "worked out by subtraction.")
    assert gap in text
    # a role that is itself too few reads the same (6 institution and 5 funder respondents: 11 blanked, no more):
    # were it told apart, a reader would know which blanked role holds 10 or more
    h = HealthSections(_check_in({"institution": [4] * 6, "partner": [4, 5] * 9, "funder": [1] * 5}), "p",
                       min_group_size=K)
    assert gap in h.partners() and "too few respondents in a role to compare" not in h.partners()


# ---- 4. the indicator chart's alt text -------------------------------------------------------------------

def test_the_indicator_alt_text_names_an_indicator_by_its_label():
    """Students placed (a count of people: 4 and 3 in two quarters) is withheld in both periods; the alt text
    said 'students_placed: no value shown'."""
    from evalkit.health_report import HealthSections

    ind = pd.DataFrame({"partnership_id": "p", "period": ["2025-03-31", "2025-06-30"] * 2,
                        "indicator": ["students_placed"] * 2 + ["volunteer_hours"] * 2, "value": ["4", "3", "40", "55"],
                        "unit": ["students"] * 2 + ["hours"] * 2,
                        "label": ["Students placed"] * 2 + ["Volunteer hours"] * 2})
    fig = HealthSections(_tables(indicators=ind), "p", min_group_size=K).indicators_figure()
    assert "students_placed" not in fig.alt
    assert "Students placed: no value shown" in fig.alt and "Volunteer hours from 40 hours" in fig.alt


# ---- 5. (found while there) the participation section's counts, of all arms, against the program's ----------

def test_a_small_comparison_arm_cannot_be_counted_from_the_participation_section(tmp_path):
    """35 in the program arm, 5 in the comparison arm, all 40 answer before and after. The participation section
    (all arms) said 'answered the pre survey: 40; both: 40'; the outcomes table and the retention target count the
    program arm only: 35 pairs, retention of 35. 40 - 35 = 5 in the comparison arm, and (40 x mean - 35 x program
    mean) / 5 their own mean."""
    import evalkit as ek

    people = pd.DataFrame({"participant_id": [f"c{i}" for i in range(40)], "partnership_id": "p",
                           "arm": ["program"] * 35 + ["comparison"] * 5})
    resp = pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "p", "wave": w,
                                    "measure": "skills", "value": [3 + (w == "post") * (i % 2) for i in range(40)]})
                      for w in ("pre", "post")])
    targets = pd.DataFrame({"partnership_id": ["p"], "indicator": ["retention_rate"], "statistic": ["rate"],
                            "target": [80]})
    data = ek.load_data(write_tables(tmp_path / "d", resp, [measure("skills", lo=1, hi=5)], participants=people,
                                     targets=targets))
    report = ek.report.PartnershipReport(data, "p", min_group_size=K)
    every = report.retention   # the participation section: all arms
    assert (every["n_enrolled"], every["n_pre"], every["n_post"], every["n_both"]) == (40, 40, 40, 40)
    outcome = report.outcomes.set_index("measure").loc["skills"]
    target = report.targets.set_index("indicator").loc["retention_rate"]
    for shown, part in ((every["n_pre"], outcome["n_pre"]), (every["n_post"], outcome["n_post"]),
                        (every["n_both"], outcome["n_pairs"]), (every["n_pre"], target["n"])):
        assert shown - part == 0 or shown - part >= K, (shown, part)
    # the comparison arm is too small to set apart: the report counts everyone together and says why
    assert "too small to report apart" in report.outcomes_intro()
    assert "Only participants in the program group" not in report.outcomes_intro()
    # a comparison arm of 10 or more is still set apart (by hand: 35 program pairs beside 40 enrolled)
    bigger = pd.concat([people, pd.DataFrame({"participant_id": [f"d{i}" for i in range(5)], "partnership_id": "p",
                                              "arm": "comparison"})])
    more = pd.concat([resp, pd.DataFrame({"participant_id": [f"d{i}" for i in range(5)] * 2, "partnership_id": "p",
                                          "wave": ["pre"] * 5 + ["post"] * 5, "measure": "skills", "value": 3})])
    data = ek.load_data(write_tables(tmp_path / "e", more, [measure("skills", lo=1, hi=5)], participants=bigger))
    report = ek.report.PartnershipReport(data, "p", min_group_size=K)
    assert report.outcomes.set_index("measure").loc["skills", "n_pairs"] == 35
    assert "Only participants in the program group" in report.outcomes_intro()


# ---- 6. (found while there) satisfaction asked before and after, against the outcomes table ------------------

def test_satisfaction_asked_twice_does_not_give_away_the_one_who_answered_only_after(tmp_path):
    """20 participants rate satisfaction (1-5) before and after (after: 4 and 5 alternately, mean 4.50), one more
    only after (a 1). The outcomes table shows the 20 pairs' post mean (4.50, n 20 / 21 / 20); the satisfaction
    section showed 'mean 4.3, n = 21' and 20 of 21 in the top two (95%, with its interval): 21 - 20 = 1 person,
    outside the top two, and 21 x 4.33 - 20 x 4.50 = 1, their answer (the target on post answers already counts
    the pairs in this case)."""
    import evalkit as ek

    ids = [f"s{i}" for i in range(21)]
    resp = pd.concat([pd.DataFrame({"participant_id": ids[:20], "partnership_id": "p", "wave": "pre",
                                    "measure": "sat", "value": 3}),
                      pd.DataFrame({"participant_id": ids, "partnership_id": "p", "wave": "post", "measure": "sat",
                                    "value": [4, 5] * 10 + [1]})])
    data = ek.load_data(write_tables(tmp_path / "d", resp, [measure("sat", kind="ordinal", lo=1, hi=5,
                                                                    domain="satisfaction", label="Satisfied")]))
    report = ek.report.PartnershipReport(data, "p", min_group_size=K)
    outcome = report.outcomes.set_index("measure").loc["sat"]
    assert (outcome["n_pairs"], outcome["mean_post"]) == (20, 4.5)
    sat = report.satisfaction_table.set_index("measure").loc["sat"]
    outside = int(sat["n"]) - 20
    assert outside == 0 or outside >= K, sat["n"]
    # by hand, the 20 pairs: mean 4.5, all 20 in the top two
    assert sat["mean"] == 4.5 and sat["top_two"] == 1.0
    assert "n = 20" in report.satisfaction() and "answered both surveys" in report.satisfaction()
    assert "(n = 20)" in report.satisfaction_figure().alt   # the bar chart draws the same 20


# ---- 7. (found while there) an indicator's latest value blanked to protect a smaller period ------------------

def test_a_latest_indicator_value_blanked_to_protect_a_smaller_period_reads_not_shown():
    """Families reached: 4 in the first quarter, 30 in the second, 34 in total (shown). The 4 is withheld and so is
    the 30 (else 34 - 30 = 4); the indicators table and sentence said the latest value was 'fewer than 10'."""
    from evalkit.health_report import HealthSections

    ind = pd.DataFrame({"partnership_id": "p", "period": ["2025-03-31", "2025-06-30"], "indicator": "families",
                        "value": ["4", "30"], "unit": "families", "label": "Families reached"})
    h = HealthSections(_tables(indicators=ind), "p", min_group_size=K)
    row = h.indicators_table().loc["Families reached"]
    assert (row["Latest"], row["Total"]) == ("not shown", "34")
    assert "Families reached: not shown in the latest period" in h.indicators()
    # a latest value that is itself small reads the same (trial 8): "fewer than 10" for it and "not shown" for a
    # protecting one would tell a reader which of the blanked periods holds 10 or more
    h = HealthSections(_tables(indicators=ind.assign(value=["30", "4"])), "p", min_group_size=K)
    assert h.indicators_table().loc["Families reached", "Latest"] == "not shown"


@pytest.mark.integration
def test_a_rendered_report_with_a_small_comparison_arm_shows_no_program_only_count(tmp_path):
    """The report of test 5, rendered: its page shows every arm together (40 everywhere) and says why; the 35 of the
    program arm alone is shown nowhere a reader could subtract it from the 40."""
    import re

    from evalkit.batch import run_batch

    people = pd.DataFrame({"participant_id": [f"c{i}" for i in range(40)], "partnership_id": "p",
                           "arm": ["program"] * 35 + ["comparison"] * 5})
    resp = pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "p", "wave": w,
                                    "measure": "skills", "value": [3 + (w == "post") * (i % 2) for i in range(40)]})
                      for w in ("pre", "post")])
    data = write_tables(tmp_path / "d", resp, [measure("skills", lo=1, hi=5)], participants=people)
    result = run_batch(data, tmp_path / "out", workers=1, progress=False, portfolio=False, cache_dir=tmp_path / "c")
    assert result.ok, result.to_frame()
    html = (tmp_path / "out" / "p.html").read_text(encoding="utf-8")
    text = re.sub(r"<(svg|style|script)[\s\S]*?</\1>", " ", html)   # what a reader sees, figures left out
    assert "40 / 40 / 40" in text and "too small to report apart" in text
    words = re.sub(r"<[^>]+>", " ", text)
    count = re.compile(r"(?<![\w:.])35(?![\w:])")   # a count of 35, not the minute of the colophon's '06:35 UTC'
    hit = count.search(words)
    assert hit is None, words[max(0, hit.start() - 200):hit.end() + 100]


@pytest.fixture(scope="module")
def sample_and_generated(tmp_path_factory):
    import evalkit
    from evalkit.sample import write_sample

    folder = tmp_path_factory.mktemp("gen")
    write_sample(folder, partnerships=24, participants=60, seed=7)
    return evalkit.load_data("data/sample"), evalkit.load_data(folder)


@pytest.mark.sample_wide   # every partnership of the sample and of 24 generated ones, at three thresholds
@pytest.mark.parametrize("k", [3, 5, 10])
def test_who_was_served_shows_no_group_count_that_results_by_group_blanks(k, sample_and_generated):
    # helper trial: with two groups tied for the complementary blank, "who was served" (groups in order of
    # appearance) and Results by group (groups sorted) blanked different members of the tie: harbor-health at k = 5
    # showed Multiracial = 7, which Results by group withholds. With a small group S and a tie A = B, the two tables
    # together would give S.
    from evalkit.community import FOLDED, representation_gap
    from evalkit.participation import representation_by_group

    for data in sample_and_generated:
        gap = representation_gap(data, min_group_size=k)
        chars = list(dict.fromkeys(gap["characteristic"]))
        reps = representation_by_group(data, chars, min_group_size=k)
        checked = 0
        for (pid, char), shown in gap.groupby(["partnership_id", "characteristic"]):
            rep = reps[char][reps[char]["partnership_id"] == pid]
            withheld = {str(g).removesuffix(FOLDED) for g in rep.loc[rep["suppressed"].astype(bool), "group"]}
            counted = {str(g) for g, n in zip(shown["group"], shown["n_participants"]) if pd.notna(n)}
            assert not counted & withheld, (pid, char, k, counted & withheld)
            checked += bool(withheld)
        assert checked  # some groups were blanked: the comparison was not empty
