"""Tables for analysts: a report's tables as one Excel workbook, one sheet per table.

:func:`write_workbook` writes what the report shows (formatted, privacy-protected
tables), never row-level data, with a frozen header row, column widths that fit
the text, and wrapped long cells; the file is written atomically.
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from evalkit.errors import InputError

__all__ = ["write_workbook"]

#: Widest column, in characters; longer text wraps.
MAX_WIDTH = 60


def check_workbook_path(path) -> Path:
    """Return ``path`` as a Path if a workbook may be written there; raise :class:`InputError` otherwise.

    The name must end in ``.xlsx`` (an Excel workbook under another name opens as garbage) and its folder must
    exist. Callers that compute their tables first check the path before, so a wrong name costs nothing.

    Examples
    --------
    >>> check_workbook_path("tables.xlsx")
    PosixPath('tables.xlsx')
    >>> check_workbook_path("tables.csv")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    evalkit.errors.InputError: Cannot write 'tables.csv': ... give a file name ending in .xlsx (e.g. 'tables.xlsx').
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"Cannot write {str(path)!r}: the tables are an Excel workbook; give a file name ending "
                         f"in .xlsx (e.g. {path.with_suffix('.xlsx').name!r}).")
    if not path.parent.is_dir():
        raise InputError(f"Cannot write {str(path)!r}: the folder {str(path.parent)!r} does not exist.")
    return path


def write_workbook(path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write ``tables`` to an ``.xlsx`` file, one sheet per table, atomically.

    Method: pandas' ``to_excel`` with openpyxl, index columns kept (they name the
    rows: measure, group), the header row frozen, each column as wide as its
    longest entry (at most :data:`MAX_WIDTH` characters, longer text wraps).
    The workbook is written to a temporary file beside ``path`` and renamed.

    Parameters
    ----------
    path : str or Path
        The workbook to write; its folder must exist.
    tables : dict of str to pandas.DataFrame
        Sheet name (Excel-safe: at most 31 characters, none of ``[]:*?/\\``) to table.

    Returns
    -------
    Path

    Raises
    ------
    InputError
        If there is no table, a sheet name is not Excel-safe, the name does not end in ``.xlsx``, or the
        folder does not exist.

    Examples
    --------
    >>> import tempfile, os
    >>> t = pd.DataFrame({"Measure": ["Skills"], "Change": ["0.40"]}).set_index("Measure")
    >>> out = write_workbook(os.path.join(tempfile.mkdtemp(), "p01.xlsx"), {"Outcomes": t})
    >>> list(pd.read_excel(out, sheet_name=None))
    ['Outcomes']
    """
    from openpyxl.styles import Alignment, Font

    from evalkit.atomic import temporary_path

    path = Path(path)
    if not tables:
        raise InputError("write_workbook needs at least one table.")
    bad = [n for n in tables if not n or len(n) > 31 or any(c in n for c in "[]:*?/\\")]
    if bad:
        raise InputError(f"Sheet names {bad!r} are not valid in Excel; expected at most 31 characters "
                         "and none of []:*?/\\.")
    check_workbook_path(path)
    tmp = temporary_path(path)
    try:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in tables.items():
                table.to_excel(writer, sheet_name=name, merge_cells=False)
                sheet = writer.sheets[name]
                header_rows = table.columns.nlevels
                sheet.freeze_panes = sheet.cell(row=header_rows + 1, column=table.index.nlevels + 1)
                for cells in sheet.iter_cols():
                    width = max((len(str(c.value)) for c in cells if c.value is not None), default=8)
                    sheet.column_dimensions[cells[0].column_letter].width = min(max(width + 2, 8), MAX_WIDTH)
                    for c in cells:
                        if c.value is not None and len(str(c.value)) > MAX_WIDTH:
                            c.alignment = Alignment(wrap_text=True, vertical="top")
                for c in sheet[1]:
                    c.font = Font(bold=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
