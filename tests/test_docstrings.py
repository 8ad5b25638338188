"""Every public statistical function documents itself with a runnable example, and the examples run."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import evalkit
from evalkit.stats import _EXPORTS

FUNCTIONS = sorted(name for name in _EXPORTS if name[0].islower())


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_function_has_numpy_docstring_with_example(name):
    doc = getattr(evalkit, name).__doc__ or ""
    for section in ("Parameters", "Returns", "Examples"):
        assert f"\n    {section}\n    ---" in doc, f"{name}: no {section} section"
    assert ">>> " in doc, f"{name}: no runnable example"


def _modules():
    for info in pkgutil.walk_packages(evalkit.__path__, "evalkit."):
        if info.name not in ("evalkit.cli", "evalkit.batch.forkserver"):
            yield info.name


@pytest.mark.package_wide
@pytest.mark.parametrize("module", sorted(_modules()))
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(mod, module):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module}"
