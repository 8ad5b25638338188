"""Multi-item scales: internal consistency (Cronbach's alpha) and scale scores.

A scale (e.g. "sense of belonging") is measured by several Likert items. Items
worded in the opposite direction ("reverse-coded") are flipped as
``scale_min + scale_max - x`` before anything else, so that a higher value always
means more of the construct.
"""
from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import check_choice, check_conf_level

SCORE_METHODS = ("mean", "sum")
ITEM_TOTAL_COLUMNS = ["item", "r_drop", "alpha_if_dropped"]


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class AlphaResult(Result):
    """Result of :func:`cronbach_alpha`.

    Attributes
    ----------
    alpha : float
        Cronbach's alpha from the item covariances (psych's ``raw_alpha``).
    ci_low, ci_high : float
        Feldt confidence interval for alpha (psych's ``alpha.ci``).
    std_alpha : float
        Standardised alpha, from the item correlations (psych's ``std.alpha``).
    n : int
        Respondents with every item answered (listwise deletion).
    k : int
        Number of items.
    n_dropped : int
        Respondents dropped because at least one item was missing.
    conf_level : float
        Level of the interval.
    item_total : pandas.DataFrame
        One row per item: ``item``, ``r_drop`` (correlation of the item with the total of
        the other items, psych's ``r.drop``) and ``alpha_if_dropped`` (psych's
        ``alpha.drop$raw_alpha``).
    note : str
        Why fields are NaN, when they are.
    """

    alpha: float
    ci_low: float
    ci_high: float
    std_alpha: float
    n: int
    k: int
    n_dropped: int
    conf_level: float
    item_total: pd.DataFrame
    note: str = ""


def _check_bound(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or np.isnan(value):
        raise InputError(f"{name} must be a number (the lowest/highest possible answer), got {value!r}")
    return float(value)


def _prepare_items(items, reverse, scale_min, scale_max) -> pd.DataFrame:
    """Check an items table, convert it to floats and reverse the named items."""
    if not isinstance(items, pd.DataFrame):
        raise InputError(f"items must be a pandas DataFrame (rows = respondents, columns = items), "
                         f"got {type(items).__name__}")
    if items.shape[1] == 0:
        raise InputError("items has no columns; expected one column per item")
    if not items.columns.is_unique:
        raise InputError(f"items must have unique column names, got {list(items.columns)}")
    out = {}
    for col in items.columns:
        s = items[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            converted = pd.to_numeric(s.astype(object).where(s.notna()), errors="coerce")
            bad = converted.isna() & s.notna()
            if bad.any():
                raise InputError(f"item {col!r} must hold numbers; found {s[bad].iloc[0]!r}")
            s = converted
        out[col] = s.astype(float)
    data = pd.DataFrame(out, index=items.index)
    if np.isinf(data.to_numpy()).any():
        raise InputError("items must hold finite numbers; found an infinite value")

    reverse = [reverse] if isinstance(reverse, str) else list(reverse)
    unknown = [r for r in reverse if r not in data.columns]
    if unknown:
        raise InputError(f"reverse names unknown item(s) {unknown}; the items are {list(data.columns)}")
    if reverse:
        if scale_min is None or scale_max is None:
            raise InputError("reversing items needs scale_min and scale_max (e.g. 1 and 5 for a 1-5 Likert scale)")
        lo, hi = _check_bound(scale_min, "scale_min"), _check_bound(scale_max, "scale_max")
        if lo >= hi:
            raise InputError(f"scale_min must be below scale_max, got {scale_min} and {scale_max}")
        block = data[reverse]
        outside = (block < lo) | (block > hi)
        if outside.to_numpy().any():
            col = outside.any().idxmax()
            value = block.loc[outside[col], col].iloc[0]
            raise InputError(f"item {col!r} holds {value}, outside the scale {lo:g} to {hi:g}; cannot reverse it")
        data[reverse] = lo + hi - block
    return data


def _raw_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha of a complete (n x k) array; NaN when the total has no variance."""
    k = x.shape[1]
    total_var = x.sum(axis=1).var(ddof=1)
    if not total_var > 0:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var))


def cronbach_alpha(items: pd.DataFrame, reverse: Sequence[str] = (), scale_min=None, scale_max=None,
                   conf_level: float = 0.95) -> AlphaResult:
    """Cronbach's alpha of a multi-item scale, with Feldt interval and item statistics.

    ``alpha = k / (k - 1) * (1 - sum(item variances) / variance(total))`` over respondents
    who answered every item (listwise deletion). The standardised alpha uses the mean
    inter-item correlation ``r``: ``k r / (1 + (k - 1) r)``. The Feldt (1965) interval is
    ``1 - (1 - alpha) F`` with F quantiles on ``n - 1`` and ``(n - 1)(k - 1)`` degrees of
    freedom, as ``psych::alpha.ci``. For each item, ``r_drop`` correlates it with the sum
    of the other items and ``alpha_if_dropped`` is alpha of the other items.

    Parameters
    ----------
    items : pandas.DataFrame
        Rows = respondents, columns = items (numbers, missing allowed).
    reverse : sequence of str, default ()
        Items to reverse as ``scale_min + scale_max - x`` before scoring.
    scale_min, scale_max : float, optional
        Lowest and highest possible answers; required when ``reverse`` is given.
    conf_level : float, default 0.95
        Level of the Feldt interval.

    Returns
    -------
    AlphaResult

    Notes
    -----
    Alpha is a lower bound of reliability when items measure one construct with
    uncorrelated errors (essential tau-equivalence gives equality); it rises with the
    number of items and does not show unidimensionality. The Feldt interval assumes
    normally distributed, tau-equivalent items. Unlike ``psych::alpha`` (pairwise
    correlations by default) respondents with a missing item are dropped and counted;
    on complete data the two agree.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika*, 30, 357-370.
    Revelle, W. psych: Procedures for Psychological, Psychometric, and Personality
    Research (``alpha``, ``alpha.ci``).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats import cronbach_alpha
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 4, 2, 5], "q2": [4, 4, 3, 5, 2, 4],
    ...                       "q3": [2, 1, 3, 2, 4, 1]})
    >>> res = cronbach_alpha(items, reverse=["q3"], scale_min=1, scale_max=5)
    >>> round(res.alpha, 3)
    0.945
    """
    conf_level = check_conf_level(conf_level)
    data = _prepare_items(items, reverse, scale_min, scale_max)
    k = data.shape[1]
    if k < 2:
        raise InputError(f"Cronbach's alpha needs at least two items, got {k} ({list(data.columns)})")
    complete = data.dropna()
    n, n_dropped = len(complete), len(data) - len(complete)
    nan = float("nan")
    names = [str(c) for c in data.columns]
    item_total = pd.DataFrame({"item": names, "r_drop": nan, "alpha_if_dropped": nan})

    x = complete.to_numpy()
    if n < 2:
        return AlphaResult(alpha=nan, ci_low=nan, ci_high=nan, std_alpha=nan, n=n, k=k, n_dropped=n_dropped,
                           conf_level=conf_level, item_total=item_total,
                           note=f"{n} respondent(s) answered every item: at least 2 are needed")
    alpha = _raw_alpha(x)
    if np.isnan(alpha):
        return AlphaResult(alpha=nan, ci_low=nan, ci_high=nan, std_alpha=nan, n=n, k=k, n_dropped=n_dropped,
                           conf_level=conf_level, item_total=item_total,
                           note="every respondent has the same total score: alpha is undefined")

    note = ""
    item_var = x.var(axis=0, ddof=1)
    if (item_var > 0).all():
        corr = np.corrcoef(x, rowvar=False)
        r_bar = (corr.sum() - k) / (k * (k - 1))
        std_alpha = float(k * r_bar / (1 + (k - 1) * r_bar))
    else:
        std_alpha = nan
        constant = [names[j] for j in np.flatnonzero(item_var == 0)]
        note = f"item(s) {constant} have no variance: std_alpha and their r_drop are undefined"

    r_drop, alpha_drop = [], []
    for j in range(k):
        rest = np.delete(x, j, axis=1)
        rest_total = rest.sum(axis=1)
        ok = item_var[j] > 0 and rest_total.var() > 0
        r_drop.append(float(np.corrcoef(x[:, j], rest_total)[0, 1]) if ok else nan)
        alpha_drop.append(_raw_alpha(rest) if k > 2 else nan)
    item_total = pd.DataFrame({"item": names, "r_drop": r_drop, "alpha_if_dropped": alpha_drop})

    a = 1 - conf_level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    ci_low = float(1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2))
    ci_high = float(1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2))
    return AlphaResult(alpha=alpha, ci_low=ci_low, ci_high=ci_high, std_alpha=std_alpha, n=n, k=k, n_dropped=n_dropped,
                       conf_level=conf_level, item_total=item_total, note=note)


def _check_min_items(min_items, k: int) -> int:
    if min_items is None:
        return 1
    if isinstance(min_items, bool) or not isinstance(min_items, numbers.Integral) or not 1 <= min_items <= k:
        raise InputError(f"min_items must be a whole number from 1 to the number of items ({k}), got {min_items!r}")
    return int(min_items)


def score_scale(items: pd.DataFrame, reverse: Sequence[str] = (), scale_min=None, scale_max=None,
                method: str = "mean", min_items: int | None = None) -> pd.Series:
    """Score a multi-item scale for each respondent.

    Reverse-coded items are flipped as ``scale_min + scale_max - x``, then each
    respondent's score is the mean of the items they answered ("mean"), or that mean
    times the number of items ("sum": a sum prorated for missing items, on the scale of a
    complete sum). Respondents who answered fewer than ``min_items`` items get NaN.

    Parameters
    ----------
    items : pandas.DataFrame
        Rows = respondents, columns = items.
    reverse : sequence of str, default ()
        Items to reverse before scoring.
    scale_min, scale_max : float, optional
        Lowest and highest possible answers; required when ``reverse`` is given.
    method : {"mean", "sum"}, default "mean"
        Mean of answered items, or the prorated sum.
    min_items : int, optional
        Fewest answered items needed for a score. Default: 1 (any answered item). A common
        rule is at least half of the items.

    Returns
    -------
    pandas.Series
        One score per respondent, with the index of ``items``, named "score".

    Notes
    -----
    Averaging available items assumes the items are interchangeable measures of one
    construct (check with :func:`cronbach_alpha`) and that items are missing at random.

    References
    ----------
    Newman, D. A. (2014). Missing data: five practical guidelines. *Organizational
    Research Methods*, 17, 372-411 (person-mean imputation of missing items).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats import score_scale
    >>> items = pd.DataFrame({"q1": [4, 5, None], "q2": [4, 3, None], "q3": [2, 1, 5]})
    >>> score_scale(items, reverse=["q3"], scale_min=1, scale_max=5, min_items=2).tolist()
    [4.0, 4.333333333333333, nan]
    """
    method = check_choice(method, SCORE_METHODS, "method")
    data = _prepare_items(items, reverse, scale_min, scale_max)
    k = data.shape[1]
    min_items = _check_min_items(min_items, k)
    answered = data.notna().sum(axis=1)
    score = data.mean(axis=1, skipna=True)
    if method == "sum":
        score = score * k
    return score.where(answered >= min_items).rename("score")


_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False, "": False}


def _as_bool(column: pd.Series, name: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        return column.fillna(False).astype(bool)
    words = column.astype(object).where(column.notna(), "").map(lambda v: str(v).strip().lower())
    words = words.replace({"1.0": "1", "0.0": "0"})
    bad = ~words.isin(list(_BOOL_WORDS))
    if bad.any():
        raise InputError(f"measures column {name!r} must hold true/false, found {column[bad].iloc[0]!r}")
    return words.map(_BOOL_WORDS).astype(bool)


def score_scales(responses: pd.DataFrame, measures: pd.DataFrame, method: str = "mean",
                 min_items: int | None = None) -> pd.DataFrame:
    """Build scale scores from item responses in the long format of the data contract.

    The measures table may group item-level measures into scales with two optional
    columns (see data/README.md):

    * ``scale``: name of the scale the item belongs to (blank for a stand-alone measure);
    * ``reverse_coded``: true for items worded in the opposite direction (default false).

    Each item is first put on the scale's direction (reverse-coded items become
    ``scale_min + scale_max - value`` with the item's own bounds), then every
    participant's answers in a wave are averaged per scale (``method="mean"``), or
    summed with proration for missing items (``"sum"``, see :func:`score_scale`).

    Parameters
    ----------
    responses : pandas.DataFrame
        Long responses: ``participant_id``, ``wave``, ``measure``, ``value``, and
        ``partnership_id`` if present (kept as a key).
    measures : pandas.DataFrame
        Measures table: ``measure``, ``scale_min``, ``scale_max`` and optionally
        ``scale``, ``reverse_coded``.
    method : {"mean", "sum"}, default "mean"
        How items are combined.
    min_items : int, optional
        Fewest answered items for a score (default 1); fewer gives a NaN value. Must not
        exceed the number of items of the smallest scale.

    Returns
    -------
    pandas.DataFrame
        Long scale scores, one row per participant x wave x scale with a response row for
        at least one of its items (a blank answer counts as not answered): the key columns
        (``partnership_id`` if present, ``participant_id``, ``wave``), ``measure`` (= the
        scale name), ``value`` (the score) and ``n_items`` (items answered). Empty (same
        columns) when no measure names a scale.

    Raises
    ------
    InputError
        If required columns are missing, a scale's items have different bounds (their
        mean would mix scales), a scale name equals an item-level measure name, a value is
        non-numeric or outside its item's bounds (for reversed items), or a participant
        answered the same item twice in one wave.

    Notes
    -----
    Scale rows can be appended to the item responses (``pd.concat``) and analysed like
    any other measure, provided ``measures`` gets a row for each scale. Averaging
    available items assumes they are interchangeable and missing at random.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.stats.reliability import score_scales
    >>> measures = pd.DataFrame({"measure": ["b1", "b2", "b3"], "scale_min": 1, "scale_max": 5,
    ...                          "scale": "belonging", "reverse_coded": [False, False, True]})
    >>> responses = pd.DataFrame({"participant_id": "p1", "wave": "pre",
    ...                           "measure": ["b1", "b2", "b3"], "value": [4, 3, 2]})
    >>> score_scales(responses, measures)[["participant_id", "wave", "measure", "value"]].to_dict("records")
    [{'participant_id': 'p1', 'wave': 'pre', 'measure': 'belonging', 'value': 3.6666666666666665}]
    """
    method = check_choice(method, SCORE_METHODS, "method")
    for table, name, required in [
        (responses, "responses", ["participant_id", "wave", "measure", "value"]),
        (measures, "measures", ["measure", "scale_min", "scale_max"]),
    ]:
        if not isinstance(table, pd.DataFrame):
            raise InputError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
        missing = [c for c in required if c not in table.columns]
        if missing:
            raise InputError(f"{name} lacks column(s) {missing}; expected at least {required}")
    keys = [c for c in ("partnership_id", "participant_id", "wave") if c in responses.columns]
    out_columns = [*keys, "measure", "value", "n_items"]
    if "scale" not in measures.columns:
        return pd.DataFrame(columns=out_columns)

    scale = measures["scale"].astype(object).where(measures["scale"].notna(), "").map(lambda v: str(v).strip())
    items = pd.DataFrame({
        "measure": measures["measure"].astype(str),
        "scale": scale,
        "lo": pd.to_numeric(measures["scale_min"], errors="coerce"),
        "hi": pd.to_numeric(measures["scale_max"], errors="coerce"),
        "reverse": (_as_bool(measures["reverse_coded"], "reverse_coded") if "reverse_coded" in measures.columns
                    else False),
    })
    items = items[items["scale"] != ""]
    if items.empty:
        return pd.DataFrame(columns=out_columns)
    if items[["lo", "hi"]].isna().any().any():
        bad = items.loc[items[["lo", "hi"]].isna().any(axis=1), "measure"].iloc[0]
        raise InputError(f"item {bad!r} needs numeric scale_min and scale_max to be scored")
    bounds = items.groupby("scale")[["lo", "hi"]].nunique()
    mixed = bounds.index[(bounds > 1).any(axis=1)].tolist()
    if mixed:
        raise InputError(f"the items of scale(s) {mixed} have different scale_min/scale_max; "
                         f"a scale score needs all its items on the same response scale")
    clash = sorted(set(items["scale"]) & set(measures["measure"].astype(str)))
    if clash:
        raise InputError(f"scale name(s) {clash} are also measure names; give scales names of their own")
    sizes = items.groupby("scale").size()
    min_items = _check_min_items(min_items, int(sizes.min()))

    value = pd.to_numeric(responses["value"], errors="coerce")
    bad = value.isna() & responses["value"].notna()
    if bad.any():
        raise InputError(f"responses column 'value' must hold numbers; found {responses['value'][bad].iloc[0]!r}")
    long = responses[keys].assign(measure=responses["measure"].astype(str), value=value.astype(float))
    long = long.merge(items, on="measure", how="inner")
    dup = long.duplicated([*keys, "measure"])
    if dup.any():
        first = long.loc[dup].iloc[0]
        raise InputError(f"participant {first['participant_id']!r} answered item {first['measure']!r} more "
                         f"than once in wave {first['wave']!r}; expected one answer per item and wave")
    rev = long["reverse"].astype(bool)
    outside = rev & ((long["value"] < long["lo"]) | (long["value"] > long["hi"]))
    if outside.any():
        row = long.loc[outside].iloc[0]
        raise InputError(f"value {row['value']:g} of item {row['measure']!r} is outside its scale "
                         f"{row['lo']:g} to {row['hi']:g}; cannot reverse it")
    long["value"] = long["value"].where(~rev, long["lo"] + long["hi"] - long["value"])

    scored = (long.groupby([*keys, "scale"], sort=True, dropna=False)["value"]
              .agg(value="mean", n_items="count").reset_index()
              .rename(columns={"scale": "measure"}))
    if method == "sum":
        scored["value"] = scored["value"] * scored["measure"].map(sizes)
    scored["value"] = scored["value"].where(scored["n_items"] >= min_items)
    return scored[out_columns]
