"""Names a reader reads, not the analyst's codes (trial 11 F13).

Riverside's themes table began each row with the codebook's code ("practical-skills", "(no theme)"), and the
methods' Scales paragraph named "teamwork (3 items)" where every other table and figure names the same scale
"Teamwork scale (mean of 3 items)".
"""
from __future__ import annotations

import pandas as pd

import evalkit as ek
from evalkit.health_report import HealthSections, PortfolioHealth, theme_label


def _column(table: pd.DataFrame, name: str) -> list[str]:
    t = table.reset_index()
    return [str(x) for x in t[name]]


def test_theme_codes_read_as_words():
    assert theme_label("practical-skills") == "Practical skills"
    assert theme_label("peer_support") == "Peer support"
    assert theme_label("(no theme)") == "No theme found"


def test_riverside_themes_table_names_themes_in_words(sample_data):
    shown = _column(HealthSections(sample_data, "riverside-literacy").themes_table(), "Theme")
    assert "Practical skills" in shown and "No theme found" in shown
    assert not [x for x in shown if "-" in x or x.startswith("(")], shown


def test_the_portfolio_themes_table_names_themes_in_words(sample_data):
    shown = _column(PortfolioHealth(sample_data).themes_table(), "Theme")
    assert "Practical skills" in shown and "practical-skills" not in shown


def test_the_methods_name_a_scale_as_its_tables_do(sample_data):
    report = ek.PartnershipReport(sample_data, "riverside-literacy")
    text = report.methods().replace("\\(", "(").replace("\\)", ")")   # as the Markdown reads
    assert "Teamwork scale (mean of 3 items): Cronbach's alpha" in text
    assert "teamwork (3 items)" not in text
    labels = set(ek.compare_prepost(sample_data, "riverside-literacy")["label"])
    assert "Teamwork scale (mean of 3 items)" in labels   # the name the outcomes table gives the same scale
