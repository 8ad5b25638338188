"""How reports name group characteristics and their groups: the optional ``labels`` table, or sensible defaults.

A data folder may hold a ``labels`` table (``data/README.md``): one row per
participants' group column (``value`` blank: the column's own label, e.g.
``english_learner`` -> "English-language learner status") or per group of it
(``value`` given: that group's label, e.g. ``low_income``/``yes`` -> "Low income"),
with an optional ``order`` (groups are shown by increasing order).

Without it, or for what it leaves out, the defaults are:

* a column is named by its humanised name: underscores become spaces and the
  first letter is capitalised (``english_learner`` -> "English learner");
* a group is named by its value as recorded;
* groups are ordered: age-like categories numerically ("under 18" < "18-24" <
  "25-44" < "65+"), yes before no, otherwise as given (the data's order), and
  "Not recorded" always last (a "<group> or not recorded" group, see
  :func:`evalkit.equity.fold_not_recorded`, takes its group's place).

Only labels and order change: which groups are shown or suppressed is decided
by :mod:`evalkit.privacy` before any of this.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["column_label", "value_label", "group_order", "relabel_groups", "wave_label", "NOT_RECORDED"]

#: The group name of participants whose characteristic was not recorded.
NOT_RECORDED = "Not recorded"
_FOLDED = " or not recorded"
_UNDER = re.compile(r"^(?:under|less than|younger than|below|<)\s*(\d+(?:\.\d+)?)\b", re.I)
_RANGE = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:-|\u2013|\u2014|to)\s*(\d+(?:\.\d+)?)$", re.I)
_PLUS = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:\+|or (?:older|over|more|above)|and (?:older|over|above))$", re.I)
_YES, _NO = ("yes", "true", "1"), ("no", "false", "0")


def _table(labels) -> pd.DataFrame | None:
    """The labels table of a Dataset (or the table itself); None when there is none."""
    t = getattr(labels, "labels", labels)
    if t is None or not isinstance(t, pd.DataFrame) or t.empty:
        return None
    return t


def _rows(labels, column: str) -> list[tuple]:
    """The labels table's rows of ``column`` as ``(value, label, order)`` tuples, in the table's order.

    Plain Python over the table's columns: a labels table has a few rows per column, and a report asks for
    labels a few hundred times, where a pandas filter per call costs a millisecond or two.
    """
    t = _table(labels)
    if t is None:
        return []
    orders = t["order"].tolist() if "order" in t.columns else [None] * len(t)
    return [(v, label, o) for c, v, label, o in zip(t["column"].tolist(), t["value"].tolist(), t["label"].tolist(),
                                                 orders) if isinstance(c, str) and c == column]


def _blank(x) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x)) or (isinstance(x, str) and not x.strip()) or x is pd.NA


def humanise(name: str) -> str:
    """``english_learner`` -> ``"English learner"``: underscores as spaces, the first letter capitalised."""
    words = re.sub(r"\s+", " ", str(name).replace("_", " ")).strip()
    return words[:1].upper() + words[1:]


def column_label(column: str, labels=None) -> str:
    """The label of a participants' group column.

    Parameters
    ----------
    column : str
    labels : evalkit.load.Dataset or pandas.DataFrame, optional
        The ``labels`` table (or a Dataset holding it).

    Returns
    -------
    str
        The table's row with this ``column`` and a blank ``value``, else :func:`humanise`.

    Examples
    --------
    >>> column_label("english_learner")
    'English learner'
    >>> column_label("low_income", pd.DataFrame({"column": ["low_income"], "value": [None],
    ...                                          "label": ["Low-income household"], "order": [None]}))
    'Low-income household'
    """
    for value, label, _ in _rows(labels, column):
        if _blank(value) and not _blank(label):
            return str(label)
    return humanise(column)


def _base(value: str) -> str:
    v = str(value)
    return v[: -len(_FOLDED)] if v.lower().endswith(_FOLDED) and v.lower() != _FOLDED.strip() else v


def _value_labels(column: str, labels=None) -> dict[str, str]:
    """The ``labels`` table's group labels of ``column``: value (as text) -> label; the first row of a value wins."""
    found = {}
    for value, label, _ in _rows(labels, column):
        if not _blank(value) and not _blank(label):
            found.setdefault(str(value), str(label))
    return found


def _label_of(value, found: dict[str, str]) -> str:
    v = str(value)
    if v == NOT_RECORDED:
        return v
    base = _base(v)
    if base not in found:
        return v
    return found[base] + (v[len(base):] if base != v else "")


def value_label(column: str, value, labels=None) -> str:
    """The label of one group of ``column``: the ``labels`` table's, else the value as recorded.

    A folded group ``"<value> or not recorded"`` keeps its suffix:
    ``"<label> or not recorded"``.

    Examples
    --------
    >>> table = pd.DataFrame({"column": ["low_income"], "value": ["yes"], "label": ["Low income"], "order": [None]})
    >>> value_label("low_income", "yes", table), value_label("low_income", "yes or not recorded", table)
    ('Low income', 'Low income or not recorded')
    >>> value_label("low_income", "no", table)
    'no'
    """
    return _label_of(value, _value_labels(column, labels))


def _age_key(value: str) -> float | None:
    v = value.strip()
    if m := _UNDER.match(v):
        return float(m.group(1)) - 0.5
    if m := _RANGE.match(v):
        return float(m.group(1))
    if m := _PLUS.match(v):
        return float(m.group(1))
    try:
        return float(v)
    except ValueError:
        return None


def group_order(column: str, values, labels=None) -> list:
    """``values`` (groups of ``column``, as recorded) in the order reports show them.

    The ``labels`` table's ``order`` first (groups it orders, by increasing order);
    then the others by the defaults: age-like categories numerically when every
    one of them reads as an age band, yes before no, otherwise as given; "Not
    recorded" last. A folded ``"<group> or not recorded"`` sorts as its group.

    Examples
    --------
    >>> group_order("age_group", ["65+", "18-24", "under 18", "Not recorded", "25-44"])
    ['under 18', '18-24', '25-44', '65+', 'Not recorded']
    >>> group_order("low_income", ["no", "yes"])
    ['yes', 'no']
    """
    values = list(dict.fromkeys(values))
    given = {}
    for value, _, order in _rows(labels, column):
        if not _blank(value) and not _blank(order):
            given[str(value)] = float(order)
    recorded = [v for v in values if str(v) != NOT_RECORDED]
    bases = [_base(v).strip() for v in recorded]
    ages = [_age_key(b) for b in bases]
    by_age = bool(recorded) and all(a is not None for a in ages) and any(not re.fullmatch(r"\d+", b) for b in bases)
    yes_no = bool(recorded) and all(b.lower() in _YES + _NO for b in bases)

    def key(item):
        pos, v = item
        if str(v) == NOT_RECORDED:
            return (2, 0.0, pos)
        b = _base(v).strip()
        if b in given:
            return (0, given[b], pos)
        if by_age:
            return (1, _age_key(b), pos)
        if yes_no:
            return (1, 0.0 if b.lower() in _YES else 1.0, pos)
        return (1, 0.0, pos)

    return [v for _, v in sorted(enumerate(values), key=key)]


def relabel_groups(frame: pd.DataFrame, column: str, labels=None, *, group: str = "group",
                   within: str | None = None) -> pd.DataFrame:
    """A table of groups of ``column`` in report order and with report labels.

    Rows are sorted by :func:`group_order` (stably; within each value of the
    ``within`` column when given, e.g. one block per measure), then the ``group``
    column is replaced by :func:`value_label`. Nothing else changes.

    Parameters
    ----------
    frame : pandas.DataFrame
        E.g. :func:`evalkit.participation.representation` or
        :func:`evalkit.compare_prepost` with ``by=column``.
    column : str
        The group column the ``group`` values belong to.
    labels : evalkit.load.Dataset or pandas.DataFrame, optional
    group : str
        The column holding the group values.
    within : str, optional
        Keep the order of this column's blocks; sort groups inside each block.

    Returns
    -------
    pandas.DataFrame
    """
    if frame.empty or group not in frame.columns:
        return frame
    rank = {v: i for i, v in enumerate(group_order(column, frame[group].astype(str), labels))}
    out = frame.assign(_rank=frame[group].astype(str).map(rank))
    keys = ["_rank"]
    if within is not None:
        block = {v: i for i, v in enumerate(pd.unique(frame[within]))}
        out["_block"] = frame[within].map(block)
        keys = ["_block", "_rank"]
    out = out.sort_values(keys, kind="stable").drop(columns=[c for c in ("_rank", "_block") if c in out.columns])
    found = _value_labels(column, labels)
    out[group] = [_label_of(v, found) for v in out[group].astype(str)]
    return out


_FOLLOWUP = re.compile(r"(?<![a-z])follow[_ ]?up(?![a-z])", re.I)


def wave_label(wave: str) -> str:
    """How report prose names a wave: ``followup`` / ``follow_up`` -> ``"follow-up"``; any other name as recorded.

    Examples
    --------
    >>> wave_label("followup"), wave_label("followup_2"), wave_label("endline")
    ('follow-up', 'follow-up_2', 'endline')
    """
    return _FOLLOWUP.sub(lambda m: "Follow-up" if m.group(0)[0].isupper() else "follow-up", str(wave))
