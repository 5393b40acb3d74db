"""`swiftrotate rename`: when each numbered file was written, from its
mtime or (--date-from content) from the last timestamp inside it.

Content is read as a tail, through the decompressors for .gz and the like;
a line's stamp is located by ASCII regexes and parsed by python-dateutil
(imported only when content is read).

Must not: rename anything.
"""
import os
import re
import stat
from datetime import datetime, timedelta

from ...errors import IntegrityError, LocalIOError, UnsafeInput
from ...codecs import decompress_errors, decompressor
from ...naming import escape
from .plan import Rotation


def dated(fd, folder, entry, kind, log_settings, opts):
    """A scanned entry of a numbered name -> its Rotation, dated; None if gone or a folder."""
    path = folder + "/" + entry.name  # only for messages
    try:
        st = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return None  # gone since the listing: nothing left to rename
    except OSError as exc:
        raise LocalIOError(f"{escape(path)}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeInput(f"refusing symlink {escape(path)}: not followed, not renamed")
    if stat.S_ISDIR(st.st_mode):
        return None  # a folder named like a rotation is not one
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeInput(f"refusing {escape(path)}: not a regular file")
    if st.st_nlink > 1:
        # Most likely a link-then-unlink rename cut short; renaming it again
        # would leave a third name, and upload would archive the file twice.
        raise UnsafeInput(f"refusing {escape(path)}: it has {st.st_nlink} hard links",
                          "an interrupted run? undo it with rename --undo JOURNAL, or remove the extra name")
    written = datetime.fromtimestamp(st.st_mtime, opts.zone)
    written = written if opts.zone else written.astimezone()
    moment, source = written, "mtime"
    if opts.date_from == "content":
        moment, source = last_timestamp(fd, entry.name, kind[2], st, written, opts.zone, path), "content"
    return Rotation(entry.name, kind[0], kind[1], kind[2], moment, source, log_settings[0], log_settings[1],
                    (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size))


# ------------------------------------------------ --date-from content ---

TAIL = 64 * 1024
_CLF = re.compile(r"\[([0-9]{2})/([A-Z][a-z]{2})/([0-9]{4}):([0-9]{2}:[0-9]{2}:[0-9]{2}) ([+-][0-9]{4})\]", re.ASCII)
_APACHE = re.compile(r"\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([0-9]{2}) ([0-9:]{8})(?:\.[0-9]+)? ([0-9]{4})\]", re.ASCII)
_SYSLOG = re.compile(r"(?:<[0-9]{1,3}>)?([A-Z][a-z]{2}) +([0-9]{1,2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(?![0-9])", re.ASCII)
# At the start of the line, after at most a syslog <PRI>, a bracket, or one
# "Key: " (apt's Start-Date:): a date quoted later in a message is not the line's.
_ISO = re.compile(r"(?:<[0-9]{1,3}>[0-9]? ?|\[|[A-Za-z][A-Za-z-]{0,20}: +)?"
                  r"([0-9]{4})[-/]([0-9]{2})[-/]([0-9]{2})(?:T| +)([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)"
                  r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?(?![0-9])", re.ASCII)


def _aware(moment, zone):
    if moment.tzinfo is None:  # the log wrote local time: the zone the day is taken in
        moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
    return moment.astimezone(zone) if zone else moment.astimezone()


def line_time(line, zone, written):
    """The timestamp a log line starts with, timezone-aware, or None.

    Where the stamp sits is found with ASCII regexes (so a date quoted in a
    message is not taken); python-dateutil parses it. Syslog has no year: the
    latest year that does not put the line after the file's last write.
    """
    from dateutil import parser

    head = line[:200]
    try:
        if m := _CLF.search(head):
            return _aware(parser.parse(f"{m[1]} {m[2]} {m[3]} {m[4]} {m[5]}"), zone)
        if m := _APACHE.match(head):
            return _aware(parser.parse(f"{m[1]} {m[2]} {m[4]} {m[3]}"), zone)
        if m := _SYSLOG.match(head):
            for year in range(written.year, written.year - 8, -1):
                try:
                    moment = _aware(parser.parse(f"{m[1]} {m[2]} {m[3]}", default=datetime(year, 1, 1)), zone)
                except ValueError:  # Feb 29 in a common year
                    continue
                if moment <= written + timedelta(days=1):
                    return moment
            return None
        if m := _ISO.match(head):
            return _aware(parser.parse(f"{m[1]}-{m[2]}-{m[3]}T{m[4].replace(',', '.')}{m[5] or ''}"), zone)
    except (ValueError, OverflowError):
        return None  # month 13, 25 o'clock: not a timestamp after all
    return None


def last_timestamp(fd, name, ext, st, written, zone, path):
    data, cut = _tail(fd, name, ext, st, path)
    lines = data.split(b"\n")[1 if cut else 0:]  # a cut first line may start mid-message
    for raw in reversed(lines):
        if raw.strip():
            moment = line_time(raw[:200].decode("utf-8", "replace"), zone, written)
            if moment is not None:
                return moment
    raise IntegrityError(f"{escape(path)}: no syslog, ISO 8601 or common-log timestamp in its last "
                         f"{TAIL // 1024} KiB", "date it by --date-from mtime, or --exclude it")


def _tail(fd, name, ext, st, path):
    """The last TAIL bytes (decompressed), and whether anything came before."""
    opener = decompressor(ext) if ext else None
    if ext and opener is None:
        raise IntegrityError(f"{escape(path)}: cannot read {ext} content here",
                             "date such files by --date-from mtime")
    try:
        raw = open(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=fd), "rb")
    except OSError as exc:
        raise LocalIOError(f"cannot read {escape(path)}: {exc.strerror}") from None
    with raw:
        now = os.fstat(raw.fileno())
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise UnsafeInput(f"{escape(path)} was replaced while being read")
        if not ext:
            raw.seek(max(0, now.st_size - TAIL))
            return raw.read(TAIL), now.st_size > TAIL
        tail, total = b"", 0
        try:
            with opener(raw) as stream:  # no seeking in a compressed stream: keep the last window
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    tail = (tail + chunk)[-TAIL:]
        except decompress_errors() as exc:
            raise IntegrityError(f"{escape(path)}: cannot decompress: {exc}") from None
        return tail, total > TAIL
