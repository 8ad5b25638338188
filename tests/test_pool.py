"""Running renders: the local thread pool, stopping it, killing process trees, and Dask workers with warm kernels.

No sleeps: tasks wait on barriers and events, processes on psutil.
"""
from __future__ import annotations

import json
import socket
import subprocess
import threading

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from evalkit.batch import pool as batch_pool
from evalkit.batch import run_batch
from evalkit.batch.pool import DaskKernelServers, kill_tree, local_executor, stop_executor, worker_kernel_server
from evalkit.errors import InputError
from evalkit.batch.forkserver import request
from test_batch import write_dataset


def test_the_local_pool_runs_workers_renders_at_once():
    both_running = threading.Barrier(2, timeout=60)  # broken (an error) unless two tasks run together
    executor = local_executor(2)
    futures = [executor.submit(both_running.wait) for _ in range(2)]
    assert sorted(f.result() for f in futures) == [0, 1]
    stop_executor(executor, kill=False)


def test_stopping_with_kill_drops_queued_renders_and_waiting_finishes_them():
    release = threading.Event()
    executor = local_executor(1)
    running = executor.submit(release.wait, 60)
    queued = executor.submit(lambda: "ran")
    stop_executor(executor, kill=True)
    assert queued.cancelled()
    release.set()
    assert running.result() is True

    executor = local_executor(1)
    first, second = executor.submit(lambda: 1), executor.submit(lambda: 2)
    stop_executor(executor, kill=False)
    assert (first.result(), second.result()) == (1, 2)


@pytest.mark.integration  # starts process trees
def test_kill_tree_leaves_no_descendant():
    root = subprocess.Popen(["bash", "-c", "sleep 600 & sleep 600 & read line"], stdin=subprocess.PIPE)
    family = []
    while len(family) < 2:  # bash has started both children once they are listed
        family = psutil.Process(root.pid).children(recursive=True)
    kill_tree([root.pid])  # kills and reaps bash (our child) and both sleeps
    root.wait()
    gone, alive = psutil.wait_procs(family, timeout=60)
    assert alive == [] and not psutil.pid_exists(root.pid)
    root.stdin.close()
    kill_tree([root.pid])  # an already-dead process is no error


# --- Dask -------------------------------------------------------------------------
PARENT = "import os, psutil\nprint('PARENT', ' '.join(psutil.Process(os.getppid()).cmdline()))"


def parent_template(folder):
    """A template whose report prints the command line of its kernel's parent process."""
    params = new_code_cell('partnership_id = "demo"\ndata_dir = "."', metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[params, new_code_cell(PARENT)],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = folder / "parent.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster
    from jupyter_core.utils import ensure_event_loop

    # As in a Jupyter session (or after any nbclient call in this thread), this thread's context holds
    # an asyncio loop when the cluster starts; dask copies that context to in-process workers, and the
    # loop must not leak into their renders ("This event loop is already running").
    ensure_event_loop()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cl:
        yield cl


@pytest.mark.integration
def test_every_dask_worker_keeps_a_warm_single_threaded_kernel_server(cluster):
    from distributed import Client

    servers = DaskKernelServers(cluster.scheduler_address, ["json"]).start()
    try:
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            workers = list(client.scheduler_info()["workers"])
            addresses = [client.submit(worker_kernel_server, servers.name, workers=[w], pure=False).result()
                         for w in workers]
        assert len(workers) == 2 and len({a[2] for a in addresses}) == 2  # one server per worker
        pings = [request(a, ("ping", None)) for a in addresses]
        assert [p["threads"] for p in pings] == [1, 1]
        procs = [psutil.Process(p["pid"]) for p in pings]
    finally:
        servers.stop()
    gone, alive = psutil.wait_procs(procs, timeout=60)  # unregistering the plugin stopped them
    assert alive == []


@pytest.mark.integration
def test_a_run_on_dask_forks_each_kernel_from_its_workers_server(cluster, tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01", "p02"))
    out = tmp_path / "out"
    result = run_batch(data, out, template=parent_template(tmp_path), workers=2, progress=False,
                       scheduler=cluster.scheduler_address)
    assert result.ok, result.to_frame()
    for pid in ("p01", "p02"):
        nb = nbformat.read(out / f"{pid}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "PARENT" in text and "evalkit.batch.forkserver serve" in text, text
    assert json.loads((out / "manifest.json").read_text())["scheduler"] == cluster.scheduler_address
    assert batch_pool._PLUGIN_NAMES == {}  # the run's servers were stopped


@pytest.mark.integration  # makes dask clients
@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "not a scheduler address"])
def test_an_unreachable_or_malformed_scheduler_is_one_input_error(tmp_path, monkeypatch, address):
    monkeypatch.setattr(batch_pool, "CONNECT_TIMEOUT", 1)
    data = write_dataset(tmp_path / "data", ids=("p01",))
    with pytest.raises(InputError) as info:
        run_batch(data, tmp_path / "out", template=parent_template(tmp_path), progress=False, scheduler=address)
    message = str(info.value)
    assert message.startswith(f"Cannot reach the dask scheduler at {address!r}") and "\n" not in message
    assert not (tmp_path / "out").exists()  # nothing rendered, nothing written


def gate_template(folder, port):
    """A template whose report connects to a gate on ``port`` and waits for its "go", then prints its kernel's
    parent. The gate answers once two reports have connected: both finishing proves they ran at the same time
    (one alone would wait until its 120 s timeout and fail)."""
    wait = (f"import socket\ngate = socket.create_connection(('127.0.0.1', {port}), timeout=120)\n"
            "assert gate.recv(2) == b'go'\ngate.close()")
    params = new_code_cell('partnership_id = "demo"\ndata_dir = "."', metadata={"tags": ["parameters"]})
    nb = new_notebook(cells=[params, new_code_cell(wait), new_code_cell(PARENT + "\nprint('PID', os.getppid())")],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = folder / "gate.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.integration
def test_one_dask_worker_with_two_threads_renders_two_reports_at_once_from_one_warm_server(tmp_path):
    """The layout the README recommends (one worker process per machine, a thread per core): one kernel
    server per machine, as in a local run, instead of one warming per worker process."""
    from distributed import LocalCluster
    from jupyter_core.utils import ensure_event_loop

    ensure_event_loop()
    data = write_dataset(tmp_path / "data", ids=("p01", "p02"))
    gate = socket.create_server(("127.0.0.1", 0))
    gate.settimeout(180)

    def open_gate():  # "go" to both reports once both have connected
        arrived = []
        try:
            arrived = [gate.accept()[0] for _ in range(2)]
            for conn in arrived:
                conn.sendall(b"go")
        except OSError:  # a report never came: its partner times out and the run says so
            pass
        finally:
            for conn in arrived:
                conn.close()

    threading.Thread(target=open_gate, daemon=True).start()
    template = gate_template(tmp_path, gate.getsockname()[1])
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster:
        result = run_batch(data, tmp_path / "out", template=template, workers=2, progress=False,
                           scheduler=cluster.scheduler_address)
    gate.close()
    assert result.ok, result.to_frame()
    parents = set()
    for pid in ("p01", "p02"):
        nb = nbformat.read(tmp_path / "out" / f"{pid}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert "evalkit.batch.forkserver serve" in text, text
        parents.add(text.split("PID ")[1].split()[0])
    assert len(parents) == 1  # both kernels forked from the same warm server
