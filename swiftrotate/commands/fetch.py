"""`swiftrotate fetch`: a date range of archived logs back, verified and safe.

Each log's keys are listed once, below its own key prefix: the cost grows
with that log's archives (a page holds 1000 keys), never with the rest of
the store, and every key of the log is seen, whatever form its stamp has
(the log's dateformat, rename's finer one, or a stanza's that only
logrotate knew: naming.reading_formats). A LOGS glob costs one listing
below its folder per host. The bytes are moved by download.py, which
reports them as they come (on_progress).

Owns: the window of stamps, the hosts, the logs a glob names, the plan,
the exit code. Must not:
print or exit; cli/fetch.py renders the plan, progress and summary.
"""
import fnmatch
import functools
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..dates import parse_day, stamp_window, today_in, zone
from ..download import fetch_to_dir, fetch_to_stream
from ..errors import SourceMissing, UnsafeInput, UsageError, worst_exit
from ..naming import (check_template, escape, glob_match, parse_key, parse_stamp_any, reading_formats,
                      split_compression, under_log, validate_key)

GLOB_CHARS = set("*?[")
ELSEWHERE_HOSTS = 50  # "none at all": at most this many other hosts are asked for the log


@dataclass(frozen=True)
class Item:
    host: str
    log: str  # the live log's absolute path
    key: str
    stamp: str
    when: datetime
    ext: str
    size: int

    @property
    def rel(self):
        """Where it lands under the output folder: {host}/{log path}{stamp}{ext}."""
        return f"{self.host}/{self.log.lstrip('/')}{self.stamp}{self.ext}"


@dataclass
class Plan:
    items: list = field(default_factory=list)
    hosts: list = field(default_factory=list)  # the hosts asked (--host, globs resolved)
    problems: list = field(default_factory=list)  # SwiftrotateError, reported, make the exit non-zero
    nearest: dict = field(default_factory=dict)  # (host, log) -> (before, after) stamps when empty
    unmatched: list = field(default_factory=list)  # LOGS globs that match no archived log on any host
    # (host, log) named exactly (no glob in either): one with nothing in the range is missing, not skipped
    asked: set = field(default_factory=set)
    # (host, log) with no archive at all -> (other hosts that have it, hosts not asked, host in the store?)
    elsewhere: dict = field(default_factory=dict)

    def missing(self):
        """What was asked for by name and is not in the plan: exact (host, log)
        pairs with nothing in the range, and LOGS globs that match nothing."""
        return sorted(p for p in self.nearest if p in self.asked) + [("*", g) for g in self.unmatched]


def check_log(log):
    if not log.startswith("/") or os.path.normpath(log) != log or "\x00" in log:
        raise UsageError(f"LOG must be the live log's absolute path, like /var/log/nginx/access.log "
                         f"(or a glob, like '/var/log/nginx/*.log'); got {escape(log)}")
    return log


def resolve_hosts(every_host, patterns):
    """Exact names as given; globs against every_host() (one delimiter listing)."""
    exact = [p for p in patterns if not GLOB_CHARS & set(p)]
    globs = [p for p in patterns if GLOB_CHARS & set(p)]
    hosts, problems = [], []
    for name in exact:
        check_host(name)
        hosts.append(name)
    if globs:
        for name in every_host():
            if any(fnmatch.fnmatchcase(name, g) for g in globs) and name not in hosts:
                try:
                    hosts.append(check_host(name))
                except UnsafeInput as exc:
                    problems.append(exc)
    return sorted(hosts), problems


def check_host(name):
    try:
        validate_key(name)
    except ValueError as exc:
        raise UnsafeInput(f"refusing host name from the store: {exc}") from None
    if "/" in name:
        raise UnsafeInput(f"host name {escape(name)} contains '/'")
    return name


def log_pairs(backend, settings, hosts, logs, template_of):
    """(host, live log) to plan, the LOGS globs that match nothing, and the
    problems: a log as given, a glob against the archived keys of each host."""
    globs = [x for x in logs if GLOB_CHARS & set(x)]
    pairs, matched, problems = [], set(), []
    for host in hosts:
        for x in logs:
            lives, unread = archived_logs(backend, settings, host, x, template_of) if x in globs else ([x], [])
            if lives:
                matched.add(x)
            if unread:
                problems.append(_unread(host, x, unread))
            pairs += [(host, live) for live in lives]
    return list(dict.fromkeys(pairs)), [g for g in globs if g not in matched], problems


def archived_logs(backend, settings, host, pattern, template_of):
    """The live logs of `host` with archives whose path the glob `pattern`
    matches ('*' stays within a folder): one paged listing below the glob's
    literal folder, per key_template in use. And the keys the glob matches
    that no stamp form reads, of no log found: plan() names the others."""
    literal = pattern[:min(pattern.index(c) for c in GLOB_CHARS if c in pattern)]
    folder = literal[:literal.rfind("/") + 1].lstrip("/")
    sections = [None] + settings.log_sections()
    formats = reading_formats(*dict.fromkeys(settings.dateformat(s) for s in sections))
    found, unread = {}, []
    for template in dict.fromkeys(check_template(settings.get("key_template", s)) for s in sections):
        try:
            head = template.split("{path}")[0].format(host=host)
        except (KeyError, IndexError):  # a head with more than {host}: list it all, no key is read as unread
            head = None
        for info in backend.list("" if head is None else head + folder):
            parts = parse_key(info.key, template, formats)
            if parts is None and head is not None and info.key.startswith(head) \
                    and under_log(info.key[len(head):], pattern):
                unread.append(info.key)
            if (parts is None or parts.host not in (host, None) or parts.log in found
                    or not glob_match(parts.log, pattern)):
                continue
            if template_of(parts.log) == template and parts.format in reading_formats(settings.dateformat(parts.log)):
                found[parts.log] = template.format(host=host, path=parts.log.lstrip("/"), stamp="", ext="")
    return sorted(found), [k for k in unread if not any(k.startswith(p) for p in found.values())]


def plan(backend, pairs, start, end, dateformat_of, key_prefix, template_of):
    """Objects of each (host, log) whose stamp falls in [start, end): one
    listing of the log's keys, each stamp read with the log's own forms,
    then the known ones (naming.reading_formats). A key under the log that
    no form reads, and that is no other log's archive, may be in the range:
    it is a problem, never skipped in silence."""
    result = Plan()
    for host, log in pairs:
        formats = reading_formats(dateformat_of(log))
        prefix = key_prefix(host, log)
        before = after = None
        unread, planned = [], len(result.items)
        for info in backend.list(prefix):
            base, ext = split_compression(info.key[len(prefix):])
            when, _ = parse_stamp_any(base, formats)
            if when is not None and not start <= when < end:
                before = (when, base) if when < start and (before is None or when > before[0]) else before
                after = (when, base) if when >= end and (after is None or when < after[0]) else after
            elif not _safe_key(info.key, result):
                continue
            elif when is not None:
                result.items.append(Item(host, log, info.key, base, when, ext, info.size))
            elif _own_key(info.key, template_of(log), log, formats):
                unread.append(info.key)
        if len(result.items) == planned:
            result.nearest[(host, log)] = (before and before[1], after and after[1])
        if unread:
            result.problems.append(_unread(host, log, unread))
    result.items.sort(key=lambda i: (i.host, i.log, i.when, i.ext))
    return result


def _safe_key(key, result):
    try:
        validate_key(key)
    except ValueError as exc:
        result.problems.append(UnsafeInput(f"refusing object key {escape(key)}: {exc}"))
        return False
    return True


_STAMPISH = re.compile(r"[-._0-9]+")


def _own_key(key, template, log, formats):
    """False for a key that is another log's archive, read with every form
    (access.log-debug.log-20261201 under access.log). A "log" that is ours
    plus digits is our log with a stamp no form reads (-%Y%m%d-%s's
    app.log-20261129-2012010112 read as app.log-20261129 stamped 2012010112)."""
    parts = parse_key(key, template, formats)
    return parts is None or parts.log == log or bool(_STAMPISH.fullmatch(parts.log[len(log):]))


def _unread(host, log, keys):
    more = f" and {len(keys) - 1} more" if len(keys) > 1 else ""
    return SourceMissing(f"not fetched: no stamp form reads {escape(keys[0])}{more} under {escape(log)} on "
                         f"{escape(host)}, so its date is unknown",
                         "give the dateformat its logrotate stanza has: --dateformat FORMAT")


def elsewhere(backend, plan_, every_host, key_prefix, dateformat_of):
    """For each (host, log) with no archive at all: the other hosts that
    have one. One delimiter listing of the hosts (every_host), then the
    first keys of the log on each, at most ELSEWHERE_HOSTS of them."""
    out = {}
    for (host, log), (before, after) in plan_.nearest.items():
        if before or after:
            continue
        hosts = [h for h in every_host() if h != host and safe_host(h)]
        formats = reading_formats(dateformat_of(log))
        having = [h for h in hosts[:ELSEWHERE_HOSTS] if _has_archive(backend, key_prefix(h, log), formats)]
        out[(host, log)] = (having, len(hosts[ELSEWHERE_HOSTS:]), host in every_host())
    return out


def _has_archive(backend, prefix, formats):
    for info in backend.list(prefix):
        if parse_stamp_any(split_compression(info.key[len(prefix):])[0], formats)[0] is not None:
            return True
    return False


def safe_host(name):
    try:
        return bool(check_host(name))
    except UnsafeInput:
        return False


@dataclass(frozen=True)
class Window:
    """The content days asked for and the stamps that hold them."""

    first: object  # date
    last: object  # date
    start: datetime
    end: datetime  # exclusive
    widened: bool  # stamps run a day later than the content days

    @property
    def shown_end(self):
        return (self.end - timedelta(days=1)).date()


def window(settings, logs, since=None, until=None, by_stamp=False, tz=None):
    today = today_in(zone(tz))
    first = parse_day(since, today) if since else datetime(1970, 1, 2).date()
    last = parse_day(until, today) if until else today
    yesterday = all(settings.get_bool("dateyesterday", x) for x in logs)
    start, end = stamp_window(first, last, dateyesterday=yesterday, by_stamp=by_stamp)
    return Window(first, last, start, end, widened=bool(since or until) and not (by_stamp or yesterday))


@dataclass
class Result:
    plan: Plan
    failures: list = field(default_factory=list)

    @property
    def exit_code(self):
        if self.failures:
            return worst_exit(self.failures)
        return 0 if self.plan.items and not self.plan.missing() else 66

    @property
    def fetched(self):
        return len(self.plan.items) - (len(self.failures) - len(self.plan.problems))


def run(settings, logs, when, *, hosts=(), list_only=False, output=".", stream=None, decompress=False, jobs=8,
        overwrite=False, open_backend, on_plan=None, on_done=None, on_progress=None):
    """Plan the archives of `logs` in the Window `when`, then (unless
    list_only) fetch them into `output`, or to `stream` in date order.
    on_plan(result) is called once planned; on_done(item, status, error)
    after each archive; on_progress(bytes done so far, of all archives) as
    bytes arrive, from the download threads."""
    template_of = functools.lru_cache(maxsize=None)(lambda x: check_template(settings.get("key_template", x)))

    def key_prefix(host, x):
        return template_of(x).format(host=host, path=x.lstrip("/"), stamp="", ext="")

    with open_backend() as backend:
        host_prefix = template_of(logs[0]).split("{host}")[0].format(path="", stamp="", ext="")
        every_host = functools.lru_cache(maxsize=None)(lambda: tuple(backend.list_dirs(host_prefix)))
        chosen, problems = resolve_hosts(every_host, hosts or [settings.get("host")])
        pairs, unmatched, unread = log_pairs(backend, settings, chosen, logs, template_of)
        result = Result(plan(backend, pairs, when.start, when.end, settings.dateformat, key_prefix, template_of))
        result.plan.problems[:0] = problems + unread
        result.plan.hosts, result.plan.unmatched = chosen, unmatched
        result.plan.asked = {(h, x) for h in hosts or [settings.get("host")] for x in logs
                             if not (GLOB_CHARS & set(h) or GLOB_CHARS & set(x))}
        result.failures = list(result.plan.problems)
        if not result.plan.items or result.plan.missing():
            backend.check_container()  # a missing container lists as empty: NotFound names it
            result.plan.elsewhere = elsewhere(backend, result.plan, every_host, key_prefix, settings.dateformat)
        if on_plan is not None:
            on_plan(result)
        if result.plan.items and not list_only:
            _fetch(backend, result, output, stream, decompress, jobs, overwrite, on_done, _counter(on_progress))
    return result


def _counter(on_progress):
    """on_bytes(n) for the download threads: adds n to the total and hands
    the total to on_progress, under a lock so it only ever grows."""
    if on_progress is None:
        return None
    lock, done = threading.Lock(), [0]

    def on_bytes(n):
        with lock:
            done[0] += n
            on_progress(done[0])

    return on_bytes


def _fetch(backend, result, output, stream, decompress, jobs, overwrite, on_done, on_bytes):
    def done(item, status, error):
        if error is not None:
            result.failures.append(error)
        if on_done is not None:
            on_done(item, status, error)

    if stream is not None:
        fetch_to_stream(backend, result.plan.items, stream, jobs, decompress, done, on_bytes)
    else:
        fetch_to_dir(backend, result.plan.items, output, jobs, overwrite, done, on_bytes)
