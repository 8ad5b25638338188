"""What a printed report says about itself must hold on paper (trial 11).

F2: Results by group sent a printed reader to "the appendix below", which print leaves out (the folded tables are
for the screen; print points to the workbook).
"""
from __future__ import annotations

from IPython.display import Markdown

import evalkit as ek


def test_results_by_group_name_the_workbook_first_and_the_appendix_as_on_screen_only(sample_data):
    report = ek.report.PartnershipReport(ek.load_data(sample_data.data_dir, "riverside-literacy"),
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
    table = ek.compare_prepost(ek.load_data(sample_data.data_dir, "cafe-societe"), "cafe-societe")
    assert table["suppressed"].all()
    assert set(outcomes_table(table)["Verdict"]) == {"not shown"}
