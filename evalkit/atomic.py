"""Atomic file writes: a temporary file beside the target, fsync, then ``os.replace``.

A low-level helper shared by the stages that write files (the Excel workbook of
:mod:`evalkit.workbook`, and the batch subpackage's reports, index and manifest), so
none of them has to import another stage to write safely. A process killed at any
moment leaves either the previous file or the new one, never half of one; the
temporary names follow one pattern (:data:`TEMP_NAME`), so a later run can clear
what a killed run left behind (:func:`evalkit.batch.publish.remove_stale_temporaries`).

Assumption: the temporary file lies in the target's folder, so on the same file
system, where a rename is atomic (POSIX ``rename(2)``).
"""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

__all__ = ["TEMP_PREFIX", "TEMP_NAME", "temporary_path", "atomic_write_text"]

#: Prefix of the temporary files written beside their targets; names starting with it are evalkit's.
TEMP_PREFIX = ".evalkit-tmp-"
#: What :func:`temporary_path` names look like (matched from the start of a file name).
TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[0-9a-f]{32}-")


def temporary_path(path) -> Path:
    """A unique hidden temporary name beside ``path`` (same file system, so renames are atomic).

    The name is ``.evalkit-tmp-<32 hex digits>-<file name>``: a pattern no user file
    is expected to have, so a later run can clear what a killed run left behind.

    Examples
    --------
    >>> tmp = temporary_path("reports/p01.html")
    >>> tmp.parent.as_posix(), tmp.name.startswith(TEMP_PREFIX), tmp.name.endswith("-p01.html")
    ('reports', True, True)
    >>> bool(TEMP_NAME.match(tmp.name))
    True
    """
    path = Path(path)
    return path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}-{path.name}")


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically: temporary file, fsync, rename.

    An ``OSError`` (a full disk, a read-only folder) is raised again with ``path`` as its file
    name, and the temporary file is removed.

    Examples
    --------
    >>> import tempfile
    >>> out = atomic_write_text(Path(tempfile.mkdtemp()) / "note.txt", "hello")
    >>> out.read_text(), [p.name for p in out.parent.iterdir()]
    ('hello', ['note.txt'])
    """
    path = Path(path)
    tmp = temporary_path(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a full disk, a read-only folder: named by the file meant, not the temporary one
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path
