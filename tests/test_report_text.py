"""What a reader sees in the report text: no message said twice, no sentence starting in lowercase, no dash
standing for a withheld share, no "with a partner" for an unnamed partner type, no two parentheses in a row.

Each test reads the Markdown or table a report method returns, on the sample data (``cafe-societe`` is the
sample's too-small partnership without the partnership-health tables) or on small changes of it.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.health_report import HealthSections, PortfolioHealth
from evalkit.report import PartnershipReport, PortfolioReport

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HEALTH_TABLES = ("themes_table", "indicators_table", "milestones_table", "partners_table", "representation_table")


def _plain(markdown: str) -> str:
    """Markdown as a reader sees it: the backslash escapes of data text (``\\(``) removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture(scope="module")
def data(sample_data):
    return sample_data


@pytest.fixture(scope="module")
def cafe(data):
    return PartnershipReport(data, "cafe-societe")


# ---- 1. a section without data says so once, with no table under the sentence --------------------------
def test_health_sections_without_data_say_so_once_and_have_no_table(data):
    h = HealthSections(data, "cafe-societe")
    # the text methods say it; the tables have nothing to show, so nothing is displayed under the sentence
    assert "Participants' comments were not recorded for this partnership." == h.voices()
    assert "Partnership indicators were not recorded for this partnership." == h.indicators()
    for name in HEALTH_TABLES:
        assert getattr(h, name)() is None, name


def test_outcomes_table_does_not_repeat_the_stage_note(data):
    """A partnership whose participants have not answered yet: the note is the intro, with no table under it."""
    responses = data.responses[data.responses["partnership_id"] != "cafe-societe"]
    report = PartnershipReport(dataclasses.replace(data, responses=responses), "cafe-societe")
    assert report.outcomes_intro() == "**No survey answers are recorded yet** for this partnership's participants."
    assert report.outcomes_table() is None
    assert "Outcomes" not in report.tables()   # the Excel workbook has no sheet holding the note either


def test_no_targets_is_said_in_words_not_as_a_one_cell_table(data):
    targets = data.targets[data.targets["partnership_id"] != "cafe-societe"]
    report = PartnershipReport(dataclasses.replace(data, targets=targets), "cafe-societe")
    assert report.targets_table()._repr_markdown_() == "No targets were recorded for this partnership."
    assert "Targets" not in report.tables()


def test_results_by_group_without_characteristics_show_no_empty_table(data):
    people = data.participants[["participant_id", "partnership_id"]]
    report = PartnershipReport(dataclasses.replace(data, participants=people), "riverside-literacy")
    parts = report.results_by_group()
    assert [type(p).__name__ for p in parts] == ["Markdown"]
    assert parts[0]._repr_markdown_() == ("No characteristics of the participants (such as age group or gender) "
                                          "were recorded, so results cannot be shown by group.")


def test_portfolio_without_shared_indicators_has_no_empty_table(data):
    measures = data.measures.assign(shared=False)
    port = PortfolioReport(dataclasses.replace(data, measures=measures))
    assert port.shared_summary().startswith("No shared indicators are declared")
    assert port.shared_table() is None
    assert port.forest_figures() == []


def test_portfolio_health_tables_say_not_recorded_in_words_not_as_a_one_cell_table(data):
    empty = {name: getattr(data, name).iloc[0:0] for name in
             ("comments", "indicators", "milestones", "partner_survey", "community")}
    port = PortfolioHealth(dataclasses.replace(data, **empty))
    said = {name: getattr(port, name)() for name in ("shared_indicators_table", "milestones_table",
                                                     "partner_survey_table", "representation_table", "themes_table")}
    # each subsection says it once, as a sentence of text (Markdown), not as a table with an empty header row
    assert {name: shown._repr_markdown_() for name, shown in said.items()} == {
        "shared_indicators_table": "No partnership indicator is recorded by two or more partnerships.",
        "milestones_table": "No partnership recorded an action plan.",
        "partner_survey_table": "No partnership recorded a partners' check-in survey.",
        "representation_table": "No partnership recorded the make-up of its community.",
        "themes_table": "No partnership recorded participants' comments."}


# ---- 2. a withheld count starts a sentence with a capital; a withheld share is not a dash ---------------
def test_summary_capitalises_a_withheld_count_and_says_nothing_of_a_withheld_share(cafe):
    text = cafe.summary()
    # cafe-societe: 20 enrolled, fewer than 10 answered both surveys, so the share of them is withheld
    assert "expected at. Fewer than 10 answered both the pre and the post survey." in text
    assert ". fewer than" not in text and "(\u2013" not in text


def test_participation_shows_no_dash_for_withheld_shares(cafe):
    text = cafe.participation()
    assert "both: fewer than 10 (retention not shown)." in text
    assert "\u2013 attended" not in text and "(retention \u2013)" not in text
    assert "; the share attending at least three in four sessions is not shown: too few people to report." in text


def test_a_group_name_starting_a_sentence_keeps_its_capitals():
    """str.capitalize lowercased the rest: "The cbt group could not be compared"."""
    from evalkit.arms import describe_program_effect

    row = pd.Series({"label": "Body weight (lb)", "group": "CBT", "reference": "Cont", "suppressed": False,
                     "estimate": float("nan"), "note": "no answers at post"})
    assert describe_program_effect(row).startswith("The CBT group could not be compared with the Cont group")


def test_a_role_name_starting_a_heading_keeps_its_capitals(data):
    roles = {"institution": "NGO staff", "partner": "school staff"}
    survey = data.partner_survey.replace({"respondent_role": roles})
    text = HealthSections(dataclasses.replace(data, partner_survey=survey), "riverside-literacy").partners()
    assert "**NGO staff vs school staff at the latest check-in**" in text   # not "Ngo staff"


def test_change_over_time_names_waves_as_the_report_does_and_shows_no_dash_for_a_withheld_share(data):
    shown = PartnershipReport(data, "riverside-literacy").change_over_time()
    assert "; follow-up +0.23 (95% CI" in _plain(shown.trend) and "followup" not in shown.trend
    withheld = PartnershipReport(data, "riverside-literacy", min_group_size=170).change_over_time()
    # 160 answered the follow-up: under k = 170, so neither the count nor its share is shown
    assert "follow-up fewer than 170 (share not shown)." in withheld.intro and "(\u2013)" not in withheld.intro
    assert "; follow-up: too few pairs (fewer than 170)." in _plain(withheld.trend)


# ---- 3. a partner type the report cannot name ------------------------------------------------------------
@pytest.mark.parametrize("partner_type", ["other", "charity"])   # 'charity': a value outside the known list
def test_unnamed_partner_type_reads_naturally(data, partner_type):
    p = data.partnerships.copy()
    row = p["partnership_id"] == "cafe-societe"
    p.loc[row, "partner_type"], p.loc[row, "name"] = partner_type, "north"
    report = PartnershipReport(dataclasses.replace(data, partnerships=p), "cafe-societe")
    assert report.title() == ("# north\n\n*Evaluation report \u00b7 led by Northfield University "
                              "\u00b7 10 March 2025 to 23 June 2025*")
    assert report.profile().startswith("north is a partnership led by Northfield University, running from "
                                       "March 2025 to June 2025. It enrolled 20 participants.")


def test_a_named_partner_type_is_still_said(cafe):
    assert cafe.title().startswith("# Caf\u00e9 Soci\u00e9t\u00e9 Youth Employment\n\n*Evaluation report \u00b7 "
                                   "business partnership led by Northfield University")
    assert cafe.profile().startswith("Caf\u00e9 Soci\u00e9t\u00e9 Youth Employment is a partnership with a "
                                     "business partner, led by Northfield University, running from")


# ---- 4. no two parenthetical groups in a row (labels often end in a parenthesis) ------------------------
def test_a_suppressed_outcome_is_said_without_two_parentheses_in_a_row(cafe):
    text = _plain(cafe.longterm())
    assert ("Self-rated skills (mean of five 1-5 items): fewer than 10 participants answered both surveys, "
            "too few to report.") in text
    assert ") (" not in text


def test_a_suppressed_program_effect_is_said_without_two_parentheses_in_a_row():
    from evalkit.arms import describe_program_effect

    row = pd.Series({"label": "Self-rated skills (mean of five 1-5 items)", "group": "program",
                     "reference": "comparison", "suppressed": True, "estimate": float("nan")})
    text = _plain(describe_program_effect(row, min_group_size=10))
    assert ") (" not in text
    assert text.startswith("Too few participants in the program group or the comparison group")


def test_a_shared_indicator_not_pooled_is_said_without_two_parentheses_in_a_row(data):
    from evalkit.portfolio import PREPOST_CHANGE

    port = PortfolioReport(data)
    port.pooled = pd.DataFrame([{"measure": "skills", "label": "Self-rated skills (mean of five 1-5 items)",
                                 "estimate_type": PREPOST_CHANGE, "estimate": float("nan"),
                                 "note": "fewer than 2 partnerships to pool"}])
    # no partnership has a comparison group, so the line does not say the change is pre/post (trial 12)
    assert _plain(port.shared_summary()) == (
        "- Self-rated skills (mean of five 1-5 items): fewer than 2 partnerships to pool.")


@pytest.mark.sample_wide
def test_no_report_text_has_these_defects(data):
    """Every Markdown section of the two sample reports the trial read, scanned for the four defects."""
    for pid in ("cafe-societe", "riverside-literacy"):
        r, h = PartnershipReport(data, pid), HealthSections(data, pid, as_of="2025-09-22")
        texts = [r.title(), r.profile(), r.summary(), r.participation(), r.outcomes_intro(), r.satisfaction(),
                 r.longterm(), h.voices(), h.stories(), h.indicators(), h.action_plan(), h.partners(), h.served()]
        for text in map(_plain, texts):
            assert not re.search(r"(^|\. |\n- )fewer than", text, flags=re.M), text
            assert "(\u2013" not in text and "\u2013 attended" not in text and ") (" not in text, text
            assert "nan" not in re.findall(r"\b\w+\b", text), text


def test_the_targets_section_lists_every_target_the_summary_counts(sample_data):
    """Riverside's card and summary say "3 of 6 targets met", but the targets section listed the four survey
    targets only, one of them met: the two targets on the partnership's records (1,000 volunteer hours in total,
    4 events in the latest period; both reached in the sample: 1,046 hours, 4 events) were nowhere beside them."""
    import evalkit as ek

    report = ek.PartnershipReport(sample_data, "riverside-literacy")
    table = report.targets_table()
    assert len(table) == len(report.all_targets) == 6
    assert (table["Verdict"] == "met").sum() == (report.all_targets["verdict"] == "met").sum() == 3
    hours = table.loc["Volunteers contribute at least 1,000 hours over the partnership"]
    assert hours["Goal"] == "1,000 hours" and hours["Verdict"] == "met" and hours["95% CI"] == "no interval"
    assert hours["Observed"].endswith(" hours") and float(hours["Observed"].split()[0].replace(",", "")) >= 1000
    assert table.index[0] == "Mean self-rated skills rise by at least 0.3 points"  # a sentence starts upper-case


def test_the_response_share_chart_names_its_measure_once_and_its_wave_in_words(tmp_path, sample_data):
    """The satisfaction chart's axis read "Overall satisfaction with the programme (1-5) (1 = lowest, 5 = highest)",
    two parentheses in a row under a title that already names the measure; a follow-up wave was "followup"."""
    import matplotlib.pyplot as plt

    from evalkit.plots import plot_response_shares

    data = sample_data
    fig = plot_response_shares(data, "riverside-literacy", "satisfaction", wave="post")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Answer (1 = lowest, 5 = highest)"
    assert ax.get_title().startswith("Overall satisfaction with the programme (1-5) at post (n = ")
    plt.close(fig)
    fig = plot_response_shares(data, "riverside-literacy", "community_benefit", wave="followup")
    assert " at follow-up (n = " in fig.axes[0].get_title()
    plt.close(fig)


def test_the_portfolio_representation_table_names_groups_as_the_reports_do(sample_data):
    """The portfolio's "Which" column showed column ids with underscores replaced ("race ethnicity: ..."), where the
    partnership reports say "Race/ethnicity" (the sample's labels table)."""
    data = sample_data
    which = PortfolioHealth(data).representation_table()["Which"].tolist()
    named = [w for w in which if w != "\u2013"]
    assert named and all("race ethnicity" not in w for w in named)
    assert any(w.startswith("Race/ethnicity: ") for w in named), named


def test_a_theme_is_headed_by_its_description_not_its_code(sample_data):
    """Themes were headed by the analyst's code, lower-case: "**confidence** (Feeling more confident or capable):
    mentioned by 40 people". The reader gets the description; a theme without one, its code as words."""
    text = HealthSections(sample_data, "riverside-literacy").voices()
    assert "**Feeling more confident or capable**: mentioned by " in text
    assert "**confidence**" not in text
    from evalkit.health_report import theme_name

    assert theme_name("peer_support", None) == "Peer support" and theme_name("x", "Being heard") == "Being heard"


def test_a_theme_mentioned_by_one_person_says_person(sample_data):
    """At min_group_size=1 a theme read "mentioned by 1 people" (greenway-food's sample has a theme one person
    mentioned, beside themes of 4 to 20)."""
    text = HealthSections(sample_data, "greenway-food", min_group_size=1).voices()
    assert "mentioned by 1 person (" in text and "mentioned by 1 people" not in text
    assert "mentioned by 4 people" in text


def test_the_median_n_of_the_summary_says_which_outcomes_it_is_over(sample_data):
    """Riverside's summary said "with 210 participants answering both surveys (median) ... d_z = 0.19" and its
    methods "With the median of 209 matched pairs": two medians over different outcomes, neither saying which.
    Uplands said "24 answered both the pre and the post survey" then "Caution: only 23 participants answered
    both surveys" (the first counts people, the second is the median outcome's matched pairs)."""
    data = sample_data
    summary = PartnershipReport(data, "riverside-literacy").summary()
    assert "(median)" not in summary
    # its one unclear outcome is yes/no: no t-test d_z for it (trial 12); eastside's six are scores and ratings
    assert "on the six score or rating outcomes that showed no clear change" in PartnershipReport(data, "eastside-stem").summary()
    uplands = PartnershipReport(data, "uplands-tutoring").summary()
    assert "only 23 participants answered both surveys" not in uplands
    assert "the median outcome has only 23 matched pairs" in uplands


def test_no_clear_change_beside_an_interval_without_zero_says_why(tmp_path):
    """An outcome read "no clear change (-0.70 points, 95% CI -1.18 to -0.22 ...)": the interval leaves out 0, the
    verdict follows the multiplicity-adjusted p, and the sentence never said so. Two measures whose 12 changes
    are 2,0,2,0,2,0,2,1,1,1,2,-2 (mean 0.917, SD 1.24: t = 2.56 on 11 df, p = 0.0265 each); Holm over the two:
    0.053 each, so neither is called a change, and each line says what the adjusted p is."""
    import numpy as np

    from builders import long_responses, measure, write_tables
    from evalkit.pageone import outcome_lines

    pre = np.arange(12) % 3 + 5.0
    post = pre + np.array([2, 0, 2, 0, 2, 0, 2, 1, 1, 1, 2, -2.0])
    responses = pd.concat([long_responses("p", "a", pre, post), long_responses("p", "b", pre, post)])
    data = ek.load_data(write_tables(tmp_path, responses, [measure("a", lo=0, hi=20), measure("b", lo=0, hi=20)]))
    table = ek.compare_prepost(data, "p", min_group_size=5)
    assert table["p_adjusted"].round(3).tolist() == [0.053, 0.053] and (table["ci_low"] > 0).all()
    lines = outcome_lines(table)
    assert all("no clear change" in line and "adjusted p = 0.053" in line for line in lines), lines


def test_a_count_withheld_with_its_row_reads_not_shown_not_fewer_than_k(sample_data):
    """Cafe-societe's outcomes table read "fewer than 10 / fewer than 10 / fewer than 10" for n pre / post / pairs,
    while 20 of its participants answered the pre survey: a suppressed row blanks every count, and only the
    matched pairs are known to be under 10. The others now read "not shown"."""
    data = sample_data
    table = PartnershipReport(data, "cafe-societe").outcomes_table()
    cells = set(table["n (pre / post / pairs)"])
    assert cells == {"not shown / not shown / fewer than 10"}, cells


def test_an_untested_characteristic_is_not_said_to_show_no_credible_difference(tmp_path, sample_data):
    """A characteristic "not tested: fewer than two groups large enough to show" was then listed under "Change by
    group for Gender (no credible difference) is in the appendix". At a minimum group size of 60, riverside's
    first-generation groups can be tested (no credible difference), its age, gender and three more cannot."""
    from IPython.display import Markdown

    report = PartnershipReport(sample_data, "riverside-literacy", min_group_size=60)
    tests = report.group_tests_table()
    untested = [n for n, r in tests.iterrows() if r["Change differed on"].startswith("not tested")]
    assert untested, tests
    sentence = [p.data for p in report.results_by_group() if isinstance(p, Markdown) and "appendix" in p.data][0]
    credible_part = sentence.split("(no credible difference)")[0]
    assert all(name not in credible_part for name in untested), sentence
    assert "(not tested: fewer than two groups large enough to show)" in sentence


def test_targets_on_a_yes_no_share_read_in_percent_and_a_bound_at_the_goal_shows_why_it_is_met(sample_data):
    """Harbor's "at least half volunteered" target read "Goal 0.5, Observed 0.08, 0.02 to 0.13" while the outcomes
    table shows the same measure in %; riverside's behaviour target was "met" beside "40 to 54" against a 40% goal
    (its lower bound is 40.2)."""
    data = sample_data
    harbor = PartnershipReport(data, "harbor-health").targets_table()
    half = harbor.loc["At least half volunteered in the last month at post"]
    # hand: 7 of 91 answered yes; Wilson (as every share of people) 3.78% to 15.04%
    assert (half["Goal"], half["Observed"], half["95% CI"]) == ("50%", "8%", "4 to 15%")
    river = PartnershipReport(data, "riverside-literacy").targets_table()
    practise = river.loc["At least 40% report practising more often"]
    # 98 of 209 practise more (Wilson 40.24% to 53.65%, statsmodels' proportion_confint): both bounds to one decimal
    # (trial 11: "40.2 to 54%" mixed them)
    assert practise["95% CI"] == "40.2 to 53.7%" and practise["Verdict"] == "met"


@pytest.mark.sample_wide
def test_methods_describe_only_what_the_report_shows_and_end_with_the_colophon(sample_data):
    """The methods of voices, indicators, check-ins and community came after "Produced by evalkit ... on ..."
    (a second cell), and even for a partnership that recorded none of them (cafe-societe)."""
    data = sample_data
    for pid in ("cafe-societe", "riverside-literacy"):
        report, health = PartnershipReport(data, pid), HealthSections(data, pid)
        text = report.methods(health.methods())
        # the colophon leads into the data files table, the report's last lines (trial 12: print kept it alone)
        assert text.rstrip().splitlines()[-1].startswith("| ")
        colophon = text.index("**Data files.** Produced by evalkit")
        recorded = {"**Participants' voices.**": not health.themes.empty or not health.stories_table.empty,
                    "**Indicators and action plan.**": not health.progress.empty or not health.milestones.empty,
                    "**Partners' check-ins.**": not health.survey.empty,
                    "**Who was served.**": not health.representation.empty}
        for heading, shown in recorded.items():
            assert (heading in text) == shown, (pid, heading)
            assert not shown or text.index(heading) < colophon, (pid, heading)
    assert "**Who was served.**" in PartnershipReport(data, "riverside-literacy").methods(
        HealthSections(data, "riverside-literacy").methods())


def test_the_trajectory_names_waves_and_its_interval_as_the_prose_does(sample_data):
    """Riverside's trajectory read "Self-rated skills (mean of five 1-5 items) (95% CI)" over ticks "pre, post,
    followup", where the text says "follow-up"."""
    import matplotlib.pyplot as plt

    report = PartnershipReport(sample_data, "riverside-literacy")
    fig = report.trajectory_figure().figure
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["pre", "post", "follow-up"]
    assert ") (" not in ax.get_title() and "95% CI" in ax.get_title()
    plt.close(fig)


def test_the_representation_figure_names_groups_as_its_table_does(sample_data):
    """The figure's rows read "race ethnicity: White", "english learner: yes" beside a table saying
    "Race/ethnicity" and "English-language learner status" (the labels table)."""
    import matplotlib.pyplot as plt

    shown = HealthSections(sample_data, "riverside-literacy").representation_figure()
    rows = [t.get_text() for t in shown.figure.axes[0].get_yticklabels()]
    assert rows and not any(r.startswith(("race ethnicity", "english learner")) for r in rows), rows
    assert any(r.startswith("Race/ethnicity: ") for r in rows) and "race ethnicity" not in shown.alt
    plt.close(shown.figure)


def test_the_portfolio_pools_a_yes_no_measure_in_percentage_points(sample_portfolio):
    """The portfolio said "Volunteered in the last month (0 no, 1 yes): ... the average change was 0.11 points
    (95% CI 0.04 to 0.18) ... expected between -0.14 and 0.37", where every partnership report says "+2
    percentage points answering yes": the same shares, read as 11 points and -14 to 37 percentage points."""
    text = sample_portfolio.shared_summary()
    line = next(x for x in text.splitlines() if x.startswith("- Volunteered"))
    assert "the average change was 11 percentage points (95% CI 4 to 18)" in line, line
    assert "expected between \u221214 and 37 percentage points" in line, line
    skills = next(x for x in text.splitlines() if x.startswith("- Self-rated skills"))
    assert "the average change was 0.26 points" in skills


@pytest.mark.sample_wide
def test_the_portfolio_table_and_forest_plot_give_a_yes_no_indicator_in_percentage_points(sample_portfolio):
    """After the sentence, the table and the forest plot of the same yes/no indicator still showed shares (0.11)."""
    import matplotlib.pyplot as plt

    portfolio = sample_portfolio
    table = portfolio.shared_table().reset_index()
    volunteered = table[table["Indicator"].str.startswith("Volunteered") & (table["Estimate"] != "\u2013")]
    assert len(volunteered) > 5 and volunteered["Estimate"].str.endswith(" pts").all()
    assert volunteered["95% CI"].str.endswith(" pts").all() and "19 pts" in set(volunteered["Estimate"])
    skills = table[table["Indicator"].str.startswith("Self-rated")]
    assert not skills["Estimate"].str.endswith(" pts").any()
    figures = portfolio.forest_figures()
    forest = next(f for f in figures if "Volunteered" in f.figure.axes[0].get_title())
    ax = forest.figure.axes[0]
    assert "percentage points" in ax.get_xlabel() and ax.get_xlim()[1] > 5   # 11 points, not 0.11
    assert "percentage points answering yes" in forest.alt
    for f in figures:
        plt.close(f.figure)


def test_the_portfolio_table_says_what_its_n_counts(sample_portfolio):
    # trial 9: "n" was the matched pairs of a pre/post row and the program plus comparison pairs of a program-effect
    # row, under one bare header
    table = sample_portfolio.shared_table()
    assert "n" not in table.columns and "n (answered both surveys)" in table.columns
