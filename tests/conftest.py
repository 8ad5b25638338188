"""Shared, generic fixtures. Keep test-specific fixtures in their own test files."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

TINY = {
    "partnerships.csv": (
        "partnership_id,name,partner_type,lead_institution,start_date,end_date\n"
        "alpha,Alpha Reading,nonprofit,North University,2025-01-06,2025-03-31\n"
        "beta,Beta Coding Club,school,South College,2025-02-03,2025-05-30\n"
    ),
    "participants.csv": (
        "participant_id,partnership_id,gender,low_income\n"
        "a1,alpha,woman,yes\n"
        "a2,alpha,man,no\n"
        "a3,alpha,woman,\n"
        "b1,beta,non-binary,yes\n"
        "b2,beta,man,no\n"
    ),
    "measures.csv": (
        "measure,label,domain,kind,scale_min,scale_max,higher_is_better,shared\n"
        "skills,Skills (1-5),skills,ordinal,1,5,true,yes\n"
        "knowledge,Knowledge score (0-20),knowledge,continuous,0,20,true,no\n"
        "volunteered,Volunteered last month,behaviour,binary,0,1,true,no\n"
    ),
    "responses.csv": (
        "participant_id,partnership_id,wave,measure,value\n"
        "a1,alpha,pre,skills,2\n"
        "a1,alpha,post,skills,4\n"
        "a2,alpha,pre,skills,3\n"
        "a2,alpha,post,skills,3\n"
        "a3,alpha,pre,skills,1\n"
        "a3,alpha,post,skills,\n"
        "a1,alpha,pre,knowledge,10.5\n"
        "a1,alpha,post,knowledge,14\n"
        "b1,beta,pre,volunteered,0\n"
        "b1,beta,post,volunteered,1\n"
        "b2,beta,pre,skills,4\n"
        "b2,beta,followup,skills,5\n"
    ),
    "attendance.csv": (
        "participant_id,partnership_id,session,date,attended\n"
        "a1,alpha,Week 1,2025-01-06,yes\n"
        "a2,alpha,Week 1,2025-01-06,no\n"
        "b1,beta,Week 1,2025-02-03,TRUE\n"
    ),
    "targets.csv": (
        "partnership_id,indicator,statistic,target,threshold,description\n"
        "alpha,skills,pct_at_least,80,4,at least 80% score 4 or more at post\n"
        "beta,attendance_rate,rate,75,,attend 75% of sessions\n"
    ),
}


@pytest.fixture
def sample_dir() -> Path:
    """The committed sample data folder (data/sample)."""
    return ROOT / "data" / "sample"


@pytest.fixture
def tiny_dataset(tmp_path) -> Path:
    """A small valid data folder (2 partnerships, 5 participants, 3 measures, every table) in tmp_path."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
