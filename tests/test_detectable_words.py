"""Page one's "No clear change is not proof of no effect" sentence (trial 11 F13).

Riverside read "with a median of 210 participants answering both surveys on the outcomes that showed no clear
change": one outcome showed no clear change, so a "median" of one number, and "outcomes" for one.
"""
from __future__ import annotations

import pandas as pd

from evalkit.pageone import detectable_sentence


def _table(*n_pairs, kind="continuous"):
    return pd.DataFrame({"verdict": "no clear change", "n_pairs": list(n_pairs), "mean_change": 0.1,
                         "suppressed": False, "kind": kind})


def test_one_outcome_is_one_number_not_a_median():
    text = detectable_sentence(_table(210))
    assert "with 210 participants answering both surveys on the one outcome that showed no clear change" in text
    assert "median" not in text
    # statsmodels TTestPower().solve_power(nobs=210, alpha=0.05, power=0.8) = 0.1942 (noncentral t, paired);
    # by hand, the normal approximation (1.960 + 0.842) / sqrt(210) = 0.193
    assert "d_z = 0.19" in text


def test_several_outcomes_give_their_median():
    text = detectable_sentence(_table(40, 50, 60))
    assert "with a median of 50 participants answering both surveys on the three outcomes that showed no clear change" in text
    # statsmodels TTestPower().solve_power(nobs=50, alpha=0.05, power=0.8) = 0.4042;
    # by hand, the normal approximation (1.960 + 0.842) / sqrt(50) = 0.396
    assert "d_z = 0.40" in text


def test_a_yes_no_outcome_gets_no_t_test_detectable_change():
    # Trial 12 (F9): riverside's one unclear outcome is yes/no (McNemar); page one gave it "about 8 percentage
    # points" in its own line and then a paired t-test's d_z = 0.19. A t-test's d_z is for scores and ratings.
    assert detectable_sentence(_table(210, kind="binary")) is None
    mixed = pd.concat([_table(210, kind="binary"), _table(50)], ignore_index=True)
    assert "with 50 participants answering both surveys on the one score or rating outcome" in detectable_sentence(mixed)


def test_the_count_of_unclear_outcomes_says_which_kind_it_counts():
    # Trial 13 (F1): civic-coders' page two read "five improved and two showed no clear change", then "on the one
    # outcome that showed no clear change": the yes/no one was left out of the count without a word.
    mixed = pd.concat([_table(210, kind="binary"), _table(40, 50, 60)], ignore_index=True)
    text = detectable_sentence(mixed)
    assert "on the three score or rating outcomes that showed no clear change" in text
    assert "the yes/no outcome's detectable change is in percentage points, on its own line" in text
    two = pd.concat([_table(210, 220, kind="binary"), _table(50)], ignore_index=True)
    assert "the yes/no outcomes' detectable changes are in percentage points, on their own lines" in \
        detectable_sentence(two)
    assert "yes/no" not in detectable_sentence(_table(40, 50))   # no yes/no outcome: nothing to say about one
