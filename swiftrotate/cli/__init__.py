"""Command line: every command is a click wrapper in cli/<command>.py that
parses, calls its core in commands/, and renders the result with
cli/output.py. Here: the group, its global options, and the one place
where typed errors become exit codes (errors.ExitCode, sysexits values;
see docs/reference.md): 0 ok, 1 gate veto, 2 usage, 65 data/integrity, 66 missing
input, 69 unavailable, 70 internal, 74 local I/O, 75 temporary failure,
77 permission/auth, 78 config, 130 interrupted.

Must not: hold a command's logic.
"""
import importlib
import sys

import click

from .. import __version__
from ..errors import ExitCode, SwiftrotateError
from .context import Context, log, record_fatal

COMMANDS = ("fetch", "fleet", "gate", "lifecycle", "ls", "rename", "upload", "verify")


class Commands(click.Group):
    """Each command's module (cli/<name>.py, and the core it calls) is
    imported when that command runs: the logrotate hook, `upload`, must not
    pay for fetch's or rename's imports on every no-op run."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"{__name__}.{name}"), name)


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


GLOBAL_WITH_VALUE = ("--config", "--dest", "--state-dir")


def hoist_globals(args):
    """Move --config/--dest/--state-dir typed after the command name in front
    of it, where click expects them: `swiftrotate upload --config F LOG`
    works like `swiftrotate --config F upload LOG`. Nothing after `--` moves."""
    args = list(args)
    command = next((i for i, a in enumerate(args) if a in COMMANDS
                    and (i == 0 or args[i - 1] not in GLOBAL_WITH_VALUE)), None)
    if command is None:
        return args
    front, rest, moved = args[:command], [], []
    tail = iter(args[command:])
    for arg in tail:
        if arg == "--":
            rest.append(arg)
            rest.extend(tail)
        elif arg in GLOBAL_WITH_VALUE:
            value = next(tail, None)
            if value is None:  # no value: left where it is, for click to refuse
                rest.append(arg)
            else:
                moved += [arg, value]
        elif arg.startswith(tuple(g + "=" for g in GLOBAL_WITH_VALUE)):
            moved.append(arg)
        else:
            rest.append(arg)
    return front + moved + rest


def main(argv=None):
    argv = hoist_globals(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in argv
    try:
        cli.main(args=argv, prog_name="swiftrotate", standalone_mode=False)
    except SwiftrotateError as exc:
        if debug:
            log.exception("debug traceback")
        click.echo(f"swiftrotate: error: {exc.line()}", err=True)
        record_fatal(f"error: {exc.line()}")
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("swiftrotate: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("swiftrotate: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            raise
        line = f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback, and report it)"
        click.echo(f"swiftrotate: {line}", err=True)
        record_fatal(line)
        sys.exit(ExitCode.SOFTWARE)
    sys.exit(ExitCode.OK)
