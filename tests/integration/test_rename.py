"""`swiftrotate rename`: numbered rotations to dateext names, never overwriting.

Properties of the pure plan first (hypothesis), then the real command in a
subprocess over folders laid out like /var/log: corpus, collisions, order
sanity, undo, symlinks, the migration script, and rename -> upload -> ls.
"""
import bz2
import gzip
import hashlib
import json
import lzma
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tests.support.clirun import run_cli, write_config
from swiftrotate.commands.rename import apply as rename_apply
from swiftrotate.commands.rename import plan as renamer
from swiftrotate.naming import format_stamp, match_rotated, parse_stamp, split_compression
from swiftrotate.commands.rename.dates import line_time
from swiftrotate.commands.rename.plan import Rotation, classify, finer_format, plan_folder

UTC = timezone.utc
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "migrate-to-dateext"
FORMATS = ["-%Y%m%d", "-%Y-%m-%d", ".%Y%m%d", "-%Y%m%d%H", "-%s"]


def at(text):
    """'2026-11-26 06:25:00' -> an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ------------------------------------------------------------ pure plan ---

moments = st.datetimes(min_value=datetime(1980, 1, 2), max_value=datetime(2200, 12, 30)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC))


@given(moments, st.sampled_from(FORMATS), st.booleans())
def test_parse_of_format_is_the_stamp_for_every_name_made(moment, fmt, yesterday):
    for f in filter(None, [fmt, finer_format(fmt)]):
        rot = Rotation("x.log.1", "x.log", 1, ".gz", moment, dateformat=f, yesterday=yesterday)
        name = renamer.stamped(rot, f)
        stamp = split_compression(name)[0][len("x.log"):]
        parsed = parse_stamp(stamp, f)
        assert parsed is not None and format_stamp(parsed, f) == stamp
        day = (moment - timedelta(days=1) if yesterday else moment).date()
        assert f == "-%s" or parsed.date() == day


def test_finer_format():
    assert finer_format("-%Y%m%d") == "-%Y%m%d%H%M%S"
    assert finer_format("-%Y%m%d%H") == "-%Y%m%d%H%M%S"
    assert finer_format(".%Y-%m-%d") == ".%Y-%m-%d%H%M%S"
    assert finer_format("-%Y%m%d%H%M%S") is None and finer_format("-%s") is None


@given(st.characters(categories=["Nd"]))
def test_only_ascii_digits_count(digit):
    assume(digit not in "0123456789")
    for name in (f"messages.{digit}", f"messages.1{digit}", f"messages.{digit}.gz"):
        assert classify(name, lambda log: "-%Y%m%d") is None
    assert classify("messages.1", lambda log: "-%Y%m%d") == ("messages", 1, "")


@given(st.text("0123456789", min_size=1, max_size=9), st.sampled_from([".%Y%m%d", ".%Y%m", ".%Y"]))
def test_dateext_names_win_and_wrong_length_stamps_are_not_dateext(digits, fmt):
    # With dateformat .%Y%m, app.log.202611 is a stamp, not rotation 202611. A stamp
    # has exactly its length: strptime alone takes '2026112' for 2026-11-02.
    got = classify(f"app.log.{digits}", lambda log: fmt)
    is_stamp = len(digits) == len(format_stamp(datetime(2026, 1, 1), fmt)) - 1 and \
        parse_stamp("." + digits, fmt) is not None
    is_count = len(digits) <= 6 and (digits == "0" or digits[0] != "0")
    assert got == (("app.log", int(digits), "") if is_count and not is_stamp else None)
    assert parse_stamp("-2026112", "-%Y%m%d") is None and not renamer._round_trips("-2026112", "-%Y%m%d")


@given(st.text(min_size=1, max_size=20))
def test_unit_is_split_compression(name):
    assert renamer._unit(name) == split_compression(name)[0]


# A few fixed names, so that entries share a log often; any text besides.
logs = st.one_of(st.sampled_from(["messages", "app.log", "a.1", "x-1", "."]),
                 st.text(st.characters(exclude_characters="/\0", exclude_categories=["Cs"]), min_size=1, max_size=10))
entries = st.tuples(logs, st.sampled_from(["numbered", "numbered", "numbered", "dateext", "finer", "suffixed", "live",
                                           "other"]),
                    st.integers(0, 4), st.sampled_from(["", "", ".gz", ".xz"]), st.integers(0, 1), st.integers(0, 1))


@settings(max_examples=300, deadline=None)
@example([("m", "numbered", 1, "", 0, 0), ("m", "numbered", 2, ".gz", 0, 0), ("m", "suffixed", 0, ".xz", 0, 0)],
         "-%Y%m%d", "suffix", False)  # same second, and the first suffix is taken
@given(st.lists(entries, max_size=25), st.sampled_from(FORMATS), st.sampled_from(["finer", "suffix", "skip"]),
       st.booleans())
def test_plan_is_injective_safe_and_a_second_run_changes_nothing(spec, fmt, mode, yesterday):
    base = at("2026-11-24 06:25:00")
    names, when = set(), {}
    for log, kind, n, ext, day, sec in spec:
        moment = base + timedelta(days=day, seconds=sec)
        name = {"numbered": f"{log}.{n}{ext}", "dateext": log + format_stamp(moment, fmt) + ext,
                "finer": log + format_stamp(moment, finer_format(fmt) or fmt) + ext,
                "suffixed": log + format_stamp(moment, fmt) + f"-{sec + 1}" + ext, "live": log,
                "other": f"{log}~{n}"}[kind]
        names.add(name)
        when.setdefault(name, moment)

    def rotations(folder):
        out = []
        for name in sorted(folder):
            kind = classify(name, lambda log: fmt)
            if kind:
                out.append(Rotation(name, *kind, when.get(name, base), "mtime", fmt, yesterday))
        return out

    rots = rotations(names)
    steps, problems = plan_folder(rots, names, mode)
    new = [s.new for s in steps]
    assert len(steps) + len(problems) == len(rots)  # every candidate is renamed or reported
    assert len(set(new)) == len(new)  # injective
    assert not set(new) & names  # nothing existing is a target
    units = {}
    for s in steps:
        assert renamer.safe_name(s.new) and "/" not in s.new and "\0" not in s.new  # stays in the folder
        assert split_compression(s.new)[0] not in names | {split_compression(n)[0] for n in names}
        units.setdefault(split_compression(s.new)[0], set()).add((s.rot.log, s.rot.number))
        assert classify(s.new, lambda log: fmt) is None  # a renamed file is never a candidate again
        if s.dateformat is not None:  # upload finds it with that format, at the right day
            stamp, _ = match_rotated(s.new, s.rot.log, s.dateformat)
            assert format_stamp(parse_stamp(stamp, s.dateformat), s.dateformat) == stamp
    assert all(len(owners) == 1 for owners in units.values())  # only x.1 and x.1.gz share a unit
    if mode == "suffix":
        assert not problems
    after = (names - {s.rot.name for s in steps}) | set(new)
    assert plan_folder(rotations(after), after, mode)[0] == []


def test_collisions_get_a_finer_stamp_then_the_chosen_fallback():
    r1 = Rotation("m.1", "m", 1, "", at("2026-11-26 18:00:00"))
    r2 = Rotation("m.2", "m", 2, ".gz", at("2026-11-26 06:25:00"))
    steps, problems = plan_folder([r1, r2], ["m", "m.1", "m.2.gz"])
    assert sorted(s.new for s in steps) == ["m-20261126062500.gz", "m-20261126180000"] and not problems
    same = Rotation("m.2", "m", 2, "", r1.moment)
    steps, problems = plan_folder([r1, same], ["m.1", "m.2"], "finer")
    assert not steps and len(problems) == 2 and all(p.exit_code == 65 for p in problems)
    steps, _ = plan_folder([r1, same], ["m.1", "m.2"], "suffix")
    assert {s.rot.name: s.new for s in steps} == {"m.2": "m-20261126-1", "m.1": "m-20261126-2"}
    steps, _ = plan_folder([r1, same], ["m.1", "m.2", "m-20261126-1", "m-20261126-3.gz"], "suffix")
    assert {s.rot.name: s.new for s in steps} == {"m.2": "m-20261126-2", "m.1": "m-20261126-4"}
    steps, problems = plan_folder([r1], ["m.1", "m-20261126.gz"], "skip")
    assert not steps and "m-20261126 exists" in str(problems[0])


def test_the_two_forms_of_one_rotation_may_share_a_unit():
    a = Rotation("m.1", "m", 1, "", at("2026-11-26 06:00:00"))
    b = Rotation("m.1.gz", "m", 1, ".gz", at("2026-11-26 07:00:00"))
    steps, problems = plan_folder([a, b], ["m.1", "m.1.gz"])
    assert sorted(s.new for s in steps) == ["m-20261126", "m-20261126.gz"] and not problems


def test_order_sanity():
    ok = [Rotation("m.1", "m", 1, "", at("2026-11-26 00:00:00")),
          Rotation("m.2.gz", "m", 2, ".gz", at("2026-11-25 00:00:00"))]
    assert renamer.order_problems(ok) == []
    bad = ok + [Rotation("m.3.gz", "m", 3, ".gz", at("2026-11-27 00:00:00"))]
    (problem,) = renamer.order_problems(bad, "/var/log")
    assert "/var/log/m.2.gz" in str(problem) and "older than m.3.gz" in str(problem)


@pytest.mark.parametrize("line,expect", [
    ("Dec 31 23:59:58 web01 CRON[1]: (root) CMD run-parts", "2026-12-31 23:59:58+00:00"),  # year from the mtime
    ("Jan  1 06:25:01 web01 systemd[1]: Starting", "2027-01-01 06:25:01+00:00"),
    ('10.0.0.1 - - [31/Dec/2026:23:59:59 +0100] "GET / HTTP/1.1" 200 5', "2026-12-31 22:59:59+00:00"),
    ("2026/12/31 23:50:00 [error] 812#812: *1 open() failed", "2026-12-31 23:50:00+00:00"),
    ("[Thu Dec 31 23:59:59.123456 2026] [core:error] [pid 1] x", "2026-12-31 23:59:59+00:00"),
    ("End-Date: 2026-12-30  06:25:33", "2026-12-30 06:25:33+00:00"),
    ("2026-12-31 23:59:59 status installed tzdata:all 2026a", "2026-12-31 23:59:59+00:00"),
    ("2026-12-31T23:59:59.5+02:00 web01 app[9]: ok", "2026-12-31 21:59:59.500000+00:00"),
    ("Nov 31 10:00:00 web01 x", None), ("2026-13-01 00:00:00 x", None),
    ("a message quoting 2026-12-31 23:00:00 later on", None), ("2026-12-31 ١٢:00:00 x", None),
])
def test_line_time(line, expect):
    got = line_time(line, UTC, at("2027-01-01 06:25:02"))
    assert (str(got) if got else None) == expect


# ------------------------------------------------------- real command ---

def mk(folder, name, when, data=None, compress=None):
    """A file with mtime `when` (UTC text); data compressed by its suffix."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = data if data is not None else f"{name}\n".encode()
    data = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}.get(
        compress or split_compression(name)[1], lambda b: b)(data)
    path.write_bytes(data)
    stamp = at(when).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def tree(root):
    return sorted(str(p.relative_to(root)) for p in Path(root).rglob("*"))


def snapshot(root):
    """name -> (inode, mtime, mode, content) of every file; folders by inode only
    (their own mtime changes with any rename inside)."""
    out = {}
    for p in Path(root).rglob("*"):
        st = p.lstat()
        if p.is_symlink():
            out[str(p.relative_to(root))] = (st.st_ino, st.st_mtime_ns, st.st_mode, os.readlink(p))
        elif p.is_dir():
            out[str(p.relative_to(root))] = (st.st_ino,)
        else:
            out[str(p.relative_to(root))] = (st.st_ino, st.st_mtime_ns, st.st_mode,
                                             hashlib.sha256(p.read_bytes()).hexdigest())
    return out


@pytest.fixture
def cfg(tmp_path):
    return write_config(tmp_path / "c.conf", {"swiftrotate": {"state_dir": str(tmp_path / "state")}})


def rename(cfg, *args, env=None):
    return run_cli("--config", cfg, "rename", "--tz", "UTC", *args, env=env)


def journals(tmp_path):
    return sorted((tmp_path / "state" / "rename").glob("*.jsonl")) if (tmp_path / "state" / "rename").exists() else []


def var_log(root):
    """A /var/log after years of numbered rotations (times UTC)."""
    for name, when in [("messages", "2026-11-27 10:00:00"), ("messages.1", "2026-11-22 03:10:01"),
                       ("messages.2.gz", "2026-11-15 03:10:02"), ("messages.3.gz", "2026-11-08 03:10:01"),
                       ("secure", "2026-11-27 09:00:00"), ("secure.1", "2026-11-22 03:09:55"),
                       ("secure.2.gz", "2026-11-15 03:09:50"),
                       ("nginx/access.log", "2026-11-27 10:00:00"), ("nginx/access.log.1", "2026-11-27 00:00:09"),
                       ("nginx/access.log.2.gz", "2026-11-26 00:00:07"), ("nginx/error.log.1", "2026-11-20 11:00:00"),
                       ("apt/history.log", "2026-11-27 08:00:00"), ("apt/history.log.1.gz", "2026-11-01 06:25:04"),
                       ("apt/term.log.1.gz", "2026-11-01 06:25:04"),
                       ("dpkg.log", "2026-11-27 08:00:00"), ("dpkg.log.1", "2026-11-01 06:25:03"),
                       ("dpkg.log.2.xz", "2026-10-01 06:25:03"),
                       ("app/app.log", "2026-11-27 10:00:00"), ("app/app.log.0", "2026-11-26 23:59:59"),
                       ("app/app.log.1.gz", "2026-11-25 23:59:58"), ("app/app.log.2.bz2", "2026-11-24 23:59:57"),
                       ("btmp.1", "2026-11-01 00:00:01"),
                       # already dateext, live, or unrelated: left alone
                       ("syslog", "2026-11-27 10:00:00"), ("syslog-20261120.gz", "2026-11-20 06:25:00"),
                       ("Xorg.0.log", "2026-11-27 10:00:00"), ("Xorg.0.log.old", "2026-11-20 10:00:00"),
                       ("lastlog", "2026-11-27 10:00:00"), ("boot.log.007", "2026-11-20 10:00:00"),
                       ("kern.log.١", "2026-11-20 10:00:00"), ("installer/syslog", "2026-01-01 10:00:00"),
                       ("sa/sa26", "2026-11-26 10:00:00"), ("journal/abc/system.journal", "2026-11-27 10:00:00"),
                       ("old.1/notes.txt", "2026-11-27 10:00:00")]:
        mk(root, name, when)


RENAMED = {"messages.1": "messages-20261122", "messages.2.gz": "messages-20261115.gz",
           "messages.3.gz": "messages-20261108.gz", "secure.1": "secure-20261122",
           "secure.2.gz": "secure-20261115.gz", "nginx/access.log.1": "nginx/access.log-20261127",
           "nginx/access.log.2.gz": "nginx/access.log-20261126.gz", "nginx/error.log.1": "nginx/error.log-20261120",
           "apt/history.log.1.gz": "apt/history.log-20261101.gz", "apt/term.log.1.gz": "apt/term.log-20261101.gz",
           "dpkg.log.1": "dpkg.log-20261101", "dpkg.log.2.xz": "dpkg.log-20261001.xz",
           "app/app.log.0": "app/app.log-20261126", "app/app.log.1.gz": "app/app.log-20261125.gz",
           "app/app.log.2.bz2": "app/app.log-20261124.bz2", "btmp.1": "btmp-20261101"}


def test_corpus_dry_run_then_apply_then_a_second_run_changes_nothing(tmp_path, cfg):
    root = tmp_path / "log"
    var_log(root)
    before = snapshot(root)
    dry = rename(cfg, "-r", "--dry-run", str(root))
    assert dry.returncode == 0, dry.stderr
    assert snapshot(root) == before and not journals(tmp_path)
    head, *rows = dry.stdout.splitlines()
    assert head.split() == ["OLD", "NEW", "DATE", "FROM"] and len(rows) == len(RENAMED)
    assert f"{root}/messages.1 " in dry.stdout and "-> messages-20261122 " in dry.stdout
    assert "mtime 2026-11-22 03:10:01+00:00" in dry.stdout

    real = rename(cfg, "-r", str(root))
    assert real.returncode == 0, real.stderr
    assert f"{len(RENAMED)} renamed, 0 not, 1 already dateext" in real.stderr
    expected = {RENAMED.get(k, k): v for k, v in before.items()}  # same inode, mtime, bytes: renamed only
    assert snapshot(root) == expected
    (journal,) = journals(tmp_path)
    assert f"--undo {journal}" in real.stderr

    again = rename(cfg, "-r", str(root))
    assert again.returncode == 0 and "nothing to rename" in again.stderr
    assert snapshot(root) == expected and len(journals(tmp_path)) == 1


def test_undo_restores_exactly_and_twice_is_a_no_op(tmp_path, cfg):
    root = tmp_path / "log"
    var_log(root)
    before = snapshot(root)
    assert rename(cfg, "-r", str(root)).returncode == 0
    (journal,) = journals(tmp_path)
    after = snapshot(root)
    # issue 14: the documented word order failed with a usage error; both orders preview the same
    for args in (["--undo", "--dry-run", str(journal)], ["--undo", str(journal), "--dry-run"]):
        preview = run_cli("rename", *args)
        assert preview.returncode == 0, preview.stderr
        assert f"{len(RENAMED)} would restore" in preview.stderr and snapshot(root) == after
    undo = run_cli("rename", "--undo", str(journal))
    assert undo.returncode == 0, undo.stderr
    assert f"{len(RENAMED)} restored, 0 could not be" in undo.stderr
    assert snapshot(root) == before
    again = run_cli("rename", "--undo", str(journal))
    assert again.returncode == 0 and "0 restored" in again.stderr and snapshot(root) == before


def test_undo_never_overwrites_and_names_what_it_could_not_restore(tmp_path, cfg):
    logs = tmp_path / "log"
    for i, day in enumerate(["26", "25", "24"], 1):
        mk(logs, f"m.{i}", f"2026-11-{day} 06:00:00")
    assert rename(cfg, str(logs)).returncode == 0
    (journal,) = journals(tmp_path)
    (logs / "m-20261125").unlink()
    mk(logs, "m-20261125", "2026-11-25 07:00:00", b"someone else's file\n")  # replaced since
    mk(logs, "m.3", "2026-11-27 00:00:00", b"a new m.3\n")  # the old name is taken again
    os.link(logs / "m-20261126", logs / "m.1")  # as if a crash hit between link and unlink
    undo = run_cli("rename", "--undo", str(journal))
    assert undo.returncode == 65
    assert f"cannot undo {logs}/m-20261125 -> m.2: is another file now" in undo.stderr
    assert f"cannot undo {logs}/m-20261124 -> m.3" in undo.stderr
    assert sorted(os.listdir(logs)) == ["m-20261124", "m-20261125", "m.1", "m.3"]
    assert (logs / "m.3").read_bytes() == b"a new m.3\n"
    assert (logs / "m-20261125").read_bytes() == b"someone else's file\n"


def test_undo_of_a_run_that_stopped_half_way(tmp_path, cfg):
    logs = tmp_path / "log"
    for i, day in enumerate(["26", "25", "24"], 1):
        mk(logs, f"m.{i}", f"2026-11-{day} 06:00:00")
    before = snapshot(logs)
    assert rename(cfg, str(logs)).returncode == 0
    (journal,) = journals(tmp_path)
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n")  # no closing line: the run was killed
    os.rename(logs / "m-20261124", logs / "m.3")  # and never got to this one
    assert run_cli("rename", "--undo", str(journal)).returncode == 0
    assert snapshot(logs) == before


def test_rotated_twice_in_one_day(tmp_path, cfg):
    logs = tmp_path / "log"
    mk(logs, "m.1", "2026-11-26 18:00:00", b"second\n")
    mk(logs, "m.2.gz", "2026-11-26 06:25:00", b"first\n")
    mk(logs, "m.3.gz", "2026-11-25 06:25:00")
    proc = rename(cfg, str(logs))
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(logs)) == ["m-20261125.gz", "m-20261126062500.gz", "m-20261126180000"]
    assert (logs / "m-20261126180000").read_bytes() == b"second\n"


def test_same_second_collision_skips_or_suffixes(tmp_path, cfg):
    logs = tmp_path / "log"
    mk(logs, "m.1", "2026-11-26 06:25:00", b"one\n")
    mk(logs, "m.2", "2026-11-26 06:25:00", b"two\n")
    mk(logs, "other.1", "2026-11-20 00:00:00")
    skip = rename(cfg, str(logs))
    assert skip.returncode == 65
    assert f"{logs}/m.1 not renamed: m.1 and m.2 fall on one date" in skip.stderr
    assert sorted(os.listdir(logs)) == ["m.1", "m.2", "other-20261120"]  # the rest is renamed
    suffix = rename(cfg, "--on-collision", "suffix", str(logs))
    assert suffix.returncode == 0, suffix.stderr
    assert sorted(os.listdir(logs)) == ["m-20261126-1", "m-20261126-2", "other-20261120"]
    assert (logs / "m-20261126-1").read_bytes() == b"two\n"  # the higher number is the older


def test_a_dateext_file_already_present_is_never_overwritten(tmp_path, cfg):
    logs = tmp_path / "log"
    mk(logs, "m-20261126.gz", "2026-11-26 06:25:00", b"dateext era\n")
    mk(logs, "m.1", "2026-11-26 04:00:00", b"numbered era\n")
    mk(logs, "n-20261126", "2026-11-26 06:25:00", b"keep\n")
    mk(logs, "n.1", "2026-11-26 01:02:03", b"n1\n")
    skip = rename(cfg, "--on-collision", "skip", str(logs))
    assert skip.returncode == 65 and "m-20261126 exists" in skip.stderr and "n-20261126 exists" in skip.stderr
    proc = rename(cfg, str(logs))
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(logs)) == ["m-20261126.gz", "m-20261126040000", "n-20261126", "n-20261126010203"]
    assert gzip.decompress((logs / "m-20261126.gz").read_bytes()) == b"dateext era\n"
    assert (logs / "n-20261126").read_bytes() == b"keep\n"


def test_dates_that_contradict_the_numbering_stop_the_run_unless_forced(tmp_path, cfg):
    logs = tmp_path / "log"
    mk(logs, "m.1", "2026-11-20 00:00:00")  # a copy reset the mtimes out of order
    mk(logs, "m.2", "2026-11-27 00:00:00")
    mk(logs, "ok.1", "2026-11-27 00:00:00")
    before = snapshot(logs)
    proc = rename(cfg, str(logs))
    assert proc.returncode == 65
    assert f"{logs}/m.1 (mtime 2026-11-20 00:00:00) is older than m.2" in proc.stderr
    assert "nothing renamed" in proc.stderr and snapshot(logs) == before and not journals(tmp_path)
    assert rename(cfg, "--dry-run", str(logs)).returncode == 65
    forced = rename(cfg, "--force", str(logs))
    assert forced.returncode == 0, forced.stderr
    assert sorted(os.listdir(logs)) == ["m-20261120", "m-20261127", "ok-20261127"]


def test_date_from_content(tmp_path, cfg):
    logs = tmp_path / "log"
    now = "2027-01-01 06:25:30"  # every mtime the same, as after a copy: only the content knows
    mk(logs, "messages.1", now, b"Dec 31 06:25:01 web01 CRON[1]: x\nJan  1 06:25:01 web01 rsyslogd: rotated\n")
    mk(logs, "messages.2.gz", now, b"Dec 30 06:25:01 web01 CRON[1]: x\nDec 31 06:24:59 web01 app: y\n")
    mk(logs, "access.log.1.bz2", now, b'1.2.3.4 - - [29/Dec/2026:23:59:59 +0100] "GET / HTTP/1.1" 200 1\n')
    mk(logs, "dpkg.log.1.xz", now, b"2026-12-20 10:00:00 startup archives unpack\n" * 5000)
    mk(logs, "history.log.1", now, b"Start-Date: 2026-12-10  06:25:01\nEnd-Date: 2026-12-10  06:25:33\n\n")
    mk(logs, "app.log.0", now, b"2026-12-28T23:00:00+00:00 web01 app: ok\n" + b"continuation line\n" * 3)
    proc = rename(cfg, "--date-from", "content", "--dry-run", str(logs))
    assert proc.returncode == 0, proc.stderr
    assert "content 2026-12-29 22:59:59+00:00" in proc.stdout
    proc = rename(cfg, "--date-from", "content", str(logs))
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(logs)) == ["access.log-20261229.bz2", "app.log-20261228", "dpkg.log-20261220.xz",
                                        "history.log-20261210", "messages-20261231.gz", "messages-20270101"]


def test_content_without_a_timestamp_names_the_file(tmp_path, cfg):
    logs = tmp_path / "log"
    mk(logs, "blob.log.1", "2026-11-26 00:00:00", b"no dates in here\n")
    mk(logs, "trace.log.1.zst", "2026-11-26 00:00:00", b"(zstd bytes)")
    mk(logs, "good.log.1", "2026-11-26 00:00:00", b"2026-11-25 12:00:00 fine\n")
    proc = rename(cfg, "--date-from", "content", str(logs))
    assert proc.returncode == 65
    assert f"{logs}/blob.log.1: no syslog, ISO 8601 or common-log timestamp" in proc.stderr
    assert f"{logs}/trace.log.1.zst: cannot decompress" in proc.stderr  # not really zstd
    assert sorted(os.listdir(logs)) == ["blob.log.1", "good.log-20261125", "trace.log.1.zst"]


def test_dateyesterday_timezone_and_per_log_dateformat(tmp_path):
    logs = tmp_path / "log"
    mk(logs, "a.log.1", "2026-11-26 23:30:00")
    mk(logs, "b.log.1", "2026-11-26 23:30:00")
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {"state_dir": str(tmp_path / "state")},
                                             f"log {logs}/b.log": {"dateformat": "-%Y-%m-%d"}})
    proc = run_cli("--config", cfg, "rename", "--dry-run", "--tz", "Europe/Paris", "--dateyesterday", str(logs))
    assert proc.returncode == 0, proc.stderr
    # 23:30 UTC is 00:30 on the 27th in Paris; dateyesterday takes the 26th.
    assert "-> a.log-20261126 " in proc.stdout and "-> b.log-2026-11-26 " in proc.stdout
    assert "dateyesterday" in proc.stdout
    assert "-> a.log-20261126 " in run_cli("--config", cfg, "rename", "-n", "--tz", "UTC", str(logs)).stdout


def test_symlinks_are_never_followed(tmp_path, cfg):
    logs, elsewhere = tmp_path / "log", tmp_path / "elsewhere"
    secret = mk(elsewhere, "shadow", "2026-11-20 00:00:00", b"root:x\n")
    mk(elsewhere, "other.log.1", "2026-11-20 00:00:00")
    mk(logs, "m.1", "2026-11-26 00:00:00")
    os.symlink(secret, logs / "evil.log.1")
    os.symlink(elsewhere, logs / "linked")
    proc = rename(cfg, "-r", str(logs))
    assert proc.returncode == 65
    assert f"refusing symlink {logs}/evil.log.1: not followed" in proc.stderr
    assert sorted(os.listdir(logs)) == ["evil.log.1", "linked", "m-20261126"]
    assert os.readlink(logs / "evil.log.1") == str(secret) and secret.read_bytes() == b"root:x\n"
    assert sorted(os.listdir(elsewhere)) == ["other.log.1", "shadow"]
    os.link(logs / "m-20261126", logs / "m.1")  # as a link + unlink rename cut short leaves it
    proc = rename(cfg, str(logs))
    assert proc.returncode == 65 and f"refusing {logs}/m.1: it has 2 hard links" in proc.stderr


@pytest.mark.parametrize("method", ["renameat2", "link"])
def test_the_rename_step_never_replaces(tmp_path, method):
    (tmp_path / "a").write_text("a")
    (tmp_path / "b").write_text("b")
    os.symlink(tmp_path / "b", tmp_path / "l")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for target in ("b", "l"):
            with pytest.raises(FileExistsError):
                rename_apply.move_noreplace(fd, "a", target, method)
        assert rename_apply.move_noreplace(fd, "a", "c", method) == method
        assert rename_apply.move_noreplace(fd, "l", "l2", method) == method  # the link itself moves
    finally:
        os.close(fd)
    assert sorted(os.listdir(tmp_path)) == ["b", "c", "l2"]
    assert (tmp_path / "b").read_text() == "b" and (tmp_path / "c").read_text() == "a"
    assert os.readlink(tmp_path / "l2") == str(tmp_path / "b")


def test_paths_filters_and_usage(tmp_path, cfg):
    logs = tmp_path / "log"
    for name in ("messages.1", "messages.2.gz", "secure.1", "secure.2.gz", "dpkg.log.1"):
        mk(logs, name, "2026-11-26 00:00:00" if ".1" in name else "2026-11-25 00:00:00")
    assert rename(cfg, str(logs / "messages")).returncode == 0  # a live log: its rotations only
    assert rename(cfg, str(logs / "dpkg.log.1")).returncode == 0  # one file
    assert rename(cfg, "--exclude", "*.gz", "--include", "secure*", str(logs)).returncode == 0
    assert sorted(os.listdir(logs)) == ["dpkg.log-20261126", "messages-20261125.gz", "messages-20261126",
                                        "secure-20261126", "secure.2.gz"]
    missing = rename(cfg, str(logs / "nope.1"))
    assert missing.returncode == 66 and f"{logs}/nope.1: no such file" in missing.stderr
    assert rename(cfg).returncode == 2
    assert rename(cfg, "--tz", "Mars/Olympus", str(logs)).returncode == 2
    assert rename(cfg, "--dateformat", "-%Q", str(logs)).returncode == 2
    assert rename(cfg, "--on-collision", "overwrite", str(logs)).returncode == 2
    assert run_cli("rename", "--undo", str(logs / "secure.2.gz"), str(logs)).returncode == 2
    not_journal = run_cli("rename", "--undo", str(logs / "secure-20261126"))
    assert not_journal.returncode == 2 and "not a swiftrotate rename journal" in not_journal.stderr


def test_rename_then_upload_archives_every_file_under_its_date(tmp_path):
    logs, store = tmp_path / "log", tmp_path / "store"
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {
        "state_dir": str(tmp_path / "state"), "dest": f"file://{store}", "settle_seconds": "0", "host": "h"}})
    mk(logs, "app.log", "2026-11-27 10:00:00", b"live\n")
    mk(logs, "app.log.1", "2026-11-26 18:00:00", b"day 26 late\n")
    mk(logs, "app.log.2.gz", "2026-11-26 06:00:00", b"day 26 early\n")
    mk(logs, "app.log.3.gz", "2026-11-25 06:00:00", b"day 25\n")
    mk(logs, "web.log.1", "2026-11-24 06:00:00", b"web\n")
    assert run_cli("--config", cfg, "rename", "--tz", "UTC", str(logs)).returncode == 0
    for log, fmt in [("app.log", "-%Y%m%d"), ("app.log", "-%Y%m%d%H%M%S"), ("web.log", "-%Y%m%d")]:
        up = run_cli("--config", cfg, "upload", "--dateformat", fmt, str(logs / log))
        assert up.returncode == 0, up.stderr
    listing = run_cli("--config", cfg, "ls").stdout
    prefix = f"h{logs}"
    for name in ["app.log-20261125.gz", "app.log-20261126060000.gz", "app.log-20261126180000", "web.log-20261124"]:
        assert f"{prefix}/{name}\n" in listing
        assert (store / prefix / name).read_bytes() == (logs / name).read_bytes()
    assert "app.log\n" not in listing and len(listing.splitlines()) == 4


def test_migration_script(tmp_path, cfg):
    store = tmp_path / "store"
    cfg = write_config(tmp_path / "m.conf", {"swiftrotate": {
        "state_dir": str(tmp_path / "state"), "dest": f"file://{store}", "settle_seconds": "0", "host": "h"}})
    logs = tmp_path / "log"
    mk(logs, "nginx/access.log.1", "2026-11-26 00:00:05", b"a1\n")
    mk(logs, "nginx/access.log.2.gz", "2026-11-25 00:00:05", b"a2\n")
    mk(logs, "my app/app log.0", "2026-11-26 00:00:05", b"s0\n")  # spaces survive upload's pattern splitting
    mk(logs, "my app/app log.1", "2026-11-26 00:00:01", b"s1\n")  # same day: stamped to the second
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWIFTROTATE_", "ST_", "OS_", "AWS_"))}
    env.update(SWIFTROTATE=f"{sys.executable} -m swiftrotate", PYTHON=sys.executable,
               PYTHONPATH=str(ROOT))

    def script(*args):
        return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                              stdin=subprocess.DEVNULL, timeout=120)

    helped = script("--help")
    assert helped.returncode == 0 and "--yes" in helped.stdout and "--upload" in helped.stdout
    before = snapshot(logs)
    planned = script("--config", cfg, "-n", "-r", "--tz", "UTC", str(logs))
    assert planned.returncode == 0 and "OLD" in planned.stdout and snapshot(logs) == before, planned.stderr
    missing = subprocess.run([str(SCRIPT), "-n", str(logs)], capture_output=True, text=True,
                             env={**env, "SWIFTROTATE": "no-such-swiftrotate"}, cwd=tmp_path, timeout=60)
    assert missing.returncode == 127 and "not found" in missing.stderr
    refused = script("--config", cfg, "-r", "--tz", "UTC", str(logs))
    assert refused.returncode == 1 and "pass --yes" in refused.stderr and "OLD" in refused.stdout
    assert snapshot(logs) == before
    done = script("--config", cfg, "--yes", "--upload", "-r", "--tz", "UTC", "--journal", str(tmp_path / "j"),
                  str(logs))
    assert done.returncode == 0, done.stderr
    names = ["nginx/access.log-20261126", "nginx/access.log-20261125.gz", "my app/app log-20261126000005",
             "my app/app log-20261126000001"]
    assert sorted(tree(logs)) == sorted(["my app", "nginx"] + names)
    for name in names:
        assert (store / f"h{logs}" / name).read_bytes() == (logs / name).read_bytes()
    undo = run_cli("rename", "--undo", str(tmp_path / "j"))
    assert undo.returncode == 0 and snapshot(logs) == before
    (tmp_path / "empty").mkdir()
    nothing = script("--yes", str(tmp_path / "empty"))
    assert nothing.returncode == 0 and "nothing to rename" in nothing.stderr
    collide = tmp_path / "collide"
    mk(collide, "x.1", "2026-11-26 00:00:00")
    mk(collide, "x.2", "2026-11-26 00:00:00")
    stopped = script("--yes", "--tz", "UTC", str(collide))
    assert stopped.returncode == 65 and "nothing was changed" in stopped.stderr
    assert sorted(os.listdir(collide)) == ["x.1", "x.2"]


def test_journal_is_json_lines_and_written_before_renaming(tmp_path, cfg):
    logs = tmp_path / "log"
    mk(logs, "m.1", "2026-11-26 00:00:00")
    mk(logs, "m.2", "2026-11-25 00:00:00")
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("")
    proc = rename(cfg, "--journal", str(blocked / "j.jsonl"), str(logs))
    assert proc.returncode == 74 and "cannot create journal" in proc.stderr
    assert sorted(os.listdir(logs)) == ["m.1", "m.2"]  # no journal, no rename
    assert rename(cfg, "--journal", str(tmp_path / "j.jsonl"), str(logs)).returncode == 0
    records = [json.loads(line) for line in (tmp_path / "j.jsonl").read_text().splitlines()]
    assert records[0]["journal"] == "swiftrotate-rename" and records[-1] == {"op": "done", "renamed": 2, "failed": 0}
    assert {(r["old"], r["new"], r["dir"]) for r in records[1:-1]} == {
        ("m.1", "m-20261126", str(logs)), ("m.2", "m-20261125", str(logs))}
    again = rename(cfg, "--journal", str(tmp_path / "j.jsonl"), str(logs))
    assert again.returncode == 0  # nothing to rename: the existing journal is not touched
    mk(logs, "m.1", "2026-11-27 00:00:00")
    exists = rename(cfg, "--journal", str(tmp_path / "j.jsonl"), str(logs))
    assert exists.returncode == 2 and "already exists" in exists.stderr


def test_rename_then_upload_to_swift_then_fetch_finds_them_by_date(tmp_path, swift_server):
    """The issue's end to end: numbered files renamed, archived on the real
    Swift, and found again by date."""
    import uuid

    logs = tmp_path / "log"
    container = "ren" + uuid.uuid4().hex[:10]
    cfg = write_config(tmp_path / "c.conf", {
        "swiftrotate": {"state_dir": str(tmp_path / "state"), "dest": f"swift://{container}",
                        "settle_seconds": "0", "host": "h"},
        "swift": {"auth_url": swift_server.auth_url, "user": "test:tester", "key": "testing"}})
    mk(logs, "messages", "2026-11-27 10:00:00", b"live\n")
    mk(logs, "messages.1", "2026-11-22 03:10:01", b"week 47\n")
    mk(logs, "messages.2.gz", "2026-11-15 03:10:02", b"week 46\n")
    mk(logs, "messages.3.gz", "2026-11-08 03:10:01", b"week 45\n")
    assert run_cli("--config", cfg, "rename", "--tz", "UTC", str(logs)).returncode == 0
    up = run_cli("--config", cfg, "upload", str(logs / "messages"))
    assert up.returncode == 0, up.stderr
    found = run_cli("--config", cfg, "fetch", str(logs / "messages"), "--host", "h", "--since", "2026-11-14",
                    "--until", "2026-11-22", "--by-stamp", "--list", "--json")
    assert found.returncode == 0, found.stderr
    assert [json.loads(x)["stamp"] for x in found.stdout.splitlines()] == ["-20261115", "-20261122"]
    out = run_cli("--config", cfg, "fetch", str(logs / "messages"), "--host", "h", "--stdout", "--decompress")
    assert out.stdout == "week 45\nweek 46\nweek 47\n"


def test_rename_then_one_upload_of_the_folder_then_fetch_finds_both_stamp_forms(store, tmp_path):
    """Issue 14 as reported: after rename, two rotations of one day are
    stamped to the second (kern.log-20261127130000) beside day stamps.
    `upload '/var/log/*'` left them unarchived with a warning and exit 0,
    and fetch printed only the other day, exit 0. One upload of the folder
    must archive every form, and fetch return them in time order."""
    from tests.support.stores import config_for

    logs = tmp_path / "log"
    mk(logs, "kern.log", "2026-11-28 10:00:00", b"live\n")
    mk(logs, "kern.log.1", "2026-11-27 13:00:00", b"day 27 late\n")
    mk(logs, "kern.log.2.gz", "2026-11-27 00:00:07", b"day 27 early\n")
    mk(logs, "kern.log.3.gz", "2026-11-26 00:00:09", b"day 26\n")
    cfg = config_for(store, tmp_path)
    assert run_cli("--config", cfg, "rename", "--tz", "UTC", str(logs)).returncode == 0
    renamed = ["kern.log-20261126.gz", "kern.log-20261127000007.gz", "kern.log-20261127130000"]
    assert sorted(os.listdir(logs)) == ["kern.log"] + renamed
    # -j 1: on a bucket that does not exist yet, parallel first uploads race to
    # create it and rclone answers the losers BucketAlreadyExists (not this test's subject)
    up = run_cli("--config", cfg, "upload", "-j", "1", f"{logs}/*")
    assert up.returncode == 0, up.stderr
    assert "looks like a dated rotation" not in up.stderr
    assert sorted(o.key for o in store.backend.list()) == [f"web01{logs}/{name}" for name in renamed]
    out = run_cli("--config", cfg, "fetch", str(logs / "kern.log"), "--since", "2026-11-26", "--until", "2026-11-28",
                  "--stdout", "--decompress")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "day 26\nday 27 early\nday 27 late\n"


def test_migration_script_uploads_a_log_whose_renamed_files_sit_beside_a_day_stamp(tmp_path):
    """x.1 falls on the day of logrotate's own x-20261126, so rename stamps
    it to the second. The script uploaded such a log with only the finer
    --dateformat, which leaves x-20261126 a name no stamp form matches: now
    upload knows both forms, and the script uploads each log once with
    rename's own dateformat."""
    store, logs = tmp_path / "store", tmp_path / "log"
    cfg = write_config(tmp_path / "m.conf", {"swiftrotate": {
        "state_dir": str(tmp_path / "state"), "dest": f"file://{store}", "settle_seconds": "0", "host": "h"}})
    mk(logs, "x-20261126", "2026-11-26 06:25:00", b"logrotate's\n")
    mk(logs, "x.1", "2026-11-26 03:00:00", b"numbered\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWIFTROTATE_", "ST_", "OS_", "AWS_"))}
    env.update(SWIFTROTATE=f"{sys.executable} -m swiftrotate", PYTHON=sys.executable,
               PYTHONPATH=str(ROOT))
    done = subprocess.run([str(SCRIPT), "--config", cfg, "--yes", "--upload", "--tz", "UTC", "--journal",
                           str(tmp_path / "j"), str(logs)], capture_output=True, text=True, env=env, cwd=tmp_path,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(store / f"h{logs}")) == ["x-20261126", "x-20261126.srmeta", "x-20261126030000",
                                                        "x-20261126030000.srmeta"]
