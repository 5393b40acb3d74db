"""The upload command's click-free half: the logrotate hook's own line,
`swiftrotate [--config FILE] upload [-q|-v|--debug] LOG...`, is parsed here
and runs without importing click. logrotate runs that line for every stanza
on every host every day, mostly to find nothing new, and click's import was a
third of such a run (issue 13: a no-op hook within 100 ms).

Any other form (another option, --help, a bundled -qv, `--`) is click's:
parse() says None and cli/group.py parses it. Both then run archive() here,
so the two paths differ in parsing only (tests/cli/test_hook_line.py runs
each form both ways).

Must not: accept an option click would read differently; hold upload logic.
"""
import logging
import os
import sys

from ..commands import upload as core
from ..naming import escape
from .context import Context, log

GLOBAL_VALUES = {"--config": "config", "--dest": "dest", "--state-dir": "state_dir"}
FLAGS = {"-q": "quiet", "--quiet": "quiet", "-v": "verbose", "--verbose": "verbose", "--debug": "debug"}


class HookLine:
    def __init__(self, patterns, config=None, dest=None, state_dir=None, quiet=False, verbose=False, debug=False):
        self.patterns, self.config, self.dest, self.state_dir = patterns, config, dest, state_dir
        self.quiet, self.verbose, self.debug = quiet, verbose, debug

    def __eq__(self, other):  # not a dataclass: see outcome.py
        return isinstance(other, HookLine) and vars(self) == vars(other)

    def __repr__(self):
        return f"HookLine({vars(self)})"


def parse(argv):
    """The HookLine of `argv` (already through cli.hoist_globals, so the
    global options are in front), or None for click to parse."""
    line, args, seen = HookLine([]), list(argv), set()
    while args and args[0] != "upload":
        arg = args.pop(0)
        name, eq, value = arg.partition("=")
        if arg in FLAGS:
            setattr(line, FLAGS[arg], True)
        elif name in GLOBAL_VALUES and name not in seen and (eq or args):
            seen.add(name)
            setattr(line, GLOBAL_VALUES[name], value if eq else args.pop(0))
        else:
            return None
    for arg in args[1:]:
        if arg in FLAGS:
            setattr(line, FLAGS[arg], True)
        elif arg.startswith("-"):
            return None
        else:
            line.patterns.append(arg)
    if not args or not line.patterns:
        return None
    if line.config is None:
        line.config = os.environ.get("SWIFTROTATE_CONFIG") or None  # click's envvar, empty = unset
    return line


def run(line):
    obj = Context(line.config, line.dest, line.state_dir, line.debug, line.verbose, line.quiet)
    archive(obj, line.patterns)


def archive(obj, patterns, *, dry_run=False, jobs=8, remove=False, **flags):
    """What `upload` does once parsed, from either path; exits with its code."""
    obj.settings.set_flags(**flags)
    report = core.run(obj.settings, patterns, dry_run=dry_run, jobs=jobs, log=log,
                      open_backend=obj.open_backend, remove=remove and not dry_run)
    upload_report(report, patterns, dry_run=dry_run, verbose=obj.verbose)
    sys.exit(report.exit_code)


def upload_report(report, patterns, *, dry_run, verbose):
    for warning in report.warnings:
        log.warning("%s", warning)
    if dry_run:
        for line in report.settings:
            print(line, flush=True)
        for o in report.outcomes:
            print(f"{o.status:13} {o.size:>12}  {escape(o.path)} -> {escape(o.key)}", flush=True)
    elif verbose:
        for o in report.outcomes:
            if o.status not in ("uploaded", "failed"):  # those have had their own line already
                print(f"{o.status:9} {escape(o.path)} -> {escape(o.key)}", file=sys.stderr, flush=True)
    if report.failures or not report.outcomes or verbose:
        level = logging.ERROR if report.failures else logging.WARNING
        if report.outcomes:
            log.log(level, "%s", report.summary())
        elif not report.problems:  # a problem has had its own line already
            log.warning("no rotated files found for %s", escape(" ".join(patterns).strip()))
    else:
        log.info("%s", report.summary())
