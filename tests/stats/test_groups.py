"""oneway_test and friedman_test against R 4.2.2 (oneway.test, kruskal.test, friedman.test)
on MASS::anorexia weight changes by treatment and a hand-made three-wave Likert item."""
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats import friedman_test, oneway_test

REL = 1e-6


@pytest.fixture(scope="module")
def anorexia():
    return pd.read_csv(Path(__file__).parent / "datasets" / "anorexia.csv")


@pytest.fixture(scope="module")
def by_treat(anorexia):
    ch = anorexia.Postwt - anorexia.Prewt
    return {t: ch[anorexia.Treat == t] for t in ("CBT", "Cont", "FT")}


def test_anova(by_treat):
    r = oneway_test(by_treat)
    # R: an <- MASS::anorexia; oneway.test(Postwt - Prewt ~ Treat, an, var.equal = TRUE)
    #    F = 5.42229686823827, num df = 2, denom df = 69, p = 0.0064986529806997
    assert (r.k, r.n) == (3, 72)
    assert r.statistic == pytest.approx(5.4222968682382682, rel=REL)
    assert (r.df_num, r.df_den) == (2, 69)
    assert r.pvalue == pytest.approx(0.0064986529806997, rel=REL)
    # R: ss <- summary(aov(ch ~ Treat, an))[[1]][["Sum Sq"]]; ss[1] / sum(ss)
    assert r.effect_size == pytest.approx(0.135821265147502, rel=REL)
    assert r.effect_size_name == "eta squared"


def test_welch(by_treat):
    r = oneway_test(list(by_treat.values()), method="welch")
    # R: oneway.test(Postwt - Prewt ~ Treat, an, var.equal = FALSE)
    #    F = 5.35544171268804, num df = 2, denom df = 41.1358831188921, p = 0.00856849141171631
    assert r.statistic == pytest.approx(5.35544171268803737, rel=REL)
    assert r.df_num == 2
    assert r.df_den == pytest.approx(41.13588311889206039, rel=REL)
    assert r.pvalue == pytest.approx(0.00856849141171631, rel=REL)


def test_kruskal(by_treat):
    r = oneway_test(by_treat, method="kruskal")
    # R: kruskal.test(Postwt - Prewt ~ Treat, an) -> chi-squared = 9.04749909198748, df = 2,
    #    p = 0.0108482712228123
    assert r.statistic == pytest.approx(9.0474990919874809, rel=REL)
    assert r.df_num == 2 and math.isnan(r.df_den)
    assert r.pvalue == pytest.approx(0.0108482712228123, rel=REL)
    # hand: epsilon squared = H / (n - 1) = 9.0474990919874809 / 71
    assert r.effect_size == pytest.approx(9.0474990919874809 / 71, rel=REL)


def test_missing_values_dropped(by_treat):
    groups = [list(g) + [None] for g in by_treat.values()]
    r = oneway_test(groups)
    assert r.n == 72 and r.statistic == pytest.approx(5.4222968682382682, rel=REL)


def test_oneway_degenerate_and_wrong_input():
    assert math.isnan(oneway_test([[1, 1], [1, 1, 1]]).pvalue)
    r = oneway_test([[1, 1], [2, 2]])  # no variation within groups
    assert math.isnan(r.statistic) and r.effect_size == 1 and r.note
    r = oneway_test([[1, 2, 3], [4]], method="welch")
    assert math.isnan(r.pvalue) and "Welch" in r.note
    assert math.isnan(oneway_test([[1, 2], []]).pvalue)
    with pytest.raises(InputError, match="at least 2 groups"):
        oneway_test([[1, 2, 3]])
    with pytest.raises(InputError, match="unknown method"):
        oneway_test([[1, 2], [3, 4]], method="f")
    with pytest.raises(InputError, match="numbers"):
        oneway_test([[1, 2], ["a", 4]])


W1 = [2, 3, 3, 4, 2, 5, 3, 1, 4, 3]
W2 = [3, 3, 4, 4, 3, 5, 2, 2, 4, 4]
W3 = [4, 3, 5, 5, 3, 4, 4, 3, 5, 4]


def test_friedman_three_waves_with_ties():
    r = friedman_test([W1, W2, W3])
    # R: friedman.test(cbind(w1, w2, w3)) -> chi-squared = 8.58064516129032, df = 2, p = 0.0137005050666994
    assert (r.n, r.k, r.n_dropped) == (10, 3, 0)
    assert r.statistic == pytest.approx(8.5806451612903221, rel=REL)
    assert r.df == 2
    assert r.pvalue == pytest.approx(0.0137005050666994, rel=REL)
    assert r.kendall_w == pytest.approx(8.5806451612903221 / 20, rel=REL)  # hand: chi2 / (n (k - 1))


def test_friedman_two_waves_anorexia(anorexia):
    cbt = anorexia[anorexia.Treat == "CBT"]
    r = friedman_test([cbt.Prewt, cbt.Postwt])
    # R: with(subset(MASS::anorexia, Treat == "CBT"), friedman.test(cbind(Prewt, Postwt)))
    #    chi-squared = 1.68965517241379, df = 1, p = 0.193646431269221
    assert r.statistic == pytest.approx(1.689655172413793, rel=REL)
    assert r.pvalue == pytest.approx(0.193646431269221, rel=REL)


def test_friedman_drops_incomplete_rows():
    r = friedman_test([W1 + [np.nan, 1], W2 + [2, None], W3 + [3, 4]])
    assert (r.n, r.n_dropped) == (10, 2)
    assert r.statistic == pytest.approx(8.5806451612903221, rel=REL)


def test_friedman_degenerate_and_wrong_input():
    r = friedman_test([[1, 2, 3], [1, 2, 3], [1, 2, 3]])
    assert math.isnan(r.statistic) and r.note
    assert math.isnan(friedman_test([[1], [2], [3]]).pvalue)
    with pytest.raises(InputError, match="equal lengths"):
        friedman_test([[1, 2, 3], [1, 2]])
    with pytest.raises(InputError, match="at least 2 waves"):
        friedman_test([[1, 2, 3]])
