"""`swiftrotate doctor`'s checks of folders on this machine: the state folder and the spool on a
local disk (the filesystem type in /proc/mounts) and not writable by others, and the folders
where a gated stanza's rotations live on the spool's filesystem (else the gate copies each file
it spools instead of hard-linking it).

Owns: reading /proc/mounts and stat()ing those folders. Must not: change anything.
"""
import os
import re
import stat

from .checks import ERROR, WARNING, Finding, hooks

MOUNTS = "/proc/mounts"
# network and user-space filesystems: a lock or SQLite file there is not safe, a copy is slow
REMOTE = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "lustre", "gpfs", "afs", "davfs",
          "ncpfs", "sshfs", "fuse"}
FOLDERS = {"state_dir": ("the ledger (SQLite) and its lock", ERROR), "spool_dir": ("the gate's spool", WARNING)}


def parse_mounts(text):
    """(mount point, filesystem type) for each line of /proc/mounts (octal escapes undone)."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            out.append((re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[1]), fields[2]))
    return out


def remote(fstype):
    """Whether a filesystem type is a network or FUSE one (fuseblk is a local disk's)."""
    return fstype in REMOTE or fstype.startswith("fuse.")


def mount_of(path, mounts):
    """(mount point, type) of the mount holding `path` (a resolved path): the longest match."""
    best = ("/", "")
    for point, fstype in mounts:
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[0]):
            best = (point, fstype)
    return best


def existing(path):
    """`path`, or its nearest ancestor that exists."""
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def source(settings, name):
    """(file, line) naming where a setting comes from: the flag, the variable, the config line,
    else the folder itself (line 0)."""
    if name in settings.flags:
        return "--" + name.replace("_", "-"), 0
    variable = "SWIFTROTATE_" + name.upper()
    if settings.environ.get(variable):
        return variable, 0
    if settings.path and settings.parser.has_section("swiftrotate") and name in settings.parser["swiftrotate"]:
        where, _, number = settings.where("swiftrotate", name).rpartition(", line ")
        if number.isdigit():
            return where, int(number)
    return os.path.abspath(settings.get(name)), 0


def folders(settings, mounts_file=MOUNTS):
    out = []
    try:
        with open(mounts_file) as f:
            mounts = parse_mounts(f.read())
    except OSError:
        mounts = []
    for name, (holds, severity) in FOLDERS.items():
        folder = os.path.abspath(settings.get(name))
        file, line = source(settings, name)
        found = existing(folder)
        point, fstype = mount_of(os.path.realpath(found), mounts)
        if remote(fstype):
            out.append(Finding(file, line, severity, f"{name} {folder} is on {fstype} ({point}), not a local "
                                                     f"disk: {holds} need{'s' * (name == 'spool_dir')} one", f"set {name} to a local folder"))
        try:
            mode = os.stat(found).st_mode
        except OSError:
            continue
        if mode & stat.S_IWOTH and not (found != folder and mode & stat.S_ISVTX):
            what = folder if found == folder else f"{found}, where {folder} would be made,"
            out.append(Finding(file, line, ERROR, f"{name}: {what} is writable by others, who can then plant "
                                                  f"files in {holds}", f"chmod o-w {found}, or set {name} to "
                                                                       "a root-owned folder"))
    return out


def rotation_folders(stanza):
    """The folders where the stanza's rotations land: its olddir (relative to each log's folder),
    else the folders of its patterns; those with a glob in them are left out."""
    olddir = stanza.settings["olddir"]
    out = []
    for pattern in stanza.patterns:
        parent = os.path.dirname(pattern)
        folder = olddir if olddir and os.path.isabs(olddir) else os.path.join(parent, olddir or "")
        folder = os.path.normpath(folder)
        if not any(c in folder for c in "*?[") and folder not in out:
            out.append(folder)
    return out


def spool_devices(settings, stanzas):
    """A warning for each gated stanza whose rotations are on another filesystem than the spool."""
    spool = os.path.abspath(settings.get("spool_dir"))
    try:
        device = os.stat(existing(spool)).st_dev
    except OSError:
        return []
    out = []
    for stanza in stanzas:
        if not any(h.kind == "gate" and h.script == "preremove" for h in hooks(stanza)):
            continue
        for folder in rotation_folders(stanza):
            try:
                if os.stat(folder).st_dev == device:
                    continue
            except OSError:
                continue  # not on this machine (yet): nothing to compare
            which = "olddir" if stanza.settings["olddir"] else "the log folder"
            out.append(Finding(stanza.file, stanza.line, WARNING,
                               f"{which} {folder} is on another filesystem than spool_dir {spool}: the gate "
                               "copies each file it spools instead of hard-linking it (slower, and it needs "
                               "room in the spool)", f"set spool_dir to a folder on {folder}'s filesystem"))
    return out
