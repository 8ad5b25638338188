"""The pipeline's dependencies point one way: load -> validate -> read, schema (docs/ARCHITECTURE.md)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evalkit"


def _evalkit_imports(module: str) -> set[str]:
    """evalkit modules imported anywhere in ``module`` (at module level or inside functions)."""
    path = PACKAGE / (module.replace(".", "/") + ".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("evalkit"):
            for alias in node.names:  # `from evalkit import schema` imports the module evalkit.schema
                sub = f"{node.module}.{alias.name}"
                found.add(sub if (PACKAGE / (sub[len("evalkit."):].replace(".", "/") + ".py")).exists()
                          else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("evalkit")}
    return found - {"evalkit"}


@pytest.mark.parametrize("module, forbidden", [
    ("schema", {"evalkit.read", "evalkit.validate", "evalkit.load", "evalkit.provenance"}),
    ("read", {"evalkit.validate", "evalkit.load", "evalkit.provenance"}),
    ("validate", {"evalkit.load", "evalkit.provenance"}),
    ("provenance", {"evalkit.load", "evalkit.validate"}),
])
def test_lower_stages_never_import_higher_ones(module, forbidden):
    """Not even inside a function: the load <-> validate cycle stays broken."""
    assert _evalkit_imports(module) & forbidden == set()


@pytest.mark.parametrize("module", ["schema", "read", "validate", "provenance", "load"])
def test_reading_and_checking_know_nothing_of_the_batch(module):
    assert not {m for m in _evalkit_imports(module) if m.startswith(("evalkit.batch", "evalkit.render"))}


def test_load_uses_the_stages_below_it():
    assert {"evalkit.read", "evalkit.validate", "evalkit.schema", "evalkit.provenance"} <= _evalkit_imports("load")


def _result_classes() -> dict[str, str]:
    """Every public class named ``...Result`` in evalkit: class name -> module."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        module = "evalkit." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Result") and not node.name.startswith("_"):
                found[node.name] = module
    return found


def test_every_public_result_class_and_both_report_objects_are_exported():
    import importlib

    import evalkit

    names = {**_result_classes(), "PartnershipReport": "evalkit.report", "PortfolioReport": "evalkit.report"}
    assert {"MetaResult", "BatchResult", "RenderResult", "TimeTrendResult"} <= set(names)
    missing = sorted(n for n in names if n not in evalkit.__all__)
    assert missing == []
    for name, module in names.items():
        assert getattr(evalkit, name) is getattr(importlib.import_module(module), name)


def test_result_objects_are_built_from_named_fields_only():
    """Results are frozen dataclasses with keyword-only fields: no ``MetaResult(method, k, *[nan] * 14, ...)``."""
    import dataclasses

    import evalkit

    results = [getattr(evalkit, name) for name, module in _result_classes().items()
               if (module.startswith("evalkit.stats.") or module == "evalkit.waves") and name != "Result"]
    assert len(results) >= 17
    for cls in results:
        assert all(f.kw_only for f in dataclasses.fields(cls)), f"{cls.__name__} accepts positional fields"
