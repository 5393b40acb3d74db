"""Issue 11's reproductions: "archived" means a later GET returns the bytes.

Each runs the real command against the real Swift (or its s3api) through a
FaultProxy that loses a request's answer after the server acted, then checks
the store directly: every object reads back whole, nothing stray is left, and
no local file was deleted while its archive was broken.
"""
import gzip
import os
import uuid


from tests.support.clirun import rotated, run_cli, write_config
from tests.support.invariant import check_objects, stray_leftovers
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy

MIB = 1024 * 1024


def setup(tmp_path, swift_server, target="swift", **options):
    proxy = FaultProxy(("127.0.0.1", swift_server.proxy_port))
    name = "v" + uuid.uuid4().hex[:12]
    size_opts = {"segment_size": "1M"} if target == "swift" else {"multipart_threshold": "5M", "part_size": "5M"}
    dest, sections, direct = behind_proxy(target, swift_server, proxy, name,
                                          **{"retries": "2", "read_timeout": "5", **size_opts, **options})
    conf = write_config(tmp_path / "swiftrotate.conf", {
        "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state"), "host": "web01",
                        "settle_seconds": "0", "spool_dir": str(tmp_path / "spool"), "gate_max_age": "0"},
        **sections})
    return proxy, conf, direct


def upload(conf, *args):
    return run_cli("--config", conf, "upload", *args)


def test_lost_manifest_answer_and_unreadable_manifest_keep_the_segments_and_the_file(tmp_path, swift_server):
    """The manifest PUT is committed but its answer lost; swiftclient's retry
    gets 412; every manifest GET is reset. This exited 0 with the segments
    deleted (HEAD showed our metadata, GET answered 409) and the gate then
    allowed the deletion. Now: 75, segments kept, and the next run finds
    the object whole."""
    data = os.urandom(3 * MIB)
    path = rotated(tmp_path / "logs", "app.log-20261125", data)
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        proxy.lose("PUT", "multipart-manifest=put")
        proxy.lose("GET", "multipart-manifest=get", count=50)
        first = upload(conf, str(tmp_path / "logs/app.log"))
        assert proxy.lost[:2] and "multipart-manifest=put" in proxy.lost[0], proxy.lost
        assert first.returncode == 75, first.stderr
        assert path.exists()
        gate = run_cli("--config", conf, "gate", "--mode", "veto", str(path))
        assert gate.returncode == 1 and path.exists(), gate.stderr  # cannot tell yet: keep it
        proxy.clear_lose()
        second = upload(conf, str(tmp_path / "logs/app.log"))
        assert second.returncode == 0, second.stderr
        assert list(check_objects(direct).values()) == [data]
        assert stray_leftovers(direct) == []
    finally:
        proxy.close()
        direct.close()


def test_broken_object_is_repaired_from_the_local_copy_then_gated(tmp_path, swift_server):
    """Segments of an archived SLO vanish (deleted out of band). The ledger
    and HEAD still say "archived"; the gate and --remove must not believe
    them. With the local file there, upload puts the segments back."""
    data = os.urandom(3 * MIB)
    path = rotated(tmp_path / "logs", "app.log-20261125", data)
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        assert upload(conf, str(tmp_path / "logs/app.log")).returncode == 0
        segments = [o.key for o in _segments(direct)]
        assert len(segments) == 3
        direct._conn().delete_object(direct.segment_container, segments[1])
        gone = run_cli("--config", conf, "upload", "--remove", str(tmp_path / "logs/app.log"))
        assert gone.returncode == 0, gone.stderr
        assert "repaired" in gone.stderr and not path.exists()
        assert list(check_objects(direct).values()) == [data]
    finally:
        proxy.close()
        direct.close()


def test_broken_object_without_a_local_copy_is_65_naming_the_key(tmp_path, swift_server):
    data = os.urandom(3 * MIB)
    path = rotated(tmp_path / "logs", "app.log-20261125", data)
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        assert upload(conf, str(tmp_path / "logs/app.log")).returncode == 0
        for seg in _segments(direct):
            direct._conn().delete_object(direct.segment_container, seg.key)
        path.write_bytes(b"another file under the same name\n")
        gate = run_cli("--config", conf, "gate", "--mode", "veto", str(path))
        assert gate.returncode == 1 and path.exists(), gate.stderr
        again = run_cli("--config", conf, "upload", "--remove", str(tmp_path / "logs/app.log"))
        assert again.returncode == 65 and path.exists(), again.stderr
        line = [x for x in again.stderr.splitlines() if "broken in the store" in x]
        assert line and "app.log-20261125" in line[0] and "3 of 3 segments" in line[0], again.stderr
        assert "Traceback" not in again.stderr
    finally:
        proxy.close()
        direct.close()


def test_every_manifest_answer_lost_never_leaves_a_broken_object(tmp_path, swift_server):
    """Variant 2: every answer to the manifest PUT is lost (and the old code's
    DELETE of it was reset). Whatever the first run says, after a clean
    second run the object is whole and nothing is stray."""
    data = os.urandom(3 * MIB)
    path = rotated(tmp_path / "logs", "app.log-20261125", data)
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        proxy.lose("PUT", "multipart-manifest=put", count=50)
        proxy.lose("DELETE", "multipart-manifest=delete", what="request", count=50)
        first = upload(conf, str(tmp_path / "logs/app.log"))
        assert proxy.lost, proxy.seen
        assert first.returncode in (0, 75), first.stderr
        assert path.exists()
        if first.returncode == 0:  # only when the object reads back whole
            assert list(check_objects(direct).values()) == [data]
        proxy.clear_lose()
        assert upload(conf, str(tmp_path / "logs/app.log")).returncode == 0
        assert list(check_objects(direct).values()) == [data]
        assert stray_leftovers(direct) == []
    finally:
        proxy.close()
        direct.close()


def test_plain_file_after_its_gz_was_archived_is_the_same_unit(tmp_path, swift_server):
    """logrotate gzipped X, the gate on X was killed: X and X.gz both stay,
    and X.gz goes up first. X, and later X.gz compressed again with another
    header, are the same rotation, not a conflict forever."""
    text = b"".join(b"line %d of the day\n" % i for i in range(20000))
    logs = tmp_path / "logs"
    gz = rotated(logs, "app.log-20261125.gz", gzip.compress(text, mtime=1))
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        assert upload(conf, str(gz)).returncode == 0  # $2-style: only the .gz
        plain = rotated(logs, "app.log-20261125", text)
        run = upload(conf, str(logs / "app.log"))
        assert run.returncode == 0, run.stderr
        os.unlink(plain)
        gz.write_bytes(gzip.compress(text, mtime=2, compresslevel=9))  # re-gzipped: other header, same content
        again = upload(conf, str(logs / "app.log"))
        assert again.returncode == 0, again.stderr
        assert [k.rsplit("/", 1)[1] for k in check_objects(direct)] == ["app.log-20261125.gz"]
        changed = upload(conf, "--remove", str(logs / "app.log"))  # --remove verifies against the store
        assert changed.returncode == 0 and not gz.exists(), changed.stderr
    finally:
        proxy.close()
        direct.close()


def test_a_spooled_conflict_fails_only_the_runs_of_its_own_log(tmp_path, swift_server):
    logs = tmp_path / "logs"
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        x = rotated(logs, "app.log-20261125", b"first\n")
        assert upload(conf, str(logs / "app.log")).returncode == 0
        os.unlink(x)
        x = rotated(logs, "app.log-20261125", b"something else\n")  # a true conflict
        proxy.mode = "refuse"
        assert run_cli("--config", conf, "gate", str(x)).returncode == 0  # spooled
        os.unlink(x)
        proxy.mode = "pass"
        rotated(logs, "web.log-20261125", b"web\n")
        other = upload(conf, str(logs / "web.log"))
        assert other.returncode == 0, other.stderr
        assert "spooled" in other.stderr and "not covered by this run" in other.stderr
        own = upload(conf, str(logs / "app.log"))
        assert own.returncode == 65, own.stderr
        assert len(os.listdir(tmp_path / "spool")) == 2  # the copy and its .origin: kept, never overwritten
    finally:
        proxy.close()
        direct.close()


def test_killed_upload_leftovers_are_cleared_after_the_gz_is_archived(tmp_path, swift_server):
    """kill -9 mid-upload of X; logrotate then gzips X (delaycompress), so
    the next run archives X.gz. The segments of X used to stay forever."""
    import signal
    import subprocess
    import sys
    import time

    data = os.urandom(40 * MIB)
    logs = tmp_path / "logs"
    plain = rotated(logs, "app.log-20261125", data)
    proxy, conf, direct = setup(tmp_path, swift_server)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", "--config", conf, "upload", str(plain)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("_segments/" in line for line in proxy.seen):
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert stray_leftovers(direct), "the kill came too late to leave segments"
        gz = rotated(logs, "app.log-20261125.gz", gzip.compress(data[: 2 * MIB], mtime=1))
        os.unlink(plain)
        run = upload(conf, str(gz))
        assert run.returncode == 0, run.stderr
        assert stray_leftovers(direct) == []
        assert [k.rsplit("/", 1)[1] for k in check_objects(direct)] == ["app.log-20261125.gz"]
    finally:
        proxy.close()
        direct.close()


def test_s3_lost_answers_to_create_bucket_and_multipart_start_leave_nothing(tmp_path, swift_server):
    """CreateBucket's answer lost: the retry's BucketAlreadyOwnedByYou is
    success (it was 69). CreateMultipartUpload's answer lost: an orphan
    upload exists; with the cleanup listing also lost, the next run (with
    nothing new to upload) still aborts it."""
    data = os.urandom(7 * MIB)
    rotated(tmp_path / "logs", "app.log-20261125", data)
    proxy, conf, direct = setup(tmp_path, swift_server, target="s3")
    try:
        proxy.lose("PUT", f"/{direct.bucket}")
        proxy.lose("POST", "?uploads")
        proxy.lose("GET", "?uploads", count=10)
        first = upload(conf, str(tmp_path / "logs/app.log"))
        assert len(proxy.lost) >= 3, (proxy.lost, proxy.seen)
        assert first.returncode == 0, first.stderr
        assert stray_leftovers(direct), "the lost answer should have left an open upload"
        proxy.clear_lose()
        second = upload(conf, str(tmp_path / "logs/app.log"))
        assert second.returncode == 0, second.stderr
        assert stray_leftovers(direct) == []
        assert list(check_objects(direct).values()) == [data]
    finally:
        proxy.close()
        direct.close()


def _segments(direct):
    from swiftrotate.backends.swift import SwiftBackend

    seg = SwiftBackend(direct.segment_container, auth_url=direct._conn_args["authurl"], user="test:tester",
                       key="testing")
    try:
        return list(seg.list())
    finally:
        seg.close()


def test_lost_complete_answer_of_x_then_its_gz_in_the_same_run_is_one_object(tmp_path, swift_server):
    """Soak seed 2 (S3): a run holds X and X.gz; X's CompleteMultipartUpload
    answer is lost twice (stored, but the run says 75), then X.gz came next
    and, trusting the run's first listing, went up as a second object."""
    text = b"".join(b"line %d of the day, some padding to make it long\n" % i for i in range(200000))
    logs = tmp_path / "logs"
    plain = rotated(logs, "app.log-20261125", text)
    gz = rotated(logs, "app.log-20261125.gz", gzip.compress(text, mtime=1))
    proxy, conf, direct = setup(tmp_path, swift_server, target="s3", retries="1")
    try:
        proxy.lose("POST", "app.log-20261125?uploadId", count=2)
        first = run_cli("--config", conf, "upload", "--jobs", "1", "--remove", str(logs / "app.log"))
        assert len(proxy.lost) == 2, proxy.seen
        assert first.returncode == 75 and plain.exists(), first.stderr
        proxy.clear_lose()
        assert upload(conf, "--remove", str(logs / "app.log")).returncode == 0
        assert not plain.exists() and not gz.exists()
        stored = check_objects(direct)
        assert [k.rsplit("/", 1)[1] for k in stored] == ["app.log-20261125"], list(stored)
        assert list(stored.values()) == [text]
        assert stray_leftovers(direct) == []
    finally:
        proxy.close()
        direct.close()
