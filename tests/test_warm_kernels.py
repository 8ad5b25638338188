"""warm_kernels: the runs of one block fork their kernels from one kept kernel server.

An analyst who runs :func:`run_batch` several times in a session (or a scheduler that calls it for many
data folders) paid the server's warm-up, about 2 CPU-s of imports, on every run. Inside a
``warm_kernels()`` block the first run starts a server and the later ones fork from it; the block stops it.
Which server forked a kernel is read from the report itself: the kernel prints its parent's pid.
"""
from __future__ import annotations

import os
import signal

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from evalkit.batch import run_batch, warm_kernels
from test_batch import write_dataset

pytestmark = [pytest.mark.integration, pytest.mark.own_kernel_server]  # each test manages its own servers


def _parent_template(folder):
    """A template whose report prints the pid of the process its kernel was forked from."""
    params = new_code_cell('partnership_id = "demo"\ndata_dir = "."', metadata={"tags": ["parameters"]})
    body = new_code_cell("import os\nprint(f'SERVER {os.getppid()}')")
    nb = new_notebook(cells=[params, body],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = folder / "parent.ipynb"
    nbformat.write(nb, path)
    return path


def _servers(out, ids):
    """The pid each report's kernel was forked from."""
    found = []
    for pid in ids:
        nb = nbformat.read(out / f"{pid}.ipynb", as_version=4)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        found.append(int(text.split("SERVER ", 1)[1].split()[0]))
    return found


def _run(data, out, template):
    result = run_batch(data, out, template=template, workers=1, progress=False, portfolio=False, force=True,
                       cache_dir=out.parent / f"{out.name}-cache")
    assert result.ok, result.to_frame()
    return result


def test_runs_inside_a_block_share_one_server_and_the_block_stops_it(tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01", "p02"))
    template = _parent_template(tmp_path)
    with warm_kernels():
        _run(data, tmp_path / "one", template)
        _run(data, tmp_path / "two", template)
    first, second = _servers(tmp_path / "one", ["p01", "p02"]), _servers(tmp_path / "two", ["p01", "p02"])
    assert len(set(first + second)) == 1  # four kernels, one server
    assert not psutil.pid_exists(first[0]) or psutil.Process(first[0]).status() == psutil.STATUS_ZOMBIE


def test_runs_outside_a_block_each_start_and_stop_their_own_server(tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01",))
    template = _parent_template(tmp_path)
    _run(data, tmp_path / "one", template)
    _run(data, tmp_path / "two", template)
    (first,), (second,) = _servers(tmp_path / "one", ["p01"]), _servers(tmp_path / "two", ["p01"])
    assert first != second
    for pid in (first, second):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_kept_server_that_died_is_replaced_by_the_next_run(tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01",))
    template = _parent_template(tmp_path)
    with warm_kernels():
        _run(data, tmp_path / "one", template)
        (dead,) = _servers(tmp_path / "one", ["p01"])
        os.kill(dead, signal.SIGKILL)
        psutil.wait_procs([psutil.Process(dead)], timeout=30)
        _run(data, tmp_path / "two", template)  # not "the kernel fork server has exited"
        (fresh,) = _servers(tmp_path / "two", ["p01"])
        assert fresh != dead and psutil.pid_exists(fresh)
    assert not psutil.pid_exists(fresh) or psutil.Process(fresh).status() == psutil.STATUS_ZOMBIE


def test_a_block_that_keeps_no_server_gives_its_runs_their_own_inside_a_block_that_does(tmp_path):
    data = write_dataset(tmp_path / "data", ids=("p01",))
    template = _parent_template(tmp_path)
    with warm_kernels():
        _run(data, tmp_path / "kept", template)
        with warm_kernels(keep=False):
            _run(data, tmp_path / "own", template)
        _run(data, tmp_path / "kept-again", template)
    (kept,), (own,), (again,) = (_servers(tmp_path / name, ["p01"]) for name in ("kept", "own", "kept-again"))
    assert kept == again != own

