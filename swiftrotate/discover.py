"""Find rotated files from what logrotate passes a hook.

logrotate gives postrotate `$1` = the live log, but with `sharedscripts`, and
in first/lastaction, `$1` is the pattern text as written: several patterns,
globs, quotes, and a trailing space. So every argument is split and globbed
here, and rotated siblings are found even when the live log is absent (no
`create` directive), the way logrotate globs for old rotations itself.

Also tells a rotated file's live log and dateformat (dateformat_for).

Must not: open, hash or upload a file; build keys.
"""
import fnmatch
import glob
import os
import re
import shlex
import stat
from collections import namedtuple

from .errors import UsageError
from .naming import (COMPRESS_SUFFIXES, escape, live_name, parse_stamp, rotated_regex, split_compression,
                     split_extension)

GLOB_CHARS = re.compile(r"[*?\[]")


# path: the rotated file as found (in the log's folder or olddir); live: the
# absolute path of the live log it belongs to; ext: compression suffix or ''.
# A namedtuple, not a dataclass: the hook's path imports no dataclasses (with
# inspect, ~10 ms of a no-op run that must stay within 100 ms).
Candidate = namedtuple("Candidate", "path live stamp ext")


def split_patterns(args):
    """Each argument may hold several space-separated, maybe quoted patterns."""
    out = []
    for arg in args:
        try:
            parts = shlex.split(arg)
        except ValueError:
            parts = arg.split()
        out.extend(p for p in parts if p)
    return out


def live_of(path, dateformat, extension=""):
    """If `path` itself is a rotated file (postrotate's $2), its live log."""
    m = rotated_regex(dateformat, extension).fullmatch(os.path.basename(path))
    return os.path.join(os.path.dirname(path), live_name(m)) if m else None


def rotated_arg_to_live(pattern, layouts, stanza_patterns=()):
    """postrotate's $2 (one rotated file, maybe in an olddir set in any
    section): its live log's path, so every layout searches from the log's
    folder. Anything else (a live log, a glob): unchanged."""
    pattern = os.path.abspath(pattern)
    if GLOB_CHARS.search(pattern):
        return pattern
    lives = [(live_of(pattern, dateformat, extension), olddir) for dateformat, olddir, extension in layouts]
    for live, olddir in lives:
        if not live:
            continue
        outside = live_outside_olddir(live, olddir, stanza_patterns)
        if outside is None:
            raise UsageError(f"{escape(pattern)} is in the absolute olddir {escape(olddir)}, so its live log's "
                             "folder is unknown", 'pass the live log ("$1"), not the rotated file ("$2")')
        if outside != live:
            return outside
    return next((live for live, _ in lives if live), pattern)


def find(pattern, dateformat, olddir=None, extension=""):
    """Rotated files of the logs `pattern` names, sorted by path."""
    regex = rotated_regex(dateformat, extension)
    found, matched = {}, {}  # matched: a log's rotations are many, its live path one (1000 files, 1 glob test)
    for pattern, folder, where, name in _listing(pattern, [olddir]):
        m = regex.fullmatch(name)
        if not m or parse_stamp(m.group("stamp"), dateformat) is None:
            continue  # digits of the right shape but no real date (month 13)
        live = os.path.join(folder, live_name(m))
        if live not in matched:
            matched[live] = _glob_match(live, pattern)
        if not matched[live]:
            continue
        path = os.path.join(where, name)
        found[path] = Candidate(path, live, m.group("stamp"), m.group("ext") or "")
    return [found[p] for p in sorted(found)]


def rotated_globs(pattern, layouts):
    """Where the rotations of the logs `pattern` names would be, in every
    (dateformat, olddir, extension) layout: globs for the ledger's paths."""
    folder, name = os.path.split(pattern)
    return [os.path.join(folder, olddir or "", stem) + "?*" + kept + "*" for _, olddir, extension in layouts
            for stem, kept in {(name, ""), split_extension(name, extension)}]


_STAMP_LIKE = re.compile(r"(?P<live>.+?)[-_.](?P<stamp>[0-9][0-9._-]*[0-9])(?:%s)?"
                         % "|".join(re.escape(e) for e in COMPRESS_SUFFIXES), re.ASCII | re.DOTALL)


def near_misses(pattern, olddirs, matched, extensions=()):
    """(path, live) of files that look like dated rotations of a log `pattern`
    names (a stamp of six digits or more after the name, or before one of
    the `extensions` in use) but that no configured dateformat matched (not
    in `matched`): nothing would ever archive them, so the caller must say
    so instead of exiting 0."""
    out = []
    for pattern, folder, where, name in _listing(pattern, olddirs):
        path = os.path.join(where, name)
        if path in matched:
            continue
        m, kept = _STAMP_LIKE.fullmatch(name), ""
        if not m:
            base = split_compression(name)[0]
            kept = next((e for e in extensions if e and base.endswith(e) and len(base) > len(e)), "")
            m = kept and _STAMP_LIKE.fullmatch(base[: -len(kept)])
        if not m or sum(c.isdigit() for c in m.group("stamp")) < 6:
            continue
        live = os.path.join(folder, m.group("live") + kept)
        if _glob_match(live, pattern):
            out.append((path, live))
    return sorted(out)


def _listing(pattern, olddirs):
    """(pattern, log folder, folder scanned, name) for every name in the
    folders `pattern` can have logs in, and in their olddirs. A $2 must have
    been turned into its live log first (rotated_arg_to_live)."""
    pattern = os.path.abspath(pattern)
    literal_dir = os.path.dirname(pattern)
    folders = [literal_dir] if not GLOB_CHARS.search(literal_dir) else \
        sorted(d for d in glob.glob(literal_dir) if os.path.isdir(d))
    for folder in folders:
        scan = [folder] + [o if os.path.isabs(o) else os.path.join(folder, o) for o in olddirs if o]
        for where in dict.fromkeys(scan):
            try:
                names = os.listdir(where)
            except OSError:
                continue
            for name in names:
                yield pattern, folder, where, name


def live_outside_olddir(live, olddir, patterns=()):
    """postrotate's $2 (or the gate's file) may be in olddir: the live log is
    in the folder olddir belongs to, and the key must name that path, as it
    does for $1. `live` is what the name alone says (in the file's folder).
    When olddir is absolute and holds the file, only the logrotate stanza's
    `patterns` can say which folder the log is in: the first whose folder,
    with the log's name, matches it; else None."""
    folder = os.path.dirname(live)
    if not olddir:
        return live
    if os.path.isabs(olddir):
        if os.path.normpath(olddir) != folder:
            return live
        named = (os.path.join(os.path.dirname(p), os.path.basename(live)) for p in patterns)
        return next((c for c, p in zip(named, patterns) if _glob_match(c, p)), None)
    parent = os.path.dirname(folder)
    if os.path.normpath(os.path.join(parent, olddir)) == folder:
        return os.path.join(parent, os.path.basename(live))
    return live


def _glob_match(path, pattern):
    # fnmatch lets '*' cross '/', glob does not; compare folder by folder.
    from fnmatch import fnmatchcase

    a, b = path.split("/"), pattern.split("/")
    return len(a) == len(b) and all(fnmatchcase(x, y) for x, y in zip(a, b))


def dateformat_for(settings, path):
    """(dateformat, live log) of a rotated file: [log GLOB] sections are keyed
    by the live log, which is known only once a section's format parses."""
    def outside_olddir(live, olddir):
        """A file in the log's olddir belongs to the log in the folder above;
        where an absolute olddir does not say which folder: as named."""
        return live and (live_outside_olddir(live, olddir, patterns) or live)

    # under logrotate, the stanza that ran us says where a log in an absolute olddir lives
    patterns = settings.stanza.patterns if getattr(settings, "stanza", None) is not None else ()

    for section in settings.log_sections():
        fmt = settings.dateformat(section)
        live = outside_olddir(live_of(path, fmt, settings.get("extension", section) or ""),
                              settings.get("olddir", section))
        if live and fnmatch.fnmatchcase(live, section):
            return fmt, live
    fmt = settings.dateformat()
    return fmt, outside_olddir(live_of(path, fmt, settings.get("extension") or ""), settings.get("olddir"))


def insecure_folder(folder):
    """logrotate's own test: a folder writable by others, or by a group that
    is not root, lets another user plant a hard link named like a rotation.
    (None when the folder cannot be read: the open fails later, clearly.)"""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return bool(st.st_mode & stat.S_IWOTH or (st.st_mode & stat.S_IWGRP and st.st_gid != 0))
