"""The command as operators run it: exit codes, one-line errors, no secrets."""
import os
import time

import pytest

from tests.support.clirun import rotated, run_cli, write_config
from tests.support.servers import FaultProxy, free_port

CANARY = "canary-secret-5f1e2d"


def base_config(tmp_path, **general):
    return {"swiftrotate": {"state_dir": str(tmp_path / "state"), "host": "web01", "settle_seconds": "0",
                            **general}}


def swift_config(tmp_path, auth_url, key="testing", **swift):
    cfg = base_config(tmp_path, dest="swift://clitest")
    cfg["swift"] = {"auth_url": auth_url, "user": "test:tester", "key": key, **swift}
    return write_config(tmp_path / "swiftrotate.conf", cfg)


def test_help_teaches_the_hook():
    out = run_cli("--help").stdout
    assert 'swiftrotate upload "$1"' in out and "never on the command line" in out
    up = run_cli("upload", "--help").stdout
    for flag in ("--dry-run", "--dateformat", "--olddir", "--host", "--deadline", "-v", "--quiet"):
        assert flag in up


def test_local_default_store_round(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"a\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    first = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "state/archive/web01" / str(logs / "app.log-20261125").lstrip("/")).read_bytes() == b"a\n"
    listing = run_cli("--config", cfg, "ls")
    assert f"web01{logs}/app.log-20261125" in listing.stdout


def test_bad_credentials_exit_77_and_never_show_the_secret(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, swift_server.auth_url, key=CANARY, retries="0")
    for extra in ([], ["--debug"]):
        proc = run_cli("--config", cfg, *extra, "upload", str(tmp_path / "logs/app.log"))
        assert proc.returncode == 77, proc.stderr
        assert "authorization failed" in proc.stderr
        assert CANARY not in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr or extra


def test_canary_in_env_never_appears(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, dest="swift://clitest"))
    env = {"ST_AUTH": swift_server.auth_url, "ST_USER": "test:tester", "ST_KEY": CANARY,
           "SWIFTROTATE_SWIFT_RETRIES": "0"}
    proc = run_cli("--config", cfg, "--debug", "-v", "upload", str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77
    assert CANARY not in proc.stdout + proc.stderr


@pytest.mark.parametrize("where", ["config", "env"])
def test_s3_secret_never_appears(tmp_path, swift_server, where):
    """A refused S3 secret (config file or AWS_SECRET_ACCESS_KEY), with
    --debug -v: exit 77, and the canary is nowhere in the output."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = base_config(tmp_path, dest="s3://clitest")
    cfg["s3"] = {"endpoint_url": swift_server.endpoint, "region": "us-east-1", "retries": "0"}
    env = {"AWS_ACCESS_KEY_ID": "test:tester"}
    if where == "config":
        cfg["s3"].update(access_key_id="test:tester", secret_access_key=CANARY)
    else:
        env["AWS_SECRET_ACCESS_KEY"] = CANARY
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "--debug", "-v", "upload",
                   str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr


def test_swift_token_and_url_credentials_never_appear(tmp_path, swift_server):
    """OS_AUTH_TOKEN refused (77), and a store URL written with user:secret@
    (78): neither secret is echoed, not even with --debug."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, dest="swift://clitest"))
    env = {"OS_STORAGE_URL": swift_server.auth_url.replace("/auth/v1.0", "/v1/AUTH_test"),
           "OS_AUTH_TOKEN": CANARY, "OS_AUTH_URL": swift_server.auth_url,
           "SWIFTROTATE_SWIFT_RETRIES": "0"}
    proc = run_cli("--config", cfg, "--debug", "-v", "upload", str(tmp_path / "logs/app.log"), env=env)
    assert proc.returncode == 77, proc.stderr
    assert CANARY not in proc.stdout + proc.stderr
    for url in (f"tester:{CANARY}@clitest", f"swift://tester:{CANARY}@clitest"):
        proc = run_cli("--config", cfg, "--debug", "--dest", url, "upload", str(tmp_path / "logs/app.log"))
        assert proc.returncode == 78, proc.stderr
        assert CANARY not in proc.stdout + proc.stderr


def test_unreachable_endpoint_exits_75_within_the_timeout(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    port = free_port()  # nothing listens there
    cfg = swift_config(tmp_path, f"http://127.0.0.1:{port}/auth/v1.0", retries="0", connect_timeout="2")
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 75, proc.stderr
    assert proc.stderr.count("\n") <= 3 and "Traceback" not in proc.stderr
    assert (tmp_path / "logs/app.log-20261125").exists()
    assert proc.seconds < 60  # a hang guard, not a speed claim


def test_stalled_server_is_bounded_by_the_read_timeout(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        proxy.mode = "stall"
        cfg = swift_config(tmp_path, proxy.url_for("/auth/v1.0"), retries="0", read_timeout="2")
        proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 75, proc.stderr
    assert proc.seconds < 60  # a hang guard, not a speed claim


def test_503_burst_is_retried_and_archives_once(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        cfg = swift_config(tmp_path, proxy.url_for("/auth/v1.0"), retries="3", backoff="0.1")
        proxy.status_code, proxy.status_count = 503, 2
        proxy.mode = "status"
        proc = run_cli("--config", cfg, "upload", "-v", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0, proc.stderr
    assert "1 uploaded" in proc.stderr


@pytest.mark.parametrize("general,expect", [
    ({"dateformat": "-%Q"}, "dateformat"),
    ({"dest": "ftp://x"}, "unknown store scheme"),
    ({"dest": "file://relative/dir"}, "names a host"),
    ({"key_template": "{stamp}{ext}/{host}"}, "key_template"),
    ({"bogus": "1"}, "unknown setting"),
])
def test_bad_config_exits_78_with_one_line(tmp_path, general, expect):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, **general))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78, proc.stderr
    assert expect in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_config_file_is_78(tmp_path):
    proc = run_cli("--config", str(tmp_path / "nope.conf"), "upload", "/var/log/x.log")
    assert proc.returncode == 78 and "does not exist" in proc.stderr


def test_world_readable_secret_config_warns(tmp_path):
    cfg = swift_config(tmp_path, "http://127.0.0.1:1/auth/v1.0")
    os.chmod(cfg, 0o644)
    proc = run_cli("--config", cfg, "upload", "--dry-run", str(tmp_path / "logs/app.log"))
    assert "chmod 600" in proc.stderr


def test_symlinked_rotation_is_refused(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:secret\n")
    (tmp_path / "logs").mkdir()
    os.symlink(secret, tmp_path / "logs/app.log-20261125")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 65, proc.stderr
    assert "refusing symlink" in proc.stderr
    assert not any((tmp_path / "state/archive").rglob("app.log-20261125"))


@pytest.mark.parametrize("mode,gid,refused", [
    (0o777, 0, True),        # world-writable
    (0o1777, 0, True),       # sticky does not help: anyone may still create the name
    (0o775, 4242, True),     # group-writable by a group that is not root
    (0o775, 0, False),       # group-writable by root's group: fine, as for logrotate
    (0o755, 4242, False),    # only root could have made the link
], ids=["o+w", "sticky", "g+w-nonroot", "g+w-root", "not-writable"])
def test_a_hard_link_in_a_folder_others_can_write_is_refused_as_root(tmp_path, mode, gid, refused):
    """Ubuntu's /var/log is root:syslog 0775: a user of that group could plant
    a hard link to a file it may not read, named like a rotation. Plain files
    there are archived; a file with another link is refused, by the hook and
    by the gate (which keeps it rather than spooling it)."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root, as the hook runs under logrotate")
    secret = tmp_path / "private" / "shadow"
    secret.parent.mkdir(mode=0o700)
    secret.write_bytes(b"root:$6$secret\n")
    logs = tmp_path / "logs"
    plain = rotated(logs, "app.log-20261124", b"x\n")
    planted = logs / "app.log-20261125"
    os.link(secret, planted)
    os.utime(planted, (time.time() - 3600,) * 2)
    os.chown(logs, 0, gid)
    os.chmod(logs, mode)
    cfg = write_config(tmp_path / "c.conf", {**base_config(tmp_path), "swiftrotate": {
        **base_config(tmp_path)["swiftrotate"], "spool_dir": str(tmp_path / "spool")}})
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    store = tmp_path / "state/archive/web01" / str(logs).lstrip("/")
    assert (store / plain.name).read_bytes() == b"x\n"  # the plain rotation is archived either way
    if refused:
        assert proc.returncode == 65, proc.stderr
        assert "2 hard links" in proc.stderr and "find -samefile" in proc.stderr
        assert not (store / planted.name).exists()
        gate = run_cli("--config", cfg, "gate", str(planted))
        assert gate.returncode == 1 and "planted link" in gate.stderr, gate.stderr
        assert not (store / planted.name).exists() and not any((tmp_path / "spool").rglob("*"))
        assert secret.read_bytes() == b"root:$6$secret\n"
    else:
        assert proc.returncode == 0, proc.stderr
        assert (store / planted.name).exists()


def test_usage_error_is_2():
    assert run_cli("upload").returncode == 2
    assert run_cli("nosuchcommand").returncode == 2


def test_noop_path_imports_no_client_library(tmp_path, swift_server):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, swift_server.auth_url)
    assert run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log")).returncode == 0
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "swiftrotate", "--config", cfg, "upload",
                           str(tmp_path / "logs/app.log")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "click" in imported  # the measurement works
    assert not imported & {"boto3", "botocore", "swiftclient", "requests"}, imported & {"boto3", "botocore"}


def test_v1_upload_does_not_load_keystoneclient(tmp_path, swift_server):
    """python-swiftclient imports keystoneclient (installed here) at start;
    a tempauth upload hides it and still works."""
    import subprocess
    import sys

    import keystoneclient  # noqa: F401  (installed, so hiding it is what keeps it out)

    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, swift_server.auth_url)
    script = ("import sys, swiftrotate.cli as cli\n"
              "sys.argv = ['swiftrotate'] + sys.argv[1:]\n"
              "try:\n    cli.main()\nfinally:\n"
              "    print(sorted(m for m in sys.modules if m.split('.')[0] in\n"
              "                 ('swiftclient', 'keystoneclient', 'keystoneauth1') and sys.modules[m]))\n")
    proc = subprocess.run([sys.executable, "-c", script, "--config", cfg, "upload", str(tmp_path / "logs/app.log")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = {name.split(".")[0] for name in eval(proc.stdout.strip().splitlines()[-1])}
    assert loaded == {"swiftclient"}  # it did upload through swiftclient, without keystone


def test_dry_run_lists_and_changes_nothing(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    rotated(tmp_path / "logs", "app.log-20261126.gz", b"not really gzip")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", "--dry-run", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0
    assert proc.stdout.count("would-upload") == 2 and "web01" in proc.stdout
    assert not (tmp_path / "state/archive").exists() or not any((tmp_path / "state/archive").rglob("*.log-*"))


def test_deadline_stops_cleanly_with_75(tmp_path, swift_server):
    """500 sequential uploads cannot fit in one second here: the run stops
    starting new ones, exits 75, and what is left stays local."""
    from datetime import date, timedelta

    for n in range(500):
        rotated(tmp_path / "logs", f"app.log-{date(2020, 1, 1) + timedelta(days=n):%Y%m%d}", b"x" * 100)
    cfg = swift_config(tmp_path, swift_server.auth_url, retries="0")
    proc = run_cli("--config", cfg, "upload", "-j", "1", "--deadline", "1", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 75, proc.stderr[-2000:]
    assert "deadline of 1s reached" in proc.stderr
    assert len(list((tmp_path / "logs").iterdir())) == 500
    again = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert again.returncode == 0, again.stderr[-2000:]  # the next run finishes the job

def test_live_log_and_bad_stamps_are_never_uploaded(tmp_path):
    logs = tmp_path / "logs"
    for name in ("app.log", "app.log-2026112", "app.log-202611260", "app.log-20261326", "app.log.1",
                 "app.log-20261125.tmp", "app.log-20261125"):
        rotated(logs, name, name.encode())
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", "--dry-run", str(logs / "app.log"))
    assert proc.stdout.count("would-upload") == 1 and "app.log-20261125 ->" in proc.stdout


def test_fresh_file_is_read_only_once_it_is_quiet(tmp_path):
    """A file still being written when the hook starts is archived with its
    last write, not half of it."""
    import subprocess
    import sys
    import threading

    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261125", b"first\n", age=0)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, settle_seconds="2"))
    late = threading.Timer(0.7, lambda: path.open("ab").write(b"late line\n"))
    late.start()
    proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", cfg, "upload", str(logs / "app.log")],
                          capture_output=True, text=True)
    late.join()
    assert proc.returncode == 0, proc.stderr
    stored = tmp_path / "state/archive/web01" / str(path).lstrip("/")
    assert stored.read_bytes() == b"first\nlate line\n"


def test_corrupt_ledger_is_rebuilt_from_the_store_not_fatal(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261124", b"a\n")
    rotated(logs, "app.log-20261125", b"b\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    (tmp_path / "state/ledger.sqlite").write_bytes(b"this is not a database" * 100)
    proc = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert "rebuilding it from the store" in proc.stderr and "2 already in store" in proc.stderr
    assert list((tmp_path / "state").glob("ledger.sqlite.corrupt-*"))
    quiet = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert "2 known" in quiet.stderr  # the rebuilt ledger answers the next run


def test_turning_tls_verification_off_is_said_out_loud(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, f"http://127.0.0.1:{free_port()}/auth/v1.0", retries="0", insecure="yes")
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert "TLS certificate verification is OFF" in proc.stderr


def test_read_only_state_folder_is_a_local_io_error(tmp_path):
    """Root ignores mode bits, so the folder is a read-only mount: exit 74
    naming the lock file and the fix, not 'internal error'."""
    import subprocess
    import sys

    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    (tmp_path / "state").mkdir()
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    script = (f"mount -t tmpfs -o ro,mode=0700 tmpfs {tmp_path / 'state'} && "
              f"{sys.executable} -m swiftrotate --config {cfg} upload {tmp_path / 'logs/app.log'}")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 74, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert "lock" in line and "Read-only file system" in line and "state_dir" in line
    assert (tmp_path / "logs/app.log-20261125").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the check protects root's runs only")
def test_state_folder_writable_by_others_is_refused_as_root(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    (tmp_path / "state").mkdir()
    os.chmod(tmp_path / "state", 0o777)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78, proc.stderr
    assert "writable by other users" in proc.stderr and "chmod 700" in proc.stderr
    assert not (tmp_path / "state/ledger.sqlite").exists()


def test_unknown_aws_profile_is_a_config_error(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = base_config(tmp_path, dest="s3://bucket")
    cfg["s3"] = {"profile": "nosuchprofile", "endpoint_url": "http://127.0.0.1:9"}
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", str(tmp_path / "logs/app.log"),
                   env={"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    assert proc.returncode == 78, proc.stderr
    assert "'nosuchprofile'" in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.parametrize("name", ["we\nird.log", os.fsdecode(b"caf\xe9.log")])
def test_unarchivable_names_are_refused_loudly_and_kept(tmp_path, name):
    """A log whose name has a newline, or is not UTF-8 (no object key can
    hold it): exit 65 on one line naming the file (escaped) and the fix,
    also on --dry-run; the file stays. Found by the pattern's glob."""
    rotated(tmp_path / "logs", name + "-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    for extra in ([], ["--dry-run"]):
        proc = run_cli("--config", cfg, "upload", *extra, str(tmp_path / "logs/*.log"))
        assert proc.returncode == 65, (extra, proc.stderr)
        error = [line for line in proc.stderr.splitlines() if "not archived" in line]
        assert len(error) == 1 and "rename the file" in error[0] and "Traceback" not in proc.stderr
    assert (tmp_path / "logs" / (name + "-20261125")).exists()


def test_gate_keeps_what_it_cannot_archive(tmp_path):
    """A name no dateformat parses (logrotate's differs, or the live log
    itself) would be lost if deleted: the gate vetoes and says why."""
    rotated(tmp_path / "logs", "app.log-2026-11-25", b"x\n")  # logrotate's -%Y-%m-%d, ours -%Y%m%d
    rotated(tmp_path / "logs", "app.log", b"live\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    for path in ("logs/app.log-2026-11-25", "logs/app.log"):
        proc = run_cli("--config", cfg, "gate", str(tmp_path / path))
        assert proc.returncode == 1, proc.stderr
        assert "keeping" in proc.stderr and "dateformat" in proc.stderr


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


def test_log_sections_apply_to_each_log_a_shared_pattern_finds(tmp_path):
    """Under sharedscripts $1 is the pattern text ("DIR/*.log "): a [log]
    section for one of those logs still gives it its own dateformat and
    olddir, and the other logs keep the general ones."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-2026-11-25", b"app, section format\n")
    rotated(logs / "old", "app.log-2026-11-24", b"app, section olddir\n")
    rotated(logs, "web.log-20261125", b"web, general format\n")
    rotated(logs, "web.log-2026-11-25", b"web, not its format\n")
    rotated(logs, "app.log-20261125", b"app, not its format\n")
    cfg = base_config(tmp_path)
    cfg[f"log {logs}/app.log"] = {"dateformat": "-%Y-%m-%d", "olddir": "old"}
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", "-v", f"{logs}/*.log ")
    assert proc.returncode == 0, proc.stderr
    assert "3 uploaded" in proc.stderr, proc.stderr
    stored = sorted(p.name for p in (tmp_path / "state/archive").rglob("*.log-*") if p.suffix != ".srmeta")
    assert stored == ["app.log-2026-11-24", "app.log-2026-11-25", "web.log-20261125"]


@pytest.mark.parametrize("section, setting", [
    ("swiftrotate", {"settle_seconds": "five"}),
    ("swiftrotate", {"compress": "lzma"}),
    ("swiftrotate", {"spool_cap": "1Q"}),
    ("swiftrotate", {"key_template": "{host}/{stamp}"}),
    ("log /var/log/app.log", {"expire_after": "-3"}),
    ("log /var/log/app.log", {"dateformat": "-%Y%m%d%Q"}),
    ("log /var/log/app.log", {"dest": "s3://elsewhere"}),  # not a per-log setting
    ("swiftrotate", {"dest": "swfit://container"}),
    ("log /var/log/app.log", {"dateyesterday": "maybe"}),
])
def test_bad_settings_fail_even_when_nothing_is_new(tmp_path, section, setting):
    """Checked at every run, so the quiet days' runs (and the gate) report a
    typo at once: exit 78 naming it, not the day a new file needs it."""
    (tmp_path / "logs").mkdir()
    cfg = base_config(tmp_path)
    cfg.setdefault(section, {}).update(setting)
    path = write_config(tmp_path / "c.conf", cfg)
    for args in (["upload", str(tmp_path / "logs/app.log")], ["upload", "-n", str(tmp_path / "logs/app.log")],
                 ["gate", str(tmp_path / "logs/app.log-20261125")]):
        proc = run_cli("--config", path, *args)
        assert proc.returncode == 78, (args, proc.stderr)
        assert list(setting)[0] in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_config_that_is_a_folder_or_has_an_unknown_section(tmp_path):
    (tmp_path / "logs").mkdir()
    proc = run_cli("--config", str(tmp_path), "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78 and "cannot read config file" in proc.stderr, proc.stderr
    cfg = base_config(tmp_path)
    cfg["swiftrotat"] = {"host": "web02"}
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0 and "[swiftrotat]" in proc.stderr and "a typo?" in proc.stderr


def test_a_folder_that_does_not_exist_is_66_not_nothing_to_do(tmp_path):
    """A typo in a cron line must not stay green forever; a log that has
    simply not been rotated yet (its folder exists) is still fine."""
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    (tmp_path / "logs").mkdir()
    assert run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log")).returncode == 0
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "lgos/*.log"))
    assert proc.returncode == 66, proc.stderr
    assert "no folder" in proc.stderr and "lgos" in proc.stderr
    # beside a pattern whose folder is there (a missingok stanza): a warning, not a failure
    proc = run_cli("--config", cfg, "upload", f"{tmp_path / 'lgos/*.log'} {tmp_path / 'logs/app.log'} ")
    assert proc.returncode == 0 and "no folder" in proc.stderr, proc.stderr


def _zstd(data):
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


def _lz4(data):
    import subprocess

    return subprocess.run(["lz4", "-c"], input=data, capture_output=True, check=True).stdout


def _zip(data):
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("app.log-20261125", data)
    return out.getvalue()


def _zstd_two_frames(data):
    import zstandard

    half = len(data) // 2  # what `cat a.zst b.zst` or an appended frame gives
    return zstandard.ZstdCompressor().compress(data[:half]) + zstandard.ZstdCompressor().compress(data[half:])


@pytest.mark.parametrize("ext, pack, hide_zstandard", [
    (".zst", _zstd, False), (".zst", _zstd_two_frames, False), (".zst", _zstd, True), (".zst", _zstd_two_frames, True),
    (".lz4", _lz4, False), (".zip", _zip, False),
], ids=["zst", "zst-frames", "zst-tool", "zst-frames-tool", "lz4", "zip"])
def test_logrotate_compressing_with_another_tool_is_the_same_unit(tmp_path, ext, pack, hide_zstandard):
    """compresscmd zstd (or lz4, zip): X archived yesterday is X.zst today.
    Same content: one unit, exit 0 (it used to be 65 on every run). Read by
    the zstandard package, or by the zstd tool when the package is absent."""
    logs = tmp_path / "logs"
    data = b"a day of lines\n" * 1000
    path = rotated(logs, "app.log-20261125", data)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    rotated(logs, "app.log-20261125" + ext, pack(data))
    path.unlink()
    env = {}
    if hide_zstandard:
        blocker = tmp_path / "block"
        blocker.mkdir()
        (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['zstandard'] = None\n")
        env["PYTHONPATH"] = str(blocker)
    proc = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "twin" in proc.stderr
    stored = [p for p in (tmp_path / "state/archive").rglob("app.log-*") if p.suffix != ".srmeta"]
    assert [p.name for p in stored] == ["app.log-20261125"]
    # a different content under the same stamp is still a conflict, not a twin
    rotated(logs, "app.log-20261125" + ext, pack(data + b"written after archiving\n"))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log"), env=env).returncode == 65


def test_a_form_nothing_here_can_read_is_78_not_a_conflict(tmp_path):
    logs = tmp_path / "logs"
    data = b"lines\n" * 100
    path = rotated(logs, "app.log-20261125", data)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    rotated(logs, "app.log-20261125.lz4", _lz4(data))
    path.unlink()
    bare = tmp_path / "bin"  # a PATH without lz4
    bare.mkdir()
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"), env={"PATH": str(bare)})
    assert proc.returncode == 78, proc.stderr
    assert "nothing here reads .lz4" in proc.stderr and "install lz4" in proc.stderr


def test_a_different_object_at_the_key_is_never_overwritten(store, tmp_path):
    """Create-only on every store: a different object already at the key is
    exit 65 naming both, and stays as it was (with or without a ledger)."""
    import hashlib

    from tests.support.stores import config_for

    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261125", b"ours\n")
    key = f"web01{path}"
    planted = tmp_path / "planted"
    planted.write_bytes(b"someone else's\n")
    store.backend.put(key, str(planted), size=15, sha256=hashlib.sha256(b"someone else's\n").hexdigest())
    cfg = config_for(store, tmp_path)
    for _ in range(2):  # the second run has a ledger from the first
        proc = run_cli("--config", cfg, "upload", str(logs / "app.log"), env=store.env)
        assert proc.returncode == 65, proc.stderr
        assert str(path) in proc.stderr and key in proc.stderr and "not overwriting" in proc.stderr
    store.backend.get(key, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == b"someone else's\n" and path.exists()


def test_postrotate_2_inside_olddir_gets_the_live_logs_key(tmp_path):
    """postrotate's $2 points into olddir; the key must be the one $1 gives
    (the live log's path), or the later .gz makes a second object."""
    logs = tmp_path / "logs"
    rotated(logs / "old", "app.log-20261125", b"x\n")
    cfg = base_config(tmp_path, olddir="old")
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", "-n",
                   str(logs / "old/app.log-20261125"))
    assert proc.returncode == 0, proc.stderr
    assert f"-> web01{logs}/app.log-20261125" in proc.stdout, proc.stdout
    cfg["swiftrotate"]["olddir"] = str(logs / "old")  # absolute: the live folder cannot be told
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", "-n",
                   str(logs / "old/app.log-20261125"))
    assert proc.returncode == 2 and '"$1"' in proc.stderr, proc.stderr


def test_settings_precedence_flag_env_file_default(tmp_path):
    """flags > SWIFTROTATE_* environment > config file > defaults, and
    SWIFTROTATE_CONFIG / SWIFTROTATE_DEST name the file and the store."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, host="fromfile"))
    live = str(logs / "app.log")

    def key(*flags, env=None):
        proc = run_cli("upload", "-n", *flags, live, env={"SWIFTROTATE_CONFIG": cfg, **(env or {})})
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split("-> ")[1].split("/")[0]

    assert key() == "fromfile"
    assert key(env={"SWIFTROTATE_HOST": "fromenv"}) == "fromenv"
    assert key("--host", "fromflag", env={"SWIFTROTATE_HOST": "fromenv"}) == "fromflag"
    # a default when nobody says: the short host name
    bare = write_config(tmp_path / "bare.conf", {"swiftrotate": {"state_dir": str(tmp_path / "state")}})
    proc = run_cli("--config", bare, "upload", "-n", live)
    import socket

    assert f"-> {socket.gethostname().split('.')[0]}/" in proc.stdout, proc.stdout
    # the store: SWIFTROTATE_DEST over the file's dest
    other = tmp_path / "other"
    proc = run_cli("upload", live, env={"SWIFTROTATE_CONFIG": cfg, "SWIFTROTATE_DEST": f"file://{other}"})
    assert proc.returncode == 0, proc.stderr
    assert list(other.rglob("app.log-20261125"))


def test_syslog_gets_one_summary_line_and_escaped_names(tmp_path):
    """stderr not a terminal (as under logrotate and cron): the run is logged
    to syslog_socket (a datagram socket here, /dev/log by default): each
    name escaped, one summary line."""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "log"))
    sock.settimeout(0.5)
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"x\n")
    rotated(logs, "we\tird.log-20261125", b"y\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, syslog_socket=str(tmp_path / "log"),
                                                        syslog_facility="local3"))
    proc = run_cli("--config", cfg, "upload", f"{logs}/*.log")
    assert proc.returncode == 65, proc.stderr
    lines = []
    try:
        while True:
            lines.append(sock.recv(65536).decode())
    except socket.timeout:
        pass
    sock.close()
    summaries = [line for line in lines if "upload: 2 file(s)" in line]
    assert len(summaries) == 1, lines
    assert all(line.startswith("<%d>swiftrotate[" % (19 * 8 + 3)) or line.startswith("<%d>swiftrotate[" % (19 * 8 + 6))
               for line in lines), lines  # local3, err or info
    assert any("we\\tird.log" in line for line in lines) and not any("\t" in line for line in lines)
    bad = write_config(tmp_path / "c.conf", base_config(tmp_path, syslog_socket=str(tmp_path / "log"),
                                                        syslog_facility="local9"))
    proc = run_cli("--config", bad, "upload", f"{logs}/*.log")
    assert proc.returncode == 78 and "local9" in proc.stderr


def test_global_options_also_after_the_command_name(tmp_path):
    """Operators type `swiftrotate upload --config F LOG`: --config, --dest
    and --state-dir work on either side of the command name."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    live = str(tmp_path / "logs/app.log")
    proc = run_cli("upload", "--config", cfg, f"--dest=file://{tmp_path / 'elsewhere'}", live)
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "elsewhere").rglob("app.log-20261125"))
    listed = run_cli("ls", "--state-dir", str(tmp_path / "state"), "--dest", f"file://{tmp_path / 'elsewhere'}")
    assert listed.returncode == 0 and "app.log-20261125" in listed.stdout, listed.stderr
    assert run_cli("upload", live, "--config").returncode == 2  # no value: refused, not an empty --config


def test_rotations_that_miss_the_dateformat_are_named_not_silence(tmp_path):
    """logrotate's dateformat differs from ours: its rotations would never be
    archived while upload said "no rotated files found". Each is named in a
    warning (not an error: after `rename` one log may hold two stamp formats,
    uploaded one --dateformat at a time); once archived with its own
    --dateformat, the ledger knows it and the warning stops. Numbered and
    undated names stay out of it."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-2026-11-25.gz", b"x\n")  # logrotate: dateformat -%Y-%m-%d
    rotated(logs, "app.log-20261124", b"ok\n")  # ours: archived
    rotated(logs, "app.log.1", b"numbered\n")
    rotated(logs, "app.log-old", b"by hand\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    for extra in (["-n"], []):
        proc = run_cli("--config", cfg, "upload", *extra, str(logs / "app.log"))
        assert proc.returncode == 0, proc.stderr
        named = [line for line in proc.stderr.splitlines() if "looks like a dated rotation" in line]
        assert len(named) == 1 and "app.log-2026-11-25.gz" in named[0] and "-%Y%m%d" in named[0], proc.stderr
    assert list((tmp_path / "state/archive").rglob("app.log-20261124"))
    other = run_cli("--config", cfg, "upload", "--dateformat", "-%Y-%m-%d", str(logs / "app.log"))
    assert other.returncode == 0, other.stderr
    again = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert again.returncode == 0 and "looks like a dated rotation" not in again.stderr, again.stderr


def test_gate_vetoes_a_name_no_key_can_hold(tmp_path):
    """A rotation whose name has a control character: the gate keeps it
    (exit 1, the veto), naming it escaped on one line."""
    logs = tmp_path / "logs"
    rotated(logs, "we\tird.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "gate", str(logs / "we\tird.log-20261125"))
    assert proc.returncode == 1, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert "keeping" in line and "we\\tird.log" in line


def test_a_log_section_whose_glob_has_a_bracket_class(tmp_path):
    """[log DIR/[a]pp.log] does not match its own text as a glob: its
    settings must still be found, for searching and for checking."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-2026112513", b"hourly\n")
    cfg = base_config(tmp_path)
    cfg[f"log {logs}/[a]pp.log"] = {"dateformat": "-%Y%m%d%H"}
    path = write_config(tmp_path / "c.conf", cfg)
    proc = run_cli("--config", path, "upload", "-v", f"{logs}/*.log")
    assert proc.returncode == 0 and "1 uploaded" in proc.stderr, proc.stderr
    cfg[f"log {logs}/[a]pp.log"]["compress"] = "bogus"
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", f"{logs}/*.log")
    assert proc.returncode == 78 and "bogus" in proc.stderr, proc.stderr


def test_olddir_set_in_a_log_section_for_2_and_for_the_gate(tmp_path):
    """olddir set only in the log's [log] section: "$2" (a file in olddir)
    and the gate (handed that file) both archive it under the live log's
    path, the key "$1" gives: one object, never a second one."""
    logs = tmp_path / "logs"
    rotated(logs / "old", "app.log-20261125", b"one\n")
    rotated(logs / "old", "app.log-20261124", b"two\n")
    cfg = base_config(tmp_path, gate_max_age="0")
    cfg[f"log {logs}/app.log"] = {"olddir": "old"}
    path = write_config(tmp_path / "c.conf", cfg)
    proc = run_cli("--config", path, "upload", "-n", str(logs / "old/app.log-20261125"))
    assert proc.returncode == 0 and f"-> web01{logs}/app.log-20261125" in proc.stdout, proc.stdout + proc.stderr
    gate = run_cli("--config", path, "gate", str(logs / "old/app.log-20261124"))
    assert gate.returncode == 0, gate.stderr
    stored = sorted(str(p.relative_to(tmp_path / "state/archive")) for p in (tmp_path / "state/archive").rglob("*")
                    if p.is_file() and p.suffix != ".srmeta")
    assert stored == [f"web01{logs}/app.log-20261124"], stored


def test_the_exit_code_names_what_most_needs_a_human():
    from swiftrotate.errors import (AuthError, Conflict, SwiftrotateError, TransientError, worst_exit)

    assert worst_exit([TransientError("t"), Conflict("c")]) == 65
    assert worst_exit([Conflict("c"), SwiftrotateError("a bug")]) == 70  # a bug is not hidden behind 65
    assert worst_exit([SwiftrotateError("a bug"), AuthError("a")]) == 77
    assert worst_exit([TransientError("t")]) == 75 and worst_exit([]) == 0
