"""ancova() against R's lm()/anova() on MASS::anorexia (R 4.2.2, MASS 7.3-58.2)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit
from evalkit.errors import InputError
from evalkit.stats.regression import AncovaResult, ancova

REL = 1e-6
ANOREXIA = Path(__file__).parent / "datasets" / "anorexia.csv"


@pytest.fixture(scope="module")
def anorexia() -> pd.DataFrame:
    return pd.read_csv(ANOREXIA)


@pytest.fixture(scope="module")
def fit(anorexia) -> AncovaResult:
    return ancova(anorexia, "Postwt", "Prewt", "Treat", reference="Cont")


# R: d <- MASS::anorexia; d$Treat <- relevel(d$Treat, "Cont"); m <- lm(Postwt ~ Prewt + Treat, d)
def test_adjusted_differences_match_r_summary(fit):
    t = fit.table.set_index("group")
    assert list(t.index) == ["CBT", "FT"]
    assert (t["reference"] == "Cont").all()
    # summary(m)$coefficients["TreatCBT", ] and ["TreatFT", ]
    assert t.loc["CBT", "estimate"] == pytest.approx(4.097065528072904, rel=REL)
    assert t.loc["CBT", "se"] == pytest.approx(1.893492606966926, rel=REL)
    assert t.loc["CBT", "t"] == pytest.approx(2.16376103767088, rel=REL)
    assert t.loc["CBT", "pvalue"] == pytest.approx(0.033999314720262595, rel=REL)
    assert t.loc["FT", "estimate"] == pytest.approx(8.660128180991691, rel=REL)
    assert t.loc["FT", "se"] == pytest.approx(2.193149411643052, rel=REL)
    assert t.loc["FT", "t"] == pytest.approx(3.94871782789470, rel=REL)
    assert t.loc["FT", "pvalue"] == pytest.approx(0.000189023798034246, rel=REL)
    # df.residual(m) = 68
    assert (t["df"] == 68).all()
    # confint(m)["TreatCBT", ], confint(m)["TreatFT", ]
    assert t.loc["CBT", "ci_low"] == pytest.approx(0.318659858978304, rel=REL)
    assert t.loc["CBT", "ci_high"] == pytest.approx(7.875471197167505, rel=REL)
    assert t.loc["FT", "ci_low"] == pytest.approx(4.283766668074341, rel=REL)
    assert t.loc["FT", "ci_high"] == pytest.approx(13.036489693909042, rel=REL)


def test_group_f_test_matches_r_sequential_anova(fit):
    # anova(m)["Treat", ]: Df 2, F 7.86807892462649, Pr(>F) 0.000843839823857501; residual Df 68
    assert fit.f_statistic == pytest.approx(7.86807892462649, rel=REL)
    assert fit.f_pvalue == pytest.approx(0.000843839823857501, rel=REL)
    assert (fit.f_df_num, fit.f_df_den) == (2, 68)
    # summary(m)$r.squared
    assert fit.r_squared == pytest.approx(0.277654774064715, rel=REL)
    assert (fit.n, fit.n_dropped, fit.note) == (72, 0, "")


def test_adjusted_means_match_r_predict(fit):
    # predict(m, data.frame(Prewt = mean(d$Prewt), Treat = c("Cont","CBT","FT")), se.fit = TRUE)
    m = fit.adjusted_means.set_index("group")
    assert m.loc["Cont", "adjusted_mean"] == pytest.approx(81.4772627862365, rel=REL)
    assert m.loc["CBT", "adjusted_mean"] == pytest.approx(85.5743283143094, rel=REL)
    assert m.loc["FT", "adjusted_mean"] == pytest.approx(90.1373909672282, rel=REL)
    assert m.loc["Cont", "se"] == pytest.approx(1.37538532465835, rel=REL)
    assert m.loc["CBT", "se"] == pytest.approx(1.29660917344948, rel=REL)
    assert m.loc["FT", "se"] == pytest.approx(1.69762445677165, rel=REL)
    # table(d$Treat): Cont 26, CBT 29, FT 17
    assert m["n"].to_dict() == {"CBT": 29, "Cont": 26, "FT": 17}


def test_covariate_and_group_entered_last_match_r(anorexia):
    # R: d$site <- seq_len(nrow(d)) %% 5; m <- lm(Postwt ~ Prewt + site + Treat, d)
    df = anorexia.assign(site=np.arange(1, len(anorexia) + 1) % 5)
    res = ancova(df, "Postwt", "Prewt", "Treat", reference="Cont", covariates=["site"], conf_level=0.90)
    t = res.table.set_index("group")
    # summary(m)$coefficients["TreatCBT", ], ["TreatFT", ]
    assert t.loc["CBT", "estimate"] == pytest.approx(4.03243406367276, rel=REL)
    assert t.loc["CBT", "se"] == pytest.approx(1.87844646309274, rel=REL)
    assert t.loc["CBT", "pvalue"] == pytest.approx(0.0354422073836051, rel=REL)
    assert t.loc["FT", "estimate"] == pytest.approx(8.67374282278777, rel=REL)
    assert t.loc["FT", "pvalue"] == pytest.approx(0.000167527501229043, rel=REL)
    # confint(m, level = 0.9)["TreatFT", ]
    assert t.loc["FT", "ci_low"] == pytest.approx(5.04579511055036, rel=REL)
    assert t.loc["FT", "ci_high"] == pytest.approx(12.3016905350252, rel=REL)
    # anova(m)["Treat", c("F value", "Pr(>F)")], residual Df 67
    assert res.f_statistic == pytest.approx(8.00877618562947, rel=REL)
    assert res.f_pvalue == pytest.approx(0.000760875165665387, rel=REL)
    assert res.f_df_den == 67
    # predict(m, data.frame(Prewt = mean(d$Prewt), site = mean(d$site), Treat = ...), se.fit = TRUE)
    m = res.adjusted_means.set_index("group")
    assert m.loc["Cont", "adjusted_mean"] == pytest.approx(81.5000803356402, rel=REL)
    assert m.loc["FT", "adjusted_mean"] == pytest.approx(90.173823158428, rel=REL)
    assert m.loc["CBT", "se"] == pytest.approx(1.28626765810244, rel=REL)
    # summary(m)$r.squared
    assert res.r_squared == pytest.approx(0.299932515985137, rel=REL)


def test_any_column_names_work(anorexia, fit):
    odd = anorexia.rename(columns={"Prewt": "weight (pre)", "Postwt": "weight's post", "Treat": 'arm "x"'})
    res = ancova(odd, "weight's post", "weight (pre)", 'arm "x"', reference="Cont")
    assert res.table["estimate"].tolist() == pytest.approx(fit.table["estimate"].tolist(), rel=1e-12)
    assert res.f_statistic == pytest.approx(fit.f_statistic, rel=1e-12)


def test_default_reference_is_first_sorted_group(anorexia):
    res = ancova(anorexia, "Postwt", "Prewt", "Treat")
    assert res.reference == "CBT"
    t = res.table.set_index("group")
    # Cont - CBT = -(CBT - Cont) = -4.097065528072904 (R summary above)
    assert t.loc["Cont", "estimate"] == pytest.approx(-4.097065528072904, rel=REL)
    # FT - CBT = 8.660128180991691 - 4.097065528072904 (difference of the two R coefficients)
    assert t.loc["FT", "estimate"] == pytest.approx(8.660128180991691 - 4.097065528072904, rel=REL)


def test_missing_rows_are_dropped_and_counted(anorexia, fit):
    extra = pd.DataFrame({"Treat": ["Cont", "FT", None], "Prewt": [80.0, np.nan, 82.0], "Postwt": [np.nan, 85.0, 90.0]})
    res = ancova(pd.concat([anorexia, extra], ignore_index=True), "Postwt", "Prewt", "Treat", reference="Cont")
    assert (res.n, res.n_dropped) == (72, 3)
    assert res.f_statistic == pytest.approx(fit.f_statistic, rel=1e-12)


def test_numeric_group_labels():
    # Hand check: both groups have the same pre values, so pre is uncorrelated with the group
    # indicator and the adjusted difference equals the raw difference of post means.
    df = pd.DataFrame({"pre": [1.0, 2, 3, 4, 1, 2, 3, 4], "post": [3.1, 3.9, 5.0, 6.0, 1.0, 2.1, 2.9, 4.0],
                       "g": [1, 1, 1, 1, 0, 0, 0, 0]})
    res = ancova(df, "post", "pre", "g")
    assert res.reference == "0"
    assert res.table["group"].tolist() == ["1"]
    # post sums: group 1 = 3.1 + 3.9 + 5.0 + 6.0 = 18.0, group 0 = 1.0 + 2.1 + 2.9 + 4.0 = 10.0;
    # (18.0 - 10.0) / 4 = 2.0
    assert res.table.loc[0, "estimate"] == pytest.approx(2.0, rel=1e-12)


def test_degenerate_inputs_give_nan_and_note(anorexia):
    one = anorexia[anorexia["Treat"] == "Cont"]
    res = ancova(one, "Postwt", "Prewt", "Treat")
    assert np.isnan(res.f_statistic) and "fewer than two groups" in res.note
    flat = anorexia.assign(Prewt=80.0)
    res = ancova(flat, "Postwt", "Prewt", "Treat", reference="Cont")
    assert np.isnan(res.f_statistic) and res.table["estimate"].isna().all()
    assert "constant or collinear" in res.note
    tiny = anorexia.groupby("Treat").head(1)  # 3 rows for 4 parameters
    res = ancova(tiny, "Postwt", "Prewt", "Treat", reference="Cont")
    assert np.isnan(res.r_squared) and "no residual degrees of freedom" in res.note


def test_wrong_input_raises_input_error(anorexia):
    with pytest.raises(InputError, match="unknown column.*'post'"):
        ancova(anorexia, "post", "Prewt", "Treat")
    with pytest.raises(InputError, match="reference group 'Control' is not in column 'Treat'"):
        ancova(anorexia, "Postwt", "Prewt", "Treat", reference="Control")
    with pytest.raises(InputError, match="column 'Prewt' must hold numbers"):
        ancova(anorexia.assign(Prewt=anorexia["Prewt"].astype(str).replace("80.7", "n/a")),
               "Postwt", "Prewt", "Treat")
    with pytest.raises(InputError, match="conf_level"):
        ancova(anorexia, "Postwt", "Prewt", "Treat", conf_level=95)
    with pytest.raises(InputError, match="DataFrame"):
        ancova(anorexia.to_dict(), "Postwt", "Prewt", "Treat")


def test_result_is_frozen_and_exported(fit):
    with pytest.raises(AttributeError):
        fit.n = 3
    assert set(fit.to_dict()) >= {"table", "adjusted_means", "f_statistic", "n", "note"}
    assert evalkit.ancova is ancova
