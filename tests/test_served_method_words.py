"""Who was served: the method sentence says which shares it divides, and that over-representation is flagged too
(trial 12 F8).

Riverside read "the group's share among participants (whose value is known) divided by its share in the community"
and then "For Race/ethnicity, the number of participants with no recorded value is not shown; they are counted in
the shares": a reader could not tell which denominator was used. It also said "A group is flagged when the whole
95% interval (Wilson) is below 1" beside groups flagged over-represented.
"""
from __future__ import annotations

import pandas as pd

from conftest import ROOT
from evalkit.health_report import HealthSections


def test_riverside_names_the_denominator_of_each_characteristic(sample_data):
    people = pd.read_csv(ROOT / "data" / "sample" / "participants.csv")
    river = people[people["partnership_id"] == "riverside-literacy"]
    assert river["race_ethnicity"].isna().sum() == 12   # no race recorded: blanked with a small group (privacy)
    text = HealthSections(sample_data, "riverside-literacy").served()
    assert ("For Race/ethnicity the shares are of every participant instead: the number with no recorded value is "
            "not shown, so that it cannot be worked out, and they count in the total, in none of the groups.") in text
    assert "they are counted in the shares" not in text
    assert ("A group is flagged under-represented when the whole 95% interval (Wilson) is below 1, and "
            "over-represented when it is above 1") in text


def test_several_characteristics_are_listed_with_and():
    from evalkit.health_report import _and_list

    assert _and_list(["Race/ethnicity"]) == "Race/ethnicity"
    assert _and_list(["Race/ethnicity", "Low income"]) == "Race/ethnicity and Low income"
    assert _and_list(["A", "B", "C"]) == "A, B and C"
