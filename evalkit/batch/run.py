"""Render one report per partnership, in parallel, and publish the run.

:func:`run_batch` validates the data once, renders the template for every
partnership in kernels forked from one warm kernel server, a few at a time (or on a
dask.distributed cluster, :mod:`evalkit.batch.pool`), records each
outcome as it arrives in ``manifest.json`` and ``index.html`` (both written
atomically), and returns a :class:`BatchResult`. A failing report never stops the
others.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import os
import shutil
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from evalkit import schema
from evalkit._version import __version__
from evalkit.batch.cache import split_by_partnership, write_slice
from evalkit.batch.plan import (PORTFOLIO_ID, RESERVED_PARAMETERS, ReportTask, check_partnership_template,
                                choose_portfolio, plan_tasks, portfolio_task, resolve_template, select_partnerships)
from evalkit.batch.pool import local_executor, stop_executor
from evalkit.errors import InputError
from evalkit.batch.publish import (check_out_folder, check_ownership, departed_files, legacy_slices, lock_output,
                                   owned_names, public_text, read_manifest, remove_stale_temporaries, write_index,
                                   write_manifest)

__all__ = ["BatchResult", "ReportEntry", "run_batch", "warm_kernels"]

log = logging.getLogger("evalkit.batch")


@dataclass(frozen=True, kw_only=True)
class ReportEntry:
    """Outcome of one partnership's report in a batch run.

    ``status`` is ``"ok"`` or ``"failed"``; ``rendered`` is ``False`` when an
    unchanged report from a previous run was kept; ``files`` maps ``html`` /
    ``notebook`` (and ``pdf``, ``xlsx`` when written) to file names inside the output folder; ``error`` is the
    :meth:`evalkit.batch.render.RenderFailure.to_dict` of a failure. ``headline`` is the index card of a
    rendered report (one-line verdict, targets met, flags): the one the report displayed
    (:class:`evalkit.pageone.IndexCard`), else :func:`evalkit.report.headline` of its data.
    """

    partnership_id: str
    name: str
    partner_type: str
    status: str
    duration: float
    files: dict = field(default_factory=dict)
    error: dict | None = None
    hash: str = ""
    rendered: bool = True
    headline: dict | None = None

    def to_dict(self) -> dict:
        """Manifest form (the id is the key, so it is left out)."""
        out = {"name": self.name, "partner_type": self.partner_type, "status": self.status,
               "duration": round(self.duration, 3), "files": dict(self.files), "error": self.error,
               "hash": self.hash, "rendered": self.rendered}
        if self.headline is not None:
            out["headline"] = dict(self.headline)
        return out


@dataclass(frozen=True, kw_only=True)
class BatchResult:
    """What a batch run produced.

    Attributes
    ----------
    out_dir, index_path, manifest_path : Path
        The output folder, its ``index.html`` and ``manifest.json``.
    entries : tuple of ReportEntry
        One per partnership of this run, in partnership order.
    portfolio : ReportEntry or None
        The portfolio summary across partnerships, when the run rendered one.
    """

    out_dir: Path
    index_path: Path
    manifest_path: Path
    entries: tuple[ReportEntry, ...]
    portfolio: ReportEntry | None = None

    @property
    def ok(self) -> bool:
        """``True`` when every report of the run (and the portfolio summary, if rendered) succeeded."""
        return all(e.status == "ok" for e in self.entries) and (self.portfolio is None or self.portfolio.status == "ok")

    @property
    def failed(self) -> list[str]:
        """Ids of the partnerships whose report failed."""
        return [e.partnership_id for e in self.entries if e.status != "ok"]

    def to_frame(self):
        """One row per partnership: id, name, partner type, status, duration, error, files."""
        import pandas as pd

        rows = [{"partnership_id": e.partnership_id, "name": e.name, "partner_type": e.partner_type,
                 "status": e.status, "duration": e.duration, "rendered": e.rendered,
                 "error": (e.error or {}).get("summary", ""), "html": e.files.get("html", "")}
                for e in self.entries]
        return pd.DataFrame(rows, columns=["partnership_id", "name", "partner_type", "status", "duration",
                                           "rendered", "error", "html"])

    def _repr_html_(self) -> str:
        import html

        n_failed = len(self.failed)
        head = (f"<p><b>{len(self.entries) - n_failed} ok, {n_failed} failed</b> &middot; "
                f"index: <code>{html.escape(str(self.index_path))}</code></p>")
        return head + self.to_frame().to_html(index=False)


def run_batch(data_dir, out_dir, *, partnership_ids=None, template=None, workers=None, parameters=None,
              timeout=None, force=False, progress=None, memory_limit=None, scheduler=None,
              portfolio=None, pdf: bool = False, cache_dir=None) -> BatchResult:
    """Render the report template for every partnership and publish index and manifest.

    Method: the data are loaded and validated once (:func:`evalkit.load.load_data`)
    and split once into one Parquet folder per partnership (``<cache_dir>/<id>``,
    outside ``out_dir``: see :func:`evalkit.batch.cache.cache_folder`). Each partnership's report is rendered by
    :func:`evalkit.batch.render.render_report` (papermill parameters ``partnership_id``,
    ``data_dir`` = its slice folder, plus ``parameters``) in its own kernel
    process, ``workers`` at a time. Kernels are fresh forks of one warm server that
    imported the template's libraries once (:mod:`evalkit.batch.forkserver`);
    with ``scheduler``, renders run on a dask.distributed cluster instead, each
    worker forking kernels from its own warm server. Each outcome is written to ``manifest.json`` and ``index.html`` as
    it arrives, atomically. A failed report is recorded (failing cell, exception)
    and the others go on. Partnerships whose template, parameters, data slice and
    evalkit version are unchanged since the last run in ``out_dir`` are kept, not
    re-rendered (unless ``force``).

    Assumptions: POSIX (the kernel server forks); the template has a cell tagged
    ``parameters`` and reads its data with
    ``evalkit.load_data(data_dir, partnership_id, provenance=provenance)`` (the ``provenance``
    parameter names the slice's record, so the kernel trusts the slice the batch validated;
    a template that leaves it out still works, validating its slice again).

    Parameters
    ----------
    data_dir : str or Path
        Data folder (see ``data/README.md``).
    out_dir : str or Path
        Output folder; receives ``<partnership_id>.html``, ``<partnership_id>.ipynb``,
        ``index.html`` and ``manifest.json``.
    partnership_ids : list of str, optional
        Render only these partnerships (default: all).
    template : str or Path, optional
        Report template (default: ``templates/partnership_report.ipynb``).
    workers : int, optional
        Parallel renders (default: :data:`DEFAULT_EXTRA_WORKERS` more than the CPU cores: while a
        render waits on its kernel or exports its HTML in this process, another kernel keeps the core busy).
        With ``scheduler`` and no ``workers``, every render is submitted at once and the cluster's worker
        threads bound how many run (this machine's cores do not cap a cluster).
    parameters : dict, optional
        Extra template parameters (e.g. ``{"alpha": 0.05, "min_group_size": 10}``).
    timeout : float, optional
        Seconds one report may take before its kernel is killed (default: no limit).
    force : bool, default False
        Re-render every report even if unchanged.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal).
    memory_limit : int, optional
        Bytes a report kernel may grow by (address space, ``RLIMIT_AS``, counted from a
        warm kernel: see :mod:`evalkit.batch.forkserver`); a report that needs more fails
        with ``MemoryError`` or a dead kernel. At least :data:`MIN_MEMORY_LIMIT` (256 MiB); pair it with
        ``timeout``, since a kernel that meets the limit inside a library's own threads may hang instead.
        Default: no limit.
    scheduler : str, optional
        Address of a dask.distributed scheduler to send renders to (``tcp://host:8786``).
        Its workers must run this evalkit environment and see ``out_dir`` and the
        template at the same paths (a shared file system).
    portfolio : bool or str or Path, optional
        Also render the portfolio summary across partnerships (``_portfolio.html``, linked
        from the index) from the template given, else the ``portfolio_report.ipynb`` beside
        ``template`` (where ``evalkit templates copy`` puts it), else the packaged one.
        Default: when every partnership is rendered (``partnership_ids`` is None) and, with a
        custom ``template``, a ``portfolio_report.ipynb`` lies beside it; a run without one
        logs why (:func:`evalkit.batch.plan.choose_portfolio`).
    pdf : bool, default False
        Also print each report to ``<partnership_id>.pdf`` beside its HTML, and the portfolio summary to
        ``_portfolio.pdf`` (WeasyPrint, offline); a kept, unchanged report without its PDF renders again.
    cache_dir : str or Path, optional
        Where the per-partnership data slices are kept between runs (row-level data,
        never published), in its subfolder ``<hash of out_dir>``: default ``~/.cache/evalkit/<hash of out_dir>``.
        Must lie outside ``out_dir``.

    Safety: one run at a time per ``out_dir`` (a second fails at once with InputError);
    a run writes nothing into an ``out_dir`` holding anything a run did not record in
    ``manifest.json`` (a user's file, a folder, a link) or that is, holds or lies inside
    ``data_dir``; no path may resolve outside ``out_dir``. Before the first render the
    manifest records (``owned``) every file the run may write, so an interrupted run's
    leftovers stay evalkit's; the manifest and the published notebooks name files, not local paths.

    Returns
    -------
    BatchResult

    Raises
    ------
    evalkit.errors.DataValidationError
        If the data break the contract (nothing is rendered).
    evalkit.errors.InputError
        If an argument is wrong (unknown partnership, bad worker count...).

    References
    ----------
    papermill parameterization: https://papermill.readthedocs.io/en/latest/usage-parameterize.html

    Examples
    --------
    >>> from evalkit.batch import run_batch
    >>> result = run_batch("data/sample", "reports")  # doctest: +SKIP
    >>> result.to_frame()[["partnership_id", "status"]].head()  # doctest: +SKIP
    """
    workers = _check_workers(workers, scheduler)
    _check_home()
    if timeout is not None and not (isinstance(timeout, (int, float)) and 0 < timeout <= threading.TIMEOUT_MAX):
        raise InputError(f"timeout must be a positive, finite number of seconds, got {timeout!r}.")
    if memory_limit is not None and not (isinstance(memory_limit, int) and memory_limit >= MIN_MEMORY_LIMIT):
        raise InputError(f"memory_limit must be a number of bytes of at least {MIN_MEMORY_LIMIT} (256 MiB), "
                         f"got {memory_limit!r}.")
    portfolio, no_portfolio = choose_portfolio(portfolio, template, partnership_ids)
    template = resolve_template(template)
    if scheduler:
        _check_dask()
    # Warm kernels: one fork server imports the template's libraries once for the whole run. It starts
    # first, so its imports (about a second) overlap with everything below: checking the template and the
    # output folder (papermill's import), loading and validating the data, writing the slices.
    server = _start_kernel_server(template, scheduler)  # on a cluster: InputError now if it cannot be reached
    try:
        check_partnership_template(template)  # a template without partnership_id would pass for every report
        if portfolio is None:
            log.info("portfolio=off reason=%r", no_portfolio)
        data_dir, out_dir = Path(data_dir).resolve(), Path(out_dir)
        # before anything is written (the lock file included): not the data folder, nothing evalkit did not
        # write (checked again under the lock)
        check_out_folder(out_dir, data_dir, read_manifest(out_dir))
        parameters = dict(parameters or {})
        reserved = set(RESERVED_PARAMETERS) & set(parameters)
        if reserved:
            raise InputError(f"parameters may not set {sorted(reserved)}: run_batch sets them for each "
                             "partnership.")
        if pdf:
            _check_pdf()
        options = _RunOptions(data_dir=data_dir, out_dir=out_dir, template=template, parameters=parameters,
                              partnership_ids=partnership_ids, workers=workers, timeout=timeout, force=force,
                              progress=progress, memory_limit=memory_limit, scheduler=scheduler, server=server,
                              portfolio_template=portfolio or None, pdf=bool(pdf), cache_dir=cache_dir)
        return _run(options)
    finally:
        if server is not None:
            server.stop()


def _start_kernel_server(template: Path, scheduler: str | None = None):
    """Warm kernels for the run: a local fork server (the one a :func:`warm_kernels` block keeps, if any), or
    one on every worker of the Dask cluster."""
    from evalkit.batch.forkserver import KernelServer, template_imports

    if scheduler:
        from evalkit.batch.pool import DaskKernelServers

        return DaskKernelServers(scheduler, template_imports(template)).start()
    if _KEPT and _KEPT[-1] is not None:
        return _KEPT[-1].lend(template)
    return KernelServer(template_imports(template)).start()


class _KeptServer:
    """The kernel server of a :func:`warm_kernels` block: started by the block's first run, lent to each run
    (whose ``stop`` leaves it running), started again if it has died, stopped when the block ends."""

    def __init__(self):
        self._server = None
        self._lock = threading.Lock()

    def lend(self, template: Path) -> "_Lent":
        from evalkit.batch.forkserver import KernelServer, report_modules, template_imports

        with self._lock:
            if self._server is not None and self._server.process.poll() is not None:  # died: a new one
                self._server.stop()
                self._server = None
            if self._server is None:
                # what the block's later runs need too: the report libraries, whatever the first template
                self._server = KernelServer(dict.fromkeys([*template_imports(template), *report_modules()])).start()
            return _Lent(self._server.address)

    def stop(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.stop()
                self._server = None


@dataclass(frozen=True)
class _Lent:
    """A run's hold on a kept server: its address, and a ``stop`` that leaves the server to its block."""

    address: tuple

    def stop(self) -> None:
        pass


#: The servers of the :func:`warm_kernels` blocks open in this process, innermost last (``None``: a block
#: whose runs start their own).
_KEPT: list = []


@contextlib.contextmanager
def warm_kernels(keep: bool = True):
    """Keep one warm kernel server for every local :func:`run_batch` inside the block.

    Each run starts a kernel server that imports the template's libraries (pandas,
    scipy, statsmodels, matplotlib, ipykernel and evalkit's report modules: about 2
    CPU-seconds) before its first report can start, and stops it at its end. A notebook
    session or a scheduler that runs several batches pays that once per block instead:
    the block's first local run starts the server, later runs fork their kernels from
    it, and the block stops it when it ends (a server that has died meanwhile is
    started again by the next run). Reports are as isolated as before: every kernel is
    a fresh fork, and the server never runs notebook code.

    Assumptions: the server holds evalkit's code and the libraries as they were when
    it started; code changed inside the block (an edited evalkit) reaches kernels only
    through a new block. Runs with a ``scheduler`` use their cluster's workers' servers,
    as outside a block. A block holds for every run of this process, from any thread;
    blocks nest, and the innermost decides.

    Parameters
    ----------
    keep : bool, default True
        ``False``: runs inside this block start and stop their own server, as outside any block.

    Examples
    --------
    >>> from evalkit.batch import run_batch, warm_kernels
    >>> with warm_kernels():  # doctest: +SKIP
    ...     for term in ["spring", "autumn"]:
    ...         run_batch(f"data/{term}", f"reports/{term}")
    """
    kept = _KeptServer() if keep else None
    _KEPT.append(kept)
    try:
        yield
    finally:
        del _KEPT[max(i for i, k in enumerate(_KEPT) if k is kept)]  # this block's entry, the last one
        if kept is not None:
            kept.stop()


@dataclass(frozen=True, kw_only=True)
class _RunOptions:
    """What :func:`run_batch` was asked for, checked, and the warm kernel server it started."""

    data_dir: Path
    out_dir: Path
    template: Path
    parameters: dict
    partnership_ids: list | None
    workers: int
    timeout: float | None
    force: bool
    progress: bool | None
    memory_limit: int | None
    scheduler: str | None
    server: object
    portfolio_template: Path | None
    pdf: bool
    cache_dir: Path | None


def _run(o: _RunOptions) -> BatchResult:
    from evalkit.load import load_data

    started = _now()
    data = load_data(o.data_dir)  # raises DataValidationError, before anything is written
    slices = split_by_partnership(data, select_partnerships(data, o.partnership_ids))  # InputError if unknown
    tasks = plan_tasks(data, o.out_dir, o.template, o.parameters, slices, timeout=o.timeout,
                       memory_limit=o.memory_limit, cache_dir=o.cache_dir)  # InputError for unsafe ids
    try:
        o.out_dir.mkdir(parents=True, exist_ok=True)
        lock = lock_output(o.out_dir)  # InputError at once if another run writes here
    except OSError as exc:
        raise InputError(f"Cannot write to the output folder {str(o.out_dir)!r}: {exc.strerror or exc}.") from None
    with lock:
        return _run_locked(o, data, tasks, slices, started)


def _run_locked(o: _RunOptions, data, tasks: list[ReportTask], slices: dict, started: str) -> BatchResult:
    from evalkit.batch.render import failed_notebook_path

    data_dir, out_dir, template, parameters = o.data_dir, o.out_dir, o.template, o.parameters
    workers, timeout, force, progress, memory_limit = o.workers, o.timeout, o.force, o.progress, o.memory_limit
    scheduler, server, pdf, cache_dir = o.scheduler, o.server, o.pdf, o.cache_dir
    portfolio_template = o.portfolio_template
    remove_stale_temporaries(out_dir)
    last_run = read_manifest(out_dir)
    legacy = legacy_slices(out_dir, last_run)
    if legacy is not None:  # an earlier version's row-level slices, in a folder that is published: removed
        shutil.rmtree(legacy)
        log.warning("removed %s/ from the output folder: the row-level data slices an earlier evalkit version "
                    "kept there (slices now live in the cache folder)", legacy.name)
    # told to print before anything decides whether a kept report will do: a kept report without its PDF
    # renders again when this run asks for PDFs
    tasks = [replace(task, pdf=pdf) for task in tasks]
    planned = {t.partnership_id: [t.html, t.notebook, t.html.with_suffix(".xlsx"), t.html.with_suffix(".pdf")]
               for t in tasks}
    if portfolio_template is not None:
        planned[PORTFOLIO_ID] = [out_dir / f"{PORTFOLIO_ID}.{ext}" for ext in ("html", "ipynb", "pdf")]
    check_ownership(out_dir, planned, last_run, data_dir)  # never write beside a file evalkit did not write
    departed = departed_files(last_run, out_dir, [*data.partnership_ids, PORTFOLIO_ID])
    for path in departed:  # a partnership no longer in the data: its old reports must not stay published
        path.unlink()
    if departed:
        log.warning("removed %s from the output folder: reports of partnerships no longer in the data",
                    ", ".join(path.name for path in departed))
    # every file this run may write (each planned file and its .failed.ipynb), and all earlier runs wrote: recorded
    # before any render starts, so what an interrupted run leaves behind is still known as evalkit's
    owned = (owned_names(last_run, out_dir) - {path.name for path in departed}) | {
        name for paths in planned.values() for path in paths for name in (path.name, failed_notebook_path(path).name)}
    last_run = last_run or {}
    previous = last_run.get("partnerships", {})

    manifest = {  # names only: everything in out_dir may be published, so no local path is recorded
        "evalkit_version": __version__, "started": started, "finished": None,
        "data_dir": data_dir.name, "template": template.name, "parameters": parameters,
        "workers": workers, "scheduler": scheduler,
        "partnerships": {pid: entry for pid, entry in previous.items() if pid in set(data.partnership_ids)},
        "portfolio": _kept_portfolio(last_run.get("portfolio"), out_dir),
        "owned": sorted(owned),
    }
    entries: dict[str, ReportEntry] = {}
    todo = []
    summary = None
    if portfolio_template is not None:  # first in the queue: it is the longest render
        port = replace(portfolio_task(data, out_dir, portfolio_template, parameters, timeout=timeout,
                                      memory_limit=memory_limit, cache_dir=cache_dir), pdf=pdf)
        summary = _reusable(port, last_run.get("portfolio"), out_dir, force)
        if summary is None:
            _write_slice({table: getattr(data, table) for table in schema.TABLES}, port.parameters["data_dir"],
                         sources=data.sources)
            todo.append(port)
        if summary is not None:  # else the previous entry stands until the new render ends, as a report's does
            manifest["portfolio"] = summary.to_dict()
    for task in tasks:
        kept = _reusable(task, previous.get(task.partnership_id), out_dir, force)
        if kept is not None:
            entries[task.partnership_id] = kept
            manifest["partnerships"][task.partnership_id] = kept.to_dict()
            log.info("partnership=%s event=skip status=%s reason=unchanged", task.partnership_id, kept.status)
        else:
            _write_slice(slices[task.partnership_id], task.parameters["data_dir"], sources=data.sources)
            todo.append(task)

    write_manifest(out_dir, manifest)  # the owned files are recorded before the first render starts

    # largest partnerships first (after the portfolio): a big report started last would leave the other
    # cores idle at the end of the run (longest-processing-time-first scheduling; rows stand in for time)
    rows = {pid: sum(len(table) for table in tables.values()) for pid, tables in slices.items()}
    todo.sort(key=lambda task: (task.partnership_id != PORTFOLIO_ID, -rows.get(task.partnership_id, 0)))
    show = sys.stderr.isatty() if progress is None else bool(progress)
    links = _links(out_dir, portfolio_template is not None)
    todo = [replace(task, links=links if task.partnership_id != PORTFOLIO_ID else links[:1]) for task in todo]
    if server is not None:
        todo = [replace(task, kernel_server=server.address) for task in todo]
    with _startup_frozen():
        for entry in _execute(todo, workers, scheduler, show):
            if entry.partnership_id == PORTFOLIO_ID:
                summary = entry
                manifest["portfolio"] = entry.to_dict()
            else:
                if entry.status == "ok" and entry.headline is None:  # a template that shows no index card
                    entry = replace(entry, headline=_headline(data, slices[entry.partnership_id],
                                                              entry.partnership_id, parameters))
                entries[entry.partnership_id] = entry
                manifest["partnerships"][entry.partnership_id] = entry.to_dict()
            write_manifest(out_dir, manifest)
            write_index(out_dir, manifest)

    manifest["finished"] = _now()
    manifest["owned"] = sorted(name for name in owned if (out_dir / name).is_file())  # what is still there
    order = {pid: i for i, pid in enumerate(data.partnership_ids)}  # the data's order, not the order renders ended
    manifest["partnerships"] = dict(sorted(manifest["partnerships"].items(),
                                           key=lambda item: order.get(item[0], len(order))))
    manifest_path = write_manifest(out_dir, manifest)
    index_path = write_index(out_dir, manifest)
    ordered = tuple(entries[t.partnership_id] for t in tasks)
    return BatchResult(out_dir=out_dir, index_path=index_path, manifest_path=manifest_path, entries=ordered,
                       portfolio=summary)




@contextlib.contextmanager
def _startup_frozen():
    """Keep what the process holds before the renders out of the garbage collector's way while they run.

    Method: :func:`gc.freeze` moves every object the process tracks (its imports, the validated
    data, the plan) to the collector's permanent generation until :func:`gc.unfreeze` puts them
    back in the oldest one. The batch process makes many short-lived objects a report (kernel
    messages, the executed notebook, nbconvert's and BeautifulSoup's trees of the page), and each
    full collection they triggered walked every object of the start-up again: about 0.07 CPU-s a
    report, a third of the HTML export. Objects made while rendering are collected as before; those
    of the start-up that become garbage meanwhile wait until the end, when the freeze is undone, so a
    session that calls :func:`run_batch` collects afterwards as it did before. In a process whose objects
    were frozen already (one forked from a warm kernel server) nothing is unfrozen: :func:`gc.unfreeze`
    cannot tell the run's objects from the earlier ones, and the process froze those on purpose.
    """
    ours = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        yield
    finally:
        if ours:
            gc.unfreeze()


def _execute(tasks: list[ReportTask], workers: int, scheduler: str | None, show: bool):
    """Yield a ReportEntry per task as renders finish, at most ``workers`` at a time (None: all submitted)."""
    from tqdm import tqdm

    if not tasks:
        return
    executor = _dask_executor(scheduler) if scheduler else local_executor(min(workers, len(tasks)))
    workers = workers or len(tasks)
    pending, queue = {}, list(reversed(tasks))
    bar = tqdm(total=len(tasks), disable=not show, unit="report", file=sys.stderr)
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                task = queue.pop()
                log.info("partnership=%s event=start", task.partnership_id)
                pending[executor.submit(render_task, task)] = task
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                entry = _entry_from_future(task, future)
                level = logging.INFO if entry.status == "ok" else logging.WARNING
                log.log(level, "partnership=%s event=end status=%s duration=%.2fs%s", task.partnership_id,
                        entry.status, entry.duration,
                        f" error={entry.error['summary']!r}" if entry.error else "")
                bar.update(1)
                yield entry
    except BaseException:
        stop_executor(executor, kill=True)
        raise
    else:
        stop_executor(executor, kill=False)
    finally:
        bar.close()


def render_task(task: ReportTask) -> dict:
    """Render one task (in a render thread here, or on a Dask worker); returns plain data a cluster can send back."""
    from evalkit.batch.render import render_report

    result = render_report(task.template, task.notebook, task.html, task.parameters, timeout=task.timeout,
                           memory_limit=task.memory_limit, title=task.title, kernel_server=task.kernel_server,
                           links=task.links, pdf=task.pdf)
    files = {}
    if result.ok:
        files = {"html": task.html.name, "notebook": task.notebook.name}
        if result.pdf is not None:
            files["pdf"] = result.pdf.name
        tables = task.parameters.get("tables_path")
        if tables and Path(tables).is_file():
            files["xlsx"] = Path(tables).name
    elif result.notebook is not None:
        files = {"notebook": result.notebook.name}
    return {"status": result.status, "duration": result.duration, "files": files,
            "error": result.error.to_dict() if result.error else None, "index_card": result.index_card}


def _entry_from_future(task: ReportTask, future) -> ReportEntry:
    try:
        outcome = future.result()
    except Exception as exc:  # the render thread or Dask worker could not run the task
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = public_text(message)  # published: no local path or contact detail
        outcome = {"status": "failed", "duration": 0.0, "files": {},
                   "error": {"ename": type(exc).__name__, "evalue": message, "cell_index": None,
                             "execution_count": None, "summary": f"{type(exc).__name__}: {message}"}}
    files = dict(outcome["files"])
    if outcome["status"] != "ok" and task.html.is_file():  # the last good report survives a failed re-render
        files["previous_html"] = task.html.name
    return ReportEntry(partnership_id=task.partnership_id, name=task.name, partner_type=task.partner_type,
                       status=outcome["status"], duration=outcome["duration"], files=files, error=outcome["error"],
                       hash=task.hash, headline=outcome.get("index_card") if outcome["status"] == "ok" else None)


def _reusable(task: ReportTask, previous: dict | None, out_dir: Path, force: bool) -> ReportEntry | None:
    """The previous entry of an unchanged, successfully rendered report whose files still exist."""
    if force or not previous or previous.get("status") != "ok" or previous.get("hash") != task.hash:
        return None
    files = previous.get("files") or {}
    if not all((out_dir / name).is_file() for name in files.values()) or "html" not in files:
        return None
    if task.pdf and "pdf" not in files:  # asked for a PDF this time
        return None
    head = previous.get("headline") if isinstance(previous.get("headline"), dict) else None
    return ReportEntry(partnership_id=task.partnership_id, name=task.name, partner_type=task.partner_type,
                       status="ok", duration=float(previous.get("duration") or 0.0), files=files, error=None,
                       hash=task.hash, rendered=False, headline=head)


def _write_slice(tables: dict, folder, sources) -> Path:
    """:func:`evalkit.batch.cache.write_slice`, or a one-line InputError naming the cache folder and the option."""
    try:
        return write_slice(tables, folder, sources=sources)
    except OSError as exc:  # HOME read-only or missing, a full disk
        raise InputError(f"Cannot write the run's data slices under {str(Path(folder).parent)!r} "
                         f"({exc.strerror or exc}); give a writable folder with --cache-dir (or set "
                         "EVALKIT_CACHE_HOME).") from None


def _kept_portfolio(previous: dict | None, out_dir: Path) -> dict | None:
    """The previous run's portfolio entry, kept by a run that renders none while its files are still there.

    A run of some partnerships renders no portfolio summary; the one an earlier run
    rendered stays in the folder, so it stays in the manifest (still evalkit's, still
    linked from the index) until a run renders a new one.
    """
    files = (previous or {}).get("files") or {}
    if not files or not all((out_dir / str(name)).is_file() for name in files.values()):
        return None
    return previous


def _headline(data, tables: dict, partnership_id: str, parameters: dict) -> dict | None:
    """The index card of a rendered report whose template did not display one, computed from the validated slice.

    Aggregates only (:func:`evalkit.report.headline`, through :mod:`evalkit.privacy`), with the
    run's ``alpha`` and ``min_group_size``. A failure here never fails the run: the card is left out.
    """
    from evalkit.report import headline

    try:
        part = replace(data, **{name: frame for name, frame in tables.items() if hasattr(data, name)})
        return headline(part, partnership_id, alpha=float(parameters.get("alpha", 0.05)),
                        min_group_size=parameters.get("min_group_size"))
    except Exception as exc:  # noqa: BLE001 - the card is optional; the report itself rendered
        log.warning("partnership=%s event=headline status=failed error=%r", partnership_id, str(exc)[:200])
        return None


def _dask_executor(address: str):
    from evalkit.batch.pool import dask_executor

    return dask_executor(address)  # renders use each worker's warm kernel server


def _links(out_dir: Path, with_portfolio: bool) -> tuple:
    """Links shown above each report: back to the index and, when there is one, the portfolio summary."""
    links = [("index.html", "All reports")]
    if with_portfolio or (out_dir / f"{PORTFOLIO_ID}.html").is_file():
        links.append((f"{PORTFOLIO_ID}.html", "Portfolio summary"))
    return tuple(links)


def _check_home() -> None:
    """InputError before anything is started when no home folder can be found (HOME unset, no passwd entry).

    Jupyter's runtime folder (kernel connection files) and the default slice cache live under it: without
    one, every kernel died at start ('Kernel died before replying to kernel_info').
    """
    try:
        Path.home()
    except RuntimeError:
        raise InputError(f"No home folder: HOME is not set and user id {os.getuid()} has no entry in the password "
                         "database; Jupyter kernels and the slice cache need one. Set HOME (e.g. "
                         "HOME=/var/lib/evalkit) in the crontab or service.") from None


def _check_pdf() -> None:
    """InputError before anything is rendered when PDFs are asked for but WeasyPrint cannot print."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the Pango library is missing
        raise InputError(f"--pdf needs WeasyPrint and the Pango library ({exc}); "
                         'install them with: pip install "evalkit[pdf]".') from exc


def _check_dask() -> None:
    """InputError before anything is rendered when a scheduler is given but the dask extra is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise InputError(f"--scheduler needs dask.distributed, which is not installed ({exc}); "
                         'install it with: pip install "evalkit[dask]".') from exc


#: The smallest ``memory_limit``: a kernel's own threads reserve about 90 MB of stacks (:mod:`evalkit.batch.forkserver`)
#: and its first read of the data (pyarrow's thread pools) more. On 24 November, under 64 MiB every kernel died
#: before it started, and at 100 MiB the kernel hung in that first read and the run never ended; 128 MiB worked.
MIN_MEMORY_LIMIT = 256 * 1024**2

#: Renders beyond one per core by default. Each render has phases in which its core would idle (kernel start and
#: handshake, notebook messaging, the HTML export in this process); one more render in flight fills them: on 2
#: cores, 48 partnerships took 71.8 s against 79.0 s with one render per core (3 runs each, 3% more CPU).
DEFAULT_EXTRA_WORKERS = 1


def _check_workers(workers, scheduler=None) -> int | None:
    """The renders to keep in flight: ``workers``, else one more than the cores; with a scheduler and no
    ``workers``, None: every render is submitted and the cluster's worker threads bound how many run."""
    if workers is None:
        return None if scheduler else (os.cpu_count() or 1) + DEFAULT_EXTRA_WORKERS
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be a positive integer, got {workers!r}.")
    return workers


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")

