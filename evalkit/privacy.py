"""Small-group suppression: reports describe groups, never individuals.

A statistic computed on very few people can reveal what one of them answered
(a group of one *is* that person). Every table evalkit publishes passes through
:func:`suppress_small_groups`, which blanks statistics and counts for groups
smaller than the minimum size and marks the row as suppressed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import InputError

#: Default minimum group size. Ten is the threshold many education agencies use
#: for public reporting; lower it only with a data-protection officer's agreement.
DEFAULT_MIN_GROUP_SIZE = 10

#: What a report shows in place of a suppressed count.
SUPPRESSED_LABEL = "fewer than {k}"


def suppress_small_groups(table: pd.DataFrame, size_column: str, min_group_size: int,
                          value_columns, count_columns=None) -> pd.DataFrame:
    """Blank the statistics of rows whose group is smaller than ``min_group_size``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group.
    size_column : str
        Column with the number of people each row's statistics are based on.
    min_group_size : int
        Smallest group size that may be shown (at least 1).
    value_columns : list of str
        Statistics to blank (set to NaN) in suppressed rows.
    count_columns : list of str, optional
        Count columns (default: every column whose name starts with ``n_``); any
        count below ``min_group_size`` is blanked, in every row, because a count
        of two or three people can itself identify them.

    Returns
    -------
    pandas.DataFrame
        A copy with a boolean ``suppressed`` column, blanked values and, for
        suppressed rows, the reason appended to ``note`` (created if absent).
        Counts become nullable integers (``Int64``) so blanks show as ``<NA>``.
    """
    if int(min_group_size) < 1:
        raise InputError(f"min_group_size must be at least 1, got {min_group_size!r}")
    if size_column not in table.columns:
        raise InputError(f"no column {size_column!r} in the table")
    out = table.copy()
    small = out[size_column].fillna(0).to_numpy() < min_group_size
    out["suppressed"] = small
    cols = [c for c in value_columns if c in out.columns]
    for c in cols:
        if pd.api.types.is_numeric_dtype(out[c]):
            out[c] = out[c].astype(float)
        out.loc[small, c] = np.nan
    if count_columns is None:
        count_columns = [c for c in out.columns if c.startswith("n_")]
    for c in count_columns:
        counts = out[c].astype("Int64")
        out[c] = counts.mask(counts < min_group_size)
    reason = f"suppressed: fewer than {min_group_size} participants"
    if "note" not in out.columns:
        out["note"] = ""
    note = out["note"].fillna("").astype(str)
    out["note"] = np.where(small, np.where(note == "", reason, reason + "; " + note), note)
    return out


def format_count(n, min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> str:
    """Show a count for a report: the number, or "fewer than k" when it was suppressed."""
    if n is None or pd.isna(n):
        return SUPPRESSED_LABEL.format(k=min_group_size)
    return f"{int(n):,}"
