"""The import spec: a YAML file (or a dict) saying how wide exports map onto the data contract.

:func:`load_spec` reads and checks it, returning a frozen :class:`Spec` and the list of problems,
each a :class:`~evalkit.errors.Violation` naming the spec file, the line of the offending key and
the key's path (``measures.weight.kind``). The keys are documented in ``data/README.md``
("Importing survey exports").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit import schema
from evalkit.errors import InputError, Violation

TOP_KEYS = ("sources", "id", "id_normalize", "pseudonymize", "partnership", "arm", "groups", "waves", "missing",
            "measures")
SOURCE_KEYS = ("path", "wave", "sheet")
PARTNERSHIP_KEYS = ("column", "names", "id", "name", "partner_type", "lead_institution")
ARM_KEYS = ("column", "program", "comparison")
MEASURE_KEYS = ("label", "kind", "higher_is_better", "scale", "labels", "waves", "column", "domain", "shared",
                "scale_name", "reverse_coded")


@dataclass(frozen=True)
class SourceSpec:
    """One input file: its path (resolved against the spec's folder), its wave (None: wide) and sheet."""

    path: Path
    wave: str | None = None
    sheet: str | int | None = None


@dataclass(frozen=True)
class MeasureSpec:
    """One measure: contract metadata plus where its values are (``waves`` column -> wave, or ``column``)."""

    measure: str
    kind: str
    higher_is_better: bool
    label: str | None = None
    scale_min: float | None = None
    scale_max: float | None = None
    labels: dict = field(default_factory=dict)  # case-folded answer text -> number
    waves: dict = field(default_factory=dict)   # column -> wave
    column: str | None = None
    domain: str | None = None
    shared: bool = False
    scale_name: str | None = None
    reverse_coded: bool = False

    def columns_for(self, wave: str | None) -> dict[str, str]:
        """Columns holding this measure in a source of ``wave`` (None: a wide source), as column -> wave."""
        if wave is None:
            return dict(self.waves)
        found = {c: w for c, w in self.waves.items() if w == wave}
        if not found and self.column is not None:
            found = {self.column: wave}
        return found


@dataclass(frozen=True)
class Spec:
    """A checked import spec (see ``data/README.md``, "Importing survey exports")."""

    file: str
    base_dir: Path
    sources: tuple[SourceSpec, ...]
    id_columns: tuple[str, ...]
    measures: tuple[MeasureSpec, ...]
    id_normalize: bool = True
    pseudonymize: bool = False
    partnership_column: str | None = None
    partnership_names: dict = field(default_factory=dict)
    partnership_id: str | None = None
    partnership_name: str | None = None
    partner_type: Any = "other"          # a type, or a dict value -> type
    lead_institution: Any = None         # a text, or a dict value -> text
    arm_column: str | None = None
    arm_program: tuple[str, ...] = ()
    arm_comparison: tuple[str, ...] = ()
    groups: dict = field(default_factory=dict)  # source column -> participants column
    waves: tuple[str, ...] | None = None
    missing: tuple[str, ...] = ()


def _key_lines(node, path=(), out=None) -> dict:
    """Map each key path of a composed YAML node to its 1-based line."""
    import yaml

    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            out[sub] = key.start_mark.line + 1
            _key_lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out[(*path, i)] = item.start_mark.line + 1
            _key_lines(item, (*path, i), out)
    return out


def cell_text(value) -> str | None:
    """A cell or spec value as text: ``7.0`` -> ``'7'``, stripped; missing -> None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


class _Checker:
    """Collects violations while walking the raw spec, each located by its key path and line."""

    def __init__(self, file: str, lines: dict):
        self.file, self.lines, self.violations = file, lines, []

    def bad(self, path: tuple, message: str) -> None:
        line = None
        for i in range(len(path), 0, -1):  # the line of the key, or of its nearest parent
            line = self.lines.get(tuple(path[:i]))
            if line is not None:
                break
        where = ".".join(str(p) for p in path) or None
        self.violations.append(Violation(self.file, line, where, message))

    def mapping(self, value, path, allowed) -> dict:
        if not isinstance(value, dict):
            self.bad(path, f"expected a mapping with keys {', '.join(allowed)}; found {type(value).__name__}")
            return {}
        for key in value:
            if key not in allowed:
                self.bad((*path, key), f"unknown key '{key}'; expected one of: {', '.join(allowed)}")
        return value

    def text(self, value, path, *, required=False) -> str | None:
        if value is None:
            if required:
                self.bad(path, "is required")
            return None
        if isinstance(value, (dict, list)):
            self.bad(path, f"expected a text; found a {type(value).__name__}")
            return None
        return cell_text(value)

    def flag(self, value, path, default: bool | None) -> bool | None:
        if value is None:
            if default is None:
                self.bad(path, "is required: true or false")
            return default
        if isinstance(value, bool):
            return value
        self.bad(path, f"expected true or false; found {value!r}")
        return default

    def texts(self, value, path) -> tuple[str, ...]:
        if value is None:
            return ()
        items = value if isinstance(value, list) else [value]
        out = []
        for i, item in enumerate(items):
            text = self.text(item, (*path, i) if isinstance(value, list) else path)
            if text is not None:
                out.append(text)
        return tuple(out)

    def number(self, value, path) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad(path, f"expected a number or null; found {value!r}")
            return None
        return float(value)


def _wave(text: str | None) -> str | None:
    return None if text is None else text.strip().lower()


def load_spec(spec, base_dir: str | Path | None = None) -> tuple[Spec | None, list[Violation]]:
    """Read and check an import spec.

    Parameters
    ----------
    spec : str, Path or dict
        A YAML file, or the same structure as a dict (e.g. written in a notebook).
    base_dir : str or Path, optional
        Folder that relative source paths are resolved against (default: the spec
        file's folder, or the working folder for a dict).

    Returns
    -------
    (Spec or None, list of Violation)
        The checked spec (None when it is unusable) and every problem found, each
        naming the spec file, the line of the key (None for a dict) and its path.

    Examples
    --------
    >>> spec, problems = load_spec({"sources": [{"path": "x.csv"}], "id": "pid", "partnership": {"id": "p1",
    ...     "name": "P1"}, "measures": {"w": {"kind": "continuous", "higher_is_better": True,
    ...     "waves": {"w_pre": "pre", "w_post": "post"}}}})
    >>> problems, spec.measures[0].waves
    ([], {'w_pre': 'pre', 'w_post': 'post'})
    """
    import yaml

    lines: dict = {}
    if isinstance(spec, dict):
        raw, file = spec, "spec"
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(spec)
        file = path.name
        base = Path(base_dir) if base_dir is not None else path.resolve().parent
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [Violation(file, None, None, f"the spec could not be read ({exc})")]
        try:
            raw = yaml.safe_load(text)
            node = yaml.compose(text)
            lines = _key_lines(node) if node is not None else {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            return None, [Violation(file, mark.line + 1 if mark else None, None,
                                    f"not valid YAML ({getattr(exc, 'problem', exc)})")]
    c = _Checker(file, lines)
    raw = c.mapping(raw if raw is not None else {}, (), TOP_KEYS)
    for key in ("sources", "id", "measures"):
        if key not in raw:
            c.bad((), f"the spec has no '{key}' key; it needs sources, id, partnership and measures")
    if "partnership" not in raw:
        c.bad((), "the spec has no 'partnership' key: give {column: ...} or {id: ..., name: ...}")

    sources = []
    items = raw.get("sources") or []
    items = items if isinstance(items, list) else [items]
    for i, item in enumerate(items):
        where = ("sources", i)
        item = {"path": item} if isinstance(item, str) else c.mapping(item, where, SOURCE_KEYS)
        p = c.text(item.get("path"), (*where, "path"), required=True)
        sheet = item.get("sheet")
        if p is not None:
            sources.append(SourceSpec(base / p, _wave(c.text(item.get("wave"), (*where, "wave"))),
                                      sheet if isinstance(sheet, int) else c.text(sheet, (*where, "sheet"))))
    if "sources" in raw and not sources:
        c.bad(("sources",), "lists no file; expected e.g. [{path: survey.csv}]")
    waved = [s.wave is not None for s in sources]
    if any(waved) and not all(waved):
        c.bad(("sources",), "either every source has a wave (one file per wave) or none has (wide files)")

    id_columns = c.texts(raw.get("id"), ("id",))
    partnership = raw.get("partnership") or {}
    partnership = c.mapping(partnership, ("partnership",), PARTNERSHIP_KEYS)
    pcol = c.text(partnership.get("column"), ("partnership", "column"))
    pid = c.text(partnership.get("id"), ("partnership", "id"))
    if "partnership" in raw and (pcol is None) == (pid is None):
        c.bad(("partnership",), "give either 'column' (a column whose values are partnerships) or 'id' and 'name'")
    names = partnership.get("names") or {}
    if not isinstance(names, dict):
        c.bad(("partnership", "names"), "expected a mapping value -> partnership name")
        names = {}
    ptype = partnership.get("partner_type", "other")
    for t in (ptype.values() if isinstance(ptype, dict) else [ptype]):
        if str(t).lower() not in schema.PARTNER_TYPES:
            c.bad(("partnership", "partner_type"), f"{t!r} is not a partner type; expected one of "
                  f"{', '.join(schema.PARTNER_TYPES)}")

    arm = raw.get("arm")
    arm = c.mapping(arm, ("arm",), ARM_KEYS) if arm is not None else {}
    acol = c.text(arm.get("column"), ("arm", "column"), required=bool(arm))
    program, comparison = c.texts(arm.get("program"), ("arm", "program")), c.texts(arm.get("comparison"),
                                                                                   ("arm", "comparison"))
    if arm and not (program and comparison):
        c.bad(("arm",), "lists the values of both arms: {column: ..., program: [...], comparison: [...]}")

    groups_raw = raw.get("groups") or []
    groups = {}
    pairs = groups_raw.items() if isinstance(groups_raw, dict) else ((g, None) for g in groups_raw) \
        if isinstance(groups_raw, list) else []
    if not isinstance(groups_raw, (list, dict)):
        c.bad(("groups",), "expected a list of columns (or a mapping column -> name)")
    from evalkit.load import normalise_header

    for column, name in pairs:
        out = normalise_header(name if name is not None else column)
        if out in schema.IDENTIFYING_COLUMNS:
            c.bad(("groups",), f"'{column}' identifies a person ({out}); it cannot be a group column")
        elif out in ("participant_id", "partnership_id", "arm"):
            c.bad(("groups",), f"'{column}' would be written as '{out}', a contract column; rename it "
                  f"(groups: {{{column}: another_name}})")
        else:
            groups[str(column)] = out

    waves = None
    if raw.get("waves") is not None:
        waves = tuple(_wave(w) for w in c.texts(raw.get("waves"), ("waves",)))
        if len(set(waves)) != len(waves):
            c.bad(("waves",), "lists a wave twice")
    missing = c.texts(raw.get("missing"), ("missing",))

    measures = []
    mraw = raw.get("measures") or {}
    if not isinstance(mraw, dict) or ("measures" in raw and not mraw):
        c.bad(("measures",), "expected a mapping measure id -> {label, kind, higher_is_better, ...}")
        mraw = {}
    import re

    for mid, m in mraw.items():
        where = ("measures", mid)
        if not re.match(schema.SLUG_PATTERN, str(mid)):
            c.bad(where, f"'{mid}' is not a safe measure id: {schema.SLUG_RULE}")
        m = c.mapping(m, where, MEASURE_KEYS)
        kind = c.text(m.get("kind"), (*where, "kind"), required=True)
        if kind is not None and kind not in schema.KINDS:
            c.bad((*where, "kind"), f"{kind!r} is not a kind; expected one of {', '.join(schema.KINDS)}")
        hib = c.flag(m.get("higher_is_better"), (*where, "higher_is_better"), None)
        lo = hi = None
        scale = m.get("scale")
        if scale is not None:
            if isinstance(scale, list) and len(scale) == 2:
                lo, hi = c.number(scale[0], (*where, "scale")), c.number(scale[1], (*where, "scale"))
                if lo is not None and hi is not None and lo >= hi:
                    c.bad((*where, "scale"), f"[{scale[0]}, {scale[1]}]: the first bound must be below the second")
            else:
                c.bad((*where, "scale"), f"expected [min, max] (null for an open bound); found {scale!r}")
        labels = {}
        lraw = m.get("labels") or {}
        if not isinstance(lraw, dict):
            c.bad((*where, "labels"), "expected a mapping answer text -> number")
            lraw = {}
        for text, number in lraw.items():
            value = c.number(number, (*where, "labels", text))
            if value is not None:
                labels[str(text).strip().casefold()] = value
        if kind == "binary":
            lo, hi = (0.0 if lo is None else lo), (1.0 if hi is None else hi)
        if kind == "ordinal" and (lo is None or hi is None) and labels:
            lo, hi = min(labels.values()), max(labels.values())  # the labels' numbers bound the scale
        wmap = m.get("waves") or {}
        if not isinstance(wmap, dict):
            c.bad((*where, "waves"), "expected a mapping column -> wave, e.g. {Q3_pre: pre, Q3_post: post}")
            wmap = {}
        wmap = {str(col): _wave(cell_text(w)) for col, w in wmap.items()}
        column = c.text(m.get("column"), (*where, "column"))
        if not wmap and column is None:
            c.bad(where, "says where its values are: 'waves' (column -> wave) or 'column' (one file per wave)")
        if column is not None and sources and not any(waved):
            c.bad((*where, "column"), "'column' needs one file per wave (sources with a 'wave'); "
                  "in a wide file give 'waves': {column: wave, ...}")
        if waves is not None:
            for col, w in wmap.items():
                if w not in waves:
                    c.bad((*where, "waves", col), f"wave '{w}' is not in the spec's waves ({', '.join(waves)})")
        measures.append(MeasureSpec(
            measure=str(mid), kind=kind or "continuous", higher_is_better=bool(hib), label=c.text(m.get("label"),
            (*where, "label")), scale_min=lo, scale_max=hi, labels=labels, waves=wmap, column=column,
            domain=c.text(m.get("domain"), (*where, "domain")),
            shared=bool(c.flag(m.get("shared"), (*where, "shared"), False)),
            scale_name=c.text(m.get("scale_name"), (*where, "scale_name")),
            reverse_coded=bool(c.flag(m.get("reverse_coded"), (*where, "reverse_coded"), False))))
    if waves is not None:
        for i, s in enumerate(sources):
            if s.wave is not None and s.wave not in waves:
                c.bad(("sources", i, "wave"), f"wave '{s.wave}' is not in the spec's waves ({', '.join(waves)})")

    id_normalize = bool(c.flag(raw.get("id_normalize"), ("id_normalize",), True))
    pseudonymize = bool(c.flag(raw.get("pseudonymize"), ("pseudonymize",), len(id_columns) > 1))
    if c.violations:
        return None, c.violations
    return Spec(
        file=file, base_dir=base, sources=tuple(sources), id_columns=id_columns, measures=tuple(measures),
        id_normalize=id_normalize, pseudonymize=pseudonymize,
        partnership_column=pcol, partnership_names={cell_text(k): str(v) for k, v in names.items()},
        partnership_id=pid, partnership_name=c.text(partnership.get("name"), ("partnership", "name")) or pid,
        partner_type={cell_text(k): str(v).lower() for k, v in ptype.items()} if isinstance(ptype, dict)
        else str(ptype).lower(),
        lead_institution=partnership.get("lead_institution"), arm_column=acol, arm_program=program,
        arm_comparison=comparison, groups=groups, waves=waves, missing=missing), c.violations


def require(spec) -> None:
    """Raise :class:`InputError` for a spec argument that is neither a path nor a dict."""
    if not isinstance(spec, (str, Path, dict)):
        raise InputError(f"spec must be a YAML file path or a dict; got {type(spec).__name__}")
