"""Execute one parameterized report notebook and export it to self-contained HTML.

:func:`render_report` is the single-report step of the pipeline: papermill injects
the parameters (the papermill way, after the cell tagged ``parameters``), nbclient
executes the notebook in a kernel running *this* Python (``sys.executable``,
whatever kernelspecs the user has installed), and nbconvert's HTML exporter writes
an offline page with the code hidden and figures embedded as data URIs.

Both outputs are written atomically (temporary file, then rename), so an
interrupted or failed render never leaves a truncated file and never replaces a
previous good report.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from evalkit.errors import InputError, RenderError
from evalkit.batch.kernel import KernelTracker, kernel_manager_class
from evalkit.batch.html import export_html, write_pdf
from evalkit.batch.publish import PATH_PLACEHOLDER, cells_showing_ids, public_text, roster_terms_of, scrub_outputs
from evalkit.atomic import atomic_write_text, temporary_path
from evalkit.card import INDEX_CARD_MIMETYPE

__all__ = ["RenderResult", "RenderFailure", "render_report"]


@dataclass(frozen=True, kw_only=True)
class RenderFailure:
    """Why a report failed: the failing cell and the exception it raised.

    Attributes
    ----------
    ename : str
        Exception name (``ZeroDivisionError``, ``DeadKernelError``, ``TimeoutError``...).
    evalue : str
        Exception message.
    cell_index : int or None
        0-based index of the failing cell in the executed notebook (the injected
        parameters cell included; papermill's error banner excluded), ``None`` if
        the kernel failed before any cell ran.
    execution_count : int or None
        The ``In [N]`` number the failing cell shows, when it got one.
    """

    ename: str
    evalue: str
    cell_index: int | None = None
    execution_count: int | None = None

    @property
    def summary(self) -> str:
        """One line: ``ZeroDivisionError: division by zero (cell 3)``."""
        where = f" (cell {self.cell_index})" if self.cell_index is not None else ""
        message = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        return message + where

    def to_dict(self) -> dict:
        """Plain-``dict`` form used in ``manifest.json``."""
        return {
            "ename": self.ename,
            "evalue": self.evalue,
            "cell_index": self.cell_index,
            "execution_count": self.execution_count,
            "summary": self.summary,
        }


@dataclass(frozen=True, kw_only=True)
class RenderResult:
    """Outcome of :func:`render_report`.

    Attributes
    ----------
    status : str
        ``"ok"`` or ``"failed"``.
    duration : float
        Wall-clock seconds for execution and export.
    notebook : Path or None
        The executed notebook (``output_ipynb`` when ok; a ``.failed.ipynb``
        beside it when the notebook failed part-way and could be saved).
    html : Path or None
        The HTML report, only when ok.
    error : RenderFailure or None
        Why it failed, only when failed.
    pdf : Path or None
        The PDF beside the HTML, when ok and asked for (``pdf=True``).
    index_card : dict or None
        The card the report displayed for the run's index (:class:`evalkit.pageone.IndexCard`),
        when it displayed one.
    """

    status: str
    duration: float
    notebook: Path | None = None
    html: Path | None = None
    error: RenderFailure | None = field(default=None)
    pdf: Path | None = None
    index_card: dict | None = None

    @property
    def ok(self) -> bool:
        """``True`` when the report rendered without error."""
        return self.status == "ok"

    def raise_for_status(self) -> "RenderResult":
        """Return ``self`` if ok, else raise :class:`evalkit.errors.RenderError` naming the failing cell."""
        if not self.ok:
            where = f"; the partly executed notebook is {self.notebook}" if self.notebook else ""
            raise RenderError(f"The report failed: {self.error.summary}{where}.")
        return self


def failed_notebook_path(output_ipynb: Path) -> Path:
    """Where a failed render's partly executed notebook is kept (``<stem>.failed.ipynb``)."""
    output_ipynb = Path(output_ipynb)
    return output_ipynb.with_name(output_ipynb.stem + ".failed.ipynb")


def render_report(template, output_ipynb, output_html, parameters, timeout=None, *,
                  memory_limit=None, cwd=None, title=None, kernel_server=None, links=(),
                  pdf=False) -> RenderResult:
    """Execute a parameterized notebook with papermill and export it to offline HTML.

    Method: papermill injects ``parameters`` as a new cell after the cell tagged
    ``parameters``; the notebook runs in an IPython kernel of ``sys.executable`` (the
    environment evalkit runs in): forked from the warm ``kernel_server`` when given,
    else a fresh interpreter, shut down immediately afterwards. An index card the
    report displayed (:func:`take_index_card`) is lifted out of the notebook; evalkit's
    nbconvert template (the ``lab`` one without any script or stylesheet fetched from
    the network) then writes the page with code cells and prompts hidden and figures
    embedded as ``data:`` URIs (SVG, or PNG).

    A failure inside the notebook (an exception, a dead kernel, the timeout) does
    not raise: it is returned as ``status="failed"`` with the failing cell and the
    exception, the partly executed notebook is kept as ``<stem>.failed.ipynb``,
    and any previous ``output_ipynb``/``output_html`` is left untouched.

    Parameters
    ----------
    template : str or Path
        The template notebook (``.ipynb``) with a cell tagged ``parameters``.
    output_ipynb, output_html : str or Path
        Where to write the executed notebook and the HTML report.
    parameters : dict
        Values injected into the notebook (JSON-serialisable scalars, lists, dicts).
    timeout : float, optional
        Seconds the whole report may take to execute; when exceeded the kernel is
        killed and the report fails with ``TimeoutError``. Default: no limit.
    memory_limit : int, optional
        Bytes the kernel may grow by: its address-space limit (``RLIMIT_AS``) is set to
        what it has when it starts (a warm kernel: forked, or fresh after the same
        imports; see :mod:`evalkit.batch.forkserver`) plus this. A report that needs
        more fails with ``MemoryError`` or a dead kernel. Default: no limit.
    cwd : str or Path, optional
        Working directory of the kernel (default: the template's folder).
    title : str, optional
        ``<title>`` of the HTML page (default: the output file's stem).
    kernel_server : tuple, optional
        ``KernelServer.address`` of a warm fork server (:mod:`evalkit.batch.forkserver`)
        to take the kernel from; default: start a new interpreter.
    links : sequence of (href, text), optional
        Links shown above the report (e.g. back to ``index.html`` and ``_portfolio.html``).
    pdf : bool, default False
        Also print the page to ``<output_html stem>.pdf`` beside it with WeasyPrint
        (:func:`evalkit.batch.html.write_pdf`, offline, written atomically).

    Returns
    -------
    RenderResult

    Raises
    ------
    InputError
        If the template does not exist or is not a notebook.

    References
    ----------
    papermill: https://papermill.readthedocs.io ; nbclient: https://nbclient.readthedocs.io ;
    nbconvert: https://nbconvert.readthedocs.io

    Examples
    --------
    >>> from evalkit.batch.render import render_report
    >>> result = render_report("templates/partnership_report.ipynb",  # doctest: +SKIP
    ...                        "reports/p01.ipynb", "reports/p01.html",
    ...                        {"partnership_id": "p01", "data_dir": "data/sample"})
    >>> result.status  # doctest: +SKIP
    'ok'
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    template = Path(template)
    output_ipynb, output_html = Path(output_ipynb), Path(output_html)
    if not template.is_file() or template.suffix != ".ipynb":
        raise InputError(f"Template {str(template)!r} is not a notebook file; expected an existing .ipynb file.")
    if timeout is not None and timeout <= 0:
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    output_ipynb.parent.mkdir(parents=True, exist_ok=True)
    output_html.parent.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    scratch = temporary_path(output_ipynb)
    tracker = KernelTracker()
    watchdog = _Watchdog(timeout, tracker)
    error = None
    try:
        with watchdog:
            # The notebook is written once at the end (or on a cell error), not after every cell:
            # saving after each cell cost the batch process about 0.2 CPU-s per report.
            nb = pm.execute_notebook(
                str(template), str(scratch), parameters=dict(parameters), engine_name=_engine_name(),
                request_save_on_cell_execute=False,
                kernel_name="python3", progress_bar=False, log_output=False,
                kernel_manager_class=kernel_manager_class(memory_limit, tracker, kernel_server,
                                                          cwd=str(cwd or template.parent.resolve())),
                shutdown_kernel="immediate", on_cell_start=watchdog.cell_started,
            )
    except PapermillExecutionError as exc:
        error = RenderFailure(ename=exc.ename, evalue=str(exc.evalue), cell_index=exc.cell_index,
                              execution_count=exc.exec_count)
    except Exception as exc:  # dead kernel, timeout, kernel failed to start
        _save_partial(scratch)
        error = _failure_from_partial(scratch, exc, watchdog)

    terms = roster_terms_of(parameters.get("data_dir"))  # the slice's ids: read once, for every check below
    if error is None:
        # a template's own cell may print participants (an edited one checking the data): such a report is not
        # published, and the kept notebook has that cell's outputs removed
        showing = cells_showing_ids(nb.cells, terms)
        if showing:
            error = RenderFailure(
                ename="PrivacyError", cell_index=showing[0], execution_count=nb.cells[showing[0]].get("execution_count"),
                evalue=(f"cell {showing[0]} shows participant ids of the data; a report describes groups, never "
                        "individuals, so it was not published: remove that output from the template"))
            _remove_outputs(scratch, showing)
    if error is not None:  # its message may quote a data value or a local path: published without them
        error = replace(error, evalue=public_text(error.evalue, terms))
        kept = None
        if scratch.exists():
            kept = publish_notebook(scratch, failed_notebook_path(output_ipynb), template, parameters, terms=terms)
        return RenderResult(status="failed", duration=time.perf_counter() - start, notebook=kept, error=error)

    card = take_index_card(nb)
    try:
        body = export_html(nb, title=title or output_html.stem, links=links)
        atomic_write_text(output_html, body)
        if pdf:
            write_pdf(output_html, output_html.with_suffix(".pdf"))
        publish_notebook(scratch, output_ipynb, template, parameters)
        failed_notebook_path(output_ipynb).unlink(missing_ok=True)
    finally:
        scratch.unlink(missing_ok=True)
    return RenderResult(status="ok", duration=time.perf_counter() - start, notebook=output_ipynb, html=output_html,
                        pdf=output_html.with_suffix(".pdf") if pdf else None, index_card=card)


#: What a parameter naming a path in the report's data folder (the batch's slice, outside the output folder)
#: reads in a published notebook: the folder's place on this machine is nobody's business.
DATA_PLACEHOLDER = "<data slice>"
# Any other absolute path outside the output folder reads PATH_PLACEHOLDER (evalkit.batch.publish).


def public_parameters(parameters: dict, folder) -> dict:
    """``parameters`` with no absolute local path: what a published notebook may show.

    An absolute path directly inside ``folder`` (the output folder: ``tables_path``) becomes
    its file name; the ``data_dir`` folder, and paths inside it (``provenance``), become
    :data:`DATA_PLACEHOLDER` (``<data slice>``, ``<data slice>/provenance.json``); any other
    absolute path :data:`PATH_PLACEHOLDER`. Other values, relative paths included, are kept.

    Examples
    --------
    >>> public_parameters({"partnership_id": "p01", "data_dir": "/cache/p01",
    ...                    "provenance": "/cache/p01/provenance.json", "tables_path": "/out/p01.xlsx",
    ...                    "alpha": 0.05}, "/out")  # doctest: +NORMALIZE_WHITESPACE
    {'partnership_id': 'p01', 'data_dir': '<data slice>', 'provenance': '<data slice>/provenance.json',
     'tables_path': 'p01.xlsx', 'alpha': 0.05}
    """
    folder = Path(os.path.abspath(folder))
    data = parameters.get("data_dir")
    data = Path(os.path.abspath(data)) if isinstance(data, (str, os.PathLike)) and os.path.isabs(data) else None
    public = {}
    for key, value in parameters.items():
        if isinstance(value, (str, os.PathLike)) and os.path.isabs(value):
            path = Path(os.path.abspath(value))
            if path.parent == folder:
                value = path.name
            elif data is not None and (path == data or data in path.parents):
                value = "/".join([DATA_PLACEHOLDER, *path.relative_to(data).parts])
            else:
                value = PATH_PLACEHOLDER
        public[key] = value
    return public


def publish_notebook(scratch: Path, target: Path, template, parameters: dict, *, terms=None) -> Path | None:
    """Publish the executed notebook ``scratch`` as ``target`` (written atomically), naming no local path.

    Everything in the output folder may be published, so the notebook's papermill record
    keeps file names only: ``input_path`` is the template's name, ``output_path`` the
    target's (not the temporary file's), and the parameters, in the metadata and in the
    injected-parameters cell (written again by papermill's own translator), are
    :func:`public_parameters`. The kernel ran with the real paths; only the saved copy changes.
    Error outputs and stderr streams (a failure's message and traceback, a warning) name no
    local path, contact detail or participant id of the data slice (:func:`evalkit.batch.publish.public_text`;
    ``terms``: the slice's :func:`~evalkit.batch.publish.roster_terms_of`, read here when not given).
    The file is edited as JSON (as nbformat writes it: indent 1, sorted keys), not
    re-validated. A notebook that cannot be read is not published (``None``).
    """
    import json

    from papermill.translators import translate_parameters

    target = Path(target)
    try:
        nb = json.loads(Path(scratch).read_text(encoding="utf-8"))
        meta = nb.setdefault("metadata", {})
    except (OSError, ValueError, AttributeError):
        Path(scratch).unlink(missing_ok=True)
        return None
    public = public_parameters(dict(parameters), target.parent)
    record = meta.get("papermill")
    if isinstance(record, dict):
        record.update(input_path=Path(template).name, output_path=target.name)
        if isinstance(record.get("parameters"), dict):
            record["parameters"] = public_parameters(record["parameters"], target.parent)
    if any(o.get("output_type") == "error" or o.get("name") == "stderr"
           for c in nb.get("cells") or [] for o in c.get("outputs") or []):
        scrub_outputs(nb.get("cells"), terms if terms is not None else roster_terms_of(parameters.get("data_dir")))
    language = (meta.get("kernelspec") or {}).get("language") or "python"
    for cell in nb.get("cells") or []:
        if "injected-parameters" in (cell.get("metadata") or {}).get("tags", []):
            text = translate_parameters("python3", language, public, "Parameters")
            cell["source"] = text.splitlines(keepends=True)
    atomic_write_text(target, json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    Path(scratch).unlink(missing_ok=True)
    return target


def take_index_card(nb) -> dict | None:
    """Remove the index-card outputs (:data:`evalkit.card.INDEX_CARD_MIMETYPE`) from ``nb``; return the last card.

    The card is data for the run's index, not part of the page, so the HTML never shows it.
    Only a JSON object whose values are text, numbers or lists of text is kept as a card.

    Examples
    --------
    >>> import nbformat
    >>> from evalkit.card import INDEX_CARD_MIMETYPE
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
    ...     "execute_result", data={INDEX_CARD_MIMETYPE: {"headline": "All improved."}, "text/plain": "card"})])])
    >>> take_index_card(nb), nb.cells[0].outputs
    ({'headline': 'All improved.'}, [])
    """
    card = None
    for cell in nb.cells:
        outputs = cell.get("outputs") or []
        kept = [o for o in outputs if INDEX_CARD_MIMETYPE not in (o.get("data") or {})]
        for o in outputs:
            data = (o.get("data") or {}).get(INDEX_CARD_MIMETYPE)
            if isinstance(data, dict) and all(isinstance(v, (str, int, float, list)) for v in data.values()):
                card = dict(data)
        if len(kept) != len(outputs):
            cell["outputs"] = kept
    return card


_ENGINE = "evalkit"
_registered = False
_running = threading.local()  # this thread's papermill execution manager, for a render that dies mid-way


def _engine_name() -> str:
    """papermill's nbclient engine, registered as ``evalkit``, keeping each thread's execution manager.

    With ``request_save_on_cell_execute=False`` papermill writes the notebook only when
    it ends (or a cell raises); when the kernel dies or times out instead, the cells run
    so far are still in the manager's notebook, which :func:`_save_partial` writes out.
    """
    from papermill.engines import NBClientEngine, papermill_engines

    global _registered
    if not _registered:
        class EvalkitEngine(NBClientEngine):
            @classmethod
            def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
                _running.manager = nb_man
                return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

        papermill_engines.register(_ENGINE, EvalkitEngine)
        _registered = True
    _running.manager = None
    return _ENGINE


def _remove_outputs(scratch: Path, cells: list[int]) -> None:
    """Replace the outputs of ``cells`` in the executed notebook ``scratch`` with a note saying why."""
    import json

    nb = json.loads(Path(scratch).read_text(encoding="utf-8"))
    note = {"output_type": "stream", "name": "stdout",
            "text": "[output removed by evalkit: it showed participant ids]\n"}
    for i in cells:
        nb["cells"][i]["outputs"] = [note]
    atomic_write_text(Path(scratch), json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def _save_partial(scratch: Path) -> None:
    """Write the notebook of this thread's render that failed outside a cell (dead kernel, timeout)."""
    manager, _running.manager = getattr(_running, "manager", None), None
    if manager is None or scratch.exists():
        return
    import nbformat

    try:
        nbformat.write(manager.nb, str(scratch))
    except Exception:  # nothing readable to keep
        scratch.unlink(missing_ok=True)


def _failure_from_partial(scratch: Path, exc: BaseException, watchdog: "_Watchdog") -> RenderFailure:
    """Describe a failure that produced no cell error output (dead kernel, timeout)."""
    cell_index = execution_count = None
    if scratch.exists():
        import nbformat

        try:
            nb = nbformat.read(scratch, as_version=4)
        except Exception:  # the kernel died before papermill saved anything readable
            nb = None
        if nb is not None:
            for index, cell in enumerate(nb.cells):
                if cell.get("metadata", {}).get("papermill", {}).get("start_time"):
                    cell_index, execution_count = index, cell.get("execution_count")
    if watchdog.fired:
        return RenderFailure(ename="TimeoutError", evalue=f"the report exceeded the timeout of {watchdog.timeout:g} s",
                             cell_index=cell_index, execution_count=execution_count)
    ename = type(exc).__name__
    evalue = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if ename == "DeadKernelError":
        evalue = evalue or "the kernel died"
    return RenderFailure(ename=ename, evalue=evalue, cell_index=cell_index, execution_count=execution_count)


class _Watchdog:
    """Kill the kernel if the report runs longer than ``timeout`` seconds from its first cell.

    The clock starts when nbclient starts the first cell (its ``on_cell_start`` hook), so
    a slow kernel start-up (bounded by papermill's own start timeout) never eats into
    the report's time. When it fires, the kernel is killed at once and nbclient, which
    checks every second that the kernel is alive, ends the render as failed within
    about a second.
    """

    def __init__(self, timeout: float | None, tracker: KernelTracker):
        self.timeout = timeout
        self.tracker = tracker
        self.fired = False
        self._timer: threading.Timer | None = None

    def _arm(self) -> None:
        self._timer = threading.Timer(self.timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        try:
            os.kill(self.tracker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def cell_started(self, **_hook_arguments) -> None:
        """nbclient's ``on_cell_start`` hook: the first call starts the clock."""
        if self.timeout is not None and self._timer is None:
            self._arm()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self._timer is not None:
            self._timer.cancel()
        return False
