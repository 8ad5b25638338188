"""Descriptive statistics of single waves: satisfaction and other measures asked once.

Satisfaction is usually asked only after a programme, so it has no pre/post
change to test; reports describe it instead: how many answered, the mean, and
the share choosing the top two options ("top-two-box", e.g. satisfied or very
satisfied on a 1-5 scale) with a Wilson score interval.
"""
from __future__ import annotations

import pandas as pd

from evalkit.compare import known_values, partnership_ids, scored_if_asked
from evalkit.participation import check_wave_spelling
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, pairs_only, pairs_only_note, suppress_small_groups
from evalkit.stats import proportion_ci


def describe_wave(data, partnership_id=None, *, measures=None, domain=None, wave: str = "post",
                  conf_level: float = 0.95, min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
                  pairs_with: str | None = None) -> pd.DataFrame:
    """Describe each measure's answers at one wave, one row per partnership x measure.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    measures : list of str, optional
        Measures to describe; default all, or those of ``domain``.
    domain : str, optional
        E.g. ``"satisfaction"``: describe every measure of that domain.
    wave : str
        The wave to describe (default ``"post"``).
    pairs_with : str, optional
        The baseline wave of a report whose outcomes table shows the matched participants' mean at
        ``wave``: a measure also asked then, where at least ``min_group_size`` answered both waves and 1 to
        ``min_group_size`` - 1 answered only ``wave``, is described on those who answered both (as the
        outcomes table and the targets), since every answer beside the pairs' mean would give theirs away
        by subtraction (:mod:`evalkit.privacy`, rule 8); its ``note`` says so.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, measure, label, n, mean, sd, median, top_two`` (share of
        answers in the two highest options for ordinal measures when higher is
        better, else the two lowest; share of 1s for binary; NaN for continuous),
        ``top_two_ci_low, top_two_ci_high, suppressed, note, paired_only`` (True where only those who
        also answered the ``pairs_with`` wave are counted; ``note`` says so).
    """
    ids = partnership_ids(data, partnership_id)
    check_wave_spelling(data, wave, *([pairs_with] if pairs_with is not None else []))
    data = scored_if_asked(data, measures)  # a scale's name describes its score
    meta = data.measures.set_index("measure")
    if measures is None:
        measures = list(meta.index if domain is None else meta.index[meta["domain"] == domain])
    else:  # a misspelt measure would otherwise describe nothing, silently
        measures = known_values(measures, meta.index, "measure")
    r = data.responses
    r = r[r["partnership_id"].isin(ids) & r["measure"].isin(measures) & (r["wave"] == wave) & r["value"].notna()]
    rows = []
    before = data.responses
    before = (before[before["partnership_id"].isin(ids) & (before["wave"] == pairs_with) & before["value"].notna()]
              if pairs_with is not None and pairs_with != wave else before.iloc[:0])
    for (pid, m), d in r.groupby(["partnership_id", "measure"], sort=True):
        info, x, note, paired_only = meta.loc[m], d["value"], "", False
        both = d["participant_id"].isin(set(before.loc[(before["partnership_id"] == pid) & (before["measure"] == m),
                                                        "participant_id"])).to_numpy()
        if pairs_only(both, min_group_size):
            x, paired_only = x[both], True
            note = pairs_only_note(len(x), min_group_size, wave)
        row = {"partnership_id": pid, "measure": m, "label": info["label"], "n": len(x), "mean": x.mean(),
               "sd": x.std(ddof=1), "median": x.median(), "note": note, "paired_only": paired_only}
        if info["kind"] == "binary":
            good = int((x == (1 if info["higher_is_better"] else 0)).sum())
        elif info["kind"] == "ordinal":
            good = int((x >= info["scale_max"] - 1).sum() if info["higher_is_better"] else (x <= info["scale_min"] + 1).sum())
        else:
            good = None
        if good is not None:
            ci = proportion_ci(good, len(x), conf_level=conf_level)
            row.update(top_two=ci.estimate, top_two_ci_low=ci.ci_low, top_two_ci_high=ci.ci_high)
        rows.append(row)
    cols = ["partnership_id", "measure", "label", "n", "mean", "sd", "median", "top_two", "top_two_ci_low",
            "top_two_ci_high", "note", "paired_only"]
    table = pd.DataFrame(rows, columns=cols)
    for c in ("top_two", "top_two_ci_low", "top_two_ci_high"):
        table[c] = table[c].astype(float)
    return suppress_small_groups(table, "n", min_group_size,
                                 ["mean", "sd", "median", "top_two", "top_two_ci_low", "top_two_ci_high"])
