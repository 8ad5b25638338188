"""Participation, targets, single-wave description, suppression, narration and portfolio pooling.

One small hand-made partnership; every expected number is worked by hand or taken from R (call beside it).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from builders import long_responses, measure, write_tables
from evalkit.errors import InputError
from evalkit.narrate import describe_change, effect_label, md_escape
from evalkit.privacy import suppress_small_groups

# Participants p1..p12 answer pre; p1..p10 answer post; p13 enrolled but never answered.
PRE = [3, 4, 4, 3, 3, 4, 2, 4, 4, 4, 3, 2]
POST = [4, 5, 4, 5, 3, 5, 4, 4, 5, 5, np.nan, np.nan]  # changes of p1..p10: 1,1,0,2,0,1,2,0,1,1 -> 7 improved


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    resp = long_responses("t1", "confidence", PRE, POST)
    resp = resp.dropna(subset=["value"])
    people = pd.DataFrame({"participant_id": [f"p{i}" for i in range(1, 14)], "partnership_id": "t1",
                           "first_generation": ["yes"] * 6 + ["no"] * 7})
    # 24 attendance records (p1..p12 x 2 sessions), 18 attended
    att = pd.DataFrame({"participant_id": [f"p{i}" for i in range(1, 13)] * 2, "partnership_id": "t1",
                        "session": ["s1"] * 12 + ["s2"] * 12,
                        "date": ["2025-02-01"] * 12 + ["2025-03-01"] * 12,
                        "attended": [True] * 12 + [True] * 6 + [False] * 6})
    targets = pd.DataFrame({
        "partnership_id": "t1",
        "indicator": ["confidence", "confidence", "attendance_rate", "confidence"],
        "statistic": ["mean_post", "pct_improved", "rate", "pct_at_least"],
        "target": [4, 35, 90, 95],
        "threshold": [np.nan, np.nan, np.nan, 4],
        "description": ["mean post >= 4", ">= 35% improve", "attend 90%", "95% at 4 or more"]})
    folder = write_tables(tmp_path_factory.mktemp("t1"), resp,
                          [measure("confidence", "ordinal", 1, 5, domain="satisfaction", label="Confidence")],
                          participants=people, attendance=att, targets=targets)
    return ek.load_data(folder)


def test_retention_counts_and_wilson_interval(data):
    r = ek.retention(data, min_group_size=5).iloc[0]
    assert (r["n_enrolled"], r["n_pre"], r["n_post"], r["n_both"]) == (13, 12, 10, 10)
    assert r["retention_rate"] == pytest.approx(10 / 12)
    # R: prop.test(10, 12, correct = FALSE)$conf.int -> 1 - (0.04696514218, 0.4480308623) mirrored for 2/12
    assert r["retention_ci_low"] == pytest.approx(1 - 0.4480308623, rel=1e-8)
    assert r["retention_ci_high"] == pytest.approx(1 - 0.04696514218, rel=1e-8)


def test_attendance_summary_by_hand(data):
    a = ek.attendance_summary(data, min_group_size=5).iloc[0]
    assert (a["n_participants"], a["n_sessions"], a["n_records"]) == (12, 2, 24)
    assert a["attendance_rate"] == pytest.approx(18 / 24)
    assert a["mean_sessions_attended"] == pytest.approx(18 / 12)
    assert a["share_regular"] == pytest.approx(6 / 12)  # attended both sessions (>= 75%)
    # larger minimum size: the whole row is suppressed
    s = ek.attendance_summary(data, min_group_size=20).iloc[0]
    assert s["suppressed"] and pd.isna(s["attendance_rate"]) and pd.isna(s["n_participants"])


def test_targets_verdicts_from_intervals(data):
    t = ek.progress_against_targets(data, min_group_size=5).set_index("statistic")
    # mean_post: R t.test(c(4,5,4,5,3,5,4,4,5,5))$conf.int = 3.899818232 4.900181768; contains 4
    row = t.loc["mean_post"]
    assert row["estimate"] == pytest.approx(4.4)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((3.899818232, 4.900181768), rel=1e-8)
    assert row["verdict"] == "inconclusive"
    # pct_improved: 7 of 10; R prop.test(7, 10, correct = FALSE)$conf.int = 0.3967781475 0.8922087326 (> 35%)
    row = t.loc["pct_improved"]
    assert row["estimate"] == pytest.approx(70)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((39.67781475, 89.22087326), rel=1e-8)
    assert row["verdict"] == "met"
    # attendance: 18 of 24; R prop.test(18, 24, correct = FALSE)$conf.int = 0.5510055599 0.8800063377 (< 90%)
    row = t.loc["rate"]
    assert (row["estimate"], row["ci_low"], row["ci_high"]) == pytest.approx((75, 55.10055599, 88.00063377), rel=1e-8)
    assert row["verdict"] == "not met"
    # pct_at_least 4: 9 of 10 post answers are 4 or 5; the Wilson interval 9/10 is about (0.596, 0.982): contains 95
    row = t.loc["pct_at_least"]
    assert row["estimate"] == pytest.approx(90) and row["verdict"] == "inconclusive"


def test_targets_on_too_few_people_are_not_judged(data):
    t = ek.progress_against_targets(data, min_group_size=11)
    assert (t.loc[t["statistic"] != "rate", "verdict"] == "suppressed").all()
    assert t.loc[t["statistic"] != "rate", "estimate"].isna().all()


def test_a_percentage_of_fewer_than_k_people_is_not_shown(data):
    # Issue 7, rule 3: with k = 8, "70% of 10 improved" would reveal the 7 who improved (fewer than 8);
    # 9 of 10 answering 4 or 5 counts 9 people and is shown.
    t = ek.progress_against_targets(data, min_group_size=8).set_index("statistic")
    assert t.loc["pct_improved", "verdict"] == "suppressed" and pd.isna(t.loc["pct_improved", "estimate"])
    assert pd.isna(t.loc["pct_improved", "ci_low"]) and pd.isna(t.loc["pct_improved", "ci_high"])
    assert t.loc["pct_at_least", "estimate"] == pytest.approx(90)


def test_describe_wave_top_two_box(data):
    d = ek.describe_wave(data, domain="satisfaction", min_group_size=5).iloc[0]
    assert d["n"] == 10 and d["mean"] == pytest.approx(4.4)
    assert d["top_two"] == pytest.approx(0.9)  # 9 of 10 answered 4 or 5
    assert d["median"] == pytest.approx(4.5)


def test_representation_shows_who_stayed(data):
    r = ek.representation(data, "first_generation", min_group_size=4).set_index("group")
    # yes: p1..p6 enrolled, all answered both; no: p7..p13 enrolled, p7..p10 answered both
    assert (r.loc["yes", "n_enrolled"], r.loc["yes", "n_both"]) == (6, 6)
    assert (r.loc["no", "n_enrolled"], r.loc["no", "n_both"]) == (7, 4)
    assert r.loc["yes", "share_enrolled"] == pytest.approx(6 / 13)
    assert r.loc["yes", "share_completers"] == pytest.approx(6 / 10)
    assert r.loc["no", "retention_rate"] == pytest.approx(4 / 7)
    small = ek.representation(data, "first_generation", min_group_size=5).set_index("group")
    # "no" has 4 completers (< 5): blanked; and 10 completers in all - 6 "yes" would give the 4 back,
    # so "yes" is blanked too (complementary suppression)
    assert pd.isna(small.loc["no", "n_both"]) and small["suppressed"].all() and small["n_enrolled"].isna().all()
    small = ek.representation(data, "first_generation", min_group_size=7).set_index("group")
    assert small.loc["yes", "suppressed"] and pd.isna(small.loc["yes", "n_enrolled"])
    assert small.loc["no", "suppressed"]  # 13 enrolled - 7 would give the 6
    with pytest.raises(InputError, match="group column"):
        ek.representation(data, "participant_id")


def test_suppression_blanks_small_counts_and_statistics():
    t = pd.DataFrame({"group": ["a", "b"], "n_pairs": [12, 3], "n_pre": [40, 4], "mean": [1.5, 2.0], "note": ["", "x"]})
    out = suppress_small_groups(t, "n_pairs", 10, ["mean"])
    assert out["suppressed"].tolist() == [False, True]
    assert out.loc[0, "mean"] == 1.5 and pd.isna(out.loc[1, "mean"])
    assert pd.isna(out.loc[1, "n_pre"]) and out.loc[0, "n_pre"] == 40 and pd.isna(out.loc[1, "n_pairs"])
    assert out.loc[1, "note"] == "suppressed: fewer than 10 participants; x"
    assert t.loc[1, "mean"] == 2.0  # the input is not modified
    with pytest.raises(InputError):
        suppress_small_groups(t, "n_pairs", 0, ["mean"])


def _row(**kw):
    base = dict(label="Skills", kind="ordinal", mean_change=0.6, ci_low=0.3, ci_high=0.9, pvalue=0.001,
                p_adjusted=0.003, effect_size=0.55, effect_size_name="Cohen's d_z", scale_min=1, scale_max=5,
                direction="improved", higher_is_better=True, suppressed=False, mean_pre=2.9, mean_post=3.5)
    base.update(kw)
    return pd.Series(base)


def test_plain_language_sentence_matches_the_design():
    assert describe_change(_row()) == ("Skills scores rose by 0.6 points on a 1-5 scale (95% CI 0.3 to 0.9), "
                                       "a moderate change unlikely to be due to chance.")
    s = describe_change(_row(mean_change=-0.4, ci_low=-0.9, ci_high=0.1, p_adjusted=0.2, effect_size=-0.15,
                             direction="declined"))
    assert s == ("Skills scores fell by 0.4 points on a 1-5 scale (95% CI \u22120.9 to 0.1), "
                 "a negligible change that could be due to chance.")
    # lower is better: a fall is an improvement
    s = describe_change(_row(label="Stress", mean_change=-0.5, ci_low=-0.7, ci_high=-0.3, higher_is_better=False,
                             effect_size=-0.9))
    assert "fell by 0.5" in s and "an improvement" in s and "large" in s
    assert describe_change(_row(suppressed=True)) == (
        "Skills: fewer than 10 participants answered both surveys, too few to report.")
    s = describe_change(_row(kind="binary", label="Volunteered", mean_pre=0.2, mean_post=0.35, mean_change=0.15,
                             ci_low=0.05, ci_high=0.25, effect_size=4.0, effect_size_name="odds ratio of change"))
    assert s == ('The share answering yes to "Volunteered" rose from 20% to 35% '
                 "(95% CI 5 to 25 percentage points), a moderate change unlikely to be due to chance.")


def test_effect_size_words():
    assert [effect_label(d, "Cohen's d_z") for d in (0.1, 0.2, 0.49, 0.5, 0.8, -1.2)] == [
        "negligible", "small", "small", "moderate", "large", "large"]
    assert [effect_label(r, "rank-biserial r") for r in (0.05, 0.1, 0.3, 0.5)] == [
        "negligible", "small", "moderate", "large"]
    assert effect_label(1 / 4.0, "odds ratio of change") == effect_label(4.0, "odds ratio of change") == "moderate"
    assert effect_label(np.nan, "Cohen's d_z") == "undetermined"


def test_text_from_data_cannot_inject_markup():
    hostile = '<script>alert("x")</script> **bold** [link](http://evil)'
    out = md_escape(hostile)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "**" not in out and "](" not in out
    s = describe_change(_row(label=hostile))
    assert "<script>" not in s


def test_numbers_that_round_to_zero_carry_no_minus_sign():
    """Reports had printed "\u22120.00 per wave" and "\u22120.00 (n 7)" for changes of about -0.001."""
    from evalkit.figures import _pct
    from evalkit.narrate import format_number, interval_words

    assert format_number(-0.004) == "0.00" and format_number(-0.006) == "\u22120.01"
    assert format_number(-0.04, 1) == "0.0" and format_number(0.004) == "0.00"
    assert _pct(-0.4, signed=True) == "0%" and _pct(-5, signed=True) == "\u22125%" and _pct(5, signed=True) == "+5%"
    from evalkit.waves import describe_time_trend
    trend = {"label": "Skills", "suppressed": False, "estimate": -0.0004, "p_adjusted": 0.5, "conf_level": 0.95,
             "time_unit": "wave", "n_waves": 3, "n_observations": 30, "n_participants": 10, "kind": "continuous",
             "scale_min": 1, "scale_max": 5, "ci_low": -0.3, "ci_high": 0.3, "higher_is_better": True}
    assert "barely changed (0.00 per wave on a 1-5 scale, 95% CI \u22120.3 to 0.3)" in describe_time_trend(trend)
    nobody = {"ci_low": np.nan, "ci_high": np.nan, "sd_change": 0.0, "mean_change": 0.0}
    assert interval_words(nobody, "", "") == "no participant changed, so no interval"   # not "95% CI nan to nan"


def test_the_methods_warn_when_no_minimum_group_size_is_set(tmp_path):
    """At min_group_size=1 the methods said "groups of fewer than 1 participants are suppressed, and no individual
    is shown", which is vacuous and, for a group of one, untrue."""
    pre, post = np.arange(12) % 4 + 1.0, np.arange(12) % 4 + 2.0
    folder = write_tables(tmp_path, long_responses("p", "skills", pre, post), [measure("skills", lo=1, hi=5)])
    data = ek.load_data(folder)
    strict = ek.report.PartnershipReport(data, "p", min_group_size=5).methods()
    none = ek.report.PartnershipReport(data, "p", min_group_size=1).methods()
    assert "fewer than 5 participants are not shown" in strict
    # trial 12 (F5): a share of one answer of a group of at least k may be a few people; the methods say so
    assert ("The answers of a group of at least 5 are described in full, so the share choosing one answer may "
            "stand for fewer people.") in strict
    assert "fewer than 1" not in none and "may describe a single participant" in none


def test_every_methods_paragraph_says_nothing_is_suppressed_when_no_minimum_is_set():
    """The change-over-time, comparison-group and voices methods still said "fewer than 1 participants are
    suppressed" at min_group_size=1 (nothing is suppressed then); at 5 they name the threshold."""
    from evalkit import arms, waves
    from evalkit.health_report import HealthSections

    sample = ek.load_data(Path(__file__).resolve().parents[1] / "data" / "sample")  # comments and themes recorded
    for k in (1, 5):
        texts = {"waves": waves.methods_text(min_group_size=k), "arms": arms.methods_text(min_group_size=k),
                 "voices": HealthSections(sample, "riverside-literacy", min_group_size=k).methods()}
        for name, text in texts.items():
            if k == 1:
                assert "fewer than 1" not in text and "No minimum group size was set" in text, name
            else:
                assert "fewer than 5" in text and "No minimum group size" not in text, name


def test_portfolio_fixed_effect_pool_by_hand():
    changes = pd.DataFrame({"partnership_id": ["a", "b", "c"], "name": "x", "measure": "skills", "label": "Skills",
                            "n_pairs": [50, 40, 30], "mean_change": [0.2, 0.4, 0.6], "se": [0.1, 0.2, 0.2],
                            "ci_low": 0.0, "ci_high": 0.0, "suppressed": False})
    pooled = ek.portfolio.pooled_changes(changes, method="FE").iloc[0]
    # inverse-variance weights 100, 25, 25: (20 + 10 + 15) / 150 = 0.3; SE = sqrt(1/150)
    assert pooled["estimate"] == pytest.approx(0.3)
    assert pooled["ci_low"] == pytest.approx(0.3 - 1.959963984540054 * np.sqrt(1 / 150))
    assert pooled["k"] == 3


def test_a_partnership_whose_participants_all_changed_alike_is_shown_but_not_pooled(tmp_path):
    """Partnership "a": all 12 participants gain exactly 2 points, so its standard error is 0 and it has no
    inverse-variance weight. The others are pooled by hand (fixed effect): weights 100 and 25 give
    (0.2 * 100 + 0.6 * 25) / 125 = 0.28. Its row shows no interval, as its report does, and the words say why."""
    from evalkit.report_portfolio import PortfolioReport

    changes = pd.DataFrame({"partnership_id": ["a", "b", "c"], "name": "x", "measure": "skills", "label": "Skills",
                            "n_pairs": [12, 50, 30], "mean_change": [2.0, 0.2, 0.6], "se": [0.0, 0.1, 0.2],
                            "ci_low": 0.0, "ci_high": 0.0, "suppressed": False})
    pooled = ek.portfolio.pooled_changes(changes, method="FE").iloc[0]
    assert (pooled["k"], pooled["k_left_out"]) == (2, 1)
    assert pooled["estimate"] == pytest.approx(0.28)
    alone = ek.portfolio.pooled_changes(changes.iloc[:2], method="FE").iloc[0]
    assert (alone["k"], alone["k_left_out"]) == (1, 1) and "1 more left out: every participant" in alone["note"]

    n = 12   # the same through the data and the portfolio's words
    frames = [long_responses("a", "skills", np.arange(n) % 3 + 1.0, np.arange(n) % 3 + 3.0, prefix="a"),
              long_responses("b", "skills", np.arange(n) % 5 + 1.0, (np.arange(n) * 7) % 4 + 2.0, prefix="b"),
              long_responses("c", "skills", np.arange(n) % 3 + 2.0, (np.arange(n) * 5) % 4 + 2.0, prefix="c")]
    m = measure("skills", lo=1, hi=5) | {"shared": True}
    folder = write_tables(tmp_path, pd.concat(frames), [m])
    report = PortfolioReport(ek.load_data(folder))
    row = report.changes.set_index("partnership_id").loc["a"]
    assert row["mean_change"] == 2 and np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert "1 more partnership was left out: every participant changed by the same amount" in report.shared_summary()
    assert "across 2 partnerships" in report.shared_summary()


def test_scales_are_scored_from_items_with_reverse_coding(tmp_path):
    # items a, b and c (c reverse-worded) on 1-5; p1..p12 answer all three at pre and post
    rng = np.random.default_rng(3)
    a_pre = rng.integers(1, 5, 12)
    a_post = np.minimum(a_pre + 1, 5)
    frames = [long_responses("s", "team_a", a_pre, a_post), long_responses("s", "team_b", a_pre, a_post),
              long_responses("s", "team_c", 6 - a_pre, 6 - a_post)]
    items = [dict(measure("team_a", "ordinal", 1, 5), scale="teamwork", reverse_coded=False),
             dict(measure("team_b", "ordinal", 1, 5), scale="teamwork", reverse_coded=False),
             dict(measure("team_c", "ordinal", 1, 5), scale="teamwork", reverse_coded=True)]
    data = ek.load_data(write_tables(tmp_path, pd.concat(frames), items))
    scored = ek.scales.with_scale_scores(data)
    assert list(scored.measures["measure"]) == ["teamwork"]
    row = scored.measures.iloc[0]
    assert row["kind"] == "continuous" and "3 items" in row["label"]
    pre = scored.responses[scored.responses["wave"] == "pre"].set_index("participant_id")["value"]
    # reversing c (6 - (6 - a)) makes all three items equal a, so the scale score is a itself
    np.testing.assert_allclose(pre.loc[[f"p{i}" for i in range(1, 13)]], a_pre)
    assert len(data.measures) == 3  # the input dataset is unchanged
    rel = ek.scales.scale_reliability(data).iloc[0]
    # three identical items after reverse coding: alpha = k/(k-1) * (1 - k var / (k^2 var)) = 1 exactly
    assert rel["n_items"] == 3 and rel["n"] == 12 and rel["alpha"] == pytest.approx(1.0)


def test_a_target_everyone_reached_is_judged_and_the_portfolio_renders(tmp_path):
    """Retention of 12 of 12 (100%): the Wilson interval is (0.757, 1], so a 70% target is met. statsmodels'
    bound came out as 1 - 1e-16, the estimate fell outside its interval and the targets (and the portfolio) failed."""
    from evalkit.targets import progress_against_targets

    responses = long_responses("p1", "skills", list(range(12)), [v + 1 for v in range(12)])
    targets = pd.DataFrame({"partnership_id": ["p1"], "indicator": ["retention_rate"], "statistic": ["rate"],
                            "target": [70]})
    data = ek.load_data(write_tables(tmp_path, responses, [measure("skills")], targets=targets))
    t = progress_against_targets(data, min_group_size=10)
    assert t["estimate"].tolist() == [100.0] and t["ci_high"].tolist() == [100.0]
    # by hand: at x = n the Wilson lower bound is n / (n + z^2) = 12 / (12 + 1.959964^2) = 0.75747
    assert t["ci_low"].iloc[0] == pytest.approx(75.75, abs=0.01)
    assert t["verdict"].tolist() == ["met"]
    assert ek.report.PortfolioReport(data).overview["targets_met"].tolist() == [1]


def test_a_negative_mean_reads_with_a_true_minus_sign(tmp_path):
    """Satisfaction means were formatted with a raw f-string: "mean -1.5" with an ASCII hyphen, where every other
    number of the report carries a true minus sign (U+2212). A -2 to 2 scale, 12 answers averaging -1.5."""
    pre, post = np.arange(12) % 4 + 1.0, np.arange(12) % 4 + 2.0
    responses = long_responses("p", "skills", pre, post)
    sat = long_responses("p", "liked", pre, np.array([-1.0, -2.0] * 6))
    sat = sat[sat["wave"] == "post"]
    folder = write_tables(tmp_path, pd.concat([responses, sat]),
                          [measure("skills", lo=1, hi=5), measure("liked", kind="ordinal", lo=-2, hi=2, domain="satisfaction")])
    text = ek.report.PartnershipReport(ek.load_data(folder), "p", min_group_size=5).satisfaction()
    assert "mean \u22121.5" in text and "-1.5" not in text


def test_dates_read_without_a_leading_zero(tmp_path):
    """The report's title said "09 June 2025 to 22 September 2025"; dates read "9 June 2025" (and "9 Jun 2025"
    in tables and on the action-plan timeline)."""
    from evalkit.narrate import format_date

    assert format_date("2025-06-09") == "9 June 2025" and format_date(pd.Timestamp("2025-09-22")) == "22 September 2025"
    assert format_date("2025-06-09", short=True) == "9 Jun 2025" and format_date(None) == "\u2013"
    pre, post = np.arange(12) % 4 + 1.0, np.arange(12) % 4 + 2.0
    partnerships = pd.DataFrame({"partnership_id": ["p"], "name": ["P"], "partner_type": "nonprofit",
                                 "lead_institution": "U", "start_date": "2025-06-09", "end_date": "2025-09-22"})
    folder = write_tables(tmp_path, long_responses("p", "skills", pre, post), [measure("skills", lo=1, hi=5)],
                          partnerships=partnerships)
    assert "9 June 2025 to 22 September 2025" in ek.report.PartnershipReport(ek.load_data(folder), "p").title()
