"""`swiftrotate ls`: what the store holds, sorted by key, each archive with
the time its stamp says; narrowed by host, log and days like fetch.

Owns: the listing prefixes and the filters. Must not: print; cli/ls.py
writes each line as it comes, so a listing of a million keys never sits
in memory.
"""
import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import Optional

from ..backends.base import ObjectInfo
from ..errors import SourceMissing
from ..naming import (KeyParts, check_template, escape, glob_match, parse_key, parse_stamp_any, reading_formats,
                      under_log)
from .fetch import GLOB_CHARS


@dataclass(frozen=True)
class Entry:
    info: ObjectInfo
    parts: Optional[KeyParts]  # host, log, stamp, time; None for a key no archive has


def run(settings, prefix="", *, hosts=(), logs=(), when=None, open_backend, on_item, on_unread=None):
    """on_item(Entry) for every object under `prefix` that is on one of
    `hosts` (names or globs), of one of `logs` (paths or globs) and stamped
    in the Window `when` (each filter only when given); returns how many.
    Filtering, a key of one of `logs` (of any, without --log) that no stamp
    form reads is left out, its date unknown: on_unread(key) says so.
    A missing container raises NotFound; filters matching nothing, SourceMissing."""
    sections = [None] + settings.log_sections()
    templates = list(dict.fromkeys(check_template(settings.get("key_template", s)) for s in sections))
    # the config's forms, then the known ones: a stanza's own dateformat is not in this config
    formats = reading_formats(*dict.fromkeys(settings.dateformat(s) for s in sections))
    own = functools.lru_cache(maxsize=1024)(lambda log: reading_formats(settings.dateformat(log)))
    count = 0
    with open_backend() as backend:
        for listed in _prefixes(backend, templates, prefix, hosts, logs):
            for info in backend.list(listed):
                parts = _read(info.key, templates, formats, own)
                if _wanted(parts, hosts, logs, when):
                    on_item(Entry(info, parts))
                    count += 1
                elif parts is None and on_unread is not None and (hosts or logs or when) \
                        and (not logs or _under(info.key, templates, logs)):
                    on_unread(info.key)
        if not count:
            backend.check_container()  # a missing container lists as empty: NotFound names it
    if not count and (hosts or logs or when):
        asked = [f"--host {escape(h)}" for h in hosts] + [f"--log {escape(x)}" for x in logs]
        if when is not None:
            asked.append(f"stamped {when.start.date()}..{when.shown_end}")
        raise SourceMissing("no archive matches " + " ".join(asked), "ls without filters shows what there is")
    return count


def _read(key, templates, formats, own):
    """KeyParts of `key`, its stamp read with its log's own forms first
    (a [log] section's -%Y%d%m before another's -%Y%m%d); None for a key no
    archive has."""
    parts = next(filter(None, (parse_key(key, t, formats) for t in templates)), None)
    if parts is None:
        return None
    when, fmt = parse_stamp_any(parts.stamp, own(parts.log))
    return parts._replace(when=when, format=fmt) if when is not None else parts


def _under(key, templates, logs):
    """Whether `key` is one of `logs`' keys (paths or globs), on any host."""
    for template in templates:
        head = re.compile("[^/]+".join(re.escape(part) for part in template.split("{path}")[0].split("{host}")))
        m = head.match(key)
        if m and any(under_log(key[m.end():], x) for x in logs):
            return True
    return False


def _wanted(parts, hosts, logs, when):
    if not (hosts or logs or when):
        return True
    if parts is None:
        return False
    if hosts and not any(fnmatch.fnmatchcase(parts.host or "", h) for h in hosts):
        return False
    if logs and not any(parts.log == x or glob_match(parts.log, x) for x in logs):
        return False
    return when is None or when.start <= parts.when < when.end


def _prefixes(backend, templates, prefix, hosts, logs):
    """Listing prefixes that cover what the filters can match, none inside
    another (so no key is listed twice), within `prefix`."""
    if not (hosts or logs):
        return [prefix]  # one listing, as always
    literals = [x[:min([x.index(c) for c in GLOB_CHARS if c in x] or [len(x)])].lstrip("/") for x in logs] or [""]
    found = []
    for template in templates:
        head = template.split("{path}")[0]
        try:
            found += [head.format(host=h) + lit for h in _hosts(backend, head, hosts) for lit in literals]
        except (KeyError, IndexError, ValueError):  # a head with more than {host}: list it all, filter
            found.append("")
    inside = sorted({p if p.startswith(prefix) else prefix for p in found
                     if p.startswith(prefix) or prefix.startswith(p)})
    out = []
    for p in inside:
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return out


def _hosts(backend, head, patterns):
    """The host names a template's head needs: as given, or (globs, none
    given) from one delimiter listing of the hosts."""
    if "{host}" not in head:
        return [None]
    if patterns and not any(GLOB_CHARS & set(p) for p in patterns):
        return list(patterns)
    every = backend.list_dirs(head.split("{host}")[0])
    return [h for h in every if not patterns or any(fnmatch.fnmatchcase(h, p) for p in patterns)]
