"""Run renders concurrently, and stop them without leaving orphans.

A render's heavy work happens in its kernel, a separate process forked from the
warm kernel server (:mod:`evalkit.render_forkserver`); what is left in the batch
process (sending cells, saving the notebook, exporting HTML) is mostly waiting,
so ``workers`` threads drive ``workers`` kernel processes in parallel. Threads
need no start-up imports, nothing is pickled, and ``run_batch`` works the same
from a script without a ``__main__`` guard, a notebook or cron.

Ctrl-C (or any error) in the batch process kills the kernel server and with it
every kernel (:func:`kill_tree`); the render threads then see dead kernels and end.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor


def local_executor(workers: int) -> ThreadPoolExecutor:
    """An executor running up to ``workers`` renders at a time in this process."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evalkit-render")


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
    """Shut an executor down: wait for running renders, or (``kill``) drop whatever is queued."""
    client = getattr(executor, "_evalkit_client", None)
    if client is not None:  # dask.distributed: its executor cancels pending futures itself
        executor.shutdown(wait=not kill)
        client.close()
    else:
        executor.shutdown(wait=not kill, cancel_futures=kill)
