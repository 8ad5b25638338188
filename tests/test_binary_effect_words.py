"""A yes/no measure's odds ratio of change read as words a reader can take in (trial 11, F7).

Civic Coders' "Volunteered in the last month" (sample data): 6 participants changed from no to yes and none from
yes to no (trial 9 counted them from responses.csv). The odds ratio of change, (no -> yes) / (yes -> no), is 6/0:
the table printed "∞ (odds ratio of change)" and "1.18 to ∞", which a lay reader takes for an error. The interval
(exact, from the binomial interval of 6 of 6 discordant pairs) has no upper end. The methods said the ratio was
"improved / worsened", which reads backwards for a measure where yes is the worse answer.
"""
from __future__ import annotations

import pandas as pd
from scipy import stats

import evalkit as ek
from evalkit.narrate import methods_note, outcomes_table


def test_an_odds_ratio_of_change_with_no_change_the_other_way_is_said_in_words(sample_data):
    d = sample_data.for_partnership("civic-coders")
    table = ek.compare_prepost(d, "civic-coders")
    row = table[table["measure"] == "volunteered"]
    # independently: the exact (Clopper-Pearson) lower bound of 6 of 6, as an odds p / (1 - p)
    p_low = stats.binomtest(6, 6).proportion_ci(0.95, method="exact").low
    assert round(p_low / (1 - p_low), 2) == 1.18
    cells = outcomes_table(row).iloc[0]
    assert "\u221e" not in cells["Effect size"] and "\u221e" not in cells["Effect 95% CI"]
    assert cells["Effect size"] == "not defined: nobody changed from yes to no (odds ratio of change)"
    assert cells["Effect 95% CI"] == "1.18 or more"


def test_the_methods_say_which_way_the_odds_ratio_of_change_is_taken(sample_data):
    table = ek.compare_prepost(sample_data, "civic-coders")
    text = methods_note(table, sample_data)
    assert "odds ratio of change (participants changing from no to yes / from yes to no;" in text
    assert "(improved / worsened)" not in text
