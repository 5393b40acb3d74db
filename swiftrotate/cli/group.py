"""The click group: the global options, lazy command loading, and the
help text `swiftrotate --help` opens with. cli/__init__.py's main() calls it
for every command line but the hook's own (cli/hook.py).

Must not: map errors to exit codes (main() does) or hold a command's logic.
"""
import importlib

import click

from .. import __version__
from . import COMMANDS
from .context import Context

CLICK_ERRORS = (click.ClickException, click.exceptions.Abort)


class Commands(click.Group):
    """Each command's module (cli/<name>.py, and the core it calls) is
    imported when that command runs: the logrotate hook, `upload`, must not
    pay for fetch's or rename's imports on every no-op run."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"{__package__}.{name}"), name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", metavar="FILE", envvar="SWIFTROTATE_CONFIG",
              help="INI file (default /etc/swiftrotate.conf when it exists).")
@click.option("--dest", metavar="URL", help="Store: swift://CONTAINER[/PREFIX], s3://BUCKET[/PREFIX] or "
              "file:///DIR. Env SWIFTROTATE_DEST. Default file://STATE_DIR/archive.")
@click.option("--state-dir", metavar="DIR", help="Ledger and lock folder (default /var/lib/swiftrotate). "
              "Env SWIFTROTATE_STATE_DIR.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug messages.")
@click.option("-v", "--verbose", is_flag=True, help="Report every file.")
@click.option("-q", "--quiet", is_flag=True, help="Report errors only.")
@click.version_option(__version__, prog_name="swiftrotate")
@click.pass_context
def cli(ctx, config, dest, state_dir, debug, verbose, quiet):
    """Archive logrotate's rotated logs to Swift, S3 or a folder, verified.

    \b
    In a logrotate stanza (works with or without sharedscripts):
        postrotate
            swiftrotate upload "$1"
        endscript
    From cron, to catch up:   swiftrotate upload '/var/log/nginx/*.log'
    Credentials live in the config file (chmod 600) or the environment
    (ST_AUTH/ST_USER/ST_KEY, OS_*, AWS_*), never on the command line.
    """
    ctx.obj = Context(config, dest, state_dir, debug, verbose, quiet)


def show(exc, plugin):
    """A click error's message (usage, a bad option) and its exit code."""
    if isinstance(exc, click.exceptions.Abort):
        click.echo("swiftrotate: interrupted", err=True)
        return 130
    if plugin:
        return None
    exc.show()
    return exc.exit_code
