"""evalkit import: survey exports -> the data contract (evalkit.importer, evalkit/cli_import.py).

Data:
* MASS::anorexia (tests/stats/datasets/anorexia.csv, Hand et al. 1993; Venables & Ripley 2002), written
  wide with a participant id as tests/fixtures/import/anorexia_wide.csv (Participant, Treat, Prewt, Postwt).
* tests/fixtures/import/qualtrics_export.csv: a Qualtrics-style export (three header rows) with Likert text.
* tests/fixtures/import/survey_pre.csv / survey_post.csv: one file per wave with near-miss ids.
* tests/fixtures/import/wide_prepost.csv: a wide file whose columns follow the _pre/_post convention.
* an SPSS .sav with value and variable labels, written here with pyreadstat.write_sav.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import evalkit as ek
from evalkit.cli import main
from evalkit.importer import ImportFailed, import_data
from evalkit.importer.match import differences, normalise_id
from evalkit.importer.template import guess_waves, write_template
from evalkit.validate import validate_dir

FIXTURES = Path(__file__).parent / "fixtures" / "import"
LIKERT = {"Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def _anorexia_spec(**extra) -> dict:
    return {"sources": [{"path": str(FIXTURES / "anorexia_wide.csv")}], "id": "Participant",
            "partnership": {"column": "Treat", "names": {"CBT": "Cognitive behavioural therapy", "Cont": "Control",
                                                          "FT": "Family therapy"}},
            "measures": {"weight": {"label": "Body weight (lb)", "kind": "continuous", "higher_is_better": True,
                                    "scale": [None, None], "waves": {"Prewt": "pre", "Postwt": "post"}}}, **extra}


def _nothing_written(out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")], "a temporary folder was left"


# --- (1) MASS anorexia, wide -> import -> compare_prepost ----------------------------------------
def test_anorexia_wide_import_gives_the_paired_t_test_of_r(tmp_path):
    before = _digest(FIXTURES)
    out = tmp_path / "data"
    result = ek.import_data(_anorexia_spec(), out)  # the top-level name is the importer's
    assert ek.import_data is import_data
    assert validate_dir(out) == []
    assert _digest(FIXTURES) == before  # input files are only read
    assert sorted(p.name for p in out.iterdir()) == ["import_report.md", "measures.csv", "participants.csv",
                                                     "partnerships.csv", "responses.csv"]
    report = result.match_report.set_index("partnership_id")
    assert report.loc[["cbt", "cont", "ft"], "participants"].tolist() == [29, 26, 17]  # MASS: 29 CBT, 26 Cont, 17 FT
    assert report["matched"].tolist() == report["participants"].tolist()
    names = result.tables["partnerships"].set_index("partnership_id")["name"]
    assert names["cbt"] == "Cognitive behavioural therapy"

    data = ek.load_data(out)
    row = ek.compare_prepost(data, "cbt").iloc[0]
    # R 4.2.2: with(subset(MASS::anorexia, Treat == "CBT"), t.test(Postwt, Prewt, paired = TRUE))
    #   t = 2.2156, df = 28, p-value = 0.03502; mean difference 3.006897
    assert row["statistic"] == pytest.approx(2.2156, abs=5e-5)
    assert row["df"] == 28
    assert row["pvalue"] == pytest.approx(0.03502, abs=5e-6)
    assert row["mean_change"] == pytest.approx(3.006897, abs=1e-6)


def test_arm_gives_comparison_within_one_partnership(tmp_path):
    spec = _anorexia_spec(partnership={"id": "anorexia", "name": "Anorexia trial", "partner_type": "research"},
                          arm={"column": "Treat", "program": ["CBT", "FT"], "comparison": ["Cont"]},
                          groups={"Treat": "treatment"})
    result = import_data(spec, tmp_path / "data")
    people = result.tables["participants"]
    assert people.columns.tolist() == ["participant_id", "partnership_id", "arm", "treatment"]
    assert people["arm"].value_counts().to_dict() == {"program": 46, "comparison": 26}  # 29 + 17 vs 26
    assert validate_dir(tmp_path / "data") == []


# --- (2) Qualtrics export: three header rows, Likert text labels ---------------------------------
def _qualtrics_spec(**measure) -> dict:
    return {"sources": [{"path": "qualtrics_export.csv"}], "id": "ExternalReference",
            "partnership": {"column": "Site"}, "groups": ["Gender"],
            "measures": {"confidence": {"kind": "ordinal", "higher_is_better": True, "scale": [1, 5],
                                        "labels": LIKERT, "waves": {"Q3_pre": "pre", "Q3_post": "post"}, **measure},
                         "books": {"label": "Books read this month", "kind": "continuous", "higher_is_better": True,
                                   "waves": {"Q4_pre": "pre", "Q4_post": "post"}}}}


def test_qualtrics_export_with_likert_labels(tmp_path):
    result = import_data(_qualtrics_spec(), tmp_path / "data", base_dir=FIXTURES)
    assert result.sources["tool"].tolist() == ["qualtrics"]
    assert validate_dir(tmp_path / "data") == []
    r = result.tables["responses"]
    conf = r[r["measure"] == "confidence"].set_index(["participant_id", "wave"])["value"]
    # STU001: "Strongly disagree" (1) -> "Neither agree nor disagree" (3); STU008 answered in capitals
    assert conf[("STU001", "pre")] == 1 and conf[("STU001", "post")] == 3
    assert conf[("STU008", "pre")] == 2
    assert ("STU005", "post") not in conf.index  # a skipped answer is not an answer
    assert len(conf) == 23
    measures = result.tables["measures"].set_index("measure")
    # no label in the spec: the question text of Qualtrics' second header row
    assert measures.loc["confidence", "label"].startswith("How much do you agree? - I feel confident")
    assert measures.loc["books", "label"] == "Books read this month"
    parts = result.tables["partnerships"]
    assert parts["partnership_id"].tolist() == ["riverside-library", "eastside-youth-centre"]
    assert parts["name"].tolist() == ["Riverside Library", "Eastside Youth Centre"]
    assert set(result.tables["participants"]["gender"]) == {"Female", "Male", "Non-binary"}


def test_qualtrics_rows_count_the_three_header_rows(tmp_path):
    spec = _qualtrics_spec(labels={k: v for k, v in LIKERT.items() if k != "Agree"})
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "data", base_dir=FIXTURES)
    # "Agree" is the pre answer of the 9th response (STU009, pre 4): file row 3 + 9 = 12
    rows = {(v.file, v.row, v.column) for v in err.value.violations}
    assert ("qualtrics_export.csv", 12, "Q3_pre") in rows
    assert all(v.row >= 4 for v in err.value.violations)
    assert "'Agree' is not one of the labels of measure 'confidence'" in str(err.value)
    _nothing_written(tmp_path / "data")


# --- (3) SPSS .sav with value labels ---------------------------------------------------------------
def test_sav_value_labels_become_groups_partnerships_and_labels(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"pid": [f"{i:03d}" for i in range(1, 13)],
                          "site": [1.0] * 6 + [2.0] * 6,
                          "sex": [1.0, 2.0] * 6,
                          "conf_pre": [1, 2, 2, 3, 1, 2, 3, 2, 4, 1, 2, 3],
                          "conf_post": [3, 3, 4, 4, 2, 4, 3, 4, 5, 3, 3, -99]})
    agree = {1.0: "Strongly disagree", 2.0: "Disagree", 3.0: "Neutral", 4.0: "Agree", 5.0: "Strongly agree"}
    sav = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(sav), column_labels=["Participant", "Site", "Sex",
                                                           "I feel confident (start)", "I feel confident (end)"],
                         variable_value_labels={"site": {1.0: "North Campus", 2.0: "South Campus"},
                                                "sex": {1.0: "Female", 2.0: "Male"},
                                                "conf_pre": agree, "conf_post": agree})
    digest = hashlib.sha256(sav.read_bytes()).hexdigest()
    spec = {"sources": [{"path": "survey.sav"}], "id": "pid", "partnership": {"column": "site"},
            "arm": None, "groups": ["sex"], "missing": [-99],
            "measures": {"confidence": {"kind": "ordinal", "higher_is_better": True, "scale": [1, 5],
                                        "waves": {"conf_pre": "pre", "conf_post": "post"}}}}
    result = import_data(spec, tmp_path / "data", base_dir=tmp_path)
    assert validate_dir(tmp_path / "data") == []
    assert hashlib.sha256(sav.read_bytes()).hexdigest() == digest
    parts = result.tables["partnerships"]
    assert parts["partnership_id"].tolist() == ["north-campus", "south-campus"]  # from the value labels
    assert parts["name"].tolist() == ["North Campus", "South Campus"]
    assert result.tables["participants"]["sex"].tolist() == ["Female", "Male"] * 6
    assert result.tables["measures"]["label"].tolist() == ["I feel confident (start)"]  # the variable label
    r = result.tables["responses"]
    assert len(r) == 23  # 24 answers, one the missing code -99
    assert r["value"].between(1, 5).all()
    assert result.sources["format"].tolist() == ["spss"]


# --- (4) one file per wave: near-miss ids, duplicates ----------------------------------------------
def _two_file_spec(pre="survey_pre.csv", **extra) -> dict:
    return {"sources": [{"path": pre, "wave": "pre"}, {"path": "survey_post.csv", "wave": "post"}],
            "id": "Student ID", "partnership": {"id": "riverside-reading", "name": "Riverside Reading"},
            "groups": {"Grade": "grade"},
            "measures": {"reading": {"label": "Reading score", "kind": "continuous", "higher_is_better": True,
                                     "column": "Reading score"}}, **extra}


def test_two_files_matched_by_id_with_near_misses(tmp_path):
    result = import_data(_two_file_spec(), tmp_path / "data", base_dir=FIXTURES)
    assert validate_dir(tmp_path / "data") == []
    row = result.match_report.iloc[0]
    # pre S001-S012; post: s002 (case) and "S 003" (space) match once normalised, S4 (S004 without its
    # zeros) does not, S012 is missing and S013 is new. Matched: S001, S002, S003, S005-S011 = 10.
    assert row["participants"] == 14  # 12 pre + S4 + S013
    assert row["matched"] == 10
    assert row["unmatched_pre"] == 2  # S004, S012
    assert row["unmatched_post"] == 2  # S4, S013
    assert row["matched_after_normalising"] == 2
    assert row["near_misses"] == 1
    misses = result.near_misses.set_index("difference")
    assert bool(misses.loc["case", "matched"]) and bool(misses.loc["spaces", "matched"])
    zero = misses.loc["leading zeros"]
    assert (zero["file"], zero["row"], zero["other_file"], zero["other_row"]) == (
        "survey_pre.csv", 5, "survey_post.csv", 5)
    assert not zero["matched"]
    report = (tmp_path / "data" / "import_report.md").read_text()
    assert "leading zeros" in report and "| survey_pre.csv | 5 |" in report.replace("pre | survey", "pre | survey")
    for pid in ("S004", "s002", "S 003", "S4"):  # the report locates ids by file and row, never shows them
        assert pid not in report
    # the group column comes from the pre file only; the post file's answer is kept with the pre id
    people = result.tables["participants"].set_index("participant_id")
    assert people.loc["S002", "grade"] == "10"
    r = result.tables["responses"]
    assert r[(r["participant_id"] == "S002") & (r["wave"] == "post")]["value"].tolist() == [17]


def test_without_normalising_case_and_spaces_are_near_misses(tmp_path):
    result = import_data(_two_file_spec(id_normalize=False), base_dir=FIXTURES)
    row = result.match_report.iloc[0]
    assert (row["matched"], row["matched_after_normalising"], row["near_misses"]) == (8, 0, 3)


def test_duplicate_id_within_a_wave_is_a_violation(tmp_path):
    pre = pd.read_csv(FIXTURES / "survey_pre.csv", dtype=str)
    pre = pd.concat([pre, pd.DataFrame({"Student ID": ["s005 "], "Grade": ["9"], "Reading score": ["13"]})])
    pre.to_csv(tmp_path / "survey_pre.csv", index=False)
    (tmp_path / "survey_post.csv").write_bytes((FIXTURES / "survey_post.csv").read_bytes())
    out = tmp_path / "data"
    with pytest.raises(ImportFailed) as err:
        import_data(_two_file_spec(), out, base_dir=tmp_path)
    [dup] = err.value.violations
    assert (dup.file, dup.row, dup.column) == ("survey_pre.csv", 14, "Student ID")
    assert "appears 2 times in wave 'pre' (survey_pre.csv row 6, survey_pre.csv row 14)" in dup.message
    assert err.value.match_report["duplicates"].tolist() == [1]
    _nothing_written(out)


# --- (5) error corpus: every problem at once, with file, row and column; nothing written -----------
def test_every_problem_is_reported_at_once_and_nothing_is_written(tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"this is not a workbook")
    wide = pd.read_csv(FIXTURES / "wide_prepost.csv", dtype=str)
    wide.loc[2, "confidence_post"] = "Somewhat agree"   # not in labels: file row 4
    wide.loc[5, "reading_pre"] = "250"                  # outside the scale [0, 100]: file row 7
    wide.to_csv(tmp_path / "wide.csv", index=False)
    before = _digest(tmp_path)
    spec = {"sources": [{"path": "wide.csv"}, {"path": "broken.xlsx"}], "id": "student_id",
            "partnership": {"id": "p1", "name": "P1"}, "groups": ["gender", "school"],
            "measures": {
                "reading": {"kind": "continuous", "higher_is_better": True, "scale": [0, 100],
                            "waves": {"reading_pre": "pre", "reading_post": "post"}},
                "confidence": {"kind": "ordinal", "higher_is_better": True, "scale": [1, 5],
                               "labels": {"Strongly disagree": 1, "Disagree": 2, "Neutral": 3, "Agree": 4,
                                          "Strongly agree": 5},
                               "waves": {"confidence_pre": "pre", "confidence_post": "post"}}}}
    out = tmp_path / "data"
    with pytest.raises(ImportFailed) as err:
        import_data(spec, out, base_dir=tmp_path)
    found = {(v.file, v.row, v.column): v.message for v in err.value.violations}
    assert "could not be read" in found[("broken.xlsx", None, None)]
    assert "no column 'school'" in found[("wide.csv", 1, "school")]
    assert "'Somewhat agree' is not one of the labels" in found[("wide.csv", 4, "confidence_post")]
    assert "250 is outside the scale [0, 100]" in found[("wide.csv", 7, "reading_pre")]
    text = str(err.value)
    assert "wide.csv, row 4, column 'confidence_post'" in text and "wide.csv, row 7, column 'reading_pre'" in text
    _nothing_written(out)
    assert _digest(tmp_path) == before


@pytest.mark.parametrize("change, where, expected", [
    ({"measures": {"reading": {"kind": "continuous", "higher_is_better": True,
                               "waves": {"reading_pre": "pre", "reading_postt": "post"}}}},
     ("wide_prepost.csv", 1, "reading_postt"), "did you mean 'reading_post'"),
    ({"measures": {"reading": {"kind": "continuous", "higher_is_better": True, "scale": [0, 55],
                               "waves": {"reading_pre": "pre", "reading_post": "post"}}}},
     ("wide_prepost.csv", 6, "reading_post"), "71 is outside the scale [0, 55]"),  # row 6: 71.0
    ({"measures": {"homework": {"kind": "binary", "higher_is_better": True, "labels": {"Yes": 1},
                                "waves": {"homework_pre": "pre", "homework_post": "post"}}}},
     ("wide_prepost.csv", 3, "homework_pre"), "'No' is not one of the labels of measure 'homework'"),
])
def test_error_corpus_names_file_row_and_column(tmp_path, change, where, expected):
    spec = {"sources": [{"path": "wide_prepost.csv"}], "id": "student_id",
            "partnership": {"id": "p1", "name": "P1"}, **change}
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "data", base_dir=FIXTURES)
    found = {(v.file, v.row, v.column): v.message for v in err.value.violations}
    assert where in found, found
    assert expected in found[where]
    _nothing_written(tmp_path / "data")


def test_unreadable_file_is_reported_with_its_name(tmp_path):
    (tmp_path / "export.sav").write_bytes(b"\x00\x01 not SPSS")
    spec = {"sources": ["export.sav"], "id": "pid", "partnership": {"id": "p1", "name": "P1"},
            "measures": {"x": {"kind": "continuous", "higher_is_better": True, "waves": {"x1": "pre"}}}}
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "data", base_dir=tmp_path)
    [v] = err.value.violations
    assert (v.file, v.row, v.column) == ("export.sav", None, None)
    assert "could not be read" in v.message and "SPSS" in v.message
    _nothing_written(tmp_path / "data")


def test_bad_spec_keys_are_reported_with_their_line(tmp_path):
    spec = tmp_path / "spec.yml"
    spec.write_text(
        "sources:\n  - path: wide_prepost.csv\nid: student_id\npartnership: {id: p1, name: P1}\n"
        "measures:\n  reading:\n    kind: score\n    higher_is_better: true\n    wavs: {reading_pre: pre}\n")
    with pytest.raises(ImportFailed) as err:
        import_data(spec, base_dir=FIXTURES)
    found = {(v.file, v.row, v.column): v.message for v in err.value.violations}
    assert "'score' is not a kind" in found[("spec.yml", 7, "measures.reading.kind")]
    assert "unknown key 'wavs'" in found[("spec.yml", 9, "measures.reading.wavs")]


def test_an_earlier_import_is_replaced_and_other_folders_are_refused(tmp_path):
    out = tmp_path / "data"
    import_data(_anorexia_spec(), out)
    import_data(_anorexia_spec(partnership={"id": "anorexia", "name": "Anorexia"}), out)
    assert pd.read_csv(out / "partnerships.csv")["partnership_id"].tolist() == ["anorexia"]
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ek.InputError, match="not empty"):
        import_data(_anorexia_spec(), other)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_partnership_ids_are_safe_and_never_reserved(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "program": ["index", "_Hidden", ".dot", "Café Société"],
                          "x_pre": [1, 2, 3, 4], "x_post": [2, 3, 4, 5]})
    frame.to_csv(tmp_path / "w.csv", index=False)
    spec = {"sources": ["w.csv"], "id": "id", "partnership": {"column": "program"},
            "measures": {"x": {"kind": "continuous", "higher_is_better": True,
                               "waves": {"x_pre": "pre", "x_post": "post"}}}}
    result = import_data(spec, tmp_path / "data", base_dir=tmp_path)
    ids = result.tables["partnerships"]["partnership_id"].tolist()
    assert ids == ["index-1", "hidden", "dot", "cafe-societe"]
    assert validate_dir(tmp_path / "data") == []


def test_id_normalisation_and_differences():
    assert normalise_id("  AB-12 ") == normalise_id("ab12") == "ab12"
    assert differences("S 003", "s003") == ["spaces", "case"]
    assert differences("S004", "S4") == ["leading zeros"]


# --- (6) evalkit import --template -------------------------------------------------------------
def test_template_of_a_pre_post_file_imports_without_edits(tmp_path):
    assert guess_waves(["Prewt", "Postwt", "score_T1", "score_T2", "pre_mood", "post_mood", "Treat"]) == {
        "wt": {"Prewt": "pre", "Postwt": "post"}, "score": {"score_T1": "t1", "score_T2": "t2"},
        "mood": {"pre_mood": "pre", "post_mood": "post"}}
    spec = tmp_path / "spec.yml"
    write_template(FIXTURES / "wide_prepost.csv", spec)
    raw = yaml.safe_load(spec.read_text())
    assert raw["id"] == "student_id" and raw["groups"] == ["gender"]
    assert {m: v["kind"] for m, v in raw["measures"].items()} == {
        "reading": "continuous", "confidence": "ordinal", "homework": "binary"}
    result = import_data(spec, tmp_path / "data")
    assert validate_dir(tmp_path / "data") == []
    assert result.match_report["matched"].tolist() == [20]
    r = result.tables["responses"]
    assert sorted(r["measure"].unique()) == ["confidence", "homework", "reading"]
    assert len(r) == 20 * 6 - 1  # one blank reading_post
    with pytest.raises(ek.InputError, match="exists"):
        write_template(FIXTURES / "wide_prepost.csv", spec)


# --- (7) the command line ---------------------------------------------------------------------
def test_cli_import_exit_codes(tmp_path):
    runner = CliRunner()
    spec = tmp_path / "spec.yml"
    spec.write_text(yaml.safe_dump(_anorexia_spec()))
    ok = runner.invoke(main, ["import", str(spec), "--out", str(tmp_path / "data")])
    assert ok.exit_code == 0, ok.output
    assert "## Participants matched across waves" in ok.stdout
    assert "Imported 72 participants in 3 partnership(s), 144 answers" in ok.stderr

    bad = _anorexia_spec()
    bad["measures"]["weight"]["waves"] = {"Prewt": "pre", "Postweight": "post"}
    spec.write_text(yaml.safe_dump(bad))
    fail = runner.invoke(main, ["import", str(spec), "--out", str(tmp_path / "other")])
    assert fail.exit_code == 2
    assert "anorexia_wide.csv, row 1, column 'Postweight'" in fail.stderr
    assert "Traceback" not in fail.output and isinstance(fail.exception, SystemExit)
    assert not (tmp_path / "other").exists()

    for args in (["import", str(spec)], ["import"], ["import", str(tmp_path / "none.yml"), "--out", "x"],
                 ["import", "--template"], ["import", "--template", str(tmp_path / "none.csv")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output

    template = runner.invoke(main, ["import", "--template", str(FIXTURES / "anorexia_wide.csv")])
    assert template.exit_code == 0
    assert "waves: {Prewt: pre, Postwt: post}" in template.stdout
    written = runner.invoke(main, ["import", "--template", str(FIXTURES / "wide_prepost.csv"),
                                   "--out", str(tmp_path / "starter.yml")])
    assert written.exit_code == 0 and (tmp_path / "starter.yml").is_file()
    again = runner.invoke(main, ["import", "--template", str(FIXTURES / "wide_prepost.csv"),
                                 "--out", str(tmp_path / "starter.yml")])
    assert again.exit_code == 2 and "exists" in again.stderr  # never written over
    imported = runner.invoke(main, ["import", str(tmp_path / "starter.yml"), "--out", str(tmp_path / "d2")])
    assert imported.exit_code == 0, imported.output


def test_result_shows_in_a_notebook_without_ids(tmp_path):
    result = import_data(_two_file_spec(), base_dir=FIXTURES)
    html = result._repr_html_()
    assert "Participants matched across waves" in html and "leading zeros" in html
    assert "S004" not in html and "S4<" not in html
    assert result.out_dir is None


# --- more formats: Excel sheet, Parquet, Stata, Google Forms; three waves; composite ids ----------
def test_excel_parquet_and_stata_give_the_tables_of_the_csv(tmp_path):
    import pyreadstat

    frame = pd.read_csv(FIXTURES / "wide_prepost.csv")
    with pd.ExcelWriter(tmp_path / "export.xlsx") as writer:
        pd.DataFrame({"about": ["exported for the test"]}).to_excel(writer, sheet_name="Notes", index=False)
        frame.to_excel(writer, sheet_name="Responses", index=False)
    frame.to_parquet(tmp_path / "export.parquet")
    pyreadstat.write_dta(frame, str(tmp_path / "export.dta"))
    measures = {"reading": {"kind": "continuous", "higher_is_better": True,
                            "waves": {"reading_pre": "pre", "reading_post": "post"}},
                "homework": {"kind": "binary", "higher_is_better": True, "labels": {"yes": 1, "no": 0},
                             "waves": {"homework_pre": "pre", "homework_post": "post"}}}
    spec = {"id": "student_id", "partnership": {"id": "p1", "name": "P1"}, "groups": ["gender"],
            "measures": measures}
    expected = import_data({**spec, "sources": ["wide_prepost.csv"]}, base_dir=FIXTURES).tables
    assert len(expected["responses"]) == 20 * 4 - 1
    for source in ({"path": "export.xlsx", "sheet": "Responses"}, "export.parquet", "export.dta"):
        got = import_data({**spec, "sources": [source]}, base_dir=tmp_path).tables
        for name in ("participants", "responses"):
            pd.testing.assert_frame_equal(got[name], expected[name], check_dtype=False, obj=f"{source}: {name}")


def test_google_forms_exports_one_per_wave(tmp_path):
    pre = pd.DataFrame({"Timestamp": ["9/1/2025 10:00:00", "9/1/2025 10:05:00", "9/2/2025 09:00:00"],
                        "Student number": ["101", "102", "103"],
                        "How much do you enjoy reading? ": ["Agree", "Disagree", "Strongly agree"]})
    post = pd.DataFrame({"Timestamp": ["12/1/2025 10:00:00", "12/1/2025 11:00:00"],
                         "Student number": ["101", "103"],
                         "how much do you enjoy reading?": ["Strongly agree", "Strongly agree"]})
    pre.to_csv(tmp_path / "Reading survey (pre).csv", index=False)
    post.to_csv(tmp_path / "Reading survey (post).csv", index=False)
    spec = {"sources": [{"path": "Reading survey (pre).csv", "wave": "pre"},
                        {"path": "Reading survey (post).csv", "wave": "post"}],
            "id": "Student number", "partnership": {"id": "reading-club", "name": "Reading club"},
            "measures": {"enjoy": {"kind": "ordinal", "higher_is_better": True, "labels": LIKERT,
                                   "column": "How much do you enjoy reading?"}}}
    result = import_data(spec, tmp_path / "data", base_dir=tmp_path)
    assert result.sources["tool"].tolist() == ["google-forms", "google-forms"]
    assert result.tables["measures"]["label"].tolist() == ["How much do you enjoy reading?"]  # the header text
    assert result.tables["measures"][["scale_min", "scale_max"]].values.tolist() == [[1, 5]]  # from the labels
    row = result.match_report.iloc[0]
    assert (row["matched"], row["unmatched_pre"], row["unmatched_post"]) == (2, 1, 0)
    r = result.tables["responses"].set_index(["participant_id", "wave"])["value"]
    assert r[("102", "pre")] == 2 and r[("103", "post")] == 5
    assert validate_dir(tmp_path / "data") == []


def test_three_waves_and_a_composite_id_are_pseudonymised(tmp_path):
    frame = pd.DataFrame({"first": ["Ana", "Ben", "Cleo"] * 4, "last": ["Diaz", "Evans", "Fox"] * 4,
                          "born": [f"2010-{i + 1:02d}-15" for i in range(12)],
                          "score_T1": np.arange(12.0), "score_T2": np.arange(12.0) + 1,
                          "score_T3": np.arange(12.0) + 3})
    frame.to_csv(tmp_path / "w.csv", index=False)
    spec = {"sources": ["w.csv"], "id": ["first", "last", "born"], "partnership": {"id": "p1", "name": "P1"},
            "waves": ["T1", "T2", "T3"],
            "measures": {"score": {"kind": "continuous", "higher_is_better": True,
                                   "waves": {"score_T1": "t1", "score_T2": "t2", "score_T3": "t3"}}}}
    result = import_data(spec, tmp_path / "data", base_dir=tmp_path)
    assert validate_dir(tmp_path / "data") == []
    ids = result.tables["participants"]["participant_id"]
    assert ids.str.fullmatch(r"p[0-9a-f]{12}").all() and ids.is_unique and len(ids) == 12
    assert result.tables["waves"].to_dict("list") == {"wave": ["t1", "t2", "t3"], "order": [1, 2, 3]}
    assert result.match_report["matched"].tolist() == [12]
    written = " ".join(p.read_text() for p in (tmp_path / "data").iterdir())
    assert not any(name in written for name in ("Ana", "Diaz", "Cleo", "2010-0"))
    frame.loc[11, ["first", "last", "born"]] = ["ana ", "DIAZ", "2010-01-15"]  # Ana Diaz again, in other case
    frame.to_csv(tmp_path / "w.csv", index=False)
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "again", base_dir=tmp_path)
    [dup] = err.value.violations  # one message for the repeated row, naming its three waves
    assert (dup.file, dup.row, dup.column) == ("w.csv", 13, "first+last+born")
    assert "appears 2 times in waves 't1', 't2', 't3' (w.csv row 2, w.csv row 13) (the same id once case" in dup.message
    data = ek.load_data(tmp_path / "data")
    assert data.wave_order == ["t1", "t2", "t3"]


# --- (8) an analyst's trial: satisfaction scales, every problem at once, case-only groups, labels ------------
SATISFIED = ["Very dissatisfied", "Dissatisfied", "Neither satisfied nor dissatisfied", "Satisfied",
             "Very satisfied"]


@pytest.mark.parametrize("answers, order", [
    (["Satisfied", "Very satisfied", "Neither satisfied nor dissatisfied", "Dissatisfied"], SATISFIED),
    (["Very likely", "Unlikely", "Likely"], ["Very unlikely", "Unlikely", "Neither likely nor unlikely", "Likely",
                                              "Very likely"]),
    (["Excellent", "Poor", "Good"], ["Poor", "Fair", "Good", "Very good", "Excellent"]),
    (["Very important", "Not at all important", "Moderately important"],
     ["Not at all important", "Slightly important", "Moderately important", "Very important",
      "Extremely important"]),
])
def test_template_recognises_satisfaction_likelihood_quality_and_importance_scales(answers, order):
    from evalkit.importer.template import guess_kind

    guess = guess_kind(pd.Series(answers))
    assert guess["kind"] == "ordinal" and guess["scale"] == [1, 5]
    assert sorted(guess["labels"], key=guess["labels"].get) == order


def _w4(folder: Path) -> Path:
    path = folder / "w4.csv"
    path.write_text("id,site,sat_pre,sat_post,often_pre,often_post,comment\n"
                    "1,A,Very satisfied,Satisfied,Never,Often,good\n"
                    "2,A,Dissatisfied,Very satisfied,Sometimes,Always,too long\n"
                    "3,A,Neither satisfied nor dissatisfied,Satisfied,Rarely,Sometimes,fine\n"
                    "4,A,Satisfied,Very dissatisfied,Never,Never,ok\n"
                    "5,B,Satisfied,Satisfied,Often,Always,more sessions\n"
                    "6,B,Dissatisfied,Satisfied,Sometimes,Often,none\n")
    return path


def test_template_of_a_satisfaction_question_is_a_measure_not_a_group(tmp_path):
    spec = tmp_path / "spec.yml"
    text = write_template(_w4(tmp_path), spec)
    raw = yaml.safe_load(text)
    assert "groups" not in raw
    assert raw["measures"]["sat"]["kind"] == "ordinal"
    assert raw["measures"]["sat"]["labels"]["Neither satisfied nor dissatisfied"] == 3
    assert raw["measures"]["sat"]["waves"] == {"sat_pre": "pre", "sat_post": "post"}
    # the free-text column is named in a comment to check, never silently dropped
    assert any(line.lstrip().startswith("#") and "comment" in line and "check" in line for line in text.splitlines())
    result = import_data(spec, tmp_path / "data")
    r = result.tables["responses"]
    assert r.loc[r["measure"] == "sat", "value"].tolist()[:3] == [5, 2, 3]


def test_template_of_one_file_per_wave_keeps_every_column_and_proposes_the_school(tmp_path):
    (tmp_path / "wave_pre.csv").write_text("ID,School,Q1 How satisfied are you?,Q2 Hours studied,Notes\n"
                                           "7,Oak High,Very satisfied,3,x1\n8,Oak High,Satisfied,,x2\n"
                                           "9,Oak High,Dissatisfied,2,x3\n")
    (tmp_path / "wave_post.csv").write_text("ID,School,Q1 How satisfied are you?,Q2 Hours studied,Notes\n"
                                            "7,Oak High,Very dissatisfied,5,y1\n8,Oak High,Satisfied,2,y2\n"
                                            "9,Oak High,Neither satisfied nor dissatisfied,4,y3\n")
    spec = tmp_path / "spec.yml"
    text = write_template([tmp_path / "wave_pre.csv", tmp_path / "wave_post.csv"], spec)
    raw = yaml.safe_load(text)
    assert raw["partnership"] == {"column": "School"}
    q1 = next(m for m in raw["measures"].values() if m.get("column") == "Q1 How satisfied are you?")
    assert q1["kind"] == "ordinal" and q1["label"] == "Q1 How satisfied are you?"
    assert any(line.lstrip().startswith("#") and "Notes" in line and "check" in line for line in text.splitlines())
    result = import_data(spec, tmp_path / "data")
    assert result.tables["partnerships"]["name"].tolist() == ["Oak High"]


def test_template_proposes_a_grade_column_as_a_group_not_a_measure(tmp_path):
    """A school grade (9, 10, 11), the same for each student in every wave's file, was proposed as a continuous
    measure to compare pre and post; in a single wide file it was left out as 'numbers in one column'. It
    describes who the participants are: a group."""
    for wave, q2 in (("pre", ["3", "2", "1", "4"]), ("post", ["5", "2", "4", "4"])):
        (tmp_path / f"wave_{wave}.csv").write_text(
            "ID,School,Grade,Q1 How satisfied are you?,Q2 Hours studied\n"
            + "".join(f"{i},Oak High,{g},Satisfied,{h}\n" for i, g, h in zip((7, 8, 9, 10), (9, 10, 11, 9), q2)))
    spec = tmp_path / "spec.yml"
    raw = yaml.safe_load(write_template([tmp_path / "wave_pre.csv", tmp_path / "wave_post.csv"], spec))
    assert raw["groups"] == ["Grade"]
    assert not any(m.get("column") == "Grade" for m in raw["measures"].values())
    assert any(m.get("column") == "Q2 Hours studied" for m in raw["measures"].values())
    result = import_data(spec, tmp_path / "data")
    people = result.tables["participants"].set_index("participant_id")
    assert people["grade"].astype(str).tolist() == ["9", "10", "11", "9"]

    (tmp_path / "wide.csv").write_text("ID,Grade,score_pre,score_post\n"
                                       + "".join(f"{i},{g},{i},{i + 1}\n" for i, g in zip(range(1, 7), (9, 9, 10, 10, 11, 11))))
    raw = yaml.safe_load(write_template(tmp_path / "wide.csv"))
    assert raw["groups"] == ["Grade"]


def test_template_labels_are_words_with_a_capital_and_marked_check(tmp_path):
    text = write_template(_w4(tmp_path))
    raw = yaml.safe_load(text)
    assert raw["measures"]["often"]["label"] == "Often" and raw["measures"]["sat"]["label"] == "Sat"
    assert "    label: Often  # check" in text.splitlines()
    text = write_template(FIXTURES / "wide_prepost.csv")
    assert yaml.safe_load(text)["measures"]["reading"]["label"] == "Reading"


def test_value_problems_and_a_duplicate_id_are_reported_in_one_run(tmp_path):
    wide = pd.read_csv(FIXTURES / "wide_prepost.csv", dtype=str)
    wide.loc[2, "confidence_post"] = "Somewhat agree"   # not in labels: file row 4
    wide.loc[5, "reading_pre"] = "250"                  # outside the scale [0, 100]: file row 7
    wide = pd.concat([wide, wide.iloc[[0]]], ignore_index=True)  # the first participant again: file row 22
    wide.to_csv(tmp_path / "wide.csv", index=False)
    spec = {"sources": [{"path": "wide.csv"}], "id": "student_id", "partnership": {"id": "p1", "name": "P1"},
            "measures": {
                "reading": {"kind": "continuous", "higher_is_better": True, "scale": [0, 100],
                            "waves": {"reading_pre": "pre", "reading_post": "post"}},
                "confidence": {"kind": "ordinal", "higher_is_better": True, "scale": [1, 5], "labels": LIKERT | {
                    "Neutral": 3}, "waves": {"confidence_pre": "pre", "confidence_post": "post"}}}}
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "data", base_dir=tmp_path)
    found = {(v.file, v.row, v.column): v.message for v in err.value.violations}
    assert "'Somewhat agree' is not one of the labels" in found[("wide.csv", 4, "confidence_post")]
    assert "250 is outside the scale [0, 100]" in found[("wide.csv", 7, "reading_pre")]
    assert "appears 2 times" in found[("wide.csv", 22, "student_id")]
    _nothing_written(tmp_path / "data")


def test_group_values_differing_only_in_case_are_merged_and_reported(tmp_path):
    (tmp_path / "g.csv").write_text("pid,Gender,score_pre,score_post\n1,Female,3,4\n2,female,2,3\n3,Male,4,4\n"
                                    "4,Female ,1,2\n5,Non-binary,2,2\n6,non-binary,3,3\n7,FEMALE,2,2\n")
    spec = {"sources": [{"path": "g.csv"}], "id": "pid", "partnership": {"id": "p1", "name": "P1"},
            "groups": ["Gender"], "measures": {"score": {"kind": "continuous", "higher_is_better": True,
                                                         "waves": {"score_pre": "pre", "score_post": "post"}}}}
    result = import_data(spec, tmp_path / "data", base_dir=tmp_path)
    assert result.tables["participants"]["gender"].tolist() == ["Female", "Female", "Male", "Female", "Non-binary",
                                                               "Non-binary", "Female"]
    note = next(n for n in result.notes if "Gender" in n)
    assert "'female'" in note and "'FEMALE'" in note and "'Female'" in note and "'non-binary'" in note
    assert "Gender" in (tmp_path / "data" / "import_report.md").read_text()
    assert [w for w in validate_dir(tmp_path / "data").warnings if w.file == "participants.csv"] == []


def test_a_one_column_scale_question_is_neither_a_group_nor_the_partnership(tmp_path):
    (tmp_path / "q.csv").write_text("pid,How satisfied with the program,x_pre,x_post\n1,Satisfied,1,2\n"
                                    "2,Very satisfied,2,3\n3,Satisfied,3,3\n")
    text = write_template(tmp_path / "q.csv")
    raw = yaml.safe_load(text)
    assert "groups" not in raw and "column" not in raw["partnership"]
    assert any(line.startswith("# check: column \"How satisfied with the program\"") for line in text.splitlines())


def test_a_wrong_id_column_is_the_one_problem_reported_for_its_file(tmp_path):
    # trial 8 (F6): with the id column mistyped, the file was skipped before its other columns were looked up,
    # so the partnership and group columns, which exist, were reported missing ("did you mean 'gender'?")
    spec = {"sources": [{"path": "wide_prepost.csv"}], "id": "PARTICIPANT_ID_COLUMN", "partnership": {"column": "school"},
            "groups": ["gender"],
            "measures": {"reading": {"kind": "continuous", "higher_is_better": True,
                                     "waves": {"reading_pre": "pre", "reading_post": "post"}}}}
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "data", base_dir=FIXTURES)
    # the id, and the partnership column this file really lacks; not gender or the reading columns, which it has
    assert [(v.file, v.row, v.column) for v in err.value.violations] == [
        ("wide_prepost.csv", 1, "PARTICIPANT_ID_COLUMN"), ("wide_prepost.csv", 1, "school")]
    assert "(the participant id)" in err.value.violations[0].message
    _nothing_written(tmp_path / "data")


def test_template_never_proposes_comments_or_time_stamps_as_groups_and_pseudonymises_an_e_mail_id(tmp_path):
    # trial 8 (F2, F3): a Google-Forms-style export per wave. The starter spec proposed "Any comments?" (and the
    # Timestamp) as groups, so a phone number in a comment was printed as a group's name in Results by group; and
    # it took the e-mail column as the id with no pseudonymisation, so the e-mails became participant ids
    head = ("Timestamp,Email address,What is your gender?,Race or ethnicity,How confident are you?,Any comments?\n")
    rows_pre = [("2025-09-01 10:0{i}:00", f"p{i}@school.org", g, r, c, m) for i, (g, r, c, m) in enumerate([
        ("Woman", "Native Hawaiian or Other Pacific Islander", "Agree", "Great, call me on 555-123-4567"),
        ("Man", "White", "Disagree", "ok"), ("Woman", "White", "Agree", "thanks"),
        ("Man", "Asian", "Strongly agree", "ok"), ("Woman", "Asian", "Neutral", "thanks")])]
    for name, rows in (("survey_pre.csv", rows_pre), ("survey_post.csv", rows_pre)):
        lines = [",".join(f'"{v}"' for v in row) for row in rows]
        (tmp_path / name).write_text(head + "\n".join(lines) + "\n")
    spec = tmp_path / "spec.yml"
    text = write_template([tmp_path / "survey_pre.csv", tmp_path / "survey_post.csv"], spec)
    raw = yaml.safe_load(text)
    assert raw["groups"] == ["What is your gender?", "Race or ethnicity"]
    assert any(line.startswith("# check") and "Any comments?" in line for line in text.splitlines())
    assert raw["id"] == "Email address" and raw["pseudonymize"] is True
    result = import_data(spec, tmp_path / "data")
    ids = result.tables["participants"]["participant_id"]
    assert not ids.str.contains("@").any() and len(ids) == 5
    assert "@" not in (tmp_path / "data" / "responses.csv").read_text()


def test_qualtrics_default_five_point_agreement_scale_is_scored_one_to_five():
    # trial 8 (F22): "Somewhat disagree ... Somewhat agree" matched the 7-point scale first: scored 1, 3, 4, 5, 7
    from evalkit.importer.template import guess_kind

    answers = pd.Series(["Strongly disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree",
                         "Strongly agree", "Somewhat agree"])
    guess = guess_kind(answers)
    assert guess["scale"] == [1, 5]
    assert guess["labels"] == {"Strongly disagree": 1, "Somewhat disagree": 2, "Neither agree nor disagree": 3,
                               "Somewhat agree": 4, "Strongly agree": 5}
    # answers with the plain "Agree" too are the 7-point scale
    assert guess_kind(pd.concat([answers, pd.Series(["Agree"])]))["scale"] == [1, 7]


def test_a_measure_label_from_one_waves_question_names_no_wave(tmp_path):
    # trial 8 (F12): SPSS variable labels "Confidence (pre)" and "Test score T1" became the measures' labels, so
    # every report named the pre-to-post change of "Confidence (pre)"
    import pyreadstat

    frame = pd.DataFrame({"pid": [f"{i:03d}" for i in range(1, 11)], "conf1": [1, 2, 3, 2, 1, 3, 2, 4, 3, 2],
                          "conf2": [3, 3, 4, 4, 2, 4, 3, 5, 4, 3], "score1": range(10), "score2": range(1, 11)})
    sav = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(sav), column_labels=["Participant", "Confidence (pre)", "Confidence (post)",
                                                           "Test score T1", "Test score T2"])
    spec = {"sources": [{"path": "survey.sav"}], "id": "pid", "partnership": {"id": "p1", "name": "P1"},
            "measures": {"confidence": {"kind": "ordinal", "higher_is_better": True, "scale": [1, 5],
                                        "waves": {"conf1": "pre", "conf2": "post"}},
                         "score": {"kind": "continuous", "higher_is_better": True,
                                   "waves": {"score1": "pre", "score2": "post"}}}}
    result = import_data(spec, tmp_path / "data", base_dir=tmp_path)
    assert result.tables["measures"]["label"].tolist() == ["Confidence", "Test score"]


def test_a_sheet_name_typo_names_the_sheets_the_workbook_has(tmp_path):
    # trial 8 (F25): "sheet: Postt" said "the file could not be read (...); expected an Excel workbook (.xlsx)"
    book = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(book) as writer:
        for wave in ("Pre", "Post"):
            pd.DataFrame({"id": ["a", "b"], "score": [1, 2]}).to_excel(writer, sheet_name=wave, index=False)
    spec = {"sources": [{"path": "survey.xlsx", "sheet": "Pre", "wave": "pre"},
                        {"path": "survey.xlsx", "sheet": "Postt", "wave": "post"}],
            "id": "id", "partnership": {"id": "p1", "name": "P1"},
            "measures": {"score": {"kind": "continuous", "higher_is_better": True, "column": "score"}}}
    with pytest.raises(ImportFailed) as err:
        import_data(spec, tmp_path / "data", base_dir=tmp_path)
    [v] = err.value.violations
    assert v.message == "the workbook has no sheet 'Postt'; its sheets: Pre, Post; did you mean 'Post'?"
    _nothing_written(tmp_path / "data")


def test_the_starter_spec_of_a_workbook_with_several_sheets_says_only_the_first_was_read(tmp_path):
    # trial 8 (F25): `evalkit import --template survey.xlsx` read the "Pre" sheet and said nothing of "Post"
    book = tmp_path / "survey.xlsx"
    with pd.ExcelWriter(book) as writer:
        for wave in ("Pre", "Post"):
            pd.DataFrame({"id": ["a", "b"], "score": [1, 2]}).to_excel(writer, sheet_name=wave, index=False)
    text = write_template(book, tmp_path / "spec.yml")
    assert ("# check: the workbook has 2 sheets (Pre, Post) and only the first was read; if they are waves, give "
            "one source per sheet (sheet: NAME, wave: WAVE)") in text
    yaml.safe_load(text)   # still a valid spec
