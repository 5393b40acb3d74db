"""`swiftrotate fetch`: options, then commands/fetch.py, then output.

Must not: hold logic or print other than through output.py.
"""
import sys

import click

from ..commands import fetch as core
from ..errors import UsageError
from . import output
from .options import pass_ctx, verbosity


@click.command()
@click.argument("logs", nargs=-1, required=True)
@click.option("--since", metavar="DATE", help="First day whose lines you want (inclusive). 2026-11-03, "
              "'Nov 3 2026', 2026/11/03, 7d, 2w, yesterday, today. Default: the oldest archive.")
@click.option("--until", metavar="DATE", help="Last day whose lines you want (inclusive). Default: today.")
@click.option("--host", "hosts", multiple=True, metavar="PATTERN",
              help="Host name or glob; repeat for several; '*' = every host. Default: this host.")
@click.option("-o", "--output", "out", metavar="DIR", default=".", show_default=True,
              help="Download into DIR/{host}/{log path}{stamp}{ext}.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Write the bytes to stdout in date order, for | grep.")
@click.option("--decompress", is_flag=True, help="With --stdout: decompress .gz/.bz2/.xz/.zst on the fly.")
@click.option("--list", "list_only", is_flag=True, help="Dry run: show what would be fetched.")
@click.option("--json", "as_json", is_flag=True, help="List as JSON lines, for scripts (implies --list).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Parallel downloads.")
@click.option("--overwrite", is_flag=True, help="Replace local files that differ from the archive.")
@click.option("--by-stamp", is_flag=True, help="Match file stamps exactly; do not widen the range.")
@click.option("--tz", metavar="ZONE", help="Zone for today/yesterday/7d (default: local).")
@click.option("--dateformat", help="dateformat of the archived names, read first (default: config, else -%Y%m%d; "
              "common forms are read too).")
@verbosity
@pass_ctx
def fetch(obj, logs, since, until, hosts, out, to_stdout, decompress, list_only, as_json, jobs, overwrite,
          by_stamp, tz, dateformat):
    """Fetch the archives of LOGS for a range of days, verified.

    \b
    LOGS are live log paths as on the original host (/var/log/nginx/access.log),
    or globs matched against the archived logs ('/var/log/nginx/*.log'; '*'
    stays within a folder). Stamps in every form a log can carry are read:
    its dateformat, the finer one `swiftrotate rename` gives, then common
    forms a logrotate stanza's dateformat may give (.%Y-%m-%d, -%Y%m%d%H, ...).
    A key of the log that no form reads is named, and the exit is non-zero
    after the rest are fetched: --dateformat reads it.
    Dates are days whose lines you want. Without logrotate's dateyesterday a
    file is stamped with its rotation day, so day D's lines are mostly in the
    file stamped D+1: the stamp range is widened by a day (--by-stamp: don't).
    Declare dateyesterday per log in the config ([log GLOB] dateyesterday = yes).

    \b
    Examples:
      swiftrotate fetch /var/log/nginx/access.log --since 'Nov 3' --until 'Nov 9' --host web01 --host web02
      swiftrotate fetch /var/log/syslog --since 2d --host '*' --stdout --decompress | grep -i oom
      swiftrotate fetch /var/log/app.log --since 2026-11-01 --list --json
    Exit 0 when everything asked for was fetched and verified; 66 when nothing
    is archived in the range (the nearest dates, or the hosts that have the
    log, are named), when a host and log named exactly (no glob) or a LOGS
    glob has none there (the others are still fetched), or the container
    does not exist; 65 on a checksum
    mismatch or an unsafe key.
    """
    obj.settings.set_flags(dateformat=dateformat)
    if decompress and not to_stdout:
        raise UsageError("--decompress goes with --stdout")
    if as_json and to_stdout:
        raise UsageError("--json lists archives; --stdout writes their bytes: choose one")
    list_only = list_only or as_json  # --json is a listing for scripts, never a download into "."
    logs = [core.check_log(x) for x in logs]
    when = core.window(obj.settings, logs, since, until, by_stamp=by_stamp, tz=tz)
    if when.widened and not obj.quiet:
        output.fetch_window(when)
    progress = output.FetchProgress(show_bar=not (list_only or obj.verbose or obj.quiet), verbose=obj.verbose)

    def on_plan(result):
        output.fetch_plan(result, when, hosts=hosts or [obj.settings.get("host")], list_only=list_only,
                          as_json=as_json)
        if not list_only:
            progress.start(result)

    result = core.run(obj.settings, logs, when, hosts=hosts, list_only=list_only, output=out,
                      stream=sys.stdout.buffer if to_stdout else None, decompress=decompress, jobs=jobs,
                      overwrite=overwrite, open_backend=obj.open_reader, on_plan=on_plan, on_done=progress.done,
                      on_progress=progress.bytes)
    progress.finish()
    if result.plan.items and not (list_only or obj.quiet or to_stdout):
        output.fetch_summary(result, out)
    sys.exit(result.exit_code)
