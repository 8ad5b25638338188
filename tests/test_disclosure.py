"""Property tests of disclosure control: a brute-force attacker tries every sum and difference of shown rows.

For random partnerships and groupings, no blanked group (or union of blanked groups) of 1 to k-1
people can be rebuilt from the whole-partnership row and the shown group rows: so neither its count
nor its mean (count x mean is linear in the same rows) can be derived.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from evalkit.compare import compare_prepost
from evalkit.load import Dataset
from evalkit.participation import representation
from evalkit import schema


def _attack(membership: dict[str, np.ndarray], shown: list[str], n: int, k: int) -> list[int]:
    """Sizes of the sets of 1..k-1 people an attacker can rebuild as +-1 combinations of shown rows."""
    rows = np.array([np.ones(n, int), *[membership[g] for g in shown]])
    coefs = np.array(list(itertools.product((-1, 0, 1), repeat=len(rows))))
    v = coefs @ rows                      # every combination at once, one per row
    sets = ((v == 0) | (v == 1)).all(axis=1)
    size = v.sum(axis=1)
    return [int(s) for s in size[sets & (size > 0) & (size < k)]]


def _dataset(groups: list[str], seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    n = len(groups)
    ids = [f"x{i}" for i in range(n)]
    people = pd.DataFrame({"participant_id": ids, "partnership_id": "p", "grp": groups})
    pre = rng.integers(1, 6, n).astype(float)
    post = np.clip(pre + rng.integers(-1, 3, n), 1, 5)
    resp = pd.DataFrame({"participant_id": ids * 2, "partnership_id": "p", "wave": ["pre"] * n + ["post"] * n,
                         "measure": "m", "value": np.r_[pre, post]})
    tables = {t: schema.empty_table(t) for t in schema.TABLES}
    tables.update(
        partnerships=pd.DataFrame({"partnership_id": ["p"], "name": ["P"], "partner_type": ["school"],
                                   "lead_institution": ["U"], "start_date": pd.to_datetime(["2025-01-01"]),
                                   "end_date": pd.to_datetime(["2025-06-01"])}),
        participants=people,
        measures=pd.DataFrame({"measure": ["m"], "label": ["M"], "domain": ["skills"], "kind": ["ordinal"],
                               "scale_min": [1.0], "scale_max": [5.0], "higher_is_better": [True],
                               "shared": [False], "scale": [None], "reverse_coded": [False]}),
        responses=resp)
    fields = {f for f in Dataset.__dataclass_fields__}
    return Dataset(data_dir=".", **{t: v for t, v in tables.items() if t in fields})


@given(sizes=st.lists(st.integers(1, 25), min_size=2, max_size=5), k=st.integers(3, 12), seed=st.integers(0, 99))
def test_no_blanked_group_is_recoverable_by_any_sum_or_difference(sizes, k, seed):
    groups = [f"g{i}" for i, s in enumerate(sizes) for _ in range(s)]
    data = _dataset(groups, seed)
    n = len(groups)
    membership = {g: (np.array(groups) == g).astype(int) for g in set(groups)}
    whole = compare_prepost(data, "p", min_group_size=k)
    by = compare_prepost(data, "p", by="grp", min_group_size=k)
    if whole["suppressed"].all():
        return  # nothing shown at all
    shown = list(by.loc[~by["suppressed"], "group"])
    assert _attack(membership, shown, n, k) == []
    assert (by.loc[~by["suppressed"], "n_pairs"] >= k).all()
    rep = representation(data, "grp", "p", min_group_size=k)
    shown_rep = list(rep.loc[~rep["suppressed"], "group"])
    assert _attack(membership, shown_rep, n, k) == []


def test_pairs_only_decides_in_one_place_when_a_wave_statistic_counts_only_the_pairs():
    # the rule (data contract, rule 8) was written out three times, in describe_wave, targets._estimate and
    # waves.trajectory: a wave's statistic beside the outcomes table's pairs counts the pairs only when those
    # outside them are 1 to k - 1 (21 x 15.33 - 20 x 16.00 gives one late joiner's score)
    from evalkit.privacy import pairs_only, pairs_only_note

    def mask(paired, others):
        return np.array([True] * paired + [False] * others)

    assert pairs_only(mask(10, 3), 10)          # 3 outside the pairs: their answers would follow
    assert pairs_only(mask(10, 9), 10)
    assert not pairs_only(mask(10, 0), 10)      # nobody outside: the statistic is the pairs' already
    assert not pairs_only(mask(10, 10), 10)     # k or more outside: a group that may be shown
    assert not pairs_only(mask(9, 3), 10)       # fewer than k pairs: the outcomes table shows no pairs
    assert pairs_only(mask(3, 1), 3) and not pairs_only(mask(2, 1), 3)
    assert pairs_only_note(20, 10, "post") == ("measured on the 20 participants who answered both surveys (as the "
                                                "outcomes table): fewer than 10 answered only the post survey")


def _feasible(blank: np.ndarray, shown: np.ndarray, total_blanked: int, k: int) -> list[set]:
    """For each blanked cell, every value it can take given what a reader sees: which cells are blanked (all read
    alike), the shown counts, the blanked total (the table's total less the shown cells) and the public rule
    (:func:`evalkit.privacy.complementary_cells`): every assignment of 1..total to the blanked cells that sums to
    the total and that the rule would blank exactly so."""
    from evalkit.privacy import complementary_cells

    where = np.flatnonzero(blank)
    seen = [set() for _ in where]

    def fill(i, left, values):
        if i == len(where) - 1:
            values = [*values, left]
            if left < 1:
                return
            cells = shown.copy()
            cells[where] = values
            if (complementary_cells(cells, k) == blank).all():
                for s, v in zip(seen, values):
                    s.add(v)
            return
        for v in range(1, left - (len(where) - 1 - i) + 1):
            fill(i + 1, left - v, [*values, v])

    fill(0, total_blanked, [])
    return seen


def test_a_small_group_blanked_with_one_protecting_it_cannot_be_pinned_down_from_the_labels():
    # trial 8: harbor-health's age groups with under 18 = 10 and 1 not recorded (k = 10). Both are blanked (the 1,
    # and the 10 so that 120 - 109 cannot give it). The table read "fewer than 10" for the 1 and "not shown" for
    # the 10, which told a reader the 10 held at least 10: 11 blanked, so the other was exactly 1.
    from evalkit.privacy import PARTITION_NOTE, complementary_suppression

    n = np.array([10, 25, 44, 23, 17, 1])   # under 18, 18-24, 25-44, 45-64, 65+, not recorded
    t = pd.DataFrame({"pid": "p", "group": [f"g{i}" for i in range(len(n))], "n_enrolled": n})
    out = complementary_suppression(t, "n_enrolled", ["pid"], 10)
    blank = out["suppressed"].to_numpy(bool)
    assert blank.tolist() == [True, False, False, False, False, True]
    assert set(out.loc[blank, "note"]) == {PARTITION_NOTE.format(k=10)}   # one label for both
    # what a reader can work out, trying every split of the 11 blanked people that the rule would blank the same way
    under_18, not_recorded = _feasible(blank, np.where(blank, 0, n), 11, 10)
    assert not_recorded == set(range(1, 10)) | {10} and under_18 == set(range(1, 11))
    # had the labels told the two apart (the 10 at least 10), the reader would have kept only 10 + 1
    assert {v for v in not_recorded if 11 - v >= 10} == {1}
