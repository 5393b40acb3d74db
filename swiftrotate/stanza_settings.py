"""What the logrotate stanza that ran the hook says about its rotated names, and how that meets
swiftrotate's own settings (issue 13): olddir, dateformat and dateyesterday are taken from the
stanza unless a flag, a SWIFTROTATE_* variable or swiftrotate's config sets them (those win, with
a warning when they differ); dateext, compression, extension, start and rotate are kept for
checks and messages.

Owns: choosing the stanza for a hook call, the values taken and where they come from, the
contradictions, and which setting a rotated file that was not found points to.
Must not: walk /proc (logrotate_caller.py), print, or import click. Its only I/O is reading the
logrotate config (load).
"""
import os
import re
from dataclasses import dataclass

from .discover import live_of, live_outside_olddir
from .logrotate_conf import read_config, stanza_for
from .logrotate_directives import COMPRESS_EXTS
from .naming import COMPRESS_SUFFIXES

TAKEN = ("olddir", "dateformat", "dateyesterday")
NUMBERED = re.compile(r"\.[0-9]+(?:%s)?" % "|".join(re.escape(e) for e in COMPRESS_SUFFIXES))


@dataclass(frozen=True)
class Taken:
    where: str  # "FILE:LINE" of the stanza
    pattern_text: str
    patterns: tuple
    values: dict  # swiftrotate setting -> value as swiftrotate reads it ("yes"/"no" for a flag)
    dateext: bool
    compress_ext: object  # the suffix logrotate gives compressed rotations, or None
    extension: object
    start: int
    rotate: int
    shared: bool
    hook: object  # the script kind that ran us ("postrotate", ...), or None when not told

    @property
    def source(self):
        return f"logrotate stanza {self.where}"

    def context(self):
        """The stanza's other facts, for --dry-run and messages."""
        ext = self.compress_ext or "no"
        return (f"dateext {'yes' if self.dateext else 'no'}, compression {ext}, extension {self.extension or 'none'}, "
                f"rotate {self.rotate}, start {self.start}" + (f", hook {self.hook}" if self.hook else ""))


def take(stanza, script=None):
    """The Taken of a logrotate_conf.Stanza; `script` (the text sh -c got) names the hook kind."""
    s = stanza.settings
    ext = None
    if s["compress"]:
        ext = s["compressext"] or COMPRESS_EXTS.get(os.path.basename(s["compresscmd"] or "gzip"), ".gz")
    hook = next((name for name, (text, _) in stanza.scripts.items() if script is not None and text == script), None)
    return Taken(f"{stanza.file}:{stanza.line}", stanza.pattern_text, tuple(stanza.patterns),
                 {"olddir": s["olddir"], "dateformat": s["dateformat"],
                  "dateyesterday": "yes" if s["dateyesterday"] else "no"},
                 bool(s["dateext"]), ext, s["extension"], s["start"], s["rotate"], bool(s["sharedscripts"]), hook)


def choose(stanzas, script, arg):
    """The stanza a hook call belongs to: among the stanzas whose scripts hold the very text sh -c
    got (all when none or unknown), the one stanza_for gives for $1; else, for a rotated file
    (preremove's $1), the stanza whose own dateformat and olddir lead back to a log it names."""
    own = [s for s in stanzas if script is not None and any(t == script for t, _ in s.scripts.values())]
    pool = own or list(stanzas)
    found = stanza_for(pool, arg) if arg else None
    if found is not None or len(own) == 1:
        return found or own[0]
    for s in pool if arg else ():
        live = live_of(os.path.abspath(arg), s.settings["dateformat"])
        live = live and live_outside_olddir(live, s.settings["olddir"])
        if live and stanza_for([s], live) is s:
            return s
    return None


def load(configs, script, arg):
    """The Taken for a hook call, read from logrotate's config files, or None."""
    stanza = choose(read_config(configs).stanzas, script, arg)
    return None if stanza is None else take(stanza, script)


def same(name, ours, theirs):
    if name == "olddir":
        return os.path.normpath(ours) == os.path.normpath(theirs) if ours and theirs else not ours and not theirs
    if name == "dateyesterday":
        return (str(ours).lower() in ("1", "yes", "true", "on")) == (theirs == "yes")
    return ours == theirs


def contradictions(taken, explicit):
    """One line per setting swiftrotate sets (explicit: name -> (value, where)) that differs from
    the stanza's. A stanza without olddir says nothing about an olddir of ours: that only adds a
    folder to search."""
    out = []
    for name, (value, where) in sorted(explicit.items()):
        theirs = taken.values.get(name)
        if name == "olddir" and theirs is None:
            continue
        if name in taken.values and not same(name, value, theirs):
            out.append(f"{name}: {where} says {value!r} but {taken.source} says {theirs!r}; "
                       f"swiftrotate's wins (remove it from swiftrotate, or make the two agree)")
    return out


def missing_setting(rotated, live_dir, olddir, dateformat, taken):
    """Which setting keeps logrotate's $2 from being found: a text naming it and logrotate's value."""
    where = os.path.dirname(os.path.abspath(rotated))
    ours = os.path.normpath(olddir if not olddir or os.path.isabs(olddir) else os.path.join(live_dir, olddir)) \
        if olddir else None
    if where != live_dir and where != ours:
        told = f" (logrotate's is {taken.values['olddir']}, {taken.source})" if taken and taken.values["olddir"] else ""
        return f"olddir{told}"
    if taken is not None and not taken.dateext or NUMBERED.search(os.path.basename(rotated)):
        return f"dateext (add it to {taken.source})" if taken else "dateext"
    told = f", logrotate's is {taken.values['dateformat']} ({taken.source})" if taken else ""
    return f"dateformat (ours is {dateformat}{told})"
