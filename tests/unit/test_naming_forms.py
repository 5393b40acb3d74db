"""Stamp forms a key is read with when the config does not know the stanza's
dateformat (naming.reading_formats), and stamps that count seconds (%s)."""
import re
from datetime import datetime

import pytest

from swiftrotate.naming import (_KNOWN_SHAPE, KNOWN_DATEFORMATS, format_stamp, parse_key, parse_stamp,
                                parse_stamp_any, reading_formats, stamp_pattern)

MOMENTS = [datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 12, 31, 23, 59, 59), datetime(2031, 10, 11, 12, 0, 0)]


def test_a_seconds_count_after_the_date_is_the_seconds_not_the_years_digits():
    """Review finding (statuslayout): -%Y%m%d-%s read 2026 as the seconds count, a date in 1970."""
    moment = datetime(2026, 12, 1, 10, 30, 15)
    stamp = format_stamp(moment, "-%Y%m%d-%s")
    assert stamp == f"-20261201-{int(moment.timestamp())}"
    assert parse_stamp(stamp, "-%Y%m%d-%s") == moment
    assert parse_stamp(format_stamp(moment, "-%s"), "-%s") == moment
    assert parse_stamp("-20261201-x", "-%Y%m%d-%s") is None
    assert parse_stamp("-999999999999", "-%s") is None  # the year 33658: no date, no crash


def test_the_configs_forms_come_first_then_the_known_ones():
    formats = reading_formats("-%Y%d%m")
    assert formats[:2] == ("-%Y%d%m", "-%Y%d%m%H%M%S") and "-%Y%m%d" in formats and ".%Y-%m-%d" in formats
    # -20260201 under a config's -%Y%d%m is January 2, though -%Y%m%d would read February 1
    assert parse_stamp_any("-20260201", formats) == (datetime(2026, 1, 2), "-%Y%d%m")
    assert parse_stamp_any("-20261302", formats) == (datetime(2026, 2, 13), "-%Y%d%m")
    assert reading_formats()[0] == KNOWN_DATEFORMATS[0]


@pytest.mark.parametrize("fmt", reading_formats())
def test_no_two_known_forms_read_one_stamp(fmt):
    """Without the stanza, a key's stamp must mean one time: each known form has its own shape."""
    for moment in MOMENTS:
        stamp = format_stamp(moment, fmt)
        readers = [other for other in reading_formats() if parse_stamp(stamp, other) is not None]
        assert readers == [fmt], (stamp, readers)
        assert format_stamp(parse_stamp(stamp, fmt), fmt) == stamp


@pytest.mark.parametrize("key, log, when, fmt", [
    ("web01/var/log/app.log.2026-12-01.gz", "/var/log/app.log", datetime(2026, 12, 1), ".%Y-%m-%d"),
    ("web01/var/log/app.log-2026120110", "/var/log/app.log", datetime(2026, 12, 1, 10), "-%Y%m%d%H"),
    ("web01/var/log/app-2026.log_2026_12_01-1030", "/var/log/app-2026.log", datetime(2026, 12, 1, 10, 30),
     "_%Y_%m_%d-%H%M"),
])
def test_a_key_in_a_stanzas_form_is_read_without_it(key, log, when, fmt):
    parts = parse_key(key, "{host}/{path}{stamp}{ext}", reading_formats("-%Y%m%d"))
    assert (parts.log, parts.when, parts.format) == (log, when, fmt)


def test_one_shape_matches_exactly_the_stamps_of_the_known_forms():
    """parse_key reads the known forms with one pattern, not 84 alternatives: same keys, same reading."""
    shape = re.compile(_KNOWN_SHAPE, re.ASCII)
    union = re.compile("|".join(f"(?:{stamp_pattern(f)})" for f in reading_formats()), re.ASCII)
    samples = [format_stamp(m, f) for f in reading_formats() for m in MOMENTS]
    samples += ["-2026-12.01", ".2026120", "-20261201-1", "-20261201-123", "_2026_12_01--10", "-20261201--"]
    for stamp in samples:
        assert bool(shape.fullmatch(stamp)) == bool(union.fullmatch(stamp)), stamp


def test_a_known_form_reads_no_year_before_1970():
    """-%Y%m%d-%s written by a stanza, read without it: the shortest log name
    whose tail a known form reads would be `app.log-20261129`, stamped 1796."""
    formats = reading_formats("-%Y%m%d")
    assert parse_key("h/var/log/app.log-20261129-1796010112", "{host}/{path}{stamp}{ext}", formats) is None
    parts = parse_key("h/var/log/app.log-2026112912", "{host}/{path}{stamp}{ext}", formats)
    assert parts.log == "/var/log/app.log" and parts.when == datetime(2026, 11, 29, 12)
    # a form only the config gives is taken at its word
    assert parse_stamp_any("-01011800", reading_formats("-%d%m%Y"))[0] == datetime(1800, 1, 1)
