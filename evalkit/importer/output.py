"""Write an import: the contract tables and ``import_report.md``, all or nothing.

The files are written into a temporary sibling folder, checked with
:func:`evalkit.validate.validate_dir`, and only then moved into place, so a failed
import leaves the output folder as it was.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

from evalkit.errors import DataValidationError, InputError

REPORT_NAME = "import_report.md"


def check_out_dir(out_dir: Path, inputs: list[Path]) -> None:
    """Refuse an output folder that holds the inputs or other files than an earlier import."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"{out_dir} is a file; expected a folder to write the tables into")
    for path in inputs:
        if out == path.resolve().parent or out in path.resolve().parents:
            raise InputError(f"{out_dir} holds the input file {path.name}; write the tables into another folder")
    if out.is_dir() and any(out.iterdir()) and not (out / REPORT_NAME).is_file():
        raise InputError(f"{out_dir} is not empty and holds no earlier import ({REPORT_NAME}); "
                         "choose a new or empty folder")


def write_tables(tables: dict, report_md: str, out_dir: str | Path) -> Path:
    """Write ``<table>.csv`` for each table and ``import_report.md`` into ``out_dir``, atomically.

    An earlier import in ``out_dir`` is replaced only once the new one is complete and valid.
    Raises :class:`~evalkit.errors.DataValidationError` (nothing written) if the tables do
    not pass :func:`evalkit.validate.validate_dir`.
    """
    from evalkit.validate import validate_dir

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.import-", dir=out.parent))
    try:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False)
        (tmp / REPORT_NAME).write_text(report_md, encoding="utf-8")
        problems = validate_dir(tmp)
        if problems:
            raise DataValidationError(list(problems), source=f"the imported tables (nothing was written to {out})")
        if out.exists():
            old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
