"""Data contract v2 (issue 8): waves, arms, optional metadata, grouped messages, hints and warnings.

Each file is written by hand from the tiny dataset (tests/conftest.py), so the expected rows
are counted by hand: the header is row 1, the first data row is row 2.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import evalkit as ek
from conftest import TINY
from evalkit.cli import main
from evalkit.errors import Violation
from evalkit.validate import group_repeats, validate_dir

RESPONSES_HEADER = "participant_id,partnership_id,wave,measure,value\n"


def _folder(tmp_path, **replace):
    """The tiny dataset with files replaced (keyword = table name; None drops it; new names add a table)."""
    folder = tmp_path / "d"
    folder.mkdir(parents=True)
    names = {name.removesuffix(".csv") for name in TINY} | set(replace)
    for name in names:
        text = replace.get(name, TINY.get(f"{name}.csv"))
        if text is not None:
            (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def _where(violations):
    return [(v.file, v.row, v.column) for v in violations]


def _three_waves(names):
    """Every participant answers skills at three waves with the given names."""
    people = [("a1", "alpha"), ("a2", "alpha"), ("b1", "beta"), ("b2", "beta")]
    rows = [f"{p},{pid},{w},skills,{v}" for p, pid in people for w, v in zip(names, (2, 3, 4))]
    return RESPONSES_HEADER + "\n".join(rows) + "\n"


# --- waves: any names, any number ----------------------------------------------------------------
@pytest.mark.parametrize("names", [("baseline", "endline", "month6"), ("T1", "T2", "T3"), ("fall", "winter", "spring")])
def test_free_wave_names_pass_validation_with_a_warning_on_the_guessed_order(tmp_path, names):
    folder = _folder(tmp_path, responses=_three_waves(names))
    problems = validate_dir(folder)
    assert problems == []
    lowered = [n.lower() for n in names]
    assert [w.column for w in problems.warnings if w.file == "responses.csv"] == ["wave"]
    guessed = next(w for w in problems.warnings if w.file == "responses.csv").message
    assert guessed.startswith(f"the order of the waves is guessed from their first appearance: {lowered[0]} (baseline), "
                              f"{lowered[1]} (post), {lowered[2]} (followup)")
    data = ek.load_data(folder)
    assert data.wave_order == lowered


def test_waves_table_sets_order_and_roles(tmp_path):
    table = "wave,order,role\nT3,3,followup\nT1,1,baseline\nT2,2,post\n"
    folder = _folder(tmp_path, responses=_three_waves(("t2", "t3", "t1")), waves=table)
    problems = validate_dir(folder)
    assert problems == [] and problems.warnings == []
    data = ek.load_data(folder)
    assert data.wave_order == ["t1", "t2", "t3"]
    assert data.wave_roles == {"t1": "baseline", "t2": "post", "t3": "followup"}
    assert list(data.waves.columns) == ["wave", "order", "role", "date"] and len(data.waves) == 3


def test_waves_ordered_by_date_when_no_order_is_given(tmp_path):
    table = "wave,date\nspring,2025-04-01\nfall,2024-10-01\nwinter,2025-01-10\n"
    data = ek.load_data(_folder(tmp_path, responses=_three_waves(("spring", "fall", "winter")), waves=table))
    assert data.wave_order == ["fall", "winter", "spring"]


def test_default_wave_order_is_pre_post_then_appearance():
    assert ek.load.order_waves(["month6", "post", "month3", "pre"]) == ["pre", "post", "month6", "month3"]
    assert ek.load.wave_roles(["pre", "post", "month6"]) == {"pre": "baseline", "post": "post", "month6": "followup"}


def test_waves_table_rules(tmp_path):
    table = ("wave,order,role\n"
             "pre,1,baseline\n"      # row 2
             "post,2,post\n"         # row 3
             "Pre,3,followup\n"      # row 4: 'pre' again (waves are lower-cased)
             "followup,2,baseline\n"  # row 5: order 2 again; a second baseline
             "later,4,sometime\n")   # row 6: unknown role
    violations = validate_dir(_folder(tmp_path, waves=table))
    assert _where(violations) == [("waves.csv", 4, "wave"), ("waves.csv", 5, "order"), ("waves.csv", 5, "role"),
                                  ("waves.csv", 6, "role")]
    msg = {(v.row, v.column): v.message for v in violations}
    assert msg[4, "wave"] == "wave 'pre' appears more than once (first on row 2)"
    assert msg[5, "order"] == "order 2 is given to two waves; expected each wave its own place (first on row 3)"
    assert msg[5, "role"].startswith("a second wave has role 'baseline' ('followup'); expected at most one baseline")
    assert msg[6, "role"] == "'sometime' is not one of baseline, post, followup"


def test_a_wave_the_waves_table_leaves_out_is_a_warning(tmp_path):
    problems = validate_dir(_folder(tmp_path, waves="wave,order\npre,1\npost,2\n"))
    assert problems == []
    assert [str(w) for w in problems.warnings] == [
        "responses.csv, column 'wave': wave 'followup' is not in waves.csv; reports place it after the waves listed there"]


# --- arms ---------------------------------------------------------------------------------------
def test_arm_values_are_validated(tmp_path):
    text = ("participant_id,partnership_id,arm\n"
            "a1,alpha,Program\n"     # row 2: any case
            "a2,alpha,comparison\n"
            "a3,alpha,treatment\n"   # row 4: not an arm
            "b1,beta,\n"
            "b2,beta,\n")
    violations = validate_dir(_folder(tmp_path, participants=text))
    assert [str(v) for v in violations] == [
        "participants.csv, row 4, column 'arm': 'treatment' is not one of program, comparison"]


def test_arm_is_not_a_group_column_and_is_stored_lower_case(tmp_path):
    text = "participant_id,partnership_id,arm,gender\na1,alpha,Program,woman\na2,alpha,comparison,man\n" \
           "a3,alpha,comparison,man\nb1,beta,,man\nb2,beta,,woman\n"
    data = ek.load_data(_folder(tmp_path, participants=text))
    assert data.group_columns == ["gender"]
    assert data.participants["arm"].tolist()[:3] == ["program", "comparison", "comparison"]


def test_arm_warnings_one_arm_only_and_blank_arms(tmp_path):
    text = "participant_id,partnership_id,arm\na1,alpha,program\na2,alpha,program\na3,alpha,\nb1,beta,\nb2,beta,\n"
    problems = validate_dir(_folder(tmp_path, participants=text))
    assert problems == []
    got = [(w.row, w.column, w.message) for w in problems.warnings if w.file == "participants.csv"]
    assert got == [(None, "arm", "every participant of partnership 'alpha' with an arm is in the 'program' arm: "
                                 "there is no comparison group to compare with"),
                   (4, "arm", "has no arm while other participants of partnership 'alpha' have one; left out of "
                              "the comparison of arms")]


# --- metadata a real export does not have ------------------------------------------------------------
def test_partner_types_research_and_other(tmp_path):
    text = TINY["partnerships.csv"].replace("nonprofit", "Research").replace("school", "other")
    assert validate_dir(_folder(tmp_path, partnerships=text)) == []


def test_partnership_dates_are_optional(tmp_path):
    text = ("partnership_id,name,partner_type,lead_institution,start_date\n"   # no end_date column
            "alpha,Alpha Reading,nonprofit,North University,\n"                 # blank start_date
            "beta,Beta Coding Club,school,South College,2025-02-03\n")
    folder = _folder(tmp_path, partnerships=text)
    assert validate_dir(folder) == []
    p = ek.load_data(folder).partnerships
    assert p["start_date"].dtype == "datetime64[ns]" and p["end_date"].dtype == "datetime64[ns]"
    assert p["start_date"].isna().tolist() == [True, False] and p["end_date"].isna().all()


def test_report_title_and_profile_without_dates(tmp_path):
    from evalkit.report import PartnershipReport

    text = "partnership_id,name,partner_type,lead_institution\nalpha,Alpha,other,\nbeta,Beta,school,South College\n"
    data = ek.load_data(_folder(tmp_path, partnerships=text))
    alpha, beta = PartnershipReport(data, "alpha"), PartnershipReport(data, "beta")
    assert alpha.title() == "# Alpha\n\n*Evaluation report*"   # 'other' names no type ("other partnership")
    assert beta.title() == "# Beta\n\n*Evaluation report \u00b7 school partnership led by South College*"
    assert alpha.profile().startswith("Alpha is a partnership. It enrolled")   # not "with a partner"
    assert "NaT" not in beta.profile() and "nan" not in alpha.profile()


def test_scale_bounds_optional_for_continuous_only(tmp_path):
    text = ("measure,label,domain,kind,scale_min,scale_max,higher_is_better\n"
            "skills,Skills,skills,ordinal,,5,true\n"            # row 2: ordinal without scale_min
            "knowledge,Knowledge,knowledge,continuous,,,true\n"  # row 3: fine
            "volunteered,Volunteered,behaviour,binary,,,true\n")  # row 4: binary without bounds
    violations = validate_dir(_folder(tmp_path, measures=text))
    assert _where(violations) == [("measures.csv", 2, "scale_min"), ("measures.csv", 4, "scale_min"),
                                  ("measures.csv", 4, "scale_max")]
    assert violations[0].message == ("is blank; 'skills' is ordinal and needs scale_min (only a continuous measure "
                                     "may leave its bounds blank)")


def test_continuous_measure_without_bounds_accepts_any_value(tmp_path):
    measures = TINY["measures.csv"].replace("continuous,0,20", "continuous,,")
    responses = TINY["responses.csv"].replace("a1,alpha,post,knowledge,14", "a1,alpha,post,knowledge,140.5")
    folder = _folder(tmp_path, measures=measures, responses=responses)
    assert validate_dir(folder) == []
    m = ek.load_data(folder).measures.set_index("measure")
    assert np.isnan(m.loc["knowledge", "scale_min"]) and np.isnan(m.loc["knowledge", "scale_max"])


def test_domain_accepts_any_text(tmp_path):
    measures = TINY["measures.csv"].replace("knowledge,continuous", "Wellbeing & Belonging,continuous")
    folder = _folder(tmp_path, measures=measures)
    assert validate_dir(folder) == []
    assert ek.load_data(folder).measures["domain"].tolist() == ["skills", "wellbeing & belonging", "behaviour"]


def test_prose_and_figure_without_bounds_use_the_measures_own_units():
    from evalkit.narrate import describe_change
    from evalkit.plots import plot_change

    row = {"label": "Weight (lb)", "suppressed": False, "mean_change": 3.0069, "p_adjusted": 0.07, "pvalue": 0.035,
           "effect_size": 0.41, "effect_size_name": "Cohen's d_z", "kind": "continuous", "ci_low": 0.2269,
           "ci_high": 5.7869, "direction": "improved", "higher_is_better": True, "scale_min": np.nan,
           "scale_max": np.nan, "sd_pre": 5.0}
    assert describe_change(row) == ("Weight \\(lb\\): the mean rose by 3.0 (95% CI 0.2 to 5.8), a small change that "
                                    "could be due to chance.")
    bounded = {**row, "label": "Skills", "scale_min": 1.0, "scale_max": 5.0}
    assert "points on a 1-5 scale" in describe_change(bounded)
    # plot_change: a measure without bounds -> every measure in baseline SDs (change / sd_pre)
    t = pd.DataFrame([row, {**bounded, "mean_change": 0.5, "ci_low": 0.1, "ci_high": 0.9, "sd_pre": 1.0}])
    ax = plot_change(t).axes[0]
    assert ax.get_xlabel().startswith("Mean change in baseline SDs")
    points = sorted(float(line.get_xdata()[0]) for line in ax.lines if len(line.get_xdata()) == 1)
    assert points == pytest.approx([0.5, 3.0069 / 5.0])
    assert plot_change(t.iloc[[1]]).axes[0].get_xlabel().startswith("Mean change, % of the scale's range")


# --- grouped messages ----------------------------------------------------------------------------
def test_58_rows_naming_one_unknown_id_are_one_message(tmp_path):
    rows = [f"a1,gamma,w{i},skills,3" for i in range(58)]  # rows 2-59
    violations = validate_dir(_folder(tmp_path, responses=RESPONSES_HEADER + "\n".join(rows) + "\n"))
    assert [str(v) for v in violations] == [
        "responses.csv, row 2, column 'partnership_id': partnership 'gamma' is not in partnerships.csv; "
        "expected a partnership_id listed there (58 rows: 2-59)"]


def test_grouped_rows_give_their_ranges_and_two_repeats_stay_apart():
    vs = [Violation("r.csv", r, "value", "value 9 is outside") for r in (2, 3, 4, 9, 11, 12)]
    vs += [Violation("r.csv", r, "value", "value 7 is outside") for r in (5, 6)]
    got = [(v.row, v.message) for v in group_repeats(vs)]
    assert got == [(2, "value 9 is outside (6 rows: 2-4, 9, 11-12)"), (5, "value 7 is outside"),
                   (6, "value 7 is outside")]
    many = [Violation("r.csv", r, "x", "m") for r in range(2, 40, 2)]
    assert group_repeats(many)[0].message == "m (19 rows: 2, 4, 6, 8, 10, 12 and 13 more)"


# --- hints ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("written, hint", [
    ("03/15/2025", "hint: this looks like month/day/year; write 2025-03-15"),
    ("15.03.2025", "hint: this looks like day/month/year; write 2025-03-15"),
    ("03/04/2025", "hint: this looks like month/day/year or day/month/year; write 2025-03-04 or 2025-04-03 (year-month-day)"),
])
def test_date_hints(tmp_path, written, hint):
    text = TINY["attendance.csv"].replace("a1,alpha,Week 1,2025-01-06", f"a1,alpha,Week 1,{written}")
    (v,) = validate_dir(_folder(tmp_path, attendance=text))
    assert (v.row, v.column) == (2, "date")
    assert v.message == f"'{written}' is not an ISO date such as 2025-09-01; {hint}"


def test_semicolon_csv_is_one_message_with_a_hint(tmp_path):
    text = TINY["responses.csv"].replace(",", ";")
    violations = validate_dir(_folder(tmp_path, responses=text))
    assert len(violations) == 1
    v = violations[0]
    assert (v.file, v.row, v.column) == ("responses.csv", 1, None)
    assert v.message.startswith("required columns participant_id, partnership_id, wave, measure, value are missing; "
                                "hint: the header 'participant_id;partnership_id;wave;measure;value' looks like "
                                "columns separated by ';'")


def test_ids_matching_after_case_folding_get_a_hint(tmp_path):
    text = RESPONSES_HEADER + "A1,alpha,pre,skills,2\na1,Alpha,pre,knowledge,3\na2,alpha,pre,Skills,2\n"
    violations = validate_dir(_folder(tmp_path, responses=text))
    msg = {(v.row, v.column): v.message for v in violations}
    assert msg[2, "participant_id"].endswith("; hint: did you mean 'a1'? ids must match exactly, including upper "
                                             "and lower case")
    assert msg[3, "partnership_id"].endswith("hint: did you mean 'alpha'? ids must match exactly, including upper "
                                             "and lower case")
    assert msg[4, "measure"].endswith("hint: did you mean 'skills'? ids must match exactly, including upper and "
                                      "lower case")
    # no hint when nothing matches
    other = validate_dir(_folder(tmp_path / "o", responses=RESPONSES_HEADER + "zz,alpha,pre,skills,2\n"))
    assert "hint" not in other[0].message


# --- warnings never fail -----------------------------------------------------------------------------
def test_partnerships_a_report_cannot_use_are_warnings(tmp_path):
    partnerships = TINY["partnerships.csv"] + "gamma,Gamma,business,X,2025-01-01,2025-02-01\n"  # row 4
    responses = RESPONSES_HEADER + "a1,alpha,pre,skills,2\na2,alpha,pre,skills,3\nb1,beta,post,skills,3\n" \
        "b2,beta,followup,skills,4\n"
    folder = _folder(tmp_path, partnerships=partnerships, responses=responses)
    problems = validate_dir(folder)
    assert problems == []
    assert [(w.row, w.message) for w in problems.warnings] == [
        (2, "partnership 'alpha' has answers at one wave only ('pre'): change cannot be measured until a later "
            "wave is collected"),
        (3, "partnership 'beta' has no answers at the first wave 'pre': its report describes its later waves but "
            "cannot measure change from the start (the baseline)"),
        (4, "partnership 'gamma' has no participants in participants.csv; its report can only say so")]
    ek.load_data(folder)  # loads: warnings are not violations


def test_cli_validate_prints_warnings_and_exits_0(tmp_path):
    folder = _folder(tmp_path, responses=_three_waves(("T1", "T2", "T3")))
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 0
    assert "OK, the data meet the contract" in result.output
    assert "1 warning (the reports can still be made):" in result.output
    assert "  - warning: responses.csv, column 'wave': the order of the waves is guessed" in result.output


def test_sample_data_have_no_warnings(sample_dir):
    problems = validate_dir(sample_dir)
    assert problems == [] and problems.warnings == []


def test_an_empty_table_is_a_new_frame_each_time_with_the_contracts_types():
    """schema.empty_table makes each table once and hands out copies: a caller changing one (a test building
    a Dataset, load filling an absent table) never changes the next."""
    from evalkit import schema

    first = schema.empty_table("comments")
    first["leaked"] = pd.Series(dtype="str")
    first.columns = [*first.columns[:-2], "renamed", "leaked"]
    again = schema.empty_table("comments")
    assert len(again) == 0 and list(again.columns) == [spec.name for spec in schema.COLUMNS["comments"]]
    assert again is not schema.empty_table("comments")
    for table, kind, dtype in (("milestones", "date", "datetime64[ns]"), ("indicators", "number", "float64")):
        typed = schema.empty_table(table).dtypes
        columns = [spec.name for spec in schema.COLUMNS[table] if spec.kind == kind]
        assert columns and all(str(typed[c]) == dtype for c in columns)
