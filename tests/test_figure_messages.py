"""A figure with nothing to draw is a sentence, not a picture of one (trial 11 F9).

cafe-societe's distribution figure was a PNG/SVG of the words "Too few matched participants to show
distributions.": about 4 px high on a phone, in another font in print, and not text a screen reader or a
search finds. A figure that has only a message to give now shows that message as text.
"""
from __future__ import annotations

import evalkit as ek
from evalkit.figures import ReportFigure, figure_message
from evalkit.health_plots import plot_milestones
from evalkit.plots import plot_attendance

import pandas as pd


def test_a_message_figure_is_shown_as_a_paragraph_of_text():
    shown = ReportFigure(plot_attendance(pd.DataFrame(columns=["date", "rate"])), "No attendance.")
    data, meta = shown._repr_mimebundle_()
    assert "image/svg+xml" not in data and "image/png" not in data
    assert data["text/html"] == ('<p class="ek-figure-message">Attendance was not recorded, or every session had '
                                 'too few attenders to show.</p>')
    assert shown.to_html() == data["text/html"]


def test_the_message_is_escaped_and_a_drawn_figure_is_still_an_image():
    import matplotlib.pyplot as plt

    assert figure_message(plot_milestones(pd.DataFrame())) == "No action plan was recorded."
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    drawn = ReportFigure(fig, "Line chart rising.")
    assert figure_message(fig) is None
    assert "image/svg+xml" in drawn._repr_mimebundle_()[0]
    ax.text(0.5, 0.5, "<b>not a message</b>")   # text on a drawn figure does not make it a message
    assert figure_message(fig) is None


def test_cafe_societe_says_in_text_that_it_has_too_few_pairs_for_distributions(sample_data):
    report = ek.PartnershipReport(sample_data, "cafe-societe")
    data, _ = report.distribution_figure()._repr_mimebundle_()
    assert data["text/html"] == '<p class="ek-figure-message">Too few matched participants to show distributions.</p>'
    assert "image/svg+xml" not in data
