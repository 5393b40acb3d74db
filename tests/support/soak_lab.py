"""The randomized soak of issue 11, in one place for tests/faults/test_soak.py and
benchmarks/soak.py.

Real logrotate (faked days: dateext, rotate 2, compress + delaycompress, a
postrotate `upload "$1" "$2"` and a preremove `gate "$1"`) over a multi-MB
log that goes up in Swift segments / S3 parts and a small one, with the
store behind a FaultProxy. Each day a seeded RNG picks one fault (pass,
lose, reset, stall, 503, refuse, or a 2-3 day outage), and maybe a kill -9
of one hook 0.05-2 s after it starts, two uploads at once in the hooks, and
an `upload --remove` from "cron" (a plain CLI run with the real clock,
after logrotate or while it runs). After the last day a pass-through
catch-up, then the invariant (check()).

Every line written is numbered (`<log> <seq> d<day> <padding>`, padding a
pure function of the seq), so an object's or a local file's lines say
exactly which lines they hold, and nothing but counters is kept in memory.

Run as a script, this file is the hook wrapper logrotate calls:
    python soak_lab.py PLAN.json python -m swiftrotate ... upload "$1" "$2"
It runs the command in its own session (twice at once on "double" days, for
upload), SIGKILLs it when PLAN says this is the hook to kill, appends what
happened to PLAN.events and exits with the command's code (137 if killed).
"""
import array
import bisect
import datetime
import fcntl
import gzip
import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
import zlib


def hook_main(argv):
    """The hook wrapper (see the module doc)."""
    plan_path, cmd = argv[0], argv[1:]
    with open(plan_path) as f:
        plan = json.load(f)
    kind = next((a for a in cmd if a in ("upload", "gate")), "other")
    with open(plan_path + ".count", "a+") as f:  # which hook of its kind this is, today
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        counts = json.loads(f.read() or "{}")
        nth = counts.get(kind, 0)
        counts[kind] = nth + 1
        f.seek(0)
        f.truncate()
        f.write(json.dumps(counts))
    kill = plan.get("kill")
    delay = kill["delay"] if kill and kill["kind"] == kind and kill["nth"] == nth else None
    copies = 2 if plan.get("double") and kind == "upload" else 1
    start = time.monotonic()
    procs = [subprocess.Popen(cmd, start_new_session=True) for _ in range(copies)]
    killed = False
    while any(p.poll() is None for p in procs):
        if delay is not None and time.monotonic() - start >= delay:
            for p in procs:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                        killed = True
                    except ProcessLookupError:
                        pass
            delay = None
        time.sleep(0.005)
    codes = [p.returncode for p in procs]
    rc = 137 if killed else next((c for c in codes if c), 0)
    if rc < 0:
        rc = 128 - rc
    target = next((a for a in reversed(cmd) if a.startswith("/")), "")
    event = {"day": plan["day"], "kind": kind, "nth": nth, "rc": rc, "codes": codes, "killed": killed,
             "file": os.path.basename(target), "seconds": round(time.monotonic() - start, 2)}
    if killed:
        print(f"soak hook: kill -9 of {kind} #{nth} ({' '.join(cmd[-2:])}) after {kill['delay']:.2f}s",
              file=sys.stderr)
    with open(plan_path + ".events", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(event) + "\n")
    return rc


# ---------------------------------------------------------------- the soak
MIB = 1024 * 1024
HERE = os.path.dirname(os.path.abspath(__file__))
FAULTS = ("pass", "lose", "reset", "stall", "503", "refuse", "outage")
FAULT_WEIGHTS = (1, 3, 1, 1, 1, 1, 1)  # lost answers find the most
# What a "lose" day may lose: (method, text in the target), per store.
LOSE_KINDS = {
    "swift": [("PUT", "multipart-manifest=put"), ("GET", "multipart-manifest=get"), ("PUT", "_segments/"),
              ("PUT", None), ("DELETE", None), ("DELETE", "_segments/"), ("HEAD", None), ("GET", "format=json"),
              ("GET", "/auth/"), ("GET", None)],
    "s3": [("POST", "?uploads"), ("POST", "uploadId="), ("PUT", "partNumber="), ("PUT", None), ("DELETE", None),
           ("DELETE", "uploadId="), ("HEAD", None), ("GET", "list-type=2"), ("GET", "?uploads"), ("GET", None)],
}
LOGS = ("big.log", "small.log")
TEMP_PREFIXES = (".swiftrotate-", ".srtmp-")
START = datetime.date(2026, 10, 1)
MAX_REPORTED = 25  # violations listed in the failure message


class Lines:
    """The numbered lines of one log: writes them, parses them back."""

    def __init__(self, name, pool):
        self.name, self.pool = name, pool
        self.day = array.array("H")  # day each seq was written on
        self.bounds = [0]  # seq where each rotation starts; the last is the live log's start

    def __len__(self):
        return len(self.day)

    def line(self, seq, day):
        off = (seq * 7919) % (len(self.pool) - 256)
        return f"{self.name} {seq:09d} d{day:02d} {self.pool[off:off + 40 + seq % 150]}\n"

    def write(self, folder, day, nbytes):
        out, size = [], 0
        while size < nbytes:
            text = self.line(len(self.day), day)
            self.day.append(day)
            out.append(text)
            size += len(text)
        with open(os.path.join(folder, self.name), "a") as f:
            f.write("".join(out))

    def parse(self, data):
        """seqs of the lines in `data` (bytes); raises ValueError naming the
        first line that is not one written here, or a cut last line."""
        text = data.decode("utf-8", "replace")
        if not text:
            return []
        if not text.endswith("\n"):
            raise ValueError(f"its last line is cut: {text[-60:]!r}")
        seqs = []
        for n, line in enumerate(text.splitlines(True)):
            parts = line.split(" ", 2)
            try:
                seq = int(parts[1])
                good = parts[0] == self.name and seq < len(self.day) and line == self.line(seq, self.day[seq])
            except (IndexError, ValueError):
                good = False
            if not good:
                raise ValueError(f"its line {n + 1} was never written to {self.name}: {line[:70]!r}")
            seqs.append(seq)
        return seqs

    def rotation_of(self, seq):
        """Index k of the rotation holding seq: bounds[k] <= seq < bounds[k+1]."""
        return bisect.bisect_right(self.bounds, seq) - 1

    def describe(self, first, end):
        days = sorted({self.day[s] for s in (first, end - 1)})
        k = self.rotation_of(first)
        span = "rotated" if k + 1 < len(self.bounds) else "live log"
        return (f"lines {first}..{end - 1} of {self.name} (written day {'-'.join(map(str, days))}, "
                f"{span} #{k})")


class Soak:
    def __init__(self, swift_server, target, seed, days, workdir, big_mb=6, out=print):
        from .clirun import write_config
        from .lrlab import Lab
        from .servers import FaultProxy
        from .stores import behind_proxy

        self.target, self.seed, self.days, self.big_mb, self.out = target, seed, days, big_mb, out
        self.rng = random.Random(seed)
        self.workdir = workdir = str(workdir)
        self.proxy = FaultProxy(("127.0.0.1", swift_server.proxy_port))
        self.retries = str(self.rng.choice([0, 1]))
        name = "soak" + uuid.uuid4().hex[:12]  # not from the RNG: a replay must not meet the old store
        big = {"segment_size": "5M"} if target == "swift" else {"multipart_threshold": "5M", "part_size": "5M"}
        self.dest, section, self.direct = behind_proxy(target, swift_server, self.proxy, name,
                                                       retries=self.retries, read_timeout="5", **big)
        self.spool = os.path.join(workdir, "spool")
        self.cfg = write_config(pathlib.Path(workdir, "swiftrotate.conf"), {
            "swiftrotate": {"dest": self.dest, "state_dir": os.path.join(workdir, "state"), "host": "web01",
                            "settle_seconds": "0", "spool_dir": self.spool, "lock_timeout": "10",
                            "deadline": "20", "gate_deadline": "10"}, **section})
        self.lab = Lab(pathlib.Path(workdir, "lab"), self.cfg, logs=LOGS)
        self.plan = os.path.join(str(self.lab.root), "hookplan.json")
        wrapper = f"{sys.executable} {os.path.join(HERE, 'soak_lab.py')} {self.plan}"
        self.lab.configure_scripts({
            "postrotate": self.lab.hook_command_via(wrapper, arg='"$1" "$2"', extra="-v"),
            "preremove": self.lab.hook_command_via(wrapper, extra="-v", command="gate"),
        }, directives=["compress", "delaycompress"], rotate=2)
        pool_rng = random.Random(seed ^ 0x5EED)
        pool = "".join(pool_rng.choice("0123456789abcdefghijklmnopqrstuvwxyz ") for _ in range(1 << 16))
        self.lines = {name: Lines(name, pool) for name in LOGS}
        self.first_seen = {}  # object key -> day it was first listed
        self.day_lines = []
        self.outage_left = 0

    def say(self, text):
        self.day_lines.append(text)
        self.out(text)

    # ------------------------------------------------------------ one day
    def choose(self, day):
        rng = self.rng
        if day == 0:  # logrotate's first run only records the logs
            return {"fault": ("pass",), "kill": None, "double": False, "cron": None}
        if self.outage_left:
            self.outage_left -= 1
            fault = ("outage", "continued")
        else:
            kind = rng.choices(FAULTS, weights=FAULT_WEIGHTS)[0]
            if kind == "lose":
                method, contains = rng.choice(LOSE_KINDS[self.target])
                fault = ("lose", method, contains, rng.choice(["answer", "request"]), rng.randint(1, 3))
            elif kind == "reset":
                fault = ("reset", rng.choice([2048, 64 * 1024, MIB, 4 * MIB, 7 * MIB]))
            elif kind == "stall":
                fault = ("stall", round(rng.uniform(0.5, 8), 2))
            elif kind == "503":
                fault = ("503", rng.randint(1, 6))
            elif kind == "outage":
                length = rng.randint(2, 3)
                self.outage_left = length - 1
                fault = ("outage", f"{length} days")
            else:
                fault = (kind,)
        kill = None
        if rng.random() < 0.35:
            kind = rng.choice(["upload", "upload", "gate"])
            # a gate often ends within 0.3s: aim early at it half the time
            late = 2.0 if kind == "upload" or rng.random() < 0.5 else 0.3
            kill = {"kind": kind, "nth": rng.randint(0, 1 if kind == "upload" else 3),
                    "delay": round(rng.uniform(0.05, late), 2)}
        double = rng.random() < 0.25
        cron = rng.choice([None, None, "after", "during"])
        return {"fault": fault, "kill": kill, "double": double, "cron": cron}

    def apply(self, fault):
        """Set the proxy for the day; return a timer to cancel (stall), if any."""
        p = self.proxy
        kind = fault[0]
        if kind == "lose":
            p.lose(method=fault[1], contains=fault[2], what=fault[3], count=fault[4])
        elif kind == "reset":
            p.reset_after_bytes, p.mode = fault[1], "reset_after"
        elif kind == "503":
            p.status_code, p.status_count, p.mode = 503, fault[1], "status"
        elif kind in ("refuse", "outage"):
            p.mode = "refuse"
        elif kind == "stall":
            p.mode = "stall"
            timer = threading.Timer(fault[1], self._unstall)
            timer.daemon = True
            timer.start()
            return timer
        return None

    def _unstall(self):
        if self.proxy.mode == "stall":
            self.proxy.mode = "pass"

    def end_of_day(self, timer):
        if timer is not None:
            timer.cancel()
        self.proxy.clear_lose()
        if self.outage_left:
            self.proxy.mode = "refuse"
        elif self.proxy.mode != "pass":
            self.proxy.mode = "pass"

    def cron(self):
        from .clirun import run_cli

        return run_cli("--config", self.cfg, "upload", "-v", "--remove", f"{self.lab.logs_dir}/*.log", timeout=300)

    def one_day(self, day):
        when = (START + datetime.timedelta(days=day)).strftime("%Y-%m-%d 00:10:00")
        choice = self.choose(day)
        rng = self.rng
        sizes = {"big.log": int(self.big_mb * MIB * rng.uniform(1.0, 1.3)),
                 "small.log": rng.randint(20, 200) * 120}
        for name in LOGS:
            self.lines[name].write(str(self.lab.logs_dir), day, sizes[name])
        with open(self.plan, "w") as f:
            json.dump({"day": day, "kill": choice["kill"], "double": choice["double"]}, f)
        if os.path.exists(self.plan + ".count"):  # the wrapper counts each day's hooks anew
            os.unlink(self.plan + ".count")
        lost_before = len(self.proxy.lost)
        timer = self.apply(choice["fault"])
        cron_result = []
        during = None
        if choice["cron"] == "during":
            during = threading.Thread(target=lambda: cron_result.append(self.cron()), daemon=True)
            during.start()
        with open(self.lab.hook_log, "a") as f:  # hook.log is the hooks' stderr: mark where each day starts
            f.write(f"--- day {day} {when}\n")
        proc = self.lab.run(when)
        if during is not None:
            during.join()
        rotated = []
        for name in LOGS:
            lines = self.lines[name]
            if not self.lab.live_lines(name) and lines.bounds[-1] < len(lines):
                lines.bounds.append(len(lines))
                rotated.append(name.split(".")[0])
        if choice["cron"] == "after":
            cron_result.append(self.cron())
        if cron_result:
            with open(self.lab.hook_log, "a") as f:
                f.write(f"--- day {day} cron ({choice['cron']}) exit {cron_result[0].returncode}\n"
                        f"{cron_result[0].stderr}")
        lost = self.proxy.lost[lost_before:]
        self.end_of_day(timer)
        self.note_objects(day)
        self.say(self.day_line(day, when, choice, proc, cron_result, rotated, lost))

    def day_line(self, day, when, choice, proc, cron_result, rotated, lost):
        fault = choice["fault"]
        if fault[0] == "lose":
            fault_text = f"lose({fault[1]} {fault[2] or '*'}, {fault[3]}, x{fault[4]})"
        else:
            fault_text = fault[0] + (f"({', '.join(map(str, fault[1:]))})" if len(fault) > 1 else "")
        kill = choice["kill"]
        kill_text = f"{kill['kind']}#{kill['nth']}@{kill['delay']}s" if kill else "-"
        hooks = []
        for event in self.events(day):
            mark = "KILLED" if event["killed"] else str(event["rc"])
            if len(event["codes"]) > 1 and not event["killed"]:
                mark = "/".join(map(str, event["codes"]))
            hooks.append(f"{event['kind'][0]}{event['nth']}:{event['file']}={mark}")
        cron_text = "-"
        if choice["cron"]:
            cron_text = f"{choice['cron']}=" + (str(cron_result[0].returncode) if cron_result else "?")
        return (f"day {day:2d} {when[:10]} fault={fault_text} kill={kill_text} "
                f"double={'yes' if choice['double'] else 'no'} cron={cron_text} | logrotate={proc.returncode} "
                f"rotated={','.join(rotated) or '-'} hooks=[{' '.join(hooks)}] "
                f"lost=[{'; '.join(lost)}] objects={len(self.first_seen)}")

    def events(self, day):
        try:
            with open(self.plan + ".events") as f:
                return [e for e in map(json.loads, f) if e["day"] == day]
        except FileNotFoundError:
            return []

    def note_objects(self, day):
        """The day each object key first showed up (through the direct backend)."""
        try:
            for info in self.direct.list():
                self.first_seen.setdefault(info.key, day)
        except Exception as exc:  # only for the report: the final check lists again
            self.out(f"  (listing after day {day} failed: {exc})")

    # ------------------------------------------------------------ the whole run
    def run(self):
        started = time.monotonic()
        self.out(f"soak: seed {self.seed}, store {self.target}, {self.days} days, big log ~{self.big_mb} MB/day, "
                 f"retries {self.retries} (replay: SOAK_SEED={self.seed}); hooks' output: {self.lab.hook_log}")
        try:
            for day in range(self.days + 1):
                self.one_day(day)
            self.catch_up()
            violations = self.check()
        finally:
            self.proxy.close()
        self.out(f"soak: seed {self.seed}, store {self.target}: {len(violations)} violation(s), "
                 f"{time.monotonic() - started:.0f}s")
        return violations

    def catch_up(self):
        from .clirun import run_cli

        self.proxy.clear_lose()
        self.proxy.mode = "pass"
        self.outage_left = 0
        self.catch_ups = []
        for n in range(2):
            proc = run_cli("--config", self.cfg, "upload", "-v", f"{self.lab.logs_dir}/*.log", timeout=300)
            self.catch_ups.append(proc)
            last = proc.stderr.strip().splitlines()[-1:] or [""]
            self.out(f"catch-up {n + 1}: exit {proc.returncode}: {last[0]}")

    # ------------------------------------------------------------ the invariant
    def check(self):
        """Every violation of the invariant, as one line each."""
        from .invariant import check_objects, stray_leftovers

        violations = []
        proc = self.catch_ups[-1]
        if proc.returncode != 0:
            errors = [line for line in proc.stderr.splitlines() if "rror" in line or "not archived" in line][:5]
            violations.append(f"the pass-through catch-up exits {proc.returncode}: {' | '.join(errors)}")
        try:
            raw = check_objects(self.direct)
        except AssertionError as exc:
            violations.append(f"check_objects: {exc}")
            raw = self._read_each(violations)
        archived = {name: array.array("B", bytes(len(self.lines[name]))) for name in LOGS}
        spans = {name: [] for name in LOGS}  # (first, end, key) of each object
        for key, data in sorted(raw.items()):
            seen = f" (first listed after day {self.first_seen[key]})" if key in self.first_seen else ""
            name = next((n for n in LOGS if os.path.basename(key).startswith(n + "-")), None)
            if name is None:
                violations.append(f"object {key}{seen} is no rotation of {' or '.join(LOGS)}")
                continue
            lines = self.lines[name]
            try:
                seqs = lines.parse(_content(data, key))
            except (ValueError, OSError, EOFError, zlib.error) as exc:
                violations.append(f"object {key}{seen} is not whole: {exc}")
                continue
            if not seqs:
                violations.append(f"object {key}{seen} is empty")
                continue
            first, end = seqs[0], seqs[0] + len(seqs)
            if seqs != list(range(first, end)):
                violations.append(f"object {key}{seen} holds lines of {name} out of order or with gaps "
                                  f"({len(seqs)} lines from {first})")
            else:
                k = lines.rotation_of(first)
                if not (lines.bounds[k] == first and k + 1 < len(lines.bounds) and lines.bounds[k + 1] == end):
                    whole = (f"{lines.bounds[k]}..{lines.bounds[k + 1] - 1}" if k + 1 < len(lines.bounds)
                             else "in the live log")
                    violations.append(f"object {key}{seen} holds {lines.describe(first, end)}: not one complete "
                                      f"rotation (that rotation is lines {whole})")
            spans[name].append((first, end, key))
            counts = archived[name]
            for seq in seqs:
                if counts[seq] < 255:
                    counts[seq] += 1
        local = self._local_lines(violations)
        for name in LOGS:
            violations += self._accounting(name, archived[name], local[name], spans[name])
        try:
            stray = stray_leftovers(self.direct)
        except Exception as exc:
            stray = [f"(could not be listed: {exc})"]
        if stray:
            violations.append(f"{len(stray)} stray segment(s)/multipart upload(s): {', '.join(map(str, stray[:6]))}"
                              + (" ..." if len(stray) > 6 else ""))
        temps = sorted(str(p) for p in self.lab.logs_dir.rglob("*") if p.name.startswith(TEMP_PREFIXES))
        if temps:
            violations.append(f"swiftrotate temp files left in the logs folder: {', '.join(temps)}")
        spooled = sorted(os.listdir(self.spool)) if os.path.isdir(self.spool) else []
        if spooled:
            violations.append(f"the spool is not drained: {', '.join(spooled)}")
        return violations

    def hook_lines_about(self, violations, limit=40):
        """The lines of hook.log (hooks and cron, by day) that name a file
        the violations name: what swiftrotate said about it."""
        names = set(re.findall(r"(?:big|small)\.log-\d{8}", " ".join(violations)))
        if not names or not self.lab.hook_log.exists():
            return ""
        day, out = "", []
        for line in self.lab.hook_log.read_text(errors="replace").splitlines():
            marker = re.match(r"--- (day \d+(?: cron)?)", line)
            if marker:
                day = marker.group(1)
            elif any(n in line for n in names):
                out.append(f"[{day}] {line}")
        shown = out[-limit:]
        return (f"\nhook.log about {', '.join(sorted(names))}"
                + (f" (last {limit} of {len(out)})" if len(out) > limit else "") + ":\n  " + "\n  ".join(shown))

    def _read_each(self, violations):
        out = {}
        for info in self.direct.list():
            try:
                out[info.key] = b"".join(self.direct.open_read(info.key)[1])
            except Exception as exc:
                violations.append(f"object {info.key} cannot be read: {type(exc).__name__}: {exc}")
        return out

    def _local_lines(self, violations):
        """Per log, a bytearray: 1 for each seq still on disk (live log,
        rotated files, the spool)."""
        local = {name: bytearray(len(self.lines[name])) for name in LOGS}
        files = [p for p in self.lab.logs_dir.iterdir() if p.is_file() and not p.name.startswith(TEMP_PREFIXES)]
        if os.path.isdir(self.spool):
            files += [pathlib.Path(self.spool, n) for n in os.listdir(self.spool) if not n.endswith(".origin")]
        for path in files:
            base = path.name.split("-", 1)[1] if path.parent == pathlib.Path(self.spool) else path.name
            name = next((n for n in LOGS if base == n or base.startswith(n + "-")), None)
            if name is None:
                violations.append(f"unexpected file {path}")
                continue
            try:
                seqs = self.lines[name].parse(_content(path.read_bytes(), path.name, sniff=True))
            except (ValueError, OSError, EOFError, zlib.error) as exc:
                violations.append(f"local file {path} is not whole: {exc}")
                continue
            for seq in seqs:
                local[name][seq] = 1
        return local

    def _accounting(self, name, archived, local, spans):
        """Runs of lines in no object and not local, or in several objects."""
        lines, out = self.lines[name], []
        problem = None  # (kind, first seq)

        def close(end):
            kind, first = problem
            text = lines.describe(first, end)
            if kind == "lost":
                out.append(f"{text} in no object and not local")
            else:
                keys = sorted({k for a, b, k in spans if a < end and first < b})
                out.append(f"{text} in {kind} objects: {', '.join(keys)}")

        for seq in range(len(lines)):
            count = archived[seq]
            kind = "lost" if count == 0 and not local[seq] else count if count > 1 else None
            if problem and problem[0] != kind:
                close(seq)
                problem = None
            if kind is not None and problem is None:
                problem = (kind, seq)
        if problem:
            close(len(lines))
        return out


def _content(data, name, sniff=False):
    """The uncompressed bytes of an object or file. With `sniff`, gzip data
    under any name: logrotate moves an X.gz in its way aside as
    X.gz-YYYYMMDDHH.backup (when a vetoed gate left X and X.gz both)."""
    if name.endswith(".gz") or (sniff and data[:2] == b"\x1f\x8b"):
        return gzip.decompress(data)
    return data


def run_soak(swift_server, target, seed, days, workdir, big_mb=6, out=print):
    """One soak; raises AssertionError listing every invariant violation,
    with the seed to replay it."""
    soak = Soak(swift_server, target, seed, days, workdir, big_mb=big_mb, out=out)
    try:
        violations = soak.run()
    finally:
        soak.direct.close()
    if violations:
        shown = violations[:MAX_REPORTED]
        more = len(violations) - len(shown)
        raise AssertionError(
            f"soak seed {seed} on {target} ({days} days) broke the invariant "
            f"(replay: SOAK_SEED={seed}):\n  " + "\n  ".join(shown)
            + (f"\n  ... and {more} more" if more else "")
            + "\ndays:\n  " + "\n  ".join(soak.day_lines)
            + soak.hook_lines_about(violations))
    return soak


if __name__ == "__main__":
    sys.exit(hook_main(sys.argv[1:]))
