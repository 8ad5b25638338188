"""Lazy attributes of a package (PEP 562): names imported from their modules on first use.

``import evalkit`` stays fast because pandas, scipy and the rest are imported only when
a name that needs them is first used; the package, :mod:`evalkit.stats` and
:mod:`evalkit.batch` each declare which module defines each of their public names.
"""
from __future__ import annotations

import importlib
import sys


#: Names bound in a package's namespace by its own code, not part of its API (``from __future__ import
#: annotations`` binds ``annotations``).
_MACHINERY = frozenset({"annotations", "lazy_attributes"})


def lazy_attributes(package: str, exports: dict[str, str], submodules=()):
    """``__getattr__`` and ``__dir__`` for ``package`` (assign both at module level).

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str to str
        Public name -> absolute name of the module that defines it.
    submodules : iterable of str, optional
        Submodules reachable as attributes without an explicit import (``evalkit.plots``).

    Returns
    -------
    tuple of callables
        ``(__getattr__, __dir__)``. A name found once is stored on the package, so later
        lookups are plain attribute access.

    Examples
    --------
    >>> getattr_, dir_ = lazy_attributes("evalkit", {"md_escape": "evalkit.narrate"})
    >>> getattr_("md_escape")("a*b")
    'a\\\\*b'
    """
    submodules = frozenset(submodules)

    def __getattr__(name: str):
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():  # what tab completion offers: public names, not the package's own machinery
        module = sys.modules[package]
        shown = {n for n in vars(module) if not n.startswith("_") and n not in _MACHINERY}
        return sorted(shown | set(exports) | submodules | set(getattr(module, "__all__", ())))

    return __getattr__, __dir__
