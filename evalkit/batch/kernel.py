"""Kernels for report rendering: always this Python, warm when a fork server runs, optionally memory-capped.

nbclient normally looks the notebook's kernel name (``python3``) up in the
user's installed kernelspecs, which may point at another Python. Reports must
run in the environment evalkit itself runs in, so :func:`kernel_manager_class`
returns a kernel manager whose kernel specification is built from
``sys.executable``; nothing is registered globally. That specification names the
``evalkit-provisioner`` kernel provisioner (:mod:`evalkit.batch.provisioner`, registered
through the ``jupyter_client.kernel_provisioners`` entry point) and carries the
render's settings as its config: the warm server to fork from, the memory limit
and the kernel's working folder.
"""
from __future__ import annotations

import os
import sys
import tempfile
import uuid

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from evalkit.batch.provisioner import provisioner_stanza

#: A fresh kernel (no fork server): this Python, no IPython history database (parallel kernels
#: would contend for its lock); the provisioner appends ``--memory-limit`` when there is one.
KERNEL_ARGV = [sys.executable, "-m", "evalkit.batch.forkserver", "kernel", "-f", "{connection_file}"]


class KernelTracker:
    """Remembers the pid of the kernel a render started (the timeout watchdog kills it by that pid)."""

    def __init__(self):
        self.pid: int | None = None

    def started(self, pid: int) -> None:
        self.pid = pid


class ProjectKernelManager(AsyncKernelManager):
    """Kernel manager for one render: this Python, through the ``evalkit-provisioner``.

    Subclasses made by :func:`kernel_manager_class` set ``memory_limit`` (bytes the
    kernel may grow by), ``server_address`` (a warm fork server), ``kernel_cwd`` (the
    kernel's working folder: passed to the kernel, never set with chdir in this
    process, which runs several renders in threads) and ``tracker``.
    """

    memory_limit: int | None = None
    tracker: KernelTracker | None = None
    server_address: tuple | None = None
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
                interrupt_mode="signal",
                metadata={"debugger": False,
                          "kernel_provisioner": provisioner_stanza(self.server_address, self.memory_limit,
                                                                   self.kernel_cwd)},
            )
        return self._kernel_spec

    async def start_kernel(self, **kw):
        await super().start_kernel(**kw)
        if self.tracker is not None:
            self.tracker.started(self.provisioner.pid)


def kernel_manager_class(memory_limit: int | None = None, tracker: KernelTracker | None = None,
                         server_address: tuple | None = None, cwd: str | None = None) -> type:
    """A :class:`ProjectKernelManager` subclass carrying one render's settings.

    With ``server_address`` (see :mod:`evalkit.batch.forkserver`) the kernel is a
    fresh fork of a warm server instead of a new interpreter. ``memory_limit`` bounds
    how many bytes the kernel's address space may grow by once started (the same in
    both cases; the warm libraries a fork inherits do not count).
    """
    return type("RenderKernelManager", (ProjectKernelManager,),
                {"memory_limit": memory_limit, "tracker": tracker, "server_address": server_address,
                 "kernel_cwd": cwd})
