"""`status --nagios`: the Monitoring Plugins development guidelines
(https://www.monitoring-plugins.org/doc/guidelines.html), for Nagios,
Icinga, Naemon and Sensu.

One line, `SWIFTROTATE <STATE> - <text> | <perfdata>`, exit 0 OK, 1
WARNING, 2 CRITICAL, 3 UNKNOWN. -w/-c take the guidelines' ranges
([@]start:end, ~ for minus infinity, start defaulting to 0); a value
outside the range (inside, with @) alerts. Perfdata is
'label'=value[UOM];warn;crit;min;max with s, % and B units.

Owns: parsing ranges, the state, the line. Must not: gather the survey, print.
"""
import math
import re
from dataclasses import dataclass

from .errors import UsageError
from .naming import escape

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"
_RANGE = re.compile(rf"(?P<inside>@)?(?:(?P<start>{_NUMBER}|~):)?(?P<end>{_NUMBER})?", re.ASCII)


@dataclass(frozen=True)
class Range:
    text: str
    start: float
    end: float
    inside: bool

    def alerts(self, value):
        outside = value < self.start or value > self.end
        return not outside if self.inside else outside


def parse_range(text):
    """A guidelines range: '10', '10:', '~:10', '10:20', '@10:20'."""
    m = _RANGE.fullmatch(text.strip())
    if not text.strip() or not m or (m.group("start") is None and m.group("end") is None):
        raise UsageError(f"threshold {text!r} is not a range like 10, 10:, ~:10, 10:20 or @10:20",
                         "see the Monitoring Plugins guidelines, 'Threshold and ranges'")
    start = m.group("start")
    start = -math.inf if start == "~" else float(start) if start is not None else 0.0
    end = float(m.group("end")) if m.group("end") is not None else math.inf
    if start > end:
        raise UsageError(f"threshold {text!r}: its start is above its end")
    return Range(text.strip(), start, end, bool(m.group("inside")))


def parse_pair(text, defaults):
    """'AGE,SPOOL' (either may be empty: its default) -> (Range, Range)."""
    parts = (text or "").split(",") if text else []
    if len(parts) > 2:
        raise UsageError(f"threshold {text!r} has more than two ranges",
                         "give AGE_SECONDS,SPOOL_PERCENT, e.g. -w 86400,80 -c 172800,95")
    parts += [""] * (2 - len(parts))
    return tuple(parse_range(part if part.strip() else default) for part, default in zip(parts, defaults))


def _number(value):
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}".rstrip("0")


def check(survey, warn, crit, others):
    """(state, line) for a health.Survey; warn and crit: (age Range, spool Range);
    others: [(log, reason)] that are a WARNING whatever the ranges (health.other_problems)."""
    now = survey.taken_at
    age = max((h.oldest_age(now) for h in survey.logs), default=0.0)
    spool = survey.spool_percent
    state = OK
    for value, w, c in ((age, warn[0], crit[0]), (spool, warn[1], crit[1])):
        state = max(state, CRITICAL if c.alerts(value) else WARNING if w.alerts(value) else OK)
    if others:
        state = max(state, WARNING)
    pending = sum(len(h.pending) for h in survey.logs)
    text = (f"{len(survey.logs)} log(s), {pending} file(s) pending"
            + (f", oldest {age / 3600:.1f}h" if pending else "") + f", spool {spool:.0f}% of {survey.spool_cap} bytes")
    if others:
        text += "; " + "; ".join(f"{escape(log)}: {why}" for log, why in others[:3]) + (", ..." if len(others) > 3 else "")
    perf = [
        f"'oldest_pending_age'={_number(age)}s;{warn[0].text};{crit[0].text};0;",
        f"'spool_used'={_number(spool)}%;{warn[1].text};{crit[1].text};0;100",
        f"'pending_files'={pending};;;0;",
        f"'pending_bytes'={sum(w.size for h in survey.logs for w in h.pending)}B;;;0;",
        f"'spool_bytes'={survey.spool_bytes}B;;;0;{survey.spool_cap}",
        f"'conflicts'={sum(h.last_run['conflict_files'] for h in survey.logs if h.last_run)};;;0;",
        f"'failed_logs'={sum(1 for h in survey.logs if h.last_run and h.last_run['exit_code'])};;;0;",
    ]
    return state, f"SWIFTROTATE {STATES[state]} - {_clean(text)} | {' '.join(perf)}"


def unknown(reason):
    """The line for a check that could not be made."""
    return UNKNOWN, f"SWIFTROTATE UNKNOWN - {_clean(reason)}"


def _clean(text):
    # '|' would start the perfdata; a newline, a second line Nagios files as long output
    return " ".join(str(text).replace("|", "/").split())
