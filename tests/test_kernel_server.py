"""The kernel fork server's protocol, tested directly: keys, requests, exits by launch token, death, concurrency.

Each launch forks a real ipykernel from the server (ipykernel is preloaded, so a
launch costs a fork). Nothing here sleeps: tests wait on the server's answers
and on process exit (psutil).
"""
from __future__ import annotations

import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import psutil
import pytest
from jupyter_client.connect import write_connection_file

from evalkit.batch.provisioner import ForkedKernel
from evalkit.batch.forkserver import (ForkRefused, KernelServer, KernelServerError, KernelTable, request,
                                       template_imports)

pytestmark = pytest.mark.integration  # starts kernel servers and forks kernels

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def server():
    with KernelServer([]) as srv:
        srv.wait_ready()
        yield srv


def launch(server, folder, name="k"):
    """Ask the server for one kernel; return a ForkedKernel handle (the provisioner's view of it)."""
    conn_file, _ = write_connection_file(str(folder / f"{name}.json"), transport="ipc", ip=str(folder / name))
    spec = {"connection_file": conn_file, "env": dict(os.environ), "cwd": str(folder), "memory_limit": None}
    answer = request(server.address, ("launch", spec))
    return ForkedKernel(answer["pid"], answer["token"], server.address)


def test_a_client_with_a_wrong_key_is_refused_and_the_server_carries_on(server):
    path = server.address[0]
    with pytest.raises(AuthenticationError):
        Client(path, family="AF_UNIX", authkey=b"not the key")
    with socket.socket(socket.AF_UNIX) as raw:  # not even the handshake: garbage, then hang up
        raw.connect(path)
        raw.sendall(b"\x00\x00\x00\x05hello")
    assert request(server.address, ("ping", None))["pid"] == server.pid  # the same server answers
    assert server.process.poll() is None


def test_malformed_and_unknown_requests_are_answered_or_dropped_not_fatal(server):
    with pytest.raises(KernelServerError, match="unknown request 'explode'"):
        request(server.address, ("explode", None))
    conn = Client(server.address[0], family="AF_UNIX", authkey=bytes.fromhex(server.address[1]))
    conn.send("not an (op, arg) pair")
    with pytest.raises(EOFError):  # the server hung up on it
        conn.recv()
    conn.close()
    assert request(server.address, ("ping", None))["pid"] == server.pid


def test_an_unknown_kernel_is_an_error_not_a_stale_exit(server):
    with pytest.raises(KernelServerError, match="unknown kernel 'no-such-token'"):
        request(server.address, ("status", "no-such-token"))
    with pytest.raises(KernelServerError, match="unknown kernel"):
        request(server.address, ("status", os.getpid()))  # a pid is not a kernel's name


def test_exit_is_reported_once_by_token_and_a_new_kernel_is_running(server, tmp_path):
    first = launch(server, tmp_path, "a")
    assert first.poll() is None
    os.kill(first.pid, signal.SIGKILL)
    assert first.wait(timeout=60) == -signal.SIGKILL
    with pytest.raises(KernelServerError, match="unknown kernel"):  # reported, then forgotten
        request(server.address, ("status", first.token))
    second = launch(server, tmp_path, "b")
    assert second.token != first.token and second.poll() is None
    second.kill()
    assert second.wait(timeout=60) == -signal.SIGKILL


def test_a_reused_pid_never_reports_the_earlier_kernels_exit():
    # The server's table, driven as the server drives it: kernel 4242 dies, the system gives pid 4242
    # to the next kernel. Status is asked by launch token, so the new kernel is running, the old one dead.
    table = KernelTable()
    old = table.add(4242)
    table.exited(4242, -signal.SIGKILL)
    new = table.add(4242)
    assert table.status(new) is None
    assert table.status(old) == -signal.SIGKILL
    table.exited(4242, 0)
    assert table.status(new) == 0
    with pytest.raises(KeyError):  # both reported once, then forgotten
        table.status(old)
    table.exited(999, 1)  # a child that is not a kernel of ours is ignored
    assert len(table) == 0


def test_server_death_mid_run_ends_its_kernels_and_is_reported(tmp_path):
    with KernelServer([]) as srv:
        kernel = launch(srv, tmp_path)
        proc = psutil.Process(kernel.pid)
        assert proc.ppid() == srv.pid
        srv.process.kill()
        srv.process.wait()
        assert kernel.poll() == -signal.SIGKILL  # the provisioner's view: gone with its server
        proc.wait(timeout=60)  # ipykernel's parent poller notices and the kernel exits by itself
        with pytest.raises(KernelServerError, match="has exited"):
            request(srv.address, ("launch", {}), wait=0)


def test_concurrent_launches_get_distinct_running_kernels(server, tmp_path):
    with ThreadPoolExecutor(max_workers=4) as pool:
        kernels = list(pool.map(lambda i: launch(server, tmp_path, f"c{i}"), range(4)))
    assert len({k.pid for k in kernels}) == 4 and len({k.token for k in kernels}) == 4
    assert all(k.poll() is None for k in kernels)
    assert all(psutil.Process(k.pid).ppid() == server.pid for k in kernels)
    for k in kernels:
        k.kill()
    assert [k.wait(timeout=60) for k in kernels] == [-signal.SIGKILL] * 4
    assert request(server.address, ("ping", None))["kernels"] == 0


def test_the_server_stays_single_threaded_with_the_report_templates_libraries():
    # pandas, pyarrow, scipy, matplotlib, seaborn and evalkit: OpenBLAS and pyarrow's jemalloc would each
    # start a thread at import; forking then would copy locks that no thread of the child will release.
    preload = template_imports(os.path.join(ROOT, "templates", "partnership_report.ipynb"))
    assert {"evalkit.load", "evalkit.plots"} <= set(preload)
    with KernelServer(preload) as srv:
        assert srv.wait_ready()["threads"] == 1
        assert psutil.Process(srv.pid).num_threads() == 1
        libraries = [m.path for m in psutil.Process(srv.pid).memory_maps()]  # they were imported, all the same
        assert any("pyarrow" in path for path in libraries) and any("openblas" in path for path in libraries)


def test_a_server_with_threads_refuses_to_fork(tmp_path, monkeypatch):
    (tmp_path / "starts_a_thread.py").write_text(
        "import threading\nstop = threading.Event()\n"
        "threading.Thread(target=stop.wait, name='evalkit-test-thread', daemon=True).start()\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with KernelServer(["starts_a_thread"]) as srv:
        assert srv.wait_ready()["threads"] == 2
        with pytest.raises(ForkRefused, match="not single-threaded"):
            launch(srv, tmp_path)
        assert psutil.Process(srv.pid).children() == []  # nothing was forked


def test_the_server_dies_with_the_process_that_started_it(tmp_path):
    script = ("import sys\nfrom evalkit.batch.forkserver import KernelServer\n"
              "srv = KernelServer([]).start(); srv.wait_ready(); print(srv.pid, flush=True)\n"
              "sys.stdin.read()\n")  # until we close its stdin... or kill it
    import subprocess

    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    server_pid = int(parent.stdout.readline())
    server = psutil.Process(server_pid)
    parent.kill()
    parent.wait()
    server.wait(timeout=60)  # PR_SET_PDEATHSIG: SIGKILLed with its parent
    parent.stdin.close()
    parent.stdout.close()


def test_finding_what_to_preload_imports_none_of_it():
    """The server's module list is read from the template and evalkit's files, not by importing them:
    walking the package with pkgutil imported pandas, scipy and nbformat (2.5 s) before the server could start."""
    import subprocess

    code = ("import sys\nfrom evalkit.batch.forkserver import template_imports\n"
            f"found = template_imports({os.path.join(ROOT, 'templates', 'partnership_report.ipynb')!r})\n"
            "print(sorted(m for m in ('pandas', 'scipy', 'nbformat', 'matplotlib', 'statsmodels') if m in sys.modules))\n"
            "print(all(m in found for m in ('pandas', 'scipy.stats', 'evalkit.report', 'matplotlib.pyplot')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True"]


def test_the_server_imports_its_preload_with_the_collector_off_then_freezes_it(monkeypatch, unfrozen_gc):
    # found 25 November: importing the report's libraries (pandas, scipy, matplotlib, statsmodels, pandera,
    # ipykernel, evalkit) took 2.1-2.7 CPU-s with the garbage collector on and 1.7-2.4 off: each import's new
    # objects set off full collections that walked every module imported before it
    import gc

    import evalkit.batch.forkserver as forkserver

    seen = []
    monkeypatch.setattr(forkserver, "_preload", lambda names: seen.append((list(names), gc.isenabled())))
    forkserver.warm(["evalkit.report"])
    assert seen == [([*forkserver.BASE_PRELOAD, "evalkit.report"], False)]  # imported with the collector off
    assert gc.isenabled() and gc.get_freeze_count() > 1000  # on again, and what was imported frozen for the kernels
