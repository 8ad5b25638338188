"""Comparison of two independent groups (e.g. program vs comparison participants).

The difference is always ``a - b`` (program minus comparison).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from evalkit.stats._result import Result
from evalkit.stats._validation import check_alternative, check_choice, check_conf_level, drop_missing
from evalkit.stats.paired import ncp_interval

NAN = float("nan")
METHODS = ("welch", "student", "mannwhitney")


@dataclass(frozen=True, kw_only=True)
class TwoGroupResult(Result):
    """Result of :func:`two_group_test`; differences are ``a - b``."""

    method: str
    n_a: int
    n_b: int
    mean_a: float
    mean_b: float
    statistic: float
    df: float
    pvalue: float
    ci_low: float
    ci_high: float
    mean_diff: float
    effect_size: float
    effect_size_name: str
    effect_ci_low: float
    effect_ci_high: float
    note: str = ""


def two_group_test(a, b, method="welch", alternative="two-sided", conf_level=0.95, correction=True) -> TwoGroupResult:
    """Compare a measure between two independent groups.

    Parameters
    ----------
    a, b : array-like of float
        Values of the first (program) and second (comparison) group. Missing values are dropped.
    method : {"welch", "student", "mannwhitney"}
        ``"welch"``: Welch's t-test (normal-ish means, unequal variances allowed; the default).
        ``"student"``: pooled-variance t-test (assumes equal variances).
        ``"mannwhitney"``: Wilcoxon rank-sum / Mann-Whitney test (no normality assumption;
        tests whether values in ``a`` tend to be larger than in ``b``).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: ``a`` tends to be higher than ``b``.
    conf_level : float
        Confidence level; one-sided alternatives give one infinite bound.
    correction : bool
        Continuity correction of the Mann-Whitney normal approximation (R's ``correct``).

    Returns
    -------
    TwoGroupResult

    Notes
    -----
    *t-tests*: as R's ``t.test(a, b, var.equal = FALSE / TRUE)``; the interval is for the
    difference in means. The effect size is Hedges' g = J d, d = (mean_a - mean_b) / pooled SD,
    with J = 1 - 3 / (4N - 9), N = n_a + n_b (Hedges & Olkin 1985, eq. 5.10). Its interval
    inverts the noncentral t of the pooled t statistic (df = N - 2; Steiger & Fouladi 1997)
    and multiplies the bounds by J.

    *Mann-Whitney*: the statistic is W, the rank sum of ``a`` minus n_a(n_a + 1)/2, as R's
    ``wilcox.test(a, b)``. The p-value is exact when both groups have fewer than 50 values and
    there are no ties; otherwise it uses the normal approximation with tie correction (and
    continuity correction if ``correction``). The effect size is the rank-biserial correlation
    r = 2W / (n_a n_b) - 1 (Glass 1965; Kerby 2014), positive when ``a`` tends to be higher,
    with the Fisher-z interval of R's effectsize package, SE = sqrt((n_a + n_b + 1) / (3 n_a n_b))
    (its SE under no difference, so approximate). ``ci_low``/``ci_high`` (a shift interval)
    are not computed for this method.

    References
    ----------
    Welch, B. L. (1947). The generalization of Student's problem when several different
    population variances are involved. Biometrika 34, 28-35.
    Hedges, L. V., Olkin, I. (1985). Statistical Methods for Meta-Analysis. Academic Press.
    Mann, H. B., Whitney, D. R. (1947). On a test of whether one of two random variables is
    stochastically larger than the other. Ann. Math. Statist. 18, 50-60.

    Examples
    --------
    >>> from evalkit.stats import two_group_test
    >>> r = two_group_test([5.1, 6.0, 7.2, 6.8, 5.9], [4.2, 5.0, 4.8, 5.5, 4.1])
    >>> round(r.mean_diff, 2), r.pvalue < 0.05
    (1.48, True)
    """
    method = check_choice(method, METHODS, "method")
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    x, _ = drop_missing(a, "a")
    y, _ = drop_missing(b, "b")
    na, nb = int(x.size), int(y.size)
    base = dict(
        method=method, n_a=na, n_b=nb,
        mean_a=float(x.mean()) if na else NAN,
        mean_b=float(y.mean()) if nb else NAN,
        mean_diff=float(x.mean() - y.mean()) if na and nb else NAN,
    )
    if method == "mannwhitney":
        return TwoGroupResult(**base, **_mann_whitney(x, y, alternative, conf_level, correction))
    return TwoGroupResult(**base, **_t_test(x, y, method, alternative, conf_level))


def _empty(name: str, note: str) -> dict:
    return dict(
        statistic=NAN, df=NAN, pvalue=NAN, ci_low=NAN, ci_high=NAN, effect_size=NAN,
        effect_size_name=name, effect_ci_low=NAN, effect_ci_high=NAN, note=note,
    )


def _t_test(x, y, method, alternative, conf_level):
    name = "Hedges' g"
    na, nb = x.size, y.size
    if na < 2 or nb < 2:
        return _empty(name, f"each group needs at least 2 values for a t-test, got {na} and {nb}")
    va, vb = x.var(ddof=1), y.var(ddof=1)
    if va == 0 and vb == 0:
        return _empty(name, "both groups have zero variance (all values equal within each group)")
    res = stats.ttest_ind(x, y, equal_var=(method == "student"), alternative=alternative)
    ci = res.confidence_interval(conf_level)
    n = na + nb
    sp = math.sqrt(((na - 1) * va + (nb - 1) * vb) / (n - 2))
    scale = math.sqrt(1 / na + 1 / nb)
    d = (x.mean() - y.mean()) / sp
    j = 1 - 3 / (4 * n - 9)
    lo, hi = ncp_interval(d / scale, n - 2, conf_level, alternative)
    return dict(
        statistic=float(res.statistic), df=float(res.df), pvalue=float(res.pvalue),
        ci_low=float(ci.low), ci_high=float(ci.high), effect_size=float(j * d), effect_size_name=name,
        effect_ci_low=j * lo * scale, effect_ci_high=j * hi * scale, note="",
    )


def _mann_whitney(x, y, alternative, conf_level, correction):
    name = "rank-biserial r"
    na, nb = x.size, y.size
    if na == 0 or nb == 0:
        return _empty(name, f"each group needs at least 1 value, got {na} and {nb}")
    both = np.concatenate([x, y])
    ties = np.unique(both).size != both.size
    if ties and np.unique(both).size == 1:
        return _empty(name, "all values are equal: the rank-sum test is undefined")
    exact = na < 50 and nb < 50 and not ties
    res = stats.mannwhitneyu(
        x, y, use_continuity=correction, alternative=alternative, method="exact" if exact else "asymptotic"
    )
    w = float(res.statistic)
    rbc = 2 * w / (na * nb) - 1
    se = math.sqrt((na + nb + 1) / (3 * na * nb))
    zq = stats.norm.isf((1 - conf_level) / 2 if alternative == "two-sided" else 1 - conf_level)
    notes = ["exact p-value" if exact else "normal approximation" + (" with continuity correction" if correction else "")]
    if abs(rbc) < 1:
        e_lo, e_hi = math.tanh(math.atanh(rbc) - zq * se), math.tanh(math.atanh(rbc) + zq * se)
        e_lo, e_hi = (e_lo, math.inf) if alternative == "greater" else (-math.inf, e_hi) if alternative == "less" else (e_lo, e_hi)
    else:
        e_lo = e_hi = NAN
        notes.append("the groups do not overlap (r = +/-1): no Fisher-z interval for the effect size")
    notes.append("no interval for the difference with this method")
    return dict(
        statistic=w, df=NAN, pvalue=float(res.pvalue), ci_low=NAN, ci_high=NAN, effect_size=rbc,
        effect_size_name=name, effect_ci_low=e_lo, effect_ci_high=e_hi, note="; ".join(notes),
    )
