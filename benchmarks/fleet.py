"""Fleet health at scale: `swiftrotate status --fleet` on 2,000 hosts x 5 logs x 30
days (300,000 archives) in the test Swift, and the request count against
hosts x logs x days.

    .venv/bin/python benchmarks/fleet.py                      # the whole run (~25 min on 2 cores)
    .venv/bin/python benchmarks/fleet.py --hosts 200 --days 3,30 --s3

Loading: 300,000 PUTs of tiny objects go at ~75/s on this 2-core box even
through Swift's bulk middleware (one tar per request), an hour. A listing
only reads the container database, so the big sets are written there
directly (swift.container.backend.ContainerBroker.merge_items, the rows an
object PUT's container update adds; the objects' bytes are not stored).
One small set is also loaded through real PUTs (bulk extract-archive) and
must give the same answer for the same number of requests: the check that
the shortcut changes nothing fleet can see.

Requests are counted by a FaultProxy in front of the Swift proxy
(tests/support/faultproxy.py): every listing GET on the container; the
auth request is left out. Each case runs the real command, --jobs 8.
"""
import argparse
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from datetime import date, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # a script, not a test: find tests.support from a checkout

from tests.support.faultproxy import FaultProxy  # noqa: E402
from tests.support.servers import SwiftServer  # noqa: E402

LOGS = ("var/log/syslog", "var/log/auth.log", "var/log/nginx/access.log", "var/log/nginx/error.log",
        "var/log/app/app.log")
STALE = {42: 10, 1337: 10, 1999: 10}  # host number -> days since it stopped


def keys(hosts, days):
    today = date.today()
    for h in range(hosts):
        stopped = STALE.get(h, 0)
        for log in LOGS:
            for d in range(stopped, stopped + days):
                yield f"host{h:04d}/{log}-{(today - timedelta(days=d)).strftime('%Y%m%d')}.gz"


def load_db(server, conn, container, hosts, days):
    """Rows straight into the container database."""
    from swift.common.utils import Timestamp
    from swift.container.backend import ContainerBroker

    conn.put_container(container)
    broker = None
    for path in glob.glob(os.path.join(server.data_dir, "srv", "*", "containers", "*", "*", "*", "*.db")):
        candidate = ContainerBroker(path)
        if candidate.get_info()["container"] == container:
            broker = candidate
    etag = hashlib.md5(b"x").hexdigest()
    batch = []
    for key in keys(hosts, days):
        batch.append({"name": key, "created_at": Timestamp.now().internal, "size": 1, "deleted": 0,
                      "content_type": "application/gzip", "etag": etag, "storage_policy_index": 0})
        if len(batch) == 10000:
            broker.merge_items(batch)
            batch = []
    if batch:
        broker.merge_items(batch)


def load_put(conn, container, hosts, days):
    """Real object PUTs: one bulk extract-archive request (a tar) per 10 hosts."""
    conn.put_container(container)
    names = list(keys(hosts, days))
    per = 10 * len(LOGS) * days
    for i in range(0, len(names), per):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name in names[i:i + per]:
                info = tarfile.TarInfo(name)
                info.size = 1
                tar.addfile(info, io.BytesIO(b"x"))
        conn.put_object(container, "", buf.getvalue(), query_string="extract-archive=tar")


def run_fleet(server, proxy, container, hosts_glob, s3, workdir, page=None):
    conf = os.path.join(workdir, f"{container}-{'s3' if s3 else 'swift'}{page or ''}.conf")
    with open(conf, "w") as f:
        if s3:
            f.write(f"[swiftrotate]\ndest = s3://{container}\nstate_dir = {workdir}/state\n[s3]\n"
                    f"endpoint_url = {proxy.url_for()}\nregion = us-east-1\naccess_key_id = test:tester\n"
                    "secret_access_key = testing\n" + (f"list_page_size = {page}\n" if page else ""))
        else:
            f.write(f"[swiftrotate]\ndest = swift://{container}\nstate_dir = {workdir}/state\n[swift]\n"
                    f"auth_url = {proxy.url_for('/auth/v1.0')}\nuser = test:tester\nkey = testing\n"
                    + (f"list_page_size = {page}\n" if page else ""))
    os.chmod(conf, 0o600)
    before = len(proxy.seen)
    args = [sys.executable, "-m", "swiftrotate", "--config", conf, "status", "--fleet", "--json", "--jobs", "8"]
    if hosts_glob:
        args += ["--host", hosts_glob]
    start = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT})
    seconds = time.monotonic() - start
    seen = [line for line in proxy.seen[before:] if line.startswith("GET ") and f"/{container}" in line]
    doc = json.loads(proc.stdout) if proc.stdout else {}
    return {"exit": proc.returncode, "seconds": round(seconds, 1), "requests": len(seen),
            "hosts": doc.get("hosts"), "logs": doc.get("logs"), "stale_hosts": doc.get("stale_hosts"),
            "per_host": doc.get("per_host"), "stderr": proc.stderr[-500:]}


def run_ls(proxy, container, workdir):
    """The alternative: one listing of the whole store (`swiftrotate ls`), 1,000 keys a page."""
    conf = os.path.join(workdir, f"{container}-swift.conf")
    before = len(proxy.seen)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", conf, "ls"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": ROOT})
    seconds = time.monotonic() - start
    seen = [line for line in proxy.seen[before:] if line.startswith("GET ") and f"/{container}" in line]
    return {"exit": proc.returncode, "seconds": round(seconds, 1), "requests": len(seen),
            "keys": len(proc.stdout.splitlines())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--days", default="3,30", help="comma-separated day counts, one container each")
    ap.add_argument("--subset", default="host0[01]*", help="a --host glob run on every container too (200 hosts)")
    ap.add_argument("--s3", action="store_true", help="also run the subset through Swift's s3api")
    ap.add_argument("--check-put", type=int, default=200, help="hosts loaded by real PUTs (3 days) to cross-check")
    ap.add_argument("--baseline", action="store_true", help="also time a whole-store `swiftrotate ls` per container")
    ap.add_argument("--only-baseline", action="store_true", help="only the 200-host subset and the ls baseline")
    ap.add_argument("--walk-page", type=int, default=10,
                    help="also run the subset with this list_page_size: hosts no longer fit in one page, "
                    "so their folders are walked (0: not)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    import swiftclient

    workdir = f"/tmp/fleet-bench-{os.getpid()}"
    os.makedirs(workdir)
    server = SwiftServer().start()
    results = []
    try:
        conn = swiftclient.Connection(authurl=server.auth_url, user="test:tester", key="testing")
        proxy = FaultProxy(("127.0.0.1", server.proxy_port))
        for days in [int(d) for d in args.days.split(",")]:
            container = f"fleet-{args.hosts}x{days}"
            start = time.monotonic()
            load_db(server, conn, container, args.hosts, days)
            print(f"loaded {args.hosts * len(LOGS) * days} archives into {container} (container database) "
                  f"in {time.monotonic() - start:.1f} s", flush=True)
            cases = [(None, False)] if not args.only_baseline else []
            cases = [(c, s3, None) for c, s3 in cases]
            cases += [(args.subset, False, None)] + ([(args.subset, True, None)] if args.s3 else [])
            if args.walk_page:
                cases += [(args.subset, False, args.walk_page)] + ([(args.subset, True, args.walk_page)]
                                                                   if args.s3 else [])
            for hosts_glob, s3, page in cases:
                out = run_fleet(server, proxy, container, hosts_glob, s3, workdir, page)
                out.update(container=container, days=days, glob=hosts_glob, api="s3" if s3 else "swift", page=page)
                results.append(out)
                print(f"{container:16} {'s3' if s3 else 'swift':5} page {page or 1000:4} "
                      f"--host {hosts_glob or '*':10} hosts {out['hosts']}"
                      f" logs {out['logs']} stale {out['stale_hosts']} exit {out['exit']}: {out['requests']} "
                      f"requests, {out['seconds']} s", flush=True)
            if args.baseline or args.only_baseline:
                out = run_ls(proxy, container, workdir)
                out.update(container=container, days=days, api="ls")
                results.append(out)
                print(f"{container:16} whole-store `swiftrotate ls`: {out['keys']} keys, exit {out['exit']}: "
                      f"{out['requests']} requests, {out['seconds']} s", flush=True)
        if args.check_put:
            put_c, db_c = f"fleet-put-{args.check_put}x3", f"fleet-db-{args.check_put}x3"
            start = time.monotonic()
            load_put(conn, put_c, args.check_put, 3)
            n = args.check_put * len(LOGS) * 3
            took = time.monotonic() - start
            print(f"loaded {n} archives into {put_c} by real PUTs (bulk extract-archive) in {took:.1f} s "
                  f"({n / took:.0f}/s)", flush=True)
            load_db(server, conn, db_c, args.check_put, 3)
            put_r, db_r = (run_fleet(server, proxy, c, None, False, workdir) for c in (put_c, db_c))
            same = put_r["per_host"] == db_r["per_host"] and put_r["requests"] == db_r["requests"]
            print(f"PUT-loaded vs database-loaded, {args.check_put} hosts x 3 days: {put_r['requests']} vs "
                  f"{db_r['requests']} requests, {put_r['seconds']} vs {db_r['seconds']} s, same answer: {same}",
                  flush=True)
            results.append({"check_put": args.check_put, "same": same, "put": put_r["requests"],
                            "db": db_r["requests"], "put_load_seconds": round(took, 1)})
        proxy.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{k: v for k, v in r.items() if k != "per_host"} for r in results], f, indent=1)


if __name__ == "__main__":
    main()
