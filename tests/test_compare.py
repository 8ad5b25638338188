"""compare_prepost and the report's analyses, checked against R on published data and hand calculation."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit as ek
from builders import long_responses as _long
from builders import measure as _measure
from builders import write_tables
from evalkit.errors import InputError

DATASETS = Path(__file__).parent / "stats" / "datasets"


@pytest.fixture(scope="module")
def anorexia_dir(tmp_path_factory):
    """MASS::anorexia as one partnership with three 'measures': the weights of each treatment group."""
    d = pd.read_csv(DATASETS / "anorexia.csv")
    d.columns = [c.lower() for c in d.columns]
    parts = [_long("anorexia", g.lower(), x["prewt"].to_numpy(), x["postwt"].to_numpy())
             for g, x in d.groupby("treat", sort=False)]
    return write_tables(tmp_path_factory.mktemp("anorexia"), pd.concat(parts),
                        [_measure("cont"), _measure("cbt"), _measure("ft")])


def test_paired_t_and_holm_match_r_on_anorexia(anorexia_dir):
    data = ek.load_data(anorexia_dir)
    t = ek.compare_prepost(data, min_group_size=10).set_index("measure")
    # R 4.2: with(subset(MASS::anorexia, Treat == g), t.test(Postwt, Prewt, paired = TRUE))
    r = {"cont": (-0.287225391, 25, 0.7763070622, -3.676707588, 2.776707588, -0.45),
         "cbt": (2.215587844, 28, 0.03502259756, 0.2268901584, 5.786902945, 3.006896552),
         "ft": (4.184908135, 16, 0.0007002531056, 3.584699536, 10.94471223, 7.264705882)}
    for m, (stat, df, p, lo, hi, est) in r.items():
        row = t.loc[m]
        assert row["test"] == "paired t"
        assert row["n_pairs"] == df + 1
        np.testing.assert_allclose([row["statistic"], row["df"], row["pvalue"], row["ci_low"], row["ci_high"],
                                    row["mean_change"]], [stat, df, p, lo, hi, est], rtol=1e-6)
    # R: p.adjust(c(0.7763070622, 0.03502259756, 0.0007002531056), "holm")
    np.testing.assert_allclose(t.loc[["cont", "cbt", "ft"], "p_adjusted"],
                               [0.7763070622, 0.07004519512, 0.002100759317], rtol=1e-6)
    assert t.loc["ft", "direction"] == "improved" and t.loc["cont", "direction"] == "declined"
    assert t.loc["ft", "significant"] and not t.loc["cbt", "significant"]  # cbt: raw p < .05, Holm p > .05


def test_ordinal_measure_uses_wilcoxon_matching_r(tmp_path):
    d = pd.read_csv(DATASETS / "anorexia.csv")
    d.columns = [c.lower() for c in d.columns]
    ft = d[d["treat"] == "FT"]
    # Ordinal values must be whole numbers: round both waves to whole pounds (R below uses the same values).
    rounded = _long("ft", "weight", np.round(ft["prewt"].to_numpy()), np.round(ft["postwt"].to_numpy()))
    folder = write_tables(tmp_path, rounded, [_measure("weight", kind="ordinal", lo=0, hi=200)])
    row = ek.compare_prepost(ek.load_data(folder), min_group_size=5).iloc[0]
    assert row["test"] == "Wilcoxon signed-rank"
    # R: x <- subset(MASS::anorexia, Treat == "FT")
    #    wilcox.test(round(x$Postwt), round(x$Prewt), paired = TRUE)
    #    (ties and a zero -> normal approximation with continuity correction): V = 128.5, p-value = 0.001891996512
    assert row["statistic"] == 128.5
    np.testing.assert_allclose(row["pvalue"], 0.001891996512, rtol=1e-6)


def test_binary_measure_uses_mcnemar_by_hand(tmp_path):
    # 40 participants: 20 no->no, 12 no->yes (improved), 3 yes->no (worsened), 5 yes->yes.
    pre = np.array([0] * 20 + [0] * 12 + [1] * 3 + [1] * 5)
    post = np.array([0] * 20 + [1] * 12 + [0] * 3 + [1] * 5)
    folder = write_tables(tmp_path, _long("b", "volunteered", pre, post), [_measure("volunteered", "binary", 0, 1)])
    row = ek.compare_prepost(ek.load_data(folder)).iloc[0]
    # 15 discordant pairs < 25 -> exact: two-sided binomial p of 3 or fewer of 15 at 1/2
    # = 2 * (C(15,0)+C(15,1)+C(15,2)+C(15,3)) / 2^15 = 2 * 576 / 32768 = 0.03515625
    assert row["test"] == "McNemar (exact)"
    np.testing.assert_allclose(row["pvalue"], 0.03515625, rtol=1e-9)
    np.testing.assert_allclose([row["mean_pre"], row["mean_post"], row["mean_change"]], [8 / 40, 17 / 40, 9 / 40])
    np.testing.assert_allclose(row["effect_size"], 12 / 3)


def test_when_everyone_changes_by_the_same_amount_the_verdict_says_so(tmp_path):
    """15 participants all go from no to yes, and all gain exactly 2 points: the SD of the changes is 0, the
    paired t is undefined, yet no chance explains 15 changes all the same way. Hand calculation: exact
    McNemar = exact sign test, two-sided p = 2 * (1/2)^15 = 0.00006103515625."""
    n = 15
    yes = _long("b", "volunteered", np.zeros(n), np.ones(n))
    points = _long("b", "score", np.arange(n) % 5 + 1.0, np.arange(n) % 5 + 3.0)
    folder = write_tables(tmp_path, pd.concat([yes, points]),
                          [_measure("volunteered", "binary", 0, 1), _measure("score", "continuous", 0, 20)])
    table = ek.compare_prepost(ek.load_data(folder)).set_index("measure")
    p_hand = 2 * 0.5 ** 15
    binary, score = table.loc["volunteered"], table.loc["score"]
    assert binary["test"] == "McNemar (exact)"
    np.testing.assert_allclose(binary["pvalue"], p_hand, rtol=1e-12)
    assert score["test"] == "sign test (exact)" and score["statistic"] == 15   # 15 of 15 changes positive
    np.testing.assert_allclose(score["pvalue"], p_hand, rtol=1e-12)
    assert "every participant changed by the same amount" in score["note"]
    for row in (binary, score):
        assert row["sd_change"] == 0 and np.isnan(row["ci_low"])   # no t interval: the table says why
        assert row["verdict"] == "improved" and row["significant"]
    report = ek.report.PartnershipReport(ek.load_data(folder), "b", min_group_size=10)
    words = report.summary() + re.sub(r'src="data:[^"]*"', "", report.at_a_glance().data)  # text, not images
    assert re.search(r"\bnan\b", words, re.IGNORECASE) is None   # the words had said "95% CI nan to nan"
    assert words.count("every participant changed by the same amount, so no interval") >= 2
    assert "Both outcomes improved" in words
    assert "exact sign test" in report.methods()
    # one participant the other way: an ordinary t interval again, and the ordinary paired t
    mixed = _long("b", "score", np.r_[np.arange(n) % 5 + 1.0], np.r_[np.arange(n - 1) % 5 + 3.0, 0.0])
    folder = write_tables(tmp_path / "mixed", mixed, [_measure("score", "continuous", 0, 20)])
    row = ek.compare_prepost(ek.load_data(folder)).iloc[0]
    assert row["test"] == "paired t" and np.isfinite(row["ci_low"])


def test_small_groups_are_suppressed(tmp_path):
    rng = np.random.default_rng(1)
    pre = rng.integers(1, 6, 30).astype(float)
    post = np.clip(pre + rng.integers(0, 2, 30), 1, 5)
    resp = _long("s", "skills", pre, post)
    people = resp[["participant_id", "partnership_id"]].drop_duplicates().copy()
    people["gender"] = ["woman"] * 22 + ["man"] * 6 + [None] * 2
    folder = write_tables(tmp_path, resp, [_measure("skills", "ordinal", 1, 5)], participants=people)
    t = ek.compare_prepost(ek.load_data(folder), by="gender", min_group_size=10).set_index("group")
    assert set(t.index) == {"woman", "man", "Not recorded"}
    # man (6) and not recorded (2) are blanked; together they are 8 < 10, so the whole-partnership
    # row (30) minus women (22) would give them back: women are blanked too (complementary suppression)
    assert t.loc["woman", "suppressed"] and pd.isna(t.loc["woman", "n_pairs"])
    assert "subtraction" in t.loc["woman", "note"]
    for g in ("man", "Not recorded"):
        row = t.loc[g]
        assert row["suppressed"] and row["direction"] == "suppressed"
        assert pd.isna(row["n_pairs"]) and pd.isna(row["mean_change"]) and pd.isna(row["pvalue"])
        assert "fewer than 10" in row["note"]


def test_unknown_partnership_measure_or_group_is_a_clear_error(anorexia_dir):
    data = ek.load_data(anorexia_dir)
    with pytest.raises(InputError, match="unknown partnership_id"):
        ek.compare_prepost(data, "nope")
    with pytest.raises(InputError, match="unknown measure"):
        ek.compare_prepost(data, measures=["weight"])
    with pytest.raises(InputError, match="unknown group column"):
        ek.compare_prepost(data, by="shoe_size")
    with pytest.raises(InputError):
        ek.compare_prepost(data, correction="tukey")


def _scale_data(tmp_path):
    """Items "a" and "b" (worded against the scale "tw"), 12 participants; a rises by 1, b falls by 1."""
    a_pre = np.array([1, 2, 3, 4] * 3, float)
    b_pre = 6 - a_pre
    responses = pd.concat([_long("p", "a", a_pre, a_pre + 1), _long("p", "b", b_pre, b_pre - 1)])
    measures = [{**_measure("a", kind="ordinal", lo=1, hi=5), "scale": "tw", "reverse_coded": False},
                {**_measure("b", kind="ordinal", lo=1, hi=5), "scale": "tw", "reverse_coded": True}]
    return ek.load_data(write_tables(tmp_path, responses, measures))


def test_compare_prepost_compares_scales_as_reports_do(tmp_path):
    """`ek.compare_prepost(data, pid)` compared the raw items of a scale (Holm over other measures than the
    report's) and took a reverse-coded item's fall for a decline. By default it now compares the scale score:
    mean of a and 6 - b, i.e. 1, 2, 3, 4 (x3) before and 2, 3, 4, 5 after (by hand: 2.5 -> 3.5, change +1)."""
    t = ek.compare_prepost(_scale_data(tmp_path), "p", min_group_size=5)
    assert t["measure"].tolist() == ["tw"]
    row = t.iloc[0]
    assert (row["mean_pre"], row["mean_post"], row["mean_change"]) == (2.5, 3.5, 1.0)
    assert row["verdict"] == "improved"


def test_items_one_by_one_judge_a_reverse_coded_item_in_its_own_direction(tmp_path):
    """scales="items": b ("I prefer to work alone", reverse-coded) falls by 1 for all 12 participants, which is an
    improvement. Wilcoxon signed-rank by hand (as R's wilcox.test, ties so no exact p, continuity corrected):
    V = 0, mean 12 x 13 / 4 = 39, variance 12 x 13 x 25 / 24 - (12^3 - 12) / 48 = 126.75,
    z = (39 - 0.5) / sqrt(126.75); Holm over the two items doubles p."""
    import math

    data = _scale_data(tmp_path)
    t = ek.compare_prepost(data, "p", scales="items", min_group_size=5).set_index("measure")
    assert t.loc["b", "mean_change"] == -1.0 and t.loc["b", "verdict"] == "improved"
    p = math.erfc((39 - 0.5) / math.sqrt(126.75) / math.sqrt(2))
    assert t.loc["b", "p_adjusted"] == pytest.approx(2 * p, rel=1e-9)
    assert t.loc["a", "verdict"] == "improved"
    with pytest.raises(InputError, match="item of the scale 'tw'"):
        ek.compare_prepost(data, "p", measures=["b"])
    with pytest.raises(InputError, match="scales="):
        ek.compare_prepost(data, "p", scales="both")


def test_an_unknown_correction_lists_none_among_the_choices(tmp_path):
    """`correction="fdr"` was told "expected one of 'holm', 'hochberg', 'bonferroni', 'bh', 'by'": 'none' is
    documented and works but was not listed."""
    data = _scale_data(tmp_path)
    with pytest.raises(InputError, match=r"unknown correction 'fdr'; expected one of 'holm'.*'by' or 'none'"):
        ek.compare_prepost(data, "p", correction="fdr")


def test_a_measure_asked_at_one_wave_only_says_so(tmp_path):
    """compare_prepost(measures=["satisfaction"]) (asked at post only) said "suppressed: fewer than 10
    participants", though 218 answered at post: the reason is that it was not asked at pre."""
    pre, post = np.arange(12) % 4 + 1.0, np.arange(12) % 4 + 2.0
    responses = pd.concat([_long("p", "skills", pre, post), _long("p", "liked", pre, post).query("wave == 'post'")])
    data = ek.load_data(write_tables(tmp_path, responses, [_measure("skills", lo=1, hi=5), _measure("liked", lo=1, hi=5)]))
    row = ek.compare_prepost(data, "p", measures=["liked"], min_group_size=5).iloc[0]
    assert row["suppressed"] and row["n_pre"] == 0  # a count of 0 describes nobody: shown
    assert row["note"] == "not asked at pre" and row["verdict"] == "suppressed"


def test_a_wave_name_in_the_wrong_case_is_an_error_not_zero_respondents():
    """ek.retention(data, pid, post="Post") returned n_post 0 and progress_against_targets "no data", silently;
    compare_prepost already refused the same name."""
    data = ek.load_data(Path(__file__).resolve().parents[1] / "data" / "sample")
    with pytest.raises(InputError, match="did you mean 'post'"):
        ek.retention(data, "riverside-literacy", post="Post")
    with pytest.raises(InputError, match="did you mean 'post'"):
        ek.progress_against_targets(data, "riverside-literacy", post="Post")
    with pytest.raises(InputError, match="did you mean 'pre'"):   # who answered both waves, per group
        ek.representation_by_group(data, "riverside-literacy", pre="PRE")
    with pytest.raises(InputError, match="did you mean 'pre'"):
        ek.representation(data, "gender", "riverside-literacy", pre="PRE")
    assert int(ek.retention(data, "riverside-literacy", post="post")["n_post"].iloc[0]) > 0
    assert int(ek.retention(data, "riverside-literacy", post="month6")["n_post"].iloc[0]) == 0  # not asked yet


def test_retention_says_which_counts_it_withheld():
    """ek.retention(data, "cafe-societe") blanked n_post and n_both (and the rate) with `suppressed` False and an
    empty note: a reader of the table could not tell withheld from missing."""
    data = ek.load_data(Path(__file__).resolve().parents[1] / "data" / "sample")
    row = ek.retention(data, "cafe-societe").iloc[0]
    assert pd.isna(row["n_post"]) and pd.isna(row["retention_rate"]) and row["n_pre"] == 20
    assert "n_post not shown: fewer than 10" in row["note"]
    assert "retention rate and n_both not shown: fewer than 10 answered both surveys" in row["note"]
    assert ek.retention(data, "riverside-literacy").iloc[0]["note"] == ""


def test_a_scale_named_by_its_id_works_where_its_items_would(tmp_path):
    """compare_prepost reports the scale "tw" and refuses its items, but matched_pairs(data, pid, ["tw"]) and
    plot_distributions(data, pid, ["tw"]) said "unknown measure". The scale score by hand: 1,2,3,4 (x3) -> 2,3,4,5."""
    import matplotlib.pyplot as plt

    from evalkit.plots import plot_distributions

    data = _scale_data(tmp_path)
    pairs = ek.matched_pairs(data, "p", ["tw"])
    assert pairs["measure"].unique().tolist() == ["tw"]
    assert sorted(pairs["pre"]) == sorted([1, 2, 3, 4] * 3) and (pairs["post"] - pairs["pre"]).eq(1).all()
    fig = plot_distributions(data, "p", ["tw"], min_group_size=5)
    assert len(fig.axes) == 1 and "Tw scale" in fig.axes[0].get_title()
    plt.close(fig)


def _few_unrecorded(tmp_path):
    """22 women and 20 men answered both waves; 3 more people have no gender recorded. Change = +2 for the women,
    +1 for the men, +5 for the 3 unrecorded people (by construction)."""
    pre = np.tile([10.0, 12.0, 14.0], 15)
    change = np.array([2.0] * 22 + [1.0] * 20 + [5.0] * 3)
    responses = _long("p", "m", pre, pre + change)
    people = responses[["participant_id", "partnership_id"]].drop_duplicates().reset_index(drop=True)
    people["gender"] = ["woman"] * 22 + ["man"] * 20 + [None] * 3
    folder = write_tables(tmp_path, responses, [_measure("m")], participants=people)
    return ek.load_data(folder)


def test_by_group_folds_a_few_unrecorded_people_into_the_largest_group_as_reports_do(tmp_path):
    """A report folds a "Not recorded" group too small to show into the largest group; compare_prepost(by=) kept
    it as its own group, so complementary suppression blanked the men too: the analyst's table and the report's
    disagreed."""
    data = _few_unrecorded(tmp_path)
    table = ek.compare_prepost(data, "p", by="gender").set_index("group")
    assert set(table.index) == {"woman or not recorded", "man"}
    assert not table["suppressed"].any()
    folded = table.loc["woman or not recorded"]
    assert folded["n_pairs"] == 25
    assert folded["mean_change"] == pytest.approx((22 * 2 + 3 * 5) / 25)   # by hand
    assert table.loc["man", "mean_change"] == pytest.approx(1.0)
    report = ek.report.PartnershipReport(data, "p")
    assert set(report.by_group["gender"]["group"]) == set(table.index)


def test_compare_by_group_matches_once_and_gives_each_columns_table(tmp_path):
    """compare_by_group (the report's by-group tables, the pairs matched once) gives, for each column, the table
    compare_prepost(by=column) gives: its own folding, groups and values."""
    pre = np.tile([10.0, 12.0, 14.0], 15)
    change = np.array([2.0] * 22 + [1.0] * 20 + [5.0] * 3)
    responses = _long("p", "m", pre, pre + change)
    people = responses[["participant_id", "partnership_id"]].drop_duplicates().reset_index(drop=True)
    people["gender"] = ["woman"] * 22 + ["man"] * 20 + [None] * 3
    people["site"] = ["a"] * 30 + ["b"] * 15
    data = ek.load_data(write_tables(tmp_path, responses, [_measure("m")], participants=people))
    tables = ek.compare.compare_by_group(data, "p", ["gender", "site"])
    assert list(tables) == ["gender", "site"]
    gender, site = (tables[c].set_index("group")["mean_change"] for c in ("gender", "site"))
    assert gender.to_dict() == pytest.approx({"woman or not recorded": (22 * 2 + 3 * 5) / 25, "man": 1.0})
    assert site.to_dict() == pytest.approx({"a": (22 * 2 + 8 * 1) / 30, "b": (12 * 1 + 3 * 5) / 15})  # by hand
    for column, table in tables.items():
        pd.testing.assert_frame_equal(table, ek.compare_prepost(data, "p", by=column))


def test_representation_by_group_gives_each_columns_table(tmp_path):
    """representation_by_group (the report's who-took-part tables, who answered both waves found once) gives, for
    each column, the table representation(data, column) gives."""
    from evalkit.participation import representation_by_group

    data = _few_unrecorded(tmp_path)
    tables = representation_by_group(data, ["gender"], "p")
    rep = tables["gender"].set_index("group")
    assert rep["n_enrolled"].to_dict() == {"man": 20, "woman or not recorded": 25}   # by construction
    assert rep["n_both"].to_dict() == {"man": 20, "woman or not recorded": 25}
    pd.testing.assert_frame_equal(tables["gender"], ek.representation(data, "gender", "p"))
    with pytest.raises(InputError, match="unknown group column 'shoe_size'"):
        representation_by_group(data, ["gender", "shoe_size"], "p")


def test_by_group_can_keep_the_unrecorded_people_as_their_own_suppressed_group(tmp_path):
    data = _few_unrecorded(tmp_path)
    table = ek.compare_prepost(data, "p", by="gender", fold_unrecorded=False).set_index("group")
    assert set(table.index) == {"woman", "man", "Not recorded"}
    assert table.loc["Not recorded", "suppressed"] and table.loc["man", "suppressed"]  # man: complementary
    assert not table.loc["woman", "suppressed"]


def test_representation_folds_a_few_unrecorded_people_as_reports_do(tmp_path):
    data = _few_unrecorded(tmp_path)
    rep = ek.representation(data, "gender", "p")
    assert set(rep["group"]) == {"woman or not recorded", "man"}
    assert set(ek.representation(data, "gender", "p", fold_unrecorded=False)["group"]) == {"woman", "man",
                                                                                          "Not recorded"}


def test_group_differences_fold_as_the_group_tables_do(tmp_path):
    """group_differences compares the groups compare_prepost(by=) shows: given unfolded data it folds first, so
    its groups are the tables' groups, not raw values the tables no longer show."""
    from evalkit.equity import group_differences

    data = _few_unrecorded(tmp_path)
    row = group_differences(data, "p", min_group_size=10).set_index("group_variable").loc["gender"]
    assert {row["least_group"], row["most_group"]} == {"man", "woman or not recorded"}
    assert (row["least_n"], row["most_n"], row["n"]) == (20, 25, 45)


def _pair_matching_recorded(monkeypatch) -> list:
    """The partnership argument of every ``matched_pairs`` call from here on (``None``: the whole data)."""
    import evalkit.compare as compare

    asked, real = [], compare.matched_pairs
    monkeypatch.setattr(compare, "matched_pairs", lambda data, pid=None, *a, **kw: asked.append(pid) or
                        real(data, pid, *a, **kw))
    return asked


def _folded_as_all(mine: pd.DataFrame, everyone: pd.DataFrame, original: pd.DataFrame, rows) -> None:
    """The chosen rows folded as folding every partnership folds them; the others untouched (a column folded
    anywhere becomes object, so the types may differ)."""
    pd.testing.assert_frame_equal(mine[rows].astype(object), everyone[rows].astype(object))
    pd.testing.assert_frame_equal(mine[~rows].astype(object), original[~rows].astype(object))


def test_folding_for_one_partnership_folds_its_participants_as_folding_all_does_and_looks_at_no_other(
        sample_data, monkeypatch):
    # compare_prepost(data, pid, by=...) folded every partnership of the data (matching every pair of the sample,
    # half of its time) to compare one; each partnership is decided from its own rows and pairs only
    from evalkit.compare import fold_unrecorded

    columns = sample_data.group_columns
    everyone = fold_unrecorded(sample_data, columns).participants
    for pid in ("riverside-literacy", "uplands-tutoring", "cafe-societe"):
        mine = fold_unrecorded(sample_data, columns, partnership_id=pid).participants
        _folded_as_all(mine, everyone, sample_data.participants, (mine["partnership_id"] == pid).to_numpy())
    assert not everyone.equals(sample_data.participants)  # the sample has something to fold
    asked = _pair_matching_recorded(monkeypatch)
    ek.compare_prepost(sample_data, "riverside-literacy", by="gender")
    assert None not in asked  # no pairs matched for the whole sample


def test_folding_a_list_of_partnerships_folds_those_as_folding_all_does_and_one_partnerships_sections_fold_it_alone(
        sample_data, monkeypatch):
    # a report's results by group, its participation table and its community comparison each folded every
    # partnership of the data to show one: matching every pair of the sample three times per report
    from evalkit.community import representation_gap
    from evalkit.compare import fold_unrecorded
    from evalkit.participation import representation_by_group

    columns = sample_data.group_columns
    everyone = fold_unrecorded(sample_data, columns).participants
    pids = ["riverside-literacy", "uplands-tutoring"]
    mine = fold_unrecorded(sample_data, columns, partnership_id=pids).participants
    _folded_as_all(mine, everyone, sample_data.participants, mine["partnership_id"].isin(pids).to_numpy())
    asked = _pair_matching_recorded(monkeypatch)
    gap = representation_gap(sample_data, "riverside-literacy")
    reps = representation_by_group(sample_data, partnership_id="riverside-literacy")
    report = ek.PartnershipReport(sample_data, "riverside-literacy")
    report.by_group, report.group_differences
    assert asked and None not in asked  # pairs were matched, never for the whole sample
    monkeypatch.undo()
    assert len(gap) and len(report.by_group)
    # the participation tables are those of the data with every partnership folded
    folded_all = dataclasses.replace(sample_data, participants=everyone)
    assert set(reps) == set(columns)
    for col, table in reps.items():
        again = representation_by_group(folded_all, [col], "riverside-literacy", fold_unrecorded=False)[col]
        pd.testing.assert_frame_equal(table.reset_index(drop=True), again.reset_index(drop=True))
