"""The Data files table does not give a withheld count away (trial 12 F1, privacy).

Café Société withholds how many answered the post survey ("fewer than 10"), but its Data files table said
"responses.csv 240": with the questions each survey asked (named in the report: 9 items at pre, 10 at post, 2 at
the follow-up) and 20 at pre, 240 - 180 = 60 = 10 x post + 2 x follow-up gives post = 5 and follow-up = 5, the
data's true counts. A file whose rows are participants or their answers now shows no row count.
"""
from __future__ import annotations

import re

import pandas as pd

import evalkit as ek
from conftest import ROOT


def _rows(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\| (\S+\.csv) \| ([^|]+) \|", text, flags=re.M))


def test_cafe_societe_shows_no_row_count_of_its_participants_answers(sample_data):
    responses = pd.read_csv(ROOT / "data" / "sample" / "responses.csv")
    cafe = responses[responses["partnership_id"] == "cafe-societe"]
    assert len(cafe) == 240 and cafe.loc[cafe["wave"] == "post", "participant_id"].nunique() == 5  # the leak's data
    text = ek.PartnershipReport(sample_data, "cafe-societe").methods()
    rows = _rows(text)
    for name in ("participants.csv", "responses.csv", "attendance.csv", "comments.csv", "stories.csv",
                 "partner_survey.csv"):
        if name in rows:
            assert rows[name].strip() == "not shown", (name, rows[name])
    assert rows["responses.csv"].strip() == "not shown"
    assert rows["partnerships.csv"].strip() == "12"      # a table of partnerships, not of people: counted
    assert rows["measures.csv"].strip() == "11"
    assert re.search(r"\*\*Data files\.\*\* Produced by evalkit \S+ on [^.]+ from these files\. Row counts of "
                     r"files whose rows are participants or their answers are not shown: with the number of questions "
                     r"each survey asked, they would give counts this report withholds\.\n", text)
    # nothing after the table, so print never leaves "Produced by ..." alone on a last page (trial 12:
    # first-gen-mentors p13 held that line only)
    assert text.rstrip().splitlines()[-1].startswith("| ")
