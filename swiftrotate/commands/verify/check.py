"""One ledger row against the store: is the archive it names still there,
whole, and the bytes the ledger recorded? And the day its stamp names, for
--since.

Owns: the three categories (missing, broken, differ) and what each finding
says. Must not: write to the ledger, repair anything, or print.
"""
import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from ...backends._transfer import check_content
from ...errors import Incomplete, IntegrityError, NotFound
from ...localfile import sha256_of
from ...naming import escape, parse_stamp, split_compression, stamp_pattern

MISSING, BROKEN, DIFFER = "missing", "broken", "differ"
CATEGORIES = (MISSING, BROKEN, DIFFER)


@dataclass
class Finding:
    category: str  # missing, broken or differ
    key: str
    unit: str
    detail: str
    paths: list = field(default_factory=list)  # local files the ledger records as this unit
    read: bool = False  # found by reading the bytes: a HEAD showed the ledger's size and sha256
    repaired: bool = False
    note: str = ""  # what the repair did, or why there was none

    @property
    def path(self):
        """The local copy to name: the first recorded one still there, else the first recorded."""
        present = [p for p in self.paths if os.path.lexists(p)]
        return (present or self.paths or [None])[0]

    def where(self):
        path = self.path
        if path is None:
            return "no local copy recorded"
        return f"local {escape(path)}" + ("" if os.path.lexists(path) else ", gone")


def _short(sha):
    return f"{sha[:12]}..." if sha else "none"


def check(backend, row, read):
    """(category, detail, read_in_full) for an archive that is not what the
    ledger says; None when the store shows it whole with the ledger's size
    and sha256 (and, with `read`, its bytes hash to them). TransientError,
    AuthError and the like are raised: the store cannot tell now."""
    try:
        info = backend.verify(row["key"])  # for a Swift large object: every segment too
    except NotFound:
        return MISSING, "not in the store", False
    except Incomplete as exc:
        return BROKEN, exc.line(), False
    if (info.size, info.sha256) != (row["size"], row["sha256"]):
        return DIFFER, _shows(info, row), False
    if not read:
        return None
    return read_back(backend, row)


def _shows(info, row):
    return (f"the store shows {info.size} bytes, sha256 {_short(info.sha256)}; the ledger says {row['size']} "
            f"bytes, {_short(row['sha256'])}")


def read_back(backend, row):
    """GET the whole object and hash it, writing the bytes nowhere. Only a
    finding about the bytes themselves says read_in_full: an object
    replaced since the HEAD is another object, as a HEAD would have seen."""
    try:
        info, chunks = backend.open_read(row["key"])
    except NotFound:
        return MISSING, "deleted while it was checked", False
    except Incomplete as exc:  # a Swift large object whose segment went meanwhile (409)
        return BROKEN, exc.line(), False
    try:
        if (info.size, info.sha256) != (row["size"], row["sha256"]):
            return DIFFER, _shows(info, row), False
        sha256, size = sha256_of(chunks)
        check_content("read in full", info, size, sha256)  # the helper every verified download uses
    except Incomplete as exc:
        return BROKEN, exc.line(), True
    except IntegrityError as exc:  # the bytes are not what the metadata says, or a checksum refused them
        return DIFFER, exc.line(), True
    finally:
        getattr(chunks, "close", lambda: None)()
    return None


@lru_cache(maxsize=64)
def _stamp_at_end(dateformat):
    return re.compile(f"(?:{stamp_pattern(dateformat)})\\Z", re.ASCII)


def stamp_day(key, layouts):
    """The day the stamp at the end of `key` names, or None when none of
    `layouts` reads it. layouts: (glob or None, dateformat), the [log GLOB]
    sections first; a section's format is tried only for a key whose log
    path matches its GLOB (keys are {host}/{path}{stamp}{ext} by default,
    so every tail of the key's folders is tried as the log's path)."""
    base, _ = split_compression(key)
    for glob, dateformat in layouts:
        m = _stamp_at_end(dateformat).search(base)
        if not m or (glob is not None and not _log_matches(base[: m.start()], glob)):
            continue
        when = parse_stamp(m.group(0), dateformat)
        if when is not None:
            return when.date()
    return None


def _log_matches(prefix, glob):
    parts = prefix.split("/")
    return any(fnmatch.fnmatchcase("/" + "/".join(parts[i:]), glob) for i in range(len(parts)))


def in_range(row, since, layouts):
    """Is the row's stamp on or after `since`? A stamp no dateformat reads
    is checked anyway: better once too often than never."""
    if since is None:
        return True
    day = stamp_day(row["key"], layouts)
    return day is None or day >= since


def finding(row, paths, outcome) -> Optional[Finding]:
    if outcome is None:
        return None
    category, detail, read = outcome
    return Finding(category, row["key"], row["unit"], detail, list(paths), read=read)
