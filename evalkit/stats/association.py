"""Correlation between two measures (e.g. attendance and change in skills).

The module is called ``association`` (not ``correlation``) so that importing it never
hides the ``evalkit.stats.correlation`` function behind a same-named submodule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from evalkit.stats._result import Result
from evalkit.stats._validation import check_alternative, check_choice, check_conf_level, paired_arrays

NAN = float("nan")


@dataclass(frozen=True, kw_only=True)
class CorrelationResult(Result):
    """Result of :func:`correlation`."""

    method: str
    n: int
    n_dropped: int
    r: float
    statistic: float
    df: float
    pvalue: float
    ci_low: float
    ci_high: float
    note: str = ""


def correlation(x, y, method="pearson", alternative="two-sided", conf_level=0.95) -> CorrelationResult:
    """Pearson or Spearman correlation with a test and a Fisher-z confidence interval.

    Parameters
    ----------
    x, y : array-like of float
        Paired observations, one per participant; pairs with a missing side are dropped.
    method : {"pearson", "spearman"}
        ``"pearson"``: linear association (assumes roughly bivariate-normal data for the test
        and interval). ``"spearman"``: rank correlation (monotone association, robust to
        outliers and suited to Likert items).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: positive association.
    conf_level : float
        Confidence level. One-sided intervals run to the natural bound -1 or 1, as in R.

    Returns
    -------
    CorrelationResult
        ``statistic`` is t = r sqrt((n - 2) / (1 - r^2)) with ``df`` = n - 2 for both methods.

    Notes
    -----
    Pearson: test and interval as R's ``cor.test(x, y)`` (t test; interval
    tanh(atanh(r) +/- z / sqrt(n - 3))). Spearman: rho with the t approximation of the
    p-value, as R's ``cor.test(x, y, method = "spearman", exact = FALSE)`` (R reports
    S = (n^3 - n)(1 - rho) / 6 instead of t; the p-value is the same). The interval is
    Fisher-z with the Bonett & Wright (2000) standard error sqrt((1 + rho^2 / 2) / (n - 3)).
    Intervals need n >= 4.

    References
    ----------
    Fisher, R. A. (1921). On the probable error of a coefficient of correlation. Metron 1, 3-32.
    Bonett, D. G., Wright, T. A. (2000). Sample size requirements for estimating Pearson,
    Kendall and Spearman correlations. Psychometrika 65, 23-28.

    Examples
    --------
    >>> from evalkit.stats import correlation
    >>> res = correlation([1, 2, 3, 4, 5, 6], [2, 1, 4, 3, 6, 5])
    >>> round(res.r, 4)
    0.8286
    """
    method = check_choice(method, ("pearson", "spearman"), "method")
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    a, b, n_dropped = paired_arrays(x, y, ("x", "y"))
    n = int(a.size)
    empty = dict(method=method, n=n, n_dropped=n_dropped, r=NAN, statistic=NAN, df=NAN, pvalue=NAN,
                 ci_low=NAN, ci_high=NAN)
    if n < 3:
        return CorrelationResult(**empty, note=f"a correlation test needs at least 3 complete pairs, got {n}")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return CorrelationResult(**empty, note="one of the variables is constant: the correlation is undefined")
    if method == "pearson":
        res = stats.pearsonr(a, b, alternative=alternative)
    else:
        res = stats.spearmanr(a, b, alternative=alternative)
    r = float(res.statistic)
    df = n - 2
    t = r * math.sqrt(df / (1 - r * r)) if abs(r) < 1 else math.copysign(math.inf, r)
    note = ""
    if n < 4:
        low = high = NAN
        note = "a confidence interval needs at least 4 complete pairs"
    elif abs(r) == 1:
        low = high = r
        note = "perfect correlation: the interval collapses to r"
    else:
        se = 1 / math.sqrt(n - 3) if method == "pearson" else math.sqrt((1 + r * r / 2) / (n - 3))
        z = stats.norm.isf((1 - conf_level) / 2 if alternative == "two-sided" else 1 - conf_level)
        low = math.tanh(math.atanh(r) - z * se) if alternative != "less" else -1.0
        high = math.tanh(math.atanh(r) + z * se) if alternative != "greater" else 1.0
    return CorrelationResult(method=method, n=n, n_dropped=n_dropped, r=r, statistic=t, df=float(df),
                             pvalue=float(res.pvalue), ci_low=low, ci_high=high, note=note)
