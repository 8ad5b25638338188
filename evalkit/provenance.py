"""Provenance records: which original files a folder of derived tables was cut from, and their checksums.

A batch run validates the data once, cuts one small folder (a *slice*) per
partnership and records, in a ``provenance.json``, the original files and the
slice files' SHA-256 (:func:`write_provenance`). Whoever reads the slice may then
trust it, but only explicitly: :func:`evalkit.load.load_data` takes the record
through its ``provenance`` argument and never looks for one by itself.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from evalkit.errors import InputError
from evalkit.read import file_sha256

#: The record's usual file name, beside the slice files.
PROVENANCE = "provenance.json"


def write_provenance(folder, sources, target=None) -> Path:
    """Record where the tables of ``folder`` came from, and the SHA-256 of each file in it.

    Parameters
    ----------
    folder : str or Path
        The folder of derived tables (a slice), already complete.
    sources : Mapping[str, evalkit.read.SourceFile]
        table -> the original, validated file the table was cut from.
    target : str or Path, optional
        Where to write the record (default ``folder/provenance.json``).

    Returns
    -------
    Path
        The record written. A slice file edited afterwards no longer matches it,
        so the slice is then validated again (see :func:`trusted_origin`).

    Examples
    --------
    >>> import tempfile, evalkit
    >>> data = evalkit.load_data("data/sample", "riverside-literacy")
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "measures.csv").write_text("measure\\n")
    >>> record = write_provenance(folder, data.sources)
    >>> sorted(json.loads(record.read_text())["slice_sha256"])
    ['measures.csv']
    """
    folder = Path(folder)
    target = Path(target) if target is not None else folder / PROVENANCE
    info = {
        "sources": {table: {"name": src.name, "path": str(src.path), "sha256": src.sha256, "format": src.format}
                    for table, src in sources.items()},
        "slice_sha256": {p.name: file_sha256(p) for p in sorted(folder.iterdir())
                         if p.is_file() and p.resolve() != target.resolve()},
    }
    target.write_text(json.dumps(info, indent=2))
    return target


def trusted_origin(record, paths: Mapping[str, Path], digests: Mapping[str, str]) -> dict | None:
    """The original sources named by ``record`` if the files read are exactly those it lists, else None.

    Parameters
    ----------
    record : str or Path
        A provenance record written by :func:`write_provenance`, passed by a caller
        that trusts it (the batch that wrote it).
    paths : Mapping[str, Path]
        table -> the file read for it.
    digests : Mapping[str, str]
        table -> SHA-256 of that file.

    Returns
    -------
    dict or None
        table -> ``{"name", "path", "sha256", "format"}`` of the original file, or
        None when a file was added, removed or changed since the record was written.

    Raises
    ------
    evalkit.errors.InputError
        If ``record`` does not exist or is not a provenance record.
    """
    record = Path(record)
    try:
        info = json.loads(record.read_text())
        expected, origin = info["slice_sha256"], info["sources"]
    except OSError as exc:
        raise InputError(f"{record}: the provenance record could not be read ({exc}); expected the "
                         "provenance.json a batch run wrote beside its slice") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{record}: not an evalkit provenance record (no slice_sha256/sources); expected "
                         "the provenance.json a batch run wrote beside its slice") from exc
    actual = {paths[table].name: digest for table, digest in digests.items()}
    return origin if actual == expected else None
