"""power_paired and minimum_detectable_effect against R 4.2.2 power.t.test(type = "paired")."""
import math

import pytest

from evalkit.errors import InputError
from evalkit.stats import minimum_detectable_effect, power_paired

REL = 1e-4  # agreement asked for power calculations; R's calls below use tol = 1e-12


@pytest.mark.parametrize(
    "kwargs, field, expected",
    [
        # R: power.t.test(delta = .5, power = .8, type = "paired", tol = 1e-12)$n
        (dict(effect_size=0.5, power=0.8), "n", 33.3672039788038),
        # R: power.t.test(delta = .3, power = .9, sig.level = .01, type = "paired",
        #                 alternative = "one.sided", tol = 1e-12)$n
        (dict(effect_size=0.3, power=0.9, alpha=0.01, alternative="greater"), "n", 147.354015973151),
        # R: power.t.test(n = 30, power = .8, type = "paired", tol = 1e-12)$delta
        (dict(n=30, power=0.8), "effect_size", 0.529236244775695),
        # R: power.t.test(n = 15, power = .9, sig.level = .1, type = "paired", alternative = "one.sided",
        #                 tol = 1e-12)$delta
        (dict(n=15, power=0.9, alpha=0.1, alternative="less"), "effect_size", 0.68245226430133),
        # R: power.t.test(n = 20, delta = .5, type = "paired")$power
        (dict(n=20, effect_size=0.5), "power", 0.564482896678662),
        # R: power.t.test(n = 40, delta = .3, type = "paired", alternative = "one.sided")$power
        (dict(n=40, effect_size=0.3, alternative="greater"), "power", 0.58684835699611),
        # R: power.t.test(n = 8, delta = .1, type = "paired")$power = 0.0433501908814865 (strict = FALSE;
        #    with strict = TRUE R gives 0.0569815715899764, the wrong-tail rejections included)
        (dict(n=8, effect_size=0.1), "power", 0.0433501908814865),
    ],
)
def test_matches_power_t_test(kwargs, field, expected):
    res = power_paired(**kwargs)
    assert getattr(res, field) == pytest.approx(expected, rel=REL)
    assert res.solved_for == field
    # all fields are filled and consistent: recomputing the power from the solution gives the input
    again = power_paired(effect_size=res.effect_size, n=res.n, alpha=res.alpha, alternative=res.alternative)
    assert again.power == pytest.approx(res.power, rel=1e-8)


def test_n_required_rounds_up():
    assert power_paired(effect_size=0.5, power=0.8).n_required == 34  # R: n = 33.367 -> 34 participants


def test_minimum_detectable_effect():
    # R: power.t.test(n = 30, power = .8, type = "paired", tol = 1e-12)$delta
    assert minimum_detectable_effect(30) == pytest.approx(0.529236244775695, rel=REL)
    # larger samples detect smaller effects (could fail if the solver picked the wrong root)
    assert minimum_detectable_effect(100) < minimum_detectable_effect(30)


def test_huge_effect_needs_smallest_sample():
    res = power_paired(effect_size=20, power=0.8)
    assert res.n == 2 and res.note


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(effect_size=0.5), "exactly two"),
        (dict(effect_size=0.5, n=10, power=0.8), "exactly two"),
        (dict(effect_size=-0.5, power=0.8), "effect_size must be > 0"),
        (dict(n=1, power=0.8), "n must be greater than 1"),
        (dict(n=10, power=1.2), "power"),
        (dict(n=10, effect_size=0.5, alpha=0), "alpha"),
        (dict(n=10, effect_size=0.5, alternative="one.sided"), "alternative"),
        (dict(n=10, power=0.01), "power must exceed"),
        (dict(n="ten", power=0.8), "finite number"),
    ],
)
def test_wrong_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        power_paired(**kwargs)


def test_result_display():
    res = power_paired(effect_size=0.5, n=20)
    assert res.to_dict()["solved_for"] == "power" and math.isfinite(res.power)
