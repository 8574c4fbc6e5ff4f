"""The ``tracker`` command: a thin shell over the library.

Commands only parse arguments, load the config, wire adapters to the core and print.
The library raises :class:`~tracker.errors.TrackerError`; :func:`main` is the single place
that turns one into a message on stderr and an exit status.
"""

from __future__ import annotations

import logging
import sys

import click

from tracker import __version__
from tracker.cli import github, install, local, read, site, whatif
from tracker.errors import TrackerError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracker")
def cli() -> None:
    """A service desk that lives in a GitHub repository (or a local SQLite file)."""


_GROUPS = (install, local, read, github, whatif, site)
for _command in (command for group in _GROUPS for command in group.COMMANDS):
    cli.add_command(_command)


class _StderrHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"warning: {record.getMessage()}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and map library errors to messages and exit codes."""
    handler = _StderrHandler(logging.WARNING)
    logging.getLogger("tracker").addHandler(handler)
    code = 0
    try:
        rv = cli.main(args=argv, prog_name="tracker", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TrackerError as exc:
        click.echo(f"error: {exc}", err=True)
        if exc.hint:
            click.echo(exc.hint, err=True)
        sys.exit(exc.exit_code)
    finally:
        logging.getLogger("tracker").removeHandler(handler)
    sys.exit(code)
