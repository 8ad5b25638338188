"""The batch: run the report templates, one report per partnership, and publish the run.

This subpackage is the last stage of the pipeline and the only one that knows about
kernels, slices and output folders. Nothing else in evalkit imports it (the command
line, :mod:`evalkit.cli`, calls it through this module; ``tests/test_architecture.py``
checks). Its stages, in the order a run goes through them::

    plan -> cache -> pool -> render (kernel / provisioner / forkserver) -> html -> publish

``run``          :func:`run_batch`, the one entry point: validates the data once and drives the stages below
                 (:func:`warm_kernels`: runs in one block share one warm kernel server)
``plan``         which template and partnerships; one :class:`~evalkit.batch.plan.ReportTask` per report
``cache``        the validated data cut once into one Parquet slice per partnership, outside the output
``pool``         renders in parallel, here (threads) or on a dask.distributed cluster; :func:`kill_tree`
``render``       :func:`render_report`: one notebook executed with papermill, exported, written atomically
``kernel``       the kernel manager of a render, started through the ``evalkit-provisioner``
``provisioner``  that jupyter_client kernel provisioner (an entry point): a forked or a fresh kernel
``forkserver``   warm kernels: a server that imported the template's libraries once and forks each kernel
``html``         the offline HTML page (evalkit's nbconvert template) and the PDF
``publish``      the output folder: safe paths, run lock, ``manifest.json`` and ``index.html``

Names are imported on first use (``from evalkit.batch import run_batch``), so importing a
stage (``python -m evalkit.batch.forkserver``, the provisioner's entry point) does not
import the others.
"""
from __future__ import annotations

from evalkit._lazy import lazy_attributes

#: Public names of the subpackage -> the stage module that defines them.
_EXPORTS = {
    "run_batch": "evalkit.batch.run",
    "BatchResult": "evalkit.batch.run",
    "ReportEntry": "evalkit.batch.run",
    "MIN_MEMORY_LIMIT": "evalkit.batch.run",
    "warm_kernels": "evalkit.batch.run",
    "render_report": "evalkit.batch.render",
    "RenderResult": "evalkit.batch.render",
    "RenderFailure": "evalkit.batch.render",
    "kill_tree": "evalkit.batch.pool",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
