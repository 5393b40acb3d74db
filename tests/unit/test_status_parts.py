"""Pure parts of status: durations, percentages, Nagios ranges, Prometheus labels."""
import math

import pytest

from swiftrotate.errors import ConfigError, UsageError
from swiftrotate.health import duration, percent
from swiftrotate.metrics import label, number
from swiftrotate.nagios import parse_pair, parse_range


@pytest.mark.parametrize("text, seconds", [("90", 90), ("90s", 90), ("15m", 900), ("36h", 129600), ("2d", 172800),
                                           ("1w", 604800), ("1.5d", 129600)])
def test_durations(text, seconds):
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "2 days", "-1d", "1y", "d"])
def test_bad_durations_are_config_errors_naming_the_setting(text):
    with pytest.raises(ConfigError, match="warn_pending_age"):
        duration(text, "warn_pending_age")


def test_percent():
    assert percent("80%") == percent("80") == 80.0
    with pytest.raises(ConfigError):
        percent("most")


@pytest.mark.parametrize("text, start, end, inside", [("10", 0, 10, False), ("10:", 10, math.inf, False),
                                                      ("~:10", -math.inf, 10, False), ("10:20", 10, 20, False),
                                                      ("@10:20", 10, 20, True)])
def test_ranges(text, start, end, inside):
    r = parse_range(text)
    assert (r.start, r.end, r.inside) == (start, end, inside)


@pytest.mark.parametrize("text", ["", "a", "1:2:3", "20:10", "@", "10,20"])
def test_bad_ranges_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_range(text)


def test_pair_defaults_each_part():
    warn = parse_pair(",50", ("86400", "80"))
    assert (warn[0].text, warn[1].text) == ("86400", "50")
    assert [r.text for r in parse_pair(None, ("1", "2"))] == ["1", "2"]
    with pytest.raises(UsageError):
        parse_pair("1,2,3", ("1", "2"))


def test_prometheus_label_escaping_and_numbers():
    assert label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert number(3.0) == "3" and number(7) == "7" and number(1.25) == "1.25"
