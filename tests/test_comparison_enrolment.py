"""A comparison group is not counted as the programme's enrolment (trial 9).

Greenway, with a comparison arm, showed 151 enrolled and retention 74% in its participation section, on page
one and in the portfolio overview, though 57 of the 151 were the comparison group and its own retention target
read 72% of the 94 program participants. Counts and rates of the programme now count its participants only
wherever the comparison arm is set apart (every count of it 0 or at least k, so it can be shown beside them);
the arm's own enrolment is said next to them. A comparison arm too small to set apart is counted with the
programme everywhere, and the participation section says so.

Data: MASS::anorexia (Venables & Ripley 2002; ``data/examples/anorexia_wide.csv``, 72 girls): 26 in the
control arm ("Cont", the comparison group) and 46 in the two therapy arms (29 CBT, 17 FT), every one weighed
before and after. Counts are taken from the CSV here, never from evalkit.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.portfolio import portfolio_overview
from evalkit.report import PartnershipReport

ROOT = Path(__file__).resolve().parents[1]
CSV = pd.read_csv(ROOT / "data" / "examples" / "anorexia_wide.csv")
N_PROGRAM, N_COMPARISON = int((CSV["Treat"] != "Cont").sum()), int((CSV["Treat"] == "Cont").sum())
SPEC = {"sources": [{"path": str(ROOT / "data" / "examples" / "anorexia_wide.csv")}], "id": "Participant",
        "partnership": {"id": "anorexia", "name": "Anorexia trial", "partner_type": "research"},
        "arm": {"column": "Treat", "program": ["CBT", "FT"], "comparison": ["Cont"]},
        "measures": {"weight": {"label": "Body weight (lb)", "kind": "continuous", "higher_is_better": True,
                                "waves": {"Prewt": "pre", "Postwt": "post"}}}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("anorexia") / "data"
    ek.import_data(SPEC, out)
    return out


@pytest.fixture(scope="module")
def report(folder) -> PartnershipReport:
    return PartnershipReport(ek.load_data(folder), "anorexia")


def test_the_data_are_the_published_trial():
    assert (N_PROGRAM, N_COMPARISON, len(CSV)) == (46, 26, 72)


def test_the_programmes_enrolment_and_retention_count_its_participants_only(report):
    r = report.retention
    assert (r["n_enrolled"], r["n_pre"], r["n_post"], r["n_both"]) == (N_PROGRAM,) * 4
    text = report.participation()
    assert f"Program participants enrolled: {N_PROGRAM}" in text
    assert "Enrolled: 72" not in text and "72" not in text
    assert f"comparison group: {N_COMPARISON} enrolled" in text   # said beside, not added in


def test_profile_page_one_and_the_index_card_count_the_programme(report):
    assert f"It enrolled {N_PROGRAM} program participants and {N_COMPARISON} in the comparison group." \
        in report.profile()
    assert f"enrolled {N_PROGRAM} program participants" in report._did()
    html = report.at_a_glance().data
    assert f">{N_PROGRAM}<" in html and "program participants enrolled" in html and ">72<" not in html
    assert "program participants answered both surveys" in html   # the completers tile counts them too (trial 10)


def test_the_portfolio_overview_counts_the_programme_as_the_report_does(folder):
    data = ek.load_data(folder)
    row = portfolio_overview(data).set_index("partnership_id").loc["anorexia"]
    assert row["n_enrolled"] == N_PROGRAM and row["retention_rate"] == 1.0


def test_a_comparison_arm_too_small_to_set_apart_is_counted_with_the_programme_and_said(folder, tmp_path):
    # 5 of the 26 controls kept (fewer than 10): the arm cannot be shown apart, so every count is of all arms
    small = tmp_path / "data"
    shutil.copytree(folder, small)
    people = pd.read_csv(small / "participants.csv", dtype=str)
    controls = people.loc[people["arm"] == "comparison", "participant_id"]
    dropped = set(controls.iloc[5:])
    people[~people["participant_id"].isin(dropped)].to_csv(small / "participants.csv", index=False)
    responses = pd.read_csv(small / "responses.csv", dtype=str)
    responses[~responses["participant_id"].isin(dropped)].to_csv(small / "responses.csv", index=False)
    data = ek.load_data(small)
    report = PartnershipReport(data, "anorexia")
    assert report.retention["n_enrolled"] == N_PROGRAM + 5
    text = report.participation()
    assert f"Enrolled: {N_PROGRAM + 5}" in text and "comparison group is too small to report apart" in text
    assert portfolio_overview(data).set_index("partnership_id").at["anorexia", "n_enrolled"] == N_PROGRAM + 5
