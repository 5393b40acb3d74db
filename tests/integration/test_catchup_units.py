"""The catch-up examples: examples/systemd/ must pass systemd's own checker
(Debian's systemd-analyze, installed by scripts/test), and the cron line must
be a valid /etc/cron.d line running the same sweep."""
import pathlib
import shlex
import shutil
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
UNITS = ("swiftrotate-catchup.service", "swiftrotate-catchup.timer")
SHIPPED_BIN = "/usr/local/bin/swiftrotate"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def verify(folder, edit=lambda text: text):
    """systemd-analyze verify on copies of the units, ExecStart pointed at a
    swiftrotate that exists here (verify requires an executable)."""
    command = pathlib.Path(sys.executable).parent / "swiftrotate"
    assert command.exists(), command
    for name in UNITS:
        text = (EXAMPLES / "systemd" / name).read_text()
        (folder / name).write_text(edit(text.replace(SHIPPED_BIN, str(command))))
    # --recursive-errors=no: only our units, not what they pull in (network-online.target)
    return subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", "--recursive-errors=no",
                           *(str(folder / n) for n in UNITS)], capture_output=True, text=True, timeout=120)


def test_systemd_verify_accepts_the_units(tmp_path):
    proc = verify(tmp_path)
    assert (proc.returncode, proc.stderr) == (0, "")


@pytest.mark.parametrize("edit, complaint", [
    (lambda t: t.replace("PrivateTmp=", "PrivatTmp="), "Unknown key 'PrivatTmp'"),
    (lambda t: t.replace("OnCalendar=hourly", "OnCalendar=hourlyy"), "Failed to parse calendar"),
    (lambda t: t.replace("/bin/swiftrotate upload", "/bin/swiftrotat upload"), "is not executable"),
], ids=["unknown-key", "bad-calendar", "missing-binary"])
def test_systemd_verify_reports_a_broken_unit(tmp_path, edit, complaint):
    proc = verify(tmp_path, edit)
    assert complaint in proc.stderr


def exec_start():
    lines = (EXAMPLES / "systemd/swiftrotate-catchup.service").read_text().splitlines()
    (line,) = [l for l in lines if l.startswith("ExecStart=")]
    return shlex.split(line[len("ExecStart="):])


def test_service_is_hardened_as_documented():
    text = (EXAMPLES / "systemd/swiftrotate-catchup.service").read_text()
    for setting in ("ProtectSystem=strict", "PrivateTmp=yes", "StateDirectory=swiftrotate",
                    "ReadWritePaths=/var/log /var/lib/swiftrotate -/var/spool/swiftrotate"):
        assert setting + "\n" in text
    assert exec_start()[:2] == [SHIPPED_BIN, "upload"]


def test_cron_line_runs_the_same_catch_up():
    lines = [l for l in (EXAMPLES / "cron.d/swiftrotate").read_text().splitlines()
             if l.strip() and not l.startswith("#") and "=" not in l.split()[0]]
    (line,) = lines
    fields = line.split(None, 6)
    minute, hour, dom, month, dow, user, command = fields
    assert (hour, dom, month, dow, user) == ("*", "*", "*", "*", "root") and 0 <= int(minute) < 60
    assert "%" not in command  # cron would cut the command there
    subprocess.run(["sh", "-n", "-c", command], check=True)
    argv = shlex.split(command)
    assert argv[:2] == ["swiftrotate", "upload"]
    # the same patterns as the timer's unit; -q only quiets cron's mail
    assert [a for a in argv[2:] if a != "-q"] == exec_start()[2:]
