"""Loaded first (``make test`` passes ``-p tests.pytest_startup``): the test processes read notebooks as the
``evalkit`` command does, without compiling ``rfc3987_syntax``'s IRI grammars (about 1 CPU-s in the controlling
process and in each worker, at start-up; :func:`evalkit.cli.skip_iri_grammars`).

It must run before any plugin imports jsonschema: nbval, loaded from its entry point, imports nbformat and so
jsonschema, and ``-p`` plugins are imported before entry-point ones. ``tests/conftest.py`` imports it too, for a
plain ``pytest`` run, where it is in time only without nbval. ``tests/test_startup.py`` checks both ways in
fresh processes.
"""
from evalkit.cli import skip_iri_grammars

skip_iri_grammars()
