"""Who was served: do the participants reflect the community the partnership means to serve?

The ``community`` table gives, per partnership, the make-up of its intended
population (``characteristic``: a participants' group column such as
``race_ethnicity``; ``group``: one of its values; ``share``: that group's
proportion, e.g. from a census). :func:`representation_gap` sets each group's
share among participants beside it.

Method. Among the ``n`` participants whose value of the characteristic is
known, ``x`` are in the group: the participant share is ``p = x / n`` with its
Wilson score interval ``[L, U]`` (Wilson 1927; R's ``prop.test(x, n, correct =
FALSE)``). The community share ``c`` is taken as known without error (a census
or administrative figure), so the representation ratio ``p / c`` has the
interval ``[L / c, U / c]``. A group is *under-represented* when the whole
interval lies below 1 (``U < c``: a gap that chance in who enrolled does not
explain), *over-represented* when it lies above 1, and *in line* otherwise.
Assumptions: participants are treated as a random draw from the people who
could have enrolled; a community share with sampling error of its own (a
survey estimate) would widen the interval.

Privacy (:mod:`evalkit.privacy`): a group of 1 to *k* - 1 participants has its
count, share, ratio and interval blanked, and since the number enrolled is shown,
the smallest shown group is blanked too when the blanked (and unlisted) groups and
the participants whose value is not recorded sum to under *k*
(:func:`~evalkit.privacy.complementary_cells`). When 1 to *k* - 1 participants have
no recorded value, the shares are of everyone enrolled (they count as in none of the
groups): a share of those with a known value would give their number, and the
enrolled minus it the number not recorded.
The verdict, which reveals only a bound, is kept: a group absent or nearly
absent from the participants is exactly what this section must report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.compare import partnership_ids
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, complementary_cells
from evalkit.stats import proportion_ci

__all__ = ["representation_gap", "UNDER", "OVER", "IN_LINE"]

UNDER, OVER, IN_LINE = "under-represented", "over-represented", "in line"
#: the note of a group blanked only so that a smaller one cannot be worked out by subtraction.
PROTECTS = "not shown (protects a smaller group)"
#: the note of a share whose denominator counts everyone enrolled (the value is not recorded for 1 to k - 1).
FEW_MISSING = "share of all participants: the value is not recorded for fewer than {k}, who are counted in it"


def representation_gap(data, partnership_id=None, *, conf_level: float = 0.95,
                       min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Participants' make-up against the community's, per characteristic and group, with a representation ratio.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    conf_level : float
        Confidence level of the Wilson interval.
    min_group_size : int

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, characteristic, group, community_share, n_known`` (the shares' denominator:
        participants with a known value, or everyone enrolled when 1 to *k* - 1 have none; blank below *k*), ``n_participants, participant_share, share_ci_low, share_ci_high,
        ratio, ratio_ci_low, ratio_ci_high, verdict`` (see :data:`UNDER`, :data:`OVER`, :data:`IN_LINE`,
        or ``"too few participants"`` when fewer than *k* have a known value), ``suppressed, source, note``
        (why a row is blank: "fewer than k", or :data:`PROTECTS` for complementary suppression; on a
        shown row, :data:`FEW_MISSING` when its share is of everyone enrolled).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA 22, 209-212.

    Examples
    --------
    >>> import evalkit
    >>> g = representation_gap(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> sorted(set(g["verdict"]) - {"under-represented", "over-represented", "in line"})
    []
    """
    k = check_min_group_size(min_group_size)
    ids = partnership_ids(data, partnership_id)
    c = data.community[data.community["partnership_id"].isin(ids)]
    columns = ["partnership_id", "characteristic", "group", "community_share", "n_known", "n_participants",
               "participant_share", "share_ci_low", "share_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
               "verdict", "suppressed", "source", "note"]
    if c.empty:
        return pd.DataFrame(columns=columns)
    people = data.participants
    parts = []
    for (pid, char), d in c.groupby(["partnership_id", "characteristic"], sort=False):
        enrolled = int((people["partnership_id"] == pid).sum())
        known = people.loc[people["partnership_id"] == pid, char].dropna() if char in data.group_columns else pd.Series([], dtype="str")
        n = len(known)
        # the enrolled total is shown, so the people whose value is not recorded are one more (blanked) cell
        missing = enrolled - n if n else 0
        if 0 < missing < k:  # a share of the n known would give n, and enrolled - n: they stay in the denominator
            n = enrolled
        counts = known.value_counts()
        listed = list(d["group"])
        x = np.array([int(counts.get(g, 0)) for g in listed], dtype=float)
        others = np.array([v for g, v in counts.items() if g not in set(listed)], dtype=float)
        cells = np.concatenate([x, others, [missing]])
        blank = complementary_cells(cells, k, suppressed=np.r_[np.zeros(len(x), bool),
                                                               np.ones(len(others) + 1, bool)])[:len(x)]
        rows = []
        for i, (_, r) in enumerate(d.iterrows()):
            share = float(r["share"])
            ci = proportion_ci(int(x[i]), n, conf_level=conf_level) if n else None
            p, lo, hi = (ci.estimate, ci.ci_low, ci.ci_high) if ci is not None else (np.nan,) * 3
            ratio = (p / share, lo / share, hi / share) if share > 0 else (np.nan,) * 3
            if n < k:
                verdict = "too few participants"
            elif share > 0 and hi < share:
                verdict = UNDER
            elif share > 0 and lo > share:
                verdict = OVER
            else:
                verdict = IN_LINE
            hide = bool(blank[i]) or n < k
            rows.append({"partnership_id": pid, "characteristic": char, "group": r["group"], "community_share": share,
                         "n_known": n if n >= k else pd.NA, "n_participants": pd.NA if hide else int(x[i]),
                         "participant_share": np.nan if hide else p, "share_ci_low": np.nan if hide else lo,
                         "share_ci_high": np.nan if hide else hi, "ratio": np.nan if hide else ratio[0],
                         "ratio_ci_low": np.nan if hide else ratio[1], "ratio_ci_high": np.nan if hide else ratio[2],
                         "verdict": verdict, "suppressed": hide, "source": r.get("source"),
                         "note": (f"fewer than {k} with a known value" if n < k else f"fewer than {k}"
                                  if 0 < x[i] < k else PROTECTS if hide else
                                  FEW_MISSING.format(k=k) if 0 < missing < k else "")})
        parts.append(pd.DataFrame(rows))
    out = pd.concat(parts, ignore_index=True)[columns]
    for col in ("n_known", "n_participants"):
        out[col] = out[col].astype("Int64")
    return out
