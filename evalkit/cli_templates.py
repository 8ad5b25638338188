"""``evalkit templates``: the report templates shipped inside the package, and editable copies of them.

``evalkit templates copy DIR`` writes ``partnership_report.ipynb`` and
``portfolio_report.ipynb`` into DIR for an analyst to edit; ``evalkit run DATA_DIR
--template DIR/partnership_report.ipynb`` then renders the edited copy.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from evalkit.errors import EvalkitError

EXIT_USAGE = 2


@click.group()
def templates() -> None:
    """The report templates: list them, or copy them to edit."""


@templates.command("list")
def list_templates() -> None:
    """Print the path of each report template shipped with evalkit."""
    from evalkit.resources import REPORT_TEMPLATES, template_path

    for name in REPORT_TEMPLATES:
        click.echo(str(template_path(name)))


@templates.command("copy")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite copies already in OUT_DIR.")
def copy(out_dir: Path, force: bool) -> None:
    """Copy the report templates into OUT_DIR (created if needed) to edit them.

    Existing files are kept unless --force is given (exit 2, nothing copied).
    Render an edited copy with: evalkit run DATA_DIR --template OUT_DIR/partnership_report.ipynb
    """
    from evalkit.resources import REPORT_TEMPLATES, template_path

    try:
        sources = [template_path(name) for name in REPORT_TEMPLATES]
    except EvalkitError as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    targets = [out_dir / source.name for source in sources]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        click.echo(f"Error: {', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; nothing was "
                   "copied. Pass --force to overwrite, or choose another folder.", err=True)
        sys.exit(EXIT_USAGE)
    if out_dir.exists() and not out_dir.is_dir():
        click.echo(f"Error: {out_dir} is not a folder; expected a folder to copy the templates into.", err=True)
        sys.exit(EXIT_USAGE)
    out_dir.mkdir(parents=True, exist_ok=True)
    for source, target in zip(sources, targets):
        shutil.copyfile(source, target)  # a plain file, even where the source is a symlink
        click.echo(str(target))
    click.echo(f"Copied {len(targets)} templates to {out_dir}; render an edited one with "
               f"`evalkit run DATA_DIR --template {targets[0]}`.", err=True)
