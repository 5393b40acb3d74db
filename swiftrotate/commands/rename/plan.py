"""`swiftrotate rename`, the plan: which names are numbered rotations, the
dateext name each gets, collisions, and the order check. No I/O.

The plan is pure (names, dates and the folder's existing names in, renames
out), so its promises (injective, nothing existing is a target, nothing
leaves the folder, a second run is a no-op) are property-tested. Dating
the files is dates.py; scanning, renaming and undo are apply.py.

Must not: do I/O.
"""
import functools
import itertools
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from ...errors import Conflict, IntegrityError, SwiftrotateError, UnsafeInput
from ...naming import COMPRESS_SUFFIXES, escape, finer_format, format_stamp, parse_stamp

EXTS = "|".join(re.escape(e) for e in COMPRESS_SUFFIXES)
# `<log>.<N>[<ext>]`: N is ASCII digits, no leading zero (savelog's .0 aside),
# at most 6 of them, so `.007` or `.20261126` are never taken for a count.
NUMBERED = re.compile(rf"(?P<log>.+)\.(?P<n>0|[1-9][0-9]{{0,5}})(?P<ext>{EXTS})?", re.ASCII)
NAME_MAX = 255


@dataclass
class Rotation:
    """One numbered file and the instant its date is taken from."""

    name: str
    log: str  # the live log's name, in the same folder
    number: int
    ext: str
    moment: datetime  # timezone-aware: the last write, or the last timestamp inside
    source: str = "mtime"  # or "content"
    dateformat: str = "-%Y%m%d"
    yesterday: bool = False
    # (st_dev, st_ino, st_mtime_ns, st_size) when scanned. Apply and undo check it:
    # an inode number alone is reused as soon as a file is deleted.
    ident: tuple = ()

    @property
    def stamp_moment(self):
        # logrotate's dateyesterday: the calendar day before (wall clock, not 24 h).
        return self.moment - _ONE_DAY if self.yesterday else self.moment


@dataclass
class Step:
    rot: Rotation
    new: str
    dateformat: Optional[str]  # what `new` is stamped with (upload needs it); None for -N
    note: str = ""


@functools.lru_cache(maxsize=4096)
def _is_stamp(text, dateformat):
    return parse_stamp(text, dateformat) is not None


def classify(name, dateformat_of):
    """A numbered rotation -> (log, number, ext); anything else -> None.

    Already-dateext names win: with dateformat `.%Y`, `app.log.2026` is a
    stamp, not rotation 2026.
    """
    m = NUMBERED.fullmatch(name)
    if not m or m["log"] in (".", ".."):
        return None
    log, ext = m["log"], m["ext"] or ""
    if _is_stamp(name[len(log):len(name) - len(ext)], dateformat_of(log)):
        return None
    return log, int(m["n"]), ext


@functools.lru_cache(maxsize=65536)
def _round_trips(stamp, dateformat):
    parsed = parse_stamp(stamp, dateformat)
    return parsed is not None and format_stamp(parsed, dateformat) == stamp


@functools.lru_cache(maxsize=256)
def _by_day(dateformat):
    return not re.search("%[HMSs]", dateformat)


@functools.lru_cache(maxsize=65536)
def _day_stamp(day, dateformat):
    return format_stamp(datetime(day.year, day.month, day.day), dateformat)


def stamped(rot, dateformat, suffix=""):
    moment = rot.stamp_moment
    # A day-only format depends on the date alone: one strftime per day, not per file.
    stamp = _day_stamp(moment.date(), dateformat) if _by_day(dateformat) else format_stamp(moment, dateformat)
    if not _round_trips(stamp, dateformat):  # a name upload and fetch could not read back
        raise UnsafeInput(f"{escape(rot.name)}: stamp {escape(stamp)} does not parse back with {dateformat}")
    return rot.log + stamp + suffix + rot.ext


_ONE_DAY = timedelta(days=1)


def safe_name(name):
    return (name not in ("", ".", "..") and "/" not in name and "\0" not in name
            and len(os.fsencode(name)) <= NAME_MAX)


_SUFFIXES = frozenset(COMPRESS_SUFFIXES)


def _unit(name):
    """split_compression(name)[0], fast: it runs for every name in the folder."""
    i = name.rfind(".")
    return name[:i] if i > 0 and name[i:] in _SUFFIXES else name


def plan_folder(rotations, existing, on_collision="finer", where=""):
    """Rotations of one folder -> (steps, problems).

    `existing` is every name in the folder. No new name is an existing name
    or another step's, so the plan is injective and its order is free. Names
    are compared by unit (without compression suffix) because upload takes X
    and X.gz for one rotation; only the two forms of one rotation (x.1 and
    x.1.gz) may share a unit.
    """
    existing_units = set(existing)
    existing_units.update(map(_unit, existing))
    taken = set(existing_units)
    steps, problems = [], []

    def here(name):
        return escape(os.path.join(where, name))

    def free(triples):
        if len(triples) == 1:  # nearly every group
            return triples[0][1] not in taken and triples[0][2] not in taken
        owners = defaultdict(set)
        for rot, new, unit in triples:
            if new in taken or unit in taken:
                return False
            owners[unit].add((rot.log, rot.number))
        return all(len(who) == 1 for who in owners.values())

    def claim(triples, fmt_of, note=""):
        for rot, new, unit in triples:
            taken.add(new)
            taken.add(unit)
            steps.append(Step(rot, new, fmt_of(rot), note))

    groups = _by_unit(rotations, problems, here)
    clashing = []
    for unit, triples in groups.items():
        if free(triples):
            claim(triples, _plain)
        else:
            clashing.append(unit)
    for unit in sorted(clashing):  # after every clean name is claimed, so those stay plain
        triples = groups[unit]
        why = (f"{escape(unit)} exists" if unit in existing_units
               else " and ".join(sorted(escape(r.name) for r, _, _ in triples)) + " fall on one date")
        if on_collision != "skip" and all(finer_format(r.dateformat) for r, _, _ in triples):
            finer = [(r, n, _unit(n)) for r, _, _ in triples for n in [stamped(r, finer_format(r.dateformat))]]
            if free(finer):
                claim(finer, lambda r: finer_format(r.dateformat), f"finer stamp: {why}")
                continue
        if on_collision == "suffix":
            claim(_suffixed([r for r, _, _ in triples], taken), lambda r: None, f"suffix: {why}")
            continue
        for rot, _, _ in triples:
            problems.append(Conflict(f"{here(rot.name)} not renamed: {why}",
                                     "nothing was overwritten; see --on-collision"))
    return steps, problems


def _by_unit(rotations, problems, here):
    """unit -> [(rotation, new name, unit)] of the names by plain stamp."""
    groups = defaultdict(list)
    for rot in rotations:
        try:
            new = stamped(rot, rot.dateformat)
        except SwiftrotateError as exc:
            problems.append(exc)
            continue
        # Room for a finer stamp or a -N suffix too, so no later step can fail on length.
        if len(new) > 64 and len(os.fsencode(new)) > NAME_MAX - 16:
            problems.append(UnsafeInput(f"{here(rot.name)}: its dateext name would be too long"))
            continue
        unit = _unit(new)
        groups[unit].append((rot, new, unit))
    return groups


def _plain(rot):
    return rot.dateformat


def _suffixed(rotations, taken):
    """-1, -2, ... oldest first; the two forms of one rotation share a number."""
    forms = defaultdict(list)
    for rot in rotations:
        forms[(rot.moment, -rot.number, rot.log)].append(rot)
    out, i = [], 0
    for key in sorted(forms):
        while True:
            i += 1
            names = [stamped(r, r.dateformat, f"-{i}") for r in forms[key]]
            if not any(n in taken or _unit(n) in taken for n in names):
                break
        out.extend((r, n, _unit(n)) for r, n in zip(forms[key], names))
        taken.update(n for name in names for n in (name, _unit(name)))
    return out


def order_problems(rotations, where=""):
    """`.1` is newer than `.2`. Dates that say otherwise (a copy reset the
    mtimes, say) would put a wrong day on every name: report them."""
    out, prev = [], None  # prev: (log, the oldest file of the previous number)
    key = lambda r: (r.log, r.number)  # noqa: E731
    for (log, _), same in itertools.groupby(sorted(rotations, key=key), key=key):
        same = list(same)
        if len(same) > 1:  # x.1 and x.1.gz: compare the extremes
            same.sort(key=lambda r: r.moment)
        if prev is not None and prev[0] == log and same[-1].moment > prev[1].moment:
            newer, older = prev[1], same[-1]
            out.append(IntegrityError(
                f"{escape(os.path.join(where, newer.name))} ({newer.source} {newer.moment:%Y-%m-%d %H:%M:%S}) "
                f"is older than {escape(older.name)} ({older.source} {older.moment:%Y-%m-%d %H:%M:%S})"))
        prev = (log, same[0])
    return out


@dataclass
class Folder:
    path: str
    dev_ino: tuple
    names: list = field(default_factory=list)
    rotations: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    dateext: int = 0
    steps: list = field(default_factory=list)


def plan(folders, on_collision):
    """Fill each folder's steps; return (problems, order problems)."""
    problems, order = [], []
    for folder in folders:
        folder.steps, found = plan_folder(folder.rotations, folder.names, on_collision, folder.path)
        problems += folder.problems + found
        order += order_problems(folder.rotations, folder.path)
    return problems, order
