"""cronbach_alpha() against R psych 2.2.9 alpha()/alpha.ci(); score_scale(s) by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats.reliability import cronbach_alpha, score_scale, score_scales

REL = 1e-6

# psych::bfi agreeableness items A1-A5, the first 45 respondents (all complete; 1-6 Likert scale).
# R: library(psych); d <- bfi[1:45, 1:5]; for (c in 1:5) dput(as.integer(d[[c]]))
BFI_A = pd.DataFrame({
    "A1": [2, 2, 5, 4, 2, 6, 2, 4, 4, 2, 4, 2, 5, 5, 4, 4, 4, 5, 4, 4, 5, 1, 1, 2, 4, 1, 2, 2, 2, 4, 1, 2, 1,
           2, 4, 5, 1, 1, 1, 1, 1, 5, 1, 5, 2],
    "A2": [4, 4, 4, 4, 3, 6, 5, 3, 3, 5, 4, 5, 5, 5, 5, 3, 6, 5, 4, 4, 4, 6, 5, 6, 5, 6, 4, 5, 5, 5, 6, 5, 5,
           4, 4, 3, 6, 4, 6, 5, 5, 4, 5, 6, 6],
    "A3": [3, 5, 5, 6, 3, 5, 5, 1, 6, 6, 5, 5, 5, 5, 2, 6, 6, 5, 5, 6, 2, 6, 6, 5, 5, 6, 4, 6, 1, 6, 5, 6, 6,
           5, 4, 5, 4, 4, 6, 4, 5, 3, 4, 4, 6],
    "A4": [4, 2, 4, 5, 4, 6, 3, 5, 3, 6, 6, 5, 6, 6, 2, 6, 2, 4, 4, 5, 1, 1, 5, 6, 6, 1, 4, 6, 3, 5, 6, 6, 5,
           6, 4, 4, 6, 2, 6, 3, 6, 6, 4, 3, 6],
    "A5": [4, 5, 4, 5, 5, 5, 5, 1, 3, 5, 5, 5, 4, 6, 1, 3, 5, 5, 3, 5, 2, 5, 6, 5, 5, 6, 3, 6, 5, 5, 3, 6, 4,
           5, 4, 2, 4, 3, 6, 5, 5, 4, 5, 5, 6],
})


@pytest.fixture(scope="module")
def bfi_alpha():
    return cronbach_alpha(BFI_A, reverse=["A1"], scale_min=1, scale_max=6)


def test_alpha_matches_psych(bfi_alpha):
    # R: d2 <- d; d2$A1 <- 7 - d2$A1; a <- alpha(d2)
    # (alpha(d, keys = c(-1, 1, 1, 1, 1)) gives the same raw_alpha and std.alpha)
    assert bfi_alpha.alpha == pytest.approx(0.596268365983972, rel=REL)  # a$total$raw_alpha
    assert bfi_alpha.std_alpha == pytest.approx(0.635766305159107, rel=REL)  # a$total$std.alpha
    # alpha.ci(a$total$raw_alpha, n.obs = 45, n.var = 5): Feldt interval
    assert bfi_alpha.ci_low == pytest.approx(0.374159007780949, rel=REL)
    assert bfi_alpha.ci_high == pytest.approx(0.756501801888898, rel=REL)
    assert (bfi_alpha.n, bfi_alpha.k, bfi_alpha.n_dropped, bfi_alpha.note) == (45, 5, 0, "")


def test_item_statistics_match_psych(bfi_alpha):
    t = bfi_alpha.item_total
    assert t["item"].tolist() == ["A1", "A2", "A3", "A4", "A5"]
    # a$item.stats$r.drop
    assert t["r_drop"].tolist() == pytest.approx(
        [0.213288862071131, 0.425336332104934, 0.458513646828296, 0.179869633324128, 0.629815309626471], rel=REL)
    # a$alpha.drop$raw_alpha
    assert t["alpha_if_dropped"].tolist() == pytest.approx(
        [0.626803282866901, 0.527369542066028, 0.483216959703878, 0.649237801049750, 0.391449565798263], rel=REL)


def test_feldt_interval_at_other_level():
    res = cronbach_alpha(BFI_A, reverse=["A1"], scale_min=1, scale_max=6, conf_level=0.90)
    # alpha.ci(0.596268365983972, n.obs = 45, n.var = 5, p.val = 0.10)
    assert res.ci_low == pytest.approx(0.416404378920091, rel=REL)
    assert res.ci_high == pytest.approx(0.735409172974453, rel=REL)


def test_two_items_by_hand_and_psych():
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 4, 4, 5, 1]})
    res = cronbach_alpha(items)
    # hand: var(a) = 13/6, var(b) = 12/5, var(a + b) = 257/30;
    # alpha = 2 * (1 - (13/6 + 12/5) / (257/30)) = 2 * 120/257 = 240/257
    # R: psych::alpha(data.frame(a = ..., b = ...))$total$raw_alpha = 0.933852140077821
    assert res.alpha == pytest.approx(240 / 257, rel=1e-12)
    assert res.std_alpha == pytest.approx(0.934502833994253, rel=REL)  # $total$std.alpha
    assert res.item_total["r_drop"].tolist() == pytest.approx([0.877058019307029] * 2, rel=REL)  # r.drop
    assert res.item_total["alpha_if_dropped"].isna().all()  # one item left: undefined


def test_listwise_deletion_counts_dropped_rows(bfi_alpha):
    extra = pd.DataFrame({"A1": [np.nan, 3], "A2": [4, None], "A3": [5, 5], "A4": [2, 2], "A5": [4, 4]})
    res = cronbach_alpha(pd.concat([BFI_A, extra], ignore_index=True), reverse=["A1"], scale_min=1, scale_max=6)
    assert (res.n, res.n_dropped) == (45, 2)
    assert res.alpha == pytest.approx(bfi_alpha.alpha, rel=1e-12)


def test_degenerate_items_give_nan_and_note():
    same = cronbach_alpha(pd.DataFrame({"a": [3, 3, 3], "b": [2, 2, 2]}))
    assert np.isnan(same.alpha) and "same total score" in same.note
    one = cronbach_alpha(pd.DataFrame({"a": [3, np.nan], "b": [2, 4]}))
    assert np.isnan(one.alpha) and one.n == 1 and "at least 2" in one.note
    flat = cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 2, 2], "c": [1, 3, 3, 4]}))
    assert np.isnan(flat.std_alpha) and "['b']" in flat.note and not np.isnan(flat.alpha)


def test_alpha_wrong_input_raises():
    with pytest.raises(InputError, match="needs scale_min and scale_max"):
        cronbach_alpha(BFI_A, reverse=["A1"])
    with pytest.raises(InputError, match="unknown item"):
        cronbach_alpha(BFI_A, reverse=["A9"], scale_min=1, scale_max=6)
    with pytest.raises(InputError, match="at least two items"):
        cronbach_alpha(BFI_A[["A1"]])
    with pytest.raises(InputError, match="item 'A2' must hold numbers"):
        cronbach_alpha(BFI_A.assign(A2=["agree"] + [4] * 44))
    with pytest.raises(InputError, match="outside the scale 1 to 5"):
        cronbach_alpha(BFI_A, reverse=["A1"], scale_min=1, scale_max=5)
    with pytest.raises(InputError, match="DataFrame"):
        cronbach_alpha([[1, 2], [3, 4]])


def test_score_scale_by_hand():
    items = pd.DataFrame({"q1": [4, 5, None, 2], "q2": [4, 3, None, 1], "q3": [2, 1, 5, None]},
                         index=["p1", "p2", "p3", "p4"])
    scores = score_scale(items, reverse=["q3"], scale_min=1, scale_max=5)
    # q3 reversed as 1 + 5 - x: 2 -> 4, 1 -> 5, 5 -> 1
    # p1 (4 + 4 + 4)/3 = 4; p2 (5 + 3 + 5)/3 = 13/3; p3 only q3: 1; p4 (2 + 1)/2 = 1.5
    assert scores.tolist() == pytest.approx([4.0, 13 / 3, 1.0, 1.5])
    assert list(scores.index) == ["p1", "p2", "p3", "p4"] and scores.name == "score"
    at_least_two = score_scale(items, reverse=["q3"], scale_min=1, scale_max=5, min_items=2)
    assert np.isnan(at_least_two["p3"]) and at_least_two["p4"] == 1.5
    # prorated sum = mean * 3 items: p4 1.5 * 3 = 4.5
    summed = score_scale(items, reverse=["q3"], scale_min=1, scale_max=5, method="sum")
    assert summed.tolist() == pytest.approx([12.0, 13.0, 3.0, 4.5])


def test_score_scale_wrong_input_raises():
    items = pd.DataFrame({"q1": [4, 5], "q2": [4, 3]})
    with pytest.raises(InputError, match="unknown method 'median'"):
        score_scale(items, method="median")
    with pytest.raises(InputError, match="min_items must be a whole number from 1 to the number of items \\(2\\)"):
        score_scale(items, min_items=3)


MEASURES = pd.DataFrame({
    "measure": ["bel1", "bel2", "bel3", "conf1", "conf2", "skills"],
    "scale_min": [1, 1, 1, 0, 0, 1],
    "scale_max": [5, 5, 5, 10, 10, 5],
    "scale": ["belonging", "belonging", "belonging", "confidence", "confidence", None],
    "reverse_coded": [False, False, True, False, True, False],
})


def _responses() -> pd.DataFrame:
    rows = [
        ("riverside", "p1", "pre", "bel1", 4), ("riverside", "p1", "pre", "bel2", 3),
        ("riverside", "p1", "pre", "bel3", 2), ("riverside", "p1", "pre", "conf1", 6),
        ("riverside", "p1", "pre", "conf2", 7), ("riverside", "p1", "pre", "skills", 3),
        ("riverside", "p1", "post", "bel1", 5), ("riverside", "p1", "post", "bel2", None),
        ("riverside", "p1", "post", "bel3", 1),
        ("hillside", "p1", "pre", "bel1", 2), ("hillside", "p1", "pre", "bel3", 5),
    ]
    return pd.DataFrame(rows, columns=["partnership_id", "participant_id", "wave", "measure", "value"])


def test_score_scales_by_hand():
    out = score_scales(_responses(), MEASURES)
    assert list(out.columns) == ["partnership_id", "participant_id", "wave", "measure", "value", "n_items"]
    got = {(r.partnership_id, r.participant_id, r.wave, r.measure): (r.value, r.n_items) for r in out.itertuples()}
    assert got == {
        # bel3 reversed 1 + 5 - x. riverside p1 pre: (4 + 3 + (6 - 2)) / 3 = 11/3
        ("riverside", "p1", "pre", "belonging"): (pytest.approx(11 / 3), 3),
        # conf2 reversed 0 + 10 - x: (6 + (10 - 7)) / 2 = 4.5
        ("riverside", "p1", "pre", "confidence"): (4.5, 2),
        # post: bel2 blank; (5 + (6 - 1)) / 2 = 5
        ("riverside", "p1", "post", "belonging"): (5.0, 2),
        # the same participant id in another partnership is another person: (2 + (6 - 5)) / 2 = 1.5
        ("hillside", "p1", "pre", "belonging"): (1.5, 2),
    }
    # with at least 3 of 3 items required only the complete riverside pre score remains
    strict = score_scales(_responses(), MEASURES[MEASURES["scale"] != "confidence"], min_items=3)
    assert strict["value"].notna().sum() == 1


def test_score_scales_reads_loose_booleans_and_no_scales():
    measures = MEASURES.assign(reverse_coded=["no", "no", "YES", "false", "true", ""])
    pd.testing.assert_frame_equal(score_scales(_responses(), measures), score_scales(_responses(), MEASURES))
    empty = score_scales(_responses(), MEASURES.drop(columns=["scale"]))
    assert empty.empty and list(empty.columns) == ["partnership_id", "participant_id", "wave", "measure", "value",
                                                   "n_items"]


def test_score_scales_wrong_input_raises():
    with pytest.raises(InputError, match="different scale_min/scale_max"):
        score_scales(_responses(), MEASURES.assign(scale=["s"] * 5 + [None]))
    with pytest.raises(InputError, match="also measure names"):
        score_scales(_responses(), MEASURES.assign(scale=["skills"] * 3 + [None] * 3))
    dup = pd.concat([_responses(), _responses().iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="answered item 'bel1' more than once in wave 'pre'"):
        score_scales(dup, MEASURES)
    with pytest.raises(InputError, match="lacks column"):
        score_scales(_responses().drop(columns=["wave"]), MEASURES)
    with pytest.raises(InputError, match="outside its scale"):
        score_scales(_responses().assign(value=9), MEASURES)
    with pytest.raises(InputError, match="reverse_coded"):
        score_scales(_responses(), MEASURES.assign(reverse_coded="maybe"))
