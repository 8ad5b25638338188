"""Who took part, how often they came, and who stayed: attendance, retention, representation.

These are descriptive summaries (counts, rates, proportions with Wilson
intervals). Every table is suppressed for small groups before it is returned.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.compare import fold_unrecorded as fold
from evalkit.compare import matched_pairs, partnership_ids
from evalkit.errors import InputError
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, complementary_suppression, safe_rate, suppress_small_groups
from evalkit.stats import correlation, proportion_ci


def check_wave_spelling(data, *waves: str) -> None:
    """InputError for a wave name that matches a wave of the data only when case is ignored (``"Post"``).

    A wave nobody has answered yet is allowed (a report before its post survey asks for
    it); a misspelt one would otherwise count nobody, silently.
    """
    present = set(data.responses["wave"].dropna().unique())
    for w in waves:
        near = sorted(p for p in present if str(p).casefold() == str(w).casefold() and p != w)
        if w not in present and near:
            raise InputError(f"wave {w!r} does not occur in the responses; did you mean {near[0]!r}? "
                             f"Waves present: {sorted(present)}")


def wave_flags(data, ids, pre: str, post: str) -> pd.DataFrame:
    """Boolean ``pre``/``post``/``both`` per (partnership_id, participant_id): answered any measure in that wave.

    The waves are taken as given: the public functions that take them from a user check their spelling
    first (:func:`check_wave_spelling`), once.
    """
    r = data.responses
    r = r[r["partnership_id"].isin(ids) & r["value"].notna() & r["wave"].isin([pre, post])]
    # per participant (sorted, as a crosstab): whether any of their answers is in each wave
    seen = pd.DataFrame({"pre": r["wave"].eq(pre), "post": r["wave"].eq(post)}).groupby(
        [r["partnership_id"], r["participant_id"]]).any()
    return seen.assign(both=seen["pre"] & seen["post"])


def attendance_summary(data, partnership_id=None, *, full_attendance: float = 0.75,
                       min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Attendance at sessions and events, one row per partnership.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    full_attendance : float
        Share of sessions a participant must attend to count as a regular attender.
    min_group_size : int
        Partnerships with fewer participants in the attendance log are suppressed.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, n_participants, n_sessions, n_records, attendance_rate``
        (attended records / all records, with a Wilson 95% interval treating
        records as independent, which understates the width when attendance
        clusters within people), ``mean_sessions_attended``,
        ``median_sessions_attended``, ``share_regular`` (participants attending at
        least ``full_attendance`` of their sessions), ``suppressed``, ``note``.
        Partnerships with no attendance log have ``n_records`` 0 and a note.
    """
    if (isinstance(full_attendance, bool) or not isinstance(full_attendance, (int, float, np.number))
            or not 0 < full_attendance <= 1):   # 75 meant as 75% would count nobody as regular, silently
        raise InputError(f"full_attendance must be a share of sessions above 0 and at most 1 (0.75 for three in "
                         f"four), got {full_attendance!r}")
    ids = partnership_ids(data, partnership_id)
    a = data.attendance[data.attendance["partnership_id"].isin(ids)]
    rows = []
    for pid in ids:
        g = a[a["partnership_id"] == pid]
        if g.empty:
            rows.append({"partnership_id": pid, "n_participants": 0, "n_sessions": 0, "n_records": 0,
                         "note": "attendance not recorded"})
            continue
        per_person = g.groupby("participant_id")["attended"].agg(["sum", "size"])
        attended = int(g["attended"].sum())
        ci = proportion_ci(attended, len(g))
        rows.append({
            "partnership_id": pid,
            "n_participants": len(per_person),
            "n_sessions": g["session"].nunique(),
            "n_records": len(g),
            "attendance_rate": attended / len(g),
            "rate_ci_low": ci.ci_low,
            "rate_ci_high": ci.ci_high,
            "mean_sessions_attended": per_person["sum"].mean(),
            "median_sessions_attended": per_person["sum"].median(),
            # a share of people: withheld when the regular attenders number fewer than k (rule 3)
            "share_regular": safe_rate(int((per_person["sum"] / per_person["size"] >= full_attendance).sum()),
                                       len(per_person), min_group_size),
            "note": "",
        })
    table = pd.DataFrame(rows)
    stats = ["attendance_rate", "rate_ci_low", "rate_ci_high", "mean_sessions_attended",
             "median_sessions_attended", "share_regular"]
    for c in stats:
        if c not in table:
            table[c] = np.nan
    recorded = table["n_records"] > 0
    out = suppress_small_groups(table, "n_participants", min_group_size, stats, count_columns=["n_participants"])
    out.loc[~recorded, "suppressed"] = False
    out.loc[~recorded, "note"] = "attendance not recorded"
    return out


def session_attendance(data, partnership_id: str, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Attendance per session of one partnership, in date order.

    Returns
    -------
    pandas.DataFrame
        ``session, date, n_attended, n_expected, rate``; sessions whose
        attendance count is below ``min_group_size`` show a blank count and rate, and
        so does the next smallest session when the blanked ones hold 1 to ``min_group_size``
        - 1 attendances: the overall attendance rate of the report gives the total attended,
        and the shown sessions subtracted from it would give theirs
        (:func:`evalkit.privacy.complementary_suppression`).
    """
    (pid,) = partnership_ids(data, partnership_id)
    a = data.attendance[data.attendance["partnership_id"] == pid]
    per = (a.groupby("session", sort=False)
             .agg(date=("date", "min"), n_attended=("attended", "sum"), n_expected=("attended", "size"))
             .reset_index().sort_values(["date", "session"]))
    per["rate"] = per["n_attended"] / per["n_expected"]
    return complementary_suppression(per, "n_attended", [], min_group_size, ["rate"],
                                     count_columns=["n_attended"]).reset_index(drop=True)


def retention(data, partnership_id=None, *, pre: str = "pre", post: str = "post",
              min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Survey response and retention between two waves, one row per partnership.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, n_enrolled, n_pre, n_post, n_both, retention_rate``
        (share of pre respondents who also answered post, with a Wilson interval),
        ``attrition`` (1 - retention_rate), ``suppressed``, ``note``. A participant
        counts as responding to a wave if they answered any measure in it.
    """
    ids = partnership_ids(data, partnership_id)
    check_wave_spelling(data, pre, post)
    flags = wave_flags(data, ids, pre, post)
    counts = flags.groupby(level="partnership_id").sum().reindex(ids, fill_value=0)
    enrolled = data.participants[data.participants["partnership_id"].isin(ids)].groupby("partnership_id").size()
    rows = []
    for pid in ids:
        n_pre, n_post, n_both = (int(counts.at[pid, c]) for c in ("pre", "post", "both"))
        row = {"partnership_id": pid, "n_enrolled": int(enrolled.get(pid, 0)), "n_pre": n_pre,
               "n_post": n_post, "n_both": n_both, "note": ""}
        if n_pre:
            ci = proportion_ci(n_both, n_pre)
            row.update(retention_rate=n_both / n_pre, retention_ci_low=ci.ci_low, retention_ci_high=ci.ci_high,
                       attrition=1 - n_both / n_pre)
        else:
            row["note"] = f"no {pre} responses"
        rows.append(row)
    table = pd.DataFrame(rows)
    stats = ["retention_rate", "retention_ci_low", "retention_ci_high", "attrition"]
    for c in stats:
        if c not in table:
            table[c] = np.nan
    # the rate describes the people who answered the first survey: too few of them blanks the rate and the
    # counts it is made of; enrolment and the post count are other groups, shown whenever they reach k
    out = suppress_small_groups(table, "n_pre", min_group_size, stats, count_columns=["n_pre", "n_both"])
    notes = {i: [n] if n else [] for i, n in out["note"].items()}
    for c, who in (("n_enrolled", "enrolled"), ("n_post", f"answered the {post} survey")):
        counts = out[c].astype("Int64")
        small = ((counts > 0) & (counts < min_group_size)).fillna(False)
        out[c] = counts.mask(small)
        for i in out.index[small.to_numpy(bool)]:
            notes[i].append(f"{c} not shown: fewer than {min_group_size} {who}")
    # a rate of people is shown only when its numerator (completers) and denominator reach k
    withheld = out["retention_rate"].notna() & pd.isna(safe_rate(table["n_both"], table["n_pre"], min_group_size))
    out.loc[withheld, stats] = np.nan
    for i in out.index[withheld.to_numpy(bool)]:
        notes[i].append(f"retention rate and n_both not shown: fewer than {min_group_size} answered both surveys")
    out["note"] = ["; ".join(dict.fromkeys(notes[i])) for i in out.index]
    return out


def representation(data, by, partnership_id=None, *, pre: str = "pre", post: str = "post",
                   min_group_size: int = DEFAULT_MIN_GROUP_SIZE, fold_unrecorded: bool = True) -> pd.DataFrame:
    """Who enrolled and who completed, by group: are marginalized groups included and retained?

    Parameters
    ----------
    by : str
        A participants' group column (e.g. ``"first_generation"``).
    fold_unrecorded : bool, default True
        A "Not recorded" group too small to show joins the largest recorded group,
        labelled ``"<group> or not recorded"``, as in reports
        (:func:`evalkit.compare.fold_unrecorded`); ``False`` keeps it as its own group
        (suppressed, with complementary suppression of another group).

    Returns
    -------
    pandas.DataFrame
        One row per partnership x group: ``n_enrolled, share_enrolled, n_both``
        (answered both waves), ``share_completers`` (the group's share among
        completers) and ``retention_rate`` (the group's completers / enrolled).
        A group retained less well than others shows a smaller share among
        completers than at enrolment: differential attrition that can bias
        pre/post results. Groups smaller than ``min_group_size`` are suppressed, and
        complementary suppression (:func:`evalkit.privacy.complementary_suppression`)
        blanks more groups where enrolled or completer counts could otherwise be
        worked out by subtraction from the partnership's totals.
    """
    return representation_by_group(data, [by], partnership_id, pre=pre, post=post, min_group_size=min_group_size,
                                   fold_unrecorded=fold_unrecorded)[by]


def representation_by_group(data, columns=None, partnership_id=None, *, pre: str = "pre", post: str = "post",
                            min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
                            fold_unrecorded: bool = True) -> dict[str, pd.DataFrame]:
    """:func:`representation` by each of several group columns, who answered both waves found once for all.

    Parameters
    ----------
    columns : list of str, optional
        Participants' group columns (default ``data.group_columns``).
    data, partnership_id, pre, post, min_group_size, fold_unrecorded
        As :func:`representation`.

    Returns
    -------
    dict
        ``{column: representation(data, column, ...)}`` in the order of ``columns`` (each column is folded
        and suppressed on its own, so folding them together changes nothing).
    """
    ids = partnership_ids(data, partnership_id)
    check_wave_spelling(data, pre, post)
    columns = list(data.group_columns if columns is None else columns)
    for by in columns:
        if by not in data.group_columns:
            raise InputError(f"unknown group column {by!r}; group columns: {list(data.group_columns)}")
    if fold_unrecorded and columns:
        data = fold(data, columns, min_group_size=min_group_size, pre=pre, post=post, partnership_id=ids)
    people = data.participants[data.participants["partnership_id"].isin(ids)]
    both = wave_flags(data, ids, pre, post)["both"]   # one row per participant who answered: a lookup
    done = both.reindex(pd.MultiIndex.from_frame(people[["partnership_id", "participant_id"]]),
                        fill_value=False).to_numpy(bool)
    return {by: representation_table(people, by, done, min_group_size) for by in columns}


def representation_table(people: pd.DataFrame, by: str, both: np.ndarray, min_group_size: int) -> pd.DataFrame:
    """:func:`representation`'s table of one column from the (folded) participants and who answered both waves.

    The one place that decides which groups of a characteristic are counted and blanked (groups sorted within
    each partnership, then primary and complementary suppression of ``n_enrolled`` and ``n_both``):
    :func:`evalkit.community.representation_gap` takes its blanks from here too, so the two sections blank the
    same groups, ties for the complementary blank included.

    Parameters
    ----------
    people : pandas.DataFrame
        Participants (folded as reports fold them), with ``partnership_id``, ``participant_id`` and ``by``.
    by : str
    both : numpy.ndarray of bool
        Per row of ``people``: answered both waves.
    min_group_size : int
    """
    p = people[["partnership_id", "participant_id", by]].copy()
    p[by] = p[by].astype("string").fillna("Not recorded")
    p["both"] = both
    per = p.groupby(["partnership_id", by], observed=True)
    t = pd.DataFrame({"n_enrolled": per.size(), "n_both": per["both"].sum()})
    t = t.reset_index().rename(columns={by: "group"})
    t.insert(1, "group_variable", by)
    tot = t.groupby("partnership_id")[["n_enrolled", "n_both"]].transform("sum")
    t["share_enrolled"] = t["n_enrolled"] / tot["n_enrolled"]
    t["share_completers"] = t["n_both"] / tot["n_both"].replace(0, np.nan)
    t["retention_rate"] = t["n_both"] / t["n_enrolled"]
    out = complementary_suppression(t, "n_enrolled", ["partnership_id", "group_variable"], min_group_size,
                                    ["share_enrolled", "share_completers", "retention_rate"],
                                    count_columns=["n_enrolled", "n_both"])
    return out


def dose_response(data, measure: str, partnership_id=None, *, pre: str = "pre", post: str = "post",
                  method: str = "spearman", min_group_size: int = DEFAULT_MIN_GROUP_SIZE):
    """Does attending more go with changing more? Correlate attendance with change.

    Uses each matched participant's share of sessions attended and their change
    (post - pre) on ``measure``; Spearman's rho by default (robust to the
    skewed attendance distributions typical of voluntary programmes).
    Correlation is not causation: more motivated participants may both attend
    more and change more.

    Returns
    -------
    evalkit correlation result, or None when fewer than ``min_group_size``
    participants have both attendance and change.
    """
    ids = partnership_ids(data, partnership_id)
    pairs = matched_pairs(data, ids, [measure], pre=pre, post=post).dropna()
    a = data.attendance[data.attendance["partnership_id"].isin(ids)]
    rate = a.groupby(["partnership_id", "participant_id"])["attended"].mean().rename("rate").reset_index()
    merged = pairs.merge(rate, on=["partnership_id", "participant_id"])
    if len(merged) < min_group_size:
        return None
    return correlation(merged["rate"], merged["post"] - merged["pre"], method=method)
