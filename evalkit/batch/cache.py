"""Partition validated data once per run: one small Parquet folder per partnership.

Every report's kernel would otherwise re-read (and re-validate) the whole data
folder, so its time and peak memory would grow with the number of partnerships.
Instead the batch parent, which has validated the data once, splits every table
by ``partnership_id`` in one pass (``groupby``), and writes each partnership's
rows as Parquet into ``<cache folder>/<partnership_id>/`` (:func:`cache_folder`: outside
the published ``out_dir``, since the slices are row-level); the template's ``data_dir``
points there, so a kernel reads only its own rows. The slices are typed tables that
:func:`evalkit.load.load_data` reads back unchanged.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from evalkit.provenance import write_provenance



def cache_folder(out_dir, cache_dir=None) -> Path:
    """Where a run into ``out_dir`` keeps its slices: never inside the folder that is published.

    ``<cache_dir>/<hash>`` when ``cache_dir`` is given, else ``$EVALKIT_CACHE_HOME/<hash>``, else
    ``$XDG_CACHE_HOME/evalkit/<hash>`` (default ``~/.cache/evalkit/<hash>``), where
    ``<hash>`` is the first 16 hex digits of the SHA-256 of the resolved output folder,
    so two output folders never share slices, even under one ``--cache-dir`` (two runs into
    different folders at once wrote the same ``<cache_dir>/_portfolio``, and one portfolio
    summarised the other run's data).

    Raises
    ------
    evalkit.errors.InputError
        If the cache folder would lie inside ``out_dir`` (its row-level data would be published), or
        there is no default because no home folder can be found.
    """
    from evalkit.errors import InputError

    out = Path(out_dir).resolve()
    if cache_dir is None:
        try:
            base = os.environ.get("EVALKIT_CACHE_HOME") or \
                Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evalkit"
        except RuntimeError:  # HOME unset and no passwd entry (a cron or container user): no default
            raise InputError("No home folder to keep the run's data slices in (HOME is not set); give a folder "
                             "with --cache-dir (or set EVALKIT_CACHE_HOME).") from None
    else:
        base = cache_dir
    folder = (Path(base) / hashlib.sha256(str(out).encode()).hexdigest()[:16]).resolve()
    if folder == out or out in folder.parents:
        raise InputError(f"The cache folder {str(folder)!r} is inside the output folder {str(out)!r}; its "
                         "row-level data would be published. Choose a --cache-dir outside --out.")
    return folder


def split_by_partnership(data, partnership_ids) -> dict[str, dict]:
    """``{partnership_id: {table: DataFrame}}`` for the given partnerships, in one pass per table.

    Tables without a ``partnership_id`` column (``measures``) are shared by every slice.
    """
    from evalkit import schema

    wanted = list(partnership_ids)
    slices: dict[str, dict] = {pid: {} for pid in wanted}
    for table in schema.TABLES:
        frame = getattr(data, table)
        if "partnership_id" not in frame.columns:
            for pid in wanted:
                slices[pid][table] = frame
            continue
        groups = {key: rows for key, rows in frame.groupby("partnership_id", sort=False, observed=True)}
        empty = frame.iloc[0:0]
        for pid in wanted:
            slices[pid][table] = groups.get(pid, empty).reset_index(drop=True)
    return slices


def slice_digest(tables: dict) -> str:
    """SHA-256 over the names, columns and content of a slice's tables."""
    import pandas as pd

    digest = hashlib.sha256()
    for table in sorted(tables):
        frame = tables[table]
        digest.update(table.encode())
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(",".join(map(str, frame.dtypes)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def write_slice(tables: dict, folder, sources=None) -> Path:
    """Write a slice's tables as ``<table>.parquet`` into ``folder``, replacing it whole.

    The files are written to a temporary sibling folder first, which then takes
    the place of ``folder``, so a reader never sees half a slice. With ``sources``
    (the validated dataset's :class:`evalkit.load.SourceFile` mapping), a
    ``provenance.json`` records the original files and the slice files' SHA-256:
    :func:`evalkit.load.load_data`, given that record (``provenance=``), then skips
    re-validating the unchanged slice and reports the original files in its ``sources``.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:12]}.tmp")
    staging.mkdir()
    try:
        for table, frame in tables.items():
            frame.to_parquet(staging / f"{table}.parquet", index=False)
        if sources is not None:
            write_provenance(staging, sources)
        if folder.exists():
            retired = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:12]}.old")
            os.replace(folder, retired)
            shutil.rmtree(retired, ignore_errors=True)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
