"""Comparisons of three or more groups (``oneway_test``) or waves (``friedman_test``)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import as_float_array, check_choice, drop_missing

NAN = float("nan")


@dataclass(frozen=True, kw_only=True)
class OnewayResult(Result):
    """Result of :func:`oneway_test`."""

    method: str
    k: int
    n: int
    statistic: float
    df_num: float
    df_den: float
    pvalue: float
    effect_size: float
    effect_size_name: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class FriedmanResult(Result):
    """Result of :func:`friedman_test`."""

    n: int
    n_dropped: int
    k: int
    statistic: float
    df: float
    pvalue: float
    kendall_w: float
    note: str = ""


def _as_groups(groups) -> list:
    if isinstance(groups, dict):
        groups = list(groups.values())
    if isinstance(groups, (str, bytes)) or not hasattr(groups, "__iter__"):
        raise InputError("groups must be a list of arrays or a dict name -> array")
    groups = list(groups)
    if len(groups) < 2:
        raise InputError(f"groups must hold at least 2 groups, got {len(groups)}")
    return groups


def oneway_test(groups, method="anova") -> OnewayResult:
    """Compare a measure across two or more independent groups (e.g. partnerships, sites).

    Parameters
    ----------
    groups : list of array-like, or dict name -> array-like
        Values of each group; missing values are dropped.
    method : {"anova", "welch", "kruskal"}
        ``"anova"``: one-way ANOVA F test (normal errors, equal variances), as R's
        ``oneway.test(var.equal = TRUE)``. ``"welch"``: Welch's heteroscedastic F test, as R's
        ``oneway.test(var.equal = FALSE)`` (each group needs 2+ values and some spread).
        ``"kruskal"``: Kruskal-Wallis rank test with tie correction, as R's ``kruskal.test``
        (``df_den`` is NaN; the statistic is chi-square with ``df_num`` = k - 1).

    Returns
    -------
    OnewayResult
        ``effect_size`` is eta squared = SS_between / SS_total for "anova" and "welch" (a
        descriptive share of variance; it does not depend on the test), and epsilon squared
        = H / (n - 1) for "kruskal" (Tomczak & Tomczak 2014).

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
    Biometrika 38, 330-336.
    Kruskal, W. H., Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
    JASA 47, 583-621.
    Tomczak, M., Tomczak, E. (2014). The need to report effect size estimates revisited.
    Trends in Sport Sciences 21, 19-25.

    Examples
    --------
    >>> from evalkit.stats import oneway_test
    >>> res = oneway_test({"A": [1, 2, 3], "B": [2, 3, 4], "C": [5, 6, 7]})
    >>> round(res.statistic, 2), res.df_num, res.df_den
    (13.0, 2.0, 6.0)
    """
    method = check_choice(method, ("anova", "welch", "kruskal"), "method")
    arrays = [drop_missing(g, f"group {i + 1}")[0] for i, g in enumerate(_as_groups(groups))]
    k = len(arrays)
    n = int(sum(a.size for a in arrays))
    name = "epsilon squared" if method == "kruskal" else "eta squared"

    def empty(note: str) -> OnewayResult:
        return OnewayResult(method=method, k=k, n=n, statistic=NAN, df_num=NAN, df_den=NAN, pvalue=NAN,
                            effect_size=NAN, effect_size_name=name, note=note)

    if any(a.size == 0 for a in arrays):
        return empty("a group has no values")
    allv = np.concatenate(arrays)
    if np.ptp(allv) == 0:
        return empty("all values are equal: there is no variation to compare")
    if method == "kruskal":
        h, p = stats.kruskal(*arrays)
        return OnewayResult(method=method, k=k, n=n, statistic=float(h), df_num=float(k - 1), df_den=NAN,
                            pvalue=float(p), effect_size=float(h) / (n - 1), effect_size_name=name)
    if method == "welch" and any(a.size < 2 or np.ptp(a) == 0 for a in arrays):
        return empty("Welch's test needs at least 2 values with some spread in every group")
    if n <= k:
        return empty(f"ANOVA needs more values ({n}) than groups ({k})")
    ss_total = float(((allv - allv.mean()) ** 2).sum())
    ss_within = float(sum(((a - a.mean()) ** 2).sum() for a in arrays))
    eta2 = (ss_total - ss_within) / ss_total
    if ss_within == 0:
        return OnewayResult(method=method, k=k, n=n, statistic=NAN, df_num=NAN, df_den=NAN, pvalue=NAN,
                            effect_size=eta2, effect_size_name=name,
                            note="no variation within groups: the F statistic is undefined")
    res = stats.f_oneway(*arrays, equal_var=(method == "anova"))
    df_den = float(n - k) if method == "anova" else float(_welch_df_den(arrays))
    return OnewayResult(method=method, k=k, n=n, statistic=float(res.statistic), df_num=float(k - 1), df_den=df_den,
                        pvalue=float(res.pvalue), effect_size=eta2, effect_size_name=name)


def _welch_df_den(arrays) -> float:
    """Denominator df of Welch's F (Welch 1951), as R's oneway.test(var.equal = FALSE)."""
    k = len(arrays)
    ni = np.array([a.size for a in arrays], dtype=float)
    wi = ni / np.array([a.var(ddof=1) for a in arrays])
    tmp = (((1 - wi / wi.sum()) ** 2) / (ni - 1)).sum() / (k * k - 1)
    return 1 / (3 * tmp)


def friedman_test(waves) -> FriedmanResult:
    """Friedman test: did a measure change across three or more waves in the same participants?

    Parameters
    ----------
    waves : list of array-like
        One array per wave (e.g. pre, mid, post), equal lengths, participants in the same order.
        Participants with a missing value in any wave are dropped and counted.

    Returns
    -------
    FriedmanResult
        ``statistic`` is Friedman's chi-square with tie correction and ``df`` = k - 1, as
        R's ``friedman.test``; ``kendall_w`` = statistic / (n (k - 1)) is Kendall's
        coefficient of concordance (0 = no systematic change, 1 = everyone ranks the waves alike).

    Notes
    -----
    Values are ranked within each participant. The statistic is
    12 sum_j (R_j - n(k+1)/2)^2 / (n k (k+1) - sum(t^3 - t) / (k - 1)) with R_j the rank sum
    of wave j and t the sizes of tied groups within participants (Hollander & Wolfe 1999,
    sec. 7.1). Hand-written because scipy's ``friedmanchisquare`` refuses k = 2.

    References
    ----------
    Friedman, M. (1937). The use of ranks to avoid the assumption of normality implicit in the
    analysis of variance. JASA 32, 675-701.

    Examples
    --------
    >>> from evalkit.stats import friedman_test
    >>> res = friedman_test([[1, 2, 1, 3], [2, 3, 2, 4], [3, 4, 4, 5]])
    >>> res.statistic, res.df
    (8.0, 2.0)
    """
    if isinstance(waves, (str, bytes, dict)) or not hasattr(waves, "__iter__"):
        raise InputError("waves must be a list of arrays, one per wave")
    arrays = [as_float_array(w, f"wave {i + 1}") for i, w in enumerate(waves)]
    k = len(arrays)
    if k < 2:
        raise InputError(f"waves must hold at least 2 waves, got {k}")
    lengths = {a.size for a in arrays}
    if len(lengths) != 1:
        raise InputError(f"every wave must have one value per participant (equal lengths), got lengths {sorted(lengths)}")
    m = np.column_stack(arrays)
    keep = ~np.isnan(m).any(axis=1)
    m = m[keep]
    n, n_dropped = int(m.shape[0]), int((~keep).sum())
    if n < 2:
        return FriedmanResult(n=n, n_dropped=n_dropped, k=k, statistic=NAN, df=NAN, pvalue=NAN, kendall_w=NAN,
                              note=f"needs at least 2 complete participants, got {n}")
    ranks = stats.rankdata(m, axis=1)
    ties = sum(((c**3 - c).sum() for c in (np.unique(row, return_counts=True)[1] for row in ranks)), 0.0)
    denom = n * k * (k + 1) - ties / (k - 1)
    if denom == 0:
        return FriedmanResult(n=n, n_dropped=n_dropped, k=k, statistic=NAN, df=NAN, pvalue=NAN, kendall_w=NAN,
                              note="every participant has the same value in all waves")
    stat = 12 * ((ranks.sum(axis=0) - n * (k + 1) / 2) ** 2).sum() / denom
    df = k - 1
    return FriedmanResult(n=n, n_dropped=n_dropped, k=k, statistic=float(stat), df=float(df),
                          pvalue=float(stats.chi2.sf(stat, df)), kendall_w=float(stat / (n * df)))
