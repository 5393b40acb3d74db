"""logrotate 3.21's directives (config.c), for logrotate_grammar.py: the defaults, the flags, and
how each directive that takes an argument reads it, what it sets, and what a bad one costs (its
message, and whether logrotate ignores the line, skips the stanza or skips the rest of the file).
Also the small C readers they need: popt's word splitting, strtol, sscanf("%o %s %s").

Must not: touch the file system (include hands the path back to the reader), resolve users or
groups, print, or import anything of swiftrotate's.
"""
import os
import pwd
import re

SCRIPTS = ("prerotate", "postrotate", "firstaction", "lastaction", "preremove")
COMPRESS_EXTS = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst", "compress": ".Z", "zip": "zip"}
MAX_NESTING = 16
SPACE, BLANK = " \t\n\v\f\r", " \t"
ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

# logrotate's defaults (readAllConfigPaths); compresscmd & co. become gzip at the first stanza
DEFAULTS = {
    "frequency": "size", "weekday": 0, "size": 1024 * 1024, "minsize": 0, "maxsize": 0,
    "rotate": 0, "start": 1, "minage": 0, "maxage": 0, "olddir": None,
    "compress": False, "delaycompress": False, "compresscmd": None, "uncompresscmd": None,
    "compressext": None, "compressoptions": None, "copy": False, "copytruncate": False,
    "renamecopy": False, "create": False, "create_mode": None, "create_owner": None, "create_group": None,
    "createolddir": False, "createolddir_mode": None, "createolddir_owner": None,
    "createolddir_group": None, "dateext": False, "dateformat": None, "dateyesterday": False,
    "datehourago": False, "extension": None, "addextension": None, "ifempty": True, "missingok": False,
    "sharedscripts": False, "mail": None, "mailfirst": False, "shred": False, "shredcycles": 0,
    "su": False, "su_user": None, "su_group": None, "allowhardlink": False, "ignoreduplicates": False,
}
_ON = ("compress", "delaycompress", "shred", "allowhardlink", "sharedscripts", "copy", "ifempty",
       "missingok", "dateext", "dateyesterday", "datehourago", "mailfirst", "ignoreduplicates")
_OFF = ("compress", "delaycompress", "shred", "allowhardlink", "sharedscripts", "copy", "missingok",
        "dateext", "create", "createolddir", "copytruncate", "renamecopy")
FLAGS = {  # directive -> the settings it sets; none takes an argument
    **{n: {n: True} for n in _ON}, **{"no" + n: {n: False} for n in _OFF},
    "notifempty": {"ifempty": False}, "maillast": {"mailfirst": False}, "errors": {},
    "copytruncate": {"copytruncate": True, "renamecopy": False},
    "renamecopy": {"renamecopy": True, "copytruncate": False},
    "noolddir": {"olddir": None}, "nomail": {"mail": None},
    **{f: {"frequency": f} for f in ("hourly", "daily", "monthly", "yearly")},
}
# directive -> (label in logrotate's messages, lowest value, message for a bad one)
_COUNTS = {"rotate": ("rotate count", -1, "bad rotation count"), "start": ("start count", 0, "bad start count"),
           "minage": ("minage count", 0, "bad minimum age"), "maxage": ("maxage count", 0, "bad maximum age"),
           "shredcycles": ("shred cycles", 0, "bad shred cycles")}
_PATHS = {"olddir": "olddir", "compresscmd": "compress", "uncompresscmd": "uncompress",
          "compressext": "compress-ext"}
_UNITS = {"k": 1024, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def popt_split(text):
    """poptParseArgvString(): words split on white space, with '...', "..." and backslashes;
    None where popt fails (a trailing backslash, no word at all)."""
    args, cur, quote, i = [], "", "", 0
    while i < len(text):
        c = text[i]
        if quote and c == quote:
            quote = ""
        elif not quote and c in SPACE:
            if cur:
                args.append(cur)
            cur = ""
        elif not quote and c in "\"'":
            quote = c
        else:
            if c == "\\":
                i += 1
                if i == len(text):
                    return None
                if quote and text[i] != quote:
                    cur += "\\"
            cur += text[i]
        i += 1
    if cur:
        args.append(cur)
    return args or None


def strtol(text):
    """C's strtol(text, &end, 0): (value, the rest after the number)."""
    m = _NUMBER.match(text)
    if not m:
        return 0, text
    body = m[2]
    n = int(body, 16) if body[:2] in ("0x", "0X") else int(body, 8) if body[0] == "0" else int(body)
    return (-n if m[1] == "-" else n), text[m.end():]


def home(path):
    """logrotate's `~/` in include and olddir: $HOME, else the passwd entry."""
    if not path.startswith("~/"):
        return path
    return f"{os.environ.get('HOME') or pwd.getpwuid(os.getuid()).pw_dir}/{path[2:]}"


def mode_owner_group(text, with_mode):
    """readModeUidGid()'s sscanf("%o %s %s%c"): (mode or None, owner, group), None for extra words."""
    mode = None
    m = re.match(r"[ \t\n\v\f\r]*([0-7]+)", text) if with_mode else None
    if m:
        mode, text = int(m[1], 8) & 0o177777, text[m.end():]
    words = text.split()
    if len(words) > 2:
        return None
    return mode, (words[0] if words else None), (words[1] if len(words) > 1 else None)


# -- the directives that take an argument: f is the ConfigFile, s the settings they change --
def _count(f, key, s):
    label, lowest, bad = _COUNTS[key]
    value = f.value()
    if value is None:
        return f.raise_(f"argument expected after {label}")
    s[key], rest = strtol(value)  # set before it is checked, as in config.c
    if rest or s[key] < lowest:
        f.raise_(f"{bad} '{value}'")


def _size(f, key, s):
    value = f.value()
    if value is None:  # logrotate says so and carries on
        return f.note(f"argument expected after {key}", "ignored")
    unit = _UNITS.get(value[-1], 1 if value[-1] in "0123456789" else None)
    if unit is None:
        return f.raise_(f"unknown unit '{value[-1]}'")
    number, rest = strtol(value[:-1] if value[-1] in _UNITS else value)
    if rest or number < 0:
        return f.raise_(f"bad size '{value}'")
    s[key] = number * unit
    if key == "size":
        s["frequency"] = "size"


def _weekly(f, key, s):
    s["frequency"] = "weekly"
    value = f.rest()
    m = re.fullmatch(r"[ \t\n\v\f\r]*\+?([0-9]+)", value)
    if value and not (m and int(m[1]) <= 7):
        f.fail(f"bad weekly directive '{value}'")  # a `goto error` even inside a stanza
    s["weekday"] = int(m[1]) if value else 0


def _path(f, key, s):
    label = _PATHS[key]
    s[key] = None
    value = f.value()
    if value is None:
        return f.raise_(f"argument expected after {label}")
    if any(c in BLANK or not c.isprintable() for c in value):
        return f.raise_(f"bad {label} path {value}")
    s[key] = home(value) if key == "olddir" else value
    if key == "compresscmd" and os.path.basename(value) in COMPRESS_EXTS:
        s["compressext"] = COMPRESS_EXTS[os.path.basename(value)]


def _text(f, key, s):
    value = f.value()
    if value is None and key == "dateformat":  # logrotate says so and clears it
        f.note("argument expected after dateformat", "ignored")
    elif value is None:
        return f.raise_(f"argument expected after {key} name")
    s[key] = value


def _mail(f, key, s):
    s["mail"] = f.value()
    if s["mail"] is None:
        return f.raise_("argument expected after mail")
    if any(c == " " or not (" " <= c <= "~") for c in s["mail"]):
        f.raise_(f"bad mail address {s['mail']}")


def _compressoptions(f, key, s):
    value = f.rest()
    if popt_split(value) is None:
        return f.raise_("invalid compression options")
    s["compressoptions"] = value.strip(SPACE)


def _owner(f, key, s):
    """create, createolddir and su: [mode] [owner [group]]; su wants both."""
    parsed = mode_owner_group(f.rest(), key != "su")
    if parsed is None:
        return f.raise_(f"extra arguments for {key}")
    mode, owner, group = parsed
    prefix = "su" if key == "su" else key
    for name, value in (("mode", mode), ("owner" if key != "su" else "user", owner), ("group", group)):
        if value is not None:
            s[f"{prefix}_{name}"] = value
    if key == "su" and (s["su_user"] is None or s["su_group"] is None):
        return f.raise_("no user for su" if s["su_user"] is None else "no group for su")
    s[key] = True


def _taboo(f, key, s):
    if f.cur is not None:
        return f.skip_stanza(f"{key} may not appear inside of log file definition")
    value = f.value()
    if value is None:
        return f.note(f"argument expected after {key}", "ignored")
    j = 0
    if value.startswith("+"):
        j = len(value) - len(value[1:].lstrip(SPACE))
    else:
        f.r.taboo.clear()
    while j < len(value):
        k = j
        while k < len(value) and value[k] not in SPACE + ",":
            k += 1
        if key == "taboopat" or k > j:
            f.r.taboo.append(("*" if key == "tabooext" else "") + value[j:k])
        j = k + (value[k:k + 1] == ",")
        while j < len(value) and value[j] in SPACE:
            j += 1


def _include(f, key, s):
    value = f.value()
    if value is None:
        return f.raise_("argument expected after include")
    if f.r.depth >= MAX_NESTING:
        return f.note("include nesting too deep", "ignored")
    f.r.depth += 1
    try:
        f.r.read_path(home(value), f.target, (f.path, f.line()))
    finally:
        f.r.depth -= 1


DIRECTIVES = {
    **{k: _count for k in _COUNTS}, **{k: _size for k in ("size", "minsize", "maxsize")},
    **{k: _path for k in _PATHS}, **{k: _text for k in ("dateformat", "extension", "addextension")},
    **{k: _owner for k in ("create", "createolddir", "su")}, **{k: _taboo for k in ("tabooext", "taboopat")},
    "weekly": _weekly, "mail": _mail, "compressoptions": _compressoptions, "include": _include,
}
