"""Kernel server folders a killed run left behind (`kill -9`, a machine reset) are swept by the next run."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from evalkit.batch.forkserver import KernelServer


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_folders_of_dead_servers_are_removed_and_live_or_foreign_ones_kept(tmp_path, monkeypatch):
    """The operator trial found 186 /tmp/evalkit-ks-* folders: `kill -9` of a run leaves its server's socket
    folder, and nothing ever removed one."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = tmp_path / "evalkit-ks-dead"
    dead.mkdir()
    (dead / "socket").write_text("")
    (dead / "server.pid").write_text(str(_dead_pid()))
    alive = tmp_path / "evalkit-ks-alive"
    alive.mkdir()
    (alive / "server.pid").write_text(str(os.getpid()))           # a run going on now: left alone
    old = tmp_path / "evalkit-ks-old"                              # an earlier version's: no pid file, days old
    old.mkdir()
    (old / "socket").write_text("")
    week_ago = time.time() - 7 * 86400
    os.utime(old / "socket", (week_ago, week_ago))
    os.utime(old, (week_ago, week_ago))
    recent = tmp_path / "evalkit-ks-recent"                        # no pid file yet: a server starting now
    recent.mkdir()
    other = tmp_path / "evalkit-ks-user"                           # something else in it: not ours to remove
    other.mkdir()
    (other / "server.pid").write_text(str(_dead_pid()))
    (other / "notes.txt").write_text("mine")
    unrelated = tmp_path / "something-else"
    unrelated.mkdir()

    server = KernelServer()
    left = sorted(p.name for p in tmp_path.iterdir())
    mine = os.path.basename(os.path.dirname(server.address[0]))
    assert left == sorted(["evalkit-ks-alive", "evalkit-ks-recent", "evalkit-ks-user", "something-else", mine])
    server.stop()
