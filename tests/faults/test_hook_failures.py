"""The hook when things break: outages, kill -9, concurrent hooks, full disk.

The invariant everywhere: a file is either archived and verified, or still
on disk with a non-zero exit; the next run converges to exactly one object
per rotated unit.
"""
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.support.clirun import rotated, run_cli, write_config
from tests.support.lrlab import Lab, content
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy, download
from swiftrotate.backends.swift import SwiftBackend
from swiftrotate.naming import unit_id

MIB = 1024 * 1024


def swift_conf(tmp_path, auth_url, container, **swift):
    return write_config(tmp_path / "swiftrotate.conf", {
        "swiftrotate": {"dest": f"swift://{container}", "state_dir": str(tmp_path / "state"),
                        "host": "web01", "settle_seconds": "0"},
        "swift": {"auth_url": auth_url, "user": "test:tester", "key": "testing", "retries": "0",
                  "connect_timeout": "2", "read_timeout": "10", "segment_size": "5M", **swift},
    })


def backend_for(swift_server, container):
    return SwiftBackend(container, auth_url=swift_server.auth_url, user="test:tester", key="testing")


def test_outage_under_logrotate_then_backlog_archived_once(tmp_path, swift_server):
    """Three days with the store unreachable (compress, postrotate): logrotate
    exits 1 and leaves those files uncompressed; after recovery one run
    archives the whole backlog, once."""
    container = "out" + uuid.uuid4().hex[:10]
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        cfg = swift_conf(tmp_path, proxy.url_for("/auth/v1.0"), container)
        lab = Lab(tmp_path / "lab", cfg)
        lab.configure(["compress"], hook="postrotate")
        lab.days(["2026-11-01 00:10:00", "2026-11-02 00:10:00"])
        assert all(p.returncode == 0 for p in lab.results)
        proxy.mode = "refuse"
        for day in ("2026-11-03 00:10:00", "2026-11-04 00:10:00", "2026-11-05 00:10:00"):
            lab.write_lines(day)
            proc = lab.run(day)
            assert proc.returncode != 0  # the hook failed, so logrotate kept the file
        leftovers = [p.name for p in lab.rotated_files() if not p.name.endswith(".gz")]
        assert len(leftovers) == 6, leftovers  # 3 days x 2 logs, uncompressed
        proxy.mode = "pass"
        lab.write_lines("2026-11-06")
        assert lab.run("2026-11-06 00:10:00").returncode == 0, lab.hook_output()
    backend = backend_for(swift_server, container)
    keys = [o.key for o in backend.list()]
    assert len(keys) == len({unit_id(k) for k in keys}) == 10  # 5 rotations x 2 logs
    for name in lab.logs:
        archived = []
        for key in keys:
            if "/" + name + "-" in key:
                archived += content(b"".join(backend.open_read(key)[1]), key).decode().splitlines(True)
        gone = lab.rotated_away(name)
        assert sorted(archived) == sorted(gone)
    backend.close()


def test_server_stopped_mid_run_keeps_files_and_next_run_converges(tmp_path, swift_server):
    container = "stop" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    for day in range(1, 21):
        rotated(logs, f"app.log-202611{day:02d}", os.urandom(256 * 1024))
    cfg = swift_conf(tmp_path, swift_server.auth_url, container)
    proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", "--config", cfg, "upload", "-j", "1",
                             str(logs / "app.log")], stderr=subprocess.PIPE, text=True)
    backend = backend_for(swift_server, container)
    try:
        deadline = time.monotonic() + 60
        while not list(backend.list()) and time.monotonic() < deadline:
            time.sleep(0.05)
        swift_server.stop_proxy()
        err = proc.communicate(timeout=120)[1]
    finally:
        swift_server.start_proxy()
    assert proc.returncode == 75, err
    assert len(list(logs.iterdir())) == 20  # nothing local was touched
    again = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert again.returncode == 0, again.stderr
    keys = [o.key for o in backend.list()]
    assert len(keys) == 20
    for key in keys:
        name = key.rsplit("/", 1)[1]
        assert b"".join(backend.open_read(key)[1]) == (logs / name).read_bytes()
    backend.close()


def test_kill_9_during_segmented_upload_then_rerun_converges(tmp_path, swift_server):
    container = "kill" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    data = os.urandom(40 * MIB)
    rotated(logs, "big.log-20261126", data)
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        cfg = swift_conf(tmp_path, proxy.url_for("/auth/v1.0"), container, segment_threads="1")
        proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", "--config", cfg, "upload",
                                 str(logs / "big.log")], stderr=subprocess.PIPE)
        segments = backend_for(swift_server, container + "_segments")
        deadline = time.monotonic() + 60
        while not list(segments.list()) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    backend = backend_for(swift_server, container)
    assert list(segments.list()), "the kill came too late to test anything"
    assert [o.key for o in backend.list()] == []  # nothing at the final key
    cfg = swift_conf(tmp_path, swift_server.auth_url, container)
    again = run_cli("--config", cfg, "upload", str(logs / "big.log"))
    assert again.returncode == 0, again.stderr
    key = "web01" + str(logs / "big.log-20261126")
    info, chunks = backend.open_read(key)
    assert b"".join(chunks) == data and info.size == len(data)
    # the killed run's segments are gone: only the committed upload's remain
    left = [o.key for o in segments.list()]
    assert len(left) == 8 and len({k.rsplit("/", 4)[0] for k in left}) == 1, left  # 40 MiB / 5 MiB, one set
    backend.close()
    segments.close()


def test_two_hooks_at_once_upload_each_file_once(tmp_path, swift_server):
    container = "two" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    for day in range(1, 31):
        rotated(logs, f"app.log-202611{day:02d}", os.urandom(64 * 1024))
    cfg = swift_conf(tmp_path, swift_server.auth_url, container)
    cmd = [sys.executable, "-m", "swiftrotate", "--config", cfg, "upload", "-v", str(logs / "app.log")]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    uploaded = sum(line.startswith("swiftrotate: archived ") for err in errs for line in err.splitlines())
    assert uploaded == 30, errs
    backend = backend_for(swift_server, container)
    assert len(list(backend.list())) == 30
    backend.close()


@pytest.mark.parametrize("limit", [{"lock_timeout": "1"}, {"lock_timeout": "600", "deadline": "1"}],
                         ids=["lock_timeout", "deadline"])
def test_lock_held_too_long_exits_75(tmp_path, limit):
    """Another run holds the lock: wait lock_timeout, or less when --deadline
    leaves less, then exit 75."""
    import fcntl

    state = tmp_path / "state"
    state.mkdir()
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {
        "state_dir": str(state), "settle_seconds": "0", **limit}})
    fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:  # the deadline case would wait 600 s, past the 120 s the runner allows, if it were not capped
        proc = run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log"))
    finally:
        os.close(fd)
    assert proc.returncode == 75 and "holds" in proc.stderr


def test_full_disk_for_the_ledger_loses_nothing(tmp_path, swift_server):
    """The ledger's disk is full: uploads are still verified in the store, the
    run says so, and the next run re-confirms them from the store."""
    container = "full" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    for day in (24, 25, 26):
        rotated(logs, f"app.log-202611{day}", os.urandom(4096))
    state = tmp_path / "state"
    state.mkdir()
    cfg = swift_conf(tmp_path, swift_server.auth_url, container)
    script = (f"mount -t tmpfs -o size=64k,mode=0700 tmpfs {state} && "
              f"dd if=/dev/zero of={state}/filler bs=4k count=100 2>/dev/null; "
              f"{sys.executable} -m swiftrotate --config {cfg} upload -v {logs}/app.log")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ledger" in proc.stderr  # said out loud, not silently dropped
    backend = backend_for(swift_server, container)
    assert len(list(backend.list())) == 3
    again = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert again.returncode == 0 and "3 already in store" in again.stderr, again.stderr
    backend.close()


@pytest.mark.parametrize("target", ["swift", "s3"])
def test_connection_reset_mid_upload_is_a_retry_and_leaves_nothing(tmp_path, swift_server, target):
    """The connection is reset after 256 KiB of a 3 MiB upload: exit 75 (the
    next run retries), the file kept, no object at its key; then the next
    run archives it once. A fetch cut the same way leaves no file."""
    name = "reset" + uuid.uuid4().hex[:8]
    data = os.urandom(3 * MIB)
    rotated(tmp_path / "logs", "app.log-20261126", data)
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        dest, section, backend = behind_proxy(target, swift_server, proxy, name)
        cfg = write_config(tmp_path / "swiftrotate.conf", {
            "swiftrotate": {"dest": dest, "state_dir": str(tmp_path / "state"), "host": "web01",
                            "settle_seconds": "0"}, **section})
        log = str(tmp_path / "logs/app.log")
        # the container/bucket made before the fault (ls never made it: it was 0 on a missing one, now 66)
        backend.prepare() if target == "swift" else backend.client.create_bucket(Bucket=name)
        assert run_cli("--config", cfg, "ls").returncode == 0
        proxy.reset_after_bytes, proxy.mode = 256 * 1024, "reset_after"
        cut = run_cli("--config", cfg, "upload", log)
        assert cut.returncode == 75, cut.stderr
        assert "Traceback" not in cut.stderr and (tmp_path / "logs/app.log-20261126").read_bytes() == data
        assert [o.key for o in backend.list()] == []
        proxy.mode = "pass"
        assert run_cli("--config", cfg, "upload", log).returncode == 0
        assert [o.size for o in backend.list()] == [len(data)]
        # the same cut on the way back: the response is what gets reset
        proxy.reset_after_bytes, proxy.mode = 1, "reset_after"
        fetched = run_cli("--config", cfg, "fetch", log, "--since", "2026-11-26", "--until", "2026-11-26",
                          "--by-stamp", "-o", str(tmp_path / "out"))
        assert fetched.returncode == 75, fetched.stderr
        assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    backend.close()


def test_a_full_disk_never_moves_a_healthy_ledger_aside(tmp_path, swift_server):
    """A ledger that cannot be written because its disk is full is not
    corrupt: it stays where it is (its rows, spool rows included, are kept)
    and is read as it is, while new files still go up and are verified."""
    container = "fullold" + uuid.uuid4().hex[:8]
    logs, spare = tmp_path / "logs", tmp_path / "spare"
    for day in (24, 25):
        rotated(logs, f"app.log-202611{day}", os.urandom(4096))
    rotated(spare, "app.log-20261126", os.urandom(4096))
    state = tmp_path / "state"
    state.mkdir()
    cfg = swift_conf(tmp_path, swift_server.auth_url, container)
    upload = f"{sys.executable} -m swiftrotate --config {cfg} upload -v {logs}/app.log"
    script = (f"mount -t tmpfs -o size=256k,mode=0700 tmpfs {state} && {upload} 2>/dev/null && "
              f"cp -p {spare}/app.log-20261126 {logs}/ && "
              f"dd if=/dev/zero of={state}/filler bs=4k 2>/dev/null; "
              f"{upload}; echo rc=$?; rm {state}/filler; ls {state}; {upload}")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert "rc=0" in proc.stdout, proc.stderr  # the full-disk run archived the new file
    assert "ledger" in proc.stderr and "reading it as it is" in proc.stderr
    assert "corrupt" not in proc.stdout + proc.stderr  # nothing moved aside
    # space again: the two rows from before the full disk still answer
    assert "1 file(s), 0 uploaded" not in proc.stderr.splitlines()[-1]
    assert "2 known" in proc.stderr.splitlines()[-1] and "1 already in store" in proc.stderr.splitlines()[-1], \
        proc.stderr
    backend = backend_for(swift_server, container)
    assert len(list(backend.list())) == 3
    backend.close()


def test_leftover_of_a_failed_run_is_archived_then_compressed_like_logrotate(tmp_path, swift_server):
    """compress + postrotate: a failed hook leaves that day uncompressed and
    logrotate never touches it again; after recovery it is archived once and
    compressed in place, so logrotate's rotate/expiry manage it again."""
    import gzip

    container = "left" + uuid.uuid4().hex[:10]
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        cfg = swift_conf(tmp_path, proxy.url_for("/auth/v1.0"), container)
        lab = Lab(tmp_path / "lab", cfg, logs=("app.log",))
        lab.configure(["compress"], hook="postrotate")
        lab.days(["2026-11-01 00:10:00", "2026-11-02 00:10:00"])
        proxy.mode = "refuse"
        lab.write_lines("2026-11-03")
        assert lab.run("2026-11-03 00:10:00").returncode != 0
        leftover = lab.logs_dir / "app.log-20261103"
        original = leftover.read_bytes()
        proxy.mode = "pass"
        for day in ("2026-11-04 00:10:00", "2026-11-05 00:10:00"):
            lab.write_lines(day)
            assert lab.run(day).returncode == 0, lab.hook_output()
    names = sorted(p.name for p in lab.rotated_files())
    assert all(n.endswith(".gz") for n in names), names  # back under logrotate's care
    assert gzip.decompress((lab.logs_dir / "app.log-20261103.gz").read_bytes()) == original
    backend = backend_for(swift_server, container)
    keys = [o.key for o in backend.list()]
    assert len(keys) == len({unit_id(k) for k in keys}) == 4  # 02, 03, 04, 05: each once
    backend.close()


def test_a_bug_below_the_swift_backend_is_internal_not_a_retry(swift_server):
    # A TypeError (as keystoneclient once raised on our timeout pair) must not
    # pass for a network failure (75): no retry fixes it, so it is 70.
    from swiftrotate.errors import SwiftrotateError, TransientError

    backend = SwiftBackend("bug", auth_url=swift_server.auth_url, user="test:tester", key="testing")

    def broken():
        raise TypeError("float() argument must be a string or a real number, not 'tuple'")

    with pytest.raises(SwiftrotateError) as caught:
        backend._call("login", broken)
    assert caught.value.exit_code == 70 and not isinstance(caught.value, TransientError)
    assert "internal error TypeError" in caught.value.line()
    backend.close()


def test_ctrl_c_finishes_the_uploads_under_way_then_the_rerun_converges(tmp_path, swift_server):
    container = "int" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    files = {f"app.log-2026{m:02d}{d:02d}": os.urandom(8192) for m in (9, 10) for d in range(1, 29)}
    for name, data in files.items():
        rotated(logs, name, data)
    proxy = FaultProxy(("127.0.0.1", swift_server.proxy_port))
    cfg = swift_conf(tmp_path, proxy.url_for("/auth/v1.0"), container, read_timeout="3")
    backend = backend_for(swift_server, container)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "swiftrotate", "--config", cfg, "upload", "--jobs", "2",
                                 str(logs / "app.log")], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # some archived, most not yet
            try:
                if len(list(backend.list())) >= 3:
                    break
            except Exception:
                pass
            time.sleep(0.05)
        proxy.mode = "stall"  # the uploads under way now hang until the read timeout
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=60)[1]
        assert proc.returncode == 130, err
        assert "finishing the uploads under way" in err and "Traceback" not in err
        stored = {o.key.rsplit("/", 1)[1] for o in backend.list()}
        assert 3 <= len(stored) < len(files), stored  # it stopped starting new files
        for name in stored:  # nothing half-made under a final name
            info = backend.stat(next(o.key for o in backend.list() if o.key.endswith(name)))
            assert info.size == len(files[name]) and info.sha256 == hashlib.sha256(files[name]).hexdigest()
        proxy.mode = "pass"
        again = run_cli("--config", cfg, "upload", str(logs / "app.log"))
        assert again.returncode == 0, again.stderr
        assert sorted(o.key.rsplit("/", 1)[1] for o in backend.list()) == sorted(files)
    finally:
        backend.close()
        proxy.close()


@pytest.mark.parametrize("same", [False, True], ids=["different", "same-bytes"])
def test_object_appearing_between_listing_and_upload_is_not_overwritten(tmp_path, swift_server, same):
    """The listing said the key was free, then another writer took it: Swift
    refuses our PUT (If-None-Match: *). Different bytes: Conflict naming
    both, the other object kept. The same bytes: archived, no error."""
    import logging

    from swiftrotate.archiver import Archiver
    from swiftrotate.discover import find
    from swiftrotate.errors import Conflict
    from swiftrotate.ledger import Ledger

    container = "race" + uuid.uuid4().hex[:8]
    ours = os.urandom(3 * MIB)  # above segment_size below: the SLO manifest PUT is the one refused
    path = rotated(tmp_path / "logs", "app.log-20261125", ours)
    key = f"web01{path}"
    theirs = tmp_path / "theirs"
    theirs.write_bytes(ours if same else os.urandom(len(ours)))
    real = SwiftBackend(container, auth_url=swift_server.auth_url, user="test:tester", key="testing",
                        segment_size=MIB)

    class PlantAfterListing:
        def __getattr__(self, name):
            return getattr(real, name)

        def list(self, *args, **kwargs):
            listed = list(real.list(*args, **kwargs))
            real.put(key, str(theirs), size=len(ours), sha256=hashlib.sha256(theirs.read_bytes()).hexdigest())
            return iter(listed)

    cand = find(str(tmp_path / "logs/app.log"), "-%Y%m%d")[0]
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    archiver = Archiver(PlantAfterListing(), ledger, "test", "web01", logging.getLogger("t"))
    try:
        if same:
            assert archiver.archive(cand, key).status == "uploaded"
        else:
            with pytest.raises(Conflict, match="appeared in the store while we uploaded"):
                archiver.archive(cand, key)
        download(real, key, str(tmp_path / "out"))
        assert (tmp_path / "out").read_bytes() == theirs.read_bytes()
    finally:
        ledger.close()
        real.close()


def test_fifo_swapped_in_after_the_check_does_not_hang(tmp_path, monkeypatch):
    """A FIFO put in place of a rotated file between lstat and open used to
    block open() forever, and logrotate with it. The lstat is made to lie
    (the swap's timing cannot be hit otherwise): the open must not block and
    the file must be refused."""
    from swiftrotate import localfile
    from swiftrotate.errors import UnsafeInput

    fifo = tmp_path / "app.log-20261125"
    os.mkfifo(fifo)
    real = os.stat(fifo)
    looks_regular = os.stat_result((0o100644,) + tuple(real)[1:])
    real_lstat = os.lstat
    monkeypatch.setattr(localfile.os, "lstat",
                        lambda p, *a, **k: looks_regular if p == str(fifo) else real_lstat(p, *a, **k))
    def hung(*_):
        raise TimeoutError("open_rotated blocked on a FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)  # a hang fails this test, not the whole run
    try:
        with pytest.raises(UnsafeInput, match="replaced while being opened"):
            localfile.open_rotated(str(fifo))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_lost_answer_to_our_own_manifest_put_keeps_the_upload(tmp_path, swift_server, monkeypatch):
    """The SLO manifest PUT is saved but its answer is lost; swiftclient
    retries it and Swift answers 412 (If-None-Match: *), because the key now
    holds our own manifest. That is our upload: its segments must stay and
    the object must read back whole (it used to lose its segments)."""
    import logging

    import requests
    import swiftclient.client

    from swiftrotate.archiver import Archiver
    from swiftrotate.discover import find
    from swiftrotate.ledger import Ledger

    data = os.urandom(3 * MIB)
    path = rotated(tmp_path / "logs", "app.log-20261125", data)
    container = "lost" + uuid.uuid4().hex[:8]
    real_put = swiftclient.client.put_object
    lost = []

    def put_object(url, token=None, container=None, name=None, *args, **kwargs):
        result = real_put(url, token, container, name, *args, **kwargs)
        if kwargs.get("query_string") == "multipart-manifest=put" and not lost:
            lost.append(name)
            raise requests.exceptions.ConnectionError("the answer was lost")  # saved, but we never hear it
        return result

    monkeypatch.setattr(swiftclient.client, "put_object", put_object)
    backend = SwiftBackend(container, auth_url=swift_server.auth_url, user="test:tester", key="testing",
                           segment_size=MIB, retries=2, backoff=0.01)
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    cand = find(str(tmp_path / "logs/app.log"), "-%Y%m%d")[0]
    try:
        outcome = Archiver(backend, ledger, "test", "web01", logging.getLogger("t")).archive(cand, f"web01{path}")
        assert lost and outcome.status == "uploaded"
        download(backend, f"web01{path}", str(tmp_path / "out"))
        assert (tmp_path / "out").read_bytes() == data
    finally:
        ledger.close()
        backend.close()
