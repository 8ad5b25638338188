"""Meta-analysis: pool one measure's effect across partnerships.

Inverse-variance pooling with a fixed-effect ("FE") or random-effects model, the
between-partnership variance tau^2 estimated by DerSimonian-Laird ("DL") or restricted
maximum likelihood ("REML"). Every number follows the defaults of R's
``metafor::rma()`` and ``predict()``, so results can be checked there.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import as_float_array, check_choice, check_conf_level

METHODS = ("DL", "REML", "FE")
STUDY_COLUMNS = ["label", "effect", "variance", "ci_low", "ci_high", "weight"]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class MetaResult(Result):
    """Result of :func:`meta_analysis`.

    Attributes
    ----------
    method : str
        "DL", "REML" or "FE".
    k : int
        Number of effects pooled.
    estimate, se, ci_low, ci_high, z, pvalue : float
        Pooled effect, its standard error, Wald interval and z test of "pooled effect = 0".
    tau2 : float
        Between-partnership variance (0 for "FE").
    I2 : float
        Share of the total variability due to heterogeneity, in percent (metafor's I^2).
    H2 : float
        Total variability / sampling variability (metafor's H^2).
    Q, Q_df, Q_pvalue : float
        Cochran's heterogeneity test.
    pi_low, pi_high : float
        Prediction interval for the true effect in a new partnership.
    pi_df : float
        Degrees of freedom of the t distribution of the prediction interval (k - 2), NaN when
        it uses the normal distribution.
    conf_level : float
        Level of the confidence and prediction intervals.
    n_dropped : int
        Effects dropped because the effect or its variance was missing.
    studies : pandas.DataFrame
        One row per effect: ``label, effect, variance, ci_low, ci_high, weight`` (weight in
        percent of the total), the data of a forest plot.
    note : str
        Why fields are NaN, when they are.
    """

    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    pvalue: float
    tau2: float
    I2: float
    H2: float
    Q: float
    Q_df: float
    Q_pvalue: float
    pi_low: float
    pi_high: float
    conf_level: float
    n_dropped: int
    studies: pd.DataFrame
    note: str = ""
    pi_df: float = float("nan")


def _tau2_dl(y: np.ndarray, v: np.ndarray, q: float) -> float:
    """DerSimonian-Laird moment estimator, truncated at 0."""
    w = 1 / v
    c = w.sum() - (w**2).sum() / w.sum()
    return max(0.0, (q - (len(y) - 1)) / c)


def _reml_score(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """Derivative of the restricted log-likelihood with respect to tau^2 (times 2)."""
    w = 1 / (v + tau2)
    mu = (w * y).sum() / w.sum()
    return float((w**2 * (y - mu) ** 2).sum() - w.sum() + (w**2).sum() / w.sum())


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """REML estimate: the root of the restricted score equation, or 0 if the score is negative at 0."""
    if _reml_score(0.0, y, v) <= 0:
        return 0.0
    upper = max(float(np.var(y)), float(v.max()), 1e-8)
    while _reml_score(upper, y, v) > 0:
        upper *= 2
    return float(optimize.brentq(_reml_score, 0.0, upper, args=(y, v), xtol=1e-14, rtol=1e-14, maxiter=500))


def _as_labels(labels, k_all: int) -> list[str]:
    if labels is None:
        return [str(i + 1) for i in range(k_all)]
    if isinstance(labels, (str, bytes)):
        raise InputError("labels must be a list with one label per effect, got a single string")
    labels = [str(x) for x in labels]
    if len(labels) != k_all:
        raise InputError(f"labels must have one label per effect: got {len(labels)} labels for {k_all} effects")
    return labels


def meta_analysis(effects, variances, method: str = "DL", conf_level: float = 0.95, labels=None,
                  prediction: str = "z") -> MetaResult:
    """Pool effects (one per partnership) by inverse-variance meta-analysis.

    Each partnership contributes an effect ``y_i`` (e.g. a mean change, Hedges' g,
    log odds ratio) and its sampling variance ``v_i`` (the squared standard error).

    * "FE" (fixed effect, metafor's ``method="FE"``/"EE"): weights ``1/v_i``; assumes one
      true effect shared by all partnerships.
    * "DL": random effects with the DerSimonian-Laird moment estimate of the
      between-partnership variance ``tau^2``; weights ``1/(v_i + tau^2)``.
    * "REML": random effects with ``tau^2`` maximising the restricted likelihood (metafor's
      default). Found as the root of the REML score equation by Brent's method (to 1e-14),
      truncated at 0; metafor reaches the same maximum by Fisher scoring, stopping when a
      step changes ``tau^2`` by less than 1e-5, so its default ``tau2`` can differ from
      this one by up to about 1e-5 (relative); with ``control=list(threshold=1e-14)`` they agree.

    The confidence interval and test use the normal distribution (metafor's default
    ``test="z"``). The prediction interval is ``estimate +/- z * sqrt(se^2 + tau^2)``, as
    ``predict()`` on an ``rma`` fit; for "FE" it equals the confidence interval (tau^2 = 0
    by assumption; metafor's ``predict()`` does not report one). I^2 and H^2 follow
    metafor: for random effects ``I2 = 100 tau^2 / (tau^2 + s^2)`` and
    ``H2 = (tau^2 + s^2) / s^2`` with the "typical" within-study variance
    ``s^2 = (k - 1) sum(w) / (sum(w)^2 - sum(w^2))``, ``w = 1/v``; for "FE" they come from
    Q: ``I2 = 100 max(0, (Q - (k-1)) / Q)``, ``H2 = Q / (k - 1)``.

    Parameters
    ----------
    effects, variances : array-like of float
        Effect estimates and their sampling variances (must be positive), one per partnership.
        Pairs with a missing side are dropped and counted.
    method : {"DL", "REML", "FE"}, default "DL"
        Pooling model (see above).
    conf_level : float, default 0.95
        Level of the confidence and prediction intervals.
    labels : sequence of str, optional
        Partnership names for the ``studies`` table (default "1", "2", ...).
    prediction : {"z", "t"}, default "z"
        Distribution of the prediction interval. ``"z"``: ``estimate +/- z sqrt(se^2 + tau^2)``
        (metafor's ``predict()`` default). ``"t"``: ``estimate +/- t_{k-2} sqrt(se^2 + tau^2)``
        (Higgins, Thompson & Spiegelhalter 2009), which allows for tau^2 being estimated from
        only k effects; recommended when k is small. Needs k >= 3 (NaN otherwise).

    Returns
    -------
    MetaResult

    Notes
    -----
    Assumes the effects are independent and their variances known. With few
    partnerships (k < 5) ``tau^2`` is poorly estimated and the normal-based interval is too
    narrow: report the prediction interval and the heterogeneity statistics beside it.
    With k = 1 the single effect is returned with ``tau2 = 0`` and NaN heterogeneity.

    References
    ----------
    DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials*, 7, 177-188.
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in
    the random-effects model. *J. Educational and Behavioral Statistics*, 30, 261-293.
    Higgins, J. P. T. and Thompson, S. G. (2002). Quantifying heterogeneity in a
    meta-analysis. *Statistics in Medicine*, 21, 1539-1558.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    *Journal of Statistical Software*, 36(3).

    Examples
    --------
    >>> from evalkit.stats import meta_analysis
    >>> res = meta_analysis([0.30, 0.10, 0.45, 0.20], [0.010, 0.020, 0.015, 0.012], method="FE")
    >>> round(res.estimate, 4), round(res.tau2, 4)
    (0.2722, 0.0)
    """
    method = check_choice(method, METHODS, "method")
    conf_level = check_conf_level(conf_level)
    y_all = as_float_array(effects, "effects")
    v_all = as_float_array(variances, "variances")
    if y_all.shape[0] != v_all.shape[0]:
        raise InputError(
            f"effects and variances must have the same length (one pair per partnership), "
            f"got {y_all.shape[0]} and {v_all.shape[0]}"
        )
    if (v_all < 0).any():
        i = int(np.flatnonzero(v_all < 0)[0])
        raise InputError(f"variances must be positive (squared standard errors); position {i} is {v_all[i]}")
    labels_all = _as_labels(labels, y_all.shape[0])
    keep = ~(np.isnan(y_all) | np.isnan(v_all))
    y, v = y_all[keep], v_all[keep]
    labels = [lab for lab, kp in zip(labels_all, keep) if kp]
    k, n_dropped = int(keep.sum()), int((~keep).sum())
    zcrit = stats.norm.ppf(0.5 + conf_level / 2)

    nan = float("nan")
    note = ""
    if k == 0:
        note = "no partnership has both an effect and a variance: nothing to pool"
    elif (v == 0).any():
        note = "a variance is zero (e.g. no variation within a partnership): inverse-variance weights are undefined"
    if note:
        studies = pd.DataFrame({"label": labels, "effect": y, "variance": v, "ci_low": nan, "ci_high": nan,
                                "weight": nan})
        undefined = dict.fromkeys(("estimate", "se", "ci_low", "ci_high", "z", "pvalue", "tau2", "I2", "H2", "Q",
                                   "Q_df", "Q_pvalue", "pi_low", "pi_high"), nan)
        return MetaResult(method=method, k=k, **undefined, conf_level=conf_level, n_dropped=n_dropped,
                          studies=studies, note=note)

    w_fe = 1 / v
    mu_fe = (w_fe * y).sum() / w_fe.sum()
    q = float((w_fe * (y - mu_fe) ** 2).sum())
    q_df = k - 1
    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        tau2 = _tau2_dl(y, v, q) if k > 1 else 0.0
    else:
        tau2 = _tau2_reml(y, v) if k > 1 else 0.0

    w = 1 / (v + tau2)
    estimate = float((w * y).sum() / w.sum())
    se = float(np.sqrt(1 / w.sum()))
    z = estimate / se
    pvalue = float(2 * stats.norm.sf(abs(z)))
    prediction = check_choice(prediction, ("z", "t"), "prediction")
    pi_df = nan
    if prediction == "t" and method != "FE":
        if k >= 3:
            pi_df = float(k - 2)
            pi_half = stats.t.ppf(0.5 + conf_level / 2, pi_df) * np.sqrt(se**2 + tau2)
        else:
            pi_half = nan
            note = "fewer than 3 partnerships: no t-based prediction interval (it needs k - 2 >= 1 df)"
    else:
        pi_half = zcrit * np.sqrt(se**2 + tau2)

    if k > 1:
        q_p = float(stats.chi2.sf(q, q_df))
        if method == "FE":
            i2 = 100 * max(0.0, (q - q_df) / q) if q > 0 else 0.0
            h2 = q / q_df
        else:
            s2 = q_df * w_fe.sum() / (w_fe.sum() ** 2 - (w_fe**2).sum())
            i2 = 100 * tau2 / (tau2 + s2)
            h2 = (tau2 + s2) / s2
    else:
        q_p = i2 = h2 = nan
        note = "only one partnership: heterogeneity (tau2, I2, Q) cannot be estimated; the estimate is its effect"

    studies = pd.DataFrame(
        {
            "label": labels,
            "effect": y,
            "variance": v,
            "ci_low": y - zcrit * np.sqrt(v),
            "ci_high": y + zcrit * np.sqrt(v),
            "weight": 100 * w / w.sum(),
        }
    )
    return MetaResult(
        method=method,
        k=k,
        estimate=estimate,
        se=se,
        ci_low=float(estimate - zcrit * se),
        ci_high=float(estimate + zcrit * se),
        z=float(z),
        pvalue=pvalue,
        tau2=float(tau2),
        I2=float(i2),
        H2=float(h2),
        Q=q,
        Q_df=float(q_df),
        Q_pvalue=q_p,
        pi_low=float(estimate - pi_half),
        pi_high=float(estimate + pi_half),
        conf_level=conf_level,
        n_dropped=n_dropped,
        studies=studies,
        note=note,
        pi_df=pi_df,
    )
