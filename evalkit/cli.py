"""Command-line interface: ``evalkit validate``, ``evalkit sample``, ``evalkit run``, ``evalkit templates``.

Safe for cron: never prompts, logs to stderr, and exits with a meaningful code:

* 0  everything succeeded
* 1  some reports failed to render (the others were written)
* 2  the input data or the arguments are wrong (nothing was rendered), or the output or cache folder
     cannot be written (a full disk, a read-only folder): one line names the file and what to do
* 75 another run is still writing to the same ``--out`` (``EX_TEMPFAIL``: try again later)
* 130 / 143  interrupted (Ctrl-C) / stopped with SIGTERM
"""
from __future__ import annotations

import gc
import math
import os
import signal
import sys
import threading
from pathlib import Path

import click

from evalkit.errors import DataValidationError, EvalkitError, RunInProgress

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: Another run holds the output folder: sysexits' EX_TEMPFAIL, "try again later".
EXIT_BUSY = 75
#: Said after a list of problems: warnings need tables that meet the contract, so none were looked for.
WARNINGS_LATER = "Warnings (what a report could not use) are checked once these problems are fixed."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evalkit")
def main() -> None:
    """evalkit: pre/post evaluation reports for community partnerships."""


@main.command()
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
def validate(data_dir: Path) -> None:
    """Check DATA_DIR against the data contract (`evalkit contract` shows it) and list every problem."""
    from evalkit.validate import validate_dir

    violations = validate_dir(data_dir)
    if violations:
        err = DataValidationError(violations, source=str(data_dir))
        # files no table reads are said now: a required table saved under another name is why it is missing
        unread = "".join(f"\n  - warning: {w}" for w in getattr(violations, "warnings", []))
        click.echo(f"{err}{unread}\n{WARNINGS_LATER}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{data_dir}: OK, the data meet the contract.", err=True)
    warnings = getattr(violations, "warnings", [])
    if warnings:  # valid data that a report cannot fully use: said, but not a failure
        click.echo(f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''} (the reports can still be made):",
                   err=True)
        for warning in warnings:
            click.echo(f"  - warning: {warning}", err=True)


@main.command()
@click.option("--path", "show_path", is_flag=True, help="Print where the contract file is instead of its text.")
def contract(show_path: bool) -> None:
    """Show the data contract: every table, column and rule `evalkit validate` checks (Markdown)."""
    from evalkit.resources import contract_path

    path = contract_path()
    click.echo(str(path) if show_path else path.read_text(encoding="utf-8"), nl=show_path)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--partnerships", default=12, show_default=True, type=click.IntRange(5, 10_000),
              help="Number of partnerships to generate.")
@click.option("--participants", default=300, show_default=True, type=click.IntRange(20, 1_000_000),
              help="Largest number of participants in one partnership (sizes vary from 20 up to this).")
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed; the same seed gives the same files.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "xlsx"]), default="csv", show_default=True,
              help="File format of the tables written.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty, replacing its tables "
              "(partnerships, participants, ... in any format); other files are left alone.")
def sample(out_dir: Path, partnerships: int, participants: int, seed: int, fmt: str, force: bool) -> None:
    """Write a deterministic synthetic dataset with known truths into OUT_DIR (a new or empty folder)."""
    from evalkit.sample import write_sample

    try:
        write_sample(out_dir, partnerships=partnerships, participants=participants, seed=seed, fmt=fmt,
                     overwrite=force)
    except EvalkitError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"Wrote sample data to {out_dir}", err=True)


def _parse_bytes(text: str | None) -> int | None:
    """``"2G"`` -> 2147483648; ``None`` stays ``None``."""
    if text is None:
        return None
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
    value, unit = text.strip().upper().rstrip("B"), ""
    if value and value[-1] in units:
        value, unit = value[:-1], value[-1]
    try:
        amount = float(value) * units[unit]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a size; expected e.g. 512M or 2G.",
                                 param_hint="'--memory-limit'") from None
    if not math.isfinite(amount):
        raise click.BadParameter(f"{text!r} is not a size; expected e.g. 512M or 2G.",
                                 param_hint="'--memory-limit'")
    if amount <= 0:
        raise click.BadParameter(f"{text!r} must be a positive size.", param_hint="'--memory-limit'")
    if amount >= 2**63:  # beyond any address space: setrlimit fails in every kernel, which dies at start
        raise click.BadParameter(f"{text!r} is larger than any address space; expected e.g. 512M or 2G.",
                                 param_hint="'--memory-limit'")
    import evalkit.batch

    MIN_MEMORY_LIMIT = evalkit.batch.MIN_MEMORY_LIMIT
    if amount < MIN_MEMORY_LIMIT:
        raise click.BadParameter(f"{text!r} is too small for a report kernel (its own threads and its first read "
                                 f"of the data need more); expected at least {MIN_MEMORY_LIMIT // 1024**2}M.",
                                 param_hint="'--memory-limit'")
    return int(amount)


def _cannot_write(err: OSError) -> str:
    """One line for an operator: the file, the system's reason and what to do about it."""
    import errno

    where = f" {str(err.filename)!r}" if err.filename else ""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = "free space on that disk (or choose an --out on another one) and run again"
    elif err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        todo = "make it writable (or choose another --out) and run again"
    else:
        todo = "check that file's folder and run again"
    return f"could not write{where}: {err.strerror or err}; {todo}."


class _Seconds(click.ParamType):
    """A positive, finite number of seconds that a timer can wait (``inf`` broke the report watchdog)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds; expected e.g. 600.", param, ctx)
        if not (math.isfinite(number) and 0 < number <= threading.TIMEOUT_MAX):
            self.fail(f"{value!r} is not a positive, finite number of seconds; expected e.g. 600.", param, ctx)
        return number


def _configure_logging(quiet: bool, verbose: bool) -> None:
    import logging

    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           datefmt="%Y-%m-%dT%H:%M:%S%z"))
    logger = logging.getLogger("evalkit")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    # papermill's logger (its notebook client's too) had no handler, so Python printed its warnings bare: 'Kernel
    # died while waiting for execute reply.' beside evalkit's own line for that failure, 'Passed unknown parameter:
    # provenance' per report of a template without it. Shown formatted, and not at all under --quiet: every
    # failure is evalkit's own line (and in manifest.json).
    papermill = logging.getLogger("papermill")
    papermill.handlers[:] = [handler]
    papermill.setLevel(logging.CRITICAL + 1 if quiet else logging.DEBUG if verbose else logging.WARNING)
    papermill.propagate = False


@main.command()
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default="reports", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder the reports are written to.")
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="Report template notebook [default: the partnership_report.ipynb shipped with evalkit; "
                   "`evalkit templates copy DIR` gives an editable copy].")
@click.option("--partnership", "partnerships", multiple=True, metavar="ID",
              help="Render only this partnership (repeat for several) [default: all].")
@click.option("--workers", type=click.IntRange(1, 512),
              help="Reports rendered in parallel [default: CPU cores + 1; with --scheduler, as many as the "
                   "cluster's worker threads].")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Significance level passed to the template.")
@click.option("--min-group-size", default=10, show_default=True, type=click.IntRange(1, None),
              help="Smallest group whose results are shown (privacy), passed to the template.")
@click.option("--timeout", type=_Seconds(),
              help="Seconds one report may take before it is stopped and marked failed [default: no limit].")
@click.option("--memory-limit", help="Bytes a report kernel may grow by (address space beyond what a warm "
              "kernel starts with), e.g. 2G, at least 256M; give a --timeout too [default: none].")
@click.option("--portfolio/--no-portfolio", default=None,
              help="Also render the portfolio summary across partnerships (_portfolio.html) "
                   "[default: when every partnership is rendered, with the standard templates or with the "
                   "portfolio_report.ipynb beside --template (as 'evalkit templates copy' leaves it)].")
@click.option("--force", is_flag=True, help="Re-render every report, even those unchanged since the last run.")
@click.option("--pdf", is_flag=True, help="Also print each report to <id>.pdf beside its HTML, and the portfolio summary to "
              "_portfolio.pdf (WeasyPrint, offline).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the run's data slices (row-level, never published), kept in its subfolder "
                   "<hash of --out>, so runs into different --out may share it "
                   "[default: ~/.cache/evalkit, i.e. ~/.cache/evalkit/<hash of --out>].")
@click.option("--scheduler", metavar="ADDRESS",
              help="Send renders to this dask.distributed scheduler (needs the dask extra: "
                   "pip install 'evalkit[dask]').")
@click.option("--quiet", "-q", is_flag=True, help="Log only failures and problems.")
@click.option("--verbose", "-v", is_flag=True, help="Log details too.")
def run(data_dir: Path, out_dir: Path, template: Path | None, partnerships: tuple[str, ...], workers: int | None,
        alpha: float, min_group_size: int, timeout: float | None, memory_limit: str | None, portfolio: bool | None,
        force: bool, pdf: bool, cache_dir: Path | None, scheduler: str | None, quiet: bool, verbose: bool) -> None:
    """Render one report per partnership of DATA_DIR into --out, plus index.html and manifest.json.

    The data are validated once first; if they break the contract every problem is
    listed and nothing is rendered (exit 2). Exit 1 if any report or the portfolio
    failed, 0 if all succeeded, 75 if another run is still writing to --out (try again
    later). Logs go to stderr; the path of index.html is printed on stdout.
    """
    from evalkit.batch import run_batch

    _configure_logging(quiet, verbose)
    limit = _parse_bytes(memory_limit)
    stop = _StopOnSignal()
    try:
        result = run_batch(data_dir, out_dir, partnership_ids=list(partnerships) or None, template=template,
                           workers=workers, parameters={"alpha": alpha, "min_group_size": min_group_size},
                           timeout=timeout, force=force, progress=None if not quiet else False,
                           memory_limit=limit, scheduler=scheduler, portfolio=portfolio, pdf=pdf,
                           cache_dir=cache_dir)
    except DataValidationError as err:
        n = len(err.violations)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found in {err.source}; no report was rendered:", err=True)
        for violation in err.violations:
            click.echo(f"  - {violation}", err=True)
        click.echo(WARNINGS_LATER, err=True)
        sys.exit(EXIT_USAGE)
    except RunInProgress as err:  # not an error to fix: a run to wait for
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_BUSY)
    except EvalkitError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as err:  # the disk filled up, the folder became read-only: what to do, in one line
        click.echo(f"Error: {_cannot_write(err)}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        stop.announce()
        sys.exit(stop.exit_code)
    finally:
        stop.restore()
    if result.portfolio is not None and result.portfolio.status != "ok":
        click.echo(f"The portfolio summary failed: {(result.portfolio.error or {}).get('summary', '')}", err=True)
    if result.failed:
        click.echo(f"{len(result.failed)} of {len(result.entries)} report(s) failed: {', '.join(result.failed)}",
                   err=True)
    click.echo(str(result.index_path))
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


from evalkit.cli_templates import templates as _templates  # noqa: E402  (the `evalkit templates` group)
main.add_command(_templates)

from evalkit.cli_import import import_command as _import_command  # noqa: E402  (`evalkit import`)
main.add_command(_import_command, name="import")


class _StopOnSignal:
    """Ctrl-C (SIGINT) and a scheduler's SIGTERM stop ``evalkit run`` at once, whatever it is doing.

    On the signal, every process this one started (the kernel server and its kernels) is
    killed and reaped at once, then ``KeyboardInterrupt`` unwinds the run (files are
    written atomically, so nothing half-written is left). Should that unwinding hang, a
    timer ends the process after ``GRACE`` seconds anyway. Exit code 130 for SIGINT,
    143 for SIGTERM. Installed only while ``run`` runs, and only in the main thread.
    """

    GRACE = 10.0

    def __init__(self):
        self.signum: int | None = None
        self._announced = False
        self._previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[signum] = signal.signal(signum, self._handle)
            except ValueError:  # not the main thread: leave the signals alone
                pass

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or signal.SIGINT)

    def _handle(self, signum, frame):
        if self.signum is not None:  # a second signal while stopping: the timer is already running
            return
        self.signum = signum
        from evalkit.batch import kill_tree

        import psutil

        kill_tree([child.pid for child in psutil.Process().children()])  # every server and kernel
        self.announce()
        timer = threading.Timer(self.GRACE, lambda: os._exit(self.exit_code))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    def announce(self) -> None:
        if not self._announced:
            self._announced = True
            click.echo("Interrupted: stopped every worker and kernel.", err=True)
            sys.stderr.flush()

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}


def skip_iri_grammars() -> None:
    """Keep jsonschema from compiling ``rfc3987_syntax``'s IRI grammars in this process: about 0.8 CPU-s.

    papermill and nbconvert read notebooks with nbformat, which validates them with
    jsonschema. When ``rfc3987_syntax`` is installed (jsonschema's ``format-nongpl``
    extra, which jupyterlab's jupyter-events asks for), jsonschema's format checker
    imports it, and it compiles about 40 Lark grammars at import time
    (python-jsonschema/jsonschema#1428): most of the second the ``evalkit`` command
    would spend before its first report. No notebook schema uses the ``iri`` and
    ``iri-reference`` formats those grammars check, so the evalkit command's own process
    marks the module missing (``sys.modules[name] = None``, Python's documented way to
    make an import fail) and jsonschema leaves out those two checks, as it does when the
    module is not installed. Only the command does this, before jsonschema is imported;
    ``import evalkit`` in a user's session leaves jsonschema as it is.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def entry() -> None:
    """The ``evalkit`` command (console script): :func:`main`, and a prompt exit.

    After Ctrl-C or SIGTERM, ``run`` has killed the kernel server and every kernel, and every
    file is written atomically; render threads may still wait for a kernel that is gone (up to
    the kernel start-up timeout), and Python would join them before exiting. The process
    exits at once instead, with 130 (SIGINT) or 143 (SIGTERM), so a scheduler sees it.

    Otherwise, once the command is done, every object left is moved to the garbage collector's
    permanent generation (:func:`gc.freeze`) before Python exits: its final collection walked
    the whole heap of the run (pandas, the validated data, nbconvert, the plan), 0.65 s of a
    rerun of the sample that renders nothing, against 0.06 s frozen. Objects are still freed
    as the interpreter clears its modules, and exit handlers (the kernel server's stop, the
    logs' flush) run as before.
    """
    skip_iri_grammars()
    try:
        main(prog_name="evalkit")  # also under ``python -m evalkit``
    except SystemExit as exc:
        if exc.code in (130, 143):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.code)
        gc.freeze()
        raise
