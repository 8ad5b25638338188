"""Read the files of a data folder, as exported by Excel or a survey tool, without typing their values.

A data folder holds one file per table (see :data:`evalkit.schema.TABLES`) as CSV,
Excel (``.xlsx``) or Parquet; ``data/README.md`` is the data contract. This module
only finds and reads them (headers normalised, cells as text): checking is
:mod:`evalkit.validate`, typing and assembling a :class:`evalkit.load.Dataset` is
:mod:`evalkit.load`. Input files are only ever read, never modified.
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import pandas as pd

from evalkit import schema
from evalkit.errors import InputError, Violation


@dataclass(frozen=True)
class SourceFile:
    """Where one table came from: file name, path, SHA-256 of its bytes, format and data rows read."""

    name: str
    path: Path
    sha256: str
    format: str
    n_rows: int


# --- reading one file --------------------------------------------------------
def normalise_header(name: object) -> str:
    """``" Partnership ID "`` -> ``"partnership_id"``: strip, lower-case, spaces to underscores."""
    return "_".join(str(name).replace("\ufeff", "").strip().lower().split())


def _read_csv(path: Path) -> pd.DataFrame:
    import csv
    import io

    options = dict(dtype="str", keep_default_na=False, na_values=schema.NA_VALUES, skip_blank_lines=False)
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]  # Excel's "Unicode text" and some survey tools write UTF-16 with a BOM
    else:
        encodings = ["utf-8-sig", "cp1252"]  # Excel on Windows saves "CSV" as Windows-1252 ("Café Société")
    for i, encoding in enumerate(encodings):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            if i == len(encodings) - 1:
                raise
    frame = pd.read_csv(io.StringIO(text), **options)
    # pandas renames a repeated header ("value,value" -> "value", "value.1"); keep the names as written,
    # so validation reports the repeat instead of silently using one of the two columns
    header = next(csv.reader(io.StringIO(text)), [])
    if len(header) == frame.shape[1]:
        frame.columns = [h if h.strip() else c for h, c in zip(header, frame.columns)]
    return frame


def _parquet_filter_column(path: Path) -> str | None:
    import pyarrow.parquet as pq

    for name in pq.read_schema(path).names:
        if normalise_header(name) == "partnership_id":
            return name
    return None


def _read_parquet(path: Path, partnership_id: str | None) -> pd.DataFrame:
    import pyarrow.parquet as pq

    filters = None
    if partnership_id is not None:
        column = _parquet_filter_column(path)
        if column is not None:
            filters = [(column, "==", partnership_id)]
    return pq.read_table(path, filters=filters).to_pandas()


def read_table(path: str | Path, *, partnership_id: str | None = None) -> pd.DataFrame:
    """Read one table file as exported by Excel or a survey tool, without typing its values.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.xlsx`` (first sheet) or ``.parquet`` file.
    partnership_id : str, optional
        Keep only the rows of this partnership. For Parquet the filter is pushed
        down to pyarrow, so other partnerships' rows are never read.

    Returns
    -------
    pandas.DataFrame
        Headers normalised (stripped, lower-case, spaces to underscores). CSV and
        Excel cells are text, stripped, with blank and ``NA``-like cells missing
        (see ``schema.NA_VALUES``); Parquet columns keep their stored types.
        Entirely empty rows and unnamed empty columns are dropped. The index is
        the data-row position in the file (spreadsheet row = index + 2), except
        for a filtered Parquet read, whose index is simply 0..n-1.

    Notes
    -----
    CSV is read as UTF-8 (a byte-order mark is ignored) and falls back to
    Windows-1252 when the bytes are not valid UTF-8; Windows line endings are fine.

    Examples
    --------
    >>> from evalkit.read import read_table
    >>> read_table("data/sample/measures.csv").columns[:3].tolist()
    ['measure', 'label', 'domain']
    """
    path = Path(path)
    fmt = schema.FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path.name}: unsupported file type; expected one of {', '.join(schema.FORMATS)}")
    if fmt == "parquet":
        frame = _read_parquet(path, partnership_id)
    elif fmt == "xlsx":
        frame = pd.read_excel(path, sheet_name=0, dtype="str", engine="openpyxl",
                              keep_default_na=False, na_values=schema.NA_VALUES)
    else:
        frame = _read_csv(path)
    frame.columns = [normalise_header(c) for c in frame.columns]
    if fmt != "parquet":
        for i in range(frame.shape[1]):  # by position: two headers may normalise to the same name
            col = frame.iloc[:, i].str.strip()
            length = col.str.len()
            if (length == 0).any():  # a cell of spaces only is blank (pandas' where is slow on text: only if needed)
                col = col.where(length > 0)
            frame.isetitem(i, col)
        unnamed = [(c == "" or c.startswith("unnamed:")) and frame.iloc[:, i].isna().all()
                   for i, c in enumerate(frame.columns)]
        frame = frame.loc[:, [not u for u in unnamed]].dropna(how="all")
        if partnership_id is not None and "partnership_id" in frame.columns:
            frame = frame[frame["partnership_id"] == partnership_id]
    return frame


# --- finding the files of a data folder --------------------------------------
def find_sources(data_dir: str | Path) -> tuple[dict[str, Path], list[Violation]]:
    """Locate each table's file in ``data_dir``.

    Returns the paths found (table -> path) and the problems: a missing folder,
    a missing required table, or one table saved in two formats. File names
    match case-insensitively (``Responses.CSV`` is ``responses``).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        what = "is not a folder" if data_dir.exists() else "does not exist"
        return {}, [Violation(str(data_dir), None, None, f"the data folder {what}; expected a folder "
                              f"holding {', '.join(t + '.csv' for t in schema.REQUIRED_TABLES)}")]
    found: dict[str, list[Path]] = {}
    for path in sorted(data_dir.iterdir()):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if path.is_file() and stem in schema.TABLES and suffix in schema.FORMATS:
            found.setdefault(stem, []).append(path)
    sources, violations = {}, []
    for table in schema.TABLES:
        paths = found.get(table, [])
        if len(paths) > 1:
            names = " and ".join(p.name for p in paths)
            violations.append(Violation(paths[0].name, None, None,
                                        f"table '{table}' is saved twice ({names}); keep exactly one file per table"))
        elif paths:
            sources[table] = paths[0]
        elif table in schema.REQUIRED_TABLES:
            violations.append(Violation(f"{table}.csv", None, None,
                                        f"required table '{table}' is missing; expected {table}.csv, "
                                        f"{table}.xlsx or {table}.parquet in {data_dir}"))
    return sources, violations


def unread_files(data_dir: str | Path) -> list[Violation]:
    """Warnings for the data files of ``data_dir`` that no table reads (``Attendance_log.csv``, ``targets (1).csv``).

    A table is read only from ``<table>.csv``, ``.xlsx`` or ``.parquet``; a file saved under another name (an
    export's own name, a browser's second download) would leave its table out of every report, silently. Each
    CSV, Excel or Parquet file whose name is not a table's is named, with the table it looks like when its name
    holds one. Hidden files and other kinds of file (a README, a notebook) are left alone.
    """
    import difflib

    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    out = []
    for path in sorted(data_dir.iterdir()):
        stem, suffix = path.stem.lower(), path.suffix.lower()
        if not path.is_file() or path.name.startswith((".", "~$")) or suffix not in schema.FORMATS or stem in schema.TABLES:
            continue
        words = re.sub(r"[^a-z]+", " ", stem).split()
        held = [t for t in schema.TABLES if t in words or t.rstrip("s") in words or t in stem.replace(" ", "_")]
        close = held or difflib.get_close_matches(stem, schema.TABLES, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}{suffix}?" if close else ""
        out.append(Violation(path.name, None, None, f"'{path.name}' is not read: a table is read only from "
                             f"<table>.csv, .xlsx or .parquet ({', '.join(schema.TABLES)}){hint}"))
    return out


def read_tables(paths: Mapping[str, Path], partnership_id: str | None = None
                ) -> tuple[dict[str, pd.DataFrame], list[Violation]]:
    """Read every located table (see :func:`read_table`); a file that cannot be read is a violation."""
    raw, violations = {}, []
    for table, path in paths.items():
        pid = None if table == "measures" else partnership_id
        try:
            raw[table] = read_table(path, partnership_id=pid)
        except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:  # pandas/pyarrow/openpyxl read errors
            violations.append(Violation(path.name, None, None, f"the file could not be read ({exc}); expected a "
                                        f"{schema.FORMATS[path.suffix.lower()].upper()} table with a header row"))
    return raw, violations


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, as hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
