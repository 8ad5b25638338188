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


def _gone(pid) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_runs_of_a_block_share_its_server_a_dead_one_is_replaced_and_a_block_keeping_none_runs_its_own(tmp_path):
    # one test, so the suite warms two kept servers for it, not four (each about 2 CPU-s)
    data = write_dataset(tmp_path / "data", ids=("p01",))
    template = _parent_template(tmp_path)
    with warm_kernels():
        _run(data, tmp_path / "one", template)
        _run(data, tmp_path / "two", template)
        kept = _servers(tmp_path / "one", ["p01"]) + _servers(tmp_path / "two", ["p01"])
        assert len(set(kept)) == 1  # two runs' kernels, one server
        with warm_kernels(keep=False):  # as outside any block: the run starts its own server and stops it
            _run(data, tmp_path / "own", template)
        own = _servers(tmp_path / "own", ["p01"])
        assert own[0] != kept[0] and _gone(own[0]) and not _gone(kept[0])
        os.kill(kept[0], signal.SIGKILL)
        psutil.wait_procs([psutil.Process(kept[0])], timeout=30)
        _run(data, tmp_path / "three", template)  # not "the kernel fork server has exited"
        fresh = _servers(tmp_path / "three", ["p01"])
        assert fresh[0] not in (kept[0], own[0]) and not _gone(fresh[0])
    assert _gone(fresh[0])  # the block stopped its server
