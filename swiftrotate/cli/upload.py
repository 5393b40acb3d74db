"""`swiftrotate upload`: options, then hook.archive (commands/upload.py, then
its report). The hook's own plain line skips click: cli/hook.py.

Must not: hold logic or print.
"""
import click

from . import hook
from .options import pass_ctx, verbosity


@click.command()
@click.argument("patterns", nargs=-1, required=True)
@verbosity
@click.option("--dateformat", help="logrotate dateformat of the rotated names (default: under logrotate, "
              "the stanza's; else -%Y%m%d).")
@click.option("--olddir", metavar="DIR", help="Also look here for rotated files (logrotate's olddir; under logrotate, "
              "the stanza's by default).")
@click.option("--extension", metavar="EXT", help="logrotate's extension: LOG ending in EXT rotates to "
              "STEM<stamp>EXT[.gz] (under logrotate, the stanza's by default).")
@click.option("--host", help="Host name in object keys (default: short hostname).")
@click.option("--dry-run", "-n", is_flag=True, help="Show what would be archived, and each log's settings with "
              "their source; change nothing.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Files uploaded in parallel (a backlog of small files is bound by round trips).")
@click.option("--deadline", type=click.IntRange(0), metavar="SECONDS",
              help="Stop starting uploads after this long; exit 75 if files are left (0 = none).")
@click.option("--settle", "settle_seconds", type=click.IntRange(0), metavar="SECONDS",
              help="Wait until a file is this long unmodified before uploading it (default 5).")
@click.option("--remove", is_flag=True, help="Delete each local rotated file once a fresh HEAD confirms "
              "its archive and the file is unchanged since it was hashed.")
@click.option("--expire-after", "expire_after", type=click.IntRange(0), metavar="DAYS",
              help="Expire archives after DAYS (0 = never): Swift deletes the object and every segment "
              "itself; on S3 the object is tagged for the rule `swiftrotate lifecycle` installs.")
@click.option("--compress", type=click.Choice(["gzip", "zstd"]),
              help="Compress not-yet-compressed rotations on the way (stored as .gz/.zst); "
              "logrotate's own .gz of the same file later counts as the same archive.")
@pass_ctx
def upload(obj, patterns, dateformat, olddir, extension, host, dry_run, jobs, deadline, settle_seconds, remove,
           expire_after, compress):
    """Archive every not-yet-archived rotation of the logs PATTERNS name.

    \b
    PATTERNS are live log paths or globs, as logrotate passes them in "$1"
    (a sharedscripts pattern list with its trailing space is fine). For each
    log, every sibling named LOG<stamp>[.gz|.bz2|.xz|.zst|...] (with
    --extension .log, app.log's app<stamp>.log[.gz] too) in its folder
    and in --olddir is uploaded once, verified by a HEAD of our size and
    sha256, and recorded in the ledger. Exit 0 only when every one is safely
    archived; otherwise logrotate keeps the file and the next run retries.
    """
    hook.archive(obj, patterns, dry_run=dry_run, jobs=jobs, remove=remove, dateformat=dateformat, olddir=olddir,
                 extension=extension, host=host, deadline=deadline, settle_seconds=settle_seconds,
                 expire_after=expire_after, compress=compress)
