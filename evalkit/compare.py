"""Table-level pre/post comparison: one row per partnership x measure (x subgroup).

This is the analysis the report's outcomes table shows. For each partnership,
measure and (optionally) subgroup it matches participants who answered at both
waves and runs the test that fits the measure's declared kind:

========== ============================== =====================================
kind       test                           effect size
========== ============================== =====================================
continuous paired t                       Cohen's d_z with its interval; also Hedges' g
                                          of the change over the pre-test SD with its
                                          interval and the WWC improvement index
ordinal    Wilcoxon signed-rank           matched-pairs rank-biserial r
binary     McNemar (exact when fewer than odds ratio of change (no -> yes /
           25 discordant pairs)           yes -> no) with its exact interval
========== ============================== =====================================

The test is chosen from the data contract, never from a normality test on the
same data, so the choice cannot be tuned to the result.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import InputError
from evalkit.privacy import (DEFAULT_MIN_GROUP_SIZE, check_min_group_size, complementary_suppression,
                              suppress_small_groups)
from evalkit.stats import adjust_pvalues, improvement_index, mcnemar_test, paired_test, standardized_mean_change
from evalkit.stats._validation import check_probability

#: The test used for each measure kind.
TEST_FOR_KIND = {"continuous": "paired t", "ordinal": "Wilcoxon signed-rank", "binary": "McNemar"}

#: Columns of the table returned by :func:`compare_prepost`, in order.
COLUMNS = [
    "partnership_id", "measure", "label", "kind", "group_variable", "group",
    "n_pre", "n_post", "n_pairs", "mean_pre", "sd_pre", "mean_post", "sd_post",
    "mean_change", "ci_low", "ci_high", "test", "statistic", "df", "pvalue", "p_adjusted",
    "effect_size", "effect_size_name", "effect_ci_low", "effect_ci_high",
    "direction", "significant", "scale_min", "scale_max", "higher_is_better", "suppressed", "note",
    "sd_change", "verdict", "g", "g_ci_low", "g_ci_high", "improvement_index",
]
_STAT_COLUMNS = [
    "mean_pre", "sd_pre", "mean_post", "sd_post", "mean_change", "ci_low", "ci_high",
    "statistic", "df", "pvalue", "p_adjusted", "effect_size", "effect_ci_low", "effect_ci_high", "sd_change",
    "g", "g_ci_low", "g_ci_high", "improvement_index",
]

#: What :func:`compare_prepost`'s ``verdict`` column says when chance is not ruled out.
NO_CLEAR_CHANGE = "no clear change"


def known_values(requested, known, what: str) -> list:
    """``requested`` (one value or a list) as a list, or InputError naming the unknown ones and the known ones."""
    values = [requested] if isinstance(requested, str) or not np.iterable(requested) else list(requested)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InputError(f"unknown {what} {unknown}; known: {sorted(known)}")
    return values


def check_data(data) -> None:
    """InputError unless ``data`` holds the loaded tables (:func:`evalkit.load_data`), not e.g. the folder's path."""
    if not all(hasattr(data, t) for t in ("partnerships", "participants", "measures", "responses")):
        raise InputError(f"data must be the tables ek.load_data returns, got {type(data).__name__} {data!r:.80}; "
                         "load the folder first: data = ek.load_data(folder)")


def partnership_ids(data, partnership_id=None) -> list[str]:
    """The partnerships an analysis covers: all of ``data`` by default, else the ones named (checked)."""
    if partnership_id is None:
        return list(data.partnerships["partnership_id"])
    return known_values(partnership_id, data.partnerships["partnership_id"], "partnership_id")


def scored_if_asked(data, measures):
    """``data`` with its multi-item scales scored (:func:`evalkit.scales.with_scale_scores`) when ``measures``
    names a scale rather than a measure, so ``"teamwork"`` works wherever its items' names would; else ``data``."""
    if measures is None or "scale" not in data.measures.columns:
        return data
    scales = set(data.measures["scale"].dropna()) - set(data.measures["measure"])
    if scales & set([measures] if isinstance(measures, str) else measures):
        from evalkit.scales import with_scale_scores

        return with_scale_scores(data)
    return data


def matched_pairs(data, partnership_id=None, measures=None, *, pre="pre", post="post") -> pd.DataFrame:
    """Wide table of participants' pre and post values, one row per participant x measure.

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data (see :func:`evalkit.load_data`).
    partnership_id : str or list of str, optional
        Restrict to these partnerships (default: all).
    measures : list of str, optional
        Restrict to these measures (default: all). A multi-item scale's name (``"teamwork"``)
        gives its scale score, as :func:`compare_prepost` compares it.
    pre, post : str
        The two waves to compare (default ``"pre"`` and ``"post"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``partnership_id, participant_id, measure, pre, post``; ``pre`` or
        ``post`` is NaN where the participant did not answer that wave.
    """
    check_data(data)
    data = scored_if_asked(data, measures)
    r = data.responses
    waves = set(r["wave"].unique())
    for w in (pre, post):
        if w not in waves:
            raise InputError(f"wave {w!r} does not occur in the responses; waves present: {sorted(waves)}")
    mask = r["wave"].isin([pre, post])
    if partnership_id is not None:
        mask &= r["partnership_id"].isin(known_values(partnership_id, data.partnerships["partnership_id"], "partnership_id"))
    if measures is not None:
        mask &= r["measure"].isin(known_values(measures, data.measures["measure"], "measure"))
    sub = r.loc[mask, ["partnership_id", "participant_id", "measure", "wave", "value"]]
    # Validated data hold at most one value per participant, measure and wave, so each
    # (partnership, participant, measure) key gets its pre and post value by position:
    # one hash pass instead of a pivot (this runs on millions of rows in batch runs).
    # Numbered in sorted key order, so the table comes out sorted.
    keys = ["partnership_id", "participant_id", "measure"]
    code = sub.groupby(keys, sort=True, observed=True).ngroup().to_numpy()
    first = np.unique(code, return_index=True)[1]
    wide = sub.iloc[first][keys].reset_index(drop=True)
    values = sub["value"].to_numpy(float)
    for name, w in (("pre", pre), ("post", post)):
        at = (sub["wave"] == w).to_numpy()
        col = np.full(len(wide), np.nan)
        col[code[at]] = values[at]
        wide[name] = col
    return wide.dropna(subset=["pre", "post"], how="all").reset_index(drop=True)


def _test_one(kind: str, pre: np.ndarray, post: np.ndarray, conf_level: float) -> dict:
    """Run the kind's test on matched pairs and return the table's statistic fields."""
    out: dict = {"test": TEST_FOR_KIND[kind]}
    t = paired_test(pre, post, method="t", conf_level=conf_level)
    out.update(mean_pre=t.mean_pre, mean_post=t.mean_post, mean_change=t.mean_diff,
               ci_low=t.ci_low, ci_high=t.ci_high,
               sd_pre=float(np.std(pre, ddof=1)) if len(pre) > 1 else np.nan,
               sd_post=float(np.std(post, ddof=1)) if len(post) > 1 else np.nan,
               sd_change=float(np.std(post - pre, ddof=1)) if len(pre) > 1 else np.nan)
    if kind == "continuous":
        res, note = t, t.note
        if len(pre) >= 3:
            g = standardized_mean_change(pre, post, conf_level=conf_level)
            out.update(g=g.g, g_ci_low=g.ci_low, g_ci_high=g.ci_high)
        out.update(statistic=t.statistic, df=t.df, pvalue=t.pvalue, effect_size=t.effect_size,
                   effect_size_name=t.effect_size_name, effect_ci_low=t.effect_ci_low,
                   effect_ci_high=t.effect_ci_high)
        if _all_changed_alike(out):  # the t statistic is undefined; the exact sign test is not
            sign = paired_test(pre, post, method="sign", conf_level=conf_level, conf_int=False)
            out.update(test="sign test (exact)", statistic=sign.statistic, df=np.nan, pvalue=sign.pvalue)
            note = SAME_CHANGE_NOTE
    elif kind == "ordinal":
        res = paired_test(pre, post, method="wilcoxon", conf_level=conf_level, conf_int=False)
        note = res.note
        out.update(statistic=res.statistic, df=np.nan, pvalue=res.pvalue, effect_size=res.effect_size,
                   effect_size_name=res.effect_size_name, effect_ci_low=res.effect_ci_low,
                   effect_ci_high=res.effect_ci_high)
    elif kind == "binary":
        discordant = int(np.sum(pre != post))
        exact = discordant < 25
        res = mcnemar_test(pre, post, exact=exact)
        note = res.note
        out.update(test="McNemar (exact)" if exact else "McNemar", statistic=res.statistic, df=np.nan if exact else 1.0,
                   pvalue=res.pvalue, effect_size=res.odds_ratio, effect_size_name="odds ratio of change",
                   effect_ci_low=res.or_ci_low, effect_ci_high=res.or_ci_high)
    else:  # validated data never get here
        raise InputError(f"unknown measure kind {kind!r}; expected one of {sorted(TEST_FOR_KIND)}")
    notes = [n for n in (note, t.note if kind != "continuous" else None) if n]
    out["note"] = "; ".join(dict.fromkeys(notes))
    return out


#: Note of a continuous measure on which every participant changed by the same (non-zero) amount.
SAME_CHANGE_NOTE = ("every participant changed by the same amount (SD of the changes is 0): no t interval; "
                    "exact sign test")


def _all_changed_alike(row) -> bool:
    """Every pair changed by the same non-zero amount: the SD of the changes is 0 and the mean change is not."""
    return bool(row.get("sd_change") == 0 and np.isfinite(row.get("mean_change", np.nan)) and row["mean_change"] != 0)


def _directions(table: pd.DataFrame) -> np.ndarray:
    """Each row's point estimate in words: ``"improved"`` or ``"declined"`` given ``higher_is_better``, or
    ``"no change"`` when the mean change is 0 or missing."""
    change = table["mean_change"].to_numpy(float)
    better = (change > 0) == table["higher_is_better"].astype(bool).to_numpy()
    return np.where(~np.isfinite(change) | (change == 0), "no change", np.where(better, "improved", "declined"))


def _verdicts(table: pd.DataFrame, alpha: float) -> np.ndarray:
    """Each row's ``direction`` when chance is ruled out, else :data:`NO_CLEAR_CHANGE` (see :func:`compare_prepost`);
    ``"suppressed"`` for suppressed rows."""
    lo, hi, p, change, sd = (table[c].to_numpy(float) for c in ("ci_low", "ci_high", "p_adjusted", "mean_change",
                                                                 "sd_change"))
    direction = table["direction"].to_numpy(object)
    alike = (sd == 0) & np.isfinite(change) & (change != 0)   # as _all_changed_alike, row by row
    # every pair changed by the same amount: the t interval shrinks to that amount, which is not 0
    excludes_zero = (np.isfinite(lo) & np.isfinite(hi) & ((lo > 0) | (hi < 0))) | alike
    chance_ruled_out = excludes_zero & np.isfinite(p) & (p < alpha) & np.isin(direction, ["improved", "declined"])
    return np.where(table["suppressed"].astype(bool).to_numpy(), "suppressed",
                    np.where(chance_ruled_out, direction, NO_CLEAR_CHANGE))


def _measures_compared(data, scales: str, measures):
    """``data`` with its scales scored (``scales="score"``) or as it is (``"items"``); InputError otherwise."""
    if scales not in ("score", "items"):
        raise InputError(f"scales={scales!r}: expected 'score' (compare each scale's score, as reports do) or "
                         "'items' (compare each item on its own).")
    if scales == "items" or "scale" not in data.measures.columns or data.measures["scale"].isna().all():
        return data
    from evalkit.scales import with_scale_scores

    items = data.measures.dropna(subset=["scale"])
    asked = [m for m in (measures or []) if m in set(items["measure"])]
    if asked:
        scale = items.set_index("measure").loc[asked[0], "scale"]
        raise InputError(f"measure {asked[0]!r} is an item of the scale {scale!r}, which is compared as one score; "
                         f"ask for {scale!r}, or pass scales='items' to compare items one by one.")
    return with_scale_scores(data)


def fold_unrecorded(data, columns=None, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, pre: str = "pre",
                    post: str = "post", partnership_id: str | list[str] | None = None):
    """A copy of ``data`` whose too-small "not recorded" groups join the largest recorded group.

    Participants whose characteristic is blank form the group "Not recorded" in
    group tables. When fewer than ``min_group_size`` people of a partnership are
    in it, suppressing it is not enough: the whole-partnership row minus the shown
    groups would reveal it, so complementary suppression also blanks the next
    smallest group, often the very group an equity question is about (e.g. the
    low-income participants). Folding the few unrecorded people into the largest
    recorded group, relabelled ``"<group> or not recorded"``, keeps every group at
    or above the threshold and every other group visible; the label says what was
    done. A "not recorded" group is folded when it has fewer than ``min_group_size``
    people enrolled, or with both ``pre`` and ``post`` answers on some measure,
    and every recorded group is large enough to show (otherwise the small groups
    protect each other and folding would only cost another group); larger "not
    recorded" groups are left alone (they are shown as a group). Measures with
    fewer than ``min_group_size`` pairs in the whole partnership are withheld for
    every group, so they are not counted.

    Parameters
    ----------
    data : evalkit.load.Dataset
    columns : list of str, optional
        Group columns to fold (default ``data.group_columns``).
    min_group_size : int
    partnership_id : str or list of str, optional
        Fold only these partnerships' participants (each partnership is decided from its own rows and pairs,
        so they are folded as when every partnership is); the others are left as they are. Default: every
        partnership.

    Returns
    -------
    evalkit.load.Dataset
        The input is not modified.
    """
    import dataclasses

    people = data.participants.copy()
    changed = False
    waves = set(data.responses["wave"].unique())
    pairs = (matched_pairs(data, partnership_id, pre=pre, post=post).dropna(subset=["pre", "post"])
             if {pre, post} <= waves else pd.DataFrame(columns=["partnership_id", "participant_id", "measure"]))
    rows_of = people.groupby("partnership_id", sort=False).groups   # folding changes no partnership_id
    if partnership_id is not None:
        wanted = {partnership_id} if isinstance(partnership_id, str) else set(partnership_id)
        rows_of = {pid: idx for pid, idx in rows_of.items() if pid in wanted}
    pairs_of = {}   # each partnership's pairs, selected once
    for col in (data.group_columns if columns is None else columns):
        for pid, idx in rows_of.items():
            values = people.loc[idx, col]
            blank = values.isna() | (values.astype("string").str.strip() == "")
            n_blank = int(blank.sum())
            if n_blank == 0 or blank.all():
                continue
            if pid not in pairs_of:
                mine = pairs[pairs["partnership_id"] == pid]
                # an outcome with fewer than k pairs in the whole partnership is withheld, and so is every group
                # of it: it has no small group to protect, and counted here it made every group "small" (trial 13)
                per = mine["measure"].value_counts()
                pairs_of[pid] = mine[mine["measure"].isin(per.index[per >= min_group_size])]
            ids = set(people.loc[idx[blank.to_numpy()], "participant_id"])
            theirs = pairs_of[pid]["participant_id"].isin(ids).to_numpy()
            per_measure = np.unique(pairs_of[pid]["measure"].to_numpy(object)[theirs], return_counts=True)[1]
            if n_blank >= min_group_size and not ((per_measure > 0) & (per_measure < min_group_size)).any():
                continue
            if _recorded_group_is_small(people.loc[idx[~blank.to_numpy()]], col, pairs_of[pid], min_group_size):
                continue  # suppression blanks a recorded group anyway: folding would only cost another group
            largest = values[~blank].astype(str).value_counts().idxmax()
            label = f"{largest} or not recorded"
            people[col] = people[col].astype(object)
            people.loc[idx[blank.to_numpy()], col] = label
            people.loc[idx[(values.astype(str) == largest).to_numpy() & ~blank.to_numpy()], col] = label
            changed = True
    return dataclasses.replace(data, participants=people) if changed else data


_fold = fold_unrecorded  # compare_prepost's parameter of the same name hides the function inside it


def _recorded_group_is_small(people: pd.DataFrame, col: str, pairs: pd.DataFrame, min_group_size: int) -> bool:
    """Whether a recorded group of ``col`` has fewer than ``min_group_size`` people enrolled or paired on a measure."""
    values = people[col].astype(str)
    if (values.value_counts() < min_group_size).any():
        return True
    # each pair's group by its participant's row (one per participant in validated data); a blank is in no group
    at = pd.Index(people["participant_id"]).get_indexer(pairs["participant_id"])
    found = at >= 0
    if not found.any():
        return False
    measure = pd.factorize(pairs["measure"].to_numpy()[found])[0]
    group = pd.factorize(people[col].to_numpy()[at[found]])[0]
    pairs_per_cell = np.unique(measure * (group.max() + 1) + group, return_counts=True)[1]
    return bool((pairs_per_cell < min_group_size).any())


def compare_prepost(
    data,
    partnership_id=None,
    measures=None,
    by=None,
    correction: str = "holm",
    *,
    pre: str = "pre",
    post: str = "post",
    alpha: float = 0.05,
    conf_level: float = 0.95,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    scales: str = "score",
    fold_unrecorded: bool = True,
) -> pd.DataFrame:
    """Compare matched pre and post values per partnership, measure and subgroup.

    Parameters
    ----------
    data : evalkit.load.Dataset
        Validated data from :func:`evalkit.load_data`.
    partnership_id : str or list of str, optional
        Partnerships to include (default: all).
    measures : list of str, optional
        Measures to include (default: every measure answered at both waves).
    by : str, optional
        A participants' group column (e.g. ``"gender"``); adds one row per group.
        Participants with no value form the group ``"Not recorded"``; when too few of
        them to show, they are folded into the largest group (see ``fold_unrecorded``).
    correction : str
        Multiplicity correction applied to the p-values of one partnership and one
        group across its measures (the family a report's outcomes table shows):
        ``"holm"`` (default), ``"hochberg"``, ``"bonferroni"``, ``"bh"``, ``"by"``
        or ``"none"``.
    pre, post : str
        Waves to compare; ``post="followup"`` compares baseline with follow-up.
    alpha : float
        Significance level for the ``significant`` column (uses ``p_adjusted``).
    conf_level : float
        Confidence level of the intervals.
    min_group_size : int
        Rows with fewer matched pairs than this are suppressed: every statistic and every
        count (``n_pre`` and ``n_post`` too) is blanked and ``suppressed`` is True, so no
        small group can be singled out.
        With ``by``, complementary suppression (:func:`evalkit.privacy.complementary_suppression`)
        also blanks the next smallest group of a measure when the blanked groups
        together hold fewer than ``min_group_size`` people, so no blanked group can
        be recovered by subtracting the shown groups from the whole-partnership row.
    scales : {"score", "items"}, default "score"
        ``"score"``: the items of a multi-item scale (the measures table's ``scale``
        column) are compared as one measure, their scale score (each participant's
        mean of the answered items, reverse-coded items flipped first:
        :func:`evalkit.scales.with_scale_scores`), as reports do; the multiplicity
        correction then runs over the same measures as a report's. ``"items"``: each
        item on its own; a reverse-coded item is judged in its own direction (agreeing
        less with "I prefer to work alone" is an improvement on a teamwork scale
        whose ``higher_is_better`` is True).
    fold_unrecorded : bool, default True
        With ``by``: a "Not recorded" group too small to show joins the largest recorded
        group, labelled ``"<group> or not recorded"``, as in reports
        (:func:`fold_unrecorded`); otherwise complementary suppression would blank a
        second, recorded group to protect it. ``False`` keeps it as its own group.

    Returns
    -------
    pandas.DataFrame
        One row per partnership x measure (x group), columns :data:`COLUMNS`.
        ``n_pre`` and ``n_post`` count everyone who answered that wave; the means,
        SDs, change and tests use the ``n_pairs`` participants who answered both
        (change is ``post - pre``). ``ci_low``/``ci_high`` bound the mean change
        (paired t interval, for every kind); ``pvalue`` and ``effect_size`` come
        from the kind's test (see the module docstring). ``direction`` says whether
        the point estimate is an improvement given ``higher_is_better``; ``verdict``
        says so only when chance is ruled out: ``"improved"`` or ``"declined"`` when
        the interval of the mean change excludes 0 *and* the kind's test is
        significant after the multiplicity correction (``p_adjusted < alpha``),
        otherwise ``"no clear change"`` (``"suppressed"`` for suppressed rows).
        Requiring both keeps the words consistent with the interval shown beside
        them and with the report's adjusted p-values. When every pair changed by
        the same non-zero amount (``sd_change`` 0) the t interval is undefined (NaN,
        and ``note`` says so); it would shrink to that amount, so only the test
        decides, and for a continuous measure the test is the exact sign test
        (``test`` ``"sign test (exact)"``), since the t statistic is undefined too.
        ``sd_change`` is the SD of the
        individual changes (the standardiser of d_z). For continuous measures ``g``
        (``g_ci_low``, ``g_ci_high``) is Hedges' g of the change standardised by the
        pre-test SD (:func:`evalkit.stats.standardized_mean_change`, the WWC's
        convention) and ``improvement_index`` its WWC improvement index, oriented so
        that positive is favourable (``higher_is_better``); NaN for other kinds.

    Notes
    -----
    Assumes the data passed validation: at most one value per participant,
    measure and wave. Pairs missing either wave are excluded from the tests
    (complete-case analysis); heavy attrition is reported by ``n_pre`` vs
    ``n_pairs`` and should be read alongside :func:`evalkit.attrition`.

    Examples
    --------
    >>> import evalkit
    >>> data = evalkit.load_data("data/sample")                      # doctest: +SKIP
    >>> evalkit.compare_prepost(data, "riverside-literacy")          # doctest: +SKIP
    """
    if by is not None and not isinstance(by, str) and np.iterable(by):
        raise InputError(f"by takes one group column, got {by!r}; for several, compare_by_group(data, "
                         f"partnership_id, columns={list(by)!r}) gives each column's table")
    return _compare(data, partnership_id, [by], measures, correction=correction, pre=pre, post=post, alpha=alpha,
                    conf_level=conf_level, min_group_size=min_group_size, scales=scales,
                    fold_unrecorded=fold_unrecorded)[by]


def compare_by_group(data, partnership_id=None, columns=None, correction: str = "holm", *, pre: str = "pre",
                     post: str = "post", alpha: float = 0.05, conf_level: float = 0.95,
                     min_group_size: int = DEFAULT_MIN_GROUP_SIZE, scales: str = "score",
                     fold_unrecorded: bool = True) -> dict[str, pd.DataFrame]:
    """:func:`compare_prepost` by each of several group columns, the pairs matched once for all of them.

    Parameters
    ----------
    data, partnership_id, correction, pre, post, alpha, conf_level, min_group_size, scales, fold_unrecorded
        As :func:`compare_prepost`.
    columns : list of str, optional
        Participants' group columns (default ``data.group_columns``).

    Returns
    -------
    dict
        ``{column: compare_prepost(data, partnership_id, by=column, ...)}`` in the order of ``columns``:
        the same tables (each column's groups, folding, suppression and Holm family are its own), with
        the matching of pre and post answers, which does not depend on the groups, done once.
    """
    check_data(data)
    columns = [columns] if isinstance(columns, str) else list(data.group_columns if columns is None else columns)
    return _compare(data, partnership_id, columns, None, correction=correction, pre=pre, post=post, alpha=alpha,
                    conf_level=conf_level, min_group_size=min_group_size, scales=scales,
                    fold_unrecorded=fold_unrecorded)


def _compare(data, partnership_id, bys: list, measures, *, correction: str, pre: str, post: str, alpha: float,
             conf_level: float, min_group_size: int, scales: str, fold_unrecorded: bool) -> dict:
    """``{by: comparison table}`` for each of ``bys`` (``None``: everyone together), the pairs matched once."""
    check_data(data)
    _check_correction(correction)
    alpha = check_probability(alpha, "alpha")
    min_group_size = check_min_group_size(min_group_size)
    if fold_unrecorded:  # each column is folded on its own (fold_unrecorded), so all at once is the same
        folded = [c for c in bys if c is not None and c in data.participants.columns]
        if folded:
            data = _fold(data, folded, min_group_size=min_group_size, pre=pre, post=post,
                         partnership_id=partnership_id)
    data = _measures_compared(data, scales, measures)
    wide, meta = _comparable_pairs(data, partnership_id, measures, pre=pre, post=post, scales=scales)
    return {by: _comparison_table(wide, meta, data, by, correction=correction, pre=pre, post=post, alpha=alpha,
                                  conf_level=conf_level, min_group_size=min_group_size)
            for by in bys}


def _check_correction(correction: str) -> None:
    """InputError unless ``correction`` is a method of :func:`evalkit.stats.adjust_pvalues` or ``"none"``."""
    if correction != "none":
        try:
            adjust_pvalues([0.5], method=correction)
        except InputError as err:  # the method list of adjust_pvalues, plus compare_prepost's own "none"
            raise InputError(f"unknown correction {correction!r}; {str(err).split('; ', 1)[-1]} or 'none'") from None


def _comparable_pairs(data, partnership_id, measures, *, pre: str, post: str, scales: str):
    """The matched pairs :func:`compare_prepost` compares (:func:`matched_pairs`; without ``measures``, only
    measures answered at both waves) and each measure's row of the measures table, by measure name."""
    wide = matched_pairs(data, partnership_id, measures, pre=pre, post=post)
    meta = data.measures.set_index("measure").to_dict("index")  # measure -> its row, looked up per cell
    if scales == "items" and "reverse_coded" in data.measures.columns:
        for m in meta.values():  # an item worded against its scale: its own better direction is the other one
            if pd.notna(m.get("reverse_coded")) and bool(m.get("reverse_coded")):
                m["higher_is_better"] = not bool(m["higher_is_better"])
    if measures is None:  # measures asked at only one of the waves (e.g. satisfaction) cannot be compared
        both = wide.dropna().groupby("measure").size()
        wide = wide[wide["measure"].isin(both.index)]
    return wide, meta


def _comparison_table(wide: pd.DataFrame, meta: dict, data, by, *, correction: str, pre: str, post: str,
                      alpha: float, conf_level: float, min_group_size: int) -> pd.DataFrame:
    """:func:`compare_prepost`'s table from its pairs and measures (:func:`_comparable_pairs`); neither is modified."""
    keys = ["partnership_id", "measure"]
    if by is not None:
        if by not in data.participants.columns or by in ("participant_id", "partnership_id"):
            raise InputError(f"unknown group column {by!r}; group columns: {list(data.group_columns)}")
        groups = data.participants[["partnership_id", "participant_id", by]].rename(columns={by: "group"})
        wide = wide.merge(groups, on=["partnership_id", "participant_id"], how="left")
        wide["group"] = wide["group"].astype("string").fillna("Not recorded")
        keys.append("group")

    pre_all, post_all = wide["pre"].to_numpy(float), wide["post"].to_numpy(float)
    rows = []
    # positional indices per group: no per-group DataFrame is built (this loop runs once per table cell)
    for key, idx in wide.groupby(keys, sort=True, observed=True).indices.items():
        key = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        m = meta[key["measure"]]
        pre_g, post_g = pre_all[idx], post_all[idx]
        both = ~np.isnan(pre_g) & ~np.isnan(post_g)
        row = {**key, "label": m["label"], "kind": m["kind"], "group_variable": by,
               "n_pre": int((~np.isnan(pre_g)).sum()), "n_post": int((~np.isnan(post_g)).sum()),
               "n_pairs": int(both.sum()), "scale_min": m["scale_min"], "scale_max": m["scale_max"],
               "higher_is_better": bool(m["higher_is_better"])}
        if row["n_pairs"] >= min_group_size:  # smaller groups are suppressed below: nothing to compute
            row.update(_test_one(m["kind"], pre_g[both], post_g[both], conf_level))
        else:
            row["test"] = TEST_FOR_KIND[m["kind"]]
        rows.append(row)
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "p_adjusted"])
    if by is None:
        table["group"] = "All participants"

    if by is None:
        table = suppress_small_groups(table, "n_pairs", min_group_size, _STAT_COLUMNS)
    else:  # the groups of one measure add up to its whole-partnership row: protect them from subtraction
        table = complementary_suppression(table, "n_pairs", ["partnership_id", "measure"], min_group_size,
                                          _STAT_COLUMNS, count_columns=["n_pre", "n_post", "n_pairs"])
    note = table["note"].to_numpy(object).copy()
    for wave, column in ((pre, "n_pre"), (post, "n_post")):  # nobody to pair: say why, not "fewer than k"
        note[table[column].eq(0).fillna(False).to_numpy(bool)] = f"not asked at {wave}"
    table["note"] = note
    table["p_adjusted"] = table["pvalue"]
    if len(table) and correction != "none":
        adjusted = table["pvalue"].to_numpy(float).copy()
        for idx in table.groupby(["partnership_id", "group"], sort=False).indices.values():
            adjusted[idx] = adjust_pvalues(adjusted[idx], method=correction)
        table["p_adjusted"] = adjusted
    table["direction"] = _directions(table) if len(table) else pd.Series(dtype=str)
    table.loc[table["suppressed"], "direction"] = "suppressed"
    table["significant"] = table["p_adjusted"] < alpha
    table["verdict"] = _verdicts(table, alpha) if len(table) else pd.Series(dtype=str)
    sign = np.where(table["higher_is_better"].astype(bool), 1.0, -1.0)
    table["improvement_index"] = [improvement_index(x) for x in sign * table["g"].to_numpy(float)]
    return table[COLUMNS].reset_index(drop=True)
