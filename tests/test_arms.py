"""Comparison groups within a partnership (evalkit.arms), on published trial data.

* MASS::anorexia (tests/stats/datasets/anorexia.csv): one partnership, Cont is the comparison
  arm, CBT and FT the program arms. References: Venables & Ripley (2002), *Modern Applied
  Statistics with S*, 4th ed., lm(Postwt ~ Prewt + Treat) with Cont as reference; the R 4.2.2
  values below are those of tests/stats/test_ancova.py.
* HSAUR::BtheB (tests/stats/datasets/BtheB.csv, Everitt & Hothorn): Beat the Blues (program)
  vs treatment as usual (comparison), with real attrition.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import evalkit as ek
from builders import measure as _measure
from builders import write_tables
from evalkit import arms
from evalkit.portfolio import PREPOST_CHANGE, PROGRAM_EFFECT, pooled_effects, shared_indicator_effects

DATASETS = Path(__file__).parent / "stats" / "datasets"


def _anorexia_tables(pid="anorexia", prefix="a", treatments=("Cont", "CBT", "FT"), shared=False):
    d = pd.read_csv(DATASETS / "anorexia.csv")
    d = d[d["Treat"].isin(treatments)].reset_index(drop=True)
    d["participant_id"] = [f"{prefix}{i:02d}" for i in range(len(d))]
    d["partnership_id"] = pid
    resp = pd.concat([d.assign(wave=w, measure="weight", value=d[c]) for w, c in (("pre", "Prewt"), ("post", "Postwt"))])
    people = d[["participant_id", "partnership_id"]].assign(
        arm=np.where(d["Treat"] == "Cont", "comparison", "program"), treatment=d["Treat"])
    return resp[["participant_id", "partnership_id", "wave", "measure", "value"]], people


def _weight(shared=False):
    # a continuous measure without scale bounds (the contract allows it): weight in lb
    return {**_measure("weight", label="Body weight (lb)"), "scale_min": None, "scale_max": None, "shared": shared}


@pytest.fixture(scope="module")
def anorexia(tmp_path_factory):
    resp, people = _anorexia_tables()
    return ek.load_data(write_tables(tmp_path_factory.mktemp("anorexia"), resp, [_weight()], participants=people))


@pytest.fixture(scope="module")
def btheb(tmp_path_factory):
    d = pd.read_csv(DATASETS / "BtheB.csv")
    d["participant_id"] = [f"s{i:03d}" for i in d["rownames"]]
    d["partnership_id"] = "btheb"
    waves = {"bdi.pre": "pre", "bdi.2m": "post"}
    resp = pd.concat([d.assign(wave=w, measure="bdi", value=d[c]) for c, w in waves.items()])
    resp = resp[["participant_id", "partnership_id", "wave", "measure", "value"]].dropna(subset=["value"])
    people = d[["participant_id", "partnership_id"]].assign(
        arm=np.where(d["treatment"] == "BtheB", "program", "comparison"))
    bdi = _measure("bdi", lo=0, hi=63, hib=False, label="Depression (BDI-II, 0-63)")
    return ek.load_data(write_tables(tmp_path_factory.mktemp("btheb"), resp, [bdi], participants=people)), d


# --- the program effect -----------------------------------------------------------------------
def test_ancova_of_three_arms_matches_venables_ripley(anorexia):
    e = arms.program_effects(anorexia, "anorexia", arms="treatment", reference="Cont").set_index("group")
    # R: lm(Postwt ~ Prewt + Treat), Cont reference (Venables & Ripley 2002): TreatCBT 4.0971, TreatFT 8.6601
    assert e.loc["CBT", "estimate"] == pytest.approx(4.097065528072904, rel=1e-6)
    assert e.loc["FT", "estimate"] == pytest.approx(8.660128180991691, rel=1e-6)
    # confint(m)["TreatCBT", ] and ["TreatFT", ] (R 4.2.2)
    assert (e.loc["CBT", "ci_low"], e.loc["CBT", "ci_high"]) == pytest.approx((0.318659858978304, 7.875471197167505))
    assert (e.loc["FT", "ci_low"], e.loc["FT", "ci_high"]) == pytest.approx((4.283766668074341, 13.036489693909042))
    # summary(m) p-values, then Holm over the two: p.adjust(c(0.0339993147, 0.0001890238), "holm")
    assert e.loc["CBT", "pvalue"] == pytest.approx(0.033999314720262595, rel=1e-6)
    assert e["p_adjusted"].tolist() == pytest.approx([0.033999314720262595, 2 * 0.000189023798034246], rel=1e-6)
    assert (e["n_reference"] == 26).all() and e.loc["CBT", "n_group"] == 29 and e.loc["FT", "n_group"] == 17
    assert (e["direction"] == "better").all()


def test_hedges_g_and_diff_in_diff_by_hand(anorexia):
    d = pd.read_csv(DATASETS / "anorexia.csv")
    e = arms.program_effects(anorexia, "anorexia", arms="treatment", reference="Cont").set_index("group")
    cbt, cont = d[d.Treat == "CBT"], d[d.Treat == "Cont"]
    n1, n2 = len(cbt), len(cont)
    # WWC Hedges' g: omega * adjusted difference / unadjusted pooled SD of the outcome
    sp = np.sqrt(((n1 - 1) * cbt.Postwt.var() + (n2 - 1) * cont.Postwt.var()) / (n1 + n2 - 2))
    g = (1 - 3 / (4 * (n1 + n2) - 9)) * 4.097065528072904 / sp
    # the variance of a standardized difference from an ANCOVA (Borenstein et al. 2009, ch. 4; Cooper et al.
    # 2019, table 12.3): (1 - R^2) N / (n1 n2) + g^2 / 2N, R the pooled within-arm correlation of Prewt and
    # Postwt, here from each arm's sums of squares and cross-products by hand
    both = [cbt, cont]
    sxy = sum(((t.Prewt - t.Prewt.mean()) * (t.Postwt - t.Postwt.mean())).sum() for t in both)
    sxx = sum(((t.Prewt - t.Prewt.mean()) ** 2).sum() for t in both)
    syy = sum(((t.Postwt - t.Postwt.mean()) ** 2).sum() for t in both)
    r2 = sxy ** 2 / (sxx * syy)
    assert 0 < r2 < 1
    se = np.sqrt((1 - r2) * (n1 + n2) / (n1 * n2) + g ** 2 / (2 * (n1 + n2)))
    assert e.loc["CBT", "effect_size"] == pytest.approx(g, rel=1e-6)
    assert (e.loc["CBT", "effect_ci_low"], e.loc["CBT", "effect_ci_high"]) == pytest.approx(
        (g - 1.959963984540054 * se, g + 1.959963984540054 * se), rel=1e-6)
    # g's interval excludes 0 as R's confint(lm(Postwt ~ Prewt + Treat)) for CBT does (0.32 to 7.88)
    assert e.loc["CBT", "effect_ci_low"] > 0
    # DiD = mean change CBT - mean change Cont; R: t.test(Postwt, Prewt, paired = TRUE) means
    # 3.006896552 (CBT) and -0.45 (Cont), as in tests/test_compare.py
    assert e.loc["CBT", "did_estimate"] == pytest.approx(3.006896552 + 0.45, rel=1e-8)
    welch = stats.ttest_ind(cbt.Postwt - cbt.Prewt, cont.Postwt - cont.Prewt, equal_var=False)
    assert e.loc["CBT", "did_pvalue"] == pytest.approx(welch.pvalue, rel=1e-8)


def test_two_arm_ancova_equals_the_textbook_adjusted_difference(tmp_path):
    """Program (CBT only) vs comparison: (ybar_p - ybar_c) - b_w (xbar_p - xbar_c), b_w the pooled within-arm slope.

    The closed form (e.g. Maxwell & Delaney, *Designing Experiments and Analyzing Data*, ch. 9)
    is computed here with numpy, independently of the OLS fit evalkit runs.
    """
    resp, people = _anorexia_tables(treatments=("Cont", "CBT"))
    data = ek.load_data(write_tables(tmp_path / "d", resp, [_weight()], participants=people))
    assert arms.has_comparison(data, "anorexia")
    row = arms.program_effects(data, "anorexia").iloc[0]
    d = pd.read_csv(DATASETS / "anorexia.csv")
    groups = [d[d.Treat == t] for t in ("CBT", "Cont")]
    sxy = sum(((g.Prewt - g.Prewt.mean()) * (g.Postwt - g.Postwt.mean())).sum() for g in groups)
    sxx = sum(((g.Prewt - g.Prewt.mean()) ** 2).sum() for g in groups)
    p, c = groups
    adjusted = (p.Postwt.mean() - c.Postwt.mean()) - sxy / sxx * (p.Prewt.mean() - c.Prewt.mean())
    assert row["estimate"] == pytest.approx(adjusted, rel=1e-9)
    assert (row["group"], row["reference"], row["n_group"], row["n_reference"]) == ("program", "comparison", 29, 26)
    text = arms.describe_program_effect(row)
    assert text.startswith("Allowing for where participants started, the program group ended 4.2 higher than the "
                           "comparison group on Body weight \\(lb\\)")
    assert "scale" not in text  # no bounds declared: the measure's own units, no invented scale


def test_baseline_equivalence_by_hand_and_wwc_verdicts(anorexia):
    b = arms.baseline_balance(anorexia, "anorexia", arms="treatment", reference="Cont").set_index("group")
    d = pd.read_csv(DATASETS / "anorexia.csv")
    for group in ("CBT", "FT"):
        x, y = d.loc[d.Treat == group, "Prewt"], d.loc[d.Treat == "Cont", "Prewt"]
        n1, n2 = len(x), len(y)
        sp = np.sqrt(((n1 - 1) * x.var() + (n2 - 1) * y.var()) / (n1 + n2 - 2))
        g = (1 - 3 / (4 * (n1 + n2) - 9)) * (x.mean() - y.mean()) / sp
        assert b.loc[group, "effect_size"] == pytest.approx(g, rel=1e-9)
    # by hand: CBT g = 0.212 (0.05 < |g| <= 0.25), FT g = 0.301 (> 0.25)
    assert b.loc["CBT", "effect_size"] == pytest.approx(0.2118, abs=5e-4)
    assert b.loc["CBT", "verdict"] == "needs statistical adjustment"
    assert b.loc["FT", "verdict"] == "not equivalent"
    assert (b["effect_size_name"] == "Hedges' g").all()


def test_attrition_against_both_wwc_boundaries_on_btheb(btheb):
    data, d = btheb
    a = arms.arm_attrition(data, "btheb").iloc[0]
    # counted from the CSV: 52 BtheB (all answered at 2 months), 48 TAU (45 answered at 2 months)
    n = d.groupby("treatment")["bdi.2m"].agg(["size", "count"])
    assert (n.loc["BtheB", "size"], n.loc["BtheB", "count"], n.loc["TAU", "size"], n.loc["TAU", "count"]) == (52, 52, 48, 45)
    assert (a["n_assigned_group"], a["n_analyzed_group"], a["n_assigned_reference"], a["n_analyzed_reference"]) == \
        (52, 52, 48, 45)
    assert a["overall_pct"] == pytest.approx(3.0)            # 3 / 100
    assert a["differential_pp"] == pytest.approx(6.25)       # |0 / 52 - 3 / 48| = 6.25 points
    # WWC attrition boundary at 3% overall attrition: cautious 5.9, optimistic 10.3 (Handbook v5.0 / v4.1 Table II.1)
    assert (a["cautious_max_pp"], a["optimistic_max_pp"]) == (5.9, 10.3)
    assert (a["cautious_verdict"], a["optimistic_verdict"]) == ("high attrition", "low attrition")


def test_btheb_effect_and_sentence_speak_of_the_comparison_group(btheb):
    data, d = btheb
    row = arms.program_effects(data, "btheb").iloc[0]
    both = d.dropna(subset=["bdi.2m"]).assign(arm=lambda x: np.where(x.treatment == "BtheB", 1.0, 0.0))
    beta = np.linalg.lstsq(np.column_stack([np.ones(len(both)), both["bdi.pre"], both["arm"]]),
                           both["bdi.2m"].to_numpy(float), rcond=None)[0]
    assert row["estimate"] == pytest.approx(beta[2], rel=1e-9)  # least squares by numpy, an independent path
    assert row["estimate"] < 0 and row["direction"] == "better"  # lower depression is better
    text = arms.describe_program_effect(row)
    assert "than the comparison group" in text and "lower" in text and "on a 0-63 scale" in text


def test_small_arms_are_suppressed(anorexia):
    e = arms.program_effects(anorexia, "anorexia", arms="treatment", reference="Cont", min_group_size=20)
    ft = e[e["group"] == "FT"].iloc[0]  # 17 FT participants < 20
    assert ft["suppressed"] and np.isnan(ft["estimate"]) and pd.isna(ft["n_group"])
    assert "Too few participants" in arms.describe_program_effect(ft, min_group_size=20)
    b = arms.baseline_balance(anorexia, "anorexia", arms="treatment", reference="Cont", min_group_size=20)
    assert b.set_index("group").loc["FT", "verdict"] == "suppressed"


def test_every_arm_too_small_suppresses_the_section_instead_of_stopping_the_report(anorexia):
    """Anorexia's smallest arm has 17 people: at min_group_size 30 every comparison is suppressed. No row set a
    direction, the column was all-missing floats, and writing "suppressed" into it raised a TypeError."""
    e = arms.program_effects(anorexia, "anorexia", arms="treatment", reference="Cont", min_group_size=30)
    assert len(e) == 2 and e["suppressed"].all() and (e["direction"] == "suppressed").all()
    section = ek.report.PartnershipReport(anorexia, "anorexia", arms="treatment", reference="Cont",
                                          min_group_size=30).comparison_group()
    assert section.applicable and "Too few participants" in section.markdown()


def test_no_comparison_arm_gives_empty_tables():
    data = ek.load_data(Path(__file__).resolve().parents[1] / "data" / "sample")
    assert not arms.has_comparison(data, "riverside-literacy")
    assert arms.program_effects(data, "riverside-literacy").empty
    with pytest.raises(ek.InputError, match="unknown arm column"):
        arms.program_effects(data, "riverside-literacy", arms="nope")


# --- the portfolio never pools a comparison arm with program arms --------------------------------
def test_portfolio_pools_program_effects_and_changes_separately(tmp_path):
    trial, trial_people = _anorexia_tables("trial", "t", ("Cont", "CBT"))
    cbt, cbt_people = _anorexia_tables("cbt-only", "c", ("CBT",))
    ft, ft_people = _anorexia_tables("ft-only", "f", ("FT",))
    control, control_people = _anorexia_tables("control-only", "k", ("Cont",))  # a comparison arm on its own
    resp = pd.concat([trial, cbt, ft, control])
    people = pd.concat([trial_people, cbt_people.assign(arm=None), ft_people.assign(arm=None), control_people])
    data = ek.load_data(write_tables(tmp_path / "d", resp, [_weight(shared=True)], participants=people))
    e = shared_indicator_effects(data, min_group_size=10).set_index("partnership_id")
    assert e.loc["trial", "estimate_type"] == PROGRAM_EFFECT
    assert e.loc["trial", "estimate"] == pytest.approx(
        arms.program_effects(data, "trial").iloc[0]["estimate"], rel=1e-12)
    # R: t.test(Postwt, Prewt, paired = TRUE) mean differences: CBT 3.006896552, FT 7.264705882
    assert e.loc["cbt-only", "estimate"] == pytest.approx(3.006896552, rel=1e-8)
    assert e.loc["ft-only", "estimate"] == pytest.approx(7.264705882, rel=1e-8)
    assert (e.loc[["cbt-only", "ft-only"], "estimate_type"] == PREPOST_CHANGE).all()
    assert "control-only" not in e.index  # its participants are all comparison: never a programme's change
    pooled = pooled_effects(e.reset_index()).set_index("estimate_type")
    assert pooled.loc[PREPOST_CHANGE, "k"] == 2 and pooled.loc[PROGRAM_EFFECT, "k"] == 1


def test_g_interval_allows_for_the_baseline_as_the_adjusted_difference_does(tmp_path):
    # trial 8 (F9): greenway-food's comparison section gave the adjusted difference -0.38 to -0.04 and Hedges' g
    # -0.65 to 0.12: Hedges & Olkin's variance ignores the baseline (R^2 about 0.6 there). Here a baseline that
    # explains most of the outcome: the two intervals must agree on whether 0 is plausible
    rng = np.random.default_rng(3)
    n_p, n_c = 40, 30
    pre = rng.normal(3.0, 0.8, n_p + n_c)
    arm = np.array(["program"] * n_p + ["comparison"] * n_c)
    post = pre + np.where(arm == "program", 0.2, 0.0) + rng.normal(0, 0.3, n_p + n_c)
    ids = [f"x{i}" for i in range(n_p + n_c)]
    resp = pd.concat([pd.DataFrame({"participant_id": ids, "partnership_id": "p", "wave": w, "measure": "skills",
                                    "value": v.round(3)}) for w, v in (("pre", pre), ("post", post))])
    people = pd.DataFrame({"participant_id": ids, "partnership_id": "p", "arm": arm})
    data = ek.load_data(write_tables(tmp_path, resp, [_measure("skills", lo=0, hi=10)], participants=people))
    row = arms.program_effects(data, "p").iloc[0]
    assert row["ci_low"] > 0 and row["effect_ci_low"] > 0
    # Hedges & Olkin's interval, by hand from the same g, includes 0: the finding
    g, n = row["effect_size"], n_p + n_c
    assert g - 1.959963984540054 * np.sqrt(n / (n_p * n_c) + g ** 2 / (2 * n)) < 0


def test_the_sentence_never_writes_an_interval_that_excludes_0_as_reaching_it():
    # trial 8: "ended 0.2 points lower ... (95% CI -0.4 to 0.0 ...)" beside the table's -0.38 to -0.04
    row = {"label": "Self-rated skills", "group": "program", "reference": "comparison", "suppressed": False,
           "estimate": -0.21, "ci_low": -0.38, "ci_high": -0.04, "pvalue": 0.02, "p_adjusted": 0.02,
           "kind": "continuous", "scale_min": 1, "scale_max": 5, "direction": "worse", "effect_size": float("nan")}
    text = arms.describe_program_effect(row)
    assert "95% CI \u22120.38 to \u22120.04" in text or "95% CI -0.38 to -0.04" in text, text
    held = arms.describe_program_effect({**row, "ci_high": 0.04, "pvalue": 0.2, "p_adjusted": 0.2})
    assert "to 0.0)" in held or "to 0.0;" in held, held   # one that includes 0 keeps the scale's digits


def test_the_sentence_never_writes_a_difference_it_calls_worse_as_zero():
    # trial 9: "ended 0.0 points lower than the comparison group on Teamwork ... a worse result" (-0.02)
    row = {"label": "Teamwork", "group": "program", "reference": "comparison", "suppressed": False,
           "estimate": -0.02, "ci_low": -0.2, "ci_high": 0.16, "pvalue": 0.8, "p_adjusted": 0.8,
           "kind": "continuous", "scale_min": 1, "scale_max": 5, "direction": "worse", "effect_size": float("nan")}
    text = arms.describe_program_effect(row)
    assert "ended 0.02 points lower" in text and "0.0 points" not in text, text
    assert "ended 0.2 points lower" in arms.describe_program_effect({**row, "estimate": -0.21})
