"""Warm kernels: a fork server that starts each report's kernel as a fresh fork.

Starting a kernel and importing pandas, scipy, seaborn and evalkit costs seconds,
every report. A :class:`KernelServer` pays it once per batch run: it starts one
process (``python -m evalkit.render_forkserver``) that imports ipykernel and the
template's libraries, then waits. For each report, nbclient's kernel manager
asks it (through :class:`ForkServerProvisioner`) for a kernel; the server forks,
and the child (a brand-new process, own session, its own copy of the warm
modules) becomes an ordinary ipykernel on the connection file nbclient wrote.

Isolation is that of separate processes: whatever one report's notebook does (a
global, a matplotlib rcParam, a random seed) dies with its kernel; the server
itself never runs notebook code. Each child re-seeds NumPy's and Python's global
random generators from the OS, so unseeded draws differ between reports as they
would in fresh kernels.

The protocol is :mod:`multiprocessing.connection` over a Unix socket with a
random authentication key, one short request per connection:
``("launch", spec) -> pid`` and ``("status", pid) -> None | exit code``.
"""
from __future__ import annotations

import ast
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Client, Listener

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

#: Imported by every server: the kernel machinery and the inline figure backend.
#: (Not ``matplotlib_inline.backend_inline``: it hooks figures into the IPython shell when first
#: imported, so it must be imported inside the kernel, where the shell exists.)
BASE_PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.debugger",
                "IPython.extensions", "pdb", "faulthandler", "psutil", "tornado.platform.asyncio")
#: Kernel options: no IPython history database (parallel kernels would contend for its lock).
KERNEL_OPTIONS = ("--HistoryManager.enabled=False",)
#: evalkit modules a report template uses through ``import evalkit``.
EVALKIT_PRELOAD = ("evalkit.load", "evalkit.validate", "evalkit.compare", "evalkit.participation",
                   "evalkit.targets", "evalkit.describe", "evalkit.privacy", "evalkit.narrate", "evalkit.plots",
                   "evalkit.report", "evalkit.stats")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def template_imports(template) -> list[str]:
    """Modules imported at the top level of a notebook's code cells (``import x``, ``from x import y``).

    Lines starting with ``%`` or ``!`` (IPython magics and shell commands) are ignored;
    cells that do not parse as Python are skipped.
    """
    import nbformat

    nb = nbformat.read(str(template), as_version=4)
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append(node.module)
    if any(name == "evalkit" or name.startswith("evalkit.") for name in found):
        found.extend(EVALKIT_PRELOAD)
    return list(dict.fromkeys(found))


class KernelServer:
    """A running fork server (see the module docstring); use as a context manager.

    Parameters
    ----------
    preload : list of str
        Modules to import once in the server, e.g. ``template_imports(template)``.

    Examples
    --------
    >>> with KernelServer(["pandas"]) as server:  # doctest: +SKIP
    ...     render_report(template, out_ipynb, out_html, params, kernel_server=server.address)
    """

    def __init__(self, preload=()):
        self.preload = list(preload)
        folder = tempfile.mkdtemp(prefix="evalkit-ks-")
        self.address = (os.path.join(folder, "socket"), secrets.token_hex(16))
        self.process: subprocess.Popen | None = None

    def start(self) -> "KernelServer":
        """Start the server process (returns at once; clients wait until it listens).

        ``address`` becomes ``(socket path, key, server pid)``.
        """
        path, key = self.address[:2]
        env = dict(os.environ, EVALKIT_FORKSERVER_KEY=key)
        self.process = subprocess.Popen([sys.executable, "-m", "evalkit.render_forkserver", path, *self.preload],
                                        env=env, stdin=subprocess.DEVNULL)
        self.address = (path, key, self.process.pid)
        return self

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def stop(self) -> None:
        """Stop the server and every kernel it forked that is still running."""
        if self.process is None:
            return
        from evalkit.batch_pool import kill_tree

        kill_tree([self.process.pid])
        self.process.wait()
        self.process = None
        for path in (self.address[0], os.path.dirname(self.address[0])):
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
    """Send one request to the server at ``address`` (path, key) and return its answer.

    Waits up to ``wait`` seconds for a server that is still importing its modules.
    """
    path, key = address[:2]
    deadline = time.monotonic() + wait
    while True:
        try:
            conn = Client(path, family="AF_UNIX", authkey=bytes.fromhex(key))
            break
        except (FileNotFoundError, ConnectionRefusedError):
            if len(address) > 2 and not _running(address[2]):
                raise RuntimeError(f"the kernel fork server (pid {address[2]}) has exited; "
                                   "its error is above in the log") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kernel fork server at {path} did not answer within {wait:g} s") from None
            time.sleep(0.05)
    with conn:
        conn.send(message)
        return conn.recv()


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class _ForkedKernel:
    """The subset of :class:`subprocess.Popen` jupyter_client uses, for a kernel forked by the server."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, address):
        self.pid, self.address, self.returncode = pid, address, None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = request(self.address, ("status", self.pid), wait=0)
            except (RuntimeError, OSError, EOFError):  # the server is gone, and its kernels with it
                self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServerProvisioner(LocalProvisioner):
    """Kernel provisioner that gets its kernel process from a :class:`KernelServer`.

    Set ``server_address`` (and optionally ``memory_limit``) on the instance before launch.
    """

    server_address = None
    memory_limit: int | None = None

    async def launch_kernel(self, cmd, **kwargs):
        connection_file = cmd[cmd.index("-f") + 1]
        spec = {"connection_file": connection_file, "env": dict(kwargs.get("env") or os.environ),
                "cwd": str(kwargs.get("cwd") or os.getcwd()), "memory_limit": self.memory_limit}
        pid = await asyncio.get_running_loop().run_in_executor(
            None, request, self.server_address, ("launch", spec))
        self.process = _ForkedKernel(pid, self.server_address)
        self.pid, self.pgid = pid, pid  # the kernel leads its own session and process group
        self.cwd = spec["cwd"]
        return self.connection_info


# --- the server process ----------------------------------------------------------
def _become_kernel(spec: dict, listener: Listener, conn) -> None:
    """In a freshly forked child: detach, set up the environment and run an ipykernel (never returns)."""
    status = 1
    try:
        conn.close()
        listener.close()
        for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        os.setsid()
        env = dict(spec["env"])
        env["JPY_PARENT_PID"] = str(os.getppid())
        env.setdefault("MPLBACKEND", INLINE_BACKEND)
        os.environ.clear()
        os.environ.update(env)
        os.chdir(spec["cwd"])
        if spec.get("memory_limit"):
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (spec["memory_limit"], spec["memory_limit"]))
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        import random

        random.seed()
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        argv = ["-f", spec["connection_file"], *KERNEL_OPTIONS]
        sys.argv = [sys.executable, *argv]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=argv)
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
    """Linux: have the kernel SIGKILL this server when the batch process that started it dies.

    Its kernels then notice (ipykernel's parent poller) and exit too, so even a
    SIGKILLed run leaves no process behind.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)


def serve(path: str, key: str, preload: list[str]) -> None:
    """Import ``preload``, then fork a kernel per ``launch`` request until killed."""
    import importlib

    _die_with_parent()
    os.environ["JPY_PARENT_PID"] = str(os.getpid())  # read by ipykernel at import: kernels watch this server
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silence debugpy's import-time warning
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the batch parent, which stops us
    for name in (*BASE_PRELOAD, *preload):
        if name.startswith("matplotlib_inline"):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a module the template imports may not exist here: the report will say so
            pass
    if "matplotlib" in sys.modules:  # build the font cache now, once, not in every kernel
        import matplotlib.font_manager  # noqa: F401
    import gc

    gc.collect()
    gc.freeze()  # keep the warm objects' pages shared copy-on-write with every kernel

    exits: dict[int, int] = {}

    def reap(*_):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            exits[pid] = os.waitstatus_to_exitcode(status)

    signal.signal(signal.SIGCHLD, reap)
    listener = Listener(path, family="AF_UNIX", authkey=bytes.fromhex(key))
    while True:
        try:
            conn = listener.accept()
        except OSError:  # a client that failed authentication or hung up
            continue
        with conn:
            try:
                op, arg = conn.recv()
            except (EOFError, OSError):
                continue
            if op == "launch":
                pid = os.fork()
                if pid == 0:
                    _become_kernel(arg, listener, conn)
                conn.send(pid)
            elif op == "status":
                reap()
                conn.send(exits.get(arg))


if __name__ == "__main__":
    serve(sys.argv[1], os.environ.pop("EVALKIT_FORKSERVER_KEY"), sys.argv[2:])
