"""Import survey exports (Qualtrics, Google Forms, Excel, SPSS, Stata, CSV) into the data contract.

``evalkit import SPEC.yml --out DATA_DIR`` and :func:`import_data` read one or more wide files
named by a YAML spec, build the tidy tables of ``data/README.md`` (``partnerships``,
``participants``, ``measures``, ``responses`` and, when the spec orders the waves, ``waves``),
match participants across one-file-per-wave exports, and report how well they matched.

Modules, one job each: :mod:`~evalkit.importer.spec` (read and check the spec),
:mod:`~evalkit.importer.sources` (read one export), :mod:`~evalkit.importer.build` (the tables),
:mod:`~evalkit.importer.match` (ids across waves), :mod:`~evalkit.importer.output` (write, all or
nothing) and :mod:`~evalkit.importer.template` (a starter spec from an export's columns).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from evalkit.errors import DataValidationError, Violation
from evalkit.importer.output import REPORT_NAME

__all__ = ["import_data", "ImportResult", "ImportFailed", "write_template"]


class ImportFailed(DataValidationError):
    """The import found problems; ``violations`` lists them all and nothing was written.

    ``match_report`` is the match report as far as it could be made (e.g. with the
    duplicates counted), or an empty DataFrame when the sources could not be read.
    """

    def __init__(self, violations: list[Violation], source: str, match_report: pd.DataFrame | None = None):
        super().__init__(violations, source=source)
        self.match_report = match_report if match_report is not None else pd.DataFrame()


@dataclass(frozen=True, repr=False)
class ImportResult:
    """What an import made.

    Attributes
    ----------
    tables : Mapping of str to DataFrame
        The contract tables (``partnerships``, ``participants``, ``measures``, ``responses``,
        and ``waves`` when the spec orders the waves).
    match_report : DataFrame
        One row per partnership (see :func:`evalkit.importer.match.match_report`).
    near_misses : DataFrame
        Pairs of ids that differ only in case, spaces, punctuation or leading zeros,
        located by file and row (ids are never shown).
    sources : DataFrame
        One row per file read: ``file``, ``format``, ``tool`` (qualtrics, google-forms), ``wave``, ``rows``.
    notes : tuple of str
        What the analyst should know (a column missing from one wave, survey previews...).
    out_dir : Path or None
        Where the tables were written.
    """

    tables: Mapping[str, pd.DataFrame]
    match_report: pd.DataFrame
    near_misses: pd.DataFrame
    sources: pd.DataFrame
    notes: tuple[str, ...] = ()
    out_dir: Path | None = None

    def to_markdown(self) -> str:
        """The import report (also written as ``import_report.md``): sources, matching, near-misses, notes."""
        lines = ["# Import report", "",
                 "Ids are located by file and row only; this report never shows a participant id.", "",
                 "## Files read", "", _md(self.sources), "", "## Participants matched across waves", "",
                 "`matched`: in every wave; `unmatched_<wave>`: in that wave but missing from another; "
                 "`duplicates`: an id repeated within a wave (an error); `matched_after_normalising`: joined once "
                 "case, spaces and punctuation were ignored; `near_misses`: left unmatched, differing only in "
                 "leading zeros (or case/spaces when `id_normalize` is off): check them.", "",
                 _md(self.match_report), ""]
        if len(self.near_misses):
            lines += ["## Near-misses", "", _md(self.near_misses), ""]
        if self.notes:
            lines += ["## Notes", "", *[f"- {n}" for n in self.notes], ""]
        sizes = pd.DataFrame({"table": list(self.tables), "rows": [len(t) for t in self.tables.values()]})
        lines += ["## Tables", "", _md(sizes), ""]
        return "\n".join(lines)

    def __repr__(self) -> str:  # a summary: the tables hold participant ids, which are never shown
        return self._headline()

    def _headline(self) -> str:
        t = self.tables
        return (f"Import: {len(t['participants'])} participants in {len(t['partnerships'])} partnership(s), "
                f"{len(t['responses'])} answers; tables {', '.join(t)}")

    def _repr_html_(self) -> str:
        parts = [f"<p>{html.escape(self._headline())}.</p>",
                 "<p><b>Files read</b></p>", self.sources.to_html(index=False),
                 "<p><b>Participants matched across waves</b></p>", self.match_report.to_html(index=False)]
        if len(self.near_misses):
            parts += ["<p><b>Near-misses</b> (ids that differ only in case, spaces, punctuation or leading zeros)</p>",
                      self.near_misses.to_html(index=False)]
        if self.notes:
            parts.append("<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in self.notes) + "</ul>")
        return "".join(parts)


def _md(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(none)"
    cells = frame.astype(object).where(frame.notna(), "")
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in cells.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def import_data(spec, out_dir: str | Path | None = None, *, base_dir: str | Path | None = None) -> ImportResult:
    """Import wide survey exports into the tidy tables of the data contract.

    Method: the spec (YAML file or dict; keys in ``data/README.md``, "Importing survey exports")
    names the files, the id column(s), the partnership, optional arm and group columns and, per
    measure, the column holding each wave. Each file is read as exported (Qualtrics' three header
    rows and Google Forms' headers recognised; SPSS/Stata value labels become group values,
    partnership names and arm values, variable labels become measure labels when the spec gives
    none). Answers are converted with the measure's ``labels``, the spec's ``missing`` codes
    dropped, and checked against ``kind`` and ``scale``. Participants of one-file-per-wave
    exports are matched on the id (trimmed, case-folded, without spaces and punctuation when
    ``id_normalize``); an id twice in one wave is an error, never dropped.

    Parameters
    ----------
    spec : str, Path or dict
        The import spec.
    out_dir : str or Path, optional
        Folder to write ``<table>.csv`` and ``import_report.md`` into (created; an earlier
        import there is replaced). Nothing is written unless the import succeeds and the tables
        pass :func:`evalkit.validate.validate_dir`. Input files are only read.
    base_dir : str or Path, optional
        Folder relative source paths are read from (default: the spec's folder, or the working
        folder for a dict spec).

    Returns
    -------
    ImportResult
        The tables, the match report, near-misses, the files read and notes.

    Raises
    ------
    ImportFailed
        A :class:`~evalkit.errors.DataValidationError` listing every problem at once (bad spec key,
        unreadable file, unknown column, label not in ``labels``, value outside ``scale``,
        duplicate id within a wave), each with file, row (as a spreadsheet shows it; a Qualtrics
        file's first answer is row 4) and column.
    InputError
        ``out_dir`` is a file, holds the input files, or holds other files than an earlier import.

    Examples
    --------
    >>> import evalkit
    >>> result = evalkit.import_data({
    ...     "sources": [{"path": "data/examples/anorexia_wide.csv"}], "id": "Participant",
    ...     "partnership": {"column": "Treat"},
    ...     "measures": {"weight": {"label": "Body weight (lb)", "kind": "continuous", "higher_is_better": True,
    ...                             "waves": {"Prewt": "pre", "Postwt": "post"}}}})
    >>> result.match_report[["partnership_id", "participants", "matched"]].to_string(index=False)
    'partnership_id  participants  matched\\n           cbt            29       29\\n          cont            26       26\\n            ft            17       17'
    """
    from evalkit.importer import spec as spec_mod
    from evalkit.importer.build import build
    from evalkit.importer.output import check_out_dir, write_tables
    from evalkit.importer.sources import read_source

    spec_mod.require(spec)
    checked, problems = spec_mod.load_spec(spec, base_dir)
    where = str(spec) if not isinstance(spec, dict) else "the import spec"
    if checked is None:
        raise ImportFailed(problems, source=where)
    if out_dir is not None:
        check_out_dir(Path(out_dir), [s.path for s in checked.sources])
    sources, unreadable = [], []
    for s in checked.sources:
        src, bad = read_source(s)
        unreadable += bad
        if src is not None:
            sources.append(src)
    if unreadable:  # the other files are still checked, so every problem is listed at once
        built_violations = build(checked, sources).violations if sources else []
        raise ImportFailed(unreadable + built_violations, source=where)
    built = build(checked, sources)
    if built.violations:
        from evalkit.validate import group_repeats

        raise ImportFailed(group_repeats(built.violations), source=where, match_report=built.match_report)
    files = pd.DataFrame({"file": [s.name for s in sources], "format": [s.format for s in sources],
                          "tool": [s.tool or "" for s in sources], "wave": [s.wave or "(wide)" for s in sources],
                          "rows": [len(s.frame) for s in sources]})
    result = ImportResult(MappingProxyType(dict(built.tables)), built.match_report, built.near_misses, files,
                          tuple(built.notes), None)
    if out_dir is None:
        return result
    written = write_tables(built.tables, result.to_markdown(), out_dir)
    return ImportResult(result.tables, result.match_report, result.near_misses, files, result.notes, written)


def write_template(sources, out=None) -> str:
    """A starter import spec from the columns of one export, or of one export per wave.

    See :func:`evalkit.importer.template.starter_spec`.
    """
    from evalkit.importer.template import write_template as _write

    return _write(sources, out)


__all__ += ["REPORT_NAME"]
