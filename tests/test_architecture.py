"""Dependencies point one way: load -> validate -> read, schema; nothing imports batch/ (docs/ARCHITECTURE.md)."""
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


#: The stages after analysis: the batch subpackage, the report objects and what they are presented with.
LATER_STAGES = ("evalkit.batch", "evalkit.cli", "evalkit.report", "evalkit.health_report", "evalkit.narrate",
                "evalkit.plots", "evalkit.figures", "evalkit.health_plots", "evalkit.workbook", "evalkit.pageone",
                "evalkit.portfolio")


@pytest.mark.parametrize("module", ["schema", "read", "validate", "provenance", "load"])
def test_reading_and_checking_know_nothing_of_the_batch_or_the_reports(module):
    assert {m for m in _evalkit_imports(module) if m.startswith(LATER_STAGES)} == set()


# --- the batch subpackage: one entry point, and nothing outside it imports it ----------------------------------
BATCH = PACKAGE / "batch"


def _imports_in_file(path: Path, text: str | None = None) -> set[str]:
    """Absolute names of the modules a file imports (``text``, or the file's), anywhere in it (functions included).

    Relative imports are resolved against the file's package; ``importlib.import_module("x")`` and
    ``__import__("x")`` with a literal name count too.
    """
    package = ["evalkit", *path.relative_to(PACKAGE).parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text() if text is None else text)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[:len(package) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from evalkit import batch`
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None)
                   in ("import_module", "__import__"))):
            found.add(node.args[0].value)
    return found


def _outside_batch() -> list[Path]:
    """Every evalkit module but the batch subpackage and the command line (``cli*.py``), which runs it."""
    return sorted(p for p in PACKAGE.rglob("*.py") if BATCH not in p.parents and not
                  (p.parent == PACKAGE and p.name.startswith("cli")))


def test_the_batch_machinery_is_one_subpackage():
    stages = {"run", "plan", "cache", "pool", "render", "kernel", "forkserver", "provisioner", "html", "publish"}
    assert {p.stem for p in BATCH.glob("*.py")} == stages | {"__init__"}
    old = {"batch", "batch_plan", "batch_cache", "batch_pool", "render", "render_kernel", "render_forkserver",
           "render_html", "publish", "provisioner"}
    assert {p.stem for p in PACKAGE.glob("*.py")} & old == set(), "a batch module is still outside evalkit/batch/"


def test_nothing_outside_the_batch_subpackage_imports_it():
    """Not even inside a function; ``evalkit/__init__.py`` may only name it in its lazy export table (strings)."""
    outside = _outside_batch()
    assert len(outside) > 40 and PACKAGE / "workbook.py" in outside and PACKAGE / "__init__.py" in outside
    offenders = {p.relative_to(PACKAGE).as_posix(): sorted(m for m in _imports_in_file(p)
                                                            if m == "evalkit.batch" or m.startswith("evalkit.batch."))
                 for p in outside}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


@pytest.mark.parametrize("source", [
    "import evalkit.batch.run", "from evalkit.batch import run_batch", "from evalkit import batch",
    "from ..batch import publish", "def f():\n    from evalkit.batch.publish import write_index",
    "importlib.import_module('evalkit.batch')", "__import__('evalkit.batch.pool')"])
def test_the_import_scan_sees_every_form_of_import(source):
    """The scan above catches each of these (as if written in evalkit/stats/), so its empty answer means something."""
    found = _imports_in_file(PACKAGE / "stats" / "probe.py", source)
    assert {m for m in found if m == "evalkit.batch" or m.startswith("evalkit.batch.")}, source
    assert not {m for m in _imports_in_file(PACKAGE / "stats" / "probe.py", "from .. import schema")
                if m.startswith("evalkit.batch")}


def test_the_cli_reaches_the_batch_only_through_its_entry_point():
    imported = {m for p in PACKAGE.glob("cli*.py") for m in _imports_in_file(p) if m.startswith("evalkit.batch")}
    assert imported <= {"evalkit.batch", "evalkit.batch.run_batch", "evalkit.batch.kill_tree"}


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


@pytest.mark.parametrize("name", ["ReportEntry", "BatchResult", "RenderResult", "RenderFailure", "ReportTask",
                                  "_RunOptions"])
def test_batch_records_are_frozen_and_built_from_named_fields_only(name):
    """No ``ReportEntry(task.partnership_id, task.name, ..., task.hash)``: a swapped field would be silent."""
    import dataclasses
    import importlib

    module = {"ReportTask": "evalkit.batch.plan", "_RunOptions": "evalkit.batch.run"}.get(name, "evalkit.batch")
    cls = getattr(importlib.import_module(module), name)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, f"{name} is not frozen"
    assert all(f.kw_only for f in dataclasses.fields(cls)), f"{name} accepts positional fields"


def test_dir_of_the_package_lists_its_public_names_only():
    """dir(evalkit), what a notebook's tab completion offers, listed `annotations` (the __future__ feature),
    `_EXPORTS`, `_STATS_EXPORTS`, `_SUBMODULES` and `lazy_attributes` beside the public names."""
    import evalkit

    names = dir(evalkit)
    for clutter in ("annotations", "_EXPORTS", "_STATS_EXPORTS", "_SUBMODULES", "lazy_attributes"):
        assert clutter not in names
    for public in ("compare_prepost", "load_data", "plots", "report", "__version__", "InputError", "paired_test"):
        assert public in names
    stats_names = dir(evalkit.stats)
    assert "paired_test" in stats_names and "annotations" not in stats_names
