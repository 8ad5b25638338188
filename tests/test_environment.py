"""environment.yml (conda-forge) and pyproject.toml describe the same environment, and every import is declared."""
from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "evalkit"
# PyPI name -> conda-forge name, where they differ.
CONDA_NAME: dict[str, str] = {}


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", spec)
    assert m, spec
    return _norm(m.group(1)), m.group(2).split("#")[0].replace(" ", "")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _conda_sections() -> dict[str, dict[str, str]]:
    """environment.yml's packages by section: ``dependencies`` then ``extra: NAME`` comments."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        header = re.match(r"^\s*#\s*(dependencies|extra:\s*(\S+))\s*$", line)
        if header:
            current = header.group(2) or "dependencies"
            sections[current] = {}
            continue
        item = re.match(r"^\s*-\s+([A-Za-z0-9].*)$", line)
        if item and current is not None and not item.group(1).startswith("--"):
            name, version = _split(item.group(1))
            if name not in {"python", "pip"}:
                sections[current][name] = version
    return sections


def test_yaml_is_conda_forge_only_and_parses():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    listed = {_split(d)[0] for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert listed == {name for section in _conda_sections().values() for name in section}


def test_same_packages_and_versions_extra_by_extra():
    """The dependencies section is pyproject's dependencies; each extra's section holds that extra's
    packages not already listed above it (the test extra repeats pdf and dask), at the same versions."""
    project = _project()
    conda = _conda_sections()
    groups = {"dependencies": project["dependencies"], **project["optional-dependencies"]}
    assert list(conda) == list(groups), "environment.yml sections must follow pyproject's order"
    seen: dict[str, str] = {}
    for group, specs in groups.items():
        pypi = {CONDA_NAME.get(k, k): v for k, v in map(_split, specs)}
        repeated = {k: v for k, v in pypi.items() if k in seen}
        assert repeated == {k: seen[k] for k in repeated}, f"{group}: versions differ from earlier sections"
        assert conda[group] == {k: v for k, v in pypi.items() if k not in seen}, group
        seen.update(pypi)


def test_python_versions_agree():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{_project()['requires-python']}" in env["dependencies"]


def test_pip_section_installs_the_project_only():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip == [["--no-deps -e ."]]


# --- every import is declared --------------------------------------------------------------------------------
def _imports(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Top-level modules imported at module level, and those imported only inside functions."""
    top, lazy = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = {node.module.split(".")[0]}
        else:
            continue
        lazy |= names
    for node in tree.body:
        for sub in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                else []:
            if isinstance(sub, ast.Import):
                top |= {a.name.split(".")[0] for a in sub.names}
            elif isinstance(sub, ast.ImportFrom) and sub.level == 0 and sub.module:
                top.add(sub.module.split(".")[0])
    return top, lazy - top


def _third_party(modules: set[str]) -> set[str]:
    return {m for m in modules if m not in sys.stdlib_module_names and m not in {"evalkit", "__future__"}}


def _distributions(module: str) -> set[str]:
    return {_norm(d) for d in importlib.metadata.packages_distributions().get(module, [])}


def _declared(*groups: str) -> set[str]:
    project = _project()
    specs = project["dependencies"] + [s for g in groups for s in project["optional-dependencies"][g]]
    return {_split(s)[0] for s in specs}


def _package_imports() -> tuple[set[str], set[str]]:
    top, lazy = set(), set()
    for path in PACKAGE.rglob("*.py"):
        t, lz = _imports(ast.parse(path.read_text(), str(path)))
        top |= t
        lazy |= lz
    for notebook in (PACKAGE / "templates").glob("*.ipynb"):  # the templates run in the user's environment too
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                code = "\n".join(line for line in "".join(cell["source"]).splitlines()
                                 if not line.lstrip().startswith(("%", "!")))
                top |= _imports(ast.parse(code))[0]
    return _third_party(top), _third_party(lazy - top)


@pytest.mark.package_wide
def test_every_module_level_import_of_evalkit_and_its_templates_is_a_dependency():
    top, _ = _package_imports()
    assert {"pandas", "jupyter_client", "IPython"} <= top  # the scan sees the package and templates
    core = _declared()
    missing = {m: _distributions(m) for m in top if not _distributions(m) & core}
    assert missing == {}, f"imported at module level but not in [project] dependencies: {missing}"


@pytest.mark.package_wide
def test_imports_inside_functions_are_a_dependency_or_an_extra():
    """Optional features (``--pdf``, ``--scheduler``) import their library when used, from an extra."""
    _, lazy = _package_imports()
    assert {"weasyprint", "distributed"} <= lazy
    extras = [g for g in _project()["optional-dependencies"] if g != "test"]
    declared = _declared(*extras)
    missing = {m: _distributions(m) for m in lazy if not _distributions(m) & declared}
    assert missing == {}, f"imported but declared nowhere: {missing}"
    assert not _distributions("distributed") & _declared(), "distributed belongs in the dask extra only"


@pytest.mark.parametrize("module", ["pandas", "scipy.stats", "statsmodels.stats.multitest", "matplotlib.pyplot",
                                    "ipykernel.kernelapp", "evalkit.report"])
def test_set_up_wrote_the_bytecode_of_what_a_run_imports(module):
    """``make setup`` compiles at install time: with PYTHONDONTWRITEBYTECODE set, no run would write .pyc files,
    and every process (the kernel server each run) would compile the libraries from source again."""
    import importlib
    import importlib.util

    source = importlib.import_module(module).__file__
    assert Path(importlib.util.cache_from_source(source)).is_file(), f"no bytecode for {source}"
