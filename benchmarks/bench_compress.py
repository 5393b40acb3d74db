#!/usr/bin/env python3
"""Compress-on-upload benchmark against the tests' real Swift.

One rotated, compressible text log (nginx-style access lines, --size-mib,
default 1 GiB) named app.log-20261126 next to its live app.log:

  swiftrotate  `swiftrotate --config CFG upload --compress gzip DIR/app.log`
               (Python's gzip module at swiftrotate's own level, read from
               swiftrotate.codecs.WRITERS; SLO with 64 MiB segments)
  peer         `sh -c 'gzip -6 -c FILE | swift upload C - --object-name N -S 67108864'`
               (the same level; `swift upload -` buffers each 64 MiB segment
               of stdin in memory, then PUTs it, then an SLO manifest)

Wall time around the whole process (for the peer: the whole pipeline); peak RSS
and CPU from /usr/bin/time as in bench.py. For the pipeline GNU time waits for
`sh`, and Linux reports for a waited child the max of its own and its waited
children's ru_maxrss (CPU is summed), so %M is max(sh, gzip, swift), not a sum.
Each side of the pipe also runs under its own /usr/bin/time to show the split.

Every object is checked: a HEAD (size, and for swiftrotate the uncompressed
size and sha256 it recorded), and the first of each tool and size is
downloaded, gunzipped and sha256'd in full against the original. Everything
is deleted after each run. Tools alternate inside each repetition.

    .venv/bin/python benchmarks/bench_compress.py                      # 1 GiB, 3 reps
    .venv/bin/python benchmarks/bench_compress.py --also-mib 256       # plus 256 MiB: is memory flat?
    .venv/bin/python benchmarks/bench_compress.py --size-mib 64 --reps 1   # quick check
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import BIN, MIB, SEG, TIME, Bench, base_env  # noqa: E402  (bench puts the repo root on sys.path)
from tests.support.servers import SwiftServer  # noqa: E402

ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from swiftrotate.codecs import WRITERS  # noqa: E402  (only to read the gzip level it uses)

LEVEL = WRITERS[".gz"][1]
STAMP = "-20261126"
SR, PEER = "swiftrotate --compress", "gzip -%d | swift upload" % LEVEL

# -- a realistic access log ----------------------------------------------------
WORDS = ("shoes jacket winter summer sale kids women men bag watch phone case cable lamp desk chair "
         "coffee tea book guide review news sport travel garden tools paint kitchen").split()
UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1", "Prometheus/2.53.0", "kube-probe/1.30",
)
STATUSES = (200,) * 40 + (304,) * 4 + (301, 302, 404, 404, 403, 500, 502, 499)


def _request(rnd):
    w, w2, n = rnd.choice(WORDS), rnd.choice(WORDS), rnd.randrange(1, 200000)
    h = "%08x" % rnd.getrandbits(32)
    return rnd.choice((
        "GET /", "GET /index.html", "GET /favicon.ico", "GET /robots.txt", "GET /healthz", "GET /cart",
        "GET /api/v1/users/%d" % n, "GET /api/v1/orders/%d/items" % n, "POST /api/v1/orders",
        "GET /api/v2/search?q=%s+%s&page=%d" % (w, w2, n % 20), "GET /static/js/app.%s.js" % h,
        "GET /static/css/main.%s.css" % h, "GET /images/products/%d.jpg" % n, "GET /product/%s-%s-%d" % (w, w2, n),
        "POST /checkout/step%d" % (n % 4 + 1), "POST /login", "GET /logout", "HEAD /", "PUT /api/v1/cart/%d" % n,
        "DELETE /api/v1/cart/%d/items/%d" % (n, n % 7), "GET /blog/2026/%s-%s" % (w, w2),
    ))


def _tail(rnd):
    """Everything after the timestamp: request, status, bytes, referer, agent."""
    status = rnd.choice(STATUSES)
    size = 0 if status in (204, 304) else int(rnd.lognormvariate(8, 1.5))
    ref = rnd.choice(("-", "-", "-", "https://www.example.com/", "https://www.google.com/",
                      "https://www.example.com/product/%s-%d" % (rnd.choice(WORDS), rnd.randrange(99999))))
    return '"%s HTTP/1.1" %d %d "%s" "%s"\n' % (_request(rnd), status, size, ref, rnd.choice(UAS))


def make_access_log(path, size, seed=2026):
    """`size` bytes of one day of access lines, from pools of 3,000 client
    addresses and 6,000 distinct request tails picked at random, with
    timestamps that advance through the day: about as compressible as a
    real nginx log. Built a block at a time, so 1 GiB takes seconds."""
    rnd = random.Random(seed)
    ips = ["%d.%d.%d.%d" % (rnd.choice((10, 81, 93, 172, 185, 203)), rnd.randrange(256), rnd.randrange(256),
                            rnd.randrange(1, 255)) for _ in range(3000)]
    tails = [_tail(rnd) for _ in range(6000)]
    per_sec = max(1, size // (170 * 86400))  # about one day of traffic (lines average ~170 bytes)
    start = time.mktime((2026, 11, 25, 0, 0, 0, 0, 0, 0)) - time.timezone
    left, sec = size, 0
    with open(path, "wb") as f:
        while left:
            stamps = [time.strftime(" - - [%d/%b/%Y:%H:%M:%S +0000] ", time.gmtime(start + sec + i))
                      for i in range(100)]
            sec += 100
            n = 100 * per_sec
            block = "".join([a + stamps[i // per_sec] + b for i, (a, b) in
                             enumerate(zip(rnd.choices(ips, k=n), rnd.choices(tails, k=n)))]).encode()
            block = block[:left]
            if len(block) == left:
                block = block[:-1] + b"\n"  # the exact size: the last line is cut short
            f.write(block)
            left -= len(block)
    past = time.time() - 3600  # rotated an hour ago
    os.utime(path, (past, past))


def rotated_folder(work, mib):
    """DIR with app.log (live, a few lines) and app.log-20261126 (mib MiB).
    Returns (live, rotated path, sha256, seconds to make, seconds of one sha256 pass)."""
    folder = os.path.join(work, "rot-%d" % mib)
    os.makedirs(folder)
    live, rotated = os.path.join(folder, "app.log"), os.path.join(folder, "app.log" + STAMP)
    t0 = time.monotonic()
    make_access_log(rotated, mib * MIB)
    made = time.monotonic() - t0
    with open(live, "w") as f:
        f.write('127.0.0.1 - - [27/Nov/2026:00:00:01 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.30"\n')
    t0 = time.monotonic()
    with open(rotated, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()  # also warms the page cache
    return live, rotated, digest, made, time.monotonic() - t0


# -- checks (untimed) -----------------------------------------------------------
def gunzip_sha256(swift_http, container, name):
    """(sha256, size) of the stored object, downloaded and decompressed as a stream."""
    url = "/".join([swift_http.path, urllib.parse.quote(container), urllib.parse.quote(name)])
    conn = http.client.HTTPConnection(swift_http.host, swift_http.port, timeout=300)
    try:
        conn.request("GET", url, headers={"X-Auth-Token": swift_http.token})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError("GET %s/%s: HTTP %d" % (container, name, resp.status))
        unpack, digest, size = zlib.decompressobj(wbits=31), hashlib.sha256(), 0
        for packed in iter(lambda: resp.read(MIB), b""):
            data = unpack.decompress(packed)
            digest.update(data)
            size += len(data)
        tail = unpack.flush()
        digest.update(tail)
        if not unpack.eof or unpack.unused_data:
            raise RuntimeError("%s/%s is not one whole gzip member" % (container, name))
        return digest.hexdigest(), size + len(tail)
    finally:
        conn.close()


class CompressBench(Bench):
    def __init__(self, args, swift, work):
        super().__init__(args, swift, work)
        self.stored = {}  # (case, tool) -> compressed bytes of the first checked object
        self.split = {}   # case -> peer runs: (gzip RSS MiB, gzip CPU s, swift RSS MiB, swift CPU s)
        self.verified = set()  # (case, tool) whose object was downloaded and gunzipped in full

    def check(self, case, tool, container, name, original, expect_meta):
        """HEAD every time; download + gunzip + sha256 the first object of each tool and size."""
        head = self.http.call("HEAD", container, name)
        for k, v in expect_meta.items():
            if head.get(k) != v:
                raise RuntimeError("%s/%s: %s is %r, expected %r" % (container, name, k, head.get(k), v))
        got = int(head["content-length"])
        first = self.stored.setdefault((case, tool), got)
        if got != first:
            raise RuntimeError("%s/%s has %d bytes; the first run stored %d" % (container, name, got, first))
        if (case, tool) not in self.verified:
            self.verified.add((case, tool))
            sha, size = gunzip_sha256(self.http, container, name)
            if (sha, size) != original:
                raise RuntimeError("%s/%s decompresses to %d bytes, sha256 %s; the log has %d, %s"
                                   % (container, name, size, sha[:12], original[1], original[0][:12]))
            print("    verified: %s/%s gunzips to the original (%d bytes, sha256 %s...)"
                  % (container, name, size, sha[:12]), flush=True)
        self.wipe()

    def peer_argv(self, container, name, rotated, tag):
        """The pipeline, each side under its own GNU time (to show which side holds the memory)."""
        gz = ["gzip", "-%d" % LEVEL, "-c", rotated]
        up = [os.path.join(BIN, "swift"), "upload", container, "-", "--object-name", name, "-S", str(SEG)]
        if TIME:
            self.split_files = [os.path.join(self.work, "%s.%s.time" % (tag, side)) for side in ("gzip", "swift")]
            gz = [TIME, "-f", "%M %U %S", "-o", self.split_files[0]] + gz
            up = [TIME, "-f", "%M %U %S", "-o", self.split_files[1]] + up
        return ["sh", "-c", "%s | %s" % (shlex.join(gz), shlex.join(up))]

    def read_split(self, case):
        if TIME:
            (g_kib, g_cpu), (s_kib, s_cpu) = [_rss_cpu(p) for p in self.split_files]
            self.split.setdefault(case, []).append((g_kib / 1024, g_cpu, s_kib / 1024, s_cpu))
            print("    pipeline sides: gzip %.1f MiB RSS %.2f s CPU, swift upload %.1f MiB RSS %.2f s CPU"
                  % self.split[case][-1], flush=True)

    def case(self, mib, live, rotated, original):
        case, c = "%dMiB" % mib, "bench-compress"
        for rep in range(self.args.reps):
            host = "cz%d-r%d" % (mib, rep)
            cfg = self.config("compress-%d-r%d" % (mib, rep), "swift://" + c, host, "swift", self.swift_options())
            self.container(c)
            self.run(case, SR, self.swiftrotate(cfg, live, ("--compress", "gzip")), base_env())
            self.check(case, SR, c, host + rotated + ".gz", original,
                       {"x-object-meta-uncompressed-size": str(original[1]),
                        "x-object-meta-uncompressed-sha256": original[0]})
            name = "peer-r%d/app.log%s.gz" % (rep, STAMP)
            self.container(c)
            self.run(case, PEER, self.peer_argv(c, name, rotated, "%s-r%d" % (case, rep)), self.swift_env)
            self.read_split(case)
            self.check(case, PEER, c, name, original, {})


def _rss_cpu(path):
    with open(path) as f:
        kib, user, system = f.read().split()[-3:]
    return int(kib), float(user) + float(system)


def report(bench, sizes):
    """Medians per size and tool, swiftrotate/peer ratios, single runs, RSS across sizes."""
    print("\n%-8s %-24s %9s %8s %8s %7s %3s %7s  %s" % ("size", "tool", "median s", "MiB/s", "RSS MiB", "CPU s",
                                                     "n", "packed", "swiftrotate/peer: time RSS CPU"))
    med, out = {}, []
    for mib, actual in sizes:
        case = "%dMiB" % mib
        for tool in (SR, PEER):
            runs = bench.samples[(case, tool)]
            med[(case, tool)] = [statistics.median(r[k] for r in runs) for k in range(3)]
        ratios = [a / b for a, b in zip(med[(case, SR)], med[(case, PEER)])]
        for tool in (SR, PEER):
            (wall, rss, cpu), runs, packed = med[(case, tool)], bench.samples[(case, tool)], bench.stored[(case, tool)]
            print("%-8s %-24s %9.2f %8.1f %8.1f %7.2f %3d %6.2fx  %s" % (
                case, tool, wall, actual / MIB / wall, rss, cpu, len(runs), actual / packed,
                "%.2f %.2f %.2f" % tuple(ratios) if tool == SR else ""))
            out.append({"size_mib": mib, "tool": tool, "median_s": wall, "mib_s": actual / MIB / wall,
                        "rss_mib": rss, "cpu_s": cpu, "runs": runs, "stored_bytes": packed})
    print("(packed: the log's size / the stored object's size)\n\nsingle runs, wall s:")
    for (case, tool), runs in bench.samples.items():
        print("  %-8s %-24s %s" % (case, tool, " ".join("%.2f" % r[0] for r in runs)))
    for case, runs in bench.split.items():
        print("  %-8s pipeline sides, medians: gzip %.1f MiB RSS %.2f s CPU, swift upload %.1f MiB RSS %.2f s CPU"
              % ((case,) + tuple(statistics.median(r[k] for r in runs) for k in range(4))))
    if len(sizes) > 1:
        print("\npeak RSS MiB by size (flat memory = the same for every size):")
        for tool in (SR, PEER):
            print("  %-24s %s" % (tool, "   ".join("%d MiB: %.1f" % (mib, med[("%dMiB" % mib, tool)][1])
                                                  for mib, _ in sizes)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    ap.add_argument("--size-mib", type=int, default=1024, help="size of the rotated log (default 1024)")
    ap.add_argument("--also-mib", type=int, action="append", default=[], metavar="N",
                    help="also run with an N MiB log, to compare peak RSS across sizes (e.g. 256)")
    ap.add_argument("--swift-opt", action="append", default=[], metavar="K=V",
                    help="extra [swift] option for swiftrotate, e.g. segment_threads=4")
    ap.add_argument("--workdir", default=tempfile.gettempdir(), help="where the logs and state dirs go")
    ap.add_argument("--json", help="also write the medians and raw samples to this file")
    args = ap.parse_args()
    args.jobs = None  # Bench reads it; swiftrotate's default --jobs

    print("machine: %d cpus, python %s, zlib %s, %s, swiftrotate from %s, RSS via %s" % (
        os.cpu_count(), sys.version.split()[0], zlib.ZLIB_RUNTIME_VERSION,
        os.popen("gzip --version").readline().strip(), ROOT, TIME or "os.wait4 (upper bound!)"), flush=True)
    print("gzip level: swiftrotate %d (swiftrotate.codecs.WRITERS), peer gzip -%d; logrotate's "
          "default compressoptions is -6" % (LEVEL, LEVEL))
    print("pipeline RSS: GNU time around `sh -c 'A | B'` = max over sh and its children (not a sum); "
          "CPU = the sum" if TIME else "pipeline RSS: os.wait4 (upper bound)", flush=True)
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg(), flush=True)
    work = tempfile.mkdtemp(prefix="swiftrotate-bench-compress-", dir=args.workdir)
    try:
        with SwiftServer(max_file_size=5 * 1024 ** 3 + 2) as swift:  # 64 MiB segments, 1 GiB objects
            print("swift %s up in %.1fs, data in %s" % (swift.endpoint, swift.startup_seconds, swift.data_dir),
                  flush=True)
            bench = CompressBench(args, swift, work)
            sizes = [(mib, run_size(bench, work, mib)) for mib in [args.size_mib] + args.also_mib]
        rows = report(bench, sizes)
        print("1-min load average seen after runs: %.1f .. %.1f on %d cpus"
              % (min(bench.loads), max(bench.loads), os.cpu_count()))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"args": vars(args), "level": LEVEL, "rows": rows, "split": bench.split,
                           "loads": bench.loads}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_size(bench, work, mib):
    """Make the mib MiB log, run every rep on it, delete it; returns its size in bytes."""
    live, rotated, sha, made, hashed = rotated_folder(work, mib)
    actual = os.path.getsize(rotated)
    with open(rotated, "rb") as f:
        sample = f.read(32 * MIB)
    print("created %d MiB log in %.1fs (gzip -%d ratio of its first 32 MiB: %.1fx); one sha256 pass %.2fs"
          % (mib, made, LEVEL, len(sample) / len(zlib.compress(sample, LEVEL)), hashed), flush=True)
    bench.case(mib, live, rotated, (sha, actual))
    os.unlink(rotated)
    return actual


if __name__ == "__main__":
    main()
