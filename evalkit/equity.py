"""For whom did the programme work? Tests of whether change differs across groups.

Per group characteristic (``gender``, ``low_income``...) and measure,
:func:`group_differences` tests whether participants' change (post minus pre)
differs across the characteristic's groups: the group x time interaction of a
pre/post design, which for matched pairs is a comparison of change scores
across groups. The p-values of every characteristic and measure of a report
form one family and are Holm-adjusted together, so a gap called credible
survives the many comparisons a "results by group" section makes.

Privacy: only groups shown in the report's group tables enter a test, that is
groups with at least ``min_group_size`` matched pairs that complementary
suppression did not blank (:func:`evalkit.compare_prepost` with ``by``);
participants whose group is not recorded are left out. A test needs at least
two such groups, so no suppressed group is ever described.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.compare import _measures_compared, check_data, compare_by_group, known_values, matched_pairs
from evalkit.compare import fold_unrecorded as fold
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE

#: Columns of :func:`group_differences`, in order.
COLUMNS = [
    "partnership_id", "group_variable", "measure", "label", "kind", "higher_is_better", "test", "k_groups",
    "n", "statistic", "df_num", "df_den", "pvalue", "p_adjusted", "credible",
    "least_group", "least_change", "least_n", "most_group", "most_change", "most_n",
]

#: The test of each measure kind: ANOVA F on change scores for continuous measures (as OLS of change on
#: group), Kruskal-Wallis on change scores for ordinal and binary ones (changes of -1/0/+1 are ranks too).
TEST_FOR_KIND = {"continuous": "anova", "ordinal": "kruskal", "binary": "kruskal"}


def group_differences(data, partnership_id: str, *, group_columns=None, alpha: float = 0.05,
                      min_group_size: int = DEFAULT_MIN_GROUP_SIZE, pre: str = "pre", post: str = "post",
                      by_group: dict | None = None, fold_unrecorded: bool = True,
                      scales: str = "score") -> pd.DataFrame:
    """Whether change differs across the groups of each characteristic, Holm-adjusted across all of them.

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data, as loaded or with scale scores already computed
        (:func:`evalkit.scales.with_scale_scores`).
    partnership_id : str
        One partnership.
    group_columns : list of str, optional
        Characteristics to test (default: ``data.group_columns``).
    alpha : float
        Level at which a Holm-adjusted p-value makes a gap ``credible``.
    min_group_size : int
        Privacy threshold; groups below it (or blanked by complementary suppression) are not tested.
    pre, post : str
        The waves compared.
    by_group : dict, optional
        ``{column: compare_prepost(..., by=column)}`` tables already computed (a report has them); the others
        are computed (:func:`evalkit.compare.compare_by_group`).
    fold_unrecorded : bool, default True
        Fold "Not recorded" groups too small to show into the largest group first, as
        :func:`evalkit.compare_prepost` and reports do (:func:`evalkit.compare.fold_unrecorded`);
        ``False`` when ``data`` is folded already.
    scales : {"score", "items"}, default "score"
        As in :func:`evalkit.compare_prepost`: each multi-item scale is tested on its
        score (the mean of its items, reverse-coded items flipped), as reports do, or
        ``"items"``: each item on its own.

    Returns
    -------
    pandas.DataFrame
        One row per characteristic x measure with at least two shown groups, columns :data:`COLUMNS`.
        ``test`` is ``"anova"`` (one-way ANOVA F of the change scores, equal to the F test of
        group in an OLS of change on group, i.e. the group x time interaction; ``df_num``, ``df_den``)
        or ``"kruskal"`` (Kruskal-Wallis H with tie correction, chi-square on ``df_num`` df).
        ``p_adjusted`` is Holm's adjustment over every row (:func:`evalkit.stats.adjust_pvalues`);
        ``credible`` is ``p_adjusted < alpha``. ``least_*`` / ``most_*`` are the shown groups whose
        mean change was least / most favourable given ``higher_is_better``, with their matched pairs.

    Notes
    -----
    Change scores compare groups on the same participants' pre and post answers: a group
    that started lower and caught up shows a larger change. The ANOVA assumes roughly normal
    change scores with equal variances across groups; the Kruskal-Wallis test only that
    groups' change distributions have the same shape. Differences across groups are
    associations: a characteristic may stand in for others (income for school, for example).
    """
    from evalkit.stats import adjust_pvalues, oneway_test

    check_data(data)
    columns = (list(data.group_columns) if group_columns is None
               else known_values(group_columns, data.group_columns, "group column"))  # one name is one column
    data = _measures_compared(data, scales, None)  # the scales scored, as the group tables compare them
    if fold_unrecorded:
        data = fold(data, columns, min_group_size=min_group_size, pre=pre, post=post, partnership_id=partnership_id)
    tables = dict(by_group or {})
    missing = [c for c in columns if tables.get(c) is None]
    if missing:
        tables.update(compare_by_group(data, partnership_id, missing, alpha=alpha, min_group_size=min_group_size,
                                       pre=pre, post=post, fold_unrecorded=False, scales="items"))
    pairs = matched_pairs(data, partnership_id, pre=pre, post=post).dropna(subset=["pre", "post"])
    # every characteristic of each pair's participant, joined once (validated data: one row per participant)
    merged = pairs.merge(data.participants[["partnership_id", "participant_id", *dict.fromkeys(columns)]],
                         on=["partnership_id", "participant_id"], how="inner")
    change = (merged["post"] - merged["pre"]).to_numpy(float)
    measure_code, measure_names = pd.factorize(merged["measure"])
    measure_at = {m: i for i, m in enumerate(measure_names)}
    rows = []
    for col in columns:
        table = tables[col]
        shown = table[~table["suppressed"].astype(bool) & (table["group"] != "Not recorded")]
        # each pair's group as a code (a blank group is -1, in no cell; -2 below is a value no pair has)
        group_code, group_names = pd.factorize(merged[col].astype("string"))
        group_at = {g: i for i, g in enumerate(group_names)}
        s = {c: shown[c].to_numpy() for c in ("measure", "group", "label", "kind", "higher_is_better",
                                              "mean_change", "n_pairs")}
        for measure in pd.unique(s["measure"]):
            at = np.flatnonzero(s["measure"] == measure)
            if len(at) < 2:
                continue
            m = at[0]
            shown_groups = sorted(set(s["group"][at]))   # the tested groups in sorted order, as a groupby gives them
            in_measure = measure_code == measure_at.get(measure, -2)
            arrays = {str(k): change[in_measure & (group_code == group_at.get(k, -2))] for k in shown_groups}
            arrays = {k: v for k, v in arrays.items() if len(v)}   # the groups with pairs, in pair order
            res = oneway_test(arrays, method=TEST_FOR_KIND[s["kind"][m]])
            sign = 1.0 if bool(s["higher_is_better"][m]) else -1.0
            ordered = at[np.argsort(sign * s["mean_change"][at].astype(float), kind="stable")]
            least, most = ordered[0], ordered[-1]
            rows.append({
                "partnership_id": partnership_id, "group_variable": col, "measure": measure, "label": s["label"][m],
                "kind": s["kind"][m], "higher_is_better": bool(s["higher_is_better"][m]), "test": res.method,
                "k_groups": res.k, "n": res.n, "statistic": res.statistic, "df_num": res.df_num,
                "df_den": res.df_den, "pvalue": res.pvalue,
                "least_group": s["group"][least], "least_change": float(s["mean_change"][least]),
                "least_n": int(s["n_pairs"][least]), "most_group": s["group"][most],
                "most_change": float(s["mean_change"][most]), "most_n": int(s["n_pairs"][most]),
            })
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("p_adjusted", "credible")])
    out["p_adjusted"] = np.nan
    ok = out["pvalue"].notna().to_numpy()
    if ok.any():
        out.loc[ok, "p_adjusted"] = adjust_pvalues(out.loc[ok, "pvalue"].to_numpy(float), method="holm")
    out["credible"] = out["p_adjusted"] < alpha
    return out[COLUMNS].reset_index(drop=True)


def group_phrase(variable: str, group: str, labels=None) -> str:
    """How page one names a group: ``("low_income", "yes")`` -> ``"low-income participants"``.

    Yes/no characteristics read as an adjective (``"no"`` -> ``"other participants"``), or,
    labelled "... status", as ``"participants with English-language learner status"``;
    any other group is named with its characteristic: ``"65+ (age group)"``. With a
    ``labels`` table (:mod:`evalkit.labels`) the group's and the characteristic's
    labels are used: a labelled yes/no group reads ``"<label> participants"``
    (``"Low-income"`` -> ``"low-income participants"``), any other
    ``"<label> (<characteristic's label>)"``.
    """
    from evalkit.labels import column_label, value_label

    words = column_label(variable, labels).strip()
    words = words[:1].lower() + words[1:]
    g = str(group).strip()
    shown = value_label(variable, g, labels)
    if shown != g:   # the labels table names this group
        base = shown[: -len(" or not recorded")] if shown.endswith(" or not recorded") else shown
        if g.lower().removesuffix(" or not recorded") in ("yes", "no", "true", "false", "1", "0"):
            tail = " (or not recorded)" if base != shown else ""
            return f"{base[:1].lower() + base[1:]} participants{tail}"
        return f"{shown} ({words})"
    if g.endswith(" or not recorded") and g[: -len(" or not recorded")].lower() in ("no", "false", "0"):
        return "other participants"
    if g.lower() in ("yes", "true", "1"):
        label = column_label(variable, labels).strip()
        if label.lower().endswith(" status"):   # "English-language learner status", not "...-learner-status"
            return f"participants with {label}"
        return f"{words.replace(' ', '-')} participants"
    if g.lower() in ("no", "false", "0"):
        return "other participants"
    return f"{g} ({words})"
