"""Command line: every command is a click wrapper in cli/<command>.py that
parses, calls its core in commands/, and renders the result with
cli/output.py; the click group is cli/group.py. The logrotate hook's own
line (`swiftrotate upload "$1"`) is parsed by cli/hook.py without click.
Here: the entry point, and the one place where typed errors become exit
codes (errors.ExitCode, sysexits values; see docs/reference.md): 0 ok, 1
gate veto, 2 usage, 65 data/integrity, 66 missing input, 69 unavailable, 70
internal, 74 local I/O, 75 temporary failure, 77 permission/auth, 78 config,
130 interrupted.

Must not: import click (cli/group.py does, for every line but the hook's), or
hold a command's logic.
"""
import importlib
import sys

from ..errors import ExitCode, SwiftrotateError
from . import hook
from .context import log, record_fatal

COMMANDS = ("doctor", "fetch", "gate", "lifecycle", "ls", "rename", "status", "upload", "verify")


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


def as_plugin(argv):
    """`status --nagios` follows the Monitoring Plugins guidelines even when
    it fails before the command runs (a bad config, a usage error): one
    UNKNOWN line on stdout, exit 3."""
    return "--nagios" in argv and "status" in argv and "--help" not in argv and "-h" not in argv


def main(argv=None, plain_hook=True):
    """plain_hook=False sends the hook's own line through click too (tests
    compare the two)."""
    argv = hoist_globals(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in argv
    plugin = as_plugin(argv)
    line = hook.parse(argv) if plain_hook else None
    group = None if line else importlib.import_module(f"{__name__}.group")
    try:
        if line:
            hook.run(line)
        else:
            group.cli.main(args=argv, prog_name="swiftrotate", standalone_mode=False)
    except SwiftrotateError as exc:
        if debug and not plugin:
            log.exception("debug traceback")
        _fail(exc.line(), exc.exit_code, plugin)
    except (KeyboardInterrupt, EOFError):  # click makes both an Abort: the same on the hook's path
        _fail("interrupted", ExitCode.INTERRUPTED, plugin, prefix="")
    except SystemExit:
        raise
    except Exception as exc:
        if group is not None and isinstance(exc, group.CLICK_ERRORS):
            code = group.show(exc, plugin)
            if code is not None:
                sys.exit(code)
            _fail(exc.format_message(), ExitCode.USAGE, plugin)
        if debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc}", ExitCode.SOFTWARE, plugin, prefix="",
              hint=" (rerun with --debug for a traceback, and report it)")
    sys.exit(ExitCode.OK)


def _fail(line, code, plugin, prefix="error: ", hint=""):
    """One line on stderr (and syslog), or the plugin's UNKNOWN line on stdout."""
    if plugin:
        state, text = importlib.import_module("swiftrotate.nagios").unknown(line)
        print(text, flush=True)
        sys.exit(state)
    print(f"swiftrotate: {prefix}{line}{hint}", file=sys.stderr, flush=True)
    record_fatal(f"{prefix}{line}{hint}")
    sys.exit(code)
