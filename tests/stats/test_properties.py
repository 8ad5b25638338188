"""Invariants of the tests, checked with hypothesis on generated data."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.stats import adjust_pvalues, paired_test, two_group_test

# Values on a 0.5 grid (like scores) so ties and zero changes occur; shifts are exact in floating point.
score = st.integers(-20, 20).map(lambda v: v / 2)
pairs = st.integers(4, 25).flatmap(lambda n: st.tuples(st.lists(score, min_size=n, max_size=n),
                                                       st.lists(score, min_size=n, max_size=n)))
shift = st.integers(-40, 40).map(lambda v: v / 4)


def same(a, b):
    return (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-12)


@given(pairs, st.sampled_from(["t", "wilcoxon", "sign"]))
def test_swapping_pre_and_post_flips_the_change_and_keeps_p(data, method):
    pre, post = data
    a = paired_test(pre, post, method=method)
    b = paired_test(post, pre, method=method)
    assert same(a.mean_diff, -b.mean_diff)
    assert same(a.median_diff, -b.median_diff)
    assert same(a.pvalue, b.pvalue)
    assert same(a.ci_low, -b.ci_high) and same(a.ci_high, -b.ci_low)
    assert same(a.effect_size, -b.effect_size) or method == "sign"


@given(pairs, shift, st.sampled_from(["t", "wilcoxon", "sign"]))
def test_shifting_everything_leaves_paired_tests_unchanged(data, c, method):
    pre, post = data
    a = paired_test(pre, post, method=method)
    b = paired_test([v + c for v in pre], [v + c for v in post], method=method)
    for field in ("statistic", "pvalue", "ci_low", "ci_high", "effect_size", "mean_diff"):
        assert same(getattr(a, field), getattr(b, field)), field


@given(pairs, shift, st.sampled_from(["welch", "student", "mannwhitney"]))
def test_shifting_both_groups_leaves_two_group_tests_unchanged(data, c, method):
    x, y = data
    a = two_group_test(x, y, method=method)
    b = two_group_test([v + c for v in x], [v + c for v in y], method=method)
    for field in ("statistic", "pvalue", "ci_low", "ci_high", "effect_size", "mean_diff"):
        assert same(getattr(a, field), getattr(b, field)), field


@given(pairs, st.sampled_from(["welch", "student", "mannwhitney"]))
def test_swapping_groups_keeps_two_sided_p(data, method):
    x, y = data
    a, b = two_group_test(x, y, method=method), two_group_test(y, x, method=method)
    assert same(a.pvalue, b.pvalue) and same(a.effect_size, -b.effect_size)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from(["holm", "hochberg", "bonferroni", "bh", "by"]))
def test_adjusted_pvalues_are_monotone_and_not_smaller(p, method):
    p = np.array(p)
    adj = adjust_pvalues(p, method=method)
    assert (adj >= p - 1e-12).all() and (adj <= 1).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(adj[order]) >= -1e-12).all()  # a larger raw p never gets a smaller adjusted p
