"""`swiftrotate status --fleet`: every host's and every
log's newest archive, read from the store, and the hosts that stopped
archiving. Nothing is read from a ledger: this is one operator's view of
a whole fleet, from wherever the store can be read.

Cost: the requests grow with hosts x logs, never with the days kept:
  the hosts:  one listing of the hosts' folder, paged (1000 a page);
  each host:  one page of its keys (list_page_size, 1000). When they fit
              in it, that is all: the newest key of each log is there.
              Else the host's folders are walked with delimiter listings
              of one entry each (Backend.list_level): per folder, one
              request per entry in it (a sub-folder, a log, a key no
              archive has) plus one that finds the folder's end;
  each log:   (walked) nothing more where the store lists newest-first
              (capabilities.reverse_listing: Swift, a folder): its first
              entry from the end is that log's newest archive. Elsewhere
              (S3) the first entry is the log's oldest archive, and one
              range listing from (today - DAYS - 1) finds the newest; a log
              with nothing in that range looks back in ranges that double
              each time (a few requests more, for stale logs only).
A log whose name is another log's name plus text that sorts among its
stamps (app.log and app.log-1 in one folder) hides behind that log.

Owns: the walk, the search for the newest stamp, staleness and the exit
code. Must not: print, or import click (cli/status.py renders the Result).
"""
import fnmatch
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Optional

from ...errors import ConfigError, SourceMissing
from ...naming import check_template, escape, format_stamp, parse_key, reading_formats
from ..fetch import GLOB_CHARS, check_host, safe_host

DEFAULT_STALE_DAYS = 2
# above any stamp a log carries: bounds one log's keys from above
_LAST = datetime(9999, 12, 31, 23, 59, 59)


@dataclass(frozen=True)
class LogState:
    log: str  # the live log's path
    key: str  # its newest archive
    stamp: str
    when: datetime  # the time that stamp says
    age_days: int  # today's date minus the stamp's
    stale: bool


@dataclass(frozen=True)
class HostState:
    host: str
    logs: tuple  # LogState, by log path
    newest: Optional[datetime]  # of all its logs; None: no archive at all
    age_days: Optional[int]
    stale: bool


@dataclass
class Result:
    stale_days: int
    today: date
    hosts: list = field(default_factory=list)  # HostState, by name
    skipped: int = 0  # keys under the hosts' folders that are no archive's

    @property
    def stale_hosts(self):
        return [h for h in self.hosts if h.stale]

    @property
    def exit_code(self):
        """0 every host archived within DAYS, 1 (degraded) some did not, 2
        (failing) none did. Stale logs of a fresh host are shown, not counted."""
        stale = len(self.stale_hosts)
        return 0 if not stale else 2 if stale == len(self.hosts) else 1

    def as_dict(self):
        """The --json document."""
        def when(value):
            return value.isoformat() if value else None

        return {
            "stale_days": self.stale_days, "today": self.today.isoformat(), "hosts": len(self.hosts),
            "logs": sum(len(h.logs) for h in self.hosts), "stale_hosts": [h.host for h in self.stale_hosts],
            "skipped_keys": self.skipped, "exit_code": self.exit_code,
            "per_host": [{"host": h.host, "newest": when(h.newest), "age_days": h.age_days, "stale": h.stale,
                          "logs": [{"log": x.log, "newest": when(x.when), "stamp": x.stamp, "key": x.key,
                                    "age_days": x.age_days, "stale": x.stale} for x in h.logs]}
                         for h in self.hosts],
        }


def run(settings, *, hosts=(), stale_days=DEFAULT_STALE_DAYS, jobs=8, today=None, open_backend):
    """Result for every host in the store (or those `hosts` name, as names
    or globs). Raises NotFound for a missing container, SourceMissing when
    no host (or none that matches) has an archive."""
    templates, formats = _layout(settings)
    result = Result(stale_days, today or date.today())
    with open_backend() as backend:
        names = _host_names(backend, templates[0].split("{host}")[0], hosts)
        walk = _Walk(backend, templates, formats, result.today - timedelta(days=stale_days + 1),
                     stale_days)
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            found = list(pool.map(walk.host, names))
        if not any(logs for logs in found):
            backend.check_container()  # a missing container lists as empty: NotFound names it
            asked = " ".join(f"--host {escape(h)}" for h in hosts)
            raise SourceMissing(f"no archive of any host{' matching ' + asked if asked else ''} in the store",
                                "ls shows what the store holds")
    result.skipped = walk.skipped
    for name, logs in zip(names, found):
        result.hosts.append(_host_state(name, logs, result.today, stale_days))
    return result


def _layout(settings):
    """The key templates (all with one host folder) and the stamp forms."""
    sections = [None] + settings.log_sections()
    templates = list(dict.fromkeys(check_template(settings.get("key_template", s)) for s in sections))
    heads = {t.split("{host}")[0] for t in templates}
    for template in templates:
        if "{host}/" not in template or template.index("{host}") > template.index("{path}"):
            raise ConfigError(f"key_template {template!r} has no {{host}}/ folder before {{path}}",
                              "fleet health finds hosts as folders: keep {host}/ in key_template")
    if len(heads) > 1:
        raise ConfigError(f"key_templates put hosts under different folders ({', '.join(sorted(heads))})",
                          "use one key_template for every log to read fleet health")
    # the config's forms, then the common ones (naming.KNOWN_DATEFORMATS): a stanza's own dateformat
    # is not in the config of the machine that reads the fleet
    return templates, reading_formats(*dict.fromkeys(settings.dateformat(s) for s in sections))


def _host_names(backend, head, patterns):
    """Hosts as given, or (globs, or none given) from one listing of the hosts' folder."""
    if patterns and not any(GLOB_CHARS & set(p) for p in patterns):
        return sorted({check_host(p) for p in patterns})  # '..' or 'a/b' would read outside the host's folder
    every = [h for h in backend.list_dirs(head) if safe_host(h)]
    return sorted(h for h in every if not patterns or any(fnmatch.fnmatchcase(h, p) for p in patterns))


def _host_state(name, logs, today, stale_days):
    states = []
    for key, parts in sorted(logs, key=lambda found: found[1].log):
        age = (today - parts.when.date()).days
        states.append(LogState(parts.log, key, parts.stamp, parts.when, age, age > stale_days))
    newest = max((s.when for s in states), default=None)
    age = (today - newest.date()).days if newest else None
    return HostState(name, tuple(states), newest, age, newest is None or age > stale_days)


class _Walk:
    """One host's folders, an entry a request; each log's newest archive."""

    def __init__(self, backend, templates, formats, cutoff, stale_days):
        self.backend, self.templates, self.formats = backend, templates, formats
        self.cutoff = datetime.combine(cutoff, datetime.min.time())
        self.step = timedelta(days=max(stale_days, 1) + 1)
        self.reverse = backend.capabilities.reverse_listing
        # a folder store lists without requests: take a host whole
        self.page = getattr(backend, "list_page_size", None) or 10 ** 9
        self.skipped = 0
        self._lock = threading.Lock()

    def host(self, name):
        """[(newest key, KeyParts)] of each log of host `name`: from one page
        of its keys when they fit in one, else by walking its folders."""
        root = self.templates[0].split("{path}")[0].format(host=name)
        folder = root[:root.rindex("/") + 1]
        page = list(itertools.islice(self.backend.list(folder), self.page))
        if len(page) < self.page:  # the whole host: the newest key of each log is in it
            newest = {}
            for info in page:
                parts = self._archive(info.key, name)
                if parts is not None and info.key > newest.get(parts.log, ("",))[0]:
                    newest[parts.log] = (info.key, parts)
            return list(newest.values())
        found = []
        (self._backward if self.reverse else self._forward)(folder, name, found)
        return found

    def _parse(self, key, host):
        for template in self.templates:
            parts = parse_key(key, template, self.formats)
            if parts is not None and parts.host == host:
                return parts
        return None

    def _archive(self, key, host):
        """KeyParts of an entry the walk met, or None (counted) for a key no archive of this host has."""
        parts = self._parse(key, host)
        if parts is None:
            with self._lock:
                self.skipped += 1
        return parts

    def _backward(self, folder, host, found):
        """From the folder's end: an archive met first is its log's newest;
        then on below that log's keys (its key prefix)."""
        bound = None
        while True:
            entry = next(self.backend.list_level(folder, end_before=bound, reverse=True, limit=1), None)
            if entry is None:
                return
            bound = entry.key
            if entry.is_folder:
                self._backward(entry.key, host, found)
                continue
            parts = self._archive(entry.key, host)
            if parts is not None:
                found.append((entry.key, parts))
                bound = _log_prefix(entry.key, parts)

    def _forward(self, folder, host, found):
        """From the folder's start: an archive met first is its log's
        oldest; find the newest, then go on past every key that log can have."""
        after = None
        while True:
            entry = next(self.backend.list_level(folder, start_after=after, limit=1), None)
            if entry is None:
                return
            after = entry.key
            if entry.is_folder:
                self._forward(entry.key, host, found)
                continue
            parts = self._archive(entry.key, host)
            if parts is not None:
                prefix = _log_prefix(entry.key, parts)
                after = prefix + format_stamp(_LAST, parts.format) + "~"  # '~' is above every suffix's '.'
                found.append(self._newest(prefix, entry.key, parts, after, host))

    def _newest(self, prefix, oldest, first, end, host):
        """The newest archive of the log with key `prefix`, whose oldest is
        `oldest`: in the range from the cutoff up, else in ranges back from
        it that double, never below the oldest."""
        low, upper, step = self.cutoff, end, self.step
        while True:
            start = prefix + format_stamp(low, first.format) if low > first.when else None
            mine = [(info.key, parts) for info in self.backend.list(prefix, start_after=start, end_before=upper)
                    if (parts := self._parse(info.key, host)) is not None and parts.log == first.log]
            if mine:
                return max(mine, key=lambda found: found[0])
            if start is None:
                return oldest, first
            upper = prefix + format_stamp(low + timedelta(days=1), first.format)
            low, step = low - step, step * 2


def _log_prefix(key, parts):
    """What every archive key of that log starts with: the key without its stamp."""
    return key[: len(key) - len(parts.stamp) - len(parts.ext)]
