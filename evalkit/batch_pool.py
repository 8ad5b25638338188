"""Worker processes for batch renders, and stopping them without leaving orphans.

Workers ignore SIGINT: Ctrl-C is handled once, in the parent, which then kills
every worker together with its kernels (the whole process tree), so no kernel
outlives an interrupted run.
"""
from __future__ import annotations

import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


#: Imported once by multiprocessing's fork server; every worker is forked from it already warm
#: (importing papermill/nbformat costs seconds, mostly jsonschema's IRI grammar).
WORKER_PRELOAD = ["evalkit.batch", "evalkit.render"]


def local_executor(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes forked from a warm multiprocessing fork server.

    Workers are forked from a clean single-threaded server process (the
    ``forkserver`` start method), never from the caller, which may run threads.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_ignore_sigint)


def kill_tree(pids) -> None:
    """SIGKILL the given processes and all their descendants, and reap them."""
    import psutil

    procs = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            procs.extend(root.children(recursive=True))
            procs.append(root)
        except psutil.NoSuchProcess:
            continue
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)


def stop_executor(executor, *, kill: bool) -> None:
    """Shut an executor down; with ``kill``, kill its workers and their kernels at once."""
    client = getattr(executor, "_evalkit_client", None)
    if client is not None:  # dask.distributed
        executor.shutdown(wait=not kill)
        client.close()
        return
    if kill:
        processes = dict(getattr(executor, "_processes", None) or {})
        kill_tree(processes)
        executor.shutdown(wait=True, cancel_futures=True)
    else:
        executor.shutdown(wait=True)
