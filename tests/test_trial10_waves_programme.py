"""Trial 10: the change-over-time section counts the program's answers per wave, as the participation section does.

HSAUR::BtheB (tests/stats/datasets/BtheB.csv; Beat the Blues, program, 52 patients, vs treatment as usual,
comparison, 48), built as tests/test_report_waves_arms.py builds it. After a9e2707 the participation section
reads "Program participants enrolled: 52; answered the pre survey: 52; the 2m survey: 52", but the change-over-
time section, whose tests and model use the program group, opened "Answers per wave: pre 100, 2m 97 (97%),
4m 73 (73%), 6m 58 (58%), 8m 52 (52%)": both arms, so the comparison group read as participants surveyed five
times. Counts here come from the CSV with pandas.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.report import PartnershipReport
from test_report_waves_arms import COLUMNS, _btheb_folder


@pytest.fixture(scope="module")
def csv():
    d = pd.read_csv(Path(__file__).parent / "stats" / "datasets" / "BtheB.csv")
    d["participant_id"] = [f"s{i:03d}" for i in d["rownames"]]
    return d


@pytest.fixture(scope="module")
def report(tmp_path_factory, csv):
    return PartnershipReport(ek.load_data(_btheb_folder(tmp_path_factory.mktemp("btheb10"), csv)), "btheb")


def test_answers_per_wave_are_the_program_groups(report, csv):
    program = csv[csv["treatment"] == "BtheB"]
    n = {COLUMNS[c]: int(program[c].notna().sum()) for c in COLUMNS}
    assert n == {"pre": 52, "2m": 52, "4m": 37, "6m": 29, "8m": 27}
    said = ", ".join([f"pre {n['pre']}"] + [f"{w} {n[w]} ({round(100 * n[w] / n['pre'])}%)"
                                            for w in ("2m", "4m", "6m", "8m")])
    intro = report.change_over_time().intro
    assert f"Answers per wave (in brackets, the share of pre respondents still answering): {said}." in intro
    everyone = int(csv["bdi.pre"].notna().sum())
    assert f"pre {everyone}" not in intro          # 100: the comparison group counted in
    table = report.change_over_time().retention
    assert table["Answered"].tolist() == [str(n[w]) for w in ("pre", "2m", "4m", "6m", "8m")]
