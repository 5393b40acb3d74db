"""Finding rotations from what logrotate passes, on a real folder."""
import fnmatch

import pytest

from swiftrotate import discover
from swiftrotate.errors import UsageError


def test_split_patterns_takes_sharedscripts_text():
    assert discover.split_patterns(['/var/log/a.log "/var/log/b c.log" ', "/x.log"]) == \
        ["/var/log/a.log", "/var/log/b c.log", "/x.log"]


def test_find_takes_every_dateext_sibling_and_nothing_else(tmp_path):
    for name in ("app.log", "app.log-20261101", "app.log-20261102.gz", "app.log.1", "app.log-2026110",
                 "app.log-20261103.gz.tmp", "other.log-20261101"):
        (tmp_path / name).write_text("x")
    found = discover.find(str(tmp_path / "app.log"), "-%Y%m%d")
    assert [(c.path.rsplit("/", 1)[1], c.stamp, c.ext) for c in found] == [
        ("app.log-20261101", "-20261101", ""), ("app.log-20261102.gz", "-20261102", ".gz")]
    assert {c.live for c in found} == {str(tmp_path / "app.log")}


def test_find_also_looks_in_olddir_and_through_globs(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "a.log-20261101").write_text("x")
    (tmp_path / "b.log-20261101").write_text("x")
    assert [c.live for c in discover.find(str(tmp_path / "a.log"), "-%Y%m%d", str(old))] == [str(tmp_path / "a.log")]
    assert {c.live.rsplit("/", 1)[1] for c in discover.find(str(tmp_path / "*.log"), "-%Y%m%d", str(old))} == \
        {"a.log", "b.log"}


def test_a_rotated_file_argument_means_its_live_log(tmp_path):
    layouts = [("-%Y%m%d", None, "")]
    assert discover.rotated_arg_to_live(str(tmp_path / "app.log-20261101.gz"), layouts) == str(tmp_path / "app.log")
    assert discover.rotated_arg_to_live(str(tmp_path / "app.log"), layouts) == str(tmp_path / "app.log")
    # logrotate's extension: $2 is app-20261101.log
    assert discover.rotated_arg_to_live(str(tmp_path / "old" / "app-20261101.log"), [("-%Y%m%d", "old", ".log")]) \
        == str(tmp_path / "app.log")


def test_a_rotated_file_in_an_absolute_olddir_has_no_known_live_log(tmp_path):
    with pytest.raises(UsageError, match="absolute olddir"):
        discover.rotated_arg_to_live(str(tmp_path / "old" / "app.log-20261101"),
                                     [("-%Y%m%d", str(tmp_path / "old"), "")])


def test_near_misses_are_dated_names_of_another_format(tmp_path):
    (tmp_path / "app.log-2026-11-01").write_text("x")
    (tmp_path / "app.log-20261102").write_text("x")
    matched = {c.path for c in discover.find(str(tmp_path / "app.log"), "-%Y%m%d")}
    misses = discover.near_misses(str(tmp_path / "app.log"), [None], matched)
    assert [m[0].rsplit("/", 1)[1] for m in misses] == ["app.log-2026-11-01"]


def test_under_extension_each_log_is_found_in_its_own_form(tmp_path):
    """logrotate's `extension .log` moves .log after the stamp for app.log only: app.txt in the
    same stanza keeps app.txt<stamp>; a wrong dateformat before .log is still a near miss."""
    for name in ("app-20261102.log.gz", "app-20261103.log", "app.txt-20261102", "app-2026-11-04.log", "app.log"):
        (tmp_path / name).write_text("x")
    found = discover.find(str(tmp_path / "app.*"), "-%Y%m%d", None, ".log")
    assert [(c.path.rsplit("/", 1)[1], c.live.rsplit("/", 1)[1], c.stamp, c.ext) for c in found] == [
        ("app-20261102.log.gz", "app.log", "-20261102", ".gz"), ("app-20261103.log", "app.log", "-20261103", ""),
        ("app.txt-20261102", "app.txt", "-20261102", "")]
    assert discover.find(str(tmp_path / "app.log"), "-%Y%m%d") == []  # without extension: none of them
    misses = discover.near_misses(str(tmp_path / "app.log"), [None], {c.path for c in found}, [".log"])
    assert misses == [(str(tmp_path / "app-2026-11-04.log"), str(tmp_path / "app.log"))]


def test_rotated_globs_cover_the_extension_form():
    """A retired log's archived rotations (the ledger's paths) keep a pattern that names nothing
    from being a typo: under extension .log they are app<stamp>.log[.gz]."""
    globs = discover.rotated_globs("/v/app.log", [("-%Y%m%d", None, ".log"), ("-%Y%m%d", "old", "")])
    for path in ("/v/app-20261102.log", "/v/app-20261102.log.gz", "/v/app.log-20261102", "/v/old/app.log-20261102"):
        assert any(fnmatch.fnmatchcase(path, g) for g in globs), (path, globs)
    assert not any(fnmatch.fnmatchcase("/v/old/app-20261102.log", g) for g in globs)  # no extension there
    assert not any(fnmatch.fnmatchcase("/v/web-20261102.log", g) for g in globs)
