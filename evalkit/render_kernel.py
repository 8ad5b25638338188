"""Kernels for report rendering: always this Python, optionally memory-limited.

nbclient normally looks the notebook's kernel name (``python3``) up in the
user's installed kernelspecs, which may point at another Python. Reports must
run in the environment evalkit itself runs in, so :func:`kernel_manager_class`
returns a kernel manager whose kernelspec is built from ``sys.executable``;
nothing is registered globally.
"""
from __future__ import annotations

import os
import sys
import tempfile
import uuid

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

#: No IPython history database: parallel kernels would contend for its lock, and batch runs need none.
KERNEL_ARGV = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--HistoryManager.enabled=False"]


class KernelTracker:
    """Remembers the pid of the kernel a render started and tells ``on_start`` (its timeout watchdog)."""

    def __init__(self):
        self.pid: int | None = None
        self.on_start = None

    def started(self, pid: int) -> None:
        self.pid = pid
        if self.on_start is not None:
            self.on_start()


class ProjectKernelManager(AsyncKernelManager):
    """Kernel manager that starts ``sys.executable -m ipykernel_launcher``.

    Set ``memory_limit`` (bytes, ``RLIMIT_AS``), ``tracker`` and ``server_address``
    on a subclass, see :func:`kernel_manager_class`.
    """

    memory_limit: int | None = None
    tracker: KernelTracker | None = None
    server_address: tuple[str, str] | None = None
    #: The kernel's working folder (passed to the kernel, never set with chdir in this process,
    #: which may run several renders in threads).
    kernel_cwd: str | None = None

    def __init__(self, **kwargs):
        # Local unix sockets: no open TCP ports (and no plain-text warning). Each kernel gets
        # its own socket prefix: the default ("kernel-ipc" in the working folder) is shared
        # by every kernel started from the same folder, so parallel kernels would cross-talk.
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(tempfile.gettempdir(), f"evalkit-{uuid.uuid4().hex[:16]}"))
        super().__init__(**kwargs)

    @property
    def kernel_spec(self) -> KernelSpec:
        if self._kernel_spec is None:
            self._kernel_spec = KernelSpec(
                argv=list(KERNEL_ARGV), display_name="Python (evalkit)", language="python",
                interrupt_mode="signal", metadata={"debugger": False},
            )
        return self._kernel_spec

    async def _async_pre_start_kernel(self, **kw):
        if self.server_address is not None and self.provisioner is None:
            from evalkit.render_forkserver import ForkServerProvisioner

            self.provisioner = ForkServerProvisioner(kernel_id=self.kernel_id or kw.get("kernel_id") or "",
                                                     kernel_spec=self.kernel_spec, parent=self)
            self.provisioner.server_address = self.server_address
            self.provisioner.memory_limit = self.memory_limit
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self.kernel_cwd is not None:
            kw["cwd"] = self.kernel_cwd
        if self.memory_limit is not None and self.server_address is None:
            kw["preexec_fn"] = _limit_memory(self.memory_limit)
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.tracker is not None:
            self.tracker.started(self.provisioner.pid)


def kernel_manager_class(memory_limit: int | None = None, tracker: KernelTracker | None = None,
                         server_address: tuple[str, str] | None = None, cwd: str | None = None) -> type:
    """A :class:`ProjectKernelManager` subclass carrying one render's settings.

    With ``server_address`` (see :mod:`evalkit.render_forkserver`) the kernel is a
    fresh fork of a warm server instead of a new interpreter.
    """
    return type("RenderKernelManager", (ProjectKernelManager,),
                {"memory_limit": memory_limit, "tracker": tracker, "server_address": server_address,
                 "kernel_cwd": cwd})


def _limit_memory(limit: int):
    def apply() -> None:  # runs in the kernel process, between fork and exec
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply
