"""Group labels in reports: the optional ``labels`` table of the data contract, and the defaults without it.

Issue 9's finding: raw names showed through ("By english learner", "under 18" sorted after "65+").
Expected orders and labels below are written by hand from the sample's categories.
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

import evalkit as ek
from conftest import ROOT
from evalkit.labels import column_label, group_order, value_label
from evalkit.validate import validate_dir

SAMPLE = ROOT / "data" / "sample"
AGES = ["under 18", "18-24", "25-44", "45-64", "65+"]


def test_default_column_labels_are_humanised():
    assert column_label("english_learner") == "English learner"
    assert column_label("age_group") == "Age group"
    assert column_label("first_generation") == "First generation"


def test_default_order_ages_numerically_yes_first_and_not_recorded_last():
    assert group_order("age_group", ["65+", "Not recorded", "18-24", "under 18", "45-64", "25-44"]) == [*AGES, "Not recorded"]
    assert group_order("age", ["25 to 34", "65 or older", "under 25"]) == ["under 25", "25 to 34", "65 or older"]
    assert group_order("low_income", ["no", "Not recorded", "yes"]) == ["yes", "no", "Not recorded"]
    # a folded group sorts as its group
    assert group_order("low_income", ["no or not recorded", "yes"]) == ["yes", "no or not recorded"]
    # anything else: as the data gives it, "Not recorded" last
    assert group_order("gender", ["woman", "Not recorded", "man", "non-binary"]) == ["woman", "man", "non-binary",
                                                                                      "Not recorded"]


@pytest.fixture(scope="module")
def riverside(sample_data):
    return ek.report.PartnershipReport(sample_data, "riverside-literacy")


def test_report_headings_and_tables_use_humanised_names_and_ordered_ages(riverside):
    sections = {s.variable: s for s in riverside.subgroups()}
    # the sample's labels.csv names english_learner; the other columns are humanised by default
    assert sections["english_learner"].heading == "### By English-language learner status"
    assert sections["first_generation"].heading == "### By First generation"
    assert "By english learner" not in "\n".join(s.heading for s in sections.values())
    ages = [g for g in sections["age_group"].compact.columns if g in AGES]
    assert ages == [a for a in AGES if a in ages] and len(ages) >= 4
    who = [g for g in sections["age_group"].representation.index if g in AGES]
    assert who == [a for a in AGES if a in who]
    assert [g for g in sections["low_income"].representation.index][:2] in (["yes", "no"], ["yes", "no or not recorded"])
    tests = riverside.group_tests_table()
    assert {"English-language learner status", "Low income", "Age group"} <= set(tests.index)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled") / "data"
    shutil.copytree(SAMPLE, folder)   # its labels.csv is replaced by this one
    pd.DataFrame({
        "column": ["english_learner", "english_learner", "english_learner", "low_income", "low_income", "low_income",
                   "gender", "gender", "gender"],
        "value": [None, "yes", "no", None, "yes", "no", "non-binary", "woman", "man"],
        "label": ["English-language learner status", "English-language learners", "Not English-language learners",
                  "Household income", "Low-income", "Not low-income", "Non-binary", "Woman", "Man"],
        "order": [None, None, None, None, None, None, 1, 2, 3],
    }).to_csv(folder / "labels.csv", index=False)
    return folder


def test_a_labels_table_is_valid_and_loaded(labelled):
    assert validate_dir(labelled) == []
    data = ek.load_data(labelled)
    assert column_label("english_learner", data) == "English-language learner status"
    assert value_label("low_income", "yes", data) == "Low-income"
    assert value_label("low_income", "yes or not recorded", data) == "Low-income or not recorded"
    assert group_order("gender", ["woman", "man", "non-binary", "Not recorded"], data) == [
        "non-binary", "woman", "man", "Not recorded"]


def test_labels_table_rules(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(SAMPLE, folder)
    pd.DataFrame({"column": ["low_incme", "gender", "gender"], "value": [None, "man", "man"],
                  "label": ["Income", "Man", "Men"], "order": [None, 1, 2]}).to_csv(folder / "labels.csv", index=False)
    problems = validate_dir(folder)
    assert {(v.file, v.row, v.column) for v in problems} == {("labels.csv", 2, "column"), ("labels.csv", 4, "value")}
    assert "not a group column" in next(v.message for v in problems if v.column == "column")


def test_report_uses_the_labels_table_in_headings_tables_and_the_equity_sentence(labelled):
    r = ek.report.PartnershipReport(ek.load_data(labelled), "riverside-literacy")
    sections = {s.variable: s for s in r.subgroups()}
    assert sections["english_learner"].heading == "### By English-language learner status"
    first, second = list(sections["english_learner"].representation.index)[:2]   # "no" may be folded with
    assert first == "English-language learners"                                    # the few unrecorded
    assert second in ("Not English-language learners", "Not English-language learners or not recorded")
    genders = [g for g in sections["gender"].compact.columns if g in ("Non-binary", "Woman", "Man")]
    assert genders == [g for g in ("Non-binary", "Woman", "Man") if g in genders] and "Woman" in genders
    assert "Household income" in r.group_tests_table().index
    summary = r.summary()
    # the planted gap (issue 9): low-income participants' teamwork did not change
    assert "Low-income participants benefited less than not low-income participants" in summary


def test_wave_names_read_as_words_by_default(riverside):
    from evalkit.labels import wave_label

    assert wave_label("followup") == "follow-up" and wave_label("follow_up") == "follow-up"
    assert wave_label("pre") == "pre" and wave_label("2m") == "2m"   # any other name as recorded
    text = riverside.longterm()
    assert "at the follow-up survey" in text and "followup" not in text
