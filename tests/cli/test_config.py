"""The config file and settings: exit 78 on one line for every mistake, checked
on every run, and the precedence flag > environment > file > default."""
import os

import pytest

from tests.support.cliconfig import base_config, swift_config
from tests.support.clirun import rotated, run_cli, write_config


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


@pytest.mark.parametrize("text,expect", [
    ("[swiftrotate]\nhots = web01\n", "c.conf, line 2: unknown setting 'hots' in [swiftrotate] (did you mean 'host'?)"),
    ("[swiftrotate]\ndest swift://logs\n", "c.conf, line 2: unknown setting 'dest swift' in [swiftrotate] "
                                            "(did you mean 'dest'?)"),
    ("dest = swift://logs\n", "c.conf, line 1: not valid INI: 'dest = swift://logs' comes before any [section]"),
    ("[swiftrotate]\nhost = a\n\nhost = b\n", "c.conf, line 4: not valid INI: 'host' is set twice in [swiftrotate]"),
    ("[swiftrotate]\nhost = a\n  indented\n[x\n", "c.conf, line 4: not valid INI: '[x' is not a name = value line"),
    ("[swiftrotate]\ndest = swift://logs\n[swift]\nauth_url = http://127.0.0.1:1/auth/v1.0\nsegment_treads = 4\n",
     "c.conf, line 5: unknown swift:// store option 'segment_treads' (did you mean 'segment_threads'?)"),
    ("[swiftrotate]\n[log /var/log/*.log]\nolddri = old\n",
     "c.conf, line 3: setting 'olddri' cannot be set per log in [log /var/log/*.log] (did you mean 'olddir'?)"),
])
def test_config_mistakes_name_the_file_the_line_and_the_likely_setting(tmp_path, text, expect):
    """Issue 14: an INI syntax error gave no file or line, and an unknown
    option named neither the file nor the setting probably meant."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    (tmp_path / "c.conf").write_text(text)
    proc = run_cli("--config", str(tmp_path / "c.conf"), "--state-dir", str(tmp_path / "state"),
                   "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78, proc.stderr
    assert proc.stderr.startswith(f"swiftrotate: error: {tmp_path}/{expect}") and proc.stderr.count("\n") == 1


def test_an_unknown_store_option_in_a_variable_names_the_variable(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = swift_config(tmp_path, "http://127.0.0.1:1/auth/v1.0")
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"),
                   env={"SWIFTROTATE_SWIFT_SEGMENT_TREADS": "4"})
    assert proc.returncode == 78, proc.stderr
    assert "SWIFTROTATE_SWIFT_SEGMENT_TREADS: unknown swift:// store option 'segment_treads' " \
           "(did you mean 'segment_threads'?)" in proc.stderr


def test_missing_config_file_is_78(tmp_path):
    proc = run_cli("--config", str(tmp_path / "nope.conf"), "upload", "/var/log/x.log")
    assert proc.returncode == 78 and "does not exist" in proc.stderr


def test_world_readable_secret_config_warns(tmp_path):
    cfg = swift_config(tmp_path, "http://127.0.0.1:1/auth/v1.0")
    os.chmod(cfg, 0o644)
    proc = run_cli("--config", cfg, "upload", "--dry-run", str(tmp_path / "logs/app.log"))
    assert "chmod 600" in proc.stderr


def test_unknown_aws_profile_is_a_config_error(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = base_config(tmp_path, dest="s3://bucket")
    cfg["s3"] = {"profile": "nosuchprofile", "endpoint_url": "http://127.0.0.1:9"}
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", str(tmp_path / "logs/app.log"),
                   env={"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")})
    assert proc.returncode == 78, proc.stderr
    assert "'nosuchprofile'" in proc.stderr and "internal error" not in proc.stderr


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
    (tmp_path / "logs/app.log").write_text("live\n")
    proc = run_cli("--config", str(tmp_path), "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 78 and "cannot read config file" in proc.stderr, proc.stderr
    cfg = base_config(tmp_path)
    cfg["swiftrotat"] = {"host": "web02"}
    proc = run_cli("--config", write_config(tmp_path / "c.conf", cfg), "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0 and "[swiftrotat]" in proc.stderr and "a typo?" in proc.stderr


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



@pytest.mark.parametrize("setting, fix", [
    ({"runs_kept": "10O"}, "is not a number"),
    ({"runs_kept": "0"}, "keep at least 1 run record per log"),
    ({"metrics_file": "node/swiftrotate.prom"}, "name a .prom file in the collector's folder"),
    ({"metrics_file": "/var/lib/node_exporter/swiftrotate.txt"}, "name a .prom file in the collector's folder"),
    ({"warn_pending_age": "1 day"}, "write one like 3600, 90m, 36h or 2d"),
    ({"crit_pending_age": "2dd"}, "write one like 3600, 90m, 36h or 2d"),
    ({"warn_spool": "eighty"}, "write one from 0% to 100%"),
    ({"crit_spool": "950%"}, "write one from 0% to 100%"),
    ({"warn_pending_age": "3d"}, "is above crit_pending_age = '2d' (warn before it is critical"),
])
def test_run_record_and_status_settings_are_checked_before_every_run(tmp_path, setting, fix):
    """Finding 14: a typo in runs_kept, metrics_file or a status threshold was a warning on every
    run (the run unrecorded), or nothing until status ran: exit 78 on one line naming the setting,
    the file and line, and the fix, from upload, the gate and status alike."""
    (tmp_path / "logs").mkdir()
    path = write_config(tmp_path / "c.conf", {"swiftrotate": {**base_config(tmp_path)["swiftrotate"], **setting}})
    name = list(setting)[0]
    line = next(n for n, text in enumerate((tmp_path / "c.conf").read_text().splitlines(), 1)
                if text.startswith(name + " "))
    for args in (["upload", str(tmp_path / "logs/app.log")], ["gate", str(tmp_path / "logs/app.log-20261125")],
                 ["status"]):
        proc = run_cli("--config", path, *args)
        assert proc.returncode == 78, (args, proc.stderr)
        assert proc.stderr.startswith(f"swiftrotate: error: {path}, line {line}: setting {name} = "), proc.stderr
        assert fix in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
