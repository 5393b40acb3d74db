"""`swiftrotate ls`: options, then commands/ls.py.

Must not: hold logic or print other than through output.py.
"""
import click

from ..commands import fetch as fetch_core
from ..commands import ls as core
from . import output
from .options import pass_ctx, verbosity


@click.command("ls")
@click.argument("prefix", default="")
@click.option("--host", "hosts", multiple=True, metavar="PATTERN",
              help="Only this host (name or glob); repeat for several. Default: every host.")
@click.option("--log", "logs", multiple=True, metavar="LOG",
              help="Only this live log (absolute path or glob, as fetch's LOGS); repeat for several.")
@click.option("--since", metavar="DATE", help="First day whose lines you want (inclusive), as fetch's.")
@click.option("--until", metavar="DATE", help="Last day whose lines you want (inclusive), as fetch's.")
@click.option("--by-stamp", is_flag=True, help="Match file stamps exactly; do not widen the range.")
@click.option("--tz", metavar="ZONE", help="Zone for today/yesterday/7d (default: local).")
@click.option("--dateformat", help="dateformat of the archived names, read first (default: config, else -%Y%m%d; "
              "common forms are read too).")
@click.option("-H", "--human", is_flag=True, help="Sizes as 1.5 KiB, 40.0 MiB (-h is --help).")
@verbosity
@pass_ctx
def ls(obj, prefix, hosts, logs, since, until, by_stamp, tz, dateformat, human):
    """List archived objects under PREFIX (size, stamp, key), sorted by key.

    \b
    STAMP is the time the key's stamp says, in any stamp form a log can carry
    (its dateformat, rename's finer one, then common forms such as .%Y-%m-%d
    or -%Y%m%d%H that a logrotate stanza may give); '-' for a key that is not
    an archive's. Filtering, a key no form reads is left out with a warning
    naming it (--dateformat reads it).
    --host, --log, --since and --until narrow the listing; dates
    mean what they mean for fetch (the days whose lines you want: widened by
    a day unless --by-stamp or dateyesterday). A header line is shown on a
    terminal only. Exit 66 when the container does not exist, or when
    filters match nothing.

    Keys are printed escaped (a control character as \\n, \\x1b, ...): a
    key is whatever someone with write access to the store chose."""
    obj.settings.set_flags(dateformat=dateformat)
    logs = [fetch_core.check_log(x) for x in logs]
    when = None
    if since or until:
        when = fetch_core.window(obj.settings, logs or [None], since, until, by_stamp=by_stamp, tz=tz)
        if when.widened and not obj.quiet:
            output.fetch_window(when)
    output.ls_header(human)
    core.run(obj.settings, prefix, hosts=hosts, logs=logs, when=when, open_backend=obj.open_reader,
             on_item=lambda entry: output.ls_line(entry, human), on_unread=output.ls_unread)
