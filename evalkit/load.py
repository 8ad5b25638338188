"""Read the tables of a data folder into a typed, validated :class:`Dataset`.

A data folder holds one file per table (``partnerships``, ``participants``,
``measures``, ``responses`` and optionally ``attendance`` and ``targets``) as
CSV, Excel (``.xlsx``) or Parquet; ``data/README.md`` is the data contract.
Input files are only ever read, never modified.
"""
from __future__ import annotations

import hashlib
import html
import json
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from evalkit import schema
from evalkit.errors import DataValidationError, InputError, Violation


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
    options = dict(dtype="str", keep_default_na=False, na_values=schema.NA_VALUES, skip_blank_lines=False)
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as Windows-1252 (e.g. "Café Société").
        return pd.read_csv(path, encoding="cp1252", **options)


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
    >>> from evalkit.load import read_table
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
            frame.isetitem(i, col.where(col.str.len() > 0))
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- slices of validated data ----------------------------------------------------
PROVENANCE = "provenance.json"


def write_provenance(folder, sources) -> Path:
    """Record, in ``folder/provenance.json``, where a slice's tables came from.

    ``sources`` are the original files (validated) the slice was cut from; the
    slice files' own SHA-256 are recorded too, so a slice edited afterwards is no
    longer trusted (see :func:`load_data`).
    """
    folder = Path(folder)
    info = {
        "sources": {table: {"name": src.name, "path": str(src.path), "sha256": src.sha256, "format": src.format}
                    for table, src in sources.items()},
        "slice_sha256": {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.name != PROVENANCE},
    }
    target = folder / PROVENANCE
    target.write_text(json.dumps(info, indent=2))
    return target


def _validated_origin(data_dir: Path, paths: dict, digests: dict) -> dict | None:
    """The original sources of an unchanged slice evalkit cut from validated data, else None."""
    record = data_dir / PROVENANCE
    if not record.is_file():
        return None
    try:
        info = json.loads(record.read_text())
        expected = info["slice_sha256"]
        origin = info["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    actual = {paths[table].name: digest for table, digest in digests.items()}
    return origin if actual == expected else None


# --- the dataset ----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Dataset:
    """The typed tables of one data folder (or of one partnership in it).

    Attributes
    ----------
    data_dir : Path
        The folder the tables were read from.
    partnerships, participants, measures, responses, attendance, targets : pandas.DataFrame
        Clean tables (see ``data/README.md``): ids and text as ``str``, ``value``
        as float, dates as ``datetime64``, flags as ``bool``. ``attendance`` and
        ``targets`` are empty (with their columns) when their file is absent.
    sources : Mapping[str, SourceFile]
        table name -> the file it came from (absent optional tables are not listed).
    """

    data_dir: Path
    partnerships: pd.DataFrame
    participants: pd.DataFrame
    measures: pd.DataFrame
    responses: pd.DataFrame
    attendance: pd.DataFrame
    targets: pd.DataFrame
    sources: Mapping[str, SourceFile] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def group_columns(self) -> list[str]:
        """The participants' demographic/group columns (every column but the two ids)."""
        return [c for c in self.participants.columns if c not in ("participant_id", "partnership_id")]

    @property
    def waves(self) -> list[str]:
        """Waves in the responses: ``pre``, ``post``, then the others in order of first appearance."""
        seen = list(pd.unique(self.responses["wave"]))
        first = [w for w in (schema.PRE, schema.POST) if w in seen]
        return first + [w for w in seen if w not in first]

    @property
    def partnership_ids(self) -> list[str]:
        """The partnership ids, in file order."""
        return self.partnerships["partnership_id"].tolist()

    def for_partnership(self, partnership_id: str) -> "Dataset":
        """Return a Dataset with every table filtered to one partnership (measures are shared).

        Raises
        ------
        evalkit.errors.InputError
            If ``partnership_id`` is not in the partnerships table.
        """
        known = self.partnership_ids
        if partnership_id not in known:
            raise InputError(f"unknown partnership_id {partnership_id!r}; known partnerships: {', '.join(known)}")
        tables = {
            name: _rows_of(getattr(self, name), partnership_id)
            for name in ("partnerships", "participants", "responses", "attendance", "targets")
        }
        return replace(self, **tables)

    def _summary(self) -> list[tuple[str, int]]:
        return [(name, len(getattr(self, name))) for name in schema.TABLES]

    def __repr__(self) -> str:
        rows = ", ".join(f"{name}={n}" for name, n in self._summary())
        return f"Dataset({str(self.data_dir)!r}: {rows})"

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{name}</th><td style='text-align:right'>{n:,}</td>"
            f"<td style='text-align:left'>{html.escape(self.sources[name].name) if name in self.sources else 'not recorded'}"
            f"</td></tr>"
            for name, n in self._summary()
        )
        return (f"<table><caption style='text-align:left'><b>Dataset</b> {html.escape(str(self.data_dir))}</caption>"
                f"<tr><th>table</th><th>rows</th><th>file</th></tr>{body}</table>")


def _rows_of(frame: pd.DataFrame, partnership_id: str) -> pd.DataFrame:
    return frame[frame["partnership_id"] == partnership_id].reset_index(drop=True)


def _check_partnership_id(path: Path, partnership_id: str) -> None:
    try:
        frame = read_table(path)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile):
        return  # the unreadable file is reported by the validation that follows
    if "partnership_id" not in frame.columns:
        return
    known = schema.as_text(frame["partnership_id"]).dropna().tolist()
    if partnership_id not in known:
        raise InputError(f"unknown partnership_id {partnership_id!r}; known partnerships: {', '.join(known)}")


# --- loading ---------------------------------------------------------------------
def load_data(data_dir: str | Path, partnership_id: str | None = None, *, validate: bool = True) -> Dataset:
    """Read, validate and type every table of a data folder.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``partnerships``, ``participants``, ``measures``,
        ``responses`` (required) and ``attendance``, ``targets`` (optional), each
        as ``.csv``, ``.xlsx`` or ``.parquet`` (see ``data/README.md``).
    partnership_id : str, optional
        Return only this partnership's rows. Parquet tables are read with a
        pyarrow filter, so other partnerships' rows are never loaded.
    validate : bool, default True
        Check the data contract first. Turn off only for data already validated:
        unchecked bad values silently become missing.

    Returns
    -------
    Dataset

    Raises
    ------
    evalkit.errors.DataValidationError
        Listing every violation of the contract (file, spreadsheet row, column, what was expected).
    evalkit.errors.InputError
        If ``partnership_id`` is not a partnership of the data.

    Notes
    -----
    A folder holding an evalkit ``provenance.json`` (a per-partnership slice that a
    batch run cut from data it had validated) is not validated again while its files
    are unchanged, and ``sources`` then names the original files and checksums.

    With ``partnership_id``, only that partnership's rows are validated (plus the
    whole measures table). If they break the contract, the whole folder is
    validated again so that every reported row number is the file's own.

    Examples
    --------
    >>> import evalkit
    >>> data = evalkit.load_data("data/sample")
    >>> one = evalkit.load_data("data/sample", "riverside-literacy")
    >>> one.partnership_ids
    ['riverside-literacy']
    """
    from evalkit.validate import check_tables, validate_dir

    data_dir = Path(data_dir)
    paths, violations = find_sources(data_dir)
    if violations:
        raise DataValidationError(violations, source=str(data_dir))
    if partnership_id is not None:
        _check_partnership_id(paths["partnerships"], partnership_id)
    raw, violations = read_tables(paths, partnership_id)
    if violations:
        raise DataValidationError(violations, source=str(data_dir))

    files = {table: path.name for table, path in paths.items()}
    digests = {table: _sha256(path) for table, path in paths.items()}
    origin = _validated_origin(data_dir, paths, digests)
    if origin is not None:  # a slice evalkit wrote from data it had validated, unchanged since
        validate = False
    if validate:
        violations, typed = check_tables(raw, files)
        if violations:
            if partnership_id is not None:  # report the file's own row numbers, as a full validation does
                violations = validate_dir(data_dir) or violations
            raise DataValidationError(violations, source=str(data_dir))
    else:
        typed = {table: schema.coerce_table(table, frame) for table, frame in raw.items()}
    tables = {
        table: typed[table].reset_index(drop=True) if table in typed else schema.empty_table(table)
        for table in schema.TABLES
    }
    sources = {
        table: SourceFile(path.name, path, digests[table], schema.FORMATS[path.suffix.lower()], len(raw[table]))
        for table, path in paths.items()
    }
    if origin is not None:
        sources = {table: SourceFile(o["name"], Path(o["path"]), o["sha256"], o["format"], len(raw[table]))
                   for table, o in origin.items() if table in raw}
    return Dataset(data_dir=data_dir, sources=MappingProxyType(sources), **tables)
