"""Paired (pre/post) comparison of one continuous or ordinal measure.

``paired_test`` answers "did participants change?" with the paired t-test, the
Wilcoxon signed-rank test or the sign test, each with an interval for the change
and an effect size. Change is always ``post - pre``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from evalkit.stats._result import Result
from evalkit.stats._validation import check_alternative, check_choice, check_conf_level, paired_arrays

NAN = float("nan")
METHODS = ("t", "wilcoxon", "sign")


@dataclass(frozen=True, kw_only=True)
class PairedResult(Result):
    """Result of :func:`paired_test`. Change is ``post - pre``.

    ``statistic`` is t (t-test), V = sum of ranks of positive changes (Wilcoxon, as R)
    or the number of positive changes (sign test). ``estimate`` is what ``ci_low``/``ci_high``
    bound, named by ``estimate_name``: the mean change (t), the Hodges-Lehmann estimate, the
    median of the Walsh averages of the non-zero changes (Wilcoxon, R's ``(pseudo)median``; NaN
    without ``conf_int``), or the median change (sign). Numeric fields are NaN when the test
    cannot be computed; ``note`` then says why.
    """

    method: str
    n: int
    n_dropped: int
    mean_pre: float
    mean_post: float
    mean_diff: float
    median_diff: float
    statistic: float
    df: float
    pvalue: float
    estimate: float
    estimate_name: str
    ci_low: float
    ci_high: float
    effect_size: float
    effect_size_name: str
    effect_ci_low: float
    effect_ci_high: float
    note: str = ""


def paired_test(pre, post, method="t", alternative="two-sided", conf_level=0.95, correction=True, *,
                conf_int=True) -> PairedResult:
    """Test whether a measure changed from pre to post in the same participants.

    Parameters
    ----------
    pre, post : array-like of float
        One value per participant, in the same order (list, numpy array or pandas Series).
        Pairs with a missing side are dropped and counted in ``n_dropped``.
    method : {"t", "wilcoxon", "sign"}
        ``"t"``: paired t-test on the changes (assumes the changes are roughly normal or n is
        large). ``"wilcoxon"``: Wilcoxon signed-rank test (assumes the changes are symmetric
        about their median). ``"sign"``: exact sign test (no shape assumption).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` means post tends to be higher than pre.
    conf_level : float
        Confidence level of the intervals. One-sided alternatives give one infinite bound.
    correction : bool
        Continuity correction of the Wilcoxon normal approximation (as R's ``correct``).
    conf_int : bool
        Compute the Wilcoxon Hodges-Lehmann interval (as R's ``conf.int``). It costs
        O(n^2 log n); pass False when only the test is wanted (``ci_low``/``ci_high`` are
        then NaN). The t and sign tests always give their interval.

    Returns
    -------
    PairedResult

    Notes
    -----
    *t-test*: t = mean change / (SD of changes / sqrt(n)), df = n - 1, the interval is for the
    mean change, as R's ``t.test(post, pre, paired = TRUE)``. The effect size is Cohen's
    d_z = mean change / SD of changes; its interval inverts the noncentral t distribution of
    t = d_z sqrt(n) (Steiger & Fouladi 1997; Cumming & Finch 2001).

    *Wilcoxon signed-rank*: zero changes are dropped; the statistic is V, the sum of the ranks
    of the positive changes. With fewer than 50 non-zero changes, no ties and no zeros the
    p-value and the Hodges-Lehmann interval are exact; otherwise the normal approximation with
    tie correction (and continuity correction if ``correction``) is used and the interval is
    found where that approximate statistic crosses the normal quantile. This follows R's
    ``wilcox.test(post, pre, paired = TRUE, conf.int = TRUE)`` with its default
    ``exact = NULL``; R locates the approximate interval with ``uniroot(tol = 1e-4)`` while
    this function returns the exact step location (a Walsh average), so they agree to ~1e-4.
    The effect size is the matched-pairs rank-biserial correlation
    r = (T+ - T-) / (T+ + T-) (Kerby 2014); its interval is tanh(atanh(r) +/- z SE) with the
    null-hypothesis SE sqrt(n(n+1)(2n+1)/6) / (n(n+1)/2), as in R's effectsize package
    (Ben-Shachar et al. 2020). That SE is exact only at r = 0, so the interval is approximate.

    *Sign test*: exact binomial test of the number of positive among the non-zero changes
    (R's ``binom.test``). The interval is the distribution-free order-statistic interval for
    the median change (all complete pairs, zeros included; Conover 1999, sec. 3.2), which
    covers at least ``conf_level``. The effect size is the proportion of non-zero changes
    that are positive, with the Clopper-Pearson interval.

    References
    ----------
    Student (1908). The probable error of a mean. Biometrika 6, 1-25.
    Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics Bulletin 1, 80-83.
    Hollander, M., Wolfe, D. A. (1973). Nonparametric Statistical Methods. Wiley, pp. 27-38.
    Kerby, D. S. (2014). The simple difference formula. Comprehensive Psychology 3, 11.IT.3.1.

    Examples
    --------
    >>> from evalkit.stats import paired_test
    >>> r = paired_test([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0],
    ...                 [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    >>> round(r.statistic, 3), r.df, round(r.pvalue, 5)
    (4.062, 9.0, 0.00283)
    >>> w = paired_test([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0],
    ...                 [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4], method="wilcoxon")
    >>> w.estimate_name, round(w.estimate, 2), round(w.ci_low, 2), round(w.ci_high, 2)  # R: 1.400031, 1.050018 to 2.949921
    ('Hodges-Lehmann estimate', 1.4, 1.05, 2.95)
    """
    method = check_choice(method, METHODS, "method")
    alternative = check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    x, y, n_dropped = paired_arrays(pre, post, ("pre", "post"))
    d = y - x
    n = int(d.size)
    base = dict(
        method=method,
        n=n,
        n_dropped=n_dropped,
        mean_pre=float(x.mean()) if n else NAN,
        mean_post=float(y.mean()) if n else NAN,
        mean_diff=float(d.mean()) if n else NAN,
        median_diff=float(np.median(d)) if n else NAN,
    )
    if method == "wilcoxon":
        nz = d[d != 0]
        estimate = _hodges_lehmann(nz) if conf_int and nz.size else NAN
        return PairedResult(**base, estimate=estimate, estimate_name="Hodges-Lehmann estimate",
                            **_wilcoxon(d, alternative, conf_level, correction, conf_int))
    compute = {"t": _t_test, "sign": _sign_test}[method]
    estimate, name = (base["mean_diff"], "mean change") if method == "t" else (base["median_diff"], "median change")
    return PairedResult(**base, estimate=estimate, estimate_name=name, **compute(d, alternative, conf_level, correction))


def _hodges_lehmann(d: np.ndarray) -> float:
    """The Hodges-Lehmann estimate of the centre of the changes: the median of their Walsh averages.

    The Walsh averages are (d_i + d_j) / 2 over i <= j (Hollander & Wolfe 1973, sec. 3.2).
    With the non-zero changes, as the interval uses, this is R's ``(pseudo)median`` of
    ``wilcox.test(conf.int = TRUE)`` in the exact case. In the approximate case R instead solves
    the approximate statistic for its zero (``uniroot``, tolerance 1e-4): the same value on the
    examples checked (tests/test_reader_trial.py), though with many tied changes the two can
    differ by a step between neighbouring Walsh averages.
    """
    i, j = np.triu_indices(d.size)
    return float(np.median((d[i] + d[j]) / 2))


def _empty(effect_size_name: str, note: str) -> dict:
    return dict(
        statistic=NAN, df=NAN, pvalue=NAN, ci_low=NAN, ci_high=NAN, effect_size=NAN,
        effect_size_name=effect_size_name, effect_ci_low=NAN, effect_ci_high=NAN, note=note,
    )


def _bounds(alternative: str, low: float, high: float) -> tuple[float, float]:
    """Replace the bound a one-sided alternative leaves open by an infinity."""
    if alternative == "greater":
        return low, math.inf
    if alternative == "less":
        return -math.inf, high
    return low, high


# ---------------------------------------------------------------- t-test


def ncp_interval(t: float, df: float, conf_level: float, alternative: str) -> tuple[float, float]:
    """Confidence interval for the noncentrality parameter of a noncentral t, given observed t.

    The bounds are the ncp values at which ``t`` is the upper and lower ``(1 - conf)/2``
    quantile (``(1 - conf)`` for one-sided). Steiger & Fouladi (1997).
    """
    tail = 1 - conf_level if alternative != "two-sided" else (1 - conf_level) / 2

    def cdf(ncp: float) -> float:
        # special.nctdtr is what stats.nct.cdf evaluates, without its per-call argument checking (30x faster).
        # Far in its tails (|t - ncp| above about 10, t and ncp of opposite signs) it returns NaN (scipy 1.17);
        # there the cdf is 0 (t below ncp) or 1 (t above) to many digits, which is all the bracketing needs.
        p = special.nctdtr(df, ncp, t)
        return (0.0 if t < ncp else 1.0) if math.isnan(p) else p

    def solve(target: float) -> float:
        f = lambda ncp: cdf(ncp) - target  # noqa: E731 - decreasing in ncp
        step = max(1.0, abs(t))
        lo, hi = t - step, t + step
        while f(lo) < 0:
            lo -= step
            step *= 2
        step = max(1.0, abs(t))
        while f(hi) > 0:
            hi += step
            step *= 2
        return optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12)

    low = solve(1 - tail) if alternative != "less" else -math.inf
    high = solve(tail) if alternative != "greater" else math.inf
    return low, high


def _t_test(d, alternative, conf_level, correction):
    name = "Cohen's d_z"
    n = d.size
    if n < 2:
        return _empty(name, f"the paired t-test needs at least 2 complete pairs, got {n}")
    sd = float(np.std(d, ddof=1))
    if sd == 0:
        return _empty(name, "all changes are equal (SD of the changes is 0): the t statistic is undefined")
    # Student's t from its definition with scipy.special's t distribution (what stats.ttest_1samp
    # computes, without its per-call wrapper overhead: the report runs hundreds of these)
    df = n - 1
    se = sd / math.sqrt(n)
    t = float(d.mean() / se)
    pvalue = {"two-sided": 2 * special.stdtr(df, -abs(t)), "greater": special.stdtr(df, -t),
              "less": special.stdtr(df, t)}[alternative]
    if alternative == "two-sided":
        q = special.stdtrit(df, 1 - (1 - conf_level) / 2)
        ci_low, ci_high = d.mean() - q * se, d.mean() + q * se
    else:
        q = special.stdtrit(df, conf_level)
        ci_low, ci_high = _bounds(alternative, d.mean() - q * se, d.mean() + q * se)
    ncp_low, ncp_high = ncp_interval(t, df, conf_level, alternative)
    return dict(
        statistic=t,
        df=float(df),
        pvalue=float(min(1.0, pvalue)),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        effect_size=float(d.mean() / sd),
        effect_size_name=name,
        effect_ci_low=ncp_low / math.sqrt(n),
        effect_ci_high=ncp_high / math.sqrt(n),
        note="",
    )


# ---------------------------------------------------------------- Wilcoxon signed-rank


def _signrank_cdf(n: int) -> np.ndarray:
    """P(V <= v), v = 0..n(n+1)/2, for the signed-rank statistic of n untied non-zero values."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):  # add rank k with a + or - sign
        counts[k:] = counts[k:] + counts[:-k].copy()
    return np.cumsum(counts) / 2.0**n


def _qsignrank(p: float, cdf: np.ndarray) -> int:
    """Smallest v with P(V <= v) >= p (R's qsignrank)."""
    return int(np.searchsorted(cdf, p * (1 - 64 * np.finfo(float).eps), side="left"))


def _signed_rank_z(d: np.ndarray, alternative: str, correction: bool) -> float:
    """Normal-approximation z of the signed-rank statistic of d (zeros dropped), as R."""
    d = d[d != 0]
    n = d.size
    r = stats.rankdata(np.abs(d))
    z = r[d > 0].sum() - n * (n + 1) / 4
    _, ties = np.unique(r, return_counts=True)
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - (ties**3 - ties).sum() / 48)
    if sigma == 0:
        return NAN
    corr = {"two-sided": float(np.sign(z)) * 0.5, "greater": 0.5, "less": -0.5}[alternative] if correction else 0
    return (z - corr) / sigma


def _hl_interval_asymptotic(d, alternative, conf_level, correction):
    """Hodges-Lehmann interval from the normal approximation (R's wilcox.test, exact = FALSE).

    The approximate z of ``d - mu`` is a step function of mu that changes only at Walsh
    averages, so the bound is the Walsh average where it crosses the normal quantile;
    found by bisection over the sorted Walsh averages.
    """
    i, j = np.triu_indices(d.size)
    walsh = np.unique((d[i] + d[j]) / 2)
    mids = np.concatenate(([walsh[0] - 1], (walsh[:-1] + walsh[1:]) / 2, [walsh[-1] + 1]))
    # mids[k] lies just left of walsh[k]; z(mu) decreases as mu increases.
    z = lambda k: _signed_rank_z(d - mids[k], alternative, correction)  # noqa: E731

    def first_below(zq: float) -> float:
        lo, hi = 0, mids.size - 1  # z(mids[0]) > zq >= z(mids[-1]) assumed
        if not (z(lo) > zq and z(hi) <= zq):
            return NAN
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if z(mid) > zq:
                lo = mid
            else:
                hi = mid
        return float(walsh[hi - 1])

    alpha = 1 - conf_level
    a = alpha / 2 if alternative == "two-sided" else alpha
    low = first_below(stats.norm.isf(a)) if alternative != "less" else -math.inf
    high = first_below(stats.norm.ppf(a)) if alternative != "greater" else math.inf
    return low, high


def _wilcoxon(d, alternative, conf_level, correction, conf_int=True):
    name = "rank-biserial r"
    zeros = int((d == 0).sum())
    nz = d[d != 0]
    n = int(nz.size)
    if n == 0:
        return _empty(name, "all changes are zero: the signed-rank test is undefined")
    r = stats.rankdata(np.abs(nz))
    v = float(r[nz > 0].sum())
    total = n * (n + 1) / 2
    ties = np.unique(r).size != n
    exact = n < 50 and not ties and zeros == 0
    alpha = 1 - conf_level
    notes = []
    if exact:
        cdf = _signrank_cdf(n)
        p_le = lambda q: float(cdf[int(q)]) if q >= 0 else 0.0  # noqa: E731
        p_ge = lambda q: 1.0 - p_le(q - 1)  # noqa: E731
        if alternative == "two-sided":
            pvalue = min(1.0, 2 * (p_ge(v) if v > total / 2 else p_le(v)))
        else:
            pvalue = p_ge(v) if alternative == "greater" else p_le(v)
        low = high = NAN
        if conf_int:
            i, j = np.triu_indices(n)
            walsh = np.sort((nz[i] + nz[j]) / 2)
            qu = max(_qsignrank(alpha / 2 if alternative == "two-sided" else alpha, cdf), 1)
            ql = int(total) - qu
            low, high = _bounds(alternative, float(walsh[qu - 1]), float(walsh[ql]))
            achieved = (2 if alternative == "two-sided" else 1) * p_le(qu - 1)
        if conf_int and achieved - alpha > alpha / 2:
            low, high = NAN, NAN
            notes.append(f"a {conf_level:.0%} interval is not achievable with {n} changes")
        notes.append("exact p-value")
    else:
        z = _signed_rank_z(nz, alternative, correction)
        if math.isnan(z):
            return _empty(name, "all non-zero changes are tied: the normal approximation is undefined")
        # special.ndtr is the standard normal cdf (what stats.norm.cdf evaluates, minus its overhead)
        pvalue = {
            "two-sided": 2 * min(special.ndtr(z), special.ndtr(-z)),
            "greater": special.ndtr(-z),
            "less": special.ndtr(z),
        }[alternative]
        pvalue = float(pvalue)
        low, high = _hl_interval_asymptotic(nz, alternative, conf_level, correction) if conf_int else (NAN, NAN)
        why = [w for w, c in (("ties", ties), (f"{zeros} zero change(s) dropped", zeros), ("n >= 50", n >= 50)) if c]
        notes.append(
            "normal approximation" + (" with continuity correction" if correction else "") + f" ({', '.join(why)})"
        )
        if conf_int and (math.isnan(low) or math.isnan(high)):
            notes.append("the requested interval is not achievable from these changes")
    rbc = (2 * v - total) / total
    se = math.sqrt((2 * n**3 + 3 * n**2 + n) / 6) / total
    zq = -special.ndtri(alpha / 2 if alternative == "two-sided" else alpha)
    if abs(rbc) < 1:
        e_low, e_high = _bounds(alternative, math.tanh(math.atanh(rbc) - zq * se), math.tanh(math.atanh(rbc) + zq * se))
    else:
        e_low = e_high = NAN
        notes.append("all non-zero changes go one way (r = +/-1): no Fisher-z interval for the effect size")
    return dict(
        statistic=v, df=NAN, pvalue=pvalue, ci_low=low, ci_high=high, effect_size=rbc,
        effect_size_name=name, effect_ci_low=e_low, effect_ci_high=e_high, note="; ".join(notes),
    )


# ---------------------------------------------------------------- sign test


def _median_interval(d: np.ndarray, alternative: str, conf_level: float) -> tuple[float, float]:
    """Order-statistic interval for the median (coverage >= conf_level), NaN if n is too small."""
    n = d.size
    s = np.sort(d)
    a = (1 - conf_level) / 2 if alternative == "two-sided" else 1 - conf_level
    # largest k with P(B <= k - 1) <= a, B ~ Binomial(n, 1/2); interval [s_(k), s_(n-k+1)]
    k = int(stats.binom.ppf(a, n, 0.5))
    if stats.binom.cdf(k, n, 0.5) <= a:
        k += 1
    if k < 1:
        return NAN, NAN
    return _bounds(alternative, float(s[k - 1]), float(s[n - k]))


def _sign_test(d, alternative, conf_level, correction):
    name = "proportion of changes that are positive"
    n_pos, n_neg = int((d > 0).sum()), int((d < 0).sum())
    if n_pos + n_neg == 0:
        return _empty(name, "all changes are zero (or no complete pairs): the sign test is undefined")
    res = stats.binomtest(n_pos, n_pos + n_neg, 0.5, alternative=alternative)
    pci = res.proportion_ci(conf_level, method="exact")
    low, high = _median_interval(d, alternative, conf_level)
    notes = [f"exact binomial test on {n_pos} positive vs {n_neg} negative changes"]
    if math.isnan(low):
        notes.append(f"too few pairs ({d.size}) for a {conf_level:.0%} interval on the median")
    return dict(
        statistic=float(n_pos), df=NAN, pvalue=float(res.pvalue), ci_low=low, ci_high=high,
        effect_size=n_pos / (n_pos + n_neg), effect_size_name=name,
        effect_ci_low=float(pci.low), effect_ci_high=float(pci.high), note="; ".join(notes),
    )
