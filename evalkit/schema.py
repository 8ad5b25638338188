"""The data contract: tables, columns, allowed values and their pandera schemas.

``data/README.md`` is the human-readable version of this module; the two must
agree. Everything here is declarative: :data:`COLUMNS` lists each table's
columns with a *kind* (slug, text, choice, number, date, bool), and
:func:`column_schema` turns them into a :class:`pandera.pandas.DataFrameSchema`
that checks the *raw* table (text as read from CSV/Excel, or typed Parquet
columns). The converters (:func:`to_number`, :func:`to_date`, :func:`to_bool`)
are shared by the checks and by :func:`coerce_table`, so a value passes
validation exactly when it converts cleanly.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

# --- tables and files -------------------------------------------------------
REQUIRED_TABLES = ("partnerships", "participants", "measures", "responses")
OPTIONAL_TABLES = ("attendance", "targets", "waves", "labels")
#: the optional tables of partnership health (issue 10): voices, stories, indicators, action plan, partners, community.
HEALTH_TABLES = ("comments", "themes", "stories", "indicators", "milestones", "partner_survey", "community")
OPTIONAL_TABLES = OPTIONAL_TABLES + HEALTH_TABLES
TABLES = REQUIRED_TABLES + OPTIONAL_TABLES
#: file suffix -> format name; a table is ``<table><suffix>`` inside DATA_DIR.
FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
#: tables whose extra (non-contract) columns are kept; elsewhere they are ignored.
KEEP_EXTRA = ("partnerships", "participants")
#: cell texts read as missing in CSV and Excel files (besides blank cells).
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "#N/A"]

# --- allowed values ---------------------------------------------------------
#: Names a run uses for its own pages (index.html, manifest.json); ids starting with ``_`` or ``.``
#: are impossible anyway (an id starts with a letter or digit).
RESERVED_IDS = ("index", "manifest")
SLUG_PATTERN = r"^(?!(?:index|manifest)$)[a-z0-9][a-z0-9_-]{0,63}$"
SLUG_RULE = "lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters; not index or manifest (reserved for the run's own pages)"
PARTNER_TYPES = ("nonprofit", "government", "school", "university", "business", "research", "other")
#: the domains reports recognise (and style); any other text is accepted as a domain too.
DOMAINS = ("skills", "knowledge", "behaviour", "satisfaction", "engagement", "community", "other")
KINDS = ("continuous", "ordinal", "binary")
STATISTICS = ("mean_post", "mean_change", "pct_improved", "pct_at_least", "rate", "latest", "total")
#: statistics of a target on a partnership indicator (the ``indicators`` table): its latest value or its total.
INDICATOR_STATISTICS = ("latest", "total")
#: how an indicator's periods add up to its total over the partnership's life (``indicators.aggregate``).
AGGREGATES = ("sum", "last", "max", "mean")
#: ``milestones.status``: where an action-plan milestone stands.
MILESTONE_STATUSES = ("not started", "in progress", "done", "dropped")
#: participants' columns that identify a person: never a group column, never shown, and their values are
#: redacted from any free text a report quotes (:func:`evalkit.voices.redact`).
IDENTIFYING_COLUMNS = (
    "name", "first_name", "last_name", "full_name", "given_name", "family_name", "surname", "middle_name",
    "preferred_name", "nickname", "email", "email_address", "phone", "phone_number", "mobile", "telephone",
    "address", "street_address", "home_address", "postcode", "zip", "zip_code", "date_of_birth", "dob",
    "birth_date", "student_id", "student_number", "ssn", "national_id", "guardian_name", "parent_name",
)
RATE_INDICATORS = ("attendance_rate", "retention_rate")
#: the two waves a report compares; other waves (e.g. ``followup``) are allowed.
PRE, POST = "pre", "post"
#: what a wave is for (the optional ``waves`` table): the first survey, the end of the programme, or later.
WAVE_ROLES = ("baseline", "post", "followup")
#: ``participants.arm`` (optional): who received the programme and who is the comparison group.
ARMS = ("program", "comparison")
TRUE_WORDS = ("true", "yes", "1", "1.0", "y", "t")
FALSE_WORDS = ("false", "no", "0", "0.0", "n", "f")
_BOOL_MAP = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the contract.

    ``kind`` is one of ``slug`` (safe id), ``id`` (non-empty text), ``text``,
    ``label`` (non-empty text stored lower-case, e.g. a wave: ``Pre`` is ``pre``),
    ``choice`` (one of ``choices``, case-insensitive), ``number``, ``date``
    (ISO 8601) or ``bool``. ``required`` columns must be present; ``nullable``
    columns may have blank cells. ``default`` fills an absent optional column.
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    default: object = None


C = ColumnSpec
COLUMNS: dict[str, tuple[ColumnSpec, ...]] = {
    "partnerships": (
        C("partnership_id", "slug"),
        C("name", "text"),
        C("partner_type", "choice", choices=PARTNER_TYPES),
        C("lead_institution", "text", nullable=True),
        C("start_date", "date", required=False, nullable=True),
        C("end_date", "date", required=False, nullable=True),
    ),
    "participants": (
        C("participant_id", "id"),
        C("partnership_id", "id"),
        C("arm", "choice", required=False, nullable=True, choices=ARMS),
    ),
    "measures": (
        C("measure", "slug"),
        C("label", "text", nullable=True),
        C("domain", "label", required=False, nullable=True),
        C("kind", "choice", choices=KINDS),
        C("scale_min", "number", required=False, nullable=True),  # required for ordinal and binary (validate.py)
        C("scale_max", "number", required=False, nullable=True),
        C("higher_is_better", "bool"),
        C("shared", "bool", required=False, nullable=True, default=False),
        C("scale", "text", required=False, nullable=True),
        C("reverse_coded", "bool", required=False, nullable=True, default=False),
    ),
    "responses": (
        C("participant_id", "id"),
        C("partnership_id", "id"),
        C("wave", "label"),
        C("measure", "id"),
        C("value", "number", nullable=True),
    ),
    "attendance": (
        C("participant_id", "id"),
        C("partnership_id", "id"),
        C("session", "text"),
        C("date", "date"),
        C("attended", "bool"),
    ),
    "targets": (
        C("partnership_id", "id"),
        C("indicator", "id"),
        C("statistic", "choice", choices=STATISTICS),
        C("target", "number"),
        C("threshold", "number", required=False, nullable=True),
        C("description", "text", required=False, nullable=True),
    ),
    "waves": (
        C("wave", "label"),
        C("order", "number", required=False, nullable=True),
        C("role", "choice", required=False, nullable=True, choices=WAVE_ROLES),
        C("date", "date", required=False, nullable=True),
    ),
    "labels": (
        C("column", "id"),
        C("value", "text", required=False, nullable=True),
        C("label", "text", nullable=True),
        C("order", "number", required=False, nullable=True),
    ),
    "comments": (
        C("participant_id", "id"),
        C("partnership_id", "id"),
        C("wave", "label"),
        C("question", "text", nullable=True),
        C("text", "text"),
        C("theme", "label", required=False, nullable=True),
        C("featured", "bool", required=False, nullable=True, default=False),
    ),
    "themes": (
        C("theme", "label"),
        C("description", "text", required=False, nullable=True),
        C("keywords", "text", required=False, nullable=True),
    ),
    "stories": (
        C("partnership_id", "id"),
        C("date", "date", nullable=True),
        C("title", "text", nullable=True),
        C("text", "text"),
        C("told_by", "text", nullable=True),
        C("consent", "bool"),
    ),
    "indicators": (
        C("partnership_id", "id"),
        C("period", "id"),
        C("indicator", "id"),
        C("value", "number"),
        C("unit", "text", nullable=True),
        C("label", "text", required=False, nullable=True),
        C("aggregate", "choice", required=False, nullable=True, choices=AGGREGATES),
    ),
    "milestones": (
        C("partnership_id", "id"),
        C("milestone", "text"),
        C("owner", "text", nullable=True),
        C("due_date", "date"),
        C("done_date", "date", required=False, nullable=True),
        C("status", "choice", required=False, nullable=True, choices=MILESTONE_STATUSES),
    ),
    "partner_survey": (
        C("partnership_id", "id"),
        C("period", "id"),
        C("respondent_role", "label"),
        C("item", "id"),
        C("value", "number", nullable=True),
        C("scale_min", "number"),
        C("scale_max", "number"),
        C("label", "text", required=False, nullable=True),
    ),
    "community": (
        C("partnership_id", "id"),
        C("characteristic", "label"),
        C("group", "text"),
        C("share", "number"),
        C("source", "text", required=False, nullable=True),
    ),
}
del C

_EXPECTED = {
    "slug": "a safe id (" + SLUG_RULE + ")",
    "id": "a non-empty id",
    "text": "a non-empty text",
    "label": "a non-empty text",
    "number": "a number",
    "date": "an ISO date such as 2025-09-01",
    "bool": "true/false, yes/no or 1/0",
}


def expected(spec: ColumnSpec) -> str:
    """Plain-language description of what a cell of ``spec`` must hold."""
    if spec.kind == "choice":
        return "one of " + ", ".join(spec.choices)
    return _EXPECTED[spec.kind]


# --- converters (vectorised; invalid -> missing) ------------------------------
def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


def as_text(s: pd.Series) -> pd.Series:
    """Return ``s`` as pandas strings, stripped; missing stays missing.

    Whole numbers stored as numbers (Excel, Parquet) become ``"12"``, not ``"12.0"``.
    """
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.notna() & (s == np.round(s))
        out = s.astype("str")
        out = out.where(~whole, s.where(whole).astype("Int64").astype("str"))
        return out.where(s.notna())
    if s.dtype == "str":   # pandas strings already (Parquet, a typed frame): stripping keeps missing missing
        return s.str.strip()
    out = s.astype("str")
    if _is_text(s):
        out = out.str.strip()
    return out.where(s.notna())


def _per_distinct(s: pd.Series, convert, missing, dtype) -> pd.Series:
    """Apply ``convert`` to each distinct value of ``s`` once, then spread the results over the rows.

    Survey columns repeat a few values (Likert answers, session dates, yes/no) over
    millions of rows, so this is much faster than converting row by row.
    """
    codes, uniques = pd.factorize(s)
    done = convert(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    values = np.append(np.asarray(done, dtype=dtype), np.array([missing], dtype=dtype))
    return pd.Series(values[codes], index=s.index, name=s.name)  # code -1 (missing) takes ``missing``


def to_number(s: pd.Series) -> pd.Series:
    """Convert to ``float64``; text that is not a number becomes NaN."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("float64")
    return _per_distinct(s, lambda u: pd.to_numeric(u, errors="coerce"), np.nan, "float64")


def _parse_dates(u: pd.Series) -> pd.Series:
    if pd.api.types.infer_dtype(u, skipna=True) in ("string", "empty"):
        return pd.to_datetime(u, format="ISO8601", errors="coerce")
    return pd.to_datetime(u, errors="coerce")  # Excel/Parquet date and datetime cells


def to_date(s: pd.Series) -> pd.Series:
    """Convert to ``datetime64[ns]``; text that is not an ISO 8601 date becomes NaT."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.astype("datetime64[ns]")
    return _per_distinct(s, lambda u: _parse_dates(u).to_numpy(dtype="datetime64[ns]"),
                         np.datetime64("NaT", "ns"), "datetime64[ns]")


def _bool_words(u: pd.Series) -> pd.Series:
    return u.astype(str).str.strip().str.lower().map(_BOOL_MAP)


def to_bool(s: pd.Series) -> pd.Series:
    """Convert to nullable ``boolean``; accepts true/false, yes/no, 1/0, y/n, t/f in any case."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    return _per_distinct(s, _bool_words, None, object).astype("boolean")


def to_choice(s: pd.Series) -> pd.Series:
    """Lower-case, stripped text (allowed values are stored lower-case)."""
    return as_text(s).str.lower()


# --- pandera checks ----------------------------------------------------------
def _check(spec: ColumnSpec) -> list[pa.Check]:
    # The check name is the key the validator maps back to a message (see expected()).
    if spec.kind == "slug":
        fn = lambda s: as_text(s).str.fullmatch(SLUG_PATTERN).fillna(False).astype(bool)  # noqa: E731
    elif spec.kind in ("id", "text", "label"):  # a blank text in a nullable column is simply missing
        fn = lambda s: (as_text(s).str.len().fillna(0).astype(int) > 0) | spec.nullable  # noqa: E731
    elif spec.kind == "choice":
        fn = lambda s: to_choice(s).isin(spec.choices)  # noqa: E731
    elif spec.kind == "number":
        fn = lambda s: pd.Series(np.isfinite(to_number(s).to_numpy(float)), index=s.index)  # noqa: E731
    elif spec.kind == "date":
        fn = lambda s: to_date(s).notna()  # noqa: E731
    elif spec.kind == "bool":
        fn = lambda s: to_bool(s).notna().astype(bool)  # noqa: E731
    else:  # pragma: no cover - guarded by the COLUMNS table above
        raise ValueError(spec.kind)
    return [pa.Check(fn, name=spec.kind, ignore_na=True)]


@functools.cache
def column_schema(table: str) -> pa.DataFrameSchema:
    """pandera schema checking the per-column rules of ``table`` on its raw frame.

    Run it with ``lazy=True`` to collect every failure; ``failure_cases`` then
    names the column, the check (a column kind) and the frame index of each bad cell.
    The schema is made once per table and shared: do not change it (pandera's methods return new schemas).
    """
    columns = {
        spec.name: pa.Column(required=spec.required, nullable=spec.nullable, checks=_check(spec))
        for spec in COLUMNS[table]
    }
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name=table)


_CONVERT = {
    "slug": as_text,
    "id": as_text,
    "text": as_text,
    "label": to_choice,
    "choice": to_choice,
    "number": to_number,
    "date": to_date,
    "bool": to_bool,
}


def coerce_table(table: str, raw: pd.DataFrame, *, keep_index: bool = False) -> pd.DataFrame:
    """Return the typed table: contract columns converted, absent optional columns filled.

    Ids and text are ``str``, numbers ``float64``, dates ``datetime64[ns]`` and
    bools ``bool`` (a blank optional bool takes the column default). Extra
    columns are kept (as text) for the tables in :data:`KEEP_EXTRA` and dropped
    elsewhere. Values that do not convert become missing, so validate first.
    The index is reset to 0..n-1 unless ``keep_index``.
    """
    out = {}
    n = len(raw)
    for spec in COLUMNS[table]:
        if spec.name in raw.columns:
            col = _CONVERT[spec.kind](raw[spec.name])
        elif spec.kind == "bool":
            col = pd.Series(np.full(n, bool(spec.default)), index=raw.index)
        elif spec.kind == "number":
            col = pd.Series(np.full(n, np.nan), index=raw.index)
        elif spec.kind == "date":
            col = pd.Series(np.full(n, np.datetime64("NaT", "ns")), index=raw.index)
        else:
            col = pd.Series(pd.NA, index=raw.index, dtype="str")
        if spec.kind == "bool":
            col = col.fillna(bool(spec.default)).astype(bool)
        elif spec.kind in ("slug", "id", "text", "label", "choice"):
            col = col.astype("str")
            if spec.nullable:
                col = col.where(col.str.len() > 0)
        out[spec.name] = col
    typed = pd.DataFrame(out, index=raw.index)
    if table in KEEP_EXTRA:
        known = {spec.name for spec in COLUMNS[table]}
        for name in raw.columns:
            if name not in known:
                typed[name] = as_text(raw[name]).astype("str")
    return typed if keep_index else typed.reset_index(drop=True)


def empty_table(table: str) -> pd.DataFrame:
    """A typed table with the contract's columns and no rows (for an absent optional file).

    Each call returns a new frame (a copy of one made once per table: making it converts every column, about
    2 ms, and a load asks for every absent table).
    """
    return _empty_table(table).copy()


@functools.cache
def _empty_table(table: str) -> pd.DataFrame:
    return coerce_table(table, pd.DataFrame({spec.name: pd.Series([], dtype="str") for spec in COLUMNS[table]}))


# --- rules the contract implies: group columns and the order of waves ----------------------------------------
def group_columns(participant_columns) -> list[str]:
    """The participants' demographic/group columns among ``participant_columns``.

    Every column but the ids, ``arm`` and the identifying columns
    (:data:`IDENTIFYING_COLUMNS`, e.g. ``name`` or ``email``), which are never a
    group and never shown.

    Examples
    --------
    >>> group_columns(["participant_id", "partnership_id", "gender", "email", "arm"])
    ['gender']
    """
    skip = {"participant_id", "partnership_id", "arm", *IDENTIFYING_COLUMNS}
    return [c for c in participant_columns if c not in skip]


def spelling_key(value) -> str:
    """The spelling of a group value that case and spaces do not change: runs of spaces made one, ends
    stripped, case folded. Two values with the same key are one group written two ways: ``evalkit validate``
    warns about them, ``evalkit import`` writes them the way most rows do.

    Examples
    --------
    >>> spelling_key("  Non  binary "), spelling_key("NON BINARY")
    ('non binary', 'non binary')
    """
    return " ".join(str(value).split()).casefold()


def order_waves(seen, table: pd.DataFrame | None = None) -> list[str]:
    """The waves ``seen`` in the responses, in analysis order.

    With a ``waves`` table, the waves it lists come first, sorted by ``order``,
    then ``date``, then ``role`` (baseline, post, followup), then their row in the
    table. Waves it does not list (and every wave when there is no table) follow
    in the default order: ``pre``, ``post``, then the others in order of first
    appearance in ``seen``. Only waves in ``seen`` are returned.

    Examples
    --------
    >>> order_waves(["followup", "post", "pre"])
    ['pre', 'post', 'followup']
    >>> order_waves(["t2", "t1", "t3"], pd.DataFrame({"wave": ["t1", "t2", "t3"], "order": [1, 2, 3]}))
    ['t1', 't2', 't3']
    """
    seen = list(dict.fromkeys(str(w) for w in seen))
    listed: list[str] = []
    if table is not None and len(table):
        t = table.dropna(subset=["wave"]).drop_duplicates("wave")
        rank = {role: i for i, role in enumerate(WAVE_ROLES)}
        t = t.assign(_role=t["role"].map(rank) if "role" in t else float("nan"), _pos=range(len(t)))
        keys = [k for k in ("order", "date", "_role", "_pos") if k in t.columns]
        t = t.sort_values(keys, na_position="last", kind="stable")
        listed = [w for w in t["wave"] if w in seen]
    rest = [w for w in seen if w not in listed]
    first = [w for w in (PRE, POST) if w in rest]
    return listed + first + [w for w in rest if w not in first]


def wave_roles(order: list[str], table: pd.DataFrame | None = None) -> dict[str, str]:
    """Role of each wave of ``order`` (analysis order): ``baseline``, ``post`` or ``followup``.

    Roles given in the ``waves`` table are kept. Otherwise ``pre`` (else the first
    wave, unless it is ``post``) is the baseline, the wave named ``post`` (else the
    first wave after the baseline) is the post wave, and every later wave is a
    follow-up. ``pre`` and ``post`` keep their roles when the other is absent, so a
    partnership whose post survey is in but whose baseline is missing is not
    mistaken for a baseline-only one.

    Examples
    --------
    >>> wave_roles(["baseline", "endline", "month6"])
    {'baseline': 'baseline', 'endline': 'post', 'month6': 'followup'}
    >>> wave_roles(["post", "followup"])
    {'post': 'post', 'followup': 'followup'}
    """
    given: dict[str, str] = {}
    if table is not None and len(table) and "role" in table:
        given = {w: r for w, r in zip(table["wave"], table["role"]) if isinstance(r, str) and w in order}
    roles = dict(given)
    free = [w for w in order if w not in roles]
    if free and "baseline" not in roles.values():
        first = PRE if PRE in free else (free[0] if free[0] != POST else None)
        if first is not None:
            roles[first] = "baseline"
            free.remove(first)
    if free and "post" not in roles.values():
        roles[POST if POST in free else free[0]] = "post"
    roles.update({w: "followup" for w in order if w not in roles})
    return {w: roles[w] for w in order}
