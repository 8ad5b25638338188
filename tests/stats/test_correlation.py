"""correlation against R 4.2.2 cor.test on MASS::anorexia (CBT group: baseline weight vs
weight change) and a hand-made tied ordinal pair."""
import math
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats import correlation

REL = 1e-6


@pytest.fixture(scope="module")
def cbt():
    an = pd.read_csv(Path(__file__).parent / "datasets" / "anorexia.csv")
    an = an[an.Treat == "CBT"]
    return an.Prewt, an.Postwt - an.Prewt


@pytest.mark.parametrize(
    "alternative, p, low, high",
    [
        # R: cor.test(x, y, alternative = ...) with x = Prewt, y = Postwt - Prewt in the CBT group
        ("two-sided", 0.602917520575748, -0.450646472911462, 0.275910283787029),
        ("greater", 0.698541239712126, -0.400053794955653, 1.0),
        ("less", 0.301458760287874, -1.0, 0.217901268927759),
    ],
)
def test_pearson_matches_cor_test(cbt, alternative, p, low, high):
    r = correlation(*cbt, alternative=alternative)
    assert r.n == 29 and r.df == 27
    assert r.r == pytest.approx(-0.100787273858954, rel=REL)
    assert r.statistic == pytest.approx(-0.526386397579801, rel=REL)
    assert r.pvalue == pytest.approx(p, rel=REL)
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=REL)


def test_pearson_conf_level(cbt):
    r = correlation(*cbt, conf_level=0.9)
    # R: cor.test(x, y, conf.level = 0.9)$conf.int
    assert (r.ci_low, r.ci_high) == pytest.approx((-0.400053794955653, 0.217901268927759), rel=REL)


def test_spearman_matches_cor_test(cbt):
    r = correlation(*cbt, method="spearman")
    # R: cor.test(x, y, method = "spearman", exact = FALSE) -> rho = 0.11186399679888, p = 0.563449078391367
    assert r.r == pytest.approx(0.111863996798880, rel=REL)
    assert r.pvalue == pytest.approx(0.563449078391367, rel=REL)
    g = correlation(*cbt, method="spearman", alternative="greater")
    assert g.pvalue == pytest.approx(0.281724539195683, rel=REL)  # same call, alternative = "greater"


def test_spearman_ties_and_bonett_wright_interval():
    lx = [1, 2, 2, 3, 4, 4, 5, 5, 5, 3]
    ly = [2, 1, 3, 3, 5, 4, 4, 5, 3, 2]
    r = correlation(lx, ly, method="spearman")
    # R: cor.test(lx, ly, method = "spearman", exact = FALSE) -> rho = 0.724683544303798, p = 0.0177471819718185
    assert r.r == pytest.approx(0.7246835443037976, rel=REL)
    assert r.pvalue == pytest.approx(0.0177471819718185, rel=REL)
    # R: tanh(atanh(rho) + c(-1, 1) * qnorm(.975) * sqrt((1 + rho^2 / 2) / (10 - 3)))
    assert (r.ci_low, r.ci_high) == pytest.approx((0.0848401700835206, 0.9413565364654835), rel=REL)


def test_missing_pairs_dropped(cbt):
    x, y = cbt
    r = correlation(list(x) + [None, 1.0], list(y) + [1.0, float("nan")])
    assert (r.n, r.n_dropped) == (29, 2)
    assert r.r == pytest.approx(-0.100787273858954, rel=REL)


def test_degenerate_and_wrong_input():
    r = correlation([1, 2], [3, 4])
    assert math.isnan(r.r) and "at least 3" in r.note
    r = correlation([1, 2, 3, 4], [5, 5, 5, 5])
    assert math.isnan(r.pvalue) and "constant" in r.note
    r = correlation([1, 2, 3], [1, 3, 2])
    assert math.isnan(r.ci_low) and not math.isnan(r.pvalue) and "4 complete pairs" in r.note
    with pytest.raises(InputError, match="same length"):
        correlation([1, 2, 3], [1, 2])
    with pytest.raises(InputError, match="unknown method"):
        correlation([1, 2, 3], [1, 2, 3], method="kendall")


def test_public_name_is_the_function_even_after_importing_its_module():
    import importlib

    import evalkit
    import evalkit.stats

    importlib.import_module("evalkit.stats.association")  # as another module or a doctest might
    assert callable(evalkit.stats.correlation) and callable(evalkit.correlation)
    assert evalkit.stats.correlation([1, 2, 3, 4], [1, 3, 2, 4]).r == pytest.approx(0.8)  # hand: Pearson r = 4/5
