"""How page one names a yes/no group whose characteristic is labelled "... status" (noticed in trial 10).

A data folder labelling ``english_learner`` "English-language learner status" made page one say
"English-language-learner-status participants benefited less than other participants".
"""
from __future__ import annotations

import pandas as pd

from evalkit.equity import group_phrase


def _labels(column, label):
    return pd.DataFrame({"column": [column], "value": [None], "label": [label], "order": [None]})


def test_a_status_characteristic_reads_participants_with_that_status():
    labels = _labels("english_learner", "English-language learner status")
    assert group_phrase("english_learner", "yes", labels) == "participants with English-language learner status"
    assert group_phrase("english_learner", "no", labels) == "other participants"


def test_a_short_characteristic_still_reads_as_an_adjective():
    assert group_phrase("low_income", "yes") == "low-income participants"
    assert group_phrase("first_generation", "yes", _labels("first_generation", "First generation")) == \
        "first-generation participants"
