"""upload and gate under logrotate (issue 13): the stanza that ran the hook fills in olddir,
dateformat, extension and dateyesterday, so the plain `swiftrotate upload "$1"` needs no second copy of
them; and a rotation logrotate has just made that the run would leave behind is an error, never
a quiet exit 0.

Owns: the hook's view of its logrotate run (prepare), the checks on what it found (check), and
the settings shown by --dry-run, and the cache of the stanza read (keyed by the mtimes of the
files and folders it was read from). Without a logrotate ancestor (cron, a manual run) nothing here
changes anything: no config is read, the parser is not even imported.
Must not: print (lines go to the log or the Report), or import click.
"""
import fnmatch
import glob
import importlib
import json
import os
import re
import time
from collections import namedtuple

from . import discover, logrotate_caller
from .logrotate_caller import Taken
from .errors import ConfigError, SourceMissing
from .naming import COMPRESS_SUFFIXES, escape, split_extension
from .stanza_settings import TAKEN, contradictions, missing_setting, unread_compression

SHOWN = ("dateformat", "olddir", "dateyesterday", "extension")
CACHE, CACHE_ENTRIES = "logrotate-stanzas.json", 64
RECENT_NS = 2 * 10**9


# call: a logrotate_caller.Call; taken: a Taken, or None when no stanza of logrotate's config matched
Hook = namedtuple("Hook", "call taken")


def prepare(settings, args, log):
    """Under logrotate: the Hook, with settings.stanza set and each contradiction between
    swiftrotate's settings and the stanza said once. Otherwise None, and nothing read."""
    call = logrotate_caller.find()
    if call is None:
        return None
    arg = call.args[0] if call.args else " ".join(args)
    taken = _taken(settings, call, arg)
    if taken is None:
        log.warning("run by logrotate (%s) but no stanza there matches %s: swiftrotate's own settings apply",
                    " ".join(call.configs), escape(arg.strip()))
        return Hook(call, None)
    settings.stanza = taken
    explicit = {}
    for name in TAKEN:
        for live in list(taken.patterns) + [arg]:
            found = settings.explicit(name, live)
            if found is not None:
                explicit.setdefault(name, found)
    for line in contradictions(taken, explicit) + list(filter(None, [unread_compression(taken)])):
        log.warning("%s", line)
    return Hook(call, taken)


def _taken(settings, call, arg):
    """The Taken for this call: from the cache in the state folder while no file or folder it
    was read from has changed (a gate runs once per expired file), else parsed and cached."""
    cache = os.path.join(os.path.abspath(settings.get("state_dir")), CACHE)
    # 2: a Taken's values gained extension; an older entry would hide it
    key = json.dumps([2, call.configs, call.script, arg])
    entries = _read_cache(cache)
    hit = entries.get(key)
    if hit and all(_stamp(path) == stamp for path, stamp in hit["sources"]):
        try:
            return hit["taken"] and Taken(**{**hit["taken"], "patterns": tuple(hit["taken"]["patterns"]),
                                             "hooked": tuple(hit["taken"].get("hooked", ()))})
        except TypeError:  # written by another version
            pass
    # the parser is imported only here: a cron or manual run pays nothing for it
    reader = importlib.import_module(f"{__package__}.logrotate_stanza")
    began = time.time_ns()
    taken, sources = reader.load(call.configs, call.script, arg)
    stamps = [[path, _stamp(path)] for path in sources]
    # a file changed while (or just before) it was read may hold what was not read, under a stamp
    # a coarse clock will not move again: such a reading is used, never cached
    if all(stamp is None or stamp[2] < began - RECENT_NS for _, stamp in stamps):
        entries.pop(key, None)
        entries[key] = {"sources": stamps, "taken": taken and taken._asdict()}
        _write_cache(cache, dict(list(entries.items())[-CACHE_ENTRIES:]))
    return taken


def _stamp(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _read_cache(path):
    """Only a cache file of our own user that no one else may write: it decides which files are found."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_uid != os.geteuid() or st.st_mode & 0o022:
                return {}
            return json.loads(f.read())
    except (OSError, ValueError):
        return {}


def _write_cache(path, entries):
    if not os.path.isdir(os.path.dirname(path)):
        return  # the state folder is made, and checked, by the run itself
    tmp = f"{path}.{os.getpid()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(entries, f)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def check(hook, settings, found, args, report, dry_run=False):
    """Add to `report` what logrotate rotated that `found` ((candidate, key) pairs) misses and,
    with dry_run, the settings in effect for each log and where each comes from."""
    if dry_run:
        lives = sorted({c.live for c, _ in found}) or [os.path.abspath(p) for p in discover.split_patterns(args)]
        report.settings += describe(settings, hook, lives)
    if hook is None:
        return
    if hook.call.rotated:
        error = _rotated_not_found(hook, settings, {c.path for c, _ in found})
        report.problems += [error] if error else []
    elif hook.call.script is None and hook.taken is not None and hook.taken.hooked == ("postrotate",) \
            and not hook.taken.shared:
        # exec'd by the shell: no $2, but a per-log postrotate runs only after its log rotated
        report.problems += _no_rotation_found(hook, settings, {c.live for c, _ in found}, args)
    else:  # sharedscripts, lastaction: no $2, so look for what no layout reads, or no search reaches
        report.problems += numbered_rotations(hook, settings, args)
        report.problems += unsearched_olddir(hook, settings, args, {c.path for c, _ in found})


def _no_rotation_found(hook, settings, lives, args):
    out = []
    for pattern in discover.split_patterns(args):
        live = os.path.abspath(pattern)
        if live not in lives and os.path.lexists(live):
            told = ", ".join(f"{n} {settings.get(n, live) or '-'}" for n in SHOWN)
            out.append(SourceMissing(
                f"logrotate ran the postrotate hook for {escape(live)} ({hook.taken.source}), so it has just rotated "
                f"it, but swiftrotate finds no rotation of it ({told}): it would never be archived",
                "check the stanza's olddir, dateext, dateformat and extension (swiftrotate doctor names them)"))
    return out


def _rotated_not_found(hook, settings, paths):
    rotated = os.path.abspath(hook.call.rotated)
    if rotated in paths or any(rotated + e in paths for e in COMPRESS_SUFFIXES) or not os.path.lexists(rotated):
        return None
    live = os.path.abspath(hook.call.args[0])
    missing = missing_setting(rotated, live, settings.get("olddir", live), settings.dateformat(live), hook.taken,
                              settings.get("extension", live) or "")
    return SourceMissing(f"logrotate rotated {escape(hook.call.rotated)} but swiftrotate does not find it, so it "
                         f"would never be archived: check {missing}",
                         "set it in the logrotate stanza and drop swiftrotate's own value, or make them agree")


def unsearched_olddir(hook, settings, args, paths):
    """A SourceMissing per log whose rotations sit in the stanza's olddir while swiftrotate's own
    olddir (which wins) sends the search elsewhere: without $2 nothing else would tell, and those
    files would never be archived."""
    theirs = hook.taken.values.get("olddir") if hook.taken else None
    out = []
    for pattern in discover.split_patterns(args) if theirs else ():
        folder, name = os.path.split(os.path.abspath(pattern))
        ours = settings.get("olddir", pattern)
        where = os.path.normpath(os.path.join(folder, theirs))
        if ours and os.path.normpath(os.path.join(folder, ours)) == where:
            continue
        stem, kept = split_extension(name, hook.taken.extension or "")
        near = {p for head, tail in {(name, ""), (stem, kept)}
                for p in glob.glob(os.path.join(glob.escape(where), head) + "?*" + tail + "*")}
        left = sorted(p for p in near if os.path.isfile(p) and p not in paths)
        if left:
            out.append(SourceMissing(
                f"{escape(left[0])}" + (f" and {len(left) - 1} more" if len(left) > 1 else "") + " sit in logrotate's "
                f"olddir {escape(theirs)} ({hook.taken.source}), which swiftrotate does not search: its own olddir "
                f"{escape(ours or '-')} ({settings.source('olddir', pattern)}) wins, so they would never be archived",
                "drop olddir from swiftrotate's config (the hook reads the stanza), or make the two agree"))
    return out


def numbered_rotations(hook, settings, args):
    """A ConfigError per numbered rotation (LOG.1, LOG.2.gz; under logrotate's extension .log,
    app.1.log.gz too) of the logs `args` name, in their folder or olddir: no dateformat reads such
    a name, so nothing would ever archive it."""
    out = []
    for pattern in discover.split_patterns(args):
        pattern = os.path.abspath(pattern)
        folder, name = os.path.split(pattern)
        olddir = settings.get("olddir", pattern)
        stem, kept = split_extension(name, settings.get("extension", pattern) or "")
        numbered = _numbered(kept)
        for where in dict.fromkeys([folder] + ([os.path.join(folder, olddir)] if olddir else [])):
            paths = glob.glob(os.path.join(where, name) + ".[0-9]*")
            paths += glob.glob(os.path.join(where, stem) + ".[0-9]*" + kept + "*") if kept else []
            for path in sorted(set(paths)):
                m = numbered.fullmatch(os.path.basename(path))
                live = m and m["live"] + (m["kept"] or "")
                if m and fnmatch.fnmatchcase(live, name) and os.path.isfile(path):
                    out.append(_numbered_error(hook, path, os.path.join(folder, live)))
    return out


def _numbered(extension):
    """LOG.N[.gz], and under `extension` STEM.N EXT[.gz] (logrotate's app.1.log.gz)."""
    kept = f"(?P<kept>{re.escape(extension)})?" if extension else "(?P<kept>(?!))?"
    return re.compile(r"(?P<live>.+?)\.[0-9]+%s(?:%s)?" % (kept, "|".join(re.escape(e) for e in COMPRESS_SUFFIXES)),
                      re.DOTALL)


def _numbered_error(hook, path, live):
    stanza = hook.taken.source if hook.taken else "the logrotate stanza"
    fix = ("run `swiftrotate rename` on it once (logrotate never expires numbered files after a switch to "
           "dateext)" if hook.taken and hook.taken.dateext else f"add dateext to {stanza}, or run `swiftrotate rename`")
    return ConfigError(f"{escape(path)} is a numbered rotation of {escape(live)}: no dateformat reads its name, "
                       "so it is never archived", fix)


def describe(settings, hook, lives):
    """One line per log: each setting that says how its rotations are named, and its source."""
    lines = []
    for live in lives:
        parts = [f"{name} {settings.get(name, live) or '-'} ({settings.source(name, live)})" for name in SHOWN]
        lines.append(f"settings for {escape(live)}: " + ", ".join(parts))
    if hook is not None and hook.taken is not None:
        lines.append(f"{hook.taken.source}: {hook.taken.context()}")
    return lines
