"""adjust_pvalues against R 4.2.2 p.adjust."""
import numpy as np
import pandas as pd
import pytest

from evalkit.errors import InputError
from evalkit.stats import adjust_pvalues

P = [0.01, 0.02, 0.03, 0.04, 0.05, 0.2, np.nan, 0.001, 0.5, 0.04]
NA = np.nan


@pytest.mark.parametrize(
    "method, expected",
    [
        # R: p <- c(0.01, 0.02, 0.03, 0.04, 0.05, 0.2, NA, 0.001, 0.5, 0.04); p.adjust(p, method)
        ("holm", [0.080, 0.140, 0.180, 0.200, 0.200, 0.400, NA, 0.009, 0.500, 0.200]),
        ("hochberg", [0.080, 0.140, 0.150, 0.150, 0.150, 0.400, NA, 0.009, 0.500, 0.150]),
        ("bonferroni", [0.090, 0.180, 0.270, 0.360, 0.450, 1.000, NA, 0.009, 1.000, 0.360]),
        ("bh", [0.045, 0.06, 0.06, 0.06, 0.0642857142857143, 0.225, NA, 0.009, 0.5, 0.06]),
        ("by", [0.1273035714285715, 0.1697380952380952, 0.1697380952380952, 0.1697380952380952,
                0.1818622448979592, 0.6365178571428572, NA, 0.0254607142857143, 1.0, 0.1697380952380952]),
    ],
)
def test_matches_p_adjust(method, expected):
    out = adjust_pvalues(P, method=method)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, expected, rtol=1e-6)  # NaN positions must match too


def test_series_keeps_index_and_name():
    s = pd.Series(P, index=[f"m{i}" for i in range(10)], name="p")
    out = adjust_pvalues(s, method="holm")
    assert isinstance(out, pd.Series) and list(out.index) == list(s.index) and out.name == "p"
    assert out["m7"] == pytest.approx(0.009)  # R: p.adjust(p, "holm")[8]
    assert np.isnan(out["m6"])


def test_all_missing_and_empty():
    assert np.isnan(adjust_pvalues([np.nan, None])).all()
    assert adjust_pvalues([]).size == 0


def test_wrong_input():
    with pytest.raises(InputError, match="unknown method"):
        adjust_pvalues([0.1], method="fdr")
    with pytest.raises(InputError, match="between 0 and 1"):
        adjust_pvalues([0.1, 1.5])
    with pytest.raises(InputError, match="numbers"):
        adjust_pvalues(["0.1"])
