"""`swiftrotate rename`: numbered rotations (messages.1, app.log.2.gz) to
dateext names, never overwriting anything.

plan.py decides the names (pure), dates.py dates each file, apply.py scans,
renames and undoes. This module runs them in order. Must not: print or
exit; cli/rename.py shows the plan and the summary.
"""
import os
import time
from dataclasses import dataclass, field

from ...dates import zone
from ...errors import UsageError
from ...naming import check_dateformat
from ...state import state_folder
from . import apply, plan


@dataclass
class Result:
    steps: list = field(default_factory=list)  # (Folder, Step)
    problems: list = field(default_factory=list)  # SwiftrotateError: files left as they were
    order: list = field(default_factory=list)  # IntegrityError: dates that contradict the numbering
    dateext: int = 0  # files already named by date
    done: list = field(default_factory=list)
    journal: str = ""
    seconds: float = 0.0


def options(settings, *, recursive=False, include=(), exclude=(), dateformat=None, date_from="mtime",
            dateyesterday=None, tz=None):
    opts = apply.Options(recursive=recursive, include=include, exclude=exclude, date_from=date_from,
                         zone=zone(tz))
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
    return opts


def run(settings, paths, opts, *, on_collision="finer", force=False, dry_run=False, journal=None,
        on_plan=None):
    """Scan, plan and (unless dry_run, or dates contradict the numbering
    without force) rename. on_plan(result) is called once planned."""
    start = time.monotonic()
    if not paths:
        raise UsageError("rename needs at least one PATH (a folder, a numbered file or a live log)")
    folders = apply.scan(paths, opts)
    result = Result()
    result.problems, result.order = plan.plan(folders, on_collision)
    result.steps = [(f, s) for f in folders for s in f.steps]
    result.dateext = sum(f.dateext for f in folders)
    if on_plan is not None:
        on_plan(result)
    if (result.order and not force) or dry_run or not result.steps:
        return result
    writer = apply.Journal(journal or default_journal(settings))
    try:
        result.done, failed = apply.apply(folders, writer)
    finally:
        writer.close()
    result.problems += failed
    result.journal = writer.path
    result.seconds = time.monotonic() - start
    return result


def undo(path, dry_run=False):
    """(restored records, problems) of reversing the run that wrote `path`."""
    return apply.undo(path, dry_run=dry_run)


def default_journal(settings):
    name = time.strftime("rename-%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{os.getpid()}.jsonl"
    return os.path.join(state_folder(settings), "rename", name)
