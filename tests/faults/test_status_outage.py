"""Issue 15, "Done when": a 3-day outage of the real Swift, and of S3 (Swift's
s3api), a fault proxy refusing connections, with each day's hook run and
each check made under faketime on its day (the store is unreachable then,
so no signature sees the faked clock; the runs before and after it use the
real one). status goes degraded, then failing; --nagios WARNING,
then CRITICAL, with the pending age in its perfdata; the .prom file shows
that age rising (and promtool accepts it every day); after the catch-up
everything is healthy and `verify` is clean."""
import json
import re
import subprocess
import sys
import uuid

import pytest

from tests.support.clirun import rotated, run_cli, write_config
from tests.support.lrlab import FAKETIME
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy

DAY = 86400


def at(days_ago, *args):
    """swiftrotate ARGS with the clock `days_ago` days back (faketime)."""
    cmd = [FAKETIME, "-f", f"-{int(days_ago * 24)}h", sys.executable, "-m", "swiftrotate", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return proc


def ages(prom_text):
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'swiftrotate_oldest_pending_age_seconds\{log="([^"]+)"\} (\S+)', prom_text)}


def perf(line, label):
    return float(re.search(rf"'{label}'=([0-9.]+)", line).group(1))


@pytest.mark.parametrize("target", ["swift", "s3"])
def test_three_day_outage_degraded_then_failing_then_healthy(tmp_path, swift_server, target):
    name = "status" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    prom = tmp_path / "node/swiftrotate.prom"
    prom.parent.mkdir()
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        dest, section, backend = behind_proxy(target, swift_server, proxy, name)
        cfg = write_config(tmp_path / "swiftrotate.conf", {
            "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state"), "host": "web01",
                            "settle_seconds": "0", "metrics_file": str(prom), "spool_dir": str(tmp_path / "spool")},
            **section})
        pattern = str(logs / "*.log")
        for name in ("app.log", "web.log"):
            rotated(logs, name, b"live\n", age=0)
        # day 0: all is well
        for name in ("app.log", "web.log"):
            rotated(logs, f"{name}-20261101", f"{name} day 0\n".encode(), age=4 * DAY + 60)
        first = run_cli("--config", cfg, "upload", pattern)
        assert first.returncode == 0, first.stderr
        assert run_cli("--config", cfg, "status").returncode == 0
        # days 1..3 (and today): the store refuses every connection
        proxy.mode = "refuse"
        seen = {}
        for day, days_ago in ((1, 3), (2, 2), (3, 1), (4, 0)):
            for name in ("app.log", "web.log"):
                rotated(logs, f"{name}-202611{day + 1:02d}", f"{name} day {day}\n".encode(), age=days_ago * DAY)
            hook = at(days_ago, "--config", cfg, "upload", pattern)
            assert hook.returncode == 75, hook.stderr  # logrotate keeps the files; the next run retries
            checked = subprocess.run(["promtool", "check", "metrics"], input=prom.read_text(), capture_output=True,
                                     text=True)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            seen[day] = {
                "prom": ages(prom.read_text()),
                "status": at(days_ago, "--config", cfg, "status", "--json"),
                "nagios": at(days_ago, "--config", cfg, "status", "--nagios"),
            }
        # the .prom file: the oldest pending file's age rises a day a day
        app = str(logs / "app.log")
        rising = [seen[day]["prom"][app] for day in (1, 2, 3, 4)]
        assert rising == sorted(rising)
        for day, age in zip((1, 2, 3, 4), rising):
            assert (day - 1) * DAY <= age < (day - 1) * DAY + 600, rising
        # status: degraded (the last run failed; then a file waiting over a day), then failing
        codes = [seen[day]["status"].returncode for day in (1, 2, 3, 4)]
        assert codes == [1, 1, 2, 2], [seen[d]["status"].stdout + seen[d]["status"].stderr for d in seen]
        day2 = json.loads(seen[2]["status"].stdout)
        assert day2["status"] == "degraded"
        assert {d["log"]: d["pending"]["files"] for d in day2["logs"]} == {app: 2, str(logs / "web.log"): 2}
        assert all(d["last_run"]["exit_code"] == 75 for d in day2["logs"])
        assert json.loads(seen[3]["status"].stdout)["status"] == "failing"
        # --nagios: WARNING, then CRITICAL, with the age in the perfdata against 86400;172800
        states = [(seen[day]["nagios"].returncode, seen[day]["nagios"].stdout.split(" - ")[0]) for day in (1, 2, 3, 4)]
        assert states == [(1, "SWIFTROTATE WARNING"), (1, "SWIFTROTATE WARNING"), (2, "SWIFTROTATE CRITICAL"),
                          (2, "SWIFTROTATE CRITICAL")], states
        for day in (2, 3, 4):
            line = seen[day]["nagios"].stdout
            assert (day - 1) * DAY <= perf(line, "oldest_pending_age") < (day - 1) * DAY + 600, line
            assert "s;86400;172800;0;" in line and f"'pending_files'={2 * day};;;0;" in line
        # catch-up: the store is back
        proxy.mode = "pass"
        again = run_cli("--config", cfg, "upload", pattern)
        assert again.returncode == 0, again.stderr
        after = run_cli("--config", cfg, "status", "--json")
        assert after.returncode == 0, after.stdout
        assert all(d["pending"]["files"] == 0 for d in json.loads(after.stdout)["logs"])
        nagios = run_cli("--config", cfg, "status", "--nagios")
        assert nagios.returncode == 0 and nagios.stdout.startswith("SWIFTROTATE OK - ")
        assert set(ages(prom.read_text()).values()) == {0.0}
        assert 'swiftrotate_archived_files_total{log="%s"} 5' % app in prom.read_text()
        verify = run_cli("--config", cfg, "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert "10 checked, 0 missing, 0 broken, 0 differ" in verify.stdout + verify.stderr
    backend.close()
