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
what was expected. Many rows with the same problem (the same message in the same
column, e.g. 58 rows naming one unknown id) become one violation giving the rows
(:func:`group_repeats`); where a likely cause is known (a date written
month/day/year, a CSV separated by semicolons, an id that matches a known one
once case is ignored) the message ends with a hint.

Besides violations, :func:`validate_dir` returns *warnings* (``.warnings``):
data that meet the contract but that a report cannot fully use (a partnership
without participants or with one wave only, waves whose order is guessed, an
arm without its counterpart). Warnings never fail a validation.
"""
from __future__ import annotations

from pathlib import Path

import re

import numpy as np
import pandas as pd
import pandera.pandas as pa

from evalkit import schema
from evalkit.errors import Violation
from evalkit.read import find_sources, read_tables, unread_files

_SPECS = {table: {spec.name: spec for spec in specs} for table, specs in schema.COLUMNS.items()}
#: this many rows or more with the same problem are reported as one violation listing the rows.
GROUP_AT = 3


class Problems(list):
    """The violations found by :func:`validate_dir` (a list, empty when the data meet the contract).

    ``warnings`` lists what does not break the contract but limits what a report
    can show (each a :class:`~evalkit.errors.Violation` too); they never make the
    list non-empty, so ``if problems:`` and ``problems == []`` test the contract only.
    """

    def __init__(self, violations=(), warnings=()):
        super().__init__(violations)
        self.warnings = list(warnings)


def validate_dir(data_dir: str | Path) -> Problems:
    """Check every table of a data folder against the contract (``data/README.md``).

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``partnerships``, ``participants``, ``measures``, ``responses``
        and optionally ``attendance`` and ``targets`` (``.csv``, ``.xlsx`` or ``.parquet``).

    Returns
    -------
    Problems
        A list of every violation found, in table order; empty when the data meet
        the contract. Its ``warnings`` attribute lists what a report cannot use
        (see the module docstring); warnings do not fail the validation. Never
        raises for a data problem (a missing folder or an unreadable file is
        itself reported as a violation).

    Examples
    --------
    >>> from evalkit.validate import validate_dir
    >>> validate_dir("data/sample")
    []
    >>> print(validate_dir("no/such/folder")[0])  # doctest: +ELLIPSIS
    no/such/folder: the data folder does not exist; ...
    """
    paths, violations = find_sources(data_dir)
    raw, unreadable = read_tables(paths)
    files = {t: p.name for t, p in paths.items()}
    found, typed = check_tables(raw, files)
    warnings = unread_files(data_dir) + (data_warnings(typed, files) if not (violations or unreadable or found) else [])
    return Problems(violations + unreadable + found, warnings)


def validate_tables(raw: dict[str, pd.DataFrame], files: dict[str, str] | None = None) -> list[Violation]:
    """Check raw tables (as returned by :func:`evalkit.read.read_table`) against the contract.

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
        if table == "participants":
            violations += _contact_details_in_groups(frame, files[table])
        typed[table] = schema.coerce_table(table, frame, keep_index=True)
        has_columns = all(s.name in frame.columns for s in schema.COLUMNS[table] if s.required)
        if has_columns and (len(frame) or table not in schema.REQUIRED_TABLES):
            complete.add(table)  # an empty required table is reported once, not on every row referring to it
    try:
        violations += _cross_table_rules(typed, complete, files, raw)
    finally:
        _FACTORIZED.clear()
    violations.sort(key=_order_key(files))
    return group_repeats(violations), typed


def _row_ranges(rows: list[int], most: int = 6) -> str:
    """``[2, 3, 4, 9]`` -> ``"2-4, 9"`` (the first ``most`` runs, then how many more rows)."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    shown = ", ".join(f"{a}-{b}" if b > a else str(a) for a, b in runs[:most])
    rest = sum(b - a + 1 for a, b in runs[most:])
    return shown + (f" and {rest} more" if rest else "")


def group_repeats(violations: list[Violation], at_least: int = GROUP_AT) -> list[Violation]:
    """Merge violations that repeat one message in one file and column over many rows.

    ``at_least`` or more rows with the same (file, column, message) become one
    violation on the first of those rows whose message ends with the count and
    the rows, e.g. ``"partnership 'gamma' is not in partnerships.csv; ... (58 rows: 2-59)"``.
    Fewer repeats are kept as they are. The order of first appearance is kept.

    Examples
    --------
    >>> vs = [Violation("responses.csv", r, "measure", "measure 'x' is unknown") for r in (2, 3, 4, 9)]
    >>> [str(v) for v in group_repeats(vs)]
    ["responses.csv, row 2, column 'measure': measure 'x' is unknown (4 rows: 2-4, 9)"]
    """
    rows: dict[tuple, list[int]] = {}
    for v in violations:
        if v.row is not None:
            rows.setdefault((v.file, v.column, v.message), []).append(v.row)
    out, done = [], set()
    for v in violations:
        key = (v.file, v.column, v.message)
        if v.row is None or len(rows[key]) < at_least:
            out.append(v)
        elif key not in done:
            done.add(key)
            found = sorted(rows[key])
            out.append(Violation(v.file, found[0], v.column, f"{v.message} ({len(found)} rows: {_row_ranges(found)})"))
    return out


def _order_key(files: dict[str, str]):
    """Sort violations by table, row, then the column's place in the contract (whole-file problems first)."""
    table_place = {files[table]: i for i, table in enumerate(schema.TABLES)}
    column_place = {files[table]: {spec.name: i for i, spec in enumerate(specs)}
                    for table, specs in schema.COLUMNS.items()}

    def key(v: Violation):
        return table_place.get(v.file, -1), v.row or 0, column_place.get(v.file, {}).get(v.column, 99)
    return key


# --- layer 1: per-column rules (pandera) --------------------------------------
#: Control characters other than tab and newline, and the bidirectional overrides and isolates that can
#: make a report show text other than what the file holds.
_UNSAFE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]"


_UNSAFE_TEXT = re.compile(_UNSAFE)
#: The same characters in RE2 syntax, for pyarrow's regular expressions on Arrow-backed text columns.
_UNSAFE_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{202a}-\x{202e}\x{2066}-\x{2069}]"


def _unsafe_rows(values: pd.Series) -> np.ndarray:
    """Which cells of a text column hold an unsafe character (missing cells: no).

    Method: an Arrow-backed text column is searched by pyarrow (RE2, linear in its bytes);
    another column (dtype ``object``, mixed values) has each distinct value checked once,
    all of them first in one search, then the rows found by their codes.
    """
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.match_substring_regex(pa.array(values.array), _UNSAFE_RE2).fill_null(False)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    try:
        codes, uniques = pd.factorize(values)   # missing values get code -1
    except TypeError:  # an unhashable cell: nested values are blanked before this, so not expected
        codes, uniques = np.arange(len(values)), values.to_numpy(object)
    uniques = np.asarray(uniques, dtype=object)
    is_text = np.fromiter((isinstance(u, str) for u in uniques), dtype=bool, count=len(uniques))
    if not _UNSAFE_TEXT.search("\n".join(uniques[is_text])):  # '\n' is allowed: one search for the column
        return np.zeros(len(values), dtype=bool)
    bad_value = is_text & np.fromiter((isinstance(u, str) and _UNSAFE_TEXT.search(u) is not None for u in uniques),
                                      dtype=bool, count=len(uniques))
    return np.isin(codes, np.flatnonzero(bad_value))


def _unsafe_characters(frame: pd.DataFrame, file: str) -> list[Violation]:
    """A violation for every text cell with a control character or a bidirectional override (:func:`_unsafe_rows`)."""
    out = []
    for i, column in enumerate(frame.columns):
        values = frame.iloc[:, i]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        for row in frame.index[_unsafe_rows(values)]:
            out.append(Violation(file, int(row) + 2, str(column), "holds a control character or a bidirectional "
                                 "override (invisible, or reorders the text shown); expected plain text"))
    return out


def _contact_details_in_groups(frame: pd.DataFrame, file: str) -> list[Violation]:
    """A violation for every group value of ``participants`` that holds a contact detail.

    Group values are printed in reports as the names of groups (column headings of the
    results by group, who was served), and a group's name is shown even when its results are
    withheld, so a value such as "call me on 555-123-4567" (a comment imported as a group
    column) would be published as it is. Method: each distinct value goes through
    :func:`evalkit.voices.redact` without a roster (e-mail addresses, links, phone numbers,
    handles, street addresses and postcodes); a value it changes is refused. The message
    names what was found, not the value.
    """
    from evalkit.voices import PLACEHOLDERS, redact

    kinds = {"email": "an e-mail address", "url": "a link", "phone": "a phone number", "address": "an address",
             "handle": "a social media handle"}
    out = []
    for column in schema.group_columns(frame.columns):
        values = frame[column]
        if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
            continue
        found = {}
        for value in pd.unique(values.dropna()):
            scrubbed = redact(value) if isinstance(value, str) else value
            if scrubbed != value:
                found[value] = " and ".join(said for kind, said in kinds.items() if PLACEHOLDERS[kind] in scrubbed)
        if not found:  # the usual case: no row to look at
            continue
        for row, value in zip(frame.index, values):
            if value in found:
                out.append(Violation(file, int(row) + 2, str(column),
                                     f"holds {found[value] or 'a contact detail'}; group values are printed in reports as "
                                     "the names of groups, so expected a group such as 'woman' or '18-24' (free "
                                     "text belongs in comments.csv, which reports scrub)"))
    return out


_NESTED = (list, tuple, dict, set, np.ndarray)


def _nested_values(frame: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[Violation]]:
    """Cells holding a list, array or mapping (a Parquet file can): violations, and the cells blanked.

    Only columns of dtype ``object`` can hold such values, so other columns cost nothing.
    """
    out, blank = [], {}
    for i, column in enumerate(frame.columns):
        values = frame.iloc[:, i]
        if values.dtype != object:
            continue
        nested = values.map(lambda v: isinstance(v, _NESTED)).to_numpy(bool)
        if nested.any():
            blank[i] = nested
            out += [Violation(file, int(row) + 2, str(column), "holds a list of values (a nested cell); "
                              "expected one value per cell") for j, row in enumerate(frame.index) if nested[j]]
    if blank:
        frame = frame.copy()
        for i, nested in blank.items():
            frame.iloc[nested, i] = None
    return frame, out


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
    frame, nested = _nested_values(frame, file)
    found += nested
    found += _unsafe_characters(frame, file)
    try:
        schema.column_schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        found += _from_failure_cases(table, err.failure_cases, file)
    return frame, _separator_hint(table, frame, file, found)


def _separator_hint(table: str, frame: pd.DataFrame, file: str, found: list[Violation]) -> list[Violation]:
    """Missing columns whose header holds ';' or a tab: one violation saying the file is not comma-separated."""
    missing = [v for v in found if v.row is None and v.column is not None and "is missing" in v.message]
    packed = next((c for c in frame.columns for sep in (";", "\t") if sep in str(c)), None)
    if not missing or packed is None or not file.lower().endswith(".csv"):
        return found
    sep = "';'" if ";" in packed else "a tab"
    place = {spec.name: i for i, spec in enumerate(schema.COLUMNS[table])}
    names = ", ".join(sorted((v.column for v in missing), key=lambda c: place.get(c, 99)))
    v = Violation(file, 1, None, f"required columns {names} are missing; hint: the header {packed!r} looks like "
                  f"columns separated by {sep} (Excel writes CSV this way where the decimal mark is a comma); "
                  "save the file as CSV with commas between columns (e.g. 'CSV UTF-8 (comma delimited)')")
    return [v] + [f for f in found if f not in missing]


_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s.*)?$")


def date_hint(text: str) -> str:
    """A hint for a date not written as ISO 8601, or ``""`` when none applies.

    Examples
    --------
    >>> date_hint("03/15/2025")
    '; hint: this looks like month/day/year; write 2025-03-15'
    >>> date_hint("15.03.2025")
    '; hint: this looks like day/month/year; write 2025-03-15'
    """
    match = _DMY.match(str(text))
    if not match:
        return ""
    a, b, year = (int(x) for x in match.groups())
    if a > 12 and 1 <= b <= 12 and a <= 31:
        return f"; hint: this looks like day/month/year; write {year}-{b:02d}-{a:02d}"
    if b > 12 and 1 <= a <= 12 and b <= 31:
        return f"; hint: this looks like month/day/year; write {year}-{a:02d}-{b:02d}"
    if 1 <= a <= 12 and 1 <= b <= 12:
        return (f"; hint: this looks like month/day/year or day/month/year; write {year}-{a:02d}-{b:02d} "
                f"or {year}-{b:02d}-{a:02d} (year-month-day)")
    return ""


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
                messages = [f"{value!r} is not {what}" + (date_hint(value) if spec.kind == "date" else "")
                            for value in _show(cells["failure_case"])]
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


def _near_miss(values: pd.Series, known) -> pd.Series:
    """For each value, a hint naming the known id it matches once case and surrounding spaces are ignored."""
    folded = {}
    for k in known:
        folded.setdefault(str(k).strip().casefold(), str(k))
    match = values.astype("str").str.strip().str.casefold().map(folded).astype(object)
    match = pd.Series([m if isinstance(m, str) else None for m in match], index=values.index, dtype=object)
    return ("; hint: did you mean '" + match + "'? ids must match exactly, including upper and lower case").fillna("")


def _cross_table_rules(t: dict[str, pd.DataFrame], complete: set[str], files: dict[str, str],
                       raw: dict[str, pd.DataFrame] | None = None) -> list[Violation]:
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
        bounded = m["kind"].isin(["ordinal", "binary"])  # only continuous measures may leave their bounds blank
        cells = (raw or {}).get("measures", pd.DataFrame(index=m.index))
        for column in ("scale_min", "scale_max"):
            blank = cells[column].isna().reindex(m.index, fill_value=True) if column in cells else True
            out += _emit(f, m, bounded & blank, column, lambda d, c=column: "is blank; " + _q(d["measure"])
                         + " is " + d["kind"] + f" and needs {c} (only a continuous measure may leave its bounds "
                         "blank)")
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
    inds = None
    if "indicators" in complete:
        inds = pd.Index(t["indicators"]["indicator"].dropna().unique())
    if "targets" in complete:
        out += _target_rules(t["targets"], files["targets"], pids, mids, files, inds)
    if "waves" in complete:
        out += _wave_rules(t["waves"], files["waves"])
    if "labels" in complete:
        out += _label_rules(t["labels"], files["labels"], people, files)
    out += _health_rules(t, complete, files, pids, people, raw)
    return out


def _health_rules(t, complete, files, pids, people, raw) -> list[Violation]:
    """The optional partnership-health tables: known partnerships, registered participants, known themes,
    one value per key, consistent units and scales, proportions, group columns (``data/README.md``)."""
    out: list[Violation] = []
    for table in ("comments", "stories", "indicators", "milestones", "partner_survey", "community"):
        if table in complete and pids is not None and table != "comments":
            out += _unknown_partnership(t[table], files[table], pids, files)
    book = None
    if "themes" in complete:
        th, f = t["themes"], files["themes"]
        out += _duplicates(f, th, ["theme"], "theme", lambda d: "theme " + _q(d["theme"]) + " appears more than once")
        book = pd.Index(th["theme"].dropna().unique())
    if "comments" in complete:
        c, f = t["comments"], files["comments"]
        out += _registered(c, f, pids, people, files)
        if book is not None and len(book):
            out += _emit(f, c, c["theme"].notna() & ~c["theme"].isin(book), "theme", lambda d: "theme "
                         + _q(d["theme"]) + f" is not in {files['themes']}; expected a theme of the codebook"
                         + _near_miss(d["theme"], book))
    if "indicators" in complete:
        g, f = t["indicators"], files["indicators"]
        out += _duplicates(f, g, ["partnership_id", "period", "indicator"], "value",
                           lambda d: "indicator " + _q(d["indicator"]) + " has a second value for period "
                           + _q(d["period"]) + " in partnership " + _q(d["partnership_id"]))
        unit = g["unit"].fillna("")
        first = unit.groupby([g["partnership_id"], g["indicator"]]).transform("first")
        out += _emit(f, g.assign(_first=first), unit != first, "unit", lambda d: "unit " + _q(d["unit"].fillna(""))
                     + " differs from " + _q(d["_first"]) + " given earlier for indicator " + _q(d["indicator"])
                     + "; expected one unit per indicator and partnership")
    if "milestones" in complete:
        m, f = t["milestones"], files["milestones"]
        out += _duplicates(f, m, ["partnership_id", "milestone"], "milestone",
                           lambda d: "milestone " + _q(d["milestone"]) + " appears more than once in partnership "
                           + _q(d["partnership_id"]))
        early = m["done_date"].notna() & m["status"].isin(["not started", "in progress"])
        out += _emit(f, m, early, "status", lambda d: "status " + _q(d["status"]) + " but done_date "
                     + d["done_date"].dt.strftime("%Y-%m-%d") + " is given; expected status 'done' (or a blank done_date)")
    if "partner_survey" in complete:
        s, f = t["partner_survey"], files["partner_survey"]
        lo, hi, v = s["scale_min"], s["scale_max"], s["value"]
        out += _emit(f, s, lo >= hi, "scale_max", lambda d: "scale_max " + _num(d["scale_max"])
                     + " is not above scale_min " + _num(d["scale_min"]) + "; expected scale_min < scale_max")
        out += _emit(f, s, v.notna() & (lo < hi) & ((v < lo) | (v > hi)), "value", lambda d: "value " + _num(d["value"])
                     + " is outside the declared scale " + _num(d["scale_min"]) + " to " + _num(d["scale_max"]))
        scale = s["scale_min"].astype(str) + "/" + s["scale_max"].astype(str)
        first = scale.groupby(s["item"]).transform("first")
        out += _emit(f, s.assign(_s=scale, _first=first), scale != first, "scale_max", lambda d: "item " + _q(d["item"])
                     + " is declared on scale " + d["_s"].str.replace("/", " to ").str.replace(".0", "", regex=False)
                     + " here but " + d["_first"].str.replace("/", " to ").str.replace(".0", "", regex=False)
                     + " earlier; expected one scale per item")
    if "community" in complete:
        c, f = t["community"], files["community"]
        out += _duplicates(f, c, ["partnership_id", "characteristic", "group"], "group",
                           lambda d: "group " + _q(d["group"]) + " of " + _q(d["characteristic"])
                           + " appears more than once for partnership " + _q(d["partnership_id"]))
        share = c["share"]
        out += _emit(f, c, (share < 0) | (share > 1), "share", lambda d: "share " + _num(d["share"])
                     + " is not a proportion; expected 0 to 1 (write 0.45 for 45%)")
        total = share.where((share >= 0) & (share <= 1)).groupby([c["partnership_id"], c["characteristic"]]).transform("sum")
        over = (total > 1.005) & ~c.duplicated(["partnership_id", "characteristic"])
        out += _emit(f, c.assign(_t=total), over, "share", lambda d: "the shares of " + _q(d["characteristic"])
                     + " in partnership " + _q(d["partnership_id"]) + " add up to " + d["_t"].round(3).astype(str)
                     + "; expected at most 1")
        if people is not None:
            groups = schema.group_columns(people.columns)
            unknown = c["characteristic"].notna() & ~c["characteristic"].isin(groups)
            out += _emit(f, c, unknown, "characteristic", lambda d: "characteristic " + _q(d["characteristic"])
                         + f" is not a group column of {files['participants']}; expected one of "
                         + (", ".join(groups) if groups else "its group columns (it has none)"))
    return out


def _label_rules(lab: pd.DataFrame, file: str, people, files) -> list[Violation]:
    """The labels table: each column and each (column, value) once; columns are the participants' group columns."""
    key = lab.assign(_value=lab["value"].fillna(""))
    out = _duplicates(file, key, ["column", "_value"], "value",
                      lambda d: "column " + _q(d["column"]) + " value " + _q(d["_value"])
                      + " is labelled twice; expected one row per column and value")
    if people is not None:
        groups = pd.Index(schema.group_columns(people.columns))
        out += _emit(file, lab, lab["column"].notna() & ~lab["column"].isin(groups), "column",
                     lambda d: "column " + _q(d["column"]) + f" is not a group column of {files['participants']}"
                     + "; expected one of " + (", ".join(groups) or "(none)") + _near_miss(d["column"], groups))
    return out


def _wave_rules(w: pd.DataFrame, file: str) -> list[Violation]:
    """The waves table: each wave and each order once; at most one baseline and one post wave."""
    out = _duplicates(file, w, ["wave"], "wave", lambda d: "wave " + _q(d["wave"]) + " appears more than once")
    ordered = w[w["order"].notna()]
    out += _duplicates(file, ordered, ["order"], "order", lambda d: "order " + _num(d["order"])
                       + " is given to two waves; expected each wave its own place")
    for role in ("baseline", "post"):
        out += _duplicates(file, w[w["role"] == role], ["role"], "role",
                           lambda d, role=role: f"a second wave has role '{role}' (" + _q(d["wave"])
                           + f"); expected at most one {role} wave")
    return out


def _unknown_partnership(frame, file, pids, files) -> list[Violation]:
    bad = frame["partnership_id"].notna() & ~frame["partnership_id"].isin(pids)
    return _emit(file, frame, bad, "partnership_id", lambda d: "partnership " + _q(d["partnership_id"])
                 + f" is not in {files['partnerships']}; expected a partnership_id listed there"
                 + _near_miss(d["partnership_id"], pids))


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
                     + f"; expected a participant_id listed for it in {files['participants']}"
                     + _registered_hint(d, people))
    return out


def _registered_hint(bad: pd.DataFrame, people: pd.DataFrame) -> pd.Series:
    """Hints for unregistered participants whose id matches one of the partnership's ids once case is ignored."""
    hints = pd.Series("", index=bad.index)
    for pid, rows in bad.groupby("partnership_id", sort=False).groups.items():
        known = people.loc[people["partnership_id"] == pid, "participant_id"].dropna()
        hints[rows] = _near_miss(bad.loc[rows, "participant_id"], known)
    return hints


def _response_values(r, file, mids, files) -> list[Violation]:
    out = []
    measure, value = r["measure"], r["value"]
    known = measure.isin(mids.index)
    out += _emit(file, r, measure.notna() & ~known, "measure", lambda d: "measure " + _q(d["measure"])
                 + f" is not in {files['measures']}; expected a measure listed there" + _near_miss(d["measure"], mids.index))
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


def _target_rules(g, file, pids, mids, files, inds=None) -> list[Violation]:
    out = []
    if pids is not None:
        out += _unknown_partnership(g, file, pids, files)
    indicator, statistic = g["indicator"], g["statistic"]
    is_rate = indicator.isin(schema.RATE_INDICATORS)
    rates = " or ".join(schema.RATE_INDICATORS)
    is_ind = indicator.isin(inds) if inds is not None else pd.Series(False, index=g.index)
    if inds is not None:  # partnership indicators (the indicators table) take 'latest' or 'total'
        is_measure = indicator.isin(mids.index) if mids is not None else pd.Series(False, index=g.index)
        ind_stat = statistic.isin(schema.INDICATOR_STATISTICS)
        out += _emit(file, g, is_ind & ~is_measure & statistic.notna() & ~ind_stat, "statistic",
                     lambda d: "indicator " + _q(d["indicator"]) + f" is a partnership indicator of {files['indicators']}"
                     "; expected statistic 'latest' or 'total', not " + _q(d["statistic"]))
    out += _emit(file, g, ~is_ind & indicator.notna() & statistic.isin(schema.INDICATOR_STATISTICS), "statistic",
                 lambda d: "statistic " + _q(d["statistic"]) + " applies only to partnership indicators (the "
                 "indicators table), not to " + _q(d["indicator"]))
    if mids is not None:
        unknown = indicator.notna() & ~is_rate & ~indicator.isin(mids.index) & ~is_ind
        also = "" if inds is None else f", an indicator in {files['indicators']},"
        out += _emit(file, g, unknown, "indicator", lambda d: "indicator " + _q(d["indicator"])
                     + f" is neither a measure in {files['measures']}{also} nor {rates}")
    out += _emit(file, g, (statistic == "rate") & indicator.notna() & ~is_rate, "statistic",
                 lambda d: f"statistic 'rate' applies only to {rates}, not to " + _q(d["indicator"]))
    out += _emit(file, g, is_rate & statistic.notna() & (statistic != "rate"), "statistic",
                 lambda d: "indicator " + _q(d["indicator"]) + " takes statistic 'rate', not " + _q(d["statistic"]))
    out += _emit(file, g, (statistic == "pct_at_least") & g["threshold"].isna(), "threshold",
                 "is blank; statistic 'pct_at_least' needs a threshold (the score a participant must reach)")
    percent = statistic.isin(["pct_improved", "pct_at_least", "rate"]) & ((g["target"] < 0) | (g["target"] > 100))
    out += _emit(file, g, percent, "target", lambda d: "target " + _num(d["target"])
                 + " is not a percentage; expected 0 to 100 (write 80 for 80%)")
    # a share written for a percentage (0.75 for 75%) would be judged against 0.75%, and met (trial 8)
    share = statistic.isin(["pct_improved", "pct_at_least", "rate"]) & (g["target"] > 0) & (g["target"] <= 1)
    out += _emit(file, g, share, "target", lambda d: "target " + _num(d["target"]) + " would mean "
                 + _num(d["target"]) + "%; percentages are written 0 to 100: did you mean "
                 + _num(round(100 * d["target"], 6)) + "?")
    return out


# --- warnings: valid data a report cannot fully use ----------------------------------------
def data_warnings(typed: dict[str, pd.DataFrame], files: dict[str, str] | None = None) -> list[Violation]:
    """What meets the contract but limits a report, as violations that do not fail validation.

    Warns about partnerships without participants, without answers, or with answers
    at one wave only or none at the baseline; waves whose order is guessed (no
    ``waves`` table and names other than ``pre``/``post``) or that the ``waves``
    table leaves out; and arms without a counterpart (a partnership whose
    participants are all in one arm, or some of whose participants have no arm); and group
    columns of ``participants`` whose values differ only in case or spaces (``Female`` and
    ``female``), which reports count as separate groups.

    Parameters
    ----------
    typed : dict of str to DataFrame
        Typed tables as :func:`check_tables` returns them (index = data-row position).
    files : dict of str to str, optional
        table name -> file name used in the messages.

    Returns
    -------
    list of Violation
        Empty when every partnership can be reported in full.
    """
    files = {table: f"{table}.csv" for table in schema.TABLES} | dict(files or {})
    if any(t not in typed for t in ("partnerships", "participants", "responses")):
        return []
    p, q, r = typed["partnerships"], typed["participants"], typed["responses"]
    table = typed.get("waves")
    fp, fq, fr = files["partnerships"], files["participants"], files["responses"]
    out: list[Violation] = []

    order = schema.order_waves(pd.unique(r["wave"].dropna()), table)
    listed = set() if table is None else set(table["wave"].dropna())
    if listed:
        out += [Violation(fr, None, "wave", f"wave '{w}' is not in {files['waves']}; reports place it after the "
                                            "waves listed there") for w in order if w not in listed]
    else:
        guessed = [w for w in order if w not in (schema.PRE, schema.POST)]
        if guessed and (schema.PRE not in order or len(guessed) > 1):
            roles = schema.wave_roles(order)
            shown = ", ".join(f"{w} ({roles[w]})" for w in order)
            out.append(Violation(fr, None, "wave", f"the order of the waves is guessed from their first appearance: "
                                 f"{shown}; add a waves table (waves.csv with columns wave, order, role) to set it"))

    enrolled = q.groupby("partnership_id", sort=False).size()
    answered = r[r["value"].notna()].groupby(["partnership_id", "wave"], sort=False, observed=True).size()
    waves_of: dict[str, set] = {}
    for pid, wave in answered.index:
        waves_of.setdefault(pid, set()).add(wave)
    for i, pid in zip(p.index, p["partnership_id"]):
        if pid not in enrolled.index:
            out.append(Violation(fp, int(i) + 2, "partnership_id", f"partnership '{pid}' has no participants in "
                                 f"{fq}; its report can only say so"))
            continue
        mine = [w for w in order if w in waves_of.get(pid, ())]
        if not mine:
            out.append(Violation(fp, int(i) + 2, "partnership_id", f"partnership '{pid}' has no answers in {fr}; its "
                                 "report can show enrolment only"))
        elif len(mine) == 1:
            out.append(Violation(fp, int(i) + 2, "partnership_id", f"partnership '{pid}' has answers at one wave only "
                                 f"('{mine[0]}'): change cannot be measured until a later wave is collected"))
        elif order and mine[0] != order[0]:
            out.append(Violation(fp, int(i) + 2, "partnership_id", f"partnership '{pid}' has no answers at the first "
                                 f"wave '{order[0]}': its report describes its later waves but cannot measure change from the "
                                 "start (the baseline)"))

    if "arm" in q.columns and q["arm"].notna().any():
        for pid, g in q.groupby("partnership_id", sort=False):
            arms = set(g["arm"].dropna())
            if not arms:
                continue
            if len(arms) == 1:
                only = arms.pop()
                other = "comparison" if only == "program" else "program"
                out.append(Violation(fq, None, "arm", f"every participant of partnership '{pid}' with an arm is in the "
                                     f"'{only}' arm: there is no {other} group to compare with"))
            blank = g["arm"].isna()
            out += _emit(fq, g, blank, "arm", f"has no arm while other participants of partnership '{pid}' have "
                         "one; left out of the comparison of arms")
    out += _case_variant_warnings(q, fq)
    return group_repeats(out)


def _case_variant_warnings(q: pd.DataFrame, fq: str) -> list[Violation]:
    """One warning per group column with values that differ only in case or spaces."""
    out = []
    for column in schema.group_columns(q.columns):
        values = pd.Series(pd.unique(q[column].dropna().astype(str)))
        if values.empty:
            continue
        key = values.map(schema.spelling_key)
        sets = [list(g) for _, g in values.groupby(key, sort=False) if len(g) > 1]
        if sets:
            shown = "; ".join(", ".join(f"'{v}'" for v in s) for s in sets)
            out.append(Violation(fq, None, column, f"values that differ only in case or spaces are counted as "
                                 f"separate groups: {shown}; write each group one way if they are the same"))
    return out
