"""Partnership-level indicators and the action plan: what the partnership did, and whether it kept to its plan.

Indicators (the ``indicators`` table) describe the partnership, not individuals:
volunteer hours, funding shared, events held, families reached, internships
offered. Each is recorded per period; :func:`indicator_trend` gives the series,
:func:`indicator_progress` the latest value, the total over the partnership's
life and the verdict against a target (the ``targets`` table may name an
indicator with statistic ``latest`` or ``total``).

Some indicators count people (families reached, students placed): their unit is
then one of :data:`PEOPLE_UNITS`, and they follow :mod:`evalkit.privacy` like
any count of people: a value from 1 to *k* - 1 reads "fewer than k", and
because the periods add up to a total that is shown, one more period is blanked
when the blanked ones sum to under *k* (:func:`~evalkit.privacy.complementary_cells`).
Other units (hours, dollars, events) are shown as recorded.

The action plan (the ``milestones`` table) is judged at an ``as_of`` date:
:func:`milestone_status` says of each milestone whether it was done on time,
done late, is overdue or is not yet due, and :func:`milestone_summary` gives the
on-time share and names the overdue items.
"""
from __future__ import annotations

import datetime as _dt
import functools

import numpy as np
import pandas as pd

from evalkit.compare import partnership_ids
from evalkit.errors import InputError
from evalkit.privacy import DEFAULT_MIN_GROUP_SIZE, check_min_group_size, complementary_cells

__all__ = ["PEOPLE_UNITS", "period_order", "indicator_trend", "indicator_progress", "milestone_status",
           "milestone_summary", "default_as_of"]

#: units (lower case, singular or plural) whose values count people: suppressed like any count of people.
PEOPLE_UNITS = frozenset({
    "people", "person", "persons", "participant", "participants", "family", "families", "household", "households",
    "student", "students", "volunteer", "volunteers", "intern", "interns", "youth", "child", "children", "adult",
    "adults", "member", "members", "resident", "residents", "patient", "patients", "client", "clients",
    "mentor", "mentors", "mentee", "mentees", "learner", "learners",
})


def is_people_unit(unit) -> bool:
    """Whether an indicator's unit counts people (see :data:`PEOPLE_UNITS`).

    Examples
    --------
    >>> is_people_unit("Families"), is_people_unit("hours")
    (True, False)
    """
    return isinstance(unit, str) and unit.strip().lower() in PEOPLE_UNITS


def period_order(periods) -> list[str]:
    """The distinct periods in time order.

    Method: when every period reads as a date (ISO 8601, ``2025-03``, ``2025``)
    they are sorted by date; otherwise (labels such as ``Fall 2025``) they keep
    their order of first appearance, which is the order the table lists them.

    Examples
    --------
    >>> period_order(["2025-06-30", "2025-03-31", "2025-06-30"])
    ['2025-03-31', '2025-06-30']
    >>> period_order(["Fall 2025", "Spring 2026"])
    ['Fall 2025', 'Spring 2026']
    """
    seen = tuple(dict.fromkeys(str(p) for p in periods if p is not None and not pd.isna(p)))
    return list(_period_order(seen)) if seen else []


@functools.lru_cache(maxsize=4096)
def _period_order(seen: tuple) -> tuple:
    """:func:`period_order` of distinct period labels (many partnerships share one calendar: parsed once)."""
    parsed = pd.to_datetime(pd.Series(seen), format="ISO8601", errors="coerce")
    if parsed.notna().all():
        return tuple(p for _, p in sorted(zip(parsed, seen), key=lambda t: t[0]))
    return seen


def _rows(frame: pd.DataFrame, ids) -> pd.DataFrame:
    return frame[frame["partnership_id"].isin(ids)]


def indicator_trend(data, partnership_id=None, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Each indicator's value per period, in time order, counts of people suppressed.

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    min_group_size : int

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, indicator, label, unit, counts_people, period, period_rank, value,
        suppressed``. ``value`` is blank where suppressed (see the module docstring).

    Examples
    --------
    >>> import evalkit
    >>> t = indicator_trend(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> t.groupby("indicator")["period_rank"].is_monotonic_increasing.all()
    np.True_
    """
    k = check_min_group_size(min_group_size)
    ids = partnership_ids(data, partnership_id)
    g = _rows(data.indicators, ids)
    columns = ["partnership_id", "indicator", "label", "unit", "counts_people", "period", "period_rank", "value",
               "suppressed"]
    if g.empty:
        return pd.DataFrame(columns=columns)
    parts = []
    for (pid, ind), rows in g.groupby(["partnership_id", "indicator"], sort=False):
        order = period_order(rows["period"])
        rows = rows.assign(period_rank=rows["period"].map({p: i for i, p in enumerate(order)})).sort_values("period_rank")
        unit = rows["unit"].dropna().iloc[0] if rows["unit"].notna().any() else None
        label = rows["label"].dropna().iloc[0] if rows["label"].notna().any() else ind
        people = is_people_unit(unit)
        values = rows["value"].to_numpy(float)
        blank = np.zeros(len(values), bool)
        if people:
            aggregate = rows["aggregate"].dropna().iloc[0] if rows["aggregate"].notna().any() else "sum"
            blank = complementary_cells(values, k) if aggregate == "sum" else (values > 0) & (values < k)
        parts.append(pd.DataFrame({
            "partnership_id": pid, "indicator": ind, "label": label, "unit": unit, "counts_people": people,
            "period": rows["period"].to_numpy(), "period_rank": rows["period_rank"].to_numpy(),
            "value": np.where(blank, np.nan, values), "suppressed": blank}))
    return pd.concat(parts, ignore_index=True)[columns]


def _aggregate(values: np.ndarray, how: str) -> float:
    if how == "last":
        return float(values[-1])
    if how == "max":
        return float(np.max(values))
    if how == "mean":
        return float(np.mean(values))
    return float(np.sum(values))


def indicator_progress(data, partnership_id=None, *, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> pd.DataFrame:
    """Each indicator's latest value, its total over the partnership's life and its target's verdict.

    Method: the total follows the indicator's ``aggregate`` (``sum`` by default;
    ``last``, ``max`` or ``mean`` for stocks such as "active partners"). A target
    (the ``targets`` table naming the indicator) with statistic ``latest`` is
    judged on the latest period's value, one with ``total`` on the total: *met*
    when the value reaches the target, *not met* otherwise. The values are
    counts or amounts recorded by the partnership, not estimates from a sample,
    so there is no interval; higher is taken to be better. Values counting people
    (:data:`PEOPLE_UNITS`) under ``min_group_size`` are blanked, and the latest
    value also when :func:`indicator_trend` blanks it to protect a smaller period
    (the verdict, which reveals only a bound, is kept).

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    min_group_size : int

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, indicator, label, unit, counts_people, aggregate, n_periods,
        first_period, latest_period, latest, total, statistic, target, verdict, suppressed, note``;
        ``verdict`` is ``met``, ``not met`` or ``no target``; ``note`` says when the latest value, itself
        at least ``min_group_size``, is blank only so that a smaller period cannot be worked out from the
        total by subtraction (:func:`evalkit.privacy.protects` reads it).

    Examples
    --------
    >>> import evalkit
    >>> p = indicator_progress(evalkit.load_data("data/sample"), "riverside-literacy")
    >>> sorted(set(p["verdict"]) - {"met", "not met", "no target"})
    []
    """
    k = check_min_group_size(min_group_size)
    ids = partnership_ids(data, partnership_id)
    g = _rows(data.indicators, ids)
    columns = ["partnership_id", "indicator", "label", "unit", "counts_people", "aggregate", "n_periods",
               "first_period", "latest_period", "latest", "total", "statistic", "target", "verdict", "suppressed",
               "note"]
    if g.empty:
        return pd.DataFrame(columns=columns)
    t = data.targets
    targets = t[t["partnership_id"].isin(ids) & t["statistic"].isin(["latest", "total"])]
    goal = {(pid, ind): (statistic, target) for pid, ind, statistic, target in
            zip(targets["partnership_id"], targets["indicator"], targets["statistic"], targets["target"])}
    rows = []
    # each (partnership, indicator) in order of first appearance, its rows in table order (as groupby(sort=False)),
    # read from numpy arrays: a pandas sub-table per indicator costs more than the arithmetic
    code = g.groupby(["partnership_id", "indicator"], sort=False).ngroup().to_numpy()
    by_group = np.argsort(code, kind="stable")
    by_group = by_group[code[by_group] >= 0]   # a blank key is in no group
    cut = np.flatnonzero(np.diff(code[by_group])) + 1
    period, value = g["period"].to_numpy(object), g["value"].to_numpy(float)
    text = {c: g[c].to_numpy(object) for c in ("partnership_id", "indicator", "unit", "aggregate", "label")}
    known = {c: pd.notna(text[c]) for c in ("unit", "aggregate", "label")}

    def first(c, at, default):   # the first recorded value of column c among rows at (dropna().iloc[0])
        hit = at[known[c][at]]
        return text[c][hit[0]] if len(hit) else default

    for at in np.split(by_group, cut) if len(by_group) else []:
        pid, ind = text["partnership_id"][at[0]], text["indicator"][at[0]]
        order = period_order(period[at])
        rank = {p: i for i, p in enumerate(order)}
        ranks = [rank.get(p) for p in period[at]]
        if None in ranks or len(set(ranks)) < len(ranks):   # unranked or repeated periods: as pandas sorts them
            d = g.iloc[at]
            values = d.assign(_rank=d["period"].map(rank)).sort_values("_rank")["value"].to_numpy(float)
        else:
            values = value[at][np.argsort(ranks)]
        unit = first("unit", at, None)
        how = first("aggregate", at, "sum")
        latest, total = float(values[-1]), _aggregate(values, how)
        statistic, target = goal.get((pid, ind), (None, np.nan))
        verdict = "no target"
        if statistic is not None:
            verdict = "met" if (latest if statistic == "latest" else total) >= target else "not met"
        people = is_people_unit(unit)
        # the latest value is blank exactly where indicator_trend blanks it (primary or complementary)
        blank = (complementary_cells(values, k) if how == "sum" else (values > 0) & (values < k)) if people else [False]
        small_latest = bool(people and blank[-1])
        small_total = people and 0 < total < k
        rows.append({
            "partnership_id": pid, "indicator": ind,
            "label": first("label", at, ind),
            "unit": unit, "counts_people": people, "aggregate": how, "n_periods": len(values),
            "first_period": order[0], "latest_period": order[-1],
            "latest": np.nan if small_latest else latest, "total": np.nan if small_total else total,
            "statistic": statistic, "target": target, "verdict": verdict, "suppressed": small_latest or small_total,
            # periods that add up to a total read alike when blanked, small or protecting (privacy, rule 2)
            "note": (f"latest value not shown: fewer than {k} people, or blanked with a smaller period so that it "
                     "cannot be worked out by subtraction" if small_latest and (how == "sum" or latest >= k) else ""),
        })
    return pd.DataFrame(rows, columns=columns)


# ---- the action plan ------------------------------------------------------------------------------------

def default_as_of(data, partnership_id: str, today: _dt.date | None = None) -> pd.Timestamp:
    """The date an action plan is judged at: the partnership's end date if it has passed, else today.

    Examples
    --------
    >>> import evalkit
    >>> default_as_of(evalkit.load_data("data/sample"), "riverside-literacy", today=_dt.date(2030, 1, 1))
    Timestamp('2025-09-22 00:00:00')
    """
    today = pd.Timestamp(today or _dt.date.today())
    p = data.partnerships
    end = p.loc[p["partnership_id"] == partnership_id, "end_date"] if "end_date" in p else pd.Series([], dtype=float)
    if len(end) and pd.notna(end.iloc[0]):
        return min(pd.Timestamp(end.iloc[0]), today)
    return today


def milestone_status(data, partnership_id=None, *, as_of=None) -> pd.DataFrame:
    """Where each milestone of the action plan stands at ``as_of``.

    Method: a milestone whose ``done_date`` is on or before ``as_of`` is *done on
    time* when ``done_date <= due_date``, else *done late*; one marked ``done``
    without a date is *done (date not recorded)*; ``dropped`` ones are *dropped*;
    any other is *overdue* when its ``due_date`` is before ``as_of``, else *not yet
    due*. ``days_late`` is the delay of late and overdue milestones (overdue ones
    counted to ``as_of``).

    Parameters
    ----------
    data : evalkit.load.Dataset
    partnership_id : str or list of str, optional
    as_of : date-like, optional
        Default: for each partnership, :func:`default_as_of` (its end date, or
        today while it runs). Pass a date for a result that does not depend on today.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, milestone, owner, due_date, done_date, status, state, days_late, as_of``,
        ordered by partnership and due date.

    Examples
    --------
    >>> import evalkit
    >>> s = milestone_status(evalkit.load_data("data/sample"), "riverside-literacy", as_of="2025-09-22")
    >>> "overdue" in set(s["state"])
    True
    """
    ids = partnership_ids(data, partnership_id)
    m = _rows(data.milestones, ids).sort_values(["partnership_id", "due_date", "milestone"], kind="stable")
    columns = ["partnership_id", "milestone", "owner", "due_date", "done_date", "status", "state", "days_late", "as_of"]
    if m.empty:
        return pd.DataFrame(columns=columns)
    if as_of is not None:
        try:
            as_of = pd.Timestamp(as_of)
        except (ValueError, TypeError):   # pandas' DateParseError is a ValueError
            raise InputError(f"as_of must be a date such as '2025-08-01', got {as_of!r}") from None
    when = {pid: as_of if as_of is not None else default_as_of(data, pid) for pid in m["partnership_id"].unique()}
    at = m["partnership_id"].map(when)
    done = m["done_date"].notna() & (m["done_date"] <= at)
    state = np.select(
        [m["status"].eq("dropped").to_numpy(bool),
         (done & (m["done_date"] <= m["due_date"])).to_numpy(bool),
         done.to_numpy(bool),
         (m["done_date"].isna() & m["status"].eq("done")).to_numpy(bool),
         (m["due_date"] < at).to_numpy(bool)],
        ["dropped", "done on time", "done late", "done (date not recorded)", "overdue"], default="not yet due")
    late = np.where(state == "done late", (m["done_date"] - m["due_date"]).dt.days,
                    np.where(state == "overdue", (at - m["due_date"]).dt.days, np.nan))
    out = m[["partnership_id", "milestone", "owner", "due_date", "done_date", "status"]].copy()
    out["done_date"] = out["done_date"].where(done | m["status"].eq("dropped"))  # done after as_of: not yet done
    out["state"] = state
    out["days_late"] = pd.array(late, dtype="Int64") if len(out) else pd.array([], dtype="Int64")
    out["as_of"] = at.to_numpy()
    return out.reset_index(drop=True)[columns]


def milestone_summary(status: pd.DataFrame) -> pd.DataFrame:
    """Per partnership: milestones due, done on time, late, overdue, the on-time share and the overdue items.

    Method: the on-time share is the milestones done on time over the
    milestones due by ``as_of`` (dropped ones and those done without a date left
    out). Milestones are commitments of organisations, not people, so they are
    not suppressed.

    Parameters
    ----------
    status : pandas.DataFrame
        :func:`milestone_status`.

    Returns
    -------
    pandas.DataFrame
        ``partnership_id, n_milestones, n_due, n_on_time, n_late, n_overdue, n_not_yet_due, on_time_share,
        overdue`` (the overdue milestones' names, oldest first, joined by "; ").

    Examples
    --------
    >>> s = pd.DataFrame({"partnership_id": ["p"] * 3, "milestone": ["a", "b", "c"],
    ...                   "state": ["done on time", "done late", "overdue"], "due_date": pd.to_datetime(["2025-01-01"] * 3)})
    >>> m = milestone_summary(s).iloc[0]
    >>> int(m["n_due"]), round(float(m["on_time_share"]), 3), m["overdue"]
    (3, 0.333, 'c')
    """
    pid = status["partnership_id"]
    # counts per partnership (in order of appearance) and state, in one crosstab
    n = pd.crosstab(pid, status["state"]).reindex(index=pd.unique(pid.dropna()), fill_value=0)
    n = n.reindex(columns=sorted({*n.columns, "done on time", "done late", "overdue", "not yet due"}), fill_value=0)
    due = n["done on time"] + n["done late"] + n["overdue"]
    late_items = status[status["state"] == "overdue"].sort_values("due_date", kind="stable")
    overdue = late_items.groupby("partnership_id", sort=False)["milestone"].agg("; ".join)
    return pd.DataFrame({
        "partnership_id": n.index.to_numpy(object), "n_milestones": n.sum(axis=1).to_numpy(int),
        "n_due": due.to_numpy(int), "n_on_time": n["done on time"].to_numpy(int),
        "n_late": n["done late"].to_numpy(int), "n_overdue": n["overdue"].to_numpy(int),
        "n_not_yet_due": n["not yet due"].to_numpy(int),
        "on_time_share": (n["done on time"] / due.where(due > 0)).to_numpy(float),
        "overdue": overdue.reindex(n.index, fill_value="").to_numpy(object),
    })
