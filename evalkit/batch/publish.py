"""Publish a batch run: atomic file writes, ``manifest.json`` and ``index.html``.

Everything written into the output folder goes through :func:`evalkit.atomic.atomic_write_text`
(temporary file in the same folder, fsync, then ``os.replace``), so a run killed
at any moment leaves either the previous file or the new one, never half of one.
Every value that came from data (ids, names, error messages) is HTML-escaped,
and :func:`report_path` refuses any id that is not a plain slug, so no id can
point outside the output folder.
"""
from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from evalkit.atomic import TEMP_NAME, atomic_write_text
from evalkit.errors import InputError, RunInProgress
from evalkit.schema import SLUG_PATTERN, SLUG_RULE, TABLES

__all__ = ["SLUG", "report_path", "lock_output", "remove_stale_temporaries", "owned_names", "check_out_folder",
           "check_ownership", "departed_files", "legacy_slices", "read_manifest", "write_manifest", "write_index"]

#: A safe partnership id: the data contract's one rule (:data:`evalkit.schema.SLUG_PATTERN`), checked again here
#: because an id reaches the file system: a run given data that bypassed validation still cannot escape.
SLUG = re.compile(SLUG_PATTERN)
MANIFEST = "manifest.json"
INDEX = "index.html"


def report_path(out_dir, partnership_id: str, suffix: str) -> Path:
    """Path of a partnership's output file, refusing ids that could escape ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        The output folder.
    partnership_id : str
        Must be a slug (letters, digits, ``_``, ``-``; no dots, slashes or spaces).
    suffix : str
        File suffix, e.g. ``".html"``.

    Raises
    ------
    InputError
        If the id is not a slug or the resulting path is not directly inside ``out_dir``.

    Examples
    --------
    >>> report_path("reports", "p01", ".html").as_posix()
    'reports/p01.html'
    """
    pid = str(partnership_id)
    if not SLUG.fullmatch(pid):
        raise InputError(f"Partnership id {pid!r} is not a safe slug; expected {SLUG_RULE}.")
    out_dir = Path(out_dir)
    path = out_dir / f"{pid}{suffix}"
    if path.resolve().parent != out_dir.resolve():
        raise InputError(f"Partnership id {pid!r} would write outside {str(out_dir)!r}.")
    return path


def remove_stale_temporaries(out_dir) -> None:
    """Delete temporary files a killed run left behind: regular files named by :func:`evalkit.atomic.temporary_path`.

    Call it only while holding the run lock (:func:`lock_output`), so it never removes
    the temporaries of a run still writing. Nothing else is ever removed.
    """
    for tmp in Path(out_dir).iterdir():
        if TEMP_NAME.match(tmp.name) and tmp.is_file() and not tmp.is_symlink():
            tmp.unlink(missing_ok=True)


LOCK = ".evalkit.lock"


def lock_output(out_dir):
    """Take the run lock of ``out_dir`` (``.evalkit.lock``, an advisory ``flock``), or raise InputError at once.

    Returns the open lock file; closing it (or the process ending, however it ends)
    releases the lock, so a killed run never leaves a stale lock behind. The holder writes
    its process id and start time into the file, so a run refused names the run in its way.
    """
    import fcntl
    import os
    from datetime import datetime, timezone

    path = Path(out_dir) / LOCK
    fh = open(path, "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read(200).split()
        fh.close()
        who = f" (pid {holder[0]}, started {holder[1]})" if len(holder) >= 2 and holder[0].isdigit() else ""
        stop = f", stop it (kill {holder[0]})" if who else ""
        raise RunInProgress(f"Another evalkit run{who} is writing to {str(out_dir)!r} (it holds {path.name}); "
                         f"wait for it to finish{stop} or choose another --out.") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()} {datetime.now(timezone.utc).isoformat(timespec='seconds')}\n")
    fh.flush()
    return fh


#: Files every run writes itself; a run refuses an output folder holding them when it did not write them.
RUN_FILES = ("index.html", "manifest.json")


def owned_names(manifest: dict | None, out_dir=None) -> set[str]:
    """Names of the files in the output folder that evalkit wrote, as ``manifest`` records them.

    The run files (``index.html``, ``manifest.json``), the manifest's ``owned`` list (every
    file a run may write, recorded before its renders start, so that what an interrupted run
    left behind is still known as evalkit's) and every file of every report and of the
    portfolio summary. Empty without a manifest.

    A manifest without ``owned`` comes from evalkit before 24 November 2026, whose runs, when
    stopped mid-render, left ``<id>.failed.ipynb`` files the manifest did not record. Given
    ``out_dir``, those found there are owned too: a notebook named ``<id>.failed.ipynb`` (``<id>`` a
    partnership id or ``_portfolio``) that papermill wrote for that id (:func:`_failed_render_of`).
    """
    if not manifest:
        return set()
    owned = set(RUN_FILES) | {str(name) for name in manifest.get("owned") or []}
    if "owned" not in manifest and out_dir is not None and Path(out_dir).is_dir():  # before the list (see above)
        owned |= {path.name for path in Path(out_dir).glob("*.failed.ipynb") if _failed_render_of(path)}
    for entry in [*(manifest.get("partnerships") or {}).values(), manifest.get("portfolio") or {}]:
        owned |= {str(name) for name in (entry.get("files") or {}).values()}
    return owned


def departed_files(manifest: dict | None, out_dir, keep) -> list[Path]:
    """The files earlier runs wrote for partnerships no longer in the data: to be removed, not left published.

    A name ``manifest`` records as evalkit's (:func:`owned_names`), of the form ``<id>.<ext>`` (the
    report, its notebook, workbook, PDF, or ``<id>.failed.ipynb``), is departed when ``<id>`` is a
    partnership id not in ``keep`` (the data's partnership ids and the portfolio's id); the run's own
    files (``index.html``, ``manifest.json``) never are. Only real files inside ``out_dir`` are listed.
    """
    out, keep = Path(out_dir), set(keep)
    found = []
    for name in sorted(owned_names(manifest, out_dir)):
        pid = name.split(".", 1)[0]
        path = out / name
        if (name not in RUN_FILES and pid not in keep and SLUG.fullmatch(pid) and not path.is_symlink()
                and path.is_file()):
            found.append(path)
    return found


def _failed_render_of(path: Path) -> bool:
    """Whether ``path`` (``<id>.failed.ipynb``) is the partly executed notebook papermill wrote for ``<id>``."""
    pid = path.name[: -len(".failed.ipynb")]
    if not (SLUG.fullmatch(pid) or pid == "_portfolio") or path.is_symlink() or not path.is_file():
        return False
    try:
        if path.stat().st_size > 200 * 1024**2:
            return False
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("papermill", {})
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(meta, dict) and Path(str(meta.get("output_path") or "")).name.endswith(
        (f"{pid}.ipynb", f"{pid}.failed.ipynb"))


#: Files and folders that Jupyter and desktop file browsers create in any folder they open (a report notebook
#: opened in Jupyter inside --out leaves .ipynb_checkpoints/): not a user's data, so they do not make --out
#: "not evalkit's"; a run never touches them.
TOOL_CLUTTER = frozenset({".ipynb_checkpoints", ".DS_Store", "Thumbs.db", "desktop.ini", ".directory"})


def check_out_folder(out_dir, data_dir=None, manifest: dict | None = None) -> None:
    """Refuse an output folder that is, holds or lies inside the data folder, or holds what evalkit did not write.

    Every entry of ``out_dir`` must be a regular file that ``manifest`` records
    (:func:`owned_names`), the run lock (``.evalkit.lock``) or a temporary file of
    :func:`evalkit.atomic.temporary_path`: anything else (a user's file, a folder, a
    link) means the folder is not evalkit's, and a run writes nothing into it. What
    Jupyter and file browsers leave behind (:data:`TOOL_CLUTTER`) is allowed and left
    alone; an earlier version's slice folder (:func:`legacy_slices`) is allowed, and the run
    removes it. A missing ``out_dir`` is fine (the run creates it).

    Raises
    ------
    InputError
        One line naming the data folder or the first entry evalkit did not write.
    """
    out = Path(out_dir).resolve()
    if data_dir is not None:
        data = Path(data_dir).resolve()
        if out == data:
            where = "is the data folder"
        elif out in data.parents:
            where = f"contains the data folder {str(data)!r}"
        elif data in out.parents:
            where = f"is inside the data folder {str(data)!r}"
        else:
            where = ""
        if where:
            raise InputError(f"--out {str(out)!r} {where}; evalkit never writes reports into or over the data. "
                             "Choose an --out outside the data folder.")
    if not out.is_dir():
        return
    owned = owned_names(manifest, out)
    for path in sorted(out.iterdir()):
        name = path.name
        if path.is_symlink():
            raise InputError(f"{str(path)!r} is a link; evalkit writes only real files inside {str(out)!r}.")
        if path.is_file() and (name == LOCK or TEMP_NAME.match(name) or name in owned):
            continue
        if name in TOOL_CLUTTER:  # what Jupyter or a file browser leaves in any folder it opens: left alone
            continue
        if name == LEGACY_SLICES and legacy_slices(out, manifest) is not None:  # removed by the run, under its lock
            continue
        why = "there is no manifest.json" if not manifest else "manifest.json does not record it"
        raise InputError(f"{str(path)!r} was not written by evalkit ({why}); evalkit writes only into a folder "
                         "holding nothing but its own files. Move it or choose another --out.")


#: Where evalkit kept a run's row-level data slices inside --out until they moved to the cache folder
#: (:func:`evalkit.batch.cache.cache_folder`; 23 November 2026): an output folder of those versions holds them.
LEGACY_SLICES = ".data"
#: A slice folder being written or retired when such a run was killed (``.<id>.<12 hex digits>.tmp`` or ``.old``).
_LEGACY_STAGING = re.compile(r"\.[a-z0-9_-]+\.[0-9a-f]{12}\.(tmp|old)")


def legacy_slices(out_dir, manifest: dict | None) -> Path | None:
    """``<out_dir>/.data`` when it is the slice folder an earlier evalkit version left in the output folder, else None.

    Recognised only beside an evalkit manifest, and only when ``.data`` is a real folder holding
    nothing but real folders named as a partnership id, ``_portfolio`` or a slice being written
    (:data:`_LEGACY_STAGING`), each holding nothing but real files ``<table>.parquet`` (a table of the
    data contract) and ``provenance.json``: what those versions wrote there, and nothing a user would.
    Anything else in it and the folder is not recognised, so :func:`check_out_folder` refuses ``--out``
    as it refuses any folder evalkit did not write. A run removes a recognised one (row-level data
    must not stay in a published folder).
    """
    folder = Path(out_dir) / LEGACY_SLICES
    if not manifest or folder.is_symlink() or not folder.is_dir():
        return None
    for sub in folder.iterdir():
        if sub.is_symlink() or not sub.is_dir():
            return None
        if not (SLUG.fullmatch(sub.name) or sub.name == "_portfolio" or _LEGACY_STAGING.fullmatch(sub.name)):
            return None
        for path in sub.iterdir():
            if path.is_symlink() or not path.is_file():
                return None
            if not (path.name == "provenance.json" or (path.suffix == ".parquet" and path.stem in TABLES)):
                return None
    return folder


def check_ownership(out_dir, planned: dict[str, list[Path]], manifest: dict | None, data_dir=None) -> None:
    """Refuse to write into ``out_dir`` unless everything in it is evalkit's, or to replace a file through a link.

    Parameters
    ----------
    planned : dict
        Task id -> the output files its render will write.
    manifest : dict or None
        The previous run's manifest (None when there is none).
    data_dir : str or Path, optional
        The run's data folder: ``out_dir`` may not be it, hold it or lie inside it.

    Raises
    ------
    InputError
        Naming the first file evalkit did not write (a user's file is never overwritten, and
        nothing is written beside it: :func:`check_out_folder`), or a path that resolves
        outside ``out_dir`` (a link).
    """
    out = Path(out_dir).resolve()
    check_out_folder(out, data_dir, manifest)
    for paths in planned.values():
        for path in paths:
            path = Path(path)
            if path.is_symlink() or (path.exists() and path.resolve().parent != out):
                raise InputError(f"{str(path)!r} is a link; evalkit writes only real files inside {str(out)!r}.")


def read_manifest(out_dir) -> dict | None:
    """The manifest of the previous run in ``out_dir``, or ``None`` if absent or unreadable."""
    try:
        return json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(out_dir, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically and return its path."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n"
    return atomic_write_text(Path(out_dir) / MANIFEST, text)


#: Labels of a report's files on the index page, in the order shown.
_FILE_LABELS = (("html", "Report"), ("pdf", "PDF"), ("xlsx", "Tables (Excel)"), ("notebook", "Notebook"))


def _entry_view(pid: str, entry: dict) -> dict:
    """What the index shows for one partnership (plain values; the template escapes them)."""
    status = entry.get("status", "failed")
    ok = status == "ok"
    files = entry.get("files") or {}
    links = [{"href": quote(str(files[key])), "text": text} for key, text in _FILE_LABELS if ok and files.get(key)]
    if not ok and files.get("previous_html"):
        links.append({"href": quote(str(files["previous_html"])), "text": "previous report"})
    head = entry.get("headline") if isinstance(entry.get("headline"), dict) else {}
    flags = []
    for flag in head.get("flags") or []:
        text = flag.get("label") or flag.get("text") if isinstance(flag, dict) else flag
        if text:
            flags.append(str(text))
    met, total, targets_set = head.get("targets_met"), head.get("targets_total"), head.get("targets_set")
    duration = entry.get("duration")
    return {
        "id": str(pid), "name": str(entry.get("name") or pid),
        # "other" names no type ("other partnership" said nothing); the report's subtitle leaves it out too
        "partner_type": "" if str(entry.get("partner_type") or "") in ("", "other") else str(entry["partner_type"]),
        "status": str(status), "ok": ok, "href": links[0]["href"] if links and ok else None,
        "headline": str(head.get("headline") or ""), "flags": flags,
        "targets_met": met if isinstance(met, int) else None,
        "targets_total": total if isinstance(total, int) and isinstance(met, int) and total > 0 else None,
        # targets set but none judged yet (too few participants, no data): said, not left out (trial 9)
        "targets_unjudged": targets_set if isinstance(targets_set, int) and targets_set > 0 and not total else None,
        # some judged, some not yet: the others are counted beside those met (trial 11)
        "targets_more": (targets_set - total if isinstance(targets_set, int) and isinstance(total, int)
                         and 0 < total < targets_set else None),
        "files": links, "error": str((entry.get("error") or {}).get("summary", "")),
        "duration": f"{duration:.1f} s" if isinstance(duration, (int, float)) else "",
        "rendered": "no (unchanged)" if entry.get("rendered") is False else "yes",
    }


def _portfolio_view(entry: dict | None) -> dict | None:
    """The index's line for the portfolio summary across partnerships (``None`` when none was rendered)."""
    if not entry:
        return None
    files = entry.get("files") or {}
    if entry.get("status") == "ok" and files.get("html"):
        return {"ok": True, "href": quote(str(files["html"])),
                "pdf_href": quote(str(files["pdf"])) if files.get("pdf") else None}
    return {"ok": False, "error": str((entry.get("error") or {}).get("summary", ""))}


def _when(stamp) -> str:
    """``2026-01-05T16:48:55+02:00`` -> ``5 January 2026, 14:48 UTC``: in UTC, as each report's colophon dates
    it (a stamp without an offset is shown as written; unparseable stamps as given)."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")
    if moment.tzinfo is None:
        return f"{moment.day} {moment:%B %Y, %H:%M}"
    moment = moment.astimezone(timezone.utc)
    return f"{moment.day} {moment:%B %Y, %H:%M} UTC"


def _index_template():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folder = Path(__file__).resolve().parents[1] / "templates" / "html"  # evalkit/templates/html
    env = Environment(loader=FileSystemLoader(str(folder)),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=False)
    return env.get_template("index.html.j2")


def write_index(out_dir, manifest: dict) -> Path:
    """Write ``index.html``, the run's landing page: one card per partnership, everything escaped.

    Each card shows the partnership's name (linked to its report), its headline
    result, targets met and flags (small n, high attrition...) when the entry has a
    ``headline`` dict (keys ``headline``, ``targets_met``, ``targets_total``,
    ``flags``), a "failed render" flag and the error when it failed, and links to
    its files (report, PDF, Excel tables, notebook; the previous good report of a
    failed re-render). The portfolio summary is linked above the cards, and the run
    log (status, duration) is folded at the bottom. The page comes from the jinja2
    template ``evalkit/templates/html/index.html.j2`` with autoescape on.

    Parameters
    ----------
    out_dir : str or Path
        The output folder (the page links to reports relative to it).
    manifest : dict
        As written by :func:`write_manifest`: run-level fields (``finished``,
        ``evalkit_version``, ...) and ``partnerships``: id -> entry with ``name``,
        ``partner_type``, ``status``, ``duration``, ``files``, ``error``.

    Returns
    -------
    Path
        The path of ``index.html``.

    Examples
    --------
    >>> import tempfile
    >>> m = {"finished": "2026-01-01T00:00:00", "evalkit_version": "0.1.0",
    ...      "partnerships": {"p01": {"name": "<b>A</b>", "status": "ok", "files": {"html": "p01.html"}}}}
    >>> page = write_index(tempfile.mkdtemp(), m).read_text()
    >>> "&lt;b&gt;A&lt;/b&gt;" in page
    True
    """
    entries = manifest.get("partnerships", {})
    views = sorted((_entry_view(pid, entries[pid]) for pid in entries), key=lambda v: (v["name"].lower(), v["id"]))
    n_ok = sum(1 for v in views if v["ok"])
    page = _index_template().render(
        title="Partnership evaluation reports", entries=views, n_ok=n_ok, n_failed=len(views) - n_ok,
        finished=_when(manifest.get("finished")), version=str(manifest.get("evalkit_version", "")),
        portfolio=_portfolio_view(manifest.get("portfolio")), flag_key=_flag_key(views))
    return atomic_write_text(Path(out_dir) / INDEX, page)


def _flag_key(views) -> list[tuple[str, str]]:
    """What each flag shown on the index means (trial 9: "small n" and "high attrition" stood unexplained)."""
    from evalkit.pageone import HIGH_ATTRITION_RETENTION, SMALL_N

    meaning = {
        "small n": f"fewer than {SMALL_N} participants answered both surveys on the typical outcome (or every "
                   "outcome is withheld), so its changes are measured with little precision",
        "high attrition": f"fewer than {round(HIGH_ATTRITION_RETENTION * 100)}% of those who answered the first "
                          "survey answered the second, so the results may not describe everyone who took part",
        "failed render": "the report could not be made this time; the error says why",
    }
    shown = dict.fromkeys(f for v in views for f in [*(() if v["ok"] else ("failed render",)), *v["flags"]])
    return [(flag, meaning[flag]) for flag in shown if flag in meaning]


# ---- failures: what a failed report may say (its error, traceback and warnings) --------------------------
# A report fails inside its kernel, and the exception's message and traceback are
# whatever the failing code put there: a participant id (``Unable to parse string
# 'P004-0001'``), a contact detail from a comment, the slice folder under
# ``~/.cache``, the path of the environment's ``site-packages``. Everything under
# ``--out`` may be published, and so may the run's log, so before a failure is
# recorded (``manifest.json``, ``index.html``, the log line) or its notebook kept
# (``<id>.failed.ipynb``) its text goes through :func:`public_text`:
#
# 1. an absolute path becomes its place inside the installed package (``pandas/core/frame.py``,
#    ``evalkit/compare.py``) when it lies in ``site-packages`` or in evalkit's own folder, and
#    :data:`PATH_PLACEHOLDER` (``<local path>``) otherwise;
# 2. emails, web addresses, street addresses, postcodes and phone numbers are removed, and so is every
#    participant id of the report's data slice (:func:`evalkit.voices.redact`, the rule free text follows).
#
# Error outputs keep their exception name and the template's own lines (``Cell In[5], line 2``), so
# a failed notebook still says what failed and where; their terminal colours are dropped.

#: What an absolute path outside any installed package reads in a published failure.
PATH_PLACEHOLDER = "<local path>"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# an absolute path: POSIX (/a/b) or Windows (C:\a\b); not the tail of a URL or of a relative path
_PATH = re.compile(r"(?<![\w.:/\\~-])(?:[A-Za-z]:[\\/]|~?/)(?:[^\s'\"()<>|,;:\\/]+[\\/])*[^\s'\"()<>|,;:\\/]+")


@functools.cache
def _package_roots() -> list[str]:
    import evalkit

    return [str(Path(evalkit.__file__).resolve().parent.parent) + os.sep]


def _public_path(match: re.Match) -> str:
    path = match.group(0)
    norm = path.replace("\\", "/")
    if "/site-packages/" in norm:
        return norm.rsplit("/site-packages/", 1)[1]
    for root in _package_roots():
        if norm.startswith(root.replace("\\", "/")) and norm[len(root):].startswith("evalkit/"):
            return norm[len(root):]
    return PATH_PLACEHOLDER


def roster_terms_of(data_dir):
    """The participant ids of the data slice ``data_dir`` (as :func:`evalkit.voices.roster_terms`), or none.

    Read from the slice's ``participants`` table (the batch writes it as Parquet); a folder
    without one gives empty sets, so only the patterns of :func:`public_text` apply.
    """
    from types import SimpleNamespace

    import pandas as pd

    from evalkit.voices import roster_terms

    if not isinstance(data_dir, (str, os.PathLike)) or not str(data_dir):
        return set(), set()
    try:
        people = pd.read_parquet(Path(data_dir) / "participants.parquet", columns=["participant_id"])
    except Exception:  # no slice there (a notebook run by hand, a damaged cache): patterns only
        return set(), set()
    return roster_terms(SimpleNamespace(participants=people))


def public_text(text, terms=None) -> str:
    """``text`` (an exception message, a traceback line) with no local path, contact detail or participant id.

    Parameters
    ----------
    text : str
    terms : tuple of (set, set), optional
        Participant ids and names to remove (:func:`roster_terms_of`, :func:`evalkit.voices.roster_terms`).

    Examples
    --------
    >>> public_text("Unable to parse string 'P4-01' at position 0", ({"p4-01"}, set()))
    "Unable to parse string '[id]' at position 0"
    >>> public_text("No such file: '/home/ana/.cache/evalkit/3f2a/riverside/extra.csv'")
    "No such file: '<local path>'"
    >>> public_text("File /srv/env/lib/python3.11/site-packages/pandas/core/frame.py:12, in f()")
    'File pandas/core/frame.py:12, in f()'
    """
    from evalkit.voices import redact

    if text is None:
        return ""
    out = _PATH.sub(_public_path, _ANSI.sub("", str(text)))
    return redact(out, terms=terms if terms is not None else (set(), set()))


#: The outputs a reader of a report sees as text (figures are images: the template's own figures are not read).
SHOWN_TEXT = ("text/plain", "text/html", "text/markdown", "text/latex")
_MARKUP = re.compile(r"data:[^\"')\s]*|<[^>]*>")


def _shown_texts(cell):
    """The text of a code cell's outputs as a reader sees it: stdout, and each text output without markup."""
    for output in cell.get("outputs") or []:
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            texts = [output.get("text", "")]
        elif kind in ("display_data", "execute_result"):
            data = output.get("data") or {}
            texts = [data[m] for m in SHOWN_TEXT if m in data]
        else:
            continue
        for text in texts:
            yield _MARKUP.sub(" ", "".join(text) if isinstance(text, list) else str(text))


def cells_showing_ids(cells, terms) -> list[int]:
    """Indexes of the cells whose outputs show a participant id of the report's data slice.

    Reports show groups, never individuals, and everything a run writes may be published. The
    templates evalkit ships never print a participant; a template an analyst edited may
    (``data.participants.head()``, to check the data). Method: the text a reader would see in each
    output (stdout, and every text/plain, text/html and text/markdown output, without its markup
    and embedded images) is searched for the slice's participant ids (``terms``, from
    :func:`roster_terms_of`) as :func:`evalkit.voices.redact` finds them in quotes. Row-level
    values without an id cannot be told from a group's statistics and are not looked for.
    """
    from evalkit.voices import _Roster

    ids = terms[0] if terms else set()
    if not ids:
        return []
    roster = _Roster(ids, ())
    return [i for i, cell in enumerate(cells or []) if cell.get("cell_type") == "code"
            and any(roster.scrub(text) != text for text in _shown_texts(cell))]


def scrub_outputs(cells, terms) -> None:
    """Make the error outputs and stderr streams of notebook ``cells`` (JSON dicts) public, in place.

    Each error output keeps its ``ename``; its ``evalue`` and every line of its traceback go
    through :func:`public_text`. A stderr stream (warnings name the files that raised them) does too.
    """
    for cell in cells or []:
        for output in cell.get("outputs") or []:
            kind = output.get("output_type")
            if kind == "error":
                output["evalue"] = public_text(output.get("evalue", ""), terms)
                output["traceback"] = [public_text(line, terms) for line in output.get("traceback") or []]
            elif kind == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                joined = "".join(text) if isinstance(text, list) else str(text)
                output["text"] = public_text(joined, terms)
