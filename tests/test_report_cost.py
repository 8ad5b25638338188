"""What one report costs in its kernel: each section is built once, no full garbage collection on the way.

These tests count work (calls), never time: they cannot fail because the machine is slow.
The per-cell CPU figures are printed by ``benchmarks/profile_report.py``.
"""
from __future__ import annotations

import gc

import pandas as pd
import pytest

import evalkit as ek
import evalkit.report as report_module
from conftest import ROOT

SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def sample(sample_data):
    return sample_data


def _show_everything(report):
    """What the template asks of the report, in its order, then the workbook's tables."""
    report.at_a_glance()
    report.summary()
    report.change_over_time()
    report.comparison_group()
    report.results_by_group()
    report.methods()
    return report.tables()


@pytest.mark.sample_wide  # every section of a sample report
def test_each_section_is_built_once_for_the_page_and_the_workbook(sample, monkeypatch):
    """The page and the workbook share the sections: representation tables and figures are made once."""
    calls = {"representation": 0, "trajectory": 0}
    real_rep = report_module.representation_by_group
    real_traj = report_module.PartnershipReport.trajectory_figure

    def rep(*args, **kwargs):   # counts the representation tables built (one per group column it is asked for)
        tables = real_rep(*args, **kwargs)
        calls["representation"] += len(tables)
        return tables

    def traj(self):
        calls["trajectory"] += 1
        return real_traj(self)

    monkeypatch.setattr(report_module, "representation_by_group", rep)
    monkeypatch.setattr(report_module.PartnershipReport, "trajectory_figure", traj)
    report = ek.report.PartnershipReport(sample, "riverside-literacy")
    tables = _show_everything(report)
    _show_everything(report)   # shown again (e.g. re-run cells in a notebook): nothing is rebuilt
    assert calls["representation"] == len(sample.group_columns)
    assert report.change_over_time().applicable   # riverside asked a measure at three waves: the figure is drawn...
    assert calls["trajectory"] == 1                # ...once
    assert any(name.startswith("By ") for name in tables)


def test_sections_hand_out_fresh_lists(sample):
    report = ek.report.PartnershipReport(sample, "riverside-literacy")
    first = report.subgroups()
    first.clear()
    assert len(report.subgroups()) == len(sample.group_columns)


@pytest.mark.sample_wide  # every section of a sample report
def test_a_report_never_runs_a_full_garbage_collection(sample, monkeypatch):
    """statsmodels' Holm adjustment calls ``gc.collect()`` each time: 0.1-0.3 s in a kernel holding a report."""
    collections = []
    real = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(a) or real(*a))
    report = ek.report.PartnershipReport(sample, "riverside-literacy")
    _show_everything(report)
    ek.health_report.HealthSections(sample, "riverside-literacy").methods()
    assert collections == []
    assert report.group_differences["p_adjusted"].notna().any()   # Holm did run


def test_group_labels_from_the_labels_table_are_looked_up_once_per_table(sample, monkeypatch):
    """``relabel_groups`` reads the labels table once, not once per row."""
    from evalkit import labels

    reads = []
    real = labels._table
    monkeypatch.setattr(labels, "_table", lambda t: reads.append(1) or real(t))
    table = pd.DataFrame({"column": ["low_income"] * 2, "value": ["yes", "no"],
                          "label": ["Low income", "Not low income"], "order": [1, 2]})
    frame = pd.DataFrame({"group": ["no", "yes", "Not recorded", "yes or not recorded"] * 25, "x": range(100)})
    out = labels.relabel_groups(frame, "low_income", table)
    assert len(reads) <= 3   # group_order and the label lookup, not one per row
    assert set(out["group"]) == {"Low income", "Not low income", "Not recorded", "Low income or not recorded"}
