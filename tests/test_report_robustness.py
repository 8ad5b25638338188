"""Every section of every report, on small generated data and at extreme privacy thresholds, renders.

Rendering generated data of other sizes, seeds and thresholds found four ways a report stopped: a rate
everyone reached, a sample too small to plant its contact details, groups of two at ``min_group_size=1``,
and a trial whose every arm was too small. Each has its own test beside its fix; this one keeps the sweep.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

import evalkit as ek
from evalkit.sample import write_sample

pytestmark = pytest.mark.integration  # every section of every partnership, twice: about 15 s

REPORT = ("at_a_glance", "profile", "summary", "participation", "attendance_figure", "outcomes_intro",
          "outcomes_table", "distribution_figures", "comparison_group", "satisfaction",
          "satisfaction_figure", "longterm", "change_over_time", "targets_table", "results_by_group", "methods",
          "tables", "index_card")
HEALTH = ("voices", "themes_table", "stories", "indicators", "indicators_table", "indicators_figures",
          "action_plan", "milestones_table", "milestones_figure", "partners", "partners_table",
          "partners_figures", "served",
          "representation_table", "representation_figure", "methods")


@pytest.mark.parametrize("partnerships, participants, seed", [(5, 20, 11)])
def test_every_section_renders_on_small_samples_at_any_threshold(tmp_path, partnerships, participants, seed):
    write_sample(tmp_path, partnerships=partnerships, participants=participants, seed=seed)
    data = ek.load_data(tmp_path)
    shown = 0
    for k in (1, 30):
        for pid in data.partnership_ids:
            report = ek.report.PartnershipReport(data, pid, min_group_size=k)
            health = ek.health_report.HealthSections(data, pid, min_group_size=k)
            for name in REPORT:
                getattr(report, name)()
            for name in HEALTH:
                getattr(health, name)()
            plt.close("all")
            shown += int(not report.outcomes["suppressed"].all()) if len(report.outcomes) else 0
        portfolio = ek.report.PortfolioReport(data, min_group_size=k)
        portfolio.overview_table(), portfolio.shared_summary(), portfolio.forest_figures(), portfolio.methods()
        plt.close("all")
    assert shown >= partnerships   # at k = 1 every partnership shows its outcomes
