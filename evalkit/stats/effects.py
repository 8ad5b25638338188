"""Effect sizes of a pre/post change that a What Works Clearinghouse reviewer can read.

:func:`standardized_mean_change` is Hedges' g of a single group's change,
standardised by the pre-test SD (the raw-score standardised mean change,
"SMCR" in R's metafor), with the small-sample correction and its interval;
:func:`improvement_index` turns a g into the WWC improvement index. Cohen's
d_z (mean change / SD of the changes, :func:`evalkit.stats.paired_test`) stays
the paired test's effect size; g is the one comparable across designs, since it
is on the scale of people's scores rather than of their changes (d_z is larger
whenever pre and post correlate above 0.5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import check_conf_level, paired_arrays

NAN = float("nan")


@dataclass(frozen=True, kw_only=True)
class StandardizedChangeResult(Result):
    """Result of :func:`standardized_mean_change`: Hedges' g of the change, pre-test SD as the unit."""

    n: int
    mean_change: float
    sd_pre: float
    r: float
    correction: float
    g: float
    variance: float
    ci_low: float
    ci_high: float
    conf_level: float
    note: str = ""


def hedges_correction(df: float, exact: bool = False) -> float:
    """Small-sample bias correction of a standardised mean difference with ``df`` degrees of freedom.

    ``1 - 3 / (4 df - 1)`` (Hedges 1981's approximation), which for two groups
    (df = N - 2) is the What Works Clearinghouse's omega = 1 - 3 / (4N - 9);
    with ``exact``, ``Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))``.

    Parameters
    ----------
    df : float
        Degrees of freedom of the standardiser (n - 1 for one group's SD, N - 2 pooled over two).
    exact : bool
        The exact gamma-function form instead of the approximation.

    Returns
    -------
    float
        The multiplier J (below 1); NaN when ``df <= 1``.

    Examples
    --------
    >>> round(hedges_correction(38), 4)   # two groups of 20: WWC omega = 1 - 3/151
    0.9801
    """
    if df is None or not np.isfinite(df) or df <= 1:
        return NAN
    if exact:
        return float(math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2))
    return 1 - 3 / (4 * df - 1)


def improvement_index(g: float) -> float:
    """The WWC improvement index of an effect size g: ``(Phi(g) - 0.5) * 100`` percentile points.

    The expected change in percentile rank of an average person, had they
    moved by g standard deviations: g = 0.25 gives about +10. Orient g so that
    a positive value is favourable (flip it for lower-is-better outcomes) first.

    Parameters
    ----------
    g : float
        Effect size in standard-deviation units.

    Returns
    -------
    float
        Percentile points, between -50 and +50; NaN for a missing g.

    Examples
    --------
    >>> round(improvement_index(0.25), 1)
    9.9
    """
    if g is None or not np.isfinite(g):
        return NAN
    return float((special.ndtr(g) - 0.5) * 100)


def standardized_mean_change_from_summary(mean_pre: float, mean_post: float, sd_pre: float, n: int, r: float,
                                          conf_level: float = 0.95, exact: bool = False) -> StandardizedChangeResult:
    """Hedges' g of a pre/post change from summary statistics (see :func:`standardized_mean_change`).

    Parameters
    ----------
    mean_pre, mean_post : float
        Means of the matched participants at each wave.
    sd_pre : float
        SD of the pre-test scores (n - 1 denominator).
    n : int
        Matched pairs.
    r : float
        Correlation of pre and post scores.
    conf_level : float
    exact : bool
        Exact gamma-function correction instead of ``1 - 3/(4 df - 1)``.

    Returns
    -------
    StandardizedChangeResult

    Examples
    --------
    >>> res = standardized_mean_change_from_summary(30.6, 38.5, sd_pre=15.0, n=20, r=0.47)
    >>> round(res.g, 4), round(res.variance, 4)   # Morris (2008) study 1, metafor's SMCR
    (0.5056, 0.0594)
    """
    conf_level = check_conf_level(conf_level)
    n = int(n)
    change = float(mean_post - mean_pre)
    base = dict(n=n, mean_change=change, sd_pre=float(sd_pre), r=float(r), conf_level=conf_level)
    if n < 3 or not np.isfinite(sd_pre) or sd_pre <= 0:
        return StandardizedChangeResult(**base, correction=NAN, g=NAN, variance=NAN, ci_low=NAN, ci_high=NAN,
                                        note="needs at least 3 pairs and some spread at the pre-test")
    j = hedges_correction(n - 1, exact=exact)
    g = j * change / sd_pre
    rr = float(r) if np.isfinite(r) else 0.0
    variance = 2 * (1 - rr) / n + g**2 / (2 * n)
    z = -special.ndtri((1 - conf_level) / 2)
    half = z * math.sqrt(max(variance, 0.0))
    return StandardizedChangeResult(**base, correction=j, g=g, variance=variance, ci_low=g - half, ci_high=g + half,
                                    note="" if np.isfinite(r) else "pre/post correlation undefined: taken as 0")


def standardized_mean_change(pre, post, conf_level: float = 0.95, exact: bool = False) -> StandardizedChangeResult:
    """Hedges' g of the change from pre to post, standardised by the pre-test SD, with its interval.

    Parameters
    ----------
    pre, post : array-like
        Matched values (pairs with a missing value are dropped).
    conf_level : float
        Confidence level of the interval.
    exact : bool
        Use the exact gamma-function bias correction (as R's metafor) instead of
        the approximation ``1 - 3/(4 df - 1)`` (the WWC's form). They differ by
        less than 0.001 g from about 10 pairs on.

    Returns
    -------
    StandardizedChangeResult
        ``g = J * (mean_post - mean_pre) / sd_pre`` with ``J`` the correction for
        ``df = n - 1`` (the df of the pre-test SD; the WWC's omega = 1 - 3/(4N - 9) is
        the same formula for the N - 2 df of two groups); ``variance = 2 (1 - r) / n
        + g^2 / (2 n)`` with r the pre/post correlation (Becker 1988; metafor's
        ``escalc(measure = "SMCR")``); the interval is ``g +/- z sqrt(variance)``.

    Notes
    -----
    The pre-test SD is the natural unit of a single-group design: it is what the
    scores varied by before the programme, unaffected by it. The interval is the
    large-sample normal one, as in meta-analysis; it assumes roughly normal scores.

    References
    ----------
    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal of
    Mathematical and Statistical Psychology 41, 257-278.
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
    estimators. Journal of Educational Statistics 6, 107-128.
    What Works Clearinghouse (2022). Procedures and Standards Handbook, version 5.0.

    Examples
    --------
    >>> res = standardized_mean_change([3, 4, 2, 5, 4, 3, 2, 4, 3, 5], [4, 4, 3, 5, 5, 4, 2, 5, 4, 5])
    >>> round(res.g, 3)
    0.508
    """
    x, y, _ = paired_arrays(pre, post, ("pre", "post"))
    n = int(x.size)
    if n < 3:
        raise InputError(f"the standardised mean change needs at least 3 complete pairs, got {n}")
    sd_pre = float(np.std(x, ddof=1))
    r = float(np.corrcoef(x, y)[0, 1]) if sd_pre > 0 and np.std(y) > 0 else NAN
    return standardized_mean_change_from_summary(float(x.mean()), float(y.mean()), sd_pre, n, r,
                                                 conf_level=conf_level, exact=exact)
