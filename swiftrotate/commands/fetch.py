"""`swiftrotate fetch`: a date range of archived logs back, verified and safe.

Listing is bounded by start/stop keys (Swift marker/end_marker, S3
StartAfter plus an early stop), so its cost grows with the range asked for,
not with the store. The bytes are moved by download.py.

Owns: the window of stamps, the hosts, the plan, the exit code. Must not:
print or exit; cli/fetch.py renders the plan, progress and summary.
"""
import fnmatch
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..dates import parse_day, predecessor, stamp_window, today_in, zone
from ..download import fetch_to_dir, fetch_to_stream
from ..errors import UnsafeInput, UsageError, worst_exit
from ..naming import (check_template, escape, format_stamp, parse_stamp_any, split_compression, stamp_formats,
                      validate_key)

GLOB_CHARS = set("*?[")


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
    problems: list = field(default_factory=list)  # SwiftrotateError, reported, make the exit non-zero
    nearest: dict = field(default_factory=dict)  # (host, log) -> (before, after) stamps when empty


def check_log(log):
    if not log.startswith("/") or os.path.normpath(log) != log or "\x00" in log:
        raise UsageError(f"LOG must be the live log's absolute path, like /var/log/nginx/access.log; "
                         f"got {escape(log)}")
    return log


def resolve_hosts(backend, patterns, prefix_of):
    """Exact names as given; globs against the hosts found by one delimiter listing."""
    exact = [p for p in patterns if not GLOB_CHARS & set(p)]
    globs = [p for p in patterns if GLOB_CHARS & set(p)]
    hosts, problems = [], []
    for name in exact:
        _check_host(name)
        hosts.append(name)
    if globs:
        for name in backend.list_dirs(prefix_of("")):
            if any(fnmatch.fnmatchcase(name, g) for g in globs) and name not in hosts:
                try:
                    hosts.append(_check_host(name))
                except UnsafeInput as exc:
                    problems.append(exc)
    return sorted(hosts), problems


def _check_host(name):
    try:
        validate_key(name)
    except ValueError as exc:
        raise UnsafeInput(f"refusing host name from the store: {exc}") from None
    if "/" in name:
        raise UnsafeInput(f"host name {escape(name)} contains '/'")
    return name


def plan(backend, logs, hosts, start, end, dateformat_of, key_prefix):
    """Objects of each (host, log) whose stamp, in any form the log can
    carry (naming.stamp_formats), falls in [start, end)."""
    result = Plan()
    for host in hosts:
        for log in logs:
            formats = stamp_formats(dateformat_of(log))
            prefix = key_prefix(host, log)
            # Each form sorts by time within itself; one listing spans them all.
            lo = min(prefix + format_stamp(start, f) for f in formats)
            hi = max(prefix + format_stamp(end, f) for f in formats)
            found = False
            for info in backend.list(prefix, start_after=predecessor(lo), end_before=hi):
                item = _item(host, log, prefix, formats, info, result)
                if item and start <= item.when < end:
                    result.items.append(item)
                    found = True
            if not found:
                result.nearest[(host, log)] = _nearest(backend, prefix, formats, start, end)
    result.items.sort(key=lambda i: (i.host, i.log, i.when, i.ext))
    return result


def _item(host, log, prefix, formats, info, result):
    base, ext = split_compression(info.key[len(prefix):])
    when, _ = parse_stamp_any(base, formats)
    try:
        validate_key(info.key)
    except ValueError as exc:
        result.problems.append(UnsafeInput(f"refusing object key {escape(info.key)}: {exc}"))
        return None
    if when is None:
        return None  # another log sharing the prefix (access.log vs access.log.1)
    return Item(host, log, info.key, base, when, ext, info.size)


def _nearest(backend, prefix, formats, start, end):
    """The stamps closest before and after [start, end), by time."""
    before = after = None
    for info in backend.list(prefix):
        base, _ = split_compression(info.key[len(prefix):])
        when, _ = parse_stamp_any(base, formats)
        if when is None:
            continue
        if when < start and (before is None or when > before[0]):
            before = (when, base)
        elif when >= end and (after is None or when < after[0]):
            after = (when, base)
    return before and before[1], after and after[1]


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
        return 0 if self.plan.items else 66

    @property
    def fetched(self):
        return len(self.plan.items) - (len(self.failures) - len(self.plan.problems))


def run(settings, logs, when, *, hosts=(), list_only=False, output=".", stream=None, decompress=False, jobs=8,
        overwrite=False, open_backend, on_plan=None, on_done=None):
    """Plan the archives of `logs` in the Window `when`, then (unless
    list_only) fetch them into `output`, or to `stream` in date order.
    on_plan(result) is called once planned; on_done(item, status, error)
    after each archive."""
    templates = {x: check_template(settings.get("key_template", x)) for x in logs}

    def key_prefix(host, x):
        return templates[x].format(host=host, path=x.lstrip("/"), stamp="", ext="")

    with open_backend() as backend:
        host_prefix = templates[logs[0]].split("{host}")[0].format(path="", stamp="", ext="")
        chosen, problems = resolve_hosts(backend, hosts or [settings.get("host")], lambda p: host_prefix + p)
        result = Result(plan(backend, logs, chosen, when.start, when.end, settings.dateformat, key_prefix))
        result.plan.problems[:0] = problems
        result.failures = list(result.plan.problems)
        if not result.plan.items:
            backend.check_container()  # a missing container lists as empty: NotFound names it
        if on_plan is not None:
            on_plan(result)
        if list_only or not result.plan.items:
            return result

        def done(item, status, error):
            if error is not None:
                result.failures.append(error)
            if on_done is not None:
                on_done(item, status, error)

        if stream is not None:
            fetch_to_stream(backend, result.plan.items, stream, jobs, decompress, done)
        else:
            fetch_to_dir(backend, result.plan.items, output, jobs, overwrite, done)
    return result
