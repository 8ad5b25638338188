"""Check a data folder against the data contract and report every violation at once.

Two layers, both vectorised (no Python loop over rows, so millions of response
rows check in seconds):

1. per-column rules (required columns, blanks, ids, allowed values, numbers,
   dates, flags): the pandera schemas of :mod:`evalkit.schema`, run lazily,
   their ``failure_cases`` mapped back to file, spreadsheet row and column;
2. rules across rows and tables (duplicate keys, unknown ids, values outside a
   measure's scale, date order, target definitions): pandas operations on the
   typed tables.

Each problem is an :class:`evalkit.errors.Violation` naming the file, the row as
a spreadsheet shows it (header = row 1, first data row = row 2), the column and
what was expected.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit import schema
from evalkit.errors import Violation

_SPECS = {table: {spec.name: spec for spec in specs} for table, specs in schema.COLUMNS.items()}


def validate_dir(data_dir: str | Path) -> list[Violation]:
    """Check every table of a data folder against the contract (``data/README.md``).

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``partnerships``, ``participants``, ``measures``, ``responses``
        and optionally ``attendance`` and ``targets`` (``.csv``, ``.xlsx`` or ``.parquet``).

    Returns
    -------
    list of Violation
        Every problem found, in table order; empty when the data meet the contract.
        Never raises for a data problem (a missing folder or an unreadable file is
        itself reported as a violation).

    Examples
    --------
    >>> from evalkit.validate import validate_dir
    >>> validate_dir("data/sample")
    []
    >>> print(validate_dir("no/such/folder")[0])  # doctest: +ELLIPSIS
    no/such/folder: the data folder does not exist; ...
    """
    from evalkit.load import find_sources, read_tables

    paths, violations = find_sources(data_dir)
    raw, unreadable = read_tables(paths)
    return violations + unreadable + validate_tables(raw, {t: p.name for t, p in paths.items()})


def validate_tables(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None) -> list[Violation]:
    """Check raw tables (as returned by :func:`evalkit.load.read_table`) against the contract.

    Parameters
    ----------
    raw : dict of str to DataFrame
        table name -> raw frame, whose index is the data-row position in its
        file (spreadsheet row = index + 2). Absent optional tables may be left out;
        absent required tables are not reported here (see :func:`validate_dir`).
    files : dict of str to str, optional
        table name -> file name used in the messages (default ``<table>.csv``).

    Returns
    -------
    list of Violation
    """
    return check_tables(raw, files)[0]


def check_tables(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None
                 ) -> tuple[list[Violation], dict[str, pd.DataFrame]]:
    """Like :func:`validate_tables`, also returning the typed tables (index kept) it built."""
    files = {table: f"{table}.csv" for table in schema.TABLES} | dict(files or {})
    violations: list[Violation] = []
    typed: dict[str, pd.DataFrame] = {}
    complete: set[str] = set()  # tables with every required column, fit for cross-table checks
    for table in schema.TABLES:
        if table not in raw:
            continue
        frame, found = _column_rules(table, raw[table], files[table])
        violations += found
        typed[table] = schema.coerce_table(table, frame, keep_index=True)
        has_columns = all(s.name in frame.columns for s in schema.COLUMNS[table] if s.required)
        if has_columns and (len(frame) or table not in schema.REQUIRED_TABLES):
            complete.add(table)  # an empty required table is reported once, not on every row referring to it
    try:
        violations += _cross_table_rules(typed, complete, files)
    finally:
        _FACTORIZED.clear()
    violations.sort(key=_order_key(files))
    return violations, typed


def _order_key(files: dict[str, str]):
    """Sort violations by table, row, then the column's place in the contract (whole-file problems first)."""
    table_place = {files[table]: i for i, table in enumerate(schema.TABLES)}
    column_place = {files[table]: {spec.name: i for i, spec in enumerate(specs)}
                    for table, specs in schema.COLUMNS.items()}

    def key(v: Violation):
        return table_place.get(v.file, -1), v.row or 0, column_place.get(v.file, {}).get(v.column, 99)
    return key


# --- layer 1: per-column rules (pandera) --------------------------------------
def _column_rules(table: str, frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Violation]]:
    found = []
    dup = frame.columns.duplicated()
    if dup.any():
        for name in frame.columns[dup].unique():
            found.append(Violation(file, 1, name, f"two columns are both named '{name}' (after ignoring case and "
                                                  "spaces); keep one"))
        frame = frame.loc[:, ~dup]
    if table in schema.REQUIRED_TABLES and len(frame) == 0:
        found.append(Violation(file, None, None, "the table has no data rows"))
    try:
        schema.column_schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        found += _from_failure_cases(table, err.failure_cases, file)
    return frame, found


def _from_failure_cases(table: str, cases: pd.DataFrame, file: str) -> list[Violation]:
    specs = _SPECS[table]
    required = ", ".join(s.name for s in schema.COLUMNS[table] if s.required)
    out = []
    for check, group in cases.groupby("check", sort=False):
        if check == "column_in_dataframe":
            out += [Violation(file, None, str(name), f"required column '{name}' is missing; expected columns: "
                                                     f"{required}") for name in group["failure_case"]]
            continue
        for column, cells in group.groupby("column", sort=False):
            spec = specs[column]
            rows = cells["index"].astype("int64").to_numpy() + 2
            if check == "not_nullable":
                messages = [f"is blank; expected {schema.expected(spec)}"] * len(rows)
            else:
                what = schema.expected(spec)
                messages = [f"{value!r} is not {what}" for value in _show(cells["failure_case"])]
            out += [Violation(file, int(r), column, m) for r, m in zip(rows, messages)]
    return sorted(out, key=lambda v: (v.row or 0, v.column or ""))


def _show(values: pd.Series) -> list[str]:
    """Failure cases as the user typed them (whole numbers without a spurious '.0')."""
    return [v if isinstance(v, str) else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
            for v in values]


# --- layer 2: rules across rows and tables ---------------------------------------
def _emit(file: str, frame: pd.DataFrame, mask, column: str, message) -> list[Violation]:
    """Violations for the rows of ``frame`` where ``mask`` holds.

    ``message`` is a str, or a function of the offending rows (a DataFrame) giving
    one str per row, so that messages are only built for the few bad rows.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return []
    bad = frame[mask]
    texts = [message] * len(bad) if isinstance(message, str) else list(message(bad))
    return [Violation(file, int(i) + 2, column, str(m)) for i, m in zip(bad.index, texts)]


def _q(s: pd.Series) -> pd.Series:
    """Quote text for messages: ``x`` -> ``'x'``."""
    return "'" + s.astype("str") + "'"


def _num(s: pd.Series) -> pd.Series:
    return schema.as_text(s).fillna("blank")


_FACTORIZED: dict = {}  # id(column values) -> (values, codes, uniques), emptied after each check


def _factorize(column: pd.Series):
    """``pd.factorize``, computed once per column during a check (ids take part in several keys).

    The cache holds the values themselves, so an id cannot be reused while cached.
    """
    values = column.array
    hit = _FACTORIZED.get(id(values))
    if hit is None or hit[0] is not values:
        hit = _FACTORIZED[id(values)] = (values, *pd.factorize(column))
    return hit[1], hit[2]


def _row_keys(frame: pd.DataFrame, keys: list[str], like: pd.DataFrame | None = None):
    """One int64 per row identifying its combination of ``keys`` (-1 where one is missing).

    Integer keys make duplicate and membership checks on millions of rows fast. With
    ``like``, also return the keys of ``like``'s rows on the same coding (-1 where a
    value does not occur in ``frame``).
    """
    key = np.zeros(len(frame), dtype="int64")
    other = None if like is None else np.zeros(len(like), dtype="int64")
    for name in keys:
        codes, uniques = _factorize(frame[name])
        key = np.where((key < 0) | (codes < 0), -1, key * (len(uniques) + 1) + codes)
        if like is not None:
            theirs = pd.Index(uniques).get_indexer(like[name])
            other = np.where((other < 0) | (theirs < 0), -1, other * (len(uniques) + 1) + theirs)
    return key if like is None else (key, other)


def _duplicates(file: str, frame: pd.DataFrame, keys: list[str], column: str, message) -> list[Violation]:
    """Report every repeat of a key (all but its first row), naming the row of the first."""
    key = pd.Series(_row_keys(frame, keys), index=frame.index)
    repeat = (key >= 0) & key.duplicated(keep="first")
    if not repeat.any():
        return []
    first_row = pd.Series(frame.index, index=frame.index).groupby(key.to_numpy()).transform("first") + 2
    sub = frame.assign(_first=first_row)
    return _emit(file, sub, repeat, column, lambda d: message(d) + " (first on row " + d["_first"].astype("str") + ")")


def _cross_table_rules(t: dict[str, pd.DataFrame], complete: set[str], files: dict[str, str]) -> list[Violation]:
    out: list[Violation] = []
    pids = mids = people = None
    if "partnerships" in complete:
        p, f = t["partnerships"], files["partnerships"]
        out += _duplicates(f, p, ["partnership_id"], "partnership_id",
                           lambda d: "partnership_id " + _q(d["partnership_id"]) + " appears more than once")
        out += _emit(f, p, p["end_date"] < p["start_date"], "end_date",
                     lambda d: "end_date " + d["end_date"].dt.strftime("%Y-%m-%d") + " is before start_date "
                     + d["start_date"].dt.strftime("%Y-%m-%d") + "; expected end_date on or after start_date")
        pids = pd.Index(p["partnership_id"].dropna().unique())
    if "measures" in complete:
        m, f = t["measures"], files["measures"]
        out += _duplicates(f, m, ["measure"], "measure",
                           lambda d: "measure " + _q(d["measure"]) + " appears more than once")
        lo, hi = m["scale_min"], m["scale_max"]
        out += _emit(f, m, lo >= hi, "scale_max", lambda d: "scale_max " + _num(d["scale_max"])
                     + " is not above scale_min " + _num(d["scale_min"]) + "; expected scale_min < scale_max")
        binary = (m["kind"] == "binary") & lo.notna() & hi.notna() & ((lo != 0) | (hi != 1))
        out += _emit(f, m, binary, "scale_min", lambda d: "a binary measure needs scale_min 0 and scale_max 1; found "
                     + _num(d["scale_min"]) + " to " + _num(d["scale_max"]))
        mids = m.dropna(subset=["measure"]).drop_duplicates("measure").set_index("measure")
    if "participants" in complete:
        q, f = t["participants"], files["participants"]
        if pids is not None:
            out += _unknown_partnership(q, f, pids, files)
        out += _duplicates(f, q, ["participant_id", "partnership_id"], "participant_id",
                           lambda d: "participant_id " + _q(d["participant_id"])
                           + " appears more than once in partnership " + _q(d["partnership_id"]))
        people = q
    if "responses" in complete:
        r, f = t["responses"], files["responses"]
        out += _registered(r, f, pids, people, files)
        if mids is not None:
            out += _response_values(r, f, mids, files)
        out += _duplicates(f, r, ["participant_id", "partnership_id", "wave", "measure"], "measure",
                           lambda d: "participant " + _q(d["participant_id"]) + " answered " + _q(d["measure"])
                           + " twice in wave " + _q(d["wave"]))
    if "attendance" in complete:
        a, f = t["attendance"], files["attendance"]
        out += _registered(a, f, pids, people, files)
        out += _duplicates(f, a, ["participant_id", "partnership_id", "session"], "session",
                           lambda d: "participant " + _q(d["participant_id"]) + " is recorded twice for session "
                           + _q(d["session"]))
    if "targets" in complete:
        out += _target_rules(t["targets"], files["targets"], pids, mids, files)
    return out


def _unknown_partnership(frame, file, pids, files) -> list[Violation]:
    bad = frame["partnership_id"].notna() & ~frame["partnership_id"].isin(pids)
    return _emit(file, frame, bad, "partnership_id", lambda d: "partnership " + _q(d["partnership_id"])
                 + f" is not in {files['partnerships']}; expected a partnership_id listed there")


def _registered(frame, file, pids, people, files) -> list[Violation]:
    """Unknown partnership, or a participant not registered in that partnership."""
    out = []
    known = np.ones(len(frame), dtype=bool)
    if pids is not None:
        out += _unknown_partnership(frame, file, pids, files)
        known = frame["partnership_id"].isin(pids).to_numpy()
    if people is not None:
        mine, registered = _row_keys(frame, ["participant_id", "partnership_id"], like=people)
        bad = known & (mine >= 0) & ~pd.Series(mine).isin(registered[registered >= 0]).to_numpy()
        out += _emit(file, frame, bad, "participant_id", lambda d: "participant " + _q(d["participant_id"])
                     + " is not registered in partnership " + _q(d["partnership_id"])
                     + f"; expected a participant_id listed for it in {files['participants']}")
    return out


def _response_values(r, file, mids, files) -> list[Violation]:
    out = []
    measure, value = r["measure"], r["value"]
    known = measure.isin(mids.index)
    out += _emit(file, r, measure.notna() & ~known, "measure", lambda d: "measure " + _q(d["measure"])
                 + f" is not in {files['measures']}; expected a measure listed there")
    # Map the scale onto the rows through category codes: cheap for millions of rows.
    if len(mids) == 0:
        return out
    codes, uniques = pd.factorize(measure)  # map the few distinct measures, then spread over the rows
    codes = np.append(mids.index.get_indexer(uniques), -1)[codes]
    kind = mids["kind"].to_numpy()[codes]
    lo, hi = mids["scale_min"].to_numpy()[codes], mids["scale_max"].to_numpy()[codes]
    v = value.to_numpy(dtype="float64", na_value=np.nan)
    has = known.to_numpy() & ~np.isnan(v)
    binary = has & (kind == "binary")
    with np.errstate(invalid="ignore"):
        not01 = binary & (v != 0) & (v != 1)
        scaled = has & (kind != "binary")
        outside = scaled & ((v < lo) | (v > hi))
        fractional = scaled & ~outside & (kind == "ordinal") & (v != np.round(v))
    rs = r.assign(_lo=lo, _hi=hi)
    out += _emit(file, rs, not01, "value", lambda d: "value " + _num(d["value"]) + " is not 0 or 1; "
                 + _q(d["measure"]) + " is a binary measure")
    out += _emit(file, rs, outside, "value", lambda d: "value " + _num(d["value"]) + " is outside the scale of "
                 + _q(d["measure"]) + " (" + _num(d["_lo"]) + " to " + _num(d["_hi"]) + ")")
    out += _emit(file, rs, fractional, "value", lambda d: "value " + _num(d["value"]) + " is not a whole number; "
                 + _q(d["measure"]) + " is an ordinal measure")
    return out


def _target_rules(g, file, pids, mids, files) -> list[Violation]:
    out = []
    if pids is not None:
        out += _unknown_partnership(g, file, pids, files)
    indicator, statistic = g["indicator"], g["statistic"]
    is_rate = indicator.isin(schema.RATE_INDICATORS)
    rates = " or ".join(schema.RATE_INDICATORS)
    if mids is not None:
        unknown = indicator.notna() & ~is_rate & ~indicator.isin(mids.index)
        out += _emit(file, g, unknown, "indicator", lambda d: "indicator " + _q(d["indicator"])
                     + f" is neither a measure in {files['measures']} nor {rates}")
    out += _emit(file, g, (statistic == "rate") & indicator.notna() & ~is_rate, "statistic",
                 lambda d: f"statistic 'rate' applies only to {rates}, not to " + _q(d["indicator"]))
    out += _emit(file, g, is_rate & statistic.notna() & (statistic != "rate"), "statistic",
                 lambda d: "indicator " + _q(d["indicator"]) + " takes statistic 'rate', not " + _q(d["statistic"]))
    out += _emit(file, g, (statistic == "pct_at_least") & g["threshold"].isna(), "threshold",
                 "is blank; statistic 'pct_at_least' needs a threshold (the score a participant must reach)")
    percent = statistic.isin(["pct_improved", "pct_at_least", "rate"]) & ((g["target"] < 0) | (g["target"] > 100))
    out += _emit(file, g, percent, "target", lambda d: "target " + _num(d["target"])
                 + " is not a percentage; expected 0 to 100 (write 80 for 80%)")
    return out
