"""Findings of reader trial 13 (/work/notes/trial13.md), each a test written before its fix."""
from __future__ import annotations

import pandas as pd

from evalkit.pageone import equity_lines


def _diffs(compared: dict[str, int]) -> pd.DataFrame:
    """Group differences as evalkit.equity.group_differences gives them: one row per characteristic and outcome
    compared, none credible."""
    rows = [{"group_variable": var, "measure": f"m{i}", "pvalue": 0.5, "p_adjusted": 0.9, "credible": False}
            for var, n in compared.items() for i in range(n)]
    return pd.DataFrame(rows)


def test_for_whom_says_on_how_many_outcomes_a_characteristic_was_compared():
    # F4: civic-coders' page two read "one participant characteristic compared on every outcome", while age group was
    # compared on 2 of its 7 outcomes (on the other five only one age group reached 10 pairs)
    assert "one participant characteristic compared on 2 of the 7 outcomes, those where at least two groups were " \
           "large enough to compare, allowing" in equity_lines(_diffs({"age_group": 2}), outcomes=7)[0]
    assert "two participant characteristics compared on 4 to 7 of the 7 outcomes" in \
        equity_lines(_diffs({"age_group": 7, "gender": 4}), outcomes=7)[0]
    assert "compared on every outcome" in equity_lines(_diffs({"age_group": 7, "gender": 7}), outcomes=7)[0]
