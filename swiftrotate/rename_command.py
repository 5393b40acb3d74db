"""`swiftrotate rename`: the click layer. Parsing and output only; the
work is in renamer.py (the plan), rename_dates.py (dating) and
rename_apply.py (scanning, renaming, undo). Errors leave as typed
exceptions, which cli.main() maps to exit codes.

cli.py adds it with `cli.add_command(rename)`. It takes the group's Context
through click.pass_obj (importing cli's pass_ctx or verbosity from here
would be circular), so -v/-q are its own as well as the group's.
"""
import os
import time

import click

from .errors import IntegrityError, UsageError, worst_exit
from .naming import check_dateformat, escape


@click.command("rename")
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option("-r", "--recursive", is_flag=True, help="Also rename in the folders below each folder PATH.")
@click.option("--include", multiple=True, metavar="GLOB",
              help="Only files whose name matches GLOB (repeatable; a GLOB with / matches the path below PATH).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Leave files (and, with -r, folders) matching GLOB.")
@click.option("--dateformat", help="Stamp format, as the upload hook's (default: the configured one, -%Y%m%d).")
@click.option("--date-from", type=click.Choice(["mtime", "content"]), default="mtime", show_default=True,
              help="The last write (the moment of rotation), or the last timestamp inside the file.")
@click.option("--dateyesterday/--no-dateyesterday", default=None,
              help="Stamp the day before, as logrotate's dateyesterday (default: the configured setting).")
@click.option("--tz", metavar="ZONE", help="Zone the day is taken in, e.g. UTC or Europe/Paris (default: local).")
@click.option("--on-collision", type=click.Choice(["finer", "suffix", "skip"]), default="finer", show_default=True,
              help="Two files for one name: stamp both to the second, else leave them (finer); the same, else "
                   "add -1, -2 (suffix); or leave them at once (skip). Left files make the exit code 65.")
@click.option("--force", is_flag=True, help="Rename even when dates contradict the numbering (.1 older than .2).")
@click.option("-n", "--dry-run", is_flag=True, help="Print the plan (old -> new, date source); change nothing.")
@click.option("--journal", metavar="FILE",
              help="Where the undo journal goes (default STATE_DIR/rename/rename-TIME-PID.jsonl).")
@click.option("--undo", metavar="JOURNAL", help="Rename back what the run that wrote JOURNAL renamed.")
@click.option("-v", "--verbose", is_flag=True, help="Print every rename.")
@click.option("-q", "--quiet", is_flag=True, help="Report errors only.")
@click.pass_obj
def rename(obj, paths, recursive, include, exclude, dateformat, date_from, dateyesterday, tz, on_collision, force,
           dry_run, journal, undo, verbose, quiet):
    """Rename numbered rotations (messages.1, app.log.2.gz, savelog's .0) to
    dateext names (messages-20261126), never overwriting anything.

    \b
    PATH is a folder, a numbered file, or a live log (its rotations). Live
    logs, dateext names and other files are left alone. Every real run writes
    a journal first; `swiftrotate rename --undo JOURNAL` reverses it.
    Exit 0 only when every numbered file found was renamed.
    """
    from . import rename_apply, renamer  # here, not at the top: `swiftrotate upload` should not pay for it

    verbose = verbose or bool(getattr(obj, "verbose", False))
    quiet = quiet or bool(getattr(obj, "quiet", False))
    if undo:
        if paths:
            raise UsageError("--undo takes a journal, not PATHs")
        return _undo(undo, dry_run, verbose, quiet)
    if not paths:
        raise UsageError("rename needs at least one PATH (a folder, a numbered file or a live log)")
    settings = obj.settings if obj is not None else _default_settings()
    opts = rename_apply.Options(recursive=recursive, include=include, exclude=exclude, date_from=date_from,
                               zone=_zone(tz))
    if dateformat:
        try:
            check_dateformat(dateformat)
        except ValueError as exc:
            raise UsageError(str(exc), "use logrotate's specifiers, e.g. -%Y%m%d") from None
        opts.dateformat_of = lambda live: dateformat
    else:
        opts.dateformat_of = settings.dateformat  # per [log GLOB], exactly as the hook
    opts.dateformat = dateformat or settings.dateformat()
    opts.yesterday_of = ((lambda live: dateyesterday) if dateyesterday is not None
                         else (lambda live: settings.get_bool("dateyesterday", live)))

    start = time.monotonic()
    folders = rename_apply.scan(paths, opts)
    problems, order = renamer.plan(folders, on_collision)
    steps = [(f, s) for f in folders for s in f.steps]
    dateext = sum(f.dateext for f in folders)
    if dry_run or verbose:
        _table(steps)
    if order and not force:
        _fail(order + problems, IntegrityError(
            f"rename: {len(order)} rotation(s) dated out of order: their dates contradict their numbers; "
            "nothing renamed", "check them; --date-from content or --force renames anyway"), quiet)
    if dry_run:
        _finish(problems, f"rename: dry run, nothing changed: {len(steps)} to rename, {len(problems)} not, "
                          f"{dateext} already dateext", quiet)
        return
    if not steps:
        _finish(problems, f"rename: nothing to rename ({dateext} already dateext, {len(problems)} not renamable)",
                quiet)
        return
    journal = rename_apply.Journal(journal or _default_journal(settings))
    try:
        done, failed = rename_apply.apply(folders, journal)
    finally:
        journal.close()
    _finish(problems + failed,
            f"rename: {len(done)} renamed, {len(problems) + len(failed)} not, {dateext} already dateext, "
            f"{time.monotonic() - start:.2f}s; undo: swiftrotate rename --undo {escape(journal.path)}", quiet)


def _undo(path, dry_run, verbose, quiet):
    from . import rename_apply

    restored, problems = rename_apply.undo(path, dry_run=dry_run)
    if dry_run or verbose:
        for r in restored:
            click.echo(f"{escape(os.path.join(r['dir'], r['new']))} -> {escape(r['old'])}")
    verb = "would restore" if dry_run else "restored"
    _finish(problems, f"rename --undo: {len(restored)} {verb}, {len(problems)} could not be", quiet)


def _table(steps):
    steps = sorted(steps, key=lambda fs: (fs[0].path, fs[1].rot.log, fs[1].rot.number, fs[1].rot.ext))
    rows = [(_show(f"{f.path}/{s.rot.name}"), _show(s.new),
             f"{s.rot.source} {s.rot.moment.isoformat(' ', 'seconds')}" + (" dateyesterday" if s.rot.yesterday else "")
             + (f" ({s.note})" if s.note else "")) for f, s in steps]
    if not rows:
        return
    wide = [max(len(r[i]) for r in rows + [("OLD", "NEW")]) for i in (0, 1)]
    out = [f"{'OLD':{wide[0]}}    {'NEW':{wide[1]}}  DATE FROM"]
    out += [f"{a:{wide[0]}} -> {b:{wide[1]}}  {c}" for a, b, c in rows]
    click.echo("\n".join(out))


def _show(name):
    # escape() (no newlines, no terminal escapes), skipped for the usual plain names: 100k rows.
    return name if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name else escape(name)


def _finish(problems, summary, quiet):
    if not problems:
        if not quiet:
            click.echo(summary, err=True)
        return
    _fail(problems, None, quiet, summary)


def _fail(problems, error, quiet, summary=""):
    for p in problems:
        click.echo(f"swiftrotate: {p.line()}", err=True)
    if error is None:
        code = worst_exit(problems)  # as upload: the code names what most needs a human
        error = type(next(p for p in problems if p.exit_code == code))(summary)
    raise error


def _zone(name):
    if not name or name == "local":
        return None
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (ValueError, OSError, LookupError):  # ZoneInfoNotFoundError is a KeyError
        raise UsageError(f"--tz {escape(name)}: no such time zone", "use an IANA name, e.g. UTC or Europe/Paris") \
            from None


def _default_journal(settings):
    from .hook import state_folder

    name = time.strftime("rename-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}.jsonl"
    return os.path.join(state_folder(settings), "rename", name)


def _default_settings():
    from .config import Settings

    return Settings()

