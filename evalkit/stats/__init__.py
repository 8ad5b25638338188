"""Statistical tests and estimators used by evalkit's analyses.

Every public name is importable from here and from the top-level ``evalkit``
package. Modules are imported lazily so that ``import evalkit`` stays fast.
"""
from __future__ import annotations

from evalkit._lazy import lazy_attributes

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
    "OnewayResult": "groups",
    "friedman_test": "groups",
    "FriedmanResult": "groups",
    "ancova": "regression",
    "AncovaResult": "regression",
    # association, multiplicity, power
    "correlation": "association",  # module not named "correlation": a submodule would shadow the function
    "CorrelationResult": "association",
    "adjust_pvalues": "multiplicity",
    "power_paired": "power",
    "PowerResult": "power",
    "minimum_detectable_effect": "power",
    # effect sizes of a change (WWC)
    "standardized_mean_change": "effects",
    "standardized_mean_change_from_summary": "effects",
    "StandardizedChangeResult": "effects",
    "hedges_correction": "effects",
    "improvement_index": "effects",
    # measurement
    "cronbach_alpha": "reliability",
    "AlphaResult": "reliability",
    "score_scale": "reliability",
    "score_scales": "reliability",
    # synthesis across partnerships
    "meta_analysis": "meta",
    "MetaResult": "meta",
    # evaluation-design checks
    "attrition": "design",
    "AttritionResult": "design",
    "baseline_equivalence": "design",
    "BaselineResult": "design",
    "diff_in_diff": "design",
    "DiffInDiffResult": "design",
    "reliable_change": "design",
    "ReliableChangeResult": "design",
    "normalized_gain": "design",
    "NormalizedGainResult": "design",
    "goal_attainment": "design",
    "GoalResult": "design",
    # the base of every result: to_dict(), to_frame(), notebook display
    "Result": "_result",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_attributes(__name__, {name: f"{__name__}.{module}" for name, module in _EXPORTS.items()})
