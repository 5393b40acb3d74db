"""[log ...] sections and olddir: each log found by a pattern gets its own
settings, and a rotation in olddir keeps the key of its live log."""

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config


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
    assert "3 uploaded" in proc.stderr, proc.stderr
    # a dated name in another log's format is never archived, and no longer passes quietly (78)
    assert proc.returncode == 78, proc.stderr
    missed = [line for line in proc.stderr.splitlines() if "looks like a dated rotation" in line]
    assert len(missed) == 2 and any("web.log-2026-11-25 " in x for x in missed) and any(
        "app.log-20261125 " in x for x in missed), proc.stderr
    stored = sorted(p.name for p in (tmp_path / "state/archive").rglob("*.log-*") if p.suffix != ".srmeta")
    assert stored == ["app.log-2026-11-24", "app.log-2026-11-25", "web.log-20261125"]


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

