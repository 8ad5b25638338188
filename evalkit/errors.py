"""Exception types for user errors.

Every error a user can cause derives from :class:`EvalkitError`, so a caller
(the CLI, a notebook, a scheduler wrapper) can tell "your data or arguments are
wrong" apart from a bug in evalkit.
"""
from __future__ import annotations

from dataclasses import dataclass


class EvalkitError(Exception):
    """Base class for every error evalkit raises on purpose."""


class InputError(EvalkitError, ValueError):
    """An argument to an evalkit function is wrong (bad length, type, method name...)."""


class RunInProgress(InputError):
    """Another run is writing to the output folder: nothing to fix, try again once it has finished.

    ``evalkit run`` exits with :data:`os.EX_TEMPFAIL` (75, "try again later") on it, not with the
    usage code 2, so a cron wrapper can tell a run to wait for from an error to fix.
    """


@dataclass(frozen=True)
class Violation:
    """One problem found in one place of one input file.

    Attributes
    ----------
    file : str
        File name as the user knows it (e.g. ``responses.csv``).
    row : int or None
        Row number as a spreadsheet shows it: the header is row 1, the first
        data row is row 2. ``None`` when the problem concerns the whole file or column.
    column : str or None
        Column name, or ``None`` when the problem concerns the whole file or row.
    message : str
        What was found and what was expected.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class DataValidationError(EvalkitError):
    """The input data break the data contract; ``violations`` lists every problem found."""

    def __init__(self, violations: list[Violation], source: str = "data"):
        self.violations = list(violations)
        self.source = source
        n = len(self.violations)
        shown = "\n".join(f"  - {v}" for v in self.violations[:50])
        more = f"\n  ... and {n - 50} more" if n > 50 else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found in {source}:\n{shown}{more}")


class RenderError(EvalkitError):
    """A report could not be rendered (the notebook raised, the kernel died or timed out)."""
