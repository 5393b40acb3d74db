#!/usr/bin/env python3
"""The randomized soak of issue 11, longer than CI's: rounds of simulated
logrotate days with faults, kill -9 and concurrent hooks, each round with a
new seed, against the tests' own real Swift (tempauth + s3api). The soak
itself lives in tests/support/soak_lab.py (what tests/faults/test_soak.py runs).

    .venv/bin/python benchmarks/soak.py --rounds 5 --days 40 --store s3
    .venv/bin/python benchmarks/soak.py --seed 1234 --days 20 --store swift   # replay one
Exit 1 if any round broke the invariant; each failure prints its seed.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.support.servers import SwiftServer  # noqa: E402  (the tests' real Swift)
from tests.support.soak_lab import run_soak  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="soaks to run, each with a new seed (default 1)")
    parser.add_argument("--days", type=int, default=30, help="simulated days per round (default 30)")
    parser.add_argument("--store", choices=["swift", "s3", "both"], default="both")
    parser.add_argument("--seed", type=int, help="seed of the first round (later rounds: seed+1, ...)")
    parser.add_argument("--big-mb", type=float, default=10, help="MB written to the big log per day (default 10)")
    parser.add_argument("--keep", action="store_true",
                        help="keep each round's folder (logs, ledger, hook.log); a failed round's is always kept")
    args = parser.parse_args()
    first = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    stores = ["swift", "s3"] if args.store == "both" else [args.store]
    failed = []
    server = SwiftServer().start()
    try:
        for n in range(args.rounds):
            seed = first + n
            for store in stores:
                folder = tempfile.mkdtemp(prefix=f"soak-{store}-{seed}-")
                start = time.monotonic()
                keep = args.keep
                try:
                    run_soak(server, store, seed, args.days, folder, big_mb=args.big_mb)
                    print(f"round {n + 1} {store} seed {seed}: ok, {time.monotonic() - start:.0f}s", flush=True)
                except AssertionError as exc:
                    failed.append((store, seed))
                    keep = True  # its logs, ledger and hook.log explain the failure
                    print(f"round {n + 1} {store} seed {seed}: FAILED, {time.monotonic() - start:.0f}s\n{exc}",
                          flush=True)
                finally:
                    if keep:
                        print(f"  kept {folder}")
                    else:
                        shutil.rmtree(folder, ignore_errors=True)
    finally:
        server.stop()
    print(f"soak: {args.rounds} round(s) x {len(stores)} store(s), {len(failed)} failed"
          + (": " + ", ".join(f"{s} seed {d}" for s, d in failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
