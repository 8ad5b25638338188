"""Warm kernels: a fork server that starts each report's kernel as a fresh fork.

Starting a kernel and importing pandas, scipy, seaborn and evalkit costs seconds,
every report. A :class:`KernelServer` pays it once per batch run (or once per
Dask worker, :mod:`evalkit.batch.pool`): it starts one process
(``python -m evalkit.batch.forkserver serve``) that imports ipykernel and the
template's libraries, then waits. For each report, jupyter_client asks it for a
kernel through the ``evalkit`` kernel provisioner (:mod:`evalkit.batch.provisioner`);
the server forks, and the child (a brand-new process, own session, its own copy
of the warm modules) becomes an ordinary ipykernel on the connection file
jupyter_client wrote.

Isolation is that of separate processes: whatever one report's notebook does (a
global, a matplotlib rcParam, a random seed) dies with its kernel; the server
itself never runs notebook code. Each child re-seeds NumPy's and Python's global
random generators from the OS, so unseeded draws differ between reports as they
would in fresh kernels.

Forking is only safe from a single-threaded process (a lock held by another
thread at fork stays locked forever in the child). The server therefore keeps
the libraries it imports from starting threads (OpenBLAS and OpenMP get one
thread, pyarrow's jemalloc no background thread) and checks, before every fork,
that it has exactly one thread; if not, it refuses and the provisioner starts a
fresh kernel instead (slower, never unsafe). Kernels keep single-threaded BLAS:
a batch already runs one kernel per core.

Memory limit: ``memory_limit`` bounds the kernel's own growth in address space
(``RLIMIT_AS``), counted from a warm kernel. A forked kernel sets its limit right
after the fork to the address space it inherited plus ``memory_limit``; a fresh
kernel (``python -m evalkit.batch.forkserver kernel --memory-limit N``) first
imports what a server would (ipykernel and evalkit's report libraries), then does
the same. So the limit means the same in both: what the report's code, its data
and the kernel's own threads (about 90 MB of thread stacks) may add. A report
that needs more gets ``MemoryError`` in the cell that allocates (or, if the
allocation happens outside Python, a dead kernel). glibc is told to use a
single malloc arena in limited kernels, so per-thread arena reservations
(64 MB each) do not eat the limit.

Protocol: :mod:`multiprocessing.connection` over a Unix socket with a random
authentication key, one short request per connection, each answered with
``("ok", payload)``, ``("error", message)`` or, for a launch the server will not fork,
``("refused", message)``:

- ``("ping", None)`` -> ``{"pid", "threads"}``
- ``("launch", spec)`` -> ``{"token", "pid"}``: ``spec`` has ``connection_file``, ``env``, ``cwd``
  and ``memory_limit``;
- ``("status", token)`` -> ``None`` while the kernel runs, else its exit code (``-N``: killed by
  signal N), reported once and then forgotten.

Kernels are named by a launch token, never by pid, so a pid the system reuses
can never be mistaken for an earlier kernel. A client with a wrong key, a
malformed request or a hang-up is refused and the server carries on.
"""
from __future__ import annotations

import ast
import functools
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Listener
from pathlib import Path

#: Imported by every server: the kernel machinery and the inline figure backend.
#: (Not ``matplotlib_inline.backend_inline``: it hooks figures into the IPython shell when first
#: imported, so it must be imported inside the kernel, where the shell exists.)
BASE_PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.debugger",
                "IPython.extensions", "pdb", "faulthandler", "psutil", "tornado.platform.asyncio")
#: Kernel options: no IPython history database (parallel kernels would contend for its lock).
KERNEL_OPTIONS = ("--HistoryManager.enabled=False",)
#: evalkit modules that run the batch (this subpackage), not a report: never preloaded (see :func:`report_modules`).
NOT_REPORT_MODULES = ("evalkit.cli", "evalkit.batch", "evalkit.sample", "evalkit.importer", "evalkit.__main__")
#: Libraries report code reaches without an import statement evalkit's sources would show.
REPORT_EXTRAS = ("openpyxl", "PIL.PngImagePlugin", "matplotlib.backends.backend_agg", "pandera.strategies",
                 "matplotlib.backends.backend_svg",  # report figures are SVG
                 # reached by pandas.read_parquet, DataFrame display and to_excel (each report read them itself)
                 "pyarrow.dataset", "pandas.io.formats.html", "pandas.io.formats.string", "pandas.io.formats.excel",
                 "pandas.core.reshape.reshape", "openpyxl.packaging.extended")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
#: Set in the server before it imports anything: libraries that would start threads at import start none.
SINGLE_THREADED_ENV = {
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "JE_ARROW_MALLOC_CONF": "background_thread:false",  # pyarrow's jemalloc: no purging thread
}
#: Defaults of the server (and its kernels), unless set by the user.
SERVER_ENV_DEFAULTS = {
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # silence debugpy's import-time warning
    "MPLBACKEND": INLINE_BACKEND,
}


#: The server's folder (its socket and pid file) in the temporary folder, and the file naming the server's pid.
FOLDER_PREFIX, PID_FILE = "evalkit-ks-", "server.pid"
#: A folder without a pid file (one being set up, or an earlier version's) is swept only when this old (seconds).
STALE_AFTER = 86400.0


def remove_stale_folders() -> list[str]:
    """Remove the folders of kernel servers that are gone, which a killed run (``kill -9``) leaves behind.

    A folder ``<tmp>/evalkit-ks-*`` of this user holding nothing but ``socket`` and ``server.pid`` is
    removed when the pid names no running process, or, without a pid file (an earlier version's),
    when it is more than a day old. Anything else in a folder, or another user's folder, is left
    alone. Returns the folders removed.
    """
    root = Path(tempfile.gettempdir())
    removed = []
    for folder in root.glob(FOLDER_PREFIX + "*"):
        try:
            if folder.is_symlink() or not folder.is_dir() or folder.stat().st_uid != os.getuid():
                continue
            names = {p.name for p in folder.iterdir()}
            if not names <= {"socket", PID_FILE}:
                continue
            if PID_FILE in names:
                if _alive(int((folder / PID_FILE).read_text().strip() or 0)):
                    continue
            elif time.time() - max([folder.stat().st_mtime, *((folder / n).lstat().st_mtime for n in names)]) \
                    < STALE_AFTER:
                continue
            for name in names:
                (folder / name).unlink()
            folder.rmdir()
            removed.append(str(folder))
        except (OSError, ValueError):
            continue  # another run sweeping at the same time, or a folder changing under us: leave it
    return removed


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # PermissionError: someone else's process, alive
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


class KernelServerError(RuntimeError):
    """The kernel server refused a request, or is gone."""


class ForkRefused(KernelServerError):
    """The server would not fork, because it is not single-threaded (the caller may start a fresh kernel)."""


def template_imports(template) -> list[str]:
    """Modules imported at the top level of a notebook's code cells (``import x``, ``from x import y``).

    Lines starting with ``%`` or ``!`` (IPython magics and shell commands) are ignored;
    cells that do not parse as Python are skipped. When the notebook imports evalkit,
    the modules an evalkit report uses are added (:func:`report_modules`).
    """
    import json

    # plain JSON, not nbformat: importing nbformat (and its schema validator) costs about a second,
    # on the path to starting the server
    cells = json.loads(Path(template).read_text(encoding="utf-8")).get("cells", [])
    found: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else str(text)
        source = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            found += _imports(ast.parse(source))
        except SyntaxError:
            continue
    if any(name == "evalkit" or name.startswith("evalkit.") for name in found):
        found.extend(report_modules())
    return list(dict.fromkeys(found))


def _imports(tree: ast.AST, submodules: bool = False) -> list[str]:
    """Absolute modules a parsed source imports, anywhere in it (inside functions too).

    With ``submodules``, ``from scipy import stats`` also names ``scipy.stats`` (lower-case names
    may be modules; importing one that is not simply fails, and the server skips it).
    """
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if submodules:
                found.extend(f"{node.module}.{alias.name}" for alias in node.names if alias.name.islower())
    return found


def report_modules() -> list[str]:
    """What a report that uses evalkit imports: evalkit's report modules and every library they import.

    evalkit imports pandas, scipy, matplotlib and the rest inside functions, so that
    ``import evalkit`` stays fast; a report kernel would pay those imports in every
    report. This reads every evalkit module but the batch machinery
    (``NOT_REPORT_MODULES``) and collects all its absolute imports, lazy ones
    included, plus ``REPORT_EXTRAS``, for the server to import once. The sources are
    read once per process (about 0.2 s); each call returns a new list.
    """
    return list(_report_modules())


@functools.cache
def _report_modules() -> tuple[str, ...]:
    # A list made once per process: evalkit edited meanwhile only makes it a little stale, which costs nothing
    # wrong (a module no longer listed is imported by the kernel itself; one no longer there is skipped).
    import importlib.util

    package = Path(importlib.util.find_spec("evalkit").submodule_search_locations[0])
    found: list[str] = []
    # the files, not pkgutil.walk_packages: walking imports every subpackage (pandas, scipy and all,
    # about 2.5 s) in the batch process before the server could even start
    for path in sorted(package.rglob("*.py")):
        name = ".".join(("evalkit", *path.relative_to(package).with_suffix("").parts)).removesuffix(".__init__")
        if name.startswith(NOT_REPORT_MODULES):
            continue
        found.append(name)
        found += _imports(ast.parse(path.read_text(encoding="utf-8")), submodules=True)
    found.extend(REPORT_EXTRAS)
    return tuple(name for name in dict.fromkeys(found) if name != "__future__")


class KernelServer:
    """A running fork server (see the module docstring); use as a context manager.

    Parameters
    ----------
    preload : list of str
        Modules to import once in the server, e.g. ``template_imports(template)``.

    Attributes
    ----------
    address : tuple
        ``(socket path, key)`` before :meth:`start`, ``(socket path, key, server pid)`` after:
        what :func:`request` and the ``evalkit`` provisioner's ``server_address`` take.

    Examples
    --------
    >>> with KernelServer(["pandas"]) as server:  # doctest: +SKIP
    ...     render_report(template, out_ipynb, out_html, params, kernel_server=server.address)
    """

    def __init__(self, preload=()):
        self.preload = list(preload)
        remove_stale_folders()
        folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
        self.address = (os.path.join(folder, "socket"), secrets.token_hex(16))
        self.process: subprocess.Popen | None = None

    def start(self) -> "KernelServer":
        """Start the server process (returns at once; clients wait until it listens)."""
        path, key = self.address[:2]
        env = dict(os.environ, EVALKIT_FORKSERVER_KEY=key)
        self.process = subprocess.Popen([sys.executable, "-m", "evalkit.batch.forkserver", "serve", path,
                                         *self.preload], env=env, stdin=subprocess.DEVNULL)
        self.address = (path, key, self.process.pid)
        Path(path).with_name(PID_FILE).write_text(str(self.process.pid))  # a later run sweeps the folder if it dies
        return self

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def wait_ready(self, wait: float = 300.0) -> dict:
        """Block until the server has imported its modules and answers; return its ``ping`` answer."""
        return request(self.address, ("ping", None), wait=wait)

    def stop(self) -> None:
        """Stop the server and every kernel it forked that is still running."""
        if self.process is None:
            return
        from evalkit.batch.pool import kill_tree

        kill_tree([self.process.pid])
        self.process.wait()
        self.process = None
        for path in (self.address[0], os.path.join(os.path.dirname(self.address[0]), PID_FILE),
                     os.path.dirname(self.address[0])):
            try:
                os.rmdir(path) if os.path.isdir(path) else os.unlink(path)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False


def request(address, message, *, wait: float = 300.0):
    """Send one request to the server at ``address`` and return the payload of its answer.

    Waits up to ``wait`` seconds for a server that is still importing its modules.

    Raises
    ------
    KernelServerError
        If the server refused the request, has exited, or did not answer in time.
    """
    path, key = address[:2]
    deadline = time.monotonic() + wait
    while True:
        try:
            conn = Client(path, family="AF_UNIX", authkey=bytes.fromhex(key))
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if len(address) > 2 and not _running(address[2]):
                raise KernelServerError(f"the kernel fork server (pid {address[2]}) has exited; "
                                        "its error is above in the log") from None
            if time.monotonic() > deadline:
                raise KernelServerError(f"the kernel fork server at {path} did not answer within {wait:g} s") from None
            time.sleep(0.05)
        except (EOFError, ConnectionResetError, BrokenPipeError) as exc:  # the server died while we connected
            raise KernelServerError(f"the kernel fork server at {path} hung up ({exc!r})") from None
    try:
        with conn:
            conn.send(message)
            status, payload = conn.recv()
    except (EOFError, OSError) as exc:
        raise KernelServerError(f"the kernel fork server at {path} hung up ({exc!r})") from None
    if status == "refused":
        raise ForkRefused(str(payload))
    if status != "ok":
        raise KernelServerError(str(payload))
    return payload


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# --- the server process ----------------------------------------------------------
class KernelTable:
    """The server's record of its kernels: launch token -> pid while running, token -> exit code after.

    Exit codes are reported once (:meth:`status`) and then forgotten, and they are
    keyed by token, so a later kernel that happens to get a dead kernel's pid is a
    different entry and never inherits its exit.

    Examples
    --------
    >>> table = KernelTable()
    >>> first = table.add(4242)
    >>> table.exited(4242, -9)
    >>> second = table.add(4242)          # the system reused the pid
    >>> table.status(second) is None, table.status(first)
    (True, -9)
    """

    def __init__(self):
        self._running: dict[int, str] = {}  # pid -> token
        self._exits: dict[str, int] = {}  # token -> exit code, until reported

    def add(self, pid: int) -> str:
        token = secrets.token_hex(8)
        self._running[pid] = token
        return token

    def exited(self, pid: int, code: int) -> None:
        token = self._running.pop(pid, None)
        if token is not None:  # an unknown pid (not a kernel of ours) is ignored
            self._exits[token] = code

    def status(self, token: str) -> int | None:
        """``None`` while running, else the exit code (once). Raises ``KeyError`` for an unknown token."""
        if token in self._exits:
            return self._exits.pop(token)
        if token in self._running.values():
            return None
        raise KeyError(token)

    def __len__(self) -> int:
        return len(self._running)


def thread_count() -> int:
    """Threads of this process as the OS sees them (Python's and native ones)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux
        import psutil

        return psutil.Process().num_threads()


def _thread_names() -> list[str]:
    try:
        return [open(f"/proc/self/task/{tid}/comm").read().strip() for tid in os.listdir("/proc/self/task")]
    except OSError:
        return [t.name for t in threading.enumerate()]


def _single_threaded() -> bool:
    return threading.active_count() == 1 and thread_count() == 1


def limit_memory_growth(limit: int | None) -> None:
    """Cap this process's address space at its current size plus ``limit`` bytes (``RLIMIT_AS``).

    glibc's malloc is first told to use one arena: by default each thread that
    allocates reserves its own 64 MB arena, so a kernel's dozen threads would take
    most of a small limit in reservations it never uses.
    """
    if not limit:
        return
    import resource

    import psutil

    try:
        import ctypes

        M_ARENA_MAX = -8
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
    except (OSError, AttributeError):  # not glibc
        pass
    ceiling = psutil.Process().memory_info().vms + int(limit)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def run_kernel(connection_file: str, memory_limit: int | None = None) -> None:
    """Run an ipykernel on ``connection_file`` in this process, its growth capped by ``memory_limit``."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    limit_memory_growth(memory_limit)
    argv = ["-f", connection_file, *KERNEL_OPTIONS]
    sys.argv = [sys.executable, *argv]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=argv)


def _become_kernel(spec: dict, listener: Listener, conn) -> None:
    """In a freshly forked child: detach, set up the environment and run an ipykernel (never returns)."""
    status = 1
    try:
        conn.close()
        listener.close()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # as in any Python process
        os.setsid()
        env = dict(spec["env"])
        env["JPY_PARENT_PID"] = str(os.getppid())
        env.setdefault("MPLBACKEND", INLINE_BACKEND)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(spec["cwd"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        run_kernel(spec["connection_file"], spec.get("memory_limit"))
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # report why the kernel could not start, then die
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this server when the process that started it dies.

    Its kernels then notice (ipykernel's parent poller) and exit too, so even a
    SIGKILLed run leaves no process behind.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def _preload(names) -> None:
    import importlib

    for name in names:
        if name.startswith("matplotlib_inline"):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a module the template imports may not exist here: the report will say so
            pass
    if "matplotlib" in sys.modules:  # fonts found, loaded and rasterised once, not in every kernel
        _draw_a_figure()
    if "evalkit.load" in sys.modules and "evalkit.compare" in sys.modules:
        _load_and_compare_once()


def _load_and_compare_once() -> None:
    """Load, validate and compare a tiny generated dataset, so that every kernel inherits the lazy imports,
    compiled schemas and caches of the first call (about 0.35 CPU-s per report). One load: a second, of one
    partnership from the CSV files (0.2 CPU-s a run), warmed nothing a kernel uses (it reads its slice). No
    figure is drawn (pyplot must choose its backend in the kernel) and nothing here starts a thread (checked
    before forks)."""
    import shutil

    folder = tempfile.mkdtemp(prefix="evalkit-warm-")
    try:
        from evalkit.compare import compare_prepost
        from evalkit.load import load_data
        from evalkit.sample import write_sample

        write_sample(folder, partnerships=5, participants=20, seed=1)
        data = load_data(folder)
        compare_prepost(data.for_partnership(data.partnership_ids[0]), data.partnership_ids[0])
    except Exception:  # a warm-up only: a kernel does it again, and says what went wrong
        pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)

def _draw_a_figure() -> None:
    """Draw and encode a small figure with text (Agg, not pyplot: the kernel picks pyplot's backend)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    try:
        fig = Figure(figsize=(2, 1.5))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.bar(["pre", "post"], [1.0, 2.0])
        ax.set_title("Warm-up 0123456789 %")
        fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")
    except Exception:  # a warm-up only
        pass


def _reap(table: KernelTable) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        table.exited(pid, os.waitstatus_to_exitcode(status))


def _answer(op, arg, table: KernelTable, listener: Listener, conn):
    _reap(table)
    if op == "ping":
        return "ok", {"pid": os.getpid(), "threads": thread_count(), "kernels": len(table)}
    if op == "status":
        try:
            return "ok", table.status(arg)
        except KeyError:
            return "error", f"unknown kernel {arg!r} (never launched here, or its exit was already reported)"
    if op == "launch":
        if not _single_threaded():
            return "refused", ("the kernel server is not single-threaded (threads: " + ", ".join(_thread_names())
                             + "); it will not fork")
        pid = os.fork()
        if pid == 0:
            _become_kernel(arg, listener, conn)
        return "ok", {"token": table.add(pid), "pid": pid}
    return "error", f"unknown request {op!r}"


def warm(preload) -> None:
    """Import :data:`BASE_PRELOAD` and ``preload`` with the garbage collector off, then freeze what is left.

    Method: the imports make hundreds of thousands of objects that live as long as the server; with the
    collector on, each batch of them set off collections that walked every module imported before (the preload
    of the sample template took 2.66-2.98 CPU-s, 2.37-2.52 with the collector off). One collection after the
    imports clears their garbage, and :func:`gc.freeze` keeps what is left out of every later collection and
    its memory pages shared copy-on-write with every kernel forked from here.
    """
    import gc

    gc.disable()
    try:
        _preload((*BASE_PRELOAD, *preload))
    finally:
        gc.enable()
    gc.collect()
    gc.freeze()


def serve(path: str, key: str, preload: list[str]) -> None:
    """Import ``preload``, then answer requests (forking a kernel per ``launch``) until killed."""
    _die_with_parent()
    os.environ["JPY_PARENT_PID"] = str(os.getpid())  # read by ipykernel at import: kernels watch this server
    os.environ.update(SINGLE_THREADED_ENV)
    for name, value in SERVER_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the batch parent, which stops us
    warm(preload)

    table = KernelTable()
    listener = Listener(path, family="AF_UNIX", backlog=64, authkey=bytes.fromhex(key))
    while True:
        try:
            conn = listener.accept()
        except (OSError, EOFError, AuthenticationError):  # a client with a wrong key, or one that hung up
            continue
        with conn:
            try:
                op, arg = conn.recv()
            except Exception:  # hung up, or not a (op, arg) pair
                continue
            try:
                answer = _answer(op, arg, table, listener, conn)
            except Exception as exc:  # e.g. fork failed (out of memory, process limit)
                answer = ("error", f"{type(exc).__name__}: {exc}")
            try:
                conn.send(answer)
            except OSError:  # the client hung up before reading its answer
                pass


def _kernel_main(argv: list[str]) -> None:
    """``python -m evalkit.batch.forkserver kernel -f CONNECTION_FILE [--memory-limit BYTES]``: a fresh kernel."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m evalkit.batch.forkserver kernel")
    parser.add_argument("-f", dest="connection_file", required=True)
    parser.add_argument("--memory-limit", type=int, default=None)
    args, _ = parser.parse_known_args(argv)
    for name, value in SERVER_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if args.memory_limit:  # the limit counts from a warm kernel, as in a fork of a server: load the same first
        _preload((*BASE_PRELOAD, *report_modules()))
    run_kernel(args.connection_file, args.memory_limit)


def main(argv: list[str]) -> None:
    if argv[:1] == ["kernel"]:
        _kernel_main(argv[1:])
    elif argv[:1] == ["serve"] and len(argv) >= 2:
        serve(argv[1], os.environ.pop("EVALKIT_FORKSERVER_KEY"), argv[2:])
    else:
        sys.exit("usage: python -m evalkit.batch.forkserver serve SOCKET [MODULE...] | kernel -f CONNECTION_FILE")


if __name__ == "__main__":
    main(sys.argv[1:])
