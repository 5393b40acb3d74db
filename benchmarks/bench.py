#!/usr/bin/env python3
"""swiftrotate end-to-end benchmark against real local servers.

Every tool runs as a separate process, exactly as an operator would run it
(CLI start-up included): wall time from a monotonic clock around it, peak
RSS and CPU time (user+sys) from /usr/bin/time (os.wait4 as a fallback; see
measure()). Cases (see benchmarks/README.md):

  swift    N MiB random file -> Swift (SLO, 64 MiB segments):
           swiftrotate  vs  `swift upload -S 67108864`
  s3       the same file -> S3 on Swift's s3api:
           swiftrotate  vs  boto3 upload_file (default TransferConfig)  vs  rclone copyto
  backlog  1000 rotated files of 10 KiB (app.log-YYYYMMDD, 1000 days) -> Swift:
           first `swiftrotate upload DIR/app.log`  vs  `swift upload CONTAINER DIR`
  noop     the same swiftrotate command again once everything is archived
           (the common logrotate case), plus an -X importtime check that no
           storage client library is imported on that path.

Tools alternate inside each repetition (A B C, A B C, ...) so slow drifts of
this shared, noisy machine hit every tool alike; medians are reported.

    .venv/bin/python benchmarks/bench.py                      # 1 GiB, 3 reps
    .venv/bin/python benchmarks/bench.py --size-mib 64 --reps 1  # quick check
    .venv/bin/python benchmarks/bench.py --cases swift --swift-opt segment_threads=8
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tests.support.servers import SwiftServer  # noqa: E402  (the tests' real Swift: tempauth + s3api)

BIN = os.path.dirname(os.path.abspath(sys.executable))  # the venv's bin: swift, rclone, swiftrotate
MIB = 1024 * 1024
SEG = 64 * MIB  # segment size for both Swift tools (swift upload -S 67108864)
BACKLOG_FILES, BACKLOG_SIZE = 1000, 10 * 1024

# boto3's managed transfer with its defaults (8 MiB parts, 10 threads,
# CRC32 checksums): what most people would write by hand.
BOTO3_SCRIPT = """
import sys, boto3
endpoint, path, bucket, key = sys.argv[1:]
boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").upload_file(path, bucket, key)
"""


NO_KS = "swift upload (no ks)"
SWIFT_WITHOUT_KEYSTONE = """
import sys
sys.modules["keystoneclient"] = sys.modules["keystoneauth1"] = None  # as if not installed
from swiftclient.shell import main
sys.exit(main(["swift"] + sys.argv[1:]))
"""


def base_env():
    """Our environment minus anything that would configure the tools behind our back, and minus
    PYTHONDONTWRITEBYTECODE: installed tools run from .pyc, a tree without them recompiles (+45 ms)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("SWIFTROTATE_", "ST_", "OS_", "AWS_", "RCLONE_")) and k != "PYTHONDONTWRITEBYTECODE"}


# Peak RSS must come from a small parent: on Linux a child's ru_maxrss starts
# at the RSS of the process that forked it (fork copies the page tables and
# exec keeps the old high-water mark), so os.wait4 from this Python harness
# would floor every tool at the harness's own RSS. GNU time is a tiny C
# program (~1 MiB), so its %M is the tool's own peak.
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def box_busy():
    """CPU seconds the whole machine has been busy (all processes: the
    tool, the servers, other tenants), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def measure(argv, env, log_path):
    """Run argv to completion; return (wall s, peak RSS MiB, CPU s user+sys). Raises on failure.

    Output goes to a log file, not a pipe, so a chatty tool never blocks on us.
    """
    rss_file = log_path + ".rss"
    full = [TIME, "-f", "%M %U %S", "-o", rss_file, *argv] if TIME else argv
    with open(log_path, "ab") as log:
        log.write(("\n$ %s\n" % " ".join(argv)).encode())
        log.flush()
        busy0, t0 = box_busy(), time.monotonic()
        proc = subprocess.Popen(full, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        measure.box_idle = max(0.0, 1 - (box_busy() - busy0) / (wall * os.cpu_count()))
    proc.returncode = os.waitstatus_to_exitcode(status)  # we reaped it, tell Popen
    if proc.returncode:
        with open(log_path, "rb") as f:
            tail = f.read()[-3000:].decode("utf-8", "replace")
        raise RuntimeError("%s exited %d\n%s" % (argv[0], proc.returncode, tail))
    # CPU time is exact either way, and much less disturbed by other tenants than wall time.
    cpu = usage.ru_utime + usage.ru_stime
    if TIME:
        with open(rss_file) as f:
            kib, user, system = f.read().split()[-3:]  # last line: a failure note may precede it
        kib, cpu = int(kib), float(user) + float(system)
    else:  # fallback: an upper bound, floored at this harness's RSS (see above)
        kib = usage.ru_maxrss
    return wall, kib / 1024.0, cpu  # ru_maxrss and %M are KiB on Linux


class SwiftHTTP:
    """Just the few untimed Swift calls the harness needs (container PUT,
    HEADs), over http.client: importing swiftclient here would only grow
    this process, and with it the RSS floor of the wait4 fallback."""

    def __init__(self, swift):
        self.host, self.port = "127.0.0.1", swift.proxy_port
        _, headers = self.request("GET", "/auth/v1.0", {"X-Auth-User": swift.user,
                                                              "X-Auth-Key": swift.key})
        self.token = headers["x-auth-token"]
        self.path = urllib.parse.urlsplit(headers["x-storage-url"]).path

    def request(self, method, path, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, headers=headers or {})
            r = conn.getresponse()
            r.read()
            if r.status // 100 != 2:
                raise RuntimeError("%s %s: HTTP %d" % (method, path, r.status))
            return r.status, {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()

    def call(self, method, *names):
        url = "/".join([self.path] + [urllib.parse.quote(n) for n in names])
        return self.request(method, url, {"X-Auth-Token": self.token})[1]


class Bench:
    def __init__(self, args, swift, work):
        self.args, self.swift, self.work = args, swift, work
        self.log = os.path.join(work, "tools.log")
        self.samples = {}  # (case, tool) -> [(wall s, peak RSS MiB, CPU s), ...]
        self.notes = []
        self.loads = []
        self.swift_env = dict(base_env(), ST_AUTH=swift.auth_url, ST_USER=swift.user, ST_KEY=swift.key)
        self.http = SwiftHTTP(swift)

    def run(self, case, tool, argv, env):
        wall, rss, cpu = measure(argv, env, self.log)
        self.samples.setdefault((case, tool), []).append((wall, rss, cpu, measure.box_idle))
        # Other tenants' load is the main noise on a shared box: show it per run.
        load = os.getloadavg()[0]
        self.loads.append(load)
        # idle: the share of the box's cores nobody used meanwhile; near 0
        # means the run was CPU-bound, and any client CPU became wall time.
        print("  %-8s %-22s %8.2f s  %7.1f MiB RSS  %6.2f s CPU   (load %.1f, box idle %2.0f%%)"
              % (case, tool, wall, rss, cpu, load, 100 * getattr(measure, "box_idle", 0)), flush=True)
        return wall

    # -- store helpers (untimed) ---------------------------------------------
    def container(self, name):
        self.http.call("PUT", name)  # precreated for every tool: creation is not what we measure
        return name

    def check_size(self, container, name, size):
        """A run only counts if the object is really there, whole."""
        got = int(self.http.call("HEAD", container, name)["content-length"])
        if got != size:
            raise RuntimeError("%s/%s has %d bytes, expected %d" % (container, name, got, size))

    def wipe(self):
        """Delete every container and object, SLO/MPU segments included."""
        subprocess.run([os.path.join(BIN, "swift"), "delete", "--all"], env=self.swift_env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)

    def config(self, name, dest, host, section, options):
        """A fresh 0600 INI config with a fresh state_dir (so the ledger never
        skips the file), as an operator would write it."""
        state = tempfile.mkdtemp(prefix="state-", dir=self.work)
        lines = ["[swiftrotate]", "dest = " + dest, "state_dir = " + state, "host = " + host,
                 "settle_seconds = 0", "", "[%s]" % section]
        lines += ["%s = %s" % kv for kv in options.items()]
        path = os.path.join(self.work, name + ".ini")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o600)
        return path

    def swift_options(self):
        opts = {"auth_url": self.swift.auth_url, "user": self.swift.user, "key": self.swift.key,
                "segment_size": "64M"}
        opts.update(kv.split("=", 1) for kv in self.args.swift_opt)
        return opts

    def swiftrotate(self, cfg, live, extra=()):
        return [os.path.join(BIN, "swiftrotate"), "--config", cfg, "upload", *extra, live]

    # -- cases -----------------------------------------------------------------
    def upload(self, case, tool, bucket, key, argv, env, size):
        """One timed upload into an existing, otherwise empty container; the
        object is then checked and everything wiped (Swift's data lives in
        /dev/shm: 1 GiB per run would otherwise pile up in RAM)."""
        self.container(bucket)
        self.run(case, tool, argv, env)
        self.check_size(bucket, key, size)
        self.wipe()

    def case_swift(self, big, live, size):
        for rep in range(self.args.reps):
            host, c = "sr-r%d" % rep, "bench-swift"
            cfg = self.config("swift-r%d" % rep, "swift://" + c, host, "swift", self.swift_options())
            self.upload("swift", "swiftrotate", c, host + big, self.swiftrotate(cfg, live, self.jobs()),
                        base_env(), size)
            self.upload("swift", "swift upload -S 64M", c, "swift-r%d" % rep,
                        [os.path.join(BIN, "swift"), "upload", "-S", str(SEG), c, big,
                         "--object-name", "swift-r%d" % rep], self.swift_env, size)
            # The same CLI on a host without python-keystoneclient: it then skips
            # the ~0.2 s import that swiftrotate's v1 auth also skips.
            self.upload("swift", NO_KS, c, "swift-nk%d" % rep,
                        [sys.executable, "-c", SWIFT_WITHOUT_KEYSTONE, "upload", "-S", str(SEG), c, big,
                         "--object-name", "swift-nk%d" % rep], self.swift_env, size)

    def case_s3(self, big, live, size):
        sw, b = self.swift, "benchbucket"  # an s3api bucket is a Swift container
        s3opts = {"endpoint_url": sw.endpoint, "region": "us-east-1",
                  "access_key_id": sw.user, "secret_access_key": sw.key}
        s3opts.update(kv.split("=", 1) for kv in self.args.s3_opt)
        aws_env = dict(base_env(), AWS_ACCESS_KEY_ID=sw.user, AWS_SECRET_ACCESS_KEY=sw.key,
                       AWS_DEFAULT_REGION="us-east-1")
        # rclone: an on-the-fly remote "bench" from RCLONE_CONFIG_BENCH_* env
        # vars; --config /dev/null keeps any user rclone.conf out of it.
        rclone_env = dict(base_env(), RCLONE_CONFIG_BENCH_TYPE="s3", RCLONE_CONFIG_BENCH_PROVIDER="Other",
                          RCLONE_CONFIG_BENCH_ENDPOINT=sw.endpoint, RCLONE_CONFIG_BENCH_REGION="us-east-1",
                          RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=sw.user,
                          RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=sw.key)
        for rep in range(self.args.reps):
            host = "sr-r%d" % rep
            cfg = self.config("s3-r%d" % rep, "s3://" + b, host, "s3", s3opts)
            self.upload("s3", "swiftrotate", b, host + big, self.swiftrotate(cfg, live, self.jobs()),
                        base_env(), size)
            self.upload("s3", "boto3 upload_file", b, "boto3-r%d" % rep,
                        [sys.executable, "-c", BOTO3_SCRIPT, sw.endpoint, big, b, "boto3-r%d" % rep],
                        aws_env, size)
            self.upload("s3", "rclone copyto", b, "rclone-r%d" % rep,
                        [os.path.join(BIN, "rclone"), "--config", "/dev/null", "copyto", big,
                         "bench:%s/rclone-r%d" % (b, rep)], rclone_env, size)

    def case_backlog(self, folder):
        live = os.path.join(folder, "app.log")
        cfg = None
        for rep in range(self.args.reps):
            c = self.container("backlog-sr-r%d" % rep)
            cfg = self.config("backlog-r%d" % rep, "swift://" + c, "bl-r%d" % rep, "swift",
                              self.swift_options())
            self.run("backlog", "swiftrotate", self.swiftrotate(cfg, live, self.jobs()), base_env())
            self.check_count(c, BACKLOG_FILES)
            c = self.container("backlog-swift-r%d" % rep)
            self.run("backlog", "swift upload DIR",
                     [os.path.join(BIN, "swift"), "upload", c, folder], self.swift_env)
            self.check_count(c, BACKLOG_FILES)
        return cfg, live  # the last swiftrotate config: its ledger now knows every file

    def check_count(self, container, n):
        got = int(self.http.call("HEAD", container)["x-container-object-count"])
        if got != n:
            raise RuntimeError("%s holds %d objects, expected %d" % (container, got, n))

    def case_noop(self, cfg, live):
        # A second run with nothing new: what every logrotate run costs.
        for _ in range(self.args.noop_runs):
            self.run("noop", "swiftrotate", self.swiftrotate(cfg, live), base_env())
        # -X importtime lists every module imported, one per line, on stderr.
        r = subprocess.run([sys.executable, "-X", "importtime", "-m", "swiftrotate", "--config", cfg,
                            "upload", "-v", live], env=base_env(), capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("no-op run exited %d: %s" % (r.returncode, r.stderr[-2000:]))
        mods = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in r.stderr.splitlines() if line.startswith("import time:")}
        heavy = sorted(mods & {"boto3", "botocore", "swiftclient", "s3transfer", "requests"})
        known = r.stderr.count("known ")
        self.notes.append("no-op: %d of %d files reported 'known' (ledger hit); heavy client "
                          "libraries imported: %s -> %s"
                          % (known, BACKLOG_FILES, ", ".join(heavy) or "none",
                             "yes, imports none of boto3/botocore/swiftclient" if not heavy else "NO"))

    def jobs(self):
        return ("--jobs", str(self.args.jobs)) if self.args.jobs else ()


def make_random_file(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(16 * MIB, left)
            f.write(os.urandom(n))
            left -= n
    past = time.time() - 3600  # an old mtime, like a file logrotate rotated an hour ago
    os.utime(path, (past, past))


def make_backlog(folder):
    """1000 dateext rotations of one live log: app.log-20230101 ... (consecutive days)."""
    os.makedirs(folder)
    day = datetime.date(2023, 1, 1)
    past = time.time() - 3600
    for i in range(BACKLOG_FILES):
        path = os.path.join(folder, "app.log-" + (day + datetime.timedelta(days=i)).strftime("%Y%m%d"))
        with open(path, "wb") as f:
            f.write(os.urandom(BACKLOG_SIZE))
        os.utime(path, (past, past))


def hash_costs(path):
    """Seconds for one single-threaded pass of each digest the tools compute
    over the file: the yardstick for the CPU columns of the table."""
    import hashlib
    import zlib

    class CRC32:  # hashlib-like face for zlib.crc32
        value = 0

        def update(self, data):
            self.value = zlib.crc32(data, self.value)

    out = {}
    for name, new in (("sha256", hashlib.sha256), ("md5", hashlib.md5), ("crc32", CRC32)):
        digest, t0 = new(), time.monotonic()
        with open(path, "rb", buffering=0) as f:
            for data in iter(lambda: f.read(MIB), b""):
                digest.update(data)
        out[name] = time.monotonic() - t0
    return out


def overhead_note(bench, costs):
    """Client CPU beyond the digests each tool must compute: swiftrotate a
    sha256 of the file (its own integrity record) and the MD5 Swift checks;
    swift upload only the MD5. On a CPU-bound box (see 'box idle') the
    sha256 alone costs swiftrotate wall time the peer does not spend."""
    ours, peer = (bench.samples.get(("swift", t)) for t in ("swiftrotate", "swift upload -S 64M"))
    if not ours or not peer:
        return "swift: no client CPU comparison (a tool did not run)"
    cpu = [statistics.median(r[2] for r in runs) for runs in (ours, peer)]
    idle = statistics.median(r[3] for r in ours + peer)
    return ("swift: client CPU beyond required hashing: swiftrotate %.2fs - sha256 %.2fs - md5 %.2fs = %.2fs; "
            "swift upload %.2fs - md5 %.2fs = %.2fs; box idle during runs: median %.0f%%"
            % (cpu[0], costs["sha256"], costs["md5"], cpu[0] - costs["sha256"] - costs["md5"],
               cpu[1], costs["md5"], cpu[1] - costs["md5"], 100 * idle))


def table(bench, size):
    """Per case and tool: medians of wall s, MiB/s, peak RSS, CPU s; and
    swiftrotate / peer ratios of those medians (time, RSS, CPU)."""
    peers = {"swift": "swift upload -S 64M", "s3": "boto3 upload_file", "backlog": "swift upload DIR"}
    mib = {"swift": size / MIB, "s3": size / MIB, "backlog": BACKLOG_FILES * BACKLOG_SIZE / MIB}
    rows = []
    for (case, tool), runs in bench.samples.items():
        t, m, c = (statistics.median(r[i] for r in runs) for i in range(3))
        rows.append([case, tool, t, mib[case] / t if case in mib else None, m, c, len(runs)])
    med = {(r[0], r[1]): (r[2], r[4], r[5]) for r in rows}
    print("\n%-8s %-20s %9s %8s %8s %7s %3s  %s" % (
        "case", "tool", "median s", "MiB/s", "RSS MiB", "CPU s", "n", "swiftrotate/peer: time RSS CPU"))
    for case, tool, t, rate, m, c, n in rows:
        ratio = ""
        second = {"s3": "rclone copyto", "swift": NO_KS}.get(case)
        for peer in (peers.get(case), second):
            if tool == "swiftrotate" and (case, peer) in med:
                pt, pm, pc = med[(case, peer)]
                ratio += "%s%.2f %.2f %.2f" % ("  vs %s: " % {NO_KS: "no-ks"}.get(peer, "rclone")
                                               if peer == second else "",
                                               t / pt, m / pm, c / pc)
        shown = "%9.2f" % t if case != "noop" else "%7.0fms" % (t * 1000)
        print("%-8s %-20s %9s %8s %8.1f %7.2f %3d  %s" % (
            case, tool, shown, "%8.1f" % rate if rate else "-", m, c, n, ratio))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="repetitions per case (default 3)")
    ap.add_argument("--size-mib", type=int, default=1024, help="size of the big file (default 1024)")
    ap.add_argument("--noop-runs", type=int, default=15, help="no-op runs to take the median of")
    ap.add_argument("--cases", default="swift,s3,backlog,noop", help="comma list of cases to run")
    ap.add_argument("--swift-opt", action="append", default=[], metavar="K=V",
                    help="extra [swift] option for swiftrotate, e.g. segment_threads=8")
    ap.add_argument("--s3-opt", action="append", default=[], metavar="K=V",
                    help="extra [s3] option for swiftrotate, e.g. concurrency=8 or part_size=32M")
    ap.add_argument("--jobs", type=int, help="swiftrotate upload --jobs (default: the tool's own)")
    ap.add_argument("--workdir", default=tempfile.gettempdir(), help="where the test files go")
    ap.add_argument("--json", help="also write raw samples to this file")
    args = ap.parse_args()
    cases = set(args.cases.split(","))
    size = args.size_mib * MIB

    print("machine: %d cpus, python %s, swiftrotate from %s, RSS via %s" % (
        os.cpu_count(), sys.version.split()[0], ROOT, TIME or "os.wait4 (upper bound!)"), flush=True)
    work = tempfile.mkdtemp(prefix="swiftrotate-bench-", dir=args.workdir)
    # Default 5 GiB object limit, so 64 MiB segments and 1 GiB objects are allowed.
    swift = SwiftServer(max_file_size=5 * 1024 ** 3 + 2)
    try:
        swift.start()
        print("swift: %s (started in %.1fs), data in %s" % (swift.endpoint, swift.startup_seconds,
                                                           swift.data_dir), flush=True)
        bench = Bench(args, swift, work)
        if cases & {"swift", "s3"}:
            # The rotated file as logrotate leaves it; the peers upload this
            # same file, so every tool reads the same page-cached bytes.
            rot = os.path.join(work, "rot")
            os.makedirs(rot)
            big = os.path.join(rot, "app.log-20261126")
            t0 = time.monotonic()
            make_random_file(big, size)
            costs = hash_costs(big)  # also leaves the file in the page cache
            print("created %d MiB in %.1fs; one pass of sha256 %.2fs, md5 %.2fs, crc32 %.2fs"
                  % (args.size_mib, time.monotonic() - t0, costs["sha256"], costs["md5"],
                     costs["crc32"]), flush=True)
            bench.notes.append("local hashing of the %d MiB file, one thread: sha256 %.2fs, md5 %.2fs, "
                               "crc32 %.2fs" % (args.size_mib, costs["sha256"], costs["md5"], costs["crc32"]))
            live = os.path.join(rot, "app.log")
            if "swift" in cases:
                bench.case_swift(big, live, size)
                bench.notes.append(overhead_note(bench, costs))
            if "s3" in cases:
                bench.case_s3(big, live, size)
            os.unlink(big)
        if cases & {"backlog", "noop"}:
            folder = os.path.join(work, "backlog")
            make_backlog(folder)
            cfg, live = bench.case_backlog(folder)
            if "noop" in cases:
                bench.case_noop(cfg, live)
        rows = table(bench, size)
        if bench.loads:
            bench.notes.append("1-min load average seen after runs: %.1f .. %.1f on %d cpus"
                               % (min(bench.loads), max(bench.loads), os.cpu_count()))
        for note in bench.notes:
            print("note: " + note)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"args": vars(args), "rows": rows, "notes": bench.notes,
                           "samples": {"%s|%s" % k: v for k, v in bench.samples.items()}}, f, indent=1)
    finally:
        swift.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
