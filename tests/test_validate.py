"""Validation reports every violation at once, each with file, spreadsheet row, column and expectation.

Each bad file below is written by hand, so the expected row numbers are counted by hand:
the header is row 1 and the first data row is row 2.
"""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import TINY
from evalkit.errors import DataValidationError, Violation
from evalkit.load import load_data, read_table
from evalkit.validate import validate_dir, validate_tables


def _folder(tmp_path, **replace) -> object:
    """The tiny dataset with some files replaced (keyword = file name without '.csv'; None drops it)."""
    folder = tmp_path / "d"
    folder.mkdir()
    for name, text in TINY.items():
        text = replace.get(name.removesuffix(".csv"), text)
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def _where(violations):
    return [(v.file, v.row, v.column) for v in violations]


def _one(violations, row, column) -> Violation:
    found = [v for v in violations if v.row == row and v.column == column]
    assert len(found) == 1, (row, column, violations)
    return found[0]


# --- clean data ------------------------------------------------------------------------
def test_clean_data_pass(tiny_dataset, sample_dir):
    assert validate_dir(tiny_dataset) == []
    assert validate_dir(sample_dir) == []


# --- files and columns -------------------------------------------------------------------
def test_missing_folder_is_a_violation_not_an_error(tmp_path):
    violations = validate_dir(tmp_path / "nowhere")
    assert len(violations) == 1 and "does not exist" in violations[0].message


def test_a_file_instead_of_a_folder(tmp_path):
    (tmp_path / "f.csv").write_text("x\n")
    assert "is not a folder" in validate_dir(tmp_path / "f.csv")[0].message


def test_missing_required_files_all_reported(tmp_path):
    folder = _folder(tmp_path, responses=None, measures=None, targets=None)
    violations = validate_dir(folder)
    assert _where(violations) == [("measures.csv", None, None), ("responses.csv", None, None)]
    assert "required table 'responses' is missing" in violations[1].message
    assert "responses.xlsx" in violations[1].message  # says what is expected


def test_optional_files_may_be_absent(tmp_path):
    assert validate_dir(_folder(tmp_path, attendance=None, targets=None)) == []


def test_one_table_in_two_formats(tmp_path):
    folder = _folder(tmp_path)
    read_table(folder / "measures.csv").to_excel(folder / "measures.xlsx", index=False)
    violations = validate_dir(folder)
    assert len(violations) == 1
    assert "saved twice (measures.csv and measures.xlsx)" in violations[0].message


def test_missing_required_columns(tmp_path):
    folder = _folder(tmp_path, responses="participant_id,partnership_id,measure\na1,alpha,skills\n",
                     measures=TINY["measures.csv"].replace("higher_is_better,", "better,"))
    violations = validate_dir(folder)
    assert sorted(_where(violations)) == [("measures.csv", None, "higher_is_better"),
                                          ("responses.csv", None, "value"), ("responses.csv", None, "wave")]
    assert "required column 'wave' is missing" in _one(violations, None, "wave").message
    assert "expected columns: participant_id, partnership_id, wave, measure, value" in \
        _one(violations, None, "wave").message


def test_two_headers_with_the_same_name(tmp_path):
    folder = _folder(tmp_path, attendance=TINY["attendance.csv"].replace(",attended", ",Attended").replace(
        "participant_id,", "attended,", 1))
    violations = validate_dir(folder)
    assert ("attendance.csv", 1, "attended") in _where(violations)


def test_empty_required_table(tmp_path):
    folder = _folder(tmp_path, measures="measure,label,domain,kind,scale_min,scale_max,higher_is_better\n")
    messages = [v.message for v in validate_dir(folder) if v.file == "measures.csv"]
    assert messages == ["the table has no data rows"]


def test_unreadable_file(tmp_path):
    folder = _folder(tmp_path)
    (folder / "targets.csv").unlink()
    (folder / "targets.xlsx").write_bytes(b"this is not a spreadsheet")
    violations = validate_dir(folder)
    assert _where(violations) == [("targets.xlsx", None, None)]
    assert "could not be read" in violations[0].message


# --- responses: each kind of violation, all at once --------------------------------------
BAD_RESPONSES = (
    "participant_id,partnership_id,wave,measure,value\n"
    "a1,alpha,pre,skills,2\n"          # row 2: fine
    "a1,gamma,pre,skills,2\n"          # row 3: unknown partnership
    "b1,alpha,pre,skills,2\n"          # row 4: b1 is registered in beta, not alpha
    "a1,alpha,pre,confidence,2\n"      # row 5: unknown measure
    "a2,alpha,pre,skills,7\n"          # row 6: outside 1..5
    "b1,beta,pre,volunteered,2\n"      # row 7: binary not 0/1
    "a3,alpha,pre,skills,3.5\n"        # row 8: ordinal not whole
    "a1,alpha,pre,skills,3\n"          # row 9: duplicate of row 2
    "a1,alpha,post,skills,lots\n"      # row 10: not a number
    "a1,alpha,post,knowledge,-1\n"     # row 11: below 0..20
    "a2,alpha,post,knowledge,12.5\n"   # row 12: fine (continuous)
    ",alpha,post,skills,3\n"           # row 13: blank participant
    "a2,alpha,post,skills,\n"          # row 14: fine (missing answer)
)


def test_every_response_violation_reported_at_once(tmp_path):
    violations = validate_dir(_folder(tmp_path, responses=BAD_RESPONSES))
    assert _where(violations) == [
        ("responses.csv", 3, "partnership_id"),
        ("responses.csv", 4, "participant_id"),
        ("responses.csv", 5, "measure"),
        ("responses.csv", 6, "value"),
        ("responses.csv", 7, "value"),
        ("responses.csv", 8, "value"),
        ("responses.csv", 9, "measure"),
        ("responses.csv", 10, "value"),
        ("responses.csv", 11, "value"),
        ("responses.csv", 13, "participant_id"),
    ]
    msg = {v.row: v.message for v in violations}
    assert msg[3] == "partnership 'gamma' is not in partnerships.csv; expected a partnership_id listed there"
    assert msg[4].startswith("participant 'b1' is not registered in partnership 'alpha'")
    assert msg[5].startswith("measure 'confidence' is not in measures.csv")
    assert msg[6] == "value 7 is outside the scale of 'skills' (1 to 5)"
    assert msg[7] == "value 2 is not 0 or 1; 'volunteered' is a binary measure"
    assert msg[8] == "value 3.5 is not a whole number; 'skills' is an ordinal measure"
    assert msg[9] == "participant 'a1' answered 'skills' twice in wave 'pre' (first on row 2)"
    assert msg[10] == "'lots' is not a number"
    assert msg[11] == "value -1 is outside the scale of 'knowledge' (0 to 20)"
    assert msg[13] == "is blank; expected a non-empty id"


def test_violation_rows_are_the_same_in_excel_and_parquet(tmp_path):
    folder = _folder(tmp_path, responses=BAD_RESPONSES)
    csv = validate_dir(folder)
    frame = pd.read_csv(folder / "responses.csv", dtype="str")
    for fmt in ("xlsx", "parquet"):
        for old in folder.glob("responses.*"):
            old.unlink()
        getattr(frame, "to_excel" if fmt == "xlsx" else "to_parquet")(folder / f"responses.{fmt}", index=False)
        got = validate_dir(folder)
        assert [(v.row, v.column, v.message) for v in got] == [(v.row, v.column, v.message) for v in csv]
        assert {v.file for v in got} == {f"responses.{fmt}"}


def test_numeric_parquet_values_checked_against_scale(tmp_path):
    folder = _folder(tmp_path, responses=None)
    pd.DataFrame({"participant_id": ["a1", "a2"], "partnership_id": ["alpha", "alpha"], "wave": ["pre", "pre"],
                  "measure": ["skills", "skills"], "value": [5.0, 6.0]}).to_parquet(folder / "responses.parquet")
    violations = validate_dir(folder)
    assert [(v.row, v.message) for v in violations] == [(3, "value 6 is outside the scale of 'skills' (1 to 5)")]


def test_load_data_raises_the_same_violations(tmp_path):
    folder = _folder(tmp_path, responses=BAD_RESPONSES)
    with pytest.raises(DataValidationError) as info:
        load_data(folder)
    assert info.value.violations == validate_dir(folder)
    assert "10 problems found" in str(info.value)
    assert "responses.csv, row 6, column 'value': value 7 is outside the scale of 'skills' (1 to 5)" in str(info.value)


# --- the other tables --------------------------------------------------------------------
def test_partnership_violations(tmp_path):
    text = (
        "partnership_id,name,partner_type,lead_institution,start_date,end_date\n"
        "alpha,Alpha Reading,nonprofit,North University,2025-01-06,2025-03-31\n"
        "beta,Beta Coding Club,school,South College,2025-02-03,2025-05-30\n"
        "Gamma Team!,Gamma,charity,X,15/01/2025,2025-02-01\n"   # row 4: unsafe id, bad type, bad date (with a hint)
        "alpha,,University,Y,2025-03-01,2025-02-01\n"           # row 5: duplicate id, blank name, end < start
    )
    violations = validate_dir(_folder(tmp_path, partnerships=text))
    assert _where(violations) == [
        ("partnerships.csv", 4, "partnership_id"),
        ("partnerships.csv", 4, "partner_type"),
        ("partnerships.csv", 4, "start_date"),
        ("partnerships.csv", 5, "partnership_id"),
        ("partnerships.csv", 5, "name"),
        ("partnerships.csv", 5, "end_date"),
    ]
    msg = {(v.row, v.column): v.message for v in violations}
    assert msg[4, "partnership_id"].startswith("'Gamma Team!' is not a safe id (lower-case letters, digits")
    assert msg[4, "partner_type"] == ("'charity' is not one of nonprofit, government, school, university, business, "
                                      "research, other")
    assert msg[4, "start_date"] == ("'15/01/2025' is not an ISO date such as 2025-09-01; "
                                    "hint: this looks like day/month/year; write 2025-01-15")
    assert msg[5, "name"] == "is blank; expected a non-empty text"
    assert msg[5, "partnership_id"] == "partnership_id 'alpha' appears more than once (first on row 2)"
    assert msg[5, "end_date"] == ("end_date 2025-02-01 is before start_date 2025-03-01; "
                                  "expected end_date on or after start_date")


def test_measure_violations(tmp_path):
    text = TINY["measures.csv"] + (
        "mood,Mood,wellbeing,ordinal,5,1,maybe,no\n"         # row 5: bad bool, min > max (any domain text is fine)
        "joined,Joined a club,behaviour,binary,1,5,true,no\n"  # row 6: binary scale not 0/1
        "skills,Again,skills,ordinal,1,five,true,no\n"       # row 7: duplicate measure, bad number
    )
    violations = validate_dir(_folder(tmp_path, measures=text))
    assert _where(violations) == [
        ("measures.csv", 5, "scale_max"),
        ("measures.csv", 5, "higher_is_better"),
        ("measures.csv", 6, "scale_min"),
        ("measures.csv", 7, "measure"),
        ("measures.csv", 7, "scale_max"),
    ]
    msg = {(v.row, v.column): v.message for v in violations}
    assert msg[5, "higher_is_better"] == "'maybe' is not true/false, yes/no or 1/0"
    assert msg[5, "scale_max"] == "scale_max 1 is not above scale_min 5; expected scale_min < scale_max"
    assert msg[6, "scale_min"] == "a binary measure needs scale_min 0 and scale_max 1; found 1 to 5"
    assert msg[7, "scale_max"] == "'five' is not a number"


def test_participant_violations(tmp_path):
    text = TINY["participants.csv"] + "a1,alpha,man,no\nz9,zeta,woman,no\n"  # rows 7, 8
    violations = validate_dir(_folder(tmp_path, participants=text))
    assert _where(violations) == [("participants.csv", 7, "participant_id"), ("participants.csv", 8, "partnership_id")]
    assert violations[0].message == ("participant_id 'a1' appears more than once in partnership 'alpha' "
                                     "(first on row 2)")
    assert violations[1].message.startswith("partnership 'zeta' is not in partnerships.csv")


def test_attendance_violations(tmp_path):
    text = TINY["attendance.csv"] + (
        "b2,alpha,Week 1,2025-01-06,yes\n"   # row 5: b2 not registered in alpha
        "a1,alpha,Week 2,next monday,perhaps\n"  # row 6: bad date, bad bool
        "a1,alpha,Week 1,2025-01-06,no\n"    # row 7: a1 already recorded for Week 1 (row 2)
        "a1,omega,Week 1,2025-01-06,no\n"    # row 8: unknown partnership
    )
    violations = validate_dir(_folder(tmp_path, attendance=text))
    assert _where(violations) == [
        ("attendance.csv", 5, "participant_id"),
        ("attendance.csv", 6, "date"),
        ("attendance.csv", 6, "attended"),
        ("attendance.csv", 7, "session"),
        ("attendance.csv", 8, "partnership_id"),
    ]
    assert violations[3].message == "participant 'a1' is recorded twice for session 'Week 1' (first on row 2)"


def test_target_violations(tmp_path):
    text = TINY["targets.csv"] + (
        "alpha,wellbeing,mean_post,4,,\n"             # row 4: unknown indicator
        "alpha,skills,rate,80,,\n"                     # row 5: rate only for attendance/retention
        "alpha,retention_rate,mean_post,80,,\n"        # row 6: rate indicator needs statistic rate
        "beta,skills,pct_at_least,80,,\n"              # row 7: threshold missing
        "beta,skills,pct_improved,150,,\n"             # row 8: not a percentage
        "beta,skills,median_post,3,,\n"                # row 9: unknown statistic
    )
    violations = validate_dir(_folder(tmp_path, targets=text))
    assert _where(violations) == [
        ("targets.csv", 4, "indicator"),
        ("targets.csv", 5, "statistic"),
        ("targets.csv", 6, "statistic"),
        ("targets.csv", 7, "threshold"),
        ("targets.csv", 8, "target"),
        ("targets.csv", 9, "statistic"),
    ]
    msg = {v.row: v.message for v in violations}
    assert msg[4] == "indicator 'wellbeing' is neither a measure in measures.csv nor attendance_rate or retention_rate"
    assert msg[5] == "statistic 'rate' applies only to attendance_rate or retention_rate, not to 'skills'"
    assert msg[6] == "indicator 'retention_rate' takes statistic 'rate', not 'mean_post'"
    assert msg[7].startswith("is blank; statistic 'pct_at_least' needs a threshold")
    assert msg[8] == "target 150 is not a percentage; expected 0 to 100 (write 80 for 80%)"
    assert msg[9] == ("'median_post' is not one of mean_post, mean_change, pct_improved, pct_at_least, rate, "
                      "latest, total")  # latest and total: targets on partnership indicators (issue 10)


def test_violations_in_several_files_reported_together(tmp_path):
    folder = _folder(tmp_path, responses=BAD_RESPONSES,
                     measures=TINY["measures.csv"] + "mood,Mood,wellbeing,likert,1,5,true,no\n")
    files = {v.file for v in validate_dir(folder)}
    assert files == {"measures.csv", "responses.csv"}


def test_validate_tables_on_frames_uses_default_file_names(tiny_dataset):
    raw = {name.removesuffix(".csv"): read_table(tiny_dataset / name) for name in TINY}
    raw["responses"].loc[0, "value"] = "9"
    assert [str(v) for v in validate_tables(raw)] == [
        "responses.csv, row 2, column 'value': value 9 is outside the scale of 'skills' (1 to 5)"]


# --- command line ------------------------------------------------------------------------
def test_cli_validate_exit_codes_and_listing(tmp_path, tiny_dataset):
    from click.testing import CliRunner

    from evalkit.cli import main

    ok = CliRunner().invoke(main, ["validate", str(tiny_dataset)])
    assert ok.exit_code == 0 and "OK" in ok.output
    bad = CliRunner().invoke(main, ["validate", str(_folder(tmp_path, responses=BAD_RESPONSES))])
    assert bad.exit_code == 2
    assert "10 problems found" in bad.output
    assert "responses.csv, row 6, column 'value': value 7 is outside the scale of 'skills' (1 to 5)" in bad.output
    missing = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_unsafe_characters_are_looked_for_once_per_distinct_value_not_per_row(monkeypatch):
    """2 million response rows repeat a few hundred thousand ids and a handful of waves: in a column of mixed
    values each distinct text is searched (at most) once, and a bad value is reported at every row holding it."""
    import re

    from evalkit import validate

    searched = []

    class Counting:
        def search(self, text):
            searched.append(text)
            return re.compile(validate._UNSAFE).search(text)

    monkeypatch.setattr(validate, "_UNSAFE_TEXT", Counting())
    waves = ["pre", "post", "pre\u202e"] * 20_000
    for dtype in (object, "string"):   # mixed values; Arrow-backed text (searched by pyarrow instead)
        searched.clear()
        frame = pd.DataFrame({"wave": pd.Series(waves, dtype=dtype),
                              "measure": pd.Series(["m1", 2] * 30_000 if dtype is object else ["m1", "m2"] * 30_000,
                                                   dtype=dtype)})
        found = validate._unsafe_characters(frame, "responses.csv")
        assert len(searched) <= 2 + 3   # one search per column, then one per distinct value of the bad column
        assert [v.row for v in found] == list(range(4, 60_002, 3))   # data row i is file row i + 2
        assert {v.column for v in found} == {"wave"}


def test_the_arrow_search_and_the_python_search_flag_the_same_characters():
    """Every code point up to U+2100 (controls, the bidirectional marks and their neighbours), alone and in text."""
    import re

    from evalkit import validate

    chars = [chr(c) for c in range(0x2100) if not 0xD800 <= c <= 0xDFFF]
    texts = chars + [f"a{c}b" for c in chars]
    expected = [re.search(validate._UNSAFE, t) is not None for t in texts]
    assert validate._unsafe_rows(pd.Series(texts, dtype="string")).tolist() == expected
    assert validate._unsafe_rows(pd.Series(texts, dtype=object)).tolist() == expected
    assert sum(expected) == 2 * (9 + 2 + 18 + 1 + 5 + 4)   # by hand: \x00-\x08, \x0b \x0c, \x0e-\x1f, \x7f, U+202A-E, U+2066-9


# --- group values that differ only in case or spaces (trial: 'Female' and 'female' were two groups) ----------
def test_group_values_differing_only_in_case_or_spaces_are_a_warning(tmp_path):
    folder = _folder(tmp_path, participants=(
        "participant_id,partnership_id,gender,low_income\n"
        "a1,alpha,woman,yes\n"
        "a2,alpha,man,no\n"
        "a3,alpha,Woman,\n"
        "b1,beta,non-binary,yes\n"
        "b2,beta,man,No\n"))
    problems = validate_dir(folder)
    assert problems == []  # a warning, not a violation
    mine = [w for w in problems.warnings if w.file == "participants.csv"]
    assert sorted(w.column for w in mine) == ["gender", "low_income"], mine
    gender = next(w for w in mine if w.column == "gender").message
    assert "'woman'" in gender and "'Woman'" in gender and "'man'" not in gender
    assert "'No'" in next(w for w in mine if w.column == "low_income").message


def test_distinct_group_values_are_no_warning(tmp_path):
    problems = validate_dir(_folder(tmp_path))
    assert [w for w in problems.warnings if w.file == "participants.csv"] == []


def test_validate_warns_about_exactly_the_spellings_import_merges(tmp_path):
    # one rule (evalkit.schema.spelling_key) for both: before, each module wrote its own copy of it
    import re

    from evalkit.importer.build import case_variants

    values = ["woman", "Woman", " woman ", "non  binary", "Non binary", "non-binary", "man", "MAN\u00a0", "two spirit"]
    rows = "".join(f"x{i},alpha,{v},no\n" for i, v in enumerate(values))
    people = "participant_id,partnership_id,gender,low_income\na1,alpha,man,no\na2,alpha,man,no\n" \
             "a3,alpha,man,no\nb1,beta,man,no\nb2,beta,man,no\n"   # the tiny dataset's people, then the spellings
    folder = _folder(tmp_path, participants=people + rows)
    warning = next(w for w in validate_dir(folder).warnings if w.file == "participants.csv" and w.column == "gender")
    warned = {frozenset(re.findall(r"'([^']*)'", part)) for part in warning.message.split(":", 1)[1].split(";")[:-1]}
    merged = case_variants(pd.Series([v.strip() for v in values]))  # both read values with their ends stripped
    by_kept: dict = {}
    for variant, kept in merged.items():
        by_kept.setdefault(kept, {kept}).add(variant)
    # by hand: the woman spellings, the two "non binary" with their inner spaces, man and MAN (its no-break space
    # stripped); not non-binary or two spirit
    assert warned == {frozenset(s) for s in by_kept.values()} == {
        frozenset({"woman", "Woman"}), frozenset({"non  binary", "Non binary"}), frozenset({"man", "MAN"})}


def test_a_group_value_holding_a_contact_detail_is_refused_without_repeating_it(tmp_path):
    # trial 8: a comment column imported as a group printed "Great, call me on 555-123-4567" as the name of a
    # group in Results by group: group names are shown even when the group's results are withheld
    people = TINY["participants.csv"].replace("participant_id,partnership_id,gender,low_income",
                                              "participant_id,partnership_id,gender,low_income,any_comments")
    lines = people.splitlines()
    extra = ["Great, call me on 555-123-4567", "ok", "mail me: ana.ruiz@example.org", "see www.example.org", "thanks"]
    people = "\n".join([lines[0], *[f"{line},\"{c}\"" for line, c in zip(lines[1:], extra)]]) + "\n"
    problems = validate_dir(_folder(tmp_path, participants=people))
    found = [v for v in problems if v.column == "any_comments"]
    assert [(v.file, v.row) for v in found] == [("participants.csv", 2), ("participants.csv", 4), ("participants.csv", 5)]
    assert "a phone number" in found[0].message and "an e-mail address" in found[1].message
    assert "a link" in found[2].message
    assert not any("555" in v.message or "ana.ruiz" in v.message for v in problems)  # the detail is not repeated
    # ordinary group values pass: ages, grades and school years are not phone numbers
    plain = TINY["participants.csv"].replace("low_income", "age_group").replace(",yes", ",18-24").replace(",no", ",65+")
    (tmp_path / "b").mkdir()
    assert [v for v in validate_dir(_folder(tmp_path / "b", participants=plain)) if v.column == "age_group"] == []


def test_a_partnership_without_baseline_answers_is_warned_as_its_report_treats_it(tmp_path):
    # trial 8 (F10): the warning said "its own first wave 'post' is taken as its baseline", while its report says no
    # baseline was recorded and measures no change
    import evalkit as ek

    responses = TINY["responses.csv"].replace("a1,alpha,pre,", "a1,alpha,mid,").replace("a2,alpha,pre,", "a2,alpha,mid,")
    responses = "\n".join(line for line in responses.splitlines() if ",alpha,pre," not in line) + "\n"
    folder = _folder(tmp_path, responses=responses)
    warning = next(w for w in validate_dir(folder).warnings if w.column == "partnership_id" and "alpha" in w.message)
    assert "no answers at the first wave 'pre'" in warning.message
    assert "cannot measure change from the start" in warning.message and "taken as its baseline" not in warning.message
    assert ek.PartnershipReport(ek.load_data(folder), "alpha").stage == "no baseline"


def test_a_percentage_target_written_as_a_share_is_refused_with_the_percentage_meant(tmp_path):
    # trial 8 (F19): "attendance_rate,rate,0.75" was judged against 0.75%: 59% attendance read "met"
    targets = ("partnership_id,indicator,statistic,target\n"
               "alpha,attendance_rate,rate,0.75\n"        # row 2: a share
               "alpha,skills,pct_improved,60\n"           # row 3: a percentage
               "alpha,skills,mean_post,0.5\n")            # row 4: a mean may be below 1
    violations = validate_dir(_folder(tmp_path, targets=targets))
    found = [v for v in violations if v.file == "targets.csv"]
    assert [(v.row, v.column) for v in found] == [(2, "target")]
    assert found[0].message == ("target 0.75 would mean 0.75%; percentages are written 0 to 100: did you mean 75?")


def test_a_data_file_no_table_reads_is_named(tmp_path):
    # trial 8 (F17): attendance saved as Attendance_log.csv and targets as "targets (1).csv" (a second download):
    # validate said OK and every report said attendance and targets were not recorded
    from click.testing import CliRunner

    from evalkit.cli import main

    folder = _folder(tmp_path, attendance=None, targets=None)
    (folder / "Attendance_log.csv").write_text(TINY["attendance.csv"])
    (folder / "targets (1).csv").write_text("partnership_id,indicator,statistic,target\nalpha,skills,mean_post,3\n")
    (folder / "notes.txt").write_text("not data")          # other files are left alone
    (folder / ".~lock.responses.csv#").write_text("")      # and hidden ones
    problems = validate_dir(folder)
    assert problems == []
    said = {w.file: w.message for w in problems.warnings if "is not read" in w.message}
    assert set(said) == {"Attendance_log.csv", "targets (1).csv"}
    assert said["Attendance_log.csv"].endswith("did you mean attendance.csv?")
    assert said["targets (1).csv"].endswith("did you mean targets.csv?")
    # a required table under another name: the missing table, and the file that is probably it
    (folder / "responses.csv").rename(folder / "responses_export.csv")
    res = CliRunner().invoke(main, ["validate", str(folder)])
    assert res.exit_code == 2
    assert "required table 'responses' is missing" in res.stderr
    assert "'responses_export.csv' is not read" in res.stderr and "did you mean responses.csv?" in res.stderr
