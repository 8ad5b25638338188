"""Progress against the goals a partnership set at the outset (the ``targets`` table).

Each target names an indicator (a measure, ``attendance_rate`` or
``retention_rate``), a statistic and a target value. The observed value gets a
95% interval, and the verdict comes from the interval, not the point estimate
(:func:`evalkit.goal_attainment`): *met* when the whole interval is on the good
side of the target, *not met* when it is wholly on the bad side, *inconclusive*
when it contains the target.

========================= ====================================== ====================
statistic                 estimate                               interval
========================= ====================================== ====================
``mean_post``             mean post score of post respondents    t interval (Wilson for
                          (yes/no: share answering yes, 0-1)     a yes/no measure)
``mean_change``           mean change (post - pre), matched      paired t interval
``pct_improved``          % of matched participants who improved Wilson score
``pct_at_least``          % of post respondents >= ``threshold`` Wilson score
``rate``                  attendance or retention rate, %        Wilson score
========================= ====================================== ====================

``mean_post`` and ``pct_at_least`` count the matched participants only (those who also
answered ``pre``, as the outcomes table does) when 1 to *k* - 1 people answered only
``post``: beside the outcomes table's post mean, a statistic of every post answer would
give theirs away by subtraction (:mod:`evalkit.privacy`, rule 2).

Targets may also name a partnership indicator (the ``indicators`` table) with
statistic ``latest`` or ``total``: those are judged by
:func:`evalkit.indicators.indicator_progress`, not here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

from evalkit.compare import matched_pairs, partnership_ids
from evalkit.participation import check_wave_spelling, wave_flags
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, pairs_only, pairs_only_note
from evalkit.schema import INDICATOR_STATISTICS
from evalkit.stats import goal_attainment, paired_test, proportion_ci

COLUMNS = ["partnership_id", "indicator", "label", "statistic", "description", "target", "threshold",
           "estimate", "ci_low", "ci_high", "n", "verdict", "note"]


def _mean_ci(x: np.ndarray, conf_level: float):
    if len(x) < 2 or np.std(x) == 0:
        return float(np.mean(x)) if len(x) else np.nan, np.nan, np.nan
    ci = st.ttest_1samp(x, 0.0).confidence_interval(conf_level)
    return float(np.mean(x)), float(ci.low), float(ci.high)


def _pct(successes: int, n: int, conf_level: float):
    ci = proportion_ci(successes, n, conf_level=conf_level)
    return 100 * ci.estimate, 100 * ci.ci_low, 100 * ci.ci_high


def _estimate(data, target, conf_level, pre, post, k, pairs):
    """Return (estimate, ci_low, ci_high, n, higher_is_better, counted, note) for one target row.

    ``counted`` is the number of people a percentage of people counts (rule 3 of
    :mod:`evalkit.privacy`), ``None`` for means and the attendance rate (a share of session places).
    ``note`` (None for the other statistics), for ``mean_post`` and ``pct_at_least``, says when the statistic
    counts only the matched
    participants (complementary suppression of those who answered only after: fewer than ``k``).
    ``pairs`` is :func:`evalkit.compare.matched_pairs` of the target's partnership over (at least) the
    measures its change targets name (:func:`_pairs_by_partnership`), or ``None`` when the partnership has
    not answered both waves.
    """
    pid, ind, stat = target["partnership_id"], target["indicator"], target["statistic"]
    if stat == "rate":
        if ind == "attendance_rate":
            a = data.attendance[data.attendance["partnership_id"] == pid]
            return ((*_pct(int(a["attended"].sum()), len(a), conf_level), a["participant_id"].nunique(), True, None,
                     None)
                    if len(a) else None)
        flags = wave_flags(data, [pid], pre, post)
        n, both = int(flags["pre"].sum()), int(flags["both"].sum())
        # before the post survey nobody can have answered both: no data yet, not "too few participants"
        return (*_pct(both, n, conf_level), n, True, both, None) if n and flags["post"].any() else None
    m = data.measures.set_index("measure").loc[ind]
    hib = bool(m["higher_is_better"])
    if stat in ("mean_post", "pct_at_least"):
        r = data.responses
        mine = r[(r["partnership_id"] == pid) & (r["measure"] == ind) & r["value"].notna()]
        answers = mine.loc[mine["wave"] == post].set_index("participant_id")["value"]
        if not len(answers):
            return None
        # The outcomes table shows the post answers of the matched participants (n pairs >= k); a statistic
        # of every post answer beside it gives away those who answered only after when they are 1 to k - 1
        # (21 x 15.33 - 20 x 16.00 = the one late joiner's score): then it counts the matched ones only.
        matched = answers.index.isin(set(mine.loc[mine["wave"] == pre, "participant_id"]))
        note = None
        if pairs_only(matched, k):
            answers = answers[matched]
            note = pairs_only_note(len(answers), k, "post")
        x = answers.to_numpy(float)
        if stat == "mean_post" and m["kind"] == "binary":  # a share answering yes: Wilson, as every share here
            ci = proportion_ci(int((x == 1).sum()), len(x), conf_level=conf_level)
            return ci.estimate, ci.ci_low, ci.ci_high, len(x), hib, None, note
        if stat == "mean_post":
            return (*_mean_ci(x, conf_level), len(x), hib, None, note)
        at_least = int((x >= target["threshold"]).sum())
        return (*_pct(at_least, len(x), conf_level), len(x), True, at_least, note)
    if pairs is None:  # e.g. the post survey is not yet collected
        return None
    pairs = pairs[pairs["measure"] == ind].dropna()
    if pairs.empty:
        return None
    change = (pairs["post"] - pairs["pre"]).to_numpy(float)
    if stat == "mean_change":
        t = paired_test(pairs["pre"], pairs["post"], method="t", conf_level=conf_level)
        return t.mean_diff, t.ci_low, t.ci_high, t.n, hib, None, None
    improved = int(((change > 0) if hib else (change < 0)).sum())
    return (*_pct(improved, len(change), conf_level), len(change), True, improved, None)


def progress_against_targets(data, partnership_id=None, *, conf_level: float = 0.95, pre: str = "pre",
                             post: str = "post", min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Compare each target in the ``targets`` table with what was observed.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    conf_level : float
        Confidence level of the intervals the verdicts are read from.
    min_group_size : int
        Targets measured on fewer people are not judged (verdict ``"suppressed"``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: percentages (``pct_*`` and ``rate``) are on a
        0-100 scale like their targets. ``verdict`` is ``met``, ``not met``,
        ``inconclusive``, ``suppressed`` or ``no data``.

    Notes
    -----
    Targets on partnership indicators (statistic ``latest`` or ``total``, naming
    an indicator of the ``indicators`` table) are not estimates from participants;
    they are judged by :func:`evalkit.indicator_progress` and left out here.

    Privacy (:mod:`evalkit.privacy`, rule 3): a percentage of people (``pct_*``,
    ``retention_rate``) is judged and shown only when the people it counts and the
    people it is a share of both number at least ``min_group_size``; otherwise the
    verdict is ``suppressed``.

    For measures where lower is better, ``mean_post`` and ``mean_change`` targets
    are met when the interval lies *below* the target; ``pct_improved`` counts
    decreases as improvements.
    """
    ids = partnership_ids(data, partnership_id)
    check_wave_spelling(data, pre, post)
    t = data.targets[data.targets["partnership_id"].isin(ids)]
    t = t[~t["statistic"].isin(INDICATOR_STATISTICS)]  # partnership indicators: evalkit.indicator_progress
    labels = dict(zip(data.measures["measure"], data.measures["label"]))
    labels.update(attendance_rate="Attendance rate", retention_rate="Retention (answered pre and post)")
    rows = []
    slices = getattr(data, "partnership_slices", None)   # many partnerships: each target reads its own slice
    parts = slices(sorted(set(t["partnership_id"]))) if slices is not None and len(ids) > 1 else {}
    pairs = _pairs_by_partnership(data, t, parts, pre, post)
    for _, target in t.iterrows():
        row = {c: target.get(c) for c in ("partnership_id", "indicator", "statistic", "description", "target", "threshold")}
        row["label"] = labels.get(target["indicator"], target["indicator"])
        est = _estimate(parts.get(target["partnership_id"], data), target, conf_level, pre, post, min_group_size,
                        pairs=pairs.get(target["partnership_id"]))
        if est is None:
            row.update(verdict="no data", note="no responses for this indicator")
        elif est[3] < min_group_size:
            row.update(n=np.nan, verdict="suppressed", note=f"fewer than {min_group_size} participants")
        elif est[5] is not None and est[5] < min_group_size:  # 25% of 20 would reveal 5 people
            row.update(n=est[3], verdict="suppressed",
                       note=f"the percentage counts fewer than {min_group_size} participants")
        else:
            estimate, lo, hi, n, hib, _, est_note = est
            g = goal_attainment(estimate, lo, hi, float(target["target"]), higher_is_better=hib)
            note = "; ".join(filter(None, [g.note, est_note]))
            row.update(estimate=estimate, ci_low=lo, ci_high=hi, n=n, verdict=g.verdict, note=note)
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["n"] = out["n"].astype("Int64")
    return out


def _pairs_by_partnership(data, targets: pd.DataFrame, parts: dict, pre: str, post: str) -> dict:
    """Each partnership's matched pairs over the measures its change targets name (``mean_change``,
    ``pct_improved``), made once for all of them: partnership id -> :func:`evalkit.compare.matched_pairs`.
    A partnership that has not answered both waves (e.g. before the post survey) is left out: its change
    targets have no data."""
    change = targets[targets["statistic"].isin(["mean_change", "pct_improved"])]
    out = {}
    for pid, measures in change.groupby("partnership_id", sort=False)["indicator"]:
        mine = parts.get(pid, data)
        answered = set(mine.responses.loc[mine.responses["partnership_id"] == pid, "wave"].unique())
        if {pre, post} <= answered:
            out[pid] = matched_pairs(mine, pid, list(dict.fromkeys(measures)), pre=pre, post=post)
    return out


#: Verdicts of targets that could be judged (the rest: suppressed, no data).
JUDGED = ("met", "not met", "inconclusive")


def all_target_verdicts(data, partnership_id: str, survey_targets: pd.DataFrame, *,
                        min_group_size: int | None = None) -> pd.DataFrame:
    """Every target of a partnership with its verdict: survey/attendance targets and indicator targets.

    ``survey_targets`` is :func:`evalkit.progress_against_targets` output (targets
    estimated from participants, judged from their intervals); targets on
    partnership indicators (statistic ``latest`` or ``total``) are judged by
    :func:`evalkit.indicator_progress` (the latest or total value reaches the
    target). An indicator target whose indicator has no recorded values is
    ``no data``. Page one, the at-a-glance card and the batch manifest count
    targets met from this one table, so the counts cover all the partnership's targets.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    survey_targets : pandas.DataFrame
        :func:`evalkit.progress_against_targets` for the partnership.
    min_group_size : int, optional
        Privacy threshold (default :data:`evalkit.privacy.DEFAULT_MIN_GROUP_SIZE`).

    Returns
    -------
    pandas.DataFrame
        ``indicator, statistic, verdict``, one row per target; the indicator targets'
        rows also carry ``description, target, label, unit, value`` (the latest or total
        value the verdict read) and ``withheld`` (True when the value counts too few
        people to show), for a table of them (NaN on the survey targets' rows).
    """
    from evalkit.indicators import indicator_progress
    from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE
    from evalkit.schema import INDICATOR_STATISTICS

    k = DEFAULT_MIN_GROUP_SIZE if min_group_size is None else int(min_group_size)
    cols = ["indicator", "statistic", "verdict"]
    survey = survey_targets[cols] if len(survey_targets) else pd.DataFrame(columns=cols)
    t = getattr(data, "targets", None)
    if t is None or t.empty:
        return survey.reset_index(drop=True)
    t = t[(t["partnership_id"] == partnership_id) & t["statistic"].isin(INDICATOR_STATISTICS)]
    if t.empty:
        return survey.reset_index(drop=True)
    has_indicators = getattr(data, "indicators", None) is not None and not data.indicators.empty
    p = (indicator_progress(data, partnership_id, min_group_size=k) if has_indicators
         else pd.DataFrame(columns=[*cols, "label", "unit", "latest", "total", "suppressed"])).set_index("indicator")
    rows = []
    for _, r in t.iterrows():
        q = p.loc[r["indicator"]] if r["indicator"] in p.index else None
        withheld = q is not None and bool(q["suppressed"])
        rows.append({"indicator": r["indicator"], "statistic": r["statistic"],
                     "verdict": "no data" if q is None or q["verdict"] == "no target" else q["verdict"],
                     "description": r.get("description"), "target": r["target"],
                     "label": r["indicator"] if q is None else q["label"], "unit": None if q is None else q["unit"],
                     "value": None if q is None or withheld else q["latest" if r["statistic"] == "latest" else "total"],
                     "withheld": withheld})
    ind = pd.DataFrame(rows)
    return pd.concat([survey, ind], ignore_index=True) if len(survey) else ind
