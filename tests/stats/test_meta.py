"""meta_analysis() against R metafor 3.8-1 rma()/predict() on dat.bcg (BCG vaccine trials).

Reference data, R 4.2.2:
    library(metafor)
    dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
    dput(as.numeric(dat$yi)); dput(as.numeric(dat$vi))
"""
from __future__ import annotations

import numpy as np
import pytest

from evalkit.errors import InputError
from evalkit.stats.meta import meta_analysis

REL = 1e-6

YI = [-0.889311333920205, -1.58538865720143, -1.34807314829969, -1.44155119002131, -0.217547322211296,
      -0.786115585818864, -1.62089822359839, 0.0119523335238405, -0.469417648738149, -1.37134480347278,
      -0.339358828338391, 0.445913400571379, -0.0173139482168798]
VI = [0.325584765003961, 0.194581121398144, 0.415367965367965, 0.0200100319022476, 0.0512101721696309,
      0.00690561845590876, 0.223017247572315, 0.00396157929781773, 0.056434210463249, 0.0730247936130289,
      0.0124122139715597, 0.532505845200153, 0.0714046596839863]


def _check(res, expected: dict, rel=REL):
    for field, value in expected.items():
        assert getattr(res, field) == pytest.approx(value, rel=rel), field


def test_dersimonian_laird_matches_metafor():
    res = meta_analysis(YI, VI, method="DL")
    # r <- rma(yi, vi, data = dat, method = "DL"); p <- predict(r)
    _check(res, {
        "estimate": -0.714117222073227,  # r$b
        "se": 0.178742089535403,  # r$se
        "z": -3.99523818888658,  # r$zval
        "pvalue": 6.462924304704e-05,  # r$pval
        "ci_low": -1.06444528008405, "ci_high": -0.363789164062403,  # r$ci.lb, r$ci.ub
        "tau2": 0.308760262862376,  # r$tau2
        "I2": 92.1173468545621, "H2": 12.6860840068644,  # r$I2, r$H2
        "Q": 152.233008082373, "Q_pvalue": 1.99676459084597e-26,  # r$QE, r$QEp
        "pi_low": -1.85815375273217, "pi_high": 0.429919308585714,  # p$pi.lb, p$pi.ub
    })
    assert (res.k, res.Q_df, res.method, res.note) == (13, 12, "DL", "")
    # weights(r)[c(1, 6, 13)] (percent)
    assert res.studies["weight"].iloc[[0, 5, 12]].tolist() == pytest.approx(
        [5.03649168323173, 10.1210604193452, 8.40391437418475], rel=REL)


# REML: metafor's Fisher scoring stops when a step changes tau2 by less than 1e-5 (its default
# control threshold), so its default tau2 sits up to ~1e-5 (relative) from the exact REML maximum,
# which evalkit solves for to 1e-14. The tests therefore check evalkit against rma() with
# control = list(threshold = 1e-14, maxiter = 1000) at REL, and against the plain default fit at
# 1e-5 relative.


def test_reml_matches_metafor():
    res = meta_analysis(YI, VI, method="REML")
    # r <- rma(yi, vi, data = dat, method = "REML", control = list(threshold = 1e-14, maxiter = 1000))
    # p <- predict(r)
    _check(res, {
        "tau2": 0.313243258136481,  # r$tau2
        "estimate": -0.714532342158139, "se": 0.179781516105206,  # r$b, r$se
        "z": -3.97444830613179, "pvalue": 7.05425810164165e-05,  # r$zval, r$pval
        "ci_low": -1.06689763881035, "ci_high": -0.362167045505929,  # r$ci.lb, r$ci.ub
        "I2": 92.221384521269, "H2": 12.8557582353092,  # r$I2, r$H2
        "Q": 152.233008082373, "Q_pvalue": 1.99676459084597e-26,  # r$QE, r$QEp
        "pi_low": -1.86669221790289, "pi_high": 0.437627533586608,  # p$pi.lb, p$pi.ub
    })
    # default control: rma(yi, vi, data = dat, method = "REML")$tau2, $b, and predict()$pi.lb
    _check(res, {"tau2": 0.313243325980895, "estimate": -0.714532348365101, "pi_low": -1.86669234660707},
           rel=1e-5)


def test_reml_with_other_level_matches_metafor():
    res = meta_analysis(YI, VI, method="REML", conf_level=0.90)
    # r <- rma(yi, vi, data = dat, method = "REML", level = 90); p <- predict(r)   (default control)
    _check(res, {"ci_low": -1.01024665297292, "ci_high": -0.418818043757282,
                 "pi_low": -1.68145549944608, "pi_high": 0.252390802715879}, rel=1e-5)


def test_reml_on_five_trials_matches_metafor():
    res = meta_analysis(YI[:5], VI[:5], method="REML")
    # s <- rma(yi[1:5], vi[1:5], data = dat, method = "REML", control = list(threshold = 1e-14, maxiter = 1000))
    # p <- predict(s)
    _check(res, {"tau2": 0.29839537807576, "estimate": -1.05858540903099, "se": 0.301058037907126,
                 "z": -3.51621706030502, "pvalue": 0.000437742949632139,
                 "ci_low": -1.64864832058526, "ci_high": -0.468522497476732,
                 "I2": 76.5131751889326, "H2": 4.25770621633275,
                 "pi_low": -2.28106150153971, "pi_high": 0.163890683477721})
    # default control: rma(yi[1:5], vi[1:5], data = dat, method = "REML")$tau2 (stopped early)
    _check(res, {"tau2": 0.298393096549756}, rel=1e-5)


def test_fixed_effect_matches_metafor():
    res = meta_analysis(YI, VI, method="FE")
    # r <- rma(yi, vi, data = dat, method = "FE")
    _check(res, {
        "estimate": -0.430285163654091, "se": 0.0404987517108638,  # r$b, r$se
        "z": -10.6246525010465, "pvalue": 2.28862930697324e-26,  # r$zval, r$pval
        "ci_low": -0.509661258426214, "ci_high": -0.350909068881968,  # r$ci.lb, r$ci.ub
        "I2": 92.1173468545621, "H2": 12.6860840068644,  # r$I2, r$H2 (from Q for FE)
        "Q": 152.233008082373, "Q_pvalue": 1.99676459084597e-26,
    })
    assert res.tau2 == 0
    # predict() gives no prediction interval for FE; evalkit's equals the confidence interval
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)


@pytest.mark.parametrize("method", ["DL", "REML"])
def test_homogeneous_effects_truncate_tau2_at_zero(method):
    res = meta_analysis([0.2, 0.25, 0.22], [0.04, 0.05, 0.03], method=method)
    # h <- rma(c(0.2, 0.25, 0.22), c(0.04, 0.05, 0.03), method = method); predict(h)
    assert res.tau2 == 0
    _check(res, {"estimate": 0.221276595744681, "se": 0.112986536573206, "H2": 1,
                 "Q": 0.0278723404255319, "Q_pvalue": 0.986160488668147,
                 "pi_low": -0.000172946676721353, "pi_high": 0.442726138166083})
    assert res.I2 == 0


def test_missing_pairs_are_dropped_and_counted():
    res = meta_analysis([*YI, np.nan, 0.3], [*VI, 0.1, None], method="DL", labels=[f"p{i}" for i in range(15)])
    assert (res.k, res.n_dropped) == (13, 2)
    assert res.estimate == pytest.approx(-0.714117222073227, rel=REL)  # as the DL fit above
    assert res.studies["label"].tolist() == [f"p{i}" for i in range(13)]
    assert res.studies["weight"].sum() == pytest.approx(100)


def test_one_partnership_returns_its_effect_with_a_note():
    res = meta_analysis([0.3], [0.01], method="REML")
    # hand: se = sqrt(0.01) = 0.1; CI = 0.3 -/+ 1.959963984540054 * 0.1
    assert (res.estimate, res.tau2) == (0.3, 0.0)
    assert res.ci_low == pytest.approx(0.3 - 0.1959963984540054, rel=1e-12)
    assert np.isnan(res.I2) and "only one partnership" in res.note


def test_degenerate_inputs_give_nan_and_note():
    empty = meta_analysis([np.nan], [0.1])
    assert np.isnan(empty.estimate) and "nothing to pool" in empty.note
    zero = meta_analysis([0.1, 0.2], [0.0, 0.1])
    assert np.isnan(zero.estimate) and "variance is zero" in zero.note


def test_wrong_input_raises_input_error():
    with pytest.raises(InputError, match="unknown method 'PM'"):
        meta_analysis(YI, VI, method="PM")
    with pytest.raises(InputError, match="same length"):
        meta_analysis(YI, VI[:-1])
    with pytest.raises(InputError, match="variances must be positive"):
        meta_analysis([0.1, 0.2], [0.1, -0.1])
    with pytest.raises(InputError, match="numbers only"):
        meta_analysis([0.1, "big"], [0.1, 0.1])
    with pytest.raises(InputError, match="one label per effect"):
        meta_analysis([0.1, 0.2], [0.1, 0.1], labels=["a"])


def test_notebook_display_includes_the_studies_table():
    res = meta_analysis(YI[:3], VI[:3], labels=["riverside", "hillside", "lakeside"])
    html = res._repr_html_()
    assert "MetaResult" in html and "studies" in html and "hillside" in html
