"""Power and sample size for the paired t-test (pre/post designs)."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from scipy import optimize, stats

from evalkit.errors import InputError
from evalkit.stats._result import Result
from evalkit.stats._validation import check_alternative, check_probability


@dataclass(frozen=True, kw_only=True)
class PowerResult(Result):
    """Result of :func:`power_paired`; ``n`` is fractional, ``n_required`` = ceil(n)."""

    effect_size: float
    n: float
    n_required: int
    power: float
    alpha: float
    alternative: str
    solved_for: str
    note: str = ""


def _power(d: float, n: float, alpha: float, tside: int) -> float:
    """R's power.t.test(type = "paired", strict = FALSE) with sd = 1 and delta = d."""
    df = n - 1
    return float(stats.nct.sf(stats.t.isf(alpha / tside, df), df, math.sqrt(n) * d))


def power_paired(effect_size=None, n=None, power=None, alpha=0.05, alternative="two-sided") -> PowerResult:
    """Power, sample size or detectable effect of the paired t-test; solve for the one left out.

    Parameters
    ----------
    effect_size : float or None
        Standardized mean change d_z = mean change / SD of the changes (> 0; for one-sided
        alternatives, the size of the change in the tested direction).
    n : float or None
        Number of participants with both pre and post (> 1).
    power : float or None
        Probability of a significant result, in (0, 1).
    alpha : float
        Significance level.
    alternative : {"two-sided", "greater", "less"}
        "greater" and "less" are one-sided and give the same power.

    Exactly one of ``effect_size``, ``n`` and ``power`` must be None; it is solved for.

    Returns
    -------
    PowerResult

    Notes
    -----
    Power = P(T' > t_{1 - alpha/s, n-1}) with T' noncentral t, df = n - 1, ncp = sqrt(n) d_z,
    s = 2 for two-sided and 1 for one-sided. As R's ``power.t.test(type = "paired")`` with its
    default ``strict = FALSE``, the two-sided power ignores rejections in the wrong tail
    (negligible unless the power is tiny). The unknown is found with Brent's root finder.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed.
    Erlbaum, ch. 2.

    Examples
    --------
    >>> from evalkit.stats import power_paired
    >>> res = power_paired(effect_size=0.5, power=0.8)
    >>> res.n_required
    34
    """
    alternative = check_alternative(alternative)
    alpha = check_probability(alpha, "alpha")
    given = {"effect_size": effect_size, "n": n, "power": power}
    missing = [k for k, v in given.items() if v is None]
    if len(missing) != 1:
        raise InputError(f"give exactly two of effect_size, n and power (leave one as None), got {len(missing)} left as None")
    for k, v in given.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v)):
            raise InputError(f"{k} must be a finite number, got {v!r}")
    if power is not None:
        power = check_probability(power, "power")
    if effect_size is not None and effect_size <= 0:
        raise InputError(f"effect_size must be > 0 (the size of the change in the tested direction), got {effect_size}")
    if n is not None and n <= 1:
        raise InputError(f"n must be greater than 1, got {n}")
    tside = 2 if alternative == "two-sided" else 1
    note = ""
    solved = missing[0]
    if solved == "power":
        power = _power(effect_size, n, alpha, tside)
    elif solved == "n":
        f = lambda m: _power(effect_size, m, alpha, tside) - power  # noqa: E731
        if f(2) >= 0:
            n, note = 2.0, "power is reached with the smallest possible sample (n = 2)"
        else:
            n = optimize.brentq(f, 2, 1e7, xtol=1e-10, rtol=1e-12)
    else:
        f = lambda d: _power(d, n, alpha, tside) - power  # noqa: E731
        if f(1e-7) >= 0:
            raise InputError(f"power must exceed the power under no effect ({alpha / tside:g}); got {power}")
        effect_size = optimize.brentq(f, 1e-7, 1e7, xtol=1e-12, rtol=1e-12)
    return PowerResult(effect_size=float(effect_size), n=float(n), n_required=math.ceil(n - 1e-9), power=float(power),
                       alpha=alpha, alternative=alternative, solved_for=solved, note=note)


def minimum_detectable_effect(n, alpha=0.05, power=0.8, alternative="two-sided") -> float:
    """Smallest standardized change d_z the paired t-test detects with the given power.

    Same method and conventions as :func:`power_paired` (R's ``power.t.test(n = n,
    power = power, type = "paired")$delta`` with sd = 1).

    Parameters
    ----------
    n : int
        Number of complete pairs (at least 2).
    alpha : float
        Significance level of the test.
    power : float
        Required probability of detecting the effect.
    alternative : {"two-sided", "greater", "less"}
        Direction of the planned test.

    Returns
    -------
    float
        The smallest d_z (mean change / SD of the changes) detected with that power.

    Examples
    --------
    >>> from evalkit.stats import minimum_detectable_effect
    >>> round(minimum_detectable_effect(30), 3)
    0.529
    """
    return power_paired(effect_size=None, n=n, power=power, alpha=alpha, alternative=alternative).effect_size
