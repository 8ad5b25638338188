"""Plan a batch run: which template, which partnerships, what each render needs.

A :class:`ReportTask` is everything one render needs (plain data that can also travel
to a Dask worker; the partnership's data are in its slice folder). Its ``hash`` covers the template, the parameters, the
partnership's data slice, the evalkit version and evalkit's code, so an unchanged report can be
kept instead of re-rendered.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from evalkit._version import __version__
from evalkit.errors import InputError
from evalkit.provenance import PROVENANCE
from evalkit.batch.publish import report_path

DEFAULT_TEMPLATE = "partnership_report.ipynb"
PORTFOLIO_TEMPLATE = "portfolio_report.ipynb"
#: Task id and file stem of the portfolio summary; not a valid partnership id (ids start with a letter
#: or digit), so it can never collide with a partnership's report.
PORTFOLIO_ID = "_portfolio"
#: Parameters that are paths (the slice, its provenance record, the tables workbook): left out of a
#: report's identity hash.
PATH_PARAMETERS = ("data_dir", "tables_path", "provenance")
#: Parameters the batch sets for every report (a user may not set them).
RESERVED_PARAMETERS = ("partnership_id", *PATH_PARAMETERS)


@dataclass(frozen=True, kw_only=True)
class ReportTask:
    """One report to render: template, output paths, parameters and identity hash."""

    partnership_id: str
    name: str
    partner_type: str
    template: Path
    notebook: Path
    html: Path
    parameters: dict
    hash: str
    title: str
    timeout: float | None = None
    memory_limit: int | None = None
    kernel_server: tuple | None = None
    pdf: bool = False          # also print <id>.pdf beside the HTML
    links: tuple = ()          # (href, text) links shown above the report (index, portfolio)


def resolve_template(template=None, default: str = DEFAULT_TEMPLATE) -> Path:
    """The template to render: ``template`` if given, else the packaged ``evalkit/templates/<default>``.

    The default is the template shipped inside the installed package (found with
    :func:`evalkit.resources.template_path`), never a file in the current folder.

    Raises
    ------
    InputError
        If the template does not exist or is not a ``.ipynb`` file.
    """
    if template is not None:
        path = Path(template)
        if not path.is_file() or path.suffix != ".ipynb":
            raise InputError(f"Template {str(path)!r} is not a notebook file; expected an existing .ipynb file.")
        return path.resolve()
    from evalkit.resources import template_path

    return template_path(default)


def check_partnership_template(template: Path) -> None:
    """Refuse a partnership report template that does not take a ``partnership_id`` parameter.

    papermill injects parameters a template does not declare with only a log line
    ("Passed unknown parameter"), so a template without the parameter (the portfolio
    template, say) would render the same page for every partnership and pass for its
    report. The parameters are read with papermill's own inspection
    (:func:`papermill.inspect_notebook`: the cell tagged ``parameters``).

    Raises
    ------
    InputError
        If the template declares no ``partnership_id`` or cannot be read as a notebook.
    """
    import papermill as pm

    try:
        declared = pm.inspect_notebook(str(template))
    except Exception as exc:  # noqa: BLE001 - any unreadable notebook is the user's input error
        raise InputError(f"Template {str(template)!r} cannot be read as a notebook: {exc}") from None
    if "partnership_id" not in declared:
        raise InputError(f"Template {str(template)!r} has no partnership_id parameter (in its cell tagged "
                         "'parameters'), so it cannot render one partnership's report (a portfolio template "
                         f"belongs beside it as {PORTFOLIO_TEMPLATE}).")


def choose_portfolio(portfolio, template, partnership_ids) -> tuple[Path | None, str]:
    """The portfolio template a run renders (or None), and why none when it renders none.

    ``portfolio`` is the run's option: ``None`` (decide), ``True``, ``False`` or a
    template path. Deciding, a run of every partnership renders the portfolio: the
    packaged one with the packaged partnership template, else the
    ``portfolio_report.ipynb`` beside the given ``template`` (where ``evalkit
    templates copy`` puts both), else none. A run of some partnerships renders none
    (a summary of a subset would pass for the whole portfolio). ``True`` takes the
    template beside ``template`` when there is one, else the packaged one.

    Raises
    ------
    InputError
        If a given portfolio template is not an existing notebook.
    """
    if portfolio is False:
        return None, "--no-portfolio was given"
    if portfolio not in (None, True):
        return resolve_template(portfolio), ""
    beside = None
    if template is not None:
        candidate = Path(template).resolve().parent / PORTFOLIO_TEMPLATE
        if candidate.is_file() and candidate != Path(template).resolve():
            beside = candidate
    if portfolio is True:
        return beside or resolve_template(None, PORTFOLIO_TEMPLATE), ""
    if partnership_ids is not None:
        return None, "only some partnerships were asked for (pass --portfolio to summarise them)"
    if template is None:
        return resolve_template(None, PORTFOLIO_TEMPLATE), ""
    if beside is None:
        return None, (f"no {PORTFOLIO_TEMPLATE} beside the template {str(template)!r} "
                      "(pass --portfolio to render the standard one)")
    return beside, ""


def naming_parameters(template: Path, parameters: dict) -> dict:
    """The parameters that tell one report from another: those given, less any set to the template's own default.

    ``run_batch`` from a notebook passes no ``alpha``; ``evalkit run`` passes its default
    ``--alpha 0.05``, which is the template's. Both render the same report, so both must
    name it alike, or a run after the other renders everything again. Method: the defaults
    are read from the template's ``parameters`` cell (``papermill.inspect_notebook``) as
    Python literals; a given value counts as the default only when equal and of the same
    type (``10.0`` for ``10`` is kept: the kernel would get a float). A default that is not a
    literal is never matched.
    """
    import ast

    import papermill

    defaults = {}
    for name, info in papermill.inspect_notebook(str(template)).items():
        try:
            defaults[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return {k: v for k, v in parameters.items()
            if not (k in defaults and type(v) is type(defaults[k]) and v == defaults[k])}


def task_hash(template_bytes: bytes, parameters: dict, data_digest: str) -> str:
    """Identity of a report: template, parameters (minus paths), data slice, evalkit version and evalkit's code.

    The code (:func:`code_fingerprint` of the installed package) counts as well as the version: a source tree
    installed editable (``make setup``) keeps version 0.1.0 through every change, and a rerun after a ``git
    pull`` kept each report the old code had made.
    """
    digest = hashlib.sha256()
    digest.update(template_bytes)
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    digest.update(data_digest.encode())
    digest.update(__version__.encode())
    digest.update(_installed_code().encode())
    return digest.hexdigest()


def code_fingerprint(package=None) -> str:
    """SHA-256 over the names and bytes of every file of the evalkit package (default: the installed one).

    Source, templates and the data contract count; byte code (``__pycache__``, ``.pyc``) does not.
    About 1 MB is read, once per run.
    """
    root = Path(package) if package is not None else Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    files = (path for path in root.rglob("*") if path.is_file() and path.suffix not in (".pyc", ".pyo")
             and "__pycache__" not in path.relative_to(root).parts)
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def _installed_code() -> str:
    """:func:`code_fingerprint` of the installed package, computed once per process (on first use)."""
    return code_fingerprint()


def select_partnerships(data, partnership_ids=None) -> list[str]:
    """The partnerships to render, in the order of the partnerships table.

    Raises
    ------
    InputError
        If a requested partnership is not in the data.
    """
    known = data.partnership_ids
    if partnership_ids is None:
        return list(known)
    requested = list(dict.fromkeys(str(p) for p in partnership_ids))
    unknown = [p for p in requested if p not in known]
    if unknown:
        raise InputError(f"unknown partnership id(s) {', '.join(map(repr, unknown))}; "
                         f"known partnerships: {', '.join(known)}")
    return [p for p in known if p in requested]


def plan_tasks(data, out_dir: Path, template: Path, parameters: dict, slices: dict, *,
               timeout=None, memory_limit=None, cache_dir=None) -> list[ReportTask]:
    """One :class:`ReportTask` per partnership of ``slices`` (see :mod:`evalkit.batch.cache`).

    Each task's ``data_dir`` parameter is its slice folder ``<cache_dir>/<id>`` (outside
    ``out_dir``: see :func:`evalkit.batch.cache.cache_folder`), its ``provenance`` the
    slice's ``provenance.json`` (the template passes it to ``ek.load_data``, which then
    trusts the unchanged slice instead of validating it again), and its
    ``tables_path`` is ``<out_dir>/<id>.xlsx`` (the report's tables for analysts);
    its hash covers the template, the other parameters (:func:`naming_parameters`), the slice and the evalkit
    version.

    Raises
    ------
    InputError
        If an id is not a safe slug (it could otherwise name a path outside ``out_dir``).
    """
    from evalkit.batch.cache import cache_folder, slice_digest

    out_dir = Path(out_dir).resolve()
    cache = cache_folder(out_dir, cache_dir)
    template_bytes = template.read_bytes()
    naming = naming_parameters(template, parameters)
    info = data.partnerships.set_index("partnership_id")
    tasks = []
    for pid, tables in slices.items():
        html_path, nb_path = report_path(out_dir, pid, ".html"), report_path(out_dir, pid, ".ipynb")
        params = {"partnership_id": pid, "data_dir": str(cache / pid),
                  "provenance": str(cache / pid / PROVENANCE),
                  "tables_path": str(report_path(out_dir, pid, ".xlsx")), **parameters}
        named = {"partnership_id": pid, **naming}  # as params, less the paths and the templates' defaults
        identity = task_hash(template_bytes, {k: v for k, v in named.items() if k not in PATH_PARAMETERS},
                             slice_digest(tables))
        name = str(info.at[pid, "name"]) if "name" in info.columns else pid
        partner_type = str(info.at[pid, "partner_type"]) if "partner_type" in info.columns else ""
        tasks.append(ReportTask(partnership_id=pid, name=name, partner_type=partner_type, template=template,
                                notebook=nb_path, html=html_path, parameters=params, hash=identity,
                                title=f"{name} ({pid})", timeout=timeout, memory_limit=memory_limit))
    return tasks


def portfolio_task(data, out_dir: Path, template: Path, parameters: dict, *,
                   timeout=None, memory_limit=None, cache_dir=None) -> ReportTask:
    """The task rendering the portfolio summary across all partnerships (``_portfolio.html``).

    Its ``data_dir`` is ``<cache_dir>/_portfolio`` (outside ``out_dir``), a slice holding every
    partnership's validated rows, and its ``provenance`` that slice's ``provenance.json``
    (written by the batch, passed by the template to ``ek.load_data``, so the kernel
    does not validate the rows again); its hash covers the template, the
    parameters, the input files' SHA-256 and the evalkit version.
    """
    from evalkit.batch.cache import cache_folder

    out_dir = Path(out_dir).resolve()
    folder = cache_folder(out_dir, cache_dir) / PORTFOLIO_ID
    params = {"data_dir": str(folder), "provenance": str(folder / PROVENANCE), **parameters}
    digest = "".join(f"{name}:{src.sha256}" for name, src in sorted(data.sources.items()))
    identity = task_hash(template.read_bytes(), naming_parameters(template, parameters), digest)
    return ReportTask(partnership_id=PORTFOLIO_ID, name="Portfolio summary across partnerships", partner_type="",
                      template=template, notebook=out_dir / f"{PORTFOLIO_ID}.ipynb",
                      html=out_dir / f"{PORTFOLIO_ID}.html", parameters=params, hash=identity,
                      title="Portfolio summary", timeout=timeout, memory_limit=memory_limit)
