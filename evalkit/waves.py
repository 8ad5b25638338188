"""Change over time: every wave of a partnership, in order, used together.

A partnership may survey its participants any number of times, under any wave
names (``pre``/``post``/``followup``, ``baseline``/``endline``, ``t1``/``t2``/``t3``).
The order and the roles of the waves come from the optional ``waves`` table or
the default order (:func:`evalkit.load.order_waves`). This module gives, for one
partnership:

* :func:`wide`: one row per participant, every wave x measure, with the group
  columns (row-level data for analysts: never publish it);
* :func:`trajectory`: the mean of each measure at each wave with its interval;
* :func:`retention_by_wave`: who answered each wave, and the share of the
  baseline respondents still answering;
* :func:`baseline_vs_later`: the baseline against each later wave on matched
  participants, Holm-adjusted across the whole family (measures x waves);
* :func:`time_trend`: one model using every participant's available waves
  (the time effect and its interval), with :func:`describe_time_trend` saying it
  in plain language, and :func:`plot_trajectory` drawing the trajectories.

Models used by :func:`time_trend`, chosen from the measure's declared kind:

========== ================================================== =======================
kind       model                                              time effect
========== ================================================== =======================
continuous linear mixed model, random intercept per           points per wave
           participant (statsmodels ``MixedLM``, REML)
ordinal    GEE, Gaussian family, identity link, exchangeable  points per wave
           working correlation, robust (sandwich) errors
binary     GEE, binomial family, logit link, exchangeable     odds ratio per wave
           working correlation, robust (sandwich) errors
========== ================================================== =======================

Why GEE for ordinal and binary measures: a Likert item or a yes/no answer is
not normal, so the mixed model's normal errors are wrong for it; GEE estimates
the population-average trend and its robust standard errors stay valid whatever
the distribution of the answers and whatever the true within-person
correlation (Liang & Zeger, 1986). The ordinal trend is a mean change in scale
points per wave (as the report's other tables use), not a proportional-odds model.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from evalkit.compare import compare_prepost, known_values
from evalkit.errors import InputError
from evalkit.labels import column_label, wave_label
from evalkit.load import order_waves, wave_roles
from evalkit.narrate import _num as _n
from evalkit.privacy import (DEFAULT_MIN_GROUP_SIZE, check_min_group_size, complementary_suppression, safe_rate,
                             n_protecting, pairs_only, suppress_small_groups, suppression_rule, withheld_note)
from evalkit.stats._result import Result

#: The model :func:`time_trend` fits for each measure kind.
MODEL_FOR_KIND = {
    "continuous": "linear mixed model (random intercept per participant)",
    "ordinal": "GEE (Gaussian, identity link, exchangeable correlation, robust errors)",
    "binary": "GEE (binomial, logit link, exchangeable correlation, robust errors)",
}


# --- waves of one partnership ---------------------------------------------------------
def _check_partnership(data, partnership_id: str) -> str:
    if not isinstance(partnership_id, str):
        raise InputError(f"partnership_id must be one partnership id (a string), got {partnership_id!r}")
    known_values(partnership_id, data.partnerships["partnership_id"], "partnership_id")
    return partnership_id


def _responses(data, partnership_id: str, measures=None) -> pd.DataFrame:
    r = data.responses
    mask = (r["partnership_id"] == partnership_id) & r["value"].notna()
    if measures is not None:
        mask &= r["measure"].isin(known_values(measures, data.measures["measure"], "measure"))
    return r.loc[mask, ["participant_id", "wave", "measure", "value"]]


def wave_order(data, partnership_id: str | None = None) -> list[str]:
    """The waves of ``data`` (or of one partnership) in analysis order.

    The order comes from the ``waves`` table when there is one, else ``pre``,
    ``post``, then the other waves in order of first appearance
    (:func:`evalkit.load.order_waves`, ``data/README.md``).

    Examples
    --------
    >>> import evalkit
    >>> data = evalkit.load_data("data/sample")
    >>> wave_order(data)
    ['pre', 'post', 'followup']
    """
    if partnership_id is None:
        return data.wave_order
    _check_partnership(data, partnership_id)
    seen = data.responses.loc[data.responses["partnership_id"] == partnership_id, "wave"].dropna()
    return order_waves(pd.unique(seen), data.waves)


def wave_times(data, partnership_id: str) -> dict[str, float]:
    """Wave -> time used by :func:`time_trend`.

    The ``waves`` table's ``order`` when it gives one for every wave of the
    partnership (e.g. months 0, 2, 4, 6, 8), else the wave's position: 0 for the
    first wave, 1 for the next, and so on. The time effect is per unit of this time.
    """
    order = wave_order(data, partnership_id)
    given = {}
    if len(data.waves):
        given = dict(zip(data.waves["wave"], data.waves["order"].astype(float)))
    if order and all(w in given and np.isfinite(given[w]) for w in order):
        return {w: float(given[w]) for w in order}
    return {w: float(i) for i, w in enumerate(order)}


def _time_unit(data, partnership_id: str) -> str:
    times = wave_times(data, partnership_id)
    return "wave" if list(times.values()) == [float(i) for i in range(len(times))] else "unit of the waves' order"


def wide(data, partnership_id: str, measures=None) -> pd.DataFrame:
    """One row per participant of a partnership: every measure at every wave, and the group columns.

    Row-level data for analysis in a notebook, statsmodels, pingouin or a
    spreadsheet. It holds participant ids and individual answers: **never
    publish it**; reports show only group summaries.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measures : list of str, optional
        Default: every measure answered in the partnership.

    Returns
    -------
    pandas.DataFrame
        ``participant_id``, ``arm`` (when the partnership records arms), the group
        columns, then one column ``<measure>_<wave>`` per measure and wave, measures
        in the measures table's order and waves in analysis order (:func:`wave_order`).
        Every enrolled participant has a row; a missing answer is NaN.

    Examples
    --------
    >>> import evalkit
    >>> data = evalkit.load_data("data/sample")
    >>> w = evalkit.wide(data, "riverside-literacy")
    >>> w.columns[:2].tolist(), len(w) == len(data.for_partnership("riverside-literacy").participants)
    (['participant_id', 'arm'], True)
    """
    _check_partnership(data, partnership_id)
    r = _responses(data, partnership_id, measures)
    order = wave_order(data, partnership_id)
    people = data.participants[data.participants["partnership_id"] == partnership_id]
    keep = ["participant_id"] + (["arm"] if "arm" in people.columns else []) + list(data.group_columns)
    out = people[keep].reset_index(drop=True)
    if r.empty:
        return out
    values = r.set_index(["participant_id", "measure", "wave"])["value"].unstack(["measure", "wave"])
    measure_rank = {m: i for i, m in enumerate(data.measures["measure"])}
    wave_rank = {w: i for i, w in enumerate(order)}
    columns = sorted(values.columns, key=lambda mw: (measure_rank.get(mw[0], 1e9), wave_rank.get(mw[1], 1e9)))
    values = values[columns]
    values.columns = [f"{m}_{w}" for m, w in columns]
    return out.merge(values, left_on="participant_id", right_index=True, how="left")


# --- trajectory and retention --------------------------------------------------------------
TRAJECTORY_COLUMNS = ["partnership_id", "measure", "label", "kind", "group_variable", "group", "wave", "order",
                      "role", "n", "mean", "sd", "ci_low", "ci_high", "suppressed", "note"]


def trajectory(data, partnership_id: str, measures=None, by: str | None = None, *, conf_level: float = 0.95,
               min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Mean of each measure at each wave, with its confidence interval.

    Everyone who answered a wave counts at that wave (not only those who
    answered every wave), so read it with :func:`retention_by_wave`: a mean can
    move because different people answered. Except at the baseline and post
    waves when 1 to ``min_group_size`` - 1 people answered only one of the two:
    then those waves count the pairs only (``note`` says so), as the outcomes table
    does, since the difference of the two means would give their answers away.

    Method: continuous and ordinal measures get the t interval
    ``mean +/- t(n-1) * sd / sqrt(n)``; binary measures (the mean is the share
    answering 1) the Wilson score interval (:func:`evalkit.stats.proportion_ci`).

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measures : list of str, optional
        Default: every measure answered in the partnership.
    by : str, optional
        A participants' column (a group column or ``"arm"``): one trajectory per
        group. Groups are protected by complementary suppression within each
        measure and wave (:func:`evalkit.privacy.complementary_suppression`).
    conf_level : float
    min_group_size : int
        A mean of fewer answers than this is suppressed (blank, ``suppressed`` True).

    Returns
    -------
    pandas.DataFrame
        :data:`TRAJECTORY_COLUMNS`, one row per measure x wave (x group), waves in
        analysis order; ``order`` is the wave's position (0 = first) and ``role``
        its role (baseline, post, followup).

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.waves import trajectory
    >>> t = trajectory(evalkit.load_data("data/sample"), "riverside-literacy", ["skills"])
    >>> t["wave"].tolist()
    ['pre', 'post', 'followup']
    """
    from scipy import stats

    from evalkit.stats import proportion_ci

    check_min_group_size(min_group_size)
    _check_partnership(data, partnership_id)
    r = _responses(data, partnership_id, measures)
    order = wave_order(data, partnership_id)
    roles = wave_roles(order, data.waves)
    if by is not None:
        people = data.participants[data.participants["partnership_id"] == partnership_id]
        if by not in people.columns or by in ("participant_id", "partnership_id"):
            raise InputError(f"unknown group column {by!r}; group columns: {['arm', *data.group_columns]}")
        groups = people[["participant_id", by]].rename(columns={by: "group"})
        r = r.merge(groups, on="participant_id", how="left")
        r["group"] = r["group"].astype("string").fillna("Not recorded")
    else:
        r = r.assign(group="All participants")
    meta = data.measures.set_index("measure")
    k = min_group_size
    # The outcomes (and results-by-group) tables show the baseline and post means of the pairs: a mean of
    # everyone at either wave beside them gives away those outside the pairs when they are 1 to k - 1
    # (21 x 15.33 - 20 x 16.00 = one late joiner's score). Then that wave's mean is of the pairs only.
    ends = [w for w in order if roles[w] in ("baseline", "post")]
    who = r[r["wave"].isin(ends)].groupby(["measure", "group", "participant_id"], sort=False)["wave"].nunique()
    paired = set(who[who == len(ends)].index) if len(ends) == 2 else set()
    rows = []
    for (m, w, g), x in r.groupby(["measure", "wave", "group"], sort=False)["value"]:
        note = ""
        if paired and w in ends:
            mine = np.array([(m, g, pid) in paired for pid in r.loc[x.index, "participant_id"]], dtype=bool)
            if pairs_only(mine, k):
                x = x[mine]
                note = (f"the {len(x)} who answered both {ends[0]} and {ends[1]} (as the outcomes table): fewer than "
                        f"{k} answered only one of them")
        n, kind = len(x), meta.at[m, "kind"]
        row = {"partnership_id": partnership_id, "measure": m, "label": meta.at[m, "label"], "kind": kind,
               "group_variable": by, "group": g, "wave": w, "order": order.index(w), "role": roles[w], "n": n,
               "mean": float(x.mean()), "sd": float(x.std(ddof=1)) if n > 1 else np.nan,
               "ci_low": np.nan, "ci_high": np.nan, "note": note}
        if kind == "binary":
            ci = proportion_ci(int((x == 1).sum()), n, conf_level=conf_level)
            row.update(ci_low=ci.ci_low, ci_high=ci.ci_high)
        elif n > 1:
            half = stats.t.ppf(0.5 + conf_level / 2, n - 1) * row["sd"] / math.sqrt(n)
            row.update(ci_low=row["mean"] - half, ci_high=row["mean"] + half)
        rows.append(row)
    table = pd.DataFrame(rows, columns=[c for c in TRAJECTORY_COLUMNS if c != "suppressed"])
    measure_rank = {m: i for i, m in enumerate(meta.index)}
    table = table.assign(_m=table["measure"].map(measure_rank)).sort_values(["_m", "group", "order"], kind="stable")
    table = table.drop(columns="_m").reset_index(drop=True)
    values = ["mean", "sd", "ci_low", "ci_high"]
    if by is None:
        table = suppress_small_groups(table, "n", min_group_size, values, count_columns=["n"])
    else:
        table = complementary_suppression(table, "n", ["measure", "wave"], min_group_size, values,
                                          count_columns=["n"])
    return table[TRAJECTORY_COLUMNS]


def retention_by_wave(data, partnership_id: str, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Who answered each wave, and the share of the baseline respondents still answering.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    min_group_size : int
        Counts below it are blanked; a rate is shown only when the people it
        counts and the people it is a share of both number at least this many
        (:func:`evalkit.privacy.safe_rate`).

    Returns
    -------
    pandas.DataFrame
        One row per wave in analysis order: ``partnership_id, wave, order, role,
        n_enrolled, n_answered`` (participants with at least one answer at the
        wave), ``n_retained`` (of them, those who also answered the baseline wave),
        ``retention_rate`` (``n_retained`` / participants answering the baseline),
        ``suppressed``, ``note``.

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.waves import retention_by_wave
    >>> retention_by_wave(evalkit.load_data("data/sample"), "riverside-literacy")["wave"].tolist()
    ['pre', 'post', 'followup']
    """
    check_min_group_size(min_group_size)
    _check_partnership(data, partnership_id)
    r = _responses(data, partnership_id)
    order = wave_order(data, partnership_id)
    roles = wave_roles(order, data.waves)
    n_enrolled = int((data.participants["partnership_id"] == partnership_id).sum())
    who = {w: set(g) for w, g in r.groupby("wave")["participant_id"]}
    base = next((w for w in order if roles[w] == "baseline"), order[0] if order else None)
    at_base = who.get(base, set())
    rows = [{"partnership_id": partnership_id, "wave": w, "order": i, "role": roles[w], "n_enrolled": n_enrolled,
             "n_answered": len(who.get(w, ())), "n_retained": len(who.get(w, set()) & at_base)}
            for i, w in enumerate(order)]
    table = pd.DataFrame(rows, columns=["partnership_id", "wave", "order", "role", "n_enrolled", "n_answered",
                                        "n_retained"])
    table["retention_rate"] = safe_rate(table["n_retained"], pd.Series(len(at_base), index=table.index),
                                        min_group_size)
    return suppress_small_groups(table, "n_answered", min_group_size, ["retention_rate"])


# --- baseline against each later wave ---------------------------------------------------------
def baseline_vs_later(data, partnership_id: str, measures=None, *, correction: str = "holm", alpha: float = 0.05,
                      conf_level: float = 0.95, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Compare the baseline wave with each later wave, on participants who answered both.

    Each later wave is compared with the baseline by
    :func:`evalkit.compare_prepost` (``pre=`` the baseline, ``post=`` that wave:
    paired t, Wilcoxon or McNemar by measure kind). The p-values of the whole
    family (every measure x later wave) are then adjusted together, with Holm's
    method by default, so looking at many waves does not inflate false findings.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measures : list of str, optional
    correction : str
        ``"holm"`` (default) or another method of :func:`evalkit.stats.adjust_pvalues`.
    alpha, conf_level, min_group_size
        As for :func:`evalkit.compare_prepost`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`evalkit.compare_prepost` plus ``baseline``, ``wave``
        (the later wave), ``order`` and ``role``; ``p_adjusted`` and ``significant``
        are over the whole family. Empty when the partnership has fewer than two waves.

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.waves import baseline_vs_later
    >>> t = baseline_vs_later(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> sorted(set(t["wave"]))
    ['followup', 'post']
    """
    from evalkit.compare import COLUMNS
    from evalkit.stats import adjust_pvalues

    if correction != "none":
        adjust_pvalues([0.5], method=correction)  # raises InputError for an unknown method
    _check_partnership(data, partnership_id)
    order = wave_order(data, partnership_id)
    roles = wave_roles(order, data.waves)
    base = next((w for w in order if roles[w] == "baseline"), None)
    later = [w for w in order if base is not None and order.index(w) > order.index(base)]
    parts = []
    for w in later:
        t = compare_prepost(data, partnership_id, measures, correction="none", pre=base, post=w, alpha=alpha,
                            conf_level=conf_level, min_group_size=min_group_size)
        if len(t):
            parts.append(t.assign(baseline=base, wave=w, order=order.index(w), role=roles[w]))
    extra = ["baseline", "wave", "order", "role"]
    if not parts:
        return pd.DataFrame(columns=COLUMNS + extra)
    table = pd.concat(parts, ignore_index=True)
    p = table["pvalue"].to_numpy(float)
    table["p_adjusted"] = p if correction == "none" else adjust_pvalues(p, method=correction)
    table["significant"] = table["p_adjusted"] < alpha
    return table[COLUMNS + extra]


# --- the time effect ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False, kw_only=True)
class TimeTrendResult(Result):
    """Result of :func:`time_trend`.

    Attributes
    ----------
    estimate, se, ci_low, ci_high, pvalue : float
        The time effect: the change per unit of time (``time_unit``) in the
        measure's units for continuous and ordinal measures; for binary measures
        ``estimate``, ``ci_low`` and ``ci_high`` are the odds ratio per unit of
        time (``se`` is on the log-odds scale).
    effect : str
        ``"change per wave"`` or ``"odds ratio per wave"`` (per ``time_unit``).
    model : str
        The model fitted (see :data:`MODEL_FOR_KIND`).
    n_participants, n_observations, n_waves : int
        People, answers and waves used (every available answer of every participant).
    suppressed : bool
        True when fewer than ``min_group_size`` participants answered: nothing is shown.
    """

    partnership_id: str
    measure: str
    label: str
    kind: str
    model: str
    effect: str
    time_unit: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    n_participants: int
    n_observations: int
    n_waves: int
    higher_is_better: bool
    scale_min: float
    scale_max: float
    conf_level: float
    suppressed: bool = False
    converged: bool = True
    note: str = ""


def _long(data, partnership_id: str, measure: str) -> pd.DataFrame:
    r = _responses(data, partnership_id, [measure])
    times = wave_times(data, partnership_id)
    return r.assign(time=r["wave"].map(times)).sort_values(["participant_id", "time"], kind="stable")


def time_trend(data, partnership_id: str, measure: str, *, conf_level: float = 0.95,
               min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> TimeTrendResult:
    """The trend of one measure over every wave, using every answer of every participant.

    Method, by the measure's declared kind (see the module docstring for why):

    * continuous: linear mixed model ``value ~ time + (1 | participant)``
      (statsmodels ``MixedLM``, REML; Wald interval and p-value of the time
      coefficient from its normal approximation);
    * ordinal: GEE ``value ~ time``, Gaussian family, identity link, exchangeable
      working correlation within participant, robust (sandwich) standard errors;
    * binary: GEE ``value ~ time``, binomial family, logit link, exchangeable
      working correlation, robust standard errors; the effect is the odds ratio per
      unit of time.

    ``time`` is the wave's position (0, 1, 2, ...) or, when the ``waves`` table
    gives an ``order`` for every wave, that order (:func:`wave_times`).

    Assumptions: a linear trend in time; answers missing at random given the
    answers observed (mixed model; GEE needs missing completely at random, a
    stronger assumption under heavy attrition); independent participants. Robust
    errors can be too small with few participants (under about 40).

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measure : str
    conf_level : float
    min_group_size : int
        With fewer participants than this, nothing is estimated (``suppressed``).

    Returns
    -------
    TimeTrendResult

    References
    ----------
    Laird, N. M. and Ware, J. H. (1982). Random-effects models for longitudinal data.
    *Biometrics*, 38, 963-974.
    Liang, K.-Y. and Zeger, S. L. (1986). Longitudinal data analysis using generalized
    linear models. *Biometrika*, 73, 13-22.
    Everitt, B. S. and Hothorn, T. (2006). *A Handbook of Statistical Analyses Using R*,
    ch. 11 (the ``BtheB`` trial, analysed with a random-intercept model).

    Examples
    --------
    >>> import evalkit
    >>> from evalkit.waves import time_trend
    >>> res = time_trend(evalkit.load_data("data/sample"), "riverside-literacy", "skills")
    >>> res.model, res.n_waves
    ('linear mixed model (random intercept per participant)', 3)
    """
    import warnings

    import statsmodels.formula.api as smf
    from scipy import stats
    from statsmodels.genmod import cov_struct, families  # not statsmodels.api: 0.2 s more to import, unused

    check_min_group_size(min_group_size)
    _check_partnership(data, partnership_id)
    known_values(measure, data.measures["measure"], "measure")
    info = data.measures.set_index("measure").loc[measure]
    kind = info["kind"]
    long = _long(data, partnership_id, measure)
    n_people, n_obs, n_waves = long["participant_id"].nunique(), len(long), long["wave"].nunique()
    effect = f"{'odds ratio' if kind == 'binary' else 'change'} per {_time_unit(data, partnership_id)}"
    base = dict(partnership_id=partnership_id, measure=measure, label=str(info["label"]), kind=kind,
                model=MODEL_FOR_KIND[kind], effect=effect, time_unit=_time_unit(data, partnership_id),
                n_participants=int(n_people), n_observations=int(n_obs), n_waves=int(n_waves),
                higher_is_better=bool(info["higher_is_better"]), scale_min=float(info["scale_min"]),
                scale_max=float(info["scale_max"]), conf_level=conf_level)
    blank = dict(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, pvalue=np.nan)
    if n_people < min_group_size:
        # the counts themselves would describe fewer than k people: not shown either
        return TimeTrendResult(**{**base, "n_participants": 0, "n_observations": 0}, **blank, suppressed=True,
                               note=f"suppressed: fewer than {min_group_size} participants")
    if n_waves < 2 or long["value"].nunique() < 2:
        return TimeTrendResult(**base, **blank, note="needs answers at two or more waves that vary")
    z = stats.norm.ppf(0.5 + conf_level / 2)
    converged, note = True, ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if kind == "continuous":
            fit = smf.mixedlm("value ~ time", long, groups=long["participant_id"]).fit(reml=True)
            converged = bool(getattr(fit, "converged", True))
        else:
            family = families.Binomial() if kind == "binary" else families.Gaussian()
            fit = smf.gee("value ~ time", groups="participant_id", data=long, family=family,
                          cov_struct=cov_struct.Exchangeable()).fit()
    problems = sorted({str(w.message).split("\n")[0] for w in caught
                       if issubclass(w.category, (UserWarning, RuntimeWarning)) or "Convergence" in w.category.__name__})
    if problems or not converged:
        converged = False
        note = "the model may not have converged: " + "; ".join(problems)[:300]
    est, se = float(fit.params["time"]), float(fit.bse["time"])
    lo, hi = est - z * se, est + z * se
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan
    if kind == "binary":
        est, lo, hi = math.exp(est), math.exp(lo), math.exp(hi)
    return TimeTrendResult(**base, estimate=est, se=se, ci_low=lo, ci_high=hi, pvalue=p, converged=converged,
                           note=note)


def time_trends(data, partnership_id: str, measures=None, *, min_waves: int = 3, conf_level: float = 0.95,
                alpha: float = 0.05, correction: str = "holm",
                min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """:func:`time_trend` for every measure answered at ``min_waves`` or more waves (default 3), as one table.

    Measures asked at two waves only are left to the pre/post comparison
    (:func:`evalkit.compare_prepost`), which answers the same question directly.

    The p-values are adjusted across the measures (``p_adjusted``; Holm by default).

    Returns
    -------
    pandas.DataFrame
        One row per measure: the fields of :class:`TimeTrendResult`, ``p_adjusted``, ``significant``.
    """
    from evalkit.stats import adjust_pvalues

    r = _responses(data, partnership_id, measures)
    several = r.groupby("measure")["wave"].nunique()
    chosen = [m for m in data.measures["measure"] if several.get(m, 0) >= max(2, min_waves)]
    rows = [time_trend(data, partnership_id, m, conf_level=conf_level, min_group_size=min_group_size).to_dict()
            for m in chosen]
    table = pd.DataFrame(rows, columns=[f.name for f in dataclasses.fields(TimeTrendResult)])
    p = table["pvalue"].to_numpy(float)
    table["p_adjusted"] = p if correction == "none" or not len(p) else adjust_pvalues(p, method=correction)
    table["significant"] = table["p_adjusted"] < alpha
    return table


# --- plain language ---------------------------------------------------------------------------
def describe_time_trend(res, *, alpha: float = 0.05, digits: int = 1,
                        min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """One sentence on a :class:`TimeTrendResult` (or a row of :func:`time_trends`).

    Uses the adjusted p-value when the row has one. The change is in the
    measure's own units: points on its declared scale, or the units of its label
    when it declares none; for a binary measure, the odds of answering yes.

    Examples
    --------
    "Across 5 waves (339 answers from 100 participants), Depression (BDI-II)
    scores fell by 1.9 points per wave on a 0-63 scale (95% CI 1.5 to 2.3), an
    improvement unlikely to be due to chance."
    """
    from evalkit.narrate import md_escape
    from evalkit.privacy import format_count

    get = res.get if isinstance(res, dict) or hasattr(res, "get") else (lambda k, d=None: getattr(res, k, d))
    label = md_escape(get("label"))
    if get("suppressed"):
        return (f"Too few participants answered {label} to estimate its trend over time "
                f"({format_count(None, min_group_size)}).")
    est = get("estimate")
    if est is None or not math.isfinite(est):
        return f"The trend of {label} over time could not be estimated: {get('note') or 'not enough answers'}."
    p = get("p_adjusted", None)
    p = p if p is not None and math.isfinite(p) else get("pvalue")
    null = 1.0 if get("kind") == "binary" else 0.0   # an odds ratio per wave, else a change per wave
    lo_, hi_ = get("ci_low"), get("ci_high")
    held = lo_ is not None and hi_ is not None and math.isfinite(lo_) and lo_ <= null <= hi_
    credible = math.isfinite(p) and p < alpha and not held   # as the verdicts: the test and the interval shown
    chance = "unlikely to be due to chance" if credible else "that could be due to chance"
    level = f"{round(get('conf_level') * 100)}% CI"
    unit = get("time_unit")
    head = (f"Across {get('n_waves')} waves ({get('n_observations'):,} answers from "
            f"{format_count(get('n_participants'), min_group_size)} participants), ")
    if get("kind") == "binary":
        up = est > 1
        # "improvement"/"decline" only when chance is ruled out, as the outcomes' verdicts
        what = ("no change" if round(est, 2) == 1 else "a change" if not credible
                else "an improvement" if up == get("higher_is_better") else "a decline")
        return (f"{head}the odds of answering yes to \"{label}\" were multiplied by {est:.2f} per {unit} "
                f"({level} {get('ci_low'):.2f} to {get('ci_high'):.2f}): {what} {chance}.")
    lo, hi = get("scale_min"), get("scale_max")
    bounded = lo is not None and hi is not None and math.isfinite(lo) and math.isfinite(hi)
    where = f" on a {_n(lo, 0)}-{_n(hi, 0)} scale" if bounded else ""
    rounded = round(abs(est), digits)
    ci = f"{level} {_n(get('ci_low'), digits)} to {_n(get('ci_high'), digits)}"
    if rounded == 0:
        return f"{head}{label} barely changed ({_n(est, digits + 1)} per {unit}{where}, {ci}), {chance}."
    verb = "rose" if est > 0 else "fell"
    what = f"{label} scores" if bounded else f"{label}"
    amount = f"{_n(rounded, digits)} points" if bounded else f"{_n(rounded, digits)}"
    better = ("a change" if not credible   # "improvement"/"decline" only when chance is ruled out
              else "an improvement" if (est > 0) == get("higher_is_better") else "a decline")
    return f"{head}{what} {verb} by {amount} per {unit}{where} ({ci}): {better} {chance}."


# --- figure -------------------------------------------------------------------------------------
def _at_least_a_quarter(ax, bounds) -> None:
    """Widen ``ax``'s y limits to a quarter of the scale ``bounds`` (min, max) around what is drawn, inside them, and
    never narrower than what is drawn (an interval past the scale's end keeps its cap)."""
    if bounds is None or not np.isfinite(np.asarray(bounds, dtype=float)).all() or bounds[1] <= bounds[0]:
        return
    drawn_low, drawn_high = ax.get_ylim()
    span = (bounds[1] - bounds[0]) / 4
    if drawn_high - drawn_low >= span:
        return
    middle = (drawn_low + drawn_high) / 2
    low = min(max(middle - span / 2, bounds[0]), bounds[1] - span)
    ax.set_ylim(min(low, drawn_low), max(low + span, drawn_high))


def plot_trajectory(table: pd.DataFrame, *, conf_level: float = 0.95, title: str | None = None,
                    min_group_size: int = DEFAULT_MIN_GROUP_SIZE, panel_size: tuple[float, float] = (4.6, 3.2),
                    scales: dict | None = None):
    """Mean of each measure at each wave with its interval, one panel per measure (from :func:`trajectory`).

    Suppressed means are not drawn, and the panel says how many were withheld.
    ``scales`` maps a measure to its scale's ``(minimum, maximum)``: its axis then spans at
    least a quarter of that range (1 point of a 1-5 scale), inside the scale, so a change of
    0.2 points does not fill the panel (matplotlib's own limits hug the intervals).
    ``title=""`` draws no overall title (each panel still names its measure and
    the interval); ``panel_size`` is each panel's width and height in inches.
    Every text from the data (labels, wave and group names) is drawn literally:
    it is passed with ``usetex=False`` and ``parse_math=False``, so a ``$`` in a
    label never starts mathtext.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import textwrap

    import seaborn as sns

    from evalkit.figures import tight_layout, wrap_title
    from evalkit.plots import _empty, subplots

    literal = {"usetex": False, "parse_math": False}
    measures = list(dict.fromkeys(table["measure"]))
    if not measures:
        return _empty("No measure was answered at more than one wave.")
    ncol = min(2, len(measures))
    nrow = int(np.ceil(len(measures) / ncol))
    fig, axes = subplots(nrow, ncol, figsize=(panel_size[0] * ncol, panel_size[1] * nrow), squeeze=False)
    groups = list(dict.fromkeys(table["group"]))
    colors = dict(zip(groups, sns.color_palette("colorblind", max(len(groups), 1))))
    for ax, m in zip(axes.flat, measures):
        t = table[table["measure"] == m].sort_values("order")
        waves = list(dict.fromkeys(t["wave"]))
        x_of = {w: i for i, w in enumerate(waves)}
        shift = np.linspace(-0.08, 0.08, len(groups)) if len(groups) > 1 else [0.0]
        for off, g in zip(shift, groups):
            s = t[(t["group"] == g) & ~t["suppressed"]]
            if s.empty:
                continue
            x = np.array([x_of[w] for w in s["wave"]]) + off
            ax.errorbar(x, s["mean"], yerr=[s["mean"] - s["ci_low"], s["ci_high"] - s["mean"]], fmt="-o",
                        color=colors[g], ms=5, capsize=3, lw=1.5, label=str(g) if len(groups) > 1 else None)
        ax.set_xticks(range(len(waves)), [wave_label(w) for w in waves], **literal)
        _at_least_a_quarter(ax, (scales or {}).get(m))
        kind = t["kind"].iloc[0]
        ax.set_ylabel("share answering yes" if kind == "binary" else "mean", **literal)
        width = round(9 * panel_size[0])
        head = wrap_title(t["label"].iloc[0], width)   # a question's whole text, or CJK: three lines at most
        if title is not None:   # the interval's words on a line of their own when the line is full ("... and / 95% CI")
            tail = f"mean and {round(conf_level * 100)}% CI"
            head += (": " if len(head.split("\n")[-1]) + len(tail) + 2 <= width else ":\n") + tail
        ax.set_title(head, fontsize=10, **literal)
        withheld = int(t["suppressed"].sum())
        if withheld:   # small or protecting, the groups left out get one reason (privacy, rule 2)
            note = withheld_note(withheld, "means", min_group_size, protected=n_protecting(t))
            # under the panel, wrapped to its width (about 11 characters an inch at 9 pt): on one line inside the
            # axes it ran past the figure's edge, and tight_layout could not lay the figure out
            ax.set_xlabel(textwrap.fill(note, max(30, round(11 * panel_size[0]))), fontsize=9, color="0.3",
                          **literal)
        if len(groups) > 1 and ax.get_legend_handles_labels()[1]:   # no legend over a panel of withheld means
            leg = ax.legend(frameon=False, fontsize=9)
            leg.set_title(column_label(str(t["group_variable"].iloc[0])), prop={"size": 9})
            for text in [*leg.get_texts(), leg.get_title()]:
                text.set_parse_math(False)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    if title != "":
        fig.suptitle(title or f"Mean at each wave ({round(conf_level * 100)}% CI)", fontsize=11, **literal)
    sns.despine(fig)
    tight_layout(fig)
    return fig


def describe_trajectory(table: pd.DataFrame, *, conf_level: float = 0.95,
                        min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """Alternative text for :func:`plot_trajectory`: each panel's mean at each wave, from its data.

    Suppressed means are not described (the figure does not draw them); the
    text says how many were withheld.

    Examples
    --------
    >>> t = pd.DataFrame({"measure": "m", "label": "Mood", "kind": "continuous", "group": "All participants",
    ...                   "wave": ["t1", "t2"], "order": [0, 1], "mean": [2.0, 2.5], "suppressed": False})
    >>> describe_trajectory(t)
    'Line chart of the mean at each wave (95% CI), one panel per measure: Mood: 2.0 at t1, 2.5 at t2.'
    """
    parts = []
    for m in dict.fromkeys(table["measure"]):
        t = table[table["measure"] == m].sort_values("order")
        share = t["kind"].iloc[0] == "binary"
        groups = list(dict.fromkeys(t["group"]))
        said = []
        for g in groups:
            s = t[(t["group"] == g) & ~t["suppressed"].astype(bool)]
            points = ", ".join((f"{100 * v:.0f}%" if share else _n(v, 1)) + f" at {wave_label(w)}"
                               for w, v in zip(s["wave"], s["mean"]))
            if points:
                said.append(f"{g}: {points}" if len(groups) > 1 else points)
        withheld = int(t["suppressed"].astype(bool).sum())
        text = f"{t['label'].iloc[0]}: " + ("; ".join(said) if said else "nothing shown")
        if withheld:
            guard = n_protecting(t)
            text += f" ({withheld_note(withheld, 'means', min_group_size, protected=guard)})"
        parts.append(text)
    if not parts:
        return "No measure was answered at more than one wave."
    return (f"Line chart of the mean at each wave ({round(conf_level * 100)}% CI), one panel per measure: "
            + ". ".join(parts) + ".")


def methods_text(*, correction: str = "holm", min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """The methods paragraph of the report's change-over-time section (Markdown)."""
    return ("**Change over time** (measures asked at three or more waves). Mean per wave with its t interval "
            "(Wilson for yes/no); the baseline against each later wave with the outcomes table's tests, "
            f"{correction.title()}-adjusted across measures and waves; the time effect from every answer: a linear "
            "mixed model with a random intercept per participant (statsmodels MixedLM, REML) for continuous "
            "measures, GEE with exchangeable correlation and robust errors for rating scales (Gaussian, identity "
            "link) and yes/no answers (binomial, logit link: odds ratio). Assumes a linear trend and answers "
            "missing at random. " + suppression_rule("Waves answered by fewer than {k} participants are not shown.",
                                                    "waves", min_group_size))
