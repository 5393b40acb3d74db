"""The randomized soak of issue 11 (tests/soak_lab.py): 20 simulated days of
real logrotate with lost answers, resets, stalls, 503s, outages, kill -9 of
hooks, two hooks at once and `upload --remove` from cron, on Swift and on S3
(Swift's s3api) behind the same FaultProxy; then a pass-through catch-up
and the invariant (nothing lost, nothing twice, no broken or partial
object, no leftovers, the spool drained).

The seed is printed; replay a failure with SOAK_SEED=<seed> (SOAK_DAYS and
SOAK_BIG_MB change the size). benchmarks/soak.py runs longer rounds.
"""
import os
import random

import pytest

from soak_lab import run_soak


@pytest.mark.parametrize("target", ["swift", "s3"])
def test_soak(tmp_path, swift_server, target):
    seed = int(os.environ.get("SOAK_SEED") or random.SystemRandom().randrange(1 << 32))
    days = int(os.environ.get("SOAK_DAYS") or 20)
    big_mb = float(os.environ.get("SOAK_BIG_MB") or 6)
    run_soak(swift_server, target, seed, days, tmp_path, big_mb=big_mb)
