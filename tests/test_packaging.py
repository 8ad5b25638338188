"""evalkit installs anywhere: the wheel carries its templates, and the installed command renders reports.

The slow test builds the wheel from a copy of the sources, installs it with uv into a fresh
virtual environment outside the repository (its own site-packages, never the project's .venv)
and, from a folder outside the repository, makes sample data and renders a report.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalkit.batch.plan import resolve_template
from evalkit.cli import main
from evalkit.errors import InputError
from evalkit.resources import REPORT_TEMPLATES, template_path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "evalkit"
PACKAGED = PACKAGE / "templates"


def _shipped_files() -> list[str]:
    """Every file under evalkit/templates plus py.typed, as paths inside the package."""
    files = [p.relative_to(PACKAGE).as_posix() for p in PACKAGED.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts]
    return sorted(files) + ["py.typed", "DATA_CONTRACT.md"]


# --- one source of truth ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", REPORT_TEMPLATES)
def test_top_level_templates_are_symlinks_to_the_packaged_ones(name):
    """templates/*.ipynb (where analysts look in a checkout) are the package's files, not copies."""
    top = ROOT / "templates" / name
    assert top.is_symlink(), f"{top} must be a symlink to evalkit/templates/{name}, not a copy"
    assert top.resolve() == (PACKAGED / name).resolve()
    assert (PACKAGED / name).is_file() and not (PACKAGED / name).is_symlink()
    staged = subprocess.run(["git", "ls-files", "-s", f"templates/{name}"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    assert staged.startswith("120000 "), f"git must record templates/{name} as a symlink: {staged!r}"


def test_the_data_contract_ships_in_the_package_and_data_readme_is_it():
    """`validate --help`, `import --help` and the starter spec sent a pip user to data/README.md, which only a
    checkout has. The contract ships as evalkit/DATA_CONTRACT.md; data/README.md is a symlink to it (one source),
    and `evalkit contract` shows it."""
    from click.testing import CliRunner

    from evalkit.cli import main

    top = ROOT / "data" / "README.md"
    assert top.is_symlink() and top.resolve() == (PACKAGE / "DATA_CONTRACT.md").resolve()
    staged = subprocess.run(["git", "ls-files", "-s", "data/README.md"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    assert staged.startswith("120000 "), staged
    shown = CliRunner().invoke(main, ["contract"])
    assert shown.exit_code == 0 and shown.output == (PACKAGE / "DATA_CONTRACT.md").read_text(encoding="utf-8")
    assert "## Importing survey exports" in shown.output or "Importing survey exports" in shown.output
    where = CliRunner().invoke(main, ["contract", "--path"])
    assert Path(where.output.strip()) == (PACKAGE / "DATA_CONTRACT.md")
    for command in (["validate", "--help"], ["import", "--help"]):
        text = CliRunner().invoke(main, command).output
        assert "data/README.md" not in text and "evalkit contract" in text, command


def test_package_data_patterns_cover_every_template_file():
    """A file added under evalkit/templates (e.g. a new nbconvert asset) must be listed in pyproject.toml."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["evalkit"]
    covered = {p.relative_to(PACKAGE).as_posix() for pattern in patterns for p in PACKAGE.glob(pattern)}
    assert sorted(set(_shipped_files()) - covered) == []
    assert "templates/partnership_report.ipynb" in _shipped_files()


def test_default_template_is_the_packaged_one_whatever_the_current_folder(tmp_path, monkeypatch):
    decoy = tmp_path / "templates" / "partnership_report.ipynb"
    decoy.parent.mkdir()
    decoy.write_text("{}")
    monkeypatch.chdir(tmp_path)
    assert resolve_template() == template_path("partnership_report.ipynb") == PACKAGED / "partnership_report.ipynb"
    assert resolve_template(None, "portfolio_report.ipynb") == PACKAGED / "portfolio_report.ipynb"
    assert resolve_template(decoy) == decoy  # an explicit template is used as given
    with pytest.raises(InputError, match="not a template shipped"):
        template_path("other.ipynb")


# --- evalkit templates copy --------------------------------------------------------------------------------------
def test_templates_copy_gives_editable_plain_files_and_never_overwrites_silently(tmp_path):
    out = tmp_path / "my-templates"
    first = CliRunner().invoke(main, ["templates", "copy", str(out)])
    assert first.exit_code == 0, first.output
    for name in REPORT_TEMPLATES:
        copy = out / name
        assert copy.is_file() and not copy.is_symlink()
        assert copy.read_bytes() == (PACKAGED / name).read_bytes()
    (out / "partnership_report.ipynb").write_text("edited")
    again = CliRunner().invoke(main, ["templates", "copy", str(out)])
    assert again.exit_code == 2 and "already exist" in again.stderr and "--force" in again.stderr
    assert (out / "partnership_report.ipynb").read_text() == "edited"  # nothing was copied
    forced = CliRunner().invoke(main, ["templates", "copy", str(out), "--force"])
    assert forced.exit_code == 0
    assert (out / "partnership_report.ipynb").read_bytes() == (PACKAGED / "partnership_report.ipynb").read_bytes()
    listed = CliRunner().invoke(main, ["templates", "list"])
    assert listed.stdout.split() == [str(PACKAGED / n) for n in REPORT_TEMPLATES]


# --- the dask extra ----------------------------------------------------------------------------------------------
def test_scheduler_without_the_dask_extra_is_an_input_error_before_anything_runs(tmp_path, monkeypatch):
    from evalkit.batch import run_batch

    monkeypatch.setitem(sys.modules, "distributed", None)  # what a missing package looks like to `import`
    with pytest.raises(InputError, match=r"evalkit\[dask\]"):
        run_batch(tmp_path / "data", tmp_path / "out", scheduler="tcp://127.0.0.1:8786", progress=False)
    result = CliRunner().invoke(main, ["run", str(tmp_path / "data"), "--out", str(tmp_path / "out"),
                                       "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2 and "evalkit[dask]" in result.stderr
    assert not (tmp_path / "out").exists()


# --- the wheel, installed outside the repository ---------------------------------------------------------------
def _uv(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "uv", *args], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (the shared working tree gets no build/ folder)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "evalkit", ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    dist = tmp_path_factory.mktemp("dist")
    built = _uv("build", "--wheel", "--out-dir", str(dist), str(src))
    assert built.returncode == 0, built.stderr
    (path,) = dist.glob("evalkit-*.whl")
    return path


@pytest.mark.integration
def test_wheel_ships_templates_nbconvert_and_html_templates_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"evalkit/{f}" for f in _shipped_files()}
    assert expected <= names, sorted(expected - names)
    assert {"evalkit/templates/partnership_report.ipynb", "evalkit/templates/portfolio_report.ipynb",
            "evalkit/templates/nbconvert/evalkit/conf.json", "evalkit/templates/html/index.html.j2",
            "evalkit/py.typed"} <= names
    for name in REPORT_TEMPLATES:  # the real notebooks, not symlinks or stubs
        assert zipfile.ZipFile(wheel).read(f"evalkit/templates/{name}") == (PACKAGED / name).read_bytes()
    batch = {f"evalkit/batch/{p.name}" for p in (PACKAGE / "batch").glob("*.py")}
    assert "evalkit/batch/__init__.py" in batch and "evalkit/batch/provisioner.py" in batch
    assert batch <= names, sorted(batch - names)  # the batch subpackage, every stage of it
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "evalkit-provisioner = evalkit.batch.provisioner:EvalkitProvisioner" in text, text


@pytest.mark.integration
@pytest.mark.slow
def test_installed_wheel_renders_a_report_from_any_folder(wheel, tmp_path):
    assert ROOT not in tmp_path.resolve().parents
    venv = tmp_path / "venv"
    made = _uv("venv", "--quiet", "--python", sys.executable, str(venv))
    assert made.returncode == 0, made.stderr
    python, evalkit = venv / "bin" / "python", venv / "bin" / "evalkit"
    installed = _uv("pip", "install", "--quiet", "--python", str(python), str(wheel))
    assert installed.returncode == 0, installed.stderr
    # PYTHONDONTWRITEBYTECODE dropped: the first process writes the bytecode of what it imports into the new
    # environment (uv installs none), so the next ones do not compile pandas and the rest again (about 3 s each)
    env = {k: v for k, v in os.environ.items()
           if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*map(str, args)], cwd=work, env=env, capture_output=True, text=True, timeout=900)

    where = run(python, "-c", "import evalkit, sys; print(evalkit.__file__); print(sys.prefix)")
    module, prefix = where.stdout.split()
    assert Path(module).is_relative_to(venv) and Path(prefix) == venv, where.stdout
    assert run(python, "-c", "import distributed").returncode != 0  # the dask extra is not installed

    assert run(evalkit, "sample", "DATA").returncode == 0
    done = run(evalkit, "run", "DATA", "--out", "OUT", "--partnership", "riverside-literacy", "--workers", "1")
    assert done.returncode == 0, done.stderr
    report = work / "OUT" / "riverside-literacy.html"
    assert report.is_file() and report.read_text().rstrip().endswith("</html>")
    assert "Riverside" in report.read_text()
    assert (work / done.stdout.strip()).resolve() == (work / "OUT" / "index.html").resolve()

    contract = run(evalkit, "contract")
    assert contract.returncode == 0 and contract.stdout == (PACKAGE / "DATA_CONTRACT.md").read_text(encoding="utf-8")

    copied = run(evalkit, "templates", "copy", "mine")
    assert copied.returncode == 0, copied.stderr
    assert (work / "mine" / "partnership_report.ipynb").read_bytes() == (PACKAGED / "partnership_report.ipynb").read_bytes()

    no_dask = run(evalkit, "run", "DATA", "--out", "OUT2", "--scheduler", "tcp://127.0.0.1:8786")
    assert no_dask.returncode == 2 and "evalkit[dask]" in no_dask.stderr
    assert not (work / "OUT2").exists()
