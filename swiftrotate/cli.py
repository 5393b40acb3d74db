"""Command line: parse, build objects, map typed errors to exit codes.

Nothing else lives here. Exit codes follow sysexits (see README): 0 ok,
2 usage, 65 data/integrity, 66 missing input, 69 unavailable, 70 internal,
74 local I/O, 75 temporary failure, 77 permission/auth, 78 config.
"""
import logging
import os
import sys

import click

from . import __version__
from .errors import SwiftrotateError
from .naming import escape
from .lifecycle_command import lifecycle
from .rename_command import rename

log = logging.getLogger("swiftrotate")


class Context:
    def __init__(self, config, dest, state_dir, debug, verbose, quiet):
        from .config import Settings

        self.settings = Settings(config)
        self.settings.set_flags(dest=dest, state_dir=state_dir)
        self.debug, self.verbose, self.quiet = debug, verbose, quiet
        _setup_logging(self.settings, debug, verbose, quiet)
        for warning in self.settings.warnings:
            log.warning("%s", warning)

    def open_backend(self):
        from .backends import parse_url
        from .config import open_store

        scheme = parse_url(self.settings.get("dest"))[0]
        opts = {k: str(v).lower() for k, v in self.settings.backend_options(scheme).items()}
        if opts.get("insecure") in ("1", "yes", "true", "on") or opts.get("verify_tls") in ("0", "no", "false", "off"):
            log.warning("TLS certificate verification is OFF for %s: anyone on the path can read and change "
                        "archives; use cacert/ca_bundle instead", scheme)
            # Said once here; urllib3 would add two lines per request.
            import warnings

            warnings.filterwarnings("ignore", message="Unverified HTTPS request")
        return open_store(self.settings)


def _setup_logging(settings, debug, verbose, quiet):
    log.handlers.clear()
    log.propagate = False
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(logging.Formatter("swiftrotate: %(message)s"))
    err.setLevel(level)
    log.addHandler(err)
    address = settings.get("syslog_socket")
    if not sys.stderr.isatty() and os.path.exists(address):
        # Under cron and logrotate nobody reads stderr live: keep a record.
        from logging.handlers import SysLogHandler

        name = str(settings.get("syslog_facility")).lower()
        if name not in SysLogHandler.facility_names:
            from .errors import ConfigError

            raise ConfigError(f"syslog_facility = {name!r} is not a syslog facility",
                              "use user, daemon, local0 ... local7")
        try:
            sys_handler = SysLogHandler(address, facility=SysLogHandler.facility_names[name])
            sys_handler.setFormatter(logging.Formatter("swiftrotate[%(process)d]: %(message)s"))
            sys_handler.setLevel(logging.INFO)
            log.addHandler(sys_handler)
        except OSError:
            pass
    # Their DEBUG output can carry tokens and response bodies: never shown.
    for noisy in ("swiftclient", "botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


pass_ctx = click.make_pass_decorator(Context)


def verbosity(command):
    """-v/-q/--debug also after the command name, where operators type them."""

    def apply(ctx, param, value):
        if value:
            obj = ctx.find_object(Context)
            setattr(obj, param.name, True)
            _setup_logging(obj.settings, obj.debug, obj.verbose, obj.quiet)
        return value

    for name, flags, text in (("quiet", ("-q", "--quiet"), "Report errors only."),
                              ("verbose", ("-v", "--verbose"), "Report every file."),
                              ("debug", ("--debug",), "Show tracebacks and debug messages.")):
        command = click.option(*flags, name, is_flag=True, expose_value=False, callback=apply,
                               help=text)(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", metavar="FILE", envvar="SWIFTROTATE_CONFIG",
              help="INI file (default /etc/swiftrotate.conf when it exists).")
@click.option("--dest", metavar="URL", help="Store: swift://CONTAINER[/PREFIX], s3://BUCKET[/PREFIX] or "
              "file:///DIR. Env SWIFTROTATE_DEST. Default file://STATE_DIR/archive.")
@click.option("--state-dir", metavar="DIR", help="Ledger and lock folder (default /var/lib/swiftrotate). "
              "Env SWIFTROTATE_STATE_DIR.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug messages.")
@click.option("-v", "--verbose", is_flag=True, help="Report every file.")
@click.option("-q", "--quiet", is_flag=True, help="Report errors only.")
@click.version_option(__version__, prog_name="swiftrotate")
@click.pass_context
def cli(ctx, config, dest, state_dir, debug, verbose, quiet):
    """Archive logrotate's rotated logs to Swift, S3 or a folder, verified.

    \b
    In a logrotate stanza (works with or without sharedscripts):
        postrotate
            swiftrotate upload "$1"
        endscript
    From cron, to catch up:   swiftrotate upload '/var/log/nginx/*.log'
    Credentials live in the config file (chmod 600) or the environment
    (ST_AUTH/ST_USER/ST_KEY, OS_*, AWS_*), never on the command line.
    """
    ctx.obj = Context(config, dest, state_dir, debug, verbose, quiet)


@cli.command()
@click.argument("patterns", nargs=-1, required=True)
@verbosity
@click.option("--dateformat", help="logrotate dateformat of the rotated names (default -%Y%m%d).")
@click.option("--olddir", metavar="DIR", help="Also look here for rotated files (logrotate's olddir).")
@click.option("--host", help="Host name in object keys (default: short hostname).")
@click.option("--dry-run", "-n", is_flag=True, help="Show what would be archived; change nothing.")
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
def upload(obj, patterns, dateformat, olddir, host, dry_run, jobs, deadline, settle_seconds, remove,
           expire_after, compress):
    """Archive every not-yet-archived rotation of the logs PATTERNS name.

    \b
    PATTERNS are live log paths or globs, as logrotate passes them in "$1"
    (a sharedscripts pattern list with its trailing space is fine). For each
    log, every sibling named LOG<stamp>[.gz|.bz2|.xz|.zst|...] in its folder
    and in --olddir is uploaded once, verified by a HEAD of our size and
    sha256, and recorded in the ledger. Exit 0 only when every one is safely
    archived; otherwise logrotate keeps the file and the next run retries.
    """
    from .hook import run_upload

    obj.settings.set_flags(dateformat=dateformat, olddir=olddir, host=host, deadline=deadline,
                           settle_seconds=settle_seconds, expire_after=expire_after, compress=compress)
    report = run_upload(obj.settings, patterns, dry_run=dry_run, jobs=jobs, log=log,
                        open_backend=obj.open_backend, remove=remove and not dry_run)
    for warning in report.warnings:
        log.warning("%s", warning)
    if dry_run:
        for o in report.outcomes:
            click.echo(f"{o.status:13} {o.size:>12}  {escape(o.path)} -> {escape(o.key)}")
    elif obj.verbose:
        for o in report.outcomes:
            if o.status not in ("uploaded", "failed"):  # those have had their own line already
                click.echo(f"{o.status:9} {escape(o.path)} -> {escape(o.key)}", err=True)
    if report.failures or not report.outcomes or obj.verbose:
        level = logging.ERROR if report.failures else logging.WARNING
        if report.outcomes or report.failures:
            log.log(level, "%s", report.summary())
        else:
            log.warning("no rotated files found for %s", escape(" ".join(patterns).strip()))
    else:
        log.info("%s", report.summary())
    sys.exit(report.exit_code)


@cli.command()
@click.argument("logs", nargs=-1, required=True)
@click.option("--since", metavar="DATE", help="First day whose lines you want (inclusive). 2026-11-03, "
              "'Nov 3 2026', 2026/11/03, 7d, 2w, yesterday, today. Default: the oldest archive.")
@click.option("--until", metavar="DATE", help="Last day whose lines you want (inclusive). Default: today.")
@click.option("--host", "hosts", multiple=True, metavar="PATTERN",
              help="Host name or glob; repeat for several; '*' = every host. Default: this host.")
@click.option("-o", "--output", metavar="DIR", default=".", show_default=True,
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
@click.option("--dateformat", help="dateformat of the archived names (default: config, else -%Y%m%d).")
@verbosity
@pass_ctx
def fetch(obj, logs, since, until, hosts, output, to_stdout, decompress, list_only, as_json, jobs, overwrite,
          by_stamp, tz, dateformat):
    """Fetch the archives of LOGS for a range of days, verified.

    \b
    LOGS are live log paths as on the original host (/var/log/nginx/access.log).
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
    is archived in the range (the nearest dates are named); 65 on a checksum
    mismatch or an unsafe key.
    """
    from .fetch import run_fetch

    obj.settings.set_flags(dateformat=dateformat)
    code = run_fetch(obj, logs, since=since, until=until, hosts=hosts, output=output, to_stdout=to_stdout,
                     decompress=decompress, list_only=list_only, as_json=as_json, jobs=jobs,
                     overwrite=overwrite, by_stamp=by_stamp, tz=tz, log=log)
    sys.exit(code)


@cli.command()
@click.argument("file")
@click.option("--mode", type=click.Choice(["spool", "veto"]),
              help="When FILE cannot be archived now: spool it and allow the deletion (default), or veto.")
@verbosity
@pass_ctx
def gate(obj, file, mode):
    """Allow logrotate to delete FILE only once it is safely archived.

    \b
    For logrotate's preremove (since 3.8.4):
        preremove
            swiftrotate gate "$1"
        endscript
    Exit 0 (delete allowed) when FILE is archived and verified, when FILE is
    an uncompressed original whose .gz twin holds the same bytes, or when it
    could be archived now. Otherwise, by default, FILE is hard-linked into the
    spool folder and the deletion is allowed; the next upload archives the
    spool first. A full spool (spool_cap), or --mode veto, keeps FILE (exit 1):
    logrotate then skips that log's rotation until the store is back.
    """
    import signal

    from .errors import DeadlineExceeded
    from .gate import gate as run_gate

    def expired(signum, frame):
        raise DeadlineExceeded(f"gate_deadline of {seconds}s reached while archiving {escape(file)}")

    seconds = obj.settings.get_int("gate_deadline")
    if seconds > 0:
        signal.signal(signal.SIGALRM, expired)
        signal.alarm(seconds)
    mode = mode or obj.settings.get("gate_mode")  # the config's value is checked by run_gate
    code = run_gate(obj.settings, file, mode=mode, log=log, open_backend=obj.open_backend)
    signal.alarm(0)
    sys.exit(code)


@cli.command("ls")
@click.argument("prefix", default="")
@verbosity
@pass_ctx
def ls(obj, prefix):
    """List archived objects under PREFIX (size, key), sorted by key.

    Keys are printed escaped (a control character as \\n, \\x1b, ...): a
    key is whatever someone with write access to the store chose."""
    with obj.open_backend() as backend:
        for info in backend.list(prefix):
            click.echo(f"{info.size:>12}  {escape(info.key)}")


cli.add_command(rename)
cli.add_command(lifecycle)


GLOBAL_WITH_VALUE = ("--config", "--dest", "--state-dir")


def hoist_globals(args):
    """Move --config/--dest/--state-dir typed after the command name in front
    of it, where click expects them: `swiftrotate upload --config F LOG`
    works like `swiftrotate --config F upload LOG`. Nothing after `--` moves."""
    args = list(args)
    command = next((i for i, a in enumerate(args) if a in cli.commands
                    and (i == 0 or args[i - 1] not in GLOBAL_WITH_VALUE)), None)
    if command is None:
        return args
    front, rest, moved = args[:command], [], []
    tail = iter(args[command:])
    for arg in tail:
        if arg == "--":
            rest.append(arg)
            rest.extend(tail)
        elif arg in GLOBAL_WITH_VALUE:
            value = next(tail, None)
            if value is None:  # no value: left where it is, for click to refuse
                rest.append(arg)
            else:
                moved += [arg, value]
        elif arg.startswith(tuple(g + "=" for g in GLOBAL_WITH_VALUE)):
            moved.append(arg)
        else:
            rest.append(arg)
    return front + moved + rest


def main(argv=None):
    argv = hoist_globals(argv if argv is not None else sys.argv[1:])
    debug = "--debug" in argv
    try:
        cli.main(args=argv, prog_name="swiftrotate", standalone_mode=False)
    except SwiftrotateError as exc:
        if debug:
            log.exception("debug traceback")
        click.echo(f"swiftrotate: error: {exc.line()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("swiftrotate: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("swiftrotate: interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            raise
        click.echo(f"swiftrotate: internal error: {type(exc).__name__}: {exc} (rerun with --debug for a "
                   "traceback, and report it)", err=True)
        sys.exit(70)
    sys.exit(0)
