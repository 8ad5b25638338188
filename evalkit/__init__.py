"""evalkit: did participants change, by how much, for whom, and can we trust it?

The package reads as its pipeline, one module per stage, data flowing one way::

    load -> validate -> analyse -> narrate and plot -> report -> batch (render and publish)

``evalkit.load``       read the tables of a data folder (CSV, Excel, Parquet)
``evalkit.validate``   check them against the data contract (DATA_CONTRACT.md; data/README.md in a checkout)
``evalkit.stats``      tests and estimators (paired_test, mcnemar_test, ...)
``evalkit.compare``    table-level pre/post comparison per partnership and measure
``evalkit.participation`` / ``evalkit.targets``  attendance, engagement, goals
``evalkit.privacy``    small-group suppression
``evalkit.narrate`` / ``evalkit.plots``  plain-language sentences and figures
``evalkit.batch``      run the templates: one report per partnership, in parallel (plan, cache, pool,
                       render in warm kernels, HTML, publish the index and manifest); nothing above imports it

Public names are imported lazily so ``import evalkit`` is quick.
"""
from __future__ import annotations

from evalkit._lazy import lazy_attributes
from evalkit._version import __version__
from evalkit.errors import DataValidationError, EvalkitError, InputError, RenderError, RunInProgress, Violation
from evalkit.stats import _EXPORTS as _STATS_EXPORTS

_EXPORTS = {name: f"evalkit.stats.{module}" for name, module in _STATS_EXPORTS.items()}
_EXPORTS.update(
    {
        "load_data": "evalkit.load",
        "Dataset": "evalkit.load",
        "validate_dir": "evalkit.validate",
        "write_sample": "evalkit.sample",
        "compare_prepost": "evalkit.compare",
        "compare_by_group": "evalkit.compare",
        "group_differences": "evalkit.equity",
        "matched_pairs": "evalkit.compare",
        "wide": "evalkit.waves",
        "progress_against_targets": "evalkit.targets",
        "attendance_summary": "evalkit.participation",
        "retention": "evalkit.participation",
        "representation": "evalkit.participation",
        "representation_by_group": "evalkit.participation",
        "describe_wave": "evalkit.describe",
        "PartnershipReport": "evalkit.report",
        "PortfolioReport": "evalkit.report",
        "TimeTrendResult": "evalkit.waves",
        "RenderResult": "evalkit.batch.render",
        "RenderFailure": "evalkit.batch.render",
        "run_batch": "evalkit.batch",
        "BatchResult": "evalkit.batch",
        "ReportEntry": "evalkit.batch",
        "import_data": "evalkit.importer",
        "ImportResult": "evalkit.importer",
        "redact": "evalkit.voices",
        "themes": "evalkit.voices",
        "quotes": "evalkit.voices",
        "success_stories": "evalkit.voices",
        "indicator_trend": "evalkit.indicators",
        "indicator_progress": "evalkit.indicators",
        "milestone_status": "evalkit.indicators",
        "milestone_summary": "evalkit.indicators",
        "partner_survey_summary": "evalkit.partner_survey",
        "partner_survey_gaps": "evalkit.partner_survey",
        "partner_survey_change": "evalkit.partner_survey",
        "partner_survey_health": "evalkit.partner_survey",
        "representation_gap": "evalkit.community",
        "HealthSections": "evalkit.health_report",
        "PortfolioHealth": "evalkit.health_report",
    }
)

#: Pipeline modules, importable as attributes (``evalkit.plots``) without an explicit import.
_SUBMODULES = {
    "load", "validate", "sample", "stats", "compare", "participation", "targets", "describe", "privacy",
    "narrate", "plots", "report", "portfolio", "scales", "batch", "cli", "waves", "arms",
    "voices", "indicators", "partner_survey", "community", "health_report", "health_plots",
    "schema", "read", "provenance", "resources",
}

__all__ = sorted(
    [*_EXPORTS, "__version__", "EvalkitError", "InputError", "DataValidationError", "RenderError", "RunInProgress",
     "Violation"]
)


__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS, _SUBMODULES)
