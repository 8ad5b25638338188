"""The ``evalkit-provisioner`` kernel provisioner: report kernels forked from a warm server, or fresh.

jupyter_client starts every kernel through a *kernel provisioner* named in the
kernel specification's metadata (``{"kernel_provisioner": {"provisioner_name": ...,
"config": {...}}}``) and found through the ``jupyter_client.kernel_provisioners``
entry point. evalkit registers :class:`EvalkitProvisioner` there (see
``pyproject.toml``) and :mod:`evalkit.batch.kernel` names it in the kernel
specification it builds, with the render's settings as its ``config``:

``server_address``
    ``KernelServer.address`` of a warm fork server (:mod:`evalkit.batch.forkserver`).
    The kernel is a fork of that server. If the server refuses to fork (it is not
    single-threaded), the provisioner starts a fresh kernel instead and logs a warning;
    if the server has died, the launch fails at once with :class:`KernelServerError`.
    Without it, the kernel is a fresh ``python -m evalkit.batch.forkserver kernel``.
``memory_limit``
    Bytes the kernel may grow by (``RLIMIT_AS`` = its address space when it starts + this),
    see :mod:`evalkit.batch.forkserver`.
``kernel_cwd``
    The kernel's working folder.

Everything flows through jupyter_client's public provisioner hooks (the constructor's
config, :meth:`pre_launch`, :meth:`launch_kernel`); no jupyter_client method is
overridden outside this class's own API.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from traitlets import Integer, List, Unicode

from evalkit.batch.forkserver import ForkRefused, KernelServerError, request

__all__ = ["EvalkitProvisioner", "NAME", "provisioner_stanza"]

#: The entry-point name, under ``jupyter_client.kernel_provisioners``.
NAME = "evalkit-provisioner"


def provisioner_stanza(server_address=None, memory_limit: int | None = None, cwd: str | None = None) -> dict:
    """The ``kernel_provisioner`` entry of a kernel specification's metadata that selects this provisioner.

    Examples
    --------
    >>> provisioner_stanza(memory_limit=2**30, cwd="/tmp")["provisioner_name"]
    'evalkit-provisioner'
    """
    config: dict[str, Any] = {}
    if server_address is not None:
        config["server_address"] = list(server_address)
    if memory_limit is not None:
        config["memory_limit"] = int(memory_limit)
    if cwd is not None:
        config["kernel_cwd"] = str(cwd)
    return {"provisioner_name": NAME, "config": config}


class ForkedKernel:
    """The part of :class:`subprocess.Popen` jupyter_client uses, for a kernel the fork server started.

    Its state comes from the server (``status`` by launch token): the kernel is the
    server's child, not ours, and its pid could be reused once it is reaped.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, token: str, address):
        self.pid, self.token, self.address, self.returncode = pid, token, address, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = request(self.address, ("status", self.token), wait=0)
            except KernelServerError:  # the server is gone, and its kernels with it
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # not yet reaped by the server, so the pid is still this kernel's
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class EvalkitProvisioner(LocalProvisioner):
    """Kernel provisioner for report kernels: a fork of a warm server, or a fresh, memory-capped process.

    Configured through the kernel specification (see the module docstring and
    :func:`provisioner_stanza`).

    Examples
    --------
    >>> from jupyter_client.kernelspec import KernelSpec
    >>> from jupyter_client.provisioning import KernelProvisionerFactory
    >>> spec = KernelSpec(argv=["python"], language="python",
    ...                   metadata={"kernel_provisioner": provisioner_stanza(cwd="/tmp")})
    >>> prov = KernelProvisionerFactory.instance().create_provisioner_instance("k1", spec, None)
    >>> type(prov).__name__, prov.kernel_cwd
    ('EvalkitProvisioner', '/tmp')
    """

    server_address = List(default_value=None, allow_none=True, config=True,
                          help="KernelServer.address of the warm fork server (path, key[, pid]); None: fresh kernel.")
    memory_limit = Integer(default_value=None, allow_none=True, config=True,
                           help="Bytes the kernel's address space may grow by after it starts.")
    kernel_cwd = Unicode(default_value=None, allow_none=True, config=True, help="The kernel's working folder.")

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        if self.kernel_cwd is not None:
            kwargs["cwd"] = self.kernel_cwd
        kwargs = await super().pre_launch(**kwargs)
        if self.memory_limit:  # read by a fresh kernel (python -m evalkit.batch.forkserver kernel)
            kwargs["cmd"] = [*kwargs["cmd"], "--memory-limit", str(self.memory_limit)]
        return kwargs

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if self.server_address:
            spec = {"connection_file": cmd[cmd.index("-f") + 1], "env": dict(kwargs.get("env") or os.environ),
                    "cwd": str(kwargs.get("cwd") or os.getcwd()), "memory_limit": self.memory_limit}
            try:
                answer = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: request(self.server_address, ("launch", spec)))
            except ForkRefused as exc:
                self.log.warning("evalkit: starting a fresh kernel instead of a fork: %s", exc)
            else:
                self.process = ForkedKernel(answer["pid"], answer["token"], self.server_address)
                self.pid = self.pgid = answer["pid"]  # the kernel leads its own session and process group
                self.cwd = spec["cwd"]
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)

    async def send_signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is not None:
            return  # already gone (and, for a fork, reaped: its pid and group may belong to someone else now)
        if signum == signal.SIGINT and getattr(self.parent, "shutting_down", False):
            # jupyter_client interrupts every kernel it shuts down, even one it kills next. A report kernel is shut
            # down once its notebook has run or failed, so there is nothing to interrupt, and one that was handling
            # a message logged "KeyboardInterrupt caught in kernel." to the run's stderr, past --quiet.
            return
        await super().send_signal(signum)
