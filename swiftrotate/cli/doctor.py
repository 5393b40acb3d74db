"""`swiftrotate doctor`: options, then commands/doctor, then output.

Must not: hold logic or print other than through output.py.
"""
import sys

import click

from ..commands import doctor as core
from . import output
from .options import pass_ctx, verbosity


@click.command()
@click.argument("confs", nargs=-1, metavar="[LOGROTATE_CONF]...")
@click.option("--main", metavar="CONF", default=core.DEFAULT_CONF, show_default=True,
              help="The config logrotate runs: a LOGROTATE_CONF it includes is checked with the global "
                   "settings it gets there (its rotate, create, ...), not logrotate's bare defaults.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout: the findings and the counts.")
@verbosity
@pass_ctx
def doctor(obj, confs, main, as_json):
    """Check logrotate's config and swiftrotate's together before a log is lost.

    \b
    Reads LOGROTATE_CONF (files or folders, as on logrotate's command
    line; default /etc/logrotate.conf with what it includes) exactly as
    logrotate 3.21 reads it, and the swiftrotate config (--config). A
    file that --main includes is read there, with its global settings.
    One line per finding:
      FILE:LINE: SEVERITY: problem; fix
    For example:
      /etc/logrotate.d/app:1: error: the hook archives dated rotations
        only, and this stanza has no dateext: ...; add dateext ...

    \b
    It finds: logrotate's own parse errors; a stanza with the hook but no
    dateext, or a dateformat the hook cannot read or that collides, or
    extension; $2 where logrotate leaves it empty; the hook in
    prerotate/firstaction, or after a command that can skip it (or a
    here-document that never ends), or with its exit status lost; a
    short rotate/maxage (the days of store outage that lose logs) without
    a preremove gate; copytruncate; nocreate with lastaction; a
    compresscmd whose format is not the rotations' extension; swiftrotate
    settings that contradict the stanza; a stanza read more than once; a
    state_dir or spool_dir on a network filesystem or writable by others;
    an olddir on another filesystem than the spool. -q shows errors and
    warnings only.

    \b
    Exit codes:
      0   nothing found (notes only)
      1   warnings
      2   errors (or a usage error)

    \b
    Examples:
      swiftrotate doctor
      swiftrotate doctor /etc/logrotate.d/nginx
      swiftrotate --config /etc/swiftrotate.conf doctor --json
    """
    result = core.run(obj.settings, confs, main=main)
    output.doctor_report(result, quiet=obj.quiet, as_json=as_json)
    sys.exit(result.exit_code)


# the shared -q help says "errors only"; doctor's -q keeps the warnings, which are what to act on
for _param in doctor.params:
    if _param.name == "quiet":
        _param.help = "Show errors and warnings only (no notes, no counts)."
