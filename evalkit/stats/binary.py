"""Binary (yes/no) outcomes: McNemar's test for paired pre/post proportions and
the Wilson interval for one proportion."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from scipy import special, stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import check_binary, check_choice, check_conf_level, paired_arrays

NAN = float("nan")


@dataclass(frozen=True, kw_only=True)
class McNemarResult(Result):
    """Result of :func:`mcnemar_test`. ``diff`` is ``prop_post - prop_pre``."""

    n: int
    n_dropped: int
    n_improved: int
    n_worsened: int
    statistic: float
    pvalue: float
    odds_ratio: float
    or_ci_low: float
    or_ci_high: float
    prop_pre: float
    prop_post: float
    diff: float
    method: str
    note: str = ""


def mcnemar_test(pre, post, correction=True, exact=False) -> McNemarResult:
    """McNemar's test: did the proportion with a binary outcome change from pre to post?

    Parameters
    ----------
    pre, post : array-like of 0/1 or bool
        One outcome per participant, in the same order. Pairs with a missing side are
        dropped and counted.
    correction : bool
        Continuity correction of the chi-square statistic, (|b - c| - 1)^2 / (b + c), as R's
        ``mcnemar.test`` (which, like here, skips it when b = c).
    exact : bool
        If True the p-value is the exact two-sided binomial test of b improvements among the
        b + c discordant pairs (R's ``binom.test(b, b + c)``). ``statistic`` stays the
        chi-square.

    Returns
    -------
    McNemarResult
        ``n_improved`` = b (0 -> 1), ``n_worsened`` = c (1 -> 0); ``odds_ratio`` = b / c,
        the conditional (paired) odds ratio, with its exact conditional interval: the
        Clopper-Pearson interval [pL, pU] for b / (b + c) mapped through p / (1 - p)
        (as R's exact2x2::mcnemar.exact).

    Notes
    -----
    Only discordant pairs carry information. With fewer than 25 of them the chi-square
    approximation is poor and ``note`` recommends ``exact=True``.

    References
    ----------
    McNemar, Q. (1947). Note on the sampling error of the difference between correlated
    proportions or percentages. Psychometrika 12, 153-157.
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., sec. 11.1. Wiley.

    Examples
    --------
    >>> from evalkit.stats import mcnemar_test
    >>> r = mcnemar_test([0, 0, 0, 0, 1, 1, 0, 0], [1, 1, 1, 0, 1, 0, 1, 1])
    >>> r.n_improved, r.n_worsened, round(r.pvalue, 4)
    (5, 1, 0.2207)
    """
    x, y, n_dropped = paired_arrays(pre, post, ("pre", "post"))
    check_binary(x, "pre")
    check_binary(y, "post")
    n = int(x.size)
    b = int(((x == 0) & (y == 1)).sum())
    c = int(((x == 1) & (y == 0)).sum())
    method = "exact binomial" if exact else ("chi-square, continuity-corrected" if correction else "chi-square")
    props = dict(
        prop_pre=float(x.mean()) if n else NAN,
        prop_post=float(y.mean()) if n else NAN,
        diff=float(y.mean() - x.mean()) if n else NAN,
    )
    if b + c == 0:
        return McNemarResult(n=n, n_dropped=n_dropped, n_improved=b, n_worsened=c, statistic=NAN, pvalue=NAN,
                             odds_ratio=NAN, or_ci_low=NAN, or_ci_high=NAN, **props, method=method,
                             note="no participant changed (no discordant pairs): McNemar's test is undefined")
    num = (abs(b - c) - 1) ** 2 if correction and b != c else (b - c) ** 2
    statistic = num / (b + c)
    # Exact two-sided binomial p at 1/2 (symmetric, so twice the smaller tail, as R's binom.test),
    # chi-square tail and Clopper-Pearson bounds from scipy.special: what stats.binomtest and
    # stats.chi2 compute, without their per-call overhead (reports run hundreds of these).
    pvalue = (min(1.0, 2 * float(special.bdtr(min(b, c), b + c, 0.5))) if exact
              else float(special.chdtrc(1, statistic)))
    p_low = float(special.betaincinv(b, c + 1, 0.025)) if b else 0.0
    p_high = float(special.betaincinv(b + 1, c, 0.975)) if c else 1.0
    odds = lambda p: p / (1 - p) if p < 1 else math.inf  # noqa: E731
    note = ""
    if b + c < 25 and not exact:
        note = f"only {b + c} discordant pairs (< 25): the chi-square approximation is poor; use exact=True"
    return McNemarResult(n=n, n_dropped=n_dropped, n_improved=b, n_worsened=c, statistic=float(statistic),
                         pvalue=pvalue, odds_ratio=b / c if c else math.inf, or_ci_low=odds(p_low),
                         or_ci_high=odds(p_high), **props, method=method, note=note)


@dataclass(frozen=True, kw_only=True)
class ProportionCI(Result):
    """Result of :func:`proportion_ci`."""

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    successes: int
    method: str
    note: str = ""


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return int(value)
        raise InputError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def proportion_ci(successes, n, conf_level=0.95, method="wilson") -> ProportionCI:
    """Confidence interval for one proportion (Wilson score interval).

    Parameters
    ----------
    successes, n : int
        Number of participants with the outcome, out of ``n``.
    conf_level : float
        Two-sided confidence level.
    method : {"wilson", "wilson_cc"}
        ``"wilson"``: score interval (Wilson 1927), as R's ``prop.test(x, n, correct = FALSE)``,
        computed by statsmodels. ``"wilson_cc"``: with continuity correction (Newcombe 1998,
        method 4), i.e. the Wilson bounds of ``(x -/+ 0.5) / n``, as R's
        ``prop.test(x, n, correct = TRUE)``. Like R, the correction is capped at
        ``|x - n/2|``, so it vanishes when ``x = n/2``.

    Returns
    -------
    ProportionCI
        With NaN bounds and a ``note`` when ``n`` is 0.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22, 209-212.
    Newcombe, R. G. (1998). Two-sided confidence intervals for the single proportion:
    comparison of seven methods. Statistics in Medicine 17, 857-872.

    Examples
    --------
    >>> from evalkit.stats import proportion_ci
    >>> ci = proportion_ci(15, 20)
    >>> round(ci.ci_low, 4), round(ci.ci_high, 4)
    (0.5313, 0.8881)
    """
    method = check_choice(method, ("wilson", "wilson_cc"), "method")
    conf_level = check_conf_level(conf_level)
    x = _check_count(successes, "successes")
    n = _check_count(n, "n")
    if x > n:
        raise InputError(f"successes ({x}) cannot exceed n ({n})")
    if n == 0:
        return ProportionCI(estimate=NAN, ci_low=NAN, ci_high=NAN, n=0, successes=0, method=method,
                            note="no observations (n = 0)")
    est = x / n
    if method == "wilson":
        low, high = proportion_confint(x, n, alpha=1 - conf_level, method="wilson")
        # at x = 0 and x = n the Wilson bound is exactly 0 or 1; statsmodels' arithmetic can land a hair inside
        # (1 - 1e-16), which would leave the estimate outside its own interval
        low, high = (0.0 if x == 0 else float(low)), (1.0 if x == n else float(high))
        return ProportionCI(estimate=est, ci_low=low, ci_high=high, n=n, successes=x, method=method)
    z = stats.norm.isf((1 - conf_level) / 2)
    yates = min(0.5, abs(x - n / 2))
    z22n = z**2 / (2 * n)

    def wilson_bound(p: float, sign: int) -> float:
        return (p + z22n + sign * z * math.sqrt(p * (1 - p) / n + z22n / (2 * n))) / (1 + 2 * z22n)

    p_hi, p_lo = est + yates / n, est - yates / n
    high = 1.0 if p_hi >= 1 else wilson_bound(p_hi, +1)
    low = 0.0 if p_lo <= 0 else wilson_bound(p_lo, -1)
    return ProportionCI(estimate=est, ci_low=float(low), ci_high=float(high), n=n, successes=x, method=method)


__all__ = ["McNemarResult", "ProportionCI", "mcnemar_test", "proportion_ci"]
