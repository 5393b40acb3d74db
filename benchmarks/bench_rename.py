#!/usr/bin/env python3
"""`swiftrotate rename` at scale: plan and apply for 10k and 100k numbered
files in one folder, through the real command (one subprocess per run, CLI
start-up included), and the 100k/10k ratio: about 10 if the cost grows
linearly with the number of files, about 100 if it grew quadratically.

The folder holds LOGS live logs' rotations `appNNNN.log.K` (every fourth
one `.gz`), K = 1..ROT, the mtime of rotation K being K days ago, so every
file gets its own dateext name: 1000 x 100 for 100k, 100 x 100 for 10k.
Each repetition: `rename --dry-run` (plan only, table to /dev/null), then
`rename` (plan, journal, apply), then `rename --undo` (back to the start
for the next repetition). Medians are printed.

The folder and the journal live on tmpfs (/dev/shm) by default, so the
numbers measure swiftrotate, not this machine's shared disk; --dir puts
them elsewhere (a real disk adds the fsyncs of the journal and folder).

    .venv/bin/python benchmarks/bench_rename.py               # 10k and 100k, 3 reps
    .venv/bin/python benchmarks/bench_rename.py --sizes 10000 --reps 1
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DAY = 86400


def populate(folder, files, per_log=100):
    now = time.time()
    for i in range(files):
        log, k = divmod(i, per_log)
        name = f"app{log:04d}.log.{k + 1}" + (".gz" if k % 4 == 3 else "")
        path = os.path.join(folder, name)
        with open(path, "wb"):
            pass
        when = now - (k + 1) * DAY
        os.utime(path, (when, when))


def run(args, env):
    """Run one command; (wall seconds, CPU seconds of the child, stderr).

    CPU time (user + system, from wait4) is reported next to wall time because
    these machines are shared: under load, wall time also counts other jobs.
    """
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", *args], stdout=subprocess.DEVNULL,
                                stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(f"swiftrotate {' '.join(args)} failed ({proc.returncode}): {text.strip()}")
    return seconds, usage.ru_utime + usage.ru_stime, text


def bench(size, reps, base):
    work = tempfile.mkdtemp(prefix=f"bench-rename-{size}-", dir=base)
    try:
        folder, state = os.path.join(work, "log"), os.path.join(work, "state")
        os.mkdir(folder)
        populate(folder, size)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWIFTROTATE_")}
        env["SWIFTROTATE_STATE_DIR"] = state
        times = {"plan (--dry-run)": [], "plan + apply": [], "undo": []}
        for rep in range(reps):
            journal = os.path.join(state, f"j{rep}.jsonl")
            times["plan (--dry-run)"].append(run(["rename", "--dry-run", "--tz", "UTC", folder], env)[:2])
            wall, cpu, err = run(["rename", "--tz", "UTC", "--journal", journal, folder], env)
            if f"{size} renamed" not in err:
                sys.exit(f"expected {size} renames, got: {err.strip()}")
            times["plan + apply"].append((wall, cpu))
            times["undo"].append(run(["rename", "--undo", journal], env)[:2])
        left = sum(1 for n in os.listdir(folder) if ".log." in n)
        if left != size:
            sys.exit(f"undo left {left} numbered files, expected {size}")
        return {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    finally:
        shutil.rmtree(work)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated file counts (default 10000,100000)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where the test folder and journal go (default /dev/shm, a tmpfs)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"swiftrotate rename, {args.reps} rep(s), medians, folder on {args.dir or tempfile.gettempdir()}, "
          f"{os.cpu_count()} CPUs")
    results = {}
    for size in sizes:
        results[size] = bench(size, args.reps, args.dir)
        print(f"{size:>7} files: " + "  ".join(f"{k} {w:5.2f}s wall {c:5.2f}s CPU"
                                                for k, (w, c) in results[size].items()), flush=True)
    if len(sizes) >= 2:
        small, big = sizes[0], sizes[-1]
        ratios = {k: (results[big][k][0] / results[small][k][0], results[big][k][1] / results[small][k][1])
                  for k in results[big]}
        print(f"ratio {big}/{small} files = {big / small:g}x: " + "  ".join(
            f"{k} {w:.1f}x wall {c:.1f}x CPU" for k, (w, c) in ratios.items()))


if __name__ == "__main__":
    main()
