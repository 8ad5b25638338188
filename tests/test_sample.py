"""The synthetic sample: deterministic, valid, realistic, and its built-in truths are recoverable.

Truths are checked with plain scipy on the generated rows (independently of evalkit's analyses).
"""
from __future__ import annotations

import filecmp

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.errors import InputError
from evalkit.load import load_data
from evalkit.sample import generate_sample, write_sample
from evalkit.schema import PARTNER_TYPES
from evalkit.validate import validate_dir

TABLES = ("partnerships", "participants", "measures", "responses", "attendance", "targets", "labels",
          "comments", "themes", "stories", "indicators", "milestones", "partner_survey", "community")


@pytest.fixture(scope="module")
def default():
    """Tables and truth of the default sample (what data/sample holds)."""
    return generate_sample()


def _pairs(responses: pd.DataFrame, pid: str, measure: str) -> pd.DataFrame:
    rows = responses[(responses.partnership_id == pid) & (responses.measure == measure)]
    wide = rows.pivot(index="participant_id", columns="wave", values="value")
    return wide[["pre", "post"]].dropna()


def test_same_seed_same_tables_different_seed_different():
    a, ta = generate_sample(partnerships=6, participants=40, seed=7)
    b, tb = generate_sample(partnerships=6, participants=40, seed=7)
    c, _ = generate_sample(partnerships=6, participants=40, seed=8)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table])
    pd.testing.assert_frame_equal(ta.effects, tb.effects)
    assert not a["responses"].equals(c["responses"])
    assert not a["participants"].equals(c["participants"])


def test_committed_sample_is_what_the_generator_writes(tmp_path, sample_dir):
    write_sample(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{t}.csv" for t in TABLES)
    assert sorted(p.name for p in sample_dir.glob("*.csv")) == written
    match, mismatch, errors = filecmp.cmpfiles(sample_dir, tmp_path, written, shallow=False)
    assert mismatch == [] and errors == []


def test_committed_sample_passes_validation(sample_dir):
    assert validate_dir(sample_dir) == []


def test_known_truths_recovered_with_scipy(default):
    tables, truth = default
    r = tables["responses"]

    # no change: skills paired t-test not significant, mean change near 0
    flat = _pairs(r, truth.no_change, "skills")
    assert len(flat) >= 60
    assert stats.ttest_rel(flat["post"], flat["pre"]).pvalue > 0.05
    assert abs((flat["post"] - flat["pre"]).mean()) < 0.1

    # decline: mean change negative and clearly significant, on skills and knowledge
    for measure in ("skills", "knowledge"):
        down = _pairs(r, truth.decline, measure)
        test = stats.ttest_rel(down["post"], down["pre"])
        assert (down["post"] - down["pre"]).mean() < 0 and test.pvalue < 0.001

    # too small: 20 enrolled, fewer than 10 matched pairs
    assert truth.sizes[truth.too_small] == 20
    assert len(_pairs(r, truth.too_small, "skills")) < 10

    # mostly missing: >= 70% of enrolled participants have no post answer at all
    enrolled = tables["participants"].query("partnership_id == @truth.mostly_missing_post")["participant_id"]
    answered = r.query("partnership_id == @truth.mostly_missing_post and wave == 'post'")["participant_id"].unique()
    assert 1 - len(answered) / len(enrolled) >= 0.70

    # a partnership with a true improvement shows one
    up = _pairs(r, "riverside-literacy", "skills")
    assert stats.ttest_rel(up["post"], up["pre"]).pvalue < 0.001 and (up["post"] - up["pre"]).mean() > 0


def test_subgroup_gap_recovered_with_scipy(default):
    tables, truth = default
    pid, column, value = truth.subgroup_gap
    r, people = tables["responses"], tables["participants"]
    group = people[people.partnership_id == pid].set_index("participant_id")[column]
    pairs = _pairs(r, pid, "knowledge").join(group)
    change = pairs["post"] - pairs["pre"]
    in_group, others = change[pairs[column] == value], change[pairs[column].notna() & (pairs[column] != value)]
    assert len(in_group) >= 40 and len(others) >= 40
    assert stats.ttest_1samp(in_group, 0).pvalue > 0.05      # the group does not change
    assert stats.ttest_1samp(others, 0).pvalue < 0.001 and others.mean() > 0
    assert stats.ttest_ind(others, in_group, equal_var=False).pvalue < 0.001


def test_truth_effects_table(default):
    tables, truth = default
    e = truth.effects.set_index(["partnership_id", "measure"])["effect"]
    assert (e.loc[truth.no_change] == 0).all()
    assert (e.loc[truth.decline].drop("community_benefit") < 0).all()
    assert set(truth.effects["partnership_id"]) == set(tables["partnerships"]["partnership_id"])


def test_attrition_between_pre_and_post_is_realistic(default):
    tables, truth = default
    r, p = tables["responses"], tables["participants"]
    special = {truth.too_small, truth.mostly_missing_post}
    for pid, enrolled in p.groupby("partnership_id")["participant_id"]:
        if pid in special:
            continue
        answered = r.query("partnership_id == @pid and wave == 'post'")["participant_id"].nunique()
        assert 0.10 <= 1 - answered / len(enrolled) <= 0.30, pid


def test_sizes_types_and_names(default):
    tables, truth = default
    sizes = tables["participants"].groupby("partnership_id").size()
    assert len(sizes) == 12 and sizes.min() == 20 and sizes.max() == 300
    assert sizes.between(20, 300).all()
    assert sizes.to_dict() == truth.sizes
    # every kind of partner a community partnership has (the contract also allows "research" and "other")
    assert set(tables["partnerships"]["partner_type"]) == {"nonprofit", "government", "school", "university", "business"}
    assert set(tables["partnerships"]["partner_type"]) <= set(PARTNER_TYPES)
    assert tables["partnerships"]["name"].str.contains("é").any()  # Windows-1252 robustness
    assert tables["partnerships"]["partnership_id"].str.fullmatch(r"[a-z0-9][a-z0-9_-]*").all()


def test_measures_waves_and_groups(default):
    tables, truth = default
    m, r = tables["measures"].set_index("measure"), tables["responses"]
    assert {"continuous", "ordinal", "binary"} == set(m["kind"])
    assert {"skills", "knowledge", "behaviour", "engagement", "satisfaction", "community"} <= set(m["domain"])
    assert 2 <= m["shared"].sum() < len(m)
    assert m.loc["teamwork_3", "reverse_coded"] and m.loc["teamwork_3", "scale"] == "teamwork"
    assert set(r.loc[r.measure == "satisfaction", "wave"]) == {"post"}
    followup = r[r.wave == "followup"]
    assert set(followup["measure"]) >= {"community_benefit"}
    assert set(followup["partnership_id"]) == set(truth.followup)
    assert 0 < len(truth.followup) < 12
    # Likert answers are whole numbers with many ties; some answers are missing
    likert = r.loc[r.measure == "behaviour", "value"].dropna()
    assert (likert == likert.round()).all() and likert.nunique() == 5
    assert 0.005 < r["value"].isna().mean() < 0.05
    groups = tables["participants"]
    for col in ("gender", "race_ethnicity", "first_generation", "low_income", "disability", "age_group"):
        assert col in groups.columns
    assert groups["low_income"].isna().any()  # missing group values occur


def test_attendance_dose_relates_to_change(default):
    tables, truth = default
    a, r = tables["attendance"], tables["responses"]
    improving = set(truth.effects.query("measure == 'skills' and effect > 0.3")["partnership_id"])
    rate = a[a.partnership_id.isin(improving)].groupby(["partnership_id", "participant_id"])["attended"].mean()
    rows = r[r.partnership_id.isin(improving) & (r.measure == "skills") & r.wave.isin(["pre", "post"])]
    wide = rows.pivot_table(index=["partnership_id", "participant_id"], columns="wave", values="value").dropna()
    change = (wide["post"] - wide["pre"]).rename("change")
    joined = pd.concat([change, rate], axis=1, join="inner")
    rho = stats.spearmanr(joined["attended"], joined["change"])
    assert rho.statistic > 0 and rho.pvalue < 0.01
    per_person = a.groupby(["partnership_id", "participant_id"])["attended"].mean()
    assert per_person.std() > 0.1  # attendance varies between people


def test_targets_mix_statistics(default):
    tables, _ = default
    t = tables["targets"]
    assert set(t["partnership_id"]) == set(tables["partnerships"]["partnership_id"])
    assert set(t["statistic"]) == {"mean_post", "mean_change", "pct_improved", "pct_at_least", "rate",
                                "latest", "total"}  # latest, total: partnership indicators
    assert t.loc[t.statistic == "pct_at_least", "threshold"].notna().all()


@pytest.mark.sample_wide
@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_other_formats_pass_validation(tmp_path, fmt):
    truth = write_sample(tmp_path, partnerships=5, participants=20, seed=3, fmt=fmt)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [f".{fmt}"] * len(TABLES)
    assert validate_dir(tmp_path) == []
    data = load_data(tmp_path)
    assert set(data.partnership_ids) == set(truth.sizes)


def test_switching_format_leaves_one_file_per_table(tmp_path):
    write_sample(tmp_path, partnerships=5, participants=20, fmt="csv")
    write_sample(tmp_path, partnerships=5, participants=20, fmt="parquet", overwrite=True)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".parquet"] * len(TABLES)


def test_bad_arguments():
    with pytest.raises(InputError, match="at least 5"):
        generate_sample(partnerships=3)
    with pytest.raises(InputError, match="at least 20"):
        generate_sample(participants=10)
    with pytest.raises(InputError, match="'csv', 'parquet' or 'xlsx'"):
        write_sample("unused", fmt="json")


def test_many_partnerships_get_unique_ids():
    tables, truth = generate_sample(partnerships=40, participants=20, seed=1)
    ids = tables["partnerships"]["partnership_id"]
    assert ids.is_unique and len(ids) == 40
    assert (tables["participants"].groupby("partnership_id").size() == 20).all()
    assert np.isin(["riverside-literacy-2", "riverside-literacy-3"], ids).all()


def test_sample_never_replaces_data_already_in_the_folder(tmp_path):
    """`evalkit sample DIR --format parquet` into a copy of real data exited 0, deleted every CSV table and wrote
    its own: a user's data gone without a word. A folder that is not empty is refused (exit 2), untouched;
    --force replaces the tables and leaves other files."""
    from click.testing import CliRunner

    from evalkit.cli import main

    mine = tmp_path / "mine"
    write_sample(mine, partnerships=5, participants=20, seed=1)
    (mine / "notes.txt").write_text("keep me")
    before = {p.name: p.read_bytes() for p in mine.iterdir()}
    res = CliRunner().invoke(main, ["sample", str(mine), "--format", "parquet", "--partnerships", "6"])
    assert res.exit_code == 2 and "not empty" in res.output and "--force" in res.output
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == before
    with pytest.raises(InputError, match="not empty"):
        write_sample(mine, partnerships=5, participants=20, seed=2)
    res = CliRunner().invoke(main, ["sample", str(mine), "--format", "parquet", "--force"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in mine.iterdir()) == sorted(["notes.txt", *(f"{t}.parquet" for t in TABLES)])
    assert CliRunner().invoke(main, ["sample", str(tmp_path / "new" / "folder"), "--partnerships", "5"]).exit_code == 0
