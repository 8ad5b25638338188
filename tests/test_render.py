"""render_report: one notebook executed in the project's Python and exported to offline HTML."""
from __future__ import annotations

import json
import sys
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from evalkit.errors import InputError, RenderError
from evalkit.batch.render import render_report
from evalkit.batch.html import export_html
from test_batch import TEMPLATES, parse, write_dataset

pytestmark = pytest.mark.integration  # render_report starts kernels

# A 1x1 transparent PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("render") / "data")


def test_renders_in_this_python_whatever_kernelspecs_say(tmp_path, data_dir, monkeypatch):
    # A user-installed "python3" kernelspec that cannot start: it must not be used.
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps(
        {"argv": ["/bin/false", "{connection_file}"], "display_name": "broken", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    out = tmp_path / "out"
    result = render_report(TEMPLATES / "ok.ipynb", out / "p01.ipynb", out / "p01.html",
                           {"partnership_id": "p01", "data_dir": str(data_dir)})
    assert result.ok and result.error is None, result.error
    assert result.html == out / "p01.html" and result.notebook == out / "p01.ipynb"
    nb = nbformat.read(out / "p01.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert f"PYTHON {sys.executable}" in text
    assert sorted(p.name for p in out.iterdir()) == ["p01.html", "p01.ipynb"]  # no temporary left behind


def test_a_failed_render_keeps_the_previous_report(tmp_path, data_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "p02.html").write_text("previous good report")
    (out / "p02.ipynb").write_text("previous good notebook")
    result = render_report(TEMPLATES / "raises.ipynb", out / "p02.ipynb", out / "p02.html",
                           {"partnership_id": "p02", "data_dir": str(data_dir)})
    assert result.status == "failed" and result.html is None
    # raises.ipynb: markdown, parameters, [injected parameters], print, raise -> index 4
    assert (result.error.ename, result.error.evalue, result.error.cell_index) == ("ValueError",
                                                                                 "cannot report on p02", 4)
    assert result.error.summary == "ValueError: cannot report on p02 (cell 4)"
    assert (out / "p02.html").read_text() == "previous good report"
    assert (out / "p02.ipynb").read_text() == "previous good notebook"
    assert result.notebook == out / "p02.failed.ipynb" and result.notebook.is_file()
    with pytest.raises(RenderError, match=r"ValueError: cannot report on p02 \(cell 4\)"):
        result.raise_for_status()


@pytest.mark.parametrize("template, options, enames", [
    ("exits.ipynb", {}, {"DeadKernelError"}),
    ("sleeps.ipynb", {"timeout": 3}, {"TimeoutError"}),
    ("hungry.ipynb", {"memory_limit": 1024**3}, {"MemoryError", "DeadKernelError"}),
])
def test_dead_hung_and_memory_starved_kernels_fail_cleanly(tmp_path, data_dir, template, options, enames,
                                                          monkeypatch):
    out = tmp_path / "out"
    signals = tmp_path / "signals"
    signals.mkdir()
    monkeypatch.setenv("EVALKIT_TEST_SIGNALS", str(signals))  # the kernel inherits it
    result = render_report(TEMPLATES / template, out / "p02.ipynb", out / "p02.html",
                           {"partnership_id": "p02", "data_dir": str(data_dir)}, **options)
    ended = time.time()
    assert result.status == "failed" and result.error.ename in enames, result.error
    if template == "sleeps.ipynb":  # the timeout struck the hanging cell, not a slow start-up
        assert (signals / "p02.hanging").exists(), "the kernel never reached its hanging cell"
        # The clock starts at the first cell, milliseconds before the hanging one (the kernel's start-up, a
        # second or more for this fresh kernel, does not count); the render ends soon after the limit.
        hanging_since = (signals / "p02.hanging").stat().st_mtime
        assert options["timeout"] - 0.5 <= ended - hanging_since <= options["timeout"] + 5
    assert result.error.cell_index == 4  # the cell that exits / sleeps / allocates
    assert not (out / "p02.html").exists()


def test_bad_template_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a notebook"):
        render_report(tmp_path / "nope.ipynb", tmp_path / "a.ipynb", tmp_path / "a.html", {})


def test_export_is_offline_with_figures_embedded_and_code_hidden(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("# Results\n\nThe change was $\\Delta = 0.6$."),
        new_code_cell("secret_code_line()", outputs=[new_output("display_data", data={"image/png": PNG,
                                                                                      "text/plain": "<Figure>"})]),
    ])
    html_text = export_html(nb, title="<p01>")
    path = tmp_path / "page.html"
    path.write_text(html_text)
    page = parse(path)
    assert page.scripts == [] or all(src is None for src in page.scripts)
    assert all(not (href or "").startswith(("http:", "https:", "//")) for href in page.links)
    assert page.images == [f"data:image/png;base64,{PNG}"]
    assert "secret_code_line" not in html_text
    assert "cdnjs" not in html_text and "mathjax" not in html_text.lower()
    assert "<title>&lt;p01&gt;</title>" in html_text
