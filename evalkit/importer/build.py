"""Turn the sources named by a checked spec into the tidy tables of the data contract.

Every problem is collected (unknown column, blank id, answer not in ``labels``, value outside
``scale``, duplicate id within a wave...), each a :class:`~evalkit.errors.Violation` with the
file, the row as a spreadsheet shows it and the column.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit import schema
from evalkit.errors import Violation
from evalkit.importer import match
from evalkit.importer.sources import Source
from evalkit.importer.spec import MeasureSpec, Spec, cell_text

#: partnership ids a batch run uses for its own files
RESERVED_IDS = ("index", "manifest")


@dataclass(frozen=True)
class Built:
    """What :func:`build` made: the tables, the match report and near-misses, notes and problems."""

    tables: dict
    match_report: pd.DataFrame
    near_misses: pd.DataFrame
    notes: list
    violations: list


def safe_slug(text: str, taken: set[str] | None = None) -> str:
    """A safe partnership id from a value or name (``schema.SLUG_PATTERN``), unique among ``taken``.

    Accents are dropped, anything other than letters, digits, ``-`` and ``_`` becomes ``-``; the
    reserved ids ``index`` and ``manifest`` get a suffix.

    Examples
    --------
    >>> safe_slug("Café Société: Year 2"), safe_slug("CBT"), safe_slug("index"), safe_slug("_x")
    ('cafe-societe-year-2', 'cbt', 'index-1', 'x')
    """
    ascii_ = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_).strip("-_")[:64].strip("-_") or "partnership"
    taken = taken or set()
    candidate, n = slug, 1
    while candidate in taken or candidate in RESERVED_IDS:
        suffix = f"-{n}"
        candidate, n = slug[:64 - len(suffix)] + suffix, n + 1
    return candidate


class _Collector:
    def __init__(self, spec: Spec):
        self.spec = spec
        self.violations: list[Violation] = []
        self.cell_problems = 0  # problems in single cells; the others (a missing column...) stop the build
        self.missing_text = {cell_text(v) for v in spec.missing}
        self.missing_num = set(pd.to_numeric(pd.Series(sorted(self.missing_text), dtype=object),
                                             errors="coerce").dropna())

    def emit(self, src: Source, mask: pd.Series, column: str, message) -> None:
        for index in mask.index[mask.to_numpy(bool)]:
            text = message(index) if callable(message) else message
            self.cell_problems += 1
            self.violations.append(Violation(src.name, int(index) + src.first_row, column, text))

    def texts(self, src: Source, column: str, labelled: bool = True) -> pd.Series:
        """Cells as stripped text (value labels applied), with the spec's missing codes as None."""
        raw = src.frame[column]
        text = raw.map(cell_text)
        if labelled and src.value_labels.get(column):
            text = text.map(lambda t: src.value_labels[column].get(t, t) if isinstance(t, str) else None)
        return text.where(~self._is_missing(text, raw), None)

    def _is_missing(self, text: pd.Series, raw: pd.Series) -> pd.Series:
        gone = text.isna() | text.isin(self.missing_text)
        if self.missing_num:
            gone |= pd.to_numeric(raw.map(cell_text), errors="coerce").isin(self.missing_num)
        return gone

    def values(self, src: Source, column: str, m: MeasureSpec) -> pd.Series:
        """A measure's cells as numbers (answer labels mapped), every bad cell reported."""
        raw = src.frame[column]
        text = raw.map(cell_text)
        gone = self._is_missing(text, raw)
        number = pd.to_numeric(raw, errors="coerce") if pd.api.types.is_numeric_dtype(raw) else \
            pd.to_numeric(text, errors="coerce")
        if m.labels:
            mapped = text.map(lambda t: m.labels.get(t.casefold()) if isinstance(t, str) else None)
            number = mapped.astype(float).where(mapped.notna(), number)
        number = number.where(~gone).astype(float)
        bad = ~gone & number.isna()
        if m.labels:
            shown = ", ".join(f"'{k}'" for k in list(m.labels)[:8])
            self.emit(src, bad, column, lambda i: f"'{text[i]}' is not one of the labels of measure '{m.measure}' "
                      f"({shown}; any case) nor a number; add it to the measure's labels or to missing")
        else:
            self.emit(src, bad, column, lambda i: f"'{text[i]}' is not a number (measure '{m.measure}'); give the "
                      "measure labels (answer text -> number) or list it under missing")
        ok = number.notna()
        lo, hi = m.scale_min, m.scale_max
        if lo is not None or hi is not None:
            out = ok & ((number < lo) if lo is not None else False) | ok & ((number > hi) if hi is not None else False)
            rng = f"[{_num(lo)}, {_num(hi)}]"
            self.emit(src, out, column, lambda i: f"{_num(number[i])} is outside the scale {rng} of measure "
                      f"'{m.measure}'; fix the value, widen the scale or list the code under missing")
        else:
            out = pd.Series(False, index=number.index)
        if m.kind == "ordinal":
            frac = ok & ~out & (number != np.round(number))
            self.emit(src, frac, column, lambda i: f"{_num(number[i])} is not a whole number; measure "
                      f"'{m.measure}' is ordinal")
        return number


def _num(x) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "null"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def build(spec: Spec, sources: list[Source]) -> Built:
    """Build the contract tables from the sources (see the module docstring)."""
    c = _Collector(spec)
    notes: list[str] = []
    people, values = [], []
    per_wave = bool(sources) and sources[0].wave is not None
    single_columns = {"partnership": spec.partnership_column, "arm": spec.arm_column, **{
        f"group:{out}": col for col, out in spec.groups.items()}}
    present_in = {k: [] for k, col in single_columns.items() if col}
    measure_found: dict[tuple[str, str], list[str]] = {}
    for k, src in enumerate(sources):
        f = src.frame
        base = pd.DataFrame({"src": k, "file": src.name, "row": f.index.to_numpy() + src.first_row,
                             "wave": src.wave}, index=f.index)
        parts = []
        for col in spec.id_columns:
            found = src.find(col)
            if found is None:
                c.violations.append(Violation(src.name, 1, col, src.suggest(col) + " (the participant id)"))
                continue
            text = c.texts(src, found, labelled=False)
            c.emit(src, text.isna(), found, "the participant id is blank; every row needs one (delete empty "
                   "or test responses from the export, or list them under missing)")
            parts.append(text)
        # without its id column no row of the file can be built; its other columns are still looked up, so that
        # what is missing is reported now and what is there is not (trial 8: each was reported missing)
        complete = len(parts) == len(spec.id_columns)
        if complete:
            base["blank_id"] = pd.concat(parts, axis=1).isna().any(axis=1)
            base["raw_id"] = parts[0] if len(parts) == 1 else pd.concat(parts, axis=1).apply(
                lambda r: " ".join(str(x) for x in r if x is not None), axis=1)
            if spec.id_normalize:
                keys = [p.map(lambda t: match.normalise_id(t) if isinstance(t, str) else None) for p in parts]
            else:
                keys = parts
            base["key"] = keys[0] if len(keys) == 1 else pd.concat(keys, axis=1).apply(
                lambda r: "|".join(str(x) for x in r), axis=1)
        for what, col in single_columns.items():
            if not col:
                continue
            found = src.find(col)
            if found:
                present_in[what].append(k)
            if complete:
                base[what] = c.texts(src, found) if found else None
                if found and what == "partnership":
                    base["partnership_code"] = f[found].map(cell_text)
        slots = set()
        for m in spec.measures:
            for col, wave in m.columns_for(src.wave).items():
                found = src.find(col)
                measure_found.setdefault((m.measure, col), [])
                if found is None:
                    if not per_wave or col != m.column:  # a wide file, or a column the spec ties to this wave
                        c.violations.append(Violation(src.name, 1, col, src.suggest(col) + f" (measure '{m.measure}')"))
                    continue
                measure_found[(m.measure, col)].append(src.name)
                if complete:
                    slots.add(wave)
                    v = c.values(src, found, m)
                    values.append(pd.DataFrame({"src": k, "pos": v.index, "wave": wave, "measure": m.measure,
                                                "value": v.to_numpy(), "label": src.column_labels.get(found)}))
        if complete:
            base["slots"] = [sorted(slots) if src.wave is None else [src.wave]] * len(base)
            base["pos"] = base.index
            people.append(base.reset_index(drop=True))

    for what, col in single_columns.items():
        if col and not present_in[what] and sources:
            c.violations.append(Violation(sources[0].name, 1, col, sources[0].suggest(col) + f" ({what.split(':')[0]})"))
        elif col and len(present_in[what]) < len(sources):
            lacking = ", ".join(s.name for i, s in enumerate(sources) if i not in present_in[what])
            notes.append(f"Column '{col}' ({what.split(':')[0]}) is not in {lacking}; it is taken from the other files.")
    for (mid, col), files in measure_found.items():
        if not files and per_wave:  # (a wide file's missing column is reported per file above)
            c.violations.append(Violation(sources[0].name if sources else spec.file, 1, col,
                                          f"no source has the column '{col}' of measure '{mid}'"))
        elif per_wave and len(files) < len(sources) and any(m.column == col for m in spec.measures if m.measure == mid):
            lacking = ", ".join(s.name for s in sources if s.name not in files)
            notes.append(f"Measure '{mid}' (column '{col}') is not in {lacking}: it has no answers in that wave.")
    if len(c.violations) > c.cell_problems or not people:  # a missing column: nothing more can be checked
        return Built({}, pd.DataFrame(), pd.DataFrame(), notes, c.violations)
    # problems in single cells (bad answers, blank ids) are reported with those found below (duplicate ids...)

    rows = pd.concat(people, ignore_index=True)
    rows = rows[~rows["blank_id"].astype(bool)]  # (reported above)
    vals = pd.concat(values, ignore_index=True) if values else pd.DataFrame(
        columns=["src", "pos", "wave", "measure", "value", "label"])
    seen = [s.wave for s in sources if s.wave] + [m for m in vals["wave"]]
    waves = list(spec.waves) if spec.waves else _order(seen)
    wave_rank = {w: i for i, w in enumerate(waves)}

    # partnerships: a column whose values are partnerships, or one for the whole import
    if spec.partnership_column is None:
        rows["partnership"] = spec.partnership_id
        rows["partnership_code"] = spec.partnership_id
    rows["_order"] = rows["wave"].map(wave_rank).fillna(-1)
    rows = rows.sort_values(["_order", "src", "row"], kind="stable")
    by_partnership = len(present_in.get("partnership", [])) == len(sources) or spec.partnership_column is None
    rows["participant"] = (rows["partnership"].astype(str) + "\x1f" + rows["key"]) if by_partnership else rows["key"]
    if not by_partnership:  # a participant's partnership comes from the waves that record it
        first = rows.dropna(subset=["partnership"]).groupby("participant")[["partnership", "partnership_code"]].first()
        clash = rows.dropna(subset=["partnership"]).groupby("participant")["partnership"].nunique()
        for pid in clash[clash > 1].index:
            r = rows[(rows["participant"] == pid) & rows["partnership"].notna()]
            c.violations.append(Violation(r["file"].iloc[-1], int(r["row"].iloc[-1]), spec.partnership_column,
                                          f"this participant is in partnership '{r['partnership'].iloc[0]}' in "
                                          f"{r['file'].iloc[0]} row {r['row'].iloc[0]} but "
                                          f"'{r['partnership'].iloc[-1]}' here"))
        rows["partnership"] = rows["participant"].map(first["partnership"])
        rows["partnership_code"] = rows["participant"].map(first["partnership_code"])
    blank = rows["partnership"].isna()
    for r in rows[blank].drop_duplicates("participant").itertuples():
        c.violations.append(Violation(r.file, int(r.row), spec.partnership_column,
                                      "the partnership is blank; every participant needs one"))
    rows = rows[~blank]

    # the partnerships table: ids made safe, names from the spec, the value labels or the values
    partnerships, ids = [], {}
    taken: set[str] = set()
    for value, code in rows[["partnership", "partnership_code"]].drop_duplicates("partnership").itertuples(index=False):
        name = spec.partnership_names.get(code) or spec.partnership_names.get(value) or (
            spec.partnership_name if spec.partnership_column is None else value)
        coded = value != code  # an SPSS/Stata code with a value label: the id comes from the label
        base = spec.partnership_id if spec.partnership_column is None else value
        pid = base if (re.match(schema.SLUG_PATTERN, base) and base not in RESERVED_IDS and base not in taken
                       and not coded) else safe_slug(base, taken)
        if spec.partnership_column is None and pid != base:
            notes.append(f"The partnership id '{base}' is not a safe id; it was written as '{pid}'.")
        taken.add(pid)
        ids[value] = pid
        ptype = spec.partner_type.get(code, spec.partner_type.get(value, "other")) \
            if isinstance(spec.partner_type, dict) else spec.partner_type
        lead = spec.lead_institution
        lead = lead.get(code, lead.get(value)) if isinstance(lead, dict) else lead
        partnerships.append({"partnership_id": pid, "name": name, "partner_type": ptype, "lead_institution": lead})
    rows["partnership_id"] = rows["partnership"].map(ids)

    # duplicates: one participant twice in one wave is a violation, every repeat listed
    slots = rows.explode("slots").dropna(subset=["slots"])
    dup = slots.duplicated(["participant", "slots"], keep=False)
    dup_counts: dict[str, int] = {}
    repeats: dict[tuple, dict] = {}  # (file, row) of a repeat -> what it repeats, in which waves
    for (_, wave), group in slots[dup].groupby(["participant", "slots"], sort=False):
        where = ", ".join(f"{r.file} row {r.row}" for r in group.itertuples())
        same = "" if group["raw_id"].nunique() == 1 else " (the same id once case, spaces and punctuation are ignored)"
        for r in group.iloc[1:].itertuples():
            entry = repeats.setdefault((r.file, int(r.row)), {"raw": r.raw_id, "pid": r.partnership_id, "waves": [],
                                                              "n": len(group), "where": where, "same": same})
            entry["waves"].append(wave)
    for (file, row), e in repeats.items():
        dup_counts[e["pid"]] = dup_counts.get(e["pid"], 0) + 1
        waves_text = ", ".join(f"'{w}'" for w in e["waves"])
        c.violations.append(Violation(file, row, _id_label(spec), (
            f"participant id '{e['raw']}' appears {e['n']} times in wave{'s' if len(e['waves']) > 1 else ''} "
            f"{waves_text} ({e['where']}){e['same']}; a participant answers each wave once: remove the repeat "
            "or correct the id")))

    # participants: one row per participant, attributes from the earliest wave that records them
    ordered = rows.drop_duplicates("participant")
    pseudonym = (lambda key: "p" + hashlib.sha256(key.encode()).hexdigest()[:12]) if spec.pseudonymize else None
    written = ordered["participant"].map(pseudonym) if pseudonym else ordered["raw_id"]
    pid_of = dict(zip(ordered["participant"], written))
    participants = pd.DataFrame({"participant_id": written.to_numpy(),
                                 "partnership_id": ordered["partnership_id"].to_numpy()})
    if spec.arm_column:
        arm = rows.dropna(subset=["arm"]).groupby("participant")["arm"].first()
        program = {v.casefold() for v in spec.arm_program}
        comparison = {v.casefold() for v in spec.arm_comparison}
        for r in rows.dropna(subset=["arm"]).itertuples():
            if r.arm.casefold() not in program | comparison:
                c.violations.append(Violation(r.file, int(r.row), spec.arm_column, (
                    f"'{r.arm}' is in neither arm; expected a program value ({', '.join(spec.arm_program)}) or a "
                    f"comparison value ({', '.join(spec.arm_comparison)})")))
        arms = arm.map(lambda v: "program" if v.casefold() in program else
                       "comparison" if v.casefold() in comparison else None)
        participants["arm"] = ordered["participant"].map(arms).to_numpy()
    for col, out in spec.groups.items():
        variants = case_variants(rows[f"group:{out}"])
        if variants:
            rows[f"group:{out}"] = rows[f"group:{out}"].replace(variants)
            merged = "; ".join(", ".join(f"'{v}'" for v, k in variants.items() if k == keep) + f" as '{keep}'"
                               for keep in dict.fromkeys(variants.values()))
            notes.append(f"Group column '{col}': values that differ only in case or spaces were written as one "
                         f"group: {merged}. Correct the export if they are different groups.")
        got = rows.dropna(subset=[f"group:{out}"]).groupby("participant")[f"group:{out}"].first()
        participants[out] = ordered["participant"].map(got).to_numpy()

    # responses: every answer given (blank answers are left out), in wave order
    key = rows.set_index(["src", "pos"])
    vals = vals.join(key[["participant", "partnership_id"]], on=["src", "pos"], how="inner")
    present = pd.concat([
        rows.loc[rows["wave"].notna(), ["partnership_id", "participant", "wave"]],
        vals.loc[vals["value"].notna() & vals["src"].isin([i for i, s in enumerate(sources) if s.wave is None]),
                 ["partnership_id", "participant", "wave"]]]).drop_duplicates()
    answered = vals.dropna(subset=["value"])
    responses = pd.DataFrame({
        "participant_id": answered["participant"].map(pid_of).to_numpy(),
        "partnership_id": answered["partnership_id"].to_numpy(), "wave": answered["wave"].to_numpy(),
        "measure": answered["measure"].to_numpy(), "value": answered["value"].to_numpy()})
    responses["_w"] = responses["wave"].map(wave_rank)
    responses = responses.sort_values(["partnership_id", "_w"], kind="stable").drop(columns="_w").reset_index(drop=True)

    measures = []
    for m in spec.measures:
        # a label taken from one wave's question ("Confidence (pre)") names the measure without that wave
        seen = next((x for x in vals.loc[vals["measure"] == m.measure, "label"] if x), None)
        label = m.label or label_without_wave(seen, [w for w in pd.unique(vals["wave"].dropna())]) or m.measure
        measures.append({"measure": m.measure, "label": label, "domain": m.domain, "kind": m.kind,
                         "scale_min": m.scale_min, "scale_max": m.scale_max, "higher_is_better": m.higher_is_better,
                         "shared": m.shared, "scale": m.scale_name, "reverse_coded": m.reverse_coded})
        if m.kind == "ordinal" and (m.scale_min is None or m.scale_max is None):
            c.violations.append(Violation(spec.file, None, f"measures.{m.measure}.scale",
                                          "an ordinal measure needs its scale: [min, max] (or labels)"))
    tables = {"partnerships": pd.DataFrame(partnerships), "participants": participants,
              "measures": pd.DataFrame(measures), "responses": responses}
    if spec.waves:
        tables["waves"] = pd.DataFrame({"wave": waves, "order": range(1, len(waves) + 1)})

    names = {p["partnership_id"]: p["name"] for p in partnerships}
    misses = match.near_misses(rows.explode("slots").rename(columns={"slots": "_slot"}).assign(
        wave=lambda d: d["wave"].fillna(d["_slot"]))[["partnership_id", "wave", "file", "row", "raw_id", "key"]]
        .drop_duplicates(["file", "row", "wave"]))
    report = match.match_report(present, waves, names, misses, dup_counts)
    for name, n in ((s.name, (s.frame.get("Status", pd.Series(dtype=object)).astype(str) == "Survey Preview").sum())
                    for s in sources if s.tool == "qualtrics"):
        if n:
            notes.append(f"{name}: {n} row(s) are Qualtrics survey previews (Status = Survey Preview); they were "
                         "imported like the others: delete them from the export if they are tests.")
    return Built(tables, report, misses, notes, c.violations)


def case_variants(values: pd.Series) -> dict[str, str]:
    """Values that differ only in case or spaces from a more frequent one: spelling -> the spelling kept.

    Values are compared by :func:`evalkit.schema.spelling_key` (runs of spaces made one, case folded: the
    rule ``evalkit validate`` warns by); in each set of variants the most frequent spelling is kept (on a
    tie, the first seen).

    Examples
    --------
    >>> case_variants(pd.Series(["Female", "female", "Male", "Female", "FEMALE", None]))
    {'female': 'Female', 'FEMALE': 'Female'}
    """
    seen = values.dropna().astype(str)
    out: dict[str, str] = {}
    if seen.empty:
        return out
    for _, group in seen.groupby(seen.map(schema.spelling_key), sort=False):
        counts = group.groupby(group, sort=False).size()
        if len(counts) > 1:
            keep = counts.idxmax()
            out.update({v: keep for v in counts.index if v != keep})
    return out


#: wave words a survey tool writes into one wave's question label: pre, post, T1, wave 2, follow-up, baseline...
_WAVE_WORDS = r"pre|post|pre-?test|post-?test|before|after|baseline|endline|midline|follow[_ -]?up|t\d{1,2}|w\d{1,2}|wave[_ ]?\d{1,2}|time[_ ]?\d{1,2}"


def label_without_wave(label, waves=()) -> str | None:
    """A measure's label from one wave's question label, without that wave's name at its end.

    ``"Confidence (pre)"`` -> ``"Confidence"``, ``"Test score T1"`` -> ``"Test score"``: the label names
    the measure, compared across waves, so a wave in it would name every wave's change after the first.
    The words removed are the usual wave names and ``waves`` (the spec's); a label that is only a wave
    is kept as it is.

    Examples
    --------
    >>> label_without_wave("Confidence (pre)"), label_without_wave("Test score T1"), label_without_wave("Weight")
    ('Confidence', 'Test score', 'Weight')
    >>> label_without_wave("Reading [Autumn]", ["autumn", "spring"])
    'Reading'
    """
    if label is None:
        return None
    words = "|".join([_WAVE_WORDS, *(re.escape(str(w)) for w in waves if str(w).strip())])
    stripped = re.sub(rf"[\s_.:,\-]*(?:\(\s*(?:{words})\s*\)|\[\s*(?:{words})\s*\]|\b(?:{words}))\s*$", "",
                      str(label), flags=re.IGNORECASE).strip()
    return stripped or str(label)


def _id_label(spec: Spec) -> str:
    return spec.id_columns[0] if len(spec.id_columns) == 1 else "+".join(spec.id_columns)


def _order(seen) -> list[str]:
    from evalkit.load import order_waves

    return order_waves([w for w in seen if w is not None])
