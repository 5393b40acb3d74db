"""`swiftrotate status`: options, then commands/status.py, then output.

Must not: hold logic or print other than through output.py.
"""
import sys

import click

from .. import metrics, nagios
from ..commands import status as core
from ..health import Thresholds
from . import output
from .context import pass_ctx, verbosity


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
@verbosity
@pass_ctx
def status(obj, patterns, as_json, nagios, warning, critical, prometheus):
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

    \b
    Examples:
      swiftrotate status
      swiftrotate status --json /var/log/nginx/*.log
      swiftrotate status --nagios -w 86400,80 -c 172800,95
    """
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
