"""Multi-item scales: score them, and check they hang together.

Survey instruments often measure one thing with several items (three teamwork
questions, one of them worded in reverse). The measures table declares this
with the optional ``scale`` and ``reverse_coded`` columns. Reports analyse the
*scale score* (the mean of a participant's items, reverse-coded items flipped
first; :func:`evalkit.stats.score_scales`) rather than each item, and state the
scale's internal consistency (Cronbach's alpha) in the methods note.
"""
from __future__ import annotations

import dataclasses

import pandas as pd

from evalkit.stats import cronbach_alpha
from evalkit.stats.reliability import score_scales


def scale_label(scale: str, n_items: int) -> str:
    """How reports name a scale's score: "Teamwork scale (mean of 3 items)" for the scale ``teamwork``."""
    return f"{str(scale).replace('_', ' ').capitalize()} scale (mean of {n_items} items)"


def _item_measures(measures: pd.DataFrame) -> pd.DataFrame:
    if "scale" not in measures.columns:
        return measures.iloc[0:0]
    return measures[measures["scale"].notna() & (measures["scale"].astype(str) != "")]


def scale_direction(scale, items: pd.DataFrame) -> bool:
    """Whether a higher score on ``scale`` is better, from its items' ``higher_is_better``.

    The scale score runs in the direction of its items that are *not*
    reverse-coded (reverse-coded items are flipped onto it), so those items set
    the direction; they must agree. A stress scale of stress items is
    lower-is-better, whatever its reverse-worded "I feel calm" item says.

    Parameters
    ----------
    scale : str
        The scale's name (for messages).
    items : pandas.DataFrame
        The scale's rows of the measures table (``higher_is_better``, ``reverse_coded``).

    Returns
    -------
    bool

    Raises
    ------
    InputError
        When the non-reverse-coded items disagree, or every item is reverse-coded.

    Examples
    --------
    >>> items = pd.DataFrame({"measure": ["s1", "s2", "calm"], "higher_is_better": [False, False, True],
    ...                       "reverse_coded": [False, False, True]})
    >>> scale_direction("stress", items)
    False
    """
    from evalkit.errors import InputError

    reverse = items["reverse_coded"].fillna(False).astype(bool) if "reverse_coded" in items.columns \
        else pd.Series(False, index=items.index)
    plain = items.loc[~reverse]
    if plain.empty:
        raise InputError(f"scale {scale!r}: every item is reverse-coded, so its direction is unknown; mark the "
                         "items worded in the scale's own direction reverse_coded = false")
    values = set(plain["higher_is_better"].astype(bool))
    if len(values) > 1:
        named = ", ".join(f"{m} ({bool(h)})" for m, h in zip(plain["measure"], plain["higher_is_better"]))
        raise InputError(f"scale {scale!r}: its items that are not reverse-coded disagree on higher_is_better "
                         f"({named}); they must run in the same direction")
    return values.pop()


def with_scale_scores(data):
    """Return a copy of ``data`` whose item-level measures are replaced by their scale scores.

    Each scale becomes one continuous measure (``measure`` = the scale name)
    whose value is the mean of the participant's answered items at that wave,
    with reverse-coded items flipped (``scale_min + scale_max - x``) first. Its
    label says how many items it combines; its ``higher_is_better`` is its
    items' (:func:`scale_direction`). Data without item-level measures are
    returned unchanged. The input is not modified.

    Parameters
    ----------
    data : evalkit.load.Dataset

    Returns
    -------
    evalkit.load.Dataset
    """
    items = _item_measures(data.measures)
    if items.empty:
        return data
    scores = score_scales(data.responses, data.measures).drop(columns="n_items")
    rows = []
    for scale, g in items.groupby("scale", sort=False):
        first = g.iloc[0]
        rows.append({**{c: first[c] for c in data.measures.columns},
                     "measure": scale, "label": scale_label(scale, len(g)),
                     "kind": "continuous", "higher_is_better": scale_direction(scale, g), "scale": None,
                     "reverse_coded": False})
    measures = pd.concat([data.measures[~data.measures["measure"].isin(items["measure"])],
                          pd.DataFrame(rows, columns=data.measures.columns)], ignore_index=True)
    responses = data.responses[~data.responses["measure"].isin(items["measure"])]
    responses = pd.concat([responses, scores[[c for c in responses.columns if c in scores.columns]]], ignore_index=True)
    return dataclasses.replace(data, measures=measures, responses=responses)


def scale_reliability(data, *, wave: str = "pre") -> pd.DataFrame:
    """Cronbach's alpha of every declared scale at one wave (default: baseline).

    Returns
    -------
    pandas.DataFrame
        ``scale, n_items, n, alpha, ci_low, ci_high`` (Feldt interval), one row per scale;
        respondents missing any item are left out (listwise), as :func:`evalkit.cronbach_alpha` does.
    """
    items = _item_measures(data.measures)
    rows = []
    for scale, g in items.groupby("scale", sort=False):
        r = data.responses
        r = r[r["measure"].isin(g["measure"]) & (r["wave"] == wave)]
        wide = r.pivot_table(index=["partnership_id", "participant_id"], columns="measure", values="value")
        wide = wide.reindex(columns=list(g["measure"]))
        reverse = list(g.loc[g["reverse_coded"].fillna(False).astype(bool), "measure"])
        res = cronbach_alpha(wide, reverse=reverse, scale_min=float(g["scale_min"].min()),
                             scale_max=float(g["scale_max"].max()))
        rows.append({"scale": scale, "n_items": len(g), "n": res.n, "alpha": res.alpha,
                     "ci_low": res.ci_low, "ci_high": res.ci_high, "note": res.note})
    return pd.DataFrame(rows, columns=["scale", "n_items", "n", "alpha", "ci_low", "ci_high", "note"])
