"""`swiftrotate fleet` (to become `status --fleet`): options, then
commands/fleet.py, then the table or the JSON document.

fleet_options and show() are what `status --fleet` reuses; table() and
document() are pure (a Result in, text out). Must not: hold logic.
"""
import json
import sys

import click

from ..commands import fleet as core
from ..naming import escape
from .context import pass_ctx, verbosity


def fleet_options(command):
    """--host, --stale, --jobs and --json, as `fleet` (and `status --fleet`) take them."""
    for option in reversed([
        click.option("--host", "hosts", multiple=True, metavar="GLOB",
                     help="Only these hosts (name or glob); repeat for several. Default: every host."),
        click.option("--stale", "stale_days", type=click.IntRange(0), default=core.DEFAULT_STALE_DAYS,
                     show_default=True, metavar="DAYS",
                     help="A host whose newest archive is older than DAYS days (by date) is stale."),
        click.option("--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True,
                     help="Hosts read in parallel."),
        click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout."),
    ]):
        command = option(command)
    return command


@click.command()
@fleet_options
@verbosity
@pass_ctx
def fleet(obj, hosts, stale_days, jobs, as_json):
    """Each host's and each log's newest archive, read from the store.

    \b
    Reads the store, not this host's ledger: run it anywhere the store can
    be read to see which hosts stopped archiving. One line per host and
    log (HOST LOG NEWEST AGE, 'stale' when older than --stale days), then
    the stale hosts. The listings grow with hosts x logs, never with the
    days kept (see docs/fleet.md).

    \b
    Exit codes:
      0   every host archived within --stale days
      1   some hosts did not (degraded)
      2   no host did (failing)
      66  the container does not exist, or no host (matching --host) has
          an archive
    """
    result = core.run(obj.settings, hosts=hosts, stale_days=stale_days, jobs=jobs, open_backend=obj.open_reader)
    show(result, as_json)
    sys.exit(result.exit_code)


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
