"""Pure date handling for fetch: parse what an investigator types, and map
the days whose lines they want onto the stamps of the files that hold them.

Must not: read files or the store.
"""
import re
from datetime import date, datetime, timedelta

from .errors import UsageError
from .naming import escape

RELATIVE = re.compile(r"([0-9]+)\s*([dw])", re.ASCII)


def parse_day(text, today):
    """'2026-11-03', 'Nov 3 2026', '2026/11/03', '7d', '2w', 'yesterday', 'today' -> date."""
    t = text.strip().lower()
    if t == "today":
        return today
    if t == "yesterday":
        return today - timedelta(days=1)
    m = RELATIVE.fullmatch(t)
    if m:
        n = int(m.group(1))
        return today - timedelta(days=n * (7 if m.group(2) == "w" else 1))
    from dateutil import parser

    try:
        # default= fills what the text leaves out (the year, in 'Nov 3')
        return parser.parse(text, default=datetime(today.year, 1, 1)).date()
    except (ValueError, OverflowError):
        raise UsageError(f"cannot read the date {text!r}",
                         "use 2026-11-03, 'Nov 3 2026', 2026/11/03, 7d, 2w, yesterday or today") from None


def stamp_window(first, last, dateyesterday=False, by_stamp=False):
    """Content days [first, last] -> [start, end) datetimes of the stamps to fetch.

    Without dateyesterday logrotate stamps a file with its rotation moment, so
    the lines of day D sit mostly in the file stamped D+1: the window is
    widened by a day. With dateyesterday (or --by-stamp) stamps are the days.
    """
    if last < first:
        raise UsageError(f"--until {last} is before --since {first}")
    start = datetime.combine(first, datetime.min.time())
    end = datetime.combine(last + timedelta(days=1), datetime.min.time())
    if not (dateyesterday or by_stamp):
        end += timedelta(days=1)
    return start, end


def predecessor(text):
    """A string just below `text` among keys that continue it with a stamp
    suffix, for exclusive list markers (Swift marker, S3 StartAfter)."""
    if not text:
        return None
    return text[:-1] + chr(ord(text[-1]) - 1) + "\x7e"


def today_in(tz):
    from datetime import timezone

    if tz is None:
        return datetime.now().date()
    return datetime.now(timezone.utc).astimezone(tz).date()


def zone(name):
    """--tz: an IANA zone, or None for the local one."""
    if not name or name == "local":
        return None
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (ValueError, OSError, LookupError):  # ZoneInfoNotFoundError is a KeyError
        raise UsageError(f"--tz {escape(name)}: no such time zone", "use an IANA name, e.g. UTC or Europe/Paris") \
            from None


def as_date(value):
    return value if isinstance(value, date) else value.date()
