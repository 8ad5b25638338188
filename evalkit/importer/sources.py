"""Read one survey export as it comes: CSV, Excel, Parquet, SPSS ``.sav`` or Stata ``.dta``.

Qualtrics exports (three header rows: names, question text, ``{"ImportId": ...}``) and Google
Forms exports (question text as headers, a ``Timestamp`` first column) are recognised. SPSS and
Stata files are read with pyreadstat; their variable labels and value labels are kept.
Files are only read, never modified.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit import schema
from evalkit.errors import Violation
from evalkit.importer.spec import SourceSpec, cell_text
from evalkit.load import normalise_header

#: file suffix -> format read
SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet",
            ".sav": "spss", ".zsav": "spss", ".dta": "stata"}
#: columns a Qualtrics export adds before the questions (never measures or groups)
QUALTRICS_META = ("startdate", "enddate", "status", "ipaddress", "progress", "duration_(in_seconds)", "finished",
                  "recordeddate", "responseid", "recipientlastname", "recipientfirstname", "recipientemail",
                  "externalreference", "externaldatareference", "locationlatitude", "locationlongitude",
                  "distributionchannel", "userlanguage", "q_recaptchascore", "q_relevantidduplicate")
GOOGLE_FORMS_META = ("timestamp", "email_address", "score")


@dataclass(frozen=True)
class Source:
    """One export as read: its cells, where its data rows start, and the labels it carries.

    ``frame`` keeps the original headers and raw cells (text for CSV and Excel, stored
    types for Parquet, SPSS and Stata); its index is the data-row position, so the row a
    spreadsheet shows is ``index + first_row``. ``tool`` is ``"qualtrics"``,
    ``"google-forms"`` or None. ``column_labels`` maps a column to its question text
    (Qualtrics' second header row, SPSS/Stata variable labels); ``value_labels`` maps a
    column to ``{code text: label}`` (SPSS/Stata value labels).
    """

    spec: SourceSpec
    name: str
    frame: pd.DataFrame
    format: str
    first_row: int = 2
    tool: str | None = None
    column_labels: dict = field(default_factory=dict)
    value_labels: dict = field(default_factory=dict)

    @property
    def wave(self) -> str | None:
        return self.spec.wave

    def find(self, column: str) -> str | None:
        """The header matching ``column`` exactly, else ignoring case and spacing (None when absent)."""
        if column in self.frame.columns:
            return column
        want = normalise_header(column)
        found = [c for c in self.frame.columns if normalise_header(c) == want]
        return found[0] if len(found) == 1 else None

    def suggest(self, column: str) -> str:
        """A hint naming the closest headers, for an unknown-column message."""
        import difflib

        names = [str(c) for c in self.frame.columns]
        close = difflib.get_close_matches(column, names, n=2, cutoff=0.6)
        if not close:
            lowered = {n.lower(): n for n in names}
            close = [lowered[c] for c in difflib.get_close_matches(column.lower(), list(lowered), n=2, cutoff=0.6)]
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return f"the file has no column '{column}' (its columns: {shown}){hint}"

    def label_of(self, column: str, code) -> str | None:
        """The value label of ``code`` in ``column`` (SPSS/Stata), else None."""
        labels = self.value_labels.get(column)
        return labels.get(cell_text(code)) if labels else None


def _read_text_table(path: Path, fmt: str, sheet) -> pd.DataFrame:
    options = dict(dtype="str", keep_default_na=False, na_values=schema.NA_VALUES)
    if fmt == "excel":
        return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, engine="openpyxl", **options)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", skip_blank_lines=False, **options)
    except UnicodeDecodeError:  # Excel on Windows saves "CSV" as Windows-1252
        return pd.read_csv(path, encoding="cp1252", skip_blank_lines=False, **options)


def _is_qualtrics(frame: pd.DataFrame) -> bool:
    if len(frame) < 2:
        return False
    third = frame.iloc[1].dropna().astype(str).str.strip()
    return len(third) > 0 and third.str.startswith('{"ImportId"').mean() >= 0.5


def excel_sheets(path: Path) -> list[str] | None:
    """The sheet names of an Excel workbook, in order (None when it cannot be opened: reading it says why)."""
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception:  # noqa: BLE001 - a damaged workbook is reported by the read that follows
        return None


def read_source(spec: SourceSpec) -> tuple[Source | None, list[Violation]]:
    """Read one export named by the spec (see the module docstring).

    Returns the :class:`Source`, or None and a violation naming the file when it is
    missing, of an unknown type or unreadable.
    """
    path = spec.path
    fmt = SUFFIXES.get(path.suffix.lower())
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        return None, [Violation(path.name, None, None, f"the file {what} ({path}); check the source's path "
                                "(relative paths are read from the spec's folder)")]
    if fmt is None:
        return None, [Violation(path.name, None, None, f"unsupported file type '{path.suffix}'; expected one of "
                                f"{', '.join(sorted(set(SUFFIXES)))}")]
    import pyreadstat

    if fmt == "excel" and spec.sheet is not None and not isinstance(spec.sheet, int):
        sheets = excel_sheets(path)
        if sheets is not None and str(spec.sheet) not in sheets:   # a typo in the spec, not a damaged file
            import difflib

            close = difflib.get_close_matches(str(spec.sheet), sheets, n=1, cutoff=0.6)
            return None, [Violation(path.name, None, None, f"the workbook has no sheet '{spec.sheet}'; its sheets: "
                                    + ", ".join(sheets) + (f"; did you mean '{close[0]}'?" if close else ""))]
    try:
        if fmt in ("spss", "stata"):
            return _read_labelled(spec, fmt), []
        if fmt == "parquet":
            return Source(spec, path.name, pd.read_parquet(path).reset_index(drop=True), fmt), []
        frame = _read_text_table(path, fmt, spec.sheet)
    except (ValueError, OSError, KeyError, IndexError, zipfile.BadZipFile, pd.errors.ParserError,
            pyreadstat.PyreadstatError, pyreadstat.ReadstatError) as exc:
        expected = {"csv": "a CSV file with a header row", "excel": "an Excel workbook (.xlsx)",
                    "parquet": "a Parquet file", "spss": "an SPSS .sav file", "stata": "a Stata .dta file"}[fmt]
        return None, [Violation(path.name, None, None, f"the file could not be read ({str(exc).strip()[:200]}); "
                                f"expected {expected}")]
    frame = frame.loc[:, [not (str(c).startswith("Unnamed:") and frame[c].isna().all()) for c in frame.columns]]
    if _is_qualtrics(frame):  # row 2 of the file is the question text, row 3 the ImportId JSON
        labels = {c: cell_text(v) for c, v in frame.iloc[0].items() if cell_text(v)}
        body = frame.iloc[2:].reset_index(drop=True)
        return Source(spec, path.name, _strip(body), fmt, first_row=4, tool="qualtrics",
                      column_labels=labels), []
    tool = None
    if len(frame.columns) and normalise_header(frame.columns[0]) == "timestamp":
        tool = "google-forms"
    labels = {c: str(c).strip() for c in frame.columns} if tool else {}
    return Source(spec, path.name, _strip(frame), fmt, tool=tool, column_labels=labels), []


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    """Strip text cells; blank cells become missing. Entirely empty rows are kept out of the data."""
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if col.dtype == object:
            text = col.astype("string").str.strip()
            out.isetitem(i, text.where(text.str.len() > 0).astype(object).where(lambda s: s.notna(), None))
    return out[out.notna().any(axis=1)]


def _read_labelled(spec: SourceSpec, fmt: str) -> Source:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
    frame, meta = reader(str(spec.path), apply_value_formats=False, user_missing=False)
    column_labels = {c: label for c, label in meta.column_names_to_labels.items() if label}
    value_labels = {c: {cell_text(k): str(v) for k, v in labels.items()}
                    for c, labels in (meta.variable_value_labels or {}).items()}
    return Source(spec, spec.path.name, frame, fmt, column_labels=column_labels, value_labels=value_labels)
