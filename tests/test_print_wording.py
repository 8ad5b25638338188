"""What a printed report says about itself must hold on paper (trial 11).

F2: Results by group sent a printed reader to "the appendix below", which print leaves out (the folded tables are
for the screen; print points to the workbook).
"""
from __future__ import annotations

from IPython.display import Markdown

import evalkit as ek


def test_results_by_group_name_the_workbook_first_and_the_appendix_as_on_screen_only(sample_data):
    report = ek.report.PartnershipReport(sample_data.for_partnership("riverside-literacy"),
                                         "riverside-literacy")
    texts = [x.data for x in report.results_by_group() if isinstance(x, Markdown)]
    pointer = next(t for t in texts if "appendix" in t)
    assert "is in the appendix below" not in pointer
    assert pointer.endswith("is in the Excel workbook, one sheet per characteristic, and, on screen, in the "
                            "appendix below.")


def test_a_withheld_outcome_reads_not_shown_not_suppressed(sample_data):
    # F9: cafe-societe's outcomes table gave every row the verdict "suppressed", jargon that sounds like hiding
    # results; its n column already reads "not shown" for what is withheld (privacy's one label, rule 2).
    from evalkit.narrate import outcomes_table, verdict_word

    assert verdict_word("suppressed") == "not shown"
    table = ek.compare_prepost(sample_data.for_partnership("cafe-societe"), "cafe-societe")
    assert table["suppressed"].all()
    assert set(outcomes_table(table)["Verdict"]) == {"not shown"}


def test_targets_not_yet_judged_are_counted_beside_those_met(sample_data, tmp_path):
    # F13: a partnership that set 5 targets, 4 of them judged, read "0 of 4 targets met" on page one, on its index
    # card and in the portfolio: the fifth was not mentioned, as if it had set 4 (the body said "1 could not be
    # judged").
    import copy

    import pandas as pd

    from evalkit.batch.publish import write_index

    report = ek.report.PartnershipReport(sample_data.for_partnership("riverside-literacy"),
                                         "riverside-literacy")
    report.all_targets = pd.DataFrame({"verdict": ["not met", "not met", "inconclusive", "not met", "no data"]})
    html = report.at_a_glance().data
    assert ">0 of 4<" in html and "targets met (1 more not yet judged)" in html
    manifest = {"finished": "2026-01-05T14:48:55+00:00", "partnerships": {"p01": {
        "name": "Alpha", "status": "ok", "files": {"html": "p01.html"},
        "headline": {"headline": "h", "targets_met": 0, "targets_total": 4, "targets_set": 5, "flags": []}}}}
    page = write_index(tmp_path, copy.deepcopy(manifest)).read_text()
    assert "<strong>0 of 4</strong> targets met (1 more not yet judged)" in page


def test_the_portfolio_counts_targets_not_yet_judged_beside_those_met(sample_data):
    from evalkit.report_portfolio import PortfolioReport

    port = PortfolioReport(sample_data)
    o = port.overview.copy()
    o.loc[0, ["targets_met", "targets_total", "targets_set"]] = [0, 4, 5]
    port.overview = o
    assert port.overview_table()["Targets met"].iloc[0] == "0 of 4 (1 more not yet judged)"


def test_over_represented_groups_name_their_characteristic_once(sample_data):
    # F13: "Over-represented: Race/ethnicity: Black; Race/ethnicity: Multiracial." (riverside)
    from evalkit.health_report import HealthSections

    h = HealthSections(sample_data.for_partnership("riverside-literacy"), "riverside-literacy")
    over = h.representation[h.representation["verdict"] == "over-represented"]
    assert set(over["characteristic"]) == {"race_ethnicity"} and len(over) == 2
    assert "Over-represented: Race/ethnicity: Black, Multiracial." in h.served()


def test_results_by_group_announce_a_table_only_when_one_follows(sample_data):
    # F9: the section's fixed introduction (in the template) announced "the table below" for credible differences
    # and cafe-societe's section then said change was not compared at all. The introduction now comes with the
    # tables it describes.
    cafe = ek.report.PartnershipReport(sample_data.for_partnership("cafe-societe"), "cafe-societe")
    parts = cafe.results_by_group()
    assert len(parts) == 1 and "table below" not in parts[0].data and "Change is not compared" in parts[0].data
    river = ek.report.PartnershipReport(sample_data.for_partnership("riverside-literacy"), "riverside-literacy")
    parts = river.results_by_group()
    assert isinstance(parts[0], Markdown) and parts[0].data.startswith("Did change differ across groups")
    assert "the table below it shows who took part" in parts[0].data   # Low income: a credible difference follows
    import nbformat

    from conftest import ROOT

    template = nbformat.read(ROOT / "templates" / "partnership_report.ipynb", as_version=4)
    heading = next(c for c in template.cells if c.source.startswith("## Results by group"))
    assert heading.source.strip() == "## Results by group"   # the template only names the section
