"""Findings of trial 14 (/work/notes/trial14.md: edge cases of the figures), each a test written before its fix."""
from __future__ import annotations

import re

import pytest

from evalkit.figures import wrap_label

_STUDENT = "How confident I feel reading aloud in class to other students and teachers (rated by the student, 1-5)"
_TEACHER = "How confident I feel reading aloud in class to other students and teachers (rated by the teacher, 1-5)"


def test_two_labels_that_differ_at_their_end_stay_different_when_shortened():
    # F-B: both were drawn 'How confident I feel reading aloud in\nclass to other students and teachers...', two rows
    # of the at-a-glance chart a reader could not tell apart; what they differ in (who rated) is in the anchors
    student, teacher = wrap_label(_STUDENT, 40), wrap_label(_TEACHER, 40)
    assert student != teacher
    assert student.endswith("\n(rated by the student, 1-5)") and teacher.endswith("\n(rated by the teacher, 1-5)")


@pytest.mark.parametrize("text, width", [
    (_STUDENT, 40),
    ("Sense of belonging at school and in the wider neighbourhood community (0 no, 1 yes)", 40),
    ("Communication between partners (1 strongly disagree - 5 strongly agree)", 34),
    ("Word " + "y" * 80, 40),
    ("a " * 60, 20),
])
def test_a_shortened_label_keeps_its_start_and_end_on_at_most_two_lines_within_the_width(text, width):
    # F-B: a label needing a third line lost its end ('(0 no,...': the scale's anchors cut mid-parenthesis, an
    # unbalanced '('), and a label of one long word kept '...' alone on its second line
    shown = wrap_label(text, width)
    lines = shown.split("\n")
    assert len(lines) == 2 and all(0 < len(line) <= width for line in lines), lines
    assert all(line.strip(".") for line in lines), lines          # no line is only the ellipsis
    assert shown.count("(") == shown.count(")"), shown
    words = " ".join(text.split()).split(" ")
    assert lines[0].startswith(words[0]) and shown.endswith(words[-1][-5:]), shown   # its start and its end
    assert "..." in shown


def test_labels_that_fit_are_wrapped_as_before():
    assert wrap_label("How often I practise what I learned (1 never - 5 always)", 40) == \
        "How often I practise what I learned\n(1 never - 5 always)"
    assert wrap_label("Communication between the partners is open and timely", 34) == \
        "Communication between the partners\nis open and timely"
    assert wrap_label("Skills (1-5)") == "Skills (1-5)"
    assert wrap_label("Sense of belonging at school (0 no, 1 yes)", 40) == "Sense of belonging at school\n(0 no, 1 yes)"


# --- the partners' check-in and indicator charts drawn a row at a time ----------------------------------------------
def _health(sample_data, *, items=None, indicators=None, survey=None, k=5):
    """riverside's health sections, with its check-in survey's first item cloned into ``items`` items, its first
    indicator into ``indicators`` indicators, or its check-in survey replaced by ``survey``."""
    from dataclasses import replace

    import pandas as pd

    from evalkit.health_report import HealthSections

    changes = {}
    ps, ind = sample_data.partner_survey, sample_data.indicators
    mine = ps["partnership_id"] == "riverside-literacy"
    if items is not None:
        first = ps[mine & (ps["item"] == ps.loc[mine, "item"].iloc[0])]
        clones = [first.assign(item=f"item{i}", label=f"Item {i} of the check-in") for i in range(items)]
        changes["partner_survey"] = pd.concat([ps[~mine], *clones], ignore_index=True)
    if survey is not None:
        changes["partner_survey"] = pd.concat([ps[~mine], survey], ignore_index=True)
    if indicators is not None:
        mine = ind["partnership_id"] == "riverside-literacy"
        first = ind[mine & (ind["indicator"] == ind.loc[mine, "indicator"].iloc[0])]
        clones = [first.assign(indicator=f"ind{i}", label=f"Indicator {i}") for i in range(indicators)]
        changes["indicators"] = pd.concat([ind[~mine], *clones], ignore_index=True)
    return HealthSections(replace(sample_data, **changes), "riverside-literacy", min_group_size=k)


def _panel_widths(figures) -> list[float]:
    """Width in inches of every drawn panel (axes with their axis on) of the figures."""
    return [round(ax.get_position().width * f.figure.get_figwidth(), 2)
            for f in figures for ax in f.figure.axes if ax.axison]


@pytest.mark.parametrize("items", [4, 5, 7])
def test_every_check_in_panel_of_the_section_has_the_same_width(sample_data, items):
    # F-E: drawn a row at a time, the last row's lone panel spread over the 7.5 in of the figure (three 2.1 in panels
    # above a 6.9 in one); the same trend reads flatter in a wider panel, so the panels of one section did not compare
    widths = _panel_widths(_health(sample_data, items=items).partners_figures())
    assert len(widths) == items and max(widths) - min(widths) < 0.05, widths


@pytest.mark.parametrize("indicators", [3, 5])
def test_every_indicator_chart_of_the_section_has_the_same_width(sample_data, indicators):
    widths = _panel_widths(_health(sample_data, indicators=indicators).indicators_figures())
    assert len(widths) == indicators and max(widths) - min(widths) < 0.05, widths


def test_a_role_keeps_its_colour_and_marker_from_one_row_of_check_in_panels_to_the_next(sample_data):
    # F-K: the roles were styled in the order each row's table named them: with items 0-2 asked of institutions and
    # item 3 of partners, the same blue circle meant "institution" in the first row and "partner" in the second
    ps = sample_data.partner_survey
    mine = ps[ps["partnership_id"] == "riverside-literacy"]
    first = mine[mine["item"] == mine["item"].iloc[0]]
    parts = [first[first["respondent_role"] != "partner"].assign(item=f"item{i}", label=f"Item {i}") for i in range(3)]
    parts.append(first[first["respondent_role"] == "partner"].assign(item="item3", label="Item 3"))
    import pandas as pd

    figures = _health(sample_data, survey=pd.concat(parts, ignore_index=True)).partners_figures()
    assert len(figures) == 2
    styles = {}
    for f in figures:
        legend = f.figure.legends[0]
        for text, handle in zip(legend.get_texts(), legend.legend_handles):
            styles.setdefault(text.get_text(), set()).add((handle.get_color(), handle.get_marker()))
    assert {"institution", "partner"} <= set(styles)
    assert all(len(s) == 1 for s in styles.values()), styles
    assert len({next(iter(s)) for s in styles.values()}) == len(styles), styles   # and roles differ from each other


def test_the_withheld_means_note_of_a_row_of_check_in_panels_is_clear_of_its_legend(sample_data):
    # F-D: the note sat at 6% of the figure's height and the legend at its foot, fractions sized for a grid of two
    # rows; in a one-row figure (3 in) the legend's words ran through the note's line
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figures = _health(sample_data, items=3, k=16).partners_figures()   # riverside's 14 institutions are under 16
    (figure,) = [f.figure for f in figures]
    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    (note,) = [t.get_window_extent(renderer) for t in figure.texts if "not shown" in t.get_text()]
    legend = figure.legends[0].get_window_extent(renderer)
    ticks = [t.get_window_extent(renderer) for ax in figure.axes if ax.axison for t in ax.get_xticklabels()]
    assert not note.overlaps(legend), (note, legend)
    assert not any(legend.overlaps(t) or note.overlaps(t) for t in ticks)


def test_the_readme_states_the_rate_rule_as_the_data_contract_does():
    # F-J: the README promised "no rate whose numerator or denominator is under k", while the data contract (rule 3)
    # and evalkit.privacy show an outcome statistic of a group of at least k, such as the share answering "yes" (of 18,
    # 11% is 2 people): a reader of the README was promised more than reports do
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    contract = " ".join((root / "evalkit" / "DATA_CONTRACT.md").read_text(encoding="utf-8").split())
    assert "Outcome statistics of a group of at least *k* (a mean score, the share answering \"yes\")" in contract
    privacy = readme[readme.index("## Privacy"):]
    assert "no rate whose numerator or denominator is under *k*, figures" not in privacy
    assert "outcome statistics of a group of at least *k*" in privacy and "share answering" in privacy


# --- the at-a-glance chart ---------------------------------------------------------------------------------------
def _glance(sample_data, n: int, label: str):
    """riverside's at-a-glance chart with its outcomes table's first row cloned into ``n`` outcomes, labelled
    ``label.format(i)``, and the chart's tick label boxes once drawn."""
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import evalkit as ek

    report = ek.PartnershipReport(sample_data, "riverside-literacy", min_group_size=5)
    first = report.outcomes[~report.outcomes["suppressed"]].iloc[[0]]
    report.__dict__["outcomes"] = pd.concat(
        [first.assign(measure=f"m{i}", label=label.format(i), mean_change=first["mean_change"] + i / 50)
         for i in range(n)], ignore_index=True)
    chart = report.glance_chart()
    FigureCanvasAgg(chart.figure).draw()
    renderer = chart.figure.canvas.get_renderer()
    ax = chart.figure.axes[0]
    return chart, ax, [t.get_window_extent(renderer) for t in ax.get_yticklabels()]


_LONG = "How often I practise what I learned, item {} (1 never - 5 always)"


_ITEM = "Item {}: how often I practise what I learned (1 never - 5 always)"


@pytest.mark.parametrize("n, label", [(7, _LONG), (8, _LONG), (14, _LONG), (8, _ITEM), (12, _ITEM),
                                      (16, "Outcome {} (1-5)"), (30, "Outcome {} (1-5)")])
def test_the_at_a_glance_chart_never_prints_one_label_over_another(sample_data, n, label):
    # F-A: the chart's height was capped at 3.3 in whatever its labels needed: with 8 outcomes of two-line labels
    # (7 overlapping pairs) or 16 of one line, page one's chart printed every label over the next
    chart, ax, boxes = _glance(sample_data, n, label)
    assert len(boxes) == n
    overlapping = [(i, j) for i in range(n) for j in range(i + 1, n) if boxes[i].overlaps(boxes[j])]
    assert overlapping == []
    tall = chart.figure.get_figheight() > 3.3
    if n <= 12 and label != _LONG:
        assert not tall   # one line a label fits the card up to 12 outcomes (_LONG's differ in the middle: two)


@pytest.mark.parametrize("n", [4, 7, 15, 30])
def test_neighbouring_two_line_labels_of_the_at_a_glance_chart_stay_clear_of_each_other(sample_data, n):
    # F-A2: the chart's height followed the total of its label lines while its rows are evenly spaced: two two-line
    # labels side by side among one-line ones overlapped by 4.6 pt (15 outcomes)
    chart, ax, boxes = _glance_mixed(sample_data, n)
    overlapping = [(i, j) for i in range(n) for j in range(i + 1, n) if boxes[i].overlaps(boxes[j])]
    assert overlapping == []


def _glance_mixed(sample_data, n: int):
    """The at-a-glance chart of ``n`` outcomes whose labels are, in the chart's order, two of two lines and one of one,
    in turn (their changes rise with their number, and the chart sorts by change)."""
    labels = [f"How often I practised at home with my family, outcome {i} (1-5)" if i % 3 != 2 else f"Outcome {i} (1-5)"
              for i in range(n)]   # cut onto one line the long ones read alike: they are given two
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import evalkit as ek

    report = ek.PartnershipReport(sample_data, "riverside-literacy", min_group_size=5)
    first = report.outcomes[~report.outcomes["suppressed"]].iloc[[0]]
    report.__dict__["outcomes"] = pd.concat(
        [first.assign(measure=f"m{i}", label=labels[i], mean_change=first["mean_change"] + i / 50) for i in range(n)],
        ignore_index=True)
    chart = report.glance_chart()
    FigureCanvasAgg(chart.figure).draw()
    renderer = chart.figure.canvas.get_renderer()
    ax = chart.figure.axes[0]
    return chart, ax, [t.get_window_extent(renderer) for t in ax.get_yticklabels()]


def test_a_label_on_one_line_of_the_at_a_glance_chart_keeps_its_anchors(sample_data):
    _, ax, _ = _glance(sample_data, 9, "Item {}: how confident I feel reading aloud in class to my teachers (1-5)")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert all("\n" not in t and t.endswith("(1-5)") for t in labels), labels
    assert len(set(labels)) == 9, labels


def test_labels_that_differ_only_in_their_middle_are_given_the_lines_that_tell_them_apart(sample_data):
    from evalkit.figures import wrap_labels

    labels = [f"How confident I feel reading aloud in class to my teachers and the other parents, item {i} (1-5)"
              for i in range(3)] + ["Skills (1-5)"]
    for lines in (1, 2):
        shown = wrap_labels(labels, 40, lines)
        assert len(set(shown)) == 4, shown
        assert shown[-1] == "Skills (1-5)"
    assert wrap_labels(["Skills (1-5)", "Knowledge (0-20)"], 40) == ["Skills (1-5)", "Knowledge (0-20)"]
    # the at-a-glance chart's labels, cut onto one line where they would clash, are given two
    _, ax, _ = _glance(sample_data, 9, "How confident I feel reading aloud in class to my teachers, item {} (1-5)")
    assert len({t.get_text() for t in ax.get_yticklabels()}) == 9


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_no_outcome_of_the_at_a_glance_chart_is_drawn_on_its_axis_line(sample_data, n):
    # F-L: with 2 or 3 outcomes the lowest row sat 4 pt above the x axis, so its marker (8 pt across) and interval
    # overprinted the axis line
    chart, ax, _ = _glance(sample_data, n, "Outcome {} (1-5)")
    low, high = ax.get_ylim()
    points = ax.get_window_extent().height * 72 / chart.figure.dpi
    assert (0 - low) / (high - low) * points >= 6, (low, high, points)


def test_a_chart_taller_than_the_cards_cap_is_shown_at_its_size(sample_data):
    # with many outcomes the chart grows past 3.3 in; the card's CSS cap (max-height 3.4 in, screen and print) would
    # shrink it back, and its 9-pt type with it
    from pathlib import Path

    import evalkit as ek

    chart, _, _ = _glance(sample_data, 30, "Outcome {} (1-5)")
    assert chart.figure.get_figheight() > 4
    report = ek.PartnershipReport(sample_data, "riverside-literacy", min_group_size=5)
    report.__dict__["glance_chart"] = lambda: chart
    assert 'class="ek-figure ek-glance-chart ek-glance-tall"' in report.at_a_glance().data
    css = (Path(ek.__file__).parent / "templates" / "nbconvert" / "evalkit" / "static" / "report.css").read_text()
    assert ".at-a-glance img.ek-glance-tall { max-height: none; }" in css   # on screen; in print, a page at most
    assert ".at-a-glance img.ek-glance-tall { max-height: 8.5in; }" in css
    assert 'ek-glance-tall' not in ek.PartnershipReport(sample_data, "riverside-literacy").at_a_glance().data


@pytest.mark.parametrize("n_roles", [5, 9])
def test_a_check_in_survey_of_many_respondent_roles_draws_each_in_its_own_style(sample_data, n_roles):
    # F-P: the roles were styled from five styles; with the README's five partner kinds the pooled "all respondents"
    # line, the sixth, had none (KeyError), and the partnership's whole report failed
    import numpy as np

    ps = sample_data.partner_survey
    mine = ps[ps["partnership_id"] == "riverside-literacy"]
    kinds = [f"partner kind {i}" for i in range(n_roles)]
    survey = mine.assign(respondent_role=np.resize(kinds, len(mine)))
    figures = _health(sample_data, survey=survey, k=1).partners_figures()
    legend = figures[0].figure.legends[0]
    styles = {t.get_text(): (h.get_color(), h.get_marker()) for t, h in zip(legend.get_texts(), legend.legend_handles)}
    assert set(styles) == {*kinds, "all respondents"}
    if n_roles == 5:
        assert len(set(styles.values())) == len(styles), styles   # up to 7 roles and the pooled line: all differ
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = figures[0].figure
    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width   # in rows of four, within the figure
    ticks = [t.get_window_extent(renderer) for ax in figure.axes if ax.axison for t in ax.get_xticklabels()]
    assert not any(box.overlaps(t) for t in ticks)


# --- the portfolio's forest plots ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def with_arms(sample_data):
    """The sample with comparison groups in four partnerships and every measure shared (so each has a forest)."""
    from dataclasses import replace

    import numpy as np

    people = sample_data.participants.copy()
    arm = np.full(len(people), None, dtype=object)
    for pid, n in (("riverside-literacy", 60), ("eastside-stem", 40), ("harbor-health", 12), ("greenway-food", 50)):
        mine = (people["partnership_id"] == pid).to_numpy()
        arm[mine] = "program"
        arm[np.flatnonzero(mine)[:n]] = "comparison"
    measures = sample_data.measures.assign(shared=True)
    return replace(sample_data, participants=people.assign(arm=arm), measures=measures)


@pytest.fixture(scope="module")
def arm_forests(with_arms):
    """The forest plots of the portfolio of ``with_arms`` at k = 10, drawn once for the tests that read them."""
    import evalkit as ek

    return ek.PortfolioReport(with_arms, min_group_size=10).forest_figures()


@pytest.mark.integration   # a whole portfolio with comparison groups, three reports: the full suite
def test_a_program_effect_in_a_forest_plot_has_its_reports_verdict(with_arms, arm_forests):
    # F-R: program-effect rows were coloured by their interval alone; Greenway's practice effect (95% CI 0.003 to
    # 0.477) was drawn "Improved" while its report, allowing for its several outcomes (Holm), says "a better result
    # that could be due to chance"; the methods say each colour is the report's verdict
    import re

    import evalkit as ek

    pids = ("riverside-literacy", "eastside-stem", "greenway-food")
    sentences = {pid: ek.PartnershipReport(with_arms, pid, min_group_size=10).comparison_group().effects_text
                 .split("\n") for pid in pids}
    checked = 0
    for figure in arm_forests:
        if "program effect in" not in figure.alt:
            continue
        label = re.match(r"Forest plot of (.+?): program effect in", figure.alt)[1]
        verdicts = {name: verdict for verdict, names in re.findall(r"(improved|declined|no clear change): ([^;]+)",
                                                                   figure.alt) for name in names.split(", ")}
        for pid in pids:
            name = with_arms.partnerships.set_index("partnership_id").at[pid, "name"]
            said = [s for s in sentences[pid]
                    if label.replace("(", "\\(").replace(")", "\\)") in s and "program group" in s]
            if name not in verdicts or not said:
                continue
            (sentence,) = said
            assert (verdicts[name] == "no clear change") == ("could be due to chance" in sentence), (name, label)
            checked += 1
    assert checked >= 6


@pytest.mark.integration   # a whole portfolio with comparison groups, three reports: the full suite
def test_a_yes_no_program_effect_forest_says_it_is_a_program_effect_in_percentage_points(with_arms, arm_forests):
    # F-Q: its alt text read "mean change (percentage points answering yes) in 3 partnerships"; its axis lost the unit
    figures = [f for f in arm_forests if f.alt.startswith("Forest plot of Volunteered")]
    alts = sorted(f.alt for f in figures)
    assert any("program effect (percentage points answering yes) in" in a for a in alts), alts
    assert any("mean change (percentage points answering yes) in" in a for a in alts), alts
    labels = {f.figure.axes[0].get_xlabel() for f in figures}
    assert "Program effect in percentage points answering yes: program - comparison, adjusted for baseline (95% CI)" \
        in labels, labels


def _overlapping_labels(figure) -> list:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    out = []
    for ax in figure.axes:
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in ax.get_yticklabels() if t.get_text()]
        out += [(a, b) for i, (a, ba) in enumerate(boxes) for b, bb in boxes[i + 1:] if ba.overlaps(bb)]
    return out


@pytest.mark.parametrize("partnerships", [11, 30])
def test_a_shared_indicator_chart_of_many_partnerships_prints_each_name_clear_of_the_next(sample_data, partnerships):
    # F-S: each chart was 2.3 in high whatever its number of bars: from 11 partnerships on, their names printed over
    # each other (57 overlapping pairs at 30 bars)
    import pandas as pd

    from evalkit.health_report import PortfolioHealth

    health = PortfolioHealth(sample_data, min_group_size=10)
    s = health.shared_indicators()
    label = s["label"].iloc[0]
    row = s[(s["label"] == label) & s["total"].notna()].iloc[[0]]
    many = pd.concat([row.assign(partnership_id=f"Partnership number {i} of the city's literacy network",
                                 total=row["total"] + i) for i in range(partnerships)], ignore_index=True)
    figure = health._shared_bars(many, [label]).figure
    assert _overlapping_labels(figure) == []
    names = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(set(names)) == partnerships


_QUESTION = ("Over the past four weeks, how often did you feel that the skills you learned in the programme sessions "
             "helped you in your daily life at home, at school or at work, and with your family and friends in the "
             "neighbourhood community (1 never - 5 always)")


def test_a_distribution_panel_titled_by_a_whole_survey_question_keeps_its_panel_readable():
    # F-M: panel titles were wrapped with no limit on their lines: a question's full text (what survey imports give
    # as the label) made a 10-line title, and the row's three panels were squeezed to 0.36 in high
    from evalkit.plots import _panel_title

    title = _panel_title(_QUESTION, 150)
    lines = title.split("\n")
    assert len(lines) <= 4 and all(len(line) <= 28 for line in lines), lines
    assert lines[-1].endswith("(n = 150)") and "(1 never - 5 always)" in title


def test_a_change_over_time_panel_titled_by_a_whole_survey_question_keeps_its_axes(sample_data):
    import pandas as pd

    from evalkit.waves import plot_trajectory

    t = pd.DataFrame({"measure": "e", "label": _QUESTION, "kind": "continuous", "group": "All participants",
                      "group_variable": "", "wave": ["pre", "post", "follow-up"], "order": [0, 1, 2],
                      "mean": [3.0, 3.2, 3.3], "suppressed": False, "note": ""})
    t["ci_low"], t["ci_high"] = t["mean"] - 0.2, t["mean"] + 0.2
    figure = plot_trajectory(t, title="", scales={"e": (1, 5)}, panel_size=(6.0, 2.0))
    ax = figure.axes[0]
    assert ax.get_title().count("\n") <= 3, ax.get_title()
    assert "(1 never - 5 always)" in ax.get_title()
    assert ax.get_position().height * figure.get_figheight() >= 0.9


def test_two_partnership_names_alike_but_for_their_end_stay_different_in_a_forest_plot():
    # F-N: names were cut at 40 characters, so "..., North Campus" and "..., South Campus" both read
    # "Riverside Family Literacy..."
    import pandas as pd

    from evalkit.plots import plot_forest

    c = pd.DataFrame({"measure": "k", "name": ["Riverside Family Literacy Partnership, North Campus",
                                               "Riverside Family Literacy Partnership, South Campus", "Eastside STEM"],
                      "mean_change": [0.5, 1.5, 1.0], "se": [0.2, 0.2, 0.3], "df": [40, 40, 30],
                      "ci_low": [0.1, 1.1, 0.4], "ci_high": [0.9, 1.9, 1.6], "suppressed": False})
    row = pd.Series({"measure": "k", "label": "Knowledge", "estimate": 1.0, "se": 0.3, "ci_low": 0.4, "ci_high": 1.6,
                     "pi_df": 1, "tau2": 0.1})
    labels = [t.get_text() for t in plot_forest(c, row).axes[0].get_yticklabels()]
    assert len(set(labels)) == len(labels), labels


def _three(sample_data):
    """The sample cut to its first three partnerships: a pooled estimate with a prediction interval on 1 df."""
    from dataclasses import replace

    from evalkit.load import _PER_PARTNERSHIP

    ids = sample_data.partnership_ids[:3]
    return replace(sample_data, **{name: getattr(sample_data, name)[getattr(sample_data, name)["partnership_id"]
                                                                   .isin(ids)].reset_index(drop=True)
                                   for name in _PER_PARTNERSHIP})


def test_a_prediction_interval_past_the_largest_possible_change_is_cut_there_and_says_so(sample_data):
    # F-F, F-I: with three partnerships the prediction interval (t on 1 df, x 12.7) ran from -128 to +120 percentage
    # points on a yes/no indicator and from -24 to +23 on a 0-20 score, past any possible change: the axis followed it
    # and every partnership's interval shrank to its marker
    import evalkit as ek

    portfolio = ek.PortfolioReport(_three(sample_data), min_group_size=5)
    scales = sample_data.measures.set_index("label")
    checked = 0
    for figure in portfolio.forest_figures():
        label = figure.alt[len("Forest plot of "):].split(": ")[0]
        yes_no = scales.at[label, "kind"] == "binary"
        span = 100 if yes_no else scales.at[label, "scale_max"] - scales.at[label, "scale_min"]
        low, high = figure.figure.axes[0].get_xlim()
        assert -1.1 * span <= low and high <= 1.1 * span, (label, low, high, span)
        legend = [t.get_text() for t in figure.figure.axes[0].get_legend().get_texts()]
        if "past the largest possible change" in figure.alt:
            assert "95% prediction interval,\nruns off the axis: past any\npossible change" in legend, legend
            checked += 1
    assert checked >= 1


def _forest_of(n: int, hidden: int = 0):
    """A forest plot's inputs: ``n`` partnerships' changes on one indicator (``hidden`` of them suppressed)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(4)
    est = rng.normal(1, 0.4, n)
    c = pd.DataFrame({"measure": "k", "partnership_id": [f"p{i}" for i in range(n)],
                      "name": [f"Partnership {i} of the network" for i in range(n)], "mean_change": est, "se": 0.3,
                      "df": 40, "ci_low": est - 0.6, "ci_high": est + 0.6, "suppressed": np.arange(n) < hidden})
    row = pd.Series({"measure": "k", "label": "Knowledge", "estimate": 1.0, "se": 0.1, "ci_low": 0.8, "ci_high": 1.2,
                     "pi_df": n - hidden - 2, "tau2": 0.1, "pi_low": 0.3, "pi_high": 1.7})
    return c, row


def test_a_forest_plot_of_40_partnerships_fits_a_printed_page_with_its_names_clear_of_each_other():
    # F-G: 0.26 in a partnership made 12 in at 40, which print shrank to the page's 8.5 in (9-pt names at 6.4 pt)
    from evalkit.plots import plot_forest

    figure = plot_forest(*_forest_of(40))
    assert figure.get_figheight() <= 8.5
    assert _overlapping_labels(figure) == []
    assert plot_forest(*_forest_of(12)).get_figheight() == pytest.approx(0.26 * 12 + 1.6)   # as before up to 26


def test_a_forest_plot_says_how_many_partnerships_it_leaves_out(sample_data):
    # F-G: at k = 10 one of 40 partnerships was left out of each forest, and neither the figure nor its alt text said
    # so ("mean change in 39 partnerships"), though a figure says how many points it withholds (privacy, rule 4)
    from evalkit.figures import describe_forest
    from evalkit.plots import plot_forest

    c, row = _forest_of(12, hidden=2)
    note = "2 partnerships not shown: fewer than 10 people each."
    figure = plot_forest(c, row, min_group_size=10)
    texts = [t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))]
    assert note in texts
    assert describe_forest(c, row, min_group_size=10).endswith(" " + note)
    assert not any("not shown" in t for t in
                   [x.get_text() for x in plot_forest(*_forest_of(12)).findobj(lambda a: hasattr(a, "get_text"))])


@pytest.mark.integration   # a WeasyPrint document: the print tests, not the fast tier
@pytest.mark.parametrize("where", ["figure", "card"])
def test_a_figure_taller_than_a_page_prints_whole_on_one(where):
    # F-G: print capped images at 8.5 in, but the print reset `.ek-main * { max-height: none }` undid it for every
    # figure of a report: a forest of 40 partnerships lost its pooled row past the paper's edge, a timeline of 25
    # milestones its date axis and legend; the at-a-glance chart of 50 outcomes ran into the footer
    from pathlib import Path

    import matplotlib.pyplot as plt
    from weasyprint.formatting_structure import boxes

    from evalkit.figures import ReportFigure
    from test_presentation import _laid_out, _print

    fig, ax = plt.subplots(figsize=(6, 12))
    ax.plot([0, 1], [0, 1])
    shown = ReportFigure(fig, "A tall figure")
    img = shown.to_html("ek-figure ek-glance-chart ek-glance-tall" if where == "card" else "ek-figure")
    body = (f'<div class="jp-RenderedImage jp-OutputArea-output ek-figure ek-wide">{img}</div>' if where == "figure"
            else f'<section class="at-a-glance"><div class="ek-figure-scroll">{img}</div></section>')
    css = (Path(__file__).resolve().parents[1] / "evalkit" / "templates" / "nbconvert" / "evalkit" / "static"
           / "report.css").read_text(encoding="utf-8")
    document = _print(string=f"<html><head><style>{css}</style></head><body class='ek-report'>"
                             f"<main class='ek-main'><p>Before.</p>{body}</main></body></html>")
    (n, box), = [(n, b) for n, b in _laid_out(document) if isinstance(b, boxes.ReplacedBox)]
    page = document.pages[n]._page_box
    assert box.position_y + box.height <= page.content_box_y() + page.height + 0.5   # within the page's content
    drawn_w, drawn_h = (float(x) for x in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', shown.svg()).groups())
    assert box.width / box.height == pytest.approx(drawn_w / drawn_h, rel=0.01)          # shrunk, not squashed


def _overlapping_x_labels(figure) -> int:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    pairs = 0
    for ax in figure.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
        pairs += sum(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    return pairs


def test_an_indicator_recorded_monthly_for_two_years_labels_its_axis_readably():
    # F-T: every period was a tick label: 24 monthly values printed their dates over each other (123 pairs)
    import pandas as pd

    from evalkit.health_plots import plot_indicator_trends

    months = pd.date_range("2024-01-01", periods=24, freq="MS").strftime("%Y-%m-%d")
    trend = pd.DataFrame({"indicator": "h", "label": "Volunteer hours", "unit": "hours", "period": months,
                          "period_rank": range(24), "value": [100.0 + 10 * i for i in range(24)], "suppressed": False})
    two = pd.concat([trend, trend.assign(indicator="e", label="Events held", unit="events")], ignore_index=True)
    for table in (trend, two):
        figure = plot_indicator_trends(table)
        assert _overlapping_x_labels(figure) == 0
        shown = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
        assert shown[0] == "2024-01-01" and 4 <= len(shown) < 24, shown


def test_check_in_panels_of_many_check_ins_label_their_axis_readably(sample_data):
    import pandas as pd

    from evalkit.health_plots import plot_partner_survey
    from evalkit.partner_survey import partner_survey_summary

    summary = partner_survey_summary(sample_data, "riverside-literacy")
    periods = sorted(summary["period"].unique())
    first = summary[summary["period"] == periods[0]]
    dates = pd.date_range("2024-01-01", periods=12, freq="MS").strftime("%Y-%m-%d")
    many = pd.concat([first.assign(period=d, period_rank=i) for i, d in enumerate(dates)], ignore_index=True)
    assert _overlapping_x_labels(plot_partner_survey(many)) == 0


def test_two_milestones_alike_but_in_their_middle_keep_different_labels():
    # F-B (residual): the timeline shortened each milestone's name on its own: two named alike but for a word in the
    # middle read the same
    import pandas as pd

    from evalkit.health_plots import plot_milestones

    names = [f"Hold the planning meeting with every partner organisation ({w} round) and agree the budget for the "
             "next two years with the school board" for w in ("first", "second")] + ["Launch"]
    status = pd.DataFrame({"partnership_id": "p", "milestone": names, "due_date": pd.to_datetime(["2025-01-01",
                           "2025-03-01", "2025-05-01"]), "done_date": pd.to_datetime(["2025-01-05", None, None]),
                           "state": ["done late", "overdue", "not yet due"], "as_of": pd.Timestamp("2025-04-01")})
    figure = plot_milestones(status)
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(set(labels)) == 3, labels
    assert _overlapping_labels(figure) == []


def test_a_change_over_time_interval_past_the_end_of_its_scale_is_drawn_whole():
    # F-H: the axis was widened to a quarter of the scale inside the scale, so a t interval past its end (a mean of
    # 4.95 of 1-5, its interval to 5.05) was cut at 5 and lost its cap
    import pandas as pd

    from evalkit.waves import plot_trajectory

    t = pd.DataFrame({"measure": "e", "label": "Engagement (1-5)", "kind": "continuous", "group": "All participants",
                      "group_variable": "", "wave": ["pre", "post", "follow-up"], "order": [0, 1, 2],
                      "mean": [4.9, 4.95, 4.97], "suppressed": False, "note": ""})
    t["ci_low"], t["ci_high"] = t["mean"] - 0.08, t["mean"] + 0.08
    low, high = plot_trajectory(t, title="", scales={"e": (1, 5)}).axes[0].get_ylim()
    assert low <= 4.82 and high >= 5.05 and high - low >= 1   # every interval whole, and a quarter of the scale


def test_check_in_rows_with_longer_titles_keep_the_height_of_the_other_rows(sample_data):
    # F-E (residual): the rows shared their margins and gaps but not their top: a row whose titles took two lines had
    # panels 0.17 in shorter than the row of one-line titles, the same 1-5 scale drawn shorter
    ps = sample_data.partner_survey
    mine = ps[ps["partnership_id"] == "riverside-literacy"]
    first = mine[mine["item"] == mine["item"].iloc[0]]
    import pandas as pd

    labels = ["Communication between the partners is open and timely"] * 3 + ["Trust", "Goals"]
    survey = pd.concat([first.assign(item=f"item{i}", label=f"{label} ({i})") for i, label in enumerate(labels)],
                       ignore_index=True)
    figures = _health(sample_data, survey=survey).partners_figures()
    heights = [round(ax.get_position().height * f.figure.get_figheight(), 2)
               for f in figures for ax in f.figure.axes if ax.axison]
    assert len(figures) == 2 and max(heights) - min(heights) < 0.03, heights


def test_a_row_of_indicator_charts_with_a_withheld_value_keeps_the_height_of_the_others():
    # the note on withheld values took its band out of the row's height (4% of it), so that row's charts were
    # shorter than the others' (as the distributions' were before trial 13): the band is added under them instead
    import pandas as pd

    from evalkit.health_plots import plot_indicator_trends

    def row(suppressed: bool):
        t = pd.DataFrame({"indicator": ["a"] * 3 + ["b"] * 3, "label": ["A"] * 3 + ["B"] * 3, "unit": "events",
                          "period": ["q1", "q2", "q3"] * 2, "period_rank": [0, 1, 2] * 2,
                          "value": [10.0, 20.0, 30.0, 5.0, 6.0, 7.0], "suppressed": False})
        if suppressed:
            t.loc[1, ["value", "suppressed"]] = [float("nan"), True]
        figure = plot_indicator_trends(t, columns=2)
        return [ax.get_position().height * figure.get_figheight() for ax in figure.axes if ax.axison]

    assert row(True) == pytest.approx(row(False), abs=0.03)


def test_a_label_in_wide_characters_is_wrapped_by_its_width():
    # F-C: wrap_label counted characters, and a Chinese character is as wide as two Latin ones: a label of 35 of them
    # stayed on one line about 70 characters wide, and squeezed the chart's data into a sixth of its width
    import unicodedata

    def cells(line: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)

    label = "学生在课堂上的参与度和学习动机以及对未来职业规划的信心程度评估量表分数 (1-5)"
    lines = wrap_label(label, 40).split("\n")
    assert len(lines) == 2 and all(cells(line) <= 44 for line in lines), [cells(line) for line in lines]
    assert wrap_label("Sense of belonging (1-5)", 40) == "Sense of belonging (1-5)"


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")   # no CJK font on this machine
def test_a_panel_title_in_wide_characters_is_wrapped_by_its_width():
    # F-C (rest): the distribution and change-over-time panel titles wrapped by characters, so a Chinese label made a
    # title twice the panel's width
    import unicodedata

    import pandas as pd

    from evalkit.plots import _panel_title
    from evalkit.waves import plot_trajectory

    def widest(title: str) -> int:
        return max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line) for line in title.split("\n"))

    label = "学生在课堂上的参与度和学习动机以及对未来职业规划的信心程度评估 (1-5)"
    assert widest(_panel_title(label, 120)) <= 30
    t = pd.DataFrame({"measure": "e", "label": label, "kind": "continuous", "group": "All participants",
                      "group_variable": "", "wave": ["pre", "post"], "order": [0, 1], "mean": [3.0, 3.2],
                      "suppressed": False, "note": ""})
    t["ci_low"], t["ci_high"] = t["mean"] - 0.2, t["mean"] + 0.2
    title = plot_trajectory(t, title="", panel_size=(4.0, 2.0)).axes[0].get_title()
    assert widest(title) <= 40, title
