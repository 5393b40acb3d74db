"""Issue 15: run records, `status` (table, --json, exit codes), `--nagios`
checked by the Monitoring Plugins' own tools and by pynag's and
nagiosplugin's parsers, and the Prometheus metrics checked by promtool."""
import fcntl
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config
from swiftrotate.ledger import Ledger
from swiftrotate.nagios import parse_range

PLUGINS = pathlib.Path("/usr/lib/nagios/plugins")
ROOT = pathlib.Path(__file__).resolve().parents[2]
DAY = 86400


def conf(tmp_path, **general):
    cfg = base_config(tmp_path, spool_dir=str(tmp_path / "spool"), metrics_file=str(tmp_path / "node/sr.prom"),
                      **general)
    (tmp_path / "node").mkdir(exist_ok=True)
    return write_config(tmp_path / "swiftrotate.conf", cfg)


def ledger(tmp_path):
    return Ledger(str(tmp_path / "state/ledger.sqlite"))


def status(cfg, *args):
    return run_cli("--config", cfg, "status", *args)


def test_each_upload_run_leaves_one_row_per_log_and_history_is_bounded(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"a" * 100)
    rotated(logs, "app.log-20261102.gz", b"b" * 50)
    rotated(logs, "web.log-20261102", b"c" * 7)
    cfg = conf(tmp_path, runs_kept="3")
    for _ in range(5):
        proc = run_cli("--config", cfg, "upload", str(logs / "*.log"))
        assert proc.returncode == 0, proc.stderr
    db = ledger(tmp_path)
    app = db.runs(str(logs / "app.log"))
    assert len(app) == 3  # runs_kept
    first = db.runs(str(logs / "web.log"))[-1]
    assert [r["archived_files"] for r in app] == [0, 0, 0]
    totals = db.log_totals()
    assert totals[str(logs / "app.log")]["archived_files"] == 2
    assert totals[str(logs / "app.log")]["archived_bytes"] == 150
    assert totals[str(logs / "app.log")]["newest_stamp"] == "-20261102"
    assert totals[str(logs / "web.log")]["archived_bytes"] == 7
    assert first["kind"] == "upload" and first["exit_code"] == 0 and first["error"] is None
    assert first["started_at"] <= first["ended_at"] <= time.time()
    db.close()


def test_a_run_that_ends_in_an_exception_is_recorded_with_its_exit_code(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"a")
    cfg = conf(tmp_path, lock_timeout="0")
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    with open(tmp_path / "state/lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run holds the lock: LockBusy, exit 75
        proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert proc.returncode == 75, proc.stderr
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert run["exit_code"] == 75
    assert "another swiftrotate holds" in run["error"]
    doc = json.loads(status(cfg, "--json").stdout)
    assert doc["logs"][0]["last_run"]["exit_code"] == 75
    assert doc["logs"][0]["status"] == "degraded" and doc["exit_code"] == 1


def test_a_pattern_naming_nothing_is_recorded_under_its_own_name(tmp_path):
    cfg = conf(tmp_path)
    (tmp_path / "logs").mkdir()
    typo = str(tmp_path / "logs/nginx/acess.log")
    assert run_cli("--config", cfg, "upload", typo).returncode == 66
    run = ledger(tmp_path).runs(typo)[0]
    assert run["exit_code"] == 66 and "no folder" in run["error"]


def test_status_pending_ages_and_exit_codes(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"old")
    rotated(logs, "web.log-20261101", b"old")
    cfg = conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "*.log")).returncode == 0
    proc = status(cfg)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "app.log" in proc.stdout and "-20261101" in proc.stdout
    rotated(logs, "app.log-20261102", b"x" * 10, age=int(1.5 * DAY))  # waiting 36 h: degraded
    doc = json.loads(status(cfg, "--json").stdout)
    app = {d["log"]: d for d in doc["logs"]}[str(logs / "app.log")]
    assert app["pending"]["files"] == 1 and app["pending"]["bytes"] == 10
    assert 1.4 * DAY < app["pending"]["oldest_age_seconds"] < 1.6 * DAY
    assert app["status"] == "degraded" and doc["exit_code"] == 1
    assert status(cfg).returncode == 1
    assert status(cfg, str(logs / "web.log")).returncode == 0  # PATTERNS narrow it
    rotated(logs, "app.log-20261103", b"y", age=3 * DAY)
    assert status(cfg).returncode == 2
    assert json.loads(status(cfg, "--json").stdout)["status"] == "failing"
    # the thresholds are settings
    lenient = write_config(tmp_path / "lenient.conf", base_config(
        tmp_path, spool_dir=str(tmp_path / "spool"), warn_pending_age="4d", crit_pending_age="1w"))
    assert status(lenient).returncode == 0
    # once archived, healthy again
    assert run_cli("--config", cfg, "upload", str(logs / "*.log")).returncode == 0
    assert status(cfg).returncode == 0


def test_a_run_with_a_wrong_dateformat_does_not_hide_what_it_missed(tmp_path):
    """Each run records its layout, and status searches the recorded ones: a
    run given a wrong --dateformat (it finds nothing, and fails) must not
    make status count the files it missed as archived."""
    logs = tmp_path / "logs"
    (logs / "app.log").parent.mkdir(parents=True)
    (logs / "app.log").write_text("live\n")
    rotated(logs, "app.log-20261201", b"a", age=3 * DAY)
    rotated(logs, "app.log-20261202", b"b", age=3 * DAY)
    cfg = conf(tmp_path)
    assert run_cli("--config", cfg, "upload", "--dateformat", "%Y%m", str(logs / "app.log")).returncode != 0
    doc = json.loads(status(cfg, "--json").stdout)
    assert doc["logs"][0]["pending"]["files"] == 2 and doc["exit_code"] == 2, doc
    assert "CRITICAL" in status(cfg, "--nagios").stdout


def test_logrotates_gzip_of_an_archived_rotation_is_not_pending(tmp_path):
    logs = tmp_path / "logs"
    plain = rotated(logs, "app.log-20261101", b"z" * 1000, age=3 * DAY)
    cfg = conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    subprocess.run(["gzip", str(plain)], check=True)  # what logrotate's compress does after postrotate
    doc = json.loads(status(cfg, "--json").stdout)
    assert doc["logs"][0]["pending"]["files"] == 0 and doc["exit_code"] == 0


def test_conflict_and_spool_show_in_status(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"ours")
    archive = tmp_path / "state/archive/web01" / str(logs).lstrip("/")
    archive.mkdir(parents=True)
    (archive / "app.log-20261101").write_bytes(b"someone else's")
    cfg = conf(tmp_path, spool_cap="100")
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 65
    doc = json.loads(status(cfg, "--json").stdout)
    assert doc["logs"][0]["conflicts"] == 1 and doc["logs"][0]["status"] == "degraded"
    assert "conflict" in " ".join(doc["logs"][0]["reasons"])
    assert f'swiftrotate_conflicts{{log="{logs}/app.log"}} 1' in (tmp_path / "node/sr.prom").read_text()


def test_gate_runs_are_recorded_and_spooled_files_count(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"a" * 90, age=2 * 3600)
    cfg = conf(tmp_path, spool_cap="100", dest="file:///proc/no-such-store")
    proc = run_cli("--config", cfg, "gate", str(logs / "app.log-20261101"))
    assert proc.returncode == 0, proc.stderr  # spooled, deletion allowed
    os.unlink(logs / "app.log-20261101")  # as logrotate does
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert run["kind"] == "gate" and run["exit_code"] == 0
    # exit 0, yet nothing archived: an outage must not look like a success (the alert rule reads it)
    assert ledger(tmp_path).log_totals()[str(logs / "app.log")]["last_success"] is None
    doc = json.loads(status(cfg, "--json").stdout)
    assert doc["spool"] == {"files": 1, "bytes": 90, "cap_bytes": 100, "percent": 90.0}
    assert doc["logs"][0]["pending"]["spooled_files"] == 1
    assert 1.9 * 3600 < doc["logs"][0]["pending"]["oldest_age_seconds"] < 2.1 * 3600
    assert doc["status"] == "degraded"  # spool 90% > warn_spool 80%
    rotated(logs, "app.log-20261102", b"b" * 20)
    assert run_cli("--config", cfg, "gate", str(logs / "app.log-20261102")).returncode == 1  # spool full: veto
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert run["exit_code"] == 1 and run["failed_files"] == 1 and "spool" in run["error"]
    # the store is back: the upload archives the spool first, and counts it for its log
    back = conf(tmp_path, spool_cap="100")
    assert run_cli("--config", back, "upload", str(logs / "app.log")).returncode == 0
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert (run["kind"], run["exit_code"], run["archived_files"], run["archived_bytes"]) == ("upload", 0, 2, 110)
    doc = json.loads(status(back, "--json").stdout)
    assert doc["spool"]["files"] == 0 and doc["logs"][0]["pending"]["files"] == 0 and doc["exit_code"] == 0
    rotated(logs, "app.log-20261103", b"c" * 30)
    assert run_cli("--config", back, "gate", str(logs / "app.log-20261103")).returncode == 0  # archived now
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert (run["kind"], run["archived_files"], run["archived_bytes"]) == ("gate", 1, 30)
    assert ledger(tmp_path).log_totals()[str(logs / "app.log")]["last_success"] == run["ended_at"]
    assert ledger(tmp_path).log_totals()[str(logs / "app.log")]["newest_stamp"] == "-20261103"



def test_extension_rotations_are_recorded_under_their_log_with_their_stamp(tmp_path):
    """Under `extension .log` app.log rotates to app-20261101.log: the gate's record and an
    upload given the rotated file ($2) are app.log's, with the stamp; before, the upload recorded
    app-20261102.log as a log of its own, and the gate's stamp was lost."""
    logs = tmp_path / "logs"
    rotated(logs, "app-20261101.log", b"a" * 90, age=2 * 3600)
    down = conf(tmp_path, extension=".log", dest="file:///proc/no-such-store")
    assert run_cli("--config", down, "gate", str(logs / "app-20261101.log")).returncode == 0  # spooled
    os.unlink(logs / "app-20261101.log")  # as logrotate does
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert (run["kind"], run["extension"]) == ("gate", ".log")
    doc = json.loads(status(down, "--json").stdout)
    assert [(d["log"], d["pending"]["spooled_files"]) for d in doc["logs"]] == [(str(logs / "app.log"), 1)], doc
    back = conf(tmp_path, extension=".log")
    rotated(logs, "app-20261102.log", b"b" * 20)
    proc = run_cli("--config", back, "upload", str(logs / "app-20261102.log"))
    assert proc.returncode == 0, proc.stderr
    rotated(logs, "app-20261103.log", b"c" * 30)
    assert run_cli("--config", back, "gate", str(logs / "app-20261103.log")).returncode == 0  # archived
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert (run["kind"], run["archived_files"], run["archived_bytes"]) == ("gate", 1, 30)
    assert ledger(tmp_path).log_totals()[str(logs / "app.log")]["newest_stamp"] == "-20261103"
    doc = json.loads(status(back, "--json").stdout)
    assert [d["log"] for d in doc["logs"]] == [str(logs / "app.log")], doc
    assert doc["logs"][0]["archived_files_total"] == 3 and doc["logs"][0]["pending"]["files"] == 0, doc
    assert doc["exit_code"] == 0, doc

# --- --nagios -----------------------------------------------------------------------------------

PERF = re.compile(r"'(?P<label>[^']+)'=(?P<value>[-0-9.]+)(?P<uom>[a-zA-Z%]*);(?P<warn>[^;]*);(?P<crit>[^;]*);"
                  r"(?P<min>[^;]*);(?P<max>[^; ]*)")


def nagios_setup(tmp_path, age):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"x")
    cfg = conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    if age is not None:
        rotated(logs, "app.log-20261102", b"y" * 42, age=age)
    return cfg


@pytest.mark.parametrize("age, state, code", [(None, "OK", 0), (int(1.5 * DAY), "WARNING", 1),
                                              (3 * DAY, "CRITICAL", 2)])
def test_nagios_line_follows_the_guidelines(tmp_path, age, state, code):
    import nagiosplugin
    from pynag.Utils import PluginOutput

    cfg = nagios_setup(tmp_path, age)
    proc = status(cfg, "--nagios")
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert proc.stderr == "" and proc.stdout.count("\n") == 1
    assert proc.stdout.startswith(f"SWIFTROTATE {state} - ")
    parsed = PluginOutput(proc.stdout.strip())  # pynag's parser, as Nagios tools read plugins
    metrics = {m.label: m for m in parsed.parsed_perfdata.metrics}
    assert all(m.is_valid() for m in metrics.values()), [str(m) for m in metrics.values()]
    age_metric = metrics["oldest_pending_age"]
    assert age_metric.uom == "s" and (age_metric.warn, age_metric.crit) == ("86400", "172800")
    assert abs(float(age_metric.value) - (age or 0)) < 60
    assert metrics["spool_used"].uom == "%" and metrics["spool_used"].max == "100"
    assert metrics["pending_bytes"].value == ("42" if age else "0") and metrics["pending_bytes"].uom == "B"
    # nagiosplugin writes the same perfdata token for the same figures, and reads the same ranges
    for token in proc.stdout.split("|", 1)[1].split():
        m = PERF.fullmatch(token)
        assert m, token
        for field in ("warn", "crit"):
            if m.group(field):
                assert str(nagiosplugin.Range(m.group(field))) == m.group(field)
        value = float(m.group("value"))
        perf = nagiosplugin.Performance(m.group("label"), int(value) if value.is_integer() else value,
                                        m.group("uom"), m.group("warn") or None, m.group("crit") or None,
                                        m.group("min") or None, m.group("max") or None)
        # nagiosplugin quotes a label only where it must (a space); the guidelines allow quotes on any
        assert str(perf).rstrip(";") == token.replace("'", "", 2).rstrip(";"), (str(perf), token)


def test_nagios_thresholds_take_ranges(tmp_path):
    cfg = nagios_setup(tmp_path, 2 * 3600)
    assert status(cfg, "--nagios", "-w", "3600", "-c", "7200:").returncode == 1  # 2 h > 3600
    assert status(cfg, "--nagios", "-w", "3600", "-c", "10000:").returncode == 2  # 2 h < 10000: outside 10000:
    assert status(cfg, "--nagios", "-w", "@0:10", "-c", "~:99999").returncode == 0
    proc = status(cfg, "--nagios", "-w", ",0.0", "-c", "99999,99")  # spool 0% > 0.0? no: ok
    assert proc.returncode == 0 and "'spool_used'=0%;0.0;99;0;100" in proc.stdout
    assert status(cfg, "--nagios", "-w", ",@0:0").returncode == 1  # spool use inside 0:0


def test_nagios_runs_under_the_monitoring_plugins_negate(tmp_path):
    """negate (monitoring-plugins-basic) reads a plugin's state from its exit
    code and its text: mapping WARNING to CRITICAL and substituting it."""
    cfg = nagios_setup(tmp_path, int(1.5 * DAY))
    cmd = [str(PLUGINS / "negate"), "-t", "60", "-s", "-w", "CRITICAL", sys.executable, "-m", "swiftrotate",
           "--config", cfg, "status", "--nagios"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout.startswith("SWIFTROTATE CRITICAL - ") and "'oldest_pending_age'=" in proc.stdout


def test_nagios_unknown_never_a_traceback(tmp_path):
    cfg = nagios_setup(tmp_path, None)
    bad_config = tmp_path / "bad.conf"
    bad_config.write_text("[swiftrotate]\nnot an ini line\n")
    empty = write_config(tmp_path / "empty.conf", base_config(tmp_path / "elsewhere"))
    for args in (["--config", cfg, "status", "--nagios", "-w", "1:2:3"],
                 ["--config", cfg, "status", "--nagios", "--no-such-option"],
                 ["--config", str(bad_config), "status", "--nagios"],
                 ["--config", empty, "status", "--nagios"]):
        proc = run_cli(*args)
        assert proc.returncode == 3, (args, proc.stdout, proc.stderr)
        assert proc.stdout.startswith("SWIFTROTATE UNKNOWN - ") and proc.stdout.count("\n") == 1, proc.stdout
        assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("spec", ["10", "10:", "~:10", "10:20", "@10:20", "@~:5", "0.5:1.5", "-5:5"])
def test_ranges_alert_exactly_as_utils_sh_check_range(spec):
    """utils.sh (monitoring-plugins-basic) ships the reference check_range."""
    values = [-10, -5, 0, 0.5, 1.5, 5, 9.99, 10, 10.01, 15, 20, 20.5, 100]
    script = ". /usr/lib/nagios/plugins/utils.sh; for v in " + " ".join(map(str, values)) + \
             f"; do if check_range $v '{spec}'; then echo 1; else echo 0; fi; done"
    theirs = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.split()
    ours = ["1" if parse_range(spec).alerts(v) else "0" for v in values]
    assert ours == theirs


# --- Prometheus -------------------------------------------------------------------------------

def promtool(*args, stdin=None):
    return subprocess.run(["promtool", *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_metrics_file_is_rewritten_by_each_run_and_passes_promtool(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, 'we"ird.log-20261101', b"q" * 5)
    rotated(logs, "app.log-20261101", b"a" * 3)
    cfg = conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "*.log")).returncode == 0
    prom = tmp_path / "node/sr.prom"
    first = prom.stat().st_ino
    text = prom.read_text()
    checked = promtool("check", "metrics", stdin=text)
    assert checked.returncode == 0 and checked.stdout + checked.stderr == "", checked.stdout + checked.stderr
    for name in ("swiftrotate_last_run_timestamp_seconds", "swiftrotate_last_success_timestamp_seconds",
                 "swiftrotate_last_run_exit_code", "swiftrotate_pending_files", "swiftrotate_pending_bytes",
                 "swiftrotate_oldest_pending_age_seconds", "swiftrotate_spool_bytes", "swiftrotate_spool_cap_bytes",
                 "swiftrotate_archived_bytes_total", "swiftrotate_archived_files_total", "swiftrotate_conflicts"):
        assert f"# HELP {name} " in text and f"# TYPE {name} " in text
    assert f'swiftrotate_archived_bytes_total{{log="{logs}/we\\"ird.log"}} 5' in text
    assert "# TYPE swiftrotate_archived_files_total counter" in text
    rotated(logs, "app.log-20261102", b"b" * 4, age=600)
    assert run_cli("--config", cfg, "upload", "--dry-run", str(logs / "app.log")).returncode == 0
    assert prom.stat().st_ino == first  # a dry run records nothing
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    assert prom.stat().st_ino != first  # replaced by rename, not rewritten in place
    assert f'swiftrotate_archived_bytes_total{{log="{logs}/app.log"}} 7' in prom.read_text()
    assert sorted(os.listdir(tmp_path / "node")) == ["sr.prom"]  # no temp file left
    printed = status(cfg, "--prometheus")
    assert printed.returncode == 0
    assert promtool("check", "metrics", stdin=printed.stdout).returncode == 0
    strip = lambda t: [line for line in t.splitlines() if "_timestamp_" not in line and "age_seconds{" not in line]
    assert strip(printed.stdout) == strip(prom.read_text())


def test_example_alert_rules_pass_promtool_and_fire(tmp_path):
    rules = ROOT / "examples/prometheus/swiftrotate.rules.yml"
    checked = promtool("check", "rules", str(rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = ROOT / "examples/prometheus/swiftrotate.rules.test.yml"
    proc = promtool("test", "rules", str(tests))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_status_loads_no_store_client(tmp_path):
    cfg = nagios_setup(tmp_path, None)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "swiftrotate", "--config", cfg, "status"],
                          capture_output=True, text=True)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "click" in imported
    assert not imported & {"boto3", "botocore", "swiftclient", "requests", "urllib3"}


def test_an_unwritable_metrics_file_is_a_warning_not_a_failed_run(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261101", b"a")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, metrics_file=str(tmp_path / "no/such/x.prom")))
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0, proc.stderr
    assert "cannot write metrics_file" in proc.stderr and "create its folder" in proc.stderr
    assert ledger(tmp_path).runs(str(tmp_path / "logs/app.log"))[0]["exit_code"] == 0  # the record is made first


def test_status_reads_a_corrupt_ledger_without_touching_it(tmp_path):
    """status only reads: a corrupt ledger is named (74; UNKNOWN for --nagios), never set aside and
    replaced by an empty one that would then read as 'no run recorded'."""
    cfg = conf(tmp_path)
    path = tmp_path / "state/ledger.sqlite"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a database at all\n" * 100)
    proc = status(cfg)
    assert proc.returncode == 74 and f"cannot read the ledger {path}" in proc.stderr, proc.stderr
    nagios = status(cfg, "--nagios")
    assert nagios.returncode == 3 and nagios.stdout.startswith("SWIFTROTATE UNKNOWN"), nagios.stdout
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.sqlite"]
    assert path.read_bytes() == b"not a database at all\n" * 100


def test_a_log_whose_name_is_not_utf8_has_its_runs_recorded_and_shown(tmp_path):
    """Finding 9: SQLite refused the name, so such a log's failing runs (its key cannot hold the
    name) were never recorded and status said nothing of it."""
    logs = tmp_path / "logs"
    logs.mkdir()
    name = os.fsdecode(b"caf\xe9.log")
    rotated(logs, "app.log-20261101", b"a")
    for bad in (b"caf\xe9.log-20261101", b"caf\xe9.log"):
        with open(os.path.join(os.fsencode(logs), bad), "wb") as f:
            f.write(b"b")
    (logs / "app.log").write_bytes(b"live")
    cfg = conf(tmp_path)
    proc = run_cli("--config", cfg, "upload", str(logs / "*.log"))
    assert proc.returncode == 65, proc.stderr  # the key cannot hold the name
    assert ledger(tmp_path).runs(os.path.join(str(logs), name))[0]["exit_code"] == 65
    doc = json.loads(status(cfg, "--json").stdout)
    shown = {d["log"]: d for d in doc["logs"]}
    assert shown[os.path.join(str(logs), name)]["status"] == "degraded", shown
    assert shown[os.path.join(str(logs), name)]["pending"]["files"] == 1, shown
    table = status(cfg)
    assert table.returncode == 1 and f"{logs}/caf\\xe9.log" in table.stdout, table.stdout + table.stderr
    nagios = status(cfg, "--nagios")
    assert nagios.returncode == 1 and f"{logs}/caf\\xe9.log: last upload exited 65" in nagios.stdout, nagios.stdout
    prom = (tmp_path / "node/sr.prom").read_text()
    assert f'swiftrotate_last_run_exit_code{{log="{logs}/caf\\\\xe9.log"}} 65' in prom, prom
    assert f'swiftrotate_last_run_exit_code{{log="{logs}/caf\\\\xe9.log"}} 65' in \
        run_cli("--config", cfg, "status", "--prometheus").stdout
    assert sorted(shown) == [str(logs / "app.log"), os.path.join(str(logs), name)], sorted(shown)


@pytest.mark.parametrize("mode, code", [("spool", 0), ("veto", 1)])
def test_a_conflict_the_gate_meets_is_counted_in_its_run_record(tmp_path, mode, code):
    """Review: the gate's record counted no conflicts, so a file whose key holds other bytes looked
    merely spooled (or failed): status and the metrics file now say conflict, as for upload."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"ours")
    archive = tmp_path / "state/archive/web01" / str(logs).lstrip("/")
    archive.mkdir(parents=True)
    (archive / "app.log-20261101").write_bytes(b"someone else's")
    cfg = conf(tmp_path)
    proc = run_cli("--config", cfg, "gate", "--mode", mode, str(logs / "app.log-20261101"))
    assert proc.returncode == code, proc.stderr
    run = ledger(tmp_path).runs(str(logs / "app.log"))[0]
    assert (run["kind"], run["conflict_files"], run["conflict_bytes"], run["failed_files"]) == ("gate", 1, 4, 0), run
    doc = json.loads(status(cfg, "--json").stdout)
    assert doc["logs"][0]["conflicts"] == 1 and "1 conflict(s)" in doc["logs"][0]["reasons"], doc
    assert f'swiftrotate_conflicts{{log="{logs}/app.log"}} 1' in (tmp_path / "node/sr.prom").read_text()


def test_a_run_the_ledger_refuses_to_record_is_a_warning_naming_the_log(tmp_path):
    """Finding 9's other half: a record SQLite refused (here a trigger stands in for a full disk)
    went unsaid, so status quietly showed an older run as the last."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"a")
    cfg = conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    db = ledger(tmp_path)
    db.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    db.close()
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert f"disk full: this run of {logs}/app.log is not on record, so status does not show it" in proc.stderr, \
        proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_a_run_that_fails_on_a_typo_in_runs_kept_is_recorded_all_the_same(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"a")
    proc = run_cli("--config", conf(tmp_path, runs_kept="1OO"), "upload", str(logs / "app.log"))
    assert proc.returncode == 78 and proc.stderr.count("\n") == 1, proc.stderr
    assert ledger(tmp_path).runs(str(logs / "app.log"))[0]["exit_code"] == 78
    assert (tmp_path / "node/sr.prom").exists()


def test_a_metrics_file_that_is_a_typo_is_not_written(tmp_path):
    """A relative metrics_file fails the run (78), and its record is not written to the path
    relative to wherever logrotate or cron happened to run us."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261101", b"a")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, metrics_file="node/sr.prom"))
    (tmp_path / "node").mkdir()
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"), cwd=tmp_path)
    assert proc.returncode == 78 and "metrics_file" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert ledger(tmp_path).runs(str(logs / "app.log"))[0]["exit_code"] == 78
    assert not (tmp_path / "node/sr.prom").exists()
