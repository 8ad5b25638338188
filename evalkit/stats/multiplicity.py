"""Adjusting p-values for many tests (several measures, subgroups or partnerships at once)."""
from __future__ import annotations

import numpy as np
from statsmodels.stats.multitest import multipletests

from evalkit.errors import InputError
from evalkit.stats._validation import as_float_array, check_choice

_STATSMODELS_NAME = {
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "bonferroni": "bonferroni",
    "bh": "fdr_bh",
    "by": "fdr_by",
}


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: max over j <= i of (m - j + 1) * p_(j), capped at 1.

    The same formula as statsmodels' ``multipletests(method="holm")``, which runs a full
    ``gc.collect()`` on every call: in a process holding a report's data and figures that
    costs 0.1-0.2 s per family, so the report's many small families are adjusted here.
    """
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(m, 0, -1)))
    out = np.empty(m)
    out[order] = adjusted
    return out


def adjust_pvalues(pvalues, method="holm"):
    """Adjust p-values for multiple comparisons.

    Parameters
    ----------
    pvalues : array-like of float
        Raw p-values in [0, 1]. Missing values (NaN/None) stay missing and are not counted
        as tests, as R's ``p.adjust`` (``n = length(p[!is.na(p)])``).
    method : {"holm", "hochberg", "bonferroni", "bh", "by"}
        Family-wise error control: ``"holm"`` (Holm 1979; valid under any dependence, the
        default), ``"hochberg"`` (Hochberg 1988; assumes independent or positively dependent
        tests), ``"bonferroni"``. False-discovery-rate control: ``"bh"`` (Benjamini & Hochberg
        1995; independent or positively dependent tests), ``"by"`` (Benjamini & Yekutieli
        2001; any dependence).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values (capped at 1) in the input order; a Series keeps its index and name.

    Notes
    -----
    Computed with :func:`statsmodels.stats.multitest.multipletests`; identical to R's
    ``p.adjust(p, method = "holm" | "hochberg" | "bonferroni" | "BH" | "BY")``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scand. J. Statist. 6, 65-70.
    Benjamini, Y., Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57, 289-300.

    Examples
    --------
    >>> from evalkit.stats import adjust_pvalues
    >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    method = check_choice(method, tuple(_STATSMODELS_NAME), "method")
    p = as_float_array(pvalues, "pvalues")
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        bad = p[ok][(p[ok] < 0) | (p[ok] > 1)][0]
        raise InputError(f"p-values must lie between 0 and 1, got {bad}")
    out = np.full(p.shape, np.nan)
    if ok.any():
        out[ok] = _holm(p[ok]) if method == "holm" else multipletests(p[ok], method=_STATSMODELS_NAME[method])[1]
    if hasattr(pvalues, "index") and hasattr(pvalues, "name"):
        import pandas as pd

        return pd.Series(out, index=pvalues.index, name=pvalues.name)
    return out
