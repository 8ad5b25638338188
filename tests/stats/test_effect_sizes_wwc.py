"""Effect sizes a What Works Clearinghouse reviewer accepts: Hedges' g standardised by the pre-test SD,
its interval, the WWC improvement index.

Reference values are published ones: metafor's own test of escalc(measure = "SMCR") on the Morris (2008)
summary data (R), the WWC's correction formula, and the standard normal table.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from evalkit.stats import (hedges_correction, improvement_index, standardized_mean_change,
                           standardized_mean_change_from_summary)

# Morris (2008), treatment groups; metafor tests/testthat/test_analysis_example_morris2008.r:
#   escalc(measure = "SMCR", m1i = m_post, m2i = m_pre, sd1i = sd_pre, ni = ni, ri = ri)
MORRIS = dict(m_pre=[30.6, 23.5, 0.5, 53.4, 35.6], m_post=[38.5, 26.8, 0.7, 75.9, 36.0],
              sd_pre=[15.0, 3.1, 0.1, 14.5, 4.7], ni=[20, 50, 9, 10, 14], ri=[.47, .64, .77, .89, .44])
METAFOR_YI = [0.5056, 1.0481, 1.8054, 1.4181, 0.0801]
METAFOR_VI = [0.0594, 0.0254, 0.2322, 0.1225, 0.0802]


def test_hedges_correction_is_the_wwc_omega_for_two_groups():
    # WWC Procedures Handbook: omega = 1 - 3 / (4N - 9), N = n_i + n_c; the general form is J(df) = 1 - 3/(4 df - 1)
    for n in (10, 23, 60, 400):
        assert hedges_correction(n - 2) == pytest.approx(1 - 3 / (4 * n - 9), rel=1e-15)
    # the exact correction (Hedges 1981): Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)); by hand for m = 8: 6 / (2 * 3.3234)
    assert hedges_correction(8, exact=True) == pytest.approx(6 / (2 * math.gamma(3.5)), rel=1e-12)


def test_standardized_mean_change_matches_metafor_smcr_on_morris_2008():
    for i, (yi, vi) in enumerate(zip(METAFOR_YI, METAFOR_VI)):
        res = standardized_mean_change_from_summary(
            mean_pre=MORRIS["m_pre"][i], mean_post=MORRIS["m_post"][i], sd_pre=MORRIS["sd_pre"][i],
            n=MORRIS["ni"][i], r=MORRIS["ri"][i], exact=True)
        assert res.g == pytest.approx(yi, abs=6e-5)
        assert res.variance == pytest.approx(vi, abs=6e-5)


def test_standardized_mean_change_interval_and_wwc_default_by_hand():
    # Morris study 1 with the WWC-style correction 1 - 3/(4 (n - 1) - 1), n = 20: 1 - 3/75 = 0.96
    res = standardized_mean_change_from_summary(mean_pre=30.6, mean_post=38.5, sd_pre=15.0, n=20, r=0.47)
    d = (38.5 - 30.6) / 15.0
    g = 0.96 * d
    v = 2 * (1 - 0.47) / 20 + g**2 / (2 * 20)     # Becker (1988)
    assert res.g == pytest.approx(g, rel=1e-12)
    assert (res.ci_low, res.ci_high) == pytest.approx((g - 1.959964 * math.sqrt(v), g + 1.959964 * math.sqrt(v)),
                                                      rel=1e-6)


def test_standardized_mean_change_from_raw_pairs_uses_the_pre_test_sd_and_correlation():
    pre = np.array([3.0, 4.0, 2.0, 5.0, 4.0, 3.0, 2.0, 4.0, 3.0, 5.0])
    post = np.array([4.0, 4.0, 3.0, 5.0, 5.0, 4.0, 2.0, 5.0, 4.0, 5.0])
    res = standardized_mean_change(pre, post)
    # by hand: mean change 41/10 - 35/10 = 0.6, pre SD with the n - 1 denominator, r from the cross-products
    sd_pre = math.sqrt(((pre - pre.mean()) ** 2).sum() / 9)
    sd_post = math.sqrt(((post - post.mean()) ** 2).sum() / 9)
    r = ((pre - pre.mean()) * (post - post.mean())).sum() / 9 / (sd_pre * sd_post)
    assert res.n == 10 and res.r == pytest.approx(r)
    assert res.g == pytest.approx((1 - 3 / (4 * 9 - 1)) * 0.6 / sd_pre)


def test_improvement_index_from_the_normal_table():
    # Phi(0.25) = 0.5987, Phi(1) = 0.8413 (standard normal table): +9.87 and +34.13 percentile points
    assert improvement_index(0.25) == pytest.approx(9.87, abs=0.01)
    assert improvement_index(1.0) == pytest.approx(34.13, abs=0.01)
    assert improvement_index(-0.25) == pytest.approx(-9.87, abs=0.01)
    assert math.isnan(improvement_index(float("nan")))
