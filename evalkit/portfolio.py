"""Across partnerships: shared indicators side by side, pooled by random-effects meta-analysis.

Shared indicators (measures flagged ``shared`` in the measures table) are asked
the same way in every partnership, so their changes can be compared and pooled.
Each partnership contributes its mean change on the measure's own scale and
that change's sampling variance (SD of changes squared / n pairs); the pooled
change is a random-effects estimate (REML) because partnerships differ in who
they serve and how, so their true effects are expected to differ (tau^2).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.compare import matched_pairs
from evalkit.participation import attendance_summary, retention
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, suppress_small_groups
from evalkit.stats import meta_analysis
from evalkit.targets import JUDGED, all_target_verdicts, progress_against_targets


def waves_by_role(data):
    """``data`` with each partnership's baseline wave named ``pre`` and its post wave ``post``.

    Partnerships may name their waves freely (``baseline``/``endline``, ``T1``/``T2``...),
    so a comparison across partnerships first maps every partnership's waves to their
    roles (:func:`evalkit.schema.wave_roles`, from the ``waves`` table or the default
    order, per partnership); follow-up waves keep their names. Data whose partnerships
    already use ``pre`` and ``post`` for these roles are returned unchanged.

    Examples
    --------
    >>> import evalkit
    >>> data = evalkit.load_data("data/sample")
    >>> waves_by_role(data) is data
    True
    """
    from dataclasses import replace

    from evalkit.schema import order_waves, wave_roles

    r = data.responses
    seen = r.dropna(subset=["wave"]).groupby("partnership_id", sort=False)["wave"].unique()
    rename = []
    for pid, waves in seen.items():
        for wave, role in wave_roles(order_waves(waves, data.waves), data.waves).items():
            new = {"baseline": "pre", "post": "post"}.get(role, wave)
            if new != wave:
                rename.append((pid, wave, new))
    if not rename:
        return data
    m = pd.DataFrame(rename, columns=["partnership_id", "wave", "_role_wave"])
    merged = r.merge(m, on=["partnership_id", "wave"], how="left")
    responses = r.assign(wave=merged["_role_wave"].fillna(merged["wave"]).to_numpy())
    return replace(data, responses=responses, waves=data.waves.iloc[0:0])


def shared_indicator_changes(data, *, pre: str = "pre", post: str = "post",
                             min_group_size: int = DEFAULT_MIN_GROUP_SIZE, conf_level: float = 0.95) -> pd.DataFrame:
    """Mean change on every shared indicator, one row per partnership x measure.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, name, measure, label, n_pairs, mean_change, se, df, ci_low, ci_high``
        (the paired t interval of the mean change at ``conf_level``, df = pairs - 1: the same
        interval as the partnership's own report), ``suppressed``. Partnerships with fewer
        matched pairs than ``min_group_size`` are suppressed and excluded from pooling.
    """
    from scipy import stats

    from evalkit.stats._validation import check_conf_level

    conf_level = check_conf_level(conf_level)
    meta = data.measures
    shared = meta.loc[meta.get("shared", pd.Series(False, index=meta.index)).fillna(False).astype(bool), "measure"]
    if shared.empty or not {pre, post} <= set(data.responses["wave"]):  # e.g. no post survey collected yet
        return pd.DataFrame(columns=["partnership_id", "name", "measure", "label", "n_pairs", "mean_change",
                                     "se", "df", "ci_low", "ci_high", "suppressed"])
    pairs = matched_pairs(data, measures=list(shared), pre=pre, post=post).dropna()
    pairs = _without_comparison_arms(data, pairs)  # a comparison group's change is not the programme's
    pairs["change"] = pairs["post"] - pairs["pre"]
    g = pairs.groupby(["partnership_id", "measure"])["change"].agg(n_pairs="size", mean_change="mean", sd="std")
    g = g.reset_index()
    g["se"] = g["sd"] / np.sqrt(g["n_pairs"])
    g["df"] = (g["n_pairs"] - 1).astype(float)
    q = stats.t.ppf(0.5 + conf_level / 2, g["df"].where(g["df"] > 0))
    g["ci_low"] = g["mean_change"] - q * g["se"]
    g["ci_high"] = g["mean_change"] + q * g["se"]
    alike = g["se"] == 0   # every participant changed by the same amount: no t interval, as in the report
    g.loc[alike, ["ci_low", "ci_high"]] = np.nan
    g = g.merge(data.partnerships[["partnership_id", "name"]], on="partnership_id")
    g = g.merge(meta[["measure", "label"]], on="measure")
    g = g[["partnership_id", "name", "measure", "label", "n_pairs", "mean_change", "se", "df", "ci_low", "ci_high"]]
    return suppress_small_groups(g, "n_pairs", min_group_size, ["mean_change", "se", "df", "ci_low", "ci_high"])


def _without_comparison_arms(data, pairs: pd.DataFrame) -> pd.DataFrame:
    """Drop the rows of participants in a comparison arm (``participants.arm == "comparison"``)."""
    people = data.participants
    if "arm" not in people.columns:
        return pairs
    comparison = people.loc[people["arm"] == "comparison", ["partnership_id", "participant_id"]]
    if comparison.empty:
        return pairs
    keyed = pairs.merge(comparison.assign(_cmp=True), on=["partnership_id", "participant_id"], how="left")
    return keyed[keyed["_cmp"].isna()].drop(columns="_cmp").reset_index(drop=True)


#: ``estimate_type`` of :func:`shared_indicator_effects`: what each partnership's estimate is.
PROGRAM_EFFECT = "program effect (vs comparison group)"
PREPOST_CHANGE = "pre/post change (no comparison group)"


def shared_indicator_effects(data, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Each partnership's estimate on every shared indicator: its program effect where it has a comparison group,
    its pre/post change otherwise, labelled.

    A partnership with participants in both arms (``participants.arm``) contributes its
    program effect: the ANCOVA-adjusted difference program - comparison at its post
    wave (:func:`evalkit.arms.program_effects`) and that estimate's standard error.
    Any other partnership contributes the mean pre/post change of its participants
    (:func:`shared_indicator_changes`; comparison-arm participants are never counted as
    programme participants). The two estimate different things, so they are pooled
    separately (:func:`pooled_effects`) and never mixed.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, name, measure, label, estimate_type`` (:data:`PROGRAM_EFFECT`
        or :data:`PREPOST_CHANGE`), ``n`` (participants behind the estimate),
        ``estimate, se, ci_low, ci_high, suppressed``.

    Examples
    --------
    >>> import evalkit
    >>> t = shared_indicator_effects(evalkit.load_data("data/sample"))
    >>> sorted(set(t["estimate_type"]))
    ['pre/post change (no comparison group)']
    """
    from evalkit.arms import has_comparison, program_effects

    columns = ["partnership_id", "name", "measure", "label", "estimate_type", "n", "estimate", "se", "df", "ci_low",
               "ci_high", "suppressed"]
    changes = shared_indicator_changes(data, min_group_size=min_group_size)
    with_arms = [pid for pid in data.partnership_ids if has_comparison(data, pid)]
    rows = changes[~changes["partnership_id"].isin(with_arms)].rename(
        columns={"n_pairs": "n", "mean_change": "estimate"}).assign(estimate_type=PREPOST_CHANGE)
    parts = [rows]
    meta = data.measures
    shared = set(meta.loc[meta["shared"].fillna(False).astype(bool), "measure"])
    names = data.partnerships.set_index("partnership_id")["name"]
    for pid in with_arms:
        asked = shared & set(data.responses.loc[data.responses["partnership_id"] == pid, "measure"])
        e = program_effects(data, pid, measures=sorted(asked), min_group_size=min_group_size) if asked else None
        if e is None or e.empty:
            continue
        e = e[e["group"] == "program"]
        parts.append(pd.DataFrame({
            "partnership_id": pid, "name": names[pid], "measure": e["measure"], "label": e["label"],
            "estimate_type": PROGRAM_EFFECT, "n": e["n_group"].astype("Int64") + e["n_reference"].astype("Int64"),
            "estimate": e["estimate"], "se": e["se"], "df": e["df"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
            "suppressed": e["suppressed"]}))
    parts = [p[columns] for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    return out.sort_values(["measure", "estimate_type", "partnership_id"], kind="stable", ignore_index=True)


def pooled_effects(effects: pd.DataFrame, *, method: str = "REML", conf_level: float = 0.95) -> pd.DataFrame:
    """Pool :func:`shared_indicator_effects` per indicator and estimate type, never across types.

    Program effects (relative to a comparison group) are pooled with program
    effects, pre/post changes with pre/post changes: one random-effects
    meta-analysis (:func:`evalkit.meta_analysis`) per measure x ``estimate_type``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`pooled_changes` plus ``estimate_type``.
    """
    parts = []
    for kind, g in effects.groupby("estimate_type", sort=True):
        renamed = g.rename(columns={"n": "n_pairs", "estimate": "mean_change"})
        parts.append(pooled_changes(renamed, method=method, conf_level=conf_level).assign(estimate_type=kind))
    columns = ["measure", "label", "estimate_type", *POOLED_COLUMNS[2:]]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


#: Why a partnership whose participants all changed by the same amount is not pooled (``k_left_out``).
LEFT_OUT_REASON = "every participant changed by the same amount, so there is no standard error to weight by"

#: Columns of :func:`pooled_changes`.
POOLED_COLUMNS = ["measure", "label", "k", "k_left_out", "estimate", "se", "ci_low", "ci_high", "pvalue", "tau2", "I2",
                  "Q", "Q_df", "Q_pvalue", "pi_low", "pi_high", "pi_df", "conf_level", "note"]


def pooled_changes(changes: pd.DataFrame, *, method: str = "REML", conf_level: float = 0.95) -> pd.DataFrame:
    """Pool each shared indicator's change across partnerships (:func:`evalkit.meta_analysis`).

    Parameters
    ----------
    changes : pandas.DataFrame
        :func:`shared_indicator_changes` (``mean_change``, ``se``, ``suppressed``).
    method : str
        How tau^2 is estimated (default REML).
    conf_level : float
        Level of the confidence and prediction intervals.

    Returns
    -------
    pandas.DataFrame
        One row per measure, columns :data:`POOLED_COLUMNS`: ``k`` (partnerships pooled),
        ``k_left_out`` (partnerships shown but not pooled because every one of their participants
        changed by the same amount: a standard error of 0 has no inverse-variance weight),
        ``estimate, se, ci_low, ci_high, pvalue`` (Wald, normal), ``tau2, I2``, Cochran's
        ``Q, Q_df, Q_pvalue``, and the prediction interval ``pi_low, pi_high`` (where a new
        partnership's true change is expected to fall) from the t distribution with
        ``pi_df`` = k - 2 degrees of freedom (Higgins, Thompson & Spiegelhalter 2009: with
        few partnerships tau^2 is poorly known, and a normal interval is too narrow); NaN
        with fewer than 3 partnerships. ``note``.
    """
    rows = []
    shown = changes[~changes["suppressed"]]
    for (m, label), rows_m in shown.groupby(["measure", "label"], sort=True):
        # a standard error of 0 (every participant changed by the same amount) has no inverse-variance weight
        g = rows_m[rows_m["se"] > 0]
        left_out = int((rows_m["se"] == 0).sum())
        if len(g) < 2:
            why = (f" ({left_out} more left out: {LEFT_OUT_REASON})") if left_out else ""
            rows.append({"measure": m, "label": label, "k": len(g), "k_left_out": left_out, "conf_level": conf_level,
                         "note": "fewer than 2 partnerships to pool" + why})
            continue
        res = meta_analysis(g["mean_change"].to_numpy(), (g["se"] ** 2).to_numpy(), method=method,
                            conf_level=conf_level, prediction="t")
        rows.append({"measure": m, "label": label, "k": res.k, "k_left_out": left_out, "estimate": res.estimate,
                     "se": res.se, "ci_low": res.ci_low, "ci_high": res.ci_high, "pvalue": res.pvalue, "tau2": res.tau2,
                     "I2": res.I2, "Q": res.Q, "Q_df": res.Q_df, "Q_pvalue": res.Q_pvalue, "pi_low": res.pi_low,
                     "pi_high": res.pi_high, "pi_df": res.pi_df, "conf_level": conf_level, "note": res.note or ""})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def portfolio_overview(data, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """One row per partnership: type, enrolment, retention, attendance and targets met.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, name, partner_type, n_enrolled, retention_rate, attendance_rate,
        targets_met, targets_total, targets_set``; suppressed values are blank. Where a comparison arm is
        set apart (:func:`evalkit.arms.comparison_set_apart`), enrolment, retention and attendance count the
        programme's participants only, as its report does. Targets are counted as
        on page one (:func:`evalkit.targets.all_target_verdicts`): survey and indicator
        targets, ``targets_total`` those that could be judged, ``targets_set`` all of them.
    """
    from evalkit.arms import comparison_set_apart, program_data

    p = data.partnerships[["partnership_id", "name", "partner_type"]]
    ret = retention(data, min_group_size=min_group_size)[["partnership_id", "n_enrolled", "retention_rate"]]
    att = attendance_summary(data, min_group_size=min_group_size)[["partnership_id", "attendance_rate"]]
    # as in each report: a comparison arm set apart is not the programme's enrolment, retention or attendance
    for pid in p["partnership_id"]:
        if comparison_set_apart(data, pid, min_group_size=min_group_size):
            own = program_data(data, pid)
            ret.loc[ret["partnership_id"] == pid, ["n_enrolled", "retention_rate"]] = retention(
                own, pid, min_group_size=min_group_size)[["n_enrolled", "retention_rate"]].to_numpy()
            att.loc[att["partnership_id"] == pid, "attendance_rate"] = attendance_summary(
                own, pid, min_group_size=min_group_size)["attendance_rate"].to_numpy()
    parts = data.partnership_slices()   # one pass over the data, not one per partnership
    counts = []
    for pid in p["partnership_id"]:   # every target, the indicator ones too; judged ones only (as page one)
        part = parts[pid]
        if comparison_set_apart(part, pid, min_group_size=min_group_size):   # judged as its report judges them
            part = program_data(part, pid)
        t = progress_against_targets(part, pid, min_group_size=min_group_size)
        v = all_target_verdicts(part, pid, t, min_group_size=min_group_size)
        judged = v[v["verdict"].isin(JUDGED)]
        counts.append({"partnership_id": pid, "targets_met": int((judged["verdict"] == "met").sum()),
                       "targets_total": len(judged), "targets_set": len(v)})
    met = pd.DataFrame(counts, columns=["partnership_id", "targets_met", "targets_total", "targets_set"])
    out = p.merge(ret, on="partnership_id", how="left").merge(att, on="partnership_id", how="left")
    out = out.merge(met, on="partnership_id", how="left")
    for c in ("targets_met", "targets_total", "targets_set"):
        out[c] = out[c].fillna(0).astype(int)
    return out
