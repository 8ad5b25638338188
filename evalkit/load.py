"""Load a data folder into a typed, validated :class:`Dataset`: read, validate, type, scrub.

A data folder holds one file per table (``partnerships``, ``participants``,
``measures``, ``responses`` and the optional tables of ``data/README.md``) as CSV,
Excel (``.xlsx``) or Parquet. :mod:`evalkit.read` finds and reads the files,
:mod:`evalkit.validate` checks them, and :func:`load_data` puts the typed tables
together. Input files are only ever read, never modified.

Dependencies point one way: ``load -> validate -> read, schema``; nothing below
imports this module.
"""
from __future__ import annotations

import html
import time
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from evalkit import schema
from evalkit.errors import DataValidationError, InputError, Violation
from evalkit.provenance import trusted_origin
# Reading and wave ordering live below this module; re-exported here for existing callers.
from evalkit.read import SourceFile, file_sha256, find_sources, normalise_header, read_table, read_tables  # noqa: F401
from evalkit.schema import order_waves, wave_roles  # noqa: F401
from evalkit.validate import check_tables, validate_dir


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
    waves : pandas.DataFrame
        The optional ``waves`` table (``wave, order, role, date``; empty when absent).
        The waves in analysis order are :attr:`wave_order`, their roles :attr:`wave_roles`.
    labels : pandas.DataFrame
        The optional ``labels`` table (``column, value, label, order``; empty when absent):
        how reports name the group columns and their groups, and the groups' order
        (:mod:`evalkit.labels`).
    comments, themes, stories, indicators, milestones, partner_survey, community : pandas.DataFrame
        The optional partnership-health tables (``data/README.md``; empty when absent):
        participants' comments and the themes codebook, success stories,
        partnership-level indicators, the action plan's milestones, the partners'
        own check-in survey and the make-up of the community served.
    """

    data_dir: Path
    partnerships: pd.DataFrame
    participants: pd.DataFrame
    measures: pd.DataFrame
    responses: pd.DataFrame
    attendance: pd.DataFrame
    targets: pd.DataFrame
    sources: Mapping[str, SourceFile] = field(default_factory=lambda: MappingProxyType({}))
    waves: pd.DataFrame = field(default_factory=lambda: schema.empty_table("waves"))
    labels: pd.DataFrame = field(default_factory=lambda: schema.empty_table("labels"))
    comments: pd.DataFrame = field(default_factory=lambda: schema.empty_table("comments"))
    themes: pd.DataFrame = field(default_factory=lambda: schema.empty_table("themes"))
    stories: pd.DataFrame = field(default_factory=lambda: schema.empty_table("stories"))
    indicators: pd.DataFrame = field(default_factory=lambda: schema.empty_table("indicators"))
    milestones: pd.DataFrame = field(default_factory=lambda: schema.empty_table("milestones"))
    partner_survey: pd.DataFrame = field(default_factory=lambda: schema.empty_table("partner_survey"))
    community: pd.DataFrame = field(default_factory=lambda: schema.empty_table("community"))

    @property
    def group_columns(self) -> list[str]:
        """The participants' demographic/group columns.

        Every column but the ids, ``arm`` and the identifying columns
        (:data:`evalkit.schema.IDENTIFYING_COLUMNS`, e.g. ``name`` or ``email``),
        which are never a group and never shown.
        """
        return schema.group_columns(self.participants.columns)

    @property
    def identifying_columns(self) -> list[str]:
        """The participants' columns that identify a person (:data:`evalkit.schema.IDENTIFYING_COLUMNS`)."""
        return [c for c in self.participants.columns if c in schema.IDENTIFYING_COLUMNS]

    @property
    def wave_order(self) -> list[str]:
        """Waves in the responses, in analysis order (see :func:`order_waves`)."""
        return order_waves(pd.unique(self.responses["wave"].dropna()), self.waves)

    @property
    def wave_roles(self) -> dict[str, str]:
        """Wave -> role (``baseline``, ``post`` or ``followup``) for the waves in the responses (:func:`wave_roles`)."""
        return wave_roles(self.wave_order, self.waves)

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
        _one_partnership_id(partnership_id)
        known = self.partnership_ids
        if partnership_id not in known:
            raise InputError(f"unknown partnership_id {partnership_id!r}; known partnerships: {', '.join(known)}")
        tables = {name: _rows_of(getattr(self, name), partnership_id) for name in _PER_PARTNERSHIP}
        return replace(self, **tables)

    def partnership_slices(self, partnership_ids=None) -> dict[str, "Dataset"]:
        """Each partnership's Dataset (as :meth:`for_partnership` gives it), in one pass over each table.

        For analyses that loop over partnerships: filtering every table once per
        partnership costs partnerships x rows; grouping once costs rows.

        Parameters
        ----------
        partnership_ids : list of str, optional
            The partnerships to slice (default: all).

        Returns
        -------
        dict of str to Dataset
        """
        ids = self.partnership_ids if partnership_ids is None else list(partnership_ids)
        rows = {name: getattr(self, name).groupby("partnership_id", sort=False).indices for name in _PER_PARTNERSHIP}
        empty = np.array([], dtype=int)
        return {pid: replace(self, **{name: getattr(self, name).iloc[rows[name].get(pid, empty)].reset_index(drop=True)
                                      for name in _PER_PARTNERSHIP})
                for pid in ids}

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


#: Tables whose rows belong to one partnership (measures and themes are shared by all).
_PER_PARTNERSHIP = ("partnerships", "participants", "responses", "attendance", "targets",
                    *(t for t in schema.HEALTH_TABLES if t != "themes"))


def _rows_of(frame: pd.DataFrame, partnership_id: str) -> pd.DataFrame:
    return frame[frame["partnership_id"] == partnership_id].reset_index(drop=True)


def _one_partnership_id(partnership_id) -> None:
    """InputError unless ``partnership_id`` is one id (a string): a list would be "unknown" beside its own ids."""
    if not isinstance(partnership_id, str):
        raise InputError(f"partnership_id must be one partnership id (a string), got {partnership_id!r}; load every "
                         "partnership (no partnership_id) to analyse several")


def _check_partnership_id(path: Path, partnership_id: str) -> None:
    _one_partnership_id(partnership_id)
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
def load_data(data_dir: str | Path, partnership_id: str | None = None, *, validate: bool = True,
              provenance: str | Path | None = None) -> Dataset:
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
    provenance : str or Path, optional
        A provenance record (``provenance.json``, :func:`evalkit.provenance.write_provenance`)
        that the caller trusts, e.g. the one a batch run wrote for the slice it
        cut from data it had validated. While every file read is exactly one the
        record lists (same name, same SHA-256), the data are not validated again
        and ``sources`` names the original files and checksums; otherwise they are
        validated as usual. ``load_data`` never looks for a record by itself.

    Returns
    -------
    Dataset

    Raises
    ------
    evalkit.errors.DataValidationError
        Listing every violation of the contract (file, spreadsheet row, column, what was expected).
    evalkit.errors.InputError
        If ``partnership_id`` is not a partnership of the data, or ``provenance``
        is not a readable provenance record.

    Notes
    -----
    A batch run's slices are trusted only through ``provenance``: a
    ``provenance.json`` lying in ``data_dir`` is ignored (it is not a table).

    A table file written, replaced, added or removed while the folder is read (size, times
    and inode compared before and after reading and validating) makes the whole folder be read
    again, so a run never uses half of a file an export was still writing; after
    :data:`READ_ATTEMPTS` reads that each saw a change, a DataValidationError names the files.

    Free text (comments, stories, milestones) is scrubbed of contact details,
    participant ids and names as it is read, the text of a story told without
    consent is not kept, and the participants' identifying columns (``name``,
    ``email``...: :data:`evalkit.schema.IDENTIFYING_COLUMNS`) are dropped once
    used for that (:func:`evalkit.voices.scrub_tables`): no later step can show them.

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
    data_dir = Path(data_dir)
    for attempt in range(READ_ATTEMPTS):  # a file written while it is read is read again, whole
        if attempt:
            time.sleep(REREAD_PAUSE)
        before = _file_states(data_dir)
        try:
            data = _load_once(data_dir, partnership_id, validate, provenance)
        except DataValidationError:
            changed = _changed(before, _file_states(data_dir))
            if not changed:  # the files as they stand break the contract
                raise
        else:
            changed = _changed(before, _file_states(data_dir))
            if not changed:
                return data
    raise DataValidationError([Violation(name, None, None, f"the file changed while evalkit was reading it "
                                         f"({READ_ATTEMPTS} reads in a row): another program is still writing the "
                                         "data folder; expected files that stay unchanged while they are read. Run "
                                         "again once the export has finished.") for name in changed],
                              source=str(data_dir))


#: Reads of a data folder before a file that keeps changing is an error, and the pause before each new read.
READ_ATTEMPTS, REREAD_PAUSE = 3, 1.0


def _file_states(data_dir: Path) -> dict[str, tuple]:
    """Size, modification and change times and inode of each table file: what a rewrite or a replace changes."""
    states = {}
    try:
        entries = list(data_dir.iterdir())
    except OSError:
        return states
    for path in entries:
        if path.stem.lower() in schema.TABLES and path.suffix.lower() in schema.FORMATS:
            try:
                st = path.stat()
            except OSError:  # removed meanwhile: absent from the states, so a change
                continue
            states[path.name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    return states


def _changed(before: dict, after: dict) -> list[str]:
    """Names of the table files written, replaced, added or removed between two :func:`_file_states`."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def _load_once(data_dir: Path, partnership_id: str | None, validate: bool, provenance) -> Dataset:
    """:func:`load_data` for one read of the folder (the caller checks that no file changed meanwhile)."""
    paths, violations = find_sources(data_dir)
    if violations:
        raise DataValidationError(violations, source=str(data_dir))
    if partnership_id is not None:
        _check_partnership_id(paths["partnerships"], partnership_id)
    raw, violations = read_tables(paths, partnership_id)
    if violations:
        raise DataValidationError(violations, source=str(data_dir))

    files = {table: path.name for table, path in paths.items()}
    digests = {table: file_sha256(path) for table, path in paths.items()}
    origin = None if provenance is None else trusted_origin(provenance, paths, digests)
    if origin is not None:  # files the caller vouches for (a batch's slice of validated data), unchanged since
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
    from evalkit.voices import scrub_tables

    tables = scrub_tables(tables)  # free text scrubbed, stories without consent emptied, identifying columns dropped
    sources = {
        table: SourceFile(path.name, path, digests[table], schema.FORMATS[path.suffix.lower()], len(raw[table]))
        for table, path in paths.items()
    }
    if origin is not None:
        sources = {table: SourceFile(o["name"], Path(o["path"]), o["sha256"], o["format"], len(raw[table]))
                   for table, o in origin.items() if table in raw}
    return Dataset(data_dir=data_dir, sources=MappingProxyType(sources), **tables)
