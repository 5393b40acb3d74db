"""`swiftrotate rename`: options, then commands/rename, then output.

Must not: hold logic or print other than through output.py.
"""

import click

from ..commands import rename as core
from ..errors import IntegrityError, UsageError, worst_exit
from ..naming import escape
from . import output
from .options import pass_ctx, verbosity


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
@click.option("--undo", is_flag=True,
              help="Rename back what the run that wrote the journal given as PATH renamed: "
                   "rename --undo [--dry-run] JOURNAL.")
@verbosity
@pass_ctx
def rename(obj, paths, recursive, include, exclude, dateformat, date_from, dateyesterday, tz, on_collision, force,
           dry_run, journal, undo):
    """Rename numbered rotations (messages.1, app.log.2.gz, savelog's .0) to
    dateext names (messages-20261126), never overwriting anything.

    \b
    PATH is a folder, a numbered file, or a live log (its rotations). Live
    logs, dateext names and other files are left alone. Every real run writes
    a journal first; `swiftrotate rename --undo JOURNAL` reverses it
    (`--undo --dry-run JOURNAL` shows what it would do).
    Exit 0 only when every numbered file found was renamed.
    """
    if undo:  # a flag, with the journal as PATH: --undo --dry-run JOURNAL reads as well as --undo JOURNAL -n
        if len(paths) != 1:
            raise UsageError("--undo takes one JOURNAL (the file named by a rename run's last line)")
        return _undo(paths[0], dry_run, obj)
    if not paths:
        raise UsageError("rename needs at least one PATH (a folder, a numbered file or a live log)")
    opts = core.options(obj.settings, recursive=recursive, include=include, exclude=exclude, dateformat=dateformat,
                        date_from=date_from, dateyesterday=dateyesterday, tz=tz)
    show = dry_run or obj.verbose
    result = core.run(obj.settings, paths, opts, on_collision=on_collision, force=force, dry_run=dry_run,
                      journal=journal, on_plan=lambda r: show and output.rename_table(r.steps))
    left = len(result.problems)
    if result.order and not force:
        _fail(result.order + result.problems, IntegrityError(
            f"rename: {len(result.order)} rotation(s) dated out of order: their dates contradict their numbers; "
            "nothing renamed", "check them; --date-from content or --force renames anyway"), obj.quiet)
    if dry_run:
        summary = (f"rename: dry run, nothing changed: {len(result.steps)} to rename, {left} not, "
                   f"{result.dateext} already dateext")
    elif not result.steps:
        summary = f"rename: nothing to rename ({result.dateext} already dateext, {left} not renamable)"
    else:
        summary = (f"rename: {len(result.done)} renamed, {left} not, {result.dateext} already dateext, "
                   f"{result.seconds:.2f}s; undo: swiftrotate rename --undo {escape(result.journal)}")
    _finish(result.problems, summary, obj.quiet)


def _undo(path, dry_run, obj):
    restored, problems = core.undo(path, dry_run=dry_run)
    if dry_run or obj.verbose:
        output.undo_lines(restored)
    verb = "would restore" if dry_run else "restored"
    _finish(problems, f"rename --undo: {len(restored)} {verb}, {len(problems)} could not be", obj.quiet)


def _finish(problems, summary, quiet):
    if not problems:
        if not quiet:
            output.note(summary)
        return
    _fail(problems, None, quiet, summary)


def _fail(problems, error, quiet, summary=""):
    output.problems(problems)
    if error is None:
        code = worst_exit(problems)  # as upload: the code names what most needs a human
        error = type(next(p for p in problems if p.exit_code == code))(summary)
    raise error
