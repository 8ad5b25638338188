"""Loaded first (``make test`` passes ``-p tests.pytest_startup``): how a test process starts and ends.

Start: the test processes read notebooks as the ``evalkit`` command does, without compiling ``rfc3987_syntax``'s
IRI grammars (about 1 CPU-s in the controlling process and in each worker, at start-up;
:func:`evalkit.cli.skip_iri_grammars`). It must run before any plugin imports jsonschema: nbval, loaded from its
entry point, imports nbformat and so jsonschema, and ``-p`` plugins are imported before entry-point ones.
``tests/conftest.py`` imports it too, for a plain ``pytest`` run, where it is in time only without nbval.
``tests/test_startup.py`` checks both ways in fresh processes.

After collection, :func:`pytest_collection_finish` moves what a test process has imported (pandas, matplotlib,
scipy, evalkit and every test module) into the garbage collector's permanent generation (:func:`gc.freeze`, as the
kernel server and the batch process do), so its full collections stop walking it again and again: in a worker of
``make test-fast`` they took about 4.5 CPU-s, and 2-3 after.

End: :func:`pytest_unconfigure` moves every object left into the garbage collector's permanent generation
(:func:`gc.freeze`), so the interpreter's final collection does not walk a test process's whole heap (pandas,
matplotlib, every report a worker built): about a second at the end of every run under pytest-xdist, whose
controlling process waits for each worker to exit. Objects are still freed as the interpreter clears its modules.
"""
import gc

import pytest

from evalkit.cli import skip_iri_grammars

skip_iri_grammars()


def pytest_collection_finish(session):
    """Freeze what the process has imported once every test module is (see the module's docstring)."""
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Freeze what is left once pytest is done with the process (see the module's docstring)."""
    gc.freeze()
