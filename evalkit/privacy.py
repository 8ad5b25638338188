"""Disclosure control: what a report may show about groups of people.

Everything a run writes may be published, so every table, sentence, figure and
rate evalkit shows passes through this module. It decides, never the callers.
The rules (also stated in ``data/README.md``, section *Disclosure control*):

1. **Primary suppression.** A statistic (mean, SD, change, test, effect size)
   or count based on fewer than ``min_group_size`` people (*k*, default 10) is
   not shown: :func:`suppress_small_groups`.
2. **Complementary suppression.** When the groups of one characteristic (all
   the genders of one partnership, say) are shown beside their total, a blanked
   group could be recovered by subtraction: total minus the shown groups. So
   the blanked groups of a partition must together hold either nobody or at
   least *k* people; when they hold 1 to *k* - 1, the smallest shown group is
   blanked too (:func:`complementary_suppression`). One extra group always
   suffices, because every shown group holds at least *k* people. The same
   rule protects every count column of a partition (enrolled, completers).
   Every blanked group of such a table reads the same ("not shown", one note):
   were the small ones labelled "fewer than k" and the others "not shown", a
   reader would know the others hold at least *k*, and the blanked total less
   *k* would bound the small one (11 blanked, one of them at least 10: the
   other is 1).
3. **Rates.** A rate or percentage of people (retention, share of a group,
   regular attenders, share improved) is shown only when the people counted
   (numerator) and the people it is a share of (denominator) each number at
   least *k* (:func:`safe_rate`): 25% of 20 is 5 people.
4. **Figures** go through the same decision: a point, bar or box describing
   fewer than *k* people is not drawn, and the figure says how many were
   withheld (:func:`withheld_note`).
5. **Counts** that are shown are exact whole numbers; counts of people below
   *k* read "fewer than k" (:func:`format_count`). Percentages are rounded to
   whole percent, means to two decimals.

Outcome statistics of a group of at least *k* people (a mean score, the share
answering "yes" to a binary question) are shown: they describe the group.

What is protected is every group a table shows and every union of its blanked
groups derivable from that table and its total. The tests prove it with a
brute-force attacker that tries every sum and difference of the shown rows
(``tests/test_disclosure.py``).
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

#: What a report shows in place of a count blanked only so that a smaller group cannot be worked out by
#: subtraction (complementary suppression, rule 2): the count itself may be large, so not "fewer than k".
PROTECTED_LABEL = "not shown"

#: The note of every row :func:`complementary_suppression` leaves blank in a table of groups, whether the group is
#: small itself or blanked to protect a smaller one: one note (and one label, "not shown") for both, so the table
#: does not tell which blanked groups are the small ones (rule 2).
PARTITION_NOTE = ("suppressed: a group of fewer than {k} participants, or one blanked with it so that it cannot be "
                  "worked out by subtraction")


def check_min_group_size(min_group_size) -> int:
    """``min_group_size`` as an int, or InputError when it is not a whole number of at least 1."""
    try:  # None or "ten" are not numbers at all: the same message, not float()'s TypeError or ValueError
        whole = not isinstance(min_group_size, bool) and float(min_group_size).is_integer()
    except (TypeError, ValueError):
        whole = False
    if not whole or int(float(min_group_size)) < 1:
        raise InputError(f"min_group_size must be a whole number of at least 1, got {min_group_size!r}")
    return int(float(min_group_size))


def suppress_small_groups(table: pd.DataFrame, size_column: str, min_group_size: int,
                          value_columns, count_columns=None) -> pd.DataFrame:
    """Primary suppression: blank the statistics of rows whose group is smaller than ``min_group_size``.

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
        Count columns (default: every column whose name starts with ``n_``); in a
        suppressed row they are all blanked, and any count below
        ``min_group_size`` is blanked in every row, because a count of two or
        three people can itself identify them.

    Returns
    -------
    pandas.DataFrame
        A copy with a boolean ``suppressed`` column, blanked values and, for
        suppressed rows, the reason appended to ``note`` (created if absent).
        Counts become nullable integers (``Int64``) so blanks show as ``<NA>``.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["a", "b"], "n_pairs": [12, 3], "mean": [2.5, 4.0]})
    >>> suppress_small_groups(t, "n_pairs", 10, ["mean"])[["n_pairs", "mean", "suppressed"]]
       n_pairs  mean  suppressed
    0       12   2.5       False
    1     <NA>   NaN        True
    """
    k = check_min_group_size(min_group_size)
    if size_column not in table.columns:
        raise InputError(f"no column {size_column!r} in the table")
    small = table[size_column].fillna(0).to_numpy() < k
    return _blank(table.copy(), small, value_columns, count_columns, k,
                  f"suppressed: fewer than {k} participants")


def _flags(column: pd.Series) -> np.ndarray:
    """A boolean column as a numpy array, missing values read as False (whatever the column's dtype)."""
    return column.astype(object).where(column.notna(), False).to_numpy(bool)


def _blank(out: pd.DataFrame, mask, value_columns, count_columns, k: int, reason) -> pd.DataFrame:
    """Blank ``value_columns`` and ``count_columns`` in rows where ``mask`` holds; small counts everywhere.

    ``reason`` (one string, or one per row) begins the ``note`` of each row newly blanked.
    """
    mask = np.asarray(mask, dtype=bool)
    previous = (_flags(out["suppressed"]) if "suppressed" in out.columns else np.zeros(len(out), bool))
    new = {"suppressed": previous | mask}   # the changed columns, set in one go below
    for c in [c for c in value_columns if c in out.columns]:
        if pd.api.types.is_numeric_dtype(out[c]):
            new[c] = np.where(mask, np.nan, out[c].to_numpy(dtype=float, na_value=np.nan))
        elif mask.any():
            new[c] = out[c].mask(pd.Series(mask, index=out.index)).array
    if count_columns is None:
        count_columns = [c for c in out.columns if c.startswith("n_")]
    current = lambda c: pd.Series(new[c], index=out.index) if c in new else out[c]  # noqa: E731
    for c in count_columns:
        counts = np.round(pd.to_numeric(current(c), errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        # a count of 0 describes nobody and stays shown (rule 1); any other count of a blanked row goes
        hidden = np.isnan(counts) | ((counts != 0) & ((counts < k) | mask))
        new[c] = pd.arrays.IntegerArray(np.where(hidden, 0, counts).astype("int64"), hidden)
    note = current("note") if "note" in out.columns else pd.Series("", index=out.index, dtype=str)
    note = note.astype(object).where(note.notna(), "").astype(str)
    fresh = mask & ~previous
    new["note"] = np.where(fresh, np.where(note == "", reason, reason + "; " + note), note)
    columns = list(dict.fromkeys([*out.columns, "suppressed", "note"]))   # new columns go last, in this order
    result = pd.DataFrame({c: new[c] if c in new else out[c].array for c in columns}, index=out.index)
    result.columns = pd.Index(columns, dtype=out.columns.dtype, name=out.columns.name)
    return result


def complementary_cells(counts, min_group_size: int, suppressed=None) -> np.ndarray:
    """Which cells of one partition to blank so that no blanked group can be recovered by subtraction.

    Method: primary suppression blanks every count from 1 to ``k - 1`` (a count
    of 0 describes nobody and is shown). When the total of the partition is
    known, the blanked cells' sum is known too (total minus the shown cells), so
    if it lies between 1 and ``k - 1`` the smallest shown non-zero cell is
    blanked as well (ties broken by position). Every shown cell then holds at
    least ``k`` people, and so does the union of the blanked ones (or none).

    Parameters
    ----------
    counts : array-like of int
        People in each group of the partition (groups are disjoint, and together
        make up the total that is shown elsewhere).
    min_group_size : int
    suppressed : array-like of bool, optional
        Cells already blanked for another reason (kept blanked).

    Returns
    -------
    numpy.ndarray of bool
        ``True`` for the cells to blank.

    Examples
    --------
    >>> complementary_cells([1, 29], 10).tolist()      # 30 - 29 would give the 1
    [True, True]
    >>> complementary_cells([3, 12, 15], 10).tolist()  # 30 - 15 - 12 would give the 3
    [True, True, False]
    >>> complementary_cells([4, 7, 20], 10).tolist()   # the blanked 4 + 7 = 11: safe
    [True, True, False]
    """
    k = check_min_group_size(min_group_size)
    n = np.nan_to_num(np.asarray(counts, dtype=float), nan=0.0)
    blank = (n > 0) & (n < k)
    if suppressed is not None:
        blank |= np.asarray(suppressed, dtype=bool)
    hidden = n[blank].sum()
    if 0 < hidden < k:
        candidates = np.flatnonzero(~blank & (n > 0))
        if len(candidates):
            blank[candidates[np.argmin(n[candidates])]] = True
    return blank


def complementary_suppression(table: pd.DataFrame, size_column: str, partition, min_group_size: int,
                              value_columns=(), count_columns=None) -> pd.DataFrame:
    """Primary and complementary suppression of a table of groups (see :func:`complementary_cells`).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per group; the groups sharing the values of ``partition`` are the
        disjoint parts of one whole (e.g. every gender of one partnership and measure).
    size_column : str
        People each row's statistics describe (e.g. ``n_pairs``, ``n_enrolled``):
        rows where it is below ``min_group_size`` are blanked (primary suppression).
    partition : list of str
        Columns identifying one partition (e.g. ``["partnership_id", "measure"]``).
    min_group_size : int
    value_columns : list of str
        Statistics blanked in blanked rows.
    count_columns : list of str, optional
        Counts of people (default: every ``n_*`` column). Each is protected on its
        own: within a partition, the blanked rows' count must sum to 0 or at least
        ``min_group_size`` in every count column; more rows are blanked until it does.

    Returns
    -------
    pandas.DataFrame
        A copy with ``suppressed`` (True for every blanked row, primary or
        complementary), blanked values and counts, and a ``note`` saying why.

    Examples
    --------
    >>> t = pd.DataFrame({"pid": ["p"] * 2, "group": ["yes", "no"], "n_pairs": [1, 22], "mean": [8.0, 9.09]})
    >>> complementary_suppression(t, "n_pairs", ["pid"], 10, ["mean"])["suppressed"].tolist()
    [True, True]
    """
    k = check_min_group_size(min_group_size)
    out = table.copy()
    if count_columns is None:
        count_columns = [c for c in out.columns if c.startswith("n_")]
    counts = {c: np.nan_to_num(pd.to_numeric(out[c], errors="coerce").to_numpy(float), nan=0.0)
              for c in dict.fromkeys([size_column, *count_columns])}
    primary = counts[size_column] < k
    if "suppressed" in out.columns:
        primary |= _flags(out["suppressed"])
    blank = primary.copy()
    # a partition with no blanked row and no count from 1 to k - 1 has nothing to protect: it is left as it is
    open_rows = blank | np.logical_or.reduce([(n > 0) & (n < k) for n in counts.values()])
    keys = list(partition)
    if not open_rows.any():
        groups = []
    elif keys:
        groups = out.groupby(keys, sort=False, dropna=False).indices.values()
    else:
        groups = [np.arange(len(out))]
    for idx in groups:
        if not open_rows[idx].any():
            continue
        while True:  # each pass blanks at most one more row per count column; at most a few passes
            before = blank[idx].copy()
            for n in counts.values():
                blank[idx] = complementary_cells(n[idx], k, suppressed=blank[idx])
            if (blank[idx] == before).all():
                break
    # one pass blanks both kinds, with one note for both (rule 2: a reader must not tell the small ones apart);
    # rows blanked for being small before (suppress_small_groups) get that note too
    note = PARTITION_NOTE.format(k=k)
    out = _blank(out, blank, value_columns, count_columns, k, note)
    if blank.any():
        old = out["note"].astype(str).to_numpy(dtype=object)
        small = f"suppressed: fewer than {k} participants"
        out["note"] = np.where(blank, [note + n[len(small):] if n.startswith(small) else n for n in old], old)
    return out


#: What a table of groups shows for every count it blanks, small or blanked to protect a smaller one
#: (complementary suppression), where it writes its own note (themes, who was served) instead of
#: :data:`PARTITION_NOTE`: one label for both (rule 2).
PROTECTS = "not shown (privacy)"


def protects(note) -> bool:
    """Whether a row's ``note`` says it was blanked in a table of groups (rule 2): it then reads "not shown",
    whether small itself or blanked to protect a smaller one, never "fewer than k".

    Reads the note :func:`complementary_suppression` writes (:data:`PARTITION_NOTE`, and any note saying a
    row "cannot be worked out by subtraction"), and the :data:`PROTECTS` of tables that write their own (themes,
    who was served); a row blanked on its own for being small (its note begins "suppressed: fewer than") does
    not.

    Examples
    --------
    >>> protects(PARTITION_NOTE.format(k=10)), protects("suppressed: fewer than 10 participants"), protects(None)
    (True, False, False)
    """
    if note is None or (not isinstance(note, str) and pd.isna(note)):
        return False
    note = str(note)
    return not note.startswith("suppressed: fewer than") and (
        "cannot be worked out by subtraction" in note or PROTECTS in note)


def n_protecting(table: pd.DataFrame, blanked=None) -> int:
    """How many of a table's blanked rows (``blanked``, default its ``suppressed`` column) were blanked in a table
    of groups, small or protecting a smaller one (:func:`protects` reads their ``note``): what
    :func:`withheld_note` calls ``protected``.

    Examples
    --------
    >>> t = pd.DataFrame({"suppressed": [True, True, False], "note": ["suppressed: fewer than 10 participants",
    ...                                                               PARTITION_NOTE.format(k=10), ""]})
    >>> n_protecting(t)
    1
    """
    if "note" not in table.columns or not len(table):
        return 0
    blanked = _flags(table["suppressed"]) if blanked is None else np.asarray(blanked, dtype=bool)
    return int(sum(map(protects, table.loc[blanked, "note"])))


def safe_rate(numerator, denominator, min_group_size: int):
    """``numerator / denominator``, or NaN when either count is below ``min_group_size`` (rule 3).

    Works element-wise on arrays and Series, and on scalars.

    Examples
    --------
    >>> safe_rate(5, 20, 10)        # 25% of 20 would reveal the 5
    nan
    >>> safe_rate(15, 20, 10)
    0.75
    """
    k = check_min_group_size(min_group_size)
    num = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(numerator)), errors="coerce"), dtype=float)
    den = np.asarray(pd.to_numeric(pd.Series(np.atleast_1d(denominator)), errors="coerce"), dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where((num >= k) & (den >= k) & (den > 0), num / den, np.nan)
    if np.ndim(numerator) == 0 and np.ndim(denominator) == 0:
        return float(rate[0])
    if isinstance(numerator, pd.Series):
        return pd.Series(rate, index=numerator.index)
    return rate


def pairs_only(paired, min_group_size: int) -> bool:
    """Whether a statistic of one wave's answers must count only the matched pairs (data contract, rule 8).

    The outcomes table shows the pre and post means of the pairs (those who answered both surveys). A
    statistic of everyone who answered one wave beside it gives away those outside the pairs when they are 1
    to *k* - 1: 21 x 15.33 - 20 x 16.00 is one late joiner's score. Then the statistic counts the pairs only.

    Parameters
    ----------
    paired : array of bool
        Per answer at the wave: whether its participant is one of the pairs.
    min_group_size : int

    Returns
    -------
    bool
        True when the pairs number at least *k* (the outcomes table shows them) and 1 to *k* - 1 answers lie
        outside them.

    Examples
    --------
    >>> pairs_only([True] * 12 + [False], 10), pairs_only([True] * 12, 10)
    (True, False)
    """
    k = check_min_group_size(min_group_size)
    paired = np.asarray(paired, dtype=bool)
    outside = int((~paired).sum())
    return bool(paired.sum() >= k and 0 < outside < k)


def pairs_only_note(n_pairs: int, min_group_size: int, wave: str) -> str:
    """The note of a ``wave`` statistic that counts only the ``n_pairs`` matched pairs (:func:`pairs_only`)."""
    return (f"measured on the {n_pairs} participants who answered both surveys (as the outcomes table): "
            f"fewer than {min_group_size} answered only the {wave} survey")


def suppression_rule(rule: str, what: str, min_group_size: int) -> str:
    """A methods sentence stating a suppression rule, or that there is none when ``min_group_size`` is 1.

    With no minimum group size (1) nothing is suppressed, and a rule such as "arms with
    fewer than 1 participants are suppressed" would be vacuous; the sentence then says
    that ``what`` of any size are shown.

    Examples
    --------
    >>> suppression_rule("Arms with fewer than {k} participants are not shown.", "arms", 10)
    'Arms with fewer than 10 participants are not shown.'
    >>> suppression_rule("Arms with fewer than {k} participants are not shown.", "arms", 1)
    'No minimum group size was set (1): arms of any size are shown.'
    """
    k = check_min_group_size(min_group_size)
    return rule.format(k=k) if k > 1 else f"No minimum group size was set (1): {what} of any size are shown."


def withheld_note(n_withheld: int, what: str, min_group_size: int, protected: int = 0) -> str:
    """The sentence a figure shows when it leaves out points describing too few people.

    ``protected``: how many of the ``n_withheld`` were blanked in a table of groups (:func:`protects`).
    When any were, every point left out gets one reason, small or protecting a smaller one (rule 2):
    telling them apart would give the small ones away.

    Examples
    --------
    >>> withheld_note(2, "sessions", 10), withheld_note(1, "sessions", 10)
    ('2 sessions not shown: fewer than 10 people each.', '1 session not shown: fewer than 10 people.')
    >>> withheld_note(2, "sessions", 10, protected=1)
    '2 sessions not shown: fewer than 10 people, or left out with one so that it cannot be worked out by subtraction.'
    """
    one = what[:-1] if what.endswith("s") else what
    if n_withheld < 1:
        return ""
    if protected > 0:
        return (f"{n_withheld} {one if n_withheld == 1 else what} not shown: fewer than {min_group_size} people, or "
                "left out with one so that it cannot be worked out by subtraction.")
    if n_withheld == 1:
        return f"1 {one} not shown: fewer than {min_group_size} people."
    return f"{n_withheld} {what} not shown: fewer than {min_group_size} people each."


def format_count(n, min_group_size: int = DEFAULT_MIN_GROUP_SIZE, protected: bool = False) -> str:
    """Show a count for a report: the number, or "fewer than k" when it was suppressed or is below k.

    ``protected``: the count was blanked only so that a smaller group cannot be worked out by
    subtraction (complementary suppression; see :func:`protects`): a blank then reads
    :data:`PROTECTED_LABEL`, "not shown", since the count itself may be large.

    Examples
    --------
    >>> format_count(1234), format_count(None), format_count(3), format_count(None, 10, protected=True)
    ('1,234', 'fewer than 10', 'fewer than 10', 'not shown')
    """
    if protected and (n is None or pd.isna(n)):
        return PROTECTED_LABEL
    if n is None or pd.isna(n) or 0 < int(n) < min_group_size:
        return SUPPRESSED_LABEL.format(k=min_group_size)
    return f"{int(n):,}"
