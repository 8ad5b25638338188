"""Partnership indicators, action plan, partner survey and representation, checked by hand calculation."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evalkit import schema
from evalkit.community import NOT_JUDGED, OVER, PROTECTS, UNDER, representation_gap
from evalkit.indicators import (default_as_of, indicator_progress, indicator_trend, milestone_status,
                                milestone_summary, period_order)
from evalkit.load import Dataset
from evalkit.partner_survey import (ALL_ROLES, partner_survey_change, partner_survey_gaps, partner_survey_health,
                                    partner_survey_summary)


def _data(**tables) -> Dataset:
    empty = {t: schema.empty_table(t) for t in schema.TABLES}
    base = {"partnerships": schema.coerce_table("partnerships", pd.DataFrame({
        "partnership_id": ["p"], "name": ["P"], "partner_type": ["school"], "start_date": ["2025-01-01"],
        "end_date": ["2025-09-22"]}))}
    typed = {t: schema.coerce_table(t, f) if t != "participants" else f for t, f in tables.items()}
    return Dataset(data_dir=".", **(empty | base | typed))


# ---- indicators -----------------------------------------------------------------------------------------

def _indicators():
    ind = pd.DataFrame({
        "partnership_id": "p",
        "period": ["2025-03-31", "2025-06-30", "2025-01-31"] * 2,
        "indicator": ["hours"] * 3 + ["families"] * 3,
        "value": ["10", "20", "30", "4", "25", "30"],
        "unit": ["hours"] * 3 + ["families"] * 3,
        "label": ["Volunteer hours"] * 3 + ["Families reached"] * 3,
    })
    targets = pd.DataFrame({"partnership_id": ["p", "p"], "indicator": ["hours", "families"],
                            "statistic": ["total", "latest"], "target": ["50", "40"]})
    return _data(indicators=ind, targets=targets)


def test_period_order_dates_sorted_labels_as_listed():
    assert period_order(["2025-06-30", "2025-01-31", "2025-03-31"]) == ["2025-01-31", "2025-03-31", "2025-06-30"]
    assert period_order(["Spring 2026", "Fall 2025", "Spring 2026"]) == ["Spring 2026", "Fall 2025"]


def test_indicator_trend_orders_periods_and_protects_counts_of_people():
    t = indicator_trend(_indicators(), "p", min_group_size=10)
    hours = t[t["indicator"] == "hours"]
    assert hours["period"].tolist() == ["2025-01-31", "2025-03-31", "2025-06-30"]
    assert hours["value"].tolist() == [30, 10, 20]  # hours are not people: shown as recorded
    fam = t[t["indicator"] == "families"].set_index("period")
    # families by period: Jan 30, Mar 4, Jun 25; the 4 is blanked, and with the total (59) shown,
    # 59 - 30 - 25 = 4 would give it back, so the smallest shown (25) is blanked too
    assert fam["value"].isna().tolist() == [False, True, True]
    assert fam.loc["2025-01-31", "value"] == 30


def test_indicator_progress_latest_total_and_verdicts_by_hand():
    p = indicator_progress(_indicators(), "p", min_group_size=10).set_index("indicator")
    assert p.loc["hours", "latest"] == 20 and p.loc["hours", "total"] == 60  # 30 + 10 + 20
    assert p.loc["hours", "verdict"] == "met"  # total 60 >= 50
    assert p.loc["families", "total"] == 59
    assert np.isnan(p.loc["families", "latest"])  # 25 in June: blanked by the trend, so blank here too
    assert p.loc["families", "verdict"] == "not met"  # latest 25 < 40
    assert p.loc["hours", "latest_period"] == "2025-06-30" and p.loc["hours", "n_periods"] == 3


def test_progress_against_targets_leaves_indicator_targets_out():
    from evalkit.targets import progress_against_targets

    assert progress_against_targets(_indicators(), "p").empty


# ---- milestones -----------------------------------------------------------------------------------------

def _milestones():
    m = pd.DataFrame({
        "partnership_id": "p",
        "milestone": list("ABCDEF"),
        "owner": ["institution"] * 6,
        "due_date": ["2025-03-01", "2025-04-01", "2025-05-01", "2025-08-01", "2025-02-01", "2025-06-01"],
        "done_date": ["2025-02-20", "2025-04-15", None, None, None, "2025-07-15"],
        "status": ["done", "done", "in progress", "not started", "dropped", "done"],
    })
    return _data(milestones=m)


def test_milestone_status_at_a_fixed_date_by_hand():
    s = milestone_status(_milestones(), "p", as_of="2025-06-30").set_index("milestone")
    assert s["state"].to_dict() == {"E": "dropped", "A": "done on time", "B": "done late", "C": "overdue",
                                    "F": "overdue", "D": "not yet due"}
    assert s.loc["B", "days_late"] == 14  # 15 April - 1 April
    assert s.loc["C", "days_late"] == 60  # 30 June - 1 May
    assert s.loc["F", "days_late"] == 29 and pd.isna(s.loc["F", "done_date"])  # done 15 July: after the date judged
    m = milestone_summary(s.reset_index()).iloc[0]
    assert (m["n_due"], m["n_on_time"], m["n_late"], m["n_overdue"]) == (4, 1, 1, 2)
    assert m["on_time_share"] == pytest.approx(1 / 4)
    assert m["overdue"] == "C; F"


def test_default_as_of_is_the_end_date_once_passed_else_today():
    data = _milestones()
    assert default_as_of(data, "p", today=dt.date(2030, 1, 1)) == pd.Timestamp("2025-09-22")
    assert default_as_of(data, "p", today=dt.date(2025, 8, 1)) == pd.Timestamp("2025-08-01")


# ---- partner survey -----------------------------------------------------------------------------------

A = [4, 5, 5, 4, 3, 5, 4, 4, 5, 5]   # institution, mean 4.4, sum of squares about the mean 4.4
B = [3, 2, 3, 4, 3, 2, 3, 3, 4, 2]   # partner, mean 2.9, sum of squares about the mean 4.9


def _survey(extra_partner=0):
    rows = [("2025-01-01", "institution", v) for v in A] + [("2025-01-01", "partner", v) for v in B]
    rows += [("2025-06-01", "institution", v) for v in A] + [("2025-06-01", "partner", v) for v in A]
    rows += [("2025-06-01", "partner", 5)] * extra_partner
    s = pd.DataFrame(rows, columns=["period", "respondent_role", "value"]).assign(
        partnership_id="p", item="trust", scale_min=1, scale_max=5, label="Trust")
    return _data(partner_survey=s.astype(str))


def test_partner_gap_welch_by_hand():
    g = partner_survey_gaps(_survey(), "p", min_group_size=10)
    first = g[g["period"] == "2025-01-01"].iloc[0]
    # Hand calculation: gap 4.4 - 2.9 = 1.5; var 4.4/9 and 4.9/9; se^2 = 4.4/90 + 4.9/90 = 0.103333;
    # Welch df = se^4 / ((4.4/90)^2/9 + (4.9/90)^2/9) = 17.948; t(0.975, 17.948) = 2.1010 (t table, df 18: 2.1009);
    # half-width 2.1010 * sqrt(0.103333) = 0.6754
    assert first["gap"] == pytest.approx(1.5)
    assert first["ci_low"] == pytest.approx(1.5 - 0.6754, abs=5e-4)
    assert first["ci_high"] == pytest.approx(1.5 + 0.6754, abs=5e-4)
    assert (first["role_a"], first["role_b"]) == ("institution", "partner")


def test_partner_change_since_first_check_in_by_hand():
    c = partner_survey_change(_survey(), "p", min_group_size=10).iloc[0]
    # first check-in: A and B pooled, mean (44 + 29) / 20 = 3.65; latest: A twice, mean 4.4
    assert c["mean_first"] == pytest.approx(3.65) and c["mean_latest"] == pytest.approx(4.4)
    assert c["change"] == pytest.approx(0.75)
    assert (c["first_period"], c["latest_period"]) == ("2025-01-01", "2025-06-01")


def test_partner_summary_means_and_small_roles_suppressed():
    s = partner_survey_summary(_survey(), "p", min_group_size=10)
    inst = s[(s["period"] == "2025-01-01") & (s["respondent_role"] == "institution")].iloc[0]
    # mean 4.4, SD sqrt(4.4/9) = 0.69921, t(0.975, 9) = 2.2622: 4.4 +/- 2.2622 * 0.69921 / sqrt(10) = 4.4 +/- 0.5002
    assert inst["mean"] == pytest.approx(4.4) and inst["sd"] == pytest.approx(0.69921, abs=1e-5)
    assert inst["ci_low"] == pytest.approx(3.8998, abs=5e-4)
    small = partner_survey_summary(_survey(), "p", min_group_size=11)
    roles = small[small["respondent_role"] != ALL_ROLES]
    assert roles["suppressed"].all() and roles["mean"].isna().all()  # 10 respondents per role < 11
    pooled = small[small["respondent_role"] == ALL_ROLES]
    assert not pooled["suppressed"].any()  # 20 respondents pooled: shown


def test_complementary_suppression_between_roles_and_pooled_row():
    # latest check-in: institution 10, partner 10 + 3 = 13; with k = 11 the institution (10) is blanked, and since
    # the pooled 23 is shown, the partner (13) is blanked too, or 23 - 13 would give the institution's 10 back
    s = partner_survey_summary(_survey(extra_partner=3), "p", min_group_size=11)
    latest = s[s["period"] == "2025-06-01"].set_index("respondent_role")
    assert latest.loc["institution", "suppressed"] and latest.loc["partner", "suppressed"]
    assert not latest.loc[ALL_ROLES, "suppressed"] and latest.loc[ALL_ROLES, "n_respondents"] == 23


def test_partner_survey_health_rescales_to_percent():
    h = partner_survey_health(_survey(), "p", min_group_size=10).iloc[0]
    # latest check-in: every answer from A twice, mean 4.4 on 1-5 -> (4.4 - 1) / 4 = 85%
    assert h["health"] == pytest.approx(85.0)


# ---- representation -----------------------------------------------------------------------------------

def _people(counts: dict, char="race") -> pd.DataFrame:
    values = [g for g, n in counts.items() for _ in range(n)]
    return pd.DataFrame({"participant_id": [f"x{i}" for i in range(len(values))], "partnership_id": "p",
                         char: values})


def _community(shares: dict, char="race") -> pd.DataFrame:
    return pd.DataFrame({"partnership_id": "p", "characteristic": char, "group": list(shares),
                         "share": [str(v) for v in shares.values()]})


def test_representation_ratio_and_wilson_interval_by_hand():
    data = _data(participants=_people({"G": 10, "H": 90}), community=_community({"G": 0.2, "H": 0.8}))
    g = representation_gap(data, "p", min_group_size=10).set_index("group")
    # Wilson 95% for 10/100 (R: prop.test(10, 100, correct = FALSE)$conf.int = 0.05522914 0.17436566);
    # by hand: centre (0.1 + 1.96^2/200) / (1 + 1.96^2/100) = 0.114800, half 0.059566
    assert g.loc["G", "participant_share"] == pytest.approx(0.10)
    assert g.loc["G", "share_ci_low"] == pytest.approx(0.05522914, abs=1e-6)
    assert g.loc["G", "share_ci_high"] == pytest.approx(0.17436566, abs=1e-6)
    assert g.loc["G", "ratio"] == pytest.approx(0.5)
    assert g.loc["G", "ratio_ci_low"] == pytest.approx(0.05522914 / 0.2, abs=1e-5)
    assert g.loc["G", "ratio_ci_high"] == pytest.approx(0.17436566 / 0.2, abs=1e-5)
    assert g.loc["G", "verdict"] == UNDER
    # 90/100 vs 0.8: R prop.test(90, 100, correct = FALSE)$conf.int = 0.8256343 0.9447708 -> ratio 1.032 to 1.181
    assert g.loc["H", "ratio_ci_low"] == pytest.approx(0.8256343 / 0.8, abs=1e-5)
    assert g.loc["H", "verdict"] == OVER


def test_small_groups_blanked_but_flagged_and_unlisted_groups_protected():
    data = _data(participants=_people({"G": 5, "H": 95}), community=_community({"G": 0.2, "H": 0.8}))
    g = representation_gap(data, "p", min_group_size=10).set_index("group")
    # both blanked groups read alike, the small one and the one blanked to protect it (trial 8: "fewer than 10"
    # beside "not shown" told a reader which held 10 or more)
    assert g.loc["G", "suppressed"] and pd.isna(g.loc["G", "n_participants"]) and g.loc["G", "note"] == PROTECTS
    # 5/100 has a Wilson upper bound of 0.1118 < 0.2, but a blanked group is not judged (trial 11): the flag
    # "under-represented" bounded its count (at most about 11 of 100) and told a small group from a protecting one
    assert g.loc["G", "verdict"] == NOT_JUDGED and g.loc["H", "verdict"] == NOT_JUDGED
    assert g.loc["H", "suppressed"] and g.loc["H", "note"] == PROTECTS  # 100 - 95 would give the 5
    # a group of 4 the community table does not list is hidden, so the smallest listed group is blanked
    data = _data(participants=_people({"G": 30, "H": 66, "Z": 4}), community=_community({"G": 0.3, "H": 0.7}))
    g = representation_gap(data, "p", min_group_size=10).set_index("group")
    assert g.loc["G", "suppressed"] and not g.loc["H", "suppressed"]


def test_missing_values_leave_the_denominator():
    people = _people({"G": 20, "H": 60})
    people = pd.concat([people, pd.DataFrame({"participant_id": ["m1", "m2"], "partnership_id": "p",
                                              "race": [None, None]})], ignore_index=True)
    # k = 2: the 2 not recorded may be shown (under k they stay in the denominator: tests/test_privacy_attack.py)
    g = representation_gap(_data(participants=people, community=_community({"G": 0.25, "H": 0.75})), "p",
                           min_group_size=2)
    assert g["n_known"].iloc[0] == 80 and g.set_index("group").loc["G", "participant_share"] == pytest.approx(0.25)


@pytest.mark.sample_wide
@pytest.mark.parametrize("k", [3, 10])
def test_the_portfolio_representation_table_blanks_what_each_partnership_report_blanks(sample_dir, k):
    # The portfolio counts every partnership in one pass (folding, completers, suppression); each partnership's
    # report counts its own slice. Any difference would show a count one of them withholds, or differ in a number.
    import evalkit as ek

    data = ek.load_data(sample_dir)
    whole = representation_gap(data, min_group_size=k)
    assert whole["suppressed"].any() and whole["group"].str.endswith(" or not recorded").any()   # both rules at work
    for pid in data.partnership_ids:
        own = representation_gap(data.for_partnership(pid), pid, min_group_size=k)
        pd.testing.assert_frame_equal(whole[whole["partnership_id"] == pid].reset_index(drop=True), own,
                                      check_dtype=False)   # the same values; a column of one id may type as object
