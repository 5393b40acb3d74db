"""`swiftrotate upload`: the logrotate hook as one idempotent sweep.

Every run archives every dateext rotation of the named logs that the ledger
does not already know, whatever logrotate passed ($1, $2, or the pattern
text of a sharedscripts block). The no-op path reads only the ledger and
the file system: no store, no network, no boto3/swiftclient import.

Owns: the run (lock, spool first, discovery, settling, parallel archiving,
the report). Must not: print or exit; cli/upload.py renders the Report.
"""
import fnmatch
import functools
import glob
import importlib
import os
import threading
import time

from .. import discover, runs, spool, under_logrotate
from ..config import check_settings, implicit_dest_warning
from ..errors import (ConfigError, DeadlineExceeded, LocalIOError, SourceMissing, SwiftrotateError,
                      worst_exit)
from ..leftover_names import find_leftovers
from ..naming import build_key, check_template, escape, parse_stamp, stamp_formats
from ..outcome import Outcome
from ..state import StateLock, clear_stale, open_ledger, stale_intents, state_folder
from ..settle import wait_settled
from ..workers import run_threads


class Report:
    def __init__(self):  # not a dataclass: see outcome.py
        self.outcomes = []
        self.seconds = 0.0
        self.warnings = []
        self.near_misses = []  # (path, live): dated-looking, no dateformat matched
        self.problems = []  # SwiftrotateError not about one file (a pattern naming nothing)
        self.settings = []  # --dry-run: each log's settings and their sources

    @property
    def failures(self):
        return [o for o in self.outcomes if o.error is not None]

    def count(self, status):
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def exit_code(self):
        return worst_exit([o.error for o in self.failures] + self.problems)

    def summary(self):
        sent = sum(o.size for o in self.outcomes if o.status == "uploaded")
        removed = sum(1 for o in self.outcomes if o.removed)
        return (f"upload: {len(self.outcomes)} file(s), {self.count('uploaded')} uploaded "
                f"({sent} bytes), {self.count('present') + self.count('twin')} already in store, "
                f"{self.count('known')} known, " + (f"{removed} removed, " if removed else "")
                + f"{len(self.failures)} failed, {self.seconds:.2f}s")


def _layouts(settings):
    """Each distinct (stamp format, olddir, extension) that some log may use:
    every form (naming.stamp_formats: the dateformat, and the finer one
    `rename` gives same-day rotations) of the general dateformat and of each
    [log GLOB] section's."""
    out = []
    for log in [None] + settings.log_sections():
        for fmt in stamp_formats(settings.dateformat(log)):
            layout = (fmt, settings.get("olddir", log), settings.get("extension", log) or "")
            if layout not in out:
                out.append(layout)
    return out


def _live_patterns(args, layouts):
    """The live-log patterns the arguments name ($1, $2, pattern text)."""
    return [discover.rotated_arg_to_live(p, layouts) for p in discover.split_patterns(args)]


def collect(settings, args, report, archived=lambda globs: False):
    """(candidate, key) pairs for every rotated file the arguments name; a
    file whose key cannot be built is a failed outcome, not a crash.

    [log GLOB] sections apply to each live log found, not to the pattern as
    written: under sharedscripts $1 is "/var/log/*.log ", and a section for
    /var/log/app.log must still give app.log its own dateformat and olddir.
    So every layout in use is searched, and a file counts only under the
    layout its own log's settings give."""
    host = settings.get("host")
    pairs, seen = [], set()
    layouts = _layouts(settings)
    _, olddirs, extensions = zip(*layouts)

    @functools.lru_cache(maxsize=None)  # per live log: a backlog has thousands of files of one log
    def own(live):
        return (stamp_formats(settings.dateformat(live)), settings.get("olddir", live),
                settings.get("extension", live) or ""), check_template(settings.get("key_template", live))

    patterns = _live_patterns(args, layouts)
    folders = {p: os.path.dirname(p) for p in patterns}  # rotated_arg_to_live made them absolute
    missing = [p for p in patterns if not discover.GLOB_CHARS.search(folders[p]) and not os.path.isdir(folders[p])]
    empty = []
    for pattern in patterns:
        if pattern in missing:
            continue
        hit = bool(glob.glob(pattern))  # the live log itself counts: not rotated yet is fine
        for dateformat, olddir, extension in layouts:
            for cand in discover.find(pattern, dateformat, olddir, extension):
                hit = True
                if cand.path in seen:
                    continue
                (formats, own_olddir, own_extension), template = own(cand.live)
                if dateformat not in formats or own_olddir != olddir or own_extension != extension:
                    continue
                seen.add(cand.path)
                try:
                    pairs.append((cand, build_key(template, host, cand.live, cand.stamp, cand.ext)))
                except SwiftrotateError as exc:
                    report.outcomes.append(Outcome(cand.path, "", "failed", error=exc))
        report.near_misses += discover.near_misses(pattern, olddirs, seen, extensions)
        if not hit:
            empty.append(pattern)
    nothing = [p for p in missing + empty if not archived(discover.rotated_globs(p, layouts))]
    _report_absent(settings, patterns, nothing, missing, report)
    return pairs


def _report_absent(settings, patterns, nothing, missing, report):
    """A pattern that names nothing (its folder is missing, or no file
    matches) and never did (the ledger has no file of it: a retired log
    whose rotations --remove took, or logrotate deleted, is fine) is most often a typo in a cron
    line, which "nothing rotated yet" would hide forever: exit 66. Beside
    patterns that do name files (a logrotate stanza listing logs that may be
    absent), a warning; with missingok for that log, nothing."""
    for pattern in nothing:
        if settings.get_bool("missingok", pattern):
            continue
        if pattern in missing:
            error = SourceMissing(f"no folder {escape(os.path.dirname(pattern))} (for {escape(pattern)})",
                                  "check the path in the cron line or logrotate stanza")
        else:
            error = SourceMissing(f"{escape(pattern)} matches no file, live or rotated",
                                  "check the name in the cron line or logrotate stanza; for a log that may be "
                                  "absent, set missingok = yes in its [log GLOB] section")
        if len(nothing) < len(patterns):
            report.warnings.append(error.line())
        else:
            report.problems.append(error)


def near_miss_problems(report, settings, ledger):
    """Files that look like dated rotations but match none of the log's
    stamp forms: most often logrotate's dateformat differs from ours, and
    nothing would ever archive them. The run must not exit 0 while one is
    left (ConfigError, 78: the file is fine, the setting that says how its
    name reads is not). Files the ledger knows (archived with another
    --dateformat) are quiet."""
    dest = settings.get("dest")
    for path, live in report.near_misses:
        try:
            if ledger.known_file(dest, path, os.lstat(path)):
                continue
        except OSError:
            continue
        forms = " or ".join(stamp_formats(settings.dateformat(live)))
        report.problems.append(ConfigError(
            f"{escape(path)} looks like a dated rotation of {escape(live)} but matches none of its stamp forms "
            f"({forms}), so it is not archived",
            "set dateformat to logrotate's (for one log, in a [log GLOB] section), or upload it once with "
            "--dateformat; a -N name from rename --on-collision suffix must be renamed by hand"))


@runs.recorded("upload")
def run(settings, args, *, dry_run=False, jobs=8, log, open_backend, remove=False):
    """Archive what `args` name; returns the Report (exit_code included)."""
    start = time.monotonic()
    hook = under_logrotate.prepare(settings, args, log)  # under logrotate: its stanza's olddir, dateformat...
    check_settings(settings)
    implicit = implicit_dest_warning(settings)
    if implicit:
        log.warning("%s", implicit)
    report = Report()
    deadline = settings.get_int("deadline")
    folder = state_folder(settings)
    dest = settings.get("dest")
    lock_wait = settings.get_int("lock_timeout")
    if deadline > 0:  # --deadline bounds the whole run, the wait for another run included
        lock_wait = min(lock_wait, deadline)
    with StateLock(folder, lock_wait):
        ledger = open_ledger(folder)
        try:
            # What the gate spooled during an outage goes first.
            pending = []
            for cand, key in spool.spool_candidates(settings, ledger, report):
                try:
                    pending.append((cand, key, os.lstat(cand.path)))
                except FileNotFoundError:
                    ledger.spool_remove(cand.path)
            spooled = {cand.path: cand.live for cand, _, _ in pending}
            found = collect(settings, args, report, lambda globs: ledger.archived_like(dest, globs))
            near_miss_problems(report, settings, ledger)
            under_logrotate.check(hook, settings, found, args, report, dry_run)
            for error in report.problems + [o.error for o in report.outcomes if o.error is not None]:
                log.error("not archived: %s", error.line())  # refused before any upload: said now
            present = []
            for cand, key in found:
                try:
                    present.append((cand, key, os.lstat(cand.path)))
                except FileNotFoundError:
                    continue
            known = {} if remove else ledger.known_files(dest, [(cand.path, st) for cand, _, st in present])
            for cand, key, st in present:
                if cand.path in known:
                    report.outcomes.append(Outcome(cand.path, key, "known", st.st_size, live=cand.live,
                                                   stamp=cand.stamp))
                else:
                    pending.append((cand, key, st))
            stale = [] if dry_run else stale_intents(ledger, dest)
            if dry_run:
                for cand, key, st in pending:
                    report.outcomes.append(Outcome(cand.path, key, "would-upload", st.st_size))
            elif pending or stale:
                _archive_all(settings, pending, report, ledger, dest, jobs, deadline, start, log, open_backend,
                             remove, spooled, stale)
                spool.drain(report, spooled, ledger, log)
                _spool_failures_of_other_logs(report, spooled, settings, args)
            if not dry_run and not remove:
                _tidy_leftovers(settings, found, report, log)
        finally:
            report.warnings.extend(ledger.warnings)
            ledger.close()
    report.seconds = time.monotonic() - start
    return report


def _archive_all(settings, pending, report, ledger, dest, jobs, deadline, start, log, open_backend, remove,
                 spooled=(), stale=()):
    ready = wait_settled(settings, pending, report, deadline, start, log)
    if not ready and not stale:
        return
    backend = open_backend()
    # Spooled files, and with --remove every file, are deleted once archived:
    # that needs the store's word (a HEAD), not the ledger's. A ledger row whose
    # archive is gone is then uploaded again instead of failing every run.
    archiver = _when_needed("archiver").from_settings(settings, backend, ledger, log, remove=remove,
                                                      verify=bool(spooled) or remove)
    try:
        backend.prepare()
    except SwiftrotateError as exc:  # e.g. refused credentials: every file fails alike
        for cand, key, _ in ready:
            report.outcomes.append(Outcome(cand.path, key, "failed", error=exc))
        if ready:
            log.error("not archived: %s", exc.line())
        else:
            report.warnings.append(f"leftovers of interrupted uploads not cleared: {exc.line()}")
        backend.close()
        return
    clear_stale(backend, ledger, dest, stale, report, deadline, start)

    def one(item):
        cand, key, _ = item
        if deadline and time.monotonic() - start > deadline:
            return Outcome(cand.path, key, "failed", error=DeadlineExceeded(
                f"deadline of {deadline}s reached before {escape(cand.path)}; it stays local for the next run"))
        try:
            return archiver.archive(cand, key)
        except SwiftrotateError as exc:
            return Outcome(cand.path, key, "failed", error=exc)
        except OSError as exc:
            return Outcome(cand.path, key, "failed",
                           error=LocalIOError(f"{escape(cand.path)}: {exc.strerror or exc}"))
        except Exception as exc:  # a bug must not stop the other files
            return Outcome(cand.path, key, "failed", error=SwiftrotateError(
                f"{escape(cand.path)}: internal error {type(exc).__name__}: {exc} (please report it)"))

    try:
        report.outcomes += _in_threads(one, ready, jobs, log)
    finally:
        backend.close()


def _in_threads(fn, items, jobs, log):
    """fn over items in `jobs` threads; outcomes in input order. Plain threads
    and no Future per file: with a thousand small files, waking a waiting
    main thread once per file costs a measurable share of the CPU that the
    server, on the same cores, needs."""
    out = [None] * len(items)
    todo = iter(enumerate(items))
    lock = threading.Lock()
    stop = threading.Event()

    def work():
        while not stop.is_set():
            with lock:
                i, item = next(todo, (None, None))
            if i is None:
                return
            try:
                out[i] = outcome = fn(item)
            except BaseException as exc:  # fn catches Exception; this is a last resort, not silence
                out[i] = outcome = Outcome(item[0].path, item[1], "failed", error=SwiftrotateError(
                    f"{escape(item[0].path)}: internal error {type(exc).__name__}: {exc} (please report it)"))
            if outcome.error is not None:
                log.error("not archived: %s", outcome.error.line())

    run_threads("upload", min(jobs, len(items)), work, stop, draining=lambda: log.error(
        "interrupted: finishing the uploads under way (Ctrl-C again to abort)"))
    return out


def _when_needed(name):
    """The archiver or the leftover compressor, loaded as cli.Commands loads a command: with
    codecs and download they are ~15 ms of imports the no-op hook never uses."""
    return importlib.import_module(f"swiftrotate.{name}")


def _tidy_leftovers(settings, found, report, log):
    """Compress archived leftovers of failed runs, as logrotate would have.
    Only rotations in logrotate's own dateformat: it never manages rename's
    finer stamps, and those sort after the day stamps as text, so among
    them the newest rotation (uncompressed on purpose) would not be told."""
    if not any(cand.ext for cand, _ in found):  # a leftover is an uncompressed file among compressed ones
        return
    archived = {o.path for o in report.outcomes if o.error is None}
    formats = {live: settings.dateformat(live) for live in {cand.live for cand, _ in found}}
    own = [cand for cand, _ in found if parse_stamp(cand.stamp, formats[cand.live]) is not None]
    for cand, suffix in find_leftovers(own):
        if cand.path in archived:
            try:
                _when_needed("leftovers").compress_in_place(cand, suffix, log)
            except (OSError, SwiftrotateError) as exc:
                report.warnings.append(f"could not compress leftover {escape(cand.path)}: {exc}")


def _spool_failures_of_other_logs(report, spooled, settings, args):
    """Every run archives the whole spool, but a spooled file that fails
    (a true conflict) fails only the runs that cover its log: it is said on
    every run, and the other logs' hooks still exit 0, so logrotate goes on
    compressing and rotating them."""
    patterns = _live_patterns(args, _layouts(settings))
    keep = []
    for outcome in report.outcomes:
        live = spooled.get(outcome.path)
        if outcome.error is not None and live and not any(fnmatch.fnmatchcase(live, p) for p in patterns):
            report.warnings.append(f"spooled {escape(outcome.path)} (of {escape(live)}, not covered by this run) "
                                   f"is still not archived: {outcome.error.line()}")
            continue
        keep.append(outcome)
    report.outcomes = keep
