"""The evalkit-provisioner: found through its entry point, forks from a warm server, falls back, limits memory.

Kernels are driven with jupyter_client directly (no notebook): start, execute a
line, read its output, shut down.
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys

import psutil
import pytest
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.provisioning import KernelProvisionerFactory

from evalkit.batch.provisioner import NAME, EvalkitProvisioner, provisioner_stanza
from evalkit.batch.forkserver import KernelServer, KernelServerError
from evalkit.batch.kernel import KernelTracker, ProjectKernelManager, kernel_manager_class

pytestmark = pytest.mark.integration  # starts kernels

MB = 2**20


async def _run(manager_class, code: str) -> tuple[str, int, str]:
    """Start a kernel, run ``code``, return (stdout + error name, kernel pid, error name or '')."""
    km = manager_class()
    await km.start_kernel()
    pid = km.provisioner.pid
    kc = km.client()
    kc.start_channels()
    out, error = [], []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            error.append(msg["content"]["ename"])

    try:
        await kc.wait_for_ready(timeout=120)
        await kc.execute_interactive(code, timeout=120, output_hook=hook)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
    return "".join(out), pid, "".join(error)


def run(manager_class, code: str):
    return asyncio.run(_run(manager_class, code))


@pytest.fixture(scope="module")
def server():
    with KernelServer(["pandas", "scipy.stats"]) as srv:  # a warm server with a sizeable address space
        srv.wait_ready()
        yield srv


def test_registered_under_the_jupyter_client_entry_point_and_configured_from_the_kernelspec(tmp_path):
    spec = KernelSpec(argv=["python"], language="python", display_name="x",
                      metadata={"kernel_provisioner": provisioner_stanza(("/s", "ab", 7), 5 * MB, tmp_path)})
    factory = KernelProvisionerFactory.instance()
    assert factory.get_provisioner_entries()[NAME] == "evalkit.batch.provisioner:EvalkitProvisioner"
    prov = factory.create_provisioner_instance("kernel-1", spec, None)
    assert isinstance(prov, EvalkitProvisioner)
    assert (prov.server_address, prov.memory_limit, prov.kernel_cwd) == (["/s", "ab", 7], 5 * MB, str(tmp_path))


def test_the_render_kernel_manager_uses_only_public_hooks():
    for private in ("_async_pre_start_kernel", "_async_launch_kernel", "_async_post_start_kernel"):
        assert private not in vars(ProjectKernelManager)
    km = kernel_manager_class(memory_limit=MB, cwd="/tmp")()
    assert km.kernel_spec.metadata["kernel_provisioner"] == {
        "provisioner_name": NAME, "config": {"memory_limit": MB, "kernel_cwd": "/tmp"}}


def test_a_kernel_is_forked_from_the_server_in_its_working_folder(server, tmp_path):
    tracker = KernelTracker()
    out, pid, error = run(kernel_manager_class(tracker=tracker, server_address=server.address, cwd=str(tmp_path)),
                          "import os, sys; print(os.getppid(), os.getcwd(), 'pandas' in sys.modules)")
    assert error == ""
    assert out.split() == [str(server.pid), str(tmp_path), "True"]  # the server's child, warm, in its folder
    assert tracker.pid == pid  # the watchdog's tracker knows the kernel's pid


def test_a_fresh_kernel_without_a_server(tmp_path):
    out, pid, error = run(kernel_manager_class(cwd=str(tmp_path)),
                          "import os, sys; print(os.getppid(), os.getcwd(), sys.executable)")
    assert out.split() == [str(os.getpid()), str(tmp_path), sys.executable]  # our child, this Python
    assert not psutil.pid_exists(pid)  # shut down and reaped


def test_a_server_that_refuses_to_fork_gives_a_fresh_kernel_and_a_warning(tmp_path, monkeypatch, caplog):
    (tmp_path / "starts_a_thread.py").write_text(
        "import threading\nstop = threading.Event()\nthreading.Thread(target=stop.wait, daemon=True).start()\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with KernelServer(["starts_a_thread"]) as srv, caplog.at_level(logging.WARNING):
        srv.wait_ready()
        out, _, error = run(kernel_manager_class(server_address=srv.address, cwd=str(tmp_path)),
                            "import os; print(os.getppid())")
    assert error == "" and out.split() == [str(os.getpid())]  # started by us, not forked by the server
    assert "fresh kernel instead of a fork" in caplog.text and "not single-threaded" in caplog.text


def test_a_dead_server_fails_the_launch_at_once(tmp_path):
    srv = KernelServer([]).start()
    srv.process.kill()
    srv.process.wait()
    try:
        with pytest.raises(KernelServerError, match="has exited"):
            run(kernel_manager_class(server_address=srv.address, cwd=str(tmp_path)), "1")
    finally:
        srv.stop()


GROWTH = """
import resource
a = bytearray(150 * 2**20)   # within the limit
print("first ok")
try:
    b = bytearray(400 * 2**20)   # beyond it
    print("second ok")
except MemoryError:
    print("second MemoryError")
"""


def test_the_memory_limit_counts_a_forked_kernels_own_growth(server, tmp_path):
    # The server's address space is larger than the limit: counted from zero (plain RLIMIT_AS = limit),
    # the kernel could not even start. Counted from the fork, 150 MB fit and 400 MB more do not.
    limit = 300 * MB
    assert psutil.Process(server.pid).memory_info().vms > limit
    out, _, error = run(kernel_manager_class(limit, server_address=server.address, cwd=str(tmp_path)), GROWTH)
    assert error == "" and out.split("\n")[:2] == ["first ok", "second MemoryError"], out


def test_the_memory_limit_means_the_same_in_a_fresh_kernel(tmp_path):
    out, pid, error = run(kernel_manager_class(300 * MB, cwd=str(tmp_path)),
                          GROWTH + "import sys; print('pandas' in sys.modules)")
    assert error == "" and out.split("\n")[:3] == ["first ok", "second MemoryError", "True"], out



SLEEP_UNTIL_INTERRUPTED = """
import time
try:
    print("waiting", flush=True)
    # Until a signal: SIGINT raises KeyboardInterrupt here, SIGTERM ends the kernel. Not signal.pause(): the kernel has
    # other threads, and a SIGINT the system hands to one of them never wakes a main thread blocked in pause() (a
    # CI run hung here); a short sleep returns and the interpreter then raises the pending KeyboardInterrupt.
    for _ in range(6000):
        time.sleep(0.01)
except KeyboardInterrupt:
    with open({path!r}, "w") as f:
        f.write("SIGINT")
"""


async def _stop_a_busy_kernel(manager_class, path, interrupt: bool) -> None:
    """Start a kernel, let it wait in a cell for a signal and record a SIGINT, then interrupt it or shut it down."""
    km = manager_class(shutdown_wait_time=1.0)  # SIGTERM a still-waiting kernel after 0.5 s, not 2.5 s
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=120)
        kc.execute(SLEEP_UNTIL_INTERRUPTED.format(path=str(path)))
        while True:  # until the cell is running
            msg = await kc.get_iopub_msg(timeout=120)
            if msg["msg_type"] == "stream" and "waiting" in msg["content"]["text"]:
                break
        if interrupt:
            await km.interrupt_kernel()
            await kc.get_shell_msg(timeout=30)  # the cell's reply: it ended
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=False)  # graceful: an interrupt would end the wait and write the file


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "fresh"])
def test_a_shutdown_sends_the_kernel_no_interrupt_but_an_interrupt_still_reaches_it(server, tmp_path, forked):
    # CI: jupyter_client interrupts (SIGINT) every kernel it shuts down, even one about to be killed; a report kernel
    # that was handling a message then logged '[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel.' to the
    # run's stderr, unformatted and past --quiet. A shutdown has nothing to interrupt; an interrupt (a timeout) still
    # reaches the kernel.
    manager = kernel_manager_class(server_address=server.address if forked else None, cwd=str(tmp_path))
    shutdown_only, interrupted = tmp_path / "shutdown.txt", tmp_path / "interrupted.txt"
    asyncio.run(_stop_a_busy_kernel(manager, shutdown_only, interrupt=False))
    asyncio.run(_stop_a_busy_kernel(manager, interrupted, interrupt=True))
    assert interrupted.read_text() == "SIGINT"
    assert not shutdown_only.exists()
