"""Deterministic synthetic partnership data with known truths.

The generator writes a data folder that meets the contract (``data/README.md``)
and looks like real programme data: partnerships of every partner type and of
very different sizes, Likert answers with many ties, attrition between the
``pre`` and ``post`` waves, item non-response, demographic groups including
marginalised ones, attendance logs whose dose is related to change, and
targets. A few partnerships carry *known truths* (:class:`SampleTruth`) that
tests and tutorials can check an analysis against.

How scores are made: each participant has a true level on each measure
(``0.75 * z + N(0, 0.5)`` around a personal baseline ``z ~ N(0, 1)``); each
wave observes it with noise ``N(0, 0.45)``, and at ``post`` it has moved by
``effect * dose``, where ``effect`` is the partnership x measure true effect
(in baseline SD units; negative for a decline) and ``dose`` is the person's
attendance rate divided by the partnership's mean rate (zero for the group
named by ``SampleTruth.subgroup_gap``). Latent scores are mapped onto each
measure's scale (cut points for ordinal items, a threshold for binary ones, a
rounded linear map for continuous scores), so observed changes are the effects
attenuated by rounding.
For ``higher_is_better = false`` measures a positive effect lowers the score.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.errors import InputError

# (slug, name, partner_type, lead institution) -- names are fictional.
_CATALOGUE = [
    ("riverside-literacy", "Riverside Family Literacy", "nonprofit", "Northfield University"),
    ("eastside-stem", "Eastside STEM Mentoring", "school", "Eastside High School"),
    ("harbor-health", "Harbor Community Health Navigators", "government", "Harbor County Public Health"),
    ("cafe-societe", "Café Société Youth Employment", "business", "Northfield University"),
    ("uplands-tutoring", "Uplands Peer Tutoring", "university", "Uplands State University"),
    ("greenway-food", "Greenway Food Security Coalition", "nonprofit", "Lakeside Community College"),
    ("civic-coders", "Civic Coders Apprenticeship", "business", "Metro Technical Institute"),
    ("newcomer-bridge", "Newcomer Bridge English Circles", "nonprofit", "Uplands State University"),
    ("parks-stewards", "City Parks Youth Stewards", "government", "Lakeside Community College"),
    ("first-gen-mentors", "First-Gen College Mentors", "university", "Northfield University"),
    ("maple-reading", "Maple Street Reading Buddies", "school", "Maple Street Elementary"),
    ("senior-digital", "Senior Digital Inclusion", "nonprofit", "Metro Technical Institute"),
    ("rural-ag-extension", "Rural Agriculture Extension Clinics", "government", "Uplands State University"),
    ("northside-makers", "Northside Makerspace Fridays", "school", "Northside Middle School"),
    ("credit-union-fin-lit", "Credit Union Financial Literacy", "business", "Lakeside Community College"),
    ("bayview-arts", "Bayview Community Arts Lab", "university", "Bayview College of Art"),
]

# measure, label, domain, kind, scale_min, scale_max, higher_is_better, shared, scale, reverse_coded
MEASURES = pd.DataFrame(
    [
        ("skills", "Self-rated skills (mean of five 1-5 items)", "skills", "continuous", 1, 5, True, True, "", False),
        ("knowledge", "Knowledge test score (0-20)", "knowledge", "continuous", 0, 20, True, True, "", False),
        ("behaviour", "How often I practise what I learned (1 never - 5 always)", "behaviour", "ordinal",
         1, 5, True, False, "", False),
        ("engagement", "I feel confident and involved in the programme (1-5)", "engagement", "ordinal",
         1, 5, True, False, "", False),
        ("volunteered", "Volunteered in the last month (0 no, 1 yes)", "behaviour", "binary", 0, 1, True, True,
         "", False),
        ("stress", "Stress about the topic (1 none - 5 a lot)", "other", "ordinal", 1, 5, False, False, "", False),
        ("teamwork_1", "I listen to others' ideas (1-5)", "skills", "ordinal", 1, 5, True, False, "teamwork", False),
        ("teamwork_2", "I share my ideas with the group (1-5)", "skills", "ordinal", 1, 5, True, False,
         "teamwork", False),
        ("teamwork_3", "I prefer to work alone (1-5)", "skills", "ordinal", 1, 5, True, False, "teamwork", True),
        ("satisfaction", "Overall satisfaction with the programme (1-5)", "satisfaction", "ordinal", 1, 5, True,
         True, "", False),
        ("community_benefit", "The programme benefits my community (1-5)", "community", "ordinal", 1, 5, True,
         False, "", False),
    ],
    columns=["measure", "label", "domain", "kind", "scale_min", "scale_max", "higher_is_better", "shared",
             "scale", "reverse_coded"],
)
#: measures asked at both pre and post (satisfaction is post only, community_benefit followup only).
_SIGN = {  # -1: the score falls as the latent outcome improves (lower is better, or a reverse-coded item)
    m: -1 if (not better) or reverse else 1
    for m, better, reverse in MEASURES[["measure", "higher_is_better", "reverse_coded"]].itertuples(index=False)
}
_WAVES = ["pre", "post", "followup"]
_MEASURE_IDS = MEASURES["measure"].tolist()
PREPOST = ["skills", "knowledge", "behaviour", "engagement", "volunteered", "stress",
           "teamwork_1", "teamwork_2", "teamwork_3"]

GROUPS = {
    "gender": (["woman", "man", "non-binary"], [0.52, 0.44, 0.04]),
    "race_ethnicity": (["White", "Black", "Hispanic or Latino", "Asian", "Indigenous", "Multiracial"],
                       [0.42, 0.18, 0.22, 0.08, 0.04, 0.06]),
    "first_generation": (["yes", "no"], [0.35, 0.65]),
    "low_income": (["yes", "no"], [0.40, 0.60]),
    "disability": (["yes", "no"], [0.12, 0.88]),
    "english_learner": (["yes", "no"], [0.15, 0.85]),
}
_AGE_GROUPS = ["under 18", "18-24", "25-44", "45-64", "65+"]
_AGE_BY_TYPE = {
    "school": [0.92, 0.04, 0.03, 0.01, 0.00],
    "university": [0.05, 0.75, 0.15, 0.04, 0.01],
    "nonprofit": [0.20, 0.20, 0.30, 0.20, 0.10],
    "government": [0.10, 0.20, 0.35, 0.25, 0.10],
    "business": [0.05, 0.40, 0.45, 0.10, 0.00],
}


@dataclass(frozen=True, eq=False)
class SampleTruth:
    """What the generator built in, for checking analyses against.

    Attributes
    ----------
    seed : int
    no_change : str
        Partnership whose true effects are all zero.
    decline : str
        Partnership whose outcomes truly get worse (effect -0.7 SD on every pre/post measure).
    too_small : str
        Partnership with 20 enrolled and only 5 completing ``post``: too few to conclude anything.
    mostly_missing_post : str
        Partnership where 80% of participants have no ``post`` answers.
    effects : pandas.DataFrame
        ``partnership_id, measure, effect``: true latent shift pre -> post in baseline SD units
        (positive = improvement, whatever the measure's direction).
    sizes : dict
        partnership_id -> participants enrolled.
    followup : tuple of str
        Partnerships that asked ``community_benefit`` (and ``skills``) at a ``followup`` wave.
    subgroup_gap : tuple of str
        ``(partnership_id, group column, value)``: in that partnership the participants of
        that group have no true change (effect 0) while the others improve as ``effects`` says.
    without_health : tuple of str
        Partnerships with no row in any partnership-health table (comments, themes aside,
        stories, indicators, milestones, partner_survey, community): their reports say "not recorded".
    under_represented : tuple of str
        ``(partnership_id, characteristic, group)``: the community table says the group is 45% of
        the community, but participants were drawn with the sample-wide share (22%).
    overdue_milestone : tuple of str
        ``(partnership_id, milestone)``: due six weeks after the start, still in progress at the end.
    planted_contact : tuple of str
        ``(partnership_id, email, phone, participant_id)``: written into one featured comment of that
        partnership; none of them may reach any output.
    withheld_story : tuple of str
        ``(partnership_id, title)``: a story told without consent (counted, never shown).
    partner_gap : tuple of str
        ``(partnership_id, item)``: partners rate this item about 1.5 points lower than the institution
        (on 1-5) at every check-in.
    """

    seed: int
    no_change: str
    decline: str
    too_small: str
    mostly_missing_post: str
    effects: pd.DataFrame
    sizes: dict
    followup: tuple
    subgroup_gap: tuple
    without_health: tuple = ()
    under_represented: tuple = ()
    overdue_milestone: tuple = ()
    planted_contact: tuple = ()
    withheld_story: tuple = ()
    partner_gap: tuple = ()


def _catalogue(n: int) -> list[tuple[str, str, str, str]]:
    out = []
    for i in range(n):
        slug, name, ptype, lead = _CATALOGUE[i % len(_CATALOGUE)]
        k = i // len(_CATALOGUE)
        out.append((slug, name, ptype, lead) if k == 0 else (f"{slug}-{k + 1}", f"{name} {k + 1}", ptype, lead))
    return out


def _to_scale(latent: np.ndarray, measure: str, level: float) -> np.ndarray:
    """Map latent scores onto the measure's scale (see module docstring)."""
    x = latent + level
    if measure == "skills":
        return np.clip(np.round((3.0 + 0.8 * x) * 5) / 5, 1, 5)  # mean of five 1-5 items: steps of 0.2
    if measure == "knowledge":
        return np.clip(np.round(10 + 3.5 * x), 0, 20)
    if measure == "volunteered":
        return (x > 0.6).astype(float)
    return np.digitize(x, [-1.6, -0.6, 0.4, 1.4]).astype(float) + 1  # ordinal 1-5, many ties


def generate_sample(partnerships: int = 12, participants: int = 300, seed: int = 2026
                    ) -> tuple[dict[str, pd.DataFrame], SampleTruth]:
    """Generate the tables of a synthetic data folder and the truths built into them.

    Parameters
    ----------
    partnerships : int, default 12
        Number of partnerships (at least 5: four carry known truths, see :class:`SampleTruth`).
    participants : int, default 300
        Size of the largest partnership; the others vary between 20 and this.
    seed : int, default 2026
        Seed of the :class:`numpy.random.Generator`; equal seeds give identical tables.

    Returns
    -------
    tables : dict of str to DataFrame
        ``partnerships, participants, measures, responses, attendance, targets`` and the
        partnership-health tables ``comments, themes, stories, indicators, milestones,
        partner_survey, community`` (drawn from a generator of their own, seeded from ``seed``,
        so that adding them left the other tables unchanged).
    truth : SampleTruth

    Notes
    -----
    Generation is vectorised within a partnership (one Python loop over
    partnerships), so 200 partnerships x 1000 participants take seconds.
    The model is described in the module docstring.

    Examples
    --------
    >>> from evalkit.sample import generate_sample
    >>> tables, truth = generate_sample(partnerships=6, participants=40, seed=1)
    >>> truth.no_change in set(tables["partnerships"]["partnership_id"])
    True
    """
    if partnerships < 5:
        raise InputError(f"partnerships={partnerships}: need at least 5 (four carry known truths)")
    if participants < 20:
        raise InputError(f"participants={participants}: the largest partnership needs at least 20 participants")
    rng = np.random.default_rng(seed)
    cat = _catalogue(partnerships)
    ids = [c[0] for c in cat]
    no_change, decline, too_small, mostly_missing = ids[1], ids[2], ids[3], ids[4]
    gap_pid = ids[0]  # the largest partnership: its low-income participants gain nothing

    sizes = rng.integers(20, participants + 1, size=partnerships)
    sizes[0] = participants
    sizes[ids.index(too_small)] = 20
    for special in (no_change, decline):  # big enough for a clear answer
        i = ids.index(special)
        sizes[i] = max(sizes[i], min(participants, 120))
    sizes[ids.index(mostly_missing)] = max(sizes[ids.index(mostly_missing)], min(participants, 60))
    followup = tuple(pid for i, pid in enumerate(ids) if i % 3 == 0)

    parts, people, answers, logs, goals, effects = [], [], [], [], [], []
    for i, (pid, name, ptype, lead) in enumerate(cat):
        n = int(sizes[i])
        start = pd.Timestamp("2025-01-13") + pd.Timedelta(weeks=int(rng.integers(0, 30)))
        n_sessions = int(rng.integers(8, 15))
        end = start + pd.Timedelta(weeks=n_sessions + 1)
        parts.append((pid, name, ptype, lead, start.date().isoformat(), end.date().isoformat()))

        # participants and their groups (a few missing answers per question)
        person = np.array([f"P{i + 1:03d}-{k:04d}" for k in range(1, n + 1)], dtype=object)
        frame = {"participant_id": person, "partnership_id": np.full(n, pid)}
        frame["age_group"] = rng.choice(_AGE_GROUPS, size=n, p=_AGE_BY_TYPE[ptype])
        for col, (values, probs) in GROUPS.items():
            frame[col] = rng.choice(values, size=n, p=probs)
        frame = pd.DataFrame(frame)
        for col in ["age_group", *GROUPS]:
            frame.loc[rng.random(n) < 0.04, col] = None
        people.append(frame)

        # true effects
        if pid == no_change:
            eff = dict.fromkeys(PREPOST, 0.0)
        elif pid == decline:
            eff = dict.fromkeys(PREPOST, -0.7)
        else:
            eff = {m: float(np.round(rng.uniform(0.15, 0.8), 2)) for m in PREPOST}
        eff["community_benefit"] = 0.0 if pid in (no_change, decline) else float(np.round(rng.uniform(0.2, 0.6), 2))
        effects += [(pid, m, e) for m, e in eff.items()]

        # who completes post: attrition 10-30%, or the built-in extremes
        if pid == too_small:
            completes = np.zeros(n, dtype=bool)
            completes[rng.choice(n, size=5, replace=False)] = True
        elif pid == mostly_missing:
            completes = np.zeros(n, dtype=bool)
            completes[rng.choice(n, size=n - int(np.ceil(0.8 * n)), replace=False)] = True
        else:
            completes = np.ones(n, dtype=bool)
            completes[rng.choice(n, size=int(round(n * rng.uniform(0.10, 0.30))), replace=False)] = False

        # attendance: personal propensity; leavers stop coming after a few sessions
        propensity = rng.beta(6, 2, size=n)
        attended = rng.random((n, n_sessions)) < propensity[:, None]
        stop = np.where(completes, n_sessions, rng.integers(1, max(2, n_sessions // 2), size=n))
        attended &= np.arange(n_sessions)[None, :] < stop[:, None]
        rate = attended.mean(axis=1)
        dose = rate / rate[completes].mean() if completes.any() else np.ones(n)
        gain = dose.copy()  # who benefits: in the gap partnership, low-income participants do not
        if pid == gap_pid:
            gain[frame["low_income"].to_numpy() == "yes"] = 0.0
        dates = [(start + pd.Timedelta(weeks=s)).date().isoformat() for s in range(n_sessions)]
        logs.append({
            "participant_id": np.repeat(person, n_sessions),
            "partnership_id": np.full(n * n_sessions, pid, dtype=object),
            "session": np.tile(np.array([f"Session {s + 1}" for s in range(n_sessions)], dtype=object), n),
            "date": np.tile(np.array(dates, dtype=object), n),
            "attended": attended.ravel(),
        })

        # responses
        baseline = rng.normal(size=n)
        level = rng.normal(0, 0.3)
        rows = []
        for m in PREPOST:
            true = 0.75 * baseline + 0.5 * rng.normal(size=n)  # the person's true level on this measure
            sign = _SIGN[m]
            pre = _to_scale(sign * (true + rng.normal(0, 0.45, size=n)), m, level)
            post = _to_scale(sign * (true + eff[m] * gain + rng.normal(0, 0.45, size=n)), m, level)
            rows.append(("pre", m, np.arange(n), pre))
            rows.append(("post", m, np.flatnonzero(completes), post[completes]))
        sat = _to_scale(0.5 + 0.4 * rng.normal(size=n) + 0.3 * (dose - 1), "satisfaction", level)
        rows.append(("post", "satisfaction", np.flatnonzero(completes), sat[completes]))
        if pid in followup:
            stays = np.flatnonzero(completes & (rng.random(n) < 0.75))
            z = rng.normal(size=n)
            rows.append(("followup", "community_benefit", stays,
                         _to_scale(z + eff["community_benefit"] * gain, "community_benefit", level)[stays]))
            rows.append(("followup", "skills", stays,
                         _to_scale(0.75 * baseline + 0.66 * rng.normal(size=n) + 0.8 * eff["skills"] * gain,
                                   "skills", level)[stays]))
        who = np.concatenate([w for _, _, w, _ in rows])
        wave = np.concatenate([np.full(len(w), _WAVES.index(wv)) for wv, _, w, _ in rows])
        measure = np.concatenate([np.full(len(w), _MEASURE_IDS.index(m)) for _, m, w, _ in rows])
        order = np.lexsort((measure, who, wave))  # as a survey export: by wave, participant, measure
        value = np.concatenate([v for _, _, _, v in rows])[order]
        value[rng.random(len(value)) < 0.02] = np.nan  # item non-response
        answers.append({"participant_id": person[who[order]], "partnership_id": np.full(len(order), pid, dtype=object),
                        "wave": np.array(_WAVES, dtype=object)[wave[order]],
                        "measure": np.array(_MEASURE_IDS, dtype=object)[measure[order]], "value": value})

        # targets: a rotating mix of statistics
        goals += _targets(pid, i)

    truth_effects = pd.DataFrame(effects, columns=["partnership_id", "measure", "effect"])
    health, planted = _health_tables(seed, cat, parts, people)
    goals += planted.pop("targets")
    tables = {
        "partnerships": pd.DataFrame(parts, columns=["partnership_id", "name", "partner_type", "lead_institution",
                                                     "start_date", "end_date"]),
        "participants": pd.concat(people, ignore_index=True),
        "measures": MEASURES.copy(),
        "responses": _stack(answers),
        "attendance": _stack(logs),
        "targets": pd.DataFrame(goals, columns=["partnership_id", "indicator", "statistic", "target", "threshold",
                                                "description"]),
        "labels": LABELS.copy(),   # fixed text, no random draws: the other tables keep their bytes
        **health,
    }
    truth = SampleTruth(seed=seed, no_change=no_change, decline=decline, too_small=too_small,
                        mostly_missing_post=mostly_missing, effects=truth_effects,
                        sizes=dict(zip(ids, map(int, sizes))), followup=followup,
                        subgroup_gap=(gap_pid, "low_income", "yes"), **planted)
    tables["measures"]["scale"] = tables["measures"]["scale"].replace("", None)
    return tables, truth


#: The sample's labels table (data/README.md, ``labels``): how reports name two group columns; the other
#: columns and every group show the defaults (evalkit.labels).
LABELS = pd.DataFrame({
    "column": ["english_learner", "race_ethnicity"],
    "value": [None, None],
    "label": ["English-language learner status", "Race/ethnicity"],
    "order": [None, None],
})


# ---- partnership health (issue 10): drawn from a generator of its own, so the tables above keep their bytes ----
#: the themes codebook: theme, description, keywords (``;``-separated, ``*`` matches any ending).
THEMES = [
    ("confidence", "Feeling more confident or capable", "confident; confidence; believe in myself"),
    ("mentoring", "The people who taught, tutored or mentored them", "mentor*; tutor*; coach*"),
    ("practical-skills", "Skills learned and put into practice", "skill*; learned; practi*; hands-on"),
    ("belonging", "Friends, welcome and a sense of community", "friend*; welcom*; belong*; neighbour*"),
    ("scheduling", "Times and schedules that did not fit", "schedule*; evening*; weekend*; shift*"),
    ("transport", "Getting to the sessions", "bus; ride; parking; transport*"),
]
_THEME_PROBS = [0.25, 0.2, 0.2, 0.15, 0.08, 0.04, 0.08]  # the last: a comment mentioning no theme
_COMMENTS = {
    "confidence": ["I feel much more confident speaking up now.", "My confidence grew every week.",
                   "I believe in myself more than before.", "I am confident I can keep going on my own."],
    "mentoring": ["My mentor really listened to me.", "The tutors were patient and kind.",
                  "Having a coach who checked in made the difference.", "Our mentor never gave up on us."],
    "practical-skills": ["I learned practical skills I use every day.", "I practise what I learned at home now.",
                         "The hands-on activities helped the most.", "New skills for work and for home."],
    "belonging": ["I made friends and felt welcome.", "It felt like a place where I belong.",
                  "Meeting my neighbours was the best part.", "Everyone made us feel welcome from day one."],
    "scheduling": ["Sessions were too late in the evening for me.", "The schedule clashed with my work shifts.",
                   "More weekend sessions would help families like mine."],
    "transport": ["Getting there by bus was hard.", "Some weeks I had no ride to the sessions.",
                  "Parking near the centre was difficult."],
    None: ["Thank you!", "Nothing to add.", "All good, keep it up."],
}
_QUESTION = "What changed for you because of the programme?"
_INDICATORS = [  # indicator, label, unit, low, high per quarter
    ("volunteer_hours", "Volunteer hours contributed", "hours", 80, 400),
    ("events_held", "Community events held", "events", 1, 6),
    ("families_reached", "Families reached", "families", 4, 60),
    ("funding_shared", "Funding and in-kind resources shared", "USD", 2000, 15000),
    ("internships_offered", "Internships offered", "internships", 0, 8),
]
_MILESTONES = [  # milestone, owner, due (share of the partnership's run)
    ("Sign the partnership agreement", "institution", 0.0),
    ("Recruit and train volunteers", "partner", 0.2),
    ("Launch the first sessions", "partner", 0.3),
    ("Mid-point review with both partners", "institution", 0.55),
    ("Share results with the community", "institution and partner", 0.95),
    ("Plan the next year together", "institution and partner", 1.3),
]
PARTNER_ITEMS = [
    ("communication", "Communication between the partners is open and timely"),
    ("trust", "The partners trust each other"),
    ("shared_goals", "The partners share the same goals"),
    ("resources", "Resources are shared fairly"),
    ("decision_making", "Decisions are made together"),
]
_TELLERS = ["parent", "partner coordinator", "student mentor", "teacher", "programme volunteer", "participant"]
_STORIES = [
    ("A first library card", "After three sessions a family came back with their first library cards and "
     "a pile of picture books."),
    ("From shy to leading", "A participant who hardly spoke in week one led the closing presentation."),
    ("A job offer", "One of the interns was offered a part-time position by the partner organisation."),
    ("Neighbours helping neighbours", "Two families started a weekly study group of their own."),
]


def _health_tables(seed: int, cat, parts, people) -> tuple[dict, dict]:
    """The optional partnership-health tables and the truths planted in them (see :class:`SampleTruth`)."""
    rng = np.random.default_rng([seed, 10])
    ids = [c[0] for c in cat]
    gap_pid = ids[0]
    without = tuple(pid for i, pid in enumerate(ids) if i in (3, 7))
    comments, stories, indicators, milestones, survey, community, goals = [], [], [], [], [], [], []
    themes = [t[0] for t in THEMES]
    overdue = (gap_pid, "Family reading night at the public library")
    withheld = (gap_pid, "A difficult year at home")
    contact = (gap_pid, "jordan.rivera@example.org", "(555) 014-2368", "")
    for i, (pid, *_rest) in enumerate(cat):
        if pid in without:
            continue
        start, end = (pd.Timestamp(d) for d in parts[i][4:6])
        frame = people[i]
        person = frame["participant_id"].to_numpy()

        # comments at post, coded by the analyst in every other partnership (the others use the codebook)
        n = len(person)
        speaks = np.flatnonzero(rng.random(n) < 0.45)
        pick = rng.choice(len(_THEME_PROBS), size=len(speaks), p=_THEME_PROBS)
        coded = i % 2 == 0
        rows = []
        for who, t in zip(speaks, pick):
            theme = themes[t] if t < len(themes) else None
            options = _COMMENTS[theme]
            rows.append([person[who], pid, "post", _QUESTION, options[int(rng.integers(len(options)))],
                         theme if coded else None, False])
        if coded:  # the analyst features one comment per theme
            for theme in themes:
                first = next((r for r in rows if r[5] == theme), None)
                if first is not None:
                    first[6] = True
        if pid == gap_pid:  # contact details and an id written into a featured comment
            mentor = next((r for r in rows if r[5] == "mentoring" and r[6]), None)
            if mentor is None:  # a small partnership may draw no featured mentoring comment: plant one
                mentor = [person[0], pid, "post", _QUESTION, "", "mentoring" if coded else None, True]
                rows.append(mentor)
            contact = (pid, contact[1], contact[2], mentor[0])
            mentor[4] = (f"My mentor changed everything for us. I am {mentor[0]}: email me at {contact[1]} or "
                         f"call {contact[2]} if you want to hear more.")
        comments += rows

        # success stories, one told without consent
        for j, (title, text) in enumerate(_STORIES[: 2 + i % 3]):
            when = start + pd.Timedelta(days=int(rng.integers(7, max(8, (end - start).days))))
            stories.append([pid, when.date().isoformat(), title, text, _TELLERS[(i + j) % len(_TELLERS)], True])
        if pid == gap_pid:
            stories.append([pid, (end - pd.Timedelta(days=3)).date().isoformat(), withheld[1],
                            "A parent described a hard year at home in detail.", "parent", False])

        # partnership indicators per quarter-like period (four periods over the run)
        periods = [(start + (end - start) * q / 4).date().isoformat() for q in range(1, 5)]
        chosen = [ind for j, ind in enumerate(_INDICATORS) if (i + j) % 5 != 4]
        for ind, label, unit, lo, hi in chosen:
            base = rng.uniform(lo, hi)
            growth = rng.uniform(0.9, 1.3)
            for q, period in enumerate(periods):
                value = max(0.0, round(base * growth ** q * rng.uniform(0.8, 1.2)))
                if pid == ids[1] and ind == "families_reached" and q == 0:
                    value = 6.0  # a small count of people: suppressed
                indicators.append([pid, period, ind, float(value), unit, label, "sum"])
        if "volunteer_hours" in [c[0] for c in chosen]:
            goals.append((pid, "volunteer_hours", "total", 1000, None,
                          "volunteers contribute at least 1,000 hours over the partnership"))
        if "events_held" in [c[0] for c in chosen]:
            goals.append((pid, "events_held", "latest", 4, None, "at least four community events in the last quarter"))

        # the action plan
        span = end - start
        for milestone, owner, at in _MILESTONES:
            due = start + span * at
            r = rng.random()
            done = due + pd.Timedelta(days=int(rng.integers(-10, 1))) if r < 0.7 else \
                due + pd.Timedelta(days=int(rng.integers(5, 30))) if r < 0.92 else None
            status = "done" if done is not None else "in progress"
            if due > end:  # after the run: still to come
                done, status = None, "not started"
            elif pid == gap_pid and done is None:
                done, status = due, "done"
            milestones.append([pid, milestone, owner, due.date().isoformat(),
                               None if done is None else done.date().isoformat(), status])
        if pid == gap_pid:
            milestones.append([pid, overdue[1], "partner", (start + pd.Timedelta(weeks=6)).date().isoformat(), None,
                               "in progress"])

        # the partners' check-ins: three periods, two roles, 8-21 respondents per role
        checks = [(start + span * f).date().isoformat() for f in (0.1, 0.5, 0.95)]
        for q, period in enumerate(checks):
            for role in ("institution", "partner"):
                k = int(rng.integers(14, 22) if pid == gap_pid else rng.integers(8, 22))
                for item, label in PARTNER_ITEMS:
                    mean = 3.6 + 0.2 * q - (1.5 if (pid == gap_pid and item == "decision_making"
                                                    and role == "partner") else 0.0)
                    values = np.clip(np.round(rng.normal(mean, 0.8, size=k)), 1, 5)
                    survey += [[pid, period, role, item, float(v), 1.0, 5.0, label] for v in values]

        # the community served
        for char in ("race_ethnicity", "low_income", "english_learner"):
            values, probs = GROUPS[char]
            probs = list(probs)
            if pid == gap_pid and char == "race_ethnicity":
                h = values.index("Hispanic or Latino")
                rest = (1 - 0.45) / (1 - probs[h])
                probs = [0.45 if j == h else round(p * rest, 4) for j, p in enumerate(probs)]
            for group, share in zip(values, probs):
                community.append([pid, char, group, float(share), "Census estimate for the service area (synthetic)"])

    tables = {
        "comments": pd.DataFrame(comments, columns=["participant_id", "partnership_id", "wave", "question", "text",
                                                    "theme", "featured"]),
        "themes": pd.DataFrame(THEMES, columns=["theme", "description", "keywords"]),
        "stories": pd.DataFrame(stories, columns=["partnership_id", "date", "title", "text", "told_by", "consent"]),
        "indicators": pd.DataFrame(indicators, columns=["partnership_id", "period", "indicator", "value", "unit",
                                                        "label", "aggregate"]),
        "milestones": pd.DataFrame(milestones, columns=["partnership_id", "milestone", "owner", "due_date",
                                                        "done_date", "status"]),
        "partner_survey": pd.DataFrame(survey, columns=["partnership_id", "period", "respondent_role", "item",
                                                        "value", "scale_min", "scale_max", "label"]),
        "community": pd.DataFrame(community, columns=["partnership_id", "characteristic", "group", "share", "source"]),
    }
    planted = {"targets": goals, "without_health": without,
               "under_represented": (gap_pid, "race_ethnicity", "Hispanic or Latino"),
               "overdue_milestone": overdue, "planted_contact": contact, "withheld_story": withheld,
               "partner_gap": (gap_pid, "decision_making")}
    return tables, planted


def _stack(chunks: list[dict]) -> pd.DataFrame:
    """One DataFrame from per-partnership column arrays (one conversion per column, not per partnership)."""
    return pd.DataFrame({name: np.concatenate([c[name] for c in chunks]) for name in chunks[0]})


# Each partnership: the skills goal, one of two alternating goals, and two goals from a rotation.
_TARGET_ALWAYS = ("skills", "mean_change", 0.3, None, "mean self-rated skills rise by at least 0.3 points")
_TARGET_ALTERNATE = [
    ("attendance_rate", "rate", 75, None, "participants attend at least 75% of sessions"),
    ("satisfaction", "pct_at_least", 80, 4, "at least 80% rate their satisfaction 4 or 5"),
]
_TARGET_ROTATION = [
    ("knowledge", "mean_post", 14, None, "mean knowledge score at post is at least 14 of 20"),
    ("behaviour", "pct_improved", 40, None, "at least 40% report practising more often"),
    ("retention_rate", "rate", 80, None, "at least 80% of participants complete the post survey"),
    ("volunteered", "mean_post", 0.5, None, "at least half volunteered in the last month at post"),
]


def _targets(pid: str, i: int) -> list[tuple]:
    goals = [_TARGET_ALWAYS, _TARGET_ALTERNATE[i % 2], _TARGET_ROTATION[i % 4], _TARGET_ROTATION[(i + 1) % 4]]
    return [(pid, *goal) for goal in goals]


def write_sample(out_dir: str | Path, partnerships: int = 12, participants: int = 300, seed: int = 2026,
                 fmt: str = "csv", overwrite: bool = False) -> SampleTruth:
    """Generate a synthetic data folder (see :func:`generate_sample`) and write it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write ``<table>.<fmt>`` files into: new or empty (created if needed).
    partnerships, participants, seed
        As for :func:`generate_sample`.
    fmt : {"csv", "parquet", "xlsx"}, default "csv"
        CSV is UTF-8 without an index, numbers written without trailing zeros.
    overwrite : bool, default False
        Write into a folder that is not empty: each table's file (in any of the three
        formats) is replaced, other files are left alone.

    Raises
    ------
    InputError
        If ``out_dir`` is not empty and ``overwrite`` is False (its files may be a
        user's data, with the very names the sample writes), or is a file.

    Returns
    -------
    SampleTruth

    Examples
    --------
    >>> import tempfile
    >>> from evalkit.sample import write_sample
    >>> truth = write_sample(tempfile.mkdtemp(), partnerships=6, participants=40)
    >>> truth.sizes[truth.too_small]
    20
    """
    if fmt not in ("csv", "parquet", "xlsx"):
        raise InputError(f"fmt={fmt!r}: expected 'csv', 'parquet' or 'xlsx'")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{str(out)!r} is a file; expected a folder for the sample data.")
    if out.is_dir() and not overwrite and any(out.iterdir()):
        raise InputError(f"{str(out)!r} is not empty; the sample is written only into a new or empty folder, so "
                         "that no data already there are replaced. Choose another folder, or pass --force "
                         "(overwrite=True) to replace its tables.")
    tables, truth = generate_sample(partnerships, participants, seed)
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in tables.items():
        path = out / f"{table}.{fmt}"
        for other in ("csv", "parquet", "xlsx"):  # one file per table
            if other != fmt and (out / f"{table}.{other}").exists():
                (out / f"{table}.{other}").unlink()
        if fmt == "csv":
            frame.to_csv(path, index=False, encoding="utf-8", float_format="%.6g", lineterminator="\n")
        elif fmt == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_excel(path, index=False)
    return truth
