"""two_group_test against R 4.2.2 (t.test, wilcox.test) on MASS::anorexia weight changes
(family treatment vs control) and hand-made vectors."""
import math
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats import TwoGroupResult, two_group_test

REL = 1e-6


@pytest.fixture(scope="module")
def ft_cont():
    an = pd.read_csv(Path(__file__).parent / "datasets" / "anorexia.csv")
    ch = an.Postwt - an.Prewt
    return ch[an.Treat == "FT"], ch[an.Treat == "Cont"]


@pytest.mark.parametrize(
    "method, alternative, t, df, p, low, high",
    [
        # R: an <- MASS::anorexia; ch <- Postwt - Prewt; a <- ch[Treat == "FT"]; b <- ch[Treat == "Cont"]
        # t.test(a, b, var.equal = FALSE / TRUE, alternative = ...)
        ("welch", "two-sided", 3.29916000389771114, 36.97886392946430334, 0.00215181355751961,
         2.97659664152476777, 12.45281512318111439),
        ("student", "two-sided", 3.22267648080641944, 41.0, 0.00249101341840799,
         2.88016394272325282, 12.54924782198263067),
        ("welch", "greater", 3.2991600038977111, 36.9788639294643033, 0.0010759067787598,
         3.7695737684781054, math.inf),
        ("student", "greater", 3.222676480806419, 41.0, 0.001245506709204, 3.686095222964998, math.inf),
    ],
)
def test_t_tests_match_r(ft_cont, method, alternative, t, df, p, low, high):
    r = two_group_test(*ft_cont, method=method, alternative=alternative)
    assert isinstance(r, TwoGroupResult)
    assert (r.n_a, r.n_b) == (17, 26)
    assert r.statistic == pytest.approx(t, rel=REL)
    assert r.df == pytest.approx(df, rel=REL)
    assert r.pvalue == pytest.approx(p, rel=REL)
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=REL)
    # R: mean(a) - mean(b) = 7.26470588235294 - (-0.45)
    assert r.mean_diff == pytest.approx(7.264705882352941 + 0.45, rel=REL)


def test_hedges_g_and_interval(ft_cont):
    r = two_group_test(*ft_cont)
    # R: sp <- sqrt(((na-1)*var(a) + (nb-1)*var(b))/(N-2)); d <- (mean(a)-mean(b))/sp; J <- 1-3/(4*N-9)
    #    J*d = 0.986670584809761; bounds: uniroot(function(ncp) pt(d/s, N-2, ncp) - p, ...)$root * s * J
    #    with s = sqrt(1/na + 1/nb): p = .975 -> 0.344599367998390, p = .025 -> 1.618037085935635
    assert r.effect_size_name == "Hedges' g"
    assert r.effect_size == pytest.approx(0.986670584809761, rel=REL)
    assert (r.effect_ci_low, r.effect_ci_high) == pytest.approx((0.344599367998390, 1.618037085935635), rel=REL)
    g = two_group_test(*ft_cont, alternative="greater")
    assert g.effect_ci_low == pytest.approx(0.446708737613999, rel=REL)  # same uniroot, p = .95
    assert g.effect_ci_high == math.inf


def test_mann_whitney_anorexia_normal_approximation(ft_cont):
    # R: wilcox.test(a, b) -> W = 336, p-value = 4.45094554534289e-03 (ties: normal approximation)
    r = two_group_test(*ft_cont, method="mannwhitney")
    assert r.statistic == 336
    assert r.pvalue == pytest.approx(4.45094554534289e-03, rel=REL)
    # hand: rank-biserial r = 2 W / (17 * 26) - 1 = 672 / 442 - 1
    assert r.effect_size == pytest.approx(672 / 442 - 1, rel=REL)
    se = math.sqrt((17 + 26 + 1) / (3 * 17 * 26))  # effectsize::rank_biserial SE
    z = 1.959963984540054
    assert r.effect_ci_low == pytest.approx(math.tanh(math.atanh(672 / 442 - 1) - z * se), rel=REL)
    # R: wilcox.test(a, b, alternative = "greater") -> p = 2.22547277267144e-03
    g = two_group_test(*ft_cont, method="mannwhitney", alternative="greater")
    assert g.pvalue == pytest.approx(2.22547277267144e-03, rel=REL)
    assert math.isnan(r.ci_low) and r.note


@pytest.mark.parametrize(
    "alternative, p",
    [  # R: wilcox.test(c(3.1,4.5,2.2,5.8,4.9,3.3), c(2.0,1.4,3.9,2.6,1.1,0.7,2.9), alternative = ...)
        ("two-sided", 0.0221445221445221), ("less", 0.993006993006993), ("greater", 0.0110722610722611),
    ],
)
def test_mann_whitney_exact(alternative, p):
    r = two_group_test([3.1, 4.5, 2.2, 5.8, 4.9, 3.3], [2.0, 1.4, 3.9, 2.6, 1.1, 0.7, 2.9], "mannwhitney", alternative)
    assert r.statistic == 37  # R: W = 37
    assert r.pvalue == pytest.approx(p, rel=REL)
    assert "exact" in r.note


@pytest.mark.parametrize("correction, p", [(True, 0.032907947248156), (False, 0.0283462890610249)])
def test_mann_whitney_ties_small(correction, p):
    # R: wilcox.test(c(3,4,2,5,4,3,5), c(2,1,3,2,1,3,2,4), correct = ...) -> W = 46.5
    r = two_group_test([3, 4, 2, 5, 4, 3, 5], [2, 1, 3, 2, 1, 3, 2, 4], "mannwhitney", correction=correction)
    assert r.statistic == 46.5
    assert r.pvalue == pytest.approx(p, rel=REL)


def test_missing_values_dropped(ft_cont):
    a, b = ft_cont
    r = two_group_test(list(a) + [None], list(b) + [float("nan")] * 2)
    assert (r.n_a, r.n_b) == (17, 26)
    assert r.statistic == pytest.approx(3.29916000389771114, rel=REL)


def test_degenerate_inputs():
    r = two_group_test([1.0], [2.0, 3.0])
    assert math.isnan(r.pvalue) and "at least 2" in r.note
    r = two_group_test([2, 2, 2], [3, 3])
    assert math.isnan(r.statistic) and "zero variance" in r.note and r.mean_diff == -1
    r = two_group_test([2, 2], [2, 2, 2], "mannwhitney")
    assert math.isnan(r.pvalue) and r.note
    r = two_group_test([], [1, 2], "mannwhitney")
    assert math.isnan(r.pvalue) and r.note


def test_wrong_input():
    with pytest.raises(InputError, match="unknown method"):
        two_group_test([1, 2], [3, 4], method="wilcoxon")
    with pytest.raises(InputError, match="numbers"):
        two_group_test([1, "x"], [3, 4])
    with pytest.raises(InputError, match="alternative"):
        two_group_test([1, 2], [3, 4], alternative="bigger")
    with pytest.raises(InputError, match="conf_level"):
        two_group_test([1, 2], [3, 4], conf_level=0)
