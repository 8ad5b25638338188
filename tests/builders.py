"""Builders of small, valid datasets (the data contract of data/README.md) for tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_tables(folder: Path, responses: pd.DataFrame, measures: list[dict], participants=None,
                 attendance=None, targets=None, partnerships=None) -> Path:
    """Write a minimal valid dataset (the data contract of data/README.md) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pids = sorted(responses["partnership_id"].unique())
    if partnerships is None:
        partnerships = pd.DataFrame({
            "partnership_id": pids, "name": [f"Partnership {p}" for p in pids], "partner_type": "nonprofit",
            "lead_institution": "Test University", "start_date": "2025-01-15", "end_date": "2025-06-30"})
    partnerships.to_csv(folder / "partnerships.csv", index=False)
    if participants is None:
        participants = responses[["participant_id", "partnership_id"]].drop_duplicates()
    participants.to_csv(folder / "participants.csv", index=False)
    m = pd.DataFrame(measures)
    m.to_csv(folder / "measures.csv", index=False)
    responses.to_csv(folder / "responses.csv", index=False)
    if attendance is not None:
        attendance.to_csv(folder / "attendance.csv", index=False)
    if targets is not None:
        targets.to_csv(folder / "targets.csv", index=False)
    return folder


def measure(measure, kind="continuous", lo=0, hi=200, hib=True, domain="other", label=None):
    return {"measure": measure, "label": label or measure.capitalize(), "domain": domain, "kind": kind,
            "scale_min": lo, "scale_max": hi, "higher_is_better": hib}


def long_responses(pid, measure, pre, post, start=1, prefix="p"):
    ids = [f"{prefix}{i}" for i in range(start, start + len(pre))]
    frames = [pd.DataFrame({"participant_id": ids, "partnership_id": pid, "wave": w, "measure": measure, "value": v})
              for w, v in (("pre", pre), ("post", post))]
    return pd.concat(frames)


def skills_at_both_waves(ids, pid="p") -> pd.DataFrame:
    """Responses of ``ids`` to a 1-5 ``skills`` measure at pre (3) and post (3, or 4 for every second person)."""
    return pd.concat([pd.DataFrame({"participant_id": list(ids), "partnership_id": pid, "wave": w, "measure": "skills",
                                    "value": [3 + (w == "post") * (i % 2) for i in range(len(ids))]})
                      for w in ("pre", "post")])


def arm_people(pid: str, n_program: int, n_comparison: int, prefix: str) -> pd.DataFrame:
    """Participants of ``pid``: ``n_program`` in the program arm, then ``n_comparison`` in the comparison arm,
    with ids ``<prefix>00``, ``<prefix>01``, ..."""
    arms = ["program"] * n_program + ["comparison"] * n_comparison
    return pd.DataFrame({"participant_id": [f"{prefix}{i:02d}" for i in range(len(arms))], "partnership_id": pid,
                         "arm": arms})


def pre_post_answers(people: pd.DataFrame, measures=("skills",)) -> pd.DataFrame:
    """Every participant's answer to each of ``measures`` at pre, ``2 + (i % 4) * 0.5`` (the i-th person), and at
    post, that plus ``0.5 * (i % 3)``."""
    i = np.arange(len(people))
    return pd.concat([pd.DataFrame({"participant_id": people["participant_id"], "partnership_id": people["partnership_id"],
                                    "wave": w, "measure": m, "value": 2 + (i % 4) * 0.5 + d * (i % 3)})
                      for w, d in (("pre", 0), ("post", 0.5)) for m in measures])


def three_sessions(folder: Path) -> Path:
    """11 participants of partnership "p" answering ``skills`` at both waves, and three sessions attended by
    10, 10 and 3 of them: at k = 10 the third session is withheld, and the overall rate's 23 places less the
    two shown sessions would give it back."""
    ids = [f"a{i}" for i in range(11)]
    att = pd.concat([pd.DataFrame({"participant_id": ids, "partnership_id": "p", "session": s, "date": d,
                                   "attended": [i < n for i in range(11)]})
                     for s, d, n in (("s1", "2025-02-01", 10), ("s2", "2025-02-08", 10), ("s3", "2025-02-15", 3))])
    return write_tables(folder, skills_at_both_waves(ids), [measure("skills", lo=1, hi=5)], attendance=att)
