"""Change over time (evalkit.waves) on HSAUR's BtheB trial: five waves, real attrition.

tests/stats/datasets/BtheB.csv (Everitt & Hothorn, HSAUR; see its README): Beck Depression
Inventory II (0-63, lower is better) at baseline and 2, 4, 6 and 8 months. Every reference value
below is computed in the test itself from the CSV by a separate code path (pandas, scipy,
statsmodels fitted directly), never taken from evalkit.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests

import evalkit as ek
from builders import measure as _measure
from builders import write_tables
from evalkit import waves

DATASETS = Path(__file__).parent / "stats" / "datasets"
COLUMNS = {"bdi.pre": "pre", "bdi.2m": "2m", "bdi.4m": "4m", "bdi.6m": "6m", "bdi.8m": "8m"}
MONTHS = {"pre": 0, "2m": 2, "4m": 4, "6m": 6, "8m": 8}


def _severity(bdi):
    """BDI-II severity bands (Beck, Steer & Brown, 1996): 0-13 minimal, 14-19 mild, 20-28 moderate, 29-63 severe."""
    return pd.cut(bdi, [-1, 13, 19, 28, 63], labels=[1, 2, 3, 4]).astype(float)


@pytest.fixture(scope="module")
def csv():
    d = pd.read_csv(DATASETS / "BtheB.csv")
    d["participant_id"] = [f"s{i:03d}" for i in d["rownames"]]
    return d


def _long(csv):
    long = csv.melt(id_vars=["participant_id"], value_vars=list(COLUMNS), var_name="column", value_name="bdi")
    long = long.dropna(subset=["bdi"])
    long["wave"] = long["column"].map(COLUMNS)
    long["month"] = long["wave"].map(MONTHS).astype(float)
    return long


def _write(folder, csv, waves_table=True, wave_names=COLUMNS):
    long = _long(csv)
    parts = [long.assign(measure="bdi", value=long["bdi"]),
             long.assign(measure="severity", value=_severity(long["bdi"])),
             long.assign(measure="depressed", value=(long["bdi"] >= 14).astype(float))]
    resp = pd.concat(parts).assign(partnership_id="btheb")
    resp["wave"] = resp["column"].map(wave_names)
    if waves_table:
        resp = resp.sample(frac=1, random_state=1)  # with a waves table, file order must not decide the wave order
    people = csv[["participant_id"]].assign(partnership_id="btheb", drug=csv["drug"], length=csv["length"],
                                            arm=np.where(csv["treatment"] == "BtheB", "program", "comparison"))
    measures = [_measure("bdi", lo=0, hi=63, hib=False, label="Depression (BDI-II)"),
                _measure("severity", kind="ordinal", lo=1, hi=4, hib=False, label="Depression severity band"),
                _measure("depressed", kind="binary", lo=0, hi=1, hib=False, label="At least mild depression")]
    folder = write_tables(folder, resp[["participant_id", "partnership_id", "wave", "measure", "value"]], measures,
                          participants=people)
    if waves_table:
        pd.DataFrame({"wave": list(wave_names.values()), "order": list(MONTHS.values()),
                      "role": ["baseline", "post", "followup", "followup", "followup"]}).to_csv(
            folder / "waves.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory, csv):
    return ek.load_data(_write(tmp_path_factory.mktemp("btheb"), csv))


def test_wave_order_and_roles_come_from_the_waves_table(data):
    assert waves.wave_order(data, "btheb") == ["pre", "2m", "4m", "6m", "8m"]
    assert data.wave_roles == {"pre": "baseline", "2m": "post", "4m": "followup", "6m": "followup",
                               "8m": "followup"}
    assert waves.wave_times(data, "btheb") == {"pre": 0.0, "2m": 2.0, "4m": 4.0, "6m": 6.0, "8m": 8.0}


def test_wide_has_one_row_per_participant_with_every_wave(data, csv):
    w = ek.wide(data, "btheb")
    assert len(w) == 100 and w["participant_id"].is_unique
    assert w.columns[:4].tolist() == ["participant_id", "arm", "drug", "length"]
    assert [c for c in w.columns if c.startswith("bdi_")] == ["bdi_pre", "bdi_2m", "bdi_4m", "bdi_6m", "bdi_8m"]
    merged = csv.merge(w, on="participant_id")
    for column, wave in COLUMNS.items():
        np.testing.assert_array_equal(merged[column].to_numpy(float), merged[f"bdi_{wave}"].to_numpy(float))
    assert ek.matched_pairs is ek.compare.matched_pairs


def test_retention_per_wave(data):
    r = waves.retention_by_wave(data, "btheb")
    # summary(BtheB) in HSAUR: NA's 3, 27, 42, 48 at the four follow-ups -> 97, 73, 58, 52 answered
    assert r["n_answered"].tolist() == [100, 97, 73, 58, 52]
    assert r["retention_rate"].tolist() == pytest.approx([1.0, 0.97, 0.73, 0.58, 0.52])
    assert r["role"].tolist() == ["baseline", "post", "followup", "followup", "followup"]


def test_trajectory_means_and_t_intervals(data, csv):
    # k = 1: everyone who answered a wave (at k = 10 the 1 to 9 outside the pre/post pairs are left out of those
    # two waves' means, which would give them away beside the outcomes table: tests/test_privacy_attack.py)
    t = waves.trajectory(data, "btheb", ["bdi"], min_group_size=1)
    assert t["wave"].tolist() == ["pre", "2m", "4m", "6m", "8m"]
    for (_, row), column in zip(t.iterrows(), COLUMNS):
        x = csv[column].dropna()
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (row["n"], row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((len(x), x.mean(), lo, hi))


def test_trajectory_suppresses_small_waves(data):
    t = waves.trajectory(data, "btheb", ["bdi"], min_group_size=60)
    assert t["suppressed"].tolist() == [False, False, False, True, True]  # 58 and 52 answered at 6 and 8 months
    assert t["mean"].iloc[3:].isna().all() and t["n"].iloc[3:].isna().all()


def test_baseline_vs_each_later_wave_with_holm_over_the_family(data, csv):
    t = waves.baseline_vs_later(data, "btheb", ["bdi"])
    assert t["wave"].tolist() == ["2m", "4m", "6m", "8m"] and (t["baseline"] == "pre").all()
    raw = []
    for column in list(COLUMNS)[1:]:
        pair = csv[["bdi.pre", column]].dropna()
        res = stats.ttest_rel(pair[column], pair["bdi.pre"])
        raw.append(res.pvalue)
        row = t[t["wave"] == COLUMNS[column]].iloc[0]
        assert (row["n_pairs"], row["mean_change"], row["pvalue"]) == pytest.approx(
            (len(pair), (pair[column] - pair["bdi.pre"]).mean(), res.pvalue))
    assert t["p_adjusted"].tolist() == pytest.approx(multipletests(raw, method="holm")[1].tolist())


def test_mixed_model_time_effect_matches_statsmodels_fitted_directly(data, csv):
    res = waves.time_trend(data, "btheb", "bdi")
    long = _long(csv)
    fit = smf.mixedlm("bdi ~ month", long, groups=long["participant_id"]).fit(reml=True)
    lo, hi = fit.conf_int().loc["month"]
    assert res.model == "linear mixed model (random intercept per participant)"
    assert (res.estimate, res.se, res.ci_low, res.ci_high) == pytest.approx(
        (fit.params["month"], fit.bse["month"], lo, hi), rel=1e-5)
    assert res.pvalue == pytest.approx(fit.pvalues["month"], rel=1e-4)
    assert (res.n_participants, res.n_observations, res.n_waves) == (100, 380, 5)  # 100 + 97 + 73 + 58 + 52
    assert res.estimate < 0 and res.converged
    text = waves.describe_time_trend(res)
    assert text.startswith("Across 5 waves (380 answers from 100 participants), Depression \\(BDI-II\\) scores fell by")
    assert "on a 0-63 scale" in text and "an improvement unlikely to be due to chance" in text


def test_time_is_the_wave_position_without_a_waves_table(tmp_path, csv, data):
    plain = ek.load_data(_write(tmp_path / "d", csv, waves_table=False,
                                wave_names=dict(zip(COLUMNS, ["t1", "t2", "t3", "t4", "t5"]))))
    assert waves.wave_order(plain, "btheb") == ["t1", "t2", "t3", "t4", "t5"]  # order of first appearance
    per_position = waves.time_trend(plain, "btheb", "bdi").estimate
    per_month = waves.time_trend(data, "btheb", "bdi").estimate
    assert per_position == pytest.approx(2 * per_month, rel=1e-4)  # months are 2 x position here


def test_gee_for_ordinal_and_binary_measures_matches_statsmodels(data, csv):
    long = _long(csv)
    long["severity"] = _severity(long["bdi"])
    long["depressed"] = (long["bdi"] >= 14).astype(float)
    for measure, family in (("severity", sm.families.Gaussian()), ("depressed", sm.families.Binomial())):
        fit = smf.gee(f"{measure} ~ month", groups="participant_id", data=long.sort_values(["participant_id", "month"]),
                      family=family, cov_struct=sm.cov_struct.Exchangeable()).fit()
        res = waves.time_trend(data, "btheb", measure)
        assert res.model.startswith("GEE")
        expected = fit.params["month"] if measure == "severity" else np.exp(fit.params["month"])
        assert res.estimate == pytest.approx(expected, rel=1e-5)
        assert res.se == pytest.approx(fit.bse["month"], rel=1e-5)
    odds = waves.time_trend(data, "btheb", "depressed")
    assert odds.effect == "odds ratio per unit of the waves' order" and odds.estimate < 1
    assert "the odds of answering yes" in waves.describe_time_trend(odds)


def test_time_trends_table_and_suppression(data):
    t = waves.time_trends(data, "btheb")
    assert t["measure"].tolist() == ["bdi", "severity", "depressed"]
    assert t["p_adjusted"].tolist() == pytest.approx(multipletests(t["pvalue"], method="holm")[1].tolist())
    small = waves.time_trend(data, "btheb", "bdi", min_group_size=101)
    assert small.suppressed and np.isnan(small.estimate) and small.n_participants == 0
    assert "Too few participants" in waves.describe_time_trend(small, min_group_size=101)


def test_trajectory_figure_shows_labels_literally(data):
    t = waves.trajectory(data, "btheb", ["bdi", "depressed"], by="arm")
    t["label"] = t["label"].where(t["measure"] != "bdi", "Cost $5 or more, $ per_week")
    fig = waves.plot_trajectory(t)
    fig.savefig(io.BytesIO(), format="png")  # mathtext would fail or eat the $ signs
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0] == "Cost $5 or more, $ per_week"
    texts = [ax.title for ax in fig.axes] + [label for ax in fig.axes for label in ax.get_xticklabels()]
    assert all(not text.get_parse_math() and not text.get_usetex() for text in texts)
