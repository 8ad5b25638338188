"""paired_test against R 4.2.2 (t.test, wilcox.test, binom.test) and hand calculation.

Every reference number below was produced by the R call written beside it; the data are
Student's sleep data (datasets::sleep), Hand et al.'s anorexia data (MASS::anorexia) and
small hand-made vectors with ties and zero changes.
"""
from pathlib import Path

import math

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats import PairedResult, paired_test

DATA = Path(__file__).parent / "datasets"
REL = 1e-6
# R's asymptotic Hodges-Lehmann interval comes from uniroot(tol = 1e-4); ours is the exact
# step location (a Walsh average), so those bounds agree to R's tolerance only.
HL_ABS = 1e-4


@pytest.fixture(scope="module")
def sleep():
    s = pd.read_csv(DATA / "sleep.csv")
    return s.extra[s.group == 1].to_numpy(), s.extra[s.group == 2].to_numpy()


@pytest.fixture(scope="module")
def cbt():
    a = pd.read_csv(DATA / "anorexia.csv")
    a = a[a.Treat == "CBT"]
    return a.Prewt, a.Postwt  # pandas Series on purpose


# 14 Likert answers with ties and four zero changes (hand-made)
LIKERT_PRE = [3, 4, 2, 5, 3, 4, 4, 2, 3, 5, 1, 2, 4, 3]
LIKERT_POST = [4, 4, 3, 4, 5, 5, 3, 3, 3, 5, 3, 2, 5, 4]
# 12 untied, non-zero changes (hand-made): exact signed-rank distribution
EXACT_PRE = np.arange(1.0, 13.0)
EXACT_POST = EXACT_PRE + np.array([1.5, 2.3, -0.4, 3.1, 0.9, 4.2, -1.1, 2.8, 0.6, 1.9, 3.5, -0.2])


def test_sleep_paired_t_matches_student_and_r(sleep):
    pre, post = sleep
    r = paired_test(pre, post)
    # R: t.test(extra[11:20], extra[1:10], paired = TRUE) -> t = 4.0621, df = 9, p-value = 0.002833,
    #    95 percent CI 0.7001142 2.4598858, mean difference 1.58
    assert isinstance(r, PairedResult)
    assert r.n == 10 and r.n_dropped == 0
    assert r.statistic == pytest.approx(4.062127683382037, rel=REL)
    assert r.df == 9
    assert r.pvalue == pytest.approx(0.00283289019738427, rel=REL)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.700114236662792, 2.45988576333721), rel=REL)
    assert r.mean_diff == pytest.approx(1.58, rel=REL)
    assert (r.mean_pre, r.mean_post) == pytest.approx((0.75, 2.33), rel=REL)
    assert r.median_diff == pytest.approx(1.3, rel=REL)  # hand: median of the 10 changes (R: median(d))


def test_sleep_cohens_dz_and_noncentral_t_interval(sleep):
    pre, post = sleep
    r = paired_test(pre, post)
    # R: d <- extra[11:20] - extra[1:10]; mean(d)/sd(d) = 1.284557562591
    # R: uniroot(function(ncp) pt(4.0621276834, 9, ncp) - 0.975, c(-20, 40), tol = 1e-13)$root / sqrt(10)
    #    = 0.414627756380 and with 0.025 -> 2.118016513977
    assert r.effect_size_name == "Cohen's d_z"
    assert r.effect_size == pytest.approx(1.284557562591, rel=REL)
    assert (r.effect_ci_low, r.effect_ci_high) == pytest.approx((0.414627756380, 2.118016513977), rel=REL)
    g = paired_test(pre, post, alternative="greater")
    # same uniroot with 0.95 -> 0.544639765922; R t.test(..., alternative = "greater"):
    # p = 0.001416445, CI 0.8669947 Inf
    assert g.effect_ci_low == pytest.approx(0.544639765922, rel=REL) and g.effect_ci_high == math.inf
    assert g.pvalue == pytest.approx(0.001416445098692135, rel=REL)
    assert g.ci_low == pytest.approx(0.866994733, rel=1e-8) and g.ci_high == math.inf
    le = paired_test(pre, post, alternative="less")
    # same uniroot with 0.05 -> 1.974615345115; R t.test(..., "less"): p = 0.9985836, CI -Inf 2.293005
    assert le.effect_ci_low == -math.inf
    assert le.effect_ci_high == pytest.approx(1.974615345115, rel=REL)
    assert le.ci_high == pytest.approx(2.293005267, rel=1e-8)


def test_sleep_wilcoxon_normal_approximation(sleep):
    pre, post = sleep
    # R: wilcox.test(extra[11:20], extra[1:10], paired = TRUE, conf.int = TRUE)
    #    V = 45, p-value = 0.009091 (ties and one zero -> normal approx.), CI 1.050018 2.949921
    r = paired_test(pre, post, method="wilcoxon")
    assert r.statistic == 45
    assert r.pvalue == pytest.approx(0.009090698, rel=1e-7)
    assert r.ci_low == pytest.approx(1.050017991, abs=HL_ABS)
    assert r.ci_high == pytest.approx(2.949920800, abs=HL_ABS)
    assert "normal approximation" in r.note
    # all nine non-zero changes are positive: rank-biserial r = 1 (Kerby 2014), no Fisher-z interval
    assert r.effect_size == 1.0 and math.isnan(r.effect_ci_low)
    g = paired_test(pre, post, method="wilcoxon", alternative="greater")
    # R: same call with alternative = "greater": p = 0.004545349, CI 1.149967 Inf
    assert g.pvalue == pytest.approx(0.004545349, rel=1e-7)
    assert g.ci_low == pytest.approx(1.149967446, abs=HL_ABS) and g.ci_high == math.inf


def test_sleep_sign_test(sleep):
    pre, post = sleep
    r = paired_test(pre, post, method="sign")
    # R: binom.test(9, 9) -> p = 0.00390625, 95% CI 0.6637329 1.0000000
    assert r.statistic == 9
    assert r.pvalue == pytest.approx(0.00390625, rel=REL)
    assert (r.effect_ci_low, r.effect_ci_high) == pytest.approx((0.66373288, 1.0), rel=1e-7)
    # hand: sorted changes 0 .8 1 1.2 1.3 1.3 1.4 1.8 2.4 4.6; P(Bin(10, .5) <= 1) = 11/1024 <= .025
    # and P(<= 2) = 56/1024 > .025, so the median interval is [x(2), x(9)] = [0.8, 2.4]
    assert (r.ci_low, r.ci_high) == pytest.approx((0.8, 2.4), rel=REL)


def test_anorexia_cbt(cbt):
    pre, post = cbt
    t = paired_test(pre, post)
    # R: with(subset(MASS::anorexia, Treat == "CBT"), t.test(Postwt, Prewt, paired = TRUE))
    assert t.n == 29
    assert t.statistic == pytest.approx(2.215587843931166, rel=REL)
    assert t.df == 28
    assert t.pvalue == pytest.approx(0.0350225975621888, rel=REL)
    assert (t.ci_low, t.ci_high) == pytest.approx((0.2268901583587766, 5.7869029450895004), rel=REL)
    w = paired_test(pre, post, method="wilcoxon")
    # R: same data, wilcox.test(Postwt, Prewt, paired = TRUE, conf.int = TRUE)
    #    V = 303.5, p = 0.0644656393443706, CI -0.0500285874654219 5.95000111791823
    assert w.statistic == 303.5
    assert w.pvalue == pytest.approx(0.0644656393443706, rel=REL)
    assert w.ci_low == pytest.approx(-0.0500285874654219, abs=HL_ABS)
    assert w.ci_high == pytest.approx(5.95000111791823, abs=HL_ABS)
    s = paired_test(pre, post, method="sign")
    # R: d <- Postwt - Prewt; binom.test(sum(d > 0), sum(d != 0)) -> 18 of 29, p = 0.264930896461010
    assert s.statistic == 18
    assert s.pvalue == pytest.approx(0.264930896461010, rel=REL)
    assert (s.effect_ci_low, s.effect_ci_high) == pytest.approx((0.422604640664401, 0.793131300513493), rel=REL)


@pytest.mark.parametrize(
    "alternative, correction, p, low, high",
    [
        # R: wilcox.test(post, pre, paired = TRUE, conf.int = TRUE, alternative = ..., correct = ...)
        ("two-sided", True, 0.051746626954596843, -0.000032901726002728, 1.500012409946781311),
        ("two-sided", False, 4.55791547879257e-02, -3.94123368235223e-05, 1.50001686593056),
        ("greater", True, 2.58733134772984e-02, 5.77743311205902e-05, math.inf),
        ("greater", False, 2.27895773939628e-02, 4.14705875845662e-05, math.inf),
        ("less", True, 0.979978461131108, -math.inf, 1.499995588988108),
        ("less", False, 0.977210422606037, -math.inf, 1.499932888900359),
    ],
)
def test_wilcoxon_ties_and_zeros_match_r(alternative, correction, p, low, high):
    r = paired_test(LIKERT_PRE, LIKERT_POST, "wilcoxon", alternative, correction=correction)
    assert r.statistic == 46  # R: V = 46
    assert r.n == 14 and r.n_dropped == 0
    assert r.pvalue == pytest.approx(p, rel=REL)
    assert r.ci_low == pytest.approx(low, abs=HL_ABS)
    assert r.ci_high == pytest.approx(high, abs=HL_ABS)
    assert "4 zero change(s) dropped" in r.note


def test_likert_t_and_sign():
    t = paired_test(LIKERT_PRE, LIKERT_POST)
    # R: t.test(post, pre, paired = TRUE) -> t = 2.28035085019828, df = 13, p = 0.0400929126477477
    assert t.statistic == pytest.approx(2.2803508501982757, rel=REL)
    assert t.pvalue == pytest.approx(0.0400929126477477, rel=REL)
    assert (t.ci_low, t.ci_high) == pytest.approx((0.0300660986256445, 1.1127910442314983), rel=REL)
    s = paired_test(LIKERT_PRE, LIKERT_POST, method="sign")
    # R: binom.test(8, 10) -> p = 0.109375, CI 0.443904537692359 0.974789273673167
    assert s.statistic == 8
    assert s.pvalue == pytest.approx(0.109375, rel=REL)
    assert (s.effect_ci_low, s.effect_ci_high) == pytest.approx((0.443904537692359, 0.974789273673167), rel=REL)


def test_wilcoxon_exact_matches_r():
    # R: wilcox.test(post, pre, paired = TRUE, conf.int = TRUE) -> V = 70, p = 0.01220703125, CI 0.4 2.8
    r = paired_test(EXACT_PRE, EXACT_POST, "wilcoxon")
    assert r.statistic == 70
    assert r.pvalue == pytest.approx(0.01220703125, rel=REL)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.4, 2.8), rel=REL)
    assert "exact" in r.note
    # hand: r = (2 V - S) / S with S = 12 * 13 / 2 = 78 -> 62 / 78
    assert r.effect_size == pytest.approx(62 / 78, rel=REL)
    # hand: SE = sqrt((2 n^3 + 3 n^2 + n) / 6) / S = sqrt(650) / 78 (effectsize::rank_biserial formula)
    se = math.sqrt(650) / 78
    z = 1.959963984540054
    assert r.effect_ci_low == pytest.approx(math.tanh(math.atanh(62 / 78) - z * se), rel=REL)
    assert r.effect_ci_high == pytest.approx(math.tanh(math.atanh(62 / 78) + z * se), rel=REL)
    g = paired_test(EXACT_PRE, EXACT_POST, "wilcoxon", "greater", conf_level=0.9)
    # R: ..., alternative = "greater", conf.level = 0.9 -> p = 0.006103515625, CI 0.85 Inf
    assert g.pvalue == pytest.approx(0.006103515625, rel=REL)
    assert g.ci_low == pytest.approx(0.85, rel=REL) and g.ci_high == math.inf
    le = paired_test(EXACT_PRE, EXACT_POST, "wilcoxon", "less", conf_level=0.9)
    # R: ..., alternative = "less", conf.level = 0.9 -> p = 0.995361328125, CI -Inf 2.35
    assert le.pvalue == pytest.approx(0.995361328125, rel=REL)
    assert le.ci_low == -math.inf and le.ci_high == pytest.approx(2.35, rel=REL)


def test_wilcoxon_large_sample_uses_normal_approximation():
    pre = np.arange(1.0, 61.0)
    post = pre + np.round(3 * np.sin(np.arange(1, 61)) + 0.4, 4)  # 60 untied, non-zero changes
    # R: ch <- round(3*sin(1:60)+0.4, 4); wilcox.test(1:60 + ch, 1:60, paired = TRUE, conf.int = TRUE)
    #    V = 1168, p = 0.0630548178234671, CI -0.0324101449116951 1.02973228408569
    r = paired_test(pre, post, "wilcoxon")
    assert r.statistic == 1168
    assert r.pvalue == pytest.approx(0.0630548178234671, rel=REL)
    assert r.ci_low == pytest.approx(-0.0324101449116951, abs=HL_ABS)
    assert r.ci_high == pytest.approx(1.02973228408569, abs=HL_ABS)
    # R: same with correct = FALSE, conf.level = 0.9 -> p = 0.0625346790538918, CI 0.0588416699 0.9239288377
    r = paired_test(pre, post, "wilcoxon", correction=False, conf_level=0.9)
    assert r.pvalue == pytest.approx(0.0625346790538918, rel=REL)
    assert r.ci_low == pytest.approx(0.0588416699387623, abs=HL_ABS)
    assert r.ci_high == pytest.approx(0.923928837725249, abs=HL_ABS)


def test_missing_pairs_are_dropped_and_counted(sleep):
    pre, post = sleep
    r = paired_test(list(pre) + [np.nan, 5.0], list(post) + [3.0, None])
    assert r.n == 10 and r.n_dropped == 2
    assert r.statistic == pytest.approx(4.062127683382037, rel=REL)  # as the complete sleep data


def test_accepts_series_lists_and_arrays(sleep):
    pre, post = sleep
    a = paired_test(pd.Series(pre), pd.Series(post, index=range(100, 110)), "wilcoxon")
    b = paired_test(list(pre), list(post), "wilcoxon")
    assert a.to_dict() == b.to_dict()  # position, not index label, defines the pairs


@pytest.mark.parametrize("method", ["t", "wilcoxon", "sign"])
def test_all_changes_zero_gives_nan_and_note(method):
    r = paired_test([1, 2, 3, 4], [1, 2, 3, 4], method=method)
    assert math.isnan(r.statistic) and math.isnan(r.pvalue) and math.isnan(r.ci_low)
    assert r.note and r.mean_diff == 0


def test_t_degenerate_inputs():
    one = paired_test([1.0], [2.0])
    assert math.isnan(one.pvalue) and "at least 2" in one.note
    same = paired_test([1, 2, 3], [2, 3, 4])  # every change is +1: SD 0
    assert math.isnan(same.statistic) and "SD" in same.note and same.mean_diff == 1
    empty = paired_test([np.nan, 1.0], [2.0, np.nan])
    assert empty.n == 0 and empty.n_dropped == 2 and math.isnan(empty.pvalue) and empty.note


def test_exact_wilcoxon_too_few_pairs_for_interval():
    r = paired_test([1, 2, 3], [2, 4, 6], "wilcoxon")  # 3 changes: smallest two-sided p is 0.25
    assert r.pvalue == pytest.approx(0.25, rel=REL)  # R: wilcox.test(c(2,4,6), 1:3, paired = TRUE)
    assert math.isnan(r.ci_low) and "not achievable" in r.note


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(pre=[1, 2, 3], post=[1, 2]), "same length"),
        (dict(pre=[1, "a", 3], post=[1, 2, 3]), "numbers only"),
        (dict(pre=[1, 2, 3], post=[1, 2, 3], method="ttest"), "unknown method"),
        (dict(pre=[1, 2, 3], post=[1, 2, 3], alternative="two.sided"), "unknown alternative"),
        (dict(pre=[1, 2, 3], post=[1, 2, 3], conf_level=95), "between 0 and 1"),
    ],
)
def test_wrong_input_raises_input_error(kwargs, match):
    with pytest.raises(InputError, match=match):
        paired_test(**kwargs)


def test_result_is_frozen_and_displays():
    r = paired_test([1, 2, 3, 5], [2, 4, 5, 9])
    with pytest.raises(AttributeError):
        r.n = 3
    assert r.to_dict()["method"] == "t"
    assert "PairedResult" in r._repr_html_()


@pytest.mark.parametrize("d", [[4.0, 5.0], [-4.0, -5.0], [3.0, 3.5, 2.9], [0.5, 40.0, 41.0], [1.0, 17.0]])
def test_effect_size_interval_of_two_or_three_pairs(d):
    """With df = 1 or 2, t can sit where scipy's noncentral t returns NaN while the interval is bracketed (changes 4
    and 5, by hand: mean 4.5, se 0.5, t = 9), which stopped the report (min_group_size=1 shows groups of two).
    The bounds must still solve their definition: P(T <= t | ncp_low) = 0.975 and P(T <= t | ncp_high) = 0.025."""
    from scipy import stats as st

    r = paired_test(np.zeros(len(d)), np.array(d), method="t")
    n, t = len(d), r.statistic
    assert t == pytest.approx(np.mean(d) / (np.std(d, ddof=1) / np.sqrt(n)))
    low, high = r.effect_ci_low * np.sqrt(n), r.effect_ci_high * np.sqrt(n)
    assert st.nct.cdf(t, n - 1, low) == pytest.approx(0.975, abs=1e-6)
    assert st.nct.cdf(t, n - 1, high) == pytest.approx(0.025, abs=1e-6)
    assert r.effect_ci_low < r.effect_size < r.effect_ci_high
