"""Evaluation-design checks: can a program/comparison contrast be trusted, and was a goal met?

* :func:`attrition` and :func:`baseline_equivalence` apply the What Works
  Clearinghouse (WWC) group-design standards (Procedures and Standards Handbook,
  Version 5.0, 2022).
* :func:`diff_in_diff` contrasts the pre/post change of a program group with that of a
  comparison group.
* :func:`reliable_change` (Jacobson-Truax) and :func:`normalized_gain` (Hake) describe
  individual change; :func:`goal_attainment` compares an interval with a target.
"""
from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import (
    as_float_array,
    check_binary,
    check_choice,
    check_conf_level,
    drop_missing,
    paired_arrays,
)

NAN = float("nan")


def _check_number(value, name: str, *, allow_nan: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isinf(value) or (math.isnan(value) and not allow_nan):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    return value


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InputError(f"{name} must be a whole number of participants (0 or more), got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- attrition

# WWC attrition boundary: for each overall attrition rate 0, 1, 2, ... percent, the highest
# differential attrition (percentage points) that still counts as low attrition.
# Source: What Works Clearinghouse Procedures and Standards Handbook, Version 5.0 (2022),
# attrition boundary table (unchanged from Standards Handbook Version 4.1, Table II.1).
# Under the cautious boundary an overall rate above 57% is high attrition whatever the
# differential; under the optimistic boundary, above 65%.
WWC_CAUTIOUS = (
    5.7, 5.8, 5.9, 5.9, 6.0, 6.1, 6.2, 6.3, 6.3, 6.3,  # 0-9
    6.3, 6.2, 6.2, 6.1, 6.0, 5.9, 5.9, 5.8, 5.7, 5.5,  # 10-19
    5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3,  # 20-29
    4.1, 4.0, 3.8, 3.6, 3.5, 3.3, 3.2, 3.1, 2.9, 2.8,  # 30-39
    2.6, 2.5, 2.3, 2.1, 2.0, 1.8, 1.6, 1.5, 1.3, 1.2,  # 40-49
    1.0, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.0,  # 50-57
)
WWC_OPTIMISTIC = (
    10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9,  # 0-9
    10.9, 10.9, 10.9, 10.8, 10.8, 10.7, 10.6, 10.5, 10.3, 10.2,  # 10-19
    10.0, 9.9, 9.7, 9.5, 9.4, 9.2, 9.0, 8.8, 8.6, 8.4,  # 20-29
    8.2, 8.0, 7.8, 7.6, 7.4, 7.2, 7.0, 6.7, 6.5, 6.3,  # 30-39
    6.0, 5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9,  # 40-49
    3.7, 3.5, 3.2, 3.0, 2.8, 2.6, 2.3, 2.1, 1.9, 1.6,  # 50-59
    1.4, 1.1, 0.9, 0.7, 0.5, 0.3,  # 60-65
)
BOUNDARIES = {"cautious": WWC_CAUTIOUS, "optimistic": WWC_OPTIMISTIC}


@dataclasses.dataclass(frozen=True, kw_only=True)
class AttritionResult(Result):
    """Result of :func:`attrition`. Rates are percentages; ``differential_pp`` is in percentage points."""

    program_pct: float
    comparison_pct: float
    overall_pct: float
    differential_pp: float
    boundary: str
    max_differential_pp: float
    low_attrition: bool
    verdict: str
    note: str = ""


def attrition(n_assigned_program: int, n_analyzed_program: int, n_assigned_comparison: int,
              n_analyzed_comparison: int, boundary: str = "cautious") -> AttritionResult:
    """Overall and differential attrition, judged against the WWC attrition boundary.

    Attrition of a group is the share of its assigned (enrolled) participants missing
    from the analysis sample. Overall attrition pools both groups; differential attrition
    is the absolute difference of the two groups' rates, in percentage points. The
    sample has *low attrition* when the differential does not exceed the WWC boundary for
    its overall rate.

    Parameters
    ----------
    n_assigned_program, n_analyzed_program : int
        Participants assigned to (enrolled in) the program group, and analysed.
    n_assigned_comparison, n_analyzed_comparison : int
        The same for the comparison group.
    boundary : {"cautious", "optimistic"}, default "cautious"
        Which WWC boundary applies. Use "cautious" when the program itself could plausibly
        change who stays in the study (e.g. a retention or dropout-prevention program),
        "optimistic" when attrition is unlikely to be related to the program. The choice
        belongs to the evaluation plan, not to the results.

    Returns
    -------
    AttritionResult
        ``program_pct, comparison_pct, overall_pct, differential_pp, boundary,
        max_differential_pp`` (the boundary at this overall rate; NaN beyond the table),
        ``low_attrition`` and ``verdict`` ("low attrition" / "high attrition").

    Notes
    -----
    The boundary is tabulated at whole percents of overall attrition; the overall rate is
    rounded to the nearest whole percent (halves up) to find its row, and the exact
    differential is compared with that row. Overall attrition beyond the table (above 57%
    cautious, above 65% optimistic) is high attrition at any differential. The WWC
    boundaries bound the bias from attrition at 0.05 standard deviations under its
    cautious or optimistic assumptions about how attrition relates to outcomes.

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*.
    U.S. Department of Education, Institute of Education Sciences (attrition standard and
    boundary table; the same boundary as Standards Handbook Version 4.1, Table II.1).

    Examples
    --------
    >>> from evalkit.stats import attrition
    >>> res = attrition(100, 80, 100, 76)
    >>> res.overall_pct, round(res.differential_pp, 1), res.verdict
    (22.0, 4.0, 'low attrition')
    """
    boundary = check_choice(boundary, tuple(BOUNDARIES), "boundary")
    ap = _check_count(n_assigned_program, "n_assigned_program")
    yp = _check_count(n_analyzed_program, "n_analyzed_program")
    ac = _check_count(n_assigned_comparison, "n_assigned_comparison")
    yc = _check_count(n_analyzed_comparison, "n_analyzed_comparison")
    for assigned, analysed, who in [(ap, yp, "program"), (ac, yc, "comparison")]:
        if assigned == 0:
            raise InputError(f"n_assigned_{who} is 0; attrition needs the number assigned to the {who} group")
        if analysed > assigned:
            raise InputError(f"n_analyzed_{who} ({analysed}) exceeds n_assigned_{who} ({assigned}); "
                             f"the analysis sample is part of the assigned sample")
    program = 100 * (ap - yp) / ap
    comparison = 100 * (ac - yc) / ac
    overall = 100 * (ap + ac - yp - yc) / (ap + ac)
    differential = abs(program - comparison)
    table = BOUNDARIES[boundary]
    row = math.floor(overall + 0.5)
    max_diff = table[row] if row < len(table) else NAN
    low = bool(not math.isnan(max_diff) and differential <= max_diff + 1e-9)
    note = "" if row < len(table) else (
        f"overall attrition {overall:.1f}% is beyond the {boundary} boundary (highest {len(table) - 1}%)")
    return AttritionResult(program_pct=program, comparison_pct=comparison, overall_pct=overall,
                           differential_pp=differential, boundary=boundary, max_differential_pp=max_diff,
                           low_attrition=low, verdict="low attrition" if low else "high attrition", note=note)


# --------------------------------------------------------------------- baseline equivalence

@dataclasses.dataclass(frozen=True, kw_only=True)
class BaselineResult(Result):
    """Result of :func:`baseline_equivalence`."""

    kind: str
    n_program: int
    n_comparison: int
    mean_program: float
    mean_comparison: float
    effect_size: float
    verdict: str
    n_dropped: int
    note: str = ""


def _equivalence_verdict(d: float) -> str:
    if math.isnan(d):
        return "not assessed"
    if abs(d) <= 0.05:
        return "satisfied"
    if abs(d) <= 0.25:
        return "needs statistical adjustment"
    return "not equivalent"


def baseline_equivalence(program, comparison, kind: str = "continuous") -> BaselineResult:
    """Standardised baseline difference and the WWC baseline-equivalence verdict.

    For a continuous baseline measure the effect size is Hedges' g,
    ``omega * (mean_p - mean_c) / s_pooled`` with
    ``s_pooled = sqrt(((n_p - 1) s_p^2 + (n_c - 1) s_c^2) / (n_p + n_c - 2))`` and the
    small-sample correction ``omega = 1 - 3 / (4 N - 9)``, ``N = n_p + n_c``. For a binary
    measure it is the Cox index ``omega * (logit(p_p) - logit(p_c)) / 1.65``; when a group's
    proportion is 0 or 1, 0.5 is added to the four cells (Haldane-Anscombe) and the note
    says so.

    Verdict (WWC): |d| <= 0.05 "satisfied"; 0.05 < |d| <= 0.25 "needs statistical
    adjustment" (the impact model must adjust for this measure); |d| > 0.25 "not
    equivalent".

    Parameters
    ----------
    program, comparison : array-like
        Baseline values of the analysed program and comparison participants (0/1 for
        ``kind="binary"``). Missing values are dropped and counted.
    kind : {"continuous", "binary"}, default "continuous"

    Returns
    -------
    BaselineResult
        ``kind, n_program, n_comparison, mean_program, mean_comparison`` (proportions when
        binary), ``effect_size`` (program - comparison), ``verdict, n_dropped, note``.

    Notes
    -----
    Equivalence is judged on the analysis sample (after attrition). Fewer than two
    participants per group, or no variation at all, give a NaN effect size and the
    verdict "not assessed".

    References
    ----------
    What Works Clearinghouse (2022). *Procedures and Standards Handbook, Version 5.0*
    (baseline equivalence; Hedges' g and Cox index formulas).
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. *Journal of Educational Statistics*, 6, 107-128.

    Examples
    --------
    >>> from evalkit.stats import baseline_equivalence
    >>> res = baseline_equivalence([3.1, 3.4, 2.9, 3.8, 3.3], [3.0, 3.5, 2.8, 3.6, 3.2])
    >>> round(res.effect_size, 3), res.verdict
    (0.214, 'needs statistical adjustment')
    """
    kind = check_choice(kind, ("continuous", "binary"), "kind")
    p, drop_p = drop_missing(program, "program")
    c, drop_c = drop_missing(comparison, "comparison")
    if kind == "binary":
        check_binary(p, "program")
        check_binary(c, "comparison")
    n_p, n_c = len(p), len(c)
    mean_p = float(p.mean()) if n_p else NAN
    mean_c = float(c.mean()) if n_c else NAN
    args = dict(kind=kind, n_program=n_p, n_comparison=n_c, mean_program=mean_p, mean_comparison=mean_c,
                n_dropped=drop_p + drop_c)
    if n_p < 2 or n_c < 2:
        return BaselineResult(**args, effect_size=NAN, verdict="not assessed",
                              note="each group needs at least 2 participants with a baseline value")
    omega = 1 - 3 / (4 * (n_p + n_c) - 9)
    note = ""
    if kind == "continuous":
        pooled = math.sqrt(((n_p - 1) * p.var(ddof=1) + (n_c - 1) * c.var(ddof=1)) / (n_p + n_c - 2))
        if pooled == 0:
            return BaselineResult(**args, effect_size=NAN, verdict="not assessed",
                                  note="every participant has the same baseline value: no standardised difference")
        d = omega * (mean_p - mean_c) / pooled
    else:
        a, b = p.sum(), n_p - p.sum()
        cc, dd = c.sum(), n_c - c.sum()
        if min(a, b, cc, dd) == 0:
            a, b, cc, dd = a + 0.5, b + 0.5, cc + 0.5, dd + 0.5
            note = "a group's proportion is 0 or 1: 0.5 was added to each cell (Haldane-Anscombe) for the Cox index"
        d = omega * (math.log(a / b) - math.log(cc / dd)) / 1.65
    return BaselineResult(**args, effect_size=float(d), verdict=_equivalence_verdict(d), note=note)


# -------------------------------------------------------------------- difference in differences

@dataclasses.dataclass(frozen=True, kw_only=True)
class DiffInDiffResult(Result):
    """Result of :func:`diff_in_diff`."""

    estimate: float
    program_change: float
    comparison_change: float
    se: float
    t: float
    df: float
    pvalue: float
    ci_low: float
    ci_high: float
    n_program: int
    n_comparison: int
    n_dropped: int
    conf_level: float
    note: str = ""


def diff_in_diff(program_pre, program_post, comparison_pre, comparison_post,
                 conf_level: float = 0.95) -> DiffInDiffResult:
    """Difference in differences: the program group's change minus the comparison group's.

    Each participant's change is ``post - pre``; the estimate is
    ``mean(change_program) - mean(change_comparison)``, tested with Welch's two-sample t
    test on the change scores (standard error ``sqrt(s_p^2/n_p + s_c^2/n_c)``,
    Welch-Satterthwaite degrees of freedom), as R's
    ``t.test(change_program, change_comparison)``.

    Parameters
    ----------
    program_pre, program_post : array-like
        Paired pre and post values of the program participants (same order).
    comparison_pre, comparison_post : array-like
        The same for the comparison participants.
    conf_level : float, default 0.95

    Returns
    -------
    DiffInDiffResult
        ``estimate, program_change, comparison_change, se, t, df, pvalue, ci_low, ci_high,
        n_program, n_comparison, n_dropped`` (pairs with a missing side), ``note``.

    Notes
    -----
    Assumes parallel trends (without the program both groups would have changed alike)
    and independent participants; the groups may differ in size and variance. With
    non-random groups prefer :func:`~evalkit.stats.regression.ancova` when baseline
    differences are small, and check :func:`baseline_equivalence`.

    References
    ----------
    Angrist, J. D. and Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5.
    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. *Biometrika*, 34, 28-35.

    Examples
    --------
    >>> from evalkit.stats import diff_in_diff
    >>> res = diff_in_diff([2, 3, 3, 4], [4, 5, 4, 6], [2, 3, 4, 3], [3, 3, 4, 4])
    >>> round(res.estimate, 2), round(res.program_change, 2), round(res.comparison_change, 2)
    (1.25, 1.75, 0.5)
    """
    conf_level = check_conf_level(conf_level)
    pp, qp, drop_p = paired_arrays(program_pre, program_post, ("program_pre", "program_post"))
    pc, qc, drop_c = paired_arrays(comparison_pre, comparison_post, ("comparison_pre", "comparison_post"))
    dp, dc = qp - pp, qc - pc
    n_p, n_c = len(dp), len(dc)
    change_p = float(dp.mean()) if n_p else NAN
    change_c = float(dc.mean()) if n_c else NAN
    known = dict(estimate=change_p - change_c, program_change=change_p, comparison_change=change_c,
                 n_program=n_p, n_comparison=n_c, n_dropped=drop_p + drop_c, conf_level=conf_level)
    untested = dict.fromkeys(("se", "t", "df", "pvalue", "ci_low", "ci_high"), NAN)
    if n_p < 2 or n_c < 2:
        return DiffInDiffResult(**known, **untested,
                                note="each group needs at least 2 participants with both pre and post values")
    se = math.sqrt(dp.var(ddof=1) / n_p + dc.var(ddof=1) / n_c)
    if se == 0:
        return DiffInDiffResult(**known, **untested,
                                note="every participant in each group changed by the same amount: no variability to test")
    res = stats.ttest_ind(dp, dc, equal_var=False)
    ci = res.confidence_interval(confidence_level=conf_level)
    return DiffInDiffResult(**known, se=se, t=float(res.statistic), df=float(res.df), pvalue=float(res.pvalue),
                            ci_low=float(ci.low), ci_high=float(ci.high))


# ------------------------------------------------------------------------- reliable change

@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class ReliableChangeResult(Result):
    """Result of :func:`reliable_change`.

    ``rci`` holds one Reliable Change Index per input position (NaN where pre or post is
    missing); it describes individuals, so keep it out of published reports.
    """

    n: int
    n_dropped: int
    reliability: float
    sd_pre: float
    se_diff: float
    criterion: float
    higher_is_better: bool
    n_improved: int
    n_unchanged: int
    n_worsened: int
    prop_improved: float
    prop_unchanged: float
    prop_worsened: float
    rci: pd.Series
    note: str = ""


def reliable_change(pre, post, reliability: float, sd_pre: float | None = None, criterion: float = 1.96,
                    higher_is_better: bool = True) -> ReliableChangeResult:
    """Jacobson-Truax Reliable Change Index and the shares reliably improved, unchanged, worsened.

    ``RCI = (post - pre) / SE_diff`` with ``SE_diff = sqrt(2) * SD_pre * sqrt(1 - reliability)``.
    A participant changed reliably when ``|RCI| > criterion`` (1.96: a change that
    measurement error alone would produce less than 5% of the time); improvement is a
    positive RCI when ``higher_is_better`` and a negative one otherwise.

    Parameters
    ----------
    pre, post : array-like
        Paired scores, one per participant. Pairs with a missing side are dropped and counted.
    reliability : float
        Reliability of the measure, in [0, 1) (e.g. Cronbach's alpha or test-retest r from
        a norm sample or :func:`~evalkit.stats.reliability.cronbach_alpha`).
    sd_pre : float, optional
        Standard deviation of pre scores (ideally from a norm or reference sample). Default:
        the sample standard deviation of the complete pairs' pre scores.
    criterion : float, default 1.96
        |RCI| above which a change counts as reliable.
    higher_is_better : bool, default True
        Direction of improvement.

    Returns
    -------
    ReliableChangeResult
        Counts and proportions improved / unchanged / worsened among complete pairs, the
        inputs used (``sd_pre, se_diff``) and ``rci`` (pandas Series, one per input position).

    References
    ----------
    Jacobson, N. S. and Truax, P. (1991). Clinical significance: a statistical approach to
    defining meaningful change in psychotherapy research. *Journal of Consulting and
    Clinical Psychology*, 59, 12-19.

    Examples
    --------
    >>> from evalkit.stats import reliable_change
    >>> res = reliable_change([10, 12, 14, 16], [15, 12, 13, 22], reliability=0.8, sd_pre=4)
    >>> round(res.se_diff, 4), res.n_improved, res.n_unchanged
    (2.5298, 2, 2)
    """
    x = as_float_array(pre, "pre")
    y = as_float_array(post, "post")
    if x.shape[0] != y.shape[0]:
        raise InputError(f"pre and post must have the same length (one value per participant), "
                         f"got {x.shape[0]} and {y.shape[0]}")
    rel = _check_number(reliability, "reliability")
    if not 0 <= rel < 1:
        raise InputError(f"reliability must be at least 0 and below 1 (e.g. Cronbach's alpha 0.8), got {reliability!r}")
    crit = _check_number(criterion, "criterion")
    if crit <= 0:
        raise InputError(f"criterion must be positive (e.g. 1.96), got {criterion!r}")
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise InputError(f"higher_is_better must be True or False, got {higher_is_better!r}")
    complete = ~(np.isnan(x) | np.isnan(y))
    n, n_dropped = int(complete.sum()), int((~complete).sum())
    if sd_pre is None:
        sd = float(np.std(x[complete], ddof=1)) if n >= 2 else NAN
    else:
        sd = _check_number(sd_pre, "sd_pre")
        if sd < 0:
            raise InputError(f"sd_pre must be a standard deviation (0 or more), got {sd_pre!r}")
    se_diff = math.sqrt(2) * sd * math.sqrt(1 - rel)
    index = pre.index if isinstance(pre, pd.Series) and len(pre) == len(x) else None
    note = ""
    if n == 0 or math.isnan(se_diff) or se_diff == 0:
        note = ("no complete pre/post pairs" if n == 0 else
                "fewer than 2 complete pairs to estimate sd_pre" if math.isnan(se_diff) else
                "sd_pre is 0: the standard error of a difference is 0 and the RCI is undefined")
        rci = pd.Series(np.full(len(x), NAN), index=index, name="rci")
        return ReliableChangeResult(n=n, n_dropped=n_dropped, reliability=rel, sd_pre=sd, se_diff=se_diff,
                                    criterion=crit, higher_is_better=bool(higher_is_better), n_improved=0,
                                    n_unchanged=0, n_worsened=0, prop_improved=NAN, prop_unchanged=NAN,
                                    prop_worsened=NAN, rci=rci, note=note)
    values = (y - x) / se_diff
    rci = pd.Series(values, index=index, name="rci")
    valid = values[complete]
    direction = 1 if higher_is_better else -1
    improved = int((direction * valid > crit).sum())
    worsened = int((direction * valid < -crit).sum())
    unchanged = n - improved - worsened
    return ReliableChangeResult(n=n, n_dropped=n_dropped, reliability=rel, sd_pre=sd, se_diff=se_diff, criterion=crit,
                                higher_is_better=bool(higher_is_better), n_improved=improved, n_unchanged=unchanged,
                                n_worsened=worsened, prop_improved=improved / n, prop_unchanged=unchanged / n,
                                prop_worsened=worsened / n, rci=rci, note=note)


# ------------------------------------------------------------------------- normalized gain

@dataclasses.dataclass(frozen=True, kw_only=True)
class NormalizedGainResult(Result):
    """Result of :func:`normalized_gain`."""

    g_average: float
    band: str
    g_individual_mean: float
    mean_pre: float
    mean_post: float
    n: int
    n_dropped: int
    n_ceiling: int
    max_score: float
    note: str = ""


def _hake_band(g: float) -> str:
    if math.isnan(g):
        return "not assessed"
    return "high" if g >= 0.7 else "medium" if g >= 0.3 else "low"


def normalized_gain(pre, post, max_score: float, min_score: float = 0) -> NormalizedGainResult:
    """Hake's average normalized gain: the share of the possible improvement that was achieved.

    ``<g> = (mean_post - mean_pre) / (max_score - mean_pre)``, computed from the group
    means of complete pairs. Also the mean of individual gains
    ``(post_i - pre_i) / (max_score - pre_i)`` over participants not already at the maximum
    at pre (those are excluded and counted in ``n_ceiling``). Bands (Hake 1998), applied to
    ``<g>``: "low" (< 0.3, including losses), "medium" (0.3 to < 0.7), "high" (>= 0.7).

    Parameters
    ----------
    pre, post : array-like
        Paired scores, one per participant; pairs with a missing side are dropped and counted.
    max_score : float
        Highest possible score.
    min_score : float, default 0
        Lowest possible score (used to check the scores; the gain does not depend on it).

    Returns
    -------
    NormalizedGainResult

    Notes
    -----
    Meant for knowledge or skills tests with a fixed maximum. The two summaries differ
    when low scorers gain more or less than high scorers; Hake's bands were set for
    ``<g>``.

    References
    ----------
    Hake, R. R. (1998). Interactive-engagement versus traditional methods: a six-thousand-
    student survey of mechanics test data for introductory physics courses. *American
    Journal of Physics*, 66, 64-74.

    Examples
    --------
    >>> from evalkit.stats import normalized_gain
    >>> res = normalized_gain([8, 10, 12, 20], [14, 15, 18, 20], max_score=20)
    >>> round(res.g_average, 4), res.band, res.n_ceiling
    (0.5667, 'medium', 1)
    """
    hi = _check_number(max_score, "max_score")
    lo = _check_number(min_score, "min_score")
    if lo >= hi:
        raise InputError(f"min_score must be below max_score, got {min_score!r} and {max_score!r}")
    x, y, n_dropped = paired_arrays(pre, post, ("pre", "post"))
    for arr, name in [(x, "pre"), (y, "post")]:
        bad = (arr < lo) | (arr > hi)
        if bad.any():
            raise InputError(f"{name} holds {arr[bad][0]:g}, outside the score range {lo:g} to {hi:g}")
    n = len(x)
    if n == 0:
        return NormalizedGainResult(g_average=NAN, band="not assessed", g_individual_mean=NAN, mean_pre=NAN,
                                    mean_post=NAN, n=0, n_dropped=n_dropped, n_ceiling=0, max_score=hi,
                                    note="no complete pre/post pairs")
    mean_pre, mean_post = float(x.mean()), float(y.mean())
    room = x < hi
    n_ceiling = int((~room).sum())
    g_ind = float(((y[room] - x[room]) / (hi - x[room])).mean()) if room.any() else NAN
    note = ""
    if mean_pre == hi:
        g_avg = NAN
        note = "every participant scored the maximum at pre: no room to gain"
    else:
        g_avg = (mean_post - mean_pre) / (hi - mean_pre)
    return NormalizedGainResult(g_average=float(g_avg), band=_hake_band(g_avg), g_individual_mean=g_ind,
                                mean_pre=mean_pre, mean_post=mean_post, n=n, n_dropped=n_dropped, n_ceiling=n_ceiling,
                                max_score=hi, note=note)


# ------------------------------------------------------------------------- goal attainment

@dataclasses.dataclass(frozen=True, kw_only=True)
class GoalResult(Result):
    """Result of :func:`goal_attainment`."""

    estimate: float
    ci_low: float
    ci_high: float
    target: float
    higher_is_better: bool
    verdict: str
    note: str = ""


def goal_attainment(estimate: float, ci_low: float, ci_high: float, target: float,
                    higher_is_better: bool = True) -> GoalResult:
    """Was a target met? Compare a confidence interval with the target value.

    * "met": the whole interval lies on the good side of the target (above it when
      ``higher_is_better``, below it otherwise);
    * "not met": the whole interval lies on the bad side;
    * "inconclusive": the interval contains the target (endpoints included), so the data
      cannot tell.

    Works for any statistic with an interval on the target's scale: a mean change, a
    proportion (e.g. 0.80 with a Wilson interval against a target of 0.75), an effect size.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        The estimate and its confidence interval (``ci_low <= estimate <= ci_high``). NaN
        values (e.g. a suppressed or degenerate estimate) give the verdict "not assessed".
    target : float
        The target, on the same scale as the estimate.
    higher_is_better : bool, default True

    Returns
    -------
    GoalResult
        The inputs, ``verdict`` and ``note``.

    References
    ----------
    Gardner, M. J. and Altman, D. G. (1986). Confidence intervals rather than P values:
    estimation rather than hypothesis testing. *BMJ*, 292, 746-750.

    Examples
    --------
    >>> from evalkit.stats import goal_attainment
    >>> goal_attainment(0.82, 0.76, 0.87, target=0.75).verdict
    'met'
    """
    est = _check_number(estimate, "estimate", allow_nan=True)
    lo = _check_number(ci_low, "ci_low", allow_nan=True)
    hi = _check_number(ci_high, "ci_high", allow_nan=True)
    tgt = _check_number(target, "target")
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise InputError(f"higher_is_better must be True or False, got {higher_is_better!r}")
    hib = bool(higher_is_better)
    if math.isnan(est) or math.isnan(lo) or math.isnan(hi):
        return GoalResult(estimate=est, ci_low=lo, ci_high=hi, target=tgt, higher_is_better=hib,
                          verdict="not assessed", note="the estimate or its interval is missing (NaN)")
    if not lo <= est <= hi:
        raise InputError(f"expected ci_low <= estimate <= ci_high, got {lo}, {est}, {hi}")
    if lo <= tgt <= hi:
        verdict = "inconclusive"
    elif (lo > tgt) == hib:
        verdict = "met"
    else:
        verdict = "not met"
    return GoalResult(estimate=est, ci_low=lo, ci_high=hi, target=tgt, higher_is_better=hib, verdict=verdict)
