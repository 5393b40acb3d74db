"""Fleet health from the store (issue 15, item 5): each host's and each
log's newest archive, the stale hosts, and a request count that grows with
hosts x logs, not with the days kept. Real Swift, S3 (Swift's s3api,
rclone, SeaweedFS) and a folder; requests counted by a FaultProxy."""
import hashlib
import json
import uuid
from datetime import date, timedelta

import pytest

from tests.support.clirun import run_cli, write_config
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy, bucket_name, config_for

SYSLOG, ACCESS = "/var/log/syslog", "/var/log/nginx/access.log"


def run_fleet(cfg, *args, env=None):
    """The command under test: `fleet` now, `status --fleet` once merged."""
    return run_cli("--config", cfg, "status", "--fleet", *args, env=env)


def stamp(days_ago, fmt="%Y%m%d"):
    return (date.today() - timedelta(days=days_ago)).strftime(fmt)


def seed(backend, tmp_path, host, log, newest, days):
    """`days` daily archives of `log` on `host`, the newest `newest` days ago, gzipped."""
    src = tmp_path / ("src-" + uuid.uuid4().hex)
    src.write_bytes(b"x")
    for ago in range(newest, newest + days):
        backend.put(f"{host}{log}-{stamp(ago)}.gz", str(src), size=1, sha256=hashlib.sha256(b"x").hexdigest())


def fleet_of(store_backend, tmp_path, days):
    """web01 and web02 archive daily (today, yesterday); db01 stopped 9 days ago."""
    for host, newest in (("web01", 0), ("web02", 1), ("db01", 9)):
        for log in (SYSLOG, ACCESS):
            seed(store_backend, tmp_path, host, log, newest, days)


@pytest.mark.parametrize("walked", [False, True], ids=["one-page", "walked"])
def test_newest_stamps_stale_hosts_and_host_globs(store, tmp_path, walked):
    """Each host's keys in one listing page, or (list_page_size = 5) its folders walked."""
    fleet_of(store.backend, tmp_path, days=4)
    seed(store.backend, tmp_path, "web02", "/var/log/old.log", 30, 2)  # a log that stopped on a fresh host
    src = tmp_path / "note"
    src.write_bytes(b"n")
    store.backend.put("web01/var/log/notes.txt", str(src), size=1, sha256=hashlib.sha256(b"n").hexdigest())
    store.backend.put(f"web01{SYSLOG}-{stamp(0, '%Y%m%d%H%M%S')}", str(src), size=1,
                      sha256=hashlib.sha256(b"n").hexdigest())  # rename's finer form, same day, later
    section = "file" if store.target == "local" else "swift" if store.target == "swift" else "s3"
    cfg = config_for(store, tmp_path, {section: {**store.options, "list_page_size": "5"}} if walked else None)
    proc = run_fleet(cfg, "--json")
    assert proc.returncode == 1, proc.stderr  # some hosts stale: degraded
    doc = json.loads(proc.stdout)
    assert doc["stale_hosts"] == ["db01"] and doc["hosts"] == 3 and doc["logs"] == 7 and doc["skipped_keys"] == 1
    newest = {(h["host"], x["log"]): (x["key"], x["age_days"], x["stale"]) for h in doc["per_host"] for x in h["logs"]}
    assert newest == {
        ("db01", ACCESS): (f"db01{ACCESS}-{stamp(9)}.gz", 9, True),
        ("db01", SYSLOG): (f"db01{SYSLOG}-{stamp(9)}.gz", 9, True),
        ("web01", ACCESS): (f"web01{ACCESS}-{stamp(0)}.gz", 0, False),
        ("web01", SYSLOG): (f"web01{SYSLOG}-{stamp(0, '%Y%m%d%H%M%S')}", 0, False),
        ("web02", ACCESS): (f"web02{ACCESS}-{stamp(1)}.gz", 1, False),
        ("web02", "/var/log/old.log"): (f"web02/var/log/old.log-{stamp(30)}.gz", 30, True),
        ("web02", SYSLOG): (f"web02{SYSLOG}-{stamp(1)}.gz", 1, False),
    }
    human = run_fleet(cfg)
    assert human.returncode == 1 and human.stdout.splitlines()[0].split() == [
        "db01", ACCESS, (date.today() - timedelta(days=9)).isoformat(), "9d", "stale"], human.stdout
    assert human.stdout.splitlines()[-2] == ("fleet: 3 hosts, 7 logs; 1 stale (newest archive older than 2 days): "
                                             "db01")
    web = run_fleet(cfg, "--host", "web*", "--json")
    assert web.returncode == 0 and [h["host"] for h in json.loads(web.stdout)["per_host"]] == ["web01", "web02"]
    assert run_fleet(cfg, "--host", "db01").returncode == 2  # every host asked for is stale: failing
    assert run_fleet(cfg, "--stale", "9").returncode == 0
    assert run_fleet(cfg, "--stale", "0", "--host", "web0[12]").returncode == 1  # web02's newest is yesterday's
    none = run_fleet(cfg, "--host", "mail*")
    assert none.returncode == 66 and "no archive of any host matching --host mail*" in none.stderr, none.stderr


def test_a_missing_container_is_66(store, tmp_path):
    name = "m" + uuid.uuid4().hex[:16]
    cfg = config_for(store, tmp_path, dest=store.url.rsplit("/", 1)[0] + "/" + name)
    proc = run_fleet(cfg)
    assert proc.returncode == 66 and f"{name} does not exist" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


# Requests in fleet_of's layout (3 hosts, 2 logs each, 3 or 12 days). A host
# whose keys fit in one listing page costs that one request. With
# list_page_size = 5 they do not, and its folders are walked: web01/, var/,
# log/, nginx/ (F = 4) cost one request per entry in them (3 folders + 2
# logs) plus one that finds each folder's end (4): 2F - 1 + logs = 9, after
# the page that did not hold them all. Reading each log's newest costs
# nothing more where the store lists newest-first (Swift); on S3, one range
# listing per log (from the cutoff, 3 days ago, up), and db01's logs (9 days
# old) two more each: 6..2 days ago, then 12..5 days ago (or the rest, when
# the oldest is newer), where the newest is. Plus one listing of the hosts.
WALK = 1 + 2 * 4 - 1 + 2
PER_HOST = {("swift", False): 1, ("s3", False): 1, ("swift", True): WALK, ("s3", True): WALK + 2}
STALE_EXTRA = {("swift", False): 0, ("s3", False): 0, ("swift", True): 0, ("s3", True): 2 * 2}


def listing_requests(proxy, name):
    return [line for line in proxy.seen if line.startswith("GET ") and name in line and "/auth/" not in line]


@pytest.mark.parametrize("walked", [False, True], ids=["one-page", "walked"])
@pytest.mark.parametrize("target", ["swift", "s3-swift", "s3-rclone"])
def test_requests_grow_with_hosts_and_logs_not_days(target, walked, tmp_path, request):
    api = (target.split("-")[0], walked)
    paging = {"list_page_size": "5"} if walked else {}
    counts = []
    for days in (3, 12):
        name = bucket_name()
        if target == "s3-rclone":
            rclone = request.getfixturevalue("rclone_server")
            proxy = FaultProxy(("127.0.0.1", rclone.port))
            sections = {"s3": {"endpoint_url": proxy.url_for(), "region": "us-east-1", "checksum": "when_required",
                               "access_key_id": rclone.access_key, "secret_access_key": rclone.secret_key,
                               **paging}}
            from swiftrotate.backends.s3 import S3Backend

            direct = S3Backend(name, endpoint_url=rclone.endpoint, region="us-east-1", checksum="when_required",
                               access_key_id=rclone.access_key, secret_access_key=rclone.secret_key)
            dest = f"s3://{name}"
        else:
            proxy = FaultProxy(("127.0.0.1", request.getfixturevalue("swift_server").proxy_port))
            dest, sections, direct = behind_proxy(target, request.getfixturevalue("swift_server"), proxy, name,
                                                  **paging)
        with proxy, direct:
            fleet_of(direct, tmp_path, days)
            cfg = write_config(tmp_path / f"fleet-{days}.conf", {
                "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state")}, **sections})
            proc = run_fleet(cfg, "--jobs", "1", "--json")
            assert proc.returncode == 1 and json.loads(proc.stdout)["stale_hosts"] == ["db01"], proc.stderr
            newest = {(h["host"], x["log"]): x["key"] for h in json.loads(proc.stdout)["per_host"] for x in h["logs"]}
            assert newest[("db01", SYSLOG)] == f"db01{SYSLOG}-{stamp(9)}.gz"
            assert newest[("web02", ACCESS)] == f"web02{ACCESS}-{stamp(1)}.gz"
            counts.append(len(listing_requests(proxy, name)))
            before = len(listing_requests(proxy, name))
            named = run_fleet(cfg, "--host", "web01", "--jobs", "1")  # a name, not a glob: no host listing
            assert named.returncode == 0, named.stderr
            web01 = len(listing_requests(proxy, name)) - before
            assert web01 == PER_HOST[api], "\n".join(listing_requests(proxy, name)[before:])
    assert counts == [1 + 3 * PER_HOST[api] + STALE_EXTRA[api]] * 2, counts


def test_a_host_name_that_leaves_the_hosts_folder_is_refused(store, tmp_path):
    """The security checklist's path traversal: `--host ..` on a file:// store listed the folder
    above the store as if it were a host's archives."""
    cfg = config_for(store, tmp_path)
    for bad in ("..", "web01/../..", "."):
        proc = run_fleet(cfg, "--host", bad)
        assert proc.returncode == 65 and "refusing host name" in proc.stderr, (bad, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_archives_of_a_dateformat_only_the_stanza_knows_are_read(store, tmp_path):
    """Review finding 7: under logrotate the dateformat may be the stanza's alone (.%Y-%m-%d,
    -%Y%m%d%H), and the machine running --fleet has neither that stanza nor the setting. Such keys
    were skipped, so the host looked stale, or absent; a key keeps its stamp, which is read with
    every dateformat swiftrotate can recognise."""
    src = tmp_path / "src"
    src.write_bytes(b"x")
    sha = hashlib.sha256(b"x").hexdigest()
    keys = [f"web01{ACCESS}.{stamp(ago, '%Y-%m-%d')}.gz" for ago in (3, 1, 2)]
    keys += [f"web01{SYSLOG}-{stamp(ago, '%Y%m%d')}{hour:02d}" for ago in (1, 0) for hour in (9, 23)]
    keys += [f"db01{ACCESS}_{stamp(ago, '%Y.%m.%d')}-0{ago}0000.gz" for ago in (8, 7)]
    for key in keys:
        store.backend.put(key, str(src), size=1, sha256=sha)
    proc = run_fleet(config_for(store, tmp_path), "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # db01 stale, web01 not
    doc = json.loads(proc.stdout)
    newest = {(h["host"], x["log"]): (x["key"], x["age_days"]) for h in doc["per_host"] for x in h["logs"]}
    assert newest == {
        ("web01", ACCESS): (f"web01{ACCESS}.{stamp(1, '%Y-%m-%d')}.gz", 1),
        ("web01", SYSLOG): (f"web01{SYSLOG}-{stamp(0, '%Y%m%d')}23", 0),
        ("db01", ACCESS): (f"db01{ACCESS}_{stamp(7, '%Y.%m.%d')}-070000.gz", 7),
    }, doc
    assert doc["skipped_keys"] == 0 and doc["stale_hosts"] == ["db01"]
