"""Page one of a partnership report: significance-aware verdicts, what the study could detect,
the overall verdict, the equity finding and the at-a-glance card.

Statistics are checked against independent values (R printed in comments, statsmodels' own
power solver, hand calculation), never against evalkit's own output.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from statsmodels.stats.power import TTestPower

import evalkit as ek
from evalkit.labels import column_label
from builders import long_responses as _long
from builders import measure as _measure
from builders import write_tables
from conftest import ROOT

DATASETS = Path(__file__).parent / "stats" / "datasets"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def anorexia(tmp_path_factory):
    """MASS::anorexia as one partnership, one 'measure' per treatment group (R values in the tests)."""
    d = pd.read_csv(DATASETS / "anorexia.csv")
    d.columns = [c.lower() for c in d.columns]
    parts = [_long("anorexia", g.lower(), x["prewt"].to_numpy(), x["postwt"].to_numpy())
             for g, x in d.groupby("treat", sort=False)]
    folder = write_tables(tmp_path_factory.mktemp("anorexia"), pd.concat(parts),
                          [_measure("cont"), _measure("cbt"), _measure("ft")])
    return ek.compare_prepost(ek.load_data(folder), min_group_size=10).set_index("measure")


@pytest.fixture(scope="module")
def sample(sample_data):
    return sample_data


@pytest.fixture(scope="module")
def reports(sample):
    return {pid: ek.report.PartnershipReport(sample, pid)
            for pid in ("eastside-stem", "harbor-health", "riverside-literacy")}


# ---- 1. verdicts that respect chance ----------------------------------------------------------------------

def test_verdict_is_a_direction_only_when_the_interval_excludes_no_change_and_holm_agrees(anorexia):
    # R: t.test(Postwt, Prewt, paired = TRUE) per group:
    #   Cont: CI -3.68 to 2.78 (contains 0)                       -> no clear change
    #   CBT:  CI 0.23 to 5.79, p = 0.035, Holm p = 0.070 (> 0.05) -> no clear change (chance not ruled out)
    #   FT:   CI 3.58 to 10.94, Holm p = 0.0021                   -> improved
    assert anorexia.loc["cont", "verdict"] == "no clear change"
    assert anorexia.loc["cbt", "verdict"] == "no clear change"
    assert anorexia.loc["ft", "verdict"] == "improved"
    # the point-estimate direction is still there for analysts
    assert anorexia.loc["cont", "direction"] == "declined"


def test_smallest_detectable_change_matches_statsmodels_power_solver():
    from evalkit.pageone import detectable_dz

    # independent solver: statsmodels' TTestPower (one-sample/paired t, noncentral t)
    for n in (23, 92, 210):
        expected = float(np.squeeze(TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8, alternative="two-sided")))
        assert detectable_dz(n, alpha=0.05) == pytest.approx(expected, abs=2e-4)
    # by hand (G*Power's classic table): d_z = 0.5 needs 34 pairs for 80% power, so with 34 pairs
    # the detectable d_z is just under 0.5
    assert 0.48 < detectable_dz(34) < 0.5


def test_eastside_summary_says_no_clear_change_for_all_seven_and_what_could_be_detected(reports):
    r = reports["eastside-stem"]
    summary = r.summary()
    assert re.search(r"no clear change on any of the seven outcomes", summary, re.I)
    for label in r.outcomes["label"]:
        line = next(line for line in summary.splitlines() if ek.narrate.md_escape(label) in line)
        assert "no clear change" in line
    assert "improved" not in summary.lower() and "declined" not in summary.lower()
    # the smallest detectable change, from statsmodels at the median number of matched pairs
    n = int(r.outcomes["n_pairs"].median())
    mde = float(np.squeeze(TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8)))
    assert f"d_z = {mde:.2f}" in summary and "found 80% of the time" in summary


def test_harbor_summary_says_every_outcome_worsened(reports):
    summary = reports["harbor-health"].summary()
    assert "All seven outcomes worsened" in summary


def test_outcomes_table_says_no_clear_change_where_chance_is_not_ruled_out(reports):
    table = reports["eastside-stem"].outcomes_table()
    assert set(table["Verdict"]) == {"no clear change"}
    assert "Direction" not in table.columns


def _line_colors(fig):
    return [mcolors.to_hex(line.get_color()) for line in fig.axes[0].lines if len(line.get_xdata()) == 2
            and line.get_ydata()[0] == line.get_ydata()[1]]


def test_change_plot_colours_follow_the_verdict_not_the_sign():
    from evalkit.plots import plot_change

    table = pd.DataFrame({
        "label": ["Clear gain", "Chance gain", "Chance loss"], "mean_change": [0.5, 0.3, -0.3],
        "ci_low": [0.2, -0.1, -0.7], "ci_high": [0.8, 0.7, 0.1], "scale_min": [1.0] * 3, "scale_max": [5.0] * 3,
        "sd_pre": [1.0] * 3, "direction": ["improved", "improved", "declined"],
        "verdict": ["improved", "no clear change", "no clear change"], "suppressed": [False] * 3})
    fig = plot_change(table)
    colors = _line_colors(fig)   # interval lines, drawn in order of the change: loss, chance gain, clear gain
    assert len(colors) == 3
    assert colors[0] == colors[1] != colors[2]   # both chance results share the neutral colour
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Improved", "No clear change"]


def test_the_change_plot_legend_covers_no_estimate_or_interval():
    """The legend sat in the lower right, over the point and interval of a small change there (the sample's
    at-a-glance chart hid "Volunteered" behind it). Wherever the results fall, the legend covers none of them."""
    from evalkit.plots import plot_change

    pct = np.array([-5.0, 2.0, 4.5, 5.0, 5.5, 9.0, 10.5])       # riverside's changes, % of a 1-5 scale
    half = np.array([2.5, 6.0, 1.5, 2.0, 1.8, 3.0, 3.0])
    table = pd.DataFrame({
        "label": [f"Outcome {i}" for i in range(7)], "mean_change": pct * 4 / 100,
        "ci_low": (pct - half) * 4 / 100, "ci_high": (pct + half) * 4 / 100, "n_pairs": 220,
        "scale_min": 1.0, "scale_max": 5.0, "sd_pre": 1.0, "direction": "improved",
        "verdict": ["improved", "no clear change", "improved", "improved", "improved", "improved", "improved"],
        "suppressed": False})
    fig = plot_change(table, title="Change on each outcome")
    fig.set_size_inches(6.5, 3.0)   # as on the at-a-glance card
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    marks = [line.get_window_extent(renderer) for line in fig.axes[0].lines
             if not (line.get_xdata()[0] == line.get_xdata()[-1] == 0)]   # every interval and point, not the 0 line
    assert len(marks) == 14
    assert not [m for m in marks if m.overlaps(legend)]
    labels = [fig.axes[0].xaxis.label.get_window_extent(renderer), *(t.get_window_extent(renderer)
                                                                     for t in fig.axes[0].get_xticklabels())]
    assert not [b for b in labels if b.overlaps(legend)]   # nor the axis under it
    plt.close(fig)


# ---- 3. for whom: does change differ across groups? ---------------------------------------------------------

def _groups_dataset(tmp_path):
    """40 people, one measure; change 0 for the 15 low-income people, 5 for the 22 others, 3 not recorded.

    Gender: 12 women, 13 men, 12 non-binary and 3 people of a tiny group: it is suppressed, and so is one
    more group (complementary suppression, else it could be recovered by subtraction)."""
    rng = np.random.default_rng(7)
    n = 40
    pre = np.round(rng.normal(100, 10, n), 1)
    low_income = ["yes"] * 15 + ["no"] * 22 + [None] * 3
    change = np.array([0.0] * 15 + [5.0] * 22 + [2.0] * 3) + np.round(rng.normal(0, 3, n), 1)
    post = np.round(pre + change, 1)
    responses = _long("p", "m", pre, post)
    people = pd.DataFrame({"participant_id": [f"p{i}" for i in range(1, n + 1)], "partnership_id": "p",
                           "low_income": low_income,
                           "gender": ["woman"] * 12 + ["man"] * 13 + ["non-binary"] * 12 + ["two-spirit"] * 3})
    folder = write_tables(tmp_path, responses, [_measure("m", label="Wellbeing")], participants=people)
    return ek.load_data(folder), pre, post, people


def test_group_difference_is_the_anova_of_change_scores_by_hand_and_small_groups_never_enter(tmp_path):
    from evalkit.compare import fold_unrecorded
    from evalkit.equity import group_differences

    data, pre, post, people = _groups_dataset(tmp_path)
    folded = fold_unrecorded(data, min_group_size=10)
    diffs = group_differences(folded, "p", alpha=0.05, min_group_size=10).set_index("group_variable")
    change = post - pre
    # low income: the 3 unrecorded people join the larger group ("no or not recorded", 25 people)
    groups = [change[:15], change[15:]]
    grand = change.mean()
    ss_between = sum(len(g) * (g.mean() - grand) ** 2 for g in groups)
    ss_within = sum(((g - g.mean()) ** 2).sum() for g in groups)
    f = (ss_between / 1) / (ss_within / (40 - 2))
    row = diffs.loc["low_income"]
    assert row["test"] == "anova" and row["k_groups"] == 2 and row["n"] == 40
    assert row["statistic"] == pytest.approx(f, rel=1e-10)
    assert (row["df_num"], row["df_den"]) == (1, 38)
    from scipy import stats
    assert row["pvalue"] == pytest.approx(stats.f.sf(f, 1, 38), rel=1e-10)
    assert row["least_group"] == "yes" and row["most_group"] == "no or not recorded"
    assert row["least_change"] == pytest.approx(change[:15].mean()) and row["least_n"] == 15
    # gender: the 3-person group and one 12-person group are suppressed: men and one 12-person group remain
    g = diffs.loc["gender"]
    assert g["k_groups"] == 2 and g["n"] == 25
    assert "two-spirit" not in {g["least_group"], g["most_group"]}
    # Holm over the two tests by hand: sorted p p1 <= p2 -> (2 p1, max(2 p1, p2))
    p = diffs["pvalue"].sort_values()
    expected = [min(1, 2 * p.iloc[0]), min(1, max(2 * p.iloc[0], p.iloc[1]))]
    np.testing.assert_allclose(diffs.loc[p.index, "p_adjusted"], expected)
    assert diffs.loc["low_income", "credible"]  # a change of 0 vs 5 with SD 3


def test_riverside_summary_names_the_low_income_teamwork_gap(reports):
    summary = reports["riverside-literacy"].summary()
    para = next(p for p in summary.split("\n\n") if p.startswith("**For whom:**"))
    assert para.startswith("**For whom:** Low-income participants benefited less than other participants")
    # the groups are named in the head; each outcome gives the low-income group's change first
    assert re.search(r"Teamwork scale \\\(mean of 3 items\\\) [+]?0\.00 \(n = \d+\) vs \+0\.30 \(n = \d+\)", para)
    # the group tables show the same groups (no group suppressed only to protect a few unrecorded people)
    section = next(s for s in reports["riverside-literacy"].subgroups() if s.variable == "low_income")
    assert list(section.compact.columns) == ["yes", "no or not recorded"]   # yes first (evalkit.labels)
    assert "fewer than" not in " ".join(section.compact.loc["Enrolled"])


def test_groups_without_a_credible_difference_are_folded_into_an_appendix(reports):
    # Issue 9: "the rest folded into an appendix": closed on screen, hidden in print, escaped, protected.
    report = reports["riverside-literacy"]
    parts = report.results_by_group()
    html = [p.data for p in parts if hasattr(p, "data") and "ek-appendix" in str(p.data)]
    assert len(html) == 1 and html[0].startswith('<details class="ek-appendix"><summary>')
    credible = set(report.group_differences.loc[report.group_differences["credible"], "group_variable"])
    folded = [s for s in report.subgroups() if s.variable not in credible]
    assert folded and all(f"<h4>{column_label(s.variable, report.data)}</h4>" in html[0] for s in folded)
    assert "<script" not in html[0]
    css = (Path(__file__).resolve().parents[1] / "evalkit/templates/nbconvert/evalkit/static/report.css").read_text()
    assert "details.ek-appendix { display: none; }" in css.split("@media print")[1]


# ---- 4. the at-a-glance card -------------------------------------------------------------------------------

def test_at_a_glance_card_has_key_figures_as_large_numbers_and_a_described_chart(reports):
    card = reports["riverside-literacy"].at_a_glance().data
    assert card.startswith('<section class="at-a-glance"><h2>At a glance</h2><ul class="kpis"><li class="kpi">')
    kpis = dict((label, value) for value, label in
                re.findall(r'<li class="kpi"><span class="value">([^<]+)</span><span class="label">([^<]+)</span></li>',
                           card))
    # from the sample files themselves: riverside has 300 rows in participants.csv and 14 sessions in attendance.csv
    people = pd.read_csv(SAMPLE / "participants.csv")
    sessions = pd.read_csv(SAMPLE / "attendance.csv")
    assert kpis["participants enrolled"] == str((people["partnership_id"] == "riverside-literacy").sum())
    assert kpis["sessions held"] == str(sessions.loc[sessions["partnership_id"] == "riverside-literacy", "session"].nunique())
    # every target counts, those on partnership indicators (volunteer hours, events) too: riverside sets six
    targets = pd.read_csv(SAMPLE / "targets.csv")
    mine = targets[targets["partnership_id"] == "riverside-literacy"]
    assert kpis["targets met"].endswith(f" of {len(mine)}")
    assert kpis["outcomes improved"] == "6 of 7"
    assert "Low-income participants benefited less than other participants" in card
    img = re.search(r'<img class="ek-figure ek-glance-chart" alt="([^"]+)"', card)
    assert img and img.group(1).startswith("Dot plot of the mean change")


def test_at_a_glance_card_never_shows_a_small_count(sample):
    card = ek.report.PartnershipReport(sample, "cafe-societe").at_a_glance().data
    values = re.findall(r'<span class="value">([^<]+)</span>', card)
    for v in values:
        digits = v.replace(",", "")
        assert not (digits.isdigit() and 0 < int(digits) < 10), v
    assert "<img" not in card  # every outcome suppressed: nothing to chart


# ---- 2. effect sizes a WWC reviewer accepts, in the outcomes table ---------------------------------------------

def test_outcomes_rows_carry_hedges_g_over_the_pretest_sd_the_improvement_index_and_t_df(anorexia):
    from evalkit.narrate import outcomes_table

    d = pd.read_csv(DATASETS / "anorexia.csv")
    ft = d[d["Treat"] == "FT"]
    n = len(ft)                                            # 17 girls
    j = 1 - 3 / (4 * (n - 1) - 1)
    g = j * (ft["Postwt"].mean() - ft["Prewt"].mean()) / ft["Prewt"].std(ddof=1)
    row = anorexia.loc["ft"]
    assert row["g"] == pytest.approx(g, rel=1e-10)
    from scipy.stats import norm
    assert row["improvement_index"] == pytest.approx((norm.cdf(g) - 0.5) * 100, rel=1e-10)
    table = outcomes_table(anorexia.reset_index()).set_index("Measure")
    # R: t.test(Postwt, Prewt, paired = TRUE) for FT gives t = 4.1849, df = 16
    assert table.loc["Ft", "Test"] == "paired t, t(16) = 4.18, p < 0.001"   # R: p = 0.0007
    assert table.loc["Ft", "Effect size"].startswith(f"g = {g:.2f} (d_z = ")


def test_improvement_index_is_favourable_when_a_lower_is_better_score_falls(tmp_path):
    pre = np.array([20.0, 22, 25, 19, 24, 21, 23, 26, 18, 22, 20, 24])
    post = pre - np.array([3.0, 2, 4, 1, 3, 2, 5, 2, 3, 1, 2, 4])   # stress fell
    folder = write_tables(tmp_path, _long("p", "stress", pre, post), [_measure("stress", hib=False)])
    row = ek.compare_prepost(ek.load_data(folder), min_group_size=10).iloc[0]
    assert row["g"] < 0 and row["improvement_index"] > 0 and row["verdict"] == "improved"


# ---- 5. a multi-item scale keeps its items' direction ----------------------------------------------------------

def _stress_scale(tmp_path, calm_hib=True, second_hib=False):
    """Three stress items (1-5): two worded as stress, one ('I feel calm') reverse-coded; stress falls by 1 on average."""
    rng = np.random.default_rng(3)
    n = 30
    pre = rng.integers(3, 6, n).astype(float)
    post = pre - np.tile([0.0, 1, 1, 2, 1], 6)
    frames = [_long("p", "stress_1", pre, post), _long("p", "stress_2", pre, post),
              _long("p", "calm", 6 - pre, 6 - post)]
    items = [dict(_measure("stress_1", kind="ordinal", lo=1, hi=5, hib=False), scale="stress", reverse_coded=False),
             dict(_measure("stress_2", kind="ordinal", lo=1, hi=5, hib=second_hib), scale="stress", reverse_coded=False),
             dict(_measure("calm", kind="ordinal", lo=1, hi=5, hib=calm_hib), scale="stress", reverse_coded=True)]
    return write_tables(tmp_path, pd.concat(frames), items)


def test_a_lower_is_better_scale_falling_is_an_improvement(tmp_path):
    from evalkit.scales import with_scale_scores

    data = with_scale_scores(ek.load_data(_stress_scale(tmp_path)))
    assert not data.measures.set_index("measure").loc["stress", "higher_is_better"]
    row = ek.compare_prepost(data, min_group_size=10).set_index("measure").loc["stress"]
    # by hand: every item moved one point towards less stress (calm reverse-coded: 6 - x), so the scale fell by 1
    assert row["mean_change"] == pytest.approx(-1.0)
    assert row["direction"] == "improved" and row["verdict"] == "improved"


def test_a_scale_whose_items_disagree_on_direction_is_an_input_error(tmp_path):
    from evalkit.errors import InputError
    from evalkit.scales import with_scale_scores

    with pytest.raises(InputError, match="higher_is_better"):
        with_scale_scores(ek.load_data(_stress_scale(tmp_path, second_hib=True)))


# ---- 6. the portfolio uses the reports' intervals and says what I² and Q say ------------------------------------

def test_portfolio_change_intervals_are_the_reports_t_intervals(sample):
    from scipy import stats

    from evalkit.portfolio import shared_indicator_changes
    from evalkit.scales import with_scale_scores

    changes = shared_indicator_changes(with_scale_scores(sample)).set_index(["partnership_id", "measure"])
    # by hand from the sample's responses: uplands knowledge, t interval with n - 1 df
    r = pd.read_csv(SAMPLE / "responses.csv")
    r = r[(r["partnership_id"] == "uplands-tutoring") & (r["measure"] == "knowledge")]
    wide = r.pivot(index="participant_id", columns="wave", values="value").dropna(subset=["pre", "post"])
    d = wide["post"] - wide["pre"]
    for level in (0.95, 0.90):
        q = stats.t.ppf(0.5 + level / 2, len(d) - 1)
        expected = (d.mean() - q * d.std(ddof=1) / np.sqrt(len(d)), d.mean() + q * d.std(ddof=1) / np.sqrt(len(d)))
        c = shared_indicator_changes(with_scale_scores(sample), conf_level=level).set_index(
            ["partnership_id", "measure"]).loc[("uplands-tutoring", "knowledge")]
        assert (c["ci_low"], c["ci_high"]) == pytest.approx(expected, rel=1e-10)
    row = changes.loc[("uplands-tutoring", "knowledge")]
    assert f"{row['ci_low']:.2f} to {row['ci_high']:.2f}" == "0.94 to 2.79"   # as in uplands' own report


def test_prediction_interval_uses_t_with_k_minus_2_df_by_hand():
    from evalkit.stats import meta_analysis

    # three homogeneous effects: Q < k - 1 so tau^2 = 0 (DL) and the pooled SE is the fixed-effect one
    y, v = np.array([0.50, 0.52, 0.48]), np.array([0.01, 0.01, 0.01])
    res = meta_analysis(y, v, method="DL", prediction="t")
    se = math.sqrt(1 / (3 / 0.01))
    # t table: t_{0.975, 1} = 12.706
    assert res.tau2 == 0 and res.pi_df == 1
    assert (res.pi_low, res.pi_high) == pytest.approx((0.5 - 12.7062 * se, 0.5 + 12.7062 * se), rel=1e-4)
    assert math.isnan(meta_analysis(y[:2], v[:2], method="DL", prediction="t").pi_low)  # k = 2: no df left


def test_heterogeneity_sentence_follows_i2_and_the_q_test():
    from evalkit.narrate import heterogeneity_sentence

    base = {"k": 3, "Q_df": 2.0, "pi_low": -0.5, "pi_high": 2.5, "pi_df": 1.0, "conf_level": 0.95}
    none = heterogeneity_sentence({**base, "I2": 0.0, "Q": 0.4, "Q_pvalue": 0.82})
    assert none.startswith("There is no evidence that partnerships differ (I\u00b2 = 0%") and "Partnerships differ" not in none
    assert "t with k \u2212 2 = 1 df" in none
    some = heterogeneity_sentence({**base, "I2": 91.0, "Q": 22.0, "Q_pvalue": 0.00002})
    assert some.startswith("Partnerships differ more than chance would explain (I\u00b2 = 91%")


def test_forest_plot_intervals_follow_conf_level():
    from scipy import stats

    from evalkit.plots import plot_forest

    c = pd.DataFrame({"measure": ["k"] * 2, "name": ["A", "B"], "mean_change": [1.0, 2.0], "se": [0.5, 0.25],
                      "df": [9.0, 29.0], "ci_low": [0, 0], "ci_high": [0, 0], "suppressed": [False, False]})
    row = pd.Series({"measure": "k", "label": "K", "estimate": 1.5, "se": 0.2, "tau2": 0.1, "pi_df": np.nan,
                     "ci_low": 1.1, "ci_high": 1.9, "pi_low": 0.0, "pi_high": 3.0})
    spans = {}
    for level in (0.95, 0.5):
        fig = plot_forest(c, row, conf_level=level)
        bars = fig.axes[0].collections[0].get_segments()       # errorbar segments, sorted by change: A then B
        spans[level] = [seg[1][0] - seg[0][0] for seg in bars]
        diamond = fig.axes[0].patches[0].get_xy()[:, 0]
        assert diamond.max() - diamond.min() == pytest.approx(2 * stats.norm.ppf(0.5 + level / 2) * 0.2)
    # by hand: 2 * t_{0.975, 9} * 0.5 = 2.262; 2 * t_{0.75, 9} * 0.5 = 0.703
    assert spans[0.95][0] == pytest.approx(2 * 2.2622 * 0.5, rel=1e-4)
    assert spans[0.5][0] == pytest.approx(2 * 0.7027 * 0.5, rel=1e-3)


def test_portfolio_summary_states_heterogeneity_with_its_test(sample_portfolio):
    summary = sample_portfolio.shared_summary()
    lines = [line for line in summary.splitlines() if "I\u00b2" in line]
    assert lines
    for line in lines:
        assert re.search(r"Q\(\d+\) = [\d.]+, p", line) and "t with k \u2212 2 =" in line


# ---- 7. the index card of each report ----------------------------------------------------------------------

def test_headline_card_counts_targets_and_flags_from_the_files(sample):
    from evalkit.report import headline

    h = headline(sample, "uplands-tutoring")
    # from the files: uplands' retention (post / pre respondents) is far below one half, and its outcomes
    # have about 23 matched pairs (fewer than 30)
    r = pd.read_csv(SAMPLE / "responses.csv")
    r = r[(r["partnership_id"] == "uplands-tutoring") & (r["measure"] == "knowledge")]
    assert r[r["wave"] == "post"]["participant_id"].nunique() / r[r["wave"] == "pre"]["participant_id"].nunique() < 0.5
    assert h["flags"] == ["high attrition", "small n"]
    targets = pd.read_csv(SAMPLE / "targets.csv")
    # every target counts, the partnership indicators' ones too (all of uplands' can be judged)
    assert h["targets_total"] == len(targets[targets["partnership_id"] == "uplands-tutoring"])
    assert headline(sample, "harbor-health")["headline"] == "All seven outcomes worsened."
    assert headline(sample, "eastside-stem")["flags"] == []


def test_batch_manifest_carries_the_headline_and_the_index_shows_it(sample_run):
    import json

    manifest = json.loads((sample_run.out_dir / "manifest.json").read_text())
    card = manifest["partnerships"]["eastside-stem"]["headline"]
    assert card["headline"] == "There was no clear change on any of the seven outcomes."
    assert set(card) == {"headline", "targets_met", "targets_total", "targets_set", "flags"}
    index = (sample_run.out_dir / "index.html").read_text()
    assert "There was no clear change on any of the seven outcomes." in index


def test_change_alt_text_states_the_intervals_drawn_at_another_conf_level():
    from evalkit.figures import describe_change

    # mean change 0.5 on a 1-5 scale (range 4), sd of change 1, 10 pairs: se = 0.3162.
    # by hand: 95%: t_{0.975, 9} = 2.2622 -> 0.5 +/- 0.7154 -> -5% to +30% of the range
    #          50%: t_{0.75, 9}  = 0.7027 -> 0.5 +/- 0.2222 -> +7% to +18% of the range
    t = pd.DataFrame({"label": ["Skills"], "mean_change": [0.5], "sd_change": [1.0], "n_pairs": [10],
                      "ci_low": [-0.2154], "ci_high": [1.2154], "scale_min": [1.0], "scale_max": [5.0],
                      "verdict": ["no clear change"], "direction": ["improved"], "suppressed": [False]})
    assert "(95% CI \u22125% to +30%)" in describe_change(t)
    assert "(50% CI +7% to +18%)" in describe_change(t, conf_level=0.5)


def test_forest_plot_colours_each_interval_by_whether_it_excludes_no_change():
    from evalkit.figures import describe_forest
    from evalkit.plots import plot_forest

    # by hand: A 1 +/- t_{0.975, 9} 0.5 = -0.13 to 2.13 (contains 0) at 95%, 0.65 to 1.35 at 50% (excludes 0);
    # B 2 +/- t_{0.975, 29} 0.25 = 1.49 to 2.51; C -1 +/- t_{0.975, 20} 0.2 = -1.42 to -0.58
    c = pd.DataFrame({"measure": ["k"] * 3, "name": ["A", "B", "C"], "mean_change": [1.0, 2.0, -1.0],
                      "se": [0.5, 0.25, 0.2], "df": [9.0, 29.0, 20.0], "ci_low": [-0.131, 1.489, -1.417],
                      "ci_high": [2.131, 2.511, -0.583], "suppressed": [False] * 3})
    row = pd.Series({"measure": "k", "label": "K", "estimate": 0.7, "se": 0.9, "tau2": 2.0, "pi_df": 1.0,
                     "ci_low": -1.1, "ci_high": 2.5, "pi_low": -20.0, "pi_high": 21.0})

    def colours(fig):   # one interval segment per partnership, sorted by change: C, A, B
        return [mcolors.to_hex(x) for x in fig.axes[0].collections[0].get_colors()]

    from evalkit.plots import PALETTE
    import seaborn as sns
    improved, declined = (mcolors.to_hex(x) for x in sns.color_palette(PALETTE)[2:4])
    grey = mcolors.to_hex("0.55")
    assert colours(plot_forest(c, row)) == [declined, grey, improved]
    assert colours(plot_forest(c, row, conf_level=0.5)) == [declined, improved, improved]
    assert colours(plot_forest(c, row, higher_is_better=False)) == [improved, grey, declined]
    fig = plot_forest(c, row)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["Pooled (95% CI)", "Improved", "Worsened", "No clear change",   # "worsened", as the summary says
                      "95% prediction interval"]
    alt = describe_forest(c, row)
    assert "improved: B" in alt and "worsened: C" in alt and "no clear change: A" in alt
    assert "improved: A, B" in describe_forest(c, row, conf_level=0.5)
    assert "improved: C" in describe_forest(c, row, higher_is_better=False)


def test_targets_met_counts_the_indicator_targets_too(sample, reports):
    from evalkit.report import headline

    # riverside has 6 targets: 4 on survey/attendance, 2 on its indicators. By hand from indicators.csv:
    # volunteer_hours total 276 + 312 + 419 + 585 = 1592 >= 1000 (met); events_held latest (2025-09-22) 5 >= 4 (met)
    targets = pd.read_csv(SAMPLE / "targets.csv")
    assert len(targets[targets["partnership_id"] == "riverside-literacy"]) == 6
    ind = pd.read_csv(SAMPLE / "indicators.csv")
    ind = ind[ind["partnership_id"] == "riverside-literacy"]
    assert ind.loc[ind["indicator"] == "volunteer_hours", "value"].sum() == 1592
    assert ind[ind["indicator"] == "events_held"].sort_values("period")["value"].iloc[-1] == 5
    r = reports["riverside-literacy"]
    survey_met = int((r.targets["verdict"] == "met").sum())
    h = headline(sample, "riverside-literacy")
    assert (h["targets_met"], h["targets_total"]) == (survey_met + 2, 6)
    assert f"**Targets:** {survey_met + 2} of 6 met" in r.summary()
    assert f"{survey_met + 2} of 6" in r.at_a_glance().data


def test_portfolio_overview_counts_targets_as_page_one_does(sample):
    from evalkit.report import headline

    from evalkit.portfolio import portfolio_overview

    o = portfolio_overview(sample).set_index("partnership_id")
    for pid in ("riverside-literacy", "uplands-tutoring"):
        h = headline(sample, pid)
        assert (o.loc[pid, "targets_met"], o.loc[pid, "targets_total"]) == (h["targets_met"], h["targets_total"])
    assert o.loc["riverside-literacy", "targets_total"] == 6   # riverside's six targets (targets.csv), all judged


@pytest.mark.sample_wide
def test_a_report_object_shows_itself_in_a_notebook_as_its_title_and_page_one(sample, reports):
    """`report` as a cell's last value showed '<evalkit.report.PartnershipReport object at 0x7f...>'."""
    report = reports["riverside-literacy"]
    assert repr(report) == "PartnershipReport('riverside-literacy', alpha=0.05, min_group_size=10)"
    shown = report._repr_markdown_()
    assert shown.startswith(report.title() + "\n\n") and shown.endswith(report.summary())
    portfolio = ek.PortfolioReport(sample)
    assert repr(portfolio) == "PortfolioReport(12 partnerships, alpha=0.05, min_group_size=10)"
    assert portfolio._repr_markdown_().startswith("# Portfolio summary")
    assert portfolio.shared_summary() in portfolio._repr_markdown_()


def test_page_one_says_in_words_what_d_z_and_holm_mean(reports):
    # reader trial (left from the last note): page one read "could reliably detect was d_z = 0.19 (mean change / SD
    # of the changes; paired t-test, 80% power, two-sided alpha 0.05)" and "unlikely to be chance (Holm-adjusted
    # p < 0.001, across every characteristic and outcome compared)": symbols a reader meets only in the methods
    summary = reports["riverside-literacy"].summary()
    # riverside's one unclear outcome is yes/no, whose detectable change is in points (trial 12): eastside's are scores
    eastside = reports["eastside-stem"].summary()
    assert "standard deviations of the participants' changes (d_z" in eastside
    assert "found 80% of the time" in eastside and "80% power" not in eastside
    assert "even allowing for the many groups and outcomes compared (Holm-adjusted p" in summary
    from evalkit.pageone import equity_lines

    diffs = reports["riverside-literacy"].group_differences.assign(credible=False)
    assert "allowing for that many comparisons" in equity_lines(diffs)[0]


def test_group_differences_score_the_scales_of_data_as_loaded_as_compare_prepost_does(tmp_path):
    # the finding: ek.load_data then group_differences raised "groups must hold at least 2 groups, got 0"
    # when a measure was a multi-item scale: the group tables compared the scale's score, the pairs its items
    from scipy import stats

    from evalkit.equity import group_differences

    rng = np.random.default_rng(11)
    n = 30
    low_income = ["yes"] * 12 + ["no"] * 18
    pre_a, pre_b = rng.integers(1, 5, n).astype(float), rng.integers(1, 5, n).astype(float)
    gain = np.where(np.arange(n) < 12, 0.0, 1.0)
    post_a = np.clip(pre_a + gain + rng.integers(-1, 2, n), 1, 5)
    post_b = np.clip(pre_b + gain, 1, 5)
    responses = pd.concat([_long("p", "team_a", pre_a, post_a), _long("p", "team_b", pre_b, post_b)])
    items = [{**_measure(m, kind="ordinal", lo=1, hi=5), "scale": "teamwork"} for m in ("team_a", "team_b")]
    people = pd.DataFrame({"participant_id": [f"p{i}" for i in range(1, n + 1)], "partnership_id": "p",
                           "low_income": low_income})
    data = ek.load_data(write_tables(tmp_path, responses, items, participants=people))
    diffs = group_differences(data, "p", min_group_size=10)
    row = diffs.set_index("group_variable").loc["low_income"]
    assert row["measure"] == "teamwork" and row["n"] == n
    # by hand: each person's scale score is the mean of the two items; the ANOVA of its change by group
    change = (post_a + post_b) / 2 - (pre_a + pre_b) / 2
    f, p = stats.f_oneway(change[:12], change[12:])
    assert row["statistic"] == pytest.approx(f, rel=1e-10) and row["pvalue"] == pytest.approx(p, rel=1e-10)
    # items one by one, as compare_prepost(scales="items"): one test per item, Kruskal-Wallis for a Likert item
    by_item = group_differences(data, "p", min_group_size=10, scales="items").set_index("measure")
    assert sorted(by_item.index) == ["team_a", "team_b"] and set(by_item["test"]) == {"kruskal"}
    h = stats.kruskal((post_a - pre_a)[:12], (post_a - pre_a)[12:]).statistic  # with scipy's tie correction
    assert by_item.loc["team_a", "statistic"] == pytest.approx(h, rel=1e-10)


def test_group_differences_name_a_wrong_argument(tmp_path):
    # trial 8 (F5): a mistyped column was KeyError 'gendr', one name was read letter by letter (KeyError 'g'), a
    # folder path AttributeError
    from evalkit.equity import group_differences
    from evalkit.errors import InputError

    data, *_ = _groups_dataset(tmp_path)
    with pytest.raises(InputError, match=r"unknown group column \['gendr'\]; known: \['gender', 'low_income'\]"):
        group_differences(data, "p", group_columns=["gendr"])
    with pytest.raises(InputError, match="data must be the tables ek.load_data returns"):
        group_differences(str(tmp_path), "p")
    one = group_differences(data, "p", group_columns="gender", min_group_size=10)
    assert list(one["group_variable"].unique()) == ["gender"]


@pytest.mark.sample_wide
def test_portfolio_says_when_a_partnerships_targets_could_not_be_judged(sample):
    """Trial 9: cafe-societe's report says 'none of the 4 targets can be judged (4 with too few participants)';
    the portfolio's overview read '–', as for a partnership with no targets at all. targets.csv holds 4 targets
    for cafe-societe; its 20 participants leave fewer than 10 pairs, so none is judged."""
    from dataclasses import replace

    import evalkit as ek

    table = ek.report.PortfolioReport(sample).overview_table()
    assert table.loc["Café Société Youth Employment", "Targets met"] == "none could be judged (4 targets)"
    assert table.loc["Riverside Family Literacy", "Targets met"] == "3 of 6"
    no_targets = replace(sample, targets=sample.targets[sample.targets["partnership_id"] != "riverside-literacy"])
    assert ek.report.PortfolioReport(no_targets).overview_table().loc["Riverside Family Literacy", "Targets met"] \
        == "no targets set"
