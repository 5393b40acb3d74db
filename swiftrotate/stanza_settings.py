"""How the logrotate stanza that ran the hook (a logrotate_caller.Taken) meets swiftrotate's own
settings (issue 13): olddir, dateformat and dateyesterday are taken from the stanza unless a
flag, a SWIFTROTATE_* variable or swiftrotate's config sets them (those win, with a warning when
they differ; config.Settings.source says where each value comes from).

Owns: the contradictions, and which setting a rotated file that was not found points to.
Pure: no I/O. Must not: read logrotate's config (logrotate_stanza.py), walk /proc
(logrotate_caller.py), print, or import click.
"""
import os
import re
from .naming import COMPRESS_SUFFIXES

TAKEN = ("olddir", "dateformat", "dateyesterday")
NUMBERED = re.compile(r"\.[0-9]+(?:%s)?" % "|".join(re.escape(e) for e in COMPRESS_SUFFIXES))


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
