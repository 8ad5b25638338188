"""An analyst's wrong arguments in a notebook get a clear evalkit error, never a raw traceback or a wrong answer.

Found by the eighth user trial (/work/notes/trial8.md), each with what it did before.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.errors import InputError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
PID = "riverside-literacy"


@pytest.fixture(scope="module")
def data(sample_data):
    return sample_data


@pytest.mark.parametrize("alpha", [5, 0, 1, -0.05, "0.05", None])
def test_an_alpha_outside_zero_to_one_is_refused(data, alpha):
    """compare_prepost(alpha=5) returned every row 'significant' beside the verdict 'no clear change', and a
    report at alpha=5 printed its sentences and power figures at that level, silently."""
    with pytest.raises(InputError, match=r"alpha must be a number strictly between 0 and 1"):
        ek.compare_prepost(data, PID, alpha=alpha)
    with pytest.raises(InputError, match=r"alpha must be a number strictly between 0 and 1"):
        ek.compare_by_group(data, PID, alpha=alpha)
    with pytest.raises(InputError, match=r"alpha must be a number strictly between 0 and 1"):
        ek.PartnershipReport(data, PID, alpha=alpha)
    with pytest.raises(InputError, match=r"alpha must be a number strictly between 0 and 1"):
        ek.PortfolioReport(data, alpha=alpha)


@pytest.mark.parametrize("k", [0, -3, 2.5, "ten", None])
def test_a_report_refuses_a_minimum_group_size_below_one_or_not_whole(data, k):
    """PartnershipReport(min_group_size=0) was accepted (the repr said min_group_size=0) and failed only at a
    section; compare_prepost(min_group_size="ten") raised a TypeError from a comparison inside pandas."""
    with pytest.raises(InputError, match="min_group_size must be a whole number of at least 1"):
        ek.PartnershipReport(data, PID, min_group_size=k)
    with pytest.raises(InputError, match="min_group_size must be a whole number of at least 1"):
        ek.PortfolioReport(data, min_group_size=k)
    with pytest.raises(InputError, match="min_group_size must be a whole number of at least 1"):
        ek.compare_prepost(data, PID, by="gender", min_group_size=k)


def test_a_path_instead_of_loaded_data_says_to_load_it():
    """ek.compare_prepost("data/sample", pid) raised AttributeError: 'str' object has no attribute 'measures'."""
    for call in (lambda: ek.compare_prepost(str(SAMPLE), PID), lambda: ek.matched_pairs(SAMPLE, PID),
                 lambda: ek.compare_by_group(str(SAMPLE), PID), lambda: ek.PartnershipReport(str(SAMPLE), PID),
                 lambda: ek.PortfolioReport(str(SAMPLE))):
        with pytest.raises(InputError, match=r"ek\.load_data"):
            call()


def test_a_partnership_id_that_is_not_text_is_named(data):
    """compare_prepost(data, 3) raised TypeError: 'int' object is not iterable."""
    with pytest.raises(InputError, match=r"unknown partnership_id \[3\]"):
        ek.compare_prepost(data, 3)
    with pytest.raises(InputError, match=r"unknown partnership_id \[3\]"):
        ek.matched_pairs(data, 3)


def test_several_by_columns_point_to_compare_by_group(data):
    """compare_prepost(by=["gender", "age_group"]) raised TypeError: unhashable type: 'list'."""
    with pytest.raises(InputError, match=r"one group column.*compare_by_group"):
        ek.compare_prepost(data, PID, by=["gender", "age_group"])


def test_compare_by_group_takes_one_column_name(data):
    """compare_by_group(columns="gender") said "unknown group column 'g'": the name was read letter by letter.
    One name is one column, the same table as compare_prepost(by=)."""
    one = ek.compare_by_group(data, PID, columns="gender")
    assert list(one) == ["gender"]
    pd.testing.assert_frame_equal(one["gender"], ek.compare_prepost(data, PID, by="gender"))


def test_response_shares_name_a_wrong_measure_partnership_or_wave(data):
    """plot_response_shares(data, pid, "satisfactoin") raised KeyError; a mistyped partnership or wave drew
    "Too few responses to show ..." as if nobody had answered."""
    with pytest.raises(InputError, match=r"unknown measure \['satisfactoin'\]"):
        ek.plots.plot_response_shares(data, PID, "satisfactoin")
    with pytest.raises(InputError, match=r"unknown partnership_id \['riverside'\]"):
        ek.plots.plot_response_shares(data, "riverside", "satisfaction")
    with pytest.raises(InputError, match=r"wave 'Post'"):
        ek.plots.plot_response_shares(data, PID, "satisfaction", wave="Post")


def test_plot_change_says_which_columns_a_table_lacks(data):
    """plot_change(a table without compare_prepost's columns) raised KeyError: 'suppressed'."""
    with pytest.raises(InputError, match=r"plot_change.*compare_prepost.*missing.*'suppressed'"):
        ek.plots.plot_change(pd.DataFrame({"measure": ["a"], "mean_change": [1.0]}))
    with pytest.raises(InputError, match=r"plot_change.*compare_prepost"):
        ek.plots.plot_change("riverside-literacy")


@pytest.mark.parametrize("call", [ek.themes, ek.quotes, ek.success_stories])
def test_voices_name_an_unknown_partnership(data, call):
    """themes, quotes and success_stories with a mistyped partnership id returned an empty table, as if the
    partnership had no comments or stories."""
    with pytest.raises(InputError, match=r"unknown partnership_id \['riverside'\]"):
        call(data, "riverside")
    assert len(call(data, PID)) > 0  # the right id still finds them


def test_describe_wave_names_an_unknown_measure_or_a_wave_in_the_wrong_case(data):
    """describe_wave(measures=["knowlege"]) and describe_wave(wave="Pre") returned an empty table, silently, as if
    nobody had answered; a scale's name describes its score, as in compare_prepost and matched_pairs."""
    with pytest.raises(InputError, match=r"unknown measure \['knowlege'\]"):
        ek.describe_wave(data, PID, measures=["knowlege"])
    with pytest.raises(InputError, match="did you mean 'pre'"):
        ek.describe_wave(data, PID, wave="Pre")
    with pytest.raises(InputError, match="did you mean 'pre'"):
        ek.describe_wave(data, PID, pairs_with="Pre")
    # the teamwork score at pre, by hand: each participant's mean of the answered items (teamwork_3 is
    # reverse-coded on 1-5: 6 - value), then the mean over participants
    team = ek.describe_wave(data, PID, measures=["teamwork"], wave="pre")
    r = data.responses
    r = r[(r["partnership_id"] == PID) & (r["wave"] == "pre") & r["measure"].str.startswith("teamwork_")].copy()
    reverse = set(data.measures.loc[data.measures["reverse_coded"].fillna(False).astype(bool), "measure"])
    assert reverse == {"teamwork_3"}
    r["v"] = [6 - v if m in reverse else v for m, v in zip(r["measure"], r["value"])]
    assert team["mean"].iloc[0] == pytest.approx(r.groupby("participant_id")["v"].mean().mean())


def test_save_tables_refuses_a_name_that_is_not_a_workbook(data, tmp_path):
    """report.save_tables("tables.csv") wrote an Excel workbook named tables.csv (a CSV reader shows garbage)."""
    report = ek.PartnershipReport(data, PID)
    with pytest.raises(InputError, match=r"\.xlsx"):
        report.save_tables(tmp_path / "tables.csv")
    assert not (tmp_path / "tables.csv").exists()
    assert report.save_tables(tmp_path / "tables.xlsx").exists()


def test_save_tables_refuses_a_bad_path_before_computing_the_tables(data, tmp_path, monkeypatch):
    """A wrong name or a missing folder is refused at once: the report's tables (every section, about a
    second) were computed first, then thrown away."""
    report = ek.PartnershipReport(data, PID)
    monkeypatch.setattr(report, "tables", lambda: pytest.fail("tables computed for a path that is refused"))
    with pytest.raises(InputError, match=r"\.xlsx"):
        report.save_tables(tmp_path / "tables.csv")
    with pytest.raises(InputError, match="does not exist"):
        report.save_tables(tmp_path / "no such folder" / "tables.xlsx")


def test_a_report_without_baseline_answers_describes_its_follow_up(tmp_path):
    """A partnership with post and follow-up answers but none at pre (the README: "a partnership with post answers
    but no baseline ... gets a report that says so") failed to render: longterm() compared the missing 'pre' wave
    with the follow-up (InputError: wave 'pre' does not occur in the responses)."""
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    r = pd.read_csv(folder / "responses.csv")
    r = r[~((r["partnership_id"] == "civic-coders") & (r["wave"] == "pre"))]
    r.to_csv(folder / "responses.csv", index=False)
    report = ek.PartnershipReport(ek.load_data(folder), "civic-coders")
    assert report.stage == "no baseline"
    text = report.longterm()
    assert "No pre survey was recorded" in text and "cannot be measured" in text
    # what was asked at follow-up is described on its own: the count of answers, by hand
    follow = r[(r["partnership_id"] == "civic-coders") & (r["wave"] == "followup")]
    for measure, answers in follow.groupby("measure"):
        label = report.data.measures.set_index("measure").at[measure, "label"]
        assert f"{label}" in text.replace("\\", "") and f"n = {answers['value'].notna().sum()}" in text


def test_a_baseline_report_does_not_call_its_retention_target_too_small(tmp_path):
    """Before the post survey (stage "baseline only"), the retention target said "too few participants to judge"
    beside n = 120, and page one "1 with too few participants": nobody can have answered both surveys yet, so it
    has no data yet, as the targets on post answers do. A target with no data shows no count ("–"), not
    "fewer than 10", which says some people were counted."""
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    r = pd.read_csv(folder / "responses.csv")
    r = r[~((r["partnership_id"] == "eastside-stem") & (r["wave"] != "pre"))]
    r.to_csv(folder / "responses.csv", index=False)
    data = ek.load_data(folder)
    t = ek.progress_against_targets(data, "eastside-stem").set_index("indicator")
    assert t.at["retention_rate", "verdict"] == "no data"
    report = ek.PartnershipReport(data, "eastside-stem")
    assert report.stage == "baseline only"
    table = report.targets_table()
    no_data = table[table["Verdict"] == "no data yet"]
    assert len(no_data) == 4 and set(no_data["n"]) == {"–"}
    assert "too few participants" not in report.summary()


def test_social_media_handles_are_scrubbed_from_free_text():
    """A quote "follow me @maria_g" kept the handle: a contact detail, like the e-mails, phones and links removed."""
    assert ek.redact("follow me @maria_g for updates") == "follow me [handle] for updates"
    out = ek.redact("find me on insta @Maria.G99, or DM @jo_99!")
    assert "maria" not in out.lower() and "jo_99" not in out and out.endswith(", or DM [handle]!")
    assert ek.redact("write to maria@example.org") == "write to [email]"   # an e-mail stays an e-mail
    assert ek.redact("meet @ 5pm, 2 @ the desk") == "meet @ 5pm, 2 @ the desk"   # no handle: kept


def test_attendance_and_forest_plots_name_the_table_they_draw(data):
    """plot_attendance(a comparison table) raised KeyError: ['rate']; plot_forest(PortfolioReport.effects, row) raised
    KeyError: 'mean_change' (it draws PortfolioReport.changes, the same rows named as in compare_prepost)."""
    with pytest.raises(InputError, match=r"plot_attendance.*session_attendance.*'rate'"):
        ek.plots.plot_attendance(ek.compare_prepost(data, PID))
    portfolio = ek.PortfolioReport(data)
    row = portfolio.pooled.iloc[0]
    with pytest.raises(InputError, match=r"plot_forest.*shared_indicator_changes.*'mean_change'"):
        ek.plots.plot_forest(portfolio.effects, row)
    assert ek.plots.plot_forest(portfolio.changes, row) is not None


def test_a_baseline_report_names_its_measures_without_markdown_escapes(tmp_path):
    """The baseline report's table of the one wave read "How often I practise what I learned \\(1 never - 5
    always\\)": its labels were escaped for Markdown, but a table is HTML (pandas escapes it), as the outcomes
    table's labels are."""
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    r = pd.read_csv(folder / "responses.csv")
    r = r[~((r["partnership_id"] == "eastside-stem") & (r["wave"] != "pre"))]
    r.to_csv(folder / "responses.csv", index=False)
    m = pd.read_csv(folder / "measures.csv")
    m.loc[m["measure"] == "knowledge", "label"] = "Knowledge & skills <test> (0-20)"
    m.to_csv(folder / "measures.csv", index=False)
    table = ek.PartnershipReport(ek.load_data(folder), "eastside-stem").outcomes_table()
    assert "How often I practise what I learned (1 never - 5 always)" in table.index
    assert "Knowledge & skills <test> (0-20)" in table.index
    html = table.to_html()
    assert "Knowledge &amp; skills &lt;test&gt; (0-20)" in html and "\\(" not in html


@pytest.mark.parametrize("share", [75, 0, -0.5, "0.75"])
def test_attendance_summary_takes_full_attendance_as_a_share(data, share):
    """attendance_summary(full_attendance=75) (meaning 75%) returned share_regular NaN, as if too few attended
    regularly; a share of sessions is between 0 and 1 (0.75 for three in four)."""
    with pytest.raises(InputError, match=r"full_attendance must be a share of sessions.*0\.75"):
        ek.attendance_summary(data, PID, full_attendance=share)


def test_attendance_summary_share_regular_by_hand(data):
    """The share attending at least three in four of their sessions, counted by hand from the attendance log."""
    a = data.attendance[data.attendance["partnership_id"] == PID]
    rate = a.groupby("participant_id")["attended"].mean()
    row = ek.attendance_summary(data, PID, full_attendance=1).iloc[0]
    assert row["share_regular"] == pytest.approx((rate >= 1).sum() / data.participants["partnership_id"].eq(PID).sum())


def test_one_partnership_functions_say_they_take_one_id(data):
    """ek.load_data(folder, ["riverside-literacy"]) said "unknown partnership_id ['riverside-literacy']; known
    partnerships: riverside-literacy, ...", naming as unknown an id it then listed; so did PartnershipReport."""
    for call in (lambda: ek.load_data(SAMPLE, [PID]), lambda: ek.PartnershipReport(data, [PID]),
                 lambda: data.for_partnership([PID])):
        with pytest.raises(InputError, match=r"partnership_id must be one partnership id \(a string\), got \['"):
            call()
    assert ek.load_data(SAMPLE, PID).partnership_ids == [PID]


def _intervals_and_words(text: str):
    """(low, high, says unlikely) of each "95% CI a to b ...; <verdict>" in ``text``."""
    import re

    pat = re.compile(r"95% CI (−?[\d.]+) to (−?[\d.]+)[^;)]*[;)][^.]*?(unlikely to be due to chance|could be due to "
                     r"chance)")
    return [(float(m.group(1).replace("\u2212", "-")), float(m.group(2).replace("\u2212", "-")),
             m.group(3).startswith("unlikely")) for m in pat.finditer(text)]


@pytest.mark.sample_wide
def test_check_in_words_agree_with_their_interval_at_another_alpha(data):
    """With --alpha 0.1 the partners' check-ins read "change 0.37, 95% CI −0.04 to 0.78; unlikely to be due to
    chance" (eastside-stem): the words followed p < alpha only, the interval beside them is at 95%. As the
    outcomes' verdicts, "unlikely" now needs both the test and the interval shown to rule chance out."""
    seen = []
    for pid in data.partnership_ids:
        text = ek.HealthSections(data, pid, alpha=0.1).partners()
        seen += _intervals_and_words(text)
    assert len(seen) > 20
    for lo, hi, unlikely in seen:
        assert unlikely == (not lo <= 0 <= hi), (lo, hi, unlikely)
    # eastside-stem's communication item, p between 0.05 and 0.1 (Welch t by hand from the check-in answers below)
    from scipy import stats

    s = data.partner_survey[(data.partner_survey["partnership_id"] == "eastside-stem")]
    item = s[s["label"].str.startswith("Communication")]
    periods = sorted(item["period"].unique())
    first, last = (item.loc[item["period"] == w, "value"].dropna() for w in (periods[0], periods[-1]))
    p = stats.ttest_ind(last, first, equal_var=False).pvalue
    assert 0.05 < p < 0.1
    text = ek.HealthSections(data, "eastside-stem", alpha=0.1).partners()
    line = next(x for x in text.splitlines() if "ommunication" in x and "rose" in x)
    assert "could be due to chance" in line


@pytest.fixture(scope="module")
def forty(tmp_path_factory):
    """20 generated partnerships (seed 11): enough attendance-change correlations near the line."""
    folder = tmp_path_factory.mktemp("forty")
    ek.write_sample(folder, partnerships=20, participants=120, seed=11)
    return ek.load_data(folder)


@pytest.mark.sample_wide
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_attendance_sentence_agrees_with_its_interval(forty, alpha):
    """"those who attended more improved more (Spearman's rho = 0.24, 95% CI −0.03 to 0.49, p = 0.080)" at
    --alpha 0.1, and at 0.05 "rho = 0.19, 95% CI 0.00 to 0.37, p = 0.048": an association is now claimed only when
    the test is below alpha and the interval shown excludes 0 (a bound that rounds to 0.00 gets a third decimal)."""
    import re

    said = 0
    for pid in forty.partnership_ids:
        s = ek.PartnershipReport(forty, pid, alpha=alpha)._dose_sentence()
        m = re.search(r"95% CI (−?[\d.]+) to (−?[\d.]+), p (?:= )?([<\d.]+)", s or "")
        if not m:
            continue
        lo, hi = (float(x.replace("\u2212", "-")) for x in m.groups()[:2])
        claimed = "no clear association" not in s
        assert claimed == (not lo <= 0 <= hi), s
        assert not claimed or "0.00 " not in m.group(0), s
        said += 1
    assert said >= 15


@pytest.mark.sample_wide
def test_pooled_sentences_agree_with_their_interval_at_another_alpha(forty):
    """The portfolio's pooled sentences said "unlikely to be due to chance" from p < alpha alone, beside a 95%
    interval: at alpha 0.1 a pooled change with p between 0.05 and 0.1 would be called credible with 0 inside it."""
    portfolio = ek.PortfolioReport(forty, alpha=0.1)
    found = _intervals_and_words(portfolio.shared_summary())
    assert found
    for lo, hi, unlikely in found:
        assert unlikely == (not lo <= 0 <= hi), (lo, hi, unlikely)
    # a pooled change of 0.10 (SE 0.06: z = 1.67, two-sided p = 0.096 by hand, 95% CI -0.018 to 0.218)
    from scipy import stats

    row = portfolio.pooled.iloc[[0]].copy()
    row["estimate"], row["se"] = 0.10, 0.06
    row["pvalue"] = 2 * stats.norm.sf(0.10 / 0.06)
    row["ci_low"], row["ci_high"] = 0.10 - 1.959964 * 0.06, 0.10 + 1.959964 * 0.06
    assert 0.05 < row["pvalue"].iloc[0] < 0.1
    portfolio.pooled = row
    (lo, hi, unlikely), = _intervals_and_words(portfolio.shared_summary())
    assert lo < 0 < hi and not unlikely


def test_outcome_effect_and_trend_sentences_agree_with_their_interval_at_another_alpha(data):
    """At alpha 0.1, an adjusted p of 0.07 made describe_change, describe_program_effect and describe_time_trend
    say "unlikely to be due to chance" beside a 95% interval holding the null (0; an odds ratio's 1): hand-made
    rows, the rest of each taken from the sample's own tables."""
    from evalkit.arms import describe_program_effect
    from evalkit.narrate import describe_change
    from evalkit.waves import describe_time_trend

    row = ek.compare_prepost(data, PID).set_index("measure").loc["knowledge"].copy()
    row["measure"] = "knowledge"
    row["ci_low"], row["ci_high"], row["p_adjusted"], row["pvalue"] = -0.05, 0.60, 0.07, 0.035
    assert "could be due to chance" in describe_change(row, alpha=0.1)
    row["ci_low"] = 0.05
    assert "unlikely to be due to chance" in describe_change(row, alpha=0.1)

    effect = pd.Series({"label": "Skills (1-5)", "group": "program", "reference": "comparison", "suppressed": False,
                        "estimate": 0.2, "ci_low": -0.01, "ci_high": 0.41, "pvalue": 0.06, "p_adjusted": 0.07,
                        "kind": "continuous", "scale_min": 1.0, "scale_max": 5.0, "effect_size": float("nan"),
                        "effect_size_name": "Hedges' g", "direction": "better"})
    assert "could be due to chance" in describe_program_effect(effect, alpha=0.1)

    trend = {"label": "Skills (1-5)", "suppressed": False, "estimate": 0.1, "p_adjusted": 0.07, "pvalue": 0.07,
             "conf_level": 0.95, "time_unit": "wave", "n_waves": 3, "n_observations": 600, "n_participants": 250,
             "kind": "continuous", "scale_min": 1.0, "scale_max": 5.0, "ci_low": -0.01, "ci_high": 0.21,
             "higher_is_better": True}
    assert "could be due to chance" in describe_time_trend(trend, alpha=0.1)
    odds = {**trend, "kind": "binary", "estimate": 1.4, "ci_low": 0.95, "ci_high": 2.06}
    assert "could be due to chance" in describe_time_trend(odds, alpha=0.1)
    assert "unlikely to be due to chance" in describe_time_trend({**odds, "ci_low": 1.05}, alpha=0.1)


def test_milestones_and_quotes_name_a_wrong_date_or_count(data):
    """milestone_status(as_of="yesterday") raised pandas' DateParseError; quotes(per_theme=-1) returned no quotes."""
    with pytest.raises(InputError, match=r"as_of must be a date.*'yesterday'"):
        ek.milestone_status(data, PID, as_of="yesterday")
    s = ek.milestone_status(data, PID, as_of="2025-08-01")   # the reading night (due 21 Jul 2025) not done
    assert s.set_index("milestone").loc["Family reading night at the public library", "days_late"] == 11
    with pytest.raises(InputError, match=r"per_theme must be a whole number of at least 0"):
        ek.quotes(data, PID, per_theme=-1)


@pytest.mark.sample_wide
def test_no_vacuous_fewer_than_one_at_minimum_group_size_one(data):
    """With --min-group-size 1 (allowed: nothing is suppressed) two sentences read "when fewer than 1 answered just
    one" and "Roles with fewer than 1 respondents are not shown"; the methods already say no minimum was set."""
    report = ek.PartnershipReport(data, "cafe-societe", min_group_size=1)
    section = report.change_over_time()
    assert section.applicable and "A wave's mean counts everyone who answered it" in section.intro
    assert "fewer than 1" not in section.intro
    assert "fewer than 1" not in ek.HealthSections(data, "harbor-health", min_group_size=1).partners()
    assert "fewer than 1 " not in ek.PortfolioReport(data, min_group_size=1).methods()
