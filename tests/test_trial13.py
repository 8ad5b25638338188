"""Findings of reader trial 13 (/work/notes/trial13.md), each a test written before its fix."""
from __future__ import annotations

import pandas as pd
import pytest

from evalkit.pageone import equity_lines


def _diffs(compared: dict[str, int]) -> pd.DataFrame:
    """Group differences as evalkit.equity.group_differences gives them: one row per characteristic and outcome
    compared, none credible."""
    rows = [{"group_variable": var, "measure": f"m{i}", "pvalue": 0.5, "p_adjusted": 0.9, "credible": False}
            for var, n in compared.items() for i in range(n)]
    return pd.DataFrame(rows)


def test_for_whom_says_on_how_many_outcomes_a_characteristic_was_compared():
    # F4: civic-coders' page two read "one participant characteristic compared on every outcome", while age group was
    # compared on 2 of its 7 outcomes (on the other five only one age group reached 10 pairs)
    assert "one participant characteristic compared on 2 of the 7 outcomes, those where at least two groups were " \
           "large enough to compare, allowing" in equity_lines(_diffs({"age_group": 2}), outcomes=7)[0]
    assert "two participant characteristics compared on 4 to 7 of the 7 outcomes" in \
        equity_lines(_diffs({"age_group": 7, "gender": 4}), outcomes=7)[0]
    assert "compared on every outcome" in equity_lines(_diffs({"age_group": 7, "gender": 7}), outcomes=7)[0]


def test_an_outcome_withheld_for_the_whole_partnership_does_not_stop_folding_the_unrecorded(sample_data):
    # F5: with riverside's post-survey knowledge answers kept for 8 people (an optional question), knowledge is
    # withheld for the whole partnership; but it made every low-income group "small" on that measure, so the 10
    # people whose income is not recorded were not folded in, complementary suppression blanked the 115 low-income
    # participants on every outcome, and page two said "no credible difference" instead of its main equity finding.
    import dataclasses

    import evalkit as ek
    from evalkit.compare import fold_unrecorded

    r = sample_data.responses
    post = (r["partnership_id"] == "riverside-literacy") & (r["measure"] == "knowledge") & (r["wave"] == "post")
    dropped = r.loc[post, "participant_id"].unique()[8:]
    data = dataclasses.replace(sample_data, responses=r[~(post & r["participant_id"].isin(dropped))])

    folded = fold_unrecorded(data).participants
    folded = folded.loc[folded["partnership_id"] == "riverside-literacy", "low_income"]
    assert folded.isna().sum() == 0 and folded.str.endswith(" or not recorded").any()
    report = ek.report.PartnershipReport(data, "riverside-literacy")
    assert report.outcomes.set_index("measure").at["knowledge", "suppressed"]
    assert "Low-income participants benefited less than other participants" in report.summary()


def test_the_who_was_served_alt_text_says_what_the_figure_draws():
    # F3: riverside's alt text named only the under-represented group ("Hispanic or Latino"), while the figure drew
    # Black and Multiracial in blue as over-represented, and its "1 group not drawn" note was not in the alt text
    import matplotlib.pyplot as plt

    from evalkit.health_plots import describe_representation, plot_representation

    gaps = pd.DataFrame({"characteristic": ["race"] * 4, "group": ["A", "B", "C", "D"],
                         "ratio": [0.5, 1.9, 1.0, float("nan")], "ratio_ci_low": [0.3, 1.3, 0.8, float("nan")],
                         "ratio_ci_high": [0.8, 2.8, 1.2, float("nan")],
                         "verdict": ["under-represented", "over-represented", "in line", "not judged"],
                         "note": ["", "", "", "suppressed: fewer than 10 participants"]})
    alt = describe_representation(gaps)
    assert "under-represented: race A (0.50, 95% CI 0.30 to 0.80)" in alt
    assert "over-represented: race B (1.90, 95% CI 1.30 to 2.80)" in alt
    fig = plot_representation(gaps)
    note = fig.axes[0].get_title(loc="left")
    assert note.startswith("1 group not drawn") and alt.endswith(" " + " ".join(note.split()))
    plt.close(fig)


@pytest.mark.sample_wide
def test_the_portfolio_explains_what_its_forest_plots_draw(sample_portfolio):
    # F10: civic's volunteering was drawn grey, "No clear change", with an interval of 4 to 33 points beside green
    # points with narrower gains, and nothing in the portfolio said the colour is each report's Holm-adjusted verdict.
    # F8: the pooled row's dotted line (the prediction interval) was in no legend (its tick labels that ran together:
    # test_presentation). F9: its methods still said "suppressed".
    import matplotlib.pyplot as plt

    import evalkit as ek

    portfolio = sample_portfolio
    methods = portfolio.methods()
    assert "Holm" in methods and "an interval that leaves out 0 can still be" in methods
    assert "suppressed" not in methods and "not shown" in methods
    figures = portfolio.forest_figures()
    assert figures
    for shown in figures:
        ax = shown.figure.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "95% prediction interval" in labels and any(t.startswith("Pooled") for t in labels)
        plt.close(shown.figure)


def test_one_of_an_indicators_unit_reads_in_the_singular():
    # F9: first-gen-mentors read "Internships offered: 1 internships in the latest period", greenway "1 events"
    from evalkit.health_report import format_value

    assert format_value(1, "internships") == "1 internship"
    assert format_value(1.0, "events") == "1 event"
    assert format_value(1, "families") == "1 family"
    assert format_value(1, "hours") == "1 hour"
    assert format_value(1, "classes") == "1 class"
    assert format_value(2, "events") == "2 events" and format_value(1.5, "hours") == "1.5 hours"
    assert format_value(1, "USD") == "1 USD" and format_value(1, "kg CO2") == "1 kg CO2"
    from evalkit.health_plots import describe_indicator_trends   # the chart's alt text too

    trend = pd.DataFrame({"indicator": ["i"] * 2, "label": ["Internships offered"] * 2, "unit": ["internships"] * 2,
                          "period": ["q1", "q2"], "period_rank": [0, 1], "value": [2.0, 1.0], "suppressed": False})
    assert "from 2 internships (q1) to 1 internship (q2)" in describe_indicator_trends(trend)


def test_the_indicator_charts_and_check_in_panels_come_a_row_at_a_time(sample_data):
    # F2: the indicator charts (one 2 x 2 figure, 4.3 in) and the partners' check-in panels (two rows of three) were
    # one image each, which print cannot break: first-gen's page 7 was 48% filled, the charts on page 8. Drawn a row
    # at a time, the same panels in the same order, each row with its own alt text.
    import matplotlib.pyplot as plt

    from evalkit.health_report import HealthSections

    health = HealthSections(sample_data, "first-gen-mentors")
    for whole, rows, per_row in ((health.indicators_figure(), health.indicators_figures(), 2),
                                 (health.partners_figure(), health.partners_figures(), 3)):
        titles = [ax.get_title() for ax in whole.figure.axes if ax.get_title()]
        assert len(rows) == -(-len(titles) // per_row) >= 2
        assert [ax.get_title() for row in rows for ax in row.figure.axes if ax.get_title()] == titles
        for row in rows:
            named = [" ".join(ax.get_title().split()) for ax in row.figure.axes if ax.get_title()]
            assert all(name in row.alt for name in named)
            assert not any(" ".join(t.split()) in row.alt for t in titles if " ".join(t.split()) not in named)
        plt.close("all")


def test_a_sections_opening_line_is_kept_with_what_follows_in_print():
    # F7: civic's page 4 ended with "6 Long-term benefits" and its one-line introduction, the section's results on
    # page 5. The paragraph just under a heading leads into what follows (ek-lead: print keeps it with the next
    # block, as it keeps a heading with that paragraph).
    from bs4 import BeautifulSoup

    from evalkit.batch.html import finish_page

    page = finish_page('<main class="ek-main"><div><h2>Long-term benefits</h2><p>What participants reported.</p></div>'
                       "<div><p>Compared with the start:</p><ul><li>Skills rose.</li></ul><p>Later.</p></div></main>")
    soup = BeautifulSoup(page, "html.parser")
    first, second, later = soup.select("main > div p")
    assert "ek-lead" in first.get("class", [])
    assert "ek-lead" not in later.get("class", [])


def test_the_portfolios_indicator_bar_charts_come_a_chart_at_a_time(sample_data):
    # F2: the portfolio's shared-indicator bar charts were one figure of five charts (10 in), which print could not
    # break: the page before it was 61% blank. A figure a chart, each with its own alt text, the same charts.
    import matplotlib.pyplot as plt

    from evalkit.health_report import PortfolioHealth

    health = PortfolioHealth(sample_data)
    whole, charts = health.shared_indicators_figure(), health.shared_indicators_figures()
    titles = [ax.get_title() for ax in whole.figure.axes]
    assert len(titles) >= 2 and [len(c.figure.axes) for c in charts] == [1] * len(titles)
    assert [c.figure.axes[0].get_title() for c in charts] == titles
    for chart, title in zip(charts, titles):
        label = title.split(" (")[0]
        assert chart.alt.startswith("Bar chart of shared indicators by partnership: " + label + ", all partnerships")
    plt.close("all")


def test_the_change_over_time_axis_spans_at_least_a_quarter_of_the_scale(sample_data):
    # F8: riverside's change over time drew self-rated skills (1-5) on an axis from about 2.95 to 3.35, so a rise of
    # 0.2 points filled half the panel while the distributions drew the same measure on 1-5. Given each measure's
    # scale, the axis spans at least a quarter of its range (1 point of 1-5), and never beyond the scale.
    import matplotlib.pyplot as plt

    import evalkit as ek
    from evalkit.waves import plot_trajectory, trajectory

    table = trajectory(sample_data, "riverside-literacy", ["skills"])
    fig = plot_trajectory(table, scales={"skills": (1.0, 5.0)})
    low, high = fig.axes[0].get_ylim()
    means = table["mean"]
    assert high - low >= 1.0 - 1e-9 and 1.0 <= low <= means.min() and means.max() <= high <= 5.0
    plt.close(fig)
    shown = ek.report.PartnershipReport(sample_data, "riverside-literacy").trajectory_figure()
    low, high = shown.figure.axes[0].get_ylim()
    assert high - low >= 1.0 - 1e-9
    plt.close(shown.figure)
