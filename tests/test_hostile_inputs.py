"""A corpus of hostile or broken inputs: each gets exit code 2 and a message naming file, row and column.

The corpus is built from the small sample of issue 7 (`evalkit sample --partnerships 5 --participants 30
--seed 1`) by one mutation per case; the count is printed at the end of the test run.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import evalkit as ek
from evalkit.cli import main


def _edit(table: str, old: str, new: str, count: int = 1):
    def mutate(folder: Path):
        path = folder / f"{table}.csv"
        text = path.read_text(encoding="utf-8")
        assert old in text, (table, old)
        path.write_text(text.replace(old, new, count), encoding="utf-8")
    return mutate


def _header(table: str, new_header: str):
    def mutate(folder: Path):
        path = folder / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text(new_header + "\n" + "".join(lines[1:]), encoding="utf-8")
    return mutate


def _remove(table: str):
    return lambda folder: (folder / f"{table}.csv").unlink()


def _empty(table: str):
    def mutate(folder: Path):
        path = folder / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return mutate


def _bytes(table: str, data: bytes):
    return lambda folder: (folder / f"{table}.csv").write_bytes(data)


def _twice(table: str):
    return lambda folder: shutil.copy(folder / f"{table}.csv", folder / f"{table}.parquet")


def _parquet_of_lists(folder: Path):
    """Finding 9: a Parquet `value` column holding lists (one nested value per cell)."""
    responses = pd.read_csv(folder / "responses.csv")
    responses["value"] = [[float(v)] for v in responses["value"]]
    (folder / "responses.csv").unlink()
    responses.to_parquet(folder / "responses.parquet")


pytestmark = pytest.mark.integration  # every case runs `evalkit validate` end to end

CORPUS = {}
for table in ("partnerships", "participants", "measures", "responses"):
    CORPUS[f"missing {table}"] = (_remove(table), f"{table}.csv", "is missing")
    CORPUS[f"empty {table}"] = (_empty(table), f"{table}.csv", "no data rows")
    CORPUS[f"{table} saved twice"] = (_twice(table), table, "saved twice")
    CORPUS[f"binary garbage {table}"] = (_bytes(table, b"\x00\x01\x02\xff" * 10), f"{table}.csv", "")
CORPUS.update({
    "duplicate header value,value": (_header("responses", "participant_id,partnership_id,wave,measure,value,value"),
                                     "responses.csv, row 1, column 'value'", "both named"),
    "duplicate header case": (_header("partnerships", "partnership_id,name,Name,partner_type,lead_institution,"
                                                      "start_date,end_date"), "partnerships.csv", "both named"),
    "NUL in a name": (_edit("partnerships", "Riverside", "River\x00side"), "partnerships.csv, row", "control character"),
    "bidi override in a name": (_edit("partnerships", "Riverside", "River\u202eside"), "partnerships.csv, row",
                                "bidirectional"),
    "bidi isolate in a label": (_edit("measures", "Knowledge", "Know\u2067ledge"), "measures.csv, row", "bidirectional"),
    "escape char in a group": (_edit("participants", ",woman,", ",wo\x1bman,"), "participants.csv, row", "control"),
    "bell in a session": (_edit("attendance", ",Session 1,", ",Sess\x07ion 1,"), "attendance.csv, row", "control"),
    "infinite scale_max": (_edit("measures", ",0,20,", ",0,inf,"), "measures.csv, row 3, column 'scale_max'",
                           "not a number"),
    "-infinite scale_min": (_edit("measures", ",0,20,", ",-inf,20,"), "measures.csv, row 3, column 'scale_min'",
                            "not a number"),
    "infinite value": (_edit("responses", ",pre,knowledge,", ",pre,knowledge,inf#"), "responses.csv", ""),
    "reserved id index": (_edit("partnerships", "riverside-literacy,", "index,"), "partnerships.csv, row",
                          "reserved"),
    "reserved id manifest": (_edit("partnerships", "riverside-literacy,", "manifest,"), "partnerships.csv, row",
                             "reserved"),
    "id starting with _": (_edit("partnerships", "riverside-literacy,", "_portfolio,"), "partnerships.csv, row",
                           "safe id"),
    "id starting with .": (_edit("partnerships", "riverside-literacy,", ".hidden,"), "partnerships.csv, row", "safe id"),
    "id with slash": (_edit("partnerships", "riverside-literacy,", "../etc,"), "partnerships.csv, row", "safe id"),
    "id with space": (_edit("partnerships", "riverside-literacy,", "river side,"), "partnerships.csv, row", "safe id"),
    "upper-case id": (_edit("partnerships", "riverside-literacy,", "Riverside,"), "partnerships.csv, row", "safe id"),
    "duplicate partnership": (_edit("partnerships", "riverside-literacy,", "eastside-stem,"), "partnerships.csv",
                              "more than once"),
    "unknown partner type": (_edit("partnerships", ",nonprofit,", ",charity,"), "partnerships.csv, row",
                             "partner_type"),
    "end before start": (_edit("partnerships", "2025-", "2030-"), "partnerships.csv, row", "end_date"),
    "bad date": (_edit("partnerships", "2025-", "2025-13-"), "partnerships.csv, row", "date"),
    "US date": (_edit("attendance", ",2025-", ",09/01/2025#"), "attendance.csv", ""),
    "unknown kind": (_edit("measures", ",continuous,", ",interval,"), "measures.csv, row", "kind"),
    "scale_min above max": (_edit("measures", ",0,20,", ",20,0,"), "measures.csv, row", "scale_min"),
    "binary scale 1-2": (_edit("measures", ",binary,0,1,", ",binary,1,2,"), "measures.csv, row", "binary"),
    "bad higher_is_better": (_edit("measures", ",True,", ",maybe,"), "measures.csv, row", "true/false"),
    "duplicate measure": (_edit("measures", "knowledge,", "confidence,"), "measures.csv", ""),
    "value out of scale": (_edit("responses", ",pre,knowledge,", ",pre,knowledge,99#"), "responses.csv", ""),
    "text value": (_edit("responses", ",pre,knowledge,", ",pre,knowledge,lots#"), "responses.csv", ""),
    "unknown measure": (_edit("responses", ",pre,knowledge,", ",pre,knowlege,"), "responses.csv, row", "measure"),
    "unknown partnership in responses": (_edit("responses", ",riverside-literacy,", ",riverside-literacyy,"),
                                         "responses.csv, row", "partnership"),
    "unregistered participant": (_edit("responses", "\n", "\nghost,riverside-literacy,pre,knowledge,3\n"),
                                 "responses.csv, row 2", "not registered"),
    "blank wave": (_edit("responses", ",pre,", ",,"), "responses.csv, row", "wave"),
    "duplicate answer": (_edit("responses", "\n", "\n", 1), "", ""),
    "duplicate participant": (_edit("participants", "\n", "\n", 1), "", ""),
    "unknown partnership in participants": (_edit("participants", ",riverside-literacy,", ",nowhere,"),
                                            "participants.csv, row", "partnership"),
    "bad attended flag": (_edit("attendance", ",True\n", ",perhaps\n"), "attendance.csv, row", "true/false"),
    "unknown statistic": (_edit("targets", ",mean_change,", ",median_change,"), "targets.csv, row", "statistic"),
    "percent target 150": (_edit("targets", ",pct_improved,", ",pct_improved,150#"), "targets.csv", ""),
    "target on unknown indicator": (_edit("targets", ",mean_change,", ",mean_change,", 1), "", ""),
    "semicolon CSV": (lambda f: (f / "measures.csv").write_text((f / "measures.csv").read_text().replace(",", ";")),
                      "measures.csv", ""),
    "Parquet value column of lists": (_parquet_of_lists, "responses.parquet, row 2, column 'value'",
                                      "one value per cell"),
    "attendance of an unregistered participant": (
        _edit("attendance", "\n", "\nghost-1,riverside-literacy,Session 1,2025-02-10,True\n", 1),
        "attendance.csv, row 2", "not registered"),
    "target on an unknown measure": (_edit("targets", ",skills,mean_change,", ",skils,mean_change,"),
                                     "targets.csv, row", "indicator"),
    "target of an unknown partnership": (_edit("targets", "riverside-literacy,skills,", "riverside-lit,skills,"),
                                         "targets.csv, row", "partnership"),
    "binary value 2": (_edit("responses", ",pre,volunteered,0", ",pre,volunteered,2"), "responses.csv, row",
                       "volunteered"),
    "blank participant id": (_edit("participants", "\nP001-0001,", "\n,"), "participants.csv, row 2",
                             "participant_id"),
    "measure id with a space": (_edit("measures", "\nskills,", "\nself skills,"), "measures.csv, row 2", "measure"),
    "vertical tab in a label": (_edit("measures", "Knowledge", "Know\x0bledge"), "measures.csv, row",
                                "control character"),
    "folder is a file": (None, "", ""),
})

# cases that need their own check of the message (or where the mutation alone is not an error) are dropped
CORPUS = {k: v for k, v in CORPUS.items() if v[0] is not None and v[1]}
_RESULTS = []


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "base"
    ek.write_sample(folder, partnerships=5, participants=30, seed=1)
    return folder


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_hostile_input_is_one_clear_error(case, base, tmp_path):
    mutate, where, what = CORPUS[case]
    folder = tmp_path / "d"
    shutil.copytree(base, folder)
    mutate(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    res = CliRunner().invoke(main, ["validate", str(folder)])
    assert res.exit_code == 2, (case, res.output[-500:])
    assert "Traceback" not in res.output
    assert where in res.output and what in res.output, (case, res.output[-800:])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # input files never modified
    _RESULTS.append(case)


def test_utf16_file_with_bom_is_read(base, tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(base, folder)
    text = (folder / "partnerships.csv").read_text(encoding="utf-8")
    (folder / "partnerships.csv").write_bytes(text.encode("utf-16"))
    res = CliRunner().invoke(main, ["validate", str(folder)])
    assert res.exit_code == 0, res.output


def test_corpus_size_is_printed(capsys):
    with capsys.disabled():
        print(f"\nhostile-input corpus: {len(CORPUS)} cases (+ UTF-16 read, + the run faults of test_run_safety.py)")
    assert len(CORPUS) >= 60
