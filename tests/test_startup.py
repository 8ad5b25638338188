"""What the ``evalkit`` command costs before its first report: no IRI grammars compiled, the kernel server first.

The finding (issue 11, profiling a run of the sample): about a second of the run passed
before any report cell ran, most of it jsonschema importing ``rfc3987_syntax`` (pulled in
by jupyterlab's jupyter-events), which compiles some 40 Lark grammars at import time,
when papermill first reads a notebook; and the kernel server only started after that.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

CHECK = r"""
import sys
{before}
import nbformat, papermill, nbconvert
from nbformat.v4 import new_notebook, new_code_cell
nb = new_notebook(cells=[new_code_cell("1 + 1")])
nbformat.validate(nb)  # a valid notebook passes
nb.cells[0]["cell_type"] = "no such type"
try:
    nbformat.validate(nb)
except nbformat.ValidationError:
    print("invalid notebook refused")
print("rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is not None, "lark" in sys.modules)
"""


def _python(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")


@pytest.mark.integration  # a fresh Python process
def test_the_command_reads_and_validates_notebooks_without_compiling_the_iri_grammars():
    out = _python(CHECK.format(before="from evalkit.cli import skip_iri_grammars; skip_iri_grammars()"))
    assert out[0] == "invalid notebook refused"  # nbformat still validates notebooks
    assert out[1] == "False False"  # neither rfc3987_syntax nor its parser library was imported


@pytest.mark.integration  # slow by nature (about 2 s): it compiles the grammars
def test_import_evalkit_leaves_a_users_jsonschema_as_it_is():
    # only the command's own process skips the grammars; a notebook session importing evalkit (batch included)
    # keeps every format check its jsonschema has
    # installed with jupyterlab, and the check means nothing without it. Asked of the installed distributions,
    # not by importing it: this test process has skipped the grammars itself (conftest), unless a plugin
    # (nbval) imported jsonschema first, so an import here skipped the test or not by the plugins loaded.
    from importlib.metadata import version

    assert version("rfc3987-syntax")
    out = _python(CHECK.format(before="import evalkit, evalkit.batch.run, evalkit.cli"))
    assert out[0] == "invalid notebook refused"
    assert out[1] == "True True"


@pytest.mark.integration  # slow by nature: jsonschema's import compiles the grammars
def test_skipping_comes_too_late_once_jsonschema_is_imported_and_then_changes_nothing():
    out = _python("import sys, jsonschema\nfrom evalkit.cli import skip_iri_grammars\nskip_iri_grammars()\n"
                  "print(sys.modules.get('rfc3987_syntax', 'real') is not None)")
    assert out[0] == "True"


@pytest.mark.integration
def test_the_evalkit_command_imports_nbformat_but_not_the_iri_grammars(tmp_path):
    # Python's own import log (-X importtime, here through its environment variable) of the real command
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")
    command = [str(Path(sys.executable).with_name("evalkit")), "run", str(SAMPLE), "--partnership", "cafe-societe",
               "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "-q"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert {"nbformat", "papermill", "jsonschema"} <= imported  # the log is there: the check can fail
    # (the refused attempt to import rfc3987_syntax is logged too, at a few microseconds: its grammars are not)
    assert "rfc3987_syntax.syntax_helpers" not in imported and "lark" not in imported


@pytest.mark.integration
@pytest.mark.own_kernel_server
def test_a_run_refused_after_its_kernel_server_started_leaves_no_process(tmp_path):
    # the kernel server now starts before the output folder is checked (its imports overlap the checks);
    # a refused run must still stop it
    from click.testing import CliRunner

    from evalkit.cli import main

    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    res = CliRunner().invoke(main, ["run", str(SAMPLE), "--partnership", "cafe-societe", "--out", str(out),
                                    "--cache-dir", str(tmp_path / "cache")])
    assert res.exit_code == 2 and "notes.txt" in res.output, res.output
    new = [p for p in me.children(recursive=True) if p.pid not in before]
    _, alive = psutil.wait_procs(new, timeout=10)
    assert alive == []
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.integration
def test_the_renders_run_with_the_start_up_frozen_and_the_session_is_left_as_it_was(tmp_path, monkeypatch,
                                                                                   unfrozen_gc):
    # the finding: each full garbage collection of the batch process walked every object of its start-up again,
    # a third of the HTML export (0.07 CPU-s a report); run_batch can also be called from a user's session
    import gc

    import evalkit.batch.run as run
    from test_batch import TEMPLATES, write_dataset

    seen = []
    render_task = run.render_task

    def recording(task):
        seen.append(gc.get_freeze_count())
        return render_task(task)

    monkeypatch.setattr(run, "render_task", recording)
    result = run.run_batch(write_dataset(tmp_path / "data"), tmp_path / "out", template=TEMPLATES / "ok.ipynb",
                           cache_dir=tmp_path / "cache")
    assert result.ok and len(seen) == 3
    assert min(seen) > 1000  # the imports and the data at least: tens of thousands of objects
    assert gc.get_freeze_count() == 0


@pytest.mark.integration
def test_an_edited_template_printing_participants_is_not_published(tmp_path):
    # trial 8 (F14): a template edited to show data.participants.head() published participant ids with status ok,
    # though every run's output may be published and the README says no participant id is ever written there
    import json

    import nbformat

    from evalkit.batch import run_batch
    from test_batch import TEMPLATES, write_dataset

    nb = nbformat.read(TEMPLATES / "ok.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("data.participants.head(2)"))   # an analyst checking the data
    template = tmp_path / "mine.ipynb"
    nbformat.write(nb, template)
    out = tmp_path / "out"
    result = run_batch(write_dataset(tmp_path / "data"), out, template=template, partnership_ids=["p01"],
                       cache_dir=tmp_path / "cache")
    (entry,) = result.entries
    assert entry.status == "failed" and entry.error["ename"] == "PrivacyError"
    assert entry.error["cell_index"] == len(nb.cells) and "shows participant ids" in entry.error["evalue"]
    assert not (out / "p01.html").exists() and not (out / "p01.ipynb").exists()
    written = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()}
    assert "p01.failed.ipynb" in written
    assert not [name for name, text in written.items() if "p01-0" in text or "p01-1" in text]
    assert "[output removed by evalkit: it showed participant ids]" in written["p01.failed.ipynb"]
    assert json.loads(written["manifest.json"])["partnerships"]["p01"]["status"] == "failed"



@pytest.mark.integration  # a fresh Python process
def test_the_batch_process_reads_index_cards_without_importing_the_report_libraries():
    """A run's process took each report's index card with a constant from evalkit.pageone, whose imports
    (narrate, scales, reliability) brought in scipy.stats: 0.7 CPU-s of every run, on the way to the first
    report's HTML, for a string. The batch process needs pandas to validate, never scipy or the report modules."""
    out = _python("""
import sys
import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output
from evalkit.batch.render import take_index_card
card = {"headline": "All improved."}
nb = new_notebook(cells=[new_code_cell("card", outputs=[new_output(
    "execute_result", data={"application/vnd.evalkit.index-card+json": card, "text/plain": "card"})])])
print(take_index_card(nb) == card, not nb.cells[0].outputs)
print(sorted(m for m in ("scipy.stats", "evalkit.pageone", "evalkit.narrate", "matplotlib") if m in sys.modules))
""")
    assert out[0] == "True True"  # the card is taken off the page and returned
    assert out[1] == "[]"


def test_a_process_reads_evalkits_sources_for_the_preload_list_once(monkeypatch):
    # every run (and every test's run) parsed each of evalkit's modules with ast to list what its kernel server
    # should import: 0.22 s on the way to the server's start, again in each run of a notebook session
    import ast

    from evalkit.batch import forkserver

    forkserver._report_modules.cache_clear()  # as in a new process
    parsed = []
    real_parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, *a, **kw: parsed.append(1) or real_parse(source, *a, **kw))
    first = forkserver.report_modules()
    files = len(parsed)
    assert files > 20 and {"evalkit.report", "pandas", "scipy.stats"} <= set(first)
    first.append("not.a.module")  # a caller's change to its list reaches no later caller
    again = forkserver.report_modules()
    assert len(parsed) == files and "not.a.module" not in again and again == first[:-1]


@pytest.mark.parametrize("code", [0, 1, 2])
def test_the_command_freezes_its_heap_before_python_exits(monkeypatch, unfrozen_gc, code):
    # the finding (25 November): after its last line, the `evalkit` process spent 0.65 s exiting (a rerun of the
    # sample with nothing to render), Python's final garbage collection walking every object of the run; frozen
    # first (gc.freeze), the exit took 0.06 s. Objects are still freed as the interpreter clears its modules.
    import gc

    import evalkit.cli as cli

    def finished(**kwargs):
        raise SystemExit(code)

    monkeypatch.setattr(cli, "main", finished)
    with pytest.raises(SystemExit) as done:
        cli.entry()
    assert done.value.code == code  # the exit code passes through unchanged
    assert gc.get_freeze_count() > 1000  # the process's objects: tens of thousands
