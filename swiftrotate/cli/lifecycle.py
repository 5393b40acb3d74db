"""`swiftrotate lifecycle`: options, then commands/lifecycle.py, then output.

Must not: hold logic or print other than through output.py.
"""
import click

from ..commands import lifecycle as core
from . import output
from .options import pass_ctx, verbosity


@click.command("lifecycle")
@click.option("--expire-after", "expire_after", type=click.IntRange(1), metavar="DAYS",
              help="Install the rule for DAYS (default: every expire_after in the config: "
                   "[swiftrotate] and each [log GLOB] section).")
@click.option("-n", "--dry-run", is_flag=True, help="Show the difference; change nothing.")
@verbosity
@pass_ctx
def lifecycle(obj, expire_after, dry_run):
    """Install the S3 lifecycle rules that expire archives (s3:// stores).

    \b
    On S3, `upload` with expire_after = N tags each archive
    swiftrotate-expire-days=N. This command installs, once per bucket and
    again whenever you add a new N, one rule per N that expires objects with
    that tag under the store's prefix. It is idempotent: it shows the
    difference (+ added, - replaced, = unchanged) and writes only when
    something is missing. Rules that are not swiftrotate's stay as they are,
    and a rule for an N no longer configured is kept, since objects already
    tagged with it must still expire. Swift needs no rule: each object
    carries X-Delete-After.

    \b
      swiftrotate --dest s3://logs-bucket/prod lifecycle --dry-run
      swiftrotate --dest s3://logs-bucket/prod lifecycle
    """
    result = core.run(obj.settings, expire_after=expire_after, dry_run=dry_run, open_backend=obj.open_backend,
                      on_plan=output.lifecycle_diff)
    output.lifecycle_summary(result)
