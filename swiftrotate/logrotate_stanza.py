"""The logrotate stanza a hook call belongs to, and what it says about the rotated names (issue 13).

Owns: choosing the stanza for a call (its script text and $1), and turning it into a Taken
(olddir, dateformat, extension, dateyesterday, missingok for swiftrotate's settings; dateext, compression,
extension, start, rotate, sharedscripts and the hook kind for checks and messages).
Must not: walk /proc (logrotate_caller.py), merge with swiftrotate's settings
(stanza_settings.py), print, or import click. Its only I/O is reading the config (load); it is
imported only under logrotate, and only when the cached reading is stale (under_logrotate.py).
"""
import os

from .discover import live_of, live_outside_olddir
from .logrotate_caller import Taken
from .logrotate_conf import read_config, stanza_for
from .logrotate_directives import COMPRESS_EXTS


def take(stanza, script=None):
    """The Taken of a logrotate_conf.Stanza; `script` (the text sh -c got) names the hook kind."""
    s = stanza.settings
    ext = None
    if s["compress"]:
        ext = s["compressext"] or COMPRESS_EXTS.get(os.path.basename(s["compresscmd"] or "gzip"), ".gz")
    hook = next((name for name, (text, _) in stanza.scripts.items() if script is not None and text == script), None)
    return Taken(f"{stanza.file}:{stanza.line}", stanza.pattern_text, tuple(stanza.patterns),
                 {"olddir": s["olddir"], "dateformat": s["dateformat"], "extension": s["extension"],
                  "dateyesterday": "yes" if s["dateyesterday"] else "no",
                  # a pattern logrotate itself may find absent is no typo of ours either
                  "missingok": "yes" if s["missingok"] else "no"},
                 bool(s["dateext"]), ext, s["extension"], s["start"], s["rotate"], bool(s["sharedscripts"]), hook,
                 tuple(sorted(name for name, (text, _) in stanza.scripts.items() if "swiftrotate" in text)))


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
        live = live_of(os.path.abspath(arg), s.settings["dateformat"], s.settings["extension"] or "")
        live = live and live_outside_olddir(live, s.settings["olddir"], s.patterns)
        if live and stanza_for([s], live) is s:
            return s
    return None


def load(configs, script, arg):
    """(the Taken for a hook call or None, every file and folder read for it)."""
    reading = read_config(configs)
    stanza = choose(reading.stanzas, script, arg)
    return (None if stanza is None else take(stanza, script)), reading.sources
