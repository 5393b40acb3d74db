#!/usr/bin/env python3
"""`swiftrotate status` on a busy host (issue 15: at most 150 ms with 50
logs and 5,000 archived files).

One folder holds LOGS live logs `appNN.log`, each with PER_LOG dateext
rotations (every second one `.gz`) that a real `swiftrotate upload` archived
to a file:// store (so the ledger holds LOGS x PER_LOG files and every log
has run records), plus one rotation per log that is not archived yet, so
every log has a pending file to find. Then `status` runs REPS times, as a
subprocess (interpreter and CLI start-up included, as a monitoring agent
runs it) and in-process (the core alone, commands/status.run); medians are
printed, with the CPU time of the subprocess (the machines are shared).

Everything lives on tmpfs (/dev/shm) unless --dir says otherwise.

    .venv/bin/python benchmarks/bench_status.py                   # 50 x 100, 15 reps
    .venv/bin/python benchmarks/bench_status.py --logs 200 --per-log 100 --reps 5
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from swiftrotate.commands import status as core  # noqa: E402
from swiftrotate.config import Settings  # noqa: E402


def populate(folder, logs, per_log):
    first = date(2026, 1, 1)
    for n in range(logs):
        live = os.path.join(folder, f"app{n:02d}.log")
        open(live, "w").close()
        for k in range(per_log):
            name = f"{live}-{(first + timedelta(days=k)):%Y%m%d}" + (".gz" if k % 2 else "")
            with open(name, "wb") as f:
                f.write(b"x")
            when = time.time() - (per_log - k) * 86400
            os.utime(name, (when, when))


def timed(args, env):
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    return seconds, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), err


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=50)
    parser.add_argument("--per-log", type=int, default=100)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    opts = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-status-", dir=opts.dir)
    try:
        logs = os.path.join(work, "logs")
        os.mkdir(logs)
        populate(logs, opts.logs, opts.per_log)
        conf = os.path.join(work, "swiftrotate.conf")
        with open(conf, "w") as f:
            f.write(f"[swiftrotate]\ndest = file://{work}/store\nstate_dir = {work}/state\nhost = bench\n"
                    f"settle_seconds = 0\nspool_dir = {work}/spool\n")
        # PYTHONDONTWRITEBYTECODE (set in CI) would recompile every module on every run (+45 ms); an
        # installed swiftrotate has its .pyc from pip, so the tree gets them too
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWIFTROTATE_")
               and k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = ROOT
        start = time.monotonic()
        seconds, _, code, err = timed(["--config", conf, "upload", "-q", os.path.join(logs, "*.log")], env)
        assert code == 0, err
        print(f"setup: {opts.logs} logs x {opts.per_log} rotations archived by one upload in {seconds:.1f}s")
        for n in range(opts.logs):  # one pending rotation per log
            open(os.path.join(logs, f"app{n:02d}.log-20301231"), "w").close()
        walls, cpus = [], []
        for _ in range(opts.reps):
            wall, cpu, code, err = timed(["--config", conf, "status"], env)
            assert code in (0, 1), err
            walls.append(wall)
            cpus.append(cpu)
        floor = sorted(timed(["--version"], env)[:2] for _ in range(opts.reps))[opts.reps // 2]
        settings = Settings(conf)
        cores = []
        for _ in range(opts.reps):
            t = time.monotonic()
            result = core.run(settings)
            cores.append(time.monotonic() - t)
        assert len(result.logs) == opts.logs and all(len(h.pending) == 1 for h in result.logs)
        archived = sum(h.archived_files for h in result.logs)
        print(f"status, {opts.logs} logs, {archived} archived files, {opts.reps} reps (medians):")
        print(f"  command (subprocess, start-up included): {statistics.median(walls) * 1000:.0f} ms wall, "
              f"{statistics.median(cpus) * 1000:.0f} ms CPU (min {min(walls) * 1000:.0f} ms)")
        print(f"  core (commands/status.run, in-process):  {statistics.median(cores) * 1000:.1f} ms")
        print(f"  for scale, `swiftrotate --version` (interpreter + CLI start-up): {floor[0] * 1000:.0f} ms wall, "
              f"{floor[1] * 1000:.0f} ms CPU")
        print(f"  setup took {time.monotonic() - start:.0f}s; load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
