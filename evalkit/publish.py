"""Publish a batch run: atomic file writes, ``manifest.json`` and ``index.html``.

Everything written into the output folder goes through :func:`atomic_write_text`
(temporary file in the same folder, fsync, then ``os.replace``), so a run killed
at any moment leaves either the previous file or the new one, never half of one.
Every value that came from data (ids, names, error messages) is HTML-escaped,
and :func:`report_path` refuses any id that is not a plain slug, so no id can
point outside the output folder.
"""
from __future__ import annotations

import html
import json
import os
import re
import uuid
from pathlib import Path
from urllib.parse import quote

from evalkit.errors import InputError

__all__ = ["SLUG", "report_path", "atomic_write_text", "temporary_path", "read_manifest",
           "write_manifest", "write_index"]

#: A safe partnership id: letters, digits, ``_`` and ``-``, starting with a letter or digit.
SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
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
        raise InputError(f"Partnership id {pid!r} is not a safe slug; expected letters, digits, "
                         "'_' or '-' only (at most 128 characters, no dots, slashes or spaces).")
    out_dir = Path(out_dir)
    path = out_dir / f"{pid}{suffix}"
    if path.resolve().parent != out_dir.resolve():
        raise InputError(f"Partnership id {pid!r} would write outside {str(out_dir)!r}.")
    return path


def temporary_path(path) -> Path:
    """A unique hidden temporary name beside ``path`` (same file system, so renames are atomic)."""
    path = Path(path)
    return path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}")


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: temporary file, fsync, rename."""
    path = Path(path)
    tmp = temporary_path(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def remove_stale_temporaries(out_dir) -> None:
    """Delete temporary files left by a run that was killed (``.<stem>.<hex>.tmp<suffix>``)."""
    for tmp in Path(out_dir).glob(".*.tmp*"):
        tmp.unlink(missing_ok=True)


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


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} p.meta{color:#57606a;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37;font-weight:600} .failed{color:#cf222e;font-weight:600}
.error{font-family:ui-monospace,monospace;font-size:.85rem;color:#cf222e;white-space:pre-wrap}
p.portfolio{font-size:1.05rem;margin:1rem 0}
"""


def _row(pid: str, entry: dict) -> str:
    e = html.escape
    status = entry.get("status", "failed")
    files = entry.get("files") or {}
    link = ""
    if status == "ok" and files.get("html"):
        link = f'<a href="{e(quote(files["html"]))}">report</a>'
    elif files.get("previous_html"):
        link = f'<a href="{e(quote(files["previous_html"]))}">previous report</a>'
    error = entry.get("error") or {}
    duration = entry.get("duration")
    duration = f"{duration:.1f} s" if isinstance(duration, (int, float)) else ""
    return (
        "<tr>"
        f"<td>{e(str(pid))}</td><td>{e(str(entry.get('name', '')))}</td>"
        f"<td>{e(str(entry.get('partner_type', '')))}</td>"
        f'<td class="{"ok" if status == "ok" else "failed"}">{e(status)}</td>'
        f'<td class="num">{e(duration)}</td><td>{link}</td>'
        f'<td class="error">{e(str(error.get("summary", "")))}</td>'
        "</tr>"
    )


def _portfolio_line(entry: dict | None) -> str:
    """The index's line for the portfolio summary across partnerships (empty when none was rendered)."""
    if not entry:
        return ""
    files = entry.get("files") or {}
    if entry.get("status") == "ok" and files.get("html"):
        return (f'<p class="portfolio"><a href="{html.escape(quote(files["html"]))}">Portfolio summary</a>: '
                "all partnerships side by side, shared indicators pooled.</p>")
    summary = (entry.get("error") or {}).get("summary", "")
    return f'<p class="portfolio failed">Portfolio summary failed: <span class="error">{html.escape(str(summary))}</span></p>'


def write_index(out_dir, manifest: dict) -> Path:
    """Write ``index.html``: run facts and one row per partnership, everything escaped.

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
    e = html.escape
    entries = manifest.get("partnerships", {})
    n_ok = sum(1 for v in entries.values() if v.get("status") == "ok")
    n_failed = len(entries) - n_ok
    rows = "\n".join(_row(pid, entries[pid]) for pid in sorted(entries))
    summary = _portfolio_line(manifest.get("portfolio"))
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Partnership evaluation reports</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Partnership evaluation reports</h1>
<p class="meta">Run finished {e(str(manifest.get("finished", "")))} &middot; evalkit {e(str(manifest.get("evalkit_version", "")))}
&middot; {len(entries)} partnerships: {n_ok} ok, {n_failed} failed</p>
{summary}
<table>
<thead><tr><th>Partnership</th><th>Name</th><th>Partner type</th><th>Status</th><th>Duration</th><th>Report</th><th>Error</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
    return atomic_write_text(Path(out_dir) / INDEX, page)
