#!/usr/bin/env python3
"""The no-op hook (issue 13: at most 100 ms on a 1000-file folder).

What logrotate pays every day for every stanza: `swiftrotate upload LOG`
when all of LOG's FILES rotations are already archived. Measured the way it
is deployed: each tree's package is copied into its own venv's
site-packages and compiled (what `pip install .` in scripts/install does for
a pure-Python package; not editable), and that venv's `bin/swiftrotate` runs. The venvs
get their dependencies (click, boto3, ...) from the running interpreter's
site-packages through a .pth line, so nothing is downloaded.

With --old REV, that git revision is installed the same way and the two
run alternately, REPS times each; medians of wall and CPU time, and their
ratio, are printed. Everything lives on tmpfs (/dev/shm) unless --dir says
otherwise; a file:// store.

    .venv/bin/python benchmarks/bench_noop.py                    # this tree, 1000 files, 21 reps
    .venv/bin/python benchmarks/bench_noop.py --old e9de065      # and a revision, side by side
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def populate(folder, files):
    live = os.path.join(folder, "app.log")
    with open(live, "w") as f:
        f.write("live\n")
    first, old = date(2024, 1, 1), time.time() - 86400
    for k in range(files):
        name = f"{live}-{first + timedelta(days=k):%Y%m%d}"
        with open(name, "w") as f:
            f.write(f"line {k}\n")
        os.utime(name, (old, old))
    return live


def install(tree, venv):
    """A venv with `tree` pip-installed into it, its dependencies seen through a .pth line."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    site = subprocess.run([os.path.join(venv, "bin/python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # what pip puts in site-packages for this pure-Python package, with the .pyc it compiles
    shutil.copytree(os.path.join(tree, "swiftrotate"), os.path.join(site, "swiftrotate"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([os.path.join(venv, "bin/python"), "-m", "compileall", "-q", os.path.join(site, "swiftrotate")],
                   check=True)
    # a plain path line: the running venv's packages, without processing its .pth files (the
    # editable finder of a dev install would add ~10 ms that an installed swiftrotate never pays)
    with open(os.path.join(site, "deps.pth"), "w") as f:
        f.write(sysconfig.get_path("purelib") + "\n")
    # the console script pip would write (setup.py: swiftrotate = swiftrotate.cli:main)
    script = os.path.join(venv, "bin/swiftrotate")
    with open(script, "w") as f:
        f.write(f"#!{venv}/bin/python\nimport sys\nfrom swiftrotate.cli import main\nsys.exit(main())\n")
    os.chmod(script, 0o755)
    return script


def timed(argv, env):
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code:
        raise SystemExit(f"{' '.join(argv)} exited {code}: {err[-2000:]}")
    return seconds, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--old", metavar="REV", help="a git revision to run side by side")
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    opts = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-noop-", dir=opts.dir)
    # Under logrotate and cron stderr is no terminal and /dev/log is there: every run logs its
    # summary to syslog. A socket of our own stands in for /dev/log, drained as we go.
    syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    syslog.bind(os.path.join(work, "log"))
    received = []  # drained all along: a sender blocks once 10 datagrams wait (net.unix.max_dgram_qlen)
    threading.Thread(target=_drain, args=(syslog, received), daemon=True).start()
    try:
        trees = {"new": ROOT}
        if opts.old:
            old = os.path.join(work, "old-tree")
            os.mkdir(old)
            archive = subprocess.run(["git", "-C", ROOT, "archive", opts.old], check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", old], input=archive, check=True)
            trees = {f"old ({opts.old})": old, "new": ROOT}
        tools = {name: install(tree, os.path.join(work, f"venv{i}")) for i, (name, tree) in enumerate(trees.items())}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SWIFTROTATE_", "PYTHON"))}
        lines = {}
        for name, tool in tools.items():  # each its own folder, state and store: the same fixture
            folder = os.path.join(work, f"case{len(lines)}")
            os.makedirs(os.path.join(folder, "logs"))
            live = populate(os.path.join(folder, "logs"), opts.files)
            conf = os.path.join(folder, "swiftrotate.conf")
            with open(conf, "w") as f:
                f.write(f"[swiftrotate]\ndest = file://{folder}/store\nstate_dir = {folder}/state\nhost = bench\n"
                        f"settle_seconds = 0\nspool_dir = {folder}/spool\nsyslog_socket = {syslog.getsockname()}\n")
            timed([tool, "--config", conf, "upload", "-q", live], env)  # archives them all
            lines[name] = [tool, "--config", conf, "upload", live]
        walls = {name: [] for name in lines}
        cpus = {name: [] for name in lines}
        floor, before = [], len(received)
        python = os.path.join(os.path.dirname(tools["new"]), "python")
        for _ in range(opts.reps):
            for name, argv in lines.items():
                wall, cpu = timed(argv, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
            floor.append(timed([python, "-c", "pass"], env)[0])
        print(f"no-op `swiftrotate upload LOG`, {opts.files} rotations all archived, installed (not editable), "
              f"{opts.reps} reps alternating, medians:")
        for name in lines:
            print(f"  {name:24} {statistics.median(walls[name]) * 1000:6.1f} ms wall  "
                  f"{statistics.median(cpus[name]) * 1000:6.1f} ms CPU  (min {min(walls[name]) * 1000:.1f} ms)")
        if opts.old:
            old_name = next(iter(lines))
            print(f"  new / old: wall {statistics.median(walls['new']) / statistics.median(walls[old_name]):.2f}, "
                  f"CPU {statistics.median(cpus['new']) / statistics.median(cpus[old_name]):.2f}")
        print(f"  syslog lines received during the timed runs: {len(received) - before} (one summary per run)")
        print(f"  floor, the venv's `python -c pass`: {statistics.median(floor) * 1000:.1f} ms; "
              f"load average {os.getloadavg()[0]:.1f}")
    finally:
        syslog.close()
        shutil.rmtree(work, ignore_errors=True)


def _drain(sock, received):
    while True:
        try:
            received.append(sock.recv(65536))
        except OSError:  # closed
            return


if __name__ == "__main__":
    main()
