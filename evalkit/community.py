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

Privacy (:mod:`evalkit.privacy`): the groups counted are those of the report's
*Results by group* table for the characteristic, blanked where it blanks them
(:func:`evalkit.participation.representation`: primary and complementary
suppression of every group, "Not recorded" included, against the enrolled total;
a "not recorded" group too small to show is folded into the largest group,
``"<group> or not recorded"``), so this table shows no count that table withholds,
and no difference of the two gives one away. When the participants whose value
is not recorded are a blanked group, the shares are of everyone enrolled (they
count as in none of the groups): a share of those with a known value would give
that number, and the enrolled minus it the number not recorded.
The verdict, which reveals only a bound, is kept: a group absent or nearly
absent from the participants is exactly what this section must report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.compare import partnership_ids
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, PROTECTS, check_min_group_size
from evalkit.stats import proportion_ci

__all__ = ["representation_gap", "UNDER", "OVER", "IN_LINE", "NOT_JUDGED"]

UNDER, OVER, IN_LINE = "under-represented", "over-represented", "in line"
#: The verdict of a group whose count is not shown: a verdict would bound the hidden count (under-represented:
#: at most so many) and tell a small group from one blanked to protect it (privacy, rule 2).
NOT_JUDGED = "not judged"
#: the note of a share whose denominator counts everyone enrolled (those not recorded are a blanked group).
FEW_MISSING = "share of all participants: those whose value is not recorded (not shown) are counted in it"
#: the group of participants whose value is not recorded, and the suffix of a group they were folded into,
#: as :func:`evalkit.participation.representation` names them.
NOT_RECORDED, FOLDED = "Not recorded", " or not recorded"


class _Partitions:
    """The groups the report's *Results by group* table counts for each characteristic, and which it blanks.

    As :func:`evalkit.participation.representation` (fold, then primary and complementary suppression of
    ``n_enrolled`` and ``n_both`` against the partnership's totals), computed once for every partnership and
    characteristic of the community table: its counts are public there, so this section counts the same groups
    and blanks the same ones.

    Method: one pass over the portfolio, not one per partnership. Folding the unrecorded
    (:func:`evalkit.compare.fold_unrecorded`) decides each partnership and column from that partnership's
    participants and pairs alone, and who answered both waves (:func:`evalkit.participation.wave_flags`) is per
    participant, so both are computed once for all partnerships. Which groups are blanked comes from
    :func:`evalkit.participation.representation_table`, the function that makes the report's table: one call per
    characteristic for every partnership that has it, each (partnership, characteristic) a partition of its own.
    """

    def __init__(self, data, community: pd.DataFrame, pre: str, post: str, k: int):
        self.data, self.community, self.pre, self.post, self.k = data, community, pre, post, k
        self.done: dict | None = None

    def of(self, pid: str, char: str) -> tuple[dict, set, int]:
        """``({group: enrolled}, {blanked groups}, number not recorded)`` of one partnership and characteristic."""
        if self.done is None:
            self.done = self._all()
        return self.done[pid][char]

    def _all(self) -> dict:
        from evalkit.compare import fold_unrecorded
        from evalkit.participation import representation_table, wave_flags

        data, pre, post = self.data, self.pre, self.post
        known = set(data.group_columns)
        c = self.community
        chars_of = {pid: [ch for ch in dict.fromkeys(d["characteristic"]) if ch in known]
                    for pid, d in c.groupby("partnership_id", sort=False)}
        columns = list(dict.fromkeys(ch for chars in chars_of.values() for ch in chars))
        if not columns:
            return {}
        folded = fold_unrecorded(data, columns, min_group_size=self.k, pre=pre, post=post,
                                 partnership_id=list(chars_of))
        people = folded.participants
        rows_of = people.groupby("partnership_id", sort=False).indices
        # who answered both waves: only partnerships whose own responses hold both waves (as each one's slice)
        waves_of = data.responses.groupby("partnership_id", sort=False)["wave"].unique()
        with_both = [pid for pid in chars_of if pid in waves_of.index and {pre, post} <= set(waves_of[pid])]
        done_both = np.zeros(len(people), bool)
        if with_both:
            both = wave_flags(data, with_both, pre, post)["both"]
            done_both = pd.MultiIndex.from_arrays([people["partnership_id"], people["participant_id"]]).isin(
                both.index[both.to_numpy(bool)])
        values = {ch: people[ch].astype("string").fillna(NOT_RECORDED).to_numpy(dtype=object) for ch in columns}
        found = {}
        for pid, chars in chars_of.items():
            idx = rows_of.get(pid)
            if idx is None:
                continue
            for ch in chars:
                group = values[ch][idx]
                code, groups = pd.factorize(group)
                n_enrolled = np.bincount(code, minlength=len(groups))
                found[(pid, ch)] = ({str(g): int(n) for g, n in zip(groups, n_enrolled) if g != NOT_RECORDED},
                                    int((group == NOT_RECORDED).sum()))
        # which groups are blanked: the report's own table (representation_table), so the same groups are blanked
        # however a tie for the complementary blank falls
        hidden: dict = {}
        for ch in columns:
            mine = people["partnership_id"].isin([pid for pid, chars in chars_of.items() if ch in chars]).to_numpy()
            t = representation_table(people[mine], ch, done_both[mine], self.k)
            t = t[t["suppressed"].astype(bool)]
            for pid, g in zip(t["partnership_id"], t["group"]):
                hidden.setdefault((pid, ch), set()).add(str(g))
        done: dict = {}
        for (pid, ch), (counts, missing) in found.items():
            done.setdefault(pid, {})[ch] = (counts, hidden.get((pid, ch), set()), missing)
        return done


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
        ``partnership_id, characteristic, group`` (``"<group> or not recorded"`` when *Results by group*
        folds the unrecorded into it), ``community_share, n_known`` (the shares' denominator: participants
        with a known value, or everyone enrolled when those not recorded are a blanked group; blank below
        *k*), ``n_participants, participant_share, share_ci_low, share_ci_high,
        ratio, ratio_ci_low, ratio_ci_high, verdict`` (see :data:`UNDER`, :data:`OVER`, :data:`IN_LINE`;
        :data:`NOT_JUDGED` for a group whose count is not shown, or ``"too few participants"`` when fewer than
        *k* have a known value), ``suppressed, source, note``
        (why a row is blank: :data:`PROTECTS` for every blanked group, small or protecting a smaller one; on a
        shown row, :data:`FEW_MISSING` when its share is of everyone enrolled).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. JASA 22, 209-212.

    Examples
    --------
    >>> import evalkit
    >>> g = representation_gap(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> sorted(set(g["verdict"]) - {"under-represented", "over-represented", "in line", "not judged"})
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
    roles = data.wave_roles
    pre = next((w for w, role in roles.items() if role == "baseline"), "pre")
    post = next((w for w, role in roles.items() if role == "post"), "post")
    n_enrolled = data.participants["partnership_id"].value_counts()
    rows, partition = [], _Partitions(data, c, pre, post, k)
    for (pid, char), d in c.groupby(["partnership_id", "characteristic"], sort=False):
        enrolled = int(n_enrolled.get(pid, 0))
        counts, hidden, missing = partition.of(pid, char) if char in data.group_columns and enrolled else ({}, set(), 0)
        # a share of those with a known value gives their number, and the enrolled minus it those not
        # recorded: when that group is blanked, shares are of everyone enrolled
        n = enrolled if missing and NOT_RECORDED in hidden else sum(counts.values())
        listed = [f"{g}{FOLDED}" if f"{g}{FOLDED}" in counts else g for g in d["group"]]
        x = np.array([int(counts.get(g, 0)) for g in listed], dtype=float)
        blank = np.array([g in hidden for g in listed], dtype=bool)
        sources = d["source"].tolist() if "source" in d.columns else [None] * len(d)
        for i, (share, source) in enumerate(zip(d["share"].tolist(), sources)):
            share = float(share)
            ci = proportion_ci(int(x[i]), n, conf_level=conf_level) if n else None
            p, lo, hi = (ci.estimate, ci.ci_low, ci.ci_high) if ci is not None else (np.nan,) * 3
            ratio = (p / share, lo / share, hi / share) if share > 0 else (np.nan,) * 3
            hide = bool(blank[i]) or n < k
            if n < k:
                verdict = "too few participants"
            elif hide:
                verdict = NOT_JUDGED
            elif share > 0 and hi < share:
                verdict = UNDER
            elif share > 0 and lo > share:
                verdict = OVER
            else:
                verdict = IN_LINE
            rows.append({"partnership_id": pid, "characteristic": char, "group": listed[i], "community_share": share,
                         "n_known": n if n >= k else pd.NA, "n_participants": pd.NA if hide else int(x[i]),
                         "participant_share": np.nan if hide else p, "share_ci_low": np.nan if hide else lo,
                         "share_ci_high": np.nan if hide else hi, "ratio": np.nan if hide else ratio[0],
                         "ratio_ci_low": np.nan if hide else ratio[1], "ratio_ci_high": np.nan if hide else ratio[2],
                         "verdict": verdict, "suppressed": hide, "source": source,
                         # a blanked group reads PROTECTS, small or protecting (privacy, rule 2)
                         "note": (f"fewer than {k} with a known value" if n < k else PROTECTS if hide else
                                  FEW_MISSING if missing and n == enrolled else "")})
    out = pd.DataFrame(rows)[columns]
    for col in ("n_known", "n_participants"):
        out[col] = out[col].astype("Int64")
    return out
