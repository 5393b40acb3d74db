"""`swiftrotate lifecycle`: install the S3 bucket rules that expire what the
hook tagged. The rules themselves are planned in lifecycle.py (pure).

cli.py adds it with `cli.add_command(lifecycle)`; like rename_command.py it
takes the group's Context through click.pass_obj.
"""
import click

from .errors import AuthError, BackendError, ConfigError, TransientError, UsageError


@click.command("lifecycle")
@click.option("--expire-after", "expire_after", type=click.IntRange(1), metavar="DAYS",
              help="Install the rule for DAYS (default: every expire_after in the config: "
                   "[swiftrotate] and each [log GLOB] section).")
@click.option("-n", "--dry-run", is_flag=True, help="Show the difference; change nothing.")
@click.pass_obj
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
    from . import lifecycle as plan_rules
    from .backends import parse_url

    settings = obj.settings
    scheme = parse_url(settings.get("dest"))[0]
    if scheme != "s3":
        raise UsageError(f"lifecycle rules are for s3:// stores, not {scheme}://",
                         "Swift expires each archive by X-Delete-After; a folder store never expires")
    days = {expire_after} if expire_after else configured_days(settings)
    if not days:
        raise ConfigError("no expire_after is configured, so there is no rule to install",
                          "set expire_after = DAYS in [swiftrotate] or a [log GLOB] section, or pass --expire-after")
    with obj.open_backend() as backend:
        current = backend.lifecycle_rules()
        plan = plan_rules.plan(current, backend.prefix, days)
        for line in plan_rules.diff_lines(plan):
            click.echo(line)
        where = f"s3://{backend.bucket}"
        if not plan.needed:
            click.echo(f"{where}: lifecycle up to date ({len(plan.rules)} rules)")
        elif dry_run:
            click.echo(f"{where}: dry run, nothing changed ({len(plan.added)} to add, "
                       f"{len(plan.changed)} to replace)")
        else:
            try:
                backend.set_lifecycle_rules(plan.rules)
            except (ConfigError, BackendError) as exc:
                if isinstance(exc, (AuthError, TransientError)):
                    raise
                raise type(exc)(str(exc), "the store may not support bucket lifecycle rules "
                                "(Swift's s3api and rclone serve s3 do not)") from None
            if plan_rules.plan(backend.lifecycle_rules(), backend.prefix, days).needed:
                raise BackendError(f"{where} accepted the lifecycle rules but does not return them",
                                   "the store does not keep lifecycle rules: expire by other means")
            click.echo(f"{where}: lifecycle installed ({len(plan.added)} added, {len(plan.changed)} replaced)")


def configured_days(settings):
    """Every expire_after (days > 0) in effect: the general one and each
    [log GLOB] section's."""
    out = {settings.get_int("expire_after")}
    for glob in settings.log_sections():
        out.add(settings.get_int("expire_after", glob))
    return {d for d in out if d > 0}
