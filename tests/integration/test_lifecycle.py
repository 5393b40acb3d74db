"""--remove after verification, and expiry on the store's side."""
import hashlib
import logging
import os
import time
import uuid

import pytest
import swiftclient

from tests.support.clirun import rotated, run_cli, write_config
from swiftrotate.archiver import Archiver
from swiftrotate.backends.local import LocalBackend
from swiftrotate.backends.swift import SwiftBackend
from swiftrotate.discover import find
from swiftrotate.errors import IntegrityError, TransientError
from swiftrotate.ledger import Ledger

MIB = 1024 * 1024


def local_conf(tmp_path):
    return write_config(tmp_path / "c.conf", {"swiftrotate": {
        "state_dir": str(tmp_path / "state"), "host": "web01", "settle_seconds": "0"}})


def test_remove_deletes_only_after_verification(tmp_path):
    logs = tmp_path / "logs"
    for day in (24, 25):
        rotated(logs, f"app.log-202611{day}", f"day {day}\n".encode())
    (logs / "app.log").write_text("live\n")
    cfg = local_conf(tmp_path)
    dry = run_cli("--config", cfg, "upload", "--dry-run", "--remove", str(logs / "app.log"))
    assert dry.returncode == 0 and len(list(logs.iterdir())) == 3  # a dry run deletes nothing
    proc = run_cli("--config", cfg, "upload", "--remove", "-v", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in logs.iterdir()) == ["app.log"]  # the live log stays
    listing = run_cli("--config", cfg, "ls").stdout
    assert "app.log-20261124" in listing and "app.log-20261125" in listing


def test_remove_of_already_archived_files_rechecks_the_store(tmp_path):
    """The archive vanished behind the ledger's back: --remove trusts the
    store, not the ledger, so it uploads the file again, verifies it, and
    only then removes it (it used to fail with 66 on every run)."""
    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261124", b"x\n")
    cfg = local_conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    stored = tmp_path / "state/archive/web01" / str(path).lstrip("/")
    stored.unlink()
    proc = run_cli("--config", cfg, "upload", "--remove", "-v", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert "1 uploaded" in proc.stderr
    assert stored.read_bytes() == b"x\n" and not path.exists()


class _Hooked:
    """A real backend with one local fault injected at a chosen verb."""

    def __init__(self, real, on_stat):
        self.real, self.on_stat, self.stats = real, on_stat, 0

    def __getattr__(self, name):
        return getattr(self.real, name)

    def verify(self, key):  # the verb the Archiver asks "is it archived?" (stat for a plain object)
        self.stats += 1
        info = self.real.verify(key)
        return self.on_stat(self.stats, info)


def archive_one(tmp_path, backend, remove=True):
    logs = tmp_path / "logs"
    cand = find(str(logs / "app.log"), "-%Y%m%d")[0]
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    key = "web01" + str(logs / cand.path.rsplit("/", 1)[1])
    try:
        return Archiver(backend, ledger, "test", "web01", logging.getLogger("t"), remove=remove).archive(cand, key)
    finally:
        ledger.close()


def test_file_appended_after_hashing_is_kept(tmp_path):
    path = rotated(tmp_path / "logs", "app.log-20261124", b"first\n")

    def append_then_answer(n, info):
        with open(path, "ab") as f:
            f.write(b"late\n")
        return info

    backend = _Hooked(LocalBackend(str(tmp_path / "store")), append_then_answer)
    with pytest.raises(TransientError):
        archive_one(tmp_path, backend)
    assert path.read_bytes() == b"first\nlate\n"


def test_failed_verification_keeps_the_file(tmp_path):
    from dataclasses import replace

    path = rotated(tmp_path / "logs", "app.log-20261124", b"first\n")
    backend = _Hooked(LocalBackend(str(tmp_path / "store")), lambda n, info: replace(info, sha256="0" * 64))
    with pytest.raises(IntegrityError):
        archive_one(tmp_path, backend)
    assert path.read_bytes() == b"first\n"


def test_expiry_is_set_on_the_object_and_every_segment(tmp_path, swift_server):
    container = "exp" + uuid.uuid4().hex[:10]
    logs = tmp_path / "logs"
    rotated(logs, "big.log-20261124", os.urandom(12 * MIB))
    cfg = write_config(tmp_path / "c.conf", {
        "swiftrotate": {"dest": f"swift://{container}", "state_dir": str(tmp_path / "state"), "host": "web01",
                        "settle_seconds": "0"},
        "swift": {"auth_url": swift_server.auth_url, "user": "test:tester", "key": "testing",
                  "segment_size": "5M"}})
    proc = run_cli("--config", cfg, "upload", "--expire-after", "30", str(logs / "big.log"))
    assert proc.returncode == 0, proc.stderr
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key="testing")
    key = "web01" + str(logs / "big.log-20261124")
    head = conn.head_object(container, key)
    assert head.get("x-static-large-object") == "True"
    soon = time.time() + 30 * 86400
    assert abs(int(head["x-delete-at"]) - soon) < 3600
    segments = conn.get_container(container + "_segments")[1]
    assert len(segments) == 3
    for seg in segments:
        assert abs(int(conn.head_object(container + "_segments", seg["name"])["x-delete-at"]) - soon) < 3600
    conn.close()


def test_expired_object_is_gone_after_the_expirer_pass(tmp_path, swift_server):
    container = "exp" + uuid.uuid4().hex[:10]
    backend = SwiftBackend(container, auth_url=swift_server.auth_url, user="test:tester", key="testing")
    src = tmp_path / "f"
    src.write_bytes(b"short-lived\n")
    backend.put("k/short", str(src), size=12, sha256=hashlib.sha256(b"short-lived\n").hexdigest(),
                expire_after=1)
    time.sleep(2)
    swift_server.expire()
    assert [o.key for o in backend.list()] == []
    backend.close()


def test_expiry_on_a_store_that_cannot_is_a_config_error(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261124", b"x\n")
    proc = run_cli("--config", local_conf(tmp_path), "upload", "--expire-after", "30", str(logs / "app.log"))
    assert proc.returncode == 78 and "cannot expire" in proc.stderr


def test_compress_on_upload_then_logrotates_gz_counts_as_the_same(store, tmp_path):
    import gzip
    import subprocess

    from tests.support.stores import config_for

    logs = tmp_path / "logs"
    original = b"".join(b"GET /page/%d HTTP/1.1 200\n" % i for i in range(20000))
    path = rotated(logs, "app.log-20261124", original)
    cfg = config_for(store, tmp_path)
    proc = run_cli("--config", cfg, "upload", "--compress", "gzip", "-v", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    key = "web01" + str(logs / "app.log-20261124.gz")
    info, chunks = store.backend.open_read(key)
    packed = b"".join(chunks)
    assert gzip.decompress(packed) == original and len(packed) < len(original) // 5
    assert info.metadata["uncompressed-sha256"] == hashlib.sha256(original).hexdigest()
    # logrotate compresses the file later, with its own gzip header: the same unit
    subprocess.run(["gzip", "-9", str(path)], check=True)
    again = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert again.returncode == 0 and "1 already in store" in again.stderr, again.stderr
    assert [o.key for o in store.backend.list()] == [key]
    # and with the ledger gone, the store's metadata alone recognises it
    (tmp_path / "state/ledger.sqlite").unlink()
    rebuilt = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert rebuilt.returncode == 0 and "1 already in store" in rebuilt.stderr, rebuilt.stderr


def test_gate_does_not_trust_a_stale_ledger(tmp_path):
    """The archive vanished from the store behind the ledger's back: the gate
    must not allow the deletion on the ledger's word; it archives again."""
    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261124", b"only copy\n")
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": {
        "dest": f"file://{tmp_path}/state/archive",  # explicit: the gate keeps files for an implicit one
        "state_dir": str(tmp_path / "state"), "host": "web01", "settle_seconds": "0", "gate_max_age": "0"}})
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    stored = tmp_path / "state/archive/web01" / str(path).lstrip("/")
    stored.unlink()
    proc = run_cli("--config", cfg, "gate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert stored.read_bytes() == b"only copy\n"  # re-archived before the deletion was allowed


def test_gate_uses_the_per_log_dateformat(tmp_path):
    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-2026-11-24", b"dashed\n")
    cfg = write_config(tmp_path / "c.conf", {
        "swiftrotate": {"dest": f"file://{tmp_path}/state/archive", "state_dir": str(tmp_path / "state"),
                        "host": "web01", "settle_seconds": "0"},
        f"log {logs}/*.log": {"dateformat": "-%Y-%m-%d"}})
    proc = run_cli("--config", cfg, "gate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "state/archive/web01" / str(path).lstrip("/")).read_bytes() == b"dashed\n"


def test_fetch_refuses_a_fifo_in_the_output_without_hanging(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261124", b"x\n")
    cfg = local_conf(tmp_path)
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    out = tmp_path / "out"
    final = out / "web01" / (str(logs).lstrip("/") + "/app.log-20261124")
    final.parent.mkdir(parents=True)
    os.mkfifo(final)
    proc = run_cli("--config", cfg, "fetch", str(logs / "app.log"), "--host", "web01", "-o", str(out), timeout=60)
    assert proc.returncode == 65 and "not a regular file" in proc.stderr


def test_compress_zstd_round_trip_and_logrotates_gz_is_the_same(tmp_path):
    import gzip
    import subprocess

    import zstandard

    logs = tmp_path / "logs"
    original = b"".join(b"GET /item/%d HTTP/1.1 404\n" % i for i in range(20000))
    path = rotated(logs, "app.log-20261124", original)
    cfg = local_conf(tmp_path)
    proc = run_cli("--config", cfg, "upload", "--compress", "zstd", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    stored = tmp_path / "state/archive/web01" / (str(path).lstrip("/") + ".zst")
    packed = stored.read_bytes()
    assert zstandard.ZstdDecompressor().decompressobj().decompress(packed) == original
    assert len(packed) < len(original) // 5
    subprocess.run(["gzip", str(path)], check=True)  # logrotate's own .gz, later
    again = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert again.returncode == 0 and "1 already in store" in again.stderr, again.stderr
    assert gzip.decompress((logs / "app.log-20261124.gz").read_bytes()) == original


def test_compress_zstd_without_the_package_says_what_to_install(tmp_path):
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['zstandard'] = None  # as if absent\n")
    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261124", b"line\n" * 1000)
    proc = run_cli("--config", local_conf(tmp_path), "upload", "--compress", "zstd", str(logs / "app.log"),
                   env={"PYTHONPATH": str(blocker)})
    assert proc.returncode == 78, proc.stderr
    assert "pip install 'swiftrotate[zstd]'" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == b"line\n" * 1000
    assert not (tmp_path / "state/archive").exists() or not any((tmp_path / "state/archive").rglob("*.zst"))
