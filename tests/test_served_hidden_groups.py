"""Who was served judges only the groups it shows (trial 11, F3).

Uplands Peer Tutoring (sample data): every group's count is blanked, because *Results by group* blanks them (only
24 answered both surveys), yet every row of the table read "in line", the text concluded "No group is
under-represented beyond what chance would explain", the figure on the same page said no group could be compared,
and the portfolio counted "10 groups compared, 0 under-represented". A verdict on a blanked group also bounds its
hidden count (under-represented: at most so many), and tells a small group from one blanked to protect it, the
distinction the one "not shown" label exists to hide (privacy, rule 2). A blanked group is not judged.
"""
from __future__ import annotations

import evalkit as ek
from evalkit import community
from evalkit.health_report import HealthSections, PortfolioHealth

JUDGED = {community.UNDER, community.OVER, community.IN_LINE}


def test_no_blanked_group_carries_a_verdict(sample_data):
    g = community.representation_gap(sample_data)
    hidden = g[g["suppressed"]]
    assert len(hidden) and not set(hidden["verdict"]) & JUDGED
    assert set(hidden.loc[hidden["n_known"].notna(), "verdict"]) == {community.NOT_JUDGED}
    assert set(g.loc[~g["suppressed"], "verdict"]) <= JUDGED


def test_uplands_says_its_groups_could_not_be_compared(sample_data):
    part = sample_data.for_partnership("uplands-tutoring")
    h = HealthSections(part, "uplands-tutoring")
    assert h.representation["suppressed"].all()
    text = h.served()
    assert "No group is under-represented" not in text
    assert "No group can be compared with the community" in text
    table = h.representation_table()
    assert set(table["Verdict"]) == {community.NOT_JUDGED}
    row = PortfolioHealth(sample_data).representation_table().loc["Uplands Peer Tutoring"]
    assert row["Groups compared"] == 0 and row["Under-represented"] == 0


def test_a_partnership_with_some_groups_blanked_says_they_were_not_judged(sample_data):
    g = community.representation_gap(sample_data)
    some = g.groupby("partnership_id")["suppressed"].agg(["any", "all"])
    pid = some[some["any"] & ~some["all"]].index[0]
    n_hidden = int(g.loc[(g["partnership_id"] == pid) & g["suppressed"]].shape[0])
    text = HealthSections(sample_data.for_partnership(pid), pid).served()
    assert f"{n_hidden} group{'s' if n_hidden != 1 else ''} not shown (privacy) {'are' if n_hidden != 1 else 'is'} " \
           "not judged" in text
