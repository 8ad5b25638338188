"""A journalist with every file a run writes: what can they learn about one person?

Each test is one attack that worked against an earlier evalkit, on small synthetic data: the
derivation is spelled out, and the test fails if it can be carried out again.
"""
from __future__ import annotations

import json
import re
import logging
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from builders import measure, three_sessions, write_tables

# ---- a failed report: its error, traceback and log say what failed, not the data -------------------------

SECRET_IDS = ["QX7731-ZED", "QX7732-YAK", "QX7733-WEN"]


@pytest.mark.integration
def test_a_failed_report_publishes_no_participant_id_or_local_path(tmp_path, caplog):
    """A template cell fails on a participant id (pandas quotes it in its message) after a warning naming
    the slice folder: manifest.json, index.html, the .failed.ipynb (evalue, traceback, stderr) and the log
    line used to carry 'QX7731-ZED', the slice folder under the cache and site-packages paths."""
    from evalkit.batch import run_batch

    ids = SECRET_IDS * 4
    people = [f"{p}{i}" if i else p for i, p in enumerate(ids)][:12]
    people[0] = SECRET_IDS[0]
    responses = pd.concat([pd.DataFrame({"participant_id": people, "partnership_id": "p1", "wave": w,
                                         "measure": "skills", "value": [3 + (w == "post")] * 12})
                           for w in ("pre", "post")])
    data = write_tables(tmp_path / "data", responses, [measure("skills", lo=1, hi=5)])
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [
        nbformat.v4.new_code_cell('partnership_id = "x"\ndata_dir = "."', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import warnings\nimport pandas as pd\nimport evalkit as ek\n"
                                  "data = ek.load_data(data_dir, partnership_id)\n"
                                  "warnings.warn(f'read {data_dir}')\n"
                                  "ids = data.participants.sort_values('participant_id')['participant_id']\n"
                                  "pd.to_numeric(ids)"),
    ]
    template = tmp_path / "fails.ipynb"
    nbformat.write(nb, template)
    out, cache = tmp_path / "out", tmp_path / "cache"
    with caplog.at_level(logging.INFO, logger="evalkit.batch"):
        result = run_batch(data, out, template=template, workers=1, progress=False, cache_dir=cache, portfolio=False)
    assert result.failed == ["p1"]
    failed = out / "p1.failed.ipynb"
    assert failed.is_file()
    texts = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()}
    texts["log"] = "\n".join(r.getMessage() for r in caplog.records)
    for name, text in texts.items():
        for secret in [*SECRET_IDS, str(cache), str(tmp_path), "site-packages", str(Path.home())]:
            assert secret not in text, (name, secret)
    # ... and still says what failed, and where
    manifest = json.loads(texts["manifest.json"])
    error = manifest["partnerships"]["p1"]["error"]
    assert error["ename"] == "ValueError" and error["cell_index"] == 2
    assert "Unable to parse string" in error["evalue"] and "[id]" in error["evalue"]
    outputs = [o for c in nbformat.read(failed, as_version=4).cells for o in c.get("outputs", [])]
    tb = "\n".join(line for o in outputs if o.output_type == "error" for line in o.traceback)
    assert "pd.to_numeric(ids)" in tb and "ValueError" in tb and "pandas/core/tools/numeric.py" in tb
    assert "\x1b[" not in tb


# ---- a target's post mean against the outcomes table's --------------------------------------------------

def _twenty_pairs_and_one_late_joiner(tmp_path):
    """20 participants answer a 0-20 test before and after (post scores 15 and 17: mean 16.00); one more
    answers only after, and scores 2. Targets: mean post >= 12, and 80% at 14 or more."""
    import evalkit as ek

    pre, post = [10.0] * 20 + [None], [15.0, 17.0] * 10 + [2.0]
    resp = pd.concat([pd.DataFrame({"participant_id": [f"s{i}" for i in range(21)], "partnership_id": "p",
                                    "wave": w, "measure": "test", "value": v})
                      for w, v in (("pre", pre), ("post", post))])
    resp = resp.dropna(subset=["value"])
    targets = pd.DataFrame({"partnership_id": "p", "indicator": "test", "statistic": ["mean_post", "pct_at_least"],
                            "target": [12, 80], "threshold": [None, 14]})
    folder = write_tables(tmp_path / "d", resp, [measure("test", lo=0, hi=20)], targets=targets)
    return ek.load_data(folder)


def test_a_target_on_post_answers_does_not_give_away_those_who_answered_only_after(tmp_path):
    """The outcomes table shows the post mean of the 20 matched participants (16.00, n pairs 20); the targets
    table showed the mean of all 21 post answers (15.33, n 21): 21 x 15.33 - 20 x 16.00 = 2, the score of the one
    person who answered only after. Likewise 20 of 21 at 14 or more (95%) against the matched 20 of 20."""
    import evalkit as ek

    data = _twenty_pairs_and_one_late_joiner(tmp_path)
    outcomes = ek.compare_prepost(data, "p", min_group_size=10).set_index("measure")
    assert (outcomes.loc["test", "n_pairs"], outcomes.loc["test", "mean_post"]) == (20, 16.0)
    t = ek.progress_against_targets(data, "p", min_group_size=10).set_index("statistic")
    for stat in ("mean_post", "pct_at_least"):
        left_out = int(t.loc[stat, "n"]) - 20   # people in the target's statistic but not in the outcomes table
        assert left_out == 0 or left_out >= 10, (stat, t.loc[stat, "n"])
    # measured on the matched 20 (by hand: mean of ten 15s and ten 17s; all 20 at 14 or more)
    assert t.loc["mean_post", "estimate"] == pytest.approx(16.0)
    assert t.loc["pct_at_least", "estimate"] == pytest.approx(100.0)
    assert "answered only" in t.loc["mean_post", "note"]


# ---- who was served: the participants whose value is not recorded ---------------------------------------

def _served(counts: dict, shares: dict):
    from evalkit import schema
    from evalkit.load import Dataset

    values = [g for g, n in counts.items() for _ in range(n)]
    people = pd.DataFrame({"participant_id": [f"x{i}" for i in range(len(values))], "partnership_id": "p",
                           "gender": values})
    community = pd.DataFrame({"partnership_id": "p", "characteristic": "gender", "group": list(shares),
                              "share": [str(v) for v in shares.values()]})
    tables = {t: schema.empty_table(t) for t in schema.TABLES}
    tables["partnerships"] = schema.coerce_table("partnerships", pd.DataFrame({
        "partnership_id": ["p"], "name": ["P"], "partner_type": ["school"]}))
    tables["community"] = schema.coerce_table("community", community)
    return Dataset(data_dir=".", **(tables | {"participants": people}))


def test_who_was_served_does_not_give_away_how_many_did_not_record_the_characteristic():
    """100 enrolled (the report's first figure); gender: woman 55, man 33, non-binary 9, 3 not recorded (the
    results-by-group table says 'fewer than 10' for the last two). The representation table, listing woman and
    man, showed 55 of 97 (56.7%, ratio 1.13 and its interval): the denominator 97, and 100 - 97 = 3."""
    from evalkit.community import representation_gap

    enrolled = 100
    g = representation_gap(_served({"woman": 55, "man": 33, "non-binary": 9, None: 3}, {"woman": 0.5, "man": 0.5}),
                           "p", min_group_size=10).set_index("group")
    shown = g[~g["suppressed"]]
    assert len(shown)  # the section still says something
    # by subtraction: the blanked groups and the people not recorded together hold 0 or at least k
    assert enrolled - shown["n_participants"].sum() == 0 or enrolled - shown["n_participants"].sum() >= 10
    # from a share: the denominator it implies leaves 0 or at least k people out of the enrolled
    for _, r in shown.iterrows():
        denominator = round(r["n_participants"] / r["participant_share"])
        assert enrolled - denominator == 0 or enrolled - denominator >= 10, denominator
    # by hand: woman is 55 of all 100 enrolled, man 33 (non-binary and not recorded, 12, are blanked together)
    assert g.loc["woman", "participant_share"] == pytest.approx(0.55) and g.loc["man", "n_participants"] == 33
    assert "not recorded" in g.loc["woman", "note"]
    # 12 not recorded can be shown: shares are then of the 88 with a known value, as before
    g = representation_gap(_served({"woman": 46, "man": 42, None: 12}, {"woman": 0.5, "man": 0.5}), "p",
                           min_group_size=10).set_index("group")
    assert not g["suppressed"].any() and g.loc["woman", "participant_share"] == pytest.approx(46 / 88)


# ---- the portfolio's pooled themes against each report's ------------------------------------------------

def _commented(themes_by_partnership: dict):
    from evalkit import schema
    from evalkit.load import Dataset

    rows = [(f"{pid}-{theme}-{i}", pid, theme) for pid, counts in themes_by_partnership.items()
            for theme, n in counts.items() for i in range(n)]
    comments = pd.DataFrame({"participant_id": [r[0] for r in rows], "partnership_id": [r[1] for r in rows],
                             "wave": "post", "question": "", "text": "A comment.", "theme": [r[2] for r in rows]})
    tables = {t: schema.empty_table(t) for t in schema.TABLES}
    tables["partnerships"] = schema.coerce_table("partnerships", pd.DataFrame({
        "partnership_id": list(themes_by_partnership), "name": list(themes_by_partnership), "partner_type": "school"}))
    tables["comments"] = schema.coerce_table("comments", comments)
    return Dataset(data_dir=".", **tables)


def test_pooled_theme_counts_do_not_give_away_a_count_a_report_withholds():
    """Report a shows 'confidence' mentioned by 12 people, report b by 11, report c 'fewer than 10' (2). The
    portfolio pooled 25: 25 - 12 - 11 = 2 people in c. (Seen in the sample: 53 - 39 - 12 = 2 for Civic Coders.)"""
    from evalkit.voices import themes

    data = _commented({"a": {"confidence": 12, "belonging": 15}, "b": {"confidence": 11, "belonging": 12},
                       "c": {"confidence": 2, "belonging": 14, "mentoring": 11}})
    shown = {pid: themes(data, pid, min_group_size=10).set_index("theme")["n_people"] for pid in "abc"}
    assert pd.isna(shown["c"]["confidence"])        # c's report withholds its 2 (and so its 11 mentoring)
    pooled = themes(data, None, min_group_size=10).set_index("theme")
    for theme, n in pooled["n_people"].items():
        if pd.isna(n):
            continue
        withheld = [pid for pid in "abc" if theme in shown[pid].index and pd.isna(shown[pid][theme])]
        rest = n - sum(shown[pid].get(theme, 0) for pid in "abc" if pid not in withheld)
        # what the pooled count adds to the reports: nothing, or a sum of k or more over two or more reports
        assert rest == 0 or (rest >= 10 and len(withheld) >= 2), (theme, n, rest, withheld)
    assert pd.isna(pooled.loc["confidence", "n_people"]) and pooled.loc["belonging", "n_people"] == 41


# ---- the portfolio's shared indicators against each report's totals ------------------------------------

def test_portfolio_total_of_people_does_not_undo_a_blank_that_a_report_shows():
    """Families reached: a 5 (withheld everywhere), b 30, c 50. The portfolio blanked b's 30 too (else 85 - 30
    - 50 = 5) and showed 'All partnerships 85 families', but b's own report shows its 30: 85 - 30 - 50 = 5."""
    from evalkit import schema
    from evalkit.health_report import PortfolioHealth
    from evalkit.indicators import indicator_progress
    from evalkit.load import Dataset

    ind = pd.DataFrame({"partnership_id": list("abc"), "period": "2025-06-30", "indicator": "families",
                        "value": ["5", "30", "50"], "unit": "families", "label": "Families reached"})
    tables = {t: schema.empty_table(t) for t in schema.TABLES}
    tables["partnerships"] = schema.coerce_table("partnerships", pd.DataFrame({
        "partnership_id": list("abc"), "name": ["A", "B", "C"], "partner_type": "school"}))
    tables["indicators"] = schema.coerce_table("indicators", ind)
    data = Dataset(data_dir=".", **tables)
    reports = {pid: indicator_progress(data, pid, min_group_size=10).set_index("indicator")["total"]["families"]
               for pid in "abc"}
    assert pd.isna(reports["a"]) and (reports["b"], reports["c"]) == (30, 50)   # each report's own total
    table = PortfolioHealth(data, min_group_size=10).shared_indicators_table()
    column = table["Families reached"]
    shown_total = column["All partnerships"]
    # the attacker's sum: the portfolio total less every total some published file shows
    if any(ch.isdigit() for ch in shown_total):
        total = int("".join(ch for ch in shown_total.split()[0] if ch.isdigit()))
        rest = total - sum(v for v in reports.values() if pd.notna(v))
        assert rest == 0 or rest >= 10, (shown_total, rest)
    assert column["C"] == "50"


def test_who_was_served_and_results_by_group_agree_on_the_groups_they_count():
    """Ages: 40 under 25, 57 aged 25 or more, 3 not recorded. Results by group folds the 3 into the largest group
    ('25+ or not recorded': 60); who was served showed '25+': 57. 60 - 57 = 3 people with no recorded age."""
    from evalkit.community import representation_gap
    from evalkit.participation import representation

    data = _served({"under 25": 40, "25+": 57, None: 3}, {"under 25": 0.4, "25+": 0.6})
    data = type(data)(**{**data.__dict__, "community": data.community.assign(characteristic="gender")})
    who = representation(data, "gender", "p", min_group_size=10).set_index("group")["n_enrolled"]
    assert who.to_dict() == {"under 25": 40, "25+ or not recorded": 60}   # the results-by-group table
    served = representation_gap(data, "p", min_group_size=10)
    for _, r in served[~served["suppressed"]].iterrows():
        for name, n in who.items():
            if pd.notna(n) and name.removesuffix(" or not recorded") == r["group"].removesuffix(" or not recorded"):
                assert r["n_participants"] == n, (r["group"], r["n_participants"], name, n)
    row = served.set_index("characteristic").iloc[1]
    assert row["group"] == "25+ or not recorded" and row["n_participants"] == 60
    assert row["participant_share"] == pytest.approx(0.60)   # 60 of all 100 enrolled


# ---- partners' check-ins: the gap between two roles against the table of roles ---------------------------

def test_role_gap_does_not_show_a_mean_the_check_in_table_blanks():
    """At one check-in 16 institution, 18 partner and 3 funder respondents (funder: all 1s). The table blanks the
    funders and, so that 'all respondents' minus the others cannot give them, the institution too; the gap sentence
    still said 'institution 4.00, partner 4.28', so (37 x 3.89 - 16 x 4.00 - 18 x 4.28) / 3 = 1: the funders' mean."""
    from evalkit import schema
    from evalkit.load import Dataset
    from evalkit.partner_survey import partner_survey_gaps, partner_survey_summary

    values = {"institution": [4] * 16, "partner": [4, 5] * 9, "funder": [1] * 3}
    rows = [("p", "2025-06-30", role, "trust", str(v), "1", "5") for role, vs in values.items() for v in vs]
    survey = pd.DataFrame(rows, columns=["partnership_id", "period", "respondent_role", "item", "value", "scale_min",
                                         "scale_max"])
    tables = {t: schema.empty_table(t) for t in schema.TABLES}
    tables["partnerships"] = schema.coerce_table("partnerships", pd.DataFrame({
        "partnership_id": ["p"], "name": ["P"], "partner_type": "school"}))
    tables["partner_survey"] = schema.coerce_table("partner_survey", survey)
    data = Dataset(data_dir=".", **tables)
    table = partner_survey_summary(data, "p", min_group_size=10).set_index("respondent_role")
    assert table.loc["funder", "suppressed"] and table.loc["institution", "suppressed"]   # as the report's table
    gaps = partner_survey_gaps(data, "p", min_group_size=10).iloc[0]
    assert (gaps["role_a"], gaps["role_b"]) == ("institution", "partner")
    assert gaps["suppressed"] and pd.isna(gaps["mean_a"]) and pd.isna(gaps["gap"]) and pd.isna(gaps["n_a"])


# ---- a comparison group too small to show ------------------------------------------------------------------

def test_a_small_comparison_arm_cannot_be_counted_from_the_program_arm(tmp_path):
    """42 enrolled (participation section, all arms), 35 in the program group: the attrition table showed
    'Assigned (group / comparison) 35 / fewer than 10', so the comparison group is 42 - 35 = 7."""
    import evalkit as ek
    from evalkit import arms

    people = pd.DataFrame({"participant_id": [f"c{i}" for i in range(42)], "partnership_id": "p",
                           "arm": ["comparison"] * 7 + ["program"] * 35})
    resp = pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": "p", "wave": w,
                                    "measure": "skills", "value": [3 + (w == "post") * (i % 2) for i in range(42)]})
                      for w in ("pre", "post")])
    data = ek.load_data(write_tables(tmp_path / "d", resp, [measure("skills", lo=1, hi=5)], participants=people))
    assert ek.retention(data, "p", min_group_size=10).iloc[0]["n_enrolled"] == 42   # shown in every report
    for table in (arms.arm_attrition(data, "p", min_group_size=10), arms.baseline_balance(data, "p", min_group_size=10),
                  arms.program_effects(data, "p", min_group_size=10)):
        for group, reference in (("n_assigned_group", "n_assigned_reference"),
                                 ("n_analyzed_group", "n_analyzed_reference"), ("n_group", "n_reference")):
            if group in table:
                row = table.iloc[0]
                assert pd.isna(row[reference]) and pd.isna(row[group]), (group, row[group])


# ---- free text ---------------------------------------------------------------------------------------------

def test_a_us_zip_code_is_removed_from_free_text():
    """'Come visit us at 42 Elm Street, Springfield, IL 62704' was quoted as '[address], Springfield, IL 62704':
    the street went, the ZIP code (with its state) stayed, though the contract promises postcodes are removed."""
    from evalkit.voices import redact

    said = redact("Come visit us at 42 Elm Street, Springfield, IL 62704 or write to PO Box 7, Austin TX 78701-1234.")
    assert "62704" not in said and "78701" not in said
    assert redact("Scores rose from 3 to 12345 points in 2025.") == "Scores rose from 3 to 12345 points in 2025."


# ---- figures: a box plot's points and whisker ends are people's own scores --------------------------------

def test_the_distributions_figure_draws_no_single_participants_score(tmp_path):
    """20 matched participants on a 0-20 test; at post one scored 0 while the others scored 14 to 17. The box plot
    drew that 0 as an outlier point (the SVG gives its exact place on the axis), and a whisker ends at the lowest
    or highest score within 1.5 IQR, again one person's own answer."""
    import matplotlib.pyplot as plt
    import evalkit as ek
    from evalkit.plots import plot_distributions

    pre = [10.0 + (i % 5) for i in range(20)]
    post = [0.0] + [14.0 + (i % 4) for i in range(1, 20)]
    resp = pd.concat([pd.DataFrame({"participant_id": [f"s{i}" for i in range(20)], "partnership_id": "p",
                                    "wave": w, "measure": "test", "value": v})
                      for w, v in (("pre", pre), ("post", post))])
    data = ek.load_data(write_tables(tmp_path / "d", resp, [measure("test", lo=0, hi=20)]))
    fig = plot_distributions(data, "p", ["test"], min_group_size=10)
    own = {v for values in (pre, post) for v, n in pd.Series(values).value_counts().items() if n == 1}
    assert own == {0.0}   # the only score a single participant holds
    drawn = [float(y) for ax in fig.axes for line in ax.lines for y in line.get_ydata()]
    plt.close(fig)
    assert not own & set(drawn)


# ---- change over time: a wave's mean against the outcomes table's ----------------------------------------

def test_the_mean_at_each_wave_does_not_give_away_those_outside_the_pairs(tmp_path):
    """20 participants answer pre and post, 12 of them a follow-up; one more answers only post (score 2) and one
    only pre (score 19). The trajectory's mean of everyone at post (21 answers) less the outcomes table's post mean
    of the 20 pairs gave the late joiner's 2 (the figure's SVG places the mean exactly); the same at pre gave the
    drop-out's 19."""
    import evalkit as ek
    from evalkit.waves import trajectory

    ids = [f"s{i}" for i in range(22)]
    pre = [10.0] * 20 + [None, 19.0]
    post = [15.0, 17.0] * 10 + [2.0, None]
    follow = [16.0] * 12 + [None] * 10
    resp = pd.concat([pd.DataFrame({"participant_id": ids, "partnership_id": "p", "wave": w, "measure": "test",
                                    "value": v}) for w, v in (("pre", pre), ("post", post), ("followup", follow))])
    data = ek.load_data(write_tables(tmp_path / "d", resp.dropna(subset=["value"]), [measure("test", lo=0, hi=20)]))
    outcomes = ek.compare_prepost(data, "p", min_group_size=10).set_index("measure").loc["test"]
    assert (outcomes["n_pairs"], outcomes["mean_pre"], outcomes["mean_post"]) == (20, 10.0, 16.0)
    t = trajectory(data, "p", ["test"], min_group_size=10).set_index("wave")
    for wave in ("pre", "post"):
        outside = int(t.loc[wave, "n"]) - 20
        assert outside == 0 or outside >= 10, (wave, t.loc[wave, "n"])
    assert (t.loc["pre", "mean"], t.loc["post", "mean"]) == (10.0, 16.0)   # the pairs' means, by hand
    assert t.loc["followup", "n"] == 12 and t.loc["followup", "mean"] == 16.0   # nothing to difference it against


# ---- every file a run writes: no id, name or contact detail -----------------------------------------------

@pytest.mark.integration
def test_no_file_of_a_run_holds_a_participant_id_name_or_contact_detail(tmp_path):
    """A small generated sample (5 partnerships of up to 40), with names and emails on the roster and free text
    (comments, a story) quoting them, ids, a phone, a street address, a ZIP code and a link. Every file under
    --out (HTML, notebooks, workbooks unzipped, manifest, index, portfolio) is searched for each of them."""
    import zipfile

    from evalkit.batch import run_batch
    from evalkit.sample import write_sample

    data = tmp_path / "data"
    write_sample(data, partnerships=5, participants=40, seed=7)
    people = pd.read_csv(data / "participants.csv", dtype=str, keep_default_na=False)
    first = people["partnership_id"] == people["partnership_id"].iloc[0]
    people["first_name"], people["last_name"], people["email"] = "", "", ""
    people.loc[people.index[0], ["first_name", "last_name", "email"]] = ["Zephyrine", "Okonkwo-Barrington",
                                                                        "zeph@example.org"]
    people.to_csv(data / "participants.csv", index=False)
    pid, ids = people["partnership_id"].iloc[0], people.loc[first, "participant_id"].tolist()
    texts = [f"Zephyrine Okonkwo-Barrington ({ids[1]}) said call 555-201-7788 or zeph@example.org",
             "Visit 42 Elm Street, Springfield, IL 62704, or https://zeph.example.com/me",
             f"My friend {ids[2]} and I loved it"]
    comments = pd.read_csv(data / "comments.csv", dtype=str, keep_default_na=False)
    comments = comments[comments["partnership_id"] == pid].copy()
    comments.loc[comments.index[:3], "text"] = texts
    comments.loc[comments.index[:3], "featured"] = "True"
    rest = pd.read_csv(data / "comments.csv", dtype=str, keep_default_na=False)
    pd.concat([comments, rest[rest["partnership_id"] != pid]]).to_csv(data / "comments.csv", index=False)
    stories = pd.read_csv(data / "stories.csv", dtype=str, keep_default_na=False)
    stories.loc[len(stories)] = {**{c: "" for c in stories.columns}, "partnership_id": pid, "date": "2025-07-01",
                                 "title": "Zephyrine's story", "text": texts[0], "told_by": "parent", "consent": "True"}
    stories.to_csv(data / "stories.csv", index=False)
    secrets = ["Zephyrine", "Okonkwo", "zeph@", "201-7788", "42 Elm", "62704", "zeph.example", *ids[1:3]]

    out = tmp_path / "out"
    # the partnership whose roster and free text hold them, one other (its slice must hold none of them) and the
    # portfolio over all five; the other three reports are made the same way as the other one
    other = next(p for p in people["partnership_id"].unique() if p != pid)
    result = run_batch(data, out, partnership_ids=[pid, other], workers=2, progress=False, portfolio=True,
                       cache_dir=tmp_path / "cache")
    assert result.ok and len(result.entries) == 2, result.to_frame()
    found = []
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        # a number is found only as a whole number: '62704' inside a timing like 0.0627041 is not the ZIP code
        found += [(path.name, s) for s in secrets
                  if (re.search(rf"(?<![0-9.]){re.escape(s)}(?![0-9])", text) if s[0].isdigit() else s in text)]
        found += [(path.name, i) for i in ids if f">{i}<" in text or f"'{i}'" in text or f'"{i}"' in text]
    assert not found, found
    assert "[name] ([id]) said call [phone] or [email]" in (out / f"{pid}.html").read_text()  # the story, scrubbed


# ---- attendance: a session too small to show against the overall rate ------------------------------------

def test_a_withheld_session_count_cannot_be_worked_out_from_the_overall_rate(tmp_path):
    """11 participants, 3 sessions: 10 attended the first, 10 the second, 3 the third. The attendance chart
    withholds the third (fewer than 10) and shows 10 of 11 twice; the overall rate (23 of 33 places, 70%, with its
    Wilson interval) gives 23 attended places, and 23 - 10 - 10 = 3."""
    import evalkit as ek
    from evalkit.participation import attendance_summary, session_attendance

    data = ek.load_data(three_sessions(tmp_path / "d"))
    overall = attendance_summary(data, "p", min_group_size=10).iloc[0]
    places = round(overall["attendance_rate"] * overall["n_records"])   # 23: the rate, its interval and 33 places
    sessions = session_attendance(data, "p", min_group_size=10)
    shown = sessions["rate"].notna()
    hidden = places - round((sessions.loc[shown, "rate"] * 11).sum())
    assert hidden == 0 or hidden >= 10, hidden
