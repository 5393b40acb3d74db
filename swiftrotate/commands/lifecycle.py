"""`swiftrotate lifecycle`: install the S3 bucket rules that expire what the
hook tagged. The rules themselves are planned in lifecycle.py (pure).

Owns: reading, diffing and writing one bucket's rules. Must not: print or
exit; cli/lifecycle.py shows the difference.
"""
from dataclasses import dataclass

from .. import lifecycle as rules
from ..backends import capabilities_of, parse_url
from ..errors import AuthError, BackendError, ConfigError, TransientError, UsageError


@dataclass
class Result:
    plan: object  # lifecycle.Plan
    where: str
    written: bool = False


def configured_days(settings):
    """Every expire_after (days > 0) in effect: the general one and each
    [log GLOB] section's."""
    out = {settings.get_int("expire_after")}
    for glob in settings.log_sections():
        out.add(settings.get_int("expire_after", glob))
    return {d for d in out if d > 0}


def run(settings, *, expire_after=None, dry_run=False, open_backend, on_plan=None):
    """Plan the rules for the configured (or given) days and, unless dry_run,
    install them; on_plan(result) is called before anything is written."""
    if not capabilities_of(settings.get("dest")).lifecycle_rules:
        scheme = parse_url(settings.get("dest"))[0]
        raise UsageError(f"lifecycle rules are for s3:// stores, not {scheme}://",
                         "Swift expires each archive by X-Delete-After; a folder store never expires")
    days = {expire_after} if expire_after else configured_days(settings)
    if not days:
        raise ConfigError("no expire_after is configured, so there is no rule to install",
                          "set expire_after = DAYS in [swiftrotate] or a [log GLOB] section, or pass --expire-after")
    with open_backend() as backend:
        result = Result(rules.plan(backend.lifecycle_rules(), backend.prefix, days), f"s3://{backend.bucket}")
        if on_plan is not None:
            on_plan(result)
        if not result.plan.needed or dry_run:
            return result
        try:
            backend.set_lifecycle_rules(result.plan.rules)
        except (ConfigError, BackendError) as exc:
            if isinstance(exc, (AuthError, TransientError)):
                raise
            raise type(exc)(str(exc), "the store may not support bucket lifecycle rules "
                            "(Swift's s3api and rclone serve s3 do not)") from None
        if rules.plan(backend.lifecycle_rules(), backend.prefix, days).needed:
            raise BackendError(f"{result.where} accepted the lifecycle rules but does not return them",
                               "the store does not keep lifecycle rules: expire by other means")
        result.written = True
    return result
