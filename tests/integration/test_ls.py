"""`swiftrotate ls` on every store: what the archive holds, by host, log and
date, with each archive's stamp read as a time."""
import gzip
import os

from tests.integration.test_fetch import LOG, MIB, archive_days, day_lines, put
from tests.support.clirun import run_cli
from tests.support.stores import config_for


def rows(proc):
    """(size, stamp, key) of each line: size and key around a stamp of one or two words."""
    out = []
    for line in proc.stdout.splitlines():
        words = line.split()
        out.append((words[0], " ".join(words[1:-1]), words[-1]))
    return out


def test_ls_filters_by_host_log_and_days_and_shows_stamps(store, tmp_path):
    archive_days(store, tmp_path, host="web01", days=[2, 3, 4])
    archive_days(store, tmp_path, host="web02", days=[3])
    archive_days(store, tmp_path, host="web01", days=[3], log="/var/log/syslog")
    put(store, tmp_path, f"web01{LOG}-20261103130000.gz", gzip.compress(b"second\n", mtime=0))
    put(store, tmp_path, "web01/notes.txt", b"not an archive\n")
    cfg = config_for(store, tmp_path)
    everything = run_cli("--config", cfg, "ls")
    assert everything.returncode == 0, everything.stderr
    assert len(rows(everything)) == 7 and ("15", "-", "web01/notes.txt") in rows(everything)
    size = str(len(day_lines("web01", 3)))
    assert (size, "2026-11-03", f"web01{LOG}-20261103") in rows(everything)
    picked = run_cli("--config", cfg, "ls", "--host", "web0*", "--log", LOG, "--since", "2026-11-03", "--until",
                     "2026-11-03", "--by-stamp")
    assert picked.returncode == 0, picked.stderr
    assert [(s, k) for _, s, k in rows(picked)] == [
        ("2026-11-03", f"web01{LOG}-20261103"), ("2026-11-03 13:00:00", f"web01{LOG}-20261103130000.gz"),
        ("2026-11-03", f"web02{LOG}-20261103")]
    globbed = run_cli("--config", cfg, "ls", "--host", "web01", "--log", "/var/log/*", "--log", "/var/log/*/*.log",
                      "--since", "2026-11-03", "--until", "2026-11-03")  # widened by a day, as fetch: 03 and 04
    assert [k for _, _, k in rows(globbed)] == [
        f"web01{LOG}-20261103", f"web01{LOG}-20261103130000.gz", f"web01{LOG}-20261104.gz",
        "web01/var/log/syslog-20261103"], globbed.stderr
    assert "stamped 2026-11-03..2026-11-04" in globbed.stderr
    none = run_cli("--config", cfg, "ls", "--host", "db*")
    assert none.returncode == 66 and "no archive" in none.stderr and none.stdout == "", none.stderr


def test_ls_human_sizes_and_h_is_help(store, tmp_path):
    put(store, tmp_path, f"web01{LOG}-20261103", os.urandom(MIB + MIB // 2))
    cfg = config_for(store, tmp_path)
    human = run_cli("--config", cfg, "ls", "-H")
    assert human.returncode == 0 and rows(human) == [("1.5", "MiB 2026-11-03", f"web01{LOG}-20261103")]
    assert run_cli("--config", cfg, "ls", "--human").stdout == human.stdout
    helped = run_cli("--config", cfg, "ls", "-h")
    assert helped.returncode == 0 and "Usage:" in helped.stdout and "--human" in helped.stdout


def test_ls_header_only_on_a_terminal(tmp_path):
    """Piped into grep or a script: no header line. On a terminal: one."""
    import pty
    import subprocess
    import sys

    from tests.integration.test_fetch import local_config
    from swiftrotate.backends.local import LocalBackend
    import hashlib

    store = LocalBackend(str(tmp_path / "store"))
    src = tmp_path / "src"
    src.write_bytes(b"x\n")
    store.put(f"web01{LOG}-20261101", str(src), size=2, sha256=hashlib.sha256(b"x\n").hexdigest())
    cfg = local_config(tmp_path)
    piped = run_cli("--config", cfg, "ls")
    assert piped.stdout.splitlines()[0].split()[-1] == f"web01{LOG}-20261101"
    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", cfg, "ls"], stdout=slave,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert proc.returncode == 0, proc.stderr
    lines = shown.decode().splitlines()
    assert lines[0].split() == ["SIZE", "STAMP", "KEY"] and lines[1].endswith(f"web01{LOG}-20261101")


def test_ls_names_a_key_of_the_log_no_stamp_form_reads(store, tmp_path):
    put(store, tmp_path, f"web01{LOG}-20261101", b"a\n")
    put(store, tmp_path, f"web01{LOG}-02112026", b"b\n")  # a stanza's -%d%m%Y
    put(store, tmp_path, "web01/var/log/other.log-02112026", b"c\n")  # not asked for
    cfg = config_for(store, tmp_path)
    proc = run_cli("--config", cfg, "ls", "--log", LOG)
    assert proc.returncode == 0, proc.stderr
    assert [r[2] for r in rows(proc)] == [f"web01{LOG}-20261101"]
    assert f"no stamp form reads web01{LOG}-02112026" in proc.stderr and "--dateformat" in proc.stderr
    assert "other.log" not in proc.stderr, proc.stderr
    told = run_cli("--config", cfg, "ls", "--log", LOG, "--dateformat", "-%d%m%Y")
    assert told.returncode == 0 and "no stamp form" not in told.stderr, told.stderr
    assert [r[1:] for r in rows(told)] == [("2026-11-02", f"web01{LOG}-02112026"),
                                           ("2026-11-01", f"web01{LOG}-20261101")]
