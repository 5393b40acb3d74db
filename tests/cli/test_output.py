"""What reaches the operator's terminal and syslog: keys planted in the store
escaped by ls, one escaped summary line in syslog."""

from tests.support.cliconfig import base_config, swift_config
from tests.support.clirun import Syslog, rotated, run_cli, write_config


def test_ls_escapes_keys_planted_in_the_store(tmp_path, swift_server):
    """Whoever can write to the store picks the keys: `ls` must not hand a
    terminal escape sequence or a forged line to the operator's terminal."""
    import swiftclient

    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key="testing")
    conn.put_container("clitest")
    conn.put_object("clitest", "web01/x\x1b]0;pwned\x07\nforged.log-20261101", b"x")
    conn.put_object("clitest", "web01/caf\u00e9.log-20261101", b"x")
    conn.close()
    proc = run_cli("--config", swift_config(tmp_path, swift_server.auth_url), "ls", "web01/")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\nforged" not in proc.stdout
    assert "x\\x1b]0;pwned\\x07\\nforged.log-20261101" in proc.stdout
    assert "web01/caf\u00e9.log-20261101" in proc.stdout  # printable UTF-8 is shown as it is


def test_syslog_gets_one_summary_line_and_escaped_names(tmp_path):
    """stderr not a terminal (as under logrotate and cron): the run is logged
    to syslog_socket (a datagram socket here, /dev/log by default): each
    name escaped, one summary line."""
    syslog = Syslog(tmp_path / "log")
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"x\n")
    rotated(logs, "we\tird.log-20261125", b"y\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, syslog_socket=str(tmp_path / "log"),
                                                        syslog_facility="local3"))
    proc = run_cli("--config", cfg, "upload", f"{logs}/*.log")
    assert proc.returncode == 65, proc.stderr
    lines = syslog.drain()
    summaries = [line for line in lines if "upload: 2 file(s)" in line]
    assert len(summaries) == 1, lines
    assert all(line.startswith(tuple("<%d>swiftrotate[" % (19 * 8 + level) for level in (3, 4, 6)))
               for line in lines), lines  # local3: err, warning or info
    assert all(line.endswith("\0") for line in lines), lines  # as logging.handlers.SysLogHandler sends them
    assert sum("created store folder" in line for line in lines) == 1, lines
    assert any("we\\tird.log" in line for line in lines) and not any("\t" in line for line in lines)
    bad = write_config(tmp_path / "c.conf", base_config(tmp_path, syslog_socket=str(tmp_path / "log"),
                                                        syslog_facility="local9"))
    proc = run_cli("--config", bad, "upload", f"{logs}/*.log")
    assert proc.returncode == 78 and "local9" in proc.stderr



def test_an_error_that_ends_the_run_reaches_syslog_too(tmp_path):
    """A bad setting under logrotate or cron was printed to stderr only,
    which nobody reads there: it is also an err line in syslog."""
    syslog = Syslog(tmp_path / "log")
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, syslog_socket=str(tmp_path / "log"),
                                                        dateformat="-%Q"))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78 and proc.stderr.count("\n") == 1, proc.stderr
    lines = syslog.drain()
    assert len(lines) == 1 and lines[0].startswith("<11>swiftrotate["), lines  # user.err
    assert "error: " in lines[0] and "-%Q" in lines[0], lines


def test_every_facility_syslog_took_before_is_taken(tmp_path):
    """syslog_facility was read by logging.handlers.SysLogHandler's table; a
    name it took must not turn into exit 78 under logrotate, where the check runs."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"x\n")
    for name, code in (("ntp", 12), ("security", 4), ("solaris-cron", 15), ("local7", 23)):
        syslog = Syslog(tmp_path / "log")
        cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, syslog_socket=str(tmp_path / "log"),
                                                            syslog_facility=name))
        proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
        assert proc.returncode == 0, proc.stderr
        lines = syslog.drain()
        assert lines and all(line.startswith((f"<{code * 8 + 6}>swiftrotate[", f"<{code * 8 + 4}>swiftrotate["))
                             for line in lines), (name, lines)  # info, or the warning of a store folder created
        (tmp_path / "log").unlink()
