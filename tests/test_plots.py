"""Report figures of change: what they leave out for privacy, they say on the figure; what they cannot draw, they refuse."""
from __future__ import annotations

import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from builders import long_responses, measure, write_tables
from evalkit.errors import InputError
from evalkit.figures import describe_change, describe_distributions, report_style
from evalkit.plots import plot_change, plot_distributions


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    """Partnership "a": 20 people answered skills (0-20) and confidence (1-5) at both waves, only 6 of them
    knowledge (0-20): with k = 10, knowledge is suppressed. Partnership "b": 12 people, skills only.
    Gender in "a": 10 women, 10 men."""
    rng = np.random.default_rng(7)
    pre = rng.integers(4, 14, 20)
    frames = [long_responses("a", "skills", pre, pre + rng.integers(0, 5, 20)),
              long_responses("a", "confidence", rng.integers(1, 4, 20), rng.integers(2, 6, 20)),
              long_responses("a", "knowledge", pre[:6], pre[:6] + 2),
              long_responses("b", "skills", pre[:12], pre[:12] + 1, prefix="b")]
    responses = pd.concat(frames, ignore_index=True)
    participants = responses[["participant_id", "partnership_id"]].drop_duplicates().reset_index(drop=True)
    participants["gender"] = ["woman" if i % 2 else "man" for i in range(len(participants))]
    folder = write_tables(tmp_path_factory.mktemp("plots") / "data", responses,
                          [measure("skills", lo=0, hi=20), measure("knowledge", lo=0, hi=20),
                           measure("confidence", kind="ordinal", lo=1, hi=5)], participants=participants)
    return folder


@pytest.fixture(scope="module")
def data(data_folder):
    return ek.load_data(data_folder)


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]


def _assert_readable(fig):
    """Every text at least 9 pt (the report style's floor), and no text over another."""
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    texts = _texts(fig)
    assert [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 9] == []
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    assert [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)] == []


@pytest.mark.parametrize("k", [10, 8])
def test_the_change_figure_says_how_many_measures_it_withheld(data, k):
    """Knowledge (6 matched pairs) was missing from the figure with no word on it; only the alt text said so."""
    table = ek.compare_prepost(data, "a", min_group_size=k)
    assert table.set_index("measure")["suppressed"].to_dict() == {"confidence": False, "knowledge": True,
                                                                  "skills": False}
    note = f"1 measure not shown: fewer than {k} people."   # the k the table was suppressed at
    with report_style():
        fig = plot_change(table)
    assert note in [t.get_text() for t in _texts(fig)]
    assert sorted(t.get_text() for t in fig.axes[0].get_yticklabels()) == ["Confidence", "Skills"]
    _assert_readable(fig)
    fig.set_size_inches(6.5, 0.26 * len(table) + 1.2)   # as the at-a-glance card draws it
    _assert_readable(fig)
    plt.close(fig)
    alt = describe_change(table)
    assert alt.endswith(" " + note) and "Knowledge" not in alt   # the alt text says what the figure says


def test_the_change_figure_says_nothing_when_nothing_is_withheld(data):
    table = ek.compare_prepost(data, "a", measures=["skills", "confidence"])
    with report_style():
        fig = plot_change(table)
    assert not [t for t in _texts(fig) if "not shown" in t.get_text()]
    assert "not shown" not in describe_change(table)
    plt.close(fig)


@pytest.mark.parametrize("measures", [None, ["skills", "knowledge", "confidence"]])
def test_the_distributions_figure_says_how_many_measures_it_withheld(data, measures):
    """Knowledge was left out of the panels with no note, and the alt text did not mention it either."""
    with report_style():
        fig = plot_distributions(data, "a", measures, min_group_size=10)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 2 and not [t for t in titles if "Knowledge" in t]
    note = "1 measure not shown: fewer than 10 people."
    assert note in [t.get_text() for t in _texts(fig)]
    _assert_readable(fig)
    plt.close(fig)
    alt = describe_distributions(data, "a", measures, min_group_size=10)
    assert alt.endswith(" " + note) and "Knowledge" not in alt
    # with k = 5 all three are drawn, and nothing is said to be withheld
    with report_style():
        fig = plot_distributions(data, "a", measures, min_group_size=5)
    assert len(fig.axes) == 3 and not [t for t in _texts(fig) if "not shown" in t.get_text()]
    assert "not shown" not in describe_distributions(data, "a", measures, min_group_size=5)
    plt.close(fig)


def test_a_change_table_of_several_groups_or_partnerships_is_refused(data):
    """Given groups, the figure drew each measure once per group with no group name (and dropped the suppressed
    groups silently); given every partnership, dozens of rows with no partnership name."""
    grouped = ek.compare_prepost(data, "a", by="gender")
    with pytest.raises(InputError, match=r"one partnership and one group.*2 groups of 'gender'.*without by"):
        plot_change(grouped)
    with pytest.raises(InputError, match=r"2 groups of 'gender'"):
        describe_change(grouped)
    everyone = ek.compare_prepost(data)
    with pytest.raises(InputError, match=r"2 partnerships \('a', 'b'\).*compare_prepost\(data, 'a'\)"):
        plot_change(everyone)
    with pytest.raises(InputError, match=r"2 partnerships"):
        describe_change(everyone)
    # the rows of one group are one figure: each measure once
    women = grouped[grouped["group"] == "woman"]
    with report_style():
        fig = plot_change(women)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == len(set(labels)) >= 1
    plt.close(fig)
    assert describe_change(women)


def test_a_measure_blanked_to_protect_a_smaller_group_is_not_said_to_be_small(tmp_path):
    """Complementary suppression blanks a group of k or more (else the small group's numbers follow by
    subtraction); the note on each group's figure gives both reasons, not "fewer than 10 people" for the small
    one only (trial 8: telling them apart bounds the small one)."""
    ids = [f"p{i}" for i in range(1, 25)]
    gender = pd.DataFrame({"participant_id": ids, "partnership_id": "c",
                           "gender": ["woman"] * 12 + ["man"] * 12})
    # knowledge: p10-p24, i.e. 3 women (p10-p12) and 12 men
    responses = pd.concat([long_responses("c", "skills", list(range(24)), [v + 1 + v % 3 for v in range(24)]),
                           long_responses("c", "knowledge", [5] * 15, [7 + i % 3 for i in range(15)], start=10)],
                          ignore_index=True)
    assert responses.loc[responses["measure"] == "knowledge", "participant_id"].nunique() == 15
    folder = write_tables(tmp_path / "data", responses, [measure("skills", lo=0, hi=40),
                                                          measure("knowledge", lo=0, hi=20)], participants=gender)
    grouped = ek.compare_prepost(ek.load_data(folder), "c", by="gender")
    knowledge_rows = grouped[grouped["measure"] == "knowledge"].set_index("group")
    assert knowledge_rows["suppressed"].all()   # the 3 women, and the 12 men so the 3 cannot be recovered
    note = "1 measure not shown: fewer than 10 people, or left out with one so that it cannot be worked out by subtraction."
    for group in ("woman", "man"):
        rows = grouped[grouped["group"] == group]
        with report_style():
            fig = plot_change(rows)
        assert note in [t.get_text() for t in _texts(fig)]
        _assert_readable(fig)
        plt.close(fig)
        assert describe_change(rows).endswith(" " + note)


@pytest.mark.parametrize("k", [10, 8])
def test_a_report_with_a_suppressed_measure_says_so_on_each_figure_and_in_its_alt_text(data, k):
    """The analyst's trial: "Knowledge" had too few matched pairs; only the change figure's alt text said so."""
    report = ek.report.PartnershipReport(data, "a", min_group_size=k)
    note = f"1 measure not shown: fewer than {k} people."
    for shown in (report.glance_chart(), report.change_figure(), report.distribution_figure()):
        assert note in [t.get_text() for t in _texts(shown.figure)]
        _assert_readable(shown.figure)
        assert shown.alt.endswith(" " + note) and "Knowledge" not in shown.alt


@pytest.mark.integration  # runs cells in a real IPython kernel with the inline backend
def test_a_figure_returned_as_a_cells_last_value_is_shown_once(data_folder, tmp_path):
    """In Jupyter a pyplot figure is shown at the end of its cell, and a Figure that is the cell's last value is
    shown again by the display hook: every plotting function's figure appeared twice. Each must appear once
    however the cell is written, and again when the figure is asked for in a later cell."""
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    folder = str(data_folder)
    setup = (f"import evalkit as ek\n%matplotlib inline\n"
             f"data = ek.load_data({folder!r})\n"
             "table = ek.compare_prepost(data, 'a')")
    cells = ["ek.plots.plot_change(table)",                 # the figure is the cell's value
             "fig = ek.plots.plot_change(table)",           # assigned: shown at the end of the cell
             "fig",                                         # asked for again in a later cell
             "ek.plots.plot_distributions(data, 'a')",
             "ek.plots.plot_change(table);"]                # the semicolon habit
    nb = new_notebook(cells=[new_code_cell(setup)] + [new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [sum("image/png" in o.get("data", {}) or "image/svg+xml" in o.get("data", {}) for o in cell.outputs)
              for cell in nb.cells[1:]]
    assert images == [1, 1, 1, 1, 1], dict(zip(cells, images))


def _unbounded_table():
    """Three measures as compare_prepost gives them: 'hours' has no scale bounds (so the figure standardises every
    measure by its baseline SD), 'skills' is 1-5 with baseline SD 0.5, 'attended' had no spread at baseline."""
    return pd.DataFrame({
        "partnership_id": "a", "group": "All participants", "label": ["Hours volunteered", "Skills (1-5)", "Attended"],
        "mean_change": [6.0, 0.25, 0.5], "ci_low": [2.0, 0.05, 0.1], "ci_high": [10.0, 0.45, 0.9],
        "sd_pre": [4.0, 0.5, 0.0], "scale_min": [np.nan, 1.0, 0.0], "scale_max": [np.nan, 5.0, 1.0],
        "verdict": ["improved", "improved", "improved"], "suppressed": False, "note": ""})


def test_the_standardised_change_figure_says_which_measures_it_cannot_standardise():
    """A measure without scale bounds puts the figure in baseline SDs; a measure with no spread at baseline then
    has no SD to divide by and was dropped without a word, from the figure and its alt text."""
    table = _unbounded_table()
    fig = plot_change(table)
    texts = " ".join(t.get_text() for t in _texts(fig))
    assert "1 measure not shown: no spread at the first wave" in texts
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Skills (1-5)", "Hours volunteered"]
    plt.close(fig)


def test_the_standardised_change_figures_alt_text_states_baseline_sds_not_percentages():
    """The alt text computed percentages of a range the measure does not have ('nan%') and called the axis a
    share of each scale's range, while the figure drew baseline SDs."""
    alt = describe_change(_unbounded_table())
    assert "nan" not in alt.split() and "percentage" not in alt and "nan%" not in alt
    assert "in baseline standard deviations" in alt
    # hours: 6 / 4 = +1.5 SD (CI 2/4 to 10/4); skills: 0.25 / 0.5 = +0.5 SD (CI 0.05/0.5 to 0.45/0.5), by hand
    assert "Hours volunteered +1.50 SD (95% CI +0.50 SD to +2.50 SD), improved" in alt
    assert "Skills (1-5) +0.50 SD (95% CI +0.10 SD to +0.90 SD), improved" in alt
    assert alt.endswith("1 measure not shown: no spread at the first wave, so no standard deviation to divide by.")


@pytest.mark.parametrize("panel_size", [(4.6, 3.2), (4.6, 2.4), (6.0, 2.0)])
def test_the_trajectory_notes_on_withheld_means_stay_inside_the_figure(sample_data, panel_size):
    # By gender at k = 30, riverside's men, non-binary and not-recorded means are withheld: the note ("6 means not
    # shown: fewer than 30 people, or left out with one ...") ran on one line past the figure's right edge, 1219 px
    # of a 920 px figure, cut off in the report, and matplotlib warned that tight_layout could not be applied.
    import warnings

    table = ek.waves.trajectory(sample_data, "riverside-literacy", by="gender", min_group_size=30)
    assert table["suppressed"].any() and (~table["suppressed"]).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # "Tight layout not applied" fails the test
        with report_style():
            fig = ek.waves.plot_trajectory(table, min_group_size=30, panel_size=panel_size)
        fig.canvas.draw()
    renderer, edge = fig.canvas.get_renderer(), fig.bbox
    notes = [t for t in fig.findobj(matplotlib.text.Text) if "not shown" in t.get_text()]
    assert notes
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_text().strip() and text.get_visible():
            box = text.get_window_extent(renderer)
            assert edge.x0 - 1 <= box.x0 and box.x1 <= edge.x1 + 1 and edge.y0 - 1 <= box.y0, text.get_text()
    plt.close(fig)


@pytest.mark.sample_wide
def test_no_report_figure_grows_wider_than_the_page_when_cropped(sample_data):
    # Trial 11 (F6): riverside's Who was served figure printed at about 5 pt: its note ("1 group not drawn: ...")
    # ran on one line past the axes, the crop to the drawn content grew the 7.5 in figure to 10.8 in, and print
    # scaled it down to fit. Every figure of the report stays within its 7.5 in design width (plus the crop's pad).
    import re

    from evalkit.health_report import HealthSections

    pid = "riverside-literacy"
    part = sample_data.for_partnership(pid)
    report, health = ek.report.PartnershipReport(part, pid), HealthSections(part, pid)
    figures = [report.glance_chart(), report.attendance_figure(), report.distribution_figure(),
               report.satisfaction_figure(), report.trajectory_figure(), health.indicators_figure(),
               health.milestones_figure(), health.partners_figure(), health.representation_figure()]
    widths = {}
    for f in figures:
        width = float(re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', f.svg()).group(1)) / 72
        widths[f.alt[:40]] = round(width, 2)
        plt.close(f.figure)
    assert max(widths.values()) <= 7.7, widths


@pytest.mark.sample_wide
def test_the_change_figures_show_each_measures_label_in_full(sample_data):
    # The at-a-glance chart cut long labels to 48 characters: "How often I practise what I learned (1 never..." lost
    # the scale's anchors, which say what a change on it means. A long label wraps onto a second line instead,
    # in the report's change figure and in the compact at-a-glance chart, with no label over another.
    drawn = set()
    for pid in ["riverside-literacy", "harbor-health"]:   # every sample measure; harbor's skills declined
        report = ek.report.PartnershipReport(sample_data, pid)
        for shown in (report.glance_chart(), report.change_figure()):
            if shown is None or shown.message is not None:
                continue
            ticks = [t.get_text() for t in shown.figure.axes[0].get_yticklabels()]
            labels = [" ".join(t.split()) for t in ticks]
            full = report.outcomes.loc[~report.outcomes["suppressed"], "label"].tolist()
            # a scale's anchors are kept together on a line of their own when the label wraps
            assert [t.split("\n")[-1] for t in ticks if t.startswith("How often")] == ["(1 never - 5 always)"]
            assert sorted(labels) == sorted(full), pid
            drawn.update(labels)
            _assert_readable(shown.figure)
            plt.close(shown.figure)
    assert "How often I practise what I learned (1 never - 5 always)" in drawn


def test_no_sample_report_figure_cuts_a_label_short(sample_data):
    # The partners' check-in figure titled its panels "Communication between the..." (the item is "Communication
    # between the partners is open and timely"): cut at 34 characters, the panel no longer said what was asked.
    from evalkit.health_report import HealthSections

    cut = set()
    for pid in ["riverside-literacy"]:   # the longest milestones; the partners' survey items are every partnership's
        health = HealthSections(sample_data, pid)
        for shown in (health.indicators_figure(), health.milestones_figure(), health.partners_figure(),
                      health.representation_figure()):
            if shown is None:
                continue
            cut |= {t.get_text() for t in _texts(shown.figure) if t.get_text().endswith("...")}
            if shown.message is None and "check-in" in shown.alt:   # its panel titles wrap: over nothing
                _assert_readable(shown.figure)
            plt.close(shown.figure)
    assert cut == set()


def test_a_reports_distributions_come_a_row_of_panels_at_a_time(sample_data, data):
    # Print left page 3 of 11 sample reports 56% blank: the distributions, one figure of three rows, did not fit
    # under the outcomes table. The report draws them a row at a time: the same panels in the same order, the
    # note on withheld measures under the last row, each row with its own alt text. At k = 207, riverside's
    # self-rated skills (206 matched participants) is withheld and six measures are drawn.
    report = ek.report.PartnershipReport(sample_data, "riverside-literacy", min_group_size=207)
    whole, rows = report.distribution_figure(), report.distribution_figures()

    def titles(shown):
        return [ax.get_title() for ax in shown.figure.axes]

    assert [len(titles(row)) for row in rows] == [3, 3]
    assert sum((titles(row) for row in rows), []) == titles(whole)
    assert not any("Self-rated skills" in t for t in titles(whole))
    note = "1 measure not shown: fewer than 207 people."
    assert [note in [t.get_text() for t in _texts(row.figure)] for row in rows] == [False, True]
    assert [row.alt.endswith(" " + note) for row in rows] == [False, True]
    # trial 13 (F6): the note's band was taken out of the last row's height, its panels a fifth shorter than the
    # row above them, on other tick steps; the band is added under them instead
    heights = [[ax.get_position().height * row.figure.get_size_inches()[1] for ax in row.figure.axes] for row in rows]
    assert max(heights[1]) == pytest.approx(min(heights[0]), rel=0.03), heights
    for row in rows:   # each row's alt text describes its own panels, and only those
        described = [label for label in report.outcomes["label"] if label + ":" in row.alt]
        assert described == [label for label in report.outcomes["label"]
                             if any(t.startswith(label[:20]) for t in titles(row))]
        _assert_readable(row.figure)
        plt.close(row.figure)
    small = ek.report.PartnershipReport(data, "a")   # two measures drawn: one row, the one figure
    assert [row.alt for row in small.distribution_figures()] == [small.distribution_figure().alt]
