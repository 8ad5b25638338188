"""Files that ship inside the evalkit package: the report templates and the data contract.

The templates in ``evalkit/templates/`` are the one source of truth the code renders;
the repository's top-level ``templates/*.ipynb`` are symlinks to them (checked by
``tests/test_packaging.py``), and ``evalkit templates copy DIR`` gives an analyst
editable copies outside the package. The data contract (``DATA_CONTRACT.md``, what
``evalkit validate`` checks) ships too: the repository's ``data/README.md`` is a symlink to
it, and ``evalkit contract`` shows it wherever evalkit is installed.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from evalkit.errors import InputError

#: The report templates shipped with evalkit, by file name.
REPORT_TEMPLATES = ("partnership_report.ipynb", "portfolio_report.ipynb")


def template_path(name: str) -> Path:
    """The path of a report template shipped inside the installed package.

    Looked up with :mod:`importlib.resources`, so it is found wherever evalkit is
    installed and never depends on the current folder.

    Parameters
    ----------
    name : str
        One of :data:`REPORT_TEMPLATES`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    evalkit.errors.InputError
        If ``name`` is not a template evalkit ships, or the installation lacks it.

    Examples
    --------
    >>> from evalkit.resources import template_path
    >>> template_path("partnership_report.ipynb").name
    'partnership_report.ipynb'
    """
    if name not in REPORT_TEMPLATES:
        raise InputError(f"{name!r} is not a template shipped with evalkit; expected one of "
                         f"{', '.join(REPORT_TEMPLATES)}")
    resource = resources.files("evalkit").joinpath("templates", name)
    path = Path(str(resource))
    if not path.is_file():
        raise InputError(f"The evalkit installation has no {name} (looked in {path}); reinstall evalkit, "
                         "or pass --template PATH.")
    return path


def contract_path() -> Path:
    """The path of the data contract shipped inside the installed package (``DATA_CONTRACT.md``).

    Examples
    --------
    >>> from evalkit.resources import contract_path
    >>> contract_path().read_text(encoding="utf-8").splitlines()[0]
    '# Data contract and data dictionary'
    """
    path = Path(str(resources.files("evalkit").joinpath("DATA_CONTRACT.md")))
    if not path.is_file():
        raise InputError(f"The evalkit installation has no data contract (looked in {path}); reinstall evalkit.")
    return path
