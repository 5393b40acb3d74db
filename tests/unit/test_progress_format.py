"""The fetch progress line: sizes, rate and ETA a person reads (cli/output.py)."""
from swiftrotate.cli.output import human_size, progress_line

MIB = 1024 * 1024


def test_human_sizes():
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(40 * MIB) == "40.0 MiB"
    assert human_size(3 * 1024 * MIB) == "3.0 GiB"
    assert human_size(5 * 1024 ** 4) == "5.0 TiB"


def test_progress_line_has_bytes_percent_rate_and_eta():
    line = progress_line(10 * MIB, 40 * MIB, elapsed=5.0, files=(1, 3))
    assert line == "1/3 file(s)  10.0 MiB / 40.0 MiB   25%  2.0 MiB/s  ETA 0:15"


def test_progress_line_before_any_byte_and_for_long_waits():
    assert progress_line(0, 40 * MIB, elapsed=0.0, files=(0, 3)).endswith("0 B/s  ETA --:--")
    slow = progress_line(1 * MIB, 10 * 1024 * MIB, elapsed=10.0, files=(0, 1))
    assert slow.endswith("ETA 28:26:30")
    assert progress_line(0, 0, elapsed=1.0, files=(0, 0)).startswith("0/0 file(s)  0 B / 0 B  100%")
