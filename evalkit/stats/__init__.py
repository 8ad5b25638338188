"""Statistical tests and estimators used by evalkit's analyses.

Every public name is importable from here and from the top-level ``evalkit``
package. Modules are imported lazily so that ``import evalkit`` stays fast.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    # paired (pre/post) comparisons
    "paired_test": "paired",
    "PairedResult": "paired",
    "mcnemar_test": "binary",
    "McNemarResult": "binary",
    "proportion_ci": "binary",
    "ProportionCI": "binary",
    # two or more groups
    "two_group_test": "twogroup",
    "TwoGroupResult": "twogroup",
    "oneway_test": "groups",
    "friedman_test": "groups",
    "ancova": "regression",
    # association, multiplicity, power
    "correlation": "association",  # module not named "correlation": a submodule would shadow the function
    "adjust_pvalues": "multiplicity",
    "power_paired": "power",
    "minimum_detectable_effect": "power",
    # measurement
    "cronbach_alpha": "reliability",
    "score_scale": "reliability",
    "score_scales": "reliability",
    # synthesis across partnerships
    "meta_analysis": "meta",
    # evaluation-design checks
    "attrition": "design",
    "baseline_equivalence": "design",
    "diff_in_diff": "design",
    "reliable_change": "design",
    "normalized_gain": "design",
    "goal_attainment": "design",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalkit.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
