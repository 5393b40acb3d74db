"""`swiftrotate verify`: what the ledger says is archived is re-checked in the
store, through the real command on real servers. Objects are broken behind
the ledger's back (deleted, a Swift large object's segment deleted, bytes
overwritten with the same length and the metadata kept) and each must be
found in its category; --deep finds what a HEAD cannot; --repair fixes what
has a matching local copy."""
import gzip
import hashlib
import json
import os
import pty
import subprocess
import sys

import pytest

from tests.support.clirun import Syslog, rotated, run_cli, write_config
from tests.support.fixtures import _store
from tests.support.invariant import check_objects
from tests.support.servers import FaultProxy
from tests.support.stores import behind_proxy, config_for, make_backend

MIB = 1024 * 1024
STAMP = "-20261101"


@pytest.fixture(params=["swift", "s3-swift", "s3-seaweed"])
def server_store(request, tmp_path):
    """Real Swift, and S3 on two servers whose store.corrupt keeps our
    metadata (Swift's s3api, SeaweedFS): there only reading the bytes can
    tell. (rclone's loses it: a HEAD finds that, see the next fixture.)"""
    yield from _store(request, tmp_path, request.param)


@pytest.fixture(params=["swift", "s3-rclone"])
def other_store(request, tmp_path):
    yield from _store(request, tmp_path, request.param)


@pytest.fixture
def local_store(request, tmp_path):
    yield from _store(request, tmp_path, "local")


def key_of(logs, name):
    return f"web01{logs}/{name}{STAMP}"


def archive(store, tmp_path, files, **general):
    """Rotated files {name: bytes} in tmp_path/logs, uploaded; returns (config, logs folder)."""
    logs = tmp_path / "logs"
    for name, data in files.items():
        rotated(logs, name + STAMP, data)
    cfg = config_for(store, tmp_path, **general)
    # --jobs 1: parallel first uploads into a new bucket race to create it (rclone then answers
    # BucketAlreadyExists, exit 69): an upload matter, not what these tests are about
    up = run_cli("--config", cfg, "upload", "--jobs", "1", *[str(logs / name) for name in files])
    assert up.returncode == 0, up.stderr
    return cfg, logs


def verify(cfg, *args):
    return run_cli("--config", cfg, "verify", *args)


def as_json(proc):
    doc = json.loads(proc.stdout)  # one document, nothing else on stdout
    return doc, {(f["category"], f["key"]) for f in doc["findings"]}


def segments(store):
    """The Swift segments of every large object in the store's container."""
    seg = make_backend("swift", f"swift://{store.backend.segment_container}", store.options)
    try:
        return sorted(o.key for o in seg.list())
    finally:
        seg.close()


def test_each_break_is_found_in_its_category_and_repair_fixes_it(server_store, tmp_path):
    store = server_store
    files = {"gone.log": b"deleted behind the ledger's back\n" * 10,
             "big.log": os.urandom(12 * MIB + 5),  # a Swift SLO (5 MiB segments), an S3 multipart upload
             "rot.log": b"overwritten in place, same length, metadata kept\n" * 10,
             "fine.log": b"left alone\n" * 10}
    cfg, logs = archive(store, tmp_path, files)
    clean = verify(cfg)
    assert clean.returncode == 0, clean.stderr
    assert "verify: 4 checked, 0 missing, 0 broken, 0 differ" in clean.stderr
    gone, big, rot = (key_of(logs, n) for n in ("gone.log", "big.log", "rot.log"))

    store.backend.delete(gone)
    store.corrupt(rot, b"EVIL")
    if store.target == "swift":
        parts = segments(store)
        assert len(parts) == 3, parts
        store.backend._conn().delete_object(store.backend.segment_container, parts[1])

    found = verify(cfg)
    assert found.returncode == 65, found.stderr
    lines = found.stderr.splitlines()
    missing = [x for x in lines if "missing" in x and gone in x]
    assert missing and str(logs / "gone.log") + STAMP in missing[0], found.stderr  # key and local path
    assert not any(rot in x for x in lines), found.stderr  # a HEAD shows our metadata: only --deep can tell
    broken = {"swift": 1}.get(store.target, 0)
    assert f"verify: 4 checked, 1 missing, {broken} broken, 0 differ" in found.stderr
    if broken:
        assert any("broken" in x and big in x and str(logs / "big.log") + STAMP in x for x in lines), found.stderr

    doc, kinds = as_json(verify(cfg, "--json"))
    assert (doc["checked"], doc["missing"], doc["broken"], doc["differ"]) == (4, 1, broken, 0)
    assert ("missing", gone) in kinds and (("broken", big) in kinds) == bool(broken)

    deep = verify(cfg, "--deep", "--json")
    assert deep.returncode == 65, deep.stderr
    doc, kinds = as_json(deep)
    assert ("differ", rot) in kinds, doc
    assert (doc["missing"], doc["broken"], doc["differ"]) == (1, broken, 1)
    finding = next(f for f in doc["findings"] if f["key"] == rot)
    assert finding["path"] == str(logs / "rot.log") + STAMP

    fixed = verify(cfg, "--deep", "--repair")
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stderr.count("repaired") >= 2 + broken, fixed.stderr
    again = verify(cfg, "--deep")
    assert again.returncode == 0, again.stderr
    assert "verify: 4 checked, 0 missing, 0 broken, 0 differ" in again.stderr
    stored = check_objects(store.backend)  # every object reads back whole, with the right bytes
    assert {k.rsplit("/", 1)[1][: -len(STAMP)]: v for k, v in stored.items()} == files


def test_repair_needs_a_local_copy_with_the_ledgers_bytes_and_never_overwrites(other_store, tmp_path):
    store = other_store
    files = {"nocopy.log": b"its local copy is deleted\n",
             "changed.log": b"its local copy is written to after the upload\n",
             "foreign.log": b"someone else's object replaces it\n"}
    cfg, logs = archive(store, tmp_path, files)
    nocopy, changed, foreign = (key_of(logs, n) for n in files)
    for key in (nocopy, changed):
        store.backend.delete(key)
    os.unlink(str(logs / "nocopy.log") + STAMP)
    with open(str(logs / "changed.log") + STAMP, "ab") as f:
        f.write(b"one more line\n")
    store.backend.delete(foreign)
    other = tmp_path / "other"
    other.write_bytes(b"a different object, with metadata of its own\n")
    store.backend.put(foreign, str(other), size=other.stat().st_size,
                      sha256=hashlib.sha256(other.read_bytes()).hexdigest())

    proc = verify(cfg, "--repair")
    assert proc.returncode == 65, proc.stderr
    lines = proc.stderr.splitlines()
    assert "verify: 3 checked, 2 missing, 0 broken, 1 differ" in proc.stderr
    for key in (nocopy, changed, foreign):
        assert any("cannot repair" in x and key in x for x in lines), (key, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert store.backend.stat(foreign).sha256 == hashlib.sha256(other.read_bytes()).hexdigest()  # untouched
    doc, kinds = as_json(verify(cfg, "--json"))
    assert kinds == {("missing", nocopy), ("missing", changed), ("differ", foreign)}
    assert all(f["repaired"] is False for f in doc["findings"])


@pytest.fixture(params=["local", "swift"])
def compress_store(request, tmp_path):
    yield from _store(request, tmp_path, request.param)


def test_repair_from_a_copy_with_the_same_content_in_another_form(compress_store, tmp_path):
    """The README's stanza: `upload --compress gzip` stores X.gz while X is
    local, and logrotate's own X.gz (another gzip header) replaces X the
    next day. Either local form repairs the archive: its content is what
    the ledger recorded."""
    store = compress_store
    files = {"plain.log": b"compressed on the way, the plain file still here\n" * 100,
             "twin.log": b"compressed on the way, logrotate gzipped it later\n" * 100,
             "rot.log": b"compressed on the way, its bytes rot in the store\n" * 100}
    if store.target == "swift":  # a large object whose local copy is plain: no segment can be put back
        files["big.log"] = os.urandom(12 * MIB)
    cfg, logs = archive(store, tmp_path, files, compress="gzip")
    twin = str(logs / "twin.log") + STAMP
    with open(twin, "rb") as f:
        packed = gzip.compress(f.read(), mtime=12345, compresslevel=9)
    with open(twin + ".gz", "wb") as f:
        f.write(packed)
    os.unlink(twin)
    assert run_cli("--config", cfg, "upload", str(logs / "twin.log")).returncode == 0  # a twin: recorded
    store.backend.delete(key_of(logs, "plain.log") + ".gz")
    store.backend.delete(key_of(logs, "twin.log") + ".gz")
    store.corrupt(key_of(logs, "rot.log") + ".gz", b"\x00\x01")
    if "big.log" in files:
        store.backend._conn().delete_object(store.backend.segment_container, segments(store)[0])

    doc, kinds = as_json(verify(cfg, "--deep", "--repair", "--json"))
    expect = {("missing", key_of(logs, "plain.log") + ".gz"), ("missing", key_of(logs, "twin.log") + ".gz"),
              ("differ", key_of(logs, "rot.log") + ".gz")}
    if "big.log" in files:
        expect.add(("broken", key_of(logs, "big.log") + ".gz"))
    assert kinds == expect, doc
    assert all(f["repaired"] for f in doc["findings"]), doc
    again = verify(cfg, "--deep")
    assert again.returncode == 0, again.stderr
    stored = check_objects(store.backend)
    assert stored[key_of(logs, "twin.log") + ".gz"] == packed  # logrotate's form, as it was
    for name, data in files.items():
        assert gzip.decompress(stored[key_of(logs, name) + ".gz"]) == data, name


def test_since_checks_the_archives_stamped_since_that_day(local_store, tmp_path):
    logs = tmp_path / "logs"
    for stamp in ("-20261029", "-20261101", "-20261102"):
        rotated(logs, "app.log" + stamp, stamp.encode())
    cfg = config_for(local_store, tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    for stamp in ("-20261029", "-20261102"):
        local_store.backend.delete(f"web01{logs}/app.log{stamp}")
    doc, kinds = as_json(verify(cfg, "--since", "2026-11-01", "--json"))
    assert doc["checked"] == 2 and kinds == {("missing", f"web01{logs}/app.log-20261102")}
    doc, _ = as_json(verify(cfg, "--since", "Nov 3 2026", "--json"))
    assert doc["checked"] == 0
    assert verify(cfg, "--since", "next blue moon").returncode == 2


def test_sample_reads_that_many_objects_in_full(local_store, tmp_path):
    files = {f"app{i}.log": b"line %d\n" % i for i in range(5)}
    cfg, _ = archive(local_store, tmp_path, files)
    doc, _ = as_json(verify(cfg, "--sample", "2", "--json"))
    assert (doc["checked"], doc["read"]) == (5, 2)
    doc, _ = as_json(verify(cfg, "--deep", "--json"))
    assert (doc["checked"], doc["read"]) == (5, 5)
    doc, _ = as_json(verify(cfg, "--json"))
    assert (doc["checked"], doc["read"]) == (5, 0)


def test_quiet_says_nothing_unless_something_is_wrong_and_syslog_gets_the_findings(local_store, tmp_path):
    """The weekly cron line: `verify -q` is silent when all is well (no cron
    mail); a finding is an err line on stderr and in syslog, no progress."""
    cfg, logs = archive(local_store, tmp_path, {"app.log": b"x\n", "web.log": b"y\n"},
                        syslog_socket=str(tmp_path / "log"))
    syslog = Syslog(tmp_path / "log")
    quiet = verify(cfg, "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    local_store.backend.delete(key_of(logs, "web.log"))
    found = verify(cfg, "-q")
    assert found.returncode == 65 and found.stdout == ""
    assert [x.split(": ", 2)[1] for x in found.stderr.splitlines()] == ["verify", "verify"], found.stderr
    lines = syslog.drain()
    err = [x for x in lines if x.startswith("<11>swiftrotate[")]  # user.err
    assert any("missing" in x and key_of(logs, "web.log") in x for x in err), lines
    assert any("verify: 2 checked, 1 missing, 0 broken, 0 differ" in x for x in err), lines
    assert not any("verify: 2 checked, 0 missing" in x for x in lines), lines  # the clean run: no record needed
    verbose = verify(cfg, "-v")
    assert f"ok       {key_of(logs, 'app.log')}" in verbose.stderr, verbose.stderr


def test_an_empty_ledger_is_66_naming_the_dest(tmp_path):
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {"dest": f"file://{tmp_path}/store",
                                                             "state_dir": str(tmp_path / "state")}})
    proc = verify(cfg)
    assert proc.returncode == 66, proc.stderr
    assert f"file://{tmp_path}/store" in proc.stderr


def test_an_unreachable_store_is_75(tmp_path, swift_server):
    proxy = FaultProxy(("127.0.0.1", swift_server.proxy_port))
    dest, sections, direct = behind_proxy("swift", swift_server, proxy, "verify75")
    try:
        rotated(tmp_path / "logs", "app.log" + STAMP, b"x\n")
        cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {
            "dest": dest, "state_dir": str(tmp_path / "state"), "host": "web01", "settle_seconds": "0"}, **sections})
        assert run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log")).returncode == 0
        proxy.mode = "refuse"
        proc = verify(cfg)
        assert proc.returncode == 75, proc.stderr
        assert "connection refused" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        proxy.close()
        for info in list(direct.list()):
            direct.delete(info.key)
        direct.close()


def test_after_a_finding_the_gate_asks_the_store_again(local_store, tmp_path):
    """The gate trusts a ledger row verified within gate_max_age without a
    HEAD. Once verify has found the archive missing, it must not: the gate
    archives the file again before logrotate may delete it."""
    cfg, logs = archive(local_store, tmp_path, {"app.log": b"the only copy\n"})
    key = key_of(logs, "app.log")
    local_store.backend.delete(key)
    assert verify(cfg).returncode == 65
    gate = run_cli("--config", cfg, "gate", str(logs / "app.log") + STAMP)
    assert gate.returncode == 0, gate.stderr
    assert local_store.backend.stat(key).size == len(b"the only copy\n")


def test_progress_only_on_a_terminal(local_store, tmp_path):
    cfg, _ = archive(local_store, tmp_path, {f"app{i}.log": b"x\n" for i in range(3)})
    piped = verify(cfg)
    assert piped.returncode == 0 and "\r" not in piped.stderr and "%" not in piped.stderr, piped.stderr
    main, sub = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", cfg, "verify"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=sub, timeout=120)
    os.close(sub)
    seen = b""
    try:
        while True:
            chunk = os.read(main, 65536)
            if not chunk:
                break
            seen += chunk
    except OSError:  # EIO: the terminal's other side is closed
        pass
    os.close(main)
    assert proc.returncode == 0, seen
    assert b"100%" in seen and b"3/3" in seen, seen
    assert proc.stdout == b""


def test_help_teaches_what_it_checks_and_the_exit_codes():
    out = run_cli("verify", "--help").stdout
    for text in ("swiftrotate verify -q", "--deep", "--sample", "--since", "--repair", "--json", "65", "75",
                 "missing", "broken", "differ"):
        assert text in out, text
