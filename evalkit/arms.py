"""The program compared with a comparison group within one partnership.

When a partnership's participants are split into arms (``participants.arm``:
``program`` or ``comparison``; see ``data/README.md``), the question changes from
"did participants change?" to "did the program group end better off than the
comparison group?". This module answers it per measure, following the What Works
Clearinghouse (WWC) group-design standards:

* :func:`baseline_balance`: how alike the arms were at baseline, in pooled-SD
  units (Hedges' g with the small-sample correction; Cox index for binary
  measures), with the WWC verdict: ``|g| <= 0.05`` satisfies the standard,
  ``0.05 < |g| <= 0.25`` requires statistical adjustment for the baseline, and
  ``|g| > 0.25`` does not meet it (:func:`evalkit.stats.baseline_equivalence`);
* :func:`arm_attrition`: overall and differential attrition, judged against the
  WWC cautious and optimistic boundaries (:func:`evalkit.stats.attrition`);
* :func:`program_effects`: the program effect by ANCOVA on the baseline
  (:func:`evalkit.stats.ancova`: adjusted difference with its interval), Hedges'
  g with its interval, and the difference in differences as a check
  (:func:`evalkit.stats.diff_in_diff`);
* :func:`describe_program_effect` / :func:`program_effect_summary`: the
  program effect in plain language, relative to the comparison group.

All three work on the *analysis sample* of each measure: participants with an
arm who answered both the baseline and the outcome wave. ``arms`` may name
another participants' column (e.g. the treatment of a three-arm trial) and
``reference`` its comparison level: every level then enters one model with a
common baseline slope, and each non-reference level is compared with the reference.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from evalkit.compare import known_values, matched_pairs
from evalkit.errors import InputError
from evalkit.load import order_waves, wave_roles
from evalkit.narrate import _num as _n
from evalkit.privacy import (DEFAULT_MIN_GROUP_SIZE, check_min_group_size, complementary_cells, safe_rate,
                             suppression_rule)

ARM, PROGRAM, COMPARISON = "arm", "program", "comparison"

BALANCE_COLUMNS = ["partnership_id", "measure", "label", "kind", "group", "reference", "baseline", "n_group",
                   "n_reference", "mean_group", "mean_reference", "effect_size", "effect_size_name", "verdict",
                   "suppressed", "note", "protected"]
ATTRITION_COLUMNS = ["partnership_id", "measure", "label", "group", "reference", "outcome_wave",
                     "n_assigned_group", "n_analyzed_group", "n_assigned_reference", "n_analyzed_reference",
                     "attrition_group_pct", "attrition_reference_pct", "overall_pct", "differential_pp",
                     "cautious_max_pp", "cautious_verdict", "optimistic_max_pp", "optimistic_verdict",
                     "suppressed", "note", "protected"]
EFFECT_COLUMNS = ["partnership_id", "measure", "label", "kind", "group", "reference", "baseline", "outcome_wave",
                  "n_group", "n_reference", "adjusted_mean_group", "adjusted_mean_reference", "estimate", "se",
                  "ci_low", "ci_high", "df", "pvalue", "p_adjusted", "significant", "effect_size",
                  "effect_size_name", "effect_ci_low", "effect_ci_high", "did_estimate", "did_ci_low",
                  "did_ci_high", "did_pvalue", "direction", "higher_is_better", "scale_min", "scale_max",
                  "suppressed", "note", "protected"]


# --- the analysis sample -------------------------------------------------------------------
def _waves(data, partnership_id: str, pre, post) -> tuple[str, str]:
    seen = data.responses.loc[data.responses["partnership_id"] == partnership_id, "wave"].dropna()
    order = order_waves(pd.unique(seen), data.waves)
    roles = wave_roles(order, data.waves)
    pre = pre or next((w for w in order if roles[w] == "baseline"), None)
    post = post or next((w for w in order if roles[w] == "post"), None)
    if pre is None or post is None:
        raise InputError(f"partnership {partnership_id!r} needs a baseline and a later wave to compare arms; "
                         f"its waves: {order}")
    return pre, post


def _people(data, partnership_id: str, arms: str) -> pd.DataFrame:
    if not isinstance(partnership_id, str):
        raise InputError(f"partnership_id must be one partnership id (a string), got {partnership_id!r}")
    known_values(partnership_id, data.partnerships["partnership_id"], "partnership_id")
    people = data.participants[data.participants["partnership_id"] == partnership_id]
    if arms not in people.columns or arms in ("participant_id", "partnership_id"):
        raise InputError(f"unknown arm column {arms!r}; participants' columns: "
                         f"{[c for c in people.columns if c not in ('participant_id', 'partnership_id')]}")
    return people[["participant_id", arms]].rename(columns={arms: "arm"}).dropna(subset=["arm"])


def has_comparison(data, partnership_id: str, *, arms: str = ARM, reference: str = COMPARISON) -> bool:
    """Whether the partnership has participants in the ``reference`` arm and in at least one other arm.

    Examples
    --------
    >>> import evalkit
    >>> has_comparison(evalkit.load_data("data/sample"), "riverside-literacy")
    False
    """
    levels = set(_people(data, partnership_id, arms)["arm"].astype(str))
    return str(reference) in levels and len(levels) >= 2


def comparison_ids(data, partnership_id: str, *, arms: str = ARM, reference: str = COMPARISON) -> set:
    """The participant ids of the partnership's ``reference`` arm (empty when it has no such column or arm)."""
    people = data.participants
    if arms not in people.columns:
        return set()
    mine = (people["partnership_id"] == partnership_id) & (people[arms].astype(str) == str(reference))
    return set(people.loc[mine, "participant_id"])


def comparison_set_apart(data, partnership_id: str, *, arms: str = ARM, reference: str = COMPARISON,
                         pre: str = "pre", post: str = "post",
                         min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> bool:
    """Whether the programme's own figures can leave the comparison arm out.

    The comparison arm is set apart only when every count of it a report shows or lets a reader work out
    (enrolled; answered each wave; answered both ``pre`` and ``post``; in the attendance log) is 0 or at
    least ``min_group_size`` (:mod:`evalkit.privacy`, rule 8): the programme's counts beside all arms'
    counts give the arm's counts by subtraction, so they must be counts that may be shown. Then enrolment,
    retention, attendance, outcomes and targets describe the programme's participants only, and the arm's
    counts are shown beside them. Otherwise everyone is counted together.

    Returns
    -------
    bool
        False when the partnership has no comparison arm (:func:`has_comparison`).

    Examples
    --------
    >>> import evalkit
    >>> comparison_set_apart(evalkit.load_data("data/sample"), "riverside-literacy")
    False
    """
    from evalkit.participation import wave_flags

    if arms not in data.participants.columns or not has_comparison(data, partnership_id, arms=arms,
                                                                     reference=reference):
        return False
    ref = comparison_ids(data, partnership_id, arms=arms, reference=reference)
    r = data.responses
    r = r[(r["partnership_id"] == partnership_id) & r["participant_id"].isin(ref) & r["value"].notna()]
    counts = [len(ref), *r.groupby("wave")["participant_id"].nunique()]
    flags = wave_flags(data, [partnership_id], pre, post)
    counts.append(int(flags["both"][flags.index.get_level_values("participant_id").isin(ref)].sum()))
    a = data.attendance
    counts.append(a.loc[(a["partnership_id"] == partnership_id) & a["participant_id"].isin(ref),
                        "participant_id"].nunique())
    return all(n == 0 or n >= min_group_size for n in counts)


def program_data(data, partnership_id: str, *, arms: str = ARM, reference: str = COMPARISON):
    """The data without the partnership's ``reference`` arm: its participants, answers, attendance and comments removed.

    Row-level data for analysis; never publish it. Use it only where :func:`comparison_set_apart` is True
    (otherwise the arm's counts could be worked out by subtraction).
    """
    import dataclasses

    ref = comparison_ids(data, partnership_id, arms=arms, reference=reference)
    if not ref:
        return data

    def keep(t):
        return t[~((t["partnership_id"] == partnership_id) & t["participant_id"].isin(ref))]

    return dataclasses.replace(data, participants=keep(data.participants), responses=keep(data.responses),
                               attendance=keep(data.attendance), comments=keep(data.comments))


def without_set_apart_comparisons(data, partnership_ids=None, *, arms: str = ARM, reference: str = COMPARISON,
                                  min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """The data as the programme's figures count them: every comparison arm that can be set apart removed.

    For each partnership (default: all) whose comparison arm :func:`comparison_set_apart` sets apart (judged on
    the partnership's baseline and post waves, as its report judges it), :func:`program_data`; the others are
    left whole. Tables that sit beside the programme's enrolment (*Results by group*, *Who was served*, the
    portfolio's representation gaps, *In their own words* and the pooled themes) count the people this leaves:
    a group's count over every arm beside its
    program count would give the arm's share of the group away by subtraction (privacy, rule 8), and the
    comparison group was not served by the programme. Row-level data for analysis; never publish it.
    """
    ids = data.partnership_ids if partnership_ids is None else list(partnership_ids)
    if arms not in data.participants.columns:
        return data
    for pid in ids:
        if not has_comparison(data, pid, arms=arms, reference=reference):
            continue
        part = data.for_partnership(pid)
        roles = part.wave_roles
        pre = next((w for w in part.wave_order if roles.get(w) == "baseline"), "pre")
        post = next((w for w in part.wave_order if roles.get(w) == "post"), "post")
        if comparison_set_apart(data, pid, arms=arms, reference=reference, pre=pre, post=post,
                                min_group_size=min_group_size):
            data = program_data(data, pid, arms=arms, reference=reference)
    return data


def _levels(people: pd.DataFrame, reference: str) -> list[str]:
    levels = sorted(set(people["arm"].astype(str)))
    return [g for g in levels if g != str(reference)] if str(reference) in levels else []


def analysis_sample(data, partnership_id: str, measures=None, *, pre: str | None = None, post: str | None = None,
                    arms: str = ARM) -> pd.DataFrame:
    """Participants with an arm, with their baseline and outcome values, one row per participant x measure.

    Row-level data for analysis; never publish it.

    Returns
    -------
    pandas.DataFrame
        ``participant_id, measure, arm, pre, post`` (NaN where a wave was not
        answered); ``attrs["pre"]`` and ``attrs["post"]`` name the waves used
        (default: the baseline and post waves of :attr:`evalkit.load.Dataset.wave_roles`).
    """
    people = _people(data, partnership_id, arms)
    pre, post = _waves(data, partnership_id, pre, post)
    pairs = matched_pairs(data, partnership_id, measures, pre=pre, post=post)
    pairs = pairs.merge(people, on="participant_id", how="inner")[["participant_id", "measure", "arm", "pre", "post"]]
    pairs["arm"] = pairs["arm"].astype(str)
    pairs.attrs.update(pre=pre, post=post)
    return pairs


def _meta(data) -> pd.DataFrame:
    return data.measures.set_index("measure")


# --- baseline equivalence ----------------------------------------------------------------------
def baseline_balance(data, partnership_id: str, measures=None, *, pre: str | None = None, post: str | None = None,
                     arms: str = ARM, reference: str = COMPARISON,
                     min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Baseline equivalence of the arms per measure, with the WWC verdict.

    Method: on the analysis sample (both waves answered), the standardised
    baseline difference group - reference is Hedges' g,
    ``omega * (mean_g - mean_r) / s_pooled`` with ``omega = 1 - 3 / (4N - 9)``,
    for continuous and ordinal measures, and the Cox index
    ``omega * (logit p_g - logit p_r) / 1.65`` for binary ones
    (:func:`evalkit.stats.baseline_equivalence`). WWC verdicts: ``|g| <= 0.05``
    "satisfied"; ``0.05 < |g| <= 0.25`` "needs statistical adjustment" (the
    ANCOVA of :func:`program_effects` adjusts for the baseline); ``|g| > 0.25``
    "not equivalent".

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measures : list of str, optional
    pre, post : str, optional
        Baseline and outcome waves (default: the waves with those roles).
    arms : str
        Participants' column holding the arms (default ``"arm"``).
    reference : str
        The comparison level (default ``"comparison"``).
    min_group_size : int
        A row where either arm has fewer analysed participants is suppressed.

    Returns
    -------
    pandas.DataFrame
        :data:`BALANCE_COLUMNS`, one row per measure x non-reference arm.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*.

    Examples
    --------
    >>> import evalkit
    >>> baseline_balance(evalkit.load_data("data/sample"), "riverside-literacy").empty  # no comparison arm
    True
    """
    from evalkit.stats import baseline_equivalence

    check_min_group_size(min_group_size)
    pairs = analysis_sample(data, partnership_id, measures, pre=pre, post=post, arms=arms)
    levels = _levels(_people(data, partnership_id, arms), reference)
    meta, rows = _meta(data), []
    both = pairs.dropna(subset=["pre", "post"])
    for m, sub in both.groupby("measure", sort=False):
        kind = meta.at[m, "kind"]
        ref = sub.loc[sub["arm"] == str(reference), "pre"].to_numpy(float)
        for g in levels:
            mine = sub.loc[sub["arm"] == g, "pre"].to_numpy(float)
            row = {"partnership_id": partnership_id, "measure": m, "label": meta.at[m, "label"], "kind": kind,
                   "group": g, "reference": str(reference), "baseline": pairs.attrs["pre"],
                   "n_group": len(mine), "n_reference": len(ref),
                   "effect_size_name": "Cox index" if kind == "binary" else "Hedges' g", "suppressed": False,
                   "note": ""}
            if min(len(mine), len(ref)) < min_group_size:
                row.update(verdict="suppressed", suppressed=True,
                           note=f"suppressed: an arm has fewer than {min_group_size} participants")
            else:
                res = baseline_equivalence(mine, ref, kind="binary" if kind == "binary" else "continuous")
                row.update(mean_group=res.mean_program, mean_reference=res.mean_comparison,
                           effect_size=res.effect_size, verdict=res.verdict, note=res.note)
            rows.append(row)
    return _tidy(pd.DataFrame(rows, columns=BALANCE_COLUMNS), data, min_group_size)


#: Count columns of one arm and of the comparison arm, side by side in the arm tables.
_ARM_COUNTS = (("n_group", "n_reference"), ("n_assigned_group", "n_assigned_reference"),
               ("n_analyzed_group", "n_analyzed_reference"))


def _tidy(table: pd.DataFrame, data, min_group_size: int) -> pd.DataFrame:
    """Measures in the measures table's order; counts below k blanked (nullable integers).

    The arms of a partnership partition its participants, whose number the report shows (all arms
    together), so within each measure the arms' counts get complementary suppression
    (:func:`evalkit.privacy.complementary_cells`): a program group of 35 beside 42 enrolled gives a
    comparison group of 7 away, so it is blanked too. ``protected`` names (comma-separated) the count
    columns of a row blanked in that partition, small or protecting, which a report shows alike as
    "not shown" (:func:`evalkit.privacy.format_count`; rule 2 of :mod:`evalkit.privacy`).
    """
    rank = {m: i for i, m in enumerate(data.measures["measure"])}
    table = table.assign(_m=table["measure"].map(rank)).sort_values(["_m", "group"], kind="stable")
    table = table.drop(columns="_m").reset_index(drop=True)
    protected = [[] for _ in range(len(table))]
    for c in [c for c in table.columns if c.startswith("n_")]:
        counts = pd.to_numeric(table[c], errors="coerce").round().astype("Int64")
        table[c] = counts.mask(counts < min_group_size)
        table[f"_raw_{c}"] = counts
    for group, reference in [(g, r) for g, r in _ARM_COUNTS if g in table.columns and r in table.columns]:
        for idx in table.groupby("measure", sort=False).indices.values():
            cells = np.r_[table[f"_raw_{group}"].to_numpy(float, na_value=0)[idx],
                          table[f"_raw_{reference}"].to_numpy(float, na_value=0)[idx[:1]]]
            blank = complementary_cells(cells, min_group_size)
            table.loc[table.index[idx[blank[:-1]]], group] = pd.NA
            if blank[-1]:
                table.loc[table.index[idx], reference] = pd.NA
            # every blanked arm reads alike, small or blanked so that a smaller one cannot be worked out (privacy,
            # rule 2): "fewer than k" for the small one would tell a reader the other holds k or more
            cut = blank & (cells > 0)
            for i in idx[cut[:-1]]:
                protected[i].append(group)
            if cut[-1]:
                for i in idx:
                    protected[i].append(reference)
    table["protected"] = [",".join(p) for p in protected]
    return table.drop(columns=[c for c in table.columns if c.startswith("_raw_")])


# --- attrition ---------------------------------------------------------------------------------
def arm_attrition(data, partnership_id: str, measures=None, *, pre: str | None = None, post: str | None = None,
                  arms: str = ARM, reference: str = COMPARISON,
                  min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Overall and differential attrition of the arms per measure, against both WWC boundaries.

    Method: a participant assigned to an arm (enrolled with that arm) is
    *analysed* on a measure when they answered it at both the baseline and the
    outcome wave. Attrition of an arm is the share of its assigned participants
    not analysed; overall attrition pools the arms; differential attrition is the
    difference of the arms' rates in percentage points. Each is judged against the
    WWC boundary (:func:`evalkit.stats.attrition`): the *cautious* boundary applies
    when the program itself could change who stays, the *optimistic* one when
    attrition is unlikely to be related to the program; which one applies belongs
    to the evaluation plan, so both verdicts are given.

    Privacy: rates are shown only when every assigned and analysed count is at
    least ``min_group_size`` (as retention is shown elsewhere in the reports,
    :func:`evalkit.privacy.safe_rate`); otherwise the row is suppressed.

    Returns
    -------
    pandas.DataFrame
        :data:`ATTRITION_COLUMNS`, one row per measure x non-reference arm; rates in
        percent, differential in percentage points.

    Examples
    --------
    >>> import evalkit
    >>> arm_attrition(evalkit.load_data("data/sample"), "riverside-literacy").empty
    True
    """
    from evalkit.stats import attrition

    check_min_group_size(min_group_size)
    people = _people(data, partnership_id, arms)
    people = people.assign(arm=people["arm"].astype(str))
    pairs = analysis_sample(data, partnership_id, measures, pre=pre, post=post, arms=arms)
    assigned = people["arm"].value_counts()
    levels = _levels(people, reference)
    meta, rows = _meta(data), []
    analysed = pairs.dropna(subset=["pre", "post"]).groupby(["measure", "arm"]).size()
    # a measure not asked at both waves (e.g. satisfaction, after the programme only) has no attrition to judge:
    # "fewer than k analysed" would read as a few (trial 10); the baseline and effect tables leave it out too
    asked = pairs.groupby("measure")[["pre", "post"]].count()
    for m in pd.unique(pairs["measure"]):
        if not (asked.at[m, "pre"] and asked.at[m, "post"]):
            continue
        a_ref = int(assigned.get(str(reference), 0))
        y_ref = int(analysed.get((m, str(reference)), 0))
        for g in levels:
            a_g, y_g = int(assigned.get(g, 0)), int(analysed.get((m, g), 0))
            row = {"partnership_id": partnership_id, "measure": m, "label": meta.at[m, "label"], "group": g,
                   "reference": str(reference), "outcome_wave": pairs.attrs["post"], "n_assigned_group": a_g,
                   "n_analyzed_group": y_g, "n_assigned_reference": a_ref, "n_analyzed_reference": y_ref,
                   "suppressed": False, "note": ""}
            shown = all(np.isfinite(safe_rate(y, a, min_group_size)) for y, a in ((y_g, a_g), (y_ref, a_ref)))
            if not shown:
                row.update(suppressed=True, cautious_verdict="suppressed", optimistic_verdict="suppressed",
                           note=f"suppressed: an arm has fewer than {min_group_size} assigned or analysed participants")
            else:
                cautious = attrition(a_g, y_g, a_ref, y_ref, boundary="cautious")
                optimistic = attrition(a_g, y_g, a_ref, y_ref, boundary="optimistic")
                row.update(attrition_group_pct=cautious.program_pct, attrition_reference_pct=cautious.comparison_pct,
                           overall_pct=cautious.overall_pct, differential_pp=cautious.differential_pp,
                           cautious_max_pp=cautious.max_differential_pp, cautious_verdict=cautious.verdict,
                           optimistic_max_pp=optimistic.max_differential_pp, optimistic_verdict=optimistic.verdict,
                           note="; ".join(n for n in (cautious.note, optimistic.note) if n))
            rows.append(row)
    return _tidy(pd.DataFrame(rows, columns=ATTRITION_COLUMNS), data, min_group_size)


# --- the program effect ------------------------------------------------------------------------
def _hedges_g(estimate: float, a: pd.DataFrame, b: pd.DataFrame, conf_level: float) -> tuple[float, float, float]:
    """Hedges' g of an ANCOVA-adjusted difference over the unadjusted pooled SD of the outcome, with its interval.

    The variance allows for the baseline covariate, as the adjusted difference's own interval does
    (Borenstein et al. 2009, ch. 4; Cooper, Hedges & Valentine 2019, table 12.3):
    ``(1 - R^2) N / (n_g n_r) + g^2 / (2N)``, ``R`` the pooled within-arm correlation of baseline and outcome.
    ``a`` and ``b`` hold each arm's ``pre`` and ``post``.
    """
    from scipy import stats

    n1, n2 = len(a), len(b)
    y1, y2 = a["post"].to_numpy(float), b["post"].to_numpy(float)
    pooled = math.sqrt(((n1 - 1) * np.var(y1, ddof=1) + (n2 - 1) * np.var(y2, ddof=1)) / (n1 + n2 - 2))
    if not pooled > 0:
        return np.nan, np.nan, np.nan
    g = (1 - 3 / (4 * (n1 + n2) - 9)) * estimate / pooled
    # pooled within-arm sums of squares and cross-products of baseline (x) and outcome (y)
    sxx = sxy = syy = 0.0
    for arm in (a, b):
        x, y = arm["pre"].to_numpy(float), arm["post"].to_numpy(float)
        x, y = x - x.mean(), y - y.mean()
        sxx, sxy, syy = sxx + x @ x, sxy + x @ y, syy + y @ y
    r2 = sxy ** 2 / (sxx * syy) if sxx > 0 and syy > 0 else 0.0
    se = math.sqrt((1 - r2) * (n1 + n2) / (n1 * n2) + g ** 2 / (2 * (n1 + n2)))
    z = stats.norm.ppf(0.5 + conf_level / 2)
    return g, g - z * se, g + z * se


def program_effects(data, partnership_id: str, measures=None, *, pre: str | None = None, post: str | None = None,
                    arms: str = ARM, reference: str = COMPARISON, correction: str = "holm", alpha: float = 0.05,
                    conf_level: float = 0.95, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """The program effect per measure: ANCOVA on the baseline, Hedges' g, and difference in differences.

    Method, on the analysis sample of each measure (participants with an arm who
    answered the baseline and the outcome wave):

    * **ANCOVA** ``post ~ pre + arm`` by OLS (:func:`evalkit.stats.ancova`); the
      arm coefficient is the *adjusted difference* (group - reference), with its
      t interval and p-value; adjusted means are the model's predictions at the
      mean baseline. For a binary measure this is a linear probability model: the
      adjusted difference in the share answering 1.
    * **Hedges' g** = ``omega * adjusted difference / s_pooled``, with the
      unadjusted pooled within-arm SD of the outcome and ``omega = 1 - 3/(4N - 9)``
      (WWC); its interval is ``g +/- z * se``, ``se = sqrt((1 - R^2) N/(n_g n_r) + g^2/(2N))``
      with ``R`` the pooled within-arm correlation of baseline and outcome: the variance of a
      standardized difference from an ANCOVA (Borenstein et al. 2009, ch. 4; Cooper, Hedges &
      Valentine 2019, table 12.3), so that the interval allows for the baseline as the adjusted
      difference's does (Hedges & Olkin's ``N/(n_g n_r)``, which ignores it, gave an interval twice
      as wide, including 0 beside a difference whose interval did not). Binary measures get the Cox index of the outcome
      (unadjusted, no interval) instead.
    * **Difference in differences** (change of the group minus change of the
      reference, Welch t; :func:`evalkit.stats.diff_in_diff`) as a check: it
      assumes parallel trends instead of adjusting for the baseline, so the two
      should broadly agree when the arms were equivalent at baseline.

    p-values of the family (measures x arms) are adjusted with ``correction``.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str
    measures : list of str, optional
    pre, post : str, optional
        Baseline and outcome waves (default: the waves with roles baseline and post);
        ``post="followup"`` gives the effect at follow-up.
    arms, reference : str
        Participants' column of the arms and its comparison level.
    correction, alpha, conf_level
        As for :func:`evalkit.compare_prepost`.
    min_group_size : int
        A row where either arm has fewer analysed participants is suppressed.

    Returns
    -------
    pandas.DataFrame
        :data:`EFFECT_COLUMNS`, one row per measure x non-reference arm;
        ``direction`` is "better", "worse" or "no difference" for the group given
        ``higher_is_better``.

    Notes
    -----
    ANCOVA assumes the same baseline slope in every arm, a linear relation and
    independent participants. Without random assignment, the adjusted difference
    is an effect of the program only if nothing else differs between the arms;
    read it with :func:`baseline_balance` and :func:`arm_attrition`.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*.
    Hedges, L. V. and Olkin, I. (1985). *Statistical Methods for Meta-Analysis*. Academic Press.
    Borenstein, M., Hedges, L. V., Higgins, J. P. T. and Rothstein, H. R. (2009). *Introduction to
    Meta-Analysis*, ch. 4. Wiley. Cooper, H., Hedges, L. V. and Valentine, J. C. (eds., 2019). *The Handbook
    of Research Synthesis and Meta-Analysis*, 3rd ed., table 12.3. Russell Sage Foundation.
    Venables, W. N. and Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed. (``anorexia``).

    Examples
    --------
    >>> import evalkit
    >>> program_effects(evalkit.load_data("data/sample"), "riverside-literacy").empty
    True
    """
    from evalkit.stats import adjust_pvalues, ancova, baseline_equivalence, diff_in_diff

    check_min_group_size(min_group_size)
    if correction != "none":
        adjust_pvalues([0.5], method=correction)
    pairs = analysis_sample(data, partnership_id, measures, pre=pre, post=post, arms=arms)
    levels = _levels(_people(data, partnership_id, arms), reference)
    ref = str(reference)
    meta, rows = _meta(data), []
    both = pairs.dropna(subset=["pre", "post"])
    for m, sub in both.groupby("measure", sort=False):
        info = meta.loc[m]
        counts = sub["arm"].value_counts()
        fit = None
        shown = [g for g in levels if min(counts.get(g, 0), counts.get(ref, 0)) >= min_group_size]
        if shown:
            model = sub[sub["arm"].isin([ref, *shown])]
            fit = ancova(model, "post", "pre", "arm", reference=ref, conf_level=conf_level)
        for g in levels:
            row = {"partnership_id": partnership_id, "measure": m, "label": info["label"], "kind": info["kind"],
                   "group": g, "reference": ref, "baseline": pairs.attrs["pre"], "outcome_wave": pairs.attrs["post"],
                   "n_group": int(counts.get(g, 0)), "n_reference": int(counts.get(ref, 0)),
                   "higher_is_better": bool(info["higher_is_better"]), "scale_min": info["scale_min"],
                   "scale_max": info["scale_max"], "suppressed": g not in shown, "note": ""}
            if g not in shown:
                row["note"] = f"suppressed: an arm has fewer than {min_group_size} participants"
                rows.append(row)
                continue
            a, b = sub[sub["arm"] == g], sub[sub["arm"] == ref]
            t = fit.table.set_index("group")
            means = fit.adjusted_means.set_index("group")["adjusted_mean"]
            est = float(t.at[g, "estimate"]) if g in t.index else np.nan
            row.update(adjusted_mean_group=means.get(g, np.nan), adjusted_mean_reference=means.get(ref, np.nan),
                       estimate=est, se=t.at[g, "se"] if g in t.index else np.nan,
                       ci_low=t.at[g, "ci_low"] if g in t.index else np.nan,
                       ci_high=t.at[g, "ci_high"] if g in t.index else np.nan,
                       df=t.at[g, "df"] if g in t.index else np.nan,
                       pvalue=t.at[g, "pvalue"] if g in t.index else np.nan, note=fit.note)
            if info["kind"] == "binary":
                cox = baseline_equivalence(a["post"].to_numpy(float), b["post"].to_numpy(float), kind="binary")
                row.update(effect_size=cox.effect_size, effect_size_name="Cox index (unadjusted)",
                           effect_ci_low=np.nan, effect_ci_high=np.nan)
            else:
                g_, lo, hi = _hedges_g(est, a, b, conf_level)
                row.update(effect_size=g_, effect_size_name="Hedges' g", effect_ci_low=lo, effect_ci_high=hi)
            did = diff_in_diff(a["pre"], a["post"], b["pre"], b["post"], conf_level=conf_level)
            row.update(did_estimate=did.estimate, did_ci_low=did.ci_low, did_ci_high=did.ci_high,
                       did_pvalue=did.pvalue)
            if not np.isfinite(est) or est == 0:
                row["direction"] = "no difference"
            else:
                row["direction"] = "better" if (est > 0) == bool(info["higher_is_better"]) else "worse"
            rows.append(row)
    table = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    # object first: when every arm is too small no row has set a direction, and the all-missing column is float
    table["direction"] = np.where(table["suppressed"].astype(bool), "suppressed", table["direction"].astype(object))
    p = table["pvalue"].to_numpy(float)
    table["p_adjusted"] = p if correction == "none" or not len(p) else adjust_pvalues(p, method=correction)
    table["significant"] = table["p_adjusted"] < alpha
    return _tidy(table, data, min_group_size)


# --- plain language ---------------------------------------------------------------------------
def chance_ruled_out(row, alpha: float = 0.05) -> bool:
    """Whether a row of :func:`program_effects` rules chance out, as the report says it: its adjusted p-value (the
    unadjusted one where there is none) under ``alpha`` and its interval leaving out 0.

    Examples
    --------
    >>> chance_ruled_out({"p_adjusted": 0.01, "pvalue": 0.005, "ci_low": 0.1, "ci_high": 0.9})
    True
    >>> chance_ruled_out({"p_adjusted": 0.28, "pvalue": 0.04, "ci_low": 0.003, "ci_high": 0.48})
    False
    """
    p = row["p_adjusted"] if math.isfinite(row.get("p_adjusted", math.nan)) else row["pvalue"]
    return math.isfinite(p) and p < alpha and not _holds_zero(row)


def _holds_zero(row) -> bool:
    """Whether a row's interval (``ci_low``, ``ci_high``) holds 0, no difference."""
    return math.isfinite(row.get("ci_low", math.nan)) and row["ci_low"] <= 0 <= row["ci_high"]


def describe_program_effect(row, *, alpha: float = 0.05, digits: int = 1,
                            min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """One sentence on one row of :func:`program_effects`: the program effect relative to the comparison group.

    Says how much higher or lower the group ended than the reference group once
    their starting points are allowed for (ANCOVA), on the measure's own scale
    (or in its own units when it declares no scale; in percentage points for a
    binary measure), with the interval, Hedges' g and whether chance is a
    plausible explanation (adjusted p-value).

    Examples
    --------
    "Allowing for where participants started, the program group ended 4.1 higher
    than the comparison group on Body weight (lb) (95% CI 0.0 to 8.2; Hedges'
    g = 0.42, 95% CI 0.00 to 0.85): a better result that could be due to chance."
    """
    from evalkit.narrate import capitalise, effect_label, md_escape
    from evalkit.privacy import format_count

    label, group, ref = md_escape(row["label"]), md_escape(row["group"]), md_escape(row["reference"])
    who = "the program group" if row["group"] == PROGRAM else f"the {group} group"
    than = "the comparison group" if row["reference"] == COMPARISON else f"the {ref} group"
    if row.get("suppressed", False):
        # the label often ends in a parenthesis ("Skills (1-5)"): the count comes before it, not after
        return (f"Too few participants in {who} or {than} ({format_count(None, min_group_size)}) answered both "
                f"surveys to compare them on {label}.")
    est = row["estimate"]
    if est is None or not math.isfinite(est):
        return f"{capitalise(who)} could not be compared with {than} on {label}: {row.get('note') or 'no estimate'}."
    held = _holds_zero(row)
    chance = "unlikely to be due to chance" if chance_ruled_out(row, alpha) else "that could be due to chance"
    level = f"{round(row.get('conf_level', 0.95) * 100)}% CI" if "conf_level" in row else "95% CI"
    higher = "higher" if est > 0 else "lower"
    if row["kind"] == "binary":
        amount, ci = f"{_n(abs(100 * est), 0)} percentage points", (f"{level} {_n(100 * row['ci_low'], 0)} to "
                                                                    f"{_n(100 * row['ci_high'], 0)}")
        where = f"in the share answering yes to \"{label}\""
    else:
        lo, hi = row.get("scale_min"), row.get("scale_max")
        bounded = lo is not None and hi is not None and not pd.isna(lo) and not pd.isna(hi)
        # a difference is not written as 0.0 beside "a worse result" (trial 9: -0.02 read "0.0 points lower")
        shown = digits
        while shown < digits + 2 and round(abs(est), shown) == 0:
            shown += 1
        amount = f"{_n(abs(est), shown)}" + (" points" if bounded else "")
        # an interval that excludes 0 is not written as reaching it (-0.04 is not "0.0": trial 8)
        at = digits
        while at < digits + 2 and not held and any(round(x, at) == 0 for x in (row["ci_low"], row["ci_high"])):
            at += 1
        ci = (f"on a {_n(lo, 0)}-{_n(hi, 0)} scale; " if bounded else "") + (
            f"{level} {_n(row['ci_low'], at)} to {_n(row['ci_high'], at)}")
        where = f"on {label}"
    size = ""
    if math.isfinite(row.get("effect_size", math.nan)):
        name = row["effect_size_name"]
        interval = (f", {level} {_n(row['effect_ci_low'], 2)} to {_n(row['effect_ci_high'], 2)}"
                    if math.isfinite(row.get("effect_ci_low", math.nan)) else "")
        size = f"; {name} = {_n(row['effect_size'], 2)}{interval}, {effect_label(row['effect_size'], 'd')}"
    verdict = {"better": "a better result", "worse": "a worse result"}.get(row["direction"], "no difference")
    return (f"Allowing for where participants started, {who} ended {amount} {higher} than {than} {where} "
            f"({ci}{size}): {verdict} {chance}.")


def program_effect_summary(effects: pd.DataFrame, **kwargs) -> str:
    """The sentences of a whole :func:`program_effects` table, as one Markdown list.

    Measures withheld for the same arms (too few in one of them) are said in one sentence, after the others:
    seven identical sentences, one per measure, opened the summary of a partnership whose comparison group was
    too small (trial 10).
    """
    from evalkit.narrate import md_escape

    held = effects["suppressed"].astype(bool) if "suppressed" in effects.columns else pd.Series(False, effects.index)
    lines = [f"- {describe_program_effect(row, **kwargs)}" for _, row in effects[~held].iterrows()]
    for _, rows in effects[held].groupby(["group", "reference"], sort=False):
        first = describe_program_effect(rows.iloc[0], **kwargs)
        if len(rows) == 1:
            lines.append(f"- {first}")
            continue
        labels = [md_escape(x) for x in rows["label"]]
        # "Too few participants in ... answered both surveys to compare them" (a label may hold " on " itself)
        head = first[:first.index(" to compare them on ") + len(" to compare them")]
        lines.append(f"- {head} on {', '.join(labels[:-1])} or {labels[-1]}.")
    return "\n".join(lines)


def methods_text(*, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """The methods paragraph of the comparison-group section (Markdown)."""
    return ("**Design with a comparison group.** The program group is compared with the comparison group of the "
            "same partnership, on participants who answered both the baseline and the outcome survey. "
            "Baseline equivalence: Hedges' g (Cox index for yes/no measures) of the baseline difference, judged "
            "by the What Works Clearinghouse rule (at most 0.05 satisfies; 0.05 to 0.25 requires adjustment for "
            "the baseline; above 0.25 does not meet the standard). Attrition: overall and differential, judged "
            "against the WWC cautious and optimistic boundaries. Program effect: analysis of covariance of the "
            "outcome on the baseline and the arm (adjusted difference with its t interval), Hedges' g of the "
            "adjusted difference over the pooled SD of the outcome (small-sample corrected; its interval "
            "allows for the baseline, as the adjusted difference's does), and difference in differences (Welch t "
            "on change scores) as a check. p-values are "
            "Holm-adjusted across measures. "
            + suppression_rule("Arms with fewer than {k} participants are not shown.", "arms", min_group_size) + " "
            "Without random assignment, a difference between the arms shows the program's effect only if "
            "nothing else differs between them.")
