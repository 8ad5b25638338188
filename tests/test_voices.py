"""Participants' voices: redaction (a scrubbing corpus), identifying columns, theme counts by hand, quotes, stories."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

import evalkit as ek
from evalkit import schema
from evalkit.load import Dataset
from evalkit.narrate import md_escape
from evalkit.voices import NO_THEME, PROTECTS, WITHHELD, quotes, redact, scrub_tables, success_stories, theme_codes, themes

ROSTER = pd.DataFrame({
    "participant_id": ["RL-0042", "RL-0043", "77311"],
    "partnership_id": ["p"] * 3,
    "name": ["Jordan Rivera", "Mei-Ling O'Brien", "Sam Okafor"],
    "email": ["jrivera@example.org", "mei@example.com", "sam.okafor@mail.test"],
    "gender": ["woman", "woman", "man"],
})

# (text, the secret that must vanish). Formats from ITU-T E.123, Ofcom's drama numbers (UK), NANP 555-01xx (US).
CORPUS = [
    ("Email me at jordan.lee@example.org please", "jordan.lee@example.org"),
    ("JORDAN.LEE+evalkit@Example.Co.UK wrote this", "JORDAN.LEE+evalkit@Example.Co.UK"),
    ("reach me: jo (at) mail (dot) com", "mail (dot) com"),
    ("call (555) 014-2368 tonight", "014-2368"),
    ("call 555-014-2368", "555-014-2368"),
    ("call 555.014.2368", "555.014.2368"),
    ("call 555 014 2368", "555 014 2368"),
    ("call +1 555 014 2368", "555 014 2368"),
    ("call 1-555-014-2368", "555-014-2368"),
    ("+1 (555) 014-2368 ext. 12", "014-2368"),
    ("call 5550142368 any time", "5550142368"),
    ("my local number is 555-0142", "555-0142"),
    ("UK landline 020 7946 0958", "7946 0958"),
    ("UK mobile 07700 900123", "900123"),
    ("+44 20 7946 0958", "7946 0958"),
    ("+44 (0)20 7946 0958", "7946 0958"),
    ("0044 7700 900123", "900123"),
    ("France +33 1 23 45 67 89", "45 67 89"),
    ("Berlin +49 30 1234567", "1234567"),
    ("India +91 98765 43210", "98765 43210"),
    ("tel:+15550142368", "5550142368"),
    ("I live at 42 Elm Street, Apt 3B", "42 Elm Street"),
    ("Come to 123 N. Main St. on Friday", "123 N. Main St"),
    ("10 Downing Street, London SW1A 2AA", "SW1A 2AA"),
    ("Write to PO Box 1234", "Box 1234"),
    ("see https://example.org/x?y=1", "example.org"),
    ("visit www.riverside-family.org", "riverside-family"),
    ("my blog example.net/me", "example.net"),
    ("Thanks Jordan Rivera for everything", "Jordan"),
    ("thanks jordan and rivera!", "rivera"),
    ("Mei-Ling O'Brien was my mentor", "O'Brien"),
    ("Ask Sam, he knows", "Sam"),
    ("I am RL-0042 by the way", "RL-0042"),
    ("rl-0043 here.", "rl-0043"),
    ("my number at the centre is 77311", "77311"),
    ("his email is jrivera@example.org", "jrivera"),
    ("Okafor's group was great", "Okafor"),
]
# Text that must survive unchanged.
KEEP = ["Session on 2025-09-01 was great", "we were 300 participants in 2024", "I went 3 times a week for 12 weeks",
        "The programme ran 2019-2020", "My score went from 12 to 18 out of 20", "I feel more confident now.",
        "I came 5 weeks in a row", "I had 2 dogs to walk", "We were 4 people, so close"]


def _roster() -> Dataset:
    empty = {t: schema.empty_table(t) for t in schema.TABLES}
    return Dataset(data_dir=".", **(empty | {"participants": ROSTER}))


def test_the_corpus_has_at_least_thirty_strings():
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("text,secret", CORPUS)
def test_redact_removes_every_secret_of_the_corpus(text, secret):
    out = redact(text, _roster())
    assert secret.lower() not in out.lower()
    assert "[" in out  # replaced by a placeholder, not silently dropped


@pytest.mark.parametrize("text", KEEP)
def test_redact_keeps_ordinary_text(text):
    assert redact(text, _roster()) == text


def test_redact_placeholders_and_merging():
    assert redact("Thanks Jordan Rivera (RL-0042), call 555-014-2368.", _roster()) == \
        "Thanks [name] ([id]), call [phone]."
    assert redact(None) == "" and redact(float("nan")) == ""


def test_identifying_columns_are_not_group_columns():
    data = _roster()
    assert data.group_columns == ["gender"]
    assert data.identifying_columns == ["name", "email"]
    assert {"name", "first_name", "last_name", "email"} <= set(schema.IDENTIFYING_COLUMNS)


def test_loading_scrubs_text_and_drops_identifying_columns(tmp_path, sample_dir):
    """A name column in participants: used to scrub comments, then dropped; nothing of it is left in the Dataset."""
    import shutil

    for f in sample_dir.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    people = pd.read_csv(tmp_path / "participants.csv", dtype=str, keep_default_na=False)
    people["first_name"] = "Zebulon"
    people.loc[people.index[0], "first_name"] = "Quintessa"
    people.to_csv(tmp_path / "participants.csv", index=False)
    comments = pd.read_csv(tmp_path / "comments.csv", dtype=str, keep_default_na=False)
    first = people["participant_id"].iloc[0]
    comments.loc[0, "text"] = "Quintessa here, write to q@ex.org"
    comments.loc[0, ["participant_id", "partnership_id"]] = [first, people["partnership_id"].iloc[0]]
    comments.to_csv(tmp_path / "comments.csv", index=False)
    data = ek.load_data(tmp_path)
    assert "first_name" not in data.participants.columns
    assert "first_name" not in data.group_columns
    assert data.comments.loc[0, "text"] == "[name] here, write to [email]"
    assert not data.comments["text"].str.contains("Quintessa|Zebulon", case=False).any()


def test_scrub_tables_empties_stories_without_consent():
    stories = pd.DataFrame({"partnership_id": ["p", "p"], "title": ["Shown", "Private"], "text": ["a", "b"],
                            "told_by": ["parent", "Jordan"], "consent": [True, False]})
    out = scrub_tables({"participants": ROSTER, "stories": stories})["stories"]
    assert out["text"].tolist() == ["a", WITHHELD]
    assert out.loc[1, "title"] == WITHHELD and out.loc[1, "told_by"] == WITHHELD



def test_scrubbing_prepares_the_roster_once_not_once_per_text(monkeypatch):
    # The roster (ids and names) is prepared once per table load: with 3,000 people and 2,000 comments,
    # the per-entry work must not be repeated for every text (it made loading the sample take seconds).
    import evalkit.voices as voices

    calls = []
    real = voices._single_token
    monkeypatch.setattr(voices, "_single_token", lambda v: calls.append(v) or real(v))
    people = pd.DataFrame({"participant_id": [f"P-{i:04d}" for i in range(3000)], "partnership_id": "p",
                           "name": [f"Given{i} Family{i}" for i in range(3000)]})
    comments = pd.DataFrame({"text": [f"Thanks Given{i % 3000} Family{i % 3000} (P-{i % 3000:04d})" for i in range(2000)],
                             "question": "?"})
    out = scrub_tables({"participants": people, "comments": comments})["comments"]
    assert (out["text"] == "Thanks [name] ([id])").all()
    roster_entries = 3000 + 3000 * 3  # ids; names with each of their words
    assert len(calls) <= roster_entries, len(calls)

# ---- themes counted by hand -----------------------------------------------------------------------------

def _comment_data(rows, themes_table=None, n_people=40) -> Dataset:
    people = pd.DataFrame({"participant_id": [f"x{i}" for i in range(n_people)], "partnership_id": "p",
                           "age_group": ["18-24"] * 20 + ["25-44"] * (n_people - 20)})
    comments = pd.DataFrame(rows, columns=["participant_id", "text", "theme", "featured"]).assign(
        partnership_id="p", wave="post", question="?")
    empty = {t: schema.empty_table(t) for t in schema.TABLES}
    tables = empty | {"participants": people,
                      "partnerships": pd.DataFrame({"partnership_id": ["p"], "name": ["P"], "partner_type": ["school"]}),
                      "comments": schema.coerce_table("comments", comments)}
    if themes_table is not None:
        tables["themes"] = schema.coerce_table("themes", themes_table)
    return Dataset(data_dir=".", **tables)


def test_theme_counts_people_not_comments_and_suppress_by_hand():
    # 15 people mention "a" (one of them twice), 12 "b", 3 "c": 30 commenters, all coded by the analyst.
    rows = [(f"x{i}", f"a {i}", "a", False) for i in range(15)] + [("x0", "a again", "a", False)]
    rows += [(f"x{i}", f"b {i}", "b", False) for i in range(15, 27)]
    rows += [(f"x{i}", f"c {i}", "c", False) for i in range(27, 30)]
    t = themes(_comment_data(rows), "p", min_group_size=10).set_index("theme")
    assert t.loc["a", "coding"] == "analyst"
    assert t["n_commenters"].iloc[0] == 30
    assert t.loc["a", "n_people"] == 15 and t.loc["a", "share"] == pytest.approx(15 / 30)
    # c: 3 < 10; 30 - 15 - 12 = 3 would give it back, so b (the smallest shown) is blanked too; both read alike
    # (trial 8: "fewer than 10" for c beside "not shown" for b told a reader b held 10 or more, and so c at most 5)
    assert pd.isna(t.loc["c", "n_people"]) and t.loc["c", "note"] == PROTECTS
    assert pd.isna(t.loc["b", "n_people"]) and t.loc["b", "note"] == PROTECTS and pd.isna(t.loc["b", "share"])
    assert NO_THEME not in t.index  # everyone mentioned a theme


def test_keyword_coding_uses_the_codebook_with_stems_and_phrases():
    book = pd.DataFrame({"theme": ["mentoring", "confidence"], "description": ["", ""],
                         "keywords": ["mentor*; tutor", "believe in myself; confident"]})
    rows = [("x0", "My MENTORING sessions", None, False), ("x1", "the tutors", None, False),
            ("x2", "I now believe   in myself", None, False), ("x3", "a tutor and I feel confident", None, False),
            ("x4", "nothing", None, False)]
    codes, how = theme_codes(_comment_data(rows, book), "p")
    assert how == "keywords"
    got = sorted(zip(codes["participant_id"], codes["theme"]))
    # "tutors" is not the whole word "tutor" (no *), so x1 mentions nothing
    assert got == [("x0", "mentoring"), ("x2", "confidence"), ("x3", "confidence"), ("x3", "mentoring")]


def test_quotes_featured_first_deterministic_scrubbed_and_only_for_big_themes():
    rows = [(f"x{i}", f"Comment number {i} about a", "a", i == 7) for i in range(12)]
    rows[3] = ("x3", "Great tutors. Call me on 555-014-2368, I am x3", "a", False)
    rows += [(f"x{i}", f"small theme {i}", "b", True) for i in range(12, 15)]
    rows += [(f"x{i}", f"another theme {i}", "c", True) for i in range(15, 26)]
    data = _comment_data(rows)
    q = quotes(data, "p", per_theme=3, min_group_size=10)
    # b: 3 people, never quoted; c (11) is blanked so that b cannot be worked out, and is not quoted either
    assert set(q["theme"]) == {"a"}
    assert q["featured"].tolist() == [True, False, False]
    assert q["quote"].iloc[0] == "Comment number 7 about a"
    assert q.equals(quotes(data, "p", per_theme=3, min_group_size=10))
    everything = quotes(data, "p", per_theme=12, min_group_size=10)
    # scrubbed, and the sentence that held the contact details left out (trial 11)
    assert "Great tutors. [\u2026]" in set(everything["quote"])
    assert not everything["quote"].str.contains("555|x3|Call me").any()


def test_quotes_attributed_to_a_group_only_when_it_holds_k_people():
    rows = [(f"x{i}", f"text {i}", "a", False) for i in range(25)]  # x0-x19 are 18-24 (20), x20-x24 25-44 (5)
    q = quotes(_comment_data(rows), "p", per_theme=25, min_group_size=10, attribute_by="age_group")
    young = q["attribution"].str.contains("age group: 18-24")
    assert young.sum() == 20
    assert not q["attribution"].str.contains("25-44").any()


def test_stories_with_consent_shown_scrubbed_and_escaped_others_counted():
    data = replace(_roster(), stories=schema.coerce_table("stories", pd.DataFrame({
        "partnership_id": ["p", "p"], "date": ["2025-01-02", "2025-01-01"], "title": ["<b>Win</b>", "Private"],
        "text": ["Jordan got a job! Call 555-014-2368", "secret"], "told_by": ["parent", "x"],
        "consent": ["yes", "no"]})))
    s = success_stories(data, "p")
    assert s["shown"].tolist() == [False, True]  # in date order
    assert s.loc[1, "text"] == "[name] got a job! Call [phone]"
    assert s.loc[0, ["title", "text", "told_by"]].isna().all()
    assert md_escape(s.loc[1, "title"]) == "&lt;b&gt;Win&lt;/b&gt;"


@pytest.mark.sample_wide
@pytest.mark.parametrize("coded", ["analyst", "keywords"])
def test_the_pooled_check_reads_each_partnership_as_its_own_report_shows_it(sample_dir, coded):
    # Pooled theme counts are blanked when, less what the partnerships' reports show, they would give a blank
    # back; that check makes each report's table from codes made once for all comments (_code_each), so it must be
    # the table that report shows (themes for the partnership, coded on its own), blanks included.
    from evalkit.voices import _code_each, _comments_of, _theme_table

    data = ek.load_data(sample_dir)
    if coded == "keywords":
        data = replace(data, comments=data.comments.assign(theme=data.comments["theme"].where(data.comments["theme"].isna())))
    each = _code_each(_comments_of(data, None), data)
    blanks = 0
    for k in (3, 10, 20):
        for pid, (comments, codes, how) in each.items():
            own = themes(data, pid, min_group_size=k)
            want = {t: None if pd.isna(n) else int(n) for t, n in zip(own["theme"], own["n_people"])}
            made = _theme_table(data, comments, codes, how, pid, k, None)
            got = {t: None if pd.isna(n) else int(n) for t, n in zip(made["theme"], made["n_people"])}
            assert list(got) == list(want) and got == want
            blanks += sum(n is None for n in want.values())
    assert blanks   # suppression was at work
