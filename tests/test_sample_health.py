"""The sample's partnership-health tables: present for most partnerships, and their planted truths recovered."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import evalkit as ek
from evalkit.health_report import HealthSections, PortfolioHealth
from evalkit.sample import generate_sample

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HEALTH = ("comments", "stories", "indicators", "milestones", "partner_survey", "community")


@pytest.fixture(scope="module")
def truth():
    return generate_sample()[1]


@pytest.fixture(scope="module")
def data(sample_data):
    return sample_data


def test_most_partnerships_have_every_table_some_none(data, truth):
    ids = set(data.partnership_ids)
    without = set(truth.without_health)
    assert 1 <= len(without) < len(ids) / 2
    for table in HEALTH:
        assert set(getattr(data, table)["partnership_id"]) == ids - without, table
    assert len(data.themes) >= 5


def test_indicator_targets_follow_the_older_targets():
    """Targets on indicators are appended after the 48 older targets (4 per partnership), which keep their rows."""
    t = pd.read_csv(SAMPLE / "targets.csv")
    new = t["statistic"].isin(["latest", "total"]).to_numpy()
    assert not new[:48].any() and new[48:].all()


def test_planted_under_represented_group_is_flagged(data, truth):
    pid, char, group = truth.under_represented
    g = ek.representation_gap(data, pid).set_index(["characteristic", "group"])
    row = g.loc[(char, group)]
    assert row["verdict"] == "under-represented" and row["ratio_ci_high"] < 1
    assert "Hispanic or Latino" in HealthSections(data, pid).served().split("Over-represented")[0]


def test_planted_overdue_milestone_is_named(data, truth):
    pid, milestone = truth.overdue_milestone
    s = ek.milestone_status(data, pid)  # judged at the partnership's end (it is over)
    assert s.set_index("milestone").loc[milestone, "state"] == "overdue"
    assert milestone in HealthSections(data, pid).action_plan()


def test_planted_partner_gap_is_found(data, truth):
    pid, item = truth.partner_gap
    g = ek.partner_survey_gaps(data, pid)
    g = g[g["item"] == item]
    assert (g["ci_low"] > 0).all()  # institution above partner at every check-in, beyond chance


def test_withheld_story_is_counted_not_shown(data, truth):
    pid, title = truth.withheld_story
    s = ek.success_stories(data, pid)
    assert (~s["shown"]).sum() == 1
    text = HealthSections(data, pid).stories()
    assert title not in text and "1 more story was told without consent" in text


def _everything_shown(data, pid) -> str:
    h = HealthSections(data, pid)
    parts = [getattr(h, m)() for m in ("voices", "stories", "indicators", "action_plan", "partners", "served")]
    parts += [getattr(h, m)().to_html() for m in ("themes_table", "indicators_table", "milestones_table",
                                                  "partners_table", "representation_table")]
    parts += [getattr(h, m)().alt for m in ("indicators_figure", "milestones_figure", "partners_figure",
                                            "representation_figure")]
    parts.append(ek.quotes(data, pid, per_theme=1000).to_string())
    p = PortfolioHealth(data)
    parts += [p.summary()] + [getattr(p, m)().to_html() for m in (
        "shared_indicators_table", "milestones_table", "partner_survey_table", "representation_table", "themes_table")]
    return "\n".join(parts)


def test_planted_contact_details_never_reach_an_output(data, truth):
    pid, email, phone, person = truth.planted_contact
    raw = pd.read_csv(SAMPLE / "comments.csv")
    assert raw["text"].str.contains(email, regex=False).sum() == 1  # it is planted in the input
    shown = _everything_shown(data, pid)
    digits = "".join(ch for ch in phone if ch.isdigit())
    for secret in (email, phone, phone[-8:], digits, person, "example.org"):
        assert secret not in shown
    # the featured comment is quoted, without its sentence of contact details (trial 11)
    assert "My mentor changed everything for us. [\u2026]" in shown
    # nor does the Dataset hold them (so no slice a batch run writes can)
    for table in ("comments", "stories", "milestones"):
        frame = getattr(data, table).astype(str)
        assert not frame.apply(lambda c: c.str.contains(email, regex=False)).any().any()
        assert not frame.apply(lambda c: c.str.contains(phone, regex=False)).any().any()


@pytest.mark.parametrize("partnerships, participants, seed", [(30, 20, 7), (5, 20, 0), (6, 25, 3)])
def test_small_samples_still_plant_their_contact_details(partnerships, participants, seed, tmp_path):
    """With few participants a partnership may draw no featured mentoring comment; the generator then plants one
    (it stopped with StopIteration, a traceback from ``evalkit sample``)."""
    from evalkit.sample import write_sample

    write_sample(tmp_path, partnerships=partnerships, participants=participants, seed=seed)
    truth = generate_sample(partnerships, participants, seed)[1]
    pid, email, phone, person = truth.planted_contact
    raw = pd.read_csv(tmp_path / "comments.csv")
    planted = raw[raw["text"].str.contains(email, regex=False)]
    assert planted[["partnership_id", "participant_id"]].values.tolist() == [[pid, person]]
    loaded = ek.load_data(tmp_path)   # validates; the scrubber removes the contact details
    assert not loaded.comments["text"].str.contains(email, regex=False).any()
