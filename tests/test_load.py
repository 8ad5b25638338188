"""Reading data folders as Excel and survey tools export them, into a typed Dataset."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from conftest import TINY
from evalkit.errors import DataValidationError, InputError
from evalkit.load import Dataset, load_data, normalise_header, read_table


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _write(folder, files: dict[str, str], encoding="utf-8"):
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode(encoding))
    return folder


# --- the plain tiny dataset, by hand -------------------------------------------------
def test_tiny_dataset_types_and_values(tiny_dataset):
    data = load_data(tiny_dataset)
    assert isinstance(data, Dataset)
    assert [len(getattr(data, t)) for t in ("partnerships", "participants", "measures", "responses",
                                            "attendance", "targets")] == [2, 5, 3, 12, 3, 2]
    r = data.responses
    assert r["value"].dtype == np.float64
    assert r["participant_id"].dtype == "str"
    # a3's post skills cell is blank: missing, not zero
    blank = r[(r.participant_id == "a3") & (r.wave == "post")]["value"]
    assert blank.isna().all() and len(blank) == 1
    assert r["value"].sum() == pytest.approx(2 + 4 + 3 + 3 + 1 + 10.5 + 14 + 0 + 1 + 4 + 5)
    p = data.partnerships
    assert p["start_date"].dtype == "datetime64[ns]"
    assert p.loc[0, "end_date"] == pd.Timestamp("2025-03-31")
    m = data.measures.set_index("measure")
    assert m["higher_is_better"].dtype == bool and m["shared"].dtype == bool
    assert m.loc["skills", "shared"] and not m.loc["knowledge", "shared"]  # "yes" / "no"
    assert not m["reverse_coded"].any()  # optional column absent -> default false
    assert m["scale"].isna().all()
    assert m.loc["knowledge", "scale_max"] == 20.0
    a = data.attendance
    assert a["attended"].dtype == bool and a["attended"].tolist() == [True, False, True]  # yes/no/TRUE
    assert a["date"].dtype == "datetime64[ns]"
    t = data.targets.set_index("indicator")
    assert t.loc["skills", "threshold"] == 4.0 and np.isnan(t.loc["attendance_rate", "threshold"])


def test_group_columns_and_waves(tiny_dataset):
    data = load_data(tiny_dataset)
    assert data.group_columns == ["gender", "low_income"]
    assert data.participants["low_income"].isna().sum() == 1  # missing group value allowed
    assert data.wave_order == ["pre", "post", "followup"]


def test_waves_put_pre_and_post_first(tmp_path):
    files = dict(TINY)
    body = TINY["responses.csv"].splitlines()
    followup_first = [body[0], "b2,beta,followup,skills,5", *[line for line in body[1:] if "followup" not in line]]
    post_first = [followup_first[0], followup_first[1], followup_first[3], followup_first[2], *followup_first[4:]]
    files["responses.csv"] = "\n".join(post_first) + "\n"
    assert load_data(_write(tmp_path / "d", files)).wave_order == ["pre", "post", "followup"]


def test_wave_names_are_lower_cased(tmp_path):
    files = dict(TINY)
    files["responses.csv"] = TINY["responses.csv"].replace(",pre,", ",Pre,").replace(",post,", ", POST ,")
    data = load_data(_write(tmp_path / "d", files))
    assert data.wave_order == ["pre", "post", "followup"]
    assert (data.responses["wave"] == "pre").sum() == 6


def test_optional_tables_absent_are_empty_with_columns(tmp_path):
    files = {k: v for k, v in TINY.items() if k not in ("attendance.csv", "targets.csv")}
    data = load_data(_write(tmp_path / "d", files))
    assert data.attendance.empty and list(data.attendance.columns) == [
        "participant_id", "partnership_id", "session", "date", "attended"]
    assert data.targets.empty and "threshold" in data.targets.columns
    assert set(data.sources) == {"partnerships", "participants", "measures", "responses"}
    assert "not recorded" in data._repr_html_()
    assert "attendance=0" in repr(data) and "responses=12" in repr(data)


def test_sources_record_hash_format_and_rows(tiny_dataset):
    data = load_data(tiny_dataset)
    src = data.sources["responses"]
    assert src.name == "responses.csv" and src.format == "csv" and src.n_rows == 12
    assert src.sha256 == hashlib.sha256((tiny_dataset / "responses.csv").read_bytes()).hexdigest()


# --- export quirks -----------------------------------------------------------------------
def test_bom_and_windows_line_endings(tmp_path, tiny_dataset):
    files = {name: "\ufeff" + text.replace("\n", "\r\n") for name, text in TINY.items()}
    quirky = load_data(_write(tmp_path / "d", files))
    plain = load_data(tiny_dataset)
    for table in ("partnerships", "participants", "measures", "responses", "attendance", "targets"):
        pd.testing.assert_frame_equal(getattr(quirky, table), getattr(plain, table))


def test_windows_1252_text(tmp_path):
    files = dict(TINY)
    files["partnerships.csv"] = TINY["partnerships.csv"].replace("Alpha Reading", "Café Société Reading")
    folder = _write(tmp_path / "d", files, encoding="cp1252")
    assert (folder / "partnerships.csv").read_bytes().count(b"\xe9") == 3  # really cp1252, not UTF-8
    assert load_data(folder).partnerships.loc[0, "name"] == "Café Société Reading"


def test_utf8_accents_still_read_as_utf8(tmp_path):
    files = dict(TINY)
    files["partnerships.csv"] = TINY["partnerships.csv"].replace("Alpha Reading", "Café Société")
    assert load_data(_write(tmp_path / "d", files)).partnerships.loc[0, "name"] == "Café Société"


def test_header_spaces_and_case_are_normalised(tmp_path, tiny_dataset):
    files = dict(TINY)
    files["responses.csv"] = TINY["responses.csv"].replace(
        "participant_id,partnership_id,wave,measure,value", " Participant ID ,Partnership_ID,WAVE,Measure , Value")
    files["partnerships.csv"] = TINY["partnerships.csv"].replace("partner_type", "Partner Type")
    data = load_data(_write(tmp_path / "d", files))
    pd.testing.assert_frame_equal(data.responses, load_data(tiny_dataset).responses)
    assert normalise_header("  Start   Date ") == "start_date"


def test_cells_with_spaces_and_upper_case_choices(tmp_path):
    files = dict(TINY)
    files["partnerships.csv"] = TINY["partnerships.csv"].replace(",nonprofit,", ", NonProfit ,")
    files["responses.csv"] = TINY["responses.csv"].replace("a1,alpha,pre,skills,2", " a1 ,alpha, pre ,skills, 2 ")
    data = load_data(_write(tmp_path / "d", files))
    assert data.partnerships.loc[0, "partner_type"] == "nonprofit"
    first = data.responses.iloc[0]
    assert (first["participant_id"], first["wave"], first["value"]) == ("a1", "pre", 2.0)


def test_extra_columns_kept_in_participants_and_partnerships_only(tmp_path):
    files = dict(TINY)
    files["participants.csv"] = TINY["participants.csv"].replace(
        "gender,low_income\n", "gender,low_income,Home Language\n").replace("woman,yes\n", "woman,yes,Spanish\n")
    files["responses.csv"] = "\n".join(
        line + (",note" if i == 0 else ",ok") for i, line in enumerate(TINY["responses.csv"].splitlines())) + "\n"
    files["partnerships.csv"] = "\n".join(
        line + (",region" if i == 0 else ",north") for i, line in enumerate(TINY["partnerships.csv"].splitlines()))
    data = load_data(_write(tmp_path / "d", files))
    assert "home_language" in data.group_columns
    assert data.participants.loc[0, "home_language"] == "Spanish"
    assert "note" not in data.responses.columns
    assert data.partnerships["region"].tolist() == ["north", "north"]


def test_empty_trailing_rows_and_blank_lines_ignored(tmp_path, tiny_dataset):
    files = dict(TINY)
    files["responses.csv"] = TINY["responses.csv"] + ",,,,\n,,,,\n\n"
    files["participants.csv"] = TINY["participants.csv"] + "\n\n"
    data = load_data(_write(tmp_path / "d", files))
    assert len(data.responses) == 12 and len(data.participants) == 5


def test_trailing_comma_columns_ignored(tmp_path):
    files = dict(TINY)
    files["measures.csv"] = "\n".join(line + ",," for line in TINY["measures.csv"].splitlines()) + "\n"
    assert list(read_table(_write(tmp_path / "d", files) / "measures.csv").columns) == [
        "measure", "label", "domain", "kind", "scale_min", "scale_max", "higher_is_better", "shared"]


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_excel_and_parquet_read_like_csv(tmp_path, tiny_dataset, fmt):
    folder = tmp_path / fmt
    folder.mkdir()
    for name in TINY:
        frame = pd.read_csv(tiny_dataset / name, dtype="str")
        stem = name.removesuffix(".csv")
        if fmt == "xlsx":
            frame.to_excel(folder / f"{stem}.xlsx", index=False)
        else:  # typed columns, as a pipeline would write them
            if stem == "responses":
                frame["value"] = pd.to_numeric(frame["value"])
            frame.to_parquet(folder / f"{stem}.parquet", index=False)
    data, plain = load_data(folder), load_data(tiny_dataset)
    for table in ("partnerships", "participants", "measures", "responses", "attendance", "targets"):
        pd.testing.assert_frame_equal(getattr(data, table), getattr(plain, table))
    assert data.sources["responses"].format == fmt


def test_excel_native_numbers_dates_and_bools(tmp_path, tiny_dataset):
    folder = _write(tmp_path / "d", TINY)
    (folder / "partnerships.csv").unlink()
    (folder / "attendance.csv").unlink()
    pd.DataFrame({"partnership_id": ["alpha", "beta"], "name": ["A", "B"], "partner_type": ["school", "business"],
                  "lead_institution": ["U", "V"],
                  "start_date": pd.to_datetime(["2025-01-06", "2025-02-03"]),
                  "end_date": pd.to_datetime(["2025-03-31", "2025-05-30"])}).to_excel(
        folder / "partnerships.xlsx", index=False)
    pd.DataFrame({"participant_id": ["a1"], "partnership_id": ["alpha"], "session": ["Week 1"],
                  "date": pd.to_datetime(["2025-01-06"]), "attended": [True]}).to_excel(
        folder / "attendance.xlsx", index=False)
    data = load_data(folder)
    assert data.partnerships["end_date"].tolist() == [pd.Timestamp("2025-03-31"), pd.Timestamp("2025-05-30")]
    assert data.attendance["attended"].tolist() == [True]


def test_input_files_are_not_modified(tmp_path):
    files = {name: "\ufeff" + text.replace("\n", "\r\n") for name, text in TINY.items()}
    folder = _write(tmp_path / "d", files)
    before = _hashes(folder)
    load_data(folder)
    load_data(folder, "beta")
    assert _hashes(folder) == before


# --- one partnership ---------------------------------------------------------------------
def test_for_partnership_filters_every_table(tiny_dataset):
    beta = load_data(tiny_dataset).for_partnership("beta")
    assert beta.partnership_ids == ["beta"]
    assert sorted(beta.participants["participant_id"]) == ["b1", "b2"]
    assert len(beta.responses) == 4 and len(beta.attendance) == 1 and len(beta.targets) == 1
    assert len(beta.measures) == 3  # measures are shared
    assert beta.responses.index.tolist() == [0, 1, 2, 3]


def test_for_partnership_unknown_id_lists_known(tiny_dataset):
    with pytest.raises(InputError, match=r"unknown partnership_id 'gamma'.*alpha, beta"):
        load_data(tiny_dataset).for_partnership("gamma")
    with pytest.raises(InputError, match=r"alpha, beta"):
        load_data(tiny_dataset, "gamma")


@pytest.mark.sample_wide
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_load_one_partnership_equals_filtering_all(tmp_path, sample_dir, fmt):
    if fmt == "csv":
        folder = sample_dir
    else:
        folder = tmp_path / "pq"
        folder.mkdir()
        for path in sample_dir.glob("*.csv"):
            read_table(path).to_parquet(folder / f"{path.stem}.parquet", index=False)
    pid = "harbor-health"
    one, everything = load_data(folder, pid), load_data(sample_dir).for_partnership(pid)
    for table in ("partnerships", "participants", "responses", "attendance", "targets"):
        pd.testing.assert_frame_equal(getattr(one, table), getattr(everything, table), check_dtype=False)
    assert one.partnership_ids == [pid]


def test_parquet_filter_reads_only_that_partnership(tmp_path, sample_dir):
    path = tmp_path / "responses.parquet"
    read_table(sample_dir / "responses.csv").to_parquet(path, index=False, row_group_size=500)
    rows = read_table(path, partnership_id="cafe-societe")
    assert set(rows["partnership_id"]) == {"cafe-societe"}
    assert len(rows) == (read_table(sample_dir / "responses.csv")["partnership_id"] == "cafe-societe").sum()


def test_invalid_data_raise_with_every_violation(tmp_path):
    files = dict(TINY)
    files["responses.csv"] = TINY["responses.csv"].replace("a1,alpha,pre,skills,2", "a1,alpha,pre,skills,9") \
        .replace("b2,beta,pre,skills,4", "b2,beta,pre,skills,x")
    with pytest.raises(DataValidationError) as info:
        load_data(_write(tmp_path / "d", files))
    assert [(v.file, v.row, v.column) for v in info.value.violations] == [
        ("responses.csv", 2, "value"), ("responses.csv", 12, "value")]
    assert "2 problems" in str(info.value)


def test_invalid_parquet_one_partnership_reports_file_rows(tmp_path, tiny_dataset):
    folder = tmp_path / "pq"
    folder.mkdir()
    for name in TINY:
        frame = read_table(tiny_dataset / name)
        if name == "responses.csv":
            frame.loc[10, "value"] = "7"  # row 12 in the file: b2, beta, pre, skills
        frame.to_parquet(folder / name.replace(".csv", ".parquet"), index=False)
    with pytest.raises(DataValidationError) as info:
        load_data(folder, "beta")
    assert [(v.file, v.row, v.column) for v in info.value.violations] == [("responses.parquet", 12, "value")]


def test_validate_false_skips_checks(tmp_path):
    files = dict(TINY)
    files["responses.csv"] = TINY["responses.csv"].replace("a1,alpha,pre,skills,2", "a1,alpha,pre,skills,oops")
    data = load_data(_write(tmp_path / "d", files), validate=False)
    assert np.isnan(data.responses.loc[0, "value"])


def test_missing_folder_raises_data_validation_error(tmp_path):
    with pytest.raises(DataValidationError, match="does not exist"):
        load_data(tmp_path / "nowhere")


def test_read_table_rejects_unknown_file_type(tmp_path):
    path = tmp_path / "responses.txt"
    path.write_text("a,b\n")
    with pytest.raises(InputError, match=r"unsupported file type.*\.csv"):
        read_table(path)


def _slice(data, partnership_id, folder):
    """One partnership's typed tables as Parquet files, as a batch run cuts them."""
    folder.mkdir()
    part = data.for_partnership(partnership_id)
    for table in data.sources:
        getattr(part, table).to_parquet(folder / f"{table}.parquet", index=False)
    return folder


def test_a_slice_is_trusted_only_through_an_explicit_provenance_record(tmp_path, sample_dir):
    """A slice cut from validated data reports the original files when its record is passed; a record lying
    in the folder is never discovered; once a slice file is edited it is validated again."""
    from evalkit.provenance import write_provenance

    data = load_data(sample_dir)
    folder = _slice(data, "riverside-literacy", tmp_path / "slice")
    record = write_provenance(folder, data.sources, target=tmp_path / "provenance.json")
    write_provenance(folder, data.sources)  # a record inside the folder too: load_data must ignore it

    found = load_data(folder, "riverside-literacy")  # not passed: the slice's own files
    assert found.sources["responses"].name == "responses.parquet"

    part = load_data(folder, "riverside-literacy", provenance=record)
    assert part.sources["responses"].name == "responses.csv"
    assert part.sources["responses"].sha256 == hashlib.sha256((sample_dir / "responses.csv").read_bytes()).hexdigest()
    assert part.sources["responses"].n_rows == len(part.responses) < len(data.responses)
    # tamper with the slice: the record no longer matches, so it is validated and the bad value found
    resp = pd.read_parquet(folder / "responses.parquet")
    resp.loc[0, "value"] = 99.0
    resp.to_parquet(folder / "responses.parquet", index=False)
    with pytest.raises(DataValidationError, match="outside the scale"):
        load_data(folder, "riverside-literacy", provenance=record)
    with pytest.raises(InputError, match="provenance record could not be read"):
        load_data(folder, "riverside-literacy", provenance=tmp_path / "missing.json")


def test_a_trusted_slice_skips_validation_an_untrusted_one_does_not(tmp_path, sample_dir):
    """Trust is what the record buys: a value the contract forbids, recorded as validated, is not re-checked."""
    from evalkit.provenance import write_provenance

    data = load_data(sample_dir)
    folder = _slice(data, "riverside-literacy", tmp_path / "slice")
    resp = pd.read_parquet(folder / "responses.parquet")
    resp.loc[0, "value"] = 99.0  # outside every scale
    resp.to_parquet(folder / "responses.parquet", index=False)
    record = write_provenance(folder, data.sources, target=tmp_path / "provenance.json")
    assert load_data(folder, "riverside-literacy", provenance=record).responses["value"].max() == 99.0
    with pytest.raises(DataValidationError, match="outside the scale"):
        load_data(folder, "riverside-literacy")


def test_partnership_slices_are_what_for_partnership_gives(sample_dir):
    """One pass over each table gives every partnership's Dataset, table by table the same as filtering."""
    data = load_data(sample_dir)
    slices = data.partnership_slices()
    assert list(slices) == data.partnership_ids
    for pid in ("riverside-literacy", "eastside-stem", "senior-digital"):
        one = data.for_partnership(pid)
        for name in ("partnerships", "participants", "responses", "attendance", "targets", "comments", "indicators"):
            pd.testing.assert_frame_equal(getattr(slices[pid], name), getattr(one, name))
    assert set(data.partnership_slices(["eastside-stem"])) == {"eastside-stem"}


@pytest.mark.sample_wide
def test_targets_of_all_partnerships_are_those_of_each_partnership(sample_dir):
    """progress_against_targets over every partnership reads each one's slice: the same rows as one at a time."""
    from evalkit.targets import progress_against_targets

    data = load_data(sample_dir)
    together = progress_against_targets(data)
    apart = pd.concat([progress_against_targets(data, pid) for pid in data.partnership_ids], ignore_index=True)
    key = ["partnership_id", "indicator", "statistic"]
    pd.testing.assert_frame_equal(together.sort_values(key).reset_index(drop=True),
                                  apart.sort_values(key).reset_index(drop=True))
    assert len(together) > 20 and together["verdict"].isin(["met", "not met", "inconclusive"]).sum() > 10
