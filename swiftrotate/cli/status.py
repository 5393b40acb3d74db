"""`swiftrotate status`: options, then commands/status (the ledger and this disk) or, with
--fleet, commands/status/fleet.py (the store), then output.

Must not: hold logic or print other than through output.py.
"""
import json
import sys

import click

from .. import metrics, nagios
from ..commands import status as core
from ..commands.status import fleet as fleet_core
from ..health import Thresholds
from ..naming import escape
from . import output
from .options import pass_ctx, verbosity


@click.command()
@click.argument("patterns", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout.")
@click.option("--nagios", is_flag=True, help="A Nagios/Icinga/Naemon/Sensu plugin: one line with perfdata, "
              "exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
@click.option("-w", "--warning", metavar="AGE,SPOOL", help="With --nagios: WARNING ranges for the oldest pending "
              "file's age (seconds) and the spool's use (percent of spool_cap). Default: warn_pending_age,warn_spool.")
@click.option("-c", "--critical", metavar="AGE,SPOOL", help="With --nagios: CRITICAL ranges, as -w. "
              "Default: crit_pending_age,crit_spool.")
@click.option("--prometheus", is_flag=True, help="The metrics metrics_file holds, in Prometheus' text format.")
@click.option("--fleet", is_flag=True, help="Every host's newest archive, read from the store (not this host's "
              "ledger): which hosts stopped archiving. Takes --host, --stale, --jobs, --json.")
@click.option("--host", "hosts", multiple=True, metavar="GLOB",
              help="With --fleet: only these hosts (name or glob); repeat for several. Default: every host.")
@click.option("--stale", "stale_days", type=click.IntRange(0), default=fleet_core.DEFAULT_STALE_DAYS,
              show_default=True, metavar="DAYS",
              help="With --fleet: a host whose newest archive is older than DAYS days (by date) is stale.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True,
              help="With --fleet: hosts read in parallel.")
@verbosity
@pass_ctx
def status(obj, patterns, as_json, nagios, warning, critical, prometheus, fleet, hosts, stale_days, jobs):
    """How every log stands: from the ledger and this disk only, no network.

    \b
    Per log (those the ledger has run records of, or those PATTERNS name):
    the newest archived stamp, the rotated files not archived yet (count,
    bytes, the oldest one's age; spooled ones included), conflicts, the
    last successful run and the last run's result. For the host: the spool
    against spool_cap, and interrupted uploads whose parts wait for cleanup.

    \b
    Exit codes:
      0   healthy
      1   degraded: a rotated file older than warn_pending_age (1d), the
          spool above warn_spool (80%), a conflict, or a failed last run
      2   failing: a rotated file older than crit_pending_age (2d), or the
          spool above crit_spool (95%)
      66  no ledger, or no run recorded for the logs
    With --nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (any error).
    With --fleet (the store, not the ledger; one line per host and log,
    HOST LOG NEWEST AGE, then the stale hosts; the listings grow with
    hosts x logs, never with the days kept): 0 every host archived within
    --stale days, 1 some did not, 2 none did, 66 the container does not
    exist or no host (matching --host) has an archive.

    \b
    Examples:
      swiftrotate status
      swiftrotate status --json /var/log/nginx/*.log
      swiftrotate status --nagios -w 86400,80 -c 172800,95
      swiftrotate status --fleet --host 'web*' --stale 3
    """
    if fleet:
        if patterns or nagios or prometheus or warning or critical:
            raise click.UsageError("--fleet reads the store for every host: it takes no PATTERNS, "
                                   "--nagios, --prometheus, -w or -c")
        result = fleet_core.run(obj.settings, hosts=hosts, stale_days=stale_days, jobs=jobs,
                                open_backend=obj.open_reader)
        show(result, as_json)
        sys.exit(result.exit_code)
    if hosts:
        raise click.UsageError("--host goes with --fleet (the ledger is this host's)")
    if nagios:
        sys.exit(plugin(obj.settings, patterns, warning, critical))
    result = core.run(obj.settings, patterns)
    if prometheus:
        click.echo(metrics.render(result), nl=False)
    elif as_json:
        output.json_document(core.as_dict(result))
    else:
        output.status_table(core.as_dict(result), color=sys.stdout.isatty())
    sys.exit(result.level)


def plugin(settings, patterns, warning, critical):
    """--nagios: never a traceback; any failure is UNKNOWN with its reason."""
    try:
        t = Thresholds.of(settings)
        warn = nagios.parse_pair(warning, (_num(t.warn_pending_age), _num(t.warn_spool)))
        crit = nagios.parse_pair(critical, (_num(t.crit_pending_age), _num(t.crit_spool)))
        result = core.run(settings, patterns)
        state, line = nagios.check(result, warn, crit, core.others(result))
    except Exception as exc:  # the guidelines: UNKNOWN, one line, exit 3
        state, line = nagios.unknown(exc.line() if hasattr(exc, "line") else f"{type(exc).__name__}: {exc}")
    click.echo(line)
    return state


def _num(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def show(result, as_json):
    if as_json:
        click.echo(document(result))
        return
    header = click.get_text_stream("stdout").isatty()
    for line in table(result, header=header):
        click.echo(line)


def document(result):
    return json.dumps(result.as_dict(), indent=1)


def table(result, header=False):
    """The lines: a header (on a terminal), one per host and log, a summary."""
    rows = []
    for host in result.hosts:
        for log in host.logs:
            rows.append((escape(host.host), escape(log.log), _when(log.when), f"{log.age_days}d",
                         "stale" if log.stale else ""))
        if not host.logs:
            rows.append((escape(host.host), "-", "-", "-", "stale"))
    widths = [max([len(r[i]) for r in rows] + [4]) for i in range(3)]
    lines = [_row(("HOST", "LOG", "NEWEST", "AGE", ""), widths)] if header else []
    lines += [_row(r, widths) for r in rows]
    stale = result.stale_hosts
    summary = (f"fleet: {len(result.hosts)} hosts, {sum(len(h.logs) for h in result.hosts)} logs; "
               f"{len(stale)} stale (newest archive older than {result.stale_days} days)")
    lines.append(summary + (": " + " ".join(escape(h.host) for h in stale) if stale else ""))
    if result.skipped:
        lines.append(f"fleet: {result.skipped} keys under the hosts are no archive's (skipped)")
    return lines


def _row(cells, widths):
    return "  ".join([c.ljust(w) for c, w in zip(cells, widths)] + [f"{cells[3]:>5}", cells[4]]).rstrip()


def _when(moment):
    return moment.strftime("%Y-%m-%d") if moment.time() == moment.min.time() else moment.strftime("%Y-%m-%d %H:%M:%S")
