"""How the logrotate stanza that ran the hook (a logrotate_caller.Taken) meets swiftrotate's own
settings (issue 13): olddir, dateformat, extension and dateyesterday are taken from the stanza unless a
flag, a SWIFTROTATE_* variable or swiftrotate's config sets them (those win, with a warning when
they differ; config.Settings.source says where each value comes from).

Owns: the contradictions, and which setting a rotated file that was not found points to.
Pure: no I/O. Must not: read logrotate's config (logrotate_stanza.py), walk /proc
(logrotate_caller.py), print, or import click.
"""
import os
import re
from .naming import COMPRESS_SUFFIXES

TAKEN = ("olddir", "dateformat", "extension", "dateyesterday")
NUMBERED = re.compile(r"\.[0-9]+(?:%s)?" % "|".join(re.escape(e) for e in COMPRESS_SUFFIXES))


def same(name, ours, theirs):
    if name == "olddir":
        return os.path.normpath(ours) == os.path.normpath(theirs) if ours and theirs else not ours and not theirs
    if name == "dateyesterday":
        return (str(ours).lower() in ("1", "yes", "true", "on")) == (theirs == "yes")
    if name == "extension":
        return (ours or "") == (theirs or "")
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


def unread_compression(taken):
    """A warning when the stanza compresses to a suffix swiftrotate does not read (compressext,
    compresscmd): only the uncompressed file, before logrotate compresses it, can be archived."""
    if taken.compress_ext and taken.compress_ext not in COMPRESS_SUFFIXES:
        return (f"{taken.source} compresses rotations to *{taken.compress_ext}, which swiftrotate does not read: "
                "only files archived before compression (postrotate, or delaycompress) are safe (compress with "
                f"one of {' '.join(COMPRESS_SUFFIXES)}, or upload with --compress gzip from postrotate)")
    return None


def missing_setting(rotated, live, olddir, dateformat, taken, extension=""):
    """Which setting keeps logrotate's $2 (`rotated`, a rotation of `live`) from being found: a
    text naming it, with logrotate's value."""
    live_dir, name = os.path.split(live)
    where, base = os.path.split(os.path.abspath(rotated))
    ours = os.path.normpath(olddir if os.path.isabs(olddir) else os.path.join(live_dir, olddir)) if olddir else None
    if where not in (live_dir, ours):
        told = f" (logrotate's is {taken.values['olddir']}, {taken.source})" if taken and taken.values["olddir"] else ""
        return f"olddir{told}"
    if taken is not None and not taken.dateext or re.fullmatch(re.escape(name) + NUMBERED.pattern, base):
        return f"dateext (add it to {taken.source})" if taken else "dateext"
    theirs = taken.extension if taken is not None else None
    if taken is not None and (theirs or "") != extension and not base.startswith(name):
        # swiftrotate's own extension wins over the stanza's (the contradiction was warned)
        return (f"extension (ours is {extension or 'none'}, logrotate's is {theirs or 'none'} ({taken.source}): "
                f"remove it from swiftrotate's config, or make the two agree)")
    told = f", logrotate's is {taken.values['dateformat']} ({taken.source})" if taken else ""
    return f"dateformat (ours is {dateformat}{told})"
