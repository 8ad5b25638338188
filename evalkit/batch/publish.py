"""Publish a batch run: atomic file writes, ``manifest.json`` and ``index.html``.

Everything written into the output folder goes through :func:`evalkit.atomic.atomic_write_text`
(temporary file in the same folder, fsync, then ``os.replace``), so a run killed
at any moment leaves either the previous file or the new one, never half of one.
Every value that came from data (ids, names, error messages) is HTML-escaped,
and :func:`report_path` refuses any id that is not a plain slug, so no id can
point outside the output folder.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from evalkit.atomic import TEMP_NAME, atomic_write_text
from evalkit.errors import InputError
from evalkit.schema import SLUG_PATTERN, SLUG_RULE

__all__ = ["SLUG", "report_path", "lock_output", "remove_stale_temporaries", "owned_names", "check_out_folder",
           "check_ownership", "read_manifest", "write_manifest", "write_index"]

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
    releases the lock, so a killed run never leaves a stale lock behind.
    """
    import fcntl

    path = Path(out_dir) / LOCK
    fh = open(path, "a+")
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise InputError(f"Another evalkit run is writing to {str(out_dir)!r} (it holds {path.name}); "
                         "wait for it to finish or choose another --out.") from None
    return fh


#: Files every run writes itself; a run refuses an output folder holding them when it did not write them.
RUN_FILES = ("index.html", "manifest.json")


def owned_names(manifest: dict | None) -> set[str]:
    """Names of the files in the output folder that evalkit wrote, as ``manifest`` records them.

    The run files (``index.html``, ``manifest.json``), the manifest's ``owned`` list (every
    file a run may write, recorded before its renders start, so that what an interrupted run
    left behind is still known as evalkit's) and every file of every report and of the
    portfolio summary. Empty without a manifest.
    """
    if not manifest:
        return set()
    owned = set(RUN_FILES) | {str(name) for name in manifest.get("owned") or []}
    for entry in [*(manifest.get("partnerships") or {}).values(), manifest.get("portfolio") or {}]:
        owned |= {str(name) for name in (entry.get("files") or {}).values()}
    return owned


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
    alone. A missing ``out_dir`` is fine (the run creates it).

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
    owned = owned_names(manifest)
    for path in sorted(out.iterdir()):
        name = path.name
        if path.is_symlink():
            raise InputError(f"{str(path)!r} is a link; evalkit writes only real files inside {str(out)!r}.")
        if path.is_file() and (name == LOCK or TEMP_NAME.match(name) or name in owned):
            continue
        if name in TOOL_CLUTTER:  # what Jupyter or a file browser leaves in any folder it opens: left alone
            continue
        why = "there is no manifest.json" if not manifest else "manifest.json does not record it"
        raise InputError(f"{str(path)!r} was not written by evalkit ({why}); evalkit writes only into a folder "
                         "holding nothing but its own files. Move it or choose another --out.")


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
    met, total = head.get("targets_met"), head.get("targets_total")
    duration = entry.get("duration")
    return {
        "id": str(pid), "name": str(entry.get("name") or pid),
        # "other" names no type ("other partnership" said nothing); the report's subtitle leaves it out too
        "partner_type": "" if str(entry.get("partner_type") or "") in ("", "other") else str(entry["partner_type"]),
        "status": str(status), "ok": ok, "href": links[0]["href"] if links and ok else None,
        "headline": str(head.get("headline") or ""), "flags": flags,
        "targets_met": met if isinstance(met, int) else None,
        "targets_total": total if isinstance(total, int) and isinstance(met, int) and total > 0 else None,
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
        return {"ok": True, "href": quote(str(files["html"]))}
    return {"ok": False, "error": str((entry.get("error") or {}).get("summary", ""))}


def _when(stamp) -> str:
    """``2026-01-05T14:48:55+00:00`` -> ``5 January 2026, 14:48 UTC`` (unparseable stamps as given)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp or "")
    zone = f" {moment.tzname()}" if moment.tzinfo else ""
    return f"{moment.day} {moment:%B %Y, %H:%M}{zone}"


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
        portfolio=_portfolio_view(manifest.get("portfolio")))
    return atomic_write_text(Path(out_dir) / INDEX, page)
