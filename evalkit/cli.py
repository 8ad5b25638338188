"""Command-line interface: ``evalkit validate``, ``evalkit sample``, ``evalkit run``.

Safe for cron: never prompts, logs to stderr, and exits with a meaningful code:

* 0  everything succeeded
* 1  some reports failed to render (the others were written)
* 2  the input data or the arguments are wrong (nothing was rendered)
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from evalkit.errors import DataValidationError, EvalkitError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="evalkit")
def main() -> None:
    """evalkit: pre/post evaluation reports for community partnerships."""


@main.command()
@click.argument("data_dir", type=click.Path(file_okay=False, path_type=Path))
def validate(data_dir: Path) -> None:
    """Check DATA_DIR against the data contract (data/README.md) and list every problem."""
    from evalkit.validate import validate_dir

    violations = validate_dir(data_dir)
    if violations:
        err = DataValidationError(violations, source=str(data_dir))
        click.echo(str(err), err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{data_dir}: OK, the data meet the contract.", err=True)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--partnerships", default=12, show_default=True, type=click.IntRange(5, 10_000),
              help="Number of partnerships to generate.")
@click.option("--participants", default=300, show_default=True, type=click.IntRange(20, 1_000_000),
              help="Largest number of participants in one partnership (sizes vary from 20 up to this).")
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed; the same seed gives the same files.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet", "xlsx"]), default="csv", show_default=True,
              help="File format of the tables written.")
def sample(out_dir: Path, partnerships: int, participants: int, seed: int, fmt: str) -> None:
    """Write a deterministic synthetic dataset with known truths into OUT_DIR."""
    from evalkit.sample import write_sample

    write_sample(out_dir, partnerships=partnerships, participants=participants, seed=seed, fmt=fmt)
    click.echo(f"Wrote sample data to {out_dir}", err=True)
