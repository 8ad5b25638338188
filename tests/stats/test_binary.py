"""mcnemar_test and proportion_ci against R 4.2.2 (mcnemar.test, binom.test, prop.test)
and Agresti's published presidential-approval example."""
import math

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats import McNemarResult, ProportionCI, mcnemar_test, proportion_ci

REL = 1e-6


def pairs(n00, n01, n10, n11):
    """Pre/post 0/1 vectors with the given cell counts (n01 = improved 0 -> 1)."""
    pre = [0] * (n00 + n01) + [1] * (n10 + n11)
    post = [0] * n00 + [1] * n01 + [0] * n10 + [1] * n11
    return pre, post


def test_agresti_presidential_approval():
    # Agresti (2013) Categorical Data Analysis, Table 11.1: 1600 people rated the Prime
    # Minister twice: approve/approve 794, approve/disapprove 150, disapprove/approve 86,
    # disapprove/disapprove 570. Coding approve = 1: improved (0 -> 1) = 86, worsened = 150.
    pre, post = pairs(570, 86, 150, 794)
    r = mcnemar_test(pre, post, correction=False)
    # Agresti reports z^2 = 17.36; R: mcnemar.test(matrix(c(794,86,150,570),2), correct=FALSE)
    #   McNemar's chi-squared = 17.3559322033898, p-value = 3.09929344104522e-05
    assert isinstance(r, McNemarResult)
    assert (r.n, r.n_improved, r.n_worsened) == (1600, 86, 150)
    assert r.statistic == pytest.approx(17.3559322033898, rel=REL)
    assert r.pvalue == pytest.approx(3.09929344104522e-05, rel=REL)
    # hand: proportions approving 0.59 and 0.55 (Agresti), difference -0.04
    assert (r.prop_pre, r.prop_post, r.diff) == pytest.approx((0.59, 0.55, -0.04), rel=REL)
    c = mcnemar_test(pre, post)
    # R: mcnemar.test(matrix(c(794,86,150,570),2)) -> 16.8177966101695, p = 4.11456228134594e-05
    assert c.statistic == pytest.approx(16.8177966101695, rel=REL)
    assert c.pvalue == pytest.approx(4.11456228134594e-05, rel=REL)
    e = mcnemar_test(pre, post, exact=True)
    # R: binom.test(86, 236) -> p = 3.71593613957143e-05, CI 0.302940423321968 0.429326751846450
    assert e.pvalue == pytest.approx(3.71593613957143e-05, rel=REL)
    assert e.odds_ratio == pytest.approx(86 / 150, rel=REL)
    # CI mapped through p / (1 - p): 0.434597606083669 0.752316239171127
    assert (e.or_ci_low, e.or_ci_high) == pytest.approx((0.434597606083669, 0.752316239171127), rel=REL)
    assert e.note == ""  # 236 discordant pairs


def test_small_table_recommends_exact():
    pre, post = pairs(12, 15, 5, 18)
    r = mcnemar_test(pd.Series(pre), np.array(post, dtype=bool))
    # R: mcnemar.test(matrix(c(12,5,15,18),2)) -> 4.05, p = 0.0441713449084427
    assert r.statistic == pytest.approx(4.05, rel=REL)
    assert r.pvalue == pytest.approx(0.0441713449084427, rel=REL)
    assert "exact=True" in r.note
    # R: binom.test(15, 20): p = 0.0413894653320313; conf.int / (1 - conf.int) = 1.03646962 10.55114971
    e = mcnemar_test(pre, post, exact=True)
    assert e.pvalue == pytest.approx(0.0413894653320313, rel=REL)
    assert e.odds_ratio == 3
    assert (e.or_ci_low, e.or_ci_high) == pytest.approx((1.0364696204894186, 10.5511497076284382), rel=REL)


def test_no_correction_when_discordant_counts_equal():
    pre, post = pairs(3, 4, 4, 3)
    r = mcnemar_test(pre, post)
    # R: mcnemar.test(matrix(c(3,4,4,3),2)) -> statistic 0, p-value 1 (R skips the correction)
    assert r.statistic == 0 and r.pvalue == 1


def test_only_improvements_give_infinite_odds_ratio():
    pre, post = pairs(2, 6, 0, 2)
    r = mcnemar_test(pre, post, exact=True)
    assert r.odds_ratio == math.inf and r.or_ci_high == math.inf
    # R: binom.test(6, 6)$p.value = 0.03125
    assert r.pvalue == pytest.approx(0.03125, rel=REL)


def test_missing_pairs_dropped():
    r = mcnemar_test([0, 1, None, 0, 1], [1, 1, 0, np.nan, 0])
    assert (r.n, r.n_dropped, r.n_improved, r.n_worsened) == (3, 2, 1, 1)


def test_no_discordant_pairs_gives_nan_and_note():
    r = mcnemar_test([0, 1, 1], [0, 1, 1])
    assert math.isnan(r.statistic) and math.isnan(r.pvalue) and "discordant" in r.note
    assert r.diff == 0


@pytest.mark.parametrize(
    "pre, post, match",
    [([0, 1, 2], [0, 1, 1], "0/1"), ([0, 1], [0, 1, 1], "same length"), (["y", "n"], [0, 1], "numbers")],
)
def test_mcnemar_wrong_input(pre, post, match):
    with pytest.raises(InputError, match=match):
        mcnemar_test(pre, post)


@pytest.mark.parametrize(
    "x, n, method, low, high",
    [
        # R: prop.test(x, n, correct = FALSE / TRUE)$conf.int
        (15, 20, "wilson", 0.531299122381256, 0.888138298592334),
        (15, 20, "wilson_cc", 0.505884541417155, 0.904067408130394),
        (0, 10, "wilson_cc", 0.0, 0.344537218306922),
        (10, 10, "wilson_cc", 0.655462781693077, 1.0),
        (10, 20, "wilson_cc", 0.299298008198212, 0.700701991801788),  # x = n/2: R drops the correction
        (1, 7, "wilson_cc", 0.00750281623486836, 0.57992165684947394),
        (29, 30, "wilson_cc", 0.809469783652179, 0.998257532947615),
    ],
)
def test_proportion_ci_matches_prop_test(x, n, method, low, high):
    ci = proportion_ci(x, n, method=method)
    assert isinstance(ci, ProportionCI)
    assert ci.estimate == pytest.approx(x / n)
    assert (ci.ci_low, ci.ci_high) == pytest.approx((low, high), rel=REL, abs=1e-12)
    assert (ci.n, ci.successes, ci.method) == (n, x, method)


@pytest.mark.parametrize("method", ["wilson", "wilson_cc"])
def test_proportion_ci_of_none_or_all_contains_its_estimate_exactly(method):
    """By hand: at x = n the Wilson upper bound is (1 + z^2/2n + z*sqrt(z^2/4n^2)) / (1 + z^2/n) = 1 exactly, and at
    x = 0 the lower bound is 0 (R's prop.test gives 0 and 1). statsmodels' floating point gave 1 - 1e-16 for 10 of 10,
    so a target met by everyone (100%) fell outside its own interval and the portfolio failed."""
    for n in range(1, 400):
        none, everyone = proportion_ci(0, n, method=method), proportion_ci(n, n, method=method)
        assert none.ci_low == 0.0 and none.ci_low <= none.estimate <= none.ci_high
        assert everyone.ci_high == 1.0 and everyone.ci_low <= everyone.estimate <= everyone.ci_high


def test_proportion_ci_conf_level():
    # R: prop.test(7, 40, conf.level = 0.9, correct = TRUE / FALSE)$conf.int
    cc = proportion_ci(7, 40, conf_level=0.9, method="wilson_cc")
    assert (cc.ci_low, cc.ci_high) == pytest.approx((0.0885970089216645, 0.3075150214737490), rel=REL)
    w = proportion_ci(7, 40, conf_level=0.9)
    assert (w.ci_low, w.ci_high) == pytest.approx((0.0977604430891172, 0.2934192985304305), rel=REL)


def test_proportion_ci_empty_and_wrong_input():
    empty = proportion_ci(0, 0)
    assert math.isnan(empty.ci_low) and empty.note
    for args, match in [((5, 3), "exceed"), ((-1, 3), "whole number"), ((1.5, 3), "whole number")]:
        with pytest.raises(InputError, match=match):
            proportion_ci(*args)
    with pytest.raises(InputError, match="unknown method"):
        proportion_ci(1, 3, method="wald")
    with pytest.raises(InputError, match="conf_level"):
        proportion_ci(1, 3, conf_level=1.5)
