"""fetch against Swift specifics: crafted keys, request counts, expired and
segmented objects. Crafted keys are planted with the raw client libraries,
as an attacker with write access to the container would."""
import hashlib
import io
import os
import tarfile
import time
import uuid

import pytest
import swiftclient

from tests.support.clirun import run_cli, write_config
from tests.support.servers import FaultProxy
from swiftrotate.backends.swift import SwiftBackend

LOG = "/var/log/app.log"
MIB = 1024 * 1024


@pytest.fixture
def swift_env(tmp_path, swift_server):
    container = "f" + uuid.uuid4().hex[:12]
    conn = swiftclient.Connection(authurl=swift_server.auth_url, user="test:tester", key="testing")
    conn.put_container(container)

    def config(auth_url=None, **general):
        return write_config(tmp_path / "swiftrotate.conf", {
            "swiftrotate": {"dest": f"swift://{container}", "state_dir": str(tmp_path / "state"),
                            "host": "web01", **general},
            "swift": {"auth_url": auth_url or swift_server.auth_url, "user": "test:tester", "key": "testing",
                      "segment_size": "5M"},
        })

    yield conn, container, config
    conn.close()


def plant(conn, container, key, data, headers=None):
    """PUT with the name percent-encoded by hand ('.' as %2E too), so that no
    client-side path normalisation can tidy a crafted key away."""
    import http.client
    from urllib.parse import quote, urlsplit

    url, token = conn.get_auth()
    parts = urlsplit(url)
    path = parts.path + "/" + container + "/" + quote(key, safe="/").replace(".", "%2E")
    meta = {"X-Auth-Token": token, "X-Object-Meta-Sha256": hashlib.sha256(data).hexdigest(),
            "X-Object-Meta-Size": str(len(data)), "Content-Length": str(len(data))}
    meta.update(headers or {})
    http = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    http.request("PUT", path, body=data, headers=meta)
    resp = http.getresponse()
    resp.read()
    http.close()
    assert resp.status == 201, (key, resp.status)


def count_week(proxy, cfg, tmp_path):
    """Requests for a 7-day --list, then for fetching those 7 archives."""
    week = ("fetch", LOG, "--since", "2026-11-10", "--until", "2026-11-16", "--by-stamp")
    proc = run_cli("--config", cfg, *week, "--list")
    listing_requests = proxy.requests
    fetched = run_cli("--config", cfg, *week, "-o", str(tmp_path / "out"))
    return proc, listing_requests, fetched, proxy.requests - listing_requests


@pytest.mark.parametrize("evil", [
    "web01/var/log/app.log-20261103/../../../../../tmp/evil",
    "web01/var/log/app.log-20261104/..",
    "web01/var/log/app.log-20261105\x1b[31m",
    "web01/var/log/app.log-20261106\\..\\..\\x",
])
def test_crafted_keys_are_refused_and_nothing_is_written(tmp_path, swift_env, evil):
    conn, container, config = swift_env
    plant(conn, container, "web01/var/log/app.log-20261102", b"good\n")
    plant(conn, container, evil, b"evil\n")
    out = tmp_path / "out"
    proc = run_cli("--config", config(), "fetch", LOG, "-o", str(out))
    assert proc.returncode == 65, proc.stderr
    assert "refusing object key" in proc.stderr and "\x1b" not in proc.stderr
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*evil*"))
    assert written == []
    assert (out / "web01/var/log/app.log-20261102").read_bytes() == b"good\n"


@pytest.mark.parametrize("host", ["..", "."])
def test_crafted_host_is_refused(tmp_path, swift_env, host):
    conn, container, config = swift_env
    plant(conn, container, f"{host}/var/log/app.log-20261103", b"evil\n")
    plant(conn, container, "web01/var/log/app.log-20261103", b"good\n")
    out = tmp_path / "deep/out"
    proc = run_cli("--config", config(), "fetch", LOG, "--host", "*", "-o", str(out))
    assert proc.returncode == 65 and "refusing host" in proc.stderr
    assert not (tmp_path / "deep/var").exists() and not (out / "var").exists()
    assert (out / "web01/var/log/app.log-20261103").read_bytes() == b"good\n"


def test_listing_cost_grows_with_the_range_not_the_store(tmp_path, swift_env, swift_server):
    conn, container, config = swift_env
    # 10,000 unrelated objects in one request, through Swift's bulk middleware;
    # 5,000 of them sort before our log and 5,000 after it.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i in range(10000):
            name = f"{'a' if i % 2 else 'z'}host/var/log/other-{i:05d}.log-20261101"
            info = tarfile.TarInfo(name)
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    conn.put_object(container, "", buf.getvalue(), query_string="extract-archive=tar")
    for day in range(1, 29):
        plant(conn, container, f"web01/var/log/app.log-202611{day:02d}", b"line\n")
    assert len(conn.get_container(container, full_listing=True)[1]) == 10028
    with FaultProxy(("127.0.0.1", swift_server.proxy_port)) as proxy:
        cfg = config(auth_url=proxy.url_for("/auth/v1.0"))
        proc, listing_requests, fetched, total = count_week(proxy, cfg, tmp_path)
    assert proc.returncode == 0 and proc.stdout.count("web01/") == 7, proc.stderr
    assert listing_requests <= 3, listing_requests  # auth + one bounded listing
    assert fetched.returncode == 0 and total <= 3 + 7, total  # + one GET per archive


def test_expired_but_listed_object_is_reported_missing(tmp_path, swift_env):
    conn, container, config = swift_env
    plant(conn, container, "web01/var/log/app.log-20261103", b"soon gone\n", {"X-Delete-After": "1"})
    plant(conn, container, "web01/var/log/app.log-20261104", b"kept\n")
    time.sleep(2.5)
    assert len(conn.get_container(container)[1]) == 2  # still listed until the expirer runs
    proc = run_cli("--config", config(), "fetch", LOG, "-o", str(tmp_path / "out"))
    assert proc.returncode == 66, proc.stderr
    assert "listed but gone" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "out/web01/var/log/app.log-20261104").read_bytes() == b"kept\n"


def test_segmented_object_is_verified_as_a_whole(tmp_path, swift_env, swift_server):
    conn, container, config = swift_env
    data = os.urandom(12 * MIB + 5)
    src = tmp_path / "big"
    src.write_bytes(data)
    backend = SwiftBackend(container, auth_url=swift_server.auth_url, user="test:tester", key="testing",
                           segment_size=5 * MIB)
    key = "web01/var/log/app.log-20261103"
    backend.put(key, str(src), size=len(data), sha256=hashlib.sha256(data).hexdigest())
    assert conn.head_object(container, key).get("x-static-large-object") == "True"
    proc = run_cli("--config", config(), "fetch", LOG, "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / key).read_bytes() == data
    # Swap one segment's bytes and re-PUT the manifest with that segment's
    # new ETag and our old metadata: Swift now serves it without complaint,
    # and only our whole-object sha256 can tell.
    import json

    seg_container = container + "_segments"
    _, raw = conn.get_object(container, key, query_string="multipart-manifest=get")
    manifest = json.loads(raw)
    victim = manifest[1]
    seg_name = victim["name"].split("/", 2)[2]
    new_etag = conn.put_object(seg_container, seg_name, b"\0" * victim["bytes"])
    put_back = [{"path": m["name"], "etag": new_etag if m is victim else m["hash"], "size_bytes": m["bytes"]}
                for m in manifest]
    meta = {k: v for k, v in conn.head_object(container, key).items() if k.startswith("x-object-meta-")}
    conn.put_object(container, key, json.dumps(put_back), headers=meta, query_string="multipart-manifest=put")
    bad = run_cli("--config", config(), "fetch", LOG, "-o", str(tmp_path / "out2"))
    assert bad.returncode == 65, bad.stderr
    assert "sha256" in bad.stderr and not (tmp_path / "out2" / key).exists()
    backend.close()


def test_listing_cost_on_s3_rclone(tmp_path, rclone_server):
    """The same proof on S3 (StartAfter plus an early stop): rclone serves
    plain files, so 10,000 unrelated objects are just files in its folder."""
    from tests.support.stores import make_store

    store = make_store("s3-rclone", tmp_path, rclone=rclone_server)
    src = tmp_path / "one"
    src.write_bytes(b"line\n")
    sha = hashlib.sha256(b"line\n").hexdigest()
    for day in range(1, 29):
        store.backend.put(f"web01/var/log/app.log-202611{day:02d}", str(src), size=5, sha256=sha)
    bucket_dir = os.path.join(rclone_server.data_dir, store.backend.bucket)
    for i in range(10000):
        folder = os.path.join(bucket_dir, f"{'a' if i % 2 else 'z'}host", "var", "log")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"other-{i:05d}.log-20261101"), "wb") as f:
            f.write(b"x")
    with FaultProxy(("127.0.0.1", int(rclone_server.endpoint.rsplit(":", 1)[1]))) as proxy:
        options = dict(store.options, endpoint_url=proxy.url_for())
        cfg = write_config(tmp_path / "s3.conf", {
            "swiftrotate": {"dest": store.url, "state_dir": str(tmp_path / "state"), "host": "web01"},
            "s3": options})
        proc, listing_requests, fetched, total = count_week(proxy, cfg, tmp_path)
    assert proc.returncode == 0 and proc.stdout.count("web01/") == 7, proc.stderr
    assert listing_requests <= 2, listing_requests  # one bounded listing (S3 needs no auth round trip)
    assert fetched.returncode == 0, fetched.stderr
    assert total <= 2 + 7, total
    store.backend.close()
