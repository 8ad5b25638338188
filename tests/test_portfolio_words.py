"""Portfolio and index wording (trial 12 F10)."""
from __future__ import annotations


def test_a_portfolio_without_comparison_groups_does_not_say_so_on_every_line(sample_portfolio):
    # gen portfolio: every pooled line added "(pre/post changes of partnerships without a comparison group)" where
    # no partnership had one, and read "..., 0.22 points (95% CI -0.02 to 0.46), that could be due to chance"
    text = sample_portfolio.shared_summary()
    assert "across" in text
    assert "without a comparison group" not in text
    assert "), that could be due to chance" not in text


def test_the_chance_clause_reads_as_a_sentence():
    from evalkit.report_portfolio import chance_clause

    assert chance_clause(False) == "a result that could be due to chance"
    assert chance_clause(True) == "a result unlikely to be due to chance"
