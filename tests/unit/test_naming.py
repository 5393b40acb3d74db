"""Pure naming rules: stamps, suffixes, keys. No I/O, so properties are cheap."""
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swiftrotate.naming import (
    format_stamp, match_rotated, parse_stamp, parse_stamp_any, split_compression, stamp_formats, stamp_pattern,
    unit_id, validate_key,
)

FORMATS = ["-%Y%m%d", "-%Y%m%d%H", "-%Y-%m-%d", ".%Y%m%d-%H%M%S"]
moments = st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2999, 12, 31)).map(
    lambda d: d.replace(microsecond=0))


@given(moments, st.sampled_from(FORMATS))
def test_parse_of_format_is_identity_at_the_format_resolution(moment, fmt):
    stamp = format_stamp(moment, fmt)
    parsed = parse_stamp(stamp, fmt)
    assert format_stamp(parsed, fmt) == stamp


@given(moments)
def test_stamps_sort_like_dates(moment):
    later = moment + timedelta(days=1)
    assert format_stamp(moment) < format_stamp(later)


def test_stamp_formats_are_the_dateformat_and_the_finer_form_rename_gives():
    assert stamp_formats("-%Y%m%d") == ("-%Y%m%d", "-%Y%m%d%H%M%S")
    assert stamp_formats("-%Y%m%d%H") == ("-%Y%m%d%H", "-%Y%m%d%H%M%S")
    assert stamp_formats("-%Y%m%d%H%M%S") == ("-%Y%m%d%H%M%S",)
    assert stamp_formats("-%s") == ("-%s",)


@given(moments, st.sampled_from(FORMATS))
def test_each_stamp_form_parses_under_its_own_format_only(moment, fmt):
    """A log's two forms never read each other's stamps: the time to the
    second comes back from the finer one, the format's own from the other."""
    formats = stamp_formats(fmt)
    for own in formats:
        stamp = format_stamp(moment, own)
        when, which = parse_stamp_any(stamp, formats)
        assert which == own and format_stamp(when, own) == stamp
        assert [f for f in formats if parse_stamp(stamp, f) is not None] == [own]
    assert parse_stamp_any("-2026-11", formats) == (None, None)


@pytest.mark.parametrize("stamp", ["-2026112", "-202611260", "-2026-1126", "-٢٠٢٦١١٢٦", "-20261326", "-20261131",
                                   "20261126", "-2026112６"])
def test_bad_stamps_are_refused(stamp):
    assert parse_stamp(stamp) is None


def test_match_rotated():
    assert match_rotated("access.log-20261126.gz", "access.log") == ("-20261126", ".gz")
    assert match_rotated("access.log-20261126", "access.log") == ("-20261126", "")
    assert match_rotated("access.log", "access.log") is None
    assert match_rotated("access.log.1", "access.log") is None
    assert match_rotated("access.log-20261126.tmp", "access.log") is None


@pytest.mark.parametrize("fmt", ["%Q", "-%", "no-spec", "-%Y/%m"])
def test_bad_dateformats_raise(fmt):
    with pytest.raises(ValueError):
        stamp_pattern(fmt)


def test_default_key_layout_and_twin_identity():
    from swiftrotate.naming import build_key
    from swiftrotate.config import GENERAL

    key = build_key(GENERAL["key_template"], "web01", "/var/log/nginx/access.log", "-20261126", ".gz")
    assert key == "web01/var/log/nginx/access.log-20261126.gz"
    assert unit_id(key) == unit_id("web01/var/log/nginx/access.log-20261126")
    assert split_compression("x.log-20261126.zst") == ("x.log-20261126", ".zst")


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "..", "a/..", "./a", "a\\b", "a\x00b", "a\nb",
                                 "a\x1b[31mb", "x" * 1025])
def test_unsafe_keys_are_refused(key):
    with pytest.raises(ValueError):
        validate_key(key)


@given(st.text(min_size=1, max_size=60))
def test_valid_keys_never_escape_a_folder(text):
    import os

    try:
        validate_key(text)
    except ValueError:
        return
    joined = os.path.normpath(os.path.join("/dest", text))
    assert joined.startswith("/dest/")


def test_parse_key_reads_host_log_stamp_and_time_in_any_stamp_form():
    from swiftrotate.naming import parse_key

    formats = stamp_formats("-%Y%m%d")
    template = "{host}/{path}{stamp}{ext}"
    got = parse_key("web01/var/log/kern.log-20261127130000.gz", template, formats)
    assert (got.host, got.log, got.stamp, got.ext, got.when, got.format) == (
        "web01", "/var/log/kern.log", "-20261127130000", ".gz", datetime(2026, 11, 27, 13), "-%Y%m%d%H%M%S")
    # the stamp is the last one: a log named like a date keeps its name
    assert parse_key("h/a-20261126.log-20261127", template, formats).log == "/a-20261126.log"
    for key in ("h/var/log/x.log", "h/var/log/x.log-20261327", "h/x.log-20261126.tmp", "x.log-20261126"):
        assert parse_key(key, template, formats) is None, key
    other = parse_key("logs/var/log/x.log/web01-20261126", "logs/{path}/{host}{stamp}{ext}", formats)
    assert (other.host, other.log) == ("web01", "/var/log/x.log")


def test_glob_match_is_folder_by_folder():
    from swiftrotate.naming import glob_match

    assert glob_match("/var/log/nginx/access.log", "/var/log/nginx/*.log")
    assert not glob_match("/var/log/nginx/sub/access.log", "/var/log/nginx/*.log")
    assert glob_match("/var/log/nginx/sub/a.log", "/var/log/*/*/a.log")
