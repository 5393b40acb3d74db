"""verify --since: the day an archive's key is stamped with, read back with
the dateformat of the log it belongs to ([log GLOB] sections first)."""
from datetime import date

from swiftrotate.commands.verify.check import in_range, stamp_day

GENERAL = (None, "-%Y%m%d")


def test_the_stamp_at_the_end_of_a_key_with_or_without_compression():
    assert stamp_day("web01/var/log/app.log-20261101", [GENERAL]) == date(2026, 11, 1)
    assert stamp_day("web01/var/log/app.log-20261101.gz", [GENERAL]) == date(2026, 11, 1)
    # a log whose own name holds digits: the stamp is the one at the end
    assert stamp_day("web01/var/log/app-20250101.log-20261102.zst", [GENERAL]) == date(2026, 11, 2)
    assert stamp_day("web01/var/log/app.log-20261301", [GENERAL]) is None  # month 13
    assert stamp_day("web01/var/log/app.log.1", [GENERAL]) is None


def test_a_sections_dateformat_only_for_the_logs_its_glob_matches():
    hourly = ("/var/log/hourly/*.log", "-%Y%m%d%H")
    layouts = [hourly, GENERAL]
    assert stamp_day("web01/var/log/hourly/a.log-2026110723", layouts) == date(2026, 11, 7)
    # the same digits under another log are read by the general format, or not at all
    assert stamp_day("web01/var/log/other/a.log-2026110723", layouts) is None
    assert stamp_day("web01/var/log/other/a.log-20261107", layouts) == date(2026, 11, 7)
    dotted = ("/srv/app/*.log", ".%Y-%m-%d")
    assert stamp_day("prod/web01/srv/app/x.log.2026-11-05.gz", [dotted, GENERAL]) == date(2026, 11, 5)


def test_since_keeps_later_stamps_and_what_no_dateformat_reads():
    rows = [{"key": k} for k in ("h/a.log-20261031", "h/a.log-20261101", "h/a.log-20261102.gz", "h/a.log.7")]
    kept = [r["key"] for r in rows if in_range(r, date(2026, 11, 1), [GENERAL])]
    assert kept == ["h/a.log-20261101", "h/a.log-20261102.gz", "h/a.log.7"]
    assert all(in_range(r, None, [GENERAL]) for r in rows)
