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
from evalkit.targets import progress_against_targets


def shared_indicator_changes(data, *, pre: str = "pre", post: str = "post",
                             min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Mean change on every shared indicator, one row per partnership x measure.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, name, measure, label, n_pairs, mean_change, se, ci_low, ci_high``
        (normal-theory 95% interval of the change, the one the pooling uses),
        ``suppressed``. Partnerships with fewer matched pairs than ``min_group_size``
        are suppressed and excluded from pooling.
    """
    meta = data.measures
    shared = meta.loc[meta.get("shared", pd.Series(False, index=meta.index)).fillna(False).astype(bool), "measure"]
    if shared.empty:
        return pd.DataFrame(columns=["partnership_id", "name", "measure", "label", "n_pairs", "mean_change",
                                     "se", "ci_low", "ci_high", "suppressed"])
    pairs = matched_pairs(data, measures=list(shared), pre=pre, post=post).dropna()
    pairs["change"] = pairs["post"] - pairs["pre"]
    g = pairs.groupby(["partnership_id", "measure"])["change"].agg(n_pairs="size", mean_change="mean", sd="std")
    g = g.reset_index()
    g["se"] = g["sd"] / np.sqrt(g["n_pairs"])
    g["ci_low"] = g["mean_change"] - 1.959963984540054 * g["se"]
    g["ci_high"] = g["mean_change"] + 1.959963984540054 * g["se"]
    g = g.merge(data.partnerships[["partnership_id", "name"]], on="partnership_id")
    g = g.merge(meta[["measure", "label"]], on="measure")
    g = g[["partnership_id", "name", "measure", "label", "n_pairs", "mean_change", "se", "ci_low", "ci_high"]]
    return suppress_small_groups(g, "n_pairs", min_group_size, ["mean_change", "se", "ci_low", "ci_high"])


def pooled_changes(changes: pd.DataFrame, *, method: str = "REML") -> pd.DataFrame:
    """Pool each shared indicator's change across partnerships (:func:`evalkit.meta_analysis`).

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``measure, label, k`` (partnerships pooled),
        ``estimate, ci_low, ci_high, pvalue, tau2, I2, pi_low, pi_high`` (95%
        prediction interval: where a new partnership's true change is expected
        to fall), ``note``.
    """
    rows = []
    usable = changes[~changes["suppressed"] & (changes["se"] > 0)]
    for (m, label), g in usable.groupby(["measure", "label"], sort=True):
        if len(g) < 2:
            rows.append({"measure": m, "label": label, "k": len(g), "note": "fewer than 2 partnerships to pool"})
            continue
        res = meta_analysis(g["mean_change"].to_numpy(), (g["se"] ** 2).to_numpy(), method=method)
        rows.append({"measure": m, "label": label, "k": res.k, "estimate": res.estimate, "ci_low": res.ci_low,
                     "ci_high": res.ci_high, "pvalue": res.pvalue, "tau2": res.tau2, "I2": res.I2,
                     "pi_low": res.pi_low, "pi_high": res.pi_high, "note": res.note or ""})
    return pd.DataFrame(rows, columns=["measure", "label", "k", "estimate", "ci_low", "ci_high", "pvalue",
                                       "tau2", "I2", "pi_low", "pi_high", "note"])


def portfolio_overview(data, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """One row per partnership: type, enrolment, retention, attendance and targets met.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, name, partner_type, n_enrolled, retention_rate, attendance_rate,
        targets_met, targets_total``; suppressed values are blank.
    """
    p = data.partnerships[["partnership_id", "name", "partner_type"]]
    ret = retention(data, min_group_size=min_group_size)[["partnership_id", "n_enrolled", "retention_rate"]]
    att = attendance_summary(data, min_group_size=min_group_size)[["partnership_id", "attendance_rate"]]
    t = progress_against_targets(data, min_group_size=min_group_size)
    met = t.assign(met=t["verdict"] == "met").groupby("partnership_id").agg(
        targets_met=("met", "sum"), targets_total=("verdict", "size")).reset_index()
    out = p.merge(ret, on="partnership_id", how="left").merge(att, on="partnership_id", how="left")
    out = out.merge(met, on="partnership_id", how="left")
    for c in ("targets_met", "targets_total"):
        out[c] = out[c].fillna(0).astype(int)
    return out
