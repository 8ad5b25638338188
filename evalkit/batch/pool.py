"""Run renders concurrently, here or on a Dask cluster, and stop them without leaving orphans.

Locally, a render's heavy work happens in its kernel, a separate process forked
from the warm kernel server (:mod:`evalkit.batch.forkserver`); what is left in
the batch process (sending cells, saving the notebook, exporting HTML) is mostly
waiting, so ``workers`` threads drive ``workers`` kernel processes in parallel
(:func:`local_executor`). Ctrl-C (or any error) in the batch process kills the
kernel server and with it every kernel (:func:`kill_tree`); the render threads
then see dead kernels and end.

On a dask.distributed cluster every worker keeps a warm kernel server too, so a
report costs the same there as here: :class:`DaskKernelServers` registers a
worker plugin that starts a :class:`~evalkit.batch.forkserver.KernelServer` on
each worker (and on workers that join later) and stops it when the run ends; the
executor from :func:`dask_executor` runs each render on a worker with that
worker's server. Connecting to a scheduler that is unreachable or malformed
fails within ``CONNECT_TIMEOUT`` seconds with one :class:`~evalkit.errors.InputError`.

Running on a cluster: every worker runs the same evalkit environment, and sees
the template, the run's data slices and the output folder at the same paths as
the machine that runs ``evalkit run`` (a shared file system): workers write the
reports there themselves; only each render's outcome (status, duration, error)
comes back to the batch process, which writes the manifest and index. Several
runs may share a cluster: each registers its own plugin (its own servers).
"""
from __future__ import annotations

import contextvars
import dataclasses
import secrets
from concurrent.futures import ThreadPoolExecutor

from evalkit.errors import InputError

__all__ = ["CONNECT_TIMEOUT", "DaskExecutor", "DaskKernelServers", "dask_executor", "kill_tree",
           "local_executor", "stop_executor", "worker_kernel_server"]

#: Seconds to wait for a Dask scheduler before giving up with an InputError.
CONNECT_TIMEOUT = 5
#: Names of this process's worker plugins, by scheduler address (set while a run's servers are up).
_PLUGIN_NAMES: dict[str, str] = {}
PLUGIN_PREFIX = "evalkit-kernel-server"


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
    executor.shutdown(wait=not kill, cancel_futures=kill)


# --- Dask -------------------------------------------------------------------------
def connect(address: str):
    """A dask.distributed ``Client`` for ``address``, or one-line :class:`InputError` within ``CONNECT_TIMEOUT`` s."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--scheduler needs dask.distributed: install evalkit with the dask extra "
                         "(pip install 'evalkit[dask]').") from None
    _check_address(address)
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:  # OSError/TimeoutError when unreachable, ValueError/TypeError when malformed
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"Cannot reach the dask scheduler at {address!r} "
                         f"(waited up to {CONNECT_TIMEOUT} s): {reason}") from None


def _check_address(address: str) -> None:
    """One-line InputError for a scheduler address that is not one (``nonsense``, ``tcp://host``, ``foo://h:1``).

    Checked before a ``Client`` is made: a Client given such an address failed, then
    spent 10 s closing when it was collected and printed a traceback. ``inproc://``
    (a cluster in this process) has no port.
    """
    from distributed.comm.addressing import get_address_host_port, parse_address

    try:
        if parse_address(address)[0] != "inproc":
            get_address_host_port(address)
    except (ValueError, TypeError) as exc:
        raise InputError(f"Cannot reach the dask scheduler at {address!r}: it is not a scheduler address ({exc}); "
                         "expected e.g. tcp://scheduler-host:8786.") from None


def _plugin_class():
    """The worker plugin class, made on first use so that importing evalkit never imports distributed."""
    cls = globals().get("KernelServerPlugin")
    if cls is not None:
        return cls
    from distributed.diagnostics.plugin import WorkerPlugin

    class KernelServerPlugin(WorkerPlugin):
        """Keeps one warm :class:`~evalkit.batch.forkserver.KernelServer` on each Dask worker."""

        def __init__(self, preload):
            self.preload = list(preload)
            self.server = None

        def setup(self, worker):
            from evalkit.batch.forkserver import KernelServer

            self.server = KernelServer(self.preload).start()

        def teardown(self, worker):
            if self.server is not None:
                self.server.stop()
                self.server = None

        @property
        def address(self):
            return None if self.server is None else self.server.address

        def __getstate__(self):  # sent to the workers before it is set up: no server
            return {"preload": self.preload, "server": None}

    KernelServerPlugin.__module__ = __name__
    KernelServerPlugin.__qualname__ = "KernelServerPlugin"
    globals()["KernelServerPlugin"] = KernelServerPlugin
    return KernelServerPlugin


def __getattr__(name):  # lets pickle find the plugin class (evalkit.batch.pool.KernelServerPlugin) on workers
    if name == "KernelServerPlugin":
        return _plugin_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DaskKernelServers:
    """Warm kernel servers on every worker of a Dask cluster, for one run.

    :meth:`start` connects (an :class:`InputError` within ``CONNECT_TIMEOUT`` s if the
    scheduler cannot be reached) and registers a worker plugin under a name of its
    own; workers start their server at once, so their imports overlap with the
    validation of the data. :meth:`stop` unregisters it (each worker stops its server
    and its kernels). ``address`` is ``None``: each render finds its worker's server
    (:func:`worker_kernel_server`).

    Examples
    --------
    >>> servers = DaskKernelServers("tcp://scheduler:8786", ["pandas"])  # doctest: +SKIP
    >>> with servers.start():  # doctest: +SKIP
    ...     executor = dask_executor("tcp://scheduler:8786")
    """

    address = None

    def __init__(self, scheduler: str, preload=()):
        self.scheduler, self.preload = scheduler, list(preload)
        self.name = f"{PLUGIN_PREFIX}-{secrets.token_hex(4)}"
        self.client = None

    def start(self) -> "DaskKernelServers":
        self.client = connect(self.scheduler)
        self.client.register_plugin(_plugin_class()(self.preload), name=self.name)
        _PLUGIN_NAMES[self.scheduler] = self.name
        return self

    def stop(self) -> None:
        if self.client is None:
            return
        if _PLUGIN_NAMES.get(self.scheduler) == self.name:
            del _PLUGIN_NAMES[self.scheduler]
        try:
            self.client.unregister_worker_plugin(self.name)
        except Exception:  # the cluster went away: its workers' servers died with them
            pass
        self.client.close()
        self.client = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False


def worker_kernel_server(name: str | None = None):
    """On a Dask worker: the address of its warm kernel server (plugin ``name``, or any evalkit one), else None."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not running on a worker
        return None
    plugins = worker.plugins
    candidates = [plugins[name]] if name in plugins else [p for n, p in plugins.items()
                                                          if str(n).startswith(PLUGIN_PREFIX)]
    for plugin in candidates:
        if getattr(plugin, "address", None) is not None:
            return plugin.address
    return None


def _render_on_worker(fn, task, plugin_name):
    """Run ``fn(task)`` on a worker, the kernel taken from that worker's warm server when there is one."""
    if getattr(task, "kernel_server", None) is None:
        address = worker_kernel_server(plugin_name)
        if address is not None:
            task = dataclasses.replace(task, kernel_server=address)
    # A fresh context: dask runs tasks in a copy of the submitting thread's context, and that may hold
    # the submitter's asyncio loop (jupyter_core keeps it in a ContextVar), which nbclient would reuse.
    return contextvars.Context().run(fn, task)


class DaskExecutor:
    """A ``concurrent.futures`` executor over a Dask client that owns the client (closed on shutdown).

    ``submit(fn, task)`` runs ``fn(task)`` on a worker; a dataclass ``task`` whose
    ``kernel_server`` is ``None`` gets the worker's warm kernel server.
    """

    def __init__(self, client, plugin_name: str | None = None):
        self.client, self.plugin_name = client, plugin_name
        self._executor = client.get_executor(pure=False)

    def submit(self, fn, task):
        return self._executor.submit(_render_on_worker, fn, task, self.plugin_name)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait and not cancel_futures)  # not waiting = cancel what is pending
        self.client.close()


def dask_executor(address: str) -> DaskExecutor:
    """An executor sending renders to the Dask scheduler at ``address`` (InputError if unreachable)."""
    return DaskExecutor(connect(address), _PLUGIN_NAMES.get(address))
