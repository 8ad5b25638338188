"""``evalkit import``: survey exports in, the tidy tables of the data contract out.

* ``evalkit import SPEC.yml --out DATA_DIR`` imports; the match report goes to stdout (and to
  ``DATA_DIR/import_report.md``), one line of summary to stderr.
* ``evalkit import --template SOURCE [SOURCE ...] [--out SPEC.yml]`` writes a starter spec.

Exit codes: 0 imported (or template written), 2 the spec, the files or the arguments are wrong
(every problem listed, nothing written).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from evalkit.errors import DataValidationError, EvalkitError

EXIT_OK, EXIT_USAGE = 0, 2


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_USAGE)


@click.command("import")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="Import: the data folder to write (required). --template: the spec file to write "
                   "[default: stdout].")
@click.option("--template", "template", is_flag=True,
              help="Write a starter spec from the columns of SOURCE (one wide export, or one export per wave).")
def import_command(paths: tuple[Path, ...], out: Path | None, template: bool) -> None:
    """Import survey exports named by SPEC.yml into the data folder --out.

    \b
    evalkit import SPEC.yml --out DATA_DIR      import; prints the match report
    evalkit import --template SOURCE [SOURCE]   print a starter spec (or write it to --out)

    The spec's keys are documented in the data contract ("Importing survey exports"; `evalkit contract` shows it).
    """
    if template:
        if not paths:
            _fail("Error: give the export(s) to write a template from: evalkit import --template SOURCE")
        from evalkit.importer.template import write_template

        try:
            text = write_template(list(paths), out)
        except DataValidationError as err:
            _fail(str(err))
        except (EvalkitError, OSError) as err:
            _fail(f"Error: {err}")
        if out is None:
            click.echo(text, nl=False)
        else:
            click.echo(f"Wrote a starter spec to {out}; check the lines marked '# check', then run: "
                       f"evalkit import {out} --out DATA_DIR", err=True)
        return
    if len(paths) != 1:
        _fail("Error: give one spec: evalkit import SPEC.yml --out DATA_DIR (or --template SOURCE)")
    if out is None:
        _fail("Error: --out DATA_DIR is required: the folder the tables are written to")
    from evalkit.importer import ImportFailed, import_data

    try:
        result = import_data(paths[0], out)
    except ImportFailed as err:
        n = len(err.violations)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found; nothing was written:", err=True)
        for violation in err.violations:
            click.echo(f"  - {violation}", err=True)
        if err.match_report is not None and len(err.match_report):
            click.echo("\nMatch report so far:\n" + err.match_report.to_string(index=False), err=True)
        sys.exit(EXIT_USAGE)
    except DataValidationError as err:
        _fail(str(err))
    except (EvalkitError, OSError) as err:
        _fail(f"Error: {err}")
    click.echo(result.to_markdown())
    from evalkit.validate import validate_dir

    for warning in validate_dir(out).warnings:  # valid data a report cannot fully use: said, not a failure
        click.echo(f"  - warning: {warning}", err=True)
    tables = result.tables
    click.echo(f"Imported {len(tables['participants'])} participants in {len(tables['partnerships'])} "
               f"partnership(s), {len(tables['responses'])} answers, into {out} (it passes evalkit validate).",
               err=True)
