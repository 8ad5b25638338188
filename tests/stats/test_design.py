"""Evaluation-design checks: WWC attrition and baseline equivalence, difference in differences
(against R's Welch t.test), reliable change, normalized gain and goal attainment (by hand)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats.design import (
    WWC_CAUTIOUS,
    WWC_OPTIMISTIC,
    _equivalence_verdict,
    attrition,
    baseline_equivalence,
    diff_in_diff,
    goal_attainment,
    normalized_gain,
    reliable_change,
)

REL = 1e-6


# ------------------------------------------------------------------------------- attrition
# Boundary values quoted below are read from the WWC attrition boundary table (Procedures and
# Standards Handbook v5.0; Standards Handbook v4.1, Table II.1).

def test_boundary_table_shape_and_known_rows():
    # cautious rows 0..57, optimistic rows 0..65
    assert (len(WWC_CAUTIOUS), len(WWC_OPTIMISTIC)) == (58, 66)
    # table rows: overall 0 -> 5.7 / 10.0; 10 -> 6.3 / 10.9; 30 -> 4.1 / 8.2; 50 -> 1.0 / 3.7
    assert [WWC_CAUTIOUS[i] for i in (0, 10, 30, 50, 57)] == [5.7, 6.3, 4.1, 1.0, 0.0]
    assert [WWC_OPTIMISTIC[i] for i in (0, 10, 30, 50, 65)] == [10.0, 10.9, 8.2, 3.7, 0.3]


def test_low_attrition_by_hand():
    res = attrition(100, 80, 100, 76)
    # program 20/100 = 20%, comparison 24/100 = 24%, overall 44/200 = 22%, differential 4 points;
    # cautious boundary at 22% = 5.2 -> low
    assert (res.program_pct, res.comparison_pct, res.overall_pct) == (20.0, 24.0, 22.0)
    assert res.differential_pp == pytest.approx(4.0)
    assert (res.max_differential_pp, res.low_attrition, res.verdict) == (5.2, True, "low attrition")


def test_cautious_and_optimistic_can_disagree():
    # program 30%, comparison 36%, overall 33%, differential 6 points:
    # cautious boundary at 33% = 3.6 -> high; optimistic = 7.6 -> low
    cautious = attrition(100, 70, 100, 64)
    optimistic = attrition(100, 70, 100, 64, boundary="optimistic")
    assert (cautious.max_differential_pp, cautious.verdict) == (3.6, "high attrition")
    assert (optimistic.max_differential_pp, optimistic.verdict) == (7.6, "low attrition")


def test_boundary_edges():
    # program 263/2000 = 13.15%, comparison 137/2000 = 6.85%: overall 400/4000 = 10%, differential
    # 6.3 points = the cautious boundary at 10% -> still low
    on = attrition(2000, 2000 - 263, 2000, 2000 - 137)
    assert on.overall_pct == 10.0 and on.differential_pp == pytest.approx(6.3)
    assert on.low_attrition
    # one more program drop-out: 13.2% vs 6.85% -> 6.35 points, overall 10.025% (row 10) -> high
    over = attrition(2000, 2000 - 264, 2000, 2000 - 137)
    assert over.max_differential_pp == 6.3 and not over.low_attrition


def test_overall_rate_is_rounded_to_the_table_row():
    # program 23%, comparison 22%: overall 22.5% rounds (half up) to row 23 -> cautious 5.1
    assert attrition(100, 77, 100, 78).max_differential_pp == 5.1
    # program 22%, comparison 22.4% (n = 250): overall 22.22% -> row 22 -> cautious 5.2
    assert attrition(100, 78, 250, 194).max_differential_pp == 5.2


def test_beyond_the_table_is_high_attrition():
    # 60% attrition in both groups: beyond the cautious table (57%), within the optimistic (1.4 at 60%)
    cautious = attrition(100, 40, 100, 40)
    assert math.isnan(cautious.max_differential_pp) and cautious.verdict == "high attrition"
    assert "beyond the cautious boundary" in cautious.note
    assert attrition(100, 40, 100, 40, boundary="optimistic").verdict == "low attrition"
    # 61% vs 59%: differential 2 points > 1.4 -> high
    assert attrition(100, 39, 100, 41, boundary="optimistic").verdict == "high attrition"


def test_attrition_wrong_input_raises():
    with pytest.raises(InputError, match="exceeds n_assigned_program"):
        attrition(10, 12, 10, 8)
    with pytest.raises(InputError, match="n_assigned_comparison is 0"):
        attrition(10, 8, 0, 0)
    with pytest.raises(InputError, match="whole number"):
        attrition(10.5, 8, 10, 8)
    with pytest.raises(InputError, match="whole number"):
        attrition(10, -1, 10, 8)
    with pytest.raises(InputError, match="unknown boundary 'liberal'"):
        attrition(10, 8, 10, 8, boundary="liberal")


# ---------------------------------------------------------------------- baseline equivalence

def test_hedges_g_by_hand():
    res = baseline_equivalence([3.1, 3.4, 2.9, 3.8, 3.3], [3.0, 3.5, 2.8, 3.6, 3.2])
    # means 16.5/5 = 3.3 and 16.1/5 = 3.22; sums of squared deviations 0.46 and 0.448;
    # pooled SD = sqrt((0.46 + 0.448) / 8); omega = 1 - 3 / (4 * 10 - 9) = 28/31
    expected = (28 / 31) * 0.08 / math.sqrt(0.908 / 8)  # = 0.21448...
    assert res.effect_size == pytest.approx(expected, rel=1e-12)
    assert (res.mean_program, res.mean_comparison) == (pytest.approx(3.3), pytest.approx(3.22))
    assert res.verdict == "needs statistical adjustment"
    assert (res.kind, res.n_program, res.n_comparison, res.n_dropped) == ("continuous", 5, 5, 0)


def test_cox_index_by_hand():
    program = [1, 1, 1, 0, 0, 1, 1, 0, 1, 1]  # 7/10
    comparison = [1, 0, 0, 1, 0, 1, 0, 0, 1, 0, None]  # 4/10, one missing
    res = baseline_equivalence(program, comparison, kind="binary")
    # logit(0.7) - logit(0.4) = ln(7/3) - ln(4/6) = ln(3.5); omega = 1 - 3 / (4 * 20 - 9) = 68/71
    assert res.effect_size == pytest.approx((68 / 71) * math.log(3.5) / 1.65, rel=1e-12)  # 0.72717
    assert res.verdict == "not equivalent" and res.n_dropped == 1
    assert (res.mean_program, res.mean_comparison) == (pytest.approx(0.7), pytest.approx(0.4))


def test_cox_index_with_a_zero_cell_adds_one_half():
    res = baseline_equivalence([1, 1, 1, 1], [1, 0, 1, 1], kind="binary")
    # cells 4/0 and 3/1 become 4.5/0.5 and 3.5/1.5: ln(9 / (7/3)) = ln(27/7); omega = 1 - 3/23 = 20/23
    assert res.effect_size == pytest.approx((20 / 23) * math.log(27 / 7) / 1.65, rel=1e-12)
    assert "Haldane" in res.note


def test_equivalence_thresholds():
    # WWC: |d| <= 0.05 satisfied; <= 0.25 adjustment; > 0.25 not equivalent (either sign)
    assert _equivalence_verdict(0.05) == "satisfied"
    assert _equivalence_verdict(-0.0501) == "needs statistical adjustment"
    assert _equivalence_verdict(0.25) == "needs statistical adjustment"
    assert _equivalence_verdict(-0.2501) == "not equivalent"
    assert baseline_equivalence([1, 2, 3], [1, 2, 3]).verdict == "satisfied"


def test_baseline_degenerate_and_wrong_input():
    few = baseline_equivalence([3.0], [2.0, 4.0])
    assert math.isnan(few.effect_size) and few.verdict == "not assessed" and "at least 2" in few.note
    flat = baseline_equivalence([2.0, 2.0], [2.0, 2.0])
    assert math.isnan(flat.effect_size) and "same baseline value" in flat.note
    with pytest.raises(InputError, match="0/1"):
        baseline_equivalence([0, 1, 2], [0, 1], kind="binary")
    with pytest.raises(InputError, match="unknown kind 'ordinal'"):
        baseline_equivalence([0, 1], [0, 1], kind="ordinal")
    with pytest.raises(InputError, match="numbers only"):
        baseline_equivalence(["a", 1], [0, 1])


# ------------------------------------------------------------------- difference in differences

PROGRAM_PRE = [12, 15, 11, 14, 10, 13, 16, 12]
PROGRAM_POST = [16, 18, 13, 19, 12, 17, 18, 15]
COMPARISON_PRE = [13, 12, 14, 11, 15, 12, 13]
COMPARISON_POST = [14, 13, 14, 13, 15, 14, 13]


def test_diff_in_diff_matches_r_welch_t_test():
    res = diff_in_diff(PROGRAM_PRE, PROGRAM_POST, COMPARISON_PRE, COMPARISON_POST)
    # R: r <- t.test(qp - pp, qc - pc)   (Welch), with the four vectors above
    assert res.program_change == pytest.approx(3.125, rel=REL)  # r$estimate[1]
    assert res.comparison_change == pytest.approx(0.857142857142857, rel=REL)  # r$estimate[2]
    assert res.estimate == pytest.approx(2.26785714285714, rel=REL)
    assert res.t == pytest.approx(4.33150357567169, rel=REL)  # r$statistic
    assert res.df == pytest.approx(12.9181999985757, rel=REL)  # r$parameter
    assert res.pvalue == pytest.approx(0.000826012637734591, rel=REL)  # r$p.value
    assert res.ci_low == pytest.approx(1.13601852497858, rel=REL)  # r$conf.int
    assert res.ci_high == pytest.approx(3.39969576073571, rel=REL)
    assert res.se == pytest.approx(0.523572727861702, rel=REL)  # r$stderr
    assert (res.n_program, res.n_comparison, res.n_dropped, res.note) == (8, 7, 0, "")


def test_diff_in_diff_level_and_missing_pairs():
    res = diff_in_diff(PROGRAM_PRE + [np.nan], PROGRAM_POST + [20], COMPARISON_PRE + [12], COMPARISON_POST + [None],
                       conf_level=0.90)
    # R: t.test(qp - pp, qc - pc, conf.level = 0.9)$conf.int
    assert res.ci_low == pytest.approx(1.34019552336065, rel=REL)
    assert res.ci_high == pytest.approx(3.19551876235363, rel=REL)
    assert res.n_dropped == 2


def test_diff_in_diff_degenerate_and_wrong_input():
    one = diff_in_diff([1], [2], [1, 2], [2, 3])
    assert math.isnan(one.pvalue) and one.estimate == 0 and "at least 2" in one.note
    same = diff_in_diff([1, 2], [2, 3], [1, 2], [1, 2])
    assert math.isnan(same.t) and same.estimate == 1 and "same amount" in same.note
    with pytest.raises(InputError, match="same length"):
        diff_in_diff([1, 2], [2], [1, 2], [2, 3])


# ----------------------------------------------------------------------------- reliable change

def test_reliable_change_by_hand():
    res = reliable_change([10, 12, 14, 16], [15, 12, 13, 22], reliability=0.8, sd_pre=4)
    # SE_diff = sqrt(2) * 4 * sqrt(1 - 0.8) = 4 * sqrt(0.4) = 2.5298; changes 5, 0, -1, 6 ->
    # RCI 1.976, 0, -0.395, 2.372 -> two above 1.96
    assert res.se_diff == pytest.approx(4 * math.sqrt(0.4), rel=1e-12)
    assert res.rci.tolist() == pytest.approx([5 / (4 * math.sqrt(0.4)), 0, -1 / (4 * math.sqrt(0.4)),
                                              6 / (4 * math.sqrt(0.4))])
    assert (res.n_improved, res.n_unchanged, res.n_worsened) == (2, 2, 0)
    assert (res.prop_improved, res.prop_unchanged, res.prop_worsened) == (0.5, 0.5, 0.0)
    lower_better = reliable_change([10, 12, 14, 16], [15, 12, 13, 22], reliability=0.8, sd_pre=4,
                                   higher_is_better=False)
    assert (lower_better.n_improved, lower_better.n_worsened) == (0, 2)


def test_reliable_change_default_sd_and_missing():
    pre = pd.Series([10, 12, 14, 16, 12, np.nan], index=list("abcdef"))
    post = [15, 12, 13, 22, 6, 10]
    res = reliable_change(pre, post, reliability=0.8)
    # SD of pre 10, 12, 14, 16, 12: mean 12.8, squared deviations sum 20.8, variance 5.2;
    # SE_diff = sqrt(2 * 5.2 * 0.2) = sqrt(2.08); changes 5, 0, -1, 6, -6 -> RCI 3.47, 0, -0.69, 4.16, -4.16
    assert res.sd_pre == pytest.approx(math.sqrt(5.2), rel=1e-12)
    assert res.se_diff == pytest.approx(math.sqrt(2.08), rel=1e-12)
    assert (res.n, res.n_dropped, res.n_improved, res.n_unchanged, res.n_worsened) == (5, 1, 2, 2, 1)
    assert list(res.rci.index) == list("abcdef") and math.isnan(res.rci["f"])
    # a stricter criterion: |RCI| > 4 keeps 4.16 and -4.16 only
    strict = reliable_change(pre, post, reliability=0.8, criterion=4.0)
    assert (strict.n_improved, strict.n_worsened) == (1, 1)


def test_reliable_change_degenerate_and_wrong_input():
    flat = reliable_change([3, 3, 3], [4, 3, 2], reliability=0.7)
    assert math.isnan(flat.prop_improved) and "sd_pre is 0" in flat.note
    with pytest.raises(InputError, match="reliability must be at least 0 and below 1"):
        reliable_change([1, 2], [2, 3], reliability=1.0)
    with pytest.raises(InputError, match="same length"):
        reliable_change([1, 2], [2], reliability=0.8)
    with pytest.raises(InputError, match="criterion must be positive"):
        reliable_change([1, 2], [2, 3], reliability=0.8, criterion=-1)


# ----------------------------------------------------------------------------- normalized gain

def test_normalized_gain_by_hand():
    res = normalized_gain([8, 10, 12, 20, None], [14, 15, 18, 20, 19], max_score=20)
    # means: pre 50/4 = 12.5, post 67/4 = 16.75; <g> = 4.25 / 7.5 = 0.5667 -> medium
    assert res.g_average == pytest.approx(4.25 / 7.5, rel=1e-12)
    assert res.band == "medium"
    # individual gains excluding the participant at 20 (ceiling): 6/12, 5/10, 6/8 -> mean 0.5833
    assert res.g_individual_mean == pytest.approx((0.5 + 0.5 + 0.75) / 3, rel=1e-12)
    assert (res.n, res.n_dropped, res.n_ceiling) == (4, 1, 1)


@pytest.mark.parametrize(
    "pre, post, band",
    [
        ([0, 0], [15, 16], "high"),  # 15.5 / 20 = 0.775
        ([0], [14], "high"),  # 14 / 20 = 0.7, the lower edge of "high"
        ([10], [13], "medium"),  # 3 / 10 = 0.3, the lower edge of "medium"
        ([10, 10], [11, 12], "low"),  # 1.5 / 10 = 0.15
        ([10], [8], "low"),  # a loss: -2 / 10 = -0.2
    ],
)
def test_hake_bands(pre, post, band):
    assert normalized_gain(pre, post, max_score=20).band == band


def test_normalized_gain_min_score_only_checks_range():
    # (post - pre) / (max - pre) does not depend on the minimum: (4 - 2) / (5 - 2) = 2/3
    assert normalized_gain([2], [4], max_score=5, min_score=1).g_average == pytest.approx(2 / 3)
    with pytest.raises(InputError, match="outside the score range 1 to 5"):
        normalized_gain([0], [4], max_score=5, min_score=1)
    with pytest.raises(InputError, match="min_score must be below max_score"):
        normalized_gain([2], [4], max_score=5, min_score=5)
    ceiling = normalized_gain([20, 20], [20, 19], max_score=20)
    assert math.isnan(ceiling.g_average) and ceiling.band == "not assessed" and "no room" in ceiling.note


# ----------------------------------------------------------------------------- goal attainment

@pytest.mark.parametrize(
    "estimate, low, high, target, higher_is_better, verdict",
    [
        (0.82, 0.76, 0.87, 0.75, True, "met"),  # a proportion whose interval is above the target
        (0.70, 0.64, 0.74, 0.75, True, "not met"),
        (0.78, 0.72, 0.83, 0.75, True, "inconclusive"),
        (0.80, 0.75, 0.85, 0.75, True, "inconclusive"),  # the target on the interval's edge
        (2.0, 1.0, 3.0, 4.0, False, "met"),  # e.g. absences, lower is better
        (5.0, 4.5, 5.5, 4.0, False, "not met"),
    ],
)
def test_goal_attainment(estimate, low, high, target, higher_is_better, verdict):
    res = goal_attainment(estimate, low, high, target, higher_is_better=higher_is_better)
    assert res.verdict == verdict
    assert (res.estimate, res.ci_low, res.ci_high, res.target) == (estimate, low, high, target)


def test_goal_attainment_missing_and_wrong_input():
    res = goal_attainment(float("nan"), float("nan"), float("nan"), 0.75)
    assert res.verdict == "not assessed" and "missing" in res.note
    with pytest.raises(InputError, match="ci_low <= estimate <= ci_high"):
        goal_attainment(0.8, 0.9, 0.7, 0.75)
    with pytest.raises(InputError, match="target must be a number"):
        goal_attainment(0.8, 0.7, 0.9, "75%")
