"""Participant ids across waves: normalised keys, duplicates, near-misses and the match report.

Ids are matched on a key: with ``id_normalize`` (the default) the id is trimmed, case-folded and
stripped of spaces and punctuation, so ``" AB-12"`` and ``"ab12"`` are one participant. Ids that
still differ only in leading zeros (``"007"`` and ``"7"``), or in case/spaces/punctuation when
``id_normalize`` is off, are *near-misses*: reported, never merged. Reports locate ids by file and
row only; they never show an id.
"""
from __future__ import annotations

import re

import pandas as pd

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[\W_]+")
_PUNCT_ONLY = re.compile(r"[^\w\s]+|_+")
_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")

#: the differences a near-miss can have, each with the step that removes it
STEPS = (("spaces", lambda s: _SPACE.sub("", s)), ("case", str.casefold),
         ("punctuation", lambda s: _PUNCT_ONLY.sub("", s)), ("leading zeros", lambda s: _ZEROS.sub("", s)))


def normalise_id(text: str) -> str:
    """Trim, case-fold and strip spaces and punctuation: the matching key of an id.

    Examples
    --------
    >>> normalise_id(" AB-12 "), normalise_id("ab12")
    ('ab12', 'ab12')
    """
    return _PUNCT.sub("", _SPACE.sub("", str(text)).casefold())


def loose_id(text: str) -> str:
    """:func:`normalise_id` and also leading zeros removed: ids equal here are near-misses.

    Examples
    --------
    >>> loose_id("Ab 007"), loose_id("ab7")
    ('ab7', 'ab7')
    """
    return _ZEROS.sub("", normalise_id(text))


def differences(a: str, b: str) -> list[str]:
    """What separates two ids that are equal once every step of :data:`STEPS` is applied.

    A step counts when leaving it out keeps the two ids apart.

    Examples
    --------
    >>> differences("AB 12", "ab12"), differences("007", "7")
    (['spaces', 'case'], ['leading zeros'])
    """
    found = []
    for name, _ in STEPS:
        x, y = a, b
        for other, step in STEPS:
            if other != name:
                x, y = step(x), step(y)
        if x != y:
            found.append(name)
    return found


def near_misses(rows: pd.DataFrame) -> pd.DataFrame:
    """Pairs of ids in different waves of one partnership that differ only in case, spaces,
    punctuation or leading zeros.

    Parameters
    ----------
    rows : DataFrame
        One row per source row: ``partnership_id``, ``wave``, ``file``, ``row``, ``raw_id``
        and ``key`` (the matching key).

    Returns
    -------
    DataFrame
        ``partnership_id``, ``wave``, ``file``, ``row``, ``other_wave``, ``other_file``,
        ``other_row``, ``difference`` and ``matched`` (True when the matching key already
        joins them, e.g. a case difference under ``id_normalize``). Ids are not included.
    """
    columns = ["partnership_id", "wave", "file", "row", "other_wave", "other_file", "other_row", "difference",
               "matched"]
    out = []
    if len(rows):
        rows = rows.assign(_loose=rows["raw_id"].map(loose_id))
        for _, group in rows.groupby(["partnership_id", "_loose"], sort=True):
            if group["raw_id"].nunique() < 2:
                continue
            records = group.to_dict("records")
            for i, a in enumerate(records):
                for b in records[i + 1:]:
                    if a["wave"] == b["wave"] or a["raw_id"] == b["raw_id"]:
                        continue
                    out.append({"partnership_id": a["partnership_id"], "wave": a["wave"], "file": a["file"],
                                "row": a["row"], "other_wave": b["wave"], "other_file": b["file"],
                                "other_row": b["row"], "difference": ", ".join(differences(a["raw_id"], b["raw_id"])),
                                "matched": a["key"] == b["key"]})
    return pd.DataFrame(out, columns=columns)


def match_report(presence: pd.DataFrame, waves: list[str], names: dict, misses: pd.DataFrame,
                 duplicates: dict | None = None) -> pd.DataFrame:
    """How many participants of each partnership were matched across the waves.

    Parameters
    ----------
    presence : DataFrame
        One row per participant and wave they appear in: ``partnership_id``, ``participant``, ``wave``.
    waves : list of str
        The waves of the import, in order.
    names : dict
        partnership id -> name.
    misses : DataFrame
        From :func:`near_misses`.
    duplicates : dict, optional
        partnership id -> number of repeated rows within a wave (each is also a violation).

    Returns
    -------
    DataFrame
        One row per partnership: ``partnership_id``, ``name``, ``participants``, ``matched``
        (in every wave), ``unmatched_<wave>`` for each wave (there, but missing from another
        wave), ``duplicates`` (rows repeating an id within a wave; always 0 when the import
        succeeded, since a duplicate is a violation),
        ``matched_after_normalising`` and ``near_misses`` (pairs left unmatched: check them).
    """
    rows = []
    for pid in sorted(names):
        mine = presence[presence["partnership_id"] == pid]
        sets = {w: set(mine.loc[mine["wave"] == w, "participant"]) for w in waves}
        everyone = set(mine["participant"])
        matched = set.intersection(*sets.values()) if sets else set()
        m = misses[misses["partnership_id"] == pid]
        row = {"partnership_id": pid, "name": names[pid], "participants": len(everyone), "matched": len(matched)}
        for w in waves:
            row[f"unmatched_{w}"] = len(sets[w] - matched)
        row.update({"duplicates": int((duplicates or {}).get(pid, 0)), "matched_after_normalising": int(m["matched"].sum()),
                    "near_misses": int((~m["matched"]).sum())})
        rows.append(row)
    columns = ["partnership_id", "name", "participants", "matched", *[f"unmatched_{w}" for w in waves],
               "duplicates", "matched_after_normalising", "near_misses"]
    return pd.DataFrame(rows, columns=columns)
