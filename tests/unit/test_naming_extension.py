"""logrotate's `extension EXT` in the pure naming rules: logrotate 3.21 (run for real in
tests/integration/test_logrotate_extension.py) rotates app.log under `extension .log` to
app-20261102.log, app-20261102.log.gz, app.2026-11-02.log.gz; app.txt in the same stanza to
app.txt-20261102. Every form must read back to the live log, its stamp and its compression."""
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from swiftrotate.naming import (
    COMPRESS_SUFFIXES, build_key, format_stamp, live_name, match_rotated, parse_key, rotated_name, rotated_regex,
    split_extension, stamp_formats,
)

FORMATS = ["-%Y%m%d", "-%Y%m%d%H", ".%Y-%m-%d", "_%Y%m%d-%H%M%S"]
moments = st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2999, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
names = st.sampled_from(["app.log", "my.app.log", "a.log", "app.txt", "access_log", "x.log.log", "l\u00e9.log"])


def test_split_extension_as_logrotate_does():
    assert split_extension("app.log", ".log") == ("app", ".log")
    assert split_extension("app.txt", ".log") == ("app.txt", "")  # not its extension: a plain rotation
    assert split_extension(".log", ".log") == (".log", "")  # nothing would be left of the name
    assert split_extension("app.log", "") == ("app.log", "")
    assert split_extension("app.log", None) == ("app.log", "")


def test_logrotates_own_names():
    assert rotated_name("app.log", "-20261102", "", ".log") == "app-20261102.log"
    assert rotated_name("app.log", "-20261102", ".gz", ".log") == "app-20261102.log.gz"
    assert rotated_name("app.log", ".2026-11-02", ".gz", ".log") == "app.2026-11-02.log.gz"
    assert rotated_name("app.txt", "-20261102", "", ".log") == "app.txt-20261102"
    assert rotated_name("app.log", "-20261102", ".gz") == "app.log-20261102.gz"


@given(moments, st.sampled_from(FORMATS), names, st.sampled_from(("",) + COMPRESS_SUFFIXES),
       st.sampled_from(["", ".log", ".txt"]))
def test_every_rotated_name_reads_back_to_its_log_stamp_and_compression(moment, fmt, live, ext, extension):
    stamp = format_stamp(moment, fmt)
    name = rotated_name(live, stamp, ext, extension)
    assert match_rotated(name, live, fmt, extension) == (stamp, ext)
    m = rotated_regex(fmt, extension).fullmatch(name)
    assert m and (live_name(m), m["stamp"], m["ext"] or "") == (live, stamp, ext)


def test_under_extension_the_plain_form_still_counts():
    """Rotations made before the stanza said extension keep LIVE<stamp>."""
    assert match_rotated("app.log-20261101.gz", "app.log", "-%Y%m%d", ".log") == ("-20261101", ".gz")
    m = rotated_regex("-%Y%m%d", ".log").fullmatch("app.log-20261101.gz")
    assert live_name(m) == "app.log" and m["stamp"] == "-20261101"


@pytest.mark.parametrize("name, live", [
    ("app-20261102.txt", "app.log"),  # another extension
    ("app-20261302.log", "app.log"),  # month 13
    ("app-2026110.log", "app.log"),
    ("apx-20261102.log", "app.log"),
    ("app-20261102.log.1", "app.log"),
    ("app-20261102.log", "app.txt"),
])
def test_what_is_not_a_rotation_under_extension(name, live):
    assert match_rotated(name, live, "-%Y%m%d", ".log") is None


def test_without_extension_the_stamp_inside_the_name_is_not_read():
    """The default stays as before: nothing reads app-20261102.log as a rotation of app.log."""
    assert match_rotated("app-20261102.log", "app.log", "-%Y%m%d") is None
    assert rotated_regex("-%Y%m%d").fullmatch("app-20261102.log") is None


def test_a_rotation_of_a_rotation_reads_as_one_of_the_rotated_file():
    """A *.log glob also matches app-20261102.log, and logrotate rotates it again."""
    m = rotated_regex("-%Y%m%d", ".log").fullmatch("app-20261102-20261104.log")
    assert (live_name(m), m["stamp"]) == ("app-20261102.log", "-20261104")


def test_the_key_is_the_logs_own_so_fetch_and_ls_read_it():
    """An extension rotation is archived as HOST/LOG<stamp><ext>, like any other: the key is read
    back by the template fetch and ls use, under the live log's path."""
    template = "{host}/{path}{stamp}{ext}"
    stamp, ext = match_rotated("app-20261102.log.gz", "app.log", "-%Y%m%d", ".log")
    key = build_key(template, "web01", "/var/log/app.log", stamp, ext)
    assert key == "web01/var/log/app.log-20261102.gz"
    parts = parse_key(key, template, stamp_formats("-%Y%m%d"))
    assert (parts.log, parts.stamp, parts.ext, parts.when) == ("/var/log/app.log", "-20261102", ".gz",
                                                               datetime(2026, 11, 2))
