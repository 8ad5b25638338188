"""How the partners see the partnership: their own periodic check-in survey (the ``partner_survey`` table).

At each check-in, people on each side of the partnership (``respondent_role``:
e.g. ``institution`` and ``partner``) rate items such as communication, trust,
shared goals, resources and shared decision-making on a declared scale. One row
is one respondent's answer to one item; respondents are counted per period,
role and item.

Respondents are people, so :mod:`evalkit.privacy` applies: a role's mean rests
on at least ``min_group_size`` respondents or is not shown, and because every
role's answers are also shown pooled ("all respondents"), the roles of one
period and item form a partition of a shown total, so complementary suppression
applies (:func:`~evalkit.privacy.complementary_suppression`).

Intervals: a mean's interval is the one-sample t interval; a gap between two
roles and a change between two check-ins compare different people (respondents
are not linked across periods), so they use Welch's unequal-variance t interval
(``scipy.stats.ttest_ind(..., equal_var=False)``; Welch 1947).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

from evalkit.compare import partnership_ids
from evalkit.indicators import period_order
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, complementary_suppression

__all__ = ["ALL_ROLES", "partner_survey_summary", "partner_survey_gaps", "partner_survey_change",
           "partner_survey_health"]

#: the ``respondent_role`` of the pooled rows of :func:`partner_survey_summary`.
ALL_ROLES = "all respondents"


def _roles(values) -> list[str]:
    """Roles in report order: ``institution`` first, then ``partner``, then the others alphabetically."""
    first = [r for r in ("institution", "partner") if r in set(values)]
    return first + sorted(set(values) - set(first))


def _mean_ci(x: np.ndarray, conf_level: float) -> tuple[float, float, float, float]:
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan, np.nan
    mean, sd = float(np.mean(x)), float(np.std(x, ddof=1)) if n > 1 else np.nan
    if n < 2 or sd == 0:
        return mean, sd, np.nan, np.nan
    ci = st.ttest_1samp(x, mean).confidence_interval(conf_level)
    return mean, sd, float(ci.low), float(ci.high)


def _survey(data, ids) -> pd.DataFrame:
    s = data.partner_survey
    s = s[s["partnership_id"].isin(ids) & s["value"].notna()]
    return s


def partner_survey_summary(data, partnership_id=None, *, conf_level: float = 0.95,
                           min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Each item's mean per check-in, per respondent role and for all respondents, suppressed for small groups.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    conf_level : float
    min_group_size : int

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, period, period_rank, item, label, respondent_role`` (a role, or
        :data:`ALL_ROLES`), ``scale_min, scale_max, n_respondents, mean, sd, ci_low, ci_high,
        suppressed, note``.

    Examples
    --------
    >>> import evalkit
    >>> s = partner_survey_summary(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> bool((s.loc[~s["suppressed"], "n_respondents"] >= 10).all())
    True
    """
    k = check_min_group_size(min_group_size)
    return _summary(_survey(data, partnership_ids(data, partnership_id)), conf_level, k)


def _summary(s: pd.DataFrame, conf_level: float, k: int, *, means: bool = True) -> pd.DataFrame:
    """:func:`partner_survey_summary` of the survey rows ``s``; ``means=False`` leaves every mean, SD and
    interval blank (which rows are suppressed depends on the counts alone). A group's statistics are
    computed only when it has ``k`` or more respondents: smaller ones are blanked anyway."""
    columns = ["partnership_id", "period", "period_rank", "item", "label", "respondent_role", "scale_min",
               "scale_max", "n_respondents", "mean", "sd", "ci_low", "ci_high", "suppressed", "note"]
    if s.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for pid, g in s.groupby("partnership_id", sort=False):
        rank = {p: i for i, p in enumerate(period_order(g["period"]))}
        roles = _roles(g["respondent_role"])
        for (period, item), d in g.groupby(["period", "item"], sort=False):
            label = d["label"].dropna().iloc[0] if d["label"].notna().any() else item
            values, role_of = d["value"].to_numpy(float), d["respondent_role"].to_numpy(object)
            for role in [*roles, ALL_ROLES]:
                x = values if role == ALL_ROLES else values[role_of == role]
                if role != ALL_ROLES and not len(x):
                    continue
                mean, sd, lo, hi = _mean_ci(x, conf_level) if means and len(x) >= k else (np.nan,) * 4
                rows.append({"partnership_id": pid, "period": period, "period_rank": rank[period], "item": item,
                             "label": label, "respondent_role": role, "scale_min": d["scale_min"].iloc[0],
                             "scale_max": d["scale_max"].iloc[0], "n_respondents": len(x), "mean": mean, "sd": sd,
                             "ci_low": lo, "ci_high": hi})
    t = pd.DataFrame(rows)
    values = ["mean", "sd", "ci_low", "ci_high"]
    pooled = t["respondent_role"] == ALL_ROLES
    roles = complementary_suppression(t[~pooled], "n_respondents", ["partnership_id", "period", "item"], k,
                                      values, count_columns=["n_respondents"])
    alls = complementary_suppression(t[pooled], "n_respondents", [], k, values, count_columns=["n_respondents"])
    out = pd.concat([roles, alls]).sort_index()
    out = out.sort_values(["partnership_id", "period_rank", "item"], kind="stable").reset_index(drop=True)
    return out[columns]


def _welch(a: np.ndarray, b: np.ndarray, conf_level: float) -> tuple[float, float, float, float]:
    """Difference of means a - b, Welch interval and p-value (NaN when either side has under 2 answers)."""
    if len(a) < 2 or len(b) < 2 or (np.var(a) == 0 and np.var(b) == 0):
        return float(np.mean(a) - np.mean(b)) if len(a) and len(b) else np.nan, np.nan, np.nan, np.nan
    res = st.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(conf_level)
    return float(np.mean(a) - np.mean(b)), float(ci.low), float(ci.high), float(res.pvalue)


def partner_survey_gaps(data, partnership_id=None, *, roles: tuple[str, str] | None = None, conf_level: float = 0.95,
                        min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Gaps between two respondent roles on each item at each check-in (``roles[0]`` minus ``roles[1]``).

    Method: difference of the two roles' means with Welch's t interval and
    p-value. Shown only when each role has at least ``min_group_size`` respondents
    and neither is blanked in :func:`partner_survey_summary` (complementary suppression
    against the pooled row: a third, smaller role could otherwise be worked out).

    Parameters
    ----------
    roles : (str, str), optional
        Default: ``("institution", "partner")`` when both occur, else the first
        two roles in order (institution, partner, then alphabetical).

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, period, period_rank, item, label, role_a, role_b, n_a, n_b, mean_a, mean_b,
        gap, ci_low, ci_high, pvalue, suppressed, note`` (why a gap is blank: fewer than ``min_group_size``
        respondents in a role, or a role blanked only so that a smaller role cannot be worked out by
        subtraction: :func:`evalkit.privacy.protects` reads which).

    Examples
    --------
    >>> import evalkit
    >>> g = partner_survey_gaps(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> sorted(set(g["role_a"])), sorted(set(g["role_b"]))
    (['institution'], ['partner'])
    """
    k = check_min_group_size(min_group_size)
    ids = partnership_ids(data, partnership_id)
    s = _survey(data, ids)
    columns = ["partnership_id", "period", "period_rank", "item", "label", "role_a", "role_b", "n_a", "n_b",
               "mean_a", "mean_b", "gap", "ci_low", "ci_high", "pvalue", "suppressed", "note"]
    # a role the check-in table blanks (fewer than k, or so that the pooled row less the others cannot give a
    # smaller role) is blanked here too: its mean beside the pooled one would give that smaller role away
    summary = _summary(s, 0.95, k, means=False) if len(s) else pd.DataFrame(
        columns=["partnership_id", "period", "item", "respondent_role", "suppressed"])
    blanked = set(map(tuple, summary.loc[summary["suppressed"].astype(bool),
                                         ["partnership_id", "period", "item", "respondent_role"]].to_numpy()))
    rows = []
    for pid, g in s.groupby("partnership_id", sort=False):
        a_role, b_role = roles or (tuple(_roles(g["respondent_role"]))[:2] + (None, None))[:2]
        if a_role is None or b_role is None:
            continue
        rank = {p: i for i, p in enumerate(period_order(g["period"]))}
        for (period, item), d in g.groupby(["period", "item"], sort=False):
            values, role_of = d["value"].to_numpy(float), d["respondent_role"].to_numpy(object)
            a, b = values[role_of == a_role], values[role_of == b_role]
            hide_a, hide_b = ((pid, period, item, role) in blanked for role in (a_role, b_role))
            small = len(a) < k or len(b) < k or hide_a or hide_b
            gap, lo, hi, p = (np.nan,) * 4 if small else _welch(a, b, conf_level)
            rows.append({"partnership_id": pid, "period": period, "period_rank": rank[period], "item": item,
                         "label": d["label"].dropna().iloc[0] if d["label"].notna().any() else item,
                         "role_a": a_role, "role_b": b_role,
                         "n_a": pd.NA if len(a) < k or hide_a else len(a), "n_b": pd.NA if len(b) < k or hide_b else len(b),
                         "mean_a": np.nan if small else float(np.mean(a)),
                         "mean_b": np.nan if small else float(np.mean(b)),
                         "gap": gap, "ci_low": lo, "ci_high": hi, "pvalue": p, "suppressed": small,
                         # one note whether a role is small or blanked to protect one, as the check-in table
                         # does: saying which would tell a reader which blanked role is the small one
                         "note": (f"a role with fewer than {k} respondents, or one not shown with it so that it "
                                  "cannot be worked out by subtraction" if small else "")})
    out = pd.DataFrame(rows, columns=columns)
    for c in ("n_a", "n_b"):
        out[c] = out[c].astype("Int64")
    return out.sort_values(["partnership_id", "period_rank", "item"], kind="stable").reset_index(drop=True)


def partner_survey_change(data, partnership_id=None, *, conf_level: float = 0.95,
                          min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Change on each item from the first check-in to the latest, all respondents pooled.

    Method: latest mean minus first mean with Welch's t interval (the
    respondents of two check-ins are treated as independent groups, which is
    conservative when the same people answer both). Shown only when both
    check-ins have at least ``min_group_size`` respondents to the item.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, item, label, first_period, latest_period, n_first, n_latest, mean_first,
        mean_latest, change, ci_low, ci_high, pvalue, suppressed``; items asked at one check-in only are left out.

    Examples
    --------
    >>> import evalkit
    >>> c = partner_survey_change(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> bool((c["first_period"] != c["latest_period"]).all())
    True
    """
    k = check_min_group_size(min_group_size)
    ids = partnership_ids(data, partnership_id)
    s = _survey(data, ids)
    columns = ["partnership_id", "item", "label", "first_period", "latest_period", "n_first", "n_latest",
               "mean_first", "mean_latest", "change", "ci_low", "ci_high", "pvalue", "suppressed"]
    rows = []
    for (pid, item), d in s.groupby(["partnership_id", "item"], sort=False):
        order = period_order(d["period"])
        if len(order) < 2:
            continue
        a = d.loc[d["period"] == order[-1], "value"].to_numpy(float)
        b = d.loc[d["period"] == order[0], "value"].to_numpy(float)
        small = len(a) < k or len(b) < k
        change, lo, hi, p = (np.nan,) * 4 if small else _welch(a, b, conf_level)
        rows.append({"partnership_id": pid, "item": item,
                     "label": d["label"].dropna().iloc[0] if d["label"].notna().any() else item,
                     "first_period": order[0], "latest_period": order[-1],
                     "n_first": pd.NA if len(b) < k else len(b), "n_latest": pd.NA if len(a) < k else len(a),
                     "mean_first": np.nan if small else float(np.mean(b)),
                     "mean_latest": np.nan if small else float(np.mean(a)),
                     "change": change, "ci_low": lo, "ci_high": hi, "pvalue": p, "suppressed": small})
    out = pd.DataFrame(rows, columns=columns)
    for c in ("n_first", "n_latest"):
        out[c] = out[c].astype("Int64")
    return out


def partner_survey_health(data, partnership_id=None, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """One number per partnership for the portfolio: the latest check-in's mean rating as a share of its scale.

    Method: at each partnership's latest check-in, every answer is rescaled to
    0-100% of its item's scale (``(value - scale_min) / (scale_max - scale_min)``)
    and averaged over all answers; shown when at least ``min_group_size``
    distinct respondent-rows answered each item (the smallest item count is used).

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, latest_period, n_items, n_respondents`` (the fewest answers to an item),
        ``health`` (0-100), ``suppressed``.

    Examples
    --------
    >>> import evalkit
    >>> h = partner_survey_health(evalkit.load_data("data/sample"))
    >>> bool(h["health"].dropna().between(0, 100).all())
    True
    """
    k = check_min_group_size(min_group_size)
    ids = partnership_ids(data, partnership_id)
    s = _survey(data, ids)
    rows = []
    for pid, g in s.groupby("partnership_id", sort=False):
        latest = period_order(g["period"])[-1]
        d = g[g["period"] == latest]
        pct = 100 * (d["value"] - d["scale_min"]) / (d["scale_max"] - d["scale_min"])
        n = int(d.groupby("item").size().min())
        rows.append({"partnership_id": pid, "latest_period": latest, "n_items": d["item"].nunique(),
                     "n_respondents": n if n >= k else pd.NA, "health": float(pct.mean()) if n >= k else np.nan,
                     "suppressed": n < k})
    out = pd.DataFrame(rows, columns=["partnership_id", "latest_period", "n_items", "n_respondents", "health",
                                      "suppressed"])
    out["n_respondents"] = out["n_respondents"].astype("Int64")
    return out
