"""Input checks shared by the statistical functions.

Every public test in :mod:`evalkit.stats` accepts lists, numpy arrays and pandas
Series. These helpers turn such inputs into 1-D float arrays (missing -> NaN),
drop incomplete pairs, and check option names, raising :class:`~evalkit.errors.InputError`
with a message that says what was wrong and what was expected.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np

from evalkit.errors import InputError

ALTERNATIVES = ("two-sided", "greater", "less")


def check_choice(value, allowed: Sequence[str], what: str = "method") -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`InputError`."""
    if not isinstance(value, str) or value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise InputError(f"unknown {what} {value!r}; expected one of {options}")
    return value


def check_alternative(alternative) -> str:
    """Check an ``alternative`` argument: "two-sided", "greater" or "less"."""
    return check_choice(alternative, ALTERNATIVES, "alternative")


def check_conf_level(conf_level) -> float:
    """Check that ``conf_level`` is a number strictly between 0 and 1 and return it as float."""
    if isinstance(conf_level, bool) or not isinstance(conf_level, numbers.Real):
        raise InputError(f"conf_level must be a number between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    value = float(conf_level)
    if not 0.0 < value < 1.0:
        raise InputError(f"conf_level must be strictly between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    return value


def check_probability(value, name: str) -> float:
    """Check that ``value`` is a number strictly between 0 and 1 (e.g. alpha, power)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < float(value) < 1.0:
        raise InputError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def _is_missing(v) -> bool:
    if v is None:
        return True
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isnan(float(v))


def as_float_array(values, name: str = "values") -> np.ndarray:
    """Convert a 1-D list, numpy array or pandas Series of numbers to a float array.

    Missing values (``None``, ``NaN``, ``pd.NA``) become ``NaN``; booleans become 0/1.

    Raises
    ------
    InputError
        If the input is not one-dimensional, holds non-numeric values (e.g. strings)
        or infinite values.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, (Iterable, np.ndarray)):
        raise InputError(f"{name} must be a list, numpy array or pandas Series of numbers, got {type(values).__name__}")
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        dtype = getattr(values, "dtype", None)
        kind = getattr(dtype, "kind", "O")
        if kind in "biuf":  # numeric and boolean pandas dtypes, including the nullable ones
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = values.to_numpy(dtype=object)
    else:
        arr = values if isinstance(values, np.ndarray) else np.asarray(list(values), dtype=object)
        if arr.dtype.kind not in "biuf":
            arr = arr.astype(object)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional, got an array of shape {arr.shape}")
    if arr.dtype == object:
        out = np.empty(arr.shape[0], dtype=float)
        for i, v in enumerate(arr):
            if _is_missing(v):
                out[i] = np.nan
            elif isinstance(v, (numbers.Real, np.bool_)):
                out[i] = float(v)
            else:
                raise InputError(
                    f"{name} must hold numbers only; position {i} holds {v!r} ({type(v).__name__})"
                )
        arr = out
    else:
        arr = arr.astype(float)
    if np.isinf(arr).any():
        i = int(np.flatnonzero(np.isinf(arr))[0])
        raise InputError(f"{name} must hold finite numbers; position {i} is {arr[i]}")
    return arr


def drop_missing(values, name: str = "values") -> tuple[np.ndarray, int]:
    """Return the non-missing values of ``values`` as floats and how many were dropped."""
    arr = as_float_array(values, name)
    keep = ~np.isnan(arr)
    return arr[keep], int((~keep).sum())


def paired_arrays(a, b, names: tuple[str, str] = ("pre", "post")) -> tuple[np.ndarray, np.ndarray, int]:
    """Convert two paired inputs to float arrays and drop pairs with a missing side.

    Returns
    -------
    a, b : numpy.ndarray
        The complete pairs, in their original order.
    n_dropped : int
        Number of pairs dropped because one or both sides were missing.

    Raises
    ------
    InputError
        If the two inputs differ in length (pairs must line up) or hold non-numeric values.
    """
    x = as_float_array(a, names[0])
    y = as_float_array(b, names[1])
    if x.shape[0] != y.shape[0]:
        raise InputError(
            f"{names[0]} and {names[1]} must have the same length (one value per participant), "
            f"got {x.shape[0]} and {y.shape[0]}"
        )
    keep = ~(np.isnan(x) | np.isnan(y))
    return x[keep], y[keep], int((~keep).sum())


def check_binary(values: np.ndarray, name: str) -> np.ndarray:
    """Check that a float array (NaN allowed) holds only 0 and 1."""
    bad = ~np.isnan(values) & (values != 0) & (values != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name} must hold binary outcomes coded 0/1 (or True/False); position {i} is {values[i]}")
    return values
