"""A starter import spec from an export's columns: ``evalkit import --template SOURCE``.

Waves are guessed from column names (``reading_pre``/``reading_post``, ``score_T1``/``score_T2``,
``pre_score``/``post_score``, ``Prewt``/``Postwt``) or, for one file per wave, from the file names;
kinds from the values (0/1 or yes/no: binary; whole numbers from 0 or 1 up to at most 10, or the words
of a known scale in :data:`LIKERT` (agreement, frequency, quality, satisfaction, likelihood, importance,
confidence): ordinal; other numbers: continuous). A column named like a characteristic of the participants
(``Grade``, ``Age group``, ``Cohort``) with 2 to 12 values is a group, even when its values are numbers. The
partnership column is one named like ``Site``,
``School`` or ``Partnership``; labels come from the question text when the export has it, else the
column name as words (``Confidence``). A column the template cannot place is named in a ``# check``
comment, never left out silently. The analyst checks every line marked ``# check``.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from evalkit import schema
from evalkit.errors import DataValidationError, InputError
from evalkit.importer.build import label_without_wave, safe_slug
from evalkit.importer.sources import GOOGLE_FORMS_META, QUALTRICS_META, Source, excel_sheets, read_source
from evalkit.importer.spec import SourceSpec, cell_text
from evalkit.load import normalise_header

_WAVE = r"pre|post|baseline|endline|midline|follow[_ -]?up|t\d{1,2}|w\d{1,2}|wave[_ ]?\d{1,2}|time[_ ]?\d{1,2}"
_SUFFIX = re.compile(rf"^(?P<stem>.*?[A-Za-z0-9])[\s_.\-]*(?P<wave>{_WAVE})$", re.IGNORECASE)
_PREFIX = re.compile(rf"^(?P<wave>{_WAVE})[\s_.\-]*(?P<stem>[A-Za-z0-9].*)$", re.IGNORECASE)
_FILE_WAVE = re.compile(rf"(?:^|[\s_.\-])(?P<wave>{_WAVE})(?:$|[\s_.\-])", re.IGNORECASE)
_ID_NAMES = ("participant_id", "participant", "id", "student_id", "respondent_id", "respondent", "person_id",
             "case_id", "record_id", "subject", "subject_id", "externalreference", "externaldatareference",
             "responseid", "response_id", "email_address", "email")
_PARTNERSHIP_NAMES = ("partnership", "partnership_id", "partnership_name", "partner", "site", "program", "programme",
                      "school", "school_name", "site_name", "partner_name", "program_name", "programme_name",
                      "centre", "center", "campus", "organisation", "organization", "branch", "location")
#: words that make a text column the likely partnership column when no column has one of the names above
_PARTNERSHIP_WORDS = {"partnership", "partner", "site", "school", "program", "programme", "centre", "center",
                      "campus", "organisation", "organization", "branch"}
#: words that make a column with few values a characteristic of the participants (a group), even when its
#: values are numbers: a school grade of 9-12 describes who answered, it is not a measure to compare
_CHARACTERISTIC_WORDS = {"grade", "cohort", "gender", "sex", "ethnicity", "race", "age", "class", "yeargroup",
                         "form", "track", "stream"}
_CHARACTERISTIC_PAIRS = {("year", "group"), ("year", "level"), ("grade", "level"), ("age", "group"),
                         ("age", "band"), ("school", "year")}
#: ordered answer scales recognised in text answers (the first that covers every answer seen is used)
LIKERT = (
    ("strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"),
    ("strongly disagree", "disagree", "neutral", "agree", "strongly agree"),
    # Qualtrics' default agreement scale, and its "slightly" variant: 5 points, before the 7-point one that holds
    # them (trial 8: scored 1, 3, 4, 5, 7 on a 1-7 range)
    ("strongly disagree", "somewhat disagree", "neither agree nor disagree", "somewhat agree", "strongly agree"),
    ("strongly disagree", "slightly disagree", "neither agree nor disagree", "slightly agree", "strongly agree"),
    ("strongly disagree", "disagree", "somewhat disagree", "neither agree nor disagree", "somewhat agree", "agree",
     "strongly agree"),
    ("strongly disagree", "disagree", "agree", "strongly agree"),
    ("never", "rarely", "sometimes", "often", "always"),
    ("poor", "fair", "good", "very good", "excellent"),
    ("very poor", "poor", "fair", "good", "very good"),
    ("very dissatisfied", "dissatisfied", "neither satisfied nor dissatisfied", "satisfied", "very satisfied"),
    ("very dissatisfied", "dissatisfied", "neutral", "satisfied", "very satisfied"),
    ("not at all satisfied", "slightly satisfied", "moderately satisfied", "very satisfied", "extremely satisfied"),
    ("very unlikely", "unlikely", "neither likely nor unlikely", "likely", "very likely"),
    ("very unlikely", "unlikely", "neutral", "likely", "very likely"),
    ("not at all likely", "slightly likely", "moderately likely", "very likely", "extremely likely"),
    ("not at all important", "slightly important", "moderately important", "very important", "extremely important"),
    ("not at all important", "not very important", "somewhat important", "very important"),
    ("not at all confident", "slightly confident", "somewhat confident", "very confident", "extremely confident"),
)
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .\-()/]*$")
_YAML_WORDS = {"yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"}


def _q(text) -> str:
    """A YAML scalar: plain when safe, else a JSON string (valid YAML)."""
    text = str(text)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and text == text.strip() and ": " not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _wave_name(token: str) -> str:
    token = re.sub(r"[\s_\-]", "", token.lower())
    return re.sub(r"^(wave|time|w)(\d)", r"t\2", token)


def guess_waves(columns) -> dict[str, dict[str, str]]:
    """Columns that hold one question at several waves: stem -> {column: wave}.

    Examples
    --------
    >>> guess_waves(["Prewt", "Postwt", "Treat", "reading_T1", "reading_T2", "president"])
    {'wt': {'Prewt': 'pre', 'Postwt': 'post'}, 'reading': {'reading_T1': 't1', 'reading_T2': 't2'}}
    """
    found: dict[str, dict[str, str]] = {}
    for pattern in (_SUFFIX, _PREFIX):
        candidates: dict[str, dict[str, str]] = {}
        for column in columns:
            if any(column in group for group in found.values()):
                continue
            m = pattern.match(str(column).strip())
            if m:
                candidates.setdefault(m.group("stem").lower(), {})[column] = _wave_name(m.group("wave"))
        for stem, group in candidates.items():
            if len(set(group.values())) >= 2 and len(set(group.values())) == len(group):
                found[stem] = group
    position = {c: i for i, c in enumerate(columns)}
    return dict(sorted(found.items(), key=lambda item: min(position[c] for c in item[1])))


def guess_kind(values: pd.Series) -> dict:
    """Kind, scale and labels of a measure from its answers (see the module docstring).

    Examples
    --------
    >>> guess_kind(pd.Series(["Agree", "Strongly agree", "Disagree"]))["labels"]["Strongly agree"]
    5
    >>> guess_kind(pd.Series([80.5, 91.2]))["kind"], guess_kind(pd.Series([1, 3, 5]))["scale"]
    ('continuous', [1, 5])
    """
    text = values.map(cell_text).dropna()
    if text.empty:
        return {"kind": "continuous", "scale": [None, None]}
    number = pd.to_numeric(text, errors="coerce")
    if number.notna().all():
        seen = set(number)
        if seen <= {0, 1}:
            return {"kind": "binary", "scale": [0, 1]}
        if (number == number.round()).all() and number.min() in (0, 1) and number.max() <= 10:
            return {"kind": "ordinal", "scale": [int(number.min()), int(number.max())], "check_scale": True}
        return {"kind": "continuous", "scale": [None, None]}
    answers = {t.casefold(): t for t in text}
    if set(answers) <= {"yes", "no"}:
        return {"kind": "binary", "scale": [0, 1], "labels": {answers.get("yes", "Yes"): 1, answers.get("no", "No"): 0}}
    for scale in LIKERT:
        if set(answers) <= set(scale):
            labels = {answers.get(w, w.capitalize()): i for i, w in enumerate(scale, start=1)}
            return {"kind": "ordinal", "scale": [1, len(scale)], "labels": labels}
    return {"kind": None}  # free text or categories: not a measure


def _is_characteristic(column, values: pd.Series) -> bool:
    """Whether a column is named like a participant characteristic (``Grade``, ``Age group``, ``Cohort``)
    and has 2 to 12 values, numbers included, that are not answers on a known scale."""
    words = [w for w in normalise_header(column).split("_") if w]
    named = bool(set(words) & _CHARACTERISTIC_WORDS) or bool(set(zip(words, words[1:])) & _CHARACTERISTIC_PAIRS)
    seen = values.map(cell_text).dropna()
    return named and 2 <= seen.nunique() <= 12 and "labels" not in guess_kind(seen)


#: Header words of a column that holds what people wrote, not a group they belong to.
_FREE_TEXT_WORDS = {"comment", "comments", "feedback", "suggestion", "suggestions", "remarks", "notes", "explain",
                    "describe", "why", "anything", "timestamp", "submitted"}
_DATE = re.compile(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")


def _free_text(column, values: pd.Series) -> bool:
    """Whether a column reads as free text (or a time stamp), never a group: its header asks for comments or
    gives the time of a response, a value holds a contact detail, a long sentence, or a date and time.

    Group values are printed in reports as the names of groups, so a comment imported as a group would be
    published as it was written (trial 8: "Any comments?" was proposed as a group, and a phone number in it
    printed as a group's name)."""
    from evalkit.voices import redact

    if set(w for w in normalise_header(column).split("_") if w) & _FREE_TEXT_WORDS:
        return True
    seen = values.map(cell_text).dropna().astype(str)
    if seen.empty:
        return False
    if seen.str.len().median() > 40 or seen.str.split().str.len().median() >= 6:
        return True   # sentences ("Native Hawaiian or Other Pacific Islander" is one group among short ones)
    if any(redact(v) != v for v in pd.unique(seen)):
        return True
    return bool(seen.str.contains(_DATE).mean() > 0.5)   # dates and times of responses


def _read(path: Path, wave=None) -> Source:
    src, problems = read_source(SourceSpec(path, wave))
    if src is None:
        raise DataValidationError(problems, source=str(path))
    return src


def _meta(src: Source) -> set[str]:
    names = set(QUALTRICS_META) if src.tool == "qualtrics" else set(GOOGLE_FORMS_META) if src.tool else set()
    return {c for c in src.frame.columns if normalise_header(c) in names}


def _words(text: str) -> str:
    """A measure label from a column name or question: ``confidence`` -> ``Confidence`` (other text kept)."""
    text = re.sub(r"[_\s]+", " ", str(text)).strip()
    return text[:1].upper() + text[1:] if text == text.lower() else text


def _stem_of(column: str) -> str:
    """A wave column's name without its wave, as written (``Knowledge Pre`` -> ``Knowledge``)."""
    for pattern in (_SUFFIX, _PREFIX):
        m = pattern.match(str(column).strip())
        if m:
            return m.group("stem")
    return str(column)


def _partnership_column(src: Source, skip: set) -> str | None:
    """A column whose name says it holds the partnership (``Site``, ``School``...), else None."""
    by_name = {normalise_header(c): c for c in src.frame.columns if c not in skip}
    found = next((by_name[n] for n in _PARTNERSHIP_NAMES if n in by_name), None)
    if found is not None:
        return found
    for name, column in by_name.items():
        values = src.frame[column].map(cell_text).dropna()
        if (set(re.split(r"[^a-z]+", name)) & _PARTNERSHIP_WORDS and not values.empty
                and pd.to_numeric(values, errors="coerce").isna().all() and values.nunique() < len(values)
                and guess_kind(values)["kind"] is None):  # "How satisfied are you with the program?" is a measure
            return column
    return None


def _id_column(src: Source) -> str | None:
    by_name = {normalise_header(c): c for c in src.frame.columns}
    for name in _ID_NAMES:
        column = by_name.get(name)
        if column is not None and src.frame[column].notna().all() and src.frame[column].is_unique:
            return column
    for column in src.frame.columns:
        if column not in _meta(src) and src.frame[column].notna().all() and src.frame[column].is_unique:
            return column
    return None


def starter_spec(sources, spec_dir: str | Path | None = None) -> str:
    """The text of a starter import spec for one wide export, or one export per wave.

    Parameters
    ----------
    sources : path or list of paths
        One wide file (waves guessed from column names), or several files, one per wave
        (waves guessed from file names such as ``survey_pre.csv``/``survey_post.csv``).
    spec_dir : str or Path, optional
        Folder the spec will be saved in (source paths are written relative to it;
        default: the working folder).

    Returns
    -------
    str
        YAML with comments; lines marked ``# check`` are guesses.

    Examples
    --------
    >>> print(starter_spec("data/examples/anorexia_wide.csv", "data/examples"))  # doctest: +ELLIPSIS
    # Starter import spec written by `evalkit import --template`...
    """
    paths = [Path(p) for p in ([sources] if isinstance(sources, (str, Path)) else sources)]
    if not paths:
        raise InputError("give at least one export to write a template from")
    spec_dir = Path(spec_dir) if spec_dir is not None else Path.cwd()
    waves = [None] * len(paths)
    if len(paths) > 1:
        waves = []
        for i, p in enumerate(paths, start=1):
            m = _FILE_WAVE.search(p.stem)
            waves.append(_wave_name(m.group("wave")) if m else f"t{i}")
        if len(set(waves)) < len(waves):
            waves = [f"t{i}" for i in range(1, len(paths) + 1)]
    srcs = [_read(p, w) for p, w in zip(paths, waves)]
    first = srcs[0]
    id_column = _id_column(first)
    pcol = _partnership_column(first, _meta(first) | {id_column})
    skip = _meta(first) | {id_column, pcol}

    out = ["# Starter import spec written by `evalkit import --template`. Check every line marked `# check`,",
           "# then run: evalkit import THIS_FILE.yml --out DATA_DIR   (keys: `evalkit contract`, Importing survey exports)",
           "sources:"]
    for p, w, s in zip(paths, waves, srcs):
        rel = Path(os.path.relpath(p.resolve(), spec_dir.resolve())).as_posix()
        tool = f"  # {s.tool} export" if s.tool else ""
        out.append(f"  - path: {_q(rel)}{tool}")
        if w is not None:
            out.append(f"    wave: {w}  # check")
        sheets = excel_sheets(p) if p.suffix.lower() == ".xlsx" else None
        if sheets and len(sheets) > 1:   # only the first sheet was read (trial 8: a workbook with a sheet per wave)
            out.append(f"    # check: the workbook has {len(sheets)} sheets ({', '.join(sheets)}) and only the first "
                       "was read; if they are waves, give one source per sheet (sheet: NAME, wave: WAVE)")
    out.append(f"id: {_q(id_column) if id_column else 'PARTICIPANT_ID_COLUMN'}  # check: the participant id column")
    out.append("id_normalize: true")
    if id_column and normalise_header(id_column) in schema.IDENTIFYING_COLUMNS:
        # the column that matches people across waves is a contact detail (an e-mail address): the data folder
        # must not keep it as their id (trial 8: the e-mails became participant_id, in clear)
        out.append(f"pseudonymize: true  # check: {json.dumps(str(id_column), ensure_ascii=False)} is identifying; "
                   "participants are matched by it and then given ids that do not reveal it")
    if pcol:
        out += ["partnership:", f"  column: {_q(pcol)}  # check: its values name the partnerships"]
    else:
        stem = re.sub(_FILE_WAVE, " ", paths[0].stem) if len(paths) > 1 else paths[0].stem
        pid = safe_slug(stem.strip(" _-") or "partnership")
        out += ["partnership:  # one partnership for the whole file", f"  id: {pid}",
                f"  name: {_q(stem.replace('_', ' ').strip().title())}  # check", "  partner_type: other  # check"]

    measures, groups, used = [], [], set(skip)
    if len(srcs) == 1:
        for stem, cols in guess_waves([c for c in first.frame.columns if c not in skip]).items():
            guess = guess_kind(pd.concat([first.frame[c] for c in cols], ignore_index=True))
            if guess["kind"] is not None:
                label = label_without_wave(next((first.column_labels[c] for c in cols if first.column_labels.get(c)),
                                                None), set(cols.values()))
                measures.append((stem, guess, label or _words(_stem_of(next(iter(cols)))), {"waves": cols}))
                used |= set(cols)
    else:
        columns = list(dict.fromkeys(c for s in srcs for c in s.frame.columns if c not in skip | _meta(s)))
        for column in columns:
            series = pd.concat([s.frame[column] for s in srcs if column in s.frame], ignore_index=True)
            if _is_characteristic(column, series):
                continue  # a group (below), not a measure
            guess = guess_kind(series)
            if guess["kind"] is not None:
                label = next((s.column_labels[column] for s in srcs if s.column_labels.get(column)), None)
                measures.append((column, guess, label or _words(column), {"column": column}))
                used.add(column)
    for column in first.frame.columns:
        if column in used or normalise_header(column) in schema.IDENTIFYING_COLUMNS:
            continue
        values = first.frame[column].map(cell_text).dropna()
        if _free_text(column, values):
            continue  # listed below as not imported: free text belongs in comments, never in a group's name
        if _is_characteristic(column, values) or (2 <= values.nunique() <= 12 and values.nunique() < len(values)
                                                   and pd.to_numeric(values, errors="coerce").isna().all()
                                                   and guess_kind(values)["kind"] != "ordinal"):
            groups.append(column)  # (answers on a known scale are a question, never a group)
    left = [c for c in dict.fromkeys(c for s in srcs for c in s.frame.columns if c not in _meta(s))
            if c not in used and c not in groups]
    if groups:
        out.append(f"groups: [{', '.join(_q(g) for g in groups)}]  # check: columns describing groups of participants")
    for column in left:
        seen = pd.concat([s.frame[column] for s in srcs if column in s.frame]).map(cell_text).dropna()
        one_wave = len(srcs) == 1 and not seen.empty
        what = ("numbers in one column without a column per wave" if one_wave and
                pd.to_numeric(seen, errors="coerce").notna().all() else
                "answers on a known scale in one column without a column per wave" if one_wave and
                guess_kind(seen)["kind"] == "ordinal" else
                "free text, or answers not recognised as numbers, yes/no or a known scale")
        why = ("identifying: never imported" if normalise_header(column) in schema.IDENTIFYING_COLUMNS else
               f"not imported ({what}): add it under measures (with its labels) or groups if it is one")
        out.append(f"# check: column {json.dumps(str(column), ensure_ascii=False)} is {why}")
    out.append("missing: [-99, \"N/A\"]  # check: codes that mean 'no answer'")
    out.append("measures:")
    if not measures:
        out.append("  # no measure found: add one per question, e.g. score: {kind: continuous, ...}")
    taken: set[str] = set()
    for stem, guess, label, where in measures:
        mid = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_")[:60] or "measure"
        mid = mid if re.match(schema.SLUG_PATTERN, mid) else f"m_{mid}"
        while mid in taken:
            mid += "_2"
        taken.add(mid)
        out.append(f"  {mid}:")
        out.append(f"    label: {_q(label)}  # check")
        out.append(f"    kind: {guess['kind']}  # check")
        out.append("    higher_is_better: true  # check: false when a higher value is worse (e.g. stress)")
        lo, hi = guess["scale"]
        note = "  # check: bounds seen in the data" if guess.get("check_scale") else ""
        out.append(f"    scale: [{'null' if lo is None else lo}, {'null' if hi is None else hi}]{note}")
        if guess.get("labels"):
            pairs = ", ".join(f"{_q(k)}: {v}" for k, v in guess["labels"].items())
            out.append(f"    labels: {{{pairs}}}")
        if "waves" in where:
            pairs = ", ".join(f"{_q(c)}: {w}" for c, w in where["waves"].items())
            out.append(f"    waves: {{{pairs}}}")
        else:
            out.append(f"    column: {_q(where['column'])}")
    return "\n".join(out) + "\n"


def write_template(sources, out: str | Path | None = None) -> str:
    """Write :func:`starter_spec` to ``out`` (never over an existing file) and return its text.

    Examples
    --------
    >>> text = write_template("data/examples/anorexia_wide.csv")
    >>> "waves: {Prewt: pre, Postwt: post}" in text
    True
    """
    spec_dir = Path(out).resolve().parent if out is not None else None
    text = starter_spec(sources, spec_dir)
    if out is not None:
        out = Path(out)
        if out.exists():
            raise InputError(f"{out} exists; the template is never written over a file: choose another name")
        out.write_text(text, encoding="utf-8")
    return text
