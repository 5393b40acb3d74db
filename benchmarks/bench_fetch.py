#!/usr/bin/env python3
"""fetch benchmark against the tests' real Swift.

  range   365 daily archives of 1 MiB of one log, in a container that also holds
          --others unrelated objects (default 10,000, loaded in one bulk request):
          `swiftrotate fetch LOG --since .. --until .. -o DIR`  vs
          `swift download --prefix PREFIX` (the peer's best case: only those 365
          objects are under its prefix, and it downloads all of them).
  stream  one gzip'd log of --stream-mib MiB uncompressed:
          `swiftrotate fetch ... --stdout --decompress > /dev/null`  vs
          `gzip -dc FILE > /dev/null` on the same file already on local disk.
Tools alternate inside each repetition; medians, ratios and peak RSS are printed.

    .venv/bin/python benchmarks/bench_fetch.py               # full
    .venv/bin/python benchmarks/bench_fetch.py --others 500 --reps 1   # quick
"""
import argparse
import gzip
import hashlib
import io
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
from datetime import date, timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
from bench import base_env, measure  # noqa: E402
from tests.support.servers import SwiftServer  # noqa: E402

BIN = os.path.dirname(os.path.abspath(sys.executable))
MIB = 1024 * 1024
LOG = "/var/log/app.log"
FIRST = date(2025, 11, 1)


def load(swift, container, others, days):
    import swiftclient

    conn = swiftclient.Connection(authurl=swift.auth_url, user=swift.user, key=swift.key)
    conn.put_container(container)
    if others:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for i in range(others):
                info = tarfile.TarInfo(f"{'a' if i % 2 else 'z'}host/var/log/other-{i:05d}.log-20261101")
                info.size = 1
                tar.addfile(info, io.BytesIO(b"x"))
        conn.put_object(container, "", buf.getvalue(), query_string="extract-archive=tar")
    block = os.urandom(MIB)
    for n in range(days):
        data = block[n:] + block[:n]  # distinct content, same size
        meta = {"X-Object-Meta-Sha256": hashlib.sha256(data).hexdigest(), "X-Object-Meta-Size": str(MIB)}
        stamp = (FIRST + timedelta(days=n)).strftime("-%Y%m%d")
        conn.put_object(container, f"web01{LOG}{stamp}", data, headers=meta)
    conn.close()


def load_stream(swift, container, work, mib):
    import swiftclient

    line = b"203.0.113.7 - - [03/Nov/2026:10:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 612 \"-\" \"curl\"\n"
    raw = line * (mib * MIB // len(line))
    packed = gzip.compress(raw, compresslevel=6)
    path = os.path.join(work, "stream.gz")
    with open(path, "wb") as f:
        f.write(packed)
    conn = swiftclient.Connection(authurl=swift.auth_url, user=swift.user, key=swift.key)
    meta = {"X-Object-Meta-Sha256": hashlib.sha256(packed).hexdigest(), "X-Object-Meta-Size": str(len(packed))}
    conn.put_object(container, "web01/var/log/stream.log-20261103.gz", packed, headers=meta)
    conn.close()
    return path, len(raw)


def config(work, swift, container):
    path = os.path.join(work, "swiftrotate.conf")
    with open(path, "w") as f:
        f.write(f"[swiftrotate]\ndest = swift://{container}\nstate_dir = {work}/state\nhost = web01\n"
                f"[swift]\nauth_url = {swift.auth_url}\nuser = {swift.user}\nkey = {swift.key}\n")
    os.chmod(path, 0o600)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--others", type=int, default=10000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--stream-mib", type=int, default=512)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-fetch-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    swift = SwiftServer(max_file_size=5 * 1024 ** 3 + 2)
    samples = {}
    try:
        swift.start()
        container = "benchfetch"
        load(swift, container, args.others, args.days)
        gz_path, raw_size = load_stream(swift, container, work, args.stream_mib)
        cfg = config(work, swift, container)
        env = base_env()
        swift_env = dict(env, ST_AUTH=swift.auth_url, ST_USER=swift.user, ST_KEY=swift.key)
        last = FIRST + timedelta(days=args.days - 1)
        log = os.path.join(work, "tools.log")
        for rep in range(args.reps):
            out_a, out_b = os.path.join(work, f"a{rep}"), os.path.join(work, f"b{rep}")
            samples.setdefault(("range", "swiftrotate fetch"), []).append(measure(
                [f"{BIN}/swiftrotate", "--config", cfg, "fetch", LOG, "--since", str(FIRST), "--until",
                 str(last), "--by-stamp", "-o", out_a, "-q"], env, log))
            samples.setdefault(("range", "swift download --prefix"), []).append(measure(
                [f"{BIN}/swift", "download", container, "--prefix", f"web01{LOG}-", "-D", out_b],
                swift_env, log))
            got = sum(len(files) for _, _, files in os.walk(out_a))
            assert got == args.days, got
            shutil.rmtree(out_a)
            shutil.rmtree(out_b)
            samples.setdefault(("stream", "swiftrotate fetch --stdout --decompress"), []).append(measure(
                ["sh", "-c", f"{BIN}/swiftrotate --config {cfg} fetch /var/log/stream.log --stdout "
                 f"--decompress -q > /dev/null"], env, log))
            samples.setdefault(("stream", "gzip -dc (local file)"), []).append(measure(
                ["sh", "-c", f"gzip -dc {gz_path} > /dev/null"], env, log))
    finally:
        swift.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nfetch benchmark: {args.days} x 1 MiB among {args.others} other objects; stream "
          f"{raw_size // MIB} MiB uncompressed; {args.reps} rep(s); medians")
    print(f"{'case':8} {'tool':42} {'seconds':>8} {'MiB/s':>8} {'peak RSS MiB':>13}")
    for case, tools in (("range", ("swiftrotate fetch", "swift download --prefix")),
                        ("stream", ("swiftrotate fetch --stdout --decompress", "gzip -dc (local file)"))):
        size = args.days * MIB if case == "range" else raw_size
        meds = {}
        for tool in tools:
            runs = samples[(case, tool)]
            wall = statistics.median(r[0] for r in runs)
            rss = statistics.median(r[1] for r in runs)
            meds[tool] = (wall, rss)
            print(f"{case:8} {tool:42} {wall:8.2f} {size / MIB / wall:8.1f} {rss:13.1f}")
        ours, peer = meds[tools[0]], meds[tools[1]]
        print(f"{case:8} {'ratio swiftrotate/peer':42} {ours[0] / peer[0]:8.2f} {'':8} "
              f"{ours[1] / peer[1]:13.2f}")


if __name__ == "__main__":
    main()
